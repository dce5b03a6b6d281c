//! A first run on a real setup: the answers the real services give when the
//! configuration is wrong, and the mistakes people make on the way in. Each
//! ends with the real cause, the fix, and the documented exit code.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::git::GitRepo;
use crate::common::github::{FakeDeployment, FakeGitHub, OWNER_REPO};
use crate::common::vercel::FakeVercel;
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};
use wiremock::ResponseTemplate;

/// A token Vercel does not know is answered by the fake as Vercel answers
/// it (`403`, `invalidToken: true`); the run names the token as the cause
/// and fails whatever `fail-on-error` says.
#[tokio::test]
async fn an_expired_token_fails_the_run_with_the_fix_whatever_fail_on_error_says() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    for fail_on_error in ["true", "false"] {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .input("vercel-token", "vercel_tok_revoked_last_week")
            .input("fail-on-error", fail_on_error)
            .push(&before, &after)
            .run();
        ran.assert_code(1);
        assert!(
            ran.stdout
                .contains("Vercel says the token is invalid, expired or revoked (403)"),
            "{}",
            ran.stdout
        );
        assert!(
            ran.stdout.contains("https://vercel.com/account/tokens")
                && ran.stdout.contains("update the secret"),
            "{}",
            ran.stdout
        );
        assert!(
            !ran.stdout.contains("set team-id or team-slug"),
            "{}",
            ran.stdout
        );
        assert!(
            ran.summary.contains("says the token is invalid"),
            "{}",
            ran.summary
        );
        assert_eq!(ran.strings("failed"), ["/a.png"]);
    }
    let received = vercel.received();
    assert_eq!(received.len(), 2, "one request a run");
    assert!(
        received
            .iter()
            .all(|r| r.invalid.as_deref() == Some("bad authorization"))
    );
}

/// On a terminal: a retry that waits says so without `--verbose`, each
/// warning is printed once, and counts agree with their nouns.
#[tokio::test]
async fn the_terminal_says_when_it_waits_prints_warnings_once_and_counts_in_words() {
    let repo = GitRepo::new();
    repo.write("package.json", r#"{"dependencies":{"next":"15.0.0"}}"#)
        .write("next.config.js", "module.exports = { basePath: '/docs' }\n")
        .write("public/a.png", "1");
    repo.commit("one");
    repo.write("public/a.png", "2");
    repo.commit("two");
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|_, index, _| {
            if index == 0 {
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .set_body_json(serde_json::json!({"error": {
                        "code": "rate_limited",
                        "message": "Rate limit exceeded",
                        "limit": {"remaining": 0, "reset": 1, "resetMs": 1000, "total": 100}
                    }}))
            } else {
                ResponseTemplate::new(200)
            }
        }),
    )
    .await;
    let run = || {
        Action::local()
            .cwd(repo.path())
            .env("VERCEL_TOKEN", VERCEL_TOKEN)
            .args(&["--project", "my-site", "--base", "HEAD~1"])
            .args(&["--vercel-api-url", &vercel.url(), "--url-prefix", "/"])
            .run()
    };
    let ran = run();
    ran.assert_code(0);
    assert!(
        ran.stderr.contains("attempt 1 failed (429 rate_limited")
            && ran.stderr.contains("retrying in"),
        "the wait is said without --verbose: {}",
        ran.stderr
    );
    let warning = "url-prefix `/` disagrees with basePath `/docs`";
    let everything = format!("{}{}", ran.stdout, ran.stderr);
    assert_eq!(everything.matches(warning).count(), 1, "{everything}");
    assert!(ran.stdout.contains(", 2 requests,"), "{}", ran.stdout);

    // Once more: Vercel now answers at once, in one request.
    let again = run();
    again.assert_code(0);
    assert!(again.stdout.contains(", 1 request,"), "{}", again.stdout);
    assert!(!again.stdout.contains("1 requests"), "{}", again.stdout);
    assert!(!again.stderr.contains("retrying"), "{}", again.stderr);
}

/// The README up to its contributor section ("## Develop"): what a user
/// reads.
fn readme_user_part() -> String {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md");
    let end = readme.find("\n## Develop\n").expect("a Develop section");
    readme[..end].to_string()
}

/// The fenced blocks of `lang` in `text`, their indentation (a block in a
/// list item) taken off.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut current {
            None if trimmed == format!("```{lang}") => current = Some((indent, String::new())),
            Some(_) if trimmed == "```" => {
                found.push(current.take().expect("open block").1);
            }
            Some((indent, block)) => {
                block.push_str(line.get(*indent..).unwrap_or(""));
                block.push('\n');
            }
            None => {}
        }
    }
    found
}

/// The README's quick start, as a user follows it: its workflow's inputs,
/// the secret filled in, on a push whose Production deployment succeeds.
/// Nothing in it has to be deleted first.
#[tokio::test]
async fn the_readme_quick_start_workflow_runs_as_written() {
    let user = readme_user_part();
    let quick = &user[user.find("## Quick start").expect("a quick start")..];
    let workflow = blocks(quick, "yaml")
        .into_iter()
        .next()
        .expect("its workflow");
    let yaml: serde_json::Value = serde_norway::from_str(&workflow).expect("YAML");
    let step = &yaml["jobs"]["invalidate"]["steps"][0];
    assert!(
        step["uses"]
            .as_str()
            .is_some_and(|u| u.contains("vercel-image-invalidate"))
    );
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(FakeDeployment {
        id: 1,
        sha: after.clone(),
        environment: "Production".to_string(),
        states: vec!["success"],
        history: Vec::new(),
        listed_after: 0,
    });
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let mut action = Action::new().against(&github.url(), &vercel.url(), repo.path());
    for (name, value) in step["with"].as_object().expect("with:") {
        let value = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let value = value.replace("${{ secrets.VERCEL_TOKEN }}", VERCEL_TOKEN);
        assert!(!value.contains("${{"), "{name}: {value}");
        action = action.input(name, &value);
    }
    let ran = action
        .args(&["--poll-initial-interval", "0.05"])
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/a.png"]);
    assert!(
        ran.summary.contains("1 image invalidated"),
        "{}",
        ran.summary
    );
}

/// Every command of the README's user part that runs the tool, run here
/// in a clone whose `origin` has the history, against the fake Vercel.
/// Commands that install or fetch something from the internet cannot run
/// here and are left out; `export NAME=...` sets the variable.
#[tokio::test]
async fn every_command_of_the_readme_user_part_runs_here() {
    let upstream = GitRepo::new();
    for n in 0..5 {
        upstream.write("public/images/hero.png", &n.to_string());
        upstream.commit(&format!("commit {n}"));
    }
    let clone = upstream.full_clone();
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let mut env: Vec<(String, String)> = Vec::new();
    let mut ran_commands = Vec::new();
    for block in blocks(&readme_user_part(), "sh") {
        for line in block.lines() {
            let command = line.split(" #").next().unwrap_or("").trim();
            if let Some(assignment) = command.strip_prefix("export ") {
                let (name, _) = assignment.split_once('=').expect("NAME=value");
                let value = if name == "VERCEL_TOKEN" {
                    VERCEL_TOKEN
                } else {
                    "x"
                };
                env.push((name.to_string(), value.to_string()));
                continue;
            }
            let Some(args) = command.strip_prefix("vercel-image-invalidate ") else {
                continue;
            };
            let mut action = Action::local()
                .cwd(clone.path())
                .env("INPUT_VERCEL-API-URL", &vercel.url());
            for (name, value) in &env {
                action = action.env(name, value);
            }
            let ran = action
                .args(&args.split_whitespace().collect::<Vec<_>>())
                .run();
            assert_eq!(ran.code, 0, "`{command}`\n{}\n{}", ran.stdout, ran.stderr);
            ran_commands.push(command.to_string());
        }
    }
    assert!(ran_commands.len() >= 3, "{ran_commands:?}");
    assert!(
        vercel.images().contains(&"/images/hero.png".to_string()),
        "{:?}",
        vercel.received()
    );
}

fn deployment(id: u64, sha: &str, environment: &str, states: Vec<&'static str>) -> FakeDeployment {
    FakeDeployment {
        id,
        sha: sha.to_string(),
        environment: environment.to_string(),
        states,
        history: Vec::new(),
        listed_after: 0,
    }
}

/// A push that waits for its deployment, polling fast, with the
/// repository's project named `site`.
fn waiting(github: &FakeGitHub, vercel: &FakeVercel, repo: &GitRepo) -> Action {
    Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("project", "site")
        .input("wait-for-deployment", "true")
        .args(&[
            "--poll-initial-interval",
            "0.05",
            "--poll-max-interval",
            "0.2",
        ])
}

fn surveys(github: &FakeGitHub) -> usize {
    github
        .seen()
        .iter()
        .filter(|s| s.path == format!("/repos/{OWNER_REPO}/deployments"))
        .filter(|s| !s.query.contains("environment="))
        .count()
}

/// Several Vercel projects deploy from one repository: Vercel names each
/// production environment `Production – {project}` (an en dash). `auto`
/// finds this project's in one listing and names it in the log.
#[tokio::test]
async fn auto_finds_the_projects_production_environment_in_one_listing() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(1, &before, "Production – site", vec!["success"]));
    github.add_deployment(deployment(2, &after, "Preview – docs", vec!["success"]));
    github.add_deployment(deployment(3, &after, "Production – docs", vec!["success"]));
    github.add_deployment(deployment(
        4,
        &after,
        "Production – site",
        vec!["pending", "success"],
    ));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = waiting(&github, &vercel, &repo).push(&before, &after).run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/a.png"]);
    assert_eq!(surveys(&github), 1, "{:#?}", github.seen());
    assert!(
        ran.stdout
            .contains("go to `Production – site` (deployment-environment: auto)"),
        "{}",
        ran.stdout
    );
    let polled: Vec<String> = github
        .seen()
        .iter()
        .filter(|s| s.query.contains("environment="))
        .map(|s| s.query.clone())
        .collect();
    assert!(
        polled
            .iter()
            .all(|q| q.contains("environment=Production+%E2%80%93+site")
                || q.contains("environment=Production%20%E2%80%93%20site")),
        "{polled:?}"
    );
}

/// The pushed commit is deployed, but only to other environments: after
/// `environment-grace` (a minute by default) the wait stops with exit 2,
/// naming them and the input to set, instead of waiting the whole
/// `deployment-timeout`.
#[tokio::test]
async fn deployments_only_in_other_environments_stop_the_wait_naming_them() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let cases: [(&str, &str, &[&str]); 2] = [
        // `auto`, and the commit went to Preview only.
        ("auto", "Preview", &["`Preview`", "deployment-environment"]),
        // An explicit name Vercel does not use here.
        (
            "Production",
            "Production – site",
            &[
                "`Production – site`",
                "none in `Production`",
                "deployment-environment",
            ],
        ),
    ];
    for (awaited, actual, expected) in cases {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        github.add_deployment(deployment(7, &after, actual, vec!["in_progress"]));
        let vercel = FakeVercel::start(VERCEL_TOKEN).await;
        let ran = waiting(&github, &vercel, &repo)
            .input("deployment-environment", awaited)
            .args(&["--environment-grace", "0.3"])
            .push(&before, &after)
            .run();
        ran.assert_code(2);
        assert!(vercel.received().is_empty());
        for text in expected {
            assert!(
                ran.stdout.contains(text),
                "{awaited}: {text}: {}",
                ran.stdout
            );
        }
        assert!(!ran.stdout.contains("timed out"), "{}", ran.stdout);
        assert_eq!(ran.strings("failed"), ["/a.png"], "{awaited}");
    }
}

/// A wait that GitHub's rate limit ends says so, and when the limit
/// resets; it is not reported as a timeout.
#[tokio::test]
async fn a_rate_limit_during_the_wait_is_named_with_its_reset_time() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(7, &after, "Production", vec!["in_progress"]));
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    // The listing that finds the environment and a first poll, then the
    // limit is used up for an hour: longer than the wait may last.
    github.rate_limit_after(3, reset);
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = waiting(&github, &vercel, &repo).push(&before, &after).run();
    ran.assert_code(1);
    let clock = format!(
        "it resets at {:02}:{:02}:{:02} UTC",
        reset % 86_400 / 3600,
        reset % 3600 / 60,
        reset % 60
    );
    assert!(
        ran.stdout
            .contains("GitHub's API rate limit for this token is used up"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains(&clock), "{clock}: {}", ran.stdout);
    assert!(ran.summary.contains("rate limit"), "{}", ran.summary);
    assert!(!ran.stdout.contains("timed out"), "{}", ran.stdout);
    assert!(
        !ran.stdout.contains("raise deployment-timeout"),
        "{}",
        ran.stdout
    );
    assert!(vercel.received().is_empty());
}

/// Whoever can create deployments writes their states: a state of 3 MB is
/// cut to a sane length everywhere it is shown, and the job summary stays
/// under the 1 MiB GitHub keeps.
#[tokio::test]
async fn a_huge_deployment_state_is_cut_everywhere_it_is_shown() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let huge: &'static str = Box::leak(format!("queued{}", "x".repeat(3 << 20)).into_boxed_str());
    github.add_deployment(deployment(7, &after, "Production", vec![huge]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = waiting(&github, &vercel, &repo)
        .input("deployment-timeout", "1")
        .push(&before, &after)
        .run();
    ran.assert_code(1);
    assert!(ran.summary.len() < 1 << 20, "{} bytes", ran.summary.len());
    assert!(ran.summary.len() < 20_000, "{} bytes", ran.summary.len());
    assert!(
        ran.stdout.len() < 100_000,
        "{} bytes of log",
        ran.stdout.len()
    );
    assert!(ran.stdout.contains("timed out"), "{}", ran.stdout);
    assert!(ran.stdout.contains("queuedxxxx"), "the state is shown, cut");
    assert!(vercel.received().is_empty());
}

/// Skip reasons that are true: an image in the site's source folders is
/// imported by its pages (a hashed URL); one elsewhere outside the public
/// dir is not served as a file at all.
#[tokio::test]
async fn skip_reasons_say_what_really_happens_to_each_image() {
    let repo = GitRepo::new();
    repo.write("package.json", r#"{"dependencies":{"next":"15.0.0"}}"#)
        .write("next.config.ts", "export default {}\n")
        .write("public/hero.png", "1")
        .write("README.md", "x");
    let before = repo.commit("one");
    repo.write("public/hero.png", "2")
        .write("src/assets/logo.png", "logo")
        .write("app/icon.png", "icon")
        .write(".github/social-preview.png", "social")
        .write("design/mockup.png", "mockup");
    let after = repo.commit("two");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/hero.png"]);
    let skipped: Vec<(String, String)> = ran
        .json("skipped")
        .as_array()
        .expect("array")
        .iter()
        .map(|s| {
            (
                s["path"].as_str().expect("path").to_string(),
                s["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect();
    let imported = "imported: served under a hashed URL, never stale";
    let not_served = "outside the public dir: not served as a file";
    let expected = [
        (".github/social-preview.png", not_served),
        ("app/icon.png", imported),
        ("design/mockup.png", not_served),
        ("src/assets/logo.png", imported),
    ]
    .map(|(p, r)| (p.to_string(), r.to_string()));
    assert_eq!(skipped, expected);
    assert!(!ran.stdout.contains("::warning"), "{}", ran.stdout);
}

/// A `public-dir` that is not a folder at the pushed commit points nowhere:
/// exit 2 with the fix, nothing sent, through the API and through git. One
/// that the push emptied is not a mistake.
#[tokio::test]
async fn a_public_dir_that_does_not_exist_is_bad_input() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    for source in ["api", "git"] {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .input("diff-source", source)
            .input("public-dir", "nowhere")
            .push(&before, &after)
            .run();
        ran.assert_code(2);
        assert!(
            ran.stdout.contains("`nowhere` is not a folder at"),
            "{source}: {}",
            ran.stdout
        );
        assert!(
            ran.stdout.contains("set public-dir to the folder"),
            "{}",
            ran.stdout
        );
    }
    assert!(vercel.received().is_empty());

    // The push removed the folder's last image: its path is invalidated.
    let repo = GitRepo::new();
    repo.write("old/a.png", "1").write("README.md", "x");
    let before = repo.commit("one");
    repo.remove("old/a.png");
    let after = repo.commit("two");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("public-dir", "old")
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/a.png"]);
}

/// A monorepo without `site-dir`: the root has no framework, the changed
/// image sits under an app that has one. The warning names the `site-dir`
/// to set, not `public-dir`.
#[tokio::test]
async fn a_monorepo_without_site_dir_is_told_which_site_dir_to_set() {
    let repo = GitRepo::new();
    repo.write(
        "package.json",
        r#"{"private":true,"workspaces":["apps/*"]}"#,
    )
    .write(
        "apps/web/package.json",
        r#"{"dependencies":{"next":"15.0.0"}}"#,
    )
    .write(
        "apps/web/next.config.ts",
        "export default { basePath: '/shop' }\n",
    )
    .write("apps/web/public/hero.png", "1");
    let before = repo.commit("one");
    repo.write("apps/web/public/hero.png", "2");
    let after = repo.commit("two");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    for source in ["api", "git"] {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .input("diff-source", source)
            .push(&before, &after)
            .run();
        ran.assert_code(0);
        let warning = ran
            .stdout
            .lines()
            .find(|l| l.starts_with("::warning") && l.contains("outside the public dir"))
            .unwrap_or_else(|| panic!("{source}: {}", ran.stdout));
        assert!(warning.contains("set `site-dir: apps/web`"), "{warning}");
        assert!(warning.contains("apps/web/next.config.ts"), "{warning}");
        assert!(!warning.contains("Set public-dir"), "{warning}");
        assert!(
            ran.summary.contains("set `site-dir: apps/web`"),
            "{}",
            ran.summary
        );
    }
    assert!(vercel.received().is_empty());
}

/// A long wait is never silent: the state is said again every heartbeat
/// (30 s unless `--heartbeat-interval` says otherwise), with the time waited
/// and the environment, even when it does not change.
#[tokio::test]
async fn a_long_wait_says_its_state_again_every_heartbeat() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(deployment(7, &after, "Production", vec!["in_progress"]));
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = waiting(&github, &vercel, &repo)
        .input("deployment-timeout", "4")
        .args(&["--heartbeat-interval", "1"])
        .push(&before, &after)
        .run();
    ran.assert_code(1);
    let said: Vec<f64> = ran
        .stdout
        .lines()
        .filter(|line| line.ends_with("s  deployment to Production: in_progress"))
        .filter_map(|line| line.trim_start().split('s').next()?.parse().ok())
        .collect();
    // The first sight of the state, then at least two heartbeats before the
    // 4 s deadline (lower bounds only: a slow machine may say it more).
    assert!(said.len() >= 3, "{said:?}\n{}", ran.stdout);
    for pair in said.windows(2) {
        // A heartbeat apart; the time shown is rounded to 0.1 s and taken
        // as the line is written, a moment after the heartbeat's check.
        assert!(
            pair[1] - pair[0] >= 0.8,
            "said again too soon: {said:?}\n{}",
            ran.stdout
        );
    }
}
