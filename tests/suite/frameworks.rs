//! Public paths as the site's framework serves them: fixture sites made as
//! real git repositories (Next.js, Astro, SvelteKit, Nuxt, Gatsby, a monorepo), each
//! run through the GitHub API and through git, asserting exactly the
//! strings Vercel received, the skip reasons, and what GitHub was asked.

use crate::common;
use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::markdown::to_html;
use crate::common::vercel::FakeVercel;
use crate::common::{Action, GITHUB_TOKEN, Ran, VERCEL_TOKEN};
use serde_json::{Value, json};

const IMPORTED: &str = "imported: served under a hashed URL, never stale";

/// One run through each diff source.
struct Runs {
    api: Ran,
    git: Ran,
    /// The contents paths the API run asked GitHub for (config files and
    /// folder listings), in order.
    api_contents: Vec<String>,
    /// Every request of the API run.
    api_requests: usize,
    /// The paths of the API run's requests, in order.
    api_paths: Vec<String>,
}

impl Runs {
    fn both(&self) -> [(&str, &Ran); 2] {
        [("api", &self.api), ("git", &self.git)]
    }

    /// Both runs sent exactly `images` and skipped exactly `skipped`.
    fn assert_sent(&self, images: &[&str], skipped: Value) {
        let mut expected: Vec<String> = images.iter().map(|s| s.to_string()).collect();
        expected.sort();
        for (source, ran) in self.both() {
            assert_eq!(ran.strings("images"), expected, "{source}");
            assert_eq!(ran.json("skipped"), skipped, "{source}");
        }
    }
}

/// The contents paths (config files, folder listings) GitHub was asked for.
fn contents_asked(github: &FakeGitHub) -> Vec<String> {
    github
        .seen()
        .iter()
        .filter_map(|s| s.path.split_once("/contents/").map(|(_, p)| p.to_string()))
        .collect()
}

/// The data of the first warning the log issues that mentions `about`.
fn warning_about(source: &str, ran: &Ran, about: &str) -> String {
    common::runner::commands(&ran.stdout)
        .into_iter()
        .find(|c| c.name == "warning" && c.data.contains(about))
        .unwrap_or_else(|| panic!("{source}: no warning about {about}\n{}", ran.stdout))
        .data
}

/// A site repository: `files` in the first commit, `changed` in the second.
fn site(files: &[(&str, &str)], changed: &[(&str, &str)]) -> (GitRepo, String, String) {
    let repo = GitRepo::new();
    repo.write("README.md", "site");
    for (path, text) in files {
        repo.write(path, text);
    }
    let before = repo.commit("site");
    for (path, text) in changed {
        repo.write(path, text);
    }
    let after = repo.commit("images");
    (repo, before, after)
}

/// Runs the push through the API and through git with `inputs`, expecting
/// `code`; what Vercel received is what each run reports.
async fn run_both(
    repo: &GitRepo,
    before: &str,
    after: &str,
    inputs: &[(&str, &str)],
    code: i32,
) -> Runs {
    let mut runs = Vec::new();
    let mut api_contents = Vec::new();
    let mut api_requests = 0;
    let mut api_paths = Vec::new();
    for source in ["api", "git"] {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        let vercel = FakeVercel::start(VERCEL_TOKEN).await;
        let mut action = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .input("diff-source", source)
            .push(before, after);
        for (name, value) in inputs {
            action = action.input(name, value);
        }
        let ran = action.run();
        ran.assert_code(code);
        if code == 0 {
            assert_eq!(vercel.images(), ran.strings("images"), "{source}: sent");
        } else {
            assert!(vercel.received().is_empty(), "{source}: nothing sent");
        }
        let seen = github.seen();
        if source == "git" {
            assert!(seen.is_empty(), "git asked GitHub: {seen:?}");
        } else {
            api_requests = seen.len();
            api_paths = seen.iter().map(|s| s.path.clone()).collect();
            api_contents = contents_asked(&github);
        }
        runs.push(ran);
    }
    let git = runs.pop().expect("git run");
    let api = runs.pop().expect("api run");
    Runs {
        api,
        git,
        api_contents,
        api_requests,
        api_paths,
    }
}

/// The summary as a reader sees it (Markdown escapes removed).
fn shown(ran: &Ran) -> String {
    to_html(&ran.summary)
}

fn assert_no_outside_warning(runs: &Runs) {
    for (source, ran) in runs.both() {
        assert!(
            !ran.stdout.contains("outside the public dir"),
            "{source}: imported images are not misplaced\n{}",
            ran.stdout
        );
    }
}

#[tokio::test]
async fn next_js_base_path_in_next_config_mjs_goes_in_front_and_imports_are_skipped() {
    let (repo, before, after) = site(
        &[
            ("package.json", r#"{"dependencies": {"next": "15.1.0"}}"#),
            (
                "next.config.mjs",
                "/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  basePath: '/docs',\n  images: { deviceSizes: [640, 1080] },\n};\nexport default nextConfig;\n",
            ),
            ("public/hero.png", "1"),
            ("app/logo.png", "1"),
        ],
        &[
            ("public/hero.png", "2"),
            ("public/icons/new.svg", "new"),
            ("app/logo.png", "2"),
        ],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &["/docs/hero.png", "/docs/icons/new.svg"],
        json!([{"path": "app/logo.png", "reason": IMPORTED}]),
    );
    assert_no_outside_warning(&runs);
    for (source, ran) in runs.both() {
        assert!(
            shown(ran).contains(
                "Next.js in the repository root: public dir public, basePath /docs (from next.config.mjs)"
            ),
            "{source}: {}",
            ran.summary
        );
        assert!(ran.stdout.contains("::group::Site in the repository root"));
        assert_eq!(ran.outputs["count"], "2");
    }
    // Two tree listings, then one request per config file that exists.
    assert_eq!(runs.api_contents, ["next.config.mjs", "package.json"]);
    assert_eq!(runs.api_requests, 4);
}

#[tokio::test]
async fn next_js_base_path_in_next_config_ts_and_both_spellings_of_awkward_names() {
    let (repo, before, after) = site(
        &[(
            "next.config.ts",
            "import type { NextConfig } from \"next\";\n\nconst config: NextConfig = {\n  basePath: \"/shop\",\n  // basePath: \"/wrong\",\n};\n\nexport default config;\n",
        )],
        &[
            ("public/my photo.jpg", "space"),
            ("public/café.png", "accent"),
            ("public/plain.png", "plain"),
        ],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &[
            "/shop/my photo.jpg",
            "/shop/my%20photo.jpg",
            "/shop/café.png",
            "/shop/caf%C3%A9.png",
            "/shop/plain.png",
        ],
        json!([]),
    );
    for (source, ran) in runs.both() {
        assert_eq!(ran.outputs["count"], "3", "{source}: counts stay per image");
        assert!(
            ran.summary.starts_with("### ✅ 3 images invalidated"),
            "{source}: {}",
            ran.summary
        );
    }
    // No package.json, no vercel.json: only the config file is read.
    assert_eq!(runs.api_contents, ["next.config.ts"]);
    assert_eq!(runs.api_requests, 3);
}

#[tokio::test]
async fn next_js_unoptimized_images_are_sent_with_a_warning() {
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            "module.exports = {\n  images: { unoptimized: true },\n};\n",
        )],
        &[("public/a.png", "a")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(&["/a.png"], json!([]));
    for (source, ran) in runs.both() {
        let warning = warning_about(source, ran, "unoptimized");
        assert!(
            warning.contains("invalidating them has no effect"),
            "{warning}"
        );
        assert!(
            shown(ran).contains("invalidating them has no effect"),
            "{source}: the summary says it too: {}",
            ran.summary
        );
    }
}

#[tokio::test]
async fn a_commented_out_base_path_is_not_read() {
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            "// basePath: '/docs',\n/* module.exports = { basePath: '/old' } */\nconst note = \"basePath: '/string'\";\nmodule.exports = {\n  // basePath: '/docs',\n  reactStrictMode: true,\n};\n",
        )],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(&["/hero.png"], json!([]));
    for (_, ran) in runs.both() {
        assert!(shown(ran).contains("no basePath"), "{}", ran.summary);
    }
}

#[tokio::test]
async fn a_computed_base_path_stops_the_run_and_names_the_input() {
    let (repo, before, after) = site(
        &[(
            "next.config.mjs",
            "export default {\n  basePath: process.env.BASE_PATH,\n};\n",
        )],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[], 2).await;
    for (source, ran) in runs.both() {
        let all = ran.everything();
        assert!(
            all.contains("url-prefix is `auto`, but `basePath` in next.config.mjs is computed when the site is built (`process.env.BASE_PATH`)"),
            "{source}: {all}"
        );
        assert!(all.contains("set `url-prefix`"), "{source}: {all}");
    }

    // Set by hand, the value is used.
    let runs = run_both(&repo, &before, &after, &[("url-prefix", "/docs/")], 0).await;
    runs.assert_sent(&["/docs/hero.png"], json!([]));
}

#[tokio::test]
async fn a_base_path_set_under_a_condition_stops_the_run_and_names_the_input() {
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            "const nextConfig = { images: { formats: ['image/webp'] } };\n\
             if (process.env.BASE_PATH) {\n  nextConfig.basePath = process.env.BASE_PATH;\n}\n\
             module.exports = nextConfig;\n",
        )],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[], 2).await;
    for (source, ran) in runs.both() {
        let all = ran.everything();
        assert!(
            all.contains("url-prefix is `auto`, but `basePath` in next.config.js is computed when the site is built (`nextConfig.basePath = process.env.BASE_PATH`)"),
            "{source}: {all}"
        );
        assert!(all.contains("set `url-prefix`"), "{source}: {all}");
    }
    let runs = run_both(&repo, &before, &after, &[("url-prefix", "/docs/")], 0).await;
    runs.assert_sent(&["/docs/hero.png"], json!([]));
}

#[tokio::test]
async fn a_config_exported_as_a_function_is_read_for_the_production_build() {
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            "const { PHASE_DEVELOPMENT_SERVER, PHASE_PRODUCTION_BUILD } = require('next/constants');\n\nmodule.exports = (phase, { defaultConfig }) => {\n  if (phase === PHASE_DEVELOPMENT_SERVER) {\n    return { ...defaultConfig, basePath: '/dev' };\n  }\n  return {\n    ...defaultConfig,\n    basePath: phase === PHASE_PRODUCTION_BUILD ? '/b' : '/a',\n  };\n};\n",
        )],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(&["/b/hero.png"], json!([]));
}

#[tokio::test]
async fn an_explicit_url_prefix_that_contradicts_the_config_wins_with_a_warning() {
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            "module.exports = { basePath: '/docs' };\n",
        )],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[("url-prefix", "/")], 0).await;
    runs.assert_sent(&["/hero.png"], json!([]));
    for (source, ran) in runs.both() {
        let warning = warning_about(source, ran, "url-prefix");
        assert!(
            warning.contains("disagrees with basePath `/docs` in next.config.js")
                && warning.contains("using `/` as set"),
            "{warning}"
        );
        assert!(
            shown(ran).contains("disagrees with basePath"),
            "{source}: the summary says it too: {}",
            ran.summary
        );
    }
}

#[tokio::test]
async fn astro_base_is_read_from_astro_config() {
    let (repo, before, after) = site(
        &[
            ("package.json", r#"{"dependencies": {"astro": "^4.0.0"}}"#),
            (
                "astro.config.mjs",
                "import { defineConfig } from 'astro/config';\n\nexport default defineConfig({\n  site: 'https://example.com',\n  base: '/blog',\n});\n",
            ),
        ],
        &[("public/og.png", "og"), ("src/assets/cover.jpg", "cover")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &["/blog/og.png"],
        json!([{"path": "src/assets/cover.jpg", "reason": IMPORTED}]),
    );
    assert_no_outside_warning(&runs);
    assert_eq!(runs.api_contents, ["astro.config.mjs", "package.json"]);
}

#[tokio::test]
async fn svelte_kit_serves_static_under_paths_base() {
    let (repo, before, after) = site(
        &[
            (
                "package.json",
                r#"{"devDependencies": {"@sveltejs/kit": "^2.0.0", "@sveltejs/adapter-vercel": "^5.0.0"}}"#,
            ),
            (
                "svelte.config.js",
                "import adapter from '@sveltejs/adapter-vercel';\n\n/** @type {import('@sveltejs/kit').Config} */\nconst config = {\n  kit: {\n    adapter: adapter(),\n    paths: { base: '/app' },\n  },\n};\n\nexport default config;\n",
            ),
        ],
        &[
            ("static/favicon.png", "icon"),
            ("src/lib/images/pic.png", "pic"),
        ],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &["/app/favicon.png"],
        json!([{"path": "src/lib/images/pic.png", "reason": IMPORTED}]),
    );
    for (_, ran) in runs.both() {
        assert!(
            shown(ran).contains(
                "SvelteKit in the repository root: public dir static, kit.paths.base /app"
            ),
            "{}",
            ran.summary
        );
    }
}

#[tokio::test]
async fn nuxt_3_serves_public_under_app_base_url() {
    let (repo, before, after) = site(
        &[
            (
                "package.json",
                r#"{"devDependencies": {"nuxt": "^3.12.0"}}"#,
            ),
            (
                "nuxt.config.ts",
                "// https://nuxt.com/docs/api/configuration/nuxt-config\nexport default defineNuxtConfig({\n  app: { baseURL: '/n/' },\n  devtools: { enabled: true },\n})\n",
            ),
        ],
        &[("public/a.png", "a"), ("assets/b.png", "b")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &["/n/a.png"],
        json!([{"path": "assets/b.png", "reason": IMPORTED}]),
    );
    for (_, ran) in runs.both() {
        assert!(
            shown(ran).contains("Nuxt 3 in the repository root"),
            "{}",
            ran.summary
        );
    }
}

#[tokio::test]
async fn a_monorepo_site_dir_reads_that_app_only_and_skips_the_others() {
    let (repo, before, after) = site(
        &[
            (
                "package.json",
                r#"{"private": true, "workspaces": ["apps/*"]}"#,
            ),
            (
                "next.config.js",
                "module.exports = { basePath: '/root-app' };\n",
            ),
            (
                "apps/web/package.json",
                r#"{"dependencies": {"next": "15.0.0"}}"#,
            ),
            (
                "apps/web/next.config.js",
                "module.exports = { basePath: '/web' };\n",
            ),
            (
                "apps/admin/package.json",
                r#"{"dependencies": {"next": "15.0.0"}}"#,
            ),
        ],
        &[
            ("apps/web/public/hero.png", "web"),
            ("apps/web/components/badge.png", "badge"),
            ("apps/admin/public/chart.png", "admin"),
            ("public/root.png", "root"),
        ],
    );
    let runs = run_both(&repo, &before, &after, &[("site-dir", "./apps/web/")], 0).await;
    runs.assert_sent(
        &["/web/hero.png"],
        json!([
            {"path": "apps/admin/public/chart.png", "reason": "outside the site `apps/web`"},
            {"path": "apps/web/components/badge.png", "reason": IMPORTED},
            {"path": "public/root.png", "reason": "outside the site `apps/web`"},
        ]),
    );
    assert_no_outside_warning(&runs);
    for (_, ran) in runs.both() {
        assert!(
            shown(ran).contains("Next.js in apps/web: public dir apps/web/public, basePath /web"),
            "{}",
            ran.summary
        );
    }
    // The root's config files are not the site's: never asked for.
    assert_eq!(
        runs.api_contents,
        ["apps/web/next.config.js", "apps/web/package.json"]
    );
    assert_eq!(runs.api_requests, 4);
}

#[tokio::test]
async fn an_explicit_public_dir_leaving_out_the_frameworks_is_not_taken_for_imports() {
    let (repo, before, after) = site(
        &[(
            "apps/web/next.config.js",
            "module.exports = { reactStrictMode: true };\n",
        )],
        &[
            ("apps/web/public/hero.png", "web"),
            ("apps/web/components/badge.png", "badge"),
            ("public/root.png", "root"),
        ],
    );
    let inputs = [("site-dir", "apps/web"), ("public-dir", "public")];
    let runs = run_both(&repo, &before, &after, &inputs, 0).await;
    runs.assert_sent(
        &["/root.png"],
        json!([
            {"path": "apps/web/components/badge.png", "reason": IMPORTED},
            {"path": "apps/web/public/hero.png", "reason": "outside the public dir `public`"},
        ]),
    );
    for (source, ran) in runs.both() {
        let warning = warning_about(source, ran, "does not include");
        assert!(
            warning.contains("public-dir `public` does not include `apps/web/public`"),
            "{source}: {warning}"
        );
        assert!(
            ran.stdout
                .contains("::warning::1 changed image(s) are outside the public dir"),
            "{source}: {}",
            ran.stdout
        );
    }
}

#[tokio::test]
async fn gatsby_serves_static_under_path_prefix() {
    let (repo, before, after) = site(
        &[
            (
                "package.json",
                r#"{"dependencies": {"gatsby": "^5.13.0"}, "scripts": {"build": "gatsby build --prefix-paths"}}"#,
            ),
            (
                "gatsby-config.ts",
                "import type { GatsbyConfig } from 'gatsby';\n\nconst config: GatsbyConfig = {\n  pathPrefix: '/blog',\n  plugins: ['gatsby-plugin-image'],\n};\n\nexport default config;\n",
            ),
        ],
        &[("static/hero.png", "hero"), ("src/images/icon.png", "icon")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &["/blog/hero.png"],
        json!([{"path": "src/images/icon.png", "reason": IMPORTED}]),
    );
    assert_no_outside_warning(&runs);
    for (_, ran) in runs.both() {
        assert!(
            shown(ran)
                .contains("Gatsby in the repository root: public dir static, pathPrefix /blog"),
            "{}",
            ran.summary
        );
    }
}

#[tokio::test]
async fn no_framework_config_keeps_public_at_the_root() {
    let (repo, before, after) = site(
        &[("public/a.png", "1"), ("assets/b.png", "1")],
        &[("public/a.png", "2"), ("assets/b.png", "2")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &["/a.png"],
        json!([{"path": "assets/b.png", "reason": "outside the public dir `public`"}]),
    );
    for (_, ran) in runs.both() {
        assert!(
            ran.stdout
                .contains("::warning::1 changed image(s) are outside the public dir")
        );
        assert!(!shown(ran).contains("framework"), "{}", ran.summary);
    }
    assert!(runs.api_contents.is_empty());
    assert_eq!(runs.api_requests, 2);
}

#[tokio::test]
async fn a_site_dir_that_is_not_a_folder_of_the_repository_is_refused() {
    let (repo, before, after) = site(&[], &[("public/a.png", "a")]);
    let runs = run_both(&repo, &before, &after, &[("site-dir", "apps/nope")], 2).await;
    for (source, ran) in runs.both() {
        assert!(
            ran.stdout.contains("`apps/nope` holds no files at"),
            "{source}: {}",
            ran.stdout
        );
        assert!(ran.stdout.contains("site-dir"), "{source}");
    }
    // Leaving the repository is refused before anything is asked.
    let runs = run_both(&repo, &before, &after, &[("site-dir", "../web")], 2).await;
    for (source, ran) in runs.both() {
        assert!(
            ran.stdout
                .contains("`../web` is not a folder inside the repository"),
            "{source}: {}",
            ran.stdout
        );
    }
    assert_eq!(runs.api_requests, 0);
}

#[tokio::test]
async fn config_text_in_a_warning_cannot_issue_workflow_commands() {
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            "module.exports = {\n  images: { loader: 'custom\\n::error::pwned', loaderFile: './l.js' },\n};\n",
        )],
        &[("public/a.png", "a")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(&["/a.png"], json!([]));
    for (source, ran) in runs.both() {
        let seen = common::runner::commands(&ran.stdout);
        assert!(
            seen.iter().all(|c| c.name != "error"),
            "{source}: a config value issued a command: {seen:#?}"
        );
        let warning = warning_about(source, ran, "images.loader");
        assert!(warning.contains("custom\\n::error::pwned"), "{warning}");
    }
}

#[tokio::test]
async fn a_listing_github_cuts_short_still_finds_the_config_files_without_extra_requests() {
    let repo = GitRepo::new();
    repo.write_many((0..60).map(|i| (format!("src/module{i}/index.ts"), "x".to_string())));
    repo.write(
        "apps/web/package.json",
        r#"{"dependencies": {"next": "15.0.0"}}"#,
    )
    .write(
        "apps/web/next.config.js",
        "module.exports = { basePath: '/web' };\n",
    )
    .write("shared/public/logo.png", "1");
    let before = repo.commit("one");
    repo.write("apps/web/public/hero.png", "new");
    let middle = repo.commit("two");
    repo.write("shared/public/logo.png", "2");
    let after = repo.commit("three");

    // The site dir changed: the folder-by-folder walk lists it anyway.
    let (_, images, contents) = cut_short(&repo, &before, &middle, &[]).await;
    assert_eq!(images, ["/web/hero.png"]);
    assert_eq!(
        contents,
        ["apps/web/next.config.js", "apps/web/package.json"]
    );

    // Only an explicit public dir outside the site changed: the site dir
    // was not listed, so one request lists it.
    let explicit = [("public-dir", "shared/public")];
    let (ran, images, contents) = cut_short(&repo, &middle, &after, &explicit).await;
    assert_eq!(images, ["/web/logo.png"]);
    assert_eq!(
        contents,
        [
            "apps/web",
            "apps/web/next.config.js",
            "apps/web/package.json"
        ]
    );
    let warning = warning_about("api", &ran, "public-dir");
    assert!(
        warning.contains("public-dir `shared/public` does not include `apps/web/public`"),
        "{warning}"
    );
}

/// An API run with `site-dir: apps/web` against a GitHub that cuts
/// listings short past 40 entries: the run, what Vercel received, and the
/// contents GitHub was asked for.
async fn cut_short(
    repo: &GitRepo,
    before: &str,
    after: &str,
    inputs: &[(&str, &str)],
) -> (Ran, Vec<String>, Vec<String>) {
    let github = FakeGitHub::start_with_limit(repo.path(), GITHUB_TOKEN, 40).await;
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let mut action = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("site-dir", "apps/web")
        .push(before, after);
    for (name, value) in inputs {
        action = action.input(name, value);
    }
    let ran = action.run();
    ran.assert_code(0);
    (ran, vercel.images(), contents_asked(&github))
}

#[tokio::test]
async fn plugins_in_a_reduce_and_a_conditional_spread_pass_the_base_path_through() {
    let (repo, before, after) = site(
        &[
            ("package.json", r#"{"dependencies": {"next": "15.1.0"}}"#),
            (
                "next.config.mjs",
                "import bundleAnalyzer from '@next/bundle-analyzer';\nimport createMDX from '@next/mdx';\nimport { withSentryConfig } from '@sentry/nextjs';\n\nconst withBundleAnalyzer = bundleAnalyzer({ enabled: process.env.ANALYZE === 'true' });\nconst withMDX = createMDX({ extension: /\\.mdx?$/ });\n\n/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  basePath: '/docs',\n  pageExtensions: ['ts', 'tsx', 'md', 'mdx'],\n  ...(process.env.STANDALONE === 'true' && { output: 'standalone' }),\n  ...(process.env.TAURI ? {} : { async rewrites() { return [] } }),\n};\n\nconst plugins = [withBundleAnalyzer, withMDX];\n\nexport default withSentryConfig(\n  plugins.reduce((config, plugin) => plugin(config), nextConfig),\n  { silent: true },\n);\n",
            ),
            ("public/hero.png", "1"),
        ],
        &[("public/hero.png", "2")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(&["/docs/hero.png"], json!([]));
    for (source, ran) in runs.both() {
        assert!(
            shown(ran).contains(
                "Next.js in the repository root: public dir public, basePath /docs (from next.config.mjs, through withSentryConfig, withMDX, withBundleAnalyzer)"
            ),
            "{source}: {}",
            ran.summary
        );
    }
}

#[tokio::test]
async fn a_base_path_that_conditional_spreads_set_differently_stops_the_run() {
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            "const isGithubActions = process.env.GITHUB_ACTIONS || false;\n\nmodule.exports = {\n  reactStrictMode: true,\n  ...(isGithubActions ? { basePath: '/site', assetPrefix: '/site/' } : {}),\n};\n",
        )],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[], 2).await;
    for (source, ran) in runs.both() {
        let all = ran.everything();
        assert!(
            all.contains("url-prefix is `auto`, but `basePath` in next.config.js is computed when the site is built (`isGithubActions ? { basePath: '/site', assetPrefix: '/site/' } : {}`)"),
            "{source}: {all}"
        );
        assert!(all.contains("set `url-prefix`"), "{source}: {all}");
    }
}

#[tokio::test]
async fn nuxt_3_serves_public_under_src_dir_and_vite_under_root() {
    let (repo, before, after) = site(
        &[
            (
                "apps/shop/package.json",
                r#"{"devDependencies": {"nuxt": "^3.13.0"}}"#,
            ),
            (
                "apps/shop/nuxt.config.ts",
                "export default defineNuxtConfig({\n  srcDir: 'src/',\n  app: { baseURL: '/shop/' },\n})\n",
            ),
            (
                "apps/lab/package.json",
                r#"{"devDependencies": {"vite": "^6.0.0"}}"#,
            ),
            (
                "apps/lab/vite.config.ts",
                "import { defineConfig } from 'vite'\n\nexport default defineConfig(({ command }) => ({\n  root: 'public',\n  base: command === 'build' ? '/lab/' : '/',\n}))\n",
            ),
        ],
        &[
            ("apps/shop/src/public/a.png", "a"),
            ("apps/shop/public/b.png", "b"),
            ("apps/lab/public/public/c.png", "c"),
            ("apps/lab/public/d.png", "d"),
        ],
    );
    let shop = run_both(&repo, &before, &after, &[("site-dir", "apps/shop")], 0).await;
    shop.assert_sent(
        &["/shop/a.png"],
        json!([
            {"path": "apps/lab/public/d.png", "reason": "outside the site `apps/shop`"},
            {"path": "apps/lab/public/public/c.png", "reason": "outside the site `apps/shop`"},
            {"path": "apps/shop/public/b.png", "reason": "outside the public dir: not served as a file"},
        ]),
    );
    let lab = run_both(&repo, &before, &after, &[("site-dir", "apps/lab")], 0).await;
    lab.assert_sent(
        &["/lab/c.png"],
        json!([
            {"path": "apps/lab/public/d.png", "reason": "outside the public dir: not served as a file"},
            {"path": "apps/shop/public/b.png", "reason": "outside the site `apps/lab`"},
            {"path": "apps/shop/src/public/a.png", "reason": "outside the site `apps/lab`"},
        ]),
    );
}

#[tokio::test]
async fn a_config_over_the_size_cap_stops_the_run_naming_the_input() {
    let padding = format!("// {}\n", "x".repeat(1_100_000));
    let (repo, before, after) = site(
        &[(
            "next.config.js",
            &format!("{padding}module.exports = {{ basePath: '/docs' }};\n"),
        )],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[], 2).await;
    for (source, ran) in runs.both() {
        let all = ran.everything();
        assert!(
            all.contains("larger than the 1000000 bytes a config is read up to"),
            "{source}: {all}"
        );
        assert!(all.contains("set `url-prefix`"), "{source}: {all}");
        assert!(!all.contains("rerun"), "{source}: {all}");
    }
    // Its size is in the contents API's answer: the blob is not fetched.
    assert_eq!(runs.api_contents, ["next.config.js"]);
    assert!(
        !runs.api_paths.iter().any(|p| p.contains("/git/blobs/")),
        "{:?}",
        runs.api_paths
    );
}

#[tokio::test]
async fn a_config_that_is_a_symbolic_link_is_read_at_its_target() {
    let repo = GitRepo::new();
    repo.write(
        "config/next.config.js",
        "module.exports = { basePath: '/linked' };\n",
    );
    repo.symlink("next.config.js", "config/next.config.js");
    repo.write("public/hero.png", "1");
    let before = repo.commit("site");
    repo.write("public/hero.png", "2");
    let after = repo.commit("image");
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(&["/linked/hero.png"], json!([]));
    assert_eq!(runs.api_contents, ["next.config.js"]);
}

#[tokio::test]
async fn a_package_json_over_one_megabyte_is_read_through_the_blobs_api() {
    // The contents API leaves out files over 1 MB (`"encoding": "none"`).
    let package = format!(
        "{{\"dependencies\": {{\"next\": \"15.1.0\"}}, \"description\": \"{}\"}}",
        "x".repeat(1_200_000)
    );
    let (repo, before, after) = site(
        &[
            ("package.json", &package),
            ("next.config.mjs", "export default { basePath: '/big' };\n"),
        ],
        &[("public/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(&["/big/hero.png"], json!([]));
    for (source, ran) in runs.both() {
        assert!(!ran.everything().contains("rerun"), "{source}");
    }
    assert_eq!(runs.api_contents, ["next.config.mjs", "package.json"]);
    // Two listings, two contents requests and the blob.
    assert_eq!(runs.api_requests, 5);
}

/// What the README says a push costs through the API: 2 listings, 1 per
/// config file, and 1 to check a `public-dir` the push changed nothing in.
#[tokio::test]
async fn a_public_dir_the_push_left_alone_costs_one_request_to_check() {
    let (repo, before, after) = site(
        &[
            ("package.json", r#"{"dependencies": {"next": "15.1.0"}}"#),
            ("next.config.js", "module.exports = {};\n"),
            ("static/logo.png", "logo"),
        ],
        &[("assets/hero.png", "hero")],
    );
    let runs = run_both(&repo, &before, &after, &[("public-dir", "static")], 0).await;
    for (source, ran) in runs.both() {
        assert!(ran.strings("images").is_empty(), "{source}");
    }
    assert_eq!(
        runs.api_contents,
        ["next.config.js", "package.json", "static"]
    );
    assert_eq!(runs.api_requests, 5);
}

#[tokio::test]
async fn a_public_dir_that_is_a_symbolic_link_serves_its_targets_images() {
    let repo = GitRepo::new();
    repo.write("package.json", r#"{"dependencies": {"next": "15.1.0"}}"#);
    repo.write(
        "next.config.js",
        "module.exports = { basePath: '/docs' };\n",
    );
    repo.write("assets/a.png", "1");
    repo.symlink("public", "assets");
    repo.write("app/logo.png", "1");
    let before = repo.commit("site");
    repo.write("assets/a.png", "2");
    repo.write("app/logo.png", "2");
    let after = repo.commit("images");
    let runs = run_both(&repo, &before, &after, &[], 0).await;
    runs.assert_sent(
        &["/docs/a.png"],
        json!([{"path": "app/logo.png", "reason": IMPORTED}]),
    );
    for (source, ran) in runs.both() {
        assert!(
            ran.stdout.contains(
                "public is a symbolic link to assets: the images there are served under public"
            ),
            "{source}: {}",
            ran.stdout
        );
    }
    // The listing shows the link; its target is one more request.
    assert_eq!(
        runs.api_contents,
        ["next.config.js", "package.json", "public"]
    );
}
