//! Shared by the real-tree integration tests: the cached Debian 6.12 tree,
//! the kernel's own `make olddefconfig`, the MODULES=n defconfig base.
#![allow(dead_code)]
use kfit_fit::{FitOptions, MachineInput};
pub use kfit_testkit::{cache, repo};
use std::path::PathBuf;
use std::process::Command;

pub struct Env {
    pub tree: PathBuf,
    pub build: PathBuf,
    pub debian: PathBuf,
    pub abi: String,
}

pub fn env() -> Env {
    let f = cache().join("env/6.12");
    if !f.exists() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let st = Command::new("bash")
            .arg(format!("{root}/scripts/fetch-kernels.sh"))
            .arg("6.12")
            .status()
            .unwrap();
        assert!(st.success(), "scripts/fetch-kernels.sh failed");
    }
    let text = std::fs::read_to_string(&f).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(PathBuf::from)
            .unwrap()
    };
    Env {
        tree: get("TREE"),
        build: get("BUILD"),
        debian: get("DEBIAN"),
        abi: get("ABI").display().to_string(),
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
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("kfit-olddef-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".config"), config).unwrap();
    let out = Command::new("make")
        .args(["-s", "-C"])
        .arg(&e.tree)
        .arg(format!("O={}", dir.display()))
        .args(["ARCH=x86", "olddefconfig"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make olddefconfig: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join(".config")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text
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

/// `config` with MODULES disabled by scripts/config and completed by the
/// kernel's olddefconfig, cached under `bases/<name>.config`.
fn nomodules(e: &Env, config: &str, name: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let out = cache().join(format!("bases/{name}.config"));
    if out.exists() {
        return out;
    }
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("kfit-base-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".config"), config).unwrap();
    let st = Command::new(e.tree.join("scripts/config"))
        .arg("--file")
        .arg(dir.join(".config"))
        .args(["--disable", "MODULES"])
        .status()
        .unwrap();
    assert!(st.success());
    let text = kernel_olddefconfig(e, &std::fs::read_to_string(dir.join(".config")).unwrap(), "base");
    assert!(text.contains("# CONFIG_MODULES is not set"));
    let _ = std::fs::remove_dir_all(&dir);
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
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
        load: kfit_kconfig::LoadOptions {
            cc: "gcc".into(),
            ..Default::default()
        },
        index_cache: kfit_kbuild::default_cache_dir(),
        sysfs_root: "/".into(),
        ..Default::default()
    }
}
