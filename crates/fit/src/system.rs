//! What the machine runs on, as requirements: each mounted filesystem type,
//! each layer of the block stack (dm targets, md personalities, partition
//! tables) and the boot path, mapped to Kconfig symbols **from the tree**:
//! the source file that registers the name (read at index time:
//! `kfit_kbuild::srcfacts::registrations`; `struct file_system_type` with
//! `.name = "ext4"`, `struct target_type` with `.name = "crypt"`,
//! `struct md_personality` with `.name = "raid1"`) → the index's module of
//! that file → its symbols, plus any `#if IS_ENABLED(CONFIG_X)` around the
//! registration. Every requirement carries the listing line and the source
//! line it was derived from.

use crate::requirements::{Requirement, Section, Wanted};
use kfit_hw::{Boot, System};
use kfit_kbuild::KernelIndex;
use kfit_kconfig::Kconfig;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use kfit_kbuild::srcfacts::{Registration, BLKDEV};

/// `{ kind → { name → registrations } }` of the index's registrations
/// (read from the tree at index time: `srcfacts::registrations`).
type Table<'a> = HashMap<&'a str, BTreeMap<&'a str, Vec<&'a Registration>>>;

fn table_of(idx: &KernelIndex) -> Table<'_> {
    let mut t: Table = HashMap::new();
    for r in &idx.facts.registrations {
        t.entry(r.kind.as_str())
            .or_default()
            .entry(r.name.as_str())
            .or_default()
            .push(r);
    }
    t
}

/// Requirements of a name registered at `regs` (the first registration
/// whose file the index knows): one per symbol group of its module plus
/// the `#if` conditions around it.
fn symbols_of(
    by_source: &HashMap<&str, &kfit_kbuild::Module>,
    regs: &[&Registration],
) -> Option<(Vec<Vec<String>>, String)> {
    for r in regs {
        let Some(m) = by_source.get(r.file.as_str()) else {
            continue;
        };
        let mut groups: Vec<Vec<String>> = m.symbols.clone();
        // Line 0: the file parses it (partition tables), no registration.
        let mut why = if r.line == 0 {
            format!("{} parses it, built by {} ({})", r.file, m.path, m.makefile)
        } else {
            format!(
                "{}:{} registers it, built by {} ({})",
                r.file, r.line, m.path, m.makefile
            )
        };
        for f in &r.conditions {
            if !groups.iter().any(|g| g.len() == 1 && g[0] == f.name) {
                why.push_str(&format!(
                    ", inside #if on CONFIG_{} ({}:{})",
                    f.name, r.file, f.line
                ));
                groups.push(vec![f.name.clone()]);
            }
        }
        return Some((groups, why));
    }
    None
}

/// The requirements the machines' mounts, block devices and boot imply,
/// plus notes for names the tree does not register (or that need nothing).
pub fn requirements(
    systems: &[(&str, &System)],
    displays: &[Display],
    kc: &Kconfig,
    idx: &KernelIndex,
) -> (Vec<Requirement>, Vec<String>) {
    let mut reqs = Vec::new();
    let mut notes = Vec::new();
    // Only when the listings say what the machine runs on (or it is read
    // live): a fit of device listings alone stays about devices.
    if systems.iter().all(|(_, s)| s.is_empty()) {
        return (reqs, notes);
    }
    // The boot console on the machine's GPU.
    let mut boot_notes = Vec::new();
    let mut boot = display_requirements(displays, kc, &mut boot_notes);
    let found = table_of(idx);
    let empty = BTreeMap::new();
    let table = |k: &str| found.get(k).unwrap_or(&empty);
    let mut by_source: HashMap<&str, &kfit_kbuild::Module> = HashMap::new();
    for m in &idx.modules {
        for s in &m.sources {
            by_source.entry(s.as_str()).or_insert(m);
        }
    }
    let mut add = |kind: &str, name: &str, evidence: &str, regs: Option<&Vec<&Registration>>| {
        let Some(regs) = regs else {
            notes.push(format!(
                "{kind} {name:?} ({evidence}): no registration of that name in this tree"
            ));
            return;
        };
        let Some((groups, why)) = symbols_of(&by_source, regs) else {
            notes.push(format!(
                "{kind} {name:?} ({evidence}): registered at {}:{}, always built in",
                regs[0].file, regs[0].line
            ));
            return;
        };
        if groups.is_empty() {
            notes.push(format!("{kind} {name:?} ({evidence}): {why}; always built in"));
        }
        for g in groups {
            // A group of alternatives is one requirement on its first
            // symbol unless one of them is on already: the solver's goals
            // take single symbols here (directory groups are single).
            let Some(sym) = g.first() else { continue };
            reqs.push(Requirement {
                symbol: sym.clone(),
                want: Wanted::Yes,
                sources: vec![format!("{kind} {name} ({evidence}): {why}")],
                section: Section::System,
            });
        }
    };
    let several = systems.len() > 1;
    for (machine, s) in systems {
        // The machine's name only when there are several.
        let machine = if several {
            format!("{machine}: ")
        } else {
            String::new()
        };
        let mut fs_seen = BTreeSet::new();
        for m in &s.mounts {
            // fuse.sshfs → the kernel's "fuse"; the rest is userspace.
            let fstype = m.fstype.split('.').next().unwrap_or(&m.fstype);
            if !fs_seen.insert(fstype.to_string()) {
                continue;
            }
            let ev = format!("{machine}{} on {} ({})", m.source, m.target, m.evidence);
            add("filesystem", fstype, &ev, table("file_system_type").get(fstype));
        }
        // Registered on the listed machine's kernel (/proc/filesystems):
        // built in or loaded there, so wanted here too.
        for f in &s.filesystems {
            if fs_seen.insert(f.name.clone()) {
                let ev = format!("{machine}registered in {}", f.evidence);
                add(
                    "filesystem",
                    &f.name,
                    &ev,
                    table("file_system_type").get(f.name.as_str()),
                );
            }
        }
        let mut block_seen = BTreeSet::new();
        for b in &s.block {
            let ev = format!("{machine}{} ({})", b.name, b.evidence);
            if let Some(fs) = &b.fstype {
                if fs_seen.insert(fs.clone()) && table("file_system_type").contains_key(fs.as_str()) {
                    add("filesystem", fs, &ev, table("file_system_type").get(fs.as_str()));
                }
            }
            // A virtual block device is named after its driver's major
            // (zram0, loop3, nbd0, md127): the name without its number.
            if b.kind.as_deref() != Some("part") {
                let major = b.name.trim_end_matches(|c: char| c.is_ascii_digit());
                if major.len() < b.name.len() && block_seen.insert(format!("major {major}")) {
                    if let Some(regs) = table(BLKDEV).get(major) {
                        add("block device", major, &ev, Some(regs));
                    }
                }
            }
            let Some(kind) = b.kind.as_deref() else { continue };
            if !block_seen.insert(kind.to_string()) {
                continue;
            }
            // lsblk TYPE → the kernel's own name: dm targets (crypt; lvm is
            // the linear target of dm-mod), md personalities (raidN).
            match kind {
                "crypt" => add("dm target", "crypt", &ev, table("target_type").get("crypt")),
                "lvm" => add("dm target", "linear", &ev, table("target_type").get("linear")),
                k if k.starts_with("raid") || k == "linear" => {
                    add("md personality", k, &ev, table("md_personality").get(k))
                }
                _ => {}
            }
        }
        // Partition tables: libblkid's names for the two PC formats →
        // block/partitions/{efi,msdos}.c (block/partitions/Makefile).
        let mut pt_seen = BTreeSet::new();
        for b in &s.block {
            let Some(pt) = b.pttype.as_deref() else { continue };
            let file = match pt {
                "gpt" => "block/partitions/efi.c",
                "dos" => "block/partitions/msdos.c",
                _ => continue,
            };
            if !pt_seen.insert(pt) {
                continue;
            }
            let ev = format!("{machine}{} ({})", b.name, b.evidence);
            let reg = Registration {
                kind: "partition table".into(),
                name: pt.into(),
                file: file.to_string(),
                line: 0,
                conditions: Vec::new(),
            };
            add("partition table", pt, &ev, Some(&vec![&reg]));
        }
        // The boot path: the firmware starts the kernel image itself.
        match &s.boot {
            Some(Boot::Efi { evidence }) => {
                for sym in ["EFI", "EFI_STUB"] {
                    let why = match defined_at(kc, sym) {
                        Some(w) => w,
                        None => {
                            boot_notes.push(format!(
                                "boot: EFI ({machine}{evidence}): CONFIG_{sym} is not in this kernel"
                            ));
                            continue;
                        }
                    };
                    boot.push(Requirement {
                        symbol: sym.into(),
                        want: Wanted::Yes,
                        sources: vec![format!("boot: EFI ({machine}{evidence}): {why}")],
                        section: Section::System,
                    });
                }
            }
            Some(Boot::Bios { evidence }) => {
                boot_notes.push(format!("boot: BIOS ({machine}{evidence}): no EFI requirements"))
            }
            None => {}
        }
    }
    reqs.extend(boot);
    notes.extend(boot_notes);
    (reqs, notes)
}

/// A display controller of a machine (PCI class 03), as resolved.
#[derive(Debug, Clone)]
pub struct Display {
    /// Which device, in which listing (`m: PCI 0000:03:00.0 class 0300 ...`).
    pub evidence: String,
    /// The symbols its driver needs (from the resolution).
    pub symbols: Vec<String>,
}

/// `"prompt" (file:line)` of a symbol's definition in this tree.
fn defined_at(kc: &Kconfig, sym: &str) -> Option<String> {
    let id = kc.lookup(sym)?;
    let loc = kc.locations(id).into_iter().next()?;
    let prompt = kc
        .prompts(id)
        .find_map(|p| p.text.clone())
        .map(|t| format!("config {sym} \"{t}\""))
        .unwrap_or_else(|| format!("config {sym}"));
    Some(format!("{prompt} ({})", kc.location_string(loc)))
}

/// A console on each GPU: `FRAMEBUFFER_CONSOLE`, and when the GPU's
/// driver is a DRM driver (its symbol depends on `DRM`) the fbdev
/// emulation that gives a DRM driver its framebuffer
/// (`DRM_FBDEV_EMULATION`: "also provides the linux console support on
/// top of your modesetting driver", its help in drivers/gpu/drm/Kconfig).
fn display_requirements(displays: &[Display], kc: &Kconfig, notes: &mut Vec<String>) -> Vec<Requirement> {
    let mut out = Vec::new();
    let drm = kc.lookup("DRM");
    for d in displays {
        let Some(fbcon) = defined_at(kc, "FRAMEBUFFER_CONSOLE") else {
            notes.push(format!(
                "console on {}: CONFIG_FRAMEBUFFER_CONSOLE is not in this kernel",
                d.evidence
            ));
            return out;
        };
        out.push(Requirement {
            symbol: "FRAMEBUFFER_CONSOLE".into(),
            want: Wanted::Yes,
            sources: vec![format!("console on the GPU ({}): {fbcon}", d.evidence)],
            section: Section::System,
        });
        let drm_driver = d.symbols.iter().find(|s| {
            let (Some(drm), Some(id)) = (drm, kc.lookup(s)) else {
                return false;
            };
            id != drm
                && kc
                    .symbol(id)
                    .dir_dep
                    .as_ref()
                    .is_some_and(|e| e.contains_symbol(drm))
        });
        if let (Some(sym), Some(emu)) = (drm_driver, defined_at(kc, "DRM_FBDEV_EMULATION")) {
            out.push(Requirement {
                symbol: "DRM_FBDEV_EMULATION".into(),
                want: Wanted::Yes,
                sources: vec![format!(
                    "console on the GPU ({}): its driver CONFIG_{sym} depends on DRM; a DRM driver has a framebuffer console through {emu}",
                    d.evidence
                )],
                section: Section::System,
            });
        }
    }
    out
}
