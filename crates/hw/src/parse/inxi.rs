//! `inxi` (`-F`, `-Fxxx`, `-Fxxxz`, `-GANE`, `-J`, 2.x and 3.x): the device
//! items of its sections (`Device-1:`, `Card-1:`, `Card:`), each a run of
//! `key: value` pairs over one or more lines. Read are `driver` (`N/A` is
//! none), `alternate` (the other modules: hints), `type` (`USB`),
//! `bus-ID` (`00:02.0`, or `1-4:2` = USB bus-port:device number),
//! `chip-ID` (vendor:device) and `class-ID` (PCI class and subclass).
//! Without `bus-ID` (plain `inxi -F`) a device is known by its driver alone.
//! Other items (`IF:`, `Display:`, `API:`, ...) end a device.

use super::{id_pair, is_noise, norm_pci_slot, numbered, Parsed};
use crate::model::{Bus, Device};

/// inxi's section names (inxi's own `main_item` list).
const SECTIONS: [&str; 21] = [
    "System",
    "Machine",
    "Battery",
    "Memory",
    "CPU",
    "Graphics",
    "Audio",
    "Network",
    "Bluetooth",
    "Logical",
    "RAID",
    "Drives",
    "Partition",
    "Swap",
    "Unmounted",
    "USB",
    "Sensors",
    "Repos",
    "Processes",
    "Info",
    "Optical",
];

/// `Graphics:` (alone or followed by its first item): the section name.
pub(crate) fn section_name(line: &str) -> Option<&str> {
    let (name, rest) = line.split_once(':')?;
    (SECTIONS.contains(&name) && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some(name)
}

/// A key token: `driver:`, `bus-ID:`, `Device-1:` (letters, digits, `-`, `_`).
fn key(tok: &str) -> Option<&str> {
    let k = tok.strip_suffix(':')?;
    (!k.is_empty()
        && k.as_bytes()[0].is_ascii_alphabetic()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
    .then_some(k)
}

fn is_device_item(k: &str) -> bool {
    k == "Card"
        || ["Device-", "Card-"].iter().any(|p| {
            k.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        })
}

/// Keys that start another item of a section (capitalized, like `IF:`,
/// `Display:`, `API:`, `Hub-1:`), as opposed to a device's attributes.
fn is_item(k: &str) -> bool {
    k.as_bytes()[0].is_ascii_uppercase() && !k.contains("-ID")
}

#[derive(Default)]
struct Item {
    line: usize,
    section: String,
    label: String,
    pairs: Vec<(String, String)>,
}

fn finish(it: Item, src: &str, out: &mut Parsed) {
    let get = |k: &str| it.pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.trim());
    let usb = get("type").is_some_and(|t| t.eq_ignore_ascii_case("USB"));
    let bus_id = get("bus-ID").filter(|b| *b != "N/A");
    let chip = get("chip-ID").and_then(|c| id_pair(c.split_whitespace().next()?));
    let mut d = match bus_id {
        Some(b) if !usb && norm_pci_slot(b).is_some() => {
            Device::new(Bus::Pci, norm_pci_slot(b).unwrap_or_default())
        }
        Some(b) if usb || b.contains('-') => {
            // `1-4:2`: sysfs name 1-4, device number 2.
            let (name, dev) = b.split_once(':').unwrap_or((b, ""));
            let mut d = Device::new(Bus::Usb, name);
            d.busnum = name.split('-').next().and_then(|n| n.parse().ok());
            d.devnum = dev.parse().ok();
            d
        }
        _ => {
            let bus = if usb {
                Bus::Usb
            } else if chip.is_some() {
                Bus::Pci
            } else {
                Bus::Other(String::new())
            };
            // No address: the item itself (one device per item).
            Device::new(bus, format!("inxi {} {}", it.section, it.label))
        }
    };
    if let Some((v, x)) = chip {
        d.vendor = Some(v);
        d.device = Some(x);
    }
    if d.bus == Bus::Pci {
        if let Some(c) = get("class-ID").and_then(|c| super::hex_n(c, 4)) {
            d.class = Some(c >> 8);
            d.subclass = Some(c & 0xff);
        }
    }
    d.driver = get("driver")
        .and_then(|v| v.split_whitespace().next())
        .filter(|v| *v != "N/A" && super::modules::is_module_name(v))
        .map(str::to_string);
    if let Some(a) = get("alternate") {
        d.modules = a
            .split([',', ' '])
            .map(str::trim)
            .filter(|m| super::modules::is_module_name(m))
            .map(str::to_string)
            .collect();
    }
    if d.driver.is_none() && chip.is_none() && d.modules.is_empty() {
        return; // a name and nothing to find a driver by
    }
    d.sources.push(format!("{src}:{}", it.line));
    out.devices.push(d);
}

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut section = String::new();
    let mut cur: Option<Item> = None;
    let mut key_now: Option<String> = None;
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let mut body = line;
        if let Some(s) = section_name(line) {
            if let Some(it) = cur.take() {
                finish(it, src, &mut out);
            }
            section = s.to_string();
            key_now = None;
            body = &line[s.len() + 1..];
        } else if !line.starts_with([' ', '\t']) {
            out.bad_line(no, line);
            continue;
        }
        for tok in body.split_whitespace() {
            if let Some(k) = key(tok) {
                if is_device_item(k) {
                    if let Some(it) = cur.take() {
                        finish(it, src, &mut out);
                    }
                    cur = Some(Item {
                        line: no,
                        section: section.clone(),
                        label: k.to_string(),
                        pairs: Vec::new(),
                    });
                    key_now = None;
                    continue;
                }
                if is_item(k) {
                    if let Some(it) = cur.take() {
                        finish(it, src, &mut out);
                    }
                    key_now = None;
                    continue;
                }
                if let Some(it) = cur.as_mut() {
                    it.pairs.push((k.to_string(), String::new()));
                    key_now = Some(k.to_string());
                }
                continue;
            }
            if let (Some(it), Some(_)) = (cur.as_mut(), key_now.as_ref()) {
                if let Some((_, v)) = it.pairs.last_mut() {
                    if !v.is_empty() {
                        v.push(' ');
                    }
                    v.push_str(tok);
                }
            }
        }
    }
    if let Some(it) = cur.take() {
        finish(it, src, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items() {
        let t = "Graphics:\n  Device-1: Intel CometLake-U GT2 [UHD Graphics] vendor: Lenovo driver: i915\n    v: kernel bus-ID: 00:02.0 chip-ID: 8086:9b41 class-ID: 0300\n  Device-2: Chicony Integrated Camera driver: uvcvideo type: USB rev: 2.0\n    speed: 480 Mb/s bus-ID: 1-4:2 chip-ID: 04f2:b6cb class-ID: 0e02\n  Display: x11 server: X.Org driver: loaded: modesetting\nNetwork:   Card-1: Realtek RTL8111 driver: r8169\n";
        let p = parse(t, "x");
        assert!(p.bad.is_empty(), "{:?}", p.bad);
        assert_eq!(p.devices.len(), 3);
        let g = &p.devices[0];
        assert_eq!((g.bus.clone(), g.address.as_str()), (Bus::Pci, "0000:00:02.0"));
        assert_eq!(
            (g.vendor, g.device, g.class, g.subclass),
            (Some(0x8086), Some(0x9b41), Some(3), Some(0))
        );
        assert_eq!(g.driver.as_deref(), Some("i915"));
        let c = &p.devices[1];
        assert_eq!(
            (c.bus.clone(), c.address.as_str(), c.devnum),
            (Bus::Usb, "1-4", Some(2))
        );
        assert_eq!(c.driver.as_deref(), Some("uvcvideo"));
        let n = &p.devices[2];
        assert_eq!(n.address, "inxi Network Card-1");
        assert_eq!(n.driver.as_deref(), Some("r8169"));
    }
}
