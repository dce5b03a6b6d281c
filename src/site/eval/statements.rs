//! Statements: blocks, declarations and patterns, `if` both ways where
//! the file cannot tell, imports and exports.

use super::*;

impl Evaluator<'_> {
    pub(super) fn block(&mut self, body: &[Id], scope: &Rc<Scope>) -> R<Flow> {
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

    pub(super) fn closure(&self, func: &Rc<Func>, scope: &Rc<Scope>, id: Id) -> V {
        V::Func(Rc::new(Closure {
            func: Rc::clone(func),
            scope: Rc::clone(scope),
            source: self.text(id),
        }))
    }

    pub(super) fn statement(&mut self, id: Id, scope: &Rc<Scope>) -> R<Flow> {
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
                self.dropped = matches!(self.tree.node(*expr), Node::Call { .. });
                self.expr(*expr, scope)?;
                self.dropped = false;
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
            Node::Unparsed(names) => return Ok(self.unparsed(names, scope, id)),
            _ => {
                // An expression where a statement is expected.
            }
        }
        Ok(Flow::Normal)
    }

    /// A loop's or `try`'s parts: each may run or not.
    pub(super) fn uncertain_parts(&mut self, parts: &[Id], scope: &Rc<Scope>, id: Id) -> R<Flow> {
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
    pub(super) fn export_names(&mut self, pairs: &[(String, String)], scope: &Rc<Scope>, id: Id) {
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

    pub(super) fn export(&mut self, value: V, id: Id) {
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

    /// A statement outside the subset (a `switch`) may change any object
    /// it names, and may return what the file cannot tell.
    pub(super) fn unparsed(&mut self, names: &[String], scope: &Rc<Scope>, id: Id) -> Flow {
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
        if names.iter().any(|name| name == "return") {
            Flow::MaybeReturn(V::Unknown(Rc::clone(&source)), source)
        } else {
            Flow::Normal
        }
    }

    /// A branch taken for certain: its own scope.
    pub(super) fn branch(&mut self, id: Id, scope: &Rc<Scope>) -> R<Flow> {
        let inner = Scope::child(scope);
        self.statement(id, &inner)
    }

    /// Both branches of a condition the file cannot tell.
    pub(super) fn both_ways(
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

    pub(super) fn import(&self, from: &str, imported: &Imported, local: &str) -> V {
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

    pub(super) fn name(&self, name: &str, scope: &Rc<Scope>) -> V {
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
    pub(super) fn bind(&mut self, pattern: &Pattern, value: V, scope: &Rc<Scope>, id: Id) -> R<()> {
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
}
