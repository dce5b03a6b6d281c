//! The live site, asked after invalidating: [`LiveSite::verify`] requests one
//! optimized variant of each image as a browser would and reads Vercel's
//! `x-vercel-cache` and `ETag` to tell whether visitors now get the new
//! picture; [`LiveSite::warm`] requests every variant the site allows, so that no
//! visitor is the one served the stale copy while it revalidates.
//!
//! Requests go through the same client, retry policy and concurrency limit
//! as the Vercel API client; no redirect is followed, so the Deployment
//! Protection bypass secret goes to `site` only. An answer every request
//! would get too (401/403 from Deployment Protection) stops the requests not
//! sent yet, which end with that same reason.

pub mod variant;
mod verify;
mod warm;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, HeaderValue};
use url::Url;

use crate::actions::Line;
use crate::retry::{Attempt, Gate, RetryPolicy, retry, server_hint};
use crate::secret::Secret;
use crate::untrusted::excerpt;
use crate::vercel::{SetupError, describe_transport, http_client, reason_phrase};

pub use variant::{
    BROWSER_ACCEPT, DEFAULT_FORMAT, DEFAULT_QUALITY, NEXT_DEVICE_SIZES, NEXT_IMAGE_SIZES,
    Optimizer, Variant,
};
pub use verify::{Live, Problem, Unconfirmed, Verification, Verified};
pub use warm::{Warmed, Warming};

/// The header Vercel's Deployment Protection lets through.
pub const BYPASS_HEADER: &str = "x-vercel-protection-bypass";

/// Default most warm-up requests per run.
pub const DEFAULT_WARM_LIMIT: usize = 2000;

/// Everything the live-site requests need: where the site is and the
/// requests' limits ([`Requests`], built at the boundary from the inputs),
/// and how the site serves its images ([`Served`], from the site stage).
#[derive(Clone, Debug)]
pub struct Settings {
    pub requests: Requests,
    pub served: Served,
}

/// Where the live site is and how the run may ask it, from the inputs.
#[derive(Clone, Debug)]
pub struct Requests {
    /// The production origin (`https://example.com`); only its scheme, host
    /// and port are used.
    pub site: Url,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Total time one request may take.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Sent as `x-vercel-protection-bypass`.
    pub bypass: Option<Secret>,
    pub timing: Timing,
    /// Most requests [`LiveSite::warm`] makes in one run, retries included.
    pub warm_limit: usize,
}

/// How the site's optimizer serves images, as the site's config says:
/// where the optimizer is and the widths, qualities and formats it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub optimizer: Optimizer,
    pub widths: Vec<u32>,
    pub qualities: Vec<u32>,
    pub formats: Vec<String>,
}

impl Served {
    /// `optimizer` with Next.js's defaults (widths, quality 75, WebP).
    pub fn new(optimizer: Optimizer) -> Self {
        Self {
            optimizer,
            widths: [NEXT_DEVICE_SIZES.as_slice(), NEXT_IMAGE_SIZES.as_slice()].concat(),
            qualities: vec![DEFAULT_QUALITY],
            formats: vec![DEFAULT_FORMAT.to_string()],
        }
    }
}

impl Default for Served {
    /// Without a config: Next.js at the site root, with its defaults.
    fn default() -> Self {
        Self::new(Optimizer::NextJs {
            base_path: String::new(),
        })
    }
}

impl Requests {
    /// The project's usual concurrency, timeout and retries for `site`.
    pub fn new(site: Url) -> Self {
        Self {
            site,
            concurrency: 4,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            bypass: None,
            timing: Timing::default(),
            warm_limit: DEFAULT_WARM_LIMIT,
        }
    }
}

/// How long and how often one image is probed.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// How long a `HIT` with the old ETag may last before it means that the
    /// invalidation did not match (it takes a moment to reach every region).
    pub grace: Duration,
    /// Wait before the second probe of an image.
    pub first_interval: Duration,
    /// Each wait is this many times the one before...
    pub growth: f64,
    /// ...up to this.
    pub max_interval: Duration,
    /// Longest time one image is probed; a variant still `STALE` by then is
    /// reported as such.
    pub bound: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(15),
            first_interval: Duration::from_secs(1),
            growth: 1.5,
            max_interval: Duration::from_secs(10),
            bound: Duration::from_secs(120),
        }
    }
}

impl Timing {
    /// The wait after `waits` earlier ones.
    fn interval(&self, waits: u32) -> Duration {
        let factor = self.growth.max(1.0).powi(waits.min(64) as i32);
        let interval = self.first_interval.mul_f64(factor.min(1e6));
        interval.min(self.max_interval)
    }
}

/// One image to ask the live site about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Its public path, as a page writes it (`/docs/hero.png`).
    pub path: String,
    /// Deleted by the change: a 404 is what the site should answer.
    pub removed: bool,
}

/// A live event, for the log.
pub enum LiveProgress<'a> {
    Retrying {
        path: &'a str,
        attempt: u32,
        reason: &'a str,
        wait: Duration,
    },
    /// One verifying request and what it was answered.
    Probed {
        path: &'a str,
        status: u16,
        cache: Option<&'a str>,
    },
    Verified(&'a Verified),
    Warmed {
        path: &'a str,
        variant: &'a Variant,
        result: Result<(), &'a Problem>,
    },
}

impl LiveProgress<'_> {
    /// The event as the log shows it.
    pub fn line(&self) -> Line {
        match *self {
            LiveProgress::Retrying {
                path,
                attempt,
                reason,
                wait,
            } => Line::Progress(format!(
                "{path}: attempt {attempt} failed ({reason}); retrying in {:.1}s",
                wait.as_secs_f64()
            )),
            LiveProgress::Probed {
                path,
                status,
                cache,
            } => Line::Debug(format!(
                "{path}: {status}, x-vercel-cache: {}",
                cache.unwrap_or("-")
            )),
            LiveProgress::Verified(verified) => {
                let probed = verified
                    .probed
                    .as_ref()
                    .map(|url| format!(" <- {url}"))
                    .unwrap_or_default();
                Line::Text(format!(
                    "{}: {} ({} probe(s)){probed}",
                    verified.path,
                    verified.live.describe(),
                    verified.probes
                ))
            }
            LiveProgress::Warmed {
                path,
                variant,
                result,
            } => match result {
                Ok(()) => Line::Debug(format!("{path} {}: warmed", variant.describe())),
                Err(problem) => Line::Text(format!(
                    "{path} {}: FAILED: {}",
                    variant.describe(),
                    problem.reason()
                )),
            },
        }
    }
}

/// What one request was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// `x-vercel-cache`, upper-cased.
    pub(crate) cache: Option<String>,
    pub(crate) etag: Option<String>,
    /// `Location`, of a redirect.
    pub(crate) location: Option<String>,
    /// The start of the body of an answer other than 2xx, for the reason.
    pub(crate) message: String,
}

/// The client for one live site.
pub struct LiveSite {
    client: reqwest::Client,
    endpoint: Url,
    bypass: Option<HeaderValue>,
    settings: Settings,
    gate: Gate,
    requests: AtomicU32,
    stop: Mutex<Option<Problem>>,
}

impl LiveSite {
    pub fn new(settings: Settings) -> Result<Self, SetupError> {
        let bypass = match &settings.requests.bypass {
            Some(secret) => {
                let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
                    SetupError(
                        "vercel-protection-bypass cannot be sent in an HTTP header".to_string(),
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(Self {
            client: http_client(settings.requests.timeout)?,
            endpoint: settings.served.optimizer.endpoint(&settings.requests.site),
            bypass,
            settings,
            gate: Gate::default(),
            requests: AtomicU32::new(0),
            stop: Mutex::new(None),
        })
    }

    /// HTTP requests made so far, retries included.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn stopped(&self) -> Option<Problem> {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Ends the requests not sent yet; the first reason is kept.
    fn stop_all(&self, problem: Problem) {
        let mut guard = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        guard.get_or_insert(problem);
    }

    /// One variant of `path`, retried as the policy says. `Err` when no
    /// answer came (or the site stopped the run). With a `budget`, each
    /// retry takes one request from it (the first was taken by the caller)
    /// and none is made once it is spent.
    async fn fetch(
        &self,
        path: &str,
        variant: &Variant,
        budget: Option<&AtomicUsize>,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Result<Answer, Problem> {
        let url = variant.url(&self.endpoint, path);
        let accept = variant.accept();
        let (url, accept) = (&url, accept.as_str());
        let outcome = retry(
            &self.settings.requests.retry,
            &self.gate,
            move |attempt| async move {
                if let Some(problem) = self.stopped() {
                    return Attempt::Fatal(problem);
                }
                if attempt > 1 && budget.is_some_and(|budget| !take(budget)) {
                    return Attempt::Fatal(Problem::Failed {
                        message: "not retried: warm-limit reached".to_string(),
                    });
                }
                self.attempt(url, accept).await
            },
            |attempt, problem, wait| {
                progress(LiveProgress::Retrying {
                    path,
                    attempt,
                    reason: &problem.reason(),
                    wait,
                })
            },
        )
        .await;
        let answer = outcome.map_err(|gave_up| match gave_up.error {
            Problem::Failed { message } => Problem::Failed {
                message: match gave_up.refused_wait {
                    Some(wait) => format!(
                        "{message}; the site asked to wait {} s, longer than the {} s this action waits",
                        wait.as_secs(),
                        self.settings.requests.retry.max_wait.as_secs()
                    ),
                    None if gave_up.attempts > 1 => {
                        format!("{message} (after {} attempts)", gave_up.attempts)
                    }
                    None => message,
                },
            },
            other => other,
        })?;
        if matches!(answer.status, 401 | 403) {
            self.stop_all(Problem::Protected {
                status: answer.status,
            });
        }
        Ok(answer)
    }

    async fn attempt(&self, url: &Url, accept: &str) -> Attempt<Answer, Problem> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self.client.get(url.clone()).header(ACCEPT, accept);
        if let Some(bypass) = &self.bypass {
            request = request.header(BYPASS_HEADER, bypass.clone());
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Attempt::Retry {
                    error: Problem::Failed {
                        message: describe_transport(&error),
                    },
                    hint: None,
                };
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(excerpt);
        let retryable = status == 408 || status == 429 || status >= 500;
        if retryable {
            return Attempt::Retry {
                error: Problem::Failed {
                    message: format!("{status} {}", reason_phrase(status)),
                },
                hint: server_hint(&headers, SystemTime::now()),
            };
        }
        // An image is read to its end (and dropped) so that the connection
        // can serve the next request; the answer is in the headers.
        let mut message = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if !(200..300).contains(&status) && message.len() < 1024 => {
                    message.extend_from_slice(&chunk)
                }
                Ok(Some(_)) => {}
                // The headers arrived: they are the answer.
                Ok(None) | Err(_) => break,
            }
        }
        Attempt::Done(Answer {
            status,
            cache: header("x-vercel-cache").map(|v| v.trim().to_ascii_uppercase()),
            etag: header("etag"),
            location: header("location"),
            message: excerpt(&String::from_utf8_lossy(&message)),
        })
    }
}

/// Takes one request from `budget`; `false` when it is spent.
fn take(budget: &AtomicUsize) -> bool {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(1)
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_taken_one_by_one_and_never_below_zero() {
        let budget = AtomicUsize::new(2);
        assert!(take(&budget));
        assert!(take(&budget));
        assert!(!take(&budget));
        assert_eq!(budget.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn intervals_grow_up_to_the_cap() {
        let timing = Timing {
            grace: Duration::from_secs(5),
            first_interval: Duration::from_secs(1),
            growth: 2.0,
            max_interval: Duration::from_secs(5),
            bound: Duration::from_secs(60),
        };
        let waits: Vec<u64> = (0..5).map(|n| timing.interval(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 5, 5]);
        let flat = Timing {
            growth: 0.5,
            ..timing
        };
        assert_eq!(flat.interval(3), Duration::from_secs(1), "never shrinks");
    }

    #[test]
    fn the_bypass_secret_is_never_in_the_settings_debug() {
        let mut settings = Settings {
            requests: Requests::new(Url::parse("https://example.com").expect("url")),
            served: Served::new(Optimizer::Vercel),
        };
        settings.requests.bypass = Some(Secret::new("bypass_value_1234"));
        assert!(!format!("{settings:?}").contains("bypass_value_1234"));
        let site = LiveSite::new(settings).expect("client");
        let header = site.bypass.as_ref().expect("header");
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("bypass_value_1234"));
    }

    #[test]
    fn a_bypass_that_cannot_be_a_header_is_refused_without_showing_it() {
        let mut settings = Settings {
            requests: Requests::new(Url::parse("https://example.com").expect("url")),
            served: Served::new(Optimizer::Vercel),
        };
        settings.requests.bypass = Some(Secret::new("line\nbreak_secret"));
        let error = LiveSite::new(settings).err().expect("refused");
        let text = error.to_string();
        assert!(text.contains("vercel-protection-bypass"), "{text}");
        assert!(!text.contains("break_secret"), "{text}");
    }
}
