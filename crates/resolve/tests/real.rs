//! Resolution on the real 6.12 tree (cached by scripts/fetch-kernels.sh).
use std::path::PathBuf;

/// `m` resolved on the cached Debian 6.12 tree (fetched when missing).
fn resolve(m: &kfit_hw::Machine) -> kfit_resolve::Resolution {
    let tree = PathBuf::from(kfit_testkit::kernel_env("6.12", "TREE"));
    let idx = kfit_kbuild::KernelIndex::load_or_build(
        &tree,
        &kfit_kbuild::Arch::default(),
        &kfit_kbuild::default_cache_dir(),
    )
    .unwrap();
    kfit_resolve::resolve(m, &idx, &tree, &Default::default())
}

#[test]
fn seed_resolves() {
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed/lspci-k.txt");
    let (m, _) = kfit_hw::read_listings(&[PathBuf::from(seed)]).unwrap();
    let r = resolve(&m);
    for d in &r.devices {
        // Every device the listing shows bound finds its module in 6.12.
        if d.driver.is_some() {
            assert_eq!(d.status, kfit_resolve::DeviceStatus::Resolved, "{}", d.label);
            assert!(!d.modules.is_empty(), "{}", d.label);
        }
    }
    let find = |label: &str| r.devices.iter().find(|d| d.label.contains(label)).unwrap();
    // iwlwifi's op-mode comes from the #if around the AX200 ID entry.
    let iwl = &find("8086:2723").modules[0];
    assert_eq!(iwl.module, "iwlwifi");
    assert!(
        iwl.requires.iter().any(|q| q.any_of == ["IWLMVM"]),
        "{:?}",
        iwl.requires
    );
    // Unbound devices matched by alias.
    assert_eq!(find("1022:7901").modules[0].module, "ahci");
    assert_eq!(find("1022:166d").modules[0].module, "k10temp");
    // Driver names that are not module names.
    assert_eq!(find("1022:790b").modules[0].module, "i2c_piix4");
    assert_eq!(find("1022:15e4").modules[0].module, "amd_sfh");
    // Children the ACP driver registers (platform devices by name).
    let acp: Vec<&str> = find("1022:15e2")
        .modules
        .iter()
        .map(|m| m.module.as_str())
        .collect();
    assert!(acp.contains(&"snd_acp3x_rn"), "{acp:?}");
}

/// A platform device named by code needs the code that registers it: the
/// q35 machine's `dmi-ipmi-si.0` is registered by ipmi_dmi (from the DMI
/// tables), bound by ipmi_si. Devices whose registering code is needed
/// anyway get nothing more: `iTCO_wdt` (lpc_ich, which the ISA bridge
/// needs), `serial8250` (the 8250 core registers it itself).
#[test]
fn platform_devices_need_their_registering_code() {
    let q35 = kfit_testkit::q35();
    let files: Vec<PathBuf> = ["lspci-nnk.txt", "drivers.txt", "modalias-uevent.txt"]
        .iter()
        .map(|f| q35.join(f))
        .collect();
    let (m, _) = kfit_hw::read_listings(&files).unwrap();
    let r = resolve(&m);
    let modules = |label: &str| -> Vec<&str> {
        let d = r.devices.iter().find(|d| d.label.contains(label)).unwrap();
        d.modules.iter().map(|m| m.module.as_str()).collect()
    };
    assert_eq!(modules("dmi-ipmi-si"), ["ipmi_si", "ipmi_dmi"]);
    let d = r
        .devices
        .iter()
        .find(|d| d.label.contains("dmi-ipmi-si"))
        .unwrap();
    let kfit_resolve::How::Companion { because, .. } = &d.modules[1].how else {
        panic!("{:?}", d.modules[1].how);
    };
    assert!(because.contains("drivers/char/ipmi/ipmi_dmi.c:"), "{because}");
    assert_eq!(modules("iTCO_wdt"), ["iTCO_wdt"]);
    assert_eq!(modules("serial8250"), ["8250"]);
}

/// A device-tree board: the devices the nodes' phandles and buses name
/// (the i2c controller of an EEPROM, its regulator, the controller's
/// clock) are wanted with the reason "provider of <prop> for <node>";
/// the matches come from the 6.12 index's `of:` aliases.
#[test]
fn devicetree_suppliers_are_wanted_with_their_reason() {
    let board = r#"/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	aliases {
		i2c0 = "/soc/i2c@1000";
	};
	soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;
		clk: clock {
			compatible = "fixed-clock";
			#clock-cells = <0>;
			clock-frequency = <100000000>;
		};
		vcc: regulator {
			compatible = "regulator-fixed";
			regulator-name = "vcc";
		};
		i2c@1000 {
			compatible = "snps,designware-i2c";
			reg = <0x1000 0x100>;
			#address-cells = <1>;
			#size-cells = <0>;
			clocks = <&clk>;
			eeprom@50 {
				compatible = "atmel,24c02";
				reg = <0x50>;
				vcc-supply = <&vcc>;
			};
		};
	};
};
"#;
    let (m, _) = kfit_hw::read_strs(&[("board.dts", board)]).unwrap();
    let r = resolve(&m);
    let find = |addr: &str| {
        let i = m.devices.iter().position(|d| d.address == addr).unwrap();
        r.devices.iter().find(|d| d.index == i).unwrap()
    };
    let eeprom = find("0-0050");
    assert_eq!(eeprom.modules[0].module, "at24", "{eeprom:?}");
    let i2c = find("1000.i2c");
    assert_eq!(i2c.modules[0].module, "i2c_designware_platform", "{i2c:?}");
    assert_eq!(i2c.provides, ["provider of i2c bus for /soc/i2c@1000/eeprom@50"]);
    let vcc = find("soc:regulator");
    assert_eq!(
        vcc.provides,
        ["provider of vcc-supply for /soc/i2c@1000/eeprom@50"]
    );
    assert!(!vcc.modules.is_empty(), "{vcc:?}");
    let clk = find("soc:clock");
    assert_eq!(clk.provides, ["provider of clocks for /soc/i2c@1000"]);
    // fixed-clock is CLK_OF_DECLARE code: when no driver matches, the
    // report says why it is wanted anyway.
    assert!(
        !clk.modules.is_empty() || clk.notes.iter().any(|n| n.starts_with("provider of clocks")),
        "{clk:?}"
    );
    let soc = find("soc");
    for d in [eeprom, i2c, vcc, clk, soc] {
        let mods: Vec<&str> = d.modules.iter().map(|m| m.module.as_str()).collect();
        eprintln!("{}: {mods:?} {:?} {:?}", d.label, d.provides, d.notes);
    }
    assert!(
        soc.provides
            .iter()
            .any(|p| p == "provider of platform bus for /soc/i2c@1000"),
        "{soc:?}"
    );
}
