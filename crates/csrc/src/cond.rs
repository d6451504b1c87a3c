//! Directives: splitting a file into directive lines and code, parsing
//! them, and the `#if` stack with the configuration policy.
//!
//! Policy for configuration-dependent conditionals: kfit indexes every
//! driver whatever the config, so `CONFIG_*`, `IS_ENABLED()`, `IS_BUILTIN()`,
//! `IS_MODULE()` and `IS_REACHABLE()` are taken as true, except the symbols
//! a [`Policy`] turns off (those that select another architecture, byte
//! order or word size than the target: the index derives them from the
//! tree's `arch/*/Kconfig`, `kfit_arch::off_symbols`).

use crate::eval::{truthy, Eval};
use crate::lex::{tokenize, Tok, K};
use crate::macros::{Def, Expander, MacroSource};
use std::sync::Arc;

/// The configuration policy: every `CONFIG_` symbol is taken as set except
/// the ones turned off here. The default turns none off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Symbols without `CONFIG_`, sorted.
    off: Arc<[String]>,
}

impl Policy {
    /// Take the symbols `off` (without `CONFIG_`) as unset.
    pub fn new(off: impl IntoIterator<Item = String>) -> Policy {
        let mut v: Vec<String> = off.into_iter().collect();
        v.sort();
        v.dedup();
        Policy { off: v.into() }
    }

    /// The symbols taken as unset (without `CONFIG_`), sorted.
    pub fn off(&self) -> &[String] {
        &self.off
    }

    /// Is the configuration symbol `n` (`CONFIG_X`) taken as set?
    pub fn config_true(&self, n: &str) -> bool {
        n.strip_prefix("CONFIG_")
            .is_none_or(|s| self.off.binary_search_by(|x| x.as_str().cmp(s)).is_err())
    }
}

/// A preprocessing directive.
#[derive(Debug, Clone)]
pub enum Dir {
    Define(String, Arc<Def>),
    Undef(String),
    Include { quoted: bool, path: String },
    If(Vec<Tok>),
    Ifdef(String),
    Ifndef(String),
    Elif(Vec<Tok>),
    Else,
    Endif,
}

/// Call `f(line, logical line)` for every directive of comment-free
/// `text` (continuations joined); blank directive lines in `code`.
pub fn directives(text: &[u8], mut code: Option<&mut Vec<u8>>, mut f: impl FnMut(u32, &[u8])) {
    let mut pos = 0;
    let mut line: u32 = 1;
    let n = text.len();
    let mut buf: Vec<u8> = Vec::new();
    while pos < n {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(n, |e| pos + e);
        let l = &text[pos..end];
        let first = l.iter().position(|c| !c.is_ascii_whitespace());
        if first.is_some_and(|f| l[f] == b'#') {
            // Logical line with continuations.
            let mut e = end;
            let mut lines = 1u32;
            let cont = |x: &[u8]| x.last().is_some_and(|c| *c == b'\\' || *c == b'\r');
            let logical: &[u8] = if cont(l) && e < n {
                buf.clear();
                buf.extend_from_slice(l);
                while cont(&buf) && e < n {
                    while cont(&buf) {
                        buf.pop();
                    }
                    buf.push(b' ');
                    let s = e + 1;
                    let ne = memchr::memchr(b'\n', &text[s..]).map_or(n, |x| s + x);
                    buf.extend_from_slice(&text[s..ne]);
                    e = ne;
                    lines += 1;
                }
                &buf
            } else {
                l
            };
            if let Some(code) = code.as_deref_mut() {
                for b in &mut code[pos..e] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
            }
            f(line, logical);
            line += lines;
            pos = e + 1;
        } else {
            line += 1;
            pos = end + 1;
        }
    }
}

/// `(keyword, rest)` of a directive line.
pub fn split_directive(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    let s = s.strip_prefix('#')?.trim_start();
    Some(match s.find(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    })
}

pub fn word(r: &str) -> &str {
    r.trim()
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
}

pub fn parse_directive(l: &[u8]) -> Option<Dir> {
    let s = crate::lex::text(l);
    let (kw, rest) = split_directive(&s)?;
    let word = |r: &str| word(r).to_string();
    Some(match kw {
        "define" => {
            let (n, m) = Def::new(rest)?;
            Dir::Define(n, Arc::new(m))
        }
        "undef" => Dir::Undef(word(rest)),
        "include" => {
            let r = rest.trim();
            if let Some(q) = r.strip_prefix('"') {
                Dir::Include {
                    quoted: true,
                    path: q.split('"').next()?.to_string(),
                }
            } else if let Some(q) = r.strip_prefix('<') {
                Dir::Include {
                    quoted: false,
                    path: q.split('>').next()?.to_string(),
                }
            } else {
                return None;
            }
        }
        "if" => Dir::If(tokenize(rest.as_bytes(), 0)),
        "elif" => Dir::Elif(tokenize(rest.as_bytes(), 0)),
        "ifdef" => Dir::Ifdef(word(rest)),
        "ifndef" => Dir::Ifndef(word(rest)),
        "else" => Dir::Else,
        "endif" => Dir::Endif,
        _ => return None,
    })
}

/// `#if` nesting state. Each open conditional also records the `CONFIG_`
/// symbols its branch requires ([`config_requirements`]), so the symbols
/// that must be on for a line are known from the same pass.
#[derive(Default)]
pub struct CondStack {
    /// Which `CONFIG_` symbols count as set.
    policy: Policy,
    /// (parent active, this branch active, some branch taken)
    st: Vec<(bool, bool, bool)>,
    /// Per open conditional: the symbols (without `CONFIG_`) its current
    /// branch requires, with the directive's line.
    req: Vec<Vec<(String, u32)>>,
    /// Inactive line ranges so far, bounded by their directive lines.
    ranges: Vec<(u32, u32)>,
    /// The directive line where the current inactive range began.
    inactive_from: Option<u32>,
}

impl CondStack {
    /// An empty stack deciding configuration tests by `policy`.
    pub fn new(policy: Policy) -> CondStack {
        CondStack {
            policy,
            ..Default::default()
        }
    }

    pub fn active(&self) -> bool {
        self.st.last().is_none_or(|s| s.0 && s.1)
    }

    /// Handle a conditional directive at `line`; true if `d` was one.
    /// `defined` answers `defined(X)` / `#ifdef X`; `macros` expands the
    /// rest of an `#if`.
    pub fn handle(
        &mut self,
        d: &Dir,
        line: u32,
        defined: &dyn Fn(&str) -> bool,
        macros: &dyn MacroSource,
    ) -> bool {
        let act = self.active();
        let reqs = |names: Vec<String>| names.into_iter().map(|n| (n, line)).collect::<Vec<_>>();
        match d {
            Dir::If(t) => {
                let v = act && eval_if(t, defined, macros, &self.policy);
                self.st.push((act, v, v));
                self.req.push(reqs(config_requirements(t)));
            }
            Dir::Ifdef(n) => {
                let v = act && defined(n);
                self.st.push((act, v, v));
                self.req.push(reqs(
                    n.strip_prefix("CONFIG_")
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                ));
            }
            Dir::Ifndef(n) => {
                let v = act && !defined(n);
                self.st.push((act, v, v));
                self.req.push(Vec::new());
            }
            Dir::Elif(t) => {
                if let Some(top) = self.st.last().copied() {
                    let v = top.0 && !top.2 && eval_if(t, defined, macros, &self.policy);
                    *self.st.last_mut().unwrap() = (top.0, v, top.2 || v);
                }
                // Another branch: what the first one required no longer holds.
                if let Some(r) = self.req.last_mut() {
                    r.clear();
                }
            }
            Dir::Else => {
                if let Some(top) = self.st.last().copied() {
                    *self.st.last_mut().unwrap() = (top.0, !top.2, true);
                }
                if let Some(r) = self.req.last_mut() {
                    r.clear();
                }
            }
            Dir::Endif => {
                self.st.pop();
                self.req.pop();
            }
            _ => return false,
        }
        match (act, self.active()) {
            (true, false) => self.inactive_from = Some(line),
            (false, true) => self.ranges.extend(self.inactive_from.take().map(|f| (f, line))),
            _ => {}
        }
        true
    }

    /// The inactive line ranges (exclusive bounds: the directive lines),
    /// an unclosed one running to the end.
    pub fn inactive_ranges(&self) -> Vec<(u32, u32)> {
        let mut r = self.ranges.clone();
        r.extend(self.inactive_from.map(|f| (f, u32::MAX)));
        r
    }

    /// The `CONFIG_` symbols (without the prefix) the open conditionals
    /// require, outermost first, with the line of the directive.
    pub fn requirements(&self) -> Vec<(String, u32)> {
        self.req.iter().flatten().cloned().collect()
    }
}

/// The `CONFIG_` symbols that must be on for each line of a file: the
/// [`CondStack::requirements`] after each of its conditional directives.
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    marks: Vec<(u32, Vec<(String, u32)>)>,
}

impl Requirements {
    /// Note the state after the conditional directive at `line`.
    pub fn record(&mut self, line: u32, st: &CondStack) {
        self.marks.push((line, st.requirements()));
    }

    /// The symbols (without `CONFIG_`, with the line of their `#if`) the
    /// conditionals around `line` require: their positive tests; `#else`
    /// branches, negations and `||` require nothing.
    pub fn at(&self, line: u32) -> &[(String, u32)] {
        let i = self.marks.partition_point(|(l, _)| *l < line);
        i.checked_sub(1).map_or(&[], |i| self.marks[i].1.as_slice())
    }

    /// The requirements of a whole source text (comments are stripped
    /// here), for code read without preprocessing it.
    pub fn of_text(src: &[u8]) -> Requirements {
        let text = crate::lex::strip_comments(src);
        let mut st = CondStack::default();
        let mut r = Requirements::default();
        let none = crate::macros::MacroMap::default();
        directives(&text, None, |line, l| {
            // Which branch is active does not change what each requires.
            if parse_directive(l).is_some_and(|d| st.handle(&d, line, &|_| true, &none)) {
                r.record(line, &st);
            }
        });
        r
    }
}

/// Is `line` strictly inside one of `ranges` ([`CondStack::inactive_ranges`])?
/// `cursor` is advanced over the ranges ending before it: call with
/// non-decreasing lines.
pub fn in_ranges(ranges: &[(u32, u32)], cursor: &mut usize, line: u32) -> bool {
    while *cursor < ranges.len() && line > ranges[*cursor].1 {
        *cursor += 1;
    }
    *cursor < ranges.len() && line > ranges[*cursor].0 && line < ranges[*cursor].1
}

/// Blank (spaces; newlines kept) every line of `code` (numbered from 1)
/// inside one of `ranges`.
pub fn blank_ranges(code: &mut [u8], ranges: &[(u32, u32)]) {
    let mut line = 1u32;
    let mut ri = 0;
    for b in code.iter_mut() {
        if *b == b'\n' {
            line += 1;
        } else if in_ranges(ranges, &mut ri, line) {
            *b = b' ';
        }
    }
}

/// The `CONFIG_` symbols (without the prefix) an `#if` expression requires
/// to be on: its top-level `&&` conjuncts that are a single positive test
/// (`CONFIG_X`, `defined(CONFIG_X)`, `defined CONFIG_X`,
/// `IS_ENABLED/IS_BUILTIN/IS_MODULE/IS_REACHABLE(CONFIG_X)`). An `||`
/// anywhere makes the whole expression no requirement; negated conjuncts
/// are skipped.
pub fn config_requirements(toks: &[Tok]) -> Vec<String> {
    if toks.iter().any(|t| t.is("||")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in toks.split(|t| t.is("&&")) {
        let mut p = part;
        while let [first, rest @ ..] = p {
            if first.is("(") {
                p = rest;
            } else {
                break;
            }
        }
        while let [rest @ .., last] = p {
            if last.is(")") {
                p = rest;
            } else {
                break;
            }
        }
        let name = match p {
            [n] => Some(n),
            [f, n] if f.s == "defined" => Some(n),
            // `f ( n )`, its `)` gone with the trailing ones.
            [f, o, n]
                if o.is("(")
                    && matches!(
                        f.s.as_str(),
                        "defined" | "IS_ENABLED" | "IS_BUILTIN" | "IS_MODULE" | "IS_REACHABLE"
                    ) =>
            {
                Some(n)
            }
            _ => None,
        };
        if let Some(n) = name
            .filter(|n| n.k == K::Ident)
            .and_then(|n| n.s.strip_prefix("CONFIG_"))
        {
            out.push(n.to_string());
        }
    }
    out
}

/// Evaluate a `#if` expression: `defined` answered by `defined`, the
/// configuration tests by `policy`, the rest macro-expanded through
/// `macros` and evaluated with unknown identifiers as 0.
pub fn eval_if(
    toks: &[Tok],
    defined: &dyn Fn(&str) -> bool,
    macros: &dyn MacroSource,
    policy: &Policy,
) -> bool {
    // 1. defined / IS_ENABLED & co, before expansion.
    let mut pre: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    let one = |v: bool, like: &Tok| {
        let mut t = like.clone();
        t.k = K::Num;
        t.s = if v { "1".into() } else { "0".into() };
        t
    };
    while i < toks.len() {
        let t = &toks[i];
        if t.k == K::Ident && t.s == "defined" {
            if i + 1 < toks.len() && toks[i + 1].is("(") && i + 3 < toks.len() {
                pre.push(one(defined(&toks[i + 2].s), t));
                i += 4;
                continue;
            } else if i + 1 < toks.len() {
                pre.push(one(defined(&toks[i + 1].s), t));
                i += 2;
                continue;
            }
        }
        if t.k == K::Ident
            && matches!(
                t.s.as_str(),
                "IS_ENABLED" | "IS_BUILTIN" | "IS_MODULE" | "IS_REACHABLE"
            )
            && i + 3 < toks.len()
            && toks[i + 1].is("(")
            && toks[i + 3].is(")")
        {
            pre.push(one(policy.config_true(&toks[i + 2].s), t));
            i += 4;
            continue;
        }
        pre.push(t.clone());
        i += 1;
    }
    let mut ex = Expander::new(macros, &[]);
    let mut e = ex.expand(&pre);
    for t in &mut e {
        if t.k == K::Ident && t.s.starts_with("CONFIG_") {
            t.s = if policy.config_true(&t.s) { "1" } else { "0" }.into();
            t.k = K::Num;
        }
    }
    Eval::eval(&e, true).is_some_and(|v| truthy(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::tokenize_str;

    #[test]
    fn requirements_of_if_expressions() {
        let r = |e: &str| config_requirements(&tokenize_str(e));
        assert_eq!(r("IS_ENABLED(CONFIG_A)"), ["A"]);
        assert_eq!(r("defined(CONFIG_A) && !defined(CONFIG_B)"), ["A"]);
        assert_eq!(r("(defined(CONFIG_A) && defined CONFIG_B)"), ["A", "B"]);
        assert_eq!(r("CONFIG_A && IS_REACHABLE(CONFIG_B)"), ["A", "B"]);
        assert!(r("defined(CONFIG_A) || defined(CONFIG_B)").is_empty());
        assert!(r("IS_ENABLED(CONFIG_A) == 0").is_empty());
        assert!(r("CONFIG_A > 3").is_empty());
        assert!(r("LINUX_VERSION_CODE").is_empty());
    }

    #[test]
    fn the_policy_decides_configuration_tests() {
        let p = Policy::new(["ARM".to_string(), "CPU_BIG_ENDIAN".to_string()]);
        assert!(!p.config_true("CONFIG_ARM") && p.config_true("CONFIG_ARM64"));
        assert!(p.config_true("ARM"), "only CONFIG_ names are configuration tests");
        let none = crate::macros::MacroMap::default();
        let e = |x: &str, p: &Policy| eval_if(&tokenize_str(x), &|n| p.config_true(n), &none, p);
        assert!(!e("IS_ENABLED(CONFIG_ARM) || defined(CONFIG_CPU_BIG_ENDIAN)", &p));
        assert!(e("CONFIG_ARM64 && !CONFIG_ARM", &p));
        assert!(e("IS_ENABLED(CONFIG_ARM)", &Policy::default()));
    }
}
