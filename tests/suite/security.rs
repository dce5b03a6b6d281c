//! Hostile file names and secrets: nothing printed can start a workflow
//! command, the summary shows names literally, the images are still
//! invalidated under their real paths, and no token appears anywhere.

use std::sync::Arc;

use wiremock::ResponseTemplate;

use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::markdown::{tags, to_html};
use crate::common::runner::commands;
use crate::common::vercel::{FakeVercel, error};
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};

const HOSTILE: &[&str] = &[
    "a\n::error::x.png",
    "a|b.png",
    "<img src=x onerror=alert(1)>.png",
    "%0A.png",
    "x ##[error]y.png",
    "::warning::w.png",
    "`tick` and ``two``.png",
    "*bold* [link](javascript:alert(1)).png",
    "</td></tr></table><script>x</script>.png",
    "&amp; &lt;.png",
];

#[tokio::test]
async fn hostile_names_are_invalidated_under_their_real_paths_and_start_nothing() {
    let repo = GitRepo::new();
    repo.write("README.md", "x");
    let before = repo.commit("one");
    for name in HOSTILE {
        repo.write(&format!("public/{name}"), name);
    }
    // And one outside the public dir, so that a warning names it.
    repo.write("assets/::error::evil\n##[warning]x.png", "x");
    let after = repo.commit("hostile");

    for source in ["api", "git"] {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        let vercel = FakeVercel::start(VERCEL_TOKEN).await;
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .input("diff-source", source)
            .push(&before, &after)
            .run();
        ran.assert_code(0);

        // Each name as written, and its percent-encoded spelling where that
        // differs (a page may use either).
        let mut expected: Vec<String> = HOSTILE
            .iter()
            .flat_map(|n| vercel_image_invalidate::site::spellings(&format!("/{n}")))
            .collect();
        expected.sort();
        assert_eq!(
            expected.len(),
            HOSTILE.len() * 2 - 1,
            "every name but `::warning::w.png` has a second spelling"
        );
        assert_eq!(vercel.images(), expected, "{source}");
        assert_eq!(ran.strings("images"), expected, "{source}");

        // The log: only the commands the action itself issues.
        let seen = commands(&ran.stdout);
        let names: Vec<&str> = seen.iter().map(|c| c.name.as_str()).collect();
        for name in &names {
            assert!(
                ["add-mask", "group", "endgroup", "debug", "warning"].contains(name),
                "{source}: unexpected command {name}: {seen:#?}"
            );
        }
        let warnings: Vec<_> = seen.iter().filter(|c| c.name == "warning").collect();
        assert_eq!(warnings.len(), 1, "{source}: {seen:#?}");
        assert!(
            warnings[0]
                .data
                .contains("assets/::error::evil\\n##[warning]x.png")
        );
        // Every hostile name is still readable in the log.
        assert!(ran.stdout.contains("/x ##[error]y.png"), "{source}");

        // The summary renders the names as text: no tag comes from a name.
        let html = to_html(&ran.summary);
        for tag in tags(&html) {
            assert!(
                [
                    "h3", "/h3", "p", "/p", "strong", "/strong", "code", "/code", "a", "/a",
                    "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr", "/tr", "th",
                    "/th", "td", "/td", "br", "br/", "details", "/details", "summary", "/summary",
                    "em", "/em"
                ]
                .contains(&tag.as_str()),
                "{source}: tag <{tag}> in\n{html}"
            );
        }
        assert!(
            html.contains("<code>public/&lt;img src=x onerror=alert(1)&gt;.png</code>"),
            "{html}"
        );
        assert!(html.contains("<code>public/a|b.png</code>"), "{html}");
        assert!(
            html.contains("<code>public/a\\n::error::x.png</code>"),
            "{html}"
        );
        // One row per image: the table kept its shape.
        assert_eq!(
            html.matches("<tr>").count(),
            HOSTILE.len() + 2,
            "{source}: header + rows + skipped"
        );
        for row in html.split("<tr>").skip(2) {
            assert_eq!(row.matches("<td").count(), 4, "{source}: {row}");
        }
    }
}

#[tokio::test]
async fn tokens_stay_out_of_every_output_even_when_an_api_echoes_them() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    // A proxy that quotes the Authorization header back in its error.
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|request, _, _| {
            let echoed = request.authorization.clone().unwrap_or_default();
            error(401, "forbidden", &format!("invalid credentials: {echoed}"))
        }),
    )
    .await;

    for (rust_log, runner_debug) in [("trace", "1"), ("debug", "0")] {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .env("RUST_LOG", rust_log)
            .env("RUNNER_DEBUG", runner_debug)
            .arg("--verbose")
            .push(&before, &after)
            .run();
        ran.assert_code(1);
        assert!(
            ran.summary
                .contains("invalid credentials\\: Bearer \\*\\*\\*"),
            "{}",
            ran.summary
        );
        let everything = ran.everything();
        let unmasked: Vec<&str> = everything
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .collect();
        for token in [VERCEL_TOKEN, GITHUB_TOKEN] {
            assert!(
                !unmasked.iter().any(|l| l.contains(token)),
                "{token} leaked"
            );
        }
    }

    // On a terminal nothing masks, so nothing may be printed at all.
    let local = Action::local()
        .env("VERCEL_TOKEN", VERCEL_TOKEN)
        .args(&[
            "--project",
            "my-site",
            "--images",
            "/a.png",
            "--vercel-api-url",
            &vercel.url(),
            "--verbose",
        ])
        .run();
    local.assert_code(1);
    assert!(
        !local.everything().contains(VERCEL_TOKEN),
        "{}",
        local.everything()
    );
    assert!(!local.stdout.contains("add-mask") && !local.stderr.contains("add-mask"));
}

#[tokio::test]
async fn vercel_answers_are_read_bounded_and_a_token_they_cut_never_shows_in_part() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    // 16 KiB are read: blanks (trimmed before the excerpt is cut), then the
    // echoed `Bearer <token>` cut after 8 and after 20 of its characters,
    // and a body whose words all lie past the limit.
    for blanks in [16_384 - 7 - 8, 16_384 - 7 - 20, 30_000] {
        let vercel = FakeVercel::scripted(
            VERCEL_TOKEN,
            Arc::new(move |request, _, _| {
                let echoed = request.authorization.clone().unwrap_or_default();
                ResponseTemplate::new(401)
                    .set_body_string(format!("{}{echoed} past-the-limit", " ".repeat(blanks)))
            }),
        )
        .await;
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .push(&before, &after)
            .run();
        ran.assert_code(1);
        assert!(ran.summary.contains("Unauthorized"), "{}", ran.summary);
        let everything = ran.everything();
        let shown: Vec<&str> = everything
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .collect();
        for part in [&VERCEL_TOKEN[..8], "past-the-limit"] {
            assert!(
                !shown.iter().any(|l| l.contains(part)),
                "{blanks}: {part} shown:\n{everything}"
            );
        }
    }
}

#[tokio::test]
async fn a_token_given_as_a_flag_is_masked_before_anything_is_printed() {
    let ran = Action::new()
        .args(&["--vercel-token", VERCEL_TOKEN, "--mode", "nope"])
        .event("workflow_dispatch", serde_json::json!({}))
        .run();
    ran.assert_code(2);
    let first = ran.stdout.lines().next().unwrap_or_default();
    assert_eq!(first, format!("::add-mask::{VERCEL_TOKEN}"));
}

/// The runner model itself reads commands as the runner does (the tests
/// above rely on it to catch an injected command).
fn names(log: &str) -> Vec<String> {
    commands(log).into_iter().map(|c| c.name).collect()
}

#[test]
fn names_match_in_any_case_in_both_syntaxes() {
    assert_eq!(
        names("::ERROR::a\n  ::Add-Mask::b\nx ##[Warning]c\n::nope::d\n::debug title::e"),
        ["error", "add-mask", "legacy warning", "debug"]
    );
}

#[test]
fn stop_commands_resume_only_on_their_token_as_the_runner_reads_it() {
    let log = "::stop-commands::TokEn1\n::error::hidden\n##[error]hidden\n::other::x\n  ::TOKEN1 p=1::\n::warning::seen";
    assert_eq!(names(log), ["warning"]);
    let legacy = "::stop-commands::t2\n::error::hidden\nx ##[T2]\n::error::seen";
    assert_eq!(names(legacy), ["error"]);
    let never = "::stop-commands::\n::error::hidden\n::::\n::error::hidden";
    assert!(names(never).is_empty());
    let case = "::STOP-COMMANDS::t3\n::error::hidden\n::t3::\n::notice::seen";
    assert_eq!(names(case), ["notice"]);
}
