//! The live-site verifier and warmer against a fake site whose image cache
//! shares its state with the fake edge-cache API: what each image is found
//! to be, and exactly which variants were requested.

use crate::common;
use std::cell::RefCell;
use std::time::Duration;

use crate::common::VERCEL_TOKEN;
use crate::common::site::{Entry, FakeSite, Key, SiteConfig};
use crate::common::vercel::FakeVercel;
use url::Url;
use vercel_image_invalidate::live::{
    BROWSER_ACCEPT, Image, Live, LiveProgress, LiveSite, Optimizer, Problem, Requests, Served,
    Settings, Timing,
};
use vercel_image_invalidate::retry::RetryPolicy;
use vercel_image_invalidate::secret::Secret;

const BYPASS: &str = "bypass_sec_7c6d5e4f3a2b1c0d";

fn settings(site: &FakeSite, optimizer: Optimizer) -> Settings {
    let mut settings = Settings {
        requests: Requests::new(Url::parse(&site.url()).expect("url")),
        served: Served::new(optimizer),
    };
    settings.requests.timeout = Duration::from_secs(5);
    settings.requests.retry = RetryPolicy {
        max_attempts: 3,
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_wait: Duration::from_secs(1),
    };
    settings.requests.timing = Timing {
        grace: Duration::from_millis(150),
        first_interval: Duration::from_millis(5),
        growth: 2.0,
        max_interval: Duration::from_millis(20),
        bound: Duration::from_secs(10),
    };
    settings
}

fn next() -> Optimizer {
    Optimizer::NextJs {
        base_path: String::new(),
    }
}

fn image(path: &str) -> Image {
    Image {
        path: path.to_string(),
        removed: false,
    }
}

fn removed(path: &str) -> Image {
    Image {
        path: path.to_string(),
        removed: true,
    }
}

/// Sends an invalidation the way the action does, to the fake edge-cache
/// API, which hands it on to the site.
async fn invalidate(vercel: &FakeVercel, paths: &[&str]) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .post(format!(
            "{}{}?projectIdOrName=my-site",
            vercel.url(),
            common::vercel::INVALIDATE
        ))
        .bearer_auth(VERCEL_TOKEN)
        .header("content-type", "application/json")
        .body(serde_json::json!({ "srcImages": paths }).to_string())
        .send()
        .await
        .expect("the fake answers");
    assert_eq!(response.status(), 200);
    assert_eq!(vercel.valid().len(), 1);
}

/// A site and the edge-cache API in front of it.
async fn site_and_vercel(config: SiteConfig) -> (FakeSite, FakeVercel) {
    let site = FakeSite::start(config).await;
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;
    (site, vercel)
}

fn quiet(_: LiveProgress<'_>) {}

fn lives(verification: &vercel_image_invalidate::live::Verification) -> Vec<(&str, &Live)> {
    verification
        .images
        .iter()
        .map(|v| (v.path.as_str(), &v.live))
        .collect()
}

#[tokio::test]
async fn a_correct_mapping_is_verified_once_the_new_versions_are_served() {
    let config = SiteConfig {
        optimizer: "/docs/_next/image".into(),
        revalidate_after: 2,
        ..SiteConfig::default()
    };
    let (site, vercel) = site_and_vercel(config).await;
    let paths = ["/docs/hero.png", "/docs/my photo.jpg", "/docs/café.png"];
    let mut old = Vec::new();
    for path in paths {
        site.put(path);
        old.push(site.visit(path, 640, 75, "image/webp"));
        site.change(path);
    }
    invalidate(&vercel, &paths).await;

    let client = LiveSite::new(settings(
        &site,
        Optimizer::NextJs {
            base_path: "/docs".into(),
        },
    ))
    .expect("client");
    let images: Vec<Image> = paths.iter().map(|p| image(p)).collect();
    let verification = client.verify(&images, &quiet).await;

    assert_eq!(
        lives(&verification),
        paths
            .iter()
            .map(|p| (*p, &Live::NewVersion))
            .collect::<Vec<_>>()
    );
    assert_eq!(verification.verified(), paths.to_vec());
    assert!(verification.unverified().is_empty());
    // Each: the STALE that started the revalidation, two more while it ran,
    // then the new version.
    for (path, old) in paths.iter().zip(&old) {
        let probes: Vec<_> = site
            .requests()
            .into_iter()
            .filter(|r| r.key.as_ref().is_some_and(|k| k.url == *path))
            .collect();
        let caches: Vec<&str> = probes.iter().filter_map(|r| r.cache.as_deref()).collect();
        assert_eq!(caches, vec!["STALE", "STALE", "STALE", "HIT"], "{path}");
        assert!(probes[..3].iter().all(|r| r.etag.as_ref() == Some(old)));
        assert_ne!(probes[3].etag.as_ref(), Some(old));
        for probe in &probes {
            assert_eq!(probe.path, "/docs/_next/image");
            assert_eq!(probe.accept.as_deref(), Some(BROWSER_ACCEPT));
            assert_eq!(
                probe.key,
                Some(Key::new(path, 640, 75, "image/webp")),
                "one variant, as a browser asks for it"
            );
        }
    }
    let sent: Vec<&str> = verification.images[1]
        .probed
        .as_ref()
        .and_then(|u| u.query())
        .into_iter()
        .collect();
    assert_eq!(sent, vec!["url=%2Fdocs%2Fmy%20photo.jpg&w=640&q=75"]);
    assert_eq!(verification.requests, 12);
}

#[tokio::test]
async fn a_wrong_url_prefix_is_unverified_with_the_setting_to_check() {
    let (site, vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/hero.png");
    site.visit("/hero.png", 640, 75, "image/webp");
    // The mapping put a prefix in front that the site does not use.
    invalidate(&vercel, &["/static/hero.png"]).await;

    let client = LiveSite::new(settings(&site, next())).expect("client");
    let verification = client.verify(&[image("/static/hero.png")], &quiet).await;

    assert_eq!(
        lives(&verification),
        vec![("/static/hero.png", &Live::Unverified(Problem::NotOnSite))]
    );
    assert_eq!(
        verification.images[0].live.label(),
        "path not cached by the site"
    );
    let unverified = serde_json::to_value(verification.unverified()).expect("json");
    assert_eq!(
        unverified,
        serde_json::json!([{"path": "/static/hero.png", "reason": "the site has no image at this path (404)"}])
    );
    assert!(Problem::NotOnSite.help().contains("url-prefix"));
    assert!(verification.verified().is_empty());
    assert!(
        matches!(
            site.entry(&Key::new("/hero.png", 640, 75, "image/webp")),
            Some(Entry::Fresh { .. })
        ),
        "the variant visitors get was not invalidated"
    );
}

#[tokio::test]
async fn an_invalidation_that_matched_nothing_leaves_a_hit_with_the_old_etag() {
    let (site, vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/hero.png");
    site.visit("/hero.png", 640, 75, "image/webp");
    site.change("/hero.png");
    invalidate(&vercel, &["/HERO.png"]).await;

    let settings = settings(&site, next());
    let grace = settings.requests.timing.grace;
    let client = LiveSite::new(settings).expect("client");
    let started = std::time::Instant::now();
    let verification = client.verify(&[image("/hero.png")], &quiet).await;

    assert_eq!(
        lives(&verification),
        vec![("/hero.png", &Live::Unverified(Problem::StillCached))]
    );
    assert!(
        started.elapsed() >= grace,
        "a HIT is given the grace period to turn STALE"
    );
    let requests = site.requests();
    let first = requests[0].etag.clone();
    assert!(first.is_some());
    assert!(
        requests
            .iter()
            .all(|r| r.cache.as_deref() == Some("HIT") && r.etag == first),
        "{requests:?}"
    );
    assert_eq!(verification.images[0].probes as usize, requests.len());
}

#[tokio::test]
async fn a_never_cached_image_is_fresh_at_once() {
    let config = SiteConfig {
        optimizer: "/_vercel/image".into(),
        ..SiteConfig::default()
    };
    let (site, vercel) = site_and_vercel(config).await;
    site.put("/img/new.png");
    invalidate(&vercel, &["/img/new.png"]).await;

    let client = LiveSite::new(settings(&site, Optimizer::Vercel)).expect("client");
    let verification = client.verify(&[image("/img/new.png")], &quiet).await;

    assert_eq!(
        lives(&verification),
        vec![("/img/new.png", &Live::NotCached)]
    );
    let requests = site.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/_vercel/image");
    assert_eq!(requests[0].cache.as_deref(), Some("MISS"));
    assert_eq!(verification.verified(), vec!["/img/new.png"]);
}

#[tokio::test]
async fn a_removed_image_answering_404_is_as_expected() {
    let (site, vercel) = site_and_vercel(SiteConfig {
        revalidate_after: 1,
        ..SiteConfig::default()
    })
    .await;
    // Cached, then removed by the deployment: stale until revalidated, then
    // gone.
    site.put("/old.png");
    site.visit("/old.png", 640, 75, "image/webp");
    site.remove("/old.png");
    // Never cached, and gone.
    invalidate(&vercel, &["/old.png", "/gone.png"]).await;

    let client = LiveSite::new(settings(&site, next())).expect("client");
    let verification = client
        .verify(&[removed("/old.png"), removed("/gone.png")], &quiet)
        .await;

    assert_eq!(
        lives(&verification),
        vec![("/old.png", &Live::Removed), ("/gone.png", &Live::Removed)]
    );
    let statuses: Vec<(u16, Option<String>)> = site
        .requests()
        .into_iter()
        .filter(|r| r.key.as_ref().is_some_and(|k| k.url == "/old.png"))
        .map(|r| (r.status, r.cache))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (200, Some("STALE".to_string())),
            (200, Some("STALE".to_string())),
            (404, None)
        ]
    );
    assert_eq!(
        verification.verified(),
        vec!["/old.png", "/gone.png"],
        "nothing stale is served"
    );
}

#[tokio::test]
async fn a_protected_site_needs_the_bypass_and_never_shows_it() {
    let config = SiteConfig {
        bypass: Some(BYPASS.to_string()),
        ..SiteConfig::default()
    };
    let (site, vercel) = site_and_vercel(config).await;
    for path in ["/a.png", "/b.png", "/c.png"] {
        site.put(path);
        site.visit(path, 640, 75, "image/webp");
        site.change(path);
    }
    invalidate(&vercel, &["/a.png", "/b.png", "/c.png"]).await;
    let images = [image("/a.png"), image("/b.png"), image("/c.png")];
    let log = RefCell::new(Vec::new());
    let record = |event: LiveProgress<'_>| {
        let line = match event {
            LiveProgress::Retrying { path, reason, .. } => format!("retry {path}: {reason}"),
            LiveProgress::Probed {
                path,
                status,
                cache,
            } => format!("{path}: {status} {cache:?}"),
            LiveProgress::Verified(verified) => {
                format!("{verified:?} {}", verified.live.describe())
            }
            LiveProgress::Warmed { path, result, .. } => format!("{path}: {result:?}"),
        };
        log.borrow_mut().push(line);
    };

    // Without the bypass: the first 401 stops the rest, which end the same.
    let mut without = settings(&site, next());
    without.requests.concurrency = 1;
    let client = LiveSite::new(without).expect("client");
    let refused = client.verify(&images, &record).await;
    let protected = Live::Unverified(Problem::Protected { status: 401 });
    assert_eq!(
        lives(&refused),
        vec![
            ("/a.png", &protected),
            ("/b.png", &protected),
            ("/c.png", &protected)
        ]
    );
    assert_eq!(site.requests().len(), 1, "one 401 is enough");
    assert!(site.requests()[0].bypass.is_none());
    assert!(
        Problem::Protected { status: 401 }
            .help()
            .contains("vercel-protection-bypass")
    );

    // A wrong one is refused too.
    let mut wrong = settings(&site, next());
    wrong.requests.bypass = Some(Secret::new("not_the_bypass"));
    let wrong = LiveSite::new(wrong)
        .expect("client")
        .verify(&images[..1], &record)
        .await;
    assert_eq!(lives(&wrong), vec![("/a.png", &protected)]);

    // With it: verified, and the header went out on every request.
    let before = site.requests().len();
    let mut with = settings(&site, next());
    with.requests.bypass = Some(Secret::new(BYPASS));
    let client = LiveSite::new(with.clone()).expect("client");
    let verified = client.verify(&images, &record).await;
    assert_eq!(verified.verified(), vec!["/a.png", "/b.png", "/c.png"]);
    let sent = &site.requests()[before..];
    assert!(sent.iter().all(|r| r.bypass.as_deref() == Some(BYPASS)));

    let everything = format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{}\n{}",
        refused,
        verified,
        wrong,
        with,
        serde_json::to_string(&refused.unverified()).expect("json"),
        log.borrow().join("\n")
    );
    assert!(!log.borrow().is_empty());
    assert!(!everything.contains(BYPASS), "{everything}");
}

#[tokio::test]
async fn a_url_the_optimizer_does_not_allow_says_why() {
    let (site, _vercel) = site_and_vercel(SiteConfig {
        widths: vec![256, 1080],
        ..SiteConfig::default()
    })
    .await;
    site.put("/a.png");
    // The action believes the defaults; the site allows other widths.
    let client = LiveSite::new(settings(&site, next())).expect("client");
    let verification = client.verify(&[image("/a.png")], &quiet).await;
    let [verified] = verification.images.as_slice() else {
        panic!("one image");
    };
    let Live::Unverified(problem @ Problem::NotAllowed { .. }) = &verified.live else {
        panic!("400 is a refusal: {:?}", verified.live);
    };
    assert_eq!(
        problem.reason(),
        "the image optimizer refused the request (400: \"w\" parameter (width) of 640 is not allowed)"
    );
    assert_eq!(verified.live.label(), "path not cached by the site");
}

#[tokio::test]
async fn a_failing_site_is_retried_and_then_unverified_with_the_reason() {
    let (site, vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/a.png");
    site.visit("/a.png", 640, 75, "image/webp");
    site.change("/a.png");
    invalidate(&vercel, &["/a.png"]).await;
    let client = LiveSite::new(settings(&site, next())).expect("client");

    site.fail_next(2);
    let recovered = client.verify(&[image("/a.png")], &quiet).await;
    assert_eq!(lives(&recovered), vec![("/a.png", &Live::NewVersion)]);
    let statuses: Vec<u16> = site.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200, 200, 200, 200]);

    site.fail_next(10);
    let failed = client.verify(&[image("/a.png")], &quiet).await;
    assert_eq!(
        lives(&failed),
        vec![(
            "/a.png",
            &Live::Unverified(Problem::Failed {
                message: "503 Service Unavailable (after 3 attempts)".into()
            })
        )]
    );
    assert_eq!(site.requests().len(), 6 + 3, "max_attempts, no more");

    // Nobody listening.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        address
    };
    let mut nowhere = settings(&site, next());
    nowhere.requests.site = Url::parse(&format!("http://{closed}")).expect("url");
    let unreachable = LiveSite::new(nowhere)
        .expect("client")
        .verify(&[image("/a.png")], &quiet)
        .await;
    let Live::Unverified(Problem::Failed { message }) = &unreachable.images[0].live else {
        panic!("{:?}", unreachable.images[0].live);
    };
    assert!(message.starts_with("could not connect"), "{message}");
    assert!(message.ends_with("(after 3 attempts)"), "{message}");
}

fn warm_config() -> SiteConfig {
    SiteConfig {
        widths: vec![64, 640, 1080],
        qualities: vec![75, 90],
        formats: vec!["image/avif".into(), "image/webp".into()],
        ..SiteConfig::default()
    }
}

fn warm_settings(site: &FakeSite) -> Settings {
    let mut settings = settings(site, next());
    settings.served.widths = vec![1080, 64, 640];
    settings.served.qualities = vec![90, 75];
    settings.served.formats = vec!["image/avif".into(), "image/webp".into()];
    settings
}

#[tokio::test]
async fn warm_requests_every_variant_exactly_once() {
    let (site, vercel) = site_and_vercel(warm_config()).await;
    for path in ["/a.png", "/b c.png"] {
        site.put(path);
        site.visit(path, 640, 75, "image/webp");
        site.change(path);
    }
    invalidate(&vercel, &["/a.png", "/b c.png", "/gone.png"]).await;

    let client = LiveSite::new(warm_settings(&site)).expect("client");
    let images = [image("/a.png"), removed("/gone.png"), image("/b c.png")];
    let warming = client.warm(&images, &quiet).await;

    let mut expected = std::collections::BTreeMap::new();
    for path in ["/a.png", "/b c.png"] {
        for width in [64, 640, 1080] {
            for quality in [75, 90] {
                for format in ["image/avif", "image/webp"] {
                    expected.insert(Key::new(path, width, quality, format), 1);
                }
            }
        }
    }
    assert_eq!(site.variants_requested(), expected);
    assert_eq!(site.requests().len(), 24, "nothing else, and no 4xx");
    for request in site.requests() {
        let key = request.key.expect("a valid optimizer request");
        assert_eq!(request.accept, Some(format!("{},*/*", key.format)));
    }
    assert_eq!(
        (
            warming.requests,
            warming.warmed,
            warming.failed,
            warming.left
        ),
        (24, 24, 0, 0)
    );
    let per_image: Vec<(&str, u32, u32, u32)> = warming
        .images
        .iter()
        .map(|w| (w.path.as_str(), w.variants, w.warmed, w.left))
        .collect();
    assert_eq!(
        per_image,
        vec![
            ("/a.png", 12, 12, 0),
            ("/gone.png", 0, 0, 0),
            ("/b c.png", 12, 12, 0)
        ]
    );
    // The stale variant's revalidation was started by the warm-up.
    let stale = site
        .requests()
        .into_iter()
        .filter(|r| r.cache.as_deref() == Some("STALE"))
        .count();
    assert_eq!(stale, 2);
}

#[tokio::test]
async fn warm_stops_at_the_limit_and_says_how_many_were_left() {
    let (site, _vercel) = site_and_vercel(warm_config()).await;
    site.put("/a.png");
    site.put("/b.png");
    let mut settings = warm_settings(&site);
    settings.requests.warm_limit = 10;
    let client = LiveSite::new(settings).expect("client");
    let warming = client
        .warm(&[image("/a.png"), image("/b.png")], &quiet)
        .await;

    assert_eq!(site.requests().len(), 10);
    assert_eq!(
        (
            warming.requests,
            warming.warmed,
            warming.failed,
            warming.left,
            warming.limit
        ),
        (10, 10, 0, 14, 10)
    );
    let per_image: Vec<(u32, u32)> = warming.images.iter().map(|w| (w.warmed, w.left)).collect();
    assert_eq!(
        per_image,
        vec![(10, 2), (0, 12)],
        "images in the order given"
    );
    assert!(site.sources_requested().iter().all(|s| s == "/a.png"));
}

#[tokio::test]
async fn retries_count_against_the_warm_limit() {
    let (site, _vercel) = site_and_vercel(warm_config()).await;
    site.put("/a.png");
    let mut settings = warm_settings(&site);
    settings.requests.warm_limit = 4;
    settings.requests.concurrency = 1;
    let client = LiveSite::new(settings).expect("client");
    site.fail_next(2);
    let warming = client.warm(&[image("/a.png")], &quiet).await;

    assert_eq!(site.requests().len(), 4, "never more than warm-limit");
    // 503, 503, 200 for the first variant; the second gets the last request.
    assert_eq!((warming.requests, warming.warmed, warming.left), (4, 2, 10));
}

#[tokio::test]
async fn warm_on_a_protected_site_stops_at_the_first_refusal() {
    let mut config = warm_config();
    config.bypass = Some(BYPASS.to_string());
    let (site, _vercel) = site_and_vercel(config).await;
    site.put("/a.png");
    let mut settings = warm_settings(&site);
    settings.requests.concurrency = 1;
    let client = LiveSite::new(settings).expect("client");
    let warming = client.warm(&[image("/a.png")], &quiet).await;
    assert_eq!(site.requests().len(), 1);
    assert_eq!((warming.warmed, warming.failed), (0, 12));
    assert!(
        warming.images[0]
            .failed
            .iter()
            .all(|(_, problem)| *problem == Problem::Protected { status: 401 })
    );
}

#[tokio::test]
async fn after_a_dangerous_delete_the_variant_is_fetched_afresh() {
    let (site, vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/a.png");
    site.visit("/a.png", 640, 75, "image/webp");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .post(format!(
            "{}{}?projectIdOrName=my-site",
            vercel.url(),
            common::vercel::DELETE
        ))
        .bearer_auth(VERCEL_TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"srcImages":["/a.png"]}"#)
        .send()
        .await
        .expect("the fake answers");
    assert_eq!(response.status(), 200);
    assert_eq!(site.entry(&Key::new("/a.png", 640, 75, "image/webp")), None);

    let client = LiveSite::new(settings(&site, next())).expect("client");
    let verification = client.verify(&[image("/a.png")], &quiet).await;
    assert_eq!(lives(&verification), vec![("/a.png", &Live::NotCached)]);
}
