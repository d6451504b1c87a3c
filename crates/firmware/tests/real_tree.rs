//! Firmware narrowing on the real 6.12 tree (and Debian's firmware packages
//! for real sizes). Ground truth comes from the tree's source and from
//! Debian's built modules (`modinfo -F firmware`), never from a hand list.

use kfit_firmware::*;
use kfit_testkit::{cache, fixtures, repo};
use std::path::{Path, PathBuf};
use std::process::Command;

fn env_file(path: &Path, script: &str, args: &[&str]) -> Vec<(String, String)> {
    if !path.exists() {
        let st = Command::new(repo("scripts").join(script))
            .args(args)
            .status()
            .expect("run fetch script");
        assert!(st.success(), "{script} failed");
    }
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

fn get(env: &[(String, String)], k: &str) -> PathBuf {
    PathBuf::from(&env.iter().find(|(a, _)| a == k).unwrap().1)
}

fn tree() -> PathBuf {
    get(
        &env_file(&cache().join("env/6.12"), "fetch-kernels.sh", &["6.12"]),
        "TREE",
    )
}

fn debian_modules() -> PathBuf {
    let env = env_file(&cache().join("env/6.12"), "fetch-kernels.sh", &["6.12"]);
    let abi = env.iter().find(|(k, _)| k == "ABI").unwrap().1.clone();
    get(&env, "DEBIAN").join("lib/modules").join(abi).join("kernel")
}

fn fw_dir() -> PathBuf {
    get(
        &env_file(&cache().join("firmware/env"), "fetch-firmware.sh", &[]),
        "FWDIR",
    )
}

/// Debian's built module's firmware list (ground truth for the declared
/// names), if modinfo and the module are available.
fn modinfo_firmware(rel: &str) -> Option<Vec<String>> {
    let p = debian_modules().join(rel);
    if !p.exists() {
        return None;
    }
    let out = Command::new("modinfo")
        .args(["-F", "firmware"])
        .arg(&p)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    Some(v)
}

fn amdgpu_declared() -> Vec<String> {
    scan_module_firmware(&tree(), &["drivers/gpu/drm/amd"])
}

/// The fixture's ix firmware list: how many amdgpu files ix links today.
fn ix_amdgpu_count() -> usize {
    let fw = fixtures().join("ix-current/pkgs/bin/kernel/t/1/fw.sh");
    std::fs::read_to_string(fw)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("amdgpu/"))
        .count()
}

#[test]
fn scanner_matches_debian_modinfo_for_amdgpu_and_iwlwifi() {
    let ours = amdgpu_declared();
    if let Some(deb) = modinfo_firmware("drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz") {
        let missing: Vec<_> = deb.iter().filter(|n| !ours.contains(n)).collect();
        assert!(missing.is_empty(), "scanner misses {missing:?}");
    }
    let iwl = scan_module_firmware(&tree(), &["drivers/net/wireless/intel/iwlwifi"]);
    if let Some(deb) = modinfo_firmware("drivers/net/wireless/intel/iwlwifi/iwlwifi.ko.xz") {
        let missing: Vec<_> = deb.iter().filter(|n| !iwl.contains(n)).collect();
        assert!(missing.is_empty(), "scanner misses {missing:?}");
    }
}

/// Is `name` requested somewhere in the amdgpu sources? Checked the simple
/// way: a literal, a `"amdgpu/%s_<suffix>.bin"` format (with `%s` = the
/// family), or a `"<family>_<block>"` prefix used with `"amdgpu/%s.bin"`.
fn requested_by_source(tree: &Path, family: &str, name: &str) -> bool {
    let mut text = String::new();
    for d in [
        "drivers/gpu/drm/amd/amdgpu",
        "drivers/gpu/drm/amd/display/amdgpu_dm",
    ] {
        for e in std::fs::read_dir(tree.join(d)).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "c") {
                text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    let base = name.trim_start_matches("amdgpu/").trim_end_matches(".bin");
    let suffix = base.trim_start_matches(family).trim_start_matches('_');
    let literal_used = text.contains(&format!("\"{name}\"")) && {
        // a #define'd literal is used in a request (dm: fw_name_dmub = ...)
        text.lines()
            .any(|l| l.contains(&format!("\"{name}\"")) && l.contains("#define"))
    };
    literal_used
        || text.contains(&format!("\"amdgpu/%s_{suffix}.bin\""))
        || (text.contains(&format!("\"{base}\"")) && text.contains("\"amdgpu/%s.bin\""))
}

#[test]
fn amdgpu_1002_1638_is_the_green_sardine_family() {
    let tree = tree();
    let declared = amdgpu_declared();
    let set = firmware_for_device(&tree, "amdgpu", &declared, &DeviceIds::pci(0x1002, 0x1638));
    eprintln!("{}", set.narrowed_by);
    for f in &set.files {
        eprintln!("  {}  ({})", f.name, f.reason);
    }
    assert_eq!(set.narrowing, Narrowing::Device);
    assert!(!set.files.is_empty());
    // The family comes from the source: 0x1638 is not one of the device IDs
    // amdgpu_device.c flags as AMD_APU_IS_RENOIR.
    let dev_c = std::fs::read_to_string(tree.join("drivers/gpu/drm/amd/amdgpu/amdgpu_device.c")).unwrap();
    let renoir_case = &dev_c[dev_c.find("case CHIP_RENOIR:").unwrap()..];
    let renoir_case = &renoir_case[..renoir_case.find("break;").unwrap()];
    assert!(!renoir_case.to_lowercase().contains("0x1638"));
    assert!(renoir_case.contains("AMD_APU_IS_GREEN_SARDINE"));
    for f in &set.files {
        assert!(f.name.starts_with("amdgpu/green_sardine_"), "{}", f.name);
        assert!(
            requested_by_source(&tree, "green_sardine", &f.name),
            "{} is not requested by any amdgpu source",
            f.name
        );
    }
    // Selected ∪ excluded = every declared green_sardine name (Debian's
    // built module when available, else the scanner).
    let truth = modinfo_firmware("drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz").unwrap_or(declared);
    let mut fam: Vec<String> = truth
        .into_iter()
        .filter(|n| n.starts_with("amdgpu/green_sardine_"))
        .collect();
    fam.sort();
    let mut got: Vec<String> = set
        .files
        .iter()
        .chain(&set.excluded)
        .map(|f| f.name.clone())
        .collect();
    got.sort();
    assert_eq!(got, fam);
    // Every exclusion is a MEC2 file, and the GFX code really skips MEC2 for
    // GC 9.3.0, the IP version amdgpu_ucode.c names green_sardine.
    let gfx = std::fs::read_to_string(tree.join("drivers/gpu/drm/amd/amdgpu/gfx_v9_0.c")).unwrap();
    let f = &gfx[gfx.find("static bool gfx_v9_0_load_mec2_fw_bin_support").unwrap()..];
    let f = &f[..f.find("return true").unwrap()];
    for e in &set.excluded {
        assert!(e.name.ends_with("_mec2.bin"), "{}", e.name);
        assert!(f.contains("IP_VERSION(9, 3, 0)"));
    }
    // Far fewer than what ix links today.
    let ix = ix_amdgpu_count();
    assert!(set.files.len() * 10 < ix, "{} vs ix {ix}", set.files.len());
    // No renoir_* (that family is 0x1636/0x164c).
    let other = firmware_for_device(
        &tree,
        "amdgpu",
        &amdgpu_declared(),
        &DeviceIds::pci(0x1002, 0x1636),
    );
    assert!(other.files.iter().all(|f| f.name.starts_with("amdgpu/renoir_")));
    assert!(!other.files.is_empty());

    // Real sizes from Debian's firmware-amd-graphics.
    let report = check_dir(std::slice::from_ref(&set), &fw_dir()).unwrap();
    eprintln!(
        "amdgpu 1002:1638: {} files, {}; missing {:?}",
        report.present.len(),
        format_size(report.total),
        report.missing.iter().map(|m| &m.name).collect::<Vec<_>>()
    );
    assert!(report.missing.is_empty(), "{:?}", report.missing);
    assert!(report.total <= 2_000_000, "{}", report.total);
    assert!(report.total > 100_000);
}

#[test]
fn iwlwifi_8086_2723_is_one_cc_a0_ucode() {
    let tree = tree();
    let declared = scan_module_firmware(&tree, &["drivers/net/wireless/intel/iwlwifi"]);
    let set = firmware_for_device(&tree, "iwlwifi", &declared, &DeviceIds::pci(0x8086, 0x2723));
    eprintln!("{}", set.narrowed_by);
    assert_eq!(set.narrowing, Narrowing::Device);
    assert_eq!(set.files.len(), 1, "{:?}", set.files);
    let name = &set.files[0].name;
    assert!(
        name.starts_with("iwlwifi-cc-a0-") && name.ends_with(".ucode"),
        "{name}"
    );
    // Without a firmware dir the name is the max API, which is what the
    // driver declares with MODULE_FIRMWARE (Debian's build as ground truth).
    let truth = modinfo_firmware("drivers/net/wireless/intel/iwlwifi/iwlwifi.ko.xz").unwrap_or(declared);
    assert!(truth.contains(name), "{name} not declared");
    assert_eq!(
        truth.iter().filter(|n| n.starts_with("iwlwifi-cc-a0-")).count(),
        1
    );

    // A dir holding an older API the driver does not accept, plus the
    // accepted one: the accepted one is chosen.
    let tmp = std::env::temp_dir().join(format!("kfit-iwl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("iwlwifi-cc-a0-1.ucode"), b"old").unwrap();
    std::fs::write(tmp.join(name), b"new").unwrap();
    let r = check_dir(std::slice::from_ref(&set), &tmp).unwrap();
    assert_eq!(r.names(), vec![name.clone()]);
    let _ = std::fs::remove_dir_all(&tmp);

    // Debian bookworm's firmware-iwlwifi: whatever it has, every name is
    // either found (an accepted API) or listed as missing for 8086:2723.
    let r = check_dir(std::slice::from_ref(&set), &fw_dir()).unwrap();
    eprintln!(
        "iwlwifi: present {:?} missing {:?}",
        r.names(),
        r.missing.iter().map(|m| (&m.name, &m.device)).collect::<Vec<_>>()
    );
    assert_eq!(r.present.len() + r.missing.len(), 1);
    for m in &r.missing {
        assert_eq!(m.device, "8086:2723");
        assert!(!fw_dir().join(&m.name).exists());
    }
}

#[test]
fn cfg80211_regulatory_db() {
    let set = firmware_for_module(&tree(), "cfg80211", &[]);
    assert_eq!(set.names(), vec!["regulatory.db", "regulatory.db.p7s"]);
    assert_eq!(set.narrowing, Narrowing::Module);
}

#[test]
fn seed_listing_renders_both_formats() {
    let tree = tree();
    let amd = amdgpu_declared();
    let iwl = scan_module_firmware(&tree, &["drivers/net/wireless/intel/iwlwifi"]);
    let sets = vec![
        firmware_for_device(&tree, "amdgpu", &amd, &DeviceIds::pci(0x1002, 0x1638)),
        firmware_for_device(&tree, "iwlwifi", &iwl, &DeviceIds::pci(0x8086, 0x2723)),
        firmware_for_module(&tree, "cfg80211", &[]),
    ];
    let names = all_names(&sets);
    let line = extra_firmware_line(&names);
    assert!(line.starts_with("CONFIG_EXTRA_FIRMWARE=\"amdgpu/green_sardine_"));
    assert!(line.contains(" regulatory.db"));
    let list = ix_firmware_list(&names);
    assert_eq!(list.lines().count(), names.len());
    let r = check_dir(&sets, &fw_dir()).unwrap();
    // regulatory.db is not in the amd/iwlwifi packages: listed as missing.
    assert!(r.missing.iter().any(|m| m.name == "regulatory.db"));
    assert!(r
        .by_set
        .iter()
        .any(|s| s.device == "1002:1638" && s.missing.is_empty()));
}

fn i915_declared() -> Vec<String> {
    modinfo_firmware("drivers/gpu/drm/i915/i915.ko.xz")
        .unwrap_or_else(|| scan_module_firmware(&tree(), &["drivers/gpu/drm/i915"]))
}

/// A device ID listed by an `INTEL_*_IDS` macro of the tree's pciids header
/// (so the test does not carry its own ID table).
fn first_id_of(macro_name: &str) -> u16 {
    let h = std::fs::read_to_string(tree().join("include/drm/intel/i915_pciids.h")).unwrap();
    let at = h.find(&format!("#define {macro_name}(")).unwrap();
    let rest = &h[at..];
    let p = rest.find("MACRO__(0x").unwrap();
    u16::from_str_radix(&rest[p + 10..p + 14], 16).unwrap()
}

#[test]
fn i915_platform_firmware() {
    let tree = tree();
    let declared = i915_declared();
    let ix_i915 = {
        let fw = std::fs::read_to_string(fixtures().join("ix-current/pkgs/bin/kernel/t/1/fw.sh")).unwrap();
        fw.lines().filter(|l| l.starts_with("i915/")).count()
    };
    for (mac, abbrev) in [
        ("INTEL_TGL_GT1_IDS", "tgl"),
        ("INTEL_ADLP_IDS", "adlp"),
        ("INTEL_KBL_GT2_IDS", "kbl"),
    ] {
        let id = first_id_of(mac);
        let set = firmware_for_device(&tree, "i915", &declared, &DeviceIds::pci(0x8086, id));
        eprintln!("{mac} {id:04x}: {}", set.narrowed_by);
        for f in &set.files {
            eprintln!("   {} {:?}", f.name, f.candidates);
        }
        assert_eq!(set.narrowing, Narrowing::Device, "{}", set.narrowed_by);
        assert!(!set.files.is_empty());
        assert!(set.files.len() <= 4);
        assert!(set.files.len() * 10 < ix_i915.max(10));
        for f in &set.files {
            for n in f.tries() {
                assert!(declared.contains(&n), "{n} not declared by i915");
            }
        }
        // The DMC is the platform's own
        assert!(
            set.files
                .iter()
                .any(|f| f.name.starts_with(&format!("i915/{abbrev}_dmc"))),
            "{mac}: {:?}",
            set.names()
        );
    }
}

#[test]
fn amdgpu_raven_revision_variants() {
    let tree = tree();
    let declared = amdgpu_declared();
    // 0x15dd: the device-ID switch says AMD_APU_IS_RAVEN; soc15.c adds
    // AMD_APU_IS_RAVEN2 from the revision.
    let fams = |rev: Option<u8>| {
        let mut d = DeviceIds::pci(0x1002, 0x15dd);
        d.revision = rev;
        let s = firmware_for_device(&tree, "amdgpu", &declared, &d);
        eprintln!("{rev:?}: {}", s.narrowed_by);
        let mut f: Vec<String> = s
            .files
            .iter()
            .map(|f| {
                f.name
                    .trim_start_matches("amdgpu/")
                    .split('_')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        f.sort();
        f.dedup();
        f
    };
    assert_eq!(fams(Some(0x1)), vec!["raven"]);
    assert_eq!(fams(Some(0x8)), vec!["raven2"]);
    assert_eq!(fams(None), vec!["raven", "raven2"]);
}
