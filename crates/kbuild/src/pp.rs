//! Directive handling: comment stripping, `#if` evaluation, local header
//! inclusion, the per-file macro timeline and the global header macro map,
//! on the shared C reader (kfit-csrc; `strip_comments` is its).

use kfit_csrc::cond::{blank_ranges, directives, in_ranges, parse_directive, split_directive, word};
pub use kfit_csrc::strip_comments;
use kfit_csrc::{
    parse_define, tokenize, CondStack, Def, Dir, Macro, MacroSource, Policy, Pos, Requirements, Tok, K,
};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A file split into directives (with their line) and code.
#[derive(Debug, Default)]
pub struct Parsed {
    pub dirs: Vec<(u32, Dir)>,
    /// Comment-free text where directive lines are blanked (same line count).
    pub code: Vec<u8>,
    /// Brace depth at the start of each line (index = line).
    pub depth_at: Vec<u32>,
    /// enum constants defined in the file.
    pub enums: Vec<(String, Arc<Def>)>,
    /// The file has a MODULE_DEVICE_TABLE.
    pub has_table: bool,
    /// Tokens of all of `code` (inactive branches too), from [`parse_full`];
    /// `run` drops those of inactive lines instead of tokenizing again.
    pub toks: Vec<Tok>,
    /// No token of `toks` runs into the next line (an unterminated quote
    /// in inactive text would shift the lines of what follows).
    pub toks_clean: bool,
    /// Set for a cached header that only defines (no conditional but its
    /// include guard, no include): its definitions are looked up in place
    /// instead of being copied into every unit that includes it.
    pub simple: Option<Simple>,
}

/// A header that only defines (see [`Parsed::simple`]), kept compact: the
/// text of its directives and a name index; macros are parsed on first use.
#[derive(Debug)]
pub struct Simple {
    /// The include guard (directive 0 is `#ifndef` it, 1 defines it).
    guard: Option<String>,
    /// Texts after `#define` / names after `#undef`, concatenated.
    text: String,
    /// One per directive, as [`parse_file`] would list them.
    recs: Vec<Rec>,
    cells: Vec<OnceLock<Box<Macro>>>,
    /// Name hash → first directive defining or undefining it.
    first: FxHashMap<u64, u32>,
    /// Directive → next one of the same name hash (`NONE`: none).
    next: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Rec {
    line: u32,
    /// `rest` of a define, name of an undef, in `text`.
    off: u32,
    len: u32,
    /// The name, in `text`.
    name_off: u32,
    name_len: u32,
    kind: RecKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecKind {
    Define,
    Undef,
    /// The guard's `#ifndef` and the final `#endif`.
    Guard,
}

const NONE: u32 = u32::MAX;

fn hash_name(n: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(n)
}

impl Simple {
    /// Headers with fewer directives go through the ordinary path.
    const MIN_DIRS: usize = 32;

    /// The compact form of comment-free `text`, if it only defines.
    fn of(text: &[u8]) -> Option<Simple> {
        let mut s = Simple {
            guard: None,
            text: String::new(),
            recs: Vec::new(),
            cells: Vec::new(),
            first: FxHashMap::default(),
            next: Vec::new(),
        };
        // Conditionals: (directive index, is `#ifndef`, its word) / `#endif`.
        let mut conds: Vec<(usize, Option<String>)> = Vec::new();
        let mut ok = true;
        directives(text, None, |line, l| {
            if !ok {
                return;
            }
            let st = kfit_csrc::text(l);
            let Some((kw, rest)) = split_directive(&st) else {
                return;
            };
            let idx = s.recs.len();
            let off = s.text.len() as u32;
            match kw {
                "define" => {
                    let Some((name, _)) = Def::new(rest) else { return };
                    let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                    s.text.push_str(rest);
                    s.recs.push(Rec {
                        line,
                        off,
                        len: rest.len() as u32,
                        name_off: off + lead as u32,
                        name_len: name.len() as u32,
                        kind: RecKind::Define,
                    });
                }
                "undef" => {
                    let w = word(rest);
                    s.text.push_str(w);
                    s.recs.push(Rec {
                        line,
                        off,
                        len: w.len() as u32,
                        name_off: off,
                        name_len: w.len() as u32,
                        kind: RecKind::Undef,
                    });
                }
                "ifndef" | "endif" => {
                    conds.push((idx, (kw == "ifndef").then(|| word(rest).to_string())));
                    s.recs.push(Rec {
                        line,
                        off,
                        len: 0,
                        name_off: off,
                        name_len: 0,
                        kind: RecKind::Guard,
                    });
                }
                "include" if parse_directive(l).is_some() => ok = false,
                "if" | "elif" | "ifdef" | "else" => ok = false,
                _ => {}
            }
        });
        let n = s.recs.len();
        if !ok || n < Self::MIN_DIRS {
            return None;
        }
        match conds.as_slice() {
            [] => {}
            [(0, Some(g)), (last, None)]
                if *last == n - 1 && s.recs[1].kind == RecKind::Define && s.name(1) == g =>
            {
                s.guard = Some(g.clone());
            }
            _ => return None,
        }
        s.first.reserve(n);
        s.next = vec![NONE; n];
        for i in (0..n).rev() {
            if s.recs[i].kind == RecKind::Guard {
                continue;
            }
            if let Some(old) = s.first.insert(hash_name(s.name(i)), i as u32) {
                s.next[i] = old;
            }
        }
        s.cells = (0..n).map(|_| OnceLock::new()).collect();
        s.text.shrink_to_fit();
        Some(s)
    }

    fn name(&self, i: usize) -> &str {
        let r = &self.recs[i];
        &self.text[r.name_off as usize..(r.name_off + r.name_len) as usize]
    }

    fn ndirs(&self) -> usize {
        self.recs.len()
    }

    /// The macro of define `i`, parsed on first use.
    fn get(&self, i: usize) -> &Macro {
        self.cells[i].get_or_init(|| {
            let r = &self.recs[i];
            let rest = &self.text[r.off as usize..(r.off + r.len) as usize];
            Box::new(parse_define(rest).expect("checked by Def::new").1)
        })
    }
}

/// Split a file into directives and code.
pub fn parse_file(src: &[u8], keep_code: bool) -> Parsed {
    parse_stripped(strip_comments(src), keep_code)
}

fn parse_stripped(text: Vec<u8>, keep_code: bool) -> Parsed {
    let mut p = Parsed::default();
    let mut code = if keep_code { text.clone() } else { Vec::new() };
    directives(&text, keep_code.then_some(&mut code), |line, l| {
        if let Some(d) = parse_directive(l) {
            p.dirs.push((line, d));
        }
    });
    p.code = code;
    p
}

/// Macros defined in the headers that `<...>` includes reach (include/ and
/// arch/<SRCARCH>/include), first definition wins in path order.
///
/// Built whole on a cold index ([`Global::build`]); an incremental rebuild,
/// where no header changed, reads each header only when a re-scanned file
/// looks up a name it defines first ([`Global::lazy`], from the
/// [`GlobalIndex`] the earlier build stored).
#[derive(Default)]
pub struct Global {
    /// Every definition (built whole), or the predefined macros (lazy).
    map: FxHashMap<String, Arc<Def>>,
    lazy: Option<Lazy>,
    /// Which `CONFIG_` symbols the `#if`s of every unit take as set.
    pub policy: Policy,
    /// Every header read (the index's inputs).
    pub files: Vec<PathBuf>,
    /// Headers that could not be read (other than vanished ones).
    pub unreadable: Vec<(PathBuf, String)>,
    /// The names that [`Global::table_macros`] lists.
    table_macros: Vec<String>,
    /// The names that [`Global::early_macros`] lists.
    early_macros: Vec<String>,
    /// Where each name is defined first (kept for the next build).
    index: GlobalIndex,
}

/// What an incremental rebuild needs of the global map without reading
/// every header: the headers in path order, for each name the header that
/// defines it first, and the table macros.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct GlobalIndex {
    /// The headers, tree-relative, in the order they were read.
    pub files: Vec<String>,
    /// ([`kfit_util::stable_hash`] of a name, index in `files` of the
    /// first header defining it), sorted.
    first: Vec<(u64, u32)>,
    /// [`Global::table_macros`].
    table_macros: Vec<String>,
    /// [`Global::early_macros`].
    early_macros: Vec<String>,
}

/// The per-header definitions of a lazily read [`Global`].
struct Lazy {
    /// Where the entries of [`GlobalIndex::first`] whose hash starts with
    /// each [`BUCKET_BITS`]-bit prefix begin (one more at the end): a
    /// lookup scans a few entries instead of a binary search of them all.
    buckets: Vec<u32>,
    predefined: Vec<(String, Arc<Def>)>,
    /// Each header's definitions (first one per name), read on first use.
    defs: Vec<OnceLock<FxHashMap<String, Arc<Def>>>>,
    unreadable: Mutex<Vec<(PathBuf, String)>>,
}

/// Macros every translation unit starts with: kbuild's (`-D__KERNEL__`,
/// `-DMODULE`: scripts/Makefile.lib), the compiler's for `target`
/// ([`kfit_arch::Target`]: its own macros, `__GNUC__` of Debian 12's gcc,
/// the word size) and what the byte order and word size fix in every
/// header (include/uapi/linux/byteorder/{little,big}_endian.h,
/// include/asm-generic/bitsperlong.h).
pub fn predefined(target: &kfit_arch::Target) -> Vec<(String, Arc<Def>)> {
    let mut v: Vec<(&str, &str)> = vec![("__KERNEL__", "1"), ("MODULE", "1")];
    v.extend(target.macros.iter().copied());
    v.push(("__GNUC__", "12"));
    if target.lp64 {
        v.extend([("__LP64__", "1"), ("__CHAR_BIT__", "8"), ("__SIZEOF_LONG__", "8")]);
    } else {
        v.extend([("__CHAR_BIT__", "8"), ("__SIZEOF_LONG__", "4")]);
    }
    if target.little_endian {
        v.extend([("__LITTLE_ENDIAN", "1234"), ("__LITTLE_ENDIAN_BITFIELD", "1")]);
    } else {
        v.extend([("__BIG_ENDIAN", "4321"), ("__BIG_ENDIAN_BITFIELD", "1")]);
    }
    v.push(("BITS_PER_LONG", if target.lp64 { "64" } else { "32" }));
    v.iter()
        .filter_map(|(n, v)| parse_define(&format!("{n} {v}")))
        .map(|(n, m)| (n, Arc::new(Def::ready(m))))
        .collect()
}

/// Never taken as defined from the global map (wrong arch/endianness).
const NOT_DEFINED: &[&str] = &[
    "__BIG_ENDIAN",
    "__BIG_ENDIAN_BITFIELD",
    "__ASSEMBLY__",
    "__ASSEMBLER__",
    "__CHECKER__",
    "__GENKSYMS__",
    "__DISABLE_EXPORTS",
    "BUILD_VDSO",
    "__i386__",
];

fn collect_headers(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    let mut ents: Vec<_> = rd.flatten().collect();
    ents.sort_by_key(|e| e.file_name());
    for e in ents {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            collect_headers(&p, out);
        } else if p.extension().is_some_and(|x| x == "h") {
            let name = p.file_name().unwrap().to_string_lossy();
            if name == "big_endian.h" {
                continue;
            }
            out.push(p);
        }
    }
}

/// The definitions one global header makes when read alone (with the
/// `predefined` macros, its `#if`s decided by `policy`), in order, its
/// enum constants last. `Err`: it could not be read (not for a vanished
/// file: that defines nothing).
fn header_defs(
    f: &Path,
    predefined: &[(String, Arc<Def>)],
    policy: &Policy,
) -> Result<Vec<(String, Arc<Def>)>, String> {
    let src = match std::fs::read(f) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    if memchr::memmem::find(&src, b"define").is_none() {
        return Ok(Vec::new());
    }
    let want_enums = memchr::memmem::find(&src, b"enum").is_some();
    let parsed = parse_file(&src, want_enums);
    let mut empty = Global {
        policy: policy.clone(),
        ..Global::default()
    };
    for (n, m) in predefined {
        empty.map.insert(n.clone(), m.clone());
    }
    let mut local = Local::default();
    let mut st = CondStack::new(policy.clone());
    let mut defs = Vec::new();
    // The include guard is not a macro anyone uses; recording it
    // would make the header look already included.
    let guard = match (parsed.dirs.first(), parsed.dirs.get(1)) {
        (Some((_, Dir::Ifndef(g))), Some((_, Dir::Define(d, _)))) if g == d => Some(g.clone()),
        _ => None,
    };
    for (line, d) in &parsed.dirs {
        if handle(&mut st, d, *line, &local, &empty) {
            continue;
        }
        if !st.active() {
            continue;
        }
        match d {
            Dir::Define(n, m) => {
                local.define(n, *line as Pos, Some(m.clone()));
                if guard.as_ref() != Some(n) {
                    defs.push((n.clone(), m.clone()));
                }
            }
            Dir::Undef(n) => local.define(n, *line as Pos, None),
            _ => {}
        }
    }
    if want_enums {
        // enum constants, as object-like macros
        let toks = tokenize(&parsed.code, 1);
        let mut en = kfit_csrc::MacroMap::default();
        crate::scan::enum_consts(&toks, &mut en);
        let mut en: Vec<_> = en.into_iter().collect();
        en.sort_by(|a, b| a.0.cmp(&b.0));
        defs.extend(en.into_iter().map(|(n, m)| (n, ready(m))));
    }
    Ok(defs)
}

/// Bits of a name's hash that choose its bucket ([`Lazy::buckets`]).
const BUCKET_BITS: u32 = 16;

/// [`Lazy::buckets`] of sorted `first`.
fn buckets(first: &[(u64, u32)]) -> Vec<u32> {
    let mut b = Vec::with_capacity((1 << BUCKET_BITS) + 1);
    let mut i = 0;
    for k in 0..(1u64 << BUCKET_BITS) {
        while i < first.len() && first[i].0 >> (64 - BUCKET_BITS) < k {
            i += 1;
        }
        b.push(i as u32);
    }
    b.push(first.len() as u32);
    b
}

/// The key of a name in [`GlobalIndex::first`] (persisted: the stable hash).
fn name_key(n: &str) -> u64 {
    kfit_util::stable_hash(n.as_bytes())
}

impl Global {
    /// Scan include/ and arch/`srcarch`/include of `tree`, with the
    /// macros `predefined` and the `#if`s decided by `policy`: which
    /// header defines each name first. The definitions themselves are not
    /// kept (the whole map weighs ~100 MB for 6.12): a header is read again
    /// when a name it defines first is looked up, as [`Global::lazy`] does.
    pub fn build(tree: &Path, srcarch: &str, predefined: &[(String, Arc<Def>)], policy: Policy) -> Global {
        let mut files = Vec::new();
        collect_headers(&tree.join("arch").join(srcarch).join("include"), &mut files);
        collect_headers(&tree.join("include"), &mut files);
        let unreadable = Mutex::new(Vec::new());
        // Per header: the names it defines, in order, whether that
        // definition names MODULE_DEVICE_TABLE, and the definition when it
        // is function-like (the early declarations are searched among
        // them, [`early_declare_macros`]).
        let per: Vec<Vec<HeaderName>> = files
            .par_iter()
            .map(|f| match header_defs(f, predefined, &policy) {
                Ok(defs) => defs
                    .into_iter()
                    .map(|(n, d)| {
                        let t = d.text();
                        let table = n != "MODULE_DEVICE_TABLE" && t.contains("MODULE_DEVICE_TABLE");
                        let func = crate::cpp::define_name(t)
                            .is_some_and(|(_, e)| t.as_bytes().get(e) == Some(&b'('));
                        (n, table, func.then_some(d))
                    })
                    .collect(),
                Err(e) => {
                    unreadable.lock().unwrap().push((f.clone(), e));
                    Vec::new()
                }
            })
            .collect();
        let pre: FxHashMap<&str, ()> = predefined.iter().map(|(n, _)| (n.as_str(), ())).collect();
        let mut seen: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
        let mut first = Vec::new();
        let mut table_macros = Vec::new();
        let mut fns: Vec<(String, Arc<Def>)> = Vec::new();
        for (i, names) in per.into_iter().enumerate() {
            for (n, table, func) in names {
                if seen.contains(&n) {
                    continue;
                }
                first.push((name_key(&n), i as u32));
                // A predefined macro takes the place of the header's.
                if !pre.contains_key(n.as_str()) {
                    if table {
                        table_macros.push(n.clone());
                    }
                    if let Some(d) = func {
                        fns.push((n.clone(), d));
                    }
                }
                seen.insert(n);
            }
        }
        drop(seen);
        first.sort_unstable();
        table_macros.sort();
        let early_macros = early_declare_macros(&fns);
        drop(fns);
        let mut unreadable = unreadable.into_inner().unwrap();
        unreadable.sort();
        let rel = |p: &PathBuf| p.strip_prefix(tree).unwrap_or(p).to_string_lossy().into_owned();
        let index = GlobalIndex {
            files: files.iter().map(rel).collect(),
            first,
            table_macros,
            early_macros,
        };
        let mut g = Global::lazy(tree, index, predefined, policy);
        g.unreadable = unreadable;
        g
    }

    /// The map of `tree` an earlier build described in `index` (no header
    /// changed since, same `predefined` macros and `policy`): a header is
    /// read when a name it defines first is looked up.
    pub fn lazy(
        tree: &Path,
        index: GlobalIndex,
        predefined: &[(String, Arc<Def>)],
        policy: Policy,
    ) -> Global {
        let files: Vec<PathBuf> = index.files.iter().map(|f| tree.join(f)).collect();
        Global {
            map: predefined.iter().cloned().collect(),
            lazy: Some(Lazy {
                buckets: buckets(&index.first),
                predefined: predefined.to_vec(),
                defs: (0..files.len()).map(|_| OnceLock::new()).collect(),
                unreadable: Mutex::new(Vec::new()),
            }),
            policy,
            files,
            unreadable: Vec::new(),
            table_macros: index.table_macros.clone(),
            early_macros: index.early_macros.clone(),
            index,
        }
    }

    /// What the next build needs to read this map lazily.
    pub fn take_index(&mut self) -> GlobalIndex {
        std::mem::take(&mut self.index)
    }

    /// The definition of `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Def>> {
        if let Some(d) = self.map.get(name) {
            return Some(d);
        }
        let lazy = self.lazy.as_ref()?;
        let first = &self.index.first;
        let h = name_key(name);
        let b = (h >> (64 - BUCKET_BITS)) as usize;
        let bucket = first.get(lazy.buckets[b] as usize..lazy.buckets[b + 1] as usize)?;
        // Names sharing a hash: their first headers, in path order; the
        // first that defines `name` is its first.
        bucket.iter().filter(|e| e.0 == h).find_map(|&(_, i)| {
            let i = i as usize;
            let defs = lazy.defs.get(i)?.get_or_init(|| {
                let f = &self.files[i];
                let defs = header_defs(f, &lazy.predefined, &self.policy).unwrap_or_else(|e| {
                    if let Ok(mut u) = lazy.unreadable.lock() {
                        u.push((f.clone(), e));
                    }
                    Vec::new()
                });
                let mut m = FxHashMap::default();
                for (n, d) in defs {
                    m.entry(n).or_insert(d);
                }
                m
            });
            defs.get(name)
        })
    }

    /// How many headers were read for lookups (for `KFIT_TIMING`).
    pub fn read_headers(&self) -> usize {
        self.lazy
            .as_ref()
            .map_or(0, |l| l.defs.iter().filter(|d| d.get().is_some()).count())
    }

    /// Headers that could not be read, including those a lazy map read.
    pub fn unreadable(&self) -> Vec<(PathBuf, String)> {
        let mut v = self.unreadable.clone();
        if let Some(l) = &self.lazy {
            v.extend(l.unreadable.lock().map(|u| u.clone()).unwrap_or_default());
        }
        v
    }
}

impl Global {
    /// The macros whose body names `MODULE_DEVICE_TABLE` (a file using one
    /// has a device table without spelling it out), sorted.
    pub fn table_macros(&self) -> Vec<String> {
        self.table_macros.clone()
    }

    /// The macros that declare an early-init provider (sorted): every macro
    /// whose expansion reaches one of [`EARLY_DECLARE_ROOTS`]
    /// (`IRQCHIP_DECLARE` → `OF_DECLARE_2` → `_OF_DECLARE`, `CLK_OF_DECLARE`,
    /// `TIMER_OF_DECLARE`, `RESERVEDMEM_OF_DECLARE`, `IRQCHIP_ACPI_DECLARE`,
    /// `TIMER_ACPI_DECLARE`, ...), the roots included.
    pub fn early_macros(&self) -> Vec<String> {
        self.early_macros.clone()
    }
}

/// The kernel's own macros that put a provider's init function into a
/// linker table the kernel walks before the driver model exists (so the
/// provider has no module and no modalias): `_OF_DECLARE` (a `struct
/// of_device_id` with the `.compatible`, include/linux/of.h:1514-1530 in
/// 6.12) and `ACPI_DECLARE_PROBE_ENTRY`/`ACPI_DECLARE_SUBTABLE_PROBE_ENTRY`
/// (a `struct acpi_probe_entry` with the ACPI table's signature `.id`,
/// include/linux/acpi.h:1356-1376).
pub const EARLY_DECLARE_ROOTS: &[&str] = &[
    "_OF_DECLARE",
    "ACPI_DECLARE_PROBE_ENTRY",
    "ACPI_DECLARE_SUBTABLE_PROBE_ENTRY",
];

/// One name a header defines: the name, whether its definition names
/// `MODULE_DEVICE_TABLE`, and the definition when it is function-like.
type HeaderName = (String, bool, Option<Arc<Def>>);

/// The macros whose expansion reaches one of [`EARLY_DECLARE_ROOTS`] (the
/// roots included), sorted: the closure over "the body names a macro of
/// the set", among `fns`, the first function-like definition of each name
/// (only they declare: they take the name and the compatible).
fn early_declare_macros(fns: &[(String, Arc<Def>)]) -> Vec<String> {
    let mut set: Vec<String> = EARLY_DECLARE_ROOTS
        .iter()
        .filter(|r| fns.iter().any(|(n, _)| n == *r))
        .map(|r| r.to_string())
        .collect();
    let mut new = set.clone();
    while !new.is_empty() {
        let finders: Vec<memchr::memmem::Finder> = new
            .iter()
            .map(|n| memchr::memmem::Finder::new(n.as_bytes()))
            .collect();
        let mut found: Vec<String> = fns
            .par_iter()
            .filter(|(n, d)| {
                let t = d.text().as_bytes();
                let body = &t[crate::cpp::define_name(d.text()).map_or(0, |(_, e)| e)..];
                finders.iter().any(|f| f.find(body).is_some())
                    && !set.iter().any(|s| s == n)
                    && d.get().body.iter().any(|b| new.iter().any(|x| b.s == x.as_str()))
            })
            .map(|(n, _)| n.clone())
            .collect();
        found.sort();
        set.extend(found.iter().cloned());
        new = found;
    }
    set.sort();
    set
}

fn ready(m: Arc<Macro>) -> Arc<Def> {
    Arc::new(Def::ready(Arc::unwrap_or_clone(m)))
}

/// Definitions (`Some`) and `#undef`s (`None`) of one name, in order, with
/// their sequence number (order of processing).
pub type Timeline = Vec<(Pos, u64, Option<Arc<Def>>)>;

/// All the definitions of a [`Simple`] header, made at `base` + their line,
/// as if defined one by one (sequence numbers `seq` + directive index);
/// only the first `lim` directives were processed.
struct Layer {
    h: Arc<Parsed>,
    base: Pos,
    lim: u32,
    seq: u64,
}

/// Timeline of the macros a translation unit defines.
#[derive(Default)]
pub struct Local {
    map: FxHashMap<String, Timeline>,
    layers: Vec<Layer>,
    seq: u64,
}

impl Local {
    pub fn define(&mut self, name: &str, line: Pos, m: Option<Arc<Def>>) {
        let e = (line, self.seq, m);
        self.seq += 1;
        match self.map.get_mut(name) {
            Some(v) => v.push(e),
            None => {
                self.map.insert(name.to_string(), vec![e]);
            }
        }
    }

    /// Record the definitions of the first `lim` directives of a simple
    /// header included at `base`.
    fn layer(&mut self, h: Arc<Parsed>, base: Pos, lim: u32) {
        let seq = self.seq;
        self.seq += lim as u64;
        self.layers.push(Layer { h, base, lim, seq });
    }

    /// State of `name` for code at `line` (definitions on earlier lines).
    /// `Some(None)`: explicitly undefined.
    pub fn at(&self, name: &str, line: Pos) -> Option<Option<&Macro>> {
        let own = self.map.get(name);
        // The state is that of the last definition before the first one
        // (in processing order) at or after `line`.
        fn scan<'x>(
            it: impl Iterator<Item = (Pos, Option<MRef<'x>>)>,
            line: Pos,
        ) -> Option<Option<&'x Macro>> {
            let mut r = None;
            for (l, m) in it {
                if l < line {
                    r = Some(m);
                } else {
                    break;
                }
            }
            r.map(|m| m.map(MRef::get))
        }
        let own_it = || {
            own.into_iter()
                .flatten()
                .map(|(l, _, m)| (*l, m.as_ref().map(MRef::Def)))
        };
        if self.layers.is_empty() {
            return scan(own_it(), line);
        }
        let h = hash_name(name);
        let mut all: Vec<(u64, Pos, Option<MRef>)> = Vec::new();
        let mut sources = 0;
        for ly in &self.layers {
            // Entries of one layer for `name`, in directive order.
            let s = ly.h.simple.as_ref().unwrap();
            let mut i = s.first.get(&h).copied().unwrap_or(NONE);
            let before = all.len();
            while i != NONE && i < ly.lim {
                let r = &s.recs[i as usize];
                if s.name(i as usize) == name {
                    let m = (r.kind == RecKind::Define).then_some(MRef::Hdr(s, i));
                    all.push((ly.seq + i as u64, ly.base + r.line as Pos, m));
                }
                i = s.next[i as usize];
            }
            if all.len() > before {
                sources += 1;
            }
        }
        if sources == 0 {
            return scan(own_it(), line);
        }
        if let Some(o) = own {
            sources += 1;
            all.extend(o.iter().map(|(l, q, m)| (*q, *l, m.as_ref().map(MRef::Def))));
        }
        if sources > 1 {
            all.sort_by_key(|e| e.0);
        }
        scan(all.into_iter().map(|(_, l, m)| (l, m)), line)
    }
}

/// A definition in a [`Local`]: its own, or one of a layer's header.
#[derive(Clone, Copy)]
enum MRef<'a> {
    Def(&'a Arc<Def>),
    Hdr(&'a Simple, u32),
}

impl<'a> MRef<'a> {
    fn get(self) -> &'a Macro {
        match self {
            MRef::Def(d) => d.get(),
            MRef::Hdr(s, i) => s.get(i as usize),
        }
    }
}

/// Macro view for code at a given line.
pub struct View<'a> {
    pub local: &'a Local,
    pub global: &'a Global,
    /// Fixed line for lookups (`#if`), else the token's own line.
    pub line: Option<Pos>,
    pub extra: &'a kfit_csrc::MacroMap,
}

impl MacroSource for View<'_> {
    fn get(&self, name: &str, line: Pos) -> Option<&Macro> {
        if let Some(m) = self.extra.get(name) {
            return Some(m);
        }
        match self.local.at(name, self.line.unwrap_or(line)) {
            Some(Some(m)) => Some(m),
            Some(None) => None,
            None => self.global.get(name).map(|a| a.get()),
        }
    }
}

/// [`CondStack::handle`] with a unit's macros: `defined` from its timeline
/// (then the policy for `CONFIG_`, then the global headers), an `#if`
/// expanded with the macros defined so far.
fn handle(st: &mut CondStack, d: &Dir, line: u32, local: &Local, global: &Global) -> bool {
    let extra = kfit_csrc::MacroMap::default();
    let view = View {
        local,
        global,
        line: Some(Pos::MAX),
        extra: &extra,
    };
    st.handle(d, line, &|n| is_defined(n, local, global), &view)
}

fn is_defined(n: &str, local: &Local, global: &Global) -> bool {
    match local.at(n, Pos::MAX) {
        Some(Some(_)) => return true,
        Some(None) => return false,
        None => {}
    }
    if n.starts_with("CONFIG_") {
        return global.policy.config_true(n);
    }
    if NOT_DEFINED.contains(&n) {
        return false;
    }
    global.get(n).is_some()
}

/// Cache of parsed local headers, shared by all translation units; the
/// least recently used are dropped when they weigh more than
/// [`HeaderCache::BUDGET`] (a header's users are mostly the sources beside
/// it, which the scan reaches together: the whole set of 6.12 weighs
/// ~400 MB, and is what kept a cold index above 700 MB).
#[derive(Default)]
pub struct HeaderCache {
    map: Mutex<Lru>,
    /// `Path::is_file` of include candidates (the tree does not change).
    files: Mutex<FxHashMap<PathBuf, bool>>,
    /// Top-level names under include/ and arch/<SRCARCH>/include (for `<...>`).
    pub global_roots: std::collections::HashSet<String>,
    /// Headers that exist but could not be read.
    pub unreadable: Mutex<Vec<(PathBuf, String)>>,
}

/// The parsed headers, with their weight and last use.
#[derive(Default)]
struct Lru {
    map: HashMap<PathBuf, Cached>,
    /// Sum of the weights.
    total: usize,
    /// Uses so far (the clock of `used`).
    tick: u64,
}

struct Cached {
    v: Option<Arc<Parsed>>,
    weight: usize,
    used: u64,
}

impl Lru {
    /// Drop the least recently used entries until the weight is at most
    /// `to`.
    fn shrink(&mut self, to: usize) {
        let mut by_use: Vec<(u64, PathBuf)> = self
            .map
            .iter()
            .filter(|(_, c)| c.weight > 0)
            .map(|(p, c)| (c.used, p.clone()))
            .collect();
        by_use.sort_unstable();
        for (_, p) in by_use {
            if self.total <= to {
                break;
            }
            if let Some(c) = self.map.remove(&p) {
                self.total -= c.weight;
            }
        }
    }
}

impl Parsed {
    /// About how many bytes it holds (for [`HeaderCache`]'s budget).
    fn weight(&self) -> usize {
        let simple = self.simple.as_ref().map_or(0, |s| {
            s.text.len() + s.recs.len() * (std::mem::size_of::<Rec>() + 16 + 4 + 24)
        });
        let dirs: usize = self
            .dirs
            .iter()
            .map(|(_, d)| match d {
                Dir::Define(n, d) => 200 + n.len() + d.text().len(),
                Dir::If(t) | Dir::Elif(t) => 64 + t.len() * std::mem::size_of::<Tok>(),
                _ => 64,
            })
            .sum();
        64 + simple + dirs + self.enums.len() * 200 + self.depth_at.len() * 4
    }
}

impl HeaderCache {
    /// The weight of parsed headers kept ([`Parsed::weight`]).
    pub const BUDGET: usize = 48 << 20;

    pub fn new(tree: &Path, srcarch: &str) -> HeaderCache {
        let mut roots = std::collections::HashSet::new();
        let arch = Path::new("arch").join(srcarch).join("include");
        for d in [
            Path::new("include").to_path_buf(),
            arch.clone(),
            Path::new("include/uapi").to_path_buf(),
            arch.join("uapi"),
        ] {
            if let Ok(rd) = std::fs::read_dir(tree.join(d)) {
                for e in rd.flatten() {
                    roots.insert(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        HeaderCache {
            map: Mutex::default(),
            files: Mutex::default(),
            global_roots: roots,
            unreadable: Mutex::default(),
        }
    }

    /// What it holds (for `KFIT_TIMING`).
    pub fn stats(&self) -> String {
        let lru = self.map.lock().unwrap();
        format!(
            "header cache: {} headers, weight {} MiB; {} include candidates",
            lru.map.len(),
            lru.total >> 20,
            self.files.lock().unwrap().len()
        )
    }

    /// `p.is_file()`, cached.
    pub fn is_file(&self, p: &Path) -> bool {
        if let Some(v) = self.files.lock().unwrap().get(p) {
            return *v;
        }
        let v = p.is_file();
        self.files.lock().unwrap().insert(p.to_path_buf(), v);
        v
    }

    pub fn get(&self, p: &Path) -> Option<Arc<Parsed>> {
        {
            let mut lru = self.map.lock().unwrap();
            lru.tick += 1;
            let tick = lru.tick;
            if let Some(c) = lru.map.get_mut(p) {
                c.used = tick;
                return c.v.clone();
            }
        }
        // The code is dropped (memory): the rare header whose code is
        // inlined is parsed again by `Run::run`.
        let read = std::fs::read(p);
        if let Err(e) = &read {
            if e.kind() != std::io::ErrorKind::NotFound {
                self.unreadable
                    .lock()
                    .unwrap()
                    .push((p.to_path_buf(), e.to_string()));
            }
        }
        let v = read.ok().map(|src| {
            let text = strip_comments(&src);
            let has_table = memchr::memmem::find(&src, b"MODULE_DEVICE_TABLE").is_some();
            if memchr::memmem::find(&src, b"enum").is_none() {
                // Neither its code nor its brace depths are used: only its
                // directives (and enum constants, none here).
                let mut h = match Simple::of(&text) {
                    Some(s) => Parsed {
                        simple: Some(s),
                        ..Parsed::default()
                    },
                    None => parse_stripped(text, false),
                };
                h.has_table = has_table;
                return Arc::new(h);
            }
            let mut h = parse_full_stripped(&src, text);
            h.code = Vec::new();
            h.toks = Vec::new();
            Arc::new(h)
        });
        let weight = v.as_ref().map_or(0, |h| h.weight());
        let mut lru = self.map.lock().unwrap();
        let used = lru.tick;
        if let Some(old) = lru.map.insert(
            p.to_path_buf(),
            Cached {
                v: v.clone(),
                weight,
                used,
            },
        ) {
            lru.total -= old.weight;
        }
        lru.total += weight;
        if lru.total > Self::BUDGET {
            lru.shrink(Self::BUDGET / 4 * 3);
        }
        v
    }
}

/// Parse with code, brace depth per line and enum constants.
pub fn parse_full(src: &[u8]) -> Parsed {
    parse_full_stripped(src, strip_comments(src))
}

/// [`parse_full`] of `src` whose comment-free text is `text`.
fn parse_full_stripped(src: &[u8], text: Vec<u8>) -> Parsed {
    let mut p = parse_stripped(text, true);
    // Brace depth at the start of each line (1-based; index 0 unused).
    let mut depth = vec![0u32; 1];
    let mut d: i64 = 0;
    depth.push(0);
    let c = &p.code;
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            b'\n' => depth.push(d.max(0) as u32),
            b'{' => d += 1,
            b'}' => d -= 1,
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < c.len() && c[i] != q && c[i] != b'\n' {
                    if c[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    p.depth_at = depth;
    p.has_table = memchr::memmem::find(src, b"MODULE_DEVICE_TABLE").is_some();
    p.toks = tokenize(&p.code, 1);
    p.toks_clean = !p
        .toks
        .iter()
        .any(|t| matches!(t.k, K::Str | K::Char) && t.s.ends_with('\n'));
    if memchr::memmem::find(src, b"enum").is_some() {
        let mut en = kfit_csrc::MacroMap::default();
        crate::scan::enum_consts(&p.toks, &mut en);
        let mut en: Vec<_> = en.into_iter().collect();
        en.sort_by(|a, b| a.0.cmp(&b.0));
        p.enums = en.into_iter().map(|(n, m)| (n, ready(m))).collect();
    }
    p
}

/// Result of preprocessing one C file.
pub struct Unit {
    pub local: Local,
    /// Active code tokens (inactive branches removed).
    pub toks: Vec<Tok>,
    /// A local header it includes has a MODULE_DEVICE_TABLE.
    pub header_table: bool,
    /// Every file it included (the unit's inputs besides itself and the
    /// global headers).
    pub deps: Vec<PathBuf>,
    /// Local include candidates that did not exist.
    pub missing: Vec<PathBuf>,
    /// The `CONFIG_` symbols each line of the file itself requires, from
    /// its conditionals as this pass ran them.
    pub conds: Requirements,
}

struct Run<'a> {
    global: &'a Global,
    cache: &'a HeaderCache,
    tree: &'a Path,
    tu_dir: PathBuf,
    inline_all: bool,
    budget: usize,
    local: Local,
    includes: Vec<PathBuf>,
    header_table: bool,
    /// Tables not found in a first pass (their names).
    want: Vec<String>,
    deps: Vec<PathBuf>,
    missing: Vec<PathBuf>,
    conds: Requirements,
}

/// Preprocess a C file: run its directives (descending into local includes,
/// whose code is inlined when the include sits inside braces, as tables
/// built from `#include "unusual_devs.h"` do, or always if `inline_all`),
/// and tokenize the active code.
#[allow(clippy::too_many_arguments)]
pub fn preprocess(
    tree: &Path,
    path: &Path,
    src: &[u8],
    global: &Global,
    cache: &HeaderCache,
    includes: &[String],
    inline_all: bool,
    want: &[String],
) -> Unit {
    let mut parsed = parse_full(src);
    let pre = std::mem::take(&mut parsed.toks);
    let mut r = Run {
        global,
        cache,
        tree,
        tu_dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        inline_all,
        budget: 600_000,
        local: Local::default(),
        includes: includes.iter().map(PathBuf::from).collect(),
        header_table: false,
        want: want.to_vec(),
        deps: Vec::new(),
        missing: Vec::new(),
        conds: Requirements::default(),
    };
    let dir = r.tu_dir.clone();
    for (n, m) in &parsed.enums {
        r.local.define(n, 0, Some(m.clone()));
    }
    let toks = r.run(&parsed, Some(pre), &dir, None, 0, true);
    for v in [&mut r.deps, &mut r.missing] {
        v.sort_unstable();
        v.dedup();
    }
    Unit {
        local: r.local,
        toks,
        header_table: r.header_table,
        deps: r.deps,
        missing: r.missing,
        conds: r.conds,
    }
}

impl Run<'_> {
    /// The file an `#include` names, or the candidates tried next to the
    /// including file for a quoted include (a file created there later
    /// changes what the unit sees; new files in `-I` directories that
    /// would shadow a header are not tracked).
    fn resolve(&self, dir: &Path, quoted: bool, path: &str) -> Result<PathBuf, Vec<PathBuf>> {
        let mut tried = Vec::new();
        if quoted {
            for p in [dir.join(path), self.tu_dir.join(path)] {
                if self.cache.is_file(&p) {
                    return Ok(p);
                }
                tried.push(p);
            }
        }
        for i in &self.includes {
            let c = i.join(path);
            if self.cache.is_file(&c) {
                return Ok(c);
            }
        }
        let first = path.split('/').next().unwrap_or("");
        if self.cache.global_roots.contains(first) {
            return Err(tried);
        }
        // <foo.h> from a driver's own -I directory: look up the ancestors.
        let mut a = Some(self.tu_dir.as_path());
        for _ in 0..4 {
            let Some(d) = a else { break };
            if !d.starts_with(self.tree) || d == self.tree {
                break;
            }
            for c in [d.join(path), d.join("include").join(path)] {
                if self.cache.is_file(&c) {
                    return Ok(c);
                }
            }
            a = d.parent();
        }
        Err(tried)
    }

    /// Run one file's directives; return its active code tokens. With
    /// `at = Some(L)` (an inlined header) every token gets line L+1 and every
    /// definition line L.
    /// `pre`: the tokens of `p.code` when [`parse_full`] made them.
    fn run(
        &mut self,
        p: &Parsed,
        pre: Option<Vec<Tok>>,
        dir: &Path,
        at: Option<Pos>,
        depth: u32,
        want_code: bool,
    ) -> Vec<Tok> {
        let mut st = CondStack::new(self.global.policy.clone());
        let mut inserts: Vec<(Pos, Vec<Tok>)> = Vec::new();
        for (line, d) in &p.dirs {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            if handle(&mut st, d, *line, &self.local, self.global) {
                if at.is_none() {
                    self.conds.record(*line, &st);
                }
                continue;
            }
            if !st.active() {
                continue;
            }
            let dl: Pos = match at {
                Some(b) => b + *line as Pos,
                None => (*line as Pos) << 20,
            };
            match d {
                Dir::Define(n, m) => self.local.define(n, dl, Some(m.clone())),
                Dir::Undef(n) => self.local.define(n, dl, None),
                Dir::Include { quoted, path } => {
                    if depth > 12 {
                        continue;
                    }
                    let found = match self.resolve(dir, *quoted, path) {
                        Ok(p) => Some(p),
                        Err(tried) => {
                            self.missing.extend(tried);
                            None
                        }
                    };
                    let Some(hp) = found.or_else(|| {
                        // Full pass: a global header defining a wanted table
                        // (include/linux/input/elan-i2c-ids.h).
                        if *quoted || self.want.is_empty() {
                            return None;
                        }
                        let hp = self.tree.join("include").join(path);
                        let h = std::fs::read(&hp).ok()?;
                        self.want
                            .iter()
                            .any(|w| memchr::memmem::find(&h, w.as_bytes()).is_some())
                            .then_some(hp)
                    }) else {
                        continue;
                    };
                    self.deps.push(hp.clone());
                    let Some(h) = self.cache.get(&hp) else { continue };
                    let hdir = hp.parent().unwrap_or(dir).to_path_buf();
                    self.header_table |= h.has_table;
                    for (n, m) in &h.enums {
                        if self.local.at(n, Pos::MAX).is_none() {
                            self.local.define(n, dl, Some(m.clone()));
                        }
                    }
                    // Inside braces, or nested in a header whose code is inlined.
                    let inside = at.is_some() || p.depth_at.get(*line as usize).is_some_and(|d| *d > 0);
                    let want = want_code && (inside || self.inline_all);
                    let base = at.unwrap_or(dl);
                    if let (false, Some(s)) = (want, &h.simple) {
                        // What `run` would do, without copying the definitions:
                        // each directive takes one unit of budget; the body is
                        // active unless the guard is defined.
                        let lim = s.ndirs().min(self.budget);
                        self.budget -= lim;
                        let active = match &s.guard {
                            Some(g) => lim == 0 || !is_defined(g, &self.local, self.global),
                            None => true,
                        };
                        if active && lim > 0 {
                            self.local.layer(h.clone(), base, lim as u32);
                        }
                        continue;
                    }
                    let (h, pre) = if want {
                        match std::fs::read(&hp) {
                            Ok(src) => {
                                let mut h = parse_full(&src);
                                let pre = std::mem::take(&mut h.toks);
                                (Arc::new(h), Some(pre))
                            }
                            Err(_) => continue,
                        }
                    } else {
                        (h, None)
                    };
                    let t = self.run(&h, pre, &hdir, Some(base), depth + 1, want);
                    if want {
                        inserts.push((dl, t));
                    }
                }
                _ => {}
            }
        }
        let ranges = st.inactive_ranges();
        if !want_code {
            return Vec::new();
        }
        // Lines strictly inside a range are inactive.
        let mut toks = match pre {
            Some(mut toks) if p.toks_clean => {
                let mut ri = 0;
                toks.retain(|t| !in_ranges(&ranges, &mut ri, t.line as u32));
                toks
            }
            _ => {
                let mut code = p.code.clone();
                blank_ranges(&mut code, &ranges);
                tokenize(&code, 1)
            }
        };
        for t in &mut toks {
            t.line = match at {
                Some(b) => b + t.line,
                None => t.line << 20,
            };
        }
        if inserts.is_empty() {
            return toks;
        }
        let mut out = Vec::with_capacity(toks.len());
        let mut ii = 0;
        for t in toks {
            while ii < inserts.len() && inserts[ii].0 < t.line {
                out.append(&mut inserts[ii].1);
                ii += 1;
            }
            out.push(t);
        }
        while ii < inserts.len() {
            out.append(&mut inserts[ii].1);
            ii += 1;
        }
        out
    }
}
