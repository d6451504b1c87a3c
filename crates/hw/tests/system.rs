//! Mount tables and block listings (tests/data/system): format detection,
//! one snapshot per form, and the facts each must give.

use kfit_hw::{read_str, Boot, Format};

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/system/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn snap(file: &str, expect: Format) -> kfit_hw::System {
    let text = read(file);
    assert_eq!(kfit_hw::detect(&text, file).unwrap(), Some(expect), "{file}");
    let (m, w) = read_str(&text, file).unwrap_or_else(|e| panic!("{e}"));
    assert!(w.is_empty(), "{file}: {w:?}");
    assert!(m.devices.is_empty());
    insta::assert_yaml_snapshot!(file.trim_end_matches(".txt"), m.system);
    m.system
}

#[test]
fn mount_tables() {
    let s = snap("proc-mounts.txt", Format::ProcMounts);
    assert_eq!(s.mounts.len(), 16);
    assert!(s
        .mounts
        .iter()
        .any(|m| m.target == "/srv/my data" && m.fstype == "xfs"));
    assert!(matches!(&s.boot, Some(Boot::Efi { evidence }) if evidence.contains("proc-mounts.txt:9")));
    let s = snap("mount.txt", Format::Mount);
    assert_eq!(s.mounts[0].fstype, "ext4");
    assert_eq!(s.boot, None, "nothing says EFI");
    let s = snap("findmnt.txt", Format::Findmnt);
    assert_eq!(s.mounts.len(), 6);
    assert!(s
        .mounts
        .iter()
        .any(|m| m.target == "/boot/efi" && m.source == "/dev/nvme0n1p1"));
    let s = snap("proc-filesystems.txt", Format::ProcFilesystems);
    assert_eq!(s.filesystems.len(), 32);
    assert!(s.filesystems.iter().any(|f| f.name == "ext4" && !f.nodev));
    assert!(s.filesystems.iter().any(|f| f.name == "overlay" && f.nodev));
    let s = snap("findmnt-P.txt", Format::Findmnt);
    assert_eq!(s.mounts[1].target, "/mnt/usb stick");
}

#[test]
fn block_listings() {
    let s = snap("lsblk.txt", Format::Lsblk);
    assert_eq!(s.block.len(), 11, "md0 (on sda and sdb) once");
    let kinds: Vec<&str> = s.block.iter().filter_map(|b| b.kind.as_deref()).collect();
    for k in ["crypt", "lvm", "raid1", "part", "disk"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let s = snap("lsblk-f.txt", Format::Lsblk);
    assert_eq!(s.block[2].fstype.as_deref(), Some("crypto_LUKS"));
    assert_eq!(s.block[3].mountpoints, ["/"]);
    let s = snap("lsblk-P.txt", Format::Lsblk);
    assert_eq!(s.block[4].pttype.as_deref(), Some("dos"));
}

/// A mounts listing merges with device listings into one machine.
#[test]
fn merged_with_devices() {
    let lspci = std::fs::read_to_string(format!(
        "{}/tests/data/seed/seed-lspci-k.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (m, _) = kfit_hw::read_strs(&[
        ("lspci", &lspci),
        ("mounts", &read("proc-mounts.txt")),
        ("lsblk", &read("lsblk.txt")),
    ])
    .unwrap();
    assert!(!m.devices.is_empty());
    assert_eq!(m.system.mounts.len(), 16);
    assert_eq!(m.system.block.len(), 11, "md0 listed twice is one device");
}
