//! Warming: every variant the site allows (widths x qualities x formats) of
//! each image Vercel transforms (JPEG, PNG, WebP, AVIF) requested once, so
//! that the revalidation each stale variant needs is started by this run
//! and not by a visitor, who would be served the old image. Other formats
//! are served as they are: there is nothing to warm. At most `warm_limit`
//! requests in a run, retries included; the variants are built one by one
//! as requests are taken, so the memory they need is bounded by the limit
//! too, whatever the config allows. The variants past the limit, the
//! deadline or a stop are counted, not requested. Removed images have
//! nothing to warm.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use tokio::time::Instant;

use super::verify::problem_for;
use super::{Image, LiveProgress, LiveSite, Problem, Variant, is_transformed, take, variant};

/// One image's warm-up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warmed {
    pub path: String,
    /// Variants the site allows for it (none for a removed image or one
    /// Vercel does not transform).
    pub variants: u64,
    /// Requested and answered 2xx (`MISS`: now cached; `STALE`: its
    /// revalidation started; `HIT`: already fresh).
    pub warmed: u32,
    pub failed: Vec<(Variant, Problem)>,
    /// Not requested: the warm-limit was reached, the time was up or the
    /// site stopped the run.
    pub left: u64,
    /// Not a format Vercel transforms: served as it is, not warmed.
    pub untransformed: bool,
}

/// Every image's warm-up, in the order given, and the totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warming {
    pub images: Vec<Warmed>,
    /// HTTP requests made, retries included; never more than `limit`.
    pub requests: u32,
    pub warmed: u32,
    pub failed: u32,
    /// Variants not requested.
    pub left: u64,
    pub limit: usize,
    /// Why requests ended before the limit (the time was up, the site
    /// refused), when they did.
    pub stopped: Option<Problem>,
}

enum WarmStep {
    Warmed,
    Failed(Problem),
}

impl LiveSite {
    /// Requests every allowed variant of each image once, `concurrency` at
    /// once, images in the order given, until `deadline` at the latest.
    pub async fn warm(
        &self,
        images: &[Image],
        deadline: Instant,
        progress: &dyn Fn(LiveProgress<'_>),
    ) -> Warming {
        let before = self.requests();
        let all = variant::variants(
            &self.settings.served.widths,
            &self.settings.served.qualities,
            &self.settings.served.formats,
        );
        let total = all.total();
        let warmed = |image: &Image| !image.removed && is_transformed(&image.path);
        let budget = AtomicUsize::new(self.settings.requests.warm_limit);
        let (budget, all) = (&budget, &all);
        // Indices only; a variant is built once a request is taken for it,
        // and nothing is built once the time is up or the site stopped.
        let jobs = images
            .iter()
            .enumerate()
            .filter(|(_, image)| warmed(image))
            .flat_map(|(index, image)| (0..total).map(move |n| (index, image, n)))
            .map_while(|(index, image, n)| {
                let go = self.stopped().is_none() && Instant::now() < deadline && take(budget);
                go.then(|| {
                    self.built.fetch_add(1, Ordering::Relaxed);
                    (index, image, all.get(n))
                })
            });
        let empty = tally(images, total, &warmed);
        let mut warming = futures_util::stream::iter(jobs)
            .map(|(index, image, variant)| async move {
                let outcome = match self
                    .fetch(&image.path, &variant, Some(budget), deadline, progress)
                    .await
                {
                    Ok(answer) => match problem_for(&answer) {
                        None => WarmStep::Warmed,
                        Some(problem) => WarmStep::Failed(problem),
                    },
                    Err(problem) => WarmStep::Failed(problem),
                };
                progress(LiveProgress::Warmed {
                    path: &image.path,
                    variant: &variant,
                    result: match &outcome {
                        WarmStep::Failed(problem) => Err(problem),
                        WarmStep::Warmed => Ok(()),
                    },
                });
                (index, variant, outcome)
            })
            .buffer_unordered(self.settings.requests.concurrency.max(1))
            .fold(empty, |mut warming, (index, variant, outcome)| {
                add(&mut warming, index, variant, outcome);
                std::future::ready(warming)
            })
            .await;
        finish(&mut warming);
        warming.limit = self.settings.requests.warm_limit;
        warming.requests = self.requests() - before;
        warming.stopped = self.stopped().or_else(|| {
            (Instant::now() >= deadline && warming.left > 0).then_some(Problem::OutOfTime {
                stale: false,
                limit: self.settings.requests.time_limit,
            })
        });
        warming
    }
}

/// Every image with the variants it has, nothing requested yet.
fn tally(images: &[Image], total: u64, warmed: &dyn Fn(&Image) -> bool) -> Warming {
    Warming {
        images: images
            .iter()
            .map(|image| Warmed {
                path: image.path.clone(),
                variants: if warmed(image) { total } else { 0 },
                untransformed: !image.removed && !is_transformed(&image.path),
                ..Warmed::default()
            })
            .collect(),
        ..Warming::default()
    }
}

fn add(warming: &mut Warming, index: usize, variant: Variant, outcome: WarmStep) {
    let image = &mut warming.images[index];
    match outcome {
        WarmStep::Warmed => {
            image.warmed += 1;
            warming.warmed += 1;
        }
        WarmStep::Failed(problem) => {
            image.failed.push((variant, problem));
            warming.failed += 1;
        }
    }
}

/// What was not requested, per image and in all; failures in variant
/// order, whatever order the answers came in.
fn finish(warming: &mut Warming) {
    for image in &mut warming.images {
        let asked = u64::from(image.warmed) + image.failed.len() as u64;
        image.left = image.variants.saturating_sub(asked);
        image.failed.sort_by(|a, b| a.0.cmp(&b.0));
        warming.left += image.left;
    }
}
