//! Command-line flags, one per action input plus a few tuning knobs.
//!
//! Every value is kept as the raw text the user gave; [`crate::config`]
//! merges it with the `INPUT_*` variables and validates both the same way.
//! The environment is deliberately not wired through clap's `env = ...`:
//! clap would print environment values (the tokens among them) in `--help`,
//! and reading the process environment here would keep the parsing from being
//! tested with a plain map.

use clap::Parser;

use crate::secret::Secret;

/// The action's inputs, by their names in `action.yml`. Each is also a flag of
/// the same name and is read from `INPUT_<NAME>` (upper-cased, hyphens kept).
pub const INPUT_NAMES: [&str; 23] = [
    "vercel-token",
    "project",
    "team-id",
    "team-slug",
    "include",
    "exclude",
    "public-dir",
    "url-prefix",
    "change-types",
    "mode",
    "revalidation-deadline-seconds",
    "images",
    "diff-source",
    "base",
    "head",
    "github-token",
    "wait-for-deployment",
    "deployment-environment",
    "deployment-timeout",
    "concurrency",
    "fail-on-error",
    "dry-run",
    "vercel-api-url",
];

fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

#[derive(Parser, Debug, Default)]
#[command(
    name = "vercel-image-invalidate",
    version,
    about = "Invalidate Vercel's Image Optimization cache for the images a push changed.",
    long_about = "Invalidate Vercel's Image Optimization cache for the images a push changed.\n\n\
        Runs as a GitHub Action (inputs from INPUT_* variables) or in a local clone:\n  \
        vercel-image-invalidate --dry-run --base HEAD~1\n\n\
        Every flag below that names an action input is also read from INPUT_<NAME>; a flag wins. \
        Lists (--include, --exclude, --public-dir, --images) take one item a line and the flag may \
        be repeated. The tokens may also come from the VERCEL_TOKEN and GITHUB_TOKEN variables (a \
        flag or input wins), which keeps them off the command line.\n\n\
        Exit codes: 0 done or nothing to do; 1 some images could not be invalidated (only with \
        --fail-on-error true), the awaited deployment failed or timed out, or the changes could \
        not be read; 2 bad input or configuration, nothing was sent.",
    after_help = "Documentation: README.md in the project repository.",
    args_override_self = true
)]
pub struct Args {
    /// Vercel access token (never printed). Required unless --dry-run.
    #[arg(long, value_name = "TOKEN", value_parser = secret)]
    pub vercel_token: Option<Secret>,

    /// Vercel project id or name. Required unless --dry-run.
    #[arg(long, value_name = "ID_OR_NAME")]
    pub project: Option<String>,

    /// Vercel team id (teamId query parameter).
    #[arg(long, value_name = "ID")]
    pub team_id: Option<String>,

    /// Vercel team slug (slug query parameter).
    #[arg(long, value_name = "SLUG")]
    pub team_slug: Option<String>,

    /// Globs over repository paths that count as images, one a line.
    #[arg(long, value_name = "GLOBS")]
    pub include: Vec<String>,

    /// Globs removed after --include, one a line.
    #[arg(long, value_name = "GLOBS")]
    pub exclude: Vec<String>,

    /// Folders served at the site root, one a line [default: public].
    #[arg(long, value_name = "DIRS")]
    pub public_dir: Vec<String>,

    /// What replaces the public dir in a public path: /, /docs/, or https://origin/ [default: /].
    #[arg(long, value_name = "PREFIX")]
    pub url_prefix: Option<String>,

    /// Which changes count: added, modified, removed, renamed (commas or lines).
    #[arg(long, value_name = "TYPES")]
    pub change_types: Option<String>,

    /// invalidate (mark stale) or delete (dangerously delete) [default: invalidate].
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,

    /// With --mode delete: seconds within which the deleted variants revalidate.
    #[arg(long, value_name = "SECONDS")]
    pub revalidation_deadline_seconds: Option<String>,

    /// Explicit public paths to invalidate, one a line.
    #[arg(long, value_name = "PATHS")]
    pub images: Vec<String>,

    /// api (GitHub REST), git (local repository) or auto [default: auto].
    #[arg(long, value_name = "SOURCE")]
    pub diff_source: Option<String>,

    /// Commit to compare from (default: from the event).
    #[arg(long, value_name = "COMMIT")]
    pub base: Option<String>,

    /// Commit to compare to (default: from the event, or HEAD).
    #[arg(long, value_name = "COMMIT")]
    pub head: Option<String>,

    /// Token for the GitHub REST API (never printed).
    #[arg(long, value_name = "TOKEN", value_parser = secret)]
    pub github_token: Option<Secret>,

    /// Wait for the deployment of head to succeed before invalidating.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub wait_for_deployment: Option<String>,

    /// GitHub deployment environment to wait for [default: Production].
    #[arg(long, value_name = "NAME")]
    pub deployment_environment: Option<String>,

    /// Seconds to wait for the deployment [default: 600].
    #[arg(long, value_name = "SECONDS")]
    pub deployment_timeout: Option<String>,

    /// Vercel requests in flight at once, 1 to 32 [default: 4].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<String>,

    /// Exit 1 when any image could not be invalidated [default: true].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub fail_on_error: Option<String>,

    /// Do everything except the Vercel requests; needs no Vercel token.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub dry_run: Option<String>,

    /// Vercel API origin [default: https://api.vercel.com].
    #[arg(long, value_name = "URL")]
    pub vercel_api_url: Option<String>,

    /// Repository (owner/name) for --diff-source api outside Actions [default: GITHUB_REPOSITORY].
    #[arg(long, value_name = "OWNER/NAME", help_heading = "Advanced")]
    pub repository: Option<String>,

    /// GitHub REST API origin [default: GITHUB_API_URL or https://api.github.com].
    #[arg(long, value_name = "URL", help_heading = "Advanced")]
    pub github_api_url: Option<String>,

    /// Seconds one HTTP request may take, connection included [default: 30].
    #[arg(long, value_name = "SECONDS", help_heading = "Advanced")]
    pub request_timeout: Option<String>,

    /// Attempts per request before giving up, 1 to 10 [default: 5].
    #[arg(long, value_name = "N", help_heading = "Advanced")]
    pub max_attempts: Option<String>,

    /// First retry delay in seconds; it doubles each attempt [default: 1].
    #[arg(long, value_name = "SECONDS", help_heading = "Advanced")]
    pub retry_initial_delay: Option<String>,

    /// Longest backoff between two attempts, in seconds [default: 60].
    #[arg(long, value_name = "SECONDS", help_heading = "Advanced")]
    pub retry_max_delay: Option<String>,

    /// Longest Retry-After or rate-limit reset honoured, in seconds; a longer
    /// one fails at once [default: 300].
    #[arg(long, value_name = "SECONDS", help_heading = "Advanced")]
    pub retry_max_wait: Option<String>,

    /// First interval between deployment status checks, in seconds [default: 3].
    #[arg(long, value_name = "SECONDS", help_heading = "Advanced")]
    pub poll_initial_interval: Option<String>,

    /// Longest interval between deployment status checks, in seconds [default: 15].
    #[arg(long, value_name = "SECONDS", help_heading = "Advanced")]
    pub poll_max_interval: Option<String>,

    /// Print debug detail (in Actions: enable step debug logging instead).
    #[arg(long, short, help_heading = "Advanced")]
    pub verbose: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
        assert_eq!(args.dry_run.as_deref(), Some("true"));
        assert_eq!(args.fail_on_error.as_deref(), Some("false"));
        assert_eq!(args.base.as_deref(), Some("HEAD~1"));
    }

    #[test]
    fn a_repeated_flag_takes_the_last_value() {
        let args = Args::try_parse_from(["x", "--concurrency", "2", "--concurrency", "8"])
            .expect("parses");
        assert_eq!(args.concurrency.as_deref(), Some("8"));
    }

    #[test]
    fn list_flags_repeat() {
        let args = Args::try_parse_from(["x", "--include", "*.png", "--include", "*.jpg"])
            .expect("parses");
        assert_eq!(args.include, ["*.png", "*.jpg"]);
    }

    #[test]
    fn debug_output_hides_tokens() {
        let args =
            Args::try_parse_from(["x", "--vercel-token", "tok_secret_value"]).expect("parses");
        assert!(!format!("{args:?}").contains("tok_secret_value"));
    }
}
