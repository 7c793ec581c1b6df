//! Wall-clock time in seconds since the epoch: what expiries, assertions and records are
//! stamped with. Its own module so that `token` and `client_auth` need not import each
//! other for it.

/// Seconds since the epoch; 0 on a clock set before 1970 (every expiry then looks past).
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
