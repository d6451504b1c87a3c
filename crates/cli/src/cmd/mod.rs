//! One module per subcommand group; each owns its clap args and printing.
pub mod fit;
pub mod hw;
pub mod index;
pub mod kconfig;
pub mod migrate;
pub mod profiles;

use std::path::Path;

/// Write `data` to `path` through kfit's one write path (`kfit_util`): a
/// temp file in the same directory, synced, renamed over `path`, keeping
/// its mode and owner; a symlink is followed only inside `path`'s
/// directory, and anything but a regular file is refused. With `backup`, an
/// existing `path` is kept as `path.old` (as conf keeps `.config.old`),
/// written the same safe way before `path` is replaced. Nothing is written
/// when the content is unchanged.
pub(crate) fn write_atomic(path: &Path, data: &str, backup: bool) -> anyhow::Result<()> {
    let backup = backup.then(|| {
        let mut s = path.as_os_str().to_owned();
        s.push(".old");
        std::path::PathBuf::from(s)
    });
    kfit_util::write_atomic(
        path,
        data.as_bytes(),
        &kfit_util::WriteOptions {
            backup,
            ..Default::default()
        },
    )?;
    Ok(())
}
