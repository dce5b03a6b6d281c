//! The values themselves: where the export is, what it resolves to
//! (through names and identity calls), and object, array and scalar
//! literals.

use super::*;

impl<'a> Parser<'a> {
    /// Where the value of the last export starts, and where its statement
    /// starts when it may not run (`if (x) module.exports = ...`, or one
    /// inside a block or a callback).
    pub(super) fn find_export(&self) -> Option<(usize, Option<usize>)> {
        let mut depth = 0usize;
        let mut found = None;
        let mut at = 0;
        while let Some(kind) = self.kind(at) {
            match kind {
                TokenKind::Punct("{" | "(" | "[") | TokenKind::TemplateHead => depth += 1,
                TokenKind::Punct("}" | ")" | "]") | TokenKind::TemplateTail => {
                    depth = depth.saturating_sub(1)
                }
                TokenKind::Ident(word) if !self.is_dead(at) => {
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
    pub(super) fn resolve(
        &mut self,
        start: usize,
        wrappers: &mut Vec<String>,
        depth: usize,
    ) -> Value {
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
    pub(super) fn resolve_call(
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
    pub(super) fn arguments(&mut self) -> Vec<usize> {
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
    pub(super) fn tail_ends(&mut self, statement: bool) -> bool {
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
    pub(super) fn value_at(&mut self, start: usize, statement: bool) -> Value {
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
    pub(super) fn literal(&mut self) -> Option<Value> {
        let kind = self.kind(self.pos)?;
        let value = match kind {
            TokenKind::Punct("{") => return self.object(),
            TokenKind::Punct("[") => return self.array(),
            TokenKind::Punct("(") => return self.nested(Self::parenthesised),
            TokenKind::Punct(sign @ ("-" | "+")) => match self.kind(self.pos + 1) {
                Some(TokenKind::Num(n)) => {
                    self.pos += 1;
                    Value::Num(if *sign == "-" { -n } else { *n })
                }
                _ => return None,
            },
            TokenKind::Str(s) | TokenKind::Template(s) => Value::Str(s.clone()),
            TokenKind::Num(n) => Value::Num(*n),
            TokenKind::Ident(word) => match word.as_str() {
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
    pub(super) fn nested(&mut self, read: fn(&mut Self) -> Option<Value>) -> Option<Value> {
        if self.nesting >= MAX_NESTING {
            return None;
        }
        self.nesting += 1;
        let value = read(self);
        self.nesting -= 1;
        value
    }

    pub(super) fn object(&mut self) -> Option<Value> {
        self.nested(Self::object_members)
    }

    /// At `(`: the literal inside, `pos` after its `)`.
    pub(super) fn parenthesised(&mut self) -> Option<Value> {
        self.pos += 1;
        let value = self.literal()?;
        if !self.tail_ends(false) || !self.is_punct(self.pos, ")") {
            return None;
        }
        self.pos += 1;
        Some(value)
    }

    pub(super) fn array(&mut self) -> Option<Value> {
        self.nested(Self::array_items)
    }

    /// At `{`: the object, `pos` after its `}`.
    pub(super) fn object_members(&mut self) -> Option<Value> {
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
                    Some(TokenKind::Punct(":" | "," | "(" | "}" | "="))
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
                TokenKind::Punct(",") => self.pos += 1,
                TokenKind::Punct("}") => {}
                _ => return None,
            }
        }
    }

    /// At a member's key: the key (`None` for a computed one), `pos` on its
    /// last token. The outer `None`: not an object literal.
    pub(super) fn member_key(&mut self) -> Option<Option<String>> {
        let key = match self.kind(self.pos)? {
            TokenKind::Ident(name) => Some(name.clone()),
            TokenKind::Str(s) => Some(s.clone()),
            TokenKind::Num(n) => Some(n.to_string()),
            TokenKind::Punct("[") => {
                self.pos += 1;
                let key = match self.kind(self.pos)? {
                    TokenKind::Str(s) | TokenKind::Template(s)
                        if self.is_punct(self.pos + 1, "]") =>
                    {
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
    pub(super) fn member_value(&mut self, member_start: usize) -> Option<Value> {
        match self.kind(self.pos)? {
            TokenKind::Punct(":") => {
                let start = self.pos + 1;
                let value = self.value_at(start, false);
                Some(value)
            }
            TokenKind::Punct("," | "}") => {
                // Shorthand `{ basePath }`: the name's value.
                let name_at = self.pos - 1;
                let value = match self.kind(name_at) {
                    Some(TokenKind::Ident(name)) => match self.bindings.get(name.as_str()) {
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
            TokenKind::Punct("(") | TokenKind::Punct("<") => {
                // A method: its parameters, then its body.
                self.skip_expression(false);
                Some(Value::Unknown(self.text(member_start, self.pos)))
            }
            _ => None,
        }
    }

    /// At `[`: the array, `pos` after its `]`. A spread makes it unknown.
    pub(super) fn array_items(&mut self) -> Option<Value> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        let mut spread = false;
        loop {
            match self.kind(self.pos)? {
                TokenKind::Punct("]") => {
                    self.pos += 1;
                    return Some(if spread {
                        Value::Unknown(self.text(start, self.pos))
                    } else {
                        Value::Array(items)
                    });
                }
                TokenKind::Punct(",") => {
                    items.push(Value::Undefined);
                    self.pos += 1;
                    continue;
                }
                TokenKind::Punct("...") => {
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
                TokenKind::Punct(",") => self.pos += 1,
                TokenKind::Punct("]") => {}
                _ => return None,
            }
        }
    }
}
