//! Issue 20: the device-tree suppliers of the QEMU virt arm64 reference
//! machine (crates/hw/tests/data/qemu-virt-arm64) name their Kconfig
//! symbols. The GIC, the architected timer and the fixed clock have no
//! driver-model driver: the kernel runs their init from IRQCHIP_DECLARE,
//! TIMER_OF_DECLARE and CLK_OF_DECLARE tables, which the index reads as
//! built-in-only `of:` rows. `kfit fit --json` and `kfit explain` show them
//! on arm64 defconfig of the cached 6.12 tree (skipped when it is not
//! cached).

use std::path::PathBuf;
use std::process::Command;

fn tree() -> Option<PathBuf> {
    let t = kfit_testkit::kernel_env_if_cached("6.12", "TREE").map(PathBuf::from);
    if t.is_none() {
        eprintln!("skipped: Linux 6.12 is not cached (scripts/fetch-kernels.sh 6.12)");
    }
    t
}

fn kfit(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .env_remove("ARCH")
        .args(args)
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.code().is_some_and(|c| c < 2), "kfit {args:?}: {e}");
    (o, e)
}

#[test]
fn dt_providers_of_the_virt_machine_name_their_symbols() {
    let Some(tree) = tree() else { return };
    let t = tree.display().to_string();
    let base = tree.join("arch/arm64/configs/defconfig").display().to_string();
    let dtb = kfit_testkit::repo("crates/hw/tests/data/qemu-virt-arm64/devicetree.dtb")
        .display()
        .to_string();
    let common = ["--arch", "arm64", "--tree", &t, "--base", &base, &dtb];
    let mut args = vec!["fit", "--json"];
    args.extend(common);
    let (out, _) = kfit(&args);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let devices = j["machines"][0]["devices"].as_array().unwrap();
    let device = |label: &str| {
        devices
            .iter()
            .find(|d| d["label"].as_str().unwrap().starts_with(label))
            .unwrap_or_else(|| panic!("{label} not in {out}"))
    };
    // (device, declaring macro, symbol, a consumer it provides for)
    for (label, decl, symbol, provides) in [
        (
            "platform 8000000.intc ",
            "IRQCHIP_DECLARE",
            "ARM_GIC_V3",
            Some("provider of interrupts for /virtio_mmio@a000000"),
        ),
        ("platform timer ", "TIMER_OF_DECLARE", "ARM_ARCH_TIMER", None),
        (
            "platform apb-pclk ",
            "CLK_OF_DECLARE",
            "COMMON_CLK",
            Some("provider of clocks for /pl011@9000000"),
        ),
    ] {
        let d = device(label);
        let m = &d["modules"][0];
        assert_eq!(m["how"]["kind"], "alias", "{d}");
        assert_eq!(m["how"]["declared_by"], decl, "{d}");
        assert_eq!(m["symbols"][0]["any_of"][0], symbol, "{d}");
        assert_eq!(d["verdict"], "already_on", "{d}");
        if let Some(p) = provides {
            assert!(d["provides"].as_array().unwrap().iter().any(|x| x == p), "{d}");
        }
        // the note of an unknown provider is gone
        assert!(
            d.get("notes")
                .is_none_or(|n| !n.to_string().contains("matches it")),
            "{d}"
        );
    }
    // Ordinary drivers keep their modalias rows (no declared_by).
    let virtio = device("platform a000000.virtio_mmio ");
    assert!(
        virtio["modules"][0]["how"].get("declared_by").is_none(),
        "{virtio}"
    );

    // explain names the device behind the symbol.
    let mut args = vec!["explain", "ARM_GIC_V3"];
    args.extend(common);
    let (out, _) = kfit(&args);
    assert!(
        out.contains("platform 8000000.intc of:NintcT(null)Carm,gic-v3 → irq_gic_v3"),
        "{out}"
    );
    let mut args = vec!["explain", "ARM_ARCH_TIMER"];
    args.extend(common);
    let (out, _) = kfit(&args);
    assert!(out.contains("→ arm_arch_timer"), "{out}");
    // kfit match shows the declaration, and that it is no modalias.
    let (out, _) = kfit(&[
        "match",
        "of:NintcT(null)Carm,gic-v3",
        "--arch",
        "arm64",
        "--tree",
        &t,
    ]);
    assert!(
        out.contains("IRQCHIP_DECLARE: early init, built in only, no modalias"),
        "{out}"
    );
}
