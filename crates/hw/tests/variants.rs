//! The "information removed" variants of the visible listings
//! (tests/data/variants, made by scripts/hw-variants.sh from the originals):
//! names-only listings give back the ids of the -nn listings, never a wrong
//! one; lsusb + lsusb -t (+ -v) give every USB interface a modalias.

mod common;
use common::{data, read, render};
use kfit_hw::{read_listings, read_str, Bus, Device, Machine};
use std::path::Path;

fn load(files: &[&str]) -> Machine {
    common::require_ids();
    let paths: Vec<_> = files.iter().map(|f| data(f)).collect();
    let (m, w) = read_listings(&paths).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        w.iter().all(|w| w.message.contains("ambiguous")),
        "{files:?}: {w:?}"
    );
    m
}

type Ids = [Option<u32>; 6];
fn ids(d: &Device) -> Ids {
    [d.vendor, d.device, d.subvendor, d.subdevice, d.class, d.subclass]
}
const FIELDS: [&str; 6] = ["vendor", "device", "subvendor", "subdevice", "class", "subclass"];

/// Compare a names-only machine with the ids of the same devices. Returns
/// the fields left unknown, as `address field`; panics on any wrong value.
fn compare(names: &Machine, truth: &Machine) -> Vec<String> {
    let mut unknown = Vec::new();
    for t in truth.devices.iter().filter(|d| d.bus == Bus::Pci) {
        let n = names
            .find(&Bus::Pci, &t.address)
            .unwrap_or_else(|| panic!("{} missing", t.address));
        for (i, (got, want)) in ids(n).iter().zip(ids(t)).enumerate() {
            match (got, want) {
                (Some(g), Some(w)) => assert_eq!(*g, w, "{} {}: a guess", t.address, FIELDS[i]),
                (Some(g), None) => panic!(
                    "{} {}: {g:x} from a name the ids listing lacks",
                    t.address, FIELDS[i]
                ),
                (None, Some(_)) => unknown.push(format!("{} {}", t.address, FIELDS[i])),
                (None, None) => {}
            }
        }
        // A device left unknown lists the true ids among its candidates.
        if n.device.is_none() {
            let want = format!("{:04x}:{:04x}", t.vendor.unwrap(), t.device.unwrap());
            let c = n.attrs.get("id_candidates").map(String::as_str).unwrap_or("");
            assert!(
                c.split(' ').any(|x| x == want),
                "{}: candidates {c:?} lack {want}",
                t.address
            );
        }
    }
    unknown
}

#[test]
fn variants_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let have_lspci = std::process::Command::new("lspci")
        .arg("--version")
        .output()
        .is_ok();
    if !have_lspci && std::env::var_os("CI").is_none() {
        eprintln!("lspci missing: scripts/hw-variants.sh --check skipped");
        return;
    }
    let out = std::process::Command::new("bash")
        .arg(root.join("scripts/hw-variants.sh"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/hw-variants.sh --check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The machines whose full listings scripts/hw-variants.sh strips: the
/// variants' directory and the originals' (under tests/data).
const MACHINES: [(&str, &str); 2] = [("q35", "q35"), ("virt-arm64", "qemu-virt-arm64")];

/// q35 and virt-arm64: plain lspci (names only) against lspci -nn.
/// Exceptions, each because pci.ids 2023.04 gives the printed name to
/// several ids (the warning lists them and `id_candidates` holds them;
/// nothing is guessed):
/// - "Red Hat, Inc." is the vendor name of 1af4, 1b36 and 6900: a device
///   pci.ids does not know ("Red Hat, Inc. Device 1054") and most subsystems
///   ("Red Hat, Inc. Device 1100") have no vendor id;
/// - "82574L Gigabit Network Connection" is 8086:10d3 and 8086:10f6;
/// - "SAS1068 PCI-X Fusion-MPT SAS" is 1000:0054 and 1000:0055.
#[test]
fn names_only_gives_the_ids_of_lspci_nn() {
    for (v, _) in MACHINES {
        let names = load(&[&format!("variants/{v}/names-only/lspci.txt")]);
        let truth = load(&[&format!("variants/{v}/ids-only/lspci-nn.txt")]);
        names_only_against(v, &names, &truth);
    }
}

fn names_only_against(v: &str, names: &Machine, truth: &Machine) {
    let unknown = compare(names, truth);
    let pci = truth.devices.iter().filter(|d| d.bus == Bus::Pci).count();
    let full = truth
        .devices
        .iter()
        .filter(|t| t.bus == Bus::Pci)
        .filter(|t| {
            names
                .find(&Bus::Pci, &t.address)
                .is_some_and(|n| ids(n) == ids(t))
        })
        .count();
    let vd = truth
        .devices
        .iter()
        .filter(|t| t.bus == Bus::Pci)
        .filter(|t| {
            names
                .find(&Bus::Pci, &t.address)
                .is_some_and(|n| n.vendor == t.vendor && n.device == t.device && n.class == t.class)
        })
        .count();
    eprintln!(
        "{v} names only: {vd}/{pci} devices with vendor, device and class; {full}/{pci} with every id; unknown: {unknown:?}"
    );
    let devices_unknown: Vec<&str> = unknown
        .iter()
        .filter(|u| u.ends_with(" device") || u.ends_with(" vendor"))
        .map(|u| u.split(' ').next().unwrap())
        .collect();
    for a in &devices_unknown {
        let n = names.find(&Bus::Pci, a).unwrap();
        let name = n.name.as_deref().unwrap_or("");
        assert!(
            name.starts_with("Red Hat, Inc. Device ")
                || name.contains("82574L Gigabit Network Connection")
                || name.contains("SAS1068 PCI-X Fusion-MPT SAS"),
            "{v} {a} {name:?}: not a known ambiguity"
        );
    }
    assert_eq!(
        vd,
        pci - devices_unknown
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "{v}"
    );
    // Classes always come back (pci.ids' subclass names are unique).
    assert!(!unknown.iter().any(|u| u.contains("class")), "{v}: {unknown:?}");
}

/// Seed: plain `lspci` of the seed machine (rendered by the real lspci from
/// its busybox ids) gives back every vendor and class, and every device id
/// but those pci.ids 2023.04 names alike: "FCH SMBus Controller" (1022:780b,
/// 790b), "FCH LPC Bridge" (780e, 790e), "FCH SATA Controller [AHCI mode]"
/// (7801, 7804, 7901, 7904); those keep their candidates.
#[test]
fn seed_names_only_gives_the_busybox_ids() {
    let names = load(&["variants/seed/names-only/lspci.txt"]);
    let truth = load(&["seed/seed-lspci-k.txt"]);
    let mut unknown = compare(&names, &truth);
    unknown.sort();
    eprintln!("seed names only: 27/31 devices with every id; unknown {unknown:?}");
    assert_eq!(
        unknown,
        [
            "0000:00:14.0 device",
            "0000:00:14.3 device",
            "0000:04:00.0 device",
            "0000:04:00.1 device"
        ]
    );
    assert_eq!(names.devices.len(), 31);
    // And the -nn rendering of the same dump agrees with busybox.
    let nn = load(&["variants/seed/names-only/lspci-nn.txt"]);
    assert!(compare(&nn, &truth).is_empty());
}

/// The ids-only variants keep every id and lose every driver.
#[test]
fn ids_only_variants_have_no_drivers() {
    let files = MACHINES
        .iter()
        .flat_map(|(v, _)| {
            ["lspci-nn.txt", "lspci-n.txt", "lsusb-t.txt"].map(|f| format!("variants/{v}/ids-only/{f}"))
        })
        .chain(["variants/seed/ids-only/lspci.txt".to_string()]);
    for f in files {
        let f = f.as_str();
        let m = load(&[f]);
        assert!(m.devices.iter().all(|d| d.driver.is_none()), "{f}");
        assert!(
            m.devices
                .iter()
                .all(|d| d.bus != Bus::Pci || d.vendor.is_some() && d.device.is_some()),
            "{f}"
        );
    }
    for (v, dir) in MACHINES {
        let m = load(&[&format!("variants/{v}/lsmod-only/lsmod.txt")]);
        let list = load(&[&format!("{dir}/modules-loaded.txt")]);
        assert_eq!(m.loaded_modules, list.loaded_modules, "{v}");
        assert!(!m.loaded_modules.is_empty(), "{v}");
        assert!(m.devices.is_empty(), "{v}");
    }
}

/// lsusb + lsusb -t (no drivers): every interface gets its device's
/// vendor:product and its number, as a live modalias has them.
#[test]
fn q35_lsusb_and_tree_give_interface_modaliases() {
    let m = load(&["q35/lsusb.txt", "variants/q35/ids-only/lsusb-t.txt"]);
    let ifs: Vec<&Device> = m.devices.iter().filter(|d| d.is_usb_interface()).collect();
    assert_eq!(ifs.len(), 14, "{}", render(&m, &[]));
    for f in &ifs {
        let a = f.synth_modalias().unwrap();
        assert!(f.vendor.is_some() && f.device.is_some(), "{} {a}", f.address);
        assert!(!a.ends_with("in*"), "{} {a}", f.address);
    }
    let kbd = m.find(&Bus::Usb, "5-1:1.0").unwrap();
    assert_eq!(
        kbd.synth_modalias().as_deref(),
        Some("usb:v0627p0001d*dc*dsc*dp*ic*isc*ip*in00")
    );
    insta::assert_snapshot!("q35-lsusb-merged", render(&m, &[]));
}

/// lsusb + lsusb -t + lsusb -v of one machine: the interfaces -v describes get
/// the exact kernel modalias; those only -t shows get ids and class.
#[test]
fn lsusb_tree_and_verbose_merge() {
    let m = load(&[
        "formats/lsusb-plain.txt",
        "formats/lsusb-t-old.txt",
        "formats/lsusb-v.txt",
    ]);
    let (v, _) = read_str(&read("formats/lsusb-v.txt"), "v").unwrap();
    for vi in v.devices.iter().filter(|d| d.is_usb_interface()) {
        let want = vi.synth_modalias().unwrap();
        let got = m
            .devices
            .iter()
            .find(|d| {
                d.is_usb_interface() && d.busnum == vi.busnum && d.devnum == vi.devnum && {
                    d.address.rsplit(':').next() == vi.address.rsplit(':').next()
                }
            })
            .unwrap_or_else(|| panic!("{} not merged", vi.address));
        assert!(got.has_sysfs_address(), "{}", got.address);
        assert_eq!(got.synth_modalias().unwrap(), want, "{}", got.address);
    }
    let hid = m.find(&Bus::Usb, "1-2.3:1.1").unwrap();
    assert_eq!(
        hid.synth_modalias().as_deref(),
        Some("usb:v046DpC52Bd*dc*dsc*dp*ic03isc*ip*in01")
    );
    assert_eq!(hid.driver.as_deref(), Some("usbhid"));
    insta::assert_snapshot!("lsusb-merged", render(&m, &[]));
}
