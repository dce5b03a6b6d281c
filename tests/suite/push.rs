//! End to end: a push event in, invalidation requests and a job summary out.

use crate::common;
use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::vercel::{FakeVercel, INVALIDATE};
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};

/// A repository whose second commit touches every kind of file.
fn mixed_history() -> (GitRepo, String, String) {
    let repo = GitRepo::new();
    repo.write("public/images/hero.png", "hero v1")
        .write("public/images/old-name.jpg", "logo")
        .write("public/images/gone.webp", "gone")
        .write("public/styles.css", "body{}")
        .write("src/assets/inline.png", "inline v1")
        .write("README.md", "hello");
    let before = repo.commit("first");
    repo.write("public/images/hero.png", "hero v2")
        .write("public/images/new.avif", "new")
        .write("public/photos/my photo é.jpg", "spaced")
        .write("public/images/UPPER.PNG", "upper")
        .remove("public/images/gone.webp")
        .rename("public/images/old-name.jpg", "public/images/new-name.jpg")
        .write("public/styles.css", "body{color:red}")
        .write("src/assets/inline.png", "inline v2")
        .write("README.md", "hello again");
    let after = repo.commit("second");
    (repo, before, after)
}

#[tokio::test]
async fn a_mixed_push_sends_exactly_the_changed_public_images() {
    let (repo, before, after) = mixed_history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&before, &after)
        .run();
    ran.assert_code(0);

    let expected = [
        "/images/UPPER.PNG",
        "/images/gone.webp",
        "/images/hero.png",
        "/images/new-name.jpg",
        "/images/new.avif",
        "/images/old-name.jpg",
        "/photos/my photo é.jpg",
        // The same image as a page that percent-encodes its name requests it.
        "/photos/my%20photo%20%C3%A9.jpg",
    ];
    assert_eq!(vercel.images(), expected);
    for request in vercel.valid() {
        assert_eq!(request.path, INVALIDATE);
        assert_eq!(
            request.query.get("projectIdOrName").map(String::as_str),
            Some("my-site")
        );
        assert!(!request.query.contains_key("teamId"));
    }
    assert_eq!(vercel.valid().len(), 1, "8 paths fit in one request");

    assert_eq!(ran.strings("images"), expected);
    assert_eq!(ran.strings("failed"), Vec::<String>::new());
    assert_eq!(ran.outputs["count"], "7");
    assert_eq!(ran.outputs["requests"], "1");
    let skipped = ran.json("skipped");
    assert_eq!(
        skipped,
        serde_json::json!([{"path": "src/assets/inline.png", "reason": "outside the public dir `public`"}])
    );

    assert!(
        ran.summary.starts_with("### ✅ 7 images invalidated\n"),
        "{}",
        ran.summary
    );
    assert!(ran.summary.contains("`/photos/my photo é.jpg`"));
    assert!(ran.summary.contains(&format!(
        "https://github.com/acme/site/compare/{before}..{after}"
    )));
    assert!(
        ran.summary
            .contains("renamed from `public/images/old-name.jpg`")
    );
    assert!(
        ran.summary
            .contains("2 other changed files not matching `include`")
    );
    assert!(ran.stdout.contains("::group::"));
    assert!(
        ran.stdout
            .contains("::warning::1 changed image(s) are outside the public dir"),
        "{}",
        ran.stdout
    );
    // Two tree listings, whatever the number of files.
    assert_eq!(github.seen().len(), 2, "{:?}", github.seen());
}

#[tokio::test]
async fn twenty_images_go_as_eight_eight_and_four() {
    let repo = GitRepo::new();
    repo.write("README.md", "x");
    let before = repo.commit("first");
    for i in 0..20 {
        repo.write(&format!("public/gallery/{i:02}.png"), &format!("image {i}"));
    }
    let after = repo.commit("gallery");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("concurrency", "1")
        .push(&before, &after)
        .run();
    ran.assert_code(0);

    let sizes: Vec<usize> = vercel.valid().iter().map(|r| r.images.len()).collect();
    assert_eq!(sizes, [8, 8, 4]);
    let expected: Vec<String> = (0..20).map(|i| format!("/gallery/{i:02}.png")).collect();
    assert_eq!(vercel.images(), expected);
    assert_eq!(ran.outputs["requests"], "3");
    assert_eq!(ran.outputs["count"], "20");
}

#[tokio::test]
async fn team_id_and_slug_are_sent_and_delete_mode_uses_its_endpoint() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("team-id", "team_abc123")
        .input("team-slug", "acme")
        .push(&before, &after)
        .run()
        .assert_code(0);
    Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("mode", "delete")
        .input("revalidation-deadline-seconds", "120")
        .push(&before, &after)
        .run()
        .assert_code(0);

    let requests = vercel.valid();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].query.get("teamId").map(String::as_str),
        Some("team_abc123")
    );
    assert_eq!(
        requests[0].query.get("slug").map(String::as_str),
        Some("acme")
    );
    assert_eq!(
        requests[0].body,
        serde_json::json!({"srcImages": ["/a.png"]})
    );
    assert_eq!(requests[1].path, common::vercel::DELETE);
    assert_eq!(
        requests[1].body,
        serde_json::json!({"srcImages": ["/a.png"], "revalidationDeadlineSeconds": 120})
    );
}

#[tokio::test]
async fn a_dry_run_sends_nothing_and_needs_no_vercel_token() {
    let (repo, before, after) = mixed_history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .env("GITHUB_API_URL", &github.url())
        .input("vercel-api-url", &vercel.url())
        .input("dry-run", "true")
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert!(vercel.received().is_empty());
    // 7 images, one of them under two spellings.
    assert_eq!(ran.strings("images").len(), 8);
    assert_eq!(ran.outputs["count"], "7");
    assert_eq!(ran.outputs["requests"], "0");
    assert!(
        ran.summary
            .starts_with("### 🧪 Dry run: 7 images would be invalidated"),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn a_push_without_images_sends_nothing_and_says_so() {
    let repo = GitRepo::new();
    repo.write("src/main.ts", "a")
        .write("public/robots.txt", "x");
    let before = repo.commit("first");
    repo.write("src/main.ts", "b")
        .write("public/robots.txt", "y");
    let after = repo.commit("second");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert!(vercel.received().is_empty());
    assert!(
        ran.summary
            .starts_with("### ⏭️ No changed image to invalidate"),
        "{}",
        ran.summary
    );
    assert!(
        ran.summary
            .contains("2 other changed files not matching `include`")
    );
    assert_eq!(ran.outputs["images"], "[]");
    assert_eq!(ran.outputs["count"], "0");
    assert_eq!(ran.outputs["requests"], "0");
}

#[tokio::test]
async fn url_prefix_and_several_public_dirs_map_paths() {
    let repo = GitRepo::new();
    repo.write("README.md", "x");
    let before = repo.commit("first");
    repo.write("apps/web/public/img/a.png", "a")
        .write("apps/web/static/b.png", "b")
        .write("apps/docs/public/c.png", "c");
    let after = repo.commit("second");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("public-dir", "apps/web/public\napps/web/static\n")
        .input("url-prefix", "/docs/")
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/docs/b.png", "/docs/img/a.png"]);
    assert_eq!(ran.json("skipped")[0]["path"], "apps/docs/public/c.png");
}

#[tokio::test]
async fn tokens_never_appear_in_anything_the_run_writes() {
    let (repo, before, after) = mixed_history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        std::sync::Arc::new(|_, _, _| common::vercel::error(500, "internal", "boom")),
    )
    .await;

    for debug in ["0", "1"] {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .env("RUST_LOG", "trace")
            .env("RUNNER_DEBUG", debug)
            .fast_retries()
            .arg("--verbose")
            .push(&before, &after)
            .run();
        ran.assert_code(1);
        // The masking commands come first and are the only place the
        // tokens may be printed (the runner consumes them).
        assert_eq!(
            ran.masks(),
            [
                format!("::add-mask::{VERCEL_TOKEN}"),
                format!("::add-mask::{GITHUB_TOKEN}")
            ]
        );
        let rest = ran.unmasked();
        for token in [VERCEL_TOKEN, GITHUB_TOKEN] {
            assert!(!rest.contains(token), "token leaked:\n{rest}");
            assert!(!rest.contains(&token[4..]), "part of a token leaked");
        }
    }
    // The token did reach the API, as a bearer token.
    let requests = vercel.received();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {VERCEL_TOKEN}")))
    );
}

#[tokio::test]
async fn github_enterprise_api_urls_keep_their_path() {
    let (repo, before, after) = mixed_history();
    let github = FakeGitHub::start_enterprise(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = Action::new()
        .against(
            &format!("{}/api/v3", github.url()),
            &vercel.url(),
            repo.path(),
        )
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(
        vercel.images().len(),
        8,
        "7 images, one under two spellings"
    );
    assert_eq!(github.seen().len(), 2);
}
