//! Developer tool: dump every field of an index as text, to check that a
//! change to the indexer keeps its output identical (diff two dumps).
//!   cargo run --release -p kfit-kbuild --example dump -- build TREE OUT [SAVE_TO]
//!   cargo run --release -p kfit-kbuild --example dump -- load CACHE_FILE OUT
//! `build` indexes for `$ARCH` (default x86).
use kfit_kbuild::KernelIndex;
use std::fmt::Write;
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let t = std::time::Instant::now();
    let idx = match a[1].as_str() {
        "build" => {
            let arch = kfit_kbuild::Arch::new(&std::env::var("ARCH").unwrap_or_else(|_| "x86".into()));
            KernelIndex::build(Path::new(&a[2]), &arch, None).unwrap()
        }
        "load" => KernelIndex::load(Path::new(&a[2])).unwrap(),
        x => panic!("unknown mode {x}"),
    };
    eprintln!("{} in {:?}: {} modules", a[1], t.elapsed(), idx.modules.len());
    if let (Some(f), "build") = (a.get(4), a[1].as_str()) {
        idx.save(Path::new(f)).unwrap();
    }
    let mut o = String::new();
    writeln!(o, "version {}", idx.version).unwrap();
    for m in &idx.modules {
        writeln!(o, "module {} {}", m.name, m.path).unwrap();
        writeln!(o, "  symbols {:?} own {}", m.symbols, m.own).unwrap();
        writeln!(
            o,
            "  source {:?} builtin_only {}",
            m.symbol_source, m.builtin_only
        )
        .unwrap();
        writeln!(o, "  drivers {:?}", m.driver_names).unwrap();
        writeln!(o, "  firmware {:?}", m.firmware).unwrap();
        writeln!(o, "  sources {:?}", m.sources).unwrap();
        writeln!(o, "  runtime_sources {:?}", m.runtime_sources).unwrap();
        writeln!(o, "  makefile {}", m.makefile).unwrap();
        for al in &m.aliases {
            writeln!(
                o,
                "  alias {} {}:{} entry {} if {:?}",
                al.pattern, al.file, al.line, al.entry_line, al.conditions
            )
            .unwrap();
        }
        for c in &m.companions {
            writeln!(o, "  companion {c:?}").unwrap();
        }
        writeln!(o, "  revisions {:?}", m.revisions).unwrap();
    }
    writeln!(o, "facts {:?}", idx.facts).unwrap();
    for d in &idx.diags {
        writeln!(o, "diag {d}").unwrap();
    }
    // The lookup maps: every module is found by its name, path and drivers,
    // and each of its aliases matches itself.
    let mut n = 0usize;
    for m in &idx.modules {
        assert!(idx.modules_named(&m.name).iter().any(|x| std::ptr::eq(*x, m)));
        assert!(idx.module_by_path(&m.path).is_some());
        for d in &m.driver_names {
            assert!(idx.module_by_driver_name(d).iter().any(|x| std::ptr::eq(*x, m)));
        }
        n += m.aliases.len();
    }
    writeln!(o, "aliases {n}").unwrap();
    for probe in [
        "pci:v00008086d00002723sv00008086sd00000084bc02sc80i00",
        "usb:v046DpC52Bd1201dc00dsc00dp00ic03isc01ip01in00",
        "acpi:PNP0C0A:",
        "pci:v00001002d000073BFsv*sd*bc03sc00i00",
        "virtio:d00000001v00001AF4",
    ] {
        for mt in idx.match_modalias(probe) {
            writeln!(
                o,
                "match {probe} {} {} {}",
                mt.module.path, mt.alias.pattern, mt.specificity
            )
            .unwrap();
        }
    }
    std::fs::write(&a[3], o).unwrap();
}
