//! The one place that decides the range: the commits to compare and, with
//! them, whether the images may be sent yet. Every read of GitHub's
//! deployments happens here: the previous successful deployment of a
//! `deployment_status` run, the wait for the deployment of `head`, and what
//! was live before it (from the wait's own listing, one pass).

use std::io::Write;

use crate::changes::Range;
use crate::deploy::{self, DeployError, Deployments};
use crate::error::Error;
use crate::event::{Base, Compare};
use crate::github::GitHub;
use crate::report::{DeploymentNote, count, short_sha};

use super::plan::WaitPlan;
use super::refusals;
use super::{Noted, Stages, Undelivered};

/// The plan resolved: what to compare, and what still stands between the
/// selection and sending it.
pub(super) struct Resolved {
    /// `None` when the run only has images named by hand.
    pub range: Option<Range>,
    pub sending: Sending,
}

/// Whether the selection may be sent.
pub(super) enum Sending {
    /// At once: no wait was asked, or the deployment is live.
    Now,
    /// Once the deployment of `head` is live (waited for only when there is
    /// something to send).
    AfterWaiting,
    /// Not at all: the wait failed (its images are recorded as not sent).
    Never(Undelivered),
}

impl<W: Write> Stages<'_, W> {
    /// Resolves the plan: the commits to compare, after waiting for the
    /// deployment when what went live is what is compared. A wait that fails
    /// still compares the push's own commits, so its images are listed as
    /// not sent.
    pub(super) async fn resolve(
        &self,
        compare: Option<Compare>,
        wait: WaitPlan,
    ) -> Noted<Result<Resolved, Error>> {
        let mut noted = Noted::new(());
        let value = match (compare, wait) {
            // Only images named by hand: nothing to compare; send them once
            // the deployment of `head` is live when asked to wait (the plan
            // gives `LiveToLive` only with commits to compare, and it waits
            // too).
            (None, WaitPlan::BeforeSending | WaitPlan::LiveToLive) => Ok(Resolved {
                range: None,
                sending: Sending::AfterWaiting,
            }),
            (None, WaitPlan::Open | WaitPlan::Live) => Ok(Resolved {
                range: None,
                sending: Sending::Now,
            }),
            (Some(compare), WaitPlan::LiveToLive) => self.went_live(compare, &mut noted).await,
            (Some(compare), WaitPlan::BeforeSending) => self
                .planned(compare, &mut noted)
                .await
                .map(|range| Resolved {
                    range: Some(range),
                    sending: Sending::AfterWaiting,
                }),
            (Some(compare), WaitPlan::Open | WaitPlan::Live) => self
                .planned(compare, &mut noted)
                .await
                .map(|range| Resolved {
                    range: Some(range),
                    sending: Sending::Now,
                }),
        };
        Noted {
            value,
            notes: noted.notes,
            deployment: noted.deployment,
        }
    }

    fn deployments<'g>(&'g self, github: &'g GitHub) -> Deployments<'g> {
        Deployments {
            github,
            repo: &self.repository,
            on_retry: self.on_retry,
        }
    }

    /// The commits the plan names; for a `deployment_status` run, the
    /// previous successful deployment's commit is looked up.
    async fn planned(&self, compare: Compare, noted: &mut Noted<()>) -> Result<Range, Error> {
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
                    noted.notes.push(format!(
                        "no earlier successful deployment to `{}` was found, so the deployed commit was compared with its parent",
                        crate::untrusted::excerpt(&environment)
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
    /// went live; when the wait fails, the push's own range and why.
    async fn went_live(&self, compare: Compare, noted: &mut Noted<()>) -> Result<Resolved, Error> {
        match self.wait(Some(compare.head.clone())).await {
            Ok((note, live)) => {
                noted.deployment = Some(note);
                let range = self.live_range(compare, &live, noted).await?;
                Ok(Resolved {
                    range: Some(range),
                    sending: Sending::Now,
                })
            }
            Err(undelivered) => {
                if matches!(
                    undelivered.error,
                    Error::Deploy(DeployError::Failed { .. } | DeployError::TimedOut { .. })
                ) {
                    noted.notes.push(
                        "the images of this push will be invalidated by the next run whose deployment goes live: it compares what was live before with what is live then".to_string(),
                    );
                }
                Ok(Resolved {
                    range: Some(self.planned(compare, noted).await?),
                    sending: Sending::Never(undelivered),
                })
            }
        }
    }

    /// What went live: from the commit of the deployment that was live
    /// before `live` to `live`'s commit; the push's own base when no earlier
    /// deployment went live.
    async fn live_range(
        &self,
        compare: Compare,
        live: &deploy::LiveDeployment,
        noted: &mut Noted<()>,
    ) -> Result<Range, Error> {
        let environment = &live.environment;
        let github = self.github("wait-for-deployment")?;
        let before = github.requests();
        let previous = self
            .deployments(github)
            .previous_live(live)
            .await
            .map_err(DeployError::from)?;
        self.log.borrow_mut().text(&format!(
            "Live before it in {environment}: {} ({})",
            previous
                .as_deref()
                .map(short_sha)
                .unwrap_or_else(|| "none found".to_string()),
            count((github.requests() - before) as usize, "GitHub request")
        ));
        if let Some(newer) = &live.superseded_by {
            noted.notes.push(format!(
                "`{}` was superseded by `{}`: the deployment of that commit, which contains it, went live, so this run compared what was live before with it",
                short_sha(&compare.head),
                short_sha(newer)
            ));
        }
        let base = match previous {
            Some(previous) => Some(previous),
            None => {
                noted.notes.push(format!(
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

    /// The gate before sending: waits for the deployment of `head` when the
    /// plan asked for it; the note of the wait, or why nothing is sent.
    pub(super) async fn pass(
        &self,
        sending: Sending,
        head: &str,
    ) -> Result<Option<DeploymentNote>, Undelivered> {
        match sending {
            Sending::Now => Ok(None),
            Sending::Never(undelivered) => Err(undelivered),
            Sending::AfterWaiting => {
                let head = (!head.is_empty()).then(|| head.to_string());
                Ok(Some(self.wait(head).await?.0))
            }
        }
    }

    /// Waits until the deployment of `head` (or, for a run with only
    /// `images`, of the `head` input or `GITHUB_SHA`) is live, or that of a
    /// newer commit that contains it.
    async fn wait(
        &self,
        head: Option<String>,
    ) -> Result<(DeploymentNote, deploy::LiveDeployment), Undelivered> {
        let config = self.config;
        let not_waited = "the deployment's status could not be read, so no image was invalidated";
        let github = self
            .github("wait-for-deployment")
            .map_err(|e| Undelivered::new(not_waited, e))?;
        let head = head.or_else(|| config.head.clone().or_else(|| config.runner.sha.clone()));
        let Some(head) = head else {
            return Err(Undelivered::new(
                "no commit to wait for, so no image was invalidated",
                refusals::no_commit_to_wait_for(),
            ));
        };
        // Deployments are recorded by full sha: a branch name matches none.
        let head = github
            .resolve_commit(&self.repository, &head, self.on_retry)
            .await
            .map_err(|e| Undelivered::new(not_waited, DeployError::from(e)))?;
        let awaited =
            deploy::Awaited::from_input(&config.deployment_environment, config.project.as_deref());
        self.log.borrow_mut().group(&format!(
            "Waiting for the deployment of {} to {}",
            short_sha(&head),
            awaited.describe()
        ));
        let started = std::time::Instant::now();
        let waited = self
            .deployments(github)
            .wait_until_live(
                &head,
                &awaited,
                config.deployment_timeout,
                &config.polling,
                &|state, environment| {
                    self.log.borrow_mut().progress(&format!(
                        "{:>6.1}s  deployment to {environment}: {state}",
                        started.elapsed().as_secs_f64()
                    ))
                },
            )
            .await;
        self.log.borrow_mut().end_group();
        match waited {
            Ok(live) => {
                self.log.borrow_mut().text(&format!(
                    "The deployment of {} is live after {} ({})",
                    short_sha(&live.sha),
                    deploy::format_wait(live.waited),
                    count(live.requests as usize, "GitHub request")
                ));
                let note = DeploymentNote {
                    url: live.url.clone(),
                    waited: Some(live.waited),
                };
                Ok((note, live))
            }
            Err(error) => {
                let reason = error.unsent_reason();
                Err(Undelivered::new(reason, error))
            }
        }
    }
}
