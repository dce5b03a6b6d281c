//! The run, stage by stage: what to compare (event), what changed
//! (changes), how the site serves them (site: its framework config read at
//! head, `auto` resolved), which public paths (select), wait until live
//! (deploy), send (vercel); waiting for a push's deployment comes first, since what went
//! live decides what to compare. Each stage logs in its own group and
//! returns a value; the report is filled from those values. Once a
//! selection exists it is recorded exactly once, whatever happens after, so
//! every changed image ends in `images`, `failed` or `skipped`.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

use crate::actions::Log;
use crate::changes::{self, ChangesError, Detected, DiffSource, Range};
use crate::config::{Config, InputError, InputErrors};
use crate::deploy::{self, DeployError, Deployments};
use crate::error::Error;
use crate::event::{self, Base, Compare, Plan, Trigger};
use crate::github::{GitHub, RetryNote};
use crate::live::{self, Image};
use crate::report::{DeploymentNote, LiveReport, Report, short_sha};
use crate::select::{self, Mapping, Role, Rules, Selection};
use crate::site::{self, Site, SiteFile};
use crate::vercel::{self, Progress, Sent, Vercel};

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

struct Stages<'a, W: Write> {
    config: &'a Config,
    log: &'a RefCell<Log<W>>,
    github: Option<GitHub>,
    repository: String,
    on_retry: &'a dyn Fn(RetryNote),
}

/// Everything between a valid config and the finished report.
pub(crate) async fn execute<W: Write>(
    config: &Config,
    log: &RefCell<Log<W>>,
    report: &mut Report,
) -> Result<(), Error> {
    describe_config(config, &mut log.borrow_mut());
    let Some(Planned {
        compare,
        images,
        from_deployment,
        live_to_live,
    }) = plan(config, log, report)?
    else {
        return Ok(());
    };

    let on_retry = |note: RetryNote| log_retry(log, note);
    let github = github_client(config, from_deployment)?;
    let stages = Stages {
        config,
        log,
        github,
        repository: config.runner.repository.clone().unwrap_or_default(),
        on_retry: &on_retry,
    };

    // A wait that fails still lists the push's own images, as not sent.
    let mut waited = None;
    let detected = match compare {
        None => Detected::default(),
        Some(compare) => {
            let range = if live_to_live {
                let (range, outcome) = stages.went_live(compare, report).await?;
                waited = Some(outcome);
                range
            } else {
                stages.range(compare, report).await?
            };
            stages.detect(&range).await?
        }
    };
    report.base = detected.base.clone();
    report.head = (!detected.head.is_empty()).then(|| detected.head.clone());
    report.notes.extend(detected.notes.iter().cloned());

    // `sited.site` is what later stages (verify, warm) read about the site:
    // its base path and the widths, qualities and formats it allows.
    let sited = stages.site(&detected, report).await?;
    let selection = stages.select(&detected, &images, &sited);
    let sent = match waited {
        Some(Err(undelivered)) => Err(undelivered),
        _ if selection.targets.is_empty() => Ok(None),
        _ => {
            let live = from_deployment || waited.is_some();
            stages.deliver(&detected, &selection, live, report).await
        }
    };
    match sent {
        Ok(sent) => {
            report.record(&selection, sent.as_ref(), None);
            stages
                .ask_live(&selection, sent.as_ref(), sited.site.as_ref(), report)
                .await
        }
        Err(Undelivered { reason, error }) => {
            report.record(&selection, None, Some(&reason));
            Err(error)
        }
    }
}

/// What the event asks for, once the run knows there is work.
struct Planned {
    compare: Option<Compare>,
    images: Vec<String>,
    /// Triggered by `deployment_status`: the deployment is live already.
    from_deployment: bool,
    /// Wait for the deployment, then diff what was live before it.
    live_to_live: bool,
}

/// Reads the event and decides what to compare; `None` when there is
/// nothing to do (the report says why).
fn plan<W: Write>(
    config: &Config,
    log: &RefCell<Log<W>>,
    report: &mut Report,
) -> Result<Option<Planned>, Error> {
    let trigger = event::load(
        config.runner.event_name.as_deref(),
        config.runner.event_path.as_deref(),
    )?;
    let (compare, images, deployment_url) = match event::plan(&trigger, &config.event_settings())? {
        Plan::Nothing(reason) => {
            log.borrow_mut().text(&format!("Nothing to do: {reason}"));
            report.nothing = Some(reason);
            return Ok(None);
        }
        Plan::Work {
            compare,
            images,
            deployment_url,
        } => (compare, images, deployment_url),
    };
    let from_deployment = matches!(trigger, Trigger::DeploymentStatus { .. });
    // With wait-for-deployment, the diff is what went live: wait first,
    // then compare what was live before with what is live now, not the old
    // tip with the new one. An explicit `base` is the diff asked for and is
    // kept.
    let live_to_live = config.wait_for_deployment && !from_deployment && config.base.is_none();
    if matches!(trigger, Trigger::Push { forced: true, .. }) && !live_to_live {
        report
            .notes
            .push("a force push: the old tip was compared with the new one".to_string());
    }
    if from_deployment {
        report.deployment = Some(DeploymentNote {
            url: deployment_url,
            waited: None,
        });
    }
    Ok(Some(Planned {
        compare,
        images,
        from_deployment,
        live_to_live,
    }))
}

fn log_retry<W: Write>(log: &RefCell<Log<W>>, note: RetryNote) {
    log.borrow_mut().text(&format!(
        "GitHub: GET {} failed (attempt {}): {}; retrying in {:.1}s",
        note.path,
        note.attempt,
        note.reason,
        note.wait.as_secs_f64()
    ));
}

/// The GitHub client, when a stage needs the API and there is a token.
fn github_client(config: &Config, from_deployment: bool) -> Result<Option<GitHub>, Error> {
    let needs_github =
        config.diff_source == DiffSource::Api || config.wait_for_deployment || from_deployment;
    match (&config.github_token, needs_github) {
        (Some(token), true) => Ok(Some(
            GitHub::new(&config.github_api_url, token, &config.http).map_err(ChangesError::from)?,
        )),
        _ => Ok(None),
    }
}

fn missing_github_token(what: &str) -> InputErrors {
    InputErrors(vec![InputError::new(
        "github-token",
        format!("{what} needs a GitHub token and none was given"),
        "pass `github-token: ${{ github.token }}`",
    )])
}

impl<W: Write> Stages<'_, W> {
    fn github(&self, what: &str) -> Result<&GitHub, InputErrors> {
        self.github
            .as_ref()
            .ok_or_else(|| missing_github_token(what))
    }

    fn deployments<'g>(&'g self, github: &'g GitHub) -> Deployments<'g> {
        Deployments {
            github,
            repo: &self.repository,
            on_retry: self.on_retry,
        }
    }

    /// The commits to compare; for a `deployment_status` run, the previous
    /// successful deployment's commit is looked up.
    async fn range(&self, compare: Compare, report: &mut Report) -> Result<Range, Error> {
        let base = match compare.base {
            Base::Commit(base) => Some(base),
            Base::FirstParent => None,
            Base::PreviousDeployment {
                environment,
                deployment_id,
            } => {
                let github = self.github("deployment_status")?;
                let previous = self
                    .deployments(github)
                    .previous_success(&environment, deployment_id, &compare.head)
                    .await
                    .map_err(DeployError::from)?;
                if previous.is_none() {
                    report.notes.push(format!(
                        "no earlier successful deployment to `{environment}` was found, so the deployed commit was compared with its parent"
                    ));
                }
                previous
            }
        };
        Ok(Range {
            base,
            head: compare.head,
        })
    }

    /// Waits for the deployment of `compare.head`, then the range of what
    /// went live; when the wait fails, the push's own range (its images are
    /// recorded as not sent) and why.
    async fn went_live(
        &self,
        compare: Compare,
        report: &mut Report,
    ) -> Result<(Range, Result<(), Undelivered>), Error> {
        match self.wait(Some(compare.head.clone())).await {
            Ok((note, live)) => {
                report.deployment = Some(note);
                Ok((self.live_range(compare, &live, report).await?, Ok(())))
            }
            Err(undelivered) => {
                if matches!(
                    undelivered.error,
                    Error::Deploy(DeployError::Failed { .. } | DeployError::TimedOut { .. })
                ) {
                    report.notes.push(
                        "the images of this push will be invalidated by the next run whose deployment goes live: it compares what was live before with what is live then".to_string(),
                    );
                }
                Ok((self.range(compare, report).await?, Err(undelivered)))
            }
        }
    }

    /// What went live: from the commit of the deployment that was live
    /// before `live` to `live`'s commit; the push's own base when no earlier
    /// deployment went live.
    async fn live_range(
        &self,
        compare: Compare,
        live: &deploy::Live,
        report: &mut Report,
    ) -> Result<Range, Error> {
        let environment = &self.config.deployment_environment;
        let github = self.github("wait-for-deployment")?;
        let before = github.requests();
        let previous = self
            .deployments(github)
            .previous_live(live)
            .await
            .map_err(DeployError::from)?;
        self.log.borrow_mut().text(&format!(
            "Live before it in {environment}: {} ({} GitHub requests)",
            previous
                .as_deref()
                .map(short_sha)
                .unwrap_or_else(|| "none found".to_string()),
            github.requests() - before
        ));
        if let Some(newer) = &live.superseded_by {
            report.notes.push(format!(
                "`{}` was superseded by `{}`: the deployment of that commit, which contains it, went live, so this run compared what was live before with it",
                short_sha(&compare.head),
                short_sha(newer)
            ));
        }
        let base = match previous {
            Some(previous) => Some(previous),
            None => {
                report.notes.push(format!(
                    "no earlier successful deployment to `{environment}` was found, so the push's own base was compared with what went live"
                ));
                match compare.base {
                    Base::Commit(base) => Some(base),
                    Base::FirstParent | Base::PreviousDeployment { .. } => None,
                }
            }
        };
        Ok(Range {
            base,
            head: live.sha.clone(),
        })
    }

    async fn detect(&self, range: &Range) -> Result<Detected, ChangesError> {
        let config = self.config;
        let base = range
            .base
            .as_deref()
            .map(short_sha)
            .unwrap_or_else(|| "parent".to_string());
        self.log.borrow_mut().group(&format!(
            "Changes {base}..{} ({})",
            short_sha(&range.head),
            config.diff_source.as_str()
        ));
        let result = match (config.diff_source, &self.github) {
            (DiffSource::Api, Some(github)) => {
                let before = github.requests();
                changes::api::detect(
                    github,
                    &self.repository,
                    range,
                    &config.site_dir,
                    &|folder| worth_listing(config, folder),
                    self.on_retry,
                )
                .await
                .map(|mut detected| {
                    detected.api_requests = github.requests() - before;
                    detected
                })
                .map_err(ChangesError::from)
            }
            _ => changes::git::detect(&self.checkout(), range).map_err(ChangesError::from),
        };
        let mut log = self.log.borrow_mut();
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
                        .map(short_sha)
                        .unwrap_or_else(|| "the empty tree".to_string()),
                    short_sha(&detected.head)
                ));
            }
            Err(error) => log.text(&format!("could not list the changes: {error}")),
        }
        log.end_group();
        result
    }

    fn select(&self, detected: &Detected, images: &[String], sited: &Sited) -> Selection {
        let config = self.config;
        let framework_public_dir = sited
            .site
            .as_ref()
            .filter(|site| site.recognised())
            .and_then(|site| site.public_dir_in_repo().ok());
        let rules = Rules {
            include: &config.include,
            exclude: &config.exclude,
            change_types: &config.change_types,
            public_dirs: &sited.mapping.public_dirs,
            url_prefix: &sited.mapping.url_prefix,
            site_dir: &config.site_dir,
            recognised: sited.site.as_ref().is_some_and(Site::recognised),
            framework_public_dir: framework_public_dir.as_deref(),
        };
        let selection = rules.select(&detected.changes, images);
        let mut log = self.log.borrow_mut();
        log.group(&format!(
            "Images: {} to send, {} skipped",
            selection.targets.len(),
            selection.skipped.len()
        ));
        for target in &selection.targets {
            let sources: Vec<String> = target.sources.iter().map(|s| s.describe()).collect();
            let also: String = target.also.iter().map(|a| format!(" + {a}")).collect();
            log.text(&format!(
                "send  {}{also}  <- {}",
                target.public_path,
                sources.join(", ")
            ));
        }
        for skip in &selection.skipped {
            log.text(&format!("skip  {}: {}", skip.source.repo_path, skip.reason));
        }
        log.end_group();
        selection
    }

    /// Waits for the deployment when asked to and not `live` yet, then
    /// sends (or, in a dry run, does not). `Ok(None)`: a dry run.
    async fn deliver(
        &self,
        detected: &Detected,
        selection: &Selection,
        live: bool,
        report: &mut Report,
    ) -> Result<Option<Sent>, Undelivered> {
        let config = self.config;
        if config.wait_for_deployment && !live {
            let head = (!detected.head.is_empty()).then(|| detected.head.clone());
            report.deployment = Some(self.wait(head).await?.0);
        }
        if config.dry_run {
            // Detail: on a terminal the report's headline says the same.
            let strings: usize = selection
                .targets
                .iter()
                .map(|t| t.spellings().count())
                .sum();
            self.log.borrow_mut().debug(&format!(
                "Dry run: {} image(s) ({strings} public path(s)) would be sent in {} request(s); nothing was sent",
                selection.targets.len(),
                strings.div_ceil(vercel::BATCH_SIZE)
            ));
            return Ok(None);
        }
        self.send(selection).await.map(Some)
    }

    /// Waits until the deployment of `head` (or, for a run with only
    /// `images`, of the `head` input or `GITHUB_SHA`) is live, or that of a
    /// newer commit that contains it.
    async fn wait(
        &self,
        head: Option<String>,
    ) -> Result<(DeploymentNote, deploy::Live), Undelivered> {
        let config = self.config;
        let not_waited = "the deployment's status could not be read, so no image was invalidated";
        let github = self
            .github("wait-for-deployment")
            .map_err(|e| Undelivered::new(not_waited, e))?;
        let head = head.or_else(|| config.head.clone().or_else(|| config.runner.sha.clone()));
        let Some(head) = head else {
            return Err(Undelivered::new(
                "no commit to wait for, so no image was invalidated",
                InputErrors(vec![InputError::new(
                    "head",
                    "wait-for-deployment needs the commit whose deployment to wait for, and neither head nor GITHUB_SHA is set",
                    "pass `head` (the commit sha), or run without wait-for-deployment",
                )]),
            ));
        };
        // Deployments are recorded by full sha: a branch name matches none.
        let head = github
            .resolve_commit(&self.repository, &head, self.on_retry)
            .await
            .map_err(|e| Undelivered::new(not_waited, DeployError::from(e)))?;
        self.log.borrow_mut().group(&format!(
            "Waiting for the deployment of {} to {}",
            short_sha(&head),
            config.deployment_environment
        ));
        let started = std::time::Instant::now();
        let waited = self
            .deployments(github)
            .wait_until_live(
                &head,
                &config.deployment_environment,
                config.deployment_timeout,
                &config.polling,
                &|state| {
                    self.log.borrow_mut().text(&format!(
                        "{:>6.1}s  deployment: {state}",
                        started.elapsed().as_secs_f64()
                    ))
                },
            )
            .await;
        self.log.borrow_mut().end_group();
        match waited {
            Ok(live) => {
                self.log.borrow_mut().text(&format!(
                    "The deployment of {} is live after {} ({} GitHub requests)",
                    short_sha(&live.sha),
                    deploy::format_wait(live.waited),
                    live.requests
                ));
                let note = DeploymentNote {
                    url: live.url.clone(),
                    waited: Some(live.waited),
                };
                Ok((note, live))
            }
            Err(error) => {
                let reason = match &error {
                    DeployError::Failed { state, .. } => {
                        format!("the deployment failed (`{state}`), so no image was invalidated")
                    }
                    DeployError::TimedOut { .. } => {
                        "waiting for the deployment timed out, so no image was invalidated"
                            .to_string()
                    }
                    DeployError::GitHub(_) => not_waited.to_string(),
                };
                Err(Undelivered::new(reason, error))
            }
        }
    }

    async fn send(&self, selection: &Selection) -> Result<Sent, Undelivered> {
        let config = self.config;
        let (Some(token), Some(project)) = (&config.vercel_token, &config.project) else {
            // The config requires both outside a dry run.
            return Err(Undelivered::new(
                "no Vercel token or project",
                InputErrors(vec![InputError::new(
                    "vercel-token",
                    "a Vercel token and a project are needed to send",
                    "set vercel-token and project, or dry-run: true",
                )]),
            ));
        };
        let client = Vercel::new(&config.vercel_settings(), token, project)
            .map_err(|e| Undelivered::new("the Vercel client could not be set up", e))?;
        let paths: Vec<String> = selection
            .targets
            .iter()
            .flat_map(|t| t.spellings().cloned())
            .collect();
        let batches = paths.len().div_ceil(vercel::BATCH_SIZE);
        self.log.borrow_mut().group(&format!(
            "Sending {} public path(s) of {} image(s) to Vercel in {batches} request(s), {} at a time",
            paths.len(),
            selection.targets.len(),
            config.concurrency.min(batches)
        ));
        let progress = |event: Progress<'_>| {
            let mut log = self.log.borrow_mut();
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
        self.log.borrow_mut().end_group();
        Ok(sent)
    }
}

impl<W: Write> Stages<'_, W> {
    /// Once the invalidation is done (and the deployment live), asks the
    /// live site about the images Vercel accepted: verify, then warm. The
    /// optimizer and the variants it allows come from the site's config.
    async fn ask_live(
        &self,
        selection: &Selection,
        sent: Option<&Sent>,
        site: Option<&Site>,
        report: &mut Report,
    ) -> Result<(), Error> {
        let config = self.config;
        if !config.live.asked() {
            return Ok(());
        }
        let (Some(sent), Some(settings)) = (sent, config.live_settings(site)) else {
            if config.dry_run {
                let note = "a dry run invalidates nothing, so the live site was not asked (verify and warm run after a real invalidation)";
                self.log.borrow_mut().text(&format!("Live site: {note}"));
                report.notes.push(note.to_string());
            }
            return Ok(());
        };
        if let Some(note) = site.and_then(optimizer_unused) {
            self.log.borrow_mut().text(&format!("Live site: {note}"));
            report.notes.push(note);
            return Ok(());
        }
        let (svgs, images): (Vec<Image>, Vec<Image>) = invalidated_images(selection, sent)
            .into_iter()
            .partition(|image| is_svg(&image.path));
        if let Some(first) = svgs.first() {
            report.notes.push(format!(
                "{} not asked on the live site (`{}`{}): the image optimizer refuses SVGs unless `dangerouslyAllowSVG` is set, so pages load them as they are",
                if svgs.len() == 1 { "1 SVG was".to_string() } else { format!("{} SVGs were", svgs.len()) },
                first.path,
                if svgs.len() > 1 { " and others" } else { "" }
            ));
        }
        if images.is_empty() {
            return Ok(());
        }
        let origin = settings.site.origin().ascii_serialization();
        let site = live::Site::new(settings)?;
        let verification = if config.live.verify {
            Some(self.verify(&site, &origin, &images).await)
        } else {
            None
        };
        let warming = if config.live.warm {
            Some(self.warm(&site, &origin, &images).await)
        } else {
            None
        };
        report.record_live(LiveReport {
            site: origin,
            verification,
            warming,
        });
        Ok(())
    }

    async fn verify(
        &self,
        site: &live::Site,
        origin: &str,
        images: &[Image],
    ) -> live::Verification {
        self.log
            .borrow_mut()
            .group(&format!("Verifying {} image(s) on {origin}", images.len()));
        let progress = |event: live::Progress<'_>| log_live(&mut self.log.borrow_mut(), event);
        let verification = site.verify(images, &progress).await;
        let mut log = self.log.borrow_mut();
        log.text(&format!(
            "{} verified, {} not verified ({} requests)",
            verification.count(live::Live::is_verified),
            verification.count(|l| !l.is_verified()),
            verification.requests
        ));
        log.end_group();
        verification
    }

    async fn warm(&self, site: &live::Site, origin: &str, images: &[Image]) -> live::Warming {
        let settings = site.settings();
        self.log.borrow_mut().group(&format!(
            "Warming {} image(s) on {origin}: {} width(s) x {} quality(ies) x {} format(s), at most {} requests",
            images.iter().filter(|i| !i.removed).count(),
            settings.widths.len(),
            settings.qualities.len(),
            settings.formats.len(),
            settings.warm_limit
        ));
        let progress = |event: live::Progress<'_>| log_live(&mut self.log.borrow_mut(), event);
        let warming = site.warm(images, &progress).await;
        let mut log = self.log.borrow_mut();
        log.text(&format!(
            "{} variant(s) warmed, {} failed, {} left by warm-limit ({} requests)",
            warming.warmed, warming.failed, warming.left, warming.requests
        ));
        log.end_group();
        warming
    }
}

/// The images Vercel accepted every spelling of, in the selection's order
/// (one whose other spelling failed is reported failed, so it is not asked);
/// one whose every source is gone (removed, or the old name of a rename)
/// should answer 404.
fn invalidated_images(selection: &Selection, sent: &Sent) -> Vec<Image> {
    let done: std::collections::HashSet<&str> = sent.done.iter().map(String::as_str).collect();
    selection
        .targets
        .iter()
        .filter(|target| target.spellings().all(|s| done.contains(s.as_str())))
        .map(|target| Image {
            path: target.public_path.clone(),
            removed: !target.sources.is_empty()
                && target
                    .sources
                    .iter()
                    .all(|s| matches!(s.role, Role::Removed | Role::RenamedFrom(_))),
        })
        .collect()
}

/// Why the live site is not asked when the site's config says Vercel's
/// optimizer does not serve its images: there is no optimized variant to
/// verify or warm, and every probe would be a 404 or 400 blamed on the
/// mapping.
fn optimizer_unused(site: &Site) -> Option<String> {
    if site.optimizer_unused.is_empty() {
        return None;
    }
    Some(format!(
        "the live site was not asked (verify and warm): {} mean{} that Vercel's image optimizer is not used, so there is no optimized variant to check; the images are not counted as unverified",
        site.optimizer_unused.join(", "),
        if site.optimizer_unused.len() == 1 {
            "s"
        } else {
            ""
        },
    ))
}

/// An SVG, which the optimizers pass over by default.
fn is_svg(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.to_ascii_lowercase().ends_with(".svg")
}

fn log_live<W: Write>(log: &mut Log<W>, event: live::Progress<'_>) {
    match event {
        live::Progress::Retrying {
            path,
            attempt,
            reason,
            wait,
        } => log.text(&format!(
            "{path}: attempt {attempt} failed ({reason}); retrying in {:.1}s",
            wait.as_secs_f64()
        )),
        live::Progress::Probed {
            path,
            status,
            cache,
        } => log.debug(&format!(
            "{path}: {status}, x-vercel-cache: {}",
            cache.unwrap_or("-")
        )),
        live::Progress::Verified(verified) => {
            let probed = verified
                .probed
                .as_ref()
                .map(|url| format!(" <- {url}"))
                .unwrap_or_default();
            log.text(&format!(
                "{}: {} ({} probe(s)){probed}",
                verified.path,
                verified.live.describe(),
                verified.probes
            ));
        }
        live::Progress::Warmed {
            path,
            variant,
            result,
        } => match result {
            Ok(()) => log.debug(&format!("{path} {}: warmed", variant.describe())),
            Err(problem) => log.text(&format!(
                "{path} {}: FAILED: {}",
                variant.describe(),
                problem.reason()
            )),
        },
    }
}

/// Whether a comparison GitHub cut short should enter `folder`: on the way
/// to or inside a public dir (under `auto`: `public/` or `static/` in the
/// site dir, the frameworks' own), or on the way to the site dir, whose
/// config files the site stage reads.
fn worth_listing(config: &Config, folder: &str) -> bool {
    let on_the_way = |dir: &str| dir == folder || dir.starts_with(&format!("{folder}/"));
    let public = match &config.public_dirs {
        Some(dirs) => dirs.touches(folder),
        None => ["public", "static"].iter().any(|name| {
            let dir = site::join(&config.site_dir, name);
            on_the_way(&dir) || folder.starts_with(&format!("{dir}/"))
        }),
    };
    public || on_the_way(&config.site_dir)
}

/// What the site stage found, for the stages after it.
pub(crate) struct Sited {
    /// The site's framework and config (base path, image settings), read
    /// at head; `None` when no changed image needed placing, so its config
    /// was not read.
    pub site: Option<Site>,
    /// The public dirs and URL prefix the selection uses.
    pub mapping: Mapping,
}

impl<W: Write> Stages<'_, W> {
    /// Reads the site's config at head, when a changed image needs placing,
    /// and resolves `auto`. A value the config computes at build time that
    /// `auto` needs ends the run with the input to set (exit 2): a guessed
    /// path would be reported green while visitors keep the stale image.
    async fn site(&self, detected: &Detected, report: &mut Report) -> Result<Sited, Error> {
        let config = self.config;
        let needed = detected.changes.iter().any(|change| {
            config.include.is_match(&change.path)
                || change
                    .old_path
                    .as_deref()
                    .is_some_and(|old| config.include.is_match(old))
        });
        // A run with no changed image to map (a manual run that lists
        // `images`) still reads the config when it asks the live site: the
        // optimizer's path, base path and allowed sizes come from it.
        let head = match detected.head.as_str() {
            "" if config.live.asked() => self.live_head()?,
            "" => None,
            head => Some(head.to_string()),
        };
        let needed = needed || (config.live.asked() && head.is_some());
        let Some(head) = head.filter(|_| needed) else {
            let mapping = self.mapping(&site::detect(&config.site_dir, &[]))?;
            return Ok(Sited {
                site: None,
                mapping,
            });
        };
        let shown = if config.site_dir.is_empty() {
            "the repository root"
        } else {
            &config.site_dir
        };
        self.log.borrow_mut().group(&format!("Site in {shown}"));
        let read = self.read_site(detected, &head).await;
        self.log.borrow_mut().end_group();
        let (site, mapping) = read?;
        if site.recognised() || !config.site_dir.is_empty() {
            report.notes.push(site.describe());
        }
        report.notes.extend(site.warnings.iter().cloned());
        report.notes.extend(mapping.warnings.iter().cloned());
        Ok(Sited {
            site: Some(site),
            mapping,
        })
    }

    /// The commit whose config says how the live site serves images, for a
    /// run with no diff (only `images`): `head`, else `GITHUB_SHA`, else the
    /// checkout's `HEAD` with `diff-source: git`. Through the API with no
    /// commit known, the run stops (exit 2): a guessed optimizer would send
    /// every probe to the wrong path and blame the mapping. A dry run asks
    /// nothing, so it needs no commit.
    fn live_head(&self) -> Result<Option<String>, InputErrors> {
        let config = self.config;
        if let Some(head) = config.head.clone().or_else(|| config.runner.sha.clone()) {
            return Ok(Some(head));
        }
        match config.diff_source {
            DiffSource::Git => Ok(Some("HEAD".to_string())),
            DiffSource::Api if config.dry_run => Ok(None),
            DiffSource::Api => Err(InputErrors(vec![InputError::new(
                "head",
                "asking the live site (site-url) needs the site's config to know its image optimizer, and with diff-source api it is read at a commit: neither head nor GITHUB_SHA is set",
                "pass `head` (the commit the live site was deployed from), or use `diff-source: git` in a checkout of it",
            )])),
        }
    }

    /// The site as its config files at head say, logged, and the mapping.
    async fn read_site(&self, detected: &Detected, head: &str) -> Result<(Site, Mapping), Error> {
        let files = self.site_files(detected, head).await?;
        let site = site::detect(&self.config.site_dir, &files);
        {
            let mut log = self.log.borrow_mut();
            log.text(&site.describe());
            for warning in &site.warnings {
                log.warning(&crate::untrusted::one_line(warning));
            }
        }
        let mut mapping = self.mapping(&site)?;
        self.linked_public_dirs(&mut mapping, detected, head)
            .await?;
        Ok((site, mapping))
    }

    /// A public dir that is a symbolic link to a folder of the repository
    /// serves that folder's files under its own path: the target is served
    /// too. With the API, only a dir the listing shows as a link is asked.
    async fn linked_public_dirs(
        &self,
        mapping: &mut Mapping,
        detected: &Detected,
        head: &str,
    ) -> Result<(), Error> {
        let dirs: Vec<String> = mapping.public_dirs.dirs().to_vec();
        for dir in dirs.iter().filter(|d| !d.is_empty()) {
            let target = match (self.config.diff_source, &self.github) {
                (DiffSource::Api, Some(github)) => {
                    if detected.links.as_ref().is_some_and(|l| !l.contains(dir)) {
                        continue;
                    }
                    changes::api::link_target(github, &self.repository, head, dir, self.on_retry)
                        .await
                        .map_err(ChangesError::from)?
                }
                _ => changes::git::link_target(&self.checkout(), head, dir)
                    .map_err(ChangesError::from)?,
            };
            if let Some(target) = target {
                self.log.borrow_mut().text(&format!(
                    "{dir} is a symbolic link to {target}: the images there are served under {dir}"
                ));
                mapping.public_dirs.also(target);
            }
        }
        Ok(())
    }

    /// The site's config files at head with their text: from the checkout
    /// with `diff-source: git`, else one GitHub request each (the listing
    /// the comparison fetched says which exist, so none is asked for that
    /// is not there).
    async fn site_files(&self, detected: &Detected, head: &str) -> Result<Vec<SiteFile>, Error> {
        let config = self.config;
        let site_dir = config.site_dir.as_str();
        let api = match (config.diff_source, &self.github) {
            (DiffSource::Api, Some(github)) => Some(github),
            _ => None,
        };
        let before = api.map_or(0, |github| github.requests());
        let listed = match (api, &detected.site_files) {
            (Some(_), Some(files)) => files.clone(),
            (Some(github), None) => {
                match changes::api::files_in(
                    github,
                    &self.repository,
                    head,
                    site_dir,
                    self.on_retry,
                )
                .await
                {
                    Err(crate::github::GitHubError::Status { status: 404, .. }) => Vec::new(),
                    listed => listed.map_err(ChangesError::from)?,
                }
            }
            (None, _) => {
                changes::git::files_in(&self.checkout(), head, site_dir)
                    .map_err(ChangesError::from)?
                    .1
            }
        };
        if !site_dir.is_empty() && listed.is_empty() {
            return Err(InputErrors(vec![InputError::new(
                "site-dir",
                format!(
                    "`{site_dir}` holds no files at {}: it is not the folder of a site",
                    short_sha(head)
                ),
                "set site-dir to the Vercel project's Root Directory (Project Settings > Build and Deployment), such as `apps/web`, or leave it out for the repository root",
            )])
            .into());
        }
        let mut files = Vec::new();
        for path in site::config_files(site_dir, |path| listed.iter().any(|l| l == path)) {
            let text = match api {
                Some(github) => {
                    changes::api::read(github, &self.repository, head, &path, self.on_retry)
                        .await
                        .map_err(ChangesError::from)?
                }
                None => {
                    changes::git::read(&self.checkout(), head, &path).map_err(ChangesError::from)?
                }
            };
            self.log.borrow_mut().text(&format!("read {path}"));
            files.push(SiteFile { path, text });
        }
        if let Some(github) = api {
            self.log.borrow_mut().text(&format!(
                "{} config file(s) read ({} GitHub requests)",
                files.len(),
                github.requests() - before
            ));
        }
        Ok(files)
    }

    /// Where the checkout is, for `diff-source: git`.
    fn checkout(&self) -> PathBuf {
        self.config
            .runner
            .workspace
            .clone()
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// `auto` resolved against `site`; the warnings of explicit inputs that
    /// contradict it are logged.
    fn mapping(&self, site: &Site) -> Result<Mapping, InputErrors> {
        let config = self.config;
        match select::resolve(site, config.public_dirs.as_ref(), config.url_prefix.as_ref()) {
            Ok(mapping) => {
                let mut log = self.log.borrow_mut();
                for warning in &mapping.warnings {
                    log.warning(&crate::untrusted::one_line(warning));
                }
                Ok(mapping)
            }
            Err(unknowns) => Err(InputErrors(
                unknowns
                    .iter()
                    .map(|unknown| {
                        let input = unknown.input.unwrap_or("url-prefix");
                        InputError::new(
                            input,
                            format!("{input} is `auto`, but {unknown}"),
                            format!(
                                "set `{input}` to the value the site is built with (such as `{}`), or write it literally in {}",
                                if input == "public-dir" { "public" } else { "/docs/" },
                                unknown.file
                            ),
                        )
                    })
                    .collect(),
            )),
        }
    }
}

fn describe_config<W: Write>(config: &Config, log: &mut Log<W>) {
    log.group("Configuration");
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let set = |present: bool| if present { "set" } else { "not set" };
    log.text(&format!(
        "project: {}, team-id: {}, team-slug: {}",
        or_none(&config.project),
        or_none(&config.team_id),
        or_none(&config.team_slug)
    ));
    log.text(&format!(
        "mode: {}, dry-run: {}, concurrency: {}, fail-on-error: {}",
        config.mode.as_str(),
        config.dry_run,
        config.concurrency,
        config.fail_on_error
    ));
    let exclude = if config.exclude.is_empty() {
        "-".to_string()
    } else {
        config.exclude.patterns().join(" | ")
    };
    log.text(&format!(
        "include: {}; exclude: {exclude}",
        config.include.patterns().join(" | ")
    ));
    let site_dir = if config.site_dir.is_empty() {
        "."
    } else {
        &config.site_dir
    };
    log.text(&format!(
        "site-dir: {site_dir}, public-dir: {} -> url-prefix: {}",
        config
            .public_dirs
            .as_ref()
            .map_or("auto".to_string(), |dirs| dirs.describe()),
        config.url_prefix.as_ref().map_or("auto", |p| p.as_str())
    ));
    log.text(&format!(
        "diff-source: {}, vercel-api-url: {}",
        config.diff_source.as_str(),
        config.vercel_api_url
    ));
    log.text(&format!(
        "vercel-token: {}, github-token: {}",
        set(config.vercel_token.is_some()),
        set(config.github_token.is_some())
    ));
    if let Some(site) = &config.live.site_url {
        let live = &config.live;
        log.text(&format!(
            "site-url: {}, verify: {}, warm: {} (warm-limit {}), vercel-protection-bypass: {}, fail-on-unverified: {}",
            site.origin().ascii_serialization(),
            live.verify,
            live.warm,
            live.warm_limit,
            set(live.bypass.is_some()),
            live.fail_on_unverified
        ));
    }
    log.end_group();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::{Source, Target};

    fn target(path: &str, also: &[&str]) -> Target {
        Target {
            public_path: path.to_string(),
            also: also.iter().map(|a| a.to_string()).collect(),
            sources: vec![Source {
                repo_path: format!("public{path}"),
                role: Role::Modified,
            }],
        }
    }

    #[test]
    fn an_image_is_asked_live_only_when_every_spelling_was_invalidated() {
        let selection = Selection {
            targets: vec![
                target("/my photo.png", &["/my%20photo.png"]),
                target("/both ok.png", &["/both%20ok.png"]),
                target("/plain.png", &[]),
            ],
            skipped: Vec::new(),
            ignored: 0,
        };
        let sent = Sent {
            done: [
                "/my photo.png",
                "/both ok.png",
                "/both%20ok.png",
                "/plain.png",
            ]
            .map(String::from)
            .to_vec(),
            failed: vec![(
                "/my%20photo.png".to_string(),
                vercel::Failure {
                    status: Some(500),
                    code: None,
                    message: "Internal Server Error".into(),
                },
            )],
            ..Sent::default()
        };
        let asked: Vec<String> = invalidated_images(&selection, &sent)
            .into_iter()
            .map(|image| image.path)
            .collect();
        assert_eq!(asked, ["/both ok.png", "/plain.png"]);
    }
}
