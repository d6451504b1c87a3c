//! Resolution on the real 6.12 tree (cached by scripts/fetch-kernels.sh).
use std::path::PathBuf;

fn tree() -> Option<PathBuf> {
    let cache = std::env::var_os("KFIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kfit"));
    let env = std::fs::read_to_string(cache.join("env/6.12")).ok()?;
    env.lines()
        .find_map(|l| l.strip_prefix("TREE="))
        .map(PathBuf::from)
}

#[test]
fn seed_resolves() {
    let Some(tree) = tree() else {
        panic!("run scripts/fetch-kernels.sh first");
    };
    let idx = kfit_kbuild::KernelIndex::load_or_build(&tree, &kfit_kbuild::default_cache_dir()).unwrap();
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed/lspci-k.txt");
    let (m, _) = kfit_hw::read_listings(&[PathBuf::from(seed)]).unwrap();
    let r = kfit_resolve::resolve(&m, &idx, &tree, &Default::default());
    for d in &r.devices {
        eprintln!("{} {:?} {:?}", d.label, d.driver, d.status);
        for mn in &d.modules {
            eprintln!("   {} {:?}", mn.module, mn.how);
            for rq in &mn.requires {
                eprintln!("      {:?}  ({})", rq.any_of, rq.why);
            }
        }
        for n in &d.notes {
            eprintln!("   note: {n}");
        }
    }
}
