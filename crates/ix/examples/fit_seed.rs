//! The library calls behind `kfit fit --ix DIR --kernel M.m` for the seed
//! machine's firmware-loading devices, as a reference for the CLI wiring.
//!
//!   cargo run -p kfit-ix --example fit_seed -- IX_DIR 6.16 TREE [FW_DIR] [NEW_NAME]
//!
//! It writes into IX_DIR (use a copy of ../shared/fixtures/ix-current). The
//! config written is the package's base config with CONFIG_EXTRA_FIRMWARE
//! set (the real fit comes from the solver).

use kfit_firmware::{
    all_names, check_dir, extra_firmware_line, firmware_for_machine, format_size, scan_module_firmware,
    BoundDevice, DeviceIds,
};
use kfit_ix::{command_line, menuconfig_script, mut_command, write_package, IxTree, WriteOptions};
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 3 {
        eprintln!("usage: fit_seed IX_DIR VERSION TREE [FW_DIR] [NEW_NAME]");
        std::process::exit(2);
    }
    let ix = IxTree::find(Some(Path::new(&a[0])))?;
    let pkg = ix.kernel_package(&a[1])?;
    let tree = PathBuf::from(&a[2]);
    let fw_dir = a.get(3).filter(|s| !s.is_empty()).map(PathBuf::from);
    let new_name = a.get(4).map(String::as_str);
    println!(
        "package {} ({:?}), config {}",
        pkg.pkg_path,
        pkg.layout,
        pkg.config.display()
    );

    // Devices of the seed listing that load firmware, with their modules.
    let devices = vec![
        BoundDevice {
            module: "amdgpu".into(),
            ids: DeviceIds::pci(0x1002, 0x1638),
        },
        BoundDevice {
            module: "iwlwifi".into(),
            ids: DeviceIds::pci(0x8086, 0x2723),
        },
    ];
    // Stand-in for the kernel index's module → MODULE_FIRMWARE names.
    let mf = |m: &str| -> Vec<String> {
        match m {
            "amdgpu" => scan_module_firmware(&tree, &["drivers/gpu/drm/amd"]),
            "iwlwifi" => scan_module_firmware(&tree, &["drivers/net/wireless/intel/iwlwifi"]),
            _ => Vec::new(),
        }
    };
    let sets = firmware_for_machine(&tree, &devices, &["cfg80211"], &mf);
    for s in &sets {
        println!("{} {}: {}", s.module, s.device.label(), s.narrowed_by);
    }
    let names = match &fw_dir {
        Some(d) => {
            let r = check_dir(&sets, d)?;
            println!("firmware: {} files, {}", r.present.len(), format_size(r.total));
            for m in &r.missing {
                println!(
                    "missing for {} {}: {} (tried {:?})",
                    m.module, m.device, m.name, m.tried
                );
            }
            r.names()
        }
        None => all_names(&sets),
    };

    let base = std::fs::read_to_string(pkg.base_config_path(new_name)?)?;
    let line = extra_firmware_line(&names);
    let cfg: String = base
        .lines()
        .map(|l| {
            if l.starts_with("CONFIG_EXTRA_FIRMWARE=") {
                line.as_str()
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let opts = WriteOptions {
        new_name: new_name.map(str::to_string),
        backup: true,
        dry_run: false,
    };
    let rep = write_package(&pkg, &cfg, &names, &opts)?;
    print!("{}", rep.diff);
    for n in &rep.notes {
        println!("note: {n}");
    }
    for b in &rep.backups {
        println!("backup: {}", b.display());
    }
    if rep.is_unchanged() {
        println!("nothing changed");
    }
    println!("{}", command_line(&mut_command(&pkg, new_name)));
    print!("{}", menuconfig_script(&pkg, new_name, &tree)?);
    Ok(())
}
