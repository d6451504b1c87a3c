//! The index never describes a tree it was not built from: on a hard-link
//! copy of the real 6.12 tree (scripts/fetch-kernels.sh), a driver source
//! is edited, one is added and one removed; each next `load_or_build`
//! reflects the change and re-scans only the changed files. A file that
//! cannot be read makes the index incomplete: reported, never cached.
//!
//! Run: `cargo test -p kfit-kbuild --release --test fresh -- --nocapture`

use kfit_kbuild::{Error, KernelIndex};
use std::path::{Path, PathBuf};

fn cache_root() -> PathBuf {
    kfit_util::cache_dir(None)
}

fn tree_612() -> PathBuf {
    let f = cache_root().join("env/6.12");
    if !f.is_file() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-kernels.sh");
        let st = std::process::Command::new("bash")
            .arg(&script)
            .arg("6.12")
            .status()
            .expect("run fetch-kernels.sh");
        assert!(st.success(), "fetch-kernels.sh 6.12 failed");
    }
    let text = std::fs::read_to_string(&f).expect("env file");
    text.lines()
        .find_map(|l| l.strip_prefix("TREE="))
        .map(PathBuf::from)
        .expect("TREE=")
}

/// Write `text` to `path` as a new file (never through the hard link, which
/// would change the original tree).
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("kfit-new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

const NEW_ID: &str = "pci:v00008086d0000ABCDsv00000000sd00000000bc02sc00i00";
const DUMMY_ID: &str = "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00";
const VMXNET3_ID: &str = "pci:v000015ADd000007B0sv000015ADsd000007B0bc02sc00i00";

fn matches<'a>(idx: &'a KernelIndex, modalias: &str) -> Vec<&'a str> {
    idx.match_modalias(modalias)
        .iter()
        .map(|m| m.module.name.as_str())
        .collect()
}

#[test]
fn edits_additions_and_removals_rescan_only_what_changed() {
    let src = tree_612();
    let work = std::env::temp_dir().join(format!("kfit-fresh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let tree = work.join("linux");
    let st = std::process::Command::new("cp")
        .arg("-al")
        .arg(&src)
        .arg(&tree)
        .status()
        .unwrap();
    assert!(st.success(), "cp -al");
    let cache = work.join("cache");
    let load = || KernelIndex::load_or_build(&tree, &kfit_kbuild::Arch::default(), &cache).expect("index");

    let t = std::time::Instant::now();
    let cold = load();
    eprintln!("cold: {} files scanned in {:.1?}", cold.rescanned, t.elapsed());
    assert!(cold.rescanned > 20_000, "{}", cold.rescanned);
    assert!(matches(&cold, NEW_ID).is_empty());
    assert_eq!(matches(&cold, VMXNET3_ID), ["vmxnet3"]);
    let t = std::time::Instant::now();
    let warm = load();
    eprintln!(
        "warm: {} scanned, {} files and {} directories checked in {:.1?}",
        warm.rescanned,
        warm.inputs.files.len(),
        warm.inputs.dirs.len(),
        t.elapsed()
    );
    assert_eq!(warm.rescanned, 0);

    // 1. An ID entry added to e1000e's table (the file replaced).
    let netdev = tree.join("drivers/net/ethernet/intel/e1000e/netdev.c");
    let text = std::fs::read_to_string(&netdev).unwrap();
    let head = "static const struct pci_device_id e1000_pci_tbl[] = {\n";
    assert!(text.contains(head));
    replace(
        &netdev,
        &text.replacen(
            head,
            &format!("{head}\t{{ PCI_VDEVICE(INTEL, 0xABCD), board_82571 }},\n"),
            1,
        ),
    );
    let t = std::time::Instant::now();
    let edited = load();
    eprintln!("edit: {} scanned in {:.1?}", edited.rescanned, t.elapsed());
    assert_eq!(edited.rescanned, 1);
    assert_eq!(matches(&edited, NEW_ID), ["e1000e"]);
    let a = edited
        .match_modalias(NEW_ID)
        .into_iter()
        .next()
        .unwrap()
        .alias
        .clone();
    assert_eq!(a.file, "drivers/net/ethernet/intel/e1000e/netdev.c");
    assert_eq!(load().rescanned, 0, "the rebuilt index is cached");

    // 2. A new driver: its source and a Makefile line.
    std::fs::write(
        tree.join("drivers/net/kfit_dummy.c"),
        "#include <linux/module.h>\n#include <linux/pci.h>\n\
         static const struct pci_device_id kfit_dummy_ids[] = {\n\
         \t{ PCI_DEVICE(0x1234, 0x5678) },\n\t{ }\n};\n\
         MODULE_DEVICE_TABLE(pci, kfit_dummy_ids);\n",
    )
    .unwrap();
    let mk = tree.join("drivers/net/Makefile");
    let text = std::fs::read_to_string(&mk).unwrap();
    replace(&mk, &format!("{text}obj-$(CONFIG_DUMMY) += kfit_dummy.o\n"));
    let added = load();
    eprintln!("add: {} scanned", added.rescanned);
    assert_eq!(added.rescanned, 1);
    assert_eq!(matches(&added, DUMMY_ID), ["kfit_dummy"]);
    assert_eq!(added.module("kfit_dummy").unwrap().symbols[0], ["DUMMY"]);

    // 3. A driver source removed: its IDs are gone.
    std::fs::remove_file(tree.join("drivers/net/vmxnet3/vmxnet3_drv.c")).unwrap();
    let removed = load();
    eprintln!("remove: {} scanned", removed.rescanned);
    assert_eq!(removed.rescanned, 0);
    assert!(matches(&removed, VMXNET3_ID).is_empty());
    assert_eq!(matches(&removed, NEW_ID), ["e1000e"]);
    assert_eq!(matches(&removed, DUMMY_ID), ["kfit_dummy"]);

    // 4. A source that cannot be read: the index is incomplete, says so,
    // and is not cached. As root, permissions do not stop a read: a
    // symbolic link loop does.
    let nvme = tree.join("drivers/nvme/host/pci.c");
    let text = std::fs::read_to_string(&nvme).unwrap();
    replace(&nvme, &text);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&nvme, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&nvme).is_ok() {
        std::fs::remove_file(&nvme).unwrap();
        std::os::unix::fs::symlink("pci.c", &nvme).unwrap();
    }
    let before = std::fs::read_dir(&cache).unwrap().count();
    let stamp = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let files: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let stamps: Vec<_> = files.iter().map(|f| stamp(f)).collect();
    match KernelIndex::load_or_build(&tree, &kfit_kbuild::Arch::default(), &cache) {
        Err(Error::Partial(idx)) => {
            assert_eq!(idx.unreadable.len(), 1, "{:?}", idx.unreadable);
            assert_eq!(idx.unreadable[0].0, "drivers/nvme/host/pci.c");
            let e = Error::Partial(idx).to_string();
            assert!(e.contains("drivers/nvme/host/pci.c"), "{e}");
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("an index with an unreadable source came back complete"),
    }
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), before);
    assert_eq!(
        files.iter().map(|f| stamp(f)).collect::<Vec<_>>(),
        stamps,
        "cache rewritten"
    );
    // Readable again: the NVMe IDs are back.
    let _ = std::fs::remove_file(&nvme);
    std::fs::write(&nvme, &text).unwrap();
    let fixed = load();
    assert!(!matches(&fixed, "pci:v0000144Dd0000A808sv*sd*bc01sc08i02").is_empty());
    let _ = std::fs::remove_dir_all(&work);
}
