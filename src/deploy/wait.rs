//! One wait's progress between polls, and how it ends.

use std::time::Duration;

use tokio::time::Instant;

use super::{Awaited, DeployError, FAILED_GRACE_POLLS};
use crate::github::GitHubError;
use crate::untrusted::short_sha;

/// One wait's progress, between polls.
pub(super) struct Wait<'a> {
    pub(super) sha: &'a str,
    pub(super) awaited: &'a Awaited,
    /// The environment polled: the one named, or the one `auto` found.
    pub(super) environment: Option<String>,
    pub(super) started: Instant,
    pub(super) deadline: Instant,
    pub(super) requests_before: u32,
    /// The last state said, and when a line was last said.
    pub(super) last: String,
    pub(super) said: Instant,
    /// Polls left after the awaited deployment failed, and that failure.
    pub(super) grace: u32,
    pub(super) failed: Option<DeployError>,
    /// Why the last poll got no answer, when it did not.
    pub(super) unanswered: Option<GitHubError>,
}

impl<'a> Wait<'a> {
    pub(super) fn new(
        sha: &'a str,
        awaited: &'a Awaited,
        timeout: Duration,
        requests: u32,
    ) -> Self {
        let started = Instant::now();
        Self {
            sha,
            awaited,
            environment: match awaited {
                Awaited::Named(name) => Some(name.clone()),
                Awaited::Auto { .. } => None,
            },
            started,
            deadline: started + timeout,
            requests_before: requests,
            last: "not created yet".to_string(),
            said: started,
            grace: FAILED_GRACE_POLLS,
            failed: None,
            unanswered: None,
        }
    }

    pub(super) fn project(&self) -> Option<&str> {
        match self.awaited {
            Awaited::Auto { project } => project.as_deref(),
            Awaited::Named(_) => None,
        }
    }

    pub(super) fn shown_environment(&self) -> String {
        match &self.environment {
            Some(name) => name.clone(),
            None => match self.project() {
                Some(project) => {
                    format!("`Production` or `Production – {project}` (auto, not found yet)")
                }
                None => "a production environment (auto, not found yet)".to_string(),
            },
        }
    }

    /// What `auto` looks for, for a message.
    pub(super) fn sought(&self) -> String {
        match self.project() {
            Some(project) => {
                format!("`Production` or `Production – {project}` (deployment-environment: auto)")
            }
            None => "a production environment (deployment-environment: auto)".to_string(),
        }
    }

    pub(super) fn timed_out(&self) -> DeployError {
        DeployError::TimedOut {
            sha: self.sha.to_string(),
            environment: self.shown_environment(),
            last: self.last.clone(),
            waited: self.started.elapsed(),
        }
    }

    /// How a wait that reached its deadline ends: the failure seen, else
    /// the reason GitHub gave no answer at the last poll, else a timeout.
    pub(super) fn end(&mut self) -> DeployError {
        if let Some(failed) = self.failed.take() {
            return failed;
        }
        match self.unanswered.take() {
            Some(error) => DeployError::GitHub(error),
            None => self.timed_out(),
        }
    }

    pub(super) fn elsewhere(&self, awaited: &str, found: Vec<String>) -> DeployError {
        DeployError::Elsewhere {
            sha: short_sha(self.sha),
            awaited: awaited.to_string(),
            found,
            waited: self.started.elapsed(),
        }
    }

    /// A poll GitHub did not answer: configuration ends the wait, and so
    /// does a rate limit that resets after the deadline; anything else is
    /// said and the wait goes on.
    pub(super) fn unanswered(
        &mut self,
        error: GitHubError,
        on_state: &dyn Fn(&str, &str),
    ) -> Result<(), DeployError> {
        let resets_late = matches!(
            &error,
            GitHubError::RateLimited { reset, .. }
                if reset.is_none_or(|at| {
                    let left = at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
                    Instant::now() + left >= self.deadline
                })
        );
        if error.is_configuration() || resets_late {
            return Err(error.into());
        }
        on_state(
            &format!("status unknown ({error}); asking again"),
            &self.shown_environment(),
        );
        self.unanswered = Some(error);
        Ok(())
    }
}
