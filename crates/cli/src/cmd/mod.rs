//! One module per subcommand group; each owns its clap args and printing.
pub mod fit;
pub mod hw;
pub mod index;
pub mod kconfig;
pub mod migrate;

use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// Write `data` to `path` atomically: a temp file in the same directory,
/// synced, then renamed over `path`. With `backup`, an existing `path` is
/// first copied to `path.old` (as conf keeps `.config.old`); the original
/// stays in place until the rename, so no failure leaves `path` missing or
/// half-written. Nothing is written when the content is unchanged.
pub(crate) fn write_atomic(path: &Path, data: &str, backup: bool) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == data.as_bytes()) {
        return Ok(());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> anyhow::Result<()> {
        let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(data.as_bytes())
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("syncing {}", tmp.display()))?;
        if backup && path.exists() {
            let old = dir.join(format!("{name}.old"));
            std::fs::copy(path, &old).with_context(|| format!("backing up to {}", old.display()))?;
        }
        std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
