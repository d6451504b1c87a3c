//! A macro table read from whole source texts, with their conditionals
//! honoured (the firmware narrowers' reader): a `#define` inside a branch
//! the configuration policy rules out (an `#else` of `IS_ENABLED(...)`, with
//! [`Defines::with_policy`] a block for another architecture) does not
//! count, as in the index's preprocessor; code of such branches can be
//! blanked too. The firmware narrowers read arch-independent driver code
//! with the default policy (every `CONFIG_` symbol set).

use crate::cond::{blank_ranges, directives, parse_directive, CondStack, Dir, Policy};
use crate::eval::{unescape, Eval, Val};
use crate::lex::{Tok, K};
use crate::macros::{parse_define, Expander, MacroMap};
use std::sync::Arc;

/// `#define`s collected from texts, in order, conditionals honoured.
///
/// Expansion ([`Defines::expand`]) sees each macro's last definition in an
/// active branch, also after an `#undef`: the narrowers expand code from
/// anywhere in a file, and a helper undefined after the table that uses it
/// (i915_pci.c's `#undef PLATFORM`) still applies to that table. The `#if`s
/// of the pass see the definitions in order, `#undef` included.
#[derive(Debug, Clone)]
pub struct Defines {
    /// Each name's last active definition.
    pub map: MacroMap,
    /// The state at the end of the texts read (`#undef` applied).
    live: MacroMap,
    /// Which `CONFIG_` symbols count as set.
    policy: Policy,
}

impl Default for Defines {
    /// Starts with `__stringify` as include/linux/stringify.h defines it
    /// (every kernel file gets it through its includes; the narrowers read
    /// single files).
    fn default() -> Self {
        let mut map = MacroMap::default();
        for d in ["__stringify_1(x...) #x", "__stringify(x...) __stringify_1(x)"] {
            if let Some((n, m)) = parse_define(d) {
                map.insert(n, Arc::new(m));
            }
        }
        Defines {
            live: map.clone(),
            map,
            policy: Policy::default(),
        }
    }
}

impl Defines {
    /// [`Defines::default`], deciding configuration tests by `policy`
    /// instead of taking every `CONFIG_` symbol as set.
    pub fn with_policy(policy: Policy) -> Defines {
        Defines {
            policy,
            ..Defines::default()
        }
    }

    /// `#ifdef n`: defined here, or a configuration symbol the policy takes
    /// as set.
    pub fn is_defined(&self, n: &str) -> bool {
        self.live.contains_key(n) || (n.starts_with("CONFIG_") && self.policy.config_true(n))
    }

    /// Run the directives of comment-free `text`: definitions of active
    /// branches are added, `#undef` removes.
    pub fn add_source(&mut self, text: &str) {
        self.run(text, false);
    }

    /// [`Defines::add_source`], returning `text` with every directive line
    /// and every line of an inactive branch blanked (line count kept).
    pub fn active_code(&mut self, text: &str) -> String {
        self.run(text, true)
    }

    fn run(&mut self, text: &str, want_code: bool) -> String {
        let mut code = if want_code {
            text.as_bytes().to_vec()
        } else {
            Vec::new()
        };
        let mut dirs: Vec<(u32, Dir)> = Vec::new();
        directives(text.as_bytes(), want_code.then_some(&mut code), |line, l| {
            if let Some(d) = parse_directive(l) {
                dirs.push((line, d));
            }
        });
        let mut st = CondStack::new(self.policy.clone());
        for (line, d) in &dirs {
            let live = &self.live;
            let policy = &self.policy;
            let defined =
                |n: &str| live.contains_key(n) || (n.starts_with("CONFIG_") && policy.config_true(n));
            if st.handle(d, *line, &defined, live) {
                continue;
            }
            if !st.active() {
                continue;
            }
            match d {
                Dir::Define(n, m) => {
                    let m = Arc::new(m.get().clone());
                    self.live.insert(n.clone(), m.clone());
                    self.map.insert(n.clone(), m);
                }
                Dir::Undef(n) => {
                    self.live.remove(n);
                }
                _ => {}
            }
        }
        if !want_code {
            return String::new();
        }
        blank_ranges(&mut code, &st.inactive_ranges());
        String::from_utf8(code).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Fully macro-expand a token list.
    pub fn expand(&self, toks: &[Tok]) -> Vec<Tok> {
        Expander::new(&self.map, &[]).expand(toks)
    }

    /// Expand tokens and, if the result is only string literals (and
    /// parentheses), return their concatenation.
    pub fn eval_string(&self, toks: &[Tok]) -> Option<String> {
        let mut s = String::new();
        let mut any = false;
        for t in self.expand(toks) {
            match t.str_body() {
                Some(b) => {
                    s.push_str(&unescape(b));
                    any = true;
                }
                None if t.is("(") || t.is(")") => {}
                None => return None,
            }
        }
        any.then_some(s)
    }

    /// Expand tokens and evaluate them as an integer constant expression.
    pub fn eval_int(&self, toks: &[Tok]) -> Option<i64> {
        let exp = self.expand(toks);
        match Eval::eval(&exp, false)? {
            Val::Int(v) => i64::try_from(v).ok(),
            Val::Str(_) => None,
        }
    }
}

/// The first token of kind `k`.
pub fn first_of(toks: &[Tok], k: K) -> Option<&Tok> {
    toks.iter().find(|t| t.k == k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::tokenize_str;

    #[test]
    fn conditionals_decide_which_define_counts() {
        let src = "\
#define A 1
#if IS_ENABLED(CONFIG_FOO)
#define B \"on\"
#else
#define B \"off\"
#endif
#ifdef CONFIG_CPU_BIG_ENDIAN
#define A 2
#endif
#undef C
#define C(x) __stringify(x) \".bin\"
#define D 4
#undef D
#ifdef D
#define E 1
#endif
int x;
#if 0
int y;
#endif
";
        let mut d = Defines::with_policy(Policy::new(["CPU_BIG_ENDIAN".to_string()]));
        let code = d.active_code(src);
        assert_eq!(d.eval_int(&tokenize_str("A")), Some(1));
        let mut all_on = Defines::default();
        all_on.add_source(src);
        assert_eq!(all_on.eval_int(&tokenize_str("A")), Some(2));
        assert_eq!(d.eval_string(&tokenize_str("B")).as_deref(), Some("on"));
        assert_eq!(d.eval_string(&tokenize_str("C(77)")).as_deref(), Some("77.bin"));
        assert_eq!(code.lines().count(), src.lines().count());
        // Undefined for the `#ifdef` after it, still expandable.
        assert!(!d.map.contains_key("E"));
        assert_eq!(d.eval_int(&tokenize_str("D")), Some(4));
        assert!(
            code.contains("int x;") && !code.contains("int y;") && !code.contains('#'),
            "{code}"
        );
    }
}
