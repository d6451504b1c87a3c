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
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Directories scanned for registrations (a `struct file_system_type` is
/// defined under these in every kernel since 2.6; drivers/ and arch/ hold
/// only special-purpose ones: binderfs, functionfs, xenfs, s390's hypfs).
const SCAN_DIRS: [&str; 13] = [
    "fs",
    "mm",
    "kernel",
    "ipc",
    "security",
    "init",
    "block",
    "net",
    "drivers/md",
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

type Table = HashMap<String, BTreeMap<String, Vec<Registration>>>;

/// `{ struct kind → { name → registrations } }` of [`KINDS`], cached per
/// tree in `cache_dir` (keyed like the index: a scan reads ~130 MB of C).
fn scan_cached(tree: &Path, cache_dir: &Path) -> Table {
    let file = kfit_kbuild::cache_key(tree)
        .ok()
        .map(|k| cache_dir.join(format!("registrations-{k}.tsv")));
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
        let tmp = f.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::create_dir_all(cache_dir).is_ok() && std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &f);
        }
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
    has_display: bool,
    idx: &KernelIndex,
    tree: &Path,
    cache_dir: &Path,
) -> (Vec<Requirement>, Vec<String>) {
    let mut reqs = Vec::new();
    let mut notes = Vec::new();
    if systems.iter().all(|(_, s)| s.is_empty()) {
        return (reqs, notes);
    }
    let found = scan_cached(tree, cache_dir);
    let empty = BTreeMap::new();
    let table = |k: &str| found.get(k).unwrap_or(&empty);
    let mut by_source: HashMap<&str, &kfit_kbuild::Module> = HashMap::new();
    for m in &idx.modules {
        for s in &m.sources {
            by_source.entry(s.as_str()).or_insert(m);
        }
    }
    let mut boot = Vec::new();
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
        // The boot path.
        if let Some(Boot::Efi { evidence }) = &s.boot {
            for (sym, why) in [
                ("EFI", "arch/x86/Kconfig: config EFI \"EFI runtime service support\""),
                ("EFI_STUB", "arch/x86/Kconfig: config EFI_STUB \"EFI stub support\" (the firmware starts the kernel image directly)"),
            ] {
                boot.push(Requirement {
                    symbol: sym.into(),
                    want: Wanted::Yes,
                    sources: vec![format!("boot: EFI ({machine}{evidence}): {why}")],
                    section: "system",
                });
            }
        }
        if has_display {
            boot.push(Requirement {
                symbol: "FRAMEBUFFER_CONSOLE".into(),
                want: Wanted::Yes,
                sources: vec![format!(
                    "boot: {machine}display controller present (PCI class 03): a console on its framebuffer (drivers/video/console/Kconfig: config FRAMEBUFFER_CONSOLE)"
                )],
                section: "system",
            });
        }
    }
    reqs.extend(boot);
    (reqs, notes)
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
    }
}
