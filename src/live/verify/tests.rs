//! The judgements of one answer, the baseline's shortcuts, the wording.

use super::*;

fn answer(status: u16, cache: Option<&str>, etag: Option<&str>) -> Answer {
    Answer {
        status,
        cache: cache.map(str::to_string),
        etag: etag.map(str::to_string),
        location: None,
        age: None,
        message: String::new(),
    }
}

fn ok(cache: &str, etag: &str) -> Answer {
    answer(200, Some(cache), Some(etag))
}

fn tag(etag: &str) -> Option<String> {
    Some(etag.to_string())
}

fn cx(removed: bool, grace_over: bool) -> Context {
    Context {
        removed,
        grace_over,
        ..Context::default()
    }
}

fn unverified(problem: Problem) -> Judgement {
    Judgement::Final(Live::Unverified(problem))
}

#[test]
fn stale_is_probed_until_a_new_etag_is_served_fresh() {
    let first = judge(&Seen::Nothing, &ok("STALE", "\"a\""), cx(false, false));
    assert_eq!(first, Judgement::Again(Seen::Stale(tag("\"a\""))));
    let seen = Seen::Stale(tag("\"a\""));
    assert_eq!(
        judge(&seen, &ok("STALE", "\"a\""), cx(false, true)),
        Judgement::Again(seen.clone()),
        "still revalidating, whatever the grace period says"
    );
    assert_eq!(
        judge(&seen, &ok("HIT", "\"b\""), cx(false, false)),
        Judgement::Final(Live::NewVersion)
    );
    assert_eq!(
        judge(&seen, &ok("MISS", "\"b\""), cx(false, false)),
        Judgement::Final(Live::NewVersion)
    );
    assert_eq!(
        judge(&seen, &ok("HIT", "\"a\""), cx(false, false)),
        unverified(Problem::Unchanged)
    );
    assert_eq!(
        judge(
            &Seen::Stale(None),
            &answer(200, Some("HIT"), None),
            cx(false, false)
        ),
        Judgement::Final(Live::NewVersion),
        "without ETags, STALE then HIT is the revalidation done"
    );
}

#[test]
fn a_miss_at_once_was_not_cached() {
    assert_eq!(
        judge(&Seen::Nothing, &ok("MISS", "\"a\""), cx(false, false)),
        Judgement::Final(Live::NotCached)
    );
    assert_eq!(
        judge(
            &Seen::Nothing,
            &ok("REVALIDATED", "\"a\""),
            cx(false, false)
        ),
        Judgement::Final(Live::NotCached)
    );
}

#[test]
fn a_hit_with_the_old_etag_past_the_grace_period_is_a_wrong_path() {
    let first = judge(&Seen::Nothing, &ok("HIT", "\"a\""), cx(false, false));
    assert_eq!(first, Judgement::Again(Seen::Hit(tag("\"a\""))));
    let seen = Seen::Hit(tag("\"a\""));
    assert_eq!(
        judge(&seen, &ok("HIT", "\"a\""), cx(false, false)),
        Judgement::Again(seen.clone())
    );
    assert_eq!(
        judge(&seen, &ok("HIT", "\"a\""), cx(false, true)),
        unverified(Problem::StillCached)
    );
    assert_eq!(
        judge(&Seen::Nothing, &ok("HIT", "\"a\""), cx(false, true)),
        unverified(Problem::StillCached),
        "no grace period"
    );
    assert_eq!(
        judge(&seen, &ok("STALE", "\"a\""), cx(false, true)),
        Judgement::Again(Seen::Stale(tag("\"a\""))),
        "the invalidation arrived during the grace period"
    );
    assert_eq!(
        judge(&seen, &ok("HIT", "\"b\""), cx(false, true)),
        Judgement::Final(Live::NewVersion),
        "revalidated between two probes"
    );
}

#[test]
fn statuses_say_what_is_wrong() {
    let cases = [
        (404, false, Live::Unverified(Problem::NotOnSite)),
        (404, true, Live::Removed),
        (
            400,
            false,
            Live::Unverified(Problem::NotAllowed {
                message: String::new(),
            }),
        ),
        (
            401,
            false,
            Live::Unverified(Problem::Protected { status: 401 }),
        ),
        (
            403,
            true,
            Live::Unverified(Problem::Protected { status: 403 }),
        ),
        (
            410,
            false,
            Live::Unverified(Problem::Unexpected {
                status: 410,
                message: String::new(),
            }),
        ),
    ];
    for (status, removed, expected) in cases {
        for seen in [
            Seen::Nothing,
            Seen::Stale(tag("\"a\"")),
            Seen::Hit(tag("\"a\"")),
        ] {
            assert_eq!(
                judge(&seen, &answer(status, None, None), cx(removed, false)),
                Judgement::Final(expected.clone()),
                "{status} removed={removed} after {seen:?}"
            );
        }
    }
    let mut redirect = answer(308, None, None);
    redirect.location = Some("https://www.example.com/_next/image".into());
    let Judgement::Final(Live::Unverified(problem)) =
        judge(&Seen::Nothing, &redirect, cx(false, false))
    else {
        panic!("a redirect is a problem");
    };
    assert!(
        problem
            .reason()
            .contains("https://www.example.com/_next/image"),
        "{}",
        problem.reason()
    );
    assert_eq!(
        problem.help(),
        "set site-url to the origin the site is served from"
    );
}

#[test]
fn an_answer_not_from_the_image_cache_is_not_taken_for_one() {
    assert_eq!(
        judge(
            &Seen::Nothing,
            &answer(200, None, Some("\"a\"")),
            cx(false, false)
        ),
        unverified(Problem::NotFromCache { cache: None })
    );
    assert_eq!(
        judge(&Seen::Nothing, &ok("BYPASS", "\"a\""), cx(false, false)),
        unverified(Problem::NotFromCache {
            cache: Some("BYPASS".into())
        })
    );
}

#[test]
fn labels_and_outputs() {
    let verification = Verification {
        images: vec![
            Verified {
                path: "/a.png".into(),
                probed: None,
                live: Live::NewVersion,
                probes: 3,
            },
            Verified {
                path: "/b.png".into(),
                probed: None,
                live: Live::Unverified(Problem::NotOnSite),
                probes: 1,
            },
            Verified {
                path: "/c.png".into(),
                probed: None,
                live: Live::Unverified(Problem::Protected { status: 401 }),
                probes: 1,
            },
            Verified {
                path: "/d.png".into(),
                probed: None,
                live: Live::Removed,
                probes: 1,
            },
        ],
        requests: 6,
    };
    assert_eq!(verification.verified(), vec!["/a.png", "/d.png"]);
    let unverified = serde_json::to_string(&verification.unverified()).expect("json");
    assert_eq!(
        unverified,
        r#"[{"path":"/b.png","reason":"the site has no image at this path (404); check public-dir, url-prefix and site-dir"},{"path":"/c.png","reason":"Deployment Protection refused the request (401)"}]"#
    );
    let labels: Vec<&str> = verification.images.iter().map(|v| v.live.label()).collect();
    assert_eq!(
        labels,
        vec![
            "fresh after revalidation",
            "not served (404)",
            "not verified",
            "removed (404)"
        ]
    );
    assert_eq!(verification.count(|live| !live.is_verified()), 2);
    assert!(Problem::NotOnSite.help().contains("url-prefix"));
    assert!(
        Problem::Protected { status: 401 }
            .help()
            .contains("vercel-protection-bypass")
    );
    assert_eq!(
        Live::Unverified(Problem::StillStale {
            waited: Duration::from_secs(120)
        })
        .describe(),
        "not verified: still revalidating (STALE) after 120 s"
    );
    let limit = Duration::from_secs(300);
    assert_eq!(
        Live::Unverified(Problem::OutOfTime { stale: true, limit }).describe(),
        "still stale when the time was up (live-timeout: 300 s)"
    );
    assert_eq!(
        Live::Unverified(Problem::SlowDown).describe(),
        "the site asked to slow down (429 or 503 again and again), so nothing more was asked"
    );
    assert_eq!(
        Live::Expired { age: Some(471857) }.describe(),
        "fresh, was already STALE from expiry before the invalidation (STALE, Age 471857), not credited to this run"
    );
    assert_eq!(
        Live::Unverified(Problem::Unchanged).label(),
        "still the old ETag"
    );
}

fn image(path: &str) -> Image {
    Image::changed(path)
}

fn served(cache: &str, etag: &str, age: Option<u64>) -> Before {
    Before::Served(crate::live::Observed {
        cache: Some(cache.into()),
        etag: tag(etag),
        age,
    })
}

#[test]
fn the_baseline_of_a_local_image_tells_at_once() {
    let local = image("/hero.png");
    let added = Image {
        added: true,
        ..image("/new.png")
    };
    assert_eq!(
        start(&local, Some(&served("MISS", "\"n\"", None))),
        Err(Live::NewContentKey),
        "new bytes, new content key"
    );
    assert_eq!(
        start(&added, Some(&served("MISS", "\"n\"", None))),
        Err(Live::NotCached)
    );
    assert_eq!(
        start(&local, Some(&served("HIT", "\"n\"", Some(30)))),
        Err(Live::ContentKey)
    );
    assert_eq!(
        start(&local, Some(&Before::NotServed(Problem::NotOnSite))),
        Err(Live::Unverified(Problem::NotOnSite)),
        "known before anything was sent"
    );
    assert_eq!(
        start(&local, Some(&served("STALE", "\"o\"", Some(471857)))),
        Ok((Seen::Stale(tag("\"o\"")), Some(Some(471857)))),
        "stale from expiry: probed, not credited"
    );
    assert_eq!(start(&local, None), Ok((Seen::Nothing, None)));
}

#[test]
fn the_baseline_of_a_remote_image_is_what_the_invalidation_must_change() {
    let remote = image("https://cdn.example.com/hero.png");
    assert!(remote.keyed_by_url());
    assert_eq!(
        start(&remote, Some(&served("HIT", "\"o\"", None))),
        Ok((Seen::Hit(tag("\"o\"")), None))
    );
    assert_eq!(
        start(&remote, Some(&served("MISS", "\"n\"", None))),
        Err(Live::NotCached)
    );
    let removed = Image {
        removed: true,
        ..image("/gone.png")
    };
    assert_eq!(
        start(&removed, Some(&served("HIT", "\"o\"", None))),
        Ok((Seen::Nothing, None)),
        "a removed image's copy is probed until it is gone"
    );
    assert_eq!(start(&removed, Some(&Before::Gone)), Err(Live::Removed));
}

#[test]
fn fresh_after_stale_says_whose_doing_it_was() {
    let stale = Seen::Stale(tag("\"o\""));
    let remote = Context {
        by_url: true,
        ..Context::default()
    };
    assert_eq!(
        judge(&stale, &ok("HIT", "\"n\""), remote),
        Judgement::Final(Live::NewVersion)
    );
    assert_eq!(
        judge(&stale, &ok("HIT", "\"o\""), remote),
        unverified(Problem::Unchanged),
        "still the old ETag"
    );
    let expired = Context {
        expired: Some(Some(471857)),
        ..remote
    };
    assert_eq!(
        judge(&stale, &ok("HIT", "\"n\""), expired),
        Judgement::Final(Live::Expired { age: Some(471857) })
    );
    assert_eq!(
        judge(&stale, &ok("HIT", "\"o\""), expired),
        unverified(Problem::Unchanged)
    );
    let local_expired = Context {
        by_url: false,
        ..expired
    };
    assert_eq!(
        judge(&stale, &ok("HIT", "\"o\""), local_expired),
        Judgement::Final(Live::Expired { age: Some(471857) }),
        "the same bytes are the current ones under a content key"
    );
}

#[test]
fn after_a_delete_revalidated_is_the_answer() {
    let deleted = Context {
        deleted: true,
        ..Context::default()
    };
    assert_eq!(
        judge(&Seen::Nothing, &ok("REVALIDATED", "\"n\""), deleted),
        Judgement::Final(Live::Revalidated)
    );
    assert_eq!(
        judge(&Seen::Nothing, &ok("MISS", "\"n\""), deleted),
        Judgement::Final(Live::MissAfterDelete),
        "deleted, so it was cached before"
    );
    assert_eq!(Live::MissAfterDelete.label(), "fresh after deletion (MISS)");
    assert_eq!(
        Live::Revalidated.label(),
        "fresh after deletion (REVALIDATED)"
    );
}
