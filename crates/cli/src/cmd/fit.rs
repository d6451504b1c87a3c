//! `kfit fit`, `kfit explain`, `kfit audit`, `kfit menuconfig`: the main job.

use anyhow::Context;
use clap::Args;
use kfit_fit::job::{Inputs, IxRequest, IxTarget, Request};
use kfit_fit::requirements::{ReqStatus, Section};
use kfit_fit::{Fit, MachineInput, SymbolStatus, Verdict};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where the kernel and its base config come from, and the machines.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// Hardware listings of one machine (lspci, lsusb, lsmod, modalias lists,
    /// drivers.txt..., and what it runs on: /proc/mounts, mount, findmnt,
    /// /proc/filesystems, lsblk), merged. None: the running machine's /sys
    /// and /proc.
    #[arg(value_name = "LISTING", value_parser = crate::path_arg())]
    pub listings: Vec<PathBuf>,
    /// Another machine's listings, comma-separated (repeatable): one kernel
    /// for all machines, reported per machine.
    #[arg(long = "machine", value_name = "FILE[,FILE...]", value_parser = machine_arg())]
    pub machines: Vec<String>,
    /// Kernel source tree.
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub tree: Option<PathBuf>,
    /// The toolchain of the probes (with --ix and none given: ix's clang +
    /// ld.lld).
    #[command(flatten)]
    pub toolchain: crate::ToolchainArgs,
    /// The architecture (ARCH: x86, arm64, ...) to fit for [default: $ARCH,
    /// as make takes it, else this machine's, from `uname -m`].
    #[arg(long, value_parser = crate::arch_arg())]
    pub arch: Option<kfit_kconfig::Arch>,
    /// Root of the live machine's filesystem (for /sys).
    #[arg(long, default_value = "/", hide = true, value_parser = crate::path_arg())]
    pub sysfs_root: PathBuf,
    /// Go on when some files of the tree cannot be read (the index lacks
    /// them; they are listed and the exit status is at least 1).
    #[arg(long)]
    pub allow_partial: bool,
    /// Turn off every device driver of the base that no device of the
    /// machines needs (what localmodconfig does for a distro config).
    #[arg(long)]
    pub trim: bool,
    /// Never turn this off: a symbol, a module name or a tree path
    /// (drivers/usb/serial); repeatable.
    #[arg(long = "keep", value_name = "WHAT")]
    pub keep: Vec<String>,
    /// A file of --keep entries, one per line or separated by `:` like
    /// LMC_KEEP (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub keep_file: Option<PathBuf>,
    /// Which loaded modules of the listings (lsmod, /proc/modules) to build in.
    #[arg(long, value_enum, default_value = "all")]
    pub loaded: LoadedArg,
    /// pci.ids to turn device names into ids (listings without -n)
    /// [default: /usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids, ...].
    #[arg(long, value_name = "FILE", value_parser = crate::path_arg())]
    pub pci_ids: Option<PathBuf>,
    /// usb.ids for USB class names (lsusb -t) [default: /usr/share/misc/usb.ids, ...].
    #[arg(long, value_name = "FILE", value_parser = crate::path_arg())]
    pub usb_ids: Option<PathBuf>,
}

/// `--machine a.txt,b.txt`: one or more files, none empty. `--machine ''`
/// or `--machine ,` (an unset variable) is an error: it would otherwise
/// fit the build host's own /sys as a machine.
fn machine_arg() -> impl clap::builder::TypedValueParser<Value = String> {
    use clap::builder::TypedValueParser;
    clap::builder::StringValueParser::new().try_map(|s| {
        if s.split(',').any(|f| f.trim().is_empty()) {
            Err(format!(
                "{s:?} names an empty file (an unset variable?); give FILE[,FILE...]"
            ))
        } else {
            Ok(s)
        }
    })
}

/// `--loaded`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LoadedArg {
    /// Every loaded module.
    All,
    /// Only device drivers (modules with a device ID table).
    DeviceDrivers,
    /// None (loaded modules are only evidence).
    None,
}

impl Common {
    fn machines(&self) -> Vec<MachineInput> {
        // Every listing read after this looks names up in these databases.
        kfit_hw::set_default_options(kfit_hw::Options {
            pci_ids: self.pci_ids.clone(),
            usb_ids: self.usb_ids.clone(),
        });
        let mut v = vec![MachineInput {
            name: if self.listings.is_empty() {
                "this machine".into()
            } else {
                name_of(&self.listings)
            },
            listings: self.listings.clone(),
        }];
        for m in &self.machines {
            let files: Vec<PathBuf> = m
                .split(',')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
            v.push(MachineInput {
                name: name_of(&files),
                listings: files,
            });
        }
        v
    }

    /// Options that apply to no machine are ignored, with a warning.
    pub(crate) fn check(&self, warnings: &mut Vec<String>) -> Result<(), clap::Error> {
        if self.sysfs_root != Path::new("/") && !self.listings.is_empty() {
            warnings.push("--sysfs-root is ignored: every machine is given by listings".into());
        }
        Ok(())
    }

    /// The resolved inputs: the machines, the tree and toolchain, the
    /// requirements of `reqs`.
    fn inputs(&self, reqs: &Reqs) -> Inputs {
        Inputs {
            machines: self.machines(),
            tree: self.tree.clone(),
            toolchain: self.toolchain.resolve(
                &self.arch.clone().unwrap_or_else(kfit_kconfig::Arch::make_default),
                self.tree.as_deref(),
            ),
            arch: self.arch.clone(),
            cache_dir: crate::cache_dir().map(Path::to_path_buf),
            sysfs_root: self.sysfs_root.clone(),
            allow_partial: self.allow_partial,
            trim: self.trim,
            keep: self.keep.clone(),
            keep_file: self.keep_file.clone(),
            loaded_modules: match self.loaded {
                LoadedArg::All => kfit_fit::LoadedModules::All,
                LoadedArg::DeviceDrivers => kfit_fit::LoadedModules::DeviceDrivers,
                LoadedArg::None => kfit_fit::LoadedModules::Ignore,
            },
            profiles: reqs.profiles.clone(),
            require: reqs.require.clone(),
            fragments: reqs.fragments.clone(),
        }
    }
}

/// What the system needs beyond its devices: profiles and user requirements.
#[derive(Args, Clone, Debug, Default)]
pub struct Reqs {
    /// A requirement profile (repeatable): ix, containers, kvm-host,
    /// minimal-boot (`kfit profiles` lists them). --ix adds ix.
    #[arg(long = "profile", value_name = "NAME", value_parser = crate::text_arg())]
    pub profiles: Vec<String>,
    /// A symbol the kernel must have (repeatable): SYMBOL (=y), SYMBOL=n,
    /// SYMBOL=m, SYMBOL=VALUE for string/int/hex.
    #[arg(long = "require", value_name = "SYMBOL[=VALUE]", value_parser = crate::text_arg())]
    pub require: Vec<String>,
    /// A merge_config.sh fragment (repeatable): `CONFIG_X=value` and
    /// `# CONFIG_X is not set` lines, solved like --require.
    #[arg(long = "fragment", value_name = "FILE", value_parser = crate::path_arg())]
    pub fragments: Vec<PathBuf>,
}

fn name_of(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join("+")
}

#[derive(Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub c: Common,
    #[command(flatten)]
    pub reqs: Reqs,
    /// Base config to start from (its symbols are kept unless a device needs a change).
    #[arg(long, value_name = "CONFIG", value_parser = crate::path_arg())]
    pub base: Option<PathBuf>,
    /// Where to write the fitted config (existing file kept as OUT.old).
    #[arg(short = 'o', long, value_name = "OUT", value_parser = crate::path_arg())]
    pub output: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also list every device, not only those that needed a change.
    #[arg(short, long)]
    pub verbose: bool,
    /// A linux-firmware tree: check every firmware file the devices load
    /// (compressed variants too), sum sizes, list what is missing.
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub firmware_dir: Option<PathBuf>,
    /// Write an ix kernel package: the ix checkout DIR, or without DIR the
    /// checkout of the `ix` on PATH. The base config and the kernel source
    /// come from the package (source: its ver.sh, fetched, sha256-verified
    /// and cached), and by default a machine package is written next to it
    /// (the stock package and the files it shares stay untouched).
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub ix: Option<Option<PathBuf>>,
    /// Kernel package for --ix (7.1 or 7/1) [default: the newest].
    #[arg(long, value_name = "M.m", requires = "ix", value_parser = crate::text_arg())]
    pub kernel: Option<String>,
    /// Name of the machine package (--ix) [default: from the first listing's
    /// file name, or the host name].
    #[arg(long, value_name = "NAME", requires = "ix", conflicts_with = "in_place", value_parser = crate::text_arg())]
    pub name: Option<String>,
    /// Edit the stock package's own files in place (--ix), as the ix guide
    /// does by hand; every other package sharing them is listed.
    #[arg(long, requires = "ix")]
    pub in_place: bool,
    /// Fit with a --tree of another version than the package's ver.sh
    /// (experts; the report says so on its first line).
    #[arg(long, requires = "ix")]
    pub allow_version_mismatch: bool,
    /// Run the printed `ix mut` command (needs ix on PATH).
    #[arg(long, requires = "ix")]
    pub apply: bool,
    /// Show what would change in the ix tree without writing.
    #[arg(long, requires = "ix")]
    pub dry_run: bool,
}

impl FitArgs {
    /// The one resolved request of this `kfit fit`.
    fn request(&self) -> Request {
        Request {
            inputs: self.c.inputs(&self.reqs),
            base: self.base.clone(),
            output: self.output.clone(),
            firmware_dir: self.firmware_dir.clone(),
            ix: self.ix.as_ref().map(|checkout| IxRequest {
                checkout: checkout.clone(),
                kernel: self.kernel.clone(),
                target: if self.in_place {
                    IxTarget::InPlace
                } else {
                    IxTarget::MachinePackage(self.name.clone())
                },
                allow_version_mismatch: self.allow_version_mismatch,
                apply: self.apply,
                dry_run: self.dry_run,
            }),
        }
    }

    pub(crate) fn check(&self, warnings: &mut Vec<String>) -> Result<(), clap::Error> {
        self.c.check(warnings)?;
        if self.verbose && self.json {
            warnings.push("--verbose is ignored with --json (the JSON report lists every device)".into());
        }
        Ok(())
    }
}

#[derive(Args)]
pub struct ExplainArgs {
    /// The symbol (with or without CONFIG_).
    #[arg(value_parser = crate::text_arg())]
    pub symbol: String,
    #[command(flatten)]
    pub c: Common,
    #[command(flatten)]
    pub reqs: Reqs,
    /// Base config the fit starts from.
    #[arg(long, value_name = "CONFIG", value_parser = crate::path_arg())]
    pub base: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct AuditArgs {
    /// The config to audit.
    #[arg(long, value_name = "CONFIG", value_parser = crate::path_arg())]
    pub config: PathBuf,
    #[command(flatten)]
    pub c: Common,
    /// Check these requirements instead of (without listings) or besides
    /// the devices.
    #[command(flatten)]
    pub reqs: Reqs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct MenuconfigArgs {
    /// The config to review.
    #[arg(long, value_name = "CONFIG", value_parser = crate::path_arg())]
    pub config: PathBuf,
    /// Kernel source tree.
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub tree: PathBuf,
    /// Run it (needs ix on PATH) instead of printing it.
    #[arg(long)]
    pub run: bool,
}

/// What the user asked for, to start every error message with.
fn fitting(i: &Inputs) -> String {
    let names: Vec<&str> = i.machines.iter().map(|m| m.name.as_str()).collect();
    match &i.tree {
        Some(t) => format!("fitting {} to {}", names.join(", "), t.display()),
        None => format!("fitting {}", names.join(", ")),
    }
}

pub fn run_fit(a: FitArgs) -> anyhow::Result<ExitCode> {
    let req = a.request();
    let what = fitting(&req.inputs);
    fit_cmd(req, a.json, a.verbose).with_context(|| what)
}

fn fit_cmd(req: Request, json: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    // ix: the package gives the base config, the source and the toolchain.
    let job = kfit_fit::job::prepare(req, |ver| {
        eprintln!(
            "kfit: source of Linux {} from {} (sha256 verified, cached)",
            ver.version, ver.url
        );
        crate::out::Spinner::new(format!("fetching and unpacking Linux {}", ver.version))
    })?;
    if let Some(l) = &job.notice {
        writeln!(std::io::stdout().lock(), "{l}")?;
    }
    let output = job.request().output.clone();
    // Index with a progress bar when it has to be built. Every file is
    // written before anything is printed: a closed stdout (`| head`) ends
    // kfit at its first write, never between two files.
    let progress = crate::out::index_progress();
    let out = job.run(progress.as_deref())?;
    let (fit, fw) = (&out.fit, &out.firmware);
    // What the ix write did is printed after the report (whose first line
    // names the machine), ending with `next:`.
    let mut ix_lines: Vec<u8> = Vec::new();
    if let Some(ix) = &out.ix {
        print_ix(&mut ix_lines, ix)?;
    }
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if json && out.ix.is_some() {
        // with --json, stdout is the JSON document: the ix lines go to stderr
        std::io::stderr().lock().write_all(&ix_lines)?;
    }
    if json {
        #[derive(serde::Serialize)]
        struct FitDoc<'a> {
            #[serde(flatten)]
            fit: &'a Fit,
            firmware: &'a kfit_fit::FirmwareOutcome,
        }
        crate::out::json(&mut o, "fit", &FitDoc { fit, firmware: fw })?;
    } else {
        print_report(&mut o, fit, verbose)?;
        print_firmware(&mut o, fw)?;
        if let Some(out) = &output {
            writeln!(o, "wrote {}", out.display())?;
        }
        if out.ix.is_some() {
            o.write_all(&ix_lines)?;
        } else if output.is_none() {
            writeln!(o, "(no -o OUT given: nothing written)")?;
        }
    }
    for u in &fit.unreadable {
        eprintln!("warning: could not read {u} (the index lacks it)");
    }
    o.flush()?;
    let code = if fit.summary.blocked > 0
        || fit.summary.loaded_blocked > 0
        || fit.summary.requirements_blocked > 0
        || !fit.unreadable.is_empty()
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process exits next: freeing the index and the Kconfig model
    // (hundreds of thousands of allocations) would only cost time.
    std::mem::forget(out);
    Ok(code)
}

/// The report's groups, in the order they are printed: what kfit did first.
const GROUPS: [(Verdict, &str); 6] = [
    (Verdict::Enabled, "enabled"),
    (Verdict::AlreadyOn, "already driven"),
    (Verdict::Blocked, "BLOCKED"),
    (Verdict::NoDriverInKernel, "no driver in this kernel"),
    (Verdict::Unidentified, "no IDs to tell the driver"),
    (Verdict::NoDriverNeeded, "needs no driver"),
];

/// What the ix write did (machine package by default).
fn print_ix(o: &mut dyn Write, ix: &kfit_fit::job::IxOutcome) -> std::io::Result<()> {
    let (rep, pkg) = (&ix.report, &ix.package);
    for r in &rep.recovered {
        writeln!(o, "repaired: {r}")?;
    }
    write!(o, "{}", rep.diff)?;
    for n in &rep.notes {
        writeln!(o, "note: {n}")?;
    }
    let rel = |p: &Path| p.strip_prefix(&pkg.ix_root).unwrap_or(p).display().to_string();
    let verb = if ix.dry_run { "would write" } else { "wrote" };
    let what = if rep.machine_package {
        format!(
            "machine package {} (next to {}, which is untouched)",
            rep.package_path, pkg.pkg_path
        )
    } else {
        format!("package {} in place", rep.package_path)
    };
    if rep.is_unchanged() {
        writeln!(o, "ix {what}: nothing changed")?;
    } else {
        writeln!(
            o,
            "ix {what}: {verb} {}",
            rep.changed.iter().map(|p| rel(p)).collect::<Vec<_>>().join(", ")
        )?;
    }
    let d = &rep.config_delta;
    writeln!(
o,
        "  config {}: {} symbols differ from {} ({} new, {} gone, {} changed); firmware list: {} added, {} removed",
        rel(&rep.config_path),
        d.total(),
        if rep.created.contains(&rep.config_path) { rel(&pkg.config) } else { "the file that was there".into() },
        d.added,
        d.removed,
        d.changed,
        rep.firmware_added,
        rep.firmware_removed
    )?;
    let shared = !(rep.shared.config.is_empty() && rep.shared.firmware.is_empty());
    if !rep.machine_package && shared {
        writeln!(
            o,
            "  in place: these packages share what changed: {}",
            rep.shared
                .config
                .iter()
                .chain(&rep.shared.firmware)
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    if !rep.backups.is_empty() {
        writeln!(o, "backup of the replaced files: {}", ix.backup_dir.display())?;
    }
    writeln!(o, "next: {}", kfit_ix::command_line(&ix.mut_command))?;
    Ok(())
}

fn print_report(o: &mut impl Write, fit: &Fit, verbose: bool) -> std::io::Result<()> {
    use crate::out::escape;
    for w in fit.warnings.iter().take(5) {
        writeln!(o, "warning: {}", escape(w))?;
    }
    if fit.warnings.len() > 5 {
        writeln!(
            o,
            "warning: ... and {} more (--json lists them all)",
            fit.warnings.len() - 5
        )?;
    }
    for m in &fit.machines {
        writeln!(
            o,
            "== {} (Linux {}): {} devices",
            escape(&m.name),
            fit.kernel,
            m.devices.len()
        )?;
        for (verdict, title) in &GROUPS {
            let devs: Vec<_> = m.devices.iter().filter(|d| &d.verdict == verdict).collect();
            if devs.is_empty() {
                continue;
            }
            writeln!(o, "{title} ({}):", devs.len())?;
            let detail = verbose || !matches!(verdict, Verdict::AlreadyOn | Verdict::NoDriverNeeded);
            for d in devs {
                let drv = d.driver.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
                let mods: Vec<&str> = d.modules.iter().map(|m| m.module.as_str()).collect();
                writeln!(
                    o,
                    "  {}{}{}",
                    escape(&d.label),
                    escape(&drv),
                    if mods.is_empty() {
                        String::new()
                    } else {
                        format!(" → {}", mods.join(", "))
                    }
                )?;
                if !detail {
                    continue;
                }
                for m in &d.modules {
                    for s in &m.symbols {
                        if s.status == SymbolStatus::AlreadyOn && !verbose {
                            continue;
                        }
                        let name = s.on.clone().unwrap_or_else(|| s.any_of.join(" | "));
                        writeln!(
                            o,
                            "      {:<10} CONFIG_{name}  [{}: {}]",
                            s.status, m.module, s.why
                        )?;
                        for b in &s.blocked {
                            for l in b.lines() {
                                writeln!(o, "          {l}")?;
                            }
                        }
                    }
                }
                for n in &d.provides {
                    writeln!(o, "      {}", escape(n))?;
                }
                for n in &d.notes {
                    writeln!(o, "      note: {}", escape(n))?;
                }
            }
        }
    }
    print_requirements(o, &fit.requirements, verbose)?;
    for m in &fit.machines {
        print_loaded(o, m, verbose)?;
    }
    print_precision(o, &fit.precision, verbose)?;
    let s = &fit.summary;
    let unidentified = if s.unidentified > 0 {
        format!(", {} without IDs to tell", s.unidentified)
    } else {
        String::new()
    };
    if s.requirements > 0 {
        writeln!(
            o,
            "requirements: {} in all: {} already met, {} set, {} blocked",
            s.requirements,
            fit.requirements
                .iter()
                .filter(|r| r.status == ReqStatus::Already)
                .count(),
            fit.requirements
                .iter()
                .filter(|r| r.status == ReqStatus::Set)
                .count(),
            s.requirements_blocked
        )?;
    }
    writeln!(
        o,
        "summary: {} devices: {} already driven, {} enabled, {} blocked, {} with no driver in this kernel, {} need none{unidentified}; {} symbols set, {} values changed",
        s.devices, s.already_on, s.enabled, s.blocked, s.no_driver_in_kernel, s.no_driver_needed, s.symbols_set, s.symbols_changed
    )?;
    if s.loaded > 0 {
        writeln!(
            o,
            "loaded modules: {}: {} enabled, {} blocked, {} not in this kernel",
            s.loaded, s.loaded_enabled, s.loaded_blocked, s.loaded_not_in_kernel
        )?;
    }
    let t = &fit.timings;
    writeln!(
        o,
        "time: listings {} ms, index {} ms, kconfig {} ms, resolve {} ms, solve {} ms, firmware {} ms",
        t.hw_ms, t.index_ms, t.kconfig_ms, t.resolve_ms, t.solve_ms, t.firmware_ms
    )?;
    Ok(())
}

/// Drivers beyond the devices' needs: turned off, trimmed, still on.
fn print_precision(o: &mut impl Write, p: &kfit_fit::PrecisionReport, verbose: bool) -> std::io::Result<()> {
    let names = |v: &mut dyn Iterator<Item = &str>| v.collect::<Vec<_>>().join(", ");
    if !p.turned_off.is_empty() {
        writeln!(
            o,
            "turned off: {} drivers for hardware this machine lacks (switched on by Kconfig defaults): {}",
            p.turned_off.len(),
            names(&mut p.turned_off.iter().map(|d| d.module.as_str()))
        )?;
    }
    if !p.trimmed.is_empty() {
        let subs: Vec<String> = p
            .trimmed_by_subsystem
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(
            o,
            "trimmed: {} drivers of the base: {}",
            p.trimmed.len(),
            subs.join(", ")
        )?;
        if verbose {
            writeln!(o, "  {}", names(&mut p.trimmed.iter().map(|d| d.module.as_str())))?;
        }
    }
    for e in &p.extra {
        writeln!(o, "     EXTRA  {} ({}): {}", e.module, e.path, e.reason)?;
    }
    if !p.untrimmed.is_empty() {
        writeln!(
            o,
            "kept from the base: {} drivers no device needs",
            p.untrimmed.len()
        )?;
        for e in p.untrimmed.iter().filter(|_| verbose) {
            writeln!(o, "  {} ({}): {}", e.module, e.path, e.reason)?;
        }
    }
    Ok(())
}

/// The modules the listing shows loaded: one line each that needed
/// something (all with --verbose), then a count.
fn print_loaded(o: &mut impl Write, m: &kfit_fit::MachineReport, verbose: bool) -> std::io::Result<()> {
    if m.loaded.is_empty() {
        return Ok(());
    }
    for l in &m.loaded {
        let tag = match l.verdict {
            Verdict::AlreadyOn => "ok",
            Verdict::Enabled => "ENABLED",
            Verdict::Blocked => "BLOCKED",
            Verdict::NoDriverInKernel => "NOT IN KERNEL",
            _ => "-",
        };
        let successor = match &l.status {
            kfit_resolve::LoadedStatus::Successor { module, because } => format!(" → {module} ({because})"),
            kfit_resolve::LoadedStatus::Skipped => " (not a device driver)".into(),
            _ => String::new(),
        };
        // A module a device already names was reported with the device.
        let with_device = l.module.as_ref().is_some_and(|md| {
            m.devices
                .iter()
                .any(|d| d.modules.iter().any(|x| x.module == md.module))
        });
        let interesting = !matches!(l.verdict, Verdict::AlreadyOn | Verdict::NoDriverNeeded) && !with_device
            || l.verdict == Verdict::Blocked
            || !successor.is_empty();
        if !(verbose || interesting) {
            continue;
        }
        writeln!(
            o,
            "{tag:>10}  module {} loaded on the listed machine{successor}",
            l.listed
        )?;
        for s in l.module.iter().flat_map(|md| &md.symbols) {
            if s.status == SymbolStatus::AlreadyOn && !verbose {
                continue;
            }
            let name = s.on.clone().unwrap_or_else(|| s.any_of.join(" | "));
            writeln!(o, "            {:<10} CONFIG_{name}  [{}]", s.status, s.why)?;
            for b in &s.blocked {
                for l in b.lines() {
                    writeln!(o, "                {l}")?;
                }
            }
        }
    }
    Ok(())
}

/// The system and requirement sections: every requirement once, with its
/// sources; blocked ones with the blocking expression.
fn print_requirements(
    o: &mut impl Write,
    reqs: &[kfit_fit::requirements::RequirementReport],
    verbose: bool,
) -> std::io::Result<()> {
    for (section, title) in [
        (Section::System, "== what the system runs on"),
        (Section::Requirement, "== requirements"),
    ] {
        let list: Vec<_> = reqs.iter().filter(|r| r.section == section).collect();
        if list.is_empty() {
            continue;
        }
        writeln!(o, "{title}")?;
        for r in list {
            let tag = match r.status {
                ReqStatus::Already => "ok",
                ReqStatus::Set => "SET",
                ReqStatus::Blocked => "BLOCKED",
            };
            writeln!(o, "{tag:>10}  CONFIG_{}={}", r.symbol, r.want)?;
            if verbose || r.status != ReqStatus::Already || section == Section::System {
                for s in &r.sources {
                    writeln!(o, "            from {s}")?;
                }
            } else if let Some(s) = r.sources.first() {
                writeln!(o, "            from {s}")?;
            }
            for b in &r.blocked {
                for l in b.lines() {
                    writeln!(o, "                {l}")?;
                }
            }
            if !r.forced_off.is_empty() {
                writeln!(o, "            turned off with it: {}", r.forced_off.join(", "))?;
            }
        }
    }
    Ok(())
}

fn print_firmware(o: &mut impl Write, fw: &kfit_fit::FirmwareOutcome) -> std::io::Result<()> {
    if fw.sets.is_empty() {
        return Ok(());
    }
    writeln!(o, "firmware:")?;
    for s in &fw.sets {
        writeln!(
            o,
            "  {} {}: {} file(s) ({})",
            s.module,
            s.device.label(),
            s.files.len(),
            s.narrowed_by
        )?;
        for f in &s.files {
            writeln!(o, "      {}", f.name)?;
        }
    }
    if let Some(r) = &fw.report {
        writeln!(
            o,
            "  in {}: {} present, {} missing, {} in all",
            r.fw_dir.display(),
            r.present.len(),
            r.missing.len(),
            kfit_firmware::format_size(r.total)
        )?;
        for m in &r.missing {
            writeln!(o, "  MISSING {} (for {} {})", m.name, m.module, m.device)?;
        }
    }
    Ok(())
}

pub fn run_explain(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let inputs = a.c.inputs(&a.reqs);
    let what = format!("explaining {} ({})", a.symbol, fitting(&inputs));
    explain_cmd(a, &inputs).with_context(|| what)
}

fn explain_cmd(a: ExplainArgs, inputs: &Inputs) -> anyhow::Result<ExitCode> {
    let progress = crate::out::index_progress();
    let fit = inputs.fit(&a.base, progress.as_deref())?;
    let e = kfit_fit::explain(&fit, &a.symbol)?;
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if a.json {
        crate::out::json(&mut o, "explain", &e)?;
    } else {
        print_explanation(&mut o, &e)?;
    }
    o.flush()?;
    std::mem::forget(fit);
    Ok(ExitCode::SUCCESS)
}

/// One line for the value, then one chain per line: device → module →
/// symbol → ... → the explained symbol.
fn print_explanation(o: &mut impl Write, e: &kfit_fit::Explanation) -> std::io::Result<()> {
    use crate::out::escape;
    match &e.base_value {
        Some(b) => writeln!(o, "CONFIG_{}={} (was {b} in the base config)", e.symbol, e.value)?,
        None => writeln!(o, "CONFIG_{}={} (as in the base config)", e.symbol, e.value)?,
    }
    for c in &e.chains {
        let mut line = String::from("  ");
        if let (Some(m), Some(l)) = (&c.machine, &c.label) {
            line.push_str(&format!("{m}: {l} → "));
        }
        line.push_str(&c.module);
        for s in &c.steps {
            if s.how == kfit_fit::StepHow::Wanted {
                line.push_str(&format!(" → CONFIG_{}={}", s.symbol, s.value));
            } else {
                line.push_str(&format!(" →({}) CONFIG_{}={}", s.how, s.symbol, s.value));
            }
        }
        writeln!(o, "{}", escape(&line))?;
    }
    if e.chains.is_empty() {
        writeln!(o, "  no device of these machines needs it")?;
    }
    if !e.selected_by.is_empty() {
        writeln!(o, "  selected by: {}", e.selected_by.join(", "))?;
    }
    if let Some(d) = &e.depends_on {
        writeln!(o, "  depends on: {d}")?;
    }
    Ok(())
}

/// `kfit audit --profile/--require/--fragment`: which requirements the
/// config misses, each with the reason and what `kfit fit` would do.
fn audit_requirements(a: &AuditArgs, inputs: &Inputs, tree: &Path) -> anyhow::Result<bool> {
    let rep = kfit_fit::requirements::audit_config(
        tree,
        &a.config,
        &inputs.load_options(),
        &inputs.profiles,
        &inputs.requirements()?,
    )?;
    let (reqs, misses, warnings) = (&rep.requirements, &rep.missing, &rep.warnings);
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if a.json {
        crate::out::json(
            &mut o,
            "audit-requirements",
            &serde_json::json!({"requirements": reqs.len(), "missing": misses, "warnings": warnings}),
        )?;
    } else {
        for w in warnings.iter().take(5) {
            writeln!(o, "warning: {}", crate::out::escape(w))?;
        }
        for m in misses {
            writeln!(o, "MISSING  CONFIG_{}={} (is {})", m.symbol, m.want, m.have)?;
            for s in &m.sources {
                writeln!(o, "         from {s}")?;
            }
            writeln!(o, "         why: {}", m.reason)?;
            writeln!(o, "         fix: {}", m.fix)?;
        }
        writeln!(
            o,
            "audit: {} of {} requirements are not met by {}",
            misses.len(),
            reqs.len(),
            a.config.display()
        )?;
    }
    Ok(misses.is_empty())
}

pub fn run_audit(a: AuditArgs) -> anyhow::Result<ExitCode> {
    let what = format!("auditing {}", a.config.display());
    audit_cmd(a).with_context(|| what)
}

fn audit_cmd(a: AuditArgs) -> anyhow::Result<ExitCode> {
    let inputs = a.c.inputs(&a.reqs);
    let tree = inputs.tree()?;
    if inputs.any_requirement() {
        let ok = audit_requirements(&a, &inputs, tree)?;
        // Without listings only the requirements are audited (not /sys).
        if a.c.listings.is_empty() && a.c.machines.is_empty() {
            return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        if !ok {
            let code = run_device_audit(&a, &inputs)?;
            return Ok(if code == ExitCode::SUCCESS {
                ExitCode::from(1)
            } else {
                code
            });
        }
    }
    run_device_audit(&a, &inputs)
}

fn run_device_audit(a: &AuditArgs, inputs: &Inputs) -> anyhow::Result<ExitCode> {
    let progress = crate::out::index_progress();
    let idx = inputs.index(progress.as_deref())?;
    for (f, e) in &idx.unreadable {
        eprintln!(
            "warning: could not read {}: {e} (the index lacks it)",
            crate::out::escape(f)
        );
    }
    for n in &idx.notes {
        eprintln!("warning: {}", crate::out::escape(n));
    }
    let (findings, total, warnings) = kfit_fit::audit(
        inputs.tree()?,
        &a.config,
        &inputs.machines,
        &inputs.load_options(),
        &idx,
        &inputs.sysfs_root,
    )?;
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if a.json {
        #[derive(serde::Serialize)]
        struct AuditDoc<'a> {
            config: String,
            devices: usize,
            findings: &'a [kfit_fit::AuditFinding],
            warnings: &'a [String],
        }
        let doc = AuditDoc {
            config: a.config.display().to_string(),
            devices: total,
            findings: &findings,
            warnings: &warnings,
        };
        crate::out::json(&mut o, "audit", &doc)?;
    } else {
        for w in &warnings {
            writeln!(o, "warning: {}", crate::out::escape(w))?;
        }
        for f in &findings {
            let drv = f.driver.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
            writeln!(
                o,
                "{}: {}{drv} → {}: missing CONFIG_{}",
                f.machine,
                crate::out::escape(&f.label),
                f.modules.join(", "),
                f.missing.join(", CONFIG_")
            )?;
        }
        writeln!(
            o,
            "audit: {} of {total} devices with a driver in this kernel are left without one by {}",
            findings.len(),
            a.config.display()
        )?;
    }
    o.flush()?;
    Ok(if findings.is_empty() && idx.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn run_menuconfig(a: MenuconfigArgs) -> anyhow::Result<ExitCode> {
    let review = kfit_fit::job::Review::new(&a.config, &a.tree, crate::cache_dir())?;
    let mut o = std::io::stdout().lock();
    if !a.run {
        write!(o, "{}", review.script())?;
    } else {
        let changed = review.run()?;
        writeln!(
            o,
            "{}: {}",
            a.config.display(),
            if changed {
                "updated from menuconfig"
            } else {
                "unchanged"
            }
        )?;
    }
    o.flush()?;
    Ok(ExitCode::SUCCESS)
}
