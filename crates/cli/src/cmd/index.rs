//! `kfit index`, `kfit modinfo`, `kfit match`: the kernel tree index.

use clap::Args;
use kfit_kbuild::{KernelIndex, Module};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the index comes from (shared flags).
#[derive(Args, Clone)]
pub struct TreeArgs {
    /// Kernel source tree (read-only).
    #[arg(long, value_name = "DIR", value_parser = crate::path_arg())]
    pub tree: PathBuf,
    /// The architecture (ARCH: x86, arm64, ...) to index for [default: $ARCH,
    /// as make takes it, else this machine's, from `uname -m`].
    #[arg(long, value_parser = crate::arch_arg())]
    pub arch: Option<kfit_kconfig::Arch>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Use the index even when some files of the tree cannot be read
    /// (they are listed; without it that is an error).
    #[arg(long)]
    pub allow_partial: bool,
}

impl TreeArgs {
    /// `--arch`, else `$ARCH`, else the running machine's.
    pub fn arch(&self) -> kfit_kconfig::Arch {
        self.arch.clone().unwrap_or_else(kfit_kconfig::Arch::make_default)
    }

    fn load(&self) -> anyhow::Result<KernelIndex> {
        let cache = kfit_kbuild::index_cache_dir(crate::cache_dir());
        let progress = crate::out::index_progress();
        let idx = kfit_fit::job::load_index(
            &self.tree,
            &self.arch(),
            &cache,
            self.allow_partial,
            progress.as_deref(),
        )?;
        for (f, e) in &idx.unreadable {
            eprintln!(
                "warning: could not read {}: {e} (the index lacks it)",
                crate::out::escape(f)
            );
        }
        for n in &idx.notes {
            eprintln!("warning: {}", crate::out::escape(n));
        }
        Ok(idx)
    }
}

#[derive(Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub t: TreeArgs,
    /// Rebuild even if a cached index exists.
    #[arg(long)]
    pub rebuild: bool,
}

#[derive(Args)]
pub struct ModinfoArgs {
    /// Module name (KBUILD_MODNAME, `-` or `_`), object path
    /// (drivers/usb/host/xhci-pci) or driver name (xhci_hcd).
    #[arg(value_parser = crate::text_arg())]
    pub module: String,
    #[command(flatten)]
    pub t: TreeArgs,
}

#[derive(Args)]
pub struct MatchArgs {
    /// Device modaliases (`pci:v00008086d00002723sv*sd*bc02sc80i*`); a `*`
    /// marks a field as unknown.
    #[arg(required = true, value_parser = crate::text_arg())]
    pub modalias: Vec<String>,
    #[command(flatten)]
    pub t: TreeArgs,
    /// Print every matching alias, not only the most specific per module.
    #[arg(long)]
    pub all: bool,
}

pub fn run_index(a: IndexArgs) -> anyhow::Result<ExitCode> {
    let start = std::time::Instant::now();
    let idx = if a.rebuild {
        let cache = kfit_kbuild::index_cache_dir(crate::cache_dir());
        let progress = crate::out::index_progress();
        let idx = kfit_kbuild::allow_partial(
            KernelIndex::rebuild_with(&a.t.tree, &a.t.arch(), &cache, progress.as_deref()),
            a.t.allow_partial,
        )?;
        for n in &idx.notes {
            eprintln!("warning: {}", crate::out::escape(n));
        }
        idx
    } else {
        a.t.load()?
    };
    let n_alias: usize = idx.modules.iter().map(|m| m.aliases.len()).sum();
    let n_fw: usize = idx.modules.iter().map(|m| m.firmware.len()).sum();
    let n_drv: usize = idx.modules.iter().map(|m| m.driver_names.len()).sum();
    let mut out = std::io::stdout().lock();
    if a.t.json {
        crate::out::json(
            &mut out,
            "index",
            &serde_json::json!({
                "tree": idx.tree, "version": idx.version,
                "modules": idx.modules.len(), "aliases": n_alias,
                "driver_names": n_drv, "firmware": n_fw,
                "diagnostics": idx.diags.len(),
                "seconds": start.elapsed().as_secs_f64(),
            }),
        )?;
    } else {
        writeln!(
            out,
            "{} {}: {} objects, {} aliases, {} driver names, {} firmware names ({} skipped constructs) in {:.2?}",
            idx.tree,
            idx.version,
            idx.modules.len(),
            n_alias,
            n_drv,
            n_fw,
            idx.diags.len(),
            start.elapsed()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_module(out: &mut impl Write, m: &Module) -> std::io::Result<()> {
    writeln!(out, "name:         {}", m.name)?;
    writeln!(out, "path:         {}", m.path)?;
    writeln!(out, "makefile:     {}", m.makefile)?;
    let groups: Vec<String> = m
        .symbols
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let s = g.join(" | ");
            let s = if g.len() > 1 { format!("({s})") } else { s };
            if i < m.own {
                s
            } else {
                format!("[dir] {s}")
            }
        })
        .collect();
    writeln!(out, "symbols:      {}", groups.join(" && "))?;
    writeln!(
        out,
        "source:       {:?}{}",
        m.symbol_source,
        if m.builtin_only { " (built-in only)" } else { "" }
    )?;
    writeln!(out, "files:        {}", m.sources.join(" "))?;
    writeln!(out, "drivers:      {}", m.driver_names.join(", "))?;
    for a in &m.aliases {
        writeln!(out, "alias:        {}  ({})", a.pattern, alias_at(a))?;
    }
    for f in &m.firmware {
        writeln!(out, "firmware:     {f}")?;
    }
    Ok(())
}

pub fn run_modinfo(a: ModinfoArgs) -> anyhow::Result<ExitCode> {
    let idx = a.t.load()?;
    let mods = idx.find_modules(&a.module);
    if mods.is_empty() {
        eprintln!(
            "kfit: no module, object or driver named {} in {}",
            crate::out::escape(&format!("{:?}", a.module)),
            idx.tree
        );
        return Ok(ExitCode::from(1));
    }
    let mut out = std::io::stdout().lock();
    if a.t.json {
        crate::out::json(&mut out, "modinfo", &serde_json::json!({ "modules": mods }))?;
    } else {
        for (i, m) in mods.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            print_module(&mut out, m)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_match(a: MatchArgs) -> anyhow::Result<ExitCode> {
    let idx = a.t.load()?;
    let mut out = std::io::stdout().lock();
    let mut any = false;
    let mut json = Vec::new();
    for ma in &a.modalias {
        let matches = idx.match_modalias(ma);
        let mut seen = std::collections::HashSet::new();
        let mut rows = Vec::new();
        for m in &matches {
            if !a.all && !seen.insert(&m.module.path) {
                continue;
            }
            rows.push(m);
        }
        any |= !rows.is_empty();
        if a.t.json {
            let v: Vec<_> = rows
                .iter()
                .map(|m| {
                    let mut v = serde_json::json!({
                        "module": m.module.name, "path": m.module.path,
                        "symbols": m.module.symbols, "own": m.module.own,
                        "pattern": m.alias.pattern,
                        "file": m.alias.file, "line": m.alias.line,
                        "entry_line": m.alias.entry_line,
                        "specificity": m.specificity,
                    });
                    if let Some(d) = &m.alias.declared_by {
                        v["declared_by"] = d.as_str().into();
                    }
                    v
                })
                .collect();
            json.push(serde_json::json!({"modalias": ma, "matches": v}));
            continue;
        }
        writeln!(out, "{ma}")?;
        if rows.is_empty() {
            writeln!(out, "  (no match)")?;
        }
        for m in rows {
            let own: Vec<String> = m.module.symbols[..m.module.own]
                .iter()
                .map(|g| g.join("|"))
                .collect();
            writeln!(
                out,
                "  {:<20} {:<28} {}  ({})",
                m.module.name,
                own.join(" && "),
                m.alias.pattern,
                alias_at(m.alias)
            )?;
        }
    }
    if a.t.json {
        crate::out::json(&mut out, "match", &serde_json::json!({ "modaliases": json }))?;
    }
    out.flush()?;
    Ok(if any { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Where an alias comes from: the entry's own line (the table's for a
/// pattern that names no single ID), and the `#if CONFIG_...` around it.
fn alias_at(a: &kfit_kbuild::Alias) -> String {
    let mut t = format!("{}:{}", a.file, a.entry_line);
    if !a.conditions.is_empty() {
        let c: Vec<String> = a
            .conditions
            .iter()
            .map(|f| format!("CONFIG_{} (line {})", f.name, f.line))
            .collect();
        t.push_str(&format!(", inside #if {}", c.join(", ")));
    }
    if let Some(d) = &a.declared_by {
        t.push_str(&format!(", {d}: early init, built in only, no modalias"));
    }
    crate::out::escape(&t).into_owned()
}
