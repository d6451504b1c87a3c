#![no_main]
//! Fuzzes the whole pipeline on arbitrary Kconfig text: lexer, preprocessor
//! (with `$(shell)` disabled), parser, menu finalization, evaluation,
//! `.config` writing and reading the input back as a `.config`. Errors are
//! fine; panics, hangs and stack overflows are bugs.
use kfit_kconfig::{Dialect, Error, Kconfig, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let opts = LoadOptions {
        kernelversion: Some("6.12.0".into()),
        probe_cache_dir: None,
        allow_shell: false,
        dialect: Some(if first & 1 == 0 {
            Dialect::Modern
        } else {
            Dialect::Legacy
        }),
        ..Default::default()
    };
    match Kconfig::from_text("/nonexistent-kfit-fuzz".as_ref(), &text, &opts) {
        Ok(mut kc) => {
            let out = kc.write_config();
            let _ = kc.read_config_str(&text, "fuzz");
            let _ = kc.read_config_str(&out, "fuzz-out");
            // Not asserted to be a fixed point: like C's sym_validate_range,
            // an inverted range (lo > hi) makes values oscillate between
            // runs (see tests/synthetic.rs, fuzz_inverted_range).
            let again = kc.write_config();
            let _ = kc.read_config_str(&again, "fuzz-again");
            let ids: Vec<_> = kc.symbols().collect();
            for id in ids.into_iter().take(8) {
                let _ = kc.set_user_value(id, "y");
                let _ = kc.set_user_value(id, "m");
                let _ = kc.set_user_value(id, "0x10");
            }
        }
        Err(Error::Parse { file, line, msg }) | Err(Error::Preprocess { file, line, msg }) => {
            assert!(
                !file.is_empty() && line > 0 && !msg.is_empty(),
                "{file}:{line}: {msg}"
            );
        }
        Err(_) => {}
    }
});
