//! `lsusb` (`Bus 002 Device 003: ID 0627:0001 QEMU USB Tablet`) and `lsusb -v`
//! (descriptor dumps: device class, bcdDevice and every interface, enough
//! to rebuild the exact `usb:` modalias of each interface).
//!
//! lsusb knows devices by bus and device number only; they get the address
//! `BBB/DDD` (interfaces `BBB/DDD:C.I`) until merged with a listing that knows
//! the port path (`lsusb -t`, sysfs).

use super::{id_pair, is_noise, numbered, Parsed};
use crate::model::{Bus, Device};

/// `Bus 002 Device 003: ID 0627:0001 name` → (bus, dev, vid, pid, name).
pub(crate) fn bus_line(line: &str) -> Option<(u32, u32, u32, u32, Option<&str>)> {
    let r = line.strip_prefix("Bus ")?;
    let (bus, r) = r.split_once(" Device ")?;
    let (dev, r) = r.split_once(": ID ")?;
    let bus: u32 = bus.trim().parse().ok()?;
    let dev: u32 = dev.trim().parse().ok()?;
    let (ids, name) = match r.split_once(' ') {
        Some((a, b)) => (a, Some(b.trim()).filter(|s| !s.is_empty())),
        None => (r.trim(), None),
    };
    let (v, p) = id_pair(ids)?;
    Some((bus, dev, v, p, name))
}

fn usb_device(bus: u32, dev: u32, v: u32, p: u32, name: Option<&str>, source: String) -> Device {
    // Device number 1 is always the root hub (`usbN`, interfaces `N-0:C.I`).
    let addr = if dev == 1 {
        format!("usb{bus}")
    } else {
        format!("{bus:03}/{dev:03}")
    };
    let mut d = Device::new(Bus::Usb, addr);
    d.busnum = Some(bus);
    d.devnum = Some(dev);
    d.vendor = Some(v);
    d.device = Some(p);
    d.name = name.map(str::to_string);
    d.sources.push(source);
    d
}

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        match bus_line(line) {
            Some((bus, dev, v, p, name)) => {
                if v == 0x1d6b {
                    if let Some(k) = name.and_then(kernel_of_root_hub) {
                        out.kernel_version.get_or_insert(k);
                    }
                }
                out.devices
                    .push(usb_device(bus, dev, v, p, name, format!("{src}:{no}")));
            }
            None => out.bad_line(no, line),
        }
    }
    out
}

/// `Linux 6.1.0-56-amd64 xhci-hcd xHCI Host Controller` → `6.1.0-56-amd64`.
fn kernel_of_root_hub(name: &str) -> Option<String> {
    let mut it = name.split_whitespace();
    while let Some(w) = it.next() {
        if w == "Linux" {
            let k = it.next()?;
            if k.chars().next().is_some_and(|c| c.is_ascii_digit()) && k.contains('.') {
                return Some(k.to_string());
            }
        }
    }
    None
}

/// `0.00` / ` 6.01` / `42.10` (bcdDevice as `%2x.%02x`) → 0x0601.
fn bcd(v: &str) -> Option<u32> {
    let (a, b) = v.split_once('.')?;
    let a = u32::from_str_radix(a.trim(), 16).ok()?;
    let b = u32::from_str_radix(b.trim(), 16).ok()?;
    if a > 0xff || b > 0xff {
        return None;
    }
    Some((a << 8) | b)
}

/// First word of a descriptor value: `0x0627`, `3`, `255`.
fn num(v: &str) -> Option<u32> {
    let w = v.split_whitespace().next()?;
    match w.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => w.parse().ok(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Block {
    Device,
    Config,
    Interface,
    Other,
}

#[derive(Default)]
struct Iface {
    config: Option<u32>,
    number: Option<u32>,
    alt: Option<u32>,
    class: Option<u32>,
    subclass: Option<u32>,
    protocol: Option<u32>,
    name: Option<String>,
    line: usize,
}

pub(crate) fn parse_verbose(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut dev: Option<Device> = None;
    let mut ifaces: Vec<Iface> = Vec::new();
    let mut block = Block::Other;
    let mut config: Option<u32> = None;

    fn flush(dev: &mut Option<Device>, ifaces: &mut Vec<Iface>, out: &mut Parsed, src: &str) {
        let Some(d) = dev.take() else {
            ifaces.clear();
            return;
        };
        let base = match d.address.strip_prefix("usb") {
            Some(b) => format!("{b}-0"),
            None => d.address.clone(),
        };
        let dev = d.clone();
        // The device itself goes before its interfaces.
        out.devices.push(d);
        let d = dev;
        for i in ifaces.drain(..) {
            if i.alt.unwrap_or(0) != 0 {
                continue;
            }
            let Some(n) = i.number else { continue };
            let c = i.config.unwrap_or(1);
            let mut f = Device::new(Bus::Usb, format!("{base}:{c}.{n}"));
            f.busnum = d.busnum;
            f.devnum = d.devnum;
            f.vendor = d.vendor;
            f.device = d.device;
            f.revision = d.revision;
            f.class = i.class;
            f.subclass = i.subclass;
            f.prog_if = i.protocol;
            f.name = i.name;
            f.parent = Some(d.address.clone());
            for (k, v) in [
                ("dev_class", d.class),
                ("dev_subclass", d.subclass),
                ("dev_protocol", d.prog_if),
            ] {
                if let Some(v) = v {
                    f.attrs.insert(k.to_string(), format!("{v:02x}"));
                }
            }
            f.sources.push(format!("{src}:{}", i.line));
            out.devices.push(f);
        }
    }

    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        if let Some((bus, devn, v, p, name)) = bus_line(line) {
            flush(&mut dev, &mut ifaces, &mut out, src);
            if v == 0x1d6b {
                if let Some(k) = name.and_then(kernel_of_root_hub) {
                    out.kernel_version.get_or_insert(k);
                }
            }
            dev = Some(usb_device(bus, devn, v, p, name, format!("{src}:{no}")));
            block = Block::Other;
            config = None;
            continue;
        }
        let t = line.trim();
        if t.ends_with(':') && !t.contains("  ") {
            block = match t {
                "Device Descriptor:" => Block::Device,
                "Configuration Descriptor:" => Block::Config,
                "Interface Descriptor:" => {
                    ifaces.push(Iface {
                        config,
                        line: no,
                        ..Iface::default()
                    });
                    Block::Interface
                }
                _ => Block::Other,
            };
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            // Column-0 lines other than headers: status and error chatter.
            let known = t.starts_with("Device Status:")
                || t.starts_with("Couldn't")
                || t.starts_with("can't")
                || t.starts_with("cannot")
                || t.starts_with("Self Powered")
                || t.starts_with("Debug descriptor")
                || t.starts_with("Hub Descriptor")
                || t.starts_with("Binary Object Store");
            if !known {
                out.bad_line(no, line);
            }
            continue;
        }
        let Some(d) = dev.as_mut() else {
            out.bad_line(no, line);
            continue;
        };
        let (k, v) = match t.split_once(char::is_whitespace) {
            Some((k, v)) => (k, v.trim()),
            None => (t, ""),
        };
        match block {
            Block::Device => match k {
                "bDeviceClass" => d.class = num(v),
                "bDeviceSubClass" => d.subclass = num(v),
                "bDeviceProtocol" => d.prog_if = num(v),
                "bcdDevice" => d.revision = bcd(v),
                "idVendor" => d.vendor = num(v).or(d.vendor),
                "idProduct" => d.device = num(v).or(d.device),
                "bcdUSB" => {
                    d.attrs.insert("usb_version".into(), v.to_string());
                }
                _ => {}
            },
            Block::Config => {
                if k == "bConfigurationValue" {
                    config = num(v);
                }
            }
            Block::Interface => {
                if let Some(i) = ifaces.last_mut() {
                    match k {
                        "bInterfaceNumber" => i.number = num(v),
                        "bAlternateSetting" => i.alt = num(v),
                        "bInterfaceClass" => {
                            i.class = num(v);
                            let n = v.split_once(' ').map(|x| x.1.trim()).unwrap_or("");
                            if !n.is_empty() {
                                i.name = Some(n.to_string());
                            }
                        }
                        "bInterfaceSubClass" => i.subclass = num(v),
                        "bInterfaceProtocol" => i.protocol = num(v),
                        _ => {}
                    }
                }
            }
            Block::Other => {}
        }
    }
    flush(&mut dev, &mut ifaces, &mut out, src);
    out
}
