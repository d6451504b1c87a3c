//! Garbage templates and ver.sh files give errors, never panics.

use kfit_ix::*;
use proptest::prelude::*;

fn jinja_like() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{% block firmware %}",
        "{% block kernel_flags %}",
        "{% endblock %}",
        "{% include 'cfg' %}",
        "{% include '//bin/kernel/configs/cfg_x' %}",
        "{% extends '//bin/kernel/t/1/ix.sh' %}",
        "{% extends 'ix.sh' %}",
        "{% include 'ver.sh' %}",
        "{{self.kernel_version().strip()}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "{{",
        "}}",
        "{",
        "\n",
        "sha:",
        "https://x/linux-6.1.tar.xz",
        "{% block kernel_sha %}",
        "{% block kernel_url %}",
        "é",
        "'",
        "0123456789abcdef",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn garbage_packages_never_panic(ix_sh in jinja_like(), t1 in jinja_like(), ver in jinja_like()) {
        let tmp = tempfile::tempdir().unwrap();
        let k = tmp.path().join("pkgs/bin/kernel");
        std::fs::create_dir_all(k.join("6/16")).unwrap();
        std::fs::create_dir_all(k.join("t/1")).unwrap();
        std::fs::create_dir_all(k.join("configs")).unwrap();
        std::fs::write(k.join("6/16/ix.sh"), &ix_sh).unwrap();
        std::fs::write(k.join("6/16/ver.sh"), &ver).unwrap();
        std::fs::write(k.join("t/1/ix.sh"), &t1).unwrap();
        let ix = IxTree::at(tmp.path()).unwrap();
        if let Ok(p) = ix.kernel_package("6.16") {
            let _ = write_package(&p, "CONFIG_X=y\n", &["a.bin".into()], &WriteOptions {
                dry_run: true, ..WriteOptions::default()
            });
            let _ = p.config_path(Some("x"));
        }
        let _ = parse_ver_sh(&k.join("6/16/ver.sh"));
    }
}
