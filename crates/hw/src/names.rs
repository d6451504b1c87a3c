//! Names become IDs: listings printed without `-n` name vendors, devices,
//! subsystems and classes from pci.ids (usb.ids for `lsusb -t` classes);
//! the reverse lookup in the same database gives the numbers back. A name
//! that fits several entries is a warning with every candidate, never a
//! guess: only what all candidates agree on (the vendor, the base class) is
//! kept. Without a database the class names still map through the PCI
//! spec's class table ([`crate::parse::pci_classes`]).

use crate::ids::{self, IdsDb, IdsKind};
use crate::input::Notes;
use crate::parse::{pci_classes, Parsed};
use crate::Options;

fn list(c: &[(u16, Option<u16>)]) -> String {
    c.iter()
        .map(|(a, b)| match b {
            Some(b) => format!("{a:04x}:{b:04x}"),
            None => format!("{a:04x}:?"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn db_label(db: &IdsDb) -> String {
    match &db.version {
        Some(v) => format!("{} ({v})", db.path.display()),
        None => db.path.display().to_string(),
    }
}

/// Fill ids from names in `p` (lspci without `-n`, `lsusb -t` class names).
/// The databases are loaded only when `p` has names to look up.
pub(crate) fn resolve(p: &mut Parsed, opts: &Options, notes: &mut Notes) -> Result<(), crate::Error> {
    if !p.pci_names.is_empty() {
        let db = ids::find(IdsKind::Pci, opts.pci_ids.as_deref())?;
        resolve_pci(p, db.as_deref(), notes);
    }
    if !p.usb_class_names.is_empty() {
        let db = ids::find(IdsKind::Usb, opts.usb_ids.as_deref())?;
        resolve_usb_classes(p, db.as_deref(), notes);
    }
    Ok(())
}

fn resolve_pci(p: &mut Parsed, db: Option<&IdsDb>, notes: &mut Notes) {
    let names = std::mem::take(&mut p.pci_names);
    let needs_db = names.iter().any(|n| {
        n.vendor_device.is_some() || n.vendor.is_some() || n.subsystem.is_some() || n.subvendor.is_some()
    });
    if db.is_none() && needs_db {
        let first = names
            .iter()
            .find(|n| n.vendor_device.is_some() || n.vendor.is_some());
        notes.add(
            first.map_or(0, |n| n.line),
            "devices named without ids and no pci.ids found (install Debian's pci.ids \
             package, or pass --pci-ids FILE): their ids stay unknown",
        );
    }
    for n in names {
        let Some(d) = p.devices.get_mut(n.dev) else {
            continue;
        };
        // Class.
        if d.class.is_none() {
            if let Some(cn) = &n.class {
                let mut cands: Vec<(u8, Option<u8>)> = db.map(|db| db.classes_named(cn)).unwrap_or_default();
                if cands.is_empty() {
                    if let Some((c, s)) = pci_classes::class_of_name(cn) {
                        cands.push((c as u8, s.map(|s| s as u8)));
                    }
                }
                match cands.as_slice() {
                    [(c, s)] => {
                        d.class = Some(*c as u32);
                        d.subclass = s.map(|s| s as u32);
                    }
                    [] => notes.add(n.line, format!("class name {cn:?} not in pci.ids: class unknown")),
                    many => {
                        let c0 = many[0].0;
                        if many.iter().all(|x| x.0 == c0) {
                            d.class = Some(c0 as u32);
                        }
                        notes.add(n.line, format!("class name {cn:?} is ambiguous: {many:02x?}"));
                    }
                }
            }
        }
        if d.prog_if.is_none() {
            if let (Some(pn), Some(db), Some(c), Some(s)) = (&n.prog_if, db, d.class, d.subclass) {
                if let [x] = db.progifs_named(c as u8, s as u8, pn) {
                    d.prog_if = Some(*x as u32);
                }
            }
        }
        let Some(db) = db else { continue };
        // Vendor and device.
        let mut dev_cands: Vec<(u16, Option<u16>)> = Vec::new();
        let label = n.vendor_device.clone().or_else(|| match (&n.vendor, &n.device) {
            (Some(v), Some(x)) => Some(format!("{v} {x}")),
            (Some(v), None) => Some(v.clone()),
            _ => None,
        });
        if d.vendor.is_none() || d.device.is_none() {
            if let Some(s) = &n.vendor_device {
                dev_cands = db.split_vendor_product(s);
            } else if let Some(v) = &n.vendor {
                let vids: Vec<u16> = match v
                    .strip_prefix("Vendor ")
                    .and_then(|x| u16::from_str_radix(x, 16).ok())
                {
                    Some(x) if v.len() == 11 => vec![x],
                    _ => db.vendors_named(v).to_vec(),
                };
                for v in vids {
                    let ps = match &n.device {
                        Some(x) => db.products_named(v, x),
                        None => Vec::new(),
                    };
                    if ps.is_empty() {
                        dev_cands.push((v, None));
                    }
                    dev_cands.extend(ps.into_iter().map(|p| (v, Some(p))));
                }
                if dev_cands.iter().any(|c| c.1.is_some()) {
                    dev_cands.retain(|c| c.1.is_some());
                }
            }
            // Several devices of that name: the subsystem entry may tell.
            if dev_cands.len() > 1 && (n.subsystem.is_some() || n.subvendor.is_some()) {
                let narrowed: Vec<(u16, Option<u16>)> = dev_cands
                    .iter()
                    .copied()
                    .filter(|&(v, x)| {
                        x.is_some_and(|x| {
                            db.device_has_subsystem(
                                v,
                                x,
                                n.subsystem.as_deref(),
                                n.subvendor.as_deref(),
                                n.subdevice.as_deref(),
                            )
                        })
                    })
                    .collect();
                if !narrowed.is_empty() {
                    dev_cands = narrowed;
                }
            }
            let label = label.clone().unwrap_or_default();
            match dev_cands.as_slice() {
                [] => notes.add(
                    n.line,
                    format!("{label:?} not found in {}: ids unknown", db_label(db)),
                ),
                [(v, x)] => {
                    d.vendor = Some(*v as u32);
                    d.device = x.map(|x| x as u32);
                    if x.is_none() {
                        notes.add(
                            n.line,
                            format!(
                                "{label:?}: vendor {v:04x}, device not in {}: device id unknown",
                                db_label(db)
                            ),
                        );
                    }
                }
                many => {
                    let v0 = many[0].0;
                    if many.iter().all(|c| c.0 == v0) {
                        d.vendor = Some(v0 as u32);
                    }
                    // All of them, for a resolver that can check each (not a guess).
                    let full: Vec<String> = many
                        .iter()
                        .filter_map(|&(v, x)| Some(format!("{v:04x}:{:04x}", x?)))
                        .collect();
                    if !full.is_empty() {
                        d.attrs.insert("id_candidates".into(), full.join(" "));
                    }
                    notes.add(
                        n.line,
                        format!(
                            "{label:?} is ambiguous in {}, candidates {}: device id left unknown",
                            db_label(db),
                            list(many)
                        ),
                    );
                }
            }
        }
        // Subsystem.
        if d.subvendor.is_none() && (n.subsystem.is_some() || n.subvendor.is_some()) {
            let dev = match (d.vendor, d.device) {
                (Some(v), Some(x)) => Some((v as u16, x as u16)),
                _ => None,
            };
            let cands = db.subsystems_named(
                dev,
                n.subsystem.as_deref(),
                n.subvendor.as_deref(),
                n.subdevice.as_deref(),
            );
            let sname = n.subsystem.clone().unwrap_or_else(|| {
                format!(
                    "{} {}",
                    n.subvendor.as_deref().unwrap_or(""),
                    n.subdevice.as_deref().unwrap_or("")
                )
            });
            match cands.as_slice() {
                [(sv, sd)] => {
                    d.subvendor = Some(*sv as u32);
                    d.subdevice = sd.map(|x| x as u32);
                }
                [] => notes.add(
                    n.line,
                    format!("subsystem {sname:?} not found in pci.ids: unknown"),
                ),
                many => {
                    let v0 = many[0].0;
                    if many.iter().all(|c| c.0 == v0) {
                        d.subvendor = Some(v0 as u32);
                    }
                    // "Red Hat, Inc. Device 0005": the vendor name is 1af4's,
                    // 1b36's and 6900's, but the subsystem id is 0005 in
                    // every case (virtio-pci reads the device type there).
                    let s0 = many[0].1;
                    if s0.is_some() && many.iter().all(|c| c.1 == s0) {
                        d.subdevice = s0.map(u32::from);
                    }
                    // All of them, for a resolver that can check each.
                    let full: Vec<String> = many
                        .iter()
                        .filter_map(|&(v, x)| Some(format!("{v:04x}:{:04x}", x?)))
                        .collect();
                    if full.len() == many.len() {
                        d.attrs.insert("subsystem_candidates".into(), full.join(" "));
                    }
                    notes.add(
                        n.line,
                        format!("subsystem {sname:?} is ambiguous, candidates {}", list(many)),
                    );
                }
            }
        }
    }
}

/// `lsusb -t` class names (`Class=Human Interface Device`) → interface class
/// codes, through usb.ids' class section.
fn resolve_usb_classes(p: &mut Parsed, db: Option<&IdsDb>, notes: &mut Notes) {
    for (i, line, name) in std::mem::take(&mut p.usb_class_names) {
        let Some(d) = p.devices.get_mut(i) else { continue };
        if d.class.is_some() {
            continue;
        }
        let Some(db) = db else {
            notes.add(
                line,
                "USB class names without usb.ids (install Debian's usb.ids package): class unknown",
            );
            continue;
        };
        let cands = db.classes_named(&name);
        let bases: Vec<u8> = cands.iter().filter(|c| c.1.is_none()).map(|c| c.0).collect();
        match bases.as_slice() {
            [c] => d.class = Some(*c as u32),
            [] => notes.add(line, format!("USB class {name:?} not in usb.ids: class unknown")),
            many => notes.add(line, format!("USB class {name:?} is ambiguous: {many:02x?}")),
        }
    }
}
