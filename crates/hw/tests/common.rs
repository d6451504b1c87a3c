//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use kfit_hw::{Bus, Device, Machine, Warning};
use std::path::PathBuf;

pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

pub fn read(rel: &str) -> String {
    std::fs::read_to_string(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn hex(v: Option<u32>, w: usize) -> String {
    v.map(|v| format!("{v:0w$x}")).unwrap_or_else(|| "?".into())
}

/// One line per device, stable and readable for snapshots.
pub fn render_device(d: &Device) -> String {
    let mut s = format!(
        "{} {}",
        d.bus,
        if d.address.is_empty() { "-" } else { &d.address }
    );
    if d.vendor.is_some() || d.device.is_some() {
        s += &format!(" id={}:{}", hex(d.vendor, 4), hex(d.device, 4));
    }
    if d.subvendor.is_some() || d.subdevice.is_some() {
        s += &format!(" sub={}:{}", hex(d.subvendor, 4), hex(d.subdevice, 4));
    }
    if d.class.is_some() {
        s += &format!(
            " class={}{}{}",
            hex(d.class, 2),
            hex(d.subclass, 2),
            hex(d.prog_if, 2)
        );
    }
    if let Some(r) = d.revision {
        s += &format!(" rev={r:02x}");
    }
    if let Some(x) = &d.driver {
        s += &format!(" driver={x:?}");
    }
    if let Some(x) = &d.driver_module {
        s += &format!(" driver_module={x}");
    }
    if !d.modules.is_empty() {
        s += &format!(" modules={}", d.modules.join(","));
    }
    if let Some(p) = &d.parent {
        s += &format!(" parent={p}");
    }
    if let (Some(b), Some(n)) = (d.busnum, d.devnum) {
        s += &format!(" usb={b}/{n}");
    }
    if let Some(m) = d.modalias_or_synth() {
        s += &format!(" alias={m}");
    }
    if let Some(n) = &d.name {
        s += &format!(" name={n:?}");
    }
    if let Some(n) = &d.class_name {
        s += &format!(" class_name={n:?}");
    }
    for (k, v) in &d.attrs {
        s += &format!(" {k}={v:?}");
    }
    for x in &d.suppliers {
        s += &format!(" supplier[{}]={}", x.prop, x.node);
    }
    s
}

pub fn render(m: &Machine, w: &[Warning]) -> String {
    let mut out = String::new();
    for (name, f) in &m.inputs {
        // Relative to tests/data: the snapshot must not depend on the checkout's path.
        let name = name.rsplit_once("tests/data/").map_or(name.as_str(), |x| x.1);
        out += &format!("input {name}: {f}\n");
    }
    if let Some(k) = &m.kernel_version {
        out += &format!("kernel {k}\n");
    }
    for x in w {
        out += &format!("warning {x}\n");
    }
    out += &format!("{} devices\n", m.devices.len());
    for d in &m.devices {
        out += &render_device(d);
        out.push('\n');
    }
    if !m.loaded_modules.is_empty() {
        out += &format!("loaded: {}\n", m.loaded_modules.join(" "));
    }
    for f in &m.firmware_seen {
        out += &format!(
            "firmware {} {} driver={} device={} at {}\n",
            f.name,
            if f.loaded { "loaded" } else { "failed" },
            f.driver.as_deref().unwrap_or("-"),
            f.device.as_deref().unwrap_or("-"),
            f.source
        );
    }
    out
}

/// The name tests need Debian's pci.ids and usb.ids (scripts/fetch-kernels.sh
/// installs them): without them names stay names and snapshots differ.
pub fn require_ids() {
    for p in ["/usr/share/misc/pci.ids", "/usr/share/misc/usb.ids"] {
        assert!(
            std::path::Path::new(p).exists(),
            "{p} missing: apt-get install pci.ids usb.ids (scripts/fetch-kernels.sh does)"
        );
    }
}

/// One line of a reference machine's `drivers.txt` (collect.sh): bus,
/// device, driver, module, modalias; `-` (and `-nolink-`) is none.
pub struct DriversEntry {
    pub bus: String,
    pub dev: String,
    pub driver: Option<String>,
    pub module: Option<String>,
    pub modalias: Option<String>,
}

/// The entries of the `drivers.txt` at `rel` (under tests/data).
pub fn drivers_txt(rel: &str) -> Vec<DriversEntry> {
    read(rel)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "{l}");
            let opt = |s: &str| (s != "-" && s != "-nolink-").then(|| s.to_string());
            DriversEntry {
                bus: f[0].into(),
                dev: f[1].into(),
                driver: opt(f[2]),
                module: opt(f[3]),
                modalias: opt(f[4]),
            }
        })
        .collect()
}

/// The `drivers.txt` entries listings other than drivers.txt can know
/// (devices with a modalias, from modalias and uevent lists; PCI, from
/// lspci; USB devices and interfaces, from lsusb -t): how many there are,
/// and those `m` has not found (same bus and address, and same modalias
/// when the entry has one), as "bus dev".
pub fn knowable_not_found(m: &Machine, entries: &[DriversEntry]) -> (usize, Vec<String>) {
    let knowable: Vec<&DriversEntry> = entries
        .iter()
        .filter(|e| e.modalias.is_some() || e.bus == "pci" || e.bus == "usb")
        .collect();
    let found = |e: &DriversEntry| {
        m.devices.iter().any(|d| {
            d.bus == Bus::from_name(&e.bus)
                && d.address == e.dev
                && (e.modalias.is_none() || d.modalias == e.modalias)
        })
    };
    let missing = knowable
        .iter()
        .filter(|e| !found(e))
        .map(|e| format!("{} {}", e.bus, e.dev))
        .collect();
    (knowable.len(), missing)
}
