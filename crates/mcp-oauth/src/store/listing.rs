//! What the stores hold, for `mcp-token --list` and `--status`: every entry of ours in every
//! backend that can hold one, with secrets removed, and where the tools store and why.

use super::file::Listed;
use super::resolve::{self, Choice};
use super::{Entry, Key, Store, keys, parse_record, secret_names, store_reason, unbind, without_secrets};
use crate::error::{Error, Result};
use std::path::PathBuf;

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
