//! End to end: waiting for the deployment of `head` before invalidating
//! (`wait-for-deployment`), and runs triggered by `deployment_status`,
//! against a fake Deployments API whose statuses change from one poll to
//! the next.

use crate::common;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::git::GitRepo;
use crate::common::github::{FakeDeployment, FakeGitHub, OWNER_REPO, Seen};
use crate::common::markdown::plain;
use crate::common::vercel::FakeVercel;
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};

/// Short polling so that time-dependent tests take a moment: 0.05 s, then
/// x1.5 per poll, capped at 0.2 s.
const FAST_POLL: [&str; 4] = [
    "--poll-initial-interval",
    "0.05",
    "--poll-max-interval",
    "0.2",
];

/// A push that changes two public images and one file that is not an image.
fn pushed() -> (GitRepo, String, String) {
    let repo = GitRepo::new();
    repo.write("public/images/hero.png", "hero v1")
        .write("public/images/logo.svg", "logo")
        .write("src/app.ts", "v1");
    let before = repo.commit("first");
    repo.write("public/images/hero.png", "hero v2")
        .write("public/images/new.webp", "new")
        .write("src/app.ts", "v2");
    let after = repo.commit("second");
    (repo, before, after)
}

const PUSHED: [&str; 2] = ["/images/hero.png", "/images/new.webp"];

fn deployment(id: u64, sha: &str, states: Vec<&'static str>) -> FakeDeployment {
    FakeDeployment {
        id,
        sha: sha.to_string(),
        environment: "Production".to_string(),
        states,
        history: Vec::new(),
        listed_after: 0,
    }
}

fn past(id: u64, sha: &str, environment: &str, history: Vec<&'static str>) -> FakeDeployment {
    FakeDeployment {
        id,
        sha: sha.to_string(),
        environment: environment.to_string(),
        states: history.first().copied().into_iter().collect(),
        history,
        listed_after: 0,
    }
}

/// A run waiting for the deployment of the pushed commit, polling fast.
fn waiting(github: &FakeGitHub, vercel: &FakeVercel, repo: &GitRepo) -> Action {
    Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("wait-for-deployment", "true")
        .args(&FAST_POLL)
}

/// The listings of one environment's deployments (the polls).
fn listings(seen: &[Seen]) -> Vec<Seen> {
    seen.iter()
        .filter(|s| s.path == format!("/repos/{OWNER_REPO}/deployments"))
        .filter(|s| s.query.contains("environment="))
        .cloned()
        .collect()
}

/// The listings of every environment's deployments (how `auto` finds the
/// environment).
fn surveys(seen: &[Seen]) -> Vec<Seen> {
    seen.iter()
        .filter(|s| s.path == format!("/repos/{OWNER_REPO}/deployments"))
        .filter(|s| !s.query.contains("environment="))
        .cloned()
        .collect()
}

fn status_checks(seen: &[Seen]) -> Vec<Seen> {
    seen.iter()
        .filter(|s| {
            s.path
                .starts_with(&format!("/repos/{OWNER_REPO}/deployments/"))
        })
        .cloned()
        .collect()
}

/// The GitHub requests of a run, by kind.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    /// `GET /deployments?environment=...`
    listings: usize,
    /// `GET /deployments/{id}/statuses`
    statuses: usize,
    /// `GET /compare/{head}...{other}`: is a newer commit a descendant?
    compares: usize,
    /// `GET /git/...`: the diff itself.
    trees: usize,
}

fn counts(seen: &[Seen]) -> Counts {
    let kind = |part: &str| {
        seen.iter()
            .filter(|s| s.path.starts_with(&format!("/repos/{OWNER_REPO}/{part}")))
            .count()
    };
    Counts {
        listings: listings(seen).len(),
        statuses: status_checks(seen).len(),
        compares: kind("compare/"),
        trees: kind("git/"),
    }
}

fn query(seen: &Seen) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(seen.query.as_bytes())
        .into_owned()
        .collect();
    pairs.sort();
    pairs
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// The seconds in the summary's "Waited 0.2s for the deployment".
fn waited_in_summary(summary: &str) -> f64 {
    let rest = summary
        .split("🚀 Waited ")
        .nth(1)
        .unwrap_or_else(|| panic!("no wait in the summary:\n{summary}"));
    let number = rest.split('s').next().expect("seconds");
    number
        .parse()
        .unwrap_or_else(|_| panic!("not seconds: {number}"))
}

/// The lines the log gave to state changes, in order.
/// The states the wait logged (`  0.1s  deployment to Production: pending`),
/// without the line that names the environment `auto` found.
fn states_logged(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.split_once("s  deployment to ").map(|(_, s)| s))
        .filter_map(|l| l.split_once(": ").map(|(_, s)| s.to_string()))
        .filter(|s| !s.ends_with("(deployment-environment: auto)"))
        .collect()
}

fn deployment_status_event(id: u64, sha: &str, environment: &str, state: &str) -> Value {
    json!({
        "action": "created",
        "deployment_status": {
            "id": id * 100,
            "state": state,
            "environment": environment,
            "environment_url": format!("https://site-{id}.vercel.app"),
            "target_url": format!("https://vercel.com/acme/site/{id}"),
        },
        "deployment": {
            "id": id,
            "sha": sha,
            "ref": sha,
            "task": "deploy",
            "environment": environment,
        },
        "repository": {"full_name": OWNER_REPO},
    })
}

#[tokio::test]
async fn invalidates_only_after_the_status_that_says_success() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(
        101,
        &after,
        vec!["pending", "in_progress", "success"],
    ));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = waiting(&github, &vercel, &repo).push(&before, &after).run();
    ran.assert_code(0);

    // `deployment-environment: auto` (the default) finds the environment
    // in one listing of every environment's deployments, and names it;
    // then one listing of the environment and one newest-status request
    // per poll; the third poll sees success. No earlier deployment to look
    // up.
    let seen = github.seen();
    assert_eq!(surveys(&seen).len(), 1, "{seen:#?}");
    assert!(
        ran.stdout
            .contains("go to `Production` (deployment-environment: auto)"),
        "{}",
        ran.stdout
    );
    let listed = listings(&seen);
    let checked = status_checks(&seen);
    assert_eq!(listed.len(), 3, "{seen:#?}");
    assert_eq!(checked.len(), 3, "{seen:#?}");
    for listing in &listed {
        assert_eq!(
            query(listing),
            pairs(&[("environment", "Production"), ("per_page", "100")])
        );
    }
    for check in &checked {
        assert_eq!(
            check.path,
            format!("/repos/{OWNER_REPO}/deployments/101/statuses")
        );
        assert_eq!(query(check), pairs(&[("per_page", "1")]));
    }

    // Nothing reached Vercel before GitHub was asked for the status that
    // said success (a `Seen` is stamped when the request arrives, before
    // the answer goes out).
    let success_asked = checked[2].at;
    let sent = vercel.valid();
    assert_eq!(sent.len(), 1);
    assert!(sent.iter().all(|r| r.at > success_asked));
    assert_eq!(vercel.images(), PUSHED);

    // The interval grows: 0.05 s, then 0.075 s.
    let gap = |a: &Seen, b: &Seen| b.at.duration_since(a.at);
    assert!(gap(&listed[0], &listed[1]) >= Duration::from_millis(50));
    assert!(gap(&listed[1], &listed[2]) >= Duration::from_millis(75));

    assert_eq!(
        states_logged(&ran.stdout),
        ["not created yet", "pending", "in_progress", "success"]
    );
    assert!(ran.stdout.contains("(7 GitHub requests)"), "{}", ran.stdout);

    assert_eq!(ran.strings("images"), PUSHED);
    assert_eq!(ran.outputs["failed"], "[]");
    assert_eq!(ran.outputs["requests"], "1");
    let summary = plain(&ran.summary);
    assert!(
        summary.starts_with("### ✅ 2 images invalidated"),
        "{summary}"
    );
    assert!(
        summary.contains("for the deployment to go live at <https://site-101.vercel.app>."),
        "{summary}"
    );
    // Two sleeps (0.05 s + 0.075 s) came before success.
    let waited = waited_in_summary(&summary);
    assert!((0.1..5.0).contains(&waited), "waited {waited}");
}

#[tokio::test]
async fn a_deployment_not_created_yet_is_waited_for() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    // Vercel names monorepo environments like this; the name must reach
    // GitHub intact.
    let environment = "Production – site";
    github.add_deployment(FakeDeployment {
        environment: environment.to_string(),
        ..deployment(7, &after, vec!["pending", "success"])
    });
    github.hide_deployments_for(2);
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = waiting(&github, &vercel, &repo)
        .input("deployment-environment", environment)
        .push(&before, &after)
        .run();
    ran.assert_code(0);

    // Two empty listings, then two polls that find the deployment.
    let seen = github.seen();
    let listed = listings(&seen);
    let checked = status_checks(&seen);
    assert_eq!(listed.len(), 4, "{seen:#?}");
    assert_eq!(checked.len(), 2, "{seen:#?}");
    assert!(
        listed
            .iter()
            .all(|l| query(l).contains(&("environment".to_string(), environment.to_string())))
    );
    assert!(vercel.valid().iter().all(|r| r.at > checked[1].at));
    assert_eq!(vercel.images(), PUSHED);
    assert_eq!(
        states_logged(&ran.stdout),
        ["not created yet", "pending", "success"]
    );
    assert!(ran.stdout.contains("(6 GitHub requests)"), "{}", ran.stdout);
    let summary = plain(&ran.summary);
    assert!(
        summary.contains("go live at <https://site-7.vercel.app>."),
        "{summary}"
    );
}

#[tokio::test]
async fn a_failed_deployment_sends_nothing_and_exits_1() {
    let (repo, before, after) = pushed();
    for state in ["failure", "error"] {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        github.add_deployment(deployment(42, &after, vec!["in_progress", state]));
        let vercel = FakeVercel::start(VERCEL_TOKEN).await;

        let ran = waiting(&github, &vercel, &repo).push(&before, &after).run();
        ran.assert_code(1);

        assert!(vercel.received().is_empty(), "{state}: something was sent");
        // Two polls to see it fail, then two more listings in case a newer
        // deployment that contains it shows up; its status is not asked
        // again.
        let seen = github.seen();
        assert_eq!(listings(&seen).len(), 4, "{state}: {seen:#?}");
        assert_eq!(status_checks(&seen).len(), 2, "{state}: {seen:#?}");
        assert_eq!(
            states_logged(&ran.stdout),
            ["not created yet", "in_progress", state]
        );

        assert_eq!(ran.strings("failed"), PUSHED, "{state}");
        assert_eq!(ran.outputs["images"], "[]");
        assert_eq!(ran.outputs["count"], "0");
        assert_eq!(ran.outputs["requests"], "0");
        let summary = plain(&ran.summary);
        assert!(
            summary.starts_with("### ❌ Image cache not invalidated"),
            "{summary}"
        );
        assert!(summary.contains("deployment failed"), "{state}: {summary}");
        assert!(summary.contains(&format!("`{state}`")), "{summary}");
        assert!(
            summary.contains("no image was invalidated"),
            "{state}: {summary}"
        );
        // The fix points at the deployment.
        assert!(summary.contains("https://site-42.vercel.app"), "{summary}");
        assert!(
            ran.stdout
                .contains("::error title=vercel-image-invalidate::"),
            "{}",
            ran.stdout
        );
    }
}

#[tokio::test]
async fn a_deployment_that_never_goes_live_times_out() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(9, &after, vec!["in_progress"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let started = std::time::Instant::now();
    let ran = waiting(&github, &vercel, &repo)
        .args(&["--deployment-timeout", "1"])
        .push(&before, &after)
        .run();
    ran.assert_code(1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited the timeout"
    );
    assert!(vercel.received().is_empty());

    // Polls at about 0, 0.05, 0.125, 0.24, 0.41, 0.61, 0.81 and, cut short
    // by the deadline, 1.0 s: at most 8, fewer when the machine is slow.
    // The last poll may be cut between its listing and its status check.
    let seen = github.seen();
    let listed = listings(&seen);
    assert!((2..=8).contains(&listed.len()), "{} polls", listed.len());
    let checks = status_checks(&seen).len();
    assert!(
        checks == listed.len() || checks + 1 == listed.len(),
        "{checks} status checks for {} listings",
        listed.len()
    );
    // Between two polls the run sleeps the interval, growing by half from
    // 0.05 s up to 0.2 s, except before the last one, which the deadline
    // may bring forward. A slow machine only makes the gaps longer.
    let gaps: Vec<Duration> = listed
        .windows(2)
        .map(|w| w[1].at.duration_since(w[0].at))
        .collect();
    for (i, gap) in gaps.iter().enumerate().take(gaps.len() - 1) {
        let interval = (0.05 * 1.5f64.powi(i as i32)).min(0.2);
        assert!(
            *gap >= Duration::from_secs_f64(interval),
            "gap {i} shorter than the interval {interval}s: {gaps:?}"
        );
    }
    assert_eq!(
        states_logged(&ran.stdout),
        ["not created yet", "in_progress"]
    );

    assert_eq!(ran.strings("failed"), PUSHED);
    assert_eq!(ran.outputs["images"], "[]");
    assert_eq!(ran.outputs["requests"], "0");
    let summary = plain(&ran.summary);
    assert!(
        summary.starts_with("### ❌ Image cache not invalidated"),
        "{summary}"
    );
    assert!(summary.contains("timed out"), "{summary}");
    assert!(summary.contains("in_progress"), "{summary}");
    assert!(summary.contains("no image was invalidated"), "{summary}");
    assert!(summary.contains("deployment-timeout"), "{summary}");
    assert!(
        summary.contains(
            "the images of this push will be invalidated by the next run whose deployment goes live"
        ),
        "{summary}"
    );
}

#[tokio::test]
async fn no_permission_to_read_deployments_exits_2_naming_it() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(3, &after, vec!["success"]));
    github.deny_deployments(403);
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = waiting(&github, &vercel, &repo)
        .fast_retries()
        .push(&before, &after)
        .run();
    ran.assert_code(2);
    assert!(vercel.received().is_empty());
    // A 403 that is not a rate limit is final: one request (the listing
    // that finds the environment), no retry.
    let seen = github.seen();
    assert_eq!(surveys(&seen).len(), 1, "{seen:#?}");
    assert_eq!(listings(&seen).len(), 0, "{seen:#?}");
    assert_eq!(status_checks(&seen).len(), 0);

    let error = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("::error title=vercel-image-invalidate::"))
        .unwrap_or_else(|| panic!("no error annotation:\n{}", ran.stdout));
    assert!(error.contains("403"), "{error}");
    assert!(
        error.contains("`permissions: deployments: read`"),
        "{error}"
    );
    assert!(ran.summary.contains("deployments: read"), "{}", ran.summary);
    // Not a deployment that failed: the next run fails the same way.
    assert!(!ran.summary.contains("next run whose deployment"));
    assert_eq!(ran.strings("failed"), PUSHED);
    assert_eq!(ran.outputs["count"], "0");
}

#[tokio::test]
async fn a_dry_run_waits_too_and_sends_nothing() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(11, &after, vec!["queued", "success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    // No Vercel token or project: a dry run needs neither.
    let ran = Action::new()
        .env("GITHUB_API_URL", &github.url())
        .input("vercel-api-url", &vercel.url())
        .input("dry-run", "true")
        .input("wait-for-deployment", "true")
        .args(&FAST_POLL)
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert!(vercel.received().is_empty());
    let seen = github.seen();
    assert_eq!(listings(&seen).len(), 2, "{seen:#?}");
    assert_eq!(status_checks(&seen).len(), 2, "{seen:#?}");
    assert_eq!(ran.strings("images"), PUSHED);
    assert_eq!(ran.outputs["requests"], "0");
    let summary = plain(&ran.summary);
    assert!(
        summary.starts_with("### 🧪 Dry run: 2 images would be invalidated"),
        "{summary}"
    );
    assert!(
        summary.contains("for the deployment to go live at <https://site-11.vercel.app>."),
        "{summary}"
    );
    assert!(waited_in_summary(&summary) >= 0.05);
}

/// What goes live may carry the images of an earlier push whose deployment
/// failed, so a push that changes no image waits too; with nothing else
/// changed since the live deployment, nothing is sent.
#[tokio::test]
async fn a_push_without_images_waits_and_sends_what_went_live() {
    let repo = GitRepo::new();
    repo.write("public/images/a.png", "a")
        .write("src/app.ts", "v1");
    let before = repo.commit("first");
    repo.write("src/app.ts", "v2");
    let after = repo.commit("second");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(80, &before, "Production", vec!["inactive", "success"]));
    github.add_deployment(deployment(81, &after, vec!["in_progress", "success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = waiting(&github, &vercel, &repo).push(&before, &after).run();
    ran.assert_code(0);
    assert!(vercel.received().is_empty());
    let seen = github.seen();
    assert_eq!(
        counts(&seen),
        Counts {
            listings: 2,
            statuses: 3,
            compares: 0,
            trees: 2
        },
        "{seen:#?}"
    );
    // And the one listing of every environment that finds `Production`.
    assert_eq!(seen.len(), 8);
    assert!(
        ran.summary
            .starts_with("### ⏭️ No changed image to invalidate"),
        "{}",
        ran.summary
    );
}

/// c0 (a, b, c, d) -> c1 (b v2) -> c2 (c v2) -> c3 (a v2) -> c4 (d v2).
fn deployed_history() -> (GitRepo, [String; 5]) {
    let repo = GitRepo::new();
    repo.write("public/images/a.png", "a v1")
        .write("public/images/b.png", "b v1")
        .write("public/images/c.png", "c v1")
        .write("public/images/d.png", "d v1")
        .write("README.md", "x");
    let c0 = repo.commit("c0");
    repo.write("public/images/b.png", "b v2");
    let c1 = repo.commit("c1");
    repo.write("public/images/c.png", "c v2")
        .write("README.md", "y");
    let c2 = repo.commit("c2");
    repo.write("public/images/a.png", "a v2");
    let c3 = repo.commit("c3");
    repo.write("public/images/d.png", "d v2");
    let c4 = repo.commit("c4");
    (repo, [c0, c1, c2, c3, c4])
}

#[tokio::test]
async fn deployment_status_success_diffs_against_the_previous_successful_deployment() {
    let (repo, [c0, c1, c2, c3, c4]) = deployed_history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    // Live once, replaced since.
    github.add_deployment(past(10, &c0, "Production", vec!["inactive", "success"]));
    // The one that was live until this one: replaced by it, so `inactive`
    // now, but it went live.
    github.add_deployment(past(
        11,
        &c1,
        "Production",
        vec!["inactive", "success", "in_progress", "pending"],
    ));
    // Never went live: its changes are not live either.
    github.add_deployment(past(
        12,
        &c2,
        "Production",
        vec!["failure", "in_progress", "pending"],
    ));
    // Another environment, later and successful: not what was live in
    // Production.
    github.add_deployment(past(15, &c2, "Preview", vec!["success"]));
    // This run's deployment, and a newer one that is not this run's business.
    github.add_deployment(past(13, &c3, "Production", vec!["success", "in_progress"]));
    github.add_deployment(past(14, &c4, "Production", vec!["success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .env("GITHUB_SHA", &c3)
        .event(
            "deployment_status",
            deployment_status_event(13, &c3, "Production", "success"),
        )
        .run();
    ran.assert_code(0);

    // c1 was live: c2's and c3's images changed since; b (already live)
    // and d (not deployed by this run) did not.
    assert_eq!(vercel.images(), ["/images/a.png", "/images/c.png"]);
    assert_eq!(ran.strings("images"), ["/images/a.png", "/images/c.png"]);

    let seen = github.seen();
    let listed = listings(&seen);
    assert_eq!(listed.len(), 1, "{seen:#?}");
    assert_eq!(
        query(&listed[0]),
        pairs(&[("environment", "Production"), ("per_page", "100")])
    );
    // Newest first, stopping at the first that went live; nothing waited
    // for, nothing compared: as before wait-for-deployment compared what
    // went live.
    assert_eq!(
        counts(&seen),
        Counts {
            listings: 1,
            statuses: 2,
            compares: 0,
            trees: 2
        },
        "{seen:#?}"
    );
    assert_eq!(seen.len(), 5);
    let checked: Vec<String> = status_checks(&seen).into_iter().map(|s| s.path).collect();
    assert_eq!(
        checked,
        [
            format!("/repos/{OWNER_REPO}/deployments/12/statuses"),
            format!("/repos/{OWNER_REPO}/deployments/11/statuses"),
        ]
    );

    let summary = plain(&ran.summary);
    assert!(
        summary.starts_with("### ✅ 2 images invalidated"),
        "{summary}"
    );
    assert!(
        summary.contains("🚀 Triggered by the deployment at <https://site-13.vercel.app>."),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(
            "https://github.com/{OWNER_REPO}/compare/{c1}..{c3}"
        )),
        "{summary}"
    );
    assert!(!summary.contains("no earlier successful deployment"));
}

#[tokio::test]
async fn deployment_status_with_wait_for_deployment_does_not_wait_again() {
    let (repo, [_, c1, c2, ..]) = deployed_history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(21, &c1, "Production", vec!["success"]));
    github.add_deployment(past(22, &c2, "Production", vec!["success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("wait-for-deployment", "true")
        .args(&FAST_POLL)
        .env("GITHUB_SHA", &c2)
        .event(
            "deployment_status",
            deployment_status_event(22, &c2, "Production", "success"),
        )
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/images/c.png"]);
    let seen = github.seen();
    // The previous-deployment lookup only: no polling of this deployment.
    assert_eq!(listings(&seen).len(), 1, "{seen:#?}");
    assert!(
        listings(&seen).iter().all(|l| !l.query.contains("sha=")),
        "{seen:#?}"
    );
    assert!(!ran.summary.contains("Waited"), "{}", ran.summary);
}

#[tokio::test]
async fn deployment_status_of_another_environment_or_state_does_nothing() {
    let (repo, [_, c1, c2, ..]) = deployed_history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(31, &c1, "Production", vec!["success"]));
    github.add_deployment(past(32, &c2, "Preview", vec!["success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let cases = [
        (
            "Preview",
            "success",
            "the deployment is to `Preview`, not to its production environment (auto) (deployment-environment)",
        ),
        (
            "Production",
            "failure",
            "the deployment's state is `failure`, not `success`",
        ),
        (
            "Production",
            "in_progress",
            "the deployment's state is `in_progress`, not `success`",
        ),
    ];
    for (environment, state, why) in cases {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .env("GITHUB_SHA", &c2)
            .event(
                "deployment_status",
                deployment_status_event(32, &c2, environment, state),
            )
            .run();
        ran.assert_code(0);
        let summary = plain(&ran.summary);
        assert!(
            summary.starts_with("### ⏭️ Nothing to invalidate"),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("Nothing was sent: {why}.")),
            "{summary}"
        );
        assert_eq!(ran.outputs["images"], "[]");
        assert_eq!(ran.outputs["failed"], "[]");
        assert_eq!(ran.outputs["count"], "0");
    }
    assert!(vercel.received().is_empty());
    assert!(github.seen().is_empty(), "{:#?}", github.seen());
}

#[tokio::test]
async fn without_an_earlier_successful_deployment_the_parent_is_the_base() {
    let (repo, [_, c1, c2, ..]) = deployed_history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(
        41,
        &c1,
        "Production",
        vec!["error", "in_progress", "pending"],
    ));
    github.add_deployment(past(42, &c2, "Production", vec!["success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .env("GITHUB_SHA", &c2)
        .event(
            "deployment_status",
            deployment_status_event(42, &c2, "Production", "success"),
        )
        .run();
    ran.assert_code(0);

    // c2's own change only (its parent is c1).
    assert_eq!(vercel.images(), ["/images/c.png"]);
    let checked: Vec<String> = status_checks(&github.seen())
        .into_iter()
        .map(|s| s.path)
        .collect();
    assert_eq!(
        checked,
        [format!("/repos/{OWNER_REPO}/deployments/41/statuses")]
    );
    let summary = plain(&ran.summary);
    assert!(
        summary.contains(
            "ℹ️ no earlier successful deployment to `Production` was found, so the deployed commit was compared with its parent"
        ),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(
            "https://github.com/{OWNER_REPO}/compare/{c1}..{c2}"
        )),
        "{summary}"
    );
}

#[tokio::test]
async fn a_manual_run_with_images_waits_for_the_deployment_of_github_sha() {
    let repo = GitRepo::new();
    repo.write("public/images/a.png", "a");
    let head = repo.commit("only");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(51, &head, vec!["in_progress", "success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    // A short timeout: waiting for the wrong commit fails quickly.
    let ran = waiting(&github, &vercel, &repo)
        .args(&["--deployment-timeout", "5"])
        .input("images", "/images/manual.png")
        .env("GITHUB_SHA", &head)
        .event(
            "workflow_dispatch",
            json!({"ref": "refs/heads/main", "inputs": {}}),
        )
        .run();
    ran.assert_code(0);

    let seen = github.seen();
    let listed = listings(&seen);
    let checked = status_checks(&seen);
    assert_eq!(listed.len(), 2, "{seen:#?}");
    assert_eq!(checked.len(), 2, "{seen:#?}");
    assert!(
        checked
            .iter()
            .all(|c| c.path == format!("/repos/{OWNER_REPO}/deployments/51/statuses")),
        "{seen:#?}"
    );
    assert!(vercel.valid().iter().all(|r| r.at > checked[1].at));
    assert_eq!(vercel.images(), ["/images/manual.png"]);
    assert!(
        plain(&ran.summary).contains("go live at <https://site-51.vercel.app>."),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn a_branch_name_as_head_is_resolved_to_its_commit_before_waiting() {
    let repo = GitRepo::new();
    repo.write("public/images/a.png", "a");
    let head = repo.commit("only");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(52, &head, vec!["success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = waiting(&github, &vercel, &repo)
        .args(&["--deployment-timeout", "5"])
        .input("images", "/images/manual.png")
        .input("head", "main")
        .event(
            "workflow_dispatch",
            json!({"ref": "refs/heads/main", "inputs": {}}),
        )
        .run();
    ran.assert_code(0);
    let seen = github.seen();
    assert!(
        seen.iter().any(|s| s.path.ends_with("/commits/main")),
        "{seen:#?}"
    );
    // The deployment of the resolved commit is the one polled.
    assert_eq!(
        status_checks(&seen)
            .iter()
            .map(|c| c.path.clone())
            .collect::<Vec<_>>(),
        [format!("/repos/{OWNER_REPO}/deployments/52/statuses")],
        "{seen:#?}"
    );
    assert_eq!(vercel.images(), ["/images/manual.png"]);
}

#[tokio::test]
async fn a_github_hiccup_while_waiting_does_not_end_the_wait() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(53, &after, vec!["in_progress", "success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    // The two tree listings go through, then the first poll meets 502s
    // that outlast its two attempts; the next poll works.
    github.fail_next_after(2, 502, 2);
    let ran = waiting(&github, &vercel, &repo)
        .args(&["--max-attempts", "2", "--retry-initial-delay", "0.01"])
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert!(ran.stdout.contains("status unknown"), "{}", ran.stdout);
    assert!(!vercel.images().is_empty());
}

#[tokio::test]
async fn a_status_url_cannot_put_markup_in_the_summary() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(61, &after, vec!["failure"]));
    github.set_status_url(61, "https://x.vercel.app/\"><img src=x onerror=alert(1)>");
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = waiting(&github, &vercel, &repo).push(&before, &after).run();
    ran.assert_code(1);
    assert!(vercel.received().is_empty());
    assert!(!ran.summary.contains("<img"), "{}", ran.summary);
    assert!(
        plain(&ran.summary).contains("deployment failed"),
        "{}",
        ran.summary
    );
}

/// The deployment's URL is a working link (an autolink, unescaped: inside
/// `<...>` CommonMark would not undo backslash escapes).
#[tokio::test]
async fn the_summary_links_the_deployment() {
    let (repo, before, after) = pushed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(71, &after, vec!["success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = waiting(&github, &vercel, &repo).push(&before, &after).run();
    ran.assert_code(0);
    assert!(
        ran.summary.contains("<https://site-71.vercel.app>"),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn waiting_without_a_commit_to_wait_for_is_a_configuration_error() {
    let repo = GitRepo::new();
    repo.write("README.md", "x");
    repo.commit("only");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;

    // A developer's terminal: no event, no GITHUB_SHA, only `images`.
    let ran = Action::local()
        .cwd(repo.path())
        .env("GITHUB_TOKEN", GITHUB_TOKEN)
        .env("GITHUB_API_URL", &github.url())
        .args(&[
            "--repository",
            OWNER_REPO,
            "--images",
            "/images/a.png",
            "--wait-for-deployment",
            "--dry-run",
        ])
        .run();
    ran.assert_code(2);
    assert!(github.seen().is_empty(), "{:#?}", github.seen());
    let everything = ran.everything();
    assert!(
        everything.contains("input `head`: wait-for-deployment needs the commit"),
        "{everything}"
    );
}

/// c0 (a v1, b v1) is live. Push 1 (c1) replaces a.png; push 2 (c2)
/// changes only the README, or, with `b_too`, b.png as well.
fn two_pushes(b_too: bool) -> (GitRepo, [String; 3]) {
    let repo = GitRepo::new();
    repo.write("public/images/a.png", "a v1")
        .write("public/images/b.png", "b v1")
        .write("README.md", "x");
    let c0 = repo.commit("c0");
    repo.write("public/images/a.png", "a v2");
    let c1 = repo.commit("c1: new a");
    repo.write("README.md", "y");
    if b_too {
        repo.write("public/images/b.png", "b v2");
    }
    let c2 = repo.commit("c2");
    (repo, [c0, c1, c2])
}

/// One run of push `before..after` against `github`, with its own Vercel
/// stand-in; the GitHub requests it made, and what reached Vercel.
async fn run_push(
    github: &FakeGitHub,
    repo: &GitRepo,
    before: &str,
    after: &str,
) -> (common::Ran, Vec<Seen>, Vec<String>) {
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let mark = github.seen().len();
    let ran = waiting(github, &vercel, repo).push(before, after).run();
    let seen = github.seen()[mark..].to_vec();
    (ran, seen, vercel.images())
}

fn status_paths(seen: &[Seen]) -> Vec<String> {
    status_checks(seen)
        .into_iter()
        .map(|s| {
            s.path
                .trim_start_matches(&format!("/repos/{OWNER_REPO}/deployments/"))
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_failed_deployment_is_covered_by_the_next_one_that_goes_live() {
    let (repo, [c0, c1, c2]) = two_pushes(false);
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(100, &c0, "Production", vec!["success"]));
    github.add_deployment(deployment(101, &c1, vec!["in_progress", "failure"]));

    // Push 1: its build fails; nothing newer is on its way.
    let (ran, seen, sent) = run_push(&github, &repo, &c0, &c1).await;
    ran.assert_code(1);
    assert!(sent.is_empty());
    assert_eq!(ran.strings("failed"), ["/images/a.png"]);
    // Two polls (listing + status), two more listings in case a newer
    // deployment shows up; no newer deployment to compare; the push's own
    // diff for the report.
    assert_eq!(
        counts(&seen),
        Counts {
            listings: 4,
            statuses: 2,
            compares: 0,
            trees: 2
        },
        "{seen:#?}"
    );
    // And the one listing of every environment that finds `Production`.
    assert_eq!(seen.len(), 9);
    let summary = plain(&ran.summary);
    assert!(summary.contains("deployment failed"), "{summary}");
    assert!(
        summary.contains(
            "the images of this push will be invalidated by the next run whose deployment goes live"
        ),
        "{summary}"
    );

    // Push 2 fixes the build and changes only the README.
    github.add_deployment(deployment(102, &c2, vec!["in_progress", "success"]));
    let (ran, seen, sent) = run_push(&github, &repo, &c1, &c2).await;
    ran.assert_code(0);
    // c0 was live before c2: push 1's image went live now.
    assert_eq!(sent, ["/images/a.png"]);
    assert_eq!(ran.strings("images"), ["/images/a.png"]);
    // Two polls; then 101 (never live) and 100 (live) for what was live.
    assert_eq!(
        counts(&seen),
        Counts {
            listings: 2,
            statuses: 4,
            compares: 0,
            trees: 2
        },
        "{seen:#?}"
    );
    // And the one listing of every environment that finds `Production`.
    assert_eq!(seen.len(), 9);
    assert_eq!(
        status_paths(&seen),
        [
            "102/statuses",
            "102/statuses",
            "101/statuses",
            "100/statuses"
        ]
    );
    let summary = plain(&ran.summary);
    assert!(
        summary.contains(&format!(
            "https://github.com/{OWNER_REPO}/compare/{c0}..{c2}"
        )),
        "{summary}"
    );
    assert!(!summary.contains("superseded"), "{summary}");
}

/// Push 2 arrives while push 1 builds; Vercel cancels push 1's build
/// (`error`), leaves it `in_progress`, or never creates it, and deploys
/// push 2.
#[tokio::test]
async fn a_superseded_deployment_is_covered_by_both_runs() {
    struct Case {
        label: &'static str,
        /// Push 1's deployment (101), if Vercel created one.
        own: Option<Vec<&'static str>>,
        /// Push 1's run: listings, statuses, compares (besides 2 trees).
        requests: (usize, usize, usize),
        /// Push 1's run: the commits compared with c1.
        compared: Vec<usize>,
        /// Push 2's run: statuses.
        statuses_2: usize,
        /// Listings of push 1's run before push 2's deployment (102) shows.
        newer_after: usize,
    }
    let cases = [
        // Poll 1: 101 in_progress. Poll 2: 101 error, 102 appears (compare:
        // a descendant) in_progress. Poll 3: 101 known failed, 102 success.
        // Then 101 (never live) and 100 for what was live before.
        Case {
            label: "error",
            own: Some(vec!["in_progress", "error"]),
            requests: (3, 4 + 2, 1),
            compared: vec![2],
            statuses_2: 3,
            newer_after: 1,
        },
        // GitHub lists 102 only after 101 was seen to fail: the run looks
        // again before calling it failed. Poll 2: 101 error, nothing newer.
        // Poll 3: 102 appears (compare), in_progress. Poll 4: 102 success.
        Case {
            label: "error, the newer one listed late",
            own: Some(vec!["in_progress", "error"]),
            requests: (4, 4 + 2, 1),
            compared: vec![2],
            statuses_2: 3,
            newer_after: 2,
        },
        // The same with `failure`, the other way a build ends badly.
        Case {
            label: "failure",
            own: Some(vec!["in_progress", "failure"]),
            requests: (3, 4 + 2, 1),
            compared: vec![2],
            statuses_2: 3,
            newer_after: 1,
        },
        // Cancelled: `inactive` without ever having succeeded costs one
        // more status request (its whole history) at poll 2.
        Case {
            label: "inactive, never live",
            own: Some(vec!["in_progress", "inactive"]),
            requests: (3, 5 + 2, 1),
            compared: vec![2],
            statuses_2: 3,
            newer_after: 1,
        },
        // Poll 1: 101. Poll 2: 101, 102 appears (compare), in_progress.
        // Poll 3: 101 still in_progress, 102 success. Then 101 and 100.
        Case {
            label: "in_progress",
            own: Some(vec!["in_progress"]),
            requests: (3, 5 + 2, 1),
            compared: vec![2],
            statuses_2: 3,
            newer_after: 1,
        },
        // Poll 1: only 100, whose c0 is older (compare: behind). Poll 2:
        // 102 appears (compare), in_progress. Poll 3: 102 success. Then 100.
        Case {
            label: "never created",
            own: None,
            requests: (3, 2 + 1, 2),
            compared: vec![0, 2],
            statuses_2: 2,
            newer_after: 1,
        },
    ];
    for case in cases {
        let label = case.label;
        let (repo, [c0, c1, c2]) = two_pushes(false);
        let commits = [&c0, &c1, &c2];
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        github.add_deployment(past(100, &c0, "Production", vec!["success"]));
        if let Some(own) = case.own {
            github.add_deployment(deployment(101, &c1, own));
        }
        github.add_deployment(FakeDeployment {
            listed_after: case.newer_after,
            ..deployment(102, &c2, vec!["in_progress", "success"])
        });

        let (ran, seen, sent) = run_push(&github, &repo, &c0, &c1).await;
        ran.assert_code(0);
        assert_eq!(sent, ["/images/a.png"], "{label}");
        let (listings, statuses, compares) = case.requests;
        assert_eq!(
            counts(&seen),
            Counts {
                listings,
                statuses,
                compares,
                trees: 2
            },
            "{label}: {seen:#?}"
        );
        // The trees, and the one listing that finds the environment.
        assert_eq!(
            seen.len(),
            listings + statuses + compares + 2 + 1,
            "{label}"
        );
        let compared: Vec<String> = seen
            .iter()
            .filter(|s| s.path.contains("/compare/"))
            .map(|s| s.path.clone())
            .collect();
        let expected: Vec<String> = case
            .compared
            .iter()
            .map(|&i| format!("/repos/{OWNER_REPO}/compare/{c1}...{}", commits[i]))
            .collect();
        assert_eq!(compared, expected, "{label}");
        let summary = plain(&ran.summary);
        assert!(
            summary.contains(&format!("`{}` was superseded by `{}`", &c1[..7], &c2[..7])),
            "{label}: {summary}"
        );
        assert!(
            summary.contains(&format!(
                "https://github.com/{OWNER_REPO}/compare/{c0}..{c2}"
            )),
            "{label}: {summary}"
        );
        assert!(
            summary.contains("go live at <https://site-102.vercel.app>."),
            "{label}: {summary}"
        );

        // Push 2's run: its deployment is live at the first poll; c0 was
        // live before it (101 never was).
        let (ran, seen, sent) = run_push(&github, &repo, &c1, &c2).await;
        ran.assert_code(0);
        assert_eq!(sent, ["/images/a.png"], "{label}");
        assert_eq!(
            counts(&seen),
            Counts {
                listings: 1,
                statuses: case.statuses_2,
                compares: 0,
                trees: 2
            },
            "{label}: {seen:#?}"
        );
        // And the one listing of every environment that finds `Production`.
        assert_eq!(seen.len(), 4 + case.statuses_2, "{label}");
        assert!(!plain(&ran.summary).contains("superseded"), "{label}");
    }
}

#[tokio::test]
async fn two_quick_successes_each_send_their_own_images() {
    let (repo, [c0, c1, c2]) = two_pushes(true);
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(100, &c0, "Production", vec!["success"]));
    github.add_deployment(deployment(101, &c1, vec!["in_progress", "success"]));
    github.add_deployment(FakeDeployment {
        listed_after: 1,
        ..deployment(102, &c2, vec!["in_progress", "success"])
    });

    // Push 1 goes live at the second poll (102 is listed by then, but 101's
    // own success comes first: no compare); c0 was live before.
    let (ran, seen, sent) = run_push(&github, &repo, &c0, &c1).await;
    ran.assert_code(0);
    assert_eq!(sent, ["/images/a.png"]);
    assert_eq!(
        counts(&seen),
        Counts {
            listings: 2,
            statuses: 3,
            compares: 0,
            trees: 2
        },
        "{seen:#?}"
    );
    // And the one listing of every environment that finds `Production`.
    assert_eq!(seen.len(), 8);

    // Push 2: c1 was live before it.
    let (ran, seen, sent) = run_push(&github, &repo, &c1, &c2).await;
    ran.assert_code(0);
    assert_eq!(sent, ["/images/b.png"]);
    assert_eq!(
        counts(&seen),
        Counts {
            listings: 2,
            statuses: 3,
            compares: 0,
            trees: 2
        },
        "{seen:#?}"
    );
    // And the one listing of every environment that finds `Production`.
    assert_eq!(seen.len(), 8);
    assert_eq!(
        status_paths(&seen),
        ["102/statuses", "102/statuses", "101/statuses"]
    );
    let summary = plain(&ran.summary);
    assert!(
        summary.contains(&format!(
            "https://github.com/{OWNER_REPO}/compare/{c1}..{c2}"
        )),
        "{summary}"
    );
}

#[tokio::test]
async fn without_an_earlier_deployment_the_push_before_is_the_base() {
    let (repo, [c0, _, c2]) = two_pushes(true);
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    // The project's first deployment.
    github.add_deployment(deployment(1, &c2, vec!["success"]));

    // A push of two commits: `before` is c0, not c2's parent.
    let (ran, seen, sent) = run_push(&github, &repo, &c0, &c2).await;
    ran.assert_code(0);
    assert_eq!(sent, ["/images/a.png", "/images/b.png"]);
    assert_eq!(
        counts(&seen),
        Counts {
            listings: 1,
            statuses: 1,
            compares: 0,
            trees: 2
        },
        "{seen:#?}"
    );
    // And the one listing of every environment that finds `Production`.
    assert_eq!(seen.len(), 5);
    let summary = plain(&ran.summary);
    assert!(
        summary.contains("ℹ️ no earlier successful deployment to `Production` was found, so the push's own base was compared with what went live"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(
            "https://github.com/{OWNER_REPO}/compare/{c0}..{c2}"
        )),
        "{summary}"
    );
}

/// A history of 200 deployments costs one listing per poll (a single page
/// of 100, newest first) and one status request per deployment from the
/// newest down to the first that went live; a history with no success
/// stops after 30 and falls back to the push's `before`.
#[tokio::test]
async fn a_long_history_costs_a_few_requests() {
    let (repo, [c0, c1, _]) = two_pushes(false);
    for failed_since in [5_u64, 200] {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        for id in 1..=200_u64 {
            let state = if id > 200 - failed_since {
                "error"
            } else {
                "success"
            };
            github.add_deployment(past(id, &c0, "Production", vec![state]));
        }
        github.add_deployment(deployment(201, &c1, vec!["in_progress", "success"]));

        let (ran, seen, sent) = run_push(&github, &repo, &c0, &c1).await;
        ran.assert_code(0);
        assert_eq!(sent, ["/images/a.png"], "{failed_since}");
        let looked_up = (failed_since as usize + 1).min(30);
        assert_eq!(
            counts(&seen),
            Counts {
                listings: 2,
                statuses: 2 + looked_up,
                compares: 0,
                trees: 2
            },
            "{failed_since}: {seen:#?}"
        );
        // And the one listing of every environment that finds `Production`.
        assert_eq!(seen.len(), 7 + looked_up, "{failed_since}");
        for listing in listings(&seen) {
            assert_eq!(
                query(&listing),
                pairs(&[("environment", "Production"), ("per_page", "100")])
            );
        }
        let expected: Vec<String> = ["201/statuses", "201/statuses"]
            .into_iter()
            .map(str::to_string)
            .chain((0..looked_up as u64).map(|i| format!("{}/statuses", 200 - i)))
            .collect();
        assert_eq!(status_paths(&seen), expected, "{failed_since}");
        let fell_back = plain(&ran.summary).contains("no earlier successful deployment");
        assert_eq!(fell_back, failed_since == 200, "{failed_since}");
    }
}

/// A force push that waits compares what was live before with what went
/// live, not the old tip with the new one: the summary must not say it
/// compared the old tip.
#[tokio::test]
async fn a_force_push_that_waits_names_what_it_compared() {
    let (repo, [c0, c1, c2]) = two_pushes(true);
    let forced = |before: &str, after: &str| {
        json!({
            "ref": "refs/heads/main", "before": before, "after": after,
            "created": false, "deleted": false, "forced": true,
            "repository": {"full_name": OWNER_REPO}, "commits": []
        })
    };
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(100, &c0, "Production", vec!["success"]));
    github.add_deployment(deployment(102, &c2, vec!["success"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = waiting(&github, &vercel, &repo)
        .push(&c1, &c2)
        .event("push", forced(&c1, &c2))
        .run();
    ran.assert_code(0);
    // c0 was live before: c0..c2 holds both images, c1..c2 only b.
    assert_eq!(vercel.images(), ["/images/a.png", "/images/b.png"]);
    let summary = plain(&ran.summary);
    assert!(!summary.contains("old tip"), "{summary}");

    // Without waiting, the old tip is what was compared, and it says so.
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&c1, &c2)
        .event("push", forced(&c1, &c2))
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/images/b.png"]);
    assert!(
        plain(&ran.summary).contains("a force push: the old tip was compared with the new one"),
        "{}",
        ran.summary
    );
}
