//! Issue 18: readers run in time linear in their input (a 200 MB listing
//! took 107 s and 50 MB 4.6 s). For every synthetic form of
//! tests/forms (the ones examples/linear.rs measures), reading 4 times the
//! text (2 → 8 MiB) may cost at most 12 times the CPU time: linear is 4
//! (measured 4.4–5.7: bigger hash maps miss caches more), quadratic 16, the
//! 200 MB defect was 23. CPU time of this thread, so that a loaded machine
//! does not count; the best of 3 runs of each size.

mod forms;

fn best_cpu_ms(text: &str) -> f64 {
    (0..3)
        .map(|_| {
            let c = forms::cpu_ms();
            let r = kfit_hw::read_str(text, "synthetic");
            let ms = forms::cpu_ms() - c;
            let (m, _) = r.unwrap();
            assert!(!m.devices.is_empty() || !m.loaded_modules.is_empty());
            ms
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn reading_grows_linearly_with_the_listing() {
    if !std::path::Path::new("/proc/thread-self/schedstat").exists() {
        eprintln!("skipped: no /proc/thread-self/schedstat to measure CPU time");
        return;
    }
    let (small, big) = (2, 8);
    let mut report = Vec::new();
    for (name, f) in &forms::forms() {
        let a = best_cpu_ms(&forms::listing(name, f, small));
        let b = best_cpu_ms(&forms::listing(name, f, big));
        report.push(format!(
            "{name}: {small} MiB {a:.0} ms, {big} MiB {b:.0} ms, ratio {:.1}",
            b / a
        ));
        assert!(
            b <= 8.0 * a.max(1.0),
            "{name} is not linear:\n{}",
            report.join("\n")
        );
    }
    eprintln!("{}", report.join("\n"));
}
