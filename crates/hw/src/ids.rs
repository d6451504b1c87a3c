//! The pci.ids / usb.ids databases (same layout), read for the reverse
//! lookup of names: listings printed without `-n` (plain `lspci`, `-v`,
//! `-k`, `-mm`, `lsusb -t`) name vendors, devices, subsystems and classes the
//! way pciutils/usbutils print them from these files; here the names become
//! IDs again. Nothing is guessed: a name matching several entries gives all
//! of them as candidates.
//!
//! ```text
//! vvvv  Vendor name
//! \tdddd  Device name
//! \t\tssss ssss  Subsystem name        (pci.ids only)
//! C cc  Class name
//! \tss  Subclass name
//! \t\tpp  Programming interface name
//! ```
//! Other top-level sections of usb.ids (`AT`, `HID`, `L`, ...) are skipped.
//! Parsing is one pass over the lines with hash maps (Debian's 1.3 MB
//! pci.ids: a few milliseconds); a database is loaded once per process and
//! only when a listing needs it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Where the databases are looked for, in order (Debian's `pci.ids` and
/// `usb.ids` packages, hwdata, older pciutils/usbutils).
pub const PCI_IDS_PATHS: &[&str] = &[
    "/usr/share/misc/pci.ids",
    "/usr/share/hwdata/pci.ids",
    "/usr/share/pci.ids",
    "/var/lib/pciutils/pci.ids",
    "/usr/local/share/pci.ids",
];
pub const USB_IDS_PATHS: &[&str] = &[
    "/usr/share/misc/usb.ids",
    "/usr/share/hwdata/usb.ids",
    "/var/lib/usbutils/usb.ids",
    "/usr/share/usb.ids",
    "/usr/local/share/usb.ids",
];

/// Largest database accepted (Debian's pci.ids is 1.3 MB).
const MAX_IDS_SIZE: u64 = 32 << 20;

#[derive(Debug, Default)]
struct Product {
    id: u16,
    name: String,
    /// (subvendor, subdevice, subsystem name)
    subsystems: Vec<(u16, u16, String)>,
}

#[derive(Debug, Default)]
struct Vendor {
    name: String,
    products: Vec<Product>,
    by_name: HashMap<String, Vec<usize>>,
}

/// One parsed ids file.
#[derive(Debug, Default)]
pub struct IdsDb {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its `Version:` comment, if any.
    pub version: Option<String>,
    vendors: HashMap<u16, Vendor>,
    vendor_by_name: HashMap<String, Vec<u16>>,
    class_by_name: HashMap<String, Vec<u8>>,
    subclass_by_name: HashMap<String, Vec<(u8, u8)>>,
    progif_by_name: HashMap<(u8, u8, String), Vec<u8>>,
    /// Longest vendor name: prefixes longer than it are not tried.
    max_vendor_len: usize,
}

fn hex(s: &str, n: usize) -> Option<u16> {
    (s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit()))
        .then(|| u16::from_str_radix(s, 16).ok())
        .flatten()
}

/// `ID  name` with the id of `n` hex digits.
fn id_name(s: &str, n: usize) -> Option<(u16, &str)> {
    let (id, name) = s.split_once(' ')?;
    Some((hex(id, n)?, name.trim()))
}

fn push<K: std::hash::Hash + Eq, V: PartialEq>(m: &mut HashMap<K, Vec<V>>, k: K, v: V) {
    let e = m.entry(k).or_default();
    if !e.contains(&v) {
        e.push(v);
    }
}

impl IdsDb {
    /// Parse the text of a pci.ids or usb.ids file. Lines it does not
    /// understand are skipped (the format has grown sections over the years).
    pub fn parse(text: &str, path: &Path) -> IdsDb {
        #[derive(PartialEq)]
        enum Sec {
            Vendor,
            Class,
            Other,
        }
        let mut db = IdsDb {
            path: path.to_path_buf(),
            ..IdsDb::default()
        };
        let mut sec = Sec::Other;
        let mut vendor: Option<u16> = None;
        let mut class: Option<u8> = None;
        let mut subclass: Option<u8> = None;
        for line in text.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if let Some(c) = line.strip_prefix('#') {
                if db.version.is_none() {
                    if let Some(v) = c.trim().strip_prefix("Version:") {
                        db.version = Some(v.trim().to_string());
                    }
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            if let Some(r) = line.strip_prefix("\t\t") {
                match sec {
                    Sec::Vendor => {
                        // `ssss ssss  name` under a device (pci.ids).
                        let Some(prod) = vendor
                            .and_then(|v| db.vendors.get_mut(&v))
                            .and_then(|p| p.products.last_mut())
                        else {
                            continue;
                        };
                        let mut it = r.splitn(3, ' ');
                        if let (Some(a), Some(b), Some(n)) = (it.next(), it.next(), it.next()) {
                            if let (Some(a), Some(b)) = (hex(a, 4), hex(b, 4)) {
                                prod.subsystems.push((a, b, n.trim().to_string()));
                            }
                        }
                    }
                    Sec::Class => {
                        if let (Some(c), Some(s), Some((p, n))) = (class, subclass, id_name(r, 2)) {
                            push(&mut db.progif_by_name, (c, s, n.to_string()), p as u8);
                        }
                    }
                    Sec::Other => {}
                }
                continue;
            }
            if let Some(r) = line.strip_prefix('\t') {
                match sec {
                    Sec::Vendor => {
                        let Some(v) = vendor.and_then(|v| db.vendors.get_mut(&v)) else {
                            continue;
                        };
                        if let Some((id, name)) = id_name(r, 4) {
                            let i = v.products.len();
                            v.products.push(Product {
                                id,
                                name: name.to_string(),
                                subsystems: Vec::new(),
                            });
                            v.by_name.entry(name.to_string()).or_default().push(i);
                        }
                    }
                    Sec::Class => {
                        if let (Some(c), Some((s, n))) = (class, id_name(r, 2)) {
                            subclass = Some(s as u8);
                            push(&mut db.subclass_by_name, n.to_string(), (c, s as u8));
                        } else {
                            subclass = None;
                        }
                    }
                    Sec::Other => {}
                }
                continue;
            }
            // Top level: a vendor, a class, or another section.
            if let Some(r) = line.strip_prefix("C ") {
                sec = Sec::Class;
                subclass = None;
                class = id_name(r, 2).map(|(c, n)| {
                    push(&mut db.class_by_name, n.to_string(), c as u8);
                    c as u8
                });
                continue;
            }
            if let Some((id, name)) = id_name(line, 4) {
                sec = Sec::Vendor;
                vendor = Some(id);
                db.vendors.entry(id).or_insert_with(|| Vendor {
                    name: name.to_string(),
                    ..Vendor::default()
                });
                push(&mut db.vendor_by_name, name.to_string(), id);
                db.max_vendor_len = db.max_vendor_len.max(name.len());
                continue;
            }
            sec = Sec::Other;
            vendor = None;
            class = None;
        }
        db
    }

    /// Number of vendors (for reports and tests).
    pub fn vendor_count(&self) -> usize {
        self.vendors.len()
    }

    /// Vendor ids with exactly this name.
    pub fn vendors_named(&self, name: &str) -> &[u16] {
        self.vendor_by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The vendor's name.
    pub fn vendor_name(&self, v: u16) -> Option<&str> {
        self.vendors.get(&v).map(|x| x.name.as_str())
    }

    /// The product's name.
    pub fn product_name(&self, v: u16, d: u16) -> Option<&str> {
        self.vendors
            .get(&v)?
            .products
            .iter()
            .find(|p| p.id == d)
            .map(|p| p.name.as_str())
    }

    /// Product ids of vendor `v` with exactly this name, or `Device XXXX`
    /// (how pciutils prints a product pci.ids does not know).
    pub fn products_named(&self, v: u16, name: &str) -> Vec<u16> {
        if let Some(d) = name.strip_prefix("Device ").and_then(|x| hex(x, 4)) {
            return vec![d];
        }
        let Some(ven) = self.vendors.get(&v) else {
            return Vec::new();
        };
        let mut out: Vec<u16> = Vec::new();
        for &i in ven.by_name.get(name).map(Vec::as_slice).unwrap_or(&[]) {
            let id = ven.products[i].id;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }

    /// `Vendor Product` as lspci prints it without `-n` → every (vendor,
    /// product) it can be. When no product matches, the vendors the text
    /// starts with, with `None` (the product is newer than this database or
    /// renamed). Longer vendor names win over shorter ones that are prefixes.
    pub fn split_vendor_product(&self, s: &str) -> Vec<(u16, Option<u16>)> {
        let mut full: Vec<(u16, Option<u16>)> = Vec::new();
        let mut vendor_only: Vec<(usize, u16)> = Vec::new();
        for (i, _) in s
            .match_indices(' ')
            .take_while(|(i, _)| *i <= self.max_vendor_len)
        {
            let (prefix, rest) = (&s[..i], &s[i + 1..]);
            let vids = self.vendors_named(prefix);
            for &v in vids {
                let ps = self.products_named(v, rest);
                if ps.is_empty() {
                    vendor_only.push((i, v));
                }
                for p in ps {
                    if !full.contains(&(v, Some(p))) {
                        full.push((v, Some(p)));
                    }
                }
            }
        }
        if !full.is_empty() {
            return full;
        }
        let Some(longest) = vendor_only.iter().map(|x| x.0).max() else {
            return Vec::new();
        };
        vendor_only
            .into_iter()
            .filter(|x| x.0 == longest)
            .map(|x| (x.1, None))
            .collect()
    }

    /// Subsystem ids from the name lspci prints for them. `combined`: `-v`'s
    /// `Subvendor Subsystem` (or `Subvendor Device XXXX`, `Device VVVV:DDDD`);
    /// otherwise `subvendor` and `subdevice` are `-mm`'s separate fields. The
    /// device (vendor, product) narrows the per-device subsystem entries.
    pub fn subsystems_named(
        &self,
        dev: Option<(u16, u16)>,
        combined: Option<&str>,
        subvendor: Option<&str>,
        subdevice: Option<&str>,
    ) -> Vec<(u16, Option<u16>)> {
        fn add(out: &mut Vec<(u16, Option<u16>)>, x: (u16, Option<u16>)) {
            if !out.contains(&x) {
                out.push(x)
            }
        }
        let mut out: Vec<(u16, Option<u16>)> = Vec::new();
        let try_pair = |sv: u16, rest: &str, out: &mut Vec<(u16, Option<u16>)>| -> bool {
            if let Some(sd) = rest.strip_prefix("Device ").and_then(|x| hex(x, 4)) {
                add(out, (sv, Some(sd)));
                return true;
            }
            let mut found = false;
            if let Some((v, d)) = dev {
                if let Some(p) = self
                    .vendors
                    .get(&v)
                    .and_then(|x| x.products.iter().find(|p| p.id == d))
                {
                    for (a, b, n) in &p.subsystems {
                        if *a == sv && n == rest {
                            add(out, (sv, Some(*b)));
                            found = true;
                        }
                    }
                    // pciutils: a subsystem equal to the device is named like it.
                    if !found && sv == v && p.name == rest {
                        add(out, (sv, Some(d)));
                        found = true;
                    }
                }
            }
            found
        };
        if let Some(s) = combined {
            if let Some((a, b)) = s.strip_prefix("Device ").and_then(|x| x.split_once(':')) {
                if let (Some(a), Some(b)) = (hex(a, 4), hex(b, 4)) {
                    return vec![(a, Some(b))];
                }
            }
            let mut vendor_only: Vec<(usize, u16)> = Vec::new();
            for (i, _) in s
                .match_indices(' ')
                .take_while(|(i, _)| *i <= self.max_vendor_len)
            {
                for &sv in self.vendors_named(&s[..i]) {
                    if !try_pair(sv, &s[i + 1..], &mut out) {
                        vendor_only.push((i, sv));
                    }
                }
            }
            if out.is_empty() {
                if let Some(longest) = vendor_only.iter().map(|x| x.0).max() {
                    for (_, sv) in vendor_only.into_iter().filter(|x| x.0 == longest) {
                        add(&mut out, (sv, None));
                    }
                }
            }
            return out;
        }
        let svs: Vec<u16> = match subvendor {
            Some(n) => match n.strip_prefix("Vendor ").and_then(|x| hex(x, 4)) {
                Some(v) => vec![v],
                None => self.vendors_named(n).to_vec(),
            },
            None => return out,
        };
        for sv in svs {
            let found = match subdevice {
                Some(sd) => try_pair(sv, sd, &mut out),
                None => false,
            };
            if !found {
                add(&mut out, (sv, None));
            }
        }
        out
    }

    /// Does pci.ids name this subsystem under device (v, d) itself (a
    /// per-device entry, or the subsystem equal to the device)? Used to
    /// narrow a device name that several ids share.
    pub fn device_has_subsystem(
        &self,
        v: u16,
        d: u16,
        combined: Option<&str>,
        subvendor: Option<&str>,
        subdevice: Option<&str>,
    ) -> bool {
        let Some(p) = self
            .vendors
            .get(&v)
            .and_then(|x| x.products.iter().find(|p| p.id == d))
        else {
            return false;
        };
        let is = |sv: u16, name: &str| match (combined, subvendor, subdevice) {
            (Some(c), _, _) => self.vendor_name(sv).is_some_and(|vn| {
                c.len() == vn.len() + 1 + name.len() && c.starts_with(vn) && c.ends_with(name)
            }),
            (None, Some(a), Some(b)) => self.vendor_name(sv) == Some(a) && b == name,
            _ => false,
        };
        p.subsystems.iter().any(|(a, _, n)| is(*a, n)) || is(v, &p.name)
    }

    /// (class, subclass) of a name lspci prints for the class (the subclass
    /// name when pci.ids has one); base-class names give (class, None).
    pub fn classes_named(&self, name: &str) -> Vec<(u8, Option<u8>)> {
        let mut out: Vec<(u8, Option<u8>)> = self
            .subclass_by_name
            .get(name)
            .map(|v| v.iter().map(|&(c, s)| (c, Some(s))).collect())
            .unwrap_or_default();
        if out.is_empty() {
            if let Some(cs) = self.class_by_name.get(name) {
                out.extend(cs.iter().map(|&c| (c, None)));
            }
        }
        out
    }

    /// Programming interface ids of `class`/`subclass` with this name.
    pub fn progifs_named(&self, class: u8, subclass: u8, name: &str) -> &[u8] {
        self.progif_by_name
            .get(&(class, subclass, name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdsKind {
    Pci,
    Usb,
}

impl IdsKind {
    pub fn file_name(self) -> &'static str {
        match self {
            IdsKind::Pci => "pci.ids",
            IdsKind::Usb => "usb.ids",
        }
    }
    fn defaults(self) -> &'static [&'static str] {
        match self {
            IdsKind::Pci => PCI_IDS_PATHS,
            IdsKind::Usb => USB_IDS_PATHS,
        }
    }
}

type Cache = Mutex<HashMap<PathBuf, Arc<IdsDb>>>;

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Load (once per process) the database at `path`.
pub fn load(path: &Path) -> std::io::Result<Arc<IdsDb>> {
    if let Some(db) = cache().lock().ok().and_then(|c| c.get(path).cloned()) {
        return Ok(db);
    }
    let text = crate::input::read_file_limited(path, MAX_IDS_SIZE)?;
    let db = Arc::new(IdsDb::parse(&text, path));
    if let Ok(mut c) = cache().lock() {
        c.insert(path.to_path_buf(), db.clone());
    }
    Ok(db)
}

/// The database to use: the given file (an error if unreadable), else the
/// first default location that exists; `Ok(None)` when there is none.
pub fn find(kind: IdsKind, given: Option<&Path>) -> Result<Option<Arc<IdsDb>>, crate::Error> {
    if let Some(p) = given {
        return load(p).map(Some).map_err(|e| crate::Error::Io {
            path: p.to_path_buf(),
            source: e,
        });
    }
    for p in kind.defaults() {
        let p = Path::new(p);
        if p.is_file() {
            if let Ok(db) = load(p) {
                return Ok(Some(db));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Version: 2099.01.01\n\
1234  Acme, Inc.\n\
\t0001  Widget Controller\n\
\t\t1234 0001  Widget Controller\n\
\t\tabcd 0002  Board Two\n\
\t0002  Widget Controller\n\
\t0003  Gizmo [rev B]\n\
1235  Acme, Inc. Labs\n\
\t0001  Thing\n\
abcd  Boards Ltd\n\
C 02  Network controller\n\
\t00  Ethernet controller\n\
\t80  Network controller\n\
C 0c  Serial bus controller\n\
\t03  USB controller\n\
\t\t30  XHCI\n\
AT 0001  Not a vendor\n";

    fn db() -> IdsDb {
        IdsDb::parse(SAMPLE, Path::new("sample"))
    }

    #[test]
    fn vendor_product_split_and_ambiguity() {
        let db = db();
        assert_eq!(db.version.as_deref(), Some("2099.01.01"));
        assert_eq!(
            db.split_vendor_product("Acme, Inc. Gizmo [rev B]"),
            [(0x1234, Some(3))]
        );
        // Two products share a name: both are candidates.
        assert_eq!(
            db.split_vendor_product("Acme, Inc. Widget Controller"),
            [(0x1234, Some(1)), (0x1234, Some(2))]
        );
        // The longer vendor name that is also a prefix.
        assert_eq!(
            db.split_vendor_product("Acme, Inc. Labs Thing"),
            [(0x1235, Some(1))]
        );
        assert_eq!(
            db.split_vendor_product("Acme, Inc. Device 0abc"),
            [(0x1234, Some(0xabc))]
        );
        // Unknown product: vendor only (longest vendor prefix).
        assert_eq!(db.split_vendor_product("Acme, Inc. Labs New"), [(0x1235, None)]);
        assert!(db.split_vendor_product("Nobody Thing").is_empty());
    }

    #[test]
    fn subsystems() {
        let db = db();
        let d = Some((0x1234, 0x0001));
        assert_eq!(
            db.subsystems_named(d, Some("Boards Ltd Board Two"), None, None),
            [(0xabcd, Some(2))]
        );
        assert_eq!(
            db.subsystems_named(d, Some("Acme, Inc. Widget Controller"), None, None),
            [(0x1234, Some(1))]
        );
        assert_eq!(
            db.subsystems_named(None, Some("Boards Ltd Device 00ff"), None, None),
            [(0xabcd, Some(0xff))]
        );
        assert_eq!(
            db.subsystems_named(None, Some("Device 1111:2222"), None, None),
            [(0x1111, Some(0x2222))]
        );
        assert_eq!(
            db.subsystems_named(d, None, Some("Boards Ltd"), Some("Board Two")),
            [(0xabcd, Some(2))]
        );
        assert_eq!(
            db.subsystems_named(d, None, Some("Boards Ltd"), Some("Unknown")),
            [(0xabcd, None)]
        );
    }

    #[test]
    fn classes() {
        let db = db();
        assert_eq!(db.classes_named("Ethernet controller"), [(2, Some(0))]);
        // Subclass 80 shares the base class name: lspci prints the subclass name.
        assert_eq!(db.classes_named("Network controller"), [(2, Some(0x80))]);
        assert_eq!(db.classes_named("Serial bus controller"), [(0xc, None)]);
        assert_eq!(db.progifs_named(0xc, 3, "XHCI"), [0x30]);
        assert!(db.vendors_named("Not a vendor").is_empty());
        assert_eq!(db.vendor_count(), 3);
    }
}
