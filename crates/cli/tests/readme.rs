//! Issue 12: every command line of the README's `sh` blocks that can run
//! offline runs exactly as written, in order, with `kfit` on PATH: the
//! quick start and the install lines in the checkout, the usage lines in a
//! scratch directory holding the files they name (`linux-6.12` and
//! `linux-6.1`: the cached Debian trees; `.config`: their x86_64_defconfig;
//! `lspci-k.txt` ...: listings of the repo). Each must end with status 0, or
//! 1 for a fit or audit that reports a device it cannot (or does not)
//! drive; nothing may panic.
//! The lines that need the network are listed below with the reason, and
//! the list must match the README (a new line is run, or listed here).

use kfit_testkit::{cache, repo};
use std::path::PathBuf;
use std::process::Command;

/// TREE and BUILD of a cached version.
fn env_of(v: &str) -> Option<(PathBuf, PathBuf)> {
    let get = |k: &str| kfit_testkit::kernel_env_if_cached(v, k).map(PathBuf::from);
    Some((get("TREE")?, get("BUILD")?))
}

/// Lines not run, each with why (matched as a prefix of the README line).
const NOT_RUN: &[(&str, &str)] = &[
    (
        "scripts/test.sh",
        "CI's own command: this test runs inside it",
    ),
    (
        "ix mut system bin/kfit",
        "needs a real ix and the network; the recipe is rendered by tests/packaging.rs",
    ),
    (
        "kfit fit lspci-k.txt --ix --kernel 6.16",
        "downloads Linux 6.16 from kernel.org (ver.sh); the same command on a 6.12 package runs offline in tests/ix_user.rs",
    ),
];

/// The command lines of the README's ```sh blocks (comment-only lines left
/// out), in order.
fn readme_lines() -> Vec<String> {
    let text = std::fs::read_to_string(repo("README.md")).unwrap();
    let mut out = Vec::new();
    let mut inside = false;
    for l in text.lines() {
        if l.starts_with("```") {
            inside = !inside && l.trim() == "```sh";
            continue;
        }
        let t = l.trim();
        if inside && !t.is_empty() && !t.starts_with('#') {
            out.push(t.to_string());
        }
    }
    out
}

#[test]
fn readme_command_lines_run_as_written() {
    let (Some((t612, b612)), Some((t61, b61))) = (env_of("6.12"), env_of("6.1")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Linux 6.12 and 6.1 cached"
        );
        eprintln!("skipped: Linux 6.12/6.1 not cached (scripts/fetch-kernels.sh)");
        return;
    };
    let lines = readme_lines();
    assert!(lines.len() >= 20, "{lines:#?}");
    for (prefix, _) in NOT_RUN {
        assert!(
            lines.iter().any(|l| l.starts_with(prefix)),
            "NOT_RUN names {prefix:?}, which the README no longer has"
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let home = tmp.path().join("home");
    let bin = tmp.path().join("bin");
    for d in [&work, &home, &bin, &home.join(".local/bin")] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kfit"), bin.join("kfit")).unwrap();
    std::os::unix::fs::symlink(&t612, work.join("linux-6.12")).unwrap();
    std::os::unix::fs::symlink(&t61, work.join("linux-6.1")).unwrap();
    let copy = |from: PathBuf, to: &str| {
        std::fs::copy(&from, work.join(to)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    };
    copy(b612.join("x86_64_defconfig.config"), ".config");
    copy(b612.join("x86_64_defconfig.config"), "old.config");
    copy(b61.join("x86_64_defconfig.config"), "6.1.config");
    copy(repo("examples/seed/lspci-k.txt"), "lspci-k.txt");
    copy(repo("crates/hw/tests/data/q35/lsusb.txt"), "lsusb.txt");
    copy(repo("crates/hw/tests/data/q35/lspci-nnk.txt"), "lspci-nnk.txt");
    copy(repo("examples/seed/lspci-k.txt"), "a.txt");
    copy(repo("crates/hw/tests/data/q35/lspci-nnk.txt"), "b1.txt");
    copy(repo("crates/hw/tests/data/formats/lspci-nnk.txt"), "b2.txt");
    copy(repo("crates/hw/tests/data/system/proc-mounts.txt"), "mounts.txt");
    copy(repo("crates/hw/tests/data/system/lsblk.txt"), "lsblk.txt");
    // a merge_config.sh fragment, as a user writes one
    std::fs::write(
        work.join("my.config"),
        "CONFIG_ZRAM=y\n# CONFIG_NFS_FS is not set\n",
    )
    .unwrap();

    let path = format!(
        "{}:{}:{}",
        bin.display(),
        home.join(".local/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let target = repo("target");
    let mut ran = 0;
    for line in &lines {
        if let Some((_, why)) = NOT_RUN.iter().find(|(p, _)| line.starts_with(p)) {
            eprintln!("not run: {line}\n    ({why})");
            continue;
        }
        // The quick start and install lines name paths of the checkout.
        let in_repo = line.starts_with("scripts/") || line.starts_with("cargo ");
        let mut c = Command::new("bash");
        c.arg("-eo")
            .arg("pipefail")
            .arg("-c")
            .arg(line)
            .current_dir(if in_repo { repo(".") } else { work.clone() })
            .env("PATH", &path)
            .env("HOME", &home)
            .env("KFIT_CACHE", cache())
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            // quickstart.sh: this test's kfit, its output in the scratch dir
            .env("KFIT", env!("CARGO_BIN_EXE_kfit"))
            .env("KFIT_OUT", tmp.path().join("quickstart"))
            // cargo install: the artifacts this test was built from, installed
            // under the scratch home
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_INSTALL_ROOT", home.join(".local"));
        let t = std::time::Instant::now();
        let o = c.output().unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        eprintln!("ran ({:.1?}): {line}", t.elapsed());
        // exit 1: a device that cannot be (or is not) driven, reported
        let fit = ["kfit fit", "kfit audit", "quickstart"]
            .iter()
            .any(|c| line.contains(c));
        let ok = match o.status.code() {
            Some(0) => true,
            Some(1) => fit,
            _ => false,
        };
        assert!(
            ok && !err.contains("panicked"),
            "README line failed: {line}\nstatus {:?}\n--- stdout\n{}\n--- stderr\n{err}",
            o.status,
            out.chars().take(4000).collect::<String>()
        );
        ran += 1;
    }
    // What the lines were for.
    assert!(work.join("new.config").is_file());
    assert!(work.join("fleet.config").is_file());
    assert!(work.join("6.12.config").is_file());
    assert!(home
        .join(".local/share/bash-completion/completions/kfit")
        .is_file());
    assert!(home.join(".local/share/man/man1/kfit.1").is_file());
    assert!(home.join(".local/bin/kfit").is_file(), "cargo install");
    assert_eq!(ran + NOT_RUN.len(), lines.len());
}
