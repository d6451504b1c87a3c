//! The data model: symbols, properties, menu nodes and choices in arenas,
//! addressed by typed ids.
//!
//! A *symbol* is a name that can hold a value (`config FOO`). A *menu node*
//! is one entry of the menu tree (`config`, `menu`, `comment`, `choice`,
//! `if`); a symbol defined in several places has one menu node per
//! definition. A *property* is one `prompt`/`default`/`select`/`imply`/`range`
//! line, attached to the symbol and remembering which menu node it came from.

/// FxHash: symbol names are short, SipHash is needlessly slow here.
pub(crate) use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::cache::expr_opt;
use crate::expr::{Expr, ExprRef};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u32);
        impl $name {
            /// The arena index.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index of a [`Symbol`] (constants and the nameless choice symbols included).
    SymbolId
);
id_type!(
    /// Index of a [`MenuNode`].
    MenuId
);
id_type!(
    /// Index of a [`Property`].
    PropId
);
id_type!(
    /// Index of a [`Choice`].
    ChoiceId
);
id_type!(
    /// Index of a Kconfig file in [`Kconfig::files`](crate::Kconfig::files).
    FileId
);

/// The constant symbol `n`.
pub const SYM_NO: SymbolId = SymbolId(0);
/// The constant symbol `m`.
pub const SYM_MOD: SymbolId = SymbolId(1);
/// The constant symbol `y`.
pub const SYM_YES: SymbolId = SymbolId(2);

/// A file and line in the Kconfig sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The file (see [`Kconfig::file_name`](crate::Kconfig::file_name)).
    pub file: FileId,
    /// 1-based line number of the statement.
    pub line: u32,
}

/// A symbol's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SymbolType {
    /// Referenced but never given a type (undefined symbols, constants).
    Unknown,
    /// `bool`
    Bool,
    /// `tristate`
    Tristate,
    /// `int`
    Int,
    /// `hex`
    Hex,
    /// `string`
    String,
}

impl SymbolType {
    /// The name `conf` uses (`sym_type_name`).
    pub fn name(self) -> &'static str {
        match self {
            SymbolType::Unknown => "unknown",
            SymbolType::Bool => "bool",
            SymbolType::Tristate => "tristate",
            SymbolType::Int => "integer",
            SymbolType::Hex => "hex",
            SymbolType::String => "string",
        }
    }
    /// `bool` or `tristate`.
    pub fn is_tristate_like(self) -> bool {
        matches!(self, SymbolType::Bool | SymbolType::Tristate)
    }
}

/// The kind of a [`Property`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PropKind {
    /// `prompt "text"` / `bool "text"` (`P_PROMPT`).
    Prompt,
    /// The prompt of a `menu` or `menuconfig` (`P_MENU`).
    Menu,
    /// The text of a `comment` (`P_COMMENT`).
    Comment,
    /// `default` / `def_bool` / `def_tristate`.
    Default,
    /// `select`.
    Select,
    /// `imply`.
    Imply,
    /// `range`.
    Range,
}

/// One property line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Property {
    /// What kind of line it is.
    pub kind: PropKind,
    /// Prompt text (prompts, menus, comments).
    pub text: Option<String>,
    /// The value of a `default` (for choices: the default member as a symbol expression).
    #[serde(with = "expr_opt")]
    pub expr: Option<ExprRef>,
    /// Target of `select`/`imply`.
    pub target: Option<SymbolId>,
    /// Bounds of a `range`.
    pub range: Option<(SymbolId, SymbolId)>,
    /// The condition: the `if` part AND'ed with all dependencies of the
    /// enclosing entries (`prop->visible.expr` after `menu_finalize`).
    /// `None` means `y`.
    #[serde(with = "expr_opt")]
    pub cond: Option<ExprRef>,
    /// The menu node (definition) the property belongs to.
    pub menu: MenuId,
    /// Where it is written.
    pub loc: Location,
}

/// A node of the menu tree (`struct menu`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MenuNode {
    /// The symbol of a `config`/`menuconfig`/`choice` entry.
    pub sym: Option<SymbolId>,
    /// The prompt property (a `menu`'s title, a `comment`'s text, a symbol's prompt).
    pub prompt: Option<PropId>,
    /// Dependencies of this entry (own `depends on` AND'ed with the parents').
    #[serde(with = "expr_opt")]
    pub dep: Option<ExprRef>,
    /// `visible if` of a `menu`.
    #[serde(with = "expr_opt")]
    pub visibility: Option<ExprRef>,
    /// Parent node.
    pub parent: Option<MenuId>,
    /// First child.
    pub list: Option<MenuId>,
    /// Next sibling.
    pub next: Option<MenuId>,
    /// Help text.
    pub help: Option<String>,
    /// Where the entry starts.
    pub loc: Option<Location>,
    /// This node is a `choice` block.
    pub is_choice: bool,
}

/// A symbol (`struct symbol`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Symbol {
    /// Name without `CONFIG_` (empty for choices).
    pub name: String,
    /// Type.
    pub ty: SymbolType,
    /// A constant (`y`, `m`, `n`, `"quoted"` strings in expressions).
    pub is_const: bool,
    /// This is the nameless symbol of a `choice` block.
    pub choice_block: Option<ChoiceId>,
    /// The choice this symbol is a member of.
    pub choice: Option<ChoiceId>,
    /// All properties, in definition order.
    pub props: Vec<PropId>,
    /// Menu nodes defining this symbol, in definition order.
    pub menus: Vec<MenuId>,
    /// Direct dependencies: OR of the dependencies of all definitions.
    #[serde(with = "expr_opt")]
    pub dir_dep: Option<ExprRef>,
    /// Reverse dependencies: OR of `selector && cond` over every `select`.
    #[serde(with = "expr_opt")]
    pub rev_dep: Option<ExprRef>,
    /// Weak reverse dependencies: OR of `implier && cond` over every `imply`.
    #[serde(with = "expr_opt")]
    pub implied: Option<ExprRef>,
    /// Linux 6.1: choice declared `optional` (all other symbols are optional).
    pub optional: bool,
}

impl Symbol {
    pub(crate) fn new(name: String, is_const: bool) -> Symbol {
        Symbol {
            name,
            ty: SymbolType::Unknown,
            is_const,
            choice_block: None,
            choice: None,
            props: Vec::new(),
            menus: Vec::new(),
            dir_dep: None,
            rev_dep: None,
            implied: None,
            optional: true,
        }
    }
}

/// A `choice` block.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Choice {
    /// The nameless symbol carrying the choice's prompt/defaults/value.
    pub sym: SymbolId,
    /// The menu node of the block.
    pub menu: MenuId,
    /// Members in declaration order.
    pub members: Vec<SymbolId>,
}

/// Which `scripts/kconfig` generation the tree uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dialect {
    /// Linux before 6.11: choices are tristate-capable symbols, `optional`
    /// choices, int/hex default to empty, out-of-range values read from
    /// `.config` fall back to the default.
    Legacy,
    /// Linux 6.11+: bool-only choices with priority lists, int/hex default to
    /// `0`/`0x0`, out-of-range values are clamped.
    Modern,
}

/// Everything parsed and finalized; immutable after load.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Model {
    pub dialect: Dialect,
    pub symbols: Vec<Symbol>,
    pub props: Vec<Property>,
    pub menus: Vec<MenuNode>,
    pub choices: Vec<Choice>,
    pub files: Vec<String>,
    pub names: FxHashMap<String, SymbolId>,
    pub const_names: FxHashMap<String, SymbolId>,
    /// Modern: `sym_get_choice_menu` per symbol, computed after finalize.
    pub choice_menu: Vec<Option<ChoiceId>>,
    pub modules_sym: SymbolId,
    pub root: MenuId,
}

impl Model {
    pub fn new(dialect: Dialect) -> Model {
        let mut m = Model {
            dialect,
            symbols: Vec::new(),
            props: Vec::new(),
            menus: Vec::new(),
            choices: Vec::new(),
            files: Vec::new(),
            names: FxHashMap::default(),
            const_names: FxHashMap::default(),
            choice_menu: Vec::new(),
            modules_sym: SYM_NO,
            root: MenuId(0),
        };
        for n in ["n", "m", "y"] {
            let mut s = Symbol::new(n.to_string(), true);
            s.ty = SymbolType::Tristate;
            m.symbols.push(s);
        }
        m.menus.push(MenuNode::default());
        m
    }

    /// `sym_lookup(name, 0)` / `sym_lookup(name, SYMBOL_CONST)`.
    pub fn lookup_or_create(&mut self, name: &str, is_const: bool) -> SymbolId {
        match name {
            "n" => return SYM_NO,
            "m" => return SYM_MOD,
            "y" => return SYM_YES,
            _ => {}
        }
        let map = if is_const { &self.const_names } else { &self.names };
        if let Some(&id) = map.get(name) {
            return id;
        }
        let id = SymbolId(self.symbols.len() as u32);
        self.symbols.push(Symbol::new(name.to_string(), is_const));
        if is_const {
            self.const_names.insert(name.to_string(), id);
        } else {
            self.names.insert(name.to_string(), id);
        }
        id
    }

    pub fn new_choice_symbol(&mut self) -> SymbolId {
        let id = SymbolId(self.symbols.len() as u32);
        self.symbols.push(Symbol::new(String::new(), false));
        id
    }

    pub fn sym(&self, id: SymbolId) -> &Symbol {
        &self.symbols[id.index()]
    }
    pub fn menu(&self, id: MenuId) -> &MenuNode {
        &self.menus[id.index()]
    }

    /// `menu_next`: pre-order successor within `root`.
    pub fn menu_next(&self, menu: MenuId, root: MenuId) -> Option<MenuId> {
        if let Some(l) = self.menu(menu).list {
            return Some(l);
        }
        let mut m = menu;
        while m != root && self.menu(m).next.is_none() {
            m = self.menu(m).parent?;
        }
        if m == root {
            return None;
        }
        self.menu(m).next
    }

    /// Symbol expression helper.
    pub fn sym_expr(id: SymbolId) -> ExprRef {
        std::sync::Arc::new(Expr::Symbol(id))
    }
}
