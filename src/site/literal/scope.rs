//! What the file does around its values: expressions skipped, the names
//! bound at the top, shadowing, code that never runs, and the mutations of
//! a bound object.

use super::*;

impl<'a> Parser<'a> {
    /// Skips one expression from `pos`, brackets balanced; stops at the
    /// token that ends it.
    pub(super) fn skip_expression(&mut self, statement: bool) {
        let mut depth = 0usize;
        while let Some(kind) = self.kind(self.pos) {
            if depth == 0 && self.ends_expression(self.pos, statement) {
                return;
            }
            match kind {
                TokenKind::Punct("{" | "(" | "[") | TokenKind::TemplateHead => depth += 1,
                TokenKind::Punct("}" | ")" | "]") | TokenKind::TemplateTail => {
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
    pub(super) fn skip_type(&mut self, statement: bool) {
        let mut depth = 0usize;
        while let Some(kind) = self.kind(self.pos) {
            if depth == 0
                && (self.ends_expression(self.pos, statement) || self.is_punct(self.pos, "="))
            {
                return;
            }
            match kind {
                TokenKind::Punct("{" | "(" | "[" | "<") | TokenKind::TemplateHead => depth += 1,
                TokenKind::Punct("}" | ")" | "]" | ">") | TokenKind::TemplateTail => {
                    depth = depth.saturating_sub(1)
                }
                TokenKind::Punct(">>") => depth = depth.saturating_sub(2),
                TokenKind::Punct(">>>") => depth = depth.saturating_sub(3),
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Top-level statements: `const|let|var NAME (: T)? = value`, and the
    /// assignments that change a name's object afterwards (`NAME.a.b = v`,
    /// `NAME[k] = v`, `Object.assign(NAME, ...)`).
    pub(super) fn collect_bindings(&mut self) {
        let mut depth = 0usize;
        let mut at = 0;
        while let Some(kind) = self.kind(at) {
            match kind {
                TokenKind::Punct("{" | "(" | "[") | TokenKind::TemplateHead => depth += 1,
                TokenKind::Punct("}" | ")" | "]") | TokenKind::TemplateTail => {
                    depth = depth.saturating_sub(1)
                }
                TokenKind::Ident(word)
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
                TokenKind::Ident(word)
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
    pub(super) fn statement_starts(&self, at: usize) -> bool {
        let Some(prev) = at.checked_sub(1) else {
            return true;
        };
        match self.kind(prev) {
            None => true,
            Some(TokenKind::Punct(";" | "}")) => true,
            Some(TokenKind::Punct("]")) => self.newline_before(at),
            // `call()` then a new statement, unlike `if (x) ...`.
            Some(TokenKind::Punct(")")) => !self.closes_condition(prev),
            Some(TokenKind::Punct(_)) => false,
            Some(TokenKind::Ident(word)) => {
                self.newline_before(at) && !matches!(word.as_str(), "else" | "do")
            }
            Some(_) => self.newline_before(at),
        }
    }

    /// Whether token `at` is inside a function that has a parameter
    /// `name`: an arrow (`config => ...`, `(config) => { ... }`), or a
    /// function or method whose body encloses it (`webpack(config) {}`).
    pub(super) fn shadowed(&self, at: usize, name: &str) -> bool {
        if at > 0 && self.is_punct(at - 1, "=>") && self.arrow_binds(at - 1, name) {
            return true;
        }
        let mut depth = 0usize;
        let mut i = at;
        while let Some(prev) = i.checked_sub(1) {
            i = prev;
            match self.kind(i) {
                Some(TokenKind::Punct(")" | "]" | "}")) => depth += 1,
                Some(TokenKind::Punct("(" | "[" | "{")) if depth > 0 => depth -= 1,
                Some(TokenKind::Punct("(" | "{")) => {
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
    pub(super) fn arrow_binds(&self, arrow: usize, name: &str) -> bool {
        let Some(before) = arrow.checked_sub(1) else {
            return false;
        };
        self.ident(before) == Some(name)
            || self.is_punct(before, ")") && self.group_has(before, name)
    }

    /// Whether the parenthesised group that `close` ends names `name`.
    pub(super) fn group_has(&self, close: usize, name: &str) -> bool {
        let mut depth = 0usize;
        let mut at = close;
        loop {
            match self.kind(at) {
                Some(TokenKind::Punct(")")) => depth += 1,
                Some(TokenKind::Punct("(")) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return false;
                    }
                }
                Some(TokenKind::Ident(word)) if word == name => return true,
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
    pub(super) fn closes_condition(&self, close: usize) -> bool {
        let mut depth = 0usize;
        let mut at = close;
        loop {
            match self.kind(at) {
                Some(TokenKind::Punct(")" | "]" | "}") | TokenKind::TemplateTail) => depth += 1,
                Some(TokenKind::Punct("(" | "[" | "{") | TokenKind::TemplateHead) => {
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
    pub(super) fn uncalled_functions(&self) -> Vec<(usize, usize)> {
        let mut ranges = Vec::new();
        let mut depth = 0usize;
        for at in 0..self.tokens.len() {
            match self.kind(at) {
                Some(TokenKind::Punct("{" | "(" | "[") | TokenKind::TemplateHead) => depth += 1,
                Some(TokenKind::Punct("}" | ")" | "]") | TokenKind::TemplateTail) => {
                    depth = depth.saturating_sub(1)
                }
                Some(TokenKind::Ident(word)) if depth == 0 && word == "function" => {
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
    pub(super) fn body_end(&self, from: usize) -> usize {
        let mut depth = 0usize;
        let mut at = from;
        let mut in_body = false;
        while let Some(kind) = self.kind(at) {
            match kind {
                TokenKind::Punct("{") if depth == 0 => {
                    in_body = true;
                    depth += 1;
                }
                TokenKind::Punct("{" | "(" | "[") | TokenKind::TemplateHead => depth += 1,
                TokenKind::Punct("}" | ")" | "]") | TokenKind::TemplateTail => {
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

    pub(super) fn is_dead(&self, at: usize) -> bool {
        self.dead.iter().any(|&(from, to)| from <= at && at < to)
    }

    /// `Object.assign(NAME, ...)` at token `at`.
    pub(super) fn object_assign_at(&self, at: usize) -> Option<Mutation> {
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
    pub(super) fn mutation_at(&self, at: usize, word: &str) -> Option<Mutation> {
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
                    (Some(TokenKind::Str(key)), true) => {
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
                                TokenKind::Punct("[") => depth += 1,
                                TokenKind::Punct("]") => {
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
        let compound = matches!(self.kind(next), Some(TokenKind::Punct(p)) if COMPOUND_ASSIGNMENTS.contains(p));
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
    pub(super) fn mutate(&mut self, root: &str, since: usize, value: &mut Value) {
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
}
