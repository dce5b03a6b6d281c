use super::*;
use crate::site;
use clap::Parser;

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn build(flags: &[&str], pairs: &[(&str, &str)]) -> Result<Config, InputErrors> {
    let mut argv = vec!["vercel-image-invalidate"];
    argv.extend_from_slice(flags);
    let args = Args::try_parse_from(argv).expect("flags parse");
    let env = env(pairs);
    let secrets = Secrets::resolve(&args, &env);
    Config::build(&args, &env, secrets)
}

fn error_inputs(result: Result<Config, InputErrors>) -> Vec<String> {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(errors) => errors.0.into_iter().map(|e| e.input).collect(),
    }
}

const OK: &[(&str, &str)] = &[("INPUT_VERCEL-TOKEN", "tok"), ("INPUT_PROJECT", "site")];

#[test]
fn site_dir_public_dir_and_url_prefix_default_to_the_site() {
    let config = build(&[], OK).expect("valid");
    assert_eq!(config.site_dir, "");
    assert_eq!(config.public_dirs, None, "auto");
    assert_eq!(config.url_prefix, None, "auto");

    let mut pairs = OK.to_vec();
    pairs.extend([
        ("INPUT_SITE-DIR", "./apps/web/"),
        ("INPUT_PUBLIC-DIR", " AUTO "),
        ("INPUT_URL-PREFIX", "Auto"),
    ]);
    let config = build(&[], &pairs).expect("valid");
    assert_eq!(config.site_dir, "apps/web");
    assert_eq!((config.public_dirs, config.url_prefix), (None, None));

    // A folder named `auto` is written as a path; a second line is a list.
    let config = build(&["--public-dir", "./auto", "--url-prefix", "/docs"], OK).expect("valid");
    assert_eq!(
        config.public_dirs.as_ref().map(PublicDirs::dirs),
        Some(&["auto".to_string()][..])
    );
    assert_eq!(config.url_prefix, Some(UrlPrefix::Path("/docs/".into())));
    let config = build(&["--public-dir", "auto\nstatic"], OK).expect("valid");
    assert_eq!(config.public_dirs.map(|d| d.dirs().len()), Some(2));

    for bad in ["../web", "/abs", "apps//web"] {
        let errors = error_inputs(build(&["--site-dir", bad], OK));
        assert_eq!(errors, ["site-dir"], "{bad}");
    }
}

#[test]
fn defaults_apply_when_inputs_are_empty() {
    let mut pairs = OK.to_vec();
    pairs.extend([
        ("INPUT_INCLUDE", ""),
        ("INPUT_MODE", "  "),
        ("INPUT_CONCURRENCY", ""),
    ]);
    let config = build(&[], &pairs).expect("valid");
    assert_eq!(config.concurrency, 4);
    assert_eq!(config.mode, Mode::Invalidate);
    assert!(config.fail_on_error);
    assert!(!config.dry_run);
    assert_eq!(config.change_types.len(), 4);
    assert_eq!(config.deployment_environment, "auto");
    assert_eq!(config.polling.elsewhere_after, Duration::from_secs(60));
    assert_eq!(config.polling.heartbeat, Duration::from_secs(30));
    assert_eq!(config.deployment_timeout, Duration::from_secs(600));
    assert_eq!(config.vercel_api_url.as_str(), "https://api.vercel.com/");
    assert_eq!(config.diff_source, DiffSource::Git);
    assert!(config.include.is_match("public/a/b.png"));
}

#[test]
fn a_flag_wins_over_its_input_variable() {
    let config = build(&["--concurrency", "9", "--project", "flag-site"], OK).expect("valid");
    assert_eq!(config.concurrency, 9);
    assert_eq!(config.project.as_deref(), Some("flag-site"));
}

#[test]
fn booleans_accept_any_case_and_nothing_else() {
    let mut pairs = OK.to_vec();
    pairs.push(("INPUT_DRY-RUN", "TRUE"));
    pairs.push(("INPUT_FAIL-ON-ERROR", "False"));
    let config = build(&[], &pairs).expect("valid");
    assert!(config.dry_run);
    assert!(!config.fail_on_error);

    for bad in ["yes", "1", "on", "tru"] {
        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_DRY-RUN", bad));
        assert_eq!(error_inputs(build(&[], &pairs)), ["dry-run"], "{bad}");
    }
}

#[test]
fn every_bad_input_is_reported_at_once() {
    let result = build(
        &[],
        &[
            ("INPUT_MODE", "purge"),
            ("INPUT_CONCURRENCY", "0"),
            ("INPUT_INCLUDE", "public/[a.png"),
            ("INPUT_VERCEL-API-URL", "http://example.com"),
        ],
    );
    let inputs = error_inputs(result);
    for expected in [
        "vercel-token",
        "project",
        "include",
        "mode",
        "concurrency",
        "vercel-api-url",
    ] {
        assert!(
            inputs.contains(&expected.to_string()),
            "{expected} in {inputs:?}"
        );
    }
}

#[test]
fn errors_name_the_value_and_the_fix() {
    let mut pairs = OK.to_vec();
    pairs.push(("INPUT_CONCURRENCY", "64"));
    let errors = build(&[], &pairs).expect_err("out of range");
    let error = &errors.0[0];
    assert_eq!(
        error.to_string(),
        "input `concurrency`: `64` is not a whole number from 1 to 32"
    );
    assert!(error.help.contains("1 to 32"));
}

#[test]
fn a_dry_run_needs_no_token_or_project() {
    let config = build(&["--dry-run"], &[]).expect("valid");
    assert!(config.dry_run);
    assert!(config.vercel_token.is_none());
}

#[test]
fn token_comes_from_input_then_fallback_variable_and_is_trimmed() {
    let config = build(&["--project", "p"], &[("VERCEL_TOKEN", " tok\n")]).expect("valid");
    assert_eq!(
        config.vercel_token.as_ref().map(Secret::expose),
        Some("tok")
    );
    let config = build(
        &["--project", "p"],
        &[
            ("VERCEL_TOKEN", "fallback"),
            ("INPUT_VERCEL-TOKEN", "input"),
        ],
    )
    .expect("valid");
    assert_eq!(
        config.vercel_token.as_ref().map(Secret::expose),
        Some("input")
    );
}

#[test]
fn a_token_with_inner_blanks_is_refused_without_showing_it() {
    let errors =
        build(&["--project", "p"], &[("INPUT_VERCEL-TOKEN", "abc def")]).expect_err("bad token");
    let text = format!("{errors} {errors:?}");
    assert!(text.contains("vercel-token"));
    assert!(!text.contains("abc def"));
}

#[test]
fn api_urls_must_be_https_unless_loopback() {
    for ok in [
        "https://api.vercel.com",
        "http://127.0.0.1:8080",
        "http://localhost:3000/proxy",
        "http://[::1]:9",
    ] {
        assert!(parse_api_url("x", ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://api.vercel.com",
        "http://10.0.0.1",
        "ftp://api.vercel.com",
        "api.vercel.com",
        "https://user:pass@api.vercel.com",
        "https://user:pass@api.vercel.com:99999",
        "https://api.vercel.com/?a=b",
    ] {
        let error = parse_api_url("vercel-api-url", bad).expect_err(bad);
        assert!(!error.to_string().contains("pass@"), "{error}");
    }
}

#[test]
fn change_types_take_commas_or_lines() {
    let set = parse_change_types("added, removed\nrenamed").expect("valid");
    assert_eq!(
        set.into_iter().collect::<Vec<_>>(),
        [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Renamed]
    );
    let error = parse_change_types("modified,deleted").expect_err("deleted");
    assert!(error.problem.contains("`removed`"), "{}", error.problem);
}

#[test]
fn deadline_only_with_delete_mode_and_in_range() {
    let mut pairs = OK.to_vec();
    pairs.push(("INPUT_REVALIDATION-DEADLINE-SECONDS", "60"));
    assert_eq!(
        error_inputs(build(&[], &pairs)),
        ["revalidation-deadline-seconds"]
    );
    pairs.push(("INPUT_MODE", "Delete"));
    let config = build(&[], &pairs).expect("valid");
    assert_eq!(config.revalidation_deadline_seconds, Some(60));
    assert_eq!(config.mode, Mode::Delete);
    let errors = build(
        &[
            "--mode",
            "delete",
            "--revalidation-deadline-seconds",
            "31536001",
        ],
        OK,
    );
    assert_eq!(error_inputs(errors), ["revalidation-deadline-seconds"]);
}

#[test]
fn images_are_public_paths_within_the_length_limit() {
    let config = build(
        &[
            "--images",
            "/a.png\n\n/b.png\n/a.png",
            "--images",
            "https://cdn.example.com/c.png",
        ],
        OK,
    )
    .expect("valid");
    assert_eq!(
        config.images,
        ["/a.png", "/b.png", "https://cdn.example.com/c.png"]
    );
    assert_eq!(error_inputs(build(&["--images", "a.png"], OK)), ["images"]);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let long = format!("/{}", "x".repeat(MAX_PATH_CHARS));
    assert_eq!(error_inputs(build(&["--images", &long], OK)), ["images"]);
}

#[test]
fn several_paths_on_one_images_line_are_sent_as_written_with_a_warning() {
    for line in [
        "/a.png /b.png",
        "/a.png,/b.png",
        "/a.png, https://cdn.example.com/b.png",
    ] {
        let config = build(&["--images", line], OK).expect("valid");
        assert_eq!(config.images, [line]);
        assert_eq!(config.warnings.len(), 1, "{line}");
        assert!(config.warnings[0].contains("put one path a line"), "{line}");
    }
    for line in ["/photos/my photo.jpg", "/img/a, b.png", "/img/a+b c.png"] {
        let config = build(&["--images", line], OK).expect("valid");
        assert_eq!(config.images, [line]);
        assert!(config.warnings.is_empty(), "{line}: {:?}", config.warnings);
    }
}

#[test]
fn revisions_cannot_smuggle_git_options() {
    let mut pairs = OK.to_vec();
    pairs.push(("INPUT_BASE", "--output=/tmp/x"));
    assert_eq!(error_inputs(build(&[], &pairs)), ["base"]);
    assert_eq!(error_inputs(build(&["--head", "a b"], OK)), ["head"]);
    let config = build(&["--base", "HEAD~1"], OK).expect("valid");
    assert_eq!(config.base.as_deref(), Some("HEAD~1"));
}

#[test]
fn diff_source_auto_picks_api_only_inside_actions_with_a_token() {
    let mut pairs = OK.to_vec();
    pairs.push(("GITHUB_ACTIONS", "true"));
    pairs.push(("GITHUB_REPOSITORY", "acme/site"));
    assert_eq!(
        build(&[], &pairs).expect("valid").diff_source,
        DiffSource::Git
    );
    pairs.push(("INPUT_GITHUB-TOKEN", "ghs_x"));
    assert_eq!(
        build(&[], &pairs).expect("valid").diff_source,
        DiffSource::Api
    );
    assert_eq!(
        build(&["--diff-source", "git"], &pairs)
            .expect("valid")
            .diff_source,
        DiffSource::Git
    );
    assert_eq!(
        error_inputs(build(&["--diff-source", "api", "--repository", "a/b"], OK)),
        ["github-token"]
    );
}

#[test]
fn the_api_source_needs_a_repository_of_the_right_shape() {
    let with_token = [("INPUT_GITHUB-TOKEN", "ghs_x"), ("INPUT_DRY-RUN", "true")];
    assert_eq!(
        error_inputs(build(&["--diff-source", "api"], &with_token)),
        ["repository"]
    );
    assert_eq!(
        error_inputs(build(
            &["--diff-source", "api", "--repository", "a/b/c"],
            &with_token
        )),
        ["repository"]
    );
    assert_eq!(
        error_inputs(build(
            &["--diff-source", "api", "--repository", "../x"],
            &with_token
        )),
        ["repository"]
    );
    let config = build(
        &["--diff-source", "api", "--repository", "acme/site.io"],
        &with_token,
    )
    .expect("valid");
    assert_eq!(config.runner.repository.as_deref(), Some("acme/site.io"));
}

#[test]
fn github_api_url_is_checked_like_the_vercel_one() {
    let mut pairs = OK.to_vec();
    pairs.push(("GITHUB_API_URL", "http://ghe.example.com/api/v3"));
    assert_eq!(error_inputs(build(&[], &pairs)), ["GITHUB_API_URL"]);
    pairs.pop();
    pairs.push(("GITHUB_API_URL", "https://ghe.example.com/api/v3"));
    let config = build(&[], &pairs).expect("valid");
    assert_eq!(config.github_api_url.path(), "/api/v3");
}

#[test]
fn every_input_the_table_can_refuse_is_read() {
    for input in crate::inputs::INPUTS {
        if matches!(
            input.kind,
            inputs::Kind::Text | inputs::Kind::Lines | inputs::Kind::Secret
        ) {
            continue;
        }
        let mut pairs = OK.to_vec();
        pairs.push(("INPUT_MODE", "delete"));
        let variable = input.variable();
        pairs.push((&variable, "not-a-value"));
        assert_eq!(error_inputs(build(&[], &pairs)), [input.name]);
    }
}

#[test]
fn placeholders_and_slugs_in_id_inputs_are_refused_with_the_fix() {
    let with = |name: &str, value: &str| {
        let variable = format!("INPUT_{}", name.to_uppercase());
        let mut pairs = vec![("INPUT_VERCEL-TOKEN", "tok"), ("INPUT_PROJECT", "site")];
        pairs.push((variable.as_str(), value));
        build(&[], &pairs)
    };
    for (name, value) in [
        ("team-id", "team_xxxxxxxxxxxx"),
        ("team-id", "<team-id>"),
        ("team-id", "YOUR_TEAM_ID"),
        ("team-slug", "<team-slug>"),
        ("team-slug", "your-team"),
        ("project", "YOUR_PROJECT"),
        ("project", "prj_XXXXXXXX"),
        ("project", "{project}"),
    ] {
        let errors = with(name, value).expect_err(value);
        assert_eq!(errors.0.len(), 1, "{value}");
        assert_eq!(errors.0[0].input, name, "{value}");
        assert!(
            errors.0[0].problem.contains("placeholder"),
            "{value}: {:?}",
            errors.0
        );
    }
    let slug = with("team-id", "acme-inc").expect_err("a slug");
    assert!(
        slug.0[0].problem.contains("looks like a team slug"),
        "{:?}",
        slug.0
    );
    assert!(
        slug.0[0].help.contains("team-slug: acme-inc"),
        "{:?}",
        slug.0
    );
    let odd = with("team-id", "team_abc-def").expect_err("not letters and digits");
    assert!(odd.0[0].problem.contains("is not a team id"), "{:?}", odd.0);
    for fine in ["team_nTChTnFEANqGEKAYBUwrS00A", "team_x1"] {
        assert_eq!(
            with("team-id", fine).expect(fine).team_id.as_deref(),
            Some(fine)
        );
    }
    for fine in [
        "my-site",
        "prj_O2x3dZ12QiroXFf4lkDF2EpLLCuZ",
        "xbox",
        "yourself",
    ] {
        assert_eq!(
            with("project", fine).expect(fine).project.as_deref(),
            Some(fine)
        );
    }
}

const SITE: &[(&str, &str)] = &[
    ("INPUT_VERCEL-TOKEN", "tok"),
    ("INPUT_PROJECT", "site"),
    ("INPUT_SITE-URL", "https://example.com"),
];

#[test]
fn site_url_is_an_https_origin_and_nothing_more() {
    for ok in [
        "https://example.com",
        "https://example.com/",
        "http://127.0.0.1:3000",
    ] {
        let url = parse_site_url(ok).expect(ok);
        assert_eq!(url.path(), "/", "{ok}");
    }
    for (bad, says) in [
        ("https://example.com/docs", "has a path (`/docs`)"),
        ("https://example.com/?a=b", "query or fragment"),
        ("https://example.com/#top", "query or fragment"),
        ("http://example.com", "plain http://"),
        ("example.com", "is not a URL"),
        ("https://user:hunter22@example.com", "user name or password"),
    ] {
        let error = parse_site_url(bad).expect_err(bad);
        assert_eq!(error.input, "site-url");
        assert!(error.problem.contains(says), "{bad}: {error}");
        assert!(!error.help.is_empty(), "{bad}");
        assert!(!error.to_string().contains("hunter22"), "{error}");
    }
    let mut pairs = OK.to_vec();
    pairs.push(("INPUT_SITE-URL", "https://example.com/docs"));
    assert_eq!(error_inputs(build(&[], &pairs)), ["site-url"]);
}

#[test]
fn without_site_url_the_site_is_not_asked_and_warm_is_refused() {
    let config = build(&[], OK).expect("valid");
    assert!(config.live.site_url.is_none());
    assert!(
        config.live.verify,
        "the default, which needs site-url to act"
    );
    assert!(!config.live.asked());
    assert!(config.live_requests().is_none());

    let mut pairs = OK.to_vec();
    pairs.push(("INPUT_WARM", "true"));
    let errors = build(&[], &pairs).expect_err("warm needs a site");
    assert_eq!(errors.0[0].input, "warm");
    assert!(errors.0[0].help.contains("site-url"), "{errors:?}");
}

#[test]
fn on_a_push_the_site_is_asked_only_after_waiting() {
    let push = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = SITE.to_vec();
        pairs.push(("GITHUB_EVENT_NAME", "push"));
        pairs.extend_from_slice(extra);
        build(&[], &pairs)
    };
    let errors = push(&[]).expect_err("verify without waiting");
    assert_eq!(errors.0.len(), 1, "{errors:?}");
    assert_eq!(errors.0[0].input, "verify");
    assert!(
        errors.0[0].help.contains("wait-for-deployment: true"),
        "{errors:?}"
    );
    assert!(errors.0[0].help.contains("deployment_status"), "{errors:?}");
    let errors = push(&[("INPUT_VERIFY", "false"), ("INPUT_WARM", "true")])
        .expect_err("warm without waiting");
    assert_eq!(errors.0[0].input, "warm");

    let waiting = [
        ("INPUT_WAIT-FOR-DEPLOYMENT", "true"),
        ("INPUT_GITHUB-TOKEN", "ghs_token"),
        ("GITHUB_REPOSITORY", "o/r"),
    ];
    assert!(push(&waiting).is_ok());
    assert!(push(&[("INPUT_VERIFY", "false")]).is_ok(), "nothing asked");
    assert!(push(&[("INPUT_DRY-RUN", "true")]).is_ok(), "nothing sent");
    for event in ["deployment_status", "workflow_dispatch"] {
        let mut pairs = SITE.to_vec();
        pairs.push(("GITHUB_EVENT_NAME", event));
        assert!(build(&[], &pairs).is_ok(), "{event}");
    }
}

#[test]
fn the_bypass_is_a_secret_masked_with_the_tokens() {
    let mut pairs = SITE.to_vec();
    pairs.push(("INPUT_VERCEL-PROTECTION-BYPASS", "bypass_secret_42"));
    let config = build(&["--verify-grace", "0.5", "--warm-limit", "7"], &pairs).expect("valid");
    assert!(!format!("{config:?}").contains("bypass_secret_42"));
    let requests = config.live_requests().expect("asked");
    assert_eq!(
        requests.bypass.as_ref().map(Secret::expose),
        Some("bypass_secret_42")
    );
    assert_eq!(requests.timing.grace, Duration::from_millis(500));
    assert_eq!(requests.warm_limit, 7);
    assert_eq!(requests.concurrency, config.concurrency);
    let args = Args::try_parse_from(["x"]).expect("flags");
    let secrets = Secrets::resolve(&args, &env(&pairs));
    assert!(secrets.all().any(|s| s.expose() == "bypass_secret_42"));

    pairs.push(("INPUT_DRY-RUN", "true"));
    let dry = build(&[], &pairs).expect("valid");
    assert!(dry.live_requests().is_none(), "a dry run asks nothing");
}

fn settings_for(files: &[(&str, &str)]) -> live::Settings {
    let files: Vec<site::SiteFile> = files
        .iter()
        .map(|(path, text)| site::SiteFile {
            path: path.to_string(),
            text: text.to_string(),
            unread: None,
        })
        .collect();
    let site = site::detect("", &files);
    live::Settings {
        requests: build(&[], SITE)
            .expect("valid")
            .live_requests()
            .expect("asked"),
        served: site.served(None),
    }
}

#[test]
fn live_settings_follow_a_next_js_config() {
    let settings = settings_for(&[(
        "next.config.js",
        "module.exports = { basePath: '/docs', images: { deviceSizes: [640, 1080], imageSizes: [64], qualities: [50, 80], formats: ['image/avif', 'image/webp'] } }",
    )]);
    assert_eq!(
        settings.served.optimizer,
        live::Optimizer::NextJs {
            base_path: "/docs".to_string()
        }
    );
    assert_eq!(settings.served.widths, [640, 1080, 64]);
    assert_eq!(settings.served.qualities, [50, 80]);
    assert_eq!(settings.served.formats, ["image/avif", "image/webp"]);
    assert_eq!(settings.requests.site.as_str(), "https://example.com/");

    let defaults = settings_for(&[(
        "next.config.mjs",
        "export default { images: { imageSizes: [16] } }",
    )]);
    assert_eq!(
        defaults.served.optimizer,
        live::Optimizer::NextJs {
            base_path: String::new()
        }
    );
    let mut widths = live::NEXT_DEVICE_SIZES.to_vec();
    widths.push(16);
    assert_eq!(defaults.served.widths, widths);
    assert_eq!(defaults.served.qualities, [live::DEFAULT_QUALITY]);
    assert_eq!(defaults.served.formats, [live::DEFAULT_FORMAT]);
}

#[test]
fn a_computed_base_path_is_the_url_prefix_set_by_hand() {
    let files = [site::SiteFile {
        path: "next.config.js".to_string(),
        text: "module.exports = { basePath: process.env.BASE_PATH }".to_string(),
        unread: None,
    }];
    let site = site::detect("", &files);
    assert!(site.base_path.unknown().is_some());
    let mut pairs = SITE.to_vec();
    pairs.push(("INPUT_URL-PREFIX", "/docs/"));
    let config = build(&[], &pairs).expect("valid");
    let url_prefix = config.url_prefix.as_ref().and_then(UrlPrefix::path);
    let settings = live::Settings {
        requests: config.live_requests().expect("asked"),
        served: site.served(url_prefix),
    };
    assert_eq!(
        settings.served.optimizer,
        live::Optimizer::NextJs {
            base_path: "/docs".to_string()
        }
    );
}

#[test]
fn live_settings_follow_vercel_json_for_other_frameworks() {
    let astro = settings_for(&[
        ("astro.config.mjs", "export default { base: '/blog' }"),
        (
            "vercel.json",
            r#"{"images": {"sizes": [256, 640], "qualities": [60], "formats": ["image/webp"]}}"#,
        ),
    ]);
    assert_eq!(astro.served.optimizer, live::Optimizer::Vercel);
    assert_eq!(astro.served.widths, [256, 640]);
    assert_eq!(astro.served.qualities, [60]);
    assert_eq!(astro.served.formats, ["image/webp"]);

    let plain = settings_for(&[]);
    assert_eq!(plain.served.optimizer, live::Optimizer::Vercel);
    let defaults = live::Served::new(live::Optimizer::Vercel);
    assert_eq!(plain.served.widths, defaults.widths);
    assert_eq!(plain.served.qualities, defaults.qualities);
}

#[test]
fn numbers_out_of_range_are_refused() {
    for (flag, value) in [
        ("--concurrency", "33"),
        ("--concurrency=-1", ""),
        ("--concurrency", "four"),
        ("--deployment-timeout", "0"),
        ("--max-attempts", "0"),
        ("--request-timeout", "NaN"),
    ] {
        let flags: Vec<&str> = [flag, value]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        let result = build(&flags, OK);
        assert!(result.is_err(), "{flag} {value}");
    }
}
