//! What the event asks for: the commits to compare, the images named by
//! hand, and what gates the range (no wait; wait for the deployment of
//! `head`; what went live compared with what was live before it).

use std::cell::RefCell;
use std::io::Write;

use crate::actions::Log;
use crate::config::Config;
use crate::error::Error;
use crate::event::{self, Compare, Plan, Trigger};
use crate::report::DeploymentNote;

use super::Noted;

/// Whether and where the run waits for a deployment before it compares or
/// sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WaitPlan {
    /// Compare as planned and send at once.
    Open,
    /// Triggered by `deployment_status`: the deployment is live already.
    Live,
    /// Compare as planned; wait for the deployment of `head` in the
    /// deployment environment before sending.
    BeforeSending,
    /// Wait for the deployment of `head`, then compare what was live before
    /// it with what went live.
    LiveToLive,
}

impl WaitPlan {
    /// Whether the wait reads GitHub's deployments.
    pub(super) fn needs_github(self) -> bool {
        self != WaitPlan::Open
    }
}

/// What the event asks for, once the run knows there is work.
pub(super) struct Planned {
    pub compare: Option<Compare>,
    pub images: Vec<String>,
    pub wait: WaitPlan,
}

/// What the run will do.
pub(super) enum Asked {
    /// Nothing, for this reason.
    Nothing(String),
    Work(Noted<Planned>),
}

/// Reads the event and decides what to compare and what gates it.
pub(super) fn plan<W: Write>(config: &Config, log: &RefCell<Log<W>>) -> Result<Asked, Error> {
    let trigger = event::load(
        config.runner.event_name.as_deref(),
        config.runner.event_path.as_deref(),
    )?;
    let (compare, images, deployment_url) = match event::plan(&trigger, &config.event_settings())? {
        Plan::Nothing(reason) => {
            log.borrow_mut().text(&format!("Nothing to do: {reason}"));
            return Ok(Asked::Nothing(reason));
        }
        Plan::Work {
            compare,
            images,
            deployment_url,
        } => (compare, images, deployment_url),
    };
    let from_deployment = matches!(trigger, Trigger::DeploymentStatus { .. });
    // With wait-for-deployment, the diff is what went live: wait first,
    // then compare what was live before with what is live now, not the old
    // tip with the new one. An explicit `base` is the diff asked for and is
    // kept.
    let live_to_live = config.wait_for_deployment && !from_deployment && config.base.is_none();
    let wait = if from_deployment {
        WaitPlan::Live
    } else if live_to_live && compare.is_some() {
        WaitPlan::LiveToLive
    } else if config.wait_for_deployment {
        WaitPlan::BeforeSending
    } else {
        WaitPlan::Open
    };
    let mut noted = Noted::new(Planned {
        compare,
        images,
        wait,
    });
    if matches!(trigger, Trigger::Push { forced: true, .. }) && !live_to_live {
        noted
            .notes
            .push("a force push: the old tip was compared with the new one".to_string());
    }
    if from_deployment {
        noted.deployment = Some(DeploymentNote {
            url: deployment_url,
            waited: None,
        });
    }
    Ok(Asked::Work(noted))
}

/// The inputs as the run reads them, in the log's first group.
pub(super) fn describe_config<W: Write>(config: &Config, log: &mut Log<W>) {
    log.group("Configuration");
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let set = |present: bool| if present { "set" } else { "not set" };
    log.text(&format!(
        "project: {}, team-id: {}, team-slug: {}",
        or_none(&config.project),
        or_none(&config.team_id),
        or_none(&config.team_slug)
    ));
    log.text(&format!(
        "mode: {}, dry-run: {}, concurrency: {}, fail-on-error: {}",
        config.mode.as_str(),
        config.dry_run,
        config.concurrency,
        config.fail_on_error
    ));
    let exclude = if config.exclude.is_empty() {
        "-".to_string()
    } else {
        config.exclude.patterns().join(" | ")
    };
    log.text(&format!(
        "include: {}; exclude: {exclude}",
        config.include.patterns().join(" | ")
    ));
    let site_dir = if config.site_dir.is_empty() {
        "."
    } else {
        &config.site_dir
    };
    log.text(&format!(
        "site-dir: {site_dir}, public-dir: {} -> url-prefix: {}",
        config
            .public_dirs
            .as_ref()
            .map_or("auto".to_string(), |dirs| dirs.describe()),
        config.url_prefix.as_ref().map_or("auto", |p| p.as_str())
    ));
    log.text(&format!(
        "diff-source: {}, vercel-api-url: {}",
        config.diff_source.as_str(),
        config.vercel_api_url
    ));
    log.text(&format!(
        "vercel-token: {}, github-token: {}",
        set(config.vercel_token.is_some()),
        set(config.github_token.is_some())
    ));
    if let Some(site) = &config.live.site_url {
        let live = &config.live;
        log.text(&format!(
            "site-url: {}, verify: {}, warm: {} (warm-limit {}), vercel-protection-bypass: {}, fail-on-unverified: {}",
            site.origin().ascii_serialization(),
            live.verify,
            live.warm,
            live.warm_limit,
            set(live.bypass.is_some()),
            live.fail_on_unverified
        ));
    }
    log.end_group();
}
