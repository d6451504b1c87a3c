//! amdgpu: narrow the driver's MODULE_FIRMWARE names to one chip family.
//!
//! Derivation (every step read from the tree, nothing tabulated here):
//!
//! 1. `drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c` `pciidlist[]`: the device's
//!    `{0x1002, 0x1638, ..., CHIP_RENOIR|AMD_IS_APU}` entry gives the chip
//!    (`CHIP_RENOIR` → `renoir`).
//! 2. `amdgpu_device.c`, the `switch (adev->asic_type)` that sets
//!    `adev->apu_flags`: for `case CHIP_RENOIR:` the PCI device ID decides
//!    `AMD_APU_IS_RENOIR` (0x1636, 0x164c) or `AMD_APU_IS_GREEN_SARDINE`
//!    (others, e.g. 0x1638). A condition that is not only a device-ID test
//!    (revision, ...) keeps both branches.
//! 3. Firmware family: an APU flag whose lower-case name prefixes declared
//!    firmware (`amdgpu/green_sardine_*`) is the family (this is how
//!    `amdgpu_ucode.c` and the IP blocks choose `renoir_*` vs
//!    `green_sardine_*`); otherwise the chip name.
//! 4. Files: every MODULE_FIRMWARE name `amdgpu/<family>_*`.
//! 5. Exclusions the source proves: `gfx_v9_0.c`
//!    `gfx_v9_0_load_mec2_fw_bin_support()` returns false for some GC IP
//!    versions; the family's GC IP version comes from the GC_HWIP switch in
//!    `amdgpu_ucode.c` (`case IP_VERSION(9, 3, 0): ... "renoir" ...
//!    "green_sardine"`). If it is listed, the `%s_mec2.bin` names requested
//!    behind that check are dropped.
//!
//! Limits (kept as a superset, never guessed away): flags set from the
//! revision elsewhere (raven2 in soc15.c) are not evaluated; chips that
//! name firmware by IP version (`gc_11_0_1_*`, `CHIP_IP_DISCOVERY`) are not
//! narrowed (the versions come from the hardware's discovery table).

use crate::csrc::{self, Defines, Tok, K};
use crate::Sources;
use crate::{DeviceIds, FirmwareSet, FwFile, Narrowing};
use std::collections::BTreeSet;

/// An `IP_VERSION(major, minor, rev)`.
pub(crate) type Ip = (u32, u32, u32);

const AMD_DIR: &str = "drivers/gpu/drm/amd/amdgpu";

/// Every file [`narrow`] can read, with the text a file must contain to
/// matter (see [`crate::narrowing_inputs`]).
pub(crate) fn inputs(src: &dyn Sources) -> Vec<(String, Option<&'static str>)> {
    src.list(AMD_DIR, false)
        .into_iter()
        .filter(|f| f.ends_with(".c"))
        .map(|f| {
            let name = &f[AMD_DIR.len() + 1..];
            let always = ["amdgpu_drv.c", "amdgpu_device.c", "amdgpu_ucode.c"].contains(&name)
                || name.starts_with("gfx_v");
            // revision_flags reads only files that set apu_flags.
            let needle = (!always).then_some("apu_flags |=");
            (f, needle)
        })
        .collect()
}

pub(crate) fn narrow(src: &dyn Sources, module_firmware: &[String], dev: &DeviceIds) -> FirmwareSet {
    let label = dev.label();
    let all = || FirmwareSet::unnarrowed("amdgpu", dev, module_firmware);
    let (Some(vendor), Some(device)) = (dev.vendor, dev.device) else {
        let mut s = all();
        s.narrowed_by = format!("amdgpu: no PCI ID for {label}; all declared firmware");
        return s;
    };
    let dir = AMD_DIR;
    let drv = match read_code(src, &format!("{dir}/amdgpu_drv.c")) {
        Ok(t) => t,
        Err(e) => {
            let mut s = all();
            s.narrowed_by = format!("amdgpu: {e}; all declared firmware");
            return s;
        }
    };
    let chips = chips_for(&drv, vendor, device, dev.subvendor, dev.subdevice);
    let Some(chip) = chips.first().cloned() else {
        let mut s = all();
        s.narrowed_by = format!(
            "amdgpu: {vendor:04x}:{device:04x} has no named chip in amdgpu_drv.c pciidlist \
             (IP-discovery device); all {} declared names",
            module_firmware.len()
        );
        return s;
    };
    let chip_name = chip.trim_start_matches("CHIP_").to_ascii_lowercase();

    let dev_c = read_code(src, &format!("{dir}/amdgpu_device.c")).unwrap_or_default();
    let flags = apu_flags_for(&dev_c, &chip, device);

    let has_prefix = |fam: &str| {
        let p = format!("amdgpu/{fam}_");
        module_firmware.iter().any(|n| n.starts_with(&p))
    };
    let mut families: Vec<String> = flags
        .iter()
        .map(|f| f.trim_start_matches("AMD_APU_IS_").to_ascii_lowercase())
        .filter(|f| has_prefix(f))
        .collect();
    let mut how = format!("{vendor:04x}:{device:04x} is {chip} (amdgpu_drv.c pciidlist)");
    if families.is_empty() {
        if !has_prefix(&chip_name) {
            let mut s = all();
            s.narrowed_by = format!(
                "amdgpu: {how}, but no firmware is declared with prefix amdgpu/{chip_name}_ \
                 (firmware named by IP version); all {} declared names",
                module_firmware.len()
            );
            return s;
        }
        families.push(chip_name.clone());
    } else {
        how.push_str(&format!(
            ", apu_flags {} (amdgpu_device.c)",
            flags.iter().cloned().collect::<Vec<_>>().join("|")
        ));
    }
    let gc_ips = gc_ip_by_family(&read_code(src, &format!("{dir}/amdgpu_ucode.c")).unwrap_or_default());

    // Flags set elsewhere from the revision (soc15.c: GC 9.1.0/9.2.2 with
    // rev_id >= 0x8 → AMD_APU_IS_RAVEN2), for the family's GC IP versions.
    let base_ips: Vec<Ip> = families
        .iter()
        .filter_map(|f| gc_ips.iter().find(|(n, _)| n == f).map(|(_, v)| v.clone()))
        .flatten()
        .collect();
    let mut replaced = false;
    for (flag, labels, cond) in revision_flags(src, dir, dev.revision) {
        let fam = flag.trim_start_matches("AMD_APU_IS_").to_ascii_lowercase();
        if !labels.iter().any(|ip| base_ips.contains(ip)) || !has_prefix(&fam) || families.contains(&fam) {
            continue;
        }
        match cond {
            Some(true) if !replaced => {
                how.push_str(&format!(", {flag} by revision"));
                families = vec![fam];
                replaced = true;
            }
            Some(_) => {}
            None => {
                how.push_str(&format!(
                    ", maybe {flag} (set from the revision, which is unknown)"
                ));
                families.push(fam);
            }
        }
    }
    families.sort();
    families.dedup();

    // Exclusions proven by the GFX code.
    let no_mec2 = no_mec2_rules(src, dir);

    let mut files = Vec::new();
    let mut excluded = Vec::new();
    let mut notes = Vec::new();
    for fam in &families {
        let prefix = format!("amdgpu/{fam}_");
        let mut drop: BTreeSet<String> = BTreeSet::new();
        if let Some(ips) = gc_ips.iter().find(|(f, _)| f == fam).map(|(_, ips)| ips) {
            for rule in &no_mec2 {
                if let Some(ip) = ips.iter().find(|ip| rule.ips.contains(ip)) {
                    for fmt in &rule.formats {
                        let n = fmt.replacen("%s", fam, 1);
                        if module_firmware.contains(&n) {
                            drop.insert(n.clone());
                        }
                    }
                    notes.push(format!(
                        "{fam}: GC {}.{}.{} never loads MEC2 firmware ({}: {})",
                        ip.0, ip.1, ip.2, rule.file, rule.func
                    ));
                }
            }
        }
        for n in module_firmware.iter().filter(|n| n.starts_with(&prefix)) {
            if drop.contains(n) {
                excluded.push(FwFile::new(
                    n,
                    format!("declared, but GC IP of {fam} skips MEC2 (gfx_v9_0.c)"),
                ));
            } else {
                files.push(FwFile::new(
                    n,
                    format!("amdgpu: {chip} device {device:04x} uses the {fam} firmware family"),
                ));
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files.dedup_by(|a, b| a.name == b.name);
    let mut narrowed_by = format!(
        "amdgpu: {how} → firmware family {}: {} of {} declared names",
        families.join(", "),
        files.len(),
        module_firmware.len()
    );
    if !notes.is_empty() {
        notes.sort();
        notes.dedup();
        narrowed_by.push_str(&format!("; dropped: {}", notes.join("; ")));
    }
    FirmwareSet {
        module: "amdgpu".into(),
        device: dev.clone(),
        files,
        excluded,
        narrowed_by,
        narrowing: Narrowing::Device,
    }
}

/// The code of a file the narrowers read: comments stripped, directives
/// and branches the configuration policy rules out blanked
/// ([`csrc::read_active`]).
pub(crate) fn read_code(src: &dyn Sources, rel: &str) -> Result<String, String> {
    csrc::read_active(src, rel, &mut Defines::default())
}

/// `CHIP_*` names of the pciidlist entries matching the device.
pub(crate) fn chips_for(
    drv: &str,
    vendor: u16,
    device: u16,
    subvendor: Option<u16>,
    subdevice: Option<u16>,
) -> Vec<String> {
    let Some(body) = csrc::braced_after(drv, "pciidlist[] =") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for el in csrc::top_level_elements(body) {
        // `{v, d, sv, sd, class, mask, data}`
        let Some((fields, _)) = csrc::group_args(&el, 0) else {
            continue;
        };
        if fields.len() < 7 {
            continue;
        }
        let num = |t: &Vec<Tok>| match t.as_slice() {
            [n] => n.num().and_then(csrc::parse_c_int),
            _ => None,
        };
        let any_or = |t: &Vec<Tok>, want: Option<u16>| -> bool {
            match t.as_slice() {
                [i] if i.is("PCI_ANY_ID") => true,
                _ => match (num(t), want) {
                    (Some(v), Some(w)) => v == i64::from(w),
                    (Some(_), None) => true,
                    _ => false,
                },
            }
        };
        if num(&fields[0]) != Some(i64::from(vendor)) || num(&fields[1]) != Some(i64::from(device)) {
            continue;
        }
        if !any_or(&fields[2], subvendor) || !any_or(&fields[3], subdevice) {
            continue;
        }
        for i in fields[6].iter().filter_map(Tok::ident) {
            if i.starts_with("CHIP_") && !out.iter().any(|o| o == i) {
                out.push(i.to_string());
            }
        }
    }
    out
}

/// APU flags the device gets in the `apu_flags` switch of amdgpu_device.c.
pub(crate) fn apu_flags_for(dev_c: &str, chip: &str, device: u16) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let label = format!("case {chip}:");
    for (pos, _) in dev_c.match_indices(&label) {
        let body = case_body(&dev_c[pos + label.len()..]);
        if body.contains("apu_flags |=") {
            eval_stmts(body, device, &mut out);
            break;
        }
    }
    out
}

/// Text of a `case X:` body up to its `break;` / next label at depth 0.
fn case_body(s: &str) -> &str {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'(' => depth += 1,
            b'}' | b')' => {
                depth -= 1;
                if depth < 0 {
                    return &s[..i];
                }
            }
            _ => {}
        }
        if depth == 0 {
            // byte-wise: `i` need not be a char boundary
            let rest = &b[i..];
            if rest.starts_with(b"break;") || rest.starts_with(b"case ") || rest.starts_with(b"default:") {
                return &s[..i];
            }
        }
        i += 1;
    }
    s
}

/// Evaluate `if (dev == X || ...) flags |= A; else flags |= B;` chains.
fn eval_stmts(s: &str, device: u16, out: &mut BTreeSet<String>) {
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("if") {
            let r = r.trim_start();
            if !r.starts_with('(') {
                break;
            }
            let Some(close) = csrc::matching_close(r, 0) else {
                break;
            };
            let cond = &r[1..close];
            let after = r[close + 1..].trim_start();
            let (then_s, after) = split_stmt(after);
            let after = after.trim_start();
            let (else_s, after) = if let Some(e) = after.strip_prefix("else") {
                let e = e.trim_start();
                if e.starts_with("if") {
                    // else-if chain: the rest of the chain is the else branch
                    let (chain, tail) = split_if_chain(e);
                    (Some(chain), tail)
                } else {
                    let (st, tail) = split_stmt(e);
                    (Some(st), tail)
                }
            } else {
                (None, after)
            };
            match eval_device_cond(cond, device) {
                Some(true) => eval_stmts(then_s, device, out),
                Some(false) => {
                    if let Some(e) = else_s {
                        eval_stmts(e, device, out)
                    }
                }
                None => {
                    eval_stmts(then_s, device, out);
                    if let Some(e) = else_s {
                        eval_stmts(e, device, out)
                    }
                }
            }
            rest = after.trim_start();
        } else {
            let (st, after) = split_stmt(rest);
            if let Some(p) = st.find("apu_flags |=") {
                for t in csrc::tokenize(&st[p..]) {
                    if let Some(i) = t.ident().filter(|i| i.starts_with("AMD_APU_IS_")) {
                        out.insert(i.to_string());
                    }
                }
            }
            if after.len() >= rest.len() {
                break;
            }
            rest = after.trim_start();
        }
    }
}

/// One statement: a `{...}` block or text up to `;`. Returns (stmt, rest).
fn split_stmt(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    if s.starts_with('{') {
        if let Some(c) = csrc::matching_close(s, 0) {
            return (&s[1..c], &s[c + 1..]);
        }
        return (s, "");
    }
    if s.starts_with("if") {
        return split_if_chain(s);
    }
    match s.find(';') {
        Some(p) => (&s[..=p], &s[p + 1..]),
        None => (s, ""),
    }
}

/// A whole `if (...) stmt [else stmt]` chain as one statement.
fn split_if_chain(s: &str) -> (&str, &str) {
    let r = &s[2..];
    let off = 2 + (r.len() - r.trim_start().len());
    let Some(close) = csrc::matching_close(s, off) else {
        return (s, "");
    };
    let (_, tail) = split_stmt(&s[close + 1..]);
    let mut end = s.len() - tail.len();
    let t = tail.trim_start();
    if let Some(e) = t.strip_prefix("else") {
        let (_, tail2) = split_stmt(e);
        end = s.len() - tail2.len();
    }
    (&s[..end], &s[end..])
}

/// `Some(bool)` if the condition only compares the PCI device ID.
fn eval_device_cond(cond: &str, device: u16) -> Option<bool> {
    let mut ids = Vec::new();
    let mut residue = cond.to_string();
    for pat in ["adev->pdev->device", "pdev->device"] {
        residue = residue.replace(pat, " DEV ");
    }
    let toks = csrc::tokenize(&residue);
    let mut i = 0;
    let mut pure = true;
    while i < toks.len() {
        let t = &toks[i];
        if t.is("DEV") {
            // DEV == NUM
            if toks.get(i + 1).is_some_and(|t| t.is("==")) {
                if let Some(n) = toks.get(i + 2).and_then(Tok::num) {
                    ids.extend(csrc::parse_c_int(n));
                    i += 3;
                    continue;
                }
            }
            pure = false;
        } else if !(t.is("(") || t.is(")") || t.is("||")) {
            pure = false;
        }
        i += 1;
    }
    (pure && !ids.is_empty()).then(|| ids.contains(&i64::from(device)))
}

/// GC_HWIP IP versions per firmware family name, from the GC_HWIP branch of
/// amdgpu_ucode.c's legacy naming switch.
pub(crate) fn gc_ip_by_family(ucode_c: &str) -> Vec<(String, Vec<Ip>)> {
    let Some(start) = ucode_c.find("block_type == GC_HWIP") else {
        return Vec::new();
    };
    let sect = &ucode_c[start..];
    let end = sect[1..]
        .find("block_type ==")
        .map(|e| e + 1)
        .unwrap_or(sect.len());
    let sect = &sect[..end];
    let mut out: Vec<(String, Vec<Ip>)> = Vec::new();
    let mut pending: Vec<Ip> = Vec::new();
    let labels: Vec<(usize, usize, Ip)> = find_ip_labels(sect);
    for (k, (_, lend, ip)) in labels.iter().enumerate() {
        pending.push(*ip);
        let next = labels.get(k + 1).map(|l| l.0).unwrap_or(sect.len());
        let body = &sect[*lend..next];
        let strs: Vec<String> = csrc::tokenize(body)
            .iter()
            .filter_map(|t| t.str_body().map(str::to_string))
            .collect();
        if body.trim().is_empty() {
            continue;
        }
        for s in strs {
            match out.iter_mut().find(|(f, _)| *f == s) {
                Some((_, v)) => v.extend(pending.iter().copied()),
                None => out.push((s, pending.clone())),
            }
        }
        pending.clear();
    }
    out
}

/// `case IP_VERSION(a, b, c):` labels: (start, end, version).
fn find_ip_labels(s: &str) -> Vec<(usize, usize, Ip)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = s[from..].find("case IP_VERSION(") {
        let st = from + p;
        let open = st + "case IP_VERSION".len();
        from = open;
        let Some(close) = csrc::matching_close(s, open) else {
            break;
        };
        let Some(ip) = parse_ip(&s[open + 1..close]) else {
            continue;
        };
        let after = &s[close + 1..];
        let colon = after.find(':').map(|c| close + 1 + c + 1).unwrap_or(close + 1);
        out.push((st, colon, ip));
    }
    out
}

fn parse_ip(args: &str) -> Option<Ip> {
    let v: Vec<u32> = args
        .split(',')
        .map(|x| x.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .ok()?;
    match v.as_slice() {
        [a, b, c] => Some((*a, *b, *c)),
        _ => None,
    }
}

/// `apu_flags |= AMD_APU_IS_X` statements outside amdgpu_device.c's
/// device-ID switch: (flag, enclosing `case IP_VERSION(...)` labels, whether
/// their `if (adev->rev_id OP N)` condition holds — `None` if unknown).
fn revision_flags(
    src: &dyn Sources,
    dir: &str,
    revision: Option<u8>,
) -> Vec<(String, Vec<Ip>, Option<bool>)> {
    let mut out = Vec::new();
    let files: Vec<_> = src
        .list(dir, false)
        .into_iter()
        .filter(|p| p.ends_with(".c"))
        .filter(|p| !p.ends_with("/amdgpu_device.c"))
        .collect();
    for f in files {
        let Ok(text) = src.read(&f) else {
            continue;
        };
        if !text.contains("apu_flags |=") {
            continue;
        }
        let text = Defines::default().active_code(&csrc::strip_comments(&text));
        let mut from = 0;
        while let Some(p) = text[from..].find("apu_flags |=") {
            let pos = from + p;
            from = pos + 1;
            let end = (pos + 80).min(text.len());
            let end = (end..=text.len())
                .find(|&e| text.is_char_boundary(e))
                .unwrap_or(text.len());
            let flag = csrc::tokenize(&text[pos..end]).iter().find_map(|t| {
                t.ident()
                    .filter(|i| i.starts_with("AMD_APU_IS_"))
                    .map(str::to_string)
            });
            let Some(flag) = flag else { continue };
            let before = &text[..pos];
            let case_start = before.rfind("break;").map(|b| b + 6).unwrap_or(0);
            let labels: Vec<Ip> = find_ip_labels(&before[case_start..])
                .into_iter()
                .map(|(_, _, ip)| ip)
                .collect();
            if labels.is_empty() {
                continue;
            }
            // the statement's own `if (...)`, if any
            let stmt_start = before
                .rfind([';', '{', '}'])
                .map(|x| x + 1)
                .unwrap_or(0)
                .max(case_start);
            let head = before[stmt_start..].trim();
            let head = match head.rfind(':') {
                Some(c) if head[c + 1..].trim_start().starts_with("if") => head[c + 1..].trim(),
                _ => head,
            };
            let cond = if head.starts_with("if") {
                head.find('(')
                    .and_then(|o| csrc::matching_close(head, o).map(|c| &head[o + 1..c]))
                    .map(|c| eval_rev_cond(c, revision))
                    .unwrap_or(None)
            } else {
                Some(true)
            };
            out.push((flag, labels, cond));
        }
    }
    out
}

/// `adev->rev_id >= 0x8` and friends.
fn eval_rev_cond(cond: &str, revision: Option<u8>) -> Option<bool> {
    let toks = csrc::tokenize(&cond.replace("adev->rev_id", " REV "));
    let [r, op, num] = toks.as_slice() else {
        return None;
    };
    if !r.is("REV") || op.k != K::Punct {
        return None;
    }
    let n = csrc::parse_c_int(num.num()?)?;
    let op = op.s.as_str();
    let r = i64::from(revision?);
    Some(match op {
        ">=" => r >= n,
        ">" => r > n,
        "<=" => r <= n,
        "<" => r < n,
        "==" => r == n,
        "!=" => r != n,
        _ => return None,
    })
}

/// A proven "this GC IP does not load MEC2" rule.
pub(crate) struct NoMec2 {
    pub file: String,
    pub func: String,
    pub ips: Vec<Ip>,
    /// request formats (`amdgpu/%s_mec2.bin`) guarded by the check
    pub formats: Vec<String>,
}

fn no_mec2_rules(src: &dyn Sources, dir: &str) -> Vec<NoMec2> {
    let mut out = Vec::new();
    let files: Vec<_> = src
        .list(dir, false)
        .into_iter()
        .filter(|p| {
            let n = p.rsplit('/').next().unwrap_or(p);
            n.starts_with("gfx_v") && n.ends_with(".c")
        })
        .collect();
    for f in files {
        let Ok(text) = read_code(src, &f) else {
            continue;
        };
        let Some(fpos) = text.find("_load_mec2_fw_bin_support(struct") else {
            continue;
        };
        let name_start = text[..fpos]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(|p| p + 1)
            .unwrap_or(0);
        let func = format!("{}_load_mec2_fw_bin_support", &text[name_start..fpos]);
        let Some(body) = csrc::braced_after(&text[name_start..], &func) else {
            continue;
        };
        let Some(rf) = body.find("return false") else {
            continue;
        };
        let ips: Vec<Ip> = find_ip_args(&body[..rf]);
        // Request formats inside the `if (<func>(adev))` blocks.
        let mut formats = Vec::new();
        let guard = format!("if ({func}(adev))");
        for (p, _) in text.match_indices(&guard) {
            let (blk, _) = split_stmt(&text[p + guard.len()..]);
            for s in csrc::tokenize(blk).iter().filter_map(Tok::str_body) {
                if s.contains("%s") && s.contains("mec2") && !formats.iter().any(|f| f == s) {
                    formats.push(s.to_string());
                }
            }
        }
        if !ips.is_empty() && !formats.is_empty() {
            out.push(NoMec2 {
                file: f.rsplit('/').next().unwrap_or(&f).to_string(),
                func,
                ips,
                formats,
            });
        }
    }
    out
}

fn find_ip_args(s: &str) -> Vec<Ip> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = s[from..].find("IP_VERSION(") {
        let open = from + p + "IP_VERSION".len();
        from = open;
        if let Some(close) = csrc::matching_close(s, open) {
            if let Some(ip) = parse_ip(&s[open + 1..close]) {
                out.push(ip);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apu_flag_switch() {
        let src = "switch (adev->asic_type) {\n case CHIP_RAVEN:\n if (adev->pdev->device == 0x15dd)\n adev->apu_flags |= AMD_APU_IS_RAVEN;\n break;\n case CHIP_RENOIR:\n if ((adev->pdev->device == 0x1636) ||\n (adev->pdev->device == 0x164c))\n adev->apu_flags |= AMD_APU_IS_RENOIR;\n else\n adev->apu_flags |= AMD_APU_IS_GREEN_SARDINE;\n break;\n }";
        let f = apu_flags_for(src, "CHIP_RENOIR", 0x1638);
        assert_eq!(
            f.into_iter().collect::<Vec<_>>(),
            vec!["AMD_APU_IS_GREEN_SARDINE"]
        );
        let f = apu_flags_for(src, "CHIP_RENOIR", 0x164c);
        assert_eq!(f.into_iter().collect::<Vec<_>>(), vec!["AMD_APU_IS_RENOIR"]);
        assert!(apu_flags_for(src, "CHIP_RAVEN", 0x15d8).is_empty());
    }

    #[test]
    fn pciidlist_chip() {
        let src = "static const struct pci_device_id pciidlist[] = {\n#ifdef CONFIG_X\n\t{0x1002, 0x1638, PCI_ANY_ID, PCI_ANY_ID, 0, 0, CHIP_RENOIR|AMD_IS_APU},\n#endif\n\t{ PCI_DEVICE(0x1002, PCI_ANY_ID), .driver_data = CHIP_IP_DISCOVERY },\n\t{0, 0, 0}\n};";
        // What read_code gives chips_for: directive lines blanked.
        let code = Defines::default().active_code(src);
        assert_eq!(chips_for(&code, 0x1002, 0x1638, None, None), vec!["CHIP_RENOIR"]);
        assert!(chips_for(&code, 0x1002, 0x1639, None, None).is_empty());
    }

    #[test]
    fn non_ascii_source_does_not_panic() {
        let src = "case CHIP_RENOIR: x = \"\u{e9}\u{e9}\"; if (adev->pdev->device == 0x1636) adev->apu_flags |= AMD_APU_IS_RENOIR; else adev->apu_flags |= AMD_APU_IS_GREEN_SARDINE; break;";
        let f = apu_flags_for(src, "CHIP_RENOIR", 0x1638);
        assert!(f.contains("AMD_APU_IS_GREEN_SARDINE"));
        let _ = gc_ip_by_family("block_type == GC_HWIP \u{e9} case IP_VERSION(9, 3, 0): \u{e9}");
        let _ = chips_for("pciidlist[] = { {\u{e9}, 0x1638} }", 0x1002, 0x1638, None, None);
    }

    #[test]
    fn rev_conditions() {
        assert_eq!(eval_rev_cond("adev->rev_id >= 0x8", Some(8)), Some(true));
        assert_eq!(eval_rev_cond("adev->rev_id >= 0x8", Some(1)), Some(false));
        assert_eq!(eval_rev_cond("adev->rev_id >= 0x8", None), None);
        assert_eq!(eval_rev_cond("x && adev->rev_id >= 0x8", Some(9)), None);
    }

    #[test]
    fn gc_ip_families() {
        let src = "} else if (block_type == GC_HWIP) {\n switch (x) {\n case IP_VERSION(9, 4, 1):\n return \"arcturus\";\n case IP_VERSION(9, 3, 0):\n if (f) return \"renoir\";\n return \"green_sardine\";\n case IP_VERSION(9, 2, 2):\n case IP_VERSION(9, 1, 0):\n return \"raven\";\n }\n } else if (block_type == X) {";
        let m = gc_ip_by_family(src);
        let get = |f: &str| m.iter().find(|(n, _)| n == f).map(|(_, v)| v.clone());
        assert_eq!(get("green_sardine"), Some(vec![(9, 3, 0)]));
        assert_eq!(get("raven"), Some(vec![(9, 2, 2), (9, 1, 0)]));
    }
}
