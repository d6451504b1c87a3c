//! How much a config builds in, from the index's Kbuild conditions: the
//! objects (modules) whose every condition group has a `=y` symbol, and
//! their `.c`/`.S` sources (about the number of compiles `make` does).
//! Used by docs/e2e.md to size a kernel build before starting it:
//!
//!     cargo run --release -p kfit-kbuild --example objcount -- TREE CONFIG...
//!
//! With `KFIT_OBJCOUNT_DIRS=N`, also the sources per directory (the first
//! two path components), the N largest.
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((tree, configs)) = args.split_first() else {
        return Err("usage: objcount TREE CONFIG...".into());
    };
    let idx = kfit_kbuild::KernelIndex::load_or_build(
        Path::new(tree),
        &kfit_kbuild::Arch::default(),
        &kfit_kbuild::default_cache_dir(),
    )?;
    for cfg in configs {
        let text = std::fs::read_to_string(cfg).map_err(|e| format!("{cfg}: {e}"))?;
        let y: HashSet<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("CONFIG_")?.strip_suffix("=y"))
            .collect();
        let built: Vec<_> = idx
            .modules
            .iter()
            .filter(|m| m.symbols.iter().all(|g| g.iter().any(|s| y.contains(s.as_str()))))
            .collect();
        let sources: usize = built
            .iter()
            .map(|m| {
                m.sources
                    .iter()
                    .filter(|s| s.ends_with(".c") || s.ends_with(".S"))
                    .count()
            })
            .sum();
        println!(
            "{cfg}: {} symbols =y, {} objects built in, {sources} .c/.S sources",
            y.len(),
            built.len()
        );
        let top: usize = std::env::var("KFIT_OBJCOUNT_DIRS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut dirs: BTreeMap<String, usize> = BTreeMap::new();
        for m in &built {
            let d: Vec<&str> = m.path.split('/').take(2).collect();
            *dirs.entry(d.join("/")).or_default() += m.sources.len();
        }
        let mut dirs: Vec<_> = dirs.into_iter().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.1));
        for (d, n) in dirs.iter().take(top) {
            println!("  {n:5} {d}");
        }
    }
    Ok(())
}
