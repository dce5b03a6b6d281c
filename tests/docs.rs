//! The documentation agrees with the product: the README's input and output
//! tables are `action.yml`'s, word for word, and every input is a flag. Also
//! renders an example job summary for the README's picture.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::git::GitRepo;
use common::github::FakeGitHub;
use common::vercel::{FakeVercel, error};
use common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};
use serde_norway::Value;
use wiremock::ResponseTemplate;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("file")
}

/// The rows of the Markdown table between `<!-- {marker}:start -->` and
/// `<!-- {marker}:end -->`, header and rule left out, cells trimmed.
fn table(readme: &str, marker: &str) -> Vec<Vec<String>> {
    let start = readme
        .find(&format!("<!-- {marker}:start -->"))
        .unwrap_or_else(|| panic!("{marker} start marker"));
    let end = readme
        .find(&format!("<!-- {marker}:end -->"))
        .unwrap_or_else(|| panic!("{marker} end marker"));
    readme[start..end]
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

fn action() -> Value {
    serde_norway::from_str(&read("action.yml")).expect("action.yml is YAML")
}

fn code_or_empty(value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        format!("`{value}`")
    }
}

#[test]
fn the_readme_inputs_table_is_action_yml() {
    let action = action();
    let expected: Vec<Vec<String>> = action["inputs"]
        .as_mapping()
        .expect("inputs")
        .iter()
        .map(|(name, spec)| {
            let name = name.as_str().expect("name");
            vec![
                format!("`{name}`"),
                code_or_empty(spec["default"].as_str().unwrap_or_default()),
                spec["description"]
                    .as_str()
                    .expect("description")
                    .trim()
                    .to_string(),
            ]
        })
        .collect();
    assert_eq!(table(&read("README.md"), "inputs-table"), expected);
}

#[test]
fn the_readme_outputs_table_is_action_yml() {
    let action = action();
    let expected: Vec<Vec<String>> = action["outputs"]
        .as_mapping()
        .expect("outputs")
        .iter()
        .map(|(name, spec)| {
            let name = name.as_str().expect("name");
            vec![
                format!("`{name}`"),
                spec["description"]
                    .as_str()
                    .expect("description")
                    .trim()
                    .to_string(),
            ]
        })
        .collect();
    assert_eq!(table(&read("README.md"), "outputs-table"), expected);
}

#[test]
fn action_yml_declares_exactly_the_inputs_the_binary_reads() {
    let declared: Vec<String> = common::action_inputs().into_keys().collect();
    let mut known: Vec<String> = vercel_image_invalidate::args::INPUT_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    known.sort();
    let mut declared_sorted = declared.clone();
    declared_sorted.sort();
    assert_eq!(declared_sorted, known);
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("docker"));
    for output in ["images", "failed", "skipped", "count", "requests"] {
        assert!(action["outputs"][output].is_mapping(), "output {output}");
    }
}

#[test]
fn the_readme_test_command_is_what_ci_runs() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    assert!(readme.contains("cargo test --locked"));
    assert!(ci.contains("\ncargo test --locked\n"), "{ci}");
}

/// A run with a bit of everything, rendered to `target/tmp/summary-example.md`
/// and `.html` for `docs/screenshot.sh`.
#[tokio::test]
async fn an_example_summary_renders() {
    let repo = GitRepo::new();
    repo.write("public/images/hero.png", "hero 1")
        .write("public/images/team/alice.jpg", "alice 1")
        .write("public/images/logo-old.svg", "logo")
        .write("public/images/banner.webp", "banner")
        .write("README.md", "x");
    let before = repo.commit("one");
    repo.write("public/images/hero.png", "hero 2")
        .write("public/images/team/bob.jpg", "bob")
        .write("public/images/team/alice.jpg", "alice 2")
        .rename("public/images/logo-old.svg", "public/images/logo.svg")
        .remove("public/images/banner.webp")
        .write("public/photos/summer party.avif", "party")
        .write("public/photos/beach.jpg", "beach")
        .write("public/photos/snow.webp", "snow")
        .write("design/mockup.png", "mockup")
        .write("README.md", "y");
    let after = repo.commit("two");
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|request, _, _| {
            if request.images.iter().any(|i| i.contains("summer")) {
                error(500, "internal_server_error", "An unexpected error occurred")
            } else {
                ResponseTemplate::new(200)
            }
        }),
    )
    .await;
    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("concurrency", "1")
        .input("images", "/og/cover.png")
        .args(&["--max-attempts", "2", "--retry-initial-delay", "0.01"])
        .push(&before, &after)
        .run();
    ran.assert_code(1);
    // Cargo's scratch folder for integration tests, so that the source tree
    // is never written to.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(target.join("summary-example.md"), &ran.summary).expect("write");
    let page = format!(
        "<!doctype html><meta charset=utf-8><link rel=stylesheet href=summary.css><body><main class=markdown-body>{}</main>",
        common::markdown::to_html(&ran.summary)
    );
    std::fs::write(target.join("summary-example.html"), page).expect("write");
    assert!(
        ran.summary
            .contains("### ❌ 2 of 10 images could not be invalidated"),
        "{}",
        ran.summary
    );

    // The whole summary, as a snapshot (the history is deterministic: fixed
    // dates, fixed contents). `UPDATE_SNAPSHOTS=1` rewrites it after a
    // deliberate change; review the diff.
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/summary-example.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().expect("parent")).expect("mkdir");
        std::fs::write(&snapshot, &ran.summary).expect("write snapshot");
    }
    let expected = std::fs::read_to_string(&snapshot).expect("tests/snapshots/summary-example.md");
    assert_eq!(
        ran.summary, expected,
        "the summary changed; rerun with UPDATE_SNAPSHOTS=1 if that is intended"
    );
}
