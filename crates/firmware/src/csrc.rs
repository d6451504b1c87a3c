//! Just enough C reading for firmware narrowing: comment stripping, a token
//! stream, `#define` collection and expansion (object- and function-like,
//! `__stringify`, string-literal concatenation), balanced-bracket helpers.
//!
//! This is not a preprocessor: conditionals are ignored (every `#define` seen
//! wins, the last one for a name), which is what reading MODULE_FIRMWARE
//! arguments and driver tables needs.

use crate::Sources;
use std::collections::HashMap;

/// Remove `/* */` and `//` comments, keeping string and char literals intact
/// and keeping newlines (so line-based scans still work).
pub fn strip_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    // Copy runs of plain code in one go: only `/`, `"` and `'` start
    // something this function has to look at (all ASCII, so every cut is
    // on a UTF-8 boundary).
    while i < b.len() {
        let run = b[i..]
            .iter()
            .position(|&c| c == b'/' || c == b'"' || c == b'\'')
            .map_or(b.len(), |p| i + p);
        out.push_str(&src[i..run]);
        i = run;
        if i >= b.len() {
            break;
        }
        let c = b[i];
        if c == b'/' && i + 1 < b.len() && b[i + 1] == b'*' {
            let body = i + 2;
            let end = src[body..].find("*/").map_or(b.len(), |p| body + p);
            for _ in b[body..end].iter().filter(|&&c| c == b'\n') {
                out.push('\n');
            }
            i = (end + 2).min(b.len());
            out.push(' ');
        } else if c == b'/' && i + 1 < b.len() && b[i + 1] == b'/' {
            i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p);
        } else if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c && b[i] != b'\n' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            // An escape before the end of the text can step past it.
            let end = i.min(b.len());
            match src.get(start..end) {
                Some(lit) => out.push_str(lit),
                None => out.push_str(&String::from_utf8_lossy(&b[start..end])),
            }
        } else {
            out.push('/');
            i += 1;
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// A C token, as far as we need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(char),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Num(s) => s.clone(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Punct(c) => c.to_string(),
        }
    }
}

/// Tokenize (comments must already be stripped). String literal contents are
/// kept without the quotes and without unescaping (firmware names have none).
pub fn tokenize(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b'\\' {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push(Tok::Ident(src[s..i].to_string()));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            toks.push(Tok::Num(src[s..i].to_string()));
        } else if c == b'"' {
            i += 1;
            let s = i;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            let e = i.min(b.len());
            toks.push(Tok::Str(src[s..e].to_string()));
            i = e + 1;
        } else if c == b'\'' {
            // char literal: skip
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            toks.push(Tok::Num("0".into()));
        } else {
            let ch_len = utf8_len(c);
            let end = (i + ch_len).min(b.len());
            toks.push(Tok::Punct(src[i..end].chars().next().unwrap_or('?')));
            i = end;
        }
    }
    toks
}

/// Expansion stops growing past this many tokens (self-multiplying macros).
const MAX_EXPANSION: usize = 20_000;

/// One `#define`.
#[derive(Debug, Clone)]
pub struct Macro {
    /// `Some(params)` for function-like macros.
    pub params: Option<Vec<String>>,
    pub body: Vec<Tok>,
}

/// Collected `#define`s (last definition wins).
#[derive(Debug, Clone, Default)]
pub struct Defines {
    pub map: HashMap<String, Macro>,
}

impl Defines {
    /// Collect the `#define`s of comment-stripped source text.
    pub fn add_source(&mut self, stripped: &str) {
        let mut lines = stripped.lines();
        while let Some(line) = lines.next() {
            let t = line.trim_start();
            let Some(rest) = t.strip_prefix('#') else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(rest) = rest.strip_prefix("define") else {
                continue;
            };
            if !rest.starts_with([' ', '\t']) {
                continue;
            }
            let mut full = rest.to_string();
            while full.trim_end().ends_with('\\') {
                let trimmed = full.trim_end();
                full = trimmed[..trimmed.len() - 1].to_string();
                match lines.next() {
                    Some(l) => {
                        full.push(' ');
                        full.push_str(l);
                    }
                    None => break,
                }
            }
            let full = full.trim_start();
            let name_end = full
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(full.len());
            let name = &full[..name_end];
            if name.is_empty() {
                continue;
            }
            let after = &full[name_end..];
            let (params, body) = if let Some(p) = after.strip_prefix('(') {
                let close = p.find(')').unwrap_or(p.len());
                let params = p[..close]
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                (Some(params), p.get(close + 1..).unwrap_or(""))
            } else {
                (None, after)
            };
            self.map.insert(
                name.to_string(),
                Macro {
                    params,
                    body: tokenize(body),
                },
            );
        }
    }

    /// Collect the defines of a file (tree-relative, read from `src`) and
    /// of the local headers it includes with `#include "..."` (one level,
    /// relative to the file).
    pub fn from_file_with_local_includes(src: &dyn Sources, rel: &str) -> Defines {
        let mut d = Defines::default();
        let Ok(text) = src.read(rel) else {
            return d;
        };
        let stripped = strip_comments(&text);
        for inc in local_includes(rel, &stripped) {
            if let Ok(h) = src.read(&inc) {
                d.add_source(&strip_comments(&h));
            }
        }
        d.add_source(&stripped);
        d
    }

    /// Fully macro-expand a token list (depth-limited).
    pub fn expand(&self, toks: &[Tok]) -> Vec<Tok> {
        self.expand_depth(toks, 0)
    }

    fn expand_depth(&self, toks: &[Tok], depth: usize) -> Vec<Tok> {
        if depth > 24 {
            return toks.to_vec();
        }
        let mut out = Vec::new();
        let mut i = 0;
        let mut changed = false;
        while i < toks.len() {
            match &toks[i] {
                Tok::Ident(name) if name == "__stringify" || name == "__stringify_1" => {
                    if let Some((args, next)) = call_args(toks, i + 1) {
                        let inner = if name == "__stringify" {
                            self.expand_depth(&args.concat(), depth + 1)
                        } else {
                            args.concat()
                        };
                        let text: Vec<String> = inner.iter().map(Tok::text).collect();
                        out.push(Tok::Str(text.join(" ")));
                        i = next;
                        changed = true;
                        continue;
                    }
                    out.push(toks[i].clone());
                    i += 1;
                }
                Tok::Ident(name) => match self.map.get(name) {
                    Some(Macro { params: None, body }) => {
                        out.extend(body.iter().cloned());
                        changed = true;
                        i += 1;
                    }
                    Some(Macro {
                        params: Some(params),
                        body,
                    }) => {
                        if let Some((args, next)) = call_args(toks, i + 1) {
                            out.extend(substitute(body, params, &args));
                            changed = true;
                            i = next;
                        } else {
                            out.push(toks[i].clone());
                            i += 1;
                        }
                    }
                    None => {
                        out.push(toks[i].clone());
                        i += 1;
                    }
                },
                t => {
                    out.push(t.clone());
                    i += 1;
                }
            }
        }
        if changed && out.len() <= MAX_EXPANSION {
            self.expand_depth(&out, depth + 1)
        } else {
            out
        }
    }

    /// Expand tokens and, if the result is only string literals (and
    /// parentheses), return their concatenation.
    pub fn eval_string(&self, toks: &[Tok]) -> Option<String> {
        let exp = self.expand(toks);
        let mut s = String::new();
        let mut any = false;
        for t in &exp {
            match t {
                Tok::Str(x) => {
                    s.push_str(x);
                    any = true;
                }
                Tok::Punct('(') | Tok::Punct(')') => {}
                _ => return None,
            }
        }
        any.then_some(s)
    }

    /// Expand tokens and parse the result as an integer (decimal or hex,
    /// optional parentheses and integer suffixes).
    pub fn eval_int(&self, toks: &[Tok]) -> Option<i64> {
        let exp = self.expand(toks);
        let nums: Vec<&Tok> = exp
            .iter()
            .filter(|t| !matches!(t, Tok::Punct('(') | Tok::Punct(')')))
            .collect();
        match nums.as_slice() {
            [Tok::Num(n)] => parse_c_int(n),
            _ => None,
        }
    }
}

/// Parse a C integer literal (`77`, `0x1638`, `0x1638UL`).
pub fn parse_c_int(n: &str) -> Option<i64> {
    let n = n.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(h) = n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else {
        n.parse().ok()
    }
}

fn substitute(body: &[Tok], params: &[String], args: &[Vec<Tok>]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        // `#param` stringification
        if body[i] == Tok::Punct('#') {
            if let Some(Tok::Ident(p)) = body.get(i + 1) {
                if let Some(k) = params.iter().position(|x| x == p) {
                    let text: Vec<String> = args
                        .get(k)
                        .map(|a| a.iter().map(Tok::text).collect())
                        .unwrap_or_default();
                    out.push(Tok::Str(text.join(" ")));
                    i += 2;
                    continue;
                }
            }
        }
        match &body[i] {
            Tok::Ident(p) => match params.iter().position(|x| x == p) {
                Some(k) => out.extend(args.get(k).cloned().unwrap_or_default()),
                None => out.push(body[i].clone()),
            },
            t => out.push(t.clone()),
        }
        i += 1;
    }
    out
}

/// If `toks[at]` is `(`, split the balanced argument list on top-level commas.
/// Returns the arguments and the index after the closing `)`.
pub fn call_args(toks: &[Tok], at: usize) -> Option<(Vec<Vec<Tok>>, usize)> {
    if toks.get(at) != Some(&Tok::Punct('(')) {
        return None;
    }
    let mut depth = 0usize;
    let mut args = vec![Vec::new()];
    let mut i = at;
    while i < toks.len() {
        let t = &toks[i];
        match t {
            Tok::Punct('(') | Tok::Punct('{') | Tok::Punct('[') => {
                depth += 1;
                if depth > 1 {
                    args.last_mut()?.push(t.clone());
                }
            }
            Tok::Punct(')') | Tok::Punct('}') | Tok::Punct(']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if args.len() == 1 && args[0].is_empty() {
                        args.clear();
                    }
                    return Some((args, i + 1));
                }
                args.last_mut()?.push(t.clone());
            }
            Tok::Punct(',') if depth == 1 => args.push(Vec::new()),
            _ => args.last_mut()?.push(t.clone()),
        }
        i += 1;
    }
    None
}

/// Byte offset of the matching close bracket for the open bracket at `open`.
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
/// whitespace/`= `; searches each occurrence until one fits.
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
    let toks = tokenize(body);
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut depth = 0usize;
    for t in toks {
        match t {
            Tok::Punct('{') | Tok::Punct('(') | Tok::Punct('[') => {
                depth += 1;
                cur.push(t);
            }
            Tok::Punct('}') | Tok::Punct(')') | Tok::Punct(']') => {
                depth = depth.saturating_sub(1);
                cur.push(t);
            }
            Tok::Punct(',') if depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            Tok::Punct('#') if depth == 0 => {
                // preprocessor lines inside tables (#if IS_ENABLED(...)) are
                // tokenized as '#', 'if', ...: drop the current junk.
                cur.push(t);
            }
            _ => cur.push(t),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `.name = tokens` pairs at the top level of an initializer.
pub fn designated_fields(toks: &[Tok]) -> Vec<(String, Vec<Tok>)> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct('(') | Tok::Punct('{') | Tok::Punct('[') => depth += 1,
            Tok::Punct(')') | Tok::Punct('}') | Tok::Punct(']') => depth = depth.saturating_sub(1),
            Tok::Punct('.') if depth == 0 => {
                // .a.b = v  → key "a.b"
                let mut key = String::new();
                let mut j = i;
                while toks.get(j) == Some(&Tok::Punct('.')) {
                    if let Some(Tok::Ident(n)) = toks.get(j + 1) {
                        if !key.is_empty() {
                            key.push('.');
                        }
                        key.push_str(n);
                        j += 2;
                    } else {
                        break;
                    }
                }
                if toks.get(j) == Some(&Tok::Punct('=')) && !key.is_empty() {
                    let mut k = j + 1;
                    let mut d = 0usize;
                    let mut val = Vec::new();
                    while k < toks.len() {
                        match &toks[k] {
                            Tok::Punct('(') | Tok::Punct('{') | Tok::Punct('[') => d += 1,
                            Tok::Punct(')') | Tok::Punct('}') | Tok::Punct(']') => {
                                if d == 0 {
                                    break;
                                }
                                d -= 1
                            }
                            Tok::Punct(',') if d == 0 => break,
                            _ => {}
                        }
                        val.push(toks[k].clone());
                        k += 1;
                    }
                    out.push((key, val));
                    i = k;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Remove preprocessor directive lines (`#if`, `#endif`, ...) from text.
pub fn drop_directives(s: &str) -> String {
    s.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tree-relative paths of the `#include "..."` lines of `stripped`
/// (the comment-stripped text of tree-relative file `rel`), relative to its
/// directory.
pub fn local_includes(rel: &str, stripped: &str) -> Vec<String> {
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Vec::new();
    for line in stripped.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(inc) = rest.trim_start().strip_prefix("include") else {
            continue;
        };
        let Some(inner) = inc.trim().strip_prefix('"') else {
            continue;
        };
        if let Some(end) = inner.find('"') {
            out.push(normalize(&format!("{dir}/{}", &inner[..end])));
        }
    }
    out
}

/// `a/b/../c` → `a/c`, `a/./b` → `a/b`.
fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// All `MODULE_FIRMWARE(...)` names a source file (tree-relative, read
/// from `src`) declares, with its own and its local headers' macros
/// expanded. Arguments that do not reduce to a string are skipped.
pub fn module_firmware_in_file(src: &dyn Sources, rel: &str) -> Vec<String> {
    let Ok(text) = src.read(rel) else {
        return Vec::new();
    };
    if !text.contains("MODULE_FIRMWARE") {
        return Vec::new();
    }
    let defs = Defines::from_file_with_local_includes(src, rel);
    let stripped = drop_directives(&strip_comments(&text));
    let toks = tokenize(&stripped);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        if toks[i] == Tok::Ident("MODULE_FIRMWARE".into()) {
            if let Some((args, _)) = call_args(&toks, i + 1) {
                if let Some(first) = args.first() {
                    if let Some(s) = defs.eval_string(first) {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

/// MODULE_FIRMWARE names of every `.c` file below `dir` (tree-relative;
/// sorted, deduplicated).
pub fn module_firmware_in_dir(src: &dyn Sources, dir: &str) -> Vec<String> {
    let files: Vec<String> = src
        .list(dir, true)
        .into_iter()
        .filter(|f| f.ends_with(".c"))
        .collect();
    let mut out: Vec<String> = files
        .iter()
        .flat_map(|f| module_firmware_in_file(src, f))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// The first, character-at-a-time version: the oracle for the fast one.
    fn strip_comments_reference(src: &str) -> String {
        let b = src.as_bytes();
        let mut out = String::with_capacity(src.len());
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'/' && i + 1 < b.len() && b[i + 1] == b'*' {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && i + 1 < b.len() && b[i + 1] == b'/') {
                    if b[i] == b'\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
                i = (i + 2).min(b.len());
                out.push(' ');
            } else if c == b'/' && i + 1 < b.len() && b[i + 1] == b'/' {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            } else if c == b'"' || c == b'\'' {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                out.push_str(&String::from_utf8_lossy(&b[start..i]));
            } else {
                let end = (i + utf8_len(c)).min(b.len());
                out.push_str(&src[i..end]);
                i = end;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn strip_comments_matches_reference(s in "([a-z/*\"'\\\\ \n]|é|//|/\\*|\\*/){0,60}") {
            proptest::prop_assert_eq!(strip_comments(&s), strip_comments_reference(&s));
        }
    }

    /// Set KFIT_STRIP_TREE to a kernel tree to compare on every C file of
    /// drivers/gpu/drm/amd (not part of the normal run).
    #[test]
    fn strip_comments_matches_reference_on_tree() {
        let Some(tree) = std::env::var_os("KFIT_STRIP_TREE") else {
            return;
        };
        let tree = crate::Tree(Path::new(&tree));
        let files = tree.list("drivers/gpu/drm/amd", true);
        assert!(!files.is_empty());
        for f in files.iter().filter(|f| f.ends_with(".c")) {
            let t = tree.read(f).expect("read");
            assert!(strip_comments(&t) == strip_comments_reference(&t), "{f}");
        }
    }

    #[test]
    fn expands_iwlwifi_style_macros() {
        let src = r#"
#define IWL_22000_UCODE_API_MAX	77
#define IWL_CC_A_FW_PRE			"iwlwifi-cc-a0"
#define IWL_CC_A_MODULE_FIRMWARE(api)			\
	IWL_CC_A_FW_PRE "-" __stringify(api) ".ucode"
/* comment MODULE_FIRMWARE("nope.bin") */
MODULE_FIRMWARE(IWL_CC_A_MODULE_FIRMWARE(IWL_22000_UCODE_API_MAX));
#define FW "amdgpu/renoir_dmcub.bin"
MODULE_FIRMWARE(FW); // MODULE_FIRMWARE("nope2")
"#;
        let dir = tempdir();
        let p = dir.join("x.c");
        std::fs::write(&p, src).unwrap();
        let names = module_firmware_in_file(&crate::Tree(&dir), "x.c");
        assert_eq!(names, vec!["iwlwifi-cc-a0-77.ucode", "amdgpu/renoir_dmcub.bin"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn braced_and_ints() {
        let s = "static const struct x tbl[] = {\n {0x1002, 0x1638, 1},\n};";
        let body = braced_after(s, "tbl[] =").unwrap();
        let els = top_level_elements(body);
        assert_eq!(els.len(), 1);
        assert_eq!(parse_c_int("0x164C"), Some(0x164c));
        assert_eq!(parse_c_int("12UL"), Some(12));
    }

    fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "kfit-fw-csrc-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
