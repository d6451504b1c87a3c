//! Every parser through format detection, and the merge of two listings.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((m, _)) = kfit_hw::read_str(&text, "fuzz") {
        for d in &m.devices {
            let _ = d.modalias_or_synth();
            let _ = m.ancestors(d);
        }
    }
    // Split in two listings at the first form feed / half: exercises merging.
    let mid = text.find('\u{c}').unwrap_or(text.len() / 2);
    if text.is_char_boundary(mid) {
        let _ = kfit_hw::read_strs(&[("a", &text[..mid]), ("b", &text[mid..])]);
    }
});
