//! Two configs compared symbol by symbol, grouped by the menus the kernel
//! lays them out in (`kfit kconfig diff`).
//!
//! The values are the configs' lines as written ([`Kconfig::diff_configs`]);
//! a tree only gives the layout: each symbol goes under the menu path of
//! its first definition (menus, `menuconfig` entries and choices, as
//! menuconfig shows them), groups in the order of the menu tree. With two
//! trees a symbol is placed by the newer tree, or by the older one when the
//! newer does not define it; symbols neither tree defines go last.

use kfit_kconfig::{Kconfig, MenuId, PropKind};
use serde::Serialize;
use std::collections::HashMap;

/// How one symbol differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in the new config.
    Added,
    /// Only in the old config.
    Removed,
    /// In both, different values.
    Changed,
}

/// One symbol.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Name without `CONFIG_`.
    pub name: String,
    /// Old value as written (`n` for `is not set`, strings quoted),
    /// absent when not in the old config.
    pub old: Option<String>,
    /// New value.
    pub new: Option<String>,
    /// Which.
    pub change: Change,
}

/// The symbols of one menu.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Menu titles from the top (empty: the top level, or no tree).
    pub menu: Vec<String>,
    /// Its symbols, in menu order.
    pub entries: Vec<Entry>,
}

/// The whole diff.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConfigDiff {
    /// Groups in menu order.
    pub groups: Vec<Group>,
    /// Added, removed, changed.
    pub counts: (usize, usize, usize),
}

/// Each defined symbol's position in the menu tree and its menu path.
struct Layout {
    at: HashMap<String, (usize, Vec<String>)>,
}

impl Layout {
    fn of(kc: &Kconfig) -> Layout {
        let mut at = HashMap::new();
        let mut order = 0usize;
        let mut stack: Vec<(MenuId, Vec<String>)> = Vec::new();
        if let Some(first) = kc.menu(kc.root_menu()).list {
            stack.push((first, Vec::new()));
        }
        // Depth-first, in file order: a node, then its children, then its
        // next sibling.
        while let Some((id, path)) = stack.pop() {
            let node = kc.menu(id);
            if let Some(next) = node.next {
                stack.push((next, path.clone()));
            }
            let title = node
                .prompt
                .map(|p| kc.property(p))
                .filter(|p| matches!(p.kind, PropKind::Menu | PropKind::Prompt))
                .and_then(|p| p.text.clone());
            if let Some(s) = node.sym {
                let name = &kc.symbol(s).name;
                if !name.is_empty() {
                    at.entry(name.clone()).or_insert_with(|| (order, path.clone()));
                }
            }
            order += 1;
            if let Some(child) = node.list {
                let mut p = path;
                // Children of a menu, a menuconfig or a choice appear
                // under its title; an `if` block and the implicit submenu
                // of an ordinary symbol (entries depending on it) add none.
                let is_menuish =
                    node.is_choice || node.prompt.is_some_and(|p| kc.property(p).kind == PropKind::Menu);
                if let (true, Some(t)) = (is_menuish, title) {
                    p.push(t);
                }
                stack.push((child, p));
            }
        }
        Layout { at }
    }
}

/// The group of symbols no given tree defines.
pub const NOT_DEFINED: &str = "(not defined in the tree)";

/// Compare `old` and `new` (config texts); `trees` are the Kconfig trees
/// whose menus order the result (new first, then old; none: by name).
pub fn diff(old: &str, new: &str, trees: &[&Kconfig]) -> ConfigDiff {
    let layouts: Vec<Layout> = trees.iter().map(|k| Layout::of(k)).collect();
    // Sort key: (tree rank, position), then name.
    let mut keyed: Vec<((usize, usize), Vec<String>, Entry)> = Kconfig::diff_configs(old, new)
        .into_iter()
        .map(|(name, o, n)| {
            let change = match (&o, &n) {
                (None, _) => Change::Added,
                (_, None) => Change::Removed,
                _ => Change::Changed,
            };
            let place = layouts
                .iter()
                .enumerate()
                .find_map(|(i, l)| l.at.get(&name).map(|(pos, path)| ((i, *pos), path.clone())));
            let (key, path) = place.unwrap_or_else(|| {
                let none = if layouts.is_empty() {
                    Vec::new()
                } else {
                    vec![NOT_DEFINED.to_string()]
                };
                ((layouts.len(), 0), none)
            });
            (
                key,
                path,
                Entry {
                    name,
                    old: o,
                    new: n,
                    change,
                },
            )
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.name.cmp(&b.2.name)));
    let mut out = ConfigDiff::default();
    let mut group_of: HashMap<Vec<String>, usize> = HashMap::new();
    for (_, path, e) in keyed {
        match e.change {
            Change::Added => out.counts.0 += 1,
            Change::Removed => out.counts.1 += 1,
            Change::Changed => out.counts.2 += 1,
        }
        let g = *group_of.entry(path.clone()).or_insert_with(|| {
            out.groups.push(Group {
                menu: path,
                entries: Vec::new(),
            });
            out.groups.len() - 1
        });
        out.groups[g].entries.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_by_menu_in_tree_order() {
        let kc = Kconfig::from_text(
            std::path::Path::new("/nonexistent"),
            "config TOP\n\tbool \"top\"\nmenu \"Drivers\"\nconfig B\n\tbool \"b\"\nmenuconfig NET\n\tbool \"Networking\"\nif NET\nconfig A\n\tbool \"a\"\nendif\nendmenu\n",
            &Default::default(),
        )
        .unwrap();
        let old = "CONFIG_A=y\nCONFIG_B=y\nCONFIG_GONE=m\n";
        let new = "# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_TOP=y\nCONFIG_NET=y\n";
        let d = diff(old, new, &[&kc]);
        type Shape<'a> = Vec<(Vec<String>, Vec<(&'a str, Change)>)>;
        let shape: Shape = d
            .groups
            .iter()
            .map(|g| {
                (
                    g.menu.clone(),
                    g.entries.iter().map(|e| (e.name.as_str(), e.change)).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (vec![], vec![("TOP", Change::Added)]),
                (vec!["Drivers".to_string()], vec![("NET", Change::Added)]),
                (
                    vec!["Drivers".to_string(), "Networking".to_string()],
                    vec![("A", Change::Changed)]
                ),
                (vec![NOT_DEFINED.to_string()], vec![("GONE", Change::Removed)]),
            ]
        );
        assert_eq!(d.counts, (2, 1, 1));
    }
}
