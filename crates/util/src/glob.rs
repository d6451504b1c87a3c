//! The one glob matcher: `fnmatch(3)` with flags 0, as kmod matches a
//! modalias against `modules.alias` (`fnmatch(pattern, modalias, 0)` in
//! libkmod's `kmod_module_new_from_lookup` path) and as glob(3) matches one
//! path component.
//!
//! * `*` any run of characters (`/` and a leading `.` included: flags 0),
//!   `?` one character;
//! * `[a-z0-9]` a class, `[!x]` or `[^x]` its complement, a `]` right after
//!   the opening `[` (or `[!`) is a member, a `-` first or last is itself;
//!   a `[` with no closing `]` is a literal `[`;
//! * `\x` the character `x` (a trailing `\` is itself).
//!
//! Callers: kfit-kbuild (alias patterns against device modaliases, and its
//! two-sided match for partial modaliases on these [`Elem`]s), kfit-hw
//! (a device's synthesized pattern against a listing's modalias) and
//! kfit-kconfig (Kconfiglib's `osource`/`rsource` wildcards, through
//! [`glob_files`], which follows glob(3): wildcards match within one path
//! component and never a leading `.`).

use std::path::Path;

/// One element of a compiled pattern: each but [`Elem::Star`] matches
/// exactly one character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elem {
    Lit(char),
    /// `?`
    Any,
    /// `*` (runs of stars are folded into one)
    Star,
    /// `[...]`: inclusive ranges, and whether the class is negated.
    Class(Vec<(char, char)>, bool),
}

impl Elem {
    /// Does this element match the character `c`? (A star matches every
    /// character, any number of times.)
    pub fn matches(&self, c: char) -> bool {
        match self {
            Elem::Lit(l) => *l == c,
            Elem::Any | Elem::Star => true,
            Elem::Class(set, neg) => set.iter().any(|&(a, b)| a <= c && c <= b) != *neg,
        }
    }
}

/// Is `pattern` made of ASCII literals, `*` and `?` only (no class, no
/// escape)? Such a pattern is matched byte by byte without compiling.
pub fn is_simple(pattern: &str) -> bool {
    pattern.is_ascii() && !pattern.contains(['[', '\\'])
}

/// The elements of `pattern`.
pub fn compile(pattern: &str) -> Vec<Elem> {
    let c: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '*' => {
                if out.last() != Some(&Elem::Star) {
                    out.push(Elem::Star);
                }
            }
            '?' => out.push(Elem::Any),
            '\\' if i + 1 < c.len() => {
                i += 1;
                out.push(Elem::Lit(c[i]));
            }
            '[' => match class(&c, i) {
                Some((el, end)) => {
                    out.push(el);
                    i = end;
                }
                None => out.push(Elem::Lit('[')),
            },
            ch => out.push(Elem::Lit(ch)),
        }
        i += 1;
    }
    out
}

/// The class opening at `c[open]` (a `[`) and the index of its `]`.
fn class(c: &[char], open: usize) -> Option<(Elem, usize)> {
    let mut j = open + 1;
    let neg = j < c.len() && (c[j] == '!' || c[j] == '^');
    if neg {
        j += 1;
    }
    let mut set = Vec::new();
    let start = j;
    while j < c.len() && (c[j] != ']' || j == start) {
        let lo = if c[j] == '\\' && j + 1 < c.len() {
            j += 1;
            c[j]
        } else {
            c[j]
        };
        if j + 2 < c.len() && c[j + 1] == '-' && c[j + 2] != ']' {
            set.push((lo, c[j + 2]));
            j += 3;
        } else {
            set.push((lo, lo));
            j += 1;
        }
    }
    (j < c.len()).then_some((Elem::Class(set, neg), j))
}

/// `fnmatch(pattern, text, 0) == 0`.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    if is_simple(pattern) && text.is_ascii() {
        simple_match(pattern.as_bytes(), text.as_bytes())
    } else {
        matches(&compile(pattern), text)
    }
}

/// `*`/`?` matching of a [simple](is_simple) pattern's bytes, without
/// compiling or allocating.
pub fn simple_match(p: &[u8], s: &[u8]) -> bool {
    walk(p.len(), s, |i| p[i] == b'*', |i, c| p[i] == b'?' || p[i] == c)
}

/// Does the compiled pattern `p` match `text`?
pub fn matches(p: &[Elem], text: &str) -> bool {
    let s: Vec<char> = text.chars().collect();
    walk(p.len(), &s, |i| p[i] == Elem::Star, |i, c| p[i].matches(c))
}

/// The match of a pattern of `np` elements (`star(i)`: element `i` is a
/// star; `one(i, c)`: element `i` matches `c`) against `s`: linear in
/// practice, since only the last star is a backtrack point (each other
/// element matches exactly one character, so an earlier star never needs
/// to take more).
fn walk<C: Copy>(np: usize, s: &[C], star: impl Fn(usize) -> bool, one: impl Fn(usize, C) -> bool) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut last_star: Option<usize> = None;
    let mut mark = 0;
    while si < s.len() {
        if pi < np && star(pi) {
            last_star = Some(pi);
            mark = si;
            pi += 1;
        } else if pi < np && one(pi, s[si]) {
            pi += 1;
            si += 1;
        } else if let Some(sp) = last_star {
            pi = sp + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    (pi..np).all(star)
}

/// glob(3)'s match of one path component (a file name): [`fnmatch`], except
/// that a leading `.` must be matched by a literal `.` (glob without
/// `GLOB_PERIOD`; Python's `glob`, which Kconfiglib uses, alike).
pub fn match_name(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    fnmatch(pattern, name)
}

/// Does `pattern` contain a wildcard (`*`, `?` or `[`)?
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// The regular files under `root` that the `/`-separated `pattern` names,
/// relative to `root`, sorted: glob(3) (each component matched with
/// [`match_name`]; a component without wildcards is taken as it is).
/// Unreadable directories match nothing.
pub fn glob_files(root: &Path, pattern: &str) -> Vec<String> {
    let mut acc = vec![String::new()];
    for comp in pattern.split('/') {
        let join = |prefix: &str, n: &str| {
            if prefix.is_empty() {
                n.to_string()
            } else {
                format!("{prefix}/{n}")
            }
        };
        let mut next = Vec::new();
        for prefix in &acc {
            if !has_wildcard(comp) {
                next.push(join(prefix, comp));
                continue;
            }
            let Ok(rd) = std::fs::read_dir(root.join(prefix)) else {
                continue;
            };
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if match_name(comp, &n) {
                    next.push(join(prefix, &n));
                }
            }
        }
        acc = next;
    }
    let mut files: Vec<String> = acc.into_iter().filter(|p| root.join(p).is_file()).collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modalias_patterns() {
        assert!(fnmatch("pci:v00008086d*sv*", "pci:v00008086d00002723sv0"));
        assert!(fnmatch("usb:v1234p*d01[0-9]*", "usb:v1234p0001d0105dc00"));
        assert!(!fnmatch("usb:v1234p*d01[0-4]*", "usb:v1234p0001d0195dc00"));
        assert!(fnmatch("acpi*:PNP0A03:*", "acpi:PNP0A03:PNP0A08:"));
        assert!(!fnmatch("a?c", "ac"));
        assert!(fnmatch(
            "pci:v00001002d00001638sv*sd*bc03sc00i*",
            "pci:v00001002d00001638sv000017AAsd00005089bc03sc00i00"
        ));
        assert!(!fnmatch("pci:v00001002d00001638sv*", "pci:v00001002d00001639sv0"));
        assert!(fnmatch("a[0-9]?c*", "a5xcdef"));
    }

    #[test]
    fn classes_and_escapes() {
        assert!(fnmatch("[!a]", "b") && !fnmatch("[!a]", "a"));
        assert!(fnmatch("[^a]", "b") && !fnmatch("[^a]", "a"));
        // `]` first is a member; `-` last is itself.
        assert!(fnmatch("[]x]", "]") && fnmatch("[]x]", "x"));
        assert!(fnmatch("[a-]", "-") && !fnmatch("[a-]", "b"));
        // An unclosed `[` is a literal.
        assert!(fnmatch("a[b", "a[b") && !fnmatch("a[b", "ab"));
        assert!(fnmatch(r"a\*b", "a*b") && !fnmatch(r"a\*b", "axb"));
        assert!(fnmatch(r"[\]]", "]"));
        assert!(fnmatch(r"a\", r"a\"));
        // Flags 0: `*` crosses `/` and matches a leading `.`.
        assert!(fnmatch("*", ".x/y"));
        assert!(fnmatch("é?", "éü") && !fnmatch("é", "e"));
    }

    #[test]
    fn path_components() {
        assert!(match_name("Kconfig*", "Kconfig.debug"));
        assert!(!match_name("*", ".hidden") && match_name(".*", ".hidden"));
        let d = tempfile::tempdir().unwrap();
        for f in [
            "a/Kconfig.x",
            "a/Kconfig.y",
            "b/Kconfig.x",
            "a/.Kconfig.z",
            "c/Kconfig.x/f",
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        assert_eq!(
            glob_files(d.path(), "*/Kconfig.?"),
            ["a/Kconfig.x", "a/Kconfig.y", "b/Kconfig.x"]
        );
        assert_eq!(
            glob_files(d.path(), "[ab]/Kconfig.x"),
            ["a/Kconfig.x", "b/Kconfig.x"]
        );
        assert_eq!(glob_files(d.path(), "a/Kconfig.x"), ["a/Kconfig.x"]);
        assert!(glob_files(d.path(), "z/*").is_empty());
    }

    proptest::proptest! {
        /// The byte walk agrees with the element walk.
        #[test]
        fn simple_agrees(p in "[ab?*:]{0,12}", s in "[ab:]{0,12}") {
            proptest::prop_assert_eq!(simple_match(p.as_bytes(), s.as_bytes()), matches(&compile(&p), &s));
        }
    }
}
