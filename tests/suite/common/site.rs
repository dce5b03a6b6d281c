//! A stand-in for a live site's image optimizer behind Vercel's cache,
//! sharing its state with the fake edge-cache API (`vercel.rs`, through
//! [`FakeSite::edge_cache_hook`]).
//!
//! Variants are keyed as Vercel documents it: by width, quality, format
//! (negotiated from `Accept` as the optimizer does: the first of the site's
//! formats the header names, else the original) and, for a local image (a
//! path on the site), the content of the file: a deployment with new bytes
//! makes the next request a `MISS` on a new key. A remote image (an absolute
//! URL under one of `remote`) is keyed by its URL. A first request answers
//! `MISS` and caches the variant; later ones `HIT` with the same ETag. An
//! invalidation marks every variant of the source stale: a stale variant
//! answers `STALE` with the old ETag, and after `revalidate_after` further
//! requests it is fresh again, with the ETag of the source's current version
//! (or gone, with the source). A variant can also be stale from expiry
//! before any invalidation (with its `Age`). After a deletion, the next
//! request is fetched from the source and answers `after_delete`: `MISS`,
//! as Vercel's CLI docs say, or `REVALIDATED`. Counting
//! requests instead of time keeps every test free of races. A path the site
//! does not have answers 404, a query the optimizer does not allow 400, and
//! with `bypass` set, a request without that `x-vercel-protection-bypass`
//! 401. Hostile behaviours: `refuse` answers every request with that status
//! (`Retry-After: 1`); `echo_after` answers 400 with a filler repeated that
//! many times followed by the bypass the request sent. Every request is recorded.

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
    /// Origins of remote images the optimizer fetches (`remotePatterns`).
    pub remote: Vec<String>,
    /// Every request answered with this status and `Retry-After: 1`.
    pub refuse: Option<u16>,
    /// Every optimizer request answered 400 with this filler (`"."`, blanks,
    /// a character of several bytes) repeated this many times, then the
    /// bypass secret the request sent, as a careless proxy might.
    pub echo_after: Option<(usize, &'static str)>,
    /// What the first request after a deletion answers: `MISS` ("will serve
    /// MISS and therefore block while revalidating", Vercel's CLI docs), or
    /// `REVALIDATED`.
    pub after_delete: &'static str,
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
            remote: Vec::new(),
            refuse: None,
            echo_after: None,
            after_delete: "MISS",
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
    /// Answering `STALE` with `etag` for `left` more requests after this one;
    /// `age` when it expired (rather than being invalidated).
    Stale {
        etag: String,
        left: usize,
        age: Option<u64>,
    },
}

/// Where a variant is in the cache: its request's key, and for a local
/// image the version of the file's content.
type Slot = (Key, Option<u32>);

struct State {
    config: SiteConfig,
    /// Public path -> version of its content.
    files: BTreeMap<String, u32>,
    cache: BTreeMap<Slot, Entry>,
    /// Variants deleted: the next request is fetched afresh.
    deleted: BTreeSet<Key>,
    log: Vec<SiteRequest>,
    /// How many requests had arrived when each invalidation (or deletion)
    /// reached the cache.
    sent_at: Vec<usize>,
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
        let remote = self
            .config
            .remote
            .iter()
            .any(|origin| url.starts_with(origin));
        if !remote && (!url.starts_with('/') || url.starts_with("//")) {
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

    /// Where `key` is cached now: a local image under its content.
    fn slot(&self, key: &Key) -> Slot {
        let local = key.url.starts_with('/');
        let content = local.then(|| self.files.get(&key.url).copied().unwrap_or(0));
        (key.clone(), content)
    }

    fn invalidate(&mut self, sources: &[String]) {
        let left = self.config.revalidate_after;
        for ((key, _), entry) in self.cache.iter_mut() {
            if sources.contains(&key.url)
                && let Entry::Fresh { etag } = entry
            {
                *entry = Entry::Stale {
                    etag: etag.clone(),
                    left,
                    age: None,
                };
            }
        }
    }

    fn delete(&mut self, sources: &[String]) {
        let gone: Vec<Key> = self
            .cache
            .keys()
            .filter(|(key, _)| sources.contains(&key.url))
            .map(|(key, _)| key.clone())
            .collect();
        self.cache.retain(|(key, _), _| !sources.contains(&key.url));
        self.deleted.extend(gone);
    }

    /// The cache's answer for `key`: status, `x-vercel-cache`, ETag, Age.
    fn serve(&mut self, key: &Key) -> (u16, Option<&'static str>, Option<String>, Option<u64>) {
        let slot = self.slot(key);
        let exists = self.files.contains_key(&key.url);
        // A local image whose file is gone has no content to key by.
        if slot.1 == Some(0) {
            return (404, None, None, None);
        }
        match self.cache.get(&slot).cloned() {
            Some(Entry::Fresh { etag }) => (200, Some("HIT"), Some(etag), Some(60)),
            Some(Entry::Stale { etag, left, age }) => {
                if left > 0 {
                    self.cache.insert(
                        slot,
                        Entry::Stale {
                            etag: etag.clone(),
                            left: left - 1,
                            age,
                        },
                    );
                } else if exists {
                    let fresh = self.etag(key);
                    self.cache.insert(slot, Entry::Fresh { etag: fresh });
                } else {
                    // The source is gone: the next request is a 404.
                    self.cache.remove(&slot);
                }
                (200, Some("STALE"), Some(etag), age.or(Some(60)))
            }
            None if exists => {
                let etag = self.etag(key);
                self.cache.insert(slot, Entry::Fresh { etag: etag.clone() });
                let cache = if self.deleted.remove(key) {
                    self.config.after_delete
                } else {
                    "MISS"
                };
                (200, Some(cache), Some(etag), None)
            }
            None => (404, None, None, None),
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
        let response = if let Some(status) = state.config.refuse {
            record.status = status;
            ResponseTemplate::new(status).insert_header("retry-after", "1")
        } else if state.failing > 0 {
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
        } else if let Some((count, filler)) = state.config.echo_after {
            record.status = 400;
            let echoed = bypass.clone().unwrap_or_default();
            ResponseTemplate::new(400).set_body_string(format!("{}{echoed}", filler.repeat(count)))
        } else {
            match state.key(&query, accept.as_deref()) {
                Err(message) => {
                    record.status = 400;
                    ResponseTemplate::new(400).set_body_string(message)
                }
                Ok(key) => {
                    let (status, cache, etag, age) = state.serve(&key);
                    record.key = Some(key);
                    record.status = status;
                    record.cache = cache.map(str::to_string);
                    record.etag = etag.clone();
                    let mut response = ResponseTemplate::new(status);
                    if let Some(cache) = cache {
                        response = response.insert_header("x-vercel-cache", cache);
                    }
                    if let Some(age) = age {
                        response = response.insert_header("age", age.to_string().as_str());
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
            deleted: BTreeSet::new(),
            log: Vec::new(),
            sent_at: Vec::new(),
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
    /// recorded as a request), under the file's current content. Returns
    /// its ETag.
    pub fn visit(&self, path: &str, width: u32, quality: u32, format: &str) -> String {
        let mut state = self.state();
        let key = Key::new(path, width, quality, format);
        let etag = state.etag(&key);
        let slot = state.slot(&key);
        state
            .cache
            .insert(slot, Entry::Fresh { etag: etag.clone() });
        etag
    }

    /// The cached variant (under the current content) expired `age`
    /// seconds ago: `STALE` for `left` more requests, then fresh.
    pub fn expire(&self, key: &Key, age: u64, left: usize) {
        let mut state = self.state();
        let slot = state.slot(key);
        if let Some(Entry::Fresh { etag }) = state.cache.get(&slot).cloned() {
            state.cache.insert(
                slot,
                Entry::Stale {
                    etag,
                    left,
                    age: Some(age),
                },
            );
        }
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
            let arrived = state.log.len();
            state.sent_at.push(arrived);
            if received.path == INVALIDATE {
                state.invalidate(&received.images);
            } else if received.path == DELETE {
                state.delete(&received.images);
            }
        })
    }

    /// How many requests had arrived when the first invalidation (or
    /// deletion) reached the cache.
    pub fn requests_before_sending(&self) -> Option<usize> {
        self.state().sent_at.first().copied()
    }

    /// The next `count` requests answer 503, whatever they ask.
    pub fn fail_next(&self, count: usize) {
        self.state().failing = count;
    }

    /// The cache entry of a variant, under the source's current content.
    pub fn entry(&self, key: &Key) -> Option<Entry> {
        let state = self.state();
        state.cache.get(&state.slot(key)).cloned()
    }

    /// How many cached variants are stale, whatever their content.
    pub fn stale_entries(&self) -> usize {
        self.state()
            .cache
            .values()
            .filter(|e| matches!(e, Entry::Stale { .. }))
            .count()
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
