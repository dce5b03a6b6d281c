//! A tokenizer for JavaScript and TypeScript config files: enough of the
//! language's lexical grammar that comments, strings, template literals and
//! regular expressions are each one token, so that text inside them can
//! never be mistaken for code (a commented-out `basePath` is not read).
//!
//! Whether `/` starts a regular expression or divides depends on the token
//! before it, as in every JavaScript tokenizer that works without a full
//! parser: after a value (a name, a number, a string, `)`, `]`, the `}` of
//! an object literal) it divides; anywhere else, and after the `}` that ends
//! a block (`function f() {}` then `/'/` on the next line), it starts a
//! regular expression. Whether a `{` opens a block or an object is told by
//! the token before it, as the grammar does: after `)`, `=>`, `;`, a block
//! keyword or at the start of a statement, a block.

use std::fmt;

/// One token. `start..end` is its byte range in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// Whether a line break comes between the previous token and this one
    /// (automatic semicolon insertion).
    pub newline_before: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A name or keyword (`module`, `export`, `basePath`, `true`).
    Ident(String),
    /// A string literal, its escapes decoded.
    Str(String),
    /// A template literal without substitutions, its escapes decoded.
    Template(String),
    /// The start of a template literal with substitutions (`` `a${ ``); the
    /// tokens of the substitution follow, then [`TokenKind::TemplateMiddle`]
    /// (`` }b${ ``) or [`TokenKind::TemplateTail`] (`` }c` ``).
    TemplateHead(String),
    TemplateMiddle(String),
    TemplateTail(String),
    Num(f64),
    Regex,
    /// An operator or bracket (`{`, `...`, `=>`, `?.`).
    Punct(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    /// Byte offset where the token that cannot be read starts.
    pub offset: usize,
    pub message: &'static str,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// Longest first, so that the first match is the longest.
const PUNCTUATORS: &[&str] = &[
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=",
    "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "**", "<<", ">>", "{", "}", "(", ")", "[", "]", ";", ",", "<", ">", "+", "-", "*", "/", "%",
    "&", "|", "^", "!", "~", "?", ":", "=", ".", "@", "#",
];

/// Keywords after which an expression starts, so that `/` is a regex.
const BEFORE_EXPRESSION: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
    "export",
    "default",
    "extends",
];

/// Splits `source` into tokens, comments and white space left out.
pub fn tokenize(source: &str) -> Result<Vec<Token>, LexError> {
    Lexer {
        src: source,
        pos: 0,
        tokens: Vec::new(),
        braces: Vec::new(),
        newline: false,
        closed_block: false,
    }
    .run()
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    tokens: Vec<Token>,
    /// For each open `{` or `${`: what it opened.
    braces: Vec<Brace>,
    /// Whether the trivia before the next token held a line break.
    newline: bool,
    /// Whether the last token is a `}` that closed a block.
    closed_block: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Brace {
    /// A template substitution, whose `}` resumes the template.
    Template,
    /// A block (a function body, `if`'s branch, a class body): a `/` after
    /// its `}` starts a regular expression.
    Block,
    /// An object literal or pattern: a `/` after its `}` divides.
    Object,
}

/// Keywords after which a `{` opens a block.
const BEFORE_BLOCK: &[&str] = &[
    "else",
    "do",
    "try",
    "finally",
    "static",
    "interface",
    "enum",
    "namespace",
    "module",
];

impl<'s> Lexer<'s> {
    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn error(&self, offset: usize, message: &'static str) -> LexError {
        LexError { offset, message }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.pos,
            newline_before: std::mem::take(&mut self.newline),
        });
        self.closed_block = false;
    }

    /// Whether a `{` here opens a block rather than an object literal.
    fn opens_block(&self) -> bool {
        let Some(last) = self.tokens.last() else {
            return true;
        };
        match &last.kind {
            TokenKind::Punct(p) => matches!(*p, ")" | "=>" | ";" | "{" | "}"),
            TokenKind::Ident(word) => {
                BEFORE_BLOCK.contains(&word.as_str()) || !BEFORE_EXPRESSION.contains(&word.as_str())
            }
            _ => false,
        }
    }

    fn run(mut self) -> Result<Vec<Token>, LexError> {
        if self.rest().starts_with("#!") {
            self.skip_line();
        }
        loop {
            self.skip_trivia()?;
            let start = self.pos;
            let Some(c) = self.peek() else { break };
            match c {
                '"' | '\'' => {
                    self.bump();
                    let value = self.string(c, start)?;
                    self.push(TokenKind::Str(value), start);
                }
                '`' => {
                    self.bump();
                    self.template(start, true)?;
                }
                '}' if self.braces.last() == Some(&Brace::Template) => {
                    self.braces.pop();
                    self.bump();
                    self.template(start, false)?;
                }
                '0'..='9' => self.number(start)?,
                '.' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number(start)?,
                '/' if self.regex_allowed() => self.regex(start)?,
                c if is_ident_start(c) => {
                    while self.peek().is_some_and(is_ident_part) {
                        self.bump();
                    }
                    let name = self.src[start..self.pos].to_string();
                    self.push(TokenKind::Ident(name), start);
                }
                '\\' => return Err(self.error(start, "escaped names are not supported")),
                _ => {
                    let Some(&punct) = PUNCTUATORS.iter().find(|p| self.rest().starts_with(**p))
                    else {
                        return Err(self.error(start, "unexpected character"));
                    };
                    let block = match punct {
                        "{" => {
                            let brace = if self.opens_block() {
                                Brace::Block
                            } else {
                                Brace::Object
                            };
                            self.braces.push(brace);
                            false
                        }
                        "}" => self.braces.pop() == Some(Brace::Block),
                        _ => false,
                    };
                    self.pos += punct.len();
                    self.push(TokenKind::Punct(punct), start);
                    self.closed_block = block;
                    continue;
                }
            }
        }
        if self.braces.contains(&Brace::Template) {
            return Err(self.error(self.src.len(), "unterminated template literal"));
        }
        Ok(self.tokens)
    }

    fn skip_line(&mut self) {
        match self.rest().find(['\n', '\r', '\u{2028}', '\u{2029}']) {
            Some(end) => self.pos += end,
            None => self.pos = self.src.len(),
        }
    }

    fn skip_trivia(&mut self) -> Result<(), LexError> {
        loop {
            let rest = self.rest();
            if rest.starts_with("//") {
                self.skip_line();
            } else if let Some(body) = rest.strip_prefix("/*") {
                let start = self.pos;
                match body.find("*/") {
                    Some(end) => {
                        self.newline |= body[..end].contains(is_line_terminator);
                        self.pos += 2 + end + 2;
                    }
                    None => return Err(self.error(start, "unterminated comment")),
                }
            } else if let Some(c) = self
                .peek()
                .filter(|&c| c.is_whitespace() || c == '\u{feff}')
            {
                self.newline |= is_line_terminator(c);
                self.bump();
            } else {
                return Ok(());
            }
        }
    }

    fn regex_allowed(&self) -> bool {
        match self.tokens.last().map(|t| &t.kind) {
            None => true,
            Some(TokenKind::Punct("}")) => self.closed_block,
            Some(TokenKind::Punct(p)) => !matches!(*p, ")" | "]" | "++" | "--"),
            Some(TokenKind::Ident(name)) => {
                // `a.return / 2` names a property, not the keyword.
                let property = self.tokens.len() >= 2
                    && matches!(
                        self.tokens[self.tokens.len() - 2].kind,
                        TokenKind::Punct("." | "?.")
                    );
                !property && BEFORE_EXPRESSION.contains(&name.as_str())
            }
            Some(TokenKind::TemplateHead(_) | TokenKind::TemplateMiddle(_)) => true,
            Some(_) => false,
        }
    }

    /// After the opening quote; returns the decoded value.
    fn string(&mut self, quote: char, start: usize) -> Result<String, LexError> {
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error(start, "unterminated string")),
                Some(c) if c == quote => return Ok(value),
                Some('\\') => self.escape(&mut value, start)?,
                Some(c) if c == '\n' || c == '\r' => {
                    return Err(self.error(start, "unterminated string"));
                }
                Some(c) => value.push(c),
            }
        }
    }

    /// After `` ` `` (`opening`) or the `}` that ends a substitution.
    fn template(&mut self, start: usize, opening: bool) -> Result<(), LexError> {
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error(start, "unterminated template literal")),
                Some('`') => {
                    let kind = if opening {
                        TokenKind::Template(value)
                    } else {
                        TokenKind::TemplateTail(value)
                    };
                    self.push(kind, start);
                    return Ok(());
                }
                Some('$') if self.peek() == Some('{') => {
                    self.bump();
                    self.braces.push(Brace::Template);
                    let kind = if opening {
                        TokenKind::TemplateHead(value)
                    } else {
                        TokenKind::TemplateMiddle(value)
                    };
                    self.push(kind, start);
                    return Ok(());
                }
                Some('\\') => self.escape(&mut value, start)?,
                Some('\r') => {
                    // A template's CR LF and lone CR read as LF.
                    if self.peek() == Some('\n') {
                        self.bump();
                    }
                    value.push('\n');
                }
                Some(c) => value.push(c),
            }
        }
    }

    /// After a `\` in a string or template.
    fn escape(&mut self, value: &mut String, start: usize) -> Result<(), LexError> {
        let bad = |lexer: &Self| lexer.error(start, "invalid escape sequence");
        let Some(c) = self.bump() else {
            return Err(bad(self));
        };
        match c {
            'n' => value.push('\n'),
            't' => value.push('\t'),
            'r' => value.push('\r'),
            'b' => value.push('\u{8}'),
            'f' => value.push('\u{c}'),
            'v' => value.push('\u{b}'),
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => value.push('\0'),
            'x' => {
                let code = self.hex_digits(2).ok_or_else(|| bad(self))?;
                value.push(char::from_u32(code).ok_or_else(|| bad(self))?);
            }
            'u' => {
                let code = self.unicode_escape().ok_or_else(|| bad(self))?;
                // A surrogate pair is two escapes: `\uD83D\uDE00`.
                if (0xD800..0xDC00).contains(&code) && self.rest().starts_with("\\u") {
                    let save = self.pos;
                    self.pos += 2;
                    match self.unicode_escape() {
                        Some(low) if (0xDC00..0xE000).contains(&low) => {
                            let joined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            value.push(char::from_u32(joined).ok_or_else(|| bad(self))?);
                            return Ok(());
                        }
                        _ => self.pos = save,
                    }
                }
                value.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            '\r' => {
                if self.peek() == Some('\n') {
                    self.bump();
                }
            }
            '\n' | '\u{2028}' | '\u{2029}' => {}
            '1'..='9' | '0' => return Err(bad(self)),
            other => value.push(other),
        }
        Ok(())
    }

    /// After `\u`: `XXXX` or `{X...}`.
    fn unicode_escape(&mut self) -> Option<u32> {
        if self.peek() == Some('{') {
            self.bump();
            let digits_start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                self.bump();
            }
            let digits = &self.src[digits_start..self.pos];
            if self.bump() != Some('}') || digits.is_empty() || digits.len() > 6 {
                return None;
            }
            u32::from_str_radix(digits, 16)
                .ok()
                .filter(|&c| c <= 0x10FFFF)
        } else {
            self.hex_digits(4)
        }
    }

    fn hex_digits(&mut self, count: usize) -> Option<u32> {
        let digits = self.rest().get(..count)?;
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += count;
        u32::from_str_radix(digits, 16).ok()
    }

    fn number(&mut self, start: usize) -> Result<(), LexError> {
        let radix = match self.rest().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("0x") => 16,
            Some("0o") => 8,
            Some("0b") => 2,
            _ => 10,
        };
        let value = if radix == 10 {
            self.digits(10);
            if self.peek() == Some('.') {
                self.bump();
                self.digits(10);
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                self.bump();
                if matches!(self.peek(), Some('+' | '-')) {
                    self.bump();
                }
                self.digits(10);
            }
            let text: String = self.src[start..self.pos]
                .chars()
                .filter(|&c| c != '_')
                .collect();
            text.parse::<f64>().ok()
        } else {
            self.pos += 2;
            let digits_start = self.pos;
            self.digits(radix);
            let text: String = self.src[digits_start..self.pos]
                .chars()
                .filter(|&c| c != '_')
                .collect();
            u64::from_str_radix(&text, radix).ok().map(|n| n as f64)
        };
        // A BigInt (`10n`) is still a number to us.
        if self.peek() == Some('n') {
            self.bump();
        }
        if self.peek().is_some_and(is_ident_start) {
            return Err(self.error(start, "invalid number"));
        }
        let value = value.ok_or_else(|| self.error(start, "invalid number"))?;
        self.push(TokenKind::Num(value), start);
        Ok(())
    }

    fn digits(&mut self, radix: u32) {
        while self.peek().is_some_and(|c| c.is_digit(radix) || c == '_') {
            self.bump();
        }
    }

    /// At the opening `/`: the body (where `[...]` may hold a `/`), then the
    /// flags.
    fn regex(&mut self, start: usize) -> Result<(), LexError> {
        self.bump();
        let mut in_class = false;
        loop {
            match self.bump() {
                None => return Err(self.error(start, "unterminated regular expression")),
                Some(c) if is_line_terminator(c) => {
                    return Err(self.error(start, "unterminated regular expression"));
                }
                Some('\\') => {
                    if self.bump().is_none_or(is_line_terminator) {
                        return Err(self.error(start, "unterminated regular expression"));
                    }
                }
                Some('[') => in_class = true,
                Some(']') => in_class = false,
                Some('/') if !in_class => break,
                Some(_) => {}
            }
        }
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        self.push(TokenKind::Regex, start);
        Ok(())
    }
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '\u{200c}' || c == '\u{200d}'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source)
            .expect("tokenizes")
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn ident(name: &str) -> TokenKind {
        TokenKind::Ident(name.to_string())
    }

    fn string(value: &str) -> TokenKind {
        TokenKind::Str(value.to_string())
    }

    #[test]
    fn comments_are_not_tokens() {
        let cases: &[(&str, Vec<TokenKind>)] = &[
            ("a // b: '/x'\nc", vec![ident("a"), ident("c")]),
            ("a /* basePath: '/x' */ c", vec![ident("a"), ident("c")]),
            (
                "/** @type {import('next').NextConfig} */ a",
                vec![ident("a")],
            ),
            ("#!/usr/bin/env node\na", vec![ident("a")]),
            ("a /* multi\nline // */ b", vec![ident("a"), ident("b")]),
        ];
        for (source, expected) in cases {
            assert_eq!(&kinds(source), expected, "{source}");
        }
    }

    #[test]
    fn strings_decode_their_escapes() {
        let cases: &[(&str, &str)] = &[
            (r#""a\"b""#, "a\"b"),
            (r"'it\'s'", "it's"),
            (r"'a\\b'", "a\\b"),
            (r"'\n\t\x41\u0042\u{43}'", "\n\tABC"),
            (r"'\uD83D\uDE00'", "\u{1F600}"),
            ("'line\\\ncontinued'", "linecontinued"),
            (r#"'// not a comment'"#, "// not a comment"),
            (r#""/* nor this */""#, "/* nor this */"),
            (r"'\d'", "d"),
            ("'é'", "é"),
        ];
        for (source, expected) in cases {
            assert_eq!(kinds(source), vec![string(expected)], "{source}");
        }
    }

    #[test]
    fn templates_nest_substitutions() {
        assert_eq!(
            kinds("`/docs`"),
            vec![TokenKind::Template("/docs".to_string())]
        );
        assert_eq!(
            kinds("`a${b}c`"),
            vec![
                TokenKind::TemplateHead("a".into()),
                ident("b"),
                TokenKind::TemplateTail("c".into())
            ]
        );
        // A `}` inside the substitution's object does not end it; a nested
        // template and a string holding `${` do not either.
        assert_eq!(
            kinds("`a${ {x: `n${1}`}.x + '}`' }b${c}d` e"),
            vec![
                TokenKind::TemplateHead("a".into()),
                TokenKind::Punct("{"),
                ident("x"),
                TokenKind::Punct(":"),
                TokenKind::TemplateHead("n".into()),
                TokenKind::Num(1.0),
                TokenKind::TemplateTail(String::new()),
                TokenKind::Punct("}"),
                TokenKind::Punct("."),
                ident("x"),
                TokenKind::Punct("+"),
                string("}`"),
                TokenKind::TemplateMiddle("b".into()),
                ident("c"),
                TokenKind::TemplateTail("d".into()),
                ident("e"),
            ]
        );
        assert_eq!(
            kinds("`basePath: '/x' // ${'}'}`"),
            vec![
                TokenKind::TemplateHead("basePath: '/x' // ".into()),
                string("}"),
                TokenKind::TemplateTail(String::new())
            ]
        );
    }

    #[test]
    fn slashes_are_regexes_or_division_by_what_comes_before() {
        let cases: &[(&str, Vec<TokenKind>)] = &[
            (
                "x = /\\/'[/]/g",
                vec![ident("x"), TokenKind::Punct("="), TokenKind::Regex],
            ),
            (
                "a / b / c",
                vec![
                    ident("a"),
                    TokenKind::Punct("/"),
                    ident("b"),
                    TokenKind::Punct("/"),
                    ident("c"),
                ],
            ),
            (
                "(a) / 2",
                vec![
                    TokenKind::Punct("("),
                    ident("a"),
                    TokenKind::Punct(")"),
                    TokenKind::Punct("/"),
                    TokenKind::Num(2.0),
                ],
            ),
            (
                "f(/'/, '/')",
                vec![
                    ident("f"),
                    TokenKind::Punct("("),
                    TokenKind::Regex,
                    TokenKind::Punct(","),
                    string("/"),
                    TokenKind::Punct(")"),
                ],
            ),
            ("return /x/", vec![ident("return"), TokenKind::Regex]),
            (
                "a.in / 2",
                vec![
                    ident("a"),
                    TokenKind::Punct("."),
                    ident("in"),
                    TokenKind::Punct("/"),
                    TokenKind::Num(2.0),
                ],
            ),
            (
                "[/\\.png$/i]",
                vec![
                    TokenKind::Punct("["),
                    TokenKind::Regex,
                    TokenKind::Punct("]"),
                ],
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(&kinds(source), expected, "{source}");
        }
    }

    #[test]
    fn a_slash_after_a_blocks_brace_is_a_regex_after_an_objects_a_division() {
        // A decoy in what is really a regex, then a comment.
        let source = "function f() {}\n/'/; // basePath: '/x'\nconst o = {} / 2";
        assert_eq!(
            kinds(source),
            vec![
                ident("function"),
                ident("f"),
                TokenKind::Punct("("),
                TokenKind::Punct(")"),
                TokenKind::Punct("{"),
                TokenKind::Punct("}"),
                TokenKind::Regex,
                TokenKind::Punct(";"),
                ident("const"),
                ident("o"),
                TokenKind::Punct("="),
                TokenKind::Punct("{"),
                TokenKind::Punct("}"),
                TokenKind::Punct("/"),
                TokenKind::Num(2.0),
            ]
        );
        for (source, regex) in [
            ("if (x) {}\n/a/.test(y)", true),
            ("{}\n/a/g", true),
            ("x = () => {}\n/a/", true),
            ("class A {}\n/a/", true),
            ("x = { a: 1 } / 2", false),
            ("f({} / 2)", false),
            ("return {} / 2", false),
            ("`${ {} / 2 }`", false),
        ] {
            assert_eq!(kinds(source).contains(&TokenKind::Regex), regex, "{source}");
        }
        let tokens = tokenize("a\nb /* \n */ c d").expect("tokenizes");
        let lines: Vec<bool> = tokens.iter().map(|t| t.newline_before).collect();
        assert_eq!(lines, [false, true, true, false]);
    }

    #[test]
    fn numbers_and_punctuators() {
        let cases: &[(&str, Vec<TokenKind>)] = &[
            ("1_000", vec![TokenKind::Num(1000.0)]),
            (
                "0x1F 0o17 0b11 .5 1e3 10n",
                vec![
                    TokenKind::Num(31.0),
                    TokenKind::Num(15.0),
                    TokenKind::Num(3.0),
                    TokenKind::Num(0.5),
                    TokenKind::Num(1000.0),
                    TokenKind::Num(10.0),
                ],
            ),
            (
                "a?.b ?? c",
                vec![
                    ident("a"),
                    TokenKind::Punct("?."),
                    ident("b"),
                    TokenKind::Punct("??"),
                    ident("c"),
                ],
            ),
            (
                "{...a}",
                vec![
                    TokenKind::Punct("{"),
                    TokenKind::Punct("..."),
                    ident("a"),
                    TokenKind::Punct("}"),
                ],
            ),
            (
                "x >>>= 1",
                vec![ident("x"), TokenKind::Punct(">>>="), TokenKind::Num(1.0)],
            ),
            ("$a _b é", vec![ident("$a"), ident("_b"), ident("é")]),
        ];
        for (source, expected) in cases {
            assert_eq!(&kinds(source), expected, "{source}");
        }
    }

    #[test]
    fn broken_sources_are_errors_with_the_offset() {
        let cases: &[(&str, usize)] = &[
            ("a = 'open", 4),
            ("a = \"line\nbreak\"", 4),
            ("a /* open", 2),
            ("`a${b", 5),
            ("x = /open", 4),
            ("'\\u{110000}'", 0),
            ("12abc", 0),
        ];
        for (source, offset) in cases {
            let error = tokenize(source).expect_err(source);
            assert_eq!(error.offset, *offset, "{source}: {error}");
        }
    }
}
