//! Debian's 6.1 config carried to 6.12 (and back) on the real trees that
//! scripts/fetch-kernels.sh caches; ground truth is the new tree's own
//! `conf --olddefconfig`.
use kfit_migrate::{MigrateOptions, Status};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Env {
    tree: PathBuf,
    build: PathBuf,
    kver: String,
    debian: PathBuf,
}

fn cache() -> PathBuf {
    std::env::var_os("KFIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kfit"))
}

fn env(v: &str) -> Env {
    let f = cache().join("env").join(v);
    if !f.exists() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let st = Command::new("bash")
            .arg(format!("{root}/scripts/fetch-kernels.sh"))
            .arg(v)
            .status()
            .unwrap();
        assert!(st.success(), "scripts/fetch-kernels.sh failed");
    }
    let text = std::fs::read_to_string(&f).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_string()
    };
    Env {
        tree: get("TREE").into(),
        build: get("BUILD").into(),
        kver: get("KVER"),
        debian: get("DEBIAN").into(),
    }
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

fn load() -> kfit_kconfig::LoadOptions {
    kfit_kconfig::LoadOptions {
        cc: "gcc".into(),
        ..Default::default()
    }
}

fn opts(from: &Env, to: &Env, config: PathBuf, listings: Vec<PathBuf>) -> MigrateOptions {
    MigrateOptions {
        config,
        from_tree: from.tree.clone(),
        to_tree: to.tree.clone(),
        machines: if listings.is_empty() {
            Vec::new()
        } else {
            vec![kfit_fit::MachineInput {
                name: "m".into(),
                listings,
            }]
        },
        load: load(),
        index_cache: kfit_kbuild::default_cache_dir(),
        sysfs_root: "/".into(),
    }
}

/// The tree's own `conf --olddefconfig` on `config`, run the way
/// scripts/kconfig-oracle.sh runs it: in a scratch directory with
/// srctree set, nothing written into the cached tree or build dir.
fn conf_olddefconfig(e: &Env, config: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("kfit-migrate-conf-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cfg"), config).unwrap();
    let ccv = Command::new("gcc").arg("--version").output().unwrap();
    let ccv = String::from_utf8_lossy(&ccv.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let out = Command::new(e.build.join("scripts/kconfig/conf"))
        .current_dir(&dir)
        .env("KCONFIG_CONFIG", dir.join("cfg"))
        .env("srctree", &e.tree)
        .env("ARCH", "x86")
        .env("SRCARCH", "x86")
        .env("KERNELVERSION", &e.kver)
        .env("CC", "gcc")
        .env("LD", "ld")
        .env("HOSTCC", "gcc")
        .env("CC_VERSION_TEXT", ccv)
        .env("RUSTC", "rustc")
        .env("BINDGEN", "bindgen")
        .env("OBJCOPY", "objcopy")
        .env("NM", "nm")
        .env("PAHOLE", "pahole")
        .env("LC_ALL", "C")
        .args(["--olddefconfig", "Kconfig"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "conf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("cfg")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text
}

fn values(config: &str) -> HashMap<String, String> {
    kfit_kconfig::parse_values(config)
}

#[test]
fn debian_61_to_612_dump() {
    let (a, b) = (env("6.1"), env("6.12"));
    let t = std::time::Instant::now();
    let m = kfit_migrate::migrate(&opts(&a, &b, a.debian.join("config"), vec![])).unwrap();
    eprintln!("migrate: {:?}", t.elapsed());
    std::fs::write("/tmp/mig/report.json", serde_json::to_string_pretty(&m).unwrap()).unwrap();
    std::fs::write("/tmp/mig/new.config", &m.config).unwrap();
    eprintln!("{:#?}", m.summary);
}
