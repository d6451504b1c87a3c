//! iwlwifi: one ucode name for the device's configuration.
//!
//! Derivation (read from the tree):
//!
//! 1. `drivers/net/wireless/intel/iwlwifi/pcie/drv.c` `iwl_dev_info_table[]`:
//!    each `IWL_DEV_INFO(...)`/`_IWL_DEV_INFO(...)` element is macro-expanded
//!    (with drv.c's own `#define`s) into its designated initializer
//!    `{ .device = 0x2723, .subdevice = IWL_CFG_ANY, .cfg = &(iwl_ax200_cfg_cc), ... }`.
//!    Entries naming the device's ID (and subdevice, when known) give the
//!    candidate `struct iwl_cfg`s. Without such an entry, the
//!    `iwl_hw_card_ids[]` `IWL_PCI_DEVICE(dev, subdev, cfg)` entry is used
//!    when it points to a `struct iwl_cfg` (older devices); failing that,
//!    the generic entries (device `IWL_CFG_ANY`, chosen at runtime by the
//!    MAC/RF registers) all stay candidates.
//! 2. The cfg's definition in `cfg/*.c` is macro-expanded (that file's and
//!    `iwl-config.h`'s defines): `.fw_name_pre` (e.g. `IWL_CC_A_FW_PRE` →
//!    `"iwlwifi-cc-a0"`), `.ucode_api_max`/`.ucode_api_min` (the last
//!    initializer wins, as in C; e.g. via `IWL_DEVICE_22500` →
//!    `IWL_22000_UCODE_API_MAX`).
//! 3. `iwl-drv.c` requests `"%s-%d.ucode"` from api_max down to api_min. The
//!    set holds one file whose candidates are that sequence; a firmware dir
//!    picks the newest present one ([`crate::check_dir`]), without one the
//!    name is the max API.

use crate::amdgpu::read_code;
use crate::csrc::{self, designated_fields, read_active, Defines, Tok};
use crate::Sources;
use crate::{DeviceIds, FirmwareSet, FwFile, Narrowing};

const IWL_DIR: &str = "drivers/net/wireless/intel/iwlwifi";

/// What a `struct iwl_cfg` says about firmware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IwlCfg {
    pub name: String,
    pub fw_name_pre: String,
    pub api_max: u32,
    pub api_min: u32,
}

impl IwlCfg {
    /// Names the driver tries, in order (newest API first).
    pub fn candidates(&self) -> Vec<String> {
        let lo = self.api_min.min(self.api_max);
        (lo..=self.api_max)
            .rev()
            .map(|api| format!("{}-{api}.ucode", self.fw_name_pre))
            .collect()
    }
}

/// Every file [`narrow`] can read.
pub(crate) fn inputs(src: &dyn Sources) -> Vec<(String, Option<&'static str>)> {
    ["pcie/drv.c", "iwl-config.h"]
        .iter()
        .map(|f| format!("{IWL_DIR}/{f}"))
        .chain(
            src.list(&format!("{IWL_DIR}/cfg"), false)
                .into_iter()
                .filter(|f| f.ends_with(".c")),
        )
        .map(|f| (f, None))
        .collect()
}

/// The set for PCI device `device` (`dev`'s), or why it cannot be narrowed
/// (the caller then lists every declared name, [`crate::narrow_pci`]).
pub(crate) fn narrow(src: &dyn Sources, dev: &DeviceIds, device: u16) -> Result<FirmwareSet, String> {
    let dir = IWL_DIR;
    let (cfg_names, how) = cfg_names_for(src, dir, device, dev.subdevice)?;
    if cfg_names.is_empty() {
        return Err(format!("{device:04x} is in no iwlwifi device table"));
    }
    let mut cfgs = Vec::new();
    let mut unresolved = Vec::new();
    for c in &cfg_names {
        match resolve_cfg(src, dir, c) {
            Some(cfg) => {
                if !cfgs.iter().any(|x: &IwlCfg| x.fw_name_pre == cfg.fw_name_pre) {
                    cfgs.push(cfg)
                }
            }
            None => unresolved.push(c.clone()),
        }
    }
    if cfgs.is_empty() {
        return Err(format!(
            "cannot read .fw_name_pre/.ucode_api_* of {}",
            unresolved.join(", ")
        ));
    }
    let files: Vec<FwFile> = cfgs
        .iter()
        .map(|c| FwFile {
            name: c.candidates().first().cloned().unwrap_or_default(),
            reason: format!(
                "iwlwifi: {} (fw_name_pre {}, API {}..={}); newest API the firmware dir has",
                c.name, c.fw_name_pre, c.api_min, c.api_max
            ),
            candidates: c.candidates(),
        })
        .collect();
    let desc: Vec<String> = cfgs
        .iter()
        .map(|c| {
            format!(
                "{} → {}-<{}..{}>.ucode",
                c.name, c.fw_name_pre, c.api_min, c.api_max
            )
        })
        .collect();
    Ok(FirmwareSet {
        module: "iwlwifi".into(),
        device: dev.clone(),
        files,
        excluded: Vec::new(),
        narrowed_by: format!(
            "iwlwifi: {device:04x} {how}: {}{}",
            desc.join(", "),
            if cfgs.len() > 1 {
                " (ambiguous: chosen at runtime from the MAC/RF registers)"
            } else {
                ""
            }
        ),
        narrowing: Narrowing::Device,
    })
}

/// One expanded table entry.
#[derive(Debug, Default)]
struct Entry {
    device: Option<u16>, // None = IWL_CFG_ANY
    subdevice: Option<u16>,
    cfg: Option<String>,
}

fn cfg_names_for(
    src: &dyn Sources,
    dir: &str,
    device: u16,
    subdevice: Option<u16>,
) -> Result<(Vec<String>, String), String> {
    let mut defs = Defines::default();
    // drv.c gets iwl-config.h (IWL_CFG_ANY, ...) through -I$(src) includes.
    if let Ok(h) = src.read(&format!("{dir}/iwl-config.h")) {
        defs.add_source(&csrc::strip_comments(&h));
    }
    let text = read_active(src, &format!("{dir}/pcie/drv.c"), &mut defs)?;
    let sub_ok = |e: &Entry| match (e.subdevice, subdevice) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    let mut names = Vec::new();
    // 1. iwl_dev_info_table, entries naming the device
    let table = csrc::braced_after(&text, "iwl_dev_info_table[] =")
        .map(|b| parse_entries(b, &defs))
        .unwrap_or_default();
    for e in table.iter().filter(|e| e.device == Some(device) && sub_ok(e)) {
        if let Some(c) = &e.cfg {
            if !names.contains(c) {
                names.push(c.clone());
            }
        }
    }
    if !names.is_empty() {
        return Ok((names, "matches iwl_dev_info_table (pcie/drv.c)".into()));
    }
    // 2. iwl_hw_card_ids with a struct iwl_cfg
    let ids = csrc::braced_after(&text, "iwl_hw_card_ids[] =")
        .map(|b| parse_entries(b, &defs))
        .unwrap_or_default();
    let mut in_ids = false;
    for e in ids.iter().filter(|e| e.device == Some(device) && sub_ok(e)) {
        in_ids = true;
        if let Some(c) = &e.cfg {
            if resolve_cfg(src, dir, c).is_some() && !names.contains(c) {
                names.push(c.clone());
            }
        }
    }
    if !names.is_empty() {
        return Ok((names, "matches iwl_hw_card_ids (pcie/drv.c)".into()));
    }
    if !in_ids {
        return Ok((Vec::new(), String::new()));
    }
    // 3. generic runtime-keyed entries
    for e in table.iter().filter(|e| e.device.is_none() && sub_ok(e)) {
        if let Some(c) = &e.cfg {
            if !names.contains(c) {
                names.push(c.clone());
            }
        }
    }
    Ok((
        names,
        "is chosen at runtime among generic iwl_dev_info_table entries".into(),
    ))
}

fn parse_entries(body: &str, defs: &Defines) -> Vec<Entry> {
    let mut out = Vec::new();
    for el in csrc::top_level_elements(body) {
        let exp = defs.expand(&el);
        // strip outer braces
        let inner: &[Tok] = match (exp.first(), exp.last()) {
            (Some(f), Some(l)) if f.is("{") && l.is("}") => &exp[1..exp.len() - 1],
            _ => &exp[..],
        };
        let fields = designated_fields(inner);
        if fields.is_empty() {
            continue;
        }
        let mut e = Entry::default();
        let int_or_any = |toks: &[Tok]| -> (bool, Option<u16>) {
            if toks.iter().any(|t| t.is("~")) {
                return (true, None);
            }
            let nums: Vec<&Tok> = toks.iter().filter(|t| !(t.is("(") || t.is(")"))).collect();
            match nums.as_slice() {
                [n] if n.num().is_some() => (
                    false,
                    n.num()
                        .and_then(csrc::parse_c_int)
                        .and_then(|v| u16::try_from(v).ok()),
                ),
                [i] if i.is("PCI_ANY_ID") || i.is("IWL_CFG_ANY") => (true, None),
                _ => (false, None),
            }
        };
        for (k, v) in &fields {
            match k.as_str() {
                "device" => e.device = int_or_any(v).1,
                "subdevice" => e.subdevice = int_or_any(v).1,
                "cfg" | "driver_data" => e.cfg = address_of(v),
                _ => {}
            }
        }
        out.push(e);
    }
    out
}

/// The identifier in `&name` / `&(name)` (the cfg a table entry points to).
fn address_of(v: &[Tok]) -> Option<String> {
    let amp = v.iter().position(|t| t.is("&"))?;
    v[amp + 1..].iter().find_map(|t| t.ident().map(str::to_string))
}

/// Find and evaluate `const struct iwl_cfg <name> = {...}` in cfg/*.c.
pub(crate) fn resolve_cfg(src: &dyn Sources, dir: &str, name: &str) -> Option<IwlCfg> {
    let header = format!("struct iwl_cfg {name} =");
    let files: Vec<_> = src
        .list(&format!("{dir}/cfg"), false)
        .into_iter()
        .filter(|p| p.ends_with(".c"))
        .collect();
    for f in files {
        let Ok(text) = read_code(src, &f) else {
            continue;
        };
        if csrc::braced_after(&text, &header).is_none() {
            continue;
        }
        // Read again with iwl-config.h's definitions known to its `#if`s.
        let mut defs = Defines::default();
        if let Ok(h) = src.read(&format!("{dir}/iwl-config.h")) {
            defs.add_source(&csrc::strip_comments(&h));
        }
        let Ok(text) = read_active(src, &f, &mut defs) else {
            continue;
        };
        let Some(body) = csrc::braced_after(&text, &header) else {
            continue;
        };
        let exp = defs.expand(&csrc::tokenize(body));
        let fields = designated_fields(&exp);
        let last = |k: &str| fields.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v);
        let pre = defs.eval_string(last("fw_name_pre")?)?;
        let max = defs.eval_int(last("ucode_api_max")?)?;
        let min = last("ucode_api_min")
            .and_then(|v| defs.eval_int(v))
            .unwrap_or(max);
        return Some(IwlCfg {
            name: name.to_string(),
            fw_name_pre: pre,
            api_max: u32::try_from(max).ok()?,
            api_min: u32::try_from(min).ok()?,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designated() {
        let toks = csrc::tokenize(".device = (0x2723), .cfg = &(iwl_ax200_cfg_cc), .x.y = 3");
        let f = designated_fields(&toks);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].0, "device");
        assert_eq!(f[2].0, "x.y");
    }

    #[test]
    fn candidates_newest_first() {
        let c = IwlCfg {
            name: "x".into(),
            fw_name_pre: "iwlwifi-cc-a0".into(),
            api_max: 77,
            api_min: 75,
        };
        assert_eq!(
            c.candidates(),
            vec![
                "iwlwifi-cc-a0-77.ucode",
                "iwlwifi-cc-a0-76.ucode",
                "iwlwifi-cc-a0-75.ucode"
            ]
        );
    }
}
