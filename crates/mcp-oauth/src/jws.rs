//! Compact JWS signing with a *ring* key, public JWKs and their RFC 7638 thumbprints: the
//! pieces every JWT this client makes is built from (DPoP proofs, and client assertions).

use crate::error::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};

/// base64url without padding (RFC 7515 §2).
pub fn b64u(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `b64u(SHA-256(bytes))`: a thumbprint's, and a DPoP `ath`'s, encoding.
pub fn b64u_sha256(bytes: impl AsRef<[u8]>) -> String {
    b64u(ring::digest::digest(&ring::digest::SHA256, bytes.as_ref()))
}

/// A fresh `jti`: 16 bytes (128 bits, RFC 9449 §4.2 asks for at least 96) from the system CSPRNG.
pub fn random_jti(rng: &SystemRandom) -> Result<String> {
    let mut jti = [0u8; 16];
    rng.fill(&mut jti).map_err(|_| Error::Internal("no system randomness".into()))?;
    Ok(b64u(jti))
}

/// `header.payload.signature` (RFC 7515 §7.1), with `sign` making the signature over the
/// signing input for the header's `alg`.
pub fn compact(header: &Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Result<Vec<u8>>) -> Result<String> {
    let input = format!("{}.{}", b64u(header.to_string()), b64u(claims.to_string()));
    let sig = sign(input.as_bytes())?;
    Ok(format!("{input}.{}", b64u(sig)))
}

/// [`compact`] with an ES256 key: the 64-byte R‖S signature *ring*'s FIXED signing gives is
/// what RFC 7518 §3.4 wants (not DER).
pub fn sign_es256(key: &EcdsaKeyPair, rng: &SystemRandom, header: &Value, claims: &Value) -> Result<String> {
    compact(header, claims, |input| es256(key, rng, input))
}

/// The ES256 signature of `input`.
pub fn es256(key: &EcdsaKeyPair, rng: &SystemRandom, input: &[u8]) -> Result<Vec<u8>> {
    let sig = key.sign(rng, input).map_err(|_| Error::Internal("ECDSA signing failed".into()))?;
    Ok(sig.as_ref().to_vec())
}

/// The public JWK of a P-256 key: `kty`, `crv`, `x`, `y` only (never a private member).
/// The point is uncompressed, `0x04 || x || y`, each coordinate 32 bytes with leading zeros
/// kept (RFC 7518 §6.2.1.2).
pub fn ec_public_jwk(key: &EcdsaKeyPair) -> Value {
    let p = key.public_key().as_ref();
    json!({"kty": "EC", "crv": "P-256", "x": b64u(&p[1..33]), "y": b64u(&p[33..65])})
}

/// The RFC 7638 thumbprint: SHA-256 over the required members only, in lexicographic order,
/// without whitespace. serde_json's `json!` keeps keys sorted (no `preserve_order`), but the
/// string is written out by hand so that the order never depends on a crate feature.
pub fn thumbprint(jwk: &Value) -> Result<String> {
    let member = |k: &str| {
        jwk.get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidInput(format!("JWK without the {k} member needed for its thumbprint")))
    };
    let quoted = |k: &str| -> Result<String> { Ok(serde_json::to_string(member(k)?).unwrap_or_default()) };
    let canonical = match member("kty")? {
        "EC" => format!(r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#, quoted("crv")?, quoted("x")?, quoted("y")?),
        "RSA" => format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, quoted("e")?, quoted("n")?),
        "OKP" => format!(r#"{{"crv":{},"kty":"OKP","x":{}}}"#, quoted("crv")?, quoted("x")?),
        other => return Err(Error::InvalidInput(format!("JWK key type {other:?} has no thumbprint rule"))),
    };
    Ok(b64u_sha256(canonical))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, UnparsedPublicKey};

    #[test]
    fn thumbprints_match_the_rfc_vectors() {
        // RFC 9449's example key.
        let ec = json!({"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","alg":"ES256","use":"sig"});
        assert_eq!(thumbprint(&ec).unwrap(), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
        // RFC 7638 §3.1 (the optional members are ignored).
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let rsa = json!({"kty":"RSA","n":n,"e":"AQAB","alg":"RS256","kid":"2011-04-29"});
        assert_eq!(thumbprint(&rsa).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert!(thumbprint(&json!({"kty":"oct","k":"x"})).is_err());
        assert!(thumbprint(&json!({"kty":"EC","crv":"P-256","x":"a"})).is_err(), "y missing");
    }

    #[test]
    fn ath_vector_of_rfc_9449() {
        assert_eq!(
            b64u_sha256("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn es256_jws_verifies_with_its_public_jwk_and_has_no_padding() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let jwk = ec_public_jwk(&key);
        assert_eq!(jwk.as_object().unwrap().len(), 4, "public members only: {jwk}");
        assert_eq!(jwk["x"].as_str().unwrap().len(), 43);
        let jws = sign_es256(&key, &rng, &json!({"alg":"ES256"}), &json!({"a":1})).unwrap();
        assert!(!jws.contains('='));
        let (input, sig) = jws.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        assert_eq!(sig.len(), 64, "R||S, not DER");
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).verify(input.as_bytes(), &sig).unwrap();
        assert_ne!(random_jti(&rng).unwrap(), random_jti(&rng).unwrap());
        assert_eq!(random_jti(&rng).unwrap().len(), 22);
    }
}
