//! `menu_finalize` (`scripts/kconfig/menu.c`): propagates dependencies from
//! menus, `if` blocks and `depends on` into every property condition, builds
//! reverse dependencies (`select`) and weak reverse dependencies (`imply`),
//! creates the implicit submenus of symbols whose following entries depend on
//! them, flattens `if` blocks, and (6.1) sets up choice values.
//!
//! Unlike C, expressions are not simplified (`expr_transform`,
//! `expr_eliminate_dups`); those rewrites preserve values.

use std::sync::Arc;

use crate::expr::{CmpOp, Expr, ExprRef};
use crate::model::*;

/// `rewrite_m`: `m` becomes `m && MODULES`.
fn rewrite_m(e: &Option<ExprRef>, modules: SymbolId) -> Option<ExprRef> {
    fn go(e: &ExprRef, modules: SymbolId) -> ExprRef {
        match &**e {
            Expr::Not(a) => Arc::new(Expr::Not(go(a, modules))),
            Expr::And(a, b) => Arc::new(Expr::And(go(a, modules), go(b, modules))),
            Expr::Or(a, b) => Arc::new(Expr::Or(go(a, modules), go(b, modules))),
            Expr::Symbol(s) if *s == SYM_MOD => Arc::new(Expr::And(e.clone(), Model::sym_expr(modules))),
            _ => e.clone(),
        }
    }
    e.as_ref().map(|e| go(e, modules))
}

/// `expr_depends_symbol`.
fn depends_symbol(e: &Expr, sym: SymbolId) -> bool {
    match e {
        Expr::And(a, b) => depends_symbol(a, sym) || depends_symbol(b, sym),
        Expr::Symbol(s) => *s == sym,
        Expr::Cmp(CmpOp::Eq, s, v) => *s == sym && (*v == SYM_YES || *v == SYM_MOD),
        Expr::Cmp(CmpOp::Ne, s, v) => *s == sym && *v == SYM_NO,
        _ => false,
    }
}

fn and_terms<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::And(a, b) => {
            and_terms(a, out);
            and_terms(b, out);
        }
        _ => out.push(e),
    }
}

/// Approximation of the superset test of `_menu_finalize`: every conjunct of
/// `base` also appears in `dep`.
fn superset(dep: &Expr, base: Option<&ExprRef>) -> bool {
    let Some(base) = base else { return true };
    let (mut d, mut b) = (Vec::new(), Vec::new());
    and_terms(dep, &mut d);
    and_terms(base, &mut b);
    b.iter().all(|t| d.iter().any(|x| x == t))
}

fn children(m: &Model, parent: MenuId) -> Vec<MenuId> {
    let mut v = Vec::new();
    let mut c = m.menus[parent.index()].list;
    while let Some(id) = c {
        v.push(id);
        c = m.menus[id.index()].next;
    }
    v
}

pub(crate) fn menu_finalize(m: &mut Model) {
    let root = m.root;
    finalize(m, root, false);
}

fn finalize(m: &mut Model, parent: MenuId, inside_choice: bool) {
    let legacy = m.dialect == Dialect::Legacy;
    let sym = m.menus[parent.index()].sym;
    let is_choice = sym.is_some_and(|s| m.symbols[s.index()].choice_block.is_some());
    let modules = m.modules_sym;
    if m.menus[parent.index()].list.is_some() {
        let parentdep = if legacy && is_choice {
            let s = sym.unwrap_or(SYM_NO);
            if m.symbols[s.index()].ty == SymbolType::Unknown {
                let first = children(m, parent)
                    .into_iter()
                    .filter_map(|c| m.menus[c.index()].sym)
                    .map(|cs| m.symbols[cs.index()].ty)
                    .find(|t| *t != SymbolType::Unknown);
                if let Some(t) = first {
                    m.symbols[s.index()].ty = t;
                }
            }
            let ty = m.symbols[s.index()].ty;
            for c in children(m, parent) {
                if let Some(cs) = m.menus[c.index()].sym {
                    if m.symbols[cs.index()].ty == SymbolType::Unknown {
                        m.symbols[cs.index()].ty = ty;
                    }
                }
            }
            Some(Model::sym_expr(s))
        } else {
            m.menus[parent.index()].dep.clone()
        };
        for menu in children(m, parent) {
            let basedep = rewrite_m(&m.menus[menu.index()].dep, modules);
            let basedep = Expr::and(parentdep.clone(), basedep);
            m.menus[menu.index()].dep = basedep.clone();
            let props: Vec<PropId> = match m.menus[menu.index()].sym {
                Some(s) => m.symbols[s.index()].props.clone(),
                None => m.menus[menu.index()].prompt.into_iter().collect(),
            };
            for p in props {
                if m.props[p.index()].menu != menu {
                    continue;
                }
                let dep = rewrite_m(&m.props[p.index()].cond, modules);
                let dep = Expr::and(basedep.clone(), dep);
                m.props[p.index()].cond = dep.clone();
                let kind = m.props[p.index()].kind;
                if kind == PropKind::Select || kind == PropKind::Imply {
                    let (Some(es), Some(ms)) = (m.props[p.index()].target, m.menus[menu.index()].sym) else {
                        continue;
                    };
                    let term = Expr::and(Some(Model::sym_expr(ms)), dep);
                    let t = &mut m.symbols[es.index()];
                    if kind == PropKind::Select {
                        t.rev_dep = Expr::or(t.rev_dep.take(), term);
                    } else {
                        t.implied = Expr::or(t.implied.take(), term);
                    }
                }
            }
        }
        let mut c = m.menus[parent.index()].list;
        while let Some(menu) = c {
            finalize(m, menu, !legacy && is_choice);
            c = m.menus[menu.index()].next;
        }
    } else if let (Some(s), false) = (sym, inside_choice) {
        // Implicit submenu for entries that depend on this symbol.
        let basedep = m.menus[parent.index()]
            .prompt
            .and_then(|p| m.props[p.index()].cond.clone());
        let mut last_menu = None;
        let mut cur = m.menus[parent.index()].next;
        while let Some(menu) = cur {
            let node = &m.menus[menu.index()];
            let dep = match node.prompt {
                Some(p) => m.props[p.index()].cond.clone(),
                None => node.dep.clone(),
            };
            let Some(dep) = dep else { break };
            if !dep.contains_symbol(s) {
                break;
            }
            if !depends_symbol(&dep, s) && !superset(&dep, basedep.as_ref()) {
                break;
            }
            finalize(m, menu, false);
            m.menus[menu.index()].parent = Some(parent);
            last_menu = Some(menu);
            cur = m.menus[menu.index()].next;
        }
        if let Some(last) = last_menu {
            let pn = m.menus[parent.index()].next;
            m.menus[parent.index()].list = pn;
            m.menus[parent.index()].next = m.menus[last.index()].next;
            m.menus[last.index()].next = None;
        }
        let pd = m.menus[parent.index()].dep.clone();
        let symr = &mut m.symbols[s.index()];
        symr.dir_dep = Expr::or(symr.dir_dep.take(), pd);
    }
    let mut c = m.menus[parent.index()].list;
    while let Some(menu) = c {
        // Flatten entries without prompt (`if` blocks).
        let has_text = m.menus[menu.index()]
            .prompt
            .is_some_and(|p| m.props[p.index()].text.is_some());
        if m.menus[menu.index()].list.is_some() && !has_text {
            let mut last = m.menus[menu.index()].list;
            let mut last_id = None;
            while let Some(l) = last {
                m.menus[l.index()].parent = Some(parent);
                last_id = Some(l);
                last = m.menus[l.index()].next;
            }
            if let Some(l) = last_id {
                m.menus[l.index()].next = m.menus[menu.index()].next;
                m.menus[menu.index()].next = m.menus[menu.index()].list;
                m.menus[menu.index()].list = None;
            }
        }
        if legacy && is_choice {
            if let (Some(cs), Some(ms)) = (sym, m.menus[menu.index()].sym) {
                if m.symbols[ms.index()].choice.is_none() {
                    if let Some(cid) = m.symbols[cs.index()].choice_block {
                        m.symbols[ms.index()].choice = Some(cid);
                        if m.symbols[cs.index()].ty == SymbolType::Tristate
                            && m.symbols[ms.index()].ty != SymbolType::Tristate
                        {
                            let basedep = Arc::new(Expr::Cmp(CmpOp::Eq, cs, SYM_YES));
                            let md = m.menus[menu.index()].dep.take();
                            m.menus[menu.index()].dep = Expr::and(Some(basedep.clone()), md);
                            for p in m.symbols[ms.index()].props.clone() {
                                if m.props[p.index()].menu != menu {
                                    continue;
                                }
                                let pc = m.props[p.index()].cond.take();
                                m.props[p.index()].cond = Expr::and(Some(basedep.clone()), pc);
                            }
                        }
                        m.choices[cid.index()].members.push(ms);
                    }
                }
            }
        }
        c = m.menus[menu.index()].next;
    }
    if legacy {
        if let Some(s) = sym {
            if !m.symbols[s.index()].optional {
                if let Some(p) = m.menus[parent.index()].prompt {
                    let cond = m.props[p.index()].cond.clone();
                    let term = Expr::and(cond, Some(Model::sym_expr(SYM_MOD)));
                    let symr = &mut m.symbols[s.index()];
                    symr.rev_dep = Expr::or(symr.rev_dep.take(), term);
                }
            }
        }
    }
}
