//! Records that must not be lost when the store refuses them: a refreshed token set (the
//! server has already rotated the refresh token, so the stored one is spent) or the result
//! of a finished login.
//!
//! [`keep`] writes such a record to `<config dir>/rescue/<key hash>.<random>.json`: a new
//! file (O_EXCL), mode 0600 in a 0700 directory, never the credential helper that just
//! failed. It also notes what the store held under the key at that moment. [`recover`],
//! run by every tool when it opens the store, saves the record under the key's lock if the
//! store still holds that same thing, and removes the file only after the store accepted
//! it; when the key was saved again since (a new login), the rescued record is older than
//! what is stored and is dropped.

use super::file::FileStore;
use super::{Key, Store, keys, private, store_reason};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DIR: &str = "rescue";
/// A rescue file is written in one go; one that is unreadable this long after was cut short.
const STALE: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize, Deserialize)]
struct Rescued {
    key: String,
    /// What the store held under the key when the save failed.
    previous: Previous,
    record: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Previous {
    Absent,
    /// The SHA-256 of the head entry (a whole record, or a split record's manifest).
    Head(String),
    /// The store could not even be read.
    Unknown,
}

/// What the store holds under `key` now, as [`Previous`].
fn previous(store: &Store, key: &Key) -> Result<Previous> {
    Ok(match store.backend_for(key)?.get(key)? {
        None => Previous::Absent,
        Some(head) => Previous::Head(keys::b64_sha256(&head)),
    })
}

/// What a record under `key` is, for messages, with its verb.
fn what(key: &Key) -> (&'static str, &'static str) {
    match keys::parse(key.as_str()).map(|k| k.kind) {
        Some(keys::Kind::Token) => ("tokens", "are"),
        Some(keys::Kind::Client) => ("client registration", "is"),
        _ => ("record", "is"),
    }
}

/// Keeps `value` aside after `cause` made its save fail; returns the error to report.
pub(super) fn keep<T: Serialize>(store: &Store, key: &Key, value: &T, cause: Error) -> Error {
    let kept = (|| -> Result<PathBuf> {
        let record = serde_json::to_value(value).map_err(|e| Error::Internal(format!("cannot serialise: {e}")))?;
        let previous = previous(store, key).unwrap_or(Previous::Unknown);
        let rescued = Rescued { key: key.0.clone(), previous, record };
        let json = serde_json::to_vec(&rescued).map_err(|e| Error::Internal(format!("cannot serialise: {e}")))?;
        let dir = store.own_dir(DIR)?;
        let name = format!("{}.{}.json", &keys::b64_sha256(key.as_str())[..22], super::random_id());
        let path = dir.join(name);
        private::write_new(&path, &json).map_err(|e| {
            let _ = fs::remove_file(&path);
            Error::Store(format!("cannot write {}: {e}", path.display()))
        })?;
        private::sync_dir(&dir);
        Ok(path)
    })();
    let cause = store_reason(&cause);
    Error::Store(match kept {
        Ok(path) => format!(
            "{cause}; the new {} {} not lost: kept in {} for the next run of any mcp-oauth tool to store",
            what(key).0,
            what(key).1,
            path.display()
        ),
        Err(e) => format!("{cause}; keeping the new {} aside failed too ({}): lost", what(key).0, store_reason(&e)),
    })
}

/// Stores what earlier runs kept aside or left half-written. Never fails: what cannot be
/// stored yet stays for the next run, with a warning.
pub(super) fn recover(store: &Store) {
    if let Ok(dir) = store.file_dir() {
        let files = FileStore { dir, warn: false };
        for key in files.recover_temporaries(&|k| store.lock(&Key(k.to_string()))) {
            crate::events::notice!("finished saving {key}, which a process that died had written but not put in place");
        }
    }
    let Ok(dir) = store.config_dir().map(|c| c.join(DIR)) else {
        return;
    };
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    if let Err(e) = private::check_existing(&dir) {
        crate::events::warning!("not using {}: {}", dir.display(), store_reason(&e));
        return;
    }
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let rescued = match read(&path) {
            Ok(r) => r,
            // Planted: not ours to read, nor to delete.
            Err(e) if matches!(e.bare(), Error::Security(_)) => {
                crate::events::warning!("{}", store_reason(&e));
                continue;
            }
            Err(e) => {
                // Unreadable for a moment while being written; unreadable for good when cut short.
                let stale =
                    entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().unwrap_or_default() > STALE);
                if stale {
                    let _ = fs::remove_file(&path);
                    crate::events::warning!("removed {}: {}", path.display(), store_reason(&e));
                }
                continue;
            }
        };
        let key = Key(rescued.key.clone());
        match apply(store, &key, &rescued, &path) {
            Ok(None) => {}
            Ok(Some(true)) => {
                crate::events::notice!(
                    "stored the {} for {key} that an earlier run kept aside when its save failed",
                    what(&key).0
                )
            }
            Ok(Some(false)) => crate::events::notice!(
                "dropped the {} for {key} kept aside by an earlier run: the entry was saved again since",
                what(&key).0
            ),
            Err(e) => crate::events::warning!(
                "what was kept aside in {} still cannot be stored ({}); the next run tries again",
                path.display(),
                store_reason(&e)
            ),
        }
    }
}

fn read(path: &Path) -> Result<Rescued> {
    let mut text = Vec::new();
    if let Some(mut f) = private::open_file(path)? {
        f.read_to_end(&mut text).map_err(|e| Error::Store(format!("cannot read {}: {e}", path.display())))?;
    }
    let rescued: Rescued = serde_json::from_slice(&text).map_err(|_| Error::Store("not a rescued record".into()))?;
    if keys::parse(&rescued.key).is_none_or(|k| k.part.is_some()) {
        return Err(Error::Store("not a rescued record".into()));
    }
    Ok(rescued)
}

/// Saves the rescued record if the store still holds what it held when the save failed
/// (or holds something unreadable: the rescued record is better than a damaged entry), and
/// removes the file, all under the key's lock. `None`: another run got there first.
fn apply(store: &Store, key: &Key, rescued: &Rescued, path: &Path) -> Result<Option<bool>> {
    let _guard = store.lock(key)?;
    if !path.exists() {
        return Ok(None);
    }
    let superseded =
        matches!(previous(store, key), Ok(now) if rescued.previous != Previous::Unknown && now != rescued.previous);
    if !superseded {
        store.save(key, &rescued.record)?;
    }
    let _ = fs::remove_file(path);
    if let Some(dir) = path.parent() {
        private::sync_dir(dir);
    }
    Ok(Some(!superseded))
}
