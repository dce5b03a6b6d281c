//! The Vercel edge-cache client: batches of at most 8 public paths, sent
//! `concurrency` at a time, each retried on 429, 5xx, timeouts and transport
//! errors, and never followed across a redirect (the bearer token goes to the
//! configured origin only).
//!
//! An answer that every other batch would get too (bad token, plan without
//! the feature, no permission, unknown project) stops the run: batches not yet
//! sent end as failed with that reason instead of repeating the request. Such
//! an answer means the configuration can never work ([`Stop::configuration`]),
//! which fails the run whatever `fail-on-error` says.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::actions::Line;
use crate::retry::{Attempt, Gate, Http, USER_AGENT, retry, server_hint};
use crate::secret::Secret;
use crate::untrusted::{bounded_text, error_chain, excerpt_hiding};

pub const BATCH_SIZE: usize = 8;

/// How much of an answer's body is read: Vercel's error bodies are a few
/// hundred bytes of JSON.
const ERROR_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Mark stale; variants revalidate in the background.
    Invalidate,
    /// Delete the cached variants; the next request waits for the origin.
    Delete,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Invalidate => "invalidate",
            Mode::Delete => "delete",
        }
    }

    pub fn endpoint_path(self) -> &'static str {
        match self {
            Mode::Invalidate => "/v1/edge-cache/invalidate-by-src-images",
            Mode::Delete => "/v1/edge-cache/dangerously-delete-by-src-images",
        }
    }
}

/// Where and how to send: what the client needs of the inputs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub api_url: Url,
    pub mode: Mode,
    pub team_id: Option<String>,
    pub team_slug: Option<String>,
    /// Sent with [`Mode::Delete`] only.
    pub revalidation_deadline_seconds: Option<u64>,
    pub http: Http,
}

/// Why a batch was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Vercel's error code (`forbidden`, `rate_limited`...), when given.
    pub code: Option<String>,
    /// What went wrong, in a sentence.
    pub message: String,
}

impl Failure {
    fn transport(message: String) -> Self {
        Self {
            status: None,
            code: None,
            message,
        }
    }

    /// One line for the summary and the log: `401 unauthorized: message`.
    pub fn describe(&self) -> String {
        match (&self.status, &self.code) {
            (Some(status), Some(code)) => format!("{status} {code}: {}", self.message),
            (Some(status), None) => format!("{status}: {}", self.message),
            (None, _) => self.message.clone(),
        }
    }
}

/// What happened to every path handed to [`Vercel::send`].
#[derive(Clone, Debug, Default)]
pub struct Sent {
    pub done: Vec<String>,
    pub failed: Vec<(String, Failure)>,
    /// HTTP requests made, retries included.
    pub requests: u32,
    /// Set when an answer stopped the remaining batches: what it was and the fix.
    pub stopped: Option<Stop>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    pub reason: String,
    pub help: String,
    /// The answer is about the configuration (token, team, project, plan,
    /// API origin), not about these images: every run would get it until
    /// the configuration changes.
    pub configuration: bool,
}

/// A live event, for the log.
pub enum SendProgress<'a> {
    Retrying {
        batch: usize,
        attempt: u32,
        failure: &'a Failure,
        wait: Duration,
    },
    Finished {
        batch: usize,
        paths: &'a [String],
        result: Result<u32, &'a Failure>,
    },
}

impl SendProgress<'_> {
    /// The event as the log shows it, of `batches` requests in all: one
    /// line, and each path of a finished batch as detail.
    pub fn lines(&self, batches: usize) -> Vec<Line> {
        match *self {
            SendProgress::Retrying {
                batch,
                attempt,
                failure,
                wait,
            } => vec![Line::Progress(format!(
                "request {}/{batches}: attempt {attempt} failed ({}); retrying in {:.1}s",
                batch + 1,
                failure.describe(),
                wait.as_secs_f64()
            ))],
            SendProgress::Finished {
                batch,
                paths,
                result,
            } => {
                let outcome = match result {
                    Ok(1) => "done".to_string(),
                    Ok(attempts) => format!("done after {attempts} attempts"),
                    Err(failure) => format!("FAILED: {}", failure.describe()),
                };
                let mut lines = vec![Line::Text(format!(
                    "request {}/{batches}: {} image(s): {outcome}",
                    batch + 1,
                    paths.len()
                ))];
                lines.extend(paths.iter().map(|path| Line::Debug(format!("  {path}"))));
                lines
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    src_images: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    revalidation_deadline_seconds: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
    /// Set on Vercel's 403 for a token it does not know: mistyped,
    /// expired or revoked.
    #[serde(default)]
    invalid_token: bool,
}

/// Whether Vercel's error body says the token itself is not valid
/// (`{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`).
fn says_invalid_token(text: &str) -> bool {
    serde_json::from_str::<ErrorBody>(text).is_ok_and(|body| body.error.invalid_token)
}

pub struct Vercel {
    client: reqwest::Client,
    endpoint: Url,
    authorization: HeaderValue,
    deadline: Option<u64>,
    http: Http,
    gate: Gate,
    requests: AtomicU32,
    stop: Mutex<Option<Stop>>,
    project: String,
    team: Option<String>,
    /// The token, taken out of an answer before it is shortened.
    hidden: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the Vercel client could not be set up: {0}")]
pub struct SetupError(pub(crate) String);

impl Vercel {
    pub fn new(settings: &Settings, token: &Secret, project: &str) -> Result<Self, SetupError> {
        let mut endpoint = settings.api_url.clone();
        let base_path = endpoint.path().trim_end_matches('/').to_string();
        endpoint.set_path(&format!("{base_path}{}", settings.mode.endpoint_path()));
        {
            let mut query = endpoint.query_pairs_mut();
            query.append_pair("projectIdOrName", project);
            if let Some(team) = &settings.team_id {
                query.append_pair("teamId", team);
            }
            if let Some(slug) = &settings.team_slug {
                query.append_pair("slug", slug);
            }
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| SetupError("the token cannot be sent in an HTTP header".to_string()))?;
        authorization.set_sensitive(true);
        let client = http_client(settings.http.timeout)?;
        let team = settings
            .team_id
            .clone()
            .or_else(|| settings.team_slug.clone());
        Ok(Self {
            client,
            endpoint,
            authorization,
            deadline: match settings.mode {
                Mode::Delete => settings.revalidation_deadline_seconds,
                Mode::Invalidate => None,
            },
            http: settings.http.clone(),
            gate: Gate::default(),
            requests: AtomicU32::new(0),
            stop: Mutex::new(None),
            project: project.to_string(),
            team,
            hidden: crate::secret::secret_list([token]),
        })
    }

    fn stopped(&self) -> Option<Stop> {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends `paths` (already unique) in batches of 8, `concurrency` at once.
    pub async fn send(
        &self,
        paths: &[String],
        concurrency: usize,
        progress: &dyn Fn(SendProgress<'_>),
    ) -> Sent {
        debug_assert_eq!(paths.iter().collect::<HashSet<_>>().len(), paths.len());
        let batches: Vec<&[String]> = paths.chunks(BATCH_SIZE).collect();
        let mut results = futures_util::stream::iter(batches.into_iter().enumerate())
            .map(|(index, batch)| async move {
                let result = self.send_batch(index, batch, progress).await;
                (index, batch, result)
            })
            .buffer_unordered(concurrency.max(1));
        let mut sent = Sent::default();
        let mut finished = Vec::new();
        while let Some((index, batch, result)) = results.next().await {
            progress(SendProgress::Finished {
                batch: index,
                paths: batch,
                result: result.as_ref().map(|n| *n),
            });
            finished.push((index, batch, result));
        }
        finished.sort_by_key(|(index, _, _)| *index);
        for (_, batch, result) in finished {
            match result {
                Ok(_) => sent.done.extend(batch.iter().cloned()),
                Err(failure) => sent
                    .failed
                    .extend(batch.iter().map(|path| (path.clone(), failure.clone()))),
            }
        }
        sent.requests = self.requests.load(Ordering::Relaxed);
        sent.stopped = self.stopped();
        sent
    }

    /// One batch to the end: `Ok(attempts)` or the failure.
    async fn send_batch(
        &self,
        index: usize,
        batch: &[String],
        progress: &dyn Fn(SendProgress<'_>),
    ) -> Result<u32, Failure> {
        let body = serde_json::to_vec(&Body {
            src_images: batch,
            revalidation_deadline_seconds: self.deadline,
        })
        .map_err(|e| Failure::transport(format!("could not encode the request: {e}")))?;
        let outcome = retry(
            &self.http.retry,
            &self.gate,
            |attempt| {
                let body = body.clone();
                async move {
                    if let Some(stop) = self.stopped() {
                        return Attempt::Fatal(Failure::transport(format!(
                            "not sent: {}",
                            stop.reason
                        )));
                    }
                    self.attempt(body).await.map_done(|()| attempt)
                }
            },
            |attempt, failure, wait| {
                progress(SendProgress::Retrying {
                    batch: index,
                    attempt,
                    failure,
                    wait,
                })
            },
        )
        .await;
        outcome.map_err(|gave_up| {
            let mut failure = gave_up.error;
            if let Some(wait) = gave_up.refused_wait {
                failure.message = format!(
                    "{}; Vercel asked to wait {} s before retrying, longer than the {} s this action waits",
                    failure.message,
                    wait.as_secs(),
                    self.http.retry.max_wait.as_secs()
                );
                // Every other batch would be refused the same way.
                self.stop_all(Stop {
                    reason: format!("Vercel is rate limiting this token for the next {} s", wait.as_secs()),
                    help: "rerun the job later (rerunning is safe), or lower concurrency".to_string(),
                    configuration: false,
                });
            } else if gave_up.attempts > 1 {
                failure.message = format!("{} (after {} attempts)", failure.message, gave_up.attempts);
            }
            failure
        })
    }

    async fn attempt(&self, body: Vec<u8>) -> Attempt<(), Failure> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .client
            .post(self.endpoint.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let mut response = match response {
            Ok(response) => response,
            Err(error) => {
                return Attempt::Retry {
                    error: Failure::transport(describe_transport(&error)),
                    hint: None,
                };
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let retryable = status == 408 || status == 429 || status >= 500;
        // Vercel's error bodies are short JSON: a longer one is cut, and
        // what is kept never ends in the start of a secret.
        let (body, cut, broke) = read_bounded(&mut response, ERROR_BODY_BYTES).await;
        let text = match broke {
            None => bounded_text(&body, cut, &self.hidden),
            // The status line arrived: a 2xx was accepted and a 4xx refused,
            // whatever became of the (short) body.
            Some(_) if !retryable => String::new(),
            Some(error) => {
                return Attempt::Retry {
                    error: Failure::transport(format!(
                        "the answer ({status}) was cut short: {}",
                        describe_transport(&error)
                    )),
                    hint: None,
                };
            }
        };
        if (200..300).contains(&status) {
            // The last request of the rate-limit window: let the others
            // wait for the reset instead of running into 429s.
            if let Some(wait) = server_hint(&headers, SystemTime::now())
                && wait <= self.http.retry.max_wait
            {
                self.gate.hold_for(wait);
            }
            return Attempt::Done(());
        }
        let failure = self.failure(status, &headers, &text);
        if retryable {
            return Attempt::Retry {
                error: failure,
                hint: {
                    let now = SystemTime::now();
                    server_hint(&headers, now).or_else(|| reset_from_body(&text, now))
                },
            };
        }
        if let Some(stop) = self.stop_for(status, &failure, says_invalid_token(&text)) {
            self.stop_all(stop);
        }
        Attempt::Fatal(failure)
    }

    fn failure(&self, status: u16, headers: &reqwest::header::HeaderMap, text: &str) -> Failure {
        let parsed = serde_json::from_str::<ErrorBody>(text).ok();
        let code = parsed.as_ref().and_then(|b| b.error.code.clone());
        let message = parsed
            .and_then(|b| b.error.message)
            .map(|m| excerpt_hiding(&m, &self.hidden))
            .unwrap_or_else(|| {
                if (300..400).contains(&status) {
                    let location = headers
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("(no location)");
                    format!(
                        "redirected to {}; not followed, the token is sent only to vercel-api-url",
                        excerpt_hiding(location, &self.hidden)
                    )
                } else if text.trim().is_empty() {
                    reason_phrase(status).to_string()
                } else {
                    format!(
                        "{} ({})",
                        reason_phrase(status),
                        excerpt_hiding(text, &self.hidden)
                    )
                }
            });
        Failure {
            status: Some(status),
            code,
            message,
        }
    }

    /// Ends the batches not sent yet; the first reason given is kept.
    fn stop_all(&self, stop: Stop) {
        let mut guard = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        guard.get_or_insert(stop);
    }

    /// The answers that every other batch would get too: the configuration
    /// can never work. Vercel answers a token it does not know with 403
    /// and `invalidToken: true`; a 403 without it is a token that is valid
    /// but has no access.
    fn stop_for(&self, status: u16, failure: &Failure, invalid_token: bool) -> Option<Stop> {
        let team = self
            .team
            .as_ref()
            .map(|t| format!(" in team `{t}`"))
            .unwrap_or_default();
        let new_token = "create a new token at https://vercel.com/account/tokens (scoped to the team that owns the project) and update the secret passed as vercel-token";
        let (what, help) = match status {
            401 | 403 if invalid_token || status == 401 => (
                format!("Vercel says the token is invalid, expired or revoked ({status})"),
                new_token.to_string(),
            ),
            402 => (
                "the Vercel plan does not include this feature (402)".to_string(),
                "invalidating images by source needs a plan with Image Optimization; check the team's plan".to_string(),
            ),
            403 => (
                "the token may not change this project's cache (403)".to_string(),
                format!("use a token with access to project `{}`{team}; for a team project set team-id or team-slug", self.project),
            ),
            404 => (
                format!("Vercel found no project `{}`{team} (404)", self.project),
                "check project (name or id) and team-id / team-slug: a team project needs the team".to_string(),
            ),
            300..=399 => (
                format!("Vercel answered with a redirect ({status})"),
                "set vercel-api-url to the API origin itself, such as https://api.vercel.com".to_string(),
            ),
            _ => return None,
        };
        Some(Stop {
            reason: format!("{what}: {}", failure.message),
            help,
            configuration: true,
        })
    }
}

/// The client every request to Vercel goes through (the API and the live
/// site): rustls, the user agent, a total and a connect timeout, and no
/// redirect followed, so that a token or bypass secret in a header goes to
/// the configured origin only.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, SetupError> {
    // Once per process; the binary has done it already, a library caller
    // (a test) may not have.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| SetupError(e.to_string()))
}

impl<T, E> Attempt<T, E> {
    fn map_done<U>(self, f: impl FnOnce(T) -> U) -> Attempt<U, E> {
        match self {
            Attempt::Done(value) => Attempt::Done(f(value)),
            Attempt::Retry { error, hint } => Attempt::Retry { error, hint },
            Attempt::Fatal(error) => Attempt::Fatal(error),
        }
    }
}

/// A 429 body's `limit.reset` (epoch seconds) or `limit.resetMs`, when no
/// header said how long to wait.
fn reset_from_body(text: &str, now: SystemTime) -> Option<Duration> {
    #[derive(Deserialize)]
    struct RateBody {
        error: RateError,
    }
    #[derive(Deserialize)]
    struct RateError {
        limit: Option<Limit>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Limit {
        reset: Option<u64>,
        reset_ms: Option<u64>,
    }
    let limit = serde_json::from_str::<RateBody>(text).ok()?.error.limit?;
    let value = limit
        .reset_ms
        .map(|ms| ms.to_string())
        .or_else(|| limit.reset.map(|s| s.to_string()))?;
    crate::retry::until_epoch(&value, now)
}

/// The first `limit` bytes of an answer's body, read to its end (the rest
/// dropped) so that the connection can serve the next request, and whether
/// anything was dropped; on a broken body, what was read and the error.
pub(crate) async fn read_bounded(
    response: &mut reqwest::Response,
    limit: usize,
) -> (Vec<u8>, bool, Option<reqwest::Error>) {
    let mut kept = Vec::new();
    let mut cut = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - kept.len();
                cut |= chunk.len() > room;
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => return (kept, cut, None),
            Err(error) => return (kept, true, Some(error)),
        }
    }
}

pub(crate) fn describe_transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "the request failed"
    };
    // The chain holds hyper's and the OS's words; no header is in it, and
    // the URL is shown without its query.
    let origin = error
        .url()
        .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or("")))
        .unwrap_or_default();
    let detail = match std::error::Error::source(error) {
        Some(cause) => format!(": {}", error_chain(cause)),
        None => String::new(),
    };
    format!("{kind} ({origin}){detail}")
}

pub(crate) fn reason_phrase(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unexpected status")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_describe_status_code_and_message() {
        let failure = Failure {
            status: Some(403),
            code: Some("forbidden".into()),
            message: "Not authorized".into(),
        };
        assert_eq!(failure.describe(), "403 forbidden: Not authorized");
        assert_eq!(
            Failure::transport("timed out".into()).describe(),
            "timed out"
        );
    }

    #[test]
    fn the_body_is_exactly_the_schema() {
        let images = vec!["/a.png".to_string()];
        let plain = serde_json::to_string(&Body {
            src_images: &images,
            revalidation_deadline_seconds: None,
        })
        .expect("json");
        assert_eq!(plain, r#"{"srcImages":["/a.png"]}"#);
        let with_deadline = serde_json::to_string(&Body {
            src_images: &images,
            revalidation_deadline_seconds: Some(60),
        })
        .expect("json");
        assert_eq!(
            with_deadline,
            r#"{"srcImages":["/a.png"],"revalidationDeadlineSeconds":60}"#
        );
    }

    #[test]
    fn a_rate_limit_body_gives_the_reset_time() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let body = |limit: &str| {
            format!(
                r#"{{"error":{{"code":"rate_limited","message":"slow down","limit":{limit}}}}}"#
            )
        };
        let seconds = body(r#"{"remaining":0,"reset":1800000005,"total":100}"#);
        assert_eq!(reset_from_body(&seconds, now), Some(Duration::from_secs(5)));
        // resetMs is the more precise of the two.
        let both = body(r#"{"remaining":0,"reset":1800000005,"resetMs":1800000004500}"#);
        assert_eq!(
            reset_from_body(&both, now),
            Some(Duration::from_millis(4500))
        );
        // A reset already past means no wait.
        let past = body(r#"{"remaining":0,"reset":1799999990}"#);
        assert_eq!(reset_from_body(&past, now), Some(Duration::ZERO));
        assert_eq!(reset_from_body("{}", now), None);
    }
}
