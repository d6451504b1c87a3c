//! Tiny synthetic Kconfig trees (tests/data/<case>/), one feature each,
//! checked against the output of the kernel's own `conf --olddefconfig`
//! recorded in `expected-<version>.config` by `tests/data/regen.sh`.

use std::path::{Path, PathBuf};

use kfit_kconfig::{Dialect, Error, Kconfig, LoadOptions, Tristate, Value};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn opts(dialect: Dialect) -> LoadOptions {
    LoadOptions {
        kernelversion: Some("1.0".into()),
        probe_cache_dir: None,
        model_cache_dir: None,
        dialect: Some(dialect),
        ..Default::default()
    }
}

fn load(case: &str, dialect: Dialect) -> Kconfig {
    Kconfig::load(&data().join(case), &opts(dialect)).unwrap_or_else(|e| panic!("{case}: {e}"))
}

fn check_case(case: &str) {
    for (dialect, v) in [(Dialect::Modern, "6.12"), (Dialect::Legacy, "6.1")] {
        let exp = data().join(case).join(format!("expected-{v}.config"));
        let Ok(expected) = std::fs::read_to_string(&exp) else {
            continue;
        };
        let mut kc = load(case, dialect);
        kc.read_config(&data().join(case).join("in.config"))
            .expect("read in.config");
        let got = kc.write_config();
        if got != expected {
            panic!("{case} ({v}): output differs from conf\n--- conf\n{expected}\n--- kfit\n{got}");
        }
    }
}

macro_rules! cases {
    ($($name:ident),*) => { $( #[test] fn $name() { check_case(stringify!($name)); } )* };
}

cases!(
    choice,
    select,
    imply,
    menus,
    modules,
    ranges,
    strings,
    preproc,
    relations,
    help,
    defaults,
    tristate_choice,
    tristate_choice_nomod
);

#[test]
fn api_set_user_value_and_choices() {
    let mut kc = load("choice", Dialect::Modern);
    let b = kc.lookup("B").expect("B");
    let c2 = kc.lookup("C2").expect("C2");
    let c1 = kc.lookup("C1").expect("C1");
    // default C2 if A, but C2 depends on B (n): first visible member wins.
    assert_eq!(kc.tristate(c1), Tristate::Yes);
    assert!(kc.set_user_value(b, "y"));
    assert_eq!(kc.tristate(c2), Tristate::Yes, "default C2 now visible");
    let ch = kc.choice_of(c2).expect("member");
    assert_eq!(kc.choice_selection(ch), Some(c2));
    assert!(kc.select_choice_member(c1));
    assert_eq!(kc.choice_selection(ch), Some(c1));
    kc.unset_user_value(b);
    assert_eq!(kc.value(b), Value::Tri(Tristate::No));
}

#[test]
fn api_select_and_ranges() {
    let mut kc = load("select", Dialect::Modern);
    let t = kc.lookup("SEL_TARGET").expect("sym");
    // SELECTOR defaults to m and selects SEL_TARGET despite DEP=n.
    assert_eq!(kc.tristate(t), Tristate::Mod);
    assert_eq!(kc.rev_dep_value(t), Tristate::Mod);
    assert_eq!(kc.dir_dep_value(t), Tristate::No);
    assert!(kc.unmet_dependencies().contains(&t));
    let sel = kc.lookup("SELECTOR").expect("sym");
    assert_eq!(kc.assignable(sel), Some((Tristate::No, Tristate::Yes)));
    assert!(kc.set_user_value(sel, "y"));
    assert_eq!(kc.tristate(t), Tristate::Yes);
    assert!(!kc.set_user_value(t, "n"), "cannot go below rev_dep");
    let by: Vec<_> = kc
        .selected_by(t)
        .into_iter()
        .map(|(s, _)| kc.symbol(s).name.clone())
        .collect();
    assert_eq!(by, ["SELECTOR", "SELECTOR2"]);

    let mut kc = load("ranges", Dialect::Modern);
    let i2 = kc.lookup("I2").expect("sym");
    assert_eq!(kc.string_value(i2), "1", "0 clamped into range 1..10");
    assert!(!kc.set_user_value(i2, "11"));
    assert!(kc.set_user_value(i2, "9"));
    assert_eq!(kc.string_value(i2), "9");
    let h2 = kc.lookup("H2").expect("sym");
    assert!(kc.set_user_value(h2, "ff"));
    assert_eq!(kc.string_value(h2), "0xff");
}

fn write_tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kfit-kconfig-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (f, text) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

fn parse_err(name: &str, files: &[(&str, &str)]) -> String {
    let dir = write_tree(name, files);
    let r = Kconfig::load(&dir, &opts(Dialect::Modern));
    let _ = std::fs::remove_dir_all(&dir);
    match r {
        Err(e @ (Error::Parse { .. } | Error::Preprocess { .. })) => e.to_string(),
        Err(e) => panic!("unexpected error kind: {e}"),
        Ok(_) => panic!("{name}: parsed without error"),
    }
}

#[test]
fn parse_errors_name_file_and_line() {
    let e = parse_err("badopt", &[("Kconfig", "config A\n\tbool \"a\"\n\tdepends A\n")]);
    assert_eq!(e, "Kconfig:3: expected 'on' after 'depends', found word 'A'");
    let e = parse_err(
        "src",
        &[
            ("Kconfig", "source \"sub/Kconfig\"\n"),
            ("sub/Kconfig", "\n\nconfig B\n\tbool \"b\" if (A\n"),
        ],
    );
    assert!(e.starts_with("sub/Kconfig:4: expected ')'"), "{e}");
    let e = parse_err(
        "missing",
        &[("Kconfig", "config A\n\tbool\n\nsource \"nope/Kconfig\"\n")],
    );
    assert_eq!(e, "Kconfig:4: can't open file \"nope/Kconfig\"");
    let e = parse_err("endif", &[("Kconfig", "if A\nconfig B\n\tbool\nendmenu\n")]);
    assert_eq!(e, "Kconfig:4: expected 'endif', found 'endmenu'");
    let e = parse_err("unterminated", &[("Kconfig", "if A\nconfig B\n\tbool\n")]);
    assert!(e.contains("expected 'endif', found end of file"), "{e}");
    let e = parse_err("unknown", &[("Kconfig", "config A\n\tbool\nfrobnicate A\n")]);
    assert_eq!(e, "Kconfig:3: unknown statement \"frobnicate\"");
    let e = parse_err("err-if", &[("Kconfig", "$(error-if,y,boom)\n")]);
    assert_eq!(e, "Kconfig:1: boom");
    let e = parse_err(
        "unterm-ref",
        &[("Kconfig", "config A\n\tstring \"a\"\n\tdefault \"$(foo\"\n")],
    );
    assert!(e.starts_with("Kconfig:3: unterminated reference"), "{e}");
}

#[test]
fn config_warnings_have_lines() {
    let mut kc = load("ranges", Dialect::Modern);
    let w = kc.read_config_str("CONFIG_I1=x\nCONFIG_NOPE=y\nCONFIG_I1=3\ngarbage\n", "t.config");
    let s: Vec<String> = w.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        s,
        [
            "t.config:1:warning: symbol value 'x' invalid for I1",
            "t.config:2:warning: unknown symbol: NOPE",
            "t.config:4:warning: unexpected data: garbage",
        ]
    );
}

/// Found by the fuzzer: an inverted range (`range 1 Z0`, Z0 undefined so 0)
/// is not a fixed point of olddefconfig. C conf does the same (checked
/// with 6.12's conf: I2 alternates 1, Z0, 1, ...).
#[test]
fn fuzz_inverted_range() {
    let text = "config I2\n\tint \"i2\"\n\trange 1 Z0\n";
    let opts = LoadOptions {
        allow_shell: false,
        ..opts(Dialect::Modern)
    };
    let mut kc = Kconfig::from_text("/nonexistent".as_ref(), text, &opts).expect("parses");
    let i2 = kc.lookup("I2").expect("I2");
    assert_eq!(kc.string_value(i2), "1");
    let first = kc.write_config();
    kc.read_config_str(&first, "first");
    assert_eq!(kc.string_value(i2), "Z0");
    let second = kc.write_config();
    kc.read_config_str(&second, "second");
    assert_eq!(kc.string_value(i2), "1");
}

/// Kconfiglib's `osource`/`rsource` with wildcards (kfit_util::glob's
/// glob(3)): every matching file in name order, none hidden, no match is
/// fine for `osource` and an error for `source`-like `rsource`.
#[test]
fn osource_wildcards() {
    let dir = write_tree(
        "osource-glob",
        &[
            ("Kconfig", "osource \"d/*/Kconfig\"\nosource \"none/*/Kconfig\"\n"),
            ("d/b/Kconfig", "config B\n\tbool\n\tdefault y\n"),
            ("d/a/Kconfig", "config A\n\tbool\n\tdefault y\n"),
            ("d/.h/Kconfig", "config H\n\tbool\n\tdefault y\n"),
        ],
    );
    let kc = Kconfig::load(&dir, &opts(Dialect::Modern)).expect("loads");
    let (a, b) = (kc.lookup("A").expect("A"), kc.lookup("B").expect("B"));
    assert!(a.index() < b.index(), "d/a before d/b");
    assert!(kc.lookup("H").is_none(), "a hidden directory is not matched by *");
    let _ = std::fs::remove_dir_all(&dir);
    let e = parse_err("rsource-glob", &[("Kconfig", "rsource \"none/*/Kconfig\"\n")]);
    assert_eq!(e, "Kconfig:1: can't open file \"none/*/Kconfig\"");
}

/// The parsed-model cache: a second load is served from it and gives the
/// same configuration; touching a Kconfig file (new size) re-parses and the
/// change is seen.
#[test]
fn model_cache_round_trip_and_invalidation() {
    let base = std::env::temp_dir().join(format!("kfit-model-cache-{}", std::process::id()));
    let tree = base.join("tree");
    let cache = base.join("cache");
    std::fs::create_dir_all(tree.join("sub")).expect("mkdir");
    std::fs::write(
        tree.join("Kconfig"),
        "mainmenu \"t\"\nconfig A\n\tbool \"a\"\n\tdefault y\nconfig B\n\ttristate \"b\"\n\tdepends on A && !C\n\tselect D\nconfig D\n\ttristate\nsource \"sub/Kconfig\"\n",
    )
    .expect("write");
    std::fs::write(
        tree.join("sub/Kconfig"),
        "config C\n\tbool \"c\"\n\tdepends on A || B\n",
    )
    .expect("write");
    let opts = LoadOptions {
        model_cache_dir: Some(cache.clone()),
        ..opts(Dialect::Modern)
    };
    let cfg = "CONFIG_B=y\n";
    let run = || {
        let mut kc = Kconfig::load(&tree, &opts).expect("load");
        kc.read_config_str(cfg, "in");
        (kc.stats().cached, kc.write_config())
    };
    let (c1, out1) = run();
    let (c2, out2) = run();
    assert!(!c1, "first load parses");
    assert!(c2, "second load comes from the cache");
    assert_eq!(out1, out2);
    assert!(out2.contains("CONFIG_D=y"), "{out2}");
    // Same file, different size: the cache must not be used.
    std::fs::write(
        tree.join("sub/Kconfig"),
        "config C\n\tbool \"c\"\n\tdefault y\n\tdepends on A || B\n",
    )
    .expect("write");
    let (c3, out3) = run();
    assert!(!c3, "a changed file invalidates the cache");
    assert!(out3.contains("CONFIG_C=y"), "{out3}");
    let (c4, out4) = run();
    assert!(c4);
    assert_eq!(out3, out4);
    let _ = std::fs::remove_dir_all(&base);
}

/// Kconfig pastes `$(srctree)` unquoted into its probes
/// (scripts/Kconfig.include:44); a tree whose path has spaces must still
/// run them (issue 18: "Sorry, this C compiler is not supported.").
#[test]
fn probes_of_a_tree_path_with_spaces() {
    let dir = write_tree(
        "has spaces; and more",
        &[
            (
                "Kconfig",
                "config PROBED\n\tdef_bool $(shell,$(srctree)/scripts/probe.sh)\n",
            ),
            ("scripts/probe.sh", "#!/bin/sh\necho y\n"),
        ],
    );
    let script = dir.join("scripts/probe.sh");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let kc = Kconfig::load(&dir, &opts(Dialect::Modern)).expect("loads");
    let id = kc.lookup("PROBED").expect("sym");
    assert_eq!(kc.string_value(id), "y");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A config read into a cached model is evaluated once: the state it
/// leaves is cached beside the model (keyed by the model file, the
/// config's name and text) and read back the next time, with the same
/// values, visibility and warnings; a damaged state file is a miss.
#[test]
fn evaluated_config_cache_round_trip() {
    let base = std::env::temp_dir().join(format!("kfit-eval-cache-{}", std::process::id()));
    let tree = base.join("tree");
    let cache = base.join("cache");
    std::fs::create_dir_all(&tree).expect("mkdir");
    std::fs::write(
        tree.join("Kconfig"),
        "mainmenu \"t\"\nconfig MODULES\n\tbool \"m\"\n\tmodules\n\tdefault y\n\
         config A\n\tbool \"a\"\n\tdefault y\n\
         config B\n\ttristate \"b\"\n\tdepends on A\n\tselect D\n\
         config D\n\ttristate\n\
         config S\n\tstring \"s\"\n\tdefault \"x\"\n\
         config H\n\thex \"h\"\n\trange 0x10 0x20\n\
         choice\n\tprompt \"c\"\n\tdefault C1\nconfig C1\n\tbool \"c1\"\nconfig C2\n\tbool \"c2\"\nendchoice\n",
    )
    .expect("write");
    let opts = LoadOptions {
        model_cache_dir: Some(cache.clone()),
        ..opts(Dialect::Modern)
    };
    let cfg = "CONFIG_B=m\nCONFIG_S=\"hello\"\nCONFIG_H=0x30\nCONFIG_C2=y\nCONFIG_NOPE=y\ngarbage\n";
    let evals = || {
        std::fs::read_dir(&cache)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eval"))
                    .map(|e| e.path())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let run = || {
        let (kc, w) = Kconfig::load_with_config_text(&tree, &opts, cfg, "base").expect("load");
        let vis: Vec<_> = ["A", "B", "D", "S", "H", "C1", "C2"]
            .iter()
            .map(|n| {
                let id = kc.lookup(n).expect("sym");
                (kc.tristate(id), kc.string_value(id), kc.visibility(id))
            })
            .collect();
        let w: Vec<String> = w.iter().map(|w| w.to_string()).collect();
        (kc.stats().cached, kc.write_config(), w, vis)
    };
    let first = run();
    assert!(!first.0, "parsed");
    assert!(evals().is_empty(), "a parsed model has no file to key a state by");
    let second = run();
    assert!(second.0, "model cached");
    assert_eq!(evals().len(), 1, "the state is stored");
    let third = run();
    assert_eq!((&first.1, &first.2, &first.3), (&third.1, &third.2, &third.3));
    assert_eq!((&second.1, &second.2, &second.3), (&third.1, &third.2, &third.3));
    assert!(third.1.contains("CONFIG_D=m"), "{}", third.1);
    assert!(
        third.1.contains("# CONFIG_C1 is not set\nCONFIG_C2=y"),
        "{}",
        third.1
    );
    assert!(third.2.len() >= 2, "{:?}", third.2);
    // A damaged state: a miss, evaluated (and stored) again.
    let f = &evals()[0];
    let mut b = std::fs::read(f).expect("read");
    let mid = b.len() / 2;
    b[mid] ^= 0x04;
    std::fs::write(f, &b).expect("write");
    let fourth = run();
    assert_eq!((&first.1, &first.2, &first.3), (&fourth.1, &fourth.2, &fourth.3));
    // Another name (its warnings say it) is another state.
    let (_, w) = Kconfig::load_with_config_text(&tree, &opts, cfg, "other").expect("load");
    assert!(w.iter().all(|w| w.file == "other"), "{w:?}");
    assert_eq!(evals().len(), 2);
    let _ = std::fs::remove_dir_all(&base);
}
