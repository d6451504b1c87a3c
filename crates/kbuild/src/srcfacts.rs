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
    /// Names userspace uses that the sources under [`REGISTRATION_DIRS`]
    /// register ([`registrations`]), in file order.
    pub registrations: Vec<Registration>,
}

/// A name the kernel registers for userspace to use: a filesystem type, a
/// device-mapper target, an md personality, a block major.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Registration {
    /// The struct kind ([`REGISTRATION_KINDS`]) or [`BLKDEV`].
    pub kind: String,
    /// The registered name (`ext4`, `crypt`, `raid1`, `zram`).
    pub name: String,
    /// Tree-relative source file and line.
    pub file: String,
    pub line: u32,
    /// The `CONFIG_` conditions of the `#if`s around the registration.
    pub conditions: Vec<Found>,
}

/// Directories whose sources are read for registrations (a `struct
/// file_system_type` is defined under these in every kernel since 2.6;
/// drivers/ and arch/ hold only special-purpose ones: binderfs, functionfs,
/// xenfs, s390's hypfs).
pub const REGISTRATION_DIRS: [&str; 14] = [
    "fs",
    "mm",
    "kernel",
    "ipc",
    "security",
    "init",
    "block",
    "net",
    "drivers/md",
    "drivers/block",
    "drivers/base",
    "drivers/android",
    "drivers/usb/gadget",
    "drivers/xen",
];

/// The struct kinds whose `.name` registers something userspace names.
pub const REGISTRATION_KINDS: [&str; 3] = ["file_system_type", "target_type", "md_personality"];

/// The kind of block-major names (`register_blkdev` calls).
pub const BLKDEV: &str = "register_blkdev";

/// The header defining the generic HDA codec ids.
pub const HDA_CODEC_H: &str = "include/sound/hda_codec.h";
/// The HDA bus code that binds codecs no vendor driver claims.
pub const HDA_BIND_C: &str = "sound/pci/hda/hda_bind.c";

/// What [`TreeFacts::extract`] looked at: an incremental rebuild keeps the
/// stored facts when none of it changed ([`FactsInputs::touched_by`]).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FactsInputs {
    /// Every file read (tree-relative).
    pub read: Vec<String>,
    /// The directories whose entries decide which files are read: the
    /// directory of every file it tried to read and every directory it
    /// listed, with `true` when it took the whole subtree (sorted).
    pub dirs: Vec<(String, bool)>,
}

/// `a` is `b` or a directory above it (tree-relative; `""` is the top).
fn at_or_above(a: &str, b: &str) -> bool {
    a.is_empty() || a == b || b.strip_prefix(a).is_some_and(|r| r.starts_with('/'))
}

impl FactsInputs {
    /// Whether changing `files` (edited, added or removed) and the entries
    /// of `dirs` can change the facts: a file it read changed, or a
    /// directory it looked into changed, or one above it (which can add
    /// or remove the directory itself), or one inside a subtree it took.
    pub fn touched_by<'a>(&self, mut files: impl Iterator<Item = &'a str>, dirs: &[String]) -> bool {
        files.any(|f| self.read.binary_search_by(|r| r.as_str().cmp(f)).is_ok())
            || dirs.iter().any(|c| {
                self.dirs
                    .iter()
                    .any(|(d, sub)| at_or_above(c, d) || (*sub && at_or_above(d, c)))
            })
    }
}

/// [`kfit_firmware::Tree`] that notes the directories it looks into.
struct Watched<'a> {
    tree: kfit_firmware::Tree<'a>,
    dirs: std::sync::Mutex<Vec<(String, bool)>>,
}

impl Watched<'_> {
    fn note(&self, dir: &str, sub: bool) {
        if let Ok(mut v) = self.dirs.lock() {
            v.push((dir.trim_end_matches('/').to_string(), sub));
        }
    }
}

/// The directory of a tree-relative path (`""`: the top).
fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

impl kfit_firmware::Sources for Watched<'_> {
    fn read(&self, rel: &str) -> Result<std::borrow::Cow<'_, str>, String> {
        self.note(dir_of(rel), false);
        self.tree.read(rel)
    }

    fn list(&self, dir: &str, recursive: bool) -> Vec<String> {
        self.note(dir, recursive);
        self.tree.list(dir, recursive)
    }
}

impl TreeFacts {
    /// Read the facts from `tree`. Returns them, what they were read from
    /// (every file read, the directories looked into), and the files that
    /// could not be read (path, error).
    pub fn extract(tree: &std::path::Path) -> (TreeFacts, FactsInputs, Vec<(String, String)>) {
        let watched = Watched {
            tree: kfit_firmware::Tree(tree),
            dirs: Default::default(),
        };
        let taken = kfit_firmware::Snapshot::take(&watched);
        let mut dirs = watched.dirs.into_inner().unwrap_or_default();
        dirs.extend(REGISTRATION_DIRS.iter().map(|d| (d.to_string(), true)));
        dirs.extend(
            [HDA_CODEC_H, HDA_BIND_C]
                .iter()
                .map(|f| (dir_of(f).to_string(), false)),
        );
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
        let (regs, regs_read, regs_unreadable) = registrations(tree);
        facts.registrations = regs;
        read.extend(regs_read);
        unreadable.extend(regs_unreadable);
        read.sort_unstable();
        read.dedup();
        dirs.sort_unstable();
        dirs.dedup();
        (facts, FactsInputs { read, dirs }, unreadable)
    }
}

/// The registrations of the `.c` files under [`REGISTRATION_DIRS`] (read
/// in parallel, in path order), every file read and the unreadable ones.
pub fn registrations(tree: &std::path::Path) -> (Vec<Registration>, Vec<String>, Vec<(String, String)>) {
    use rayon::prelude::*;
    let mut files = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = REGISTRATION_DIRS.iter().map(|d| tree.join(d)).collect();
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if p.extension().and_then(|x| x.to_str()) == Some("c") {
                files.push(p);
            }
        }
    }
    files.sort();
    let per: Vec<Result<Vec<Registration>, (String, String)>> = files
        .par_iter()
        .map(|p| {
            let rel = p.strip_prefix(tree).unwrap_or(p).display().to_string();
            match std::fs::read(p) {
                Ok(bytes) => Ok(registrations_in(&rel, &String::from_utf8_lossy(&bytes))),
                Err(e) => Err((rel, e.to_string())),
            }
        })
        .collect();
    let mut out = Vec::new();
    let mut read = Vec::new();
    let mut unreadable = Vec::new();
    for (p, r) in files.iter().zip(per) {
        match r {
            Ok(v) => {
                read.push(p.strip_prefix(tree).unwrap_or(p).display().to_string());
                out.extend(v);
            }
            // Vanished since the walk: the directory's stamp notices.
            Err((rel, e)) if !tree.join(&rel).exists() => {
                let _ = e;
            }
            Err(x) => unreadable.push(x),
        }
    }
    (out, read, unreadable)
}

/// The registrations of one source file (tree-relative `rel`): block majors
/// (`register_blkdev(MAJOR, "zram")`; the disks are that name and a
/// number) and the `.name` of [`REGISTRATION_KINDS`] initializers, each
/// with the conditions around it.
pub fn registrations_in(rel: &str, text: &str) -> Vec<Registration> {
    let kinds: Vec<&str> = REGISTRATION_KINDS
        .into_iter()
        .filter(|k| text.contains(&format!("struct {k} ")))
        .collect();
    if kinds.is_empty() && !text.contains("register_blkdev") {
        return Vec::new();
    }
    let toks = kfit_csrc::tokenize_str(text);
    let mut found: Vec<(&str, String, usize)> = call_names(&toks, &["register_blkdev", "__register_blkdev"])
        .into_iter()
        .map(|(name, line)| (BLKDEV, name, line))
        .collect();
    for kind in kinds {
        for (name, line) in initializer_names(&toks, kind) {
            found.push((kind, name, line));
        }
    }
    if found.is_empty() {
        return Vec::new();
    }
    let lines: Vec<usize> = found.iter().map(|f| f.2).collect();
    found
        .into_iter()
        .zip(conditions_at(text, &lines))
        .map(|((kind, name, line), conditions)| Registration {
            kind: kind.to_string(),
            name,
            file: rel.to_string(),
            line: line as u32,
            conditions,
        })
        .collect()
}

/// The first string literal among the arguments of each call of one of
/// `funcs`: (name, line of the call).
fn call_names(toks: &[kfit_csrc::Tok], funcs: &[&str]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if !t.ident().is_some_and(|n| funcs.contains(&n)) {
            continue;
        }
        let Some((args, _)) = kfit_csrc::init::call_args(toks, i + 1) else {
            continue;
        };
        if let Some(lit) = args.iter().flatten().find_map(|a| a.str_body()) {
            out.push((lit.to_string(), t.line as usize));
        }
    }
    out
}

/// `.name = "x"` of each `struct KIND ident [attributes] = { ... }`
/// initializer (its own fields, not nested ones): (name, line).
fn initializer_names(toks: &[kfit_csrc::Tok], kind: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for i in 0..toks.len() {
        if !(toks[i].is("struct") && toks.get(i + 1).is_some_and(|t| t.is(kind))) {
            continue;
        }
        // The variable and any attributes up to `= {`.
        let mut j = i + 2;
        while toks.get(j).is_some_and(|t| t.ident().is_some()) {
            j += 1;
        }
        if j == i + 2
            || !toks.get(j).is_some_and(|t| t.is("="))
            || !toks.get(j + 1).is_some_and(|t| t.is("{"))
        {
            continue;
        }
        let Some((fields, _)) = kfit_csrc::init::group_args(toks, j + 1) else {
            continue;
        };
        for f in &fields {
            if let [dot, name, eq, lit, ..] = f.as_slice() {
                if dot.is(".") && name.is("name") && eq.is("=") {
                    if let Some(v) = lit.str_body() {
                        out.push((v.to_string(), lit.line as usize));
                    }
                }
            }
        }
    }
    out
}

/// `#define HDA_CODEC_ID_GENERIC* 0x...` directives: (name, id, line).
fn hda_generic_ids(text: &str) -> Vec<(String, u32, u32)> {
    let code = kfit_csrc::strip_comments(text.as_bytes());
    let mut out = Vec::new();
    kfit_csrc::cond::directives(&code, None, |line, l| {
        let Some(kfit_csrc::Dir::Define(name, def)) = kfit_csrc::cond::parse_directive(l) else {
            return;
        };
        if !name.starts_with("HDA_CODEC_ID_GENERIC") {
            return;
        }
        let id = match def.get().body.as_slice() {
            [v] => v.num().and_then(kfit_csrc::parse_int),
            _ => None,
        };
        if let Some(id) = id.and_then(|v| u32::try_from(v).ok()) {
            out.push((name, id, line));
        }
    });
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

/// [`enclosing_conditions`] of each of `lines`, in one pass over `text`
/// (the shared C reader's `#if` stack: `kfit_csrc::Requirements`).
pub fn conditions_at(text: &str, lines: &[usize]) -> Vec<Vec<Found>> {
    let r = kfit_csrc::Requirements::of_text(text.as_bytes());
    lines
        .iter()
        .map(|&l| {
            r.at(u32::try_from(l).unwrap_or(u32::MAX))
                .iter()
                .map(|(name, line)| Found {
                    name: name.clone(),
                    line: *line as usize,
                })
                .collect()
        })
        .collect()
}

/// String literals that name child devices the driver registers, read
/// with the shared C lexer (comments do not count):
/// * the name argument of `platform_device_register_simple`,
///   `platform_device_alloc`, `MFD_CELL_*` (first) and
///   `platform_device_register_data/resndata` (second, after the parent);
/// * `.name = "x"` inside a `struct mfd_cell / platform_device_info /
///   platform_device X = { ... }` initializer;
/// * `.name = "x"` in a statement on a `pdevinfo`/`pdev_info` variable;
/// * `name = "x";` / `x_name = "x";`: a local variable set to the literal,
///   later handed to a registering helper, as drivers/char/ipmi/ipmi_dmi.c:48
///   does (`name = "dmi-ipmi-si";` then `ipmi_platform_add(name, ...)`,
///   which calls `platform_device_alloc`). Struct fields (`.name =`,
///   `->name =`, `x[i].name =`) are not variables and stay out.
pub fn spawned_devices(text: &str) -> Vec<Found> {
    use kfit_csrc::Tok;
    const CALLS: [(&str, usize); 8] = [
        ("platform_device_register_simple", 0),
        ("platform_device_alloc", 0),
        ("platform_device_register_resndata", 1),
        ("platform_device_register_data", 1),
        ("MFD_CELL_NAME", 0),
        ("MFD_CELL_BASIC", 0),
        ("MFD_CELL_RES", 0),
        ("MFD_CELL_OF", 0),
    ];
    const TABLES: [&str; 3] = ["mfd_cell", "platform_device_info", "platform_device"];
    let toks = kfit_csrc::tokenize_str(text);
    let lit = |t: Option<&Tok>| -> Option<(String, usize)> {
        let t = t?;
        let s = t.str_body()?;
        (!s.is_empty() && !s.contains('%')).then(|| (s.to_string(), t.line as usize))
    };
    // `. name = "x"` starting at `i`.
    let dot_name = |i: usize| -> Option<(String, usize)> {
        let [d, n, e, ..] = toks.get(i..i + 3)? else {
            return None;
        };
        (d.is(".") && n.is("name") && e.is("=")).then(|| lit(toks.get(i + 3)))?
    };
    let mut out: Vec<Found> = Vec::new();
    let mut push = |f: Option<(String, usize)>| {
        if let Some((name, line)) = f {
            out.push(Found { name, line });
        }
    };
    for (i, t) in toks.iter().enumerate() {
        let Some(id) = t.ident() else { continue };
        if let Some(&(_, k)) = CALLS.iter().find(|(c, _)| *c == id) {
            if let Some((args, _)) = kfit_csrc::init::call_args(&toks, i + 1) {
                push(lit(args.get(k).and_then(|a| a.first())));
            }
        } else if id == "struct" && toks.get(i + 1).is_some_and(|k| TABLES.iter().any(|t| k.is(t))) {
            // `struct KIND name[...] attrs = {` or a compound literal
            // `(struct KIND []) {`: every `.name = "x"` inside.
            let end = toks.len().min(i + 16);
            let open = (i + 2..end)
                .take_while(|&j| !(toks[j].is(";") || toks[j].is("(") || toks[j].is("{")))
                .find(|&j| toks[j].is("="))
                .map(|eq| eq + 1)
                .or_else(|| {
                    let cast = i > 0 && toks[i - 1].is("(");
                    let rp = (i + 2..end)
                        .find(|&j| !(toks[j].is("[") || toks[j].is("]") || toks[j].num().is_some()))?;
                    (cast && toks[rp].is(")")).then_some(rp + 1)
                });
            let Some(open) = open.filter(|&o| toks.get(o).is_some_and(|t| t.is("{"))) else {
                continue;
            };
            let Some(close) = kfit_csrc::init::matching_close_tok(&toks, open) else {
                continue;
            };
            for j in open + 1..close {
                push(dot_name(j));
            }
        } else if id.contains("pdevinfo") || id.contains("pdev_info") {
            for (j, t) in toks.iter().enumerate().take(i + 16).skip(i + 1) {
                if t.is(";") {
                    break;
                }
                push(dot_name(j));
            }
        } else if id == "name" || id.ends_with("_name") {
            let field = i > 0 && (toks[i - 1].is(".") || toks[i - 1].is("->") || toks[i - 1].is("]"));
            if !field
                && toks.get(i + 1).is_some_and(|e| e.is("="))
                && toks.get(i + 3).is_some_and(|e| e.is(";"))
            {
                push(lit(toks.get(i + 2)));
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.line.cmp(&b.line)));
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// `MODULE_SOFTDEP("pre: a b post: c")` → [a, b, c].
pub fn softdeps(text: &str) -> Vec<Found> {
    literal_calls(text, &["MODULE_SOFTDEP"])
        .into_iter()
        .flat_map(|(lit, line)| {
            lit.split_whitespace()
                .filter(|w| !w.ends_with(':'))
                .map(|w| Found {
                    name: w.to_string(),
                    line,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The string literal (adjacent literals joined) each call of one of
/// `names` starts its arguments with, and the call's line, read with the
/// shared C lexer (so a call in a comment does not count). Empty literals
/// and formats (`%`) are skipped.
fn literal_calls(text: &str, names: &[&str]) -> Vec<(String, usize)> {
    if !names.iter().any(|n| text.contains(n)) {
        return Vec::new();
    }
    let toks = kfit_csrc::tokenize_str(text);
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if !t.ident().is_some_and(|n| names.contains(&n)) || !toks.get(i + 1).is_some_and(|n| n.is("(")) {
            continue;
        }
        let lit: String = toks[i + 2..].iter().map_while(|t| t.str_body()).collect();
        if !lit.is_empty() && !lit.contains('%') {
            out.push((lit, t.line as usize));
        }
    }
    out
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
    literal_calls(text, &["request_module", "request_module_nowait"])
        .into_iter()
        .map(|(name, line)| Found { name, line })
        .collect()
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
	.pdevinfo = (struct platform_device_info []) {
		{ .parent = h,
		  .name = "in-a-literal", },
	},
static int f(struct platform_device *pdev) { x.name = "param-not-table"; }
	/* static struct platform_device d = { .name = "commented", }; */
	q = platform_device_register_data(&pci->dev,
			"on-the-next-line", 0, NULL, 0);
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
                "in-a-literal",
                "intel-spi",
                "on-the-next-line"
            ]
        );
    }

    #[test]
    fn pattern_devices() {
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
        let src = "MODULE_SOFTDEP(\"pre: crc32c post: foo\");\nrequest_module(\"bar\");\nrequest_module(\"x-%s\", y);\n/* MODULE_SOFTDEP(\"pre: gone\"); */\nMODULE_SOFTDEP(\"pre: a \"\n\t\"b\");";
        assert_eq!(names(&softdeps(src)), ["crc32c", "foo", "a", "b"]);
        assert_eq!(softdeps(src)[3].line, 5);
        assert_eq!(names(&requested_modules(src)), ["bar"]);
    }

    #[test]
    fn names_in_initializers() {
        let t = "static struct file_system_type ext4_fs_type = {\n\t.owner\t\t= THIS_MODULE,\n\t.name\t\t= \"ext4\",\n};\nstruct file_system_type *get(void);\nstatic struct target_type crypt_target = {\n\t.name   = \"crypt\",\n};\n";
        let toks = kfit_csrc::tokenize_str(t);
        assert_eq!(
            initializer_names(&toks, "file_system_type"),
            [("ext4".to_string(), 3)]
        );
        assert_eq!(
            initializer_names(&toks, "target_type"),
            [("crypt".to_string(), 7)]
        );
        let c = "\tzram_major = register_blkdev(0, \"zram\");\n\tunregister_blkdev(zram_major, \"zram\");\n\tif (__register_blkdev(LOOP_MAJOR, \"loop\", loop_probe)) {\n";
        let toks = kfit_csrc::tokenize_str(c);
        assert_eq!(
            call_names(&toks, &["register_blkdev", "__register_blkdev"]),
            [("zram".to_string(), 1), ("loop".to_string(), 3)]
        );
        let r = registrations_in("fs/x.c", &format!("#if IS_ENABLED(CONFIG_X)\n{t}#endif\n"));
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].line, r[0].conditions[0].name.as_str()), (4, "X"));
    }
}
