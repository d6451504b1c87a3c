#![no_main]
//! The index cache decoder (issue 18): `KernelIndex::load` on arbitrary
//! bytes, then every lookup a fit makes (by name, path, driver name,
//! modalias, the alias and symbol lists). A corrupted cache must be an
//! error (a cache miss, rebuilt by the caller) or an index whose lookups
//! work; panics, hangs and huge allocations are bugs.
//!
//! Seed: with `KFIT_FUZZ_SEED_DIR` set, the first run writes the cache file
//! of a miniature tree (a PCI/USB driver with tables, firmware and a
//! driver name) there; crates/kbuild/fuzz/run.sh does this.
use kfit_kbuild::KernelIndex;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

const FILES: &[(&str, &str)] = &[
    ("Makefile", "VERSION = 6\nPATCHLEVEL = 99\nSUBLEVEL = 0\n"),
    ("Kbuild", "obj-y += drivers/\n"),
    (
        "include/linux/mod_devicetable.h",
        "typedef unsigned long kernel_ulong_t;\n#define PCI_ANY_ID (~0)\n\
         struct pci_device_id { __u32 vendor, device; __u32 subvendor, subdevice; \
         __u32 class, class_mask; kernel_ulong_t driver_data; __u32 override_only; };\n\
         struct usb_device_id { __u16 match_flags; __u16 idVendor; __u16 idProduct; \
         __u16 bcdDevice_lo; __u16 bcdDevice_hi; __u8 bDeviceClass; __u8 bDeviceSubClass; \
         __u8 bDeviceProtocol; __u8 bInterfaceClass; __u8 bInterfaceSubClass; \
         __u8 bInterfaceProtocol; __u8 bInterfaceNumber; kernel_ulong_t driver_info; };\n",
    ),
    (
        "include/linux/module.h",
        "#define MODULE_INFO(tag, info) __MODULE_INFO(tag, tag, info)\n\
         #define MODULE_FIRMWARE(_firmware) MODULE_INFO(firmware, _firmware)\n\
         #define MODULE_DEVICE_TABLE(type, name) extern typeof(name) __mod_##type##__##name##_device_table\n",
    ),
    (
        "include/linux/pci.h",
        "#include <linux/mod_devicetable.h>\n#define PCI_DEVICE(vend,dev) \
         .vendor = (vend), .device = (dev), .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID\n",
    ),
    (
        "drivers/Makefile",
        "obj-$(CONFIG_DEMO) += demo/\nobj-$(CONFIG_OTHER) += other.o\n",
    ),
    ("drivers/demo/Makefile", "obj-$(CONFIG_DEMO_PCI) += demo.o\ndemo-y := core.o\n"),
    (
        "drivers/demo/core.c",
        "#include <linux/module.h>\n#include <linux/pci.h>\n\
         static const struct pci_device_id ids[] = {\n\
         { PCI_DEVICE(0x8086, 0x2723) },\n{ 0x10ec, 0x8139, 0x10ec, 0x8139, 0, 0, 0 },\n{ }\n};\n\
         MODULE_DEVICE_TABLE(pci, ids);\n\
         static const struct usb_device_id uids[] = { { .match_flags = 3, .idVendor = 0x1234, .idProduct = 0x5678 }, { } };\n\
         MODULE_DEVICE_TABLE(usb, uids);\n\
         static struct pci_driver demo_driver = { .name = \"demo_hcd\", .id_table = ids };\n\
         MODULE_FIRMWARE(\"demo/fw.bin\");\n",
    ),
    (
        "drivers/other.c",
        "#include <linux/module.h>\nMODULE_ALIAS(\"platform:other\");\n",
    ),
];

fn scratch() -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let d = base.join(format!("kfit-fuzz-index-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_seed(dir: &std::path::Path) {
    let tree = scratch().join("tree");
    for (p, c) in FILES {
        let f = tree.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    }
    let idx = KernelIndex::build(&tree, &kfit_kbuild::Arch::default(), None).expect("index of the miniature tree");
    std::fs::create_dir_all(dir).unwrap();
    idx.save(&dir.join("mini-tree.index")).unwrap();
}

fuzz_target!(
    init: {
        if let Some(d) = std::env::var_os("KFIT_FUZZ_SEED_DIR") {
            write_seed(std::path::Path::new(&d));
        }
    },
    |data: &[u8]| {
        let file = scratch().join("cache.index");
        std::fs::write(&file, data).unwrap();
        let Ok(idx) = KernelIndex::load(&file) else {
            return;
        };
        for name in ["demo", "other", "e1000e", ""] {
            let _ = idx.module(name);
            let _ = idx.modules_named(name);
            let _ = idx.module_by_driver_name(name);
        }
        let _ = idx.module_by_path("drivers/demo/demo");
        for m in [
            "pci:v00008086d00002723sv00008086sd00000084bc02sc80i00",
            "pci:v000010ECd00008139sv*sd*bc*sc*i*",
            "usb:v1234p5678d0100dc00dsc00dp00ic01isc01ip00in00",
            "platform:other",
            "",
            "*",
        ] {
            for r in idx.match_modalias(m) {
                let _ = (&r.module.name, &r.alias.pattern);
            }
        }
        let _ = idx.aliases().count();
        let _ = idx.all_symbols().len();
        for m in &idx.modules {
            let _ = idx.module(&m.name);
            let _ = idx.module_by_path(&m.path);
        }
    }
);
