//! Reading ix's Jinja templates just enough to follow a kernel package:
//! `{% extends '...' %}`, `{% include '...' %}`, `{% block name %}...{% endblock %}`.
//!
//! Paths: `//x/y` is relative to `pkgs/`; any other path is relative to the
//! directory of the template that contains the statement (that is how the
//! 2023 `slot/0` package, which has no `cfg` of its own, gets `slot/1/cfg`
//! through `slot/1/ix.sh`'s `{% include 'cfg' %}`).

use std::path::{Path, PathBuf};

/// One parsed template file.
#[derive(Debug, Clone)]
pub struct Template {
    pub path: PathBuf,
    pub text: String,
}

/// A `{% block NAME %}` ... matching `{% endblock %}` span (byte offsets of
/// the body inside `text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSpan {
    pub body_start: usize,
    pub body_end: usize,
}

impl Template {
    pub fn read(path: &Path) -> std::io::Result<Template> {
        Ok(Template {
            path: path.to_path_buf(),
            text: std::fs::read_to_string(path)?,
        })
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The `{% extends '...' %}` target, unresolved.
    pub fn extends(&self) -> Option<String> {
        tags(&self.text)
            .into_iter()
            .find(|t| t.0 == "extends")
            .and_then(|t| quoted(&t.1))
    }

    /// The body span of block `name` (first definition).
    pub fn block(&self, name: &str) -> Option<BlockSpan> {
        let all = tag_spans(&self.text);
        let mut depth = 0usize;
        let mut start: Option<(usize, usize)> = None; // (depth, body_start)
        for (kind, arg, s, e) in all {
            match kind.as_str() {
                "block" => {
                    depth += 1;
                    if start.is_none() && arg.split_whitespace().next() == Some(name) {
                        start = Some((depth, e));
                    }
                }
                "endblock" => {
                    if let Some((d, bs)) = start {
                        if d == depth {
                            return Some(BlockSpan {
                                body_start: bs,
                                body_end: s,
                            });
                        }
                    }
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        None
    }

    pub fn block_text(&self, name: &str) -> Option<&str> {
        self.block(name).map(|b| &self.text[b.body_start..b.body_end])
    }

    /// Resolve a template path written in this template.
    pub fn resolve(&self, pkgs: &Path, target: &str) -> PathBuf {
        resolve(pkgs, self.dir(), target)
    }
}

/// Resolve `//a/b` against `pkgs`, anything else against `dir`.
pub fn resolve(pkgs: &Path, dir: &Path, target: &str) -> PathBuf {
    match target.strip_prefix("//") {
        Some(rest) => pkgs.join(rest),
        None => dir.join(target),
    }
}

/// `{% include '...' %}` targets inside `text`, in order.
pub fn includes(text: &str) -> Vec<String> {
    tags(text)
        .into_iter()
        .filter(|t| t.0 == "include")
        .filter_map(|t| quoted(&t.1))
        .collect()
}

/// The lines of a block body that are plain text (not tags, comments or
/// expressions), trimmed and non-empty.
pub fn literal_lines(body: &str) -> Vec<String> {
    let mut cleaned = String::new();
    let mut rest = body;
    while let Some(p) = rest.find(['{']) {
        cleaned.push_str(&rest[..p]);
        let r = &rest[p..];
        let close = if r.starts_with("{%") {
            r.find("%}").map(|c| c + 2)
        } else if r.starts_with("{#") {
            r.find("#}").map(|c| c + 2)
        } else if r.starts_with("{{") {
            r.find("}}").map(|c| c + 2)
        } else {
            Some(1)
        };
        match close {
            Some(c) => {
                if c == 1 {
                    cleaned.push('{');
                } else {
                    cleaned.push('\n');
                }
                rest = &r[c..];
            }
            None => {
                rest = "";
            }
        }
    }
    cleaned.push_str(rest);
    cleaned
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// `{% kind args %}` tags: (kind, args).
fn tags(text: &str) -> Vec<(String, String)> {
    tag_spans(text).into_iter().map(|(k, a, _, _)| (k, a)).collect()
}

/// `{% kind args %}` tags with their byte spans (start of `{%`, end after `%}`).
fn tag_spans(text: &str) -> Vec<(String, String, usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find("{%") {
        let s = from + p;
        let Some(c) = text[s + 2..].find("%}") else {
            break;
        };
        let e = s + 2 + c + 2;
        let inner = text[s + 2..e - 2]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-');
        let inner = inner.trim();
        let (kind, args) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
        out.push((kind.to_string(), args.trim().to_string(), s, e));
        from = e;
    }
    out
}

fn quoted(s: &str) -> Option<String> {
    let s = s.trim();
    let q = s.chars().next()?;
    if q != '\'' && q != '"' {
        return None;
    }
    let rest = &s[1..];
    let end = rest.find(q)?;
    Some(rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_includes() {
        let t = Template {
            path: PathBuf::from("/x/pkgs/bin/kernel/t/1/ix.sh"),
            text: "{% extends '//bin/kernel/t/0/ix.sh' %}\n{% block firmware %}\n{% include 'fw.sh' %}\nregulatory.db\n{% endblock %}\n{% block kconfig_flags %}\nX=\"{{self.firmware() | fix_list}}\"\n{% endblock %}\n".into(),
        };
        assert_eq!(t.extends().as_deref(), Some("//bin/kernel/t/0/ix.sh"));
        let body = t.block_text("firmware").unwrap();
        assert_eq!(includes(body), vec!["fw.sh"]);
        assert_eq!(literal_lines(body), vec!["regulatory.db"]);
        assert_eq!(
            t.resolve(Path::new("/x/pkgs"), "fw.sh"),
            PathBuf::from("/x/pkgs/bin/kernel/t/1/fw.sh")
        );
        assert_eq!(
            t.resolve(Path::new("/x/pkgs"), "//bin/kernel/configs/cfg_6_16"),
            PathBuf::from("/x/pkgs/bin/kernel/configs/cfg_6_16")
        );
        assert!(t.block("nope").is_none());
    }

    #[test]
    fn nested_blocks() {
        let t = Template {
            path: PathBuf::from("/p/ix.sh"),
            text: "{% block kconfig_flags %}\n{% block kernel_flags %}\n{% endblock %}\n{{super()}}\n{% endblock %}".into(),
        };
        assert_eq!(t.block_text("kernel_flags").unwrap(), "\n");
        assert!(t.block_text("kconfig_flags").unwrap().contains("super"));
    }
}
