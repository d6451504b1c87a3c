//! The kernel source a package builds: ver.sh, download, sha256, unpack.

use crate::{io_err, IxError, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a package's `ver.sh` says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerSh {
    /// `6.16.11` (from the `kernel_version` block, else from the URL).
    pub version: String,
    pub url: String,
    /// Lower-case hex.
    pub sha256: String,
}

/// Parse both ver.sh formats:
/// * current: `{% block kernel_version %}6.16.11{% endblock %}`,
///   `kernel_sha`, `kernel_url` (with `{{self.kernel_version().strip()}}`);
/// * 2023: a URL line and `sha:<hex>`.
pub fn parse_ver_sh(path: &Path) -> Result<VerSh> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let bad = |msg: &str| IxError::BadVerSh {
        path: path.to_path_buf(),
        msg: msg.to_string(),
    };
    let t = crate::Template {
        path: path.to_path_buf(),
        text: text.clone(),
    };
    let (mut version, url, sha) = if t.block("kernel_url").is_some() || t.block("kernel_sha").is_some() {
        let get = |b: &str| t.block_text(b).map(|s| s.trim().to_string());
        let version = get("kernel_version").unwrap_or_default();
        let url = get("kernel_url").ok_or_else(|| bad("no kernel_url block"))?;
        let sha = get("kernel_sha").ok_or_else(|| bad("no kernel_sha block"))?;
        (version, url, sha)
    } else {
        let mut url = None;
        let mut sha = None;
        for l in text.lines().map(str::trim) {
            if let Some(s) = l.strip_prefix("sha:") {
                sha = Some(s.trim().to_string());
            } else if l.contains("://") && url.is_none() {
                url = Some(l.to_string());
            }
        }
        (
            String::new(),
            url.ok_or_else(|| bad("no URL line"))?,
            sha.ok_or_else(|| bad("no sha:<hex> line"))?,
        )
    };
    // `{{self.kernel_version().strip()}}` and friends
    let mut url = url;
    for pat in [
        "{{self.kernel_version().strip()}}",
        "{{ self.kernel_version().strip() }}",
        "{{self.kernel_version()}}",
    ] {
        url = url.replace(pat, &version);
    }
    if url.contains("{{") {
        return Err(bad(&format!("cannot expand {url}")));
    }
    if version.is_empty() {
        version = version_from_url(&url).unwrap_or_default();
    }
    let sha = sha.trim().trim_start_matches("sha:").trim().to_ascii_lowercase();
    if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(&format!("sha256 {sha:?} is not 64 hex digits")));
    }
    Ok(VerSh {
        version,
        url,
        sha256: sha,
    })
}

fn version_from_url(url: &str) -> Option<String> {
    let file = url.rsplit('/').next()?;
    let rest = file.strip_prefix("linux-")?;
    let end = rest.find(".tar")?;
    Some(rest[..end].to_string())
}

/// Lower-case hex sha256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// `<kfit cache>/src` (see [`kfit_util::cache_dir`]).
pub fn default_cache_dir() -> PathBuf {
    source_cache_dir(&kfit_util::cache_dir(None))
}

/// The downloaded sources under the cache root `root`: `root/src`.
pub fn source_cache_dir(root: &Path) -> PathBuf {
    root.join("src")
}

/// The tarball `ver` names, in `cache_dir`, downloaded if needed, its sha256
/// verified in every case.
///
/// * Cached file present: verified; a mismatch is an error (the file is left
///   alone for inspection; delete it to fetch again).
/// * Otherwise downloaded with `curl` (or `wget`) to a temporary name in
///   `cache_dir`, verified, then renamed into place. A wrong sha256 deletes
///   the temporary file: nothing is written.
///
/// `file://` URLs work (curl), which the tests use.
pub fn fetch_source(ver: &VerSh, cache_dir: &Path) -> Result<PathBuf> {
    let file = ver
        .url
        .rsplit('/')
        .next()
        .filter(|f| !f.is_empty() && *f != "." && *f != "..")
        .ok_or_else(|| IxError::Download {
            url: ver.url.clone(),
            msg: "URL has no file name".into(),
        })?;
    let dest = cache_dir.join(file);
    if dest.is_file() {
        let got = sha256_file(&dest)?;
        if got != ver.sha256 {
            return Err(IxError::ShaMismatch {
                what: format!("cached {} (delete it to fetch again)", dest.display()),
                expected: ver.sha256.clone(),
                actual: got,
            });
        }
        return Ok(dest);
    }
    // Directories made here are removed again when the fetch fails, so a
    // refused download leaves nothing in the cache.
    let mut made = Vec::new();
    let mut d = cache_dir;
    while !d.exists() {
        made.push(d.to_path_buf());
        match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => d = p,
            _ => break,
        }
    }
    std::fs::create_dir_all(cache_dir).map_err(io_err(cache_dir))?;
    let res = (|| {
        // removed on drop: every error path, and a panic
        let part = tempfile::Builder::new()
            .prefix(&format!(".{file}."))
            .suffix(".kfit-part")
            .tempfile_in(cache_dir)
            .map_err(io_err(cache_dir))?;
        // and on SIGINT/SIGTERM (a 140-200 MB download is often cut so)
        let _live = kfit_util::track_temp(part.path());
        download(&ver.url, part.path())?;
        let got = sha256_file(part.path())?;
        if got != ver.sha256 {
            return Err(IxError::ShaMismatch {
                what: ver.url.clone(),
                expected: ver.sha256.clone(),
                actual: got,
            });
        }
        part.persist(&dest).map_err(|e| IxError::Io {
            path: dest.clone(),
            err: e.error,
        })?;
        Ok(dest)
    })();
    if res.is_err() {
        for d in &made {
            let _ = std::fs::remove_dir(d);
        }
    }
    res
}

fn download(url: &str, to: &Path) -> Result<()> {
    let err = |msg: String| IxError::Download {
        url: url.to_string(),
        msg,
    };
    let tools: [(&str, Vec<std::ffi::OsString>); 2] = [
        (
            "curl",
            vec![
                "-fsSL".into(),
                "--retry".into(),
                "2".into(),
                "-o".into(),
                to.as_os_str().to_owned(),
                url.into(),
            ],
        ),
        (
            "wget",
            vec!["-q".into(), "-O".into(), to.as_os_str().to_owned(), url.into()],
        ),
    ];
    let mut last = String::from("neither curl nor wget found");
    for (tool, args) in tools {
        if tool == "wget" && url.starts_with("file://") {
            continue;
        }
        match Command::new(tool).args(&args).output() {
            Ok(o) if o.status.success() => return Ok(()),
            Ok(o) => {
                return Err(err(format!(
                    "{tool} exited with {}: {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr).trim()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => last = format!("{tool}: {e}"),
        }
    }
    Err(err(last))
}

/// Unpack a kernel tarball (kernel.org `linux-X.tar.xz` or Debian's
/// `/usr/src/linux-source-X.tar.xz`) into `dest_parent/<tarball stem>/`
/// once (a stamp file marks completion) and return the source root inside
/// (the single top-level directory). Uses `tar`.
pub fn unpack_source(tarball: &Path, dest_parent: &Path) -> Result<PathBuf> {
    let name = tarball
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| IxError::Template {
            path: tarball.to_path_buf(),
            msg: "not a file name".into(),
        })?;
    let stem = name.split(".tar").next().unwrap_or(name);
    let out = dest_parent.join(format!("{stem}.d"));
    let stamp = out.join(".kfit-unpacked");
    if !stamp.is_file() {
        let tmp = dest_parent.join(format!(".{stem}.kfit-unpack-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        let st = Command::new("tar")
            .arg("-xf")
            .arg(tarball)
            .arg("-C")
            .arg(&tmp)
            .output()
            .map_err(|e| IxError::Command {
                cmd: "tar".into(),
                msg: e.to_string(),
            })?;
        if !st.status.success() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(IxError::Command {
                cmd: format!("tar -xf {}", tarball.display()),
                msg: String::from_utf8_lossy(&st.stderr).trim().to_string(),
            });
        }
        // The stamp goes in before the rename, so `out` exists only complete:
        // a concurrent kfit that finds it stamped uses it, and one that loses
        // the rename race drops its own copy instead of deleting the winner's.
        let tmp_stamp = tmp.join(".kfit-unpacked");
        if let Err(e) = std::fs::write(&tmp_stamp, name) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(io_err(&tmp_stamp)(e));
        }
        if out.exists() && !stamp.is_file() {
            // left by a kfit before this protocol, or not ours: incomplete
            let _ = std::fs::remove_dir_all(&out);
        }
        if let Err(e) = std::fs::rename(&tmp, &out) {
            let _ = std::fs::remove_dir_all(&tmp);
            if !stamp.is_file() {
                return Err(io_err(&out)(e));
            }
        }
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(io_err(&out))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    match dirs.as_slice() {
        [one] => Ok(one.clone()),
        _ => Ok(out),
    }
}

/// Debian's `linux-source-<M.m>` tarball under `/usr/src`, if installed.
pub fn debian_source_tarball(version: &str) -> Option<PathBuf> {
    let mm: Vec<&str> = version.split('.').take(2).collect();
    let mm = mm.join(".");
    let rd = std::fs::read_dir("/usr/src").ok()?;
    let mut c: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("linux-source-{mm}.tar")))
        })
        .collect();
    c.sort();
    c.into_iter().next()
}

/// Where the kernel source for a fit comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceChoice {
    /// `--tree DIR`: an unpacked tree, used as is.
    Tree(PathBuf),
    /// A tarball (Debian's linux-source, or any local one): unpacked into
    /// the cache.
    Tarball(PathBuf),
    /// ver.sh's URL: downloaded, sha256-verified, unpacked into the cache.
    VerSh,
}

/// Resolve a [`SourceChoice`] to a source tree directory. `cache_dir`
/// defaults to [`default_cache_dir`].
pub fn source_tree(
    pkg: &crate::KernelPackage,
    choice: &SourceChoice,
    cache_dir: Option<&Path>,
) -> Result<PathBuf> {
    let cache = cache_dir.map(Path::to_path_buf).unwrap_or_else(default_cache_dir);
    match choice {
        SourceChoice::Tree(t) => {
            if t.join("Makefile").is_file() && t.join("Kconfig").is_file() {
                Ok(t.clone())
            } else {
                Err(IxError::Template {
                    path: t.clone(),
                    msg: "not a kernel source tree (no Makefile and Kconfig)".into(),
                })
            }
        }
        SourceChoice::Tarball(tb) => unpack_source(tb, &cache),
        SourceChoice::VerSh => {
            let tb = fetch_source(pkg.ver_sh()?, &cache)?;
            unpack_source(&tb, &cache)
        }
    }
}
