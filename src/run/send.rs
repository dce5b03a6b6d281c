//! Sending: past the gate (the deployment live, when the plan waits for
//! it), the selection's public paths to Vercel, each request logged; a dry
//! run sends nothing.

use std::io::Write;

use crate::changes::Detected;
use crate::select::Selection;
use crate::vercel::{self, SendProgress, Sent, Vercel};

use super::range::Sending;
use super::refusals;
use super::{Noted, Stages, Undelivered};

impl<W: Write> Stages<'_, W> {
    /// Sends once the gate is passed (or, in a dry run, does not).
    /// `Ok(None)`: a dry run, or nothing to send.
    pub(super) async fn send(
        &self,
        detected: &Detected,
        selection: &Selection,
        sending: Sending,
    ) -> Noted<Result<Option<Sent>, Undelivered>> {
        let sending = match sending {
            Sending::Never(undelivered) => return Noted::new(Err(undelivered)),
            _ if selection.targets.is_empty() => return Noted::new(Ok(None)),
            sending => sending,
        };
        let deployment = match self.pass(sending, &detected.head).await {
            Ok(deployment) => deployment,
            Err(undelivered) => return Noted::new(Err(undelivered)),
        };
        let sent = if self.config.dry_run {
            self.dry_run(selection);
            Ok(None)
        } else {
            self.invalidate(selection).await.map(Some)
        };
        Noted {
            value: sent,
            notes: Vec::new(),
            deployment,
        }
    }

    fn dry_run(&self, selection: &Selection) {
        // Detail: on a terminal the report's headline says the same.
        let strings: usize = selection
            .targets
            .iter()
            .map(|t| t.spellings().count())
            .sum();
        self.log.borrow_mut().debug(&format!(
            "Dry run: {} image(s) ({strings} public path(s)) would be sent in {} request(s); nothing was sent",
            selection.targets.len(),
            strings.div_ceil(vercel::BATCH_SIZE)
        ));
    }

    /// Sends every spelling of the selection to Vercel, batched.
    async fn invalidate(&self, selection: &Selection) -> Result<Sent, Undelivered> {
        let config = self.config;
        let (Some(token), Some(project)) = (&config.vercel_token, &config.project) else {
            return Err(Undelivered::new(
                "no Vercel token or project",
                refusals::no_vercel_credentials(),
            ));
        };
        let client = Vercel::new(&config.vercel_settings(), token, project)
            .map_err(|e| Undelivered::new("the Vercel client could not be set up", e))?;
        let paths: Vec<String> = selection
            .targets
            .iter()
            .flat_map(|t| t.spellings().cloned())
            .collect();
        let batches = paths.len().div_ceil(vercel::BATCH_SIZE);
        self.log.borrow_mut().group(&format!(
            "Sending {} public path(s) of {} image(s) to Vercel in {batches} request(s), {} at a time",
            paths.len(),
            selection.targets.len(),
            config.concurrency.min(batches)
        ));
        let progress = |event: SendProgress<'_>| {
            let mut log = self.log.borrow_mut();
            for line in event.lines(batches) {
                log.say(&line);
            }
        };
        let sent = client.send(&paths, config.concurrency, &progress).await;
        self.log.borrow_mut().end_group();
        Ok(sent)
    }
}
