//! kfit-fit: the main job, wiring the stages together.
//!
//! ```text
//! machine(s) ──► resolve (index) ──► goals ──► solve (Kconfig, base config) ──► new .config
//! ```
//!
//! [`fit`] runs the whole pipeline and returns a [`Fit`]: the new config text,
//! the per-machine, per-device [`DeviceReport`]s and everything `kfit explain`
//! needs. [`audit`] runs resolve only and checks an existing config.
//! Nothing here prints; the CLI renders the reports.

use kfit_hw::{Bus, Machine};
use kfit_kbuild::KernelIndex;
use kfit_kconfig::{Kconfig, LoadOptions, Tristate};
use kfit_resolve::{DeviceStatus, How, Resolution};
use kfit_solve::{Goal, GoalStatus, Outcome};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub mod job;
pub mod requirements;
pub mod system;

/// Errors of the pipeline, each naming the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hardware listing could not be read.
    #[error(transparent)]
    Hw(#[from] kfit_hw::Error),
    /// The kernel tree could not be indexed.
    #[error(transparent)]
    Index(#[from] kfit_kbuild::Error),
    /// The Kconfig tree or the base config could not be read.
    #[error(transparent)]
    Kconfig(#[from] kfit_kconfig::Error),
    /// A file could not be read.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The listings of a machine name no device at all.
    #[error("{0}: no devices in this listing")]
    EmptyListing(String),
    /// The base config was made for another architecture.
    #[error("{config}:{line}: CONFIG_{symbol}=y: this config is for arch/{arch}, not arch/{tree_arch} of this tree (--arch {arch} fits for arch/{arch})")]
    ForeignArch {
        /// The config file.
        config: String,
        /// Line of the symbol.
        line: usize,
        /// The symbol that shows it.
        symbol: String,
        /// Its architecture.
        arch: String,
        /// The tree's architecture (SRCARCH).
        tree_arch: String,
    },
    /// `explain` of a symbol the tree does not define.
    #[error("CONFIG_{0} is not defined in Linux {1}")]
    UnknownSymbol(String, String),
    /// A profile, `--require` or fragment is malformed.
    #[error(transparent)]
    Requirements(#[from] requirements::ReqError),
    /// No kernel tree was given.
    #[error("--tree DIR is required (a kernel source tree, e.g. from scripts/fetch-kernels.sh)")]
    NoTree,
    /// The tree has no top-level Kconfig.
    #[error("{}: not a kernel source tree (no Kconfig)", .0.display())]
    NotATree(PathBuf),
    /// The tree's version could not be read (its Makefile).
    #[error("{}: not a kernel source tree", .0.display())]
    TreeVersion(PathBuf, #[source] kfit_kconfig::Error),
    /// An input file (a keep list) could not be read.
    #[error("reading {}", .0.display())]
    Read(PathBuf, #[source] std::io::Error),
    /// The tree could not be indexed (`kfit audit`).
    #[error("indexing {}", .0.display())]
    Indexing(PathBuf, #[source] kfit_kbuild::Error),
    /// The config to review does not exist.
    #[error("{}: no such config file", .0.display())]
    NoConfig(PathBuf),
    /// A tree `make` cannot run in (no top-level Makefile and Kconfig).
    #[error("{}: not a kernel source tree (no Makefile and Kconfig)", .0.display())]
    NotASourceTree(PathBuf),
    /// No base config, and no ix package to take one from.
    #[error("--base CONFIG is required (the config to start from), or --ix with --kernel")]
    NoBase,
    /// ix's toolchain (clang, ld.lld) is missing: the text says which.
    #[error("ix builds its kernels with clang and ld.lld (LLVM=1), and {0} not on PATH: the config's toolchain lines (CC_IS_CLANG, LD_IS_LLD, CLANG_VERSION and what depends on them) would describe another compiler. Install them (Debian: apt-get install clang lld), or pass --cc to choose the compiler the config describes")]
    IxToolchain(String),
    /// The ix checkout, package, source or write.
    #[error(transparent)]
    Ix(#[from] kfit_ix::IxError),
    /// The firmware stage (a firmware directory that cannot be read).
    #[error(transparent)]
    Firmware(#[from] kfit_firmware::FwError),
    /// Writing the fitted config.
    #[error(transparent)]
    Write(#[from] kfit_util::WriteError),
}

/// One machine: a name and its listings (empty = the live machine's /sys).
#[derive(Debug, Clone)]
pub struct MachineInput {
    /// Name used in reports.
    pub name: String,
    /// Listing files, merged into one machine.
    pub listings: Vec<PathBuf>,
}

/// Inputs of [`fit`]. Build with `..Default::default()`: fields get added.
#[derive(Debug, Clone, Default)]
pub struct FitOptions {
    /// Kernel source tree.
    pub tree: PathBuf,
    /// Base config.
    pub base: PathBuf,
    /// Machines (union: one kernel for all of them).
    pub machines: Vec<MachineInput>,
    /// Kconfig load options (compiler for the probes...).
    pub load: LoadOptions,
    /// Index cache directory.
    pub index_cache: PathBuf,
    /// Root for reading the live machine (`/`).
    pub sysfs_root: PathBuf,
    /// Requirement profiles to apply (`profiles/*.profile`: `ix`,
    /// `containers`, ...); `--ix` adds `ix`.
    pub profiles: Vec<String>,
    /// User requirements (`--require`, `--fragment`), after the profiles.
    pub requirements: Vec<requirements::Requirement>,
    /// Turn off every device driver of the base that no device of the
    /// machines needs (`--trim`; the ix flow sets it when the base is the
    /// package's stock config).
    pub trim: bool,
    /// Symbols trimming and the default-on cleanup never turn off
    /// (`--keep`, a keep-list file; without `CONFIG_`).
    pub keep: Vec<String>,
    /// Which loaded modules of the listings become goals.
    pub loaded_modules: LoadedModules,
    /// Go on with an incomplete index (some tree files could not be
    /// read): [`Fit::unreadable`] lists them. Without it that is an error.
    pub allow_partial: bool,
}

/// Which modules of an lsmod, `/proc/modules` or module list are wanted
/// built in ("loaded on the listed machine").
pub use kfit_resolve::LoadedModules;

/// Status of one device after the fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every symbol it needs was already `y` in the base.
    AlreadyOn,
    /// kfit turned on what was missing.
    Enabled,
    /// Some symbols cannot be turned on (see `blocked`).
    Blocked,
    /// The listing shows a driver this kernel does not have.
    NoDriverInKernel,
    /// Nothing binds it (host bridges and the like), also in the listing.
    NoDriverNeeded,
    /// The listing identifies it too little to tell its driver (no IDs,
    /// and no driver this kernel has).
    Unidentified,
}

/// One symbol a device needs and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct SymbolReport {
    /// Alternatives (usually one).
    pub any_of: Vec<String>,
    /// Why it is needed.
    pub why: String,
    /// Already on in the base, enabled by kfit, or blocked.
    pub status: SymbolStatus,
    /// The alternative that is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// Reasons when blocked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
}

/// What the fit did about one symbol a device needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolStatus {
    /// On in the base config.
    AlreadyOn,
    /// Turned on by the fit.
    Enabled,
    /// Cannot be turned on (the report says why).
    Blocked,
}

impl SymbolStatus {
    /// The name in reports and JSON (`already_on`, `enabled`, `blocked`).
    pub fn as_str(self) -> &'static str {
        match self {
            SymbolStatus::AlreadyOn => "already_on",
            SymbolStatus::Enabled => "enabled",
            SymbolStatus::Blocked => "blocked",
        }
    }
}

impl std::fmt::Display for SymbolStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One module of a device.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleReport {
    /// KBUILD_MODNAME.
    pub module: String,
    /// Object path.
    pub path: String,
    /// How it was found.
    pub how: How,
    /// Its symbols.
    pub symbols: Vec<SymbolReport>,
}

/// One device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    /// `pci 0000:03:00.0 [1002:1638]`.
    pub label: String,
    /// Bound driver in the listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Verdict.
    pub verdict: Verdict,
    /// Modules.
    pub modules: Vec<ModuleReport>,
    /// Notes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Drivers matching as well as the chosen one, not enabled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// Device-tree devices that need this one (`provider of clocks for
    /// /soc/i2c@1000`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<String>,
}

/// One module the listing shows loaded ("loaded on the listed machine").
#[derive(Debug, Clone, Serialize)]
pub struct LoadedReport {
    /// The name in the listing.
    pub listed: String,
    /// Found, its successor, not in this kernel, skipped.
    pub status: kfit_resolve::LoadedStatus,
    /// Verdict (`no_driver_needed` when skipped).
    pub verdict: Verdict,
    /// The module built in and its symbols.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<ModuleReport>,
}

/// One machine.
#[derive(Debug, Clone, Serialize)]
pub struct MachineReport {
    /// Name.
    pub name: String,
    /// Devices.
    pub devices: Vec<DeviceReport>,
    /// Loaded modules of the listings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loaded: Vec<LoadedReport>,
    /// What it runs on (mounts, filesystems, block devices, boot firmware),
    /// each fact with its evidence; absent when no listing says.
    #[serde(skip_serializing_if = "kfit_hw::System::is_empty")]
    pub system: kfit_hw::System,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Devices in all machines.
    pub devices: usize,
    /// Already driven by the base config.
    pub already_on: usize,
    /// Driven after the fit.
    pub enabled: usize,
    /// Not fully driven.
    pub blocked: usize,
    /// Listing names a driver this kernel lacks.
    pub no_driver_in_kernel: usize,
    /// Nothing to do.
    pub no_driver_needed: usize,
    /// Too little known to tell the driver.
    pub unidentified: usize,
    /// Loaded modules in the listings.
    pub loaded: usize,
    /// Of those, built in by the fit.
    pub loaded_enabled: usize,
    /// Of those, that cannot be built in.
    pub loaded_blocked: usize,
    /// Of those, that this kernel lacks.
    pub loaded_not_in_kernel: usize,
    /// Device drivers added beyond the devices' needs (still on).
    pub extra_drivers: usize,
    /// Device drivers switched on by defaults, turned off.
    pub turned_off: usize,
    /// Device drivers of the base trimmed.
    pub trimmed: usize,
    /// Symbols whose value changed against the base.
    pub symbols_changed: usize,
    /// Symbols set by kfit (user values).
    pub symbols_set: usize,
    /// Requirements (profiles, --require, fragments, the system's own).
    #[serde(skip_serializing_if = "is_zero")]
    pub requirements: usize,
    /// Requirements that cannot be met.
    #[serde(skip_serializing_if = "is_zero")]
    pub requirements_blocked: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Timings in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Reading the listings.
    pub hw_ms: u128,
    /// Loading (or building) the index.
    pub index_ms: u128,
    /// Parsing Kconfig and reading the base.
    pub kconfig_ms: u128,
    /// Resolve.
    pub resolve_ms: u128,
    /// Solve.
    pub solve_ms: u128,
    /// Firmware narrowing (set by the caller that runs [`firmware`]).
    pub firmware_ms: u128,
}

/// The result of [`fit`].
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// Kernel version of the tree.
    pub kernel: String,
    /// Per machine.
    pub machines: Vec<MachineReport>,
    /// What the system needs beyond its devices, each requirement once with
    /// its sources (see [`requirements`]); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<requirements::RequirementReport>,
    /// Summary.
    pub summary: Summary,
    /// `(symbol, before, after)` for every symbol whose value changed.
    pub changed: Vec<(String, String, String)>,
    /// Timings.
    pub timings: Timings,
    /// Warnings (listings, base config, index cache).
    pub warnings: Vec<String>,
    /// Tree files that could not be read (`--allow-partial`): the index,
    /// and so this fit, lacks what they hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// The new `.config` text.
    #[serde(skip)]
    pub config: String,
    /// The base config text as `conf` would rewrite it unchanged.
    #[serde(skip)]
    pub base_config: String,
    /// Solver outcome (for explain).
    #[serde(skip)]
    pub outcome: Outcome,
    /// Goals, as given to the solver.
    #[serde(skip)]
    pub goals: Vec<Goal>,
    /// The engine after the fit (for explain).
    #[serde(skip)]
    pub kconfig: Option<Box<Kconfig>>,
    /// Firmware inputs per device: (machine, device label, module, vendor, device).
    #[serde(skip)]
    pub firmware_inputs: Vec<FirmwareInput>,
    /// The kernel index [`fit_with`] loaded (`None` when the caller gave one).
    #[serde(skip)]
    pub index: Option<KernelIndex>,
    /// Device drivers beyond the devices' needs: still on, turned off, trimmed.
    pub precision: PrecisionReport,
}

/// A device driver the fitted config builds in although no device (nor
/// loaded module) of the machines needs it.
#[derive(Debug, Clone, Serialize)]
pub struct ExtraDriver {
    /// KBUILD_MODNAME.
    pub module: String,
    /// Object path.
    pub path: String,
    /// Why it stays on.
    pub reason: String,
}

/// A device driver kfit turned off, and the symbols it set to `n`.
#[derive(Debug, Clone, Serialize)]
pub struct OffDriver {
    /// KBUILD_MODNAME.
    pub module: String,
    /// Object path.
    pub path: String,
    /// Symbols set to `n` for it.
    pub symbols: Vec<String>,
}

/// What a fit builds in beyond what the devices need, and what it turned
/// off. "Device driver" is a module with a device ID table on a bus the
/// machine's listings cover (PCI and USB always: see [`precision_pass`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PrecisionReport {
    /// Drivers the fit added that no device needs, still on, with why
    /// (selected by something a device needs, on by default without a prompt).
    pub extra: Vec<ExtraDriver>,
    /// Drivers Kconfig switched on as a side effect of a goal (family
    /// defaults) that no device needs, turned off.
    pub turned_off: Vec<OffDriver>,
    /// With trimming: drivers of the base no device needs, turned off.
    pub trimmed: Vec<OffDriver>,
    /// Trimmed drivers per subsystem (the first three levels of the path).
    pub trimmed_by_subsystem: BTreeMap<String, usize>,
    /// With trimming: drivers of the base no device needs that stay on, with why.
    pub untrimmed: Vec<ExtraDriver>,
    /// Device drivers (modules with a device ID table) the fitted config
    /// builds in, all buses (the benchmark's count).
    pub device_drivers_built_in: usize,
}

/// What the firmware stage needs about one device's module.
#[derive(Debug, Clone)]
pub struct FirmwareInput {
    /// Device label.
    pub device: String,
    /// Module name.
    pub module: String,
    /// MODULE_FIRMWARE names of the module.
    pub firmware: Vec<String>,
    /// Bus name.
    pub bus: String,
    /// Ids.
    pub vendor: Option<u32>,
    /// Ids.
    pub device_id: Option<u32>,
    /// Ids.
    pub subvendor: Option<u32>,
    /// Ids.
    pub subdevice: Option<u32>,
    /// Ids.
    pub class: Option<u32>,
    /// Ids.
    pub revision: Option<u32>,
}

/// The display controllers (PCI class 03) of the machines, with the
/// symbols their drivers need.
fn display_controllers(resolutions: &[(String, Machine, Resolution)]) -> Vec<system::Display> {
    let several = resolutions.len() > 1;
    let mut out = Vec::new();
    for (name, m, r) in resolutions {
        for d in &r.devices {
            let Some(dev) = m.devices.get(d.index) else {
                continue;
            };
            if dev.bus != kfit_hw::Bus::Pci || dev.class != Some(3) {
                continue;
            }
            let mut symbols: Vec<String> = Vec::new();
            for q in d.modules.iter().flat_map(|n| &n.requires) {
                for s in &q.any_of {
                    if !symbols.contains(s) {
                        symbols.push(s.clone());
                    }
                }
            }
            let driver = d
                .driver
                .as_deref()
                .map(|x| format!(", driver {x}"))
                .unwrap_or_default();
            out.push(system::Display {
                evidence: format!(
                    "{}{} class {:02x}{:02x}{driver}",
                    if several {
                        format!("{name}: ")
                    } else {
                        String::new()
                    },
                    d.label,
                    dev.class.unwrap_or(0),
                    dev.subclass.unwrap_or(0),
                ),
                symbols,
            });
        }
    }
    out
}

/// Read one machine's listings (or the live /sys).
pub fn read_machine(m: &MachineInput, sysfs_root: &Path) -> Result<(Machine, Vec<String>), Error> {
    if m.listings.is_empty() {
        return Ok((kfit_hw::read_live(sysfs_root)?, Vec::new()));
    }
    let (machine, warnings) = kfit_hw::read_listings(&m.listings)?;
    // An lsmod alone is a listing: its modules are wishes.
    if machine.devices.is_empty() && machine.loaded_modules.is_empty() {
        return Err(Error::EmptyListing(m.name.clone()));
    }
    Ok((machine, warnings.iter().map(|w| w.to_string()).collect()))
}

/// Load the engine and read the base config.
pub fn load_kconfig(tree: &Path, base: &Path, load: &LoadOptions) -> Result<(Kconfig, Vec<String>), Error> {
    load_base(tree, base, load).map(|(kc, w, _)| (kc, w))
}

/// [`load_kconfig`], also giving the base config's text (read once).
fn load_base(tree: &Path, base: &Path, load: &LoadOptions) -> Result<(Kconfig, Vec<String>, String), Error> {
    let bytes = std::fs::read(base).map_err(|e| Error::Io(base.display().to_string(), e))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (kc, w) = Kconfig::load_with_config_text(tree, load, &text, &base.display().to_string())?;
    check_config_arch(tree, &load.arch, &kc, &text, &base.display().to_string())?;
    Ok((kc, w.iter().map(|w| w.to_string()).collect(), text))
}

/// [`Error::ForeignArch`] when `config_text` (the file `name`, read into
/// `kc`, the tree's Kconfig for `arch`) sets a marker symbol of another
/// architecture ([`kfit_kconfig::foreign_arch_symbol`]): fitting or
/// migrating it for `arch` would drop every symbol of its own.
pub fn check_config_arch(
    tree: &Path,
    arch: &kfit_kconfig::Arch,
    kc: &Kconfig,
    config_text: &str,
    name: &str,
) -> Result<(), Error> {
    let tree_arch = arch.srcarch();
    match kfit_kconfig::foreign_arch_symbol(tree, tree_arch, config_text, |s| {
        kc.lookup(s)
            .is_some_and(|id| kc.symbol(id).ty != kfit_kconfig::SymbolType::Unknown)
    }) {
        Some(f) => Err(Error::ForeignArch {
            config: name.to_string(),
            line: f.line,
            symbol: f.symbol,
            arch: f.arch,
            tree_arch: tree_arch.to_string(),
        }),
        None => Ok(()),
    }
}

/// The whole pipeline. `index` may be given when the caller already has it.
pub fn fit(opts: &FitOptions, index: Option<&KernelIndex>) -> Result<Fit, Error> {
    fit_with(opts, index, None)
}

/// [`fit`] with a progress callback for the case where the index has to be
/// built (minutes instead of milliseconds). The index is loaded on a second
/// thread while the Kconfig model loads.
pub fn fit_with(
    opts: &FitOptions,
    index: Option<&KernelIndex>,
    progress: Option<kfit_kbuild::ProgressFn>,
) -> Result<Fit, Error> {
    fit_inner(opts, index, progress, true)
}

/// [`fit_with`]; with `speculate`, a cached index is used while its inputs
/// are still being checked (the stat of ~50k files overlaps the whole
/// pipeline), and the fit is done again with an index checked first (and
/// rebuilt where it changed) when the check fails: nothing derived from an
/// unchecked index is returned.
fn fit_inner(
    opts: &FitOptions,
    index: Option<&KernelIndex>,
    progress: Option<kfit_kbuild::ProgressFn>,
    speculate: bool,
) -> Result<Fit, Error> {
    let mut timings = Timings::default();
    let mut warnings = Vec::new();
    let t = Instant::now();
    let mut machines = Vec::new();
    for m in &opts.machines {
        let (machine, w) = read_machine(m, &opts.sysfs_root)?;
        warnings.extend(w);
        machines.push((m.name.clone(), machine));
    }
    timings.hw_ms = t.elapsed().as_millis();

    // The index and the Kconfig model are independent: load them side by
    // side (each is tens of milliseconds when cached).
    let (index_result, kconfig_result) = std::thread::scope(|s| {
        let idx_job = s.spawn(|| {
            let t = Instant::now();
            let r = index.is_none().then(|| {
                let spec = speculate
                    .then(|| KernelIndex::load_speculative(&opts.tree, &opts.load.arch, &opts.index_cache))
                    .flatten();
                match spec {
                    Some((idx, pending)) => (Ok(idx), Some(pending)),
                    None => (
                        KernelIndex::load_or_build_with(
                            &opts.tree,
                            &opts.load.arch,
                            &opts.index_cache,
                            progress,
                        ),
                        None,
                    ),
                }
            });
            (r, t.elapsed().as_millis())
        });
        let t = Instant::now();
        let kc = load_base(&opts.tree, &opts.base, &opts.load);
        let kconfig_ms = t.elapsed().as_millis();
        let idx = idx_job.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (idx, (kc, kconfig_ms))
    });
    let (loaded, index_ms) = index_result;
    timings.index_ms = index_ms;
    let (loaded, pending) = match loaded {
        Some((r, p)) => (Some(r), p),
        None => (None, None),
    };
    let mut owned: Option<KernelIndex> = loaded
        .map(|r| kfit_kbuild::allow_partial(r, opts.allow_partial))
        .transpose()?;
    let Some(idx) = index.or(owned.as_ref()) else {
        // Unreachable: the job loads an index exactly when none was given.
        return Err(Error::Io(
            opts.tree.display().to_string(),
            std::io::ErrorKind::NotFound.into(),
        ));
    };

    warnings.extend(idx.notes.iter().cloned());
    let unreadable: Vec<String> = idx.unreadable.iter().map(|(f, e)| format!("{f}: {e}")).collect();

    let (kc_loaded, kconfig_ms) = kconfig_result;
    let (mut kc, w, base_text) = kc_loaded?;
    warnings.extend(w.into_iter().map(|w| format!("base config: {w}")));
    let base_config = kc.write_config();
    timings.kconfig_ms = kconfig_ms;

    let t = Instant::now();
    let ropts = kfit_resolve::Options {
        built_in: built_in_modules(idx, &kc),
        loaded: opts.loaded_modules,
        ..Default::default()
    };
    let resolutions: Vec<(String, Machine, Resolution)> = machines
        .into_iter()
        .map(|(n, m)| {
            let r = kfit_resolve::resolve(&m, idx, &opts.tree, &ropts);
            (n, m, r)
        })
        .collect();
    // One goal per distinct requirement (same alternatives), reasons merged.
    let mut goals: Vec<Goal> = Vec::new();
    let mut goal_of: HashMap<Vec<String>, usize> = HashMap::new();
    device_goals(&resolutions, &mut goals, &mut goal_of);
    loaded_goals(&resolutions, &mut goals, &mut goal_of);
    // What the system needs beyond its devices, solved together with them.
    let systems: Vec<(&str, &kfit_hw::System)> = resolutions
        .iter()
        .map(|(n, m, _)| (n.as_str(), &m.system))
        .collect();
    let displays = display_controllers(&resolutions);
    let (system_reqs, notes) = system::requirements(&systems, &displays, &kc, idx);
    warnings.extend(notes.into_iter().map(|n| format!("system: {n}")));
    let (reqs, w) = requirements::collect(opts, system_reqs)?;
    warnings.extend(w);
    let req_plan = requirements::Plan::new(&reqs, &mut goals);
    timings.resolve_ms = t.elapsed().as_millis();

    let t = Instant::now();
    let (any_of, devices) = device_choices(&resolutions, &goal_of);
    let mut outcome = kfit_solve::solve_any_of(&mut kc, &base_text, &mut goals, &req_plan.values, &any_of);
    // Which fallback each device came to; its goals are read like the others.
    let mut fallback_of: HashMap<(usize, usize), usize> = HashMap::new();
    for (&dev, f) in devices.iter().zip(&outcome.fell_back) {
        if let Some(f) = f {
            fallback_of.insert(dev, f.candidate);
            for &g in &f.goals {
                goal_of.entry(goals[g].any_of.clone()).or_insert(g);
            }
        }
    }
    // What the fitted config builds in that no device needs (run again
    // when another way replaces the first solution).
    let precision_of =
        |kc: &mut Kconfig| precision_pass(kc, idx, opts, &resolutions, &fallback_of, &goals, &ropts.built_in);
    let mut precision = precision_of(&mut kc);
    // A driver the solver switched on only because it selects what a goal
    // needs is a driver for hardware the machine lacks (snd-emu10k1, which
    // selects SND_HWDEP, for a loaded snd_hwdep, when SND_HDA_HWDEP selects
    // it too: sound/pci/Kconfig:70, sound/pci/hda/Kconfig:49). Solve once
    // more with every driver no device needs kept off (those off in the
    // base), so that another way is taken; the new solution replaces the
    // first only if it meets every goal the first met.
    let strays = stray_selectors(idx, &outcome, &needed_modules(&resolutions, &fallback_of));
    if needs_another_way(idx, &precision, &outcome) || !strays.is_empty() {
        let first = kc.write_config();
        kc.read_config_str(&base_text, "base config");
        let mut values = req_plan.values.clone();
        values.extend(
            unneeded_drivers(idx, &resolutions, &fallback_of)
                .into_iter()
                .filter(|m| !ropts.built_in.contains(&m.name))
                .flat_map(|m| m.own_symbols())
                .chain(&strays)
                .filter(|s| kc.lookup(s).is_some_and(|id| kc.tristate(id) == Tristate::No))
                .collect::<BTreeSet<&String>>()
                .into_iter()
                .map(|s| kfit_solve::ValueGoal {
                    symbol: s.clone(),
                    want: kfit_solve::Want::Off,
                    reason: "a driver no device needs".into(),
                }),
        );
        let retry = kfit_solve::solve_with_values(&mut kc, &base_text, &goals, &values);
        let met = |st: &GoalStatus| !matches!(st, GoalStatus::Blocked(_));
        let keeps_all = outcome
            .goals
            .iter()
            .zip(&retry.goals)
            .chain(outcome.values.iter().zip(&retry.values))
            .all(|(a, b)| !met(a) || met(b));
        if keeps_all {
            let mut retry = retry;
            retry.values.truncate(req_plan.values.len());
            retry.fell_back = std::mem::take(&mut outcome.fell_back);
            outcome = retry;
            precision = precision_of(&mut kc);
        } else {
            kc.read_config_str(&first, "fitted config");
        }
    }
    precision.device_drivers_built_in = idx
        .modules
        .iter()
        .filter(|m| kfit_resolve::is_device_driver(m) && builds_in(&kc, m))
        .count();
    timings.solve_ms = t.elapsed().as_millis();
    let config = kc.write_config();
    let changed = kfit_solve::config_diff(&base_config, &config);
    let requirements = req_plan.report(&reqs, &outcome, &kc, &changed);

    // Reports.
    let mut summary = Summary::default();
    let mut reports = Vec::new();
    let mut firmware_inputs = Vec::new();
    for (mi, (name, machine, r)) in resolutions.iter().enumerate() {
        let mut devices = Vec::new();
        for (di, d) in r.devices.iter().enumerate() {
            let fallback = fallback_of.get(&(mi, di)).map(|&k| &d.fallbacks[k]);
            let report = device_report(
                idx,
                &machine.devices[d.index],
                d,
                fallback,
                &outcome,
                &goal_of,
                &mut firmware_inputs,
            );
            let verdict = report.verdict.clone();
            summary.devices += 1;
            match verdict {
                Verdict::AlreadyOn => summary.already_on += 1,
                Verdict::Enabled => summary.enabled += 1,
                Verdict::Blocked => summary.blocked += 1,
                Verdict::NoDriverInKernel => summary.no_driver_in_kernel += 1,
                Verdict::NoDriverNeeded => summary.no_driver_needed += 1,
                Verdict::Unidentified => summary.unidentified += 1,
            }
            devices.push(report);
        }
        let mut loaded = Vec::new();
        for l in &r.loaded {
            let (verdict, module) = match &l.need {
                Some(m) => {
                    let (symbols, enabled, blocked) = symbol_reports(m, &outcome, &goal_of);
                    let verdict = if blocked {
                        Verdict::Blocked
                    } else if enabled {
                        Verdict::Enabled
                    } else {
                        Verdict::AlreadyOn
                    };
                    let report = ModuleReport {
                        module: m.module.clone(),
                        path: m.path.clone(),
                        how: m.how.clone(),
                        symbols,
                    };
                    (verdict, Some(report))
                }
                None if l.status == kfit_resolve::LoadedStatus::NotInKernel => {
                    (Verdict::NoDriverInKernel, None)
                }
                None => (Verdict::NoDriverNeeded, None),
            };
            summary.loaded += 1;
            match verdict {
                Verdict::Enabled => summary.loaded_enabled += 1,
                Verdict::Blocked => summary.loaded_blocked += 1,
                Verdict::NoDriverInKernel => summary.loaded_not_in_kernel += 1,
                _ => {}
            }
            loaded.push(LoadedReport {
                listed: l.listed.clone(),
                status: l.status.clone(),
                verdict,
                module,
            });
        }
        reports.push(MachineReport {
            name: name.clone(),
            devices,
            loaded,
            system: machine.system.clone(),
        });
    }
    summary.extra_drivers = precision.extra.len();
    summary.turned_off = precision.turned_off.len();
    summary.trimmed = precision.trimmed.len();
    summary.symbols_changed = changed.len();
    summary.requirements = requirements.len();
    summary.requirements_blocked = requirements
        .iter()
        .filter(|r| r.status == requirements::ReqStatus::Blocked)
        .count();
    summary.symbols_set = outcome
        .planned
        .iter()
        .filter(|p| p.via == kfit_solve::Via::User)
        .count();
    let kernel = idx.version.clone();
    if let Some(p) = pending {
        match p.wait() {
            Some(inputs) => {
                if let Some(i) = owned.as_mut() {
                    i.inputs = inputs;
                }
            }
            // The tree changed since the index was cached: again, with the
            // index checked (and rebuilt where it changed) first.
            None => return fit_inner(opts, index, progress, false),
        }
    }
    Ok(Fit {
        kernel,
        machines: reports,
        requirements,
        summary,
        changed,
        timings,
        warnings,
        unreadable,
        config,
        base_config,
        outcome,
        goals,
        kconfig: Some(Box::new(kc)),
        firmware_inputs,
        index: owned,
        precision,
    })
}

/// What an unbound device can be driven by: any one of its own (most
/// specific) matches, which are goals already, else one of the less
/// specific matches the kernel would bind as well (`fallbacks`, most
/// specific first), for the solver to fall back to in that order
/// ([`kfit_solve::solve_any_of`]). With the machine and device index of each.
fn device_choices(
    resolutions: &[(String, Machine, Resolution)],
    goal_of: &HashMap<Vec<String>, usize>,
) -> (Vec<kfit_solve::AnyOf>, Vec<(usize, usize)>) {
    let mut out = (Vec::new(), Vec::new());
    for (mi, (_, _, r)) in resolutions.iter().enumerate() {
        for (di, d) in r.devices.iter().enumerate() {
            let first: Vec<Vec<usize>> = d
                .modules
                .iter()
                .filter(|m| matches!(m.how, How::Alias { .. }))
                .map(|m| m.requires.iter().map(|q| goal_of[&q.any_of]).collect())
                .collect();
            if d.fallbacks.is_empty() || first.is_empty() {
                continue;
            }
            let then = d
                .fallbacks
                .iter()
                .map(|f| {
                    f.requires
                        .iter()
                        .map(|q| Goal {
                            any_of: q.any_of.clone(),
                            reason: format!("{} ({})", f.module, q.why),
                        })
                        .collect()
                })
                .collect();
            out.0.push(kfit_solve::AnyOf { first, then });
            out.1.push((mi, di));
        }
    }
    out
}

/// One device's report: its modules (with the fallback in use) and their
/// symbols, the firmware inputs of its modules, and its verdict. An unbound
/// device that several drivers match equally needs only one of them.
fn device_report(
    idx: &KernelIndex,
    dev: &kfit_hw::Device,
    d: &kfit_resolve::DeviceResolution,
    fallback: Option<&kfit_resolve::ModuleNeed>,
    outcome: &Outcome,
    goal_of: &HashMap<Vec<String>, usize>,
    firmware_inputs: &mut Vec<FirmwareInput>,
) -> DeviceReport {
    let device_modules: Vec<&kfit_resolve::ModuleNeed> = d.modules.iter().chain(fallback).collect();
    let mut notes = d.notes.clone();
    if let Some(f) = fallback {
        notes.push(format!(
            "the most specific match cannot be enabled; {} matches too (less specifically) and drives it",
            f.module
        ));
    }
    let mut modules = Vec::new();
    let mut any_enabled = false;
    let mut any_blocked = false;
    // An unbound device that several drivers match equally: the
    // kernel binds whichever probes first, so one of them suffices
    // (e.g. ACPI's button and tiny-power-button, which exclude
    // each other). Companions and bound drivers are all needed.
    let alternatives = !dev.is_bound()
        && device_modules
            .iter()
            .filter(|m| matches!(m.how, kfit_resolve::How::Alias { .. }))
            .count()
            > 1;
    let mut alt_ok = false;
    let mut alt_blocked = false;
    for m in device_modules {
        let is_alt = alternatives && matches!(m.how, kfit_resolve::How::Alias { .. });
        let (symbols, m_enabled, m_blocked) = symbol_reports(m, outcome, goal_of);
        if let Some(module) = idx.module_by_path(&m.path) {
            if !module.firmware.is_empty() {
                firmware_inputs.push(FirmwareInput {
                    device: d.label.clone(),
                    module: module.name.clone(),
                    firmware: module.firmware.clone(),
                    bus: dev.bus.as_str().to_string(),
                    vendor: dev.vendor,
                    device_id: dev.device,
                    subvendor: dev.subvendor,
                    subdevice: dev.subdevice,
                    class: dev
                        .class
                        .map(|c| (c << 16) | (dev.subclass.unwrap_or(0) << 8) | dev.prog_if.unwrap_or(0)),
                    revision: dev.revision,
                });
            }
        }
        any_enabled |= m_enabled;
        if is_alt {
            // One alternative blocked does not block the device.
            alt_ok |= !m_blocked;
            alt_blocked |= m_blocked;
        } else {
            any_blocked |= m_blocked;
        }
        modules.push(ModuleReport {
            module: m.module.clone(),
            path: m.path.clone(),
            how: m.how.clone(),
            symbols,
        });
    }
    if alt_blocked && !alt_ok {
        any_blocked = true;
    }
    let verdict = match d.status {
        DeviceStatus::NoDriverNeeded => Verdict::NoDriverNeeded,
        DeviceStatus::DriverNotInKernel => Verdict::NoDriverInKernel,
        DeviceStatus::NoIdentity => Verdict::Unidentified,
        DeviceStatus::Resolved if any_blocked => Verdict::Blocked,
        DeviceStatus::Resolved if any_enabled => Verdict::Enabled,
        DeviceStatus::Resolved => Verdict::AlreadyOn,
    };
    DeviceReport {
        label: d.label.clone(),
        driver: d.driver.clone(),
        verdict,
        modules,
        notes,
        alternatives: d.alternatives.clone(),
        provides: d.provides.clone(),
    }
}

/// The device drivers no device needs, turned off where a user could: those
/// Kconfig switched on as a side effect of a goal (the SOF platforms have
/// `default SND_SOC_SOF_PCI`), and with [`FitOptions::trim`] every one of
/// the base. A "device driver" is a module with a device ID table
/// ([`kfit_resolve::is_device_driver`]) for PCI or USB (a PCI chip's
/// driver that also matches it on a platform bus is still its driver), or
/// all of whose tables are on buses the listings show (without an ACPI or
/// platform listing, nothing says the machine lacks a platform device; an
/// lsmod module on a bus shows that bus's drivers are modules there). Needed are the modules of every device (companions
/// and the fallback used included), of every loaded module wanted, and
/// `keep` (symbols, module names, or tree paths like LMC_KEEP's).
fn precision_pass(
    kc: &mut Kconfig,
    idx: &KernelIndex,
    opts: &FitOptions,
    resolutions: &[(String, Machine, Resolution)],
    fallback_of: &HashMap<(usize, usize), usize>,
    goals: &[Goal],
    base_built_in: &BTreeSet<String>,
) -> PrecisionReport {
    let keep_paths: Vec<&String> = opts.keep.iter().filter(|k| k.contains('/')).collect();
    let keep_syms: Vec<&String> = opts.keep.iter().filter(|k| !k.contains('/')).collect();
    let kept = |m: &kfit_kbuild::Module| {
        keep_syms.iter().any(|k| {
            k.trim_start_matches("CONFIG_") == m.name
                || m.own_symbols().any(|s| s == k.trim_start_matches("CONFIG_"))
        }) || keep_paths
            .iter()
            .any(|p| m.path.starts_with(p.trim_end_matches('/')))
    };
    let candidates: Vec<&kfit_kbuild::Module> = unneeded_drivers(idx, resolutions, fallback_of)
        .into_iter()
        .filter(|m| (opts.trim || !base_built_in.contains(&m.name)) && builds_in(kc, m))
        .collect();
    let mut report = PrecisionReport::default();
    let extra = |m: &kfit_kbuild::Module, reason: String| ExtraDriver {
        module: m.name.clone(),
        path: m.path.clone(),
        reason,
    };
    let mut targets = Vec::new();
    for m in &candidates {
        if kept(m) {
            let e = extra(m, "kept (--keep)".into());
            if base_built_in.contains(&m.name) {
                report.untrimmed.push(e);
            } else {
                report.extra.push(e);
            }
            continue;
        }
        targets.push(kfit_solve::OffTarget {
            label: m.path.clone(),
            groups: m.symbols[..m.own].to_vec(),
        });
    }
    if targets.is_empty() {
        return report;
    }
    let keep: Vec<String> = keep_syms.iter().map(|s| s.to_string()).collect();
    let out = kfit_solve::turn_off(kc, goals, &targets, &keep);
    for o in out.off {
        let Some(m) = idx.module_by_path(&o.label) else {
            continue;
        };
        let d = OffDriver {
            module: m.name.clone(),
            path: m.path.clone(),
            symbols: o.symbols,
        };
        if base_built_in.contains(&m.name) {
            *report.trimmed_by_subsystem.entry(subsystem(&m.path)).or_default() += 1;
            report.trimmed.push(d);
        } else {
            report.turned_off.push(d);
        }
    }
    for l in out.left_on {
        let Some(m) = idx.module_by_path(&l.label) else {
            continue;
        };
        if base_built_in.contains(&m.name) {
            report.untrimmed.push(extra(m, l.reason));
        } else {
            report.extra.push(extra(m, l.reason));
        }
    }
    report
}

/// The device drivers (modules with a device ID table) of the index that
/// no device of the machines needs, nor a loaded module wanted: those for
/// PCI or USB, and those all of whose tables are on buses the listings
/// show (see [`precision_pass`]).
/// The modules the machines' devices (or their fallbacks) and loaded
/// modules need.
fn needed_modules<'a>(
    resolutions: &'a [(String, Machine, Resolution)],
    fallback_of: &HashMap<(usize, usize), usize>,
) -> BTreeSet<&'a str> {
    let mut needed: BTreeSet<&str> = BTreeSet::new();
    for (mi, (_, _, r)) in resolutions.iter().enumerate() {
        for (di, d) in r.devices.iter().enumerate() {
            needed.extend(d.modules.iter().map(|m| m.module.as_str()));
            if let Some(&k) = fallback_of.get(&(mi, di)) {
                needed.insert(d.fallbacks[k].module.as_str());
            }
        }
        needed.extend(
            r.loaded
                .iter()
                .filter_map(|l| l.need.as_ref())
                .map(|m| m.module.as_str()),
        );
    }
    needed
}

/// Symbols the solver switched on only to select what a goal needs
/// (`is selected by`) that build a module nothing needs: a loaded
/// prompt-less helper reached through an unrelated module (CDROM, selected
/// by CDROM_PKTCDVD and by BLK_DEV_SR: drivers/block/Kconfig:263,
/// drivers/scsi/Kconfig:119, for a loaded cdrom when sr_mod, loaded too,
/// selects it; DRM_GEM_SHMEM_HELPER through DRM_VGEM, drivers/gpu/drm/Kconfig:384,
/// rather than the loaded virtio_gpu's DRM_VIRTIO_GPU,
/// drivers/gpu/drm/virtio/Kconfig:7). Device drivers are
/// [`needs_another_way`]'s; these are the modules without an ID table.
fn stray_selectors(idx: &KernelIndex, outcome: &Outcome, needed: &BTreeSet<&str>) -> Vec<String> {
    let selectors: BTreeSet<&str> = outcome
        .planned
        .iter()
        .filter(|p| p.via == kfit_solve::Via::User && p.value == Tristate::Yes)
        .filter(|p| matches!(&p.why, kfit_solve::Why::Needed { how, .. } if *how == "is selected by"))
        .map(|p| p.symbol.as_str())
        .collect();
    if selectors.is_empty() {
        return Vec::new();
    }
    let mut out: BTreeSet<String> = BTreeSet::new();
    for m in &idx.modules {
        if needed.contains(m.name.as_str()) {
            continue;
        }
        out.extend(
            m.own_symbols()
                .filter(|s| selectors.contains(s.as_str()))
                .cloned(),
        );
    }
    // A symbol that also builds a needed module stays.
    for m in idx.modules.iter().filter(|m| needed.contains(m.name.as_str())) {
        for s in m.own_symbols() {
            out.remove(s);
        }
    }
    out.into_iter().collect()
}

fn unneeded_drivers<'a>(
    idx: &'a KernelIndex,
    resolutions: &[(String, Machine, Resolution)],
    fallback_of: &HashMap<(usize, usize), usize>,
) -> Vec<&'a kfit_kbuild::Module> {
    let needed = needed_modules(resolutions, fallback_of);
    let mut buses: BTreeSet<String> = ["pci", "usb"].iter().map(|s| s.to_string()).collect();
    for (_, machine, r) in resolutions {
        buses.extend(machine.devices.iter().map(|d| d.bus.as_str().to_string()));
        // An lsmod shows the drivers the machine loaded: a bus one of them
        // drives is a bus whose drivers are modules there (what
        // localmodconfig relies on), so its other drivers are not needed.
        for l in r.loaded.iter().filter_map(|l| l.need.as_ref()) {
            if let Some(m) = idx.module_by_path(&l.path) {
                buses.extend(kfit_resolve::device_buses(m).map(|b| b.as_str().to_string()));
            }
        }
    }
    idx.modules
        .iter()
        .filter(|m| {
            !needed.contains(m.name.as_str())
                && kfit_resolve::is_device_driver(m)
                && (kfit_resolve::device_buses(m).any(|b| matches!(b, Bus::Pci | Bus::Usb))
                    || kfit_resolve::device_buses(m).all(|b| buses.contains(b.as_str())))
        })
        .collect()
}

/// Whether a driver of `precision.extra` is on through a user value the
/// solver set (its prompt, turned on so that it selects what a goal needs):
/// another selector may do without it. Drivers kept with `--keep`, selected
/// ones and those on by their own default cannot be avoided this way.
fn needs_another_way(idx: &KernelIndex, precision: &PrecisionReport, outcome: &Outcome) -> bool {
    let user_on: BTreeSet<&str> = outcome
        .planned
        .iter()
        .filter(|p| p.via == kfit_solve::Via::User && p.value == Tristate::Yes)
        .map(|p| p.symbol.as_str())
        .collect();
    precision.extra.iter().any(|e| {
        idx.module_by_path(&e.path)
            .is_some_and(|m| m.own_symbols().any(|s| user_on.contains(s.as_str())))
    })
}

/// The subsystem a trimmed driver is counted under: the first three levels
/// of its directory (`drivers/net/wireless`, `sound/soc/intel`).
fn subsystem(path: &str) -> String {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or(path);
    dir.split('/').take(3).collect::<Vec<_>>().join("/")
}

/// The report of each requirement of `m`, and whether any was enabled or
/// is blocked.
fn symbol_reports(
    m: &kfit_resolve::ModuleNeed,
    outcome: &Outcome,
    goal_of: &HashMap<Vec<String>, usize>,
) -> (Vec<SymbolReport>, bool, bool) {
    let (mut enabled, mut blocked) = (false, false);
    let mut symbols = Vec::new();
    for req in &m.requires {
        let (status, on, why_blocked) = match goal_of.get(&req.any_of).map(|&gi| &outcome.goals[gi]) {
            Some(GoalStatus::AlreadyOn(s)) => (SymbolStatus::AlreadyOn, Some(s.clone()), Vec::new()),
            Some(GoalStatus::Enabled(s)) => {
                enabled = true;
                (SymbolStatus::Enabled, Some(s.clone()), Vec::new())
            }
            Some(GoalStatus::Blocked(b)) => {
                blocked = true;
                (
                    SymbolStatus::Blocked,
                    None,
                    b.iter().map(|b| b.to_string()).collect(),
                )
            }
            None => (SymbolStatus::Blocked, None, Vec::new()),
        };
        symbols.push(SymbolReport {
            any_of: req.any_of.clone(),
            why: req.why.clone(),
            status,
            on,
            blocked: why_blocked,
        });
    }
    (symbols, enabled, blocked)
}

/// The goals of the devices' modules: one per distinct requirement.
fn device_goals(
    resolutions: &[(String, Machine, Resolution)],
    goals: &mut Vec<Goal>,
    goal_of: &mut HashMap<Vec<String>, usize>,
) {
    for (_, _, r) in resolutions {
        for d in &r.devices {
            // A device-tree supplier: also say whom it provides for.
            let provides = match d.provides.as_slice() {
                [] => String::new(),
                [one] => format!("; {one}"),
                [first, rest @ ..] => format!("; {first} and {} more", rest.len()),
            };
            for m in &d.modules {
                for req in &m.requires {
                    add_goal(goals, goal_of, &req.any_of, || {
                        format!("{} ({}{provides})", m.module, req.why)
                    });
                }
            }
        }
    }
}

/// The goals of the modules the listings show loaded ("loaded on the
/// listed machine"), after the devices' own.
fn loaded_goals(
    resolutions: &[(String, Machine, Resolution)],
    goals: &mut Vec<Goal>,
    goal_of: &mut HashMap<Vec<String>, usize>,
) {
    for (_, _, r) in resolutions {
        for (m, req) in r.loaded_requirements() {
            add_goal(goals, goal_of, &req.any_of, || {
                format!("{} loaded on the listed machine ({})", m.module, req.why)
            });
        }
    }
}

/// Add a goal for `any_of` unless one exists; its index.
fn add_goal(
    goals: &mut Vec<Goal>,
    goal_of: &mut HashMap<Vec<String>, usize>,
    any_of: &[String],
    reason: impl FnOnce() -> String,
) -> usize {
    *goal_of.entry(any_of.to_vec()).or_insert_with(|| {
        goals.push(Goal {
            any_of: any_of.to_vec(),
            reason: reason(),
        });
        goals.len() - 1
    })
}

/// Whether `kc`'s current values build module `m` in: every group of its
/// Kbuild condition has a symbol at `y`.
pub fn builds_in(kc: &Kconfig, m: &kfit_kbuild::Module) -> bool {
    m.symbols.iter().all(|g| {
        g.iter()
            .any(|s| kc.lookup(s).is_some_and(|id| kc.tristate(id) == Tristate::Yes))
    })
}

/// Names of the modules `kc`'s current values build in.
fn built_in_modules(idx: &KernelIndex, kc: &Kconfig) -> BTreeSet<String> {
    idx.modules
        .iter()
        .filter(|m| builds_in(kc, m))
        .map(|m| m.name.clone())
        .collect()
}

/// Why a symbol has its value after a fit ([`explain`]).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The symbol, without `CONFIG_`.
    pub symbol: String,
    /// Its value after the fit (`y`, `n`, a string...).
    pub value: String,
    /// Its value in the base config when the fit changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_value: Option<String>,
    /// From each device that needs it, directly or through the solver.
    pub chains: Vec<Chain>,
    /// Symbols that are on and `select` it (`NAME [=y]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selected_by: Vec<String>,
    /// Its `depends on`, with the values of the symbols in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
}

/// One reason, from a device to the symbol.
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    /// Machine name (absent when the reason is a goal no device names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// Device label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The module the device needs and why (`iwlwifi (Kbuild ...)`).
    pub module: String,
    /// Symbols from the one the device needs to the explained one; each
    /// after the first says how the previous one needs it.
    pub steps: Vec<Step>,
}

/// One symbol of a [`Chain`].
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Symbol, without `CONFIG_`.
    pub symbol: String,
    /// Its value.
    pub value: String,
    /// How the previous step needs it; [`StepHow::Wanted`] for the first.
    pub how: StepHow,
}

/// How one step of a [`Chain`] needs the next. Shown, and written in JSON,
/// as `wanted`, the relation (`depends on`, `select`...), or `turned off:
/// BY depends on !SYMBOL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepHow {
    /// The symbol a device (or requirement) wants.
    Wanted,
    /// Needed by the previous step through this relation.
    Needed(&'static str),
    /// Turned off because `by` depends on its being off.
    TurnedOff {
        /// The symbol that needs it off.
        by: String,
        /// The symbol turned off.
        symbol: String,
    },
}

impl std::fmt::Display for StepHow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepHow::Wanted => f.write_str("wanted"),
            StepHow::Needed(how) => f.write_str(how),
            StepHow::TurnedOff { by, symbol } => write!(f, "turned off: {by} depends on !{symbol}"),
        }
    }
}

impl Serialize for StepHow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a symbol has its value after a fit. A symbol the tree does not
/// define is an error.
pub fn explain(fit: &Fit, symbol: &str) -> Result<Explanation, Error> {
    let sym = symbol.trim_start_matches("CONFIG_");
    let unknown = || Error::UnknownSymbol(sym.to_string(), fit.kernel.clone());
    let kc = fit.kconfig.as_deref().ok_or_else(unknown)?;
    let id = kc
        .lookup(sym)
        .filter(|&id| kc.symbol(id).ty != kfit_kconfig::SymbolType::Unknown)
        .ok_or_else(unknown)?;
    let value_of = |name: &str| {
        kc.lookup(name)
            .map(|i| kc.string_value(i).to_string())
            .unwrap_or_default()
    };
    let base_value = fit
        .changed
        .iter()
        .find(|(n, _, _)| n == sym)
        .map(|(_, b, _)| b.clone());
    // Devices that need `first` (a symbol of one of their modules).
    let devices_needing = |first: &str| {
        let mut v = Vec::new();
        for m in &fit.machines {
            for d in &m.devices {
                for mr in &d.modules {
                    for s in &mr.symbols {
                        if s.any_of.iter().any(|a| a == first) {
                            v.push((
                                m.name.clone(),
                                d.label.clone(),
                                format!("{} ({})", mr.module, s.why),
                            ));
                        }
                    }
                }
            }
        }
        v
    };
    let mut chains = Vec::new();
    // The solver's chain, from the symbol up to the goal, reversed.
    let planned = fit.outcome.chain(sym);
    let mut steps: Vec<Step> = Vec::new();
    let mut goal = None;
    for p in planned.iter().rev() {
        let how = match &p.why {
            kfit_solve::Why::Goal(g) => {
                goal = Some(*g);
                StepHow::Wanted
            }
            kfit_solve::Why::Needed { how, .. } => StepHow::Needed(how),
            kfit_solve::Why::Conflict { by } => StepHow::TurnedOff {
                by: by.clone(),
                symbol: p.symbol.clone(),
            },
        };
        steps.push(Step {
            symbol: p.symbol.clone(),
            value: p.value.to_string(),
            how,
        });
    }
    if let Some(first) = steps.first().map(|s| s.symbol.clone()) {
        let devs = devices_needing(&first);
        if devs.is_empty() {
            let reason = goal
                .and_then(|g| fit.goals.get(g))
                .map(|g| g.reason.clone())
                .unwrap_or_default();
            chains.push(Chain {
                machine: None,
                label: None,
                module: reason,
                steps: steps.clone(),
            });
        }
        for (machine, label, module) in devs {
            chains.push(Chain {
                machine: Some(machine),
                label: Some(label),
                module,
                steps: steps.clone(),
            });
        }
    }
    // Devices that need it directly when the solver did not set it (it was
    // already on).
    if steps.is_empty() {
        for (machine, label, module) in devices_needing(sym) {
            chains.push(Chain {
                machine: Some(machine),
                label: Some(label),
                module,
                steps: vec![Step {
                    symbol: sym.to_string(),
                    value: value_of(sym),
                    how: StepHow::Wanted,
                }],
            });
        }
    }
    let mut selected_by = Vec::new();
    for (s, cond) in kc.selected_by(id) {
        if kc.tristate(s) != Tristate::No && kc.eval_cond(cond.as_ref()) != Tristate::No {
            selected_by.push(format!("{} [={}]", kc.symbol(s).name, kc.tristate(s)));
        }
    }
    Ok(Explanation {
        symbol: sym.to_string(),
        value: kc.string_value(id).to_string(),
        base_value,
        chains,
        selected_by,
        depends_on: kc.symbol(id).dir_dep.as_ref().map(|d| annotate(kc, d)),
    })
}

/// An expression in Kconfig syntax followed by the values of its symbols:
/// `A && B  [A=y B=n]`.
pub fn annotate(kc: &Kconfig, e: &kfit_kconfig::Expr) -> String {
    annotate_sep(kc, e, "  ")
}

/// [`annotate`] with `sep` between the expression and its values (the
/// requirements report uses one space: `A && B [A=y B=n]`).
pub(crate) fn annotate_sep(kc: &Kconfig, e: &kfit_kconfig::Expr, sep: &str) -> String {
    let mut names = BTreeSet::new();
    e.for_each_symbol(&mut |s| {
        if !kc.symbol(s).is_const {
            names.insert(s);
        }
    });
    let mut text = kc.expr_to_string(e);
    let vals: Vec<String> = names
        .iter()
        .map(|s| format!("{}={}", kc.symbol(*s).name, kc.string_value(*s)))
        .collect();
    if !vals.is_empty() {
        text.push_str(&format!("{sep}[{}]", vals.join(" ")));
    }
    text
}

/// One device an existing config leaves without a driver.
#[derive(Debug, Clone, Serialize)]
pub struct AuditFinding {
    /// Machine name.
    pub machine: String,
    /// Device label (named `label` as in the fit report).
    pub label: String,
    /// Driver in the listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Module(s) that would drive it.
    pub modules: Vec<String>,
    /// Symbols that are not `y` (alternatives joined by `|`).
    pub missing: Vec<String>,
}

/// Devices of the machines that `config` leaves without a driver.
pub fn audit(
    tree: &Path,
    config: &Path,
    machines: &[MachineInput],
    load: &LoadOptions,
    idx: &KernelIndex,
    sysfs_root: &Path,
) -> Result<(Vec<AuditFinding>, usize, Vec<String>), Error> {
    let (kc, mut warnings) = load_kconfig(tree, config, load)?;
    let mut findings = Vec::new();
    let mut total = 0;
    for mi in machines {
        let (machine, w) = read_machine(mi, sysfs_root)?;
        warnings.extend(w);
        let r = kfit_resolve::resolve(&machine, idx, tree, &Default::default());
        for d in &r.devices {
            if d.status != DeviceStatus::Resolved {
                continue;
            }
            total += 1;
            let mut missing = BTreeMap::new();
            // The device's own module(s): the first one(s) before companions.
            for m in d
                .modules
                .iter()
                .filter(|m| !matches!(m.how, How::Companion { .. }))
            {
                for req in &m.requires {
                    let on = req
                        .any_of
                        .iter()
                        .any(|s| kc.lookup(s).is_some_and(|id| kc.tristate(id) == Tristate::Yes));
                    if !on {
                        missing.insert(req.any_of.join("|"), ());
                    }
                }
            }
            if !missing.is_empty() {
                findings.push(AuditFinding {
                    machine: mi.name.clone(),
                    label: d.label.clone(),
                    driver: d.driver.clone(),
                    modules: d
                        .modules
                        .iter()
                        .filter(|m| !matches!(m.how, How::Companion { .. }))
                        .map(|m| m.module.clone())
                        .collect(),
                    missing: missing.into_keys().collect(),
                });
            }
        }
    }
    Ok((findings, total, warnings))
}

/// The firmware stage's result.
#[derive(Debug, Clone, Serialize)]
pub struct FirmwareOutcome {
    /// Per device (and cfg80211 when wireless is on).
    pub sets: Vec<kfit_firmware::FirmwareSet>,
    /// Check against a linux-firmware directory, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<kfit_firmware::Report>,
    /// The names to link in (CONFIG_EXTRA_FIRMWARE / ix's firmware list).
    pub names: Vec<String>,
}

/// The firmware each fitted device's driver loads, narrowed by the source
/// (see kfit-firmware), plus cfg80211's regulatory database when wireless
/// ends up enabled; checked against `fw_dir` when given. The narrowers
/// read the source snapshot of the fit's index (taken at index time, so no
/// source file is opened here); without an index, the tree.
pub fn firmware(
    fit: &Fit,
    tree: &Path,
    fw_dir: Option<&Path>,
) -> Result<FirmwareOutcome, kfit_firmware::FwError> {
    let on_disk = kfit_firmware::Tree(tree);
    let src: &dyn kfit_firmware::Sources = match &fit.index {
        Some(idx) => &idx.facts.firmware_sources,
        None => &on_disk,
    };
    let narrow = |v: Option<u32>| v.and_then(|x| u16::try_from(x).ok());
    let mut sets = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &fit.firmware_inputs {
        let ids = kfit_firmware::DeviceIds {
            bus: Some(f.bus.clone()),
            vendor: narrow(f.vendor),
            device: narrow(f.device_id),
            subvendor: narrow(f.subvendor),
            subdevice: narrow(f.subdevice),
            class: f.class,
            revision: f.revision.and_then(|r| u8::try_from(r).ok()),
        };
        if !seen.insert((f.module.clone(), ids.label())) {
            continue;
        }
        sets.push(kfit_firmware::firmware_for_device(
            src,
            &f.module,
            &f.firmware,
            &ids,
        ));
    }
    let wireless = fit
        .kconfig
        .as_deref()
        .and_then(|kc| kc.lookup("CFG80211").map(|id| kc.tristate(id) == Tristate::Yes))
        .unwrap_or(false);
    if wireless {
        sets.push(kfit_firmware::firmware_for_module(src, "cfg80211", &[]));
    }
    let (report, names) = match fw_dir {
        Some(d) => {
            let r = kfit_firmware::check_dir(&sets, d)?;
            let names = r.names();
            (Some(r), names)
        }
        None => (None, kfit_firmware::all_names(&sets)),
    };
    Ok(FirmwareOutcome { sets, report, names })
}

/// Set `CONFIG_EXTRA_FIRMWARE` to `names` (and `CONFIG_EXTRA_FIRMWARE_DIR`
/// to `dir`) in the fitted config and re-render it. Applied as assignments
/// appended to the fitted config and read back, as `make olddefconfig` would.
pub fn set_extra_firmware(fit: &mut Fit, names: &[String], dir: Option<&Path>) {
    let Some(kc) = fit.kconfig.as_deref_mut() else {
        return;
    };
    if kc.lookup("EXTRA_FIRMWARE").is_none() {
        return;
    }
    let mut text = fit.config.clone();
    text.push_str(&kfit_firmware::extra_firmware_line(names));
    text.push('\n');
    if let Some(d) = dir {
        text.push_str(&kfit_firmware::extra_firmware_dir_line(d));
        text.push('\n');
    }
    kc.read_config_str(&text, "fitted config + firmware");
    fit.config = kc.write_config();
    fit.changed = kfit_solve::config_diff(&fit.base_config, &fit.config);
    fit.summary.symbols_changed = fit.changed.len();
}

#[cfg(test)]
mod tests {
    use super::*;
    use kfit_resolve::{DeviceResolution, ModuleNeed, Requirement};

    /// A device-tree supplier's goal says whom it provides for.
    #[test]
    fn supplier_goals_name_their_consumers() {
        let dev = |module: &str, sym: &str, provides: &[&str]| DeviceResolution {
            index: 0,
            label: module.into(),
            driver: None,
            status: DeviceStatus::Resolved,
            modules: vec![ModuleNeed {
                module: module.into(),
                path: format!("{module}.o"),
                how: How::BoundModule,
                requires: vec![Requirement {
                    any_of: vec![sym.into()],
                    why: "builds it".into(),
                }],
            }],
            notes: Vec::new(),
            fallbacks: Vec::new(),
            alternatives: Vec::new(),
            provides: provides.iter().map(|s| s.to_string()).collect(),
        };
        let r = Resolution {
            devices: vec![
                dev("at24", "EEPROM_AT24", &[]),
                dev(
                    "fixed",
                    "REGULATOR_FIXED_VOLTAGE",
                    &["provider of vcc-supply for /soc/i2c@1000/eeprom@50"],
                ),
                dev(
                    "i2c_designware_platform",
                    "I2C_DESIGNWARE_PLATFORM",
                    &[
                        "provider of i2c bus for /soc/i2c@1000/eeprom@50",
                        "provider of i2c bus for /soc/i2c@1000/codec@1a",
                    ],
                ),
            ],
            loaded: Vec::new(),
        };
        let (mut goals, mut goal_of) = (Vec::new(), HashMap::new());
        device_goals(&[("m".into(), Machine::default(), r)], &mut goals, &mut goal_of);
        let reasons: Vec<&str> = goals.iter().map(|g| g.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "at24 (builds it)",
                "fixed (builds it; provider of vcc-supply for /soc/i2c@1000/eeprom@50)",
                "i2c_designware_platform (builds it; provider of i2c bus for /soc/i2c@1000/eeprom@50 and 1 more)",
            ]
        );
    }
}
