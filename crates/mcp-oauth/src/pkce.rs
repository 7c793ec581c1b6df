//! RFC 7636 PKCE (S256 only), and the random values of an authorization request.
//!
//! The verifier is 32 random bytes in base64url without padding: 43 characters, the RFC's
//! minimum length and the recommended construction (§4.1), with 256 bits of entropy.

use crate::error::{Error, Result};
use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

/// The only method we send: `plain` would hand the verifier to anyone who sees the URL.
pub const METHOD: &str = "S256";

/// A code verifier and its S256 challenge.
/// The verifier is a secret until the code is spent; the challenge is public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    pub fn generate() -> Result<Pkce> {
        Ok(Pkce::from_verifier(Secret::new(random_token(32)?)))
    }

    pub fn from_verifier(verifier: Secret) -> Pkce {
        let challenge = challenge_s256(verifier.expose());
        Pkce { verifier, challenge }
    }
}

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
pub fn challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()))
}

/// `n` bytes from the system CSPRNG, base64url without padding: verifiers and `state`.
pub fn random_token(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| Error::Internal("the system random number generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(&buf))
}

/// Compares two secrets without leaking, through timing, how much of a guess was right.
/// Both sides are hashed first so the lengths do not leak either.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let ha = ring::digest::digest(&ring::digest::SHA256, a.as_bytes());
    let hb = ring::digest::digest(&ring::digest::SHA256, b.as_bytes());
    ha.as_ref().iter().zip(hb.as_ref()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let p = Pkce::from_verifier(Secret::from("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn generated_verifiers_are_43_unreserved_chars_and_differ() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_eq!(a.verifier.expose().len(), 43);
        assert!(a.verifier.expose().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, challenge_s256(a.verifier.expose()));
        assert!(!format!("{a:?}").contains(a.verifier.expose()), "Debug must not show the verifier");
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(!constant_time_eq("", "a"));
        assert!(constant_time_eq("", ""));
    }
}
