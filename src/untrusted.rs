//! Text that comes from outside (file names, API answers, event payloads,
//! error chains), made safe to show and checked before it is used: on one
//! line, bounded in length, URLs accepted only when they cannot break out of
//! a link, commit ids only when they are full shas.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Makes untrusted text printable on one line: control characters (newlines,
/// escape sequences, NUL...) become `\n`, `\u{1b}` and the like. Printable
/// text, including non-ASCII letters, is left as it is.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The first 200 characters of untrusted text, on one line.
pub fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    let short: String = trimmed.chars().take(200).collect();
    let more = if trimmed.chars().count() > 200 {
        "..."
    } else {
        ""
    };
    format!("{}{more}", one_line(&short))
}

/// Untrusted text of several lines (a program's error output), kept as
/// lines: each made safe by [`one_line`], blank ones dropped, at most
/// `max_lines` of them and 200 characters each, `...` where something was
/// cut.
pub fn excerpt_lines(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut shown: Vec<String> = lines.iter().take(max_lines).map(|l| excerpt(l)).collect();
    if lines.len() > max_lines {
        shown.push("...".to_string());
    }
    shown.join("\n")
}

/// An error and its causes, most specific last, each said once: hyper's
/// "client error (Connect)" alone does not say that the DNS lookup failed.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    excerpt(&text)
}

/// Whether `text` is a full commit id: 40 hex digits (SHA-1) or 64 (SHA-256).
pub fn is_full_sha(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first 7 digits of a commit sha, as GitHub shows them.
pub fn short_sha(sha: &str) -> String {
    sha.chars().take(7).collect()
}

/// Whether `url` can be written as a Markdown autolink as it is: http(s),
/// and nothing that could end the link, open a tag or split a table cell.
pub fn plain_url(url: &str) -> bool {
    url.bytes()
        .all(|b| b.is_ascii_graphic() && !b"<>\"'`\\|".contains(&b))
        && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// A URL's text with any user name and password taken out, for messages.
pub fn without_credentials(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(_) => one_line(text).into_owned(),
        // Unparsable: anything between "//" and "@" may be a credential.
        Err(_) => match (text.find("//"), text.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!(
                    "{}//(credentials hidden)@{}",
                    &text[..start],
                    one_line(&text[at + 1..])
                )
            }
            _ => one_line(text).into_owned(),
        },
    }
}

/// An outside value (a glob, a folder, a prefix) that cannot be used: what
/// is wrong, quoting the value, and the fix. The boundary names the input
/// it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    pub problem: String,
    pub help: String,
}

impl ValueError {
    pub fn new(problem: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            help: help.into(),
        }
    }
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_makes_control_characters_visible() {
        assert_eq!(one_line("plain é.png"), "plain é.png");
        assert_eq!(one_line("a\n::error::x.png"), "a\\n::error::x.png");
        assert_eq!(one_line("bell\u{7}\u{1b}[31m"), "bell\\u{7}\\u{1b}[31m");
    }

    #[test]
    fn excerpts_are_short_and_single_line() {
        assert_eq!(excerpt("  <html>\nboom "), "<html>\\nboom");
        assert_eq!(excerpt(&"x".repeat(500)).len(), 203);
    }

    #[test]
    fn excerpts_of_several_lines_stay_lines() {
        let stderr = "fatal: one\n\nfatal: two\u{1b}[31m\n";
        assert_eq!(
            excerpt_lines(stderr, 5),
            "fatal: one\nfatal: two\\u{1b}[31m"
        );
        assert_eq!(excerpt_lines("a\nb\nc", 2), "a\nb\n...");
        assert_eq!(excerpt_lines(&"x".repeat(500), 1).len(), 203);
    }

    #[test]
    fn error_chains_say_each_cause_once() {
        let inner =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let outer = std::io::Error::other(inner);
        assert_eq!(error_chain(&outer), "connection refused");
    }

    #[test]
    fn plain_urls_are_http_and_inert() {
        assert!(plain_url("https://site-1.vercel.app"));
        assert!(plain_url("http://localhost:3000/a?b=c"));
        assert!(!plain_url(""));
        assert!(!plain_url("javascript:alert(1)"));
        assert!(!plain_url("https://x.app/\"><img src=x>"));
        assert!(!plain_url("https://x.app/a b"));
        assert!(!plain_url("https://x.app/a|b"));
    }

    #[test]
    fn credentials_never_reach_a_message() {
        assert_eq!(
            without_credentials("https://u:tok@cdn.example.com/x"),
            "https://cdn.example.com/x"
        );
        assert_eq!(
            without_credentials("https://u:tok@api.vercel.com:99999"),
            "https://(credentials hidden)@api.vercel.com:99999"
        );
        assert_eq!(
            without_credentials("https://a.example/x"),
            "https://a.example/x"
        );
    }
}
