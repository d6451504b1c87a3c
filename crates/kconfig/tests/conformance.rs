//! Conformance against the kernel's own `conf --olddefconfig`.
//!
//! For Linux 6.12 and 6.1 (trees from `scripts/fetch-kernels.sh`) and every
//! base config prepared by `scripts/kconfig-oracle.sh` (ix cfg_6_16,
//! cfg_6_14, the 2023 slot/1 cfg, x86_64_defconfig, allnoconfig, Debian's
//! config, randconfig seeds 1..20), kfit's olddefconfig must give exactly the
//! symbol values `conf` gives. Byte identity of the whole file is reported
//! separately (and currently required too).
//!
//! Set `KFIT_SKIP_REAL_TREES=1` to skip when the trees cannot be fetched.

use kfit_testkit::{cache, repo};
use std::collections::BTreeMap;
use std::process::Command;

use kfit_kconfig::{parse_values, Kconfig, LoadOptions};

fn env_file(v: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(cache().join("env").join(v)).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn run_script(name: &str, v: &str) {
    let st = Command::new(repo("scripts").join(name))
        .arg(v)
        .status()
        .expect("run script");
    assert!(st.success(), "{name} {v} failed");
}

fn conformance(v: &str) {
    if std::env::var_os("KFIT_SKIP_REAL_TREES").is_some_and(|x| x == "1") {
        println!("KFIT_SKIP_REAL_TREES=1: skipping the Linux {v} conformance test");
        return;
    }
    if env_file(v).is_none() {
        run_script("fetch-kernels.sh", v);
    }
    let env = env_file(v).expect("env file after fetch-kernels.sh");
    let oracle = cache().join("oracle").join(v);
    if !oracle.join(".stamp-v1").exists() {
        run_script("kconfig-oracle.sh", v);
    }
    let tree = &env["TREE"];
    let opts = LoadOptions { ..Default::default() };
    let t = std::time::Instant::now();
    let mut kc = Kconfig::load(tree.as_ref(), &opts).expect("load tree");
    println!(
        "Linux {v}: loaded {} files in {:.2}s",
        kc.stats().files,
        t.elapsed().as_secs_f64()
    );
    let mut cases: Vec<String> = std::fs::read_dir(&oracle)
        .expect("oracle dir")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".in")
                .map(String::from)
        })
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 26,
        "expected at least 26 oracle cases in {}",
        oracle.display()
    );
    let (mut total_diff, mut identical) = (0usize, 0usize);
    let (mut def_cases, mut def_identical) = (0usize, 0usize);
    for c in &cases {
        let input = oracle.join(format!("{c}.in"));
        let expected = std::fs::read_to_string(oracle.join(format!("{c}.out"))).expect("read .out");
        kc.read_config(&input).expect("read .in");
        let got = kc.write_config();
        let diffs = Kconfig::diff_configs(&got, &expected);
        let same = got == expected;
        total_diff += diffs.len();
        identical += same as usize;
        println!(
            "  {v} {c:<18} values: {} symbols, {} differing; byte-identical: {}",
            parse_values(&expected).len(),
            diffs.len(),
            if same { "yes" } else { "no" }
        );
        for (name, a, b) in diffs.iter().take(10) {
            println!("      {name}: kfit {a:?} conf {b:?}");
        }
        // conf's output is a fixed point of olddefconfig.
        kc.read_config_str(&expected, "conf output");
        assert_eq!(
            kc.write_config(),
            expected,
            "{v} {c}: olddefconfig of conf's output changed it"
        );
        // savedefconfig of the result, when the oracle has it.
        if let Ok(def) = std::fs::read_to_string(oracle.join(format!("{c}.def"))) {
            kc.read_config_str(&got, "olddefconfig output");
            let min = kc.write_min_config();
            def_cases += 1;
            def_identical += (min == def) as usize;
            if min != def {
                println!(
                    "      savedefconfig differs: {:?}",
                    Kconfig::diff_configs(&min, &def)
                );
            }
        }
    }
    // API changes: what kfit writes after set_user_value/select_choice_member
    // must be a fixed point of olddefconfig (what the kernel build will see).
    kc.read_config(&oracle.join("debian.in")).expect("read");
    let idle = kc.lookup("NO_HZ_IDLE").expect("NO_HZ_IDLE");
    assert!(kc.select_choice_member(idle), "select NO_HZ_IDLE");
    let modules = kc.lookup("MODULES").expect("MODULES");
    assert!(kc.set_user_value(modules, "n"), "MODULES=n");
    let written = kc.write_config();
    kc.read_config_str(&written, "written");
    assert_eq!(kc.write_config(), written, "{v}: API result is not a fixed point");
    assert_eq!(kc.tristate(idle), kfit_kconfig::Tristate::Yes);
    if def_cases > 0 {
        println!("Linux {v}: savedefconfig {def_identical}/{def_cases} byte-identical");
        assert_eq!(def_identical, def_cases, "savedefconfig output differs");
    }
    println!(
        "Linux {v}: {} cases, {total_diff} differing values, {identical} byte-identical",
        cases.len()
    );
    assert_eq!(total_diff, 0, "symbol values differ from conf --olddefconfig");
    assert_eq!(identical, cases.len(), "some outputs are not byte-identical");
}

#[test]
fn linux_6_12() {
    conformance("6.12");
}

#[test]
fn linux_6_1() {
    conformance("6.1");
}
