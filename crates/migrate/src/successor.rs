//! Finding where a vanished symbol went: its successor in the newer tree and
//! the evidence that links the two, all derived from the two trees (their
//! Kconfig files and their Makefiles); there is no table of known renames.
//!
//! Candidates for a symbol `O` that the new tree no longer defines are the
//! new tree's symbols that share with `O` a prompt, a guarded Makefile word
//! (object, subdirectory, library name), a selector, a help text, or a name
//! (`CPU_SRSO` → `MITIGATION_SRSO`), or whose Kconfig text mentions `O`. Each
//! candidate is scored by its evidence; the best one with at least one
//! *strong* piece of evidence (same prompt, same objects, same help, a
//! mention of the old name) is the successor. A name or a shared selector
//! alone never is.

use kfit_kbuild::refs::{MakeRef, MakeRefs};
use kfit_kconfig::{Kconfig, PropKind, SymbolId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What links an old symbol to its successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// Both have the same prompt text, of three words or more, no other
    /// symbol of the new tree has.
    SamePrompt,
    /// Both have the same short or shared prompt text.
    SameShortPrompt,
    /// The successor's Kconfig (help or an expression) names the old symbol:
    /// a compat or `transitional` stanza.
    MentionsOldName,
    /// The same Makefile words (objects, directories) are built under both.
    SameObjects,
    /// Their help texts share most of their words.
    SameHelp,
    /// The same symbols select both.
    SameSelectors,
    /// Both select the same symbols.
    SameSelects,
    /// Both depend on the same symbols.
    SameDependencies,
    /// The new name contains the old one (or its tail).
    SimilarName,
}

impl EvidenceKind {
    fn weight(self) -> u32 {
        match self {
            EvidenceKind::SamePrompt | EvidenceKind::MentionsOldName | EvidenceKind::SameObjects => 3,
            EvidenceKind::SameHelp | EvidenceKind::SameSelectors => 2,
            EvidenceKind::SameShortPrompt
            | EvidenceKind::SameSelects
            | EvidenceKind::SameDependencies
            | EvidenceKind::SimilarName => 1,
        }
    }
    fn strong(self) -> bool {
        matches!(
            self,
            EvidenceKind::SamePrompt
                | EvidenceKind::MentionsOldName
                | EvidenceKind::SameObjects
                | EvidenceKind::SameHelp
        )
    }
}

/// One piece of evidence, with the source lines it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What kind.
    pub kind: EvidenceKind,
    /// The facts, with file:line in both trees.
    pub detail: String,
}

/// The successor of an old symbol.
#[derive(Debug, Clone, Serialize)]
pub struct Successor {
    /// The new symbol.
    pub name: String,
    /// The new symbol was already defined in the old tree (the old one was
    /// folded into it) rather than new (a rename).
    pub merged: bool,
    /// Why, strongest first.
    pub evidence: Vec<Evidence>,
    /// Sum of the evidence weights.
    pub score: u32,
}

/// A tree's Kconfig and Makefile facts, with the maps the search needs.
pub struct Side<'a> {
    /// The Kconfig engine of the tree.
    pub kc: &'a Kconfig,
    /// Its Makefile references.
    pub refs: &'a MakeRefs,
    /// `Linux 6.1.192`-style label for evidence text.
    pub label: String,
    selectors: HashMap<SymbolId, BTreeSet<String>>,
    prompts: HashMap<String, Vec<SymbolId>>,
    mentions: HashMap<String, Vec<(SymbolId, String)>>,
}

/// Whether `id` has a `config` entry in this tree (referenced-only symbols
/// and constants have none).
pub fn defined(kc: &Kconfig, id: SymbolId) -> bool {
    let s = kc.symbol(id);
    !s.is_const && !s.name.is_empty() && !s.menus.is_empty()
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

fn is_ident(w: &str) -> bool {
    w.len() > 2
        && w.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && w.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
}

impl<'a> Side<'a> {
    /// Index one tree.
    pub fn new(kc: &'a Kconfig, refs: &'a MakeRefs, label: String) -> Side<'a> {
        let mut selectors: HashMap<SymbolId, BTreeSet<String>> = HashMap::new();
        let mut prompts: HashMap<String, Vec<SymbolId>> = HashMap::new();
        let mut mentions: HashMap<String, Vec<(SymbolId, String)>> = HashMap::new();
        for id in kc.symbols() {
            if !defined(kc, id) {
                continue;
            }
            let name = kc.symbol(id).name.clone();
            for p in kc.properties(id, PropKind::Select) {
                if let Some(t) = p.target {
                    selectors.entry(t).or_default().insert(name.clone());
                }
            }
            for p in kc.prompts(id) {
                if let Some(t) = &p.text {
                    let v = prompts.entry(norm(t)).or_default();
                    if !v.contains(&id) {
                        v.push(id);
                    }
                }
            }
            // Names the entry mentions: in its help, and symbols its
            // expressions refer to that this tree does not define.
            for h in kc.help(id) {
                for w in h.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    // `CONFIG_X`, or a name with an underscore: "SRCU" in
                    // prose is a word, not a reference.
                    let (w, prefixed) = match w.strip_prefix("CONFIG_") {
                        Some(x) => (x, true),
                        None => (w, false),
                    };
                    if is_ident(w) && w != name && (prefixed || w.contains('_')) {
                        mentions
                            .entry(w.to_string())
                            .or_default()
                            .push((id, "its help text".into()));
                    }
                }
            }
            let mut undefined = BTreeSet::new();
            let mut note = |e: &kfit_kconfig::Expr| {
                e.for_each_symbol(&mut |s| {
                    let sy = kc.symbol(s);
                    if !sy.is_const && !sy.name.is_empty() && sy.menus.is_empty() {
                        undefined.insert(sy.name.clone());
                    }
                })
            };
            // Only `default OLD` (a compat stanza); stale `depends on`
            // references to removed symbols are common and mean nothing.
            for p in kc.properties(id, PropKind::Default) {
                if let Some(e) = &p.expr {
                    note(e);
                }
            }
            for u in undefined {
                let at = kc
                    .locations(id)
                    .first()
                    .map(|l| kc.location_string(*l))
                    .unwrap_or_default();
                mentions
                    .entry(u)
                    .or_default()
                    .push((id, format!("a `default` of its entry at {at}")));
            }
        }
        Side {
            kc,
            refs,
            label,
            selectors,
            prompts,
            mentions,
        }
    }

    fn name(&self, id: SymbolId) -> &str {
        &self.kc.symbol(id).name
    }

    fn selects(&self, id: SymbolId) -> BTreeSet<String> {
        self.kc
            .properties(id, PropKind::Select)
            .filter_map(|p| p.target)
            .map(|t| self.name(t).to_string())
            .collect()
    }

    fn deps(&self, id: SymbolId) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if let Some(d) = &self.kc.symbol(id).dir_dep {
            d.for_each_symbol(&mut |s| {
                let sy = self.kc.symbol(s);
                if !sy.is_const && !sy.name.is_empty() {
                    out.insert(sy.name.clone());
                }
            });
        }
        out
    }

    fn help(&self, id: SymbolId) -> String {
        self.kc.help(id).join("\n")
    }

    fn at(&self, id: SymbolId) -> String {
        self.kc
            .locations(id)
            .first()
            .map(|l| self.kc.location_string(*l))
            .unwrap_or_default()
    }
}

fn similar_name(old: &str, new: &str) -> bool {
    if new.ends_with(&format!("_{old}")) || new.starts_with(&format!("{old}_")) {
        return true;
    }
    let toks: Vec<&str> = old.split('_').collect();
    if toks.len() >= 3 {
        let tail = toks[1..].join("_");
        if new.ends_with(&format!("_{tail}")) {
            return true;
        }
    }
    false
}

fn ref_line(r: &MakeRef) -> String {
    format!("{}:{} `{}`", r.makefile, r.line, r.text)
}

/// The candidates of every vanished symbol, best first; `vanished` are old
/// tree names the new tree does not define.
pub fn find_successors(old: &Side, new: &Side, vanished: &[String]) -> BTreeMap<String, Vec<Successor>> {
    let by_word = new.refs.by_word();
    let new_only: Vec<SymbolId> = new
        .kc
        .symbols()
        .filter(|&id| defined(new.kc, id))
        .filter(|&id| old.kc.lookup(new.name(id)).is_none_or(|o| !defined(old.kc, o)))
        .collect();
    let mut out = BTreeMap::new();
    for o_name in vanished {
        let Some(o) = old.kc.lookup(o_name) else {
            continue;
        };
        let mut cands: BTreeSet<SymbolId> = BTreeSet::new();
        for p in old.kc.prompts(o) {
            if let Some(t) = &p.text {
                cands.extend(new.prompts.get(&norm(t)).into_iter().flatten());
            }
        }
        for r in old.refs.of(o_name) {
            for w in &r.words {
                for s in by_word.get(w.as_str()).into_iter().flatten() {
                    cands.extend(new.kc.lookup(s));
                }
            }
        }
        for &n in &new_only {
            if similar_name(o_name, new.name(n)) {
                cands.insert(n);
            }
        }
        if let Some(sel) = old.selectors.get(&o) {
            for s in sel {
                if let Some(sn) = new.kc.lookup(s) {
                    for p in new.kc.properties(sn, PropKind::Select) {
                        if let Some(t) = p.target {
                            if new_only.binary_search(&t).is_ok() {
                                cands.insert(t);
                            }
                        }
                    }
                }
            }
        }
        let mentions = new.mentions.get(o_name);
        for (n, _) in mentions.into_iter().flatten() {
            cands.insert(*n);
        }
        let mut found: Vec<Successor> = cands
            .into_iter()
            .filter(|&n| defined(new.kc, n))
            .filter_map(|n| judge(old, new, o, n, mentions.map(|v| v.as_slice()).unwrap_or(&[])))
            .collect();
        found.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.merged.cmp(&b.merged))
                .then(a.name.cmp(&b.name))
        });
        if !found.is_empty() {
            out.insert(o_name.clone(), found);
        }
    }
    out
}

/// Guarded Makefile words with their polarity.
type Words = BTreeSet<(String, bool)>;

/// The successor judgement of old `o` and new `n`, when there is strong
/// evidence.
fn judge(
    old: &Side,
    new: &Side,
    o: SymbolId,
    n: SymbolId,
    mentions: &[(SymbolId, String)],
) -> Option<Successor> {
    let nn = new.name(n).to_string();
    let (mut ev, shared, total) = evidence(old, new, o, n, mentions);
    let mut all_objects = !shared.is_empty() && shared.len() == total;
    let merged = match old.kc.lookup(&nn).filter(|&x| defined(old.kc, x)) {
        Some(x) => {
            // Only what changed between the trees links `o` to a symbol
            // that already existed: two symbols that had the same prompt
            // (or built the same objects) side by side in the old tree are
            // not one folded into the other.
            let (before, shared_before, _) = evidence(old, old, o, x, &[]);
            let fresh: Words = shared.difference(&shared_before).cloned().collect();
            ev.retain(|e| match e.kind {
                EvidenceKind::SameObjects => !fresh.is_empty(),
                k => !before.iter().any(|b| b.kind == k),
            });
            all_objects &= !fresh.is_empty();
            true
        }
        None => false,
    };
    if !ev.iter().any(|e| e.kind.strong()) {
        return None;
    }
    ev.sort_by_key(|e| e.kind);
    let score = ev.iter().map(|e| e.kind.weight()).sum();
    // Folding into a symbol that already existed needs more than one hint,
    // or every object of the old symbol now built under the other.
    if score < 3 || (merged && score < 4 && !all_objects) {
        return None;
    }
    Some(Successor {
        name: nn,
        merged,
        evidence: ev,
        score,
    })
}

/// The evidence linking old `o` to new `n`, the guarded words they share
/// and how many `o` has.
fn evidence(
    old: &Side,
    new: &Side,
    o: SymbolId,
    n: SymbolId,
    mentions: &[(SymbolId, String)],
) -> (Vec<Evidence>, Words, usize) {
    let (on, nn) = (old.name(o).to_string(), new.name(n).to_string());
    let mut ev = Vec::new();
    // Same prompt.
    let np: Vec<(String, String)> = new
        .kc
        .prompts(n)
        .filter_map(|p| p.text.as_ref().map(|t| (norm(t), new.kc.location_string(p.loc))))
        .collect();
    for p in old.kc.prompts(o) {
        let Some(t) = &p.text else { continue };
        if let Some((_, at)) = np.iter().find(|(x, _)| *x == norm(t)) {
            // A short prompt ("deflate") or one several symbols share
            // says little on its own.
            let specific =
                t.split_whitespace().count() >= 3 && new.prompts.get(&norm(t)).is_some_and(|v| v.len() == 1);
            ev.push(Evidence {
                kind: if specific {
                    EvidenceKind::SamePrompt
                } else {
                    EvidenceKind::SameShortPrompt
                },
                detail: format!(
                    "prompt \"{t}\" at {} ({}) and at {at} ({})",
                    old.kc.location_string(p.loc),
                    old.label,
                    new.label
                ),
            });
            break;
        }
    }
    // Mentions.
    for (m, how) in mentions {
        if *m == n {
            ev.push(Evidence {
                kind: EvidenceKind::MentionsOldName,
                detail: format!("{nn} names {on} in {how} ({})", new.label),
            });
            break;
        }
    }
    // Same Makefile words, same polarity.
    let (mut shared, mut total) = (BTreeSet::new(), BTreeSet::new());
    let mut lines: Vec<(String, String)> = Vec::new();
    for ro in old.refs.of(&on) {
        total.extend(ro.words.iter().map(|w| (w.clone(), ro.negated)));
        for rn in new.refs.of(&nn) {
            if rn.negated != ro.negated {
                continue;
            }
            let common: Vec<&String> = ro.words.iter().filter(|w| rn.words.contains(w)).collect();
            if !common.is_empty() {
                shared.extend(common.iter().map(|w| ((*w).clone(), ro.negated)));
                if lines.len() < 3 {
                    lines.push((ref_line(ro), ref_line(rn)));
                }
            }
        }
    }
    if !shared.is_empty() {
        let names: Vec<&str> = shared
            .iter()
            .take(6)
            .map(|(w, _)| {
                w.rsplit_once('/')
                    .map_or(w.as_str(), |(d, b)| if b.is_empty() { d } else { b })
            })
            .collect();
        let more = if shared.len() > 6 { ", ..." } else { "" };
        let l: Vec<String> = lines
            .iter()
            .map(|(a, b)| format!("{a} ({}) / {b} ({})", old.label, new.label))
            .collect();
        ev.push(Evidence {
            kind: EvidenceKind::SameObjects,
            detail: format!(
                "{} of {} guarded Makefile words built under both ({}{more}): {}",
                shared.len(),
                total.len(),
                names.join(", "),
                l.join("; ")
            ),
        });
    }
    // Help text.
    let (ho, hn) = (words(&old.help(o)), words(&new.help(n)));
    if ho.len() >= 5 && hn.len() >= 5 {
        let inter = ho.intersection(&hn).count();
        let union = ho.union(&hn).count();
        let j = inter * 100 / union.max(1);
        if j >= 60 {
            ev.push(Evidence {
                kind: EvidenceKind::SameHelp,
                detail: format!(
                    "help texts share {j}% of their words ({} at {}, {nn} at {})",
                    on,
                    old.at(o),
                    new.at(n)
                ),
            });
        }
    }
    // Selectors, selects, dependencies.
    let none = BTreeSet::new();
    let so = old.selectors.get(&o).unwrap_or(&none);
    let sn = new.selectors.get(&n).unwrap_or(&none);
    let common: Vec<&String> = so.intersection(sn).collect();
    if !common.is_empty() {
        ev.push(Evidence {
            kind: EvidenceKind::SameSelectors,
            detail: format!(
                "selected by {} in both trees",
                common.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let (to, tn) = (old.selects(o), new.selects(n));
    let common: Vec<&String> = to.intersection(&tn).collect();
    if !common.is_empty() {
        ev.push(Evidence {
            kind: EvidenceKind::SameSelects,
            detail: format!(
                "both select {}",
                common.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let (d_o, d_n) = (old.deps(o), new.deps(n));
    if !d_o.is_empty() && d_o == d_n {
        ev.push(Evidence {
            kind: EvidenceKind::SameDependencies,
            detail: format!(
                "both depend on {}",
                d_o.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    if similar_name(&on, &nn) {
        ev.push(Evidence {
            kind: EvidenceKind::SimilarName,
            detail: format!("{nn} contains {on}'s name"),
        });
    }
    let total = total.len();
    (ev, shared, total)
}
