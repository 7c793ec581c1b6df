//! One record per key, moved whole or split into parts: [`Store::load`], [`Store::save`]
//! and [`Store::erase`], the verified read of a head and its parts (retried while a
//! concurrent save replaces them), the layout each key was last seen in (so a save knows
//! which old parts to erase without reading first), and the key every record names.

use super::backend::Backend;
use super::chunk::{self, Encoded, Head};
use super::{Key, Store, keys, random_id, store_reason};
use crate::error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// How the entry under a key was last seen by this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Layout {
    Absent,
    Whole,
    Split { generation: String, count: usize },
}

impl Store {
    /// `Ok(None)` when there is no entry.
    pub fn load<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>> {
        let backend = self.backend_for(key)?;
        let Some(json) = self.read(&backend, key)? else {
            return Ok(None);
        };
        let value = unbind(key, parse_record(key, &json)?)?;
        serde_json::from_value(value).map(Some).map_err(|e| shape_error(key, &e))
    }

    pub fn save<T: Serialize>(&self, key: &Key, value: &T) -> Result<()> {
        let serialise = |e: serde_json::Error| Error::Internal(format!("cannot serialise the record for {key}: {e}"));
        let mut record = serde_json::to_value(value).map_err(serialise)?;
        // Every record names its key, so an answer with another entry's record is noticed.
        if let Value::Object(members) = &mut record {
            members.insert(BINDING.to_string(), Value::String(key.0.clone()));
        }
        let json = serde_json::to_string(&record).map_err(serialise)?;
        let backend = self.backend_for(key)?;
        let encoded = chunk::encode(json, &self.limits(&backend), random_id)
            .map_err(|why| Error::Store(format!("cannot save {key}: {why}")))?;
        let previous = self.previous_layout(&backend, key, "overwriting");
        let layout = match &encoded {
            Encoded::Whole(secret) => {
                backend.store(key, secret)?;
                Layout::Whole
            }
            Encoded::Split { head, generation, parts } => {
                for (n, part) in parts.iter().enumerate() {
                    if let Err(e) = backend.store(&keys::part(key, generation, n), part) {
                        erase_parts(&backend, key, generation, n);
                        return Err(e);
                    }
                }
                // Last: until now readers still get the previous, complete generation.
                if let Err(e) = backend.store(key, head) {
                    erase_parts(&backend, key, generation, parts.len());
                    return Err(e);
                }
                Layout::Split { generation: generation.clone(), count: parts.len() }
            }
        };
        if let Layout::Split { generation, count } = previous {
            erase_parts(&backend, key, &generation, count);
        }
        self.remember(key, layout);
        Ok(())
    }

    /// Erasing a missing entry is not an error.
    pub fn erase(&self, key: &Key) -> Result<()> {
        let backend = self.backend_for(key)?;
        // The head is erased even when believed absent: another process may have saved it since.
        let previous = self.previous_layout(&backend, key, "erasing");
        backend.erase(key)?;
        if let Layout::Split { generation, count } = previous {
            erase_parts(&backend, key, &generation, count);
        }
        self.remember(key, Layout::Absent);
        Ok(())
    }

    /// The key's record as stored: one `get`, or the head and its parts, verified.
    pub(super) fn read(&self, backend: &Backend, key: &Key) -> Result<Option<String>> {
        let corrupt = |why: String| Error::Store(format!("the record under {key} is unusable: {why}"));
        let mut head = backend.get(key)?;
        for attempt in 1..=READ_ATTEMPTS {
            let Some(secret) = head else {
                self.remember(key, Layout::Absent);
                return Ok(None);
            };
            let manifest = match chunk::parse_head(secret.clone()).map_err(corrupt)? {
                Head::Whole(json) => {
                    self.remember(key, Layout::Whole);
                    return Ok(Some(json));
                }
                Head::Split(manifest) => manifest,
            };
            self.remember(key, Layout::Split { generation: manifest.generation.clone(), count: manifest.count });
            let why = match self.read_parts(backend, key, &manifest)? {
                Ok(json) => return Ok(Some(json)),
                Err(why) => why,
            };
            // A concurrent save writes its parts, then the head, then erases the parts of the
            // head we read: a changed head means "read again", an unchanged one is damage.
            let again = backend.get(key)?;
            if attempt == READ_ATTEMPTS || again.as_ref() == Some(&secret) {
                return Err(corrupt(why));
            }
            head = again;
        }
        unreachable!("the last attempt returns")
    }

    /// The parts a manifest names, joined and verified; `Ok(Err(why))` when they are not
    /// (all there and) of its generation.
    fn read_parts(&self, backend: &Backend, key: &Key, manifest: &chunk::Manifest) -> Result<Result<String, String>> {
        let mut parts = Vec::with_capacity(manifest.count);
        for n in 0..manifest.count {
            match backend.get(&keys::part(key, &manifest.generation, n))? {
                Some(part) => parts.push(part),
                None => return Ok(Err(format!("part {n} of {} is missing", manifest.count))),
            }
        }
        Ok(chunk::join(manifest, &parts))
    }

    /// What the entry held before this save or erase: known from an earlier call, else read.
    /// An entry that cannot be read is replaced all the same (with a warning): refusing
    /// would leave a damaged entry that no save and no erase can repair.
    fn previous_layout(&self, backend: &Backend, key: &Key, doing: &str) -> Layout {
        if let Some(layout) = self.layouts.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            return layout.clone();
        }
        let head = backend.get(key).and_then(|h| h.map(chunk::parse_head).transpose().map_err(Error::Store));
        match head {
            Ok(None) => Layout::Absent,
            Ok(Some(Head::Split(m))) => Layout::Split { generation: m.generation, count: m.count },
            Ok(Some(Head::Whole(_))) => Layout::Whole,
            Err(e) => {
                crate::events::warning!("cannot read the entry under {key} ({}); {doing} it", store_reason(&e));
                Layout::Whole
            }
        }
    }

    fn remember(&self, key: &Key, layout: Layout) {
        self.layouts.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), layout);
    }
}

/// Reads racing a save see a new head at most this many times in a row before giving up.
const READ_ATTEMPTS: usize = 8;
/// The member naming a record's own key (removed again when the record is read).
const BINDING: &str = "mcp_oauth_key";

pub(super) fn parse_record(key: &Key, json: &str) -> Result<Value> {
    serde_json::from_str(json).map_err(|_| Error::Store(format!("the record under {key} is not JSON")))
}

/// Checks and removes the key a record names. Records saved before records named their
/// key have none, and are taken as they are.
pub(super) fn unbind(key: &Key, mut record: Value) -> Result<Value> {
    if let Value::Object(members) = &mut record {
        match members.remove(BINDING) {
            None => {}
            Some(Value::String(k)) if k == key.0 => {}
            Some(other) => {
                return Err(Error::Store(format!(
                    "asked for {key}, the store answered with the record of {}; refusing it",
                    other.as_str().unwrap_or("another entry")
                )));
            }
        }
    }
    Ok(record)
}

/// Best effort: a part left behind is garbage, not a wrong value (no head names it).
fn erase_parts(backend: &Backend, key: &Key, generation: &str, count: usize) {
    for n in 0..count {
        let _ = backend.erase(&keys::part(key, generation, n));
    }
}

/// A record that does not deserialize as what its key holds.
pub(crate) fn shape_error(key: &Key, e: &serde_json::Error) -> Error {
    // serde's message can quote the data, which may be a secret: its kind only.
    Error::Store(format!("the record under {key} does not have the expected shape ({:?} error)", e.classify()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::file_store;
    use super::*;
    use serde_json::json;

    #[test]
    fn split_records_round_trip_and_old_parts_are_cleaned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = file_store(dir.path(), Some(100));
        let key = keys::token("https://mcp.example/mcp", None);
        let big = json!({"access_token": "x".repeat(1000), "scope": "a"});
        store.save(&key, &big).expect("save split");
        let files = || std::fs::read_dir(dir.path().join("config/credentials")).expect("dir").count();
        let split_files = files();
        assert!(split_files > 10, "{split_files}");
        assert_eq!(store.load::<Value>(&key).expect("load"), Some(big.clone()));
        // A fresh store (no remembered layout) must still find and clean the old parts.
        let fresh = file_store(dir.path(), Some(100));
        fresh.save(&key, &json!({"small": true})).expect("save whole");
        assert_eq!(files(), 1);
        fresh.save(&key, &big).expect("split again");
        fresh.erase(&key).expect("erase");
        assert_eq!(files(), 0);
        assert_eq!(fresh.load::<Value>(&key).expect("load"), None);
    }

    #[test]
    fn wrong_shape_is_a_store_error_without_the_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = file_store(dir.path(), None);
        let key = keys::client("https://as.example", None);
        store.save(&key, &json!({"n": "SECRET-VALUE"})).expect("save");
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wants {
            n: u64,
        }
        let err = store.load::<Wants>(&key).expect_err("shape");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Store);
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
