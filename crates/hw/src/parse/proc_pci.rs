//! `/proc/bus/pci/devices` and `hwinfo`: two more places users copy their
//! PCI/USB devices from.
//!
//! `/proc/bus/pci/devices` (drivers/pci/proc.c `show_device`): per device
//! `"%02x%02x\t%04x%04x\t%x"` (bus, devfn, vendor, device, irq), seven
//! resource starts and seven sizes (`"\t%16llx"`), then `"\t"` and the bound
//! driver's name (empty when none). No domain (0 is assumed), no class.
//!
//! `hwinfo` (hwinfo's hd.c dump): entries `NN: BUS xx.x: CCCC Class name`
//! with indented `Key: value` lines; read are `SysFS ID` (the sysfs path),
//! `SysFS BusID`, `Module Alias` (the device's own modalias), `Vendor`,
//! `Device`, `SubVendor`, `SubDevice` (`pci 0x8086 "Intel Corporation"`),
//! `Driver` and `Driver Modules`. Entries with neither a sysfs name nor a
//! modalias (`None 00.0: 10105 BIOS`, monitors) are skipped; the debug
//! block plain `hwinfo` prints first is skipped.

use super::{is_noise, numbered, sysfs_lists, Parsed};
use crate::model::{Bus, Device};

/// One row of `/proc/bus/pci/devices`: (bus, devfn, vendor, device, driver).
pub(crate) fn proc_pci_line(line: &str) -> Option<(u32, u32, u32, u32, Option<&str>)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if !(f.len() == 17 || f.len() == 18) {
        return None;
    }
    let hex = |s: &str, n: usize| {
        (s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(s, 16).ok())
            .flatten()
    };
    let bdf = hex(f[0], 4)?;
    let vd = hex(f[1], 8)?;
    if !f[2..17]
        .iter()
        .all(|x| !x.is_empty() && x.len() <= 16 && x.bytes().all(|c| c.is_ascii_hexdigit()))
    {
        return None;
    }
    // The driver name (kernel struct pci_driver.name: no spaces).
    let drv = f.get(17).copied();
    Some((bdf >> 8, bdf & 0xff, vd >> 16, vd & 0xffff, drv))
}

pub(crate) fn parse_proc_pci(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let Some((bus, devfn, v, dv, drv)) = proc_pci_line(line) else {
            out.bad_line(no, line);
            continue;
        };
        let addr = format!("0000:{bus:02x}:{:02x}.{}", devfn >> 3, devfn & 7);
        let mut d = Device::new(Bus::Pci, addr);
        d.vendor = Some(v);
        d.device = Some(dv);
        d.driver = drv.map(str::to_string);
        d.sources.push(format!("{src}:{no}"));
        out.devices.push(d);
    }
    out
}

/// An hwinfo entry line: `NN: BUS xx.x: CCCC Name` → the bus word.
pub(crate) fn hwinfo_entry(line: &str) -> Option<&str> {
    let (n, rest) = line.split_once(": ")?;
    if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (head, class) = rest.split_once(": ")?;
    let (bus, pos) = head.rsplit_once(' ')?;
    let (a, b) = pos.split_once('.')?;
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_hexdigit());
    let code = class.split(' ').next()?;
    (hex(a) && hex(b) && hex(code) && (4..=5).contains(&code.len()) && !bus.is_empty()).then_some(bus)
}

/// The header of the debug block plain `hwinfo` prints before its entries.
pub(crate) fn is_hwinfo_debug_start(line: &str) -> bool {
    line.trim() == "============ start debug info ============"
}

/// `pci 0x8086 "Intel Corporation"` → 0x8086 (hwinfo's id fields; `usb`
/// ids too; `pnp`/`special` ids are not bus ids).
fn hwinfo_id(v: &str) -> Option<u32> {
    let mut w = v.split_whitespace();
    let kind = w.next()?;
    if !matches!(kind, "pci" | "usb") {
        return None;
    }
    let x = w.next()?.strip_prefix("0x")?;
    u32::from_str_radix(x, 16).ok().filter(|x| *x <= 0xffff)
}

/// The first `"quoted"` word of an hwinfo value.
fn quoted(v: &str) -> Option<&str> {
    let r = v.trim().strip_prefix('"')?;
    let (q, _) = r.split_once('"')?;
    (!q.is_empty()).then_some(q)
}

#[derive(Default)]
struct Entry {
    line: usize,
    sysfs_id: Option<String>,
    bus_id: Option<String>,
    modalias: Option<String>,
    ids: [Option<u32>; 4],
    /// `cccc` of a `PCI` entry line: the PCI base class and subclass.
    pci_class: Option<u32>,
    driver: Option<String>,
    modules: Vec<String>,
}

fn finish_entry(e: Entry, src: &str, out: &mut Parsed) {
    let path = e.sysfs_id.as_deref().map(|p| {
        if p.starts_with("/sys/") {
            p.to_string()
        } else {
            format!("/sys{p}")
        }
    });
    let name = path
        .as_deref()
        .and_then(|p| p.rsplit('/').next())
        .map(str::to_string)
        .or(e.bus_id.clone())
        .filter(|n| !n.is_empty());
    let Some(name) = name.or_else(|| e.modalias.as_ref().map(|_| String::new())) else {
        return;
    };
    let mut d = sysfs_lists::new_dev(None, name, path, e.modalias.as_deref());
    if !matches!(d.bus, Bus::Pci | Bus::Usb) && e.modalias.is_none() {
        // A block device, an input node, a monitor: not a bus device.
        return;
    }
    let [v, dv, sv, sd] = e.ids;
    if d.modalias.is_none() && d.bus == Bus::Pci {
        d.vendor = v;
        d.device = dv;
        d.subvendor = sv;
        d.subdevice = sd;
        if let Some(c) = e.pci_class {
            d.class = Some(c >> 8);
            d.subclass = Some(c & 0xff);
        }
    }
    d.driver = e.driver;
    if d.driver.is_some() && e.modules.len() == 1 {
        d.driver_module = e.modules.into_iter().next();
    } else {
        d.modules = e.modules;
    }
    d.sources.push(format!("{src}:{}", e.line));
    out.devices.push(d);
}

pub(crate) fn parse_hwinfo(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut cur: Option<Entry> = None;
    let mut debug = false;
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        if is_hwinfo_debug_start(line) {
            debug = true;
            continue;
        }
        if debug {
            debug = line.trim() != "============ end debug info ============";
            continue;
        }
        out.meaningful += 1;
        if let Some(bus) = hwinfo_entry(line) {
            if let Some(e) = cur.take() {
                finish_entry(e, src, &mut out);
            }
            let code = line.splitn(3, ": ").nth(2).and_then(|r| r.split(' ').next());
            cur = Some(Entry {
                line: no,
                pci_class: code
                    .filter(|c| bus == "PCI" && c.len() == 4)
                    .and_then(|c| u32::from_str_radix(c, 16).ok()),
                ..Entry::default()
            });
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            out.bad_line(no, line);
            continue;
        }
        let Some(e) = cur.as_mut() else {
            out.bad_line(no, line);
            continue;
        };
        let Some((k, v)) = line.trim().split_once(':') else {
            continue; // `[Created at pci.386]` and other notes
        };
        let v = v.trim();
        match k {
            "SysFS ID" if v.starts_with('/') => e.sysfs_id = Some(v.to_string()),
            "SysFS BusID" if !v.is_empty() => e.bus_id = Some(v.to_string()),
            "Module Alias" => {
                if let Some(m) = quoted(v).filter(|m| sysfs_lists::is_modalias(m)) {
                    e.modalias = Some(m.to_string());
                }
            }
            "Vendor" => e.ids[0] = hwinfo_id(v),
            "Device" => e.ids[1] = hwinfo_id(v),
            "SubVendor" => e.ids[2] = hwinfo_id(v),
            "SubDevice" => e.ids[3] = hwinfo_id(v),
            "Driver" => e.driver = quoted(v).map(str::to_string),
            "Driver Modules" => {
                e.modules = v
                    .split('"')
                    .map(str::trim)
                    .filter(|m| !m.is_empty() && super::modules::is_module_name(m))
                    .map(str::to_string)
                    .collect();
            }
            _ => {}
        }
    }
    if let Some(e) = cur.take() {
        finish_entry(e, src, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_bus_pci_devices_rows() {
        let t = "0010\t10ec8168\t24\t            d001\t               0\t        f7204004\t               0\t        f7200004\t               0\t               0\t             100\t               0\t            1000\t               0\t            4000\t               0\t               0\tr8169\n\
                 00f8\t1af41000\t0\t            c001\t               0\t               0\t               0\t               0\t               0\t               0\t              20\t               0\t               0\t               0\t               0\t               0\t               0\t\n";
        let p = parse_proc_pci(t, "x");
        assert!(p.bad.is_empty(), "{:?}", p.bad);
        let d = &p.devices[0];
        assert_eq!(d.address, "0000:00:02.0");
        assert_eq!((d.vendor, d.device), (Some(0x10ec), Some(0x8168)));
        assert_eq!(d.driver.as_deref(), Some("r8169"));
        assert_eq!(p.devices[1].address, "0000:00:1f.0");
        assert_eq!(p.devices[1].driver, None);
    }

    #[test]
    fn hwinfo_entries() {
        assert_eq!(hwinfo_entry("11: PCI 1f.3: 0403 Audio device"), Some("PCI"));
        assert_eq!(hwinfo_entry("34: PS/2 00.0: 10800 Keyboard"), Some("PS/2"));
        assert_eq!(hwinfo_entry("00:1f.3 Audio device: Intel"), None);
        assert_eq!(hwinfo_id("pci 0x8086 \"Intel Corporation\""), Some(0x8086));
        assert_eq!(hwinfo_id("pnp 0x1234"), None);
    }
}
