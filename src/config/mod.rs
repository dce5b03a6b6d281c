//! The boundary: flags and `INPUT_*` variables in, one validated [`Config`]
//! out, and from it each stage's own settings. Nothing below this module
//! reads the environment or sees a `Config`.
//!
//! Each input is read by name through [`Reader`], as the table in
//! [`crate::inputs`] says; what is checked here is what the table cannot
//! say: a stage's own parsing (globs, folders, prefixes), and the rules
//! between inputs (a token unless `dry-run`, a deadline only with `delete`).
//! Every problem is collected, so one run reports all bad inputs, each with
//! the value (never a secret's), and the fix.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::args::Args;
use crate::changes::{ChangeKind, DiffSource};
use crate::deploy::Polling;
use crate::event;
use crate::inputs::{self, Reader};

mod ids;

use self::ids::{team_id, vercel_id};
pub use crate::inputs::{Env, InputError, InputErrors, input_var};
use crate::live;
use crate::retry::{Http, RetryPolicy};
use crate::secret::Secret;
use crate::select::{Globs, MAX_PATH_CHARS, PublicDirs, UrlPrefix};
use crate::untrusted::ValueError;
use crate::vercel::{self, Mode};

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
    /// `HOME` and `RUNNER_TEMP`: where files for later steps can go.
    pub home: Option<PathBuf>,
    pub temp: Option<PathBuf>,
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
    /// The Vercel project's Root Directory, normalised (empty: the
    /// repository root).
    pub site_dir: String,
    /// `None`: `auto`, the site's own, known once its config is read.
    pub public_dirs: Option<PublicDirs>,
    /// `None`: `auto`, the site's own, known once its config is read.
    pub url_prefix: Option<UrlPrefix>,
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
    pub live: LiveInputs,
    pub runner: Runner,
    /// Things that are allowed but probably not meant, to print as warnings.
    pub warnings: Vec<String>,
}

/// What the live site is asked after invalidating (`site-url` and the
/// inputs that go with it).
#[derive(Clone, Debug)]
pub struct LiveInputs {
    /// The origin; `None`: the site is not asked.
    pub site_url: Option<Url>,
    pub verify: bool,
    pub warm: bool,
    pub warm_limit: usize,
    pub bypass: Option<Secret>,
    pub fail_on_unverified: bool,
    pub timing: live::Timing,
    /// `live-timeout`.
    pub time_limit: std::time::Duration,
}

impl LiveInputs {
    /// Whether the live site is to be asked at all.
    pub fn asked(&self) -> bool {
        self.site_url.is_some() && (self.verify || self.warm)
    }
}

/// The secrets, found before anything else so they can be masked first.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    pub vercel: Option<Secret>,
    pub github: Option<Secret>,
    /// `vercel-protection-bypass`.
    pub bypass: Option<Secret>,
}

impl Secrets {
    pub fn resolve(args: &Args, env: &Env) -> Self {
        let pick = |name| inputs::given(inputs::input(name), &args.flags, env).map(Secret::new);
        Self {
            vercel: pick("vercel-token"),
            github: pick("github-token"),
            bypass: pick("vercel-protection-bypass"),
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Secret> {
        self.vercel
            .iter()
            .chain(self.github.iter())
            .chain(self.bypass.iter())
    }
}

/// Parses an API origin: `https://`, or `http://` to a loopback host only (a
/// token must never cross a network in clear text).
pub fn parse_api_url(input: &str, value: &str) -> Result<Url, InputError> {
    parse_origin(input, value, "https://api.example.com")
}

/// Parses `site-url`: an origin as [`parse_api_url`] takes it (the bypass
/// secret must not cross a network in clear text either), and nothing after
/// it: the base path comes from the site's config or `url-prefix`.
pub fn parse_site_url(value: &str) -> Result<Url, InputError> {
    let url = parse_origin("site-url", value, "https://example.com")?;
    if url.path() != "/" {
        return Err(InputError::new(
            "site-url",
            format!("`{url}` has a path (`{}`)", url.path()),
            "give the origin only, such as https://example.com; a basePath comes from the site's config or url-prefix",
        ));
    }
    Ok(url)
}

fn parse_origin(input: &str, value: &str, example: &str) -> Result<Url, InputError> {
    let bad = |problem: String, help: &str| Err(InputError::new(input, problem, help));
    let origin = format!("set it to an origin such as {example}");
    let only = format!("give the origin only, such as {example}");
    let url = match Url::parse(value) {
        Ok(url) => url,
        Err(error) => {
            return bad(
                format!(
                    "`{}` is not a URL: {error}",
                    crate::untrusted::without_credentials(value)
                ),
                &origin,
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
        return bad(format!("`{url}` has a query or fragment"), &only);
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
            home: get("HOME").map(PathBuf::from),
            temp: get("RUNNER_TEMP").map(PathBuf::from),
            debug: verbose || get("RUNNER_DEBUG").is_some_and(|v| v == "1"),
        }
    }
}

impl Config {
    pub fn build(args: &Args, env: &Env, secrets: Secrets) -> Result<Self, InputErrors> {
        let mut r = Reader::new(&args.flags, env);
        let mut warnings = Vec::new();
        let mut runner = Runner::from_env(env, args.verbose);
        runner.repository = r.text("repository");
        let http = Http {
            timeout: r.seconds("request-timeout"),
            retry: RetryPolicy {
                max_attempts: r.integer("max-attempts") as u32,
                initial_delay: r.seconds("retry-initial-delay"),
                max_delay: r.seconds("retry-max-delay"),
                max_wait: r.seconds("retry-max-wait"),
            },
        };
        let polling = Polling {
            initial: r.seconds("poll-initial-interval"),
            max: r.seconds("poll-max-interval"),
            elsewhere_after: r.seconds("environment-grace"),
            heartbeat: r.seconds("heartbeat-interval"),
        };
        let mode = mode(&mut r);
        let config = Config {
            project: vercel_id(&mut r, "project"),
            team_id: team_id(&mut r),
            team_slug: vercel_id(&mut r, "team-slug"),
            include: globs(&mut r, "include", &mut warnings),
            exclude: globs(&mut r, "exclude", &mut warnings),
            site_dir: site_dir(&mut r),
            public_dirs: public_dirs(&mut r, &mut warnings),
            url_prefix: url_prefix(&mut r),
            change_types: change_types(&mut r),
            mode,
            revalidation_deadline_seconds: deadline(&mut r, mode),
            images: images(&mut r, &mut warnings),
            diff_source: diff_source(&mut r, &runner, &secrets),
            base: revision(&mut r, "base"),
            head: revision(&mut r, "head"),
            wait_for_deployment: r.boolean("wait-for-deployment"),
            deployment_environment: r.text("deployment-environment").unwrap_or_default(),
            deployment_timeout: Duration::from_secs(r.integer("deployment-timeout")),
            concurrency: r.integer("concurrency") as usize,
            fail_on_error: r.boolean("fail-on-error"),
            dry_run: r.boolean("dry-run"),
            vercel_api_url: api_url(&mut r, "vercel-api-url", "vercel-api-url"),
            github_api_url: api_url(&mut r, "github-api-url", "GITHUB_API_URL"),
            http: http.tidy(),
            polling: polling.tidy(),
            live: live_inputs(&mut r, secrets.bypass),
            vercel_token: secrets.vercel,
            github_token: secrets.github,
            runner,
            warnings,
        };
        config.check(&mut r);
        if r.errors.is_empty() {
            Ok(config)
        } else {
            Err(InputErrors(r.errors))
        }
    }

    /// The rules between inputs.
    fn check(&self, r: &mut Reader<'_>) {
        check_token(r, "vercel-token", &self.vercel_token);
        check_token(r, "github-token", &self.github_token);
        if !self.dry_run {
            if self.vercel_token.is_none() {
                r.fail(
                    "vercel-token",
                    "no Vercel token was given",
                    "create a token at https://vercel.com/account/tokens, store it as a repository secret and pass `vercel-token: ${{ secrets.VERCEL_TOKEN }}`; or set `dry-run: true` to preview",
                );
            }
            if self.project.is_none() && !r.errors.iter().any(|e| e.input == "project") {
                r.fail(
                    "project",
                    "no Vercel project was given",
                    "set project to the project's name or id (Project Settings > General > Project ID)",
                );
            }
        }
        self.check_github(r);
        self.check_live(r);
    }

    /// The live site only once the deployment is live: a probe before the
    /// new deployment serves would cache the old image again. A push is
    /// the one trigger that does not say so by itself.
    fn check_live(&self, r: &mut Reader<'_>) {
        let live = &self.live;
        check_token(r, "vercel-protection-bypass", &live.bypass);
        if live.site_url.is_none() {
            if live.warm {
                r.fail(
                    "warm",
                    "`warm: true` needs the live site and site-url is not set",
                    "set site-url to the production origin (https://example.com), or remove warm",
                );
            }
            return;
        }
        let push = self.runner.event_name.as_deref() == Some("push");
        if live.asked() && push && !self.wait_for_deployment && !self.dry_run {
            let name = if live.verify { "verify" } else { "warm" };
            r.fail(
                name,
                format!("`{name}` on a push without `wait-for-deployment` would ask the site before the new deployment serves, and cache the old image again"),
                "set `wait-for-deployment: true` (with `deployments: read`), or run on `deployment_status`, or set `verify: false` and `warm: false`",
            );
        }
    }

    /// What the GitHub API (for the diff or for waiting) needs: a token and
    /// a repository.
    fn check_github(&self, r: &mut Reader<'_>) {
        let api = self.diff_source == DiffSource::Api;
        if api && self.github_token.is_none() {
            r.fail(
                "github-token",
                "`diff-source: api` needs a GitHub token and none was given",
                "pass `github-token: ${{ github.token }}` (the default), or set `diff-source: git` after actions/checkout",
            );
        }
        if self.wait_for_deployment && self.github_token.is_none() {
            r.fail(
                "github-token",
                "`wait-for-deployment: true` reads GitHub deployments and no GitHub token was given",
                "pass `github-token: ${{ github.token }}` and grant `deployments: read`",
            );
        }
        match &self.runner.repository {
            Some(repository) if !is_repository(repository) => r.fail(
                "repository",
                format!(
                    "`{}` is not a repository name of the form owner/name",
                    crate::actions::one_line(repository)
                ),
                "pass --repository owner/name (in Actions GITHUB_REPOSITORY is set for you)",
            ),
            None if api || self.wait_for_deployment => r.fail(
                "repository",
                "the GitHub API is needed (diff-source api or wait-for-deployment) but no repository was given",
                "pass --repository owner/name, or use --diff-source git in a clone",
            ),
            _ => {}
        }
    }

    /// What the event stage needs to decide what to compare.
    pub fn event_settings(&self) -> event::Settings {
        event::Settings {
            base: self.base.clone(),
            head: self.head.clone(),
            images: self.images.clone(),
            sha: self.runner.sha.clone(),
            deployment_environment: self.deployment_environment.clone(),
            project: self.project.clone(),
        }
    }

    /// Where the live site is and the requests' limits and timing, `None`
    /// when the site is not asked (or in a dry run, which invalidates
    /// nothing). How the site serves its images comes from the site stage
    /// ([`live::Served`]).
    pub fn live_requests(&self) -> Option<live::Requests> {
        let inputs = &self.live;
        let origin = inputs
            .site_url
            .clone()
            .filter(|_| inputs.asked() && !self.dry_run)?;
        Some(live::Requests {
            site: origin,
            concurrency: self.concurrency,
            timeout: self.http.timeout,
            retry: self.http.retry.clone(),
            bypass: inputs.bypass.clone(),
            timing: inputs.timing.clone(),
            warm_limit: inputs.warm_limit,
            mode: self.mode,
            time_limit: inputs.time_limit,
            hidden: self
                .vercel_token
                .iter()
                .chain(&self.github_token)
                .cloned()
                .collect(),
        })
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

/// `site-url` and the inputs that go with it, each read whether or not the
/// site is set, so that a bad value is always reported.
fn live_inputs(r: &mut Reader<'_>, bypass: Option<Secret>) -> LiveInputs {
    let site_url = r.text("site-url").and_then(|value| {
        parse_site_url(&value)
            .map_err(|error| r.errors.push(error))
            .ok()
    });
    let first_interval = r.seconds("verify-interval");
    LiveInputs {
        site_url,
        verify: r.boolean("verify"),
        warm: r.boolean("warm"),
        warm_limit: r.integer("warm-limit") as usize,
        bypass,
        fail_on_unverified: r.boolean("fail-on-unverified"),
        timing: live::Timing {
            grace: r.seconds("verify-grace"),
            first_interval,
            growth: live::Timing::default().growth,
            max_interval: r.seconds("verify-max-interval").max(first_interval),
            bound: r.seconds("verify-timeout"),
        },
        time_limit: r.seconds("live-timeout"),
    }
}

impl Http {
    /// The longest backoff is never shorter than the first.
    fn tidy(self) -> Self {
        let retry = RetryPolicy {
            max_delay: self.retry.max_delay.max(self.retry.initial_delay),
            ..self.retry
        };
        Self { retry, ..self }
    }
}

impl Polling {
    /// The longest interval is never shorter than the first.
    fn tidy(self) -> Self {
        Self {
            max: self.max.max(self.initial),
            ..self
        }
    }
}

impl InputError {
    /// A stage's complaint about a rule, said of the input it came from.
    fn from_rule(input: &str, error: ValueError) -> Self {
        Self::new(input, error.problem, error.help)
    }
}

/// A name that goes into a query string or an API path: no blanks, no
/// control characters.
fn identifier(r: &mut Reader<'_>, name: &str) -> Option<String> {
    let value = r.text(name)?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) || value.len() > 256 {
        r.fail(
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

fn check_token(r: &mut Reader<'_>, name: &str, secret: &Option<Secret>) {
    if let Some(secret) = secret
        && !secret.expose().bytes().all(|b| b.is_ascii_graphic())
    {
        r.fail(
            name,
            "the token contains blanks, line breaks or non-ASCII characters (value not shown)",
            format!("copy the token again and store it as a secret without extra characters; pass it as `{name}: ${{{{ secrets.NAME }}}}`"),
        );
    }
}

/// A commit for `base`/`head`: a sha, a ref or a revision expression, but
/// never something git could read as an option.
fn revision(r: &mut Reader<'_>, name: &str) -> Option<String> {
    let value = r.text(name)?;
    if value.starts_with('-')
        || value.len() > 256
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        r.fail(
            name,
            format!("`{}` is not a commit", crate::actions::one_line(&value)),
            format!(
                "set {name} to a commit sha, a branch or tag name, or an expression such as HEAD~1"
            ),
        );
        return None;
    }
    Some(value)
}

fn globs(r: &mut Reader<'_>, name: &str, warnings: &mut Vec<String>) -> Globs {
    Globs::compile(name, &r.lines(name), warnings)
        .map_err(|errors| {
            let errors = errors.into_iter().map(|e| InputError::from_rule(name, e));
            r.errors.extend(errors);
        })
        .unwrap_or_default()
}

/// The word that leaves a value to the site's config.
fn is_auto(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("auto")
}

fn site_dir(r: &mut Reader<'_>) -> String {
    let value = r.text("site-dir").unwrap_or_default();
    crate::site::parse_site_dir(&value)
        .map_err(|e| r.fail("site-dir", e.problem, e.help))
        .unwrap_or_default()
}

/// `None` for `auto` (a folder named `auto` is written `./auto`).
fn public_dirs(r: &mut Reader<'_>, warnings: &mut Vec<String>) -> Option<PublicDirs> {
    let lines = r.lines("public-dir");
    if let [only] = lines.as_slice()
        && is_auto(only)
    {
        return None;
    }
    PublicDirs::parse(&lines, warnings)
        .map_err(|e| r.errors.push(InputError::from_rule("public-dir", e)))
        .ok()
}

/// `None` for `auto`.
fn url_prefix(r: &mut Reader<'_>) -> Option<UrlPrefix> {
    let value = r.text("url-prefix").unwrap_or_default();
    if is_auto(&value) {
        return None;
    }
    UrlPrefix::parse(&value)
        .map_err(|e| r.errors.push(InputError::from_rule("url-prefix", e)))
        .ok()
}

fn change_types(r: &mut Reader<'_>) -> BTreeSet<ChangeKind> {
    let value = r.text("change-types").unwrap_or_default();
    parse_change_types(&value).unwrap_or_else(|e| {
        r.errors.push(e);
        BTreeSet::new()
    })
}

fn mode(r: &mut Reader<'_>) -> Mode {
    match r.choice("mode") {
        "delete" => Mode::Delete,
        _ => Mode::Invalidate,
    }
}

/// Seconds within which deleted variants revalidate: `mode: delete` only.
fn deadline(r: &mut Reader<'_>, mode: Mode) -> Option<u64> {
    let name = "revalidation-deadline-seconds";
    if mode != Mode::Delete && r.given(name).is_some() {
        r.fail(
            name,
            "it applies only with `mode: delete`",
            "remove revalidation-deadline-seconds, or set `mode: delete`",
        );
        return None;
    }
    r.maybe_integer(name)
}

fn images(r: &mut Reader<'_>, warnings: &mut Vec<String>) -> Vec<String> {
    parse_images(&r.lines("images"), warnings).unwrap_or_else(|e| {
        r.errors.extend(e);
        Vec::new()
    })
}

/// `auto`: the API in Actions with a token, else the local repository.
fn diff_source(r: &mut Reader<'_>, runner: &Runner, secrets: &Secrets) -> DiffSource {
    match r.choice("diff-source") {
        "api" => DiffSource::Api,
        "git" => DiffSource::Git,
        _ if runner.in_actions && secrets.github.is_some() => DiffSource::Api,
        _ => DiffSource::Git,
    }
}

/// An API origin; errors name `label` (the variable, for one that usually
/// comes from the runner).
fn api_url(r: &mut Reader<'_>, name: &str, label: &str) -> Url {
    let default = || Url::parse(inputs::input(name).default).expect("the table's URL");
    let value = r.text(name).unwrap_or_default();
    parse_api_url(label, &value).unwrap_or_else(|error| {
        r.errors.push(error);
        default()
    })
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
mod tests;
