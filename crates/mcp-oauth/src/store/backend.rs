//! Where a record physically goes: a credential helper, or the file store. One enum, so the
//! store's logic (parts, locks, reservations) is written once for both.

use super::file::{FileStore, Listed};
use super::helper::Helper;
use super::{Key, keys, resolve};
use crate::error::Result;

pub(super) enum Backend {
    Helper(Helper),
    File(FileStore),
}

impl Backend {
    pub(super) fn get(&self, key: &Key) -> Result<Option<String>> {
        match self {
            Backend::Helper(h) => h.get(key.as_str()),
            Backend::File(f) => f.get(key.as_str()),
        }
    }

    pub(super) fn store(&self, key: &Key, secret: &str) -> Result<()> {
        match self {
            Backend::Helper(h) => h.store(key.as_str(), secret),
            Backend::File(f) => f.store(key.as_str(), secret),
        }
    }

    pub(super) fn erase(&self, key: &Key) -> Result<()> {
        match self {
            Backend::Helper(h) => h.erase(key.as_str()),
            Backend::File(f) => f.erase(key.as_str()),
        }
    }

    /// Keys of entries written with our username (and damaged files of the file store).
    pub(super) fn list(&self) -> Result<Vec<Listed>> {
        match self {
            Backend::Helper(h) => {
                Ok(h.list()?.into_iter().filter(|(_, u)| u == keys::USERNAME).map(|(k, _)| Listed::Key(k)).collect())
            }
            Backend::File(f) => f.list(),
        }
    }

    pub(super) fn name(&self) -> String {
        match self {
            Backend::Helper(h) => h.program_name(),
            Backend::File(_) => resolve::FILE.to_string(),
        }
    }
}
