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

use super::lex::{Kind, Token};

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
            Kind::Punct("(" | "[" | "{") | Kind::TemplateHead(_) => open.push(at),
            Kind::TemplateMiddle(_) => {
                if let Some(start) = open.pop() {
                    partner[start] = at;
                    partner[at] = start;
                }
                open.push(at);
            }
            Kind::Punct(")" | "]" | "}") | Kind::TemplateTail(_) => {
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
    fn kind(&self, at: usize) -> Option<&'t Kind> {
        self.tokens.get(at).map(|t| &t.kind)
    }

    fn at_punct(&self, punct: &str) -> bool {
        self.punct_at(self.pos, punct)
    }

    fn punct_at(&self, at: usize, punct: &str) -> bool {
        matches!(self.kind(at), Some(Kind::Punct(p)) if *p == punct)
    }

    fn at_word(&self, word: &str) -> bool {
        self.word_at(self.pos) == Some(word)
    }

    fn word_at(&self, at: usize) -> Option<&'t str> {
        match self.kind(at) {
            Some(Kind::Ident(name)) => Some(name),
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

    /// A statement; one outside the subset is skipped to its end and kept
    /// as [`Node::Unparsed`].
    fn statement_or_recover(&mut self) -> Result<Id, OverBudget> {
        let start = self.pos;
        let nesting = self.nesting;
        let depth = self.depth;
        match self.statement() {
            Ok(id) => Ok(id),
            Err(Fail::Budget) => Err(OverBudget),
            Err(Fail::Unsupported) => {
                self.nesting = nesting;
                self.depth = depth;
                self.pos = start;
                let names = self.skip_statement()?;
                match self.add(Node::Unparsed(names), start) {
                    Ok(id) => Ok(id),
                    Err(_) => Err(OverBudget),
                }
            }
        }
    }

    /// Skips to the end of the statement at `pos` (a `;`, a line break
    /// where brackets are balanced, or the `}` of the enclosing block),
    /// jumping over brackets; the names it uses.
    fn skip_statement(&mut self) -> Result<Vec<String>, OverBudget> {
        let start = self.pos;
        let mut names = Vec::new();
        while let Some(kind) = self.kind(self.pos) {
            self.steps.take(1)?;
            if self.pos > start && self.newline_at(self.pos) {
                break;
            }
            match kind {
                Kind::Punct(";") => {
                    self.pos += 1;
                    break;
                }
                Kind::Punct(")" | "]" | "}") if self.pos > start => break,
                Kind::Ident(name) => names.push(name.clone()),
                _ => {}
            }
            let partner = self.partner[self.pos];
            if partner != usize::MAX && partner > self.pos {
                for at in self.pos..partner {
                    if let Some(Kind::Ident(name)) = self.kind(at) {
                        names.push(name.clone());
                    }
                }
                self.steps.take((partner - self.pos) as u64)?;
                self.pos = partner;
            }
            self.pos += 1;
        }
        if self.pos == start {
            self.pos += 1;
        }
        Ok(names)
    }

    /// Ends a statement: `;`, a line break, or a `}` or the end next.
    fn end_statement(&mut self) -> Parsed<()> {
        if self.eat(";") || self.at_punct("}") || self.pos >= self.tokens.len() {
            return Ok(());
        }
        if self.newline_at(self.pos) {
            return Ok(());
        }
        Err(Fail::Unsupported)
    }

    fn statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.steps.take(1)?;
        let Some(kind) = self.kind(self.pos) else {
            return Err(Fail::Unsupported);
        };
        match kind {
            Kind::Punct(";") => {
                self.pos += 1;
                self.add(Node::Empty, start)
            }
            Kind::Punct("{") => {
                let body = self.block()?;
                self.add(Node::Block(body), start)
            }
            Kind::Ident(word) => match word.as_str() {
                "const" | "let" | "var" if self.word_at(self.pos + 1) != Some("enum") => {
                    self.pos += 1;
                    let decls = self.declarators()?;
                    self.end_statement()?;
                    self.add(Node::Var(decls), start)
                }
                "function" => {
                    let func = self.function(false)?;
                    self.add(Node::FunctionDecl(func), start)
                }
                "async" if self.word_at(self.pos + 1) == Some("function") => {
                    self.pos += 1;
                    let func = self.function(false)?;
                    self.add(Node::FunctionDecl(func), start)
                }
                "return" => self.return_statement(),
                "if" => self.if_statement(),
                "throw" => {
                    self.pos += 1;
                    self.expression()?;
                    self.end_statement()?;
                    self.add(Node::Throw, start)
                }
                "break" | "continue" | "debugger" => {
                    self.pos += 1;
                    if !self.newline_at(self.pos) && self.word_at(self.pos).is_some() {
                        self.pos += 1;
                    }
                    self.end_statement()?;
                    self.add(Node::Empty, start)
                }
                "for" | "while" | "do" | "switch" | "try" | "with" => self.uncertain(),
                "import"
                    if !self.punct_at(self.pos + 1, "(") && !self.punct_at(self.pos + 1, ".") =>
                {
                    self.import()
                }
                "export" => self.export(),
                "type" | "interface" | "declare" | "enum" | "abstract" | "namespace"
                    if matches!(self.kind(self.pos + 1), Some(Kind::Ident(_))) =>
                {
                    self.skip_declaration()
                }
                "class" => {
                    self.class()?;
                    self.add(Node::Empty, start)
                }
                _ => self.expression_statement(),
            },
            _ => self.expression_statement(),
        }
    }

    fn return_statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.pos += 1;
        let value = if self.at_punct(";")
            || self.at_punct("}")
            || self.newline_at(self.pos)
            || self.pos >= self.tokens.len()
        {
            None
        } else {
            Some(self.expression()?)
        };
        self.end_statement()?;
        self.add(Node::Return(value), start)
    }

    fn expression_statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        let expr = self.expression()?;
        self.end_statement()?;
        self.add(Node::Expr(expr), start)
    }

    /// At `{`: the statements up to its `}`.
    fn block(&mut self) -> Parsed<Vec<Id>> {
        self.enter()?;
        self.expect("{")?;
        let mut body = Vec::new();
        while !self.at_punct("}") {
            if self.pos >= self.tokens.len() {
                return Err(Fail::Unsupported);
            }
            body.push(self.statement_or_recover()?);
        }
        self.pos += 1;
        self.nesting -= 1;
        Ok(body)
    }

    fn enter(&mut self) -> Parsed<()> {
        if self.nesting >= MAX_NESTING {
            return Err(Fail::Unsupported);
        }
        self.nesting += 1;
        Ok(())
    }

    fn if_statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        self.expect("(")?;
        let test = self.expression()?;
        self.expect(")")?;
        let then = self.statement()?;
        let otherwise = if self.at_word("else") {
            self.pos += 1;
            Some(self.statement()?)
        } else {
            None
        };
        self.nesting -= 1;
        self.add(Node::If(test, then, otherwise), start)
    }

    /// A loop, `try`: its blocks' statements, as parts that may or may
    /// not run. Heads are skipped over. A `switch` is not read: the names
    /// it uses are.
    fn uncertain(&mut self) -> Parsed<Id> {
        let start = self.pos;
        if self.at_word("switch") {
            let mut names = Vec::new();
            self.pos += 1;
            for _ in 0..2 {
                let from = self.pos;
                self.jump_over()?;
                for at in from..self.pos {
                    if let Some(name) = self.word_at(at) {
                        names.push(name.to_string());
                    }
                }
            }
            return self.add(Node::Unparsed(names), start);
        }
        let mut parts = Vec::new();
        loop {
            self.steps.take(1)?;
            match self.kind(self.pos) {
                Some(Kind::Ident(word))
                    if matches!(
                        word.as_str(),
                        "for" | "while" | "do" | "try" | "catch" | "finally" | "with" | "await"
                    ) =>
                {
                    self.pos += 1;
                }
                Some(Kind::Punct("(")) => self.jump_over()?,
                Some(Kind::Punct("{")) => {
                    let from = self.pos;
                    let body = self.block()?;
                    parts.push(self.add(Node::Block(body), from)?);
                    if !matches!(self.word_at(self.pos), Some("catch" | "finally" | "while")) {
                        break;
                    }
                }
                _ => {
                    self.enter()?;
                    parts.push(self.statement()?);
                    self.nesting -= 1;
                    if !self.at_word("while") {
                        break;
                    }
                }
            }
        }
        self.eat(";");
        self.add(Node::Uncertain(parts), start)
    }

    /// At an opening bracket: past its partner.
    fn jump_over(&mut self) -> Parsed<()> {
        let partner = self.partner[self.pos];
        if partner == usize::MAX || partner < self.pos {
            return Err(Fail::Unsupported);
        }
        self.steps.take(1)?;
        self.pos = partner + 1;
        Ok(())
    }

    fn class(&mut self) -> Parsed<()> {
        self.pos += 1;
        while !self.at_punct("{") {
            if self.pos >= self.tokens.len() {
                return Err(Fail::Unsupported);
            }
            self.steps.take(1)?;
            self.pos += 1;
        }
        self.jump_over()
    }

    /// `type X = ...`, `interface X {}`, `declare ...`, `enum X {}`.
    fn skip_declaration(&mut self) -> Parsed<Id> {
        let start = self.pos;
        while let Some(kind) = self.kind(self.pos) {
            self.steps.take(1)?;
            if self.pos > start && self.newline_at(self.pos) && !self.continues_type() {
                break;
            }
            match kind {
                Kind::Punct(";") => {
                    self.pos += 1;
                    break;
                }
                Kind::Punct("(" | "[" | "{") => {
                    let interface = self.punct_at(self.pos, "{")
                        && !self.punct_at(self.pos.wrapping_sub(1), "=");
                    self.jump_over()?;
                    if interface
                        && !matches!(self.kind(self.pos), Some(Kind::Punct("|" | "&" | "[")))
                    {
                        break;
                    }
                    continue;
                }
                Kind::Punct("}" | ")" | "]") => break,
                _ => {}
            }
            self.pos += 1;
        }
        self.add(Node::Empty, start)
    }

    /// Whether the token at `pos` continues a type over a line break.
    fn continues_type(&self) -> bool {
        matches!(
            self.kind(self.pos),
            Some(Kind::Punct(
                "|" | "&" | "=" | "=>" | "." | "<" | ">" | "?" | ":" | ","
            ))
        ) || matches!(
            self.kind(self.pos.wrapping_sub(1)),
            Some(Kind::Punct(
                "|" | "&" | "=" | "=>" | "." | "<" | "?" | ":" | ","
            ))
        )
    }

    fn import(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.pos += 1;
        if self.at_word("type")
            && !self.punct_at(self.pos + 1, ",")
            && self.word_at(self.pos + 1).is_none_or(|w| w != "from")
        {
            self.skip_statement()?;
            return self.add(Node::Empty, start);
        }
        let mut bindings = Vec::new();
        if let Some(Kind::Str(source)) = self.kind(self.pos) {
            let source = source.clone();
            self.pos += 1;
            self.end_statement()?;
            return self.add(Node::Import(bindings, source), start);
        }
        if let Some(name) = self.word_at(self.pos).filter(|w| *w != "from") {
            bindings.push((name.to_string(), Imported::Default));
            self.pos += 1;
            self.eat(",");
        }
        if self.eat("*") {
            if !self.at_word("as") {
                return Err(Fail::Unsupported);
            }
            self.pos += 1;
            let name = self.name()?;
            bindings.push((name, Imported::Namespace));
        }
        if self.at_punct("{") {
            for (local, imported) in self.specifiers()? {
                bindings.push((local, Imported::Named(imported)));
            }
        }
        if !self.at_word("from") {
            return Err(Fail::Unsupported);
        }
        self.pos += 1;
        let Some(Kind::Str(source)) = self.kind(self.pos) else {
            return Err(Fail::Unsupported);
        };
        let source = source.clone();
        self.pos += 1;
        if self.at_word("with") || self.at_word("assert") {
            self.pos += 1;
            self.jump_over()?;
        }
        self.end_statement()?;
        self.add(Node::Import(bindings, source), start)
    }

    /// `{ a, b as c, type d }`: (local, outside) pairs, `pos` after `}`.
    fn specifiers(&mut self) -> Parsed<Vec<(String, String)>> {
        self.expect("{")?;
        let mut pairs = Vec::new();
        while !self.eat("}") {
            self.steps.take(1)?;
            if self.at_word("type") && self.word_at(self.pos + 1).is_some() {
                self.pos += 1;
            }
            let first = match self.kind(self.pos) {
                Some(Kind::Ident(name) | Kind::Str(name)) => name.clone(),
                _ => return Err(Fail::Unsupported),
            };
            self.pos += 1;
            let second = if self.at_word("as") {
                self.pos += 1;
                match self.kind(self.pos) {
                    Some(Kind::Ident(name) | Kind::Str(name)) => {
                        let name = name.clone();
                        self.pos += 1;
                        name
                    }
                    _ => return Err(Fail::Unsupported),
                }
            } else {
                first.clone()
            };
            pairs.push((first, second));
            if !self.eat(",") && !self.at_punct("}") {
                return Err(Fail::Unsupported);
            }
        }
        Ok(pairs)
    }

    fn export(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.pos += 1;
        if self.at_word("default") {
            self.pos += 1;
            let value = if self.at_word("function")
                || self.at_word("async") && self.word_at(self.pos + 1) == Some("function")
            {
                let from = self.pos;
                if self.at_word("async") {
                    self.pos += 1;
                }
                let func = self.function(true)?;
                self.add(Node::Function(func), from)?
            } else if self.at_word("class") {
                let from = self.pos;
                self.class()?;
                self.add(Node::Opaque, from)?
            } else {
                let value = self.expression()?;
                self.end_statement()?;
                value
            };
            return self.add(Node::ExportDefault(value), start);
        }
        if self.at_punct("{") {
            let pairs = self.specifiers()?;
            if self.at_word("from") {
                // A re-export: its names are not this file's.
                self.pos += 2;
                self.end_statement()?;
                let pairs = pairs
                    .into_iter()
                    .map(|(_, outside)| (String::new(), outside))
                    .collect();
                return self.add(Node::ExportNames(pairs), start);
            }
            self.end_statement()?;
            return self.add(Node::ExportNames(pairs), start);
        }
        if self.at_punct("=") {
            // TypeScript's `export = value`.
            self.pos += 1;
            let value = self.expression()?;
            self.end_statement()?;
            return self.add(Node::ExportDefault(value), start);
        }
        if self.at_punct("*") {
            self.skip_statement()?;
            return self.add(Node::Empty, start);
        }
        // `export const x = ...`, `export function f() {}`: the declaration.
        self.statement()
    }

    /// After `const`: `a = 1, { b } = c`.
    fn declarators(&mut self) -> Parsed<Vec<(Pattern, Option<Id>)>> {
        let mut decls = Vec::new();
        loop {
            self.steps.take(1)?;
            let pattern = self.pattern()?;
            self.eat("!");
            if self.eat(":") {
                self.skip_type()?;
            }
            let value = if self.eat("=") {
                Some(self.assignment()?)
            } else {
                None
            };
            decls.push((pattern, value));
            if !self.eat(",") {
                return Ok(decls);
            }
        }
    }

    /// A binding pattern: a name, `{ ... }` or `[ ... ]`.
    fn pattern(&mut self) -> Parsed<Pattern> {
        self.steps.take(1)?;
        match self.kind(self.pos) {
            Some(Kind::Ident(_)) => Ok(Pattern::Name(self.name()?)),
            Some(Kind::Punct("{")) => {
                self.enter()?;
                self.pos += 1;
                let mut props = Vec::new();
                let mut rest = None;
                while !self.eat("}") {
                    if self.eat("...") {
                        rest = Some(self.name()?);
                    } else {
                        let key = self.key()?;
                        let pattern = if self.eat(":") {
                            self.pattern()?
                        } else {
                            match &key {
                                Key::Name(name) => Pattern::Name(name.clone()),
                                Key::Computed(_) => return Err(Fail::Unsupported),
                            }
                        };
                        let default = if self.eat("=") {
                            Some(self.assignment()?)
                        } else {
                            None
                        };
                        props.push((key, pattern, default));
                    }
                    if !self.eat(",") && !self.at_punct("}") {
                        return Err(Fail::Unsupported);
                    }
                }
                self.nesting -= 1;
                Ok(Pattern::Object(props, rest))
            }
            Some(Kind::Punct("[")) => {
                self.enter()?;
                self.pos += 1;
                let mut items = Vec::new();
                let mut rest = None;
                while !self.eat("]") {
                    if self.eat(",") {
                        items.push(None);
                        continue;
                    }
                    if self.eat("...") {
                        rest = Some(self.name()?);
                    } else {
                        let pattern = self.pattern()?;
                        let default = if self.eat("=") {
                            Some(self.assignment()?)
                        } else {
                            None
                        };
                        items.push(Some((pattern, default)));
                    }
                    if !self.eat(",") && !self.at_punct("]") {
                        return Err(Fail::Unsupported);
                    }
                }
                self.nesting -= 1;
                Ok(Pattern::Array(items, rest))
            }
            _ => Err(Fail::Unsupported),
        }
    }

    /// A TypeScript type, read past: names, `<...>`, brackets, literals,
    /// joined by `|`, `&`, `=>`, `.`, `[]`, `keyof`, `typeof`.
    fn skip_type(&mut self) -> Parsed<()> {
        loop {
            self.steps.take(1)?;
            while matches!(self.kind(self.pos), Some(Kind::Punct("|" | "&"))) {
                self.pos += 1;
            }
            let group = self.at_punct("(");
            match self.kind(self.pos) {
                Some(Kind::Punct("(" | "[" | "{")) => self.jump_over()?,
                Some(Kind::Ident(word))
                    if matches!(
                        word.as_str(),
                        "keyof" | "typeof" | "readonly" | "unique" | "infer" | "new"
                    ) =>
                {
                    self.pos += 1;
                    continue;
                }
                Some(Kind::Ident(_) | Kind::Str(_) | Kind::Num(_) | Kind::Template(_)) => {
                    self.pos += 1;
                }
                Some(Kind::Punct("-")) if matches!(self.kind(self.pos + 1), Some(Kind::Num(_))) => {
                    self.pos += 2;
                }
                _ => return Err(Fail::Unsupported),
            }
            loop {
                if self.at_punct("<") {
                    self.skip_angles()?;
                } else if self.at_punct(".") && self.word_at(self.pos + 1).is_some() {
                    self.pos += 2;
                } else if self.at_punct("[") && !self.newline_at(self.pos) {
                    self.jump_over()?;
                } else {
                    break;
                }
            }
            // `=>` continues a function type, `(a: T) => R`, only.
            if matches!(self.kind(self.pos), Some(Kind::Punct("|" | "&")))
                || group && self.at_punct("=>")
            {
                self.pos += 1;
                continue;
            }
            if self.at_word("extends") {
                // A conditional type: `A extends B ? C : D`.
                self.pos += 1;
                continue;
            }
            return Ok(());
        }
    }

    /// At `<`: past the matching `>` (`>>` closes two).
    fn skip_angles(&mut self) -> Parsed<()> {
        let mut depth = 0usize;
        while let Some(kind) = self.kind(self.pos) {
            self.steps.take(1)?;
            match kind {
                Kind::Punct("<") => depth += 1,
                Kind::Punct(">") => depth = depth.saturating_sub(1),
                Kind::Punct(">>") => depth = depth.saturating_sub(2),
                Kind::Punct(">>>") => depth = depth.saturating_sub(3),
                Kind::Punct("(" | "[" | "{") => {
                    self.jump_over()?;
                    continue;
                }
                Kind::Punct(";" | ")" | "]" | "}") => return Err(Fail::Unsupported),
                _ => {}
            }
            self.pos += 1;
            if depth == 0 {
                return Ok(());
            }
        }
        Err(Fail::Unsupported)
    }

    fn expression(&mut self) -> Parsed<Id> {
        let start = self.pos;
        let first = self.assignment()?;
        if !self.at_punct(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat(",") {
            items.push(self.assignment()?);
        }
        self.add(Node::Sequence(items), start)
    }

    /// An assignment expression: an arrow function, `a = b`, or a
    /// conditional.
    fn assignment(&mut self) -> Parsed<Id> {
        self.steps.take(1)?;
        if self.depth >= MAX_DEPTH {
            return Err(Fail::Unsupported);
        }
        self.depth += 1;
        let value = self.assignment_inner();
        self.depth -= 1;
        value
    }

    fn assignment_inner(&mut self) -> Parsed<Id> {
        let start = self.pos;
        if let Some(arrow) = self.arrow()? {
            return Ok(arrow);
        }
        if self.at_word("yield") {
            return Err(Fail::Unsupported);
        }
        let target = self.conditional()?;
        if let Some(Kind::Punct(op)) = self.kind(self.pos)
            && ASSIGNMENTS.contains(op)
        {
            let op = *op;
            self.pos += 1;
            let value = self.assignment()?;
            return self.add(Node::Assign(op, target, value), start);
        }
        Ok(target)
    }

    /// An arrow function at `pos`, if one starts there.
    fn arrow(&mut self) -> Parsed<Option<Id>> {
        let start = self.pos;
        let mut at = self.pos;
        if self.word_at(at) == Some("async")
            && !self.newline_at(at + 1)
            && (self.punct_at(at + 1, "(")
                || self.word_at(at + 1).is_some() && self.punct_at(at + 2, "=>"))
        {
            at += 1;
        }
        if self.punct_at(at, "<") {
            // A generic arrow `<T>(x: T) => x` is too rare in configs.
            return Ok(None);
        }
        let single = self.word_at(at).is_some() && self.punct_at(at + 1, "=>");
        let parens = self.punct_at(at, "(")
            && self.partner[at] != usize::MAX
            && (self.punct_at(self.partner[at] + 1, "=>")
                || self.punct_at(self.partner[at] + 1, ":"));
        if !single && !parens {
            return Ok(None);
        }
        self.pos = at;
        let sure = single || self.punct_at(self.partner[at] + 1, "=>");
        let nesting = self.nesting;
        let (params, rest) = if single {
            let name = self.name()?;
            (vec![(Pattern::Name(name), None)], None)
        } else {
            let params = match self.params() {
                Ok(params) => params,
                // `c ? (a + b) : d`: not an arrow after all.
                Err(Fail::Unsupported) if !sure => {
                    self.pos = start;
                    self.nesting = nesting;
                    return Ok(None);
                }
                Err(fail) => return Err(fail),
            };
            if self.eat(":") {
                // A return type, or not an arrow after all (`c ? (a) : b`).
                let typed = matches!(self.skip_type(), Ok(()));
                if !typed || !self.at_punct("=>") {
                    self.pos = start;
                    return Ok(None);
                }
            }
            params
        };
        self.expect("=>")?;
        let body = self.function_body()?;
        let func = Rc::new(Func {
            name: None,
            params,
            rest,
            body,
        });
        Ok(Some(self.add(Node::Function(func), start)?))
    }

    fn function_body(&mut self) -> Parsed<Body> {
        if self.at_punct("{") {
            Ok(Body::Block(self.block()?))
        } else {
            Ok(Body::Expr(self.assignment()?))
        }
    }

    /// At `(`: the parameters, `pos` after `)`.
    #[allow(clippy::type_complexity)]
    fn params(&mut self) -> Parsed<(Vec<(Pattern, Option<Id>)>, Option<String>)> {
        self.expect("(")?;
        let mut params = Vec::new();
        let mut rest = None;
        while !self.eat(")") {
            self.steps.take(1)?;
            // TypeScript's parameter properties and `this` parameters.
            while matches!(
                self.word_at(self.pos),
                Some("public" | "private" | "protected" | "readonly")
            ) && self.word_at(self.pos + 1).is_some()
            {
                self.pos += 1;
            }
            if self.eat("...") {
                rest = Some(self.name()?);
                if self.eat(":") {
                    self.skip_type()?;
                }
            } else {
                let pattern = self.pattern()?;
                self.eat("?");
                if self.eat(":") {
                    self.skip_type()?;
                }
                let default = if self.eat("=") {
                    Some(self.assignment()?)
                } else {
                    None
                };
                params.push((pattern, default));
            }
            if !self.eat(",") && !self.at_punct(")") {
                return Err(Fail::Unsupported);
            }
        }
        Ok((params, rest))
    }

    /// At `function`: `function name?(params): T { body }`.
    fn function(&mut self, _expression: bool) -> Parsed<Rc<Func>> {
        self.pos += 1;
        self.eat("*");
        let name = match self.word_at(self.pos) {
            Some(_) => Some(self.name()?),
            None => None,
        };
        if self.at_punct("<") {
            self.skip_angles()?;
        }
        let (params, rest) = self.params()?;
        if self.eat(":") {
            self.skip_type()?;
        }
        let body = Body::Block(self.block()?);
        Ok(Rc::new(Func {
            name,
            params,
            rest,
            body,
        }))
    }

    fn conditional(&mut self) -> Parsed<Id> {
        let start = self.pos;
        let test = self.binary(0)?;
        if !self.eat("?") {
            return Ok(test);
        }
        let then = self.assignment()?;
        self.expect(":")?;
        let otherwise = self.assignment()?;
        self.add(Node::Cond(test, then, otherwise), start)
    }

    fn binary_op(&self, level: usize) -> Option<&'static str> {
        let op = match self.kind(self.pos)? {
            Kind::Punct(p) => *p,
            Kind::Ident(word) if word == "instanceof" => "instanceof",
            Kind::Ident(word) if word == "in" => "in",
            _ => return None,
        };
        BINARY[level].contains(&op).then_some(op)
    }

    fn binary(&mut self, level: usize) -> Parsed<Id> {
        if level == BINARY.len() {
            return self.unary();
        }
        let start = self.pos;
        let mut left = self.binary(level + 1)?;
        loop {
            self.steps.take(1)?;
            // TypeScript's `as T` and `satisfies T` bind like relations.
            if level == 7
                && (self.at_word("as") || self.at_word("satisfies"))
                && !self.newline_at(self.pos)
            {
                self.pos += 1;
                if !self.at_word("const") || {
                    self.pos += 1;
                    false
                } {
                    self.skip_type()?;
                }
                continue;
            }
            let Some(op) = self.binary_op(level) else {
                return Ok(left);
            };
            self.pos += 1;
            // `**` is right-associative; the rest left.
            let right = if op == "**" {
                self.binary(level)?
            } else {
                self.binary(level + 1)?
            };
            left = self.add(Node::Binary(op, left, right), start)?;
        }
    }

    fn unary(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.steps.take(1)?;
        match self.kind(self.pos) {
            Some(Kind::Punct(op @ ("!" | "-" | "+" | "~"))) => {
                let op = *op;
                self.pos += 1;
                self.enter()?;
                let arg = self.unary()?;
                self.nesting -= 1;
                self.add(Node::Unary(op, arg), start)
            }
            Some(Kind::Punct("++" | "--")) => {
                self.pos += 1;
                self.enter()?;
                let arg = self.unary()?;
                self.nesting -= 1;
                self.add(Node::Update(arg), start)
            }
            Some(Kind::Ident(word))
                if matches!(word.as_str(), "typeof" | "void" | "delete")
                    && !self.binary_or_end_at(self.pos + 1) =>
            {
                let op = match word.as_str() {
                    "typeof" => "typeof",
                    "void" => "void",
                    _ => "delete",
                };
                self.pos += 1;
                self.enter()?;
                let arg = self.unary()?;
                self.nesting -= 1;
                self.add(Node::Unary(op, arg), start)
            }
            Some(Kind::Ident(word)) if word == "await" && !self.binary_or_end_at(self.pos + 1) => {
                self.pos += 1;
                self.enter()?;
                let arg = self.unary()?;
                self.nesting -= 1;
                self.add(Node::Await(arg), start)
            }
            Some(Kind::Punct("<")) => {
                // An old-style type assertion `<T>value`.
                self.skip_angles()?;
                self.unary()
            }
            _ => {
                let value = self.postfix()?;
                if matches!(self.kind(self.pos), Some(Kind::Punct("++" | "--")))
                    && !self.newline_at(self.pos)
                {
                    self.pos += 1;
                    return self.add(Node::Update(value), start);
                }
                Ok(value)
            }
        }
    }

    /// Whether the token at `at` cannot start an operand (so the word
    /// before it is a name, as in `{ await }`).
    fn binary_or_end_at(&self, at: usize) -> bool {
        matches!(
            self.kind(at),
            None | Some(Kind::Punct(
                ")" | "]"
                    | "}"
                    | ","
                    | ";"
                    | ":"
                    | "="
                    | "?"
                    | "."
                    | "?."
                    | "=>"
                    | "*"
                    | "/"
                    | "%"
                    | "=="
                    | "==="
                    | "!="
                    | "!=="
                    | "&&"
                    | "||"
                    | "??"
            ))
        )
    }

    /// Members, calls, `!` (non-null) after a primary.
    fn postfix(&mut self) -> Parsed<Id> {
        let start = self.pos;
        let new = self.at_word("new") && !self.punct_at(self.pos + 1, ".");
        if new {
            self.pos += 1;
        }
        let mut value = self.primary()?;
        let mut pending_new = new;
        loop {
            self.steps.take(1)?;
            match self.kind(self.pos) {
                Some(Kind::Punct("." | "?.")) => {
                    self.pos += 1;
                    value = self.after_dot(value, start)?;
                }
                Some(Kind::Punct("[")) => {
                    self.pos += 1;
                    self.enter()?;
                    let index = self.expression()?;
                    self.nesting -= 1;
                    self.expect("]")?;
                    value = self.add(
                        Node::Index {
                            object: value,
                            index,
                        },
                        start,
                    )?;
                }
                Some(Kind::Punct("(")) => {
                    let args = self.arguments()?;
                    value = self.add(
                        Node::Call {
                            callee: value,
                            args,
                            new: pending_new,
                        },
                        start,
                    )?;
                    pending_new = false;
                }
                Some(Kind::Punct("<")) if self.generic_call() => {
                    self.skip_angles()?;
                }
                Some(Kind::Template(_) | Kind::TemplateHead(_)) if !self.newline_at(self.pos) => {
                    // A tagged template: a call not read.
                    let _ = self.primary()?;
                    value = self.add(Node::Opaque, start)?;
                }
                Some(Kind::Punct("!"))
                    if !self.newline_at(self.pos)
                        && matches!(
                            self.kind(self.pos + 1),
                            None | Some(Kind::Punct(
                                "." | ")" | "," | ";" | "]" | "}" | "?." | "[" | "(" | ":"
                            ))
                        ) =>
                {
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if pending_new {
            value = self.add(
                Node::Call {
                    callee: value,
                    args: Vec::new(),
                    new: true,
                },
                start,
            )?;
        }
        Ok(value)
    }

    /// After `.` or `?.`: a member, `?.(args)` or `?.[index]`.
    fn after_dot(&mut self, value: Id, start: usize) -> Parsed<Id> {
        if self.at_punct("(") {
            let args = self.arguments()?;
            return self.add(
                Node::Call {
                    callee: value,
                    args,
                    new: false,
                },
                start,
            );
        }
        if self.at_punct("[") {
            self.pos += 1;
            let index = self.expression()?;
            self.expect("]")?;
            return self.add(
                Node::Index {
                    object: value,
                    index,
                },
                start,
            );
        }
        self.eat("#");
        let property = self.name()?;
        self.add(
            Node::Member {
                object: value,
                property,
            },
            start,
        )
    }

    /// Whether the `<` at `pos` opens type arguments of a call
    /// (`defineConfig<T>(...)`): a balanced `<...>` right before `(`.
    fn generic_call(&self) -> bool {
        let mut depth = 0usize;
        // Type arguments are short; a long run is a comparison.
        for at in self.pos..self.pos + 64 {
            match self.kind(at) {
                Some(Kind::Punct("<")) => depth += 1,
                Some(Kind::Punct(">")) => {
                    depth -= 1;
                    if depth == 0 {
                        return self.punct_at(at + 1, "(");
                    }
                }
                Some(Kind::Ident(_) | Kind::Punct("," | "." | "|" | "&" | "[" | "]"))
                | Some(Kind::Str(_)) => {}
                _ => return false,
            }
        }
        false
    }

    /// At `(`: the arguments, `pos` after `)`.
    fn arguments(&mut self) -> Parsed<Vec<Id>> {
        self.enter()?;
        self.expect("(")?;
        let mut args = Vec::new();
        while !self.eat(")") {
            let start = self.pos;
            let arg = if self.eat("...") {
                let inner = self.assignment()?;
                self.add(Node::Spread(inner), start)?
            } else {
                self.assignment()?
            };
            args.push(arg);
            if !self.eat(",") && !self.at_punct(")") {
                return Err(Fail::Unsupported);
            }
        }
        self.nesting -= 1;
        Ok(args)
    }

    /// At an opening bracket nested too deep: one opaque node.
    fn too_deep(&mut self, start: usize) -> Parsed<Id> {
        self.jump_over()?;
        self.add(Node::Opaque, start)
    }

    fn primary(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.steps.take(1)?;
        let Some(kind) = self.kind(self.pos) else {
            return Err(Fail::Unsupported);
        };
        let opens = matches!(kind, Kind::Punct("(" | "[" | "{") | Kind::TemplateHead(_));
        if opens && self.nesting >= MAX_NESTING {
            if let Kind::TemplateHead(_) = kind {
                return Err(Fail::Unsupported);
            }
            return self.too_deep(start);
        }
        let node = match kind {
            Kind::Num(n) => Node::Num(*n),
            Kind::Str(s) | Kind::Template(s) => Node::Str(s.clone()),
            Kind::Regex => Node::Regex,
            Kind::TemplateHead(_) => return self.template(),
            Kind::Punct("(") => {
                self.enter()?;
                self.pos += 1;
                let inner = self.expression()?;
                self.expect(")")?;
                self.nesting -= 1;
                return Ok(inner);
            }
            Kind::Punct("[") => return self.array(),
            Kind::Punct("{") => return self.object(),
            Kind::Ident(word) => match word.as_str() {
                "function" => {
                    let func = self.function(true)?;
                    return self.add(Node::Function(func), start);
                }
                "async" if self.word_at(self.pos + 1) == Some("function") => {
                    self.pos += 1;
                    let func = self.function(true)?;
                    return self.add(Node::Function(func), start);
                }
                "class" => {
                    self.class()?;
                    return self.add(Node::Opaque, start);
                }
                "import"
                    if self.punct_at(self.pos + 1, ".")
                        && self.word_at(self.pos + 2) == Some("meta") =>
                {
                    self.pos += 3;
                    return self.add(Node::ImportMeta, start);
                }
                _ => Node::Ident(word.clone()),
            },
            _ => return Err(Fail::Unsupported),
        };
        self.pos += 1;
        self.add(node, start)
    }

    fn template(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.enter()?;
        let mut quasis = Vec::new();
        let mut exprs = Vec::new();
        loop {
            match self.kind(self.pos) {
                Some(Kind::TemplateHead(text) | Kind::TemplateMiddle(text)) => {
                    quasis.push(text.clone());
                    self.pos += 1;
                    exprs.push(self.expression()?);
                }
                Some(Kind::TemplateTail(text)) => {
                    quasis.push(text.clone());
                    self.pos += 1;
                    break;
                }
                _ => return Err(Fail::Unsupported),
            }
        }
        self.nesting -= 1;
        self.add(Node::Template(quasis, exprs), start)
    }

    fn array(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        while !self.eat("]") {
            if self.eat(",") {
                items.push(None);
                continue;
            }
            let item_start = self.pos;
            let item = if self.eat("...") {
                let inner = self.assignment()?;
                self.add(Node::Spread(inner), item_start)?
            } else {
                self.assignment()?
            };
            items.push(Some(item));
            if !self.eat(",") && !self.at_punct("]") {
                return Err(Fail::Unsupported);
            }
        }
        self.nesting -= 1;
        self.add(Node::Array(items), start)
    }

    /// A property key: a name, a string, a number, `[expr]`.
    fn key(&mut self) -> Parsed<Key> {
        let key = match self.kind(self.pos) {
            Some(Kind::Ident(name) | Kind::Str(name) | Kind::Template(name)) => {
                Key::Name(name.clone())
            }
            Some(Kind::Num(n)) => Key::Name(n.to_string()),
            Some(Kind::Punct("[")) => {
                self.pos += 1;
                let key = self.assignment()?;
                self.expect("]")?;
                return Ok(Key::Computed(key));
            }
            Some(Kind::Punct("#")) => {
                self.pos += 1;
                return self.key();
            }
            _ => return Err(Fail::Unsupported),
        };
        self.pos += 1;
        Ok(key)
    }

    fn object(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut props = Vec::new();
        while !self.eat("}") {
            self.steps.take(1)?;
            let from = self.pos;
            let prop = self.member()?;
            let span = Span {
                start: self.start_of(from),
                end: self.end_before(),
            };
            props.push((prop, span));
            if !self.eat(",") && !self.at_punct("}") {
                return Err(Fail::Unsupported);
            }
        }
        self.nesting -= 1;
        self.add(Node::Object(props), start)
    }

    fn member(&mut self) -> Parsed<Prop> {
        let start = self.pos;
        if self.eat("...") {
            let inner = self.assignment()?;
            return Ok(Prop::Spread(self.add(Node::Spread(inner), start)?));
        }
        // `get x() {}`, `async x() {}`, `*x() {}`: a modifier before the key.
        let modifier = matches!(
            self.word_at(self.pos),
            Some("get" | "set" | "async" | "static")
        ) && !matches!(
            self.kind(self.pos + 1),
            Some(Kind::Punct(":" | "," | "(" | "}" | "=" | "<"))
        );
        if modifier {
            self.pos += 1;
        }
        let generator = self.eat("*");
        let shorthand = self.word_at(self.pos).map(str::to_string);
        let key = self.key()?;
        self.eat("?");
        if self.at_punct("(") || self.at_punct("<") {
            if self.at_punct("<") {
                self.skip_angles()?;
            }
            let func_start = self.pos;
            let (params, rest) = self.params()?;
            if self.eat(":") {
                self.skip_type()?;
            }
            let body = Body::Block(self.block()?);
            let func = Rc::new(Func {
                name: None,
                params,
                rest,
                body,
            });
            let id = self.add(Node::Function(func), func_start)?;
            if modifier && !matches!(self.word_at(start), Some("async")) || generator {
                return Ok(Prop::Method(key));
            }
            return Ok(Prop::Value(key, id));
        }
        if modifier || generator {
            return Err(Fail::Unsupported);
        }
        if self.eat(":") {
            let value = self.assignment()?;
            return Ok(Prop::Value(key, value));
        }
        match (shorthand, key) {
            (Some(name), Key::Name(_)) if self.at_punct(",") || self.at_punct("}") => {
                Ok(Prop::Shorthand(name))
            }
            _ => Err(Fail::Unsupported),
        }
    }
}
