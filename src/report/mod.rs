//! What the run did, in one value: every changed image with its result, the
//! counts, and anything the user needs to know. Rendered as the job summary
//! ([`markdown`]), as terminal text ([`text`]) and as step outputs, and
//! delivered by itself ([`Report::deliver`]): annotations, summary file,
//! outputs, the closing log lines or the terminal report.

mod deliver;
mod live;
pub mod markdown;
pub mod text;

pub use deliver::{Delivered, Delivery};
pub use live::LiveReport;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use crate::live::{Unconfirmed, Verified};
use crate::select::{Selection, Skip, SkipKind, Source};
use crate::vercel::{Mode, Sent, Stop};

pub use crate::untrusted::short_sha;

/// A count and its noun, in agreement: `1 request`, `2 requests`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The result of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Listed first: these need attention.
    Failed(String),
    Skipped(SkipKind, String),
    Invalidated,
    /// Dry run.
    WouldInvalidate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub outcome: Outcome,
    pub public_path: Option<String>,
    /// The other spellings of the image that were sent with it
    /// (`/my%20photo.jpg`); the row counts once.
    pub also: Vec<String>,
    pub sources: Vec<Source>,
    /// What the live site answered for it, when it was asked.
    pub live: Option<Verified>,
}

impl Outcome {
    /// Failures first, then skips, then the rest.
    fn rank(&self) -> u8 {
        match self {
            Outcome::Failed(_) => 0,
            Outcome::Skipped(..) => 1,
            Outcome::Invalidated | Outcome::WouldInvalidate => 2,
        }
    }
}

impl Row {
    /// Every public path sent for this row, the one as written first.
    pub fn spellings(&self) -> impl Iterator<Item = &String> {
        self.public_path.iter().chain(&self.also)
    }

    /// The row's public paths for a reader, joined by `separator`, or
    /// `none` when it has none.
    pub fn shown_paths(
        &self,
        show: impl Fn(&str) -> String,
        separator: &str,
        none: &str,
    ) -> String {
        let shown: Vec<String> = self.spellings().map(|p| show(p)).collect();
        if shown.is_empty() {
            none.to_string()
        } else {
            shown.join(separator)
        }
    }
    /// Rows sort by result group, then by path: stable, easy to scan.
    fn sort_key(&self) -> (u8, &str, Option<&str>) {
        (
            self.outcome.rank(),
            self.sources
                .first()
                .map(|s| s.repo_path.as_str())
                .filter(|p| !p.is_empty())
                .or(self.public_path.as_deref())
                .unwrap_or_default(),
            self.public_path.as_deref(),
        )
    }
}

/// A deployment that was waited for, or that triggered the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentNote {
    pub url: Option<String>,
    pub waited: Option<Duration>,
}

/// Why the run ended before or instead of invalidating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunProblem {
    pub message: String,
    pub help: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub mode: Option<Mode>,
    pub project: Option<String>,
    pub repository: Option<String>,
    pub server_url: String,
    pub base: Option<String>,
    pub head: Option<String>,
    /// Set when there was nothing to do, with the reason.
    pub nothing: Option<String>,
    /// Set when the run failed as a whole.
    pub problem: Option<RunProblem>,
    pub rows: Vec<Row>,
    /// Changed files that are not images (no `include` match).
    pub ignored: usize,
    pub requests: u32,
    pub stop: Option<Stop>,
    pub deployment: Option<DeploymentNote>,
    pub notes: Vec<String>,
    /// Inputs that are allowed but probably not meant.
    pub warnings: Vec<String>,
    /// The list outputs cut to fit GitHub's limit, set when delivering.
    pub cuts: Vec<Cut>,
    /// The path of the file with the whole result, once written.
    pub report_file: Option<String>,
    /// Set when the live site was asked (`site-url`).
    pub live: Option<LiveReport>,
    /// The `site-dir` to set, said, when images outside the public dir sit
    /// under an app whose framework the root does not have.
    pub site_dir_hint: Option<String>,
}

/// A list output that holds only the first `kept` of its `total` items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    pub output: &'static str,
    pub kept: usize,
    pub total: usize,
}

/// The whole result, as the report file holds it: the outputs, uncut.
#[derive(Serialize)]
struct Whole<'a> {
    images: Vec<&'a str>,
    failed: Vec<&'a str>,
    skipped: Vec<SkippedOutput<'a>>,
    count: usize,
    requests: u32,
    verified: Vec<&'a str>,
    unverified: Vec<Unconfirmed>,
}

#[derive(Serialize)]
struct SkippedOutput<'a> {
    path: &'a str,
    reason: &'a str,
}

impl Report {
    /// Fills the rows from the selection and what Vercel answered (`None` in
    /// a dry run, or when nothing could be sent: then `unsent` says why).
    pub fn record(&mut self, selection: &Selection, sent: Option<&Sent>, unsent: Option<&str>) {
        let failures: HashMap<&str, String> = sent
            .map(|s| {
                s.failed
                    .iter()
                    .map(|(path, failure)| (path.as_str(), failure.describe()))
                    .collect()
            })
            .unwrap_or_default();
        let done: HashSet<&str> = sent
            .map(|s| s.done.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for target in &selection.targets {
            let outcome = match (sent, unsent) {
                (_, Some(reason)) => Outcome::Failed(format!("not sent: {reason}")),
                (None, None) => Outcome::WouldInvalidate,
                // Invalidated only on Vercel's word, for every spelling: a
                // path in neither list is a failure, not a success by default.
                (Some(_), None) => target
                    .spellings()
                    .find_map(|path| {
                        match (failures.get(path.as_str()), done.contains(path.as_str())) {
                            (Some(reason), _) => Some(Outcome::Failed(reason.clone())),
                            (None, true) => None,
                            (None, false) => {
                                Some(Outcome::Failed("no answer was recorded for it".to_string()))
                            }
                        }
                    })
                    .unwrap_or(Outcome::Invalidated),
            };
            self.rows.push(Row {
                outcome,
                public_path: Some(target.public_path.clone()),
                also: target.also.clone(),
                sources: target.sources.clone(),
                live: None,
            });
        }
        for Skip {
            source,
            public_path,
            kind,
            reason,
        } in &selection.skipped
        {
            self.rows.push(Row {
                outcome: Outcome::Skipped(*kind, reason.clone()),
                public_path: public_path.clone(),
                also: Vec::new(),
                sources: vec![source.clone()],
                live: None,
            });
        }
        self.ignored += selection.ignored;
        if let Some(sent) = sent {
            self.requests += sent.requests;
            self.stop = sent.stopped.clone().or(self.stop.take());
        }
        self.rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    /// Replaces any secret in the report's text with `***` before it is
    /// rendered: once escaped for Markdown, a secret would no longer match.
    pub fn redact(&mut self, secrets: &[String]) {
        let clean = |text: &mut String| {
            if let std::borrow::Cow::Owned(redacted) = crate::actions::redact(text, secrets) {
                *text = redacted;
            }
        };
        for row in &mut self.rows {
            match &mut row.outcome {
                Outcome::Failed(reason) | Outcome::Skipped(_, reason) => clean(reason),
                Outcome::Invalidated | Outcome::WouldInvalidate => {}
            }
            if let Some(path) = &mut row.public_path {
                clean(path);
            }
            row.also.iter_mut().for_each(clean);
            if let Some(verified) = &mut row.live {
                live::redact_verified(verified, &clean);
            }
        }
        if let Some(live) = &mut self.live {
            live::redact_live(live, &clean);
        }
        for text in self.notes.iter_mut().chain(self.nothing.iter_mut()) {
            clean(text);
        }
        if let Some(problem) = &mut self.problem {
            clean(&mut problem.message);
            problem.help.iter_mut().for_each(clean);
        }
        if let Some(stop) = &mut self.stop {
            clean(&mut stop.reason);
            clean(&mut stop.help);
        }
    }

    /// Every string sent for the rows `pick` keeps, other spellings included.
    fn paths(&self, pick: impl Fn(&Outcome) -> bool) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|row| pick(&row.outcome))
            .flat_map(Row::spellings)
            .map(String::as_str)
            .collect()
    }

    /// How many images (rows with a public path) `pick` keeps: an image
    /// counts once, however many spellings were sent.
    fn images(&self, pick: impl Fn(&Outcome) -> bool) -> usize {
        self.rows
            .iter()
            .filter(|row| pick(&row.outcome) && row.public_path.is_some())
            .count()
    }

    /// Images invalidated (in a dry run: that would be).
    pub fn invalidated_count(&self) -> usize {
        self.images(|o| matches!(o, Outcome::Invalidated | Outcome::WouldInvalidate))
    }

    /// Images that could not be invalidated.
    pub fn failed_count(&self) -> usize {
        self.images(|o| matches!(o, Outcome::Failed(_)))
    }

    /// Public paths invalidated (in a dry run: that would be), every
    /// spelling sent.
    pub fn invalidated(&self) -> Vec<&str> {
        self.paths(|o| matches!(o, Outcome::Invalidated | Outcome::WouldInvalidate))
    }

    pub fn failed(&self) -> Vec<&str> {
        self.paths(|o| matches!(o, Outcome::Failed(_)))
    }

    /// `(repository path, reason)` of every skipped image.
    pub fn skipped(&self) -> Vec<(&str, &str)> {
        self.rows
            .iter()
            .filter_map(|row| match &row.outcome {
                Outcome::Skipped(_, reason) => Some((
                    row.sources
                        .first()
                        .map(|s| s.repo_path.as_str())
                        .or(row.public_path.as_deref())
                        .unwrap_or_default(),
                    reason.as_str(),
                )),
                _ => None,
            })
            .collect()
    }

    fn skipped_outputs(&self) -> Vec<SkippedOutput<'_>> {
        self.skipped()
            .into_iter()
            .map(|(path, reason)| SkippedOutput { path, reason })
            .collect()
    }

    /// The values for `GITHUB_OUTPUT`, whole.
    pub fn outputs(&self) -> Vec<(&'static str, String)> {
        self.outputs_within(usize::MAX).0
    }

    /// The values for `GITHUB_OUTPUT`, the lists cut where needed so that
    /// all of them hold at most `budget` UTF-16 code units: what went wrong
    /// keeps the most room (`failed`, then `unverified`, then `skipped`),
    /// then `images`, then `verified`. Also says what was cut.
    pub fn outputs_within(&self, budget: usize) -> (Vec<(&'static str, String)>, Vec<Cut>) {
        let count = self.invalidated_count().to_string();
        let requests = self.requests.to_string();
        let lists: [(&'static str, Vec<String>); 5] = [
            ("failed", items(&self.failed())),
            ("unverified", items(&self.unverified())),
            ("skipped", items(&self.skipped_outputs())),
            ("images", items(&self.invalidated())),
            ("verified", items(&self.verified())),
        ];
        // The names count too (ASCII).
        let names: usize = ["count", "requests"]
            .iter()
            .chain(lists.iter().map(|(name, _)| name))
            .map(|name| name.len())
            .sum();
        let mut left = budget.saturating_sub(names + count.len() + requests.len());
        let mut cuts = Vec::new();
        let mut values: [String; 5] = Default::default();
        for (index, (name, items)) in lists.iter().enumerate() {
            // Room for the empty lists still to come.
            let reserve = 2 * (lists.len() - index - 1);
            let (value, kept) = json_array(items, left.saturating_sub(reserve));
            left = left.saturating_sub(utf16_len(&value));
            if kept < items.len() {
                cuts.push(Cut {
                    output: name,
                    kept,
                    total: items.len(),
                });
            }
            values[index] = value;
        }
        let [failed, unverified, skipped, images, verified] = values;
        let outputs = vec![
            ("images", images),
            ("failed", failed),
            ("skipped", skipped),
            ("count", count),
            ("requests", requests),
            ("verified", verified),
            ("unverified", unverified),
        ];
        (outputs, cuts)
    }

    /// The whole result as JSON, for the report file.
    pub fn whole_json(&self) -> String {
        json(&Whole {
            images: self.invalidated(),
            failed: self.failed(),
            skipped: self.skipped_outputs(),
            count: self.invalidated_count(),
            requests: self.requests,
            verified: self.verified(),
            unverified: self.unverified(),
        })
    }

    /// What the summary and the log say about a cut list.
    pub fn cut_notes(&self) -> Vec<String> {
        let whole = match &self.report_file {
            Some(path) => format!("the whole result is in {path} (output `report-file`)"),
            None => "no file with the whole result could be written".to_string(),
        };
        self.cuts
            .iter()
            .map(|cut| {
                format!(
                    "the output `{}` lists the first {} of {} entries: GitHub keeps at most 1 MB of a job's outputs; {whole}",
                    cut.output, cut.kept, cut.total
                )
            })
            .collect()
    }

    /// The verb for what happens to a path: depends on `mode`.
    pub fn verb(&self) -> &'static str {
        match self.mode {
            Some(Mode::Delete) => "deleted from the cache",
            _ => "invalidated",
        }
    }

    /// A link to the compared commits, when the repository is known.
    pub fn compare_link(&self) -> Option<(String, String)> {
        let repository = self.repository.as_ref()?;
        let head = self.head.as_ref()?;
        // Two dots: the trees compared, not the changes since the merge
        // base, which after a force push would show other files.
        Some(match &self.base {
            Some(base) => (
                format!("{}..{}", short_sha(base), short_sha(head)),
                format!("{}/{repository}/compare/{base}..{head}", self.server_url),
            ),
            None => (
                short_sha(head),
                format!("{}/{repository}/commit/{head}", self.server_url),
            ),
        })
    }
}

/// JSON for the outputs; arrays of strings and string pairs cannot fail to
/// encode.
fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_string())
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Each item as JSON.
fn items<T: Serialize>(list: &[T]) -> Vec<String> {
    list.iter().map(json).collect()
}

/// A JSON array of the first items that fit in `budget` UTF-16 code units,
/// and how many that is.
fn json_array(items: &[String], budget: usize) -> (String, usize) {
    let mut out = String::from("[");
    let mut used = 2;
    let mut kept = 0;
    for item in items {
        let needed = utf16_len(item) + usize::from(kept > 0);
        if used + needed > budget {
            break;
        }
        if kept > 0 {
            out.push(',');
        }
        out.push_str(item);
        used += needed;
        kept += 1;
    }
    out.push(']');
    (out, kept)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::select::{Role, Target};
    use crate::vercel::Failure;

    pub(crate) fn source(path: &str, role: Role) -> Source {
        Source {
            repo_path: path.to_string(),
            role,
        }
    }

    pub(crate) fn sample_selection() -> Selection {
        Selection {
            targets: vec![
                Target {
                    public_path: "/a.png".into(),
                    also: Vec::new(),
                    sources: vec![source("public/a.png", Role::Modified)],
                },
                Target {
                    public_path: "/b.png".into(),
                    also: Vec::new(),
                    sources: vec![source("public/b.png", Role::Added)],
                },
            ],
            skipped: vec![Skip {
                source: source("src/c.png", Role::Added),
                public_path: None,
                kind: SkipKind::OutsidePublicDirs,
                reason: "outside the public dir `public`".into(),
            }],
            ignored: 2,
        }
    }

    #[test]
    fn every_image_lands_in_exactly_one_output() {
        let mut report = Report::default();
        let sent = Sent {
            done: vec!["/a.png".into()],
            failed: vec![(
                "/b.png".into(),
                Failure {
                    status: Some(500),
                    code: None,
                    message: "Internal Server Error".into(),
                },
            )],
            requests: 3,
            stopped: None,
        };
        report.record(&sample_selection(), Some(&sent), None);
        assert_eq!(report.invalidated(), ["/a.png"]);
        assert_eq!(report.failed(), ["/b.png"]);
        assert_eq!(
            report.skipped(),
            [("src/c.png", "outside the public dir `public`")]
        );
        let outputs = report.outputs();
        assert_eq!(outputs[0], ("images", r#"["/a.png"]"#.to_string()));
        assert_eq!(outputs[1], ("failed", r#"["/b.png"]"#.to_string()));
        assert_eq!(
            outputs[2],
            (
                "skipped",
                r#"[{"path":"src/c.png","reason":"outside the public dir `public`"}]"#.to_string()
            )
        );
        assert_eq!(outputs[3], ("count", "1".to_string()));
        assert_eq!(outputs[4], ("requests", "3".to_string()));
        // Failures sort first.
        assert!(matches!(report.rows[0].outcome, Outcome::Failed(_)));
    }

    #[test]
    fn long_lists_are_cut_to_fit_the_outputs_and_the_file_has_them_all() {
        let mut report = Report::default();
        for n in 0..20_000 {
            report.rows.push(Row {
                outcome: Outcome::Invalidated,
                public_path: Some(format!(
                    "/images/gallery/{n:05}-a-long-file-name-for-a-photo.jpg"
                )),
                also: vec![],
                sources: vec![],
                live: None,
            });
        }
        report.rows.push(Row {
            outcome: Outcome::Failed("500".into()),
            public_path: Some("/f.png".into()),
            also: vec![],
            sources: vec![],
            live: None,
        });
        let whole = report.outputs();
        assert!(
            whole[0].1.len() > 1_000_000,
            "the case needs a list over the limit"
        );
        let (outputs, cuts) = report.outputs_within(crate::actions::MAX_OUTPUTS_CHARS);
        let total: usize = outputs.iter().map(|(_, v)| v.encode_utf16().count()).sum();
        assert!(total <= crate::actions::MAX_OUTPUTS_CHARS, "{total}");
        let images: Vec<String> = serde_json::from_str(&outputs[0].1).expect("still JSON");
        assert_eq!(
            cuts,
            [Cut {
                output: "images",
                kept: images.len(),
                total: 20_000
            }]
        );
        assert_eq!(images[..], report.invalidated()[..images.len()]);
        assert_eq!(outputs[1].1, r#"["/f.png"]"#);
        assert_eq!(outputs[3].1, "20000");
        let file: serde_json::Value = serde_json::from_str(&report.whole_json()).expect("JSON");
        assert_eq!(file["images"].as_array().map(Vec::len), Some(20_000));
        assert_eq!(file["failed"][0], "/f.png");
        report.cuts = cuts;
        report.report_file = Some("/tmp/r.json".into());
        assert!(
            report.cut_notes()[0].contains("/tmp/r.json"),
            "{:?}",
            report.cut_notes()
        );
    }

    #[test]
    fn a_path_vercel_never_answered_for_is_a_failure() {
        let mut report = Report::default();
        let sent = Sent {
            done: vec!["/a.png".into()],
            ..Sent::default()
        };
        report.record(&sample_selection(), Some(&sent), None);
        assert_eq!(report.invalidated(), ["/a.png"]);
        assert_eq!(report.failed(), ["/b.png"]);
    }

    #[test]
    fn a_dry_run_reports_what_would_be_sent_and_unsent_batches_fail() {
        let mut dry = Report::default();
        dry.record(&sample_selection(), None, None);
        assert_eq!(dry.invalidated(), ["/a.png", "/b.png"]);

        let mut blocked = Report::default();
        blocked.record(&sample_selection(), None, Some("the deployment failed"));
        assert_eq!(blocked.failed(), ["/a.png", "/b.png"]);
        assert!(blocked.invalidated().is_empty());
    }

    #[test]
    fn redaction_reaches_every_text_field() {
        let mut report = Report::default();
        report.record(&sample_selection(), None, Some("token tok_secret1 refused"));
        report.problem = Some(RunProblem {
            message: "x tok_secret1".into(),
            help: vec!["tok_secret1".into()],
        });
        // The live site's answers may echo what was sent: a 400's body, a
        // redirect's Location, a warm-up failure's message.
        use crate::live::{self, Live, Verification, Verified, Warmed, Warming};
        let unverified = |path: &str, problem| Verified {
            path: path.into(),
            probed: None,
            live: Live::Unverified(problem),
            probes: 1,
        };
        let mut live = Verification::default();
        live.images.push(unverified(
            "/a.png",
            live::Problem::NotAllowed {
                message: "url tok_secret1 not allowed".into(),
            },
        ));
        live.images.push(unverified(
            "/b.png",
            live::Problem::Redirected {
                status: 307,
                location: "https://login.example.com/?bypass=tok_secret1".into(),
            },
        ));
        let warmed = Warmed {
            path: "/a.png".into(),
            failed: vec![(
                live::Variant {
                    width: 640,
                    quality: 75,
                    format: None,
                },
                live::Problem::Unexpected {
                    status: 418,
                    message: "tok_secret1".into(),
                },
            )],
            ..Warmed::default()
        };
        let mut warming = Warming::default();
        warming.images.push(warmed);
        warming.failed = 1;
        report.rows.push(Row {
            outcome: Outcome::Invalidated,
            public_path: Some("/d.png".into()),
            also: vec![],
            sources: vec![],
            live: None,
        });
        report.record_live(LiveReport {
            site: "https://example.com".into(),
            verification: Some(live),
            warming: Some(warming),
        });
        report.rows[0].live = report
            .live
            .as_ref()
            .and_then(|l| l.verification.as_ref())
            .map(|v| v.images[0].clone());
        report.redact(&["tok_secret1".to_string()]);
        let mut annotations = Vec::new();
        let mut log =
            crate::actions::Log::new(&mut annotations, crate::actions::LogStyle::Actions, false);
        assert!(report.warn_live(&mut log, false));
        drop(log);
        let everything = format!(
            "{}{}{:?}{}{}",
            report.markdown(),
            report.text(),
            report.outputs(),
            report.whole_json(),
            String::from_utf8_lossy(&annotations)
        );
        assert!(!everything.contains("tok_secret1"), "{everything}");
        assert!(everything.contains("not sent: token *** refused"));
        assert!(everything.contains("bypass=***"), "{everything}");
        assert!(everything.contains("url *** not allowed"), "{everything}");
    }

    #[test]
    fn compare_links_use_the_server_and_repository() {
        let report = Report {
            repository: Some("o/r".into()),
            server_url: "https://github.com".into(),
            base: Some("a".repeat(40)),
            head: Some("b".repeat(40)),
            ..Report::default()
        };
        let (label, url) = report.compare_link().expect("a link");
        assert_eq!(label, "aaaaaaa..bbbbbbb");
        assert_eq!(
            url,
            format!(
                "https://github.com/o/r/compare/{}..{}",
                "a".repeat(40),
                "b".repeat(40)
            )
        );
    }
}
