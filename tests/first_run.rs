//! A first run on a real setup: the answers the real services give when the
//! configuration is wrong, and the mistakes people make on the way in. Each
//! ends with the real cause, the fix, and the documented exit code.

mod common;

use std::sync::Arc;

use common::git::GitRepo;
use common::github::FakeGitHub;
use common::vercel::FakeVercel;
use common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};
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
