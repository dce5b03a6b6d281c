//! End to end: what the binary prints for scripts. `--json` puts the whole
//! result (the report file's text) alone on stdout and everything else on
//! stderr; `--quiet` prints errors only. Also `--version`.

use std::sync::Arc;

use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::vercel::{FakeVercel, error};
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};
use serde_json::Value;

/// Three changed images (one outside the public dir) and a README.
fn history() -> (GitRepo, String, String) {
    let repo = GitRepo::new();
    repo.write("public/images/hero.png", "hero 1")
        .write("public/images/broken.png", "broken 1")
        .write("README.md", "x");
    let before = repo.commit("one");
    repo.write("public/images/hero.png", "hero 2")
        .write("public/images/broken.png", "broken 2")
        .write("design/mockup.png", "mockup")
        .write("README.md", "y");
    let after = repo.commit("two");
    (repo, before, after)
}

/// A Vercel that fails every request.
async fn vercel_failing() -> FakeVercel {
    FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|_, _, _| error(500, "internal_server_error", "An unexpected error occurred")),
    )
    .await
}

#[tokio::test]
async fn json_in_actions_is_the_report_file_on_stdout_and_the_log_on_stderr() {
    let (repo, before, after) = history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = vercel_failing().await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .args(&["--json", "--max-attempts", "1"])
        .runner_temp()
        .push(&before, &after)
        .run();
    ran.assert_code(1);

    let file = ran.report_file.as_deref().expect("a report file");
    assert_eq!(ran.stdout, format!("{file}\n"), "stdout is the report file");
    let json: Value = serde_json::from_str(&ran.stdout).expect("stdout is JSON");
    let both = serde_json::json!(["/images/broken.png", "/images/hero.png"]);
    assert_eq!(json["failed"], both);
    assert_eq!(json["images"], serde_json::json!([]));
    assert_eq!(json["count"], 0);
    assert_eq!(json["skipped"][0]["path"], "design/mockup.png");
    assert!(!vercel.valid().is_empty());

    // The log, workflow commands and all, went to stderr; the runner reads
    // commands there as well.
    assert!(
        ran.stderr
            .starts_with(&format!("::add-mask::{VERCEL_TOKEN}\n")),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("::error title=Vercel image invalidation::")
    );
    assert!(!ran.stdout.contains(VERCEL_TOKEN) && !ran.stdout.contains(GITHUB_TOKEN));
    // The files are written as without --json.
    assert!(
        ran.summary.contains("could not be invalidated"),
        "{}",
        ran.summary
    );
    assert_eq!(ran.json("failed"), json["failed"]);
}

#[tokio::test]
async fn json_on_a_terminal_prints_the_result_and_sends_the_report_to_stderr() {
    let (repo, ..) = history();
    let ran = Action::local()
        .args(&["--dry-run", "--base", "HEAD~1", "--json"])
        .cwd(repo.path())
        .run();
    ran.assert_code(0);
    let json: Value = serde_json::from_str(&ran.stdout).expect("stdout is JSON");
    assert_eq!(
        json,
        serde_json::json!({
            "images": ["/images/broken.png", "/images/hero.png"],
            "failed": [],
            "skipped": [{"path": "design/mockup.png", "reason": "outside the public dir `public`"}],
            "count": 2,
            "requests": 0,
            "verified": [],
            "unverified": []
        })
    );
    assert_eq!(ran.stdout.lines().count(), 1, "one line: {}", ran.stdout);
    assert!(
        ran.stderr
            .contains("\nDry run: 2 images would be invalidated\n"),
        "{}",
        ran.stderr
    );
}

#[tokio::test]
async fn json_after_bad_input_is_the_empty_result_with_exit_code_2() {
    let ran = Action::local()
        .args(&["--json", "--concurrency", "0", "--images", "/a.png"])
        .run();
    ran.assert_code(2);
    let json: Value = serde_json::from_str(&ran.stdout).expect("stdout is JSON");
    assert_eq!(json["images"], serde_json::json!([]));
    assert!(ran.stderr.contains("concurrency"), "{}", ran.stderr);
}

#[tokio::test]
async fn quiet_prints_nothing_on_success() {
    let (repo, before, after) = history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    // On a terminal: not a byte, and the requests were made.
    let ran = Action::local()
        .cwd(repo.path())
        .env("VERCEL_TOKEN", VERCEL_TOKEN)
        .args(&["--quiet", "--project", "my-site", "--base", "HEAD~1"])
        .args(&["--vercel-api-url", &vercel.url()])
        .run();
    ran.assert_code(0);
    assert_eq!((ran.stdout.as_str(), ran.stderr.as_str()), ("", ""));
    assert_eq!(vercel.images(), ["/images/broken.png", "/images/hero.png"]);

    // In Actions: only the masking, which the runner consumes; the summary
    // and the outputs are still written.
    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .arg("-q")
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(
        ran.stdout,
        format!("::add-mask::{VERCEL_TOKEN}\n::add-mask::{GITHUB_TOKEN}\n")
    );
    assert_eq!(ran.stderr, "");
    assert_eq!(ran.outputs["count"], "2");
    assert!(
        ran.summary.starts_with("### ✅ 2 images invalidated"),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn quiet_still_prints_the_errors() {
    let (repo, ..) = history();
    let vercel = vercel_failing().await;
    let ran = Action::local()
        .cwd(repo.path())
        .env("VERCEL_TOKEN", VERCEL_TOKEN)
        .args(&["--quiet", "--project", "my-site", "--base", "HEAD~1"])
        .args(&["--vercel-api-url", &vercel.url(), "--max-attempts", "1"])
        .run();
    ran.assert_code(1);
    assert_eq!(ran.stdout, "", "no report on stdout");
    assert!(
        ran.stderr
            .starts_with("error: 2 images could not be invalidated: 500 "),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.lines().all(|l| !l.starts_with("warning")),
        "{}",
        ran.stderr
    );

    // With --json too: the result on stdout, the error on stderr.
    let ran = Action::local()
        .cwd(repo.path())
        .env("VERCEL_TOKEN", VERCEL_TOKEN)
        .args(&["-q", "--json", "--project", "my-site", "--base", "HEAD~1"])
        .args(&["--vercel-api-url", &vercel.url(), "--max-attempts", "1"])
        .run();
    ran.assert_code(1);
    let json: Value = serde_json::from_str(&ran.stdout).expect("stdout is JSON");
    assert_eq!(json["count"], 0);
    assert_eq!(json["failed"].as_array().map(Vec::len), Some(2));
    assert!(ran.stderr.starts_with("error: "), "{}", ran.stderr);

    // Bad input is an error: printed, exit 2.
    let ran = Action::local().args(&["-q", "--mode", "purge"]).run();
    ran.assert_code(2);
    assert!(ran.stderr.contains("purge"), "{}", ran.stderr);
}

#[test]
fn version_says_the_version_and_the_commit() {
    let ran = Action::local().arg("--version").run();
    ran.assert_code(0);
    let version = env!("CARGO_PKG_VERSION");
    let line = ran.stdout.trim_end();
    let rest = line
        .strip_prefix(&format!("vercel-image-invalidate {version} (commit "))
        .unwrap_or_else(|| panic!("{line}"));
    // The commit the build recorded, or why there is none.
    let commit = rest.strip_suffix(')').expect("closing parenthesis");
    assert!(
        commit.bytes().all(|b| b.is_ascii_hexdigit())
            || commit == "unknown: built without VERCEL_IMAGE_INVALIDATE_COMMIT",
        "{line}"
    );
}
