//! Facts of a driver's C source that Kconfig does not state but the kernel
//! acts on at run time, extracted at index time (moved here from the
//! resolver, which read the sources at fit time).
//!
//! Each function here is a *derivation from the source being built*, never a
//! table: the index keeps the file and line each fact came from.
//!
//! * [`enclosing_conditions`]: the `#if IS_ENABLED(CONFIG_X)` / `#ifdef CONFIG_X`
//!   blocks around a line. A device-ID entry inside such a block only exists
//!   when X is on: iwlwifi's AX200 entries sit inside
//!   `#if IS_ENABLED(CONFIG_IWLMVM)` (pcie/drv.c), which is exactly the op-mode
//!   the device needs.
//! * [`entry_line`]: the line of a table entry naming a device ID.
//! * [`spawned_devices`]: child platform / MFD devices a driver registers by
//!   name (`platform_device_register_simple("x", ...)`,
//!   `pdevinfo.name = "x"`, `MFD_CELL_NAME("x")`, `.name = "x"` in an
//!   `mfd_cell` table). A listing of PCI devices alone cannot show these; the
//!   kernel binds them to the platform driver of the same name.
//! * [`softdeps`]: `MODULE_SOFTDEP("pre: a b post: c")` modules, loaded by
//!   modprobe together with the module.
//! * [`requested_modules`]: `request_module("literal")` calls.

/// Facts of the whole tree (not of one module) that the fit-time stages
/// need, so that they read no source file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TreeFacts {
    /// The texts the firmware narrowers read ([`kfit_firmware::Snapshot`]).
    pub firmware_sources: kfit_firmware::Snapshot,
    /// The `HDA_CODEC_ID_GENERIC*` defines of [`HDA_CODEC_H`]: (name, id,
    /// line), the codec ids `codec_bind_generic` falls back to.
    pub hda_generic_ids: Vec<(String, u32, u32)>,
    /// The line of `static int codec_bind_generic` in [`HDA_BIND_C`].
    pub hda_bind_generic: Option<u32>,
}

/// The header defining the generic HDA codec ids.
pub const HDA_CODEC_H: &str = "include/sound/hda_codec.h";
/// The HDA bus code that binds codecs no vendor driver claims.
pub const HDA_BIND_C: &str = "sound/pci/hda/hda_bind.c";

impl TreeFacts {
    /// Read the facts from `tree`. Returns them, every file read, and the
    /// files that could not be read (path, error).
    pub fn extract(tree: &std::path::Path) -> (TreeFacts, Vec<String>, Vec<(String, String)>) {
        let taken = kfit_firmware::Snapshot::take(&kfit_firmware::Tree(tree));
        let mut read = taken.read;
        let mut unreadable = taken.unreadable;
        let mut facts = TreeFacts {
            firmware_sources: taken.snapshot,
            ..TreeFacts::default()
        };
        let mut text = |rel: &str| match std::fs::read(tree.join(rel)) {
            Ok(b) => {
                read.push(rel.to_string());
                Some(String::from_utf8_lossy(&b).into_owned())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                unreadable.push((rel.to_string(), e.to_string()));
                None
            }
        };
        if let Some(t) = text(HDA_CODEC_H) {
            facts.hda_generic_ids = hda_generic_ids(&t);
        }
        if let Some(t) = text(HDA_BIND_C) {
            facts.hda_bind_generic = t
                .lines()
                .position(|l| l.contains("static int codec_bind_generic"))
                .map(|p| p as u32 + 1);
        }
        (facts, read, unreadable)
    }
}

/// `#define HDA_CODEC_ID_GENERIC* 0x...` lines: (name, id, line).
fn hda_generic_ids(text: &str) -> Vec<(String, u32, u32)> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let mut w = l.split_whitespace();
        if w.next() != Some("#define") {
            continue;
        }
        let (Some(name), Some(val)) = (w.next(), w.next()) else {
            continue;
        };
        if !name.starts_with("HDA_CODEC_ID_GENERIC") {
            continue;
        }
        if let Ok(id) = u32::from_str_radix(val.trim_start_matches("0x"), 16) {
            out.push((name.to_string(), id, i as u32 + 1));
        }
    }
    out
}

/// A fact found in a source file, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Found {
    /// The name (symbol, device name or module name).
    pub name: String,
    /// 1-based line of the fact in the scanned text.
    pub line: usize,
}

/// The CONFIG_ symbols (without the prefix) that must be on for `line`
/// (1-based) of `text` to be compiled, from the enclosing preprocessor
/// conditionals. Only positive, simple conditions are reported:
/// `#ifdef CONFIG_X`, `#if IS_ENABLED(CONFIG_X)`, `#if IS_BUILTIN(..)`,
/// `#if IS_REACHABLE(..)`, `#if defined(CONFIG_X)`, and conjunctions of these
/// with `&&`. Anything in an `#else` branch, negated, or an `||` is not a
/// requirement and is skipped.
pub fn enclosing_conditions(text: &str, line: usize) -> Vec<Found> {
    conditions_at(text, &[line]).pop().unwrap_or_default()
}

/// [`enclosing_conditions`] of each of `lines`, in one pass over `text`.
pub fn conditions_at(text: &str, lines: &[usize]) -> Vec<Vec<Found>> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| lines[i]);
    let mut out = vec![Vec::new(); lines.len()];
    let mut k = 0;
    // Stack of (requirements of this #if group, in_else)
    let mut stack: Vec<(Vec<Found>, bool)> = Vec::new();
    let snapshot = |stack: &Vec<(Vec<Found>, bool)>| -> Vec<Found> {
        stack.iter().flat_map(|(v, _)| v.iter().cloned()).collect()
    };
    let mut cont = String::new();
    let mut cont_start = 0;
    for (i, raw) in text.lines().enumerate() {
        let lno = i + 1;
        while k < order.len() && lines[order[k]] <= lno {
            out[order[k]] = snapshot(&stack);
            k += 1;
        }
        if k == order.len() {
            return out;
        }
        let l = raw.trim_start();
        if !cont.is_empty() || l.starts_with('#') {
            if cont.is_empty() {
                cont_start = lno;
            }
            if let Some(stripped) = l.strip_suffix('\\') {
                cont.push_str(stripped);
                cont.push(' ');
                continue;
            }
            cont.push_str(l);
            let directive = std::mem::take(&mut cont);
            let d = directive.trim_start_matches('#').trim_start();
            let (kw, rest) = d.split_once(|c: char| c.is_whitespace()).unwrap_or((d, ""));
            let rest = strip_comment(rest);
            match kw {
                "ifdef" => stack.push((
                    config_name(rest.trim())
                        .map(|n| Found {
                            name: n,
                            line: cont_start,
                        })
                        .into_iter()
                        .collect(),
                    false,
                )),
                "ifndef" => stack.push((Vec::new(), false)),
                "if" => stack.push((positive_conjuncts(rest, cont_start), false)),
                "elif" | "else" | "elifdef" | "elifndef" => {
                    if let Some(top) = stack.last_mut() {
                        top.0.clear();
                        top.1 = true;
                    }
                }
                "endif" => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    while k < order.len() {
        out[order[k]] = snapshot(&stack);
        k += 1;
    }
    out
}

fn strip_comment(s: &str) -> &str {
    let s = s.split("/*").next().unwrap_or(s);
    s.split("//").next().unwrap_or(s)
}

fn config_name(s: &str) -> Option<String> {
    let n = s.strip_prefix("CONFIG_")?;
    let n: String = n
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!n.is_empty()).then_some(n)
}

/// Split an `#if` expression on top-level `&&` and keep the conjuncts that
/// are a single positive config test. An `||` anywhere makes the whole
/// expression a non-requirement.
fn positive_conjuncts(expr: &str, line: usize) -> Vec<Found> {
    if expr.contains("||") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in expr.split("&&") {
        let p = part.trim();
        let p = p.trim_matches(|c| c == '(' || c == ')' || c == ' ');
        if p.starts_with('!') {
            continue;
        }
        for f in ["IS_ENABLED", "IS_BUILTIN", "IS_REACHABLE", "IS_MODULE", "defined"] {
            if let Some(rest) = p.strip_prefix(f) {
                let inner = rest.trim().trim_start_matches('(').trim_end_matches(')').trim();
                if let Some(n) = config_name(inner) {
                    out.push(Found { name: n, line });
                }
            }
        }
        if let Some(n) = config_name(p) {
            if !p.contains(['=', '<', '>']) {
                out.push(Found { name: n, line });
            }
        }
    }
    out
}

/// String literals that name child devices the driver registers.
pub fn spawned_devices(text: &str) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let calls = [
        "platform_device_register_simple(",
        "platform_device_alloc(",
        "platform_device_register_resndata(",
        "platform_device_register_data(",
        "MFD_CELL_NAME(",
        "MFD_CELL_BASIC(",
        "MFD_CELL_RES(",
        "MFD_CELL_OF(",
    ];
    let mut in_cell_table = false;
    let mut depth: i32 = 0;
    for (i, l) in text.lines().enumerate() {
        let lno = i + 1;
        let t = l.trim();
        // Tables of struct mfd_cell / platform_device_info / platform_device
        if (t.contains("struct mfd_cell ")
            || t.contains("struct platform_device_info ")
            || t.contains("struct platform_device "))
            && t.contains('=')
            && t.ends_with('{')
        {
            in_cell_table = true;
            depth = 0;
        }
        if in_cell_table {
            depth += t.matches('{').count() as i32 - t.matches('}').count() as i32;
            if let Some(name) = dot_name_literal(t) {
                out.push(Found { name, line: lno });
            }
            if depth <= 0 && t.contains('}') {
                in_cell_table = false;
            }
        } else if t.contains("pdevinfo") || t.contains("pdev_info") {
            if let Some(name) = dot_name_literal(t) {
                out.push(Found { name, line: lno });
            }
        } else if let Some(name) = name_variable_literal(t) {
            out.push(Found { name, line: lno });
        }
        for c in calls {
            let mut rest = t;
            while let Some(pos) = rest.find(c) {
                rest = &rest[pos + c.len()..];
                // platform_device_register_data/resndata take (parent, "name", ...)
                let arg = if c.starts_with("platform_device_register_data")
                    || c.starts_with("platform_device_register_resndata")
                {
                    rest.split_once(',').map(|(_, r)| r).unwrap_or("")
                } else {
                    rest
                };
                if let Some(name) = leading_literal(arg) {
                    out.push(Found { name, line: lno });
                }
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.line.cmp(&b.line)));
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// `name = "x";`: a local variable (`name`, or one ending in `_name`) set to
/// the literal, later handed to a registering helper, as
/// drivers/char/ipmi/ipmi_dmi.c:48 does (`name = "dmi-ipmi-si";` then
/// `ipmi_platform_add(name, ...)`, which calls `platform_device_alloc`).
/// Struct fields (`.name =`, `->name =`) are not variables and stay out.
fn name_variable_literal(t: &str) -> Option<String> {
    let (lhs, rhs) = t.split_once('=')?;
    let lhs = lhs.trim_end();
    let ident_start = lhs
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let ident = &lhs[ident_start..];
    if ident != "name" && !ident.ends_with("_name") {
        return None;
    }
    // only a statement `ident = ...`, possibly declared: `const char *name =`
    let before = lhs[..ident_start].trim_end();
    if before.ends_with('.') || before.ends_with("->") || before.ends_with(']') {
        return None;
    }
    if rhs.starts_with('=') {
        return None; // `==`
    }
    let rest = rhs.trim_start();
    let lit = leading_literal(rest)?;
    // the literal is the whole value: `"x";`
    rest[lit.len() + 2..].trim_start().starts_with(';').then_some(lit)
}

fn dot_name_literal(t: &str) -> Option<String> {
    let pos = t.find(".name")?;
    let rest = t[pos + 5..].trim_start().strip_prefix('=')?;
    leading_literal(rest)
}

fn leading_literal(s: &str) -> Option<String> {
    let s = s.trim_start().strip_prefix('"')?;
    let end = s.find('"')?;
    let lit = &s[..end];
    (!lit.is_empty() && !lit.contains('%')).then(|| lit.to_string())
}

/// `MODULE_SOFTDEP("pre: a b post: c")` → [a, b, c].
pub fn softdeps(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if let Some(pos) = l.find("MODULE_SOFTDEP(") {
            if let Some(lit) = leading_literal(&l[pos + "MODULE_SOFTDEP(".len()..]) {
                for w in lit.split_whitespace() {
                    if !w.ends_with(':') {
                        out.push(Found {
                            name: w.to_string(),
                            line: i + 1,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The line of the first entry of the table starting at `table_line`
/// (1-based) that names device `dev` as a `0x....` literal, up to the
/// table's closing `};`.
pub fn entry_line(text: &str, table_line: usize, dev: Option<u32>) -> Option<usize> {
    let dev = dev?;
    let needle = format!("0x{dev:04x}");
    for (i, l) in text.lines().enumerate().skip(table_line.saturating_sub(1)) {
        if l.to_ascii_lowercase().contains(&needle) {
            return Some(i + 1);
        }
        if l.trim_start().starts_with("};") {
            break;
        }
    }
    None
}

/// The device ID a modalias pattern fixes: the `d` field of `pci:`, the `p`
/// field of `usb:` (as the device's own ID would be looked up).
pub fn pattern_device(pattern: &str) -> Option<u32> {
    let hex = |s: &str, n: usize| s.get(..n).and_then(|h| u32::from_str_radix(h, 16).ok());
    if let Some(r) = pattern.strip_prefix("pci:v") {
        return hex(r.get(9..)?, 8).filter(|_| r.as_bytes().get(8) == Some(&b'd'));
    }
    if let Some(r) = pattern.strip_prefix("usb:v") {
        return hex(r.get(5..)?, 4).filter(|_| r.as_bytes().get(4) == Some(&b'p'));
    }
    None
}

/// `request_module("literal")` / `request_module_nowait("literal")`.
pub fn requested_modules(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        for c in ["request_module(", "request_module_nowait("] {
            if let Some(pos) = l.find(c) {
                if let Some(lit) = leading_literal(&l[pos + c.len()..]) {
                    out.push(Found {
                        name: lit,
                        line: i + 1,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[Found]) -> Vec<&str> {
        v.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn conditions_follow_nesting_and_else() {
        let src = "\
#if IS_ENABLED(CONFIG_IWLDVM)
a
#endif /* CONFIG_IWLDVM */
#if IS_ENABLED(CONFIG_IWLMVM)
b
#ifdef CONFIG_PM
c
#else
d
#endif
e
#endif
#if defined(CONFIG_A) && !defined(CONFIG_B)
f
#endif
#if defined(CONFIG_A) || defined(CONFIG_B)
g
#endif
";
        let at = |needle: &str| {
            let line = src.lines().position(|l| l == needle).unwrap() + 1;
            let v = enclosing_conditions(src, line);
            names(&v).into_iter().map(String::from).collect::<Vec<_>>()
        };
        assert_eq!(at("a"), ["IWLDVM"]);
        assert_eq!(at("b"), ["IWLMVM"]);
        assert_eq!(at("c"), ["IWLMVM", "PM"]);
        assert_eq!(at("d"), ["IWLMVM"]);
        assert_eq!(at("e"), ["IWLMVM"]);
        assert_eq!(at("f"), ["A"]);
        assert!(at("g").is_empty());
    }

    #[test]
    fn spawned_devices_from_cells_and_calls() {
        let src = r#"
static struct mfd_cell lpc_ich_wdt_cell = {
	.name = "iTCO_wdt",
	.num_resources = 3,
};
	pdevinfo[0].name = "acp_rn_pdm_dma";
	pdev = platform_device_register_simple("dmic-codec", -1, NULL, 0);
	p = platform_device_register_data(&pci->dev, "acp_pdm_mach", 0, NULL, 0);
static const struct mfd_cell cells[] = { MFD_CELL_NAME("intel-spi"), };
	drv.name = "not-a-child";
	name = "dmi-ipmi-si";
	const char *dev_name = "bar-dev";
	p->name = "field";
	if (name == "cmp") x;
	name = "fmt-%d";
	name = "a" "b";
	/* 3600000μAms name */ x = 1;
"#;
        let v = spawned_devices(src);
        assert_eq!(
            names(&v),
            [
                "acp_pdm_mach",
                "acp_rn_pdm_dma",
                "bar-dev",
                "dmi-ipmi-si",
                "dmic-codec",
                "iTCO_wdt",
                "intel-spi"
            ]
        );
    }

    #[test]
    fn entry_lines_and_pattern_devices() {
        let src =
            "static const struct pci_device_id t[] = {\n\t{ PCI_VDEVICE(INTEL, 0x2723) },\n};\n0x2724\n";
        assert_eq!(entry_line(src, 1, Some(0x2723)), Some(2));
        assert_eq!(entry_line(src, 1, Some(0x2724)), None);
        assert_eq!(entry_line(src, 1, None), None);
        assert_eq!(
            pattern_device("pci:v00008086d00002723sv*sd*bc*sc*i*"),
            Some(0x2723)
        );
        assert_eq!(pattern_device("pci:v00008086d*sv*sd*bc*sc*i*"), None);
        assert_eq!(pattern_device("usb:v046Dp0A8Fd*"), Some(0x0a8f));
        assert_eq!(pattern_device("acpi*:PNP0A03:*"), None);
    }

    #[test]
    fn softdeps_and_requests() {
        let src = "MODULE_SOFTDEP(\"pre: crc32c post: foo\");\nrequest_module(\"bar\");\nrequest_module(\"x-%s\", y);";
        assert_eq!(names(&softdeps(src)), ["crc32c", "foo"]);
        assert_eq!(names(&requested_modules(src)), ["bar"]);
    }
}
