//! What the machine runs on, as requirements: each mounted filesystem type,
//! each layer of the block stack (dm targets, md personalities, partition
//! tables) and the boot path, mapped to Kconfig symbols **from the tree**:
//! the source file that registers the name (`struct file_system_type` with
//! `.name = "ext4"`, `struct target_type` with `.name = "crypt"`,
//! `struct md_personality` with `.name = "raid1"`) → the index's module of
//! that file → its symbols, plus any `#if IS_ENABLED(CONFIG_X)` around the
//! registration. Every requirement carries the listing line and the source
//! line it was derived from.

use crate::requirements::{Requirement, Wanted};
use kfit_hw::{Boot, System};
use kfit_kbuild::KernelIndex;
use kfit_kconfig::Kconfig;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Directories scanned for registrations (a `struct file_system_type` is
/// defined under these in every kernel since 2.6; drivers/ and arch/ hold
/// only special-purpose ones: binderfs, functionfs, xenfs, s390's hypfs).
const SCAN_DIRS: [&str; 14] = [
    "fs",
    "mm",
    "kernel",
    "ipc",
    "security",
    "init",
    "block",
    "net",
    "drivers/md",
    "drivers/block",
    "drivers/base",
    "drivers/android",
    "drivers/usb/gadget",
    "drivers/xen",
];

/// Where a name is registered.
#[derive(Debug, Clone)]
struct Registration {
    file: String,
    line: usize,
}

/// The struct kinds whose `.name` registers something userspace names.
const KINDS: [&str; 3] = ["file_system_type", "target_type", "md_personality"];

/// The table key of block-major names (`register_blkdev` calls).
const BLKDEV: &str = "register_blkdev";

type Table = HashMap<String, BTreeMap<String, Vec<Registration>>>;

/// `{ struct kind → { name → registrations } }` of [`KINDS`], cached per
/// tree in `cache_dir` (keyed like the index: a scan reads ~130 MB of C).
fn scan_cached(tree: &Path, cache_dir: &Path) -> Table {
    let file = kfit_kbuild::cache_key(tree)
        .ok()
        .map(|k| cache_dir.join(format!("registrations-v2-{k}.tsv")));
    if let Some(text) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
        let mut t: Table = HashMap::new();
        for l in text.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            if let [kind, name, file, line] = f[..] {
                t.entry(kind.into())
                    .or_default()
                    .entry(name.into())
                    .or_default()
                    .push(Registration {
                        file: file.into(),
                        line: line.parse().unwrap_or(1),
                    });
            }
        }
        return t;
    }
    let t = scan(tree);
    if let Some(f) = file {
        let mut text = String::new();
        for (kind, names) in &t {
            for (name, regs) in names {
                for r in regs {
                    text.push_str(&format!("{kind}\t{name}\t{}\t{}\n", r.file, r.line));
                }
            }
        }
        // Best effort: a cache that cannot be written only costs time.
        let _ = kfit_util::write_cache(&f, text.as_bytes());
    }
    t
}

/// Scan [`SCAN_DIRS`] for [`KINDS`] initializers, on as many threads as
/// there are cores.
fn scan(tree: &Path) -> Table {
    let mut files = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = SCAN_DIRS.iter().map(|d| tree.join(d)).collect();
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if p.extension().and_then(|x| x.to_str()) == Some("c") {
                files.push(p);
            }
        }
    }
    files.sort();
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = files.len().div_ceil(n).max(1);
    let parts: Vec<Vec<(String, String, Registration)>> = std::thread::scope(|sc| {
        let jobs: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    let mut out = Vec::new();
                    for p in part {
                        let Ok(bytes) = std::fs::read(p) else { continue };
                        let text = String::from_utf8_lossy(&bytes);
                        // Block majors: `register_blkdev(MAJOR, "zram")`;
                        // the disks are that name and a number (zram0).
                        if text.contains("register_blkdev(") {
                            let rel = p.strip_prefix(tree).unwrap_or(p).display().to_string();
                            for (name, line) in call_names(&text, "register_blkdev(") {
                                out.push((
                                    BLKDEV.to_string(),
                                    name,
                                    Registration {
                                        file: rel.clone(),
                                        line,
                                    },
                                ));
                            }
                        }
                        for kind in KINDS {
                            let key = format!("struct {kind} ");
                            if !text.contains(&key) {
                                continue;
                            }
                            let rel = p.strip_prefix(tree).unwrap_or(p).display().to_string();
                            for (name, line) in initializer_names(&text, &key) {
                                out.push((
                                    kind.to_string(),
                                    name,
                                    Registration {
                                        file: rel.clone(),
                                        line,
                                    },
                                ));
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        jobs.into_iter().map(|j| j.join().unwrap_or_default()).collect()
    });
    let mut t: Table = HashMap::new();
    for (kind, name, r) in parts.into_iter().flatten() {
        t.entry(kind).or_default().entry(name).or_default().push(r);
    }
    t
}

/// The string literal argument of each `FUNC(..., "name")` call (also
/// `__FUNC(`): (name, 1-based line). The call's arguments are on one line
/// in every caller of the kernels we read.
fn call_names(text: &str, func: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(pos) = line.find(func) else { continue };
        // Not `unregister_blkdev(`: the match must start a word (or `__`).
        let before = line[..pos].trim_end_matches('_');
        if before.ends_with(|c: char| c.is_ascii_alphanumeric()) {
            continue;
        }
        let args = &line[pos + func.len()..];
        let args = &args[..args.find(')').unwrap_or(args.len())];
        if let Some(q) = args.find('"') {
            if let Some(end) = args[q + 1..].find('"') {
                out.push((args[q + 1..q + 1 + end].to_string(), i + 1));
            }
        }
    }
    out
}

/// `.name = "x"` inside `struct KIND ident = { ... };` initializers:
/// (name, 1-based line).
fn initializer_names(text: &str, key: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut inside = false;
    // `struct kind name =` with the `{` on the next line.
    let mut pending = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if !inside {
            if pending && t.starts_with('{') {
                inside = true;
                pending = false;
                continue;
            }
            pending = false;
            if let Some(pos) = t.find(key) {
                let rest = &t[pos + key.len()..];
                if rest.contains('=') && !rest.contains(';') {
                    if rest.trim_end().ends_with('{') {
                        inside = true;
                    } else if rest.trim_end().ends_with('=') {
                        pending = true;
                    }
                }
            }
            continue;
        }
        if t.starts_with("};") || t == "}" {
            inside = false;
            continue;
        }
        if let Some(r) = t.strip_prefix(".name") {
            let r = r.trim_start();
            if let Some(r) = r.strip_prefix('=') {
                let r = r.trim_start();
                if let Some(r) = r.strip_prefix('"') {
                    if let Some(end) = r.find('"') {
                        out.push((r[..end].to_string(), i + 1));
                    }
                }
            }
        }
    }
    out
}

/// Requirements of a name registered at `regs` (the first registration
/// whose file the index knows): one per symbol group of its module plus
/// the `#if` conditions around it.
fn symbols_of(
    tree: &Path,
    idx: &KernelIndex,
    by_source: &HashMap<&str, &kfit_kbuild::Module>,
    regs: &[Registration],
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
        if let (true, Ok(text)) = (r.line > 0, std::fs::read_to_string(tree.join(&r.file))) {
            for f in kfit_kbuild::srcfacts::enclosing_conditions(&text, r.line) {
                if !groups.iter().any(|g| g.len() == 1 && g[0] == f.name) {
                    why.push_str(&format!(
                        ", inside #if on CONFIG_{} ({}:{})",
                        f.name, r.file, f.line
                    ));
                    groups.push(vec![f.name]);
                }
            }
        }
        let _ = idx;
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
    tree: &Path,
    cache_dir: &Path,
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
    let found = scan_cached(tree, cache_dir);
    let empty = BTreeMap::new();
    let table = |k: &str| found.get(k).unwrap_or(&empty);
    let mut by_source: HashMap<&str, &kfit_kbuild::Module> = HashMap::new();
    for m in &idx.modules {
        for s in &m.sources {
            by_source.entry(s.as_str()).or_insert(m);
        }
    }
    let mut add = |kind: &str, name: &str, evidence: &str, regs: Option<&Vec<Registration>>| {
        let Some(regs) = regs else {
            notes.push(format!(
                "{kind} {name:?} ({evidence}): no registration of that name in this tree"
            ));
            return;
        };
        let Some((groups, why)) = symbols_of(tree, idx, &by_source, regs) else {
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
                section: "system",
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
            let regs = vec![Registration {
                file: file.to_string(),
                line: 0,
            }];
            add("partition table", pt, &ev, Some(&regs));
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
                        section: "system",
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
            section: "system",
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
                section: "system",
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_initializers() {
        let t = "static struct file_system_type ext4_fs_type = {\n\t.owner\t\t= THIS_MODULE,\n\t.name\t\t= \"ext4\",\n};\nstruct file_system_type *get(void);\nstatic struct target_type crypt_target = {\n\t.name   = \"crypt\",\n};\n";
        assert_eq!(
            initializer_names(t, "struct file_system_type "),
            [("ext4".to_string(), 3)]
        );
        assert_eq!(
            initializer_names(t, "struct target_type "),
            [("crypt".to_string(), 7)]
        );
        let c = "\tzram_major = register_blkdev(0, \"zram\");\n\tunregister_blkdev(zram_major, \"zram\");\n\tif (__register_blkdev(LOOP_MAJOR, \"loop\", loop_probe)) {\n";
        assert_eq!(
            call_names(c, "register_blkdev("),
            [("zram".to_string(), 1), ("loop".to_string(), 3)]
        );
    }
}
