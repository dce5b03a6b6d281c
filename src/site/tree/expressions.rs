//! Expressions: arrows and functions, operators by precedence, members
//! and calls, literals (templates, arrays, objects).

use std::rc::Rc;

use super::{
    ASSIGNMENTS, BINARY, Body, Fail, Func, Id, Key, MAX_DEPTH, MAX_NESTING, Node, Parsed, Parser,
    Pattern, Prop, Span, TokenKind,
};

impl<'t> Parser<'t, '_> {
    pub(super) fn expression(&mut self) -> Parsed<Id> {
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
    pub(super) fn assignment(&mut self) -> Parsed<Id> {
        self.steps.take(1)?;
        if self.depth >= MAX_DEPTH {
            return Err(Fail::Unsupported);
        }
        self.depth += 1;
        let value = self.assignment_inner();
        self.depth -= 1;
        value
    }

    pub(super) fn assignment_inner(&mut self) -> Parsed<Id> {
        let start = self.pos;
        if let Some(arrow) = self.arrow()? {
            return Ok(arrow);
        }
        if self.at_word("yield") {
            return Err(Fail::Unsupported);
        }
        let target = self.conditional()?;
        if let Some(TokenKind::Punct(op)) = self.kind(self.pos)
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
    pub(super) fn arrow(&mut self) -> Parsed<Option<Id>> {
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

    pub(super) fn function_body(&mut self) -> Parsed<Body> {
        if self.at_punct("{") {
            Ok(Body::Block(self.block()?))
        } else {
            Ok(Body::Expr(self.assignment()?))
        }
    }

    /// At `(`: the parameters, `pos` after `)`.
    #[allow(clippy::type_complexity)]
    pub(super) fn params(&mut self) -> Parsed<(Vec<(Pattern, Option<Id>)>, Option<String>)> {
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
    pub(super) fn function(&mut self, _expression: bool) -> Parsed<Rc<Func>> {
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

    pub(super) fn conditional(&mut self) -> Parsed<Id> {
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

    pub(super) fn binary_op(&self, level: usize) -> Option<&'static str> {
        let op = match self.kind(self.pos)? {
            TokenKind::Punct(p) => *p,
            TokenKind::Ident(word) if word == "instanceof" => "instanceof",
            TokenKind::Ident(word) if word == "in" => "in",
            _ => return None,
        };
        BINARY[level].contains(&op).then_some(op)
    }

    pub(super) fn binary(&mut self, level: usize) -> Parsed<Id> {
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

    pub(super) fn unary(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.steps.take(1)?;
        match self.kind(self.pos) {
            Some(TokenKind::Punct(op @ ("!" | "-" | "+" | "~"))) => {
                let op = *op;
                self.pos += 1;
                self.enter()?;
                let arg = self.unary()?;
                self.nesting -= 1;
                self.add(Node::Unary(op, arg), start)
            }
            Some(TokenKind::Punct("++" | "--")) => {
                self.pos += 1;
                self.enter()?;
                let arg = self.unary()?;
                self.nesting -= 1;
                self.add(Node::Update(arg), start)
            }
            Some(TokenKind::Ident(word))
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
            Some(TokenKind::Ident(word))
                if word == "await" && !self.binary_or_end_at(self.pos + 1) =>
            {
                self.pos += 1;
                self.enter()?;
                let arg = self.unary()?;
                self.nesting -= 1;
                self.add(Node::Await(arg), start)
            }
            Some(TokenKind::Punct("<")) => {
                // An old-style type assertion `<T>value`.
                self.skip_angles()?;
                self.unary()
            }
            _ => {
                let value = self.postfix()?;
                if matches!(self.kind(self.pos), Some(TokenKind::Punct("++" | "--")))
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
    pub(super) fn binary_or_end_at(&self, at: usize) -> bool {
        matches!(
            self.kind(at),
            None | Some(TokenKind::Punct(
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
    pub(super) fn postfix(&mut self) -> Parsed<Id> {
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
                Some(TokenKind::Punct("." | "?.")) => {
                    self.pos += 1;
                    value = self.after_dot(value, start)?;
                }
                Some(TokenKind::Punct("[")) => {
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
                Some(TokenKind::Punct("(")) => {
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
                Some(TokenKind::Punct("<")) if self.generic_call() => {
                    self.skip_angles()?;
                }
                Some(TokenKind::Template(_) | TokenKind::TemplateHead(_))
                    if !self.newline_at(self.pos) =>
                {
                    // A tagged template: a call not read.
                    let _ = self.primary()?;
                    value = self.add(Node::Opaque, start)?;
                }
                Some(TokenKind::Punct("!"))
                    if !self.newline_at(self.pos)
                        && matches!(
                            self.kind(self.pos + 1),
                            None | Some(TokenKind::Punct(
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
    pub(super) fn after_dot(&mut self, value: Id, start: usize) -> Parsed<Id> {
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
    pub(super) fn generic_call(&self) -> bool {
        let mut depth = 0usize;
        // Type arguments are short; a long run is a comparison.
        for at in self.pos..self.pos + 64 {
            match self.kind(at) {
                Some(TokenKind::Punct("<")) => depth += 1,
                Some(TokenKind::Punct(">")) => {
                    depth -= 1;
                    if depth == 0 {
                        return self.punct_at(at + 1, "(");
                    }
                }
                Some(TokenKind::Ident(_) | TokenKind::Punct("," | "." | "|" | "&" | "[" | "]"))
                | Some(TokenKind::Str(_)) => {}
                _ => return false,
            }
        }
        false
    }

    /// At `(`: the arguments, `pos` after `)`.
    pub(super) fn arguments(&mut self) -> Parsed<Vec<Id>> {
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
    pub(super) fn too_deep(&mut self, start: usize) -> Parsed<Id> {
        self.jump_over()?;
        self.add(Node::Opaque, start)
    }

    pub(super) fn primary(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.steps.take(1)?;
        let Some(kind) = self.kind(self.pos) else {
            return Err(Fail::Unsupported);
        };
        let opens = matches!(
            kind,
            TokenKind::Punct("(" | "[" | "{") | TokenKind::TemplateHead(_)
        );
        if opens && self.nesting >= MAX_NESTING {
            if let TokenKind::TemplateHead(_) = kind {
                return Err(Fail::Unsupported);
            }
            return self.too_deep(start);
        }
        let node = match kind {
            TokenKind::Num(n) => Node::Num(*n),
            TokenKind::Str(s) | TokenKind::Template(s) => Node::Str(s.clone()),
            TokenKind::Regex => Node::Regex,
            TokenKind::TemplateHead(_) => return self.template(),
            TokenKind::Punct("(") => {
                self.enter()?;
                self.pos += 1;
                let inner = self.expression()?;
                self.expect(")")?;
                self.nesting -= 1;
                return Ok(inner);
            }
            TokenKind::Punct("[") => return self.array(),
            TokenKind::Punct("{") => return self.object(),
            TokenKind::Ident(word) => match word.as_str() {
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

    pub(super) fn template(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.enter()?;
        let mut quasis = Vec::new();
        let mut exprs = Vec::new();
        loop {
            match self.kind(self.pos) {
                Some(TokenKind::TemplateHead(text) | TokenKind::TemplateMiddle(text)) => {
                    quasis.push(text.clone());
                    self.pos += 1;
                    exprs.push(self.expression()?);
                }
                Some(TokenKind::TemplateTail(text)) => {
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

    pub(super) fn array(&mut self) -> Parsed<Id> {
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
    pub(super) fn key(&mut self) -> Parsed<Key> {
        let key = match self.kind(self.pos) {
            Some(TokenKind::Ident(name) | TokenKind::Str(name) | TokenKind::Template(name)) => {
                Key::Name(name.clone())
            }
            Some(TokenKind::Num(n)) => Key::Name(n.to_string()),
            Some(TokenKind::Punct("[")) => {
                self.pos += 1;
                let key = self.assignment()?;
                self.expect("]")?;
                return Ok(Key::Computed(key));
            }
            Some(TokenKind::Punct("#")) => {
                self.pos += 1;
                return self.key();
            }
            _ => return Err(Fail::Unsupported),
        };
        self.pos += 1;
        Ok(key)
    }

    pub(super) fn object(&mut self) -> Parsed<Id> {
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

    pub(super) fn member(&mut self) -> Parsed<Prop> {
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
            Some(TokenKind::Punct(":" | "," | "(" | "}" | "=" | "<"))
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
