//! `kfit kconfig`: the Kconfig engine on its own (olddefconfig, show).
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use kfit_kconfig::{Kconfig, LoadOptions, PropKind, SymbolType, Tristate};

/// Options shared by the kconfig subcommands.
#[derive(Args, Clone, Debug)]
pub struct TreeArgs {
    /// Kernel source tree (contains the top-level Kconfig).
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    tree: PathBuf,
    #[command(flatten)]
    toolchain: crate::ToolchainArgs,
    /// ARCH (SRCARCH is derived) [default: $ARCH, as make takes it, else
    /// this machine's, from `uname -m`].
    #[arg(long, value_parser = crate::arch_arg())]
    arch: Option<kfit_kconfig::Arch>,
    /// Do not use the on-disk caches (toolchain probes, parsed model):
    /// parse the tree and run every probe.
    #[arg(long, alias = "no-cache")]
    no_probe_cache: bool,
}

#[derive(Subcommand)]
pub enum KconfigCmd {
    /// Like `make olddefconfig`: read a .config, fill in defaults for new
    /// symbols, drop unknown ones, write the result.
    Olddefconfig {
        #[command(flatten)]
        tree: TreeArgs,
        /// Input .config.
        #[arg(long, value_parser = crate::path_arg())]
        config: PathBuf,
        /// Output file (default: overwrite the input, keeping IN.old).
        #[arg(short = 'o', long, value_parser = crate::path_arg())]
        output: Option<PathBuf>,
        /// Print timing information on stderr.
        #[arg(long)]
        timings: bool,
    },
    /// Compare two configs, grouped by the menus of a tree (colored on a
    /// terminal; NO_COLOR turns it off).
    Diff(super::migrate::DiffArgs),
    /// Show what Kconfig knows about a symbol: type, value, prompts, where it
    /// is defined, dependencies, visibility, who selects/implies it.
    Show {
        /// Symbol name (with or without CONFIG_).
        #[arg(value_parser = crate::text_arg())]
        symbol: String,
        #[command(flatten)]
        tree: TreeArgs,
        /// Evaluate against this .config (default: all defaults).
        #[arg(long, value_parser = crate::path_arg())]
        config: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn load_opts(t: &TreeArgs) -> LoadOptions {
    let arch = t.arch.clone().unwrap_or_else(kfit_kconfig::Arch::make_default);
    let mut opts = LoadOptions {
        toolchain: t.toolchain.resolve(&arch, Some(&t.tree)),
        arch,
        ..Default::default()
    }
    .cache_in(&kfit_util::cache_dir(crate::cache_dir()));
    if t.no_probe_cache {
        opts.probe_cache_dir = None;
        opts.model_cache_dir = None;
    }
    opts
}

fn load(t: &TreeArgs) -> anyhow::Result<Kconfig> {
    Kconfig::load(&t.tree, &load_opts(t))
        .with_context(|| format!("loading Kconfig from {}", t.tree.display()))
}

pub fn run(c: KconfigCmd) -> anyhow::Result<ExitCode> {
    match c {
        KconfigCmd::Olddefconfig {
            tree,
            config,
            output,
            timings,
        } => {
            let t0 = Instant::now();
            let (kc, warnings) = Kconfig::load_with_config(&tree.tree, &load_opts(&tree), &config)
                .with_context(|| format!("loading Kconfig from {}", tree.tree.display()))?;
            let t1 = Instant::now();
            let mut err = std::io::stderr().lock();
            for w in &warnings {
                if !matches!(w.kind, kfit_kconfig::ConfigWarningKind::UnknownSymbol(_)) {
                    writeln!(err, "{}", crate::out::escape(&w.to_string()))?;
                }
            }
            for &id in kc.unmet_dependencies() {
                let sym = kc.symbol(id);
                let dep = sym
                    .dir_dep
                    .as_ref()
                    .map_or("y".to_string(), |e| kc.expr_to_string(e));
                writeln!(
                    err,
                    "\nWARNING: unmet direct dependencies detected for {}\n  Depends on [{}]: {dep}",
                    sym.name,
                    kc.dir_dep_value(id)
                )?;
                for (by, _) in kc.selected_by(id) {
                    if kc.tristate(by) != Tristate::No {
                        writeln!(err, "  Selected by [{}]: {}", kc.tristate(by), kc.symbol(by).name)?;
                    }
                }
            }
            let text = kc.write_config();
            let t2 = Instant::now();
            let (out, backup) = match &output {
                Some(o) => (o.clone(), false),
                None => (config.clone(), true),
            };
            kfit_util::write_text(&out, &text, backup)?;
            if timings {
                let s = kc.stats();
                writeln!(
                    err,
                    "load+read+evaluate {:.3}s ({} files, {}), write {:.3}s",
                    (t1 - t0).as_secs_f64(),
                    s.files,
                    if s.cached {
                        "model cached".to_string()
                    } else {
                        format!("{} passes, {} probes run", s.passes, s.probes_run)
                    },
                    (t2 - t1).as_secs_f64()
                )?;
            }
            // Exiting right away; freeing the model would only cost time.
            std::mem::forget(kc);
            Ok(ExitCode::SUCCESS)
        }
        KconfigCmd::Diff(a) => super::migrate::run_diff(a),
        KconfigCmd::Show {
            symbol,
            tree,
            config,
            json,
        } => {
            let name = symbol.strip_prefix("CONFIG_").unwrap_or(&symbol).to_string();
            let what = format!("showing {name} of {}", tree.tree.display());
            (|| {
                let mut kc = load(&tree)?;
                if let Some(c) = &config {
                    kc.read_config(c)?;
                }
                // A name only referenced (`depends on FOO` with no `config
                // FOO`) is not a symbol of this tree either.
                let Some(id) = kc
                    .lookup(&name)
                    .filter(|&id| kc.symbol(id).ty != SymbolType::Unknown)
                else {
                    anyhow::bail!("CONFIG_{name} is not defined in this tree");
                };
                let shown = show(&kc, id);
                crate::out::with_stdout(|o| {
                    if json {
                        crate::out::json(o, "kconfig-show", &shown).map_err(std::io::Error::other)
                    } else {
                        print_show(o, &shown)
                    }
                })
            })()
            .with_context(|| what)
        }
    }
}

/// What `kfit kconfig show` prints (text or JSON), in conf's order.
#[derive(serde::Serialize)]
struct Shown {
    symbol: String,
    value: String,
    #[serde(rename = "type")]
    ty: String,
    prompts: Vec<ShownPrompt>,
    /// One `file:line` per `config` entry.
    defined_at: Vec<String>,
    depends_on: String,
    visibility: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignable: Option<String>,
    user_value: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    choice_members: Vec<String>,
    defaults: Vec<String>,
    ranges: Vec<String>,
    selects: Vec<String>,
    implies: Vec<String>,
    selected_by: Vec<Reverse>,
    implied_by: Vec<Reverse>,
    help: Vec<String>,
}

#[derive(serde::Serialize)]
struct ShownPrompt {
    text: String,
    visible_if: String,
}

/// A symbol that selects or implies the shown one.
#[derive(serde::Serialize)]
struct Reverse {
    symbol: String,
    value: String,
    condition: String,
    /// What it gives the shown symbol: `y`, `m` or `n`.
    level: String,
}

fn show(kc: &Kconfig, id: kfit_kconfig::SymbolId) -> Shown {
    let sym = kc.symbol(id);
    let cond = |e: Option<&kfit_kconfig::ExprRef>| match e {
        Some(e) => format!("{} [={}]", kc.expr_to_string(e), kc.eval_expr(e)),
        None => "y".to_string(),
    };
    let rev = |v: Vec<(kfit_kconfig::SymbolId, Option<kfit_kconfig::ExprRef>)>| {
        let mut out: Vec<Reverse> = v
            .into_iter()
            .map(|(s, c)| Reverse {
                symbol: kc.symbol(s).name.clone(),
                value: kc.string_value(s).to_string(),
                condition: cond(c.as_ref()),
                level: kc.tristate(s).and(kc.eval_cond(c.as_ref())).to_string(),
            })
            .collect();
        let rank = |l: &str| match l {
            "y" => 0,
            "m" => 1,
            _ => 2,
        };
        out.sort_by_key(|r| rank(&r.level));
        out
    };
    let mut selects = Vec::new();
    let mut implies = Vec::new();
    for (kind, list) in [(PropKind::Select, &mut selects), (PropKind::Imply, &mut implies)] {
        for p in kc.properties(id, kind) {
            if let Some(t) = p.target {
                list.push(format!("{} if {}", kc.symbol(t).name, cond(p.cond.as_ref())));
            }
        }
    }
    Shown {
        symbol: sym.name.clone(),
        value: kc.string_value(id).to_string(),
        ty: sym.ty.name().to_string(),
        prompts: kc
            .prompts(id)
            .map(|p| ShownPrompt {
                text: p.text.clone().unwrap_or_default(),
                visible_if: cond(p.cond.as_ref()),
            })
            .collect(),
        defined_at: kc
            .locations(id)
            .into_iter()
            .map(|l| kc.location_string(l))
            .collect(),
        depends_on: cond(sym.dir_dep.as_ref()),
        visibility: kc.visibility(id).to_string(),
        assignable: kc.assignable(id).map(|(lo, hi)| format!("{lo}..{hi}")),
        user_value: kc.has_user_value(id),
        choice_members: kc
            .choice_of(id)
            .map(|c| {
                kc.choice(c)
                    .members
                    .iter()
                    .map(|m| kc.symbol(*m).name.clone())
                    .collect()
            })
            .unwrap_or_default(),
        defaults: kc
            .properties(id, PropKind::Default)
            .map(|p| {
                let v = p.expr.as_ref().map(|e| kc.expr_to_string(e)).unwrap_or_default();
                format!("{v} if {}", cond(p.cond.as_ref()))
            })
            .collect(),
        ranges: kc
            .properties(id, PropKind::Range)
            .filter_map(|p| {
                let (a, b) = p.range?;
                Some(format!(
                    "{} {} if {}",
                    kc.symbol(a).name,
                    kc.symbol(b).name,
                    cond(p.cond.as_ref())
                ))
            })
            .collect(),
        selects,
        implies,
        selected_by: rev(kc.selected_by(id)),
        implied_by: rev(kc.implied_by(id)),
        help: kc.help(id).into_iter().map(str::to_string).collect(),
    }
}

fn print_show(o: &mut dyn Write, s: &Shown) -> std::io::Result<()> {
    writeln!(o, "Symbol: {} [={}]", s.symbol, s.value)?;
    writeln!(o, "Type  : {}", s.ty)?;
    for p in &s.prompts {
        writeln!(o, "Prompt: {}", p.text)?;
        writeln!(o, "  Visible if: {}", p.visible_if)?;
    }
    for l in &s.defined_at {
        writeln!(o, "Defined at {l}")?;
    }
    writeln!(o, "Depends on: {}", s.depends_on)?;
    writeln!(o, "Visibility: {}", s.visibility)?;
    if let Some(a) = &s.assignable {
        writeln!(o, "Assignable: {a}")?;
    }
    if s.user_value {
        writeln!(o, "User value: set")?;
    }
    if !s.choice_members.is_empty() {
        writeln!(o, "Choice member of: {}", s.choice_members.join(", "))?;
    }
    for d in &s.defaults {
        writeln!(o, "Default: {d}")?;
    }
    for r in &s.ranges {
        writeln!(o, "Range: {r}")?;
    }
    for x in &s.selects {
        writeln!(o, "Selects: {x}")?;
    }
    for x in &s.implies {
        writeln!(o, "Implies: {x}")?;
    }
    for (what, list) in [("Selected by", &s.selected_by), ("Implied by", &s.implied_by)] {
        for lvl in ["y", "m", "n"] {
            let rows: Vec<&Reverse> = list.iter().filter(|r| r.level == lvl).collect();
            if rows.is_empty() {
                continue;
            }
            writeln!(o, "{what} [{lvl}]:")?;
            for r in rows {
                writeln!(o, "  - {} [={}] if {}", r.symbol, r.value, r.condition)?;
            }
        }
    }
    for h in &s.help {
        writeln!(o, "Help:")?;
        for l in h.lines() {
            writeln!(o, "  {l}")?;
        }
    }
    Ok(())
}
