//! The runner's own limits, end to end: GitHub keeps at most 1 MB of a job's
//! outputs, counted as UTF-16 (500,000 code units), 4,096 characters of an annotation and 10 annotations
//! of a level a step. Nothing is lost to them: the whole result is in the
//! report file, a cut annotation says where the rest is, and annotations past
//! the ninth are folded into one.

use crate::common;
use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::runner::commands;
use crate::common::vercel::FakeVercel;
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};
use serde_json::{Value, json};

const OUTPUTS_LIMIT: usize = 500_000;
const ANNOTATION_LIMIT: usize = 4096;

fn utf16(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The annotations of one level (`error`, `warning`) the runner would make.
fn annotations(ran: &common::Ran, level: &str) -> Vec<common::runner::Command> {
    commands(&ran.stdout)
        .into_iter()
        .filter(|c| c.name == level)
        .collect()
}

/// A manual dry run with these inputs.
fn dry_run(inputs: &[(&str, &str)]) -> Action {
    let mut action = Action::new()
        .event("workflow_dispatch", json!({}))
        .input("dry-run", "true");
    for (name, value) in inputs {
        action = action.input(name, value);
    }
    action
}

fn report_file(ran: &common::Ran) -> Value {
    assert!(
        ran.outputs.contains_key("report-file"),
        "{:?}",
        ran.outputs.keys()
    );
    let text = ran.report_file.as_ref().expect("the report file is there");
    serde_json::from_str(text).expect("the report file is JSON")
}

#[tokio::test]
async fn a_result_too_large_for_the_outputs_is_cut_and_the_report_file_has_it_all() {
    // 200 paths of 6,000 characters: 1.2 MB of `images`, given as flags of
    // 20 paths each (a variable or an argument holds at most 128 KiB).
    let images: Vec<String> = (0..200)
        .map(|n| format!("/big/{n:03}-{}.png", "x".repeat(5990)))
        .collect();
    let mut action = dry_run(&[]).runner_temp();
    for chunk in images.chunks(20) {
        action = action.arg("--images").arg(&chunk.join("\n"));
    }
    let ran = action.run();
    ran.assert_code(0);

    let total: usize = ran.outputs.iter().map(|(k, v)| utf16(k) + utf16(v)).sum();
    assert!(total <= OUTPUTS_LIMIT, "{total} UTF-16 units of outputs");
    let listed = ran.strings("images");
    assert!(
        !listed.is_empty() && listed.len() < images.len(),
        "{}",
        listed.len()
    );
    assert_eq!(listed[..], images[..listed.len()]);
    assert_eq!(ran.outputs["count"], "200");

    let whole = report_file(&ran);
    let all: Vec<&str> = whole["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|v| v.as_str().expect("a path"))
        .collect();
    assert_eq!(all, images);
    assert_eq!(whole["count"], 200);

    let said = format!(
        "the output `images` lists the first {} of 200 entries",
        listed.len()
    );
    assert!(ran.summary.contains(&said), "{}", &ran.summary[..2000]);
    assert!(ran.summary.contains(&ran.outputs["report-file"]));
    let warnings = annotations(&ran, "warning");
    assert!(
        warnings.iter().any(|w| w.data.contains(&said)),
        "{warnings:#?}"
    );
}

#[tokio::test]
async fn every_run_in_actions_leaves_the_whole_result_for_later_steps() {
    let repo = GitRepo::new();
    repo.write("README.md", "x");
    let before = repo.commit("one");
    repo.write("public/a.png", "a").write("assets/b.png", "b");
    let after = repo.commit("two");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let ran = Action::new()
        .runner_temp()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    let whole = report_file(&ran);
    for output in ["images", "failed", "skipped"] {
        assert_eq!(whole[output], ran.json(output), "{output}");
    }
    assert_eq!(whole["count"].to_string(), ran.outputs["count"]);
    assert_eq!(whole["requests"].to_string(), ran.outputs["requests"]);
    let text = ran.report_file.as_deref().unwrap_or_default();
    assert!(!text.contains(VERCEL_TOKEN) && !text.contains(GITHUB_TOKEN));
}

#[tokio::test]
async fn a_long_error_is_cut_at_a_line_and_the_summary_has_it_all() {
    let bad: Vec<String> = (0..300).map(|n| format!("not-a-path-{n:03}.png")).collect();
    let ran = dry_run(&[("images", &bad.join("\n"))]).run();
    ran.assert_code(2);
    let errors = annotations(&ran, "error");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let message = &errors[0].data;
    assert!(utf16(message) <= ANNOTATION_LIMIT, "{}", utf16(message));
    assert!(
        message.ends_with("\n... (see the job summary)"),
        "{message}"
    );
    assert!(
        message.starts_with("300 inputs are not valid:"),
        "{message}"
    );
    for line in message.lines() {
        assert!(
            line.starts_with("300 inputs")
                || line.starts_with("  - input `images`")
                || line.starts_with("... ("),
            "a line was cut inside: {line}"
        );
    }
    for name in &bad {
        assert!(
            ran.summary.contains(name.as_str()),
            "{name} not in the summary"
        );
    }
}

#[tokio::test]
async fn warnings_past_the_ninth_are_folded_into_one_annotation() {
    // Each include line with a comma outside braces earns a warning.
    let include: Vec<String> = (0..14).map(|n| format!("public/{n},x.png")).collect();
    let ran = dry_run(&[("images", "/a.png"), ("include", &include.join("\n"))]).run();
    ran.assert_code(0);
    let warnings = annotations(&ran, "warning");
    assert_eq!(warnings.len(), 10, "{warnings:#?}");
    assert!(
        warnings[9].data.starts_with("5 more warnings"),
        "{warnings:#?}"
    );
    for line in &include[9..] {
        assert!(warnings[9].data.contains(line.as_str()), "{line}");
    }
    // Every warning is in the job summary, folded or not.
    for line in &include {
        assert!(
            ran.summary.contains(line.as_str()),
            "{line}: {}",
            ran.summary
        );
    }
}
