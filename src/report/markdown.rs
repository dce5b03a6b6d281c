//! The job summary: Markdown for `GITHUB_STEP_SUMMARY`.
//!
//! A headline with the counts, then one table (result, public path,
//! repository path, change) with failures first; when there are many rows,
//! the long groups fold into `<details>`. Every untrusted string (file names,
//! API messages) is escaped: inside code spans, or with every ASCII
//! punctuation character backslash-escaped, so it can neither format the page
//! nor inject HTML. The document stays under GitHub's 1 MiB limit.

use std::fmt::Write as _;

use super::{Outcome, Report, Row, short_sha};
use crate::select::Role;
use crate::untrusted::{one_line, plain_url};

/// GitHub refuses summaries over 1 MiB; leave room for the closing lines.
const BUDGET: usize = 1024 * 1024 - 16 * 1024;
/// Up to this many rows everything shows in one open table.
const OPEN_ROWS: usize = 30;

/// Text shown literally: control characters made visible, every ASCII
/// punctuation character escaped (CommonMark allows escaping all of them).
pub fn text(raw: &str) -> String {
    let line = one_line(raw);
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span that shows `raw` exactly (control characters made visible).
/// `in_table` also escapes `|`, which would otherwise end the cell.
pub fn code(raw: &str, in_table: bool) -> String {
    let mut body = one_line(raw).into_owned();
    if in_table {
        body = body.replace('|', "\\|");
    }
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') || body.trim().is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Escaped text in which plain http(s) URLs stay clickable.
fn text_with_links(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        // Sentence punctuation after a URL is not part of it.
        let url = tail[..end].trim_end_matches(['.', ',', ';', ')', ':']);
        out.push_str(&text(&rest[..start]));
        if plain_url(url) {
            let _ = write!(out, "<{url}>");
        } else {
            out.push_str(&text(url));
        }
        rest = &tail[url.len()..];
    }
    out.push_str(&text(rest));
    out
}

/// Our own sentences with untrusted parts: the parts between backticks
/// become code spans, the rest is escaped text with plain URLs linked. A
/// stray backtick (from a file name) falls back to escaping everything.
pub fn rich(raw: &str, in_table: bool) -> String {
    let parts: Vec<&str> = raw.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return text(raw);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                code(part, in_table)
            } else {
                text_with_links(part)
            }
        })
        .collect()
}

/// `1 image`, `3 images`.
pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn result_cell(outcome: &Outcome, verb: &str) -> String {
    match outcome {
        Outcome::Failed(reason) => format!("❌ failed: {}", rich(reason, true)),
        Outcome::Skipped(_, reason) => format!("⏭️ skipped: {}", rich(reason, true)),
        Outcome::Invalidated => format!("✅ {verb}"),
        Outcome::WouldInvalidate => "🧪 would be sent".to_string(),
    }
}

fn change_cell(role: &Role) -> String {
    match role {
        Role::RenamedFrom(to) => format!("renamed to {}", code(to, true)),
        Role::RenamedTo(from) => format!("renamed from {}", code(from, true)),
        Role::Listed => "listed in `images`".to_string(),
        other => other.describe(),
    }
}

fn row_line(row: &Row, verb: &str, live: bool) -> String {
    let public = row.shown_paths(|p| code(p, true), "<br>", "—");
    let repo: Vec<String> = row
        .sources
        .iter()
        .filter(|s| s.role != Role::Listed)
        .map(|s| code(&s.repo_path, true))
        .collect();
    let changes: Vec<String> = row.sources.iter().map(|s| change_cell(&s.role)).collect();
    let live = if live {
        format!(" {} |", super::live::live_cell(row.live.as_ref()))
    } else {
        String::new()
    };
    format!(
        "| {} |{live} {} | {} | {} |\n",
        result_cell(&row.outcome, verb),
        public,
        if repo.is_empty() {
            "—".to_string()
        } else {
            repo.join("<br>")
        },
        changes.join("<br>")
    )
}

/// Appends a table of `rows`, keeping the document under the budget.
/// Returns how many rows did not fit.
fn table(out: &mut String, rows: &[&Row], verb: &str, live: bool) -> usize {
    if live {
        out.push_str(
            "| Result | Live | Public path | Repository path | Change |\n|---|---|---|---|---|\n",
        );
    } else {
        out.push_str("| Result | Public path | Repository path | Change |\n|---|---|---|---|\n");
    }
    for (shown, row) in rows.iter().enumerate() {
        let line = row_line(row, verb, live);
        if out.len() + line.len() > BUDGET {
            return rows.len() - shown;
        }
        out.push_str(&line);
    }
    0
}

fn folded(out: &mut String, title: &str, rows: &[&Row], verb: &str, live: bool) -> usize {
    let _ = write!(out, "<details><summary>{title}</summary>\n\n");
    let left = table(out, rows, verb, live);
    out.push_str("\n</details>\n\n");
    left
}

impl Report {
    /// The headline's emoji and words.
    pub(super) fn headline(&self) -> (&'static str, String) {
        let invalidated = self.invalidated_count();
        let failed = self.failed_count();
        let verb = self.verb();
        if self.problem.is_some() && invalidated == 0 {
            return ("❌", "Image cache not invalidated".to_string());
        }
        if self.nothing.is_some() {
            return ("⏭️", "Nothing to invalidate".to_string());
        }
        if self.dry_run {
            return (
                "🧪",
                format!(
                    "Dry run: {} would be {verb}",
                    plural(invalidated, "image", "images")
                ),
            );
        }
        if failed > 0 {
            return (
                "❌",
                format!(
                    "{failed} of {} could not be {verb}",
                    plural(failed + invalidated, "image", "images")
                ),
            );
        }
        if invalidated > 0 {
            let done = format!("{} {verb}", plural(invalidated, "image", "images"));
            return match self.live_counts() {
                None => ("✅", done),
                Some((verified, 0)) => ("✅", format!("{done}, {verified} verified live")),
                Some((_, unverified)) => (
                    "⚠️",
                    format!("{done}, {unverified} not verified on the live site"),
                ),
            };
        }
        ("⏭️", "No changed image to invalidate".to_string())
    }

    fn facts(&self) -> String {
        let skipped = self.skipped().len();
        let mut facts = vec![
            format!(
                "**{}** {}",
                self.invalidated_count(),
                if self.dry_run { "to send" } else { self.verb() }
            ),
            format!("**{}** failed", self.failed_count()),
            format!("**{skipped}** skipped"),
        ];
        facts.extend(self.live_facts(true));
        if !self.dry_run {
            facts.push(plural(self.requests as usize, "request", "requests"));
        }
        if let Some(project) = &self.project {
            facts.push(format!("project {}", code(project, false)));
        }
        if let Some((label, url)) = self.compare_link() {
            facts.push(format!("[{}]({url})", code(&label, false)));
        } else if let Some(head) = &self.head {
            let label = match &self.base {
                Some(base) => format!("{}..{}", short_sha(base), short_sha(head)),
                None => short_sha(head),
            };
            facts.push(code(&label, false));
        }
        facts.join(" · ")
    }

    /// The whole summary.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let verb = self.verb();
        let (emoji, headline) = self.headline();
        let _ = write!(out, "### {emoji} {headline}\n\n{}\n\n", self.facts());
        self.callouts(&mut out);
        let left = self.tables(&mut out, verb);
        if left > 0 {
            let all = match &self.report_file {
                Some(path) => format!("the report file {} lists them all", code(path, false)),
                None => {
                    "the step outputs `images`, `failed` and `skipped` list them all".to_string()
                }
            };
            let _ = write!(
                out,
                "\n{} more {} not shown to keep this summary under GitHub's 1 MiB limit; {all}.\n",
                left,
                if left == 1 { "row is" } else { "rows are" }
            );
        }
        out
    }

    /// What is said above the table: the error, an early stop, why nothing
    /// was done, the deployment, notes.
    fn callouts(&self, out: &mut String) {
        if let Some(problem) = &self.problem {
            // A message of several lines (several bad inputs) keeps them.
            out.push_str("> [!CAUTION]\n");
            for line in problem.message.lines() {
                let _ = writeln!(
                    out,
                    "> {}",
                    rich(line.trim_start_matches([' ', '-']), false)
                );
                out.push_str(">\n");
            }
            for help in &problem.help {
                let _ = writeln!(out, "> **Fix:** {}\n>", rich(help, false));
            }
            out.push('\n');
        }
        if let Some(stop) = &self.stop {
            let _ = write!(
                out,
                "> [!CAUTION]\n> Stopped early: {}\n>\n> **Fix:** {}\n\n",
                rich(&stop.reason, false),
                rich(&stop.help, false)
            );
        }
        if let Some(reason) = &self.nothing {
            let _ = write!(out, "Nothing was sent: {}.\n\n", rich(reason, false));
        }
        if let Some(deployment) = &self.deployment {
            let url = match deployment.url.as_deref() {
                Some(url) if plain_url(url) => format!(" at <{url}>"),
                Some(url) => format!(" at {}", code(url, false)),
                None => String::new(),
            };
            match deployment.waited {
                Some(waited) => {
                    let _ = write!(
                        out,
                        "🚀 Waited {} for the deployment to go live{url}.\n\n",
                        crate::deploy::format_wait(waited)
                    );
                }
                None => {
                    let _ = write!(out, "🚀 Triggered by the deployment{url}.\n\n");
                }
            }
        }
        self.live_callouts(out);
        for note in &self.notes {
            let _ = write!(out, "ℹ️ {}\n\n", rich(note, false));
        }
        for warning in self.warnings.iter().chain(&self.cut_notes()) {
            let _ = write!(out, "⚠️ {}\n\n", rich(warning, false));
        }
        if self.ignored > 0 {
            let _ = write!(
                out,
                "{} not matching `include` (not images) {} not considered.\n\n",
                plural(self.ignored, "other changed file", "other changed files"),
                if self.ignored == 1 { "was" } else { "were" }
            );
        }
    }

    /// The rows: one table when they are few, else the failures open and
    /// the rest folded. Returns how many rows did not fit.
    fn tables(&self, out: &mut String, verb: &str) -> usize {
        let rows: Vec<&Row> = self.rows.iter().collect();
        let live = self.live_column();
        let mut left = 0;
        if rows.len() <= OPEN_ROWS {
            if !rows.is_empty() {
                left += table(out, &rows, verb, live);
            }
        } else {
            let pick = |f: fn(&Outcome) -> bool| -> Vec<&Row> {
                rows.iter().copied().filter(|r| f(&r.outcome)).collect()
            };
            let failed = pick(|o| matches!(o, Outcome::Failed(_)));
            let skipped = pick(|o| matches!(o, Outcome::Skipped(..)));
            let done = pick(|o| matches!(o, Outcome::Invalidated | Outcome::WouldInvalidate));
            if !failed.is_empty() {
                left += table(out, &failed, verb, live);
                out.push('\n');
            }
            if !skipped.is_empty() {
                let title = plural(skipped.len(), "skipped image", "skipped images");
                left += folded(out, &title, &skipped, verb, live);
            }
            if !done.is_empty() {
                let title = if self.dry_run {
                    format!(
                        "{} that would be sent",
                        plural(done.len(), "image", "images")
                    )
                } else {
                    format!("{} {verb}", plural(done.len(), "image", "images"))
                };
                left += folded(out, &title, &done, verb, live);
            }
        }
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use crate::report::tests::{sample_selection, source};
    use crate::select::{Selection, Target};
    use crate::vercel::Sent;

    #[test]
    fn code_spans_show_hostile_names_literally() {
        assert_eq!(code("a.png", false), "`a.png`");
        assert_eq!(code("a|b.png", true), "`a\\|b.png`");
        assert_eq!(code("x`y.png", false), "``x`y.png``");
        assert_eq!(code("`edge`", false), "`` `edge` ``");
        assert_eq!(code("a\n::error::x.png", false), "`a\\n::error::x.png`");
        assert_eq!(
            code("<img src=x onerror=alert(1)>.png", true),
            "`<img src=x onerror=alert(1)>.png`"
        );
    }

    #[test]
    fn text_escapes_markdown_and_html() {
        assert_eq!(text("<b>*hi*</b>"), "\\<b\\>\\*hi\\*\\<\\/b\\>");
        assert_eq!(text("[x](javascript:y)"), "\\[x\\]\\(javascript\\:y\\)");
        assert_eq!(text("a\nb"), "a\\\\nb");
    }

    #[test]
    fn rich_text_keeps_our_code_spans_and_escapes_the_rest() {
        assert_eq!(
            rich("excluded by `public/*.png`", true),
            "excluded by `public/*.png`"
        );
        assert_eq!(rich("a `<b>` *c*", false), "a `<b>` \\*c\\*");
        assert_eq!(rich("odd ` tick <i>", false), "odd \\` tick \\<i\\>");
    }

    #[test]
    fn plain_urls_become_links_and_others_stay_text() {
        assert_eq!(
            rich("create one at https://vercel.com/account/tokens.", false),
            "create one at <https://vercel.com/account/tokens>\\."
        );
        assert_eq!(
            rich("see https://x.app/<b>", false),
            "see https\\:\\/\\/x\\.app\\/\\<b\\>"
        );
    }

    #[test]
    fn a_small_run_is_one_table_with_failures_first() {
        let mut report = Report {
            project: Some("site".into()),
            ..Report::default()
        };
        let sent = Sent {
            done: vec!["/a.png".into()],
            failed: vec![(
                "/b.png".into(),
                crate::vercel::Failure {
                    status: Some(500),
                    code: None,
                    message: "boom".into(),
                },
            )],
            requests: 2,
            stopped: None,
        };
        report.record(&sample_selection(), Some(&sent), None);
        let md = report.markdown();
        assert!(
            md.starts_with("### ❌ 1 of 2 images could not be invalidated\n"),
            "{md}"
        );
        assert!(md.contains(
            "**1** invalidated · **1** failed · **1** skipped · 2 requests · project `site`"
        ));
        let failed_at = md.find("❌ failed: 500\\: boom").expect("failure row");
        let done_at = md.find("✅ invalidated |").expect("done row");
        assert!(failed_at < done_at);
        assert_eq!(md.matches("| Result |").count(), 1);
        assert!(!md.contains("<details>"));
        assert!(md.contains("2 other changed files not matching `include`"));
    }

    #[test]
    fn long_lists_fold_and_huge_ones_stay_under_the_limit() {
        let many = |n: usize, len: usize| Selection {
            targets: (0..n)
                .map(|i| Target {
                    public_path: format!("/{i:06}{}.png", "x".repeat(len)),
                    also: Vec::new(),
                    sources: vec![source(&format!("public/{i:06}.png"), Role::Added)],
                })
                .collect(),
            skipped: vec![],
            ignored: 0,
        };
        let mut report = Report::default();
        let paths: Vec<String> = many(40, 0)
            .targets
            .iter()
            .map(|t| t.public_path.clone())
            .collect();
        report.record(
            &many(40, 0),
            Some(&Sent {
                done: paths,
                ..Sent::default()
            }),
            None,
        );
        let md = report.markdown();
        assert!(
            md.contains("<details><summary>40 images invalidated</summary>"),
            "{md}"
        );

        let mut huge = Report {
            dry_run: true,
            ..Report::default()
        };
        huge.record(&many(5000, 300), None, None);
        let md = huge.markdown();
        assert!(md.len() < 1024 * 1024, "{}", md.len());
        assert!(md.contains("rows are not shown to keep this summary under GitHub's 1 MiB limit"));
        assert!(md.ends_with("list them all.\n"));
    }

    #[test]
    fn nothing_to_do_says_why() {
        let report = Report {
            nothing: Some("`refs/tags/v1` is a tag push".into()),
            ..Report::default()
        };
        let md = report.markdown();
        assert!(md.starts_with("### ⏭️ Nothing to invalidate"));
        assert!(
            md.contains("Nothing was sent: `refs/tags/v1` is a tag push."),
            "{md}"
        );
    }
}
