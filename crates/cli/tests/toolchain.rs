//! Issue 12: outside ix, `kfit kconfig olddefconfig` with the default
//! toolchain writes byte for byte what `make olddefconfig` writes (gcc),
//! and with `--llvm` what `make LLVM=1 olddefconfig` writes (clang), on the
//! cached Debian 6.12 and 6.1 trees, starting from Debian's own config.
//! `make` builds its conf in a scratch O= directory: the tree is not
//! written. Skipped (with a message) when the trees are not cached; the
//! LLVM half needs clang and ld.lld (scripts/fetch-kernels.sh installs
//! them; in CI their absence fails the test).

use std::path::PathBuf;
use std::process::Command;

fn env_of(v: &str) -> Option<(PathBuf, PathBuf)> {
    let get = |k: &str| kfit_testkit::kernel_env_if_cached(v, k).map(PathBuf::from);
    let (tree, deb) = (get("TREE")?, get("DEBIAN")?);
    (tree.join("Kconfig").is_file() && deb.join("config").is_file()).then_some((tree, deb.join("config")))
}

fn on_path(t: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
}

fn check(v: &str, llvm: bool) {
    let Some((tree, config)) = env_of(v) else {
        eprintln!("skipped: Linux {v} is not cached (scripts/fetch-kernels.sh {v})");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let build = tmp.path().join("o");
    std::fs::create_dir(&build).unwrap();
    std::fs::copy(&config, build.join(".config")).unwrap();
    let mut make = Command::new("make");
    make.arg("-s")
        .arg("-C")
        .arg(&tree)
        .arg(format!("O={}", build.display()));
    if llvm {
        make.arg("LLVM=1");
    }
    let out = make.arg("olddefconfig").output().unwrap();
    assert!(
        out.status.success(),
        "make: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let input = tmp.path().join("in.config");
    std::fs::copy(&config, &input).unwrap();
    let ours = tmp.path().join("kfit.config");
    let mut k = Command::new(env!("CARGO_BIN_EXE_kfit"));
    // a private cache: the probes run afresh with this toolchain
    k.env("KFIT_CACHE", tmp.path().join("cache"))
        .args(["kconfig", "olddefconfig", "--tree"])
        .arg(&tree)
        .arg("--config")
        .arg(&input)
        .arg("-o")
        .arg(&ours);
    if llvm {
        k.arg("--llvm");
    }
    let out = k.output().unwrap();
    assert!(
        out.status.success(),
        "kfit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (
        std::fs::read_to_string(build.join(".config")).unwrap(),
        std::fs::read_to_string(&ours).unwrap(),
    );
    if a != b {
        let diff: Vec<String> = a
            .lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .take(10)
            .map(|(x, y)| format!("make: {x}\nkfit: {y}"))
            .collect();
        panic!(
            "Linux {v}{}: kfit differs from make olddefconfig:\n{}",
            if llvm { " LLVM=1" } else { "" },
            diff.join("\n")
        );
    }
    let cc = a
        .lines()
        .find(|l| l.starts_with("CONFIG_CC_VERSION_TEXT="))
        .unwrap();
    assert!(cc.contains(if llvm { "clang" } else { "gcc" }), "{cc}");
    assert_eq!(std::fs::read(&input).unwrap(), std::fs::read(&config).unwrap());
}

fn llvm_ready() -> bool {
    let ok = on_path("clang") && on_path("ld.lld");
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have clang and ld.lld (scripts/fetch-kernels.sh installs them)"
        );
        eprintln!("skipped: clang or ld.lld not installed");
    }
    ok
}

#[test]
fn olddefconfig_matches_make_gcc_6_12() {
    check("6.12", false);
}

#[test]
fn olddefconfig_matches_make_gcc_6_1() {
    check("6.1", false);
}

#[test]
fn olddefconfig_matches_make_llvm_6_12() {
    if llvm_ready() {
        check("6.12", true);
    }
}

#[test]
fn olddefconfig_matches_make_llvm_6_1() {
    if llvm_ready() {
        check("6.1", true);
    }
}
