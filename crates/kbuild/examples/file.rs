//! Developer tool: print what kfit extracts from one module of a tree.
//! cargo run --release -p kfit-kbuild --example file -- TREE MODULE
use kfit_kbuild::KernelIndex;
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let idx = KernelIndex::load_or_build(
        Path::new(&a[1]),
        &kfit_kbuild::Arch::default(),
        Path::new("/tmp/kbidx-dev"),
    )
    .unwrap();
    for m in idx.modules_named(&a[2]) {
        println!("{} {} {:?} {:?}", m.name, m.path, m.symbols, m.sources);
        for al in &m.aliases {
            println!("  {} {}:{}", al.pattern, al.file, al.line);
        }
        println!("  drivers {:?} fw {:?}", m.driver_names, m.firmware);
        for s in &m.sources {
            for d in idx.diags.iter().filter(|d| d.starts_with(s.as_str())) {
                println!("  diag {d}");
            }
        }
    }
}
