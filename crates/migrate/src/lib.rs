//! kfit-migrate: carry a kernel config (and a machine) from one kernel tree
//! to another, saying what happens to every symbol the old config sets.
//!
//! ```text
//! old .config ─► old Kconfig ─┐
//!                             ├─► successors (prompts, Makefiles, selects) ─► new .config text ─► new Kconfig
//! old tree, new tree ─────────┘                                                  │
//!                                                     listings ─► kfit-fit on both trees (devices before/after)
//! ```
//!
//! [`migrate`] loads both trees' Kconfig and Makefile facts, finds the
//! successor of every symbol the new tree no longer defines
//! ([`successor::find_successors`]: every link derived from the two trees,
//! with its evidence), writes the old config with each renamed symbol's value
//! carried over to its successor, reads it into the new tree as `make
//! olddefconfig` would, and classifies every symbol the old config set
//! ([`Status`]). With machines, the fit pipeline ([`kfit_fit::fit`]) runs on
//! both trees and the report says, per device, whether the new config still
//! drives it and why not. Works in both directions (a newer config carried
//! back to an older tree). [`diff`] is the menu-grouped config diff of
//! `kfit kconfig diff`. Nothing here prints.

pub mod diff;
pub mod successor;

use kfit_fit::{MachineInput, Verdict};
use kfit_kbuild::refs::MakeRefs;
use kfit_kbuild::KernelIndex;
use kfit_kconfig::{Kconfig, LoadOptions, SymbolId, SymbolType, Tristate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use successor::{defined, Evidence, Side};

/// Errors, each naming the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Loading a tree's Kconfig.
    #[error(transparent)]
    Kconfig(#[from] kfit_kconfig::Error),
    /// Loading a tree's index.
    #[error(transparent)]
    Index(#[from] kfit_kbuild::Error),
    /// The fit pipeline (with listings).
    #[error(transparent)]
    Fit(#[from] kfit_fit::Error),
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

/// Inputs of [`migrate`].
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// The old config.
    pub config: PathBuf,
    /// The tree the old config is for.
    pub from_tree: PathBuf,
    /// The tree to carry it to.
    pub to_tree: PathBuf,
    /// Machines to re-resolve on the new tree (none: config only).
    pub machines: Vec<MachineInput>,
    /// Kconfig load options (compiler for the probes...), both trees.
    pub load: LoadOptions,
    /// Index cache directory.
    pub index_cache: PathBuf,
    /// Root for reading a live machine.
    pub sysfs_root: PathBuf,
}

/// What the new tree does with one symbol the old config sets.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Same value in the new tree.
    Kept {
        /// The symbol's default differs between the trees (the config's
        /// explicit value keeps it; a minimal config would not).
        #[serde(skip_serializing_if = "Option::is_none")]
        default_changed: Option<DefaultChange>,
    },
    /// Still defined, but its value changes.
    Changed {
        /// Value in the new tree.
        new: String,
        /// Why (no prompt any more, a dependency, a selector...).
        why: String,
    },
    /// No longer defined; a successor carries on.
    Renamed {
        /// The successor.
        to: String,
        /// The successor already existed in the old tree.
        merged: bool,
        /// What links the two, from both trees.
        evidence: Vec<Evidence>,
        /// The value written for the successor (user-settable on both sides).
        #[serde(skip_serializing_if = "Option::is_none")]
        carried: Option<String>,
        /// The successor's value in the new config.
        new: String,
        /// Why the successor did not keep the carried value.
        #[serde(skip_serializing_if = "Option::is_none")]
        lost: Option<String>,
    },
    /// No longer defined and nothing carries on.
    Removed {
        /// The symbol had no prompt (its value was derived, never chosen).
        internal: bool,
        /// What it used to build and where that went.
        built: Vec<Built>,
        /// Other facts (who selected it).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// Not defined in the old tree either (a stale line in the old config).
    Unknown,
}

/// A default that differs between the trees.
#[derive(Debug, Clone, Serialize)]
pub struct DefaultChange {
    /// Default in the old tree.
    pub old_default: String,
    /// Default in the new tree.
    pub new_default: String,
}

/// One thing a removed symbol used to build.
#[derive(Debug, Clone, Serialize)]
pub struct Built {
    /// Tree-relative object, directory (`/`) or Makefile word.
    pub what: String,
    /// The module it was (KBUILD_MODNAME), when it was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The Makefile line in the old tree.
    pub at: String,
    /// Where it is in the new tree.
    pub now: String,
}

/// One symbol of the old config.
#[derive(Debug, Clone, Serialize)]
pub struct SymbolReport {
    /// Name without `CONFIG_`.
    pub name: String,
    /// Its value in the old tree under the old config.
    pub old: String,
    /// What happens to it.
    #[serde(flatten)]
    pub status: Status,
}

/// Counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Symbols the old config mentions (set or `is not set`).
    pub symbols: usize,
    /// Same value.
    pub kept: usize,
    /// ... of which the default changed.
    pub default_changed: usize,
    /// Value changes.
    pub changed: usize,
    /// Renamed (successor is new).
    pub renamed: usize,
    /// Folded into a symbol that already existed.
    pub merged: usize,
    /// Gone.
    pub removed: usize,
    /// Not defined in the old tree either.
    pub unknown: usize,
    /// Symbols the new tree does not define that the old config sets to
    /// `y` or `m`.
    pub vanished_set: usize,
    /// Carried values the new config does not keep.
    pub carried_lost: usize,
}

/// One device, under the old config and under the new one.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceMigration {
    /// Machine name.
    pub machine: String,
    /// Device label.
    pub label: String,
    /// Bound driver in the listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Fit verdict on the old tree with the old config (`already_on` =
    /// driven by the old config).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Verdict>,
    /// Fit verdict on the new tree with the migrated config.
    pub after: Verdict,
    /// Why it is not driven any more (blocked symbols, missing driver).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
}

/// A symbol the machine needs on the new tree that the migrated config
/// did not have, or that the old tree did not define.
#[derive(Debug, Clone, Serialize)]
pub struct NewlyRequired {
    /// Symbol.
    pub symbol: String,
    /// Value after migration, before the fit (the same as `after` for a
    /// new symbol the migrated config already had on).
    pub before: String,
    /// Value after the fit.
    pub after: String,
    /// Not defined in the old tree (a new core module, a new bus layer...).
    pub new_symbol: bool,
    /// Devices and modules that need it (empty: a dependency of those).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needed_by: Vec<String>,
}

/// The machine part of a migration.
#[derive(Debug, Clone, Serialize)]
pub struct MachineMigration {
    /// Per device.
    pub devices: Vec<DeviceMigration>,
    /// Devices the old config drove.
    pub driven_before: usize,
    /// Of those, driven by the new config.
    pub still_driven: usize,
    /// Symbols the hardware needs on the new tree.
    pub newly_required: Vec<NewlyRequired>,
}

/// Timings in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Both trees' Kconfig models, Makefile references and indexes.
    pub load_ms: u128,
    /// Successors, the new config, the classification.
    pub migrate_ms: u128,
    /// The fits on both trees (with machines).
    pub machine_ms: u128,
}

/// The result of [`migrate`].
#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    /// Kernel version of the old tree.
    pub from_kernel: String,
    /// Kernel version of the new tree.
    pub to_kernel: String,
    /// Counts.
    pub summary: Summary,
    /// Every symbol of the old config, in its order.
    pub symbols: Vec<SymbolReport>,
    /// With machines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineMigration>,
    /// Warnings (config lines, listings).
    pub warnings: Vec<String>,
    /// Milliseconds: loading both trees (Kconfig, Makefiles, index, side
    /// by side), the config migration, the fits of the machines.
    pub timings: Timings,
    /// The new `.config`.
    #[serde(skip)]
    pub config: String,
}

impl Migration {
    /// The report of one symbol.
    pub fn symbol(&self, name: &str) -> Option<&SymbolReport> {
        self.symbols.iter().find(|s| s.name == name)
    }
}

fn j<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

fn read(p: &Path) -> Result<String, Error> {
    std::fs::read(p)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| Error::Io(p.display().to_string(), e))
}

/// Carry the old config (and machines) to the new tree.
pub fn migrate(opts: &MigrateOptions) -> Result<Migration, Error> {
    let old_text = read(&opts.config)?;
    let cfg_name = opts.config.display().to_string();
    let t = std::time::Instant::now();
    // Both trees' Kconfig models, Makefile references and indexes are
    // independent: load them side by side.
    let (old_kc, new_kc, old_refs, new_refs, old_idx, new_idx) = std::thread::scope(|s| {
        let ok =
            s.spawn(|| Kconfig::load_with_config_text(&opts.from_tree, &opts.load, &old_text, &cfg_name));
        let nk = s.spawn(|| Kconfig::load(&opts.to_tree, &opts.load));
        let arch = &opts.load.arch;
        let orf = s.spawn(|| kfit_kbuild::refs::make_refs(&opts.from_tree, arch));
        let nrf = s.spawn(|| kfit_kbuild::refs::make_refs(&opts.to_tree, arch));
        let oi = s.spawn(|| KernelIndex::load_or_build(&opts.from_tree, arch, &opts.index_cache));
        let ni = KernelIndex::load_or_build(&opts.to_tree, arch, &opts.index_cache);
        (j(ok), j(nk), j(orf), j(nrf), j(oi), ni)
    });
    let (old_kc, w) = old_kc?;
    kfit_fit::check_config_arch(&opts.from_tree, &opts.load.arch, &old_kc, &old_text, &cfg_name)?;
    let mut warnings: Vec<String> = w.iter().map(|w| format!("old config: {w}")).collect();
    let mut new_kc = new_kc?;
    let (old_idx, new_idx) = (old_idx?, new_idx?);
    let load_ms = t.elapsed().as_millis();
    let t = std::time::Instant::now();
    let mut m = migrate_loaded(
        &Loaded {
            old_kc: &old_kc,
            old_refs: &old_refs,
            old_idx: Some(&old_idx),
            new_refs: &new_refs,
            new_idx: Some(&new_idx),
            old_text: &old_text,
        },
        &mut new_kc,
    );
    warnings.append(&mut m.warnings);
    m.warnings = warnings;
    m.timings.load_ms = load_ms;
    m.timings.migrate_ms = t.elapsed().as_millis();
    if !opts.machines.is_empty() {
        let t = std::time::Instant::now();
        machine_migration(opts, &old_kc, &old_idx, &new_idx, &mut m)?;
        m.timings.machine_ms = t.elapsed().as_millis();
    }
    Ok(m)
}

/// Everything [`migrate_loaded`] reads about the old tree, and the new
/// tree's Makefile facts.
pub struct Loaded<'a> {
    /// The old tree's Kconfig with the old config read.
    pub old_kc: &'a Kconfig,
    /// The old tree's Makefile references.
    pub old_refs: &'a MakeRefs,
    /// The old tree's index (module names of removed objects).
    pub old_idx: Option<&'a KernelIndex>,
    /// The new tree's Makefile references.
    pub new_refs: &'a MakeRefs,
    /// The new tree's index.
    pub new_idx: Option<&'a KernelIndex>,
    /// The old config text.
    pub old_text: &'a str,
}

fn version_label(kc: &Kconfig) -> String {
    kfit_kconfig::kernel_version(kc.srctree()).unwrap_or_else(|_| kc.srctree().display().to_string())
}

/// The config part of [`migrate`] on loaded trees: `new_kc` ends with the
/// migrated config read.
pub fn migrate_loaded(l: &Loaded, new_kc: &mut Kconfig) -> Migration {
    let old_kc = l.old_kc;
    let (from, to) = (version_label(old_kc), version_label(new_kc));
    let lines = config_lines(l.old_text);
    let mut warnings = Vec::new();
    // Vanished: defined in the old tree, not in the new one.
    let vanished: Vec<String> = lines
        .iter()
        .filter(|(n, _)| old_kc.lookup(n).is_some_and(|id| defined(old_kc, id)))
        .filter(|(n, _)| new_kc.lookup(n).is_none_or(|id| !defined(new_kc, id)))
        .map(|(n, _)| n.clone())
        .collect();
    let successors = {
        let old = Side::new(old_kc, l.old_refs, from.clone());
        let new = Side::new(new_kc, l.new_refs, to.clone());
        successor::find_successors(&old, &new, &vanished)
    };
    // The old config with each renamed symbol's value carried over.
    let mut text = l.old_text.to_string();
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    let mut carried: HashMap<String, String> = HashMap::new();
    let mut carried_by: HashMap<String, String> = HashMap::new();
    for name in &vanished {
        let Some(s) = successors.get(name).and_then(|v| v.first()) else {
            continue;
        };
        if s.merged || carried_by.contains_key(&s.name) {
            continue;
        }
        let (Some(o), Some(n)) = (old_kc.lookup(name), new_kc.lookup(&s.name)) else {
            continue;
        };
        if old_kc.prompts(o).next().is_none() || new_kc.prompts(n).next().is_none() {
            continue;
        }
        let Some(v) = carry_value(old_kc, o, new_kc, n) else {
            warnings.push(format!(
                "{name} ({}) and its successor {} ({}) have types that do not convert: nothing carried",
                old_kc.symbol(o).ty.name(),
                s.name,
                new_kc.symbol(n).ty.name()
            ));
            continue;
        };
        text.push_str(&config_line(&s.name, &v, new_kc.symbol(n).ty));
        text.push('\n');
        carried.insert(name.clone(), v);
        carried_by.insert(s.name.clone(), name.clone());
    }
    for w in new_kc.read_config_str(&text, "migrated config") {
        if !matches!(w.kind, kfit_kconfig::ConfigWarningKind::UnknownSymbol(_)) {
            warnings.push(format!("new tree: {w}"));
        }
    }
    let new_kc: &Kconfig = new_kc;
    let mut removed_ctx = RemovedCtx::new(l, new_kc);
    let mut symbols = Vec::new();
    let mut sum = Summary::default();
    for (name, line_value) in &lines {
        let Some(o) = old_kc.lookup(name).filter(|&o| defined(old_kc, o)) else {
            sum.unknown += 1;
            symbols.push(SymbolReport {
                name: name.clone(),
                old: line_value.clone(),
                status: Status::Unknown,
            });
            continue;
        };
        let old_value = old_kc.string_value(o);
        let status = match new_kc.lookup(name).filter(|&n| defined(new_kc, n)) {
            Some(n) => {
                let new_value = new_kc.string_value(n);
                if same_value(&old_value, &new_value) {
                    let default_changed = (new_kc.has_user_value(n) || old_kc.has_user_value(o))
                        .then(|| (old_kc.string_default(o), new_kc.string_default(n)))
                        .filter(|(a, b)| !same_value(a, b))
                        .map(|(old_default, new_default)| DefaultChange {
                            old_default,
                            new_default,
                        });
                    sum.kept += 1;
                    sum.default_changed += default_changed.is_some() as usize;
                    Status::Kept { default_changed }
                } else {
                    sum.changed += 1;
                    let (to, tn) = (old_kc.symbol(o).ty, new_kc.symbol(n).ty);
                    let why = if to != tn {
                        format!(
                            "its type changed from {} to {}: {}",
                            to.name(),
                            tn.name(),
                            why_not(new_kc, n, &old_value)
                        )
                    } else {
                        why_not(new_kc, n, &old_value)
                    };
                    Status::Changed { why, new: new_value }
                }
            }
            None => {
                if matches!(line_value.as_str(), "y" | "m") {
                    sum.vanished_set += 1;
                }
                match successors.get(name).and_then(|v| v.first()) {
                    Some(s) => {
                        let n = new_kc.lookup(&s.name);
                        let new_value = n.map(|n| new_kc.string_value(n)).unwrap_or_default();
                        let c = carried.get(name).cloned();
                        let lost = match (&c, n) {
                            (Some(v), Some(n)) if !same_value(v, &new_value) => Some(why_not(new_kc, n, v)),
                            _ => None,
                        };
                        sum.carried_lost += lost.is_some() as usize;
                        if s.merged {
                            sum.merged += 1;
                        } else {
                            sum.renamed += 1;
                        }
                        Status::Renamed {
                            to: s.name.clone(),
                            merged: s.merged,
                            evidence: s.evidence.clone(),
                            carried: c,
                            new: new_value,
                            lost,
                        }
                    }
                    None => {
                        sum.removed += 1;
                        removed_ctx.removed(name, o)
                    }
                }
            }
        };
        symbols.push(SymbolReport {
            name: name.clone(),
            old: old_value,
            status,
        });
    }
    sum.symbols = symbols.len();
    Migration {
        from_kernel: from,
        to_kernel: to,
        summary: sum,
        symbols,
        machine: None,
        warnings,
        timings: Timings::default(),
        config: new_kc.write_config(),
    }
}

/// `(name, value)` of every `CONFIG_` line of a config, in order, first
/// occurrence of each name (`n` for `# CONFIG_X is not set`).
fn config_lines(text: &str) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let (k, v) = if let Some(rest) = line.strip_prefix("# CONFIG_") {
            match rest.strip_suffix(" is not set") {
                Some(k) => (k, "n"),
                None => continue,
            }
        } else if let Some(rest) = line.strip_prefix("CONFIG_") {
            match rest.split_once('=') {
                Some((k, v)) => (k, v),
                None => continue,
            }
        } else {
            continue;
        };
        if seen.insert(k.to_string()) {
            out.push((k.to_string(), v.trim_matches('"').to_string()));
        }
    }
    out
}

fn same_value(a: &str, b: &str) -> bool {
    // Linux 6.11 writes an int/hex without a default as 0/0x0, older trees
    // as empty: the same "no value".
    let z = |s: &str| matches!(s, "" | "0" | "0x0");
    a == b || (z(a) && z(b) && (a.is_empty() || b.is_empty()))
}

/// The old value as the successor's type takes it (`m` on a bool is `y`).
fn carry_value(old: &Kconfig, o: SymbolId, new: &Kconfig, n: SymbolId) -> Option<String> {
    let v = old.string_value(o);
    let (to, tn) = (old.symbol(o).ty, new.symbol(n).ty);
    match (to.is_tristate_like(), tn.is_tristate_like()) {
        (true, true) => Some(if tn == SymbolType::Bool && v == "m" {
            "y".into()
        } else {
            v
        }),
        (false, false) if to == tn || tn == SymbolType::String => Some(v),
        _ => None,
    }
}

fn config_line(name: &str, v: &str, ty: SymbolType) -> String {
    match (ty, v) {
        (SymbolType::Bool | SymbolType::Tristate, "n") => format!("# CONFIG_{name} is not set"),
        (SymbolType::String, v) => format!(
            "CONFIG_{name}=\"{}\"",
            v.replace('\\', "\\\\").replace('"', "\\\"")
        ),
        (_, v) => format!("CONFIG_{name}={v}"),
    }
}

/// Why `id` does not have `wanted` in `kc`.
fn why_not(kc: &Kconfig, id: SymbolId, wanted: &str) -> String {
    let sym = kc.symbol(id);
    let now = kc.string_value(id);
    if kc.prompts(id).next().is_none() {
        return format!("no prompt in this tree: the value comes from its defaults and selectors ({now})");
    }
    let want = match wanted {
        "y" => Some(Tristate::Yes),
        "m" => Some(Tristate::Mod),
        "n" => Some(Tristate::No),
        _ => None,
    };
    if let Some(w) = want.filter(|_| sym.ty.is_tristate_like()) {
        if kc.visibility(id) < w {
            if let Some(d) = &sym.dir_dep {
                if kc.dir_dep_value(id) < w {
                    return format!("depends on {}", kfit_fit::annotate(kc, d));
                }
            }
            let conds: Vec<String> = kc
                .prompts(id)
                .filter_map(|p| p.cond.as_ref())
                .map(|c| kfit_fit::annotate(kc, c))
                .collect();
            return format!("its prompt is not visible: {}", conds.join(" || "));
        }
        if kc.rev_dep_value(id) > w {
            let by: Vec<String> = kc
                .selected_by(id)
                .into_iter()
                .filter(|(s, c)| kc.tristate(*s).and(kc.eval_cond(c.as_ref())) != Tristate::No)
                .map(|(s, _)| format!("{} [={}]", kc.symbol(s).name, kc.tristate(s)))
                .collect();
            return format!("selected by {}", by.join(", "));
        }
        if let Some(c) = kc.choice_of(id) {
            if let Some(sel) = kc.choice_selection(c) {
                if sel != id {
                    return format!("choice: {} is selected instead", kc.symbol(sel).name);
                }
            }
        }
        if w == Tristate::Mod && kc.tristate(kc.modules_symbol()) == Tristate::No {
            return "MODULES is off: m becomes y".into();
        }
    }
    if !kc.has_user_value(id) {
        return format!("the old value was not read (its default gives {now})");
    }
    format!("the new tree's rules give {now}")
}

/// What a removed symbol built, and where that went.
struct RemovedCtx<'a> {
    l: &'a Loaded<'a>,
    new_kc: &'a Kconfig,
    new_by_word: HashMap<&'a str, Vec<&'a str>>,
    /// File name → tree-relative sources of the new index (built lazily).
    new_files: Option<HashMap<String, Vec<String>>>,
    /// Symbol → old modules whose own Makefile line names it alone (lazily).
    old_modules: Option<HashMap<String, Vec<usize>>>,
}

impl<'a> RemovedCtx<'a> {
    fn new(l: &'a Loaded<'a>, new_kc: &'a Kconfig) -> Self {
        RemovedCtx {
            l,
            new_kc,
            new_by_word: l.new_refs.by_word(),
            new_files: None,
            old_modules: None,
        }
    }

    fn removed(&mut self, name: &str, o: SymbolId) -> Status {
        let old_kc = self.l.old_kc;
        let internal = old_kc.prompts(o).next().is_none();
        let mut notes = Vec::new();
        if internal {
            let by: Vec<String> = old_kc
                .selected_by(o)
                .into_iter()
                .map(|(s, _)| old_kc.symbol(s).name.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if by.is_empty() {
                notes.push("no prompt: its value came from its defaults".into());
            } else {
                notes.push(format!("no prompt: selected by {}", by.join(", ")));
            }
        }
        let mut built = Vec::new();
        let refs = self.l.old_refs.of(name);
        let mut words: BTreeMap<String, String> = BTreeMap::new();
        for r in refs.iter().filter(|r| !r.negated) {
            for w in &r.words {
                words
                    .entry(w.clone())
                    .or_insert_with(|| format!("{}:{}", r.makefile, r.line));
            }
        }
        // Modules built under it that the Makefile scan keys differently.
        let idx = self.l.old_idx;
        let by_symbol = self.old_modules.get_or_insert_with(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, md) in idx
                .map(|x| x.modules.as_slice())
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                for g in &md.symbols[..md.own] {
                    if let [one] = g.as_slice() {
                        m.entry(one.clone()).or_default().push(i);
                    }
                }
            }
            m
        });
        if let (Some(idx), Some(v)) = (idx, by_symbol.get(name)) {
            for &i in v {
                let md = &idx.modules[i];
                words
                    .entry(md.path.clone())
                    .or_insert_with(|| md.makefile.to_string());
            }
        }
        let total = words.len();
        for (w, at) in words.into_iter().take(24) {
            let module = self
                .l
                .old_idx
                .and_then(|i| i.module_by_path(&w))
                .map(|m| m.name.clone());
            let now = self.now(&w);
            built.push(Built {
                what: w,
                module,
                at,
                now,
            });
        }
        if total > 24 {
            notes.push(format!("{} more Makefile words not listed", total - 24));
        }
        if refs.is_empty() && built.is_empty() {
            notes.push("no Makefile tests it: it only switched code inside other objects".into());
        }
        Status::Removed {
            internal,
            built,
            notes,
        }
    }

    /// Where Makefile word `w` of the old tree is in the new tree.
    fn now(&mut self, w: &str) -> String {
        let to = self.new_kc.srctree();
        if let Some(syms) = self.new_by_word.get(w) {
            let at: Vec<String> = syms
                .iter()
                .map(|s| {
                    let r = self
                        .l
                        .new_refs
                        .of(s)
                        .iter()
                        .find(|r| r.words.iter().any(|x| x == w));
                    match r {
                        Some(r) if r.negated => format!("!CONFIG_{s} ({}:{})", r.makefile, r.line),
                        Some(r) => format!("CONFIG_{s} ({}:{})", r.makefile, r.line),
                        None => format!("CONFIG_{s}"),
                    }
                })
                .collect();
            return format!("built under {}", at.join(", "));
        }
        if let Some(u) = self.l.new_refs.unguarded.get(w) {
            let at = format!("{}:{}", u.makefile, u.line);
            // A part of a composite object: say which module and symbols.
            let composite = u.var.strip_suffix("-objs").or_else(|| u.var.strip_suffix("-y"));
            let dir = u.makefile.rsplit_once('/').map_or("", |(d, _)| d);
            let module = composite
                .filter(|c| *c != "obj" && !c.is_empty())
                .and_then(|c| self.l.new_idx?.module_by_path(&format!("{dir}/{c}")));
            if let Some(m) = module {
                let syms: Vec<String> = m.own_symbols().cloned().collect();
                return format!(
                    "part of module {} ({at}), built under {}",
                    m.name,
                    if syms.is_empty() {
                        "no symbol".into()
                    } else {
                        syms.join(", ")
                    }
                );
            }
            return format!("built with no CONFIG_ test of its own ({at})");
        }
        if let Some(m) = self.l.new_idx.and_then(|i| i.module_by_path(w)) {
            let syms: Vec<String> = m.own_symbols().cloned().collect();
            return format!("module {} built under {}", m.name, syms.join(", "));
        }
        let dir = w.strip_suffix('/');
        let exists = match dir {
            Some(d) => to.join(d).is_dir(),
            None => ["c", "S", "rs"]
                .iter()
                .any(|e| to.join(format!("{w}.{e}")).is_file()),
        };
        if exists {
            return "still in the tree, built by no Makefile line".into();
        }
        let base = w
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(w)
            .to_string();
        if dir.is_none() {
            let idx = self.l.new_idx;
            let files = self.new_files.get_or_insert_with(|| {
                let mut m: HashMap<String, Vec<String>> = HashMap::new();
                for md in idx.map(|i| i.modules.as_slice()).unwrap_or(&[]) {
                    for s in &md.sources {
                        let stem = s.rsplit('/').next().unwrap_or(s);
                        let stem = stem.rsplit_once('.').map_or(stem, |(a, _)| a);
                        m.entry(stem.to_string()).or_default().push(s.clone());
                    }
                }
                m
            });
            if let Some(v) = files.get(&base) {
                let mut v = v.clone();
                v.sort();
                v.dedup();
                v.truncate(3);
                return format!("gone; a source of the same name is at {}", v.join(", "));
            }
        }
        "gone from the new tree".into()
    }
}

/// Fit the machines on both trees: the old one with the old config (which
/// devices it drives), the new one with the migrated config as the base.
fn machine_migration(
    opts: &MigrateOptions,
    old_kc: &Kconfig,
    old_idx: &KernelIndex,
    new_idx: &KernelIndex,
    m: &mut Migration,
) -> Result<(), Error> {
    let old_fit = kfit_fit::fit(
        &kfit_fit::FitOptions {
            tree: opts.from_tree.clone(),
            base: opts.config.clone(),
            machines: opts.machines.clone(),
            load: opts.load.clone(),
            index_cache: opts.index_cache.clone(),
            sysfs_root: opts.sysfs_root.clone(),
            ..Default::default()
        },
        Some(old_idx),
    )?;
    // The fit reads its base from a file.
    let tmp = std::env::temp_dir().join(format!(
        "kfit-migrate-{}-{}.config",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::write(&tmp, &m.config).map_err(|e| Error::Io(tmp.display().to_string(), e))?;
    let new_fit = kfit_fit::fit(
        &kfit_fit::FitOptions {
            tree: opts.to_tree.clone(),
            base: tmp.clone(),
            machines: opts.machines.clone(),
            load: opts.load.clone(),
            index_cache: opts.index_cache.clone(),
            sysfs_root: opts.sysfs_root.clone(),
            ..Default::default()
        },
        Some(new_idx),
    );
    let _ = std::fs::remove_file(&tmp);
    let new_fit = new_fit?;
    m.warnings.extend(new_fit.warnings.iter().cloned());
    let before: HashMap<(&str, &str), &Verdict> = old_fit
        .machines
        .iter()
        .flat_map(|mr| {
            mr.devices
                .iter()
                .map(move |d| ((mr.name.as_str(), d.label.as_str()), &d.verdict))
        })
        .collect();
    let driven = |v: &Verdict| matches!(v, Verdict::AlreadyOn | Verdict::Enabled);
    let mut devices = Vec::new();
    let (mut driven_before, mut still_driven) = (0, 0);
    for mr in &new_fit.machines {
        for d in &mr.devices {
            let b = before
                .get(&(mr.name.as_str(), d.label.as_str()))
                .map(|v| (*v).clone());
            let was = b == Some(Verdict::AlreadyOn);
            driven_before += was as usize;
            let mut why = Vec::new();
            if driven(&d.verdict) {
                still_driven += was as usize;
            } else if d.verdict != Verdict::NoDriverNeeded {
                for md in &d.modules {
                    for s in md
                        .symbols
                        .iter()
                        .filter(|s| s.status == kfit_fit::SymbolStatus::Blocked)
                    {
                        why.push(format!(
                            "{}: {} blocked: {}",
                            md.module,
                            s.any_of.join("|"),
                            s.blocked.join("; ")
                        ));
                    }
                }
                why.extend(d.notes.iter().cloned());
                if d.verdict == Verdict::NoDriverInKernel {
                    why.push(format!(
                        "the listing's driver {} is not in Linux {}",
                        d.driver.as_deref().unwrap_or("?"),
                        m.to_kernel
                    ));
                }
            }
            devices.push(DeviceMigration {
                machine: mr.name.clone(),
                label: d.label.clone(),
                driver: d.driver.clone(),
                before: b,
                after: d.verdict.clone(),
                why,
            });
        }
    }
    let mut newly_required = Vec::new();
    for (sym, before, after) in &new_fit.changed {
        if after == "n" {
            continue;
        }
        let mut needed_by = Vec::new();
        for mr in &new_fit.machines {
            for d in &mr.devices {
                for md in &d.modules {
                    if md.symbols.iter().any(|s| s.any_of.iter().any(|a| a == sym)) {
                        let t = format!("{} ({})", d.label, md.module);
                        if !needed_by.contains(&t) {
                            needed_by.push(t);
                        }
                    }
                }
            }
        }
        newly_required.push(NewlyRequired {
            symbol: sym.clone(),
            before: before.clone(),
            after: after.clone(),
            new_symbol: old_kc.lookup(sym).is_none_or(|id| !defined(old_kc, id)),
            needed_by,
        });
    }
    // Requirements the old tree could not even express (a new core or
    // glue module, a new bus layer), also when the migrated config already
    // has them on.
    let kc_new = new_fit.kconfig.as_deref();
    for mr in &new_fit.machines {
        for d in &mr.devices {
            for md in &d.modules {
                for s in &md.symbols {
                    let new_only = s
                        .any_of
                        .iter()
                        .all(|a| old_kc.lookup(a).is_none_or(|id| !defined(old_kc, id)));
                    let Some(sym) = s.on.as_ref().or(s.any_of.first()) else {
                        continue;
                    };
                    if !new_only {
                        continue;
                    }
                    let t = format!("{} ({})", d.label, md.module);
                    match newly_required.iter_mut().find(|n| &n.symbol == sym) {
                        Some(n) => {
                            if !n.needed_by.contains(&t) {
                                n.needed_by.push(t);
                            }
                        }
                        None => {
                            let v = kc_new
                                .and_then(|k| k.lookup(sym).map(|id| k.string_value(id)))
                                .unwrap_or_default();
                            newly_required.push(NewlyRequired {
                                symbol: sym.clone(),
                                before: v.clone(),
                                after: v,
                                new_symbol: true,
                                needed_by: vec![t],
                            });
                        }
                    }
                }
            }
        }
    }
    m.config = new_fit.config.clone();
    m.machine = Some(MachineMigration {
        devices,
        driven_before,
        still_driven,
        newly_required,
    });
    Ok(())
}
