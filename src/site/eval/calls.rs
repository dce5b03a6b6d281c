//! Calls: the file's own functions, plugins, the built-ins configs use,
//! methods on values, and the exported value written out.

use super::*;

impl Evaluator<'_> {
    pub(super) fn call(
        &mut self,
        callee: Id,
        args: &[Id],
        new: bool,
        scope: &Rc<Scope>,
        id: Id,
    ) -> R<V> {
        let dropped = std::mem::take(&mut self.dropped);
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
                self.steps.take(items.borrow().len() as u64)?;
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
            V::Builtin(builtin) => {
                let value = self.builtin(builtin, &values, id);
                self.built(&value)?;
                Ok(value)
            }
            _ => {
                if dropped {
                    self.may_change(callee, &values, id);
                }
                self.plugin(callee, &function, values, id)
            }
        }
    }

    /// A function the file does not define, called for what it does (its
    /// result dropped: `mutate(config)`): it may change the objects it is
    /// given. Logging (`console.log(config)`) changes nothing.
    fn may_change(&self, callee: Id, values: &[V], id: Id) {
        if self.text(callee).starts_with("console.") {
            return;
        }
        let source = self.text(id);
        for value in values {
            if matches!(value, V::Object(_) | V::Through(..)) {
                push_entry(value, E::Opaque(Rc::clone(&source)));
            }
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

    pub(super) fn run_closure(&mut self, closure: &Rc<Closure>, mut args: Vec<V>) -> R<V> {
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
    pub(super) fn plugin(&mut self, callee: Id, function: &V, values: Vec<V>, id: Id) -> R<V> {
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

    pub(super) fn builtin(&mut self, builtin: Builtin, args: &[V], id: Id) -> V {
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
    pub(super) fn method(
        &mut self,
        receiver: &V,
        method: &str,
        args: &[V],
        id: Id,
    ) -> R<Option<V>> {
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
                ("concat", _) => self.concat(items, args, id)?,
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
            self.steps.take(1 + (s.len() / BYTES_PER_STEP) as u64)?;
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

    /// `items.concat(...args)`: a step per item added.
    fn concat(&mut self, items: Vec<V>, args: &[V], id: Id) -> R<Option<V>> {
        let adding: usize = args
            .iter()
            .map(|arg| match arg {
                V::Array(more) => more.borrow().len(),
                _ => 1,
            })
            .sum();
        self.steps.take(adding as u64)?;
        if items.len() + adding > MAX_ARRAY {
            return Ok(None);
        }
        let mut all = items;
        for arg in args {
            match arg {
                V::Array(more) => all.extend(more.borrow().iter().cloned()),
                V::Unknown(_) => return Ok(Some(V::Unknown(self.text(id)))),
                other => all.push(other.clone()),
            }
        }
        Ok(Some(V::Array(Rc::new(RefCell::new(all)))))
    }

    /// A member's value within what is left but one value for each of the
    /// `after` members still to write, so that one large member leaves
    /// room for the others' scalars.
    pub(super) fn share(
        &mut self,
        v: &V,
        depth: usize,
        budget: &mut usize,
        after: usize,
    ) -> R<Value> {
        let allotted = budget.saturating_sub(after).max(1).min(*budget);
        let mut left = allotted;
        let value = self.snapshot(v, depth, &mut left)?;
        *budget = budget.saturating_sub(allotted - left);
        Ok(value)
    }

    /// The exported value as a plain [`Value`], at most [`MAX_SNAPSHOT`]
    /// values and [`MAX_DEPTH`] deep; beyond, unknown.
    pub(super) fn snapshot(&mut self, v: &V, depth: usize, budget: &mut usize) -> R<Value> {
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
