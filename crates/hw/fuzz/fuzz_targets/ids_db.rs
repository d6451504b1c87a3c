//! The pci.ids/usb.ids parser and every reverse lookup on what it built.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let db = kfit_hw::ids::IdsDb::parse(&text, std::path::Path::new("fuzz"));
    // Look up every line of the input as a name, in every way.
    for line in text.lines().take(64) {
        let n = line.trim();
        let _ = db.split_vendor_product(n);
        let _ = db.classes_named(n);
        let _ = db.subsystems_named(Some((0x8086, 0x1234)), Some(n), None, None);
        let _ = db.subsystems_named(None, None, Some(n), Some(n));
        for &v in db.vendors_named(n) {
            let _ = db.products_named(v, n);
            let _ = db.device_has_subsystem(v, 1, Some(n), None, None);
        }
    }
});
