//! The credential store: Docker credential helpers, with a plain-file fallback.
//!
//! API contract (other modules are written against it; keep the signatures):
//! - keys are built only by [`keys`] (client by issuer+profile, token by resource+profile,
//!   pending hand-off by state+profile);
//! - `load`/`save` move one JSON record per key (split into parts transparently when a
//!   backend's size limit requires it; a partial read is an error, never a value);
//! - `lock` serialises read-modify-write of one key across processes.

use crate::error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// `--credential-helper` / `MCP_OAUTH_CREDENTIAL_HELPER`: a helper name, or "file".
    pub helper: Option<String>,
}

impl StoreOptions {
    pub fn from_env(helper: Option<String>) -> Self {
        StoreOptions { helper }
    }
}

/// A credential-store key (the helper protocol's `ServerURL`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub mod keys {
    use super::Key;

    /// The client registration for one authorization server (bound to its issuer).
    pub fn client(_issuer: &str, _profile: Option<&str>) -> Key {
        unimplemented!("store engineer")
    }

    /// The token set for one MCP resource: derivable from the server URL alone, so a
    /// cached `mcp-token` needs exactly one `get`.
    pub fn token(_resource: &str, _profile: Option<&str>) -> Key {
        unimplemented!("store engineer")
    }

    /// A pending headless authorization, found again by its `state`.
    pub fn pending(_state: &str, _profile: Option<&str>) -> Key {
        unimplemented!("store engineer")
    }
}

/// Held while a key is being read, modified and written; released on drop.
pub struct KeyLock {}

pub struct Store {}

impl Store {
    pub fn open(_options: StoreOptions) -> Result<Store> {
        Err(Error::Internal("the credential store is not implemented yet".into()))
    }

    /// `Ok(None)` when there is no entry.
    pub fn load<T: DeserializeOwned>(&self, _key: &Key) -> Result<Option<T>> {
        Err(Error::Internal("the credential store is not implemented yet".into()))
    }

    pub fn save<T: Serialize>(&self, _key: &Key, _value: &T) -> Result<()> {
        Err(Error::Internal("the credential store is not implemented yet".into()))
    }

    /// Erasing a missing entry is not an error.
    pub fn erase(&self, _key: &Key) -> Result<()> {
        Err(Error::Internal("the credential store is not implemented yet".into()))
    }

    /// Exclusive across processes until the guard drops; gives up with an error after a timeout.
    pub fn lock(&self, _key: &Key) -> Result<KeyLock> {
        Err(Error::Internal("the credential store is not implemented yet".into()))
    }
}
