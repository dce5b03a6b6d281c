//! The command line, built from the table of inputs: one `--flag` per input
//! (plus `--verbose`), and `--help` from the same descriptions and defaults.
//!
//! Every value is kept as the raw text the user gave; [`crate::config`]
//! reads it together with the `INPUT_*` variables, the same way for both.
//! The environment is deliberately not wired through clap: clap would print
//! environment values (the tokens among them) in `--help`, and reading the
//! process environment here would keep the parsing from being tested with a
//! plain map.

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::inputs::{Flags, INPUTS, Input, Kind, Place};

const ABOUT: &str = "Invalidate Vercel's Image Optimization cache for the images a push changed.";

const LONG_ABOUT: &str = "Invalidate Vercel's Image Optimization cache for the images a push changed.\n\n\
    Runs as a GitHub Action (inputs from INPUT_* variables) or in a local clone:\n  \
    vercel-image-invalidate --dry-run --base HEAD~1\n\n\
    Every flag below that names an action input is also read from INPUT_<NAME>; a flag wins. \
    Lists (--include, --exclude, --public-dir, --images) take one item a line and the flag may \
    be repeated. The tokens may also come from the VERCEL_TOKEN and GITHUB_TOKEN variables (a \
    flag or input wins), which keeps them off the command line.";

/// The exit codes and what each means: the one table that `--help`, the
/// README and `action.yml` show (the docs test keeps them equal).
pub const EXIT_CODES: &[(u8, &str)] = &[
    (
        0,
        "done, or nothing to do (no matching change, branch deletion, tag push)",
    ),
    (
        1,
        "some images could not be invalidated (only with `fail-on-error: true`); Vercel refused the configuration itself (invalid, expired or revoked token, no permission, no such project, plan without the feature: whatever `fail-on-error` says); the awaited deployment failed or timed out with nothing newer live; the changes could not be read (GitHub's API or a full clone's `git fetch` failed for a network, server or rate-limit fault: whatever `fail-on-error` says); an image could not be verified (only with `fail-on-unverified: true`)",
    ),
    (
        2,
        "bad input or configuration: nothing was sent (placeholders such as `team_xxxxxxxxxxxx`, a slug in `team-id`, a `public-dir` that does not exist at `head`, a value `auto` cannot read, deployments only in another environment; a checkout configured as a shallow clone that lacks the commits to compare, fixed by `fetch-depth: 0` or `diff-source: api`)",
    ),
];

/// `--help`'s long description: the text above and the exit codes.
fn long_about() -> String {
    let mut text = format!("{LONG_ABOUT}\n\nExit codes:");
    for (code, meaning) in EXIT_CODES {
        text.push_str(&format!("\n  {code}  {meaning}"));
    }
    text
}

/// The command line: the inputs given as flags, and how much to print.
#[derive(Debug, Default)]
pub struct Args {
    pub flags: Flags,
    /// Print debug detail.
    pub verbose: bool,
    /// The whole result as JSON on stdout; everything else on stderr.
    pub json: bool,
    /// Print errors only.
    pub quiet: bool,
}

/// The variable a release build sets to the commit it is built from; read
/// at compile time, so the binary can say which commit it is.
pub const COMMIT_VARIABLE: &str = "VERCEL_IMAGE_INVALIDATE_COMMIT";

/// `--version`'s text: the crate version and the commit `commit` names
/// when it is a commit id (7 to 40 hex digits), else that it is not known.
pub fn version_text(commit: Option<&str>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    match commit.map(str::trim) {
        Some(commit)
            if (7..=40).contains(&commit.len())
                && commit.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            format!("{version} (commit {})", commit.to_ascii_lowercase())
        }
        _ => format!("{version} (commit unknown: built without {COMMIT_VARIABLE})"),
    }
}

/// [`version_text`] of the commit this binary was built from.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| version_text(option_env!("VERCEL_IMAGE_INVALIDATE_COMMIT")))
}

/// `--help`'s line for an input: its description and what applies when it
/// is not given.
fn help(input: &Input) -> String {
    let mut defaults = Vec::new();
    if let Some(variable) = input.fallback {
        defaults.push(format!("${variable}"));
    }
    if !input.default.is_empty() {
        defaults.push(input.default.to_string());
    }
    if defaults.is_empty() {
        input.description.to_string()
    } else {
        format!("{} [default: {}]", input.description, defaults.join(" or "))
    }
}

fn arg(input: &Input) -> Arg {
    let arg = Arg::new(input.name)
        .long(input.name)
        .value_name(input.value_name)
        .help(help(input));
    let arg = match input.kind {
        Kind::Lines => arg.action(ArgAction::Append),
        Kind::Bool => arg
            .action(ArgAction::Set)
            .num_args(0..=1)
            .default_missing_value("true"),
        _ => arg.action(ArgAction::Set),
    };
    match input.place {
        Place::Action => arg,
        Place::Advanced => arg.help_heading("Advanced"),
    }
}

impl clap::CommandFactory for Args {
    fn command() -> Command {
        Command::new("vercel-image-invalidate")
            .version(version())
            .about(ABOUT)
            .long_about(long_about())
            .after_help("Documentation: README.md in the project repository.")
            .args_override_self(true)
            .args(INPUTS.iter().map(arg))
            .arg(
                Arg::new("verbose")
                    .long("verbose")
                    .short('v')
                    .action(ArgAction::SetTrue)
                    .help("Print debug detail (in Actions: enable step debug logging instead).")
                    .help_heading("Advanced"),
            )
            .arg(
                Arg::new("json")
                    .long("json")
                    .action(ArgAction::SetTrue)
                    .help("Print the whole result (what the report file holds) as JSON on stdout; the log and the report go to stderr."),
            )
            .arg(
                Arg::new("quiet")
                    .long("quiet")
                    .short('q')
                    .action(ArgAction::SetTrue)
                    .conflicts_with("verbose")
                    .help("Print errors only (and, with --json, the result)."),
            )
    }

    fn command_for_update() -> Command {
        Self::command()
    }
}

impl clap::FromArgMatches for Args {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = Self::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for input in INPUTS {
            if let Some(values) = matches.get_many::<String>(input.name) {
                self.flags.set(input.name, values.cloned().collect());
            }
        }
        self.verbose |= matches.get_flag("verbose");
        self.json |= matches.get_flag("json");
        self.quiet |= matches.get_flag("quiet");
        Ok(())
    }
}

impl clap::Parser for Args {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::INPUT_NAMES;
    use clap::{CommandFactory, Parser};

    #[test]
    fn every_input_is_a_flag() {
        let command = Args::command();
        for name in INPUT_NAMES {
            assert!(
                command
                    .get_arguments()
                    .any(|arg| arg.get_long() == Some(name)),
                "no --{name} flag"
            );
        }
        command.debug_assert();
    }

    #[test]
    fn boolean_flags_work_bare_and_with_a_value() {
        let args = Args::try_parse_from([
            "x",
            "--dry-run",
            "--base",
            "HEAD~1",
            "--fail-on-error",
            "false",
        ])
        .expect("parses");
        assert_eq!(
            args.flags.values("dry-run"),
            Some(&["true".to_string()][..])
        );
        assert_eq!(
            args.flags.values("fail-on-error"),
            Some(&["false".to_string()][..])
        );
        assert_eq!(args.flags.values("base"), Some(&["HEAD~1".to_string()][..]));
        assert_eq!(args.flags.values("head"), None);
    }

    #[test]
    fn a_repeated_flag_takes_the_last_value() {
        let args = Args::try_parse_from(["x", "--concurrency", "2", "--concurrency", "8"])
            .expect("parses");
        assert_eq!(
            args.flags.values("concurrency"),
            Some(&["8".to_string()][..])
        );
    }

    #[test]
    fn list_flags_repeat() {
        let args = Args::try_parse_from(["x", "--include", "*.png", "--include", "*.jpg"])
            .expect("parses");
        assert_eq!(
            args.flags.values("include"),
            Some(&["*.png".to_string(), "*.jpg".to_string()][..])
        );
    }

    #[test]
    fn debug_output_hides_tokens() {
        let args = Args::try_parse_from(["x", "--vercel-token", "tok_secret_value", "-v"])
            .expect("parses");
        let shown = format!("{args:?}");
        assert!(!shown.contains("tok_secret_value"), "{shown}");
        assert!(shown.contains("vercel-token"), "{shown}");
        assert!(args.verbose);
    }

    #[test]
    fn version_names_the_commit_when_the_build_recorded_one() {
        let version = env!("CARGO_PKG_VERSION");
        let sha = "4ADFEBA0123456789abcdef0123456789abcdef0";
        assert_eq!(
            version_text(Some(sha)),
            format!("{version} (commit {})", sha.to_ascii_lowercase())
        );
        assert_eq!(
            version_text(Some("4adfeba\n")),
            format!("{version} (commit 4adfeba)")
        );
        let unknown = format!("{version} (commit unknown: built without {COMMIT_VARIABLE})");
        for not_a_commit in [
            None,
            Some(""),
            Some("main"),
            Some("4adfeb"),
            Some(&"a".repeat(41)),
        ] {
            assert_eq!(version_text(not_a_commit), unknown, "{not_a_commit:?}");
        }
        let printed = Args::command().render_version();
        assert!(
            printed.starts_with(&format!("vercel-image-invalidate {version} (commit ")),
            "{printed}"
        );
    }

    #[test]
    fn json_and_quiet_are_flags_and_quiet_refuses_verbose() {
        let args = Args::try_parse_from(["x", "--json", "--quiet"]).expect("parses");
        assert!(args.json && args.quiet && !args.verbose);
        let args = Args::try_parse_from(["x", "-q"]).expect("parses");
        assert!(args.quiet && !args.json);
        let error = Args::try_parse_from(["x", "--quiet", "--verbose"]).expect_err("conflict");
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn help_shows_each_default_and_fallback() {
        let help = Args::command().render_long_help().to_string();
        assert!(help.contains("[default: 4]"), "{help}");
        assert!(help.contains("[default: $VERCEL_TOKEN]"), "{help}");
        assert!(
            help.contains("[default: $GITHUB_API_URL or https://api.github.com]"),
            "{help}"
        );
        assert!(help.contains("Exit codes:\n  0  done"), "{help}");
    }
}
