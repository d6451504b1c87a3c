//! Plain lspci (names, no ids) through the lookup in the machine's pci.ids
//! (/usr/share/misc/pci.ids when installed): name splitting and candidates.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((m, _)) = kfit_hw::parse_as(kfit_hw::Format::Lspci, &text, "fuzz") {
        for d in &m.devices {
            let _ = d.modalias_or_synth();
        }
    }
    let _ = kfit_hw::parse_as(kfit_hw::Format::LspciMachine, &text, "fuzz");
    let _ = kfit_hw::parse_as(kfit_hw::Format::LsusbTree, &text, "fuzz");
});
