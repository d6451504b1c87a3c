//! Bad input: clear errors naming file:line, warnings with counts for a few
//! bad lines inside a valid listing, never a panic.

mod common;
use common::read;
use kfit_hw::{read_str, Error, Format};

#[test]
fn unknown_format_names_file_and_line() {
    let text = "\n\nhello world, this is not a listing\nnor is this\n";
    let e = read_str(text, "notes.txt").unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { line: 3, .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.starts_with("notes.txt:3: unknown listing format"), "{msg}");
}

#[test]
fn many_garbage_lines_in_a_listing_are_an_error_at_the_first() {
    let mut text = String::from("00:00.0 Class 0600: 8086:29c0\n");
    for i in 0..10 {
        text += &format!("garbage line {i}\n");
    }
    let e = read_str(&text, "bb.txt").unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            Error::Garbage {
                line: 2,
                count: 10,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        msg.starts_with("bb.txt:2: 10 of 11 lines are not valid busybox lspci output"),
        "{msg}"
    );
}

#[test]
fn a_few_garbage_lines_are_a_warning_with_count() {
    let mut text = read("q35/lspci-nnk.txt");
    text.insert_str(0, "$ lspci -nnk\n");
    text.push_str("oops: pasted twice\n@@@\n");
    let (m, w) = read_str(&text, "paste.txt").unwrap();
    assert_eq!(m.devices.len(), 51);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].count, 2);
    assert_eq!(w[0].line, 191);
    assert!(
        w[0].to_string()
            .starts_with("paste.txt:191: skipped 2 unreadable lines in lspci listing"),
        "{}",
        w[0]
    );
}

#[test]
fn empty_input_is_a_warning() {
    let (m, w) = read_str("\n  \n", "empty.txt").unwrap();
    assert!(m.devices.is_empty());
    assert_eq!(w[0].message, "empty listing");
}

#[test]
fn io_error_names_the_file() {
    let e = kfit_hw::read_listings(&["/nonexistent/lspci.txt".into()]).unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/lspci.txt: "), "{e}");
}

/// Deterministic pseudo-random mutations of every sample through every
/// parser: must never panic (the fuzz targets do this at scale).
#[test]
fn mutations_never_panic() {
    let dir = common::data("formats");
    let mut samples: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    samples.push(read("q35/drivers.txt"));
    samples.push(read("q35/modalias-uevent.txt"));
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b" \t\n:.-[]()/=\"0123456789abcdefABCDEFxpvdi*|+\\_";
    for s in &samples {
        for _ in 0..40 {
            let mut b = s.as_bytes().to_vec();
            for _ in 0..(rnd() % 12 + 1) {
                if b.is_empty() {
                    break;
                }
                let i = (rnd() as usize) % b.len();
                match rnd() % 4 {
                    0 => b[i] = alphabet[(rnd() as usize) % alphabet.len()],
                    1 => {
                        b.remove(i);
                    }
                    2 => b.truncate(i),
                    _ => {
                        let j = (rnd() as usize) % b.len();
                        let (lo, hi) = (i.min(j), i.max(j).min(lo_hi_cap(i, b.len())));
                        let chunk = b[lo..hi].to_vec();
                        b.splice(i..i, chunk);
                    }
                }
            }
            let t = String::from_utf8_lossy(&b);
            let _ = read_str(&t, "m");
            for f in Format::ALL {
                let _ = kfit_hw::parse_as(f, &t, "m");
            }
        }
    }
}

fn lo_hi_cap(i: usize, len: usize) -> usize {
    (i + 200).min(len)
}

#[test]
fn markdown_code_block_paste() {
    let body: String = read("q35/lspci-nnk.txt")
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect();
    let text = format!("```\n{body}```\n");
    let (m, w) = read_str(&text, "forum.md").unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.devices.len(), 51);
    assert_eq!(
        m.find(&kfit_hw::Bus::Pci, "0000:00:1f.3")
            .unwrap()
            .driver
            .as_deref(),
        Some("i801_smbus")
    );
}

fn write(dir: &std::path::Path, name: &str, text: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// #18 "Bounded input": a device node, a directory and a file over 64 MiB
/// are errors naming the file, before anything big is read.
#[test]
fn bounded_input() {
    let e = kfit_hw::read_listings(&["/dev/zero".into()]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/dev/zero: is a character device, not a listing (give a file, a pipe, or - for stdin)"
    );
    let dir = tempfile::tempdir().unwrap();
    let e = kfit_hw::read_listings(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(e.to_string().contains("is a directory"), "{e}");
    let big = dir.path().join("big.txt");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(kfit_hw::MAX_LISTING_SIZE + 1).unwrap(); // sparse
    let e = kfit_hw::read_listings(std::slice::from_ref(&big)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: larger than 64 MiB: not a listing", big.display())
    );
}

/// #18 "Malformed listing lines lose data": every case is a warning with
/// file:line, and the rest of the listing is read.
#[test]
fn malformed_lines_are_warnings_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let nnk = read("q35/lspci-nnk.txt");
    let case = |name: &str, text: String| {
        let p = write(dir.path(), name, text.as_bytes());
        let (m, w) = kfit_hw::read_listings(&[p]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let w: Vec<String> = w.iter().map(|w| w.to_string()).collect();
        (m, w)
    };
    // A cut "Kernel driver in use" line: the device's driver is unknown, said so.
    let (m, w) = case(
        "cut-driver.txt",
        nnk.replacen("\tKernel driver in use: bochs-drm", "\tKernel driver in u", 1),
    );
    assert!(m
        .find(&kfit_hw::Bus::Pci, "0000:00:01.0")
        .unwrap()
        .driver
        .is_none());
    assert!(
        w.iter()
            .any(|w| w.contains("cut-driver.txt:5: cut line \"Kernel driver in u\"")),
        "{w:?}"
    );
    let (_, w) = case(
        "empty-driver.txt",
        nnk.replacen("\tKernel driver in use: bochs-drm", "\tKernel driver in use:", 1),
    );
    assert!(
        w.iter()
            .any(|w| w.contains("empty-driver.txt:5: empty \"Kernel driver in use:\"")),
        "{w:?}"
    );
    // [zzzz:1234]
    let (m, w) = case("zzzz.txt", nnk.replacen("[1234:1111]", "[zzzz:1234]", 1));
    assert!(m
        .find(&kfit_hw::Bus::Pci, "0000:00:01.0")
        .unwrap()
        .vendor
        .is_none());
    assert!(
        w.iter()
            .any(|w| w.contains("zzzz.txt:3: malformed ids [zzzz:1234]")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("zzzz.txt:3: device line without [vendor:device] ids")),
        "{w:?}"
    );
    // A device line cut mid-way: reported, its detail lines too.
    let (m, w) = case(
        "cut-line.txt",
        nnk.replacen(
            "00:02.0 Display controller [0380]: Red Hat, Inc. Virtio 1.0 GPU [1af4:1050] (rev 01)",
            "00:02.0 Display contr",
            1,
        ),
    );
    assert!(m.find(&kfit_hw::Bus::Pci, "0000:00:02.0").is_none());
    assert_eq!(m.devices.len(), 50);
    assert!(
        w.iter()
            .any(|w| w.contains("/cut-line.txt:7: skipped 1 unreadable line")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w
            .contains("cut-line.txt:8: detail line of an unreadable device line skipped (lines 8, 9, 10)")),
        "{w:?}"
    );
    // NUL bytes and control bytes; a file cut without its final newline.
    let mut t = nnk
        .replacen("Kernel modules: bochs", "Kernel modules: bo\0chs", 1)
        .into_bytes();
    t.extend_from_slice(b"00:1f.7 Audio device [0403]: Intel \x1b[2J");
    let p = write(dir.path(), "nul.txt", &t);
    let (m, w) = kfit_hw::read_listings(&[p]).unwrap();
    let w: Vec<String> = w.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        m.find(&kfit_hw::Bus::Pci, "0000:00:01.0").unwrap().modules,
        ["bochs"]
    );
    assert!(
        w.iter().any(|w| w.ends_with("/nul.txt:6: NUL bytes removed")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.ends_with("/nul.txt:190: control bytes replaced by U+FFFD")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("nul.txt:190: no newline at the end")),
        "{w:?}"
    );
    assert!(w.iter().all(|w| !w.contains('\x1b')), "{w:?}");
}
