//! The report delivered: the annotations on the run's page, the job summary
//! file, the step outputs (cut to GitHub's 1 MB where needed), the report
//! file with the whole result for later steps, and the closing lines of the
//! log (in Actions) or the report on the terminal. Every secret is taken out
//! first.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Outcome, Report};
use crate::actions::{self, Level, Log, LogStyle, MAX_OUTPUTS_CHARS, StepFile};
use crate::select::SkipKind;
use crate::untrusted;

/// Where the report goes, and how failures count.
#[derive(Clone, Debug, Default)]
pub struct Delivery {
    /// `GITHUB_STEP_SUMMARY`: the job summary is appended to it.
    pub summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`: the step outputs are appended to it.
    pub outputs: Option<PathBuf>,
    /// Where the whole result goes, as JSON, for later steps.
    pub report_file: Option<StepFile>,
    /// Replaced by `***` in everything written.
    pub redactions: Vec<String>,
    /// Failed images are errors (`fail-on-error`), else warnings.
    pub fail_on_error: bool,
    /// Images the live site did not confirm are errors
    /// (`fail-on-unverified`), else warnings.
    pub fail_on_unverified: bool,
}

/// What delivering found, for the exit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Some image could not be invalidated.
    pub failed_images: bool,
    /// Vercel refused the configuration itself (token, team, project,
    /// plan): the run fails whatever `fail-on-error` says.
    pub refused_configuration: bool,
    /// Some image was not confirmed on the live site.
    pub unverified_images: bool,
    /// The summary or the outputs could not be written.
    pub write_failed: bool,
}

impl Report {
    /// Writes everything the run leaves behind. `terminal` gets the report
    /// outside Actions; in Actions it closes the log.
    pub fn deliver<W: Write>(
        &mut self,
        log: &mut Log<W>,
        terminal: &mut dyn Write,
        to: &Delivery,
    ) -> Delivered {
        self.redact(&to.redactions);
        let mut write_failed = self.write_report_file(log, to);
        let (outputs, cuts) = self.outputs_within(MAX_OUTPUTS_CHARS - report_file_room(to));
        self.cuts = cuts;
        if let Some(problem) = &self.problem {
            let mut annotation = problem.message.clone();
            for line in &problem.help {
                annotation.push_str(&format!("\nhelp: {line}"));
            }
            log.annotate(Level::Error, Some("vercel-image-invalidate"), &annotation);
        }
        let refused_configuration = self.stop.as_ref().is_some_and(|stop| stop.configuration);
        let failed_images = self.annotate_failures(
            log,
            to.fail_on_error || self.problem.is_some() || refused_configuration,
        );
        let unverified_images = self.warn_live(log, to.fail_on_unverified);
        self.warn_outside(log);
        for note in self.cut_notes() {
            log.warning(&format!("Not every path fits in the outputs: {note}."));
        }
        write_failed |= self.write_files(log, to, outputs);
        match log.style() {
            LogStyle::Actions => {
                for line in self.text().lines() {
                    log.text(line);
                }
            }
            // The error, already printed with its fix, is the whole story when
            // nothing else happened.
            LogStyle::Terminal if self.problem.is_some() && self.rows.is_empty() => {}
            LogStyle::Terminal => {
                let text = self.text_besides(log.warned());
                let _ = terminal.write_all(actions::redact(&text, &to.redactions).as_bytes());
                let _ = terminal.flush();
            }
        }
        log.flush();
        Delivered {
            failed_images,
            refused_configuration,
            unverified_images,
            write_failed,
        }
    }

    /// One annotation for the images that failed, and one for an early stop.
    /// Returns whether any failed.
    fn annotate_failures<W: Write>(&self, log: &mut Log<W>, as_error: bool) -> bool {
        let failed = self.failed();
        if failed.is_empty() {
            return false;
        }
        let first = self
            .rows
            .iter()
            .find_map(|row| match &row.outcome {
                Outcome::Failed(reason) => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let level = if as_error {
            Level::Error
        } else {
            Level::Warning
        };
        log.annotate(
            level,
            Some("Vercel image invalidation"),
            &format!(
                "{} could not be {}: {first}. The job summary lists them.",
                if failed.len() == 1 {
                    "1 image".to_string()
                } else {
                    format!("{} images", failed.len())
                },
                self.verb()
            ),
        );
        if let Some(stop) = &self.stop {
            log.annotate(
                level,
                Some("Stopped early"),
                &format!("{}\nhelp: {}", stop.reason, stop.help),
            );
        }
        true
    }

    /// A warning naming the changed images outside every public dir.
    fn warn_outside<W: Write>(&self, log: &mut Log<W>) {
        let outside: Vec<String> = self
            .rows
            .iter()
            .filter(|row| {
                matches!(
                    row.outcome,
                    Outcome::Skipped(SkipKind::OutsidePublicDirs, _)
                )
            })
            .filter_map(|row| row.sources.first())
            .map(|source| untrusted::one_line(&source.repo_path).into_owned())
            .collect();
        if !outside.is_empty() {
            let shown: Vec<&str> = outside.iter().take(5).map(String::as_str).collect();
            let fix = match &self.site_dir_hint {
                Some(hint) => format!("{}{}.", hint[..1].to_uppercase(), &hint[1..]),
                None => "Set public-dir if they are served.".to_string(),
            };
            log.warning(&format!(
                "{} changed image(s) are outside the public dir and were not invalidated: {}{}. {fix}",
                outside.len(),
                shown.join(", "),
                if outside.len() > 5 { ", ..." } else { "" }
            ));
        }
    }

    /// The whole result, for later steps; returns whether the write failed.
    fn write_report_file<W: Write>(&mut self, log: &mut Log<W>, to: &Delivery) -> bool {
        let Some(file) = &to.report_file else {
            return false;
        };
        let json = actions::redact(&self.whole_json(), &to.redactions).into_owned();
        let written = std::fs::write(&file.write, json)
            .with_context(|| format!("could not write the report file {}", file.write.display()));
        match written {
            Ok(()) => {
                self.report_file = Some(file.shown.clone());
                false
            }
            Err(error) => {
                log.error(&format!("{error:#}"));
                true
            }
        }
    }

    /// The job summary and the step outputs; returns whether a write failed.
    fn write_files<W: Write>(
        &self,
        log: &mut Log<W>,
        to: &Delivery,
        outputs: Vec<(&'static str, String)>,
    ) -> bool {
        let mut write_failed = false;
        for written in [self.write_summary(to), self.write_outputs(to, outputs)] {
            if let Err(error) = written {
                log.error(&format!("{error:#}"));
                write_failed = true;
            }
        }
        write_failed
    }

    /// The job summary, appended to the runner's file.
    fn write_summary(&self, to: &Delivery) -> anyhow::Result<()> {
        let Some(path) = &to.summary else {
            return Ok(());
        };
        let markdown = actions::redact(&self.markdown(), &to.redactions).into_owned();
        append(path, markdown.as_bytes())
            .with_context(|| format!("could not write the job summary to {}", path.display()))
    }

    /// The step outputs, appended to the runner's file.
    fn write_outputs(
        &self,
        to: &Delivery,
        outputs: Vec<(&'static str, String)>,
    ) -> anyhow::Result<()> {
        let Some(path) = &to.outputs else {
            return Ok(());
        };
        let mut buffer = Vec::new();
        let mut outputs: Vec<(&str, String)> = outputs
            .into_iter()
            .map(|(name, value)| (name, actions::redact(&value, &to.redactions).into_owned()))
            .collect();
        if let Some(path) = &self.report_file {
            outputs.push(("report-file", path.clone()));
        }
        actions::write_outputs(&mut buffer, &outputs)
            .and_then(|()| append(path, &buffer))
            .with_context(|| format!("could not write the step outputs to {}", path.display()))
    }
}

/// What the `report-file` output takes of the outputs' room.
fn report_file_room(to: &Delivery) -> usize {
    to.report_file
        .as_ref()
        .map_or(0, |file| file.shown.encode_utf16().count())
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}
