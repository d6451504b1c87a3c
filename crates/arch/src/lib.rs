//! Kernel architectures: the one place kfit knows what an `ARCH` is.
//!
//! * [`Arch`]: an `ARCH` value as `make ARCH=...` takes it, with its
//!   `SRCARCH` (the directory under `arch/`), the default `make` picks on a
//!   machine (its `uname -m` through scripts/subarch.include) and the
//!   compiler [`Target`] it builds for.
//! * [`Target`]: what the compiler predefines for that target, the macros
//!   kernel headers test (`__x86_64__`, `__aarch64__`, the word size, the
//!   byte order).
//! * [`always_y_symbols`]: the symbols an arch's top `Kconfig` makes
//!   unconditionally `y` (`config ARM64` / `def_bool y`), which mark a
//!   config or a `#if` as belonging to that arch.
//! * [`off_symbols`]: the `CONFIG_` symbols that are never set when
//!   building for an arch, derived from the tree's `arch/*/Kconfig`.
//!
//! **Invariant:** depends on std only; reads only `arch/*/Kconfig` files.

use std::fmt;
use std::path::Path;

/// An `ARCH` value (`x86`, `x86_64`, `arm64`, ...), as `make ARCH=` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arch(String);

impl Default for Arch {
    /// `x86`: what `make` picks on an x86_64 machine (scripts/subarch.include
    /// maps `x86_64` to `x86`), and the arch of every x86 test.
    fn default() -> Self {
        Arch("x86".into())
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Arch {
    type Err = String;
    /// Any non-empty `ARCH` word (the tree decides whether it exists).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty()
            || !s
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Err(format!("{s:?} is not an ARCH value (like x86, x86_64, arm64)"));
        }
        Ok(Arch(s.to_string()))
    }
}

impl Arch {
    /// The arch named `arch` (an `ARCH` value; see [`std::str::FromStr`]
    /// for checked input).
    pub fn new(arch: &str) -> Arch {
        Arch(arch.to_string())
    }

    /// The `ARCH` value.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// Its `SRCARCH`: the directory under `arch/`.
    pub fn srcarch(&self) -> &str {
        srcarch(&self.0)
    }

    /// The `ARCH` `make` picks on a machine whose `uname -m` is `machine`
    /// (`SUBARCH`, scripts/subarch.include:7-13: `i.86`/`x86_64` → x86,
    /// `aarch64*` → arm64, `arm*` → arm, `ppc*` → powerpc, `mips*` → mips,
    /// `s390x` → s390, `sun4u` → sparc64, `sh[234]*` → sh, `riscv*` →
    /// riscv, `loongarch*` → loongarch; anything else is used as it is).
    pub fn from_uname(machine: &str) -> Arch {
        let m = machine.trim();
        let is_i86 = m.len() == 4 && m.starts_with('i') && m.ends_with("86");
        let a = if is_i86 || m == "x86_64" {
            "x86"
        } else if m == "sun4u" {
            "sparc64"
        } else if m.starts_with("aarch64") || m == "arm64" {
            "arm64"
        } else if m.starts_with("arm") || m == "sa110" {
            "arm"
        } else if m == "s390x" {
            "s390"
        } else if m.starts_with("ppc") {
            "powerpc"
        } else if m.starts_with("mips") {
            "mips"
        } else if m.starts_with("sh") && m[2..].starts_with(['2', '3', '4']) {
            "sh"
        } else if m.starts_with("riscv") {
            "riscv"
        } else if m.starts_with("loongarch") {
            "loongarch"
        } else {
            m
        };
        Arch(a.to_string())
    }

    /// The running machine's arch: its `uname -m` (`/proc/sys/kernel/arch`,
    /// else the arch kfit was built for) through [`Arch::from_uname`].
    pub fn host() -> Arch {
        let m = std::fs::read_to_string("/proc/sys/kernel/arch")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        Arch::from_uname(&m)
    }

    /// The `ARCH` a plain `make` uses: `$ARCH` from the environment when it
    /// is a valid value (make takes it from there: `ARCH ?= $(SUBARCH)`,
    /// Makefile:393 in 6.12), else the running machine's ([`Arch::host`]).
    pub fn make_default() -> Arch {
        std::env::var("ARCH")
            .ok()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(Arch::host)
    }

    /// The compiler target a build for this arch uses, if kfit knows it.
    pub fn target(&self) -> Option<&'static Target> {
        TARGETS.iter().find(|t| t.arches.contains(&self.name()))
    }
}

/// `SRCARCH` for an `ARCH` value (top Makefile:526-548: `i386`/`x86_64` →
/// x86, `sparc32`/`sparc64` → sparc, `parisc64` → parisc, `sh64` → sh).
pub fn srcarch(arch: &str) -> &str {
    match arch {
        "x86_64" | "i386" | "x86" => "x86",
        "sparc32" | "sparc64" => "sparc",
        "parisc64" => "parisc",
        "sh64" => "sh",
        a => a,
    }
}

/// A compiler target: what `gcc`/`clang` predefine for it that kernel
/// headers test, beside the word size and byte order.
#[derive(Debug)]
pub struct Target {
    /// The `ARCH` values that build for it.
    pub arches: &'static [&'static str],
    /// The GNU triple (`CROSS_COMPILE` without its `-`, clang's `--target`).
    pub triple: &'static str,
    /// The arch's own predefined macros (name, value).
    pub macros: &'static [(&'static str, &'static str)],
    /// `long` and pointers are 64 bits (`__LP64__`).
    pub lp64: bool,
    /// `__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__`.
    pub little_endian: bool,
}

/// The targets kfit indexes for. The macros are what the compiler
/// predefines for the triple: `clang --target=TRIPLE -dM -E -x c /dev/null`
/// (Debian clang 14) and gcc's own (gcc/config/i386/i386-c.cc
/// `ix86_target_macros`: `__x86_64__`; gcc/config/aarch64/aarch64-c.cc
/// `aarch64_define_unconditional_macros`: `__aarch64__`, and `__AARCH64EL__`
/// for little endian).
pub const TARGETS: &[Target] = &[
    Target {
        arches: &["x86", "x86_64"],
        triple: "x86_64-linux-gnu",
        macros: &[("__x86_64__", "1")],
        lp64: true,
        little_endian: true,
    },
    Target {
        arches: &["arm64"],
        triple: "aarch64-linux-gnu",
        macros: &[("__aarch64__", "1"), ("__AARCH64EL__", "1")],
        lp64: true,
        little_endian: true,
    },
];

/// Symbols of one Kconfig file (outside any `if`/`menu`/`choice`) that are
/// unconditionally `y`: `def_bool y`, or `bool` without a prompt and with
/// `default y`, and no `depends on`.
pub fn always_y_symbols(text: &str) -> Vec<String> {
    top_level_entries(text)
        .into_iter()
        .filter(|e| e.always_y && !e.bad)
        .map(|e| e.name)
        .collect()
}

/// One top-level `config` entry of a Kconfig file, as far as the scans here
/// need it.
struct Entry {
    name: String,
    /// `def_bool y`, or `default y` on a `bool`.
    always_y: bool,
    /// A prompt, a dependency or a non-bool type.
    bad: bool,
    /// The `depends on` expressions.
    depends: Vec<String>,
}

fn top_level_entries(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur: Option<Entry> = None;
    let mut help_indent: Option<usize> = None;
    let indent = |l: &str| {
        l.chars()
            .take_while(|c| c.is_whitespace())
            .map(|c| if c == '\t' { 8 } else { 1 })
            .sum::<usize>()
    };
    let mut finish = |cur: &mut Option<Entry>| {
        if let Some(e) = cur.take() {
            out.push(e);
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
                    cur = Some(Entry {
                        name: rest.to_string(),
                        always_y: false,
                        bad: false,
                        depends: Vec::new(),
                    });
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
                if let Some(e) = cur.as_mut() {
                    match word {
                        "def_bool" => e.always_y = rest == "y",
                        "bool" => e.bad |= !rest.is_empty(),
                        "default" => e.always_y |= rest == "y",
                        "depends" => {
                            e.bad = true;
                            e.depends.push(rest.trim_start_matches("on").trim().to_string());
                        }
                        "prompt" | "visible" => e.bad = true,
                        "tristate" | "int" | "hex" | "string" | "def_tristate" => e.bad = true,
                        _ => {}
                    }
                }
            }
        }
    }
    finish(&mut cur);
    out
}

/// The `CONFIG_` symbols (without the prefix) that are never set in a build
/// for `arch`, from the tree's `arch/*/Kconfig`:
///
/// * the markers of every other arch: the always-`y` symbols of its top
///   `arch/<other>/Kconfig` ([`always_y_symbols`]: `ARM`, `PPC`, `S390`,
///   ...) that `arch`'s own `arch/<srcarch>/Kconfig` does not define, and
///   that no other file `defined_elsewhere` says defines (a generic
///   symbol several arches set, like `MMU`, stays on);
/// * the byte order and word size of the [`Target`]: `CPU_BIG_ENDIAN`
///   (the symbol every big-endian arch's Kconfig defines, arch/s390/Kconfig:5)
///   on a little-endian target, and on a 64-bit one the always-`y` symbols
///   of `arch`'s own top Kconfig that only `depends on !64BIT`
///   (`X86_32`, arch/x86/Kconfig:10-12).
///
/// Sorted, without duplicates.
pub fn off_symbols(tree: &Path, arch: &Arch, defined_elsewhere: impl Fn(&str) -> bool) -> Vec<String> {
    let own_dir = arch.srcarch();
    let own = std::fs::read_to_string(tree.join("arch").join(own_dir).join("Kconfig")).unwrap_or_default();
    let own_entries = top_level_entries(&own);
    let own_defines = |s: &str| own_entries.iter().any(|e| e.name == s);
    let mut out = Vec::new();
    let mut dirs: Vec<String> = std::fs::read_dir(tree.join("arch"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    for d in dirs.iter().filter(|d| *d != own_dir) {
        if let Ok(text) = std::fs::read_to_string(tree.join("arch").join(d).join("Kconfig")) {
            out.extend(
                always_y_symbols(&text)
                    .into_iter()
                    .filter(|s| !own_defines(s) && !defined_elsewhere(s)),
            );
        }
    }
    if let Some(t) = arch.target() {
        if t.little_endian {
            out.push("CPU_BIG_ENDIAN".into());
        }
        if t.lp64 {
            out.extend(
                own_entries
                    .iter()
                    .filter(|e| e.always_y && e.depends.len() == 1 && e.depends[0] == "!64BIT")
                    .map(|e| e.name.clone()),
            );
        }
    }
    out.sort();
    out.dedup();
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
    fn arch_names() {
        assert_eq!(srcarch("x86_64"), "x86");
        assert_eq!(Arch::new("arm64").srcarch(), "arm64");
        assert_eq!(Arch::from_uname("x86_64"), Arch::default());
        assert_eq!(Arch::from_uname("i686").name(), "x86");
        assert_eq!(Arch::from_uname("aarch64").name(), "arm64");
        assert_eq!(Arch::from_uname("armv7l").name(), "arm");
        assert_eq!(Arch::from_uname("ppc64le").name(), "powerpc");
        assert_eq!(Arch::from_uname("riscv64").name(), "riscv");
        assert_eq!(Arch::from_uname("sh4a").name(), "sh");
        assert_eq!(
            Arch::new("x86_64").target().map(|t| t.triple),
            Some("x86_64-linux-gnu")
        );
        assert_eq!(
            Arch::new("arm64").target().map(|t| t.triple),
            Some("aarch64-linux-gnu")
        );
        assert!(Arch::new("i386").target().is_none());
        assert!("arm64".parse::<Arch>().is_ok());
        assert!("".parse::<Arch>().is_err());
        assert!("a b".parse::<Arch>().is_err());
    }

    #[test]
    fn off_symbols_from_the_arch_kconfigs() {
        let dir = std::env::temp_dir().join(format!("kfit-arch-off-{}", std::process::id()));
        for (a, k) in [
            (
                "x86",
                "config 64BIT\n\tbool \"64-bit\"\n\nconfig X86_32\n\tdef_bool y\n\tdepends on !64BIT\n\n\
                 config X86\n\tdef_bool y\n\nconfig MMU\n\tdef_bool y\n",
            ),
            (
                "arm64",
                "config ARM64\n\tdef_bool y\n\nconfig MMU\n\tdef_bool y\n\nconfig GENERIC_X\n\tdef_bool y\n",
            ),
            (
                "s390",
                "config CPU_BIG_ENDIAN\n\tdef_bool y\n\nconfig S390\n\tdef_bool y\n",
            ),
        ] {
            std::fs::create_dir_all(dir.join("arch").join(a)).unwrap();
            std::fs::write(dir.join("arch").join(a).join("Kconfig"), k).unwrap();
        }
        let x86 = off_symbols(&dir, &Arch::new("x86_64"), |s| s == "GENERIC_X");
        assert_eq!(x86, ["ARM64", "CPU_BIG_ENDIAN", "S390", "X86_32"]);
        let arm64 = off_symbols(&dir, &Arch::new("arm64"), |_| false);
        assert_eq!(arm64, ["CPU_BIG_ENDIAN", "S390", "X86"]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
