use super::glob::expand_braces;
use super::*;
use crate::changes::EntryKind;
use crate::site::Site;

const DEFAULT_INCLUDE: &str = "**/*.{png,jpg,jpeg,gif,webp,avif,svg,ico,bmp,tif,tiff}";

fn globs(lines: &[&str]) -> Globs {
    let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    Globs::compile("include", &lines, &mut Vec::new()).expect("valid globs")
}

#[test]
fn glob_table() {
    let default = globs(&[DEFAULT_INCLUDE]);
    let cases: &[(&Globs, &str, bool)] = &[
        (&default, "public/a.png", true),
        (&default, "a.png", true),
        (&default, "public/deep/x/y.JPG", true),
        (&default, "public/photo.Jpeg", true),
        (&default, "public/icon.svg", true),
        (&default, "public/notes.txt", false),
        (&default, "public/png", false),
        (&default, "public/a.png.bak", false),
    ];
    for (set, path, expected) in cases {
        assert_eq!(set.is_match(path), *expected, "{path}");
    }
    let one_level = globs(&["public/*.png"]);
    assert!(one_level.is_match("public/a.png"));
    assert!(
        !one_level.is_match("public/sub/a.png"),
        "* must not cross /"
    );
    let upper = globs(&["Assets/*.PNG"]);
    assert!(upper.is_match("Assets/a.png"));
    assert!(
        !upper.is_match("assets/a.png"),
        "folder names keep their case"
    );
}

#[test]
fn extensions_inside_brace_groups_match_in_any_case() {
    let cases: &[(&str, &str, bool)] = &[
        ("public/{hero.PNG,logo.PNG}", "public/hero.PNG", true),
        ("public/{hero.PNG,logo.PNG}", "public/hero.png", true),
        ("public/{hero.PNG,logo.PNG}", "public/logo.Png", true),
        ("public/{hero.PNG,logo.PNG}", "public/Hero.png", false),
        ("public/{hero,logo}.PNG", "public/hero.png", true),
        ("public/{*.PNG,icons/*.SVG}", "public/a.png", true),
        ("public/{*.PNG,icons/*.SVG}", "public/icons/b.svg", true),
        ("public/{*.PNG,icons/*.SVG}", "public/icons/b.png", false),
        ("public/{a,{b,c}.JPG}", "public/c.jpg", true),
        ("public/{a,{b,c}.JPG}", "public/a", true),
        ("public/{a.V2,b}/*.PNG", "public/a.V2/x.png", true),
        ("public/[{]x,y[}].PNG", "public/{x,y}.png", true),
        ("public/\\{x,y\\}.PNG", "public/{x,y}.png", true),
        ("**/*.{PNG,Jpg}", "a/b.JPG", true),
    ];
    for (pattern, path, expected) in cases {
        assert_eq!(
            globs(&[pattern]).is_match(path),
            *expected,
            "{pattern} ~ {path}"
        );
    }
    let two = globs(&["img/*.{gif,svg}", "public/{hero.PNG,logo.PNG}"]);
    assert_eq!(
        two.first_match("public/hero.png"),
        Some("public/{hero.PNG,logo.PNG}")
    );
    assert_eq!(two.first_match("img/a.SVG"), Some("img/*.{gif,svg}"));
}

#[test]
fn brace_groups_spell_out_into_alternatives() {
    let cases: &[(&str, &[&str])] = &[
        ("a.png", &["a.png"]),
        ("{a,b}.png", &["a.png", "b.png"]),
        ("{a,b}/{c,d}", &["a/c", "a/d", "b/c", "b/d"]),
        ("x{a,{b,c}d}", &["xa", "xbd", "xcd"]),
        ("[{,}]", &["[{,}]"]),
        ("[]{]{a,b}", &["[]{]a", "[]{]b"]),
        ("\\{a,b}", &["\\{a,b}"]),
        ("{a,b", &["{a,b"]),
    ];
    for (pattern, expected) in cases {
        assert_eq!(
            expand_braces(pattern).expect("few"),
            expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{pattern}"
        );
    }
    assert!(
        expand_braces(&"{a,b,c,d}".repeat(5)).is_some(),
        "1024 is allowed"
    );
    assert!(expand_braces(&"{a,b}".repeat(11)).is_none());
    let errors =
        Globs::compile("include", &["{a,b}".repeat(11)], &mut Vec::new()).expect_err("too many");
    assert!(errors[0].problem.contains("too many"), "{errors:?}");
    assert!(expand_braces(&"{a}".repeat(64)).is_some());
    assert!(
        expand_braces(&"{a}".repeat(65)).is_none(),
        "bounded recursion"
    );
    assert!(expand_braces(&"{a}".repeat(100_000)).is_none());
}

#[test]
fn bad_globs_and_negations_are_errors_and_commas_warn() {
    let mut warnings = Vec::new();
    let lines = vec!["public/[a.png".to_string(), "!*.svg".to_string()];
    let errors = Globs::compile("include", &lines, &mut warnings).expect_err("invalid");
    assert_eq!(errors.len(), 2);
    assert!(errors[0].problem.contains("public/[a.png"));
    assert!(errors[1].help.contains("exclude"));
    let lines = vec!["*.png, *.jpg".to_string(), "*.{png,jpg}".to_string()];
    Globs::compile("include", &lines, &mut warnings).expect("valid");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let lines = vec!["public\\images\\*.png".to_string()];
    Globs::compile("include", &lines, &mut warnings).expect("valid");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn public_dirs_normalise_and_prefer_the_longest() {
    let mut warnings = Vec::new();
    let dirs = PublicDirs::parse(
        &["./public/".into(), "apps/web/public".into(), "apps".into()],
        &mut warnings,
    )
    .expect("valid");
    assert!(warnings.is_empty());
    assert_eq!(dirs.strip("public/img/a.png"), Some("img/a.png"));
    assert_eq!(dirs.strip("apps/web/public/a.png"), Some("a.png"));
    assert_eq!(dirs.strip("apps/other/a.png"), Some("other/a.png"));
    assert_eq!(dirs.strip("publicity/a.png"), None);
    let root = PublicDirs::parse(&[".".into()], &mut warnings).expect("valid");
    assert_eq!(root.strip("a/b.png"), Some("a/b.png"));
    assert!(PublicDirs::parse(&["../site".into()], &mut warnings).is_err());
    PublicDirs::parse(&["public, static".into()], &mut warnings).expect("allowed");
    assert_eq!(warnings.len(), 1, "a comma is probably a mistake");
    assert!(dirs.touches("apps"));
    assert!(dirs.touches("apps/web"));
    assert!(dirs.touches("public/img"));
    assert!(!dirs.touches("src"));
}

#[test]
fn prefixes_map_paths_as_pages_write_them() {
    let root = UrlPrefix::default();
    assert_eq!(root.public_path("img/a.png"), "/img/a.png");
    assert_eq!(root.public_path("my photo é.jpg"), "/my photo é.jpg");
    let docs = UrlPrefix::parse("/docs").expect("valid");
    assert_eq!(docs.public_path("img/a.png"), "/docs/img/a.png");
    let cdn = UrlPrefix::parse("https://assets.example.com").expect("valid");
    assert_eq!(
        cdn.public_path("my photo/é#1?.jpg"),
        "https://assets.example.com/my%20photo/%C3%A9%231%3F.jpg"
    );
    assert_eq!(
        cdn.public_path("%0A.png"),
        "https://assets.example.com/%250A.png"
    );
    for bad in ["docs/", "//cdn.example.com/", "/a?b", "ftp://x/"] {
        assert!(UrlPrefix::parse(bad).is_err(), "{bad}");
    }
    for secret in [
        "https://u:hunter2@cdn.example.com/",
        "https://:hunter2@cdn.example.com/",
    ] {
        let error = UrlPrefix::parse(secret).expect_err("credentials");
        assert!(!format!("{error}{error:?}").contains("hunter2"));
    }
}

fn change(kind: ChangeKind, path: &str, old: Option<&str>, entry: EntryKind) -> Change {
    Change {
        kind,
        path: path.to_string(),
        old_path: old.map(str::to_string),
        entry,
        lossy: false,
    }
}

fn next_site(text: &str) -> Site {
    site::detect(
        "",
        &[site::SiteFile {
            path: "next.config.js".into(),
            text: text.into(),
            unread: None,
        }],
    )
}

#[test]
fn auto_takes_the_config_and_an_explicit_value_wins_with_a_warning() {
    let site = next_site("module.exports = { basePath: '/docs' }");
    let auto = resolve(&site, None, None).expect("known");
    assert_eq!(auto.public_dirs.dirs(), ["public"]);
    assert_eq!(auto.url_prefix, UrlPrefix::Path("/docs/".into()));
    assert!(auto.warnings.is_empty());

    let root = UrlPrefix::default();
    let dirs = PublicDirs::parse(&["static".into()], &mut Vec::new()).expect("valid");
    let explicit = resolve(&site, Some(&dirs), Some(&root)).expect("explicit");
    assert_eq!(explicit.url_prefix, root);
    assert_eq!(explicit.public_dirs, dirs);
    assert_eq!(explicit.warnings.len(), 2, "{:?}", explicit.warnings);
    assert!(explicit.warnings.iter().all(|w| w.contains("as set")));

    let computed = next_site("module.exports = { basePath: process.env.BASE }");
    let unknown = resolve(&computed, None, None).expect_err("unknown");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].input, Some("url-prefix"));
    assert!(resolve(&computed, None, Some(&root)).is_ok(), "set by hand");
}

#[test]
fn folders_above_changed_images_come_shallowest_first() {
    let paths = ["apps/web/public/a.png", "apps/web/b.png", "c.png"];
    assert_eq!(
        folders_above(&paths, 8),
        ["apps", "apps/web", "apps/web/public"]
    );
    assert_eq!(folders_above(&paths, 1), ["apps"]);
    let removed = [
        change(ChangeKind::Removed, "old/a.png", None, EntryKind::File),
        change(
            ChangeKind::Renamed,
            "new/b.png",
            Some("gone/b.png"),
            EntryKind::File,
        ),
    ];
    assert!(changed_in("old", &removed));
    assert!(changed_in("gone", &removed));
    assert!(changed_in("new", &removed));
    assert!(!changed_in("ol", &removed));
    assert!(!changed_in("elsewhere", &removed));
}

#[test]
fn imported_and_outside_the_site_are_skipped_with_their_reasons() {
    let include = globs(&[DEFAULT_INCLUDE]);
    let exclude = Globs::default();
    let types: BTreeSet<ChangeKind> = ChangeKind::ALL.iter().copied().collect();
    let dirs = PublicDirs::parse(&["apps/web/public".into()], &mut Vec::new()).expect("ok");
    let prefix = UrlPrefix::Path("/web/".into());
    let rules = Rules {
        include: &include,
        exclude: &exclude,
        change_types: &types,
        public_dirs: &dirs,
        url_prefix: &prefix,
        site_dir: "apps/web",
        recognised: true,
        framework_public_dir: Some("apps/web/public"),
    };
    let changes = [
        "apps/web/public/my photo.png",
        "apps/web/src/logo.png",
        "apps/web/app/icon.png",
        "apps/web/design/mockup.png",
        "apps/web/srcs/a.png",
        "apps/admin/public/a.png",
    ]
    .map(|path| change(ChangeKind::Added, path, None, EntryKind::File));
    let selection = rules.select(&changes, &["/listed a.png".to_string()]);
    let sent: Vec<Vec<&String>> = selection
        .targets
        .iter()
        .map(|t| t.spellings().collect())
        .collect();
    assert_eq!(
        sent,
        [
            vec!["/listed a.png"],
            vec!["/web/my photo.png", "/web/my%20photo.png"]
        ]
    );
    let skipped: Vec<(SkipKind, &str)> = selection
        .skipped
        .iter()
        .map(|s| (s.kind, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (SkipKind::OutsideSite, "outside the site `apps/web`"),
            (SkipKind::Imported, site::IMPORTED_REASON),
            (SkipKind::NotServed, NOT_SERVED_REASON),
            (SkipKind::Imported, site::IMPORTED_REASON),
            (SkipKind::NotServed, NOT_SERVED_REASON),
        ]
    );
    let imported: Vec<&str> = selection
        .skipped
        .iter()
        .filter(|s| s.kind == SkipKind::Imported)
        .map(|s| s.source.repo_path.as_str())
        .collect();
    assert_eq!(imported, ["apps/web/app/icon.png", "apps/web/src/logo.png"]);
}

#[test]
fn an_encoded_spelling_over_the_limit_is_skipped_and_the_written_one_sent() {
    // Each `é` is one character as written and six percent-encoded.
    let name = "é".repeat(MAX_PATH_CHARS / 2);
    let mut targets = BTreeMap::new();
    targets.insert(
        format!("/{name}"),
        vec![Source {
            repo_path: format!("public/{name}"),
            role: Role::Added,
        }],
    );
    let mut skipped = Vec::new();
    let targets = spelled(targets, &mut skipped);
    assert_eq!(targets.len(), 1);
    assert!(targets[0].also.is_empty());
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].kind, SkipKind::TooLong);
    assert!(
        skipped[0]
            .reason
            .starts_with("percent-encoded, the public path is")
    );
}

#[test]
fn selection_sends_each_public_path_once_and_says_why_others_are_skipped() {
    let include = globs(&[DEFAULT_INCLUDE]);
    let exclude = globs(&["public/drafts/**"]);
    let types: BTreeSet<_> = ChangeKind::ALL.into_iter().collect();
    let dirs =
        PublicDirs::parse(&["public".into(), "static".into()], &mut Vec::new()).expect("valid");
    let prefix = UrlPrefix::default();
    let rules = Rules {
        include: &include,
        exclude: &exclude,
        change_types: &types,
        public_dirs: &dirs,
        url_prefix: &prefix,
        site_dir: "",
        recognised: false,
        framework_public_dir: None,
    };
    let changes = vec![
        change(ChangeKind::Modified, "public/a.png", None, EntryKind::File),
        change(ChangeKind::Added, "static/a.png", None, EntryKind::File),
        change(
            ChangeKind::Renamed,
            "public/new.png",
            Some("public/old.png"),
            EntryKind::File,
        ),
        change(
            ChangeKind::Removed,
            "public/gone.webp",
            None,
            EntryKind::File,
        ),
        change(ChangeKind::Added, "src/logo.png", None, EntryKind::File),
        change(
            ChangeKind::Added,
            "public/drafts/x.png",
            None,
            EntryKind::File,
        ),
        change(
            ChangeKind::Modified,
            "public/link.png",
            None,
            EntryKind::Symlink,
        ),
        change(ChangeKind::Modified, "README.md", None, EntryKind::File),
    ];
    let selection = rules.select(&changes, &["/a.png".to_string(), "/extra.png".to_string()]);
    let paths: Vec<_> = selection
        .targets
        .iter()
        .map(|t| t.public_path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["/a.png", "/extra.png", "/gone.webp", "/new.png", "/old.png"]
    );
    assert_eq!(
        selection.targets[0].sources.len(),
        3,
        "two changes and the listing"
    );
    let skipped: Vec<_> = selection
        .skipped
        .iter()
        .map(|s| (s.source.repo_path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("public/drafts/x.png", "excluded by `public/drafts/**`"),
            ("public/link.png", "a symbolic link, not an image file"),
            ("src/logo.png", "outside the public dir `public`, `static`"),
        ]
    );
    assert_eq!(selection.ignored, 1);
}

#[test]
fn change_types_and_path_length_skip_with_reasons() {
    let include = globs(&[DEFAULT_INCLUDE]);
    let exclude = Globs::default();
    let types: BTreeSet<_> = [ChangeKind::Modified].into_iter().collect();
    let dirs = PublicDirs::default();
    let prefix = UrlPrefix::default();
    let rules = Rules {
        include: &include,
        exclude: &exclude,
        change_types: &types,
        public_dirs: &dirs,
        url_prefix: &prefix,
        site_dir: "",
        recognised: false,
        framework_public_dir: None,
    };
    let long = format!("public/{}.png", "a".repeat(MAX_PATH_CHARS));
    let changes = vec![
        change(ChangeKind::Removed, "public/a.png", None, EntryKind::File),
        change(ChangeKind::Modified, &long, None, EntryKind::File),
    ];
    let selection = rules.select(&changes, &[]);
    assert!(selection.targets.is_empty());
    assert_eq!(selection.skipped.len(), 2);
    assert!(
        selection
            .skipped
            .iter()
            .any(|s| s.reason == "`removed` is not in change-types")
    );
    assert!(
        selection
            .skipped
            .iter()
            .any(|s| s.reason.contains("at most 8192"))
    );
}
