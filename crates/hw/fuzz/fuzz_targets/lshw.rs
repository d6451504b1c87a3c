//! The lshw reader alone (no detection).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((m, _)) = kfit_hw::parse_as(kfit_hw::Format::Lshw, &text, "fuzz") {
        for d in &m.devices {
            let _ = d.modalias_or_synth();
            let _ = m.ancestors(d);
        }
    }
});
