//! One `kfit fit` job, from the resolved request to the files written: the
//! ix package (found, its `ver.sh` version checked against the tree, its
//! source fetched, ix's toolchain), the pipeline ([`fit_with`]), the
//! firmware stage and its policy (`CONFIG_EXTRA_FIRMWARE`), the `-o` write
//! and the ix write (`ix mut`, backups under the cache).
//!
//! The CLI turns its arguments into a [`Request`] (what the user asked,
//! typed; nothing looked up yet), calls [`prepare`] then
//! [`Prepared::run`], and prints the [`Outcome`]. `kfit explain` and `kfit
//! audit` share the [`Inputs`] part.

use crate::requirements::{self, Requirement};
use crate::{Error, FirmwareOutcome, Fit, FitOptions, LoadedModules, MachineInput};
use kfit_ix::{KernelPackage, WriteReport};
use kfit_kconfig::LoadOptions;
use std::path::{Path, PathBuf};

/// The kernel, the machines and what they need: the part of a request
/// `kfit fit`, `kfit explain` and `kfit audit` share.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The machines (the first one's listings name the ix machine package).
    pub machines: Vec<MachineInput>,
    /// Kernel source tree (`--tree`); with ix, from the package's ver.sh
    /// when absent.
    pub tree: Option<PathBuf>,
    /// The toolchain of the probes (`--cc`, `--llvm`, `--cross-compile`,
    /// `CROSS_COMPILE`/`LLVM` from the environment).
    pub toolchain: kfit_kconfig::Toolchain,
    /// The architecture (`--arch`) [default: `$ARCH`, else the running
    /// machine's, [`kfit_kconfig::Arch::make_default`]].
    pub arch: Option<kfit_kconfig::Arch>,
    /// The root of every cache of the run (`--cache-dir`): the index, the
    /// Kconfig model and probes, downloaded sources, ix backups and
    /// menuconfig build directories [default: [`kfit_util::cache_dir`]].
    pub cache_dir: Option<PathBuf>,
    /// Root of the live machine's filesystem (for machines without listings).
    pub sysfs_root: PathBuf,
    /// Go on with an incomplete index.
    pub allow_partial: bool,
    /// Turn off every device driver of the base no device needs.
    pub trim: bool,
    /// Never turned off (`--keep`).
    pub keep: Vec<String>,
    /// A file of keep entries (`--keep-file`: one per line or separated by
    /// `:` like LMC_KEEP; `#` starts a comment).
    pub keep_file: Option<PathBuf>,
    /// Which loaded modules of the listings become goals.
    pub loaded_modules: LoadedModules,
    /// Requirement profiles (`--profile`).
    pub profiles: Vec<String>,
    /// `--require SYMBOL[=VALUE]` arguments.
    pub require: Vec<String>,
    /// merge_config.sh fragments (`--fragment`).
    pub fragments: Vec<PathBuf>,
}

impl Inputs {
    /// The tree; an error when none was given.
    pub fn tree(&self) -> Result<&Path, Error> {
        self.tree.as_deref().ok_or(Error::NoTree)
    }

    /// Kconfig load options: the toolchain; the arch; the caches under
    /// [`Inputs::cache_root`].
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            toolchain: self.toolchain.clone(),
            arch: self.arch(),
            ..Default::default()
        }
        .cache_in(&self.cache_root())
    }

    /// The root of every cache: `cache_dir`, else [`kfit_util::cache_dir`].
    pub fn cache_root(&self) -> PathBuf {
        kfit_util::cache_dir(self.cache_dir.as_deref())
    }

    /// `arch`, else `$ARCH`, else the running machine's.
    pub fn arch(&self) -> kfit_kconfig::Arch {
        self.arch.clone().unwrap_or_else(kfit_kconfig::Arch::make_default)
    }

    /// The index cache directory ([`kfit_kbuild::index_cache_dir`]).
    pub fn index_cache(&self) -> PathBuf {
        kfit_kbuild::index_cache_dir(self.cache_dir.as_deref())
    }

    /// `keep` and the entries of `keep_file`.
    pub fn keep_list(&self) -> Result<Vec<String>, Error> {
        let mut v = self.keep.clone();
        if let Some(f) = &self.keep_file {
            let text = std::fs::read_to_string(f).map_err(|e| Error::Read(f.clone(), e))?;
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

    /// The user requirements: fragments first, then `--require`, in order.
    pub fn requirements(&self) -> Result<Vec<Requirement>, Error> {
        let mut v = Vec::new();
        for f in &self.fragments {
            v.extend(requirements::read_fragment(f)?);
        }
        for r in &self.require {
            v.push(requirements::parse_require(r)?);
        }
        Ok(v)
    }

    /// Whether any requirement (profile, `--require`, fragment) was asked for.
    pub fn any_requirement(&self) -> bool {
        !(self.profiles.is_empty() && self.require.is_empty() && self.fragments.is_empty())
    }

    /// The pipeline's options with `base`: the tree checked, the keep file
    /// and the requirements read.
    pub fn fit_options(&self, base: &Path) -> Result<FitOptions, Error> {
        let tree = self.tree()?;
        if !tree.join("Kconfig").is_file() {
            return Err(Error::NotATree(tree.to_path_buf()));
        }
        Ok(FitOptions {
            tree: tree.to_path_buf(),
            base: base.to_path_buf(),
            machines: self.machines.clone(),
            load: self.load_options(),
            index_cache: self.index_cache(),
            sysfs_root: self.sysfs_root.clone(),
            trim: self.trim,
            keep: self.keep_list()?,
            loaded_modules: self.loaded_modules,
            profiles: self.profiles.clone(),
            requirements: self.requirements()?,
            allow_partial: self.allow_partial,
        })
    }

    /// The tree's index ([`load_index`]).
    pub fn index(
        &self,
        progress: Option<kfit_kbuild::ProgressFn>,
    ) -> Result<kfit_kbuild::KernelIndex, Error> {
        load_index(
            self.tree()?,
            &self.arch(),
            &self.index_cache(),
            self.allow_partial,
            progress,
        )
    }

    /// The pipeline on these inputs and `base` (`kfit explain`, and `kfit
    /// fit` through [`Prepared::run`]).
    pub fn fit(&self, base: &Path, progress: Option<kfit_kbuild::ProgressFn>) -> Result<Fit, Error> {
        crate::fit_with(&self.fit_options(base)?, None, progress)
    }
}

/// The index of `tree` for `arch`, loaded from the cache directory `cache`
/// or built and cached there; incomplete only with `allow_partial`.
pub fn load_index(
    tree: &Path,
    arch: &kfit_kconfig::Arch,
    cache: &Path,
    allow_partial: bool,
    progress: Option<kfit_kbuild::ProgressFn>,
) -> Result<kfit_kbuild::KernelIndex, Error> {
    kfit_kbuild::allow_partial(
        kfit_kbuild::KernelIndex::load_or_build_with(tree, arch, cache, progress),
        allow_partial,
    )
    .map_err(|e| Error::Indexing(tree.to_path_buf(), e))
}

/// Everything a `kfit fit` asks for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Kernel, machines, requirements.
    pub inputs: Inputs,
    /// Base config (`--base`); with ix, the package's when absent.
    pub base: Option<PathBuf>,
    /// Where to write the fitted config (the existing file kept as `OUT.old`).
    pub output: Option<PathBuf>,
    /// A linux-firmware tree to check the firmware against.
    pub firmware_dir: Option<PathBuf>,
    /// Write an ix kernel package.
    pub ix: Option<IxRequest>,
}

/// The ix part of a [`Request`] (`--ix`).
#[derive(Debug, Clone, Default)]
pub struct IxRequest {
    /// The ix checkout; `None`: the checkout of the `ix` on PATH.
    pub checkout: Option<PathBuf>,
    /// Kernel package (`7.1`, `7/1`); `None`: the newest.
    pub kernel: Option<String>,
    /// Which package is written.
    pub target: IxTarget,
    /// Fit with a tree of another version than the package's ver.sh.
    pub allow_version_mismatch: bool,
    /// Run the `ix mut` command.
    pub apply: bool,
    /// Compute the changes, write nothing.
    pub dry_run: bool,
}

/// Which package an ix job writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IxTarget {
    /// A machine package next to the stock one: this name, else one from
    /// the first listing's file name, else from the host name.
    MachinePackage(Option<String>),
    /// The stock package's own files, edited in place.
    InPlace,
}

impl Default for IxTarget {
    fn default() -> Self {
        IxTarget::MachinePackage(None)
    }
}

/// A request with the ix package found, the source tree, the base config
/// and the compiler settled ([`prepare`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    request: Request,
    /// A line the report starts with (`--allow-version-mismatch` in use).
    pub notice: Option<String>,
    ix: Option<IxJob>,
}

#[derive(Debug, Clone)]
struct IxJob {
    package: KernelPackage,
    /// The machine package's name (`None`: in place).
    name: Option<String>,
    /// The cache root (backups go to its `backups/`).
    cache: PathBuf,
    apply: bool,
    dry_run: bool,
}

/// What a job did.
#[derive(Debug)]
pub struct Outcome {
    /// The fit (its `config` the text written).
    pub fit: Fit,
    /// The firmware stage.
    pub firmware: FirmwareOutcome,
    /// The ix package written.
    pub ix: Option<IxOutcome>,
}

/// What the ix write did.
#[derive(Debug)]
pub struct IxOutcome {
    /// The stock package of the version.
    pub package: KernelPackage,
    /// What was (or, with `dry_run`, would be) written.
    pub report: WriteReport,
    /// Where the replaced files were backed up.
    pub backup_dir: PathBuf,
    /// The `ix mut` command that puts the written package in the realm
    /// (run already when the request said `apply`).
    pub mut_command: Vec<String>,
    /// Nothing was written.
    pub dry_run: bool,
}

/// Settles the ix side of `req`: the checkout and the package, the machine
/// package's name, the base config (the package's), the source tree (a
/// `--tree` must be the version the package builds, else the package's
/// ver.sh is fetched, verified and cached) and the compiler (ix's clang +
/// ld.lld). `fetching` is called (with the ver.sh) just before a download
/// and what it returns is dropped when the source is ready. Without ix,
/// `req` is only carried over.
pub fn prepare<G>(mut req: Request, fetching: impl FnOnce(&kfit_ix::VerSh) -> G) -> Result<Prepared, Error> {
    let Some(ixr) = req.ix.clone() else {
        return Ok(Prepared {
            request: req,
            notice: None,
            ix: None,
        });
    };
    let mut notice = None;
    let ix = kfit_ix::IxTree::find(ixr.checkout.as_deref())?;
    let version = match &ixr.kernel {
        Some(v) => v.clone(),
        None => ix.newest_version()?,
    };
    let pkg = ix.kernel_package(&version)?;
    let ver = pkg.ver_sh()?.clone();
    let name = match &ixr.target {
        IxTarget::InPlace => None,
        IxTarget::MachinePackage(n) => Some(n.clone().unwrap_or_else(|| machine_package_name(&req.inputs))),
    };
    if req.base.is_none() {
        req.base = Some(pkg.base_config_path(name.as_deref())?);
    }
    match &req.inputs.tree {
        Some(t) => {
            let found = kfit_kconfig::kernel_version(t).map_err(|e| Error::TreeVersion(t.clone(), e))?;
            if !kfit_ix::same_version(&found, &ver.version) {
                if !ixr.allow_version_mismatch {
                    return Err(kfit_ix::IxError::VersionMismatch {
                        package: pkg.pkg_path.clone(),
                        wanted: ver.version.clone(),
                        tree: t.clone(),
                        found,
                    }
                    .into());
                }
                notice = Some(format!(
                    "warning: --allow-version-mismatch: {} builds Linux {} (ver.sh) but is fitted on the source of Linux {found} ({})",
                    pkg.pkg_path,
                    ver.version,
                    t.display()
                ));
            }
        }
        None => {
            let shown = fetching(&ver);
            let src = kfit_ix::source_cache_dir(&req.inputs.cache_root());
            req.inputs.tree = Some(kfit_ix::source_tree(
                &pkg,
                &kfit_ix::SourceChoice::VerSh,
                Some(&src),
            )?);
            drop(shown);
        }
    }
    req.inputs.toolchain = ix_toolchain(&req.inputs.toolchain)?;
    if !req.inputs.profiles.iter().any(|p| p == "ix") {
        req.inputs.profiles.push("ix".into());
    }
    let cache = req.inputs.cache_root();
    Ok(Prepared {
        request: req,
        notice,
        ix: Some(IxJob {
            package: pkg,
            name,
            cache,
            apply: ixr.apply,
            dry_run: ixr.dry_run,
        }),
    })
}

/// The machine package's name from the first listing's file name, else
/// from the host name.
fn machine_package_name(inputs: &Inputs) -> String {
    if let Some(l) = inputs.machines.first().and_then(|m| m.listings.first()) {
        return kfit_ix::machine_name(&l.to_string_lossy());
    }
    let host =
        std::fs::read_to_string(inputs.sysfs_root.join("proc/sys/kernel/hostname")).unwrap_or_default();
    kfit_ix::machine_name(host.trim())
}

/// ix builds its kernels with clang and ld.lld (`t/0/ix.sh`: CC=clang,
/// LD=ld.lld, LLVM tools): the probes run with them (or the compiler the
/// user named), or the fit stops.
fn ix_toolchain(tc: &kfit_kconfig::Toolchain) -> Result<kfit_kconfig::Toolchain, Error> {
    if tc.cc.is_some() || tc.is_llvm() {
        return Ok(tc.clone());
    }
    let on_path = |t: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
    };
    let missing: Vec<&str> = ["clang", "ld.lld"].into_iter().filter(|t| !on_path(t)).collect();
    if !missing.is_empty() {
        return Err(Error::IxToolchain(
            missing.join(" and ") + if missing.len() > 1 { " are" } else { " is" },
        ));
    }
    Ok(kfit_kconfig::Toolchain {
        llvm: Some("1".into()),
        ..tc.clone()
    })
}

impl Prepared {
    /// The request as settled (tree, base, compiler, profiles).
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Runs the job: the pipeline, the firmware stage, then every write
    /// (`-o`, the ix package, `ix mut` when asked), all before the caller
    /// prints anything.
    pub fn run(self, progress: Option<kfit_kbuild::ProgressFn>) -> Result<Outcome, Error> {
        let req = &self.request;
        let Some(base) = req.base.as_deref() else {
            return Err(Error::NoBase);
        };
        let mut fit = req.inputs.fit(base, progress)?;
        let tree = req.inputs.tree()?;
        let t = std::time::Instant::now();
        let fw = crate::firmware(&fit, tree, req.firmware_dir.as_deref())?;
        fit.timings.firmware_ms = t.elapsed().as_millis();
        // CONFIG_EXTRA_FIRMWARE only when a firmware dir says where the
        // files are (it becomes CONFIG_EXTRA_FIRMWARE_DIR); a missing file
        // stays listed so the build fails loudly, and the report names it.
        // Without a firmware dir the base's value is kept and the list is
        // only reported. With ix never: ix's template owns both (t/1/ix.sh's
        // kconfig_flags) and the names go into the package's firmware list.
        if let (Some(dir), false, None) = (req.firmware_dir.as_deref(), fw.names.is_empty(), &self.ix) {
            crate::set_extra_firmware(&mut fit, &fw.names, Some(dir));
        }
        if let Some(out) = &req.output {
            kfit_util::write_text(out, &fit.config, true)?;
        }
        let ix = match &self.ix {
            Some(job) => Some(write_ix(job, &fit.config, &fw.names)?),
            None => None,
        };
        Ok(Outcome {
            fit,
            firmware: fw,
            ix,
        })
    }
}

/// Writes the ix package (backups under the cache's `backups/`, the 20
/// newest kept) and runs `ix mut` when asked.
fn write_ix(job: &IxJob, config: &str, fw: &[String]) -> Result<IxOutcome, Error> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let backups = job.cache.join("backups");
    let backup_dir = backups.join(format!("{stamp}-{}", std::process::id()));
    let opts = kfit_ix::WriteOptions {
        new_name: job.name.clone(),
        backup_dir: Some(backup_dir.clone()),
        dry_run: job.dry_run,
    };
    let report = kfit_ix::write_package(&job.package, config, fw, &opts)?;
    let mut_command = kfit_ix::mut_command(&job.package, job.name.as_deref());
    if job.apply && !job.dry_run {
        kfit_ix::apply(&mut_command)?;
    }
    let _ = kfit_util::prune(&backups, 20, |_| true);
    Ok(IxOutcome {
        package: job.package.clone(),
        report,
        backup_dir,
        mut_command,
        dry_run: job.dry_run,
    })
}

/// ix's review step on a fitted config (`kfit menuconfig`), as ix's guide
/// gives it today, in a build directory under the cache (`O=`, one per
/// config): the kernel tree is never written.
#[derive(Debug, Clone)]
pub struct Review {
    config: PathBuf,
    tree: PathBuf,
    work: PathBuf,
}

impl Review {
    /// The review of `config` on the source `tree` (both checked), its
    /// build directory under `cache`'s `menuconfig/` (`--cache-dir`; `None`:
    /// [`kfit_util::cache_dir`]'s default).
    pub fn new(config: &Path, tree: &Path, cache: Option<&Path>) -> Result<Review, Error> {
        if !config.is_file() {
            return Err(Error::NoConfig(config.to_path_buf()));
        }
        if !tree.join("Kconfig").is_file() || !tree.join("Makefile").is_file() {
            return Err(Error::NotASourceTree(tree.to_path_buf()));
        }
        let key = format!(
            "{}",
            config
                .canonicalize()
                .unwrap_or_else(|_| config.to_path_buf())
                .display()
        );
        let h = kfit_util::stable_hash(key.as_bytes());
        Ok(Review {
            config: config.to_path_buf(),
            tree: tree.to_path_buf(),
            work: kfit_util::cache_dir(cache)
                .join("menuconfig")
                .join(format!("{h:016x}")),
        })
    }

    /// The commands, as a script to run by hand.
    pub fn script(&self) -> String {
        kfit_ix::menuconfig_script(&self.config, &self.tree, &self.work)
    }

    /// Runs them and writes the reviewed config back; whether it changed.
    pub fn run(&self) -> Result<bool, Error> {
        let text = std::fs::read_to_string(&self.config).map_err(|e| Error::Read(self.config.clone(), e))?;
        let reviewed = kfit_ix::run_menuconfig(&text, &self.tree, &self.work)?;
        let w = kfit_util::write_atomic(
            &self.config,
            reviewed.as_bytes(),
            &kfit_util::WriteOptions::default(),
        )?;
        Ok(w.changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_file_entries_follow_the_keep_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("keep");
        std::fs::write(&f, "drivers/usb/serial:E1000 # a comment\nIWLWIFI,  r8169\n").unwrap();
        let inputs = Inputs {
            keep: vec!["SND".into()],
            keep_file: Some(f),
            ..Default::default()
        };
        assert_eq!(
            inputs.keep_list().unwrap(),
            ["SND", "drivers/usb/serial", "E1000", "IWLWIFI", "r8169"]
        );
    }

    #[test]
    fn without_ix_a_request_is_carried_over_and_needs_a_tree_and_a_base() {
        let req = Request {
            inputs: Inputs {
                tree: Some("/nonexistent".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let job = prepare(req, |_| ()).unwrap();
        assert!(job.notice.is_none());
        assert_eq!(job.request().inputs.toolchain, kfit_kconfig::Toolchain::gcc());
        let e = job.run(None).unwrap_err();
        assert!(matches!(e, Error::NoBase), "{e}");
        let e = Inputs::default().fit_options(Path::new("base")).unwrap_err();
        assert!(matches!(e, Error::NoTree), "{e}");
        let e = Inputs {
            tree: Some("/nonexistent".into()),
            ..Default::default()
        }
        .fit_options(Path::new("base"))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/nonexistent: not a kernel source tree (no Kconfig)"
        );
    }
}
