//! pciutils `lspci` in its text forms (plain, `-n`, `-nn`, `-k`, `-q`, `-v`,
//! `-vv`, `-vvv`, `-x` hex dumps) and busybox `lspci [-k]`
//! (`03:00.0 Class 0300: 1002:1638 amdgpu`, last column = driver name).

use super::{hex_n, id_pair, is_noise, norm_pci_slot, numbered, trailing_bracket, Parsed};
use crate::model::{Bus, Device};

/// Is this a slot line of pciutils or busybox lspci? Returns (slot, rest).
pub(crate) fn slot_line(line: &str) -> Option<(String, &str)> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let (slot, rest) = line.split_once(' ')?;
    Some((norm_pci_slot(slot)?, rest))
}

/// busybox: `Class cccc: vvvv:dddd[ driver]`.
pub(crate) fn busybox_rest(rest: &str) -> Option<(u32, u32, u32, Option<&str>)> {
    let r = rest.strip_prefix("Class ")?;
    let (cls, r) = r.split_once(": ")?;
    let cls = hex_n(cls, 4)?;
    let mut it = r.split_whitespace();
    let (v, d) = id_pair(it.next()?)?;
    let drv = it.next();
    if it.next().is_some() {
        return None;
    }
    Some((cls, v, d, drv))
}

fn set_class16(d: &mut Device, c: u32) {
    d.class = Some(c >> 8);
    d.subclass = Some(c & 0xff);
}

/// Strip trailing `(rev xx)` and `(prog-if xx [name])` groups.
fn strip_rev_progif(mut s: &str, d: &mut Device) -> String {
    loop {
        let t = s.trim_end();
        if !t.ends_with(')') {
            return t.to_string();
        }
        if let Some(i) = t.rfind(" (prog-if ") {
            let inner = &t[i + 10..t.len() - 1];
            if let Some(p) = hex_n(inner.get(..2).unwrap_or(""), 2) {
                d.prog_if = Some(p);
                s = &t[..i];
                continue;
            }
        }
        if let Some(i) = t.rfind(" (rev ") {
            let inner = &t[i + 6..t.len() - 1];
            if let Some(r) = hex_n(inner, 2) {
                d.revision = Some(r);
                s = &t[..i];
                continue;
            }
        }
        return t.to_string();
    }
}

/// Parse the part after the slot on a pciutils line.
fn pciutils_rest(rest: &str, d: &mut Device) -> bool {
    // `-n`: `0600: 8086:9b61 (rev 0c)`.
    if let Some((c, r)) = rest.split_once(": ") {
        if let Some(c) = hex_n(c, 4) {
            let r = strip_rev_progif(r, d);
            if let Some((v, dv)) = id_pair(r.trim()) {
                set_class16(d, c);
                d.vendor = Some(v);
                d.device = Some(dv);
                return true;
            }
        }
    }
    let Some((cls, name)) = rest.split_once(": ") else {
        return false;
    };
    // Class: `Host bridge`, `Host bridge [0600]`, `Unassigned class [ff00]`, `Class 0600`.
    let cls = cls.trim();
    if let Some((n, code)) = trailing_bracket(cls) {
        if let Some(c) = hex_n(code, 4) {
            set_class16(d, c);
            if !n.is_empty() {
                d.class_name = Some(n.to_string());
            }
        } else {
            d.class_name = Some(cls.to_string());
        }
    } else if let Some(c) = cls.strip_prefix("Class ").and_then(|c| hex_n(c, 4)) {
        set_class16(d, c);
    } else {
        d.class_name = Some(cls.to_string());
        if let Some((c, sc)) = super::pci_classes::class_of_name(cls) {
            d.class = Some(c);
            d.subclass = sc;
        }
    }
    let mut name = strip_rev_progif(name, d);
    // `-nn`: `... [8086:9b61]`.
    if let Some((n, ids)) = trailing_bracket(&name) {
        if let Some((v, dv)) = id_pair(ids) {
            d.vendor = Some(v);
            d.device = Some(dv);
            name = n.to_string();
        }
    }
    // Unknown to pci.ids: `Device 1234:1111`; old pciutils `-n`: `Class 0600: 8086:0044`.
    if d.vendor.is_none() {
        if let Some((v, dv)) = id_pair(&name) {
            d.vendor = Some(v);
            d.device = Some(dv);
            name.clear();
        } else if let Some(ids) = name.strip_prefix("Device ") {
            if let Some((v, dv)) = id_pair(ids) {
                d.vendor = Some(v);
                d.device = Some(dv);
            }
        }
    }
    // `Device [1234:1111]`: pci.ids knows neither; the ids say it all.
    if !name.is_empty() && name != "Device" {
        d.name = Some(name);
    }
    true
}

fn subsystem(val: &str, d: &mut Device) {
    let val = val.trim();
    if let Some((v, s)) = id_pair(val) {
        d.subvendor = Some(v);
        d.subdevice = Some(s);
        return;
    }
    let mut name = val;
    if let Some((n, ids)) = trailing_bracket(val) {
        if let Some((v, s)) = id_pair(ids) {
            d.subvendor = Some(v);
            d.subdevice = Some(s);
            name = n;
        }
    }
    if !name.is_empty() {
        d.attrs.insert("subsystem".into(), name.to_string());
    }
}

fn bridge_bus(val: &str, d: &mut Device) {
    // `primary=00, secondary=02, subordinate=02, sec-latency=0`
    for part in val.split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            if matches!(k, "primary" | "secondary" | "subordinate") && hex_n(v, 2).is_some() {
                d.attrs.insert(k.to_string(), v.to_ascii_lowercase());
            }
        }
    }
}

fn is_hexdump(line: &str) -> bool {
    // `00: 86 80 57 0d ...` (-x, -xxx, -xxxx).
    let Some((off, rest)) = line.split_once(": ") else {
        return false;
    };
    off.len() >= 2
        && off.len() <= 3
        && off.bytes().all(|c| c.is_ascii_hexdigit())
        && rest.split(' ').all(|b| b.is_empty() || hex_n(b, 2).is_some())
}

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut cur: Option<Device> = None;
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        if let Some((slot, rest)) = slot_line(line) {
            if let Some(d) = cur.take() {
                out.devices.push(d);
            }
            let mut d = Device::new(Bus::Pci, slot);
            d.sources.push(format!("{src}:{no}"));
            if let Some((c, v, dv, drv)) = busybox_rest(rest) {
                set_class16(&mut d, c);
                d.vendor = Some(v);
                d.device = Some(dv);
                d.driver = drv.map(str::to_string);
            } else if !pciutils_rest(rest, &mut d) {
                out.bad_line(no, line);
                continue;
            }
            cur = Some(d);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some(d) = cur.as_mut() else {
                out.bad_line(no, line);
                continue;
            };
            let t = line.trim();
            if let Some((k, v)) = t.split_once(':') {
                let v = v.trim();
                match k {
                    "Subsystem" => subsystem(v, d),
                    "Kernel driver in use" if !v.is_empty() => d.driver = Some(v.to_string()),
                    "Kernel modules" => {
                        for m in v.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                            if !d.modules.iter().any(|x| x == m) {
                                d.modules.push(m.to_string());
                            }
                        }
                    }
                    "Bus" => bridge_bus(v, d),
                    "Physical Slot" => {
                        d.attrs.insert("physical_slot".into(), v.to_string());
                    }
                    "NUMA node" => {
                        d.attrs.insert("numa_node".into(), v.to_string());
                    }
                    "IOMMU group" => {
                        d.attrs.insert("iommu_group".into(), v.to_string());
                    }
                    _ => {}
                }
            }
            // Everything else indented is -v/-vv/-vvv detail (capabilities...).
            continue;
        }
        if is_hexdump(line) {
            continue;
        }
        out.bad_line(no, line);
    }
    if let Some(d) = cur.take() {
        out.devices.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_pciutils_numeric_and_unknown_names() {
        let p = parse("00:00.0 Class 0600: 8086:0044 (rev 02)\n00:01.0 VGA compatible controller: Device 1234:1111 (rev 02)\n", "x");
        assert!(p.bad.is_empty());
        let d = &p.devices[0];
        assert_eq!(
            (d.vendor, d.device, d.class, d.subclass, d.revision),
            (Some(0x8086), Some(0x44), Some(6), Some(0), Some(2))
        );
        assert_eq!(d.name, None);
        let d = &p.devices[1];
        assert_eq!(
            (d.vendor, d.device, d.class),
            (Some(0x1234), Some(0x1111), Some(3))
        );
    }
}
