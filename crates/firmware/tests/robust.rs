//! Arbitrary text never makes the C reading or the narrowing panic.

use kfit_firmware::csrc::*;
use kfit_firmware::*;
use proptest::prelude::*;

fn c_like() -> impl Strategy<Value = String> {
    // C-ish alphabet (with some multi-byte chars) so the parsers get deep.
    let atoms = prop::sample::select(vec![
        "#define ",
        "A",
        "B(x)",
        " x ",
        "\"s\"",
        "(",
        ")",
        "{",
        "}",
        ",",
        ";",
        "\\\n",
        "\n",
        "/*",
        "*/",
        "//",
        "MODULE_FIRMWARE(",
        "__stringify(",
        "case CHIP_RENOIR:",
        "if (",
        "else ",
        "adev->pdev->device == 0x1638",
        "apu_flags |= AMD_APU_IS_X;",
        "break;",
        "IP_VERSION(9, 3, 0)",
        "pciidlist[] = {",
        "0x1002",
        "é",
        "ü",
        "'",
        "\"",
        "&",
        "~",
        ".cfg = ",
        "=",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn csrc_never_panics(s in c_like(), raw in ".{0,200}") {
        for text in [&s, &raw] {
            let st = strip_comments(text);
            let toks = tokenize(&st);
            let mut d = Defines::default();
            d.add_source(&st);
            let _ = d.eval_string(&toks);
            let _ = d.eval_int(&toks);
            let _ = braced_after(&st, "pciidlist[] =");
            let _ = top_level_elements(&st);
            let _ = call_args(&toks, 0);
            for i in 0..text.len().min(8) {
                let _ = matching_close(text, i);
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(80))]

    #[test]
    fn narrowing_on_garbage_trees_never_panics(s in c_like()) {
        let dir = tempfile_dir();
        let amd = dir.join("drivers/gpu/drm/amd/amdgpu");
        let iwl = dir.join("drivers/net/wireless/intel/iwlwifi");
        std::fs::create_dir_all(&amd).unwrap();
        std::fs::create_dir_all(iwl.join("pcie")).unwrap();
        std::fs::create_dir_all(iwl.join("cfg")).unwrap();
        for f in ["amdgpu_drv.c", "amdgpu_device.c", "amdgpu_ucode.c", "gfx_v9_0.c"] {
            std::fs::write(amd.join(f), &s).unwrap();
        }
        std::fs::write(iwl.join("pcie/drv.c"), &s).unwrap();
        std::fs::write(iwl.join("cfg/22000.c"), &s).unwrap();
        let i9 = dir.join("drivers/gpu/drm/i915");
        std::fs::create_dir_all(i9.join("gt/uc")).unwrap();
        std::fs::create_dir_all(i9.join("display")).unwrap();
        std::fs::create_dir_all(dir.join("include/drm/intel")).unwrap();
        std::fs::write(i9.join("i915_pci.c"), &s).unwrap();
        std::fs::write(i9.join("gt/uc/intel_uc_fw.c"), &s).unwrap();
        std::fs::write(i9.join("display/intel_dmc.c"), &s).unwrap();
        std::fs::write(dir.join("include/drm/intel/i915_pciids.h"), &s).unwrap();
        let mf = vec!["amdgpu/x_y.bin".to_string()];
        let _ = firmware_for_device(&dir, "i915", &mf, &DeviceIds::pci(0x8086, 0x9a49));
        let _ = firmware_for_device(&dir, "amdgpu", &mf, &DeviceIds::pci(0x1002, 0x1638));
        let _ = firmware_for_device(&dir, "iwlwifi", &mf, &DeviceIds::pci(0x8086, 0x2723));
        let _ = scan_module_firmware(&dir, &["drivers"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "kfit-fw-robust-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}
