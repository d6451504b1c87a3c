//! `kfit fit`, `kfit explain`, `kfit audit`, `kfit menuconfig`: the main job.

use anyhow::{bail, Context};
use clap::Args;
use kfit_fit::{Fit, FitOptions, MachineInput, Verdict};
use kfit_kconfig::LoadOptions;
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
    /// C compiler for Kconfig's toolchain probes [default: what make uses,
    /// gcc; clang with --llvm; with --ix, ix's clang + ld.lld].
    #[arg(long, value_parser = crate::text_arg())]
    pub cc: Option<String>,
    /// The LLVM toolchain, like `make LLVM=1` (clang, ld.lld).
    #[arg(long)]
    pub llvm: bool,
    /// The architecture (ARCH: x86, arm64, ...) to fit for [default: this
    /// machine's, from `uname -m` as make picks it].
    #[arg(long, value_parser = crate::arch_arg())]
    pub arch: Option<kfit_kconfig::Arch>,
    /// Index cache directory [default: ~/.cache/kfit/index].
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub cache_dir: Option<PathBuf>,
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

    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            cc: self
                .cc
                .clone()
                .unwrap_or_else(|| kfit_kconfig::make_cc(self.llvm).to_string()),
            arch: self.arch(),
            ..Default::default()
        }
    }

    /// `--arch`, else the running machine's.
    fn arch(&self) -> kfit_kconfig::Arch {
        self.arch.clone().unwrap_or_else(kfit_kconfig::Arch::host)
    }

    /// --keep and the entries of --keep-file.
    fn keep_list(&self) -> anyhow::Result<Vec<String>> {
        let mut v = self.keep.clone();
        if let Some(f) = &self.keep_file {
            let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            for l in text.lines() {
                let l = l.split('#').next().unwrap_or("");
                v.extend(
                    l.split([':', ' ', '\t', ','])
                        .filter(|w| !w.is_empty())
                        .map(str::to_string),
                );
            }
        }
        Ok(v)
    }

    fn index_cache(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(kfit_kbuild::default_cache_dir)
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

impl Reqs {
    /// The user requirements, fragments first then --require, in order.
    fn requirements(&self) -> anyhow::Result<Vec<kfit_fit::requirements::Requirement>> {
        let mut v = Vec::new();
        for f in &self.fragments {
            v.extend(kfit_fit::requirements::read_fragment(f)?);
        }
        for r in &self.require {
            v.push(kfit_fit::requirements::parse_require(r)?);
        }
        Ok(v)
    }

    fn any(&self) -> bool {
        !(self.profiles.is_empty() && self.require.is_empty() && self.fragments.is_empty())
    }
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

/// The machine package's name: --name, else from the first listing, else
/// the host name.
fn machine_package_name(a: &FitArgs) -> String {
    if let Some(n) = &a.name {
        return n.clone();
    }
    if let Some(l) = a.c.listings.first() {
        return kfit_ix::machine_name(&l.to_string_lossy());
    }
    let host = std::fs::read_to_string(a.c.sysfs_root.join("proc/sys/kernel/hostname")).unwrap_or_default();
    kfit_ix::machine_name(host.trim())
}

/// ix builds its kernels with clang and ld.lld (`t/0/ix.sh`: CC=clang,
/// LD=ld.lld, LLVM tools): the probes run with them, or the fit stops.
fn ix_toolchain(c: &Common) -> anyhow::Result<String> {
    if let Some(cc) = &c.cc {
        return Ok(cc.clone());
    }
    let on_path = |t: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
    };
    let missing: Vec<&str> = ["clang", "ld.lld"].into_iter().filter(|t| !on_path(t)).collect();
    if !missing.is_empty() {
        bail!(
            "ix builds its kernels with clang and ld.lld (LLVM=1), and {} not on PATH: the config's toolchain lines (CC_IS_CLANG, LD_IS_LLD, CLANG_VERSION and what depends on them) would describe another compiler. Install them (Debian: apt-get install clang lld), or pass --cc to choose the compiler the config describes",
            missing.join(" and ") + if missing.len() > 1 { " are" } else { " is" }
        );
    }
    Ok(kfit_kconfig::make_cc(true).to_string())
}

impl FitArgs {
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

fn tree_of(c: &Common) -> anyhow::Result<PathBuf> {
    match &c.tree {
        Some(t) => Ok(t.clone()),
        None => bail!("--tree DIR is required (a kernel source tree, e.g. from scripts/fetch-kernels.sh)"),
    }
}

fn run_pipeline(c: &Common, reqs: &Reqs, base: &Path) -> anyhow::Result<Fit> {
    let tree = tree_of(c)?;
    if !tree.join("Kconfig").is_file() {
        bail!("{}: not a kernel source tree (no Kconfig)", tree.display());
    }
    let opts = FitOptions {
        tree: tree.clone(),
        base: base.to_path_buf(),
        machines: c.machines(),
        load: c.load_options(),
        index_cache: c.index_cache(),
        sysfs_root: c.sysfs_root.clone(),
        trim: c.trim,
        keep: c.keep_list()?,
        loaded_modules: match c.loaded {
            LoadedArg::All => kfit_fit::LoadedModules::All,
            LoadedArg::DeviceDrivers => kfit_fit::LoadedModules::DeviceDrivers,
            LoadedArg::None => kfit_fit::LoadedModules::Ignore,
        },
        profiles: reqs.profiles.clone(),
        requirements: reqs.requirements()?,
        allow_partial: c.allow_partial,
    };
    // Index with a progress bar when it has to be built.
    let progress = crate::out::index_progress();
    let fit = kfit_fit::fit_with(&opts, None, progress.as_deref())?;
    Ok(fit)
}

/// What the user asked for, to start every error message with.
fn fitting(c: &Common) -> String {
    let names: Vec<String> = c.machines().into_iter().map(|m| m.name).collect();
    match &c.tree {
        Some(t) => format!("fitting {} to {}", names.join(", "), t.display()),
        None => format!("fitting {}", names.join(", ")),
    }
}

pub fn run_fit(a: FitArgs) -> anyhow::Result<ExitCode> {
    let what = fitting(&a.c);
    fit_cmd(a).with_context(|| what)
}

fn fit_cmd(mut a: FitArgs) -> anyhow::Result<ExitCode> {
    // ix: the package gives the base config, the source and the toolchain.
    let mut first_line = None;
    let pkg = match a.ix.clone() {
        Some(dir) => {
            let ix = kfit_ix::IxTree::find(dir.as_deref())?;
            let version = match &a.kernel {
                Some(v) => v.clone(),
                None => ix.newest_version()?,
            };
            let pkg = ix.kernel_package(&version)?;
            let ver = pkg.ver_sh()?.clone();
            if !a.in_place {
                a.name = Some(machine_package_name(&a));
            }
            if a.base.is_none() {
                a.base = Some(pkg.base_config_path(a.name.as_deref())?);
            }
            match &a.c.tree {
                Some(t) => {
                    let found = kfit_kconfig::kernel_version(t)
                        .with_context(|| format!("{}: not a kernel source tree", t.display()))?;
                    if !kfit_ix::same_version(&found, &ver.version) {
                        if !a.allow_version_mismatch {
                            return Err(kfit_ix::IxError::VersionMismatch {
                                package: pkg.pkg_path.clone(),
                                wanted: ver.version.clone(),
                                tree: t.clone(),
                                found,
                            }
                            .into());
                        }
                        first_line = Some(format!(
                            "warning: --allow-version-mismatch: {} builds Linux {} (ver.sh) but is fitted on the source of Linux {found} ({})",
                            pkg.pkg_path,
                            ver.version,
                            t.display()
                        ));
                    }
                }
                None => {
                    eprintln!(
                        "kfit: source of Linux {} from {} (sha256 verified, cached)",
                        ver.version, ver.url
                    );
                    let _spin =
                        crate::out::Spinner::new(format!("fetching and unpacking Linux {}", ver.version));
                    a.c.tree = Some(kfit_ix::source_tree(&pkg, &kfit_ix::SourceChoice::VerSh, None)?);
                }
            }
            a.c.cc = Some(ix_toolchain(&a.c)?);
            Some(pkg)
        }
        None => None,
    };
    if let Some(l) = &first_line {
        writeln!(std::io::stdout().lock(), "{l}")?;
    }
    let Some(base) = a.base.clone() else {
        bail!("--base CONFIG is required (the config to start from), or --ix with --kernel");
    };
    if a.ix.is_some() && !a.reqs.profiles.iter().any(|p| p == "ix") {
        a.reqs.profiles.push("ix".into());
    }
    let mut fit = run_pipeline(&a.c, &a.reqs, &base)?;
    let tree = tree_of(&a.c)?;
    let t = std::time::Instant::now();
    let fw = kfit_fit::firmware(&fit, &tree, a.firmware_dir.as_deref())?;
    fit.timings.firmware_ms = t.elapsed().as_millis();
    // CONFIG_EXTRA_FIRMWARE only when a firmware dir says where the files
    // are (it becomes CONFIG_EXTRA_FIRMWARE_DIR); a missing file stays
    // listed so the build fails loudly, and the report names it. Without
    // --firmware-dir the base's value is kept and the list is only printed
    // With --ix never: ix's template owns both (t/1/ix.sh's kconfig_flags)
    // and the names go into the package's firmware list.
    if let (Some(dir), false, None) = (a.firmware_dir.as_deref(), fw.names.is_empty(), &pkg) {
        kfit_fit::set_extra_firmware(&mut fit, &fw.names, Some(dir));
    }
    // Every file is written before anything is printed: a closed stdout
    // (`| head`) ends kfit at its first write, never between two files.
    if let Some(out) = &a.output {
        super::write_atomic(out, &fit.config, true)?;
    }
    // The ix package is written now; what it did is printed after the
    // report (whose first line names the machine), ending with `next:`.
    let mut ix_lines: Vec<u8> = Vec::new();
    if let Some(pkg) = &pkg {
        write_ix(&mut ix_lines, &a, pkg, &fit.config, &fw.names)?;
    }
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if a.json && pkg.is_some() {
        // with --json, stdout is the JSON document: the ix lines go to stderr
        std::io::stderr().lock().write_all(&ix_lines)?;
    }
    if a.json {
        #[derive(serde::Serialize)]
        struct FitDoc<'a> {
            #[serde(flatten)]
            fit: &'a Fit,
            firmware: &'a kfit_fit::FirmwareOutcome,
        }
        crate::out::json(
            &mut o,
            "fit",
            &FitDoc {
                fit: &fit,
                firmware: &fw,
            },
        )?;
    } else {
        print_report(&mut o, &fit, a.verbose)?;
        print_firmware(&mut o, &fw)?;
        if let Some(out) = &a.output {
            writeln!(o, "wrote {}", out.display())?;
        }
        if pkg.is_some() {
            o.write_all(&ix_lines)?;
        } else if a.output.is_none() {
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
    std::mem::forget(fit);
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

/// Write the ix package (machine package by default) and print what changed.
fn write_ix(
    o: &mut dyn Write,
    a: &FitArgs,
    pkg: &kfit_ix::KernelPackage,
    config: &str,
    fw: &[String],
) -> anyhow::Result<()> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let backups = kfit_util::cache_dir(None).join("backups");
    let opts = kfit_ix::WriteOptions {
        new_name: a.name.clone(),
        backup_dir: Some(backups.join(format!("{stamp}-{}", std::process::id()))),
        dry_run: a.dry_run,
    };
    let rep = kfit_ix::write_package(pkg, config, fw, &opts)?;
    for r in &rep.recovered {
        writeln!(o, "repaired: {r}")?;
    }
    write!(o, "{}", rep.diff)?;
    for n in &rep.notes {
        writeln!(o, "note: {n}")?;
    }
    let rel = |p: &Path| p.strip_prefix(&pkg.ix_root).unwrap_or(p).display().to_string();
    let verb = if a.dry_run { "would write" } else { "wrote" };
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
    if let Some(b) = rep.backups.first() {
        let dir = opts.backup_dir.as_deref().unwrap_or(b);
        writeln!(o, "backup of the replaced files: {}", dir.display())?;
    }
    let cmd = kfit_ix::mut_command(pkg, a.name.as_deref());
    writeln!(o, "next: {}", kfit_ix::command_line(&cmd))?;
    if a.apply && !a.dry_run {
        kfit_ix::apply(&cmd)?;
    }
    let _ = kfit_util::prune(&backups, 20, |_| true);
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
                        if s.status == "already_on" && !verbose {
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
            fit.requirements.iter().filter(|r| r.status == "already").count(),
            fit.requirements.iter().filter(|r| r.status == "set").count(),
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
            if s.status == "already_on" && !verbose {
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
        ("system", "== what the system runs on"),
        ("requirement", "== requirements"),
    ] {
        let list: Vec<_> = reqs.iter().filter(|r| r.section == section).collect();
        if list.is_empty() {
            continue;
        }
        writeln!(o, "{title}")?;
        for r in list {
            let tag = match r.status {
                "already" => "ok",
                "set" => "SET",
                _ => "BLOCKED",
            };
            writeln!(o, "{tag:>10}  CONFIG_{}={}", r.symbol, r.want)?;
            if verbose || r.status != "already" || section == "system" {
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
    let what = format!("explaining {} ({})", a.symbol, fitting(&a.c));
    explain_cmd(a).with_context(|| what)
}

fn explain_cmd(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let fit = run_pipeline(&a.c, &a.reqs, &a.base)?;
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
            if s.how == "wanted" {
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
fn audit_requirements(a: &AuditArgs, tree: &Path) -> anyhow::Result<bool> {
    let rep = kfit_fit::requirements::audit_config(
        tree,
        &a.config,
        &a.c.load_options(),
        &a.reqs.profiles,
        &a.reqs.requirements()?,
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
    let tree = tree_of(&a.c)?;
    if a.reqs.any() {
        let ok = audit_requirements(&a, &tree)?;
        // Without listings only the requirements are audited (not /sys).
        if a.c.listings.is_empty() && a.c.machines.is_empty() {
            return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        if !ok {
            let code = run_device_audit(a)?;
            return Ok(if code == ExitCode::SUCCESS {
                ExitCode::from(1)
            } else {
                code
            });
        }
    }
    run_device_audit(a)
}

fn run_device_audit(a: AuditArgs) -> anyhow::Result<ExitCode> {
    let tree = tree_of(&a.c)?;
    let progress = crate::out::index_progress();
    let idx = kfit_kbuild::allow_partial(
        kfit_kbuild::KernelIndex::load_or_build_with(
            &tree,
            &a.c.arch(),
            &a.c.index_cache(),
            progress.as_deref(),
        ),
        a.c.allow_partial,
    )
    .with_context(|| format!("indexing {}", tree.display()))?;
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
        &tree,
        &a.config,
        &a.c.machines(),
        &a.c.load_options(),
        &idx,
        &a.c.sysfs_root,
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
    // ix's review step as its guide gives it today, in a build directory
    // under the cache (O=): the kernel tree is never written.
    if !a.config.is_file() {
        bail!("{}: no such config file", a.config.display());
    }
    if !a.tree.join("Kconfig").is_file() || !a.tree.join("Makefile").is_file() {
        bail!(
            "{}: not a kernel source tree (no Makefile and Kconfig)",
            a.tree.display()
        );
    }
    let key = format!(
        "{}",
        a.config
            .canonicalize()
            .unwrap_or_else(|_| a.config.clone())
            .display()
    );
    let h = kfit_util::fnv64(key.as_bytes());
    let work = kfit_util::cache_dir(None)
        .join("menuconfig")
        .join(format!("{h:016x}"));
    if !a.run {
        let mut o = std::io::stdout().lock();
        write!(o, "{}", kfit_ix::menuconfig_script(&a.config, &a.tree, &work))?;
        o.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let text =
        std::fs::read_to_string(&a.config).with_context(|| format!("reading {}", a.config.display()))?;
    let reviewed = kfit_ix::run_menuconfig(&text, &a.tree, &work)?;
    let w = kfit_util::write_atomic(
        &a.config,
        reviewed.as_bytes(),
        &kfit_util::WriteOptions::default(),
    )?;
    writeln!(
        std::io::stdout().lock(),
        "{}: {}",
        a.config.display(),
        if w.changed {
            "updated from menuconfig"
        } else {
            "unchanged"
        }
    )?;
    Ok(ExitCode::SUCCESS)
}
