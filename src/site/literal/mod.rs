//! Literal values from the tokens of a config file, and the object the file
//! exports. Only what is written literally is read: objects, arrays,
//! strings, template literals without substitutions, numbers, booleans,
//! `null`, and names bound to such values at the top of the file. Anything
//! else (a call, `process.env.BASE`, a condition) is [`Value::Unknown`],
//! holding its source text so that a message can quote it.

use std::collections::HashMap;

use super::lex::{LexError, Token, TokenKind, tokenize};

/// A value as written in the config.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Undefined,
    Bool(bool),
    Num(f64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<Entry>),
    /// Computed when the site is built; the expression's source, on one line.
    Unknown(String),
}

/// One member of an object literal, in source order.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Prop(String, Value),
    /// A spread (`...base`) or a computed key that is not a literal: it may
    /// set any key. Holds its source.
    Opaque(String),
}

/// What a lookup found.
#[derive(Clone, Debug, PartialEq)]
pub enum Found<'v> {
    Value(&'v Value),
    Absent,
    /// The value, or an object on the way to it, is computed; the source.
    Unknown(String),
}

impl Value {
    /// The value at `keys` (`["images", "unoptimized"]`). A later member
    /// wins over an earlier one, as in JavaScript; a spread after the last
    /// member that sets the key (or with none) makes it unknown.
    pub fn path(&self, keys: &[&str]) -> Found<'_> {
        let mut current = self;
        for key in keys {
            match current {
                Value::Object(entries) => {
                    let mut found = Found::Absent;
                    for entry in entries.iter().rev() {
                        match entry {
                            Entry::Prop(name, value) if name == key => {
                                found = Found::Value(value);
                                break;
                            }
                            Entry::Prop(..) => {}
                            Entry::Opaque(source) => {
                                found = Found::Unknown(source.clone());
                                break;
                            }
                        }
                    }
                    match found {
                        Found::Value(Value::Undefined) => return Found::Absent,
                        Found::Value(value) => current = value,
                        other => return other,
                    }
                }
                Value::Unknown(source) => return Found::Unknown(source.clone()),
                Value::Null | Value::Undefined => return Found::Absent,
                other => return Found::Unknown(other.describe()),
            }
        }
        match current {
            Value::Unknown(source) => Found::Unknown(source.clone()),
            value => Found::Value(value),
        }
    }

    /// A short rendering for messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".to_string(),
            Value::Undefined => "undefined".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Str(s) => format!("{s:?}"),
            Value::Array(_) => "an array".to_string(),
            Value::Object(_) => "an object".to_string(),
            Value::Unknown(source) => source.clone(),
        }
    }

    /// From JSON (`vercel.json`, `package.json`).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                n.as_f64().map_or(Value::Unknown(n.to_string()), Value::Num)
            }
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Entry::Prop(k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// The object a config file exports, and the wrappers it passed through
/// (`withBundleAnalyzer`), outermost first.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub value: Value,
    pub wrappers: Vec<String>,
}

/// Why a file yields no exported config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportError {
    Lex(LexError),
    /// No `export default` or `module.exports =` at the top level.
    NoExport,
}

/// Reads the exported config of a JavaScript or TypeScript file, in the
/// shapes real configs use: `module.exports = {...}`, `export default
/// {...}`, `export default defineConfig({...})`, a name bound to the object
/// (`const nextConfig: NextConfig = {...}; export default nextConfig`), a
/// wrapper call (`withX(nextConfig)`, read through its argument), and
/// TypeScript's `satisfies T` / `as T`. The last export wins; top-level
/// assignments after it (`nextConfig.basePath = '/docs'`) change it. An
/// assignment that may or may not run (in a block, a callback, after a
/// condition) makes what it sets unknown, and so does a conditional export
/// for the whole config: the file alone cannot say what the build sees.
pub fn exported(source: &str) -> Result<Exported, ExportError> {
    let tokens = tokenize(source).map_err(ExportError::Lex)?;
    let mut parser = Parser::new(source, &tokens);
    let (start, conditional) = parser.find_export().ok_or(ExportError::NoExport)?;
    if let Some(statement) = conditional {
        parser.pos = start;
        parser.skip_expression(true);
        let value = Value::Unknown(parser.text(statement, parser.pos));
        return Ok(Exported {
            value,
            wrappers: Vec::new(),
        });
    }
    let mut wrappers = Vec::new();
    let mut value = parser.resolve(start, &mut wrappers, 0);
    parser.mutate("module.exports", start, &mut value);
    Ok(Exported { value, wrappers })
}

/// Calls that return their argument unchanged.
const IDENTITY_CALLS: &[&str] = &["defineConfig", "defineNuxtConfig"];

/// How deep object and array literals are read.
const MAX_NESTING: usize = 64;

/// How deep names and wrappers are followed (`a = b; b = c; ...`).
const MAX_DEPTH: usize = 16;

/// Names after a line break that begin a new statement, where a missing
/// `;` ends the previous one.
const STATEMENT_STARTS: &[&str] = &[
    "export",
    "import",
    "const",
    "let",
    "var",
    "module",
    "exports",
    "function",
    "class",
    "if",
    "for",
    "while",
    "return",
    "async",
    "type",
    "interface",
    "declare",
];

const LONGEST_SOURCE: usize = 80;

/// `NAME.a.b = value`, or `NAME = value`; `keys` is `None` where they
/// cannot be read (`NAME[k] = v`, `Object.assign(NAME, ...)`), and empty
/// for a reassignment of the name itself.
#[derive(Clone, Debug)]
struct Mutation {
    root: String,
    /// Where the statement starts.
    at: usize,
    keys: Option<Vec<String>>,
    /// Where the assigned value starts (for `Object.assign`, the call).
    value: usize,
    /// Whether the new value cannot be known from the file: the assignment
    /// is not a plain top-level statement (it sits in a block, a callback
    /// or after a condition, so it may or may not run), or it computes
    /// from the old value (`+=`).
    unknown: bool,
}

/// Assignment operators that compute from the old value.
const COMPOUND_ASSIGNMENTS: &[&str] = &[
    "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "&&=", "||=",
    "??=",
];

/// Sets `keys` in an object to `new`, as a later member that wins.
fn assign(value: &mut Value, keys: &[String], new: Value) {
    let Value::Object(entries) = value else {
        return;
    };
    let [first, rest @ ..] = keys else { return };
    if rest.is_empty() {
        entries.push(Entry::Prop(first.clone(), new));
        return;
    }
    let last = entries.iter().rposition(|e| match e {
        Entry::Prop(name, _) => name == first,
        Entry::Opaque(_) => true,
    });
    match last.map(|i| &mut entries[i]) {
        Some(Entry::Prop(_, inner)) => assign(inner, rest, new),
        Some(Entry::Opaque(_)) => {}
        None => {
            let mut inner = Value::Object(Vec::new());
            assign(&mut inner, rest, new);
            entries.push(Entry::Prop(first.clone(), inner));
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: &'a [Token],
    pos: usize,
    /// Top-level `const`/`let`/`var` names and where their value starts.
    bindings: HashMap<String, usize>,
    /// Assignments to a name or its members, in source order.
    mutations: Vec<Mutation>,
    /// Token ranges of top-level function declarations that nothing calls
    /// or names: what they assign never runs.
    dead: Vec<(usize, usize)>,
    depth: usize,
    /// How many object and array literals are open.
    nesting: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, tokens: &'a [Token]) -> Self {
        let mut parser = Self {
            src,
            tokens,
            pos: 0,
            bindings: HashMap::new(),
            mutations: Vec::new(),
            dead: Vec::new(),
            depth: 0,
            nesting: 0,
        };
        parser.dead = parser.uncalled_functions();
        parser.collect_bindings();
        parser
    }

    fn kind(&self, at: usize) -> Option<&'a TokenKind> {
        self.tokens.get(at).map(|t| &t.kind)
    }

    fn is_punct(&self, at: usize, punct: &str) -> bool {
        matches!(self.kind(at), Some(TokenKind::Punct(p)) if *p == punct)
    }

    fn is_ident(&self, at: usize, name: &str) -> bool {
        matches!(self.kind(at), Some(TokenKind::Ident(n)) if n == name)
    }

    fn ident(&self, at: usize) -> Option<&'a str> {
        match self.kind(at) {
            Some(TokenKind::Ident(name)) => Some(name),
            _ => None,
        }
    }

    /// Whether a line break comes before token `at`.
    fn newline_before(&self, at: usize) -> bool {
        match (
            at.checked_sub(1).and_then(|i| self.tokens.get(i)),
            self.tokens.get(at),
        ) {
            (Some(prev), Some(tok)) => self.src[prev.end..tok.start].contains(['\n', '\r']),
            _ => false,
        }
    }

    /// The source of tokens `from..to`, on one line and shortened.
    fn text(&self, from: usize, to: usize) -> String {
        let (Some(first), Some(last)) = (
            self.tokens.get(from),
            to.checked_sub(1).and_then(|i| self.tokens.get(i)),
        ) else {
            return String::new();
        };
        let raw = &self.src[first.start..last.end.max(first.start)];
        let one_line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > LONGEST_SOURCE {
            let cut: String = one_line.chars().take(LONGEST_SOURCE - 3).collect();
            format!("{cut}...")
        } else {
            one_line
        }
    }

    /// Whether token `at` ends an expression (at bracket depth 0).
    fn ends_expression(&self, at: usize, statement: bool) -> bool {
        match self.kind(at) {
            None => true,
            Some(TokenKind::Punct(p)) => matches!(*p, "," | ";" | ")" | "]" | "}"),
            Some(TokenKind::Ident(name)) => {
                statement && self.newline_before(at) && STATEMENT_STARTS.contains(&name.as_str())
            }
            Some(TokenKind::TemplateMiddle | TokenKind::TemplateTail) => true,
            _ => false,
        }
    }
}

mod scope;
mod values;

#[cfg(test)]
mod tests;
