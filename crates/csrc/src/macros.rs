//! Macros: `#define` parsing and the expander (object- and function-like
//! macros, `__VA_ARGS__` and GNU named variadics, `#` stringification, `##`
//! pasting, the "painted blue" recursion rule), with a step budget.

use crate::lex::{tokenize, Pos, Tok, K};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

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
pub fn define_name(rest: &str) -> Option<(usize, usize)> {
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

/// Macros by name.
pub type MacroMap = FxHashMap<String, Arc<Macro>>;

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

/// A `#define` whose body is parsed on first use: most of the tens of
/// thousands of register macros a driver's headers define are never
/// expanded.
#[derive(Debug)]
pub struct Def {
    /// The text after `#define` (name, parameters, body).
    rest: Box<str>,
    m: OnceLock<Macro>,
}

impl Def {
    /// The text after `#define`: name, parameters and body, unparsed.
    pub fn text(&self) -> &str {
        &self.rest
    }

    /// `None` where [`parse_define`] would fail (the directive is dropped).
    pub fn new(rest: &str) -> Option<(String, Def)> {
        let b = rest.as_bytes();
        let (s, i) = define_name(rest)?;
        if i < b.len() && b[i] == b'(' && !rest[i..].contains(')') {
            return None;
        }
        Some((
            rest[s..i].to_string(),
            Def {
                rest: rest.into(),
                m: OnceLock::new(),
            },
        ))
    }

    /// An already parsed macro.
    pub fn ready(m: Macro) -> Def {
        Def {
            rest: Box::default(),
            m: OnceLock::from(m),
        }
    }

    pub fn get(&self) -> &Macro {
        self.m
            .get_or_init(|| parse_define(&self.rest).expect("checked by Def::new").1)
    }
}
