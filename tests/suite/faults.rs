//! Fault injection: the Vercel and GitHub stand-ins misbehave on purpose and
//! each test asserts what the servers received (how many attempts, how far
//! apart) and what the action reported. Delays are short and configured.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::git::GitRepo;
use crate::common::github::FakeGitHub;
use crate::common::raw::{Fault, RawServer};
use crate::common::vercel::{FakeVercel, error, invalid_token, no_access};
use crate::common::{Action, GITHUB_TOKEN, Ran, VERCEL_TOKEN};
use serde_json::json;
use wiremock::ResponseTemplate;

fn images(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("/img/{i:02}.png")).collect()
}

/// A manual run that invalidates `paths`: no GitHub request involved.
fn dispatch(vercel: &str, paths: &[String]) -> Action {
    Action::new()
        .event("workflow_dispatch", json!({"inputs": {}}))
        .input("images", &paths.join("\n"))
        .input("vercel-api-url", vercel)
        .input("vercel-token", VERCEL_TOKEN)
        .input("project", "my-site")
        .fast_retries()
}

/// A Vercel stand-in that answers `first` to the first request and 200 to
/// every other.
async fn failing_once(first: ResponseTemplate) -> FakeVercel {
    FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(move |_, index, _| {
            if index == 0 {
                first.clone()
            } else {
                ResponseTemplate::new(200)
            }
        }),
    )
    .await
}

/// A Vercel stand-in that answers every request 429 with `Retry-After`.
async fn rate_limited(retry_after: &'static str) -> FakeVercel {
    FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(move |_, _, _| {
            ResponseTemplate::new(429).insert_header("retry-after", retry_after)
        }),
    )
    .await
}

/// The waits the run planned before each retry, as its log states them
/// (`retrying in 0.4s`). What a test may assert of the wait's length: the
/// time observed between two requests can only be longer (a loaded machine
/// adds to it), never shorter.
fn planned_waits(log: &str) -> Vec<f64> {
    log.lines()
        .filter_map(|line| line.split_once("retrying in ")?.1.strip_suffix('s'))
        .map(|seconds| seconds.parse().expect("a number of seconds"))
        .collect()
}

/// An upper bound on an observed wait that only a runaway wait breaks
/// (Retry-After taken as 3600 s, a missed cap), never a busy machine.
const RUNAWAY: Duration = Duration::from_secs(10);

fn gaps(times: &[std::time::Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

fn assert_partition(ran: &Ran, all: &[String]) {
    let done = ran.strings("images");
    let failed = ran.strings("failed");
    let mut union: Vec<String> = done.iter().chain(failed.iter()).cloned().collect();
    union.sort();
    let mut expected = all.to_vec();
    expected.sort();
    assert_eq!(
        union, expected,
        "every image is in exactly one of images and failed"
    );
    assert_eq!(ran.outputs["count"], done.len().to_string());
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_waits_that_long() {
    let vercel = failing_once(
        error(429, "rate_limited", "Too many requests").insert_header("retry-after", "1"),
    )
    .await;
    let ran = dispatch(&vercel.url(), &images(3)).run();
    ran.assert_code(0);
    let times: Vec<_> = vercel.valid().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 2);
    let gap = gaps(&times)[0];
    assert!(
        gap >= Duration::from_millis(950) && gap < RUNAWAY,
        "{gap:?}"
    );
    assert_eq!(planned_waits(&ran.stdout), [1.0], "{}", ran.stdout);
    assert_eq!(ran.outputs["requests"], "2");
    assert!(
        ran.stdout
            .contains("attempt 1 failed (429 rate_limited: Too many requests)"),
        "{}",
        ran.stdout
    );
}

#[tokio::test]
async fn a_429_with_an_http_date_or_a_reset_time_waits_until_then() {
    for variant in ["date", "body", "headers"] {
        let vercel = FakeVercel::scripted(
            VERCEL_TOKEN,
            Arc::new(move |_, index, _| {
                if index > 0 {
                    return ResponseTemplate::new(200);
                }
                let now = SystemTime::now();
                let in_2s = now + Duration::from_secs(2);
                let epoch = in_2s.duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
                match variant {
                    "date" => ResponseTemplate::new(429)
                        .insert_header("retry-after", httpdate::fmt_http_date(in_2s).as_str()),
                    "body" => ResponseTemplate::new(429).set_body_json(json!({"error": {
                        "code": "rate_limited", "message": "slow down",
                        "limit": {"remaining": 0, "reset": epoch, "resetMs": epoch * 1000, "total": 10}
                    }})),
                    _ => ResponseTemplate::new(429)
                        .insert_header("x-ratelimit-remaining", "0")
                        .insert_header("x-ratelimit-reset", epoch.to_string().as_str()),
                }
            }),
        )
        .await;
        let ran = dispatch(&vercel.url(), &images(2)).run();
        ran.assert_code(0);
        let times: Vec<_> = vercel.valid().iter().map(|r| r.at).collect();
        assert_eq!(times.len(), 2, "{variant}");
        let gap = gaps(&times)[0];
        // Whole seconds on the wire: between one and two seconds.
        assert!(
            gap >= Duration::from_millis(900) && gap < RUNAWAY,
            "{variant}: {gap:?}"
        );
        let waits = planned_waits(&ran.stdout);
        assert!(
            waits.len() == 1 && (0.5..=2.1).contains(&waits[0]),
            "{variant}: {waits:?}"
        );
    }
}

#[tokio::test]
async fn an_exhausted_rate_limit_window_holds_the_next_requests_until_its_reset() {
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|_, index, _| {
            let reset = (SystemTime::now() + Duration::from_secs(2))
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            let remaining = if index == 0 { "0" } else { "5" };
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", remaining)
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
        }),
    )
    .await;
    let ran = dispatch(&vercel.url(), &images(16))
        .input("concurrency", "1")
        .run();
    ran.assert_code(0);
    let times: Vec<_> = vercel.valid().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 2);
    let gap = gaps(&times)[0];
    assert!(
        gap >= Duration::from_millis(900),
        "no 429 needed to slow down: {gap:?}"
    );
}

#[tokio::test]
async fn a_503_then_200_backs_off_and_succeeds() {
    let vercel = failing_once(error(503, "unavailable", "try again")).await;
    let ran = dispatch(&vercel.url(), &images(5))
        .args(&["--retry-initial-delay", "0.4"])
        .run();
    ran.assert_code(0);
    let times: Vec<_> = vercel.valid().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 2);
    let gap = gaps(&times)[0];
    // Equal jitter: between half the delay and all of it.
    assert!(
        gap >= Duration::from_millis(200) && gap < RUNAWAY,
        "{gap:?}"
    );
    let waits = planned_waits(&ran.stdout);
    assert!(
        waits.len() == 1 && (0.15..=0.45).contains(&waits[0]),
        "{waits:?}"
    );
    assert_eq!(ran.strings("images").len(), 5);
}

#[tokio::test]
async fn backoff_doubles_between_attempts_and_stops_at_the_limit() {
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|_, _, _| error(502, "bad_gateway", "upstream")),
    )
    .await;
    let ran = dispatch(&vercel.url(), &images(1))
        .args(&["--retry-initial-delay", "0.2", "--max-attempts", "4"])
        .run();
    ran.assert_code(1);
    let times: Vec<_> = vercel.valid().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 4, "exactly max-attempts");
    let gaps = gaps(&times);
    // Equal jitter: each wait between half its delay and all of it, the
    // delay doubling from 0.2 s. The log states the plan to 0.1 s.
    let bounds = [(0.1, 0.2), (0.2, 0.4), (0.4, 0.8)];
    let waits = planned_waits(&ran.stdout);
    assert_eq!(waits.len(), 3, "{}", ran.stdout);
    for (wait, (low, high)) in waits.iter().zip(bounds) {
        assert!((low - 0.05..=high + 0.05).contains(wait), "{waits:?}");
    }
    for (gap, (low, _)) in gaps.iter().zip(bounds) {
        assert!(
            *gap >= Duration::from_secs_f64(low) && *gap < RUNAWAY,
            "{gaps:?}"
        );
    }
    assert!(
        ran.summary
            .contains("502 bad\\_gateway\\: upstream \\(after 4 attempts\\)"),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn a_connection_reset_a_cut_answer_and_a_slow_answer_are_retried() {
    // The hanging connection never answers, so its retry can only come from
    // the request timeout (2 s here); the retry is answered at once.
    let cases = [
        ("reset", Fault::Reset),
        ("truncated", Fault::Truncated),
        ("slow", Fault::Hang),
    ];
    for (name, fault) in cases {
        let server = RawServer::start(vec![fault]);
        let ran = dispatch(&server.url, &images(3)).run();
        ran.assert_code(0);
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "{name}: one fault, one retry");
        assert!(requests.iter().all(|r| {
            r.request_line
                .starts_with("POST /v1/edge-cache/invalidate-by-src-images?")
        }));
        assert_eq!(ran.outputs["requests"], "2", "{name}");
        assert_eq!(ran.strings("images").len(), 3, "{name}");
        if name == "slow" {
            assert!(
                ran.stdout.contains("attempt 1 failed (timed out "),
                "{}",
                ran.stdout
            );
        }
    }
}

#[tokio::test]
async fn a_persistent_500_for_one_batch_fails_only_that_batch() {
    let all = images(20);
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|request, _, _| {
            if request.images.iter().any(|i| i == "/img/09.png") {
                error(500, "internal_server_error", "An unexpected error occurred")
            } else {
                ResponseTemplate::new(200)
            }
        }),
    )
    .await;
    let ran = dispatch(&vercel.url(), &all)
        .args(&["--max-attempts", "3"])
        .run();
    ran.assert_code(1);
    let requests = vercel.valid();
    let failing: Vec<_> = requests
        .iter()
        .filter(|r| r.images.contains(&"/img/09.png".to_string()))
        .collect();
    assert_eq!(
        failing.len(),
        3,
        "the failing batch is tried max-attempts times"
    );
    assert_eq!(requests.len(), 5, "the other two batches once each");
    assert_eq!(ran.strings("failed"), all[8..16].to_vec());
    assert_partition(&ran, &all);
    assert!(
        ran.summary
            .starts_with("### ❌ 8 of 20 images could not be invalidated"),
        "{}",
        ran.summary
    );
    let first_row = ran
        .summary
        .lines()
        .find(|l| l.starts_with("| ❌") || l.starts_with("| ✅"))
        .expect("rows");
    assert!(
        first_row
            .contains("❌ failed: 500 internal\\_server\\_error\\: An unexpected error occurred"),
        "{first_row}"
    );
    assert!(
        ran.stdout
            .contains("::error title=Vercel image invalidation::8 images could not be invalidated")
    );
}

#[tokio::test]
async fn answers_that_fail_every_batch_stop_the_run_at_once() {
    // Vercel's own shapes: a token it does not know is a 403 that says
    // `invalidToken`; a valid token without access is a 403 without it.
    type Answer = fn() -> ResponseTemplate;
    let cases: [(Answer, &str, &str); 5] = [
        (
            || error(401, "unauthorized", "Not authorized"),
            "Vercel says the token is invalid, expired or revoked (401)",
            "create a new token",
        ),
        (
            invalid_token,
            "Vercel says the token is invalid, expired or revoked (403)",
            "update the secret passed as vercel-token",
        ),
        (
            || error(402, "payment_required", "This feature requires a paid plan"),
            "the Vercel plan does not include this feature (402)",
            "check the team's plan",
        ),
        (
            || no_access("acme"),
            "the token may not change this project's cache (403)",
            "use a token with access to project",
        ),
        (
            || error(404, "not_found", "Project not found"),
            "Vercel found no project `my-site` in team `team_x1` (404)",
            "a team project needs the team",
        ),
    ];
    for (answer, reason, fix) in cases {
        // A configuration that can never work fails the run whatever
        // fail-on-error says: it is not about these images.
        for fail_on_error in ["true", "false"] {
            let vercel =
                FakeVercel::scripted(VERCEL_TOKEN, Arc::new(move |_, _, _| answer())).await;
            let all = images(40);
            let ran = dispatch(&vercel.url(), &all)
                .input("concurrency", "1")
                .input("team-id", "team_x1")
                .input("fail-on-error", fail_on_error)
                .run();
            let case = format!("{reason}, fail-on-error {fail_on_error}");
            ran.assert_code(1);
            assert_eq!(vercel.valid().len(), 1, "{case}: one request, then stop");
            assert_eq!(ran.strings("failed").len(), 40, "{case}");
            assert_partition(&ran, &all);
            assert!(
                ran.summary.contains("Stopped early"),
                "{case}: {}",
                ran.summary
            );
            assert!(ran.stdout.contains(reason), "{case}: {}", ran.stdout);
            assert!(ran.stdout.contains(fix), "{case}: {}", ran.stdout);
            assert_eq!(
                ran.stdout.matches("::error title=Stopped early::").count(),
                1,
                "{case}: said once, as an error"
            );
        }
    }
}

#[tokio::test]
async fn malformed_error_bodies_are_reported_with_their_status() {
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|request, _, _| {
            if request.images[0] == "/img/00.png" {
                ResponseTemplate::new(400).set_body_string("{not json")
            } else {
                ResponseTemplate::new(500).set_body_string("<html>\nproxy oops</html>")
            }
        }),
    )
    .await;
    let all = images(16);
    let ran = dispatch(&vercel.url(), &all)
        .args(&["--max-attempts", "2"])
        .run();
    ran.assert_code(1);
    let requests = vercel.valid();
    let first: Vec<_> = requests
        .iter()
        .filter(|r| r.images[0] == "/img/00.png")
        .collect();
    assert_eq!(first.len(), 1, "a 400 is not retried");
    assert_eq!(requests.len(), 3, "the 500 is retried once");
    assert!(
        ran.summary.contains("400\\: Bad Request \\(\\{not json\\)"),
        "{}",
        ran.summary
    );
    assert!(
        ran.summary
            .contains("500\\: Internal Server Error \\(\\<html\\>\\\\nproxy oops\\<\\/html\\>\\)"),
        "{}",
        ran.summary
    );
    assert_partition(&ran, &all);
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_fails_without_waiting() {
    let vercel = rate_limited("3600").await;
    let started = std::time::Instant::now();
    let ran = dispatch(&vercel.url(), &images(2)).run();
    ran.assert_code(1);
    assert!(started.elapsed() < RUNAWAY);
    assert_eq!(planned_waits(&ran.stdout), [0.0; 0], "no retry planned");
    assert_eq!(vercel.valid().len(), 1);
    assert!(
        ran.summary
            .contains("Vercel asked to wait 3600 s before retrying"),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn a_retry_after_past_the_backoff_cap_is_honoured_up_to_the_wait_limit() {
    let vercel = failing_once(ResponseTemplate::new(429).insert_header("retry-after", "2")).await;
    // Backoff stops at 0.1 s; what the server asks for is waited for.
    let ran = dispatch(&vercel.url(), &images(2))
        .args(&["--retry-max-delay", "0.1"])
        .run();
    ran.assert_code(0);
    let times: Vec<_> = vercel.valid().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 2);
    assert!(gaps(&times)[0] >= Duration::from_millis(1900), "{times:?}");

    // Past --retry-max-wait it is not.
    let vercel = rate_limited("2").await;
    let ran = dispatch(&vercel.url(), &images(2))
        .args(&["--retry-max-wait", "1"])
        .run();
    ran.assert_code(1);
    assert_eq!(vercel.valid().len(), 1);
    assert!(
        ran.summary
            .contains("wait 2 s before retrying\\, longer than the 1 s this action waits"),
        "{}",
        ran.summary
    );
}

#[tokio::test]
async fn a_long_retry_after_stops_the_other_batches_too() {
    let vercel = rate_limited("3600").await;
    let all = images(20);
    let ran = dispatch(&vercel.url(), &all)
        .input("concurrency", "1")
        .run();
    ran.assert_code(1);
    assert_eq!(
        vercel.valid().len(),
        1,
        "the other batches would be refused the same way"
    );
    assert_eq!(ran.strings("failed").len(), 20);
    assert!(ran.summary.contains("Stopped early"), "{}", ran.summary);
    assert!(
        ran.stdout
            .contains("rate limiting this token for the next 3600 s"),
        "{}",
        ran.stdout
    );
}

#[tokio::test]
async fn a_refusal_whose_body_breaks_off_is_still_not_retried() {
    let server = RawServer::start(vec![Fault::CutBody(401)]);
    let all = images(16);
    let ran = dispatch(&server.url, &all).input("concurrency", "1").run();
    ran.assert_code(1);
    assert_eq!(
        server.requests().len(),
        1,
        "a 401 stops the run, body or not"
    );
    assert_eq!(ran.strings("failed").len(), 16);
    assert!(
        ran.stdout
            .contains("Vercel says the token is invalid, expired or revoked (401)"),
        "{}",
        ran.stdout
    );
}

#[tokio::test]
async fn fail_on_error_false_turns_failures_into_a_warning() {
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|_, _, _| error(500, "internal", "boom")),
    )
    .await;
    let ran = dispatch(&vercel.url(), &images(3))
        .input("fail-on-error", "false")
        .args(&["--max-attempts", "1"])
        .run();
    ran.assert_code(0);
    assert_eq!(ran.strings("failed").len(), 3);
    assert!(
        ran.stdout.contains(
            "::warning title=Vercel image invalidation::3 images could not be invalidated"
        )
    );
    assert!(!ran.stdout.contains("::error"));
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_token_never_leaves_the_api_origin() {
    let elsewhere = FakeVercel::start(VERCEL_TOKEN).await;
    let target = format!(
        "{}/v1/edge-cache/invalidate-by-src-images?projectIdOrName=my-site",
        elsewhere.url()
    );
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(move |_, _, _| {
            ResponseTemplate::new(307).insert_header("location", target.as_str())
        }),
    )
    .await;
    let ran = dispatch(&vercel.url(), &images(12))
        .input("concurrency", "1")
        .run();
    ran.assert_code(1);
    assert!(
        elsewhere.received().is_empty(),
        "the redirect target got a request"
    );
    assert_eq!(vercel.valid().len(), 1, "a redirect stops the run");
    assert!(ran.summary.contains("not followed"), "{}", ran.summary);
}

#[tokio::test]
async fn nothing_is_lost_under_a_mix_of_faults() {
    let all = images(60);
    let vercel = FakeVercel::scripted(
        VERCEL_TOKEN,
        Arc::new(|request, _, repeats| {
            // Each batch meets its own sequence of answers, decided by its
            // first image: some recover, some never do.
            let seed: usize = request.images[0][5..7].parse().unwrap_or(0) / 8;
            match (seed % 4, repeats) {
                (0, _) => ResponseTemplate::new(200),
                (1, 0) => ResponseTemplate::new(429).insert_header("retry-after", "0"),
                (1, _) => ResponseTemplate::new(200),
                (2, r) if r < 2 => error(503, "unavailable", "later"),
                (2, _) => ResponseTemplate::new(200),
                _ => error(500, "internal", "never"),
            }
        }),
    )
    .await;
    let ran = dispatch(&vercel.url(), &all)
        .args(&["--max-attempts", "3"])
        .input("concurrency", "3")
        .run();
    ran.assert_code(1);
    assert_partition(&ran, &all);
    // Batches 3 (8 images) and 7 (the last 4) never succeed.
    assert_eq!(ran.strings("failed").len(), 12);
    assert_eq!(ran.strings("images").len(), 48);
    let rows = ran
        .summary
        .lines()
        .filter(|l| l.starts_with("| ❌") || l.starts_with("| ✅"))
        .count();
    assert_eq!(rows, 60, "every image has its row");
    let requests: usize = vercel.valid().len();
    assert_eq!(ran.outputs["requests"], requests.to_string());
}

#[tokio::test]
async fn a_rerun_sends_the_same_requests_and_succeeds_again() {
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;
    let all = images(10);
    let first = dispatch(&vercel.url(), &all).run();
    let second = dispatch(&vercel.url(), &all).run();
    first.assert_code(0);
    second.assert_code(0);
    assert_eq!(first.outputs, second.outputs);
    let requests = vercel.valid();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0].images.len() + requests[1].images.len(), 10);
}

#[tokio::test]
async fn github_faults_are_retried_or_explained() {
    let (repo, before, after) = GitRepo::one_image_changed();
    let vercel = FakeVercel::start(VERCEL_TOKEN).await;

    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.fail_next(502, 1);
    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .fast_retries()
        .push(&before, &after)
        .run();
    ran.assert_code(0);
    assert_eq!(github.seen().len(), 3, "one listing retried");
    assert_eq!(vercel.images(), ["/a.png"]);

    // A passing fault that outlasts the retries is not bad input: exit 1.
    for status in [503, 429] {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        github.fail_next(status, 100);
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .fast_retries()
            .args(&["--max-attempts", "2"])
            .push(&before, &after)
            .run();
        ran.assert_code(1);
        assert!(
            ran.stdout.contains("rerun the job later"),
            "{status}: {}",
            ran.stdout
        );
    }
    // Not knowing what changed is not "some images failed": `fail-on-error:
    // false` does not turn it into a success.
    let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
    github.fail_next(503, 100);
    let ran = Action::new()
        .against(&github.url(), &vercel.url(), repo.path())
        .fast_retries()
        .args(&["--max-attempts", "2"])
        .input("fail-on-error", "false")
        .push(&before, &after)
        .run();
    ran.assert_code(1);

    for (status, expected) in [
        (401, "the github-token is not valid"),
        (403, "`permissions: contents: read`"),
        (404, "check that the repository and the commits exist"),
    ] {
        let github = FakeGitHub::start(repo.path(), GITHUB_TOKEN).await;
        github.fail_next(status, 100);
        let before_count = vercel.received().len();
        let ran = Action::new()
            .against(&github.url(), &vercel.url(), repo.path())
            .fast_retries()
            .push(&before, &after)
            .run();
        ran.assert_code(2);
        assert!(ran.stdout.contains(expected), "{status}: {}", ran.stdout);
        // The two tree listings run at once: the first answer stops the run,
        // so the other may be cancelled before it reaches the server. What is
        // guaranteed is that neither is retried: each listing at most once.
        let seen = github.seen();
        assert!(
            (1..=2).contains(&seen.len()),
            "{status}: one or two listings, none retried: {seen:?}"
        );
        let mut paths: Vec<_> = seen.iter().map(|s| (&s.path, &s.query)).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(
            paths.len(),
            seen.len(),
            "{status}: a listing was retried: {seen:?}"
        );
        assert_eq!(vercel.received().len(), before_count, "nothing sent");
    }
}
