//! kfit-firmware: which firmware files a machine's drivers load, narrowed to
//! the actual device wherever the kernel source allows it, checked against a
//! linux-firmware tree, and rendered as `CONFIG_EXTRA_FIRMWARE` or as ix's
//! firmware include file.
//!
//! Inputs are plain on purpose (the kernel index crate's API is not stable):
//! a kernel tree, a module name, the module's MODULE_FIRMWARE names, and the
//! device's IDs.
//!
//! * [`firmware_for_device`] — per device: `amdgpu` is narrowed to the chip
//!   family (see [`amdgpu`](crate#amdgpu)), `iwlwifi` to one ucode of the
//!   device's configuration, `i915` to its platform's GuC/HuC/GSC and DMC
//!   files, any other module keeps all its declared names
//!   ([`Narrowing::None`], said so in `narrowed_by`).
//! * [`firmware_for_module`] — device-less modules (`cfg80211` →
//!   `regulatory.db`, `regulatory.db.p7s`, read from net/wireless/reg.c when
//!   no names are given).
//! * [`check_dir`] — look every file up in a firmware dir (plain, `.zst`,
//!   `.xz`, the order the kernel's loader tries), sizes, missing per device;
//!   for iwlwifi the newest acceptable API present is chosen.
//! * [`extra_firmware_value`], [`extra_firmware_line`], [`ix_firmware_list`]
//!   — renderers.
//! * [`scan_module_firmware`] — a small MODULE_FIRMWARE reader (own macro
//!   expansion) for when no index is at hand (tests, fallbacks).
//!
//! ## amdgpu
//! See the module docs in `src/amdgpu.rs`: pciidlist → chip → apu_flags by
//! device ID → firmware family prefix → declared names with that prefix,
//! minus `%s_mec2.bin` when `gfx_v9_0_load_mec2_fw_bin_support()` excludes
//! the family's GC IP version.
//!
//! ## i915
//! See `src/i915.rs`: pciidlist `INTEL_*_IDS` → info struct → platform →
//! the `INTEL_{GUC,HUC,GSC}_FIRMWARE_DEFS` tables and the DMC if-chain.
//!
//! ## iwlwifi
//! See `src/iwlwifi.rs`: iwl_dev_info_table → `struct iwl_cfg` →
//! `.fw_name_pre`, `.ucode_api_max/min` → `<pre>-<api>.ucode`.

mod amdgpu;
pub mod csrc;
mod i915;
mod iwlwifi;
mod sources;

pub use iwlwifi::IwlCfg;
pub use sources::{Snapshot, Sources, Taken, Tree};

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors of this crate (only the firmware-dir check can fail; narrowing
/// degrades to the unnarrowed list and says why).
#[derive(Debug, thiserror::Error)]
pub enum FwError {
    #[error("firmware dir {0} does not exist or is not a directory")]
    NotADir(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The IDs known about one device. All optional: a seed listing has no
/// subsystem IDs or revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceIds {
    /// `pci`, `usb`, ... (informational)
    pub bus: Option<String>,
    /// IDs are JSON strings in lowercase hex, as lspci prints them (and as
    /// kfit-hw's `Device` serialises them): `"1002"`, class `"030000"`.
    #[serde(serialize_with = "hex4")]
    pub vendor: Option<u16>,
    #[serde(serialize_with = "hex4")]
    pub device: Option<u16>,
    #[serde(serialize_with = "hex4")]
    pub subvendor: Option<u16>,
    #[serde(serialize_with = "hex4")]
    pub subdevice: Option<u16>,
    /// 24-bit class (class, subclass, prog-if) or the 16-bit class<<8.
    #[serde(serialize_with = "hex6")]
    pub class: Option<u32>,
    #[serde(serialize_with = "hex2")]
    pub revision: Option<u8>,
}

fn hex<S: serde::Serializer>(v: Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v),
        None => s.serialize_none(),
    }
}
fn hex4<S: serde::Serializer>(v: &Option<u16>, s: S) -> Result<S::Ok, S::Error> {
    hex(v.map(|v| format!("{v:04x}")), s)
}
fn hex6<S: serde::Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    hex(v.map(|v| format!("{v:06x}")), s)
}
fn hex2<S: serde::Serializer>(v: &Option<u8>, s: S) -> Result<S::Ok, S::Error> {
    hex(v.map(|v| format!("{v:02x}")), s)
}

impl DeviceIds {
    /// A PCI device by vendor and device ID.
    pub fn pci(vendor: u16, device: u16) -> DeviceIds {
        DeviceIds {
            bus: Some("pci".into()),
            vendor: Some(vendor),
            device: Some(device),
            ..DeviceIds::default()
        }
    }

    /// From a PCI modalias
    /// (`pci:v00001002d00001638sv000017AAsd00005099bc03sc00i00`); `None` for
    /// anything else.
    pub fn from_pci_modalias(s: &str) -> Option<DeviceIds> {
        let rest = s.trim().strip_prefix("pci:")?;
        let field = |key: &str, len: usize| -> Option<u32> {
            let at = rest.find(key)? + key.len();
            let v = rest.get(at..at + len)?;
            u32::from_str_radix(v, 16).ok()
        };
        let w16 = |v: Option<u32>| v.and_then(|x| u16::try_from(x & 0xffff).ok());
        let class = match (field("bc", 2), field("sc", 2), field("i", 2)) {
            (Some(b), Some(c), Some(i)) => Some(b << 16 | c << 8 | i),
            _ => None,
        };
        Some(DeviceIds {
            bus: Some("pci".into()),
            vendor: w16(field("v", 8)),
            device: w16(field("d", 8)),
            subvendor: w16(field("sv", 8)),
            subdevice: w16(field("sd", 8)),
            class,
            revision: None,
        })
    }

    /// `1002:1638`, or `-` when no IDs are known.
    pub fn label(&self) -> String {
        match (self.vendor, self.device) {
            (Some(v), Some(d)) => format!("{v:04x}:{d:04x}"),
            _ => "-".into(),
        }
    }
}

/// How far a set was narrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Narrowing {
    /// Chosen for this device from the driver's tables.
    Device,
    /// A device-independent, fixed set of the module (cfg80211).
    Module,
    /// All MODULE_FIRMWARE names of the module; the driver's choice is not
    /// modelled.
    None,
}

/// One firmware file a driver can request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FwFile {
    /// Name relative to the firmware dir (`amdgpu/green_sardine_me.bin`).
    pub name: String,
    /// Why it is in the set.
    pub reason: String,
    /// Names the driver tries in order (iwlwifi: API max down to min);
    /// empty when only `name` is tried. `name` is the first.
    pub candidates: Vec<String>,
}

impl FwFile {
    pub fn new(name: &str, reason: impl Into<String>) -> FwFile {
        FwFile {
            name: name.to_string(),
            reason: reason.into(),
            candidates: Vec::new(),
        }
    }

    /// The names to try, in order.
    pub fn tries(&self) -> Vec<String> {
        if self.candidates.is_empty() {
            vec![self.name.clone()]
        } else {
            self.candidates.clone()
        }
    }
}

/// The firmware one device's (or module's) driver needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmwareSet {
    pub module: String,
    pub device: DeviceIds,
    pub files: Vec<FwFile>,
    /// Declared names deliberately left out, with the reason.
    pub excluded: Vec<FwFile>,
    /// One line: how the set was derived (source files and values).
    pub narrowed_by: String,
    pub narrowing: Narrowing,
}

impl FirmwareSet {
    fn unnarrowed(module: &str, dev: &DeviceIds, module_firmware: &[String]) -> FirmwareSet {
        let mut names: Vec<String> = module_firmware.to_vec();
        names.sort();
        names.dedup();
        FirmwareSet {
            module: module.to_string(),
            device: dev.clone(),
            files: names
                .iter()
                .map(|n| FwFile::new(n, format!("{module}: MODULE_FIRMWARE (not narrowed)")))
                .collect(),
            excluded: Vec::new(),
            narrowed_by: format!(
                "{module}: all {} MODULE_FIRMWARE names (the driver's choice is not modelled)",
                names.len()
            ),
            narrowing: Narrowing::None,
        }
    }

    /// The preferred name of every file (no firmware dir consulted).
    pub fn names(&self) -> Vec<String> {
        self.files.iter().map(|f| f.name.clone()).collect()
    }
}

/// Firmware the driver `module` can load for `device`, narrowed where the
/// tree's source allows it (amdgpu, iwlwifi; cfg80211 is device-less). Never
/// fails: a driver or device the narrowing cannot place keeps all of
/// `module_firmware`, and `narrowed_by` says why.
///
/// `module` is the KBUILD_MODNAME (`amdgpu`, `iwlwifi`; `-` and `_` are
/// equivalent). `module_firmware` are the module's MODULE_FIRMWARE names
/// (macro-expanded), e.g. from the kernel index or [`scan_module_firmware`].
pub fn firmware_for_device(
    tree: &dyn Sources,
    module: &str,
    module_firmware: &[String],
    device: &DeviceIds,
) -> FirmwareSet {
    let m = module.replace('-', "_");
    match m.as_str() {
        "amdgpu" => {
            // The family is chosen among declared names. The index's
            // MODULE_FIRMWARE list covers every object of amdgpu.ko; only
            // without one (no index) are the tree's declarations scanned.
            if module_firmware.is_empty() {
                let mf = scan_module_firmware(tree, &["drivers/gpu/drm/amd"]);
                amdgpu::narrow(tree, &mf, device)
            } else {
                amdgpu::narrow(tree, module_firmware, device)
            }
        }
        "iwlwifi" => narrow_pci(&m, module_firmware, device, |d| iwlwifi::narrow(tree, device, d)),
        "i915" => narrow_pci(&m, module_firmware, device, |d| {
            i915::narrow(tree, module_firmware, device, d)
        }),
        "cfg80211" => {
            let mut s = firmware_for_module(tree, &m, module_firmware);
            s.device = device.clone();
            s
        }
        _ => FirmwareSet::unnarrowed(&m, device, module_firmware),
    }
}

/// A PCI driver's narrower run on `device`'s PCI device ID; without one,
/// or when the narrower says why it cannot narrow, every declared name.
fn narrow_pci(
    module: &str,
    module_firmware: &[String],
    device: &DeviceIds,
    narrow: impl FnOnce(u16) -> Result<FirmwareSet, String>,
) -> FirmwareSet {
    let narrowed = match device.device {
        Some(d) => narrow(d),
        None => Err(format!("no PCI device ID for {}", device.label())),
    };
    narrowed.unwrap_or_else(|why| {
        let mut s = FirmwareSet::unnarrowed(module, device, module_firmware);
        s.narrowed_by = format!("{module}: {why}; all {} declared names", module_firmware.len());
        s
    })
}

/// Firmware of a module that is not tied to a device (`cfg80211`:
/// `regulatory.db` and its signature `regulatory.db.p7s`, requested by
/// net/wireless/reg.c). With empty `module_firmware`, cfg80211's names are
/// read from net/wireless/reg.c; other modules get their declared names.
pub fn firmware_for_module(tree: &dyn Sources, module: &str, module_firmware: &[String]) -> FirmwareSet {
    let m = module.replace('-', "_");
    if m == "cfg80211" {
        let mut names: Vec<String> = if module_firmware.is_empty() {
            csrc::module_firmware_in_file(tree, REG_C)
        } else {
            module_firmware.to_vec()
        };
        names.sort();
        names.dedup();
        let files = names
            .iter()
            .map(|n| {
                let why = if n.ends_with(".p7s") {
                    "cfg80211: signature of regulatory.db (CFG80211_REQUIRE_SIGNED_REGDB)"
                } else {
                    "cfg80211: wireless regulatory database, loaded at boot (net/wireless/reg.c)"
                };
                FwFile::new(n, why)
            })
            .collect::<Vec<_>>();
        return FirmwareSet {
            module: m,
            device: DeviceIds::default(),
            narrowed_by: format!(
                "cfg80211: {} (net/wireless/reg.c, needed by every wireless driver)",
                names.join(", ")
            ),
            files,
            excluded: Vec::new(),
            narrowing: Narrowing::Module,
        };
    }
    FirmwareSet::unnarrowed(&m, &DeviceIds::default(), module_firmware)
}

/// cfg80211's source that requests the regulatory database.
const REG_C: &str = "net/wireless/reg.c";

/// Every file a narrower of this crate can read at fit time, as (path,
/// needle): a file matters only if its text contains the needle (`None`:
/// always). [`Snapshot::take`] keeps exactly these, so the narrowers give
/// the same answer from a snapshot as from the tree.
pub fn narrowing_inputs(src: &dyn Sources) -> Vec<(String, Option<&'static str>)> {
    let mut out = amdgpu::inputs(src);
    out.extend(i915::inputs());
    out.extend(iwlwifi::inputs(src));
    out.push((REG_C.to_string(), None));
    if let Ok(t) = src.read(REG_C) {
        let includes = csrc::local_includes(REG_C, &csrc::strip_comments(&t));
        out.extend(includes.into_iter().map(|f| (f, None)));
    }
    out
}

/// One driver-bound device of the machine, for [`firmware_for_machine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundDevice {
    /// KBUILD_MODNAME of the driver (`amdgpu`, `iwlwifi`, `xhci_pci`).
    pub module: String,
    pub ids: DeviceIds,
}

/// The firmware sets of a whole machine: one per device (via
/// [`firmware_for_device`]) plus one per device-less module in
/// `extra_modules` (e.g. `cfg80211` when it is enabled). `module_firmware`
/// returns a module's MODULE_FIRMWARE names (from the kernel index; may be
/// empty). Sets without files are dropped.
pub fn firmware_for_machine(
    tree: &dyn Sources,
    devices: &[BoundDevice],
    extra_modules: &[&str],
    module_firmware: &dyn Fn(&str) -> Vec<String>,
) -> Vec<FirmwareSet> {
    let mut out: Vec<FirmwareSet> = devices
        .iter()
        .map(|d| firmware_for_device(tree, &d.module, &module_firmware(&d.module), &d.ids))
        .collect();
    for m in extra_modules {
        out.push(firmware_for_module(tree, m, &module_firmware(m)));
    }
    out.retain(|s| !s.files.is_empty());
    out
}

/// MODULE_FIRMWARE names declared by the `.c` files under `rel_dirs` of
/// `tree` (sorted, deduplicated), with each file's own and local headers'
/// macros expanded. A stand-in until the kernel index is used: it knows
/// directories, not module membership.
pub fn scan_module_firmware(tree: &dyn Sources, rel_dirs: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = rel_dirs
        .iter()
        .flat_map(|d| csrc::module_firmware_in_dir(tree, d))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A file found in the firmware dir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Present {
    /// The name to build in (what the driver requests).
    pub name: String,
    /// The file found, relative to the dir (`name`, `name.zst` or `name.xz`).
    pub found: String,
    /// Bytes on disk (symlinks followed).
    pub size: u64,
    /// `Some("xz"|"zst")` for a compressed variant.
    pub compression: Option<String>,
    /// Decompressed size when known (from `xz --robot -l` / `zstd -lv`).
    pub uncompressed_size: Option<u64>,
    /// `module device` labels that need it.
    pub needed_by: Vec<String>,
}

impl Present {
    /// Bytes it adds to the kernel (decompressed when known).
    pub fn built_in_size(&self) -> u64 {
        self.uncompressed_size.unwrap_or(self.size)
    }
}

/// A file (or every acceptable version of it) the dir lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub name: String,
    /// Every name tried (iwlwifi: each acceptable API).
    pub tried: Vec<String>,
    pub module: String,
    pub device: String,
    pub reason: String,
}

/// Per device/module totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetSummary {
    pub module: String,
    pub device: String,
    pub files: usize,
    pub present: usize,
    pub bytes: u64,
    pub missing: Vec<String>,
}

/// Result of [`check_dir`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub fw_dir: PathBuf,
    /// Unique files found, sorted by name.
    pub present: Vec<Present>,
    /// Files not found, in set order.
    pub missing: Vec<Missing>,
    /// Sum over unique present files of [`Present::built_in_size`].
    pub total: u64,
    pub by_set: Vec<SetSummary>,
}

impl Report {
    /// Names to build in (sorted, unique): each present file as resolved
    /// (iwlwifi: the newest API found) and each missing one under its
    /// preferred name — a needed file stays listed, so a build against a
    /// tree that lacks it fails loudly instead of the device failing
    /// silently; [`Report::missing`] says what to add.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .present
            .iter()
            .map(|p| p.name.clone())
            .chain(self.missing.iter().map(|m| m.name.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Only the names found in the firmware dir (sorted): what a build with
    /// `CONFIG_EXTRA_FIRMWARE_DIR` = this dir can embed right now.
    pub fn present_names(&self) -> Vec<String> {
        self.present.iter().map(|p| p.name.clone()).collect()
    }
}

/// Check every file of `sets` in the linux-firmware tree `fw_dir`.
///
/// For each file the candidates are tried in order (iwlwifi: newest API
/// first), each as `name`, `name.zst`, `name.xz` (the kernel loader's order
/// with FW_LOADER_COMPRESS). The first hit is the file; none → missing,
/// listed under the set's module and device.
pub fn check_dir(sets: &[FirmwareSet], fw_dir: &Path) -> Result<Report, FwError> {
    if !fw_dir.is_dir() {
        return Err(FwError::NotADir(fw_dir.to_path_buf()));
    }
    let mut present: BTreeMap<String, Present> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut by_set = Vec::new();
    for set in sets {
        let who = format!("{} {}", set.module, set.device.label());
        let mut sum = SetSummary {
            module: set.module.clone(),
            device: set.device.label(),
            files: set.files.len(),
            present: 0,
            bytes: 0,
            missing: Vec::new(),
        };
        for f in &set.files {
            match find_file(fw_dir, &f.tries())? {
                Some(mut p) => {
                    sum.present += 1;
                    sum.bytes += p.built_in_size();
                    let e = present.entry(p.name.clone()).or_insert_with(|| {
                        p.needed_by.clear();
                        p
                    });
                    if !e.needed_by.contains(&who) {
                        e.needed_by.push(who.clone());
                    }
                }
                None => {
                    sum.missing.push(f.name.clone());
                    missing.push(Missing {
                        name: f.name.clone(),
                        tried: f.tries(),
                        module: set.module.clone(),
                        device: set.device.label(),
                        reason: f.reason.clone(),
                    });
                }
            }
        }
        by_set.push(sum);
    }
    let present: Vec<Present> = present.into_values().collect();
    let total = present.iter().map(Present::built_in_size).sum();
    Ok(Report {
        fw_dir: fw_dir.to_path_buf(),
        present,
        missing,
        total,
        by_set,
    })
}

fn find_file(dir: &Path, tries: &[String]) -> Result<Option<Present>, FwError> {
    for name in tries {
        // Names are relative; refuse anything escaping the dir.
        if name.is_empty() || name.starts_with('/') || name.split('/').any(|c| c == "..") {
            continue;
        }
        for (suffix, comp) in [("", None), (".zst", Some("zst")), (".xz", Some("xz"))] {
            let found = format!("{name}{suffix}");
            let p = dir.join(&found);
            match std::fs::metadata(&p) {
                Ok(md) if md.is_file() => {
                    let uncompressed_size = match comp {
                        Some(c) => decompressed_size(&p, c),
                        None => Some(md.len()),
                    };
                    return Ok(Some(Present {
                        name: name.clone(),
                        found,
                        size: md.len(),
                        compression: comp.map(str::to_string),
                        uncompressed_size,
                        needed_by: Vec::new(),
                    }));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {}
                Err(e) => return Err(FwError::Io { path: p, source: e }),
            }
        }
    }
    Ok(None)
}

/// Best effort: ask `xz`/`zstd` for the decompressed size.
fn decompressed_size(p: &Path, comp: &str) -> Option<u64> {
    let out = match comp {
        "xz" => std::process::Command::new("xz")
            .args(["--robot", "--list"])
            .arg(p)
            .output()
            .ok()?,
        _ => std::process::Command::new("zstd")
            .args(["-lv"])
            .arg(p)
            .output()
            .ok()?,
    };
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    if comp == "xz" {
        // "totals <streams> <blocks> <compressed> <uncompressed> ..."
        let line = text.lines().find(|l| l.starts_with("totals"))?;
        line.split('\t').nth(4)?.parse().ok()
    } else {
        // "Decompressed Size: 1.23 KiB (1260 B)"
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("Decompressed Size"))?;
        let open = line.rfind('(')?;
        line[open + 1..].split_whitespace().next()?.parse().ok()
    }
}

/// Every preferred name of `sets` (sorted, deduplicated) — the list to use
/// when no firmware dir is given.
pub fn all_names(sets: &[FirmwareSet]) -> Vec<String> {
    let mut v: Vec<String> = sets.iter().flat_map(FirmwareSet::names).collect();
    v.sort();
    v.dedup();
    v
}

/// The value of `CONFIG_EXTRA_FIRMWARE`: names separated by one space, in
/// the given order, duplicates removed.
pub fn extra_firmware_value(names: &[String]) -> String {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty() && seen.insert(n.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The whole `.config` line: `CONFIG_EXTRA_FIRMWARE="a b c"`.
pub fn extra_firmware_line(names: &[String]) -> String {
    format!("CONFIG_EXTRA_FIRMWARE=\"{}\"", extra_firmware_value(names))
}

/// `CONFIG_EXTRA_FIRMWARE_DIR="<dir>"` (needed outside ix, whose template
/// sets it to its own linux-firmware package).
pub fn extra_firmware_dir_line(dir: &Path) -> String {
    format!("CONFIG_EXTRA_FIRMWARE_DIR=\"{}\"", dir.display())
}

/// ix's firmware include file (`t/1/fw.sh` style): one name per line,
/// newline-terminated, duplicates removed, in the given order. ix joins the
/// lines of the `firmware` block into `CONFIG_EXTRA_FIRMWARE`.
pub fn ix_firmware_list(names: &[String]) -> String {
    let v = extra_firmware_value(names);
    if v.is_empty() {
        return String::new();
    }
    let mut s = v.replace(' ', "\n");
    s.push('\n');
    s
}

/// Human-readable size: `1.25 MB (1245944 bytes)` (MB = 10^6 bytes).
pub fn format_size(bytes: u64) -> String {
    format!("{:.2} MB ({bytes} bytes)", bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderers() {
        let n = vec![
            "amdgpu/a.bin".to_string(),
            "regulatory.db".into(),
            "amdgpu/a.bin".into(),
        ];
        assert_eq!(extra_firmware_value(&n), "amdgpu/a.bin regulatory.db");
        assert_eq!(
            extra_firmware_line(&n),
            "CONFIG_EXTRA_FIRMWARE=\"amdgpu/a.bin regulatory.db\""
        );
        assert_eq!(ix_firmware_list(&n), "amdgpu/a.bin\nregulatory.db\n");
        assert_eq!(ix_firmware_list(&[]), "");
    }

    #[test]
    fn compressed_variant_sizes() {
        let d = std::env::temp_dir().join(format!("kfit-fw-xz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("a.bin"), vec![7u8; 100_000]).unwrap();
        let xz = std::process::Command::new("xz").arg(d.join("a.bin")).status();
        if xz.map(|s| s.success()).unwrap_or(false) {
            let set = FirmwareSet {
                module: "m".into(),
                device: DeviceIds::default(),
                files: vec![FwFile::new("a.bin", "r")],
                excluded: vec![],
                narrowed_by: String::new(),
                narrowing: Narrowing::None,
            };
            let r = check_dir(&[set], &d).unwrap();
            assert_eq!(r.present[0].found, "a.bin.xz");
            assert!(r.present[0].size < 100_000);
            assert_eq!(r.present[0].uncompressed_size, Some(100_000));
            assert_eq!(r.total, 100_000);
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn modalias() {
        let d =
            DeviceIds::from_pci_modalias("pci:v00001002d00001638sv000017AAsd00005099bc03sc00i00").unwrap();
        assert_eq!(d.label(), "1002:1638");
        assert_eq!(d.subvendor, Some(0x17aa));
        assert_eq!(d.subdevice, Some(0x5099));
        assert_eq!(d.class, Some(0x030000));
        assert!(DeviceIds::from_pci_modalias("usb:v1234").is_none());
        assert!(DeviceIds::from_pci_modalias("pci:vzz").is_some());
    }

    #[test]
    fn machine_sets() {
        let devs = vec![
            BoundDevice {
                module: "ccp".into(),
                ids: DeviceIds::pci(0x1022, 0x15df),
            },
            BoundDevice {
                module: "nvme".into(),
                ids: DeviceIds::pci(0x144d, 0xa809),
            },
        ];
        let mf = |m: &str| -> Vec<String> {
            if m == "ccp" {
                vec!["amd/x.sbin".into()]
            } else {
                vec![]
            }
        };
        let sets = firmware_for_machine(&Tree(Path::new("/nonexistent")), &devs, &[], &mf);
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].module, "ccp");
        assert_eq!(
            extra_firmware_dir_line(Path::new("/lib/firmware")),
            "CONFIG_EXTRA_FIRMWARE_DIR=\"/lib/firmware\""
        );
    }

    #[test]
    fn unknown_module_is_unnarrowed() {
        let s = firmware_for_device(
            &Tree(Path::new("/nonexistent")),
            "ccp",
            &["amd/b.sbin".into(), "amd/a.sbin".into()],
            &DeviceIds::pci(0x1022, 0x15df),
        );
        assert_eq!(s.narrowing, Narrowing::None);
        assert_eq!(s.names(), vec!["amd/a.sbin", "amd/b.sbin"]);
        assert!(s.narrowed_by.contains("not modelled"));
    }

    #[test]
    fn missing_tree_degrades() {
        let s = firmware_for_device(
            &Tree(Path::new("/nonexistent")),
            "amdgpu",
            &["amdgpu/x.bin".into()],
            &DeviceIds::pci(0x1002, 0x1638),
        );
        assert_eq!(s.narrowing, Narrowing::None);
        assert!(s.narrowed_by.contains("cannot read"), "{}", s.narrowed_by);
    }

    #[test]
    fn check_dir_prefers_plain_then_zst_then_xz_and_newest_api() {
        let d = std::env::temp_dir().join(format!("kfit-fw-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("amdgpu")).unwrap();
        std::fs::write(d.join("amdgpu/a.bin"), [0u8; 10]).unwrap();
        std::fs::write(d.join("amdgpu/b.bin.zst"), [0u8; 3]).unwrap();
        std::fs::write(d.join("iwlwifi-x-76.ucode"), [0u8; 7]).unwrap();
        let set = FirmwareSet {
            module: "m".into(),
            device: DeviceIds::pci(1, 2),
            files: vec![
                FwFile::new("amdgpu/a.bin", "r"),
                FwFile::new("amdgpu/b.bin", "r"),
                FwFile::new("amdgpu/c.bin", "r"),
                FwFile {
                    name: "iwlwifi-x-77.ucode".into(),
                    reason: "r".into(),
                    candidates: vec!["iwlwifi-x-77.ucode".into(), "iwlwifi-x-76.ucode".into()],
                },
            ],
            excluded: vec![],
            narrowed_by: String::new(),
            narrowing: Narrowing::Device,
        };
        let r = check_dir(std::slice::from_ref(&set), &d).unwrap();
        assert_eq!(
            r.present_names(),
            vec!["amdgpu/a.bin", "amdgpu/b.bin", "iwlwifi-x-76.ucode"]
        );
        assert_eq!(
            r.names(),
            vec![
                "amdgpu/a.bin",
                "amdgpu/b.bin",
                "amdgpu/c.bin",
                "iwlwifi-x-76.ucode"
            ]
        );
        let b = r.present.iter().find(|p| p.name == "amdgpu/b.bin").unwrap();
        assert_eq!(b.found, "amdgpu/b.bin.zst");
        assert_eq!(b.compression.as_deref(), Some("zst"));
        assert_eq!(r.missing.len(), 1);
        assert_eq!(r.missing[0].name, "amdgpu/c.bin");
        assert_eq!(r.missing[0].device, "0001:0002");
        assert_eq!(r.by_set[0].missing, vec!["amdgpu/c.bin"]);
        assert!(r.total >= 17);
        assert!(matches!(
            check_dir(&[set], &d.join("nope")),
            Err(FwError::NotADir(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }
}
