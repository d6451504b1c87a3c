//! Developer tool: time the warm load of a cached index.
//! cargo run --release -p kfit-kbuild --example load -- TREE CACHE_DIR
use kfit_kbuild::KernelIndex;
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let tree = Path::new(&a[1]);
    let cache = Path::new(&a[2]);
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let key = kfit_kbuild::cache_key(tree, &kfit_kbuild::Arch::default()).unwrap();
        let f = if a.len() > 3 {
            Path::new(&a[3]).to_path_buf()
        } else {
            cache.join(format!("{key}.bin"))
        };
        let t1 = t.elapsed();
        let idx = KernelIndex::load(&f).unwrap();
        let t2 = t.elapsed();
        let n = idx.match_modalias("pci:v00008086d00002723sv*sd*bc02sc80i*").len();
        println!(
            "key {t1:?} load {t2:?} (+match {:?}, {n} matches)",
            t.elapsed() - t2
        );
    }
}
