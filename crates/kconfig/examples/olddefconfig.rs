//! `cargo run --example olddefconfig -- TREE IN OUT [CC]`: olddefconfig with
//! timings (development helper; the real CLI is `kfit kconfig olddefconfig`).
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: olddefconfig TREE IN OUT [CC]");
        std::process::exit(2);
    }
    let opts = kfit_kconfig::LoadOptions {
        cc: a.get(4).cloned().unwrap_or_else(|| "gcc".into()),
        ..Default::default()
    };
    let t0 = Instant::now();
    let (kc, _warnings) = kfit_kconfig::Kconfig::load_with_config(a[1].as_ref(), &opts, a[2].as_ref())?;
    let t1 = Instant::now();
    let text = if std::env::var_os("KFIT_SAVEDEFCONFIG").is_some() {
        kc.write_min_config()
    } else {
        kc.write_config()
    };
    let t2 = Instant::now();
    std::fs::write(&a[3], text)?;
    let s = kc.stats();
    eprintln!(
        "load+read+evaluate {:.3}s ({} files, {} passes, {} probes run), write {:.3}s",
        (t1 - t0).as_secs_f64(),
        s.files,
        s.passes,
        s.probes_run,
        (t2 - t1).as_secs_f64()
    );
    // The process ends here: freeing the model would only cost time.
    std::mem::forget(kc);
    Ok(())
}
