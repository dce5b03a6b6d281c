//! What changed between the two commits, from the GitHub API or the
//! checkout, each change logged.

use std::io::Write;

use crate::changes::{self, ChangesError, Detected, DiffSource, Range};
use crate::config::Config;
use crate::report::{count, short_sha};
use crate::site;

use super::Stages;

impl<W: Write> Stages<'_, W> {
    /// The changed files in `range`, each logged.
    pub(super) async fn detect(&self, range: &Range) -> Result<Detected, ChangesError> {
        let config = self.config;
        let base = range
            .base
            .as_deref()
            .map(short_sha)
            .unwrap_or_else(|| "parent".to_string());
        self.log.borrow_mut().group(&format!(
            "Changes {base}..{} ({})",
            short_sha(&range.head),
            config.diff_source.as_str()
        ));
        let result = match (config.diff_source, &self.github) {
            (DiffSource::Api, Some(github)) => {
                let before = github.requests();
                changes::api::detect(
                    github,
                    &self.repository,
                    range,
                    &config.site_dir,
                    &|folder| worth_listing(config, folder),
                    self.on_retry,
                )
                .await
                .map(|mut detected| {
                    detected.api_requests = github.requests() - before;
                    detected
                })
                .map_err(ChangesError::from)
            }
            _ => changes::git::detect(&self.checkout(), range).map_err(ChangesError::from),
        };
        let mut log = self.log.borrow_mut();
        match &result {
            Ok(detected) => {
                for change in &detected.changes {
                    log.text(&change.log_line());
                }
                let requests = if config.diff_source == DiffSource::Api {
                    format!(
                        " ({})",
                        count(detected.api_requests as usize, "GitHub request")
                    )
                } else {
                    String::new()
                };
                log.text(&format!(
                    "{} changed file(s) between {} and {}{requests}",
                    detected.changes.len(),
                    detected
                        .base
                        .as_deref()
                        .map(short_sha)
                        .unwrap_or_else(|| "the empty tree".to_string()),
                    short_sha(&detected.head)
                ));
            }
            Err(error) => {
                for line in format!("could not list the changes: {error}").lines() {
                    log.text(line);
                }
            }
        }
        log.end_group();
        result
    }
}

/// Whether a comparison GitHub cut short should enter `folder`: on the way
/// to or inside a public dir (under `auto`: `public/` or `static/` in the
/// site dir, the frameworks' own), or on the way to the site dir, whose
/// config files the site stage reads.
fn worth_listing(config: &Config, folder: &str) -> bool {
    let on_the_way = |dir: &str| dir == folder || dir.starts_with(&format!("{folder}/"));
    let public = match &config.public_dirs {
        Some(dirs) => dirs.touches(folder),
        None => ["public", "static"].iter().any(|name| {
            let dir = site::join(&config.site_dir, name);
            on_the_way(&dir) || folder.starts_with(&format!("{dir}/"))
        }),
    };
    public || on_the_way(&config.site_dir)
}
