#![no_main]
//! The ix package reader and writer (issue 18) on a copy of today's ix
//! kernel packages (`KFIT_FUZZ_IX`, default ../shared/fixtures/ix-current;
//! the configs cut to their first 8 KiB for speed) in which one file is
//! replaced by the input: a package's `ix.sh` or `ver.sh`, a template of the
//! extends chain, the firmware list, the config, or a new `latest` file.
//! The first byte picks the file; with the last choice the input is instead
//! the new config (and, after a NUL, the firmware names) that is written.
//!
//! Then, as `kfit fit --ix` does: find every package, resolve 7.1 (and
//! `latest`), its ver.sh, config and firmware paths, the packages sharing
//! them, and write a machine package and an in-place edit (dry run and real,
//! backups outside the checkout), twice (the second run must change
//! nothing). Errors are fine; panics, and a write outside the checkout or
//! the backup directory, are bugs.
use kfit_ix::{write_package, IxTree, WriteOptions};
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const TARGETS: &[&str] = &[
    "pkgs/bin/kernel/7/1/ix.sh",
    "pkgs/bin/kernel/7/1/ver.sh",
    "pkgs/bin/kernel/t/4/ix.sh",
    "pkgs/bin/kernel/t/1/ix.sh",
    "pkgs/bin/kernel/t/0/ix.sh",
    "pkgs/bin/kernel/ix.sh",
    "pkgs/bin/kernel/t/1/fw.sh",
    "pkgs/bin/kernel/configs/cfg_6_16",
    "pkgs/bin/kernel/latest",
    "pkgs/bin/kernel/7/1/fz/ix.sh",
];

fn fixture() -> &'static Vec<(PathBuf, Vec<u8>)> {
    static F: OnceLock<Vec<(PathBuf, Vec<u8>)>> = OnceLock::new();
    F.get_or_init(|| {
        let src = std::env::var_os("KFIT_FUZZ_IX")
            .map(PathBuf::from)
            .or_else(|| {
                [
                    "../../../../shared/fixtures/ix-current",
                    "../../../../../shared/fixtures/ix-current",
                    "/work/shared/fixtures/ix-current",
                ]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_dir())
            })
            .expect("set KFIT_FUZZ_IX to an ix checkout (../shared/fixtures/ix-current)");
        let mut out = Vec::new();
        walk(&src, &src, &mut out);
        out
    })
}

fn walk(base: &Path, d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(d).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(base, &p, out);
        } else {
            let mut b = std::fs::read(&p).unwrap();
            if p.to_string_lossy().contains("/configs/") {
                b.truncate(8192);
            }
            out.push((p.strip_prefix(base).unwrap().to_path_buf(), b));
        }
    }
}

fn scratch() -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!("kfit-fuzz-ix-{}", std::process::id()))
}

/// Every file under `d` (for "nothing outside was written").
fn listing(d: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                v.extend(listing(&p));
            }
            v.push(p);
        }
    }
    v.sort();
    v
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let s = scratch();
    let _ = std::fs::remove_dir_all(&s);
    let root = s.join("ix");
    for (p, b) in fixture() {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, b).unwrap();
    }
    let choice = first as usize % (TARGETS.len() + 1);
    let (config, firmware): (String, Vec<String>) = if choice < TARGETS.len() {
        let f = root.join(TARGETS[choice]);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, rest).unwrap();
        (
            "CONFIG_X86=y\nCONFIG_64BIT=y\nCONFIG_BLK_DEV_NVME=y\n".into(),
            vec!["amdgpu/green_sardine_asd.bin".into(), "iwlwifi-cc-a0-77.ucode".into()],
        )
    } else {
        let text = String::from_utf8_lossy(rest);
        let (c, fw) = text.split_once('\0').unwrap_or((&text, ""));
        (c.to_string(), fw.lines().map(str::to_string).collect())
    };
    // An outside neighbour that must never change.
    let outside = s.join("outside");
    std::fs::write(&outside, b"outside").unwrap();
    let backups = s.join("backups");

    let Ok(ix) = IxTree::at(&root) else { return };
    let _ = ix.kernel_versions();
    let _ = ix.newest_version();
    for p in ix.kernel_packages() {
        let _ = p.shared_with();
    }
    let _ = ix.kernel_package("latest");
    let Ok(pkg) = ix.kernel_package("7/1") else {
        return;
    };
    let _ = pkg.ver_sh();
    let _ = pkg.shared_with();
    for name in [Some("fz"), None] {
        let _ = pkg.config_path(name);
        let _ = pkg.base_config_path(name);
        let _ = pkg.firmware_list_path(name);
        let _ = pkg.package_path(name);
        let _ = kfit_ix::mut_command(&pkg, name);
    }
    for new_name in [Some("fz".to_string()), None] {
        for dry_run in [true, false, false] {
            let opts = WriteOptions {
                new_name: new_name.clone(),
                backup_dir: Some(backups.clone()),
                dry_run,
            };
            let _ = write_package(&pkg, &config, &firmware, &opts);
        }
    }
    // Nothing but the checkout, the backups and the neighbour.
    for p in listing(&s) {
        assert!(
            p.starts_with(&root) || p.starts_with(&backups) || p == outside,
            "written outside: {}",
            p.display()
        );
    }
    assert_eq!(std::fs::read(&outside).unwrap(), b"outside");
});
