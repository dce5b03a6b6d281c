//! A stand-in for the GitHub REST API, answering from a real git
//! repository: git trees (recursive or not, truncated past a configurable
//! number of entries as GitHub does past ~100,000), git commits, commits by
//! ref, file contents and folder listings, comparisons (`ahead`, `behind`, `identical`, `diverged`), and a
//! scripted Deployments API, paginated like GitHub's (`per_page`, `page`).
//! Every request is recorded.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const OWNER_REPO: &str = "acme/site";

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub at: Instant,
}

/// A deployment and the statuses it goes through, one per poll of its
/// statuses (the last one stays).
#[derive(Clone, Debug)]
pub struct FakeDeployment {
    pub id: u64,
    pub sha: String,
    pub environment: String,
    /// Successive answers for the newest status: `[]` = no status yet.
    pub states: Vec<&'static str>,
    /// Every status this deployment ever had, newest first, for
    /// "previous successful deployment" lookups; when empty, the `states`
    /// served so far, newest first.
    pub history: Vec<&'static str>,
    /// Left out of the first this many deployments listings: Vercel creates
    /// it later (a push that arrives while the run is waiting).
    pub listed_after: usize,
}

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    deployments: Vec<FakeDeployment>,
    /// Polls of each deployment's statuses so far.
    status_polls: std::collections::HashMap<u64, usize>,
    /// Deployments listings before the first deployment appears.
    hidden_listings: usize,
    /// Deployments listings answered so far.
    listings: usize,
    /// `environment_url` of a deployment's statuses, when not the usual
    /// `https://site-{id}.vercel.app`.
    status_urls: std::collections::HashMap<u64, String>,
    /// Answer every deployments request with this status instead.
    deployments_status: Option<u16>,
    /// Answer requests with this status instead (for 401/403/5xx tests):
    /// (status, how many, after how many requests).
    status_override: Option<(u16, usize)>,
    override_after: usize,
    /// After this many requests, every request is refused as GitHub
    /// refuses a token whose rate limit is used up, until this epoch second.
    rate_limited: Option<(usize, u64)>,
}

#[derive(Clone)]
struct Responder {
    repo: PathBuf,
    token: String,
    truncate_after: usize,
    state: Arc<Mutex<State>>,
}

pub struct FakeGitHub {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

fn git(repo: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let output = super::git::git_command(repo).args(args).output().ok()?;
    output.status.success().then_some(output.stdout)
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest"
    }))
}

/// Base64 in lines of 60 characters, as GitHub's contents API sends it.
fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    let chars: Vec<char> = out.chars().collect();
    chars
        .chunks(60)
        .map(|line| line.iter().collect::<String>() + "\n")
        .collect()
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl Responder {
    fn tree(&self, sha: &str, recursive: bool) -> ResponseTemplate {
        let Some(tree) = git(
            &self.repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{sha}^{{tree}}"),
            ],
        ) else {
            return not_found();
        };
        let tree = String::from_utf8_lossy(&tree).trim().to_string();
        let mut args = vec!["ls-tree", "-z", "--full-tree"];
        if recursive {
            args.extend(["-r", "-t"]);
        }
        args.push(&tree);
        let raw = git(&self.repo, &args).unwrap_or_default();
        let mut items = Vec::new();
        for entry in raw.split(|&b| b == 0).filter(|e| !e.is_empty()) {
            let text = String::from_utf8_lossy(entry);
            let (meta, path) = text.split_once('\t').expect("ls-tree entry");
            let mut parts = meta.split(' ');
            let (mode, kind, oid) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            items.push(json!({
                "path": path,
                "mode": mode,
                "type": kind,
                "sha": oid,
                "url": format!("https://api.github.invalid/{oid}")
            }));
        }
        let truncated = items.len() > self.truncate_after;
        items.truncate(self.truncate_after);
        ResponseTemplate::new(200).set_body_json(json!({
            "sha": tree,
            "url": "https://api.github.invalid/tree",
            "tree": items,
            "truncated": truncated
        }))
    }

    /// The contents API: a file (base64, as GitHub sends it) or a folder's
    /// entries, at `ref`.
    fn contents(&self, path: &str, query: &str) -> ResponseTemplate {
        let reference = query
            .split('&')
            .find_map(|p| p.strip_prefix("ref="))
            .unwrap_or("HEAD");
        let path = path.trim_matches('/');
        let object = format!("{reference}:{path}");
        let kind = git(&self.repo, &["cat-file", "-t", &object]).unwrap_or_default();
        match String::from_utf8_lossy(&kind).trim() {
            "blob" => self.file(reference, path),
            "tree" => {
                let raw = git(&self.repo, &["ls-tree", "-z", &object]).unwrap_or_default();
                let entries: Vec<Value> = raw
                    .split(|&b| b == 0)
                    .filter(|e| !e.is_empty())
                    .filter_map(|entry| {
                        let text = String::from_utf8_lossy(entry).into_owned();
                        let (meta, name) = text.split_once('\t')?;
                        let kind = match meta.split(' ').nth(1)? {
                            "blob" if meta.starts_with("120000") => "symlink",
                            "blob" => "file",
                            "tree" => "dir",
                            other => other,
                        };
                        let full = if path.is_empty() {
                            name.to_string()
                        } else {
                            format!("{path}/{name}")
                        };
                        Some(json!({"name": name, "path": full, "type": kind}))
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(entries))
            }
            _ => not_found(),
        }
    }

    /// A file as the contents API sends it: base64 up to 1 MB; over it,
    /// `"encoding": "none"` and no content (the Git blobs API has it). A
    /// symbolic link to a file of the repository is answered with that
    /// file; any other link with `"type": "symlink"` and its target.
    fn file(&self, reference: &str, path: &str) -> ResponseTemplate {
        let mut at = path.to_string();
        for _ in 0..8 {
            let listed = git(&self.repo, &["ls-tree", reference, "--", &at]).unwrap_or_default();
            if !listed.starts_with(b"120000") {
                break;
            }
            let target = git(
                &self.repo,
                &["cat-file", "blob", &format!("{reference}:{at}")],
            )
            .unwrap_or_default();
            let target = String::from_utf8_lossy(&target).into_owned();
            let mut parts: Vec<&str> = at.split('/').collect();
            parts.pop();
            let mut inside = !target.starts_with('/');
            for part in target.split('/') {
                match part {
                    "" | "." => {}
                    ".." => inside &= parts.pop().is_some(),
                    part => parts.push(part),
                }
            }
            let next = parts.join("/");
            let kind = git(
                &self.repo,
                &["cat-file", "-t", &format!("{reference}:{next}")],
            )
            .unwrap_or_default();
            if !inside || String::from_utf8_lossy(&kind).trim() != "blob" {
                return ResponseTemplate::new(200).set_body_json(json!({
                    "type": "symlink",
                    "target": target,
                    "path": path,
                    "size": target.len(),
                    "sha": "0".repeat(40),
                }));
            }
            at = next;
        }
        let object = format!("{reference}:{at}");
        let bytes = git(&self.repo, &["cat-file", "blob", &object]).unwrap_or_default();
        let sha = git(&self.repo, &["rev-parse", &object]).unwrap_or_default();
        let sha = String::from_utf8_lossy(&sha).trim().to_string();
        if bytes.len() > 1_000_000 {
            return ResponseTemplate::new(200).set_body_json(json!({
                "type": "file",
                "path": at,
                "sha": sha,
                "size": bytes.len(),
                "encoding": "none",
                "content": "",
            }));
        }
        ResponseTemplate::new(200).set_body_json(json!({
            "type": "file",
            "path": at,
            "sha": sha,
            "size": bytes.len(),
            "encoding": "base64",
            "content": base64_lines(&bytes),
        }))
    }

    /// The Git blobs API: any blob, base64.
    fn blob(&self, sha: &str) -> ResponseTemplate {
        match git(&self.repo, &["cat-file", "blob", sha]) {
            Some(bytes) => ResponseTemplate::new(200).set_body_json(json!({
                "sha": sha,
                "size": bytes.len(),
                "encoding": "base64",
                "content": base64_lines(&bytes),
            })),
            None => not_found(),
        }
    }

    fn git_commit(&self, sha: &str) -> ResponseTemplate {
        let Some(raw) = git(&self.repo, &["cat-file", "commit", sha]) else {
            return not_found();
        };
        let text = String::from_utf8_lossy(&raw);
        let mut tree = String::new();
        let mut parents = Vec::new();
        for line in text.lines().take_while(|l| !l.is_empty()) {
            if let Some(t) = line.strip_prefix("tree ") {
                tree = t.to_string();
            }
            if let Some(p) = line.strip_prefix("parent ") {
                parents.push(json!({"sha": p}));
            }
        }
        ResponseTemplate::new(200).set_body_json(json!({
            "sha": sha,
            "tree": {"sha": tree},
            "parents": parents,
            "message": "commit"
        }))
    }

    fn commit_by_ref(&self, reference: &str) -> ResponseTemplate {
        let reference = percent_decode(reference);
        match git(
            &self.repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{reference}^{{commit}}"),
            ],
        ) {
            Some(sha) => ResponseTemplate::new(200)
                .set_body_json(json!({"sha": String::from_utf8_lossy(&sha).trim(), "files": []})),
            None => ResponseTemplate::new(422)
                .set_body_json(json!({"message": format!("No commit found for SHA: {reference}")})),
        }
    }

    /// `GET /compare/{base}...{head}`: where `head` stands from `base`.
    fn compare(&self, range: &str) -> ResponseTemplate {
        let range = percent_decode(range);
        let Some((base, head)) = range.split_once("...") else {
            return not_found();
        };
        let commit = |rev: &str| {
            git(
                &self.repo,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{rev}^{{commit}}"),
                ],
            )
            .map(|sha| String::from_utf8_lossy(&sha).trim().to_string())
        };
        let (Some(base), Some(head)) = (commit(base), commit(head)) else {
            return not_found();
        };
        let contains = |ancestor: &str, descendant: &str| {
            git(
                &self.repo,
                &["merge-base", "--is-ancestor", ancestor, descendant],
            )
            .is_some()
        };
        let status = if base == head {
            "identical"
        } else if contains(&base, &head) {
            "ahead"
        } else if contains(&head, &base) {
            "behind"
        } else {
            "diverged"
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "status": status,
            "base_commit": {"sha": base},
            "commits": [],
            "files": []
        }))
    }

    fn deployments(&self, query: &str) -> ResponseTemplate {
        let mut state = self.state.lock().expect("state");
        if let Some(status) = state.deployments_status {
            return ResponseTemplate::new(status)
                .set_body_json(json!({"message": "Resource not accessible by integration"}));
        }
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
        // The listings of one environment are the polls, and stand for the
        // passing of time: a listing of every environment (how `auto`
        // finds the environment) comes just before a poll and sees what
        // that poll will see.
        let poll = params.contains_key("environment");
        if state.hidden_listings > 0 {
            if poll {
                state.hidden_listings -= 1;
            }
            return ResponseTemplate::new(200).set_body_json(json!([]));
        }
        let listing = state.listings;
        if poll {
            state.listings += 1;
        }
        let mut list: Vec<&FakeDeployment> = state
            .deployments
            .iter()
            .filter(|d| listing >= d.listed_after)
            .filter(|d| params.get("sha").is_none_or(|s| *s == d.sha))
            .filter(|d| {
                params
                    .get("environment")
                    .is_none_or(|e| *e == d.environment)
            })
            .collect();
        list.sort_by_key(|d| std::cmp::Reverse(d.id));
        let number = |key: &str, default: usize| {
            params
                .get(key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let per_page = number("per_page", 30).min(100);
        let page = number("page", 1).max(1);
        let body: Vec<Value> = list
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|d| json!({"id": d.id, "sha": d.sha, "ref": "main", "environment": d.environment, "task": "deploy"}))
            .collect();
        ResponseTemplate::new(200).set_body_json(body)
    }

    fn statuses(&self, id: u64, query: &str) -> ResponseTemplate {
        let mut state = self.state.lock().expect("state");
        if let Some(status) = state.deployments_status {
            return ResponseTemplate::new(status)
                .set_body_json(json!({"message": "Resource not accessible by integration"}));
        }
        let Some(deployment) = state.deployments.iter().find(|d| d.id == id).cloned() else {
            return not_found();
        };
        let url = state
            .status_urls
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("https://site-{id}.vercel.app"));
        let newest_only = url::form_urlencoded::parse(query.as_bytes())
            .any(|(key, value)| key == "per_page" && value == "1");
        if newest_only {
            let polls = state.status_polls.entry(id).or_default();
            let index = (*polls).min(deployment.states.len().saturating_sub(1));
            *polls += 1;
            let body = match deployment.states.get(index) {
                None => json!([]),
                Some(state) => json!([{"state": state, "environment_url": url, "target_url": url}]),
            };
            return ResponseTemplate::new(200).set_body_json(body);
        }
        let history: Vec<&str> = if deployment.history.is_empty() {
            let polls = state.status_polls.get(&id).copied().unwrap_or_default();
            let shown = polls.max(1).min(deployment.states.len());
            deployment.states[..shown].iter().rev().copied().collect()
        } else {
            deployment.history.clone()
        };
        let body: Vec<Value> = history
            .iter()
            .map(|s| json!({"state": s, "environment_url": url}))
            .collect();
        ResponseTemplate::new(200).set_body_json(body)
    }
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_string();
        let query = request.url.query().unwrap_or_default().to_string();
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        {
            let mut state = self.state.lock().expect("state");
            state.seen.push(Seen {
                path: path.clone(),
                query: query.clone(),
                authorization: authorization.clone(),
                at: Instant::now(),
            });
            let seen = state.seen.len();
            let after = state.override_after;
            if let Some((after, reset)) = state.rate_limited
                && seen > after
            {
                // GitHub's answer to a token whose limit is used up.
                return ResponseTemplate::new(403)
                    .insert_header("x-ratelimit-limit", "1000")
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-used", "1000")
                    .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                    .insert_header("x-ratelimit-resource", "core")
                    .set_body_json(json!({
                        "message": "API rate limit exceeded for installation ID 4242.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                        "status": "403"
                    }));
            }
            if let Some((status, remaining)) = state.status_override.as_mut()
                && *remaining > 0
                && seen > after
            {
                *remaining -= 1;
                return ResponseTemplate::new(*status)
                    .set_body_json(json!({"message": "scripted failure"}));
            }
        }
        if authorization.as_deref() != Some(&format!("Bearer {}", self.token)) {
            return ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"}));
        }
        let prefix = format!("/repos/{OWNER_REPO}/");
        let Some(rest) = path.strip_prefix(&prefix) else {
            return not_found();
        };
        let recursive = query.split('&').any(|p| p == "recursive=1");
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            ["git", "trees", sha] => self.tree(sha, recursive),
            ["git", "commits", sha] => self.git_commit(sha),
            ["git", "blobs", sha] => self.blob(sha),
            ["contents", path @ ..] => self.contents(&percent_decode(&path.join("/")), &query),
            ["commits", reference] => self.commit_by_ref(reference),
            ["compare", range] => self.compare(range),
            ["deployments"] => self.deployments(&query),
            ["deployments", id, "statuses"] => match id.parse() {
                Ok(id) => self.statuses(id, &query),
                Err(_) => not_found(),
            },
            _ => not_found(),
        }
    }
}

impl FakeGitHub {
    /// Serves `repo` (at any path prefix: `/api/v3` works like GHES).
    pub async fn start(repo: &std::path::Path, token: &str) -> Self {
        Self::start_with_limit(repo, token, 100_000).await
    }

    /// As [`FakeGitHub::start`], truncating tree listings past `limit` entries.
    pub async fn start_with_limit(repo: &std::path::Path, token: &str, limit: usize) -> Self {
        let server = MockServer::builder().start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Self::mount(&server, "", repo, token, limit, &state).await;
        Self { server, state }
    }

    /// Like GitHub Enterprise Server: the API under `/api/v3`.
    pub async fn start_enterprise(repo: &std::path::Path, token: &str) -> Self {
        let server = MockServer::builder().start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Self::mount(&server, "/api/v3", repo, token, 100_000, &state).await;
        Self { server, state }
    }

    async fn mount(
        server: &MockServer,
        prefix: &'static str,
        repo: &std::path::Path,
        token: &str,
        limit: usize,
        state: &Arc<Mutex<State>>,
    ) {
        let responder = Responder {
            repo: repo.to_path_buf(),
            token: token.to_string(),
            truncate_after: limit,
            state: state.clone(),
        };
        let strip = PrefixStripped {
            prefix,
            inner: responder,
        };
        Mock::given(wiremock::matchers::method("GET"))
            .respond_with(strip)
            .mount(server)
            .await;
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("state").seen.clone()
    }

    pub fn add_deployment(&self, deployment: FakeDeployment) {
        self.state
            .lock()
            .expect("state")
            .deployments
            .push(deployment);
    }

    /// The first `n` deployments listings come back empty (Vercel has not
    /// created the deployment yet).
    pub fn hide_deployments_for(&self, n: usize) {
        self.state.lock().expect("state").hidden_listings = n;
    }

    /// Every status of deployment `id` reports `url` as its URL.
    pub fn set_status_url(&self, id: u64, url: &str) {
        self.state
            .lock()
            .expect("state")
            .status_urls
            .insert(id, url.to_string());
    }

    pub fn deny_deployments(&self, status: u16) {
        self.state.lock().expect("state").deployments_status = Some(status);
    }

    /// The next `count` requests get `status`, whatever they ask.
    pub fn fail_next(&self, status: u16, count: usize) {
        self.fail_next_after(0, status, count);
    }

    /// After `served` requests are answered normally, the next `count`
    /// get `status`.
    /// After `served` requests are answered normally, the token's rate
    /// limit is used up until `reset` (epoch seconds).
    pub fn rate_limit_after(&self, served: usize, reset: u64) {
        self.state.lock().expect("state").rate_limited = Some((served, reset));
    }

    pub fn fail_next_after(&self, served: usize, status: u16, count: usize) {
        let mut state = self.state.lock().expect("state");
        state.status_override = Some((status, count));
        state.override_after = served;
    }
}

/// Removes a path prefix before answering, or answers 404 without it.
struct PrefixStripped {
    prefix: &'static str,
    inner: Responder,
}

impl Respond for PrefixStripped {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Some(rest) = request.url.path().strip_prefix(self.prefix) else {
            return not_found();
        };
        let mut inner = request.clone();
        inner.url.set_path(rest);
        self.inner.respond(&inner)
    }
}
