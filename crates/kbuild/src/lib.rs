//! kfit-kbuild: an index of a Linux source tree that answers, for the exact
//! kernel being built and without building anything:
//!
//! * which module (by path, e.g. `drivers/usb/host/xhci-pci`) each object
//!   builds and under which `CONFIG_` symbols (Kbuild map, path-aware);
//! * which driver names (`.name` of `pci_driver`, `usb_driver`, … incl.
//!   `KBUILD_MODNAME`) each module registers;
//! * the modalias patterns of every `MODULE_DEVICE_TABLE` (in the exact
//!   format of `scripts/mod/file2alias.c`) and `MODULE_ALIAS`;
//! * the firmware names of `MODULE_FIRMWARE`, macros expanded.
//!
//! An index is of one architecture ([`Arch`]): its `arch/<SRCARCH>`
//! directory, Makefiles read with its `ARCH`/`SRCARCH`, its headers and
//! compiler macros, and the `#if` policy its Kconfig implies
//! ([`kfit_arch::off_symbols`]).
//!
//! Entry points: [`KernelIndex::build`], [`KernelIndex::load_or_build`],
//! then [`KernelIndex::module`], [`KernelIndex::module_by_driver_name`],
//! [`KernelIndex::match_modalias`].
//!
//! The cache is serialized with `bincode` 1: serde-native, schema-less and
//! a straight little-endian layout, in sections (modules in runs, lookup
//! maps, diagnostics) that decode in parallel; the maps are stored, not
//! rebuilt (see [`KernelIndex::load`]).

pub mod cpp;
pub mod devtable;
pub mod fresh;
pub mod glob;
pub mod make;
pub mod pp;
pub mod refs;
pub mod revision;
pub mod scan;
pub mod srcfacts;

pub use kfit_arch::Arch;
use make::{Cond, DirInfo};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} is not a kernel source tree (no Makefile with VERSION)")]
    NotATree(PathBuf),
    #[error("I/O error on {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("cache {0}: {1}")]
    Cache(PathBuf, String),
    /// kfit does not know the compiler target of this arch.
    #[error("ARCH={0}: kfit does not know what the compiler predefines for it (known: {1})")]
    UnknownTarget(String, String),
    /// The index was built, but some files could not be read: it lacks
    /// what they hold, and is not cached.
    #[error("{} file(s) of the tree could not be read, the index is incomplete: {}", .0.unreadable.len(), .0.unreadable.iter().map(|(f, e)| format!("{f}: {e}")).collect::<Vec<_>>().join("; "))]
    Partial(Box<KernelIndex>),
}

pub type Result<T> = std::result::Result<T, Error>;

/// One modalias pattern and where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Alias {
    /// Pattern in modules.alias format, e.g. `pci:v00008086d00002723sv*sd*bc*sc*i*`.
    pub pattern: String,
    /// Source file (tree-relative) and line of the table or MODULE_ALIAS.
    pub file: String,
    pub line: u32,
    /// Line of the entry: where the preprocessor saw the entry's first
    /// token (a macro's expansion has the line of its call, code inlined
    /// from a header the line of the `#include`); for `MODULE_ALIAS`, its
    /// line ([`scan::FileFacts::alias_at`]).
    pub entry_line: u32,
    /// The `CONFIG_` symbols of the `#if` blocks around the entry, with the
    /// line of each `#if`, from the same pass (`kfit_csrc::CondStack`'s
    /// requirements): the entry exists only when they are on.
    pub conditions: Vec<srcfacts::Found>,
    /// The macro that declared it when this is no modalias but an early-init
    /// provider declaration (`IRQCHIP_DECLARE`, `CLK_OF_DECLARE`,
    /// `TIMER_OF_DECLARE`, `IRQCHIP_ACPI_DECLARE`, ...,
    /// [`pp::Global::early_macros`]): the kernel runs the provider's init
    /// before the driver model, only when it is built in; no
    /// `modules.alias` has it.
    pub declared_by: Option<String>,
}

impl Alias {
    /// A row of `modules.alias` (a device-ID table entry or a
    /// `MODULE_ALIAS`), not an early-init provider declaration.
    pub fn is_modalias(&self) -> bool {
        self.declared_by.is_none()
    }
}

/// A driver the kernel binds at run time because of a module's source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Companion {
    pub kind: CompanionKind,
    /// Module name (soft dependency) or device name (child device).
    pub name: String,
    /// Source file (tree-relative) and line.
    pub file: String,
    pub line: u32,
}

/// How a module brings a [`Companion`] in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum CompanionKind {
    /// `MODULE_SOFTDEP`: modprobe loads it too.
    Softdep,
    /// A child platform/MFD device it registers by name.
    Spawns,
}

/// Where a module's symbols come from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum SymbolSource {
    /// `obj-$(CONFIG_X) += foo.o` (and inherited directory conditions).
    Makefile,
    /// Kconfig help text "module will be called foo" (fallback).
    KconfigHelp,
    /// Only inherited directory conditions (e.g. `obj-m += foo.o`).
    DirectoryOnly,
}

/// A module (or a built-in object that would be one) of the tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Module {
    /// KBUILD_MODNAME: file name of the object, `-` → `_` (`xhci_pci`).
    pub name: String,
    /// Object path without `.o`/`.ko`, tree-relative (`drivers/usb/host/xhci-pci`);
    /// equals a `.ko` path in modules.dep without `kernel/` and `.ko*`.
    pub path: String,
    /// The CONFIG_ symbols (no `CONFIG_` prefix) that build it, as an AND
    /// of OR-sets, innermost first. `symbols[..own]` come from the module's
    /// own Makefile line(s): alternatives from several `obj-$(…)` lines are one
    /// OR-set; several symbols in one `obj-$(…)`/`ifeq` are separate AND
    /// groups. `symbols[own..]` are the conditions of the directories above,
    /// one OR-set per level (`obj-$(CONFIG_USB_XHCI_HCD) += host/` and the
    /// other `+= host/` lines of drivers/usb/Makefile are one OR-set), up to
    /// the top of the tree. The module is built when every group has a
    /// symbol that is set (`y`, or `m` for a module).
    pub symbols: Vec<Vec<String>>,
    /// Number of leading groups of `symbols` that are the module's own.
    pub own: usize,
    pub symbol_source: SymbolSource,
    /// `obj-y += foo.o` with no symbol: can never be a module.
    pub builtin_only: bool,
    /// Driver names registered by its sources (`.name` of *_driver structs).
    pub driver_names: Vec<String>,
    /// Modalias patterns (device tables and MODULE_ALIAS), file2alias format.
    pub aliases: Vec<Alias>,
    /// MODULE_FIRMWARE names, macro-expanded.
    pub firmware: Vec<String>,
    /// Source files (tree-relative) of its objects.
    pub sources: Vec<String>,
    /// The `.c` files among `sources` (in their order) that contain one of [`RUNTIME_KEYS`]:
    /// the only ones where the module can name drivers it needs at run
    /// time (soft dependencies, child devices).
    pub runtime_sources: Vec<String>,
    /// What those files name, per file in their order, soft dependencies
    /// before child devices ([`srcfacts::softdeps`],
    /// [`srcfacts::spawned_devices`]).
    pub companions: Vec<Companion>,
    /// Makefile and line that declare it.
    pub makefile: Location,
    /// The PCI revisions its probe accepts and where it says so
    /// ([`revision::accepted`] over its sources and the headers beside
    /// them), when it checks exactly one way.
    pub revisions: Option<(Vec<u32>, Location)>,
}

/// A line of a tree file: the file (tree-relative) and its 1-based line.
/// Shown, and written in JSON, as `file:line`; the cache stores both
/// fields as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// Tree-relative path.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl Location {
    /// `file` at `line`.
    pub fn new(file: impl Into<String>, line: u32) -> Location {
        Location {
            file: file.into(),
            line,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            (&self.file, self.line).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Location, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            let (file, line) = s
                .rsplit_once(':')
                .and_then(|(f, l)| Some((f, l.parse().ok()?)))
                .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not file:line")))?;
            Ok(Location::new(file, line))
        } else {
            let (file, line) = <(String, u32)>::deserialize(d)?;
            Ok(Location { file, line })
        }
    }
}

impl Module {
    /// All symbols of the module's own groups, flattened.
    pub fn own_symbols(&self) -> impl Iterator<Item = &String> {
        self.symbols[..self.own].iter().flatten()
    }
}

/// Index files kept per cache directory (one per tree and kfit format in
/// use); older ones are deleted after a new one is written.
const CACHE_KEEP: usize = 6;

/// Delete all but the `keep` most recently written `.bin` files of `dir`
/// (best effort: a file that cannot be removed only costs space).
fn prune_cache(dir: &Path, keep: usize) {
    let _ = kfit_util::prune(dir, keep, |p| p.extension().is_some_and(|x| x == "bin"));
}

/// Source constructs through which a module makes the kernel bind other
/// drivers at run time: `MODULE_SOFTDEP` (modprobe loads the named modules
/// first or after) and child devices it registers (`platform_device_*`,
/// MFD cells). [`Module::runtime_sources`] lists the files containing any.
pub const RUNTIME_KEYS: [&str; 4] = ["MODULE_SOFTDEP", "platform_device", "mfd_cell", "MFD_CELL"];

/// A modalias that matched an alias pattern.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub module: &'a Module,
    pub alias: &'a Alias,
    /// Number of characters the pattern fixes: higher is more specific.
    pub specificity: usize,
}

/// Progress of a cold build.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub phase: &'static str,
    pub done: usize,
    pub total: usize,
}

/// Callback type for progress.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// Cache format version: bump when the serialized layout or extraction changes.
/// 26: the lookup maps' keys are `kfit_util::stable_hash`, no longer FxHash
/// (whose values may change with the hasher crate's version); the file name
/// is `kfit_util::stable_hash_parts` (was FNV-1a).
/// 27: a module's Makefile line and its revision check's source line are
/// [`Location`]s (file and line), no longer `file:line` strings.
/// 28: an index is of one architecture (its ARCH, `#if` policy and header
/// roots), and a relative tree is read as an absolute one.
/// 29: files that use a global macro expanding to `MODULE_DEVICE_TABLE`
/// (include/linux/irqchip.h's `IRQCHIP_PLATFORM_DRIVER_END`) are scanned.
/// 30: only those macros' invocations are expanded (the rest of the file
/// is read as written: arm64's crypto aliases next to a
/// `module_cpu_feature_match`).
/// 31: the per-file records keep what the tree-wide facts were read from
/// ([`srcfacts::FactsInputs`]) and each module's revision check with the
/// files it read, so an incremental rebuild reuses them.
/// 32: the per-file records keep where each global macro is defined
/// first ([`pp::GlobalIndex`]): an incremental rebuild reads only the
/// headers whose macros a re-scanned file looks up.
/// 33: a checksum per section ([`kfit_util::checksum`]) after the lengths
/// (a damaged file is a miss, never an index); the file is read in place
/// (mapped).
/// 34: the per-file records keep what each Kconfig file defines and names
/// in its help texts, and a rebuild lists again only the directories whose
/// mtime changed.
/// 35: early-init provider declarations (`IRQCHIP_DECLARE`,
/// `CLK_OF_DECLARE`, `TIMER_OF_DECLARE`, `IRQCHIP_ACPI_DECLARE`, ...) are
/// indexed as `of:`/`acpi*:` rows marked [`Alias::declared_by`], and the
/// global macro index keeps the macros that declare them.
/// 36: the Makefiles pulled in by `include` are inputs too (an edit of
/// virt/kvm/Makefile.kvm or of nouveau's nvkm/*/Kbuild went unseen).
const FORMAT: u32 = 36;

/// The index of one kernel tree.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct KernelIndex {
    /// Absolute tree path as given.
    pub tree: String,
    /// `VERSION.PATCHLEVEL.SUBLEVEL` from the top Makefile.
    pub version: String,
    /// The `ARCH` it was built for.
    pub arch: String,
    /// The `CONFIG_` symbols its `#if`s took as unset (without `CONFIG_`;
    /// [`kfit_arch::off_symbols`]); every other one was taken as set.
    pub off_configs: Vec<String>,
    pub modules: Vec<Module>,
    /// Constructs skipped while indexing (file: reason).
    pub diags: Vec<String>,
    /// Facts of the whole tree the fit-time stages need (firmware
    /// narrowing sources, generic HDA codecs).
    pub facts: srcfacts::TreeFacts,
    /// The files and directories it was built from, with their stamps.
    #[serde(skip)]
    pub inputs: fresh::Inputs,
    /// Per-file facts (after a build; not decoded on a plain load).
    #[serde(skip)]
    records: Option<Records>,
    /// Files that exist but could not be read (path, error); an index
    /// with any is incomplete and never cached.
    #[serde(skip)]
    pub unreadable: Vec<(String, String)>,
    /// Source files the build that made it scanned: every one on a cold
    /// build, the changed ones on an incremental rebuild, 0 if loaded.
    #[serde(skip)]
    pub rescanned: usize,
    /// What the caller should tell the user (a cache that could not be
    /// written).
    #[serde(skip)]
    pub notes: Vec<String>,
    #[serde(skip)]
    maps: std::sync::OnceLock<Maps>,
}

#[derive(Debug, Clone, Default)]
struct Maps {
    /// ([`hkey`] of the string, module index), sorted: no key copies, a
    /// binary search finds the modules whose string has that hash, in
    /// index order; lookups compare the strings. Stored in the cache file,
    /// so the hash is the stable one.
    by_name: Vec<(u64, u32)>,
    by_path: Vec<(u64, u32)>,
    by_driver: Vec<(u64, u32)>,
    /// Alias patterns by their literal prefix (the bytes before the first
    /// `*`, `?`, `[` or `\\`): one group per prefix length, each sorted by
    /// that prefix. A modalias can only match a pattern whose literal
    /// prefix it starts with, so a lookup binary-searches one prefix of the
    /// modalias per length instead of trying every pattern of the bus (pci:
    /// ~9,500 patterns, a handful share a device's `pci:v0000VVVVd0000DDDD`).
    by_prefix: Vec<PrefixGroup>,
}

/// Alias patterns whose literal prefix is `len` bytes long.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct PrefixGroup {
    len: u32,
    /// (module index, alias index), sorted by the pattern's first `len`
    /// bytes, then by index.
    entries: Vec<(u32, u32)>,
}

/// Length of a pattern's literal prefix (up to the first glob
/// metacharacter; a backslash escape ends it too, conservatively).
fn literal_prefix_len(pattern: &str) -> usize {
    pattern.find(['*', '?', '[', '\\']).unwrap_or(pattern.len())
}

/// The module indices stored under hash `h` (ascending).
fn hashed(v: &[(u64, u32)], h: u64) -> impl Iterator<Item = u32> + '_ {
    let from = v.partition_point(|e| e.0 < h);
    v[from..].iter().take_while(move |e| e.0 == h).map(|e| e.1)
}

/// [`Maps`] as stored in the cache file (the bus map as a sorted list).
#[derive(Serialize, Deserialize)]
struct StoredMaps {
    by_name: Vec<(u64, u32)>,
    by_path: Vec<(u64, u32)>,
    by_driver: Vec<(u64, u32)>,
    by_prefix: Vec<PrefixGroup>,
}

/// Modules per section of the cache file: sections decode in parallel.
const CHUNK: usize = 2048;

/// Index of the first module section of the cache file (the per-file
/// records are the last section).
const FIRST_MODULES: usize = 4;

/// Files that exist but could not be read while indexing (path, error).
#[derive(Default)]
struct Unreadable(std::sync::Mutex<Vec<(String, String)>>);

impl Unreadable {
    fn add(&self, p: &Path, e: &std::io::Error) {
        if let Ok(mut v) = self.0.lock() {
            v.push((p.display().to_string(), e.to_string()));
        }
    }
}

/// What the index keeps of each scanned `.c` file, so that an incremental
/// rebuild re-scans only the files that changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileRecord {
    /// Tree-relative path.
    path: String,
    /// `None`: nothing to extract (or the scan failed).
    facts: Option<scan::FileFacts>,
    /// Contains one of [`RUNTIME_KEYS`].
    runtime: bool,
    /// Tree-relative files it includes.
    deps: Vec<String>,
    /// Tree-relative local include candidates that did not exist.
    missing: Vec<String>,
    /// Soft dependencies and child devices it names (if `runtime`).
    companions: Vec<(CompanionKind, String, u32)>,
    /// Contains `->revision` (its module's probe may check the revision).
    revision: bool,
}

/// The per-file part of an index (a cache section of its own, decoded only
/// when the tree changed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Records {
    /// Sorted by path.
    files: Vec<FileRecord>,
    /// The names in each walked directory (sorted): what a changed
    /// directory gained.
    listings: Vec<(String, Vec<String>)>,
    /// What the tree-wide facts were read from.
    facts_inputs: srcfacts::FactsInputs,
    /// The revision check of every module that had one, sorted by path.
    revisions: Vec<RevisionRecord>,
    /// Where the global headers define each macro first (read lazily by
    /// the next incremental rebuild).
    global: pp::GlobalIndex,
    /// What each Kconfig file defines and names in its help texts, sorted
    /// by path.
    kconfigs: Vec<KconfigRecord>,
}

/// What [`revision::accepted`] found for one module, and from which files.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RevisionRecord {
    /// The module's object path.
    path: String,
    /// Its sources then.
    sources: Vec<String>,
    /// The files read (its sources and the headers beside them).
    read: Vec<String>,
    revisions: Option<(Vec<u32>, Location)>,
}

/// An earlier index of the tree and what changed since.
struct Prev<'a> {
    records: &'a Records,
    /// The configuration policy it was built with.
    off: &'a [String],
    /// Changed, added or removed files (tree-relative), and changed
    /// directories.
    changed: fresh::Changed,
    /// The stamps of the earlier index.
    inputs: &'a fresh::Inputs,
    /// Files that appeared in a changed directory.
    gained: HashSet<String>,
    /// The earlier tree-wide facts, when nothing they were read from
    /// changed.
    facts: Option<srcfacts::TreeFacts>,
}

impl<'a> Prev<'a> {
    fn new(
        records: &'a Records,
        inputs: &'a fresh::Inputs,
        off: &'a [String],
        facts: &srcfacts::TreeFacts,
        changes: &fresh::Changes,
        tree: &Path,
    ) -> Prev<'a> {
        let mut gained = HashSet::new();
        for d in &changes.dirs {
            let old = records
                .listings
                .binary_search_by(|(x, _)| x.as_str().cmp(d))
                .ok()
                .map(|i| &records.listings[i].1);
            let Ok(rd) = std::fs::read_dir(tree.join(d)) else {
                continue;
            };
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if old.is_none_or(|o| o.binary_search(&n).is_err()) {
                    gained.insert(if d.is_empty() { n } else { format!("{d}/{n}") });
                }
            }
        }
        let changed = changes
            .files
            .iter()
            .cloned()
            .chain(gained.iter().cloned())
            .collect::<HashSet<String>>();
        let facts = (!records
            .facts_inputs
            .touched_by(changed.iter().map(String::as_str), &changes.dirs))
        .then(|| facts.clone());
        let changed = fresh::Changed {
            files: changed,
            dirs: changes.dirs.iter().cloned().collect(),
        };
        Prev {
            records,
            inputs,
            off,
            changed,
            gained,
            facts,
        }
    }
}

/// The check of a cache file's inputs ([`KernelIndex::load_speculative`]),
/// running on its own thread.
pub struct Pending {
    check: std::thread::JoinHandle<Option<(bool, fresh::Inputs)>>,
}

impl Pending {
    /// Waits for the check: the index's inputs (for [`KernelIndex::inputs`])
    /// when every one is unchanged, so the index and what was derived from
    /// it hold; `None` when the tree changed (or the check failed).
    pub fn wait(self) -> Option<fresh::Inputs> {
        match self.check.join() {
            Ok(Some((true, inputs))) => Some(inputs),
            _ => None,
        }
    }
}

/// A cached index checked against its tree.
enum Checked {
    Fresh(Box<KernelIndex>),
    /// With its per-file records, and what changed.
    Stale(Box<KernelIndex>, fresh::Changes),
}

fn read_version(tree: &Path) -> Result<String> {
    let mk =
        std::fs::read_to_string(tree.join("Makefile")).map_err(|e| Error::Io(tree.join("Makefile"), e))?;
    let get = |k: &str| {
        mk.lines().find_map(|l| {
            l.strip_prefix(k)
                .map(|r| r.trim_start_matches([' ', '=']).trim().to_string())
        })
    };
    let v = get("VERSION").ok_or_else(|| Error::NotATree(tree.to_path_buf()))?;
    let p = get("PATCHLEVEL").unwrap_or_default();
    let s = get("SUBLEVEL").unwrap_or_default();
    Ok(format!("{v}.{p}.{s}"))
}

/// Directories kfit never descends into (`arch/<other>` for an index of
/// `srcarch`).
fn skip_dir(rel: &str, srcarch: &str) -> bool {
    matches!(
        rel,
        "tools" | "scripts" | "Documentation" | "usr" | "samples" | ".git" | "LICENSES"
    ) || rel
        .strip_prefix("arch/")
        .is_some_and(|a| a != srcarch && !a.contains('/'))
}

struct Walk {
    makefiles: Vec<(String, PathBuf)>,
    kconfigs: Vec<PathBuf>,
    /// Every directory walked (tree-relative) with the names in it, sorted.
    dirs: Vec<(String, Vec<String>)>,
}

/// An earlier walk's listings (sorted by directory) and the directories
/// whose mtime changed since: the others hold the same entries.
type OldWalk<'a> = (&'a [(String, Vec<String>)], &'a HashSet<String>);

fn walk(tree: &Path, srcarch: &str, old: Option<OldWalk>) -> Walk {
    fn listing<'a>(l: &'a [(String, Vec<String>)], d: &str) -> Option<&'a Vec<String>> {
        l.binary_search_by(|(x, _)| x.as_str().cmp(d))
            .ok()
            .map(|i| &l[i].1)
    }
    fn rec(tree: &Path, srcarch: &str, rel: String, old: Option<OldWalk>, out: &std::sync::Mutex<Walk>) {
        let dir = if rel.is_empty() {
            tree.to_path_buf()
        } else {
            tree.join(&rel)
        };
        let mut subs = Vec::new();
        let mut has_kbuild = false;
        let mut has_make = false;
        let mut kc = Vec::new();
        let mut names = Vec::new();
        let child = |name: &str| {
            if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            }
        };
        // An unchanged directory has the entries it had: its subdirectories
        // are the walked directories among them (a directory replaced by a
        // file, or the reverse, changes its parent's mtime).
        if let Some((l, names_then)) = old.and_then(|(l, changed)| {
            (!changed.contains(&rel))
                .then(|| listing(l, &rel))
                .flatten()
                .map(|n| (l, n))
        }) {
            for name in names_then {
                let r = child(name);
                if listing(l, &r).is_some() {
                    subs.push(r);
                } else if name == "Kbuild" {
                    has_kbuild = true;
                } else if name == "Makefile" {
                    has_make = true;
                } else if name.starts_with("Kconfig") {
                    kc.push(dir.join(name));
                }
            }
            names = names_then.clone();
        } else {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                return;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                names.push(name.clone());
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    let r = child(&name);
                    if !skip_dir(&r, srcarch) {
                        subs.push(r);
                    }
                } else if name == "Kbuild" {
                    has_kbuild = true;
                } else if name == "Makefile" {
                    has_make = true;
                } else if name.starts_with("Kconfig") {
                    kc.push(e.path());
                }
            }
        }
        {
            let mut w = out.lock().unwrap();
            if !rel.is_empty() {
                if has_kbuild {
                    w.makefiles.push((rel.clone(), dir.join("Kbuild")));
                } else if has_make {
                    w.makefiles.push((rel.clone(), dir.join("Makefile")));
                }
            } else if has_kbuild {
                w.makefiles.push((String::new(), dir.join("Kbuild")));
            }
            w.kconfigs.extend(kc);
            names.sort_unstable();
            w.dirs.push((rel.clone(), names));
        }
        subs.par_iter()
            .for_each(|s| rec(tree, srcarch, s.clone(), old, out));
    }
    let out = std::sync::Mutex::new(Walk {
        makefiles: Vec::new(),
        kconfigs: Vec::new(),
        dirs: Vec::new(),
    });
    rec(tree, srcarch, String::new(), old, &out);
    let mut w = out.into_inner().unwrap();
    w.makefiles.sort();
    w.kconfigs.sort();
    w.dirs.sort();
    w
}

fn join_rel(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    parts.join("/")
}

/// Combine alternatives (OR of AND-conditions) into one AND-of-OR.
fn combine(alts: &[Cond]) -> Cond {
    if alts.len() == 1 {
        return alts[0].clone();
    }
    if alts.iter().any(|a| a.is_empty()) || alts.is_empty() {
        return Vec::new();
    }
    let mut first: Vec<String> = Vec::new();
    for a in alts {
        for s in &a[0] {
            if !first.contains(s) {
                first.push(s.clone());
            }
        }
    }
    let mut out = vec![first];
    // Later groups shared by all alternatives.
    for g in &alts[0][1..] {
        if alts.iter().all(|a| a[1..].contains(g)) {
            out.push(g.clone());
        }
    }
    out
}

/// The symbols these Kconfig files define, and the Kconfig help fallback:
/// "module will be called X" → symbols. Files that exist but cannot be read
/// are added to `unreadable`.
///
/// With `old` (an earlier build's [`KconfigRecord`]s, sorted by path, and
/// the files changed since), an unchanged file's findings are taken from
/// there. Also returns this build's records, in the order of `files`.
fn kconfig_help(
    tree: &Path,
    files: &[PathBuf],
    unreadable: &Unreadable,
    old: Option<(&[KconfigRecord], &HashSet<String>)>,
) -> (HashMap<String, Vec<String>>, HashSet<String>, Vec<KconfigRecord>) {
    let per: Vec<KconfigRecord> = files
        .par_iter()
        .map(|f| {
            let rel = f.strip_prefix(tree).unwrap_or(f).to_string_lossy().into_owned();
            if let Some((recs, _)) = old.filter(|(_, c)| !c.contains(&rel)) {
                if let Ok(i) = recs.binary_search_by(|r| r.path.as_str().cmp(&rel)) {
                    return recs[i].clone();
                }
            }
            let (help, defined) = kconfig_file(f, unreadable);
            KconfigRecord {
                path: rel,
                help,
                defined,
            }
        })
        .collect();
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    let mut all = HashSet::new();
    for r in &per {
        all.extend(r.defined.iter().cloned());
        for (k, s) in &r.help {
            let e = m.entry(k.clone()).or_default();
            if !e.contains(s) {
                e.push(s.clone());
            }
        }
    }
    (m, all, per)
}

/// What [`kconfig_help`] found in one Kconfig file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KconfigRecord {
    /// Tree-relative path.
    path: String,
    /// (module name, symbol) pairs of its help texts.
    help: Vec<(String, String)>,
    /// The symbols it defines.
    defined: Vec<String>,
}

/// [`KconfigRecord::help`] and [`KconfigRecord::defined`] of one file.
fn kconfig_file(f: &Path, unreadable: &Unreadable) -> (Vec<(String, String)>, Vec<String>) {
    {
        {
            let t = match std::fs::read_to_string(f) {
                Ok(t) => t,
                Err(e) => {
                    // Not UTF-8 is not a Kconfig file kfit reads; vanished is
                    // not a read error.
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData
                    ) {
                        unreadable.add(f, &e);
                    }
                    return (Vec::new(), Vec::new());
                }
            };
            let mut out = Vec::new();
            let mut defined = Vec::new();
            let mut cur: Option<String> = None;
            let mut help = String::new();
            let flush = |cur: &Option<String>, help: &str, out: &mut Vec<(String, String)>| {
                if let Some(sym) = cur {
                    let h: String = help.split_whitespace().collect::<Vec<_>>().join(" ");
                    let mut rest = h.as_str();
                    while let Some(i) = rest.find("will be called ") {
                        let r = &rest[i + 15..];
                        let w = r.split_whitespace().next().unwrap_or("");
                        let w = w
                            .trim_matches(|c: char| c == '"' || c == '\'' || c == '`' || c == ',')
                            .trim_end_matches(['.', ',', ';', ':', ')'])
                            .trim_end_matches(".ko")
                            .trim_end_matches(".o");
                        if !w.is_empty()
                            && w.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                        {
                            out.push((w.replace('-', "_"), sym.clone()));
                        }
                        rest = r;
                    }
                }
            };
            for l in t.lines() {
                let tl = l.trim_start();
                if let Some(s) = tl
                    .strip_prefix("config ")
                    .or_else(|| tl.strip_prefix("menuconfig "))
                {
                    flush(&cur, &help, &mut out);
                    help.clear();
                    cur = Some(s.trim().to_string());
                    defined.push(s.trim().to_string());
                } else if tl.starts_with("endmenu")
                    || tl.starts_with("menu ")
                    || tl.starts_with("choice")
                    || tl.starts_with("endif")
                    || tl.starts_with("if ")
                    || tl.starts_with("source ")
                {
                    flush(&cur, &help, &mut out);
                    help.clear();
                    cur = None;
                } else {
                    help.push(' ');
                    help.push_str(tl);
                }
            }
            flush(&cur, &help, &mut out);
            (out, defined)
        }
    }
}

struct ModDef {
    path: String,
    own: Cond,
    inherited: Cond,
    builtin_only: bool,
    sources: Vec<String>,
    makefile: Location,
    includes: Vec<String>,
}

fn resolve_modules(tree: &Path, infos: &[(String, DirInfo)]) -> Vec<ModDef> {
    // Directory conditions: child dir → [(referrer, cond)]
    let mut refs: HashMap<String, Vec<(String, Cond)>> = HashMap::new();
    for (dir, info) in infos {
        for (sub, c) in &info.subdirs {
            let child = join_rel(dir, sub);
            if child == *dir {
                continue;
            }
            refs.entry(child).or_default().push((dir.clone(), c.clone()));
        }
    }
    let mut memo: HashMap<String, Cond> = HashMap::new();
    fn dir_cond(
        d: &str,
        refs: &HashMap<String, Vec<(String, Cond)>>,
        memo: &mut HashMap<String, Cond>,
        depth: u32,
    ) -> Cond {
        if let Some(c) = memo.get(d) {
            return c.clone();
        }
        if depth > 40 {
            return Vec::new();
        }
        let Some(alts) = refs.get(d) else {
            // Not referenced: inherit from the nearest ancestor that is.
            let mut c = Vec::new();
            if let Some(p) = d.rfind('/') {
                c = dir_cond(&d[..p], refs, memo, depth + 1);
            }
            memo.insert(d.to_string(), c.clone());
            return c;
        };
        let conds: Vec<Cond> = alts.iter().map(|(_, c)| c.clone()).collect();
        let mut c = combine(&conds);
        let parent = alts[0].0.clone();
        let up = dir_cond(&parent, refs, memo, depth + 1);
        for g in up {
            if !c.contains(&g) {
                c.push(g);
            }
        }
        memo.insert(d.to_string(), c.clone());
        c
    }
    // Group object references by path.
    let mut objs: BTreeMap<String, Vec<(usize, &make::ObjRef)>> = BTreeMap::new();
    for (k, (dir, info)) in infos.iter().enumerate() {
        for o in &info.objs {
            objs.entry(join_rel(dir, &o.rel)).or_default().push((k, o));
        }
    }
    let mut out = Vec::new();
    for (path, refs_) in objs {
        let (k, first) = refs_[0];
        let (dir, info) = &infos[k];
        let conds: Vec<Cond> = refs_.iter().map(|(_, o)| o.cond.clone()).collect();
        let own = combine(&conds);
        let builtin_only = refs_.iter().all(|(_, o)| o.literal == Some('y'));
        // Inherited: the directory holding the Makefile line, plus for
        // objects in subdirectories nothing more (kbuild does not descend).
        let inherited = dir_cond(dir, &refs, &mut memo, 0);
        let mut sources = Vec::new();
        let objdir = match path.rfind('/') {
            Some(p) => &path[..p],
            None => "",
        };
        let parts = info.composites.get(&first.rel);
        let stems: Vec<String> = match parts {
            Some(ps) if !ps.is_empty() => ps.iter().map(|p| join_rel(dir, p)).collect(),
            _ => vec![path.clone()],
        };
        for s in stems {
            for ext in ["c", "S", "rs"] {
                let f = format!("{s}.{ext}");
                // A file that exists but cannot even be stat'ed is a source
                // too: reading it fails and is reported.
                let exists = match std::fs::metadata(tree.join(&f)) {
                    Ok(m) => m.is_file(),
                    Err(e) => e.kind() != std::io::ErrorKind::NotFound,
                };
                if exists {
                    sources.push(f);
                    break;
                }
            }
        }
        let _ = objdir;
        let mf = if infos[k].0.is_empty() {
            "Kbuild".to_string()
        } else {
            format!("{}/Makefile", infos[k].0)
        };
        out.push(ModDef {
            path,
            own,
            inherited,
            builtin_only,
            sources,
            makefile: Location::new(mf, first.line),
            includes: info.includes.clone(),
        });
    }
    out
}

/// Cache key of a tree's index for `arch`: its version and a hash of its
/// canonical path, the arch, kfit's cache format and this build's identity
/// (`kfit_util::build_id!`: another build never reads it). One file per tree and
/// arch; whether it still describes the tree is decided by the stamps of
/// every file it read ([`fresh::Inputs`]), not by the key.
pub fn cache_key(tree: &Path, arch: &Arch) -> Result<String> {
    let version = read_version(tree)?;
    let canon = tree.canonicalize().unwrap_or_else(|_| tree.to_path_buf());
    let h = kfit_util::stable_hash_parts(&[
        canon.to_string_lossy().as_bytes(),
        version.as_bytes(),
        arch.name().as_bytes(),
        &FORMAT.to_le_bytes(),
        env!("CARGO_PKG_VERSION").as_bytes(),
        kfit_util::build_id!().as_bytes(),
    ]);
    Ok(format!("{version}-{h:016x}"))
}

/// Use an incomplete index when `allow` (`--allow-partial`): its unreadable
/// files stay in [`KernelIndex::unreadable`] for the caller to report (and
/// exit 1 on); without `allow` it stays the [`Error::Partial`] it was.
pub fn allow_partial(r: Result<KernelIndex>, allow: bool) -> Result<KernelIndex> {
    match r {
        Err(Error::Partial(idx)) if allow => Ok(*idx),
        r => r,
    }
}

/// Default cache directory: `index` in kfit's cache directory
/// ([`kfit_util::cache_dir`]: `$KFIT_CACHE`, else `$XDG_CACHE_HOME/kfit`,
/// else `~/.cache/kfit`).
pub fn default_cache_dir() -> PathBuf {
    index_cache_dir(None)
}

/// The index cache directory under the cache root `root` (`--cache-dir`;
/// `None`: [`kfit_util::cache_dir`]'s default): `root/index`. Before every
/// cache moved under `--cache-dir`, that option named the index directory
/// itself: a given `root` that holds index files (`*.bin`) directly and no
/// `index/` directory is still used as the index directory, so an index
/// cached that way is neither rebuilt nor duplicated.
pub fn index_cache_dir(root: Option<&Path>) -> PathBuf {
    let dir = kfit_util::cache_dir(root).join("index");
    if let Some(r) = root.filter(|_| !dir.exists()) {
        let old_layout = std::fs::read_dir(r).is_ok_and(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "bin") && e.path().is_file())
        });
        if old_layout {
            return r.to_path_buf();
        }
    }
    dir
}

/// A progress reporter for terminals: an indicatif bar on stderr that only
/// appears once a build has run for more than half a second.
pub fn stderr_progress() -> impl Fn(Progress) + Sync {
    use indicatif::{ProgressBar, ProgressStyle};
    let start = std::time::Instant::now();
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let shown = std::sync::atomic::AtomicBool::new(false);
    move |p: Progress| {
        if !shown.load(std::sync::atomic::Ordering::Relaxed)
            && start.elapsed() > std::time::Duration::from_millis(500)
        {
            shown.store(true, std::sync::atomic::Ordering::Relaxed);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_message(p.phase);
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        if p.phase == "done" {
            bar.finish_and_clear();
        }
    }
}

impl KernelIndex {
    /// Index a kernel source tree (read-only) for `arch`. `progress` is
    /// called from worker threads with the current phase and counts.
    pub fn build(tree: &Path, arch: &Arch, progress: Option<ProgressFn>) -> Result<KernelIndex> {
        // Twice as many workers as CPUs: with a cold page cache a worker
        // often waits for the disk, and another one can use the CPU
        // meanwhile (6.12 on 2 CPUs, page cache dropped: 19.5 s -> 14.5 s
        // wall, same CPU time). RAYON_NUM_THREADS keeps its usual meaning.
        Self::build_with(tree, arch, progress, None)
    }

    /// [`Self::build`], re-using what `prev` says is unchanged.
    fn build_with(
        tree: &Path,
        arch: &Arch,
        progress: Option<ProgressFn>,
        prev: Option<Prev>,
    ) -> Result<KernelIndex> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            if let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                return pool.install(|| Self::build_in_pool(tree, arch, progress, prev));
            }
        }
        Self::build_in_pool(tree, arch, progress, prev)
    }

    fn build_in_pool(
        tree: &Path,
        arch: &Arch,
        progress: Option<ProgressFn>,
        prev: Option<Prev>,
    ) -> Result<KernelIndex> {
        let version = read_version(tree)?;
        // Every path is read as an absolute one: Makefiles name headers as
        // `-I$(srctree)/...`, which a relative tree would join twice (a
        // `--tree linux-6.12` lost csiostor's and hns_roce_hw_v2's tables).
        let given = tree;
        let abs = std::path::absolute(tree).unwrap_or_else(|_| tree.to_path_buf());
        let tree = abs.as_path();
        let target = arch.target().ok_or_else(|| {
            let known: Vec<&str> = kfit_arch::TARGETS
                .iter()
                .flat_map(|t| t.arches.iter().copied())
                .collect();
            Error::UnknownTarget(arch.name().to_string(), known.join(", "))
        })?;
        let srcarch = arch.srcarch();
        let report = |phase: &'static str, done: usize, total: usize| {
            if let Some(p) = progress {
                p(Progress { phase, done, total });
            }
        };
        report("walk", 0, 1);
        let timing = std::env::var_os("KFIT_TIMING").is_some();
        let t0 = std::time::Instant::now();
        let unreadable = Unreadable::default();
        // The walk finds the Kconfig files of this arch; what they define
        // decides the `#if` policy every header and source is read with.
        let ((w, (help, defined, kconfig_records)), tree_facts) = rayon::join(
            || {
                let w = walk(
                    tree,
                    srcarch,
                    prev.as_ref()
                        .map(|p| (p.records.listings.as_slice(), &p.changed.dirs)),
                );
                if timing {
                    eprintln!("walk {:?} ({})", t0.elapsed(), mem());
                }
                let k = kconfig_help(
                    tree,
                    &w.kconfigs,
                    &unreadable,
                    prev.as_ref()
                        .map(|p| (p.records.kconfigs.as_slice(), &p.changed.files)),
                );
                if timing {
                    eprintln!("kconfig {:?} ({})", t0.elapsed(), mem());
                }
                (w, k)
            },
            || match prev.as_ref().and_then(|p| Some((p.facts.clone()?, p.records))) {
                // Nothing they were read from changed (they do not depend
                // on the `#if` policy).
                Some((facts, r)) => {
                    if timing {
                        eprintln!("tree facts kept");
                    }
                    (facts, r.facts_inputs.clone(), Vec::new())
                }
                None => srcfacts::TreeFacts::extract(tree),
            },
        );
        let off = kfit_arch::off_symbols(tree, arch, |s| defined.contains(s));
        drop(defined);
        let policy = kfit_csrc::Policy::new(off.iter().cloned());
        // A cached index read with another policy has nothing to re-use.
        let prev = prev.filter(|p| p.off == off.as_slice());
        let predefined = pp::predefined(target);
        report("makefiles", 0, w.makefiles.len());
        let (mut global, infos) = rayon::join(
            || {
                // No global header changed (else there is no `prev`) and
                // the policy is the same: the stored index of the map says
                // which header to read for a name.
                let g = match prev.as_ref() {
                    Some(p) => pp::Global::lazy(tree, p.records.global.clone(), &predefined, policy.clone()),
                    None => pp::Global::build(tree, srcarch, &predefined, policy.clone()),
                };
                if timing {
                    eprintln!("global headers {:?} ({})", t0.elapsed(), mem());
                }
                g
            },
            || -> Vec<(String, DirInfo)> {
                w.makefiles
                    .par_iter()
                    .filter_map(|(rel, p)| {
                        let t = std::fs::read(p)
                            .map_err(|e| {
                                if e.kind() != std::io::ErrorKind::NotFound {
                                    unreadable.add(p, &e);
                                }
                            })
                            .ok()?;
                        let t = kfit_csrc::text(&t);
                        Some((rel.clone(), make::parse_dir(tree, arch, rel, &t)))
                    })
                    .collect()
            },
        );
        let defs = resolve_modules(tree, &infos);
        if timing {
            eprintln!("makefiles+kconfig {:?} ({})", t0.elapsed(), mem());
        }

        // Struct layouts and DMI enums.
        let mdt = std::fs::read(tree.join("include/linux/mod_devicetable.h")).unwrap_or_default();
        let mdt_toks = cpp::tokenize(&pp::strip_comments(&mdt), 1);
        let layouts = devtable::parse_layouts(&mdt_toks);
        let mut enums = cpp::MacroMap::default();
        scan::enum_consts(&mdt_toks, &mut enums);

        // Source file → modules using it.
        let mut file_mods: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, d) in defs.iter().enumerate() {
            for s in &d.sources {
                if s.ends_with(".c") {
                    file_mods.entry(s.as_str()).or_default().push(i);
                }
            }
        }
        let files: Vec<(&str, Vec<usize>)> = file_mods.into_iter().collect();

        // What an earlier index of this tree saw and still holds: a file is
        // scanned again when it changed, is new, one of its includes
        // changed, or a file appeared where one of its includes was looked
        // for.
        let reusable = |f: &str| -> Option<&FileRecord> {
            let p = prev.as_ref()?;
            let i = p
                .records
                .files
                .binary_search_by(|r| r.path.as_str().cmp(f))
                .ok()?;
            let r = &p.records.files[i];
            let changed = |x: &str| p.changed.files.contains(x);
            (!changed(f)
                && !r.deps.iter().any(|d| changed(d))
                && !r.missing.iter().any(|m| p.gained.contains(m)))
            .then_some(r)
        };
        let total = files.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let rescanned = std::sync::atomic::AtomicUsize::new(0);
        let cache = pp::HeaderCache::new(tree, srcarch);
        let table_macros = global.table_macros();
        let early_macros = global.early_macros();
        // what a file must name to be read: a table macro or an early
        // declaration (the shortest words that find them all)
        let prefilter: Vec<String> = table_macros
            .iter()
            .cloned()
            .chain(scan::needles(&early_macros))
            .collect();
        let ctx = scan::Ctx {
            global: &global,
            cache: &cache,
            layouts: &layouts,
            enums: &enums,
            tree,
            table_macros: &table_macros,
            early_macros: &early_macros,
        };
        let rel = |p: &Path| p.strip_prefix(tree).unwrap_or(p).to_string_lossy().into_owned();
        let records: Vec<FileRecord> = files
            .par_iter()
            .map(|(f, mods)| {
                if let Some(r) = reusable(f) {
                    return r.clone();
                }
                rescanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n & 255 == 0 {
                    report("sources", n, total);
                }
                let mut rec = FileRecord {
                    path: f.to_string(),
                    facts: None,
                    runtime: false,
                    deps: Vec::new(),
                    missing: Vec::new(),
                    companions: Vec::new(),
                    revision: false,
                };
                let p = tree.join(f);
                let src = match std::fs::read(&p) {
                    Ok(s) => s,
                    Err(e) => {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            unreadable.add(&p, &e);
                        }
                        return rec;
                    }
                };
                rec.revision = memchr::memmem::find(&src, b"->revision").is_some();
                rec.runtime = RUNTIME_KEYS
                    .iter()
                    .any(|k| memchr::memmem::find(&src, k.as_bytes()).is_some());
                let interesting = scan::interesting(&src, &prefilter);
                if !interesting && !rec.runtime {
                    return rec;
                }
                let text = kfit_csrc::text(&src);
                if rec.runtime {
                    let line = |l: usize| l as u32;
                    rec.companions.extend(
                        srcfacts::softdeps(&text)
                            .into_iter()
                            .map(|f| (CompanionKind::Softdep, f.name, line(f.line))),
                    );
                    rec.companions.extend(
                        srcfacts::spawned_devices(&text)
                            .into_iter()
                            .map(|f| (CompanionKind::Spawns, f.name, line(f.line))),
                    );
                }
                if !interesting {
                    return rec;
                }
                let modname = modname_of(&defs[mods[0]].path);
                let inc = &defs[mods[0]].includes;
                // Never let one odd file take the whole index down.
                rec.facts = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    scan::scan_file(&ctx, &p, &src, &modname, inc)
                }))
                .ok();
                if let Some(fx) = &mut rec.facts {
                    rec.deps = fx.deps.iter().map(|d| rel(d)).collect();
                    rec.missing = fx.missing.iter().map(|d| rel(d)).collect();
                }
                rec
            })
            .collect();
        let rescanned = rescanned.into_inner();
        if timing {
            eprintln!("sources {:?} ({rescanned} scanned; {})", t0.elapsed(), mem());
            eprintln!("{}; {} global headers read", cache.stats(), global.read_headers());
        }
        report("assemble", 0, 1);
        let mut modules: Vec<Module> = defs
            .iter()
            .map(|d| {
                let name = modname_of(&d.path);
                let mut symbols = d.own.clone();
                let mut source = SymbolSource::Makefile;
                if symbols.is_empty() && !d.builtin_only {
                    if let Some(h) = help.get(&name) {
                        symbols.push(h.clone());
                        source = SymbolSource::KconfigHelp;
                    } else {
                        source = SymbolSource::DirectoryOnly;
                    }
                }
                let own = symbols.len();
                for g in &d.inherited {
                    if !symbols.contains(g) {
                        symbols.push(g.clone());
                    }
                }
                Module {
                    name,
                    path: d.path.clone(),
                    symbols,
                    own,
                    symbol_source: source,
                    builtin_only: d.builtin_only,
                    driver_names: Vec::new(),
                    aliases: Vec::new(),
                    firmware: Vec::new(),
                    sources: d.sources.clone(),
                    runtime_sources: Vec::new(),
                    companions: Vec::new(),
                    makefile: d.makefile.clone(),
                    revisions: None,
                }
            })
            .collect();
        let mut diags = Vec::new();
        for (dir, info) in &infos {
            for d in &info.diags {
                diags.push(format!("{dir}: {d}"));
            }
        }
        let runtime: HashMap<&str, &FileRecord> = records
            .iter()
            .filter(|r| r.runtime)
            .map(|r| (r.path.as_str(), r))
            .collect();
        // The revisions each probe accepts, for modules with a source that
        // reads `->revision` (files and the headers beside them).
        let rev_files: HashSet<&str> = records
            .iter()
            .filter(|r| r.revision)
            .map(|r| r.path.as_str())
            .collect();
        let rev_records = std::sync::Mutex::new(Vec::<RevisionRecord>::new());
        // An earlier check of the module stands when its sources are the
        // same, none of the files it read changed and no source's
        // directory (where it lists the headers) changed.
        let kept_revision = |md: &Module| -> Option<RevisionRecord> {
            let p = prev.as_ref()?;
            let rs = &p.records.revisions;
            let r = &rs[rs.binary_search_by(|r| r.path.as_str().cmp(&md.path)).ok()?];
            let dir = |f: &str| f.rsplit_once('/').map_or("", |x| x.0).to_string();
            (r.sources == md.sources
                && !r
                    .read
                    .iter()
                    .chain(&md.sources)
                    .any(|f| p.changed.files.contains(f))
                && !md.sources.iter().any(|f| p.changed.dirs.contains(&dir(f))))
            .then(|| r.clone())
        };
        modules
            .par_iter_mut()
            .filter(|m| m.sources.iter().any(|s| rev_files.contains(s.as_str())))
            .for_each(|md| {
                if let Some(r) = kept_revision(md) {
                    md.revisions = r.revisions.clone();
                    if let Ok(mut v) = rev_records.lock() {
                        v.push(r);
                    }
                    return;
                }
                let mut read_now = Vec::new();
                let mut read = |rel: &str| -> Option<String> {
                    let b = std::fs::read(tree.join(rel)).ok()?;
                    read_now.push(rel.to_string());
                    Some(String::from_utf8_lossy(&b).into_owned())
                };
                let files: Vec<(String, String)> = md
                    .sources
                    .iter()
                    .filter_map(|f| Some((f.clone(), read(f)?)))
                    .collect();
                let read = std::cell::RefCell::new(read);
                let headers = |path: &str| -> Vec<String> {
                    let dir = path.rsplit_once('/').map_or("", |x| x.0);
                    let Ok(rd) = std::fs::read_dir(tree.join(dir)) else {
                        return Vec::new();
                    };
                    let mut names: Vec<String> = rd
                        .filter_map(|e| e.ok()?.file_name().into_string().ok())
                        .filter(|n| n.ends_with(".h"))
                        .collect();
                    names.sort();
                    names
                        .iter()
                        .filter_map(|n| (read.borrow_mut())(&format!("{dir}/{n}")))
                        .collect()
                };
                md.revisions = revision::accepted(&files, &headers, &policy)
                    .map(|(set, at)| (set.into_iter().collect(), at));
                if let Ok(mut v) = rev_records.lock() {
                    v.push(RevisionRecord {
                        path: md.path.clone(),
                        sources: md.sources.clone(),
                        read: read_now,
                        revisions: md.revisions.clone(),
                    });
                }
            });
        let mut rev_records = rev_records.into_inner().unwrap_or_default();
        rev_records.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        for md in &mut modules {
            md.runtime_sources = md
                .sources
                .iter()
                .filter(|s| runtime.contains_key(s.as_str()))
                .cloned()
                .collect();
            for s in &md.runtime_sources {
                for (kind, name, line) in &runtime[s.as_str()].companions {
                    md.companions.push(Companion {
                        kind: *kind,
                        name: name.clone(),
                        file: s.clone(),
                        line: *line,
                    });
                }
            }
        }
        for ((f, mods), rec) in files.iter().zip(&records) {
            let Some(fx) = &rec.facts else { continue };
            for d in &fx.diags {
                diags.push(format!("{f}:{d}"));
            }
            for &m in mods {
                let md = &mut modules[m];
                // modaliases first: a pattern both a table and an early
                // declaration give is a modalias
                let decl = |k: usize| fx.alias_decl.get(k).cloned().flatten();
                let order = (0..fx.aliases.len())
                    .filter(|&k| decl(k).is_none())
                    .chain((0..fx.aliases.len()).filter(|&k| decl(k).is_some()));
                for k in order {
                    let (a, line) = &fx.aliases[k];
                    if !md.aliases.iter().any(|x| x.pattern == *a) {
                        let (entry_line, conditions) =
                            fx.alias_at.get(k).cloned().unwrap_or((*line, Vec::new()));
                        md.aliases.push(Alias {
                            pattern: a.clone(),
                            file: f.to_string(),
                            line: *line,
                            entry_line,
                            conditions,
                            declared_by: decl(k),
                        });
                    }
                }
                for n in &fx.driver_names {
                    if !md.driver_names.contains(n) {
                        md.driver_names.push(n.clone());
                    }
                }
                for n in &fx.firmware {
                    if !md.firmware.contains(n) {
                        md.firmware.push(n.clone());
                    }
                }
            }
        }
        if timing {
            eprintln!("assemble {:?} ({})", t0.elapsed(), mem());
        }
        // Every file read, and every directory walked, with its stamp.
        let mut read: Vec<String> = vec!["Makefile".to_string()];
        read.extend(w.makefiles.iter().map(|(_, p)| rel(p)));
        // What those Makefiles pulled in with `include` (read or looked for).
        read.extend(infos.iter().flat_map(|(_, i)| i.included.iter().map(|p| rel(p))));
        read.extend(w.kconfigs.iter().map(|p| rel(p)));
        read.extend(global.files.iter().map(|p| rel(p)));
        // The arch Kconfig files the policy was derived from.
        if let Ok(rd) = std::fs::read_dir(tree.join("arch")) {
            read.extend(
                rd.flatten()
                    .filter(|e| e.path().join("Kconfig").is_file())
                    .map(|e| format!("arch/{}/Kconfig", e.file_name().to_string_lossy())),
            );
        }
        let (facts, facts_inputs, facts_unreadable) = tree_facts;
        read.extend(facts_inputs.read.iter().cloned());
        read.extend(rev_records.iter().flat_map(|r| r.read.iter().cloned()));
        for r in &records {
            read.push(r.path.clone());
            read.extend(r.deps.iter().cloned());
        }
        let inputs = fresh::Inputs::stamp(
            tree,
            read,
            w.dirs.iter().map(|(d, _)| d.clone()).collect(),
            prev.as_ref().map(|p| (p.inputs, &p.changed)),
        );
        let mut unreadable = unreadable.0.into_inner().unwrap();
        unreadable.extend(global.unreadable().iter().map(|(p, e)| (rel(p), e.clone())));
        unreadable.extend(facts_unreadable);
        unreadable.extend(
            cache
                .unreadable
                .lock()
                .unwrap()
                .iter()
                .map(|(p, e)| (rel(p), e.clone())),
        );
        for u in &mut unreadable {
            u.0 = rel(Path::new(&u.0));
        }
        unreadable.sort();
        unreadable.dedup();
        if timing {
            eprintln!("stamps {:?} ({})", t0.elapsed(), mem());
        }
        let global_index = global.take_index();
        // Hundreds of thousands of small allocations: free both at once.
        rayon::join(|| drop(cache), || drop(global));
        if timing {
            eprintln!("freed {:?} ({})", t0.elapsed(), mem());
        }
        let idx = KernelIndex {
            tree: given.display().to_string(),
            version,
            arch: arch.name().to_string(),
            off_configs: off,
            modules,
            diags,
            facts,
            inputs,
            records: Some(Records {
                files: records,
                listings: w.dirs,
                facts_inputs,
                revisions: rev_records,
                global: global_index,
                kconfigs: kconfig_records,
            }),
            unreadable,
            rescanned,
            notes: Vec::new(),
            maps: Default::default(),
        };
        report("done", 1, 1);
        Ok(idx)
    }

    /// Load the index of `tree` from `cache_dir` (`<cache_dir>/<key>.bin`),
    /// or build and store it.
    ///
    /// A cached index is used only if every file it was built from is
    /// unchanged (size and mtime) and no directory it walked changed; else
    /// the changed, added and removed files are scanned again, alone (a
    /// change under `include/` or `arch/<SRCARCH>/include/`, whose macros
    /// every file sees, or of the `#if` policy, scans everything), and the
    /// result replaces the cache.
    ///
    /// An index built while some files could not be read is not cached and
    /// comes back as [`Error::Partial`] (it holds the index, for callers
    /// that accept an incomplete one). A cache that cannot be written is a
    /// note in [`KernelIndex::notes`], not an error.
    pub fn load_or_build(tree: &Path, arch: &Arch, cache_dir: &Path) -> Result<KernelIndex> {
        Self::load_or_build_with(tree, arch, cache_dir, None)
    }

    /// [`Self::load_or_build`] with a progress callback for the cold case.
    pub fn load_or_build_with(
        tree: &Path,
        arch: &Arch,
        cache_dir: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<KernelIndex> {
        let key = cache_key(tree, arch)?;
        let file = cache_dir.join(format!("{key}.bin"));
        let idx = match Self::load_checked(&file, tree) {
            Ok(Checked::Fresh(idx)) => return Ok(*idx),
            Ok(Checked::Stale(old, changes)) => {
                let global = changes
                    .files
                    .iter()
                    .chain(&changes.dirs)
                    .any(|p| fresh::is_global(p, arch.srcarch()));
                match old.records.as_ref().filter(|_| !global) {
                    Some(records) => {
                        let prev =
                            Prev::new(records, &old.inputs, &old.off_configs, &old.facts, &changes, tree);
                        Self::build_with(tree, arch, progress, Some(prev))?
                    }
                    None => Self::build_with(tree, arch, progress, None)?,
                }
            }
            Err(_) => Self::build_with(tree, arch, progress, None)?,
        };
        idx.finish(&file, cache_dir)
    }

    /// Build the index of `tree` from scratch and cache it as
    /// [`Self::load_or_build`] would.
    pub fn rebuild_with(
        tree: &Path,
        arch: &Arch,
        cache_dir: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<KernelIndex> {
        let file = cache_dir.join(format!("{}.bin", cache_key(tree, arch)?));
        Self::build(tree, arch, progress)?.finish(&file, cache_dir)
    }

    /// Cache a freshly built index, unless it is incomplete.
    fn finish(mut self, file: &Path, cache_dir: &Path) -> Result<KernelIndex> {
        if !self.unreadable.is_empty() {
            return Err(Error::Partial(Box::new(self)));
        }
        match self.save(file) {
            Ok(()) => prune_cache(cache_dir, CACHE_KEEP),
            Err(e) => self
                .notes
                .push(format!("the index was built but not cached: {e}")),
        }
        Ok(self)
    }

    /// Read a cached index and check it against `tree`.
    fn load_checked(file: &Path, tree: &Path) -> Result<Checked> {
        let (idx, changes) = Self::load_sections(file, Some(tree))?;
        match changes {
            Some(c) if !c.is_empty() => {
                let mut idx = idx;
                idx.records = Some(Self::load_records(file)?);
                Ok(Checked::Stale(Box::new(idx), c))
            }
            _ => Ok(Checked::Fresh(Box::new(idx))),
        }
    }

    /// Read a cached index file (without checking it against the tree).
    ///
    /// Layout (all little-endian): `FORMAT` (u32), the number of sections
    /// (u32), each section's length (u64), each section's checksum (u64,
    /// [`kfit_util::checksum`]), then the sections, each a bincode
    /// value: (tree, version), the diagnostics, the lookup maps, the
    /// [`fresh::Inputs`], the modules in runs of [`CHUNK`], then the
    /// per-file records (read only for an incremental rebuild). The file is
    /// read in place ([`kfit_util::read_cache`]); each section is checked
    /// against its checksum as it is decoded (a damaged or cut file is a
    /// cache miss, rebuilt by the caller), the sections in parallel, and
    /// the maps need no rebuilding.
    pub fn load(file: &Path) -> Result<KernelIndex> {
        Ok(Self::load_sections(file, None)?.0)
    }

    /// The section table of a cache file's bytes: each section with its
    /// checksum (see [`Self::load`]; [`Self::checked`] compares them).
    fn sections<'b>(file: &Path, b: &'b [u8]) -> Result<Vec<(&'b [u8], u64)>> {
        let bad = |e: &str| Error::Cache(file.to_path_buf(), e.to_string());
        let u32_at =
            |o: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?)) };
        let u64_at = |o: usize| -> Option<u64> {
            Some(u64::from_le_bytes(b.get(o..o.checked_add(8)?)?.try_into().ok()?))
        };
        if u32_at(0) != Some(FORMAT) {
            return Err(bad("not a cache file of this format"));
        }
        let n = u32_at(4).ok_or_else(|| bad("truncated"))? as usize;
        // The records, the inputs' and at least one modules' section.
        if n <= FIRST_MODULES + 1 || n > b.len() / 16 {
            return Err(bad("truncated"));
        }
        let mut secs = Vec::with_capacity(n);
        let mut off = 8 + 16 * n;
        for i in 0..n {
            let len = u64_at(8 + 8 * i).ok_or_else(|| bad("truncated"))?;
            let sum = u64_at(8 + 8 * n + 8 * i).ok_or_else(|| bad("truncated"))?;
            let end = usize::try_from(len)
                .ok()
                .and_then(|l| off.checked_add(l))
                .ok_or_else(|| bad("truncated"))?;
            secs.push((b.get(off..end).ok_or_else(|| bad("truncated"))?, sum));
            off = end;
        }
        if off != b.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(secs)
    }

    /// A section's bytes, once they match its checksum.
    fn checked<'b>(file: &Path, (s, sum): (&'b [u8], u64)) -> Result<&'b [u8]> {
        if kfit_util::checksum(s) != sum {
            return Err(Error::Cache(file.to_path_buf(), "checksum mismatch".into()));
        }
        Ok(s)
    }

    /// The per-file records of a cache file.
    fn load_records(file: &Path) -> Result<Records> {
        let b = kfit_util::read_cache(file).map_err(|e| Error::Io(file.to_path_buf(), e))?;
        let secs = Self::sections(file, &b)?;
        let last = *secs
            .last()
            .ok_or_else(|| Error::Cache(file.to_path_buf(), "truncated".into()))?;
        bincode::deserialize(Self::checked(file, last)?)
            .map_err(|e| Error::Cache(file.to_path_buf(), e.to_string()))
    }

    /// Decode a cache file; with `tree`, check its inputs against the tree
    /// meanwhile.
    fn load_sections(file: &Path, tree: Option<&Path>) -> Result<(KernelIndex, Option<fresh::Changes>)> {
        let t = std::time::Instant::now();
        let b = kfit_util::read_cache(file).map_err(|e| Error::Io(file.to_path_buf(), e))?;
        let t1 = t.elapsed();
        let secs = Self::sections(file, &b)?;
        let inputs: fresh::Inputs = bincode::deserialize(Self::checked(file, secs[3])?)
            .map_err(|e| Error::Cache(file.to_path_buf(), e.to_string()))?;
        // The stamps first: the check runs beside the decoding.
        let (changes, idx) = rayon::join(
            || tree.map(|tr| Self::timed_changes(&inputs, tr)),
            || Self::decode_sections(file, &secs),
        );
        let mut idx = idx?;
        idx.inputs = inputs;
        if std::env::var_os("KFIT_TIMING").is_some() {
            eprintln!("load: map {t1:?}, decode and check {:?}", t.elapsed() - t1);
        }
        Ok((idx, changes))
    }

    /// [`fresh::Inputs::changes`], timed with `KFIT_TIMING`.
    fn timed_changes(inputs: &fresh::Inputs, tree: &Path) -> fresh::Changes {
        let t = std::time::Instant::now();
        let c = inputs.changes(tree);
        if std::env::var_os("KFIT_TIMING").is_some() {
            eprintln!(
                "check: {} files, {} directories stat'ed in {:?}",
                inputs.files.len(),
                inputs.dirs.len(),
                t.elapsed()
            );
        }
        c
    }

    /// Decode every section but the inputs and the records (in parallel).
    fn decode_sections(file: &Path, secs: &[(&[u8], u64)]) -> Result<KernelIndex> {
        let bad = |e: String| Error::Cache(file.to_path_buf(), e);
        let de = |e: bincode::Error| bad(e.to_string());
        let sec = |i: usize| Self::checked(file, secs[i]);
        // The modules' sections: all but the first ones and the records.
        let module_secs = &secs[FIRST_MODULES..secs.len() - 1];
        let ((head, diags), (maps, chunks)) = rayon::join(
            || {
                rayon::join(
                    || {
                        bincode::deserialize::<(String, String, String, Vec<String>, srcfacts::TreeFacts)>(
                            sec(0)?,
                        )
                        .map_err(de)
                    },
                    || bincode::deserialize::<Vec<String>>(sec(1)?).map_err(de),
                )
            },
            || {
                rayon::join(
                    || bincode::deserialize::<StoredMaps>(sec(2)?).map_err(de),
                    || {
                        module_secs
                            .par_iter()
                            .map(|&s| {
                                bincode::deserialize::<Vec<Module>>(Self::checked(file, s)?).map_err(de)
                            })
                            .collect::<Result<Vec<Vec<Module>>>>()
                    },
                )
            },
        );
        let (tree, version, arch, off_configs, facts) = head?;
        let maps = maps?;
        let mut modules = Vec::with_capacity(chunks.as_ref().map_or(0, |c| c.iter().map(Vec::len).sum()));
        for c in chunks? {
            modules.extend(c);
        }
        // The maps point into the modules: an index out of range is a
        // damaged file (a cache miss), never a panic at lookup.
        let n_mod = modules.len();
        let in_range = |v: &[(u64, u32)]| v.iter().all(|&(_, i)| (i as usize) < n_mod);
        let prefixes_ok = maps.by_prefix.iter().all(|g| {
            g.entries.iter().all(|&(i, j)| {
                modules
                    .get(i as usize)
                    .is_some_and(|m| (j as usize) < m.aliases.len())
            })
        });
        let ok =
            in_range(&maps.by_name) && in_range(&maps.by_path) && in_range(&maps.by_driver) && prefixes_ok;
        if !ok {
            return Err(bad("a lookup map points past the modules".into()));
        }
        Ok(KernelIndex {
            tree,
            version,
            arch,
            off_configs,
            modules,
            diags: diags?,
            facts,
            inputs: fresh::Inputs::default(),
            records: None,
            unreadable: Vec::new(),
            rescanned: 0,
            notes: Vec::new(),
            maps: std::sync::OnceLock::from(Maps {
                by_name: maps.by_name,
                by_path: maps.by_path,
                by_driver: maps.by_driver,
                by_prefix: maps.by_prefix,
            }),
        })
    }

    /// A cached index of `tree` decoded at once, its inputs checked
    /// against the tree on another thread meanwhile: the caller works with
    /// it and trusts nothing it derived before [`Pending::fresh`] says yes
    /// (else it loads again with [`Self::load_or_build_with`], which
    /// rebuilds what changed). `None` when there is no usable cache file.
    pub fn load_speculative(tree: &Path, arch: &Arch, cache_dir: &Path) -> Option<(KernelIndex, Pending)> {
        let file = cache_dir.join(format!("{}.bin", cache_key(tree, arch).ok()?));
        let t = std::time::Instant::now();
        let b = kfit_util::read_cache(&file).ok()?;
        let secs = Self::sections(&file, &b).ok()?;
        // The check owns its bytes: it outlives this call.
        let stamps = Self::checked(&file, secs[3]).ok()?.to_vec();
        let tree = tree.to_path_buf();
        let check = std::thread::Builder::new()
            .name("kfit-index-check".into())
            .spawn(move || {
                let inputs: fresh::Inputs = bincode::deserialize(&stamps).ok()?;
                let fresh = Self::timed_changes(&inputs, &tree).is_empty();
                Some((fresh, inputs))
            })
            .ok()?;
        let pending = Pending { check };
        let idx = Self::decode_sections(&file, &secs).ok()?;
        if std::env::var_os("KFIT_TIMING").is_some() {
            eprintln!("load (speculative): read and decode {:?}", t.elapsed());
        }
        Some((idx, pending))
    }

    /// Write the index to a file (atomically), in the layout [`Self::load`] reads.
    pub fn save(&self, file: &Path) -> Result<()> {
        let enc =
            |r: bincode::Result<Vec<u8>>| r.map_err(|e| Error::Cache(file.to_path_buf(), e.to_string()));
        let m = self.maps();
        let maps = StoredMaps {
            by_name: m.by_name.clone(),
            by_path: m.by_path.clone(),
            by_driver: m.by_driver.clone(),
            by_prefix: m.by_prefix.clone(),
        };
        let empty = Records::default();
        let mut secs = vec![
            enc(bincode::serialize(&(
                &self.tree,
                &self.version,
                &self.arch,
                &self.off_configs,
                &self.facts,
            )))?,
            enc(bincode::serialize(&self.diags))?,
            enc(bincode::serialize(&maps))?,
            enc(bincode::serialize(&self.inputs))?,
        ];
        // At least one modules' section (possibly empty): the layout has one.
        for c in self.modules.chunks(CHUNK) {
            secs.push(enc(bincode::serialize(c))?);
        }
        if self.modules.is_empty() {
            secs.push(enc(bincode::serialize(&self.modules))?);
        }
        secs.push(enc(bincode::serialize(self.records.as_ref().unwrap_or(&empty)))?);
        let mut b = Vec::with_capacity(8 + 16 * secs.len() + secs.iter().map(Vec::len).sum::<usize>());
        b.extend_from_slice(&FORMAT.to_le_bytes());
        b.extend_from_slice(&(secs.len() as u32).to_le_bytes());
        for s in &secs {
            b.extend_from_slice(&(s.len() as u64).to_le_bytes());
        }
        for s in &secs {
            b.extend_from_slice(&kfit_util::checksum(s).to_le_bytes());
        }
        for s in &secs {
            b.extend_from_slice(s);
        }
        kfit_util::write_cache(file, &b).map_err(|e| Error::Io(file.to_path_buf(), e))
    }

    /// The first `len` bytes of alias `j` of module `i`.
    fn alias_prefix(&self, (i, j): (u32, u32), len: usize) -> &[u8] {
        let p = self.modules[i as usize].aliases[j as usize].pattern.as_bytes();
        &p[..len.min(p.len())]
    }

    /// Lookup maps, built on first use (a few ms) and not stored.
    fn maps(&self) -> &Maps {
        self.maps.get_or_init(|| self.build_maps())
    }

    fn build_maps(&self) -> Maps {
        let mut m = Maps::default();
        m.by_name.reserve(self.modules.len());
        m.by_path.reserve(self.modules.len());
        for (i, md) in self.modules.iter().enumerate() {
            m.by_name.push((hkey(&md.name), i as u32));
            m.by_path.push((hkey(&md.path), i as u32));
            for d in &md.driver_names {
                m.by_driver.push((hkey(d), i as u32));
            }
            for (j, a) in md.aliases.iter().enumerate() {
                let len = literal_prefix_len(&a.pattern);
                let g = match m.by_prefix.iter().position(|g| g.len as usize == len) {
                    Some(g) => g,
                    None => {
                        m.by_prefix.push(PrefixGroup {
                            len: len as u32,
                            entries: Vec::new(),
                        });
                        m.by_prefix.len() - 1
                    }
                };
                m.by_prefix[g].entries.push((i as u32, j as u32));
            }
        }
        m.by_prefix.sort_by_key(|g| g.len);
        for g in &mut m.by_prefix {
            let len = g.len as usize;
            g.entries.sort_unstable_by(|x, y| {
                self.alias_prefix(*x, len)
                    .cmp(self.alias_prefix(*y, len))
                    .then(x.cmp(y))
            });
        }
        m.by_name.sort_unstable();
        m.by_path.sort_unstable();
        m.by_driver.sort_unstable();
        m
    }

    /// Modules by KBUILD_MODNAME (`-` and `_` are equivalent). A name can
    /// belong to several objects (e.g. a built-in and a module); modules that
    /// are not `builtin_only` come first.
    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules_named(name).into_iter().next()
    }

    /// All modules with that KBUILD_MODNAME.
    pub fn modules_named(&self, name: &str) -> Vec<&Module> {
        let n = name.replace('-', "_");
        let mut v: Vec<&Module> = hashed(&self.maps().by_name, hkey(&n))
            .map(|i| &self.modules[i as usize])
            .filter(|m| m.name == n)
            .collect();
        v.sort_by_key(|m| (m.builtin_only, m.aliases.is_empty()));
        v
    }

    /// Module by tree-relative object path (`drivers/usb/host/xhci-pci`).
    pub fn module_by_path(&self, path: &str) -> Option<&Module> {
        hashed(&self.maps().by_path, hkey(path))
            .map(|i| &self.modules[i as usize])
            .find(|m| m.path == path)
    }

    /// The modules whose sources register a child device called `name`
    /// ([`CompanionKind::Spawns`]), each with the fact's file and line.
    pub fn spawners_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Module, &'a Companion)> + 'a {
        self.modules.iter().flat_map(move |m| {
            m.companions
                .iter()
                .filter(move |c| c.kind == CompanionKind::Spawns && c.name == name)
                .map(move |c| (m, c))
        })
    }

    /// Modules that register a driver called `name` (as printed by lspci -k
    /// or in /sys/bus/*/drivers). Falls back to modules named so.
    pub fn module_by_driver_name(&self, name: &str) -> Vec<&Module> {
        let v: Vec<&Module> = hashed(&self.maps().by_driver, hkey(name))
            .map(|i| &self.modules[i as usize])
            .filter(|m| m.driver_names.iter().any(|d| d == name))
            .collect();
        if !v.is_empty() {
            return v;
        }
        self.modules_named(name)
    }

    /// What `kfit modinfo` finds for `what`: the modules of that name, else
    /// the object at that path (`.ko` allowed), else the modules
    /// registering a driver of that name.
    pub fn find_modules(&self, what: &str) -> Vec<&Module> {
        let mut mods = self.modules_named(what);
        if mods.is_empty() {
            mods.extend(self.module_by_path(what.trim_end_matches(".ko")));
        }
        if mods.is_empty() {
            mods = self.module_by_driver_name(what);
        }
        mods
    }

    /// Match a device modalias (as in /sys/devices/…/modalias) against every
    /// alias pattern, with kmod's fnmatch semantics. A `*` in `modalias`
    /// means the field is unknown (e.g. busybox lspci has no subsystem ids or
    /// prog-if) and matches whatever the pattern has there. Results are
    /// sorted most specific first.
    pub fn match_modalias(&self, modalias: &str) -> Vec<Match<'_>> {
        // Up to its first `*` (an unknown field) the modalias is literal:
        // a pattern whose literal prefix fits in that part must equal the
        // modalias's prefix of the same length. Longer prefixes run into
        // the unknown field and are tried one by one.
        let known = modalias.find('*').unwrap_or(modalias.len());
        let mut cands: Vec<(u32, u32)> = Vec::new();
        for g in &self.maps().by_prefix {
            let len = g.len as usize;
            if len > known && known == modalias.len() {
                // A literal prefix longer than the whole (fully known)
                // modalias cannot match.
                continue;
            }
            // Patterns whose prefix equals the modalias's first `len` bytes,
            // or, when an unknown field comes first, starts with the known
            // part.
            let key = &modalias.as_bytes()[..len.min(known)];
            let cut = |e: &(u32, u32)| {
                let p = self.alias_prefix(*e, len);
                &p[..p.len().min(key.len())]
            };
            let from = g.entries.partition_point(|e| cut(e) < key);
            cands.extend(g.entries[from..].iter().take_while(|e| cut(e) == key));
        }
        // Index order, so ties below keep the order of a plain scan.
        cands.sort_unstable();

        let mut out = Vec::new();
        let device = glob::Device::new(modalias);
        for (i, j) in cands {
            let m = &self.modules[i as usize];
            let a = &m.aliases[j as usize];
            if device.matches(&a.pattern) {
                out.push(Match {
                    module: m,
                    alias: a,
                    specificity: glob::specificity(&a.pattern),
                });
            }
        }
        out.sort_by(|a, b| {
            b.specificity
                .cmp(&a.specificity)
                .then_with(|| a.module.name.cmp(&b.module.name))
        });
        out
    }

    /// Every (module, alias) pair.
    pub fn aliases(&self) -> impl Iterator<Item = (&Module, &Alias)> {
        self.modules
            .iter()
            .flat_map(|m| m.aliases.iter().map(move |a| (m, a)))
    }

    /// Set of symbol names known to the index (for sanity checks).
    pub fn all_symbols(&self) -> HashSet<&str> {
        self.modules
            .iter()
            .flat_map(|m| m.symbols.iter().flatten().map(|s| s.as_str()))
            .collect()
    }
}

/// The key of a lookup map: persisted, so the one stable hash.
fn hkey(s: &str) -> u64 {
    kfit_util::stable_hash(s.as_bytes())
}

/// Resident and peak memory now (`KFIT_TIMING` output).
fn mem() -> String {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    format!("rss {} MiB, peak {} MiB", get("VmRSS:"), get("VmHWM:"))
}

/// KBUILD_MODNAME of an object path.
pub fn modname_of(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).replace('-', "_")
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn s<T: Send + Sync>() {}
    s::<KernelIndex>();
    s::<Arc<cpp::Macro>>();
}
