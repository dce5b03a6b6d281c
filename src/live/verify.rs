//! Whether visitors get the new picture: one variant of each image probed
//! until its `x-vercel-cache` and `ETag` tell. `STALE` means the invalidation
//! matched and this request started the revalidation, so it is probed again
//! until served fresh with a new ETag; `MISS` means nothing was cached; `HIT`
//! with the same ETag past the grace period, a 400 or a 404 mean the path
//! sent is not one the site caches.

use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use super::{Answer, Image, LiveProgress, LiveSite, variant};
use crate::vercel::reason_phrase;

/// The settings a wrong path comes from.
const MAPPING_HELP: &str = "check public-dir, url-prefix and site-dir: the path sent must be the one the site's pages write in src";

/// What the live site serves for one image now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Live {
    /// The cached variant was stale and is now served fresh, with a new ETag.
    NewVersion,
    /// Nothing was cached: the next visitor gets the current image.
    NotCached,
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
    /// Revalidated, but the same ETag came back: the site still has the old
    /// file.
    Unchanged,
    /// Still `STALE` when the time for this image was up.
    StillStale { waited: Duration },
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
            Problem::NotOnSite => "the site has no image at this path (404)".to_string(),
            Problem::NotAllowed { message } if message.is_empty() => "the image optimizer refused the request (400)".to_string(),
            Problem::NotAllowed { message } => format!("the image optimizer refused the request (400: {message})"),
            Problem::Protected { status } => format!("Deployment Protection refused the request ({status})"),
            Problem::Redirected { status, location } => format!("the site redirected ({status}) to {location}; not followed"),
            Problem::Unchanged => "revalidated, but the same image came back (ETag unchanged)".to_string(),
            Problem::StillStale { waited } => format!("still revalidating (STALE) after {} s", waited.as_secs()),
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
                "the deployment with the change may not be live yet: verify once it is (wait-for-deployment)"
            }
            Problem::StillStale { .. } => {
                "Vercel was slow to revalidate; visitors get the new image once it has; rerunning the job is safe"
            }
            Problem::NotFromCache { .. } => {
                "set site-url to the site's production domain on Vercel"
            }
            Problem::Unexpected { .. } | Problem::Failed { .. } => "rerunning the job is safe",
            Problem::NoVariant => "check the widths and qualities in the site's images config",
        }
    }
}

impl Live {
    /// Visitors get what the site now has.
    pub fn is_verified(&self) -> bool {
        !matches!(self, Live::Unverified(_))
    }

    /// The "Live" column: `new version served`, `fresh, was not cached`,
    /// `removed (404)`, `path not cached by the site`, `not verified`.
    pub fn label(&self) -> &'static str {
        match self {
            Live::NewVersion => "new version served",
            Live::NotCached => "fresh, was not cached",
            Live::Removed => "removed (404)",
            Live::Unverified(problem) if problem.is_mapping() => "path not cached by the site",
            Live::Unverified(_) => "not verified",
        }
    }

    /// The label, and the reason when there is one.
    pub fn describe(&self) -> String {
        match self {
            Live::Unverified(problem) => format!("{}: {}", self.label(), problem.reason()),
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
    /// Probes of this image (each retried as the policy says).
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
    /// HTTP requests made, retries included.
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

/// The next step after `answer`, given what came before.
fn judge(seen: &Seen, answer: &Answer, removed: bool, grace_over: bool) -> Judgement {
    if answer.status == 404 && removed {
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
        (Seen::Stale(old), _) => match (old, &etag) {
            (Some(old), Some(new)) if old == new => {
                Judgement::Final(Live::Unverified(Problem::Unchanged))
            }
            _ => Judgement::Final(Live::NewVersion),
        },
        (Seen::Hit(old), Some("HIT")) if old.is_some() && *old != etag => {
            // Revalidated between two probes (a visitor's request did it).
            Judgement::Final(Live::NewVersion)
        }
        (_, Some("HIT")) if grace_over => Judgement::Final(Live::Unverified(Problem::StillCached)),
        (Seen::Hit(old), Some("HIT")) => Judgement::Again(Seen::Hit(old.clone())),
        (Seen::Nothing, Some("HIT")) => Judgement::Again(Seen::Hit(etag)),
        (_, Some("MISS" | "REVALIDATED")) => Judgement::Final(Live::NotCached),
        (_, cache) => Judgement::Final(Live::Unverified(Problem::NotFromCache {
            cache: cache.map(str::to_string),
        })),
    }
}

impl LiveSite {
    /// Verifies each image (see the module comment), `concurrency` at once.
    /// Results are in the order of `images`.
    pub async fn verify(
        &self,
        images: &[Image],
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Verification {
        let before = self.requests();
        let variant = variant::probe_variant(
            &self.settings.served.widths,
            &self.settings.served.qualities,
        );
        let mut results: Vec<(usize, Verified)> =
            futures_util::stream::iter(images.iter().enumerate())
                .map(|(index, image)| {
                    let variant = variant.as_ref();
                    async move {
                        let verified = self.verify_one(image, variant, progress).await;
                        progress(LiveProgress::Verified(&verified));
                        (index, verified)
                    }
                })
                .buffer_unordered(self.settings.requests.concurrency.max(1))
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
        let timing = &self.settings.requests.timing;
        let started = Instant::now();
        let mut seen = Seen::Nothing;
        let mut probes = 0;
        let live = loop {
            let answer = match self.fetch(&image.path, variant, None, progress).await {
                Ok(answer) => answer,
                Err(problem) => break Live::Unverified(problem),
            };
            probes += 1;
            progress(LiveProgress::Probed {
                path: &image.path,
                status: answer.status,
                cache: answer.cache.as_deref(),
            });
            let grace_over = started.elapsed() >= timing.grace;
            seen = match judge(&seen, &answer, image.removed, grace_over) {
                Judgement::Final(live) => break live,
                Judgement::Again(seen) => seen,
            };
            let elapsed = started.elapsed();
            if elapsed >= timing.bound {
                break Live::Unverified(match seen {
                    Seen::Stale(_) => Problem::StillStale { waited: elapsed },
                    _ => Problem::StillCached,
                });
            }
            // A HIT is looked at again when the grace period ends at the
            // latest, a STALE until the bound.
            let deadline = match seen {
                Seen::Hit(_) => timing.grace.min(timing.bound),
                _ => timing.bound,
            };
            let wait = timing
                .interval(probes - 1)
                .min(deadline.saturating_sub(elapsed));
            tokio::time::sleep(wait).await;
        };
        Verified {
            path: image.path.clone(),
            probed: Some(variant.url(&self.endpoint, &image.path)),
            live,
            probes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, cache: Option<&str>, etag: Option<&str>) -> Answer {
        Answer {
            status,
            cache: cache.map(str::to_string),
            etag: etag.map(str::to_string),
            location: None,
            message: String::new(),
        }
    }

    fn ok(cache: &str, etag: &str) -> Answer {
        answer(200, Some(cache), Some(etag))
    }

    fn tag(etag: &str) -> Option<String> {
        Some(etag.to_string())
    }

    fn unverified(problem: Problem) -> Judgement {
        Judgement::Final(Live::Unverified(problem))
    }

    #[test]
    fn stale_is_probed_until_a_new_etag_is_served_fresh() {
        let first = judge(&Seen::Nothing, &ok("STALE", "\"a\""), false, false);
        assert_eq!(first, Judgement::Again(Seen::Stale(tag("\"a\""))));
        let seen = Seen::Stale(tag("\"a\""));
        assert_eq!(
            judge(&seen, &ok("STALE", "\"a\""), false, true),
            Judgement::Again(seen.clone()),
            "still revalidating, whatever the grace period says"
        );
        assert_eq!(
            judge(&seen, &ok("HIT", "\"b\""), false, false),
            Judgement::Final(Live::NewVersion)
        );
        assert_eq!(
            judge(&seen, &ok("MISS", "\"b\""), false, false),
            Judgement::Final(Live::NewVersion)
        );
        assert_eq!(
            judge(&seen, &ok("HIT", "\"a\""), false, false),
            unverified(Problem::Unchanged)
        );
        assert_eq!(
            judge(
                &Seen::Stale(None),
                &answer(200, Some("HIT"), None),
                false,
                false
            ),
            Judgement::Final(Live::NewVersion),
            "without ETags, STALE then HIT is the revalidation done"
        );
    }

    #[test]
    fn a_miss_at_once_was_not_cached() {
        assert_eq!(
            judge(&Seen::Nothing, &ok("MISS", "\"a\""), false, false),
            Judgement::Final(Live::NotCached)
        );
        assert_eq!(
            judge(&Seen::Nothing, &ok("REVALIDATED", "\"a\""), false, false),
            Judgement::Final(Live::NotCached)
        );
    }

    #[test]
    fn a_hit_with_the_old_etag_past_the_grace_period_is_a_wrong_path() {
        let first = judge(&Seen::Nothing, &ok("HIT", "\"a\""), false, false);
        assert_eq!(first, Judgement::Again(Seen::Hit(tag("\"a\""))));
        let seen = Seen::Hit(tag("\"a\""));
        assert_eq!(
            judge(&seen, &ok("HIT", "\"a\""), false, false),
            Judgement::Again(seen.clone())
        );
        assert_eq!(
            judge(&seen, &ok("HIT", "\"a\""), false, true),
            unverified(Problem::StillCached)
        );
        assert_eq!(
            judge(&Seen::Nothing, &ok("HIT", "\"a\""), false, true),
            unverified(Problem::StillCached),
            "no grace period"
        );
        assert_eq!(
            judge(&seen, &ok("STALE", "\"a\""), false, true),
            Judgement::Again(Seen::Stale(tag("\"a\""))),
            "the invalidation arrived during the grace period"
        );
        assert_eq!(
            judge(&seen, &ok("HIT", "\"b\""), false, true),
            Judgement::Final(Live::NewVersion),
            "revalidated between two probes"
        );
    }

    #[test]
    fn statuses_say_what_is_wrong() {
        let cases = [
            (404, false, Live::Unverified(Problem::NotOnSite)),
            (404, true, Live::Removed),
            (
                400,
                false,
                Live::Unverified(Problem::NotAllowed {
                    message: String::new(),
                }),
            ),
            (
                401,
                false,
                Live::Unverified(Problem::Protected { status: 401 }),
            ),
            (
                403,
                true,
                Live::Unverified(Problem::Protected { status: 403 }),
            ),
            (
                410,
                false,
                Live::Unverified(Problem::Unexpected {
                    status: 410,
                    message: String::new(),
                }),
            ),
        ];
        for (status, removed, expected) in cases {
            for seen in [
                Seen::Nothing,
                Seen::Stale(tag("\"a\"")),
                Seen::Hit(tag("\"a\"")),
            ] {
                assert_eq!(
                    judge(&seen, &answer(status, None, None), removed, false),
                    Judgement::Final(expected.clone()),
                    "{status} removed={removed} after {seen:?}"
                );
            }
        }
        let mut redirect = answer(308, None, None);
        redirect.location = Some("https://www.example.com/_next/image".into());
        let Judgement::Final(Live::Unverified(problem)) =
            judge(&Seen::Nothing, &redirect, false, false)
        else {
            panic!("a redirect is a problem");
        };
        assert!(
            problem
                .reason()
                .contains("https://www.example.com/_next/image"),
            "{}",
            problem.reason()
        );
        assert_eq!(
            problem.help(),
            "set site-url to the origin the site is served from"
        );
    }

    #[test]
    fn an_answer_not_from_the_image_cache_is_not_taken_for_one() {
        assert_eq!(
            judge(
                &Seen::Nothing,
                &answer(200, None, Some("\"a\"")),
                false,
                false
            ),
            unverified(Problem::NotFromCache { cache: None })
        );
        assert_eq!(
            judge(&Seen::Nothing, &ok("BYPASS", "\"a\""), false, false),
            unverified(Problem::NotFromCache {
                cache: Some("BYPASS".into())
            })
        );
    }

    #[test]
    fn labels_and_outputs() {
        let verification = Verification {
            images: vec![
                Verified {
                    path: "/a.png".into(),
                    probed: None,
                    live: Live::NewVersion,
                    probes: 3,
                },
                Verified {
                    path: "/b.png".into(),
                    probed: None,
                    live: Live::Unverified(Problem::NotOnSite),
                    probes: 1,
                },
                Verified {
                    path: "/c.png".into(),
                    probed: None,
                    live: Live::Unverified(Problem::Protected { status: 401 }),
                    probes: 1,
                },
                Verified {
                    path: "/d.png".into(),
                    probed: None,
                    live: Live::Removed,
                    probes: 1,
                },
            ],
            requests: 6,
        };
        assert_eq!(verification.verified(), vec!["/a.png", "/d.png"]);
        let unverified = serde_json::to_string(&verification.unverified()).expect("json");
        assert_eq!(
            unverified,
            r#"[{"path":"/b.png","reason":"the site has no image at this path (404)"},{"path":"/c.png","reason":"Deployment Protection refused the request (401)"}]"#
        );
        let labels: Vec<&str> = verification.images.iter().map(|v| v.live.label()).collect();
        assert_eq!(
            labels,
            vec![
                "new version served",
                "path not cached by the site",
                "not verified",
                "removed (404)"
            ]
        );
        assert_eq!(verification.count(|live| !live.is_verified()), 2);
        assert!(Problem::NotOnSite.help().contains("url-prefix"));
        assert!(
            Problem::Protected { status: 401 }
                .help()
                .contains("vercel-protection-bypass")
        );
        assert_eq!(
            Live::Unverified(Problem::StillStale {
                waited: Duration::from_secs(120)
            })
            .describe(),
            "not verified: still revalidating (STALE) after 120 s"
        );
    }
}
