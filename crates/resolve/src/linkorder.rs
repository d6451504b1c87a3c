//! The kernel's link order, read from the Makefiles of the tree.
//!
//! Built-in drivers register in link order (the order of `obj-` entries,
//! directory by directory from the top-level `Kbuild`), and a device binds
//! to the first registered driver whose probe accepts it. Among drivers
//! matching a device equally, the first in link order is the one the
//! kernel binds.

use kfit_kbuild::Module;
use std::rc::Rc;

/// One level of the order: (line, column) of the entry in its Makefile;
/// `(usize::MAX, 0)` when the entry was not found.
pub type Pos = (usize, usize);

/// The link-order key of `m`: for every directory from the top of the tree
/// down to the one holding the module's Makefile, the position of the
/// `dir/` entry in its parent's Kbuild file, then the position of the
/// module's object on its own Makefile line. Keys compare
/// lexicographically. `read` gives a tree-relative file's text.
pub fn key(read: &dyn Fn(&str) -> Option<Rc<String>>, m: &Module) -> Vec<Pos> {
    let (mk, line) = (m.makefile.file.as_str(), m.makefile.line as usize);
    let dir = mk.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut out = Vec::new();
    let mut parent = "";
    for comp in dir.split('/').filter(|c| !c.is_empty()) {
        out.push(entry(read, parent, &format!("{comp}/")));
        parent = if parent.is_empty() {
            &dir[..comp.len()]
        } else {
            &dir[..parent.len() + 1 + comp.len()]
        };
    }
    let base = m.path.rsplit('/').next().unwrap_or(&m.path);
    let col = read(mk)
        .and_then(|t| t.lines().nth(line.saturating_sub(1)).and_then(|l| l.find(base)))
        .unwrap_or(0);
    out.push((line, col));
    out
}

/// Position of the entry `name` (`soc/`) in the Kbuild file of `dir`.
fn entry(read: &dyn Fn(&str) -> Option<Rc<String>>, dir: &str, name: &str) -> Pos {
    let join = |f: &str| {
        if dir.is_empty() {
            f.to_string()
        } else {
            format!("{dir}/{f}")
        }
    };
    // Kbuild takes precedence over Makefile (scripts/Makefile.build).
    let Some(text) = read(&join("Kbuild")).or_else(|| read(&join("Makefile"))) else {
        return (usize::MAX, 0);
    };
    for (i, l) in text.lines().enumerate() {
        let code = l.split('#').next().unwrap_or("");
        if !code.contains("obj-") && !code.contains("-y") {
            continue;
        }
        let mut from = 0;
        while let Some(p) = code[from..].find(name) {
            let at = from + p;
            let before = code[..at].chars().last();
            if before.is_none_or(|c| c.is_whitespace() || c == '=') {
                return (i + 1, at);
            }
            from = at + name.len();
        }
    }
    (usize::MAX, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn module(path: &str, makefile: &str, line: u32) -> Module {
        Module {
            name: kfit_kbuild::modname_of(path),
            path: path.into(),
            symbols: Vec::new(),
            own: 0,
            symbol_source: kfit_kbuild::SymbolSource::Makefile,
            builtin_only: false,
            driver_names: Vec::new(),
            aliases: Vec::new(),
            firmware: Vec::new(),
            sources: Vec::new(),
            runtime_sources: Vec::new(),
            companions: Vec::new(),
            revisions: None,
            makefile: kfit_kbuild::Location::new(makefile, line),
        }
    }

    #[test]
    fn order_follows_makefiles() {
        let files: HashMap<&str, &str> = [
            ("Kbuild", "obj-y += kernel/\nobj-y += drivers/\nobj-y += sound/\n"),
            ("sound/Makefile", "obj-$(CONFIG_SND) += core/ pci/ soc/\n"),
            ("sound/pci/Makefile", "obj-$(CONFIG_SND) += hda/\n"),
            (
                "sound/pci/hda/Makefile",
                "obj-$(CONFIG_SND_HDA_INTEL) += snd-hda-intel.o\n",
            ),
            ("sound/soc/Makefile", "obj-$(CONFIG_SND_SOC) += sof/\n"),
            (
                "sound/soc/sof/Makefile",
                "obj-$(CONFIG_A) += a.o\nobj-$(CONFIG_B) += snd-sof-pci.o\n",
            ),
            ("drivers/Makefile", "obj-y += net/\n"),
            ("drivers/net/Makefile", "obj-$(CONFIG_X) += 8139too.o 8139cp.o\n"),
        ]
        .into_iter()
        .collect();
        let read = |f: &str| files.get(f).map(|t| Rc::new(t.to_string()));
        let hda = key(
            &read,
            &module("sound/pci/hda/snd-hda-intel", "sound/pci/hda/Makefile", 1),
        );
        let sof = key(
            &read,
            &module("sound/soc/sof/snd-sof-pci", "sound/soc/sof/Makefile", 2),
        );
        let too = key(&read, &module("drivers/net/8139too", "drivers/net/Makefile", 1));
        let cp = key(&read, &module("drivers/net/8139cp", "drivers/net/Makefile", 1));
        assert!(hda < sof, "{hda:?} {sof:?}");
        assert!(too < cp && cp < hda, "{too:?} {cp:?}");
    }
}
