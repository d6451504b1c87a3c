//! The seed listing (busybox `lspci -k`): 31 devices with class, vendor:device
//! and driver. The expected values are read from the file with a plain split,
//! independently of the parser.

mod common;
use common::read;
use kfit_hw::{read_str, Bus, Format};

#[test]
fn seed_has_31_devices_with_class_ids_driver() {
    let text = read("seed/seed-lspci-k.txt");
    assert_eq!(
        kfit_hw::detect(&text, "seed").unwrap(),
        Some(Format::BusyboxLspci)
    );
    let (m, w) = read_str(&text, "seed-lspci-k.txt").unwrap();
    assert!(w.is_empty());
    let mut checked = 0;
    let mut with_driver = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let addr = format!("0000:{}", f[0]);
        let class = u32::from_str_radix(f[2].trim_end_matches(':'), 16).unwrap();
        let (v, d) = f[3].split_once(':').unwrap();
        let d_ = m
            .find(&Bus::Pci, &addr)
            .unwrap_or_else(|| panic!("{addr} missing"));
        assert_eq!(d_.class, Some(class >> 8), "{addr}");
        assert_eq!(d_.subclass, Some(class & 0xff), "{addr}");
        assert_eq!(d_.vendor, Some(u32::from_str_radix(v, 16).unwrap()), "{addr}");
        assert_eq!(d_.device, Some(u32::from_str_radix(d, 16).unwrap()), "{addr}");
        assert_eq!(d_.driver.as_deref(), f.get(4).copied(), "{addr}");
        // The synthesized alias carries what busybox knows, `*` for the rest.
        let alias = d_.modalias_or_synth().unwrap();
        assert_eq!(
            alias,
            format!(
                "pci:v{:08X}d{:08X}sv*sd*bc{:02X}sc{:02X}i*",
                d_.vendor.unwrap(),
                d_.device.unwrap(),
                class >> 8,
                class & 0xff
            )
        );
        with_driver += usize::from(f.len() == 5);
        checked += 1;
    }
    assert_eq!(checked, 31);
    assert_eq!(m.devices.len(), 31);
    eprintln!("seed: {checked}/31 devices with class and vendor:device, {with_driver} with a driver");
    // Named examples from the brief.
    let gpu = m.find(&Bus::Pci, "0000:03:00.0").unwrap();
    assert_eq!(
        gpu.modalias_or_synth().as_deref(),
        Some("pci:v00001002d00001638sv*sd*bc03sc00i*")
    );
    assert_eq!(gpu.driver.as_deref(), Some("amdgpu"));
    assert_eq!(
        m.find(&Bus::Pci, "0000:03:00.3").unwrap().driver.as_deref(),
        Some("xhci_hcd")
    );
}
