//! Snapshot per listing format (tests/data/formats/*.txt, see README.md there),
//! plus exact checks of the facts each format must give.

mod common;
use common::{data, read, render};
use kfit_hw::{read_str, Bus, Format};

fn snap(file: &str, expect: Format) -> kfit_hw::Machine {
    let text = read(&format!("formats/{file}"));
    let fmt = kfit_hw::detect(&text, file).unwrap();
    assert_eq!(fmt, Some(expect), "{file}: detected format");
    common::require_ids();
    let (m, w) = read_str(&text, file).unwrap_or_else(|e| panic!("{e}"));
    // Names pci.ids gives to several devices are reported, never guessed.
    assert!(
        w.iter().all(|w| w.message.contains("ambiguous")),
        "{file}: unexpected warnings {w:?}"
    );
    insta::assert_snapshot!(file.trim_end_matches(".txt"), render(&m, &w));
    m
}

fn pci<'a>(m: &'a kfit_hw::Machine, a: &str) -> &'a kfit_hw::Device {
    m.find(&Bus::Pci, a).unwrap_or_else(|| panic!("no pci {a}"))
}

#[test]
fn lspci_text_forms() {
    for f in [
        "lspci-plain.txt",
        "lspci-k.txt",
        "lspci-v.txt",
        "lspci-vv.txt",
        "lspci-vvv.txt",
    ] {
        let m = snap(f, Format::Lspci);
        assert_eq!(m.devices.len(), 12, "{f}");
        let d = pci(&m, "0000:04:00.0");
        assert_eq!(
            d.class_name.as_deref(),
            Some("Non-Volatile memory controller"),
            "{f}"
        );
        if f != "lspci-plain.txt" {
            assert_eq!(d.driver.as_deref(), Some("nvme"), "{f}");
            assert_eq!(d.modules, ["nvme"], "{f}");
        }
    }
    for f in [
        "lspci-n.txt",
        "lspci-nn.txt",
        "lspci-nk.txt",
        "lspci-nnk.txt",
        "lspci-nnvk.txt",
        "lspci-nnvvvk-xxx.txt",
    ] {
        let m = snap(f, Format::Lspci);
        assert_eq!(m.devices.len(), 12, "{f}");
        let d = pci(&m, "0000:00:14.0");
        assert_eq!(
            (d.vendor, d.device, d.class, d.subclass),
            (Some(0x8086), Some(0x02ed), Some(0x0c), Some(0x03)),
            "{f}"
        );
        let d = pci(&m, "0000:03:00.0");
        assert_eq!(
            d.ids().as_deref(),
            Some("8086:15c0"),
            "{f}: name with [..] inside"
        );
        if f.contains('k') {
            let a = pci(&m, "0000:00:1f.3");
            assert_eq!(a.driver.as_deref(), Some("sof-audio-pci-intel-cnl"));
            assert_eq!(a.modules, ["snd_hda_intel", "snd_sof_pci_intel_cnl"]);
            assert_eq!((a.subvendor, a.subdevice), (Some(0x17aa), Some(0x5089)), "{f}");
        }
    }
    // -v shows prog-if and the bridge bus ranges, which give the parents.
    let m = snap("lspci-nnvvvk-xxx.txt", Format::Lspci);
    assert_eq!(pci(&m, "0000:00:14.0").prog_if, Some(0x30));
    assert_eq!(pci(&m, "0000:04:00.0").parent.as_deref(), Some("0000:03:00.0"));
    assert_eq!(pci(&m, "0000:03:00.0").parent.as_deref(), Some("0000:00:1d.0"));
    assert_eq!(pci(&m, "0000:02:00.0").parent.as_deref(), Some("0000:00:1c.0"));
    let m = snap("vm-lspci-nnkq.txt", Format::Lspci);
    assert_eq!(m.devices.len(), 6);
    snap("vm-lspci-nnvvvk.txt", Format::Lspci);
}

#[test]
fn lspci_machine_forms() {
    for f in ["lspci-mm.txt", "lspci-mmn.txt", "lspci-mmnn.txt"] {
        let m = snap(f, Format::LspciMachine);
        assert_eq!(m.devices.len(), 12, "{f}");
        assert_eq!(pci(&m, "0000:00:14.0").prog_if, Some(0x30), "{f}");
        assert_eq!(pci(&m, "0000:00:00.0").revision, Some(0x0c), "{f}");
        if f != "lspci-mm.txt" {
            let d = pci(&m, "0000:04:00.0");
            assert_eq!(
                d.modalias_or_synth().as_deref(),
                Some("pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02")
            );
        }
    }
    for f in [
        "lspci-vmm.txt",
        "lspci-vmmn.txt",
        "lspci-vmmnk.txt",
        "lspci-vmmnnk.txt",
        "vm-lspci-vmmnk.txt",
    ] {
        let m = snap(f, Format::LspciMachineVerbose);
        if f.contains("nk") && !f.starts_with("vm") {
            let d = pci(&m, "0000:00:1f.3");
            assert_eq!(d.driver.as_deref(), Some("sof-audio-pci-intel-cnl"), "{f}");
            assert_eq!(d.modules, ["snd_hda_intel", "snd_sof_pci_intel_cnl"], "{f}");
            assert_eq!(d.ids().as_deref(), Some("8086:02c8"), "{f}");
        }
    }
    let m = snap("busybox-lspci-mk.txt", Format::LspciMachine);
    assert_eq!(pci(&m, "0000:04:00.0").driver.as_deref(), Some("nvme"));
    assert_eq!(pci(&m, "0000:00:1f.0").driver, None);
}

#[test]
fn lspci_tree_forms() {
    for f in ["lspci-t.txt", "lspci-tv.txt", "lspci-tvnn.txt"] {
        let m = snap(f, Format::LspciTree);
        assert_eq!(m.devices.len(), 12, "{f}");
        assert_eq!(
            pci(&m, "0000:04:00.0").parent.as_deref(),
            Some("0000:03:00.0"),
            "{f}"
        );
        assert_eq!(
            pci(&m, "0000:03:00.0").parent.as_deref(),
            Some("0000:00:1d.0"),
            "{f}"
        );
        assert_eq!(pci(&m, "0000:00:14.0").parent, None, "{f}");
    }
    let m = snap("lspci-tv-domains.txt", Format::LspciTree);
    assert_eq!(pci(&m, "0000:04:00.1").parent.as_deref(), Some("0000:03:00.0"));
    assert_eq!(pci(&m, "0000:00:1f.3").parent, None);
    assert_eq!(pci(&m, "10000:e1:00.0").parent.as_deref(), Some("10000:e0:1d.0"));
    assert_eq!(
        pci(&m, "0000:00:1c.4").attrs.get("secondary").map(String::as_str),
        Some("3b")
    );
}

#[test]
fn busybox() {
    let m = snap("busybox-lspci-k.txt", Format::BusyboxLspci);
    let d = pci(&m, "0000:00:14.0");
    assert_eq!(d.driver.as_deref(), Some("xhci_hcd"));
    assert_eq!(
        d.modalias_or_synth().as_deref(),
        Some("pci:v00008086d000002EDsv*sd*bc0Csc03i*")
    );
}

#[test]
fn lsusb_forms() {
    let m = snap("lsusb-plain.txt", Format::Lsusb);
    assert_eq!(m.devices.len(), 8);
    let m = snap("lsusb-v.txt", Format::LsusbVerbose);
    // Interfaces with alt setting 0 only; exact kernel modaliases.
    let ifs: Vec<_> = m.devices.iter().filter(|d| d.is_usb_interface()).collect();
    assert_eq!(ifs.len(), 5);
    assert_eq!(
        ifs[0].modalias_or_synth().as_deref(),
        Some("usb:v8087p0026d0002dcE0dsc01dp01icE0isc01ip01in00")
    );
    assert_eq!(
        ifs[3].modalias_or_synth().as_deref(),
        Some("usb:v04F2pB6CBd5421dcEFdsc02dp01ic0Eisc02ip00in01")
    );
    assert_eq!(m.kernel_version, None);
    let m = snap("lsusb-t-old.txt", Format::LsusbTree);
    let d = m.find(&Bus::Usb, "1-2.3:1.1").expect("nested hub port path");
    assert_eq!(d.driver.as_deref(), Some("usbhid"));
    assert_eq!(d.class, Some(3));
    assert_eq!(m.parent(d).map(|p| p.address.as_str()), Some("1-2.3"));
    assert_eq!(m.find(&Bus::Usb, "usb2").unwrap().attrs["hcd_driver"], "xhci_hcd");
    let m = snap("lsusb-tvv-new.txt", Format::LsusbTree);
    let d = m.find(&Bus::Usb, "1-2.3:1.0").unwrap();
    assert_eq!(d.ids().as_deref(), Some("046d:c52b"));
    assert!(m.find(&Bus::Usb, "1-2.4").is_some(), "device without interfaces");
    assert_eq!(m.find(&Bus::Usb, "2-2:1.0").unwrap().driver, None, "[none]");
    // lsusb + lsusb -t: merged by bus/device number, real addresses win.
    let (m, _) =
        kfit_hw::read_listings(&[data("formats/lsusb-plain.txt"), data("formats/lsusb-tvv-new.txt")])
            .unwrap();
    assert!(
        m.devices.iter().all(|d| d.has_sysfs_address()),
        "{:#?}",
        m.devices
    );
    assert_eq!(m.devices.iter().filter(|d| !d.is_usb_interface()).count(), 8);
}

#[test]
fn module_lists() {
    let m = snap("lsmod.txt", Format::Lsmod);
    assert_eq!(m.loaded_modules.len(), 17);
    let m = snap("proc-modules.txt", Format::ProcModules);
    assert_eq!(m.loaded_modules.len(), 10);
    assert!(m.loaded_modules.iter().any(|x| x == "nvidia"));
}

#[test]
fn sysfs_listings() {
    let m = snap("modalias-list.txt", Format::ModaliasList);
    assert_eq!(m.devices.len(), 16);
    let hda = m.devices.iter().find(|d| d.bus == Bus::HdAudio).unwrap();
    assert_eq!((hda.vendor, hda.device), (Some(0x10ec), Some(0x0257)));
    let m = snap("uevent-list.txt", Format::UeventList);
    let sd = m.find(&Bus::Platform, "rtsx_pci_sdmmc.0").unwrap();
    assert_eq!(sd.parent.as_deref(), Some("0000:02:00.0"));
    let p = m.parent(sd).unwrap();
    assert_eq!(
        m.ancestors(p)
            .iter()
            .map(|d| d.address.as_str())
            .collect::<Vec<_>>(),
        ["0000:00:1c.0"]
    );
    assert!(m.find(&Bus::Mmc, "mmc0:aaaa").is_some());
    assert!(m.find(&Bus::Acpi, "PNP0C0A:00").is_some());
    assert!(
        m.find(&Bus::Platform, "PNP0C14:00").is_some(),
        "acpi alias outside LNXSYSTM = platform"
    );
    let m = snap("vm-grep-pci-uevent.txt", Format::UeventList);
    let d = pci(&m, "0000:00:01.0");
    assert_eq!(d.driver.as_deref(), Some("virtio-pci"));
    assert_eq!(
        (d.class, d.subclass, d.prog_if),
        (Some(0xff), Some(0xff), Some(0))
    );
    snap("vm-grep-modalias.txt", Format::UeventList);
}

#[test]
fn q35_listings() {
    for (f, fmt) in [
        ("lspci-k.txt", Format::Lspci),
        ("lspci-nk.txt", Format::Lspci),
        ("lspci-nnk.txt", Format::Lspci),
        ("lsusb.txt", Format::Lsusb),
        ("lsusb-t.txt", Format::LsusbTree),
        ("modalias.txt", Format::ModaliasList),
        ("modalias-uevent.txt", Format::UeventList),
        ("drivers.txt", Format::DriversTxt),
        ("modules-loaded.txt", Format::ModuleList),
    ] {
        let text = read(&format!("q35/{f}"));
        assert_eq!(kfit_hw::detect(&text, f).unwrap(), Some(fmt), "{f}");
        common::require_ids();
        let (m, w) = read_str(&text, f).unwrap();
        assert!(w.iter().all(|w| w.message.contains("ambiguous")), "{f}: {w:?}");
        insta::assert_snapshot!(format!("q35-{}", f.trim_end_matches(".txt")), render(&m, &w));
    }
}

#[test]
fn kernel_logs() {
    for f in ["journalctl-k.txt", "dmesg-T.txt"] {
        let m = snap(f, Format::Dmesg);
        assert!(m.kernel_version.is_some(), "{f}");
        assert!(!m.firmware_seen.is_empty(), "{f}");
    }
    let m = snap("journalctl-k.txt", Format::Dmesg);
    let fw: Vec<String> = m
        .firmware_seen
        .iter()
        .map(|f| format!("{} {} {:?} {}", f.name, f.loaded, f.driver, f.source))
        .collect();
    assert_eq!(
        fw,
        [
            "i915/kbl_dmc_ver1_04.bin true Some(\"i915\") journalctl-k.txt:9",
            "iwlwifi-QuZ-a0-hr-b0-89.ucode false Some(\"iwlwifi\") journalctl-k.txt:11",
            "iwlwifi-QuZ-a0-hr-b0-77.ucode true Some(\"iwlwifi\") journalctl-k.txt:12",
            "intel/ibt-19-0-4.sfi true None journalctl-k.txt:15",
            "rtl_nic/rtl8168h-2.fw false Some(\"r8169\") journalctl-k.txt:19",
        ]
    );
    assert_eq!(pci(&m, "0000:00:1c.0").attrs["secondary"], "02");
    assert_eq!(pci(&m, "0000:02:00.0").parent.as_deref(), Some("0000:00:1c.0"));
    let cam = m.find(&Bus::Usb, "1-4").unwrap();
    assert_eq!(
        (cam.vendor, cam.device, cam.revision),
        (Some(0x04f2), Some(0xb6cb), Some(0x5421))
    );
    let m = snap("dmesg-T.txt", Format::Dmesg);
    assert_eq!(
        m.find(&Bus::Usb, "1-4:1.0").unwrap().driver.as_deref(),
        Some("uvcvideo")
    );
    assert_eq!(
        m.find(&Bus::HdAudio, "hdaudioC1D0").unwrap().driver.as_deref(),
        Some("snd_hda_codec_realtek")
    );
}

/// `/proc/bus/pci/devices` (drivers/pci/proc.c): ids and bound driver
/// names, no class; the same devices as lspci -nnk of that machine.
#[test]
fn proc_bus_pci_devices() {
    let m = snap("proc-bus-pci-devices.txt", Format::ProcBusPci);
    assert_eq!(m.devices.len(), 9);
    let d = pci(&m, "0000:00:1f.3");
    assert_eq!(d.ids().as_deref(), Some("8086:02c8"));
    assert_eq!(d.driver.as_deref(), Some("sof-audio-pci-intel-cnl"));
    assert_eq!(pci(&m, "0000:04:00.0").driver.as_deref(), Some("nvme"));
    assert_eq!(pci(&m, "0000:02:00.0").driver, None);
    // Merged with lspci -nnk of the same machine: one device per slot.
    let (both, _) = kfit_hw::read_listings(&[
        data("formats/lspci-nnk.txt"),
        data("formats/proc-bus-pci-devices.txt"),
    ])
    .unwrap();
    assert_eq!(both.devices.len(), 12);
}

/// hwinfo: each entry's own modalias, sysfs name, driver and module;
/// entries without a bus device (BIOS, monitor) and the debug block skipped.
#[test]
fn hwinfo() {
    let m = snap("hwinfo.txt", Format::Hwinfo);
    assert_eq!(m.devices.len(), 6, "{:#?}", m.devices);
    let d = pci(&m, "0000:00:1f.3");
    assert_eq!(
        d.modalias.as_deref(),
        Some("pci:v00008086d000002C8sv000017AAsd00005089bc04sc03i80")
    );
    assert_eq!(d.driver.as_deref(), Some("sof-audio-pci-intel-cnl"));
    assert_eq!(d.driver_module.as_deref(), Some("snd_sof_pci_intel_cnl"));
    // No modalias (no driver bound): the ids of its Vendor/Device lines.
    let r = pci(&m, "0000:02:00.0");
    assert_eq!(r.ids().as_deref(), Some("10ec:525a"));
    assert_eq!(
        r.modalias_or_synth().as_deref(),
        Some("pci:v000010ECd0000525Asv000017AAsd00005089bcFFsc00i*")
    );
    let cam = m.find(&Bus::Usb, "1-4:1.0").unwrap();
    assert_eq!(cam.class, Some(0x0e));
    assert_eq!(cam.driver, None);
    let bt = m.find(&Bus::Usb, "1-10:1.0").unwrap();
    assert_eq!(bt.driver.as_deref(), Some("btusb"));
}

/// Several commands' output pasted into one file (with their prompts):
/// each part read as its own listing, the same as separate files.
#[test]
fn several_listings_in_one_file() {
    common::require_ids();
    let text = read("formats/pasted-several.txt");
    let (m, w) = read_str(&text, "pasted-several.txt").unwrap_or_else(|e| panic!("{e}"));
    assert!(w.is_empty(), "{w:?}");
    let formats: Vec<&str> = m.inputs.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(formats, ["lspci", "lsusb", "lsusb -t", "lsmod"]);
    assert_eq!(m.loaded_modules.len(), 5);
    let hid = m.find(&Bus::Usb, "1-2.3:1.1").unwrap();
    assert_eq!(hid.ids().as_deref(), Some("046d:c52b"));
    assert_eq!(hid.driver.as_deref(), Some("usbhid"));
    assert_eq!(pci(&m, "0000:00:14.3").driver.as_deref(), Some("iwlwifi"));
    insta::assert_snapshot!("pasted-several", common::render(&m, &w));
}

/// inxi -Fxxxz: the device items of its sections, with driver, bus-ID,
/// chip-ID and class-ID; other items (IF, Display, API) are not devices.
#[test]
fn inxi() {
    let m = snap("inxi-Fxxxz.txt", Format::Inxi);
    assert_eq!(m.devices.len(), 6, "{:#?}", m.devices);
    let a = pci(&m, "0000:00:1f.3");
    assert_eq!(a.driver.as_deref(), Some("sof-audio-pci-intel-cnl"));
    assert_eq!(a.modules, ["snd_hda_intel", "snd_sof_pci_intel_cnl"]);
    assert_eq!(
        (a.vendor, a.device, a.class, a.subclass),
        (Some(0x8086), Some(0x02c8), Some(4), Some(1))
    );
    let e = m.find(&Bus::Usb, "2-2.1").unwrap();
    assert_eq!(
        (e.vendor, e.device, e.devnum),
        (Some(0x0bda), Some(0x8153), Some(3))
    );
    assert_eq!(e.driver.as_deref(), Some("r8152"));
    // Merged with lspci -nnk of the same laptop: one device per slot.
    let (both, _) =
        kfit_hw::read_listings(&[data("formats/lspci-nnk.txt"), data("formats/inxi-Fxxxz.txt")]).unwrap();
    assert_eq!(both.devices.iter().filter(|d| d.bus == Bus::Pci).count(), 12);
}

/// lshw: each node's bus address, bound driver, and ids (`-numeric`) or
/// names (through pci.ids like plain lspci); nodes without a PCI/USB
/// address (memory, the core) are skipped.
#[test]
fn lshw() {
    let text = read("formats/lshw.txt");
    assert_eq!(kfit_hw::detect(&text, "lshw.txt").unwrap(), Some(Format::Lshw));
    common::require_ids();
    let (m, w) = read_str(&text, "lshw.txt").unwrap_or_else(|e| panic!("{e}"));
    // lshw names an NVMe function by the drive's model: not in pci.ids,
    // said so (its driver is known all the same).
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.contains("SAMSUNG MZVLB512HBJQ-000L7"), "{w:?}");
    insta::assert_snapshot!("lshw", render(&m, &w));
    assert_eq!(pci(&m, "0000:04:00.0").driver.as_deref(), Some("nvme"));
    assert_eq!(m.devices.len(), 9, "{:#?}", m.devices);
    let w = pci(&m, "0000:00:14.3");
    assert_eq!(w.driver.as_deref(), Some("iwlwifi"));
    assert_eq!(w.ids().as_deref(), Some("8086:02f0"), "from pci.ids");
    assert_eq!(pci(&m, "0000:00:1f.3").ids().as_deref(), Some("8086:02c8"));
    let cam = m.find(&Bus::Usb, "1-4").unwrap();
    assert_eq!(cam.driver.as_deref(), Some("uvcvideo"));
    assert_eq!(
        m.find(&Bus::Usb, "1-10").unwrap().driver.as_deref(),
        Some("btusb")
    );
}
