//! Which architecture a `.config` was made for.
//!
//! Every `arch/<A>/Kconfig` defines symbols that are always `y` on that
//! architecture and exist nowhere else (`config ARM64` / `def_bool y`,
//! arch/arm64/Kconfig:2; `config X86` / `def_bool y`, arch/x86/Kconfig:57).
//! A base config that sets such a symbol of *another* architecture, one the
//! tree being configured does not define, was made for that architecture.
//! The markers are read from the tree itself, not from a list.

use kfit_arch::always_y_symbols;
use std::path::Path;

/// A symbol in a `.config` that shows it is for another architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignArch {
    /// The symbol (without `CONFIG_`).
    pub symbol: String,
    /// The architecture (`arch/<arch>`) that defines it.
    pub arch: String,
    /// 1-based line in the config.
    pub line: usize,
}

/// The first `CONFIG_X=y` of `config_text` where `X` is an always-`y`
/// symbol of another architecture's top `arch/<A>/Kconfig` and not
/// `defined` in the tree being configured for `srcarch`.
pub fn foreign_arch_symbol(
    srctree: &Path,
    srcarch: &str,
    config_text: &str,
    defined: impl Fn(&str) -> bool,
) -> Option<ForeignArch> {
    // Cheap first: only `=y` symbols this tree does not define can count.
    let candidates: Vec<(usize, &str)> = config_text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let name = l.strip_prefix("CONFIG_")?.strip_suffix("=y")?;
            (!defined(name)).then_some((i + 1, name))
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let mut arches: Vec<(String, Vec<String>)> = Vec::new();
    for e in std::fs::read_dir(srctree.join("arch")).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == srcarch {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(e.path().join("Kconfig")) {
            arches.push((name, always_y_symbols(&text)));
        }
    }
    arches.sort();
    candidates.into_iter().find_map(|(line, name)| {
        arches
            .iter()
            .find(|(_, syms)| syms.iter().any(|s| s == name))
            .map(|(arch, _)| ForeignArch {
                symbol: name.to_string(),
                arch: arch.clone(),
                line,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_for_another_arch_is_found_by_its_marker() {
        let dir = std::env::temp_dir().join(format!("kfit-arch-{}", std::process::id()));
        for (a, k) in [
            ("x86", "config X86\n\tdef_bool y\n"),
            ("arm64", "config ARM64\n\tdef_bool y\n"),
        ] {
            std::fs::create_dir_all(dir.join("arch").join(a)).unwrap();
            std::fs::write(dir.join("arch").join(a).join("Kconfig"), k).unwrap();
        }
        let cfg = "CONFIG_FOO=y\nCONFIG_ARM64=y\n";
        let f = foreign_arch_symbol(&dir, "x86", cfg, |s| s == "FOO").unwrap();
        assert_eq!(
            (f.symbol.as_str(), f.arch.as_str(), f.line),
            ("ARM64", "arm64", 2)
        );
        assert!(foreign_arch_symbol(&dir, "x86", "CONFIG_X86=y\n", |s| s == "X86").is_none());
        std::fs::remove_dir_all(&dir).ok();
    }
}
