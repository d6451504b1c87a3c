//! What the integration tests of every kfit crate locate the same way (a
//! dev-dependency only; nothing here is part of kfit):
//!
//! * [`repo`]: a path in this repository;
//! * [`cache`]: the cache the scripts fill (`scripts/fetch-kernels.sh`,
//!   `kconfig-oracle.sh`, `fetch-firmware.sh`): `$KFIT_CACHE`, else
//!   `~/.cache/kfit`, as the scripts spell it (`${KFIT_CACHE:-~/.cache/kfit}`);
//! * [`fixtures`]: the shared fixtures (`$KFIT_FIXTURES`, else `shared/`
//!   next to the repository, else `/work/shared` for a git worktree).
use std::path::{Path, PathBuf};

/// `p` inside this repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

/// The scripts' cache directory.
pub fn cache() -> PathBuf {
    std::env::var_os("KFIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kfit"))
}

/// The shared fixtures: `$KFIT_FIXTURES`, else `shared/` next to the
/// repository (a checkout at `/work/main`), else `/work/shared` (a worktree).
pub fn fixtures() -> PathBuf {
    if let Some(p) = std::env::var_os("KFIT_FIXTURES") {
        return PathBuf::from(p);
    }
    let rel = repo("../shared/fixtures");
    if rel.is_dir() {
        rel
    } else {
        PathBuf::from("/work/shared/fixtures")
    }
}

/// A file made immutable (`chattr +i`, FS_IMMUTABLE_FL) so that a rename
/// over it fails for real (EPERM); the flag is cleared on drop.
pub struct Immutable(PathBuf);

/// Make `path` immutable, or say why it cannot be (not root, no
/// CAP_LINUX_IMMUTABLE, a filesystem without the flag, no `chattr`).
pub fn immutable(path: &Path) -> Result<Immutable, String> {
    let o = std::process::Command::new("chattr")
        .arg("+i")
        .arg(path)
        .output()
        .map_err(|e| format!("chattr: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "chattr +i {}: {}",
            path.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(Immutable(path.to_path_buf()))
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

/// A python3 with jinja2 (what scripts/ix-render.py needs), if any.
pub fn python_with_jinja2() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import jinja2"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The q35 reference machine's listings: `hw/qemu-q35-debian61` beside
/// [`fixtures`] in the shared directory.
pub fn q35() -> PathBuf {
    let f = fixtures();
    f.parent().unwrap_or(&f).join("hw/qemu-q35-debian61")
}

/// A value of the env file `scripts/fetch-kernels.sh` writes for a kernel
/// series (`$cache/env/<series>`: TREE, BUILD, KVER, DEBIAN, ABI), running
/// the script first when the file is missing.
pub fn kernel_env(series: &str, key: &str) -> String {
    let f = cache().join("env").join(series);
    if !f.exists() {
        let st = std::process::Command::new("bash")
            .arg(repo("scripts/fetch-kernels.sh"))
            .arg(series)
            .status()
            .expect("bash scripts/fetch-kernels.sh");
        assert!(st.success(), "scripts/fetch-kernels.sh {series} failed");
    }
    kernel_env_if_cached(series, key).unwrap_or_else(|| panic!("{}: no {key}=", f.display()))
}

/// [`kernel_env`] without fetching: `None` when the series is not cached
/// (or its env file lacks `key`), for tests that skip then.
pub fn kernel_env_if_cached(series: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(cache().join("env").join(series)).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
}

/// A recursive copy of the directory `src` to `dst` (regular files and
/// directories; a test's scratch copy of a fixture tree).
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// The cached 6.12 tree and its x86_64_defconfig (`BUILD/x86_64_defconfig.config`).
pub fn tree_612_and_defconfig() -> (PathBuf, PathBuf) {
    (
        PathBuf::from(kernel_env("6.12", "TREE")),
        PathBuf::from(kernel_env("6.12", "BUILD")).join("x86_64_defconfig.config"),
    )
}

/// The kernel's own `make olddefconfig` on `config` (in a scratch O= dir).
pub fn kernel_olddefconfig(tree: &Path, config: &str, tag: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("kfit-olddef-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".config"), config).unwrap();
    make(tree, &dir, &["olddefconfig"]);
    let text = std::fs::read_to_string(dir.join(".config")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text
}

/// `make -s -C tree O=out ARCH=x86 args...`, which must succeed (its stderr
/// is the failure message).
pub fn make(tree: &Path, out: &Path, args: &[&str]) {
    let o = std::process::Command::new("make")
        .args(["-s", "-C"])
        .arg(tree)
        .arg(format!("O={}", out.display()))
        .arg("ARCH=x86")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "make {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `config` with MODULES disabled by the tree's scripts/config and completed
/// by its `make olddefconfig`, cached under [`cache`]`/bases/<name>.config`
/// (the base configs of the fit tests and the CLI's fit snapshots).
pub fn nomodules_base(tree: &Path, config: &str, name: &str) -> PathBuf {
    cached_base(name, |dir| {
        std::fs::write(dir.join(".config"), config).unwrap();
        let st = std::process::Command::new(tree.join("scripts/config"))
            .arg("--file")
            .arg(dir.join(".config"))
            .args(["--disable", "MODULES"])
            .status()
            .unwrap();
        assert!(st.success());
        let text = kernel_olddefconfig(
            tree,
            &std::fs::read_to_string(dir.join(".config")).unwrap(),
            "base",
        );
        assert!(text.contains("# CONFIG_MODULES is not set"));
        text
    })
}

/// A base config made once by `make` (given a scratch directory, it
/// returns the config's text) and cached under
/// [`cache`]`/bases/<name>.config`, written whole or not at all.
pub fn cached_base(name: &str, make: impl FnOnce(&Path) -> String) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let out = cache().join(format!("bases/{name}.config"));
    if out.exists() {
        return out;
    }
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("kfit-base-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = make(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// The q35 machine's full set of listings (file names in its directory), as
/// the e2e script hands them to `kfit fit` (`KFIT_E2E_LISTINGS`).
pub const Q35_LISTINGS: [&str; 5] = [
    "lspci-nnk.txt",
    "lsusb.txt",
    "modalias-uevent.txt",
    "drivers.txt",
    "modules-loaded.txt",
];

/// Symbols the seed laptop's devices need (`examples/seed/lspci-k.txt`:
/// Wi-Fi, USB, SMBus, sensor hub, audio, PCIe ports, temperature sensor,
/// SATA, crypto, GPU, NVMe): a config fitted to it has each at `y` after the
/// tree's own olddefconfig.
pub const SEED_SYMBOLS: [&str; 13] = [
    "IWLWIFI",
    "IWLMVM",
    "USB_XHCI_PCI",
    "I2C_PIIX4",
    "AMD_SFH_HID",
    "SND_HDA_INTEL",
    "PCIEPORTBUS",
    "SENSORS_K10TEMP",
    "SATA_AHCI",
    "CRYPTO_DEV_CCP",
    "DRM_AMDGPU",
    "SND_SOC_AMD_RENOIR",
    "BLK_DEV_NVME",
];

/// The arm64 reference machine (QEMU `virt`, Debian's arm64 kernel): its
/// listings, device tree and sysfs snapshot in `crates/hw/tests/data`.
pub fn qemu_virt_arm64() -> PathBuf {
    repo("crates/hw/tests/data/qemu-virt-arm64")
}

/// Lay out under `root` the files a sysfs snapshot lists (`sys.txt` of
/// `scripts/e2e/arm64/init`): `L path -> target` a symbolic link (target
/// as `readlink` printed it), `D path` a directory, `F path` a text file
/// whose lines follow, each after `| `, `H path hex` a binary file; `#`
/// lines are comments. Paths are relative (`sys/...`, `proc/...`).
pub fn unpack_sysfs_snapshot(text: &str, root: &Path) -> Result<(), String> {
    use std::fs;
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let mut file: Option<(PathBuf, String)> = None;
    let flush = |f: &mut Option<(PathBuf, String)>| -> Result<(), String> {
        if let Some((p, body)) = f.take() {
            fs::write(&p, body).map_err(|e| io(&p, e))?;
        }
        Ok(())
    };
    let under = |rel: &str, n: usize| -> Result<PathBuf, String> {
        let rel = Path::new(rel);
        if rel.is_absolute() || rel.components().any(|c| c == std::path::Component::ParentDir) {
            return Err(format!("line {n}: path {} leaves the root", rel.display()));
        }
        let p = root.join(rel);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).map_err(|e| io(d, e))?;
        }
        Ok(p)
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(body) = line.strip_prefix("| ").or_else(|| (line == "|").then_some("")) {
            let Some((_, b)) = file.as_mut() else {
                return Err(format!("line {n}: a file line outside a file"));
            };
            b.push_str(body);
            b.push('\n');
            continue;
        }
        flush(&mut file)?;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (kind, rest) = line
            .split_once(' ')
            .ok_or_else(|| format!("line {n}: no path: {line:?}"))?;
        match kind {
            "L" => {
                let (path, target) = rest
                    .split_once(" -> ")
                    .ok_or_else(|| format!("line {n}: a link without ' -> '"))?;
                let p = under(path, n)?;
                std::os::unix::fs::symlink(target, &p).map_err(|e| io(&p, e))?;
            }
            "D" => {
                let p = under(rest, n)?;
                fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
            }
            "F" => file = Some((under(rest, n)?, String::new())),
            "H" => {
                let (path, hex) = rest.rsplit_once(' ').unwrap_or((rest, ""));
                if hex.len() % 2 != 0 || !hex.is_ascii() {
                    return Err(format!("line {n}: not hex bytes: {hex:?}"));
                }
                let bytes = (0..hex.len() / 2)
                    .map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|e| format!("line {n}: {e}"))?;
                let p = under(path, n)?;
                fs::write(&p, bytes).map_err(|e| io(&p, e))?;
            }
            _ => return Err(format!("line {n}: unknown entry {kind:?}")),
        }
    }
    flush(&mut file)
}
