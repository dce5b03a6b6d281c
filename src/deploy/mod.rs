//! Deployments, through GitHub's Deployments API where Vercel's Git
//! integration records them: waiting for the deployment of a commit to go
//! live before invalidating (an invalidation sent earlier is revalidated
//! against the old image and wasted), or for a newer deployment of a commit
//! that contains it (Vercel builds only the newest commit of a branch, so
//! an older push is often superseded), and finding the deployment that was
//! live before, so that the diff is what went live: a push whose deployment
//! failed or was superseded loses no image, the next one that goes live
//! covers it.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::github::{CONTENTS, GitHub, GitHubError, RetryNote};
use crate::untrusted::{plain_url, short_sha};

mod environment;
mod wait;

pub use self::environment::{Awaited, is_awaited, production_project};
use self::environment::{Survey, bounded};
use self::wait::Wait;

const DEPLOYMENTS: &str = "deployments: read";

/// How often to look at a deployment's status: the first interval grows by
/// half each time, up to the longest.
#[derive(Clone, Debug)]
pub struct Polling {
    pub initial: Duration,
    pub max: Duration,
    /// How long the awaited commit may have deployments in other
    /// environments but none in the awaited one before the wait stops:
    /// Vercel creates a commit's deployments together, so one that is in
    /// `Preview` alone after this is not coming to `Production`.
    pub elsewhere_after: Duration,
    /// A line about the wait at least this often, even when nothing changes.
    pub heartbeat: Duration,
}

/// The most characters of a state, environment name or URL that GitHub
/// gives (anyone who can create deployments writes them) that are kept.
const MAX_STATE_CHARS: usize = 64;
const MAX_ENVIRONMENT_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 2048;

impl Polling {
    /// The pauses between polls, endless: `initial`, then half as long
    /// again each time, never over `max`.
    fn intervals(&self) -> impl Iterator<Item = Duration> + use<> {
        let max = self.max;
        std::iter::successors(Some(self.initial.min(max)), move |last| {
            Some(last.mul_f64(1.5).min(max))
        })
    }
}

/// Polls after the awaited deployment failed, in case a newer deployment
/// that contains it is about to be listed.
const FAILED_GRACE_POLLS: u32 = 2;

/// How many earlier deployments to look through for the previous success.
const LOOKBACK: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    #[error("the deployment of {sha} to {environment} failed: it ended in `{state}` after {}", format_wait(*.waited))]
    Failed {
        sha: String,
        environment: String,
        state: String,
        url: Option<String>,
        waited: Duration,
    },
    #[error("waiting for the deployment of {sha} to {environment} timed out after {} (last state: `{last}`)", format_wait(*.waited))]
    TimedOut {
        sha: String,
        environment: String,
        last: String,
        waited: Duration,
    },
    /// The commit was deployed, but not to the awaited environment.
    #[error("{sha} has deployments in {}, but none in {awaited} after {}", names(.found), format_wait(*.waited))]
    Elsewhere {
        sha: String,
        awaited: String,
        found: Vec<String>,
        waited: Duration,
    },
}

/// `` `Preview`, `Production – docs` ``.
fn names(found: &[String]) -> String {
    found
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl DeployError {
    pub fn is_configuration(&self) -> bool {
        match self {
            DeployError::GitHub(error) => error.is_configuration(),
            DeployError::Elsewhere { .. } => true,
            DeployError::Failed { .. } | DeployError::TimedOut { .. } => false,
        }
    }

    /// Why the images were not sent, for each of them in the report.
    pub fn unsent_reason(&self) -> String {
        let why = match self {
            DeployError::Failed { state, .. } => format!("the deployment failed (`{state}`)"),
            DeployError::TimedOut { .. } => "waiting for the deployment timed out".to_string(),
            DeployError::Elsewhere { .. } => {
                "the commit was not deployed to the awaited environment".to_string()
            }
            DeployError::GitHub(_) => "the deployment's status could not be read".to_string(),
        };
        format!("{why}, so no image was invalidated")
    }

    pub fn help(&self) -> String {
        match self {
            DeployError::GitHub(error) => error.help(),
            DeployError::Failed { url, .. } => format!(
                "fix the deployment{}, then rerun this job; on a push, the next run whose deployment goes live covers this push's images too (it compares what was live before with what is live then)",
                url.as_ref().map(|u| format!(" ({u})")).unwrap_or_default()
            ),
            DeployError::TimedOut { .. } => {
                "raise deployment-timeout, or check deployment-environment: it must match the environment Vercel reports to GitHub (auto, the default, finds `Production` or `Production – <project>`)".to_string()
            }
            DeployError::Elsewhere { found, .. } => format!(
                "set deployment-environment to the environment this project's production deployments go to{}; the repository's Environments page lists them. A branch that is not the project's production branch is deployed as a preview: run this step on pushes to the production branch",
                match found.iter().find(|name| production_project(name).is_some()) {
                    Some(name) => format!(" (such as `{name}`)"),
                    None => String::new(),
                }
            ),
        }
    }
}

/// A deployment that went live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveDeployment {
    pub id: u64,
    /// The commit that is live now: the awaited one, or the descendant
    /// that superseded it.
    pub sha: String,
    /// Set when a newer deployment of a commit containing the awaited one
    /// went live instead of the awaited one's own.
    pub superseded_by: Option<String>,
    pub url: Option<String>,
    /// The environment it went live in (under `auto`, the one found).
    pub environment: String,
    pub waited: Duration,
    /// GitHub requests the wait took.
    pub requests: u32,
    /// The environment's deployments as last listed, newest first, for the
    /// previous-deployment lookup.
    listed: Vec<Deployment>,
}

/// The newest status of one deployment.
#[derive(Clone)]
struct Polled {
    state: String,
    url: Option<String>,
}

/// How a deployment's newest status counts for the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatusClass {
    Live,
    Failed,
    Pending,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
    #[serde(default)]
    environment: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Comparison {
    status: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
    environment_url: Option<String>,
    target_url: Option<String>,
}

/// `12s`, `2m 05s`.
pub fn format_wait(wait: Duration) -> String {
    crate::retry::describe_wait(wait)
}

fn query_value(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub struct Deployments<'a> {
    pub github: &'a GitHub,
    pub repo: &'a str,
    pub on_retry: &'a dyn Fn(RetryNote),
}

/// Another commit's relation to the awaited one, as GitHub's compare API
/// tells it (`GET /compare/{awaited}...{other}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Relation {
    /// Contains the awaited commit (`ahead`): its deployment covers it.
    Descendant,
    /// Contained in it (`behind`): what was live before, and older.
    Ancestor,
    /// Neither (`diverged`, or a commit GitHub no longer has after a force
    /// push).
    Unrelated,
}

/// What one poll found.
enum Look {
    Live {
        id: u64,
        sha: String,
        superseded: bool,
        state: String,
        url: Option<String>,
        listed: Vec<Deployment>,
    },
    /// The awaited deployment failed and nothing newer that contains it is
    /// on its way.
    Failed { state: String, url: Option<String> },
    Waiting {
        state: String,
        /// Whether the awaited commit, or a newer one that contains it,
        /// has a deployment in the environment.
        created: bool,
    },
}

/// What one poll found of the awaited commit's own deployment.
struct Own {
    id: Option<u64>,
    state: String,
    /// Its id and newest status, when that says it is live.
    live: Option<(u64, Polled)>,
    /// Its newest status, when it ended without going live.
    failed: Option<Polled>,
}

/// A newer deployment that covers the awaited commit: live, or the commit
/// of the newest one still on its way.
enum Covering {
    Live {
        id: u64,
        sha: String,
        url: Option<String>,
    },
    Coming(Option<String>),
}

/// What the polls of one wait remember, so that each question is asked
/// once: how other commits relate to the awaited one, and which
/// deployments ended without going live.
#[derive(Default)]
struct Watch {
    relations: HashMap<String, Relation>,
    failed: HashMap<u64, Polled>,
}

/// What one poll's finding means for the wait, with the state to
/// report: live (done), failed, or still waiting (`Ok(None)`).
fn conclude(
    looked: Look,
    sha: &str,
    environment: &str,
    started: Instant,
    requests: u32,
) -> (String, Result<Option<LiveDeployment>, DeployError>) {
    match looked {
        Look::Live {
            id,
            sha: live,
            superseded,
            state,
            url,
            listed,
        } => (
            state,
            Ok(Some(LiveDeployment {
                id,
                superseded_by: superseded.then(|| live.clone()),
                sha: live,
                url,
                environment: environment.to_string(),
                waited: started.elapsed(),
                requests,
                listed,
            })),
        ),
        Look::Failed { state, url } => (
            state.clone(),
            Err(DeployError::Failed {
                sha: sha.to_string(),
                environment: environment.to_string(),
                state,
                url,
                waited: started.elapsed(),
            }),
        ),
        Look::Waiting { state, .. } => (state, Ok(None)),
    }
}

impl Deployments<'_> {
    /// The environment's newest deployments (one page of 100), newest first.
    async fn list(&self, environment: &str) -> Result<Vec<Deployment>, GitHubError> {
        let path = format!(
            "/repos/{}/deployments?environment={}&per_page=100",
            self.repo,
            query_value(environment)
        );
        let mut deployments: Vec<Deployment> =
            self.github.get(&path, DEPLOYMENTS, self.on_retry).await?;
        deployments.sort_by_key(|d| std::cmp::Reverse(d.id));
        Ok(deployments)
    }

    async fn statuses(&self, id: u64, count: u32) -> Result<Vec<Status>, GitHubError> {
        let path = format!(
            "/repos/{}/deployments/{id}/statuses?per_page={count}",
            self.repo
        );
        self.github.get(&path, DEPLOYMENTS, self.on_retry).await
    }

    /// The newest status of deployment `id` (one request).
    async fn newest(&self, id: u64) -> Result<Polled, GitHubError> {
        let statuses = self.statuses(id, 1).await?;
        Ok(match statuses.into_iter().next() {
            None => Polled {
                state: "created".to_string(),
                url: None,
            },
            Some(status) => Polled {
                state: bounded(&status.state.to_ascii_lowercase(), MAX_STATE_CHARS),
                url: [status.environment_url, status.target_url]
                    .into_iter()
                    .flatten()
                    .find(|u| u.len() <= MAX_URL_CHARS && plain_url(u)),
            },
        })
    }

    /// Whether deployment `id` ever succeeded (one request).
    async fn ever_live(&self, id: u64) -> Result<bool, GitHubError> {
        Ok(self
            .statuses(id, 100)
            .await?
            .iter()
            .any(|s| s.state.eq_ignore_ascii_case("success")))
    }

    /// What the newest status of deployment `id` means: `success` is live;
    /// `inactive` is live only if it once succeeded (a newer deployment
    /// replaced it), else it was cancelled (one more request).
    async fn outcome(&self, id: u64) -> Result<(StatusClass, Polled), GitHubError> {
        let polled = self.newest(id).await?;
        let outcome = match polled.state.as_str() {
            "success" => StatusClass::Live,
            "inactive" if self.ever_live(id).await? => StatusClass::Live,
            "inactive" | "failure" | "error" => StatusClass::Failed,
            _ => StatusClass::Pending,
        };
        Ok((outcome, polled))
    }

    /// How `other` relates to `awaited` (one request). A commit GitHub does
    /// not know (404, 422) is unrelated rather than an error: a force push
    /// may have dropped it.
    async fn relation(&self, awaited: &str, other: &str) -> Result<Relation, GitHubError> {
        let path = format!(
            "/repos/{}/compare/{}...{}?per_page=1",
            self.repo,
            query_value(awaited),
            query_value(other)
        );
        match self
            .github
            .get::<Comparison>(&path, CONTENTS, self.on_retry)
            .await
        {
            Ok(comparison) => Ok(match comparison.status.as_str() {
                "ahead" | "identical" => Relation::Descendant,
                "behind" => Relation::Ancestor,
                _ => Relation::Unrelated,
            }),
            Err(GitHubError::Status {
                status: 404 | 422, ..
            }) => Ok(Relation::Unrelated),
            Err(error) => Err(error),
        }
    }

    /// One poll: the environment's listing, the newest status of `sha`'s
    /// newest deployment, and, unless that one is live, the deployments
    /// newer than it (all of them while it has none) of commits that
    /// contain `sha`, newest first, down to the first older commit.
    async fn look(
        &self,
        sha: &str,
        environment: &str,
        watch: &mut Watch,
    ) -> Result<Look, GitHubError> {
        let listed = self.list(environment).await?;
        let own = self.own(sha, &listed, watch).await?;
        if let Some((id, polled)) = own.live {
            return Ok(Look::Live {
                id,
                sha: sha.to_string(),
                superseded: false,
                state: polled.state,
                url: polled.url,
                listed,
            });
        }
        let coming = match self.covering(sha, own.id, &listed, watch).await? {
            Covering::Live {
                id,
                sha: newer,
                url,
            } => {
                return Ok(Look::Live {
                    id,
                    state: format!(
                        "superseded: the deployment of {} (which contains it) is live",
                        short_sha(&newer)
                    ),
                    sha: newer,
                    superseded: true,
                    url,
                    listed,
                });
            }
            Covering::Coming(coming) => coming,
        };
        Ok(match (own.failed, coming) {
            (Some(Polled { state, url }), None) => Look::Failed { state, url },
            (Some(Polled { state, .. }), Some(newer)) => Look::Waiting {
                state: format!(
                    "{state}; superseded by {}, waiting for its deployment",
                    short_sha(&newer)
                ),
                created: true,
            },
            (None, Some(newer)) => Look::Waiting {
                state: format!(
                    "{}; {} (which contains it) is deploying too",
                    own.state,
                    short_sha(&newer)
                ),
                created: true,
            },
            (None, None) => Look::Waiting {
                state: own.state,
                created: own.id.is_some(),
            },
        })
    }

    /// The state of `sha`'s own newest deployment in `listed` (one or two
    /// requests, none for a deployment already known to have failed).
    async fn own(
        &self,
        sha: &str,
        listed: &[Deployment],
        watch: &mut Watch,
    ) -> Result<Own, GitHubError> {
        let id = listed
            .iter()
            .find(|d| d.sha.eq_ignore_ascii_case(sha))
            .map(|d| d.id);
        let mut own = Own {
            id,
            state: "not created yet".to_string(),
            live: None,
            failed: None,
        };
        let Some(id) = id else { return Ok(own) };
        let polled = match watch.failed.get(&id) {
            Some(failed) => failed.clone(),
            None => {
                let (outcome, polled) = self.outcome(id).await?;
                match outcome {
                    StatusClass::Live => {
                        own.live = Some((id, polled));
                        return Ok(own);
                    }
                    StatusClass::Failed => {
                        watch.failed.insert(id, polled.clone());
                    }
                    StatusClass::Pending => {}
                }
                polled
            }
        };
        own.state = polled.state.clone();
        if watch.failed.contains_key(&id) {
            own.failed = Some(polled);
        }
        Ok(own)
    }

    /// The newest deployment newer than `own` (all of them while `sha` has
    /// none) of a commit that contains `sha` and is live, or else the
    /// newest such commit still deploying.
    async fn covering(
        &self,
        sha: &str,
        own: Option<u64>,
        listed: &[Deployment],
        watch: &mut Watch,
    ) -> Result<Covering, GitHubError> {
        let newer = listed
            .iter()
            .filter(|d| own.is_none_or(|id| d.id > id) && !d.sha.eq_ignore_ascii_case(sha))
            .take(LOOKBACK);
        let mut coming = None;
        for deployment in newer {
            let relation = match watch.relations.get(&deployment.sha) {
                Some(relation) => *relation,
                None => {
                    let relation = self.relation(sha, &deployment.sha).await?;
                    watch.relations.insert(deployment.sha.clone(), relation);
                    relation
                }
            };
            match relation {
                Relation::Ancestor => break,
                Relation::Unrelated => continue,
                Relation::Descendant => {}
            }
            if watch.failed.contains_key(&deployment.id) {
                continue;
            }
            let (outcome, polled) = self.outcome(deployment.id).await?;
            match outcome {
                StatusClass::Live => {
                    return Ok(Covering::Live {
                        id: deployment.id,
                        sha: deployment.sha.clone(),
                        url: polled.url,
                    });
                }
                StatusClass::Failed => {
                    watch.failed.insert(deployment.id, polled);
                }
                StatusClass::Pending => {
                    coming.get_or_insert_with(|| deployment.sha.clone());
                }
            }
        }
        Ok(Covering::Coming(coming))
    }

    /// Waits until the newest deployment of `sha` (a full commit sha) to
    /// `environment` has succeeded, or a newer deployment of a commit that
    /// contains `sha`. `environment` `auto` is the production environment
    /// `sha`'s deployments are in (see [`Survey`]). `on_state` hears each
    /// change of state, and the state again at least every
    /// `polling.heartbeat` (30 s unless set), with the environment. The last check happens at the deadline; requests may
    /// overrun it by one polling interval at most (retries included). A
    /// passing GitHub fault does not end the wait: the next poll may well
    /// succeed, unless it is a rate limit that resets after the deadline.
    pub async fn wait_until_live(
        &self,
        sha: &str,
        awaited: &Awaited,
        timeout: Duration,
        polling: &Polling,
        on_state: &dyn Fn(&str, &str),
    ) -> Result<LiveDeployment, DeployError> {
        let mut wait = Wait::new(sha, awaited, timeout, self.github.requests());
        let mut intervals = polling.intervals();
        let mut watch = Watch::default();
        on_state(&wait.last, &wait.shown_environment());
        loop {
            let polled = tokio::time::timeout_at(
                wait.deadline + polling.max,
                self.poll(&mut wait, polling, &mut watch, on_state),
            )
            .await;
            match polled {
                Err(_) => return Err(wait.timed_out()),
                Ok(Err(error)) => return Err(error),
                Ok(Ok(Some(live))) => return Ok(live),
                Ok(Ok(None)) => {}
            }
            let now = Instant::now();
            if now >= wait.deadline {
                return Err(wait.end());
            }
            if now.duration_since(wait.said) >= polling.heartbeat {
                on_state(&wait.last, &wait.shown_environment());
                wait.said = now;
            }
            let interval = intervals.next().unwrap_or(polling.max);
            tokio::time::sleep(interval.min(wait.deadline - now)).await;
        }
    }

    /// One poll of a wait: finds the environment under `auto`, looks, and
    /// says what changed. `Ok(None)`: keep waiting.
    async fn poll(
        &self,
        wait: &mut Wait<'_>,
        polling: &Polling,
        watch: &mut Watch,
        on_state: &dyn Fn(&str, &str),
    ) -> Result<Option<LiveDeployment>, DeployError> {
        let late = wait.started.elapsed() >= polling.elsewhere_after;
        let environment = match &wait.environment {
            Some(environment) => environment.clone(),
            None => match self.find_environment(wait, late, on_state).await? {
                Some(found) => {
                    on_state(
                        &format!(
                            "the deployments of {} go to `{found}` (deployment-environment: auto)",
                            short_sha(wait.sha)
                        ),
                        &found,
                    );
                    wait.environment = Some(found.clone());
                    found
                }
                None => return Ok(None),
            },
        };
        let looked = match self.look(wait.sha, &environment, watch).await {
            Ok(looked) => looked,
            Err(error) => return wait.unanswered(error, on_state).map(|()| None),
        };
        wait.unanswered = None;
        if late && matches!(looked, Look::Waiting { created: false, .. }) {
            let survey = self.survey(wait.sha).await?;
            if !survey.own.is_empty() {
                return Err(wait.elsewhere(&format!("`{environment}`"), survey.own));
            }
        }
        let requests = self.github.requests() - wait.requests_before;
        let (state, concluded) = conclude(looked, wait.sha, &environment, wait.started, requests);
        if state != wait.last {
            on_state(&state, &environment);
            wait.last = state;
            wait.said = Instant::now();
        }
        match concluded {
            Ok(live) => Ok(live),
            // A failed deployment may be one Vercel cancelled for a newer
            // push whose deployment GitHub does not list yet: look a few
            // more times before calling it failed.
            Err(error) if wait.grace == 0 => Err(error),
            Err(error) => {
                wait.grace -= 1;
                wait.failed = Some(error);
                Ok(None)
            }
        }
    }

    /// Under `auto`: the production environment the commit's deployments
    /// are in, once known. Past `late`, a commit deployed elsewhere only,
    /// or to several production environments none of which is the
    /// project's, ends the wait.
    async fn find_environment(
        &self,
        wait: &mut Wait<'_>,
        late: bool,
        on_state: &dyn Fn(&str, &str),
    ) -> Result<Option<String>, DeployError> {
        let survey = match self.survey(wait.sha).await {
            Ok(survey) => survey,
            Err(error) => return wait.unanswered(error, on_state).map(|()| None),
        };
        wait.unanswered = None;
        match survey.production(wait.project()) {
            Ok(found) => Ok(found),
            Err(several) if late => Err(wait.elsewhere(&wait.sought(), several)),
            Err(_) => Ok(None),
        }
        .and_then(|found| match found {
            None if late && !survey.own.is_empty() => {
                Err(wait.elsewhere(&wait.sought(), survey.own))
            }
            found => Ok(found),
        })
    }

    /// The repository's newest deployments in every environment (one
    /// request): which environments the commit's are in, and which
    /// production environments the repository has.
    async fn survey(&self, sha: &str) -> Result<Survey, GitHubError> {
        let path = format!("/repos/{}/deployments?per_page=100", self.repo);
        let listed: Vec<Deployment> = self.github.get(&path, DEPLOYMENTS, self.on_retry).await?;
        Ok(Survey::of(sha, &listed))
    }

    /// The sha of the deployment that was live in `environment` before
    /// `live`: the same lookup as [`Deployments::previous_success`], on the
    /// listing of the wait's last poll.
    pub async fn previous_live(
        &self,
        live: &LiveDeployment,
    ) -> Result<Option<String>, GitHubError> {
        self.previous_in(&live.listed, live.id, &live.sha).await
    }

    /// The sha of the newest deployment to `environment`, older than
    /// `current`, that went live; `None` when there is none to be found.
    pub async fn previous_success(
        &self,
        environment: &str,
        current: u64,
        current_sha: &str,
    ) -> Result<Option<String>, GitHubError> {
        let deployments = self.list(environment).await?;
        self.previous_in(&deployments, current, current_sha).await
    }

    /// Newest first through `deployments`, one request each, stopping at
    /// the first that ever succeeded; at most [`LOOKBACK`] of them.
    async fn previous_in(
        &self,
        deployments: &[Deployment],
        current: u64,
        current_sha: &str,
    ) -> Result<Option<String>, GitHubError> {
        let older = deployments
            .iter()
            .filter(|d| d.id < current && !d.sha.eq_ignore_ascii_case(current_sha))
            .take(LOOKBACK);
        for deployment in older {
            if self.ever_live(deployment.id).await? {
                return Ok(Some(deployment.sha.clone()));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
