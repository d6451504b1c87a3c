//! The build toolchain the Kconfig probes run, chosen as the top Makefile
//! chooses it: the one place kfit decides between gcc and LLVM, native and
//! cross.
//!
//! * `LLVM` (`make LLVM=1`, or `LLVM=/usr/lib/llvm-16/bin/`, `LLVM=-16`):
//!   `CC = $(LLVM_PREFIX)clang$(LLVM_SUFFIX)`, `LD = ...ld.lld...`,
//!   `AR`/`NM`/`OBJCOPY`/`OBJDUMP`/`READELF`/`STRIP` the `llvm-` tools,
//!   `HOSTCC` clang (Makefile:405-416, 468-476 in 6.12);
//! * otherwise `CC = $(CROSS_COMPILE)gcc`, `LD = $(CROSS_COMPILE)ld` and
//!   the binutils with the same prefix, `HOSTCC = gcc` (Makefile:385-393,
//!   415, 477-485). `CROSS_COMPILE` comes from the command line or the
//!   environment, as make takes it;
//! * with a compiler whose `--version` line says clang, make includes
//!   scripts/Makefile.clang (Makefile:682-684): `CLANG_FLAGS` gets
//!   `--target=` from its `CLANG_TARGET_FLAGS_$(SRCARCH)` table (6.12
//!   scripts/Makefile.clang:4-22), or in older trees from `CROSS_COMPILE`
//!   first (6.1 scripts/Makefile.clang:16-24:
//!   `--target=$(notdir $(CROSS_COMPILE:%-=%))`), then `-fintegrated-as`
//!   and the `-Werror=` flags it lists.
//!
//! The probe caches are keyed by every tool's resolved path and identity
//! (size, mtime) and the environment these give, so probes of two
//! toolchains (x86 gcc, aarch64-linux-gnu-gcc, clang for another target)
//! never mix.

use kfit_arch::Arch;
use std::path::Path;

/// The toolchain of a build, as `make`'s variables name it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Toolchain {
    /// `CC` given explicitly (`--cc`, `make CC=`): it replaces the compiler
    /// only. A command whose name contains `clang` also selects the LLVM
    /// tools, like `LLVM=1` (`--cc clang` has always meant that in kfit).
    pub cc: Option<String>,
    /// `LD` given explicitly.
    pub ld: Option<String>,
    /// `LLVM`: `Some("1")` for `make LLVM=1`; a value ending in `/` is the
    /// tools' directory, one starting with `-` their version suffix
    /// (Makefile:405-411). `None` (or empty): gcc and binutils.
    pub llvm: Option<String>,
    /// `CROSS_COMPILE`: the prefix of the gcc and binutils commands
    /// (`aarch64-linux-gnu-`); empty for the host's.
    pub cross_compile: String,
}

impl Toolchain {
    /// gcc and binutils with no prefix: `make` with nothing set.
    pub fn gcc() -> Toolchain {
        Toolchain::default()
    }

    /// The LLVM toolchain: `make LLVM=1`.
    pub fn llvm() -> Toolchain {
        Toolchain {
            llvm: Some("1".into()),
            ..Default::default()
        }
    }

    /// The toolchain of `make [CC=cc] [LLVM=1] [CROSS_COMPILE=prefix]` run
    /// in the current environment: what is given wins, else `CROSS_COMPILE`
    /// and `LLVM` from the environment, as make takes them (Makefile:388-390:
    /// "Alternatively CROSS_COMPILE can be set in the environment").
    pub fn from_make_vars(cc: Option<String>, llvm: bool, cross_compile: Option<String>) -> Toolchain {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Toolchain {
            cc: cc.filter(|c| !c.is_empty()),
            ld: None,
            llvm: if llvm { Some("1".into()) } else { env("LLVM") },
            cross_compile: cross_compile.or_else(|| env("CROSS_COMPILE")).unwrap_or_default(),
        }
    }

    /// The LLVM tools are used: `LLVM` is set, or the named compiler is a
    /// clang.
    pub fn is_llvm(&self) -> bool {
        self.llvm.as_deref().is_some_and(|v| !v.is_empty())
            || self.cc.as_deref().is_some_and(|c| c.contains("clang"))
    }

    /// `$(LLVM_PREFIX)tool$(LLVM_SUFFIX)` (Makefile:405-411).
    fn llvm_tool(&self, tool: &str) -> String {
        let v = self.llvm.as_deref().unwrap_or("");
        if v.ends_with('/') {
            format!("{v}{tool}")
        } else if v.starts_with('-') {
            format!("{tool}{v}")
        } else {
            tool.to_string()
        }
    }

    /// The compiler command (`CC`).
    pub fn cc(&self) -> String {
        match &self.cc {
            Some(c) => c.clone(),
            None if self.is_llvm() => self.llvm_tool("clang"),
            None => format!("{}gcc", self.cross_compile),
        }
    }

    /// The make variables the probes see (`export ... CROSS_COMPILE LD CC`,
    /// `export CPP AR NM STRIP OBJCOPY OBJDUMP READELF`, Makefile:613-616),
    /// in a fixed order: CC, LD, HOSTCC, OBJCOPY, OBJDUMP, READELF, STRIP,
    /// NM, AR, CROSS_COMPILE, and LLVM when set.
    pub fn vars(&self) -> Vec<(String, String)> {
        let llvm = self.is_llvm();
        let bin = |gnu: &str, llvm_name: &str| {
            if llvm {
                self.llvm_tool(llvm_name)
            } else {
                format!("{}{gnu}", self.cross_compile)
            }
        };
        let mut v: Vec<(String, String)> = vec![
            ("CC".into(), self.cc()),
            (
                "LD".into(),
                self.ld.clone().unwrap_or_else(|| bin("ld", "ld.lld")),
            ),
            (
                "HOSTCC".into(),
                if llvm {
                    self.llvm_tool("clang")
                } else {
                    "gcc".into()
                },
            ),
            ("OBJCOPY".into(), bin("objcopy", "llvm-objcopy")),
            ("OBJDUMP".into(), bin("objdump", "llvm-objdump")),
            ("READELF".into(), bin("readelf", "llvm-readelf")),
            ("STRIP".into(), bin("strip", "llvm-strip")),
            ("NM".into(), bin("nm", "llvm-nm")),
            ("AR".into(), bin("ar", "llvm-ar")),
            ("CROSS_COMPILE".into(), self.cross_compile.clone()),
        ];
        if llvm {
            let l = self
                .llvm
                .clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "1".into());
            v.push(("LLVM".into(), l));
        }
        v
    }

    /// Names the toolchain for people: `aarch64-linux-gnu-gcc`, `clang
    /// (LLVM=1)`.
    pub fn describe(&self) -> String {
        let mut s = self.cc();
        if self.llvm.is_some() {
            s.push_str(&format!(" (LLVM={})", self.llvm.as_deref().unwrap_or("")));
        } else if !self.cross_compile.is_empty() {
            s.push_str(&format!(" (CROSS_COMPILE={})", self.cross_compile));
        }
        s
    }

    /// A warning when the probes for `arch` would run the host's compiler:
    /// an arch of another `SRCARCH` than `host`'s, with no `CROSS_COMPILE`,
    /// no LLVM and no compiler named, or with a named compiler (not a
    /// clang) whose `-dumpmachine` is the host's machine (`--cc gcc` with
    /// `CROSS_COMPILE` set: make's `CC=gcc` replaces the cross compiler
    /// too). `make` does the same (it runs that `gcc`), but the config's
    /// toolchain lines (`CC_VERSION_TEXT`, `CC_HAS_*`, `AS_*`, `LD_*`) then
    /// describe the host compiler, not the cross compiler that will build
    /// the kernel. `tree` supplies the triple to suggest
    /// (scripts/Makefile.clang's table).
    pub fn host_compiler_warning(&self, arch: &Arch, host: &Arch, tree: &Path) -> Option<String> {
        if arch.srcarch() == host.srcarch() || self.is_llvm() {
            return None;
        }
        let triple = clang_target_table(&read_makefile_clang(tree), arch.srcarch(), host.srcarch())
            .or_else(|| arch.target().map(|t| t.triple.to_string()))
            .unwrap_or_else(|| "<triple>".into());
        let fix = format!("set CROSS_COMPILE={triple}- (or --cross-compile {triple}-), or use --llvm");
        let what = "the toolchain probes (CC_VERSION_TEXT, CC_IS_GCC, GCC_VERSION, CC_HAS_*, AS_*, LD_*)";
        match &self.cc {
            None if self.cross_compile.is_empty() => Some(format!(
                "ARCH={arch} on a {host} machine without CROSS_COMPILE or LLVM: {what} run the host's gcc, \
                 as make does, so the config describes the host compiler, not a cross compiler; {fix}"
            )),
            None => None,
            Some(cc) => {
                let host_machine = host.target()?.triple.split('-').next()?;
                let dm = dumpmachine(cc)?;
                (dm.split('-').next() == Some(host_machine)).then(|| {
                    format!(
                        "ARCH={arch} with CC={cc}, a compiler for {dm}: {what} run it, as make CC={cc} does, \
                         so the config describes the host compiler, not a cross compiler; leave the compiler \
                         unnamed and {fix}"
                    )
                })
            }
        }
    }

    /// `CLANG_FLAGS` as scripts/Makefile.clang sets it for `srcarch` (the
    /// tree's file; see the module documentation), `host_srcarch` standing
    /// for `SUBARCH` (`CLANG_TARGET_FLAGS_um`). Only used when the
    /// compiler is a clang.
    pub fn clang_flags(&self, tree: &Path, srcarch: &str, host_srcarch: &str) -> String {
        let mk = read_makefile_clang(tree);
        let mut flags = Vec::new();
        let cross_target = "--target=$(notdir $(CROSS_COMPILE:%-=%))";
        let target = if !self.cross_compile.is_empty() && mk.contains(cross_target) {
            let t = self.cross_compile.trim_end_matches('-');
            Some(t.rsplit('/').next().unwrap_or(t).to_string())
        } else {
            clang_target_table(&mk, srcarch, host_srcarch)
        };
        if let Some(t) = target {
            flags.push(format!("--target={t}"));
        }
        flags.push("-fintegrated-as".into());
        for w in [
            "unknown-warning-option",
            "ignored-optimization-argument",
            "option-ignored",
            "unused-command-line-argument",
        ] {
            if mk.contains(&format!("-Werror={w}")) {
                flags.push(format!("-Werror={w}"));
            }
        }
        flags.join(" ")
    }
}

/// `cc -dumpmachine`: the triple the compiler builds for (`None` when it
/// does not run).
fn dumpmachine(cc: &str) -> Option<String> {
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("{cc} -dumpmachine"))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let t = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !t.is_empty() && !t.contains(char::is_whitespace)).then_some(t)
}

fn read_makefile_clang(tree: &Path) -> String {
    std::fs::read_to_string(tree.join("scripts/Makefile.clang")).unwrap_or_default()
}

/// `CLANG_TARGET_FLAGS_$(SRCARCH)` from scripts/Makefile.clang's table
/// (`CLANG_TARGET_FLAGS_arm64 := aarch64-linux-gnu`), following one
/// `$(CLANG_TARGET_FLAGS_$(SUBARCH))` (`um`).
fn clang_target_table(mk: &str, srcarch: &str, subarch: &str) -> Option<String> {
    let lookup = |a: &str| {
        let var = format!("CLANG_TARGET_FLAGS_{a}");
        mk.lines().find_map(|l| {
            let rest = l.trim_start().strip_prefix(var.as_str())?;
            let v = rest.trim_start().strip_prefix(":=")?.trim();
            (!v.is_empty()).then(|| v.to_string())
        })
    };
    let v = lookup(srcarch)?;
    if v == "$(CLANG_TARGET_FLAGS_$(SUBARCH))" {
        return lookup(subarch).filter(|v| !v.contains('$'));
    }
    (!v.contains('$')).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_as_the_top_makefile_names_them() {
        let gcc = Toolchain::gcc();
        assert_eq!(gcc.cc(), "gcc");
        let cross = Toolchain {
            cross_compile: "aarch64-linux-gnu-".into(),
            ..Default::default()
        };
        let v = cross.vars();
        let get = |v: &[(String, String)], k: &str| v.iter().find(|(a, _)| a == k).unwrap().1.clone();
        assert_eq!(get(&v, "CC"), "aarch64-linux-gnu-gcc");
        assert_eq!(get(&v, "LD"), "aarch64-linux-gnu-ld");
        assert_eq!(get(&v, "OBJCOPY"), "aarch64-linux-gnu-objcopy");
        assert_eq!(get(&v, "HOSTCC"), "gcc");
        assert_eq!(get(&v, "CROSS_COMPILE"), "aarch64-linux-gnu-");
        let llvm = Toolchain {
            llvm: Some("-16".into()),
            cross_compile: "aarch64-linux-gnu-".into(),
            ..Default::default()
        };
        let v = llvm.vars();
        assert_eq!(get(&v, "CC"), "clang-16");
        assert_eq!(get(&v, "LD"), "ld.lld-16");
        assert_eq!(get(&v, "AR"), "llvm-ar-16");
        assert_eq!(get(&v, "LLVM"), "-16");
        let dir = Toolchain {
            llvm: Some("/opt/llvm/bin/".into()),
            ..Default::default()
        };
        assert_eq!(dir.cc(), "/opt/llvm/bin/clang");
        let named = Toolchain {
            cc: Some("clang".into()),
            ..Default::default()
        };
        assert!(named.is_llvm());
        assert_eq!(get(&named.vars(), "LD"), "ld.lld");
        // make CC=gcc CROSS_COMPILE=...: only CC is replaced
        let cc = Toolchain {
            cc: Some("gcc".into()),
            cross_compile: "aarch64-linux-gnu-".into(),
            ..Default::default()
        };
        assert_eq!(get(&cc.vars(), "CC"), "gcc");
        assert_eq!(get(&cc.vars(), "LD"), "aarch64-linux-gnu-ld");
    }

    #[test]
    fn clang_target_from_the_trees_makefile_clang() {
        let table = "CLANG_TARGET_FLAGS_arm64\t:= aarch64-linux-gnu\n\
                     CLANG_TARGET_FLAGS_x86\t\t:= x86_64-linux-gnu\n\
                     CLANG_TARGET_FLAGS_um\t\t:= $(CLANG_TARGET_FLAGS_$(SUBARCH))\n";
        assert_eq!(
            clang_target_table(table, "arm64", "x86").as_deref(),
            Some("aarch64-linux-gnu")
        );
        assert_eq!(
            clang_target_table(table, "um", "x86").as_deref(),
            Some("x86_64-linux-gnu")
        );
        assert_eq!(clang_target_table(table, "sparc", "x86"), None);
        let dir = std::env::temp_dir().join(format!("kfit-toolchain-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        // 6.12: the table wins, CROSS_COMPILE or not
        std::fs::write(
            dir.join("scripts/Makefile.clang"),
            format!("{table}CLANG_FLAGS\t+= --target=$(CLANG_TARGET_FLAGS)\nCLANG_FLAGS\t+= -Werror=option-ignored\n"),
        )
        .unwrap();
        let cross = Toolchain {
            llvm: Some("1".into()),
            cross_compile: "/opt/x/aarch64-linux-musl-".into(),
            ..Default::default()
        };
        assert_eq!(
            cross.clang_flags(&dir, "arm64", "x86"),
            "--target=aarch64-linux-gnu -fintegrated-as -Werror=option-ignored"
        );
        // 6.1: CROSS_COMPILE first
        std::fs::write(
            dir.join("scripts/Makefile.clang"),
            format!(
                "{table}ifeq ($(CROSS_COMPILE),)\nCLANG_FLAGS\t+= --target=$(CLANG_TARGET_FLAGS)\nelse\n\
                 CLANG_FLAGS\t+= --target=$(notdir $(CROSS_COMPILE:%-=%))\nendif\n"
            ),
        )
        .unwrap();
        assert_eq!(
            cross.clang_flags(&dir, "arm64", "x86"),
            "--target=aarch64-linux-musl -fintegrated-as"
        );
        assert_eq!(
            Toolchain::llvm().clang_flags(&dir, "arm64", "x86"),
            "--target=aarch64-linux-gnu -fintegrated-as"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_foreign_arch_on_the_host_compiler_is_warned_about() {
        let (arm64, x86) = (Arch::new("arm64"), Arch::new("x86"));
        let t = Path::new("/nonexistent");
        let w = Toolchain::gcc().host_compiler_warning(&arm64, &x86, t).unwrap();
        assert!(w.contains("CROSS_COMPILE=aarch64-linux-gnu-"), "{w}");
        assert!(Toolchain::gcc()
            .host_compiler_warning(&Arch::new("x86_64"), &x86, t)
            .is_none());
        assert!(Toolchain::llvm().host_compiler_warning(&arm64, &x86, t).is_none());
        let cross = Toolchain {
            cross_compile: "aarch64-linux-gnu-".into(),
            ..Default::default()
        };
        assert!(cross.host_compiler_warning(&arm64, &x86, t).is_none());
        // make CC=<a compiler for the host> CROSS_COMPILE=...
        let host_cc = Toolchain {
            cc: Some("sh -c 'echo x86_64-linux-gnu' --".into()),
            ..cross.clone()
        };
        let w = host_cc.host_compiler_warning(&arm64, &x86, t).unwrap();
        assert!(w.contains("a compiler for x86_64-linux-gnu"), "{w}");
        let cross_cc = Toolchain {
            cc: Some("sh -c 'echo aarch64-linux-gnu' --".into()),
            ..Default::default()
        };
        assert!(cross_cc.host_compiler_warning(&arm64, &x86, t).is_none());
    }
}
