//! A machine: the devices of all listings merged by identity, and the
//! parent links between them.

use crate::model::{Bus, Device, FirmwareEvidence};
use crate::parse::pci_domain_bus;
use kfit_util::glob::fnmatch;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Everything known about one machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// Devices in first-seen order (listing order, then sysfs readdir order
    /// sorted by bus and address).
    pub devices: Vec<Device>,
    /// Loaded modules (lsmod, /proc/modules, module lists), first-seen order.
    #[serde(default)]
    pub loaded_modules: Vec<String>,
    /// Running kernel release when a listing shows it (lsusb root hubs,
    /// /proc/sys/kernel/osrelease).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_version: Option<String>,
    /// Firmware files drivers loaded or failed to load, from kernel logs
    /// (dmesg, `journalctl -k`, the live /dev/kmsg when readable), in log
    /// order, one entry per (name, loaded, device).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub firmware_seen: Vec<FirmwareEvidence>,
    /// Each input with its detected format: `("lspci-nnk.txt", "lspci")`.
    #[serde(default)]
    pub inputs: Vec<(String, String)>,
    /// Mounts, block devices and boot firmware (mount and lsblk listings).
    #[serde(default, skip_serializing_if = "crate::system::System::is_empty")]
    pub system: crate::system::System,
    /// Devices with neither address nor path, matched by modalias in [`Machine::finish`].
    #[serde(skip)]
    pending: Vec<Device>,
}

/// How far up a sysfs path parents are looked for.
const MAX_PATH_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Addr(String, String),
    Sysfs(String),
    UsbNum(u32, u32, String),
    /// A device-tree bus id (`9030000.pl061`) on the platform or amba bus,
    /// or on a bus a kernel log could not tell.
    DtBusId(String),
}

fn keys(d: &Device) -> Vec<Key> {
    let mut k = Vec::new();
    if d.has_sysfs_address() {
        // acpi: aliases may be on the acpi or the platform bus: their names
        // (`PNP0103:00`) live in both, so key them with the bus.
        k.push(Key::Addr(d.bus.as_str().to_string(), d.address.clone()));
    }
    if let Some(p) = &d.sysfs_path {
        k.push(Key::Sysfs(p.clone()));
    }
    if (d.bus.is_unknown() || matches!(d.bus.as_str(), "platform" | "amba"))
        && crate::devicetree::is_bus_id(&d.address)
    {
        k.push(Key::DtBusId(d.address.clone()));
    }
    if let (Some(b), Some(n), Bus::Usb) = (d.busnum, d.devnum, &d.bus) {
        let suffix = d
            .address
            .split_once(':')
            .map(|x| x.1.to_string())
            .unwrap_or_default();
        k.push(Key::UsbNum(b, n, suffix));
    }
    k
}

impl Machine {
    /// Add devices, merging each with a known device of the same identity:
    /// PCI by `domain:bus:dev.fn`, others by bus + sysfs name, sysfs path, USB
    /// bus + device number (+ interface). Devices with neither address nor
    /// path (a bare modalias list) wait for [`Machine::finish`].
    pub fn add_devices(&mut self, devices: Vec<Device>) {
        let mut index: HashMap<Key, usize> = HashMap::new();
        for (i, d) in self.devices.iter().enumerate() {
            for k in keys(d) {
                index.entry(k).or_insert(i);
            }
        }
        let mut anonymous = Vec::new();
        for d in devices {
            let ks = keys(&d);
            if ks.is_empty() {
                anonymous.push(d);
                continue;
            }
            let found = ks.iter().find_map(|k| index.get(k).copied());
            let i = match found {
                Some(i) => {
                    self.devices[i].merge_from(d);
                    i
                }
                None => {
                    self.devices.push(d);
                    self.devices.len() - 1
                }
            };
            for k in keys(&self.devices[i]) {
                index.entry(k).or_insert(i);
            }
        }
        self.pending.extend(anonymous);
    }

    /// Call once after the last [`Machine::add_devices`]: matches devices
    /// known only by modalias (the k-th equal modalias to the k-th device
    /// with it, else to a device without a real modalias whose synthesized
    /// pattern matches it, else a new device), then [`Machine::link_parents`].
    pub fn finish(&mut self) {
        let mut claimed = vec![false; self.devices.len()];
        // Devices with a real modalias, in order, per (upper-cased) modalias.
        let mut by_alias: HashMap<String, std::collections::VecDeque<usize>> = HashMap::new();
        for (i, d) in self.devices.iter().enumerate() {
            if let Some(m) = &d.modalias {
                by_alias.entry(m.to_ascii_uppercase()).or_default().push_back(i);
            }
        }
        // Devices a pattern may claim, by (bus, vendor): a bare modalias
        // carries its vendor, so only those are tried (no scan of the
        // machine per modalias), and at most CANDIDATES_TRIED of them.
        const CANDIDATES_TRIED: usize = 64;
        let mut by_vendor: HashMap<(Bus, u32), Vec<usize>> = HashMap::new();
        for (i, x) in self.devices.iter().enumerate() {
            if x.modalias.is_none() && (x.bus != Bus::Usb || x.is_usb_interface()) {
                if let Some(v) = x.vendor {
                    by_vendor.entry((x.bus.clone(), v)).or_default().push(i);
                }
            }
        }
        for d in std::mem::take(&mut self.pending) {
            let Some(m) = d.modalias.clone() else {
                self.devices.push(d);
                claimed.push(true);
                continue;
            };
            let exact = by_alias
                .get_mut(&m.to_ascii_uppercase())
                .and_then(|q| q.pop_front());
            let upper = m.to_ascii_uppercase();
            let found = exact.or_else(|| {
                let list = by_vendor.get_mut(&(d.bus.clone(), d.vendor?))?;
                list.retain(|&i| !claimed[i]);
                list.iter().take(CANDIDATES_TRIED).copied().find(|&i| {
                    self.devices[i]
                        .synth_modalias()
                        .is_some_and(|p| fnmatch(&p.to_ascii_uppercase(), &upper))
                })
            });
            match found {
                Some(i) => {
                    claimed[i] = true;
                    self.devices[i].merge_from(d);
                }
                None => {
                    self.devices.push(d);
                    claimed.push(true);
                }
            }
        }
        self.fill_usb_interfaces();
        self.link_parents();
    }

    /// A USB interface is matched like a live `usb:` modalias, which carries
    /// its device's ids, bcdDevice and device class: copy them from the
    /// device (same bus and device number, or the interface's device name)
    /// where the listing that gave the interface lacks them (`lsusb -t`
    /// knows interfaces but not ids; `lsusb` the ids but not interfaces).
    fn fill_usb_interfaces(&mut self) {
        let mut by_num: HashMap<(u32, u32), usize> = HashMap::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for (i, d) in self.devices.iter().enumerate() {
            if d.bus != Bus::Usb || d.is_usb_interface() {
                continue;
            }
            if let (Some(b), Some(n)) = (d.busnum, d.devnum) {
                by_num.entry((b, n)).or_insert(i);
            }
            by_name.entry(d.address.as_str()).or_insert(i);
        }
        let mut fills: Vec<(usize, usize)> = Vec::new();
        for (i, d) in self.devices.iter().enumerate() {
            if !d.is_usb_interface() {
                continue;
            }
            let by_addr = d.address.split_once(':').and_then(|(dev, _)| {
                by_name
                    .get(dev)
                    .or_else(|| by_name.get(usb_parent_name(&d.address)?.as_str()))
            });
            let by_nums = match (d.busnum, d.devnum) {
                (Some(b), Some(n)) => by_num.get(&(b, n)),
                _ => None,
            };
            if let Some(&p) = by_nums.or(by_addr.copied().as_ref()) {
                fills.push((i, p));
            }
        }
        for (i, p) in fills {
            let (vendor, device, revision) = {
                let p = &self.devices[p];
                (p.vendor, p.device, p.revision)
            };
            let dev_class: Vec<(&str, Option<u32>)> = {
                let p = &self.devices[p];
                vec![
                    ("dev_class", p.class),
                    ("dev_subclass", p.subclass),
                    ("dev_protocol", p.prog_if),
                ]
            };
            let f = &mut self.devices[i];
            f.vendor = f.vendor.or(vendor);
            f.device = f.device.or(device);
            f.revision = f.revision.or(revision);
            for (k, v) in dev_class {
                if let Some(v) = v {
                    f.attrs.entry(k.to_string()).or_insert(format!("{v:02x}"));
                }
            }
        }
    }

    pub fn add_modules(&mut self, mods: Vec<String>) {
        let mut seen: std::collections::HashSet<String> = self.loaded_modules.iter().cloned().collect();
        for m in mods {
            if seen.insert(m.clone()) {
                self.loaded_modules.push(m);
            }
        }
    }

    /// Add firmware evidence, one entry per (name, loaded, device).
    pub fn add_firmware(&mut self, fw: Vec<FirmwareEvidence>) {
        let key = |f: &FirmwareEvidence| (f.name.clone(), f.loaded, f.device.clone());
        let mut seen: std::collections::HashSet<_> = self.firmware_seen.iter().map(key).collect();
        for f in fw {
            if seen.insert(key(&f)) {
                self.firmware_seen.push(f);
            }
        }
    }

    /// Fill `parent` where the listings allow: sysfs paths (nearest ancestor
    /// that is a device), USB names (`2-1.3:1.0` → `2-1.3` → `2-1` → `usb2`), PCI
    /// bridges' secondary..subordinate bus ranges. Known parents are kept.
    pub fn link_parents(&mut self) {
        // Devices known without a path (lsusb -t's `usb2`, `2-1`) get it from
        // their children's paths when their name is unique among path-less ones.
        let mut pathless: HashMap<String, Option<usize>> = HashMap::new();
        for (i, d) in self.devices.iter().enumerate() {
            if d.sysfs_path.is_none() && d.has_sysfs_address() {
                pathless
                    .entry(d.address.clone())
                    .and_modify(|e| *e = None)
                    .or_insert(Some(i));
            }
        }
        if !pathless.is_empty() {
            let mut found: Vec<(usize, String)> = Vec::new();
            for d in &self.devices {
                let Some(path) = &d.sysfs_path else { continue };
                let mut cur = path.as_str();
                // sysfs paths are < 30 levels deep; the bound keeps a hostile
                // path from costing its length squared.
                let mut depth = 0;
                while let Some((up, _)) = cur.rsplit_once('/').filter(|_| {
                    depth += 1;
                    depth <= MAX_PATH_DEPTH
                }) {
                    let base = up.rsplit('/').next().unwrap_or("");
                    if let Some(Some(i)) = pathless.get(base) {
                        found.push((*i, up.to_string()));
                    }
                    cur = up;
                }
            }
            for (i, p) in found {
                self.devices[i].sysfs_path.get_or_insert(p);
            }
        }
        let by_path: HashMap<String, usize> = self
            .devices
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.sysfs_path.clone().map(|p| (p, i)))
            .collect();
        // Devices known without a path (lsusb -t's `usb2`) still sit on others' paths.
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for (i, d) in self.devices.iter().enumerate() {
            if d.sysfs_path.is_none() && d.has_sysfs_address() {
                by_name.entry(d.address.as_str()).or_insert(i);
            }
        }
        // (domain, bus) -> the two narrowest bridges whose range holds it
        // (the second when the first is the device itself); bus numbers are
        // 0..=255, so this is linear in the number of bridges.
        let mut bridge_of: HashMap<(u32, u32), Vec<(u32, String)>> = HashMap::new();
        for d in self.devices.iter().filter(|d| d.bus == Bus::Pci) {
            let range = || -> Option<(u32, u32, u32)> {
                let sec = u32::from_str_radix(d.attrs.get("secondary")?, 16).ok()?;
                let sub = u32::from_str_radix(d.attrs.get("subordinate")?, 16).ok()?;
                let (dom, _) = pci_domain_bus(&d.address)?;
                Some((dom, sec, sub))
            };
            let Some((dom, sec, sub)) = range() else { continue };
            for bus in sec..=sub.min(255) {
                let e = bridge_of.entry((dom, bus)).or_default();
                e.push((sub - sec, d.address.clone()));
                e.sort_by_key(|b| b.0);
                e.truncate(2);
            }
        }
        let mut parents = Vec::with_capacity(self.devices.len());
        for d in &self.devices {
            if d.parent.is_some() {
                parents.push(None);
                continue;
            }
            let mut p = None;
            if let Some(path) = &d.sysfs_path {
                let mut cur = path.as_str();
                // sysfs paths are < 30 levels deep; the bound keeps a hostile
                // path from costing its length squared.
                let mut depth = 0;
                while let Some((up, _)) = cur.rsplit_once('/').filter(|_| {
                    depth += 1;
                    depth <= MAX_PATH_DEPTH
                }) {
                    let base = up.rsplit('/').next().unwrap_or("");
                    if let Some(&i) = by_path.get(up).or_else(|| by_name.get(base)) {
                        p = Some(self.devices[i].address.clone());
                        break;
                    }
                    cur = up;
                }
            }
            if p.is_none() && d.bus == Bus::Usb && d.has_sysfs_address() {
                p = usb_parent_name(&d.address);
            }
            if p.is_none() && d.bus == Bus::Pci {
                if let Some(key) = pci_domain_bus(&d.address) {
                    p = bridge_of
                        .get(&key)
                        .and_then(|bs| bs.iter().find(|b| b.1 != d.address))
                        .map(|b| b.1.clone());
                }
            }
            parents.push(p);
        }
        for (d, p) in self.devices.iter_mut().zip(parents) {
            if p.is_some() {
                d.parent = p;
            }
        }
    }

    /// The parent device of `d` (the device whose address is `d.parent`), if
    /// it is in the machine. Between equal addresses on several buses, the one
    /// on `d`'s sysfs path wins, then the same bus, then pci/usb.
    pub fn parent(&self, d: &Device) -> Option<&Device> {
        let p = d.parent.as_deref()?;
        let same: Vec<&Device> = self
            .devices
            .iter()
            .filter(|x| x.address == p && !std::ptr::eq(*x, d))
            .collect();
        if same.len() == 1 {
            return Some(same[0]);
        }
        if let Some(path) = &d.sysfs_path {
            if let Some(x) = same.iter().find(|x| {
                x.sysfs_path
                    .as_deref()
                    .is_some_and(|xp| path.starts_with(xp) && path[xp.len()..].starts_with('/'))
            }) {
                return Some(x);
            }
        }
        same.iter()
            .find(|x| x.bus == d.bus)
            .or_else(|| same.iter().find(|x| matches!(x.bus, Bus::Pci | Bus::Usb)))
            .or(same.first())
            .copied()
    }

    /// Parent, grandparent, ... up to the root (bridges, controllers, hubs).
    pub fn ancestors<'a>(&'a self, d: &'a Device) -> Vec<&'a Device> {
        let mut out: Vec<&Device> = Vec::new();
        let mut cur = d;
        while let Some(p) = self.parent(cur) {
            if std::ptr::eq(p, d) || out.iter().any(|x| std::ptr::eq(*x, p)) || out.len() > 64 {
                break;
            }
            out.push(p);
            cur = p;
        }
        out
    }

    /// The device with this bus and address.
    pub fn find(&self, bus: &Bus, address: &str) -> Option<&Device> {
        self.devices
            .iter()
            .find(|d| &d.bus == bus && d.address == address)
    }
}

/// `2-1.3:1.0` → `2-1.3`; `2-1.3` → `2-1`; `2-1` → `usb2`; `2-0:1.0` → `usb2`.
pub(crate) fn usb_parent_name(name: &str) -> Option<String> {
    if let Some((dev, _)) = name.split_once(':') {
        if let Some(bus) = dev.strip_suffix("-0") {
            return Some(format!("usb{bus}"));
        }
        return Some(dev.to_string());
    }
    let (bus, ports) = name.split_once('-')?;
    match ports.rsplit_once('.') {
        Some((up, _)) => Some(format!("{bus}-{up}")),
        None => Some(format!("usb{bus}")),
    }
}
