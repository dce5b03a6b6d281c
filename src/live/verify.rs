//! Whether visitors get the new picture, judged against the baseline taken
//! before the invalidation. Vercel keys a local image's variants by the
//! content hash of the file and a remote image's by its URL, and `STALE`
//! also comes from expiry, so:
//!
//! - a local image that was a `MISS` before the invalidation was served
//!   under a new content key, and one that was a `HIT` under its current
//!   content's key: both are fresh, nothing more is asked;
//! - a variant cached by URL is probed until the invalidation shows:
//!   `STALE` means it matched and this request started the revalidation,
//!   so it is probed again until served fresh with a new ETag; the same
//!   ETag after revalidating means the source still has the old bytes;
//! - a variant already `STALE` before the invalidation was revalidating
//!   because it expired: once fresh, it is said so, not credited to the run;
//! - after `mode: delete`, `REVALIDATED` is the documented answer;
//! - `HIT` with the same ETag past the grace period, a 400 or a 404 mean the
//!   path sent is not one the site caches, and say which setting to check.
//!
//! Probes of different images interleave: an image waiting for its next
//! probe holds no slot. Everything ends by the deadline.

use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use super::{Answer, Baseline, Before, Image, LiveProgress, LiveSite, variant};
use crate::vercel::{Mode, reason_phrase};

/// The settings a wrong path comes from.
const MAPPING_HELP: &str = "check public-dir, url-prefix and site-dir: the path sent must be the one the site's pages write in src";

/// What the live site serves for one image now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Live {
    /// Cached by URL, made stale by the invalidation, and now served fresh
    /// with a new ETag.
    NewVersion,
    /// A local image whose new bytes were a `MISS`: a new content key.
    NewContentKey,
    /// A local image served from the cache under its current content's key.
    ContentKey,
    /// Nothing was cached: the first request fetched the current image.
    NotCached,
    /// After `mode: delete`, answered `REVALIDATED`: fetched again.
    Revalidated,
    /// After `mode: delete`, answered `MISS`: the cached copy was deleted,
    /// so the request was blocked while the image was fetched again.
    MissAfterDelete,
    /// Already `STALE` from expiry before the invalidation (`Age`, when the
    /// site said), and now served fresh: not this run's doing.
    Expired { age: Option<u64> },
    /// A removed image, answered with 404 as it should be.
    Removed,
    /// Not confirmed, and why.
    Unverified(Problem),
}

/// Why an image was not confirmed on the live site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `HIT` with the old ETag after the grace period: the invalidation did
    /// not match what the site caches.
    StillCached,
    /// 404 for an image that should be there.
    NotOnSite,
    /// 400 from the optimizer: a `url` (or width, quality) it does not allow.
    NotAllowed { message: String },
    /// 401/403: Deployment Protection (or a firewall) refused the request.
    Protected { status: u16 },
    /// 3xx: the site sent the request elsewhere; not followed.
    Redirected { status: u16, location: String },
    /// Revalidated, but the same ETag came back: the source still has the
    /// old bytes.
    Unchanged,
    /// Still `STALE` when the time for this image was up.
    StillStale { waited: Duration },
    /// `live-timeout` came first: `stale` when the variant was last seen
    /// `STALE`.
    OutOfTime { stale: bool, limit: Duration },
    /// The site answered 429 or 503 again and again, or asked to wait past
    /// the deadline: nothing more was asked.
    SlowDown,
    /// The answer was not from Vercel's image cache (no or another
    /// `x-vercel-cache`).
    NotFromCache { cache: Option<String> },
    /// Any other status.
    Unexpected { status: u16, message: String },
    /// No answer: transport errors, timeouts, 429 or 5xx until the retries
    /// ran out.
    Failed { message: String },
    /// The site allows no width or no quality: nothing to request.
    NoVariant,
}

impl Problem {
    /// Whether the public path is what is wrong (public-dir, url-prefix,
    /// site-dir), as opposed to the site not answering.
    pub fn is_mapping(&self) -> bool {
        matches!(
            self,
            Problem::StillCached | Problem::NotOnSite | Problem::NotAllowed { .. }
        )
    }

    /// What happened, in a sentence (the `reason` of `unverified`).
    pub fn reason(&self) -> String {
        match self {
            Problem::StillCached => "the site still serves its cached copy (HIT, same ETag) after the grace period: the path sent is not the one the site caches".to_string(),
            Problem::NotOnSite => "the site has no image at this path (404); check public-dir, url-prefix and site-dir".to_string(),
            Problem::NotAllowed { message } if message.is_empty() => "the image optimizer refused the request (400); check public-dir, url-prefix, site-dir and the site's images config".to_string(),
            Problem::NotAllowed { message } => format!("the image optimizer refused the request (400: {message}); check public-dir, url-prefix, site-dir and the site's images config"),
            Problem::Protected { status } => format!("Deployment Protection refused the request ({status})"),
            Problem::Redirected { status, location } => format!("the site redirected ({status}) to {location}; not followed"),
            Problem::Unchanged => "still the old ETag: revalidated, but the same image came back".to_string(),
            Problem::StillStale { waited } => format!("still revalidating (STALE) after {} s", waited.as_secs()),
            Problem::OutOfTime { stale: true, limit } => format!("still stale when the time was up (live-timeout: {} s)", limit.as_secs()),
            Problem::OutOfTime { stale: false, limit } => format!("not confirmed when the time was up (live-timeout: {} s)", limit.as_secs()),
            Problem::SlowDown => "the site asked to slow down (429 or 503 again and again), so nothing more was asked".to_string(),
            Problem::NotFromCache { cache: Some(cache) } => format!("the answer did not come from Vercel's image cache (x-vercel-cache: {cache})"),
            Problem::NotFromCache { cache: None } => "the answer did not come from Vercel's image cache (no x-vercel-cache)".to_string(),
            Problem::Unexpected { status, message } if message.is_empty() => format!("unexpected answer {status} {}", reason_phrase(*status)),
            Problem::Unexpected { status, message } => format!("unexpected answer {status} {}: {message}", reason_phrase(*status)),
            Problem::Failed { message } => message.clone(),
            Problem::NoVariant => "the site allows no width or no quality to request".to_string(),
        }
    }

    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            Problem::StillCached | Problem::NotOnSite => MAPPING_HELP,
            Problem::NotAllowed { .. } => {
                "check public-dir, url-prefix and site-dir; the optimizer also refuses a path outside images.localPatterns and a width or quality the site's images config does not list"
            }
            Problem::Protected { .. } => {
                "set vercel-protection-bypass to the project's Protection Bypass for Automation secret"
            }
            Problem::Redirected { .. } => "set site-url to the origin the site is served from",
            Problem::Unchanged => {
                "the deployment (or the remote image host) may not serve the new bytes yet: verify once it does (wait-for-deployment)"
            }
            Problem::StillStale { .. } => {
                "Vercel was slow to revalidate; visitors get the new image once it has; rerunning the job is safe"
            }
            Problem::OutOfTime { .. } => {
                "raise live-timeout; Vercel revalidates in the background and visitors get the new image once it has; rerunning the job is safe"
            }
            Problem::SlowDown => {
                "the site refused the requests (a rate limit or its firewall): lower concurrency or rerun the job later"
            }
            Problem::NotFromCache { .. } => {
                "set site-url to the site's production domain on Vercel"
            }
            Problem::Unexpected { .. } | Problem::Failed { .. } => "rerunning the job is safe",
            Problem::NoVariant => "check the widths and qualities in the site's images config",
        }
    }

    /// The short form, for the "Live" column.
    fn label(&self) -> &'static str {
        match self {
            Problem::StillCached => "path not cached by the site",
            Problem::NotOnSite => "not served (404)",
            Problem::NotAllowed { .. } => "not served (400)",
            Problem::Unchanged => "still the old ETag",
            Problem::OutOfTime { stale: true, .. } => "still stale when the time was up",
            Problem::SlowDown => "the site asked to slow down",
            _ => "not verified",
        }
    }
}

impl Live {
    /// Visitors get what the site now has.
    pub fn is_verified(&self) -> bool {
        !matches!(self, Live::Unverified(_))
    }

    /// The "Live" column: what visitors get, in a few words.
    pub fn label(&self) -> &'static str {
        match self {
            Live::NewVersion => "fresh after revalidation",
            Live::NewContentKey => "fresh under a new content key (MISS)",
            Live::ContentKey => "fresh under its content key (HIT)",
            Live::NotCached => "fresh, not cached before",
            Live::Revalidated => "fresh after deletion (REVALIDATED)",
            Live::MissAfterDelete => "fresh after deletion (MISS)",
            Live::Expired { .. } => "fresh, was already STALE from expiry",
            Live::Removed => "removed (404)",
            Live::Unverified(problem) => problem.label(),
        }
    }

    /// The label, and the reason when there is one.
    pub fn describe(&self) -> String {
        match self {
            // The reason alone when it starts by saying the label.
            Live::Unverified(problem) => {
                let reason = problem.reason();
                if reason.starts_with(self.label()) {
                    reason
                } else {
                    format!("{}: {reason}", self.label())
                }
            }
            Live::Expired { age } => {
                let age = age.map(|a| format!(", Age {a}")).unwrap_or_default();
                format!(
                    "{} before the invalidation (STALE{age}), not credited to this run",
                    self.label()
                )
            }
            _ => self.label().to_string(),
        }
    }
}

/// One image's verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub path: String,
    /// The variant requested (no secret is in it); `None` when there was none
    /// to request.
    pub probed: Option<Url>,
    pub live: Live,
    /// Probes of this image after the invalidation (each retried as the
    /// policy says); 0 when the baseline told.
    pub probes: u32,
}

/// An entry of the `unverified` output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unconfirmed {
    pub path: String,
    pub reason: String,
}

/// Every image's verification, in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    pub images: Vec<Verified>,
    /// HTTP requests made, retries included (the baseline's not counted).
    pub requests: u32,
}

impl Verification {
    /// The `verified` output: paths the site now serves fresh.
    pub fn verified(&self) -> Vec<&str> {
        self.images
            .iter()
            .filter(|v| v.live.is_verified())
            .map(|v| v.path.as_str())
            .collect()
    }

    /// The `unverified` output.
    pub fn unverified(&self) -> Vec<Unconfirmed> {
        self.images
            .iter()
            .filter_map(|v| match &v.live {
                Live::Unverified(problem) => Some(Unconfirmed {
                    path: v.path.clone(),
                    reason: problem.reason(),
                }),
                _ => None,
            })
            .collect()
    }

    /// How many images ended each way, for the headline.
    pub fn count(&self, what: fn(&Live) -> bool) -> usize {
        self.images.iter().filter(|v| what(&v.live)).count()
    }
}

/// What the probes of one image have shown so far.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Nothing,
    /// A `HIT`, with this ETag: the invalidation may not have arrived yet.
    Hit(Option<String>),
    /// A `STALE`, with the old ETag: revalidating.
    Stale(Option<String>),
}

#[derive(Debug, PartialEq, Eq)]
enum Judgement {
    Final(Live),
    Again(Seen),
}

/// What the judgement of one answer depends on besides the answer.
#[derive(Clone, Copy, Debug, Default)]
struct Context {
    removed: bool,
    /// Keyed by URL (a remote image): the same ETag after revalidating is
    /// the old image. Keyed by content, it is the current one.
    by_url: bool,
    /// `STALE` from expiry before the invalidation, with its `Age`.
    expired: Option<Option<u64>>,
    /// Sent with `mode: delete`.
    deleted: bool,
    grace_over: bool,
}

/// The problem a status other than 2xx means (a 404 of a removed image is
/// no problem; the caller knows).
pub(super) fn problem_for(answer: &Answer) -> Option<Problem> {
    let problem = match answer.status {
        200..=299 => return None,
        300..=399 => Problem::Redirected {
            status: answer.status,
            location: answer
                .location
                .clone()
                .unwrap_or_else(|| "(no location)".to_string()),
        },
        400 => Problem::NotAllowed {
            message: answer.message.clone(),
        },
        401 | 403 => Problem::Protected {
            status: answer.status,
        },
        404 => Problem::NotOnSite,
        status => Problem::Unexpected {
            status,
            message: answer.message.clone(),
        },
    };
    Some(problem)
}

/// Served fresh after being seen stale (or a `HIT` that changed): which
/// outcome that is.
fn fresh_again(old: &Option<String>, new: &Option<String>, context: Context) -> Live {
    let same = old.is_some() && old == new;
    match context.expired {
        // Revalidated from the same bytes: the current ones, for a key
        // that follows the content.
        Some(_) if same && context.by_url => Live::Unverified(Problem::Unchanged),
        Some(age) => Live::Expired { age },
        None if same => Live::Unverified(Problem::Unchanged),
        None => Live::NewVersion,
    }
}

/// The next step after `answer`, given what came before.
fn judge(seen: &Seen, answer: &Answer, context: Context) -> Judgement {
    if answer.status == 404 && context.removed {
        return Judgement::Final(Live::Removed);
    }
    if let Some(problem) = problem_for(answer) {
        return Judgement::Final(Live::Unverified(problem));
    }
    let etag = answer.etag.clone();
    match (seen, answer.cache.as_deref()) {
        // The old ETag is the one first seen stale.
        (Seen::Stale(old), Some("STALE")) => Judgement::Again(Seen::Stale(old.clone())),
        (_, Some("STALE")) => Judgement::Again(Seen::Stale(etag)),
        (Seen::Stale(old), _) => Judgement::Final(fresh_again(old, &etag, context)),
        (Seen::Hit(old), Some("HIT")) if old.is_some() && *old != etag => {
            // Revalidated between two probes (a visitor's request did it).
            Judgement::Final(fresh_again(old, &etag, context))
        }
        (_, Some("HIT")) if context.grace_over => {
            Judgement::Final(Live::Unverified(Problem::StillCached))
        }
        (Seen::Hit(old), Some("HIT")) => Judgement::Again(Seen::Hit(old.clone())),
        (Seen::Nothing, Some("HIT")) => Judgement::Again(Seen::Hit(etag)),
        (_, Some("REVALIDATED")) if context.deleted => Judgement::Final(Live::Revalidated),
        // Cached before, then deleted: not "never cached".
        (_, Some("MISS")) if context.deleted => Judgement::Final(Live::MissAfterDelete),
        (_, Some("MISS" | "REVALIDATED")) => Judgement::Final(Live::NotCached),
        (_, cache) => Judgement::Final(Live::Unverified(Problem::NotFromCache {
            cache: cache.map(str::to_string),
        })),
    }
}

/// Where the probes of an image start from its baseline: `Err` when the
/// baseline already tells what visitors get.
fn start(image: &Image, before: Option<&Before>) -> Result<(Seen, Option<Option<u64>>), Live> {
    let local = !image.keyed_by_url();
    match before {
        Some(Before::NotServed(problem)) => Err(Live::Unverified(problem.clone())),
        Some(Before::Gone) => Err(Live::Removed),
        Some(Before::Served(observed)) => match observed.cache.as_deref() {
            Some("STALE") => Ok((Seen::Stale(observed.etag.clone()), Some(observed.age))),
            // A removed image's cached copy is probed until it is gone.
            _ if image.removed => Ok((Seen::Nothing, None)),
            Some("MISS" | "REVALIDATED") if local && !image.added => Err(Live::NewContentKey),
            Some("MISS" | "REVALIDATED") => Err(Live::NotCached),
            Some("HIT") if local => Err(Live::ContentKey),
            Some("HIT") => Ok((Seen::Hit(observed.etag.clone()), None)),
            cache => Err(Live::Unverified(Problem::NotFromCache {
                cache: cache.map(str::to_string),
            })),
        },
        Some(Before::Unknown(_)) | None => Ok((Seen::Nothing, None)),
    }
}

impl LiveSite {
    /// Verifies each image (see the module comment) against `baseline`,
    /// every image at once, at most `concurrency` requests in flight, all
    /// ended by `deadline`. Results are in the order of `images`.
    pub async fn verify(
        &self,
        images: &[Image],
        baseline: Option<&Baseline>,
        deadline: Instant,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Verification {
        let before = self.requests();
        let variant = self.probe_variant();
        let mut results: Vec<(usize, Verified)> =
            futures_util::stream::iter(images.iter().enumerate())
                .map(|(index, image)| {
                    let variant = variant.as_ref();
                    let before = baseline.and_then(|b| b.get(&image.path));
                    async move {
                        let verified = self
                            .verify_one(image, variant, before, deadline, progress)
                            .await;
                        progress(LiveProgress::Verified(&verified));
                        (index, verified)
                    }
                })
                // Every image at once: slots are taken per request.
                .buffer_unordered(images.len().max(1))
                .collect()
                .await;
        results.sort_by_key(|(index, _)| *index);
        Verification {
            images: results.into_iter().map(|(_, v)| v).collect(),
            requests: self.requests() - before,
        }
    }

    async fn verify_one(
        &self,
        image: &Image,
        variant: Option<&variant::Variant>,
        before: Option<&Before>,
        deadline: Instant,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Verified {
        let Some(variant) = variant else {
            return Verified {
                path: image.path.clone(),
                probed: None,
                live: Live::Unverified(Problem::NoVariant),
                probes: 0,
            };
        };
        let (live, probes) = match start(image, before) {
            Err(live) => (live, 0),
            Ok((seen, expired)) => {
                let context = Context {
                    removed: image.removed,
                    by_url: image.keyed_by_url(),
                    expired,
                    deleted: self.settings.requests.mode == Mode::Delete,
                    grace_over: false,
                };
                self.probe(image, variant, seen, context, deadline, progress)
                    .await
            }
        };
        Verified {
            path: image.path.clone(),
            probed: Some(variant.url(&self.endpoint, &image.path)),
            live,
            probes,
        }
    }

    /// Probes until the answers tell, the image's bound or the deadline:
    /// what visitors get, and how many probes it took.
    async fn probe(
        &self,
        image: &Image,
        variant: &variant::Variant,
        mut seen: Seen,
        mut context: Context,
        deadline: Instant,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> (Live, u32) {
        let mut probes = 0;
        let timing = &self.settings.requests.timing;
        let started = Instant::now();
        let out_of_time = |seen: &Seen| {
            Live::Unverified(Problem::OutOfTime {
                stale: matches!(seen, Seen::Stale(_)),
                limit: self.settings.requests.time_limit,
            })
        };
        loop {
            let answer = match self
                .fetch(&image.path, variant, None, deadline, progress)
                .await
            {
                Ok(answer) => answer,
                Err(Problem::OutOfTime { .. }) => return (out_of_time(&seen), probes),
                Err(problem) => return (Live::Unverified(problem), probes),
            };
            probes += 1;
            progress(LiveProgress::Probed {
                path: &image.path,
                status: answer.status,
                cache: answer.cache.as_deref(),
            });
            context.grace_over = started.elapsed() >= timing.grace;
            seen = match judge(&seen, &answer, context) {
                Judgement::Final(live) => return (live, probes),
                Judgement::Again(seen) => seen,
            };
            let elapsed = started.elapsed();
            if elapsed >= timing.bound {
                let problem = match seen {
                    Seen::Stale(_) => Problem::StillStale { waited: elapsed },
                    _ => Problem::StillCached,
                };
                return (Live::Unverified(problem), probes);
            }
            // A HIT is looked at again when the grace period ends at the
            // latest, a STALE until the bound.
            let until = match seen {
                Seen::Hit(_) => timing.grace.min(timing.bound),
                _ => timing.bound,
            };
            let wait = timing
                .interval(probes - 1)
                .min(until.saturating_sub(elapsed));
            if Instant::now() + wait >= deadline {
                return (out_of_time(&seen), probes);
            }
            // Waiting holds no slot: other images' probes go on.
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests;
