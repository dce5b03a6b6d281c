//! The live site's answers in the report: the "Live" column, the counts in
//! the headline, the `verified` and `unverified` outputs, how many variants
//! were warmed, and the warnings that name the image, the path sent and the
//! setting to check. Nothing here shows unless the site was asked, so a run
//! without `site-url` reports exactly as before.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use super::markdown::{code, plural, rich};
use super::{Outcome, Report};
use crate::actions::{Level, Log};
use crate::live::{Live, Problem, Unconfirmed, Verification, Verified, Warming};

/// Warnings named one by one; GitHub shows at most 10 a step.
const NAMED_WARNINGS: usize = 8;

/// What the live site was asked, and what it answered.
#[derive(Clone, Debug, Default)]
pub struct LiveReport {
    /// The origin asked (`https://example.com`).
    pub site: String,
    pub verification: Option<Verification>,
    pub warming: Option<Warming>,
}

impl Report {
    /// Adds the live site's answers; each invalidated row gets its image's.
    pub fn record_live(&mut self, live: LiveReport) {
        if let Some(verification) = &live.verification {
            let by_path: HashMap<&str, &Verified> = verification
                .images
                .iter()
                .map(|v| (v.path.as_str(), v))
                .collect();
            for row in &mut self.rows {
                if row.outcome == Outcome::Invalidated
                    && let Some(path) = &row.public_path
                {
                    row.live = by_path.get(path.as_str()).map(|v| (*v).clone());
                }
            }
        }
        self.live = Some(live);
    }

    fn verification(&self) -> Option<&Verification> {
        self.live.as_ref()?.verification.as_ref()
    }

    /// The `verified` output: paths the live site now serves fresh.
    pub fn verified(&self) -> Vec<&str> {
        self.verification()
            .map(Verification::verified)
            .unwrap_or_default()
    }

    /// The `unverified` output.
    pub fn unverified(&self) -> Vec<Unconfirmed> {
        self.verification()
            .map(Verification::unverified)
            .unwrap_or_default()
    }

    /// The counts for the headline: `(verified, not verified)`, when the
    /// site was asked.
    pub(super) fn live_counts(&self) -> Option<(usize, usize)> {
        let verification = self.verification()?;
        Some((
            verification.count(Live::is_verified),
            verification.count(|live| !live.is_verified()),
        ))
    }

    /// Whether the summary table has a "Live" column.
    pub(super) fn live_column(&self) -> bool {
        self.verification().is_some()
    }

    /// The facts after the invalidation's: verified, warmed.
    pub(super) fn live_facts(&self, bold: bool) -> Vec<String> {
        let number = |n: usize| {
            if bold {
                format!("**{n}**")
            } else {
                n.to_string()
            }
        };
        let mut facts = Vec::new();
        if let Some((verified, unverified)) = self.live_counts() {
            facts.push(format!("{} verified live", number(verified)));
            facts.push(format!("{} not verified", number(unverified)));
        }
        if let Some(warming) = self.live.as_ref().and_then(|l| l.warming.as_ref()) {
            facts.push(format!(
                "{} variants warmed",
                number(warming.warmed as usize)
            ));
        }
        facts
    }

    /// What is said above the table about the live site: the fixes for the
    /// images it did not confirm, and the warm-up.
    pub(super) fn live_callouts(&self, out: &mut String) {
        let Some(live) = &self.live else { return };
        if let Some(verification) = &live.verification {
            let problems: Vec<&Verified> = verification
                .images
                .iter()
                .filter(|v| !v.live.is_verified())
                .collect();
            if !problems.is_empty() {
                let _ = write!(
                    out,
                    "> [!WARNING]\n> {} not confirmed on the live site {}.\n>\n",
                    plural(problems.len(), "image was", "images were"),
                    code(&live.site, false)
                );
                let mut helps: Vec<&str> = problems
                    .iter()
                    .filter_map(|v| match &v.live {
                        Live::Unverified(problem) => Some(problem.help()),
                        _ => None,
                    })
                    .collect();
                helps.dedup();
                helps.sort();
                helps.dedup();
                for help in helps {
                    let _ = writeln!(out, "> **Fix:** {}\n>", rich(help, false));
                }
                out.push('\n');
            }
        }
        if let Some(warming) = &live.warming {
            let _ = write!(out, "🔥 {}\n\n", rich(&warming_line(warming), false));
        }
    }

    /// One annotation per image the site did not confirm (the first few,
    /// then one for the rest), and one for the failed warm-up requests.
    /// Returns whether an image was not confirmed.
    pub(super) fn warn_live<W: Write>(&self, log: &mut Log<W>, as_error: bool) -> bool {
        let Some(live) = &self.live else {
            return false;
        };
        let level = if as_error {
            Level::Error
        } else {
            Level::Warning
        };
        let problems: Vec<&Verified> = live
            .verification
            .iter()
            .flat_map(|v| v.images.iter())
            .filter(|v| !v.live.is_verified())
            .collect();
        // Every string sent for an image: its other spelling too.
        let also: HashMap<&str, &[String]> = self
            .rows
            .iter()
            .filter(|row| row.outcome == Outcome::Invalidated)
            .filter_map(|row| Some((row.public_path.as_deref()?, row.also.as_slice())))
            .collect();
        for verified in problems.iter().take(NAMED_WARNINGS) {
            let also = also.get(verified.path.as_str()).copied().unwrap_or(&[]);
            log.annotate(
                level,
                Some("Not verified on the live site"),
                &warning(verified, also),
            );
        }
        if problems.len() > NAMED_WARNINGS {
            log.annotate(
                level,
                Some("Not verified on the live site"),
                &format!(
                    "{} more images were not confirmed on the live site; the job summary and the `unverified` output list them all.",
                    problems.len() - NAMED_WARNINGS
                ),
            );
        }
        if let Some(warming) = &live.warming
            && let Some((image, (variant, problem))) = warming
                .images
                .iter()
                .find_map(|image| image.failed.first().map(|failed| (image, failed)))
        {
            log.warning(&format!(
                "{} warm-up request(s) failed; the first: `{}` at {}: {}. {}",
                warming.failed,
                image.path,
                variant.describe(),
                problem.reason(),
                problem.help()
            ));
        }
        !problems.is_empty()
    }
}

/// The warning for one image: what happened, every string sent for it
/// (`also`: its other spellings) and the request made, and the setting to
/// check.
fn warning(verified: &Verified, also: &[String]) -> String {
    let sent: Vec<String> = std::iter::once(&verified.path)
        .chain(also)
        .map(|path| format!("`{path}`"))
        .collect();
    let mut text = format!(
        "`{}`: {}. Sent to Vercel as {}",
        verified.path,
        verified.live.describe(),
        sent.join(" and ")
    );
    if let Some(probed) = &verified.probed {
        let _ = write!(text, "; requested {probed}");
    }
    if let Live::Unverified(problem) = &verified.live {
        let _ = write!(text, ". Fix: {}", problem.help());
    }
    text
}

/// Secrets out of the live site's texts: the messages of its answers (a
/// 400's body, a redirect's `Location`) may echo what was sent.
pub(super) fn redact_live(live: &mut LiveReport, clean: &dyn Fn(&mut String)) {
    clean(&mut live.site);
    for verified in live
        .verification
        .iter_mut()
        .flat_map(|v| v.images.iter_mut())
    {
        redact_verified(verified, clean);
    }
    for warmed in live.warming.iter_mut().flat_map(|w| w.images.iter_mut()) {
        clean(&mut warmed.path);
        for (_, problem) in &mut warmed.failed {
            redact_problem(problem, clean);
        }
    }
}

pub(super) fn redact_verified(verified: &mut Verified, clean: &dyn Fn(&mut String)) {
    clean(&mut verified.path);
    if let Live::Unverified(problem) = &mut verified.live {
        redact_problem(problem, clean);
    }
}

fn redact_problem(problem: &mut Problem, clean: &dyn Fn(&mut String)) {
    match problem {
        Problem::NotAllowed { message }
        | Problem::Unexpected { message, .. }
        | Problem::Failed { message } => clean(message),
        Problem::Redirected { location, .. } => clean(location),
        Problem::NotFromCache { cache } => cache.iter_mut().for_each(clean),
        Problem::StillCached
        | Problem::NotOnSite
        | Problem::Protected { .. }
        | Problem::Unchanged
        | Problem::StillStale { .. }
        | Problem::NoVariant => {}
    }
}

/// The warm-up, in a sentence.
pub(super) fn warming_line(warming: &Warming) -> String {
    let mut line = format!(
        "Warmed {} on the live site ({})",
        plural(warming.warmed as usize, "variant", "variants"),
        plural(warming.requests as usize, "request", "requests")
    );
    if warming.failed > 0 {
        let _ = write!(line, ", {} failed", warming.failed);
    }
    if warming.left > 0 {
        let _ = write!(
            line,
            ", {} left because `warm-limit` is {}",
            warming.left, warming.limit
        );
    }
    line.push_str("; each warmed variant is one image transformation on Vercel's bill.");
    line
}

/// The "Live" cell of a row: what visitors now get.
pub(super) fn live_cell(verified: Option<&Verified>) -> String {
    match verified.map(|v| &v.live) {
        None => "—".to_string(),
        Some(live @ Live::Unverified(_)) => format!("⚠️ {}", rich(&live.describe(), true)),
        Some(live) => format!("✅ {}", live.label()),
    }
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::actions::LogStyle;
    use crate::live::Problem;
    use crate::report::tests::sample_selection;
    use crate::vercel::Sent;

    fn checked() -> Report {
        let mut report = Report::default();
        let sent = Sent {
            done: vec!["/a.png".into(), "/b.png".into()],
            requests: 1,
            ..Sent::default()
        };
        report.record(&sample_selection(), Some(&sent), None);
        let probed = Url::parse("https://example.com/_next/image?url=%2Fb.png&w=640&q=75").ok();
        let verified = |path: &str, live, probed| Verified {
            path: path.to_string(),
            probed,
            live,
            probes: 1,
        };
        report.record_live(LiveReport {
            site: "https://example.com".into(),
            verification: Some(Verification {
                images: vec![
                    verified("/a.png", Live::NewVersion, None),
                    verified("/b.png", Live::Unverified(Problem::NotOnSite), probed),
                ],
                requests: 4,
            }),
            warming: None,
        });
        report
    }

    #[test]
    fn each_invalidated_row_shows_what_the_live_site_answered() {
        let report = checked();
        let md = report.markdown();
        assert!(
            md.starts_with("### ⚠️ 2 images invalidated, 1 not verified on the live site\n"),
            "{md}"
        );
        assert!(
            md.contains("**1** verified live · **1** not verified"),
            "{md}"
        );
        assert!(md.contains(
            "| Result | Live | Public path | Repository path | Change |\n|---|---|---|---|---|\n"
        ));
        assert!(
            md.contains("| ✅ invalidated | ✅ new version served | `/a.png` |"),
            "{md}"
        );
        assert!(md.contains("| ✅ invalidated | ⚠️ path not cached by the site\\: the site has no image at this path \\(404\\) | `/b.png` |"), "{md}");
        // A skipped image was not asked.
        assert!(
            md.contains("| ⏭️ skipped: outside the public dir `public` | — |"),
            "{md}"
        );
        assert!(
            md.contains("> **Fix:** check public\\-dir\\, url\\-prefix and site\\-dir"),
            "{md}"
        );

        let outputs = report.outputs();
        assert_eq!(outputs[5], ("verified", r#"["/a.png"]"#.to_string()));
        assert_eq!(
            outputs[6],
            (
                "unverified",
                r#"[{"path":"/b.png","reason":"the site has no image at this path (404)"}]"#
                    .to_string()
            )
        );
        assert!(report.text().contains("  done     /b.png  <- public/b.png (added)  [live: path not cached by the site: the site has no image at this path (404)]"), "{}", report.text());
    }

    #[test]
    fn a_warning_names_every_spelling_sent() {
        let mut report = checked();
        let row = report
            .rows
            .iter_mut()
            .find(|row| row.public_path.as_deref() == Some("/b.png"))
            .expect("row");
        row.public_path = Some("/my photo.png".into());
        row.also = vec!["/my%20photo.png".into()];
        if let Some(verification) = report.live.as_mut().and_then(|l| l.verification.as_mut()) {
            verification.images[1].path = "/my photo.png".into();
        }
        let mut buffer = Vec::new();
        let mut log = Log::new(&mut buffer, LogStyle::Actions, false);
        assert!(report.warn_live(&mut log, false));
        drop(log);
        let text = String::from_utf8(buffer).expect("utf-8");
        // `%` is `%25` in a workflow command.
        assert!(
            text.contains("Sent to Vercel as `/my photo.png` and `/my%2520photo.png`; requested"),
            "{text}"
        );
    }

    #[test]
    fn a_warning_names_the_image_the_path_sent_and_the_setting() {
        let report = checked();
        let mut buffer = Vec::new();
        let mut log = Log::new(&mut buffer, LogStyle::Actions, false);
        assert!(report.warn_live(&mut log, false));
        drop(log);
        let text = String::from_utf8(buffer).expect("utf-8");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with("::warning title=Not verified on the live site::`/b.png`: path not cached by the site"), "{text}");
        assert!(text.contains("Sent to Vercel as `/b.png`; requested https://example.com/_next/image?url=%252Fb.png&w=640&q=75"), "{text}");
        assert!(
            text.contains("Fix: check public-dir, url-prefix and site-dir"),
            "{text}"
        );

        let mut buffer = Vec::new();
        let mut log = Log::new(&mut buffer, LogStyle::Actions, false);
        assert!(report.warn_live(&mut log, true));
        drop(log);
        assert!(String::from_utf8_lossy(&buffer).starts_with("::error title="));

        let unasked = Report::default();
        let mut buffer = Vec::new();
        let mut log = Log::new(&mut buffer, LogStyle::Actions, false);
        assert!(!unasked.warn_live(&mut log, true));
        drop(log);
        assert!(buffer.is_empty());
        assert_eq!(unasked.outputs()[5], ("verified", "[]".to_string()));
        assert!(!unasked.markdown().contains("Live"));
    }
}
