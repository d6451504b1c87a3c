//! Shared by the real-tree integration tests: the cached Debian 6.12 tree,
//! the kernel's own `make olddefconfig`, the MODULES=n defconfig base.
#![allow(dead_code)]
use kfit_fit::{FitOptions, MachineInput};
pub use kfit_testkit::repo;
use std::path::PathBuf;

pub struct Env {
    pub tree: PathBuf,
    pub build: PathBuf,
    pub debian: PathBuf,
    pub abi: String,
    /// `None`: x86 (what `make ARCH=x86` builds); `Some("arm64")`: fits,
    /// indexes and olddefconfig for arm64 with the cross compiler.
    pub arch: Option<&'static str>,
}

/// The cross compiler's prefix for arm64 (Debian's gcc-aarch64-linux-gnu).
pub const ARM64_CROSS: &str = "aarch64-linux-gnu-";

impl Env {
    /// The tree's index for the env's arch (cached in the default index
    /// cache).
    pub fn index(&self) -> kfit_kbuild::KernelIndex {
        kfit_kbuild::KernelIndex::load_or_build(
            &self.tree,
            &self.arch.map(kfit_kbuild::Arch::new).unwrap_or_default(),
            &kfit_kbuild::default_cache_dir(),
        )
        .unwrap()
    }
}

/// The cached Debian 6.12 environment (fetched when missing).
pub fn env() -> Env {
    let get = |k: &str| kfit_testkit::kernel_env("6.12", k);
    Env {
        tree: get("TREE").into(),
        build: get("BUILD").into(),
        debian: get("DEBIAN").into(),
        abi: get("ABI"),
        arch: None,
    }
}

/// The same tree for arm64, with Debian's arm64 6.12 modules as the truth.
pub fn env_arm64() -> Env {
    let get = |k: &str| kfit_testkit::kernel_env("6.12-arm64", k);
    Env {
        tree: get("TREE").into(),
        build: kfit_testkit::kernel_env("6.12", "BUILD").into(),
        debian: get("DEBIAN").into(),
        abi: get("ABI"),
        arch: Some("arm64"),
    }
}

/// arm64 defconfig with every module and MODULES off (what arm64 defconfig
/// builds in; with MODULES off its ~1160 `=m` would become `y`:
/// scripts/kconfig/symbol.c, sym_calc_value), by the kernel's own
/// `make ARCH=arm64 defconfig` / `olddefconfig`, cached.
pub fn arm64_defconfig_nomodules(e: &Env) -> PathBuf {
    kfit_testkit::cached_base("6.12-arm64-defconfig-nomodules", |dir| {
        let cross = format!("CROSS_COMPILE={ARM64_CROSS}");
        kfit_testkit::make(&e.tree, dir, &["ARCH=arm64", &cross, "defconfig"]);
        let mut text = std::fs::read_to_string(dir.join(".config")).unwrap();
        let modules: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("CONFIG_")?.strip_suffix("=m").map(str::to_string))
            .collect();
        for m in modules.iter().chain([&"MODULES".to_string()]) {
            text.push_str(&format!("# CONFIG_{m} is not set\n"));
        }
        std::fs::write(dir.join(".config"), text).unwrap();
        kfit_testkit::make(&e.tree, dir, &["ARCH=arm64", &cross, "olddefconfig"]);
        let text = std::fs::read_to_string(dir.join(".config")).unwrap();
        assert!(text.contains("# CONFIG_MODULES is not set"));
        text
    })
}

/// The project's shared data (`../shared` next to the checkout; one level
/// further up from a git worktree under `wt/`).
pub fn shared(p: &str) -> PathBuf {
    let near = repo("../shared");
    let dir = if near.exists() { near } else { repo("../../shared") };
    dir.join(p)
}

pub fn q35(name: &str) -> PathBuf {
    shared("hw/qemu-q35-debian61").join(name)
}

/// The kernel's own `make olddefconfig` on `config` (in a scratch O= dir).
pub fn kernel_olddefconfig(e: &Env, config: &str, tag: &str) -> String {
    kfit_testkit::kernel_olddefconfig(&e.tree, config, tag)
}

/// x86_64_defconfig with CONFIG_MODULES turned off, made with the kernel's
/// own tools (scripts/config + make olddefconfig), cached.
pub fn defconfig_nomodules(e: &Env) -> PathBuf {
    let def = std::fs::read_to_string(e.build.join("x86_64_defconfig.config")).unwrap();
    nomodules(e, &def, "6.12-x86_64_defconfig-nomodules")
}

/// Debian's own 6.12 config with CONFIG_MODULES turned off (every `=m`
/// becomes built in: the start point `--trim` exists for), cached.
pub fn debian_nomodules(e: &Env) -> PathBuf {
    let def = std::fs::read_to_string(e.debian.join("config")).unwrap();
    nomodules(e, &def, "6.12-debian-nomodules")
}

fn nomodules(e: &Env, config: &str, name: &str) -> PathBuf {
    kfit_testkit::nomodules_base(&e.tree, config, name)
}

pub fn values(config: &str) -> std::collections::HashMap<String, String> {
    config
        .lines()
        .filter_map(|l| l.strip_prefix("CONFIG_"))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn opts(e: &Env, base: PathBuf, listings: Vec<PathBuf>) -> FitOptions {
    FitOptions {
        tree: e.tree.clone(),
        base,
        machines: vec![MachineInput {
            name: "m".into(),
            listings,
        }],
        load: match e.arch {
            Some(a) => kfit_kconfig::LoadOptions {
                arch: kfit_kconfig::Arch::new(a),
                toolchain: kfit_kconfig::Toolchain::from_make_vars(None, false, Some(ARM64_CROSS.into())),
                ..Default::default()
            },
            None => kfit_kconfig::LoadOptions { ..Default::default() },
        },
        index_cache: kfit_kbuild::default_cache_dir(),
        sysfs_root: "/".into(),
        ..Default::default()
    }
}
