//! #13/#21: scripts/localyesconfig-compare.sh, run as documented on the
//! cached Debian 6.12 tree: for the q35 machine's module list and the seed
//! laptop's lsmod, kfit covers every module `make localyesconfig` covers on
//! the same tree and lsmod, and the benchmark line prints (device drivers
//! built in, `=y` count, config size, time: kfit --trim on Debian's config
//! without modules beside localyesconfig on Debian's config).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn kfit_covers_what_localyesconfig_covers() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("scripts/localyesconfig-compare.sh"))
        .env("KFIT", env!("CARGO_BIN_EXE_kfit"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the script failed");
    let covers = text
        .lines()
        .filter(|l| *l == "kfit covers everything localyesconfig covers")
        .count();
    assert_eq!(covers, 2, "q35 and seed: {text}");
    let bench: Vec<&str> = text.lines().filter(|l| l.starts_with("bench ")).collect();
    assert_eq!(bench.len(), 2, "{text}");
    for b in bench {
        assert!(b.contains("| kfit --trim "), "{b}");
    }
}
