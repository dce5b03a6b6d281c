//! Evaluates a config's [`Tree`] the way the build runs it, as far as the
//! file alone can tell: statements in order, each declaration evaluated once
//! (a name is a value, never re-read), functions called with what the build
//! passes (`phase-production-build`, Vite's `build` command), `process.env`
//! unknown except `NODE_ENV` (`production` in every build), plugins taken to
//! pass the config through. What depends on the build environment is
//! [`V::Unknown`]; a condition that is not known runs both ways and a value
//! it sets is [`V::Either`], known where both ways agree. Every node
//! evaluated and every member looked through is a step of the shared
//! budget; calls nest at most [`MAX_CALLS`] deep, strings and arrays have
//! a length cap.

mod calls;
mod expressions;
mod statements;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::literal::{Entry, Value};
use super::tree::{Body, Func, Id, Imported, Key, Node, OverBudget, Pattern, Prop, Steps, Tree};

/// How deep calls nest (a recursive function ends here, unknown).
pub const MAX_CALLS: usize = 24;
/// The longest string built, in bytes, and the longest array.
const MAX_STRING: usize = 64 * 1024;
const MAX_ARRAY: usize = 10_000;
/// Building a string costs a step per this many bytes, and an array a
/// step per item, so that what is built is bounded by the budget and so
/// by the file's size.
const BYTES_PER_STEP: usize = 16;
/// How many values the exported config is written out as, and how deep.
const MAX_SNAPSHOT: usize = 20_000;
const MAX_DEPTH: usize = 64;

/// The longest source quoted in a message.
const LONGEST_SOURCE: usize = 80;

type Obj = Rc<RefCell<ObjData>>;

/// An object's members in order, with where each key was last set and
/// where the members that are not plain keys are, so that reading a key
/// looks only at what comes after its last setting.
#[derive(Debug, Default)]
pub struct ObjData {
    entries: Vec<E>,
    last: HashMap<Rc<str>, usize>,
    others: Vec<usize>,
}

impl ObjData {
    fn push(&mut self, entry: E) {
        let at = self.entries.len();
        match &entry {
            E::Prop(key, _) => {
                self.last.insert(Rc::clone(key), at);
            }
            _ => self.others.push(at),
        }
        self.entries.push(entry);
    }
}

/// How deep conditions nest in one value; deeper, the value is unknown.
const MAX_EITHER: u8 = 8;
/// How deep reading a member follows spreads.
const MAX_LOOKUP: usize = 64;
/// How deep expressions nest when evaluated.
const MAX_EXPR_DEPTH: usize = 200;

#[derive(Clone, Debug)]
pub enum V {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    /// A path relative to the config's folder (`path.resolve(__dirname, 'x')`).
    Path(Rc<str>),
    /// `import.meta.url`: the config file itself.
    FileUrl,
    Array(Rc<RefCell<Vec<V>>>),
    Object(Obj),
    Func(Rc<Closure>),
    Builtin(Builtin),
    /// One of two values, by a condition the file cannot tell; the source
    /// of what chose.
    Either(Rc<(V, V, u8)>, Rc<str>),
    /// What plugins returned for a config: their names, outermost first,
    /// and the config passed through.
    Through(Rc<Vec<Rc<str>>>, Rc<V>),
    /// A value that exists but is not read (a regex, a class, a getter).
    Opaque(Rc<str>),
    /// Computed when the site is built; the source.
    Unknown(Rc<str>),
}

#[derive(Clone, Debug)]
pub enum E {
    Prop(Rc<str>, V),
    /// `...value`; deep for a merge function (`mergeConfig`).
    Spread(V, bool),
    /// May set any key: the source.
    Opaque(Rc<str>),
}

#[derive(Debug)]
pub struct Closure {
    func: Rc<Func>,
    scope: Rc<Scope>,
    /// The function's source, for messages.
    source: Rc<str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Require,
    Identity,
    PathModule,
    PathJoin,
    PathResolve,
    PathDirname,
    UrlModule,
    FileUrlToPath,
    UrlClass,
    Process,
    Env,
    Cwd,
    ObjectClass,
    ObjectAssign,
    /// `mergeConfig`, `deepmerge`, lodash's `merge`: later arguments win.
    MergeLater,
    /// `defu`: earlier arguments win.
    MergeEarlier,
    Boolean,
    NextConstants,
}

/// How the build calls a config exported as a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Next.js: `(phase, { defaultConfig })` for `phase-production-build`.
    NextBuild,
    /// Vite: `({ command: 'build', mode: 'production' })`.
    ViteBuild,
    /// No arguments.
    Plain,
}

#[derive(Debug, Default)]
pub struct Scope {
    vars: RefCell<HashMap<Rc<str>, V>>,
    parent: Option<Rc<Scope>>,
}

impl Scope {
    fn child(parent: &Rc<Scope>) -> Rc<Scope> {
        Rc::new(Scope {
            vars: RefCell::new(HashMap::new()),
            parent: Some(Rc::clone(parent)),
        })
    }

    fn get(&self, name: &str) -> Option<V> {
        if let Some(v) = self.vars.borrow().get(name) {
            return Some(v.clone());
        }
        self.parent.as_ref()?.get(name)
    }

    /// Sets `name` where it is declared; `false` if nowhere.
    fn set(&self, name: &str, value: V) -> bool {
        if let Some(slot) = self.vars.borrow_mut().get_mut(name) {
            *slot = value;
            return true;
        }
        self.parent.as_ref().is_some_and(|p| p.set(name, value))
    }

    fn declare(&self, name: &str, value: V) {
        self.vars.borrow_mut().insert(name.into(), value);
    }
}

/// How a statement ended.
enum Flow {
    Normal,
    Return(V),
    /// Returned on some of the ways a condition could go.
    MaybeReturn(V, Rc<str>),
    Throw,
}

/// What evaluating a file gives.
pub struct Evaluated {
    /// The exported config, `None` when the file exports nothing.
    pub value: Option<Value>,
    /// The plugins the config passed through, outermost first.
    pub wrappers: Vec<String>,
}

pub struct Evaluator<'a> {
    tree: &'a Tree,
    source: &'a str,
    steps: &'a mut Steps,
    uncertain: usize,
    calls: usize,
    module: Obj,
    exported: bool,
    default: Option<V>,
    /// How deep expressions and member reads nest right now.
    depth: usize,
    /// Every object and array made, emptied at the end one by one, so that
    /// no long chain of them is dropped recursively.
    arena: Vec<V>,
    /// Names bound to what an unknown call returned (a plugin made by a
    /// factory), by the value's identity; the value is kept alive with it.
    aliases: HashMap<usize, (V, Rc<str>)>,
    /// While one key is read: what each object gave for it.
    memo: Option<HashMap<usize, V>>,
    /// The call about to be made is a statement of its own: its result
    /// is dropped.
    dropped: bool,
}

impl Drop for Evaluator<'_> {
    fn drop(&mut self) {
        for value in std::mem::take(&mut self.arena) {
            match value {
                V::Object(data) => drop(std::mem::take(&mut data.borrow_mut().entries)),
                V::Array(items) => drop(std::mem::take(&mut *items.borrow_mut())),
                _ => {}
            }
        }
    }
}

type R<T> = Result<T, OverBudget>;

fn obj(entries: Vec<E>) -> V {
    let mut data = ObjData::default();
    for entry in entries {
        data.push(entry);
    }
    V::Object(Rc::new(RefCell::new(data)))
}

/// A plugin's result: the config passed through, the names flattened.
fn through(name: Rc<str>, inner: V) -> V {
    match inner {
        V::Through(names, inner) => {
            let mut all = vec![name];
            all.extend(names.iter().take(63).cloned());
            V::Through(Rc::new(all), inner)
        }
        inner => V::Through(Rc::new(vec![name]), Rc::new(inner)),
    }
}

fn string(s: &str) -> V {
    V::Str(s.into())
}

/// Both values when they may differ, else the one.
fn either(a: V, b: V, source: Rc<str>) -> V {
    let depth = |v: &V| match v {
        V::Either(pair, _) => pair.2,
        _ => 0,
    };
    if same(&a, &b) {
        return a;
    }
    let nested = depth(&a).max(depth(&b)) + 1;
    if nested > MAX_EITHER {
        return V::Unknown(source);
    }
    V::Either(Rc::new((a, b, nested)), source)
}

/// Whether two values are surely the same (scalars, or one object).
fn same(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Undefined, V::Undefined) | (V::Null, V::Null) | (V::FileUrl, V::FileUrl) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Num(x), V::Num(y)) => x == y,
        (V::Str(x), V::Str(y)) | (V::Path(x), V::Path(y)) => x == y,
        (V::Object(x), V::Object(y)) => Rc::ptr_eq(x, y),
        (V::Array(x), V::Array(y)) => Rc::ptr_eq(x, y),
        (V::Func(x), V::Func(y)) => Rc::ptr_eq(x, y),
        (V::Builtin(x), V::Builtin(y)) => x == y,
        _ => false,
    }
}

/// `true`, `false`, or `None` where the build decides.
fn truthy(v: &V) -> Option<bool> {
    match v {
        V::Undefined | V::Null => Some(false),
        V::Bool(b) => Some(*b),
        V::Num(n) => Some(*n != 0.0 && !n.is_nan()),
        V::Str(s) => Some(!s.is_empty()),
        V::Unknown(_) => None,
        V::Either(pair, _) => match (truthy(&pair.0), truthy(&pair.1)) {
            (Some(a), Some(b)) if a == b => Some(a),
            _ => None,
        },
        _ => Some(true),
    }
}

/// `a/b/../c` -> `a/c`, relative to the config's folder; `..` past it
/// stays.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

impl<'a> Evaluator<'a> {
    pub fn new(tree: &'a Tree, source: &'a str, steps: &'a mut Steps) -> Self {
        Self {
            tree,
            source,
            steps,
            uncertain: 0,
            calls: 0,
            module: Rc::new(RefCell::new(ObjData::default())),
            exported: false,
            default: None,
            depth: 0,
            arena: Vec::new(),
            aliases: HashMap::new(),
            memo: None,
            dropped: false,
        }
    }

    /// The source of node `id`, on one line and shortened.
    fn text(&self, id: Id) -> Rc<str> {
        let span = self.tree.span(id);
        self.quote(span.start, span.end)
    }

    fn quote(&self, start: usize, end: usize) -> Rc<str> {
        let raw = self.source.get(start..end).unwrap_or("");
        let mut one_line = String::new();
        for word in raw.split_whitespace() {
            if one_line.len() > LONGEST_SOURCE * 4 {
                break;
            }
            if !one_line.is_empty() {
                one_line.push(' ');
            }
            one_line.push_str(word);
        }
        if one_line.chars().count() > LONGEST_SOURCE {
            let cut: String = one_line.chars().take(LONGEST_SOURCE - 3).collect();
            format!("{cut}...").into()
        } else {
            one_line.into()
        }
    }

    /// Runs the file and reads its export, calling it with `invocation`
    /// when it is a function.
    pub fn run(mut self, invocation: Invocation) -> R<Evaluated> {
        let scope = Rc::new(Scope::default());
        let exports = obj(Vec::new());
        self.module
            .borrow_mut()
            .push(E::Prop("exports".into(), exports.clone()));
        scope.declare("module", V::Object(Rc::clone(&self.module)));
        scope.declare("exports", exports);
        let body = self.tree.body.clone();
        self.block(&body, &scope)?;
        if !self.exported {
            return Ok(Evaluated {
                value: None,
                wrappers: Vec::new(),
            });
        }
        let mut value = match self.default.take() {
            Some(value) => value,
            None => {
                let exports = self.get(&V::Object(Rc::clone(&self.module)), "exports", None)?;
                // `exports.default = config`, as TypeScript compiles an
                // `export default` to CommonJS.
                match &exports {
                    V::Object(_) => match self.get(&exports, "default", None)? {
                        V::Undefined => exports,
                        default => default,
                    },
                    _ => exports,
                }
            }
        };
        value = self.invoke(value, invocation)?;
        let wrappers = wrappers_of(&value);
        let mut budget = MAX_SNAPSHOT;
        let value = self.snapshot(&value, 0, &mut budget)?;
        Ok(Evaluated {
            value: Some(value),
            wrappers,
        })
    }

    /// A config exported as a function (or a promise of one), called as
    /// the production build calls it.
    fn invoke(&mut self, value: V, invocation: Invocation) -> R<V> {
        let V::Func(closure) = &value else {
            return Ok(value);
        };
        let args = match invocation {
            Invocation::NextBuild => vec![
                string("phase-production-build"),
                obj(vec![E::Prop("defaultConfig".into(), obj(Vec::new()))]),
            ],
            Invocation::ViteBuild => vec![obj(vec![
                E::Prop("command".into(), string("build")),
                E::Prop("mode".into(), string("production")),
                E::Prop("isPreview".into(), V::Bool(false)),
                E::Prop("isSsrBuild".into(), V::Unknown("isSsrBuild".into())),
            ])],
            Invocation::Plain => Vec::new(),
        };
        let closure = Rc::clone(closure);
        self.call_closure(&closure, args)
    }
}

/// The identity of a value an unknown call returned.
fn alias_key(value: &V) -> Option<usize> {
    match value {
        V::Through(names, _) => Some(Rc::as_ptr(names) as *const u8 as usize),
        V::Unknown(source) => Some(Rc::as_ptr(source) as *const u8 as usize),
        _ => None,
    }
}

/// A plugin's name from its value: the import it is (`withA`), or what
/// made it (`withPWA(...)`).
fn plugin_name(function: &V) -> Option<Rc<str>> {
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '.'))
    };
    match function {
        V::Unknown(source) if plain(source) => Some(Rc::clone(source)),
        V::Through(names, _) => Some(format!("{}(...)", names.first().map_or("", |n| n)).into()),
        V::Either(pair, _) => plugin_name(&pair.0).or_else(|| plugin_name(&pair.1)),
        _ => None,
    }
}

/// Adds an entry to an object (through plugins and both ways).
fn push_entry(target: &V, entry: E) {
    match target {
        V::Object(data) => data.borrow_mut().push(entry),
        V::Through(_, inner) => push_entry(inner, entry),
        V::Either(pair, _) => {
            push_entry(&pair.0, entry.clone());
            push_entry(&pair.1, entry);
        }
        _ => {}
    }
}

/// A merge of `configs`, the later winning, deep.
fn merged(configs: Vec<V>, deep: bool) -> V {
    let entries = configs
        .into_iter()
        .map(|v| match v {
            V::Unknown(source) => E::Opaque(source),
            v => E::Spread(v, deep),
        })
        .collect();
    obj(entries)
}

/// The plugins a config passed through, outermost first.
fn wrappers_of(value: &V) -> Vec<String> {
    match value {
        V::Through(names, _) => names.iter().map(|n| n.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// A value as a property key.
fn key_of(value: &V) -> Option<String> {
    match value {
        V::Str(s) => Some(s.to_string()),
        V::Num(n) => Some(n.to_string()),
        V::Bool(b) => Some(b.to_string()),
        V::Null => Some("null".to_string()),
        V::Undefined => Some("undefined".to_string()),
        _ => None,
    }
}

/// A scalar as a template or `+` writes it.
fn scalar_text(value: &V) -> Option<String> {
    match value {
        V::Str(s) => Some(s.to_string()),
        V::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        V::Num(n) => Some(n.to_string()),
        V::Bool(b) => Some(b.to_string()),
        V::Null => Some("null".to_string()),
        V::Undefined => Some("undefined".to_string()),
        _ => None,
    }
}

/// `path.join` and `path.resolve` over paths of the config's folder.
fn path_join(args: &[V], resolve: bool) -> Option<V> {
    let mut out = String::new();
    let mut rooted = !resolve;
    for arg in args {
        match arg {
            V::Path(p) => {
                out = p.to_string();
                rooted = true;
            }
            V::Str(s) if s.starts_with('/') => return None,
            V::Str(s) => {
                out = if out.is_empty() {
                    s.to_string()
                } else {
                    format!("{out}/{s}")
                }
            }
            _ => return None,
        }
    }
    let normal = normalise(&out);
    // `path.join('public')` is a relative string; `resolve` is from the
    // folder the build runs in, the site's.
    Some(
        if rooted && args.iter().any(|a| matches!(a, V::Path(_))) || resolve {
            V::Path(normal.into())
        } else {
            V::Str(normal.into())
        },
    )
}

/// A module the evaluator knows: Node's `path` and `url`, Next.js's
/// phase constants, merge helpers.
fn module_value(from: &str) -> Option<V> {
    Some(match from.trim_start_matches("node:") {
        "path" | "path/posix" => V::Builtin(Builtin::PathModule),
        "url" => V::Builtin(Builtin::UrlModule),
        "next/constants" | "next/constants.js" => V::Builtin(Builtin::NextConstants),
        "defu" => V::Builtin(Builtin::MergeEarlier),
        "deepmerge" | "lodash.merge" | "lodash/merge" => V::Builtin(Builtin::MergeLater),
        _ => return None,
    })
}

fn member_of_module(module: &V, name: &str) -> Option<V> {
    match module {
        V::Builtin(builtin) => builtin_member(*builtin, name),
        _ => None,
    }
}

/// Next.js's phases (`next/constants`).
const PHASES: &[(&str, &str)] = &[
    ("PHASE_EXPORT", "phase-export"),
    ("PHASE_PRODUCTION_BUILD", "phase-production-build"),
    ("PHASE_PRODUCTION_SERVER", "phase-production-server"),
    ("PHASE_DEVELOPMENT_SERVER", "phase-development-server"),
    ("PHASE_TEST", "phase-test"),
    ("PHASE_INFO", "phase-info"),
];

fn builtin_member(builtin: Builtin, key: &str) -> Option<V> {
    Some(match (builtin, key) {
        (Builtin::PathModule, "join") => V::Builtin(Builtin::PathJoin),
        (Builtin::PathModule, "resolve") => V::Builtin(Builtin::PathResolve),
        (Builtin::PathModule, "dirname") => V::Builtin(Builtin::PathDirname),
        (Builtin::PathModule, "default" | "posix") => V::Builtin(Builtin::PathModule),
        (Builtin::UrlModule, "fileURLToPath") => V::Builtin(Builtin::FileUrlToPath),
        (Builtin::UrlModule, "URL") => V::Builtin(Builtin::UrlClass),
        (Builtin::Process, "env") => V::Builtin(Builtin::Env),
        (Builtin::Process, "cwd") => V::Builtin(Builtin::Cwd),
        // The build's command line: `vite build`, `next build`; no `dev`.
        (Builtin::Process, "argv") => V::Array(Rc::new(RefCell::new(vec![
            string("node"),
            string("node_modules/.bin/build"),
            string("build"),
        ]))),
        // Every build runs with `NODE_ENV=production`.
        (Builtin::Env, "NODE_ENV") => string("production"),
        (Builtin::Env, name) => V::Unknown(format!("process.env.{name}").into()),
        (Builtin::ObjectClass, "assign") => V::Builtin(Builtin::ObjectAssign),
        (Builtin::ObjectClass, "freeze") => V::Builtin(Builtin::Identity),
        (Builtin::NextConstants, name) => {
            let (_, phase) = PHASES.iter().find(|(constant, _)| *constant == name)?;
            string(phase)
        }
        (Builtin::MergeEarlier, "defu") | (Builtin::MergeLater, "default" | "merge") => {
            V::Builtin(builtin)
        }
        (Builtin::MergeEarlier, "default") => V::Builtin(builtin),
        _ => return None,
    })
}
