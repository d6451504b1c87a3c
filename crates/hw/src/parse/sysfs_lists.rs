//! Listings made from sysfs with shell tools:
//! - modalias lists: `cat /sys/bus/*/devices/*/modalias` (one modalias a line);
//! - uevent lists: `<sysfs path> TAB <MODALIAS>` (qemu-q35-debian61/modalias-uevent.txt),
//!   and `grep -r . /sys/.../uevent` / `grep . /sys/bus/*/devices/*/modalias`
//!   (`<path>/uevent:KEY=VALUE`, `<path>/modalias:VALUE`);
//! - drivers.txt: `bus TAB device TAB driver TAB module TAB modalias`, `-` = none.

use super::{is_noise, norm_pci_slot, numbered, Parsed};
use crate::model::{parse_hex, Bus, Device};
use std::collections::HashMap;

/// A modalias: `prefix:rest`, prefix lower-case alphanumeric, no spaces.
pub(crate) fn is_modalias(s: &str) -> bool {
    let Some((p, rest)) = s.split_once(':') else {
        return false;
    };
    !p.is_empty()
        && p.len() <= 16
        && p.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && !rest.bytes().any(|c| c.is_ascii_whitespace())
}

/// Bus of a device from its modalias and/or sysfs path and name.
pub(crate) fn guess_bus(modalias: Option<&str>, path: Option<&str>, name: &str) -> Bus {
    if let Some(m) = modalias.filter(|m| !m.is_empty()) {
        let b = Bus::from_modalias(m);
        // ACPI-enumerated platform devices carry `acpi:` aliases too; ACPI
        // bus devices live under /sys/devices/LNXSYSTM:00.
        // I2C/SPI devices enumerated by ACPI or DT are named `i2c-ELAN0672:00`,
        // `spi-...`, or sit under an `i2c-N` adapter.
        if matches!(b, Bus::Acpi | Bus::Platform) {
            let parent = path.and_then(|p| p.rsplit('/').nth(1)).unwrap_or("");
            if name.starts_with("i2c-") || parent.starts_with("i2c-") {
                return Bus::I2c;
            }
            if name.starts_with("spi-")
                || parent.starts_with("spi") && parent[3..].bytes().all(|c| c.is_ascii_digit())
            {
                return Bus::Spi;
            }
        }
        if b == Bus::Acpi {
            if let Some(p) = path {
                if !p.contains("/LNXSYSTM:") {
                    return Bus::Platform;
                }
            }
        }
        return b;
    }
    if norm_pci_slot(name).is_some() && name.len() >= 12 {
        return Bus::Pci;
    }
    if let Some(p) = path {
        if p.contains("/LNXSYSTM:") {
            return Bus::Acpi;
        }
        if p.starts_with("/sys/devices/platform/") && !p["/sys/devices/platform/".len()..].contains('/') {
            return Bus::Platform;
        }
    }
    let is_usb_name = |n: &str| {
        let (dev, _) = n.split_once(':').unwrap_or((n, ""));
        dev.split_once('-').is_some_and(|(b, p)| {
            !b.is_empty()
                && b.bytes().all(|c| c.is_ascii_digit())
                && !p.is_empty()
                && p.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        })
    };
    if name
        .strip_prefix("usb")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        || is_usb_name(name)
    {
        return Bus::Usb;
    }
    Bus::Other(String::new())
}

/// From a path: (bus if the path says, device name, /sys/devices path).
fn locate(path: &str) -> Option<(Option<Bus>, String, Option<String>)> {
    let path = path.trim_end_matches('/');
    let name = path.rsplit('/').next()?.to_string();
    if name.is_empty() {
        return None;
    }
    if let Some(r) = path.strip_prefix("/sys/bus/") {
        let mut it = r.split('/');
        let bus = it.next()?;
        if it.next()? != "devices" {
            return None;
        }
        return Some((Some(Bus::from_name(bus)), name, None));
    }
    if path.starts_with("/sys/") || path.starts_with("/devices/") {
        let p = if path.starts_with("/devices/") {
            format!("/sys{path}")
        } else {
            path.to_string()
        };
        return Some((None, name, Some(p)));
    }
    None
}

pub(crate) fn new_dev(
    bus: Option<Bus>,
    name: String,
    path: Option<String>,
    modalias: Option<&str>,
) -> Device {
    let bus = bus.unwrap_or_else(|| guess_bus(modalias, path.as_deref(), &name));
    let address = if bus == Bus::Pci {
        norm_pci_slot(&name).unwrap_or(name)
    } else {
        name
    };
    let mut d = Device::new(bus, address);
    d.sysfs_path = path;
    if let Some(m) = modalias.filter(|m| !m.is_empty()) {
        d.modalias = Some(m.to_string());
        d.fill_from_modalias(m);
    }
    d
}

pub(crate) fn parse_modalias_list(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let t = line.trim();
        if !is_modalias(t) {
            out.bad_line(no, line);
            continue;
        }
        let mut d = Device::new(Bus::from_modalias(t), "");
        d.modalias = Some(t.to_string());
        d.fill_from_modalias(t);
        d.sources.push(format!("{src}:{no}"));
        out.devices.push(d);
    }
    out
}

fn apply_uevent(d: &mut Device, key: &str, val: &str) {
    let val = val.trim();
    match key {
        "MODALIAS" if !val.is_empty() && d.modalias.is_none() => {
            d.modalias = Some(val.to_string());
            d.fill_from_modalias(val);
        }
        "DRIVER" if !val.is_empty() => d.driver = Some(val.to_string()),
        "PCI_CLASS" => {
            if let Some(c) = parse_hex(val) {
                d.class = Some(c >> 16);
                d.subclass = Some((c >> 8) & 0xff);
                d.prog_if = Some(c & 0xff);
            }
        }
        "PCI_ID" | "PCI_SUBSYS_ID" => {
            if let Some((a, b)) = val.split_once(':') {
                let (a, b) = (parse_hex(a), parse_hex(b));
                if key == "PCI_ID" {
                    d.vendor = d.vendor.or(a);
                    d.device = d.device.or(b);
                } else {
                    d.subvendor = d.subvendor.or(a);
                    d.subdevice = d.subdevice.or(b);
                }
            }
        }
        // usb: PRODUCT=627/1/0 (hex, no padding), TYPE=0/0/0, INTERFACE=3/1/2
        "PRODUCT" => {
            let f: Vec<Option<u32>> = val.split('/').map(parse_hex).collect();
            if f.len() == 3 {
                d.vendor = d.vendor.or(f[0]);
                d.device = d.device.or(f[1]);
                d.revision = d.revision.or(f[2]);
            }
        }
        "TYPE" | "INTERFACE" if d.bus == Bus::Usb => {
            let f: Vec<Option<u32>> = val.split('/').map(|x| x.parse().ok()).collect();
            if f.len() == 3 {
                if key == "INTERFACE" || !d.is_usb_interface() {
                    d.class = d.class.or(f[0]);
                    d.subclass = d.subclass.or(f[1]);
                    d.prog_if = d.prog_if.or(f[2]);
                } else {
                    for (k, v) in ["dev_class", "dev_subclass", "dev_protocol"].iter().zip(f) {
                        if let Some(v) = v {
                            d.attrs.entry(k.to_string()).or_insert(format!("{v:02x}"));
                        }
                    }
                }
            }
        }
        "BUSNUM" => d.busnum = val.parse().ok(),
        "DEVNUM" => d.devnum = val.parse().ok(),
        "HID_NAME" if !val.is_empty() => d.name = Some(val.to_string()),
        "OF_COMPATIBLE_0" | "DEVTYPE" if !val.is_empty() => {
            d.attrs.insert(key.to_ascii_lowercase(), val.to_string());
        }
        _ => {}
    }
}

/// `PATH\tMODALIAS`, `PATH/uevent:KEY=VALUE`, `PATH/modalias:VALUE`.
pub(crate) fn uevent_line(line: &str) -> Option<(&str, Option<&str>, &str)> {
    if let Some((p, m)) = line.split_once('\t') {
        let m = m.trim();
        if p.starts_with('/') && (m.is_empty() || is_modalias(m)) {
            return Some((p, Some("MODALIAS"), m));
        }
        return None;
    }
    if let Some(i) = line.find("/uevent:") {
        let (k, v) = line[i + 8..].split_once('=')?;
        if k.is_empty()
            || !k
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        {
            return None;
        }
        return Some((&line[..i], Some(k), v));
    }
    if let Some(i) = line.find("/modalias:") {
        let v = &line[i + 10..];
        if is_modalias(v.trim()) {
            return Some((&line[..i], Some("MODALIAS"), v));
        }
    }
    None
}

pub(crate) fn parse_uevent_list(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut by_path: HashMap<String, usize> = HashMap::new();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let Some((path, key, val)) = uevent_line(line) else {
            out.bad_line(no, line);
            continue;
        };
        let Some((bus, name, sysfs)) = locate(path) else {
            out.bad_line(no, line);
            continue;
        };
        let key = key.unwrap_or("MODALIAS");
        let idx = match by_path.get(path) {
            Some(&i) => i,
            None => {
                let m = (key == "MODALIAS").then_some(val.trim());
                let mut d = new_dev(bus, name, sysfs, m);
                d.sources.push(format!("{src}:{no}"));
                out.devices.push(d);
                by_path.insert(path.to_string(), out.devices.len() - 1);
                out.devices.len() - 1
            }
        };
        let d = &mut out.devices[idx];
        apply_uevent(d, key, val);
        if key == "MODALIAS" && d.bus.is_unknown() && !val.trim().is_empty() {
            d.bus = guess_bus(Some(val.trim()), d.sysfs_path.as_deref(), &d.address);
        }
    }
    out
}

pub(crate) fn drivers_line(line: &str) -> Option<[&str; 5]> {
    let f: Vec<&str> = line.split('\t').collect();
    if f.len() != 5 {
        return None;
    }
    let ok_bus = !f[0].is_empty()
        && f[0]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
    if !ok_bus || f[1].is_empty() || f[2].is_empty() || f[3].is_empty() || f[4].is_empty() {
        return None;
    }
    if f[4] != "-" && !is_modalias(f[4]) {
        return None;
    }
    Some([f[0], f[1], f[2], f[3], f[4]])
}

pub(crate) fn parse_drivers(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let Some([bus, dev, drv, module, modalias]) = drivers_line(line) else {
            out.bad_line(no, line);
            continue;
        };
        let m = (modalias != "-").then_some(modalias);
        let mut d = new_dev(Some(Bus::from_name(bus)), dev.to_string(), None, m);
        if drv != "-" {
            d.driver = Some(drv.to_string());
        }
        match module {
            "-" => {}
            "-nolink-" => {
                d.attrs
                    .insert("driver_module".into(), "none (built in or no module link)".into());
            }
            m => d.driver_module = Some(m.to_string()),
        }
        d.sources.push(format!("{src}:{no}"));
        out.devices.push(d);
    }
    out
}
