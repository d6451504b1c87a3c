//! Per-C-file extraction: device tables, driver names, firmware, aliases.

use crate::cpp::{line_of, parse_define, Eval, Expander, Tok, Val, K};
use crate::devtable::{self, Entry, Init, Layouts};
use crate::pp::{preprocess, Global, HeaderCache, View};
use kfit_csrc::init::matching_close_tok as matching_close;
use std::path::Path;
use std::sync::Arc;

/// What one source file contributes.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// (alias pattern, line of the table)
    pub aliases: Vec<(String, u32)>,
    pub driver_names: Vec<String>,
    pub firmware: Vec<String>,
    pub diags: Vec<String>,
    /// Per alias (same order): the line of its entry (of the first token
    /// of the table entry, a macro's tokens having the line of its call;
    /// the line of a `MODULE_ALIAS`) and the `CONFIG_` conditions of the
    /// `#if`s around that line, both from the preprocessor's pass.
    pub alias_at: Vec<(u32, Vec<crate::srcfacts::Found>)>,
    /// Per alias (same order): the macro that declared it when it is an
    /// early-init provider declaration (`IRQCHIP_DECLARE`, ...: built in
    /// only, never in modules.alias), else `None`.
    pub alias_decl: Vec<Option<String>>,
    /// Files it includes (absolute), whatever pass read them.
    #[serde(skip)]
    pub deps: Vec<std::path::PathBuf>,
    /// Local include candidates that did not exist.
    #[serde(skip)]
    pub missing: Vec<std::path::PathBuf>,
}

impl FileFacts {
    /// Record alias `pattern` of the table (or `MODULE_ALIAS`) at `line`,
    /// its entry at `entry` (conditions filled in at the end of the pass).
    fn alias(&mut self, pattern: String, line: u32, entry: u32) {
        self.aliases.push((pattern, line));
        self.alias_at.push((entry, Vec::new()));
        self.alias_decl.push(None);
    }

    /// Record the match `pattern` of an early-init provider declared by
    /// the macro `decl` at `line`.
    fn early_alias(&mut self, pattern: String, line: u32, decl: &str) {
        if self
            .aliases
            .iter()
            .zip(&self.alias_decl)
            .any(|((a, _), d)| *a == pattern && d.as_deref() == Some(decl))
        {
            return;
        }
        self.aliases.push((pattern, line));
        self.alias_at.push((line, Vec::new()));
        self.alias_decl.push(Some(decl.to_string()));
    }
}

/// The position of the first token of an initializer.
fn first_pos(init: &Init) -> Option<crate::cpp::Pos> {
    match init {
        Init::Expr(t) => t.first().map(|t| t.line),
        Init::List(items) => items.iter().find_map(|(_, v)| first_pos(v)),
    }
}

/// Cheap pre-filter: does the file contain anything we extract?
/// `table_macros`: the global macros that expand to a
/// `MODULE_DEVICE_TABLE` ([`Global::table_macros`]: include/linux/irqchip.h's
/// `IRQCHIP_PLATFORM_DRIVER_END`).
/// `early_macros` ([`Global::early_macros`], `IRQCHIP_DECLARE` & co) are
/// looked for through [`needles`].
pub fn interesting(src: &[u8], table_macros: &[String]) -> bool {
    use memchr::memmem::find;
    find(src, b"MODULE_DEVICE_TABLE").is_some()
        || table_macros.iter().any(|m| find(src, m.as_bytes()).is_some())
        || find(src, b"MODULE_FIRMWARE").is_some()
        || find(src, b"MODULE_ALIAS").is_some()
        || defines_driver(src)
        || find(src, b".c\"").is_some() // #include "uhci-pci.c"
}

/// The shortest set of names that finds every name of `names` as a
/// substring: a name containing another one is dropped (`CLK_OF_DECLARE`
/// contains `_OF_DECLARE`), so a pre-filter searches each file for a few
/// words only.
pub fn needles(names: &[String]) -> Vec<String> {
    let mut v: Vec<String> = names
        .iter()
        .filter(|n| !names.iter().any(|m| m != *n && n.contains(m.as_str())))
        .cloned()
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Has `struct <x>_driver <name> [attrs] = {` somewhere (a driver struct
/// whose `.name` we want).
fn defines_driver(src: &[u8]) -> bool {
    for i in memchr::memmem::find_iter(src, b"_driver ") {
        // preceded by "struct <ident>"
        let line_start = src[..i].iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
        if memchr::memmem::find(&src[line_start..i], b"struct ").is_none() {
            continue;
        }
        let rest = &src[i + 8..src.len().min(i + 160)];
        let end = rest.iter().position(|&c| c == b';' || c == b'(' || c == b')');
        let seg = &rest[..end.unwrap_or(rest.len())];
        if let Some(eq) = seg.iter().position(|&c| c == b'=') {
            if seg[eq + 1..].iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{') {
                return true;
            }
        }
    }
    false
}

/// Shared state for scanning.
pub struct Ctx<'a> {
    pub global: &'a Global,
    pub cache: &'a HeaderCache,
    pub layouts: &'a Layouts,
    /// enum constants from mod_devicetable.h (DMI_* …)
    pub enums: &'a crate::cpp::MacroMap,
    pub tree: &'a Path,
    /// Global macros that expand to a `MODULE_DEVICE_TABLE`
    /// ([`Global::table_macros`]): a file using one is read expanded.
    pub table_macros: &'a [String],
    /// Global macros that declare an early-init provider
    /// ([`Global::early_macros`]).
    pub early_macros: &'a [String],
}

const BLOCKED: &[&str] = &["MODULE_INFO", "__MODULE_INFO", "MODULE_DEVICE_TABLE"];

/// Collect `enum { A, B = 3, ... }` constants from tokens as macros.
pub fn enum_consts(toks: &[Tok], out: &mut crate::cpp::MacroMap) {
    let mut i = 0;
    while i < toks.len() {
        if toks[i].s == "enum" && toks[i].k == K::Ident {
            let mut j = i + 1;
            if toks.get(j).is_some_and(|t| t.k == K::Ident) {
                j += 1;
            }
            if toks.get(j).is_some_and(|t| t.is("{")) {
                let Some(end) = matching_close(toks, j) else {
                    return;
                };
                let mut val: i128 = -1;
                let mut k = j + 1;
                while k < end {
                    if toks[k].k != K::Ident {
                        k += 1;
                        continue;
                    }
                    let name = toks[k].s.to_string();
                    k += 1;
                    if toks.get(k).is_some_and(|t| t.is("=")) {
                        let s = k + 1;
                        let mut d = 0;
                        while k < end {
                            let t = &toks[k];
                            if t.is("(") {
                                d += 1;
                            } else if t.is(")") {
                                d -= 1;
                            } else if t.is(",") && d == 0 {
                                break;
                            }
                            k += 1;
                        }
                        // Substitute previous enum constants.
                        let ex: Vec<Tok> = toks[s..k]
                            .iter()
                            .map(|t| {
                                if let Some(m) = out.get(t.s.as_str()) {
                                    if let Some(b) = m.body.first() {
                                        let mut n = b.clone();
                                        n.line = t.line;
                                        return n;
                                    }
                                }
                                t.clone()
                            })
                            .collect();
                        match Eval::eval(&ex, false) {
                            Some(Val::Int(v)) => val = v,
                            _ => {
                                val += 1; // unknown: keep counting
                            }
                        }
                    } else {
                        val += 1;
                    }
                    if let Some((n, m)) = parse_define(&format!("{name} {val}")) {
                        out.entry(n).or_insert(Arc::new(m));
                    }
                    while k < end && !toks[k].is(",") {
                        k += 1;
                    }
                    k += 1;
                }
                i = end;
            }
        }
        i += 1;
    }
}

/// `static const char name[] = "x";` and `char *name = "x";` as macros, so
/// `.name = hcd_name` resolves (xhci-pci.c).
pub fn string_consts(toks: &[Tok], out: &mut crate::cpp::MacroMap) {
    for i in 0..toks.len() {
        if toks[i].s != "char" || toks[i].k != K::Ident {
            continue;
        }
        let mut j = i + 1;
        while toks.get(j).is_some_and(|t| t.is("*") || t.s == "const") {
            j += 1;
        }
        let Some(name) = toks.get(j).filter(|t| t.k == K::Ident) else {
            continue;
        };
        let mut k = j + 1;
        if toks.get(k).is_some_and(|t| t.is("[")) && toks.get(k + 1).is_some_and(|t| t.is("]")) {
            k += 2;
        }
        while toks.get(k).is_some_and(|t| t.k == K::Ident) {
            k += 1; // __initconst & co
        }
        if !toks.get(k).is_some_and(|t| t.is("=")) {
            continue;
        }
        let mut e = k + 1;
        let mut body = String::new();
        while let Some(t) = toks.get(e).filter(|t| t.k == K::Str) {
            body.push_str(&t.s);
            body.push(' ');
            e += 1;
        }
        if body.is_empty() || !toks.get(e).is_some_and(|t| t.is(";")) {
            continue;
        }
        if let Some((n, m)) = parse_define(&format!("{} {body}", name.s)) {
            out.entry(n).or_insert(Arc::new(m));
        }
    }
}

/// Scan one C file. `modname` is its KBUILD_MODNAME.
pub fn scan_file(ctx: &Ctx, path: &Path, src: &[u8], modname: &str, includes: &[String]) -> FileFacts {
    let mut facts = FileFacts::default();
    let (missing, hdr_table) = scan_pass(ctx, path, src, modname, includes, &[], &mut facts);
    if !missing.is_empty() || hdr_table {
        // Tables defined in a header or by a macro: inline every local
        // header, expand the whole unit and look again.
        let mut f2 = FileFacts::default();
        let want = if missing.is_empty() {
            vec![String::new()]
        } else {
            missing
        };
        scan_pass(ctx, path, src, modname, includes, &want, &mut f2);
        for (((a, l), at), decl) in f2.aliases.into_iter().zip(f2.alias_at).zip(f2.alias_decl) {
            if !facts.aliases.iter().any(|x| x.0 == a) {
                facts.aliases.push((a, l));
                facts.alias_at.push(at);
                facts.alias_decl.push(decl);
            }
        }
        for n in f2.driver_names {
            if !facts.driver_names.contains(&n) {
                facts.driver_names.push(n);
            }
        }
        for n in f2.firmware {
            if !facts.firmware.contains(&n) {
                facts.firmware.push(n);
            }
        }
        facts.diags.extend(f2.diags);
        facts.deps.extend(f2.deps);
        facts.missing.extend(f2.missing);
        for v in [&mut facts.deps, &mut facts.missing] {
            v.sort_unstable();
            v.dedup();
        }
    }
    facts
}

/// One pass; returns the tables it could not find.
fn scan_pass(
    ctx: &Ctx,
    path: &Path,
    src: &[u8],
    modname: &str,
    includes: &[String],
    want: &[String],
    facts: &mut FileFacts,
) -> (Vec<String>, bool) {
    // Second (full) pass when `want` is non-empty: every local header is
    // inlined, and global headers defining a wanted table too.
    let full = !want.is_empty();
    let want: Vec<String> = want.iter().filter(|w| !w.is_empty()).cloned().collect();
    let mut missing = Vec::new();
    let first_alias = facts.alias_at.len();
    let mut unit = preprocess(ctx.tree, path, src, ctx.global, ctx.cache, includes, full, &want);
    facts.deps.append(&mut unit.deps);
    facts.missing.append(&mut unit.missing);
    let mut extra: crate::cpp::MacroMap = ctx.enums.clone();
    enum_consts(&unit.toks, &mut extra);
    let mut strs = crate::cpp::MacroMap::default();
    string_consts(&unit.toks, &mut strs);
    if let Some((n, m)) = parse_define(&format!("KBUILD_MODNAME \"{modname}\"")) {
        extra.insert(n, Arc::new(m));
    }
    let view_at = |_line: crate::cpp::Pos| View {
        local: &unit.local,
        global: ctx.global,
        line: None,
        extra: &extra,
    };
    let expanded;
    let is_table_macro = |t: &Tok| t.k == K::Ident && ctx.table_macros.iter().any(|m| m == t.s.as_str());
    let toks: &[Tok] = if full {
        let v = view_at(0);
        let mut ex = Expander::new(&v, BLOCKED);
        expanded = ex.expand(&unit.toks);
        &expanded
    } else if unit.toks.iter().any(is_table_macro) {
        // Only the invocations of a table macro are expanded: the rest
        // (MODULE_ALIAS_CRYPTO, ...) is read as written.
        let v = view_at(0);
        let mut out = Vec::with_capacity(unit.toks.len());
        let mut i = 0;
        while i < unit.toks.len() {
            let t = &unit.toks[i];
            let close = (is_table_macro(t) && unit.toks.get(i + 1).is_some_and(|n| n.is("(")))
                .then(|| matching_close(&unit.toks, i + 1))
                .flatten();
            match close {
                Some(c) => {
                    out.extend(Expander::new(&v, BLOCKED).expand(&unit.toks[i..=c]));
                    i = c + 1;
                }
                None => {
                    out.push(t.clone());
                    i += 1;
                }
            }
        }
        expanded = out;
        &expanded
    } else {
        &unit.toks
    };
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.k != K::Ident {
            i += 1;
            continue;
        }
        let next_paren = toks.get(i + 1).is_some_and(|n| n.is("("));
        if t.s == "MODULE_DEVICE_TABLE" && next_paren {
            let Some(close) = matching_close(toks, i + 1) else {
                break;
            };
            let v = view_at(t.line);
            let mut ex = Expander::new(&v, BLOCKED);
            let args = ex.expand(&toks[i + 2..close]);
            let parts: Vec<&[Tok]> = args.split(|t| t.is(",")).collect();
            if parts.len() == 2 && parts[0].len() == 1 && parts[1].len() == 1 {
                let ty = parts[0][0].s.to_string();
                let name = parts[1][0].s.to_string();
                if !table(ctx, toks, &ty, &name, &view_at, facts, full) {
                    missing.push(name);
                }
            } else {
                facts
                    .diags
                    .push(format!("{}: odd MODULE_DEVICE_TABLE", line_of(t.line)));
            }
            i = close + 1;
            continue;
        }
        if (t.s == "MODULE_FIRMWARE" || t.s.starts_with("MODULE_ALIAS")) && next_paren {
            let Some(close) = matching_close(toks, i + 1) else {
                break;
            };
            let v = view_at(t.line);
            let mut ex = Expander::new(&v, BLOCKED);
            let out = ex.expand(&toks[i..=close]);
            module_info(&out, facts);
            i = close + 1;
            continue;
        }
        if next_paren && !full && is_early_macro(ctx, &view_at(t.line), t) {
            // IRQCHIP_DECLARE(gic_v3, "arm,gic-v3", ...) and the like, or a
            // file's own macro that calls one.
            if let Some(close) = matching_close(toks, i + 1) {
                let v = view_at(t.line);
                let out = Expander::new(&v, BLOCKED).expand(&toks[i..=close]);
                early_declaration(ctx, &t.s, &out, line_of(t.line), facts);
                i = close + 1;
                continue;
            }
        }
        if next_paren && t.s.starts_with(|c: char| c.is_ascii_uppercase()) {
            // A macro whose body declares module info:
            // DECLARE_USB_FUNCTION_INIT(acm, ...) → MODULE_ALIAS("usbfunc:acm").
            let v = view_at(t.line);
            let declares = crate::cpp::MacroSource::get(&v, &t.s, t.line).is_some_and(|m| {
                m.body.iter().any(|b| {
                    b.k == K::Ident
                        && matches!(
                            b.s.as_str(),
                            "MODULE_ALIAS" | "MODULE_FIRMWARE" | "MODULE_INFO" | "__MODULE_INFO"
                        )
                })
            });
            if declares && !BLOCKED.contains(&t.s.as_str()) {
                if let Some(close) = matching_close(toks, i + 1) {
                    let mut ex = Expander::new(&v, BLOCKED);
                    let out = ex.expand(&toks[i..=close]);
                    module_info(&out, facts);
                    i = close + 1;
                    continue;
                }
            }
        }
        if t.s == "struct"
            && toks
                .get(i + 1)
                .is_some_and(|n| n.k == K::Ident && n.s.ends_with("_driver"))
            && toks.get(i + 2).is_some_and(|n| n.k == K::Ident)
        {
            // struct X_driver name [attrs] = {
            let mut j = i + 3;
            while j < toks.len() && j < i + 8 && toks[j].k == K::Ident {
                j += 1;
            }
            if toks.get(j).is_some_and(|n| n.is("=")) && toks.get(j + 1).is_some_and(|n| n.is("{")) {
                if let Some(close) = matching_close(toks, j + 1) {
                    let v = view_at(toks[j + 1].line);
                    let mut ex = Expander::new(&v, BLOCKED);
                    let body = ex.expand(&toks[j + 1..=close]);
                    let mut p = 0;
                    let init = devtable::parse_init(&body, &mut p);
                    if let Some(n) = driver_name(&init, &strs) {
                        if !n.is_empty() && !facts.driver_names.contains(&n) {
                            facts.driver_names.push(n);
                        }
                    }
                    i = close + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    for (entry, conds) in &mut facts.alias_at[first_alias..] {
        *conds = unit
            .conds
            .at(*entry)
            .iter()
            .map(|(name, line)| crate::srcfacts::Found {
                name: name.clone(),
                line: *line as usize,
            })
            .collect();
    }
    (missing, unit.header_table && !full)
}

/// `t` names a macro of [`Global::early_macros`], or the file's own macro
/// whose body calls one.
fn is_early_macro(ctx: &Ctx, v: &View, t: &Tok) -> bool {
    let early = |s: &str| ctx.early_macros.binary_search_by(|m| m.as_str().cmp(s)).is_ok();
    if early(&t.s) {
        return true;
    }
    t.s.starts_with(|c: char| c.is_ascii_uppercase())
        && crate::cpp::MacroSource::get(v, &t.s, t.line)
            .is_some_and(|m| m.params.is_some() && m.body.iter().any(|b| b.k == K::Ident && early(&b.s)))
}

/// The provider an early declaration's expansion `out` defines: a `struct
/// of_device_id` (`_OF_DECLARE`: its `.compatible`, rendered as file2alias
/// renders an `of` table entry) or a `struct acpi_probe_entry`
/// (`ACPI_DECLARE_PROBE_ENTRY`: `.id`, the ACPI table's signature, as
/// `acpi*:<SIG>:*`), recorded as declared by `decl` at `line`.
fn early_declaration(ctx: &Ctx, decl: &str, out: &[Tok], line: u32, facts: &mut FileFacts) {
    let mut i = 0;
    while i + 1 < out.len() {
        let ty = out[i + 1].s.as_str();
        if out[i].s != "struct" || !matches!(ty, "of_device_id" | "acpi_probe_entry") {
            i += 1;
            continue;
        }
        let Some(eq) = out[i..].iter().position(|t| t.is("=")).map(|p| p + i) else {
            return;
        };
        if !out.get(eq + 1).is_some_and(|t| t.is("{")) {
            i = eq + 1;
            continue;
        }
        let Some(close) = matching_close(out, eq + 1) else {
            return;
        };
        let mut p = 0;
        let init = devtable::parse_init(&out[eq + 1..=close], &mut p);
        if ty == "of_device_id" {
            let fields = ctx.layouts.get("of_device_id").map(Vec::as_slice).unwrap_or(&[]);
            let e = Entry::new(&init, fields);
            if !e.str("compatible").unwrap_or_default().is_empty() {
                match devtable::aliases("of", &e, ctx.layouts) {
                    Ok(v) => {
                        for a in v {
                            facts.early_alias(a, line, decl);
                        }
                    }
                    Err(b) => facts.diags.push(format!("{line}: {decl}: {}", b.0)),
                }
            }
        } else {
            let e = Entry::new(&init, &[]);
            match e.str("id") {
                Ok(sig) if !sig.is_empty() => facts.early_alias(format!("acpi*:{sig}:*"), line, decl),
                Ok(_) => {}
                Err(b) => facts.diags.push(format!("{line}: {decl}: {}", b.0)),
            }
        }
        i = close + 1;
    }
}

/// `.name` (or `.driver.name`) of a driver struct initializer. A bare
/// identifier is looked up among the file's `char x[] = "..."` constants.
fn driver_name(init: &Init, strs: &crate::cpp::MacroMap) -> Option<String> {
    let value = |v: &Init| -> Option<String> {
        if let Some(s) = devtable::str_of(v) {
            return Some(s);
        }
        if let Init::Expr(t) = v {
            if t.len() == 1 && t[0].k == K::Ident {
                let m = strs.get(t[0].s.as_str())?;
                if let Some(Val::Str(s)) = Eval::eval(&m.body, false) {
                    return Some(s);
                }
            }
        }
        None
    };
    let Init::List(items) = init else { return None };
    let mut nested = None;
    for (d, v) in items {
        let names: Vec<&str> = d
            .iter()
            .map(|x| match x {
                devtable::Desig::Field(s) => s.as_str(),
                _ => "[]",
            })
            .collect();
        match names.as_slice() {
            ["name"] => {
                if let Some(s) = value(v) {
                    return Some(s);
                }
            }
            ["driver", "name"] | ["drv", "name"] => {
                nested = value(v).or(nested);
            }
            ["driver"] | ["drv"] | ["core"] => {
                if let Some(s) = driver_name(v, strs) {
                    nested = Some(s);
                }
            }
            _ => {}
        }
    }
    nested
}

fn module_info(out: &[Tok], facts: &mut FileFacts) {
    let mut i = 0;
    while i < out.len() {
        let t = &out[i];
        if (t.s == "MODULE_INFO" || t.s == "__MODULE_INFO") && out.get(i + 1).is_some_and(|n| n.is("(")) {
            let Some(close) = matching_close(out, i + 1) else {
                return;
            };
            let args = &out[i + 2..close];
            let parts: Vec<&[Tok]> = args.splitn(3, |t| t.is(",")).collect();
            let (tag, val) = if t.s == "MODULE_INFO" && parts.len() >= 2 {
                (parts[0], &args[parts[0].len() + 1..])
            } else if parts.len() == 3 {
                (parts[0], parts[2])
            } else {
                i = close + 1;
                continue;
            };
            let tag = tag.first().map(|t| t.s.as_str()).unwrap_or("");
            match Eval::eval(val, false) {
                Some(Val::Str(s)) => {
                    if tag == "firmware" {
                        if !facts.firmware.contains(&s) {
                            facts.firmware.push(s);
                        }
                    } else if tag == "alias" {
                        facts.alias(s, line_of(t.line), line_of(t.line));
                    }
                }
                _ => facts.diags.push(format!(
                    "{}: cannot evaluate MODULE_INFO({tag}, {})",
                    line_of(t.line),
                    val.iter().map(|t| t.s.as_str()).collect::<Vec<_>>().join(" ")
                )),
            }
            i = close + 1;
        } else {
            i += 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn table<'v>(
    ctx: &Ctx,
    toks: &[Tok],
    ty: &str,
    name: &str,
    view_at: &dyn Fn(crate::cpp::Pos) -> View<'v>,
    facts: &mut FileFacts,
    full: bool,
) -> bool {
    // Find `struct S name [ ... ] [attrs] = {`.
    let mut found = None;
    for i in 0..toks.len() {
        let t = &toks[i];
        if t.k != K::Ident || t.s != name || !toks.get(i + 1).is_some_and(|n| n.is("[")) {
            continue;
        }
        let Some(rb) = matching_close(toks, i + 1) else {
            continue;
        };
        let mut j = rb + 1;
        while j < toks.len() && j < rb + 6 && (toks[j].k == K::Ident) {
            j += 1;
        }
        if !(toks.get(j).is_some_and(|n| n.is("=")) && toks.get(j + 1).is_some_and(|n| n.is("{"))) {
            continue;
        }
        // struct name: look back.
        let mut sname = None;
        for k in (i.saturating_sub(6)..i).rev() {
            if toks[k].s == "struct" && k + 1 < i {
                sname = Some(toks[k + 1].s.to_string());
                break;
            }
        }
        found = Some((j + 1, sname));
        break;
    }
    let Some((open, sname)) = found else {
        if full {
            facts.diags.push(format!("table {name} ({ty}) not found in file"));
        }
        return false;
    };
    let Some(close) = matching_close(toks, open) else {
        return true;
    };
    let v = view_at(toks[open].line);
    let line = line_of(toks[open].line);
    let mut ex = Expander::new(&v, BLOCKED);
    let body = ex.expand(&toks[open..=close]);
    let mut p = 0;
    let init = devtable::parse_init(&body, &mut p);
    let Init::List(items) = &init else {
        return true;
    };
    let sname = sname.unwrap_or_else(|| devtable::struct_for_type(ty));
    let Some(fields) = ctx.layouts.get(&sname) else {
        facts
            .diags
            .push(format!("{line}: unknown struct {sname} for table {name}"));
        return true;
    };
    // file2alias drops the last entry (the terminator).
    let n = items.len().saturating_sub(1);
    if ty == "pnp_card" {
        // One pnp:d/acpi alias pair per distinct device id of all cards.
        let mut seen: Vec<String> = Vec::new();
        for (_, it) in &items[..n] {
            let e = Entry::new(it, fields);
            let entry = first_pos(it).map_or(line, line_of);
            for d in e.arr("devs") {
                let sub = Entry::new(d, &["id".to_string()]);
                let Ok(id) = sub.str("id") else { continue };
                if id.is_empty() {
                    break;
                }
                if !seen.contains(&id) {
                    facts.alias(format!("pnp:d{id}*"), line, entry);
                    facts.alias(format!("acpi*:{}:*", id.to_ascii_uppercase()), line, entry);
                    seen.push(id);
                }
            }
        }
        return true;
    }
    for (_, it) in &items[..n] {
        let e = Entry::new(it, fields);
        let entry = first_pos(it).map_or(line, line_of);
        // An all-empty slot before the terminator is filled at run time
        // (module parameter, new_id): file2alias would turn it into a
        // catch-all or an all-zero id; kfit skips it.
        if e.is_empty() {
            continue;
        }
        match devtable::aliases(ty, &e, ctx.layouts) {
            Ok(v) => {
                for a in v {
                    facts.alias(a, line, entry);
                }
            }
            Err(b) => facts.diags.push(format!("{line}: table {name} ({ty}): {}", b.0)),
        }
    }
    true
}
