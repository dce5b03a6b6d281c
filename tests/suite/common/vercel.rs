//! A stand-in for Vercel's edge-cache endpoints that validates every request
//! as the real endpoint's schema says (`vercel-edge-cache.openapi.yaml`):
//! POST, bearer token, `projectIdOrName`, a JSON object with `srcImages` of 1
//! to 8 strings of at most 8192 characters and nothing else (plus
//! `revalidationDeadlineSeconds` on the delete endpoint). Valid requests are
//! then answered by a script (200 by default); invalid ones get 400 and are
//! recorded as invalid so that tests can insist there were none.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const INVALIDATE: &str = "/v1/edge-cache/invalidate-by-src-images";
pub const DELETE: &str = "/v1/edge-cache/dangerously-delete-by-src-images";

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub authorization: Option<String>,
    pub body: Value,
    pub images: Vec<String>,
    pub at: Instant,
    /// Why the request broke the schema, if it did.
    pub invalid: Option<String>,
}

/// Decides the answer to a valid request: `(request, index of this request
/// among all valid ones, how many times these exact images were sent before)`.
pub type Script = Arc<dyn Fn(&Received, usize, usize) -> ResponseTemplate + Send + Sync>;

/// Told about every valid request before it is answered: how the fake site
/// (`site.rs`) learns of an invalidation.
pub type Hook = Arc<dyn Fn(&Received) + Send + Sync>;

struct Responder {
    token: String,
    script: Script,
    hook: Option<Hook>,
    log: Arc<Mutex<Vec<Received>>>,
}

pub fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"code": code, "message": message}}))
}

/// Vercel's answer to a token it does not know (mistyped, expired or
/// revoked), as its API gives it: a 403 whose error says `invalidToken`.
pub fn invalid_token() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(json!({
        "error": {"code": "forbidden", "message": "Not authorized", "invalidToken": true}
    }))
}

/// Vercel's 403 for a valid token without access to the team that owns
/// the project.
pub fn no_access(team: &str) -> ResponseTemplate {
    error(
        403,
        "forbidden",
        &format!(
            "Not authorized: Trying to access resource under scope \"{team}\". You must re-authenticate to this scope or use a token with access to this scope."
        ),
    )
}

fn validate(
    path: &str,
    query: &BTreeMap<String, String>,
    body: &Value,
) -> Result<Vec<String>, String> {
    if path != INVALIDATE && path != DELETE {
        return Err(format!("unknown path {path}"));
    }
    for key in query.keys() {
        if !["projectIdOrName", "teamId", "slug"].contains(&key.as_str()) {
            return Err(format!("unknown query parameter {key}"));
        }
    }
    if query.get("projectIdOrName").is_none_or(|p| p.is_empty()) {
        return Err("projectIdOrName is required".into());
    }
    let object = body.as_object().ok_or("body is not an object")?;
    for key in object.keys() {
        let allowed =
            key == "srcImages" || (path == DELETE && key == "revalidationDeadlineSeconds");
        if !allowed {
            return Err(format!("additional property {key}"));
        }
    }
    if let Some(deadline) = object.get("revalidationDeadlineSeconds") {
        let ok = deadline.as_u64().is_some_and(|d| d <= 31_536_000);
        if !ok {
            return Err("revalidationDeadlineSeconds out of range".into());
        }
    }
    let images = object
        .get("srcImages")
        .and_then(Value::as_array)
        .ok_or("srcImages is required and must be an array")?;
    if images.is_empty() || images.len() > 8 {
        return Err(format!(
            "srcImages has {} items; 1 to 8 allowed",
            images.len()
        ));
    }
    images
        .iter()
        .map(|image| match image.as_str() {
            Some(s) if s.chars().count() <= 8192 => Ok(s.to_string()),
            Some(_) => Err("srcImages item longer than 8192".to_string()),
            None => Err("srcImages item is not a string".to_string()),
        })
        .collect()
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_string();
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let mut received = Received {
            path: path.clone(),
            query: query.clone(),
            authorization: authorization.clone(),
            body: body.clone(),
            images: Vec::new(),
            at: Instant::now(),
            invalid: None,
        };
        if request.method.as_str() != "POST" {
            received.invalid = Some(format!("method {}", request.method));
            self.log.lock().expect("log").push(received);
            return error(405, "method_not_allowed", "Method not allowed");
        }
        if authorization.as_deref() != Some(&format!("Bearer {}", self.token)) {
            received.invalid = Some("bad authorization".into());
            self.log.lock().expect("log").push(received);
            return invalid_token();
        }
        match validate(&path, &query, &body) {
            Err(problem) => {
                received.invalid = Some(problem.clone());
                self.log.lock().expect("log").push(received);
                error(400, "bad_request", &problem)
            }
            Ok(images) => {
                received.images = images;
                let mut log = self.log.lock().expect("log");
                let index = log.iter().filter(|r| r.invalid.is_none()).count();
                let repeats = log
                    .iter()
                    .filter(|r| r.invalid.is_none() && r.images == received.images)
                    .count();
                log.push(received.clone());
                drop(log);
                if let Some(hook) = &self.hook {
                    hook(&received);
                }
                (self.script)(&received, index, repeats)
            }
        }
    }
}

pub struct FakeVercel {
    pub server: MockServer,
    log: Arc<Mutex<Vec<Received>>>,
}

impl FakeVercel {
    /// Answers 200 to every valid request.
    pub async fn start(token: &str) -> Self {
        Self::scripted(token, Arc::new(|_, _, _| ResponseTemplate::new(200))).await
    }

    pub async fn scripted(token: &str, script: Script) -> Self {
        Self::hooked(token, script, None).await
    }

    /// Answers 200 to every valid request and tells `hook` about it.
    pub async fn observed(token: &str, hook: Hook) -> Self {
        Self::hooked(
            token,
            Arc::new(|_, _, _| ResponseTemplate::new(200)),
            Some(hook),
        )
        .await
    }

    async fn hooked(token: &str, script: Script, hook: Option<Hook>) -> Self {
        let server = MockServer::builder().start().await;
        let log = Arc::new(Mutex::new(Vec::new()));
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder {
                token: token.to_string(),
                script,
                hook,
                log: log.clone(),
            })
            .mount(&server)
            .await;
        Self { server, log }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// Every request received, valid or not, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    /// The valid requests, after asserting there was no invalid one.
    pub fn valid(&self) -> Vec<Received> {
        let all = self.received();
        let invalid: Vec<_> = all.iter().filter_map(|r| r.invalid.clone()).collect();
        assert!(
            invalid.is_empty(),
            "requests that break the schema: {invalid:?}"
        );
        all
    }

    /// Every image sent in a valid request, sorted.
    pub fn images(&self) -> Vec<String> {
        let mut images: Vec<String> = self.valid().into_iter().flat_map(|r| r.images).collect();
        images.sort();
        images
    }
}
