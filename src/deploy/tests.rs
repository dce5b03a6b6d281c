use super::*;

#[test]
fn polls_grow_by_half_up_to_the_longest_interval() {
    let polling = Polling {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        elsewhere_after: Duration::from_secs(60),
        heartbeat: Duration::from_secs(30),
    };
    let intervals: Vec<u128> = polling.intervals().take(7).map(|d| d.as_millis()).collect();
    assert_eq!(intervals, [50, 75, 112, 168, 200, 200, 200]);
    let flat = Polling {
        initial: Duration::from_secs(20),
        max: Duration::from_secs(15),
        elsewhere_after: Duration::from_secs(60),
        heartbeat: Duration::from_secs(30),
    };
    assert_eq!(flat.intervals().next(), Some(Duration::from_secs(15)));
}

#[test]
fn production_environments_are_named_as_vercel_names_them() {
    assert_eq!(production_project("Production"), Some(""));
    assert_eq!(production_project("production"), Some(""));
    assert_eq!(production_project("Production – site"), Some("site"));
    assert_eq!(production_project("Production - site"), Some("site"));
    assert_eq!(production_project("Preview"), None);
    assert_eq!(production_project("Preview – site"), None);
    assert_eq!(production_project("Productions"), None);
    assert_eq!(production_project("Production – "), None);
    assert_eq!(production_project("Prod"), None);
    let auto = Awaited::from_input("AUTO", Some("site"));
    assert!(is_awaited("Production", &auto));
    assert!(is_awaited("Production – site", &auto));
    assert!(!is_awaited("Production – docs", &auto));
    assert!(!is_awaited("Preview", &auto));
    let named = Awaited::from_input("Staging", Some("site"));
    assert!(is_awaited("staging", &named));
    assert!(!is_awaited("Production", &named));
}

#[test]
fn auto_picks_the_projects_production_environment() {
    let listed = |pairs: &[(&str, &str)]| -> Vec<Deployment> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (sha, environment))| Deployment {
                id: i as u64,
                sha: sha.to_string(),
                environment: Some(environment.to_string()),
            })
            .collect()
    };
    let one = Survey::of("aa", &listed(&[("bb", "Production"), ("aa", "Preview")]));
    assert_eq!(one.own, ["Preview"]);
    assert_eq!(
        one.production(Some("site")),
        Ok(Some("Production".to_string()))
    );
    let several = Survey::of(
        "aa",
        &listed(&[("aa", "Production – docs"), ("aa", "Production – site")]),
    );
    assert_eq!(
        several.production(Some("SITE")),
        Ok(Some("Production – site".to_string()))
    );
    assert_eq!(
        several.production(Some("prj_123")),
        Err(vec![
            "Production – docs".to_string(),
            "Production – site".to_string()
        ])
    );
    assert_eq!(Survey::of("aa", &[]).production(None), Ok(None));
    let long = Survey::of("aa", &listed(&[("aa", &"x".repeat(5000))]));
    assert!(long.own[0].chars().count() <= MAX_ENVIRONMENT_CHARS + 3);
}

#[test]
fn waits_are_shown_in_seconds_then_minutes() {
    assert_eq!(format_wait(Duration::from_millis(2500)), "2.5s");
    assert_eq!(format_wait(Duration::from_secs(125)), "2m 05s");
}

#[test]
fn failures_say_what_to_do() {
    let failed = DeployError::Failed {
        sha: "abc".into(),
        environment: "Production".into(),
        state: "failure".into(),
        url: Some("https://x.vercel.app".into()),
        waited: Duration::from_secs(3),
    };
    assert!(failed.to_string().contains("`failure`"));
    assert!(failed.help().contains("https://x.vercel.app"));
    assert!(!failed.is_configuration());
    let timed_out = DeployError::TimedOut {
        sha: "abc".into(),
        environment: "Production".into(),
        last: "in_progress".into(),
        waited: Duration::from_secs(600),
    };
    assert!(timed_out.help().contains("deployment-timeout"));
}
