//! Migration on small in-memory trees: renames found from prompts and
//! Makefiles, values carried, removals and changed values explained.
use kfit_kbuild::refs::{scan, MakeRefs};
use kfit_kconfig::Kconfig;
use kfit_migrate::successor::EvidenceKind;
use kfit_migrate::{migrate_loaded, Loaded, Status};
use std::path::Path;

fn kc(text: &str) -> Kconfig {
    Kconfig::from_text(Path::new("/nonexistent"), text, &Default::default()).unwrap()
}

fn refs(makefile: &str) -> MakeRefs {
    let (r, u) = scan("drivers/x", "drivers/x/Makefile", makefile);
    let mut out = MakeRefs::default();
    for (s, x) in r {
        out.by_symbol.entry(s).or_default().push(x);
    }
    for (w, x) in u {
        out.unguarded.insert(w, x);
    }
    out
}

const OLD: &str = "
config MODULES
\tbool \"modules\"
\tmodules
config FROB_OLD
\ttristate \"Enable the frobnicator for widgets\"
\thelp
\t  The frobnicator frobs every widget it finds on the bus.
config GONE
\ttristate \"An old driver\"
config INTERNAL
\tbool
\tdefault y
config KEEP
\tbool \"keep\"
config LOSES_PROMPT
\tbool \"loses its prompt\"
";

const NEW: &str = "
config MODULES
\tbool \"modules\"
\tmodules
config FROB
\ttristate \"Enable the frobnicator for widgets\"
\thelp
\t  The frobnicator frobs every widget it finds on the bus.
config INTERNAL2
\tbool
\tdefault y
config KEEP
\tbool \"keep\"
\tdefault y
config LOSES_PROMPT
\tbool
";

#[test]
fn rename_carry_remove_change() {
    let old_text = "CONFIG_MODULES=y\nCONFIG_FROB_OLD=m\nCONFIG_GONE=m\nCONFIG_INTERNAL=y\nCONFIG_KEEP=y\nCONFIG_LOSES_PROMPT=y\nCONFIG_STALE=y\n";
    let mut old = kc(OLD);
    old.read_config_str(old_text, "old");
    let old_refs = refs("obj-$(CONFIG_FROB_OLD) += frob.o\nobj-$(CONFIG_GONE) += gone.o\nifdef CONFIG_INTERNAL\nLIBS += lib1\nendif\n");
    let new_refs = refs("obj-$(CONFIG_FROB) += frob.o\nifdef CONFIG_INTERNAL2\nLIBS += lib1\nendif\n");
    let mut new = kc(NEW);
    let m = migrate_loaded(
        &Loaded {
            old_kc: &old,
            old_refs: &old_refs,
            old_idx: None,
            new_refs: &new_refs,
            new_idx: None,
            old_text,
        },
        &mut new,
    );
    let st = |n: &str| &m.symbol(n).unwrap().status;
    match st("FROB_OLD") {
        Status::Renamed {
            to,
            merged: false,
            evidence,
            carried: Some(c),
            new,
            lost: None,
        } => {
            assert_eq!((to.as_str(), c.as_str(), new.as_str()), ("FROB", "m", "m"));
            let kinds: Vec<_> = evidence.iter().map(|e| e.kind).collect();
            assert_eq!(
                kinds,
                vec![
                    EvidenceKind::SamePrompt,
                    EvidenceKind::SameObjects,
                    EvidenceKind::SameHelp
                ]
            );
        }
        s => panic!("{s:?}"),
    }
    // Promptless: linked by the Makefile block alone, nothing carried.
    assert!(matches!(st("INTERNAL"), Status::Renamed { to, carried: None, .. } if to == "INTERNAL2"));
    match st("GONE") {
        Status::Removed {
            internal: false,
            built,
            ..
        } => {
            assert_eq!(built.len(), 1);
            assert_eq!(built[0].what, "drivers/x/gone");
            assert_eq!(built[0].now, "gone from the new tree");
        }
        s => panic!("{s:?}"),
    }
    assert!(
        matches!(st("KEEP"), Status::Kept { default_changed: Some(d) } if d.old_default == "n" && d.new_default == "y")
    );
    assert!(
        matches!(st("LOSES_PROMPT"), Status::Changed { new, why } if new == "n" && why.starts_with("no prompt"))
    );
    assert!(matches!(st("STALE"), Status::Unknown));
    assert!(m.config.contains("CONFIG_FROB=m\n"));
    assert_eq!(
        (m.summary.renamed, m.summary.removed, m.summary.vanished_set),
        (2, 1, 3)
    );
}
