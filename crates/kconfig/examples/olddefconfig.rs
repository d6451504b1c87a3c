//! `cargo run --example olddefconfig -- TREE IN OUT [CC]`: olddefconfig with
//! timings (development helper; the real CLI is `kfit kconfig olddefconfig`).
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: olddefconfig TREE IN OUT [CC]");
        std::process::exit(2);
    }
    let opts = kfit_kconfig::LoadOptions { cc: a.get(4).cloned().unwrap_or_else(|| "gcc".into()), ..Default::default() };
    let t0 = Instant::now();
    let mut kc = kfit_kconfig::Kconfig::load(a[1].as_ref(), &opts)?;
    let t1 = Instant::now();
    kc.read_config(a[2].as_ref())?;
    let text = kc.write_config();
    let t2 = Instant::now();
    std::fs::write(&a[3], text)?;
    let s = kc.stats();
    eprintln!(
        "load {:.3}s ({} files, {} passes, {} probes run), read+evaluate+write {:.3}s",
        (t1 - t0).as_secs_f64(),
        s.files,
        s.passes,
        s.probes_run,
        (t2 - t1).as_secs_f64()
    );
    Ok(())
}
