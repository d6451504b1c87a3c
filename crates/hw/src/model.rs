//! The device model shared by every parser and by the live /sys reader.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The bus a device sits on, named as in `/sys/bus/<name>`.
///
/// USB devices and USB interfaces share [`Bus::Usb`] (as in sysfs); an
/// interface's address contains a `:` (`1-2:1.0`), see [`Device::is_usb_interface`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Bus {
    Pci,
    Usb,
    Virtio,
    Hid,
    HdAudio,
    Acpi,
    Platform,
    Scsi,
    Mmc,
    Sdio,
    I2c,
    Spi,
    Serio,
    Nd,
    Pnp,
    Cpu,
    /// Anything else, by its sysfs bus name or modalias prefix (`input`, `dmi`,
    /// `workqueue`, `pci_express`, ...). `Other("")` means unknown.
    Other(String),
}

impl Bus {
    /// The sysfs bus name (`pci`, `usb`, `hdaudio`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            Bus::Pci => "pci",
            Bus::Usb => "usb",
            Bus::Virtio => "virtio",
            Bus::Hid => "hid",
            Bus::HdAudio => "hdaudio",
            Bus::Acpi => "acpi",
            Bus::Platform => "platform",
            Bus::Scsi => "scsi",
            Bus::Mmc => "mmc",
            Bus::Sdio => "sdio",
            Bus::I2c => "i2c",
            Bus::Spi => "spi",
            Bus::Serio => "serio",
            Bus::Nd => "nd",
            Bus::Pnp => "pnp",
            Bus::Cpu => "cpu",
            Bus::Other(s) => s,
        }
    }

    /// From a sysfs bus name (`/sys/bus/<name>`).
    pub fn from_name(name: &str) -> Bus {
        match name {
            "pci" => Bus::Pci,
            "usb" => Bus::Usb,
            "virtio" => Bus::Virtio,
            "hid" => Bus::Hid,
            "hdaudio" => Bus::HdAudio,
            "acpi" => Bus::Acpi,
            "platform" => Bus::Platform,
            "scsi" => Bus::Scsi,
            "mmc" => Bus::Mmc,
            "sdio" => Bus::Sdio,
            "i2c" => Bus::I2c,
            "spi" => Bus::Spi,
            "serio" => Bus::Serio,
            "nd" => Bus::Nd,
            "pnp" => Bus::Pnp,
            "cpu" => Bus::Cpu,
            other => Bus::Other(other.to_string()),
        }
    }

    /// The bus a modalias belongs to, from its prefix (`pci:...` → pci).
    /// `acpi:` and `of:` aliases are given to the acpi and platform buses; the
    /// caller refines with a sysfs path when it has one.
    pub fn from_modalias(modalias: &str) -> Bus {
        let prefix = modalias.split(':').next().unwrap_or("");
        match prefix {
            "of" => Bus::Platform,
            "mmc" => Bus::Mmc,
            p => Bus::from_name(p),
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Bus::Other(s) if s.is_empty())
    }
}

impl fmt::Display for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Bus {
    fn from(s: String) -> Bus {
        Bus::from_name(&s)
    }
}

impl From<Bus> for String {
    fn from(b: Bus) -> String {
        b.as_str().to_string()
    }
}

/// One device (or USB interface) of a machine.
///
/// Numeric fields are `None` when the listing does not say. Their meaning per bus:
///
/// | field | pci | usb | hdaudio | hid | virtio | scsi |
/// |---|---|---|---|---|---|---|
/// | vendor, device | vendor, device | idVendor, idProduct | codec vendor id hi/lo 16 bits | vendor, product | vendor, device id | – |
/// | subvendor, subdevice | subsystem ids | – | – | – | – | – |
/// | class, subclass, prog_if | base class, sub class, prog-if | (interface) class, subclass, protocol | – | group in `class` | – | type in `class` |
/// | revision | revision | bcdDevice | revision id | – | – | – |
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub bus: Bus,
    /// The sysfs device name: PCI `0000:03:00.0` (domain always present), USB
    /// `1-2`, `1-2.3:1.0`, `usb1`, others as in `/sys/bus/*/devices/`.
    /// USB devices seen only by `lsusb` use `BBB/DDD` (bus/devnum, as in
    /// /dev/bus/usb) and interfaces `BBB/DDD:C.I`. Empty when the listing gives no
    /// address at all (a bare modalias list).
    pub address: String,
    /// `/sys/devices/...` path when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysfs_path: Option<String>,
    /// The real modalias (from sysfs or a modalias listing); see
    /// [`Device::modalias_or_synth`] for a pattern when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modalias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex4")]
    pub vendor: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex4")]
    pub device: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex4")]
    pub subvendor: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex4")]
    pub subdevice: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex2")]
    pub class: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex2")]
    pub subclass: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex2")]
    pub prog_if: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::hex::hex2")]
    pub revision: Option<u32>,
    /// The bound driver's name (`xhci_hcd`, `bochs-drm`), not the module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// The module providing the bound driver when the listing knows it
    /// (sysfs `driver/module` link, drivers.txt), e.g. `xhci_pci`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_module: Option<String>,
    /// Candidate modules named by the listing (`Kernel modules: 8139cp, 8139too`):
    /// an alias match, not a binding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// Address of the parent device (PCI bridge, USB hub or USB device, the PCI
    /// function under a virtio/hdaudio device, ...). Resolve it with [`crate::Machine::parent`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Human description (`Intel Corporation 82540EM Gigabit Ethernet Controller`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human class name (`Ethernet controller`, `Human Interface Device`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// USB bus number and device number (lsusb's `Bus 002 Device 003`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busnum: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devnum: Option<u32>,
    /// Other facts a listing gives: `subsystem`, `secondary`/`subordinate` bus of
    /// a PCI bridge, `speed`, `hcd_driver` of a USB root hub, ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
    /// Where the facts came from: `file:line` (or a sysfs path), one per listing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Device-tree devices: the nodes whose devices must be driven before
    /// this one's driver can probe (its bus controller, the providers its
    /// phandle properties name), see the `devicetree` module.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppliers: Vec<Supplier>,
}

/// A device-tree supplier: the property that names it (`clocks`,
/// `vdd-supply`, `interrupts`, `i2c bus`, ...) and the supplier's node path
/// (matched against other devices' `of_node` attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplier {
    pub prop: String,
    pub node: String,
}

/// A firmware file a driver loaded or failed to load, as a kernel log
/// (dmesg, `journalctl -k`, /dev/kmsg) says. Evidence for the firmware to
/// include and the drivers to keep: a driver that tried several versions
/// leaves failed entries for the newer ones and a loaded one for the
/// version it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareEvidence {
    /// The file as the driver asked for it, relative to /lib/firmware
    /// (`iwlwifi-so-a0-gf-a0-86.ucode`, `i915/adls_dmc_ver2_01.bin`).
    pub name: String,
    /// True when the log says it was loaded; false when the load failed.
    pub loaded: bool,
    /// Driver named by the message prefix (`iwlwifi`, `amdgpu`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Device the message is about (`0000:00:14.3`, `1-3:1.0`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `file:line` of the log line.
    pub source: String,
}

impl Default for Bus {
    fn default() -> Self {
        Bus::Other(String::new())
    }
}

impl Device {
    pub fn new(bus: Bus, address: impl Into<String>) -> Device {
        Device {
            bus,
            address: address.into(),
            ..Device::default()
        }
    }

    /// The listing names a driver or driver module bound to the device.
    pub fn is_bound(&self) -> bool {
        self.driver.is_some() || self.driver_module.is_some()
    }

    /// A USB interface (`1-2:1.0`), as opposed to a USB device (`1-2`, `usb1`).
    pub fn is_usb_interface(&self) -> bool {
        self.bus == Bus::Usb && self.address.contains(':')
    }

    /// True when `address` is a real sysfs name (not empty, not lsusb's `BBB/DDD`).
    pub fn has_sysfs_address(&self) -> bool {
        !self.address.is_empty() && !self.address.contains('/')
    }

    /// The real modalias, or one synthesized in modules.alias format from the ids
    /// the listing gave, with `*` for every unknown field:
    /// `pci:v00001002d00001638sv*sd*bc03sc00i*`. `None` when not even the
    /// vendor/device (or class) is known, or the bus has no id-based aliases.
    pub fn modalias_or_synth(&self) -> Option<String> {
        if let Some(m) = &self.modalias {
            return Some(m.clone());
        }
        self.synth_modalias()
    }

    /// Like [`Device::modalias_or_synth`] but never returns the real modalias.
    pub fn synth_modalias(&self) -> Option<String> {
        fn h(v: Option<u32>, w: usize) -> String {
            match v {
                Some(v) => format!("{v:0w$X}"),
                None => "*".to_string(),
            }
        }
        match self.bus {
            Bus::Pci => {
                if self.vendor.is_none() && self.device.is_none() && self.class.is_none() {
                    return None;
                }
                Some(format!(
                    "pci:v{}d{}sv{}sd{}bc{}sc{}i{}",
                    h(self.vendor, 8),
                    h(self.device, 8),
                    h(self.subvendor, 8),
                    h(self.subdevice, 8),
                    h(self.class, 2),
                    h(self.subclass, 2),
                    h(self.prog_if, 2)
                ))
            }
            Bus::Usb => {
                if self.vendor.is_none() && self.device.is_none() {
                    return None;
                }
                let (dc, dsc, dp, ic, isc, ip, inum) = if self.is_usb_interface() {
                    let num = self
                        .address
                        .rsplit('.')
                        .next()
                        .and_then(|n| n.parse::<u32>().ok())
                        .or_else(|| self.attr_hex("interface"));
                    (
                        self.attr_hex("dev_class"),
                        self.attr_hex("dev_subclass"),
                        self.attr_hex("dev_protocol"),
                        self.class,
                        self.subclass,
                        self.prog_if,
                        num,
                    )
                } else {
                    (self.class, self.subclass, self.prog_if, None, None, None, None)
                };
                Some(format!(
                    "usb:v{}p{}d{}dc{}dsc{}dp{}ic{}isc{}ip{}in{}",
                    h(self.vendor, 4),
                    h(self.device, 4),
                    h(self.revision, 4),
                    h(dc, 2),
                    h(dsc, 2),
                    h(dp, 2),
                    h(ic, 2),
                    h(isc, 2),
                    h(ip, 2),
                    h(inum, 2)
                ))
            }
            Bus::Virtio => {
                self.device?;
                Some(format!("virtio:d{}v{}", h(self.device, 8), h(self.vendor, 8)))
            }
            Bus::HdAudio => {
                let id = match (self.vendor, self.device) {
                    (Some(v), Some(d)) => Some(((v & 0xffff) << 16) | (d & 0xffff)),
                    _ => None,
                }?;
                Some(format!(
                    "hdaudio:v{id:08X}r{}a{}",
                    h(self.revision, 8),
                    h(self.class, 2)
                ))
            }
            Bus::Hid => {
                self.vendor?;
                Some(format!(
                    "hid:b{}g{}v{}p{}",
                    h(self.attr_hex("hid_bus"), 4),
                    h(self.class, 4),
                    h(self.vendor, 8),
                    h(self.device, 8)
                ))
            }
            _ => None,
        }
    }

    fn attr_hex(&self, key: &str) -> Option<u32> {
        self.attrs.get(key).and_then(|v| parse_hex(v))
    }

    /// `vvvv:dddd` when both ids are known.
    pub fn ids(&self) -> Option<String> {
        Some(format!("{:04x}:{:04x}", self.vendor?, self.device?))
    }

    /// Fill empty id fields from a modalias (pci, usb, hdaudio, hid, virtio,
    /// sdio, scsi). Never overwrites a known field.
    pub fn fill_from_modalias(&mut self, m: &str) {
        let Some(f) = parse_modalias_fields(m) else {
            return;
        };
        let bus = Bus::from_modalias(m);
        let get = |k: &str| f.iter().find(|(n, _)| *n == k).and_then(|(_, v)| *v);
        fn set(slot: &mut Option<u32>, v: Option<u32>) {
            if slot.is_none() {
                *slot = v;
            }
        }
        match bus {
            Bus::Pci => {
                set(&mut self.vendor, get("v"));
                set(&mut self.device, get("d"));
                set(&mut self.subvendor, get("sv"));
                set(&mut self.subdevice, get("sd"));
                set(&mut self.class, get("bc"));
                set(&mut self.subclass, get("sc"));
                set(&mut self.prog_if, get("i"));
            }
            Bus::Usb => {
                set(&mut self.vendor, get("v"));
                set(&mut self.device, get("p"));
                set(&mut self.revision, get("d"));
                if get("ic").is_some() {
                    set(&mut self.class, get("ic"));
                    set(&mut self.subclass, get("isc"));
                    set(&mut self.prog_if, get("ip"));
                    for (k, a) in [
                        ("dc", "dev_class"),
                        ("dsc", "dev_subclass"),
                        ("dp", "dev_protocol"),
                    ] {
                        if let Some(v) = get(k) {
                            self.attrs.entry(a.to_string()).or_insert(format!("{v:02x}"));
                        }
                    }
                } else {
                    set(&mut self.class, get("dc"));
                    set(&mut self.subclass, get("dsc"));
                    set(&mut self.prog_if, get("dp"));
                }
            }
            Bus::HdAudio => {
                if let Some(v) = get("v") {
                    set(&mut self.vendor, Some(v >> 16));
                    set(&mut self.device, Some(v & 0xffff));
                }
                set(&mut self.revision, get("r"));
                set(&mut self.class, get("a"));
            }
            Bus::Hid => {
                set(&mut self.vendor, get("v"));
                set(&mut self.device, get("p"));
                set(&mut self.class, get("g"));
                if let Some(b) = get("b") {
                    self.attrs
                        .entry("hid_bus".to_string())
                        .or_insert(format!("{b:04x}"));
                }
            }
            Bus::Virtio => {
                set(&mut self.vendor, get("v"));
                set(&mut self.device, get("d"));
            }
            Bus::Sdio => {
                set(&mut self.class, get("c"));
                set(&mut self.vendor, get("v"));
                set(&mut self.device, get("d"));
            }
            Bus::Scsi => {
                if let Some(t) = m.strip_prefix("scsi:t-0x").and_then(parse_hex) {
                    set(&mut self.class, Some(t));
                }
            }
            _ => {}
        }
    }

    /// Merge facts about the same device from another listing: fills unknown
    /// fields, unions module lists and sources; known fields are kept.
    pub fn merge_from(&mut self, o: Device) {
        if self.bus.is_unknown() && !o.bus.is_unknown() {
            self.bus = o.bus.clone();
        }
        if !self.has_sysfs_address() && o.has_sysfs_address() {
            self.address = o.address.clone();
        }
        fn fill<T>(a: &mut Option<T>, b: Option<T>) {
            if a.is_none() {
                *a = b;
            }
        }
        fill(&mut self.sysfs_path, o.sysfs_path);
        fill(&mut self.modalias, o.modalias);
        fill(&mut self.vendor, o.vendor);
        fill(&mut self.device, o.device);
        fill(&mut self.subvendor, o.subvendor);
        fill(&mut self.subdevice, o.subdevice);
        fill(&mut self.class, o.class);
        fill(&mut self.subclass, o.subclass);
        fill(&mut self.prog_if, o.prog_if);
        fill(&mut self.revision, o.revision);
        fill(&mut self.driver, o.driver);
        fill(&mut self.driver_module, o.driver_module);
        fill(&mut self.parent, o.parent);
        fill(&mut self.name, o.name);
        fill(&mut self.class_name, o.class_name);
        fill(&mut self.busnum, o.busnum);
        fill(&mut self.devnum, o.devnum);
        for m in o.modules {
            if !self.modules.contains(&m) {
                self.modules.push(m);
            }
        }
        for (k, v) in o.attrs {
            self.attrs.entry(k).or_insert(v);
        }
        for s in o.sources {
            if !self.sources.contains(&s) {
                self.sources.push(s);
            }
        }
        for s in o.suppliers {
            if !self.suppliers.contains(&s) {
                self.suppliers.push(s);
            }
        }
    }
}

/// Parse `0x1af4`, `1AF4`, `1af4` (1 to 8 hex digits).
pub(crate) fn parse_hex(s: &str) -> Option<u32> {
    let s = s.trim();
    let s = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Split an id-style modalias (`pci:v00008086d...`, `usb:v...p...`) into
/// `(letters, value)` pairs; `*` or a bad number gives `None` for that field.
/// Returns `None` for aliases that are not of that form (acpi, platform, of...).
fn parse_modalias_fields(m: &str) -> Option<Vec<(&str, Option<u32>)>> {
    let (prefix, rest) = m.split_once(':')?;
    let keys: &[&str] = match prefix {
        "pci" => &["v", "d", "sv", "sd", "bc", "sc", "i"],
        "usb" => &["v", "p", "d", "dc", "dsc", "dp", "ic", "isc", "ip", "in"],
        "hdaudio" => &["v", "r", "a"],
        "hid" => &["b", "g", "v", "p"],
        "virtio" => &["d", "v"],
        "sdio" => &["c", "v", "d"],
        _ => return None,
    };
    let mut out = Vec::new();
    let mut s = rest;
    for (i, k) in keys.iter().enumerate() {
        s = s.strip_prefix(k)?;
        // The value runs to the next key (keys are lower-case letters, values
        // are upper-case hex or `*`).
        let next = keys.get(i + 1);
        let end = match next {
            Some(nk) => find_key(s, nk)?,
            None => s.len(),
        };
        let v = &s[..end];
        out.push((*k, if v.contains('*') { None } else { parse_hex(v) }));
        s = &s[end..];
    }
    Some(out)
}

fn find_key(s: &str, key: &str) -> Option<usize> {
    // The first position where `key` starts and the preceding char is not a
    // lower-case letter (values are upper-case hex digits or `*`).
    let b = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(key) && (i == 0 || !b[i - 1].is_ascii_lowercase()) {
            // `d` must not match inside `dc`/`dsc`: the char after the key must
            // be a value char.
            let after = b.get(i + key.len());
            if after.is_none_or(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase() || *c == b'*') {
                return Some(i);
            }
        }
        i += 1;
        while i < s.len() && !s.is_char_boundary(i) {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modalias_fields_pci() {
        let mut d = Device::new(Bus::Pci, "0000:00:1f.2");
        d.fill_from_modalias("pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01");
        assert_eq!(d.vendor, Some(0x8086));
        assert_eq!(d.device, Some(0x2922));
        assert_eq!(d.subvendor, Some(0x1af4));
        assert_eq!(d.subdevice, Some(0x1100));
        assert_eq!((d.class, d.subclass, d.prog_if), (Some(1), Some(6), Some(1)));
    }

    #[test]
    fn modalias_fields_usb_and_synth_roundtrip() {
        let m = "usb:v0627p0001d0000dc00dsc00dp00ic03isc01ip02in00";
        let mut d = Device::new(Bus::Usb, "1-1:1.0");
        d.fill_from_modalias(m);
        assert_eq!(d.vendor, Some(0x627));
        assert_eq!(d.device, Some(1));
        assert_eq!((d.class, d.subclass, d.prog_if), (Some(3), Some(1), Some(2)));
        assert_eq!(d.synth_modalias().as_deref(), Some(m));
    }

    #[test]
    fn modalias_fields_hdaudio_hid_virtio() {
        let mut d = Device::new(Bus::HdAudio, "hdaudioC2D0");
        d.fill_from_modalias("hdaudio:v1AF40022r00100101a01");
        assert_eq!(
            (d.vendor, d.device, d.revision),
            (Some(0x1af4), Some(0x22), Some(0x100101))
        );
        assert_eq!(
            d.synth_modalias().as_deref(),
            Some("hdaudio:v1AF40022r00100101a01")
        );
        let mut h = Device::new(Bus::Hid, "x");
        h.fill_from_modalias("hid:b0003g0101v0000056Ap00000000");
        assert_eq!((h.vendor, h.device, h.class), (Some(0x56a), Some(0), Some(0x101)));
        assert_eq!(
            h.synth_modalias().as_deref(),
            Some("hid:b0003g0101v0000056Ap00000000")
        );
        let mut v = Device::new(Bus::Virtio, "virtio0");
        v.fill_from_modalias("virtio:d00000010v00001AF4");
        assert_eq!(v.synth_modalias().as_deref(), Some("virtio:d00000010v00001AF4"));
    }

    #[test]
    fn synth_pci_busybox() {
        let mut d = Device::new(Bus::Pci, "0000:03:00.0");
        d.vendor = Some(0x1002);
        d.device = Some(0x1638);
        d.class = Some(3);
        d.subclass = Some(0);
        assert_eq!(
            d.modalias_or_synth().as_deref(),
            Some("pci:v00001002d00001638sv*sd*bc03sc00i*")
        );
    }

    #[test]
    fn bad_modalias_is_ignored() {
        let mut d = Device::default();
        for m in [
            "pci:",
            "pci:vZZ",
            "usb:v*p*",
            "hdaudio:v",
            "",
            "pci:v00008086d0000ééé",
        ] {
            d.fill_from_modalias(m);
        }
    }
}
