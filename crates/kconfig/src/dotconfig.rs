//! Reading and writing `.config` files (`scripts/kconfig/confdata.c`).

use std::sync::Arc;

use crate::eval::{self, Ev, State, DEF_USER, VALID, WRITE};
use crate::expr::Tristate;
use crate::model::*;

/// A problem found while reading a `.config` (the file is still applied,
/// like `conf` does).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfigWarning {
    /// Name of the file given to the reader.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub kind: ConfigWarningKind,
}

/// Kinds of [`ConfigWarning`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ConfigWarningKind {
    /// `CONFIG_X=...` for a symbol no Kconfig file mentions.
    UnknownSymbol(String),
    /// The symbol was already assigned earlier in the file.
    Override(String),
    /// The value does not fit the symbol's type.
    InvalidValue {
        /// Symbol name.
        symbol: String,
        /// Raw value.
        value: String,
    },
    /// A string value without closing quote.
    InvalidString(String),
    /// A line that is neither a comment nor `CONFIG_...=`.
    UnexpectedData(String),
    /// (6.1) a `=m` choice member inside a `y` choice.
    InconsistentChoice(String),
    /// (6.1) a second `=y` member of the same choice.
    ChoiceOverride(String),
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:warning: ", self.file, self.line)?;
        match &self.kind {
            ConfigWarningKind::UnknownSymbol(s) => write!(f, "unknown symbol: {s}"),
            ConfigWarningKind::Override(s) => write!(f, "override: reassigning to symbol {s}"),
            ConfigWarningKind::InvalidValue { symbol, value } => {
                write!(f, "symbol value '{value}' invalid for {symbol}")
            }
            ConfigWarningKind::InvalidString(_) => write!(f, "invalid string found"),
            ConfigWarningKind::UnexpectedData(l) => write!(f, "unexpected data: {l}"),
            ConfigWarningKind::InconsistentChoice(s) => write!(f, "{s} creates inconsistent choice state"),
            ConfigWarningKind::ChoiceOverride(s) => write!(f, "override: {s} changes choice state"),
        }
    }
}

/// `conf_set_sym_val` for the user value slot. Returns false on error.
fn set_sym_val(
    m: &Model,
    s: &mut State,
    id: SymbolId,
    p: &str,
    warn: &mut dyn FnMut(ConfigWarningKind),
) -> bool {
    let sym = &m.symbols[id.index()];
    let st = &mut s.syms[id.index()];
    let first = p.as_bytes().first().copied();
    match sym.ty {
        SymbolType::Bool | SymbolType::Tristate => {
            let t = match first {
                Some(b'm') if sym.ty == SymbolType::Tristate => Tristate::Mod,
                Some(b'y') => Tristate::Yes,
                Some(b'n') => Tristate::No,
                _ => {
                    warn(ConfigWarningKind::InvalidValue {
                        symbol: sym.name.clone(),
                        value: p.to_string(),
                    });
                    return false;
                }
            };
            st.user_tri = t;
            st.flags |= DEF_USER;
            true
        }
        SymbolType::String | SymbolType::Int | SymbolType::Hex => {
            let val: String = if sym.ty == SymbolType::String {
                let Some(rest) = p.strip_prefix('"') else {
                    return true;
                };
                let mut out = Vec::new();
                let b = rest.as_bytes();
                let mut i = 0;
                let mut closed = false;
                while i < b.len() {
                    match b[i] {
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\\' => {
                            if i + 1 < b.len() {
                                out.push(b[i + 1]);
                            }
                            i += 2;
                        }
                        c => {
                            out.push(c);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    warn(ConfigWarningKind::InvalidString(sym.name.clone()));
                    return false;
                }
                String::from_utf8_lossy(&out).into_owned()
            } else {
                p.to_string()
            };
            if eval::string_valid(sym.ty, &val) {
                st.user_val = Some(Arc::from(val.as_str()));
                st.flags |= DEF_USER;
                true
            } else {
                warn(ConfigWarningKind::InvalidValue {
                    symbol: sym.name.clone(),
                    value: p.to_string(),
                });
                false
            }
        }
        SymbolType::Unknown => true,
    }
}

/// `conf_read_simple` + `conf_read` for `S_DEF_USER`.
pub(crate) fn read(m: &Model, s: &mut State, text: &str, name: &str) -> Vec<ConfigWarning> {
    let mut warnings = Vec::new();
    let modern = m.dialect == Dialect::Modern;
    // Start from the state of a fresh `conf` process: stale visibilities
    // from an earlier evaluation would otherwise leak into choices whose
    // priority scan stops early.
    *s = State::new(m);
    s.changed = false;
    let mut lineno = 0u32;
    let mut rest = text;
    while !rest.is_empty() {
        let (line, r) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = r;
        lineno += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut push = |kind| {
            warnings.push(ConfigWarning {
                file: name.to_string(),
                line: lineno,
                kind,
            })
        };
        if line.is_empty() {
            continue;
        }
        let (sym_name, val) = if let Some(c) = line.strip_prefix('#') {
            let Some(p) = c.strip_prefix(' ') else { continue };
            let Some(p) = p.strip_prefix("CONFIG_") else {
                continue;
            };
            let Some(sp) = p.find(' ') else { continue };
            if &p[sp + 1..] != "is not set" {
                continue;
            }
            (&p[..sp], "n")
        } else {
            let Some(p) = line.strip_prefix("CONFIG_") else {
                push(ConfigWarningKind::UnexpectedData(line.to_string()));
                continue;
            };
            let Some(eq) = p.find('=') else {
                push(ConfigWarningKind::UnexpectedData(line.to_string()));
                continue;
            };
            (&p[..eq], &p[eq + 1..])
        };
        let Some(&id) = m.names.get(sym_name) else {
            push(ConfigWarningKind::UnknownSymbol(sym_name.to_string()));
            s.changed = true;
            continue;
        };
        if s.syms[id.index()].flags & DEF_USER != 0 {
            push(ConfigWarningKind::Override(sym_name.to_string()));
        }
        if !set_sym_val(m, s, id, val, &mut push) {
            continue;
        }
        if modern {
            let ev = Ev { m, s };
            if let Some(c) = ev.choice_menu_of(id) {
                let order = &mut s.choice_order[c.index()];
                if let Some(pos) = order.iter().position(|&x| x == id) {
                    order.remove(pos);
                }
                order.insert(0, id);
            }
        } else if let Some(c) = m.symbols[id.index()].choice {
            let cs = m.choices[c.index()].sym;
            let t = s.syms[id.index()].user_tri;
            match t {
                Tristate::No => {}
                Tristate::Mod => {
                    if s.syms[cs.index()].user_tri == Tristate::Yes {
                        push(ConfigWarningKind::InconsistentChoice(sym_name.to_string()));
                        s.syms[cs.index()].flags &= !DEF_USER;
                    }
                }
                Tristate::Yes => {
                    if s.syms[cs.index()].user_tri != Tristate::No {
                        push(ConfigWarningKind::ChoiceOverride(sym_name.to_string()));
                    }
                    s.syms[cs.index()].choice_user = Some(id);
                }
            }
            let ct = &mut s.syms[cs.index()];
            ct.user_tri = ct.user_tri.or(t);
        }
    }
    // conf_read
    let mut unsaved = 0usize;
    {
        let mut ev = Ev { m, s };
        ev.calc_value(m.modules_sym);
        for i in 3..m.symbols.len() {
            let id = SymbolId(i as u32);
            ev.calc_value(id);
            let sym = &m.symbols[i];
            if sym.choice_block.is_some() {
                continue;
            }
            let st = &ev.s.syms[i];
            let has = st.flags & DEF_USER != 0;
            if has && st.flags & WRITE != 0 {
                let same = match sym.ty {
                    SymbolType::Bool | SymbolType::Tristate => st.user_tri == st.tri,
                    _ => st.user_val.as_deref() == Some(&*st.val),
                };
                if same {
                    continue;
                }
            } else if !has && st.flags & WRITE == 0 {
                continue;
            }
            unsaved += 1;
        }
        if !modern {
            for i in 3..m.symbols.len() {
                let id = SymbolId(i as u32);
                let sym = &m.symbols[i];
                if ev.s.syms[i].flags & DEF_USER == 0 || sym.choice.is_some() {
                    continue;
                }
                if ev.s.syms[i].visible == Tristate::No && unsaved == 0 {
                    ev.s.syms[i].flags &= !DEF_USER;
                }
                if matches!(sym.ty, SymbolType::String | SymbolType::Int | SymbolType::Hex) {
                    let uv = ev.s.syms[i].user_val.clone().unwrap_or_else(|| Arc::from(""));
                    if !ev.string_within_range(id, &uv) {
                        ev.s.syms[i].flags &= !(VALID | DEF_USER);
                        unsaved += 1;
                    }
                }
            }
        }
    }
    if !warnings.is_empty() || unsaved > 0 {
        s.changed = true;
    }
    warnings
}

/// Forgets everything derived from an earlier evaluation (visibilities,
/// dependency values), keeping user values: the next evaluation then sees
/// what a fresh `conf` process would see with these user values. (C keeps
/// them, and a choice whose priority scan stops early would otherwise leave
/// stale member visibilities behind.)
pub(crate) fn reset_derived(s: &mut State) {
    for st in s.syms.iter_mut().skip(3) {
        st.visible = Tristate::No;
        st.dir_dep = Tristate::No;
        st.rev_dep = Tristate::No;
        st.implied = Tristate::No;
    }
    s.prop_vis.iter_mut().for_each(|v| *v = Tristate::No);
    s.unmet.clear();
}

/// Clears every VALID flag and recomputes MODULES (`sym_clear_all_valid`).
pub(crate) fn clear_all_valid(m: &Model, s: &mut State) {
    for st in s.syms.iter_mut().skip(3) {
        st.flags &= !VALID;
    }
    s.changed = true;
    let mut ev = Ev { m, s };
    ev.calc_value(m.modules_sym);
}

/// What `conf_write` does before printing: recompute if nothing changed,
/// then evaluate in menu order; finally make every symbol valid so that
/// read-only accessors see settled values.
pub(crate) fn settle(m: &Model, s: &mut State) {
    if !s.changed {
        clear_all_valid(m, s);
    }
    let mut ev = Ev { m, s };
    let mut cur = m.menus[m.root.index()].list;
    while let Some(mm) = cur {
        if let Some(sym) = m.menus[mm.index()].sym {
            if m.symbols[sym.index()].choice_block.is_none() {
                ev.calc_value(sym);
            }
        }
        cur = m.menu_next(mm, m.root);
    }
    for i in 3..m.symbols.len() {
        ev.calc_value(SymbolId(i as u32));
    }
}

/// `menu_is_visible` on settled state.
pub(crate) fn menu_is_visible(m: &Model, s: &State, menu: MenuId) -> bool {
    let node = &m.menus[menu.index()];
    let Some(p) = node.prompt else { return false };
    if let Some(v) = &node.visibility {
        if eval::eval_pure(m, s, v) == Tristate::No {
            return false;
        }
    }
    let visible = match node.sym {
        Some(_) => s.prop_vis[p.index()],
        None => m.props[p.index()]
            .cond
            .as_ref()
            .map_or(Tristate::Yes, |c| eval::eval_pure(m, s, c)),
    };
    if visible != Tristate::No {
        return true;
    }
    let Some(sym) = node.sym else { return false };
    if s.syms[sym.index()].tri == Tristate::No {
        return false;
    }
    let mut c = node.list;
    while let Some(ch) = c {
        if menu_is_visible(m, s, ch) {
            return true;
        }
        c = m.menus[ch.index()].next;
    }
    false
}

fn escape(v: &str) -> String {
    let mut o = String::with_capacity(v.len() + 2);
    o.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

pub(crate) fn print_symbol(m: &Model, s: &State, id: SymbolId, out: &mut String) {
    let sym = &m.symbols[id.index()];
    let val = eval::string_value(m, s, id);
    match sym.ty {
        SymbolType::Unknown => {}
        SymbolType::Bool | SymbolType::Tristate if val.starts_with('n') => {
            out.push_str("# CONFIG_");
            out.push_str(&sym.name);
            out.push_str(" is not set\n");
        }
        SymbolType::String => {
            out.push_str("CONFIG_");
            out.push_str(&sym.name);
            out.push('=');
            out.push_str(&escape(&val));
            out.push('\n');
        }
        _ => {
            out.push_str("CONFIG_");
            out.push_str(&sym.name);
            out.push('=');
            out.push_str(&val);
            out.push('\n');
        }
    }
}

fn prompt_text(m: &Model, menu: MenuId) -> &str {
    let node = &m.menus[menu.index()];
    match node.prompt {
        Some(p) => m.props[p.index()].text.as_deref().unwrap_or(""),
        None => node.sym.map_or("", |s| m.symbols[s.index()].name.as_str()),
    }
}

/// `conf_write` on settled state.
pub(crate) fn write(m: &Model, s: &State) -> String {
    let mut out = String::with_capacity(256 * 1024);
    out.push_str("#\n# Automatically generated file; DO NOT EDIT.\n# ");
    out.push_str(prompt_text(m, m.root));
    out.push_str("\n#\n");
    let mut written = vec![false; m.symbols.len()];
    let mut need_newline = false;
    let mut menu = m.menus[m.root.index()].list;
    'outer: while let Some(cur) = menu {
        let node = &m.menus[cur.index()];
        match node.sym {
            None => {
                if menu_is_visible(m, s, cur) {
                    out.push_str("\n#\n# ");
                    out.push_str(prompt_text(m, cur));
                    out.push_str("\n#\n");
                    need_newline = false;
                }
            }
            Some(sym) => {
                if m.symbols[sym.index()].choice_block.is_none()
                    && !written[sym.index()]
                    && s.syms[sym.index()].flags & WRITE != 0
                {
                    if need_newline {
                        out.push('\n');
                        need_newline = false;
                    }
                    written[sym.index()] = true;
                    print_symbol(m, s, sym, &mut out);
                }
            }
        }
        if let Some(l) = node.list {
            menu = Some(l);
            continue;
        }
        let mut cur = cur;
        loop {
            let node = &m.menus[cur.index()];
            if node.sym.is_none()
                && cur != m.root
                && node
                    .prompt
                    .is_some_and(|p| m.props[p.index()].kind == PropKind::Menu)
                && menu_is_visible(m, s, cur)
            {
                out.push_str("# end of ");
                out.push_str(prompt_text(m, cur));
                out.push('\n');
                need_newline = true;
            }
            if let Some(n) = node.next {
                menu = Some(n);
                continue 'outer;
            }
            match node.parent {
                Some(p) => cur = p,
                None => break 'outer,
            }
        }
    }
    out
}
