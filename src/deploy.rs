//! Deployments, through GitHub's Deployments API where Vercel's Git
//! integration records them: waiting for the deployment of a commit to go
//! live before invalidating (an invalidation sent earlier is revalidated
//! against the old image and wasted), and finding the previous successful
//! deployment for runs triggered by `deployment_status`.

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::github::{GitHub, GitHubError, RetryNote};
use crate::untrusted::plain_url;

const DEPLOYMENTS: &str = "deployments: read";

/// How often to look at a deployment's status: the first interval grows by
/// half each time, up to the longest.
#[derive(Clone, Debug)]
pub struct Polling {
    pub initial: Duration,
    pub max: Duration,
}

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
                "fix the deployment{}; once a deployment of this commit succeeds, rerun this job",
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
pub struct Live {
    pub url: Option<String>,
    pub waited: Duration,
    /// GitHub requests the wait took.
    pub requests: u32,
}

/// One look at a deployment.
struct Polled {
    state: String,
    url: Option<String>,
    requests: u32,
}

#[derive(Debug, Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
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

impl Deployments<'_> {
    async fn list(
        &self,
        sha: Option<&str>,
        environment: &str,
    ) -> Result<Vec<Deployment>, GitHubError> {
        let sha = sha
            .map(|s| format!("sha={}&", query_value(s)))
            .unwrap_or_default();
        let path = format!(
            "/repos/{}/deployments?{sha}environment={}&per_page=100",
            self.repo,
            query_value(environment)
        );
        self.github.get(&path, DEPLOYMENTS, self.on_retry).await
    }

    async fn statuses(&self, id: u64, count: u32) -> Result<Vec<Status>, GitHubError> {
        let path = format!(
            "/repos/{}/deployments/{id}/statuses?per_page={count}",
            self.repo
        );
        self.github.get(&path, DEPLOYMENTS, self.on_retry).await
    }

    /// The state of the newest deployment of `sha` to `environment`, its
    /// URL, and the requests that took.
    async fn poll(&self, sha: &str, environment: &str) -> Result<Polled, GitHubError> {
        let deployments = self.list(Some(sha), environment).await?;
        let Some(newest) = deployments.iter().max_by_key(|d| d.id) else {
            return Ok(Polled {
                state: "not created yet".to_string(),
                url: None,
                requests: 1,
            });
        };
        let statuses = self.statuses(newest.id, 1).await?;
        let (state, url) = match statuses.into_iter().next() {
            None => ("created".to_string(), None),
            Some(status) => (
                status.state.to_ascii_lowercase(),
                [status.environment_url, status.target_url]
                    .into_iter()
                    .flatten()
                    .find(|u| plain_url(u)),
            ),
        };
        Ok(Polled {
            state,
            url,
            requests: 2,
        })
    }

    /// Waits until the newest deployment of `sha` (a full commit sha) to
    /// `environment` has succeeded. `on_state` hears each change of state.
    /// The last check happens at the deadline; requests may overrun it by
    /// one polling interval at most (retries included). A passing GitHub
    /// fault does not end the wait: the next poll may well succeed.
    pub async fn wait_until_live(
        &self,
        sha: &str,
        environment: &str,
        timeout: Duration,
        polling: &Polling,
        on_state: &dyn Fn(&str),
    ) -> Result<Live, DeployError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let mut interval = polling.initial;
        let mut last = "not created yet".to_string();
        let mut requests = 0;
        on_state(&last);
        let timed_out = |last: String| DeployError::TimedOut {
            sha: sha.to_string(),
            environment: environment.to_string(),
            last,
            waited: started.elapsed(),
        };
        loop {
            let polled =
                match tokio::time::timeout_at(deadline + polling.max, self.poll(sha, environment))
                    .await
                {
                    Err(_) => return Err(timed_out(last)),
                    Ok(Err(error)) if error.is_configuration() => return Err(error.into()),
                    Ok(Err(error)) => {
                        requests += 1;
                        on_state(&format!("status unknown ({error}); asking again"));
                        None
                    }
                    Ok(Ok(polled)) => {
                        requests += polled.requests;
                        Some(polled)
                    }
                };
            if let Some(Polled { state, url, .. }) = polled {
                if state != last {
                    on_state(&state);
                    last = state.clone();
                }
                match state.as_str() {
                    // `inactive`: a newer deployment replaced this one after
                    // it went live, which is just as good for the cache.
                    "success" | "inactive" => {
                        return Ok(Live {
                            url,
                            waited: started.elapsed(),
                            requests,
                        });
                    }
                    "failure" | "error" => {
                        return Err(DeployError::Failed {
                            sha: sha.to_string(),
                            environment: environment.to_string(),
                            state,
                            url,
                            waited: started.elapsed(),
                        });
                    }
                    _ => {}
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(timed_out(last));
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = interval.mul_f64(1.5).min(polling.max);
        }
    }

    /// The sha of the newest deployment to `environment`, older than
    /// `current`, that went live; `None` when there is none to be found.
    pub async fn previous_success(
        &self,
        environment: &str,
        current: u64,
        current_sha: &str,
    ) -> Result<Option<String>, GitHubError> {
        let mut deployments = self.list(None, environment).await?;
        deployments.retain(|d| d.id < current && !d.sha.eq_ignore_ascii_case(current_sha));
        deployments.sort_by_key(|d| std::cmp::Reverse(d.id));
        for deployment in deployments.into_iter().take(LOOKBACK) {
            let statuses = self.statuses(deployment.id, 100).await?;
            if statuses
                .iter()
                .any(|s| s.state.eq_ignore_ascii_case("success"))
            {
                return Ok(Some(deployment.sha));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
