//! The boundary: flags and `INPUT_*` variables in, one validated [`Config`]
//! out. Nothing below this module reads the environment.
//!
//! A flag wins over its variable; an empty value counts as not given (the
//! runner passes every declared input, empty when the workflow sets none).
//! Every problem found is collected, so one run reports all bad inputs, each
//! with the value (never a secret's), and the fix.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::args::Args;
use crate::changes::{ChangeKind, DiffSource};
use crate::deploy::Polling;
use crate::event;
use crate::retry::{Http, RetryPolicy};
use crate::secret::Secret;
use crate::select::{Globs, MAX_PATH_CHARS, PublicDirs, RuleError, UrlPrefix};
use crate::vercel::{self, Mode};

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

/// The process environment, captured once by `main`.
pub type Env = HashMap<String, String>;

pub const DEFAULT_INCLUDE: &str = "**/*.{png,jpg,jpeg,gif,webp,avif,svg,ico,bmp,tif,tiff}";
const MAX_DEADLINE_SECONDS: u64 = 31_536_000;

/// Facts about where the binary runs, read from the runner's variables.
#[derive(Clone, Debug, Default)]
pub struct Runner {
    /// `GITHUB_ACTIONS=true`: speak workflow commands.
    pub in_actions: bool,
    pub event_name: Option<String>,
    pub event_path: Option<PathBuf>,
    /// `owner/name`.
    pub repository: Option<String>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// `GITHUB_SERVER_URL`, for links in the summary.
    pub server_url: String,
    /// `GITHUB_WORKSPACE`: where the checkout is, for `diff-source: git`.
    pub workspace: Option<PathBuf>,
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
    /// `RUNNER_DEBUG=1` or `--verbose`.
    pub debug: bool,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub vercel_token: Option<Secret>,
    pub github_token: Option<Secret>,
    pub project: Option<String>,
    pub team_id: Option<String>,
    pub team_slug: Option<String>,
    pub include: Globs,
    pub exclude: Globs,
    pub public_dirs: PublicDirs,
    pub url_prefix: UrlPrefix,
    pub change_types: BTreeSet<ChangeKind>,
    pub mode: Mode,
    pub revalidation_deadline_seconds: Option<u64>,
    pub images: Vec<String>,
    pub diff_source: DiffSource,
    pub base: Option<String>,
    pub head: Option<String>,
    pub wait_for_deployment: bool,
    pub deployment_environment: String,
    pub deployment_timeout: Duration,
    pub concurrency: usize,
    pub fail_on_error: bool,
    pub dry_run: bool,
    pub vercel_api_url: Url,
    pub github_api_url: Url,
    pub http: Http,
    pub polling: Polling,
    pub runner: Runner,
    /// Things that are allowed but probably not meant, to print as warnings.
    pub warnings: Vec<String>,
}

/// The two tokens, found before anything else so they can be masked first.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    pub vercel: Option<Secret>,
    pub github: Option<Secret>,
}

impl Secrets {
    pub fn resolve(args: &Args, env: &Env) -> Self {
        let pick = |flag: &Option<Secret>, input: &str, fallback: &str| {
            flag.as_ref()
                .map(|s| s.expose().to_string())
                .or_else(|| non_empty(env.get(&input_var(input))))
                .or_else(|| non_empty(env.get(fallback)))
                .map(|raw| raw.trim().to_string())
                .filter(|raw| !raw.is_empty())
                .map(Secret::new)
        };
        Self {
            vercel: pick(&args.vercel_token, "vercel-token", "VERCEL_TOKEN"),
            github: pick(&args.github_token, "github-token", "GITHUB_TOKEN"),
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Secret> {
        self.vercel.iter().chain(self.github.iter())
    }
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).cloned()
}

/// The runner's variable for an input: `INPUT_` + the name upper-cased, hyphens kept.
pub fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.to_ascii_uppercase())
}

/// Reads inputs from flags, then `INPUT_*`, collecting errors as it goes.
struct Reader<'a> {
    env: &'a Env,
    errors: Vec<InputError>,
}

impl Reader<'_> {
    fn value(&self, name: &str, flag: &Option<String>) -> Option<String> {
        let raw = match flag {
            Some(value) => Some(value.clone()),
            None => self.env.get(&input_var(name)).cloned(),
        }?;
        let trimmed = raw.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    }

    /// One item a line; repeated flags add lines. Blank lines are ignored.
    fn lines(&self, name: &str, flags: &[String]) -> Vec<String> {
        let text = if flags.is_empty() {
            self.env.get(&input_var(name)).cloned().unwrap_or_default()
        } else {
            flags.join("\n")
        };
        text.lines()
            .map(|line| line.trim().to_string())
            .filter(|line| !line.is_empty())
            .collect()
    }

    fn fail(&mut self, input: &str, problem: impl Into<String>, help: impl Into<String>) {
        self.errors.push(InputError::new(input, problem, help));
    }

    fn boolean(&mut self, name: &str, flag: &Option<String>, default: bool) -> bool {
        let Some(value) = self.value(name, flag) else {
            return default;
        };
        match value.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                self.fail(
                    name,
                    format!("`{value}` is not a boolean"),
                    format!("set {name} to `true` or `false`"),
                );
                default
            }
        }
    }

    fn integer(
        &mut self,
        name: &str,
        flag: &Option<String>,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> u64 {
        let Some(value) = self.value(name, flag) else {
            return default;
        };
        match value.parse::<u64>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                self.fail(
                    name,
                    format!(
                        "`{value}` is not a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                    format!(
                        "set {name} to a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    /// Seconds, fractions allowed (`0.25`), for the tuning flags.
    fn seconds(
        &mut self,
        name: &str,
        flag: &Option<String>,
        default: f64,
        min: f64,
        max: f64,
    ) -> Duration {
        let Some(value) = self.value(name, flag) else {
            return Duration::from_secs_f64(default);
        };
        match value.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= min && n <= max => Duration::from_secs_f64(n),
            _ => {
                self.fail(
                    name,
                    format!("`{value}` is not a number of seconds from {min} to {max}"),
                    format!("set {name} to a number of seconds from {min} to {max}"),
                );
                Duration::from_secs_f64(default)
            }
        }
    }

    fn choice<T: Copy>(
        &mut self,
        name: &str,
        flag: &Option<String>,
        default: T,
        choices: &[(&str, T)],
    ) -> T {
        let Some(value) = self.value(name, flag) else {
            return default;
        };
        let lower = value.to_ascii_lowercase();
        if let Some((_, choice)) = choices.iter().find(|(text, _)| *text == lower) {
            return *choice;
        }
        let names: Vec<_> = choices.iter().map(|(text, _)| *text).collect();
        self.fail(
            name,
            format!("`{value}` is not one of {}", names.join(", ")),
            format!("set {name} to one of: {}", names.join(", ")),
        );
        default
    }

    /// A name that goes into a query string or an API path: no blanks, no
    /// control characters.
    fn identifier(&mut self, name: &str, flag: &Option<String>) -> Option<String> {
        let value = self.value(name, flag)?;
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) || value.len() > 256 {
            self.fail(
                name,
                format!(
                    "`{}` contains blanks or control characters, or is over 256 characters",
                    crate::actions::one_line(&value)
                ),
                format!("set {name} to the value shown in the Vercel dashboard, without spaces"),
            );
            return None;
        }
        Some(value)
    }

    fn token(&mut self, name: &str, secret: &Option<Secret>) {
        if let Some(secret) = secret
            && !secret.expose().bytes().all(|b| b.is_ascii_graphic())
        {
            self.fail(
                    name,
                    "the token contains blanks, line breaks or non-ASCII characters (value not shown)",
                    format!("copy the token again and store it as a secret without extra characters; pass it as `{name}: ${{{{ secrets.NAME }}}}`"),
                );
        }
    }

    /// A commit for `base`/`head`: a sha, a ref or a revision expression, but
    /// never something git could read as an option.
    fn revision(&mut self, name: &str, flag: &Option<String>) -> Option<String> {
        let value = self.value(name, flag)?;
        if value.starts_with('-')
            || value.len() > 256
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            self.fail(
                name,
                format!("`{}` is not a commit", crate::actions::one_line(&value)),
                format!("set {name} to a commit sha, a branch or tag name, or an expression such as HEAD~1"),
            );
            return None;
        }
        Some(value)
    }
}

/// Parses an API origin: `https://`, or `http://` to a loopback host only (a
/// token must never cross a network in clear text).
pub fn parse_api_url(input: &str, value: &str) -> Result<Url, InputError> {
    let bad = |problem: String, help: &str| Err(InputError::new(input, problem, help));
    let url = match Url::parse(value) {
        Ok(url) => url,
        Err(error) => {
            return bad(
                format!(
                    "`{}` is not a URL: {error}",
                    crate::untrusted::without_credentials(value)
                ),
                "set it to an origin such as https://api.example.com",
            );
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad(
            "the URL contains a user name or password (value not shown)".to_string(),
            "remove the credentials from the URL; the token input carries them",
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad(
            format!("`{url}` has a query or fragment"),
            "give the origin only, such as https://api.example.com",
        );
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return bad(
                format!("`{url}` uses plain http:// to a host that is not loopback"),
                "use https://; plain http:// is accepted only for 127.0.0.1, ::1 or localhost",
            );
        }
        other => {
            return bad(
                format!("`{url}` has the scheme `{other}`"),
                "use an https:// URL",
            );
        }
    }
    if url.host().is_none() {
        return bad(format!("`{url}` has no host"), "use an https:// URL");
    }
    Ok(url)
}

impl Runner {
    pub fn from_env(env: &Env, verbose: bool) -> Self {
        let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        Self {
            in_actions: get("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
            event_name: get("GITHUB_EVENT_NAME"),
            event_path: get("GITHUB_EVENT_PATH").map(PathBuf::from),
            repository: get("GITHUB_REPOSITORY"),
            sha: get("GITHUB_SHA"),
            server_url: get("GITHUB_SERVER_URL")
                .map(|url| url.trim_end_matches('/').to_string())
                .unwrap_or_else(|| "https://github.com".to_string()),
            workspace: get("GITHUB_WORKSPACE").map(PathBuf::from),
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: get("GITHUB_OUTPUT").map(PathBuf::from),
            debug: verbose || get("RUNNER_DEBUG").is_some_and(|v| v == "1"),
        }
    }
}

impl InputError {
    /// A stage's complaint about a rule, said of the input it came from.
    fn from_rule(input: &str, error: RuleError) -> Self {
        Self::new(input, error.problem, error.help)
    }
}

/// What the Vercel requests need to know of the inputs.
struct Sending {
    project: Option<String>,
    team_id: Option<String>,
    team_slug: Option<String>,
    mode: Mode,
    revalidation_deadline_seconds: Option<u64>,
    concurrency: usize,
    vercel_api_url: Url,
}

/// Which changes count and where each one is served.
struct Mapping {
    include: Globs,
    exclude: Globs,
    public_dirs: PublicDirs,
    url_prefix: UrlPrefix,
    change_types: BTreeSet<ChangeKind>,
}

impl Config {
    pub fn build(args: &Args, env: &Env, secrets: Secrets) -> Result<Self, InputErrors> {
        let mut r = Reader {
            env,
            errors: Vec::new(),
        };
        let mut warnings = Vec::new();
        let mut runner = Runner::from_env(env, args.verbose);
        if let Some(repository) = r.value("repository", &args.repository) {
            runner.repository = Some(repository);
        }

        let dry_run = r.boolean("dry-run", &args.dry_run, false);
        let fail_on_error = r.boolean("fail-on-error", &args.fail_on_error, true);
        let wait_for_deployment =
            r.boolean("wait-for-deployment", &args.wait_for_deployment, false);
        r.token("vercel-token", &secrets.vercel);
        r.token("github-token", &secrets.github);
        let sending = r.sending(args, &secrets, dry_run);
        let mapping = r.mapping(args, &mut warnings);
        let images =
            parse_images(&r.lines("images", &args.images), &mut warnings).unwrap_or_else(|e| {
                r.errors.extend(e);
                Vec::new()
            });
        let base = r.revision("base", &args.base);
        let head = r.revision("head", &args.head);
        let deployment_environment = r
            .value("deployment-environment", &args.deployment_environment)
            .unwrap_or_else(|| "Production".to_string());
        let deployment_timeout = Duration::from_secs(r.integer(
            "deployment-timeout",
            &args.deployment_timeout,
            600,
            1..=21_600,
        ));
        let github_api_url = r.github_api_url(args);
        let diff_source = r.diff_source(args, &runner, &secrets, wait_for_deployment);
        let (http, polling) = r.tuning(args);

        if !r.errors.is_empty() {
            return Err(InputErrors(r.errors));
        }
        Ok(Config {
            vercel_token: secrets.vercel,
            github_token: secrets.github,
            project: sending.project,
            team_id: sending.team_id,
            team_slug: sending.team_slug,
            include: mapping.include,
            exclude: mapping.exclude,
            public_dirs: mapping.public_dirs,
            url_prefix: mapping.url_prefix,
            change_types: mapping.change_types,
            mode: sending.mode,
            revalidation_deadline_seconds: sending.revalidation_deadline_seconds,
            images,
            diff_source,
            base,
            head,
            wait_for_deployment,
            deployment_environment,
            deployment_timeout,
            concurrency: sending.concurrency,
            fail_on_error,
            dry_run,
            vercel_api_url: sending.vercel_api_url,
            github_api_url,
            http,
            polling,
            runner,
            warnings,
        })
    }

    /// What the event stage needs to decide what to compare.
    pub fn event_settings(&self) -> event::Settings {
        event::Settings {
            base: self.base.clone(),
            head: self.head.clone(),
            images: self.images.clone(),
            sha: self.runner.sha.clone(),
            deployment_environment: self.deployment_environment.clone(),
        }
    }

    /// What the Vercel client needs to send.
    pub fn vercel_settings(&self) -> vercel::Settings {
        vercel::Settings {
            api_url: self.vercel_api_url.clone(),
            mode: self.mode,
            team_id: self.team_id.clone(),
            team_slug: self.team_slug.clone(),
            revalidation_deadline_seconds: self.revalidation_deadline_seconds,
            http: self.http.clone(),
        }
    }
}

impl Reader<'_> {
    fn sending(&mut self, args: &Args, secrets: &Secrets, dry_run: bool) -> Sending {
        let project = self.identifier("project", &args.project);
        let team_id = self.identifier("team-id", &args.team_id);
        let team_slug = self.identifier("team-slug", &args.team_slug);
        if !dry_run {
            if secrets.vercel.is_none() {
                self.fail(
                    "vercel-token",
                    "no Vercel token was given",
                    "create a token at https://vercel.com/account/tokens, store it as a repository secret and pass `vercel-token: ${{ secrets.VERCEL_TOKEN }}`; or set `dry-run: true` to preview",
                );
            }
            if project.is_none() && !self.errors.iter().any(|e| e.input == "project") {
                self.fail(
                    "project",
                    "no Vercel project was given",
                    "set project to the project's name or id (Project Settings > General > Project ID)",
                );
            }
        }
        let mode = self.choice(
            "mode",
            &args.mode,
            Mode::Invalidate,
            &[("invalidate", Mode::Invalidate), ("delete", Mode::Delete)],
        );
        let revalidation_deadline_seconds = self.deadline(args, mode);
        let concurrency = self.integer("concurrency", &args.concurrency, 4, 1..=32) as usize;
        let vercel_api_url = match self.value("vercel-api-url", &args.vercel_api_url) {
            Some(value) => parse_api_url("vercel-api-url", &value)
                .map_err(|e| self.errors.push(e))
                .ok(),
            None => None,
        }
        .unwrap_or_else(|| Url::parse("https://api.vercel.com").expect("constant URL"));
        Sending {
            project,
            team_id,
            team_slug,
            mode,
            revalidation_deadline_seconds,
            concurrency,
            vercel_api_url,
        }
    }

    fn deadline(&mut self, args: &Args, mode: Mode) -> Option<u64> {
        let name = "revalidation-deadline-seconds";
        let flag = &args.revalidation_deadline_seconds;
        self.value(name, flag)?;
        if mode != Mode::Delete {
            self.fail(
                name,
                "it applies only with `mode: delete`",
                "remove revalidation-deadline-seconds, or set `mode: delete`",
            );
            return None;
        }
        Some(self.integer(name, flag, 0, 0..=MAX_DEADLINE_SECONDS))
    }

    fn mapping(&mut self, args: &Args, warnings: &mut Vec<String>) -> Mapping {
        let include_lines = self.lines("include", &args.include);
        let include_lines = if include_lines.is_empty() {
            vec![DEFAULT_INCLUDE.to_string()]
        } else {
            include_lines
        };
        let include = self.globs("include", &include_lines, warnings);
        let exclude_lines = self.lines("exclude", &args.exclude);
        let exclude = self.globs("exclude", &exclude_lines, warnings);
        let dir_lines = self.lines("public-dir", &args.public_dir);
        let public_dirs = PublicDirs::parse(&dir_lines, warnings)
            .map_err(|e| self.errors.push(InputError::from_rule("public-dir", e)))
            .unwrap_or_default();
        let url_prefix = match self.value("url-prefix", &args.url_prefix) {
            Some(value) => UrlPrefix::parse(&value)
                .map_err(|e| self.errors.push(InputError::from_rule("url-prefix", e)))
                .unwrap_or_default(),
            None => UrlPrefix::default(),
        };
        let change_types = match self.value("change-types", &args.change_types) {
            None => ChangeKind::ALL.into_iter().collect(),
            Some(value) => parse_change_types(&value).unwrap_or_else(|e| {
                self.errors.push(e);
                BTreeSet::new()
            }),
        };
        Mapping {
            include,
            exclude,
            public_dirs,
            url_prefix,
            change_types,
        }
    }

    fn globs(&mut self, name: &str, lines: &[String], warnings: &mut Vec<String>) -> Globs {
        Globs::compile(name, lines, warnings)
            .map_err(|errors| {
                let errors = errors.into_iter().map(|e| InputError::from_rule(name, e));
                self.errors.extend(errors);
            })
            .unwrap_or_default()
    }

    fn github_api_url(&mut self, args: &Args) -> Url {
        match args
            .github_api_url
            .clone()
            .or_else(|| self.env.get("GITHUB_API_URL").cloned())
            .filter(|v| !v.trim().is_empty())
        {
            Some(value) => parse_api_url("GITHUB_API_URL", value.trim())
                .map_err(|e| self.errors.push(e))
                .ok(),
            None => None,
        }
        .unwrap_or_else(|| Url::parse("https://api.github.com").expect("constant URL"))
    }

    /// The diff source, and what the GitHub API (for it or for waiting)
    /// needs: a token and a repository.
    fn diff_source(
        &mut self,
        args: &Args,
        runner: &Runner,
        secrets: &Secrets,
        wait_for_deployment: bool,
    ) -> DiffSource {
        let diff_source = match self.choice(
            "diff-source",
            &args.diff_source,
            None,
            &[
                ("api", Some(DiffSource::Api)),
                ("git", Some(DiffSource::Git)),
                ("auto", None),
            ],
        ) {
            Some(source) => source,
            None if runner.in_actions && secrets.github.is_some() => DiffSource::Api,
            None => DiffSource::Git,
        };
        if diff_source == DiffSource::Api && secrets.github.is_none() {
            self.fail(
                "github-token",
                "`diff-source: api` needs a GitHub token and none was given",
                "pass `github-token: ${{ github.token }}` (the default), or set `diff-source: git` after actions/checkout",
            );
        }
        if wait_for_deployment && secrets.github.is_none() {
            self.fail(
                "github-token",
                "`wait-for-deployment: true` reads GitHub deployments and no GitHub token was given",
                "pass `github-token: ${{ github.token }}` and grant `deployments: read`",
            );
        }
        let needs_repository = diff_source == DiffSource::Api || wait_for_deployment;
        match &runner.repository {
            Some(repository) if !is_repository(repository) => self.fail(
                "repository",
                format!(
                    "`{}` is not a repository name of the form owner/name",
                    crate::actions::one_line(repository)
                ),
                "pass --repository owner/name (in Actions GITHUB_REPOSITORY is set for you)",
            ),
            None if needs_repository => self.fail(
                "repository",
                "the GitHub API is needed (diff-source api or wait-for-deployment) but no repository was given",
                "pass --repository owner/name, or use --diff-source git in a clone",
            ),
            _ => {}
        }
        diff_source
    }

    /// The hidden knobs: request timeout, retries, deployment polling.
    fn tuning(&mut self, args: &Args) -> (Http, Polling) {
        let request_timeout =
            self.seconds("request-timeout", &args.request_timeout, 30.0, 0.05, 600.0);
        let max_attempts = self.integer("max-attempts", &args.max_attempts, 5, 1..=10) as u32;
        let initial_delay = self.seconds(
            "retry-initial-delay",
            &args.retry_initial_delay,
            1.0,
            0.0,
            60.0,
        );
        let max_delay = self.seconds("retry-max-delay", &args.retry_max_delay, 60.0, 0.0, 3600.0);
        let max_wait = self.seconds("retry-max-wait", &args.retry_max_wait, 300.0, 0.0, 3600.0);
        let poll_initial = self.seconds(
            "poll-initial-interval",
            &args.poll_initial_interval,
            3.0,
            0.01,
            60.0,
        );
        let poll_max = self.seconds(
            "poll-max-interval",
            &args.poll_max_interval,
            15.0,
            0.01,
            300.0,
        );
        let http = Http {
            timeout: request_timeout,
            retry: RetryPolicy {
                max_attempts,
                initial_delay,
                max_delay: max_delay.max(initial_delay),
                max_wait,
            },
        };
        let polling = Polling {
            initial: poll_initial,
            max: poll_max.max(poll_initial),
        };
        (http, polling)
    }
}

/// `owner/name` as GitHub allows them: letters, digits, `-`, `_`, `.`.
fn is_repository(text: &str) -> bool {
    let valid = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    matches!(text.split_once('/'), Some((owner, name)) if valid(owner) && valid(name))
}

fn parse_change_types(value: &str) -> Result<BTreeSet<ChangeKind>, InputError> {
    let mut kinds = BTreeSet::new();
    let mut unknown = Vec::new();
    for word in value
        .split([',', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        match ChangeKind::parse(word) {
            Some(kind) => {
                kinds.insert(kind);
            }
            None => unknown.push(word.to_string()),
        }
    }
    if unknown.is_empty() && !kinds.is_empty() {
        return Ok(kinds);
    }
    let hint = if unknown.iter().any(|w| w.eq_ignore_ascii_case("deleted")) {
        " (`deleted` is called `removed` here)"
    } else {
        ""
    };
    Err(InputError::new(
        "change-types",
        format!(
            "`{}` is not a change type{hint}",
            unknown.join(", ").replace('\n', " ")
        ),
        "list any of added, modified, removed, renamed, separated by commas",
    ))
}

fn parse_images(
    lines: &[String],
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut images = Vec::new();
    for line in lines {
        let chars = line.chars().count();
        let shown = || {
            let short: String = line.chars().take(60).collect();
            let more = if chars > 60 { "..." } else { "" };
            format!("{}{more}", crate::actions::one_line(&short))
        };
        // A file name may hold spaces and commas, so such a line is sent as
        // the one path it is; but a form field (workflow_dispatch) is one
        // line, and `/a.png /b.png` there is more likely two paths.
        let looks_like_several = line
            .split([' ', '\t', ','])
            .skip(1)
            .any(|word| word.starts_with('/') || word.starts_with("https://"));
        if looks_like_several {
            warnings.push(format!(
                "images: `{}` is sent as one path, but looks like several on one line; put one path a line (from a workflow_dispatch form, whose fields are one line, pass them with `gh workflow run -f images=...` and newlines)",
                shown()
            ));
        }
        if chars > MAX_PATH_CHARS {
            errors.push(InputError::new(
                "images",
                format!(
                    "`{}` is {chars} characters long; Vercel accepts at most {MAX_PATH_CHARS}",
                    shown()
                ),
                "shorten the path, or leave it out",
            ));
        } else if !(line.starts_with('/')
            || line.starts_with("https://")
            || line.starts_with("http://"))
        {
            errors.push(InputError::new(
                "images",
                format!("`{}` is not a public path", shown()),
                "give public paths as a page writes them, starting with / (such as /images/hero.png), or absolute https:// URLs, one a line",
            ));
        } else if !images.contains(line) {
            images.push(line.clone());
        }
    }
    if errors.is_empty() {
        Ok(images)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn build(flags: &[&str], pairs: &[(&str, &str)]) -> Result<Config, InputErrors> {
        let mut argv = vec!["vercel-image-invalidate"];
        argv.extend_from_slice(flags);
        let args = Args::try_parse_from(argv).expect("flags parse");
        let env = env(pairs);
        let secrets = Secrets::resolve(&args, &env);
        Config::build(&args, &env, secrets)
    }

    fn error_inputs(result: Result<Config, InputErrors>) -> Vec<String> {
        match result {
            Ok(_) => panic!("expected an error"),
            Err(errors) => errors.0.into_iter().map(|e| e.input).collect(),
        }
    }

    const OK: &[(&str, &str)] = &[("INPUT_VERCEL-TOKEN", "tok"), ("INPUT_PROJECT", "site")];

    #[test]
    fn defaults_apply_when_inputs_are_empty() {
        let mut pairs = OK.to_vec();
        pairs.extend([
            ("INPUT_INCLUDE", ""),
            ("INPUT_MODE", "  "),
            ("INPUT_CONCURRENCY", ""),
        ]);
        let config = build(&[], &pairs).expect("valid");
        assert_eq!(config.concurrency, 4);
        assert_eq!(config.mode, Mode::Invalidate);
        assert!(config.fail_on_error);
        assert!(!config.dry_run);
        assert_eq!(config.change_types.len(), 4);
        assert_eq!(config.deployment_environment, "Production");
        assert_eq!(config.deployment_timeout, Duration::from_secs(600));
        assert_eq!(config.vercel_api_url.as_str(), "https://api.vercel.com/");
        assert_eq!(config.diff_source, DiffSource::Git);
        assert!(config.include.is_match("public/a/b.png"));
    }

    #[test]
    fn a_flag_wins_over_its_input_variable() {
        let config = build(&["--concurrency", "9", "--project", "flag-site"], OK).expect("valid");
        assert_eq!(config.concurrency, 9);
        assert_eq!(config.project.as_deref(), Some("flag-site"));
    }

    #[test]
    fn booleans_accept_any_case_and_nothing_else() {
        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_DRY-RUN", "TRUE"));
        pairs.push(("INPUT_FAIL-ON-ERROR", "False"));
        let config = build(&[], &pairs).expect("valid");
        assert!(config.dry_run);
        assert!(!config.fail_on_error);

        for bad in ["yes", "1", "on", "tru"] {
            let mut pairs = OK.to_vec();
            pairs.push(("INPUT_DRY-RUN", bad));
            assert_eq!(error_inputs(build(&[], &pairs)), ["dry-run"], "{bad}");
        }
    }

    #[test]
    fn every_bad_input_is_reported_at_once() {
        let result = build(
            &[],
            &[
                ("INPUT_MODE", "purge"),
                ("INPUT_CONCURRENCY", "0"),
                ("INPUT_INCLUDE", "public/[a.png"),
                ("INPUT_VERCEL-API-URL", "http://example.com"),
            ],
        );
        let inputs = error_inputs(result);
        for expected in [
            "vercel-token",
            "project",
            "include",
            "mode",
            "concurrency",
            "vercel-api-url",
        ] {
            assert!(
                inputs.contains(&expected.to_string()),
                "{expected} in {inputs:?}"
            );
        }
    }

    #[test]
    fn errors_name_the_value_and_the_fix() {
        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_CONCURRENCY", "64"));
        let errors = build(&[], &pairs).expect_err("out of range");
        let error = &errors.0[0];
        assert_eq!(
            error.to_string(),
            "input `concurrency`: `64` is not a whole number from 1 to 32"
        );
        assert!(error.help.contains("1 to 32"));
    }

    #[test]
    fn a_dry_run_needs_no_token_or_project() {
        let config = build(&["--dry-run"], &[]).expect("valid");
        assert!(config.dry_run);
        assert!(config.vercel_token.is_none());
    }

    #[test]
    fn token_comes_from_input_then_fallback_variable_and_is_trimmed() {
        let config = build(&["--project", "p"], &[("VERCEL_TOKEN", " tok\n")]).expect("valid");
        assert_eq!(
            config.vercel_token.as_ref().map(Secret::expose),
            Some("tok")
        );
        let config = build(
            &["--project", "p"],
            &[
                ("VERCEL_TOKEN", "fallback"),
                ("INPUT_VERCEL-TOKEN", "input"),
            ],
        )
        .expect("valid");
        assert_eq!(
            config.vercel_token.as_ref().map(Secret::expose),
            Some("input")
        );
    }

    #[test]
    fn a_token_with_inner_blanks_is_refused_without_showing_it() {
        let errors = build(&["--project", "p"], &[("INPUT_VERCEL-TOKEN", "abc def")])
            .expect_err("bad token");
        let text = format!("{errors} {errors:?}");
        assert!(text.contains("vercel-token"));
        assert!(!text.contains("abc def"));
    }

    #[test]
    fn api_urls_must_be_https_unless_loopback() {
        for ok in [
            "https://api.vercel.com",
            "http://127.0.0.1:8080",
            "http://localhost:3000/proxy",
            "http://[::1]:9",
        ] {
            assert!(parse_api_url("x", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.vercel.com",
            "http://10.0.0.1",
            "ftp://api.vercel.com",
            "api.vercel.com",
            "https://user:pass@api.vercel.com",
            "https://user:pass@api.vercel.com:99999",
            "https://api.vercel.com/?a=b",
        ] {
            let error = parse_api_url("vercel-api-url", bad).expect_err(bad);
            assert!(!error.to_string().contains("pass@"), "{error}");
        }
    }

    #[test]
    fn change_types_take_commas_or_lines() {
        let set = parse_change_types("added, removed\nrenamed").expect("valid");
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Renamed]
        );
        let error = parse_change_types("modified,deleted").expect_err("deleted");
        assert!(error.problem.contains("`removed`"), "{}", error.problem);
    }

    #[test]
    fn deadline_only_with_delete_mode_and_in_range() {
        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_REVALIDATION-DEADLINE-SECONDS", "60"));
        assert_eq!(
            error_inputs(build(&[], &pairs)),
            ["revalidation-deadline-seconds"]
        );
        pairs.push(("INPUT_MODE", "Delete"));
        let config = build(&[], &pairs).expect("valid");
        assert_eq!(config.revalidation_deadline_seconds, Some(60));
        assert_eq!(config.mode, Mode::Delete);
        let errors = build(
            &[
                "--mode",
                "delete",
                "--revalidation-deadline-seconds",
                "31536001",
            ],
            OK,
        );
        assert_eq!(error_inputs(errors), ["revalidation-deadline-seconds"]);
    }

    #[test]
    fn images_are_public_paths_within_the_length_limit() {
        let config = build(
            &[
                "--images",
                "/a.png\n\n/b.png\n/a.png",
                "--images",
                "https://cdn.example.com/c.png",
            ],
            OK,
        )
        .expect("valid");
        assert_eq!(
            config.images,
            ["/a.png", "/b.png", "https://cdn.example.com/c.png"]
        );
        assert_eq!(error_inputs(build(&["--images", "a.png"], OK)), ["images"]);
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        let long = format!("/{}", "x".repeat(MAX_PATH_CHARS));
        assert_eq!(error_inputs(build(&["--images", &long], OK)), ["images"]);
    }

    #[test]
    fn several_paths_on_one_images_line_are_sent_as_written_with_a_warning() {
        for line in [
            "/a.png /b.png",
            "/a.png,/b.png",
            "/a.png, https://cdn.example.com/b.png",
        ] {
            let config = build(&["--images", line], OK).expect("valid");
            assert_eq!(config.images, [line]);
            assert_eq!(config.warnings.len(), 1, "{line}");
            assert!(config.warnings[0].contains("put one path a line"), "{line}");
        }
        for line in ["/photos/my photo.jpg", "/img/a, b.png", "/img/a+b c.png"] {
            let config = build(&["--images", line], OK).expect("valid");
            assert_eq!(config.images, [line]);
            assert!(config.warnings.is_empty(), "{line}: {:?}", config.warnings);
        }
    }

    #[test]
    fn revisions_cannot_smuggle_git_options() {
        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_BASE", "--output=/tmp/x"));
        assert_eq!(error_inputs(build(&[], &pairs)), ["base"]);
        assert_eq!(error_inputs(build(&["--head", "a b"], OK)), ["head"]);
        let config = build(&["--base", "HEAD~1"], OK).expect("valid");
        assert_eq!(config.base.as_deref(), Some("HEAD~1"));
    }

    #[test]
    fn diff_source_auto_picks_api_only_inside_actions_with_a_token() {
        let mut pairs = OK.to_vec();
        pairs.push(("GITHUB_ACTIONS", "true"));
        pairs.push(("GITHUB_REPOSITORY", "acme/site"));
        assert_eq!(
            build(&[], &pairs).expect("valid").diff_source,
            DiffSource::Git
        );
        pairs.push(("INPUT_GITHUB-TOKEN", "ghs_x"));
        assert_eq!(
            build(&[], &pairs).expect("valid").diff_source,
            DiffSource::Api
        );
        assert_eq!(
            build(&["--diff-source", "git"], &pairs)
                .expect("valid")
                .diff_source,
            DiffSource::Git
        );
        assert_eq!(
            error_inputs(build(&["--diff-source", "api", "--repository", "a/b"], OK)),
            ["github-token"]
        );
    }

    #[test]
    fn the_api_source_needs_a_repository_of_the_right_shape() {
        let with_token = [("INPUT_GITHUB-TOKEN", "ghs_x"), ("INPUT_DRY-RUN", "true")];
        assert_eq!(
            error_inputs(build(&["--diff-source", "api"], &with_token)),
            ["repository"]
        );
        assert_eq!(
            error_inputs(build(
                &["--diff-source", "api", "--repository", "a/b/c"],
                &with_token
            )),
            ["repository"]
        );
        assert_eq!(
            error_inputs(build(
                &["--diff-source", "api", "--repository", "../x"],
                &with_token
            )),
            ["repository"]
        );
        let config = build(
            &["--diff-source", "api", "--repository", "acme/site.io"],
            &with_token,
        )
        .expect("valid");
        assert_eq!(config.runner.repository.as_deref(), Some("acme/site.io"));
    }

    #[test]
    fn github_api_url_is_checked_like_the_vercel_one() {
        let mut pairs = OK.to_vec();
        pairs.push(("GITHUB_API_URL", "http://ghe.example.com/api/v3"));
        assert_eq!(error_inputs(build(&[], &pairs)), ["GITHUB_API_URL"]);
        pairs.pop();
        pairs.push(("GITHUB_API_URL", "https://ghe.example.com/api/v3"));
        let config = build(&[], &pairs).expect("valid");
        assert_eq!(config.github_api_url.path(), "/api/v3");
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        for (flag, value) in [
            ("--concurrency", "33"),
            ("--concurrency=-1", ""),
            ("--concurrency", "four"),
            ("--deployment-timeout", "0"),
            ("--max-attempts", "0"),
            ("--request-timeout", "NaN"),
        ] {
            let flags: Vec<&str> = [flag, value]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            let result = build(&flags, OK);
            assert!(result.is_err(), "{flag} {value}");
        }
    }
}
