//! Change detection for every push shape, from the GitHub API and from local
//! git, on real histories. Each case runs both sources and insists they agree.

#![allow(clippy::print_stderr)] // one test says why it is skipped

use crate::common;
use std::collections::BTreeMap;

use crate::common::git::{GitRepo, git_command};
use crate::common::github::FakeGitHub;
use crate::common::vercel::FakeVercel;
use crate::common::{Action, GITHUB_TOKEN, Ran, VERCEL_TOKEN, ZERO};
use serde_json::json;

/// What a run decided, in a form that two runs can be compared by.
fn verdict(ran: &Ran) -> (Vec<String>, serde_json::Value) {
    (ran.strings("images"), ran.json("skipped"))
}

/// Runs the action on a push from `before` to `after` with the API source and
/// with the git source (on `workspace`, default the repository itself), and
/// checks that both send the same images and skip the same files. Returns the
/// API run.
async fn both(repo: &GitRepo, before: &str, after: &str, extra: &[(&str, &str)]) -> Ran {
    both_in(repo, repo.path(), before, after, extra).await
}

async fn both_in(
    repo: &GitRepo,
    workspace: &std::path::Path,
    before: &str,
    after: &str,
    extra: &[(&str, &str)],
) -> Ran {
    let mut runs = BTreeMap::new();
    for source in ["api", "git"] {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        let vercel = FakeVercel::start(VERCEL_TOKEN).await;
        let mut action = Action::new()
            .against(&github.url(), &vercel.url(), workspace)
            .input("diff-source", source)
            .push(before, after);
        for (name, value) in extra {
            action = action.input(name, value);
        }
        let ran = action.run();
        ran.assert_code(0);
        assert_eq!(
            vercel.images(),
            ran.strings("images"),
            "sent = reported ({source})"
        );
        if source == "git" {
            assert!(
                github.seen().is_empty(),
                "git source asked GitHub: {:?}",
                github.seen()
            );
        }
        runs.insert(source, ran);
    }
    let api = runs.remove("api").expect("api run");
    let git = runs.remove("git").expect("git run");
    assert_eq!(verdict(&api), verdict(&git), "api and git disagree");
    api
}

#[tokio::test]
async fn several_commits_in_one_push_are_their_union_and_a_revert_cancels_out() {
    let repo = GitRepo::new();
    repo.write("public/a.png", "a1")
        .write("public/b.png", "b1")
        .write("public/c.png", "c1");
    let before = repo.commit("base");
    repo.write("public/a.png", "a2").write("public/b.png", "b2");
    repo.commit("change a and b");
    repo.write("public/b.png", "b1").write("public/d.png", "d1");
    let after = repo.commit("revert b, add d");

    let ran = both(&repo, &before, &after, &[]).await;
    assert_eq!(ran.strings("images"), ["/a.png", "/d.png"]);
}

#[tokio::test]
async fn a_change_reverted_within_the_push_leaves_nothing_to_do() {
    let repo = GitRepo::new();
    repo.write("public/a.png", "a1").write("src/x.ts", "1");
    let before = repo.commit("base");
    repo.write("public/a.png", "a2");
    repo.commit("change");
    repo.write("public/a.png", "a1").write("src/x.ts", "2");
    let after = repo.commit("revert");

    let ran = both(&repo, &before, &after, &[]).await;
    assert!(ran.strings("images").is_empty());
    assert_eq!(ran.outputs["requests"], "0");
    assert!(
        ran.summary.contains("No changed image to invalidate"),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn a_force_push_compares_the_old_tip_with_the_new_one() {
    let repo = GitRepo::new();
    repo.write("public/shared.png", "s1")
        .write("public/kept.png", "k");
    let root = repo.commit("root");
    repo.write("public/old-only.png", "old")
        .write("public/shared.png", "s-old");
    let old_tip = repo.commit("old tip");
    repo.git(&["branch", "-q", "keep-old", &old_tip]);
    repo.checkout_new("main", &root);
    repo.write("public/new-only.png", "new")
        .write("public/shared.png", "s-new");
    let new_tip = repo.commit("new tip");

    // Not an ancestor either way: what was live against what will be.
    let ran = both(&repo, &old_tip, &new_tip, &[]).await;
    assert_eq!(
        ran.strings("images"),
        ["/new-only.png", "/old-only.png", "/shared.png"]
    );
    // A full clone of the new history lacks the old tip: it is fetched.
    let clone = repo.full_clone();
    let ran = both_in(&repo, clone.path(), &old_tip, &new_tip, &[]).await;
    assert_eq!(
        ran.strings("images"),
        ["/new-only.png", "/old-only.png", "/shared.png"]
    );
    // A force push back to an ancestor removes what the old tip added.
    let ran = both(&repo, &old_tip, &root, &[]).await;
    assert_eq!(ran.strings("images"), ["/old-only.png", "/shared.png"]);
}

#[tokio::test]
async fn a_new_branch_compares_with_the_first_parent_and_a_first_push_lists_everything() {
    let repo = GitRepo::new();
    repo.write("public/one.png", "1")
        .write("docs/readme.md", "x");
    let root = repo.commit("root");
    let ran = both(&repo, ZERO, &root, &[]).await;
    assert_eq!(
        ran.strings("images"),
        ["/one.png"],
        "a root commit: every file"
    );

    repo.write("public/two.png", "2");
    let second = repo.commit("second");
    let ran = both(&repo, ZERO, &second, &[]).await;
    assert_eq!(
        ran.strings("images"),
        ["/two.png"],
        "against the first parent only"
    );
}

#[tokio::test]
async fn branch_deletion_and_tag_pushes_do_nothing_and_say_why() {
    let repo = GitRepo::new();
    repo.write("public/a.png", "1");
    let sha = repo.commit("one");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let deleted = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&sha, ZERO)
        .run();
    deleted.assert_code(0);
    assert!(
        deleted.summary.starts_with("### ⏭️ Nothing to invalidate"),
        "{}",
        deleted.summary
    );
    assert!(
        deleted.summary.contains("`refs/heads/main` was deleted"),
        "{}",
        deleted.summary
    );

    let tag = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .event(
            "push",
            json!({"ref": "refs/tags/v1.0.0", "before": ZERO, "after": sha, "forced": false}),
        )
        .run();
    tag.assert_code(0);
    assert!(tag.summary.contains("is a tag push"), "{}", tag.summary);

    assert!(vercel.received().is_empty());
    assert!(github.seen().is_empty());
    assert_eq!(tag.outputs["count"], "0");
}

#[tokio::test]
async fn a_pure_rename_invalidates_the_old_and_the_new_path() {
    let repo = GitRepo::new();
    repo.write("public/img/old.png", "same bytes");
    let before = repo.commit("one");
    repo.rename("public/img/old.png", "public/pictures/new.png");
    let after = repo.commit("rename");

    let ran = both(&repo, &before, &after, &[]).await;
    assert_eq!(ran.strings("images"), ["/img/old.png", "/pictures/new.png"]);
    assert!(
        ran.summary.contains("renamed to `public/pictures/new.png`"),
        "{}",
        ran.summary
    );

    // With renames left out of change-types, both sides are skipped, each
    // with its reason.
    let ran = both(
        &repo,
        &before,
        &after,
        &[("change-types", "added,modified,removed")],
    )
    .await;
    assert!(ran.strings("images").is_empty());
    assert_eq!(ran.json("skipped").as_array().map(Vec::len), Some(2));
    assert_eq!(
        ran.json("skipped")[0]["reason"],
        "`renamed` is not in change-types"
    );
}

#[tokio::test]
async fn a_file_turned_into_a_symlink_or_a_submodule_is_skipped() {
    let repo = GitRepo::new();
    repo.write("public/link.png", "image")
        .write("public/module.png", "image")
        .write("public/real.png", "r");
    let before = repo.commit("one");
    repo.symlink("public/link.png", "real.png");
    repo.submodule("public/module.png", &before);
    let after = repo.commit("types change");

    let ran = both(&repo, &before, &after, &[]).await;
    assert!(ran.strings("images").is_empty());
    assert_eq!(
        ran.json("skipped"),
        json!([
            {"path": "public/link.png", "reason": "a symbolic link, not an image file"},
            {"path": "public/module.png", "reason": "a submodule, not an image file"}
        ])
    );
}

#[tokio::test]
async fn awkward_file_names_come_through_intact() {
    let repo = GitRepo::new();
    repo.write("README.md", "x");
    let before = repo.commit("one");
    let names = [
        "public/with space.png",
        "public/\"quoted\".png",
        "public/it's.png",
        "public/new\nline.png",
        "public/ünïcødé 日本.png",
        "public/tab\there.png",
        "public/a|b.png",
        "public/%0A.png",
    ];
    for name in names {
        repo.write(name, name);
    }
    let after = repo.commit("awkward");

    let ran = both(&repo, &before, &after, &[]).await;
    // Each name as written, and percent-encoded where that changes it: a
    // page may use either spelling. The images count once each.
    let mut expected: Vec<String> = [
        "/with space.png",
        "/with%20space.png",
        "/\"quoted\".png",
        "/%22quoted%22.png",
        "/it's.png",
        "/new\nline.png",
        "/new%0Aline.png",
        "/ünïcødé 日本.png",
        "/%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%E6%97%A5%E6%9C%AC.png",
        "/tab\there.png",
        "/tab%09here.png",
        "/a|b.png",
        "/a%7Cb.png",
        "/%0A.png",
        "/%250A.png",
    ]
    .map(String::from)
    .to_vec();
    expected.sort();
    assert_eq!(ran.strings("images"), expected);
    assert_eq!(ran.outputs["count"], names.len().to_string());
}

#[tokio::test]
async fn a_shallow_checkout_fetches_the_missing_base_commit() {
    let repo = GitRepo::new();
    repo.write("public/a.png", "1").write("public/b.png", "1");
    let before = repo.commit("one");
    repo.write("public/a.png", "2");
    repo.commit("two");
    repo.write("public/b.png", "2");
    let after = repo.commit("three");
    let checkout = repo.shallow_clone(&after);

    let ran = both_in(&repo, checkout.path(), &before, &after, &[]).await;
    assert_eq!(ran.strings("images"), ["/a.png", "/b.png"]);

    // A new branch in a shallow clone: the parent is fetched too.
    let fresh = repo.shallow_clone(&after);
    let ran = both_in(&repo, fresh.path(), ZERO, &after, &[]).await;
    assert_eq!(ran.strings("images"), ["/b.png"]);
}

#[tokio::test]
async fn a_shallow_checkout_that_cannot_fetch_says_how_to_fix_the_checkout() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let checkout = repo.shallow_clone(&after);
    common::git::git_in(
        checkout.path(),
        &["remote", "set-url", "origin", "file:///nonexistent/repo"],
    );
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against("http://127.0.0.1:9", &vercel.url(), checkout.path())
        .input("diff-source", "git")
        .push(&before, &after)
        .run();
    ran.assert_code(2);
    assert!(ran.stdout.contains("fetch-depth: 0"), "{}", ran.stdout);
    assert!(ran.summary.contains("fetch-depth"), "{}", ran.summary);
    assert!(vercel.received().is_empty());
    // git's own message, line by line: never a literal `\n`.
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("fatal:")),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("\\n"), "{}", ran.stdout);
    assert!(!ran.summary.contains("\\n"), "{}", ran.summary);
}

#[tokio::test]
async fn a_full_clone_whose_fetch_fails_could_not_read_the_changes() {
    // A force push: the old tip lives on another branch, which a clone of
    // `main` lacks, and `origin` cannot be reached to fetch it.
    let repo = GitRepo::new();
    repo.write("public/a.png", "1");
    let base = repo.commit("one");
    repo.checkout_new("old", &base);
    repo.write("public/a.png", "old");
    let before = repo.commit("old tip");
    repo.checkout_new("main", &base);
    repo.write("public/a.png", "2");
    let after = repo.commit("new tip");
    let checkout = repo.full_clone();
    common::git::git_in(
        checkout.path(),
        &["remote", "set-url", "origin", "file:///nonexistent/repo"],
    );
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against("http://127.0.0.1:9", &vercel.url(), checkout.path())
        .input("diff-source", "git")
        .input("fail-on-error", "false")
        .push(&before, &after)
        .run();
    // Not a checkout setting to fix: the changes could not be read.
    ran.assert_code(1);
    assert!(
        ran.stdout
            .contains(&format!("commit {before} is not in this clone")),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("fetch-depth"), "{}", ran.stdout);
    assert!(vercel.received().is_empty());
}

#[test]
fn a_revision_beyond_a_shallow_clone_is_named_as_such_with_the_fix() {
    let repo = GitRepo::new();
    for n in 0..6 {
        repo.write("public/a.png", &n.to_string());
        repo.commit(&format!("commit {n}"));
    }
    let head = repo.head();
    let checkout = repo.shallow_clone(&head);
    let ran = Action::local()
        .cwd(checkout.path())
        .args(&["--dry-run", "--base", "HEAD~5"])
        .run();
    ran.assert_code(2);
    assert!(
        ran.stderr
            .contains("`HEAD~5` is not in this shallow clone: it holds only 1 commit(s)"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("fetch-depth: 0"), "{}", ran.stderr);
    assert!(ran.stderr.contains("diff-source: api"), "{}", ran.stderr);
    assert!(
        !ran.stderr.contains("does not name a commit"),
        "{}",
        ran.stderr
    );
}

#[tokio::test]
async fn a_workspace_owned_by_another_user_is_still_read() {
    // Inside a container action the checkout belongs to the runner's user,
    // not to root; git refuses such a repository unless told it is safe.
    // git's own switch makes it treat the repository as another user's,
    // whoever runs the tests.
    const ANOTHER_OWNER: (&str, &str) = ("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1");
    let (repo, before, after) = GitRepo::one_image_changed();
    // Plain git refuses it...
    let refused = git_command(repo.path())
        .args(["rev-parse", "HEAD"])
        .env(ANOTHER_OWNER.0, ANOTHER_OWNER.1)
        .output()
        .expect("git runs");
    assert!(
        !refused.status.success()
            && String::from_utf8_lossy(&refused.stderr).contains("dubious ownership"),
        "git should refuse a repository of another user: {refused:?}"
    );
    // ...and the action reads it.
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = Action::new()
        .against("http://127.0.0.1:9", &vercel.url(), repo.path())
        .input("diff-source", "git")
        .env(ANOTHER_OWNER.0, ANOTHER_OWNER.1)
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/a.png"]);
}

#[tokio::test]
async fn manual_runs_take_explicit_images_or_commits_or_say_which_input_to_set() {
    let repo = GitRepo::new();
    repo.write("public/a.png", "1").write("public/b.png", "1");
    let first = repo.commit("one");
    repo.write("public/a.png", "2");
    let second = repo.commit("two");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let dispatch = || {
        Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .env("GITHUB_SHA", &second)
            .event(
                "workflow_dispatch",
                json!({"inputs": {}, "ref": "refs/heads/main"}),
            )
    };

    let images = dispatch()
        .input("images", "/b.png\n/hero image.png\n")
        .run();
    images.assert_code(0);
    assert_eq!(vercel.images(), ["/b.png", "/hero image.png"]);
    assert!(github.seen().is_empty(), "explicit images need no diff");

    let commits = dispatch()
        .input("base", &first)
        .input("head", &second)
        .run();
    commits.assert_code(0);
    assert_eq!(commits.strings("images"), ["/a.png"]);

    let by_ref = dispatch().input("base", "main~1").run();
    by_ref.assert_code(0);
    assert_eq!(by_ref.strings("images"), ["/a.png"]);

    let before = vercel.received().len();
    let neither = dispatch().run();
    neither.assert_code(2);
    assert!(
        neither.stdout.contains("set the `images` input"),
        "{}",
        neither.stdout
    );
    assert_eq!(vercel.received().len(), before, "nothing sent");
}

#[tokio::test]
async fn local_use_reads_git_and_prints_the_summary_to_the_terminal() {
    let repo = GitRepo::new();
    repo.write("public/a.png", "1");
    repo.commit("one");
    repo.write("public/a.png", "2")
        .write("public/new photo.png", "n");
    repo.commit("two");

    let ran = Action::local()
        .args(&["--dry-run", "--base", "HEAD~1"])
        .cwd(repo.path())
        .run();
    ran.assert_code(0);
    assert!(
        ran.stdout
            .starts_with("Dry run: 2 images would be invalidated\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "  send     /new photo.png + /new%20photo.png  <- public/new photo.png (added)"
        )
    );
    assert!(
        !ran.stdout.contains("::"),
        "no workflow commands on a terminal"
    );
    assert!(ran.summary.is_empty() && ran.outputs_raw.is_empty());

    let neither = Action::local().arg("--dry-run").cwd(repo.path()).run();
    neither.assert_code(2);
    assert!(neither.stderr.contains("--base"), "{}", neither.stderr);
}

#[tokio::test]
async fn five_thousand_images_are_all_invalidated_in_two_github_requests() {
    let repo = GitRepo::new();
    repo.write("README.md", "x");
    let before = repo.commit("one");
    repo.write_many((0..5000).map(|i| {
        (
            format!("public/bulk/{:02}/{i:05}.webp", i % 50),
            format!("{i}"),
        )
    }));
    let after = repo.commit("bulk");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("concurrency", "32")
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images().len(), 5000);
    assert_eq!(vercel.valid().len(), 625);
    assert_eq!(ran.outputs["count"], "5000");
    assert_eq!(ran.outputs["requests"], "625");
    assert_eq!(github.seen().len(), 2);
    assert!(ran.summary.len() < 1024 * 1024);
}

#[tokio::test]
async fn a_truncated_tree_is_compared_folder_by_folder_under_the_public_dirs_only() {
    let repo = GitRepo::new();
    repo.write_many((0..60).map(|i| (format!("src/module{i}/index.ts"), "x".to_string())));
    repo.write_many((0..50).map(|i| (format!("public/static/{i}.png"), "x".to_string())));
    repo.write("public/img/a.png", "1")
        .write("src/module1/logo.png", "1");
    let before = repo.commit("one");
    repo.write("public/img/a.png", "2")
        .write("public/img/deep/b.png", "new")
        .write("src/module1/logo.png", "2");
    let after = repo.commit("two");
    // Listings of more than 40 entries come back truncated.
    let github = FakeGitHub::start_with_limit(repo.path(), GITHUB_TOKEN, 40).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/img/a.png", "/img/deep/b.png"]);
    // Root: recursive (truncated) + one level, for both commits; `public`
    // likewise (its 50 static files + img keep it over the limit); then
    // `public/img` recursively. `src` and `public/static` are never listed.
    let paths: Vec<String> = github
        .seen()
        .iter()
        .map(|s| format!("{}?{}", s.path, s.query))
        .collect();
    assert_eq!(paths.len(), 10, "{paths:#?}");
    assert!(ran.summary.contains("truncated"), "{}", ran.summary);
    assert!(
        ran.summary
            .contains("outside the public dirs were not listed"),
        "{}",
        ran.summary
    );
}
