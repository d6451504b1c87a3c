//! qemu-virt-arm64: the arm64 reference machine (QEMU `virt`, Debian's
//! 6.12 arm64 kernel with its modules; see tests/data/qemu-virt-arm64/README.md).
//! Its listings go through the same parsers as the q35 machine's, and its
//! saved /sys (sys.txt) through the live reader. drivers.txt is read here
//! with a plain split, independently of the parsers.

mod common;
use common::data;
use kfit_hw::{read_listings, read_sysfs, Bus, Format, Machine};
use std::collections::BTreeSet;

const DIR: &str = "qemu-virt-arm64";

/// Every listing, with the format its content must be detected as.
const LISTINGS: [(&str, Format); 10] = [
    ("lspci-k.txt", Format::Lspci),
    ("lspci-nk.txt", Format::Lspci),
    ("lspci-nnk.txt", Format::Lspci),
    ("lsusb.txt", Format::Lsusb),
    ("lsusb-t.txt", Format::LsusbTree),
    ("modalias.txt", Format::ModaliasList),
    ("modalias-uevent.txt", Format::UeventList),
    ("modules-loaded.txt", Format::ModuleList),
    ("drivers.txt", Format::DriversTxt),
    ("dmesg.txt", Format::Dmesg),
];

type Entry = common::DriversEntry;

fn drivers_txt() -> Vec<Entry> {
    common::drivers_txt(&format!("{DIR}/drivers.txt"))
}

fn machine(files: &[&str]) -> Machine {
    let paths: Vec<_> = files.iter().map(|f| data(&format!("{DIR}/{f}"))).collect();
    let (m, w) = read_listings(&paths).unwrap();
    // lspci-k.txt names devices; the names pci.ids gives to several ids are
    // reported. dmesg.txt has 78 lines of the kernel's own "Invalid ELF
    // header magic: != \x7fELF" (kmod 30 offering each .ko.xz to the
    // kernel first): the control byte is reported.
    assert!(
        w.iter().all(|w| w.message.contains("ambiguous")
            || w.source.ends_with("dmesg.txt") && w.message.starts_with("control bytes replaced")),
        "{w:?}"
    );
    m
}

fn covered(m: &Machine, e: &Entry) -> bool {
    m.devices.iter().any(|d| {
        d.bus == Bus::from_name(&e.bus)
            && d.address == e.dev
            && d.driver == e.driver
            && (e.modalias.is_none() || d.modalias == e.modalias)
    })
}

fn not_in_drivers_txt(m: &Machine, entries: &[Entry]) -> Vec<String> {
    m.devices
        .iter()
        .filter(|d| {
            !entries
                .iter()
                .any(|e| Bus::from_name(&e.bus) == d.bus && e.dev == d.address)
        })
        .map(|d| format!("{} {}", d.bus, d.address))
        .collect()
}

#[test]
fn every_listing_is_detected() {
    for (f, want) in LISTINGS {
        let text = common::read(&format!("{DIR}/{f}"));
        assert_eq!(kfit_hw::detect(&text, f).unwrap(), Some(want), "{f}");
    }
}

#[test]
fn all_listings_merged_cover_drivers_txt() {
    let files: Vec<&str> = LISTINGS
        .iter()
        .map(|l| l.0)
        .filter(|f| *f != "dmesg.txt")
        .collect();
    let m = machine(&files);
    let entries = drivers_txt();
    let missing: Vec<_> = entries
        .iter()
        .filter(|e| !covered(&m, e))
        .map(|e| format!("{} {}", e.bus, e.dev))
        .collect();
    let bound = entries.iter().filter(|e| e.driver.is_some()).count();
    eprintln!(
        "virt-arm64 coverage (all listings): {}/{} drivers.txt entries ({bound} bound)",
        entries.len() - missing.len(),
        entries.len()
    );
    assert!(missing.is_empty(), "not covered: {missing:?}");
    // Merging did not duplicate: one device per drivers.txt entry plus the
    // uevent-only ones (input, cpu features) that are on no bus listing.
    let extra = not_in_drivers_txt(&m, &entries);
    eprintln!(
        "virt-arm64: {} devices, {} not in drivers.txt: {extra:?}",
        m.devices.len(),
        extra.len()
    );
    assert!(
        extra
            .iter()
            .all(|x| x.starts_with("input ") || x.starts_with("cpu ")),
        "{extra:?}"
    );
    // The device-tree devices: platform and amba, by their DT node's address.
    let uart = m.find(&Bus::from_name("amba"), "9000000.pl011").unwrap();
    assert_eq!(uart.modalias.as_deref(), Some("amba:d00141011"));
    assert_eq!(uart.driver.as_deref(), Some("uart-pl011"));
    let fw = m.find(&Bus::Platform, "9020000.fw-cfg").unwrap();
    assert_eq!(fw.modalias.as_deref(), Some("of:Nfw-cfgT(null)Cqemu,fw-cfg-mmio"));
    assert_eq!(fw.driver_module.as_deref(), Some("qemu_fw_cfg"));
    // The PCI tree under the generic host bridge, the xHCI behind a root port.
    let x = m.find(&Bus::Pci, "0000:03:00.0").unwrap();
    assert_eq!(x.driver.as_deref(), Some("xhci_hcd"));
    assert_eq!(x.driver_module.as_deref(), Some("xhci_pci"));
    assert_eq!(x.parent.as_deref(), Some("0000:00:03.0"));
    let kbd = m.find(&Bus::Usb, "1-1:1.0").unwrap();
    let chain: Vec<_> = m.ancestors(kbd).iter().map(|d| d.address.clone()).collect();
    assert_eq!(chain[..3], ["1-1", "usb1", "0000:03:00.0"]);
    let loaded = common::read(&format!("{DIR}/modules-loaded.txt"));
    assert_eq!(m.loaded_modules.len(), loaded.lines().count());
    assert!(m.loaded_modules.iter().any(|x| x == "virtio_mmio"));
}

#[test]
fn listings_without_drivers_txt_cover_its_aliased_devices() {
    let files: Vec<&str> = LISTINGS
        .iter()
        .map(|l| l.0)
        .filter(|f| *f != "dmesg.txt" && *f != "drivers.txt")
        .collect();
    let m = machine(&files);
    let entries = drivers_txt();
    let (knowable, missing) = common::knowable_not_found(&m, &entries);
    eprintln!(
        "virt-arm64 coverage without drivers.txt: {}/{} entries with a modalias or on pci/usb (of {})",
        knowable - missing.len(),
        knowable,
        entries.len()
    );
    assert!(missing.is_empty(), "{missing:?}");
    // Every PCI driver lspci -k shows is the one drivers.txt lists.
    for e in entries.iter().filter(|e| e.bus == "pci") {
        let d = m.find(&Bus::Pci, &e.dev).unwrap();
        assert_eq!(d.driver, e.driver, "{}", e.dev);
    }
}

/// The saved dmesg: every PCI device with ids and class (6.12's
/// `pci BDF: [vvvv:dddd] type 00 class 0x... PCIe Endpoint`).
#[test]
fn dmesg_gives_pci_ids() {
    let m = machine(&["dmesg.txt"]);
    let entries = drivers_txt();
    for e in entries.iter().filter(|e| e.bus == "pci") {
        let d = m
            .find(&Bus::Pci, &e.dev)
            .unwrap_or_else(|| panic!("{} missing", e.dev));
        assert!(
            d.vendor.is_some() && d.device.is_some() && d.prog_if.is_some(),
            "{}",
            e.dev
        );
    }
    assert_eq!(m.kernel_version.as_deref(), Some("6.12.118+deb12-arm64"));
    // Device-tree devices by their bus id (`pl061_gpio 9030000.pl061: ...`):
    // the log does not say platform or amba; the device tree does.
    let dt: Vec<String> = m
        .devices
        .iter()
        .filter(|d| d.bus.is_unknown())
        .map(|d| format!("{} {}", d.address, d.driver.as_deref().unwrap_or("-")))
        .collect();
    assert_eq!(
        dt,
        [
            "9030000.pl061 pl061_gpio",
            "4010000000.pcie pci-host-generic",
            "9050000.smmuv3 arm-smmu-v3",
            "9010000.pl031 rtc-pl031"
        ]
    );
    let both = machine(&["devicetree.dtb", "dmesg.txt"]);
    assert!(both.devices.iter().all(|d| !d.bus.is_unknown()));
    let gpio = both.find(&Bus::from_name("amba"), "9030000.pl061").unwrap();
    assert_eq!(gpio.driver.as_deref(), Some("pl061_gpio"));
    let pcie = both.find(&Bus::Platform, "4010000000.pcie").unwrap();
    assert_eq!(pcie.driver.as_deref(), Some("pci-host-generic"));
}

/// The live path: the sysfs reader pointed at the machine's saved /sys
/// (sys.txt unpacked into a temporary root) finds every device drivers.txt
/// lists, with its driver, module and modalias, and the same modules.
#[test]
fn saved_sysfs_reads_as_drivers_txt() {
    let tmp = tempfile::tempdir().unwrap();
    kfit_testkit::unpack_sysfs_snapshot(&common::read(&format!("{DIR}/sys.txt")), tmp.path()).unwrap();
    let m = read_sysfs(tmp.path()).unwrap();
    let entries = drivers_txt();
    let mut wrong = Vec::new();
    for e in &entries {
        let Some(d) = m.find(&Bus::from_name(&e.bus), &e.dev) else {
            wrong.push(format!("{} {}: not found", e.bus, e.dev));
            continue;
        };
        // drivers.txt names a module for built-in drivers too when
        // /sys/module/<driver> exists; the reader takes only the link.
        let module_ok = d.driver_module == e.module || (d.driver_module.is_none() && e.module.is_some());
        if d.driver != e.driver || d.modalias != e.modalias || !module_ok {
            wrong.push(format!(
                "{} {}: {:?} {:?} {:?} vs {:?} {:?} {:?}",
                e.bus, e.dev, d.driver, d.driver_module, d.modalias, e.driver, e.module, e.modalias
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Besides drivers.txt's devices: the suppliers the kernel set up before
    // the driver model (the GIC, IRQCHIP_DECLARE; the fixed clock,
    // CLK_OF_DECLARE), which the device tree names and a fit must build.
    assert_eq!(
        not_in_drivers_txt(&m, &entries),
        ["platform 8000000.intc", "platform apb-pclk"]
    );
    assert_eq!(m.devices.len(), entries.len() + 2);
    let loaded: BTreeSet<String> = common::read(&format!("{DIR}/modules-loaded.txt"))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(m.loaded_modules.iter().cloned().collect::<BTreeSet<_>>(), loaded);
    assert_eq!(m.kernel_version.as_deref(), Some("6.12.118+deb12-arm64"));
    // Paths and parents come from the device tree's layout: PCI under the
    // host bridge's platform device, amba devices as platform children.
    let x = m.find(&Bus::Pci, "0000:03:00.0").unwrap();
    assert_eq!(
        x.sysfs_path.as_deref(),
        Some("/sys/devices/platform/4010000000.pcie/pci0000:00/0000:00:03.0/0000:03:00.0")
    );
    assert_eq!(x.parent.as_deref(), Some("0000:00:03.0"));
    let root_port = m.find(&Bus::Pci, "0000:00:03.0").unwrap();
    assert_eq!(root_port.parent.as_deref(), Some("4010000000.pcie"));
    let mmio = m.find(&Bus::Platform, "a003e00.virtio_mmio").unwrap();
    assert_eq!(
        mmio.attrs.get("of_compatible").map(String::as_str),
        Some("virtio,mmio")
    );
    assert_eq!(
        mmio.attrs.get("of_node").map(String::as_str),
        Some("/virtio_mmio@a003e00")
    );
    // Every compatible, from the uevent (or the node for devices without one).
    let psci = m.find(&Bus::Platform, "psci").unwrap();
    assert_eq!(
        psci.attrs.get("of_compatible").map(String::as_str),
        Some("arm,psci-1.0 arm,psci-0.2 arm,psci")
    );
    // The device tree's suppliers: the PL011's clock and interrupt controller.
    let uart = m.find(&Bus::from_name("amba"), "9000000.pl011").unwrap();
    assert_eq!(suppliers(uart), ["clocks /apb-pclk", "interrupts /intc@8000000"]);
    assert_eq!(mmio.driver_module.as_deref(), Some("virtio_mmio"));
    let on_mmio: Vec<_> = m
        .devices
        .iter()
        .filter(|d| d.bus == Bus::Virtio && d.parent.as_deref().is_some_and(|p| p.ends_with(".virtio_mmio")))
        .map(|d| d.driver.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        on_mmio.len(),
        2,
        "virtio-blk-device and virtio-rng-device: {on_mmio:?}"
    );
    // The saved device tree is there for a reader of /sys/firmware/devicetree.
    let dt = tmp.path().join("sys/firmware/devicetree/base");
    assert_eq!(
        std::fs::read(dt.join("compatible")).unwrap(),
        b"linux,dummy-virt\0"
    );
    let root = tmp.path().display().to_string();
    insta::assert_snapshot!("virt-arm64-sysfs", common::render(&m, &[]).replace(&root, "ROOT"));
}

fn suppliers(d: &kfit_hw::Device) -> Vec<String> {
    d.suppliers
        .iter()
        .map(|s| format!("{} {}", s.prop, s.node))
        .collect()
}

/// The saved device tree as a listing, both as the blob (`.dtb`) and as
/// `dtc -I dtb -O dts` text: the same devices, and for every node the
/// kernel made a device of (drivers.txt's platform entries with an `of:`
/// modalias, the amba devices) the same name and modalias.
#[test]
fn devicetree_listings_give_the_dt_devices() {
    let dtb = machine(&["devicetree.dtb"]);
    let dts = machine(&["devicetree.dts"]);
    // The blob has the nodes in boot order, dtc -s sorts them.
    let key = |m: &Machine| -> BTreeSet<String> {
        m.devices
            .iter()
            .map(|d| {
                format!(
                    "{} {} {:?} {:?} {:?}",
                    d.bus,
                    d.address,
                    d.modalias,
                    d.parent,
                    suppliers(d)
                )
            })
            .collect()
    };
    assert_eq!(key(&dtb), key(&dts));
    let entries = drivers_txt();
    let of_entries: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.bus == "amba" || e.modalias.as_deref().is_some_and(|a| a.starts_with("of:")))
        .collect();
    let mut agree = 0;
    let mut wrong = Vec::new();
    for e in &of_entries {
        match dtb.find(&Bus::from_name(&e.bus), &e.dev) {
            // amba devices match by peripheral id, which only the hardware
            // knows: the listing gives no modalias for them.
            Some(d) if e.bus == "amba" && d.modalias.is_none() => agree += 1,
            Some(d) if d.modalias == e.modalias => agree += 1,
            Some(d) => wrong.push(format!(
                "{} {}: {:?} vs {:?}",
                e.bus, e.dev, d.modalias, e.modalias
            )),
            None => wrong.push(format!("{} {}: not found", e.bus, e.dev)),
        }
    }
    let extra = not_in_drivers_txt(&dtb, &entries);
    eprintln!(
        "virt-arm64 device tree: {} devices, {agree}/{} drivers.txt DT entries with the same name and modalias; not in drivers.txt: {extra:?}",
        dtb.devices.len(),
        of_entries.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(agree, 45);
    // Nodes whose drivers the kernel runs before the driver model
    // (IRQCHIP_DECLARE, CLK_OF_DECLARE: no platform device on the machine),
    // and the GIC's ITS, which the GIC driver reads itself.
    let extra: BTreeSet<&str> = extra.iter().map(String::as_str).collect();
    assert_eq!(
        extra,
        BTreeSet::from([
            "platform 8000000.intc",
            "platform apb-pclk",
            "platform 8080000.its"
        ])
    );
    // Suppliers, from the DT semantics (fw_devlink's bindings).
    let find = |bus: &str, a: &str| dtb.find(&Bus::from_name(bus), a).unwrap();
    assert_eq!(
        suppliers(find("platform", "4010000000.pcie")),
        ["interrupt-map /intc@8000000", "iommu-map /smmuv3@9050000"]
    );
    assert_eq!(suppliers(find("platform", "gpio-keys")), ["gpios /pl061@9030000"]);
    assert_eq!(
        suppliers(find("platform", "c000000.tpm_tis")),
        ["platform bus /platform-bus@c000000"]
    );
    assert_eq!(
        find("platform", "c000000.tpm_tis").parent.as_deref(),
        Some("platform-bus@c000000")
    );
    assert_eq!(
        suppliers(find("amba", "9030000.pl061")),
        ["clocks /apb-pclk", "interrupts /intc@8000000"]
    );
}

/// sys.txt and the listings are one boot: the device tree in sys.txt is the
/// one devicetree.dts was made from (same nodes with a compatible).
#[test]
fn devicetree_dts_matches_saved_tree() {
    let dts = common::read(&format!("{DIR}/devicetree.dts"));
    let in_dts = dts
        .lines()
        .filter(|l| l.trim_start().starts_with("compatible = "))
        .count();
    let sys = common::read(&format!("{DIR}/sys.txt"));
    let in_sys = sys
        .lines()
        .filter(|l| {
            l.starts_with("H sys/firmware/devicetree/base/")
                && l.split(' ').nth(1).is_some_and(|p| p.ends_with("/compatible"))
        })
        .count();
    assert!(in_dts > 10, "{in_dts}");
    assert_eq!(in_dts, in_sys);
}

/// The snapshot format's errors name the line (and nothing is written
/// outside the root).
#[test]
fn snapshot_errors_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let unpack = |t: &str| kfit_testkit::unpack_sysfs_snapshot(t, tmp.path());
    let e = unpack("# c\nF sys/a\n| x\nL sys/../../etc -> /x\n").unwrap_err();
    assert!(e.starts_with("line 4: path sys/../../etc leaves the root"), "{e}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("sys/a")).unwrap(), "x\n");
    let e = unpack("| orphan\n").unwrap_err();
    assert!(e.starts_with("line 1:"), "{e}");
    let e = unpack("H sys/b 0g\n").unwrap_err();
    assert!(e.starts_with("line 1:"), "{e}");
    let e = unpack("X sys/c\n").unwrap_err();
    assert!(e.starts_with("line 1: unknown entry"), "{e}");
    unpack("H sys/d 00ff\nH sys/e \n").unwrap();
    assert_eq!(std::fs::read(tmp.path().join("sys/d")).unwrap(), [0, 0xff]);
    assert_eq!(std::fs::read(tmp.path().join("sys/e")).unwrap(), b"");
}
