//! Expressions and tristate logic (the `expr.c` part of the engine).
//!
//! An *expression* is what follows `depends on`, `if`, `default`, `visible if`:
//! symbols combined with `!`, `&&`, `||`, parentheses and the relations
//! `= != < <= > >=`. Constants (`y`, `m`, `n`, `"quoted"`, numbers) are
//! symbols too, exactly like in the C implementation, so the only leaves of an
//! [`Expr`] are [`SymbolId`]s.

use std::sync::Arc;

use crate::model::SymbolId;

/// A tristate value: `n` < `m` < `y`, represented as 0, 1, 2.
///
/// `&&` is the minimum, `||` the maximum and `!x` is `2 - x`
/// (`EXPR_AND`/`EXPR_OR`/`EXPR_NOT` in `expr.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Tristate {
    /// `n`
    #[default]
    No = 0,
    /// `m`
    Mod = 1,
    /// `y`
    Yes = 2,
}

impl Tristate {
    /// `a && b` (minimum).
    pub fn and(self, o: Tristate) -> Tristate {
        self.min(o)
    }
    /// `a || b` (maximum).
    pub fn or(self, o: Tristate) -> Tristate {
        self.max(o)
    }
    /// `!a` (2 - a).
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Tristate {
        match self {
            Tristate::No => Tristate::Yes,
            Tristate::Mod => Tristate::Mod,
            Tristate::Yes => Tristate::No,
        }
    }
    /// `"n"`, `"m"` or `"y"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tristate::No => "n",
            Tristate::Mod => "m",
            Tristate::Yes => "y",
        }
    }
    /// Parses `n`/`m`/`y` (only the first character counts, case-insensitive,
    /// like `sym_string_valid`/`sym_set_string_value`).
    pub fn parse(s: &str) -> Option<Tristate> {
        match s.as_bytes().first() {
            Some(b'n' | b'N') => Some(Tristate::No),
            Some(b'm' | b'M') => Some(Tristate::Mod),
            Some(b'y' | b'Y') => Some(Tristate::Yes),
            _ => None,
        }
    }
}

impl std::fmt::Display for Tristate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A relation between two symbols (`E_EQUAL`, `E_UNEQUAL`, `E_LTH`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written in Kconfig.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// Shared, immutable expression node. Dependency propagation shares subtrees
/// between many properties, so nodes are reference counted.
pub type ExprRef = Arc<Expr>;

/// A Kconfig expression.
///
/// | Kconfig          | `Expr`                                   |
/// |------------------|------------------------------------------|
/// | `A`              | `Symbol(A)`                              |
/// | `A = "foo"`      | `Cmp(Eq, A, <const "foo">)`              |
/// | `!A`             | `Not(A)`                                 |
/// | `A && B && C`    | `And(And(A, B), C)` (left associative)   |
/// | `A \|\| B`       | `Or(A, B)`                               |
///
/// An absent condition (no `depends on`, no `if`) is `None` wherever an
/// `Option<ExprRef>` is used, and means `y`.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A symbol (or a constant such as `y`, `"foo"`, `0x10`).
    Symbol(SymbolId),
    /// `left op right`
    Cmp(CmpOp, SymbolId, SymbolId),
    /// `!e`
    Not(ExprRef),
    /// `a && b`
    And(ExprRef, ExprRef),
    /// `a || b`
    Or(ExprRef, ExprRef),
}

/// Where [`Expr::print`] meets a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// An operand of `!`, `&&`, `||`, or the whole expression.
    Alone,
    /// A side of a relation (`A = "foo"`).
    Compared,
}

impl Expr {
    /// `Some(a) && Some(b)`, with `None` meaning "no condition" (like `expr_alloc_and`).
    pub fn and(a: Option<ExprRef>, b: Option<ExprRef>) -> Option<ExprRef> {
        match (a, b) {
            (None, b) => b,
            (a, None) => a,
            (Some(a), Some(b)) => Some(Arc::new(Expr::And(a, b))),
        }
    }
    /// `Some(a) || Some(b)`, with `None` meaning "no term" (like `expr_alloc_or`).
    pub fn or(a: Option<ExprRef>, b: Option<ExprRef>) -> Option<ExprRef> {
        match (a, b) {
            (None, b) => b,
            (a, None) => a,
            (Some(a), Some(b)) => Some(Arc::new(Expr::Or(a, b))),
        }
    }
    /// Does the expression mention `sym` anywhere (`expr_contains_symbol`)?
    pub fn contains_symbol(&self, sym: SymbolId) -> bool {
        match self {
            Expr::Symbol(s) => *s == sym,
            Expr::Cmp(_, a, b) => *a == sym || *b == sym,
            Expr::Not(e) => e.contains_symbol(sym),
            Expr::And(a, b) | Expr::Or(a, b) => a.contains_symbol(sym) || b.contains_symbol(sym),
        }
    }
    /// Renders the expression in Kconfig syntax into `out` (`expr_print`
    /// with its callback): the operators, `!` and the parentheses the
    /// precedence needs are written here, each symbol by `sym`, which is
    /// told whether the symbol stands alone or is a side of a comparison.
    /// Callers supply names, quoting and annotations (`A [=y]`):
    /// [`crate::Kconfig::expr_to_string`] and kfit-solve's blocker texts.
    pub fn print(&self, out: &mut String, sym: &mut impl FnMut(&mut String, SymbolId, Place)) {
        self.print_prec(out, 0, sym)
    }

    fn print_prec(&self, out: &mut String, prec: u8, sym: &mut impl FnMut(&mut String, SymbolId, Place)) {
        let (op, own, a, b) = match self {
            Expr::Symbol(s) => return sym(out, *s, Place::Alone),
            Expr::Cmp(op, a, b) => {
                sym(out, *a, Place::Compared);
                out.push(' ');
                out.push_str(op.as_str());
                out.push(' ');
                return sym(out, *b, Place::Compared);
            }
            Expr::Not(a) => {
                out.push('!');
                return a.print_prec(out, 3, sym);
            }
            Expr::And(a, b) => (" && ", 2, a, b),
            Expr::Or(a, b) => (" || ", 1, a, b),
        };
        if prec > own {
            out.push('(');
        }
        a.print_prec(out, own, sym);
        out.push_str(op);
        b.print_prec(out, own, sym);
        if prec > own {
            out.push(')');
        }
    }

    /// Calls `f` for every symbol the expression mentions.
    pub fn for_each_symbol(&self, f: &mut impl FnMut(SymbolId)) {
        match self {
            Expr::Symbol(s) => f(*s),
            Expr::Cmp(_, a, b) => {
                f(*a);
                f(*b)
            }
            Expr::Not(e) => e.for_each_symbol(f),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.for_each_symbol(f);
                b.for_each_symbol(f)
            }
        }
    }
}
