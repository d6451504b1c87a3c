//! Lexer and parser for the Kconfig language (`lexer.l` + `parser.y`).
//!
//! The lexer mirrors the flex scanner state by state (INITIAL, STRING,
//! HELP, ASSIGN_VAL), including its quirks: `$(...)` inside a word expands to
//! exactly one word, help text ends at the first line indented less than its
//! first line, and `NAME := value` is only an assignment at the start of a
//! statement. The parser is a recursive-descent version of the bison grammar
//! that builds the menu tree exactly like `menu.c` does while parsing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::expr::{CmpOp, Expr, ExprRef};
use crate::model::*;
use crate::preprocess::{Flavor, Preprocessor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    Bool,
    Choice,
    Comment,
    Config,
    DefBool,
    DefTristate,
    Default,
    Depends,
    Endchoice,
    Endif,
    Endmenu,
    Help,
    Hex,
    If,
    Imply,
    Int,
    Mainmenu,
    Menu,
    Menuconfig,
    Modules,
    On,
    Optional,
    Prompt,
    Range,
    Select,
    Source,
    String,
    Tristate,
    Visible,
}

fn keyword(w: &[u8], dialect: Dialect) -> Option<Kw> {
    Some(match w {
        b"bool" => Kw::Bool,
        b"choice" => Kw::Choice,
        b"comment" => Kw::Comment,
        b"config" => Kw::Config,
        b"def_bool" => Kw::DefBool,
        b"def_tristate" => Kw::DefTristate,
        b"default" => Kw::Default,
        b"depends" => Kw::Depends,
        b"endchoice" => Kw::Endchoice,
        b"endif" => Kw::Endif,
        b"endmenu" => Kw::Endmenu,
        b"help" => Kw::Help,
        b"hex" => Kw::Hex,
        b"if" => Kw::If,
        b"imply" => Kw::Imply,
        b"int" => Kw::Int,
        b"mainmenu" => Kw::Mainmenu,
        b"menu" => Kw::Menu,
        b"menuconfig" => Kw::Menuconfig,
        b"modules" => Kw::Modules,
        b"on" => Kw::On,
        b"optional" if dialect == Dialect::Legacy => Kw::Optional,
        b"prompt" => Kw::Prompt,
        b"range" => Kw::Range,
        b"select" => Kw::Select,
        b"source" => Kw::Source,
        b"string" => Kw::String,
        b"tristate" => Kw::Tristate,
        b"visible" => Kw::Visible,
        _ => return None,
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Eol,
    Eof,
    Word(String),
    Quote(String),
    Kw(Kw),
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Not,
    LParen,
    RParen,
    ColonEq,
    PlusEq,
    AssignVal(String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Eol => "end of line".into(),
            Tok::Eof => "end of file".into(),
            Tok::Word(w) => format!("word '{w}'"),
            Tok::Quote(s) => format!("string \"{s}\""),
            Tok::Kw(k) => format!("keyword '{}'", format!("{k:?}").to_lowercase()),
            Tok::Or => "'||'".into(),
            Tok::And => "'&&'".into(),
            Tok::Eq => "'='".into(),
            Tok::Ne => "'!='".into(),
            Tok::Lt => "'<'".into(),
            Tok::Le => "'<='".into(),
            Tok::Gt => "'>'".into(),
            Tok::Ge => "'>='".into(),
            Tok::Not => "'!'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::ColonEq => "':='".into(),
            Tok::PlusEq => "'+='".into(),
            Tok::AssignVal(_) => "assignment value".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prev {
    Eol,
    HelpText,
    Word,
    Other,
}

struct Lexer {
    text: String,
    pos: usize,
    line: u32,
    file: FileId,
    name: String,
    source_line: u32,
}

/// A warning found while parsing (ignored characters, redefinitions, ...).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ParseWarning {
    /// Kconfig file.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Message.
    pub msg: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    List(MenuId),
    Next(MenuId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    Root,
    If,
    Menu,
    Choice,
}

pub(crate) struct Parser<'a> {
    pub m: Model,
    pub pp: &'a mut Preprocessor,
    srctree: PathBuf,
    lexers: Vec<Lexer>,
    peeked: Option<Tok>,
    prev: Prev,
    prev_prev: Prev,
    assign_mode: bool,
    cur_line: u32,
    cur_file: FileId,
    current_entry: MenuId,
    current_menu: MenuId,
    last_entry: Link,
    current_choice: Option<ChoiceId>,
    in_choice_restricted: bool,
    pub warnings: Vec<ParseWarning>,
    /// In a speculative pass missing files are skipped instead of failing.
    pub tolerate_missing: bool,
    /// The first missing file seen while tolerating.
    pub missing: Option<Error>,
    depth: usize,
    file_ids: FxHashMap<String, FileId>,
}

/// Nesting limit for blocks and expressions (keeps the stack bounded).
const MAX_DEPTH: usize = 200;

type PResult<T> = Result<T, Error>;

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

impl<'a> Parser<'a> {
    pub fn new(dialect: Dialect, srctree: &Path, pp: &'a mut Preprocessor) -> Parser<'a> {
        let mut m = Model::new(dialect);
        m.names.reserve(32 * 1024);
        let root = m.root;
        Parser {
            m,
            pp,
            srctree: srctree.to_path_buf(),
            lexers: Vec::new(),
            peeked: None,
            prev: Prev::Eol,
            prev_prev: Prev::Eol,
            assign_mode: false,
            cur_line: 0,
            cur_file: FileId(0),
            current_entry: root,
            current_menu: root,
            last_entry: Link::List(root),
            current_choice: None,
            in_choice_restricted: false,
            warnings: Vec::new(),
            tolerate_missing: false,
            missing: None,
            depth: 0,
            file_ids: FxHashMap::default(),
        }
    }

    // ---------------------------------------------------------------- files

    fn file_id(&mut self, name: &str) -> FileId {
        if let Some(&i) = self.file_ids.get(name) {
            return i;
        }
        let id = FileId(self.m.files.len() as u32);
        self.m.files.push(name.to_string());
        self.file_ids.insert(name.to_string(), id);
        id
    }

    fn resolve(&self, name: &str) -> PathBuf {
        let p = Path::new(name);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.srctree.join(p)
        }
    }

    fn push_file(&mut self, name: &str, text: Vec<u8>) {
        let file = self.file_id(name);
        let text = match String::from_utf8(text) {
            Ok(t) => t,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        self.lexers.push(Lexer {
            text,
            pos: 0,
            line: 1,
            file,
            name: name.to_string(),
            source_line: self.cur_line,
        });
        self.pp.file = name.to_string();
        self.pp.line = 1;
    }

    /// `zconf_nextfile`.
    fn open_source(&mut self, name: &str, optional: bool) -> PResult<()> {
        if self.lexers.iter().any(|l| l.name == name) {
            let mut msg = format!("Recursive inclusion detected.\nInclusion path:\n  current file : {name}");
            for l in self.lexers.iter().rev() {
                msg.push_str(&format!("\n  included from: {}:{}", l.name, l.source_line));
            }
            return Err(self.error(msg));
        }
        match std::fs::read(self.resolve(name)) {
            Ok(t) => {
                self.push_file(name, t);
                Ok(())
            }
            Err(_) if optional => Ok(()),
            Err(_) if self.tolerate_missing => {
                if self.missing.is_none() {
                    self.missing = Some(self.error(format!("can't open file \"{name}\"")));
                }
                Ok(())
            }
            Err(_) => Err(self.error(format!("can't open file \"{name}\""))),
        }
    }

    pub fn parse_root(&mut self, name: &str) -> PResult<()> {
        let text = std::fs::read(self.resolve(name)).map_err(|e| Error::io(self.resolve(name), e))?;
        self.parse_root_text(name, &String::from_utf8_lossy(&text))
    }

    pub fn parse_root_text(&mut self, name: &str, text: &str) -> PResult<()> {
        self.push_file(name, text.as_bytes().to_vec());
        self.cur_file = self.lexers[0].file;
        self.cur_line = 1;
        // input: mainmenu_stmt stmt_list | stmt_list
        if self.peek()? == Tok::Kw(Kw::Mainmenu) {
            self.next()?;
            let t = self.expect_quote("mainmenu title")?;
            self.expect_eol()?;
            let root = self.m.root;
            self.current_entry = root;
            self.menu_add_prompt(PropKind::Menu, &t, None);
        }
        self.parse_block(Block::Root)?;
        Ok(())
    }

    // ---------------------------------------------------------------- lexer

    fn error(&self, msg: String) -> Error {
        Error::Parse {
            file: self
                .m
                .files
                .get(self.cur_file.index())
                .cloned()
                .unwrap_or_default(),
            line: self.cur_line,
            msg,
        }
    }

    fn warn(&mut self, line: u32, msg: String) {
        let file = self.lexers.last().map(|l| l.name.clone()).unwrap_or_default();
        self.warnings.push(ParseWarning { file, line, msg });
    }

    fn peek(&mut self) -> PResult<Tok> {
        if self.peeked.is_none() {
            let t = self.lex()?;
            self.peeked = Some(t);
        }
        Ok(self.peeked.clone().unwrap_or(Tok::Eof))
    }

    fn next(&mut self) -> PResult<Tok> {
        if let Some(t) = self.peeked.take() {
            return Ok(t);
        }
        self.lex()
    }

    /// `yylex`: drops redundant end-of-lines, records the statement line,
    /// switches to ASSIGN_VAL after `WORD =` at a statement start.
    fn lex(&mut self) -> PResult<Tok> {
        loop {
            let start_line = self.lexers.last().map(|l| l.line).unwrap_or(0);
            let tok = self.lex1()?;
            if matches!(self.prev, Prev::Eol | Prev::HelpText) {
                if tok == Tok::Eol {
                    continue;
                }
                let _ = start_line;
                if let Some(l) = self.lexers.last() {
                    self.cur_line = l.line;
                    self.cur_file = l.file;
                }
            }
            if self.prev_prev == Prev::Eol
                && self.prev == Prev::Word
                && matches!(tok, Tok::Eq | Tok::ColonEq | Tok::PlusEq)
            {
                self.assign_mode = true;
            }
            let kind = match tok {
                Tok::Eol => Prev::Eol,
                Tok::Word(_) => Prev::Word,
                _ => Prev::Other,
            };
            self.prev_prev = std::mem::replace(&mut self.prev, kind);
            return Ok(tok);
        }
    }

    fn lex1(&mut self) -> PResult<Tok> {
        loop {
            let Some(lx) = self.lexers.last_mut() else {
                return Ok(Tok::Eof);
            };
            if self.pp.line != lx.line {
                self.pp.line = lx.line;
            }
            let b = lx.text.as_bytes();
            let len = b.len();
            if self.assign_mode {
                // <ASSIGN_VAL>
                while lx.pos < len && (b[lx.pos] == b' ' || b[lx.pos] == b'\t') {
                    lx.pos += 1;
                }
                if lx.pos < len && b[lx.pos] != b'\n' {
                    let s = lx.pos;
                    while lx.pos < len && b[lx.pos] != b'\n' {
                        lx.pos += 1;
                    }
                    return Ok(Tok::AssignVal(lx.text[s..lx.pos].to_string()));
                }
                self.assign_mode = false;
                if lx.pos < len {
                    lx.pos += 1;
                    lx.line += 1;
                    return Ok(Tok::Eol);
                }
                // fall through to EOF handling
            }
            if lx.pos >= len {
                let last = !self.lexers.is_empty() && self.lexers.len() == 1;
                if last {
                    self.lexers.pop();
                    return Ok(Tok::Eof);
                }
                self.lexers.pop();
                if let Some(l) = self.lexers.last() {
                    self.pp.file = l.name.clone();
                    self.pp.line = l.line;
                }
                return Ok(Tok::Eol);
            }
            let c = b[lx.pos];
            match c {
                b'#' => {
                    while lx.pos < len && b[lx.pos] != b'\n' {
                        lx.pos += 1;
                    }
                }
                b' ' | b'\t' => lx.pos += 1,
                b'\\' if lx.pos + 1 < len && b[lx.pos + 1] == b'\n' => {
                    lx.pos += 2;
                    lx.line += 1;
                }
                b'\n' => {
                    lx.pos += 1;
                    lx.line += 1;
                    return Ok(Tok::Eol);
                }
                b'"' | b'\'' => {
                    lx.pos += 1;
                    return self.lex_string(c);
                }
                b'|' if lx.pos + 1 < len && b[lx.pos + 1] == b'|' => {
                    lx.pos += 2;
                    return Ok(Tok::Or);
                }
                b'&' if lx.pos + 1 < len && b[lx.pos + 1] == b'&' => {
                    lx.pos += 2;
                    return Ok(Tok::And);
                }
                b'=' => {
                    lx.pos += 1;
                    return Ok(Tok::Eq);
                }
                b'!' => {
                    lx.pos += 1;
                    if lx.pos < len && b[lx.pos] == b'=' {
                        lx.pos += 1;
                        return Ok(Tok::Ne);
                    }
                    return Ok(Tok::Not);
                }
                b'<' | b'>' => {
                    lx.pos += 1;
                    let eq = lx.pos < len && b[lx.pos] == b'=';
                    if eq {
                        lx.pos += 1;
                    }
                    return Ok(match (c, eq) {
                        (b'<', false) => Tok::Lt,
                        (b'<', true) => Tok::Le,
                        (_, false) => Tok::Gt,
                        (_, true) => Tok::Ge,
                    });
                }
                b'(' => {
                    lx.pos += 1;
                    return Ok(Tok::LParen);
                }
                b')' => {
                    lx.pos += 1;
                    return Ok(Tok::RParen);
                }
                b':' if lx.pos + 1 < len && b[lx.pos + 1] == b'=' => {
                    lx.pos += 2;
                    return Ok(Tok::ColonEq);
                }
                b'+' if lx.pos + 1 < len && b[lx.pos + 1] == b'=' => {
                    lx.pos += 2;
                    return Ok(Tok::PlusEq);
                }
                c if is_name_char(c) || c == b'$' => {
                    let s = lx.pos;
                    let mut e = s;
                    let mut has_dollar = false;
                    while e < len && (is_name_char(b[e]) || b[e] == b'$') {
                        has_dollar |= b[e] == b'$';
                        e += 1;
                    }
                    if !has_dollar {
                        lx.pos = e;
                        if let Some(k) = keyword(&b[s..e], self.m.dialect) {
                            return Ok(Tok::Kw(k));
                        }
                        return Ok(Tok::Word(lx.text[s..e].to_string()));
                    }
                    // expand_token: expand from here to the end of the token,
                    // references may contain spaces.
                    let mut eol = s;
                    while eol < len && b[eol] != b'\n' {
                        eol += 1;
                    }
                    let rest = lx.text[s..eol].to_string();
                    let (out, used) = self.pp.expand_token(&rest)?;
                    let Some(lx) = self.lexers.last_mut() else {
                        return Ok(Tok::Eof);
                    };
                    lx.pos = s + used.min(eol - s);
                    if !out.is_empty() {
                        return Ok(Tok::Word(out));
                    }
                }
                _ => {
                    let line = lx.line;
                    lx.pos += 1;
                    // skip the rest of a UTF-8 sequence
                    while lx.pos < len && !lx.text.is_char_boundary(lx.pos) {
                        lx.pos += 1;
                    }
                    self.warn(line, format!("ignoring unsupported character '{}'", c as char));
                }
            }
        }
    }

    fn lex_string(&mut self, quote: u8) -> PResult<Tok> {
        let mut out: Vec<u8> = Vec::new();
        while let Some(lx) = self.lexers.last_mut() {
            let tb = lx.text.as_bytes();
            let len = tb.len();
            if lx.pos >= len {
                break;
            }
            let c = tb[lx.pos];
            match c {
                b'$' => {
                    let mut eol = lx.pos + 1;
                    while eol < len && tb[eol] != b'\n' {
                        eol += 1;
                    }
                    let rest = lx.text[lx.pos + 1..eol].to_string();
                    let start = lx.pos + 1;
                    let (e, used) = self.pp.expand_dollar(&rest, &[])?;
                    out.extend_from_slice(e.as_bytes());
                    let Some(lx) = self.lexers.last_mut() else { break };
                    lx.pos = start + used;
                }
                b'\\' => {
                    lx.pos += 1;
                    if lx.pos < len && tb[lx.pos] != b'\n' {
                        out.push(tb[lx.pos]);
                        lx.pos += 1;
                    }
                }
                b'"' | b'\'' => {
                    lx.pos += 1;
                    if c == quote {
                        break;
                    }
                    out.push(c);
                }
                b'\n' => {
                    let line = lx.line;
                    self.warn(line, "multi-line strings not supported".into());
                    break;
                }
                _ => {
                    out.push(c);
                    lx.pos += 1;
                }
            }
        }
        Ok(Tok::Quote(String::from_utf8_lossy(&out).into_owned()))
    }

    /// The HELP start condition: returns the help text.
    fn lex_help(&mut self) -> String {
        let mut text = String::new();
        let mut first_ts = 0usize;
        let mut last_ts = 0usize;
        if let Some(lx) = self.lexers.last_mut() {
            let b = lx.text.as_bytes();
            let len = b.len();
            while lx.pos < len {
                // leading whitespace
                let mut p = lx.pos;
                let mut ts = 0usize;
                while p < len && (b[p] == b' ' || b[p] == b'\t') {
                    ts = if b[p] == b'\t' { (ts & !7) + 8 } else { ts + 1 };
                    p += 1;
                }
                if p < len && b[p] == b'\n' {
                    // blank line: `[ \t]*\n/[^ \t\n]` ends the help text
                    lx.pos = p + 1;
                    lx.line += 1;
                    if lx.pos < len && !matches!(b[lx.pos], b' ' | b'\t' | b'\n') {
                        break;
                    }
                    text.push('\n');
                    continue;
                }
                if p >= len {
                    lx.pos = p;
                    break;
                }
                if p > lx.pos {
                    last_ts = ts;
                    if first_ts != 0 {
                        if ts < first_ts {
                            lx.pos = p;
                            break;
                        }
                        let extra = ts - first_ts;
                        text.extend(std::iter::repeat_n(' ', extra));
                    }
                }
                // `[^ \t\n].*`
                let s = p;
                while p < len && b[p] != b'\n' {
                    p += 1;
                }
                let mut e = p;
                while e > s && (b[e - 1] == b' ' || b[e - 1] == b'\t') {
                    e -= 1;
                }
                text.push_str(&lx.text[s..e]);
                if first_ts == 0 {
                    first_ts = last_ts;
                }
                lx.pos = p;
                if p < len {
                    lx.pos = p + 1;
                    lx.line += 1;
                    if lx.pos < len && !matches!(b[lx.pos], b' ' | b'\t' | b'\n') {
                        break;
                    }
                    text.push('\n');
                }
            }
        }
        self.prev_prev = std::mem::replace(&mut self.prev, Prev::HelpText);
        text
    }

    // ---------------------------------------------------------------- helpers

    fn unexpected(&self, expected: &str, found: &Tok) -> Error {
        self.error(format!("expected {expected}, found {}", found.describe()))
    }

    fn expect_eol(&mut self) -> PResult<()> {
        match self.next()? {
            Tok::Eol | Tok::Eof => Ok(()),
            t => Err(self.unexpected("end of line", &t)),
        }
    }

    fn expect_quote(&mut self, what: &str) -> PResult<String> {
        match self.next()? {
            Tok::Quote(s) => Ok(s),
            t => Err(self.unexpected(&format!("quoted {what}"), &t)),
        }
    }

    fn expect_word(&mut self, what: &str) -> PResult<String> {
        match self.next()? {
            Tok::Word(s) => Ok(s),
            t => Err(self.unexpected(what, &t)),
        }
    }

    fn loc(&self) -> Location {
        Location {
            file: self.cur_file,
            line: self.cur_line,
        }
    }

    // ---------------------------------------------------------------- menu.c

    fn new_menu(&mut self, node: MenuNode) -> MenuId {
        self.m.menus.push(node);
        MenuId(self.m.menus.len() as u32 - 1)
    }

    fn menu_add_entry(&mut self, sym: Option<SymbolId>) -> MenuId {
        let id = self.new_menu(MenuNode {
            sym,
            parent: Some(self.current_menu),
            loc: Some(self.loc()),
            ..Default::default()
        });
        match self.last_entry {
            Link::List(p) => self.m.menus[p.index()].list = Some(id),
            Link::Next(p) => self.m.menus[p.index()].next = Some(id),
        }
        self.last_entry = Link::Next(id);
        self.current_entry = id;
        if let Some(s) = sym {
            self.m.symbols[s.index()].menus.push(id);
        }
        id
    }

    fn menu_add_menu(&mut self) {
        self.last_entry = Link::List(self.current_entry);
        self.current_menu = self.current_entry;
    }

    fn menu_end_menu(&mut self) {
        self.last_entry = Link::Next(self.current_menu);
        if let Some(p) = self.m.menus[self.current_menu.index()].parent {
            self.current_menu = p;
        }
    }

    fn menu_add_dep(&mut self, e: ExprRef) {
        let m = &mut self.m.menus[self.current_entry.index()];
        m.dep = Expr::and(m.dep.take(), Some(e));
    }

    fn menu_set_type(&mut self, ty: SymbolType) {
        let Some(s) = self.m.menus[self.current_entry.index()].sym else {
            return;
        };
        let cur = self.m.symbols[s.index()].ty;
        if cur == ty {
            return;
        }
        if cur == SymbolType::Unknown {
            self.m.symbols[s.index()].ty = ty;
            return;
        }
        let name = self.m.symbols[s.index()].name.clone();
        let line = self.cur_line;
        self.warn(
            line,
            format!(
                "ignoring type redefinition of '{}' from '{}' to '{}'",
                name,
                cur.name(),
                ty.name()
            ),
        );
    }

    fn menu_add_prop(&mut self, mut p: Property) -> PropId {
        p.menu = self.current_entry;
        let id = PropId(self.m.props.len() as u32);
        self.m.props.push(p);
        if let Some(s) = self.m.menus[self.current_entry.index()].sym {
            self.m.symbols[s.index()].props.push(id);
        }
        id
    }

    fn prop(&self, kind: PropKind, cond: Option<ExprRef>) -> Property {
        Property {
            kind,
            text: None,
            expr: None,
            target: None,
            range: None,
            cond,
            menu: self.current_entry,
            loc: self.loc(),
        }
    }

    fn menu_add_prompt(&mut self, kind: PropKind, text: &str, cond: Option<ExprRef>) -> PropId {
        let mut p = self.prop(kind, cond);
        let trimmed = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.len() != text.len() {
            let line = self.cur_line;
            self.warn(line, "leading whitespace ignored".into());
        }
        if self.m.menus[self.current_entry.index()].prompt.is_some() {
            let line = self.cur_line;
            self.warn(line, "prompt redefined".into());
        }
        if kind == PropKind::Prompt {
            // Apply all upper menus' visibilities to actual prompts.
            let mut m = self.m.menus[self.current_entry.index()].parent;
            while let Some(id) = m {
                let node = &self.m.menus[id.index()];
                if let Some(v) = &node.visibility {
                    p.cond = Expr::and(p.cond.take(), Some(v.clone()));
                }
                m = node.parent;
            }
        }
        p.text = Some(trimmed.to_string());
        let id = self.menu_add_prop(p);
        self.m.menus[self.current_entry.index()].prompt = Some(id);
        id
    }

    // ---------------------------------------------------------------- grammar

    fn parse_block(&mut self, block: Block) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("blocks nested deeper than {MAX_DEPTH} levels")));
        }
        let r = self.parse_block_inner(block);
        self.depth -= 1;
        r
    }

    fn parse_block_inner(&mut self, block: Block) -> PResult<()> {
        loop {
            let t = self.peek()?;
            match t {
                Tok::Eof => {
                    if block != Block::Root {
                        let what = match block {
                            Block::If => "if",
                            Block::Menu => "menu",
                            _ => "choice",
                        };
                        return Err(self.error(format!(
                            "missing end statement for this entry: expected 'end{what}', found end of file"
                        )));
                    }
                    return Ok(());
                }
                Tok::Eol => {
                    self.next()?;
                }
                Tok::Kw(k @ (Kw::Endmenu | Kw::Endchoice | Kw::Endif)) => {
                    self.next()?;
                    self.expect_eol()?;
                    let want = match block {
                        Block::Root => None,
                        Block::If => Some(Kw::Endif),
                        Block::Menu => Some(Kw::Endmenu),
                        Block::Choice => Some(Kw::Endchoice),
                    };
                    if want != Some(k) {
                        let found = format!("{k:?}").to_lowercase();
                        let msg = match want {
                            None => format!("unexpected '{found}' statement"),
                            Some(w) => {
                                format!("expected '{}', found '{found}'", format!("{w:?}").to_lowercase())
                            }
                        };
                        return Err(self.error(msg));
                    }
                    return Ok(());
                }
                _ => self.parse_stmt()?,
            }
        }
    }

    fn parse_stmt(&mut self) -> PResult<()> {
        let t = self.next()?;
        let restricted = self.in_choice_restricted;
        match t {
            Tok::Kw(Kw::Config) => self.parse_config(false),
            Tok::Kw(Kw::Menuconfig) if !restricted => self.parse_config(true),
            Tok::Kw(Kw::Comment) => self.parse_comment(),
            Tok::Kw(Kw::If) => self.parse_if(),
            Tok::Kw(Kw::Choice) if !restricted && self.current_choice.is_none() => self.parse_choice(),
            Tok::Kw(Kw::Menu) if !restricted => self.parse_menu(),
            Tok::Kw(Kw::Source) if !restricted || self.m.dialect == Dialect::Legacy => {
                let name = self.expect_quote("file name")?;
                self.expect_eol()?;
                self.open_source(&name, false)
            }
            Tok::Word(w) => {
                if let Some((optional, relative)) = match w.as_str() {
                    "osource" => Some((true, false)),
                    "rsource" => Some((false, true)),
                    "orsource" => Some((true, true)),
                    _ => None,
                } {
                    if let Tok::Quote(_) = self.peek()? {
                        let name = self.expect_quote("file name")?;
                        self.expect_eol()?;
                        return self.source_ext(&name, optional, relative);
                    }
                }
                match self.peek()? {
                    Tok::Eq | Tok::ColonEq | Tok::PlusEq if !restricted => {
                        let flavor = match self.next()? {
                            Tok::Eq => Flavor::Recursive,
                            Tok::ColonEq => Flavor::Simple,
                            _ => Flavor::Append,
                        };
                        let val = match self.next()? {
                            Tok::AssignVal(v) => {
                                self.expect_eol()?;
                                v
                            }
                            Tok::Eol | Tok::Eof => String::new(),
                            t => return Err(self.unexpected("assignment value", &t)),
                        };
                        self.pp.add_var(&w, &val, flavor)
                    }
                    _ => Err(self.error(format!("unknown statement \"{w}\""))),
                }
            }
            t => Err(self.error(format!(
                "invalid statement: expected config, menuconfig, choice, comment, menu, if, source or an assignment, found {}",
                t.describe()
            ))),
        }
    }

    /// `osource`/`rsource`/`orsource` (Kconfiglib extensions; not used by
    /// Linux), with glob(3) wildcards as Kconfiglib's (Python's `glob`).
    fn source_ext(&mut self, pattern: &str, optional: bool, relative: bool) -> PResult<()> {
        let base = if relative {
            let cur = self.lexers.last().map(|l| l.name.clone()).unwrap_or_default();
            Path::new(&cur)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let full = if base.is_empty() {
            pattern.to_string()
        } else {
            format!("{base}/{pattern}")
        };
        let files = if kfit_util::glob::has_wildcard(&full) {
            kfit_util::glob::glob_files(&self.srctree, &full)
        } else {
            vec![full.clone()]
        };
        if files.is_empty() && !optional {
            return Err(self.error(format!("can't open file \"{full}\"")));
        }
        // Push in reverse so that the first file is parsed first.
        for f in files.iter().rev() {
            self.open_source(f, optional)?;
        }
        Ok(())
    }

    fn parse_if_expr(&mut self) -> PResult<Option<ExprRef>> {
        if self.peek()? == Tok::Kw(Kw::If) {
            self.next()?;
            return Ok(Some(self.parse_expr()?));
        }
        Ok(None)
    }

    fn parse_depends(&mut self) -> PResult<()> {
        match self.next()? {
            Tok::Kw(Kw::On) => {}
            t => return Err(self.unexpected("'on' after 'depends'", &t)),
        }
        let e = self.parse_expr()?;
        self.expect_eol()?;
        self.menu_add_dep(e);
        Ok(())
    }

    fn parse_help(&mut self) -> PResult<()> {
        self.expect_eol()?;
        let text = self.lex_help();
        self.m.menus[self.current_entry.index()].help = Some(text);
        Ok(())
    }

    fn parse_config(&mut self, menuconfig: bool) -> PResult<()> {
        let name = self.expect_word("symbol name")?;
        let sym = self.m.lookup_or_create(&name, false);
        self.expect_eol()?;
        self.menu_add_entry(Some(sym));
        loop {
            match self.peek()? {
                Tok::Kw(k @ (Kw::Bool | Kw::Tristate | Kw::Int | Kw::Hex | Kw::String)) => {
                    self.next()?;
                    if let Tok::Quote(_) = self.peek()? {
                        let text = self.expect_quote("prompt")?;
                        let cond = self.parse_if_expr()?;
                        self.menu_add_prompt(PropKind::Prompt, &text, cond);
                    }
                    self.expect_eol()?;
                    self.menu_set_type(kw_type(k));
                }
                Tok::Kw(Kw::Prompt) => {
                    self.next()?;
                    let text = self.expect_quote("prompt")?;
                    let cond = self.parse_if_expr()?;
                    self.expect_eol()?;
                    self.menu_add_prompt(PropKind::Prompt, &text, cond);
                }
                Tok::Kw(k @ (Kw::Default | Kw::DefBool | Kw::DefTristate)) => {
                    self.next()?;
                    let e = self.parse_expr()?;
                    let cond = self.parse_if_expr()?;
                    self.expect_eol()?;
                    let mut p = self.prop(PropKind::Default, cond);
                    p.expr = Some(e);
                    self.menu_add_prop(p);
                    match k {
                        Kw::DefBool => self.menu_set_type(SymbolType::Bool),
                        Kw::DefTristate => self.menu_set_type(SymbolType::Tristate),
                        _ => {}
                    }
                }
                Tok::Kw(k @ (Kw::Select | Kw::Imply)) => {
                    self.next()?;
                    let target = self.expect_word("symbol name")?;
                    let t = self.m.lookup_or_create(&target, false);
                    let cond = self.parse_if_expr()?;
                    self.expect_eol()?;
                    let kind = if k == Kw::Select {
                        PropKind::Select
                    } else {
                        PropKind::Imply
                    };
                    let mut p = self.prop(kind, cond);
                    p.target = Some(t);
                    p.expr = Some(Model::sym_expr(t));
                    self.menu_add_prop(p);
                }
                Tok::Kw(Kw::Range) => {
                    self.next()?;
                    let a = self.parse_symbol()?;
                    let b = self.parse_symbol()?;
                    let cond = self.parse_if_expr()?;
                    self.expect_eol()?;
                    let mut p = self.prop(PropKind::Range, cond);
                    p.range = Some((a, b));
                    self.menu_add_prop(p);
                }
                Tok::Kw(Kw::Modules) => {
                    self.next()?;
                    self.expect_eol()?;
                    if self.m.modules_sym != SYM_NO {
                        let (a, b) = (name.clone(), self.m.sym(self.m.modules_sym).name.clone());
                        return Err(self.error(format!(
                            "symbol '{a}' redefines option 'modules' already defined by symbol '{b}'"
                        )));
                    }
                    self.m.modules_sym = sym;
                }
                Tok::Kw(Kw::Depends) => {
                    self.next()?;
                    self.parse_depends()?;
                }
                Tok::Kw(Kw::Help) => {
                    self.next()?;
                    self.parse_help()?;
                }
                _ => break,
            }
        }
        let entry = self.current_entry;
        if menuconfig {
            match self.m.menus[entry.index()].prompt {
                Some(p) => self.m.props[p.index()].kind = PropKind::Menu,
                None => {
                    let line = self.cur_line;
                    self.warn(line, "menuconfig statement without prompt".into());
                }
            }
        }
        if let Some(c) = self.current_choice {
            if self.m.dialect == Dialect::Modern {
                let loc = self.m.menus[entry.index()].loc;
                let at = |s: &Self, msg: &str| match loc {
                    Some(l) => Error::Parse {
                        file: s.m.files[l.file.index()].clone(),
                        line: l.line,
                        msg: msg.into(),
                    },
                    None => s.error(msg.into()),
                };
                if self.m.menus[entry.index()].prompt.is_none() {
                    return Err(at(self, "choice member must have a prompt"));
                }
                if self.m.symbols[sym.index()].ty != SymbolType::Bool {
                    return Err(at(self, "choice member must be bool"));
                }
                if self.m.symbols[sym.index()].choice.is_none() {
                    self.m.symbols[sym.index()].choice = Some(c);
                    self.m.choices[c.index()].members.push(sym);
                }
            }
        }
        Ok(())
    }

    fn parse_choice(&mut self) -> PResult<()> {
        // 6.1 allows a (rarely used) name after `choice`.
        if self.m.dialect == Dialect::Legacy {
            if let Tok::Word(_) = self.peek()? {
                self.next()?;
            }
        }
        self.expect_eol()?;
        let sym = self.m.new_choice_symbol();
        let menu = self.menu_add_entry(Some(sym));
        let cid = ChoiceId(self.m.choices.len() as u32);
        self.m.choices.push(Choice {
            sym,
            menu,
            members: Vec::new(),
        });
        self.m.symbols[sym.index()].choice_block = Some(cid);
        self.m.symbols[sym.index()].optional = false;
        self.m.menus[menu.index()].is_choice = true;
        if self.m.dialect == Dialect::Modern {
            self.menu_set_type(SymbolType::Bool);
        }
        loop {
            match self.peek()? {
                Tok::Kw(Kw::Prompt) => {
                    self.next()?;
                    let text = self.expect_quote("prompt")?;
                    let cond = self.parse_if_expr()?;
                    self.expect_eol()?;
                    self.menu_add_prompt(PropKind::Prompt, &text, cond);
                }
                Tok::Kw(k @ (Kw::Bool | Kw::Tristate)) => {
                    self.next()?;
                    if self.m.dialect == Dialect::Modern {
                        if k == Kw::Tristate {
                            return Err(
                                self.error("expected 'bool' or 'prompt' in choice, found 'tristate'".into())
                            );
                        }
                        let text = self.expect_quote("prompt")?;
                        let cond = self.parse_if_expr()?;
                        self.expect_eol()?;
                        self.menu_add_prompt(PropKind::Prompt, &text, cond);
                    } else {
                        if let Tok::Quote(_) = self.peek()? {
                            let text = self.expect_quote("prompt")?;
                            let cond = self.parse_if_expr()?;
                            self.menu_add_prompt(PropKind::Prompt, &text, cond);
                        }
                        self.expect_eol()?;
                        self.menu_set_type(kw_type(k));
                    }
                }
                Tok::Kw(Kw::Optional) => {
                    self.next()?;
                    self.expect_eol()?;
                    self.m.symbols[sym.index()].optional = true;
                }
                Tok::Kw(Kw::Default) => {
                    self.next()?;
                    let target = self.expect_word("symbol name")?;
                    let t = self.m.lookup_or_create(&target, false);
                    let cond = self.parse_if_expr()?;
                    self.expect_eol()?;
                    let mut p = self.prop(PropKind::Default, cond);
                    p.expr = Some(Model::sym_expr(t));
                    p.target = Some(t);
                    self.menu_add_prop(p);
                }
                Tok::Kw(Kw::Depends) => {
                    self.next()?;
                    self.parse_depends()?;
                }
                Tok::Kw(Kw::Help) => {
                    self.next()?;
                    self.parse_help()?;
                }
                _ => break,
            }
        }
        if self.m.dialect == Dialect::Modern && self.m.menus[menu.index()].prompt.is_none() {
            return Err(self.error("choice must have a prompt".into()));
        }
        self.menu_add_menu();
        let saved = (self.current_choice, self.in_choice_restricted);
        self.current_choice = Some(cid);
        self.in_choice_restricted = self.m.dialect == Dialect::Modern;
        let r = self.parse_block(Block::Choice);
        self.current_choice = saved.0;
        self.in_choice_restricted = saved.1;
        r?;
        self.menu_end_menu();
        Ok(())
    }

    fn parse_if(&mut self) -> PResult<()> {
        let e = self.parse_expr()?;
        self.expect_eol()?;
        self.menu_add_entry(None);
        self.menu_add_dep(e);
        self.menu_add_menu();
        self.parse_block(Block::If)?;
        self.menu_end_menu();
        Ok(())
    }

    fn parse_menu(&mut self) -> PResult<()> {
        let text = self.expect_quote("menu title")?;
        self.expect_eol()?;
        self.menu_add_entry(None);
        self.menu_add_prompt(PropKind::Menu, &text, None);
        loop {
            match self.peek()? {
                Tok::Kw(Kw::Visible) => {
                    self.next()?;
                    let e = self.parse_if_expr()?;
                    self.expect_eol()?;
                    if let Some(e) = e {
                        let m = &mut self.m.menus[self.current_entry.index()];
                        m.visibility = Expr::and(m.visibility.take(), Some(e));
                    }
                }
                Tok::Kw(Kw::Depends) => {
                    self.next()?;
                    self.parse_depends()?;
                }
                _ => break,
            }
        }
        self.menu_add_menu();
        let saved = self.in_choice_restricted;
        self.in_choice_restricted = false;
        let r = self.parse_block(Block::Menu);
        self.in_choice_restricted = saved;
        r?;
        self.menu_end_menu();
        Ok(())
    }

    fn parse_comment(&mut self) -> PResult<()> {
        let text = self.expect_quote("comment text")?;
        self.expect_eol()?;
        self.menu_add_entry(None);
        self.menu_add_prompt(PropKind::Comment, &text, None);
        while self.peek()? == Tok::Kw(Kw::Depends) {
            self.next()?;
            self.parse_depends()?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- expressions

    fn parse_expr(&mut self) -> PResult<ExprRef> {
        let mut l = self.parse_and()?;
        while self.peek()? == Tok::Or {
            self.next()?;
            let r = self.parse_and()?;
            l = Arc::new(Expr::Or(l, r));
        }
        Ok(l)
    }

    fn parse_and(&mut self) -> PResult<ExprRef> {
        let mut l = self.parse_unary()?;
        while self.peek()? == Tok::And {
            self.next()?;
            let r = self.parse_unary()?;
            l = Arc::new(Expr::And(l, r));
        }
        Ok(l)
    }

    fn parse_unary(&mut self) -> PResult<ExprRef> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("expression nested deeper than {MAX_DEPTH} levels")));
        }
        let r = self.parse_unary_inner();
        self.depth -= 1;
        r
    }

    fn parse_unary_inner(&mut self) -> PResult<ExprRef> {
        match self.peek()? {
            Tok::Not => {
                self.next()?;
                let e = self.parse_unary()?;
                Ok(Arc::new(Expr::Not(e)))
            }
            Tok::LParen => {
                self.next()?;
                let e = self.parse_expr()?;
                match self.next()? {
                    Tok::RParen => Ok(e),
                    t => Err(self.unexpected("')'", &t)),
                }
            }
            _ => {
                let a = self.parse_symbol()?;
                let op = match self.peek()? {
                    Tok::Eq => CmpOp::Eq,
                    Tok::Ne => CmpOp::Ne,
                    Tok::Lt => CmpOp::Lt,
                    Tok::Le => CmpOp::Le,
                    Tok::Gt => CmpOp::Gt,
                    Tok::Ge => CmpOp::Ge,
                    _ => return Ok(Model::sym_expr(a)),
                };
                self.next()?;
                let b = self.parse_symbol()?;
                Ok(Arc::new(Expr::Cmp(op, a, b)))
            }
        }
    }

    fn parse_symbol(&mut self) -> PResult<SymbolId> {
        match self.next()? {
            Tok::Word(w) => Ok(self.m.lookup_or_create(&w, false)),
            Tok::Quote(q) => Ok(self.m.lookup_or_create(&q, true)),
            t => Err(self.unexpected("symbol, '!' or '('", &t)),
        }
    }
}

fn kw_type(k: Kw) -> SymbolType {
    match k {
        Kw::Bool => SymbolType::Bool,
        Kw::Tristate => SymbolType::Tristate,
        Kw::Int => SymbolType::Int,
        Kw::Hex => SymbolType::Hex,
        _ => SymbolType::String,
    }
}
