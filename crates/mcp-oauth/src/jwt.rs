//! The two things we do with JWTs: sign RFC 7523 client assertions (`private_key_jwt`, with
//! the key file the user has; the JWS itself is [`crate::jws`]'s) and decode claims for
//! display (no signature check: it is for reading, not for trusting).

use crate::error::{Error, Result};
use crate::jws;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use key::SigningKey;
use ring::rand::SystemRandom;
use ring::signature;
use serde_json::{Value, json};

mod key;

/// How long an assertion is valid: short, since it is used at once (TS SDK uses 300 s too).
const ASSERTION_LIFETIME: u64 = 300;

/// RFC 7523bis: client-authentication JWTs say what they are, so that no other kind of
/// JWT signed by the same key can be replayed as one.
const ASSERTION_TYPE: &str = "client-authentication+jwt";

/// The public half as a JWK, so tests (and users registering the client) can publish it.
pub fn public_jwk(path: &str, kid: Option<&str>) -> Result<Value> {
    let key = key::load(path)?;
    let mut jwk = match &key {
        SigningKey::Rsa(k) => {
            let c: ring::rsa::PublicKeyComponents<Vec<u8>> = k.public().into();
            json!({"kty": "RSA", "n": jws::b64u(&c.n), "e": jws::b64u(&c.e)})
        }
        SigningKey::Ec(k) => jws::ec_public_jwk(k),
    };
    jwk["alg"] = json!(key.alg());
    jwk["use"] = json!("sig");
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    Ok(jwk)
}

/// An RFC 7523 §2.2 client assertion: `iss` = `sub` = client id, `aud` = the issuer as a
/// single string (RFC 7523bis), short-lived, a new `jti` each time (servers refuse a reuse).
pub fn client_assertion(
    key_file: &str,
    kid: Option<&str>,
    client_id: &str,
    audience: &str,
    now: u64,
) -> Result<crate::secret::Secret> {
    let key = key::load(key_file)?;
    let rng = SystemRandom::new();
    let mut header = json!({"alg": key.alg(), "typ": ASSERTION_TYPE});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": audience,
        "iat": now, "exp": now + ASSERTION_LIFETIME, "jti": jws::random_jti(&rng)?,
    });
    let jwt = jws::compact(&header, &claims, |input| match &key {
        SigningKey::Rsa(k) => {
            let mut sig = vec![0u8; k.public().modulus_len()];
            k.sign(&signature::RSA_PKCS1_SHA256, &rng, input, &mut sig)
                .map_err(|_| Error::Internal("RSA signing failed".into()))?;
            Ok(sig)
        }
        SigningKey::Ec(k) => jws::es256(k, &rng, input),
    })?;
    // A bearer credential for its lifetime: whoever holds it authenticates as the client.
    Ok(jwt.into())
}

/// The header and claims of a JWS compact token, or `None` when it is not a JWT
/// (opaque access tokens are common and fine).
pub fn decode_unverified(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let (h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |s: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            v @ Value::Object(_) => Some(v),
            _ => None,
        }
    };
    Some((decode(h)?, decode(p)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::engine::general_purpose::STANDARD;
    use ring::rand::SystemRandom;
    use ring::signature::EcdsaKeyPair;

    // A throwaway EC P-256 PKCS#8 key generated with ring for this test only.
    fn ec_key_file() -> tempfile::NamedTempFile {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pem =
            format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(pkcs8.as_ref()));
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), pem).unwrap();
        f
    }

    #[test]
    fn ec_assertion_verifies_with_the_published_jwk() {
        let f = ec_key_file();
        let path = f.path().to_str().unwrap();
        let jwt = client_assertion(path, Some("k1"), "cid", "https://as.example", 1_000).unwrap();
        let jwt = jwt.expose();
        let (header, claims) = decode_unverified(jwt).unwrap();
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], "k1");
        assert_eq!(header["typ"], "client-authentication+jwt");
        assert_eq!(claims["iss"], "cid");
        assert_eq!(claims["sub"], "cid");
        assert_eq!(claims["aud"], "https://as.example");
        assert_eq!(claims["exp"], 1_300);
        let again = client_assertion(path, Some("k1"), "cid", "https://as.example", 1_000).unwrap();
        assert_ne!(decode_unverified(again.expose()).unwrap().1["jti"], claims["jti"], "a new jti every time");

        let jwk = public_jwk(path, None).unwrap();
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
            .verify(input.as_bytes(), &sig)
            .expect("signature verifies");
    }

    #[test]
    fn unusable_keys_are_named_with_their_file() {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n").unwrap();
        let path = f.path().to_str().unwrap();
        let e = client_assertion(path, None, "c", "a", 0).err().unwrap();
        assert_eq!(e.exit_code().code(), 2);
        assert!(e.to_string().starts_with(path) && e.to_string().contains("unusable EC PRIVATE KEY"), "{e}");
    }

    #[test]
    fn opaque_tokens_are_not_jwts() {
        assert!(decode_unverified("opaque-token-value").is_none());
        assert!(decode_unverified("a.b.c").is_none());
        let jwt =
            format!("{}.{}.sig", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#));
        assert_eq!(decode_unverified(&jwt).unwrap().1["sub"], "u");
    }
}
