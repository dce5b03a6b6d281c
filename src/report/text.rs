//! The report as plain text, for a developer's terminal.

use std::fmt::Write as _;

use super::{Outcome, Report, Row, short_sha};
use crate::actions::one_line;

impl Report {
    pub fn text(&self) -> String {
        self.text_besides(&[])
    }

    /// The text without the notes that `said` (warnings the terminal has
    /// shown already) holds: each is said once.
    pub fn text_besides(&self, said: &[String]) -> String {
        let mut out = String::new();
        let (_, headline) = self.headline();
        let _ = writeln!(out, "{headline}");
        let mut facts = vec![
            format!(
                "{} {}",
                self.invalidated_count(),
                if self.dry_run { "to send" } else { self.verb() }
            ),
            format!("{} failed", self.failed_count()),
            format!("{} skipped", self.skipped().len()),
        ];
        facts.extend(self.live_facts(false));
        if !self.dry_run {
            facts.push(super::count(self.requests as usize, "request"));
        }
        if let Some(project) = &self.project {
            facts.push(format!("project {}", one_line(project)));
        }
        if let Some(head) = &self.head {
            facts.push(match &self.base {
                Some(base) => format!("{}..{}", short_sha(base), short_sha(head)),
                None => format!("{} (all files)", short_sha(head)),
            });
        }
        let _ = writeln!(out, "  {}", facts.join(", "));
        if let Some(problem) = &self.problem {
            for line in problem.message.lines() {
                let _ = writeln!(out, "  error: {}", one_line(line.trim()));
            }
            for help in &problem.help {
                let _ = writeln!(out, "  help: {}", one_line(help));
            }
        }
        if let Some(stop) = &self.stop {
            let _ = writeln!(out, "  stopped early: {}", one_line(&stop.reason));
            let _ = writeln!(out, "  help: {}", one_line(&stop.help));
        }
        if let Some(reason) = &self.nothing {
            let _ = writeln!(out, "  nothing was sent: {}", one_line(reason));
        }
        for note in self
            .notes
            .iter()
            .filter(|note| !said.iter().any(|warning| warning.contains(note.as_str())))
        {
            let _ = writeln!(out, "  note: {}", one_line(note));
        }
        if let Some(warming) = self.live.as_ref().and_then(|l| l.warming.as_ref()) {
            let _ = writeln!(
                out,
                "  warm: {}",
                one_line(&super::live::warming_line(warming))
            );
        }
        self.rows_text(&mut out);
        if self.ignored > 0 {
            let _ = writeln!(
                out,
                "\n  {} other changed file(s) do not match include (not images)",
                self.ignored
            );
        }
        out
    }

    /// One line a row: result, public path, sources, reason, live answer.
    fn rows_text(&self, out: &mut String) {
        if !self.rows.is_empty() {
            out.push('\n');
        }
        for row in &self.rows {
            out.push_str(&row_line(row));
        }
    }
}

/// One row: its result, every public path sent for it, its sources and
/// the reason.
fn row_line(row: &Row) -> String {
    let mut out = String::new();
    let (label, reason) = match &row.outcome {
        Outcome::Failed(reason) => ("failed ", Some(reason)),
        Outcome::Skipped(_, reason) => ("skipped", Some(reason)),
        Outcome::Invalidated => ("done   ", None),
        Outcome::WouldInvalidate => ("send   ", None),
    };
    let public = row.shown_paths(|p| one_line(p).into_owned(), " + ", "-");
    let sources: Vec<String> = row
        .sources
        .iter()
        .map(|s| one_line(&s.describe()).into_owned())
        .collect();
    let _ = write!(out, "  {label}  {public}  <- {}", sources.join(", "));
    if let Some(reason) = reason {
        let _ = write!(out, ": {}", one_line(reason));
    }
    if let Some(verified) = &row.live {
        let _ = write!(out, "  [live: {}]", one_line(&verified.live.describe()));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use crate::report::Report;
    use crate::report::tests::sample_selection;

    #[test]
    fn terminal_text_lists_every_row_on_one_line() {
        let mut report = Report {
            dry_run: true,
            head: Some("b".repeat(40)),
            base: Some("a".repeat(40)),
            ..Report::default()
        };
        report.record(&sample_selection(), None, None);
        let text = report.text();
        assert!(
            text.starts_with("Dry run: 2 images would be invalidated\n"),
            "{text}"
        );
        assert!(text.contains("aaaaaaa..bbbbbbb"));
        assert!(
            text.contains("  send     /a.png  <- public/a.png (modified)\n"),
            "{text}"
        );
        assert!(
            text.contains("  skipped  -  <- src/c.png (added): outside the public dir `public`\n")
        );
    }
}
