//! A stand-in for a live site's image optimizer behind Vercel's cache,
//! sharing its state with the fake edge-cache API (`vercel.rs`, through
//! [`FakeSite::edge_cache_hook`]).
//!
//! Variants are keyed by `url`, width, quality and format (negotiated from
//! `Accept` as the optimizer does: the first of the site's formats the header
//! names, else the original). A first request answers `MISS` and caches the
//! variant; later ones `HIT` with the same ETag. An invalidation marks the
//! source's variants stale: a stale variant answers `STALE` with the old
//! ETag, and after `revalidate_after` further requests it is fresh again,
//! with the ETag of the file's current version (or gone, with the file).
//! Counting requests instead of time keeps every test free of races. A path
//! the site does not have answers 404, a query the optimizer does not allow
//! 400, and with `bypass` set, a request without that
//! `x-vercel-protection-bypass` 401. Every request is recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::vercel::{DELETE, Hook, INVALIDATE, Received};

/// What the site allows and how it behaves.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    /// The optimizer's path: `/_next/image`, `/docs/_next/image`,
    /// `/_vercel/image`.
    pub optimizer: String,
    pub widths: Vec<u32>,
    pub qualities: Vec<u32>,
    /// In order of preference.
    pub formats: Vec<String>,
    /// Deployment Protection: requests without this bypass get 401.
    pub bypass: Option<String>,
    /// Requests after the first `STALE` that still answer `STALE`.
    pub revalidate_after: usize,
    /// How long every answer takes (the benchmark's fixed latency).
    pub latency: std::time::Duration,
}

impl Default for SiteConfig {
    /// Next.js's defaults at the root, no protection.
    fn default() -> Self {
        Self {
            optimizer: "/_next/image".to_string(),
            widths: vec![
                32, 48, 64, 96, 128, 256, 384, 640, 750, 828, 1080, 1200, 1920, 2048, 3840,
            ],
            qualities: vec![75],
            formats: vec!["image/webp".to_string()],
            bypass: None,
            revalidate_after: 2,
            latency: std::time::Duration::ZERO,
        }
    }
}

/// A variant's cache key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub url: String,
    pub width: u32,
    pub quality: u32,
    /// `image/webp`, or `original`.
    pub format: String,
}

impl Key {
    pub fn new(url: &str, width: u32, quality: u32, format: &str) -> Self {
        Self {
            url: url.to_string(),
            width,
            quality,
            format: format.to_string(),
        }
    }
}

/// One request as the site received it, and its answer.
#[derive(Clone, Debug)]
pub struct SiteRequest {
    pub path: String,
    /// The decoded `url`, `w` and `q` and the negotiated format, when the
    /// request reached the optimizer with a valid query.
    pub key: Option<Key>,
    /// The raw query, as sent.
    pub query: Option<String>,
    pub accept: Option<String>,
    pub bypass: Option<String>,
    pub status: u16,
    pub cache: Option<String>,
    pub etag: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Fresh {
        etag: String,
    },
    /// Answering `STALE` with `etag` for `left` more requests after this one.
    Stale {
        etag: String,
        left: usize,
    },
}

struct State {
    config: SiteConfig,
    /// Public path -> version of its content.
    files: BTreeMap<String, u32>,
    cache: BTreeMap<Key, Entry>,
    log: Vec<SiteRequest>,
    /// Requests still to be answered 503 (with `Retry-After: 0`).
    failing: usize,
}

impl State {
    fn etag(&self, key: &Key) -> String {
        let version = self.files.get(&key.url).copied().unwrap_or(0);
        let mut hasher = DefaultHasher::new();
        (key, version).hash(&mut hasher);
        format!("\"{:016x}\"", hasher.finish())
    }

    fn negotiate(&self, accept: Option<&str>) -> String {
        let listed: Vec<&str> = accept
            .unwrap_or("")
            .split(',')
            .map(|item| item.split(';').next().unwrap_or("").trim())
            .collect();
        listed
            .iter()
            .find(|item| self.config.formats.iter().any(|f| f == *item))
            .map(|item| item.to_string())
            .unwrap_or_else(|| "original".to_string())
    }

    /// The key of a valid optimizer query, or the optimizer's 400 message.
    fn key(&self, query: &BTreeMap<String, String>, accept: Option<&str>) -> Result<Key, String> {
        let url = query.get("url").ok_or("\"url\" parameter is required")?;
        if !url.starts_with('/') || url.starts_with("//") {
            return Err("\"url\" parameter is not allowed".to_string());
        }
        let width: u32 = query
            .get("w")
            .ok_or("\"w\" parameter (width) is required")?
            .parse()
            .map_err(|_| "\"w\" parameter (width) must be an integer")?;
        if !self.config.widths.contains(&width) {
            return Err(format!("\"w\" parameter (width) of {width} is not allowed"));
        }
        let quality: u32 = query
            .get("q")
            .ok_or("\"q\" parameter (quality) is required")?
            .parse()
            .map_err(|_| "\"q\" parameter (quality) must be an integer")?;
        if !self.config.qualities.contains(&quality) {
            return Err(format!(
                "\"q\" parameter (quality) of {quality} is not allowed"
            ));
        }
        Ok(Key::new(url, width, quality, &self.negotiate(accept)))
    }

    fn invalidate(&mut self, sources: &[String]) {
        let left = self.config.revalidate_after;
        for (key, entry) in self.cache.iter_mut() {
            if sources.contains(&key.url)
                && let Entry::Fresh { etag } = entry
            {
                *entry = Entry::Stale {
                    etag: etag.clone(),
                    left,
                };
            }
        }
    }

    fn delete(&mut self, sources: &[String]) {
        self.cache.retain(|key, _| !sources.contains(&key.url));
    }

    /// The cache's answer for `key`: status, `x-vercel-cache`, ETag.
    fn serve(&mut self, key: &Key) -> (u16, Option<&'static str>, Option<String>) {
        match self.cache.get(key).cloned() {
            Some(Entry::Fresh { etag }) => (200, Some("HIT"), Some(etag)),
            Some(Entry::Stale { etag, left }) => {
                if left > 0 {
                    self.cache.insert(
                        key.clone(),
                        Entry::Stale {
                            etag: etag.clone(),
                            left: left - 1,
                        },
                    );
                } else if self.files.contains_key(&key.url) {
                    let fresh = self.etag(key);
                    self.cache.insert(key.clone(), Entry::Fresh { etag: fresh });
                } else {
                    // The source is gone: the next request is a 404.
                    self.cache.remove(key);
                }
                (200, Some("STALE"), Some(etag))
            }
            None if self.files.contains_key(&key.url) => {
                let etag = self.etag(key);
                self.cache
                    .insert(key.clone(), Entry::Fresh { etag: etag.clone() });
                (200, Some("MISS"), Some(etag))
            }
            None => (404, None, None),
        }
    }
}

struct Responder {
    state: Arc<Mutex<State>>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let accept = header("accept");
        let bypass = header("x-vercel-protection-bypass");
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let mut state = self.state.lock().expect("site state");
        let mut record = SiteRequest {
            path: request.url.path().to_string(),
            key: None,
            query: request.url.query().map(str::to_string),
            accept: accept.clone(),
            bypass: bypass.clone(),
            status: 0,
            cache: None,
            etag: None,
        };
        let protected = state
            .config
            .bypass
            .as_ref()
            .is_some_and(|secret| bypass.as_ref() != Some(secret));
        let response = if state.failing > 0 {
            state.failing -= 1;
            record.status = 503;
            ResponseTemplate::new(503).insert_header("retry-after", "0")
        } else if protected {
            record.status = 401;
            ResponseTemplate::new(401)
                .set_body_string("<!doctype html><title>Authentication Required</title>")
        } else if record.path != state.config.optimizer {
            record.status = 404;
            ResponseTemplate::new(404).set_body_string("The page could not be found")
        } else {
            match state.key(&query, accept.as_deref()) {
                Err(message) => {
                    record.status = 400;
                    ResponseTemplate::new(400).set_body_string(message)
                }
                Ok(key) => {
                    let (status, cache, etag) = state.serve(&key);
                    record.key = Some(key);
                    record.status = status;
                    record.cache = cache.map(str::to_string);
                    record.etag = etag.clone();
                    let mut response = ResponseTemplate::new(status);
                    if let Some(cache) = cache {
                        response = response.insert_header("x-vercel-cache", cache);
                    }
                    if let Some(etag) = etag {
                        response = response
                            .insert_header("etag", etag.as_str())
                            .set_body_bytes(vec![0u8; 64]);
                    }
                    response
                }
            }
        };
        let latency = state.config.latency;
        state.log.push(record);
        response.set_delay(latency)
    }
}

pub struct FakeSite {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl FakeSite {
    pub async fn start(config: SiteConfig) -> Self {
        let server = MockServer::builder().start().await;
        let state = Arc::new(Mutex::new(State {
            config,
            files: BTreeMap::new(),
            cache: BTreeMap::new(),
            log: Vec::new(),
            failing: 0,
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder {
                state: state.clone(),
            })
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("site state")
    }

    /// The site serves a file at public path `path` (its first version).
    pub fn put(&self, path: &str) {
        self.state().files.entry(path.to_string()).or_insert(1);
    }

    /// A deployment changed the file: revalidation gives a new ETag.
    pub fn change(&self, path: &str) {
        *self.state().files.entry(path.to_string()).or_insert(0) += 1;
    }

    /// A deployment removed the file.
    pub fn remove(&self, path: &str) {
        self.state().files.remove(path);
    }

    /// Caches a variant as a visitor's request did before the run (not
    /// recorded as a request). Returns its ETag.
    pub fn visit(&self, path: &str, width: u32, quality: u32, format: &str) -> String {
        let mut state = self.state();
        let key = Key::new(path, width, quality, format);
        let etag = state.etag(&key);
        state.cache.insert(key, Entry::Fresh { etag: etag.clone() });
        etag
    }

    /// What Vercel's invalidation does: every cached variant of these
    /// sources becomes stale.
    pub fn invalidate(&self, sources: &[String]) {
        self.state().invalidate(sources);
    }

    /// What the dangerous delete does: the variants are gone.
    pub fn delete(&self, sources: &[String]) {
        self.state().delete(sources);
    }

    /// For `FakeVercel::observed`: each valid invalidation (or deletion)
    /// reaches this site's cache.
    pub fn edge_cache_hook(&self) -> Hook {
        let state = self.state.clone();
        Arc::new(move |received: &Received| {
            let mut state = state.lock().expect("site state");
            if received.path == INVALIDATE {
                state.invalidate(&received.images);
            } else if received.path == DELETE {
                state.delete(&received.images);
            }
        })
    }

    /// The next `count` requests answer 503, whatever they ask.
    pub fn fail_next(&self, count: usize) {
        self.state().failing = count;
    }

    /// The cache entry of a variant.
    pub fn entry(&self, key: &Key) -> Option<Entry> {
        self.state().cache.get(key).cloned()
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<SiteRequest> {
        self.state().log.clone()
    }

    /// The variants requested, each with how many times, sorted.
    pub fn variants_requested(&self) -> BTreeMap<Key, usize> {
        let mut counts = BTreeMap::new();
        for request in self.requests() {
            if let Some(key) = request.key {
                *counts.entry(key).or_insert(0) += 1;
            }
        }
        counts
    }

    /// The sources requested, sorted.
    pub fn sources_requested(&self) -> BTreeSet<String> {
        self.requests()
            .into_iter()
            .filter_map(|r| r.key.map(|k| k.url))
            .collect()
    }
}
