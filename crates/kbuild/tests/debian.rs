//! Integration test on the real 6.12 tree against Debian's linux-image of
//! the same version (modules.alias, modules.dep, config), plus a smoke test
//! that 6.1 indexes too. Trees and ground truth come from
//! scripts/fetch-kernels.sh (called when the cache is missing).
//!
//! Run: `cargo test -p kfit-kbuild --release --test debian -- --nocapture`

use kfit_kbuild::{Arch, KernelIndex};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

struct Env {
    tree: PathBuf,
    debian: PathBuf,
    abi: String,
    /// The ARCH of Debian's image (DEBARCH=arm64 for a `V-arm64` series).
    arch: Arch,
}

fn cache_root() -> PathBuf {
    std::env::var_os("KFIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/kfit"))
}

fn env(version: &str) -> Env {
    let root = cache_root();
    let f = root.join("env").join(version);
    if !f.is_file() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-kernels.sh");
        let st = std::process::Command::new("bash")
            .arg(&script)
            .arg(version)
            .status()
            .expect("run fetch-kernels.sh");
        assert!(st.success(), "fetch-kernels.sh {version} failed");
    }
    let text = std::fs::read_to_string(&f).expect("env file");
    let kv: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    Env {
        tree: PathBuf::from(kv["TREE"]),
        debian: PathBuf::from(kv["DEBIAN"]),
        abi: kv["ABI"].to_string(),
        arch: Arch::new(kv.get("DEBARCH").copied().unwrap_or("x86")),
    }
}

fn index(e: &Env) -> KernelIndex {
    let t = std::time::Instant::now();
    let idx = KernelIndex::load_or_build(&e.tree, &e.arch, &cache_root().join("index")).expect("index");
    eprintln!(
        "index of {} ({}, ARCH={}): {} objects in {:.2?}",
        e.tree.display(),
        idx.version,
        idx.arch,
        idx.modules.len(),
        t.elapsed()
    );
    idx
}

/// A pattern that matches every device of its bus: all fields wildcards.
fn catch_all(pattern: &str) -> bool {
    let Some((bus, rest)) = pattern.split_once(':') else {
        return false;
    };
    match bus {
        "of" => matches!(rest, "N*T*" | "N*T*C" | "N*T*C*"),
        "pci" | "vfio_pci" | "usb" | "hid" | "virtio" | "hdaudio" | "sdio" | "ssb" | "bcma" | "ieee1394"
        | "serio" | "pcmcia" | "sdw" | "ipack" | "rapidio" => {
            // only field tags, each followed by '*': pci:v*d*sv*sd*bc*sc*i*
            let pieces: Vec<&str> = rest.split('*').collect();
            rest.ends_with('*')
                && pieces[..pieces.len() - 1]
                    .iter()
                    .all(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase()))
        }
        _ => rest == "*",
    }
}

/// modules.dep path → object path: kernel/drivers/x/y.ko.xz → drivers/x/y
fn ko_path(ko: &str) -> &str {
    ko.trim_start_matches("kernel/")
        .trim_end_matches(".xz")
        .trim_end_matches(".zst")
        .trim_end_matches(".gz")
        .trim_end_matches(".ko")
}

/// Every .ko of Debian's modules.dep (`dep`) against the index: the ones
/// whose object is not in the Kbuild map or has no symbol Debian's config
/// sets to m (printed: how many map by their own obj- symbol, how many via
/// their directory).
fn ko_symbols(idx: &KernelIndex, e: &Env, dep: &str) -> Vec<String> {
    let cfg = std::fs::read_to_string(e.debian.join("config")).unwrap();
    let m_syms: HashSet<&str> = cfg
        .lines()
        .filter_map(|l| l.strip_prefix("CONFIG_")?.strip_suffix("=m"))
        .collect();
    let (mut own_ok, mut any_ok, mut n) = (0, 0, 0);
    let mut bad = Vec::new();
    for l in dep.lines() {
        let ko = l.split(':').next().unwrap();
        let p = ko_path(ko);
        n += 1;
        match idx.module_by_path(p) {
            None => bad.push(format!("{p}: not in the Kbuild map")),
            Some(md) => {
                if md.own_symbols().any(|s| m_syms.contains(s.as_str())) {
                    own_ok += 1;
                    any_ok += 1;
                } else if md.symbols.iter().flatten().any(|s| m_syms.contains(s.as_str())) {
                    any_ok += 1;
                    println!("  via directory: {p} {:?} ({:?})", md.symbols, md.symbol_source);
                } else {
                    bad.push(format!("{p}: {:?} ({:?})", md.symbols, md.symbol_source));
                }
            }
        }
    }
    println!(
        ".ko → symbol set to m: {any_ok}/{n} (own obj- symbol: {own_ok}, via directory: {})",
        any_ok - own_ok
    );
    bad
}

/// Debian's `modules.alias` lines against the index, exact (pattern and
/// module), tallied per key (`key` of a pattern; `None`: not counted).
struct AliasTally<'a> {
    /// Key → (lines reproduced, lines).
    per: BTreeMap<String, (usize, usize)>,
    /// Key → the lines not reproduced, in Debian's order.
    missing: BTreeMap<String, Vec<&'a str>>,
    /// Every pattern of Debian's file.
    patterns: HashSet<&'a str>,
}

fn alias_tally<'a>(idx: &KernelIndex, deb: &'a str, key: impl Fn(&str) -> Option<String>) -> AliasTally<'a> {
    // modaliases only: early-init provider declarations are in no
    // modules.alias
    let ours: HashSet<(&str, &str)> = idx
        .aliases()
        .filter(|(_, a)| a.is_modalias())
        .map(|(m, a)| (a.pattern.as_str(), m.name.as_str()))
        .collect();
    let mut t = AliasTally {
        per: BTreeMap::new(),
        missing: BTreeMap::new(),
        patterns: HashSet::new(),
    };
    for l in deb.lines() {
        let mut it = l.splitn(3, ' ');
        let (_, pat, m) = (it.next(), it.next().unwrap_or(""), it.next().unwrap_or(""));
        t.patterns.insert(pat);
        let Some(k) = key(pat) else {
            continue;
        };
        let ent = t.per.entry(k.clone()).or_default();
        ent.1 += 1;
        if ours.contains(&(pat, m)) {
            ent.0 += 1;
        } else {
            t.missing.entry(k).or_default().push(l);
        }
    }
    t
}

/// A pattern's bus: `pci` of `pci:v...`.
fn bus_of(pattern: &str) -> &str {
    pattern.split(':').next().unwrap_or("").trim_end_matches('*')
}

/// The object paths of the .ko files of Debian's modules.dep.
fn shipped(dep: &str) -> HashSet<String> {
    dep.lines()
        .filter_map(|l| l.split(':').next())
        .map(|ko| ko_path(ko).to_string())
        .collect()
}

/// The index's catch-all aliases (see [`catch_all`]) that Debian's
/// modules.alias lacks: `pattern module (file:line)`, with the module.
fn catch_alls_debian_lacks<'i>(
    idx: &'i KernelIndex,
    deb_patterns: &HashSet<&str>,
) -> Vec<(String, &'i kfit_kbuild::Module)> {
    idx.aliases()
        .filter(|(_, a)| {
            a.is_modalias() && catch_all(&a.pattern) && !deb_patterns.contains(a.pattern.as_str())
        })
        .map(|(m, a)| (format!("{} {} ({}:{})", a.pattern, m.name, a.file, a.line), m))
        .collect()
}

#[test]
fn debian_6_12() {
    let e = env("6.12");
    let idx = index(&e);
    let mods = e.debian.join("lib/modules").join(&e.abi);

    // 1. Alias lines, exact (pattern and module).
    let deb = std::fs::read_to_string(mods.join("modules.alias")).unwrap();
    let tally = alias_tally(&idx, &deb, |pat| {
        Some(match bus_of(pat) {
            b @ ("pci" | "usb" | "acpi" | "hid" | "virtio" | "hdaudio" | "of") => b.to_string(),
            _ => "rest".to_string(),
        })
    });
    let per = &tally.per;
    println!("alias lines of Debian {} reproduced exactly:", e.abi);
    for (b, (h, t)) in per {
        println!("  {b:8} {h:6}/{t:6} = {:6.2} %", 100.0 * *h as f64 / *t as f64);
    }
    let missing_pci_usb = ["pci", "usb"]
        .iter()
        .flat_map(|b| tally.missing.get(*b))
        .flatten();
    for l in missing_pci_usb.take(15) {
        println!("  missing: {l}");
    }
    for bus in ["pci", "usb"] {
        let (h, t) = per[bus];
        assert!(h * 100 >= t * 99, "{bus}: only {h}/{t} alias lines reproduced");
    }

    // 2. No catch-all alias that Debian lacks. Only modules Debian builds
    // can be compared; catch-alls of the others are listed.
    let dep = std::fs::read_to_string(mods.join("modules.dep")).unwrap();
    let shipped = shipped(&dep);
    let mut extra = Vec::new();
    for (line, m) in catch_alls_debian_lacks(&idx, &tally.patterns) {
        if shipped.contains(&m.path) {
            extra.push(line);
        } else {
            println!("  catch-all of a module Debian does not build: {line}");
        }
    }
    assert!(
        extra.is_empty(),
        "catch-all aliases Debian does not have: {extra:#?}"
    );

    // 3. Every .ko maps to a symbol Debian's config sets to m.
    let bad = ko_symbols(&idx, &e, &dep);
    assert!(bad.is_empty(), "modules without an =m symbol: {bad:#?}");

    // 4. Seed lookups.
    let best = |modalias: &str| -> Vec<String> {
        let m = idx.match_modalias(modalias);
        let top = m.first().map(|x| x.specificity).unwrap_or(0);
        m.iter()
            .filter(|x| x.specificity == top)
            .map(|x| x.module.name.clone())
            .collect()
    };
    assert!(best("pci:v00008086d00002723sv*sd*bc02sc80i*").contains(&"iwlwifi".to_string()));
    assert!(best("pci:v00001022d00007901sv*sd*bc01sc06i01").contains(&"ahci".to_string()));
    assert!(best("pci:v00001022d0000166Dsv*sd*bc06sc00i*").contains(&"k10temp".to_string()));
    // Entries naming their IDs by macros have their own line, from the
    // preprocessor's token positions (drivers/hwmon/k10temp.c: one
    // `PCI_VDEVICE(AMD, PCI_DEVICE_ID_AMD_...)` per line after the table's).
    let k10 = idx.module("k10temp").expect("k10temp");
    let text = std::fs::read_to_string(e.tree.join("drivers/hwmon/k10temp.c")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let pci: Vec<_> = k10
        .aliases
        .iter()
        .filter(|a| a.pattern.starts_with("pci:"))
        .collect();
    assert!(pci.len() > 20, "{pci:#?}");
    // The entry's line names the pattern's vendor and device: the device
    // macro's value from include/linux/pci_ids.h or k10temp.c's own.
    let ids = std::fs::read_to_string(e.tree.join("include/linux/pci_ids.h")).unwrap() + &text;
    let value = |name: &str| {
        ids.lines().find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("#define") && w.next() == Some(name))
                .then(|| {
                    w.next()
                        .and_then(|v| u32::from_str_radix(v.trim_start_matches("0x"), 16).ok())
                })
                .flatten()
        })
    };
    for a in &pci {
        assert!(a.entry_line > a.line, "{a:?}: entry at the table's line");
        let l = lines[a.entry_line as usize - 1];
        let args = l
            .split_once("PCI_VDEVICE(")
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(args, _)| args)
            .unwrap_or_else(|| panic!("{a:?}: line {l:?}"));
        let (vendor, dev) = args.split_once(',').unwrap();
        let vendor = value(&format!("PCI_VENDOR_ID_{}", vendor.trim())).unwrap();
        let dev = value(dev.trim()).unwrap_or_else(|| panic!("{a:?}: {dev} in pci_ids.h"));
        assert!(
            a.pattern.starts_with(&format!("pci:v{vendor:08X}d{dev:08X}")),
            "{a:?}: line {l:?}"
        );
    }
    let mut seen: Vec<u32> = pci.iter().map(|a| a.entry_line).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), pci.len(), "one line per entry");
    let drv = |name: &str, module: &str, sym: &str| {
        let ms = idx.module_by_driver_name(name);
        let m = ms.iter().find(|m| m.name == module).unwrap_or_else(|| {
            panic!(
                "driver {name:?}: {module} not among {:?}",
                ms.iter().map(|m| &m.name).collect::<Vec<_>>()
            )
        });
        assert!(
            m.own_symbols().any(|s| s == sym),
            "driver {name:?} → {module}: symbols {:?} lack {sym}",
            m.symbols
        );
        println!("  driver {name:?} → {} ({}) {:?}", m.name, m.path, m.symbols[0]);
    };
    drv("xhci_hcd", "xhci_pci", "USB_XHCI_PCI");
    drv("pcieport", "pcieportdrv", "PCIEPORTBUS");
    drv("piix4_smbus", "i2c_piix4", "I2C_PIIX4");
    drv("pcie_mp2_amd", "amd_sfh", "AMD_SFH_HID");
    drv("i801_smbus", "i2c_i801", "I2C_I801");
    drv("bochs-drm", "bochs", "DRM_BOCHS");
    drv("i6300ESB timer", "i6300esb", "I6300ESB_WDT");

    // 5. Firmware with macro expansion.
    let fw = |m: &str| idx.module(m).map(|m| m.firmware.clone()).unwrap_or_default();
    assert!(fw("amdgpu").iter().any(|f| f == "amdgpu/renoir_dmcub.bin"));
    assert!(fw("iwlwifi")
        .iter()
        .any(|f| f.starts_with("iwlwifi-cc-a0-") && f.ends_with(".ucode")));
}

#[test]
fn indexes_6_1() {
    let e = env("6.1");
    let idx = index(&e);
    assert!(idx.version.starts_with("6.1."));
    let m = idx.module("iwlwifi").expect("iwlwifi");
    assert!(m
        .aliases
        .iter()
        .any(|a| a.pattern.starts_with("pci:v00008086d00002723")));
    let mods = e.debian.join("lib/modules").join(&e.abi);
    if let Ok(deb) = std::fs::read_to_string(mods.join("modules.alias")) {
        let tally = alias_tally(&idx, &deb, |pat| {
            (pat.starts_with("pci:") || pat.starts_with("usb:")).then(|| "pci+usb".to_string())
        });
        let (h, t) = tally.per.get("pci+usb").copied().unwrap_or_default();
        println!("6.1 pci+usb alias lines reproduced: {h}/{t}");
        assert!(h * 100 >= t * 98);
    }
}

/// The prefix-bucketed `match_modalias` finds exactly what trying every
/// pattern finds, in the same order. Queries: every distinct modalias of
/// Debian's real devices is not available here, so each pattern is turned
/// into device strings the way a listing would give them: `*` as an empty
/// field, as an unknown field (`*` kept: busybox lspci), `?` and `[...]` as
/// their first admissible character.
#[test]
fn match_modalias_equals_full_scan() {
    let e = env("6.12");
    let idx = index(&e);
    let concrete = |p: &str, star: &str| {
        let mut out = String::new();
        let mut it = p.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '*' => out.push_str(star),
                '?' => out.push('0'),
                '[' => {
                    let mut first = None;
                    for d in it.by_ref() {
                        if d == ']' {
                            break;
                        }
                        first.get_or_insert(d);
                    }
                    out.extend(first);
                }
                c => out.push(c),
            }
        }
        out
    };
    let all: Vec<_> = idx.aliases().collect();
    let mut queries: Vec<String> = all
        .iter()
        .step_by(151)
        .flat_map(|(_, a)| [concrete(&a.pattern, ""), concrete(&a.pattern, "*")])
        .collect();
    queries.extend([
        "pci:v00008086d00002723sv*sd*bc02sc80i*".into(),
        "scsi:t-0x00".into(),
        "acpi:PNP0303:".into(),
    ]);
    queries.sort();
    queries.dedup();
    assert!(queries.len() > 500, "{} queries", queries.len());
    use rayon::prelude::*;
    queries.par_iter().for_each(|q| {
        let mut want: Vec<(&str, &str, usize)> = all
            .iter()
            .filter(|(_, a)| kfit_kbuild::glob::match_partial(&a.pattern, q))
            .map(|(m, a)| {
                (
                    m.name.as_str(),
                    a.pattern.as_str(),
                    kfit_kbuild::glob::specificity(&a.pattern),
                )
            })
            .collect();
        want.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0)));
        let got: Vec<(&str, &str, usize)> = idx
            .match_modalias(q)
            .iter()
            .map(|m| (m.module.name.as_str(), m.alias.pattern.as_str(), m.specificity))
            .collect();
        assert_eq!(got, want, "query {q}");
    });
}

/// The 6.12 index for ARCH=arm64 against Debian's arm64 image of the same
/// version (`scripts/fetch-kernels.sh 6.12-arm64`): the of:, acpi:, pci:
/// and usb: alias lines of its modules.alias, exact (pattern and module),
/// and no catch-all row Debian lacks.
#[test]
fn debian_6_12_arm64() {
    let e = env("6.12-arm64");
    let idx = index(&e);
    let mods = e.debian.join("lib/modules").join(&e.abi);
    let deb = std::fs::read_to_string(mods.join("modules.alias")).unwrap();
    let buses = ["of", "acpi", "pci", "usb"];
    let mut tally = alias_tally(&idx, &deb, |pat| Some(bus_of(pat).to_string()));
    // The other buses, for information.
    let mut rest = tally.per.clone();
    rest.retain(|b, (_, t)| !buses.contains(&b.as_str()) && *t >= 3);
    tally.per.retain(|b, _| buses.contains(&b.as_str()));
    tally.missing.retain(|b, _| buses.contains(&b.as_str()));
    let per = &tally.per;
    println!("alias lines of Debian {} reproduced exactly:", e.abi);
    for (b, (h, t)) in per {
        println!("  {b:5} {h:6}/{t:6} = {:6.2} %", 100.0 * *h as f64 / *t as f64);
    }
    println!("  other buses (3 lines or more): {rest:?}");
    for (b, v) in &tally.missing {
        let mut by_module: BTreeMap<&str, usize> = BTreeMap::new();
        for l in v {
            *by_module.entry(l.rsplit(' ').next().unwrap_or("")).or_default() += 1;
        }
        let mut top: Vec<_> = by_module.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        println!("  {b} missing by module: {top:?}");
        for l in v.iter().take(10) {
            println!("  missing: {l}");
        }
    }
    let extra: Vec<String> = catch_alls_debian_lacks(&idx, &tally.patterns)
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    let dep = std::fs::read_to_string(mods.join("modules.dep")).unwrap();
    let shipped = shipped(&dep);
    let extra_shipped: Vec<&String> = extra
        .iter()
        .filter(|l| {
            let m = l.split(' ').nth(1).unwrap_or("");
            idx.modules_named(m).iter().any(|md| shipped.contains(&md.path))
        })
        .collect();
    println!("catch-all rows Debian lacks: {extra:#?}");
    // Every .ko of the arm64 image (arch/arm64/crypto's included) maps to a
    // symbol Debian's arm64 config sets to m.
    let bad = ko_symbols(&idx, &e, &dep);
    assert!(bad.is_empty(), "modules without an =m symbol: {bad:#?}");
    assert!(
        extra_shipped.is_empty(),
        "catch-all aliases of modules Debian builds that Debian does not have: {extra_shipped:#?}"
    );
    for bus in buses {
        let (h, t) = per[bus];
        assert!(h * 100 >= t * 99, "{bus}: only {h}/{t} alias lines reproduced");
    }
}

/// Early-init provider declarations on the arm64 6.12 index: every
/// `IRQCHIP_DECLARE(..., "compat", ...)`, `CLK_OF_DECLARE`,
/// `CLK_OF_DECLARE_DRIVER`, `TIMER_OF_DECLARE`, `RESERVEDMEM_OF_DECLARE`,
/// `IRQCHIP_ACPI_DECLARE` and `TIMER_ACPI_DECLARE` written at the start of a
/// line of a source the index reads (a grep of the tree: the ground truth)
/// is a row at that line, declared by that macro; none is a modalias, and
/// none is in Debian's `modules.alias` (these providers are never modules).
#[test]
fn early_declarations_6_12_arm64() {
    let e = env("6.12-arm64");
    let idx = index(&e);
    const MACROS: &[&str] = &[
        "IRQCHIP_DECLARE",
        "CLK_OF_DECLARE",
        "CLK_OF_DECLARE_DRIVER",
        "TIMER_OF_DECLARE",
        "RESERVEDMEM_OF_DECLARE",
        "IRQCHIP_ACPI_DECLARE",
        "TIMER_ACPI_DECLARE",
    ];
    let rows: HashSet<(&str, u32, &str)> = idx
        .aliases()
        .filter_map(|(_, a)| Some((a.file.as_str(), a.entry_line, a.declared_by.as_deref()?)))
        .collect();
    let mut by_macro: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, d) in &rows {
        *by_macro.entry(d).or_default() += 1;
    }
    println!("early declarations by macro (rows' distinct lines): {by_macro:?}");
    let file_patterns: HashSet<(&str, &str)> = idx
        .aliases()
        .map(|(_, a)| (a.file.as_str(), a.pattern.as_str()))
        .collect();
    let mut sources: Vec<&str> = idx
        .modules
        .iter()
        .flat_map(|m| m.sources.iter().map(String::as_str))
        .filter(|s| s.ends_with(".c"))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let (mut total, mut missing) = (0, Vec::new());
    for s in sources {
        let Ok(text) = std::fs::read_to_string(e.tree.join(s)) else {
            continue;
        };
        if !MACROS.iter().any(|m| text.contains(m)) {
            continue;
        }
        for (i, l) in text.lines().enumerate() {
            let l = l.trim_start();
            let Some(m) = MACROS.iter().find(|m| l.starts_with(&format!("{m}("))) else {
                continue;
            };
            if l.trim_end().ends_with('\\') {
                continue; // a macro's body: its callers are the declarations
            }
            total += 1;
            // Covered: a row at that line; or its compatible is a row of
            // the file anyway (a platform driver's modalias for the same
            // compatible takes precedence); or, for an ACPI table probe, a
            // row of that macro (one per table signature).
            let compat = l.split('"').nth(1).map(|c| format!("of:N*T*C{c}"));
            let covered = rows.contains(&(s, i as u32 + 1, *m))
                || compat.is_some_and(|p| file_patterns.contains(&(s, p.as_str())))
                || (m.contains("ACPI") && rows.iter().any(|r| r.0 == s && r.2 == *m));
            if !covered {
                missing.push(format!("{s}:{}: {l}", i + 1));
            }
        }
    }
    println!(
        "{} of {total} declarations indexed; missing: {missing:#?}",
        total - missing.len()
    );
    assert!(total > 500, "{total}");
    assert!(missing.is_empty(), "{} missing", missing.len());
    // The virt machine's providers, and the ACPI ones of arm64 servers.
    let early = |pattern: &str, module: &str| -> Option<String> {
        let m = idx.module(module)?;
        m.aliases
            .iter()
            .find(|a| a.pattern == pattern)
            .and_then(|a| a.declared_by.clone())
    };
    assert_eq!(
        early("of:N*T*Carm,gic-v3", "irq_gic_v3").as_deref(),
        Some("IRQCHIP_DECLARE")
    );
    assert_eq!(
        early("of:N*T*Carm,armv8-timer", "arm_arch_timer").as_deref(),
        Some("TIMER_OF_DECLARE")
    );
    assert_eq!(
        early("of:N*T*Cfixed-clock", "clk_fixed_rate").as_deref(),
        Some("CLK_OF_DECLARE")
    );
    assert_eq!(
        early("acpi*:APIC:*", "irq_gic_v3").as_deref(),
        Some("IRQCHIP_ACPI_DECLARE")
    );
    assert_eq!(
        early("acpi*:GTDT:*", "arm_arch_timer").as_deref(),
        Some("TIMER_ACPI_DECLARE")
    );
    let sym = |module: &str| idx.module(module).map(|m| m.symbols[0].clone());
    assert_eq!(sym("irq_gic_v3"), Some(vec!["ARM_GIC_V3".to_string()]));
    assert_eq!(sym("arm_arch_timer"), Some(vec!["ARM_ARCH_TIMER".to_string()]));
    // Never a modules.alias row.
    let mods = e.debian.join("lib/modules").join(&e.abi);
    let deb = std::fs::read_to_string(mods.join("modules.alias")).unwrap();
    let deb: HashSet<(&str, &str)> = deb
        .lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ' ');
            it.next()?;
            Some((it.next()?, it.next()?))
        })
        .collect();
    let in_debian: Vec<String> = idx
        .aliases()
        .filter(|(m, a)| !a.is_modalias() && deb.contains(&(a.pattern.as_str(), m.name.as_str())))
        .map(|(m, a)| format!("{} {} ({}:{})", a.pattern, m.name, a.file, a.entry_line))
        .collect();
    assert!(
        in_debian.is_empty(),
        "early rows in modules.alias: {in_debian:#?}"
    );
}
