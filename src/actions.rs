//! Everything that speaks the GitHub Actions runner's language: workflow
//! commands on the log (`::group::`, `::error::`, `::add-mask::`), the escaping
//! they need, the `GITHUB_OUTPUT` file format and its size limit, and where a
//! file for later steps of the job goes. Outside Actions the same
//! calls produce plain terminal text. All of it writes to `impl Write`, so it is
//! tested without a runner.
//!
//! Every line of text goes through [`Log::text`], the one place that makes sure
//! untrusted text (file names, API error messages) cannot start a workflow
//! command: control characters become visible escapes, and a line that could
//! be read as a command is printed between `::stop-commands::` and its token.
//!
//! Annotations follow the runner's own limits (actions/runner,
//! `ExecutionContext`): it cuts a message at 4,096 characters (UTF-16) and
//! keeps 10 errors and 10 warnings a step. So a long message is cut here, at a
//! line boundary, saying where the rest is, and from the tenth annotation of
//! a level on they are held and folded into one at the end.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use crate::untrusted::one_line;

use crate::random;
use crate::secret::Secret;
use crate::secret::remember;
pub use crate::secret::{redact, secret_list};

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
    fn index(self) -> usize {
        match self {
            Level::Error => 0,
            Level::Warning => 1,
            Level::Notice => 2,
        }
    }

    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// The longest annotation message the runner keeps, in UTF-16 code units.
pub const MAX_ANNOTATION_CHARS: usize = 4096;

/// The annotations of one level the runner shows for a step.
pub const MAX_ANNOTATIONS: usize = 10;

/// Ends a message that was cut to fit.
const CUT: &str = "... (see the job summary)";

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `message` within [`MAX_ANNOTATION_CHARS`]: whole lines while they fit,
/// then [`CUT`] on a line of its own (or, when even the first line is too
/// long, at the end of as much of it as fits).
pub fn fit_annotation(message: &str) -> Cow<'_, str> {
    if utf16_len(message) <= MAX_ANNOTATION_CHARS {
        return Cow::Borrowed(message);
    }
    let room = MAX_ANNOTATION_CHARS - utf16_len(CUT) - 1;
    let mut kept = String::new();
    let mut used = 0;
    for line in message.split('\n') {
        let needed = utf16_len(line) + usize::from(!kept.is_empty());
        if used + needed > room {
            break;
        }
        if !kept.is_empty() {
            kept.push('\n');
        }
        kept.push_str(line);
        used += needed;
    }
    if kept.is_empty() {
        for c in message.chars() {
            if used + c.len_utf16() > room {
                break;
            }
            kept.push(c);
            used += c.len_utf16();
        }
        return Cow::Owned(format!("{kept}{CUT}"));
    }
    Cow::Owned(format!("{kept}\n{CUT}"))
}

/// An annotation held back because the runner would drop it.
struct Held {
    title: Option<String>,
    message: String,
}

/// One line of a stage's progress: shown, or shown only with debug
/// logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// Shown in the log.
    Text(String),
    /// Shown only with debug logging.
    Debug(String),
    /// A line about a wait (a retry, a deployment still building): shown
    /// on a terminal without `--verbose` too ([`Log::progress`]).
    Progress(String),
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
    /// `--quiet`: errors only (and the masking, which shows nothing).
    quiet: bool,
    /// Values replaced by `***` in everything written, should an API echo one.
    secrets: Vec<String>,
    /// Annotations written so far, errors then warnings then notices.
    annotations: [usize; 3],
    /// Those past the runner's count, by level, to fold into one at the end.
    held: [Vec<Held>; 3],
    /// The warnings printed so far, so that the closing report need not
    /// repeat them on a terminal.
    warned: Vec<String>,
}

impl<W: Write> Log<W> {
    pub fn new(out: W, style: LogStyle, debug: bool) -> Self {
        Self {
            out,
            style,
            debug,
            in_group: false,
            quiet: false,
            secrets: Vec::new(),
            annotations: [0; 3],
            held: [Vec::new(), Vec::new(), Vec::new()],
            warned: Vec::new(),
        }
    }

    /// This log printing errors only (`--quiet`): no text, groups,
    /// warnings, notices or debug lines. Masking still happens.
    pub fn errors_only(self, quiet: bool) -> Self {
        Self { quiet, ..self }
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

    /// A line of a stage's progress, at its level: [`Line::Text`] as
    /// [`Log::text`], [`Line::Debug`] as [`Log::debug`].
    pub fn say(&mut self, line: &Line) {
        match line {
            Line::Text(text) => self.text(text),
            Line::Debug(text) => self.debug(text),
            Line::Progress(text) => self.progress(text),
        }
    }

    /// One line of text; `text` may hold untrusted parts. A newline inside it
    /// is shown as `\n`, never printed: one call, one line. On a terminal,
    /// lines inside a group are detail and need `--verbose`.
    pub fn text(&mut self, text: &str) {
        if self.quiet || (self.style == LogStyle::Terminal && self.in_group && !self.debug) {
            return;
        }
        let text = redact(text, &self.secrets);
        self.line(&one_line(&text));
    }

    /// A line about something that takes a while (a retry waiting, a
    /// deployment still building): like [`Log::text`], but shown on a
    /// terminal without `--verbose` too, so a wait is never silent.
    pub fn progress(&mut self, text: &str) {
        if self.quiet {
            return;
        }
        if self.style == LogStyle::Terminal {
            let text = redact(text, &self.secrets);
            self.line(&one_line(&text));
        } else {
            self.text(text);
        }
    }

    /// The warnings printed so far, as given.
    pub fn warned(&self) -> &[String] {
        &self.warned
    }

    /// The one place that writes a line: secrets are redacted here.
    fn emit(&mut self, line: &str) {
        let line = redact(line, &self.secrets);
        let _ = writeln!(self.out, "{line}");
    }

    fn line(&mut self, line: &str) {
        if self.style != LogStyle::Actions || !could_be_command(line) {
            self.emit(line);
            return;
        }
        match random::token() {
            Ok(token) => {
                self.emit(&format!("::stop-commands::{token}"));
                self.emit(line);
                self.emit(&format!("::{token}::"));
            }
            // No token to stop commands with: break up what could start one.
            Err(_) => self.emit(&line.replace("::", ": :").replace("##[", "## [")),
        }
    }

    pub fn group(&mut self, title: &str) {
        let title = &*redact(title, &self.secrets);
        match self.style {
            _ if self.quiet => {}
            LogStyle::Actions => {
                self.emit(&format!("::group::{}", escape_data(&one_line(title))));
            }
            LogStyle::Terminal if self.debug => self.line(&format!("== {}", one_line(title))),
            LogStyle::Terminal => {}
        }
        self.in_group = true;
    }

    pub fn end_group(&mut self) {
        if self.style == LogStyle::Actions && !self.quiet {
            self.emit("::endgroup::");
        }
        self.in_group = false;
    }

    /// An annotation in Actions (shown on the run's page), a prefixed line on a
    /// terminal. In Actions the tenth of a level and those after it wait for
    /// [`Log::flush`], which folds them into one.
    pub fn annotate(&mut self, level: Level, title: Option<&str>, message: &str) {
        if self.quiet && level != Level::Error {
            return;
        }
        // Before anything shortens or escapes it: a cut or an escape would
        // leave a part of a secret that no longer matches.
        let message = &*redact(message, &self.secrets);
        let title = title.map(|t| redact(t, &self.secrets));
        let title = title.as_deref();
        if level == Level::Warning {
            self.warned.push(message.to_string());
        }
        match self.style {
            LogStyle::Actions => {
                let index = level.index();
                self.annotations[index] += 1;
                if self.annotations[index] >= MAX_ANNOTATIONS {
                    // In the log at once, as plain text; on the page at the end.
                    let shown = match title {
                        Some(title) => format!("{}: {title}: {message}", level.command()),
                        None => format!("{}: {message}", level.command()),
                    };
                    self.text(&shown);
                    self.held[index].push(Held {
                        title: title.map(str::to_string),
                        message: message.to_string(),
                    });
                    return;
                }
                self.write_annotation(level, title, message);
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

    fn write_annotation(&mut self, level: Level, title: Option<&str>, message: &str) {
        let props = title
            .map(|t| format!(" title={}", escape_property(&one_line(t))))
            .unwrap_or_default();
        self.emit(&format!(
            "::{}{props}::{}",
            level.command(),
            escape_data(&fit_annotation(message))
        ));
    }

    /// The held annotations of each level: one as it is, several as one.
    fn fold_held(&mut self) {
        for level in [Level::Error, Level::Warning, Level::Notice] {
            let held = std::mem::take(&mut self.held[level.index()]);
            match held.as_slice() {
                [] => {}
                [one] => self.write_annotation(level, one.title.as_deref(), &one.message),
                many => {
                    let mut message = format!(
                        "{} more {}s (GitHub shows {} a step; the log above has each in full):",
                        many.len(),
                        level.command(),
                        MAX_ANNOTATIONS
                    );
                    for held in many {
                        message.push('\n');
                        if let Some(title) = &held.title {
                            message.push_str(&format!("{title}: "));
                        }
                        message.push_str(&held.message.replace('\n', " "));
                    }
                    self.write_annotation(level, Some("More annotations"), &message);
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
        let message = &*redact(message, &self.secrets);
        match self.style {
            _ if self.quiet => {}
            LogStyle::Actions => {
                self.emit(&format!("::debug::{}", escape_data(message)));
            }
            LogStyle::Terminal if self.debug => self.line(&format!("debug: {}", one_line(message))),
            LogStyle::Terminal => {}
        }
    }

    /// Writes the held annotations (see [`Log::annotate`]) and flushes.
    pub fn flush(&mut self) {
        self.fold_held();
        let _ = self.out.flush();
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// The most a job's outputs may hold, in UTF-16 code units. GitHub documents
/// 1 MB a job, its size "approximated based on UTF-16 encoding": two bytes a
/// code unit, so 500,000 of them, names and values together.
pub const MAX_OUTPUTS_CHARS: usize = 500_000;

/// Where a container action's `HOME` is: the runner mounts the host's
/// `$RUNNER_TEMP/_github_home` there (actions/runner, `ContainerActionHandler`).
const CONTAINER_HOME: &str = "/github/home";

/// A file for the later steps of the job: where this process writes it, and
/// the path under which a later step on the runner's host opens it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFile {
    pub write: PathBuf,
    pub shown: String,
}

/// Where to put the file `name` so that later steps can read it, from `HOME`
/// and `RUNNER_TEMP` as this process sees them. In a container action only
/// a few of the runner's folders are mounted, under other paths than the
/// host's, and `RUNNER_TEMP` keeps its host value (only mounted folders are
/// translated): the file goes into the mounted home, `$RUNNER_TEMP/_github_home`
/// on the host. Run directly on the runner, it goes into `RUNNER_TEMP`.
/// Without `RUNNER_TEMP` there is no such place.
pub fn step_file(home: Option<&Path>, runner_temp: Option<&Path>, name: &str) -> Option<StepFile> {
    let runner_temp = runner_temp?;
    if home == Some(Path::new(CONTAINER_HOME)) {
        return Some(StepFile {
            write: Path::new(CONTAINER_HOME).join(name),
            shown: runner_temp
                .join("_github_home")
                .join(name)
                .display()
                .to_string(),
        });
    }
    let path = runner_temp.join(name);
    Some(StepFile {
        shown: path.display().to_string(),
        write: path,
    })
}

/// Writes step outputs in the `GITHUB_OUTPUT` file format. Every value uses the
/// `name<<DELIMITER` form with a fresh random delimiter that the value does not
/// contain, so no value can end its own block and forge another output.
pub fn write_outputs(out: &mut impl Write, outputs: &[(&str, String)]) -> io::Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        let delimiter = loop {
            let candidate = format!("ghadelimiter_{}", random::token()?);
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
    fn a_secret_across_an_annotations_cut_is_taken_out_whole() {
        let secret = Secret::new("Zq7Kp2Wm9Xv4Lr8T");
        let room = MAX_ANNOTATION_CHARS - CUT.len() - 1;
        for start in room - 20..=room + 2 {
            for style in [LogStyle::Actions, LogStyle::Terminal] {
                let mut log = Log::new(Vec::new(), style, true);
                log.mask(&secret);
                let message = format!("{}{} tail", ".".repeat(start), secret.expose());
                log.warning(&message);
                log.text(&message);
                log.debug(&message);
                log.group(&message);
                let out = printed(log);
                let shown: Vec<&str> = out
                    .lines()
                    .filter(|l| !l.starts_with("::add-mask::"))
                    .collect();
                assert!(!shown.is_empty());
                for line in shown {
                    assert!(!line.contains("Zq"), "at {start}: {line}");
                }
            }
        }
    }

    #[test]
    fn long_annotations_are_cut_at_a_line_within_the_runner_limit() {
        let line = "é".repeat(1000);
        let message = [line.as_str(); 6].join("\n");
        let cut = fit_annotation(&message);
        assert!(cut.encode_utf16().count() <= MAX_ANNOTATION_CHARS);
        assert_eq!(
            cut,
            format!(
                "{}\n... (see the job summary)",
                [line.as_str(); 4].join("\n")
            )
        );
        // One line too long on its own: cut inside it; UTF-16 counted.
        let wide = "𝄞".repeat(3000);
        let cut = fit_annotation(&wide);
        assert!(cut.ends_with("𝄞... (see the job summary)"), "{cut}");
        assert!(cut.encode_utf16().count() <= MAX_ANNOTATION_CHARS);
        assert!(cut.encode_utf16().count() > MAX_ANNOTATION_CHARS - 30);
        assert_eq!(fit_annotation("short"), "short");

        let mut log = actions_log();
        log.warning(&message);
        let out = printed(log);
        assert!(out.starts_with("::warning::"), "{out}");
        assert!(
            out.trim_end().ends_with("... (see the job summary)"),
            "{out}"
        );
    }

    #[test]
    fn warnings_past_the_ninth_are_folded_into_one() {
        let mut log = actions_log();
        log.error("e1");
        for n in 1..=14 {
            log.warning(&format!("w{n}"));
        }
        log.flush();
        let out = printed(log);
        let warnings: Vec<&str> = out.lines().filter(|l| l.starts_with("::warning")).collect();
        assert_eq!(warnings.len(), 10, "{out}");
        assert_eq!(warnings[8], "::warning::w9");
        assert!(
            warnings[9].starts_with("::warning title=More annotations::5 more warnings"),
            "{out}"
        );
        for n in 10..=14 {
            assert!(warnings[9].contains(&format!("%0Aw{n}")), "{out}");
            assert!(out.contains(&format!("\nwarning: w{n}\n")), "{out}");
        }
        assert_eq!(out.lines().filter(|l| l.starts_with("::error")).count(), 1);

        // The tenth alone stays as it was.
        let mut log = actions_log();
        for n in 1..=10 {
            log.warning(&format!("w{n}"));
        }
        log.flush();
        let out = printed(log);
        assert!(out.lines().any(|l| l == "::warning::w10"), "{out}");
    }

    #[test]
    fn a_step_file_is_named_by_its_host_path() {
        let temp = Path::new("/home/runner/work/_temp");
        assert_eq!(
            step_file(Some(Path::new("/github/home")), Some(temp), "r.json"),
            Some(StepFile {
                write: PathBuf::from("/github/home/r.json"),
                shown: "/home/runner/work/_temp/_github_home/r.json".to_string(),
            })
        );
        assert_eq!(
            step_file(Some(Path::new("/home/runner")), Some(temp), "r.json"),
            Some(StepFile {
                write: PathBuf::from("/home/runner/work/_temp/r.json"),
                shown: "/home/runner/work/_temp/r.json".to_string(),
            })
        );
        assert_eq!(
            step_file(Some(Path::new("/github/home")), None, "r.json"),
            None
        );
    }

    #[test]
    fn an_errors_only_log_prints_the_masks_and_the_errors_alone() {
        for style in [LogStyle::Actions, LogStyle::Terminal] {
            let mut log = Log::new(Vec::new(), style, true).errors_only(true);
            log.mask(&Secret::new("tok_abcdef"));
            log.group("Changes");
            log.text("modified a.png");
            log.progress("still building");
            log.debug("detail");
            log.warning("a warning");
            log.annotate(Level::Notice, None, "a notice");
            log.end_group();
            log.error("it broke: tok_abcdef");
            log.flush();
            let out = String::from_utf8(log.into_inner()).expect("utf-8");
            let expected = match style {
                LogStyle::Actions => "::add-mask::tok_abcdef\n::error::it broke: ***\n",
                LogStyle::Terminal => "error: it broke: ***\n",
            };
            assert_eq!(out, expected, "{style:?}");
        }
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
