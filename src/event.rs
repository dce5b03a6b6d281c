//! What triggered the run, from `GITHUB_EVENT_NAME` and the payload at
//! `GITHUB_EVENT_PATH`, and from that what to compare.
//!
//! A push compares `before` with `after` (what was live with what will be);
//! a new branch compares the head with its first parent; a deleted branch or
//! a tag has nothing to do. A `deployment_status` compares the previous
//! successful deployment with this one. Any other event (or a run outside
//! Actions) needs `images`, or `base` (and optionally `head`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::Value;

use crate::untrusted::{is_full_sha, one_line};

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The payload file could not be read or is not JSON: shown, with
    /// its context, never matched.
    #[error("{0:#}")]
    Payload(anyhow::Error),
    #[error("the `{event}` event payload `{}` {problem}", path.display())]
    Shape {
        event: String,
        path: PathBuf,
        problem: String,
    },
    #[error("GITHUB_EVENT_NAME is `{0}` but GITHUB_EVENT_PATH is not set")]
    NoPayload(String),
    #[error("{what} there is no push to compare")]
    NothingToCompare { what: String, inside_actions: bool },
}

impl EventError {
    pub fn help(&self) -> String {
        match self {
            EventError::NothingToCompare {
                inside_actions: true,
                ..
            } => "set the `images` input to the public paths to invalidate, or `base` (and optionally `head`) to the commits to compare".to_string(),
            EventError::NothingToCompare { .. } => {
                "pass --base <commit> (for example --base HEAD~1) to preview a change, or --images with public paths".to_string()
            }
            EventError::Shape { .. } => "this event does not carry the commits to compare: set `base` (and optionally `head`), or `images`".to_string(),
            EventError::Payload(_) | EventError::NoPayload(_) => "run this action in a GitHub Actions job, which writes the payload; to run it elsewhere, unset GITHUB_EVENT_NAME and GITHUB_EVENT_PATH and pass --base".to_string(),
        }
    }
}

fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

/// What started the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    Push {
        git_ref: String,
        /// `None` for a new branch (all zeros).
        before: Option<String>,
        /// `None` for a deleted branch (all zeros).
        after: Option<String>,
        forced: bool,
    },
    DeploymentStatus {
        state: String,
        environment: String,
        sha: String,
        deployment_id: u64,
        url: Option<String>,
    },
    /// Any other event, by name (`workflow_dispatch`, `schedule`...).
    Other(String),
    /// Not in Actions.
    Local,
}

#[derive(Deserialize)]
struct PushPayload {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    before: Option<String>,
    after: Option<String>,
    #[serde(default)]
    forced: bool,
}

#[derive(Deserialize)]
struct DeploymentStatusPayload {
    deployment_status: DeploymentStatusPart,
    deployment: DeploymentPart,
}

#[derive(Deserialize)]
struct DeploymentStatusPart {
    state: String,
    environment: Option<String>,
    environment_url: Option<String>,
    target_url: Option<String>,
}

#[derive(Deserialize)]
struct DeploymentPart {
    id: u64,
    sha: String,
    environment: Option<String>,
}

fn read_payload(event: &str, path: &Path) -> Result<Value, EventError> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("the event payload `{}` could not be read", path.display()))
        .map_err(EventError::Payload)?;
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("the event payload `{}` is not valid JSON", path.display()))
        .map_err(EventError::Payload)?;
    if !value.is_object() {
        return Err(EventError::Shape {
            event: event.to_string(),
            path: path.to_path_buf(),
            problem: "is not a JSON object".to_string(),
        });
    }
    Ok(value)
}

/// Reads the trigger from the event name and payload path.
pub fn load(event_name: Option<&str>, event_path: Option<&Path>) -> Result<Trigger, EventError> {
    let Some(event) = event_name else {
        return Ok(Trigger::Local);
    };
    let shape = |path: &Path, problem: String| EventError::Shape {
        event: event.to_string(),
        path: path.to_path_buf(),
        problem,
    };
    match event {
        "push" | "deployment_status" => {
            let path = event_path.ok_or_else(|| EventError::NoPayload(event.to_string()))?;
            let value = read_payload(event, path)?;
            if event == "push" {
                let push: PushPayload = serde_json::from_value(value)
                    .map_err(|e| shape(path, format!("has an unexpected shape: {e}")))?;
                let (Some(git_ref), Some(before), Some(after)) =
                    (push.git_ref, push.before, push.after)
                else {
                    return Err(shape(path, "lacks `ref`, `before` or `after`".to_string()));
                };
                for (name, sha) in [("before", &before), ("after", &after)] {
                    if !is_full_sha(sha) {
                        return Err(shape(
                            path,
                            format!(
                                "has `{name}` = `{}`, which is not a commit sha",
                                one_line(sha)
                            ),
                        ));
                    }
                }
                Ok(Trigger::Push {
                    git_ref,
                    before: (!is_zero(&before)).then_some(before.to_ascii_lowercase()),
                    after: (!is_zero(&after)).then_some(after.to_ascii_lowercase()),
                    forced: push.forced,
                })
            } else {
                let payload: DeploymentStatusPayload = serde_json::from_value(value)
                    .map_err(|e| shape(path, format!("has an unexpected shape: {e}")))?;
                if !is_full_sha(&payload.deployment.sha) {
                    return Err(shape(
                        path,
                        "has a deployment sha that is not a commit sha".to_string(),
                    ));
                }
                let environment = payload
                    .deployment_status
                    .environment
                    .or(payload.deployment.environment)
                    .unwrap_or_default();
                Ok(Trigger::DeploymentStatus {
                    state: payload.deployment_status.state,
                    environment,
                    sha: payload.deployment.sha.to_ascii_lowercase(),
                    deployment_id: payload.deployment.id,
                    url: payload
                        .deployment_status
                        .environment_url
                        .or(payload.deployment_status.target_url)
                        // A URL is shown and linked: a long one is not one.
                        .filter(|u| !u.is_empty() && u.len() <= 2048),
                })
            }
        }
        other => {
            if let Some(path) = event_path {
                // A payload that is there must at least be JSON: a broken
                // file means a broken runner or a hand-made call.
                read_payload(other, path)?;
            }
            Ok(Trigger::Other(other.to_string()))
        }
    }
}

/// Where the comparison starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    Commit(String),
    /// The head commit's first parent (or every file of a root commit).
    FirstParent,
    /// The sha of the last successful deployment before this one.
    PreviousDeployment {
        environment: String,
        deployment_id: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compare {
    pub base: Base,
    pub head: String,
}

/// What the run will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Exit 0 without sending anything, for this reason.
    Nothing(String),
    Work {
        compare: Option<Compare>,
        /// Explicit public paths.
        images: Vec<String>,
        /// Deployment page, from a `deployment_status` event.
        deployment_url: Option<String>,
    },
}

/// What the inputs say about what to compare.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// `base` and `head`, which override the event's commits.
    pub base: Option<String>,
    pub head: Option<String>,
    /// Explicit public paths (`images`).
    pub images: Vec<String>,
    /// `GITHUB_SHA`: the head of a run that has no push to compare.
    pub sha: Option<String>,
    /// Only a `deployment_status` to this environment counts (`auto`: a
    /// production environment, the project's when it is named).
    pub deployment_environment: String,
    /// The Vercel project, which names its production environment when
    /// several deploy from one repository.
    pub project: Option<String>,
}

impl Settings {
    /// `base` against `head` (or `default_head`), when `base` is given.
    fn with_base(&self, default_head: String) -> Option<Compare> {
        self.base.as_ref().map(|base| Compare {
            base: Base::Commit(base.clone()),
            head: self.head.clone().unwrap_or(default_head),
        })
    }

    /// The commit to compare to when the event names none.
    fn explicit_head(&self) -> String {
        self.head
            .clone()
            .or_else(|| self.sha.clone())
            .unwrap_or_else(|| "HEAD".to_string())
    }

    fn work(&self, compare: Option<Compare>, deployment_url: Option<String>) -> Plan {
        Plan::Work {
            compare,
            images: self.images.clone(),
            deployment_url,
        }
    }
}

/// Decides what to do from the trigger and the inputs (`base`, `head`,
/// `images` override the event).
pub fn plan(trigger: &Trigger, settings: &Settings) -> Result<Plan, EventError> {
    match trigger {
        Trigger::Push {
            git_ref,
            before,
            after,
            ..
        } => Ok(plan_push(
            settings,
            git_ref,
            before.as_deref(),
            after.as_deref(),
        )),
        Trigger::DeploymentStatus {
            state,
            environment,
            sha,
            deployment_id,
            url,
        } => {
            if !state.eq_ignore_ascii_case("success") {
                return Ok(Plan::Nothing(format!(
                    "the deployment's state is `{}`, not `success`",
                    crate::untrusted::excerpt(state)
                )));
            }
            let awaited = crate::deploy::Awaited::from_input(
                &settings.deployment_environment,
                settings.project.as_deref(),
            );
            if !crate::deploy::is_awaited(environment, &awaited) {
                return Ok(Plan::Nothing(format!(
                    "the deployment is to `{}`, not to {} (deployment-environment)",
                    crate::untrusted::excerpt(environment),
                    match &awaited {
                        crate::deploy::Awaited::Named(name) => format!("`{name}`"),
                        crate::deploy::Awaited::Auto { .. } => awaited.describe(),
                    }
                )));
            }
            let compare = settings.with_base(sha.clone()).unwrap_or_else(|| Compare {
                base: Base::PreviousDeployment {
                    environment: environment.clone(),
                    deployment_id: *deployment_id,
                },
                head: sha.clone(),
            });
            Ok(settings.work(Some(compare), url.clone()))
        }
        Trigger::Other(_) | Trigger::Local => {
            let compare = settings.with_base(settings.explicit_head());
            if compare.is_none() && settings.images.is_empty() {
                return Err(EventError::NothingToCompare {
                    what: match trigger {
                        Trigger::Other(name) => format!("on a `{}` event", one_line(name)),
                        _ => "outside GitHub Actions".to_string(),
                    },
                    inside_actions: matches!(trigger, Trigger::Other(_)),
                });
            }
            Ok(settings.work(compare, None))
        }
    }
}

fn plan_push(
    settings: &Settings,
    git_ref: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Plan {
    let default_head = after
        .map(str::to_string)
        .unwrap_or_else(|| settings.explicit_head());
    if let Some(compare) = settings.with_base(default_head) {
        return settings.work(Some(compare), None);
    }
    if git_ref.starts_with("refs/tags/") {
        return Plan::Nothing(format!(
            "`{}` is a tag push: tags do not change what is deployed",
            one_line(git_ref)
        ));
    }
    let Some(after) = after else {
        return Plan::Nothing(format!(
            "`{}` was deleted: nothing was deployed",
            one_line(git_ref)
        ));
    };
    let base = match before {
        Some(before) => Base::Commit(before.to_string()),
        None => Base::FirstParent,
    };
    let compare = Compare {
        base,
        head: settings.head.clone().unwrap_or_else(|| after.to_string()),
    };
    settings.work(Some(compare), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn payload(json: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(json.as_bytes()).expect("write");
        file
    }

    /// The settings of a run outside Actions with these inputs.
    fn config(flags: &[&str]) -> Settings {
        let mut settings = Settings {
            deployment_environment: "Production".into(),
            ..Settings::default()
        };
        for pair in flags.chunks(2) {
            match pair {
                ["--base", base] => settings.base = Some(base.to_string()),
                ["--images", image] => settings.images.push(image.to_string()),
                other => panic!("no such input in these tests: {other:?}"),
            }
        }
        settings
    }

    const A: &str = "1111111111111111111111111111111111111111";
    const ZERO: &str = "0000000000000000000000000000000000000000";
    const B: &str = "2222222222222222222222222222222222222222";

    fn push(before: &str, after: &str, git_ref: &str) -> Trigger {
        let file = payload(&format!(
            r#"{{"ref":"{git_ref}","before":"{before}","after":"{after}","forced":false,"repository":{{"full_name":"o/r"}}}}"#
        ));
        load(Some("push"), Some(file.path())).expect("valid push")
    }

    #[test]
    fn a_push_compares_before_with_after() {
        let trigger = push(A, B, "refs/heads/main");
        let plan = plan(&trigger, &config(&[])).expect("plan");
        assert_eq!(
            plan,
            Plan::Work {
                compare: Some(Compare {
                    base: Base::Commit(A.into()),
                    head: B.into()
                }),
                images: vec![],
                deployment_url: None
            }
        );
    }

    #[test]
    fn new_branch_uses_the_first_parent_and_deletion_and_tags_do_nothing() {
        let new_branch = plan(&push(ZERO, B, "refs/heads/x"), &config(&[])).expect("plan");
        assert!(matches!(
            new_branch,
            Plan::Work {
                compare: Some(Compare {
                    base: Base::FirstParent,
                    ..
                }),
                ..
            }
        ));
        let deleted = plan(&push(A, ZERO, "refs/heads/x"), &config(&[])).expect("plan");
        assert!(matches!(deleted, Plan::Nothing(reason) if reason.contains("deleted")));
        let tag = plan(&push(ZERO, B, "refs/tags/v1"), &config(&[])).expect("plan");
        assert!(matches!(tag, Plan::Nothing(reason) if reason.contains("tag")));
    }

    #[test]
    fn inputs_override_the_event() {
        let trigger = push(A, B, "refs/heads/main");
        let plan = plan(
            &trigger,
            &config(&["--base", "HEAD~3", "--images", "/x.png"]),
        )
        .expect("plan");
        assert_eq!(
            plan,
            Plan::Work {
                compare: Some(Compare {
                    base: Base::Commit("HEAD~3".into()),
                    head: B.into()
                }),
                images: vec!["/x.png".into()],
                deployment_url: None
            }
        );
    }

    #[test]
    fn manual_runs_need_images_or_base() {
        let trigger = Trigger::Other("workflow_dispatch".into());
        let error = plan(&trigger, &config(&[])).expect_err("nothing to do");
        assert!(error.help().contains("`images`"));
        let images = plan(&trigger, &config(&["--images", "/a.png"])).expect("plan");
        assert!(matches!(images, Plan::Work { compare: None, .. }));
        let error = plan(&Trigger::Local, &config(&[])).expect_err("nothing to do");
        assert!(error.help().contains("--base"));
    }

    #[test]
    fn broken_payloads_are_errors_that_name_the_file() {
        let not_json = payload("{not json");
        let error = load(Some("push"), Some(not_json.path())).expect_err("bad json");
        assert!(error.to_string().contains("not valid JSON"));
        let wrong = payload(r#"{"ref":"refs/heads/main","before":"x","after":"y"}"#);
        let error = load(Some("push"), Some(wrong.path())).expect_err("bad shas");
        assert!(error.to_string().contains("`before`"), "{error}");
        let missing = payload(r#"{"ref":"refs/heads/main"}"#);
        assert!(load(Some("push"), Some(missing.path())).is_err());
        let array = payload("[]");
        assert!(load(Some("push"), Some(array.path())).is_err());
        let unreadable = load(Some("push"), Some(Path::new("/nonexistent/event.json")));
        assert!(
            matches!(&unreadable, Err(EventError::Payload(e)) if e.to_string().contains("could not be read")),
            "{unreadable:?}"
        );
        assert!(matches!(
            load(Some("push"), None),
            Err(EventError::NoPayload(_))
        ));
    }

    #[test]
    fn deployment_status_runs_only_for_success_in_the_environment() {
        let event = |state: &str, env: &str| {
            let file = payload(&format!(
                r#"{{"deployment_status":{{"state":"{state}","environment":"{env}","target_url":"https://x.vercel.app"}},"deployment":{{"id":7,"sha":"{B}","environment":"{env}"}}}}"#
            ));
            load(Some("deployment_status"), Some(file.path())).expect("valid")
        };
        let ok = plan(&event("success", "Production"), &config(&[])).expect("plan");
        assert_eq!(
            ok,
            Plan::Work {
                compare: Some(Compare {
                    base: Base::PreviousDeployment {
                        environment: "Production".into(),
                        deployment_id: 7
                    },
                    head: B.into()
                }),
                images: vec![],
                deployment_url: Some("https://x.vercel.app".into())
            }
        );
        assert!(matches!(
            plan(&event("pending", "Production"), &config(&[])),
            Ok(Plan::Nothing(_))
        ));
        assert!(matches!(
            plan(&event("success", "Preview"), &config(&[])),
            Ok(Plan::Nothing(_))
        ));
    }
}
