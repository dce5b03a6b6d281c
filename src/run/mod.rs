//! The run, stage by stage: what the event asks for (plan), the commits to
//! compare and whether to wait for a deployment (range: the one place that
//! reads the deployments), what changed (changes), how the site serves them
//! (site: its framework config read at head, `auto` resolved), which public
//! paths (select), send (vercel), then the live site (verify, warm). Each
//! stage logs in its own group and returns its value with its notes; only
//! [`execute`] writes the report. Once a selection exists it is recorded
//! exactly once, whatever happens after, so every changed image ends in
//! `images`, `failed` or `skipped`.

mod changes;
mod live;
mod plan;
mod range;
mod refusals;
mod select;
mod send;
mod site;

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

use crate::actions::Log;
use crate::changes::{ChangesError, Detected, DiffSource};
use crate::config::{Config, InputErrors};
use crate::error::Error;
use crate::github::{GitHub, RetryNote};
use crate::report::{DeploymentNote, Report};

use self::plan::{Asked, Planned};
use self::range::Resolved;

/// Why the selected images were not sent, and the error that ends the run.
struct Undelivered {
    reason: String,
    error: Error,
}

impl Undelivered {
    fn new(reason: impl Into<String>, error: impl Into<Error>) -> Self {
        Self {
            reason: reason.into(),
            error: error.into(),
        }
    }
}

/// A stage's value with what it noted for the report, kept even when the
/// stage then fails.
struct Noted<T> {
    value: T,
    notes: Vec<String>,
    /// The deployment that was awaited or that triggered the run.
    deployment: Option<DeploymentNote>,
}

impl<T> Noted<T> {
    fn new(value: T) -> Self {
        Self {
            value,
            notes: Vec::new(),
            deployment: None,
        }
    }

    /// The value; its notes go into the report.
    fn into_report(self, report: &mut Report) -> T {
        report.notes.extend(self.notes);
        if self.deployment.is_some() {
            report.deployment = self.deployment;
        }
        self.value
    }
}

struct Stages<'a, W: Write> {
    config: &'a Config,
    log: &'a RefCell<Log<W>>,
    github: Option<GitHub>,
    repository: String,
    on_retry: &'a dyn Fn(RetryNote),
    /// Where the live site is and the requests' limits, from the inputs;
    /// `None` when the site is not asked.
    live: Option<crate::live::Requests>,
}

/// Everything between a valid config and the finished report: plan ->
/// resolve -> changes -> site -> select -> send -> live -> report.
pub(crate) async fn execute<W: Write>(
    config: &Config,
    log: &RefCell<Log<W>>,
    report: &mut Report,
) -> Result<(), Error> {
    plan::describe_config(config, &mut log.borrow_mut());
    let Planned {
        compare,
        images,
        wait,
    } = match plan::plan(config, log)? {
        Asked::Nothing(reason) => {
            report.nothing = Some(reason);
            return Ok(());
        }
        Asked::Work(planned) => planned.into_report(report),
    };

    let on_retry = |note: RetryNote| log_retry(log, note);
    let stages = Stages {
        config,
        log,
        github: github_client(config, wait.needs_github())?,
        repository: config.runner.repository.clone().unwrap_or_default(),
        on_retry: &on_retry,
        live: config.live_requests(),
    };

    let Resolved { range, sending } = stages.resolve(compare, wait).await.into_report(report)?;
    let detected = match range {
        Some(range) => stages.detect(&range).await?,
        None => Detected::default(),
    };
    report.base = detected.base.clone();
    report.head = (!detected.head.is_empty()).then(|| detected.head.clone());
    report.notes.extend(detected.notes.iter().cloned());

    // `sited.site` is what later stages (verify, warm) read about the site:
    // its base path and the widths, qualities and formats it allows.
    let sited = stages.site(&detected).await.into_report(report)?;
    report.site_dir_hint = sited.site_dir_hint.clone();
    let selection = stages.select(&detected, &images, &sited);
    match stages
        .send(&detected, &selection, sending)
        .await
        .into_report(report)
    {
        Ok(sent) => {
            report.record(&selection, sent.as_ref(), None);
            let asked = stages.ask_live(&selection, sent.as_ref(), &sited);
            if let Some(live) = asked.await.into_report(report)? {
                report.record_live(live);
            }
            Ok(())
        }
        Err(Undelivered { reason, error }) => {
            report.record(&selection, None, Some(&reason));
            Err(error)
        }
    }
}

fn log_retry<W: Write>(log: &RefCell<Log<W>>, note: RetryNote) {
    log.borrow_mut().progress(&format!(
        "GitHub: GET {} failed (attempt {}): {}; retrying in {:.1}s",
        note.path,
        note.attempt,
        note.reason,
        note.wait.as_secs_f64()
    ));
}

/// The GitHub client, when a stage needs the API and there is a token.
fn github_client(config: &Config, wait_needs_github: bool) -> Result<Option<GitHub>, Error> {
    let needs_github = config.diff_source == DiffSource::Api || wait_needs_github;
    match (&config.github_token, needs_github) {
        (Some(token), true) => Ok(Some(
            GitHub::new(&config.github_api_url, token, &config.http).map_err(ChangesError::from)?,
        )),
        _ => Ok(None),
    }
}

impl<W: Write> Stages<'_, W> {
    fn github(&self, what: &str) -> Result<&GitHub, InputErrors> {
        self.github
            .as_ref()
            .ok_or_else(|| refusals::no_github_token(what))
    }

    /// Where the checkout is, for `diff-source: git`.
    fn checkout(&self) -> PathBuf {
        self.config
            .runner
            .workspace
            .clone()
            .unwrap_or_else(|| PathBuf::from("."))
    }
}
