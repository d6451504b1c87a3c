//! Device trees as listings on a small synthetic board: which nodes are
//! devices on which bus, their names and modaliases, and the suppliers
//! (bus controller, clock, regulator, pinctrl, interrupt providers) a
//! device needs before its driver probes.

use kfit_hw::{Bus, Device, Format, Machine};

const BOARD: &str = r#"/dts-v1/;

/ {
	#address-cells = <1>;
	#size-cells = <1>;
	compatible = "vendor,board";

	aliases {
		i2c1 = "/soc/i2c@1000";
	};

	soc {
		compatible = "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;

		clk: clock-controller@2000 {
			compatible = "vendor,cru";
			reg = <0x2000 0x100>;
			#clock-cells = <1>;
		};

		intc: interrupt-controller@3000 {
			compatible = "arm,gic-400";
			reg = <0x3000 0x1000>;
			interrupt-controller;
			#interrupt-cells = <3>;
		};

		pinctrl {
			compatible = "vendor,pinctrl";

			i2c1_pins: i2c1-pins {
				pins = "a", "b";
			};
		};

		i2c@1000 {
			compatible = "vendor,i2c";
			reg = <0x1000 0x100>;
			#address-cells = <1>;
			#size-cells = <0>;
			clocks = <&clk 5>, <&clk 6>;
			interrupt-parent = <&intc>;
			interrupts = <0 10 4>;
			pinctrl-0 = <&i2c1_pins>;
			pinctrl-names = "default";

			pmic@1a {
				compatible = "vendor,pmic";
				reg = <0x1a>;

				regulators {
					vdd: buck1 {
						regulator-name = "vdd";
					};
				};
			};

			codec@1b {
				compatible = "vendor,codec", "vendor,codec v2";
				reg = <0x1b>;
				vdd-supply = <&vdd>;
				clocks = <&clk 7>;
			};
		};

		spi@4000 {
			compatible = "vendor,spi";
			reg = <0x4000 0x100>;
			#address-cells = <1>;
			#size-cells = <0>;

			flash@0 {
				compatible = "jedec,spi-nor";
				reg = <0>;
			};
		};

		off@5000 {
			compatible = "vendor,off";
			reg = <0x5000 0x10>;
			status = "disabled";
		};
	};
};
"#;

fn suppliers(d: &Device) -> Vec<String> {
    d.suppliers
        .iter()
        .map(|s| format!("{} {}", s.prop, s.node))
        .collect()
}

fn board() -> Machine {
    assert_eq!(
        kfit_hw::detect(BOARD, "board.dts").unwrap(),
        Some(Format::DeviceTree)
    );
    let (m, w) = kfit_hw::read_strs(&[("board.dts", BOARD)]).unwrap();
    assert!(w.is_empty(), "{w:?}");
    m
}

#[test]
fn nodes_become_devices_on_their_bus() {
    let m = board();
    let got: Vec<String> = m
        .devices
        .iter()
        .map(|d| format!("{} {} {}", d.bus, d.address, d.modalias.as_deref().unwrap_or("-")))
        .collect();
    assert_eq!(
        got,
        [
            "platform soc of:NsocT(null)Csimple-bus",
            "platform 2000.clock-controller of:Nclock-controllerT(null)Cvendor,cru",
            "platform 3000.interrupt-controller of:Ninterrupt-controllerT(null)Carm,gic-400",
            "platform soc:pinctrl of:NpinctrlT(null)Cvendor,pinctrl",
            "platform 1000.i2c of:Ni2cT(null)Cvendor,i2c",
            "platform 4000.spi of:NspiT(null)Cvendor,spi",
            // i2c: <adapter from /aliases>-<address>; spi without an alias: the node.
            "i2c 1-001a of:NpmicT(null)Cvendor,pmic",
            "i2c 1-001b of:NcodecT(null)Cvendor,codecCvendor,codec_v2",
            "spi /soc/spi@4000/flash@0 of:NflashT(null)Cjedec,spi-nor",
        ]
    );
    let codec = m.find(&Bus::I2c, "1-001b").unwrap();
    assert_eq!(codec.parent.as_deref(), Some("1000.i2c"));
    assert_eq!(
        m.ancestors(codec)
            .iter()
            .map(|d| d.address.as_str())
            .collect::<Vec<_>>(),
        ["1000.i2c", "soc"]
    );
}

#[test]
fn suppliers_from_phandles_and_the_bus() {
    let m = board();
    let get = |bus: Bus, a: &str| suppliers(m.find(&bus, a).unwrap());
    assert_eq!(
        get(Bus::Platform, "1000.i2c"),
        [
            "clocks /soc/clock-controller@2000",
            "interrupts /soc/interrupt-controller@3000",
            // The pin configuration node's device: the pin controller.
            "pinctrl-0 /soc/pinctrl",
            "platform bus /soc",
        ]
    );
    // The regulator is a node below the PMIC, which is the device.
    assert_eq!(
        get(Bus::I2c, "1-001b"),
        [
            "clocks /soc/clock-controller@2000",
            "i2c bus /soc/i2c@1000",
            "vdd-supply /soc/i2c@1000/pmic@1a",
        ]
    );
    assert_eq!(get(Bus::I2c, "1-001a"), ["i2c bus /soc/i2c@1000"]);
}

#[test]
fn source_errors_name_the_line() {
    let bad = BOARD.replace("interrupts = <0 10 4>;", "interrupts = <GIC_SPI 10 4>;");
    let e = kfit_hw::read_strs(&[("board.dts", &bad)])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("board.dts:46:"), "{e}");
    assert!(e.contains("GIC_SPI"), "{e}");
    let e = kfit_hw::read_dtb(b"\xd0\x0d\xfe\xed", "x.dtb")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "x.dtb: not a valid device tree blob: offset 0x0: 4 bytes: too short for an FDT header"
    );
}
