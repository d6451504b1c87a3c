//! The lexer: comment stripping, tokens with their line, integer and
//! string literals.

use compact_str::CompactString;

/// Source position: `line << 20`, plus the line inside a header whose code
/// is inlined at that line. Orders macro definitions against code.
pub type Pos = u64;

/// Line of a position.
pub fn line_of(p: Pos) -> u32 {
    (p >> 20) as u32
}

/// `bytes` as text: borrowed when it is UTF-8 (nearly always, and checked
/// faster than [`String::from_utf8_lossy`] checks it), else with each
/// invalid sequence replaced as that does.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Token kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum K {
    Ident,
    Num,
    Str,
    Char,
    Punct,
}

/// One preprocessing token.
#[derive(Clone, Debug)]
pub struct Tok {
    pub k: K,
    pub s: CompactString,
    /// Whitespace before it (for stringification).
    pub sp: bool,
    /// Position: source line << 20 (+ line within a header inlined there).
    pub line: Pos,
    /// Painted: must not be expanded again.
    pub noexp: bool,
}

impl Tok {
    /// The punctuator or identifier `p` (not a literal spelling it).
    pub fn is(&self, p: &str) -> bool {
        self.s == p && self.k != K::Str && self.k != K::Char
    }
    /// The identifier's name.
    pub fn ident(&self) -> Option<&str> {
        (self.k == K::Ident).then_some(self.s.as_str())
    }
    /// The number's spelling.
    pub fn num(&self) -> Option<&str> {
        (self.k == K::Num).then_some(self.s.as_str())
    }
    /// A string literal's text between the quotes (escapes kept).
    pub fn str_body(&self) -> Option<&str> {
        if self.k != K::Str {
            return None;
        }
        let s = self.s.as_str();
        let s = s.strip_prefix('"').unwrap_or(s);
        Some(s.strip_suffix('"').unwrap_or(s))
    }
    /// A token of kind `k` spelled `s` (position 0).
    pub fn new(k: K, s: &str) -> Tok {
        Tok {
            k,
            s: CompactString::from(s),
            sp: false,
            line: 0,
            noexp: false,
        }
    }
}

/// The punctuators longer than one character.
const MULTI: [&str; 24] = [
    "...", "<<=", ">>=", "->", "--", "-=", "++", "+=", "<<", "<=", ">>", ">=", "==", "!=", "*=", "/=", "%=",
    "^=", "&&", "&=", "||", "|=", "##", "",
];

/// Length of the punctuator at the start of `rest` (1 if none of the
/// multi-character ones) and its index in [`MULTI`] if it is one of them:
/// `...`, `<<=`, `>>=`, then `->`, `++`, `--`, `<<`, `>>`, `<=`, `>=`, `==`,
/// `!=`, `&&`, `||`, `+=`, `-=`, `*=`, `/=`, `%=`, `&=`, `^=`, `|=`, `##`.
fn punct_len(rest: &[u8]) -> (usize, usize) {
    let a = rest[0];
    let b = rest.get(1).copied().unwrap_or(0);
    let c = rest.get(2).copied().unwrap_or(0);
    let m = match (a, b, c) {
        (b'.', b'.', b'.') => 0,
        (b'<', b'<', b'=') => 1,
        (b'>', b'>', b'=') => 2,
        (b'-', b'>', _) => 3,
        (b'-', b'-', _) => 4,
        (b'-', b'=', _) => 5,
        (b'+', b'+', _) => 6,
        (b'+', b'=', _) => 7,
        (b'<', b'<', _) => 8,
        (b'<', b'=', _) => 9,
        (b'>', b'>', _) => 10,
        (b'>', b'=', _) => 11,
        (b'=', b'=', _) => 12,
        (b'!', b'=', _) => 13,
        (b'*', b'=', _) => 14,
        (b'/', b'=', _) => 15,
        (b'%', b'=', _) => 16,
        (b'^', b'=', _) => 17,
        (b'&', b'&', _) => 18,
        (b'&', b'=', _) => 19,
        (b'|', b'|', _) => 20,
        (b'|', b'=', _) => 21,
        (b'#', b'#', _) => 22,
        _ => return (1, MULTI.len() - 1),
    };
    (MULTI[m].len(), m)
}

/// Every punctuator's text, made once: a token's text is then a copy of
/// an inline string, not a string built from the bytes (a copy through
/// `memcpy` that the next read of it waits for).
struct Puncts {
    /// One-byte tokens, by byte (ASCII).
    one: Vec<CompactString>,
    multi: Vec<CompactString>,
}

fn puncts() -> &'static Puncts {
    static P: std::sync::OnceLock<Puncts> = std::sync::OnceLock::new();
    P.get_or_init(|| Puncts {
        one: (0u8..128)
            .map(|b| CompactString::from(char::from(b).to_string()))
            .collect(),
        multi: MULTI.iter().map(|m| CompactString::from(*m)).collect(),
    })
}

/// Tokenize `src` (comments already removed or not: both are handled).
pub fn tokenize(src: &[u8], first_line: Pos) -> Vec<Tok> {
    // About one token per four bytes of C (growing the vector copied
    // every token once more: 1.3% of a cold index).
    let mut out = Vec::with_capacity(src.len() / 4 + 4);
    // Token texts are slices of the whole text when it is valid UTF-8 (it
    // nearly always is): one validation instead of one per token.
    let whole = std::str::from_utf8(src).ok();
    let mut i = 0;
    let n = src.len();
    let mut line = first_line;
    let mut sp = false;
    let puncts = puncts();
    while i < n {
        let c = src[i];
        if c == b'\n' {
            line += 1;
            sp = true;
            i += 1;
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' || c == 0x0c || c == 0x0b {
            sp = true;
            i += 1;
            continue;
        }
        if c == b'\\' && i + 1 < n && (src[i + 1] == b'\n' || src[i + 1] == b'\r') {
            i += 1;
            continue;
        }
        if c == b'/' && i + 1 < n && src[i + 1] == b'/' {
            while i < n && src[i] != b'\n' {
                i += 1;
            }
            sp = true;
            continue;
        }
        if c == b'/' && i + 1 < n && src[i + 1] == b'*' {
            i += 2;
            while i + 1 < n && !(src[i] == b'*' && src[i + 1] == b'/') {
                if src[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            i = (i + 2).min(n);
            sp = true;
            continue;
        }
        let start = i;
        let k;
        let mut punct = None;
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < n && (src[i].is_ascii_alphanumeric() || src[i] == b'_' || src[i] >= 0x80) {
                i += 1;
            }
            // String prefixes L"", u8"" ...: drop the prefix.
            if i < n && (src[i] == b'"' || src[i] == b'\'') {
                let p = &src[start..i];
                if p == b"L" || p == b"u8" || p == b"u" || p == b"U" {
                    continue;
                }
            }
            k = K::Ident;
        } else if c.is_ascii_digit() || (c == b'.' && i + 1 < n && src[i + 1].is_ascii_digit()) {
            i += 1;
            while i < n {
                let d = src[i];
                let exp_sign = (d == b'+' || d == b'-') && matches!(src[i - 1], b'e' | b'E' | b'p' | b'P');
                if exp_sign || d.is_ascii_alphanumeric() || d == b'_' || d == b'.' {
                    i += 1;
                } else {
                    break;
                }
            }
            k = K::Num;
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < n && src[i] != c && src[i] != b'\n' {
                if src[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(n);
            k = if c == b'"' { K::Str } else { K::Char };
        } else {
            let (len, m) = punct_len(&src[i..]);
            i += len;
            k = K::Punct;
            punct = if len == 1 {
                puncts.one.get(c as usize)
            } else {
                puncts.multi.get(m)
            };
        }
        let end = i.min(n);
        let s = match punct {
            Some(p) => p.clone(),
            None => match whole.and_then(|w| w.get(start..end)) {
                Some(x) => CompactString::from(x),
                None => {
                    let bytes = &src[start..end];
                    match std::str::from_utf8(bytes) {
                        Ok(x) => CompactString::from(x),
                        Err(_) => CompactString::from(String::from_utf8_lossy(bytes).as_ref()),
                    }
                }
            },
        };
        // A literal continued with backslash-newline spans lines: the
        // token keeps its first line, what follows counts them.
        let spliced = if matches!(k, K::Str | K::Char) {
            memchr::memchr_iter(b'\n', &src[start..end]).count() as Pos
        } else {
            0
        };
        out.push(Tok {
            k,
            s,
            sp,
            line,
            noexp: false,
        });
        line += spliced;
        sp = false;
    }
    out
}

/// Is the logical line at the end of `out` (backslash continuations
/// joined) a preprocessor directive?
fn in_directive(out: &[u8]) -> bool {
    let mut end = out.len();
    let start = loop {
        match memchr::memrchr(b'\n', &out[..end]) {
            Some(p) if p > 0 && out[p - 1] == b'\\' => end = p - 1,
            Some(p) => break p + 1,
            None => break 0,
        }
    };
    out[start..]
        .iter()
        .find(|&&b| b != b' ' && b != b'\t')
        .is_some_and(|&b| b == b'#')
}

/// [`strip_comments`] of text.
pub fn strip_comments_str(src: &str) -> String {
    let out = strip_comments(src.as_bytes());
    // Only comments were replaced (by ASCII), at character boundaries.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Tokens of text, numbered from line 1 (no header offset).
pub fn tokenize_str(src: &str) -> Vec<Tok> {
    tokenize(src.as_bytes(), 1)
}

/// Replace comments by spaces (keeping newlines), respecting literals.
pub fn strip_comments(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let n = src.len();
    let mut i = 0;
    while i < n {
        let c = src[i];
        if c == b'/' && i + 1 < n && src[i + 1] == b'/' {
            // Line comment: to end of line, honouring backslash continuation.
            while i < n && src[i] != b'\n' {
                if src[i] == b'\\' && i + 1 < n && src[i + 1] == b'\n' {
                    out.push(b'\\');
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                i += 1;
            }
            out.push(b' ');
        } else if c == b'/' && i + 1 < n && src[i + 1] == b'*' {
            // A block comment is one space (C translation phase 3): in a
            // directive, the newlines inside it do not end the directive
            // (sound/usb/quirks-table.h's QUIRK_RME_DIGIFACE has one in its
            // body), so they become continuations there; elsewhere plain
            // newlines keep the line numbers.
            let directive = in_directive(&out);
            i += 2;
            out.push(b' ');
            while i < n && !(src[i] == b'*' && i + 1 < n && src[i + 1] == b'/') {
                if src[i] == b'\n' {
                    if directive {
                        out.push(b'\\');
                    }
                    out.push(b'\n');
                }
                i += 1;
            }
            i = (i + 2).min(n);
        } else if c == b'"' || c == b'\'' {
            out.push(c);
            i += 1;
            while i < n && src[i] != c && src[i] != b'\n' {
                if src[i] == b'\\' && i + 1 < n {
                    out.push(src[i]);
                    i += 1;
                }
                out.push(src[i]);
                i += 1;
            }
            if i < n && src[i] == c {
                out.push(c);
                i += 1;
            }
        } else {
            // Up to the next byte that may start a comment or a literal.
            let j = memchr::memchr3(b'/', b'"', b'\'', &src[i + 1..]).map_or(n, |j| i + 1 + j);
            out.extend_from_slice(&src[i..j]);
            i = j;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn block_comment_inside_a_define_continues_it() {
        let out = strip_comments(b"#define A 1 /* x\n y */ + 2\nint b; /* c\n d */ int e;\n");
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out.lines().count(), 4, "line count kept: {out:?}");
        assert!(out.starts_with("#define A 1  \\\n + 2\n"), "{out:?}");
        assert!(out.contains("int b;  \n int e;"), "{out:?}");
    }

    #[test]
    fn a_string_continued_over_lines_keeps_later_lines() {
        let t = super::tokenize_str("a(\"x\\\ny\\\nz\");\nb;\n");
        let b = t.iter().find(|t| t.s == "b").unwrap();
        assert_eq!((t[2].line, b.line), (1, 4));
    }
}
