//! A token that can be handed around freely without ever being printed.
//!
//! `Debug` and `Display` both write `***`, so a `Secret` that ends up in an
//! error chain, a `{:?}` or a log line shows nothing. The value is reachable
//! only through [`Secret::expose`], which the two HTTP clients call when they
//! build the `Authorization` header, and the masking code calls once.

use std::borrow::Cow;
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value. Callers must not format it into anything that is printed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Adds `secret` (whole, and each of its lines) to `secrets`, the list
/// [`redact`] takes; parts shorter than 4 characters are left out.
pub(crate) fn remember(secrets: &mut Vec<String>, secret: &Secret) {
    for part in std::iter::once(secret.expose()).chain(secret.expose().lines()) {
        let part = part.trim();
        if part.len() >= 4 && !secrets.iter().any(|s| s == part) {
            secrets.push(part.to_string());
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// The secrets found in `text` replaced by `***`. Applied to everything the
/// action writes, in case an API echoes a token back in an error message,
/// and to outside text before it is shortened, so that no cut can leave a
/// part of a secret behind.
pub fn redact<'a>(text: &'a str, secrets: &[String]) -> Cow<'a, str> {
    let mut text = Cow::Borrowed(text);
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), "***"));
        }
    }
    text
}

/// The list [`redact`] takes, built from the run's secrets.
pub fn secret_list<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Vec<String> {
    let mut list = Vec::new();
    for secret in secrets {
        remember(&mut list, secret);
    }
    list
}

/// The longest of `secrets`, in bytes (0 when there is none).
pub fn longest(secrets: &[String]) -> usize {
    secrets.iter().map(String::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let secret = Secret::new("tok_live_123");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
        assert_eq!(secret.expose(), "tok_live_123");
    }
}
