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
    #[arg(long)]
    tree: PathBuf,
    /// C compiler used for the toolchain probes ($(cc-option) etc.); a clang
    /// compiler behaves like `make LLVM=1` [default: gcc, as make; clang
    /// with --llvm].
    #[arg(long)]
    cc: Option<String>,
    /// Use the LLVM toolchain, like `make LLVM=1` (clang, ld.lld).
    #[arg(long)]
    llvm: bool,
    /// ARCH (SRCARCH is derived).
    #[arg(long, default_value = "x86")]
    arch: String,
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
        #[arg(long)]
        config: PathBuf,
        /// Output file (default: overwrite the input, keeping IN.old).
        #[arg(short = 'o', long)]
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
        symbol: String,
        #[command(flatten)]
        tree: TreeArgs,
        /// Evaluate against this .config (default: all defaults).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn load_opts(t: &TreeArgs) -> LoadOptions {
    let mut opts = LoadOptions {
        cc: t
            .cc
            .clone()
            .unwrap_or_else(|| kfit_kconfig::make_cc(t.llvm).to_string()),
        arch: t.arch.clone(),
        ..Default::default()
    };
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
                    writeln!(err, "{w}")?;
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
            super::write_atomic(&out, &text, backup)?;
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
        KconfigCmd::Show { symbol, tree, config } => {
            let mut kc = load(&tree)?;
            if let Some(c) = &config {
                kc.read_config(c)?;
            }
            let name = symbol.strip_prefix("CONFIG_").unwrap_or(&symbol);
            let Some(id) = kc.lookup(name) else {
                anyhow::bail!("symbol {name} is not defined in {}", tree.tree.display());
            };
            print_show(&kc, id);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_show(kc: &Kconfig, id: kfit_kconfig::SymbolId) {
    let sym = kc.symbol(id);
    let cond = |e: Option<&kfit_kconfig::ExprRef>| match e {
        Some(e) => format!("{} [={}]", kc.expr_to_string(e), kc.eval_expr(e)),
        None => "y".to_string(),
    };
    println!("Symbol: {} [={}]", sym.name, kc.string_value(id));
    println!("Type  : {}", sym.ty.name());
    if sym.ty == SymbolType::Unknown {
        println!("(referenced but never defined)");
    }
    for p in kc.prompts(id) {
        println!("Prompt: {}", p.text.as_deref().unwrap_or(""));
        println!("  Visible if: {}", cond(p.cond.as_ref()));
        println!("  Defined at {}", kc.location_string(p.loc));
    }
    for l in kc.locations(id) {
        println!("Defined at {}", kc.location_string(l));
    }
    println!("Depends on: {}", cond(sym.dir_dep.as_ref()));
    println!("Visibility: {}", kc.visibility(id));
    if let Some((lo, hi)) = kc.assignable(id) {
        println!("Assignable: {lo}..{hi}");
    }
    if kc.has_user_value(id) {
        println!("User value: set");
    }
    if let Some(c) = kc.choice_of(id) {
        let ch = kc.choice(c);
        let names: Vec<_> = ch.members.iter().map(|m| kc.symbol(*m).name.clone()).collect();
        println!("Choice member of: {}", names.join(", "));
    }
    for p in kc.properties(id, PropKind::Default) {
        let v = p.expr.as_ref().map(|e| kc.expr_to_string(e)).unwrap_or_default();
        println!("Default: {v} if {}", cond(p.cond.as_ref()));
    }
    for p in kc.properties(id, PropKind::Range) {
        if let Some((a, b)) = p.range {
            println!(
                "Range: {} {} if {}",
                kc.symbol(a).name,
                kc.symbol(b).name,
                cond(p.cond.as_ref())
            );
        }
    }
    for (kind, what) in [(PropKind::Select, "Selects"), (PropKind::Imply, "Implies")] {
        for p in kc.properties(id, kind) {
            if let Some(t) = p.target {
                println!("{what}: {} if {}", kc.symbol(t).name, cond(p.cond.as_ref()));
            }
        }
    }
    let by = |v: Vec<(kfit_kconfig::SymbolId, Option<kfit_kconfig::ExprRef>)>, what: &str| {
        let mut y = Vec::new();
        let mut m = Vec::new();
        let mut n = Vec::new();
        for (s, c) in v {
            let val = kc.tristate(s).and(kc.eval_cond(c.as_ref()));
            let line = format!(
                "  - {} [={}] if {}",
                kc.symbol(s).name,
                kc.string_value(s),
                cond(c.as_ref())
            );
            match val {
                Tristate::Yes => y.push(line),
                Tristate::Mod => m.push(line),
                Tristate::No => n.push(line),
            }
        }
        for (lvl, v) in [("y", y), ("m", m), ("n", n)] {
            if !v.is_empty() {
                println!("{what} [{lvl}]:");
                for l in v {
                    println!("{l}");
                }
            }
        }
    };
    by(kc.selected_by(id), "Selected by");
    by(kc.implied_by(id), "Implied by");
    for h in kc.help(id) {
        println!("Help:");
        for l in h.lines() {
            println!("  {l}");
        }
    }
}
