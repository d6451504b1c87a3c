//! qemu-q35-debian61: every listing parses, and the merged machine covers
//! every device that drivers.txt lists. drivers.txt is read here with a plain
//! split, independently of the parser.

mod common;
use common::data;
use kfit_hw::{read_listings, Bus, Machine};

const ALL: [&str; 9] = [
    "lspci-k.txt",
    "lspci-nk.txt",
    "lspci-nnk.txt",
    "lsusb.txt",
    "lsusb-t.txt",
    "modalias.txt",
    "modalias-uevent.txt",
    "modules-loaded.txt",
    "drivers.txt",
];

type Entry = common::DriversEntry;

fn drivers_txt() -> Vec<Entry> {
    common::drivers_txt("q35/drivers.txt")
}

fn machine(files: &[&str]) -> Machine {
    let paths: Vec<_> = files.iter().map(|f| data(&format!("q35/{f}"))).collect();
    let (m, w) = read_listings(&paths).unwrap();
    // lspci-k.txt names devices; the names pci.ids gives to several ids are reported.
    assert!(w.iter().all(|w| w.message.contains("ambiguous")), "{w:?}");
    m
}

fn covered(m: &Machine, e: &Entry) -> bool {
    m.devices.iter().any(|d| {
        d.bus == Bus::from_name(&e.bus)
            && d.address == e.dev
            && (e.driver.is_none() || d.driver == e.driver)
            && (e.modalias.is_none() || d.modalias == e.modalias)
    })
}

#[test]
fn all_listings_merged_cover_drivers_txt() {
    let m = machine(&ALL);
    let entries = drivers_txt();
    let missing: Vec<_> = entries
        .iter()
        .filter(|e| !covered(&m, e))
        .map(|e| format!("{} {}", e.bus, e.dev))
        .collect();
    eprintln!(
        "q35 coverage (all listings): {}/{}",
        entries.len() - missing.len(),
        entries.len()
    );
    assert!(missing.is_empty(), "not covered: {missing:?}");
    // Merging did not duplicate: one device per drivers.txt entry plus the
    // uevent-only ones (input, dmi, cpu modaliases, ACPI devices off-bus).
    let extra: Vec<_> = m
        .devices
        .iter()
        .filter(|d| {
            !entries
                .iter()
                .any(|e| Bus::from_name(&e.bus) == d.bus && e.dev == d.address)
        })
        .map(|d| format!("{} {}", d.bus, d.address))
        .collect();
    eprintln!(
        "q35: {} devices, {} not in drivers.txt: {extra:?}",
        m.devices.len(),
        extra.len()
    );
    assert!(
        extra
            .iter()
            .all(|x| x.starts_with("input ") || x.starts_with("dmi ") || x.starts_with("cpu ")),
        "{extra:?}"
    );
    // The facts the listings give are on the merged devices.
    let x = m.find(&Bus::Pci, "0000:03:00.0").unwrap();
    assert_eq!(x.driver.as_deref(), Some("xhci_hcd"));
    assert_eq!(x.driver_module.as_deref(), Some("xhci_pci"));
    assert_eq!(x.parent.as_deref(), Some("0000:00:06.0"));
    let r = m.find(&Bus::Pci, "0000:06:00.0").unwrap();
    assert_eq!(r.modules, ["8139cp", "8139too"]);
    let ancestors: Vec<_> = m.ancestors(r).iter().map(|d| d.address.clone()).collect();
    assert_eq!(ancestors, ["0000:05:00.0", "0000:00:08.0"]);
    let kbd = m.find(&Bus::Usb, "5-1:1.0").unwrap();
    let chain: Vec<_> = m.ancestors(kbd).iter().map(|d| d.address.clone()).collect();
    assert_eq!(chain[..2], ["5-1".to_string(), "usb5".to_string()]);
    assert_eq!(m.loaded_modules.len(), 147);
    assert_eq!(m.kernel_version.as_deref(), Some("6.1.0-56-amd64"));
}

#[test]
fn listings_without_drivers_txt_cover_its_bound_and_aliased_devices() {
    let m = machine(&ALL[..8]);
    let entries = drivers_txt();
    let (knowable, missing) = common::knowable_not_found(&m, &entries);
    eprintln!(
        "q35 coverage without drivers.txt: {}/{} entries with a modalias or on pci/usb (of {} in drivers.txt)",
        knowable - missing.len(),
        knowable,
        entries.len()
    );
    assert!(missing.is_empty(), "{missing:?}");
    // Every driver lspci/lsusb -t show agrees with drivers.txt.
    for e in entries
        .iter()
        .filter(|e| e.bus == "pci" || e.bus == "usb" && e.dev.contains(':'))
    {
        let Some(d) = m.find(&Bus::from_name(&e.bus), &e.dev) else {
            continue;
        };
        if d.driver.is_some() || e.bus == "pci" {
            let want = e.driver.as_deref();
            // lsusb -t shows the driver of PCI host controllers by their
            // (sometimes different) names on root hubs only; interfaces match.
            assert_eq!(d.driver.as_deref(), want, "{} {}", e.bus, e.dev);
        }
    }
}

/// The copies in tests/data are those of ../shared (checked when it is there).
#[test]
fn copies_match_shared() {
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hw/qemu-q35-debian61");
    if !shared.exists() {
        eprintln!("{} not found: skipped", shared.display());
        return;
    }
    for f in ALL.iter().chain(&["dmesg.txt"]) {
        let a = std::fs::read(shared.join(f)).unwrap();
        let b = std::fs::read(data(&format!("q35/{f}"))).unwrap();
        assert!(a == b, "{f} differs from {}", shared.display());
    }
}

/// A saved dmesg alone: every PCI device with ids and class (probe.c's
/// `pci BDF: [vvvv:dddd] type 00 class 0x...`), and the drivers that printed
/// about each device (`driver BDF: ...`). Measured against drivers.txt: 39
/// drivers agree, 2 differ and are listed: a probed driver is not always the
/// bound one (shpchp failed on the pcie-pci-bridge; 8139too gave the C+ chip
/// to 8139cp, which prints nothing about it).
#[test]
fn dmesg_gives_pci_ids_and_probed_drivers() {
    let text = std::fs::read_to_string(data("q35/dmesg.txt")).unwrap();
    assert_eq!(
        kfit_hw::detect(&text, "dmesg.txt").unwrap(),
        Some(kfit_hw::Format::Dmesg)
    );
    let m = machine(&["dmesg.txt"]);
    assert_eq!(m.kernel_version.as_deref(), Some("6.1.0-56-amd64"));
    let entries = drivers_txt();
    let pci: Vec<&Entry> = entries.iter().filter(|e| e.bus == "pci").collect();
    for e in &pci {
        let d = m
            .find(&Bus::Pci, &e.dev)
            .unwrap_or_else(|| panic!("{} missing", e.dev));
        assert!(
            d.vendor.is_some() && d.device.is_some() && d.prog_if.is_some(),
            "{}",
            e.dev
        );
    }
    let (mut agree, mut differ) = (0, Vec::new());
    for d in m.devices.iter().filter(|d| d.driver.is_some()) {
        let e = entries
            .iter()
            .find(|e| Bus::from_name(&e.bus) == d.bus && e.dev == d.address)
            .unwrap_or_else(|| panic!("{} {} not in drivers.txt", d.bus, d.address));
        if e.driver == d.driver {
            agree += 1;
        } else {
            differ.push(format!("{} {:?}/{:?}", d.address, d.driver, e.driver));
        }
    }
    eprintln!(
        "q35 dmesg: {} devices, {}/{} pci with ids, drivers agree {agree}, differ {differ:?}",
        m.devices.len(),
        pci.len(),
        pci.len()
    );
    assert_eq!(agree, 39);
    assert_eq!(
        differ,
        [
            "0000:05:00.0 Some(\"shpchp\")/None",
            "0000:06:00.0 Some(\"8139too\")/Some(\"8139cp\")"
        ]
    );
    insta::assert_snapshot!("q35-dmesg", common::render(&m, &[]));
}
