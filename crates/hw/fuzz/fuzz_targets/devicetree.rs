//! The device-tree readers: the flattened blob (bytes as they come) and
//! dtc's source form (the same bytes as text). Errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for t in [
        kfit_hw::DeviceTree::from_dtb(data).ok(),
        kfit_hw::DeviceTree::from_dts(&String::from_utf8_lossy(data)).ok(),
    ]
    .into_iter()
    .flatten()
    {
        for d in t.devices("fuzz") {
            assert!(d.modalias.is_some() || d.bus.as_str() == "amba");
        }
    }
    // The blob after a valid header, to reach the structure block.
    let mut b = vec![0xd0, 0x0d, 0xfe, 0xed];
    b.extend_from_slice(data);
    let _ = kfit_hw::read_dtb(&b, "fuzz");
});
