//! Brackets and initializers: balanced groups in text and in tokens, call
//! arguments, the elements and designated fields of a C initializer.

use crate::lex::{tokenize_str, Tok};

fn opens(t: &Tok) -> bool {
    t.is("(") || t.is("{") || t.is("[")
}

fn closes(t: &Tok) -> bool {
    t.is(")") || t.is("}") || t.is("]")
}

/// Index of the token closing the bracket `toks[open]` (`(`, `[`, else
/// `{`); only brackets of that kind are counted, so an unbalanced bracket
/// of another kind inside does not derail it.
pub fn matching_close_tok(toks: &[Tok], open: usize) -> Option<usize> {
    let (o, c) = match toks.get(open)?.s.as_str() {
        "(" => ("(", ")"),
        "[" => ("[", "]"),
        _ => ("{", "}"),
    };
    let mut d = 0i64;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is(o) {
            d += 1;
        } else if t.is(c) {
            d -= 1;
            if d == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// If `toks[at]` is `(`, split the balanced argument list on top-level
/// commas. Returns the arguments and the index after the closing `)`.
pub fn call_args(toks: &[Tok], at: usize) -> Option<(Vec<Vec<Tok>>, usize)> {
    if !toks.get(at)?.is("(") {
        return None;
    }
    group_args(toks, at)
}

/// [`call_args`] of a `(...)` or `{...}` group at `at`.
pub fn group_args(toks: &[Tok], at: usize) -> Option<(Vec<Vec<Tok>>, usize)> {
    if !toks.get(at).is_some_and(|t| t.is("(") || t.is("{")) {
        return None;
    }
    let mut depth = 0usize;
    let mut args = vec![Vec::new()];
    for (i, t) in toks.iter().enumerate().skip(at) {
        if opens(t) {
            depth += 1;
            if depth > 1 {
                args.last_mut()?.push(t.clone());
            }
        } else if closes(t) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                if args.len() == 1 && args[0].is_empty() {
                    args.clear();
                }
                return Some((args, i + 1));
            }
            args.last_mut()?.push(t.clone());
        } else if t.is(",") && depth == 1 {
            args.push(Vec::new());
        } else {
            args.last_mut()?.push(t.clone());
        }
    }
    None
}

/// Byte offset of the bracket closing the one at byte `open` of `s`
/// (string literals skipped).
pub fn matching_close(s: &str, open: usize) -> Option<usize> {
    let b = s.as_bytes();
    let (o, c) = match b.get(open)? {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => return None,
    };
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
        } else if b[i] == o {
            depth += 1;
        } else if b[i] == c {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// The `{ ... }` body (without braces) of the first C initializer or
/// function whose header contains `header` (e.g. `pciidlist[] =` or
/// `iwl_ax200_cfg_cc =`). `header` must be followed by `{` after optional
/// whitespace/`= `, or by a parameter list and `{`; each occurrence is
/// tried until one fits.
pub fn braced_after<'a>(s: &'a str, header: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(pos) = s[from..].find(header) {
        let at = from + pos + header.len();
        let before = s[..from + pos].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            from = at;
            continue;
        }
        let rest = &s[at..];
        let skip = rest
            .find(|c: char| !(c.is_whitespace() || c == '='))
            .unwrap_or(rest.len());
        if rest[skip..].starts_with('{') {
            let open = at + skip;
            let close = matching_close(s, open)?;
            return Some(&s[open + 1..close]);
        }
        // Function definitions: header(...) {  — skip a parameter list.
        if rest[skip..].starts_with('(') {
            let open = at + skip;
            if let Some(pclose) = matching_close(s, open) {
                let after = &s[pclose + 1..];
                let sk = after.find(|c: char| !c.is_whitespace()).unwrap_or(after.len());
                if after[sk..].starts_with('{') {
                    let bo = pclose + 1 + sk;
                    let bc = matching_close(s, bo)?;
                    return Some(&s[bo + 1..bc]);
                }
            }
        }
        from = at;
    }
    None
}

/// Split the body of an array initializer into its top-level `{...}` or
/// `MACRO(...)` elements, as token lists.
pub fn top_level_elements(body: &str) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut depth = 0usize;
    for t in tokenize_str(body) {
        if opens(&t) {
            depth += 1;
        } else if closes(&t) {
            depth = depth.saturating_sub(1);
        } else if t.is(",") && depth == 0 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        cur.push(t);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `.name = tokens` pairs at the top level of an initializer (`.a.b = v`
/// gives the key `a.b`).
pub fn designated_fields(toks: &[Tok]) -> Vec<(String, Vec<Tok>)> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    while i < toks.len() {
        let t = &toks[i];
        if opens(t) {
            depth += 1;
        } else if closes(t) {
            depth = depth.saturating_sub(1);
        } else if t.is(".") && depth == 0 {
            let mut key = String::new();
            let mut j = i;
            while toks.get(j).is_some_and(|t| t.is(".")) {
                let Some(n) = toks.get(j + 1).and_then(Tok::ident) else {
                    break;
                };
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(n);
                j += 2;
            }
            if toks.get(j).is_some_and(|t| t.is("=")) && !key.is_empty() {
                let mut k = j + 1;
                let mut d = 0usize;
                let mut val = Vec::new();
                while k < toks.len() {
                    let v = &toks[k];
                    if opens(v) {
                        d += 1;
                    } else if closes(v) {
                        if d == 0 {
                            break;
                        }
                        d -= 1;
                    } else if v.is(",") && d == 0 {
                        break;
                    }
                    val.push(v.clone());
                    k += 1;
                }
                out.push((key, val));
                i = k;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_and_fields() {
        let s = "static const struct x tbl[] = {\n {0x1002, 0x1638, 1},\n FOO(a, (b, c)),\n};";
        let body = braced_after(s, "tbl[] =").unwrap();
        let els = top_level_elements(body);
        assert_eq!(els.len(), 2);
        let (args, next) = call_args(&els[1], 1).unwrap();
        assert_eq!(args.len(), 2);
        assert_eq!(next, els[1].len());
        let (args, _) = group_args(&els[0], 0).unwrap();
        assert_eq!(args.len(), 3);
        let toks = tokenize_str(".a.b = f(1, 2), .c = { 3 }");
        let f = designated_fields(&toks);
        assert_eq!(f.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["a.b", "c"]);
        assert_eq!(f[0].1.len(), 6);
        assert_eq!(matching_close_tok(&toks, 6), Some(10));
    }
}
