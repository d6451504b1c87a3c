//! Machine-readable lspci: `-mm` (one line per device, quoted fields; also
//! busybox `lspci -m[k]`) and `-vmm` (`Slot:\t...` records), each with or without
//! `-n`/`-nn`/`-k`.

use super::{hex_n, is_noise, norm_pci_slot, numbered, trailing_bracket, Parsed, PciNames};
use crate::model::{Bus, Device};

/// A value that is a name, a number (`-n`), or both (`-nn`: `Name [8086]`).
/// Returns (name, number).
fn name_num(v: &str, digits: usize) -> (Option<String>, Option<u32>) {
    let v = v.trim();
    if v.is_empty() {
        return (None, None);
    }
    if let Some(n) = hex_n(v, digits) {
        return (None, Some(n));
    }
    if let Some((name, num)) = trailing_bracket(v) {
        if let Some(n) = hex_n(num, digits) {
            return ((!name.is_empty()).then(|| name.to_string()), Some(n));
        }
    }
    // busybox -m: `Class 0600`; pciutils unknown device: `Device 5089`.
    if let Some(n) = v.strip_prefix("Class ").and_then(|c| hex_n(c, digits)) {
        return (None, Some(n));
    }
    (Some(v.to_string()), None)
}

fn set_class(d: &mut Device, v: &str, n: &mut PciNames) {
    let (name, num) = name_num(v, 4);
    if let Some(c) = num {
        d.class = Some(c >> 8);
        d.subclass = Some(c & 0xff);
    } else {
        n.class = name.clone();
    }
    d.class_name = name;
}

/// Keep the names of fields that had no number, for the pci.ids lookup.
fn keep_names(out: &mut Parsed, mut n: PciNames, line: usize) {
    if n.class.is_some() || n.vendor.is_some() || n.device.is_some() || n.subvendor.is_some() {
        n.dev = out.devices.len();
        n.line = line;
        out.pci_names.push(n);
    }
}

/// Split a `-mm` line after the slot into tokens: quoted strings and options.
fn tokens(s: &str) -> Option<Vec<(bool, String)>> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.peek() == Some(&' ') {
            it.next();
        }
        match it.peek() {
            None => return Some(out),
            Some('"') => {
                it.next();
                let mut t = String::new();
                loop {
                    match it.next()? {
                        '"' => break,
                        '\\' => t.push(it.next()?),
                        c => t.push(c),
                    }
                }
                out.push((true, t));
            }
            Some(_) => {
                let mut t = String::new();
                while let Some(&c) = it.peek() {
                    if c == ' ' {
                        break;
                    }
                    t.push(c);
                    it.next();
                }
                out.push((false, t));
            }
        }
    }
}

pub(crate) fn parse_mm(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let Some((slot, rest)) = line.split_once(' ') else {
            out.bad_line(no, line);
            continue;
        };
        let (Some(slot), Some(toks)) = (norm_pci_slot(slot), tokens(rest)) else {
            out.bad_line(no, line);
            continue;
        };
        let quoted: Vec<&str> = toks.iter().filter(|t| t.0).map(|t| t.1.as_str()).collect();
        if quoted.len() < 3 {
            out.bad_line(no, line);
            continue;
        }
        let mut d = Device::new(Bus::Pci, slot);
        d.sources.push(format!("{src}:{no}"));
        let mut names = PciNames::default();
        set_class(&mut d, quoted[0], &mut names);
        let (vn, v) = name_num(quoted[1], 4);
        let (dn, dv) = name_num(quoted[2], 4);
        d.vendor = v;
        d.device = dv;
        if v.is_none() || dv.is_none() {
            names.vendor = vn.clone();
            names.device = dn.clone();
        }
        d.name = match (vn, dn) {
            (Some(a), Some(b)) => Some(format!("{a} {b}")),
            (a, b) => a.or(b),
        };
        for (q, t) in toks.iter().filter(|t| !t.0) {
            let _ = q;
            if let Some(r) = t.strip_prefix("-r").and_then(|r| hex_n(r, 2)) {
                d.revision = Some(r);
            } else if let Some(p) = t.strip_prefix("-p").and_then(|p| hex_n(p, 2)) {
                d.prog_if = Some(p);
            }
        }
        if let Some(sv) = quoted.get(3) {
            let (n, v) = name_num(sv, 4);
            d.subvendor = v;
            if let Some(n) = n {
                if v.is_none() {
                    names.subvendor = Some(n.clone());
                }
                d.attrs.insert("subsystem_vendor".into(), n);
            }
        }
        if let Some(sd) = quoted.get(4) {
            let (n, v) = name_num(sd, 4);
            d.subdevice = v;
            if let Some(n) = n {
                if d.subvendor.is_none() {
                    names.subdevice = Some(n.clone());
                }
                d.attrs.insert("subsystem".into(), n);
            }
        }
        // busybox `lspci -mk`: the driver is a sixth quoted field.
        if let Some(drv) = quoted.get(5).filter(|s| !s.is_empty()) {
            d.driver = Some(drv.to_string());
        }
        keep_names(&mut out, names, no);
        out.devices.push(d);
    }
    out
}

pub(crate) fn parse_vmm(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut cur: Option<Device> = None;
    let mut names: (Option<String>, Option<String>) = (None, None);
    let mut pn = PciNames::default();
    let mut slot_no = 0;
    let flush = |cur: &mut Option<Device>,
                 names: &mut (Option<String>, Option<String>),
                 pn: &mut PciNames,
                 slot_no: usize,
                 out: &mut Parsed| {
        if let Some(mut d) = cur.take() {
            d.name = match names.clone() {
                (Some(a), Some(b)) => Some(format!("{a} {b}")),
                (a, b) => a.or(b),
            };
            if d.vendor.is_none() || d.device.is_none() {
                pn.vendor = names.0.clone();
                pn.device = names.1.clone();
            }
            if d.subvendor.is_some() {
                pn.subvendor = None;
                pn.subdevice = None;
            }
            keep_names(out, std::mem::take(pn), slot_no);
            out.devices.push(d);
        }
        *names = (None, None);
        *pn = PciNames::default();
    };
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let Some((k, v)) = line.split_once(':') else {
            out.bad_line(no, line);
            continue;
        };
        let v = v.trim();
        if k == "Slot" {
            flush(&mut cur, &mut names, &mut pn, slot_no, &mut out);
            slot_no = no;
            match norm_pci_slot(v) {
                Some(slot) => {
                    let mut d = Device::new(Bus::Pci, slot);
                    d.sources.push(format!("{src}:{no}"));
                    cur = Some(d);
                }
                None => out.bad_line(no, line),
            }
            continue;
        }
        let Some(d) = cur.as_mut() else {
            out.bad_line(no, line);
            continue;
        };
        match k {
            "Class" => set_class(d, v, &mut pn),
            "Vendor" => {
                let (n, x) = name_num(v, 4);
                d.vendor = x;
                names.0 = n;
            }
            "Device" => {
                let (n, x) = name_num(v, 4);
                d.device = x;
                names.1 = n;
            }
            "SVendor" => {
                let (n, x) = name_num(v, 4);
                d.subvendor = x;
                if let Some(n) = n {
                    pn.subvendor = Some(n.clone());
                    d.attrs.insert("subsystem_vendor".into(), n);
                }
            }
            "SDevice" => {
                let (n, x) = name_num(v, 4);
                d.subdevice = x;
                if let Some(n) = n {
                    pn.subdevice = Some(n.clone());
                    d.attrs.insert("subsystem".into(), n);
                }
            }
            "Rev" => d.revision = hex_n(v, 2),
            "ProgIf" => d.prog_if = hex_n(v, 2),
            "Driver" if !v.is_empty() => d.driver = Some(v.to_string()),
            "Module" => {
                if !v.is_empty() && !d.modules.iter().any(|m| m == v) {
                    d.modules.push(v.to_string());
                }
            }
            "PhySlot" => {
                d.attrs.insert("physical_slot".into(), v.to_string());
            }
            "NUMANode" => {
                d.attrs.insert("numa_node".into(), v.to_string());
            }
            "IOMMUGroup" => {
                d.attrs.insert("iommu_group".into(), v.to_string());
            }
            _ if k.chars().all(|c| c.is_ascii_alphanumeric()) => {}
            _ => out.bad_line(no, line),
        }
    }
    flush(&mut cur, &mut names, &mut pn, slot_no, &mut out);
    out
}
