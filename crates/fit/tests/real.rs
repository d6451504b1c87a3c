//! The main job on the real Debian 6.12 tree (scripts/fetch-kernels.sh caches
//! it). Ground truth is the kernel's own `make olddefconfig`: what kfit writes
//! must keep every wanted symbol at `y` after it.
mod common;
use common::*;
use kfit_fit::{MachineInput, Verdict};
use std::path::Path;

/// Every requirement of every resolved device holds in `after`.
fn check_requirements(fit: &kfit_fit::Fit, after: &str) -> Vec<String> {
    let v = values(after);
    let mut bad = Vec::new();
    for m in &fit.machines {
        for d in &m.devices {
            for md in &d.modules {
                for s in &md.symbols {
                    if !s.any_of.iter().any(|a| v.get(a).map(String::as_str) == Some("y")) {
                        bad.push(format!(
                            "{} → {}: {:?} not y ({})",
                            d.label, md.module, s.any_of, s.status
                        ));
                    }
                }
            }
        }
    }
    bad
}

#[test]
fn seed_on_defconfig_without_modules() {
    let e = env();
    let base = defconfig_nomodules(&e);
    let fit = kfit_fit::fit(&opts(&e, base, vec![repo("examples/seed/lspci-k.txt")]), None).unwrap();
    assert_eq!(fit.summary.devices, 31);
    assert_eq!(fit.summary.blocked, 0, "{:#?}", fit.summary);
    let after = kernel_olddefconfig(&e, &fit.config, "seed");
    let v = values(&after);
    for s in kfit_testkit::SEED_SYMBOLS {
        assert_eq!(
            v.get(s).map(String::as_str),
            Some("y"),
            "CONFIG_{s} after make olddefconfig"
        );
    }
    assert!(after.contains("# CONFIG_MODULES is not set"));
    let bad = check_requirements(&fit, &after);
    assert!(bad.is_empty(), "{bad:#?}");
    // kfit's config is already what olddefconfig makes of it.
    assert_eq!(values(&fit.config), v);
}

#[test]
fn seed_on_its_own_ix_config_changes_nothing() {
    let e = env();
    let fit = kfit_fit::fit(
        &opts(
            &e,
            repo("examples/seed/cfg_6_16"),
            vec![repo("examples/seed/lspci-k.txt")],
        ),
        None,
    )
    .unwrap();
    for d in &fit.machines[0].devices {
        assert!(
            matches!(d.verdict, Verdict::AlreadyOn | Verdict::NoDriverNeeded),
            "{} is {:?}",
            d.label,
            d.verdict
        );
    }
    assert!(fit.changed.is_empty(), "{:?}", fit.changed);
    assert_eq!(fit.config, fit.base_config);
}

#[test]
fn q35_every_bound_device_keeps_its_driver() {
    let e = env();
    let base = defconfig_nomodules(&e);
    let listings = kfit_testkit::Q35_LISTINGS.iter().map(|f| q35(f)).collect();
    let fit = kfit_fit::fit(&opts(&e, base, listings), None).unwrap();
    let after = kernel_olddefconfig(&e, &fit.config, "q35");
    let bad = check_requirements(&fit, &after);
    for d in &fit.machines[0].devices {
        if d.verdict == Verdict::NoDriverInKernel {
            eprintln!("no driver in 6.12: {} ({:?}) {:?}", d.label, d.driver, d.notes);
        }
    }
    eprintln!("{:#?}", fit.summary);
    assert_eq!(fit.summary.blocked, 0);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn audit_of_ix_config_against_q35() {
    let e = env();
    let idx = e.index();
    let machines = vec![MachineInput {
        name: "q35".into(),
        listings: ["lspci-nnk.txt", "lsusb.txt", "modalias-uevent.txt", "drivers.txt"]
            .iter()
            .map(|f| q35(f))
            .collect(),
    }];
    let load = kfit_kconfig::LoadOptions { ..Default::default() };
    let (findings, total, _) = kfit_fit::audit(
        &e.tree,
        &repo("examples/seed/cfg_6_16"),
        &machines,
        &load,
        &idx,
        Path::new("/"),
    )
    .unwrap();
    for f in &findings {
        eprintln!("{} {:?} → {:?}: {:?}", f.label, f.driver, f.modules, f.missing);
    }
    // ix's config is for a laptop: most of QEMU's emulated devices lack drivers.
    assert!(
        !findings.is_empty() && findings.len() < total,
        "{} of {total}",
        findings.len()
    );
}

/// From IDs alone (no bound drivers, no loaded modules: what `lspci -n`
/// and a modalias list give): nothing is left blocked. Boot keyboards and
/// mice match usbkbd/usbmouse most specifically, which exclude USB_HID;
/// usbhid (a less specific match) drives them. No blocked goal leaves a
/// change behind, so EXPERT (usbkbd's visibility) stays off.
#[test]
fn q35_from_ids_alone_blocks_nothing() {
    let e = env();
    let base = defconfig_nomodules(&e);
    let listings = ["lspci-nnk.txt", "lsusb.txt", "modalias-uevent.txt"]
        .iter()
        .map(|f| q35(f))
        .collect();
    let fit = kfit_fit::fit(&opts(&e, base, listings), None).unwrap();
    for d in &fit.machines[0].devices {
        if d.verdict == Verdict::Blocked {
            eprintln!("blocked: {} {:?}", d.label, d.notes);
        }
    }
    assert_eq!(fit.summary.blocked, 0);
    let v = values(&fit.config);
    assert_eq!(v.get("USB_HID").map(String::as_str), Some("y"));
    assert_ne!(v.get("EXPERT").map(String::as_str), Some("y"));
    // Found by booting this config: a USB audio class device (its alias sits
    // after a multi-line comment inside a #define of quirks-table.h), HDA
    // codecs no vendor driver claims (the generic parser), and a platform
    // device bound by name only (reg-dummy → REGULATOR).
    for s in ["SND_USB_AUDIO", "SND_HDA_GENERIC", "REGULATOR"] {
        assert_eq!(v.get(s).map(String::as_str), Some("y"), "{s}");
    }
    // Every requirement kfit met (alternatives it could not enable aside)
    // stays y through the kernel's own olddefconfig.
    let after = values(&kernel_olddefconfig(&e, &fit.config, "q35-ids"));
    let mut bad = Vec::new();
    for d in &fit.machines[0].devices {
        for md in &d.modules {
            for s in md
                .symbols
                .iter()
                .filter(|s| s.status != kfit_fit::SymbolStatus::Blocked)
            {
                if !s
                    .any_of
                    .iter()
                    .any(|a| after.get(a).map(String::as_str) == Some("y"))
                {
                    bad.push(format!("{} → {}: {:?}", d.label, md.module, s.any_of));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
