//! `kfit hw` end to end: the built binary on saved listings and on /sys.

use std::path::PathBuf;
use std::process::Command;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hw/tests/data")
        .join(rel)
}

fn kfit(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kfit"))
        .arg("hw")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn table_of_the_seed_listing() {
    let f = data("seed/seed-lspci-k.txt");
    let out = kfit(&[f.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8(out.stdout).unwrap();
    let head = s.lines().next().unwrap();
    for col in ["BUS", "ADDRESS", "IDS", "CLASS", "DRIVER", "MODULES"] {
        assert!(head.contains(col), "{head}");
    }
    assert!(
        s.contains("0000:03:00.0") && s.contains("1002:1638") && s.contains("amdgpu"),
        "{s}"
    );
    assert!(s.contains("\n31 devices"), "{s}");
}

#[test]
fn json_of_merged_q35_listings() {
    let files: Vec<PathBuf> = [
        "lspci-nnk.txt",
        "lsusb-t.txt",
        "modalias-uevent.txt",
        "modules-loaded.txt",
    ]
    .iter()
    .map(|f| data(&format!("q35/{f}")))
    .collect();
    let mut args: Vec<&std::ffi::OsStr> = files.iter().map(|p| p.as_os_str()).collect();
    args.push("--json".as_ref());
    let out = kfit(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let devs = v["devices"].as_array().unwrap();
    let xhci = devs.iter().find(|d| d["address"] == "0000:03:00.0").unwrap();
    assert_eq!(xhci["bus"], "pci");
    assert_eq!(xhci["driver"], "xhci_hcd");
    assert_eq!(xhci["vendor"], "1b36");
    assert_eq!(v["schema"], "kfit.hw/2");
    assert_eq!(v["loaded_modules"].as_array().unwrap().len(), 147);
}

#[test]
fn garbage_is_an_error_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("kfit-hw-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("junk.txt");
    std::fs::write(&f, "this is\nnot a listing at all\n").unwrap();
    let out = kfit(&[f.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.txt:1: unknown listing format"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn live_sysfs() {
    if !std::path::Path::new("/sys/bus").exists() {
        return;
    }
    let out = kfit(&["--bus".as_ref(), "pci".as_ref()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8(out.stdout).unwrap();
    let n = std::fs::read_dir("/sys/bus/pci/devices")
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(s.contains(&format!("\n{n} devices")), "{s}");
}

/// Mount, filesystem and lsblk listings: `kfit hw` prints what the machine
/// runs on, each fact with its listing line; `--json` carries `system`.
#[test]
fn what_the_machine_runs_on() {
    let files: Vec<PathBuf> = ["proc-mounts.txt", "lsblk-P.txt", "proc-filesystems.txt"]
        .iter()
        .map(|f| data(&format!("system/{f}")))
        .collect();
    let args: Vec<&std::ffi::OsStr> = files.iter().map(|f| f.as_os_str()).collect();
    let out = kfit(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8(out.stdout).unwrap();
    let section = s
        .split("\nwhat it runs on:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{s}"));
    for want in [
        "mount       /                        ext4       /dev/mapper/vg-root  (",
        "proc-mounts.txt:6)",
        "block       sda                      disk pt=gpt  (",
        "lsblk-P.txt:1)",
        "block       sda2                     part fs=ext4 pt=gpt /  (",
        "registered  32 filesystem types: sysfs tmpfs",
        "boot        EFI  (efivarfs mounted at /sys/firmware/efi/efivars (",
    ] {
        assert!(section.contains(want), "{want:?} in {section}");
    }
    let mut json_args = args.clone();
    json_args.push("--json".as_ref());
    let out = kfit(&json_args);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["system"]["mounts"].as_array().unwrap().len(), 16);
    assert_eq!(v["system"]["block"].as_array().unwrap().len(), 5);
    assert_eq!(v["system"]["filesystems"].as_array().unwrap().len(), 32);
    assert_eq!(v["system"]["boot"]["firmware"], "efi");
}
