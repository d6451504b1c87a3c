//! pciutils `lspci` in its text forms (plain, `-n`, `-nn`, `-k`, `-q`, `-v`,
//! `-vv`, `-vvv`, `-x` hex dumps) and busybox `lspci [-k]`
//! (`03:00.0 Class 0300: 1002:1638 amdgpu`, last column = driver name).

use super::{hex_n, id_pair, is_noise, norm_pci_slot, numbered, trailing_bracket, Parsed, PciNames};
use crate::input::Notes;
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

/// `[zzzz:1234]`: a bracket shaped like ids that are not hex.
fn malformed_ids(inner: &str) -> bool {
    inner.len() == 9 && inner.as_bytes()[4] == b':' && id_pair(inner).is_none()
}

/// What the slot line of one device gave, beyond the device itself.
#[derive(Default)]
struct LineFacts {
    names: PciNames,
    /// `[vvvv:dddd]` was on the line (`-nn`).
    bracket_ids: bool,
}

/// Parse the part after the slot on a pciutils line.
fn pciutils_rest(rest: &str, d: &mut Device, f: &mut LineFacts, notes: &mut Notes, no: usize) -> bool {
    let Some((cls, name)) = rest.split_once(": ") else {
        return false;
    };
    let cls = cls.trim();
    // `-n`: `0600: 8086:9b61 (rev 0c)`.
    if let Some(c) = hex_n(cls, 4) {
        let r = strip_rev_progif(name, d);
        let Some((v, dv)) = id_pair(r.trim()) else {
            return false;
        };
        set_class16(d, c);
        d.vendor = Some(v);
        d.device = Some(dv);
        return true;
    }
    // Class: `Host bridge`, `Host bridge [0600]`, `Unassigned class [ff00]`, `Class 0600`.
    if let Some((n, code)) = trailing_bracket(cls) {
        if let Some(c) = hex_n(code, 4) {
            set_class16(d, c);
            if !n.is_empty() {
                d.class_name = Some(n.to_string());
            }
        } else {
            if code.len() == 4 {
                notes.add(no, format!("malformed class code [{code}]"));
            }
            d.class_name = Some(cls.to_string());
            f.names.class = Some(cls.to_string());
        }
    } else if let Some(c) = cls.strip_prefix("Class ").and_then(|c| hex_n(c, 4)) {
        set_class16(d, c);
        // busybox and old pciutils `-n`: ids must follow (else the line is cut).
        let r = strip_rev_progif(name, d);
        if r.split_whitespace().next().and_then(id_pair).is_none() && !r.contains(' ') {
            return false;
        }
    } else {
        d.class_name = Some(cls.to_string());
        f.names.class = Some(cls.to_string());
    }
    let mut name = strip_rev_progif(name, d);
    // `-nn`: `... [8086:9b61]`.
    if let Some((n, ids)) = trailing_bracket(&name) {
        if let Some((v, dv)) = id_pair(ids) {
            d.vendor = Some(v);
            d.device = Some(dv);
            f.bracket_ids = true;
            name = n.to_string();
        } else if malformed_ids(ids) {
            notes.add(no, format!("malformed ids [{ids}]: vendor and device unknown"));
            name = n.to_string();
        }
    }
    // Unknown to pci.ids: `Device 1234:1111`; old pciutils `-n`: `Class 0600: 8086:0044`.
    if d.vendor.is_none() {
        if let Some((v, dv)) = id_pair(&name) {
            d.vendor = Some(v);
            d.device = Some(dv);
            name.clear();
        } else if let Some((v, dv)) = name.strip_prefix("Device ").and_then(id_pair) {
            d.vendor = Some(v);
            d.device = Some(dv);
        } else if !name.is_empty() && !f.bracket_ids {
            f.names.vendor_device = Some(name.clone());
        }
    }
    // `Device [1234:1111]`: pci.ids knows neither; the ids say it all.
    if !name.is_empty() && name != "Device" {
        d.name = Some(name);
    }
    true
}

fn subsystem(val: &str, d: &mut Device, f: &mut LineFacts, notes: &mut Notes, no: usize) {
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
        } else if malformed_ids(ids) {
            notes.add(no, format!("malformed subsystem ids [{ids}]"));
            name = n;
        }
    }
    if !name.is_empty() {
        d.attrs.insert("subsystem".into(), name.to_string());
        if d.subvendor.is_none() {
            f.names.subsystem = Some(name.to_string());
        }
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

/// Keys of `-k` and `-v` detail lines this parser reads; a line that is a
/// cut-off start of one of them is reported.
const KEYS: [&str; 3] = ["Kernel driver in use", "Kernel modules", "Subsystem"];

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut cur: Option<(Device, LineFacts)> = None;
    // Details of a device whose slot line was unreadable.
    let mut dropped = false;
    let mut slot_lines: Vec<(usize, bool)> = Vec::new();
    let mut notes = Notes::default();
    let push = |out: &mut Parsed, cur: &mut Option<(Device, LineFacts)>| {
        if let Some((d, mut f)) = cur.take() {
            let n = &f.names;
            if n.vendor_device.is_some() || n.subsystem.is_some() || n.class.is_some() {
                f.names.dev = out.devices.len();
                f.names.line = d
                    .sources
                    .first()
                    .and_then(|s| s.rsplit(':').next()?.parse().ok())
                    .unwrap_or(0);
                out.pci_names.push(f.names);
            }
            out.devices.push(d);
        }
    };
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        if let Some((slot, rest)) = slot_line(line) {
            push(&mut out, &mut cur);
            dropped = false;
            let mut d = Device::new(Bus::Pci, slot);
            d.sources.push(format!("{src}:{no}"));
            let mut f = LineFacts::default();
            if let Some((c, v, dv, drv)) = busybox_rest(rest) {
                set_class16(&mut d, c);
                d.vendor = Some(v);
                d.device = Some(dv);
                d.driver = drv.map(str::to_string);
            } else if !pciutils_rest(rest, &mut d, &mut f, &mut notes, no) {
                out.bad_line(no, line);
                dropped = true;
                continue;
            }
            slot_lines.push((no, f.bracket_ids));
            cur = Some((d, f));
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some((d, f)) = cur.as_mut() else {
                if dropped {
                    notes.add(no, "detail line of an unreadable device line skipped");
                } else {
                    out.bad_line(no, line);
                }
                continue;
            };
            let t = line.trim();
            if let Some((k, v)) = t.split_once(':') {
                let v = v.trim();
                match k {
                    "Subsystem" => subsystem(v, d, f, &mut notes, no),
                    "Kernel driver in use" if !v.is_empty() => d.driver = Some(v.to_string()),
                    "Kernel driver in use" => {
                        notes.add(no, "empty \"Kernel driver in use:\" line (cut?): driver unknown")
                    }
                    "Kernel modules" => {
                        let mut seen: std::collections::HashSet<String> = d.modules.iter().cloned().collect();
                        for m in v.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                            if seen.insert(m.to_string()) {
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
            } else if KEYS.iter().any(|k| k.starts_with(t) && t.len() >= 4) {
                notes.add(no, format!("cut line {t:?}: its value is lost"));
            }
            // Everything else indented is -v/-vv/-vvv detail (capabilities...).
            continue;
        }
        if is_hexdump(line) {
            continue;
        }
        out.bad_line(no, line);
        push(&mut out, &mut cur);
        dropped = true;
    }
    push(&mut out, &mut cur);
    // `-nn` prints `[vvvv:dddd]` on every device line: one without is cut or edited.
    if slot_lines.iter().any(|x| x.1) {
        for &(no, _) in slot_lines.iter().filter(|x| !x.1) {
            notes.add(
                no,
                "device line without [vendor:device] ids unlike the rest of the listing (cut line?)",
            );
        }
    }
    out.notes = notes;
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
        assert_eq!((d.vendor, d.device), (Some(0x1234), Some(0x1111)));
        // The class name is looked up after parsing (pci.ids or the class table).
        assert_eq!(p.pci_names[0].class.as_deref(), Some("VGA compatible controller"));
        assert_eq!(p.pci_names[0].vendor_device, None);
    }
}
