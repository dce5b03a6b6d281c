//! The tokens of a config file as a small tree: the subset of JavaScript and
//! TypeScript that configs are written in (declarations, functions, calls,
//! objects, arrays, spreads, conditionals, templates, `if`, `return`,
//! imports and exports). Every node keeps its exact source span, so that a
//! message quotes the source as written. TypeScript's types are read past.
//!
//! The parser moves forward only. Each bracket's partner is found once,
//! before parsing, so that telling an arrow function's parameters from a
//! parenthesised expression costs one look-up, and a node nested deeper
//! than [`MAX_NESTING`] is kept as one [`Node::Opaque`] without reading
//! inside it. A statement outside the subset is kept as
//! [`Node::Unparsed`], naming the names it uses. Work is counted in
//! [`Steps`]; past the budget, parsing stops.

use std::rc::Rc;

mod expressions;
mod statements;

use super::lex::{Token, TokenKind};

/// Brackets nested deeper than this are one opaque node.
pub const MAX_NESTING: usize = 64;
/// Expressions nested deeper than this (`a ? b ? c ...`, `x => y => ...`)
/// are outside the subset.
const MAX_DEPTH: usize = 160;

/// A node's index in [`Tree::nodes`].
pub type Id = u32;

/// The budget of work, shared by the parser and the evaluator: each token
/// read, node made and node evaluated is a step.
#[derive(Debug)]
pub struct Steps {
    pub used: u64,
    pub limit: u64,
}

/// The work ran out: what remained is not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverBudget;

impl Steps {
    pub fn new(limit: u64) -> Self {
        Self { used: 0, limit }
    }

    pub fn take(&mut self, n: u64) -> Result<(), OverBudget> {
        self.used = self.used.saturating_add(n);
        if self.used > self.limit {
            Err(OverBudget)
        } else {
            Ok(())
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Num(f64),
    Str(String),
    /// `` `a${b}c` ``: the text parts around each substitution.
    Template(Vec<String>, Vec<Id>),
    Regex,
    Ident(String),
    /// `import.meta`
    ImportMeta,
    Array(Vec<Option<Id>>),
    /// Each member with its span.
    Object(Vec<(Prop, Span)>),
    Spread(Id),
    Function(Rc<Func>),
    Call {
        callee: Id,
        args: Vec<Id>,
        new: bool,
    },
    Member {
        object: Id,
        property: String,
    },
    Index {
        object: Id,
        index: Id,
    },
    Unary(&'static str, Id),
    /// `++x`, `x--`: changes `x`.
    Update(Id),
    Binary(&'static str, Id, Id),
    Cond(Id, Id, Id),
    Assign(&'static str, Id, Id),
    Sequence(Vec<Id>),
    Await(Id),
    /// A class, or brackets nested too deep: a value not read.
    Opaque,
    // Statements.
    Var(Vec<(Pattern, Option<Id>)>),
    FunctionDecl(Rc<Func>),
    Return(Option<Id>),
    Throw,
    If(Id, Id, Option<Id>),
    Block(Vec<Id>),
    Expr(Id),
    /// `for`, `while`, `do`, `switch`, `try`: parts that may run any
    /// number of times, or not at all.
    Uncertain(Vec<Id>),
    Import(Vec<(String, Imported)>, String),
    ExportDefault(Id),
    /// `export { a as default }`, `export { a }`: (local, exported).
    ExportNames(Vec<(String, String)>),
    /// A type declaration, an empty statement.
    Empty,
    /// A statement outside the subset, and the names it uses.
    Unparsed(Vec<String>),
}

/// What an import binds.
#[derive(Clone, Debug, PartialEq)]
pub enum Imported {
    Default,
    Namespace,
    Named(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Prop {
    Value(Key, Id),
    /// `{ basePath }`
    Shorthand(String),
    Spread(Id),
    /// A method, getter or setter: a value not read.
    Method(Key),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    Name(String),
    Computed(Id),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    Name(String),
    /// `{ a, b: c, d = 1, ...rest }`: (key, pattern, default).
    Object(Vec<(Key, Pattern, Option<Id>)>, Option<String>),
    Array(Vec<Option<(Pattern, Option<Id>)>>, Option<String>),
    /// `a.b` as an assignment target inside a pattern, and what is not read.
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Func {
    pub name: Option<String>,
    pub params: Vec<(Pattern, Option<Id>)>,
    pub rest: Option<String>,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Expr(Id),
    Block(Vec<Id>),
}

/// A byte range of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// The parsed file: its top-level statements, each node with its span.
#[derive(Debug)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub spans: Vec<Span>,
    pub body: Vec<Id>,
}

impl Tree {
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn span(&self, id: Id) -> Span {
        self.spans[id as usize]
    }
}

/// Why a statement is not in the subset.
struct Unsupported;

/// What a parse function fails with: the budget ran out (stop), or the
/// statement is outside the subset (recover).
enum Fail {
    Budget,
    Unsupported,
}

impl From<OverBudget> for Fail {
    fn from(_: OverBudget) -> Self {
        Fail::Budget
    }
}

impl From<Unsupported> for Fail {
    fn from(_: Unsupported) -> Self {
        Fail::Unsupported
    }
}

type Parsed<T> = Result<T, Fail>;

/// Parses `tokens` of `source`.
pub fn parse(tokens: &[Token], steps: &mut Steps) -> Result<Tree, OverBudget> {
    steps.take(tokens.len() as u64)?;
    let mut parser = Parser {
        tokens,
        partner: partners(tokens),
        pos: 0,
        nesting: 0,
        depth: 0,
        nodes: Vec::new(),
        spans: Vec::new(),
        steps,
    };
    let mut body = Vec::new();
    while parser.pos < tokens.len() {
        body.push(parser.statement_or_recover()?);
    }
    Ok(Tree {
        nodes: parser.nodes,
        spans: parser.spans,
        body,
    })
}

/// For each `(`, `[`, `{` and template start, the index of the token that
/// closes it (and back); `usize::MAX` for none. One pass with a stack.
fn partners(tokens: &[Token]) -> Vec<usize> {
    let mut partner = vec![usize::MAX; tokens.len()];
    let mut open: Vec<usize> = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        match &token.kind {
            TokenKind::Punct("(" | "[" | "{") | TokenKind::TemplateHead(_) => open.push(at),
            TokenKind::TemplateMiddle(_) => {
                if let Some(start) = open.pop() {
                    partner[start] = at;
                    partner[at] = start;
                }
                open.push(at);
            }
            TokenKind::Punct(")" | "]" | "}") | TokenKind::TemplateTail(_) => {
                if let Some(start) = open.pop() {
                    partner[start] = at;
                    partner[at] = start;
                }
            }
            _ => {}
        }
    }
    partner
}

/// Binary operators by precedence, loosest first.
const BINARY: &[&[&str]] = &[
    &["??"],
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!=", "===", "!=="],
    &["<", ">", "<=", ">=", "instanceof", "in"],
    &["<<", ">>", ">>>"],
    &["+", "-"],
    &["*", "/", "%"],
    &["**"],
];

const ASSIGNMENTS: &[&str] = &[
    "=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "&&=", "||=",
    "??=",
];

struct Parser<'t, 's> {
    tokens: &'t [Token],
    partner: Vec<usize>,
    pos: usize,
    nesting: usize,
    /// How deep assignment expressions nest right now.
    depth: usize,
    nodes: Vec<Node>,
    spans: Vec<Span>,
    steps: &'s mut Steps,
}

impl<'t> Parser<'t, '_> {
    fn kind(&self, at: usize) -> Option<&'t TokenKind> {
        self.tokens.get(at).map(|t| &t.kind)
    }

    fn at_punct(&self, punct: &str) -> bool {
        self.punct_at(self.pos, punct)
    }

    fn punct_at(&self, at: usize, punct: &str) -> bool {
        matches!(self.kind(at), Some(TokenKind::Punct(p)) if *p == punct)
    }

    fn at_word(&self, word: &str) -> bool {
        self.word_at(self.pos) == Some(word)
    }

    fn word_at(&self, at: usize) -> Option<&'t str> {
        match self.kind(at) {
            Some(TokenKind::Ident(name)) => Some(name),
            _ => None,
        }
    }

    fn newline_at(&self, at: usize) -> bool {
        self.tokens.get(at).is_some_and(|t| t.newline_before)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = self.at_punct(punct);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, punct: &str) -> Parsed<()> {
        if self.eat(punct) {
            Ok(())
        } else {
            Err(Fail::Unsupported)
        }
    }

    fn name(&mut self) -> Parsed<String> {
        let name = self.word_at(self.pos).ok_or(Unsupported)?.to_string();
        self.pos += 1;
        Ok(name)
    }

    /// The start byte of token `at` (the end of the source past the last).
    fn start_of(&self, at: usize) -> usize {
        self.tokens
            .get(at)
            .map_or_else(|| self.tokens.last().map_or(0, |t| t.end), |t| t.start)
    }

    /// The end byte of the token before `pos`.
    fn end_before(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.end)
    }

    fn add(&mut self, node: Node, from: usize) -> Parsed<Id> {
        self.steps.take(1)?;
        let start = self.start_of(from);
        let end = self.end_before().max(start);
        self.nodes.push(node);
        self.spans.push(Span { start, end });
        Ok((self.nodes.len() - 1) as Id)
    }
}
