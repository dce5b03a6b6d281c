//! Unpredictable values from the operating system's generator: the delimiter
//! of each step output and the `::stop-commands::` token guard against
//! injection (a value or a file name that guessed them could forge an output
//! or a workflow command), so they come from the kernel, not from a hash of
//! the clock. The retry jitter uses the same source.

use std::io;

fn bytes<const N: usize>() -> io::Result<[u8; N]> {
    let mut buffer = [0u8; N];
    getrandom::getrandom(&mut buffer).map_err(|error| {
        io::Error::other(format!(
            "the operating system's random generator failed: {error}"
        ))
    })?;
    Ok(buffer)
}

/// 32 hex digits (128 bits): no file name or API answer can guess it.
pub(crate) fn token() -> io::Result<String> {
    let mut text = String::with_capacity(32);
    for byte in bytes::<16>()? {
        text.push_str(&format!("{byte:02x}"));
    }
    Ok(text)
}

/// A float in `[0, 1)`; `0.5` should the generator fail (jitter is not a
/// guard, and a retry must not fail for want of it).
pub(crate) fn unit() -> f64 {
    match bytes::<8>() {
        Ok(bytes) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_differ_and_are_hex() {
        let a = super::token().expect("a token");
        let b = super::token().expect("a token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn unit_stays_in_range() {
        for _ in 0..1000 {
            let x = super::unit();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
