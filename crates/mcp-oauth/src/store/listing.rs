//! What the stores hold, for `mcp-token --list` and `--status`: every entry of ours in every
//! backend that can hold one, with secrets removed, and where the tools store and why.

use super::file::Listed;
use super::record::{parse_record, unbind};
use super::resolve::{self, Choice};
use super::{Key, Kind, Store, keys, store_reason};
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

/// One of our records, as listed: where it is and its non-secret fields. An entry whose
/// key cannot even be read (a damaged file) has no kind, profile or key, only its `file`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// `default`, a profile name, or `~` and a hash for names that cannot appear in a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Key>,
    /// The damaged file, for an entry of the file store whose key is unreadable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The backend holding it, e.g. `docker-credential-pass` or `file`.
    pub backend: String,
    /// The record with every secret member removed (at any depth).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<Value>,
    /// The names of the secret members the record has at its top level (a token set's
    /// `refresh_token`, say), without their values: what a listing may tell of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// Why the record could not be read (then `record` is absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Store {
    /// Our records in every backend that can hold them, with secrets removed (their names
    /// kept, in [`Entry::secrets`]), sorted by kind, profile and key. Entries of other tools
    /// are left out by the key scheme; parts of split records are not listed. Costs one
    /// `list` per backend and one `get` (more for split records) per entry.
    pub fn list_entries(&self) -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for choice in self.resolver.all_backends() {
            let backend = self.backend(&choice)?;
            for listed in backend.list()? {
                let raw = match listed {
                    Listed::Key(raw) => raw,
                    Listed::Unreadable(file) => {
                        let error = Some(format!(
                            "{} is not a credential entry (a new save or mcp-revoke replaces it)",
                            file.display()
                        ));
                        let (kind, profile, key, record) = (None, None, None, None);
                        entries.push(Entry {
                            kind,
                            profile,
                            key,
                            file: Some(file),
                            backend: backend.name(),
                            record,
                            secrets: Vec::new(),
                            error,
                        });
                        continue;
                    }
                };
                let Some(parsed) = keys::parse(&raw) else {
                    continue;
                };
                let key = Key(raw);
                // Stale duplicates in a backend no longer used for this key are not ours to show.
                if parsed.part.is_some() || self.resolver.resolve(keys::authority(&key)).choice != choice {
                    continue;
                }
                let record = match self.read(&backend, &key) {
                    Ok(Some(json)) => parse_record(&key, &json).and_then(|v| unbind(&key, v)),
                    Ok(None) => continue,
                    Err(e) => Err(e),
                };
                let (record, secrets, error) = match record {
                    Ok(v) => {
                        let names = secret_names(&v);
                        (Some(without_secrets(v)), names, None)
                    }
                    Err(e) => (None, Vec::new(), Some(store_reason(&e))),
                };
                entries.push(Entry {
                    kind: Some(parsed.kind),
                    profile: Some(parsed.profile),
                    key: Some(key),
                    file: None,
                    backend: backend.name(),
                    record,
                    secrets,
                    error,
                });
            }
        }
        entries.sort_by(|a, b| (a.kind, &a.profile, &a.key, &a.file).cmp(&(b.kind, &b.profile, &b.key, &b.file)));
        Ok(entries)
    }

    /// One line saying where credentials go and why, e.g.
    /// `docker-credential-pass (credsStore in /home/me/.docker/config.json)`.
    pub fn backend_description(&self) -> String {
        let resolution = self.resolver.default_resolution();
        let what = match &resolution.choice {
            Choice::Helper(name) => format!("docker-credential-{name}"),
            Choice::File => match self.file_dir() {
                Ok(dir) => format!("file store {}", dir.display()),
                Err(_) => "file store (no home directory)".to_string(),
            },
        };
        format!("{what} ({})", self.resolver.describe(&resolution))
    }

    /// Writes one entry in another program's format through `docker-credential-<helper>`
    /// (run like ours: same search path, environment and timeout), for hand-overs.
    pub fn store_foreign(&self, helper: &str, server_url: &str, username: &str, secret: &str) -> Result<()> {
        let name = resolve::checked_name(helper).map_err(Error::Store)?;
        self.helper(name).store_as(server_url, username, secret)
    }

    /// The file store's directory and how many entries it holds, when the file store is not
    /// the store in use: entries left behind there (say, before `pass init` made `pass` the
    /// default) are invisible to every tool, and "am I logged in?" should say where they are.
    pub fn file_store_left_behind(&self) -> Option<(PathBuf, usize)> {
        if self.resolver.all_backends().contains(&Choice::File) {
            return None;
        }
        let dir = self.file_dir().ok()?;
        let count = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count();
        (count > 0).then_some((dir, count))
    }

    /// Erases, among `entries` (a listing just made), the headless hand-offs (`mcp-authorize
    /// --print-url`) whose time is up: their verifier can no longer be used, and an entry
    /// nobody will finish should not linger with it. Returns the rest of the listing and
    /// how many went. It takes a listing rather than making one, so that its callers
    /// (`--status`, `--list`, a new hand-off) list once; a cached `mcp-token` never does.
    pub fn purge_stale_pending(&self, entries: Vec<Entry>, now: u64) -> Result<(Vec<Entry>, usize)> {
        let mut kept = Vec::with_capacity(entries.len());
        let mut purged = 0;
        for e in entries {
            let expired =
                e.record.as_ref().and_then(|r| r.get("expires_at")).and_then(|v| v.as_u64()).is_some_and(|t| t <= now);
            match (e.kind, &e.key, expired) {
                (Some(keys::Kind::Pending), Some(key), true) => {
                    self.erase(key)?;
                    purged += 1;
                }
                _ => kept.push(e),
            }
        }
        Ok((kept, purged))
    }
}

/// The secret members of a record's top level that hold a value.
fn secret_names(value: &Value) -> Vec<String> {
    let members = value.as_object().into_iter().flatten();
    members.filter(|(k, v)| !v.is_null() && crate::redact::is_secret_field(k)).map(|(k, _)| k.clone()).collect()
}

/// Removes every member named like a secret, at any depth (listing shows no secret at all,
/// not even its length).
fn without_secrets(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !crate::redact::is_secret_field(k))
                .map(|(k, v)| (k, without_secrets(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_secrets).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::file_store;
    use super::*;
    use serde_json::json;

    #[test]
    fn listing_strips_secrets_recursively() {
        let v = json!({"issuer":"i","access_token":"A","nested":{"refresh_token":"R","scope":"s"},"list":[{"client_secret":"C","x":1}]});
        let shown = without_secrets(v).to_string();
        assert!(!shown.contains("\"A\"") && !shown.contains("\"R\"") && !shown.contains("\"C\""), "{shown}");
        assert!(shown.contains("\"scope\":\"s\"") && shown.contains("\"x\":1"), "{shown}");
    }

    #[test]
    fn backend_description_names_the_file_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = file_store(dir.path(), None).backend_description();
        assert!(d.starts_with("file store ") && d.contains("--credential-helper"), "{d}");
    }
}
