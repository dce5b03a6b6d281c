//! The optimized variants of an image and the URLs a browser requests them
//! at: `{optimizer}?url=...&w=...&q=...`, the `url` parameter encoded as
//! JavaScript's `encodeURIComponent` does (what Next.js's loader and the
//! `/_vercel/image` helpers of other frameworks write), and the format chosen
//! by the `Accept` header.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Next.js's default `images.deviceSizes`.
pub const NEXT_DEVICE_SIZES: [u32; 8] = [640, 750, 828, 1080, 1200, 1920, 2048, 3840];
/// Next.js's default `images.imageSizes` (16 left the defaults in Next.js 16).
pub const NEXT_IMAGE_SIZES: [u32; 7] = [32, 48, 64, 96, 128, 256, 384];
/// Next.js's default `images.qualities`, and the quality its loader asks for.
pub const DEFAULT_QUALITY: u32 = 75;
/// Next.js's default `images.formats`.
pub const DEFAULT_FORMAT: &str = "image/webp";
/// What a current browser sends for an `<img>`: the site's preferred format
/// among those it lists is what comes back.
pub const BROWSER_ACCEPT: &str = "image/avif,image/webp,*/*";

/// The width a verifying request asks for, when the site allows it: the
/// smallest of Next.js's device sizes, the one most sites' pages request.
const PROBE_WIDTH: u32 = 640;

/// What `encodeURIComponent` leaves as it is: letters, digits and
/// `-_.!~*'()`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Which image optimizer serves the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Optimizer {
    /// Next.js: `{basePath}/_next/image`.
    NextJs { base_path: String },
    /// Every other framework on Vercel: `/_vercel/image`.
    Vercel,
}

impl Optimizer {
    /// The optimizer's path on the site: `/docs/_next/image`, `/_vercel/image`.
    pub fn path(&self) -> String {
        match self {
            Optimizer::NextJs { base_path } => {
                let base = base_path.trim_matches('/');
                if base.is_empty() {
                    "/_next/image".to_string()
                } else {
                    format!("/{base}/_next/image")
                }
            }
            Optimizer::Vercel => "/_vercel/image".to_string(),
        }
    }

    /// The optimizer's URL on `site` (its origin; any path, query or
    /// fragment of `site` is replaced).
    pub fn endpoint(&self, site: &Url) -> Url {
        let mut endpoint = site.clone();
        endpoint.set_path(&self.path());
        endpoint.set_query(None);
        endpoint.set_fragment(None);
        // Nothing but the origin: no credentials in a URL that is logged.
        let _ = endpoint.set_username("");
        let _ = endpoint.set_password(None);
        endpoint
    }
}

/// One optimized variant of an image.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant {
    pub width: u32,
    pub quality: u32,
    /// The format asked for (`image/avif`); `None` asks as a browser does
    /// ([`BROWSER_ACCEPT`]) and takes whatever the site prefers.
    pub format: Option<String>,
}

impl Variant {
    /// The `Accept` header that makes the optimizer answer in this format.
    pub fn accept(&self) -> String {
        match &self.format {
            Some(format) => format!("{format},*/*"),
            None => BROWSER_ACCEPT.to_string(),
        }
    }

    /// `w=640 q=75 image/webp`, for the log.
    pub fn describe(&self) -> String {
        let format = self.format.as_deref().unwrap_or("as a browser asks");
        format!("w={} q={} {format}", self.width, self.quality)
    }

    /// This variant of the image at public path `path`.
    pub fn url(&self, endpoint: &Url, path: &str) -> Url {
        let mut url = endpoint.clone();
        url.set_query(Some(&format!(
            "url={}&w={}&q={}",
            encode_component(path),
            self.width,
            self.quality
        )));
        url
    }
}

/// `encodeURIComponent(text)`.
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Every variant the site allows: widths x qualities x formats, each once,
/// in that order (widths and qualities ascending, formats as the site lists
/// them). Built one at a time as they are asked for: only the three lists
/// are held, so a config that allows millions of variants costs nothing
/// until they are requested.
#[derive(Clone, Debug)]
pub struct Variants {
    widths: Vec<u32>,
    qualities: Vec<u32>,
    formats: Vec<String>,
    next: u64,
}

impl Variants {
    pub fn new(widths: &[u32], qualities: &[u32], formats: &[String]) -> Self {
        let mut seen = std::collections::HashSet::new();
        let formats = formats
            .iter()
            .filter(|f| seen.insert(*f))
            .cloned()
            .collect();
        Self {
            widths: sorted(widths),
            qualities: sorted(qualities),
            formats,
            next: 0,
        }
    }

    /// How many there are in all.
    pub fn total(&self) -> u64 {
        self.widths.len() as u64 * self.qualities.len() as u64 * self.formats.len() as u64
    }

    /// The `index`th variant (`index < total()`).
    pub fn get(&self, index: u64) -> Variant {
        let formats = self.formats.len() as u64;
        let qualities = self.qualities.len() as u64;
        let format = (index % formats) as usize;
        let quality = ((index / formats) % qualities) as usize;
        let width = (index / formats / qualities) as usize;
        Variant {
            width: self.widths[width],
            quality: self.qualities[quality],
            format: Some(self.formats[format].clone()),
        }
    }
}

impl Iterator for Variants {
    type Item = Variant;

    fn next(&mut self) -> Option<Variant> {
        if self.next >= self.total() {
            return None;
        }
        self.next += 1;
        Some(self.get(self.next - 1))
    }
}

/// [`Variants::new`].
pub fn variants(widths: &[u32], qualities: &[u32], formats: &[String]) -> Variants {
    Variants::new(widths, qualities, formats)
}

/// The one variant a verifying request asks for, as a browser would: the
/// smallest allowed width from 640 up (else the largest allowed), the allowed
/// quality nearest 75 (Next.js's default), the format the site prefers.
/// `None` when the site allows no width or no quality.
pub fn probe_variant(widths: &[u32], qualities: &[u32]) -> Option<Variant> {
    let widths = sorted(widths);
    let width = widths
        .iter()
        .copied()
        .find(|&w| w >= PROBE_WIDTH)
        .or_else(|| widths.last().copied())?;
    let quality = sorted(qualities)
        .into_iter()
        .min_by_key(|&q| q.abs_diff(DEFAULT_QUALITY))?;
    Some(Variant {
        width,
        quality,
        format: None,
    })
}

/// The extensions of the formats Vercel's optimizer transforms: JPEG, PNG,
/// WebP and AVIF. Any other image is served as it is.
const TRANSFORMED: [&str; 5] = ["jpg", "jpeg", "png", "webp", "avif"];

/// Whether the optimizer transforms the image at `path` (by its extension;
/// a query or fragment is not part of it).
pub fn is_transformed(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| TRANSFORMED.iter().any(|t| ext.eq_ignore_ascii_case(t)))
}

fn sorted(values: &[u32]) -> Vec<u32> {
    let mut values = values.to_vec();
    values.sort_unstable();
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Url {
        Url::parse("https://example.com").expect("url")
    }

    #[test]
    fn the_optimizer_path_takes_the_base_path() {
        let next = |base: &str| Optimizer::NextJs {
            base_path: base.to_string(),
        };
        assert_eq!(next("").path(), "/_next/image");
        assert_eq!(next("/").path(), "/_next/image");
        assert_eq!(next("/docs").path(), "/docs/_next/image");
        assert_eq!(next("/docs/").path(), "/docs/_next/image");
        assert_eq!(Optimizer::Vercel.path(), "/_vercel/image");
        let origin = Url::parse("https://user:pw@example.com/some/page?x=1#top").expect("url");
        assert_eq!(
            next("/docs").endpoint(&origin).as_str(),
            "https://example.com/docs/_next/image"
        );
    }

    #[test]
    fn the_url_parameter_is_encoded_as_encode_uri_component_does() {
        assert_eq!(encode_component("/a/b.png"), "%2Fa%2Fb.png");
        assert_eq!(encode_component("/my photo.jpg"), "%2Fmy%20photo.jpg");
        assert_eq!(encode_component("/my%20photo.jpg"), "%2Fmy%2520photo.jpg");
        assert_eq!(encode_component("/a+b&c=d?.png"), "%2Fa%2Bb%26c%3Dd%3F.png");
        assert_eq!(encode_component("/-_.!~*'().png"), "%2F-_.!~*'().png");
        assert_eq!(encode_component("/café.png"), "%2Fcaf%C3%A9.png");
        assert_eq!(encode_component("/#x.png"), "%2F%23x.png");
    }

    #[test]
    fn a_variant_url_is_what_the_loader_writes() {
        let endpoint = Optimizer::NextJs {
            base_path: "/docs".into(),
        }
        .endpoint(&site());
        let variant = Variant {
            width: 640,
            quality: 75,
            format: None,
        };
        assert_eq!(
            variant.url(&endpoint, "/docs/my photo.jpg").as_str(),
            "https://example.com/docs/_next/image?url=%2Fdocs%2Fmy%20photo.jpg&w=640&q=75"
        );
        let parsed = variant.url(&endpoint, "/a&w=1.png");
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("url".to_string(), "/a&w=1.png".to_string()),
                ("w".to_string(), "640".to_string()),
                ("q".to_string(), "75".to_string()),
            ],
            "a name that looks like a query stays inside url"
        );
        let vercel = Optimizer::Vercel.endpoint(&site());
        assert_eq!(
            variant.url(&vercel, "/a.png").as_str(),
            "https://example.com/_vercel/image?url=%2Fa.png&w=640&q=75"
        );
    }

    #[test]
    fn accept_asks_for_one_format_or_as_a_browser() {
        let mut variant = Variant {
            width: 32,
            quality: 75,
            format: Some("image/avif".into()),
        };
        assert_eq!(variant.accept(), "image/avif,*/*");
        variant.format = None;
        assert_eq!(variant.accept(), "image/avif,image/webp,*/*");
    }

    #[test]
    fn variants_are_every_combination_once() {
        let formats = vec![
            "image/avif".to_string(),
            "image/webp".to_string(),
            "image/avif".to_string(),
        ];
        let all: Vec<Variant> = variants(&[1080, 640, 640], &[90, 75], &formats).collect();
        let described: Vec<String> = all.iter().map(Variant::describe).collect();
        assert_eq!(
            described,
            vec![
                "w=640 q=75 image/avif",
                "w=640 q=75 image/webp",
                "w=640 q=90 image/avif",
                "w=640 q=90 image/webp",
                "w=1080 q=75 image/avif",
                "w=1080 q=75 image/webp",
                "w=1080 q=90 image/avif",
                "w=1080 q=90 image/webp",
            ]
        );
        let defaults = variants(
            &[NEXT_DEVICE_SIZES.as_slice(), NEXT_IMAGE_SIZES.as_slice()].concat(),
            &[DEFAULT_QUALITY],
            &[DEFAULT_FORMAT.to_string()],
        );
        assert_eq!(defaults.total(), 15);
        assert_eq!(defaults.count(), 15);
        assert_eq!(variants(&[640], &[], &formats).next(), None);
    }

    #[test]
    fn only_jpeg_png_webp_and_avif_are_transformed() {
        for path in [
            "/a.jpg",
            "/a.JPEG",
            "/b/c.png",
            "/d.webp",
            "/e.AVIF",
            "https://cdn.example.com/x.png?v=2",
        ] {
            assert!(is_transformed(path), "{path}");
        }
        for path in [
            "/a.gif",
            "/a.svg",
            "/a.ico",
            "/a.bmp",
            "/a.tiff",
            "/png",
            "/a.png/readme",
            "/a.png.txt",
        ] {
            assert!(!is_transformed(path), "{path}");
        }
    }

    #[test]
    fn millions_of_allowed_variants_cost_only_the_lists() {
        let widths: Vec<u32> = (1..=10_000).collect();
        let qualities: Vec<u32> = (1..=1_000).collect();
        let mut all = variants(&widths, &qualities, &["image/webp".to_string()]);
        assert_eq!(all.total(), 10_000_000);
        assert_eq!(all.get(9_999_999).describe(), "w=10000 q=1000 image/webp");
        assert_eq!(all.get(1_000).describe(), "w=2 q=1 image/webp");
        let first: Vec<String> = all.by_ref().take(2).map(|v| v.describe()).collect();
        assert_eq!(first, vec!["w=1 q=1 image/webp", "w=1 q=2 image/webp"]);
    }

    #[test]
    fn the_probe_asks_for_a_width_and_quality_the_site_allows() {
        let defaults = [NEXT_DEVICE_SIZES.as_slice(), NEXT_IMAGE_SIZES.as_slice()].concat();
        let probe = probe_variant(&defaults, &[DEFAULT_QUALITY]).expect("a variant");
        assert_eq!((probe.width, probe.quality, probe.format), (640, 75, None));
        let small = probe_variant(&[256, 32, 128], &[50, 90, 80]).expect("a variant");
        assert_eq!((small.width, small.quality), (256, 80));
        let large = probe_variant(&[1200, 700], &[75]).expect("a variant");
        assert_eq!(large.width, 700);
        assert_eq!(probe_variant(&[], &[75]), None);
        assert_eq!(probe_variant(&[640], &[]), None);
    }
}
