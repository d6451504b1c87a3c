//! Developer tool: index a tree and compare with a Debian modules.alias.
//! cargo run --release -p kfit-kbuild --example compare -- TREE MODULES.ALIAS [OUTDIR]
use kfit_kbuild::KernelIndex;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let t = std::time::Instant::now();
    let idx = KernelIndex::build(Path::new(&a[1]), &kfit_kbuild::Arch::default(), None).unwrap();
    eprintln!("built in {:?}: {} modules", t.elapsed(), idx.modules.len());
    let deb = std::fs::read_to_string(&a[2]).unwrap();
    let ours: HashSet<(String, String)> = idx
        .aliases()
        .map(|(m, al)| (al.pattern.clone(), m.name.clone()))
        .collect();
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let out = a.get(3).map(|s| s.as_str()).unwrap_or("/tmp/kbcmp");
    std::fs::create_dir_all(out).unwrap();
    let mut missing = String::new();
    for l in deb.lines() {
        let mut it = l.splitn(3, ' ');
        let (_, pat, m) = (it.next(), it.next().unwrap_or(""), it.next().unwrap_or(""));
        let bus = pat.split(':').next().unwrap_or("").to_string();
        let e = per.entry(bus).or_default();
        e.1 += 1;
        if ours.contains(&(pat.to_string(), m.to_string())) {
            e.0 += 1;
        } else {
            missing.push_str(l);
            missing.push('\n');
        }
    }
    std::fs::write(format!("{out}/missing"), missing).unwrap();
    let mut ourl = String::new();
    for m in &idx.modules {
        for al in &m.aliases {
            ourl.push_str(&format!(
                "alias {} {} {}:{}\n",
                al.pattern, m.name, al.file, al.line
            ));
        }
    }
    std::fs::write(format!("{out}/ours"), ourl).unwrap();
    std::fs::write(format!("{out}/diags"), idx.diags.join("\n")).unwrap();
    for (b, (h, t)) in &per {
        if *t >= 10 {
            println!("{b:12} {h:6}/{t:6} {:.2}%", 100.0 * *h as f64 / *t as f64);
        }
    }
    if let Some(dep) = a.get(4) {
        let cfg = std::fs::read_to_string(a.get(5).unwrap()).unwrap();
        let m: HashSet<&str> = cfg
            .lines()
            .filter_map(|l| l.strip_suffix("=m"))
            .filter_map(|l| l.strip_prefix("CONFIG_"))
            .collect();
        let dep = std::fs::read_to_string(dep).unwrap();
        let (mut ok, mut n) = (0, 0);
        for l in dep.lines() {
            let ko = l.split(':').next().unwrap();
            let p = ko
                .trim_start_matches("kernel/")
                .trim_end_matches(".xz")
                .trim_end_matches(".zst")
                .trim_end_matches(".ko");
            n += 1;
            match idx.module_by_path(p) {
                None => println!("NOPATH {p}"),
                Some(md) => {
                    if md.symbols.iter().flatten().any(|s| m.contains(s.as_str())) {
                        ok += 1;
                    } else {
                        println!("NOSYM {p} {:?} {:?}", md.symbols, md.symbol_source);
                    }
                }
            }
        }
        println!("ko: {ok}/{n}");
    }
    let (h, t) = per.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("total {h}/{t} {:.2}%", 100.0 * h as f64 / t as f64);
}
