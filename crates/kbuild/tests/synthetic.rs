//! Unit tests on small synthetic trees: Kbuild map, device tables, driver
//! names, firmware and matching. Each test writes a miniature kernel tree
//! into a temporary directory and indexes it.

use kfit_kbuild::KernelIndex;
use std::path::{Path, PathBuf};

struct Tree(PathBuf);

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tree(name: &str, files: &[(&str, &str)]) -> Tree {
    let dir = std::env::temp_dir().join(format!("kfit-kbuild-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut all: Vec<(&str, &str)> = vec![
        ("Makefile", "VERSION = 6\nPATCHLEVEL = 99\nSUBLEVEL = 0\n"),
        ("Kbuild", "obj-y += drivers/\n"),
        ("include/linux/mod_devicetable.h", MDT),
        ("include/linux/pci.h", PCI_H),
        ("include/linux/usb.h", USB_H),
        ("include/linux/module.h", MODULE_H),
    ];
    all.extend_from_slice(files);
    for (p, c) in all {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    }
    Tree(dir)
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
struct usb_device_id {
	__u16		match_flags;
	__u16		idVendor;
	__u16		idProduct;
	__u16		bcdDevice_lo;
	__u16		bcdDevice_hi;
	__u8		bDeviceClass;
	__u8		bDeviceSubClass;
	__u8		bDeviceProtocol;
	__u8		bInterfaceClass;
	__u8		bInterfaceSubClass;
	__u8		bInterfaceProtocol;
	__u8		bInterfaceNumber;
	kernel_ulong_t	driver_info;
};
#define ACPI_ID_LEN	16
struct acpi_device_id {
	__u8 id[ACPI_ID_LEN];
	kernel_ulong_t driver_data;
	__u32 cls;
	__u32 cls_msk;
};
struct of_device_id {
	char	name[32];
	char	type[32];
	char	compatible[128];
	const void *data;
};
"#;

const PCI_H: &str = r#"
#ifndef LINUX_PCI_H
#define LINUX_PCI_H
#include <linux/mod_devicetable.h>
#define PCI_DEVICE(vend,dev) \
	.vendor = (vend), .device = (dev), \
	.subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID
#define PCI_DEVICE_CLASS(dev_class,dev_class_mask) \
	.class = (dev_class), .class_mask = (dev_class_mask), \
	.vendor = PCI_ANY_ID, .device = PCI_ANY_ID, \
	.subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID
#define PCI_VDEVICE(vend, dev) \
	.vendor = PCI_VENDOR_ID_##vend, .device = (dev), \
	.subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID, 0, 0
#define PCI_VENDOR_ID_INTEL 0x8086
#define PCI_CLASS_STORAGE_SATA_AHCI 0x010601
#endif
"#;

const USB_H: &str = r#"
#define USB_DEVICE_ID_MATCH_VENDOR		0x0001
#define USB_DEVICE_ID_MATCH_PRODUCT		0x0002
#define USB_DEVICE_ID_MATCH_DEV_LO		0x0004
#define USB_DEVICE_ID_MATCH_DEV_HI		0x0008
#define USB_DEVICE_ID_MATCH_INT_CLASS		0x0080
#define USB_DEVICE_ID_MATCH_DEVICE \
		(USB_DEVICE_ID_MATCH_VENDOR | USB_DEVICE_ID_MATCH_PRODUCT)
#define USB_DEVICE_ID_MATCH_DEV_RANGE \
		(USB_DEVICE_ID_MATCH_DEV_LO | USB_DEVICE_ID_MATCH_DEV_HI)
#define USB_DEVICE_ID_MATCH_DEVICE_AND_VERSION \
		(USB_DEVICE_ID_MATCH_DEVICE | USB_DEVICE_ID_MATCH_DEV_RANGE)
#define USB_DEVICE(vend, prod) \
	.match_flags = USB_DEVICE_ID_MATCH_DEVICE, \
	.idVendor = (vend), \
	.idProduct = (prod)
#define USB_DEVICE_VER(vend, prod, lo, hi) \
	.match_flags = USB_DEVICE_ID_MATCH_DEVICE_AND_VERSION, \
	.idVendor = (vend), \
	.idProduct = (prod), \
	.bcdDevice_lo = (lo), \
	.bcdDevice_hi = (hi)
"#;

const MODULE_H: &str = r#"
#define __stringify_1(x...)	#x
#define __stringify(x...)	__stringify_1(x)
#define MODULE_INFO(tag, info) __MODULE_INFO(tag, tag, info)
#define MODULE_ALIAS(_alias) MODULE_INFO(alias, _alias)
#define MODULE_FIRMWARE(_firmware) MODULE_INFO(firmware, _firmware)
#ifdef MODULE
#define MODULE_DEVICE_TABLE(type, name) extern typeof(name) __mod_##type##__##name##_device_table
#else
#define MODULE_DEVICE_TABLE(type, name)
#endif
"#;

fn idx(t: &Tree) -> KernelIndex {
    KernelIndex::build(&t.0, &kfit_kbuild::Arch::default(), None).expect("index")
}

fn syms(idx: &KernelIndex, path: &str) -> Vec<Vec<String>> {
    idx.module_by_path(path)
        .unwrap_or_else(|| panic!("no module {path}"))
        .symbols
        .clone()
}

fn v(s: &[&[&str]]) -> Vec<Vec<String>> {
    s.iter()
        .map(|g| g.iter().map(|x| x.to_string()).collect())
        .collect()
}

#[test]
fn kbuild_map() {
    let t = tree(
        "map",
        &[
            (
                "drivers/Makefile",
                "obj-$(CONFIG_USB)\t+= usb/\nobj-$(CONFIG_USB_SUPPORT) += usb/\nobj-y += misc/\nobj-$(CONFIG_L2TP) += l2tp/\n",
            ),
            (
                "drivers/usb/Makefile",
                "obj-$(CONFIG_USB_XHCI_HCD) += host/\nobj-$(CONFIG_USB_EHCI_HCD) += host/\n",
            ),
            (
                "drivers/usb/host/Makefile",
                "xhci-hcd-y := xhci.o xhci-mem.o\nxhci-hcd-$(CONFIG_USB_XHCI_DBGCAP) += xhci-dbg.o\nobj-$(CONFIG_USB_XHCI_HCD) += xhci-hcd.o\nobj-$(CONFIG_USB_XHCI_PCI) += xhci-pci.o\n",
            ),
            ("drivers/usb/host/xhci.c", ""),
            ("drivers/usb/host/xhci-pci.c", ""),
            (
                "drivers/misc/Makefile",
                // library built for either user, a module in a subdirectory,
                // obj-m inside ifeq, variable indirection, $(subst)
                "obj-$(CONFIG_A) += libfoo.o\nobj-$(CONFIG_B) += libfoo.o\n\
                 obj-$(CONFIG_AMD_ATL) += amd/fmpm.o\n\
                 ifeq ($(CONFIG_BRCMFMAC),m)\nobj-m += wcc.o\nendif\n\
                 user_access-$(CONFIG_ADDR_TRANS) := rdma_ucm.o\n\
                 obj-$(CONFIG_USER_ACCESS) += ib_uverbs.o $(user_access-y)\n\
                 obj-$(subst y,$(CONFIG_L2TP),$(CONFIG_L2TP_V3)) += l2tp_netlink.o\n\
                 lib-y += notamodule.o\n",
            ),
        ],
    );
    let i = idx(&t);
    assert_eq!(
        syms(&i, "drivers/usb/host/xhci-pci"),
        v(&[
            &["USB_XHCI_PCI"],
            &["USB_XHCI_HCD", "USB_EHCI_HCD"],
            &["USB", "USB_SUPPORT"]
        ])
    );
    let x = i.module("xhci_hcd").unwrap();
    assert_eq!(x.path, "drivers/usb/host/xhci-hcd");
    assert_eq!(x.own, 1);
    assert_eq!(x.sources, vec!["drivers/usb/host/xhci.c".to_string()]);
    assert_eq!(syms(&i, "drivers/misc/libfoo"), v(&[&["A", "B"]]));
    assert_eq!(syms(&i, "drivers/misc/amd/fmpm"), v(&[&["AMD_ATL"]]));
    assert_eq!(syms(&i, "drivers/misc/wcc"), v(&[&["BRCMFMAC"]]));
    assert_eq!(
        syms(&i, "drivers/misc/rdma_ucm"),
        v(&[&["USER_ACCESS"], &["ADDR_TRANS"]])
    );
    assert_eq!(
        syms(&i, "drivers/misc/l2tp_netlink"),
        v(&[&["L2TP"], &["L2TP_V3"]])
    );
    assert!(i.module_by_path("drivers/misc/notamodule").is_none());
}

#[test]
fn kconfig_help_fallback() {
    let t = tree(
        "help",
        &[
            ("drivers/Makefile", "obj-m += orphan.o\n"),
            (
                "drivers/Kconfig",
                "config ORPHAN\n\ttristate \"x\"\n\thelp\n\t  To compile this driver as a module, choose M here: the\n\t  module will be called orphan.\n",
            ),
        ],
    );
    let i = idx(&t);
    let m = i.module("orphan").unwrap();
    assert_eq!(m.symbols, v(&[&["ORPHAN"]]));
    assert_eq!(m.symbol_source, kfit_kbuild::SymbolSource::KconfigHelp);
}

const DRV_C: &str = r#"
// SPDX
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/usb.h>
#include "local.h"

#define IWL_PCI_DEVICE(dev, subdev, cfg) \
	.vendor = PCI_VENDOR_ID_INTEL,  .device = (dev), \
	.subvendor = PCI_ANY_ID, .subdevice = (subdev), \
	.driver_data = (kernel_ulong_t)&(cfg)

static const struct pci_device_id ids[] = {
	{IWL_PCI_DEVICE(0x2723, PCI_ANY_ID, iwl_ax200_trans_cfg)},
	{ PCI_VDEVICE(INTEL, 0x1234), BOARD_X },
	{ PCI_DEVICE_CLASS(PCI_CLASS_STORAGE_SATA_AHCI, 0xffffff) },
	{ 0x10ec, 0x8139, 0x10ec, 0x8139, 0, 0, 0 },
	{ .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .subvendor = PCI_ANY_ID,
	  .subdevice = PCI_ANY_ID, .override_only = 1 },
	{ }
};
MODULE_DEVICE_TABLE(pci, ids);

static const struct usb_device_id uids[] = {
	{ USB_DEVICE_VER(0x0a5c, 0x2101, 0x0100, 0x0139) },
	{ USB_DEVICE(0x1234, 0x5678) },
	{ }	/* visor-style empty slot below is skipped by file2alias */
};
MODULE_DEVICE_TABLE(usb, uids);

static const struct acpi_device_id aids[] = {
	{ "PNP0A03", 0 },
	{ "", 0, 0x010601, 0xffffff },
	{ }
};
MODULE_DEVICE_TABLE(acpi, aids);

static const struct of_device_id oids[] = {
	{ .compatible = "acme,widget" },
	{ }
};
MODULE_DEVICE_TABLE(of, oids);

static const char hcd_name[] = "demo_hcd";
static struct pci_driver demo_driver = {
	.name = hcd_name,
	.id_table = ids,
};
static struct platform_driver demo_plat = {
	.driver = {
		.name = KBUILD_MODNAME,
	},
};

#define API 77
#define FW_PRE "demo-cc-a0"
#define DEMO_MODULE_FIRMWARE(api) FW_PRE "-" __stringify(api) ".ucode"
MODULE_FIRMWARE(DEMO_MODULE_FIRMWARE(API));
MODULE_FIRMWARE(DEMO_FW_FROM_HEADER);
MODULE_ALIAS("platform:demo");
"#;

#[test]
fn tables_names_firmware() {
    let t = tree(
        "tables",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_DEMO) += demo.o\n"),
            ("drivers/demo.c", DRV_C),
            (
                "drivers/local.h",
                "#define DEMO_FW_FROM_HEADER \"demo/fw.bin\"\nenum { BOARD_A, BOARD_X };\n",
            ),
        ],
    );
    let i = idx(&t);
    let m = i.module("demo").unwrap();
    let pats: Vec<&str> = m.aliases.iter().map(|a| a.pattern.as_str()).collect();
    let want = [
        "pci:v00008086d00002723sv*sd*bc*sc*i*",
        "pci:v00008086d00001234sv*sd*bc*sc*i*",
        "pci:v*d*sv*sd*bc01sc06i01*",
        "pci:v000010ECd00008139sv000010ECsd00008139bc*sc*i*",
        "vfio_pci:v*d*sv*sd*bc*sc*i*",
        // bcdDevice 0x0100..=0x0139, as file2alias expands it
        "usb:v0A5Cp2101d01[0-3]*dc*dsc*dp*ic*isc*ip*in*",
        "usb:v1234p5678d*dc*dsc*dp*ic*isc*ip*in*",
        "acpi*:PNP0A03:*",
        "acpi*:010601:*",
        "of:N*T*Cacme,widget",
        "of:N*T*Cacme,widgetC*",
        "platform:demo",
    ];
    for w in want {
        assert!(pats.contains(&w), "missing {w} in {pats:#?}");
    }
    assert_eq!(pats.len(), want.len(), "{pats:#?}");
    assert_eq!(m.driver_names, vec!["demo_hcd".to_string(), "demo".to_string()]);
    assert_eq!(
        m.firmware,
        vec!["demo-cc-a0-77.ucode".to_string(), "demo/fw.bin".to_string()]
    );
    // Matching: full and partial modaliases, most specific first.
    let r = i.match_modalias("pci:v00008086d00002723sv00008086sd00000084bc02sc80i00");
    assert_eq!(r[0].module.name, "demo");
    assert_eq!(r[0].alias.pattern, "pci:v00008086d00002723sv*sd*bc*sc*i*");
    assert!(i
        .match_modalias("pci:v00001022d00007901sv*sd*bc01sc06i01")
        .iter()
        .any(|x| x.alias.pattern == "pci:v*d*sv*sd*bc01sc06i01*"));
    assert!(i
        .match_modalias("pci:v00001022d00007901sv*sd*bc03sc00i*")
        .iter()
        .all(|x| x.alias.pattern.starts_with("vfio")));
    assert!(!i
        .match_modalias("usb:v0A5Cp2101d0140dc00dsc00dp00ic01isc01ip00in00")
        .iter()
        .any(|x| x.alias.pattern.starts_with("usb:v0A5C")));
    assert!(i
        .match_modalias("usb:v0A5Cp2101d0139dc00dsc00dp00ic01isc01ip00in00")
        .iter()
        .any(|x| x.alias.pattern.starts_with("usb:v0A5C")));
    assert_eq!(i.module_by_driver_name("demo_hcd")[0].name, "demo");
}

/// Each alias records its own entry's line, also when the entry names its
/// IDs by macros (no `0x` literal to search for), and the `CONFIG_`
/// conditions of the `#if`s around that entry, from the preprocessor's
/// pass: k10temp's `PCI_VDEVICE(AMD, PCI_DEVICE_ID_AMD_17H_DF_F3)` shape.
#[test]
fn entry_lines_and_conditions_from_the_preprocessor() {
    let src = "\
#include <linux/pci.h>
#include <linux/module.h>
#define PCI_VENDOR_ID_AMD 0x1022
#define ID_A 0x1203
#define ID_B 0x1303
static const struct pci_device_id t[] = {
\t{ PCI_VDEVICE(AMD, ID_A) },
#if IS_ENABLED(CONFIG_EXTRA) && !defined(DEMO_DEBUG)
\t{ PCI_VDEVICE(AMD, ID_B) },
#ifdef CONFIG_INNER
\t{ PCI_VDEVICE(AMD,
\t\t0x1403) },
#endif
#if defined(NOT_DEFINED_HERE)
\t{ PCI_VDEVICE(AMD, 0x1405) },
#else
\t{ PCI_VDEVICE(AMD, 0x1404) },
#endif
#endif
\t{}
};
MODULE_DEVICE_TABLE(pci, t);
/* #if IS_ENABLED(CONFIG_IN_A_COMMENT) */
MODULE_ALIAS(\"platform:ent\");
";
    let t = tree(
        "entries",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_ENT) += ent.o\n"),
            ("drivers/ent.c", src),
        ],
    );
    let i = idx(&t);
    let m = i.module("ent").unwrap();
    let at = |dev: &str| {
        let a = m
            .aliases
            .iter()
            .find(|a| a.pattern.contains(dev))
            .unwrap_or_else(|| panic!("no alias with {dev}: {:#?}", m.aliases));
        let conds: Vec<String> = a
            .conditions
            .iter()
            .map(|c| format!("{}@{}", c.name, c.line))
            .collect();
        (a.line, a.entry_line, conds)
    };
    assert_eq!(at("d00001203"), (6, 7, vec![]));
    assert_eq!(at("d00001303"), (6, 9, vec!["EXTRA@8".to_string()]));
    assert_eq!(
        at("d00001403"),
        (6, 11, vec!["EXTRA@8".to_string(), "INNER@10".to_string()])
    );
    assert_eq!(at("d00001404"), (6, 17, vec!["EXTRA@8".to_string()]));
    assert!(!m.aliases.iter().any(|a| a.pattern.contains("d00001405")));
    assert_eq!(at("platform:ent"), (24, 24, vec![]));
}

#[test]
fn odd_sources_do_not_panic() {
    let t = tree(
        "odd",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_ODD) += odd.o\nobj-$(CONFIG_X) += $(call,\n"),
            (
                "drivers/odd.c",
                "#define A(x) A(x) B\n#define B A(1)\nstatic const struct pci_device_id t[] = { { A(2) }, { ((( }, {} };\nMODULE_DEVICE_TABLE(pci, t);\nMODULE_DEVICE_TABLE(pci, missing);\n#if\n#endif\n#endif\n\"unterminated",
            ),
        ],
    );
    let i = idx(&t);
    assert!(i.module("odd").is_some());
    assert!(!i.diags.is_empty());
}

#[test]
fn cache_roundtrip() {
    let t = tree(
        "cache",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_DEMO) += demo.o\n"),
            ("drivers/demo.c", DRV_C),
            ("drivers/local.h", ""),
        ],
    );
    let cache = t.0.join("cache");
    let a = KernelIndex::load_or_build(&t.0, &kfit_kbuild::Arch::default(), &cache).unwrap();
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    let b = KernelIndex::load_or_build(&t.0, &kfit_kbuild::Arch::default(), &cache).unwrap();
    assert_eq!(a.modules.len(), b.modules.len());
    assert_eq!(
        b.module("demo").unwrap().aliases,
        a.module("demo").unwrap().aliases
    );
    assert!(!b
        .match_modalias("pci:v00008086d00002723sv*sd*bc*sc*i*")
        .is_empty());
    let _ = Path::new("");
}

#[test]
fn a_cache_that_cannot_be_written_is_a_note() {
    let t = tree(
        "cache-ro",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_DEMO) += demo.o\n"),
            ("drivers/demo.c", DRV_C),
            ("drivers/local.h", ""),
        ],
    );
    // A regular file where the cache directory should be.
    let cache = t.0.join("not-a-dir");
    std::fs::write(&cache, "").unwrap();
    let i = KernelIndex::load_or_build(&t.0, &kfit_kbuild::Arch::default(), &cache).unwrap();
    assert!(i.module("demo").is_some());
    assert_eq!(i.notes.len(), 1, "{:?}", i.notes);
    assert!(i.notes[0].contains("not cached"), "{:?}", i.notes);
}

#[test]
fn an_edited_source_is_rescanned_alone() {
    let t = tree(
        "incremental",
        &[
            (
                "drivers/Makefile",
                "obj-$(CONFIG_DEMO) += demo.o\nobj-$(CONFIG_OTHER) += other.o\n",
            ),
            ("drivers/demo.c", DRV_C),
            ("drivers/other.c", "MODULE_ALIAS(\"other:a\");\n"),
            ("drivers/local.h", ""),
        ],
    );
    let cache = t.0.join("cache");
    let a = KernelIndex::load_or_build(&t.0, &kfit_kbuild::Arch::default(), &cache).unwrap();
    assert_eq!(a.rescanned, 2);
    assert_eq!(
        KernelIndex::load_or_build(&t.0, &kfit_kbuild::Arch::default(), &cache)
            .unwrap()
            .rescanned,
        0
    );
    // A longer file (the size changes whatever the mtime granularity).
    std::fs::write(t.0.join("drivers/other.c"), "MODULE_ALIAS(\"other:b\");\n\n").unwrap();
    let b = KernelIndex::load_or_build(&t.0, &kfit_kbuild::Arch::default(), &cache).unwrap();
    assert_eq!(b.rescanned, 1);
    let o = b.module("other").unwrap();
    assert_eq!(o.aliases.len(), 1);
    assert_eq!(o.aliases[0].pattern, "other:b");
}

/// A Makefile pulled in by `include` (virt/kvm/Makefile.kvm, nouveau's
/// nvkm/*/Kbuild) is an input of the index like the Makefile itself: an edit
/// of it alone is seen by the next load.
#[test]
fn an_edited_included_makefile_is_seen() {
    let t = tree(
        "mkinclude",
        &[
            // Outside every directory the build descends into, as
            // virt/kvm/Makefile.kvm is for arch/*/kvm/Makefile.
            ("drivers/Makefile", "include $(srctree)/virt/sub.mk\n"),
            ("virt/sub.mk", "obj-$(CONFIG_DEMO) += demo.o\n"),
            ("drivers/demo.c", DRV_C),
            ("drivers/other.c", "MODULE_ALIAS(\"other:a\");\n"),
        ],
    );
    // Outside the tree: a cache directory created in it changes the top
    // directory's stamp, and the next load would rebuild for that alone.
    let cache = t.0.with_extension("cache");
    let _cache = Tree(cache.clone());
    let arch = kfit_kbuild::Arch::default();
    KernelIndex::load_or_build(&t.0, &arch, &cache).unwrap();
    let a = KernelIndex::load_or_build(&t.0, &arch, &cache).unwrap();
    assert_eq!(a.rescanned, 0);
    assert!(a.module("demo").is_some());
    assert!(a.module("other").is_none());
    // A longer file (the size changes whatever the mtime granularity).
    std::fs::write(
        t.0.join("virt/sub.mk"),
        "obj-$(CONFIG_DEMO) += demo.o\nobj-$(CONFIG_OTHER) += other.o\n",
    )
    .unwrap();
    let b = KernelIndex::load_or_build(&t.0, &arch, &cache).unwrap();
    let o = b.module("other").expect("the included Makefile's new object");
    assert_eq!(o.aliases[0].pattern, "other:a");
}

/// A speculative load decodes the cache at once and checks the tree on
/// another thread: the check says no as soon as one input changed.
#[test]
fn a_speculative_load_is_confirmed_only_while_the_tree_is_unchanged() {
    let t = tree(
        "speculative",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_DEMO) += demo.o\n"),
            ("drivers/demo.c", DRV_C),
            ("drivers/local.h", ""),
        ],
    );
    // Outside the tree: a cache directory inside it is a walked directory
    // that every save changes.
    let cache = t.0.with_extension("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let arch = kfit_kbuild::Arch::default();
    assert!(
        KernelIndex::load_speculative(&t.0, &arch, &cache).is_none(),
        "no cache yet"
    );
    let a = KernelIndex::load_or_build(&t.0, &arch, &cache).unwrap();
    let (b, pending) = KernelIndex::load_speculative(&t.0, &arch, &cache).expect("cached");
    assert_eq!(
        b.module("demo").unwrap().aliases,
        a.module("demo").unwrap().aliases
    );
    let inputs = pending.wait().expect("unchanged tree");
    assert_eq!(inputs.files, a.inputs.files);
    // A header edited in place (longer: the size changes whatever the
    // mtime granularity; its directory's mtime does not).
    std::fs::write(t.0.join("drivers/local.h"), "/* changed */\n").unwrap();
    let (_, pending) = KernelIndex::load_speculative(&t.0, &arch, &cache).expect("cached");
    assert!(pending.wait().is_none(), "a changed input is never confirmed");
    let _ = std::fs::remove_dir_all(&cache);
}

/// Found by fuzzing (crates/kbuild/fuzz, index_cache): a cache file whose
/// lookup map points past the modules decoded, and the first lookup
/// panicked. Now it is a damaged cache (an error: the caller rebuilds).
#[test]
fn a_cache_map_pointing_past_the_modules_is_an_error() {
    let t = tree(
        "cache-map",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_DEMO) += demo.o\n"),
            ("drivers/demo.c", DRV_C),
            ("drivers/local.h", ""),
        ],
    );
    let file = t.0.join("index.cache");
    idx(&t).save(&file).unwrap();
    let mut b = std::fs::read(&file).unwrap();
    let n = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
    let len = |i: usize| u64::from_le_bytes(b[8 + 8 * i..16 + 8 * i].try_into().unwrap()) as usize;
    // section 2: the maps; by_name = (u64 count, then (u64 hash, u32 module))
    let maps = 8 + 16 * n + len(0) + len(1);
    let maps_end = maps + len(2);
    let first = maps + 8 + 8;
    b[first..first + 4].copy_from_slice(&0x7fff_u32.to_le_bytes());
    // with its checksum made right again, as the fuzzer's input may have it
    let sum = kfit_util::checksum(&b[maps..maps_end]);
    b[8 + 8 * n + 16..8 + 8 * n + 24].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&file, &b).unwrap();
    match KernelIndex::load(&file) {
        Err(kfit_kbuild::Error::Cache(_, msg)) => assert!(msg.contains("points past"), "{msg}"),
        Err(e) => panic!("{e}"),
        Ok(i) => panic!("loaded; lookup gives {:?}", i.module("demo").map(|m| &m.name)),
    }
}

/// Early-init provider declarations: the macros that reach `_OF_DECLARE`
/// or `ACPI_DECLARE_PROBE_ENTRY` through the headers (include/linux/of.h,
/// irqchip.h, acpi.h in miniature), a file's own wrapper of one, and a
/// compatible a platform driver's table also names (a modalias: it wins).
#[test]
fn early_declarations_are_built_in_only_rows() {
    let of_h = r#"
#include <linux/mod_devicetable.h>
#define _OF_DECLARE(table, name, compat, fn, fn_type)			\
	static const struct of_device_id __of_table_##name		\
		__used __section("__" #table "_of_table")		\
		 = { .compatible = compat,				\
		     .data = (fn == (fn_type)NULL) ? fn : fn  }
#define OF_DECLARE_2(table, name, compat, fn) \
		_OF_DECLARE(table, name, compat, fn, of_init_fn_2)
"#;
    let irqchip_h = r#"
#include <linux/of.h>
#include <linux/acpi.h>
#define IRQCHIP_DECLARE(name, compat, fn) OF_DECLARE_2(irqchip, name, compat, fn)
#define IRQCHIP_ACPI_DECLARE(name, subtable, validate, data, fn)	\
	ACPI_DECLARE_SUBTABLE_PROBE_ENTRY(irqchip, name, ACPI_SIG_MADT, subtable, validate, data, fn)
"#;
    let acpi_h = r#"
#define ACPI_SIG_MADT "APIC"
#define ACPI_DECLARE_SUBTABLE_PROBE_ENTRY(table, name, table_id, subtable, valid, data, fn) \
	static const struct acpi_probe_entry __acpi_probe_##name	\
		__used __section("__" #table "_acpi_probe_table") = {	\
			.id = table_id,					\
			.type = subtable,				\
			.subtable_valid = valid,			\
			.probe_subtbl = fn,				\
			.driver_data = data,				\
		}
"#;
    let chip = r#"
#include <linux/irqchip.h>
#include <linux/module.h>
static int chip_init(void *a, void *b) { return 0; }
IRQCHIP_DECLARE(chip_v1, "acme,chip-v1", chip_init);
#define CHIP_DECLARE(n, c) IRQCHIP_DECLARE(n, c, chip_init)
CHIP_DECLARE(chip_v2, "acme,chip-v2");
IRQCHIP_ACPI_DECLARE(chip_acpi, 12, NULL, 3, chip_init);
IRQCHIP_DECLARE(chip_v3, "acme,chip-v3", chip_init);
static const struct of_device_id chip_of[] = {
	{ .compatible = "acme,chip-v3" },
	{ }
};
MODULE_DEVICE_TABLE(of, chip_of);
"#;
    let t = tree(
        "early",
        &[
            ("include/linux/of.h", of_h),
            ("include/linux/irqchip.h", irqchip_h),
            ("include/linux/acpi.h", acpi_h),
            ("drivers/Makefile", "obj-$(CONFIG_ACME_CHIP) += chip.o\n"),
            ("drivers/chip.c", chip),
        ],
    );
    let i = idx(&t);
    let m = i.module("chip").unwrap();
    let rows: Vec<(&str, u32, Option<&str>)> = m
        .aliases
        .iter()
        .map(|a| (a.pattern.as_str(), a.entry_line, a.declared_by.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("of:N*T*Cacme,chip-v3", 11, None),
            ("of:N*T*Cacme,chip-v3C*", 11, None),
            ("of:N*T*Cacme,chip-v1", 5, Some("IRQCHIP_DECLARE")),
            ("of:N*T*Cacme,chip-v1C*", 5, Some("IRQCHIP_DECLARE")),
            ("of:N*T*Cacme,chip-v2", 7, Some("CHIP_DECLARE")),
            ("of:N*T*Cacme,chip-v2C*", 7, Some("CHIP_DECLARE")),
            ("acpi*:APIC:*", 8, Some("IRQCHIP_ACPI_DECLARE")),
        ]
    );
    assert!(m.aliases.iter().filter(|a| a.is_modalias()).count() == 2);
    // A DT node with that compatible resolves to the symbol.
    let r = i.match_modalias("of:NintcT(null)Cacme,chip-v1");
    assert_eq!(r[0].module.name, "chip");
    assert_eq!(r[0].alias.declared_by.as_deref(), Some("IRQCHIP_DECLARE"));
    assert_eq!(syms(&i, "drivers/chip"), v(&[&["ACME_CHIP"]]));
}

/// A cache file with a flipped byte anywhere, or cut short, is a damaged
/// cache (an error naming it, never an index or a panic); the next
/// `load_or_build` builds the index again and replaces it.
#[test]
fn a_damaged_or_cut_cache_is_rebuilt() {
    let t = tree(
        "cache-damaged",
        &[
            ("drivers/Makefile", "obj-$(CONFIG_DEMO) += demo.o\n"),
            ("drivers/demo.c", DRV_C),
            ("drivers/local.h", ""),
        ],
    );
    let cache = t.0.with_extension("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let arch = kfit_kbuild::Arch::default();
    let good = KernelIndex::load_or_build(&t.0, &arch, &cache).unwrap();
    let file = std::fs::read_dir(&cache).unwrap().next().unwrap().unwrap().path();
    let bytes = std::fs::read(&file).unwrap();
    let damaged = t.0.join("damaged.bin");
    let n = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let len = |i: usize| u64::from_le_bytes(bytes[8 + 8 * i..16 + 8 * i].try_into().unwrap()) as usize;
    // The per-file records (the last section, and its checksum) are
    // checked when an incremental rebuild reads them, not by a load.
    let records = bytes.len() - len(n - 1);
    // Every byte of the header and table, then a sample through the rest.
    let records_sum = 8 + 8 * n + 8 * (n - 1)..8 + 16 * n;
    let flips: Vec<usize> = (0..8 + 16 * n)
        .filter(|i| !records_sum.contains(i))
        .chain((8 + 16 * n..records).step_by(7))
        .collect();
    for &i in &flips {
        let mut b = bytes.clone();
        b[i] ^= 0x20;
        std::fs::write(&damaged, &b).unwrap();
        match KernelIndex::load(&damaged) {
            Err(kfit_kbuild::Error::Cache(..)) => {}
            Err(e) => panic!("byte {i}: {e}"),
            Ok(_) => panic!("byte {i} flipped: loaded"),
        }
    }
    for cut in [0, 4, 8, 100, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&damaged, &bytes[..cut]).unwrap();
        assert!(KernelIndex::load(&damaged).is_err(), "cut at {cut}: loaded");
    }
    // The real cache damaged (a byte in the middle of the modules):
    // rebuilt, the same index again, and cached again.
    let mut b = bytes.clone();
    let modules = 8 + 16 * n + (0..4).map(len).sum::<usize>();
    b[modules + len(4) / 2] ^= 0x01;
    std::fs::write(&file, &b).unwrap();
    assert!(KernelIndex::load_speculative(&t.0, &arch, &cache).is_none());
    let again = KernelIndex::load_or_build(&t.0, &arch, &cache).unwrap();
    assert!(again.rescanned > 0, "rebuilt");
    assert_eq!(
        again.module("demo").unwrap().aliases,
        good.module("demo").unwrap().aliases
    );
    assert!(KernelIndex::load(&file).is_ok(), "cached again");
    let _ = std::fs::remove_dir_all(&cache);
}
