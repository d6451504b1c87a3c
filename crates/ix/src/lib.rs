//! kfit-ix: find an ix checkout, its kernel package for a version, fetch and
//! verify the kernel source the package names, write a fitted config and
//! firmware list back into the package safely, and build the `ix` commands
//! the seed guide runs (`ix mut system bin/kernel/...`,
//! `ix run set/menuconfig -- make HOSTCC=cc menuconfig`).
//!
//! Two package layouts are understood, learnt from real ix trees:
//!
//! * **Current** (2024-): `pkgs/bin/kernel/<M>/<m>/ix.sh` extends
//!   `//bin/kernel/t/4/ix.sh`, includes its `ver.sh` (blocks
//!   `kernel_version`, `kernel_sha`, `kernel_url`) and, in block
//!   `kernel_flags`, a shared config `//bin/kernel/configs/cfg_<x>`. The
//!   firmware list is `t/1/fw.sh`, included by `t/1/ix.sh`'s `firmware` block
//!   (which appends `regulatory.*` itself). Package path `bin/kernel/<M>/<m>`.
//! * **Slots2023** (before 2024-01-08): `pkgs/bin/kernel/<M>/<m>/slot/<s>/`
//!   with `cfg` next to `ix.sh`, `<M>/<m>/t/ver.sh` (`url` line and
//!   `sha:<hex>`), and the firmware list inline in `t/1/ix.sh`'s `firmware`
//!   block. Package path `bin/kernel/<M>/<m>/slot/<s>`; the default slot is
//!   the one owning the config of the slot the `<M>/<m>` hub depends on
//!   (`slot/0` uses `slot/1/cfg` → `slot/1`, as in the seed guide).
//!
//! Which files a package uses is never assumed: [`IxTree::kernel_package`]
//! follows the `{% extends %}` chain and takes the first `kernel_flags`
//! block's include as the config, the first `firmware` block as the firmware
//! list (an include → that file; inline → the block itself), and the
//! included `ver.sh`.
//!
//! Writing ([`write_package`]) with `new_name = None` updates the files the
//! package uses in place. With `new_name = Some(n)` the original stays and a
//! new package is made next to it, following the tree's own precedent (the
//! 2023 `slot/vbox`): current layout `bin/kernel/<M>/<m>/<n>/ix.sh` (extends
//! the version's package, includes `//bin/kernel/configs/cfg_<n>` and its own
//! `fw.sh`), 2023 layout `bin/kernel/<M>/<m>/slot/<n>/{ix.sh,cfg,fw.sh}`
//! (extends `slot/1`-style default slot). If that package exists already it
//! is updated in place like any other.

mod source;
mod template;
mod write;

pub use source::{
    debian_source_tarball, default_cache_dir, fetch_source, parse_ver_sh, sha256_file, source_cache_dir,
    source_tree, unpack_source, SourceChoice, VerSh,
};
pub use template::Template;
pub use write::{
    apply, command_line, config_assignments, config_delta, journal_path, menuconfig_command,
    menuconfig_script, mut_command, mut_command_in, run_menuconfig, which_ix, write_package, ConfigDelta,
    WriteOptions, WriteReport,
};

use std::path::{Path, PathBuf};

/// Errors, each naming the path or value involved.
#[derive(Debug, thiserror::Error)]
pub enum IxError {
    #[error("ix not found: pass --ix DIR (an ix checkout with pkgs/bin/kernel) or put `ix` on PATH ({0})")]
    NotFound(String),
    #[error("{0} is not an ix checkout: no pkgs/bin/kernel in it")]
    NotIxTree(PathBuf),
    #[error("bad kernel version {0:?}: expected M.m (6.16), M/m (6/16) or M.m.p")]
    BadVersion(String),
    #[error("no kernel package for {version} in {dir} (available: {available})")]
    NoKernel {
        version: String,
        dir: PathBuf,
        available: String,
    },
    #[error("{path}: {msg}")]
    Template { path: PathBuf, msg: String },
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{0}")]
    Write(String),
    #[error("the package {package} builds Linux {wanted} (its ver.sh), but {tree} is Linux {found}; fit on the source the package builds (leave out --tree: kfit fetches it from ver.sh), or pass --allow-version-mismatch; nothing was written")]
    VersionMismatch {
        package: String,
        wanted: String,
        tree: PathBuf,
        found: String,
    },
    #[error("{path}: cannot read ver.sh: {msg}")]
    BadVerSh { path: PathBuf, msg: String },
    #[error(
        "sha256 mismatch for {what}: ver.sh says {expected}, the file has {actual}; nothing was written"
    )]
    ShaMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("download of {url} failed: {msg}")]
    Download { url: String, msg: String },
    #[error("bad config name {0:?}: use letters, digits, '_' or '-', not a layout word (t, slot, configs, headers, latest)")]
    BadName(String),
    #[error("`ix` is not on PATH; run the printed command yourself")]
    IxNotOnPath,
    #[error("`{cmd}` failed: {msg}")]
    Command { cmd: String, msg: String },
}

pub type Result<T> = std::result::Result<T, IxError>;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IxError + '_ {
    move |err| IxError::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// An ix checkout (the directory holding `pkgs/`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IxTree {
    pub root: PathBuf,
}

/// Kernel package layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Layout {
    /// `pkgs/bin/kernel/<M>/<m>/ix.sh` + `ver.sh` + `configs/cfg_*`.
    Current,
    /// `pkgs/bin/kernel/<M>/<m>/slot/<name>/cfg` (before 2024-01-08).
    Slots2023,
}

/// Where a package's firmware list lives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum FirmwareLocation {
    /// A file included by the `firmware` block (`t/1/fw.sh`). `template_names`
    /// are names the block adds itself (`regulatory.db` ...); they are left
    /// out of the file to avoid duplicates in `CONFIG_EXTRA_FIRMWARE`.
    IncludeFile {
        path: PathBuf,
        block_in: PathBuf,
        template_names: Vec<String>,
    },
    /// The `firmware` block of this template holds the names inline.
    InlineBlock { template: PathBuf },
}

/// Packages sharing a file with another (see [`KernelPackage::shared_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sharing {
    /// Package paths using the same config file.
    pub config: Vec<String>,
    /// Package paths using the same firmware list.
    pub firmware: Vec<String>,
}

/// A kernel package of one version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KernelPackage {
    pub ix_root: PathBuf,
    /// `<ix_root>/pkgs`
    pub pkgs: PathBuf,
    /// `M.m`
    pub version: String,
    /// `pkgs/bin/kernel/<M>/<m>`
    pub version_dir: PathBuf,
    /// The package directory (holds its `ix.sh`).
    pub dir: PathBuf,
    /// `bin/kernel/6/16`, `bin/kernel/6/0/slot/1`
    pub pkg_path: String,
    pub layout: Layout,
    /// The config file the package includes.
    pub config: PathBuf,
    pub firmware: Option<FirmwareLocation>,
    pub ver_path: Option<PathBuf>,
    pub ver: Option<VerSh>,
    /// Named variants next to it (2023 slots; current-layout sub-packages).
    pub variants: Vec<String>,
}

impl IxTree {
    /// The ix checkout: `explicit` if given (the checkout or any directory
    /// inside it above `pkgs`), else the directory of `ix` on PATH (the
    /// seed's `$(dirname $(which ix))`; a symlinked `ix` is also followed).
    pub fn find(explicit: Option<&Path>) -> Result<IxTree> {
        if let Some(dir) = explicit {
            return IxTree::at(dir);
        }
        let Some(ix) = which_ix() else {
            return Err(IxError::NotFound("no `ix` on PATH".into()));
        };
        let mut tried = Vec::new();
        let mut cands = Vec::new();
        if let Some(d) = ix.parent() {
            cands.push(d.to_path_buf());
        }
        if let Ok(real) = std::fs::canonicalize(&ix) {
            if let Some(d) = real.parent() {
                cands.push(d.to_path_buf());
            }
        }
        for c in cands {
            if c.join("pkgs/bin/kernel").is_dir() {
                return Ok(IxTree { root: c });
            }
            tried.push(c.display().to_string());
        }
        Err(IxError::NotFound(format!(
            "`ix` at {} but no pkgs/bin/kernel in {}",
            ix.display(),
            tried.join(", ")
        )))
    }

    /// An ix checkout at `dir`.
    pub fn at(dir: &Path) -> Result<IxTree> {
        if dir.join("pkgs/bin/kernel").is_dir() {
            Ok(IxTree {
                root: dir.to_path_buf(),
            })
        } else if dir.ends_with("pkgs") && dir.join("bin/kernel").is_dir() {
            Ok(IxTree {
                root: dir.parent().unwrap_or(dir).to_path_buf(),
            })
        } else {
            Err(IxError::NotIxTree(dir.to_path_buf()))
        }
    }

    pub fn pkgs(&self) -> PathBuf {
        self.root.join("pkgs")
    }

    fn kernel_dir(&self) -> PathBuf {
        self.pkgs().join("bin/kernel")
    }

    /// Kernel versions with a package (`M.m`, sorted numerically).
    pub fn kernel_versions(&self) -> Vec<String> {
        let mut out: Vec<(u32, u32)> = Vec::new();
        let Ok(majors) = std::fs::read_dir(self.kernel_dir()) else {
            return Vec::new();
        };
        for m in majors.flatten() {
            let Some(maj) = m.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(minors) = std::fs::read_dir(m.path()) else {
                continue;
            };
            for n in minors.flatten() {
                let Some(min) = n.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let p = n.path();
                if p.join("ix.sh").is_file() || p.join("slot").is_dir() {
                    out.push((maj, min));
                }
            }
        }
        out.sort();
        out.into_iter().map(|(a, b)| format!("{a}.{b}")).collect()
    }

    /// The kernel package of `version` (`6.16`, `6/16`, `6.16.11`, or
    /// `latest`: the tree's `latest` file, else the newest package), in
    /// either layout.
    pub fn kernel_package(&self, version: &str) -> Result<KernelPackage> {
        self.kernel_package_variant(version, None)
    }

    /// Like [`kernel_package`](Self::kernel_package), choosing a 2023 slot
    /// or a current-layout named sub-package explicitly.
    pub fn kernel_package_variant(&self, version: &str, variant: Option<&str>) -> Result<KernelPackage> {
        let (maj, min) = self.parse_version(version)?;
        let vdir = self.kernel_dir().join(maj.to_string()).join(min.to_string());
        let ver = format!("{maj}.{min}");
        let layout = if vdir.join("slot").is_dir() {
            Layout::Slots2023
        } else if vdir.join("ix.sh").is_file() {
            Layout::Current
        } else {
            return Err(IxError::NoKernel {
                version: ver,
                dir: self.kernel_dir(),
                available: self.kernel_versions().join(", "),
            });
        };
        let base = match (layout, variant) {
            (Layout::Current, _) => load_package(self, &ver, &vdir, layout, &vdir)?,
            (Layout::Slots2023, Some(v)) => {
                let d = vdir.join("slot").join(v);
                if !d.join("ix.sh").is_file() {
                    return Err(IxError::NoKernel {
                        version: format!("{ver} slot {v}"),
                        dir: vdir.join("slot"),
                        available: list_variants(layout, &vdir).join(", "),
                    });
                }
                return load_package(self, &ver, &vdir, layout, &d);
            }
            (Layout::Slots2023, None) => {
                let d = default_slot(self, &vdir)?;
                load_package(self, &ver, &vdir, layout, &d)?
            }
        };
        match (layout, variant) {
            (Layout::Current, Some(v)) => {
                let d = vdir.join(v);
                if !d.join("ix.sh").is_file() {
                    return Err(IxError::NoKernel {
                        version: format!("{ver} variant {v}"),
                        dir: vdir,
                        available: base.variants.join(", "),
                    });
                }
                load_package(self, &ver, &base.version_dir, layout, &d)
            }
            _ => Ok(base),
        }
    }

    /// Every kernel package of the tree: each version's package and its
    /// named variants (current layout), or each slot (2023 layout).
    /// Packages that fail to resolve are skipped.
    pub fn kernel_packages(&self) -> Vec<KernelPackage> {
        let mut out = Vec::new();
        for v in self.kernel_versions() {
            let Ok(base) = self.kernel_package(&v) else {
                continue;
            };
            let variants = base.variants.clone();
            let layout = base.layout;
            if layout == Layout::Current {
                out.push(base.clone());
            }
            for name in variants {
                if let Ok(p) = self.kernel_package_variant(&v, Some(&name)) {
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
        }
        out
    }

    /// The newest kernel version with a package (`M.m`).
    pub fn newest_version(&self) -> Result<String> {
        self.kernel_versions().pop().ok_or_else(|| IxError::NoKernel {
            version: "any version".into(),
            dir: self.kernel_dir(),
            available: "none".into(),
        })
    }

    fn parse_version(&self, version: &str) -> Result<(u32, u32)> {
        let v = version.trim();
        if v == "latest" {
            // the 2023 layout's `latest` file, else the newest package
            let p = self.kernel_dir().join("latest");
            return match std::fs::read_to_string(&p) {
                Ok(t) => self.parse_version(t.trim()),
                Err(_) => self.parse_version(&self.newest_version()?),
            };
        }
        let v = v.trim_start_matches('v');
        let parts: Vec<&str> = v.split(['.', '/']).collect();
        match parts.as_slice() {
            [a, b] | [a, b, _] => match (a.parse(), b.parse()) {
                (Ok(a), Ok(b)) => Ok((a, b)),
                _ => Err(IxError::BadVersion(version.into())),
            },
            _ => Err(IxError::BadVersion(version.into())),
        }
    }
}

/// 2023 layout: the slot owning the config of the slot the hub depends on.
fn default_slot(ix: &IxTree, vdir: &Path) -> Result<PathBuf> {
    let slots = vdir.join("slot");
    let hub = Template::read(&vdir.join("ix.sh")).ok();
    let mut cands: Vec<PathBuf> = Vec::new();
    if let Some(h) = hub {
        if let Some(body) = h.block_text("run_deps") {
            for line in template::literal_lines(body) {
                let p = ix.pkgs().join(line.trim());
                if p.starts_with(&slots) && p.join("ix.sh").is_file() {
                    cands.push(p);
                }
            }
        }
    }
    for name in ["1", "0"] {
        cands.push(slots.join(name));
    }
    let mut all: Vec<PathBuf> = std::fs::read_dir(&slots)
        .map_err(io_err(&slots))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("ix.sh").is_file())
        .collect();
    all.sort();
    cands.extend(all);
    for c in cands {
        if !c.join("ix.sh").is_file() {
            continue;
        }
        let Ok(chain) = chain(&ix.pkgs(), &c.join("ix.sh")) else {
            continue;
        };
        if let Some(cfg) = find_config(&ix.pkgs(), &chain) {
            // the slot directory that holds the config
            if let Some(owner) = cfg.parent() {
                if owner.starts_with(&slots) && owner.join("ix.sh").is_file() {
                    return Ok(owner.to_path_buf());
                }
            }
            return Ok(c);
        }
    }
    Err(IxError::NoKernel {
        version: vdir.display().to_string(),
        dir: slots,
        available: "no slot with a config".into(),
    })
}

fn list_variants(layout: Layout, vdir: &Path) -> Vec<String> {
    let base = match layout {
        Layout::Slots2023 => vdir.join("slot"),
        Layout::Current => vdir.to_path_buf(),
    };
    let mut v: Vec<String> = std::fs::read_dir(&base)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().join("ix.sh").is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The `{% extends %}` chain from `ix_sh` upward (stops at a missing file).
pub(crate) fn chain(pkgs: &Path, ix_sh: &Path) -> Result<Vec<Template>> {
    let mut out = vec![Template::read(ix_sh).map_err(io_err(ix_sh))?];
    for _ in 0..32 {
        let Some(ext) = out.last().and_then(Template::extends) else {
            break;
        };
        let p = out.last().map(|t| t.resolve(pkgs, &ext)).unwrap_or_default();
        match Template::read(&p) {
            Ok(t) => out.push(t),
            Err(_) => break,
        }
    }
    Ok(out)
}

fn find_config(pkgs: &Path, chain: &[Template]) -> Option<PathBuf> {
    chain.iter().find_map(|t| {
        let body = t.block_text("kernel_flags")?;
        template::includes(body).first().map(|inc| t.resolve(pkgs, inc))
    })
}

fn find_firmware(pkgs: &Path, chain: &[Template]) -> Option<FirmwareLocation> {
    chain.iter().find_map(|t| {
        let body = t.block_text("firmware")?;
        let incs = template::includes(body);
        Some(match incs.first() {
            Some(inc) => FirmwareLocation::IncludeFile {
                path: t.resolve(pkgs, inc),
                block_in: t.path.clone(),
                template_names: template::literal_lines(body),
            },
            None => FirmwareLocation::InlineBlock {
                template: t.path.clone(),
            },
        })
    })
}

fn find_ver(pkgs: &Path, chain: &[Template]) -> Option<PathBuf> {
    chain.iter().find_map(|t| {
        template::includes(&t.text)
            .into_iter()
            .find(|i| i.rsplit('/').next() == Some("ver.sh"))
            .map(|i| t.resolve(pkgs, &i))
    })
}

pub(crate) fn load_package(
    ix: &IxTree,
    version: &str,
    vdir: &Path,
    layout: Layout,
    dir: &Path,
) -> Result<KernelPackage> {
    let pkgs = ix.pkgs();
    let ix_sh = dir.join("ix.sh");
    let ch = chain(&pkgs, &ix_sh)?;
    let config = find_config(&pkgs, &ch).ok_or_else(|| IxError::Template {
        path: ix_sh.clone(),
        msg: "no `kernel_flags` block with an {% include %} of a config in its extends chain".into(),
    })?;
    let firmware = find_firmware(&pkgs, &ch);
    let ver_path = find_ver(&pkgs, &ch);
    let ver = match &ver_path {
        Some(p) if p.is_file() => Some(parse_ver_sh(p)?),
        _ => None,
    };
    let pkg_path = dir
        .strip_prefix(&pkgs)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| dir.display().to_string());
    Ok(KernelPackage {
        ix_root: ix.root.clone(),
        pkgs,
        version: version.to_string(),
        version_dir: vdir.to_path_buf(),
        dir: dir.to_path_buf(),
        pkg_path,
        layout,
        config,
        firmware,
        ver_path,
        ver,
        variants: list_variants(layout, vdir),
    })
}

/// Names a new config may not take (layout directories).
const RESERVED: &[&str] = &["t", "slot", "configs", "headers", "latest"];

pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with('-')
        && !RESERVED.contains(&name);
    if ok {
        Ok(())
    } else {
        Err(IxError::BadName(name.into()))
    }
}

impl KernelPackage {
    /// The directory of the package named `name` next to this one.
    pub fn variant_dir(&self, name: &str) -> PathBuf {
        match self.layout {
            Layout::Current => self.version_dir.join(name),
            Layout::Slots2023 => self.version_dir.join("slot").join(name),
        }
    }

    /// The package path for `ix mut` (`bin/kernel/6/16`,
    /// `bin/kernel/6/16/<name>`, `bin/kernel/6/0/slot/<name>`).
    pub fn package_path(&self, new_name: Option<&str>) -> String {
        match new_name {
            None => self.pkg_path.clone(),
            Some(n) => self
                .variant_dir(n)
                .strip_prefix(&self.pkgs)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| n.to_string()),
        }
    }

    /// The existing package `name` next to this one, if any.
    pub fn variant(&self, name: &str) -> Result<Option<KernelPackage>> {
        check_name(name)?;
        let d = self.variant_dir(name);
        if !d.join("ix.sh").is_file() {
            return Ok(None);
        }
        let ix = IxTree {
            root: self.ix_root.clone(),
        };
        load_package(&ix, &self.version, &self.version_dir, self.layout, &d).map(Some)
    }

    /// Where the config is (`None`) or will be written for `new_name`:
    /// the existing variant's config, else `configs/cfg_<name>` (current) or
    /// `slot/<name>/cfg` (2023).
    pub fn config_path(&self, new_name: Option<&str>) -> Result<PathBuf> {
        let Some(n) = new_name else {
            return Ok(self.config.clone());
        };
        if let Some(v) = self.variant(n)? {
            return Ok(v.config);
        }
        // a machine package keeps its config next to its ix.sh
        Ok(self.variant_dir(n).join("cfg"))
    }

    /// The config to start a fit from: the named variant's, if it exists,
    /// else this package's.
    pub fn base_config_path(&self, new_name: Option<&str>) -> Result<PathBuf> {
        let p = self.config_path(new_name)?;
        Ok(if p.is_file() { p } else { self.config.clone() })
    }

    /// The firmware list file (or template with the inline block) that a
    /// write for `new_name` updates.
    pub fn firmware_list_path(&self, new_name: Option<&str>) -> Result<Option<PathBuf>> {
        let loc = match new_name {
            None => self.firmware.clone(),
            Some(n) => match self.variant(n)? {
                Some(v) => v.firmware,
                None => {
                    return Ok(Some(self.variant_dir(n).join("fw.sh")));
                }
            },
        };
        Ok(loc.map(|l| match l {
            FirmwareLocation::IncludeFile { path, .. } => path,
            FirmwareLocation::InlineBlock { template } => template,
        }))
    }

    /// Other packages of the tree that use this package's config file and
    /// firmware list (current layout: `configs/cfg_6_16` serves several
    /// versions, `t/1/fw.sh` every kernel).
    pub fn shared_with(&self) -> Sharing {
        let ix = IxTree {
            root: self.ix_root.clone(),
        };
        let fw_path = |p: &KernelPackage| match &p.firmware {
            Some(FirmwareLocation::IncludeFile { path, .. }) => Some(path.clone()),
            Some(FirmwareLocation::InlineBlock { template }) => Some(template.clone()),
            None => None,
        };
        let mine = fw_path(self);
        let mut sh = Sharing::default();
        for p in ix.kernel_packages() {
            if p.dir == self.dir {
                continue;
            }
            if p.config == self.config {
                sh.config.push(p.pkg_path.clone());
            }
            if mine.is_some() && fw_path(&p) == mine {
                sh.firmware.push(p.pkg_path.clone());
            }
        }
        sh
    }

    /// The kernel tarball URL and sha256, or an error naming the package.
    pub fn ver_sh(&self) -> Result<&VerSh> {
        self.ver.as_ref().ok_or_else(|| IxError::Template {
            path: self.dir.join("ix.sh"),
            msg: "no ver.sh included in the extends chain".into(),
        })
    }
}

/// A package name for a machine from a hint (a listing's file name, a host
/// name): letters, digits, `_` and `-`, at most 40 characters, never a
/// layout word; `machine` when nothing is left.
pub fn machine_name(hint: &str) -> String {
    let stem = Path::new(hint)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| hint.to_string());
    let stem = stem.split('.').next().unwrap_or("").to_string();
    let mut s: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s = s.trim_matches(['_', '-']).to_string();
    s.truncate(40);
    if s.is_empty() || check_name(&s).is_err() {
        s = format!("machine_{s}").trim_end_matches('_').to_string();
        if check_name(&s).is_err() {
            s = "machine".into();
        }
    }
    s
}

/// Kernel versions are the same release: equal `M.m.p` numbers (a missing
/// patch level is 0; anything after the numbers, like Debian's
/// EXTRAVERSION, is ignored).
pub fn same_version(a: &str, b: &str) -> bool {
    fn nums(v: &str) -> Vec<u32> {
        let mut n: Vec<u32> = v
            .trim()
            .trim_start_matches('v')
            .split('.')
            .take(3)
            .map_while(|p| {
                let d: String = p.chars().take_while(char::is_ascii_digit).collect();
                d.parse().ok()
            })
            .collect();
        while n.len() < 3 {
            n.push(0);
        }
        n
    }
    nums(a) == nums(b)
}
