//! Writing a fitted config and firmware list into an ix tree, plus the `ix`
//! commands around it.
//!
//! Every file goes through kfit's one write path (`kfit_util`): the files of
//! one write form a [`kfit_util::Transaction`] (staged and synced, a journal
//! `pkgs/bin/kernel/.kfit-journal` as the commit point, then renames), so a
//! kill leaves the old set or a set the next run completes; symlinks are
//! followed only inside the ix checkout; modes and owners are kept; a file
//! whose content is already right is not touched (a second run changes
//! nothing); backups of replaced files go to a directory outside the
//! checkout that the caller names.

use crate::template::Template;
use crate::{check_name, io_err, FirmwareLocation, IxError, KernelPackage, Result, Sharing};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Options of [`write_package`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Write the machine package `name` next to the original (which stays
    /// untouched); `None` edits the package in place.
    pub new_name: Option<String>,
    /// Keep the replaced content of every changed file under this directory
    /// (at its path relative to the ix checkout). Must be outside the
    /// checkout.
    pub backup_dir: Option<PathBuf>,
    /// Compute the changes and the diff, write nothing.
    pub dry_run: bool,
}

/// Symbol-level difference between the config that was there (for a new
/// package: the config it starts from) and the config written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConfigDelta {
    /// Symbols the old file did not mention.
    pub added: usize,
    /// Symbols the new file does not mention.
    pub removed: usize,
    /// Symbols whose value differs (`# ... is not set` counts as `n`).
    pub changed: usize,
    /// Up to 40 of them, `CONFIG_X: old -> new`.
    pub examples: Vec<String>,
}

impl ConfigDelta {
    pub fn total(&self) -> usize {
        self.added + self.removed + self.changed
    }
}

/// What [`write_package`] did (or would do, with `dry_run`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WriteReport {
    /// Package path for `ix mut` (`bin/kernel/6/16`, `bin/kernel/6/16/mybox`).
    pub package_path: String,
    /// True when a machine package was written next to the stock one.
    pub machine_package: bool,
    pub config_path: PathBuf,
    /// The firmware list file, or the template holding the inline block.
    pub firmware_path: Option<PathBuf>,
    /// Files modified or created (to be, with `dry_run`).
    pub changed: Vec<PathBuf>,
    /// The subset of `changed` that did not exist before.
    pub created: Vec<PathBuf>,
    /// Backups written (none with `dry_run`).
    pub backups: Vec<PathBuf>,
    /// The config: old (or base) file against the new one.
    pub config_delta: ConfigDelta,
    /// Firmware names added to and removed from the package's list.
    pub firmware_added: usize,
    pub firmware_removed: usize,
    /// In place: the other packages that share the changed files.
    pub shared: Sharing,
    /// Unified diff of all changes (paths relative to the ix checkout).
    pub diff: String,
    pub notes: Vec<String>,
    /// What an interrupted earlier write left and this one repaired.
    pub recovered: Vec<String>,
    pub dry_run: bool,
}

impl WriteReport {
    pub fn is_unchanged(&self) -> bool {
        self.changed.is_empty()
    }
}

/// `CONFIG_X` → value (`n` for `# CONFIG_X is not set`).
pub fn config_assignments(text: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# CONFIG_") {
            if let Some(name) = rest.strip_suffix(" is not set") {
                m.insert(name.to_string(), "n".to_string());
            }
        } else if let Some(rest) = l.strip_prefix("CONFIG_") {
            if let Some((k, v)) = rest.split_once('=') {
                m.insert(k.to_string(), v.to_string());
            }
        }
    }
    m
}

/// Symbol-level difference of two config texts.
pub fn config_delta(old: &str, new: &str) -> ConfigDelta {
    let (a, b) = (config_assignments(old), config_assignments(new));
    let mut d = ConfigDelta::default();
    let mut ex = |s: String| {
        if d.examples.len() < 40 {
            d.examples.push(s);
        }
    };
    let mut added = 0;
    let mut changed = 0;
    for (k, v) in &b {
        match a.get(k) {
            None => {
                added += 1;
                ex(format!("CONFIG_{k}: (none) -> {v}"));
            }
            Some(o) if o != v => {
                changed += 1;
                ex(format!("CONFIG_{k}: {o} -> {v}"));
            }
            _ => {}
        }
    }
    let mut removed = 0;
    for (k, v) in &a {
        if !b.contains_key(k) {
            removed += 1;
            ex(format!("CONFIG_{k}: {v} -> (none)"));
        }
    }
    d.added = added;
    d.changed = changed;
    d.removed = removed;
    d
}

fn list_names(text: &str) -> std::collections::BTreeSet<String> {
    crate::template::literal_lines(text).into_iter().collect()
}

/// The journal of [`write_package`]'s transaction in `pkgs`.
pub fn journal_path(pkgs: &Path) -> PathBuf {
    pkgs.join("bin/kernel/.kfit-journal")
}

/// Write `new_config_text` and `firmware_list` into the package (see the
/// module docs for the guarantees and [`crate`] docs for which files).
pub fn write_package(
    pkg: &KernelPackage,
    new_config_text: &str,
    firmware_list: &[String],
    opts: &WriteOptions,
) -> Result<WriteReport> {
    let mut report = WriteReport {
        dry_run: opts.dry_run,
        machine_package: opts.new_name.is_some(),
        ..WriteReport::default()
    };
    let mut cfg_text = new_config_text.to_string();
    if !cfg_text.is_empty() && !cfg_text.ends_with('\n') {
        cfg_text.push('\n');
    }
    if let Some(b) = &opts.backup_dir {
        if b.starts_with(&pkg.ix_root) {
            return Err(IxError::Template {
                path: b.clone(),
                msg: "backups must live outside the ix checkout".into(),
            });
        }
    }
    // First finish (or undo) what a killed earlier write left, so the
    // package is read in a consistent state.
    let journal = journal_path(&pkg.pkgs);
    if opts.dry_run {
        if journal.exists() {
            report.notes.push(format!(
                "{} holds an interrupted write; the next run without --dry-run completes it",
                rel(pkg, &journal)
            ));
        }
    } else {
        report.recovered = kfit_util::Transaction::recover(&journal).map_err(util_err)?;
    }
    let mut wanted: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    // the config the new one is compared with when its file is new
    let mut delta_base: Option<String> = None;
    let mut fw_old = String::new();

    let target = match &opts.new_name {
        None => Some(pkg.clone()),
        Some(n) => {
            check_name(n)?;
            pkg.variant(n)?
        }
    };
    if let Some(t) = &target {
        if opts.new_name.is_none() {
            let sh = t.shared_with();
            if !sh.config.is_empty() {
                report.notes.push(format!(
                    "{} is also the config of {}",
                    rel(pkg, &t.config),
                    sh.config.join(", ")
                ));
            }
            if !sh.firmware.is_empty() {
                report.notes.push(format!(
                    "the firmware list is also used by {}",
                    sh.firmware.join(", ")
                ));
            }
            report.shared = sh;
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
                fw_old = std::fs::read_to_string(path).unwrap_or_default();
                report.firmware_path = Some(path.clone());
                wanted.push((path.clone(), render_list(&names).into_bytes()));
            }
            Some(FirmwareLocation::InlineBlock { template }) => {
                let t = Template::read(template).map_err(io_err(template))?;
                let span = t.block("firmware").ok_or_else(|| IxError::Template {
                    path: template.clone(),
                    msg: "firmware block vanished".into(),
                })?;
                fw_old = t.text[span.body_start..span.body_end].to_string();
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
        // Never adopt files that are not ours; an empty directory (or one
        // holding only what a killed kfit staged there) is ours to finish.
        let foreign = |p: &Path| match std::fs::read_dir(p) {
            Ok(rd) => rd.flatten().any(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                !(n.starts_with('.') && (n.ends_with(".kfit-staged") || n.ends_with(".kfit-tmp")))
            }),
            Err(_) => p.exists(),
        };
        for p in [&cfg, &dir] {
            if foreign(p) {
                return Err(IxError::Template {
                    path: p.clone(),
                    msg: format!("exists but is not part of a package {n}; choose another name"),
                });
            }
        }
        delta_base = std::fs::read_to_string(&pkg.config).ok();
        let template_names = match &pkg.firmware {
            Some(FirmwareLocation::IncludeFile { template_names, .. }) => template_names.clone(),
            _ => Vec::new(),
        };
        let names: Vec<String> = firmware_list
            .iter()
            .filter(|n| !template_names.contains(&n.trim().to_string()))
            .cloned()
            .collect();
        let fw = dir.join("fw.sh");
        report.package_path = pkg.package_path(Some(n));
        report.config_path = cfg.clone();
        report.firmware_path = Some(fw.clone());
        wanted.push((cfg.clone(), cfg_text.into_bytes()));
        wanted.push((fw, render_list(&names).into_bytes()));
        wanted.push((
            dir.join("ix.sh"),
            new_package_ix_sh(pkg, n, &cfg, &template_names)?.into_bytes(),
        ));
    }

    let mut tx = kfit_util::Transaction::new(&pkg.ix_root, &journal);
    if let Some(b) = &opts.backup_dir {
        tx = tx.backups_in(b);
    }
    for (p, d) in &wanted {
        tx.add(p, d.clone());
    }
    let plan = tx.plan().map_err(util_err)?;
    for (i, ((t, ch), (path, new))) in plan.iter().zip(&wanted).enumerate() {
        let new_s = String::from_utf8_lossy(new);
        let old_s = t.old.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        if i == 0 {
            let base = match (&t.old, &delta_base) {
                (None, Some(b)) => b.as_str(),
                _ => old_s.as_ref(),
            };
            report.config_delta = config_delta(base, &new_s);
        } else if report.firmware_path.as_ref() == Some(path) {
            let inline =
                target.is_some() && matches!(pkg.firmware, Some(FirmwareLocation::InlineBlock { .. }));
            let (o, n) = if inline {
                (list_names(&fw_old), list_names(&render_list(firmware_list)))
            } else {
                (list_names(&old_s), list_names(&new_s))
            };
            report.firmware_added = n.difference(&o).count();
            report.firmware_removed = o.difference(&n).count();
        }
        if !ch {
            continue;
        }
        // a new file's diff would be all of it: the report names it instead
        if t.old.is_some() {
            report.diff.push_str(&unified(pkg, path, &old_s, &new_s));
        }
        report.changed.push(path.clone());
        if t.old.is_none() {
            report.created.push(path.clone());
        }
    }
    if opts.dry_run {
        return Ok(report);
    }
    let done = tx.commit().map_err(util_err)?;
    report.backups = done.backups;
    report.recovered.extend(done.recovered);
    Ok(report)
}

fn util_err(e: kfit_util::WriteError) -> IxError {
    IxError::Write(e.to_string())
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

fn unified(pkg: &KernelPackage, path: &Path, old: &str, new: &str) -> String {
    let r = rel(pkg, path);
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{r}"), &format!("b/{r}"))
        .to_string()
}

/// The ix.sh of a machine package `name` next to `pkg` (see crate docs).
/// `template_names` are the names the stock firmware block adds itself
/// (`regulatory.*`); the machine package's block keeps them.
fn new_package_ix_sh(
    pkg: &KernelPackage,
    name: &str,
    cfg: &Path,
    template_names: &[String],
) -> Result<String> {
    let base = Template::read(&pkg.dir.join("ix.sh")).map_err(io_err(&pkg.dir.join("ix.sh")))?;
    let mut s = format!("{{% extends '//{}/ix.sh' %}}\n", pkg.pkg_path);
    if base.block("slot").is_some() {
        s.push_str(&format!("\n{{% block slot %}}{name}{{% endblock %}}\n"));
    }
    let dir = pkg.variant_dir(name);
    let cfg_ref = match cfg.strip_prefix(&dir) {
        Ok(r) => r.to_string_lossy().into_owned(),
        Err(_) => {
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
    s.push_str("\n{% block firmware %}\n{% include 'fw.sh' %}\n");
    for n in template_names {
        s.push_str(n);
        s.push('\n');
    }
    s.push_str("{% endblock %}\n");
    Ok(s)
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

/// The `ix mut` command that puts the package in the `system` realm: the
/// package itself, or for a machine package `name`, in place of the stock
/// one (`ix mut system -bin/kernel/6/16 +bin/kernel/6/16/name`).
pub fn mut_command(pkg: &KernelPackage, new_name: Option<&str>) -> Vec<String> {
    mut_command_in("system", pkg, new_name)
}

/// [`mut_command`] for another realm.
pub fn mut_command_in(realm: &str, pkg: &KernelPackage, new_name: Option<&str>) -> Vec<String> {
    let mut v = vec!["ix".to_string(), "mut".into(), realm.into()];
    match new_name {
        None => v.push(pkg.package_path(None)),
        Some(_) => {
            v.push(format!("-{}", pkg.package_path(None)));
            v.push(format!("+{}", pkg.package_path(new_name)));
        }
    }
    v
}

/// ix's review step as its guide writes it today (`ix run set/menuconfig --
/// make HOSTCC=cc CC=cc LD=ld.lld menuconfig`, the clang realm's `cc`),
/// with `-C <tree> O=<build_dir>` when given so the source tree is never
/// written.
pub fn menuconfig_command(tree: Option<&Path>, build_dir: Option<&Path>) -> Vec<String> {
    let mut v: Vec<String> = ["ix", "run", "set/menuconfig", "--", "make"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(t) = tree {
        v.push("-C".into());
        v.push(t.display().to_string());
    }
    if let Some(b) = build_dir {
        v.push(format!("O={}", b.display()));
    }
    for a in ["HOSTCC=cc", "CC=cc", "LD=ld.lld", "menuconfig"] {
        v.push(a.into());
    }
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

/// The review step as shell lines to print: copy the config into a build
/// directory (never the source tree), run ix's menuconfig there, copy it
/// back. `ix tool reconf <cfg>` is the one-step alternative, run inside a
/// scratch copy of the tree (it writes `.config` into the current directory).
pub fn menuconfig_script(config: &Path, tree: &Path, build_dir: &Path) -> String {
    let cfg = sh_quote(&config.to_string_lossy());
    let b = sh_quote(&build_dir.to_string_lossy());
    let cmd = command_line(&menuconfig_command(Some(tree), Some(build_dir)));
    format!("mkdir -p {b}\ncp {cfg} {b}/.config\n{cmd}\ncp {b}/.config {cfg}\n")
}

/// Run the review step interactively on `config_text` in `work_dir` (an O=
/// build directory; the source tree is never written) and return the
/// reviewed config. Runs `ix` with an argument vector, no shell.
pub fn run_menuconfig(config_text: &str, tree: &Path, work_dir: &Path) -> Result<String> {
    let ix = which_ix().ok_or(IxError::IxNotOnPath)?;
    if !tree.join("Makefile").is_file() || !tree.join("Kconfig").is_file() {
        return Err(IxError::Template {
            path: tree.to_path_buf(),
            msg: "not a kernel source tree (no Makefile and Kconfig)".into(),
        });
    }
    std::fs::create_dir_all(work_dir).map_err(io_err(work_dir))?;
    let dot = work_dir.join(".config");
    kfit_util::write_atomic(&dot, config_text.as_bytes(), &kfit_util::WriteOptions::default())
        .map_err(util_err)?;
    let cmd = menuconfig_command(Some(tree), Some(work_dir));
    let st = Command::new(&ix)
        .args(&cmd[1..])
        .status()
        .map_err(|e| IxError::Command {
            cmd: command_line(&cmd),
            msg: e.to_string(),
        })?;
    if !st.success() {
        return Err(IxError::Command {
            cmd: command_line(&cmd),
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
            cmd: command_line(cmd),
            msg: e.to_string(),
        })?;
    if st.success() {
        Ok(())
    } else {
        Err(IxError::Command {
            cmd: command_line(cmd),
            msg: format!("exited with {st}"),
        })
    }
}
