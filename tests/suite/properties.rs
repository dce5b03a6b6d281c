//! Property tests (the fuzzing of this project): the event and input parsers
//! and the writers of the log, the outputs and the summary, fed arbitrary
//! and hostile text. None may panic; the writers must keep their invariants.
//!
//! `PROPTEST_CASES` sets the number of cases (256 by default; `.ci/run` runs
//! more). A failure is saved under `tests/suite/properties.proptest-regressions`
//! and replayed first on every later run; keep that file in git.

use crate::common;
use std::collections::BTreeSet;

use clap::Parser;
use proptest::prelude::*;
use vercel_image_invalidate::actions::{Log, LogStyle, write_outputs};
use vercel_image_invalidate::args::Args;
use vercel_image_invalidate::changes::{Change, ChangeKind, EntryKind};
use vercel_image_invalidate::config::{Config, Env, Secrets, input_var};
use vercel_image_invalidate::event;
use vercel_image_invalidate::inputs::INPUT_NAMES;
use vercel_image_invalidate::report::Report;
use vercel_image_invalidate::select::{Globs, PublicDirs, Rules, UrlPrefix};

use crate::common::markdown::{tags, to_html};
use crate::common::runner::commands;

/// Text rich in what breaks logs, Markdown and HTML.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z:#%|<>`\\[\\]()*_!&;\"' \n\r\t\u{0}\u{1b}\u{2028}é日/.-]{0,40}",
        Just("a\n::error::x.png".to_string()),
        Just("x ##[set-output name=a]b".to_string()),
    ]
}

fn render(log_style: LogStyle, f: impl FnOnce(&mut Log<&mut Vec<u8>>)) -> String {
    let mut buffer = Vec::new();
    {
        let mut log = Log::new(&mut buffer, log_style, true);
        f(&mut log);
    }
    String::from_utf8(buffer).expect("utf-8")
}

#[test]
fn known_hostile_lines_start_no_command() {
    let names = [
        "a\n::error::x.png",
        "::warning::hi.png",
        "   ::add-mask::x",
        "x ##[error]boom.png",
        "%0A::error::y.png",
        "\r::set-output name=count::9",
    ];
    let out = render(LogStyle::Actions, |log| {
        for name in names {
            log.text(&format!("  public/{name}"));
            log.text(name);
        }
    });
    assert_eq!(commands(&out), vec![], "{out}");
    assert!(out.contains("a\\n::error::x.png"));
    assert!(out.contains("x ##[error]boom.png"));
}

#[test]
fn outputs_survive_values_that_imitate_the_format() {
    let tricky = "line one\nEOF\ncount<<EOF\n99\nEOF".to_string();
    let mut file = Vec::new();
    write_outputs(
        &mut file,
        &[("images", tricky.clone()), ("count", "3".to_string())],
    )
    .expect("write");
    let parsed = common::parse_outputs(&String::from_utf8(file).expect("utf-8"));
    assert_eq!(parsed.get("images"), Some(&tricky));
    assert_eq!(parsed.get("count").map(String::as_str), Some("3"));
    assert_eq!(parsed.len(), 2);
}

fn changes_named(names: &[String]) -> Vec<Change> {
    names
        .iter()
        .map(|name| Change {
            kind: ChangeKind::Added,
            path: format!("public/{name}"),
            old_path: None,
            entry: EntryKind::File,
            lossy: false,
        })
        .collect()
}

proptest! {
    #[test]
    fn log_lines_never_start_a_command(text in hostile(), title in hostile()) {
        let out = render(LogStyle::Actions, |log| {
            log.group(&title);
            log.text(&text);
            log.debug(&text);
            log.warning(&text);
            log.end_group();
        });
        let seen: Vec<String> = commands(&out).into_iter().map(|c| c.name).collect();
        prop_assert_eq!(seen, vec!["group", "debug", "warning", "endgroup"], "{}", out);
        // The text stays whole: one log line per call.
        prop_assert_eq!(out.lines().filter(|l| !l.starts_with("::")).count() <= 1, true);
    }

    #[test]
    fn outputs_read_back_exactly(values in proptest::collection::vec(hostile(), 1..6)) {
        let named: Vec<(&str, String)> = ["images", "failed", "skipped", "count", "requests"]
            .iter()
            .zip(values.iter())
            .map(|(name, value)| (*name, value.replace('\r', "")))
            .collect();
        let mut file = Vec::new();
        write_outputs(&mut file, &named).expect("write");
        let parsed = common::parse_outputs(&String::from_utf8(file).expect("utf-8"));
        for (name, value) in &named {
            prop_assert_eq!(parsed.get(*name), Some(value));
        }
    }

    #[test]
    fn summary_rows_keep_their_shape(names in proptest::collection::btree_set(hostile(), 1..25)) {
        let names: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
        let include = Globs::compile("include", &["**".to_string()], &mut Vec::new()).expect("glob");
        let exclude = Globs::default();
        let types: BTreeSet<ChangeKind> = ChangeKind::ALL.into_iter().collect();
        let dirs = PublicDirs::default();
        let prefix = UrlPrefix::default();
        let rules = Rules { include: &include, exclude: &exclude, change_types: &types, public_dirs: &dirs, url_prefix: &prefix, site_dir: "", recognised: false, framework_public_dir: None };
        let selection = rules.select(&changes_named(&names), &[]);
        let mut report = Report { dry_run: true, ..Report::default() };
        report.record(&selection, None, None);
        let markdown = report.markdown();
        let html = to_html(&markdown);
        let rows = selection.targets.len() + selection.skipped.len();
        let header = usize::from(rows > 0);
        prop_assert_eq!(html.matches("<tr>").count(), rows + header, "{}", markdown);
        for row in html.split("<tr>").skip(2) {
            prop_assert_eq!(row.matches("<td").count(), 4, "{}", markdown);
        }
        for tag in tags(&html) {
            let allowed = ["h3", "/h3", "p", "/p", "strong", "/strong", "code", "/code", "table", "/table",
                "thead", "/thead", "tbody", "/tbody", "tr", "/tr", "th", "/th", "td", "/td", "br", "br/",
                "details", "/details", "summary", "/summary"];
            prop_assert!(allowed.contains(&tag.as_str()), "tag <{}> in {}", tag, html);
        }
        prop_assert!(markdown.len() < 1024 * 1024);
    }

    #[test]
    fn event_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), which in 0usize..4) {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), &bytes).expect("write");
        let name = ["push", "deployment_status", "workflow_dispatch", "schedule"][which];
        let _ = event::load(Some(name), Some(file.path()));
    }

    #[test]
    fn push_payload_fields_never_panic(git_ref in hostile(), before in hostile(), after in hostile(), forced in any::<bool>()) {
        let payload = serde_json::json!({"ref": git_ref, "before": before, "after": after, "forced": forced});
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), payload.to_string()).expect("write");
        if let Ok(trigger) = event::load(Some("push"), Some(file.path())) {
            let args = Args::try_parse_from(["x", "--dry-run"]).expect("flags");
            let config = Config::build(&args, &Env::new(), Secrets::default()).expect("config");
            let _ = event::plan(&trigger, &config.event_settings());
        }
    }

    #[test]
    fn inputs_never_panic_and_every_error_has_a_fix(values in proptest::collection::vec(hostile(), INPUT_NAMES.len())) {
        let env: Env = INPUT_NAMES
            .iter()
            .zip(values)
            .map(|(name, value)| (input_var(name), value))
            .collect();
        let args = Args::try_parse_from(["x"]).expect("no flags");
        let secrets = Secrets::resolve(&args, &env);
        match Config::build(&args, &env, secrets) {
            Ok(_) => {}
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                for error in errors.0 {
                    prop_assert!(!error.help.is_empty(), "{:?}", error);
                    prop_assert!(!error.problem.is_empty(), "{:?}", error);
                }
            }
        }
    }

    #[test]
    fn selection_never_panics_and_loses_nothing(globs in proptest::collection::vec(hostile(), 1..4), paths in proptest::collection::btree_set(hostile(), 1..20)) {
        // A diff names each path once, so the paths are a set: two equal
        // changes would rightly collapse into one source.
        let paths: Vec<String> = paths.into_iter().collect();
        let mut warnings = Vec::new();
        let Ok(include) = Globs::compile("include", &globs, &mut warnings) else { return Ok(()); };
        let exclude = Globs::default();
        let types: BTreeSet<ChangeKind> = ChangeKind::ALL.into_iter().collect();
        let dirs = PublicDirs::default();
        let prefix = UrlPrefix::parse("https://cdn.example.com/").expect("prefix");
        let rules = Rules { include: &include, exclude: &exclude, change_types: &types, public_dirs: &dirs, url_prefix: &prefix, site_dir: "", recognised: false, framework_public_dir: None };
        let changes = changes_named(&paths);
        let selection = rules.select(&changes, &[]);
        let placed: usize = selection.targets.iter().map(|t| t.sources.len()).sum::<usize>() + selection.skipped.len();
        prop_assert_eq!(placed + selection.ignored, changes.len());
    }
}
