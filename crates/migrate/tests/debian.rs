//! Debian's 6.1 config carried to 6.12 (and back) on the real trees that
//! scripts/fetch-kernels.sh caches; ground truth is the new tree's own
//! `conf --olddefconfig`.
use kfit_kconfig::Kconfig;
use kfit_migrate::successor::EvidenceKind;
use kfit_migrate::{MigrateOptions, Migration, Status};
use kfit_testkit::repo;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

struct Env {
    tree: PathBuf,
    build: PathBuf,
    kver: String,
    debian: PathBuf,
}

/// The cached Debian environment of series `v` (fetched when missing).
fn env(v: &str) -> Env {
    let get = |k: &str| kfit_testkit::kernel_env(v, k);
    Env {
        tree: get("TREE").into(),
        build: get("BUILD").into(),
        kver: get("KVER"),
        debian: get("DEBIAN").into(),
    }
}

fn load() -> kfit_kconfig::LoadOptions {
    kfit_kconfig::LoadOptions { ..Default::default() }
}

fn opts(from: &Env, to: &Env, config: PathBuf, listings: Vec<PathBuf>) -> MigrateOptions {
    MigrateOptions {
        config,
        from_tree: from.tree.clone(),
        to_tree: to.tree.clone(),
        machines: if listings.is_empty() {
            Vec::new()
        } else {
            vec![kfit_fit::MachineInput {
                name: "m".into(),
                listings,
            }]
        },
        load: load(),
        index_cache: kfit_kbuild::default_cache_dir(),
        sysfs_root: "/".into(),
    }
}

/// The tree's own `conf --olddefconfig` on `config`, run the way
/// scripts/kconfig-oracle.sh runs it: in a scratch directory with
/// srctree set, nothing written into the cached tree or build dir.
fn conf_olddefconfig(e: &Env, config: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("kfit-migrate-conf-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cfg"), config).unwrap();
    let ccv = Command::new("gcc").arg("--version").output().unwrap();
    let ccv = String::from_utf8_lossy(&ccv.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let out = Command::new(e.build.join("scripts/kconfig/conf"))
        .current_dir(&dir)
        .env("KCONFIG_CONFIG", dir.join("cfg"))
        .env("srctree", &e.tree)
        .env("ARCH", "x86")
        .env("SRCARCH", "x86")
        .env("KERNELVERSION", &e.kver)
        .env("CC", "gcc")
        .env("LD", "ld")
        .env("HOSTCC", "gcc")
        .env("CC_VERSION_TEXT", ccv)
        .env("RUSTC", "rustc")
        .env("BINDGEN", "bindgen")
        .env("OBJCOPY", "objcopy")
        .env("NM", "nm")
        .env("PAHOLE", "pahole")
        .env("LC_ALL", "C")
        .args(["--olddefconfig", "Kconfig"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "conf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("cfg")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text
}

fn values(config: &str) -> HashMap<String, String> {
    kfit_kconfig::parse_values(config)
}

/// The q35 reference listings: `shared/hw/qemu-q35-debian61` next to the
/// clone (or next to a directory above it, for a git worktree).
fn q35(name: &str) -> PathBuf {
    kfit_testkit::q35().join(name)
}

/// Symbols `config` sets to y/m that `from` defines and `to` does not,
/// computed from the two Kconfig trees alone.
fn vanished_set(from: &Env, to: &Env, config: &str) -> Vec<String> {
    let (a, b) = (
        Kconfig::load(&from.tree, &load()).unwrap(),
        Kconfig::load(&to.tree, &load()).unwrap(),
    );
    let defined = |kc: &Kconfig, n: &str| kc.lookup(n).is_some_and(|id| !kc.symbol(id).menus.is_empty());
    let mut out: Vec<String> = values(config)
        .into_iter()
        .filter(|(_, v)| v == "y" || v == "m")
        .map(|(k, _)| k)
        .filter(|k| defined(&a, k) && !defined(&b, k))
        .collect();
    out.sort();
    out
}

fn renamed<'a>(
    m: &'a Migration,
    old: &str,
) -> (&'a str, bool, Vec<EvidenceKind>, Option<&'a String>, &'a str) {
    match &m
        .symbol(old)
        .unwrap_or_else(|| panic!("{old} not in the report"))
        .status
    {
        Status::Renamed {
            to,
            merged,
            evidence,
            carried,
            new,
            ..
        } => (
            to,
            *merged,
            evidence.iter().map(|e| e.kind).collect(),
            carried.as_ref(),
            new,
        ),
        s => panic!("{old}: {s:?}"),
    }
}

/// Every carried value survives the new tree's own olddefconfig.
fn check_carried(m: &Migration, to: &Env) {
    let after = values(&conf_olddefconfig(to, &m.config));
    let mut bad = Vec::new();
    let mut n = 0;
    for s in &m.symbols {
        if let Status::Renamed {
            to: succ,
            carried: Some(v),
            ..
        } = &s.status
        {
            n += 1;
            let got = after.get(succ).map(String::as_str).unwrap_or("n");
            if got != v.as_str() {
                bad.push(format!("{} -> {succ}: carried {v}, conf gives {got}", s.name));
            }
        }
    }
    assert!(n > 0);
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(m.summary.carried_lost, 0);
}

#[test]
fn debian_61_config_to_612() {
    let (a, b) = (env("6.1"), env("6.12"));
    let cfg = a.debian.join("config");
    let m = kfit_migrate::migrate(&opts(&a, &b, cfg.clone(), vec![])).unwrap();
    // Every vanished-but-set symbol is classified: a successor or removed.
    let vanished = vanished_set(&a, &b, &std::fs::read_to_string(&cfg).unwrap());
    eprintln!("{} vanished y/m symbols: {:?}", vanished.len(), m.summary);
    assert_eq!(vanished.len(), m.summary.vanished_set);
    for v in &vanished {
        let r = m.symbol(v).unwrap_or_else(|| panic!("{v} not reported"));
        assert!(
            matches!(r.status, Status::Renamed { .. } | Status::Removed { .. }),
            "{v}: {:?}",
            r.status
        );
    }
    // The renames of issue #17, each with its evidence.
    for (old, new) in [
        ("CPU_IBPB_ENTRY", "MITIGATION_IBPB_ENTRY"),
        ("CPU_IBRS_ENTRY", "MITIGATION_IBRS_ENTRY"),
        ("CPU_SRSO", "MITIGATION_SRSO"),
        ("CPU_UNRET_ENTRY", "MITIGATION_UNRET_ENTRY"),
        ("DRM_DP_AUX_CHARDEV", "DRM_DISPLAY_DP_AUX_CHARDEV"),
        ("DRM_DP_CEC", "DRM_DISPLAY_DP_AUX_CEC"),
    ] {
        let (to, merged, ev, carried, now) = renamed(&m, old);
        assert_eq!((to, merged), (new, false), "{old}");
        assert!(ev.contains(&EvidenceKind::SamePrompt), "{old}: {ev:?}");
        assert_eq!(carried.map(String::as_str), Some("y"), "{old}");
        assert_eq!(now, "y", "{old}");
        if old.starts_with("DRM_") {
            // drm_display_helper-$(CONFIG_...) += drm_dp_aux_dev.o / drm_dp_cec.o
            assert!(ev.contains(&EvidenceKind::SameObjects), "{old}: {ev:?}");
        }
    }
    // A promptless symbol: renamed, linked by the Makefiles' ifdef blocks
    // and its selector (DRM_AMD_DC); nothing to carry, derived y again.
    let (to, merged, ev, carried, now) = renamed(&m, "DRM_AMD_DC_DCN");
    assert_eq!((to, merged, carried, now), ("DRM_AMD_DC_FP", false, None, "y"));
    assert!(ev.contains(&EvidenceKind::SameObjects) && ev.contains(&EvidenceKind::SameSelectors));
    // Removed, with what they built.
    for (old, what, module) in [
        ("CRYPTO_CFB", "crypto/cfb", "cfb"),
        ("AMD_IOMMU_V2", "drivers/iommu/amd/iommu_v2", "iommu_v2"),
    ] {
        match &m.symbol(old).unwrap().status {
            Status::Removed { internal, built, .. } => {
                assert!(!internal);
                let b = built
                    .iter()
                    .find(|b| b.what == what)
                    .unwrap_or_else(|| panic!("{old}: {built:?}"));
                assert_eq!(b.module.as_deref(), Some(module));
                assert_eq!(b.now, "gone from the new tree");
            }
            s => panic!("{old}: {s:?}"),
        }
    }
    check_carried(&m, &b);
    // The report serialises.
    let j = serde_json::to_value(&m).unwrap();
    assert_eq!(j["summary"]["vanished_set"], vanished.len());
    // Every vanished symbol's verdict, for review when the rules change.
    let lines: Vec<String> = m
        .symbols
        .iter()
        .filter_map(|s| match &s.status {
            Status::Renamed {
                to,
                merged,
                evidence,
                carried,
                ..
            } => Some(format!(
                "{}={} {} {to} {:?} carried={}",
                s.name,
                s.old,
                if *merged { "merged into" } else { "->" },
                evidence.iter().map(|e| e.kind).collect::<Vec<_>>(),
                carried.as_deref().unwrap_or("-")
            )),
            Status::Removed { internal, built, .. } => Some(format!(
                "{}={} removed{}: {}",
                s.name,
                s.old,
                if *internal { " (internal)" } else { "" },
                built
                    .iter()
                    .map(|b| format!("{} -> {}", b.what, b.now))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            _ => None,
        })
        .collect();
    insta::assert_snapshot!("debian_61_to_612_vanished", lines.join("\n"));
}

/// The other direction: Debian's 6.12 config carried back to 6.1.
#[test]
fn debian_612_config_to_61() {
    let (a, b) = (env("6.12"), env("6.1"));
    let cfg = a.debian.join("config");
    let m = kfit_migrate::migrate(&opts(&a, &b, cfg.clone(), vec![])).unwrap();
    let vanished = vanished_set(&a, &b, &std::fs::read_to_string(&cfg).unwrap());
    eprintln!("{} vanished y/m symbols: {:?}", vanished.len(), m.summary);
    assert_eq!(vanished.len(), m.summary.vanished_set);
    for v in &vanished {
        let r = m.symbol(v).unwrap();
        assert!(
            matches!(r.status, Status::Renamed { .. } | Status::Removed { .. }),
            "{v}: {:?}",
            r.status
        );
    }
    for (old, new) in [
        ("MITIGATION_SRSO", "CPU_SRSO"),
        ("MITIGATION_IBPB_ENTRY", "CPU_IBPB_ENTRY"),
        ("DRM_DISPLAY_DP_AUX_CEC", "DRM_DP_CEC"),
    ] {
        let (to, merged, ev, carried, _) = renamed(&m, old);
        assert_eq!((to, merged), (new, false), "{old}");
        assert!(ev.contains(&EvidenceKind::SamePrompt), "{old}: {ev:?}");
        assert_eq!(carried.map(String::as_str), Some("y"), "{old}");
    }
    check_carried(&m, &b);
}

/// A fit made on 6.1, carried to 6.12 with the machine's listings: every
/// device stays driven, and the migrated config is what a fit on 6.12
/// would keep unchanged.
fn fit_then_migrate(listings: Vec<PathBuf>) -> (Migration, Env) {
    let (a, b) = (env("6.1"), env("6.12"));
    let fit = kfit_fit::fit(
        &kfit_fit::FitOptions {
            tree: a.tree.clone(),
            base: a.build.join("x86_64_defconfig.config"),
            machines: vec![kfit_fit::MachineInput {
                name: "m".into(),
                listings: listings.clone(),
            }],
            load: load(),
            index_cache: kfit_kbuild::default_cache_dir(),
            sysfs_root: "/".into(),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(fit.summary.blocked, 0);
    let dir = std::env::temp_dir().join(format!("kfit-migrate-fit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let old = dir.join(format!("{}.config", listings.len()));
    std::fs::write(&old, &fit.config).unwrap();
    let m = kfit_migrate::migrate(&opts(&a, &b, old, listings)).unwrap();
    let mm = m.machine.as_ref().unwrap();
    for d in &mm.devices {
        if !d.why.is_empty() {
            eprintln!("{} {:?} -> {:?}: {:?}", d.label, d.before, d.after, d.why);
        }
    }
    assert!(mm.driven_before > 0);
    assert_eq!(mm.still_driven, mm.driven_before);
    (m, b)
}

#[test]
fn q35_fit_on_61_migrated_to_612() {
    let listings: Vec<PathBuf> = kfit_testkit::Q35_LISTINGS.iter().map(|f| q35(f)).collect();
    let (m, b) = fit_then_migrate(listings.clone());
    // 6.2 put HID drivers behind a new HID_SUPPORT menu symbol: the USB
    // tablet and keyboards need it, and the report says so.
    let mm = m.machine.as_ref().unwrap();
    let hid = mm
        .newly_required
        .iter()
        .find(|n| n.symbol == "HID_SUPPORT")
        .unwrap();
    assert!(
        hid.new_symbol && hid.after == "y" && !hid.needed_by.is_empty(),
        "{hid:?}"
    );
    // The same check as the 6.12 fit test: a fit of the migrated config on
    // 6.12 blocks nothing and changes nothing.
    let dir = std::env::temp_dir().join(format!("kfit-migrate-q35-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let new = dir.join("new.config");
    std::fs::write(&new, &m.config).unwrap();
    let fit = kfit_fit::fit(
        &kfit_fit::FitOptions {
            tree: b.tree.clone(),
            base: new,
            machines: vec![kfit_fit::MachineInput {
                name: "m".into(),
                listings,
            }],
            load: load(),
            index_cache: kfit_kbuild::default_cache_dir(),
            sysfs_root: "/".into(),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(fit.summary.blocked, 0);
    assert!(fit.changed.is_empty(), "{:?}", fit.changed);
    let after = values(&conf_olddefconfig(&b, &m.config));
    for md in fit.machines[0].devices.iter().flat_map(|d| &d.modules) {
        for s in &md.symbols {
            assert!(
                s.any_of
                    .iter()
                    .any(|x| after.get(x).map(String::as_str) == Some("y")),
                "{}: {:?} not y after conf --olddefconfig",
                md.module,
                s.any_of
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn seed_fit_on_61_migrated_to_612() {
    let (m, b) = fit_then_migrate(vec![repo("examples/seed/lspci-k.txt")]);
    let after = values(&conf_olddefconfig(&b, &m.config));
    for s in kfit_testkit::SEED_SYMBOLS {
        assert_eq!(
            after.get(s).map(String::as_str),
            Some("y"),
            "CONFIG_{s} after conf --olddefconfig"
        );
    }
}
