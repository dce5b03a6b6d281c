//! Warming: every variant the site allows (widths x qualities x formats) of
//! each image requested once, so that the revalidation each stale variant
//! needs is started by this run and not by a visitor, who would be served
//! the old image. At most `warm_limit` requests in a run, retries included;
//! the variants past it are counted, not requested. Removed images have
//! nothing to warm.

use std::sync::atomic::AtomicUsize;

use futures_util::StreamExt;

use super::verify::problem_for;
use super::{Image, LiveProgress, LiveSite, Problem, Variant, take, variant};

/// One image's warm-up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warmed {
    pub path: String,
    /// Variants the site allows for it (none for a removed image).
    pub variants: u32,
    /// Requested and answered 2xx (`MISS`: now cached; `STALE`: its
    /// revalidation started; `HIT`: already fresh).
    pub warmed: u32,
    pub failed: Vec<(Variant, Problem)>,
    /// Not requested: the warm-limit was reached.
    pub left: u32,
}

/// Every image's warm-up, in the order given, and the totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warming {
    pub images: Vec<Warmed>,
    /// HTTP requests made, retries included; never more than `limit`.
    pub requests: u32,
    pub warmed: u32,
    pub failed: u32,
    /// Variants not requested because of the limit.
    pub left: u32,
    pub limit: usize,
}

enum WarmStep {
    Warmed,
    Failed(Problem),
    Left,
}

impl LiveSite {
    /// Requests every allowed variant of each image once, `concurrency` at
    /// once, images in the order given.
    pub async fn warm(&self, images: &[Image], progress: &dyn Fn(LiveProgress<'_>)) -> Warming {
        let before = self.requests();
        let variants = variant::variants(
            &self.settings.served.widths,
            &self.settings.served.qualities,
            &self.settings.served.formats,
        );
        let budget = AtomicUsize::new(self.settings.requests.warm_limit);
        let jobs = images
            .iter()
            .enumerate()
            .filter(|(_, image)| !image.removed)
            .flat_map(|(index, image)| variants.iter().map(move |v| (index, image, v)));
        let budget = &budget;
        let outcomes: Vec<(usize, &Variant, WarmStep)> = futures_util::stream::iter(jobs)
            .map(|(index, image, variant)| async move {
                // Jobs start in order, so the ones left are the last.
                if !take(budget) {
                    return (index, variant, WarmStep::Left);
                }
                let outcome = match self
                    .fetch(&image.path, variant, Some(budget), progress)
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
                    variant,
                    result: match &outcome {
                        WarmStep::Failed(problem) => Err(problem),
                        _ => Ok(()),
                    },
                });
                (index, variant, outcome)
            })
            .buffer_unordered(self.settings.requests.concurrency.max(1))
            .collect()
            .await;

        let mut warming = tally(images, variants.len() as u32, outcomes);
        warming.limit = self.settings.requests.warm_limit;
        warming.requests = self.requests() - before;
        warming
    }
}

/// The outcomes, in any order, summed per image and in total.
fn tally(
    images: &[Image],
    variants: u32,
    mut outcomes: Vec<(usize, &Variant, WarmStep)>,
) -> Warming {
    let mut warming = Warming {
        images: images
            .iter()
            .map(|image| Warmed {
                path: image.path.clone(),
                variants: if image.removed { 0 } else { variants },
                ..Warmed::default()
            })
            .collect(),
        ..Warming::default()
    };
    // Failures listed in variant order, whatever order answers came in.
    outcomes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (index, variant, outcome) in outcomes {
        let image = &mut warming.images[index];
        match outcome {
            WarmStep::Warmed => {
                image.warmed += 1;
                warming.warmed += 1;
            }
            WarmStep::Failed(problem) => {
                image.failed.push((variant.clone(), problem));
                warming.failed += 1;
            }
            WarmStep::Left => {
                image.left += 1;
                warming.left += 1;
            }
        }
    }
    warming
}
