//! A small C preprocessor: tokenizer, `#define`/`#if` handling and a macro
//! expander good enough for device-ID tables, driver structs and
//! `MODULE_FIRMWARE`/`MODULE_ALIAS` arguments in the kernel.
//!
//! What is implemented: object- and function-like macros (incl. `__VA_ARGS__`
//! and GNU named variadics `x...`), `#` stringification, `##` pasting, the
//! usual "painted blue" recursion rule, `#if` expressions with `defined`.
//! Policy for configuration-dependent conditionals: kfit indexes every driver
//! whatever the config, so `CONFIG_*`, `IS_ENABLED()`, `IS_BUILTIN()`,
//! `IS_MODULE()` and `IS_REACHABLE()` are taken as true (except the few in
//! [`FALSE_CONFIGS`], which select another architecture or endianness).

use compact_str::CompactString;
use std::collections::HashMap;
use std::sync::Arc;

/// Source position: `line << 20`, plus the line inside a header whose code
/// is inlined at that line. Orders macro definitions against code.
pub type Pos = u64;

/// Line of a position.
pub fn line_of(p: Pos) -> u32 {
    (p >> 20) as u32
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
    pub fn is(&self, p: &str) -> bool {
        self.s == p && self.k != K::Str && self.k != K::Char
    }
    fn new(k: K, s: &str) -> Tok {
        Tok {
            k,
            s: CompactString::from(s),
            sp: false,
            line: 0,
            noexp: false,
        }
    }
}

/// Config symbols taken as false: they select another architecture or
/// endianness than the x86-64 target.
pub const FALSE_CONFIGS: &[&str] = &[
    "CONFIG_CPU_BIG_ENDIAN",
    "CONFIG_X86_32",
    "CONFIG_64BIT_NOT",
    "CONFIG_PPC",
    "CONFIG_SPARC",
    "CONFIG_ARM",
    "CONFIG_MIPS",
];

/// Length of the punctuator at the start of `rest` (1 if none of the
/// multi-character ones): `...`, `<<=`, `>>=`, then `->`, `++`, `--`, `<<`,
/// `>>`, `<=`, `>=`, `==`, `!=`, `&&`, `||`, `+=`, `-=`, `*=`, `/=`, `%=`,
/// `&=`, `^=`, `|=`, `##`.
fn punct_len(rest: &[u8]) -> usize {
    let a = rest[0];
    let b = rest.get(1).copied().unwrap_or(0);
    let c = rest.get(2).copied().unwrap_or(0);
    match (a, b, c) {
        (b'.', b'.', b'.') | (b'<', b'<', b'=') | (b'>', b'>', b'=') => 3,
        (b'-', b'>' | b'-' | b'=', _)
        | (b'+', b'+' | b'=', _)
        | (b'<', b'<' | b'=', _)
        | (b'>', b'>' | b'=', _)
        | (b'=' | b'!' | b'*' | b'/' | b'%' | b'^', b'=', _)
        | (b'&', b'&' | b'=', _)
        | (b'|', b'|' | b'=', _)
        | (b'#', b'#', _) => 2,
        _ => 1,
    }
}

/// Tokenize `src` (comments already removed or not: both are handled).
pub fn tokenize(src: &[u8], first_line: Pos) -> Vec<Tok> {
    let mut out = Vec::with_capacity(src.len() / 6);
    // Token texts are slices of the whole text when it is valid UTF-8 (it
    // nearly always is): one validation instead of one per token.
    let whole = std::str::from_utf8(src).ok();
    let mut i = 0;
    let n = src.len();
    let mut line = first_line;
    let mut sp = false;
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
            i += punct_len(&src[i..]);
            k = K::Punct;
        }
        let end = i.min(n);
        let s = match whole.and_then(|w| w.get(start..end)) {
            Some(x) => CompactString::from(x),
            None => {
                let bytes = &src[start..end];
                match std::str::from_utf8(bytes) {
                    Ok(x) => CompactString::from(x),
                    Err(_) => CompactString::from(String::from_utf8_lossy(bytes).as_ref()),
                }
            }
        };
        out.push(Tok {
            k,
            s,
            sp,
            line,
            noexp: false,
        });
        sp = false;
    }
    out
}

/// A macro definition.
#[derive(Clone, Debug)]
pub struct Macro {
    /// `None` for object-like macros.
    pub params: Option<Vec<String>>,
    pub variadic: bool,
    pub body: Vec<Tok>,
}

/// The macro name after `#define` (leading blanks skipped): its byte
/// range in `rest`, `None` when there is no identifier.
pub(crate) fn define_name(rest: &str) -> Option<(usize, usize)> {
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    let s = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    (i > s).then_some((s, i))
}

/// Parse the text after `#define`.
pub fn parse_define(rest: &str) -> Option<(String, Macro)> {
    let b = rest.as_bytes();
    let (s, mut i) = define_name(rest)?;
    let name = rest[s..i].to_string();
    let mut params = None;
    let mut variadic = false;
    if i < b.len() && b[i] == b'(' {
        let close = rest[i..].find(')')? + i;
        let mut ps = Vec::new();
        for p in rest[i + 1..close].split(',') {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            if p == "..." {
                variadic = true;
                ps.push("__VA_ARGS__".to_string());
            } else if let Some(q) = p.strip_suffix("...") {
                variadic = true;
                ps.push(q.trim().to_string());
            } else {
                ps.push(p.to_string());
            }
        }
        params = Some(ps);
        i = close + 1;
    }
    let mut body = tokenize(&rest.as_bytes()[i..], 0);
    if let Some(f) = body.first_mut() {
        f.sp = false;
    }
    Some((
        name,
        Macro {
            params,
            variadic,
            body,
        },
    ))
}

/// FxHash (rustc's): a fast non-cryptographic hash for identifier keys.
#[derive(Default, Clone, Copy)]
pub struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut c = bytes.chunks_exact(8);
        for w in &mut c {
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w.try_into().unwrap())).wrapping_mul(K);
        }
        for &b in c.remainder() {
            h = (h.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
        self.0 = h;
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<Fx>;
pub type FxMap<K, V> = HashMap<K, V, FxBuild>;
/// Macros by name.
pub type MacroMap = FxMap<String, Arc<Macro>>;

/// Where macros come from while expanding.
pub trait MacroSource {
    /// The macro `name` as defined for code at source line `line`.
    fn get(&self, name: &str, pos: Pos) -> Option<&Macro>;
}

impl MacroSource for MacroMap {
    fn get(&self, name: &str, _pos: Pos) -> Option<&Macro> {
        HashMap::get(self, name).map(|a| a.as_ref())
    }
}

/// Macro expander with a step budget (so pathological input cannot hang).
pub struct Expander<'a> {
    pub src: &'a dyn MacroSource,
    /// Names never expanded (kept as plain identifiers).
    pub blocked: &'a [&'a str],
    budget: usize,
}

enum Item {
    T(Tok),
    End(String),
}

impl<'a> Expander<'a> {
    pub fn new(src: &'a dyn MacroSource, blocked: &'a [&'a str]) -> Self {
        Expander {
            src,
            blocked,
            budget: 2_000_000,
        }
    }

    /// Fully macro-expand a token list.
    pub fn expand(&mut self, toks: &[Tok]) -> Vec<Tok> {
        let mut active: Vec<String> = Vec::new();
        self.expand_with(toks, &mut active)
    }

    fn expand_with(&mut self, toks: &[Tok], active: &mut Vec<String>) -> Vec<Tok> {
        // Work list, reversed (pop from the end).
        let mut work: Vec<Item> = toks.iter().rev().cloned().map(Item::T).collect();
        let mut out = Vec::with_capacity(toks.len());
        let base = active.len();
        while let Some(it) = work.pop() {
            let mut t = match it {
                Item::End(name) => {
                    if let Some(p) = active.iter().rposition(|a| *a == name) {
                        active.remove(p);
                    }
                    continue;
                }
                Item::T(t) => t,
            };
            if t.k != K::Ident || t.noexp {
                out.push(t);
                continue;
            }
            if self.budget == 0 {
                out.push(t);
                continue;
            }
            self.budget -= 1;
            if active.iter().any(|a| *a == t.s) {
                t.noexp = true;
                out.push(t);
                continue;
            }
            if self.blocked.contains(&t.s.as_str()) {
                out.push(t);
                continue;
            }
            let Some(m) = self.src.get(&t.s, t.line) else {
                out.push(t);
                continue;
            };
            let m = m.clone();
            let body = match &m.params {
                None => m.body.clone(),
                Some(params) => {
                    // Need '(' next (skipping End markers).
                    let mut j = work.len();
                    let mut found = false;
                    while j > 0 {
                        match &work[j - 1] {
                            Item::End(_) => j -= 1,
                            Item::T(n) => {
                                found = n.is("(");
                                break;
                            }
                        }
                    }
                    if !found {
                        out.push(t);
                        continue;
                    }
                    // Collect arguments.
                    let mut args: Vec<Vec<Tok>> = vec![Vec::new()];
                    let mut depth = 0i32;
                    let mut ended: Vec<String> = Vec::new();
                    let mut ok = false;
                    while let Some(it) = work.pop() {
                        let a = match it {
                            Item::End(n) => {
                                ended.push(n);
                                continue;
                            }
                            Item::T(a) => a,
                        };
                        if a.k == K::Punct {
                            if a.s == "(" {
                                depth += 1;
                                if depth == 1 {
                                    continue;
                                }
                            } else if a.s == ")" {
                                depth -= 1;
                                if depth == 0 {
                                    ok = true;
                                    break;
                                }
                            } else if a.s == "," && depth == 1 {
                                let np = params.len();
                                if !(m.variadic && args.len() >= np) {
                                    args.push(Vec::new());
                                    continue;
                                }
                            }
                        }
                        args.last_mut().unwrap().push(a);
                    }
                    for n in ended {
                        if let Some(p) = active.iter().rposition(|a| *a == n) {
                            active.remove(p);
                        }
                    }
                    if !ok {
                        out.push(t);
                        continue;
                    }
                    if params.is_empty() && args.len() == 1 && args[0].is_empty() {
                        args.clear();
                    }
                    while args.len() < params.len() {
                        args.push(Vec::new());
                    }
                    self.substitute(&m, params, &args, active)
                }
            };
            work.push(Item::End(t.s.to_string()));
            active.push(t.s.to_string());
            let first_sp = t.sp;
            for (i, mut b) in body.into_iter().enumerate().rev() {
                b.line = t.line;
                if i == 0 {
                    b.sp = first_sp;
                }
                work.push(Item::T(b));
            }
        }
        active.truncate(base);
        out
    }

    fn substitute(
        &mut self,
        m: &Macro,
        params: &[String],
        args: &[Vec<Tok>],
        active: &mut Vec<String>,
    ) -> Vec<Tok> {
        let pidx = |s: &str| params.iter().position(|p| p == s);
        let body = &m.body;
        let mut out: Vec<Tok> = Vec::new();
        let mut expanded_cache: HashMap<usize, Vec<Tok>> = HashMap::new();
        let mut i = 0;
        while i < body.len() {
            let t = &body[i];
            // Stringify.
            if t.is("#") && i + 1 < body.len() {
                if let Some(p) = pidx(&body[i + 1].s) {
                    let mut s = String::from("\"");
                    for (j, a) in args[p].iter().enumerate() {
                        if j > 0 && a.sp {
                            s.push(' ');
                        }
                        if a.k == K::Str || a.k == K::Char {
                            s.push_str(&a.s.replace('\\', "\\\\").replace('"', "\\\""));
                        } else {
                            s.push_str(&a.s);
                        }
                    }
                    s.push('"');
                    let mut nt = Tok::new(K::Str, &s);
                    nt.sp = t.sp;
                    out.push(nt);
                    i += 2;
                    continue;
                }
            }
            let next_is_paste = i + 1 < body.len() && body[i + 1].is("##");
            let prev_is_paste = i > 0 && body[i - 1].is("##");
            if t.is("##") {
                // Paste the last out token with the next (raw) operand.
                i += 1;
                if i >= body.len() {
                    break;
                }
                let nt = &body[i];
                let rhs: Vec<Tok> = match pidx(&nt.s) {
                    Some(p) if nt.k == K::Ident => args[p].clone(),
                    _ => vec![nt.clone()],
                };
                // GNU: , ## __VA_ARGS__ with empty args drops the comma.
                if rhs.is_empty() {
                    let va = nt.s == "__VA_ARGS__" || (m.variadic && pidx(&nt.s) == Some(params.len() - 1));
                    if va && out.last().is_some_and(|l| l.is(",")) {
                        out.pop();
                    }
                    i += 1;
                    continue;
                }
                if let Some(last) = out.pop() {
                    let joined = format!("{}{}", last.s, rhs[0].s);
                    let mut jt = tokenize(joined.as_bytes(), 0);
                    if let Some(f) = jt.first_mut() {
                        f.sp = last.sp;
                    }
                    out.extend(jt);
                    out.extend(rhs[1..].iter().cloned());
                } else {
                    out.extend(rhs);
                }
                i += 1;
                continue;
            }
            if t.k == K::Ident {
                if let Some(p) = pidx(&t.s) {
                    if next_is_paste || prev_is_paste {
                        let mut a = args[p].clone();
                        if let Some(f) = a.first_mut() {
                            f.sp = t.sp;
                        }
                        out.extend(a);
                    } else {
                        let e = match expanded_cache.get(&p) {
                            Some(e) => e.clone(),
                            None => {
                                let e = self.expand_with(&args[p], active);
                                expanded_cache.insert(p, e.clone());
                                e
                            }
                        };
                        let mut e = e;
                        if let Some(f) = e.first_mut() {
                            f.sp = t.sp;
                        }
                        out.extend(e);
                    }
                    i += 1;
                    continue;
                }
            }
            out.push(t.clone());
            i += 1;
        }
        out
    }
}

/// Value of a constant expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Int(i128),
    Str(String),
}

/// Decode a C string literal body (without quotes) to bytes-as-chars.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            i += 1;
            let c = b[i];
            match c {
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'0'..=b'7' => {
                    let mut v = 0u32;
                    let mut k = 0;
                    while k < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                        v = v * 8 + (b[i] - b'0') as u32;
                        i += 1;
                        k += 1;
                    }
                    out.push(char::from_u32(v).unwrap_or('?'));
                    continue;
                }
                b'x' => {
                    let mut v = 0u32;
                    i += 1;
                    while i < b.len() && b[i].is_ascii_hexdigit() {
                        v = v * 16 + (b[i] as char).to_digit(16).unwrap();
                        i += 1;
                    }
                    out.push(char::from_u32(v & 0xff).unwrap_or('?'));
                    continue;
                }
                _ => out.push(c as char),
            }
            i += 1;
        } else {
            // Keep UTF-8 intact.
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

pub fn parse_int(s: &str) -> Option<i128> {
    let t = s.trim_end_matches(['u', 'U', 'l', 'L']);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        (b, 2)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    u128::from_str_radix(digits, radix).ok().map(|v| v as i128)
}

fn char_value(s: &str) -> Option<i128> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let u = unescape(inner);
    u.chars().next().map(|c| c as i128)
}

/// Evaluates an integer/string constant expression. Unknown identifiers are
/// an error unless `ident_zero` (then 0, as in `#if`).
pub struct Eval<'t> {
    toks: &'t [Tok],
    pos: usize,
    ident_zero: bool,
}

const TYPE_WORDS: &[&str] = &[
    "unsigned",
    "signed",
    "int",
    "long",
    "short",
    "char",
    "const",
    "volatile",
    "u8",
    "u16",
    "u32",
    "u64",
    "s8",
    "s16",
    "s32",
    "s64",
    "__u8",
    "__u16",
    "__u32",
    "__u64",
    "__s8",
    "__s16",
    "__s32",
    "__s64",
    "kernel_ulong_t",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "size_t",
    "uintptr_t",
    "void",
    "__le16",
    "__le32",
    "__be16",
    "__be32",
    "bool",
    "__force",
];

impl<'t> Eval<'t> {
    pub fn eval(toks: &'t [Tok], ident_zero: bool) -> Option<Val> {
        let mut e = Eval {
            toks,
            pos: 0,
            ident_zero,
        };
        let v = e.ternary()?;
        if e.pos != toks.len() {
            return None;
        }
        Some(v)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    /// Skip a balanced `( ... )` group starting at the current token.
    fn skip_parens(&mut self) {
        let mut d = 0;
        while let Some(n) = self.peek() {
            let (open, close) = (n.is("("), n.is(")"));
            self.pos += 1;
            if open {
                d += 1;
            } else if close {
                d -= 1;
                if d == 0 {
                    break;
                }
            }
        }
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.peek().is_some_and(|t| t.is(p)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn ternary(&mut self) -> Option<Val> {
        let c = self.binary(0)?;
        if self.eat("?") {
            if self.eat(":") {
                // GNU a ?: b
                let b = self.ternary()?;
                return Some(if truthy(&c) { c } else { b });
            }
            let a = self.ternary()?;
            if !self.eat(":") {
                return None;
            }
            let b = self.ternary()?;
            return Some(if truthy(&c) { a } else { b });
        }
        Some(c)
    }

    fn binary(&mut self, min_prec: u8) -> Option<Val> {
        let mut lhs = self.unary()?;
        while let Some(t) = self.peek() {
            if t.k != K::Punct {
                break;
            }
            let prec = match t.s.as_str() {
                "||" => 1,
                "&&" => 2,
                "|" => 3,
                "^" => 4,
                "&" => 5,
                "==" | "!=" => 6,
                "<" | ">" | "<=" | ">=" => 7,
                "<<" | ">>" => 8,
                "+" | "-" => 9,
                "*" | "/" | "%" => 10,
                _ => break,
            };
            if prec < min_prec {
                break;
            }
            let op = t.s.to_string();
            self.pos += 1;
            let rhs = self.binary(prec + 1)?;
            let (Val::Int(a), Val::Int(b)) = (&lhs, &rhs) else {
                return None;
            };
            let (a, b) = (*a, *b);
            let v = match op.as_str() {
                "||" => ((a != 0) || (b != 0)) as i128,
                "&&" => ((a != 0) && (b != 0)) as i128,
                "|" => a | b,
                "^" => a ^ b,
                "&" => a & b,
                "==" => (a == b) as i128,
                "!=" => (a != b) as i128,
                "<" => (a < b) as i128,
                ">" => (a > b) as i128,
                "<=" => (a <= b) as i128,
                ">=" => (a >= b) as i128,
                "<<" => {
                    if !(0..64).contains(&b) {
                        return None;
                    }
                    a.checked_shl(b as u32)?
                }
                ">>" => {
                    if !(0..127).contains(&b) {
                        return None;
                    }
                    if a < 0 {
                        // ~0UL >> n (GENMASK): a logical shift of the
                        // 64-bit unsigned value.
                        (((a as u128) & u64::MAX as u128) >> b) as i128
                    } else {
                        a >> b
                    }
                }
                "+" => a.checked_add(b)?,
                "-" => a.checked_sub(b)?,
                "*" => a.checked_mul(b)?,
                "/" => a.checked_div(b)?,
                "%" => a.checked_rem(b)?,
                _ => return None,
            };
            lhs = Val::Int(v);
        }
        Some(lhs)
    }

    fn unary(&mut self) -> Option<Val> {
        let t = self.peek()?.clone();
        if t.k == K::Punct {
            match t.s.as_str() {
                "-" | "+" | "~" | "!" => {
                    self.pos += 1;
                    let Val::Int(v) = self.unary()? else {
                        return None;
                    };
                    return Some(Val::Int(match t.s.as_str() {
                        "-" => -v,
                        "+" => v,
                        "~" => {
                            // C: ~ of an unsigned int literal is 32-bit.
                            !v
                        }
                        _ => (v == 0) as i128,
                    }));
                }
                "(" => {
                    // Cast?
                    let save = self.pos;
                    self.pos += 1;
                    let mut is_cast = false;
                    let mut j = self.pos;
                    while j < self.toks.len() {
                        let u = &self.toks[j];
                        if u.k == K::Ident && (TYPE_WORDS.contains(&u.s.as_str())) {
                            j += 1;
                            is_cast = true;
                        } else if u.is("*") && is_cast {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    if is_cast && j < self.toks.len() && self.toks[j].is(")") {
                        self.pos = j + 1;
                        let v = self.unary()?;
                        // Apply width of the cast type.
                        let words: Vec<&str> = self.toks[save + 1..j].iter().map(|t| t.s.as_str()).collect();
                        return Some(cast(v, &words));
                    }
                    self.pos = save + 1;
                    let v = self.ternary()?;
                    if !self.eat(")") {
                        return None;
                    }
                    return Some(v);
                }
                "&" => return None,
                _ => return None,
            }
        }
        self.pos += 1;
        match t.k {
            K::Num => parse_int(&t.s).map(Val::Int),
            K::Char => char_value(&t.s).map(Val::Int),
            K::Str => {
                let mut s = unescape(&t.s[1..t.s.len().saturating_sub(1).max(1)]);
                while let Some(n) = self.peek() {
                    if n.k == K::Str {
                        s.push_str(&unescape(&n.s[1..n.s.len().saturating_sub(1).max(1)]));
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                Some(Val::Str(s))
            }
            K::Ident => {
                if t.s == "NULL" || t.s == "false" {
                    return Some(Val::Int(0));
                }
                if t.s == "true" {
                    return Some(Val::Int(1));
                }
                if t.s == "sizeof" {
                    // BUILD_BUG_ON_ZERO(): sizeof(struct { int:(-!!(e)); }) is 0.
                    if self.peek().is_some_and(|n| n.is("("))
                        && self.toks.get(self.pos + 1).is_some_and(|n| n.s == "struct")
                        && self.toks.get(self.pos + 2).is_some_and(|n| n.is("{"))
                    {
                        self.skip_parens();
                        return Some(Val::Int(0));
                    }
                    return None;
                }
                if self.ident_zero {
                    // Function-like call of an unknown macro in #if: 0.
                    if self.peek().is_some_and(|n| n.is("(")) {
                        self.skip_parens();
                    }
                    Some(Val::Int(0))
                } else {
                    None
                }
            }
            K::Punct => None,
        }
    }
}

fn cast(v: Val, words: &[&str]) -> Val {
    let Val::Int(x) = v else { return v };
    if words.contains(&"*") {
        return Val::Int(x);
    }
    let bits = if words
        .iter()
        .any(|w| matches!(*w, "u8" | "__u8" | "uint8_t" | "char" | "s8" | "__s8"))
    {
        8
    } else if words
        .iter()
        .any(|w| matches!(*w, "u16" | "__u16" | "uint16_t" | "short" | "__le16" | "__be16"))
    {
        16
    } else if words.iter().any(|w| {
        matches!(
            *w,
            "long" | "u64" | "__u64" | "kernel_ulong_t" | "uint64_t" | "size_t" | "uintptr_t"
        )
    }) {
        64
    } else {
        32
    };
    let signed = !words
        .iter()
        .any(|w| w.starts_with('u') || w.starts_with("__u") || *w == "kernel_ulong_t")
        && !words.contains(&"unsigned");
    let mask: i128 = (1i128 << bits) - 1;
    let mut r = x & mask;
    if signed && (r >> (bits - 1)) & 1 == 1 {
        r -= 1i128 << bits;
    }
    Val::Int(r)
}

pub fn truthy(v: &Val) -> bool {
    match v {
        Val::Int(i) => *i != 0,
        Val::Str(_) => true,
    }
}
