//! Which architecture a `.config` was made for.
//!
//! Every `arch/<A>/Kconfig` defines symbols that are always `y` on that
//! architecture and exist nowhere else (`config ARM64` / `def_bool y`,
//! arch/arm64/Kconfig:2; `config X86` / `def_bool y`, arch/x86/Kconfig:57).
//! A base config that sets such a symbol of *another* architecture, one the
//! tree being configured does not define, was made for that architecture.
//! The markers are read from the tree itself, not from a list.

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

/// `SRCARCH` for an `ARCH` value (scripts/subarch.include, Makefile:
/// `x86_64`/`i386` → `x86`).
pub fn srcarch(arch: &str) -> &str {
    match arch {
        "x86_64" | "i386" | "x86" => "x86",
        a => a,
    }
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

/// Symbols of one Kconfig file (outside any `if`/`menu`/`choice`) that are
/// unconditionally `y`: `def_bool y`, or `bool` without a prompt and with
/// `default y`, and no `depends on`.
pub(crate) fn always_y_symbols(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    // The entry being read: name, always-y so far, disqualified.
    let mut cur: Option<(String, bool, bool)> = None;
    let mut help_indent: Option<usize> = None;
    let indent = |l: &str| {
        l.chars()
            .take_while(|c| c.is_whitespace())
            .map(|c| if c == '\t' { 8 } else { 1 })
            .sum::<usize>()
    };
    let mut finish = |cur: &mut Option<(String, bool, bool)>| {
        if let Some((name, y, bad)) = cur.take() {
            if y && !bad {
                out.push(name);
            }
        }
    };
    for l in text.lines() {
        let t = l.trim();
        if let Some(h) = help_indent {
            if t.is_empty() || indent(l) > h {
                continue;
            }
            help_indent = None;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let word = t.split_whitespace().next().unwrap_or("");
        let rest = t[word.len()..].trim();
        match word {
            "config" | "menuconfig" => {
                finish(&mut cur);
                if depth == 0 {
                    cur = Some((rest.to_string(), false, false));
                }
            }
            "if" | "menu" | "choice" => {
                finish(&mut cur);
                depth += 1;
            }
            "endif" | "endmenu" | "endchoice" => {
                finish(&mut cur);
                depth = depth.saturating_sub(1);
            }
            "source" | "comment" | "mainmenu" | "osource" | "rsource" | "orsource" => finish(&mut cur),
            "help" | "---help---" => help_indent = Some(indent(l)),
            _ => {
                if let Some((_, y, bad)) = cur.as_mut() {
                    match word {
                        "def_bool" => *y = rest == "y",
                        "bool" => *bad |= !rest.is_empty(),
                        "default" => *y |= rest == "y",
                        "depends" | "prompt" | "visible" => *bad = true,
                        "tristate" | "int" | "hex" | "string" | "def_tristate" => *bad = true,
                        _ => {}
                    }
                }
            }
        }
    }
    finish(&mut cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unconditional_symbols_of_an_arch_kconfig() {
        let k = "config 64BIT\n\tbool \"64-bit kernel\" if \"$(ARCH)\" = \"x86\"\n\tdefault ARCH != \"i386\"\n\n\
                 config ARM64\n\tdef_bool y\n\tselect ACPI_CCA_REQUIRED if ACPI\n\thelp\n\t  config FAKE\n\t  def_bool y\n\n\
                 config PPC\n\tbool\n\tdefault y\n\n\
                 config X\n\tdef_bool y\n\tdepends on PPC\n\n\
                 if PPC\nconfig INNER\n\tdef_bool y\nendif\n\
                 config OPT\n\tbool \"prompt\"\n\tdefault y\n";
        assert_eq!(always_y_symbols(k), ["ARM64", "PPC"]);
    }

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
