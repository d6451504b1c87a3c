//! The evaluator: `sym_calc_value`, `sym_calc_visibility`, choices and
//! ranges from `scripts/kconfig/symbol.c`, for both dialects.
//!
//! Evaluation is memoised per symbol with a VALID flag exactly like the C
//! code (including "set default if recursively called"), so running the same
//! sequence of operations as `conf` yields the same values and the same
//! WRITE flags (which decide whether a symbol appears in `.config`).

use std::sync::Arc;

use crate::expr::{CmpOp, Expr, Tristate};
use crate::model::*;

pub(crate) const VALID: u8 = 1;
pub(crate) const WRITE: u8 = 2;
pub(crate) const DEF_USER: u8 = 4;

#[derive(Clone, Debug)]
pub(crate) struct SymState {
    pub tri: Tristate,
    pub val: Arc<str>,
    pub visible: Tristate,
    pub dir_dep: Tristate,
    pub rev_dep: Tristate,
    pub implied: Tristate,
    pub flags: u8,
    pub user_tri: Tristate,
    pub user_val: Option<Arc<str>>,
    /// Legacy choices: the member read as `y` (`def[S_DEF_USER].val`).
    pub choice_user: Option<SymbolId>,
    /// Legacy choices: the selected member (`curr.val`).
    pub choice_cur: Option<SymbolId>,
}

#[derive(Clone, Debug)]
pub(crate) struct State {
    pub syms: Vec<SymState>,
    pub prop_vis: Vec<Tristate>,
    pub modules_val: Tristate,
    /// Modern choices: member priority lists (`choice_members`).
    pub choice_order: Vec<Vec<SymbolId>>,
    /// `conf_get_changed()`.
    pub changed: bool,
    /// Unmet-dependency warnings produced while evaluating (symbol names).
    pub unmet: Vec<SymbolId>,
    pub debug: bool,
    pub stack: Vec<SymbolId>,
}

fn s_n() -> Arc<str> {
    Arc::from("n")
}

impl State {
    pub fn new(m: &Model) -> State {
        let n = s_n();
        let empty: Arc<str> = Arc::from("");
        let syms = m
            .symbols
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (tri, val, flags) = match i {
                    0 => (Tristate::No, n.clone(), VALID),
                    1 => (Tristate::Mod, Arc::from("m"), VALID),
                    2 => (Tristate::Yes, Arc::from("y"), VALID),
                    _ => (
                        Tristate::No,
                        if s.ty.is_tristate_like() {
                            n.clone()
                        } else {
                            empty.clone()
                        },
                        0,
                    ),
                };
                SymState {
                    tri,
                    val,
                    visible: Tristate::No,
                    dir_dep: Tristate::No,
                    rev_dep: Tristate::No,
                    implied: Tristate::No,
                    flags,
                    user_tri: Tristate::No,
                    user_val: None,
                    choice_user: None,
                    choice_cur: None,
                }
            })
            .collect();
        State {
            syms,
            prop_vis: vec![Tristate::No; m.props.len()],
            modules_val: Tristate::No,
            choice_order: m.choices.iter().map(|c| c.members.clone()).collect(),
            changed: true,
            unmet: Vec::new(),
            debug: std::env::var_os("KFIT_KCONFIG_DEBUG").is_some(),
            stack: Vec::new(),
        }
    }
}

pub(crate) struct Ev<'a> {
    pub m: &'a Model,
    pub s: &'a mut State,
}

/// `strtoll(s, NULL, base)`: lenient, saturating, 0 when nothing parses.
pub(crate) fn strtoll_lenient(s: &str, base: u32) -> i64 {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] as char).is_ascii_whitespace() {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut base = base;
    if (base == 16 || base == 0)
        && i + 2 < b.len() + 1
        && i + 1 < b.len()
        && b[i] == b'0'
        && (b[i + 1] | 0x20) == b'x'
        && i + 2 < b.len()
        && (b[i + 2] as char).is_ascii_hexdigit()
    {
        i += 2;
        base = 16;
    } else if base == 0 {
        base = if i < b.len() && b[i] == b'0' { 8 } else { 10 };
    }
    let mut v: i128 = 0;
    while i < b.len() {
        let Some(d) = (b[i] as char).to_digit(base) else {
            break;
        };
        v = (v * base as i128 + d as i128).min(i128::from(u64::MAX) * 4);
        i += 1;
    }
    if neg {
        v = -v;
    }
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Signed(i64),
    Unsigned(u64),
}

/// `strtoll`/`strtoull` with full validation, as `expr_parse_string` uses them.
fn c_strto(s: &str, base: u32, unsigned: bool) -> Option<u64> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut base = base;
    if (base == 16 || base == 0)
        && i + 2 < b.len()
        && b[i] == b'0'
        && (b[i + 1] | 0x20) == b'x'
        && (b[i + 2] as char).is_ascii_hexdigit()
    {
        i += 2;
        base = 16;
    } else if base == 0 {
        base = if i < b.len() && b[i] == b'0' { 8 } else { 10 };
    }
    let start = i;
    let mut v: u128 = 0;
    let mut overflow = false;
    while i < b.len() {
        let Some(d) = (b[i] as char).to_digit(base) else {
            break;
        };
        v = v * base as u128 + d as u128;
        if v > u64::MAX as u128 {
            overflow = true;
            v = u64::MAX as u128 + 1;
        }
        i += 1;
    }
    if i == start || i != b.len() || overflow {
        return None;
    }
    if !(b[i - 1] as char).is_ascii_hexdigit() {
        return None;
    }
    if unsigned {
        let v = v as u64;
        Some(if neg { v.wrapping_neg() } else { v })
    } else {
        if neg {
            if v > (i64::MAX as u128) + 1 {
                return None;
            }
            Some((v as i128).wrapping_neg() as i64 as u64)
        } else {
            if v > i64::MAX as u128 {
                return None;
            }
            Some(v as u64)
        }
    }
}

impl Ev<'_> {
    fn sym(&self, id: SymbolId) -> &Symbol {
        &self.m.symbols[id.index()]
    }
    fn st(&mut self, id: SymbolId) -> &mut SymState {
        &mut self.s.syms[id.index()]
    }

    /// `sym_get_type`.
    pub fn get_type(&self, id: SymbolId) -> SymbolType {
        effective_type(self.m, self.s, id)
    }

    fn is_choice_value(&self, id: SymbolId) -> bool {
        self.sym(id).choice.is_some()
    }

    /// `expr_calc_value`.
    pub fn expr(&mut self, e: &Expr) -> Tristate {
        match e {
            Expr::Symbol(s) => {
                self.calc_value(*s);
                self.s.syms[s.index()].tri
            }
            // Short-circuit: `n && x` is n and `y || x` is y whatever x is.
            // C's expr_calc_value evaluates both sides, but computing a
            // symbol has no effect besides memoizing its value, and every
            // symbol is computed by `settle` anyway, so only the order in
            // which values get memoized differs. Kconfig trees have no
            // dependency loops (conf rejects them), so values are the same;
            // the conformance tests compare whole configs with conf's.
            // Most of a MODULES=n tree sits behind a disabled menu, whose
            // dependency is the leftmost conjunct of each condition inside.
            Expr::And(a, b) => match self.expr(a) {
                Tristate::No => Tristate::No,
                x => x.and(self.expr(b)),
            },
            Expr::Or(a, b) => match self.expr(a) {
                Tristate::Yes => Tristate::Yes,
                x => x.or(self.expr(b)),
            },
            Expr::Not(a) => self.expr(a).not(),
            Expr::Cmp(op, a, b) => {
                self.calc_value(*a);
                self.calc_value(*b);
                cmp_values(self.m, self.s, *op, *a, *b)
            }
        }
    }

    fn opt_expr(&mut self, e: &Option<crate::expr::ExprRef>, none: Tristate) -> Tristate {
        match e {
            Some(e) => self.expr(e),
            None => none,
        }
    }

    /// `sym_calc_visibility`.
    pub fn calc_visibility(&mut self, id: SymbolId) {
        let m = self.m;
        let sym = &m.symbols[id.index()];
        let legacy = m.dialect == Dialect::Legacy;
        let choice_sym = if legacy {
            sym.choice.map(|c| m.choices[c.index()].sym)
        } else {
            None
        };
        let mut tri = Tristate::No;
        for &p in &sym.props {
            let prop = &m.props[p.index()];
            if prop.text.is_none() {
                continue;
            }
            let mut v = self.opt_expr(&prop.cond, Tristate::Yes);
            if let Some(cs) = choice_sym {
                if sym.ty == SymbolType::Tristate
                    && v == Tristate::Mod
                    && self.s.syms[cs.index()].tri == Tristate::Yes
                {
                    v = Tristate::No;
                }
            }
            self.s.prop_vis[p.index()] = v;
            tri = tri.or(v);
        }
        if tri == Tristate::Mod && (sym.ty != SymbolType::Tristate || self.s.modules_val == Tristate::No) {
            tri = Tristate::Yes;
        }
        self.st(id).visible = tri;
        if sym.choice.is_some() {
            return;
        }
        let bool_ty = self.get_type(id) == SymbolType::Bool;
        let fix = |t: Tristate| {
            if t == Tristate::Mod && bool_ty {
                Tristate::Yes
            } else {
                t
            }
        };
        let d = self.opt_expr(&sym.dir_dep, Tristate::Yes);
        self.st(id).dir_dep = fix(d);
        let r = self.opt_expr(&sym.rev_dep, Tristate::No);
        self.st(id).rev_dep = fix(r);
        let i = self.opt_expr(&sym.implied, Tristate::No);
        self.st(id).implied = fix(i);
    }

    /// `sym_get_default_prop`.
    fn default_prop(&mut self, id: SymbolId) -> Option<PropId> {
        self.first_prop(id, PropKind::Default)
    }

    fn first_prop(&mut self, id: SymbolId, kind: PropKind) -> Option<PropId> {
        let m = self.m;
        for &p in &m.symbols[id.index()].props {
            let prop = &m.props[p.index()];
            if prop.kind != kind {
                continue;
            }
            let v = self.opt_expr(&prop.cond, Tristate::Yes);
            self.s.prop_vis[p.index()] = v;
            if v != Tristate::No {
                return Some(p);
            }
        }
        None
    }

    fn prop_symbol(&self, p: PropId) -> Option<SymbolId> {
        match self.m.props[p.index()].expr.as_deref() {
            Some(Expr::Symbol(s)) => Some(*s),
            _ => None,
        }
    }

    /// `sym_calc_value`.
    pub fn calc_value(&mut self, id: SymbolId) {
        if self.s.syms[id.index()].flags & VALID != 0 {
            if self.s.debug && self.s.stack.contains(&id) {
                let names: Vec<_> = self
                    .s
                    .stack
                    .iter()
                    .map(|x| self.m.symbols[x.index()].name.clone())
                    .collect();
                eprintln!(
                    "recursion: {} -> {}",
                    names.join(" -> "),
                    self.m.symbols[id.index()].name
                );
            }
            return;
        }
        self.st(id).flags |= VALID;
        if self.s.debug {
            self.s.stack.push(id);
        }
        self.calc_value_inner(id);
        if self.s.debug {
            self.s.stack.pop();
        }
    }

    fn calc_value_inner(&mut self, id: SymbolId) {
        let m = self.m;
        let sym = &m.symbols[id.index()];
        let modern = m.dialect == Dialect::Modern;
        let mut newval: Arc<str> = match sym.ty {
            SymbolType::Int if modern => Arc::from("0"),
            SymbolType::Hex if modern => Arc::from("0x0"),
            SymbolType::Int | SymbolType::Hex | SymbolType::String => Arc::from(""),
            SymbolType::Bool | SymbolType::Tristate => s_n(),
            SymbolType::Unknown => {
                let st = self.st(id);
                st.val = Arc::from(sym.name.as_str());
                st.tri = Tristate::No;
                return;
            }
        };
        let mut newtri = Tristate::No;
        self.st(id).flags &= !WRITE;
        self.calc_visibility(id);
        if self.s.syms[id.index()].visible != Tristate::No {
            self.st(id).flags |= WRITE;
        }
        // set default if recursively called
        {
            let st = self.st(id);
            st.tri = Tristate::No;
            st.val = newval.clone();
        }
        let is_choice = sym.choice_block.is_some();
        match self.get_type(id) {
            SymbolType::Bool | SymbolType::Tristate => {
                let st = &self.s.syms[id.index()];
                let (visible, rev_dep) = (st.visible, st.rev_dep);
                let mut handled = false;
                if modern {
                    if let Some(c) = self.choice_menu_of(id) {
                        self.calc_choice_modern(c);
                        newtri = self.s.syms[id.index()].tri;
                        handled = true;
                    }
                } else if self.is_choice_value(id) && visible == Tristate::Yes {
                    let c = sym.choice.map(|c| m.choices[c.index()].sym);
                    newtri = if c.and_then(|c| self.s.syms[c.index()].choice_cur) == Some(id) {
                        Tristate::Yes
                    } else {
                        Tristate::No
                    };
                    handled = true;
                }
                if !handled {
                    let st = &self.s.syms[id.index()];
                    if visible != Tristate::No && st.flags & DEF_USER != 0 {
                        newtri = st.user_tri.and(visible);
                    } else {
                        if rev_dep != Tristate::No {
                            self.st(id).flags |= WRITE;
                        }
                        if !is_choice {
                            if let Some(p) = self.default_prop(id) {
                                let e = m.props[p.index()].expr.clone();
                                let v = self.opt_expr(&e, Tristate::No);
                                newtri = v.and(self.s.prop_vis[p.index()]);
                                if newtri != Tristate::No {
                                    self.st(id).flags |= WRITE;
                                }
                            }
                            let st = &self.s.syms[id.index()];
                            let (implied, dir_dep) = (st.implied, st.dir_dep);
                            if implied != Tristate::No {
                                self.st(id).flags |= WRITE;
                                newtri = newtri.or(implied).and(dir_dep);
                            }
                        }
                    }
                    let st = &self.s.syms[id.index()];
                    if st.dir_dep < st.rev_dep && !self.s.unmet.contains(&id) {
                        self.s.unmet.push(id);
                    }
                    newtri = newtri.or(self.s.syms[id.index()].rev_dep);
                }
                if newtri == Tristate::Mod && self.get_type(id) == SymbolType::Bool {
                    newtri = Tristate::Yes;
                }
            }
            SymbolType::String | SymbolType::Hex | SymbolType::Int => {
                let st = &self.s.syms[id.index()];
                if st.visible != Tristate::No && st.flags & DEF_USER != 0 {
                    if let Some(u) = &st.user_val {
                        newval = u.clone();
                    }
                } else if let Some(p) = self.default_prop(id) {
                    if let Some(ds) = self.prop_symbol(p) {
                        self.st(id).flags |= WRITE;
                        self.calc_value(ds);
                        newval = self.s.syms[ds.index()].val.clone();
                    }
                }
            }
            SymbolType::Unknown => {}
        }
        {
            let st = self.st(id);
            st.tri = newtri;
            st.val = newval;
        }
        if !modern && is_choice && newtri == Tristate::Yes {
            let c = self.calc_choice_legacy(id);
            self.st(id).choice_cur = c;
        }
        self.validate_range(id);
        if id == m.modules_sym {
            self.s.modules_val = self.s.syms[id.index()].tri;
        }
        if is_choice {
            if modern {
                self.st(id).flags &= !WRITE;
            } else {
                if let Some(c) = sym.choice_block {
                    let write = self.s.syms[id.index()].flags & WRITE != 0;
                    for &mem in &m.choices[c.index()].members {
                        if write && self.s.syms[mem.index()].visible != Tristate::No {
                            self.st(mem).flags |= WRITE;
                        }
                    }
                }
                // SYMBOL_NO_WRITE
                self.st(id).flags &= !WRITE;
            }
        }
    }

    /// `sym_get_choice_menu` (modern): the choice whose block holds the
    /// symbol's first prompted definition.
    pub fn choice_menu_of(&self, id: SymbolId) -> Option<ChoiceId> {
        if let Some(c) = self.m.choice_menu.get(id.index()) {
            return *c;
        }
        compute_choice_menu(self.m, id)
    }
}

/// `sym_get_choice_menu` computed from the menu tree.
pub(crate) fn compute_choice_menu(m: &Model, id: SymbolId) -> Option<ChoiceId> {
    {
        let menu = m.symbols[id.index()]
            .menus
            .iter()
            .copied()
            .find(|mm| m.menus[mm.index()].prompt.is_some())?;
        let mut p = m.menus[menu.index()].parent;
        while let Some(pm) = p {
            if let Some(s) = m.menus[pm.index()].sym {
                return m.symbols[s.index()].choice_block;
            }
            p = m.menus[pm.index()].parent;
        }
        None
    }
}

impl Ev<'_> {
    fn sub_entries(&self, root: MenuId) -> Vec<SymbolId> {
        let mut out = Vec::new();
        let mut cur = self.m.menu_next(root, root);
        while let Some(mm) = cur {
            if let Some(s) = self.m.menus[mm.index()].sym {
                out.push(s);
            }
            cur = self.m.menu_next(mm, root);
        }
        out
    }

    /// `sym_choice_default` (modern).
    pub fn choice_default_modern(&mut self, c: ChoiceId) -> Option<SymbolId> {
        let m = self.m;
        let ch = &m.choices[c.index()];
        for &p in &m.symbols[ch.sym.index()].props {
            let prop = &m.props[p.index()];
            if prop.kind != PropKind::Default {
                continue;
            }
            let v = self.opt_expr(&prop.cond, Tristate::Yes);
            self.s.prop_vis[p.index()] = v;
            if v == Tristate::No {
                continue;
            }
            if let Some(ds) = self.prop_symbol(p) {
                if self.s.syms[ds.index()].visible != Tristate::No {
                    return Some(ds);
                }
            }
        }
        self.sub_entries(ch.menu)
            .into_iter()
            .find(|&s| self.s.syms[s.index()].visible != Tristate::No)
    }

    /// `sym_calc_choice` (modern).
    pub fn calc_choice_modern(&mut self, c: ChoiceId) -> Option<SymbolId> {
        let order = self.s.choice_order[c.index()].clone();
        let mut res = None;
        for &s in &order {
            self.calc_visibility(s);
            let st = &self.s.syms[s.index()];
            if st.visible == Tristate::No {
                continue;
            }
            if st.flags & DEF_USER != 0 && st.user_tri == Tristate::Yes {
                res = Some(s);
                break;
            }
        }
        if res.is_none() {
            res = self.choice_default_modern(c);
            if let Some(r) = res {
                let st = &self.s.syms[r.index()];
                if st.flags & DEF_USER != 0 && st.user_tri == Tristate::No {
                    res = None;
                }
            }
        }
        let subs = self.sub_entries(self.m.choices[c.index()].menu);
        if res.is_none() {
            res = subs.iter().copied().find(|&s| {
                let st = &self.s.syms[s.index()];
                st.visible != Tristate::No && st.flags & DEF_USER == 0
            });
        }
        if res.is_none() {
            res = order
                .iter()
                .rev()
                .copied()
                .find(|&s| self.s.syms[s.index()].visible != Tristate::No);
        }
        for s in subs {
            let st = self.st(s);
            if st.visible == Tristate::No {
                continue;
            }
            st.tri = if Some(s) == res {
                Tristate::Yes
            } else {
                Tristate::No
            };
            st.flags |= VALID | WRITE;
        }
        res
    }

    /// `sym_choice_default` (legacy).
    fn choice_default_legacy(&mut self, cs: SymbolId) -> Option<SymbolId> {
        let m = self.m;
        for &p in &m.symbols[cs.index()].props {
            let prop = &m.props[p.index()];
            if prop.kind != PropKind::Default {
                continue;
            }
            let v = self.opt_expr(&prop.cond, Tristate::Yes);
            self.s.prop_vis[p.index()] = v;
            if v == Tristate::No {
                continue;
            }
            if let Some(ds) = self.prop_symbol(p) {
                if self.s.syms[ds.index()].visible != Tristate::No {
                    return Some(ds);
                }
            }
        }
        let c = m.symbols[cs.index()].choice_block?;
        m.choices[c.index()]
            .members
            .iter()
            .copied()
            .find(|&s| self.s.syms[s.index()].visible != Tristate::No)
    }

    /// `sym_calc_choice` (legacy).
    fn calc_choice_legacy(&mut self, cs: SymbolId) -> Option<SymbolId> {
        let m = self.m;
        let c = m.symbols[cs.index()].choice_block?;
        let mut flags = self.s.syms[cs.index()].flags;
        for &mem in &m.choices[c.index()].members {
            self.calc_visibility(mem);
            if self.s.syms[mem.index()].visible != Tristate::No {
                flags &= self.s.syms[mem.index()].flags;
            }
        }
        self.st(cs).flags &= flags | !DEF_USER;
        if let Some(u) = self.s.syms[cs.index()].choice_user {
            if self.s.syms[u.index()].visible != Tristate::No {
                return Some(u);
            }
        }
        let d = self.choice_default_legacy(cs);
        if d.is_none() {
            self.st(cs).tri = Tristate::No;
        }
        d
    }

    fn range_val(&mut self, s: SymbolId, base: u32) -> i64 {
        self.calc_value(s);
        let base = match self.m.symbols[s.index()].ty {
            SymbolType::Int => 10,
            SymbolType::Hex => 16,
            _ => base,
        };
        strtoll_lenient(&self.s.syms[s.index()].val, base)
    }

    /// `sym_get_range_prop`.
    pub fn range_prop(&mut self, id: SymbolId) -> Option<PropId> {
        self.first_prop(id, PropKind::Range)
    }

    /// `sym_validate_range`.
    fn validate_range(&mut self, id: SymbolId) {
        let base = match self.m.symbols[id.index()].ty {
            SymbolType::Int => 10,
            SymbolType::Hex => 16,
            _ => return,
        };
        let Some(p) = self.range_prop(id) else { return };
        let Some((lo, hi)) = self.m.props[p.index()].range else {
            return;
        };
        let val = strtoll_lenient(&self.s.syms[id.index()].val, base);
        let mut range_sym = lo;
        let v2 = self.range_val(lo, base);
        if val >= v2 {
            range_sym = hi;
            let v2 = self.range_val(hi, base);
            if val <= v2 {
                return;
            }
        }
        let v = self.s.syms[range_sym.index()].val.clone();
        self.st(id).val = v;
    }

    /// `sym_string_within_range`.
    pub fn string_within_range(&mut self, id: SymbolId, s: &str) -> bool {
        let ty = self.m.symbols[id.index()].ty;
        match ty {
            SymbolType::String => true,
            SymbolType::Int | SymbolType::Hex => {
                if !string_valid(ty, s) {
                    return false;
                }
                let Some(p) = self.range_prop(id) else { return true };
                let Some((lo, hi)) = self.m.props[p.index()].range else {
                    return true;
                };
                let base = if ty == SymbolType::Int { 10 } else { 16 };
                let v = strtoll_lenient(s, base);
                v >= self.range_val(lo, base) && v <= self.range_val(hi, base)
            }
            SymbolType::Bool | SymbolType::Tristate => Tristate::parse(s).is_some_and(|t| {
                if ty == SymbolType::Bool && t == Tristate::Mod {
                    return false;
                }
                true
            }),
            SymbolType::Unknown => false,
        }
    }
}

/// `sym_get_type`: tristates are bools when MODULES is `n` (and, in 6.1,
/// for choice values of a choice in `y` mode).
pub(crate) fn effective_type(m: &Model, s: &State, id: SymbolId) -> SymbolType {
    let sym = &m.symbols[id.index()];
    if sym.ty != SymbolType::Tristate {
        return sym.ty;
    }
    if m.dialect == Dialect::Legacy && sym.choice.is_some() && s.syms[id.index()].visible == Tristate::Yes {
        return SymbolType::Bool;
    }
    if s.modules_val == Tristate::No {
        SymbolType::Bool
    } else {
        SymbolType::Tristate
    }
}

/// The string value (`sym_get_string_value`).
pub(crate) fn string_value(m: &Model, s: &State, id: SymbolId) -> Arc<str> {
    let st = &s.syms[id.index()];
    match m.symbols[id.index()].ty {
        SymbolType::Bool | SymbolType::Tristate => Arc::from(st.tri.as_str()),
        _ => st.val.clone(),
    }
}

fn parse_kind(s: &str, ty: SymbolType) -> Kind {
    match ty {
        SymbolType::Bool | SymbolType::Tristate => Kind::Signed(match s {
            "n" => 0,
            "m" => 1,
            "y" => 2,
            _ => -1,
        }),
        SymbolType::Int => c_strto(s, 10, false).map_or(Kind::Str, |v| Kind::Signed(v as i64)),
        SymbolType::Hex => c_strto(s, 16, true).map_or(Kind::Str, Kind::Unsigned),
        _ => c_strto(s, 0, false).map_or(Kind::Str, |v| Kind::Signed(v as i64)),
    }
}

/// Relation evaluation of `__expr_calc_value` (both symbols must be valid).
pub(crate) fn cmp_values(m: &Model, s: &State, op: CmpOp, a: SymbolId, b: SymbolId) -> Tristate {
    let s1 = string_value(m, s, a);
    let s2 = string_value(m, s, b);
    let (t1, t2) = (m.symbols[a.index()].ty, m.symbols[b.index()].ty);
    let (k1, k2) = if t1 != SymbolType::String || t2 != SymbolType::String {
        (parse_kind(&s1, t1), parse_kind(&s2, t2))
    } else {
        (Kind::Str, Kind::Str)
    };
    use std::cmp::Ordering;
    let bits = |k: Kind| match k {
        Kind::Signed(v) => v as u64,
        Kind::Unsigned(v) => v,
        Kind::Str => 0,
    };
    let res: Ordering = match (k1, k2) {
        (Kind::Str, _) | (_, Kind::Str) => s1.as_bytes().cmp(s2.as_bytes()),
        (Kind::Unsigned(_), _) | (_, Kind::Unsigned(_)) => bits(k1).cmp(&bits(k2)),
        (Kind::Signed(x), Kind::Signed(y)) => x.cmp(&y),
    };
    let r = match op {
        CmpOp::Eq => res == Ordering::Equal,
        CmpOp::Ne => res != Ordering::Equal,
        CmpOp::Lt => res == Ordering::Less,
        CmpOp::Le => res != Ordering::Greater,
        CmpOp::Gt => res == Ordering::Greater,
        CmpOp::Ge => res != Ordering::Less,
    };
    if r {
        Tristate::Yes
    } else {
        Tristate::No
    }
}

/// Pure evaluation once every symbol is valid (no memoisation needed).
pub(crate) fn eval_pure(m: &Model, s: &State, e: &Expr) -> Tristate {
    match e {
        Expr::Symbol(x) => s.syms[x.index()].tri,
        Expr::And(a, b) => eval_pure(m, s, a).and(eval_pure(m, s, b)),
        Expr::Or(a, b) => eval_pure(m, s, a).or(eval_pure(m, s, b)),
        Expr::Not(a) => eval_pure(m, s, a).not(),
        Expr::Cmp(op, a, b) => cmp_values(m, s, *op, *a, *b),
    }
}

/// `sym_string_valid`.
pub(crate) fn string_valid(ty: SymbolType, s: &str) -> bool {
    let b = s.as_bytes();
    match ty {
        SymbolType::String => true,
        SymbolType::Int => {
            let mut i = 0;
            if b.first() == Some(&b'-') {
                i = 1;
            }
            let Some(&c) = b.get(i) else { return false };
            if !c.is_ascii_digit() {
                return false;
            }
            if c == b'0' && i + 1 < b.len() {
                return false;
            }
            b[i + 1..].iter().all(u8::is_ascii_digit)
        }
        SymbolType::Hex => {
            let r = if b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
                &b[2..]
            } else {
                b
            };
            !r.is_empty() && r.iter().all(u8::is_ascii_hexdigit)
        }
        SymbolType::Bool | SymbolType::Tristate => {
            matches!(b.first(), Some(b'y' | b'Y' | b'm' | b'M' | b'n' | b'N'))
        }
        SymbolType::Unknown => false,
    }
}
