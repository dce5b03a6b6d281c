//! The job summary rendered the way GitHub renders Markdown (CommonMark with
//! tables and strikethrough), to check what a reader would see.

use pulldown_cmark::{Options, Parser, html};

pub fn to_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_GFM);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, options));
    out
}

/// The HTML tags in `html`, by name (`td`, `/td`, `code`...).
pub fn tags(html: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find(['>', ' ']).unwrap_or(after.len());
        tags.push(after[..end].to_string());
        rest = &after[end..];
    }
    tags
}

/// The summary as it reads once rendered: the report escapes every ASCII
/// punctuation character of untrusted or generated text (`\,`, `\(`).
pub fn plain(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut chars = summary.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}
