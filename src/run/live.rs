//! The live site, once Vercel accepted the images: verify each one's
//! optimized variant, then warm every variant the site allows; each probe's
//! progress logged.

use std::io::Write;

use crate::error::Error;
use crate::live::{self, Image};
use crate::report::{LiveReport, count};
use crate::select::{Role, Selection};
use crate::site::Site;
use crate::vercel::Sent;

use super::site::Sited;
use super::{Noted, Stages};

impl<W: Write> Stages<'_, W> {
    /// Once the invalidation is done (and the deployment live), asks the
    /// live site about the images Vercel accepted: verify, then warm. The
    /// optimizer and the variants it allows come from the site's config.
    pub(super) async fn ask_live(
        &self,
        selection: &Selection,
        sent: Option<&Sent>,
        sited: &Sited,
    ) -> Noted<Result<Option<LiveReport>, Error>> {
        let mut noted = Noted::new(());
        let value = self
            .ask_live_noting(selection, sent, sited, &mut noted.notes)
            .await;
        Noted {
            value,
            notes: noted.notes,
            deployment: None,
        }
    }

    async fn ask_live_noting(
        &self,
        selection: &Selection,
        sent: Option<&Sent>,
        sited: &Sited,
        notes: &mut Vec<String>,
    ) -> Result<Option<LiveReport>, Error> {
        let config = self.config;
        if !config.live.asked() {
            return Ok(None);
        }
        let settings = self.live.clone().map(|requests| live::Settings {
            requests,
            served: sited.served.clone(),
        });
        let (Some(sent), Some(settings)) = (sent, settings) else {
            if config.dry_run {
                let note = "a dry run invalidates nothing, so the live site was not asked (verify and warm run after a real invalidation)";
                self.log.borrow_mut().text(&format!("Live site: {note}"));
                notes.push(note.to_string());
            }
            return Ok(None);
        };
        if let Some(note) = sited.site.as_ref().and_then(optimizer_unused) {
            self.log.borrow_mut().text(&format!("Live site: {note}"));
            notes.push(note);
            return Ok(None);
        }
        let (svgs, images): (Vec<Image>, Vec<Image>) = invalidated_images(selection, sent)
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
        let site = live::LiveSite::new(settings)?;
        let verification = if config.live.verify {
            Some(self.verify(&site, &origin, &images).await)
        } else {
            None
        };
        let warming = if config.live.warm {
            Some(self.warm(&site, &origin, &images).await)
        } else {
            None
        };
        Ok(Some(LiveReport {
            site: origin,
            verification,
            warming,
        }))
    }

    async fn verify(
        &self,
        site: &live::LiveSite,
        origin: &str,
        images: &[Image],
    ) -> live::Verification {
        self.log
            .borrow_mut()
            .group(&format!("Verifying {} image(s) on {origin}", images.len()));
        let progress = |event: live::LiveProgress<'_>| self.log.borrow_mut().say(&event.line());
        let verification = site.verify(images, &progress).await;
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

    async fn warm(&self, site: &live::LiveSite, origin: &str, images: &[Image]) -> live::Warming {
        let settings = site.settings();
        self.log.borrow_mut().group(&format!(
            "Warming {} image(s) on {origin}: {} width(s) x {} quality(ies) x {} format(s), at most {} requests",
            images.iter().filter(|i| !i.removed).count(),
            settings.served.widths.len(),
            settings.served.qualities.len(),
            settings.served.formats.len(),
            settings.requests.warm_limit
        ));
        let progress = |event: live::LiveProgress<'_>| self.log.borrow_mut().say(&event.line());
        let warming = site.warm(images, &progress).await;
        let mut log = self.log.borrow_mut();
        log.text(&format!(
            "{} variant(s) warmed, {} failed, {} left by warm-limit ({})",
            warming.warmed,
            warming.failed,
            warming.left,
            count(warming.requests as usize, "request")
        ));
        log.end_group();
        warming
    }
}

/// The images Vercel accepted every spelling of, in the selection's order
/// (one whose other spelling failed is reported failed, so it is not asked);
/// one whose every source is gone (removed, or the old name of a rename)
/// should answer 404.
fn invalidated_images(selection: &Selection, sent: &Sent) -> Vec<Image> {
    let done: std::collections::HashSet<&str> = sent.done.iter().map(String::as_str).collect();
    selection
        .targets
        .iter()
        .filter(|target| target.spellings().all(|s| done.contains(s.as_str())))
        .map(|target| Image {
            path: target.public_path.clone(),
            removed: !target.sources.is_empty()
                && target
                    .sources
                    .iter()
                    .all(|s| matches!(s.role, Role::Removed | Role::RenamedFrom(_))),
        })
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
    use crate::select::{Source, Target};

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
        let asked: Vec<String> = invalidated_images(&selection, &sent)
            .into_iter()
            .map(|image| image.path)
            .collect();
        assert_eq!(asked, ["/both ok.png", "/plain.png"]);
    }
}
