//! The baseline: once the deployment is live and before anything is sent to
//! Vercel, one probe of each image's variant, as a browser asks for it. What
//! the cache said then is what the verification judges against: a variant
//! already `STALE` from expiry is not credited to the invalidation, a local
//! image whose new bytes are a `MISS` under a new content key is fresh
//! already, and a path the site does not serve is known before it is sent.

use std::collections::HashMap;
use std::fmt::Write as _;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::verify::problem_for;
use super::{Image, LiveProgress, LiveSite, Problem};

/// What Vercel's cache said with a 2xx answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// `x-vercel-cache`, upper-cased.
    pub cache: Option<String>,
    pub etag: Option<String>,
    /// `Age`: seconds the copy had been cached.
    pub age: Option<u64>,
}

/// What the site served for one image before the invalidation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Before {
    /// Served: what the cache said.
    Served(Observed),
    /// 404 for a removed image, as it should be.
    Gone,
    /// Not served (404, 400, a redirect): the path sent is not one the
    /// site serves, known before anything is sent.
    NotServed(Problem),
    /// No answer (a transport error, refusals, the deadline): the
    /// verification starts without a baseline.
    Unknown(Problem),
}

impl Before {
    /// `HIT, ETag "a", Age 471857`, for the log.
    pub fn describe(&self) -> String {
        match self {
            Before::Served(observed) => {
                let mut text = observed
                    .cache
                    .clone()
                    .unwrap_or_else(|| "no x-vercel-cache".to_string());
                if let Some(etag) = &observed.etag {
                    let _ = write!(text, ", ETag {etag}");
                }
                if let Some(age) = observed.age {
                    let _ = write!(text, ", Age {age}");
                }
                text
            }
            Before::Gone => "404, as a removed image should".to_string(),
            Before::NotServed(problem) => format!("not served: {}", problem.reason()),
            Before::Unknown(problem) => format!("no baseline: {}", problem.reason()),
        }
    }
}

/// Every image's baseline, by public path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub images: HashMap<String, Before>,
    /// HTTP requests made, retries included.
    pub requests: u32,
}

impl Baseline {
    pub fn get(&self, path: &str) -> Option<&Before> {
        self.images.get(path)
    }

    /// How many images the site does not serve at the path sent.
    pub fn not_served(&self) -> usize {
        self.images
            .values()
            .filter(|b| matches!(b, Before::NotServed(_)))
            .count()
    }
}

impl LiveSite {
    /// One probe of each image, at most `concurrency` at once, each ended by
    /// `deadline`.
    pub async fn baseline(
        &self,
        images: &[Image],
        deadline: Instant,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Baseline {
        let requests = self.requests();
        let variant = self.probe_variant();
        let images: HashMap<String, Before> = futures_util::stream::iter(images)
            .map(|image| {
                let variant = variant.as_ref();
                async move {
                    let before = match variant {
                        None => Before::Unknown(Problem::NoVariant),
                        Some(variant) => {
                            let answer = self
                                .fetch(&image.path, variant, None, deadline, progress)
                                .await;
                            match answer {
                                Ok(answer) if answer.status == 404 && image.removed => Before::Gone,
                                Ok(answer) => match problem_for(&answer) {
                                    Some(problem)
                                        if problem.is_mapping()
                                            || matches!(problem, Problem::Redirected { .. }) =>
                                    {
                                        Before::NotServed(problem)
                                    }
                                    Some(problem) => Before::Unknown(problem),
                                    None => Before::Served(Observed {
                                        cache: answer.cache,
                                        etag: answer.etag,
                                        age: answer.age,
                                    }),
                                },
                                Err(problem) => Before::Unknown(problem),
                            }
                        }
                    };
                    progress(LiveProgress::Before {
                        path: &image.path,
                        before: &before,
                    });
                    (image.path.clone(), before)
                }
            })
            .buffer_unordered(self.settings.requests.concurrency.max(1))
            .collect()
            .await;
        Baseline {
            images,
            requests: self.requests() - requests,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_is_described_as_the_cache_said() {
        let served = Before::Served(Observed {
            cache: Some("STALE".into()),
            etag: Some("\"a\"".into()),
            age: Some(471857),
        });
        assert_eq!(served.describe(), "STALE, ETag \"a\", Age 471857");
        assert_eq!(
            Before::Served(Observed::default()).describe(),
            "no x-vercel-cache"
        );
        assert_eq!(
            Before::NotServed(Problem::NotOnSite).describe(),
            format!("not served: {}", Problem::NotOnSite.reason())
        );
    }
}
