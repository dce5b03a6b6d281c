//! The live site: once the deployment is live and before anything is sent,
//! a baseline of each image's optimized variant; once Vercel accepted the
//! images, verify each one against its baseline, then warm every variant
//! the site allows; each probe's progress logged, all within
//! `live-timeout`.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::live::{self, Image};
use crate::report::{LiveReport, count};
use crate::select::{Role, Selection, Target};
use crate::site::Site;
use crate::vercel::Sent;

use super::site::Sited;
use super::{Noted, Stages, Undelivered};

/// The live site, asked once the deployment is live and before anything is
/// sent (the baseline), then verified and warmed after the invalidation.
pub(super) struct LiveCheck {
    site: live::LiveSite,
    origin: String,
    images: Vec<Image>,
    baseline: Option<live::Baseline>,
    /// Time the baseline took, out of `live-timeout`.
    spent: Duration,
}

impl<W: Write> Stages<'_, W> {
    /// Once the deployment is live, before anything is sent: which images
    /// the live site is asked about, and (with `verify`) what it serves for
    /// each now. `None` when it is not asked. The optimizer and the variants
    /// it allows come from the site's config.
    pub(super) async fn live_before(
        &self,
        selection: &Selection,
        sited: &Sited,
        notes: &mut Vec<String>,
    ) -> Result<Option<LiveCheck>, Undelivered> {
        let config = self.config;
        let settings = self.live.clone().map(|requests| live::Settings {
            requests,
            served: sited.served.clone(),
        });
        let Some(settings) = settings else {
            return Ok(None);
        };
        if let Some(note) = sited.site.as_ref().and_then(optimizer_unused) {
            self.log.borrow_mut().text(&format!("Live site: {note}"));
            notes.push(note);
            return Ok(None);
        }
        let (svgs, images): (Vec<Image>, Vec<Image>) = live_images(selection)
            .into_iter()
            .partition(|image| is_svg(&image.path));
        if let Some(first) = svgs.first() {
            notes.push(format!(
                "{} not asked on the live site (`{}`{}): the image optimizer refuses SVGs unless `dangerouslyAllowSVG` is set, so pages load them as they are",
                if svgs.len() == 1 { "1 SVG was".to_string() } else { format!("{} SVGs were", svgs.len()) },
                first.path,
                if svgs.len() > 1 { " and others" } else { "" }
            ));
        }
        if images.is_empty() {
            return Ok(None);
        }
        let origin = settings.requests.site.origin().ascii_serialization();
        let site = live::LiveSite::new(settings).map_err(|e| {
            Undelivered::new(
                "the live site's client could not be set up, so no image was invalidated",
                e,
            )
        })?;
        let started = Instant::now();
        let baseline = if config.live.verify {
            Some(self.baseline(&site, &origin, &images).await)
        } else {
            None
        };
        Ok(Some(LiveCheck {
            site,
            origin,
            images,
            baseline,
            spent: started.elapsed(),
        }))
    }

    async fn baseline(
        &self,
        site: &live::LiveSite,
        origin: &str,
        images: &[Image],
    ) -> live::Baseline {
        self.log.borrow_mut().group(&format!(
            "Before invalidating: what {origin} serves for {} image(s)",
            images.len()
        ));
        let progress = |event: live::LiveProgress<'_>| self.log.borrow_mut().say(&event.line());
        let deadline = site.deadline_after(Duration::ZERO);
        let baseline = site.baseline(images, deadline, &progress).await;
        let mut log = self.log.borrow_mut();
        log.text(&format!(
            "{} image(s) asked, {} not served at the path sent ({})",
            baseline.images.len(),
            baseline.not_served(),
            count(baseline.requests as usize, "request")
        ));
        log.end_group();
        baseline
    }

    /// Once the invalidation is done, asks the live site about the images
    /// Vercel accepted: verify against the baseline, then warm, both within
    /// what is left of `live-timeout`.
    pub(super) async fn ask_live(
        &self,
        selection: &Selection,
        sent: Option<(Sent, Option<LiveCheck>)>,
    ) -> Noted<Result<Option<LiveReport>, Error>> {
        let mut noted = Noted::new(Ok(None));
        let config = self.config;
        if !config.live.asked() {
            return noted;
        }
        let Some((sent, Some(check))) = sent else {
            if config.dry_run {
                let note = "a dry run invalidates nothing, so the live site was not asked (verify and warm run after a real invalidation)";
                self.log.borrow_mut().text(&format!("Live site: {note}"));
                noted.notes.push(note.to_string());
            }
            return noted;
        };
        let done = accepted(selection, &sent);
        let images: Vec<Image> = check
            .images
            .into_iter()
            .filter(|image| done.contains(image.path.as_str()))
            .collect();
        if images.is_empty() {
            return noted;
        }
        let (site, origin) = (&check.site, check.origin.as_str());
        let deadline = site.deadline_after(check.spent);
        let verification = if config.live.verify {
            let baseline = check.baseline.as_ref();
            Some(self.verify(site, origin, &images, baseline, deadline).await)
        } else {
            None
        };
        let warming = if config.live.warm {
            Some(self.warm(site, origin, &images, deadline).await)
        } else {
            None
        };
        noted.value = Ok(Some(LiveReport {
            site: check.origin,
            verification,
            warming,
        }));
        noted
    }

    async fn verify(
        &self,
        site: &live::LiveSite,
        origin: &str,
        images: &[Image],
        baseline: Option<&live::Baseline>,
        deadline: tokio::time::Instant,
    ) -> live::Verification {
        self.log
            .borrow_mut()
            .group(&format!("Verifying {} image(s) on {origin}", images.len()));
        let progress = |event: live::LiveProgress<'_>| self.log.borrow_mut().say(&event.line());
        let verification = site.verify(images, baseline, deadline, &progress).await;
        let mut log = self.log.borrow_mut();
        log.text(&format!(
            "{} verified, {} not verified ({})",
            verification.count(live::Live::is_verified),
            verification.count(|l| !l.is_verified()),
            count(verification.requests as usize, "request")
        ));
        log.end_group();
        verification
    }

    async fn warm(
        &self,
        site: &live::LiveSite,
        origin: &str,
        images: &[Image],
        deadline: tokio::time::Instant,
    ) -> live::Warming {
        let settings = site.settings();
        self.log.borrow_mut().group(&format!(
            "Warming {} image(s) on {origin}: {} width(s) x {} quality(ies) x {} format(s), at most {} requests",
            images.iter().filter(|i| !i.removed && live::is_transformed(&i.path)).count(),
            settings.served.widths.len(),
            settings.served.qualities.len(),
            settings.served.formats.len(),
            settings.requests.warm_limit
        ));
        let progress = |event: live::LiveProgress<'_>| self.log.borrow_mut().say(&event.line());
        let warming = site.warm(images, deadline, &progress).await;
        let mut log = self.log.borrow_mut();
        log.text(&format!(
            "{} variant(s) warmed, {} failed, {} not requested ({})",
            warming.warmed,
            warming.failed,
            warming.left,
            count(warming.requests as usize, "request")
        ));
        log.end_group();
        warming
    }
}

/// Every selected image, in the selection's order; one whose every source
/// is gone (removed, or the old name of a rename) should answer 404.
fn live_images(selection: &Selection) -> Vec<Image> {
    let all = |target: &Target, role: fn(&Role) -> bool| {
        !target.sources.is_empty() && target.sources.iter().all(|s| role(&s.role))
    };
    selection
        .targets
        .iter()
        .map(|target| Image {
            path: target.public_path.clone(),
            removed: all(target, |r| {
                matches!(r, Role::Removed | Role::RenamedFrom(_))
            }),
            added: all(target, |r| matches!(r, Role::Added | Role::RenamedTo(_))),
        })
        .collect()
}

/// The images Vercel accepted every spelling of (one whose other spelling
/// failed is reported failed, so it is not asked).
fn accepted<'a>(selection: &'a Selection, sent: &Sent) -> std::collections::HashSet<&'a str> {
    let done: std::collections::HashSet<&str> = sent.done.iter().map(String::as_str).collect();
    selection
        .targets
        .iter()
        .filter(|target| target.spellings().all(|s| done.contains(s.as_str())))
        .map(|target| target.public_path.as_str())
        .collect()
}

/// Why the live site is not asked when the site's config says Vercel's
/// optimizer does not serve its images: there is no optimized variant to
/// verify or warm, and every probe would be a 404 or 400 blamed on the
/// mapping.
fn optimizer_unused(site: &Site) -> Option<String> {
    if site.optimizer_unused.is_empty() {
        return None;
    }
    Some(format!(
        "the live site was not asked (verify and warm): {} mean{} that Vercel's image optimizer is not used, so there is no optimized variant to check; the images are not counted as unverified",
        site.optimizer_unused.join(", "),
        if site.optimizer_unused.len() == 1 {
            "s"
        } else {
            ""
        },
    ))
}

/// An SVG, which the optimizers pass over by default.
fn is_svg(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.to_ascii_lowercase().ends_with(".svg")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::Source;

    fn target(path: &str, also: &[&str]) -> Target {
        Target {
            public_path: path.to_string(),
            also: also.iter().map(|a| a.to_string()).collect(),
            sources: vec![Source {
                repo_path: format!("public{path}"),
                role: Role::Modified,
            }],
        }
    }

    #[test]
    fn an_image_is_asked_live_only_when_every_spelling_was_invalidated() {
        let selection = Selection {
            targets: vec![
                target("/my photo.png", &["/my%20photo.png"]),
                target("/both ok.png", &["/both%20ok.png"]),
                target("/plain.png", &[]),
            ],
            skipped: Vec::new(),
            ignored: 0,
        };
        let sent = Sent {
            done: [
                "/my photo.png",
                "/both ok.png",
                "/both%20ok.png",
                "/plain.png",
            ]
            .map(String::from)
            .to_vec(),
            failed: vec![(
                "/my%20photo.png".to_string(),
                crate::vercel::Failure {
                    status: Some(500),
                    code: None,
                    message: "Internal Server Error".into(),
                },
            )],
            ..Sent::default()
        };
        let done = accepted(&selection, &sent);
        let asked: Vec<String> = live_images(&selection)
            .into_iter()
            .map(|image| image.path)
            .filter(|path| done.contains(path.as_str()))
            .collect();
        assert_eq!(asked, ["/both ok.png", "/plain.png"]);
    }
}
