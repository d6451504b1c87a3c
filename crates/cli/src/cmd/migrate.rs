//! `kfit migrate` (carry a config and a machine to another kernel tree) and
//! `kfit kconfig diff` (two configs, grouped by menus).

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use kfit_fit::{MachineInput, Verdict};
use kfit_migrate::{diff, Migration, Status};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct MigrateArgs {
    /// The config to carry over (made for --from-tree).
    #[arg(long, value_name = "OLD.config", value_parser = crate::path_arg())]
    pub config: PathBuf,
    /// The kernel tree the config is for.
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub from_tree: PathBuf,
    /// The kernel tree to carry it to (newer or older).
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub to_tree: PathBuf,
    /// Hardware listings of a machine the config drives: re-resolved on the
    /// new tree, every device checked (none: the config alone).
    #[arg(value_name = "LISTING", value_parser = crate::path_arg())]
    pub listings: Vec<PathBuf>,
    /// Where to write the new config (existing file kept as OUT.old).
    #[arg(short = 'o', long, value_name = "NEW.config", value_parser = crate::path_arg())]
    pub output: Option<PathBuf>,
    /// Print the report as JSON (every symbol, kept ones included).
    #[arg(long)]
    pub json: bool,
    /// Also list symbols kept whose default changed.
    #[arg(short, long)]
    pub verbose: bool,
    /// The architecture (ARCH: x86, arm64, ...) of the config and both trees
    /// [default: $ARCH, as make takes it, else this machine's, from `uname
    /// -m`].
    #[arg(long, value_parser = crate::arch_arg())]
    pub arch: Option<kfit_kconfig::Arch>,
    #[command(flatten)]
    pub toolchain: crate::ToolchainArgs,
}

pub fn run_migrate(a: MigrateArgs) -> anyhow::Result<ExitCode> {
    for t in [&a.from_tree, &a.to_tree] {
        if !t.join("Kconfig").is_file() {
            bail!("{}: not a kernel source tree (no Kconfig)", t.display());
        }
    }
    let machines = if a.listings.is_empty() {
        Vec::new()
    } else {
        vec![MachineInput {
            name: a
                .listings
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join("+"),
            listings: a.listings.clone(),
        }]
    };
    let arch = a.arch.clone().unwrap_or_else(kfit_kconfig::Arch::make_default);
    let opts = kfit_migrate::MigrateOptions {
        config: a.config.clone(),
        from_tree: a.from_tree.clone(),
        to_tree: a.to_tree.clone(),
        machines,
        load: kfit_kconfig::LoadOptions {
            toolchain: a.toolchain.resolve(&arch, Some(&a.to_tree)),
            arch,
            ..Default::default()
        }
        .cache_in(&kfit_util::cache_dir(crate::cache_dir())),
        index_cache: kfit_kbuild::index_cache_dir(crate::cache_dir()),
        sysfs_root: "/".into(),
    };
    let m = kfit_migrate::migrate(&opts).with_context(|| {
        format!(
            "migrating {} from {} to {}",
            a.config.display(),
            a.from_tree.display(),
            a.to_tree.display()
        )
    })?;
    if let Some(out) = &a.output {
        kfit_util::write_text(out, &m.config, true)?;
    }
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if a.json {
        crate::out::json(&mut o, "migrate", &m)?;
    } else {
        print_migration(&mut o, &m, a.verbose)?;
        let t = &m.timings;
        writeln!(
            o,
            "time: load {} ms, migrate {} ms, machine {} ms",
            t.load_ms, t.migrate_ms, t.machine_ms
        )?;
        match &a.output {
            Some(out) => writeln!(o, "wrote {}", out.display())?,
            None => writeln!(o, "(no -o NEW.config given: nothing written)")?,
        }
    }
    let lost = m
        .machine
        .as_ref()
        .is_some_and(|mm| mm.still_driven < mm.driven_before);
    Ok(if lost || m.summary.carried_lost > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_migration(o: &mut impl Write, m: &Migration, verbose: bool) -> std::io::Result<()> {
    let s = &m.summary;
    writeln!(
        o,
        "Linux {} -> {}: {} symbols in the config: {} kept ({} with a new default), {} changed, {} renamed, {} merged, {} removed, {} unknown to {}",
        m.from_kernel,
        m.to_kernel,
        s.symbols,
        s.kept,
        s.default_changed,
        s.changed,
        s.renamed,
        s.merged,
        s.removed,
        s.unknown,
        m.from_kernel
    )?;
    writeln!(
        o,
        "{} symbols set to y/m are not defined in {}",
        s.vanished_set, m.to_kernel
    )?;
    for w in m.warnings.iter().take(10) {
        writeln!(o, "warning: {w}")?;
    }
    let section = |o: &mut dyn Write, t: &str| writeln!(o, "\n{t}");
    section(
        o,
        "Renamed or merged (value carried over where both are settable):",
    )?;
    for r in &m.symbols {
        if let Status::Renamed {
            to,
            merged,
            evidence,
            carried,
            new,
            lost,
        } = &r.status
        {
            let how = if *merged { "merged into" } else { "->" };
            let carry = match carried {
                Some(c) => format!("carried {c}, now {new}"),
                None => format!("now {new} (not user-set)"),
            };
            writeln!(o, "  {}={} {how} {to}: {carry}", r.name, r.old)?;
            for e in evidence {
                writeln!(o, "      {:?}: {}", e.kind, e.detail)?;
            }
            if let Some(l) = lost {
                writeln!(o, "      NOT KEPT: {l}")?;
            }
        }
    }
    section(o, "Removed (what it built -> where that is now):")?;
    for r in &m.symbols {
        if let Status::Removed {
            internal,
            built,
            notes,
        } = &r.status
        {
            let tag = if *internal { " (internal)" } else { "" };
            writeln!(o, "  {}={}{tag}", r.name, r.old)?;
            for b in built {
                let module = b
                    .module
                    .as_deref()
                    .map(|x| format!(" [module {x}]"))
                    .unwrap_or_default();
                writeln!(o, "      {}{module} ({}) -> {}", b.what, b.at, b.now)?;
            }
            for n in notes {
                writeln!(o, "      {n}")?;
            }
        }
    }
    section(o, "Changed value:")?;
    for r in &m.symbols {
        if let Status::Changed { new, why } = &r.status {
            writeln!(o, "  {}: {} -> {}: {why}", r.name, r.old, new)?;
        }
    }
    if verbose {
        section(o, "Kept, with a new default (the explicit value keeps it):")?;
        for r in &m.symbols {
            if let Status::Kept {
                default_changed: Some(d),
            } = &r.status
            {
                writeln!(
                    o,
                    "  {}={} (default {} -> {})",
                    r.name, r.old, d.old_default, d.new_default
                )?;
            }
        }
    }
    if let Some(mm) = &m.machine {
        section(o, "Devices:")?;
        writeln!(
            o,
            "  {} driven by the old config, {} of them by the new one",
            mm.driven_before, mm.still_driven
        )?;
        for d in &mm.devices {
            let bad = !matches!(
                d.after,
                Verdict::AlreadyOn | Verdict::Enabled | Verdict::NoDriverNeeded
            );
            if bad || verbose || d.after == Verdict::Enabled {
                writeln!(
                    o,
                    "  {} ({}): before {:?}, after {:?}",
                    d.label,
                    d.driver.as_deref().unwrap_or("-"),
                    d.before,
                    d.after
                )?;
                for w in &d.why {
                    writeln!(o, "      {w}")?;
                }
            }
        }
        if !mm.newly_required.is_empty() {
            section(o, "Newly required by the hardware on the new tree:")?;
            for n in &mm.newly_required {
                let new = if n.new_symbol { " (new symbol)" } else { "" };
                let by = if n.needed_by.is_empty() {
                    "a dependency".to_string()
                } else {
                    n.needed_by.join(", ")
                };
                writeln!(o, "  {}: {} -> {}{new}: {by}", n.symbol, n.before, n.after)?;
            }
        }
    }
    Ok(())
}

/// When to color.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The old config.
    pub old: PathBuf,
    /// The new config.
    pub new: PathBuf,
    /// Kernel tree whose menus group the symbols (the new config's tree).
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub tree: Option<PathBuf>,
    /// The old config's tree, when it differs (symbols it alone defines
    /// are placed by its menus).
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub old_tree: Option<PathBuf>,
    /// The architecture (ARCH) of the trees [default: $ARCH, as make takes
    /// it, else this machine's, from `uname -m`].
    #[arg(long, value_parser = crate::arch_arg())]
    pub arch: Option<kfit_kconfig::Arch>,
    #[command(flatten)]
    pub toolchain: crate::ToolchainArgs,
    /// Color the output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorWhen,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run_diff(a: DiffArgs) -> anyhow::Result<ExitCode> {
    let read = |p: &PathBuf| {
        std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .with_context(|| format!("reading {}", p.display()))
    };
    let (old, new) = (read(&a.old)?, read(&a.new)?);
    let arch = a.arch.clone().unwrap_or_else(kfit_kconfig::Arch::make_default);
    let load = kfit_kconfig::LoadOptions {
        toolchain: a.toolchain.resolve(&arch, a.tree.as_deref()),
        arch,
        ..Default::default()
    }
    .cache_in(&kfit_util::cache_dir(crate::cache_dir()));
    let mut trees = Vec::new();
    for t in [&a.tree, &a.old_tree].into_iter().flatten() {
        trees.push(
            kfit_kconfig::Kconfig::load(t, &load)
                .with_context(|| format!("loading Kconfig from {}", t.display()))?,
        );
    }
    let refs: Vec<&kfit_kconfig::Kconfig> = trees.iter().collect();
    let d = diff::diff(&old, &new, &refs);
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if a.json {
        crate::out::json(&mut o, "kconfig-diff", &d)?;
    } else {
        let color = match a.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        };
        print_diff(&mut o, &d, color)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_diff(o: &mut impl Write, d: &diff::ConfigDiff, color: bool) -> std::io::Result<()> {
    let paint = |code: &str, s: String| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    let line = |name: &str, v: &str| {
        if v == "n" {
            format!("# CONFIG_{name} is not set")
        } else {
            format!("CONFIG_{name}={v}")
        }
    };
    for g in &d.groups {
        let title = if g.menu.is_empty() {
            "(top level)".to_string()
        } else {
            g.menu.join(" > ")
        };
        writeln!(o, "{}", paint("1", title))?;
        for e in &g.entries {
            match (e.change, &e.old, &e.new) {
                (diff::Change::Added, _, Some(n)) => {
                    writeln!(o, "{}", paint("32", format!("+ {}", line(&e.name, n))))?
                }
                (diff::Change::Removed, Some(p), _) => {
                    writeln!(o, "{}", paint("31", format!("- {}", line(&e.name, p))))?
                }
                (_, Some(p), Some(n)) => writeln!(
                    o,
                    "{}",
                    paint("33", format!("~ CONFIG_{} {} -> {}", e.name, show(p), show(n)))
                )?,
                _ => {}
            }
        }
    }
    let (a, r, c) = d.counts;
    writeln!(o, "{a} added, {r} removed, {c} changed")
}

fn show(v: &str) -> &str {
    if v.is_empty() {
        "\"\""
    } else {
        v
    }
}
