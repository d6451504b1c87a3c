//! i915: GuC/HuC/GSC and DMC firmware of the device's platform.
//!
//! Derivation (read from the tree):
//!
//! 1. `drivers/gpu/drm/i915/i915_pci.c` `pciidlist[]`: elements
//!    `INTEL_TGL_IDS(INTEL_VGA_DEVICE, &tgl_info)`; the device IDs of each
//!    `INTEL_*_IDS` macro come from `include/drm/intel/i915_pciids.h`
//!    (`MACRO__(0x9A49, ...)`, nested `INTEL_TGL_GT2_IDS(...)` followed).
//! 2. The info struct (`tgl_info`), macro-expanded, gives `.platform =
//!    INTEL_TIGERLAKE` (`PLATFORM(INTEL_TIGERLAKE)`).
//! 3. `gt/uc/intel_uc_fw.c`: the `INTEL_{GUC,HUC,GSC}_FIRMWARE_DEFS` tables
//!    are expanded exactly as the file's MODULE_FIRMWARE expansion does,
//!    giving (platform, min revision, path). `__uc_fw_auto_select()` tries
//!    the platform's entries in table order (older ones are fallbacks when a
//!    file is missing): one file per firmware type whose candidates are
//!    those paths. The ADL-N override (`IS_ALDERLAKE_P_N` → `INTEL_ALDERLAKE_S`)
//!    is applied when the source has it and the ID is in `INTEL_ADLN_IDS`.
//! 4. `display/intel_dmc.c` `dmc_firmware_default()`: the `if (IS_X(i915)
//!    || ...)` chain picks the DMC path; `dmc_fallback_path()` adds a
//!    fallback. A platform named by an `IS_*()` branch takes that branch;
//!    for a platform chosen by display version (`DISPLAY_VER...`
//!    conditions) every such branch is kept (superset, said so).
//!
//! GuC/HuC are only loaded where `enable_guc` turns them on (the default on
//! recent platforms); they are listed regardless.

use crate::csrc::{self, designated_fields, read_active, Defines, Tok, K};
use crate::{DeviceIds, FirmwareSet, FwFile, Narrowing, Sources};

/// (platform, minimum revision, firmware path) of a uc table entry.
type UcEntry = (String, u32, String);

const I915: &str = "drivers/gpu/drm/i915";
const PCIIDS: &str = "include/drm/intel/i915_pciids.h";

/// Every file [`narrow`] can read.
pub(crate) fn inputs() -> Vec<(String, Option<&'static str>)> {
    ["i915_pci.c", "gt/uc/intel_uc_fw.c", "display/intel_dmc.c"]
        .iter()
        .map(|f| format!("{I915}/{f}"))
        .chain([PCIIDS.to_string()])
        .map(|f| (f, None))
        .collect()
}

/// The set for PCI device `device` (`dev`'s), or why it cannot be narrowed
/// (the caller then lists every declared name, [`crate::narrow_pci`]).
pub(crate) fn narrow(
    src: &dyn Sources,
    module_firmware: &[String],
    dev: &DeviceIds,
    device: u16,
) -> Result<FirmwareSet, String> {
    let dir = I915;
    let mut defs = Defines::default();
    let pci_c = read_active(src, &format!("{dir}/i915_pci.c"), &mut defs)?;
    let mut ids = Defines::default();
    ids.add_source(&csrc::strip_comments(&src.read(PCIIDS)?));
    let Some((ids_macro, info)) = info_for(&pci_c, &ids, device) else {
        return Err(format!("{device:04x} is not in i915_pci.c pciidlist"));
    };
    let Some(platform) = platform_of(&pci_c, &defs, &info) else {
        return Err(format!("no .platform in {info}"));
    };
    let mut uc_defs = Defines::default();
    let uc_c = read_active(src, &format!("{dir}/gt/uc/intel_uc_fw.c"), &mut uc_defs).unwrap_or_default();
    // ADL-N uses the ADL-S GuC (override in __uc_fw_auto_select)
    let mut uc_platform = platform.clone();
    let mut how = format!("{device:04x} is in {ids_macro} → {info} → {platform}");
    if platform == "ALDERLAKE_P"
        && uc_c.contains("IS_ALDERLAKE_P_N(i915)")
        && uc_c.contains("p = INTEL_ALDERLAKE_S")
        && ids_of(&ids, "INTEL_ADLN_IDS", 0).contains(&device)
    {
        uc_platform = "ALDERLAKE_S".into();
        how.push_str(" (ADL-N: GuC/HuC of ALDERLAKE_S)");
    }

    let mut files = Vec::new();
    for (kind, entries) in uc_tables(&uc_c, uc_defs) {
        let mine: Vec<&UcEntry> = entries
            .iter()
            .filter(|(p, rev, _)| *p == uc_platform && dev.revision.is_none_or(|r| u32::from(r) >= *rev))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let cands: Vec<String> = mine.iter().map(|e| e.2.clone()).collect();
        let rev_note = if dev.revision.is_none() && mine.iter().any(|e| e.1 > 0) {
            " (revision unknown: revision-specific entries first)"
        } else {
            ""
        };
        files.push(FwFile {
            name: cands[0].clone(),
            reason: format!(
                "i915: {kind} firmware of {uc_platform} (intel_uc_fw.c; older entries are fallbacks){rev_note}"
            ),
            candidates: cands,
        });
    }
    let mut dmc_defs = Defines::default();
    let dmc_c = read_active(src, &format!("{dir}/display/intel_dmc.c"), &mut dmc_defs).unwrap_or_default();
    let (dmc, dmc_note) = dmc_for(&dmc_c, &dmc_defs, &platform);
    files.extend(dmc);
    if files.is_empty() {
        return Err(format!("{how}: no firmware table entry"));
    }
    // The names come from the same tables the driver's MODULE_FIRMWARE
    // lines are expanded from, so they are not filtered by
    // `module_firmware` (an index with a weaker macro expansion must not
    // drop a needed file); the real-tree tests check they are declared.
    for f in &mut files {
        if f.candidates.len() == 1 {
            f.candidates.clear();
        }
    }
    Ok(FirmwareSet {
        module: "i915".into(),
        device: dev.clone(),
        narrowed_by: format!(
            "i915: {how}: {} firmware files{dmc_note}, of {} declared",
            files.len(),
            module_firmware.len()
        ),
        files,
        excluded: Vec::new(),
        narrowing: Narrowing::Device,
    })
}

/// (ids macro, info struct) of the pciidlist element containing `device`.
fn info_for(pci_c: &str, ids: &Defines, device: u16) -> Option<(String, String)> {
    let body = csrc::braced_after(pci_c, "pciidlist[] =")?;
    for el in csrc::top_level_elements(body) {
        let Some(m) = el.first().and_then(Tok::ident) else {
            continue;
        };
        let Some((args, _)) = csrc::call_args(&el, 1) else {
            continue;
        };
        let info = args.get(1).and_then(|a| a.iter().find_map(Tok::ident));
        if let Some(info) = info {
            if ids_of(ids, m, 0).contains(&device) {
                return Some((m.to_string(), info.to_string()));
            }
        }
    }
    None
}

/// Device IDs listed by an `INTEL_*_IDS(MACRO__, ...)` macro.
fn ids_of(ids: &Defines, name: &str, depth: usize) -> Vec<u16> {
    let mut out = Vec::new();
    if depth > 16 {
        return out;
    }
    let Some(m) = ids.map.get(name) else {
        return out;
    };
    let param = m
        .params
        .as_ref()
        .and_then(|p| p.first())
        .cloned()
        .unwrap_or_default();
    let b = &m.body;
    for i in 0..b.len() {
        let Some(id) = b[i].ident() else { continue };
        if !b.get(i + 1).is_some_and(|t| t.is("(")) {
            continue;
        }
        if id == param {
            if let Some(n) = b.get(i + 2).and_then(Tok::num) {
                if let Some(v) = csrc::parse_c_int(n).and_then(|v| u16::try_from(v).ok()) {
                    out.push(v);
                }
            }
        } else if id.starts_with("INTEL_") && id.ends_with("_IDS") && id != name {
            out.extend(ids_of(ids, id, depth + 1));
        }
    }
    out
}

/// `INTEL_TIGERLAKE` → `TIGERLAKE` from the info struct.
fn platform_of(pci_c: &str, defs: &Defines, info: &str) -> Option<String> {
    let body = csrc::braced_after(pci_c, &format!("intel_device_info {info} ="))?;
    let exp = defs.expand(&csrc::tokenize(body));
    let fields = designated_fields(&exp);
    let (_, v) = fields.iter().rev().find(|(k, _)| k == "platform")?;
    v.iter()
        .find_map(|t| t.ident()?.strip_prefix("INTEL_").map(str::to_string))
}

/// (kind, [(platform, min rev, path)]) per `INTEL_*_FIRMWARE_DEFS` table,
/// expanded like the file's own MODULE_FIRMWARE expansion.
fn uc_tables(uc_c: &str, mut defs: Defines) -> Vec<(String, Vec<UcEntry>)> {
    defs.add_source("#define KFIT_FW_ENTRY(p_, r_, uc_) { p_ , r_ , uc_ }\n");
    let toks = csrc::tokenize(uc_c);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        let Some(name) = toks[i].ident() else { continue };
        if !name.starts_with("INTEL_") || !name.ends_with("_FIRMWARE_DEFS") {
            continue;
        }
        let Some((args, _)) = csrc::call_args(&toks, i + 1) else {
            continue;
        };
        // the MODULE_FIRMWARE expansion: first argument INTEL_UC_MODULE_FW
        if !matches!(args.first().map(|a| a.as_slice()), Some([t]) if t.is("INTEL_UC_MODULE_FW")) {
            continue;
        }
        let mut call = vec![Tok::new(K::Ident, name), Tok::new(K::Punct, "(")];
        for (k, a) in args.iter().enumerate() {
            if k > 0 {
                call.push(Tok::new(K::Punct, ","));
            }
            if k == 0 {
                call.push(Tok::new(K::Ident, "KFIT_FW_ENTRY"));
            } else {
                call.extend(a.iter().cloned());
            }
        }
        call.push(Tok::new(K::Punct, ")"));
        let exp = defs.expand(&call);
        let kind = name
            .trim_start_matches("INTEL_")
            .trim_end_matches("_FIRMWARE_DEFS")
            .to_string();
        let mut entries = Vec::new();
        for el in split_braced(&exp) {
            let (Some(p), Some(r)) = (el.first().and_then(Tok::ident), el.get(2).and_then(Tok::num)) else {
                continue;
            };
            let path = el[3..].iter().filter_map(Tok::str_body).collect::<String>();
            let rev = csrc::parse_c_int(r)
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0);
            if !path.is_empty() {
                entries.push((p.to_string(), rev, path));
            }
        }
        out.push((kind, entries));
    }
    out
}

/// Top-level `{ ... }` groups of a token list (contents without braces).
fn split_braced(toks: &[Tok]) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = Vec::new();
    for t in toks {
        if t.is("{") {
            if depth > 0 {
                cur.push(t.clone());
            }
            depth += 1;
        } else if t.is("}") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.push(t.clone());
            }
        } else if depth > 0 {
            cur.push(t.clone());
        }
    }
    out
}

/// DMC files for `platform` from dmc_firmware_default()/dmc_fallback_path().
fn dmc_for(dmc_c: &str, defs: &Defines, platform: &str) -> (Vec<FwFile>, String) {
    let Some(body) = csrc::braced_after(dmc_c, "dmc_firmware_default") else {
        return (Vec::new(), String::new());
    };
    // (condition tokens, path)
    let mut branches: Vec<(Vec<Tok>, String)> = Vec::new();
    let mut from = 0;
    while let Some(p) = body[from..].find("if (") {
        let open = from + p + 3;
        let Some(close) = csrc::matching_close(body, open) else {
            break;
        };
        let cond = csrc::tokenize(&body[open + 1..close]);
        let after = &body[close + 1..];
        let Some(bo) = after.find('{') else { break };
        let Some(bc) = csrc::matching_close(after, bo) else {
            break;
        };
        let blk = &after[bo + 1..bc];
        from = close + 1 + bc;
        if let Some(fp) = blk.find("fw_path =") {
            let rest = &blk[fp + "fw_path =".len()..];
            let expr = rest.split(';').next().unwrap_or("");
            if let Some(path) = defs.eval_string(&csrc::tokenize(expr)) {
                branches.push((cond, path));
            }
        }
    }
    let named = |cond: &[Tok]| -> Option<Vec<String>> {
        // only IS_X(i915) calls joined by ||
        let mut plats = Vec::new();
        let mut i = 0;
        while i < cond.len() {
            match cond[i].ident() {
                Some(n) if n.starts_with("IS_") => {
                    plats.push(n.trim_start_matches("IS_").to_string());
                    i += 1;
                    if cond.get(i).is_some_and(|t| t.is("(")) {
                        // skip (i915)
                        while i < cond.len() && !cond[i].is(")") {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                _ if cond[i].is("||") => i += 1,
                _ => return None,
            }
        }
        (!plats.is_empty()).then_some(plats)
    };
    let is_named = branches
        .iter()
        .any(|(c, _)| named(c).is_some_and(|v| v.iter().any(|p| p == platform)));
    let mut paths = Vec::new();
    let mut ambiguous = false;
    for (c, path) in &branches {
        match named(c) {
            Some(v) if v.iter().any(|p| p == platform) => {
                paths.push(path.clone());
                break;
            }
            Some(_) => {}
            None if !is_named => {
                paths.push(path.clone());
                ambiguous = true;
            }
            None => {}
        }
    }
    if paths.len() <= 1 {
        ambiguous = false;
    }
    // fallback path: `if (IS_X(i915)) return Y;`
    let mut fallback = None;
    if let Some(fb) = csrc::braced_after(dmc_c, "dmc_fallback_path") {
        let toks = csrc::tokenize(fb);
        for i in 0..toks.len() {
            if toks[i].ident().and_then(|n| n.strip_prefix("IS_")) == Some(platform) {
                if let Some(r) = toks[i..].iter().position(|t| t.is("return")) {
                    let expr: Vec<Tok> = toks[i + r + 1..]
                        .iter()
                        .take_while(|t| !t.is(";"))
                        .cloned()
                        .collect();
                    fallback = defs.eval_string(&expr);
                }
                break;
            }
        }
    }
    let files = paths
        .iter()
        .map(|p| {
            let mut cands = vec![p.clone()];
            if !ambiguous {
                cands.extend(fallback.clone());
            }
            FwFile {
                name: p.clone(),
                reason: if ambiguous {
                    format!("i915: DMC, one of these is chosen by the display version of {platform}")
                } else {
                    format!("i915: DMC of {platform} (intel_dmc.c)")
                },
                candidates: cands,
            }
        })
        .collect();
    let note = if ambiguous {
        format!("; DMC by display version: {} candidates kept", paths.len())
    } else {
        String::new()
    };
    (files, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_nested() {
        let mut d = Defines::default();
        d.add_source(
            "#define INTEL_A_IDS(MACRO__, ...) \\\n MACRO__(0x9A49, ## __VA_ARGS__), \\\n MACRO__(0x9A40, ## __VA_ARGS__)\n#define INTEL_B_IDS(MACRO__, ...) INTEL_A_IDS(MACRO__, ## __VA_ARGS__), MACRO__(0x1, ## __VA_ARGS__)\n",
        );
        assert_eq!(ids_of(&d, "INTEL_B_IDS", 0), vec![0x9a49, 0x9a40, 1]);
    }

    #[test]
    fn dmc_chain() {
        let src = "#define DMC_PATH(p) \"i915/\" __stringify(p) \"_dmc.bin\"\n#define A_PATH DMC_PATH(a)\n#define T_PATH DMC_PATH(tgl)\n#define K_PATH DMC_PATH(kbl)\n#define F_PATH DMC_PATH(adlpf)\nstatic const char *dmc_firmware_default(struct x *i915, u32 *size)\n{\n if (DISPLAY_VER(i915) == 14) {\n fw_path = A_PATH;\n } else if (IS_TIGERLAKE(i915)) {\n fw_path = T_PATH;\n } else if (IS_KABYLAKE(i915) || IS_COMETLAKE(i915)) {\n fw_path = K_PATH;\n }\n return fw_path;\n}\nstatic const char *dmc_fallback_path(struct x *i915)\n{\n if (IS_TIGERLAKE(i915))\n return F_PATH;\n return NULL;\n}\n";
        let mut d = Defines::default();
        d.add_source(src);
        let (f, _) = dmc_for(src, &d, "TIGERLAKE");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].candidates, vec!["i915/tgl_dmc.bin", "i915/adlpf_dmc.bin"]);
        let (f, _) = dmc_for(src, &d, "COMETLAKE");
        assert_eq!(f[0].name, "i915/kbl_dmc.bin");
        let (f, note) = dmc_for(src, &d, "METEORLAKE");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].name, "i915/a_dmc.bin");
        assert!(note.is_empty());
    }
}
