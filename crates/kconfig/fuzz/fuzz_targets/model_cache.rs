#![no_main]
//! The Kconfig model cache decoder (issue 18) on arbitrary bytes: the
//! checksum check, then (input byte 0 odd: with the right checksum appended,
//! so the fuzzer gets past it) the header, the expression table (a DAG
//! rebuilt from post-order indices) and the model. Errors are misses;
//! panics, hangs and huge allocations are bugs.
//!
//! Seeds: with `KFIT_FUZZ_SEED_DIR` set, the first run writes cache files
//! of small Kconfig models there (crates/kconfig/fuzz/run.sh does this).
use libfuzzer_sys::fuzz_target;

const SEEDS: &[&str] = &[
    "config A\n\tbool \"a\"\n\tdefault y\nconfig B\n\ttristate \"b\"\n\tdepends on A && !C\n\tselect D if A\nconfig C\n\tbool\nconfig D\n\ttristate\n",
    "mainmenu \"x\"\nmenu \"m\"\n\tdepends on A\nconfig A\n\tbool \"a\"\nendmenu\nchoice\n\tprompt \"c\"\n\tdefault X\nconfig X\n\tbool \"x\"\nconfig Y\n\tbool \"y\"\nendchoice\nconfig N\n\tint \"n\"\n\trange 1 10\n\tdefault 5\nconfig S\n\tstring \"s\"\n\tdefault \"v\"\nconfig H\n\thex \"h\"\n\tdefault 0x10\n\thelp\n\t  text\n",
    "config MODULES\n\tbool \"m\"\n\tmodules\nconfig T\n\ttristate \"t\"\n\timply U\n\tdefault m if MODULES\nconfig U\n\ttristate \"u\"\n\tdepends on T || (X=y && Y!=n)\nif T\nconfig V\n\tbool \"v\"\nendif\nconfig X\n\tbool\nconfig Y\n\tbool\n",
];

fuzz_target!(
    init: {
        if let Some(d) = std::env::var_os("KFIT_FUZZ_SEED_DIR") {
            let d = std::path::PathBuf::from(d);
            std::fs::create_dir_all(&d).unwrap();
            for (i, text) in SEEDS.iter().enumerate() {
                let mut b = kfit_kconfig::fuzzing::model_cache_seed(text).expect("seed model");
                // as the odd-first-byte path reads it: checksum left off
                b.truncate(b.len() - 8);
                b.insert(0, 1);
                std::fs::write(d.join(format!("model-{i}")), b).unwrap();
            }
        }
    },
    |data: &[u8]| {
        let Some((&first, rest)) = data.split_first() else {
            return;
        };
        let _ = kfit_kconfig::fuzzing::decode_model_cache(rest, first & 1 == 1);
    }
);
