//! Everything that speaks the GitHub Actions runner's language: workflow
//! commands on the log (`::group::`, `::error::`, `::add-mask::`), the escaping
//! they need, and the `GITHUB_OUTPUT` file format. Outside Actions the same
//! calls produce plain terminal text. All of it writes to `impl Write`, so it is
//! tested without a runner.
//!
//! Every line of text goes through [`Log::text`], the one place that makes sure
//! untrusted text (file names, API error messages) cannot start a workflow
//! command: control characters become visible escapes, and a line that could
//! be read as a command is printed between `::stop-commands::` and its token.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

pub use crate::untrusted::one_line;

use crate::random;
use crate::secret::Secret;

/// Escapes the data part of a workflow command (after the second `::`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`title=...`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Whether the runner could take this (single) line for a workflow command:
/// the current syntax starts with `::` after leading blanks, the legacy one is
/// `##[` anywhere in the line. Deliberately broader than the runner itself.
fn could_be_command(line: &str) -> bool {
    line.contains("::") || line.contains("##[")
}

/// Where the log goes and how it is dressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStyle {
    /// Inside a GitHub Actions job: workflow commands.
    Actions,
    /// A developer's terminal: plain text, debug lines only when asked for.
    Terminal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// The job log. Write errors are ignored on purpose: when the log itself is
/// gone there is nowhere left to report them, and the run's real results go to
/// files that are checked.
pub struct Log<W: Write> {
    out: W,
    style: LogStyle,
    debug: bool,
    /// Inside a group on a terminal: detail, shown only with `--verbose`.
    in_group: bool,
    /// Values replaced by `***` in everything written, should an API echo one.
    secrets: Vec<String>,
}

impl<W: Write> Log<W> {
    pub fn new(out: W, style: LogStyle, debug: bool) -> Self {
        Self {
            out,
            style,
            debug,
            in_group: false,
            secrets: Vec::new(),
        }
    }

    pub fn style(&self) -> LogStyle {
        self.style
    }

    /// Asks the runner to hide `secret` (each of its lines) from the log. Must
    /// come before anything else is printed. Outside Actions it prints nothing:
    /// there the command would only show the secret on the terminal.
    pub fn mask(&mut self, secret: &Secret) {
        remember(&mut self.secrets, secret);
        if self.style != LogStyle::Actions {
            return;
        }
        for line in secret.expose().lines() {
            let line = line.trim();
            if !line.is_empty() {
                let _ = writeln!(self.out, "::add-mask::{}", escape_data(line));
            }
        }
    }

    /// One line of text; `text` may hold untrusted parts. A newline inside it
    /// is shown as `\n`, never printed: one call, one line. On a terminal,
    /// lines inside a group are detail and need `--verbose`.
    pub fn text(&mut self, text: &str) {
        if self.style == LogStyle::Terminal && self.in_group && !self.debug {
            return;
        }
        self.line(&one_line(text));
    }

    /// The one place that writes a line: secrets are redacted here.
    fn emit(&mut self, line: &str) {
        let line = redact(line, &self.secrets);
        let _ = writeln!(self.out, "{line}");
    }

    fn line(&mut self, line: &str) {
        if self.style == LogStyle::Actions && could_be_command(line) {
            let token = random::token();
            self.emit(&format!("::stop-commands::{token}"));
            self.emit(line);
            self.emit(&format!("::{token}::"));
        } else {
            self.emit(line);
        }
    }

    pub fn group(&mut self, title: &str) {
        match self.style {
            LogStyle::Actions => {
                self.emit(&format!("::group::{}", escape_data(&one_line(title))));
            }
            LogStyle::Terminal if self.debug => self.line(&format!("== {}", one_line(title))),
            LogStyle::Terminal => {}
        }
        self.in_group = true;
    }

    pub fn end_group(&mut self) {
        if self.style == LogStyle::Actions {
            self.emit("::endgroup::");
        }
        self.in_group = false;
    }

    /// An annotation in Actions (shown on the run's page), a prefixed line on a
    /// terminal.
    pub fn annotate(&mut self, level: Level, title: Option<&str>, message: &str) {
        match self.style {
            LogStyle::Actions => {
                let props = title
                    .map(|t| format!(" title={}", escape_property(&one_line(t))))
                    .unwrap_or_default();
                self.emit(&format!(
                    "::{}{props}::{}",
                    level.command(),
                    escape_data(message)
                ));
            }
            LogStyle::Terminal => {
                let mut lines = message.split('\n');
                let first = lines.next().unwrap_or_default();
                self.line(&format!("{}: {}", level.command(), one_line(first)));
                for rest in lines {
                    self.line(&format!("  {}", one_line(rest)));
                }
            }
        }
    }

    pub fn error(&mut self, message: &str) {
        self.annotate(Level::Error, None, message);
    }

    pub fn warning(&mut self, message: &str) {
        self.annotate(Level::Warning, None, message);
    }

    /// Detail for when something needs explaining. In Actions the runner shows
    /// `::debug::` lines only with step debug logging on; on a terminal they
    /// need `--verbose`.
    pub fn debug(&mut self, message: &str) {
        match self.style {
            LogStyle::Actions => {
                self.emit(&format!("::debug::{}", escape_data(message)));
            }
            LogStyle::Terminal if self.debug => self.line(&format!("debug: {}", one_line(message))),
            LogStyle::Terminal => {}
        }
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }
}

fn remember(secrets: &mut Vec<String>, secret: &Secret) {
    for part in std::iter::once(secret.expose()).chain(secret.expose().lines()) {
        let part = part.trim();
        if part.len() >= 4 && !secrets.iter().any(|s| s == part) {
            secrets.push(part.to_string());
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// The secrets found in `text` replaced by `***`. Applied to everything the
/// action writes, in case an API echoes a token back in an error message.
pub fn redact<'a>(text: &'a str, secrets: &[String]) -> Cow<'a, str> {
    let mut text = Cow::Borrowed(text);
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), "***"));
        }
    }
    text
}

/// The list [`redact`] takes, built from the run's secrets.
pub fn secret_list<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Vec<String> {
    let mut list = Vec::new();
    for secret in secrets {
        remember(&mut list, secret);
    }
    list
}

/// Writes step outputs in the `GITHUB_OUTPUT` file format. Every value uses the
/// `name<<DELIMITER` form with a fresh random delimiter that the value does not
/// contain, so no value can end its own block and forge another output.
pub fn write_outputs(out: &mut impl Write, outputs: &[(&str, String)]) -> io::Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        let delimiter = loop {
            let candidate = format!("ghadelimiter_{}", random::token());
            if !value.contains(&candidate) && !name.contains(&candidate) {
                break candidate;
            }
        };
        let _ = write!(text, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
    }
    out.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions_log() -> Log<Vec<u8>> {
        Log::new(Vec::new(), LogStyle::Actions, false)
    }

    fn printed(log: Log<Vec<u8>>) -> String {
        String::from_utf8(log.into_inner()).expect("utf-8")
    }

    #[test]
    fn data_and_properties_are_escaped_like_the_runner_unescapes() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn harmless_lines_are_printed_as_they_are() {
        let mut log = actions_log();
        log.text("Invalidated 3 images");
        assert_eq!(printed(log), "Invalidated 3 images\n");
    }

    #[test]
    fn annotations_escape_their_message_and_title() {
        let mut log = actions_log();
        log.annotate(
            Level::Error,
            Some("Vercel: 401"),
            "bad token\nsee docs 100%",
        );
        log.warning("w");
        assert_eq!(
            printed(log),
            "::error title=Vercel%3A 401::bad token%0Asee docs 100%25\n::warning::w\n"
        );
    }

    #[test]
    fn mask_is_printed_only_inside_actions() {
        let secret = Secret::new("abc\ndef ");
        let mut log = actions_log();
        log.mask(&secret);
        assert_eq!(printed(log), "::add-mask::abc\n::add-mask::def\n");

        let mut terminal = Log::new(Vec::new(), LogStyle::Terminal, true);
        terminal.mask(&secret);
        assert!(terminal.into_inner().is_empty());
    }

    #[test]
    fn secrets_echoed_back_are_redacted_everywhere() {
        let secret = Secret::new("tok_abcdef");
        let mut log = actions_log();
        log.mask(&secret);
        log.text("Vercel said: bad token tok_abcdef");
        log.error("Bearer tok_abcdef refused");
        let out = printed(log);
        assert_eq!(
            out,
            "::add-mask::tok_abcdef\nVercel said: bad token ***\n::error::Bearer *** refused\n"
        );
        let list = secret_list([&secret]);
        assert_eq!(redact("x tok_abcdef y", &list), "x *** y");
    }

    #[test]
    fn terminal_style_is_plain_and_detail_needs_verbose() {
        let mut quiet = Log::new(Vec::new(), LogStyle::Terminal, false);
        quiet.group("Changes");
        quiet.text("modified a.png");
        quiet.debug("hidden");
        quiet.error("it broke\nbecause");
        quiet.end_group();
        quiet.text("done");
        assert_eq!(
            String::from_utf8(quiet.into_inner()).expect("utf-8"),
            "error: it broke\n  because\ndone\n"
        );
        let mut verbose = Log::new(Vec::new(), LogStyle::Terminal, true);
        verbose.group("Changes");
        verbose.text("modified a.png");
        verbose.debug("shown");
        assert_eq!(
            String::from_utf8(verbose.into_inner()).expect("utf-8"),
            "== Changes\nmodified a.png\ndebug: shown\n"
        );
    }
}
