//! The live reader: a fake sysfs tree in a tempdir, and the running machine.

use kfit_hw::{read_sysfs, Bus};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

fn write(p: &Path, s: &str) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, s).unwrap();
}

/// Build root/sys like the kernel does: /sys/devices/... real dirs, /sys/bus/X/devices/N
/// symlinks, driver links into /sys/bus/X/drivers/D, whose `module` links to /sys/module/M.
fn fake_tree(root: &Path) {
    let dev = root.join("sys/devices/pci0000:00");
    let xhci = dev.join("0000:00:14.0");
    write(&xhci.join("vendor"), "0x8086\n");
    write(&xhci.join("device"), "0x02ed\n");
    write(&xhci.join("subsystem_vendor"), "0x17aa\n");
    write(&xhci.join("subsystem_device"), "0x5089\n");
    write(&xhci.join("class"), "0x0c0330\n");
    write(&xhci.join("revision"), "0x00\n");
    write(
        &xhci.join("modalias"),
        "pci:v00008086d000002EDsv000017AAsd00005089bc0Csc03i30\n",
    );
    write(
        &xhci.join("uevent"),
        "DRIVER=xhci_hcd\nPCI_CLASS=C0330\nPCI_ID=8086:02ED\n",
    );
    let bridge = dev.join("0000:00:1c.0");
    write(&bridge.join("vendor"), "0x8086\n");
    write(&bridge.join("device"), "0x02bc\n");
    write(&bridge.join("class"), "0x060400\n");
    write(&bridge.join("uevent"), "DRIVER=pcieport\n");
    let nvme = bridge.join("0000:02:00.0");
    write(&nvme.join("vendor"), "0x144d\n");
    write(&nvme.join("device"), "0xa808\n");
    write(&nvme.join("class"), "0x010802\n");
    write(
        &nvme.join("modalias"),
        "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02\n",
    );
    write(&nvme.join("uevent"), "DRIVER=nvme\n");
    let usb1 = xhci.join("usb1");
    write(&usb1.join("idVendor"), "1d6b\n");
    write(&usb1.join("idProduct"), "0002\n");
    write(&usb1.join("bDeviceClass"), "09\n");
    write(&usb1.join("busnum"), "1\n");
    write(&usb1.join("devnum"), "1\n");
    let bt = usb1.join("1-10");
    write(&bt.join("idVendor"), "8087\n");
    write(&bt.join("idProduct"), "0026\n");
    write(&bt.join("bcdDevice"), "0002\n");
    write(&bt.join("product"), "AX201 Bluetooth\n");
    write(&bt.join("busnum"), "1\n");
    write(&bt.join("devnum"), "3\n");
    let bti = bt.join("1-10:1.0");
    write(
        &bti.join("modalias"),
        "usb:v8087p0026d0002dcE0dsc01dp01icE0isc01ip01in00\n",
    );
    // mmc: no modalias file, MODALIAS only in uevent; no driver->module link.
    let mmc = nvme.join("mmc_host/mmc0/mmc0:aaaa");
    write(&mmc.join("uevent"), "DRIVER=mmcblk\nMODALIAS=mmc:block\n");
    // drivers and modules
    for (bus, drv, module) in [
        ("pci", "xhci_hcd", Some("xhci_pci")),
        ("pci", "pcieport", None),
        ("pci", "nvme", Some("nvme")),
        ("usb", "btusb", Some("btusb")),
        ("mmc", "mmcblk", None),
    ] {
        let d = root.join(format!("sys/bus/{bus}/drivers/{drv}"));
        fs::create_dir_all(&d).unwrap();
        if let Some(m) = module {
            fs::create_dir_all(root.join(format!("sys/module/{m}"))).unwrap();
            symlink(format!("../../../../module/{m}"), d.join("module")).unwrap();
        }
    }
    let link = |bus: &str, name: &str, target: &Path, drv: Option<&str>| {
        let dir = root.join(format!("sys/bus/{bus}/devices"));
        fs::create_dir_all(&dir).unwrap();
        let rel = Path::new("../../..").join(target.strip_prefix(root.join("sys")).unwrap());
        symlink(&rel, dir.join(name)).unwrap();
        if let Some(d) = drv {
            let depth = target
                .strip_prefix(root.join("sys"))
                .unwrap()
                .components()
                .count();
            let up = "../".repeat(depth);
            symlink(format!("{up}bus/{bus}/drivers/{d}"), target.join("driver")).unwrap();
        }
    };
    link("pci", "0000:00:14.0", &xhci, Some("xhci_hcd"));
    link("pci", "0000:00:1c.0", &bridge, Some("pcieport"));
    link("pci", "0000:02:00.0", &nvme, Some("nvme"));
    link("usb", "usb1", &usb1, None);
    link("usb", "1-10", &bt, None);
    link("usb", "1-10:1.0", &bti, Some("btusb"));
    link("mmc", "mmc0:aaaa", &mmc, Some("mmcblk"));
    fs::create_dir_all(root.join("sys/bus/empty")).unwrap();
    write(
        &root.join("proc/modules"),
        "btusb 69632 0 - Live 0x0000000000000000\nnvme 57344 3 - Live 0x0000000000000000\n",
    );
    write(&root.join("proc/sys/kernel/osrelease"), "6.12.0-test\n");
}

#[test]
fn fake_sysfs_tree() {
    let tmp = tempfile::tempdir().unwrap();
    fake_tree(tmp.path());
    let m = read_sysfs(tmp.path()).unwrap();
    assert_eq!(m.devices.len(), 7, "{:#?}", m.devices);
    let x = m.find(&Bus::Pci, "0000:00:14.0").unwrap();
    assert_eq!(x.driver.as_deref(), Some("xhci_hcd"));
    assert_eq!(x.driver_module.as_deref(), Some("xhci_pci"));
    assert_eq!(
        x.sysfs_path.as_deref(),
        Some("/sys/devices/pci0000:00/0000:00:14.0")
    );
    assert_eq!(
        (x.class, x.subclass, x.prog_if),
        (Some(0x0c), Some(0x03), Some(0x30))
    );
    let n = m.find(&Bus::Pci, "0000:02:00.0").unwrap();
    assert_eq!(n.parent.as_deref(), Some("0000:00:1c.0"));
    assert_eq!(n.driver_module.as_deref(), Some("nvme"));
    let b = m.find(&Bus::Pci, "0000:00:1c.0").unwrap();
    assert_eq!(b.driver_module, None, "built in: no module link");
    let i = m.find(&Bus::Usb, "1-10:1.0").unwrap();
    assert_eq!(i.driver.as_deref(), Some("btusb"));
    assert_eq!(i.parent.as_deref(), Some("1-10"));
    let chain: Vec<_> = m.ancestors(i).iter().map(|d| d.address.as_str()).collect();
    assert_eq!(chain, ["1-10", "usb1", "0000:00:14.0"]);
    let bt = m.find(&Bus::Usb, "1-10").unwrap();
    assert_eq!(
        (bt.vendor, bt.device, bt.busnum, bt.devnum),
        (Some(0x8087), Some(0x26), Some(1), Some(3))
    );
    let mmc = m.find(&Bus::Mmc, "mmc0:aaaa").unwrap();
    assert_eq!(mmc.modalias.as_deref(), Some("mmc:block"));
    assert_eq!(mmc.driver.as_deref(), Some("mmcblk"));
    assert_eq!(mmc.parent.as_deref(), Some("0000:02:00.0"));
    assert_eq!(m.loaded_modules, ["btusb", "nvme"]);
    assert_eq!(m.kernel_version.as_deref(), Some("6.12.0-test"));
    assert!(m.firmware_seen.is_empty());
}

/// The kernel log (`dev/kmsg` records) adds the firmware drivers asked for.
#[test]
fn kmsg_gives_firmware_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    fake_tree(tmp.path());
    write(
        &tmp.path().join("dev/kmsg"),
        "6,812,5140900,-;btusb 1-10:1.0: hello\n\
         3,813,5141000,-;Bluetooth: hci0: Failed to load Intel firmware file intel/ibt-19-0-4.sfi (-2)\n\
         6,814,5141100,-;nvme 0000:02:00.0: firmware: direct-loading firmware nvme/x.bin\n \
         SUBSYSTEM=pci\n DEVICE=+pci:0000:02:00.0\n",
    );
    let m = read_sysfs(tmp.path()).unwrap();
    let fw: Vec<(&str, bool, Option<&str>)> = m
        .firmware_seen
        .iter()
        .map(|f| (f.name.as_str(), f.loaded, f.device.as_deref()))
        .collect();
    assert_eq!(
        fw,
        [
            ("intel/ibt-19-0-4.sfi", false, None),
            ("nvme/x.bin", true, Some("0000:02:00.0"))
        ]
    );
    // The log's devices do not add to or change the live ones.
    assert_eq!(m.devices.len(), 7);
    assert_eq!(
        m.find(&Bus::Usb, "1-10:1.0").unwrap().driver.as_deref(),
        Some("btusb")
    );
}

#[test]
fn missing_sysfs_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let e = read_sysfs(tmp.path()).unwrap_err();
    assert!(e.to_string().contains("cannot read sysfs"), "{e}");
}

/// The running machine: every /sys/bus/pci/devices entry appears.
#[test]
fn live_sysfs_has_every_pci_device() {
    let Ok(rd) = fs::read_dir("/sys/bus/pci/devices") else {
        eprintln!("no /sys/bus/pci/devices on this machine: skipped");
        return;
    };
    let want: Vec<String> = rd
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let m = read_sysfs(Path::new("/")).unwrap();
    eprintln!("live kernel log: {} firmware entries", m.firmware_seen.len());
    let missing: Vec<&String> = want.iter().filter(|a| m.find(&Bus::Pci, a).is_none()).collect();
    eprintln!(
        "live /sys: {}/{} pci devices found, {} devices on {} buses",
        want.len() - missing.len(),
        want.len(),
        m.devices.len(),
        m.devices
            .iter()
            .map(|d| d.bus.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    assert!(missing.is_empty(), "{missing:?}");
    for a in &want {
        let d = m.find(&Bus::Pci, a).unwrap();
        assert!(
            d.vendor.is_some() && d.device.is_some() && d.class.is_some(),
            "{a}: {d:?}"
        );
        assert!(
            d.modalias.as_deref().is_some_and(|x| x.starts_with("pci:v")),
            "{a}"
        );
    }
}
