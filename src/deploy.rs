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

const DEPLOYMENTS: &str = "deployments: read";

/// How often to look at a deployment's status: the first interval grows by
/// half each time, up to the longest.
#[derive(Clone, Debug)]
pub struct Polling {
    pub initial: Duration,
    pub max: Duration,
}

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
}

impl DeployError {
    pub fn is_configuration(&self) -> bool {
        matches!(self, DeployError::GitHub(error) if error.is_configuration())
    }

    pub fn help(&self) -> String {
        match self {
            DeployError::GitHub(error) => error.help(),
            DeployError::Failed { url, .. } => format!(
                "fix the deployment{}, then rerun this job; on a push, the next run whose deployment goes live covers this push's images too (it compares what was live before with what is live then)",
                url.as_ref().map(|u| format!(" ({u})")).unwrap_or_default()
            ),
            DeployError::TimedOut { .. } => {
                "raise deployment-timeout, or check deployment-environment: it must match the environment Vercel reports to GitHub (Production by default)".to_string()
            }
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
    let seconds = wait.as_secs();
    if seconds < 60 {
        format!("{:.1}s", wait.as_secs_f64())
    } else {
        format!("{}m {:02}s", seconds / 60, seconds % 60)
    }
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
    Failed {
        state: String,
        url: Option<String>,
    },
    Waiting {
        state: String,
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
        Look::Waiting { state } => (state, Ok(None)),
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
                state: status.state.to_ascii_lowercase(),
                url: [status.environment_url, status.target_url]
                    .into_iter()
                    .flatten()
                    .find(|u| plain_url(u)),
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
            },
            (None, Some(newer)) => Look::Waiting {
                state: format!(
                    "{}; {} (which contains it) is deploying too",
                    own.state,
                    short_sha(&newer)
                ),
            },
            (None, None) => Look::Waiting { state: own.state },
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
    /// contains `sha`. `on_state` hears each change of state. The last
    /// check happens at the deadline; requests may overrun it by one
    /// polling interval at most (retries included). A passing GitHub fault
    /// does not end the wait: the next poll may well succeed.
    pub async fn wait_until_live(
        &self,
        sha: &str,
        environment: &str,
        timeout: Duration,
        polling: &Polling,
        on_state: &dyn Fn(&str),
    ) -> Result<LiveDeployment, DeployError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let requests_before = self.github.requests();
        let mut intervals = polling.intervals();
        let mut last = "not created yet".to_string();
        let mut watch = Watch::default();
        // A failed deployment may be one Vercel cancelled for a newer push
        // whose deployment GitHub does not list yet: look a few more times
        // before calling it failed.
        let mut grace = FAILED_GRACE_POLLS;
        let mut failed = None;
        on_state(&last);
        let timed_out = |last: String| DeployError::TimedOut {
            sha: sha.to_string(),
            environment: environment.to_string(),
            last,
            waited: started.elapsed(),
        };
        loop {
            let looked = match tokio::time::timeout_at(
                deadline + polling.max,
                self.look(sha, environment, &mut watch),
            )
            .await
            {
                Err(_) => return Err(timed_out(last)),
                Ok(Err(error)) if error.is_configuration() => return Err(error.into()),
                Ok(Err(error)) => {
                    on_state(&format!("status unknown ({error}); asking again"));
                    None
                }
                Ok(Ok(looked)) => Some(looked),
            };
            if let Some(looked) = looked {
                let requests = self.github.requests() - requests_before;
                let (state, concluded) = conclude(looked, sha, environment, started, requests);
                if state != last {
                    on_state(&state);
                    last = state;
                }
                match concluded {
                    Ok(Some(live)) => return Ok(live),
                    Err(error) if grace == 0 => return Err(error),
                    Err(error) => {
                        grace -= 1;
                        failed = Some(error);
                    }
                    Ok(None) => {}
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(failed.unwrap_or_else(|| timed_out(last)));
            }
            let interval = intervals.next().unwrap_or(polling.max);
            tokio::time::sleep(interval.min(deadline - now)).await;
        }
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
mod tests {
    use super::*;

    #[test]
    fn polls_grow_by_half_up_to_the_longest_interval() {
        let polling = Polling {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        };
        let intervals: Vec<u128> = polling.intervals().take(7).map(|d| d.as_millis()).collect();
        assert_eq!(intervals, [50, 75, 112, 168, 200, 200, 200]);
        let flat = Polling {
            initial: Duration::from_secs(20),
            max: Duration::from_secs(15),
        };
        assert_eq!(flat.intervals().next(), Some(Duration::from_secs(15)));
    }

    #[test]
    fn waits_are_shown_in_seconds_then_minutes() {
        assert_eq!(format_wait(Duration::from_millis(2500)), "2.5s");
        assert_eq!(format_wait(Duration::from_secs(125)), "2m 05s");
    }

    #[test]
    fn failures_say_what_to_do() {
        let failed = DeployError::Failed {
            sha: "abc".into(),
            environment: "Production".into(),
            state: "failure".into(),
            url: Some("https://x.vercel.app".into()),
            waited: Duration::from_secs(3),
        };
        assert!(failed.to_string().contains("`failure`"));
        assert!(failed.help().contains("https://x.vercel.app"));
        assert!(!failed.is_configuration());
        let timed_out = DeployError::TimedOut {
            sha: "abc".into(),
            environment: "Production".into(),
            last: "in_progress".into(),
            waited: Duration::from_secs(600),
        };
        assert!(timed_out.help().contains("deployment-timeout"));
    }
}
