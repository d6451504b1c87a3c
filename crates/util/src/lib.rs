//! kfit-util: the one write path for every file kfit writes, the one
//! cache-directory policy, the one stable hash and the one glob matcher.
//!
//! # Writing ([`write_atomic`], [`Transaction`])
//! * The target is checked before anything is written: a symlink is followed
//!   only when it stays inside the target's *root* (the directory the caller
//!   names: the ix checkout, or the output file's own directory); anything
//!   but a regular file (a device, a FIFO, a directory) is refused with an
//!   error naming it.
//! * Data goes to a uniquely named temp file in the target's directory
//!   (`tempfile`), is fsynced, gets the replaced file's mode and owner, and
//!   is renamed over the target; the directory is fsynced. A reader sees the
//!   old or the new file, never a mix. The temp file is removed on every
//!   error path.
//! * A backup of the replaced content is written the same way to its own
//!   path; a failed backup write leaves the previous backup intact and
//!   aborts before the target is touched. The previous backup is staged
//!   first, so when the final rename over the target fails, one rename puts
//!   it back (or the new backup is removed when there was none): target and
//!   backup are both as they were.
//! * A file whose content is already the new content is not touched.
//! * Temp files (and a download's part file, [`track_temp`]) are removed on
//!   SIGINT, SIGTERM and SIGHUP too, once the program has called
//!   [`clean_temps_on_signals`]; the signal then ends the process as it
//!   would have (the shell's 130, 143). A SIGKILL cannot be caught: the
//!   next write of the same file removes the temp files no live process
//!   holds (each is `flock`ed by its writer), and an ix write's next run
//!   also finishes or undoes the set ([`Transaction::recover`]).
//! * [`Transaction`] applies several files (an ix package's config and
//!   firmware list) so that a kill at any point leaves the old set or,
//!   after [`Transaction::recover`] (run by the next write), the new set:
//!   every new content is staged and synced first, then a journal naming the
//!   staged files is committed (the commit point), then the renames run,
//!   then the journal goes. Recovery rolls a committed journal forward and
//!   removes staged files of an uncommitted one.
//!
//! # Caches ([`cache_dir`], [`prune`], [`write_cache`], [`read_cache`], [`stable_hash`], [`checksum`])
//! `--cache-dir` if given, else `$KFIT_CACHE`, else `$XDG_CACHE_HOME/kfit`,
//! else `~/.cache/kfit`. [`stable_hash`] is the one hash of everything
//! persisted (cache names and keys, checksums); in-memory maps use
//! `rustc_hash`.
//!
//! # Globs ([`glob`])
//! The one glob matcher: `fnmatch(3)` (modalias patterns, as kmod) and
//! glob(3) over a directory tree (Kconfig `source` wildcards).

pub mod buildid;
pub mod glob;
mod hash;

pub use hash::{checksum, stable_hash, stable_hash_parts};

use std::io::Write;
use std::path::{Path, PathBuf};

/// A write that was refused or failed; the message names the path once.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {msg}")]
    Io { path: PathBuf, msg: String },
    #[error("{path}: refusing to write through a symlink that leads out of {root} (to {target})")]
    SymlinkOut {
        path: PathBuf,
        root: PathBuf,
        target: PathBuf,
    },
    #[error("{path}: is {kind}, not a regular file; kfit replaces only regular files")]
    NotRegular { path: PathBuf, kind: &'static str },
}

pub type Result<T> = std::result::Result<T, WriteError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |e| WriteError::Io {
        path: path.to_path_buf(),
        msg: os_msg(&e),
    }
}

/// An OS error as one phrase ("Permission denied (os error 13)").
pub fn os_msg(e: &std::io::Error) -> String {
    e.to_string()
}

// ---------------------------------------------------------------- caches

/// The cache directory: `explicit` (`--cache-dir`), else `$KFIT_CACHE`,
/// else `$XDG_CACHE_HOME/kfit`, else `$HOME/.cache/kfit`, else
/// `./.kfit-cache`. Empty values count as unset.
pub fn cache_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(d) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return d.to_path_buf();
    }
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = var("KFIT_CACHE") {
        return d;
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return d.join("kfit");
    }
    if let Some(h) = var("HOME") {
        return h.join(".cache/kfit");
    }
    PathBuf::from(".kfit-cache")
}

/// Keep the `keep` most recently modified entries of `dir` that `select`
/// accepts and remove the others (files, or directories with their
/// content). Returns how many were removed. A missing `dir` is empty.
pub fn prune(dir: &Path, keep: usize, select: impl Fn(&Path) -> bool) -> Result<usize> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut entries: Vec<(std::time::SystemTime, PathBuf, bool)> = rd
        .flatten()
        .filter(|e| select(&e.path()))
        .filter_map(|e| {
            let md = e.path().symlink_metadata().ok()?;
            Some((md.modified().ok()?, e.path(), md.is_dir()))
        })
        .collect();
    entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut removed = 0;
    for (_, p, is_dir) in entries.into_iter().skip(keep) {
        let r = if is_dir {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.map_err(io(&p))?;
        removed += 1;
    }
    Ok(removed)
}

/// Write a cache file: to a temp file in its directory (created if
/// missing), synced, then renamed over `path`, so a reader sees the old
/// or the new file, never a part. Unlike [`write_atomic`] it neither reads
/// back nor checks the old file: a cache is kfit's own, in kfit's own
/// directory. The temp file is removed on every error path.
pub fn write_cache(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    let _live = track_temp(tmp.path());
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A cache file's bytes, mapped read-only ([`read_cache`]).
pub struct CacheBytes(memmap2::Mmap);

impl std::ops::Deref for CacheBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Read a cache file in place: its bytes mapped read-only from the page
/// cache, so a reader decodes straight from them and touches only the
/// parts it uses (no copy into fresh, zeroed memory). Every cache file is
/// replaced by a rename ([`write_cache`]) and never rewritten in place, so
/// the mapped bytes do not change while they are read; a cache's own
/// checksum or validation still decides whether they are trusted.
pub fn read_cache(path: &Path) -> std::io::Result<CacheBytes> {
    let f = std::fs::File::open(path)?;
    // SAFETY: the file is a cache kfit replaces only by rename (the mapped
    // inode keeps its content); the mapping is read-only and private to
    // this value, which unmaps it on drop.
    let m = unsafe { memmap2::MmapOptions::new().map(&f)? };
    Ok(CacheBytes(m))
}

// ---------------------------------------------------------------- signals

/// Paths of the temp files alive now, for the signal handler: slots hold
/// NUL-terminated strings that are never freed (the handler may be reading
/// one when its file is done; a few bytes per write).
static LIVE: [std::sync::atomic::AtomicPtr<libc::c_char>; 64] =
    [const { std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()) }; 64];

/// A temp file the signal handler removes while this lives (see
/// [`track_temp`]).
#[derive(Debug)]
pub struct LiveTemp(Option<usize>);

/// Have `path` removed if SIGINT, SIGTERM or SIGHUP arrives while the
/// returned guard lives (after [`clean_temps_on_signals`]). Drop the guard
/// once the file is renamed or removed.
pub fn track_temp(path: &Path) -> LiveTemp {
    use std::os::unix::ffi::OsStrExt;
    use std::sync::atomic::Ordering;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return LiveTemp(None);
    };
    let p = c.into_raw();
    for (i, slot) in LIVE.iter().enumerate() {
        if slot
            .compare_exchange(std::ptr::null_mut(), p, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return LiveTemp(Some(i));
        }
    }
    // More live temp files than slots: this one is not tracked.
    // SAFETY: `p` came from `CString::into_raw` above and was never shared.
    drop(unsafe { std::ffi::CString::from_raw(p) });
    LiveTemp(None)
}

impl Drop for LiveTemp {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            // the string stays allocated: the handler may be reading it
            LIVE[i].store(std::ptr::null_mut(), std::sync::atomic::Ordering::SeqCst);
        }
    }
}

extern "C" fn remove_temps_and_die(sig: libc::c_int) {
    // Only async-signal-safe calls: unlink, signal, raise.
    for slot in &LIVE {
        let p = slot.load(std::sync::atomic::Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: a NUL-terminated string that is never freed.
            unsafe { libc::unlink(p) };
        }
    }
    // SAFETY: back to the default action, then the same signal: the
    // process ends as the signal would have ended it.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Remove the live temp files ([`track_temp`]; every file the write path
/// stages) when SIGINT, SIGTERM or SIGHUP ends the process. A signal the
/// process was started with ignored (`nohup`) stays ignored.
pub fn clean_temps_on_signals() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that makes only async-signal-safe calls.
        unsafe {
            let handler = remove_temps_and_die as extern "C" fn(libc::c_int) as libc::sighandler_t;
            if libc::signal(sig, handler) == libc::SIG_IGN {
                libc::signal(sig, libc::SIG_IGN);
            }
        }
    }
}

// ---------------------------------------------------------------- stamps

/// Size and mtime (ns since the epoch) of a file, following symlinks, or
/// `None` if it cannot be stat'ed: what every cache records of each file it
/// was built from and compares on load.
pub fn stamp(path: &Path) -> Option<(u64, u64)> {
    let md = std::fs::metadata(path).ok()?;
    let mtime = md.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((md.len(), mtime.as_nanos() as u64))
}

/// [`stamp`] of many paths below one tree: each is stat'ed relative to the
/// tree's open directory, and a directory that holds the next path too is
/// opened (`O_PATH`) and its entries stat'ed relative to it, so the kernel
/// walks one path component per file instead of the tree's whole path.
/// 47k files of a 6.12 tree (sorted, ~15 per directory): ~40 ms of system
/// time instead of ~170 ms with full paths, measured with the same calls in
/// C on a loaded 2-core machine; Kconfig files (one per directory) cost one
/// call each. Same answers as [`stamp`] of `tree.join(rel)`.
pub struct Stamper {
    tree: Option<std::os::fd::OwnedFd>,
    /// The directory (tree-relative) of the previous path, and its
    /// descriptor once a second path in it came.
    dir: String,
    fd: Option<std::os::fd::OwnedFd>,
}

/// `open(at, path, O_PATH | O_DIRECTORY)`.
fn open_dir(at: libc::c_int, path: &std::ffi::CStr) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: a NUL-terminated path; the descriptor returned is owned by
    // the OwnedFd (closed on drop) and by nobody else.
    let fd = unsafe {
        libc::openat(
            at,
            path.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// [`stamp`] of `name` relative to the directory `at`.
fn stamp_at(at: &std::os::fd::OwnedFd, name: &str) -> Option<(u64, u64)> {
    use std::os::fd::AsRawFd;
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: `st` is written by fstatat before it is read; the name is
    // NUL-terminated; the descriptor is open.
    let st = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstatat(at.as_raw_fd(), name.as_ptr(), &mut st, 0) != 0 {
            return None;
        }
        st
    };
    // As std's `modified()` before the epoch: no stamp.
    let secs = u64::try_from(st.st_mtime).ok()?;
    let nanos = u64::try_from(st.st_mtime_nsec).ok()?;
    Some((st.st_size as u64, secs * 1_000_000_000 + nanos))
}

impl Stamper {
    pub fn new(tree: &Path) -> Stamper {
        use std::os::unix::ffi::OsStrExt;
        let tree = std::ffi::CString::new(tree.as_os_str().as_bytes())
            .ok()
            .and_then(|t| open_dir(libc::AT_FDCWD, &t));
        Stamper {
            tree,
            dir: String::new(),
            fd: None,
        }
    }

    /// [`stamp`] of `tree/rel` (`rel` relative, `""` the tree itself).
    pub fn stamp(&mut self, rel: &str) -> Option<(u64, u64)> {
        let tree = self.tree.as_ref()?;
        let Some((dir, name)) = rel.rsplit_once('/') else {
            return stamp_at(tree, if rel.is_empty() { "." } else { rel });
        };
        if dir != self.dir {
            self.dir = dir.to_string();
            self.fd = None;
            return stamp_at(tree, rel);
        }
        if self.fd.is_none() {
            self.fd = open_dir(
                std::os::fd::AsRawFd::as_raw_fd(tree),
                &std::ffi::CString::new(dir).ok()?,
            );
        }
        match &self.fd {
            Some(fd) => stamp_at(fd, name),
            None => stamp_at(tree, rel),
        }
    }
}

// ---------------------------------------------------------------- targets

/// What [`check_target`] found.
#[derive(Debug, Clone)]
pub struct Target {
    /// The file that will be replaced (the symlink's target when `path` is
    /// a symlink inside the root).
    pub path: PathBuf,
    /// Its current content, `None` when it does not exist.
    pub old: Option<Vec<u8>>,
    /// Its mode and owner, when it exists.
    pub meta: Option<Meta>,
}

/// Permission bits and owner of a replaced file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The largest file [`check_target`] reads back to compare (a config or a
/// firmware list is far smaller; anything bigger is not ours).
pub const MAX_TARGET_SIZE: u64 = 64 << 20;

/// Check `path` before replacing it: follow a symlink only when it resolves
/// inside `root` (default: `path`'s own directory), refuse anything but a
/// regular file, read its content (bounded) and metadata.
pub fn check_target(path: &Path, root: Option<&Path>) -> Result<Target> {
    use std::os::unix::fs::MetadataExt;
    let parent = parent_of(path);
    let root = root.unwrap_or(parent);
    let lmd = match std::fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(path)(e)),
    };
    let mut real = path.to_path_buf();
    if let Some(m) = &lmd {
        if m.file_type().is_symlink() {
            let root_c = std::fs::canonicalize(root).map_err(io(root))?;
            // a dangling link resolves through its parent directory
            let target = match std::fs::canonicalize(path) {
                Ok(t) => t,
                Err(_) => {
                    let l = std::fs::read_link(path).map_err(io(path))?;
                    let joined = parent.join(l);
                    let pc = joined
                        .parent()
                        .and_then(|p| std::fs::canonicalize(p).ok())
                        .unwrap_or_default();
                    pc.join(joined.file_name().unwrap_or_default())
                }
            };
            if !target.starts_with(&root_c) {
                return Err(WriteError::SymlinkOut {
                    path: path.to_path_buf(),
                    root: root.to_path_buf(),
                    target,
                });
            }
            real = target;
        }
    }
    let md = match std::fs::symlink_metadata(&real) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&real)(e)),
    };
    let Some(md) = md else {
        return Ok(Target {
            path: real,
            old: None,
            meta: None,
        });
    };
    if !md.file_type().is_file() {
        return Err(WriteError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&md.file_type()),
        });
    }
    if md.len() > MAX_TARGET_SIZE {
        return Err(WriteError::Io {
            path: path.to_path_buf(),
            msg: format!(
                "is {} bytes, larger than any file kfit writes; not replaced",
                md.len()
            ),
        });
    }
    let old = std::fs::read(&real).map_err(io(&real))?;
    Ok(Target {
        path: real,
        old: Some(old),
        meta: Some(Meta {
            mode: md.mode() & 0o7777,
            uid: md.uid(),
            gid: md.gid(),
        }),
    })
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The process umask (from /proc/self/status; 022 where unreadable).
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Write `data` into a new temp file next to `path`, with `meta`'s mode and
/// owner (or 0666 & ~umask for a new file), fsynced. The temp file is
/// removed when the returned value is dropped without being persisted.
fn stage(path: &Path, data: &[u8], meta: Option<Meta>) -> Result<Staged> {
    use std::os::unix::fs::PermissionsExt;
    let dir = parent_of(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".kfit-tmp")
        .tempfile_in(dir)
        .map_err(io(path))?;
    let live = track_temp(tmp.path());
    // held while the file exists: see remove_stale_temps
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock(2) on the temp file's own descriptor.
        unsafe { libc::flock(tmp.as_file().as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    }
    let tp = tmp.path().to_path_buf();
    let mode = meta.map_or(0o666 & !umask(), |m| m.mode);
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io(&tp))?;
    if let Some(m) = meta {
        // Keep the owner; only root may give a file away, and a failure
        // there is not worth losing the write for when it is ours already.
        if let Err(e) = std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid), Some(m.gid)) {
            use std::os::unix::fs::MetadataExt;
            let mine = tmp.as_file().metadata().map_err(io(&tp))?;
            if mine.uid() != m.uid || mine.gid() != m.gid {
                return Err(WriteError::Io {
                    path: path.to_path_buf(),
                    msg: format!("cannot keep owner {}:{}: {}", m.uid, m.gid, os_msg(&e)),
                });
            }
        }
        // chown clears setuid/setgid bits: set the mode again.
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(io(&tp))?;
    }
    // Through the plain File: its errors are the OS's, named once, and
    // for the file being written (not the temp name).
    tmp.as_file_mut().write_all(data).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    Ok(Staged { tmp, _live: live })
}

/// A staged temp file: removed when dropped (and on a signal) until
/// [`persist`]ed.
struct Staged {
    tmp: tempfile::NamedTempFile,
    // dropped after `tmp` (field order): tracked while the file exists
    _live: LiveTemp,
}

fn sync_dir(dir: &Path) {
    // Durability of the rename; not fatal where directories cannot be opened.
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

fn persist(staged: Staged, to: &Path) -> Result<()> {
    staged.tmp.persist(to).map_err(|e| WriteError::Io {
        path: to.to_path_buf(),
        msg: os_msg(&e.error),
    })?;
    sync_dir(parent_of(to));
    Ok(())
}

/// Options of [`write_atomic`].
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Symlinks may be followed only inside this directory (default: the
    /// target's own directory).
    pub root: Option<PathBuf>,
    /// Keep the replaced content at this path (written the same safe way,
    /// with the same symlink rule relative to its own directory).
    pub backup: Option<PathBuf>,
}

/// What [`write_atomic`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// False when the file already had this content (nothing touched).
    pub changed: bool,
    /// False when the file did not exist before.
    pub existed: bool,
    /// The backup written, if any.
    pub backup: Option<PathBuf>,
}

/// Replace `path` with `data` safely (see the crate docs).
pub fn write_atomic(path: &Path, data: &[u8], opts: &WriteOptions) -> Result<Written> {
    let t = check_target(path, opts.root.as_deref())?;
    if t.old.as_deref() == Some(data) {
        return Ok(Written {
            changed: false,
            existed: true,
            backup: None,
        });
    }
    // temp files a killed run left next to the target go first
    remove_stale_temps(&t.path);
    debug_step(&format!("stage {}", t.path.display()));
    let tmp = stage(&t.path, data, t.meta)?;
    let mut backup = None;
    if let (Some(b), Some(old)) = (&opts.backup, &t.old) {
        let bt = check_target(b, None)?;
        remove_stale_temps(&bt.path);
        // The previous backup, staged before it is replaced: if the final
        // rename fails, putting it back is one rename (no space needed).
        let prev = match (&bt.old, bt.meta) {
            (Some(p), meta) => {
                debug_step(&format!("stage previous {}", bt.path.display()));
                Some(stage(&bt.path, p, meta)?)
            }
            (None, _) => None,
        };
        debug_step(&format!("stage {}", bt.path.display()));
        let btmp = stage(&bt.path, old, t.meta)?;
        debug_step(&format!("rename {}", bt.path.display()));
        persist(btmp, &bt.path)?;
        backup = Some((b.clone(), bt.path, prev));
    }
    debug_step(&format!("rename {}", t.path.display()));
    if let Err(e) = persist(tmp, &t.path) {
        // The target is unchanged: so is its backup.
        return Err(match backup {
            Some((_, bpath, prev)) => restore_backup(e, &bpath, prev),
            None => e,
        });
    }
    Ok(Written {
        changed: true,
        existed: t.old.is_some(),
        backup: backup.map(|(b, _, _)| b),
    })
}

/// [`write_atomic`] of a config or other text; with `keep_old`, the file
/// that was there is kept as `path.old` (as conf keeps `.config.old`).
/// Nothing is written when the content is unchanged.
pub fn write_text(path: &Path, text: &str, keep_old: bool) -> Result<Written> {
    let backup = keep_old.then(|| {
        let mut s = path.as_os_str().to_owned();
        s.push(".old");
        PathBuf::from(s)
    });
    write_atomic(
        path,
        text.as_bytes(),
        &WriteOptions {
            backup,
            ..Default::default()
        },
    )
}

/// After the final rename of [`write_atomic`] failed (`e`): put the
/// previous backup back at `bpath` (`prev`, staged beforehand), or remove
/// the backup just written when there was none. The error says what was
/// kept, and what could not be restored.
fn restore_backup(e: WriteError, bpath: &Path, prev: Option<Staged>) -> WriteError {
    let undone = match prev {
        Some(p) => persist(p, bpath).map_err(|e| e.to_string()),
        None => std::fs::remove_file(bpath)
            .map(|()| sync_dir(parent_of(bpath)))
            .map_err(|e| format!("{}: {}", bpath.display(), os_msg(&e))),
    };
    match e {
        WriteError::Io { path, msg } => {
            let msg = match undone {
                Ok(()) => format!(
                    "{msg}; not replaced, and its backup {} is as it was",
                    bpath.display()
                ),
                Err(u) => format!("{msg}; not replaced, but its backup could not be restored: {u}"),
            };
            WriteError::Io { path, msg }
        }
        other => other,
    }
}

// ---------------------------------------------------------------- transactions

/// Test hook: with `KFIT_DEBUG_KILL_AT=N`, the process sends itself a
/// signal at the N-th write step (counting from 1) of [`write_atomic`] or a
/// [`Transaction`], so tests can check that a kill at every point leaves a
/// consistent set (that a rerun repairs) and no temp file where one can be
/// removed. The signal is SIGKILL, or `KFIT_DEBUG_SIGNAL` (`TERM`, `INT`,
/// `HUP`). Steps are also printed to stderr with `KFIT_DEBUG_KILL_AT=0`.
fn debug_step(what: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static STEP: AtomicUsize = AtomicUsize::new(0);
    let Some(at) = std::env::var("KFIT_DEBUG_KILL_AT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return;
    };
    let n = STEP.fetch_add(1, Ordering::SeqCst) + 1;
    eprintln!("kfit-debug: write step {n}: {what}");
    if n == at {
        let sig = match std::env::var("KFIT_DEBUG_SIGNAL").as_deref() {
            Ok("TERM") => libc::SIGTERM,
            Ok("INT") => libc::SIGINT,
            Ok("HUP") => libc::SIGHUP,
            _ => libc::SIGKILL,
        };
        // SAFETY: kill(2) on this process with a valid signal number.
        unsafe { libc::kill(libc::getpid(), sig) };
        // the signal ends the process; never go on past the step
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

const JOURNAL_MAGIC: &str = "kfit-journal 1";
const STAGED_SUFFIX: &str = ".kfit-staged";

/// A set of files replaced together (see the crate docs). Paths are given
/// relative to nothing in particular; the journal lives at `journal` (a
/// file inside the tree being changed, e.g. `pkgs/bin/kernel/.kfit-journal`)
/// and symlinks are followed only inside `root`.
#[derive(Debug)]
pub struct Transaction {
    root: PathBuf,
    journal: PathBuf,
    files: Vec<(PathBuf, Vec<u8>)>,
    backup_dir: Option<PathBuf>,
}

/// What [`Transaction::commit`] did, per file in the order added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Files replaced or created (those whose content changed).
    pub changed: Vec<PathBuf>,
    /// The subset of `changed` that did not exist.
    pub created: Vec<PathBuf>,
    /// Backups written (one per replaced file).
    pub backups: Vec<PathBuf>,
    /// Directories created.
    pub dirs: Vec<PathBuf>,
    /// What [`Transaction::recover`] repaired first, if anything.
    pub recovered: Vec<String>,
}

fn staged_path(p: &Path) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    p.with_file_name(format!(".{name}{STAGED_SUFFIX}"))
}

impl Transaction {
    pub fn new(root: &Path, journal: &Path) -> Transaction {
        Transaction {
            root: root.to_path_buf(),
            journal: journal.to_path_buf(),
            files: Vec::new(),
            backup_dir: None,
        }
    }

    /// Keep replaced contents under `dir`, at their path relative to the
    /// root (outside the tree being changed).
    pub fn backups_in(mut self, dir: &Path) -> Transaction {
        self.backup_dir = Some(dir.to_path_buf());
        self
    }

    pub fn add(&mut self, path: &Path, data: Vec<u8>) {
        self.files.push((path.to_path_buf(), data));
    }

    /// Finish or undo what a killed earlier commit with this journal left:
    /// a committed journal's staged files are renamed into place (roll
    /// forward); staged files of an uncommitted one are removed. Returns
    /// one line per action.
    pub fn recover(journal: &Path) -> Result<Vec<String>> {
        let mut done = Vec::new();
        let text = match std::fs::read_to_string(journal) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
            Err(e) => return Err(io(journal)(e)),
        };
        let mut lines = text.lines();
        let complete = lines.next() == Some(JOURNAL_MAGIC) && text.ends_with("end\n");
        let targets: Vec<PathBuf> = text
            .lines()
            .filter_map(|l| l.strip_prefix("file "))
            .map(PathBuf::from)
            .collect();
        for t in &targets {
            let s = staged_path(t);
            if !s.exists() {
                continue;
            }
            if complete {
                std::fs::rename(&s, t).map_err(io(t))?;
                sync_dir(parent_of(t));
                done.push(format!("finished the interrupted write of {}", t.display()));
            } else {
                std::fs::remove_file(&s).map_err(io(&s))?;
                done.push(format!("removed {} of an interrupted write", s.display()));
            }
        }
        std::fs::remove_file(journal).map_err(io(journal))?;
        sync_dir(parent_of(journal));
        Ok(done)
    }

    /// Plan without writing: per file, its checked target and whether it
    /// changes.
    pub fn plan(&self) -> Result<Vec<(Target, bool)>> {
        self.files
            .iter()
            .map(|(p, d)| {
                let t = check_target(p, Some(&self.root))?;
                let ch = t.old.as_deref() != Some(&d[..]);
                Ok((t, ch))
            })
            .collect()
    }

    /// Apply the set (see the crate docs).
    pub fn commit(self) -> Result<Committed> {
        let mut out = Committed {
            recovered: Transaction::recover(&self.journal)?,
            ..Committed::default()
        };
        let plan = self.plan()?;
        let changes: Vec<(Target, &Vec<u8>)> = plan
            .into_iter()
            .zip(&self.files)
            .filter(|((_, ch), _)| *ch)
            .map(|((t, _), (_, d))| (t, d))
            .collect();
        if changes.is_empty() {
            return Ok(out);
        }
        let res = self.apply(&changes, &mut out);
        if res.is_err() {
            // Before the commit point: nothing is replaced; undo what we made.
            for (t, _) in &changes {
                let _ = std::fs::remove_file(staged_path(&t.path));
            }
            for d in out.dirs.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        res.map(|()| out)
    }

    fn apply(&self, changes: &[(Target, &Vec<u8>)], out: &mut Committed) -> Result<()> {
        // 1. directories
        for (t, _) in changes {
            let mut missing = Vec::new();
            let mut p = parent_of(&t.path);
            while !p.exists() {
                missing.push(p.to_path_buf());
                p = parent_of(p);
            }
            for d in missing.into_iter().rev() {
                debug_step(&format!("mkdir {}", d.display()));
                std::fs::create_dir(&d).map_err(io(&d))?;
                out.dirs.push(d);
            }
        }
        // 2. backups of the replaced contents (outside the tree)
        if let Some(bdir) = &self.backup_dir {
            for (t, _) in changes {
                let Some(old) = &t.old else { continue };
                let rel = t.path.strip_prefix(&self.root).unwrap_or(&t.path);
                let rel = rel.strip_prefix("/").unwrap_or(rel);
                let b = bdir.join(rel);
                let bp = parent_of(&b);
                std::fs::create_dir_all(bp).map_err(io(bp))?;
                debug_step(&format!("backup {}", b.display()));
                write_atomic(&b, old, &WriteOptions::default())?;
                // keep the mode of what it backs up
                if let Some(m) = t.meta {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(m.mode)).map_err(io(&b))?;
                }
                out.backups.push(b);
            }
        }
        // 3. stage every new content under a fixed name, synced (temp files
        //    a killed run left next to the targets go first)
        for (t, _) in changes {
            remove_stale_temps(&t.path);
        }
        for (t, data) in changes {
            debug_step(&format!("stage {}", t.path.display()));
            let tmp = stage(&t.path, data, t.meta)?;
            persist(tmp, &staged_path(&t.path))?;
        }
        // 4. the commit point: the journal
        let mut j = format!("{JOURNAL_MAGIC}\n");
        for (t, _) in changes {
            j.push_str(&format!("file {}\n", t.path.display()));
        }
        j.push_str("end\n");
        debug_step("journal");
        let jt = check_target(&self.journal, Some(&self.root))?;
        let jtmp = stage(&jt.path, j.as_bytes(), None)?;
        persist(jtmp, &self.journal)?;
        // 5. renames (a kill here is finished by the next recover)
        for (t, _) in changes {
            debug_step(&format!("rename {}", t.path.display()));
            std::fs::rename(staged_path(&t.path), &t.path).map_err(io(&t.path))?;
            out.changed.push(t.path.clone());
            if t.old.is_none() {
                out.created.push(t.path.clone());
            }
        }
        sync_dirs(changes.iter().map(|(t, _)| parent_of(&t.path)));
        debug_step("remove journal");
        std::fs::remove_file(&self.journal).map_err(io(&self.journal))?;
        sync_dir(parent_of(&self.journal));
        Ok(())
    }
}

/// Remove `.<name>.*.kfit-tmp` files next to `path` (what [`stage`] makes)
/// that no live process holds: every staged file is locked (`flock`) by its
/// writer while it exists, and the kernel drops the lock when the writer
/// dies, so a file whose lock can be taken was left by a killed process. A
/// concurrent writer's temp is only at risk between its creation and its
/// lock (microseconds), and then its write fails with an error, never a
/// partial file.
fn remove_stale_temps(path: &Path) {
    use std::os::fd::AsRawFd;
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.");
    if let Ok(rd) = std::fs::read_dir(parent_of(path)) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if !(n.starts_with(&prefix) && n.ends_with(".kfit-tmp")) {
                continue;
            }
            let Ok(f) = std::fs::File::open(e.path()) else {
                continue;
            };
            // SAFETY: flock(2) on a descriptor owned by `f`.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn sync_dirs<'a>(dirs: impl Iterator<Item = &'a Path>) {
    let mut seen: Vec<&Path> = Vec::new();
    for d in dirs {
        if !seen.contains(&d) {
            sync_dir(d);
            seen.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn stamper_agrees_with_stamp() {
        let d = tempfile::tempdir().unwrap();
        let t = d.path();
        std::fs::create_dir_all(t.join("a/b")).unwrap();
        std::fs::write(t.join("top.c"), "x").unwrap();
        std::fs::write(t.join("a/x.c"), "xy").unwrap();
        std::fs::write(t.join("a/b/y.c"), "xyz").unwrap();
        std::os::unix::fs::symlink("x.c", t.join("a/link.c")).unwrap();
        let mut st = Stamper::new(t);
        for rel in [
            "", "a", "a/b", "top.c", "a/b/y.c", "a/link.c", "a/x.c", "a/gone.c", "gone/x.c", "a/b/y.c",
        ] {
            let want = stamp(&if rel.is_empty() {
                t.to_path_buf()
            } else {
                t.join(rel)
            });
            assert_eq!(st.stamp(rel), want, "{rel}");
        }
        assert_eq!(st.stamp("a/x.c").map(|s| s.0), Some(2));
        assert_eq!(Stamper::new(&t.join("nothing")).stamp("a/x.c"), None);
    }

    #[test]
    fn stable_hash_sees_every_flipped_bit_and_the_length() {
        let b: Vec<u8> = (0..37u8).map(|i| i.wrapping_mul(31)).collect();
        let sum = stable_hash(&b);
        for i in 0..b.len() * 8 {
            let mut c = b.clone();
            c[i / 8] ^= 1 << (i % 8);
            assert_ne!(stable_hash(&c), sum, "bit {i}");
        }
        assert_ne!(stable_hash(&b[..36]), sum);
        assert_ne!(stable_hash(&[&b[..], &[0]].concat()), sum);
        assert_ne!(stable_hash(&[0; 8]), stable_hash(&[0; 16]));
        assert_ne!(
            stable_hash_parts(&[b"ab", b"c"]),
            stable_hash_parts(&[b"a", b"bc"])
        );
    }

    #[test]
    fn checksum_sees_every_flipped_bit_swapped_words_and_the_length() {
        // Long enough for whole 32-byte blocks and a tail.
        let b: Vec<u8> = (0..101u8).map(|i| i.wrapping_mul(31)).collect();
        let sum = checksum(&b);
        for i in 0..b.len() * 8 {
            let mut c = b.clone();
            c[i / 8] ^= 1 << (i % 8);
            assert_ne!(checksum(&c), sum, "bit {i}");
        }
        assert_ne!(checksum(&b[..100]), sum);
        assert_ne!(checksum(&[&b[..], &[0]].concat()), sum);
        assert_ne!(checksum(&[0; 32]), checksum(&[0; 64]));
        // Two words of different lanes swapped.
        let mut c = b.clone();
        c[..16].rotate_left(8);
        assert_ne!(checksum(&c), sum);
        assert_ne!(checksum(&b), stable_hash(&b));
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("kfit-tmp") || n.contains(STAGED_SUFFIX))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_keeps_mode_and_backs_up() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("cfg");
        std::fs::write(&f, "old\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let b = d.path().join("cfg.old");
        let w = write_atomic(
            &f,
            b"new\n",
            &WriteOptions {
                backup: Some(b.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(w.changed && w.existed);
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "new\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "old\n");
        assert_eq!(mode(&f), 0o640);
        assert_eq!(mode(&b), 0o640);
        // unchanged: nothing touched, backup kept
        let w = write_atomic(&f, b"new\n", &WriteOptions::default()).unwrap();
        assert!(!w.changed);
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn new_file_gets_umask_mode() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("x");
        write_atomic(&f, b"x", &WriteOptions::default()).unwrap();
        assert_eq!(mode(&f), 0o666 & !umask());
    }

    #[test]
    fn refuses_symlink_out_and_devices() {
        let out = tempfile::tempdir().unwrap();
        let d = tempfile::tempdir().unwrap();
        let victim = out.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = d.path().join("cfg");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = write_atomic(&link, b"evil", &WriteOptions::default()).unwrap_err();
        assert!(matches!(e, WriteError::SymlinkOut { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        // backup path symlinked out: refused before the target is replaced
        let f = d.path().join("real");
        std::fs::write(&f, "old").unwrap();
        let bl = d.path().join("real.old");
        std::os::unix::fs::symlink(&victim, &bl).unwrap();
        let e = write_atomic(
            &f,
            b"new",
            &WriteOptions {
                backup: Some(bl),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, WriteError::SymlinkOut { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "old");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        // a symlink inside the directory is followed, the link stays
        let inner = d.path().join("inner");
        std::fs::write(&inner, "a").unwrap();
        let il = d.path().join("il");
        std::os::unix::fs::symlink("inner", &il).unwrap();
        write_atomic(&il, b"b", &WriteOptions::default()).unwrap();
        assert_eq!(std::fs::read_to_string(&inner).unwrap(), "b");
        assert!(il.symlink_metadata().unwrap().file_type().is_symlink());
        // a directory and a character device are refused
        let e = write_atomic(d.path(), b"x", &WriteOptions::default()).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let e = write_atomic(Path::new("/dev/null"), b"x", &WriteOptions::default()).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn failed_write_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let ro = d.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
        let r = write_atomic(&ro.join("x"), b"x", &WriteOptions::default());
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
        // root may write anyway; then it succeeded cleanly
        if let Err(e) = r {
            assert!(e.to_string().contains("ro/x"), "{e}");
        }
        assert!(leftovers(&ro).is_empty());
    }

    /// The final rename over the target fails (the target is immutable,
    /// `chattr +i`): the target and its backup are as they were (the
    /// previous backup put back; a backup that did not exist is removed),
    /// no temp file is left, the error names the target. Skipped with a
    /// message where the flag cannot be set (not root).
    #[test]
    fn failed_final_rename_restores_the_backup() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("cfg");
        let b = d.path().join("cfg.old");
        std::fs::write(&f, "old\n").unwrap();
        std::fs::write(&b, "previous backup\n").unwrap();
        std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o600)).unwrap();
        let _guard = match kfit_testkit::immutable(&f) {
            Ok(g) => g,
            Err(why) => {
                eprintln!("skipped: cannot make the target immutable ({why})");
                return;
            }
        };
        let opts = WriteOptions {
            backup: Some(b.clone()),
            ..Default::default()
        };
        let e = write_atomic(&f, b"new\n", &opts).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: ", f.display())), "{e}");
        assert!(e.contains("Operation not permitted"), "{e}");
        assert!(e.contains("cfg.old is as it was"), "{e}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "old\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "previous backup\n");
        assert_eq!(mode(&b), 0o600);
        // no previous backup: the new one goes again
        std::fs::remove_file(&b).unwrap();
        write_atomic(&f, b"new\n", &opts).unwrap_err();
        assert!(!b.exists());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "old\n");
        assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    }

    /// A temp file a live writer holds stays; one nobody holds (a killed
    /// run's) goes.
    #[test]
    fn stale_temps_go_live_ones_stay() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("cfg");
        let live = stage(&f, b"live", None).unwrap();
        let stray = d.path().join(".cfg.abc123.kfit-tmp");
        std::fs::write(&stray, "left by a kill").unwrap();
        remove_stale_temps(&f);
        assert!(live.tmp.path().exists());
        assert!(!stray.exists());
        drop(live);
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn transaction_commits_and_recovers() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        let a = root.join("a");
        let b = root.join("sub/b");
        std::fs::write(&a, "a0").unwrap();
        let j = root.join(".journal");
        let bk = tempfile::tempdir().unwrap();
        let mut t = Transaction::new(root, &j).backups_in(bk.path());
        t.add(&a, b"a1".to_vec());
        t.add(&b, b"b1".to_vec());
        let c = t.commit().unwrap();
        assert_eq!(c.changed, vec![a.clone(), b.clone()]);
        assert_eq!(c.created, vec![b.clone()]);
        assert_eq!(std::fs::read_to_string(bk.path().join("a")).unwrap(), "a0");
        assert!(!j.exists());
        // a committed journal with staged files is rolled forward
        std::fs::write(staged_path(&a), "a2").unwrap();
        std::fs::write(&j, format!("{JOURNAL_MAGIC}\nfile {}\nend\n", a.display())).unwrap();
        let r = Transaction::recover(&j).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a2");
        // an incomplete journal: staged files removed, targets untouched
        std::fs::write(staged_path(&a), "a3").unwrap();
        std::fs::write(&j, format!("{JOURNAL_MAGIC}\nfile {}\n", a.display())).unwrap();
        Transaction::recover(&j).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a2");
        assert!(leftovers(root).is_empty());
    }

    #[test]
    fn cache_dir_policy() {
        let d = cache_dir(Some(Path::new("/x")));
        assert_eq!(d, PathBuf::from("/x"));
    }

    #[test]
    fn prune_keeps_newest() {
        let d = tempfile::tempdir().unwrap();
        for i in 0..4 {
            let p = d.path().join(format!("f{i}"));
            std::fs::write(&p, "x").unwrap();
            let t = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000 + i);
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        std::fs::write(d.path().join("other"), "x").unwrap();
        let n = prune(d.path(), 2, |p| {
            p.file_name().unwrap().to_string_lossy().starts_with('f')
        })
        .unwrap();
        assert_eq!(n, 2);
        assert!(d.path().join("f3").exists() && d.path().join("f2").exists());
        assert!(!d.path().join("f0").exists() && d.path().join("other").exists());
    }
}
