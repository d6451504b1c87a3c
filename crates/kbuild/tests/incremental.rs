//! An incremental rebuild keeps facts of the earlier index only while
//! every input they were read from is unchanged: after each kind of change
//! (a source, a local header, a global header, a Makefile, a Kconfig file;
//! edited, added or removed) the cache file `load_or_build` writes is
//! byte-identical to the one a cold rebuild of the same tree writes.

use kfit_kbuild::{Arch, KernelIndex};
use std::path::{Path, PathBuf};

struct Tree(PathBuf);

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_dir_all(caches(&self.0));
    }
}

const MDT: &str = r#"
typedef unsigned long kernel_ulong_t;
#define PCI_ANY_ID (~0)
struct pci_device_id {
	__u32 vendor, device;
	__u32 subvendor, subdevice;
	__u32 class, class_mask;
	kernel_ulong_t driver_data;
	__u32 override_only;
};
"#;

const PCI_H: &str = r#"
#ifndef LINUX_PCI_H
#define LINUX_PCI_H
#include <linux/mod_devicetable.h>
#define PCI_DEVICE(vend,dev) \
	.vendor = (vend), .device = (dev), \
	.subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID
#ifdef CONFIG_X86
#define PCI_VENDOR_ID_DEMO 0x8086
#else
#define PCI_VENDOR_ID_DEMO 0x1111
#endif
enum { DEMO_DEV_A = 0x10, DEMO_DEV_B };
#endif
"#;

const MODULE_H: &str = r#"
#define MODULE_INFO(tag, info) __MODULE_INFO(tag, tag, info)
#define MODULE_ALIAS(_alias) MODULE_INFO(alias, _alias)
#define MODULE_FIRMWARE(_firmware) MODULE_INFO(firmware, _firmware)
#define MODULE_DEVICE_TABLE(type, name) extern typeof(name) __mod_##type##__##name##_device_table
#define DEMO_DRIVER_END(drv, tbl) MODULE_DEVICE_TABLE(pci, tbl)
"#;

const DEMO_C: &str = r#"#include <linux/module.h>
#include <linux/pci.h>
#include "local.h"
static const struct pci_device_id demo_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_DEMO, DEMO_DEV_B) },
	{ PCI_DEVICE(PCI_VENDOR_ID_DEMO, LOCAL_DEV) },
	{ }
};
MODULE_DEVICE_TABLE(pci, demo_ids);
static struct pci_driver demo_driver = { .name = "demo" };
"#;

const OTHER_C: &str = r#"#include <linux/module.h>
#include <linux/pci.h>
static const struct pci_device_id other_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1000) },
	{ }
};
DEMO_DRIVER_END(other_driver, other_ids);
MODULE_FIRMWARE("other/fw.bin");
"#;

fn tree(name: &str) -> Tree {
    let dir = std::env::temp_dir().join(format!("kfit-incr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (p, c) in [
        ("Makefile", "VERSION = 6\nPATCHLEVEL = 99\nSUBLEVEL = 0\n"),
        ("Kbuild", "obj-y += drivers/\n"),
        ("Kconfig", "source \"drivers/Kconfig\"\n"),
        ("arch/x86/Kconfig", "config X86\n\tdef_bool y\n"),
        ("include/linux/mod_devicetable.h", MDT),
        ("include/linux/pci.h", PCI_H),
        ("include/linux/module.h", MODULE_H),
        ("arch/x86/include/asm/demo.h", "#define ARCH_DEMO 1\n"),
        ("drivers/Makefile", "obj-y += net/\nobj-m += other.o\n"),
        (
            "drivers/Kconfig",
            "config OTHER\n\ttristate \"other\"\n\thelp\n\t  The module will be called other.\n",
        ),
        ("drivers/other.c", OTHER_C),
        ("drivers/net/Makefile", "obj-$(CONFIG_DEMO) += demo.o\n"),
        ("drivers/net/demo.c", DEMO_C),
        ("drivers/net/local.h", "#define LOCAL_DEV 0x20\n"),
    ] {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    }
    Tree(dir)
}

/// Where the caches of tree `t` go (outside it: the walk would see them).
fn caches(t: &Path) -> PathBuf {
    t.with_extension("caches")
}

/// Replace a file by a new one (a new inode, as editors and `patch` do).
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("kfit-new");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The one cache file of a cache directory.
fn cache_file(dir: &Path) -> Vec<u8> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read(&files[0]).unwrap()
}

/// `load_or_build` (incremental), checked byte for byte against a cold
/// rebuild of the tree as it is now.
fn step(t: &Tree, what: &str) -> KernelIndex {
    let arch = Arch::default();
    let cache = caches(&t.0).join("incremental");
    let inc = KernelIndex::load_or_build(&t.0, &arch, &cache).unwrap();
    let cold_dir = caches(&t.0).join("cold");
    let _ = std::fs::remove_dir_all(&cold_dir);
    let cold = KernelIndex::rebuild_with(&t.0, &arch, &cold_dir, None).unwrap();
    assert!(
        cache_file(&cache) == cache_file(&cold_dir),
        "after {what}: the incremental cache differs from a cold rebuild"
    );
    assert_eq!(inc.modules.len(), cold.modules.len(), "{what}");
    inc
}

fn aliases(idx: &KernelIndex, m: &str) -> Vec<String> {
    idx.module(m)
        .map(|m| m.aliases.iter().map(|a| a.pattern.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn every_kind_of_change_gives_the_index_of_a_cold_build() {
    let t = tree("kinds");
    let first = step(&t, "the first build");
    assert_eq!(first.rescanned, 2);
    assert_eq!(
        aliases(&first, "demo"),
        [
            "pci:v00008086d00000011sv*sd*bc*sc*i*",
            "pci:v00008086d00000020sv*sd*bc*sc*i*"
        ]
    );
    assert_eq!(aliases(&first, "other"), ["pci:v00001AF4d00001000sv*sd*bc*sc*i*"]);
    assert_eq!(step(&t, "nothing").rescanned, 0);

    // A source edited: it alone is scanned again, with the global macros
    // (read lazily) it uses.
    let demo = t.0.join("drivers/net/demo.c");
    replace(&demo, &DEMO_C.replace("DEMO_DEV_B", "DEMO_DEV_A"));
    let i = step(&t, "a source edited");
    assert_eq!(i.rescanned, 1);
    assert_eq!(aliases(&i, "demo")[0], "pci:v00008086d00000010sv*sd*bc*sc*i*");
    // A source that uses a global macro expanding to MODULE_DEVICE_TABLE.
    replace(&t.0.join("drivers/other.c"), &OTHER_C.replace("0x1000", "0x1001"));
    let i = step(&t, "a source with a table macro edited");
    assert_eq!(i.rescanned, 1);
    assert_eq!(aliases(&i, "other"), ["pci:v00001AF4d00001001sv*sd*bc*sc*i*"]);

    // A local header edited, removed and added back.
    replace(&t.0.join("drivers/net/local.h"), "#define LOCAL_DEV 0x21\n");
    let i = step(&t, "a local header edited");
    assert_eq!(i.rescanned, 1);
    assert_eq!(aliases(&i, "demo")[1], "pci:v00008086d00000021sv*sd*bc*sc*i*");
    std::fs::remove_file(t.0.join("drivers/net/local.h")).unwrap();
    step(&t, "a local header removed");
    replace(&t.0.join("drivers/net/local.h"), "#define LOCAL_DEV 0x22\n");
    step(&t, "a local header added");

    // A global header edited, added and removed.
    replace(
        &t.0.join("include/linux/pci.h"),
        &PCI_H.replace("0x8086", "0x8087"),
    );
    let i = step(&t, "a global header edited");
    assert_eq!(aliases(&i, "demo")[0], "pci:v00008087d00000010sv*sd*bc*sc*i*");
    replace(&t.0.join("include/linux/demo_ids.h"), "#define DEMO_EXTRA 0x30\n");
    step(&t, "a global header added");
    replace(
        &t.0.join("arch/x86/include/asm/demo.h"),
        "#define ARCH_DEMO 2\n#define DEMO_DEV_A 0x40\n",
    );
    let i = step(&t, "an arch header edited (it comes first)");
    assert_eq!(aliases(&i, "demo")[0], "pci:v00008087d00000040sv*sd*bc*sc*i*");
    std::fs::remove_file(t.0.join("include/linux/demo_ids.h")).unwrap();
    step(&t, "a global header removed");

    // Makefiles: edited, a new directory with its own, removed.
    replace(
        &t.0.join("drivers/Makefile"),
        "obj-y += net/\nobj-y += extra/\nobj-$(CONFIG_OTHER) += other.o\n",
    );
    let i = step(&t, "a Makefile edited");
    assert_eq!(i.module("other").unwrap().symbols[0], ["OTHER"]);
    replace(
        &t.0.join("drivers/extra/Makefile"),
        "obj-$(CONFIG_EXTRA) += extra.o\n",
    );
    replace(
        &t.0.join("drivers/extra/extra.c"),
        "#include <linux/module.h>\nMODULE_ALIAS(\"extra:x\");\n",
    );
    let i = step(&t, "a directory with a Makefile added");
    assert_eq!(aliases(&i, "extra"), ["extra:x"]);
    std::fs::remove_file(t.0.join("drivers/extra/Makefile")).unwrap();
    let i = step(&t, "a Makefile removed");
    assert!(i.module("extra").is_none());

    // Kconfig files: the help fallback, edited, added and removed.
    replace(&t.0.join("drivers/net/Makefile"), "obj-m += demo.o\n");
    let i = step(&t, "a Makefile line without a symbol");
    assert!(i.module("demo").unwrap().symbols.is_empty());
    replace(
        &t.0.join("drivers/net/Kconfig"),
        "config DEMO_NET\n\ttristate \"demo\"\n\thelp\n\t  The module will be called demo.\n",
    );
    let i = step(&t, "a Kconfig file added");
    assert_eq!(i.module("demo").unwrap().symbols[0], ["DEMO_NET"]);
    replace(
        &t.0.join("drivers/net/Kconfig"),
        "config DEMO_NET2\n\ttristate \"demo\"\n\thelp\n\t  The module will be called demo.\n",
    );
    let i = step(&t, "a Kconfig file edited");
    assert_eq!(i.module("demo").unwrap().symbols[0], ["DEMO_NET2"]);
    std::fs::remove_file(t.0.join("drivers/net/Kconfig")).unwrap();
    let i = step(&t, "a Kconfig file removed");
    assert!(i.module("demo").unwrap().symbols.is_empty());

    // Sources added and removed.
    replace(
        &t.0.join("drivers/net/Makefile"),
        "obj-m += demo.o\nobj-m += demo2.o\n",
    );
    replace(&t.0.join("drivers/net/demo2.c"), &DEMO_C.replace("demo", "demo2"));
    let i = step(&t, "a source added");
    assert_eq!(i.rescanned, 1);
    assert_eq!(aliases(&i, "demo2").len(), 2);
    std::fs::remove_file(t.0.join("drivers/net/demo2.c")).unwrap();
    let i = step(&t, "a source removed");
    assert!(aliases(&i, "demo2").is_empty());
}
