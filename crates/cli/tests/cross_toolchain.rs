//! Issue 20: the toolchain probes of a foreign architecture run as `make
//! ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-` runs them. On the cached
//! Debian 6.12 tree, `kfit kconfig olddefconfig --arch arm64` writes byte
//! for byte what make writes:
//!
//! * from arm64's defconfig, against `make defconfig`, with
//!   `CROSS_COMPILE` from the environment as make takes it;
//! * a config kfit wrote (Debian's arm64 config carried through kfit with
//!   `--cross-compile`) is what `make olddefconfig` leaves it as;
//! * with one probe cache shared by an x86 run, the cross run and a host-gcc
//!   arm64 run (make's behaviour without CROSS_COMPILE, which kfit warns
//!   about), each agrees with make: the caches are keyed by the tool.
//!
//! `make` builds its conf in a scratch O= directory: the tree is not
//! written. Skipped (with a message) when the tree is not cached or
//! aarch64-linux-gnu-gcc is missing (scripts/fetch-kernels.sh installs
//! gcc-aarch64-linux-gnu; in CI its absence fails the test).

use std::path::{Path, PathBuf};
use std::process::Command;

const CROSS: &str = "aarch64-linux-gnu-";

fn tree() -> Option<PathBuf> {
    let t = kfit_testkit::kernel_env_if_cached("6.12", "TREE").map(PathBuf::from)?;
    t.join("arch/arm64/configs/defconfig").is_file().then_some(t)
}

fn on_path(t: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
}

fn ready() -> Option<PathBuf> {
    if !on_path(&format!("{CROSS}gcc")) || !on_path(&format!("{CROSS}ld")) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {CROSS}gcc (scripts/fetch-kernels.sh installs gcc-aarch64-linux-gnu)"
        );
        eprintln!("skipped: {CROSS}gcc not installed (apt-get install gcc-aarch64-linux-gnu)");
        return None;
    }
    let t = tree();
    if t.is_none() {
        eprintln!("skipped: Linux 6.12 is not cached (scripts/fetch-kernels.sh 6.12)");
    }
    t
}

/// `make -C tree O=build ARCH=arch [CROSS_COMPILE=...] target`; the
/// resulting .config.
fn make(tree: &Path, build: &Path, arch: &str, cross: Option<&str>, target: &str) -> String {
    let mut make = Command::new("make");
    make.arg("-s")
        .arg("-C")
        .arg(tree)
        .arg(format!("O={}", build.display()))
        .arg(format!("ARCH={arch}"))
        .env_remove("CROSS_COMPILE")
        .env_remove("LLVM");
    if let Some(c) = cross {
        make.arg(format!("CROSS_COMPILE={c}"));
    }
    let out = make.arg(target).output().unwrap();
    assert!(
        out.status.success(),
        "make: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(build.join(".config")).unwrap()
}

/// `kfit kconfig olddefconfig --arch arch` of `input`: the config written
/// and stderr.
fn kfit(
    tree: &Path,
    cache: &Path,
    arch: &str,
    input: &Path,
    out: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (String, String) {
    let mut k = Command::new(env!("CARGO_BIN_EXE_kfit"));
    k.env("KFIT_CACHE", cache)
        .env_remove("CROSS_COMPILE")
        .env_remove("LLVM")
        .env_remove("ARCH")
        .envs(env.iter().copied())
        .args(["kconfig", "olddefconfig", "--arch", arch, "--tree"])
        .arg(tree)
        .arg("--config")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(args);
    let o = k.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "kfit: {stderr}");
    (std::fs::read_to_string(out).unwrap(), stderr)
}

fn same(what: &str, make: &str, kfit: &str) {
    if make != kfit {
        let diff: Vec<String> = make
            .lines()
            .zip(kfit.lines())
            .filter(|(x, y)| x != y)
            .take(10)
            .map(|(x, y)| format!("make: {x}\nkfit: {y}"))
            .collect();
        panic!("{what}: kfit differs from make:\n{}", diff.join("\n"));
    }
}

fn line<'a>(config: &'a str, sym: &str) -> &'a str {
    config
        .lines()
        .find(|l| l.starts_with(&format!("CONFIG_{sym}=")))
        .unwrap_or("")
}

#[test]
fn arm64_defconfig_with_cross_compile_from_the_environment_matches_make() {
    let Some(tree) = ready() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let build = tmp.path().join("o");
    std::fs::create_dir(&build).unwrap();
    let made = make(&tree, &build, "arm64", Some(CROSS), "defconfig");
    let (ours, stderr) = kfit(
        &tree,
        &tmp.path().join("cache"),
        "arm64",
        &tree.join("arch/arm64/configs/defconfig"),
        &tmp.path().join("kfit.config"),
        &[],
        &[("CROSS_COMPILE", CROSS)],
    );
    same("arm64 defconfig, CROSS_COMPILE in the environment", &made, &ours);
    assert!(
        line(&ours, "CC_VERSION_TEXT").contains("aarch64-linux-gnu-gcc"),
        "{ours}"
    );
    // probes only the aarch64 assembler passes
    assert_eq!(line(&ours, "AS_HAS_ARMV8_3"), "CONFIG_AS_HAS_ARMV8_3=y");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn a_config_kfit_wrote_for_arm64_is_what_make_olddefconfig_leaves() {
    let Some(tree) = ready() else { return };
    let Some(deb) = kfit_testkit::kernel_env_if_cached("6.12-arm64", "DEBIAN").map(PathBuf::from) else {
        eprintln!("skipped: Debian's arm64 6.12 config is not cached (scripts/fetch-kernels.sh 6.12-arm64)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("kfit.config");
    let (written, _) = kfit(
        &tree,
        &tmp.path().join("cache"),
        "arm64",
        &deb.join("config"),
        &ours,
        &["--cross-compile", CROSS],
        &[],
    );
    let build = tmp.path().join("o");
    std::fs::create_dir(&build).unwrap();
    std::fs::copy(&ours, build.join(".config")).unwrap();
    let made = make(&tree, &build, "arm64", Some(CROSS), "olddefconfig");
    same("make olddefconfig of kfit's arm64 config", &made, &written);
    assert!(line(&written, "CC_VERSION_TEXT").contains("aarch64-linux-gnu-gcc"));
}

#[test]
fn probe_caches_of_host_and_cross_compilers_never_mix() {
    let Some(tree) = ready() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let defconfig = |a: &str| tree.join(format!("arch/{a}/configs/defconfig"));
    let x86_defconfig = tree.join("arch/x86/configs/x86_64_defconfig");
    // (arch, CROSS_COMPILE, input), in this order on one cache
    let runs: [(&str, Option<&str>, PathBuf); 3] = [
        ("x86", None, x86_defconfig),
        ("arm64", Some(CROSS), defconfig("arm64")),
        ("arm64", None, defconfig("arm64")),
    ];
    let mut texts = Vec::new();
    for (i, (arch, cross, input)) in runs.iter().enumerate() {
        let build = tmp.path().join(format!("o{i}"));
        std::fs::create_dir(&build).unwrap();
        std::fs::copy(input, build.join(".config")).unwrap();
        let made = make(&tree, &build, arch, *cross, "olddefconfig");
        let env: Vec<(&str, &str)> = cross.iter().map(|c| ("CROSS_COMPILE", *c)).collect();
        let (ours, stderr) = kfit(
            &tree,
            &cache,
            arch,
            input,
            &tmp.path().join(format!("k{i}")),
            &[],
            &env,
        );
        same(&format!("ARCH={arch} CROSS_COMPILE={cross:?}"), &made, &ours);
        // a foreign arch on the host compiler: make's result, and a warning
        let host_probes = *arch == "arm64" && cross.is_none();
        assert_eq!(
            stderr.contains("run the host's gcc"),
            host_probes,
            "ARCH={arch} CROSS_COMPILE={cross:?}: {stderr}"
        );
        texts.push(ours);
    }
    // the two arm64 configs differ in what the probes found
    assert_ne!(
        line(&texts[1], "CC_VERSION_TEXT"),
        line(&texts[2], "CC_VERSION_TEXT")
    );
    assert_ne!(texts[1], texts[2]);
}
