//! What the machine runs on besides its devices: mounted filesystems, the
//! block stack (partitions, dm-crypt, LVM, md RAID) and how it boots. From
//! saved `/proc/mounts`, `mount`, `findmnt` and `lsblk` listings, or read
//! live ([`read_live_system`]). Every fact keeps its evidence (`file:line`).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// One mounted filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// What is mounted (`/dev/sda2`, `proc`).
    pub source: String,
    /// Where (`/`).
    pub target: String,
    /// Filesystem type as the kernel names it (`ext4`, `fuse.sshfs`).
    pub fstype: String,
    /// The listing line (`mounts.txt:3`).
    pub evidence: String,
}

/// A filesystem type the kernel of the listed machine has registered
/// (`/proc/filesystems`): built in or loaded as a module there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsType {
    /// The kernel's name (`ext4`, `tmpfs`).
    pub name: String,
    /// `nodev`: needs no block device.
    pub nodev: bool,
    /// The listing line.
    pub evidence: String,
}

/// One block device of an `lsblk` listing or `/sys/block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDev {
    /// Name (`sda2`, `vg-root`).
    pub name: String,
    /// lsblk TYPE: `disk`, `part`, `crypt`, `lvm`, `raid1`, `dm`, `loop`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Filesystem or signature on it (`ext4`, `crypto_LUKS`, `LVM2_member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    /// Partition table type (`gpt`, `dos`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pttype: Option<String>,
    /// Where it is mounted, if shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mountpoints: Vec<String>,
    /// The listing line.
    pub evidence: String,
}

/// How the machine boots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "firmware")]
pub enum Boot {
    /// UEFI (`/sys/firmware/efi` exists, efivarfs mounted, an EFI system partition).
    Efi {
        /// Why we think so.
        evidence: String,
    },
    /// Legacy BIOS (live `/sys` without `/sys/firmware/efi`).
    Bios {
        /// Why we think so.
        evidence: String,
    },
}

/// Everything of [`crate::Machine`] that is not a device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// Mounted filesystems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// Filesystem types registered (`/proc/filesystems`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filesystems: Vec<FsType>,
    /// Block devices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub block: Vec<BlockDev>,
    /// Boot firmware.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot: Option<Boot>,
}

impl System {
    /// Nothing known.
    pub fn is_empty(&self) -> bool {
        self.mounts.is_empty() && self.filesystems.is_empty() && self.block.is_empty() && self.boot.is_none()
    }

    /// Add another listing's facts (mounts and devices already known by
    /// target / name are kept once; the first boot evidence wins).
    pub fn merge(&mut self, o: System) {
        for m in o.mounts {
            if !self
                .mounts
                .iter()
                .any(|x| x.target == m.target && x.fstype == m.fstype)
            {
                self.mounts.push(m);
            }
        }
        for f in o.filesystems {
            if !self.filesystems.iter().any(|x| x.name == f.name) {
                self.filesystems.push(f);
            }
        }
        for b in o.block {
            match self.block.iter_mut().find(|x| x.name == b.name) {
                Some(x) => {
                    // Facts this listing adds keep its evidence too.
                    let adds = (x.kind.is_none() && b.kind.is_some())
                        || (x.fstype.is_none() && b.fstype.is_some())
                        || (x.pttype.is_none() && b.pttype.is_some());
                    if adds && !x.evidence.contains(&b.evidence) {
                        x.evidence = format!("{}, {}", x.evidence, b.evidence);
                    }
                    x.kind = x.kind.take().or(b.kind);
                    x.fstype = x.fstype.take().or(b.fstype);
                    x.pttype = x.pttype.take().or(b.pttype);
                    if x.mountpoints.is_empty() {
                        x.mountpoints = b.mountpoints;
                    }
                }
                None => self.block.push(b),
            }
        }
        if self.boot.is_none() {
            self.boot = o.boot;
        }
    }

    /// Boot firmware implied by the mounts when no listing says it:
    /// efivarfs mounted (only an EFI boot has it) or a vfat partition at
    /// `/boot/efi` or `/efi`.
    pub fn infer_boot(&mut self) {
        if self.boot.is_some() {
            return;
        }
        let efi = self
            .mounts
            .iter()
            .find(|m| m.fstype == "efivarfs")
            .map(|m| format!("efivarfs mounted at {} ({})", m.target, m.evidence))
            .or_else(|| {
                self.mounts
                    .iter()
                    .find(|m| m.fstype == "vfat" && (m.target == "/boot/efi" || m.target == "/efi"))
                    .map(|m| format!("EFI system partition at {} ({})", m.target, m.evidence))
            });
        if let Some(evidence) = efi {
            self.boot = Some(Boot::Efi { evidence });
        }
    }
}

/// The live machine under `root`: `/proc/mounts`, `/proc/filesystems`, `/sys/block` (dm uuid
/// prefixes CRYPT-/LVM-, md levels, partitions; filesystem and partition-table types from
/// udev's database under `/run/udev/data`, mount points from the mounts) and
/// `/sys/firmware/efi`. Unreadable parts are skipped.
pub fn read_live_system(root: &Path) -> System {
    let mut s = System::default();
    let mounts = root.join("proc/mounts");
    if let Ok(text) = std::fs::read_to_string(&mounts) {
        let p = crate::parse::mounts::parse_proc_mounts(&text, &mounts.display().to_string());
        s.merge(p.system);
    }
    let filesystems = root.join("proc/filesystems");
    if let Ok(text) = std::fs::read_to_string(&filesystems) {
        let p = crate::parse::mounts::parse_proc_filesystems(&text, &filesystems.display().to_string());
        s.merge(p.system);
    }
    let efi = root.join("sys/firmware/efi");
    s.boot = Some(if efi.is_dir() {
        Boot::Efi {
            evidence: format!("{} exists", efi.display()),
        }
    } else {
        Boot::Bios {
            evidence: format!("{} does not exist", efi.display()),
        }
    });
    let block = root.join("sys/block");
    let Ok(rd) = std::fs::read_dir(&block) else {
        return s;
    };
    let mut names: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let dir = block.join(&name);
        let read = |rel: &str| {
            std::fs::read_to_string(dir.join(rel))
                .ok()
                .map(|t| t.trim().to_string())
        };
        let mut kind = Some("disk".to_string());
        let mut evidence = dir.display().to_string();
        if let Some(uuid) = read("dm/uuid") {
            // dm UUIDs carry the creating tool: CRYPT-LUKS2-..., LVM-...
            let k = if uuid.starts_with("CRYPT-") {
                "crypt"
            } else if uuid.starts_with("LVM-") {
                "lvm"
            } else {
                "dm"
            };
            kind = Some(k.to_string());
            evidence = format!("{}/dm/uuid = {uuid}", dir.display());
        } else if let Some(level) = read("md/level") {
            evidence = format!("{}/md/level = {level}", dir.display());
            kind = Some(level);
        } else if name.starts_with("loop") {
            kind = Some("loop".into());
        }
        let mut parts = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                if e.path().join("partition").is_file() {
                    parts.push(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        parts.sort();
        let mut disk = BlockDev {
            name: name.clone(),
            kind,
            fstype: None,
            pttype: None,
            mountpoints: Vec::new(),
            evidence,
        };
        udev_facts(root, &dir, &mut disk);
        s.block.push(disk);
        for p in parts {
            let mut part = BlockDev {
                name: p.clone(),
                kind: Some("part".into()),
                fstype: None,
                pttype: None,
                mountpoints: Vec::new(),
                evidence: format!("{}/{p}/partition", dir.display()),
            };
            udev_facts(root, &dir.join(&p), &mut part);
            s.block.push(part);
        }
    }
    // Where each is mounted: a mount's source `/dev/NAME`, or
    // `/dev/mapper/NAME` of a device-mapper device (`dm/name`).
    for b in &mut s.block {
        let dm_name = std::fs::read_to_string(block.join(&b.name).join("dm/name"))
            .ok()
            .map(|n| n.trim().to_string());
        for m in &s.mounts {
            let hit = m.source.strip_prefix("/dev/") == Some(b.name.as_str())
                || (dm_name.is_some() && m.source.strip_prefix("/dev/mapper/") == dm_name.as_deref());
            if hit && !b.mountpoints.contains(&m.target) {
                b.mountpoints.push(m.target.clone());
                if b.fstype.is_none() {
                    b.fstype = Some(m.fstype.clone());
                }
            }
        }
    }
    s
}

/// What udev's blkid probe recorded for the block device at `dir`
/// (`/run/udev/data/b<MAJ>:<MIN>`, `E:ID_FS_TYPE=` and
/// `E:ID_PART_TABLE_TYPE=`, the names lsblk shows as FSTYPE and PTTYPE).
fn udev_facts(root: &Path, dir: &Path, b: &mut BlockDev) {
    let Ok(dev) = std::fs::read_to_string(dir.join("dev")) else {
        return;
    };
    let file = root.join(format!("run/udev/data/b{}", dev.trim()));
    let Ok(text) = std::fs::read_to_string(&file) else {
        return;
    };
    for (i, line) in text.lines().enumerate() {
        let Some(kv) = line.strip_prefix("E:") else {
            continue;
        };
        let slot = match kv.split_once('=') {
            Some(("ID_FS_TYPE", v)) if !v.is_empty() => (&mut b.fstype, v),
            Some(("ID_PART_TABLE_TYPE", v)) if !v.is_empty() => (&mut b.pttype, v),
            _ => continue,
        };
        if slot.0.is_none() {
            *slot.0 = Some(slot.1.to_string());
            b.evidence = format!("{}, {}:{}", b.evidence, file.display(), i + 1);
        }
    }
}
