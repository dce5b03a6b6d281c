//! Expressions: operators (over both ways of a condition), objects,
//! arrays, templates, assignments, and reading members.

use super::*;

impl Evaluator<'_> {
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

    pub(super) fn expr_inner(&mut self, id: Id, scope: &Rc<Scope>) -> R<V> {
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
            Node::ImportMeta => self.import_meta(id),
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
            Node::Unary("delete", target) => {
                // `delete config.basePath` unsets it.
                self.assign(*target, V::Undefined, scope, id)?;
                V::Bool(true)
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

    /// `import.meta`: the file's own place is known; the rest (`env`) is
    /// the build environment's.
    fn import_meta(&self, id: Id) -> V {
        obj(vec![
            E::Opaque(self.text(id)),
            E::Prop("url".into(), V::FileUrl),
            E::Prop("dirname".into(), V::Path("".into())),
            E::Prop("filename".into(), V::Path("\u{0}config".into())),
        ])
    }

    /// `test ? then : otherwise`; both ways where the test is not known.
    pub(super) fn conditional(
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

    pub(super) fn template(
        &mut self,
        quasis: &[String],
        exprs: &[Id],
        scope: &Rc<Scope>,
        id: Id,
    ) -> R<V> {
        let mut out = String::new();
        let mut known = true;
        for (i, text) in quasis.iter().enumerate() {
            out.push_str(text);
            if let Some(&expr) = exprs.get(i) {
                let value = self.expr(expr, scope)?;
                match scalar_text(&value) {
                    Some(text) if known => {
                        self.steps.take((text.len() / BYTES_PER_STEP) as u64)?;
                        out.push_str(&text);
                    }
                    _ => known = false,
                }
            }
            if out.len() > MAX_STRING {
                known = false;
                out.clear();
            }
        }
        Ok(if known {
            string(&out)
        } else {
            V::Unknown(self.text(id))
        })
    }

    pub(super) fn array(&mut self, items: &[Option<Id>], scope: &Rc<Scope>, id: Id) -> R<V> {
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

    pub(super) fn object(
        &mut self,
        props: &[(Prop, crate::site::tree::Span)],
        scope: &Rc<Scope>,
    ) -> R<V> {
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
    pub(super) fn keep(&mut self, value: V) -> V {
        if matches!(value, V::Object(_) | V::Array(_)) {
            self.arena.push(value.clone());
        }
        value
    }

    pub(super) fn unary(&self, op: &str, arg: V, id: Id) -> V {
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

    pub(super) fn binary(
        &mut self,
        op: &str,
        left: Id,
        right: Id,
        scope: &Rc<Scope>,
        id: Id,
    ) -> R<V> {
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
    pub(super) fn operate(&mut self, op: &str, a: &V, b: &V, id: Id) -> R<V> {
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
        let value = self.operate_known(op, a, b, id);
        self.built(&value)?;
        Ok(value)
    }

    /// Charges the steps for a string just built.
    pub(super) fn built(&mut self, value: &V) -> R<()> {
        if let V::Str(s) | V::Path(s) = value {
            self.steps.take((s.len() / BYTES_PER_STEP) as u64)?;
        }
        Ok(())
    }

    pub(super) fn operate_known(&self, op: &str, a: &V, b: &V, id: Id) -> V {
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
    pub(super) fn assign(&mut self, target: Id, value: V, scope: &Rc<Scope>, id: Id) -> R<()> {
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
    pub(super) fn mark_export(&mut self, mut object: Id) {
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

    pub(super) fn set_member(&mut self, object: &V, key: &str, value: V, id: Id) -> R<()> {
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
    pub(super) fn get_plain(&mut self, object: &V, key: &str) -> Option<V> {
        self.get(object, key, None).ok()
    }

    /// `object[key]`. Looks through spreads, plugins and both ways of a
    /// condition; each entry looked at is a step.
    pub(super) fn get(&mut self, object: &V, key: &str, at: Option<Id>) -> R<V> {
        self.steps.take(1)?;
        let unknown = |this: &Self, source: &Rc<str>| {
            V::Unknown(at.map_or_else(|| Rc::clone(source), |id| this.text(id)))
        };
        Ok(match object {
            V::Object(data) => {
                // One key is read through each object once, however many
                // spreads lead to it.
                let top = self.memo.is_none();
                let memo = self.memo.get_or_insert_with(HashMap::new);
                let id = Rc::as_ptr(data) as *const u8 as usize;
                let found = match memo.get(&id) {
                    Some(found) => Ok(found.clone()),
                    None if self.depth >= MAX_LOOKUP + MAX_EXPR_DEPTH => {
                        Ok(V::Unknown("spreads nested too deep".into()))
                    }
                    None => {
                        self.depth += 1;
                        let found = self.member(data, key);
                        self.depth -= 1;
                        if let (Ok(found), Some(memo)) = (&found, self.memo.as_mut()) {
                            memo.insert(id, found.clone());
                        }
                        found
                    }
                };
                if top {
                    self.memo = None;
                }
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
    pub(super) fn member(&mut self, data: &Obj, key: &str) -> R<V> {
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
}
