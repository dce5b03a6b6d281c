//! The live site: [`LiveSite::baseline`] asks for one optimized variant of each
//! image once the deployment is live and before the invalidation, as a
//! browser would, and keeps what Vercel's cache said (`x-vercel-cache`,
//! `ETag`, `Age`); [`LiveSite::verify`] asks again after the invalidation and
//! judges against that baseline whether visitors now get the new picture;
//! [`LiveSite::warm`] requests every variant the site allows of the images
//! Vercel transforms, so that no visitor is the one served the stale copy
//! while it revalidates.
//!
//! Requests go through the same client and retry policy as the Vercel API
//! client, at most `concurrency` in flight; no redirect is followed, so the
//! Deployment Protection bypass secret goes to `site` only. An answer every
//! request would get too (401/403 from Deployment Protection, or a site
//! that refuses with 429/503 a few times in a row) stops the requests not
//! sent yet, which end with that same reason. Everything ends by one
//! deadline (`live-timeout`), whatever the site answers. Outside text of an
//! answer has every secret of the run taken out before it is shortened.

mod baseline;
pub mod variant;
mod verify;
mod warm;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, HeaderValue};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use crate::actions::Line;
use crate::retry::{Attempt, Gate, RetryPolicy, retry, server_hint};
use crate::secret::{Secret, longest, secret_list};
use crate::untrusted::{bounded_text, excerpt_hiding};
use crate::vercel::{Mode, SetupError, describe_transport, http_client, reason_phrase};

pub use baseline::{Baseline, Before, Observed};
pub use variant::{
    BROWSER_ACCEPT, DEFAULT_FORMAT, DEFAULT_QUALITY, NEXT_DEVICE_SIZES, NEXT_IMAGE_SIZES,
    Optimizer, Variant, is_transformed,
};
pub use verify::{Live, Problem, Unconfirmed, Verification, Verified};
pub use warm::{Warmed, Warming};

/// Refusals (429, 503) in a row, from any requests, after which the site is
/// asked nothing more.
pub const REFUSALS_IN_A_ROW: u32 = 4;

/// Default `live-timeout`: the most time the live stage takes.
pub const DEFAULT_LIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// How much of an answer's body other than 2xx is read for its reason.
const MESSAGE_BYTES: usize = 1024;

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
    /// How the images were sent: after `delete`, `REVALIDATED` is the
    /// expected answer.
    pub mode: Mode,
    /// `live-timeout`: the most time the live stage takes.
    pub time_limit: Duration,
    /// The run's other secrets (tokens), taken out of the site's answers
    /// like the bypass before anything of them is shown.
    pub hidden: Vec<Secret>,
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
            mode: Mode::Invalidate,
            time_limit: DEFAULT_LIVE_TIMEOUT,
            hidden: Vec::new(),
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
    /// Its public path, as a page writes it (`/docs/hero.png`), or its URL
    /// on a remote image host (an absolute `url-prefix`).
    pub path: String,
    /// Deleted by the change: a 404 is what the site should answer.
    pub removed: bool,
    /// Added by the change: nothing of it can have been cached before.
    pub added: bool,
}

impl Image {
    /// A changed image (neither added nor removed).
    pub fn changed(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            removed: false,
            added: false,
        }
    }

    /// Whether Vercel keys its variants by URL: a remote image (an
    /// absolute URL). A local image, served from the site's own files, is
    /// keyed by the content hash of the file.
    pub fn keyed_by_url(&self) -> bool {
        let lower = self
            .path
            .get(..8)
            .unwrap_or(&self.path)
            .to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    }
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
    /// What the site served before the invalidation.
    Before {
        path: &'a str,
        before: &'a Before,
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
            LiveProgress::Before { path, before } => Line::Text(format!(
                "{path}: before invalidating: {}",
                before.describe()
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
    /// `Age`: seconds the cached copy has been in the cache.
    pub(crate) age: Option<u64>,
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
    /// Every secret of the run, as [`crate::secret::redact`] takes them.
    secrets: Vec<String>,
    /// Refusals (429, 503) since the last other answer.
    refusals: AtomicU32,
    /// One per request in flight: a probe holds one only while it asks.
    slots: Semaphore,
    /// Variants built for warming so far.
    built: AtomicU64,
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
        let secrets = secret_list(
            settings
                .requests
                .bypass
                .iter()
                .chain(&settings.requests.hidden),
        );
        Ok(Self {
            client: http_client(settings.requests.timeout)?,
            endpoint: settings.served.optimizer.endpoint(&settings.requests.site),
            bypass,
            slots: Semaphore::new(settings.requests.concurrency.max(1)),
            settings,
            gate: Gate::default(),
            requests: AtomicU32::new(0),
            stop: Mutex::new(None),
            secrets,
            refusals: AtomicU32::new(0),
            built: AtomicU64::new(0),
        })
    }

    /// The deadline of a stage that starts now and may take what is left of
    /// `live-timeout` after `spent`.
    pub fn deadline_after(&self, spent: Duration) -> Instant {
        Instant::now() + self.settings.requests.time_limit.saturating_sub(spent)
    }

    /// Variants built by [`LiveSite::warm`] so far: each is one request taken
    /// from `warm-limit`, so their number (and the memory they take) never
    /// passes it.
    pub fn variants_built(&self) -> u64 {
        self.built.load(Ordering::Relaxed)
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

    /// The one variant the baseline and the verification both ask for, so
    /// that each answer is compared with the answer to the same request.
    fn probe_variant(&self) -> Option<Variant> {
        variant::probe_variant(
            &self.settings.served.widths,
            &self.settings.served.qualities,
        )
    }

    /// One variant of `path`, retried as the policy says, holding a slot
    /// while each attempt is asked (not while it waits to retry). `Err` when
    /// no answer came (or the site stopped the run, or the deadline came
    /// first). With a `budget`, each retry
    /// takes one request from it (the first was taken by the caller) and
    /// none is made once it is spent.
    async fn fetch(
        &self,
        path: &str,
        variant: &Variant,
        budget: Option<&AtomicUsize>,
        deadline: Instant,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Result<Answer, Problem> {
        let out_of_time = || Problem::OutOfTime {
            stale: false,
            limit: self.settings.requests.time_limit,
        };
        let asked = self.fetch_in_slots(path, variant, budget, deadline, progress);
        tokio::time::timeout_at(deadline, asked)
            .await
            .unwrap_or_else(|_| Err(out_of_time()))
    }

    async fn fetch_in_slots(
        &self,
        path: &str,
        variant: &Variant,
        budget: Option<&AtomicUsize>,
        deadline: Instant,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Result<Answer, Problem> {
        if let Some(problem) = self.stopped() {
            return Err(problem);
        }
        let url = variant.url(&self.endpoint, path);
        let accept = variant.accept();
        let (url, accept) = (&url, accept.as_str());
        // A wait the site asks for past the deadline is not waited.
        let left = deadline.saturating_duration_since(Instant::now());
        let policy = RetryPolicy {
            max_wait: self.settings.requests.retry.max_wait.min(left),
            ..self.settings.requests.retry.clone()
        };
        let outcome = retry(
            &policy,
            &self.gate,
            move |attempt| async move {
                // The slot is given back while the retry waits; a stop
                // that came while this one waited for it is seen.
                let _slot = self.slots.acquire().await;
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
            Problem::Failed { message } => match gave_up.refused_wait {
                Some(wait) if wait > left => {
                    // Past the deadline: every other request would wait too.
                    self.stop_all(Problem::SlowDown);
                    Problem::SlowDown
                }
                Some(wait) => Problem::Failed {
                    message: format!(
                        "{message}; the site asked to wait {} s, longer than the {} s this action waits",
                        wait.as_secs(),
                        self.settings.requests.retry.max_wait.as_secs()
                    ),
                },
                None if gave_up.attempts > 1 => Problem::Failed {
                    message: format!("{message} (after {} attempts)", gave_up.attempts),
                },
                None => Problem::Failed { message },
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

    /// A 429 or 503 counts towards [`REFUSALS_IN_A_ROW`]; any other answer
    /// starts the count again. `Some` once the site is asked nothing more.
    fn refused(&self, status: u16) -> Option<Problem> {
        if !matches!(status, 429 | 503) {
            self.refusals.store(0, Ordering::Relaxed);
            return None;
        }
        let refusals = self.refusals.fetch_add(1, Ordering::Relaxed) + 1;
        if refusals >= REFUSALS_IN_A_ROW {
            self.stop_all(Problem::SlowDown);
            return Some(Problem::SlowDown);
        }
        None
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
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| excerpt_hiding(v, &self.secrets))
        };
        if let Some(stop) = self.refused(status) {
            return Attempt::Fatal(stop);
        }
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
        // can serve the next request; the answer is in the headers. Of
        // another answer, enough is kept that a secret starting within the
        // part shown ends within the part read, and is taken out whole; one
        // that the limit cuts is dropped with all that follows.
        let keep = if (200..300).contains(&status) {
            0
        } else {
            MESSAGE_BYTES + longest(&self.secrets)
        };
        // A broken body still leaves the headers: they are the answer.
        let (message, cut, _) = crate::vercel::read_bounded(&mut response, keep).await;
        let message = bounded_text(&message, cut, &self.secrets);
        Attempt::Done(Answer {
            status,
            cache: header("x-vercel-cache").map(|v| v.trim().to_ascii_uppercase()),
            etag: header("etag"),
            location: header("location"),
            age: header("age").and_then(|v| v.trim().parse().ok()),
            message: excerpt_hiding(&message, &self.secrets),
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
