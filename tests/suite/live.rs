//! The live-site baseline, verifier and warmer against a fake site whose
//! image cache shares its state with the fake edge-cache API: what each
//! image is found to be against what it was before the invalidation, exactly
//! which variants were requested, and how many requests a hostile site gets.

use crate::common;
use std::cell::RefCell;
use std::time::Duration;

use crate::common::VERCEL_TOKEN;
use crate::common::site::{Entry, FakeSite, Key, SiteConfig};
use crate::common::vercel::{DELETE, FakeVercel, INVALIDATE};
use tokio::time::Instant;
use url::Url;
use vercel_image_invalidate::live::{
    BROWSER_ACCEPT, Baseline, Image, Live, LiveProgress, LiveSite, Optimizer, Problem,
    REFUSALS_IN_A_ROW, Requests, Served, Settings, Timing, Verification,
};
use vercel_image_invalidate::retry::RetryPolicy;
use vercel_image_invalidate::secret::Secret;
use vercel_image_invalidate::vercel::Mode;

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
    Image::changed(path)
}

fn removed(path: &str) -> Image {
    Image {
        removed: true,
        ..Image::changed(path)
    }
}

fn added(path: &str) -> Image {
    Image {
        added: true,
        ..Image::changed(path)
    }
}

/// A remote image host the site's optimizer fetches from.
const CDN: &str = "https://cdn.example.com";

fn remote(path: &str) -> String {
    format!("{CDN}{path}")
}

/// A deadline no test reaches.
fn later() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Sends an invalidation the way the action does, to the fake edge-cache
/// API, which hands it on to the site.
async fn invalidate(vercel: &FakeVercel, paths: &[&str]) {
    send(vercel, common::vercel::INVALIDATE, paths).await;
}

/// In batches of 8, as the endpoint takes them.
async fn send(vercel: &FakeVercel, endpoint: &str, paths: &[&str]) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let before = vercel.valid().len();
    for batch in paths.chunks(8) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}{endpoint}?projectIdOrName=my-site",
                vercel.url()
            ))
            .bearer_auth(VERCEL_TOKEN)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "srcImages": batch }).to_string())
            .send()
            .await
            .expect("the fake answers");
        assert_eq!(response.status(), 200);
    }
    assert_eq!(vercel.valid().len(), before + paths.len().div_ceil(8));
}

/// A site and the edge-cache API in front of it.
async fn site_and_vercel(config: SiteConfig) -> (FakeSite, FakeVercel) {
    let site = FakeSite::start(config).await;
    let vercel = FakeVercel::observed(VERCEL_TOKEN, site.edge_cache_hook()).await;
    (site, vercel)
}

fn quiet(_: LiveProgress<'_>) {}

fn lives(verification: &Verification) -> Vec<(&str, &Live)> {
    verification
        .images
        .iter()
        .map(|v| (v.path.as_str(), &v.live))
        .collect()
}

/// The baseline, the invalidation (or deletion) of `paths`, and the
/// verification against the baseline: what the action does.
async fn check(
    client: &LiveSite,
    vercel: &FakeVercel,
    endpoint: &str,
    images: &[Image],
) -> (Baseline, Verification) {
    let baseline = client.baseline(images, later(), &quiet).await;
    let paths: Vec<&str> = images.iter().map(|i| i.path.as_str()).collect();
    send(vercel, endpoint, &paths).await;
    // The rest of the stage within `live-timeout`.
    let deadline = client.deadline_after(Duration::ZERO);
    let verification = client
        .verify(images, Some(&baseline), deadline, &quiet)
        .await;
    (baseline, verification)
}

fn remote_config() -> SiteConfig {
    SiteConfig {
        remote: vec![CDN.to_string()],
        ..SiteConfig::default()
    }
}

fn caches_of(site: &FakeSite, path: &str) -> Vec<String> {
    site.requests()
        .into_iter()
        .filter(|r| r.key.as_ref().is_some_and(|k| k.url == path))
        .filter_map(|r| r.cache)
        .collect()
}

#[tokio::test]
async fn local_images_are_keyed_by_content_so_the_baseline_tells() {
    let config = SiteConfig {
        optimizer: "/docs/_next/image".into(),
        ..SiteConfig::default()
    };
    let (site, vercel) = site_and_vercel(config).await;
    let changed = ["/docs/hero.png", "/docs/my photo.jpg", "/docs/café.png"];
    for path in changed {
        site.put(path);
        site.visit(path, 640, 75, "image/webp");
        // The deployment with new bytes is live.
        site.change(path);
    }
    // A visitor already asked for the new bytes.
    site.put("/docs/seen.png");
    site.change("/docs/seen.png");
    site.visit("/docs/seen.png", 640, 75, "image/webp");
    site.put("/docs/new.png");

    let client = LiveSite::new(settings(
        &site,
        Optimizer::NextJs {
            base_path: "/docs".into(),
        },
    ))
    .expect("client");
    let mut images: Vec<Image> = changed.iter().map(|p| image(p)).collect();
    images.push(image("/docs/seen.png"));
    images.push(added("/docs/new.png"));
    let (baseline, verification) = check(&client, &vercel, INVALIDATE, &images).await;

    let mut expected: Vec<(&str, &Live)> =
        changed.iter().map(|p| (*p, &Live::NewContentKey)).collect();
    expected.push(("/docs/seen.png", &Live::ContentKey));
    expected.push(("/docs/new.png", &Live::NotCached));
    assert_eq!(lives(&verification), expected);
    assert_eq!(verification.verified().len(), 5);
    assert_eq!(
        (baseline.requests, verification.requests),
        (5, 0),
        "one probe each before; the baseline told"
    );
    let labels: Vec<&str> = verification.images.iter().map(|v| v.live.label()).collect();
    assert_eq!(
        labels[..],
        [
            "fresh under a new content key (MISS)",
            "fresh under a new content key (MISS)",
            "fresh under a new content key (MISS)",
            "fresh under its content key (HIT)",
            "fresh, not cached before",
        ]
    );
    for request in site.requests() {
        assert_eq!(request.path, "/docs/_next/image");
        assert_eq!(request.accept.as_deref(), Some(BROWSER_ACCEPT));
    }
    assert_eq!(caches_of(&site, "/docs/hero.png"), ["MISS"]);
    let sent: Vec<&str> = verification.images[1]
        .probed
        .as_ref()
        .and_then(|u| u.query())
        .into_iter()
        .collect();
    assert_eq!(sent, vec!["url=%2Fdocs%2Fmy%20photo.jpg&w=640&q=75"]);
}

#[tokio::test]
async fn a_remote_image_keyed_by_url_is_fresh_after_revalidation() {
    let (site, vercel) = site_and_vercel(remote_config()).await;
    let path = remote("/hero.png");
    site.put(&path);
    let old = site.visit(&path, 640, 75, "image/webp");
    // The remote host serves new bytes; the cache still has the old ones.
    site.change(&path);

    let client = LiveSite::new(settings(&site, next())).expect("client");
    let (baseline, verification) = check(&client, &vercel, INVALIDATE, &[image(&path)]).await;

    assert_eq!(
        lives(&verification),
        vec![(path.as_str(), &Live::NewVersion)]
    );
    assert_eq!(
        verification.images[0].live.label(),
        "fresh after revalidation"
    );
    assert_eq!(baseline.requests, 1);
    // The HIT before; the STALE that started the revalidation and two more
    // while it ran; then the new version.
    assert_eq!(
        caches_of(&site, &path),
        ["HIT", "STALE", "STALE", "STALE", "HIT"]
    );
    let requests = site.requests();
    assert!(requests[..4].iter().all(|r| r.etag.as_ref() == Some(&old)));
    assert_ne!(requests[4].etag.as_ref(), Some(&old));
    assert_eq!(verification.images[0].probes, 4);
    assert_eq!(
        requests[0].query.as_deref(),
        Some("url=https%3A%2F%2Fcdn.example.com%2Fhero.png&w=640&q=75")
    );
}

#[tokio::test]
async fn a_remote_host_still_serving_the_old_bytes_keeps_the_old_etag() {
    let (site, vercel) = site_and_vercel(remote_config()).await;
    let path = remote("/hero.png");
    site.put(&path);
    site.visit(&path, 640, 75, "image/webp");

    let client = LiveSite::new(settings(&site, next())).expect("client");
    let (_, verification) = check(&client, &vercel, INVALIDATE, &[image(&path)]).await;

    assert_eq!(
        lives(&verification),
        vec![(path.as_str(), &Live::Unverified(Problem::Unchanged))]
    );
    assert_eq!(verification.images[0].live.label(), "still the old ETag");
    assert_eq!(
        verification.unverified()[0].reason,
        "still the old ETag: revalidated, but the same image came back"
    );
}

#[tokio::test]
async fn a_variant_stale_from_expiry_is_not_credited_to_the_run() {
    let (site, vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/hero.png");
    site.visit("/hero.png", 640, 75, "image/webp");
    site.expire(&Key::new("/hero.png", 640, 75, "image/webp"), 471857, 1);

    let client = LiveSite::new(settings(&site, next())).expect("client");
    let (baseline, verification) = check(&client, &vercel, INVALIDATE, &[image("/hero.png")]).await;

    assert_eq!(
        baseline.get("/hero.png").map(|b| b.describe()).as_deref(),
        Some(
            format!(
                "STALE, ETag {}, Age 471857",
                site.requests()[0].etag.clone().expect("etag")
            )
            .as_str()
        )
    );
    assert_eq!(
        lives(&verification),
        vec![("/hero.png", &Live::Expired { age: Some(471857) })]
    );
    assert_eq!(
        verification.images[0].live.describe(),
        "fresh, was already STALE from expiry before the invalidation (STALE, Age 471857), not credited to this run"
    );
    assert_eq!(verification.verified(), vec!["/hero.png"]);
}

#[tokio::test]
async fn after_a_delete_the_variant_is_revalidated_from_the_origin() {
    let (site, vercel) = site_and_vercel(SiteConfig {
        after_delete: "REVALIDATED",
        ..remote_config()
    })
    .await;
    let path = remote("/a.png");
    site.put(&path);
    site.visit(&path, 640, 75, "image/webp");
    site.change(&path);

    let mut settings = settings(&site, next());
    settings.requests.mode = Mode::Delete;
    let client = LiveSite::new(settings).expect("client");
    let (_, verification) = check(&client, &vercel, DELETE, &[image(&path)]).await;

    assert_eq!(
        lives(&verification),
        vec![(path.as_str(), &Live::Revalidated)]
    );
    assert_eq!(
        verification.images[0].live.label(),
        "fresh after deletion (REVALIDATED)"
    );
    assert_eq!(caches_of(&site, &path), ["HIT", "REVALIDATED"]);
}

#[tokio::test]
async fn after_a_delete_a_miss_is_fresh_after_deletion_not_never_cached() {
    // Vercel's CLI docs: after a deletion requests "will serve MISS".
    let (site, vercel) = site_and_vercel(remote_config()).await;
    let path = remote("/a.png");
    site.put(&path);
    site.visit(&path, 640, 75, "image/webp");
    site.change(&path);

    let mut settings = settings(&site, next());
    settings.requests.mode = Mode::Delete;
    let client = LiveSite::new(settings).expect("client");
    let (_, verification) = check(&client, &vercel, DELETE, &[image(&path)]).await;

    assert_eq!(
        lives(&verification),
        vec![(path.as_str(), &Live::MissAfterDelete)]
    );
    assert_eq!(
        verification.images[0].live.label(),
        "fresh after deletion (MISS)"
    );
    assert_eq!(caches_of(&site, &path), ["HIT", "MISS"]);
    assert_eq!(verification.verified(), vec![path.as_str()]);
}

#[tokio::test]
async fn a_wrong_url_prefix_is_known_before_anything_is_sent() {
    let (site, vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/hero.png");
    site.visit("/hero.png", 640, 75, "image/webp");

    // The mapping put a prefix in front that the site does not use.
    let client = LiveSite::new(settings(&site, next())).expect("client");
    let baseline = client
        .baseline(&[image("/static/hero.png")], later(), &quiet)
        .await;
    assert_eq!(baseline.not_served(), 1, "known before the invalidation");
    assert!(vercel.valid().is_empty());
    invalidate(&vercel, &["/static/hero.png"]).await;
    let verification = client
        .verify(
            &[image("/static/hero.png")],
            Some(&baseline),
            later(),
            &quiet,
        )
        .await;

    assert_eq!(
        lives(&verification),
        vec![("/static/hero.png", &Live::Unverified(Problem::NotOnSite))]
    );
    assert_eq!(verification.images[0].live.label(), "not served (404)");
    let unverified = serde_json::to_value(verification.unverified()).expect("json");
    assert_eq!(
        unverified,
        serde_json::json!([{"path": "/static/hero.png", "reason": "the site has no image at this path (404); check public-dir, url-prefix and site-dir"}])
    );
    assert_eq!(verification.requests, 0);
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
    let (site, vercel) = site_and_vercel(remote_config()).await;
    let path = remote("/hero.png");
    site.put(&path);
    site.visit(&path, 640, 75, "image/webp");
    site.change(&path);

    let settings = settings(&site, next());
    let grace = settings.requests.timing.grace;
    let client = LiveSite::new(settings).expect("client");
    let images = [image(&path)];
    let baseline = client.baseline(&images, later(), &quiet).await;
    invalidate(&vercel, &[&remote("/HERO.png")]).await;
    let started = std::time::Instant::now();
    let verification = client
        .verify(&images, Some(&baseline), later(), &quiet)
        .await;

    assert_eq!(
        lives(&verification),
        vec![(path.as_str(), &Live::Unverified(Problem::StillCached))]
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
    assert_eq!(verification.images[0].probes as usize, requests.len() - 1);
}

#[tokio::test]
async fn a_removed_image_answering_404_is_as_expected() {
    let (site, vercel) = site_and_vercel(SiteConfig {
        revalidate_after: 1,
        ..remote_config()
    })
    .await;
    // Local: no content, no key: 404 at once.
    site.put("/old.png");
    site.visit("/old.png", 640, 75, "image/webp");
    site.remove("/old.png");
    // Remote, cached, then gone from its host: stale until revalidated,
    // then gone.
    let gone = remote("/gone.png");
    site.put(&gone);
    site.visit(&gone, 640, 75, "image/webp");
    site.remove(&gone);

    let client = LiveSite::new(settings(&site, next())).expect("client");
    let images = [removed("/old.png"), removed(&gone)];
    let (_, verification) = check(&client, &vercel, INVALIDATE, &images).await;

    assert_eq!(
        lives(&verification),
        vec![
            ("/old.png", &Live::Removed),
            (gone.as_str(), &Live::Removed)
        ]
    );
    let statuses: Vec<(u16, Option<String>)> = site
        .requests()
        .into_iter()
        .filter(|r| r.key.as_ref().is_some_and(|k| k.url == gone))
        .map(|r| (r.status, r.cache))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (200, Some("HIT".to_string())),
            (200, Some("STALE".to_string())),
            (200, Some("STALE".to_string())),
            (404, None)
        ]
    );
    assert_eq!(verification.verified().len(), 2, "nothing stale is served");
}

#[tokio::test]
async fn a_protected_site_needs_the_bypass_and_never_shows_it() {
    let config = SiteConfig {
        bypass: Some(BYPASS.to_string()),
        ..SiteConfig::default()
    };
    let (site, _vercel) = site_and_vercel(config).await;
    for path in ["/a.png", "/b.png", "/c.png"] {
        site.put(path);
        site.visit(path, 640, 75, "image/webp");
        site.change(path);
    }
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
            LiveProgress::Before { path, before } => format!("{path}: {}", before.describe()),
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
    let refused = client.verify(&images, None, later(), &record).await;
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
        .verify(&images[..1], None, later(), &record)
        .await;
    assert_eq!(lives(&wrong), vec![("/a.png", &protected)]);

    // With it: verified, and the header went out on every request.
    let before = site.requests().len();
    let mut with = settings(&site, next());
    with.requests.bypass = Some(Secret::new(BYPASS));
    let client = LiveSite::new(with.clone()).expect("client");
    let baseline = client.baseline(&images, later(), &record).await;
    let verified = client
        .verify(&images, Some(&baseline), later(), &record)
        .await;
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
async fn a_secret_echoed_across_every_cut_never_shows_in_part() {
    const SECRET: &str = "Zq7Kp2Wm9Xv4Lr8T";
    // Before, across and after the 200 characters shown, and the 1040
    // bytes of a body read (1024 and the secret's 16): after dots, after
    // blanks (trimmed before the cut), after characters of 2 and 4 bytes.
    let dots = (185..=201)
        .chain(1015..=1030)
        .chain([5000])
        .map(|n| (n, "."));
    let blanks = (1020..=1042)
        .map(|n| (n, " "))
        .chain([(1030, "\n"), (1030, "\t")]);
    let wide = (185..=201).chain(510..=521).map(|n| (n, "é"));
    let wider = (185..=201).chain(254..=261).map(|n| (n, "😀"));
    for (count, filler) in dots.chain(blanks).chain(wide).chain(wider) {
        let before = count * filler.len();
        let (site, _vercel) = site_and_vercel(SiteConfig {
            echo_after: Some((count, filler)),
            ..SiteConfig::default()
        })
        .await;
        site.put("/a.png");
        let mut settings = settings(&site, next());
        settings.requests.bypass = Some(Secret::new(SECRET));
        let client = LiveSite::new(settings).expect("client");
        let verification = client
            .verify(&[image("/a.png")], None, later(), &quiet)
            .await;
        let Live::Unverified(problem @ Problem::NotAllowed { .. }) = &verification.images[0].live
        else {
            panic!("{count} {filler:?}: {:?}", verification.images[0].live);
        };
        assert_eq!(
            site.requests()[0].bypass.as_deref(),
            Some(SECRET),
            "the site got it, and echoed it"
        );
        let shown = format!("{} {:?}", problem.reason(), verification.unverified());
        assert!(!shown.contains("Zq"), "{count} {filler:?}: {shown}");
        // Read whole and within the part shown: taken out, not cut off.
        let shown_before = if filler.trim().is_empty() { 0 } else { count };
        if before + SECRET.len() <= 1040 && shown_before < 198 {
            assert!(shown.contains("***"), "{count} {filler:?}: {shown}");
        }
    }
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
    let verification = client
        .verify(&[image("/a.png")], None, later(), &quiet)
        .await;
    let [verified] = verification.images.as_slice() else {
        panic!("one image");
    };
    let Live::Unverified(problem @ Problem::NotAllowed { .. }) = &verified.live else {
        panic!("400 is a refusal: {:?}", verified.live);
    };
    assert_eq!(
        problem.reason(),
        "the image optimizer refused the request (400: \"w\" parameter (width) of 640 is not allowed); check public-dir, url-prefix, site-dir and the site's images config"
    );
    assert_eq!(verified.live.label(), "not served (400)");
}

#[tokio::test]
async fn a_failing_site_is_retried_and_then_unverified_with_the_reason() {
    let (site, _vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/a.png");
    let client = LiveSite::new(settings(&site, next())).expect("client");

    site.fail_next(2);
    let recovered = client
        .verify(&[image("/a.png")], None, later(), &quiet)
        .await;
    assert_eq!(lives(&recovered), vec![("/a.png", &Live::NotCached)]);
    let statuses: Vec<u16> = site.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);

    site.fail_next(10);
    let failed = client
        .verify(&[image("/a.png")], None, later(), &quiet)
        .await;
    assert_eq!(
        lives(&failed),
        vec![(
            "/a.png",
            &Live::Unverified(Problem::Failed {
                message: "503 Service Unavailable (after 3 attempts)".into()
            })
        )]
    );
    assert_eq!(site.requests().len(), 3 + 3, "max_attempts, no more");

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
        .verify(&[image("/a.png")], None, later(), &quiet)
        .await;
    let Live::Unverified(Problem::Failed { message }) = &unreachable.images[0].live else {
        panic!("{:?}", unreachable.images[0].live);
    };
    assert!(message.starts_with("could not connect"), "{message}");
    assert!(message.ends_with("(after 3 attempts)"), "{message}");
}

/// 100 images a site answers `STALE` forever: the verification ends by
/// `live-timeout`, every image said as still stale, with a number of
/// requests the probe schedule bounds whatever the machine's speed.
#[tokio::test]
async fn a_site_stale_forever_ends_at_the_deadline_with_bounded_requests() {
    let (site, vercel) = site_and_vercel(SiteConfig::default()).await;
    let paths: Vec<String> = (0..100).map(|n| format!("/img/{n}.png")).collect();
    for path in &paths {
        site.put(path);
        site.visit(path, 640, 75, "image/webp");
        site.expire(&Key::new(path, 640, 75, "image/webp"), 471857, usize::MAX);
    }
    let interval = Duration::from_millis(250);
    let mut settings = settings(&site, next());
    settings.requests.time_limit = Duration::from_secs(3);
    settings.requests.timing = Timing {
        grace: Duration::ZERO,
        first_interval: interval,
        growth: 1.0,
        max_interval: interval,
        bound: Duration::from_secs(3600),
    };
    let client = LiveSite::new(settings.clone()).expect("client");
    let images: Vec<Image> = paths.iter().map(|p| image(p)).collect();
    let (baseline, verification) = check(&client, &vercel, INVALIDATE, &images).await;

    assert_eq!(baseline.requests, 100);
    let stale = Live::Unverified(Problem::OutOfTime {
        stale: true,
        limit: settings.requests.time_limit,
    });
    // Each image starts from its STALE baseline, so whether or not it was
    // probed again before the time was up, it ends still stale.
    assert!(
        verification.images.iter().all(|v| v.live == stale),
        "{verification:?}"
    );
    assert_eq!(
        verification.unverified()[0].reason,
        "still stale when the time was up (live-timeout: 3 s)"
    );
    assert_eq!(
        verification.images[0].live.label(),
        "still stale when the time was up"
    );
    // A probe, then one after each full interval within the time limit.
    let most = 1 + (settings.requests.time_limit.as_millis() / interval.as_millis()) as u32;
    assert!(verification.images.iter().all(|v| v.probes <= most));
    assert!(
        verification.requests <= 100 * most,
        "{}",
        verification.requests
    );
    // Counted when sent; one cut short by the deadline may not have arrived.
    assert!(site.requests().len() as u32 <= 100 + verification.requests);
    // Waiting images hold no slot: more than `concurrency` images were
    // probed, where probe loops holding their slots until the end would
    // have let 4 images be asked at all.
    let probed = verification.images.iter().filter(|v| v.probes >= 1).count();
    assert!(probed > settings.requests.concurrency, "{probed}");
}

#[tokio::test]
async fn a_retry_waiting_its_turn_gives_its_slot_to_another_image() {
    let (site, _vercel) = site_and_vercel(SiteConfig::default()).await;
    site.put("/a.png");
    site.put("/b.png");
    let mut settings = settings(&site, next());
    settings.requests.concurrency = 1;
    let client = LiveSite::new(settings).expect("client");

    // The first request is answered 503: while it waits to be retried, the
    // other image, waiting for the one slot, is asked.
    site.fail_next(1);
    let verification = client
        .verify(&[image("/a.png"), image("/b.png")], None, later(), &quiet)
        .await;
    assert!(verification.images.iter().all(|v| v.live.is_verified()));
    let asked: Vec<(String, u16)> = site
        .requests()
        .iter()
        .map(|r| (r.query.clone().unwrap_or_default(), r.status))
        .collect();
    let [(first, 503), (second, 200), (third, 200)] = asked.as_slice() else {
        panic!("{asked:?}");
    };
    assert_ne!(first, second, "the other image went while the retry waited");
    assert_eq!(first, third, "then the retry");
}

/// A site that answers 429 (`Retry-After: 1`) to everything: a few refusals
/// in a row, and nothing more is asked, whatever is left to ask.
#[tokio::test]
async fn a_site_refusing_everything_is_asked_nothing_more_after_a_few_refusals() {
    let (site, _vercel) = site_and_vercel(SiteConfig {
        refuse: Some(429),
        ..warm_config()
    })
    .await;
    let paths: Vec<String> = (0..50).map(|n| format!("/img/{n}.png")).collect();
    let images: Vec<Image> = paths.iter().map(|p| image(p)).collect();
    let mut settings = warm_settings(&site);
    settings.requests.retry.max_wait = Duration::from_secs(5);
    let concurrency = settings.requests.concurrency as u32;
    let client = LiveSite::new(settings).expect("client");

    let baseline = client.baseline(&images, later(), &quiet).await;
    let verification = client
        .verify(&images, Some(&baseline), later(), &quiet)
        .await;
    let warming = client.warm(&images, later(), &quiet).await;

    let asked = site.requests().len() as u32;
    assert!(asked >= REFUSALS_IN_A_ROW, "{asked}");
    assert!(
        asked < REFUSALS_IN_A_ROW + concurrency,
        "none sent once the refusals were counted: {asked}"
    );
    assert!(site.requests().iter().all(|r| r.status == 429));
    let slow = Live::Unverified(Problem::SlowDown);
    assert!(
        verification.images.iter().all(|v| v.live == slow),
        "{verification:?}"
    );
    assert_eq!(
        verification.unverified()[0].reason,
        "the site asked to slow down (429 or 503 again and again), so nothing more was asked"
    );
    assert_eq!((verification.requests, warming.requests), (0, 0));
    assert_eq!(warming.stopped, Some(Problem::SlowDown));
    assert_eq!(warming.left, 50 * 12);
}

fn warm_config() -> SiteConfig {
    SiteConfig {
        widths: vec![64, 640, 1080],
        qualities: vec![75, 90],
        formats: vec!["image/avif".into(), "image/webp".into()],
        ..remote_config()
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
async fn warm_requests_every_variant_of_what_vercel_transforms_exactly_once() {
    let (site, vercel) = site_and_vercel(warm_config()).await;
    let (a, b) = (remote("/a.png"), remote("/b c.png"));
    for path in [&a, &b] {
        site.put(path);
        site.visit(path, 640, 75, "image/webp");
        site.change(path);
    }
    site.put("/anim.gif");
    invalidate(&vercel, &[&a, &b, "/gone.png", "/anim.gif"]).await;

    let client = LiveSite::new(warm_settings(&site)).expect("client");
    let images = [
        image(&a),
        removed("/gone.png"),
        image(&b),
        image("/anim.gif"),
    ];
    let warming = client.warm(&images, later(), &quiet).await;

    let mut expected = std::collections::BTreeMap::new();
    for path in [&a, &b] {
        for width in [64, 640, 1080] {
            for quality in [75, 90] {
                for format in ["image/avif", "image/webp"] {
                    expected.insert(Key::new(path, width, quality, format), 1);
                }
            }
        }
    }
    assert_eq!(
        site.variants_requested(),
        expected,
        "no GIF, nothing removed"
    );
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
    let per_image: Vec<(&str, u64, u32, u64, bool)> = warming
        .images
        .iter()
        .map(|w| {
            (
                w.path.as_str(),
                w.variants,
                w.warmed,
                w.left,
                w.untransformed,
            )
        })
        .collect();
    assert_eq!(
        per_image,
        vec![
            (a.as_str(), 12, 12, 0, false),
            ("/gone.png", 0, 0, 0, false),
            (b.as_str(), 12, 12, 0, false),
            ("/anim.gif", 0, 0, 0, true),
        ]
    );
    // The stale variant's revalidation was started by the warm-up.
    let stale = site
        .requests()
        .into_iter()
        .filter(|r| r.cache.as_deref() == Some("STALE"))
        .count();
    assert_eq!(stale, 2);
    assert_eq!(client.variants_built(), 24);
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
        .warm(&[image("/a.png"), image("/b.png")], later(), &quiet)
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
    assert_eq!(warming.stopped, None);
    let per_image: Vec<(u32, u64)> = warming.images.iter().map(|w| (w.warmed, w.left)).collect();
    assert_eq!(
        per_image,
        vec![(10, 2), (0, 12)],
        "images in the order given"
    );
    assert!(site.sources_requested().iter().all(|s| s == "/a.png"));
}

/// `warm-limit: 10` with ten million variants allowed by the config: ten
/// are built, ten requested, the rest counted.
#[tokio::test]
async fn warm_limit_bounds_the_variants_built_as_it_bounds_requests() {
    let widths: Vec<u32> = (1..=10_000).collect();
    let qualities: Vec<u32> = (1..=1_000).collect();
    let (site, _vercel) = site_and_vercel(SiteConfig {
        widths: widths.clone(),
        qualities: qualities.clone(),
        ..SiteConfig::default()
    })
    .await;
    site.put("/a.png");
    site.put("/b.png");
    let mut settings = settings(&site, next());
    settings.served.widths = widths;
    settings.served.qualities = qualities;
    settings.requests.warm_limit = 10;
    let client = LiveSite::new(settings).expect("client");
    let warming = client
        .warm(&[image("/a.png"), image("/b.png")], later(), &quiet)
        .await;

    assert_eq!(client.variants_built(), 10);
    assert_eq!(site.requests().len(), 10);
    assert_eq!((warming.warmed, warming.left), (10, 2 * 10_000_000 - 10));
    assert_eq!(warming.images[1].variants, 10_000_000);
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
    let warming = client.warm(&[image("/a.png")], later(), &quiet).await;

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
    let warming = client.warm(&[image("/a.png")], later(), &quiet).await;
    assert_eq!(site.requests().len(), 1);
    assert_eq!((warming.warmed, warming.failed, warming.left), (0, 1, 11));
    assert_eq!(warming.stopped, Some(Problem::Protected { status: 401 }));
    assert_eq!(client.variants_built(), 1, "none built after the stop");
}

#[tokio::test]
async fn warm_ends_at_the_deadline_and_counts_the_rest() {
    let (site, _vercel) = site_and_vercel(warm_config()).await;
    site.put("/a.png");
    let client = LiveSite::new(warm_settings(&site)).expect("client");
    let warming = client
        .warm(&[image("/a.png")], Instant::now(), &quiet)
        .await;
    assert_eq!(site.requests().len(), 0);
    assert_eq!((warming.warmed, warming.left), (0, 12));
    assert!(matches!(warming.stopped, Some(Problem::OutOfTime { .. })));
}
