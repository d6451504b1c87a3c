//! IxTree::find: explicit dir, else `$(dirname $(which ix))`. Own test binary
//! because it changes PATH.

use kfit_ix::*;
use kfit_testkit::fixtures;

#[test]
fn find_explicit_then_path() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ix");
    kfit_testkit::copy_dir(&fixtures().join("ix-current"), &root);

    assert_eq!(IxTree::find(Some(&root)).unwrap().root, root);
    assert_eq!(IxTree::find(Some(&root.join("pkgs"))).unwrap().root, root);
    let e = IxTree::find(Some(tmp.path())).unwrap_err();
    assert!(e.to_string().contains("not an ix checkout"), "{e}");

    // `ix` on PATH: the checkout is its directory.
    let ix = root.join("ix");
    std::fs::write(&ix, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&ix, std::fs::Permissions::from_mode(0o755)).unwrap();
    // and through a symlink in another bin dir
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(&ix, bin.join("ix")).unwrap();

    let old = std::env::var_os("PATH");
    std::env::set_var("PATH", &root);
    assert_eq!(IxTree::find(None).unwrap().root, root);
    assert_eq!(which_ix().unwrap(), ix);
    std::env::set_var("PATH", &bin);
    let found = IxTree::find(None).unwrap().root;
    assert_eq!(
        std::fs::canonicalize(found).unwrap(),
        std::fs::canonicalize(&root).unwrap()
    );
    // --apply runs the command with the ix on PATH
    let p = IxTree::find(None).unwrap().kernel_package("6.16").unwrap();
    apply(&mut_command(&p, None)).unwrap();
    std::env::set_var("PATH", tmp.path().join("empty"));
    assert!(matches!(IxTree::find(None), Err(IxError::NotFound(_))));
    assert!(matches!(apply(&mut_command(&p, None)), Err(IxError::IxNotOnPath)));
    match old {
        Some(o) => std::env::set_var("PATH", o),
        None => std::env::remove_var("PATH"),
    }
}
