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
                match self.get(&exports, "default", None)? {
                    V::Undefined => exports,
                    default => default,
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

    fn block(&mut self, body: &[Id], scope: &Rc<Scope>) -> R<Flow> {
        // Function declarations are hoisted.
        for &id in body {
            if let Node::FunctionDecl(func) = self.tree.node(id) {
                let closure = self.closure(func, scope, id);
                if let Some(name) = &func.name {
                    scope.declare(name, closure);
                }
            }
        }
        for (i, &id) in body.iter().enumerate() {
            match self.statement(id, scope)? {
                Flow::Normal => {}
                Flow::MaybeReturn(value, why) => {
                    // The rest runs only on the other ways.
                    self.uncertain += 1;
                    let rest = self.block(&body[i + 1..], scope);
                    self.uncertain -= 1;
                    return Ok(match rest? {
                        Flow::Return(other) | Flow::MaybeReturn(other, _) => {
                            Flow::Return(either(value, other, why))
                        }
                        Flow::Throw => Flow::Return(value),
                        Flow::Normal => Flow::MaybeReturn(value, why),
                    });
                }
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn closure(&self, func: &Rc<Func>, scope: &Rc<Scope>, id: Id) -> V {
        V::Func(Rc::new(Closure {
            func: Rc::clone(func),
            scope: Rc::clone(scope),
            source: self.text(id),
        }))
    }

    fn statement(&mut self, id: Id, scope: &Rc<Scope>) -> R<Flow> {
        self.steps.take(1)?;
        match self.tree.node(id) {
            Node::Var(decls) => {
                for (pattern, init) in decls {
                    let value = match init {
                        Some(init) => self.expr(*init, scope)?,
                        None => V::Undefined,
                    };
                    if let (Pattern::Name(name), Some(key)) = (pattern, alias_key(&value)) {
                        // `const withMDX = createMDX({...})`: the plugin's
                        // name where it is passed on.
                        self.aliases
                            .insert(key, (value.clone(), name.as_str().into()));
                    }
                    self.bind(pattern, value, scope, id)?;
                }
            }
            Node::FunctionDecl(_) | Node::Empty => {}
            Node::Return(value) => {
                let value = match value {
                    Some(value) => self.expr(*value, scope)?,
                    None => V::Undefined,
                };
                return Ok(Flow::Return(value));
            }
            Node::Throw => return Ok(Flow::Throw),
            Node::If(test, then, otherwise) => {
                let condition = self.expr(*test, scope)?;
                return match truthy(&condition) {
                    Some(true) => self.branch(*then, scope),
                    Some(false) => match otherwise {
                        Some(otherwise) => self.branch(*otherwise, scope),
                        None => Ok(Flow::Normal),
                    },
                    None => self.both_ways(*then, *otherwise, scope, self.text(*test)),
                };
            }
            Node::Block(body) => {
                let inner = Scope::child(scope);
                return self.block(body, &inner);
            }
            Node::Expr(expr) => {
                self.expr(*expr, scope)?;
            }
            Node::Uncertain(parts) => return self.uncertain_parts(parts, scope, id),
            Node::Import(bindings, from) => {
                for (local, imported) in bindings {
                    let value = self.import(from, imported, local);
                    scope.declare(local, value);
                }
            }
            Node::ExportDefault(value) => {
                let value = self.expr(*value, scope)?;
                self.export(value, id);
            }
            Node::ExportNames(pairs) => self.export_names(pairs, scope, id),
            Node::Unparsed(names) => self.unparsed(names, scope, id),
            _ => {
                // An expression where a statement is expected.
            }
        }
        Ok(Flow::Normal)
    }

    /// A loop's or `try`'s parts: each may run or not.
    fn uncertain_parts(&mut self, parts: &[Id], scope: &Rc<Scope>, id: Id) -> R<Flow> {
        self.uncertain += 1;
        let mut returned = None;
        let mut result = Ok(());
        for part in parts {
            match self.statement(*part, scope) {
                Ok(Flow::Return(value) | Flow::MaybeReturn(value, _)) => {
                    returned.get_or_insert(value);
                }
                Ok(_) => {}
                Err(over) => {
                    result = Err(over);
                    break;
                }
            }
        }
        self.uncertain -= 1;
        result?;
        Ok(match returned {
            Some(value) => Flow::MaybeReturn(value, self.text(id)),
            None => Flow::Normal,
        })
    }

    /// `export { config as default }`.
    fn export_names(&mut self, pairs: &[(String, String)], scope: &Rc<Scope>, id: Id) {
        for (local, outside) in pairs {
            if outside == "default" {
                let value = if local.is_empty() {
                    V::Unknown(self.text(id))
                } else {
                    self.name(local, scope)
                };
                self.export(value, id);
            }
        }
    }

    fn export(&mut self, value: V, id: Id) {
        self.exported = true;
        let value = match (self.uncertain > 0, self.default.take()) {
            (true, Some(old)) => either(old, value, self.text(id)),
            (true, None) => {
                let old = V::Object(Rc::clone(&self.module));
                either(
                    self.get_plain(&old, "exports").unwrap_or(V::Undefined),
                    value,
                    self.text(id),
                )
            }
            (false, _) => value,
        };
        self.default = Some(value);
    }

    /// A statement outside the subset may change any object it names.
    fn unparsed(&mut self, names: &[String], scope: &Rc<Scope>, id: Id) {
        let source = self.text(id);
        for name in names {
            let target = if name == "module" || name == "exports" {
                self.exported = true;
                self.get_plain(&V::Object(Rc::clone(&self.module)), "exports")
            } else {
                scope.get(name)
            };
            if let Some(target) = target {
                push_entry(&target, E::Opaque(Rc::clone(&source)));
            }
        }
    }

    /// A branch taken for certain: its own scope.
    fn branch(&mut self, id: Id, scope: &Rc<Scope>) -> R<Flow> {
        let inner = Scope::child(scope);
        self.statement(id, &inner)
    }

    /// Both branches of a condition the file cannot tell.
    fn both_ways(
        &mut self,
        then: Id,
        otherwise: Option<Id>,
        scope: &Rc<Scope>,
        why: Rc<str>,
    ) -> R<Flow> {
        self.uncertain += 1;
        let first = self.branch(then, scope);
        let second = match (&first, otherwise) {
            (Ok(_), Some(otherwise)) => self.branch(otherwise, scope),
            _ => Ok(Flow::Normal),
        };
        self.uncertain -= 1;
        Ok(match (first?, second?) {
            (Flow::Return(a), Flow::Return(b)) => Flow::Return(either(a, b, why)),
            (Flow::Throw, Flow::Throw) => Flow::Throw,
            (Flow::Throw, Flow::Return(v)) | (Flow::Return(v), Flow::Throw) => Flow::Return(v),
            (Flow::Return(v) | Flow::MaybeReturn(v, _), _)
            | (_, Flow::Return(v) | Flow::MaybeReturn(v, _)) => Flow::MaybeReturn(v, why),
            _ => Flow::Normal,
        })
    }

    fn import(&self, from: &str, imported: &Imported, local: &str) -> V {
        let module = module_value(from);
        match (module, imported) {
            (Some(module), Imported::Default | Imported::Namespace) => module,
            (Some(module), Imported::Named(name)) => {
                member_of_module(&module, name).unwrap_or_else(|| V::Unknown(local.into()))
            }
            (None, Imported::Named(name))
                if matches!(name.as_str(), "defineConfig" | "defineNuxtConfig") =>
            {
                V::Builtin(Builtin::Identity)
            }
            (None, Imported::Named(name)) if name == "mergeConfig" => {
                V::Builtin(Builtin::MergeLater)
            }
            _ => V::Unknown(local.into()),
        }
    }

    fn name(&self, name: &str, scope: &Rc<Scope>) -> V {
        if let Some(value) = scope.get(name) {
            return value;
        }
        match name {
            "undefined" => V::Undefined,
            "NaN" => V::Num(f64::NAN),
            "Infinity" => V::Num(f64::INFINITY),
            "require" => V::Builtin(Builtin::Require),
            "process" => V::Builtin(Builtin::Process),
            "__dirname" => V::Path("".into()),
            "Object" => V::Builtin(Builtin::ObjectClass),
            "Boolean" => V::Builtin(Builtin::Boolean),
            "URL" => V::Builtin(Builtin::UrlClass),
            "defineConfig" | "defineNuxtConfig" => V::Builtin(Builtin::Identity),
            _ => V::Unknown(name.into()),
        }
    }

    /// Binds a declaration's pattern.
    fn bind(&mut self, pattern: &Pattern, value: V, scope: &Rc<Scope>, id: Id) -> R<()> {
        self.steps.take(1)?;
        match pattern {
            Pattern::Name(name) => scope.declare(name, value),
            Pattern::Object(props, rest) => {
                for (key, inner, default) in props {
                    let key = match key {
                        Key::Name(name) => Some(name.clone()),
                        Key::Computed(k) => key_of(&self.expr(*k, scope)?),
                    };
                    let mut item = match &key {
                        Some(key) => self.get(&value, key, Some(id))?,
                        None => V::Unknown(self.text(id)),
                    };
                    if let (V::Undefined, Some(default)) = (&item, default) {
                        item = self.expr(*default, scope)?;
                    }
                    self.bind(inner, item, scope, id)?;
                }
                if let Some(rest) = rest {
                    scope.declare(rest, V::Unknown(rest.as_str().into()));
                }
            }
            Pattern::Array(items, rest) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some((inner, default)) = item {
                        let mut v = self.get(&value, &i.to_string(), Some(id))?;
                        if let (V::Undefined, Some(default)) = (&v, default) {
                            v = self.expr(*default, scope)?;
                        }
                        self.bind(inner, v, scope, id)?;
                    }
                }
                if let Some(rest) = rest {
                    scope.declare(rest, V::Unknown(rest.as_str().into()));
                }
            }
            Pattern::Other => {}
        }
        Ok(())
    }

    pub fn expr(&mut self, id: Id, scope: &Rc<Scope>) -> R<V> {
        self.steps.take(1)?;
        if self.depth >= MAX_EXPR_DEPTH {
            return Ok(V::Unknown(self.text(id)));
        }
        self.depth += 1;
        let value = self.expr_inner(id, scope);
        self.depth -= 1;
        value
    }

    fn expr_inner(&mut self, id: Id, scope: &Rc<Scope>) -> R<V> {
        let value = match self.tree.node(id) {
            Node::Num(n) => V::Num(*n),
            Node::Str(s) => string(s),
            Node::Template(quasis, exprs) => self.template(quasis, exprs, scope, id)?,
            Node::Regex | Node::Opaque => V::Opaque(self.text(id)),
            Node::Ident(name) => match name.as_str() {
                "true" => V::Bool(true),
                "false" => V::Bool(false),
                "null" => V::Null,
                "this" => V::Undefined,
                name => self.name(name, scope),
            },
            Node::ImportMeta => obj(vec![E::Prop("url".into(), V::FileUrl)]),
            Node::Array(items) => self.array(items, scope, id)?,
            Node::Object(props) => self.object(props, scope)?,
            Node::Function(func) => self.closure(func, scope, id),
            Node::Call { callee, args, new } => self.call(*callee, args, *new, scope, id)?,
            Node::Member { object, property } => {
                let object = self.expr(*object, scope)?;
                self.get(&object, property, Some(id))?
            }
            Node::Index { object, index } => {
                let object = self.expr(*object, scope)?;
                let index = self.expr(*index, scope)?;
                match key_of(&index) {
                    Some(key) => self.get(&object, &key, Some(id))?,
                    None => V::Unknown(self.text(id)),
                }
            }
            Node::Unary(op, arg) => {
                let arg = self.expr(*arg, scope)?;
                self.unary(op, arg, id)
            }
            Node::Update(target) => {
                let unknown = V::Unknown(self.text(id));
                self.assign(*target, unknown.clone(), scope, id)?;
                unknown
            }
            Node::Binary(op, left, right) => self.binary(op, *left, *right, scope, id)?,
            Node::Cond(test, then, otherwise) => {
                self.conditional(*test, *then, *otherwise, scope, id)?
            }
            Node::Assign(op, target, value) => {
                let mut value = self.expr(*value, scope)?;
                if *op != "=" {
                    let old = self.expr(*target, scope)?;
                    let binary = op.trim_end_matches('=');
                    value = match binary {
                        "&&" | "||" | "??" => V::Unknown(self.text(id)),
                        _ => self.operate(binary, &old, &value, id)?,
                    };
                }
                self.assign(*target, value.clone(), scope, id)?;
                value
            }
            Node::Sequence(items) => {
                let mut last = V::Undefined;
                for item in items {
                    last = self.expr(*item, scope)?;
                }
                last
            }
            Node::Await(inner) => self.expr(*inner, scope)?,
            Node::Spread(inner) => self.expr(*inner, scope)?,
            _ => V::Unknown(self.text(id)),
        };
        Ok(value)
    }

    /// `test ? then : otherwise`; both ways where the test is not known.
    fn conditional(
        &mut self,
        test: Id,
        then: Id,
        otherwise: Id,
        scope: &Rc<Scope>,
        id: Id,
    ) -> R<V> {
        let test = self.expr(test, scope)?;
        Ok(match truthy(&test) {
            Some(true) => self.expr(then, scope)?,
            Some(false) => self.expr(otherwise, scope)?,
            None => {
                self.uncertain += 1;
                let a = self.expr(then, scope);
                let b = self.expr(otherwise, scope);
                self.uncertain -= 1;
                either(a?, b?, self.text(id))
            }
        })
    }

    fn template(&mut self, quasis: &[String], exprs: &[Id], scope: &Rc<Scope>, id: Id) -> R<V> {
        let mut out = String::new();
        let mut known = true;
        for (i, text) in quasis.iter().enumerate() {
            out.push_str(text);
            if let Some(&expr) = exprs.get(i) {
                let value = self.expr(expr, scope)?;
                match scalar_text(&value) {
                    Some(text) if known => out.push_str(&text),
                    _ => known = false,
                }
            }
            if out.len() > MAX_STRING {
                known = false;
            }
        }
        Ok(if known {
            string(&out)
        } else {
            V::Unknown(self.text(id))
        })
    }

    fn array(&mut self, items: &[Option<Id>], scope: &Rc<Scope>, id: Id) -> R<V> {
        let mut out = Vec::new();
        for item in items {
            let Some(item) = item else {
                out.push(V::Undefined);
                continue;
            };
            let value = self.expr(*item, scope)?;
            if let Node::Spread(_) = self.tree.node(*item) {
                match &value {
                    V::Array(inner) => {
                        let inner = inner.borrow();
                        self.steps.take(inner.len() as u64)?;
                        out.extend(inner.iter().cloned());
                    }
                    V::Undefined | V::Null if false => {}
                    _ => return Ok(V::Unknown(self.text(id))),
                }
            } else {
                out.push(value);
            }
            if out.len() > MAX_ARRAY {
                return Ok(V::Unknown(self.text(id)));
            }
        }
        Ok(self.keep(V::Array(Rc::new(RefCell::new(out)))))
    }

    fn object(&mut self, props: &[(Prop, super::tree::Span)], scope: &Rc<Scope>) -> R<V> {
        let mut entries = Vec::new();
        for (prop, span) in props {
            self.steps.take(1)?;
            match prop {
                Prop::Value(key, value) => {
                    let key = match key {
                        Key::Name(name) => Some(name.clone()),
                        Key::Computed(k) => key_of(&self.expr(*k, scope)?),
                    };
                    let value = self.expr(*value, scope)?;
                    match key {
                        Some(key) => entries.push(E::Prop(key.into(), value)),
                        None => entries.push(E::Opaque(self.quote(span.start, span.end))),
                    }
                }
                Prop::Shorthand(name) => {
                    let value = self.name(name, scope);
                    entries.push(E::Prop(name.as_str().into(), value));
                }
                Prop::Spread(inner) => {
                    let value = self.expr(*inner, scope)?;
                    match value {
                        V::Unknown(_) => entries.push(E::Opaque(self.quote(span.start, span.end))),
                        value => entries.push(E::Spread(value, false)),
                    }
                }
                Prop::Method(key) => {
                    if let Key::Name(name) = key {
                        entries.push(E::Prop(
                            name.as_str().into(),
                            V::Opaque(self.quote(span.start, span.end)),
                        ));
                    } else {
                        entries.push(E::Opaque(self.quote(span.start, span.end)));
                    }
                }
            }
        }
        Ok(self.keep(obj(entries)))
    }

    /// Keeps an object or array for [`Drop`].
    fn keep(&mut self, value: V) -> V {
        if matches!(value, V::Object(_) | V::Array(_)) {
            self.arena.push(value.clone());
        }
        value
    }

    fn unary(&self, op: &str, arg: V, id: Id) -> V {
        if let V::Either(pair, why) = &arg {
            let a = self.unary(op, pair.0.clone(), id);
            let b = self.unary(op, pair.1.clone(), id);
            return either(a, b, Rc::clone(why));
        }
        match (op, &arg) {
            ("!", _) => truthy(&arg).map_or_else(|| V::Unknown(self.text(id)), |b| V::Bool(!b)),
            ("void", _) => V::Undefined,
            ("-", V::Num(n)) => V::Num(-n),
            ("+", V::Num(n)) => V::Num(*n),
            ("typeof", V::Undefined) => string("undefined"),
            ("typeof", V::Str(_)) => string("string"),
            ("typeof", V::Num(_)) => string("number"),
            ("typeof", V::Bool(_)) => string("boolean"),
            ("typeof", V::Func(_)) => string("function"),
            ("typeof", V::Object(_) | V::Array(_) | V::Null) => string("object"),
            _ => V::Unknown(self.text(id)),
        }
    }

    fn binary(&mut self, op: &str, left: Id, right: Id, scope: &Rc<Scope>, id: Id) -> R<V> {
        let a = self.expr(left, scope)?;
        if matches!(op, "&&" | "||" | "??") {
            let decided = match op {
                "&&" => truthy(&a).map(|t| !t),
                "||" => truthy(&a),
                _ => match &a {
                    V::Undefined | V::Null => Some(false),
                    V::Unknown(_) | V::Either(..) => None,
                    _ => Some(true),
                },
            };
            return match decided {
                Some(true) => Ok(a),
                Some(false) => self.expr(right, scope),
                None => {
                    self.uncertain += 1;
                    let b = self.expr(right, scope);
                    self.uncertain -= 1;
                    // `x && {...}` spreads nothing when `x` is false.
                    let first = if op == "&&" { V::Undefined } else { a };
                    Ok(either(first, b?, self.text(id)))
                }
            };
        }
        let b = self.expr(right, scope)?;
        self.operate(op, &a, &b, id)
    }

    /// A binary operator on two values; over both ways of an [`V::Either`].
    fn operate(&mut self, op: &str, a: &V, b: &V, id: Id) -> R<V> {
        self.steps.take(1)?;
        if let V::Either(pair, why) = a {
            let x = self.operate(op, &pair.0, b, id)?;
            let y = self.operate(op, &pair.1, b, id)?;
            return Ok(either(x, y, Rc::clone(why)));
        }
        if let V::Either(pair, why) = b {
            let x = self.operate(op, a, &pair.0, id)?;
            let y = self.operate(op, a, &pair.1, id)?;
            return Ok(either(x, y, Rc::clone(why)));
        }
        Ok(self.operate_known(op, a, b, id))
    }

    fn operate_known(&self, op: &str, a: &V, b: &V, id: Id) -> V {
        let unknown = || V::Unknown(self.text(id));
        let known = |v: &V| !matches!(v, V::Unknown(_) | V::Opaque(_) | V::Through(..));
        if !known(a) || !known(b) {
            return unknown();
        }
        match op {
            "===" | "==" => V::Bool(same(a, b)),
            "!==" | "!=" => V::Bool(!same(a, b)),
            "+" => match (a, b) {
                (V::Num(x), V::Num(y)) => V::Num(x + y),
                _ => match (scalar_text(a), scalar_text(b)) {
                    (Some(x), Some(y)) if x.len() + y.len() <= MAX_STRING => string(&(x + &y)),
                    _ => unknown(),
                },
            },
            "-" | "*" | "/" | "%" | "**" | "<" | ">" | "<=" | ">=" => match (a, b) {
                (V::Num(x), V::Num(y)) => match op {
                    "-" => V::Num(x - y),
                    "*" => V::Num(x * y),
                    "/" => V::Num(x / y),
                    "%" => V::Num(x % y),
                    "**" => V::Num(x.powf(*y)),
                    "<" => V::Bool(x < y),
                    ">" => V::Bool(x > y),
                    "<=" => V::Bool(x <= y),
                    _ => V::Bool(x >= y),
                },
                _ => unknown(),
            },
            _ => unknown(),
        }
    }

    /// Assigns to a name or a member.
    fn assign(&mut self, target: Id, value: V, scope: &Rc<Scope>, id: Id) -> R<()> {
        match self.tree.node(target) {
            Node::Ident(name) => {
                if name == "module" || name == "exports" {
                    self.exported = true;
                }
                let value = if self.uncertain > 0 {
                    either(self.name(name, scope), value, self.text(id))
                } else {
                    value
                };
                if !scope.set(name, value.clone()) {
                    scope.declare(name, value);
                }
            }
            Node::Member { object, property } => {
                let object_id = *object;
                let key = property.clone();
                self.mark_export(object_id);
                let object = self.expr(object_id, scope)?;
                self.set_member(&object, &key, value, id)?;
            }
            Node::Index { object, index } => {
                let (object_id, index) = (*object, *index);
                self.mark_export(object_id);
                let object = self.expr(object_id, scope)?;
                let key = self.expr(index, scope)?;
                match key_of(&key) {
                    Some(key) => self.set_member(&object, &key, value, id)?,
                    None => push_entry(&object, E::Opaque(self.text(id))),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether an assignment's object is `module` or `exports` (or below).
    fn mark_export(&mut self, mut object: Id) {
        loop {
            match self.tree.node(object) {
                Node::Member { object: inner, .. } | Node::Index { object: inner, .. } => {
                    object = *inner
                }
                Node::Ident(name) => {
                    if name == "module" || name == "exports" {
                        self.exported = true;
                    }
                    return;
                }
                _ => return,
            }
        }
    }

    fn set_member(&mut self, object: &V, key: &str, value: V, id: Id) -> R<()> {
        let value = if self.uncertain > 0 {
            let old = self.get(object, key, None)?;
            either(old, value, self.text(id))
        } else {
            value
        };
        match object {
            V::Object(data) => data.borrow_mut().push(E::Prop(key.into(), value)),
            V::Array(items) => {
                if let Ok(index) = key.parse::<usize>() {
                    let mut items = items.borrow_mut();
                    if index < items.len() {
                        items[index] = value;
                    } else if index < MAX_ARRAY {
                        items.resize(index, V::Undefined);
                        items.push(value);
                    }
                }
            }
            V::Through(_, inner) => {
                let inner = Rc::clone(inner);
                return self.set_member(&inner, key, value, id);
            }
            V::Either(pair, _) => {
                push_entry(&pair.0, E::Prop(key.into(), value.clone()));
                push_entry(&pair.1, E::Prop(key.into(), value));
            }
            _ => {}
        }
        Ok(())
    }

    /// A member without a node to quote (`None` for an unknown object).
    fn get_plain(&mut self, object: &V, key: &str) -> Option<V> {
        self.get(object, key, None).ok()
    }

    /// `object[key]`. Looks through spreads, plugins and both ways of a
    /// condition; each entry looked at is a step.
    fn get(&mut self, object: &V, key: &str, at: Option<Id>) -> R<V> {
        self.steps.take(1)?;
        let unknown = |this: &Self, source: &Rc<str>| {
            V::Unknown(at.map_or_else(|| Rc::clone(source), |id| this.text(id)))
        };
        Ok(match object {
            V::Object(data) => {
                if self.depth >= MAX_LOOKUP + MAX_EXPR_DEPTH {
                    return Ok(V::Unknown("spreads nested too deep".into()));
                }
                self.depth += 1;
                let found = self.member(data, key);
                self.depth -= 1;
                found?
            }
            V::Array(items) => match key {
                "length" => V::Num(items.borrow().len() as f64),
                key => match key.parse::<usize>() {
                    Ok(index) => items.borrow().get(index).cloned().unwrap_or(V::Undefined),
                    Err(_) => V::Opaque(format!("the array's {key}").into()),
                },
            },
            V::Str(s) if key == "length" => V::Num(s.chars().count() as f64),
            V::Through(_, inner) => {
                let inner = Rc::clone(inner);
                self.get(&inner, key, at)?
            }
            V::Either(pair, why) => {
                let pair = Rc::clone(pair);
                let a = self.get(&pair.0, key, None)?;
                let b = self.get(&pair.1, key, None)?;
                either(a, b, Rc::clone(why))
            }
            V::Builtin(builtin) => builtin_member(*builtin, key)
                .unwrap_or_else(|| V::Unknown(at.map_or_else(|| key.into(), |id| self.text(id)))),
            V::Unknown(source) | V::Opaque(source) => unknown(self, source),
            V::FileUrl => unknown(self, &"import.meta.url".into()),
            // Reading below `undefined` throws; `?.` gives `undefined`.
            V::Undefined | V::Null => V::Undefined,
            _ => V::Unknown(at.map_or_else(|| key.into(), |id| self.text(id))),
        })
    }

    /// A key of an object: its last setting, unless a spread or an
    /// unknown member after it sets it.
    fn member(&mut self, data: &Obj, key: &str) -> R<V> {
        let data = Rc::clone(data);
        let data = data.borrow();
        let set_at = data.last.get(key).copied();
        for &at in data.others.iter().rev() {
            if set_at.is_some_and(|set| at < set) {
                break;
            }
            self.steps.take(1)?;
            match &data.entries[at] {
                E::Opaque(source) => return Ok(V::Unknown(Rc::clone(source))),
                E::Spread(inner, _) => {
                    let value = self.get(inner, key, None)?;
                    if !matches!(value, V::Undefined) {
                        return Ok(value);
                    }
                }
                E::Prop(..) => {}
            }
        }
        Ok(match set_at.map(|at| &data.entries[at]) {
            Some(E::Prop(_, value)) => value.clone(),
            _ => V::Undefined,
        })
    }

    fn call(&mut self, callee: Id, args: &[Id], new: bool, scope: &Rc<Scope>, id: Id) -> R<V> {
        // A method call keeps its receiver.
        let (function, receiver) = match self.tree.node(callee) {
            Node::Member { object, property } => {
                let receiver = self.expr(*object, scope)?;
                let function = self.get(&receiver, property, Some(callee))?;
                (function, Some((receiver, property.clone())))
            }
            _ => (self.expr(callee, scope)?, None),
        };
        let mut values = Vec::new();
        for &arg in args {
            let value = self.expr(arg, scope)?;
            if let (Node::Spread(_), V::Array(items)) = (self.tree.node(arg), &value) {
                values.extend(items.borrow().iter().cloned());
            } else if let Node::Spread(_) = self.tree.node(arg) {
                return Ok(V::Unknown(self.text(id)));
            } else {
                values.push(value);
            }
        }
        if let Some((receiver, method)) = &receiver
            && let Some(value) = self.method(receiver, method, &values, id)?
        {
            return Ok(value);
        }
        let _ = new;
        match function {
            V::Func(closure) => {
                if self.calls >= MAX_CALLS {
                    return Ok(V::Unknown(self.text(id)));
                }
                self.call_closure(&closure, values)
            }
            V::Builtin(builtin) => Ok(self.builtin(builtin, &values, id)),
            _ => self.plugin(callee, &function, values, id),
        }
    }

    pub fn call_closure(&mut self, closure: &Rc<Closure>, args: Vec<V>) -> R<V> {
        self.steps.take(1)?;
        if self.calls >= MAX_CALLS {
            return Ok(V::Unknown(Rc::clone(&closure.source)));
        }
        self.calls += 1;
        let result = self.run_closure(closure, args);
        self.calls -= 1;
        result
    }

    fn run_closure(&mut self, closure: &Rc<Closure>, mut args: Vec<V>) -> R<V> {
        let scope = Scope::child(&closure.scope);
        let func = Rc::clone(&closure.func);
        let count = func.params.len();
        let rest: Vec<V> = if args.len() > count {
            args.split_off(count)
        } else {
            Vec::new()
        };
        let mut args = args.into_iter();
        let id = self.tree.body.first().copied().unwrap_or(0);
        for (pattern, default) in &func.params {
            let mut value = args.next().unwrap_or(V::Undefined);
            if let (V::Undefined, Some(default)) = (&value, default) {
                value = self.expr(*default, &scope)?;
            }
            self.bind(pattern, value, &scope, id)?;
        }
        if let Some(name) = &func.rest {
            scope.declare(name, V::Array(Rc::new(RefCell::new(rest))));
        }
        match &func.body {
            Body::Expr(expr) => self.expr(*expr, &scope),
            Body::Block(body) => Ok(match self.block(body, &scope)? {
                Flow::Return(value) => value,
                Flow::MaybeReturn(value, why) => either(value, V::Undefined, why),
                Flow::Normal => V::Undefined,
                Flow::Throw => V::Unknown(Rc::clone(&closure.source)),
            }),
        }
    }

    /// A function the file does not define (an import): a plugin, taken
    /// to pass the config through. Its first object argument is the
    /// config, unless it merges several (`merge(a, b)`); the functions it
    /// is given may run, any number of times.
    fn plugin(&mut self, callee: Id, function: &V, values: Vec<V>, id: Id) -> R<V> {
        // A name bound to a plugin names it, unless it only passes one on
        // (`plugin` in `reduce((acc, plugin) => plugin(acc))`).
        let alias = alias_key(function).and_then(|key| self.aliases.get(&key));
        let name = match (alias, self.tree.node(callee), function) {
            (Some((_, alias)), _, _) => Rc::clone(alias),
            (None, Node::Ident(name), V::Through(..)) => name.as_str().into(),
            _ => plugin_name(function).unwrap_or_else(|| self.text(callee)),
        };
        for value in &values {
            if let V::Func(closure) = value {
                let unknowns = closure
                    .func
                    .params
                    .iter()
                    .map(|_| V::Unknown(Rc::clone(&closure.source)))
                    .collect();
                self.uncertain += 1;
                let ran = self.call_closure(closure, unknowns);
                self.uncertain -= 1;
                ran?;
            }
        }
        let configs: Vec<V> = values
            .into_iter()
            .filter(|v| matches!(v, V::Object(_) | V::Through(..)))
            .collect();
        Ok(match configs.len() {
            0 => V::Unknown(self.text(id)),
            1 => through(name, configs.into_iter().next().unwrap_or(V::Undefined)),
            _ if name.starts_with("with") => {
                through(name, configs.into_iter().next().unwrap_or(V::Undefined))
            }
            _ => self.keep(merged(configs, true)),
        })
    }

    fn builtin(&mut self, builtin: Builtin, args: &[V], id: Id) -> V {
        let unknown = || V::Unknown(self.text(id));
        match builtin {
            Builtin::Identity => args.first().cloned().unwrap_or(V::Undefined),
            Builtin::Require => match args.first() {
                Some(V::Str(from)) => module_value(from).unwrap_or_else(unknown),
                _ => unknown(),
            },
            Builtin::PathJoin | Builtin::PathResolve => {
                path_join(args, builtin == Builtin::PathResolve).unwrap_or_else(unknown)
            }
            Builtin::PathDirname => match args.first() {
                Some(V::Path(p)) => {
                    let parent = p.rsplit_once('/').map_or("", |(dir, _)| dir);
                    V::Path(parent.into())
                }
                _ => unknown(),
            },
            Builtin::FileUrlToPath => match args.first() {
                Some(V::Path(p)) => V::Path(Rc::clone(p)),
                Some(V::FileUrl) => V::Path("\u{0}config".into()),
                _ => unknown(),
            },
            Builtin::UrlClass => match (args.first(), args.get(1)) {
                (Some(V::Str(rel)), Some(V::FileUrl))
                    if !rel.starts_with('/') && !rel.contains(':') =>
                {
                    V::Path(normalise(rel).into())
                }
                _ => unknown(),
            },
            Builtin::Cwd => V::Path("".into()),
            Builtin::ObjectAssign => match args.first() {
                Some(target @ V::Object(_)) => {
                    for source in &args[1..] {
                        match source {
                            V::Unknown(_) => push_entry(target, E::Opaque(self.text(id))),
                            source => push_entry(target, E::Spread(source.clone(), false)),
                        }
                    }
                    target.clone()
                }
                _ => unknown(),
            },
            Builtin::MergeLater => self.keep(merged(args.to_vec(), true)),
            Builtin::MergeEarlier => self.keep(merged(args.iter().rev().cloned().collect(), true)),
            Builtin::Boolean => {
                truthy(args.first().unwrap_or(&V::Undefined)).map_or_else(unknown, V::Bool)
            }
            _ => unknown(),
        }
    }

    /// The methods configs call on values they hold: `reduce` (plugins),
    /// `filter(Boolean)`, `concat`, `join`, string trimming and replacing.
    fn method(&mut self, receiver: &V, method: &str, args: &[V], id: Id) -> R<Option<V>> {
        if let V::Array(items) = receiver {
            let items: Vec<V> = items.borrow().clone();
            self.steps.take(items.len() as u64)?;
            return Ok(match (method, args) {
                ("reduce", [V::Func(f), init]) => {
                    let mut acc = init.clone();
                    for (i, item) in items.into_iter().enumerate() {
                        acc = self.call_closure(f, vec![acc, item, V::Num(i as f64)])?;
                    }
                    Some(acc)
                }
                ("filter", [V::Builtin(Builtin::Boolean)]) => {
                    let mut kept = Vec::new();
                    for item in items {
                        // One that may be there is kept: a plugin the build may
                        // add passes the config through too.
                        if truthy(&item) != Some(false) {
                            kept.push(item);
                        }
                    }
                    Some(V::Array(Rc::new(RefCell::new(kept))))
                }
                ("concat", _) => {
                    let mut all = items;
                    for arg in args {
                        match arg {
                            V::Array(more) => all.extend(more.borrow().iter().cloned()),
                            V::Unknown(_) => return Ok(Some(V::Unknown(self.text(id)))),
                            other => all.push(other.clone()),
                        }
                    }
                    (all.len() <= MAX_ARRAY).then(|| V::Array(Rc::new(RefCell::new(all))))
                }
                ("includes", [needle]) if !matches!(needle, V::Unknown(_)) => {
                    if items
                        .iter()
                        .any(|i| matches!(i, V::Unknown(_) | V::Either(..)))
                    {
                        None
                    } else {
                        Some(V::Bool(items.iter().any(|i| same(i, needle))))
                    }
                }
                _ => None,
            });
        }
        if let V::Str(s) = receiver {
            let text = |v: Option<&V>| match v {
                Some(V::Str(t)) => Some(t.to_string()),
                _ => None,
            };
            return Ok(match method {
                "trim" => Some(string(s.trim())),
                "toLowerCase" => Some(string(&s.to_lowercase())),
                "startsWith" => text(args.first()).map(|t| V::Bool(s.starts_with(&t))),
                "endsWith" => text(args.first()).map(|t| V::Bool(s.ends_with(&t))),
                "includes" => text(args.first()).map(|t| V::Bool(s.contains(&t))),
                "replace" => match (text(args.first()), text(args.get(1))) {
                    (Some(from), Some(to)) => Some(string(&s.replacen(&from, &to, 1))),
                    _ => None,
                },
                _ => None,
            });
        }
        Ok(None)
    }

    /// A member's value within what is left but one value for each of the
    /// `after` members still to write, so that one large member leaves
    /// room for the others' scalars.
    fn share(&mut self, v: &V, depth: usize, budget: &mut usize, after: usize) -> R<Value> {
        let allotted = budget.saturating_sub(after).max(1).min(*budget);
        let mut left = allotted;
        let value = self.snapshot(v, depth, &mut left)?;
        *budget = budget.saturating_sub(allotted - left);
        Ok(value)
    }

    /// The exported value as a plain [`Value`], at most [`MAX_SNAPSHOT`]
    /// values and [`MAX_DEPTH`] deep; beyond, unknown.
    fn snapshot(&mut self, v: &V, depth: usize, budget: &mut usize) -> R<Value> {
        self.steps.take(1)?;
        if depth > MAX_DEPTH || *budget == 0 {
            return Ok(Value::Unknown(
                "nested too deep or too large to read".to_string(),
            ));
        }
        *budget -= 1;
        Ok(match v {
            V::Undefined => Value::Undefined,
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Num(n) => Value::Num(*n),
            V::Str(s) => Value::Str(s.to_string()),
            V::Path(p) => Value::Path(p.to_string()),
            V::FileUrl => Value::Unknown("import.meta.url".to_string()),
            V::Array(items) => {
                let items: Vec<V> = items.borrow().clone();
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.share(item, depth + 1, budget, items.len() - i - 1)?);
                }
                Value::Array(out)
            }
            V::Object(entries) => {
                let entries: Vec<E> = entries.borrow().entries.clone();
                // The last entries first, as they win: what the budget
                // leaves out is earlier, and may set any key.
                let mut out = Vec::with_capacity(entries.len());
                for (i, entry) in entries.iter().rev().enumerate() {
                    let after = entries.len() - i - 1;
                    if *budget == 0 {
                        out.push(Entry::Opaque("too large to read".to_string()));
                        break;
                    }
                    out.push(match entry {
                        E::Prop(key, value) => Entry::Prop(
                            key.to_string(),
                            self.share(value, depth + 1, budget, after)?,
                        ),
                        E::Spread(value, deep) => {
                            Entry::Spread(self.share(value, depth + 1, budget, after)?, *deep)
                        }
                        E::Opaque(source) => Entry::Opaque(source.to_string()),
                    });
                }
                out.reverse();
                Value::Object(out)
            }
            V::Func(closure) => Value::Unknown(closure.source.to_string()),
            V::Builtin(_) => Value::Unknown("a function".to_string()),
            V::Either(pair, why) => Value::Either(
                Box::new(self.snapshot(&pair.0, depth + 1, budget)?),
                Box::new(self.snapshot(&pair.1, depth + 1, budget)?),
                why.to_string(),
            ),
            V::Through(_, inner) => self.snapshot(inner, depth, budget)?,
            V::Opaque(source) | V::Unknown(source) => Value::Unknown(source.to_string()),
        })
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
