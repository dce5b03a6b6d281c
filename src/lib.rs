//! vercel-image-invalidate: finds the images a push changed and asks Vercel
//! to revalidate their cached variants.
//!
//! The modules follow the data: [`args`] and [`config`] (inputs) ->
//! [`event`] (what to compare) -> [`changes`] (changed files) -> [`select`]
//! (public paths) -> [`deploy`] (wait until live) -> [`vercel`]
//! (invalidation) -> [`report`] (summary, outputs); [`actions`] speaks the
//! runner's language throughout.

pub mod actions;
pub mod args;
pub mod changes;
pub mod config;
pub mod deploy;
pub mod error;
pub mod event;
pub mod github;
mod random;
pub mod report;
pub mod retry;
pub mod secret;
pub mod select;
pub mod vercel;

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::actions::{Level, Log, LogStyle, one_line};
use crate::args::Args;
use crate::changes::{ChangesError, Detected, Range};
use crate::config::{Config, DiffSource, Env, Runner, Secrets};
use crate::error::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Error};
use crate::event::{Base, Plan};
use crate::github::{GitHub, RetryNote};
use crate::report::{DeploymentNote, Problem, Report};
use crate::select::{Rules, Selection};
use crate::vercel::{Progress, Vercel};

/// Runs the tool: `argv` and `env` as the process got them, the log and the
/// terminal report written to `stdout`/`stderr`. Returns the exit code.
pub fn main_with(
    argv: Vec<OsString>,
    env: &Env,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => {
            use clap::error::ErrorKind;
            let informational = matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            );
            let target: &mut dyn Write = if informational { stdout } else { stderr };
            let _ = write!(target, "{}", error.render());
            return if informational {
                EXIT_OK
            } else {
                EXIT_BAD_INPUT
            };
        }
    };
    let runner = Runner::from_env(env, args.verbose);
    let (log_out, report_out): (&mut dyn Write, &mut dyn Write) = if runner.in_actions {
        (stdout, stderr)
    } else {
        (stderr, stdout)
    };
    let style = if runner.in_actions {
        LogStyle::Actions
    } else {
        LogStyle::Terminal
    };
    let mut log = Log::new(log_out, style, runner.debug);

    // Before anything else is printed: hide the tokens.
    let secrets = Secrets::resolve(&args, env);
    for secret in secrets.all() {
        log.mask(secret);
    }
    let redactions = actions::secret_list(secrets.all());

    let config = match Config::build(&args, env, secrets) {
        Ok(config) => config,
        Err(errors) => {
            let error = Error::from(errors);
            let mut report = Report {
                server_url: runner.server_url.clone(),
                ..Report::default()
            };
            return finish(
                &mut log,
                report_out,
                &runner,
                &mut report,
                Some(error),
                false,
                &redactions,
            );
        }
    };
    for warning in &config.warnings {
        log.warning(warning);
    }

    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            log.error(&format!("could not start the async runtime: {error}"));
            return EXIT_FAILED;
        }
    };
    let log = RefCell::new(log);
    let mut report = Report {
        dry_run: config.dry_run,
        mode: Some(config.mode),
        project: config.project.clone(),
        repository: config.runner.repository.clone(),
        server_url: config.runner.server_url.clone(),
        ..Report::default()
    };
    let result = runtime.block_on(execute(&config, &log, &mut report));
    let mut log = log.into_inner();
    finish(
        &mut log,
        report_out,
        &config.runner,
        &mut report,
        result.err(),
        config.fail_on_error,
        &redactions,
    )
}

/// Writes the summary, the outputs and the closing log lines; picks the exit
/// code.
fn finish<W: Write>(
    log: &mut Log<W>,
    report_out: &mut dyn Write,
    runner: &Runner,
    report: &mut Report,
    error: Option<Error>,
    fail_on_error: bool,
    redactions: &[String],
) -> u8 {
    let mut code = EXIT_OK;
    if let Some(error) = &error {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let cause = cause.to_string();
            if !message.contains(&cause) {
                message = format!("{message}: {cause}");
            }
            source = cause_source(source);
        }
        let help = error.help();
        let mut annotation = message.clone();
        for line in &help {
            annotation.push_str(&format!("\nhelp: {line}"));
        }
        log.annotate(Level::Error, Some("vercel-image-invalidate"), &annotation);
        report.problem = Some(Problem { message, help });
        code = error.exit_code();
    }
    report.redact(redactions);

    let failed = report.failed();
    if !failed.is_empty() {
        let first = report
            .rows
            .iter()
            .find_map(|row| match &row.outcome {
                report::Outcome::Failed(reason) => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let level = if fail_on_error || error.is_some() {
            Level::Error
        } else {
            Level::Warning
        };
        log.annotate(
            level,
            Some("Vercel image invalidation"),
            &format!(
                "{} could not be {}: {first}. The job summary lists them.",
                if failed.len() == 1 {
                    "1 image".to_string()
                } else {
                    format!("{} images", failed.len())
                },
                report.verb()
            ),
        );
        if let Some(stop) = &report.stop {
            log.annotate(
                level,
                Some("Stopped early"),
                &format!("{}\nhelp: {}", stop.reason, stop.help),
            );
        }
        if error.is_none() && fail_on_error {
            code = EXIT_FAILED;
        }
    }
    let outside: Vec<String> = report
        .skipped()
        .into_iter()
        .filter(|(_, reason)| reason.starts_with("outside the public dir"))
        .map(|(path, _)| one_line(path).into_owned())
        .collect();
    if !outside.is_empty() {
        let shown: Vec<&str> = outside.iter().take(5).map(String::as_str).collect();
        log.warning(&format!(
            "{} changed image(s) are outside the public dir and were not invalidated: {}{}. Set public-dir if they are served.",
            outside.len(),
            shown.join(", "),
            if outside.len() > 5 { ", ..." } else { "" }
        ));
    }

    let mut write_failed = false;
    if let Some(path) = &runner.step_summary
        && let Err(error) = append(path, report.markdown().as_bytes())
    {
        log.error(&format!(
            "could not write the job summary to {}: {error}",
            path.display()
        ));
        write_failed = true;
    }
    if let Some(path) = &runner.output {
        let mut buffer = Vec::new();
        let outputs: Vec<(&str, String)> = report
            .outputs()
            .into_iter()
            .map(|(name, value)| (name, actions::redact(&value, redactions).into_owned()))
            .collect();
        let written =
            actions::write_outputs(&mut buffer, &outputs).and_then(|()| append(path, &buffer));
        if let Err(error) = written {
            log.error(&format!(
                "could not write the step outputs to {}: {error}",
                path.display()
            ));
            write_failed = true;
        }
    }
    match log.style() {
        LogStyle::Actions => {
            for line in report.text().lines() {
                log.text(line);
            }
        }
        // The error, already printed with its fix, is the whole story when
        // nothing else happened.
        LogStyle::Terminal if report.problem.is_some() && report.rows.is_empty() => {}
        LogStyle::Terminal => {
            let text = report.text();
            let _ = report_out.write_all(actions::redact(&text, redactions).as_bytes());
            let _ = report_out.flush();
        }
    }
    log.flush();
    if write_failed && code == EXIT_OK {
        code = EXIT_FAILED;
    }
    code
}

fn cause_source<'a>(
    current: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    current.and_then(|c| c.source())
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

fn retry_logger<'a, W: Write>(log: &'a RefCell<Log<W>>) -> impl Fn(RetryNote) + 'a {
    move |note: RetryNote| {
        log.borrow_mut().text(&format!(
            "GitHub: GET {} failed (attempt {}): {}; retrying in {:.1}s",
            note.path,
            note.attempt,
            note.reason,
            note.wait.as_secs_f64()
        ));
    }
}

/// Everything between a valid config and the report.
async fn execute<W: Write>(
    config: &Config,
    log: &RefCell<Log<W>>,
    report: &mut Report,
) -> Result<(), Error> {
    describe_config(config, &mut log.borrow_mut());
    let trigger = event::load(
        config.runner.event_name.as_deref(),
        config.runner.event_path.as_deref(),
    )?;
    let plan = event::plan(&trigger, config)?;
    let (compare, images, deployment_url) = match plan {
        Plan::Nothing(reason) => {
            log.borrow_mut().text(&format!("Nothing to do: {reason}"));
            report.nothing = Some(reason);
            return Ok(());
        }
        Plan::Work {
            compare,
            images,
            deployment_url,
        } => (compare, images, deployment_url),
    };
    let from_deployment_event = matches!(trigger, event::Trigger::DeploymentStatus { .. });
    if from_deployment_event {
        report.deployment = Some(DeploymentNote {
            url: deployment_url,
            waited: None,
        });
    }

    let github = match &config.github_token {
        Some(token)
            if config.diff_source == DiffSource::Api
                || config.wait_for_deployment
                || from_deployment_event =>
        {
            Some(
                GitHub::new(&config.github_api_url, token, &config.http)
                    .map_err(ChangesError::from)?,
            )
        }
        _ => None,
    };
    let on_retry = retry_logger(log);
    let repository = config.runner.repository.clone().unwrap_or_default();

    let detected = match compare {
        None => Detected::default(),
        Some(compare) => {
            let range = match compare.base {
                Base::Commit(base) => Range {
                    base: Some(base),
                    head: compare.head,
                },
                Base::FirstParent => Range {
                    base: None,
                    head: compare.head,
                },
                Base::PreviousDeployment {
                    environment,
                    deployment_id,
                } => {
                    let github = github
                        .as_ref()
                        .ok_or_else(|| missing_token("deployment_status"))?;
                    let deployments = deploy::Deployments {
                        github,
                        repo: &repository,
                        on_retry: &on_retry,
                    };
                    let previous = deployments
                        .previous_success(&environment, deployment_id, &compare.head)
                        .await
                        .map_err(deploy::DeployError::from)?;
                    if previous.is_none() {
                        report.notes.push(format!(
                            "no earlier successful deployment to `{environment}` was found, so the deployed commit was compared with its parent"
                        ));
                    }
                    Range {
                        base: previous,
                        head: compare.head,
                    }
                }
            };
            detect(config, github.as_ref(), &repository, &range, log, &on_retry).await?
        }
    };
    report.base = detected.base.clone();
    report.head = (!detected.head.is_empty()).then(|| detected.head.clone());
    report.notes.extend(detected.notes.iter().cloned());

    let rules = Rules {
        include: &config.include,
        exclude: &config.exclude,
        change_types: &config.change_types,
        public_dirs: &config.public_dirs,
        url_prefix: &config.url_prefix,
    };
    let selection = rules.select(&detected.changes, &images);
    describe_selection(&selection, &mut log.borrow_mut());
    if selection.targets.is_empty() {
        report.record(&selection, None, None);
        return Ok(());
    }

    if config.wait_for_deployment && !from_deployment_event {
        let github = github
            .as_ref()
            .ok_or_else(|| missing_token("wait-for-deployment"))?;
        // A run with only `images` (workflow_dispatch) compared nothing and
        // has no detected head; an empty `sha=` would match no deployment
        // (or, to GitHub, any), so wait for the commit the run is for.
        let head = if detected.head.is_empty() {
            config.head.clone().or_else(|| config.runner.sha.clone())
        } else {
            Some(detected.head.clone())
        };
        let Some(head) = head else {
            report.record(
                &selection,
                None,
                Some("no commit to wait for, so no image was invalidated"),
            );
            return Err(error::InputErrors(vec![error::InputError::new(
                "head",
                "wait-for-deployment needs the commit whose deployment to wait for, and neither head nor GITHUB_SHA is set",
                "pass `head` (the commit sha), or run without wait-for-deployment",
            )])
            .into());
        };
        log.borrow_mut().group(&format!(
            "Waiting for the deployment of {} to {}",
            short(&head),
            config.deployment_environment
        ));
        let deployments = deploy::Deployments {
            github,
            repo: &repository,
            on_retry: &on_retry,
        };
        let started = std::time::Instant::now();
        let waited = deployments
            .wait_until_live(
                &head,
                &config.deployment_environment,
                config.deployment_timeout,
                &config.polling,
                &|state| {
                    log.borrow_mut().text(&format!(
                        "{:>6.1}s  deployment: {state}",
                        started.elapsed().as_secs_f64()
                    ))
                },
            )
            .await;
        log.borrow_mut().end_group();
        match waited {
            Ok(live) => {
                log.borrow_mut().text(&format!(
                    "The deployment is live after {} ({} status checks)",
                    deploy::format_wait(live.waited),
                    live.polls
                ));
                report.deployment = Some(DeploymentNote {
                    url: live.url,
                    waited: Some(live.waited),
                });
            }
            Err(error) => {
                let reason = match &error {
                    deploy::DeployError::Failed { state, .. } => {
                        format!("the deployment failed (`{state}`), so no image was invalidated")
                    }
                    deploy::DeployError::TimedOut { .. } => {
                        "waiting for the deployment timed out, so no image was invalidated"
                            .to_string()
                    }
                    deploy::DeployError::GitHub(_) => {
                        "the deployment's status could not be read, so no image was invalidated"
                            .to_string()
                    }
                };
                report.record(&selection, None, Some(&reason));
                return Err(error.into());
            }
        }
    }

    if config.dry_run {
        log.borrow_mut().text(&format!(
            "Dry run: {} image(s) would be sent in {} request(s); nothing was sent",
            selection.targets.len(),
            selection.targets.len().div_ceil(vercel::BATCH_SIZE)
        ));
        report.record(&selection, None, None);
        return Ok(());
    }

    let (Some(token), Some(project)) = (&config.vercel_token, &config.project) else {
        // Config guarantees both outside a dry run.
        return Err(missing_token("vercel-token").into());
    };
    let client = Vercel::new(config, token, project).map_err(|e| {
        Error::Input(error::InputErrors(vec![error::InputError::new(
            "vercel-token",
            e.to_string(),
            "check the token and vercel-api-url",
        )]))
    })?;
    let paths: Vec<String> = selection
        .targets
        .iter()
        .map(|t| t.public_path.clone())
        .collect();
    let batches = paths.len().div_ceil(vercel::BATCH_SIZE);
    log.borrow_mut().group(&format!(
        "Sending {} image(s) to Vercel in {batches} request(s), {} at a time",
        paths.len(),
        config.concurrency.min(batches)
    ));
    let progress = |event: Progress<'_>| {
        let mut log = log.borrow_mut();
        match event {
            Progress::Retrying {
                batch,
                attempt,
                failure,
                wait,
            } => log.text(&format!(
                "request {}/{batches}: attempt {attempt} failed ({}); retrying in {:.1}s",
                batch + 1,
                failure.describe(),
                wait.as_secs_f64()
            )),
            Progress::Finished {
                batch,
                paths,
                result,
            } => {
                let outcome = match result {
                    Ok(1) => "done".to_string(),
                    Ok(attempts) => format!("done after {attempts} attempts"),
                    Err(failure) => format!("FAILED: {}", failure.describe()),
                };
                log.text(&format!(
                    "request {}/{batches}: {} image(s): {outcome}",
                    batch + 1,
                    paths.len()
                ));
                for path in paths {
                    log.debug(&format!("  {path}"));
                }
            }
        }
    };
    let sent = client.send(&paths, config.concurrency, &progress).await;
    log.borrow_mut().end_group();
    report.record(&selection, Some(&sent), None);
    Ok(())
}

fn missing_token(what: &str) -> error::InputErrors {
    error::InputErrors(vec![error::InputError::new(
        "github-token",
        format!("{what} needs a GitHub token and none was given"),
        "pass `github-token: ${{ github.token }}`",
    )])
}

fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

async fn detect<W: Write>(
    config: &Config,
    github: Option<&GitHub>,
    repository: &str,
    range: &Range,
    log: &RefCell<Log<W>>,
    on_retry: &dyn Fn(RetryNote),
) -> Result<Detected, ChangesError> {
    let base = range
        .base
        .as_deref()
        .map(short)
        .unwrap_or_else(|| "parent".to_string());
    let source = match config.diff_source {
        DiffSource::Api => "GitHub API",
        DiffSource::Git => "local git",
    };
    log.borrow_mut().group(&format!(
        "Changes {base}...{} ({source})",
        short(&range.head)
    ));
    let result = match (config.diff_source, github) {
        (DiffSource::Api, Some(github)) => {
            let before = github.requests();
            changes::api::detect(github, repository, range, &config.public_dirs, on_retry)
                .await
                .map(|mut detected| {
                    detected.api_requests = github.requests() - before;
                    detected
                })
                .map_err(ChangesError::from)
        }
        _ => {
            let dir: PathBuf = config
                .runner
                .workspace
                .clone()
                .unwrap_or_else(|| PathBuf::from("."));
            changes::git::detect(&dir, range).map_err(ChangesError::from)
        }
    };
    {
        let mut log = log.borrow_mut();
        match &result {
            Ok(detected) => {
                for change in &detected.changes {
                    let old = change
                        .old_path
                        .as_ref()
                        .map(|old| format!("{old} -> "))
                        .unwrap_or_default();
                    log.text(&format!("{:<9} {old}{}", change.kind.as_str(), change.path));
                }
                let requests = if config.diff_source == DiffSource::Api {
                    format!(" ({} GitHub requests)", detected.api_requests)
                } else {
                    String::new()
                };
                log.text(&format!(
                    "{} changed file(s) between {} and {}{requests}",
                    detected.changes.len(),
                    detected
                        .base
                        .as_deref()
                        .map(short)
                        .unwrap_or_else(|| "the empty tree".to_string()),
                    short(&detected.head)
                ));
            }
            Err(error) => log.text(&format!("could not list the changes: {error}")),
        }
        log.end_group();
    }
    result
}

fn describe_config<W: Write>(config: &Config, log: &mut Log<W>) {
    log.group("Configuration");
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    log.text(&format!(
        "project: {}, team-id: {}, team-slug: {}",
        or_none(&config.project),
        or_none(&config.team_id),
        or_none(&config.team_slug)
    ));
    log.text(&format!(
        "mode: {}, dry-run: {}, concurrency: {}, fail-on-error: {}",
        match config.mode {
            config::Mode::Invalidate => "invalidate",
            config::Mode::Delete => "delete",
        },
        config.dry_run,
        config.concurrency,
        config.fail_on_error
    ));
    log.text(&format!(
        "include: {}; exclude: {}",
        config.include.patterns().join(" | "),
        if config.exclude.is_empty() {
            "-".to_string()
        } else {
            config.exclude.patterns().join(" | ")
        }
    ));
    log.text(&format!(
        "public-dir: {} -> url-prefix: {}",
        config.public_dirs.describe(),
        config.url_prefix.as_str()
    ));
    log.text(&format!(
        "diff-source: {}, vercel-api-url: {}",
        match config.diff_source {
            DiffSource::Api => "api",
            DiffSource::Git => "git",
        },
        config.vercel_api_url
    ));
    log.text(&format!(
        "vercel-token: {}, github-token: {}",
        if config.vercel_token.is_some() {
            "set"
        } else {
            "not set"
        },
        if config.github_token.is_some() {
            "set"
        } else {
            "not set"
        }
    ));
    log.end_group();
}

fn describe_selection<W: Write>(selection: &Selection, log: &mut Log<W>) {
    log.group(&format!(
        "Images: {} to send, {} skipped",
        selection.targets.len(),
        selection.skipped.len()
    ));
    for target in &selection.targets {
        let sources: Vec<String> = target
            .sources
            .iter()
            .map(|s| match s.role {
                select::Role::Listed => "listed in images".to_string(),
                _ => format!("{} ({})", s.repo_path, s.role.describe()),
            })
            .collect();
        log.text(&format!(
            "send  {}  <- {}",
            target.public_path,
            sources.join(", ")
        ));
    }
    for skip in &selection.skipped {
        log.text(&format!("skip  {}: {}", skip.source.repo_path, skip.reason));
    }
    log.end_group();
}
