//! Reserve, then spend, then commit: a refresh token is not spent (nor a login finished)
//! unless the result can be kept. The reservation proves the store can take a record before
//! the irreversible request; the commit saves it, or keeps it in a rescue file.

use super::{Backend, Key, Store, file, keys, random_id, rescue, store_reason};
use crate::error::{Error, Result};
use serde::Serialize;

impl Store {
    /// Checks, before an irreversible step (spending a refresh token, redeeming a code),
    /// that a record for `key` can be saved: room set aside in the file store, or a
    /// throwaway `store` accepted by the helper. Then [`Store::commit`] saves the result.
    pub fn reserve(&self, key: &Key) -> Result<Reservation> {
        let backend = self.backend_for(key)?;
        let ballast = match &backend {
            Backend::File(f) => f.reserve(RESERVED_BYTES).map(Some),
            Backend::Helper(_) => {
                // A part no head names: no reader ever sees it, whatever happens next.
                let probe = keys::part(key, &random_id(), 0);
                let stored = backend.store(&probe, "probe");
                let _ = backend.erase(&probe);
                stored.map(|()| None)
            }
        };
        let ballast = ballast.map_err(|e| {
            Error::Store(format!("{key} cannot be saved now, so nothing was sent to the server: {}", store_reason(&e)))
        })?;
        Ok(Reservation { key: key.clone(), _ballast: ballast })
    }

    /// Saves the record that a reservation was taken for. Should the save fail all the same,
    /// the record is kept in a private rescue file that the next run of any tool stores
    /// (see [`Store::recover`]), and the error says so.
    pub fn commit<T: Serialize>(&self, reservation: Reservation, value: &T) -> Result<()> {
        let Reservation { key, _ballast } = reservation;
        // The room set aside is what the save is about to need.
        drop(_ballast);
        match self.save(&key, value) {
            Ok(()) => Ok(()),
            Err(e) => Err(rescue::keep(self, &key, value, e)),
        }
    }
}

/// Room and permission to save one key, from [`Store::reserve`].
#[must_use = "a reservation is used by Store::commit"]
pub struct Reservation {
    key: Key,
    _ballast: Option<file::Ballast>,
}

impl Reservation {
    pub fn key(&self) -> &Key {
        &self.key
    }
}

/// A token set is a few KB; its largest part, a JWT, rarely 10 KB.
const RESERVED_BYTES: usize = 64 * 1024;
