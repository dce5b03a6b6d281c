//! Unpredictable values without a random-number crate: the standard library's
//! `RandomState` is seeded from the operating system once per process and
//! perturbed per call, which is all that delimiters, stop tokens and retry
//! jitter need.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub(crate) fn u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}

/// A float in `[0, 1)`.
pub(crate) fn unit() -> f64 {
    (u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// 32 hex digits: long enough that no file name or API answer can guess it.
pub(crate) fn token() -> String {
    format!("{:016x}{:016x}", u64(), u64())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_differ_and_are_hex() {
        let a = super::token();
        let b = super::token();
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
