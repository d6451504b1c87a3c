//! Constant expressions: integers (with casts), strings, `?:`, as `#if`
//! and initializers need them.

use crate::lex::{Tok, K};

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
                _ => {
                    // `\"`, `\\`, ... or an escaped multi-byte character.
                    let ch = s[i..].chars().next().unwrap_or('?');
                    out.push(ch);
                    i += ch.len_utf8();
                    continue;
                }
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
                // An unterminated literal (arbitrary text) keeps its last
                // character: cutting it could split a UTF-8 sequence.
                let mut s = unescape(t.str_body().unwrap_or_default());
                while let Some(n) = self.peek() {
                    if let Some(b) = n.str_body() {
                        s.push_str(&unescape(b));
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
