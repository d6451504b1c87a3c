//! Writing a fitted config and firmware list into an ix tree, atomically and
//! with backups, plus the `ix` commands around it.
//!
//! Guarantees of [`write_package`]:
//! * every file is replaced by write-to-temp (`.<name>.kfit-tmp` in the same
//!   directory, fsynced) + `rename`, so a reader sees the old or the new
//!   file, never a mix;
//! * a file whose new content equals the old is not touched (a second run
//!   with the same input changes nothing, not even backups);
//! * with `backup`, the replaced content of each changed file is kept in
//!   `<file>.kfit.bak` (overwritten by later changing runs: it always holds
//!   the state before the latest kfit write);
//! * any failure rolls back: renamed files get their old content back, new
//!   files, temps, new backups and new directories are removed; the error
//!   names the path. The tree is then byte-identical to before.

use crate::template::Template;
use crate::{check_name, io_err, FirmwareLocation, IxError, KernelPackage, Layout, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The filesystem operations a write uses, so tests can inject failures.
pub trait FsOps {
    /// Create/truncate `path`, write `data`, fsync.
    fn write(&self, path: &Path, data: &[u8]) -> std::io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()>;
    fn remove_file(&self, path: &Path) -> std::io::Result<()>;
    fn create_dir(&self, path: &Path) -> std::io::Result<()>;
    fn remove_dir(&self, path: &Path) -> std::io::Result<()>;
}

/// The real filesystem.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl FsOps for RealFs {
    fn write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(data)?;
        f.sync_all()
    }
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::rename(from, to)?;
        if let Some(d) = to.parent() {
            // make the rename durable; not fatal where dirs cannot be opened
            if let Ok(f) = std::fs::File::open(d) {
                let _ = f.sync_all();
            }
        }
        Ok(())
    }
    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)
    }
    fn create_dir(&self, path: &Path) -> std::io::Result<()> {
        std::fs::create_dir(path)
    }
    fn remove_dir(&self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_dir(path)
    }
}

/// Options of [`write_package`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Write a new package `name` next to the original (which stays
    /// untouched) instead of updating the package in place.
    pub new_name: Option<String>,
    /// Keep `<file>.kfit.bak` of every replaced file.
    pub backup: bool,
    /// Compute the changes and the diff, write nothing.
    pub dry_run: bool,
}

/// What [`write_package`] did (or would do, with `dry_run`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WriteReport {
    /// Package path for `ix mut` (`bin/kernel/6/16`, `bin/kernel/6/0/slot/1`).
    pub package_path: String,
    pub config_path: PathBuf,
    /// The firmware list file, or the template holding the inline block.
    pub firmware_path: Option<PathBuf>,
    /// Files modified or created.
    pub changed: Vec<PathBuf>,
    /// The subset of `changed` that did not exist before.
    pub created: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
    /// Unified diff of all changes (paths relative to the ix checkout).
    pub diff: String,
    pub notes: Vec<String>,
    pub dry_run: bool,
}

impl WriteReport {
    pub fn is_unchanged(&self) -> bool {
        self.changed.is_empty()
    }
}

struct Change {
    path: PathBuf,
    old: Option<Vec<u8>>,
    new: Vec<u8>,
}

/// Write `new_config_text` and `firmware_list` into the package, see the
/// module docs for the guarantees and [`crate`] docs for which files.
pub fn write_package(
    pkg: &KernelPackage,
    new_config_text: &str,
    firmware_list: &[String],
    opts: &WriteOptions,
) -> Result<WriteReport> {
    write_package_with(&RealFs, pkg, new_config_text, firmware_list, opts)
}

/// [`write_package`] over an explicit [`FsOps`] (failure injection).
pub fn write_package_with(
    fs: &dyn FsOps,
    pkg: &KernelPackage,
    new_config_text: &str,
    firmware_list: &[String],
    opts: &WriteOptions,
) -> Result<WriteReport> {
    let mut report = WriteReport {
        dry_run: opts.dry_run,
        ..WriteReport::default()
    };
    let mut cfg_text = new_config_text.to_string();
    if !cfg_text.is_empty() && !cfg_text.ends_with('\n') {
        cfg_text.push('\n');
    }
    let mut wanted: Vec<(PathBuf, Vec<u8>)> = Vec::new();

    let target = match &opts.new_name {
        None => Some(pkg.clone()),
        Some(n) => {
            check_name(n)?;
            pkg.variant(n)?
        }
    };
    if let Some(t) = &target {
        let sh = t.shared_with();
        if !sh.config.is_empty() {
            report.notes.push(format!(
                "{} is also the config of {}; use a new config name to change only {}",
                rel(pkg, &t.config),
                sh.config.join(", "),
                t.pkg_path
            ));
        }
        if !sh.firmware.is_empty() {
            report.notes.push(format!(
                "the firmware list is shared with {}",
                sh.firmware.join(", ")
            ));
        }
        report.package_path = t.pkg_path.clone();
        report.config_path = t.config.clone();
        wanted.push((t.config.clone(), cfg_text.into_bytes()));
        match &t.firmware {
            Some(FirmwareLocation::IncludeFile {
                path,
                template_names,
                block_in,
            }) => {
                let names: Vec<String> = firmware_list
                    .iter()
                    .filter(|n| !template_names.contains(&n.trim().to_string()))
                    .cloned()
                    .collect();
                if names.len() != firmware_list.len() {
                    report.notes.push(format!(
                        "left out of {}: {} (already listed by the firmware block of {})",
                        rel(pkg, path),
                        template_names.join(" "),
                        rel(pkg, block_in)
                    ));
                }
                report.firmware_path = Some(path.clone());
                wanted.push((path.clone(), render_list(&names).into_bytes()));
            }
            Some(FirmwareLocation::InlineBlock { template }) => {
                let t = Template::read(template).map_err(io_err(template))?;
                let span = t.block("firmware").ok_or_else(|| IxError::Template {
                    path: template.clone(),
                    msg: "firmware block vanished".into(),
                })?;
                let mut text = String::new();
                text.push_str(&t.text[..span.body_start]);
                text.push('\n');
                text.push_str(&render_list(firmware_list));
                text.push_str(&t.text[span.body_end..]);
                report.firmware_path = Some(template.clone());
                wanted.push((template.clone(), text.into_bytes()));
            }
            None => report.notes.push(format!(
                "{} has no firmware block in its extends chain: firmware list not written",
                t.pkg_path
            )),
        }
    } else if let Some(n) = &opts.new_name {
        let dir = pkg.variant_dir(n);
        let cfg = pkg.config_path(Some(n))?;
        // Never adopt files that are not ours (configs/cfg_6_14 is 6.14's).
        for p in [&cfg, &dir] {
            if p.exists() {
                return Err(IxError::Template {
                    path: p.clone(),
                    msg: format!("exists but is not part of a package {n}; choose another config name"),
                });
            }
        }
        let fw = dir.join("fw.sh");
        report.package_path = pkg.package_path(Some(n));
        report.config_path = cfg.clone();
        report.firmware_path = Some(fw.clone());
        wanted.push((cfg.clone(), cfg_text.into_bytes()));
        wanted.push((fw, render_list(firmware_list).into_bytes()));
        wanted.push((dir.join("ix.sh"), new_package_ix_sh(pkg, n, &cfg)?.into_bytes()));
    }

    // Plan: compare with what is on disk. A symlinked file is written
    // through (its target is replaced, the link stays).
    let mut changes = Vec::new();
    for (path, new) in wanted {
        let path = match std::fs::symlink_metadata(&path) {
            Ok(md) if md.file_type().is_symlink() => std::fs::canonicalize(&path).map_err(io_err(&path))?,
            _ => path,
        };
        let old = match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(IxError::Io { path, source: e }),
        };
        if old.as_deref() == Some(&new[..]) {
            continue;
        }
        changes.push(Change { path, old, new });
    }
    for c in &changes {
        report.diff.push_str(&unified(pkg, c));
        report.changed.push(c.path.clone());
        if c.old.is_none() {
            report.created.push(c.path.clone());
        } else if opts.backup {
            report.backups.push(backup_path(&c.path));
        }
    }
    if opts.dry_run || changes.is_empty() {
        if !opts.dry_run {
            report.backups.clear();
        }
        return Ok(report);
    }
    commit(fs, &changes, opts.backup)?;
    Ok(report)
}

/// `<file>.kfit.bak`
fn backup_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".kfit.bak");
    PathBuf::from(s)
}

fn temp_path(p: &Path) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    p.with_file_name(format!(".{name}.kfit-tmp-{}", std::process::id()))
}

fn rel(pkg: &KernelPackage, p: &Path) -> String {
    p.strip_prefix(&pkg.ix_root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// One name per line, newline-terminated, trimmed, duplicates removed.
fn render_list(names: &[String]) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut s = String::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if seen.insert(n.to_string()) {
            s.push_str(n);
            s.push('\n');
        }
    }
    s
}

fn unified(pkg: &KernelPackage, c: &Change) -> String {
    let old = c.old.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    let new = String::from_utf8_lossy(&c.new);
    let r = rel(pkg, &c.path);
    let a = if c.old.is_some() {
        format!("a/{r}")
    } else {
        "/dev/null".into()
    };
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&a, &format!("b/{r}"))
        .to_string()
}

/// The ix.sh of a new package `name` next to `pkg` (see crate docs).
fn new_package_ix_sh(pkg: &KernelPackage, name: &str, cfg: &Path) -> Result<String> {
    let base = Template::read(&pkg.dir.join("ix.sh")).map_err(io_err(&pkg.dir.join("ix.sh")))?;
    let mut s = format!("{{% extends '//{}/ix.sh' %}}\n", pkg.pkg_path);
    if base.block("slot").is_some() {
        s.push_str(&format!("\n{{% block slot %}}{name}{{% endblock %}}\n"));
    }
    let cfg_ref = match pkg.layout {
        Layout::Slots2023 => "cfg".to_string(),
        Layout::Current => {
            let r = cfg.strip_prefix(&pkg.pkgs).map_err(|_| IxError::Template {
                path: cfg.to_path_buf(),
                msg: "config outside pkgs/".into(),
            })?;
            format!("//{}", r.to_string_lossy())
        }
    };
    s.push_str(&format!(
        "\n{{% block kernel_flags %}}\n{{% include '{cfg_ref}' %}}\n{{% endblock %}}\n"
    ));
    s.push_str("\n{% block firmware %}\n{% include 'fw.sh' %}\n{% endblock %}\n");
    Ok(s)
}

/// Apply the changes; on any error roll everything back.
fn commit(fs: &dyn FsOps, changes: &[Change], backup: bool) -> Result<()> {
    let mut made_dirs: Vec<PathBuf> = Vec::new();
    let mut temps: Vec<PathBuf> = Vec::new();
    // (backup path, previous backup content)
    let mut backups: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    let mut renamed: Vec<&Change> = Vec::new();

    let res = (|| -> Result<()> {
        for c in changes {
            let Some(parent) = c.path.parent() else {
                continue;
            };
            let mut missing = Vec::new();
            let mut p = parent;
            while !p.exists() {
                missing.push(p.to_path_buf());
                match p.parent() {
                    Some(pp) => p = pp,
                    None => break,
                }
            }
            for d in missing.into_iter().rev() {
                fs.create_dir(&d).map_err(io_err(&d))?;
                made_dirs.push(d);
            }
        }
        for c in changes {
            let t = temp_path(&c.path);
            temps.push(t.clone());
            fs.write(&t, &c.new).map_err(io_err(&t))?;
        }
        if backup {
            for c in changes {
                let Some(old) = &c.old else { continue };
                let b = backup_path(&c.path);
                let prev = std::fs::read(&b).ok();
                let bt = temp_path(&b);
                temps.push(bt.clone());
                fs.write(&bt, old).map_err(io_err(&bt))?;
                backups.push((b.clone(), prev));
                fs.rename(&bt, &b).map_err(io_err(&b))?;
                temps.pop();
            }
        }
        for c in changes {
            let t = temp_path(&c.path);
            fs.rename(&t, &c.path).map_err(io_err(&c.path))?;
            temps.retain(|x| *x != t);
            renamed.push(c);
        }
        Ok(())
    })();

    if res.is_err() {
        for c in renamed.iter().rev() {
            match &c.old {
                Some(old) => {
                    let t = temp_path(&c.path);
                    if fs.write(&t, old).is_ok() {
                        let _ = fs.rename(&t, &c.path);
                    }
                    let _ = std::fs::remove_file(&t);
                }
                None => {
                    let _ = fs.remove_file(&c.path);
                }
            }
        }
        for t in &temps {
            if t.exists() {
                let _ = fs.remove_file(t);
            }
        }
        for (b, prev) in backups.iter().rev() {
            match prev {
                Some(content) => {
                    let t = temp_path(b);
                    if fs.write(&t, content).is_ok() {
                        let _ = fs.rename(&t, b);
                    }
                    let _ = std::fs::remove_file(&t);
                }
                None => {
                    let _ = fs.remove_file(b);
                }
            }
        }
        for d in made_dirs.iter().rev() {
            let _ = fs.remove_dir(d);
        }
    }
    res
}

/// `ix` on PATH.
pub fn which_ix() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|d| {
        let p = d.join("ix");
        let md = std::fs::metadata(&p).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if md.is_file() && md.permissions().mode() & 0o111 != 0 {
                return Some(p);
            }
            None
        }
        #[cfg(not(unix))]
        {
            md.is_file().then_some(p)
        }
    })
}

/// A command as one shell line (arguments quoted where needed), for
/// printing [`mut_command`] / [`menuconfig_command`].
pub fn command_line(cmd: &[String]) -> String {
    cmd.iter().map(|a| sh_quote(a)).collect::<Vec<_>>().join(" ")
}

/// `ix mut system <package>` for the package (or its new variant `name`).
pub fn mut_command(pkg: &KernelPackage, new_name: Option<&str>) -> Vec<String> {
    mut_command_in("system", pkg, new_name)
}

/// `ix mut <realm> <package>`.
pub fn mut_command_in(realm: &str, pkg: &KernelPackage, new_name: Option<&str>) -> Vec<String> {
    vec![
        "ix".into(),
        "mut".into(),
        realm.into(),
        pkg.package_path(new_name),
    ]
}

/// The seed guide's review step: `ix run set/menuconfig -- make HOSTCC=cc
/// menuconfig`, with `O=<build_dir>` when the tree should stay untouched.
pub fn menuconfig_command(build_dir: Option<&Path>) -> Vec<String> {
    let mut v: Vec<String> = ["ix", "run", "set/menuconfig", "--", "make", "HOSTCC=cc"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(b) = build_dir {
        v.push(format!("O={}", b.display()));
    }
    v.push("menuconfig".into());
    v
}

fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=+:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The review step as shell lines (the seed guide's cp / menuconfig / cp),
/// for the package's config (or variant `new_name`'s) in kernel `tree`.
pub fn menuconfig_script(pkg: &KernelPackage, new_name: Option<&str>, tree: &Path) -> Result<String> {
    let cfg = pkg.config_path(new_name)?;
    let cfg = sh_quote(&cfg.to_string_lossy());
    let cmd: Vec<String> = menuconfig_command(None).iter().map(|a| sh_quote(a)).collect();
    Ok(format!(
        "cd {}\ncp {cfg} .config\n{}\ncp .config {cfg}\n",
        sh_quote(&tree.to_string_lossy()),
        cmd.join(" ")
    ))
}

/// Run the review step interactively on `config_text` without touching the
/// source tree (`O=work_dir`) and return the reviewed config; write it back
/// with [`write_package`] (backup, diff). Needs `ix` on PATH.
pub fn run_menuconfig(config_text: &str, tree: &Path, work_dir: &Path) -> Result<String> {
    let ix = which_ix().ok_or(IxError::IxNotOnPath)?;
    std::fs::create_dir_all(work_dir).map_err(io_err(work_dir))?;
    let dot = work_dir.join(".config");
    std::fs::write(&dot, config_text).map_err(io_err(&dot))?;
    let cmd = menuconfig_command(Some(work_dir));
    let st = Command::new(&ix)
        .args(&cmd[1..])
        .current_dir(tree)
        .status()
        .map_err(|e| IxError::Command {
            cmd: cmd.join(" "),
            msg: e.to_string(),
        })?;
    if !st.success() {
        return Err(IxError::Command {
            cmd: cmd.join(" "),
            msg: format!("exited with {st}"),
        });
    }
    std::fs::read_to_string(&dot).map_err(io_err(&dot))
}

/// Run an `ix ...` command (e.g. [`mut_command`]) with the `ix` on PATH.
pub fn apply(cmd: &[String]) -> Result<()> {
    let ix = which_ix().ok_or(IxError::IxNotOnPath)?;
    let st = Command::new(&ix)
        .args(cmd.iter().skip(1))
        .status()
        .map_err(|e| IxError::Command {
            cmd: cmd.join(" "),
            msg: e.to_string(),
        })?;
    if st.success() {
        Ok(())
    } else {
        Err(IxError::Command {
            cmd: cmd.join(" "),
            msg: format!("exited with {st}"),
        })
    }
}
