//! The lsblk parser on arbitrary text (no detection).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((m, _)) = kfit_hw::parse_as(kfit_hw::Format::Lsblk, &text, "fuzz") {
        let mut s = m.system.clone();
        s.merge(m.system);
        s.infer_boot();
    }
});
