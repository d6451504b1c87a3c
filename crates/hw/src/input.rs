//! Bounded input: what kfit-hw reads from outside.
//!
//! - Listings are regular files, pipes (`<(lspci -k)`) or stdin (`-`); a
//!   device node, directory or socket is refused before anything is read.
//! - At most [`MAX_LISTING_SIZE`] bytes are read (a listing over 64 MiB is not
//!   a listing): the read stops at the limit + 1 byte and fails with
//!   [`Error::TooLarge`], so `/dev/zero` behind a pipe cannot exhaust memory.
//! - Before parsing, [`sanitize`] removes NUL bytes, replaces other control
//!   bytes with U+FFFD and blanks lines longer than [`MAX_LINE`]; each is a
//!   warning with its lines, never silent. Every parser then runs in time
//!   linear in the text (one pass over the lines, hash maps for lookups).

use crate::error::{Error, Warning};
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// Largest listing accepted.
pub const MAX_LISTING_SIZE: u64 = 64 << 20;
/// Longest line a listing may have (the longest real ones, sysfs paths in
/// uevent lists and dmesg lines, are a few KiB).
pub const MAX_LINE: usize = 64 << 10;

fn read_limited(r: impl Read, limit: u64) -> std::io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    r.take(limit + 1).read_to_end(&mut buf)?;
    let over = buf.len() as u64 > limit;
    Ok((buf, over))
}

/// What a path is, if it is not something a listing can be read from.
fn refuse(path: &Path) -> std::io::Result<Option<&'static str>> {
    use std::os::unix::fs::FileTypeExt;
    let t = std::fs::metadata(path)?.file_type();
    Ok(if t.is_file() || t.is_fifo() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    })
}

/// Read a listing file (`-` = stdin) within [`MAX_LISTING_SIZE`].
#[cfg(test)]
pub(crate) fn read_listing(path: &Path) -> Result<String, Error> {
    Ok(listing_text(read_listing_bytes(path)?))
}

/// The text of a listing's bytes (invalid UTF-8 replaced).
pub(crate) fn listing_text(bytes: Vec<u8>) -> String {
    match String::from_utf8_lossy(&bytes) {
        Cow::Borrowed(_) => String::from_utf8(bytes).unwrap_or_default(),
        Cow::Owned(s) => s,
    }
}

/// The bytes of a listing file (`-` = stdin) within [`MAX_LISTING_SIZE`].
pub(crate) fn read_listing_bytes(path: &Path) -> Result<Vec<u8>, Error> {
    let io = |e: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let (bytes, over) = if path.as_os_str() == "-" {
        read_limited(std::io::stdin().lock(), MAX_LISTING_SIZE).map_err(io)?
    } else {
        if let Some(what) = refuse(path).map_err(io)? {
            return Err(Error::NotAListing {
                path: path.to_path_buf(),
                what,
            });
        }
        let f = std::fs::File::open(path).map_err(io)?;
        read_limited(f, MAX_LISTING_SIZE).map_err(io)?
    };
    if over {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_LISTING_SIZE,
        });
    }
    Ok(bytes)
}

/// Read a regular file of at most `limit` bytes (databases, sysfs attributes).
pub(crate) fn read_file_limited(path: &Path, limit: u64) -> std::io::Result<String> {
    read_bytes_limited(path, limit).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Read a regular file of at most `limit` bytes, as bytes (device-tree
/// properties).
pub(crate) fn read_bytes_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    if let Some(what) = refuse(path)? {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{what}, not a file"),
        ));
    }
    let (bytes, over) = read_limited(std::fs::File::open(path)?, limit)?;
    if over {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB", limit >> 20),
        ));
    }
    Ok(bytes)
}

/// Collects line numbers per warning message; [`Notes::into_warnings`] gives
/// one warning per message with its first lines and the count.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    items: Vec<(String, Vec<usize>, usize)>,
    index: std::collections::HashMap<String, usize>,
}

impl Notes {
    pub fn add(&mut self, line: usize, message: impl Into<String>) {
        let m = message.into();
        let i = match self.index.get(&m) {
            Some(&i) => i,
            None => {
                self.items.push((m.clone(), Vec::new(), 0));
                self.index.insert(m, self.items.len() - 1);
                self.items.len() - 1
            }
        };
        let it = &mut self.items[i];
        it.2 += 1;
        if it.1.len() < 5 {
            it.1.push(line);
        }
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn into_warnings(self, source: &str) -> Vec<Warning> {
        self.items
            .into_iter()
            .map(|(message, lines, count)| {
                let message = if count > 1 {
                    let shown: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    let more = count - lines.len();
                    format!(
                        "{message} (lines {}{})",
                        shown.join(", "),
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        }
                    )
                } else {
                    message
                };
                Warning {
                    source: source.to_string(),
                    line: lines.first().copied().unwrap_or(0),
                    count,
                    message,
                }
            })
            .collect()
    }
}

/// Escape control characters (for messages printed to a terminal).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control()) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .flat_map(|c| {
                let v: Vec<char> = if c.is_control() {
                    c.escape_default().collect()
                } else {
                    vec![c]
                };
                v
            })
            .collect(),
    )
}

/// Make a listing's text safe to parse: NUL bytes removed, other control
/// bytes (except tab, CR, LF, form feed) replaced by U+FFFD, lines longer
/// than [`MAX_LINE`] blanked. One pass; the text is copied only when it
/// has something to fix. Line numbers are kept.
pub(crate) fn sanitize<'a>(text: &'a str, notes: &mut Notes) -> Cow<'a, str> {
    let clean = |c: char| !c.is_ascii_control() || matches!(c, '\t' | '\r' | '\n' | '\u{c}');
    let long = text.split('\n').any(|l| l.len() > MAX_LINE);
    if !long && text.chars().all(clean) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let no = i + 1;
        if l.len() > MAX_LINE {
            notes.add(no, format!("line longer than {} KiB skipped", MAX_LINE >> 10));
            if l.ends_with('\n') {
                out.push('\n');
            }
            continue;
        }
        let (mut nul, mut ctl) = (false, false);
        for c in l.chars() {
            if c == '\0' {
                nul = true;
            } else if clean(c) {
                out.push(c);
            } else {
                ctl = true;
                out.push('\u{fffd}');
            }
        }
        if nul {
            notes.add(no, "NUL bytes removed");
        }
        if ctl {
            notes.add(no, "control bytes replaced by U+FFFD");
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_reports_lines() {
        let mut n = Notes::default();
        let t = format!("ok\nbad\0line\n\x1b[31mred\n{}\nend\0", "x".repeat(MAX_LINE + 1));
        let s = sanitize(&t, &mut n);
        assert_eq!(s, "ok\nbadline\n\u{fffd}[31mred\n\nend");
        let w = n.into_warnings("f\x07.txt");
        let msgs: Vec<String> = w.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "f\\u{7}.txt:2: NUL bytes removed (lines 2, 5)",
                "f\\u{7}.txt:3: control bytes replaced by U+FFFD",
                "f\\u{7}.txt:4: line longer than 64 KiB skipped",
            ]
        );
        let mut n = Notes::default();
        assert!(matches!(sanitize("fine\ttext\n", &mut n), Cow::Borrowed(_)));
        assert!(n.is_empty());
    }

    #[test]
    fn refuses_devices_and_directories() {
        let e = read_listing(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let e = read_listing(Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }
}
