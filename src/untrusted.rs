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

/// [`excerpt`] of `text` with `secrets` and URL credentials taken out
/// first: a secret that straddles the cut is replaced whole, never left in
/// part.
pub fn excerpt_hiding(text: &str, secrets: &[String]) -> String {
    excerpt(&hide_url_credentials(&crate::secret::redact(text, secrets)))
}

/// The first bytes of an outside answer, read up to a limit, as text that
/// [`excerpt_hiding`] can make safe. When the read was `cut`, whatever at
/// its end may be the start of something that must not be shown goes
/// first: a part of a character, the beginning of one of `secrets` (its
/// rest was never read, so it could not be matched and taken out), and a
/// URL's user name and password whose `@` was never read.
pub fn bounded_text(bytes: &[u8], cut: bool, secrets: &[String]) -> String {
    if !cut {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let end = secrets
        .iter()
        .filter_map(|secret| {
            let secret = secret.as_bytes();
            (1..secret.len().min(bytes.len() + 1))
                .rev()
                .find(|&k| bytes.ends_with(&secret[..k]))
                .map(|k| bytes.len() - k)
        })
        .min()
        .unwrap_or(bytes.len());
    let mut bytes = &bytes[..end];
    if let Err(error) = std::str::from_utf8(bytes)
        && error.error_len().is_none()
    {
        bytes = &bytes[..error.valid_up_to()];
    }
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if let Some(at) = text.rfind("://") {
        let rest = &text[at + 3..];
        let open = !rest
            .contains(|c: char| c == '/' || c == '@' || c.is_whitespace() || "'\"<>`".contains(c));
        if open {
            text.truncate(at + 3);
        }
    }
    text
}

/// Every URL's user name and password in `text` replaced by `***`
/// (`https://***@github.com/...`): a tool's message may quote a remote
/// whose URL holds a token, and it must go before the text is shortened.
pub fn hide_url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| c == '/' || c == '@' || c.is_whitespace() || "'\"<>`".contains(c))
            .unwrap_or(after.len());
        if after[end..].starts_with('@') && end > 0 {
            out.push_str("***");
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
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
    fn a_secret_across_the_cut_is_taken_out_whole() {
        let secret = "Zq7Kp2Wm9Xv4Lr8T";
        let list = vec![secret.to_string()];
        // The secret starting before, across and after the 200th character.
        for start in 180..=205 {
            let text = format!("{}{secret} and more", ".".repeat(start));
            let shown = excerpt_hiding(&text, &list);
            assert!(!shown.contains(&secret[..2]), "at {start}: {shown}");
            // Plain cutting is what would leak.
            if (185..199).contains(&start) {
                assert!(excerpt(&text).contains(&secret[..2]), "at {start}");
            }
        }
        assert_eq!(excerpt_hiding(&format!("a {secret} b"), &list), "a *** b");
    }

    #[test]
    fn a_secret_cut_by_a_bounded_read_never_shows_in_part() {
        let secret = "Zq7Kp2Wm9Xv4Lr8T";
        let list = vec![secret.to_string()];
        // Blanks are trimmed away; the others put the secret across the
        // 200th character.
        for (filler, count) in [
            (" ", 1030),
            ("\n", 300),
            ("é", 190),
            ("😀", 195),
            ("x", 185),
        ] {
            let body = format!("{}{secret} tail", filler.repeat(count));
            let bytes = body.as_bytes();
            // Every limit from before the secret to past its end.
            for limit in 1..bytes.len() {
                let cut = limit < bytes.len();
                let text = bounded_text(&bytes[..limit], cut, &list);
                let shown = excerpt_hiding(&text, &list);
                assert!(
                    !shown.contains(&secret[..2]),
                    "{filler:?} at {limit}: {shown}"
                );
                assert!(
                    !shown.contains('\u{fffd}'),
                    "{filler:?} at {limit}: {shown}"
                );
            }
        }
        assert_eq!(bounded_text(b"all of it Zq", false, &list), "all of it Zq");
        assert_eq!(bounded_text(b"a https://u:pass", true, &[]), "a https://");
        assert_eq!(
            bounded_text(b"a https://u@h/x", true, &[]),
            "a https://u@h/x"
        );
    }

    #[test]
    fn credentials_in_urls_are_hidden_wherever_they_are() {
        let token = "ghs_Zq7Kp2Wm9Xv4Lr8T";
        let text = format!(
            "fatal: unable to access 'https://x-access-token:{token}@github.com/o/r.git/': 403"
        );
        let hidden = hide_url_credentials(&text);
        assert_eq!(
            hidden,
            "fatal: unable to access 'https://***@github.com/o/r.git/': 403"
        );
        for start in 150..=210 {
            let long = format!("{}{text}", ".".repeat(start));
            assert!(
                !excerpt(&hide_url_credentials(&long)).contains("ghs"),
                "{start}"
            );
        }
        assert_eq!(
            hide_url_credentials("see https://github.com/a@b"),
            "see https://github.com/a@b"
        );
        assert_eq!(hide_url_credentials("no url"), "no url");
        assert_eq!(hide_url_credentials("a://@b"), "a://@b");
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
