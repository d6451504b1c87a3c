#![no_main]
//! The CLI argument layer (issue 18): clap's rules plus kfit's own checks
//! (`kfit::parse`: empty values, options that do not apply, `--dry-run`
//! without `--ix`, ...) on arbitrary argument vectors. The input is split at
//! NUL bytes into arguments (not UTF-8 checked: arguments are OS strings);
//! the first byte picks a subcommand so that every command's options are
//! reached. Errors are fine (they are usage errors, exit 2); panics are bugs.
//! Nothing is run: only parsing, checking and rendering the error.
use libfuzzer_sys::fuzz_target;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

const COMMANDS: &[&str] = &[
    "fit", "explain", "audit", "hw", "index", "modinfo", "match", "menuconfig", "kconfig",
    "migrate", "profiles", "completions", "man", "",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut args: Vec<OsString> = vec!["kfit".into()];
    let cmd = COMMANDS[first as usize % COMMANDS.len()];
    if !cmd.is_empty() {
        args.push(cmd.into());
    }
    if !rest.is_empty() {
        args.extend(rest.split(|&b| b == 0).map(|a| OsString::from_vec(a.to_vec())));
    }
    match kfit::parse(args) {
        Ok((_cli, warnings)) => {
            for w in warnings {
                assert!(!w.is_empty());
            }
        }
        Err(e) => {
            let _ = e.render().to_string();
            let _ = e.use_stderr();
        }
    }
});
