//! End to end: the binary asks the live site (a fake image cache that
//! shares its state with the fake edge-cache API, so an invalidation marks
//! the site's variants stale) once before sending (the baseline) and after,
//! and reports what visitors now get: the Live column, the `verified` and
//! `unverified` outputs, the warnings, the exit code, the warm-up and its
//! limit, and how a hostile site is bounded.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::git::GitRepo;
use crate::common::github::{FakeDeployment, FakeGitHub, OWNER_REPO};
use crate::common::markdown::plain;
use crate::common::site::{FakeSite, Key, SiteConfig};
use crate::common::vercel::FakeVercel;
use crate::common::{Action, GITHUB_TOKEN, Ran, VERCEL_TOKEN, without_temp_names};

/// Probing at once and without pause, so that tests take a moment; the
/// fake site revalidates after a count of requests, not after a time.
const FAST_LIVE: [&str; 8] = [
    "--verify-grace",
    "0",
    "--verify-interval",
    "0",
    "--verify-max-interval",
    "0",
    "--verify-timeout",
    "10",
];

/// The variant a verification probes with Next.js's defaults: the smallest
/// width from 640 up, quality 75, WebP (the first format `Accept` names).
fn probe(path: &str) -> Key {
    Key::new(path, 640, 75, "image/webp")
}

fn past(id: u64, sha: &str, history: Vec<&'static str>) -> FakeDeployment {
    FakeDeployment {
        id,
        sha: sha.to_string(),
        environment: "Production".to_string(),
        states: history.first().copied().into_iter().collect(),
        history,
        listed_after: 0,
    }
}

fn deployment_status(id: u64, sha: &str) -> Value {
    json!({
        "action": "created",
        "deployment_status": {
            "id": id * 100,
            "state": "success",
            "environment": "Production",
            "environment_url": format!("https://site-{id}.vercel.app"),
        },
        "deployment": {
            "id": id,
            "sha": sha,
            "ref": sha,
            "task": "deploy",
            "environment": "Production",
        },
        "repository": {"full_name": OWNER_REPO},
    })
}

/// A Next.js site (known from its `package.json`) at the root.
const NEXT_PACKAGE: (&str, &str) = ("package.json", r#"{"dependencies": {"next": "15.1.0"}}"#);

/// `hero.png` changed, `new.webp` added, `gone.png` removed, in a Next.js
/// site whose config files are `site`.
fn history_of(site: &[(&str, &str)]) -> (GitRepo, String, String) {
    let repo = GitRepo::new();
    for (path, text) in site {
        repo.write(path, text);
    }
    repo.write("public/images/hero.png", "hero v1")
        .write("public/images/gone.png", "gone")
        .write("public/images/logo.png", "logo");
    let before = repo.commit("first");
    repo.write("public/images/hero.png", "hero v2")
        .write("public/images/new.webp", "new")
        .remove("public/images/gone.png");
    let after = repo.commit("second");
    (repo, before, after)
}

fn history() -> (GitRepo, String, String) {
    history_of(&[NEXT_PACKAGE])
}

/// The site as visitors saw it before the deployment: every image there,
/// hero and gone cached; then the deployment went live with the change.
fn deployed_site(site: &FakeSite) -> String {
    for path in ["/images/hero.png", "/images/gone.png", "/images/logo.png"] {
        site.put(path);
    }
    let old = site.visit("/images/hero.png", 640, 75, "image/webp");
    site.visit("/images/gone.png", 640, 75, "image/webp");
    site.change("/images/hero.png");
    site.put("/images/new.webp");
    site.remove("/images/gone.png");
    old
}

struct World {
    repo: GitRepo,
    after: String,
    github: FakeGitHub,
    vercel: FakeVercel,
    site: FakeSite,
}

/// A run triggered by the deployment of `after` going live, with the
/// deployment of `before` live until then.
async fn world(config: SiteConfig) -> World {
    world_of(config, history()).await
}

async fn world_of(config: SiteConfig, (repo, before, after): (GitRepo, String, String)) -> World {
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(1, &before, vec!["inactive", "success"]));
    github.add_deployment(past(2, &after, vec!["success"]));
    let site = FakeSite::start(config).await;
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;
    World {
        repo,
        after,
        github,
        vercel,
        site,
    }
}

impl World {
    fn action(&self) -> Action {
        Action::new()
            .against(&self.github.url(), &self.vercel.url(), self.repo.path())
            .env("GITHUB_SHA", &self.after)
            .event("deployment_status", deployment_status(2, &self.after))
            .input("site-url", &self.site.url())
            .args(&FAST_LIVE)
            .fast_retries()
    }
}

fn unverified(ran: &Ran) -> BTreeMap<String, String> {
    ran.json("unverified")
        .as_array()
        .expect("array")
        .iter()
        .map(|entry| {
            (
                entry["path"].as_str().expect("path").to_string(),
                entry["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect()
}

/// The summary's table row of `path`.
fn row<'a>(summary: &'a str, path: &str) -> &'a str {
    summary
        .lines()
        .find(|line| line.starts_with("| ") && line.contains(&format!("`{path}`")))
        .unwrap_or_else(|| panic!("no row for {path}:\n{summary}"))
}

#[tokio::test]
async fn a_correct_mapping_is_verified_on_the_live_site() {
    let world = world(SiteConfig::default()).await;
    let old = deployed_site(&world.site);

    let ran = world.action().run();
    ran.assert_code(0);

    let sent = ["/images/gone.png", "/images/hero.png", "/images/new.webp"];
    assert_eq!(world.vercel.images(), sent);
    assert_eq!(ran.strings("verified"), sent);
    assert!(unverified(&ran).is_empty(), "{}", ran.outputs["unverified"]);

    // Each image was asked as a browser asks, at the variant visitors had.
    let requests = world.site.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.path, "/_next/image");
        assert_eq!(request.accept.as_deref(), Some("image/avif,image/webp,*/*"));
        assert!(request.bypass.is_none());
    }
    assert_eq!(
        world
            .site
            .sources_requested()
            .into_iter()
            .collect::<Vec<_>>(),
        sent
    );
    // The baseline: one probe of each, once the deployment was live and
    // before anything was sent; then nothing more was needed. A local
    // image is keyed by its content: the new hero was a MISS on a new key,
    // its old ETag no longer in play.
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_eq!(world.site.requests_before_sending(), Some(3));
    let hero: Vec<_> = requests
        .iter()
        .filter(|r| r.key == Some(probe("/images/hero.png")))
        .collect();
    assert_eq!(hero.len(), 1);
    assert_eq!(hero[0].cache.as_deref(), Some("MISS"));
    assert_ne!(hero[0].etag.as_deref(), Some(old.as_str()));
    assert!(
        ran.stdout
            .contains("/images/hero.png: before invalidating: MISS, ETag")
    );

    let summary = &ran.summary;
    assert!(
        summary.starts_with("### ✅ 3 images invalidated, 3 verified live\n"),
        "{summary}"
    );
    assert!(summary.contains("**3** verified live · **0** not verified"));
    assert!(
        summary.contains("| Result | Live | Public path |"),
        "{summary}"
    );
    assert!(
        row(summary, "/images/hero.png").contains("✅ fresh under a new content key (MISS)"),
        "{summary}"
    );
    assert!(row(summary, "/images/new.webp").contains("✅ fresh, not cached before"));
    assert!(row(summary, "/images/gone.png").contains("✅ removed (404)"));
    assert!(
        ran.stdout
            .contains("::group::Verifying 3 image(s) on http://127.0.0.1")
    );
    assert!(!ran.stdout.contains("::warning"), "{}", ran.stdout);
}

#[tokio::test]
async fn a_wrong_url_prefix_is_named_in_warnings_and_in_unverified() {
    let world = world(SiteConfig::default()).await;
    deployed_site(&world.site);

    let ran = world.action().input("url-prefix", "/static/").run();
    ran.assert_code(0);

    let sent = [
        "/static/images/gone.png",
        "/static/images/hero.png",
        "/static/images/new.webp",
    ];
    assert_eq!(world.vercel.images(), sent);
    // A removed image answers 404 as it should, whatever its path.
    assert_eq!(ran.strings("verified"), ["/static/images/gone.png"]);
    let unverified = unverified(&ran);
    assert_eq!(unverified.keys().collect::<Vec<_>>(), sent[1..]);
    assert!(
        unverified
            .values()
            .all(|reason| reason.contains("no image at this path (404)")),
        "{unverified:?}"
    );

    let warnings: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning title=Not verified on the live site::"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", ran.stdout);
    let hero = warnings
        .iter()
        .find(|w| w.contains("`/static/images/hero.png`"))
        .expect("a warning for hero");
    assert!(hero.contains("not served (404)"), "{hero}");
    assert!(
        hero.contains("Sent to Vercel as `/static/images/hero.png`"),
        "{hero}"
    );
    assert!(
        hero.contains("url=%252Fstatic%252Fimages%252Fhero.png&w=640&q=75"),
        "{hero}"
    );
    assert!(hero.contains("url-prefix"), "{hero}");

    let summary = plain(&ran.summary);
    assert!(
        summary.starts_with("### ⚠️ 3 images invalidated, 2 not verified on the live site"),
        "{summary}"
    );
    assert!(summary.contains("2 images were not confirmed on the live site"));
    assert!(summary.contains("**Fix:** check public-dir, url-prefix and site-dir"));
    assert!(
        row(&ran.summary, "/static/images/hero.png").contains("⚠️ not served \\(404\\)\\: the site has no image at this path \\(404\\)\\; check public\\-dir\\, url\\-prefix and site\\-dir"),
        "{}",
        ran.summary
    );
    // Known from the baseline, before anything was sent; not asked again.
    assert_eq!(world.site.requests_before_sending(), Some(3));
    assert_eq!(world.site.requests().len(), 3);

    // The site's own cached variants were never touched by the invalidation.
    assert_eq!(world.site.stale_entries(), 0);
}

#[tokio::test]
async fn fail_on_unverified_makes_an_unverified_image_fail_the_step() {
    let world = world(SiteConfig::default()).await;
    deployed_site(&world.site);

    let ran = world
        .action()
        .input("url-prefix", "/static/")
        .input("fail-on-unverified", "true")
        .run();
    ran.assert_code(1);
    assert_eq!(world.vercel.images().len(), 3, "the invalidation was done");
    assert_eq!(unverified(&ran).len(), 2);
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.starts_with("::error title=Not verified on the live site::")),
        "{}",
        ran.stdout
    );
}

#[tokio::test]
async fn an_image_never_cached_is_fresh_on_a_manual_run_without_waiting() {
    let repo = GitRepo::new();
    repo.write(NEXT_PACKAGE.0, NEXT_PACKAGE.1)
        .write("public/images/a.png", "a");
    let head = repo.commit("only");
    let site = FakeSite::start(SiteConfig::default()).await;
    site.put("/images/never.png");
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;

    // The site's config is read at GITHUB_SHA in the checkout.
    let ran = Action::new()
        .env("GITHUB_SHA", &head)
        .env("GITHUB_WORKSPACE", &repo.path().display().to_string())
        .input("diff-source", "git")
        .input("vercel-api-url", &vercel.url())
        .input("vercel-token", VERCEL_TOKEN)
        .input("project", "my-site")
        .input("images", "/images/never.png\n/icons/logo.SVG")
        .input("site-url", &site.url())
        .args(&FAST_LIVE)
        .event("workflow_dispatch", json!({"inputs": {}}))
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/icons/logo.SVG", "/images/never.png"]);
    assert_eq!(ran.strings("verified"), ["/images/never.png"]);
    assert!(
        unverified(&ran).is_empty(),
        "an SVG is not asked, so not unverified"
    );
    let requests = site.requests();
    assert_eq!(
        requests.len(),
        1,
        "a MISS ends it, the SVG is not asked: {requests:?}"
    );
    assert!(
        plain(&ran.summary).contains("1 SVG was not asked on the live site (`/icons/logo.SVG`)"),
        "{}",
        ran.summary
    );
    assert_eq!(requests[0].cache.as_deref(), Some("MISS"));
    assert!(
        row(&ran.summary, "/images/never.png").contains("✅ fresh under a new content key (MISS)")
    );
}

#[tokio::test]
async fn a_removed_image_answering_404_is_what_should_happen() {
    let world = world(SiteConfig::default()).await;
    deployed_site(&world.site);

    let ran = world.action().input("warm", "true").run();
    ran.assert_code(0);
    assert!(
        ran.strings("verified")
            .contains(&"/images/gone.png".to_string())
    );
    let gone: Vec<_> = world
        .site
        .requests()
        .into_iter()
        .filter(|r| r.key.as_ref().is_some_and(|k| k.url == "/images/gone.png"))
        .collect();
    // A local image is keyed by its content: with the file gone, 404 at
    // once, before anything was sent; never warmed.
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(gone[0].status, 404);
    assert!(row(&ran.summary, "/images/gone.png").contains("✅ removed (404)"));
    assert!(
        gone.iter()
            .all(|r| r.key == Some(probe("/images/gone.png")))
    );
}

#[tokio::test]
async fn a_protected_site_needs_the_bypass_and_never_shows_it() {
    const BYPASS: &str = "bypass_7Qx9mZk2LwP4";
    let config = SiteConfig {
        bypass: Some(BYPASS.to_string()),
        ..SiteConfig::default()
    };

    let first = world(config.clone()).await;
    deployed_site(&first.site);
    let ran = first.action().run();
    ran.assert_code(0);
    assert!(ran.strings("verified").is_empty());
    let unverified = unverified(&ran);
    assert_eq!(unverified.len(), 3);
    assert!(
        unverified
            .values()
            .all(|r| r == "Deployment Protection refused the request (401)"),
        "{unverified:?}"
    );
    assert!(plain(&ran.summary).contains("**Fix:** set vercel-protection-bypass"));
    assert!(
        ran.stdout
            .contains("set vercel-protection-bypass to the project's")
    );
    // The first 401 stops the rest: one request per image at most.
    assert!(
        first.site.requests().len() <= 3,
        "{:?}",
        first.site.requests()
    );

    let world = world(config).await;
    deployed_site(&world.site);
    let ran = world
        .action()
        .input("vercel-protection-bypass", BYPASS)
        .input("warm", "true")
        .run();
    ran.assert_code(0);
    assert_eq!(ran.strings("verified").len(), 3);
    let requests = world.site.requests();
    assert!(requests.iter().all(|r| r.bypass.as_deref() == Some(BYPASS)));
    assert!(requests.iter().all(|r| r.status != 401));
    let masks = ran.masks();
    assert!(
        masks.contains(&format!("::add-mask::{BYPASS}").as_str()),
        "{masks:?}"
    );
    let rest = ran.unmasked();
    assert!(!rest.contains(BYPASS), "the bypass leaked:\n{rest}");
    assert!(!rest.contains(&BYPASS[4..]), "part of the bypass leaked");
    assert!(ran.stdout.contains("vercel-protection-bypass: set"));
}

/// Three changed images, nothing cached: every variant Next.js allows by
/// default is 15 widths x quality 75 x WebP.
async fn warm_world() -> (World, Vec<&'static str>) {
    let world = world(SiteConfig::default()).await;
    let images = vec!["/images/hero.png", "/images/new.webp", "/images/logo.png"];
    for path in &images {
        world.site.put(path);
    }
    (world, images)
}

#[tokio::test]
async fn warm_requests_every_variant_exactly_once() {
    let (world, _) = warm_world().await;
    let ran = world
        .action()
        .input("verify", "false")
        .input("warm", "true")
        .run();
    ran.assert_code(0);

    let requested = world.site.variants_requested();
    // hero and new.webp went live; gone.png is removed: nothing to warm.
    assert_eq!(requested.len(), 2 * 15, "{requested:?}");
    assert!(requested.values().all(|&n| n == 1), "{requested:?}");
    let widths: Vec<u32> = SiteConfig::default().widths;
    for path in ["/images/hero.png", "/images/new.webp"] {
        for width in &widths {
            assert!(requested.contains_key(&Key::new(path, *width, 75, "image/webp")));
        }
    }
    assert!(ran.strings("verified").is_empty(), "verify was off");
    let summary = plain(&ran.summary);
    assert!(
        summary.contains("🔥 Warmed 30 variants on the live site (30 requests); each warmed variant is one image transformation on Vercel's bill."),
        "{summary}"
    );
    assert!(summary.contains("**30** variants warmed"));
    assert!(!summary.contains("| Live |"), "no verification, no column");
    assert!(
        ran.stdout
            .contains("30 variant(s) warmed, 0 failed, 0 not requested")
    );
}

#[tokio::test]
async fn warm_stops_at_the_warm_limit_and_says_how_many_were_left() {
    let (world, _) = warm_world().await;
    let ran = world
        .action()
        .input("verify", "false")
        .input("warm", "true")
        .input("warm-limit", "20")
        .run();
    ran.assert_code(0);

    let requests = world.site.requests();
    assert_eq!(requests.len(), 20);
    let requested = world.site.variants_requested();
    assert_eq!(requested.len(), 20);
    assert!(requested.values().all(|&n| n == 1));
    let summary = plain(&ran.summary);
    assert!(
        summary.contains(
            "Warmed 20 variants on the live site (20 requests), 10 left because `warm-limit` is 20"
        ),
        "{summary}"
    );
    assert!(
        ran.stdout
            .contains("20 variant(s) warmed, 0 failed, 10 not requested")
    );
}

#[tokio::test]
async fn verify_on_a_push_without_waiting_is_refused_and_nothing_is_sent() {
    let (repo, before, after) = history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    let site = FakeSite::start(SiteConfig::default()).await;
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;

    for warm in ["false", "true"] {
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .push(&before, &after)
            .input("site-url", &site.url())
            .input("verify", if warm == "true" { "false" } else { "true" })
            .input("warm", warm)
            .run();
        ran.assert_code(2);
        let input = if warm == "true" { "warm" } else { "verify" };
        assert!(
            ran.stdout.contains(&format!(
                "input `{input}`: `{input}` on a push without `wait-for-deployment`"
            )),
            "{}",
            ran.stdout
        );
        assert!(
            ran.stdout.contains("set `wait-for-deployment: true`"),
            "{}",
            ran.stdout
        );
    }
    assert!(vercel.received().is_empty());
    assert!(site.requests().is_empty());
    assert!(github.seen().is_empty(), "{:?}", github.seen());
}

#[tokio::test]
async fn a_push_that_waits_for_its_deployment_verifies_once_it_is_live() {
    let (repo, before, after) = history();
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.add_deployment(past(1, &before, vec!["inactive", "success"]));
    github.add_deployment(FakeDeployment {
        states: vec!["in_progress", "success"],
        history: Vec::new(),
        ..past(2, &after, vec![])
    });
    let site = FakeSite::start(SiteConfig::default()).await;
    deployed_site(&site);
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .push(&before, &after)
        .input("wait-for-deployment", "true")
        .args(&[
            "--poll-initial-interval",
            "0.05",
            "--poll-max-interval",
            "0.2",
        ])
        .input("site-url", &site.url())
        .args(&FAST_LIVE)
        .run();
    ran.assert_code(0);
    assert_eq!(
        ran.strings("verified").len(),
        3,
        "{}",
        ran.outputs["unverified"]
    );
    assert!(
        row(&ran.summary, "/images/hero.png").contains("✅ fresh under a new content key (MISS)")
    );
    // The baseline came once the deployment was live, before sending.
    assert_eq!(site.requests_before_sending(), Some(3));
}

#[tokio::test]
async fn a_dry_run_does_not_ask_the_site_and_says_so() {
    let world = world(SiteConfig::default()).await;
    deployed_site(&world.site);
    let ran = world
        .action()
        .input("dry-run", "true")
        .input("warm", "true")
        .run();
    ran.assert_code(0);
    assert!(world.vercel.received().is_empty());
    assert!(world.site.requests().is_empty());
    assert!(
        plain(&ran.summary)
            .contains("a dry run invalidates nothing, so the live site was not asked"),
        "{}",
        ran.summary
    );
    assert_eq!(ran.outputs["verified"], "[]");
}

#[tokio::test]
async fn a_next_js_base_path_and_images_config_shape_what_is_asked() {
    let config = SiteConfig {
        optimizer: "/docs/_next/image".to_string(),
        widths: vec![828, 64],
        qualities: vec![60, 90],
        ..SiteConfig::default()
    };
    let next_config = (
        "next.config.js",
        "module.exports = { basePath: '/docs', images: { deviceSizes: [828], imageSizes: [64], qualities: [60, 90] } }",
    );
    let world = world_of(config, history_of(&[NEXT_PACKAGE, next_config])).await;
    for path in ["/docs/images/hero.png", "/docs/images/new.webp"] {
        world.site.put(path);
    }
    world
        .site
        .visit("/docs/images/hero.png", 828, 60, "image/webp");
    world.site.change("/docs/images/hero.png");

    let ran = world.action().input("warm", "true").run();
    ran.assert_code(0);
    // url-prefix auto: the basePath from next.config.js.
    assert_eq!(
        world.vercel.images(),
        [
            "/docs/images/gone.png",
            "/docs/images/hero.png",
            "/docs/images/new.webp"
        ]
    );
    assert_eq!(
        ran.strings("verified").len(),
        3,
        "{}",
        ran.outputs["unverified"]
    );
    assert!(
        row(&ran.summary, "/docs/images/hero.png")
            .contains("✅ fresh under a new content key (MISS)")
    );
    let requests = world.site.requests();
    assert!(requests.iter().all(|r| r.path == "/docs/_next/image"));
    assert!(requests.iter().all(|r| r.status != 400), "{requests:?}");
    // Verify probed the smallest width from 640 up and the quality nearest
    // 75; warm asked every width x quality the config allows, once each.
    let first = requests
        .first()
        .and_then(|r| r.key.clone())
        .expect("a probe");
    assert_eq!((first.width, first.quality), (828, 60));
    let warmed: Vec<(u32, u32)> = world
        .site
        .variants_requested()
        .keys()
        .filter(|k| k.url == "/docs/images/new.webp")
        .map(|k| (k.width, k.quality))
        .collect();
    assert_eq!(warmed, [(64, 60), (64, 90), (828, 60), (828, 90)]);
    assert!(
        plain(&ran.summary).contains("Warmed 8 variants"),
        "{}",
        ran.summary
    );
}

/// A manual run that lists `images` has no changed file to map, but asking
/// the live site still needs the site's config: the optimizer's path and
/// base path come from it. Read at GITHUB_SHA, from the checkout and
/// through the API alike.
#[tokio::test]
async fn a_manual_run_reads_the_site_config_to_ask_the_right_optimizer() {
    let repo = GitRepo::new();
    repo.write("package.json", r#"{"dependencies": {"astro": "5.0.0"}}"#)
        .write("astro.config.mjs", "export default { base: '/blog' }")
        .write("public/images/a.png", "a");
    let head = repo.commit("an Astro site");
    let config = SiteConfig {
        optimizer: "/_vercel/image".to_string(),
        ..SiteConfig::default()
    };
    for source in ["git", "api"] {
        let site = FakeSite::start(config.clone()).await;
        site.put("/blog/images/a.png");
        let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .input("diff-source", source)
            .input("images", "/blog/images/a.png")
            .input("site-url", &site.url())
            .env("GITHUB_SHA", &head)
            .args(&FAST_LIVE)
            .event("workflow_dispatch", json!({"inputs": {}}))
            .run();
        ran.assert_code(0);
        assert_eq!(vercel.images(), ["/blog/images/a.png"], "{source}");
        assert!(
            ran.stdout.contains("Astro"),
            "{source}: the site's config was read: {}",
            ran.stdout
        );
        let requests = site.requests();
        assert!(
            !requests.is_empty() && requests.iter().all(|r| r.path == "/_vercel/image"),
            "{source}: Astro's images go through /_vercel/image: {requests:?}"
        );
        assert_eq!(ran.strings("verified"), ["/blog/images/a.png"], "{source}");
        let github_requests = github.seen().len();
        match source {
            // The site dir's listing, then astro.config.mjs and package.json.
            "api" => assert_eq!(github_requests, 3, "{:?}", github.seen()),
            _ => assert_eq!(github_requests, 0, "{:?}", github.seen()),
        }
    }
}

/// `images: { unoptimized: true }`: Vercel's optimizer does not serve the
/// site's images, so there is no optimized variant to verify or warm. The
/// site is not asked (each probe would be a 404 blamed on the mapping), the
/// log and summary say why, and nothing is counted unverified, so
/// fail-on-unverified does not fail the step.
#[tokio::test]
async fn a_site_that_does_not_use_the_optimizer_is_not_asked_and_says_why() {
    let config = SiteConfig {
        // The site has no optimizer: every optimizer path answers 404.
        optimizer: "/no-optimizer".to_string(),
        ..SiteConfig::default()
    };
    let next_config = (
        "next.config.js",
        "module.exports = { images: { unoptimized: true } }",
    );
    let world = world_of(config, history_of(&[NEXT_PACKAGE, next_config])).await;
    deployed_site(&world.site);

    let ran = world
        .action()
        .input("warm", "true")
        .input("fail-on-unverified", "true")
        .run();
    ran.assert_code(0);
    assert_eq!(
        world.vercel.images(),
        ["/images/gone.png", "/images/hero.png", "/images/new.webp"]
    );
    assert!(
        world.site.requests().is_empty(),
        "{:?}",
        world.site.requests()
    );
    assert_eq!(ran.outputs["verified"], "[]");
    assert_eq!(ran.outputs["unverified"], "[]");
    let why = "the live site was not asked (verify and warm): `images.unoptimized: true` in next.config.js means that Vercel's image optimizer is not used, so there is no optimized variant to check";
    assert!(plain(&ran.summary).contains(why), "{}", ran.summary);
    assert!(ran.stdout.contains(why), "{}", ran.stdout);
    assert!(!ran.summary.contains("not verified"), "{}", ran.summary);
    assert!(!ran.stdout.contains("path not cached"), "{}", ran.stdout);
    assert!(!ran.stdout.contains("::error"), "{}", ran.stdout);
}

/// A run with only `images` and no commit named (no `head`, no
/// GITHUB_SHA) still reads the site's config before asking the live site:
/// from the checkout's HEAD with diff-source git, so an Astro site is asked
/// at `/_vercel/image`, not at a guessed `/_next/image`.
#[tokio::test]
async fn a_local_run_without_a_commit_reads_the_config_at_the_checkouts_head() {
    let repo = GitRepo::new();
    repo.write("package.json", r#"{"dependencies": {"astro": "5.0.0"}}"#)
        .write("astro.config.mjs", "export default { base: '/blog' }")
        .write("public/images/a.png", "a");
    repo.commit("an Astro site");
    let site = FakeSite::start(SiteConfig {
        optimizer: "/_vercel/image".to_string(),
        ..SiteConfig::default()
    })
    .await;
    site.put("/blog/images/a.png");
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;

    let ran = Action::local()
        .cwd(repo.path())
        .env("VERCEL_TOKEN", VERCEL_TOKEN)
        .args(&[
            "--vercel-api-url",
            &vercel.url(),
            "--project",
            "my-site",
            "--images",
            "/blog/images/a.png",
            "--site-url",
            &site.url(),
            "--diff-source",
            "git",
        ])
        .args(&FAST_LIVE)
        .run();
    ran.assert_code(0);
    assert_eq!(vercel.images(), ["/blog/images/a.png"]);
    assert!(ran.stdout.contains("Astro"), "{}", ran.stdout);
    let requests = site.requests();
    assert!(
        !requests.is_empty() && requests.iter().all(|r| r.path == "/_vercel/image"),
        "Astro's images go through /_vercel/image: {requests:?}"
    );
}

/// Through the API there is no checkout to read: with no commit known, the
/// run stops before sending anything and asks for `head`, instead of
/// guessing the optimizer.
#[tokio::test]
async fn a_run_through_the_api_without_a_commit_asks_for_head() {
    let repo = GitRepo::new();
    repo.write("public/images/a.png", "a");
    repo.commit("only");
    let site = FakeSite::start(SiteConfig::default()).await;
    site.put("/images/a.png");
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;

    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .input("diff-source", "api")
        .input("images", "/images/a.png")
        .input("site-url", &site.url())
        .args(&FAST_LIVE)
        .event("workflow_dispatch", json!({"inputs": {}}))
        .run();
    ran.assert_code(2);
    assert!(vercel.received().is_empty(), "nothing is sent");
    assert!(site.requests().is_empty());
    let everything = ran.everything();
    assert!(
        everything
            .contains("input `head`: asking the live site (site-url) needs the site's config"),
        "{everything}"
    );
    assert!(everything.contains("pass `head`"), "{everything}");
}

/// A remote image host the site's optimizer fetches from; the repository
/// is its source (an absolute `url-prefix`).
const CDN: &str = "https://cdn.example.com";

/// The images of [`history`] on the remote host: hero cached by URL with
/// its old bytes, new.webp never asked, gone.png cached and removed.
fn remote_site(site: &FakeSite) {
    for path in ["/images/hero.png", "/images/gone.png", "/images/new.webp"] {
        site.put(&format!("{CDN}{path}"));
    }
    site.visit(&format!("{CDN}/images/hero.png"), 640, 75, "image/webp");
    site.visit(&format!("{CDN}/images/gone.png"), 640, 75, "image/webp");
    site.change(&format!("{CDN}/images/hero.png"));
    site.remove(&format!("{CDN}/images/gone.png"));
}

#[tokio::test]
async fn remote_images_keyed_by_url_are_fresh_after_revalidation() {
    let world = world(SiteConfig {
        remote: vec![CDN.to_string()],
        ..SiteConfig::default()
    })
    .await;
    remote_site(&world.site);

    let ran = world.action().input("url-prefix", &format!("{CDN}/")).run();
    ran.assert_code(0);
    let hero = format!("{CDN}/images/hero.png");
    assert!(world.vercel.images().contains(&hero));
    assert_eq!(
        ran.strings("verified").len(),
        3,
        "{}",
        ran.outputs["unverified"]
    );
    let caches: Vec<String> = world
        .site
        .requests()
        .into_iter()
        .filter(|r| r.key == Some(probe(&hero)))
        .filter_map(|r| r.cache)
        .collect();
    assert_eq!(
        caches.first().map(String::as_str),
        Some("HIT"),
        "the baseline"
    );
    assert_eq!(
        caches.get(1).map(String::as_str),
        Some("STALE"),
        "{caches:?}"
    );
    assert_eq!(caches.last().map(String::as_str), Some("HIT"));
    assert_eq!(world.site.requests_before_sending(), Some(3));
    assert!(
        row(&ran.summary, &hero).contains("✅ fresh after revalidation"),
        "{}",
        ran.summary
    );
    assert!(
        row(&ran.summary, &format!("{CDN}/images/new.webp"))
            .contains("✅ fresh, not cached before")
    );
    assert!(row(&ran.summary, &format!("{CDN}/images/gone.png")).contains("✅ removed (404)"));
}

#[tokio::test]
async fn after_mode_delete_a_miss_is_fresh_after_deletion() {
    let world = world(SiteConfig {
        remote: vec![CDN.to_string()],
        ..SiteConfig::default()
    })
    .await;
    remote_site(&world.site);

    let ran = world
        .action()
        .input("url-prefix", &format!("{CDN}/"))
        .input("mode", "delete")
        .run();
    ran.assert_code(0);
    let hero = format!("{CDN}/images/hero.png");
    assert!(
        row(&ran.summary, &hero).contains("✅ fresh after deletion (MISS)"),
        "{}",
        ran.summary
    );
    assert!(ran.strings("verified").contains(&hero));
}

#[tokio::test]
async fn a_variant_stale_from_expiry_before_the_run_is_not_credited_to_it() {
    let world = world(SiteConfig::default()).await;
    deployed_site(&world.site);
    // A visitor had asked for the new bytes; that copy has since expired.
    world.site.visit("/images/hero.png", 640, 75, "image/webp");
    world.site.expire(&probe("/images/hero.png"), 471857, 1);

    let ran = world.action().run();
    ran.assert_code(0);
    assert!(
        ran.strings("verified")
            .contains(&"/images/hero.png".to_string())
    );
    assert!(
        row(&ran.summary, "/images/hero.png").contains("✅ fresh, was already STALE from expiry"),
        "{}",
        ran.summary
    );
    assert!(
        ran.stdout
            .contains("/images/hero.png: before invalidating: STALE, ETag")
    );
    assert!(ran.stdout.contains("Age 471857"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("not credited to this run"),
        "{}",
        ran.stdout
    );
}

/// The site answers `STALE` forever: the binary ends by `live-timeout`,
/// each image unverified as still stale.
#[tokio::test]
async fn a_site_stale_forever_is_left_when_the_time_is_up() {
    let world = world(SiteConfig {
        revalidate_after: usize::MAX,
        ..SiteConfig::default()
    })
    .await;
    deployed_site(&world.site);
    for path in ["/images/hero.png", "/images/new.webp"] {
        world.site.visit(path, 640, 75, "image/webp");
        world.site.expire(&probe(path), 600, usize::MAX);
    }

    let ran = world
        .action()
        .input("live-timeout", "1")
        .args(&["--verify-interval", "0.2", "--verify-max-interval", "0.2"])
        .run();
    ran.assert_code(0);
    let unverified = unverified(&ran);
    assert_eq!(unverified.len(), 2, "{unverified:?}");
    assert!(
        unverified
            .values()
            .all(|r| r == "still stale when the time was up (live-timeout: 1 s)"),
        "{unverified:?}"
    );
    assert!(row(&ran.summary, "/images/hero.png").contains("⚠️ still stale when the time was up"));
    // The baseline, then a probe and one after each full interval.
    assert!(
        world.site.requests().len() <= 3 + 2 * (1 + 5),
        "{}",
        world.site.requests().len()
    );
}

/// The site answers 429 to everything: a few refusals, then nothing more is
/// asked; every image says why.
#[tokio::test]
async fn a_site_refusing_everything_is_asked_nothing_more() {
    let world = world(SiteConfig {
        refuse: Some(429),
        ..SiteConfig::default()
    })
    .await;
    deployed_site(&world.site);

    let ran = world.action().input("warm", "true").run();
    ran.assert_code(0);
    assert_eq!(world.vercel.images().len(), 3, "the invalidation was done");
    let unverified = unverified(&ran);
    assert_eq!(unverified.len(), 3, "{unverified:?}");
    assert!(
        unverified.values().all(|r| r
            == "the site asked to slow down (429 or 503 again and again), so nothing more was asked"),
        "{unverified:?}"
    );
    let asked = world.site.requests().len() as u32;
    assert!(
        asked <= vercel_image_invalidate::live::REFUSALS_IN_A_ROW + 3,
        "{asked}"
    );
    assert!(plain(&ran.summary).contains("not requested: the site asked to slow down"));
}

/// A proxy that echoes the bypass secret after a long message: the secret
/// is taken out before anything is cut, wherever the cut falls.
#[tokio::test]
async fn a_bypass_echoed_across_the_cut_never_shows_in_part() {
    const BYPASS: &str = "Zq7Kp2Wm9Xv4Lr8T";
    // Across the 200 characters shown and the 1040 bytes read (1024 and
    // the bypass's 16), after dots, blanks (trimmed before the cut) and
    // characters of 2 and 4 bytes.
    let fillers = [
        (180, "."),
        (190, "."),
        (195, "."),
        (197, "."),
        (199, "."),
        (1020, "."),
        (1030, " "),
        (1036, " "),
        (1030, "\n"),
        (195, "é"),
        (515, "é"),
        (198, "😀"),
        (257, "😀"),
    ];
    for (count, filler) in fillers {
        let world = world(SiteConfig {
            echo_after: Some((count, filler)),
            ..SiteConfig::default()
        })
        .await;
        deployed_site(&world.site);
        let ran = world
            .action()
            .input("vercel-protection-bypass", BYPASS)
            .runner_temp()
            .run();
        ran.assert_code(0);
        assert!(
            world
                .site
                .requests()
                .iter()
                .all(|r| r.bypass.as_deref() == Some(BYPASS))
        );
        let unverified = unverified(&ran);
        assert!(
            unverified
                .values()
                .any(|r| r.contains("refused the request (400")),
            "{unverified:?}"
        );
        let report = ran.report_file.clone().expect("a report file");
        assert!(report.contains("refused the request (400"), "{report}");
        let everything = without_temp_names(&format!("{}\n{report}", ran.unmasked()));
        assert!(
            !everything.contains("Zq"),
            "{count} {filler:?}: part of the bypass leaked:\n{everything}"
        );
    }
}
