//! The GitHub REST API client: octocrab underneath, with this project's own
//! retry discipline on top (octocrab's retry layer is left out, so requests
//! are never retried twice over) and every request counted.
//!
//! Retried: 5xx, 429, a 403 that is a rate limit (`x-ratelimit-remaining: 0`
//! or `Retry-After`), timeouts and transport errors. Anything else is final.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use http::header::{ACCEPT, USER_AGENT};
use http::{HeaderMap, HeaderName};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use url::Url;

use crate::retry::{Attempt, Gate, Http, retry, server_hint};
use crate::secret::Secret;
use crate::untrusted::{error_chain, excerpt};

/// The permission reading commits and trees needs.
pub const CONTENTS: &str = "contents: read";

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub answered {status} to GET {path}: {message}")]
    Status {
        status: u16,
        path: String,
        message: String,
        /// The permission this request needs, for the help line.
        permission: &'static str,
        /// A passing fault (5xx, rate limit) that outlasted the retries.
        transient: bool,
    },
    #[error("could not get GET {path} from GitHub: {message}")]
    Transport { path: String, message: String },
    /// The token's API rate limit is used up (a 429, or a 403 that says
    /// so), with the moment it resets when GitHub said.
    #[error("GitHub's API rate limit for this token is used up (GET {path}){}", reset_text(*.reset))]
    RateLimited {
        path: String,
        reset: Option<SystemTime>,
    },
    #[error("GitHub's answer to GET {path} could not be read: {message}")]
    Decode { path: String, message: String },
    #[error("the GitHub client could not be set up: {0}")]
    Setup(String),
}

impl GitHubError {
    /// A 4xx that is not a rate limit means the token, its permissions or
    /// the commits asked for are wrong: configuration, not a passing fault.
    pub fn is_configuration(&self) -> bool {
        matches!(self, GitHubError::Status { status, transient: false, .. } if (400..500).contains(status))
    }

    pub fn help(&self) -> String {
        match self {
            GitHubError::Status {
                transient: true, ..
            } => "GitHub is rate limiting or having trouble; rerun the job later (rerunning is safe)".to_string(),
            GitHubError::RateLimited { .. } => {
                "rerun the job later, once the limit has reset (rerunning is safe); the token's limit is shared by every workflow of the repository".to_string()
            }
            GitHubError::Status { status: 401, .. } => {
                "the github-token is not valid: pass `github-token: ${{ github.token }}` (the default) or a current token".to_string()
            }
            GitHubError::Status {
                status: 403,
                permission,
                ..
            } => format!(
                "give the job `permissions: {permission}` (a workflow that sets `permissions` must list it), or pass a github-token that has it"
            ),
            GitHubError::Status { status: 404, .. } => {
                "check that the repository and the commits exist and that github-token can read them (a token of another repository cannot); after a force push GitHub may no longer have the old commit: then set `base`".to_string()
            }
            GitHubError::Status { .. } => {
                "check base and head: they must be commits of this repository".to_string()
            }
            GitHubError::Transport { .. } | GitHubError::Decode { .. } => {
                "GitHub may be having trouble; rerun the job (rerunning is safe), or check GITHUB_API_URL".to_string()
            }
            GitHubError::Setup(_) => {
                "check that the system has CA certificates (SSL_CERT_FILE) and that GITHUB_API_URL is valid".to_string()
            }
        }
    }
}

/// Reads the `message` of a GitHub error body, or a short, single-line
/// excerpt of whatever came back.
fn error_message(body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        message: String,
    }
    match serde_json::from_str::<Body>(body) {
        Ok(parsed) => excerpt(&parsed.message),
        Err(_) if body.trim().is_empty() => "(empty answer)".to_string(),
        Err(_) => excerpt(body),
    }
}

fn is_rate_limited(status: u16, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    status == 429
        || (status == 403
            && (header("retry-after").is_some()
                || header("x-ratelimit-remaining").is_some_and(|v| v.trim() == "0")))
}

pub struct GitHub {
    octocrab: Octocrab,
    http: Http,
    gate: Gate,
    requests: AtomicU32,
}

/// What the log is told when a request is retried.
pub struct RetryNote {
    pub path: String,
    pub attempt: u32,
    pub reason: String,
    pub wait: Duration,
}

impl GitHub {
    pub fn new(api_url: &Url, token: &Secret, http: &Http) -> Result<Self, GitHubError> {
        let setup = |e: octocrab::Error| GitHubError::Setup(e.to_string());
        let base = api_url.as_str().trim_end_matches('/').to_string();
        let octocrab = Octocrab::builder()
            .base_uri(base)
            .map_err(setup)?
            .personal_token(token.expose().to_string())
            .add_header(USER_AGENT, crate::retry::USER_AGENT.to_string())
            .add_header(ACCEPT, "application/vnd.github+json".to_string())
            .add_header(
                HeaderName::from_static("x-github-api-version"),
                "2022-11-28".to_string(),
            )
            .build()
            .map_err(setup)?;
        Ok(Self {
            octocrab,
            http: http.clone(),
            gate: Gate::default(),
            requests: AtomicU32::new(0),
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET path_and_query` (relative to the API URL), decoded from JSON.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        permission: &'static str,
        on_retry: &dyn Fn(RetryNote),
    ) -> Result<T, GitHubError> {
        let body = retry(
            &self.http.retry,
            &self.gate,
            |_| self.attempt(path, permission),
            |attempt, error: &GitHubError, wait| {
                on_retry(RetryNote {
                    path: path.to_string(),
                    attempt,
                    reason: error.to_string(),
                    wait,
                })
            },
        )
        .await
        .map_err(|gave_up| match gave_up.refused_wait {
            // Asked to wait longer than this action waits: a rate limit.
            Some(wait) => GitHubError::RateLimited {
                path: path.to_string(),
                reset: Some(SystemTime::now() + wait),
            },
            None => gave_up.error,
        })?;
        serde_json::from_str(&body).map_err(|e| GitHubError::Decode {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    /// A branch, tag or short sha of `repo` turned into the full commit sha.
    pub async fn resolve_commit(
        &self,
        repo: &str,
        rev: &str,
        on_retry: &dyn Fn(RetryNote),
    ) -> Result<String, GitHubError> {
        if crate::untrusted::is_full_sha(rev) {
            return Ok(rev.to_ascii_lowercase());
        }
        #[derive(serde::Deserialize)]
        struct Commit {
            sha: String,
        }
        let path = format!(
            "/repos/{repo}/commits/{}?per_page=1",
            percent_encoding::utf8_percent_encode(rev, percent_encoding::NON_ALPHANUMERIC)
        );
        let commit: Commit = self.get(&path, CONTENTS, on_retry).await?;
        Ok(commit.sha)
    }

    async fn attempt(&self, path: &str, permission: &'static str) -> Attempt<String, GitHubError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let transport = |message: String| GitHubError::Transport {
            path: path.to_string(),
            message,
        };
        let exchange = async {
            let response = self
                .octocrab
                ._get(path)
                .await
                .map_err(|e| error_chain(&e))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = self
                .octocrab
                .body_to_string(response)
                .await
                .map_err(|e| error_chain(&e))?;
            Ok::<_, String>((status, headers, body))
        };
        let (status, headers, body) = match tokio::time::timeout(self.http.timeout, exchange).await
        {
            Err(_) => {
                return Attempt::Retry {
                    error: transport(format!(
                        "no complete answer within {:.1} s",
                        self.http.timeout.as_secs_f64()
                    )),
                    hint: None,
                };
            }
            Ok(Err(message)) => {
                return Attempt::Retry {
                    error: transport(message),
                    hint: None,
                };
            }
            Ok(Ok(answer)) => answer,
        };
        if (200..300).contains(&status) {
            return Attempt::Done(body);
        }
        if is_rate_limited(status, &headers) {
            let now = SystemTime::now();
            let hint = server_hint(&headers, now);
            return Attempt::Retry {
                error: GitHubError::RateLimited {
                    path: path.to_string(),
                    reset: hint.map(|wait| now + wait),
                },
                hint,
            };
        }
        let transient = status >= 500 || status == 408;
        let error = GitHubError::Status {
            status,
            path: path.to_string(),
            message: error_message(&body),
            permission,
            transient,
        };
        if transient {
            Attempt::Retry {
                error,
                hint: server_hint(&headers, SystemTime::now()),
            }
        } else {
            Attempt::Fatal(error)
        }
    }
}

/// `; it resets at 12:34:56 UTC, in 25m 10s`, when the moment is known.
fn reset_text(reset: Option<SystemTime>) -> String {
    let Some(reset) = reset else {
        return String::new();
    };
    let Ok(epoch) = reset.duration_since(std::time::UNIX_EPOCH) else {
        return String::new();
    };
    let day = epoch.as_secs() % 86_400;
    let left = reset
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    format!(
        "; it resets at {:02}:{:02}:{:02} UTC, in {}",
        day / 3600,
        day / 60 % 60,
        day % 60,
        crate::retry::describe_wait(left)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn a_rate_limit_says_when_it_resets() {
        let reset = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + 3_725);
        let error = GitHubError::RateLimited {
            path: "/repos/o/r/deployments".into(),
            reset: Some(reset),
        };
        let text = error.to_string();
        assert!(text.starts_with("GitHub's API rate limit for this token is used up"));
        assert!(text.contains("it resets at 09:02:05 UTC"), "{text}");
        assert!(!error.is_configuration());
        assert!(error.help().contains("once the limit has reset"));
    }

    #[test]
    fn error_messages_come_from_json_or_an_excerpt() {
        assert_eq!(error_message(r#"{"message":"Not Found"}"#), "Not Found");
        assert_eq!(error_message(""), "(empty answer)");
        assert_eq!(error_message("<html>\nboom"), "<html>\\nboom");
    }

    #[test]
    fn a_403_is_retried_only_when_it_is_a_rate_limit() {
        let mut headers = HeaderMap::new();
        assert!(!is_rate_limited(403, &headers));
        assert!(is_rate_limited(429, &headers));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        assert!(is_rate_limited(403, &headers));
    }

    #[test]
    fn four_hundreds_are_configuration_and_help_names_the_permission() {
        let error = GitHubError::Status {
            status: 403,
            path: "/x".into(),
            message: "Resource not accessible by integration".into(),
            permission: "deployments: read",
            transient: false,
        };
        assert!(error.is_configuration());
        assert!(error.help().contains("deployments: read"));
        let limited = GitHubError::Status {
            status: 429,
            path: "/x".into(),
            message: "slow down".into(),
            permission: "contents: read",
            transient: true,
        };
        assert!(!limited.is_configuration());
        assert!(limited.help().contains("rerun"));
        let error = GitHubError::Transport {
            path: "/x".into(),
            message: "reset".into(),
        };
        assert!(!error.is_configuration());
    }
}
