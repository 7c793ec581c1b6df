//! The DPoP key pair (ES256, P-256): made with *ring*, kept in the credential store in its
//! own entry per client of an issuer (`keys::dpop`: issuer, client id and profile), and
//! loaded again by every later process that refreshes or presents a token bound to it.

use crate::error::{Error, Result};
use crate::jws;
use crate::secret::Secret;
use crate::store::{Store, keys};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The one algorithm made here: MCP's DPoP profile says clients SHOULD support it, and it is
/// what every DPoP server accepts (oidc-provider's default list is ES256 and EdDSA).
pub const ALG: &str = "ES256";

/// The store record. `private_key` is the PKCS#8 document, base64url: a secret, hidden from
/// listings and traces like every other (see `redact`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    pub issuer: String,
    pub client_id: String,
    pub alg: String,
    /// RFC 7638 thumbprint of the public key: what the server binds tokens to (`cnf.jkt`).
    pub jkt: String,
    pub private_key: Secret,
    pub created_at: u64,
}

/// A key ready to sign proofs.
pub struct DpopKey {
    pair: EcdsaKeyPair,
    jwk: Value,
    jkt: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey").field("jkt", &self.jkt).finish_non_exhaustive()
    }
}

impl DpopKey {
    fn from_pkcs8(pkcs8: &[u8]) -> Result<DpopKey> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|_| Error::Store("the stored DPoP key is not a usable P-256 key".into()))?;
        let jwk = jws::ec_public_jwk(&pair);
        let jkt = jws::thumbprint(&jwk)?;
        Ok(DpopKey { pair, jwk, jkt, rng })
    }

    /// A new key and the record that keeps it.
    pub fn generate(issuer: &str, client_id: &str, now: u64) -> Result<(DpopKey, StoredKey)> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| Error::Internal("cannot generate a DPoP key".into()))?;
        let key = DpopKey::from_pkcs8(pkcs8.as_ref())?;
        let stored = StoredKey {
            issuer: issuer.into(),
            client_id: client_id.into(),
            alg: ALG.into(),
            jkt: key.jkt.clone(),
            private_key: Secret::from(jws::b64u(pkcs8.as_ref())),
            created_at: now,
        };
        Ok((key, stored))
    }

    /// The key of a stored record, checked against the thumbprint the record names (a record
    /// whose key does not match it was tampered with or damaged).
    pub fn from_stored(stored: &StoredKey) -> Result<DpopKey> {
        use base64::Engine as _;
        if stored.alg != ALG {
            return Err(Error::Store(format!("the stored DPoP key is {}, only {ALG} is supported", stored.alg)));
        }
        let pkcs8 = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(stored.private_key.expose())
            .map_err(|_| Error::Store("the stored DPoP key is not base64url".into()))?;
        let key = DpopKey::from_pkcs8(&pkcs8)?;
        if key.jkt != stored.jkt {
            return Err(Error::Store("the stored DPoP key does not match its recorded thumbprint".into()));
        }
        Ok(key)
    }

    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    pub(super) fn sign(&self, header: &Value, claims: &Value) -> Result<String> {
        jws::sign_es256(&self.pair, &self.rng, header, claims)
    }

    pub(super) fn jti(&self) -> Result<String> {
        jws::random_jti(&self.rng)
    }
}

/// The stored key of `issuer`'s client `client_id`, if there is one. The record names both,
/// checked again: a record copied under another client's entry is not this client's key.
pub fn load(store: &Store, issuer: &str, client_id: &str, profile: Option<&str>) -> Result<Option<DpopKey>> {
    match store.load::<StoredKey>(&keys::dpop(issuer, client_id, profile))? {
        Some(s) if s.issuer == issuer && s.client_id == client_id => DpopKey::from_stored(&s).map(Some),
        _ => Ok(None),
    }
}

/// The stored key of the client, or a new one stored first. Under the entry's lock, so two
/// logins at once agree on one key.
pub fn load_or_create(store: &Store, issuer: &str, client_id: &str, profile: Option<&str>) -> Result<DpopKey> {
    let key = keys::dpop(issuer, client_id, profile);
    let _guard = store.lock(&key)?;
    if let Some(k) = load(store, issuer, client_id, profile)? {
        return Ok(k);
    }
    let (k, stored) = DpopKey::generate(issuer, client_id, crate::clock::now())?;
    store.save(&key, &stored)?;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_comes_back_the_same_and_a_tampered_one_is_refused() {
        let (key, stored) = DpopKey::generate("https://as.example", "c", 5).unwrap();
        let json = serde_json::to_value(&stored).unwrap();
        let again = DpopKey::from_stored(&serde_json::from_value(json).unwrap()).unwrap();
        assert_eq!(again.jkt(), key.jkt());
        assert_eq!(again.public_jwk(), key.public_jwk());
        assert!(!format!("{stored:?} {key:?}").contains(stored.private_key.expose()));
        let (_, other) = DpopKey::generate("https://as.example", "c", 5).unwrap();
        let swapped = StoredKey { jkt: other.jkt, ..stored.clone() };
        assert_eq!(DpopKey::from_stored(&swapped).unwrap_err().exit_code().code(), 6);
    }

    #[test]
    fn the_key_is_stored_per_issuer_and_client() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::tests::file_store(dir.path(), None);
        let first = load_or_create(&store, "https://as.example", "c", None).unwrap();
        let again = load_or_create(&store, "https://as.example", "c", None).unwrap();
        assert_eq!(first.jkt(), again.jkt(), "a second login reuses the key");
        assert!(load(&store, "https://as.example", "other", None).unwrap().is_none());
        let other = load_or_create(&store, "https://as.example", "other", None).unwrap();
        assert_ne!(other.jkt(), first.jkt(), "another client of the issuer gets its own key");
        let first_again = load(&store, "https://as.example", "c", None).unwrap().expect("not replaced by the other");
        assert_eq!(first_again.jkt(), first.jkt());
    }
}
