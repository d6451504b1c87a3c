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
    let s = snap("lsblk-zram.txt", Format::Lsblk);
    assert_eq!(s.block[0].kind.as_deref(), Some("loop"));
    assert_eq!(s.block[4].name, "zram0");
    assert_eq!(s.block[4].mountpoints, ["[SWAP]"]);
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

/// The live machine (`read_live_system`) on a made-up root laid out as the
/// kernel and udev lay it out: an NVMe disk with a GPT and two partitions,
/// LUKS on the second holding an LVM volume, two disks in an md RAID1, a
/// loop device, /proc/mounts and /proc/filesystems, and `/sys/firmware/efi`
/// (present, then removed: BIOS).
#[test]
fn live_root() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let w = |rel: &str, text: &str| {
        let p = r.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "proc/mounts",
        "sysfs /sys sysfs rw 0 0\n/dev/mapper/vg-root / ext4 rw,relatime 0 0\n/dev/nvme0n1p1 /boot/efi vfat rw 0 0\n/dev/md0 /srv xfs rw 0 0\n",
    );
    w("proc/filesystems", "nodev\tsysfs\n\text4\n\tvfat\n\txfs\n");
    w("sys/block/nvme0n1/dev", "259:0\n");
    w("sys/block/nvme0n1/nvme0n1p1/partition", "1\n");
    w("sys/block/nvme0n1/nvme0n1p1/dev", "259:1\n");
    w("sys/block/nvme0n1/nvme0n1p2/partition", "2\n");
    w("sys/block/nvme0n1/nvme0n1p2/dev", "259:2\n");
    w("sys/block/dm-0/dev", "254:0\n");
    w(
        "sys/block/dm-0/dm/uuid",
        "CRYPT-LUKS2-2f6e1d4c9a414c1b8b0a3c5d7e9f1a2b-luks\n",
    );
    w("sys/block/dm-0/dm/name", "luks\n");
    w("sys/block/dm-1/dev", "254:1\n");
    w("sys/block/dm-1/dm/uuid", "LVM-abcdef\n");
    w("sys/block/dm-1/dm/name", "vg-root\n");
    w("sys/block/md0/dev", "9:0\n");
    w("sys/block/md0/md/level", "raid1\n");
    w("sys/block/loop0/dev", "7:0\n");
    w(
        "run/udev/data/b259:0",
        "S:disk/by-id/nvme-x\nE:ID_PART_TABLE_UUID=1234\nE:ID_PART_TABLE_TYPE=gpt\n",
    );
    w("run/udev/data/b259:1", "E:ID_FS_UUID=8D2C\nE:ID_FS_TYPE=vfat\n");
    w("run/udev/data/b259:2", "E:ID_FS_TYPE=crypto_LUKS\n");
    w("run/udev/data/b254:0", "E:ID_FS_TYPE=LVM2_member\n");
    std::fs::create_dir_all(r.join("sys/firmware/efi")).unwrap();

    let s = kfit_hw::read_live_system(r);
    let prefix = format!("{}/", r.display());
    let text = serde_json::to_string(&s).unwrap().replace(&prefix, "/");
    let s: kfit_hw::System = serde_json::from_str(&text).unwrap();
    insta::assert_yaml_snapshot!("live-root", s);
    let get = |n: &str| s.block.iter().find(|b| b.name == n).unwrap();
    assert_eq!(get("nvme0n1").pttype.as_deref(), Some("gpt"));
    assert_eq!(get("nvme0n1p1").fstype.as_deref(), Some("vfat"));
    assert_eq!(get("nvme0n1p1").mountpoints, ["/boot/efi"]);
    assert_eq!(get("nvme0n1p2").fstype.as_deref(), Some("crypto_LUKS"));
    assert_eq!(get("dm-0").kind.as_deref(), Some("crypt"));
    assert_eq!(get("dm-1").kind.as_deref(), Some("lvm"));
    assert_eq!(get("dm-1").mountpoints, ["/"]);
    assert_eq!(get("dm-1").fstype.as_deref(), Some("ext4"), "from the mount");
    assert_eq!(get("md0").kind.as_deref(), Some("raid1"));
    assert_eq!(get("md0").mountpoints, ["/srv"]);
    assert_eq!(get("loop0").kind.as_deref(), Some("loop"));
    assert!(matches!(&s.boot, Some(Boot::Efi { evidence }) if evidence == "/sys/firmware/efi exists"));
    assert_eq!(s.filesystems.len(), 4);
    assert_eq!(s.mounts.len(), 4);

    std::fs::remove_dir(r.join("sys/firmware/efi")).unwrap();
    let s = kfit_hw::read_live_system(r);
    assert!(
        matches!(&s.boot, Some(Boot::Bios { evidence }) if evidence.ends_with("/sys/firmware/efi does not exist"))
    );
}
