//! Precision (#21, #13): a fit builds in the drivers the machine's devices
//! need and nothing else, from every form of listing a user may have.
//!
//! Ground truth is independent of kfit's resolver: Debian's own
//! `modules.alias` for 6.12 (which modules are PCI/USB device drivers, which
//! of them match a device's IDs) and the drivers the listing shows bound.
//! The fits run on the real Debian 6.12 tree (scripts/fetch-kernels.sh).
mod common;
use common::*;
use kfit_fit::Fit;
use kfit_kbuild::{Alias, KernelIndex, Module};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Debian's PCI/USB device drivers and their aliases, as a matcher.
struct Truth {
    /// Module names (KBUILD_MODNAME) with a pci: or usb: alias.
    drivers: BTreeSet<String>,
    /// The same aliases in an index of their own (only for matching).
    aliases: KernelIndex,
}

fn truth(e: &Env) -> Truth {
    let file = e.debian.join(format!("lib/modules/{}/modules.alias", e.abi));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut by_module: BTreeMap<String, Vec<Alias>> = BTreeMap::new();
    for (i, l) in text.lines().enumerate() {
        let mut w = l.split_whitespace();
        let (Some("alias"), Some(pat), Some(module)) = (w.next(), w.next(), w.next()) else {
            continue;
        };
        if pat.starts_with("pci:") || pat.starts_with("usb:") {
            by_module.entry(module.to_string()).or_default().push(Alias {
                pattern: pat.to_string(),
                file: "modules.alias".into(),
                line: i as u32 + 1,
                entry_line: i as u32 + 1,
                conditions: Vec::new(),
                declared_by: None,
            });
        }
    }
    let drivers = by_module.keys().cloned().collect();
    let mut aliases = KernelIndex::default();
    aliases.modules = by_module
        .into_iter()
        .map(|(name, aliases)| Module {
            path: name.clone(),
            name,
            symbols: Vec::new(),
            own: 0,
            symbol_source: kfit_kbuild::SymbolSource::Makefile,
            builtin_only: false,
            driver_names: Vec::new(),
            aliases,
            firmware: Vec::new(),
            sources: Vec::new(),
            runtime_sources: Vec::new(),
            companions: Vec::new(),
            revisions: None,
            makefile: Default::default(),
        })
        .collect();
    Truth { drivers, aliases }
}

/// The Debian PCI/USB device drivers `config` builds in (every symbol
/// group of the module's Kbuild condition has a `y`).
fn built_in(idx: &KernelIndex, t: &Truth, config: &str) -> BTreeSet<String> {
    let v = values(config);
    let y = |s: &String| v.get(s).map(String::as_str) == Some("y");
    t.drivers
        .iter()
        .filter(|name| {
            idx.modules_named(name)
                .iter()
                .any(|m| m.symbols.iter().all(|g| g.iter().any(y)))
        })
        .cloned()
        .collect()
}

/// The PCI/USB drivers the devices of a (full) listing need: the module
/// each bound device's driver belongs to, and for unbound devices with IDs
/// the modules Debian's aliases match most specifically.
fn needed(idx: &KernelIndex, t: &Truth, listings: &[PathBuf]) -> BTreeSet<String> {
    needed_by_device(idx, t, listings)
        .into_values()
        .flatten()
        .collect()
}

/// [`needed`] per device (`bus address`).
fn needed_by_device(
    idx: &KernelIndex,
    t: &Truth,
    listings: &[PathBuf],
) -> BTreeMap<String, BTreeSet<String>> {
    let (m, _) = kfit_hw::read_listings(listings).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in &m.devices {
        let mut names: Vec<String> = Vec::new();
        if let Some(dm) = d.driver_module.as_deref().filter(|m| !m.starts_with('-')) {
            names.push(dm.replace('-', "_"));
        } else if let Some(drv) = &d.driver {
            names.extend(idx.module_by_driver_name(drv).iter().map(|m| m.name.clone()));
        } else if let Some(ma) = d.modalias_or_synth() {
            // Only what the known IDs support (a USB device seen by plain
            // lsusb has no interface class to match class drivers with).
            let ms: Vec<_> = t
                .aliases
                .match_modalias(&ma)
                .into_iter()
                .filter(|m| kfit_resolve::support::support(&m.alias.pattern, &ma).genuine())
                .collect();
            if let Some(top) = ms.first().map(|m| m.specificity) {
                names.extend(
                    ms.iter()
                        .filter(|m| m.specificity == top)
                        .map(|m| m.module.name.clone()),
                );
            }
        }
        out.entry(format!("{} {}", d.bus, d.address))
            .or_default()
            .extend(names.into_iter().filter(|n| t.drivers.contains(n)));
    }
    out
}

struct Variant {
    name: &'static str,
    listings: Vec<PathBuf>,
}

/// The "information removed" variants scripts/hw-variants.sh derives from
/// the visible listings (crates/hw/tests/data/variants, checked up to date
/// by crates/hw/tests/variants.rs).
fn variant(p: &str) -> PathBuf {
    repo("crates/hw/tests/data/variants").join(p)
}

/// A scratch directory for files a test writes.
fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kfit-precision-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A listing written as `name` in the scratch directory `tag`.
fn listing(tag: &str, name: &str, text: &str) -> PathBuf {
    let l = scratch(tag).join(name);
    std::fs::write(&l, text).unwrap();
    l
}

fn seed_variants(need: &BTreeSet<String>) -> Vec<Variant> {
    let seed = repo("examples/seed/lspci-k.txt");
    // The seed has no lsmod: what udev would have loaded, the modules of
    // its bound drivers and of its unbound devices' aliases.
    let mut lsmod = String::from("Module                  Size  Used by\n");
    for m in need {
        lsmod.push_str(&format!("{m:<24}16384  0\n"));
    }
    let lsmod_file = listing("seed", "lsmod.txt", &lsmod);
    vec![
        Variant {
            name: "seed full",
            listings: vec![seed],
        },
        Variant {
            name: "seed IDs only",
            listings: vec![variant("seed/ids-only/lspci.txt")],
        },
        Variant {
            name: "seed names only",
            listings: vec![variant("seed/names-only/lspci.txt")],
        },
        Variant {
            name: "seed lsmod only",
            listings: vec![lsmod_file],
        },
    ]
}

fn q35_full() -> Vec<PathBuf> {
    kfit_testkit::Q35_LISTINGS.iter().map(|f| q35(f)).collect()
}

fn q35_variants(full: &[PathBuf]) -> Vec<Variant> {
    vec![
        Variant {
            name: "q35 full",
            listings: full.to_vec(),
        },
        Variant {
            name: "q35 IDs only",
            listings: vec![
                variant("q35/ids-only/lspci-nn.txt"),
                q35("lsusb.txt"),
                variant("q35/ids-only/lsusb-t.txt"),
            ],
        },
        Variant {
            name: "q35 names only",
            listings: vec![variant("q35/names-only/lspci.txt"), q35("lsusb.txt")],
        },
        Variant {
            name: "q35 lsmod only",
            listings: vec![variant("q35/lsmod-only/lsmod.txt")],
        },
    ]
}

/// One variant's fit, measured against the full listing's needs.
struct Measured {
    name: &'static str,
    fit: Fit,
    /// Device drivers built in beyond the base that no device needs.
    extra: BTreeSet<String>,
    /// Needed device drivers left out.
    missing: BTreeSet<String>,
}

fn measure(
    e: &Env,
    base: &Path,
    idx: &KernelIndex,
    t: &Truth,
    need: &BTreeSet<String>,
    v: &Variant,
) -> Measured {
    let fit = kfit_fit::fit(&opts(e, base.to_path_buf(), v.listings.clone()), Some(idx)).unwrap();
    let before = built_in(idx, t, &fit.base_config);
    let after = built_in(idx, t, &fit.config);
    let extra = after
        .difference(&before)
        .filter(|m| !need.contains(*m))
        .cloned()
        .collect();
    let missing = need.difference(&after).cloned().collect();
    Measured {
        name: v.name,
        fit,
        extra,
        missing,
    }
}

/// The Debian modules whose aliases the device's known IDs genuinely
/// support (see kfit_resolve::support), all specificities.
/// A device whose name fits several ids (plain lspci) counts each.
fn genuine(t: &Truth, d: &kfit_hw::Device) -> BTreeSet<String> {
    let mut modaliases: Vec<String> = kfit_resolve::candidate_modaliases(d)
        .into_iter()
        .map(|(_, ma)| ma)
        .collect();
    if modaliases.is_empty() {
        modaliases.extend(d.modalias_or_synth());
    }
    modaliases
        .iter()
        .flat_map(|ma| {
            t.aliases
                .match_modalias(ma)
                .into_iter()
                .filter(|m| kfit_resolve::support::support(&m.alias.pattern, ma).genuine())
                .map(|m| m.module.name.clone())
        })
        .collect()
}

/// The devices a report line may be about (`bus address ...`): several
/// when the listing has no addresses (a modalias list: `usb  [46f4:0001]`).
fn devices_of<'m>(
    machine: &'m kfit_hw::Machine,
    label: &'m str,
) -> impl Iterator<Item = &'m kfit_hw::Device> {
    machine.devices.iter().filter(move |x| {
        let head = format!("{} {}", x.bus, x.address);
        label == head || label.starts_with(&format!("{head} "))
    })
}

/// The device a report line is about, when only one fits.
fn device_of<'m>(machine: &'m kfit_hw::Machine, label: &'m str) -> Option<&'m kfit_hw::Device> {
    let mut fits = devices_of(machine, label);
    let d = fits.next()?;
    fits.next().is_none().then_some(d)
}

/// Why a driver built in beyond the devices' needs is there, if the test
/// accepts it: loaded on the listed machine (a wish), reported by kfit as
/// extra with a reason (Kconfig forces it), or genuinely matching a
/// device's IDs as well as its driver (the probe decides).
fn exception(m: &Measured, t: &Truth, machine: &kfit_hw::Machine, module: &str) -> Option<String> {
    if machine
        .loaded_modules
        .iter()
        .any(|l| l.replace('-', "_") == module)
    {
        return Some("loaded on the listed machine".into());
    }
    if let Some(e) = m.fit.precision.extra.iter().find(|e| e.module == module) {
        return Some(format!("kfit reports it: {}", e.reason));
    }
    let dev = m.fit.machines[0].devices.iter().find(|d| {
        d.modules
            .iter()
            .any(|x| x.module == module && matches!(x.how, kfit_resolve::How::Alias { .. }))
    })?;
    devices_of(machine, &dev.label)
        .any(|md| genuine(t, md).contains(module))
        .then(|| format!("matches {} as well as its driver: {:?}", dev.label, dev.notes))
}

/// The arm64 virt machine's full listings (crates/hw/tests/data/qemu-virt-arm64).
fn virt_arm64_full() -> Vec<PathBuf> {
    let d = kfit_testkit::qemu_virt_arm64();
    [
        "lspci-nnk.txt",
        "lsusb.txt",
        "lsusb-t.txt",
        "drivers.txt",
        "modules-loaded.txt",
        "devicetree.dtb",
    ]
    .iter()
    .map(|f| d.join(f))
    .collect()
}

/// Its "information removed" variants: scripts/hw-variants.sh's, and the
/// device tree alone and the modalias list alone (single original files).
fn virt_arm64_variants(full: &[PathBuf]) -> Vec<Variant> {
    let d = kfit_testkit::qemu_virt_arm64();
    vec![
        Variant {
            name: "virt-arm64 full",
            listings: full.to_vec(),
        },
        Variant {
            name: "virt-arm64 IDs only",
            listings: vec![
                variant("virt-arm64/ids-only/lspci-nn.txt"),
                d.join("lsusb.txt"),
                variant("virt-arm64/ids-only/lsusb-t.txt"),
            ],
        },
        Variant {
            name: "virt-arm64 names only",
            listings: vec![variant("virt-arm64/names-only/lspci.txt"), d.join("lsusb.txt")],
        },
        Variant {
            name: "virt-arm64 lsmod only",
            listings: vec![variant("virt-arm64/lsmod-only/lsmod.txt")],
        },
        Variant {
            name: "virt-arm64 device tree only",
            listings: vec![d.join("devicetree.dtb")],
        },
        Variant {
            name: "virt-arm64 modalias only",
            listings: vec![d.join("modalias.txt")],
        },
    ]
}

#[test]
fn listing_variants_build_in_only_what_devices_need() {
    let mut failures = Vec::new();
    // x86 (seed, q35) on x86_64_defconfig, arm64 (QEMU virt) on arm64
    // defconfig, both without modules; Debian's modules of that arch as
    // the truth.
    let x86 = env();
    let arm64 = env_arm64();
    for (e, base) in [
        (&x86, defconfig_nomodules(&x86)),
        (&arm64, arm64_defconfig_nomodules(&arm64)),
    ] {
        let idx = e.index();
        let t = truth(e);
        let machines: Vec<(Vec<PathBuf>, VariantsOf)> = if e.arch.is_none() {
            vec![
                (vec![repo("examples/seed/lspci-k.txt")], |_, need| {
                    seed_variants(need)
                }),
                (q35_full(), |full, _| q35_variants(full)),
            ]
        } else {
            vec![(virt_arm64_full(), |full, _| virt_arm64_variants(full))]
        };
        listing_variants(e, &base, &idx, &t, &machines, &mut failures);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A machine's variants, from its full listings and their needs.
type VariantsOf = fn(&[PathBuf], &BTreeSet<String>) -> Vec<Variant>;
type Machines = [(Vec<PathBuf>, VariantsOf)];

fn listing_variants(
    e: &Env,
    base: &Path,
    idx: &KernelIndex,
    t: &Truth,
    machines: &Machines,
    failures: &mut Vec<String>,
) {
    for (full, make) in machines {
        let need = &needed(idx, t, full);
        let by_device = needed_by_device(idx, t, full);
        let variants = make(full, need);
        for v in &variants {
            let m = measure(e, base, idx, t, need, v);
            let (machine, _) = kfit_hw::read_listings(&v.listings).unwrap();
            eprintln!(
                "{}: {} extra, {} missing, {:?}",
                m.name,
                m.extra.len(),
                m.missing.len(),
                m.fit.summary
            );
            for x in &m.extra {
                match exception(&m, t, &machine, x) {
                    Some(why) => eprintln!("  extra {x}: {why}"),
                    None => failures.push(format!("{}: {x} built in, no device needs it", m.name)),
                }
            }
            // A driver is only asked of a variant whose listing shows a
            // device needing it with what finds that driver: IDs Debian's
            // aliases genuinely match to it, or its driver's name (plain
            // lspci shows no ACPI device; pci.ids names some devices
            // ambiguously or not at all; lsusb -t of old usbutils prints
            // no interface class).
            for x in &m.missing {
                let shown: Vec<&String> = by_device
                    .iter()
                    .filter(|(_, mods)| mods.contains(x))
                    .map(|(dev, _)| dev)
                    .filter(|dev| {
                        machine.devices.iter().any(|d| {
                            &format!("{} {}", d.bus, d.address) == *dev
                                && (genuine(t, d).contains(x)
                                    || d.driver.as_deref().is_some_and(|drv| {
                                        idx.module_by_driver_name(drv).iter().any(|m| &m.name == x)
                                    }))
                        })
                    })
                    .collect();
                if shown.is_empty() {
                    eprintln!("  missing {x}: no device needing it shows what finds it in this listing");
                } else {
                    failures.push(format!("{}: {x} missing (for {shown:?})", m.name));
                }
            }
            // No device has more candidates than its IDs genuinely match.
            for d in &m.fit.machines[0].devices {
                let own: BTreeSet<&str> = d
                    .modules
                    .iter()
                    .filter(|x| matches!(x.how, kfit_resolve::How::Alias { .. }))
                    .map(|x| x.module.as_str())
                    // Compared where Debian builds the module (usbkbd and
                    // PowerMac's macio_asic, tried before a fallback, are not).
                    .filter(|x| t.drivers.contains(*x))
                    .collect();
                if own.len() <= 1 {
                    continue;
                }
                let Some(md) = device_of(&machine, &d.label) else {
                    continue;
                };
                if !matches!(md.bus, kfit_hw::Bus::Pci | kfit_hw::Bus::Usb) {
                    continue;
                }
                let g = genuine(t, md);
                if own.iter().any(|o| !g.contains(*o)) && own.len() > g.len().max(1) {
                    failures.push(format!(
                        "{}: {} has {} candidates, its IDs match {}",
                        m.name,
                        d.label,
                        own.len(),
                        g.len()
                    ));
                }
            }
        }
    }
}

/// `--trim` on Debian's own 6.12 config with MODULES off (every `=m` built
/// in): every device still driven, the PCI/USB drivers down from thousands
/// to the machine's own plus a listed handful, and the kernel's own
/// olddefconfig keeps the result.
#[test]
fn trim_debian_config_to_the_machine() {
    let e = env();
    let base = debian_nomodules(&e);
    let idx = e.index();
    let t = truth(&e);
    let mut failures = Vec::new();
    for (name, listings) in [
        ("seed", vec![repo("examples/seed/lspci-k.txt")]),
        ("q35", q35_full()),
    ] {
        let need = needed(&idx, &t, &listings);
        let mut o = opts(&e, base.clone(), listings.clone());
        o.trim = true;
        let fit = kfit_fit::fit(&o, Some(&idx)).unwrap();
        let before = built_in(&idx, &t, &fit.base_config);
        let after = built_in(&idx, &t, &fit.config);
        let left: Vec<&String> = after.iter().filter(|m| !need.contains(*m)).collect();
        eprintln!(
            "{name}: PCI/USB drivers built in {} -> {} ({} needed); trimmed {}, left {}: {left:?}",
            before.len(),
            after.len(),
            need.len(),
            fit.precision.trimmed.len(),
            left.len()
        );
        for u in &fit.precision.untrimmed {
            eprintln!("  kept {} ({}): {}", u.module, u.path, u.reason);
        }
        if fit.summary.blocked > 0 {
            failures.push(format!("{name}: {} devices blocked", fit.summary.blocked));
        }
        for m in need.iter().filter(|m| before.contains(*m) && !after.contains(*m)) {
            failures.push(format!("{name}: needed {m} trimmed"));
        }
        // The kernel keeps what kfit wrote, and every device's requirement.
        let kept = kernel_olddefconfig(&e, &fit.config, "trim");
        if values(&kept) != values(&fit.config) {
            failures.push(format!("{name}: olddefconfig changes the trimmed config"));
        }
        let v = values(&kept);
        for d in &fit.machines[0].devices {
            for md in &d.modules {
                for s in &md.symbols {
                    if !s.any_of.iter().any(|a| v.get(a).map(String::as_str) == Some("y")) {
                        failures.push(format!(
                            "{name}: {} -> {}: {:?} not y",
                            d.label, md.module, s.any_of
                        ));
                    }
                }
            }
        }
        // Measured: seed 968 -> 15 (11 needed; ehci_pci and spi_pxa2xx_pci
        // are `default y` without a prompt, usbcore and pci are cores the
        // needed drivers depend on), q35 968 -> 42 (38 needed; 8139too and
        // cdc_ether were loaded on the machine, r8153_ecm has no prompt).
        if left.len() > 10 {
            failures.push(format!(
                "{name}: {} PCI/USB drivers no device needs stay built in",
                left.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// #13: a device with no usable IDs bound to a driver this tree does not
/// have (the real case: an `lspci -k` without numbers, a MEI controller
/// bound to ndiswrapper, became "blocked" with ~100 candidate modules),
/// and one with neither IDs nor a driver, each get one clear report line
/// and no module; a device whose name pci.ids knows is still resolved.
#[test]
fn device_without_ids_and_unknown_driver_is_one_line() {
    let e = env();
    let base = defconfig_nomodules(&e);
    let idx = e.index();
    let listing = listing(
        "noid",
        "lspci-k.txt",
        "00:00.0 Host bridge: Frobnitz Systems Frob-9000 Root Complex\n\
         00:16.0 Communication controller: Frobnitz Systems Management Engine Interface\n\
         \tKernel driver in use: ndiswrapper\n\
         00:1f.0 Network controller: Frobnitz Systems Wireless 9000\n\
         \tKernel driver in use: wl\n\
         00:14.3 Network controller: Intel Corporation Wi-Fi 6 AX201\n\
         \tKernel driver in use: wl\n",
    );
    let fit = kfit_fit::fit(&opts(&e, base, vec![listing]), Some(&idx)).unwrap();
    let devs = &fit.machines[0].devices;
    let by = |a: &str| {
        devs.iter()
            .find(|d| d.label.contains(a))
            .unwrap_or_else(|| panic!("{a}: {devs:#?}"))
    };
    for a in ["00:00.0", "00:16.0", "00:1f.0"] {
        let d = by(a);
        eprintln!("{} {:?} {:?}", d.label, d.verdict, d.notes);
        assert!(d.modules.is_empty(), "{a}: {:?}", d.modules);
        assert!(d.alternatives.is_empty(), "{a}: {:?}", d.alternatives);
        assert_eq!(d.notes.len(), 1, "{a}: {:?}", d.notes);
        assert!(
            matches!(d.verdict, kfit_fit::Verdict::Unidentified),
            "{a}: {:?}",
            d.verdict
        );
    }
    assert!(by("00:16.0").notes[0].contains("ndiswrapper"));
    // Its name in pci.ids gives 8086:a0f0: iwlwifi, not wl's candidates.
    let wifi = by("00:14.3");
    eprintln!("{} {:?} {:?}", wifi.label, wifi.verdict, wifi.notes);
    let mods: Vec<&str> = wifi.modules.iter().map(|m| m.module.as_str()).collect();
    assert_eq!(mods, ["iwlwifi"], "{wifi:#?}");
}

/// #21: drivers that claim one ID entry and let the probe decide by the
/// revision (AMD's six ACP drivers for 1022:15e2): when the listing prints
/// `(rev xx)`, only those whose source accepts it are built in.
#[test]
fn revision_picks_among_drivers_of_one_id_entry() {
    let e = env();
    let base = defconfig_nomodules(&e);
    let idx = e.index();
    let t = truth(&e);
    // The seed's ACP (Renoir/Cezanne, bound to snd_rn_pci_acp3x there) as
    // `lspci -nn` prints it with its revision.
    let listing = listing(
        "rev",
        "lspci-nn.txt",
        "03:00.5 Multimedia controller [0480]: Advanced Micro Devices, Inc. [AMD] ACP/ACP3X/ACP6x Audio Coprocessor [1022:15e2] (rev 01)\n",
    );
    let fit = kfit_fit::fit(&opts(&e, base, vec![listing]), Some(&idx)).unwrap();
    let before = built_in(&idx, &t, &fit.base_config);
    let added: Vec<String> = built_in(&idx, &t, &fit.config)
        .difference(&before)
        .cloned()
        .collect();
    let d = &fit.machines[0].devices[0];
    eprintln!("{added:?} {:?}", d.notes);
    assert_eq!(added, ["snd_rn_pci_acp3x"], "{d:#?}");
}

/// A loaded helper module that only `select` builds (snd_hwdep: SND_HWDEP
/// has no prompt) is reached through a selector that builds no driver for
/// hardware the machine lacks. SND_HWDEP is selected by ~25 sound card
/// drivers and by SND_HDA_HWDEP, the HD-audio driver's own hwdep option
/// (sound/pci/Kconfig:70 SND_EMU10K1, sound/pci/hda/Kconfig:49): with
/// SND_HDA_INTEL on, the option is the way, not snd-emu10k1 (the first
/// selector in Kconfig order, which the solver took before: the same one
/// user value either way).
#[test]
fn selected_helper_through_an_option_not_a_driver() {
    let e = env();
    // x86_64_defconfig (MODULES off) has SND_HDA_HWDEP=y: without it
    // nothing selects SND_HWDEP.
    let (base, fit, v) = fit_lsmod_without(
        &e,
        "hwdep",
        "SND_HDA_HWDEP",
        "Module                  Size  Used by\n\
         snd_hwdep              16384  1 snd_hda_codec\n\
         snd_hda_intel          57344  0\n",
    );
    assert_eq!(base.get("SND_HWDEP"), None, "the base must lack SND_HWDEP");
    assert_eq!(base.get("SND_HDA_INTEL").map(String::as_str), Some("y"));
    let y = |s: &str| v.get(s).map(String::as_str) == Some("y");
    assert!(
        y("SND_HWDEP") && y("SND_HDA_HWDEP"),
        "SND_HWDEP through SND_HDA_HWDEP"
    );
    let extra: Vec<&str> = fit.precision.extra.iter().map(|x| x.module.as_str()).collect();
    assert!(
        extra.is_empty(),
        "drivers built in for what they select: {extra:?}"
    );
    let _ = std::fs::remove_dir_all(scratch("hwdep"));
}

/// A loaded prompt-less helper whose selectors are not device drivers:
/// CDROM (cdrom.ko) has no prompt and is selected by BLK_DEV_SR and by
/// CDROM_PKTCDVD (drivers/scsi/Kconfig:119, drivers/block/Kconfig:263),
/// neither with an ID table. With sr_mod loaded too, BLK_DEV_SR is the way;
/// pktcdvd, which nothing loaded, stays off (the lsmod-only variant of the
/// arm64 virt machine built it in before).
#[test]
fn selected_helper_through_a_loaded_module_not_another() {
    let e = env();
    let (base, _, v) = fit_lsmod_without(
        &e,
        "cdrom",
        "BLK_DEV_SR",
        "Module                  Size  Used by\n\
         cdrom                  16384  1 sr_mod\n\
         sr_mod                 16384  0\n",
    );
    assert_eq!(base.get("CDROM"), None, "the base must lack CDROM");
    let y = |s: &str| v.get(s).map(String::as_str) == Some("y");
    assert!(y("CDROM") && y("BLK_DEV_SR"), "CDROM through BLK_DEV_SR");
    assert!(!y("CDROM_PKTCDVD"), "pktcdvd built in for what it selects");
    let _ = std::fs::remove_dir_all(scratch("cdrom"));
}

/// Fit an lsmod listing on x86_64_defconfig without modules and with `off`
/// unset (through the kernel's own olddefconfig): the base's values, the
/// fit, and the values the kernel's olddefconfig gives the fitted config.
fn fit_lsmod_without(
    e: &Env,
    tag: &str,
    off: &str,
    lsmod: &str,
) -> (HashMap<String, String>, Fit, HashMap<String, String>) {
    let def = std::fs::read_to_string(defconfig_nomodules(e)).unwrap();
    let base_text = kernel_olddefconfig(
        e,
        &format!("{def}\n# CONFIG_{off} is not set\n"),
        &format!("{tag}-base"),
    );
    let base = listing(tag, "base.config", &base_text);
    let lsmod = listing(tag, "lsmod.txt", lsmod);
    let fit = kfit_fit::fit(&opts(e, base, vec![lsmod]), None).unwrap();
    let v = values(&kernel_olddefconfig(e, &fit.config, tag));
    (values(&base_text), fit, v)
}
