//! When and how long to wait before trying a request again.
//!
//! Capped exponential backoff with jitter; a server's `Retry-After` (seconds
//! or HTTP date) or rate-limit reset time is honoured when it asks for longer,
//! up to a limit of its own (minutes, where backoff stops at one), past which
//! waiting is pointless and the attempt fails with the reason. A [`Gate`]
//! shared by every request to one API makes all of them respect a rate limit
//! that one of them ran into.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use tokio::time::Instant;

/// Sent with every request, so that API owners can tell who is calling.
pub const USER_AGENT: &str = concat!("vercel-image-invalidate/", env!("CARGO_PKG_VERSION"));

/// HTTP behaviour shared by the GitHub and Vercel clients.
#[derive(Clone, Debug)]
pub struct Http {
    /// Longest time one request may take, connection included.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Wait after the first failure; it doubles with each further one.
    pub initial_delay: Duration,
    /// Longest backoff between two attempts.
    pub max_delay: Duration,
    /// Longest wait a server may ask for (`Retry-After`, a rate-limit reset)
    /// that is honoured; a longer one fails the attempt at once.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_wait: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Backoff after `failures` failed attempts (1 or more): the doubled
    /// delay, capped, with "equal jitter" (between half of it and all of it),
    /// so that parallel requests spread out but never retry at once.
    pub fn backoff(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(20);
        let full = self
            .initial_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(crate::random::unit())
    }

    /// The wait before the next attempt, given what the server asked for.
    /// `Err` carries the server's wish when it is longer than `max_wait`.
    pub fn delay(&self, failures: u32, hint: Option<Duration>) -> Result<Duration, Duration> {
        let backoff = self.backoff(failures);
        match hint {
            Some(hint) if hint > self.max_wait => Err(hint),
            Some(hint) => Ok(hint.max(backoff)),
            None => Ok(backoff),
        }
    }
}

/// `Retry-After`: either delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long the server asked us to wait: `Retry-After`, or else the
/// rate-limit reset time (`X-RateLimit-Reset`, epoch seconds) when no
/// request is left in the window.
pub fn server_hint(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(wait) = header("retry-after").and_then(|v| parse_retry_after(v, now)) {
        return Some(wait);
    }
    let exhausted = header("x-ratelimit-remaining").is_some_and(|v| v.trim() == "0");
    if exhausted {
        return header("x-ratelimit-reset").and_then(|v| until_epoch(v, now));
    }
    None
}

/// A wait for people: `12.0s`, `2m 05s`.
pub fn describe_wait(wait: Duration) -> String {
    let seconds = wait.as_secs();
    if seconds < 60 {
        format!("{:.1}s", wait.as_secs_f64())
    } else {
        format!("{}m {:02}s", seconds / 60, seconds % 60)
    }
}

/// Time from `now` until an epoch timestamp in seconds (or milliseconds,
/// recognised by size).
pub fn until_epoch(value: &str, now: SystemTime) -> Option<Duration> {
    let raw: u64 = value.trim().parse().ok()?;
    let at = if raw > 100_000_000_000 {
        UNIX_EPOCH + Duration::from_millis(raw)
    } else {
        UNIX_EPOCH + Duration::from_secs(raw)
    };
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The earliest moment any request to one API may start, pushed back when the
/// API says it is rate limited.
#[derive(Debug, Default)]
pub struct Gate {
    not_before: Mutex<Option<Instant>>,
}

impl Gate {
    pub fn hold_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut guard = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none_or(|current| current < until) {
            *guard = Some(until);
        }
    }

    /// Returns once no hold is in force; a hold extended meanwhile (another
    /// request rate limited) is waited for too.
    pub async fn wait(&self) {
        loop {
            let until = *self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }
}

/// What one attempt came to.
#[derive(Debug)]
pub enum Attempt<T, E> {
    Done(T),
    /// Worth another try, after at least `hint` if the server gave one.
    Retry {
        error: E,
        hint: Option<Duration>,
    },
    /// Trying again cannot help.
    Fatal(E),
}

/// The last error of a request that did not succeed, and how it ended.
#[derive(Debug)]
pub struct GaveUp<E> {
    pub error: E,
    pub attempts: u32,
    /// Set when the server asked for a wait longer than the policy allows.
    pub refused_wait: Option<Duration>,
}

/// Runs `attempt` until it is done, fatal, or out of attempts. `on_retry` is
/// told about each wait, for the log.
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    gate: &Gate,
    mut attempt: F,
    mut on_retry: impl FnMut(u32, &E, Duration),
) -> Result<T, GaveUp<E>>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
{
    let mut number = 1;
    loop {
        gate.wait().await;
        let (error, hint) = match attempt(number).await {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fatal(error) => {
                return Err(GaveUp {
                    error,
                    attempts: number,
                    refused_wait: None,
                });
            }
            Attempt::Retry { error, hint } => (error, hint),
        };
        if number >= policy.max_attempts {
            return Err(GaveUp {
                error,
                attempts: number,
                refused_wait: None,
            });
        }
        let wait = match policy.delay(number, hint) {
            Ok(wait) => wait,
            Err(asked) => {
                return Err(GaveUp {
                    error,
                    attempts: number,
                    refused_wait: Some(asked),
                });
            }
        };
        if let Some(hint) = hint {
            gate.hold_for(hint);
        }
        on_retry(number, &error, wait);
        tokio::time::sleep(wait).await;
        number += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            max_wait: Duration::from_secs(2),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = policy();
        for _ in 0..200 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = p.backoff(2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let late = p.backoff(30);
            assert!(late >= Duration::from_millis(175) && late <= Duration::from_millis(350));
        }
    }

    #[test]
    fn a_server_hint_wins_when_longer_and_is_refused_past_the_cap() {
        let p = policy();
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(300))),
            Ok(Duration::from_millis(300))
        );
        let short = p.delay(1, Some(Duration::from_millis(1))).expect("allowed");
        assert!(short >= Duration::from_millis(50));
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(1500))),
            Ok(Duration::from_millis(1500)),
            "past the backoff cap, within the wait limit"
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(5))),
            Err(Duration::from_secs(5))
        );
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn rate_limit_reset_counts_only_when_nothing_remains() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1700000012"));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("3"));
        assert_eq!(server_hint(&headers, now), None);
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        assert_eq!(server_hint(&headers, now), Some(Duration::from_secs(12)));
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(server_hint(&headers, now), Some(Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_stops_at_the_attempt_limit() {
        let mut calls = 0;
        let mut waits = Vec::new();
        let result: Result<(), _> = retry(
            &policy(),
            &Gate::default(),
            |_| {
                calls += 1;
                async {
                    Attempt::Retry {
                        error: "503",
                        hint: None,
                    }
                }
            },
            |_, _, wait| waits.push(wait),
        )
        .await;
        let gave_up = result.expect_err("never succeeds");
        assert_eq!(gave_up.attempts, 4);
        assert_eq!(calls, 4);
        assert_eq!(waits.len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_returns_at_once_on_fatal_and_on_success() {
        let mut calls = 0;
        let fatal: Result<(), _> = retry(
            &policy(),
            &Gate::default(),
            |_| {
                calls += 1;
                async { Attempt::Fatal("401") }
            },
            |_, _, _| {},
        )
        .await;
        assert_eq!(fatal.expect_err("fatal").attempts, 1);
        assert_eq!(calls, 1);

        let done: Result<u32, GaveUp<&str>> = retry(
            &policy(),
            &Gate::default(),
            |n| async move {
                if n < 3 {
                    Attempt::Retry {
                        error: "reset",
                        hint: None,
                    }
                } else {
                    Attempt::Done(n)
                }
            },
            |_, _, _| {},
        )
        .await;
        assert_eq!(done.expect("third time"), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_wait_ends_the_request_without_sleeping() {
        let started = Instant::now();
        let result: Result<(), _> = retry(
            &policy(),
            &Gate::default(),
            |_| async {
                Attempt::Retry {
                    error: "429",
                    hint: Some(Duration::from_secs(3600)),
                }
            },
            |_, _, _| {},
        )
        .await;
        let gave_up = result.expect_err("refused");
        assert_eq!(gave_up.refused_wait, Some(Duration::from_secs(3600)));
        assert_eq!(gave_up.attempts, 1);
        assert!(started.elapsed() < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_gate_holds_every_caller() {
        let gate = Gate::default();
        gate.hold_for(Duration::from_secs(2));
        gate.hold_for(Duration::from_secs(1));
        let started = Instant::now();
        gate.wait().await;
        assert!(started.elapsed() >= Duration::from_secs(2));
    }
}
