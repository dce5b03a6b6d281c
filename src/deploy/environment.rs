//! Which environment a wait is in: `deployment-environment` as given, or,
//! under `auto`, the production environment Vercel's Git integration
//! reports the commit's deployments to (`Production`, or `Production –
//! {project}` when several projects deploy from one repository).

use super::{Deployment, MAX_ENVIRONMENT_CHARS};

/// The environment a wait is for: `deployment-environment` as given, and
/// the project, for `auto` in a repository that deploys several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Awaited {
    /// The production environment the commit's deployments are in.
    Auto {
        project: Option<String>,
    },
    Named(String),
}

impl Awaited {
    /// From the input: `auto` (any case), or a name.
    pub fn from_input(value: &str, project: Option<&str>) -> Self {
        if value.eq_ignore_ascii_case("auto") {
            Awaited::Auto {
                project: project.map(str::to_string),
            }
        } else {
            Awaited::Named(value.to_string())
        }
    }

    /// For the log: the name, or what `auto` looks for.
    pub fn describe(&self) -> String {
        match self {
            Awaited::Named(name) => name.clone(),
            Awaited::Auto { .. } => "its production environment (auto)".to_string(),
        }
    }
}

/// Whether `name` is a production environment as Vercel's Git integration
/// names them: `Production`, or `Production – {project}` (an en dash) when
/// several projects deploy from one repository. `Some("")` for the first,
/// `Some(project)` for the second.
pub fn production_project(name: &str) -> Option<&str> {
    if name.eq_ignore_ascii_case("production") {
        return Some("");
    }
    let rest = name
        .get(..10)
        .filter(|p| p.eq_ignore_ascii_case("production"))?;
    let rest = &name[rest.len()..];
    rest.strip_prefix(" – ")
        .or_else(|| rest.strip_prefix(" - "))
        .filter(|project| !project.is_empty())
}

/// Whether a `deployment_status` event's environment is the awaited one.
pub fn is_awaited(environment: &str, awaited: &Awaited) -> bool {
    match awaited {
        Awaited::Named(name) => environment.eq_ignore_ascii_case(name),
        Awaited::Auto { project } => match production_project(environment) {
            Some("") => true,
            Some(named) => project
                .as_deref()
                .is_none_or(|p| named.eq_ignore_ascii_case(p)),
            None => false,
        },
    }
}

/// Untrusted text from GitHub, on one line and at most `max` characters.
pub(super) fn bounded(text: &str, max: usize) -> String {
    let line = crate::untrusted::one_line(text.trim());
    if line.chars().count() <= max {
        return line.into_owned();
    }
    let kept: String = line.chars().take(max).collect();
    format!("{kept}...")
}

/// What the repository's newest deployments say about environments.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Survey {
    /// The environments the awaited commit's deployments are in.
    pub(super) own: Vec<String>,
    /// The production environments of the repository's deployments.
    pub(super) production: Vec<String>,
}

impl Survey {
    pub(super) fn of(sha: &str, listed: &[Deployment]) -> Self {
        let mut survey = Survey::default();
        for deployment in listed {
            let Some(environment) = &deployment.environment else {
                continue;
            };
            let environment = bounded(environment, MAX_ENVIRONMENT_CHARS);
            if deployment.sha.eq_ignore_ascii_case(sha) && !survey.own.contains(&environment) {
                survey.own.push(environment.clone());
            }
            if production_project(&environment).is_some()
                && !survey.production.contains(&environment)
            {
                survey.production.push(environment);
            }
        }
        survey
    }

    /// The production environment to wait in: the project's own when the
    /// repository has several, the only one otherwise; `Ok(None)` while
    /// none is known; `Err` with them when there are several and none is
    /// named for `project`.
    pub(super) fn production(&self, project: Option<&str>) -> Result<Option<String>, Vec<String>> {
        let named = |p: &str| {
            self.production.iter().find(|name| {
                production_project(name).is_some_and(|n| !n.is_empty() && n.eq_ignore_ascii_case(p))
            })
        };
        if let Some(found) = project.and_then(named) {
            return Ok(Some(found.clone()));
        }
        match self.production.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            several => Err(several.to_vec()),
        }
    }
}
