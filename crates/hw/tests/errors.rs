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
