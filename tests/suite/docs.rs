//! The documentation agrees with the product: the inputs of `action.yml`,
//! of `binary/action.yml` (with the variables its run step passes them in)
//! and the README's inputs table are generated from the table of inputs in
//! `src/inputs.rs` (`UPDATE_DOCS=1 cargo test --test suite docs::` rewrites
//! them), `binary/action.yml`'s outputs are `action.yml`'s, the README's
//! outputs table is `action.yml`'s, word for word, and every input is a
//! flag. Also renders an example job summary for the README's picture.

use crate::common;
use std::path::Path;
use std::sync::Arc;

use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::vercel::{FakeVercel, error};
use crate::common::{Action, GITHUB_TOKEN, VERCEL_TOKEN};
use serde_norway::Value;
use vercel_image_invalidate::args::EXIT_CODES;
use vercel_image_invalidate::error::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use vercel_image_invalidate::inputs::{INPUTS, Input, Place};
use wiremock::ResponseTemplate;

/// The command that brings the generated parts of the docs up to date.
const UPDATE: &str = "UPDATE_DOCS=1 cargo test --test suite docs::";

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

/// A YAML scalar that reads back as the same string.
fn yaml_scalar(text: &str) -> String {
    let special = text.is_empty()
        || text.starts_with(|c: char| "*&!|>'\"%@`{[?-:#,".contains(c))
        || ["true", "false", "null", "yes", "no", "on", "off"].contains(&text)
        || text.parse::<f64>().is_ok();
    if special {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text.to_string()
    }
}

/// `description: ...` on one line when it is short and plain, else folded
/// (`>-`) at 77 columns.
fn yaml_description(text: &str) -> String {
    let plain = !text.starts_with(|c: char| "*&!|>'\"%@`{[?-:#,".contains(c))
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':');
    let one_line = format!("    description: {text}");
    if plain && one_line.len() <= 110 {
        return one_line;
    }
    let mut out = "    description: >-".to_string();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && 6 + line.len() + 1 + word.len() > 77 {
            out.push_str(&format!("\n      {line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&format!("\n      {line}"));
    out
}

/// `action.yml` with its `inputs:` block generated from `table`.
fn generated_action_yml(table: &[Input], action_yml: &str) -> String {
    let start = action_yml.find("\ninputs:\n").expect("an inputs: block") + 1;
    let end = action_yml.find("\noutputs:").expect("an outputs: block") + 1;
    let mut block = "inputs:\n".to_string();
    for input in table.iter().filter(|i| i.place == Place::Action) {
        block.push_str(&format!(
            "  {}:\n{}\n    required: false\n    default: {}\n",
            input.name,
            yaml_description(input.description),
            yaml_scalar(input.declared_default())
        ));
    }
    block.push('\n');
    format!("{}{block}{}", &action_yml[..start], &action_yml[end..])
}

/// The marked lines of `binary/action.yml`'s run step that pass each input
/// to the binary as the container action does (`INPUT_<NAME>`).
const ENV_START: &str = "        # inputs-env:start\n";
const ENV_END: &str = "        # inputs-env:end\n";

/// `binary/action.yml` with its inputs, the variables that pass them on,
/// and its outputs generated: the inputs from `table`, the outputs from
/// `action_yml`'s, each the run step's output of the same name.
fn generated_binary_action_yml(table: &[Input], action_yml: &str, binary_yml: &str) -> String {
    let with_inputs = generated_action_yml(table, binary_yml);
    let start = with_inputs
        .find(ENV_START)
        .expect("an inputs-env:start line")
        + ENV_START.len();
    let end = with_inputs.find(ENV_END).expect("an inputs-env:end line");
    let mut env = String::new();
    for input in table.iter().filter(|i| i.place == Place::Action) {
        env.push_str(&format!(
            "        {}: ${{{{ inputs.{} }}}}\n",
            input.variable(),
            input.name
        ));
    }
    let with_env = format!("{}{env}{}", &with_inputs[..start], &with_inputs[end..]);
    let block = |text: &str| {
        let start = text.find("\noutputs:\n").expect("an outputs: block") + 1;
        let end = text.find("\nruns:").expect("a runs: block") + 1;
        (start, end)
    };
    let (from, to) = block(action_yml);
    let mut outputs = String::new();
    let mut name: Option<&str> = None;
    let value = |name: &str| format!("    value: ${{{{ steps.run.outputs.{name} }}}}\n");
    for line in action_yml[from..to].lines() {
        let starts_output =
            line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':');
        if (starts_output || line.is_empty())
            && let Some(name) = name.take()
        {
            outputs.push_str(&value(name));
        }
        if starts_output {
            name = Some(line.trim().trim_end_matches(':'));
        }
        outputs.push_str(line);
        outputs.push('\n');
    }
    if let Some(name) = name {
        outputs.push_str(&value(name));
    }
    let (start, end) = block(&with_env);
    format!("{}{outputs}{}", &with_env[..start], &with_env[end..])
}

/// The README with its inputs table generated from `table`.
fn generated_readme(table: &[Input], readme: &str) -> String {
    let start_marker = "<!-- inputs-table:start -->\n";
    let start = readme.find(start_marker).expect("inputs table start") + start_marker.len();
    let end = readme
        .find("<!-- inputs-table:end -->")
        .expect("inputs table end");
    let mut block = "## Inputs\n\n| input | default | meaning |\n|---|---|---|\n".to_string();
    for input in table.iter().filter(|i| i.place == Place::Action) {
        let default = match input.declared_default() {
            "" => " ".to_string(),
            default => format!(" `{default}` "),
        };
        block.push_str(&format!(
            "| `{}` |{default}| {} |\n",
            input.name, input.description
        ));
    }
    format!("{}{block}{}", &readme[..start], &readme[end..])
}

/// The files generated from the table of inputs, as they are.
struct Docs {
    action_yml: String,
    binary_yml: String,
    readme: String,
}

impl Docs {
    fn read() -> Self {
        Self {
            action_yml: read("action.yml"),
            binary_yml: read("binary/action.yml"),
            readme: read("README.md"),
        }
    }

    /// The three files generated from `table`.
    fn generated(&self, table: &[Input]) -> Self {
        Self {
            action_yml: generated_action_yml(table, &self.action_yml),
            binary_yml: generated_binary_action_yml(table, &self.action_yml, &self.binary_yml),
            readme: generated_readme(table, &self.readme),
        }
    }
}

/// Whether `action.yml`, `binary/action.yml` and the README say what
/// `table` says; the error names the files that do not and the command that
/// fixes them.
fn check_docs(table: &[Input], docs: &Docs) -> Result<(), String> {
    let Docs {
        action_yml,
        binary_yml,
        readme,
    } = docs;
    let mut stale = Vec::new();
    if generated_action_yml(table, action_yml) != *action_yml {
        stale.push("action.yml (inputs)");
    }
    if generated_binary_action_yml(table, action_yml, binary_yml) != *binary_yml {
        stale.push("binary/action.yml (inputs, their variables, outputs)");
    }
    if generated_readme(table, readme) != *readme {
        stale.push("README.md (inputs table)");
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} not generated from the table of inputs in src/inputs.rs: run `{UPDATE}`",
            stale.join(" and ")
        ))
    }
}

#[test]
fn both_action_ymls_and_the_readme_say_what_the_table_of_inputs_says() {
    let docs = Docs::read();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let generated = docs.generated(INPUTS);
        // The exit codes too: one test writes each file, so that no two
        // tests race to rewrite the same one.
        for (file, text) in [
            ("action.yml", action_yml_exit_codes(&generated.action_yml)),
            (
                "binary/action.yml",
                action_yml_exit_codes(&generated.binary_yml),
            ),
            ("README.md", readme_exit_codes(&generated.readme)),
        ] {
            std::fs::write(root.join(file), text).unwrap_or_else(|e| panic!("write {file}: {e}"));
        }
        return;
    }
    if let Err(problem) = check_docs(INPUTS, &docs) {
        panic!("{problem}");
    }
}

/// `text` with the lines between `{open}` and `{close}` replaced by `block`.
fn between(text: &str, open: &str, close: &str, block: &str) -> String {
    let start = text.find(open).unwrap_or_else(|| panic!("{open}")) + open.len();
    let end = text.find(close).unwrap_or_else(|| panic!("{close}"));
    format!("{}{block}{}", &text[..start], &text[end..])
}

/// The README's exit-code section, from the table.
fn readme_exit_codes(readme: &str) -> String {
    let mut block = "## Exit codes\n\n| code | meaning |\n|---|---|\n".to_string();
    for (code, meaning) in EXIT_CODES {
        block.push_str(&format!("| {code} | {meaning} |\n"));
    }
    between(
        readme,
        "<!-- exit-codes:start -->\n",
        "<!-- exit-codes:end -->",
        &block,
    )
}

/// `action.yml`'s exit-code comment, from the table.
fn action_yml_exit_codes(action_yml: &str) -> String {
    let block: String = EXIT_CODES
        .iter()
        .map(|(code, meaning)| format!("#   {code}  {meaning}\n"))
        .collect();
    between(
        action_yml,
        "# exit-codes:start\n",
        "# exit-codes:end",
        &block,
    )
}

#[test]
fn the_exit_codes_are_one_table_in_the_readme_help_and_action_yml() {
    let (action_yml, readme) = (read("action.yml"), read("README.md"));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        // Written by the test of the inputs, which rewrites both files.
        return;
    }
    let rows = table(&readme, "exit-codes");
    let expected: Vec<Vec<String>> = EXIT_CODES
        .iter()
        .map(|(code, meaning)| vec![code.to_string(), meaning.to_string()])
        .collect();
    assert_eq!(rows, expected, "README.md's exit codes: run `{UPDATE}`");
    assert_eq!(
        action_yml_exit_codes(&action_yml),
        action_yml,
        "action.yml's exit codes: run `{UPDATE}`"
    );
    let binary_yml = read("binary/action.yml");
    assert_eq!(
        action_yml_exit_codes(&binary_yml),
        binary_yml,
        "binary/action.yml's exit codes: run `{UPDATE}`"
    );
    let help = Action::local().arg("--help").run();
    help.assert_code(0);
    let shown: Vec<&str> = help
        .stdout
        .lines()
        .skip_while(|line| *line != "Exit codes:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect();
    let expected: Vec<String> = EXIT_CODES
        .iter()
        .map(|(code, meaning)| format!("  {code}  {meaning}"))
        .collect();
    assert_eq!(shown, expected, "--help's exit codes");
}

/// The exit codes of the product contract, as the README's table states
/// them: 0 done, 1 failed, 2 bad input or configuration. No other code.
const CONTRACT_EXIT_CODES: [(u8, &str); 3] = [
    (0, "done, or nothing to do"),
    (1, "some images could not be invalidated"),
    (2, "bad input or configuration"),
];

#[test]
fn every_exit_code_is_one_the_contract_defines() {
    for (code, meaning) in EXIT_CODES {
        let (_, lead) = CONTRACT_EXIT_CODES
            .iter()
            .find(|(known, _)| known == code)
            .unwrap_or_else(|| panic!("exit code {code} is not one of 0, 1, 2: {meaning}"));
        // Each case is worded as one of the contract's categories, never as
        // a category of its own.
        assert!(meaning.starts_with(lead), "exit code {code}: {meaning}");
    }
    let codes: Vec<u8> = EXIT_CODES.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, [0, 1, 2], "each of the contract's codes, once");
    for code in [EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT] {
        assert!(
            codes.contains(&code),
            "exit code {code} is not in the table"
        );
    }
}

#[test]
fn an_input_added_to_the_table_alone_fails_the_check() {
    let docs = Docs::read();
    let mut table = INPUTS.to_vec();
    table.push(Input {
        name: "cache-region",
        description: "The region to ask.",
        ..INPUTS[1]
    });
    let problem = check_docs(&table, &docs).expect_err("not in the docs");
    assert!(
        problem.contains("action.yml (inputs)")
            && problem.contains("binary/action.yml")
            && problem.contains("README.md"),
        "{problem}"
    );
    assert!(problem.contains(UPDATE), "{problem}");
    // Generated, the new input has its rows, and the files read back.
    let docs = docs.generated(&table);
    assert!(check_docs(&table, &docs).is_ok());
    for text in [&docs.action_yml, &docs.binary_yml] {
        let yaml: Value = serde_norway::from_str(text).expect("still YAML");
        assert_eq!(
            yaml["inputs"]["cache-region"]["description"].as_str(),
            Some("The region to ask.")
        );
    }
    let binary: Value = serde_norway::from_str(&docs.binary_yml).expect("YAML");
    assert_eq!(
        binary["runs"]["steps"][1]["env"]["INPUT_CACHE-REGION"].as_str(),
        Some("${{ inputs.cache-region }}")
    );
    assert!(
        docs.readme
            .contains("| `cache-region` | | The region to ask. |"),
        "{}",
        docs.readme
    );
    // And an advanced flag stays out of both.
    table.push(Input {
        name: "hidden-knob",
        place: Place::Advanced,
        ..INPUTS[1]
    });
    assert!(check_docs(&table, &docs).is_ok());
}

#[test]
fn generated_descriptions_read_back_as_written() {
    for input in INPUTS {
        let yaml = format!(
            "{}\n    default: {}\n",
            yaml_description(input.description),
            yaml_scalar(input.declared_default())
        );
        let value: Value = serde_norway::from_str(&yaml).expect("YAML");
        assert_eq!(
            value["description"].as_str(),
            Some(input.description),
            "{yaml}"
        );
        assert_eq!(
            value["default"].as_str(),
            Some(input.declared_default()),
            "{yaml}"
        );
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
    let mut known: Vec<String> = vercel_image_invalidate::inputs::INPUT_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    known.sort();
    let mut declared_sorted = declared.clone();
    declared_sorted.sort();
    assert_eq!(declared_sorted, known);
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("docker"));
    for output in [
        "images",
        "failed",
        "skipped",
        "count",
        "requests",
        "verified",
        "unverified",
    ] {
        assert!(action["outputs"][output].is_mapping(), "output {output}");
    }
}

#[test]
fn the_readme_test_command_is_what_ci_runs() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    // The contributor commands are the first `sh` block under "## Develop",
    // where `.ci/newcomer.sh` reads them; the user's quick start comes first.
    let develop = readme.find("\n## Develop\n").expect("a Develop section");
    let quick = readme.find("\n## Quick start\n").expect("a Quick start");
    assert!(quick < develop, "the user's quick start comes first");
    let block = &readme[develop..];
    let block = &block[block.find("```sh\n").expect("an sh block")..];
    let block = &block[..block[6..].find("```").expect("its end") + 6];
    assert!(block.contains("\ncargo test --locked "), "{block}");
    assert!(block.contains("\ncargo run "), "{block}");
    assert!(read(".ci/newcomer.sh").contains("/^## Develop$/"));
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
