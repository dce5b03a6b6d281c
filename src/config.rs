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
pub use crate::inputs::{Env, InputError, InputErrors, input_var};
use crate::live;
use crate::retry::{Http, RetryPolicy};
use crate::secret::Secret;
use crate::select::{Globs, MAX_PATH_CHARS, PublicDirs, RuleError, UrlPrefix};
use crate::site::{self, Framework};
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

    /// What the live-site client needs, `None` when the site is not asked
    /// (or in a dry run, which invalidates nothing). The optimizer and the
    /// widths, qualities and formats it allows come from the site's config:
    /// Next.js's `images` and `basePath`, else `vercel.json`'s `images`;
    /// without a config, Next.js's defaults.
    pub fn live_settings(&self, site: Option<&site::Site>) -> Option<live::Settings> {
        let inputs = &self.live;
        let origin = inputs
            .site_url
            .clone()
            .filter(|_| inputs.asked() && !self.dry_run)?;
        let mut settings = match site {
            Some(site) if site.framework == Framework::NextJs => {
                next_settings(origin, site, self.url_prefix.as_ref())
            }
            Some(site) => vercel_optimizer_settings(origin, site),
            None => live::Settings::new(
                origin,
                live::Optimizer::NextJs {
                    base_path: String::new(),
                },
            ),
        };
        settings.concurrency = self.concurrency;
        settings.timeout = self.http.timeout;
        settings.retry = self.http.retry.clone();
        settings.bypass = inputs.bypass.clone();
        settings.timing = inputs.timing.clone();
        settings.warm_limit = inputs.warm_limit;
        Some(settings)
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

/// Next.js's optimizer under its basePath, with the `images` settings the
/// config writes literally and Next.js's defaults for the rest. A basePath
/// computed at build time is the one `url-prefix` was set to by hand.
fn next_settings(origin: Url, site: &site::Site, url_prefix: Option<&UrlPrefix>) -> live::Settings {
    let images = &site.next_images;
    let base_path = match (&site.base_path, url_prefix) {
        (site::Setting::Known(base), _) => base.clone(),
        (site::Setting::Unknown(_), Some(UrlPrefix::Path(prefix))) => {
            prefix.trim_end_matches('/').to_string()
        }
        _ => String::new(),
    };
    let mut settings = live::Settings::new(origin, live::Optimizer::NextJs { base_path });
    let device = images
        .device_sizes
        .known()
        .cloned()
        .unwrap_or_else(|| live::NEXT_DEVICE_SIZES.to_vec());
    let image = images
        .image_sizes
        .known()
        .cloned()
        .unwrap_or_else(|| live::NEXT_IMAGE_SIZES.to_vec());
    settings.widths = [device, image].concat();
    if let Some(qualities) = images.qualities.known() {
        settings.qualities = qualities.clone();
    }
    if let Some(formats) = images.formats.known() {
        settings.formats = formats.clone();
    }
    settings
}

/// Vercel's own optimizer (`/_vercel/image`), as `vercel.json`'s `images`
/// configures it for any other framework.
fn vercel_optimizer_settings(origin: Url, site: &site::Site) -> live::Settings {
    let images = &site.vercel_images;
    let mut settings = live::Settings::new(origin, live::Optimizer::Vercel);
    if let Some(sizes) = images.sizes.known() {
        settings.widths = sizes.clone();
    }
    if let Some(qualities) = images.qualities.known() {
        settings.qualities = qualities.clone();
    }
    if let Some(formats) = images.formats.known() {
        settings.formats = formats.clone();
    }
    settings
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
    fn from_rule(input: &str, error: RuleError) -> Self {
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

/// A Vercel id input (`project`, `team-id`, `team-slug`): an identifier
/// that is not a placeholder copied from an example.
fn vercel_id(r: &mut Reader<'_>, name: &str) -> Option<String> {
    let value = identifier(r, name)?;
    if is_placeholder(&value) {
        r.fail(
            name,
            format!(
                "`{}` is a placeholder, not a value",
                crate::actions::one_line(&value)
            ),
            match name {
                "project" => "set project to the project's name or id (Project Settings > General > Project ID)",
                "team-id" => "set team-id to the Team ID of Team Settings > General (`team_` and letters and digits), or leave it out for a project of a personal account",
                _ => "set team-slug to the team's URL slug (vercel.com/<slug>), or leave it out for a project of a personal account",
            },
        );
        return None;
    }
    Some(value)
}

/// `team-id`: `team_` followed by letters and digits, as Vercel shows it. A
/// slug given here is named as one, with the input it belongs to.
fn team_id(r: &mut Reader<'_>) -> Option<String> {
    let value = vercel_id(r, "team-id")?;
    let id = value
        .strip_prefix("team_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if id {
        return Some(value);
    }
    let shown = crate::actions::one_line(&value).into_owned();
    let slug = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if slug {
        r.fail(
            "team-id",
            format!("`{shown}` looks like a team slug, not a team id (a team id starts with `team_`)"),
            format!("use `team-slug: {shown}` instead of team-id, or set team-id to the Team ID of Team Settings > General"),
        );
    } else {
        r.fail(
            "team-id",
            format!("`{shown}` is not a team id: a team id is `team_` followed by letters and digits"),
            "set team-id to the Team ID of Team Settings > General (such as `team_` and 24 letters and digits), or use team-slug",
        );
    }
    None
}

/// A value written to be replaced: `<team-id>`, `{project}`, `YOUR_TEAM_ID`,
/// `team_xxxxxxxxxxxx`, `xxx`, `...`.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if value.contains(['<', '>', '{', '}'])
        || lower.starts_with("your_")
        || lower.starts_with("your-")
    {
        return true;
    }
    let rest = ["team_", "prj_"]
        .iter()
        .find_map(|prefix| lower.strip_prefix(prefix))
        .unwrap_or(&lower);
    let filler = |c: char| matches!(c, 'x' | '.' | '*' | '…' | '_' | '-');
    rest.chars().count() >= 3 && rest.chars().all(filler)
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
    fn site_dir_public_dir_and_url_prefix_default_to_the_site() {
        let config = build(&[], OK).expect("valid");
        assert_eq!(config.site_dir, "");
        assert_eq!(config.public_dirs, None, "auto");
        assert_eq!(config.url_prefix, None, "auto");

        let mut pairs = OK.to_vec();
        pairs.extend([
            ("INPUT_SITE-DIR", "./apps/web/"),
            ("INPUT_PUBLIC-DIR", " AUTO "),
            ("INPUT_URL-PREFIX", "Auto"),
        ]);
        let config = build(&[], &pairs).expect("valid");
        assert_eq!(config.site_dir, "apps/web");
        assert_eq!((config.public_dirs, config.url_prefix), (None, None));

        // A folder named `auto` is written as a path; a second line is a list.
        let config =
            build(&["--public-dir", "./auto", "--url-prefix", "/docs"], OK).expect("valid");
        assert_eq!(
            config.public_dirs.as_ref().map(PublicDirs::dirs),
            Some(&["auto".to_string()][..])
        );
        assert_eq!(config.url_prefix, Some(UrlPrefix::Path("/docs/".into())));
        let config = build(&["--public-dir", "auto\nstatic"], OK).expect("valid");
        assert_eq!(config.public_dirs.map(|d| d.dirs().len()), Some(2));

        for bad in ["../web", "/abs", "apps//web"] {
            let errors = error_inputs(build(&["--site-dir", bad], OK));
            assert_eq!(errors, ["site-dir"], "{bad}");
        }
    }

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
        assert_eq!(config.deployment_environment, "auto");
        assert_eq!(config.polling.elsewhere_after, Duration::from_secs(60));
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
    fn every_input_the_table_can_refuse_is_read() {
        for input in crate::inputs::INPUTS {
            if matches!(
                input.kind,
                inputs::Kind::Text | inputs::Kind::Lines | inputs::Kind::Secret
            ) {
                continue;
            }
            let mut pairs = OK.to_vec();
            pairs.push(("INPUT_MODE", "delete"));
            let variable = input.variable();
            pairs.push((&variable, "not-a-value"));
            assert_eq!(error_inputs(build(&[], &pairs)), [input.name]);
        }
    }

    #[test]
    fn placeholders_and_slugs_in_id_inputs_are_refused_with_the_fix() {
        let with = |name: &str, value: &str| {
            let variable = format!("INPUT_{}", name.to_uppercase());
            let mut pairs = vec![("INPUT_VERCEL-TOKEN", "tok"), ("INPUT_PROJECT", "site")];
            pairs.push((variable.as_str(), value));
            build(&[], &pairs)
        };
        for (name, value) in [
            ("team-id", "team_xxxxxxxxxxxx"),
            ("team-id", "<team-id>"),
            ("team-id", "YOUR_TEAM_ID"),
            ("team-slug", "<team-slug>"),
            ("team-slug", "your-team"),
            ("project", "YOUR_PROJECT"),
            ("project", "prj_XXXXXXXX"),
            ("project", "{project}"),
        ] {
            let errors = with(name, value).expect_err(value);
            assert_eq!(errors.0.len(), 1, "{value}");
            assert_eq!(errors.0[0].input, name, "{value}");
            assert!(
                errors.0[0].problem.contains("placeholder"),
                "{value}: {:?}",
                errors.0
            );
        }
        let slug = with("team-id", "acme-inc").expect_err("a slug");
        assert!(
            slug.0[0].problem.contains("looks like a team slug"),
            "{:?}",
            slug.0
        );
        assert!(
            slug.0[0].help.contains("team-slug: acme-inc"),
            "{:?}",
            slug.0
        );
        let odd = with("team-id", "team_abc-def").expect_err("not letters and digits");
        assert!(odd.0[0].problem.contains("is not a team id"), "{:?}", odd.0);
        for fine in ["team_nTChTnFEANqGEKAYBUwrS00A", "team_x1"] {
            assert_eq!(
                with("team-id", fine).expect(fine).team_id.as_deref(),
                Some(fine)
            );
        }
        for fine in [
            "my-site",
            "prj_O2x3dZ12QiroXFf4lkDF2EpLLCuZ",
            "xbox",
            "yourself",
        ] {
            assert_eq!(
                with("project", fine).expect(fine).project.as_deref(),
                Some(fine)
            );
        }
    }

    const SITE: &[(&str, &str)] = &[
        ("INPUT_VERCEL-TOKEN", "tok"),
        ("INPUT_PROJECT", "site"),
        ("INPUT_SITE-URL", "https://example.com"),
    ];

    #[test]
    fn site_url_is_an_https_origin_and_nothing_more() {
        for ok in [
            "https://example.com",
            "https://example.com/",
            "http://127.0.0.1:3000",
        ] {
            let url = parse_site_url(ok).expect(ok);
            assert_eq!(url.path(), "/", "{ok}");
        }
        for (bad, says) in [
            ("https://example.com/docs", "has a path (`/docs`)"),
            ("https://example.com/?a=b", "query or fragment"),
            ("https://example.com/#top", "query or fragment"),
            ("http://example.com", "plain http://"),
            ("example.com", "is not a URL"),
            ("https://user:hunter22@example.com", "user name or password"),
        ] {
            let error = parse_site_url(bad).expect_err(bad);
            assert_eq!(error.input, "site-url");
            assert!(error.problem.contains(says), "{bad}: {error}");
            assert!(!error.help.is_empty(), "{bad}");
            assert!(!error.to_string().contains("hunter22"), "{error}");
        }
        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_SITE-URL", "https://example.com/docs"));
        assert_eq!(error_inputs(build(&[], &pairs)), ["site-url"]);
    }

    #[test]
    fn without_site_url_the_site_is_not_asked_and_warm_is_refused() {
        let config = build(&[], OK).expect("valid");
        assert!(config.live.site_url.is_none());
        assert!(
            config.live.verify,
            "the default, which needs site-url to act"
        );
        assert!(!config.live.asked());
        assert!(config.live_settings(None).is_none());

        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_WARM", "true"));
        let errors = build(&[], &pairs).expect_err("warm needs a site");
        assert_eq!(errors.0[0].input, "warm");
        assert!(errors.0[0].help.contains("site-url"), "{errors:?}");
    }

    #[test]
    fn on_a_push_the_site_is_asked_only_after_waiting() {
        let push = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = SITE.to_vec();
            pairs.push(("GITHUB_EVENT_NAME", "push"));
            pairs.extend_from_slice(extra);
            build(&[], &pairs)
        };
        let errors = push(&[]).expect_err("verify without waiting");
        assert_eq!(errors.0.len(), 1, "{errors:?}");
        assert_eq!(errors.0[0].input, "verify");
        assert!(
            errors.0[0].help.contains("wait-for-deployment: true"),
            "{errors:?}"
        );
        assert!(errors.0[0].help.contains("deployment_status"), "{errors:?}");
        let errors = push(&[("INPUT_VERIFY", "false"), ("INPUT_WARM", "true")])
            .expect_err("warm without waiting");
        assert_eq!(errors.0[0].input, "warm");

        let waiting = [
            ("INPUT_WAIT-FOR-DEPLOYMENT", "true"),
            ("INPUT_GITHUB-TOKEN", "ghs_token"),
            ("GITHUB_REPOSITORY", "o/r"),
        ];
        assert!(push(&waiting).is_ok());
        assert!(push(&[("INPUT_VERIFY", "false")]).is_ok(), "nothing asked");
        assert!(push(&[("INPUT_DRY-RUN", "true")]).is_ok(), "nothing sent");
        for event in ["deployment_status", "workflow_dispatch"] {
            let mut pairs = SITE.to_vec();
            pairs.push(("GITHUB_EVENT_NAME", event));
            assert!(build(&[], &pairs).is_ok(), "{event}");
        }
    }

    #[test]
    fn the_bypass_is_a_secret_masked_with_the_tokens() {
        let mut pairs = SITE.to_vec();
        pairs.push(("INPUT_VERCEL-PROTECTION-BYPASS", "bypass_secret_42"));
        let config = build(&["--verify-grace", "0.5", "--warm-limit", "7"], &pairs).expect("valid");
        assert!(!format!("{config:?}").contains("bypass_secret_42"));
        let settings = config.live_settings(None).expect("asked");
        assert_eq!(
            settings.bypass.as_ref().map(Secret::expose),
            Some("bypass_secret_42")
        );
        assert_eq!(settings.timing.grace, Duration::from_millis(500));
        assert_eq!(settings.warm_limit, 7);
        assert_eq!(settings.concurrency, config.concurrency);
        let args = Args::try_parse_from(["x"]).expect("flags");
        let secrets = Secrets::resolve(&args, &env(&pairs));
        assert!(secrets.all().any(|s| s.expose() == "bypass_secret_42"));

        pairs.push(("INPUT_DRY-RUN", "true"));
        let dry = build(&[], &pairs).expect("valid");
        assert!(dry.live_settings(None).is_none(), "a dry run asks nothing");
    }

    fn settings_for(files: &[(&str, &str)]) -> live::Settings {
        let files: Vec<site::SiteFile> = files
            .iter()
            .map(|(path, text)| site::SiteFile {
                path: path.to_string(),
                text: text.to_string(),
            })
            .collect();
        let site = site::detect("", &files);
        build(&[], SITE)
            .expect("valid")
            .live_settings(Some(&site))
            .expect("asked")
    }

    #[test]
    fn live_settings_follow_a_next_js_config() {
        let settings = settings_for(&[(
            "next.config.js",
            "module.exports = { basePath: '/docs', images: { deviceSizes: [640, 1080], imageSizes: [64], qualities: [50, 80], formats: ['image/avif', 'image/webp'] } }",
        )]);
        assert_eq!(
            settings.optimizer,
            live::Optimizer::NextJs {
                base_path: "/docs".to_string()
            }
        );
        assert_eq!(settings.widths, [640, 1080, 64]);
        assert_eq!(settings.qualities, [50, 80]);
        assert_eq!(settings.formats, ["image/avif", "image/webp"]);
        assert_eq!(settings.site.as_str(), "https://example.com/");

        let defaults = settings_for(&[(
            "next.config.mjs",
            "export default { images: { imageSizes: [16] } }",
        )]);
        assert_eq!(
            defaults.optimizer,
            live::Optimizer::NextJs {
                base_path: String::new()
            }
        );
        let mut widths = live::NEXT_DEVICE_SIZES.to_vec();
        widths.push(16);
        assert_eq!(defaults.widths, widths);
        assert_eq!(defaults.qualities, [live::DEFAULT_QUALITY]);
        assert_eq!(defaults.formats, [live::DEFAULT_FORMAT]);
    }

    #[test]
    fn a_computed_base_path_is_the_url_prefix_set_by_hand() {
        let files = [site::SiteFile {
            path: "next.config.js".to_string(),
            text: "module.exports = { basePath: process.env.BASE_PATH }".to_string(),
        }];
        let site = site::detect("", &files);
        assert!(site.base_path.unknown().is_some());
        let mut pairs = SITE.to_vec();
        pairs.push(("INPUT_URL-PREFIX", "/docs/"));
        let settings = build(&[], &pairs)
            .expect("valid")
            .live_settings(Some(&site))
            .expect("asked");
        assert_eq!(
            settings.optimizer,
            live::Optimizer::NextJs {
                base_path: "/docs".to_string()
            }
        );
    }

    #[test]
    fn live_settings_follow_vercel_json_for_other_frameworks() {
        let astro = settings_for(&[
            ("astro.config.mjs", "export default { base: '/blog' }"),
            (
                "vercel.json",
                r#"{"images": {"sizes": [256, 640], "qualities": [60], "formats": ["image/webp"]}}"#,
            ),
        ]);
        assert_eq!(astro.optimizer, live::Optimizer::Vercel);
        assert_eq!(astro.widths, [256, 640]);
        assert_eq!(astro.qualities, [60]);
        assert_eq!(astro.formats, ["image/webp"]);

        let plain = settings_for(&[]);
        assert_eq!(plain.optimizer, live::Optimizer::Vercel);
        let defaults = live::Settings::new(plain.site.clone(), live::Optimizer::Vercel);
        assert_eq!(plain.widths, defaults.widths);
        assert_eq!(plain.qualities, defaults.qualities);
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
