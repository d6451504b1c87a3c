//! `kfit profiles`, `kfit fit --fragment/--require/--profile` and
//! `kfit audit --profile` end to end (the real Debian 6.12 tree for the
//! last two; scripts/fetch-kernels.sh caches it).

use kfit_testkit::{fixtures, repo};
use std::path::PathBuf;
use std::process::Command;

/// The cached Debian 6.12 tree (fetched when missing).
fn tree() -> PathBuf {
    PathBuf::from(kfit_testkit::kernel_env("6.12", "TREE"))
}

fn kfit(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .args(args)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), s)
}

#[test]
fn profiles_are_listed() {
    let (code, s) = kfit(&["profiles"]);
    assert_eq!(code, 0, "{s}");
    for p in ["ix", "containers", "kvm-host", "minimal-boot"] {
        assert!(s.lines().any(|l| l.starts_with(p)), "{s}");
    }
    let (code, s) = kfit(&["profiles", "containers"]);
    assert_eq!(code, 0, "{s}");
    assert!(
        s.contains("CONFIG_POSIX_MQUEUE=y") && s.contains("check-config.sh:227"),
        "{s}"
    );
    let (code, s) = kfit(&["profiles", "nope"]);
    assert_eq!(code, 2, "{s}");
    assert!(s.contains("unknown profile"), "{s}");
}

/// An unsatisfiable fragment (a symbol only powerpc can have): the report
/// gives the blocking expression and kfit exits 1; a bad fragment line is
/// an error (exit 2) naming file and line.
#[test]
fn fit_with_an_unsatisfiable_fragment_exits_1() {
    let t = tree();
    let dir = std::env::temp_dir().join(format!("kfit-cli-frag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let frag = dir.join("ppc.config");
    std::fs::write(&frag, "CONFIG_HVC_RTAS=y\n").unwrap();
    let base = t.join("arch/x86/configs/x86_64_defconfig");
    let seed = repo("examples/seed/lspci-k.txt");
    let args = [
        "fit",
        seed.to_str().unwrap(),
        "--tree",
        t.to_str().unwrap(),
        "--base",
        base.to_str().unwrap(),
        "--fragment",
        frag.to_str().unwrap(),
        "--require",
        "ZRAM",
    ];
    let (code, s) = kfit(&args);
    assert_eq!(code, 1, "{s}");
    assert!(s.contains("BLOCKED  CONFIG_HVC_RTAS=y"), "{s}");
    assert!(s.contains("HVC_RTAS depends on PPC_RTAS [=n]"), "{s}");
    assert!(
        s.contains("SET  CONFIG_ZRAM=y") && s.contains("from --require ZRAM"),
        "{s}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, s) = kfit(&json_args);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&s[..s.rfind('}').unwrap() + 1]).unwrap();
    assert_eq!(v["requirements"][0]["status"], "blocked");
    assert_eq!(v["summary"]["requirements_blocked"], 1);
    std::fs::write(&frag, "CONFIG_A=y\nnonsense\n").unwrap();
    let (code, s) = kfit(&args);
    assert_eq!(code, 2, "{s}");
    assert!(s.contains("ppc.config:2"), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kfit audit --profile ix --config cfg_6_16` on 6.12: what ix's own
/// config lacks, each with a reason; no listings = no device audit.
#[test]
fn audit_of_ix_config_with_the_ix_profile() {
    let t = tree();
    let fixtures = fixtures();
    let cfg = fixtures.join("ix-current/pkgs/bin/kernel/configs/cfg_6_16");
    let (code, s) = kfit(&[
        "audit",
        "--profile",
        "ix",
        "--config",
        cfg.to_str().unwrap(),
        "--tree",
        t.to_str().unwrap(),
    ]);
    println!("{s}");
    assert!(s.contains("requirements are not met by"), "{s}");
    let missing = s.lines().filter(|l| l.starts_with("MISSING")).count();
    assert_eq!(code, if missing == 0 { 0 } else { 1 }, "{s}");
    assert_eq!(s.matches("         why: ").count(), missing, "{s}");
}

/// What the machine runs on, end to end: the seed with a mounts listing,
/// an lsblk listing and /proc/filesystems. The text report has its own
/// section, each requirement once with the listing line it comes from and
/// the tree line it maps through; `--json` carries the facts
/// (`machines[].system`) and the requirements with their section.
#[test]
fn fit_reports_what_the_system_runs_on() {
    let t = tree();
    let data = repo("crates/hw/tests/data/system");
    let base = t.join("arch/x86/configs/x86_64_defconfig");
    let seed = repo("examples/seed/lspci-k.txt");
    let (mounts, lsblk, fss) = (
        data.join("proc-mounts.txt"),
        data.join("lsblk.txt"),
        data.join("proc-filesystems.txt"),
    );
    let args = [
        "fit",
        seed.to_str().unwrap(),
        mounts.to_str().unwrap(),
        lsblk.to_str().unwrap(),
        fss.to_str().unwrap(),
        "--tree",
        t.to_str().unwrap(),
        "--base",
        base.to_str().unwrap(),
    ];
    let (code, s) = kfit(&args);
    assert_eq!(code, 0, "{s}");
    let section = s
        .split("== what the system runs on\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no system section: {s}"));
    let section = section.split("\n==").next().unwrap();
    for (sym, evidence) in [
        ("EXT4_FS", "proc-mounts.txt:6"),
        ("DM_CRYPT", "lsblk.txt:6"),
        ("MD_RAID1", "lsblk.txt:11"),
        ("EFI_STUB", "proc-mounts.txt:9"),
        (
            "FRAMEBUFFER_CONSOLE",
            "pci 0000:03:00.0 [1002:1638] class 0300, driver amdgpu",
        ),
        ("OVERLAY_FS", "proc-filesystems.txt:32"),
    ] {
        let head = format!("  CONFIG_{sym}=y\n");
        assert_eq!(section.matches(&head).count(), 1, "{sym} once: {section}");
        let entry = section.split(&head).nth(1).unwrap();
        let from = entry.lines().next().unwrap();
        assert!(from.contains("from ") && from.contains(evidence), "{sym}: {from}");
    }
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, s) = kfit(&json_args);
    assert_eq!(code, 0, "{s}");
    let v: serde_json::Value =
        serde_json::from_str(&s[s.find('{').unwrap()..s.rfind('}').unwrap() + 1]).unwrap();
    let sys = &v["machines"][0]["system"];
    assert_eq!(sys["mounts"].as_array().unwrap().len(), 16, "{sys}");
    assert_eq!(sys["block"].as_array().unwrap().len(), 11, "{sys}");
    assert_eq!(sys["filesystems"].as_array().unwrap().len(), 32, "{sys}");
    assert_eq!(sys["boot"]["firmware"], "efi");
    assert!(sys["boot"]["evidence"]
        .as_str()
        .unwrap()
        .contains("proc-mounts.txt:9"));
    let reqs = v["requirements"].as_array().unwrap();
    let ext4 = reqs.iter().find(|r| r["symbol"] == "EXT4_FS").unwrap();
    assert_eq!(ext4["section"], "system");
    assert!(ext4["sources"][0].as_str().unwrap().contains("fs/ext4/super.c:"));
}
