//! `kfit fit` reports frozen as insta snapshots, on the cached Debian 6.12
//! tree (scripts/fetch-kernels.sh) and x86_64_defconfig without modules:
//! the seed laptop, the full QEMU q35 listings and q35 from IDs alone.
//!
//! A change that moves any of these reports must say why when it accepts
//! the new snapshot; a refactor must leave them byte-identical. The JSON
//! report is snapshotted without `timings`, the text report (which carries
//! the firmware lists the JSON lacks) without its `time:` line.
use kfit_testkit::repo;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (tree, build) of the cached 6.12 environment, fetched when missing.
fn env() -> (PathBuf, PathBuf) {
    use kfit_testkit::kernel_env;
    (
        PathBuf::from(kernel_env("6.12", "TREE")),
        PathBuf::from(kernel_env("6.12", "BUILD")),
    )
}

/// x86_64_defconfig with CONFIG_MODULES off, made by the kernel's own
/// scripts/config and `make olddefconfig`; the same cached file as
/// crates/fit/tests/real.rs uses.
fn base(tree: &Path, build: &Path) -> PathBuf {
    let def = std::fs::read_to_string(build.join("x86_64_defconfig.config")).unwrap();
    kfit_testkit::nomodules_base(tree, &def, "6.12-x86_64_defconfig-nomodules")
}

/// `kfit fit LISTINGS --json` and the text report, normalised. The
/// listings (all in one directory) are named relative to it, so the reports
/// name no path of this machine.
fn fit(listings: &[PathBuf]) -> (String, String) {
    let dir = listings[0].parent().unwrap();
    let names: Vec<&std::ffi::OsStr> = listings.iter().map(|l| l.file_name().unwrap()).collect();
    let (tree, build) = env();
    let base = base(&tree, &build);
    let run = |json: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kfit"));
        c.current_dir(dir)
            .arg("fit")
            .args(&names)
            .arg("--tree")
            .arg(&tree)
            .arg("--base")
            .arg(&base);
        c.args(["--cc", "gcc"]);
        if json {
            c.arg("--json");
        }
        let o = c.output().unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let mut v: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
    v.as_object_mut().unwrap().remove("timings");
    let json = serde_json::to_string_pretty(&v).unwrap();
    let text: String = run(false)
        .lines()
        .filter(|l| !l.starts_with("time: "))
        .map(|l| format!("{l}\n"))
        .collect();
    (json, text)
}

/// The q35 reference listings in the project's `shared/` directory, a
/// sibling of the repository (or of the worktree directory holding it).
fn q35(names: &[&str]) -> Vec<PathBuf> {
    let dir = kfit_testkit::q35();
    names.iter().map(|n| dir.join(n)).collect()
}

#[test]
fn seed_on_defconfig_without_modules() {
    let (json, text) = fit(&[repo("examples/seed/lspci-k.txt")]);
    insta::assert_snapshot!("seed_json", json);
    insta::assert_snapshot!("seed_text", text);
}

#[test]
fn q35_full_listings() {
    let (json, text) = fit(&q35(&[
        "lspci-nnk.txt",
        "lsusb.txt",
        "modalias-uevent.txt",
        "drivers.txt",
        "modules-loaded.txt",
    ]));
    insta::assert_snapshot!("q35_json", json);
    insta::assert_snapshot!("q35_text", text);
}

#[test]
fn q35_from_ids_alone() {
    let (json, text) = fit(&q35(&["lspci-nnk.txt", "lsusb.txt", "modalias-uevent.txt"]));
    insta::assert_snapshot!("q35_ids_json", json);
    insta::assert_snapshot!("q35_ids_text", text);
}

/// A warm `kfit fit` reads every source fact from the index: run under
/// `strace -f -e trace=open,openat` (skipped, with a message, when strace
/// is not installed), it opens no `.c` or `.h` file of the tree, on the
/// seed (amdgpu firmware narrowing, HDA), the full q35 listings and the
/// seed with mounts and block devices (registrations, their `#if`s).
#[test]
fn warm_fit_opens_no_source_file() {
    if Command::new("strace").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have strace (scripts/fetch-kernels.sh installs it)"
        );
        eprintln!("skipped: strace is not installed");
        return;
    }
    let (tree, build) = env();
    let base = base(&tree, &build);
    let system = repo("crates/hw/tests/data/system");
    let cases = [
        vec![repo("examples/seed/lspci-k.txt")],
        q35(&["lspci-nnk.txt", "lsusb.txt", "modalias-uevent.txt", "drivers.txt"]),
        // What the machine runs on: the registrations of filesystems, dm
        // targets, md personalities and block majors are index facts too.
        vec![
            repo("examples/seed/lspci-k.txt"),
            system.join("proc-mounts.txt"),
            system.join("lsblk.txt"),
            system.join("lsblk-zram.txt"),
        ],
    ];
    let tree_s = format!("{}/", tree.display());
    for listings in cases {
        let run = |trace: Option<&Path>| {
            let mut c = match trace {
                Some(t) => {
                    let mut c = Command::new("strace");
                    c.args(["-f", "-qq", "-e", "trace=open,openat", "-o"])
                        .arg(t)
                        .arg(env!("CARGO_BIN_EXE_kfit"));
                    c
                }
                None => Command::new(env!("CARGO_BIN_EXE_kfit")),
            };
            c.arg("fit")
                .args(&listings)
                .arg("--tree")
                .arg(&tree)
                .arg("--base")
                .arg(&base)
                .args(["--cc", "gcc"]);
            let o = c.output().unwrap();
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        // Warm the caches, then trace.
        run(None);
        let trace = std::env::temp_dir().join(format!("kfit-strace-{}.txt", std::process::id()));
        run(Some(&trace));
        let log = std::fs::read_to_string(&trace).unwrap();
        let _ = std::fs::remove_file(&trace);
        let opened: Vec<&str> = log
            .lines()
            .filter_map(|l| l.split('"').nth(1))
            .filter(|p| p.starts_with(&tree_s))
            .collect();
        assert!(
            !opened.is_empty(),
            "strace saw no open of the tree at all:\n{log}"
        );
        let sources: Vec<&&str> = opened
            .iter()
            .filter(|p| p.ends_with(".c") || p.ends_with(".h"))
            .collect();
        assert!(
            sources.is_empty(),
            "a warm fit of {listings:?} opened {} source files: {sources:?}",
            sources.len()
        );
    }
}
