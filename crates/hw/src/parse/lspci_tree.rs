//! `lspci -t` / `-tv` / `-tvnn`: the bus topology. Gives every device its
//! parent bridge.
//!
//! ```text
//! -+-[0000:00]-+-00.0
//!  |           +-1c.0-[02]----00.0  Realtek ... [10ec:525a]
//!  |           +-1d.0-[03-04]----00.0-[04]----00.0
//!  \-[0001:00]---00.0
//! ```
//! A device token `dd.f` at column c sits on the bus that was opened for column
//! c: by a root `[dddd:bb]` or a bridge's `-[bb]` / `-[bb-ss]`.

use super::{hex_n, id_pair, is_noise, numbered, trailing_bracket, Parsed, PciNames};
use crate::model::{Bus, Device};
use std::collections::BTreeMap;

#[derive(Clone)]
struct Ctx {
    domain: u32,
    bus: u32,
    parent: Option<String>,
}

/// `dd.f` at the start of `s`.
fn dev_token(s: &[u8]) -> Option<(u32, u32)> {
    if s.len() >= 4 && s[2] == b'.' && s[0].is_ascii_hexdigit() && s[1].is_ascii_hexdigit() {
        let f = s[3];
        if (b'0'..=b'7').contains(&f) && s.get(4).is_none_or(|c| !c.is_ascii_alphanumeric()) {
            let d = u32::from_str_radix(std::str::from_utf8(&s[..2]).ok()?, 16).ok()?;
            return Some((d, (f - b'0') as u32));
        }
    }
    None
}

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    // Column of a child token → bus context.
    let mut ctx: BTreeMap<usize, Ctx> = BTreeMap::new();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let b = line.as_bytes();
        let mut i = 0;
        let mut pending: Option<Ctx> = None; // bus opened on this line, for the next token
        let mut found = false;
        let mut ok = true;
        while i < b.len() {
            let c = b[i];
            match c {
                b' ' | b'|' | b'+' | b'\\' | b'-' => {
                    i += 1;
                }
                b'[' => {
                    let Some(end) = line[i..].find(']').map(|e| e + i) else {
                        ok = false;
                        break;
                    };
                    let inner = &line[i + 1..end];
                    // Root: `[dddd:bb]`; bridge: `[bb]` or `[bb-ss]`.
                    if let Some((dom, bus)) = inner.split_once(':') {
                        match (u32::from_str_radix(dom, 16), hex_n(bus, 2)) {
                            (Ok(d), Some(bb)) if dom.len() >= 4 => {
                                pending = Some(Ctx {
                                    domain: d,
                                    bus: bb,
                                    parent: None,
                                })
                            }
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                    } else {
                        ok = false;
                        break;
                    }
                    i = end + 1;
                }
                _ => {
                    let Some((dev, func)) = dev_token(&b[i..]) else {
                        ok = false;
                        break;
                    };
                    found = true;
                    // Which bus: one opened on this line, else the column's.
                    let here = match pending.take() {
                        Some(p) => {
                            drop(ctx.split_off(&i));
                            ctx.insert(i, p.clone());
                            p
                        }
                        None => match ctx.get(&i) {
                            Some(p) => {
                                let p = p.clone();
                                drop(ctx.split_off(&(i + 1)));
                                p
                            }
                            None => {
                                ok = false;
                                break;
                            }
                        },
                    };
                    let addr = format!("{:04x}:{:02x}:{:02x}.{}", here.domain, here.bus, dev, func);
                    let mut d = Device::new(Bus::Pci, addr.clone());
                    d.parent = here.parent.clone();
                    d.sources.push(format!("{src}:{no}"));
                    i += 4;
                    // Bridge: `-[bb]` or `-[bb-ss]`, then its children.
                    if line[i..].starts_with("-[") {
                        let Some(end) = line[i..].find(']').map(|e| e + i) else {
                            ok = false;
                            break;
                        };
                        let inner = &line[i + 2..end];
                        let (sec, sub) = inner.split_once('-').unwrap_or((inner, inner));
                        match (hex_n(sec, 2), hex_n(sub, 2)) {
                            (Some(s), Some(_)) => {
                                d.attrs.insert("secondary".into(), sec.to_ascii_lowercase());
                                d.attrs.insert("subordinate".into(), sub.to_ascii_lowercase());
                                pending = Some(Ctx {
                                    domain: here.domain,
                                    bus: s,
                                    parent: Some(addr),
                                });
                            }
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                        i = end + 1;
                        out.devices.push(d);
                        continue;
                    }
                    // `-tv`: two spaces and the name (rest of the line).
                    if line[i..].starts_with("  ") {
                        let mut name = line[i..].trim();
                        if let Some((n, ids)) = trailing_bracket(name) {
                            if let Some((v, dv)) = id_pair(ids) {
                                d.vendor = Some(v);
                                d.device = Some(dv);
                                name = n;
                            }
                        }
                        if !name.is_empty() {
                            d.name = Some(name.to_string());
                            if d.vendor.is_none() {
                                out.pci_names.push(PciNames {
                                    dev: out.devices.len(),
                                    line: no,
                                    vendor_device: Some(name.to_string()),
                                    ..PciNames::default()
                                });
                            }
                        }
                        i = b.len();
                    }
                    out.devices.push(d);
                }
            }
        }
        if !ok || !found && pending.is_none() {
            out.bad_line(no, line);
        }
    }
    out
}
