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
}

impl Env {
    /// The tree's index (cached in the default index cache).
    pub fn index(&self) -> kfit_kbuild::KernelIndex {
        kfit_kbuild::KernelIndex::load_or_build(
            &self.tree,
            &kfit_kbuild::Arch::default(),
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
    }
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
        load: kfit_kconfig::LoadOptions { ..Default::default() },
        index_cache: kfit_kbuild::default_cache_dir(),
        sysfs_root: "/".into(),
        ..Default::default()
    }
}
