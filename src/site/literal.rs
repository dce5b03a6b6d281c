//! Literal values from the tokens of a config file, and the object the file
//! exports. Only what is written literally is read: objects, arrays,
//! strings, template literals without substitutions, numbers, booleans,
//! `null`, and names bound to such values at the top of the file. Anything
//! else (a call, `process.env.BASE`, a condition) is [`Value::Unknown`],
//! holding its source text so that a message can quote it.

use std::collections::HashMap;

use super::lex::{Kind, LexError, Token, tokenize};

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

    fn kind(&self, at: usize) -> Option<&'a Kind> {
        self.tokens.get(at).map(|t| &t.kind)
    }

    fn is_punct(&self, at: usize, punct: &str) -> bool {
        matches!(self.kind(at), Some(Kind::Punct(p)) if *p == punct)
    }

    fn is_ident(&self, at: usize, name: &str) -> bool {
        matches!(self.kind(at), Some(Kind::Ident(n)) if n == name)
    }

    fn ident(&self, at: usize) -> Option<&'a str> {
        match self.kind(at) {
            Some(Kind::Ident(name)) => Some(name),
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
            Some(Kind::Punct(p)) => matches!(*p, "," | ";" | ")" | "]" | "}"),
            Some(Kind::Ident(name)) => {
                statement && self.newline_before(at) && STATEMENT_STARTS.contains(&name.as_str())
            }
            Some(Kind::TemplateMiddle | Kind::TemplateTail) => true,
            _ => false,
        }
    }

    /// Skips one expression from `pos`, brackets balanced; stops at the
    /// token that ends it.
    fn skip_expression(&mut self, statement: bool) {
        let mut depth = 0usize;
        while let Some(kind) = self.kind(self.pos) {
            if depth == 0 && self.ends_expression(self.pos, statement) {
                return;
            }
            match kind {
                Kind::Punct("{" | "(" | "[") | Kind::TemplateHead => depth += 1,
                Kind::Punct("}" | ")" | "]") | Kind::TemplateTail => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Skips a TypeScript type from `pos` (after `:`, `as`, `satisfies`),
    /// where `<...>` are brackets too; stops at `=` or the end of the
    /// expression.
    fn skip_type(&mut self, statement: bool) {
        let mut depth = 0usize;
        while let Some(kind) = self.kind(self.pos) {
            if depth == 0
                && (self.ends_expression(self.pos, statement) || self.is_punct(self.pos, "="))
            {
                return;
            }
            match kind {
                Kind::Punct("{" | "(" | "[" | "<") | Kind::TemplateHead => depth += 1,
                Kind::Punct("}" | ")" | "]" | ">") | Kind::TemplateTail => {
                    depth = depth.saturating_sub(1)
                }
                Kind::Punct(">>") => depth = depth.saturating_sub(2),
                Kind::Punct(">>>") => depth = depth.saturating_sub(3),
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Top-level statements: `const|let|var NAME (: T)? = value`, and the
    /// assignments that change a name's object afterwards (`NAME.a.b = v`,
    /// `NAME[k] = v`, `Object.assign(NAME, ...)`).
    fn collect_bindings(&mut self) {
        let mut depth = 0usize;
        let mut at = 0;
        while let Some(kind) = self.kind(at) {
            match kind {
                Kind::Punct("{" | "(" | "[") | Kind::TemplateHead => depth += 1,
                Kind::Punct("}" | ")" | "]") | Kind::TemplateTail => {
                    depth = depth.saturating_sub(1)
                }
                Kind::Ident(word)
                    if depth == 0 && matches!(word.as_str(), "const" | "let" | "var") =>
                {
                    if let Some(name) = self.ident(at + 1) {
                        self.pos = at + 2;
                        if self.is_punct(self.pos, ":") {
                            self.pos += 1;
                            self.skip_type(true);
                        }
                        if self.is_punct(self.pos, "=") {
                            self.bindings.insert(name.to_string(), self.pos + 1);
                        }
                    }
                }
                Kind::Ident(word)
                    if (at == 0 || !self.is_punct(at - 1, ".") && !self.is_punct(at - 1, "?."))
                        && !self.is_dead(at) =>
                {
                    if let Some(mut mutation) = self.mutation_at(at, word) {
                        let root = mutation.root.as_str();
                        // A function's parameter of the same name is
                        // another object (`webpack(config) { config.x = 1 }`).
                        let ours = root == "module.exports"
                            || self.bindings.contains_key(root)
                                && (depth == 0 || !self.shadowed(at, root));
                        mutation.unknown |= depth > 0 || !self.statement_starts(at);
                        if ours {
                            self.mutations.push(mutation);
                        }
                    }
                }
                _ => {}
            }
            at += 1;
        }
        self.pos = 0;
    }

    /// Whether token `at` begins a statement that runs whenever the file
    /// does: at the start, after `;` or a block's `}`, or on a new line
    /// after a token that cannot go on (not after `)`, `else`, `&&`, `?`,
    /// `=>` and other operators, where it may be a condition's branch).
    fn statement_starts(&self, at: usize) -> bool {
        let Some(prev) = at.checked_sub(1) else {
            return true;
        };
        match self.kind(prev) {
            None => true,
            Some(Kind::Punct(";" | "}")) => true,
            Some(Kind::Punct("]")) => self.newline_before(at),
            // `call()` then a new statement, unlike `if (x) ...`.
            Some(Kind::Punct(")")) => !self.closes_condition(prev),
            Some(Kind::Punct(_)) => false,
            Some(Kind::Ident(word)) => {
                self.newline_before(at) && !matches!(word.as_str(), "else" | "do")
            }
            Some(_) => self.newline_before(at),
        }
    }

    /// Whether token `at` is inside a function that has a parameter
    /// `name`: an arrow (`config => ...`, `(config) => { ... }`), or a
    /// function or method whose body encloses it (`webpack(config) {}`).
    fn shadowed(&self, at: usize, name: &str) -> bool {
        if at > 0 && self.is_punct(at - 1, "=>") && self.arrow_binds(at - 1, name) {
            return true;
        }
        let mut depth = 0usize;
        let mut i = at;
        while let Some(prev) = i.checked_sub(1) {
            i = prev;
            match self.kind(i) {
                Some(Kind::Punct(")" | "]" | "}")) => depth += 1,
                Some(Kind::Punct("(" | "[" | "{")) if depth > 0 => depth -= 1,
                Some(Kind::Punct("(" | "{")) => {
                    let Some(before) = i.checked_sub(1) else {
                        return false;
                    };
                    if self.is_punct(before, "=>") && self.arrow_binds(before, name) {
                        return true;
                    }
                    // `f(config) {`, `function (config) {`, but not
                    // `if (config.x) {`.
                    if self.is_punct(i, "{")
                        && self.is_punct(before, ")")
                        && !self.closes_condition(before)
                        && self.group_has(before, name)
                    {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Whether the arrow at `arrow` takes a parameter `name`.
    fn arrow_binds(&self, arrow: usize, name: &str) -> bool {
        let Some(before) = arrow.checked_sub(1) else {
            return false;
        };
        self.ident(before) == Some(name)
            || self.is_punct(before, ")") && self.group_has(before, name)
    }

    /// Whether the parenthesised group that `close` ends names `name`.
    fn group_has(&self, close: usize, name: &str) -> bool {
        let mut depth = 0usize;
        let mut at = close;
        loop {
            match self.kind(at) {
                Some(Kind::Punct(")")) => depth += 1,
                Some(Kind::Punct("(")) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return false;
                    }
                }
                Some(Kind::Ident(word)) if word == name => return true,
                _ => {}
            }
            let Some(before) = at.checked_sub(1) else {
                return false;
            };
            at = before;
        }
    }

    /// Whether the `)` at `close` ends the head of `if`, `while`, `for` or
    /// `with`, whose body may not run.
    fn closes_condition(&self, close: usize) -> bool {
        let mut depth = 0usize;
        let mut at = close;
        loop {
            match self.kind(at) {
                Some(Kind::Punct(")" | "]" | "}") | Kind::TemplateTail) => depth += 1,
                Some(Kind::Punct("(" | "[" | "{") | Kind::TemplateHead) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return at
                            .checked_sub(1)
                            .and_then(|i| self.ident(i))
                            .is_some_and(|word| matches!(word, "if" | "while" | "for" | "with"));
                    }
                }
                _ => {}
            }
            let Some(before) = at.checked_sub(1) else {
                return true;
            };
            at = before;
        }
    }

    /// Top-level `function NAME(...) {...}` declarations whose name no
    /// other token uses, as token ranges.
    fn uncalled_functions(&self) -> Vec<(usize, usize)> {
        let mut ranges = Vec::new();
        let mut depth = 0usize;
        for at in 0..self.tokens.len() {
            match self.kind(at) {
                Some(Kind::Punct("{" | "(" | "[") | Kind::TemplateHead) => depth += 1,
                Some(Kind::Punct("}" | ")" | "]") | Kind::TemplateTail) => {
                    depth = depth.saturating_sub(1)
                }
                Some(Kind::Ident(word)) if depth == 0 && word == "function" => {
                    let declared = at == 0
                        || self.statement_starts(at)
                        || matches!(self.ident(at - 1), Some("async" | "export"));
                    if let (true, Some(name)) = (declared, self.ident(at + 1)) {
                        let used = (0..self.tokens.len())
                            .any(|i| i != at + 1 && self.ident(i) == Some(name));
                        if !used {
                            ranges.push((at, self.body_end(at + 2)));
                        }
                    }
                }
                _ => {}
            }
        }
        ranges
    }

    /// From a function's parameters: the token after its body's `}`.
    fn body_end(&self, from: usize) -> usize {
        let mut depth = 0usize;
        let mut at = from;
        let mut in_body = false;
        while let Some(kind) = self.kind(at) {
            match kind {
                Kind::Punct("{") if depth == 0 => {
                    in_body = true;
                    depth += 1;
                }
                Kind::Punct("{" | "(" | "[") | Kind::TemplateHead => depth += 1,
                Kind::Punct("}" | ")" | "]") | Kind::TemplateTail => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 && in_body {
                        return at + 1;
                    }
                }
                _ => {}
            }
            at += 1;
        }
        at
    }

    fn is_dead(&self, at: usize) -> bool {
        self.dead.iter().any(|&(from, to)| from <= at && at < to)
    }

    /// `Object.assign(NAME, ...)` at token `at`.
    fn object_assign_at(&self, at: usize) -> Option<Mutation> {
        if !(self.is_punct(at + 1, ".")
            && self.is_ident(at + 2, "assign")
            && self.is_punct(at + 3, "("))
        {
            return None;
        }
        let target = self.ident(at + 4)?;
        let root = if target == "module" && self.is_ident(at + 6, "exports") {
            "module.exports".to_string()
        } else {
            target.to_string()
        };
        Some(Mutation {
            root,
            at,
            keys: None,
            value: at,
            unknown: false,
        })
    }

    /// A mutation starting at the name `word`, token `at`.
    fn mutation_at(&self, at: usize, word: &str) -> Option<Mutation> {
        if word == "Object" {
            return self.object_assign_at(at);
        }
        let (root, mut next) =
            if word == "module" && self.is_punct(at + 1, ".") && self.is_ident(at + 2, "exports") {
                ("module.exports".to_string(), at + 3)
            } else {
                (word.to_string(), at + 1)
            };
        let mut keys = Some(Vec::new());
        loop {
            if self.is_punct(next, ".") {
                let key = self.ident(next + 1)?;
                if let Some(keys) = keys.as_mut() {
                    keys.push(key.to_string());
                }
                next += 2;
            } else if self.is_punct(next, "[") {
                match (self.kind(next + 1), self.is_punct(next + 2, "]")) {
                    (Some(Kind::Str(key)), true) => {
                        if let Some(keys) = keys.as_mut() {
                            keys.push(key.clone());
                        }
                        next += 3;
                    }
                    _ => {
                        keys = None;
                        let mut depth = 0usize;
                        while let Some(kind) = self.kind(next) {
                            match kind {
                                Kind::Punct("[") => depth += 1,
                                Kind::Punct("]") => {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            next += 1;
                        }
                        next += 1;
                    }
                }
            } else {
                break;
            }
        }
        let is_member = next > at + 1 + usize::from(root == "module.exports") * 2;
        let compound =
            matches!(self.kind(next), Some(Kind::Punct(p)) if COMPOUND_ASSIGNMENTS.contains(p));
        if !self.is_punct(next, "=") && !compound {
            return None;
        }
        // `module.exports = v` is an export; `const NAME = v` a binding.
        let declared = at > 0 && matches!(self.ident(at - 1), Some("const" | "let" | "var"));
        if !is_member && (root == "module.exports" || declared) {
            return None;
        }
        Some(Mutation {
            root,
            at,
            keys,
            value: next + 1,
            unknown: compound,
        })
    }

    /// Applies to `value`, the object bound to `root` at token `since`,
    /// the top-level assignments that follow.
    fn mutate(&mut self, root: &str, since: usize, value: &mut Value) {
        let saved = self.pos;
        let mutations: Vec<Mutation> = self
            .mutations
            .iter()
            .filter(|m| m.root == root && m.at > since)
            .cloned()
            .collect();
        for mutation in mutations {
            self.pos = mutation.value;
            self.skip_expression(true);
            let source = self.text(mutation.at, self.pos);
            match &mutation.keys {
                // A reassignment: the object bound before may not be the
                // one exported.
                Some(keys) if keys.is_empty() => *value = Value::Unknown(source),
                Some(keys) if mutation.unknown => assign(value, keys, Value::Unknown(source)),
                Some(keys) => {
                    let new = self.value_at(mutation.value, true);
                    assign(value, keys, new);
                }
                None => {
                    if let Value::Object(entries) = value {
                        entries.push(Entry::Opaque(source));
                    }
                }
            }
        }
        self.pos = saved;
    }

    /// Where the value of the last export starts, and where its statement
    /// starts when it may not run (`if (x) module.exports = ...`, or one
    /// inside a block or a callback).
    fn find_export(&self) -> Option<(usize, Option<usize>)> {
        let mut depth = 0usize;
        let mut found = None;
        let mut at = 0;
        while let Some(kind) = self.kind(at) {
            match kind {
                Kind::Punct("{" | "(" | "[") | Kind::TemplateHead => depth += 1,
                Kind::Punct("}" | ")" | "]") | Kind::TemplateTail => {
                    depth = depth.saturating_sub(1)
                }
                Kind::Ident(word) if !self.is_dead(at) => {
                    let member_is = |object: &str, property: &str| {
                        word == object
                            && self.is_punct(at + 1, ".")
                            && self.is_ident(at + 2, property)
                            && self.is_punct(at + 3, "=")
                    };
                    if depth > 0 && word == "export" {
                        // Not a statement: a property or a name.
                    } else if word == "export"
                        && (self.is_ident(at + 1, "default") || self.is_punct(at + 1, "="))
                    {
                        found = Some((at + 2, None));
                    } else if word == "export" && self.is_punct(at + 1, "{") {
                        // `export { nextConfig as default }`: the name, whose
                        // `as default` reads as a type and is skipped.
                        let mut i = at + 2;
                        while self.kind(i).is_some() && !self.is_punct(i, "}") {
                            if self.is_ident(i + 1, "as") && self.is_ident(i + 2, "default") {
                                found = Some((i, None));
                            }
                            i += 1;
                        }
                    } else if (member_is("module", "exports") || member_is("exports", "default"))
                        && (at == 0 || !self.is_punct(at - 1, "."))
                    {
                        let runs = depth == 0 && self.statement_starts(at);
                        found = Some((at + 4, (!runs).then_some(at)));
                    }
                }
                _ => {}
            }
            at += 1;
        }
        found
    }

    /// The config an expression evaluates to, following names, identity
    /// calls and wrappers.
    fn resolve(&mut self, start: usize, wrappers: &mut Vec<String>, depth: usize) -> Value {
        self.pos = start;
        if depth > MAX_DEPTH {
            self.skip_expression(true);
            return Value::Unknown(self.text(start, self.pos));
        }
        // `(expr)`
        if self.is_punct(start, "(") {
            let value = self.resolve(start + 1, wrappers, depth + 1);
            if self.is_punct(self.pos, ")") {
                self.pos += 1;
                if self.tail_ends(true) {
                    return value;
                }
            }
            self.pos = start;
            self.skip_expression(true);
            return Value::Unknown(self.text(start, self.pos));
        }
        // A callee `a.b.c` and its calls.
        let mut at = start;
        let mut callee = Vec::new();
        while let Some(name) = self.ident(at) {
            callee.push(name);
            if self.is_punct(at + 1, ".") {
                at += 2;
            } else {
                at += 1;
                break;
            }
        }
        if !callee.is_empty()
            && self.is_punct(at, "(")
            && let Some(value) = self.resolve_call(start, at, &callee, wrappers, depth)
        {
            return value;
        }
        // A name bound at the top level.
        if let [name] = callee.as_slice() {
            self.pos = at;
            if self.tail_ends(true) {
                let end = self.pos;
                if let Some(&bound) = self.bindings.get(*name) {
                    let mut value = self.resolve(bound, wrappers, depth + 1);
                    self.mutate(name, bound, &mut value);
                    self.pos = end;
                    return value;
                }
            }
        }
        self.depth = depth;
        self.value_at(start, true)
    }

    /// At `(` after the callee `a.b.c`: the value of the calls, or `None`
    /// when the expression goes on past them.
    fn resolve_call(
        &mut self,
        start: usize,
        at: usize,
        callee: &[&'a str],
        wrappers: &mut Vec<String>,
        depth: usize,
    ) -> Option<Value> {
        let mut calls = Vec::new();
        self.pos = at;
        while self.is_punct(self.pos, "(") {
            calls.push(self.arguments());
        }
        if self.tail_ends(true) {
            let end = self.pos;
            // `withPWA({...})(nextConfig)` is named `withPWA(...)`.
            let name = format!("{}{}", callee.join("."), "(...)".repeat(calls.len() - 1));
            let last = calls.last().cloned().unwrap_or_default();
            if IDENTITY_CALLS.contains(&name.as_str()) && calls.len() == 1 {
                if let Some(&arg) = last.first() {
                    let value = self.resolve(arg, wrappers, depth + 1);
                    self.pos = end;
                    return Some(value);
                }
            } else {
                // A wrapper: the config is its first argument that is one.
                for arg in last {
                    let mut inner = Vec::new();
                    let value = self.resolve(arg, &mut inner, depth + 1);
                    if matches!(value, Value::Object(_)) {
                        wrappers.push(name);
                        wrappers.extend(inner);
                        self.pos = end;
                        return Some(value);
                    }
                }
            }
            self.pos = end;
            return Some(Value::Unknown(self.text(start, end)));
        }
        None
    }

    /// At `(`: the start of each argument; leaves `pos` after `)`.
    fn arguments(&mut self) -> Vec<usize> {
        let mut starts = Vec::new();
        self.pos += 1;
        while !self.is_punct(self.pos, ")") && self.kind(self.pos).is_some() {
            if self.is_punct(self.pos, "...") {
                self.pos += 1;
            }
            starts.push(self.pos);
            self.skip_expression(false);
            if self.is_punct(self.pos, ",") {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.is_punct(self.pos, ")") {
            self.pos += 1;
        }
        starts
    }

    /// Skips TypeScript's `as T`, `satisfies T` and `!` after a value;
    /// whether the expression then ends.
    fn tail_ends(&mut self, statement: bool) -> bool {
        loop {
            if self.is_ident(self.pos, "as") || self.is_ident(self.pos, "satisfies") {
                self.pos += 1;
                self.skip_type(statement);
                // `=` does not end a value expression.
                if self.is_punct(self.pos, "=") {
                    return false;
                }
            } else if self.is_punct(self.pos, "!") && !self.newline_before(self.pos) {
                self.pos += 1;
            } else {
                return self.ends_expression(self.pos, statement);
            }
        }
    }

    /// One value from token `start`; leaves `pos` at the token that ends it.
    fn value_at(&mut self, start: usize, statement: bool) -> Value {
        self.pos = start;
        if let Some(value) = self.literal()
            && self.tail_ends(statement)
        {
            return value;
        }
        self.pos = start;
        self.skip_expression(statement);
        Value::Unknown(self.text(start, self.pos))
    }

    /// A literal from `pos`, or `None` where the expression is not one
    /// (then `pos` is anywhere).
    fn literal(&mut self) -> Option<Value> {
        let kind = self.kind(self.pos)?;
        let value = match kind {
            Kind::Punct("{") => return self.object(),
            Kind::Punct("[") => return self.array(),
            Kind::Punct("(") => return self.nested(Self::parenthesised),
            Kind::Punct(sign @ ("-" | "+")) => match self.kind(self.pos + 1) {
                Some(Kind::Num(n)) => {
                    self.pos += 1;
                    Value::Num(if *sign == "-" { -n } else { *n })
                }
                _ => return None,
            },
            Kind::Str(s) | Kind::Template(s) => Value::Str(s.clone()),
            Kind::Num(n) => Value::Num(*n),
            Kind::Ident(word) => match word.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                "undefined" => Value::Undefined,
                name => {
                    let bound = *self.bindings.get(name)?;
                    if !self.ends_expression(self.pos + 1, false) || self.depth >= MAX_DEPTH {
                        return None;
                    }
                    let after = self.pos + 1;
                    self.depth += 1;
                    let value = self.value_at(bound, true);
                    self.depth -= 1;
                    self.pos = after;
                    return match value {
                        Value::Unknown(_) => None,
                        value => Some(value),
                    };
                }
            },
            _ => return None,
        };
        self.pos += 1;
        Some(value)
    }

    /// A literal nested deeper than [`MAX_NESTING`] is not read, so that
    /// no file can exhaust the stack.
    fn nested(&mut self, read: fn(&mut Self) -> Option<Value>) -> Option<Value> {
        if self.nesting >= MAX_NESTING {
            return None;
        }
        self.nesting += 1;
        let value = read(self);
        self.nesting -= 1;
        value
    }

    fn object(&mut self) -> Option<Value> {
        self.nested(Self::object_members)
    }

    /// At `(`: the literal inside, `pos` after its `)`.
    fn parenthesised(&mut self) -> Option<Value> {
        self.pos += 1;
        let value = self.literal()?;
        if !self.tail_ends(false) || !self.is_punct(self.pos, ")") {
            return None;
        }
        self.pos += 1;
        Some(value)
    }

    fn array(&mut self) -> Option<Value> {
        self.nested(Self::array_items)
    }

    /// At `{`: the object, `pos` after its `}`.
    fn object_members(&mut self) -> Option<Value> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            if self.is_punct(self.pos, "}") {
                self.pos += 1;
                return Some(Value::Object(entries));
            }
            let member_start = self.pos;
            if self.is_punct(self.pos, "...") {
                self.pos += 1;
                self.skip_expression(false);
                entries.push(Entry::Opaque(self.text(member_start, self.pos)));
            } else {
                // `get x() {}`, `async x() {}`: a modifier before the key.
                if matches!(
                    self.ident(self.pos),
                    Some("get" | "set" | "async" | "static")
                ) && !matches!(
                    self.kind(self.pos + 1),
                    Some(Kind::Punct(":" | "," | "(" | "}" | "="))
                ) {
                    self.pos += 1;
                }
                if self.is_punct(self.pos, "*") {
                    self.pos += 1;
                }
                let key = self.member_key()?;
                self.pos += 1;
                let value = Some(self.member_value(member_start)?);
                match (key, value) {
                    (Some(key), Some(value)) => entries.push(Entry::Prop(key, value)),
                    _ => entries.push(Entry::Opaque(self.text(member_start, self.pos))),
                }
            }
            match self.kind(self.pos)? {
                Kind::Punct(",") => self.pos += 1,
                Kind::Punct("}") => {}
                _ => return None,
            }
        }
    }

    /// At a member's key: the key (`None` for a computed one), `pos` on its
    /// last token. The outer `None`: not an object literal.
    fn member_key(&mut self) -> Option<Option<String>> {
        let key = match self.kind(self.pos)? {
            Kind::Ident(name) => Some(name.clone()),
            Kind::Str(s) => Some(s.clone()),
            Kind::Num(n) => Some(n.to_string()),
            Kind::Punct("[") => {
                self.pos += 1;
                let key = match self.kind(self.pos)? {
                    Kind::Str(s) | Kind::Template(s) if self.is_punct(self.pos + 1, "]") => {
                        self.pos += 1;
                        Some(s.clone())
                    }
                    _ => {
                        self.skip_expression(false);
                        None
                    }
                };
                if !self.is_punct(self.pos, "]") {
                    return None;
                }
                key
            }
            _ => return None,
        };
        Some(key)
    }

    /// After a member's key: its value (unknown for a method or a name not
    /// bound), `pos` after it. `None`: not an object literal.
    fn member_value(&mut self, member_start: usize) -> Option<Value> {
        match self.kind(self.pos)? {
            Kind::Punct(":") => {
                let start = self.pos + 1;
                let value = self.value_at(start, false);
                Some(value)
            }
            Kind::Punct("," | "}") => {
                // Shorthand `{ basePath }`: the name's value.
                let name_at = self.pos - 1;
                let value = match self.kind(name_at) {
                    Some(Kind::Ident(name)) => match self.bindings.get(name.as_str()) {
                        Some(&bound) if self.depth < MAX_DEPTH => {
                            let after = self.pos;
                            self.depth += 1;
                            let value = self.value_at(bound, true);
                            self.depth -= 1;
                            self.pos = after;
                            value
                        }
                        _ => Value::Unknown(self.text(name_at, name_at + 1)),
                    },
                    _ => return None,
                };
                Some(value)
            }
            Kind::Punct("(") | Kind::Punct("<") => {
                // A method: its parameters, then its body.
                self.skip_expression(false);
                Some(Value::Unknown(self.text(member_start, self.pos)))
            }
            _ => None,
        }
    }

    /// At `[`: the array, `pos` after its `]`. A spread makes it unknown.
    fn array_items(&mut self) -> Option<Value> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        let mut spread = false;
        loop {
            match self.kind(self.pos)? {
                Kind::Punct("]") => {
                    self.pos += 1;
                    return Some(if spread {
                        Value::Unknown(self.text(start, self.pos))
                    } else {
                        Value::Array(items)
                    });
                }
                Kind::Punct(",") => {
                    items.push(Value::Undefined);
                    self.pos += 1;
                    continue;
                }
                Kind::Punct("...") => {
                    spread = true;
                    self.pos += 1;
                    self.skip_expression(false);
                }
                _ => {
                    let item_start = self.pos;
                    items.push(self.value_at(item_start, false));
                }
            }
            match self.kind(self.pos)? {
                Kind::Punct(",") => self.pos += 1,
                Kind::Punct("]") => {}
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(source: &str) -> Value {
        exported(source).expect("exports a config").value
    }

    fn str_at(value: &Value, keys: &[&str]) -> Option<String> {
        match value.path(keys) {
            Found::Value(Value::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }

    #[test]
    fn exports_in_the_shapes_real_configs_use() {
        let cases: &[(&str, &str)] = &[
            ("module.exports = { basePath: '/docs' }", "cjs object"),
            ("export default { basePath: '/docs' };", "esm object"),
            (
                "import { defineConfig } from 'astro/config';\nexport default defineConfig({ basePath: '/docs' });",
                "defineConfig",
            ),
            (
                "export default defineNuxtConfig({ basePath: '/docs' })",
                "defineNuxtConfig",
            ),
            (
                "/** @type {import('next').NextConfig} */\nconst nextConfig = { basePath: '/docs' }\nexport default nextConfig",
                "a name, no semicolons",
            ),
            (
                "const nextConfig = {\n  basePath: '/docs',\n};\nmodule.exports = nextConfig;",
                "a name, CommonJS",
            ),
            (
                "import type { NextConfig } from 'next';\nconst nextConfig: NextConfig = { basePath: '/docs' };\nexport default nextConfig;",
                "TypeScript annotation",
            ),
            (
                "import type { NextConfig } from 'next'\nconst nextConfig = { basePath: '/docs' } satisfies NextConfig\nexport default nextConfig",
                "TypeScript satisfies",
            ),
            (
                "export default { basePath: '/docs' } satisfies Config;",
                "satisfies at the export",
            ),
            (
                "const c = { basePath: '/docs' } as const;\nexport default c;",
                "as const",
            ),
            (
                "const config: Record<string, unknown> = { basePath: '/docs' };\nexport default config;",
                "generic annotation",
            ),
            ("export default ({ basePath: '/docs' });", "parenthesised"),
            (
                "const nextConfig = { basePath: '/docs' };\nexport { nextConfig as default };",
                "a named export as default",
            ),
            (
                "module.exports = { basePath: '/old' };\nmodule.exports = { basePath: '/docs' };",
                "the last export wins",
            ),
            (
                "const config = defineConfig({ basePath: '/docs' });\nexport default config;",
                "defineConfig bound to a name",
            ),
            (
                "const base = '/docs';\nexport default { basePath: base };",
                "a name bound to a string",
            ),
            (
                "const basePath = '/docs';\nexport default { basePath };",
                "shorthand",
            ),
            (
                "export default { basePath: `/docs` };",
                "template without substitutions",
            ),
            ("export default { 'basePath': '/docs' };", "string key"),
            (
                "export default { ['basePath']: '/docs' };",
                "computed string key",
            ),
            (
                "export default { ...shared, basePath: '/docs' };",
                "spread before",
            ),
            (
                "function helper() { return { basePath: '/wrong' } }\nexport default { basePath: '/docs' };",
                "a function's object is not the export",
            ),
        ];
        for (source, what) in cases {
            assert_eq!(
                str_at(&config(source), &["basePath"]).as_deref(),
                Some("/docs"),
                "{what}: {source}"
            );
        }
    }

    #[test]
    fn wrappers_are_read_through_their_argument() {
        let cases: &[(&str, &[&str])] = &[
            (
                "const nextConfig = { basePath: '/docs' };\nmodule.exports = withBundleAnalyzer(nextConfig);",
                &["withBundleAnalyzer"],
            ),
            (
                "const nextConfig = { basePath: '/docs' };\nexport default withSentryConfig(nextConfig, { silent: true });",
                &["withSentryConfig"],
            ),
            (
                "const nextConfig = { basePath: '/docs' };\nexport default withPWA({ dest: 'public' })(nextConfig);",
                &["withPWA(...)"],
            ),
            (
                "const nextConfig = { basePath: '/docs' };\nmodule.exports = withPlugins([[withImages]], nextConfig);",
                &["withPlugins"],
            ),
            (
                "const nextConfig = { basePath: '/docs' };\nexport default withA(withB(nextConfig));",
                &["withA", "withB"],
            ),
            (
                "export default withNextIntl({ basePath: '/docs' });",
                &["withNextIntl"],
            ),
        ];
        for (source, wrappers) in cases {
            let exported = exported(source).expect("exports");
            assert_eq!(
                str_at(&exported.value, &["basePath"]).as_deref(),
                Some("/docs"),
                "{source}"
            );
            assert_eq!(exported.wrappers, *wrappers, "{source}");
        }
    }

    #[test]
    fn comments_strings_and_templates_do_not_fool_it() {
        let cases: &[&str] = &[
            "module.exports = {\n  // basePath: '/docs',\n}",
            "module.exports = {\n  /* basePath: '/docs', */\n}",
            "module.exports = { description: \"basePath: '/docs'\" }",
            "module.exports = { description: `basePath: '/docs'` }",
            "module.exports = { description: `${x} basePath: '/docs'` }",
            "module.exports = { pattern: /basePath: '\\/docs'/ }",
            "// module.exports = { basePath: '/docs' }\nmodule.exports = {}",
            "const s = \"export default { basePath: '/docs' }\";\nmodule.exports = {}",
            "module.exports = { nested: { basePath: '/docs' } }",
        ];
        for source in cases {
            assert_eq!(
                config(source).path(&["basePath"]),
                Found::Absent,
                "{source}"
            );
        }
    }

    #[test]
    fn computed_values_are_unknown_with_their_source() {
        let cases: &[(&str, &str)] = &[
            (
                "module.exports = { basePath: process.env.BASE }",
                "process.env.BASE",
            ),
            (
                "module.exports = { basePath: process.env.BASE ?? '/docs' }",
                "process.env.BASE ?? '/docs'",
            ),
            (
                "module.exports = { basePath: isProd ? '/docs' : '' }",
                "isProd ? '/docs' : ''",
            ),
            ("module.exports = { basePath: `/${repo}` }", "`/${repo}`"),
            ("module.exports = { basePath: '/' + name }", "'/' + name"),
            ("module.exports = { basePath: base() }", "base()"),
            ("module.exports = { basePath }", "basePath"),
            (
                "const basePath = process.env.BASE || '';\nmodule.exports = { basePath }",
                "process.env.BASE || ''",
            ),
            (
                "const base = process.env.BASE;\nmodule.exports = { basePath: base || undefined }",
                "base || undefined",
            ),
            ("module.exports = { basePath: `/a`.trim() }", "`/a`.trim()"),
            (
                "module.exports = { basePath: '/docs', ...extra }",
                "...extra",
            ),
            ("module.exports = { [key]: '/docs' }", "[key]: '/docs'"),
            (
                "module.exports = (phase) => ({ basePath: '/docs' })",
                "(phase) => ({ basePath: '/docs' })",
            ),
            (
                "export default async function config() { return { basePath: '/docs' } }",
                "async function config() { return { basePath: '/docs' } }",
            ),
            (
                "import config from './base.mjs';\nexport default config;",
                "config",
            ),
            ("export default withX(other);", "withX(other)"),
        ];
        for (source, expected) in cases {
            assert_eq!(
                config(source).path(&["basePath"]),
                Found::Unknown(expected.to_string()),
                "{source}"
            );
        }
    }

    #[test]
    fn literals_of_every_kind() {
        let value = config(
            "export default {
                a: null, b: undefined, c: true, d: false, e: -1.5, f: 0x10,
                g: [640, 750, , 'x'], h: { i: 'j' }, 'k-l': \"m\", 42: 'n',
                o() { return 1 }, get p() { return 2 }, async q() {},
                r: [1, ...more], s: ['image/avif', 'image/webp'] as const,
            }",
        );
        let at = |key: &str| match value.path(&[key]) {
            Found::Value(v) => v.clone(),
            Found::Absent => Value::Undefined,
            Found::Unknown(source) => Value::Unknown(source),
        };
        assert_eq!(at("a"), Value::Null);
        assert_eq!(value.path(&["b"]), Found::Absent, "undefined is unset");
        assert_eq!(at("c"), Value::Bool(true));
        assert_eq!(at("d"), Value::Bool(false));
        assert_eq!(at("e"), Value::Num(-1.5));
        assert_eq!(at("f"), Value::Num(16.0));
        assert_eq!(
            at("g"),
            Value::Array(vec![
                Value::Num(640.0),
                Value::Num(750.0),
                Value::Undefined,
                Value::Str("x".into())
            ])
        );
        assert_eq!(
            value.path(&["h", "i"]),
            Found::Value(&Value::Str("j".into()))
        );
        assert_eq!(at("k-l"), Value::Str("m".into()));
        assert_eq!(at("42"), Value::Str("n".into()));
        assert!(matches!(at("o"), Value::Unknown(_)));
        assert!(matches!(at("p"), Value::Unknown(_)));
        assert!(matches!(at("q"), Value::Unknown(_)));
        assert_eq!(at("r"), Value::Unknown("[1, ...more]".into()));
        assert_eq!(
            at("s"),
            Value::Array(vec![
                Value::Str("image/avif".into()),
                Value::Str("image/webp".into())
            ])
        );
        assert_eq!(value.path(&["zz"]), Found::Absent);
        assert_eq!(value.path(&["a", "x"]), Found::Absent, "below null");
        assert_eq!(
            value.path(&["c", "x"]),
            Found::Unknown("true".into()),
            "below a boolean"
        );
    }

    #[test]
    fn files_without_an_export_or_unreadable_are_errors() {
        assert_eq!(exported("const a = {}"), Err(ExportError::NoExport));
        assert_eq!(
            exported("function f() { module.exports = {} }"),
            Err(ExportError::NoExport),
            "not at the top level"
        );
        assert!(matches!(
            exported("module.exports = { a: 'open }"),
            Err(ExportError::Lex(_))
        ));
    }

    #[test]
    fn top_level_assignments_change_the_exported_object() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            (
                "const nextConfig = { basePath: '/old' };\nnextConfig.basePath = '/docs';\nexport default nextConfig;",
                Ok("/docs"),
            ),
            (
                "const nextConfig = {};\nnextConfig['basePath'] = '/docs'\nmodule.exports = nextConfig",
                Ok("/docs"),
            ),
            (
                "module.exports = { basePath: '/old' };\nmodule.exports.basePath = '/docs';",
                Ok("/docs"),
            ),
            (
                "const c = { basePath: '/docs' };\nc.images = { unoptimized: true };\nexport default c;",
                Ok("/docs"),
            ),
            (
                "const c = { basePath: '/docs' };\nc[key] = '/x';\nexport default c;",
                Err("c[key] = '/x'"),
            ),
            (
                "const c = { basePath: '/docs' };\nObject.assign(c, extra);\nexport default c;",
                Err("Object.assign(c, extra)"),
            ),
            (
                "const c = { basePath: '/docs' };\nc.basePath = process.env.BASE;\nexport default c;",
                Err("process.env.BASE"),
            ),
            (
                "const c = { basePath: '/docs' };\nfunction f() { c.basePath = '/x' }\nexport default c;",
                Ok("/docs"),
            ),
            (
                "const c = { basePath: '/docs' };\nif (x) c.basePath == '/x';\nexport default c;",
                Ok("/docs"),
            ),
        ];
        for (source, expected) in cases {
            let expected = match expected {
                Ok(s) => Value::Str(s.to_string()),
                Err(source) => Value::Unknown(source.to_string()),
            };
            let found = match config(source).path(&["basePath"]) {
                Found::Value(value) => value.clone(),
                Found::Unknown(source) => Value::Unknown(source),
                Found::Absent => Value::Undefined,
            };
            assert_eq!(found, expected, "{source}");
        }
        let nested = config(
            "const c = { images: { formats: ['image/webp'] } };\nc.images.unoptimized = true;\nc.output.mode = 'x';\nexport default c;",
        );
        assert_eq!(
            nested.path(&["images", "unoptimized"]),
            Found::Value(&Value::Bool(true))
        );
        assert!(matches!(
            nested.path(&["images", "formats"]),
            Found::Value(Value::Array(_))
        ));
        assert_eq!(
            nested.path(&["output", "mode"]),
            Found::Value(&Value::Str("x".to_string()))
        );
    }

    #[test]
    fn assignments_that_may_not_run_make_what_they_set_unknown() {
        // (source, key, the unknown source expected)
        let cases: &[(&str, &str, &str)] = &[
            (
                "const c={}; if (process.env.BASE_PATH) { c.basePath = process.env.BASE_PATH } module.exports=c",
                "basePath",
                "c.basePath = process.env.BASE_PATH",
            ),
            (
                "const c = {};\nif (process.env.STATIC) c.output='export';\nmodule.exports = c",
                "output",
                "c.output='export'",
            ),
            (
                "const c = { output: 'standalone' };\nif (x)\n  c.output = 'export'\nmodule.exports = c",
                "output",
                "c.output = 'export'",
            ),
            (
                "const c = {};\nif (x) {} else c.basePath = '/b';\nexport default c",
                "basePath",
                "c.basePath = '/b'",
            ),
            (
                "const c = {};\n(() => { c.basePath = '/x' })();\nexport default c",
                "basePath",
                "c.basePath = '/x'",
            ),
            (
                "const c = {};\nX && (c.basePath='/x');\nexport default c",
                "basePath",
                "c.basePath='/x'",
            ),
            (
                "const c = {};\nX || (c.basePath = '/x');\nexport default c",
                "basePath",
                "c.basePath = '/x'",
            ),
            (
                "const c = {};\nX ? c.basePath = '/x' : null;\nexport default c",
                "basePath",
                "c.basePath = '/x' : null",
            ),
            (
                "const c = {};\nX ? null : c.basePath = '/x';\nexport default c",
                "basePath",
                "c.basePath = '/x'",
            ),
            (
                "const c = {};\n[1].forEach(() => c.basePath = '/x');\nexport default c",
                "basePath",
                "c.basePath = '/x'",
            ),
            (
                "const c = { basePath: '/a' };\nc.basePath += '/b';\nexport default c",
                "basePath",
                "c.basePath += '/b'",
            ),
            (
                "module.exports = {};\nif (x) { module.exports.basePath = '/x' }",
                "basePath",
                "module.exports.basePath = '/x'",
            ),
            (
                "const c = {};\nfunction f() { c.basePath = '/x' }\nf();\nexport default c",
                "basePath",
                "c.basePath = '/x'",
            ),
            (
                "let c = { basePath: '/a' }; c = { basePath: '/b' }; export default c",
                "basePath",
                "c = { basePath: '/b' }",
            ),
            (
                "let c = { basePath: '/a' };\nif (x) { c = { basePath: '/b' } }\nexport default c",
                "basePath",
                "c = { basePath: '/b' }",
            ),
            (
                "if (X) module.exports = {basePath:'/b'}",
                "basePath",
                "module.exports = {basePath:'/b'}",
            ),
            (
                "module.exports = { basePath: '/a' };\nif (X) { module.exports = { basePath: '/b' } }",
                "basePath",
                "module.exports = { basePath: '/b' }",
            ),
            (
                "const c = {};\nif (x) { c[key] = '/x' }\nexport default c",
                "basePath",
                "c[key] = '/x'",
            ),
        ];
        for (source, key, expected) in cases {
            assert_eq!(
                config(source).path(&[key]),
                Found::Unknown(expected.to_string()),
                "{source}"
            );
        }
        // Other keys keep their literal values where only one is touched.
        let value = config(
            "const c = { basePath: '/docs' };\nif (x) { c.images = { unoptimized: true } }\nexport default c",
        );
        assert_eq!(
            value.path(&["basePath"]),
            Found::Value(&Value::Str("/docs".into()))
        );
        assert!(matches!(
            value.path(&["images", "unoptimized"]),
            Found::Unknown(_)
        ));
        // A plain statement after a conditional one still runs.
        let value = config(
            "const c = {};\nif (x) { c.basePath = '/x' }\nc.basePath = '/docs';\nexport default c",
        );
        assert_eq!(
            value.path(&["basePath"]),
            Found::Value(&Value::Str("/docs".into()))
        );
        // A parameter of the same name is another object.
        for source in [
            "const config = { basePath: '/docs', webpack(config) { config.basePath = '/x'; return config } };\nexport default config",
            "const config = { basePath: '/docs', webpack: (config, { dev }) => { config.basePath = '/x'; return config } };\nexport default config",
            "const config = { basePath: '/docs' };\n[1].forEach(config => config.basePath = '/x');\nexport default config",
            "const config = { basePath: '/docs' };\nfunction f(config) { if (x) { config.basePath = '/x' } }\nf({});\nexport default config",
        ] {
            assert_eq!(
                config(source).path(&["basePath"]),
                Found::Value(&Value::Str("/docs".into())),
                "{source}"
            );
        }
        let value = config(
            "const config = {};\nif (config.x) { config.basePath = '/x' }\nexport default config",
        );
        assert!(
            matches!(value.path(&["basePath"]), Found::Unknown(_)),
            "a condition is no parameter"
        );
        // After a call's `)` on a new line, a statement runs; after a
        // condition's, it may not.
        let value = config("const c = {};\nsetup()\nc.basePath = '/docs'\nexport default c");
        assert_eq!(
            value.path(&["basePath"]),
            Found::Value(&Value::Str("/docs".into()))
        );
        let value = config("const c = {};\nwhile (f(x))\n  c.basePath = '/x'\nexport default c");
        assert!(matches!(value.path(&["basePath"]), Found::Unknown(_)));
        let value = config("if (f(x))\n  module.exports = { basePath: '/x' }");
        assert!(matches!(value, Value::Unknown(_)));
        // A conditional export before the last, unconditional one.
        let value = config(
            "if (x) module.exports = { basePath: '/x' };\nmodule.exports = { basePath: '/docs' };",
        );
        assert_eq!(
            value.path(&["basePath"]),
            Found::Value(&Value::Str("/docs".into()))
        );
    }

    #[test]
    fn deep_nesting_is_unknown_not_a_crash() {
        // The innermost literal reached, and how many arrays lead to it.
        fn innermost(mut value: &Value) -> (usize, &Value) {
            let mut levels = 0;
            while let Value::Array(items) = value {
                value = &items[0];
                levels += 1;
            }
            (levels, value)
        }
        let deep = format!(
            "module.exports = {{ a: {}1{} }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let value = config(&deep);
        let Found::Value(a) = value.path(&["a"]) else {
            panic!("{value:?}")
        };
        let (levels, leaf) = innermost(a);
        assert_eq!(levels, MAX_NESTING - 1);
        assert!(matches!(leaf, Value::Unknown(_)), "{leaf:?}");
        let fine = format!(
            "module.exports = {{ a: {}1{} }}",
            "[".repeat(60),
            "]".repeat(60)
        );
        let value = config(&fine);
        let Found::Value(a) = value.path(&["a"]) else {
            panic!("{value:?}")
        };
        assert_eq!(innermost(a), (60, &Value::Num(1.0)));
    }

    #[test]
    fn names_that_refer_to_themselves_end() {
        let value = config("const a = b;\nconst b = a;\nexport default a;");
        assert!(matches!(value, Value::Unknown(_)), "{value:?}");
        let value = config("const a = { x: a };\nexport default a;");
        assert_eq!(
            value.path(&["x"; 40]),
            Found::Unknown("a".into()),
            "followed a bounded number of times"
        );
    }
}
