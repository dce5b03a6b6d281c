//! Every input declared once. [`INPUTS`] says, for each: its name, its
//! default, what it means and how its text is read. The command-line flags
//! and `--help` ([`crate::args`]), the reading of flags and `INPUT_*`
//! variables ([`Reader`]), and the inputs of `action.yml` and the README
//! (generated from this table by `tests/suite/docs.rs`) all come from it.
//!
//! A value is the first of: the flag (when given, even empty), the
//! `INPUT_<NAME>` variable (the runner passes every declared input, empty
//! when the workflow sets none, so empty counts as not given), a fallback
//! variable such as `VERCEL_TOKEN`, and the default, which is read like any
//! given value. Every problem is collected, so one run reports all bad inputs.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

/// The process environment, captured once by `main`.
pub type Env = HashMap<String, String>;

/// How an input's text is read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// One value; a repeated flag keeps the last.
    Text,
    /// One item a line; a repeated flag adds lines.
    Lines,
    /// `true` or `false` in any case; a bare flag means `true`.
    Bool,
    /// A whole number from `min` to `max`.
    Integer { min: u64, max: u64 },
    /// Seconds from `min` to `max`, fractions allowed (`0.25`).
    Seconds { min: f64, max: f64 },
    /// One of these words, in any case.
    Choice(&'static [&'static str]),
    /// A token: masked first, never printed, not even in `Debug`.
    Secret,
}

/// Where an input is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// An action input (`action.yml`, the README) and a flag.
    Action,
    /// A flag under "Advanced" in `--help`: tuning and tests.
    Advanced,
}

/// One input.
#[derive(Clone, Copy, Debug)]
pub struct Input {
    /// As in `action.yml`; also the flag (`--concurrency`).
    pub name: &'static str,
    pub kind: Kind,
    /// Used when nothing is given, read like a given value; empty: none.
    pub default: &'static str,
    /// The default `action.yml` declares, when it is not [`Input::default`]
    /// (a runner expression such as `${{ github.token }}`).
    pub action_default: Option<&'static str>,
    /// A variable read when neither flag nor input is given.
    pub fallback: Option<&'static str>,
    /// The placeholder in `--help` (`SECONDS`).
    pub value_name: &'static str,
    /// One paragraph, for `action.yml`, the README and `--help`.
    pub description: &'static str,
    pub place: Place,
}

impl Input {
    const fn action(
        name: &'static str,
        kind: Kind,
        default: &'static str,
        value_name: &'static str,
        description: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            default,
            action_default: None,
            fallback: None,
            value_name,
            description,
            place: Place::Action,
        }
    }

    const fn advanced(
        name: &'static str,
        kind: Kind,
        default: &'static str,
        value_name: &'static str,
        description: &'static str,
    ) -> Self {
        Self {
            place: Place::Advanced,
            ..Self::action(name, kind, default, value_name, description)
        }
    }

    const fn or_variable(self, variable: &'static str) -> Self {
        Self {
            fallback: Some(variable),
            ..self
        }
    }

    const fn declared_as(self, action_default: &'static str) -> Self {
        Self {
            action_default: Some(action_default),
            ..self
        }
    }

    /// The default as `action.yml` declares it.
    pub fn declared_default(&self) -> &'static str {
        self.action_default.unwrap_or(self.default)
    }

    /// The runner's variable: `INPUT_` and the name upper-cased, hyphens kept.
    pub fn variable(&self) -> String {
        input_var(self.name)
    }
}

/// The runner's variable for an input: `INPUT_` + the name upper-cased, hyphens kept.
pub fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.to_ascii_uppercase())
}

const fn integer(min: u64, max: u64) -> Kind {
    Kind::Integer { min, max }
}

const fn seconds(min: f64, max: f64) -> Kind {
    Kind::Seconds { min, max }
}

/// The inputs, in the order of `action.yml`, then the advanced flags.
#[rustfmt::skip]
pub const INPUTS: &[Input] = &[
    Input::action("vercel-token", Kind::Secret, "", "TOKEN",
        "Vercel access token. Required unless dry-run. Never printed; masked at start.")
        .or_variable("VERCEL_TOKEN"),
    Input::action("project", Kind::Text, "", "ID_OR_NAME",
        "Vercel project id or name (projectIdOrName). Required unless dry-run."),
    Input::action("team-id", Kind::Text, "", "ID",
        "Vercel team id (teamId query parameter), for a team's project."),
    Input::action("team-slug", Kind::Text, "", "SLUG",
        "Vercel team slug (slug query parameter), for a team's project."),
    Input::action("include", Kind::Lines, "**/*.{png,jpg,jpeg,gif,webp,avif,svg,ico,bmp,tif,tiff}", "GLOBS",
        "Globs over repository paths that count as images, one a line. `*` does not cross `/`; extensions match in any case."),
    Input::action("exclude", Kind::Lines, "", "GLOBS",
        "Globs removed after include, one a line."),
    Input::action("site-dir", Kind::Text, ".", "DIR",
        "The Vercel project's Root Directory (`apps/web` in a monorepo): where the framework's config is read at head and where `auto` looks. Images outside it are skipped as outside the site."),
    Input::action("public-dir", Kind::Lines, "auto", "DIRS",
        "The folder(s) served at the site root, one a line. `auto`: the framework's (`public/`, `static/` for SvelteKit, Nuxt 2 and Gatsby) under site-dir, `public/` when none is recognised. A changed image outside every public dir is skipped and reported."),
    Input::action("url-prefix", Kind::Text, "auto", "PREFIX",
        "What replaces the public dir in a public path. `auto`: `/` plus the framework's base path (Next.js basePath, Astro base, SvelteKit kit.paths.base, Nuxt app.baseURL, Gatsby pathPrefix, Vite base), else `/`. Or `/docs/` by hand, or an absolute https:// origin for remote images. An explicit value wins, with a warning where the config disagrees."),
    Input::action("change-types", Kind::Text, "added,modified,removed,renamed", "TYPES",
        "Which changes count: added, modified, removed, renamed (commas or lines). A rename invalidates the old and the new path."),
    Input::action("mode", Kind::Choice(&["invalidate", "delete"]), "invalidate", "MODE",
        "`invalidate` (mark stale, revalidate in the background) or `delete` (delete the cached variants; the next request waits for the origin)."),
    Input::action("revalidation-deadline-seconds", integer(0, 31_536_000), "", "SECONDS",
        "Only with mode delete; 0 to 31536000."),
    Input::action("images", Kind::Lines, "", "PATHS",
        "Explicit public paths to invalidate, one a line: in addition to the diff on a push, instead of it on a manual run."),
    Input::action("diff-source", Kind::Choice(&["api", "git", "auto"]), "auto", "SOURCE",
        "`api` (GitHub REST, no checkout needed), `git` (the checked-out repository), or `auto` (api in Actions with a token, else git)."),
    Input::action("base", Kind::Text, "", "COMMIT",
        "Commit to compare from. Defaults to the event's (a push's before)."),
    Input::action("head", Kind::Text, "", "COMMIT",
        "Commit to compare to. Defaults to the event's (a push's after) or GITHUB_SHA."),
    Input::action("github-token", Kind::Secret, "", "TOKEN",
        "Token for the GitHub REST API: contents read, plus deployments read with wait-for-deployment.")
        .declared_as("${{ github.token }}")
        .or_variable("GITHUB_TOKEN"),
    Input::action("wait-for-deployment", Kind::Bool, "false", "BOOL",
        "Wait until the deployment of head has succeeded before invalidating."),
    Input::action("deployment-environment", Kind::Text, "auto", "NAME",
        "The GitHub deployment environment to wait for. `auto`: the production environment head's deployments are in, as Vercel's Git integration names it: `Production`, or `Production – <project>` when several Vercel projects deploy from one repository. A name wins."),
    Input::action("deployment-timeout", integer(1, 21_600), "600", "SECONDS",
        "Seconds to wait for the deployment."),
    Input::action("concurrency", integer(1, 32), "4", "N",
        "Vercel requests in flight at once (1 to 32)."),
    Input::action("fail-on-error", Kind::Bool, "true", "BOOL",
        "Exit 1 when an image could not be invalidated on its own account. A configuration that can never work (an invalid, expired or revoked token, no permission, no such project, a plan without the feature) fails the run whatever this says."),
    Input::action("dry-run", Kind::Bool, "false", "BOOL",
        "Do everything except the Vercel requests; needs no Vercel token."),
    Input::action("site-url", Kind::Text, "", "URL",
        "The live site's origin (https://example.com). When set, each invalidated image is verified on it once the deployment is live; a push then needs wait-for-deployment."),
    Input::action("verify", Kind::Bool, "true", "BOOL",
        "With site-url: request one optimized variant of each invalidated image and report what visitors now get."),
    Input::action("warm", Kind::Bool, "false", "BOOL",
        "With site-url: request every variant the site allows (widths x qualities x formats) so no visitor is served a stale one. Each is one billed image transformation."),
    Input::action("warm-limit", integer(0, 1_000_000), "2000", "N",
        "The most warm-up requests one run makes, retries included."),
    Input::action("live-timeout", seconds(1.0, 3600.0), "300", "SECONDS",
        "With site-url: the most time the live stage (baseline, verify and warm) takes, in seconds, whatever the site answers; images not confirmed by then are listed in unverified."),
    Input::action("vercel-protection-bypass", Kind::Secret, "", "SECRET",
        "Protection Bypass for Automation secret, for a site behind Deployment Protection; sent as x-vercel-protection-bypass. Never printed; masked at start."),
    Input::action("fail-on-unverified", Kind::Bool, "false", "BOOL",
        "Exit 1 when an image could not be verified on the live site."),
    Input::action("vercel-api-url", Kind::Text, "https://api.vercel.com", "URL",
        "API origin (proxies, tests). Plain http:// is refused unless the host is loopback."),
    Input::advanced("repository", Kind::Text, "", "OWNER/NAME",
        "Repository (owner/name) for --diff-source api outside Actions.")
        .or_variable("GITHUB_REPOSITORY"),
    Input::advanced("github-api-url", Kind::Text, "https://api.github.com", "URL",
        "GitHub REST API origin.")
        .or_variable("GITHUB_API_URL"),
    Input::advanced("request-timeout", seconds(0.05, 600.0), "30", "SECONDS",
        "Seconds one HTTP request may take, connection included."),
    Input::advanced("max-attempts", integer(1, 10), "5", "N",
        "Attempts per request before giving up, 1 to 10."),
    Input::advanced("retry-initial-delay", seconds(0.0, 60.0), "1", "SECONDS",
        "First retry delay in seconds; it doubles each attempt."),
    Input::advanced("retry-max-delay", seconds(0.0, 3600.0), "60", "SECONDS",
        "Longest backoff between two attempts, in seconds."),
    Input::advanced("retry-max-wait", seconds(0.0, 3600.0), "300", "SECONDS",
        "Longest Retry-After or rate-limit reset honoured, in seconds; a longer one fails at once."),
    Input::advanced("poll-initial-interval", seconds(0.01, 60.0), "3", "SECONDS",
        "First interval between deployment status checks, in seconds."),
    Input::advanced("poll-max-interval", seconds(0.01, 300.0), "15", "SECONDS",
        "Longest interval between deployment status checks, in seconds."),
    Input::advanced("environment-grace", seconds(0.0, 3600.0), "60", "SECONDS",
        "How long head may have deployments in other environments but none in the awaited one before the wait stops (exit 2), in seconds."),
    Input::advanced("heartbeat-interval", seconds(0.1, 3600.0), "30", "SECONDS",
        "While waiting for a deployment, how often its state is said again when it does not change, in seconds."),
    Input::advanced("verify-grace", seconds(0.0, 600.0), "15", "SECONDS",
        "How long a HIT with the old ETag may last before it means the path sent is not what the site caches, in seconds."),
    Input::advanced("verify-interval", seconds(0.0, 60.0), "1", "SECONDS",
        "First wait between two probes of an image, in seconds; it grows 1.5 times each probe."),
    Input::advanced("verify-max-interval", seconds(0.0, 300.0), "10", "SECONDS",
        "Longest wait between two probes of an image, in seconds."),
    Input::advanced("verify-timeout", seconds(0.0, 3600.0), "120", "SECONDS",
        "Longest time one image is probed, in seconds; still STALE by then is reported as such."),
];

const fn action_count(inputs: &[Input]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < inputs.len() {
        if matches!(inputs[i].place, Place::Action) {
            count += 1;
        }
        i += 1;
    }
    count
}

const fn action_names<const N: usize>(inputs: &[Input]) -> [&'static str; N] {
    let mut names = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < inputs.len() {
        if matches!(inputs[i].place, Place::Action) {
            names[n] = inputs[i].name;
            n += 1;
        }
        i += 1;
    }
    names
}

/// The action's inputs, by their names in `action.yml`.
pub const INPUT_NAMES: [&str; action_count(INPUTS)] = action_names(INPUTS);

/// The flags given (by [`crate::args`]), by input name, as the user wrote
/// them: each one's values in order (several for a repeated list flag, the
/// last one of any other).
#[derive(Clone, Default)]
pub struct Flags(BTreeMap<&'static str, Vec<String>>);

impl Flags {
    pub fn values(&self, name: &str) -> Option<&[String]> {
        self.0.get(name).map(Vec::as_slice)
    }

    pub fn set(&mut self, name: &'static str, values: Vec<String>) {
        self.0.insert(name, values);
    }
}

/// Lists the flags given, with the tokens' values hidden.
impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, values) in &self.0 {
            if input(name).kind == Kind::Secret {
                map.entry(name, &"***");
            } else {
                map.entry(name, values);
            }
        }
        map.finish()
    }
}

/// The input called `name`. A name missing from the table is a mistake in
/// the code, found by the first test that reads it.
pub fn input(name: &str) -> &'static Input {
    INPUTS
        .iter()
        .find(|input| input.name == name)
        .unwrap_or_else(|| panic!("`{name}` is not in the table of inputs"))
}

/// The text given for `input`, trimmed; `None` when nothing (or only
/// blanks) was given, so that the default applies.
pub fn given(input: &Input, flags: &Flags, env: &Env) -> Option<String> {
    let non_blank = |text: &str| {
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    };
    if let Some(values) = flags.values(input.name) {
        return non_blank(&values.join("\n"));
    }
    [Some(input.variable()), input.fallback.map(str::to_string)]
        .into_iter()
        .flatten()
        .find_map(|variable| env.get(&variable).and_then(|v| non_blank(v)))
}

/// One input that cannot be used, with the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The input's name as in `action.yml` (`concurrency`), or the variable.
    pub input: String,
    /// What is wrong, quoting the value unless it is a secret.
    pub problem: String,
    /// What to do about it.
    pub help: String,
}

impl InputError {
    pub fn new(input: &str, problem: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            input: input.to_string(),
            problem: problem.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "input `{}`: {}", self.input, self.problem)
    }
}

/// Every bad input found at once, so that one run shows them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} inputs are not valid:", many.len())?;
                for error in many {
                    write!(f, "\n  - {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for InputErrors {}

/// Reads inputs by name, as the table says, collecting errors as it goes.
/// A value that cannot be used is reported and its default taken, so that
/// reading goes on and finds every other problem too.
pub struct Reader<'a> {
    flags: &'a Flags,
    env: &'a Env,
    pub errors: Vec<InputError>,
}

impl<'a> Reader<'a> {
    pub fn new(flags: &'a Flags, env: &'a Env) -> Self {
        Self {
            flags,
            env,
            errors: Vec::new(),
        }
    }

    pub fn fail(&mut self, input: &str, problem: impl Into<String>, help: impl Into<String>) {
        self.errors.push(InputError::new(input, problem, help));
    }

    /// What was given, or `None`: the default does not apply here.
    pub fn given(&self, name: &str) -> Option<String> {
        given(input(name), self.flags, self.env)
    }

    /// What was given, else the default; `None` when there is neither.
    pub fn text(&self, name: &str) -> Option<String> {
        let input = input(name);
        given(input, self.flags, self.env)
            .or_else(|| (!input.default.is_empty()).then(|| input.default.to_string()))
    }

    /// One item a line, blank lines left out; the default's when none is given.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.text(name)
            .unwrap_or_default()
            .lines()
            .map(|line| line.trim().to_string())
            .filter(|line| !line.is_empty())
            .collect()
    }

    /// The text to read as a value of `name`, and the default's in case the
    /// text is bad (a default that does not parse is a mistake in the table).
    fn text_and_default(&self, name: &str) -> (String, &'static str) {
        let input = input(name);
        let text = given(input, self.flags, self.env).unwrap_or_else(|| input.default.to_string());
        (text, input.default)
    }

    pub fn boolean(&mut self, name: &str) -> bool {
        let (value, default) = self.text_and_default(name);
        match value.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                self.fail(
                    name,
                    format!("`{value}` is not a boolean"),
                    format!("set {name} to `true` or `false`"),
                );
                default == "true"
            }
        }
    }

    /// A whole number within the table's range; `None` when nothing is
    /// given and there is no default.
    pub fn maybe_integer(&mut self, name: &str) -> Option<u64> {
        let Kind::Integer { min, max } = input(name).kind else {
            panic!("`{name}` is not a number in the table of inputs")
        };
        let (value, default) = self.text_and_default(name);
        if value.is_empty() {
            return None;
        }
        match value.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.fail(
                    name,
                    format!("`{value}` is not a whole number from {min} to {max}"),
                    format!("set {name} to a whole number from {min} to {max}"),
                );
                default.parse().ok()
            }
        }
    }

    pub fn integer(&mut self, name: &str) -> u64 {
        self.maybe_integer(name).unwrap_or_default()
    }

    pub fn seconds(&mut self, name: &str) -> Duration {
        let Kind::Seconds { min, max } = input(name).kind else {
            panic!("`{name}` is not a duration in the table of inputs")
        };
        let (value, default) = self.text_and_default(name);
        match value.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= min && n <= max => Duration::from_secs_f64(n),
            _ => {
                self.fail(
                    name,
                    format!("`{value}` is not a number of seconds from {min} to {max}"),
                    format!("set {name} to a number of seconds from {min} to {max}"),
                );
                Duration::from_secs_f64(default.parse().unwrap_or_default())
            }
        }
    }

    /// One of the table's words, lower-cased.
    pub fn choice(&mut self, name: &str) -> &'static str {
        let Kind::Choice(choices) = input(name).kind else {
            panic!("`{name}` is not a choice in the table of inputs")
        };
        let (value, default) = self.text_and_default(name);
        let lower = value.to_ascii_lowercase();
        if let Some(choice) = choices.iter().find(|choice| **choice == lower) {
            return choice;
        }
        self.fail(
            name,
            format!("`{value}` is not one of {}", choices.join(", ")),
            format!("set {name} to one of: {}", choices.join(", ")),
        );
        default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_default_reads_as_its_kind() {
        for (index, input) in INPUTS.iter().enumerate() {
            assert!(
                INPUTS[..index].iter().all(|other| other.name != input.name),
                "{} twice",
                input.name
            );
            assert!(!input.description.is_empty(), "{}", input.name);
            let default = input.default;
            let reads = match input.kind {
                Kind::Bool => ["true", "false"].contains(&default),
                Kind::Integer { min, max } => {
                    default.is_empty() || default.parse().is_ok_and(|n| (min..=max).contains(&n))
                }
                Kind::Seconds { min, max } => {
                    default.parse::<f64>().is_ok_and(|n| n >= min && n <= max)
                }
                Kind::Choice(choices) => choices.contains(&default),
                Kind::Text | Kind::Lines | Kind::Secret => true,
            };
            assert!(
                reads,
                "{}: the default `{default}` is not a valid value",
                input.name
            );
        }
    }

    #[test]
    fn the_action_inputs_come_first_and_are_named() {
        assert_eq!(INPUT_NAMES[0], "vercel-token");
        assert_eq!(INPUT_NAMES.len(), 31);
        assert!(
            INPUT_NAMES
                .iter()
                .all(|name| input(name).place == Place::Action)
        );
        assert_eq!(input_var("dry-run"), "INPUT_DRY-RUN");
    }
}
