//! Statements: declarations, `if`, loops, imports and exports, binding
//! patterns, and TypeScript's types read past.

use super::{
    Fail, Id, Imported, Key, MAX_NESTING, Node, OverBudget, Parsed, Parser, Pattern, TokenKind,
};

impl<'t> Parser<'t, '_> {
    /// A statement; one outside the subset is skipped to its end and kept
    /// as [`Node::Unparsed`].
    pub(super) fn statement_or_recover(&mut self) -> Result<Id, OverBudget> {
        let start = self.pos;
        let nesting = self.nesting;
        let depth = self.depth;
        match self.statement() {
            Ok(id) => Ok(id),
            Err(Fail::Budget) => Err(OverBudget),
            Err(Fail::Unsupported) => {
                self.nesting = nesting;
                self.depth = depth;
                self.pos = start;
                let names = self.skip_statement()?;
                match self.add(Node::Unparsed(names), start) {
                    Ok(id) => Ok(id),
                    Err(_) => Err(OverBudget),
                }
            }
        }
    }

    /// Skips to the end of the statement at `pos` (a `;`, a line break
    /// where brackets are balanced, or the `}` of the enclosing block),
    /// jumping over brackets; the names it uses.
    pub(super) fn skip_statement(&mut self) -> Result<Vec<String>, OverBudget> {
        let start = self.pos;
        let mut names = Vec::new();
        while let Some(kind) = self.kind(self.pos) {
            self.steps.take(1)?;
            if self.pos > start && self.newline_at(self.pos) {
                break;
            }
            match kind {
                TokenKind::Punct(";") => {
                    self.pos += 1;
                    break;
                }
                TokenKind::Punct(")" | "]" | "}") if self.pos > start => break,
                TokenKind::Ident(name) => names.push(name.clone()),
                _ => {}
            }
            let partner = self.partner[self.pos];
            if partner != usize::MAX && partner > self.pos {
                for at in self.pos..partner {
                    if let Some(TokenKind::Ident(name)) = self.kind(at) {
                        names.push(name.clone());
                    }
                }
                self.steps.take((partner - self.pos) as u64)?;
                self.pos = partner;
            }
            self.pos += 1;
        }
        if self.pos == start {
            self.pos += 1;
        }
        Ok(names)
    }

    /// Ends a statement: `;`, a line break, or a `}` or the end next.
    pub(super) fn end_statement(&mut self) -> Parsed<()> {
        if self.eat(";") || self.at_punct("}") || self.pos >= self.tokens.len() {
            return Ok(());
        }
        if self.newline_at(self.pos) {
            return Ok(());
        }
        Err(Fail::Unsupported)
    }

    pub(super) fn statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.steps.take(1)?;
        let Some(kind) = self.kind(self.pos) else {
            return Err(Fail::Unsupported);
        };
        match kind {
            TokenKind::Punct(";") => {
                self.pos += 1;
                self.add(Node::Empty, start)
            }
            TokenKind::Punct("{") => {
                let body = self.block()?;
                self.add(Node::Block(body), start)
            }
            TokenKind::Ident(word) => match word.as_str() {
                "const" | "let" | "var" if self.word_at(self.pos + 1) != Some("enum") => {
                    self.pos += 1;
                    let decls = self.declarators()?;
                    self.end_statement()?;
                    self.add(Node::Var(decls), start)
                }
                "function" => {
                    let func = self.function(false)?;
                    self.add(Node::FunctionDecl(func), start)
                }
                "async" if self.word_at(self.pos + 1) == Some("function") => {
                    self.pos += 1;
                    let func = self.function(false)?;
                    self.add(Node::FunctionDecl(func), start)
                }
                "return" => self.return_statement(),
                "if" => self.if_statement(),
                "throw" => {
                    self.pos += 1;
                    self.expression()?;
                    self.end_statement()?;
                    self.add(Node::Throw, start)
                }
                "break" | "continue" | "debugger" => {
                    self.pos += 1;
                    if !self.newline_at(self.pos) && self.word_at(self.pos).is_some() {
                        self.pos += 1;
                    }
                    self.end_statement()?;
                    self.add(Node::Empty, start)
                }
                "for" | "while" | "do" | "switch" | "try" | "with" => self.uncertain(),
                "import"
                    if !self.punct_at(self.pos + 1, "(") && !self.punct_at(self.pos + 1, ".") =>
                {
                    self.import()
                }
                "export" => self.export(),
                "type" | "interface" | "declare" | "enum" | "abstract" | "namespace"
                    if matches!(self.kind(self.pos + 1), Some(TokenKind::Ident(_))) =>
                {
                    self.skip_declaration()
                }
                "class" => {
                    self.class()?;
                    self.add(Node::Empty, start)
                }
                _ => self.expression_statement(),
            },
            _ => self.expression_statement(),
        }
    }

    pub(super) fn return_statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.pos += 1;
        let value = if self.at_punct(";")
            || self.at_punct("}")
            || self.newline_at(self.pos)
            || self.pos >= self.tokens.len()
        {
            None
        } else {
            Some(self.expression()?)
        };
        self.end_statement()?;
        self.add(Node::Return(value), start)
    }

    pub(super) fn expression_statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        let expr = self.expression()?;
        self.end_statement()?;
        self.add(Node::Expr(expr), start)
    }

    /// At `{`: the statements up to its `}`.
    pub(super) fn block(&mut self) -> Parsed<Vec<Id>> {
        self.enter()?;
        self.expect("{")?;
        let mut body = Vec::new();
        while !self.at_punct("}") {
            if self.pos >= self.tokens.len() {
                return Err(Fail::Unsupported);
            }
            body.push(self.statement_or_recover()?);
        }
        self.pos += 1;
        self.nesting -= 1;
        Ok(body)
    }

    pub(super) fn enter(&mut self) -> Parsed<()> {
        if self.nesting >= MAX_NESTING {
            return Err(Fail::Unsupported);
        }
        self.nesting += 1;
        Ok(())
    }

    pub(super) fn if_statement(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        self.expect("(")?;
        let test = self.expression()?;
        self.expect(")")?;
        let then = self.statement()?;
        let otherwise = if self.at_word("else") {
            self.pos += 1;
            Some(self.statement()?)
        } else {
            None
        };
        self.nesting -= 1;
        self.add(Node::If(test, then, otherwise), start)
    }

    /// A loop, `try`: its blocks' statements, as parts that may or may
    /// not run. Heads are skipped over. A `switch` is not read: the names
    /// it uses are.
    pub(super) fn uncertain(&mut self) -> Parsed<Id> {
        let start = self.pos;
        if self.at_word("switch") {
            let mut names = Vec::new();
            self.pos += 1;
            for _ in 0..2 {
                let from = self.pos;
                self.jump_over()?;
                for at in from..self.pos {
                    if let Some(name) = self.word_at(at) {
                        names.push(name.to_string());
                    }
                }
            }
            return self.add(Node::Unparsed(names), start);
        }
        let mut parts = Vec::new();
        loop {
            self.steps.take(1)?;
            match self.kind(self.pos) {
                Some(TokenKind::Ident(word))
                    if matches!(
                        word.as_str(),
                        "for" | "while" | "do" | "try" | "catch" | "finally" | "with" | "await"
                    ) =>
                {
                    self.pos += 1;
                }
                Some(TokenKind::Punct("(")) => self.jump_over()?,
                Some(TokenKind::Punct("{")) => {
                    let from = self.pos;
                    let body = self.block()?;
                    parts.push(self.add(Node::Block(body), from)?);
                    if !matches!(self.word_at(self.pos), Some("catch" | "finally" | "while")) {
                        break;
                    }
                }
                _ => {
                    self.enter()?;
                    parts.push(self.statement()?);
                    self.nesting -= 1;
                    if !self.at_word("while") {
                        break;
                    }
                }
            }
        }
        self.eat(";");
        self.add(Node::Uncertain(parts), start)
    }

    /// At an opening bracket: past its partner.
    pub(super) fn jump_over(&mut self) -> Parsed<()> {
        let partner = self.partner[self.pos];
        if partner == usize::MAX || partner < self.pos {
            return Err(Fail::Unsupported);
        }
        self.steps.take(1)?;
        self.pos = partner + 1;
        Ok(())
    }

    pub(super) fn class(&mut self) -> Parsed<()> {
        self.pos += 1;
        while !self.at_punct("{") {
            if self.pos >= self.tokens.len() {
                return Err(Fail::Unsupported);
            }
            self.steps.take(1)?;
            self.pos += 1;
        }
        self.jump_over()
    }

    /// `type X = ...`, `interface X {}`, `declare ...`, `enum X {}`.
    pub(super) fn skip_declaration(&mut self) -> Parsed<Id> {
        let start = self.pos;
        while let Some(kind) = self.kind(self.pos) {
            self.steps.take(1)?;
            if self.pos > start && self.newline_at(self.pos) && !self.continues_type() {
                break;
            }
            match kind {
                TokenKind::Punct(";") => {
                    self.pos += 1;
                    break;
                }
                TokenKind::Punct("(" | "[" | "{") => {
                    let interface = self.punct_at(self.pos, "{")
                        && !self.punct_at(self.pos.wrapping_sub(1), "=");
                    self.jump_over()?;
                    if interface
                        && !matches!(self.kind(self.pos), Some(TokenKind::Punct("|" | "&" | "[")))
                    {
                        break;
                    }
                    continue;
                }
                TokenKind::Punct("}" | ")" | "]") => break,
                _ => {}
            }
            self.pos += 1;
        }
        self.add(Node::Empty, start)
    }

    /// Whether the token at `pos` continues a type over a line break.
    pub(super) fn continues_type(&self) -> bool {
        matches!(
            self.kind(self.pos),
            Some(TokenKind::Punct(
                "|" | "&" | "=" | "=>" | "." | "<" | ">" | "?" | ":" | ","
            ))
        ) || matches!(
            self.kind(self.pos.wrapping_sub(1)),
            Some(TokenKind::Punct(
                "|" | "&" | "=" | "=>" | "." | "<" | "?" | ":" | ","
            ))
        )
    }

    pub(super) fn import(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.pos += 1;
        if self.at_word("type")
            && !self.punct_at(self.pos + 1, ",")
            && self.word_at(self.pos + 1).is_none_or(|w| w != "from")
        {
            self.skip_statement()?;
            return self.add(Node::Empty, start);
        }
        let mut bindings = Vec::new();
        if let Some(TokenKind::Str(source)) = self.kind(self.pos) {
            let source = source.clone();
            self.pos += 1;
            self.end_statement()?;
            return self.add(Node::Import(bindings, source), start);
        }
        if let Some(name) = self.word_at(self.pos).filter(|w| *w != "from") {
            bindings.push((name.to_string(), Imported::Default));
            self.pos += 1;
            self.eat(",");
        }
        if self.eat("*") {
            if !self.at_word("as") {
                return Err(Fail::Unsupported);
            }
            self.pos += 1;
            let name = self.name()?;
            bindings.push((name, Imported::Namespace));
        }
        if self.at_punct("{") {
            for (local, imported) in self.specifiers()? {
                bindings.push((local, Imported::Named(imported)));
            }
        }
        if !self.at_word("from") {
            return Err(Fail::Unsupported);
        }
        self.pos += 1;
        let Some(TokenKind::Str(source)) = self.kind(self.pos) else {
            return Err(Fail::Unsupported);
        };
        let source = source.clone();
        self.pos += 1;
        if self.at_word("with") || self.at_word("assert") {
            self.pos += 1;
            self.jump_over()?;
        }
        self.end_statement()?;
        self.add(Node::Import(bindings, source), start)
    }

    /// `{ a, b as c, type d }`: (local, outside) pairs, `pos` after `}`.
    pub(super) fn specifiers(&mut self) -> Parsed<Vec<(String, String)>> {
        self.expect("{")?;
        let mut pairs = Vec::new();
        while !self.eat("}") {
            self.steps.take(1)?;
            if self.at_word("type") && self.word_at(self.pos + 1).is_some() {
                self.pos += 1;
            }
            let first = match self.kind(self.pos) {
                Some(TokenKind::Ident(name) | TokenKind::Str(name)) => name.clone(),
                _ => return Err(Fail::Unsupported),
            };
            self.pos += 1;
            let second = if self.at_word("as") {
                self.pos += 1;
                match self.kind(self.pos) {
                    Some(TokenKind::Ident(name) | TokenKind::Str(name)) => {
                        let name = name.clone();
                        self.pos += 1;
                        name
                    }
                    _ => return Err(Fail::Unsupported),
                }
            } else {
                first.clone()
            };
            pairs.push((first, second));
            if !self.eat(",") && !self.at_punct("}") {
                return Err(Fail::Unsupported);
            }
        }
        Ok(pairs)
    }

    pub(super) fn export(&mut self) -> Parsed<Id> {
        let start = self.pos;
        self.pos += 1;
        if self.at_word("default") {
            self.pos += 1;
            let value = if self.at_word("function")
                || self.at_word("async") && self.word_at(self.pos + 1) == Some("function")
            {
                let from = self.pos;
                if self.at_word("async") {
                    self.pos += 1;
                }
                let func = self.function(true)?;
                self.add(Node::Function(func), from)?
            } else if self.at_word("class") {
                let from = self.pos;
                self.class()?;
                self.add(Node::Opaque, from)?
            } else {
                let value = self.expression()?;
                self.end_statement()?;
                value
            };
            return self.add(Node::ExportDefault(value), start);
        }
        if self.at_punct("{") {
            let pairs = self.specifiers()?;
            if self.at_word("from") {
                // A re-export: its names are not this file's.
                self.pos += 2;
                self.end_statement()?;
                let pairs = pairs
                    .into_iter()
                    .map(|(_, outside)| (String::new(), outside))
                    .collect();
                return self.add(Node::ExportNames(pairs), start);
            }
            self.end_statement()?;
            return self.add(Node::ExportNames(pairs), start);
        }
        if self.at_punct("=") {
            // TypeScript's `export = value`.
            self.pos += 1;
            let value = self.expression()?;
            self.end_statement()?;
            return self.add(Node::ExportDefault(value), start);
        }
        if self.at_punct("*") {
            self.skip_statement()?;
            return self.add(Node::Empty, start);
        }
        // `export const x = ...`, `export function f() {}`: the declaration.
        self.statement()
    }

    /// After `const`: `a = 1, { b } = c`.
    pub(super) fn declarators(&mut self) -> Parsed<Vec<(Pattern, Option<Id>)>> {
        let mut decls = Vec::new();
        loop {
            self.steps.take(1)?;
            let pattern = self.pattern()?;
            self.eat("!");
            if self.eat(":") {
                self.skip_type()?;
            }
            let value = if self.eat("=") {
                Some(self.assignment()?)
            } else {
                None
            };
            decls.push((pattern, value));
            if !self.eat(",") {
                return Ok(decls);
            }
        }
    }

    /// A binding pattern: a name, `{ ... }` or `[ ... ]`.
    pub(super) fn pattern(&mut self) -> Parsed<Pattern> {
        self.steps.take(1)?;
        match self.kind(self.pos) {
            Some(TokenKind::Ident(_)) => Ok(Pattern::Name(self.name()?)),
            Some(TokenKind::Punct("{")) => {
                self.enter()?;
                self.pos += 1;
                let mut props = Vec::new();
                let mut rest = None;
                while !self.eat("}") {
                    if self.eat("...") {
                        rest = Some(self.name()?);
                    } else {
                        let key = self.key()?;
                        let pattern = if self.eat(":") {
                            self.pattern()?
                        } else {
                            match &key {
                                Key::Name(name) => Pattern::Name(name.clone()),
                                Key::Computed(_) => return Err(Fail::Unsupported),
                            }
                        };
                        let default = if self.eat("=") {
                            Some(self.assignment()?)
                        } else {
                            None
                        };
                        props.push((key, pattern, default));
                    }
                    if !self.eat(",") && !self.at_punct("}") {
                        return Err(Fail::Unsupported);
                    }
                }
                self.nesting -= 1;
                Ok(Pattern::Object(props, rest))
            }
            Some(TokenKind::Punct("[")) => {
                self.enter()?;
                self.pos += 1;
                let mut items = Vec::new();
                let mut rest = None;
                while !self.eat("]") {
                    if self.eat(",") {
                        items.push(None);
                        continue;
                    }
                    if self.eat("...") {
                        rest = Some(self.name()?);
                    } else {
                        let pattern = self.pattern()?;
                        let default = if self.eat("=") {
                            Some(self.assignment()?)
                        } else {
                            None
                        };
                        items.push(Some((pattern, default)));
                    }
                    if !self.eat(",") && !self.at_punct("]") {
                        return Err(Fail::Unsupported);
                    }
                }
                self.nesting -= 1;
                Ok(Pattern::Array(items, rest))
            }
            _ => Err(Fail::Unsupported),
        }
    }

    /// A TypeScript type, read past: names, `<...>`, brackets, literals,
    /// joined by `|`, `&`, `=>`, `.`, `[]`, `keyof`, `typeof`.
    pub(super) fn skip_type(&mut self) -> Parsed<()> {
        loop {
            self.steps.take(1)?;
            while matches!(self.kind(self.pos), Some(TokenKind::Punct("|" | "&"))) {
                self.pos += 1;
            }
            let group = self.at_punct("(");
            match self.kind(self.pos) {
                Some(TokenKind::Punct("(" | "[" | "{")) => self.jump_over()?,
                Some(TokenKind::Ident(word))
                    if matches!(
                        word.as_str(),
                        "keyof" | "typeof" | "readonly" | "unique" | "infer" | "new"
                    ) =>
                {
                    self.pos += 1;
                    continue;
                }
                Some(
                    TokenKind::Ident(_)
                    | TokenKind::Str(_)
                    | TokenKind::Num(_)
                    | TokenKind::Template(_),
                ) => {
                    self.pos += 1;
                }
                Some(TokenKind::Punct("-"))
                    if matches!(self.kind(self.pos + 1), Some(TokenKind::Num(_))) =>
                {
                    self.pos += 2;
                }
                _ => return Err(Fail::Unsupported),
            }
            loop {
                if self.at_punct("<") {
                    self.skip_angles()?;
                } else if self.at_punct(".") && self.word_at(self.pos + 1).is_some() {
                    self.pos += 2;
                } else if self.at_punct("[") && !self.newline_at(self.pos) {
                    self.jump_over()?;
                } else {
                    break;
                }
            }
            // `=>` continues a function type, `(a: T) => R`, only.
            if matches!(self.kind(self.pos), Some(TokenKind::Punct("|" | "&")))
                || group && self.at_punct("=>")
            {
                self.pos += 1;
                continue;
            }
            if self.at_word("extends") {
                // A conditional type: `A extends B ? C : D`.
                self.pos += 1;
                continue;
            }
            return Ok(());
        }
    }

    /// At `<`: past the matching `>` (`>>` closes two).
    pub(super) fn skip_angles(&mut self) -> Parsed<()> {
        let mut depth = 0usize;
        while let Some(kind) = self.kind(self.pos) {
            self.steps.take(1)?;
            match kind {
                TokenKind::Punct("<") => depth += 1,
                TokenKind::Punct(">") => depth = depth.saturating_sub(1),
                TokenKind::Punct(">>") => depth = depth.saturating_sub(2),
                TokenKind::Punct(">>>") => depth = depth.saturating_sub(3),
                TokenKind::Punct("(" | "[" | "{") => {
                    self.jump_over()?;
                    continue;
                }
                TokenKind::Punct(";" | ")" | "]" | "}") => return Err(Fail::Unsupported),
                _ => {}
            }
            self.pos += 1;
            if depth == 0 {
                return Ok(());
            }
        }
        Err(Fail::Unsupported)
    }
}
