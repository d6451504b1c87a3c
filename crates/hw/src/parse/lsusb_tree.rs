//! `lsusb -t` (`-tv`, `-tvv`), old (usbutils ≤ 014) and new formats:
//!
//! ```text
//! /:  Bus 02.Port 1: Dev 1, Class=root_hub, Driver=xhci_hcd/15p, 480M
//!     |__ Port 5: Dev 4, If 0, Class=Hub, Driver=hub/8p, 12M
//!         |__ Port 1: Dev 9, If 0, Class=Human Interface Device, Driver=usbhid, 12M
//! /:  Bus 001.Port 001: Dev 001, Class=root_hub, Driver=xhci_hcd/12p, 480M
//!     ID 1d6b:0002 Linux Foundation 2.0 root hub
//!     |__ Port 003: Dev 002, If 0, Class=Wireless, Driver=btusb, 12M
//!         ID 8087:0026 Intel Corp. AX201 Bluetooth
//!         /sys/bus/usb/devices/1-3  /dev/bus/usb/001/002
//! ```
//! Devices get their sysfs names (`2-5.1`); interfaces `2-5.1:1.0` (lsusb -t
//! does not print the configuration: 1 is assumed). The root hub line's driver
//! is the host controller's (kept as attr `hcd_driver`).

use super::{id_pair, is_noise, numbered, Parsed};
use crate::model::{Bus, Device};

/// USB class names as printed by lsusb (usb.ids `C` lines) → class code.
fn class_code(name: &str) -> Option<u32> {
    Some(match name {
        "root_hub" | "Hub" => 0x09,
        ">ifc" | "Defined at Interface level" | "[unknown]" => 0x00,
        "Audio" => 0x01,
        "Communications" => 0x02,
        "Human Interface Device" => 0x03,
        "Physical Interface Device" => 0x05,
        "Imaging" | "Still Image" => 0x06,
        "Printer" => 0x07,
        "Mass Storage" => 0x08,
        "CDC Data" => 0x0a,
        "Chip/SmartCard" | "Smart Card" => 0x0b,
        "Content Security" => 0x0d,
        "Video" => 0x0e,
        "Personal Healthcare" => 0x0f,
        "Audio/Video" | "Audio/Video Device" => 0x10,
        "Billboard" | "Billboard Device" => 0x11,
        "Type-C Bridge" => 0x12,
        "Diagnostic" => 0xdc,
        "Wireless" => 0xe0,
        "Miscellaneous Device" | "Miscellaneous" => 0xef,
        "Application Specific Interface" | "Application Specific" => 0xfe,
        "Vendor Specific Class" | "Vendor Specific" | "vend." => 0xff,
        _ => return None,
    })
}

/// Split `a, b, c` fields of a tree line into (key, value) with `Class=`/`Driver=`.
struct Line<'a> {
    port: u32,
    dev: u32,
    iface: Option<u32>,
    class: Option<&'a str>,
    driver: Option<&'a str>,
    ports: Option<&'a str>,
    speed: Option<&'a str>,
}

fn fields(s: &str) -> Option<Line<'_>> {
    // `Port 003: Dev 002, If 0, Class=Wireless, Driver=btusb, 12M`
    // The class name may itself contain ", " only in theory; split from known keys.
    let (port, rest) = s.strip_prefix("Port ")?.split_once(": ")?;
    let port: u32 = port.trim().parse().ok()?;
    let mut l = Line {
        port,
        dev: 0,
        iface: None,
        class: None,
        driver: None,
        ports: None,
        speed: None,
    };
    let rest = rest.strip_prefix("Dev ")?;
    let (dev, mut rest) = rest.split_once(',').unwrap_or((rest, ""));
    l.dev = dev.trim().parse().ok()?;
    rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix("If ") {
        let (i, r) = r.split_once(',')?;
        l.iface = Some(i.trim().parse().ok()?);
        rest = r.trim_start();
    }
    if let Some(r) = rest.strip_prefix("Class=") {
        let end = r.find(", Driver=").unwrap_or(r.find(", ").unwrap_or(r.len()));
        l.class = Some(&r[..end]);
        rest = r[end..].trim_start_matches(", ");
    }
    if let Some(r) = rest.strip_prefix("Driver=") {
        let (drv, r) = r.rsplit_once(", ").unwrap_or((r, ""));
        let (drv, ports) = match drv.rsplit_once('/') {
            Some((d, p)) if p.ends_with('p') && p[..p.len() - 1].parse::<u32>().is_ok() => (d, Some(p)),
            _ => (drv, None),
        };
        l.driver = Some(drv);
        l.ports = ports;
        rest = r;
    }
    let sp = rest.trim();
    if !sp.is_empty() {
        l.speed = Some(sp);
    }
    Some(l)
}

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut busnum: Option<u32> = None;
    // path[depth] = sysfs name of the device at that depth (depth 0: `usbN`).
    let mut path: Vec<String> = Vec::new();
    // Index of the last device/interface entries, for `ID`/sysfs lines.
    let mut last_dev: Option<usize> = None;
    // Device name -> index, and a device's interface indexes (no scans).
    let mut by_name: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut ifaces_of: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let t = line.trim();
        if let Some(r) = t.strip_prefix("/:  Bus ").or_else(|| t.strip_prefix("/: Bus ")) {
            // `02.Port 1: Dev 1, Class=root_hub, Driver=xhci_hcd/15p, 480M`
            let Some((bus, r)) = r.split_once(".Port ") else {
                out.bad_line(no, line);
                continue;
            };
            let (Ok(b), Some(l)) = (
                bus.trim().parse::<u32>(),
                fields(&format!("Port {r}")).map(|l| {
                    (
                        l.dev,
                        l.driver.map(str::to_string),
                        l.ports.map(str::to_string),
                        l.speed.map(str::to_string),
                    )
                }),
            ) else {
                out.bad_line(no, line);
                continue;
            };
            busnum = Some(b);
            path = vec![format!("usb{b}")];
            let mut d = Device::new(Bus::Usb, format!("usb{b}"));
            d.busnum = Some(b);
            d.devnum = Some(l.0);
            d.class = Some(9);
            if let Some(drv) = l.1.filter(|s| !s.is_empty() && s != "[none]") {
                d.attrs.insert("hcd_driver".into(), drv);
            }
            if let Some(p) = l.2 {
                d.attrs
                    .insert("ports".into(), p.trim_end_matches('p').to_string());
            }
            if let Some(s) = l.3 {
                d.attrs.insert("speed".into(), s);
            }
            d.sources.push(format!("{src}:{no}"));
            out.devices.push(d);
            last_dev = Some(out.devices.len() - 1);
            continue;
        }
        if let Some(pos) = line.find("|__ ") {
            let Some(b) = busnum else {
                out.bad_line(no, line);
                continue;
            };
            let depth = (pos / 4).max(1);
            let Some(l) = fields(&line[pos + 4..]) else {
                out.bad_line(no, line);
                continue;
            };
            if depth > path.len() {
                out.bad_line(no, line);
                continue;
            }
            path.truncate(depth);
            let name = if depth == 1 {
                format!("{b}-{}", l.port)
            } else {
                format!("{}.{}", path[depth - 1], l.port)
            };
            let parent = path[depth - 1].clone();
            path.push(name.clone());
            // The device (once per device; later interface lines merge).
            let mut d = Device::new(Bus::Usb, name.clone());
            d.busnum = Some(b);
            d.devnum = Some(l.dev);
            d.parent = Some(parent);
            if let Some(s) = l.speed {
                d.attrs.insert("speed".into(), s.to_string());
            }
            d.sources.push(format!("{src}:{no}"));
            let idx = match by_name.get(&name) {
                Some(&i) => i,
                None => {
                    out.devices.push(d);
                    by_name.insert(name.clone(), out.devices.len() - 1);
                    out.devices.len() - 1
                }
            };
            last_dev = Some(idx);
            if let Some(i) = l.iface {
                let mut f = Device::new(Bus::Usb, format!("{name}:1.{i}"));
                f.busnum = Some(b);
                f.devnum = Some(l.dev);
                f.parent = Some(name.clone());
                if let Some(c) = l.class.filter(|c| !c.is_empty()) {
                    f.class_name = Some(c.to_string());
                    f.class = class_code(c);
                    if f.class.is_none() {
                        out.usb_class_names.push((out.devices.len(), no, c.to_string()));
                    }
                }
                f.driver = l
                    .driver
                    .filter(|s| !s.is_empty() && *s != "[none]")
                    .map(str::to_string);
                if let Some(p) = l.ports {
                    out.devices[idx]
                        .attrs
                        .insert("ports".into(), p.trim_end_matches('p').to_string());
                }
                f.sources.push(format!("{src}:{no}"));
                out.devices.push(f);
                ifaces_of.entry(idx).or_default().push(out.devices.len() - 1);
            }
            continue;
        }
        // `-v`: `ID 1d6b:0002 Linux Foundation 2.0 root hub`
        if let Some(r) = t.strip_prefix("ID ") {
            let (ids, name) = r.split_once(' ').unwrap_or((r, ""));
            match (id_pair(ids), last_dev) {
                (Some((v, p)), Some(i)) => {
                    let d = &mut out.devices[i];
                    d.vendor = Some(v);
                    d.device = Some(p);
                    let name = name.trim();
                    if !name.is_empty() {
                        d.name = Some(name.to_string());
                    }
                    let (v, p) = (d.vendor, d.device);
                    for &f in ifaces_of.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
                        out.devices[f].vendor = v;
                        out.devices[f].device = p;
                    }
                }
                _ => out.bad_line(no, line),
            }
            continue;
        }
        // `-vv`: `/sys/bus/usb/devices/1-3  /dev/bus/usb/001/002`
        if t.starts_with("/sys/bus/usb/devices/") {
            continue;
        }
        out.bad_line(no, line);
    }
    out
}
