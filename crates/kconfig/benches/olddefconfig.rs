//! Benchmark (not a test): kfit's olddefconfig against the kernel's own
//! `conf --olddefconfig` on Linux 6.12, same input, same machine, in turn.
//!
//! `cargo bench -p kfit-kconfig --bench olddefconfig` (`scripts/bench-kconfig.sh`
//! times the `kfit` command itself). Each side runs as a whole process (kfit re-runs
//! this binary in a child mode), with one warm-up each (it fills kfit's probe
//! cache), then `KFIT_BENCH_RUNS` (default 7) alternating runs. Prints the
//! median wall and CPU time of each and the ratio kfit/conf.
//! Input: `KFIT_BENCH_CONFIG` or the ix cfg_6_16 oracle input.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn cache() -> PathBuf {
    match std::env::var_os("KFIT_CACHE") {
        Some(c) => PathBuf::from(c),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kfit"),
    }
}

fn env_file(v: &str) -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(cache().join("env").join(v)).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
    )
}

/// Children's user+sys CPU seconds so far (from /proc/self/stat).
fn children_cpu() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(rest) = s.rsplit_once(')').map(|x| x.1) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // fields after ')' start at field 3; cutime=16, cstime=17
    let get = |i: usize| f.get(i - 3).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (get(16) + get(17)) / 100.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn child_mode(tree: &str, input: &str, output: &str) {
    let opts = kfit_kconfig::LoadOptions { ..Default::default() };
    match kfit_kconfig::Kconfig::load_with_config(tree.as_ref(), &opts, input.as_ref()) {
        Ok((kc, _)) => {
            if let Err(e) = std::fs::write(output, kc.write_config()) {
                eprintln!("{output}: {e}");
                std::process::exit(1);
            }
            std::mem::forget(kc);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

fn timed(cmd: &mut Command) -> (f64, f64) {
    let c0 = children_cpu();
    let t = Instant::now();
    let st = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .status();
    let wall = t.elapsed().as_secs_f64();
    if !st.is_ok_and(|s| s.success()) {
        eprintln!("command failed: {cmd:?}");
        std::process::exit(1);
    }
    (wall, children_cpu() - c0)
}

fn main() {
    if let Ok(args) = std::env::var("KFIT_BENCH_CHILD") {
        let a: Vec<&str> = args.split('\n').collect();
        if a.len() == 3 {
            child_mode(a[0], a[1], a[2]);
        }
        return;
    }
    let Some(env) = env_file("6.12") else {
        println!("no Linux 6.12 tree (run scripts/fetch-kernels.sh 6.12); skipping");
        return;
    };
    let get = |k: &str| {
        env.iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (tree, build, kver) = (get("TREE"), get("BUILD"), get("KVER"));
    let input = std::env::var("KFIT_BENCH_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cache().join("oracle/6.12/cfg_6_16.in"));
    if !input.exists() {
        println!(
            "{} missing (run scripts/kconfig-oracle.sh 6.12); skipping",
            input.display()
        );
        return;
    }
    let runs: usize = std::env::var("KFIT_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let work = std::env::temp_dir().join(format!("kfit-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&work);
    let conf = Path::new(&build).join("scripts/kconfig/conf");
    let cc_version = Command::new("sh")
        .args(["-c", "LC_ALL=C gcc --version 2>/dev/null | head -n 1"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
        .unwrap_or_default();
    let me = std::env::current_exe().expect("current exe");
    let kfit_out = work.join("kfit.config");
    let conf_cfg = work.join("conf.config");
    let kfit_cmd = || {
        let mut c = Command::new(&me);
        c.env(
            "KFIT_BENCH_CHILD",
            format!("{tree}\n{}\n{}", input.display(), kfit_out.display()),
        );
        c
    };
    let conf_cmd = || {
        std::fs::copy(&input, &conf_cfg).expect("copy input");
        let mut c = Command::new(&conf);
        c.current_dir(&work)
            .env("KCONFIG_CONFIG", &conf_cfg)
            .env("srctree", &tree)
            .env("ARCH", "x86")
            .env("SRCARCH", "x86")
            .env("KERNELVERSION", &kver)
            .env("CC", "gcc")
            .env("LD", "ld")
            .env("HOSTCC", "gcc")
            .env("CC_VERSION_TEXT", &cc_version)
            .env("RUSTC", "rustc")
            .env("BINDGEN", "bindgen")
            .env("OBJCOPY", "objcopy")
            .env("NM", "nm")
            .env("PAHOLE", "pahole")
            .args(["--olddefconfig", "Kconfig"]);
        c
    };
    println!("olddefconfig on Linux {kver}, input {}", input.display());
    timed(&mut kfit_cmd());
    timed(&mut conf_cmd());
    let (mut kw, mut kc, mut cw, mut cc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ratios = Vec::new();
    for _ in 0..runs {
        let (w1, c1) = timed(&mut kfit_cmd());
        let (w2, c2) = timed(&mut conf_cmd());
        kw.push(w1);
        kc.push(c1);
        cw.push(w2);
        cc.push(c2);
        ratios.push(w1 / w2);
    }
    let same = std::fs::read(&kfit_out).ok() == std::fs::read(&conf_cfg).ok();
    let (kwm, kcm, cwm, ccm, rm) = (
        median(&mut kw),
        median(&mut kc),
        median(&mut cw),
        median(&mut cc),
        median(&mut ratios),
    );
    println!("runs: {runs} each, alternating, after one warm-up each (kfit probes cached)");
    println!("kfit olddefconfig   : median wall {kwm:.3} s, median CPU {kcm:.3} s");
    println!("conf --olddefconfig : median wall {cwm:.3} s, median CPU (incl. probes) {ccm:.3} s");
    println!(
        "ratio kfit/conf     : wall {rm:.2} (median of pairwise ratios), CPU {:.2}",
        kcm / ccm.max(1e-9)
    );
    println!("outputs byte-identical: {}", if same { "yes" } else { "no" });
    let _ = std::fs::remove_dir_all(&work);
}
