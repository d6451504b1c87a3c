//! Time to read synthetic listings of growing size (5, 25, 50 MB by
//! default), per format: the ratio time/size must stay flat (linear
//! readers). A measurement (tests/linear.rs asserts the ratio on smaller
//! sizes):
//! `cargo run -p kfit-hw --release --example linear [MB...]`.
#[path = "../tests/forms/mod.rs"]
mod forms;

use std::time::Instant;

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![5, 25, 50] } else { sizes };
    println!(
        "{:<24} {:>6} {:>9} {:>9} {:>9} {:>8}",
        "form", "MB", "cpu ms", "cpu ms/MB", "wall ms", "devices"
    );
    for (name, f) in &forms::forms() {
        for &mb in &sizes {
            let text = forms::listing(name, f, mb);
            let (t, c) = (Instant::now(), forms::cpu_ms());
            let r = kfit_hw::read_str(&text, "synthetic");
            let wall = t.elapsed().as_secs_f64() * 1000.0;
            let ms = forms::cpu_ms() - c;
            let n = match &r {
                Ok((m, _)) => m.devices.len() + m.loaded_modules.len(),
                Err(e) => {
                    eprintln!("{name}: {e}");
                    0
                }
            };
            println!(
                "{name:<24} {mb:>6} {ms:>9.0} {:>9.1} {wall:>9.0} {n:>8}",
                ms / mb as f64
            );
        }
    }
}
