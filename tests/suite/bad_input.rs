//! Bad input: every case exits 2 before anything is sent, with a message
//! that names the input (or variable) and says how to fix it.

use crate::common;
use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::vercel::FakeVercel;
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};
use serde_json::json;

type Change = Box<dyn Fn(Action) -> Action>;

fn case(
    name: &'static str,
    change: impl Fn(Action) -> Action + 'static,
    expect: &'static [&'static str],
) -> (&'static str, Change, &'static [&'static str]) {
    (name, Box::new(change), expect)
}

#[tokio::test]
async fn bad_input_exits_2_naming_the_input_and_the_fix_and_sends_nothing() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let long_path = format!("/{}.png", "x".repeat(8200));
    let missing_event = repo.path().join("no-such-event.json");

    let cases = vec![
        case(
            "missing token",
            |a| a.input("vercel-token", ""),
            &[
                "vercel-token",
                "no Vercel token was given",
                "secrets.VERCEL_TOKEN",
            ],
        ),
        case(
            "blank project",
            |a| a.input("project", "  "),
            &["project", "no Vercel project was given", "Project ID"],
        ),
        case(
            "project with spaces",
            |a| a.input("project", "my site"),
            &["project", "`my site`", "without spaces"],
        ),
        case(
            "the README's placeholder team id",
            |a| a.input("team-id", "team_xxxxxxxxxxxx"),
            &["team-id", "`team_xxxxxxxxxxxx` is a placeholder", "Team ID"],
        ),
        case(
            "a team id in angle brackets",
            |a| a.input("team-id", "<team-id>"),
            &["team-id", "`<team-id>` is a placeholder", "Team Settings"],
        ),
        case(
            "a YOUR_ project",
            |a| a.input("project", "YOUR_PROJECT_ID"),
            &[
                "project",
                "`YOUR_PROJECT_ID` is a placeholder",
                "Project ID",
            ],
        ),
        case(
            "a placeholder team slug",
            |a| a.input("team-slug", "<your-team>"),
            &["team-slug", "is a placeholder", "URL slug"],
        ),
        case(
            "a slug given as team-id",
            |a| a.input("team-id", "acme-inc"),
            &[
                "team-id",
                "`acme-inc` looks like a team slug",
                "use `team-slug: acme-inc`",
            ],
        ),
        case(
            "a team id of the wrong shape",
            |a| a.input("team-id", "team_abc/def"),
            &["team-id", "is not a team id", "letters and digits"],
        ),
        case(
            "token with a space inside",
            |a| a.input("vercel-token", "abc def"),
            &["vercel-token", "value not shown", "copy the token again"],
        ),
        case(
            "unknown mode",
            |a| a.input("mode", "purge"),
            &[
                "mode",
                "`purge` is not one of invalidate, delete",
                "set mode to one of",
            ],
        ),
        case(
            "concurrency zero",
            |a| a.input("concurrency", "0"),
            &["concurrency", "`0`", "from 1 to 32"],
        ),
        case(
            "concurrency too high",
            |a| a.input("concurrency", "100"),
            &["concurrency", "`100`", "from 1 to 32"],
        ),
        case(
            "concurrency not a number",
            |a| a.input("concurrency", "four"),
            &["concurrency", "`four`", "whole number"],
        ),
        case(
            "boolean that is not",
            |a| a.input("dry-run", "yes"),
            &["dry-run", "`yes` is not a boolean", "`true` or `false`"],
        ),
        case(
            "another boolean",
            |a| a.input("fail-on-error", "1"),
            &["fail-on-error", "`1` is not a boolean", "`true` or `false`"],
        ),
        case(
            "glob that does not compile",
            |a| a.input("include", "public/[a.png"),
            &[
                "include",
                "`public/[a.png` is not a valid glob",
                "fix the glob",
            ],
        ),
        case(
            "negated include",
            |a| a.input("include", "!**/*.svg"),
            &["include", "starts with `!`", "`exclude`"],
        ),
        case(
            "bad exclude glob",
            |a| a.input("exclude", "public/{a,b"),
            &["exclude", "is not a valid glob", "fix the glob"],
        ),
        case(
            "unknown change type",
            |a| a.input("change-types", "added,deleted"),
            &[
                "change-types",
                "`deleted` is not a change type",
                "`removed`",
            ],
        ),
        case(
            "relative url-prefix",
            |a| a.input("url-prefix", "images/"),
            &["url-prefix", "`images/`", "basePath"],
        ),
        case(
            "public-dir outside the repository",
            |a| a.input("public-dir", "../site"),
            &["public-dir", "`../site`", "relative to the repository root"],
        ),
        case(
            "plain http to a remote Vercel",
            |a| a.input("vercel-api-url", "http://api.vercel.com"),
            &["vercel-api-url", "plain http://", "use https://"],
        ),
        case(
            "Vercel URL that is not one",
            |a| a.input("vercel-api-url", "api dot vercel"),
            &["vercel-api-url", "is not a URL", "https://"],
        ),
        case(
            "Vercel URL with credentials",
            |a| a.input("vercel-api-url", "https://me:hunter2@api.vercel.com"),
            &[
                "vercel-api-url",
                "user name or password",
                "remove the credentials",
            ],
        ),
        case(
            "plain http to a remote GitHub",
            |a| a.env("GITHUB_API_URL", "http://github.example.com/api/v3"),
            &["GITHUB_API_URL", "plain http://", "use https://"],
        ),
        case(
            "deadline without delete",
            |a| a.input("revalidation-deadline-seconds", "60"),
            &[
                "revalidation-deadline-seconds",
                "only with `mode: delete`",
                "set `mode: delete`",
            ],
        ),
        case(
            "deadline out of range",
            |a| {
                a.input("mode", "delete")
                    .input("revalidation-deadline-seconds", "31536001")
            },
            &[
                "revalidation-deadline-seconds",
                "`31536001`",
                "0 to 31536000",
            ],
        ),
        case(
            "image that is not a public path",
            |a| a.input("images", "images/hero.png"),
            &[
                "images",
                "`images/hero.png` is not a public path",
                "starting with /",
            ],
        ),
        case(
            "image path over 8192 characters",
            move |a| a.input("images", &long_path),
            &["images", "Vercel accepts at most 8192", "shorten the path"],
        ),
        case(
            "unknown diff source",
            |a| a.input("diff-source", "svn"),
            &[
                "diff-source",
                "`svn` is not one of api, git, auto",
                "set diff-source",
            ],
        ),
        case(
            "deployment timeout zero",
            |a| a.input("deployment-timeout", "0"),
            &["deployment-timeout", "`0`", "from 1 to 21600"],
        ),
        case(
            "base that git would read as an option",
            |a| a.input("base", "--upload-pack=evil"),
            &["base", "is not a commit", "commit sha"],
        ),
        case(
            "wait flag that is not a boolean",
            |a| a.input("wait-for-deployment", "maybe"),
            &["wait-for-deployment", "`maybe`", "`true` or `false`"],
        ),
        case(
            "api source without a token",
            |a| a.input("github-token", "").input("diff-source", "api"),
            &["github-token", "needs a GitHub token", "github.token"],
        ),
        case(
            "missing event file",
            move |a| a.env("GITHUB_EVENT_PATH", &missing_event.display().to_string()),
            &[
                "no-such-event.json",
                "could not be read",
                "GitHub Actions job",
            ],
        ),
        case(
            "malformed event file",
            |a| a.event_raw("push", "{\"ref\": "),
            &["event payload", "is not valid JSON", "GitHub Actions job"],
        ),
        case(
            "event of the wrong shape",
            |a| {
                a.event(
                    "push",
                    json!({"ref": "refs/heads/main", "before": "abc", "after": 42}),
                )
            },
            &["`push` event payload", "unexpected shape", "set `base`"],
        ),
        case(
            "push event without after",
            |a| {
                a.event("push", json!({"ref": "refs/heads/main", "before": "1111111111111111111111111111111111111111"}))
            },
            &["`push` event payload", "lacks", "set `base`"],
        ),
        case(
            "manual run with nothing to do",
            |a| a.event("workflow_dispatch", json!({"inputs": {}})),
            &[
                "`workflow_dispatch` event there is no push to compare",
                "set the `images` input",
                "`base`",
            ],
        ),
    ];
    assert!(cases.len() >= 20);

    for (name, change, expect) in cases {
        let action = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .push(&before, &after);
        let ran = change(action).run();
        assert_eq!(
            ran.code, 2,
            "{name}: exit code\n{}\n{}",
            ran.stdout, ran.stderr
        );
        let error_lines: Vec<&str> = ran
            .stdout
            .lines()
            .filter(|l| l.starts_with("::error"))
            .collect();
        assert_eq!(
            error_lines.len(),
            1,
            "{name}: one error annotation\n{}",
            ran.stdout
        );
        let message = error_lines[0].replace("%0A", "\n");
        for fragment in expect {
            assert!(
                message.contains(fragment),
                "{name}: `{fragment}` not in\n{message}"
            );
        }
        assert!(message.contains("help: "), "{name}: no fix\n{message}");
        assert!(
            ran.summary
                .starts_with("### ❌ Image cache not invalidated"),
            "{name}: {}",
            ran.summary
        );
        assert!(ran.summary.contains("**Fix:**"), "{name}");
        assert_eq!(ran.outputs["count"], "0", "{name}");
        assert!(vercel.received().is_empty(), "{name}: sent to Vercel");
        assert!(github.seen().is_empty(), "{name}: asked GitHub");
    }
}

/// Each placeholder an example leaves in an id input, and a slug given as
/// the team id, stops the run before anything is sent: exit 2, the input
/// named, and where the real value is.
#[tokio::test]
async fn every_placeholder_left_in_an_id_input_exits_2_and_sends_nothing() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let team_fix = "Team ID of Team Settings > General";
    let project_fix = "Project Settings > General > Project ID";
    let cases: [(&str, &str, &str, &str); 9] = [
        ("team-id", "team_xxxxxxxxxxxx", "is a placeholder", team_fix),
        ("team-id", "<team-id>", "is a placeholder", team_fix),
        ("team-id", "YOUR_TEAM_ID", "is a placeholder", team_fix),
        ("team-id", "{team-id}", "is a placeholder", team_fix),
        (
            "team-id",
            "acme-inc",
            "looks like a team slug",
            "use `team-slug: acme-inc`",
        ),
        ("project", "<project>", "is a placeholder", project_fix),
        ("project", "YOUR_PROJECT", "is a placeholder", project_fix),
        (
            "project",
            "prj_xxxxxxxxxxxx",
            "is a placeholder",
            project_fix,
        ),
        ("team-slug", "<your-team>", "is a placeholder", "URL slug"),
    ];
    for (input, value, problem, fix) in cases {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .input(input, value)
            .push(&before, &after)
            .run();
        assert_eq!(ran.code, 2, "{input}: {value}\n{}", ran.stdout);
        let error = ran
            .stdout
            .lines()
            .find(|l| l.starts_with("::error"))
            .unwrap_or_else(|| panic!("{input}: {value}: no error\n{}", ran.stdout))
            .replace("%0A", "\n");
        for fragment in [
            format!("input `{input}`"),
            format!("`{value}` {problem}"),
            "help: ".to_string(),
            fix.to_string(),
        ] {
            assert!(
                error.contains(&fragment),
                "{value}: `{fragment}` not in\n{error}"
            );
        }
        assert!(ran.summary.contains("**Fix:**"), "{value}: {}", ran.summary);
    }
    assert!(vercel.received().is_empty(), "sent to Vercel");
    assert!(github.seen().is_empty(), "asked GitHub");
}

#[tokio::test]
async fn every_bad_input_is_listed_in_one_run() {
    let ran = Action::new()
        .event("workflow_dispatch", json!({}))
        .input("mode", "nope")
        .input("concurrency", "-3")
        .input("include", "[")
        .run();
    ran.assert_code(2);
    for input in ["vercel-token", "project", "mode", "concurrency", "include"] {
        assert!(
            ran.stdout.contains(&format!("input `{input}`")),
            "{input}: {}",
            ran.stdout
        );
    }
    assert!(
        ran.stdout.contains("5 inputs are not valid"),
        "{}",
        ran.stdout
    );
}

#[tokio::test]
async fn unknown_flags_exit_2_and_help_exits_0() {
    let ran = Action::local().arg("--no-such-flag").run();
    ran.assert_code(2);
    assert!(ran.stderr.contains("--no-such-flag"), "{}", ran.stderr);
    let help = Action::local().arg("--help").run();
    help.assert_code(0);
    for input in common::action_inputs().keys() {
        assert!(
            help.stdout.contains(&format!("--{input}")),
            "--{input} missing from --help"
        );
    }
    assert!(help.stdout.contains("Exit codes:\n  0  done"));
}
