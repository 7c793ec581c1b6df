//! The plain file store, used when no credential helper is configured or installed.
//!
//! One file per entry, `<dir>/<sha256 of the key>.json`, holding the same
//! `{"ServerURL","Username","Secret"}` object a helper would get, so entries are
//! independent (writers of different keys never touch the same file) and listing needs no
//! index. Files are mode 0600 in a 0700 directory and replaced atomically (write a
//! temporary file, fsync, rename), so a reader sees the old or the new entry, never a mix.

use super::keys::USERNAME;
use crate::error::{Error, Result};
use serde_json::Value;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Docker warns about unencrypted credentials; we do once per process.
static WARNED: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Clone)]
pub(crate) struct FileStore {
    pub dir: PathBuf,
    /// Chosen as a fallback rather than asked for: say so when writing.
    pub warn: bool,
}

impl FileStore {
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        let path = self.path(key);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::Store(format!("cannot read {}: {e}", path.display()))),
        };
        let (server_url, secret) = parse_entry(&text).ok_or_else(|| {
            Error::Store(format!("{} is not a credential entry (delete it to start over)", path.display()))
        })?;
        if server_url != key {
            return Err(Error::Store(format!("{} holds another key than its name says", path.display())));
        }
        Ok(Some(secret))
    }

    pub fn store(&self, key: &str, secret: &str) -> Result<()> {
        if self.warn && !WARNED.swap(true, Ordering::Relaxed) {
            crate::say!(
                "warning: no credential helper configured; credentials are stored unencrypted in {}",
                self.dir.display()
            );
        }
        self.ensure_dir()?;
        let entry = serde_json::json!({"ServerURL": key, "Username": USERNAME, "Secret": secret}).to_string();
        let path = self.path(key);
        let tmp = self.dir.join(format!(".{}.tmp", super::random_id()));
        let written = write_new_private(&tmp, entry.as_bytes()).and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::Store(format!("cannot write {}: {e}", path.display())));
        }
        // The rename is only durable once the directory is; a failure here loses nothing.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub fn erase(&self, key: &str) -> Result<()> {
        let path = self.path(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Store(format!("cannot delete {}: {e}", path.display()))),
        }
    }

    /// Every key in the store (entries that cannot be read are skipped: listing is advisory).
    pub fn list(&self) -> Result<Vec<String>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::Store(format!("cannot list {}: {e}", self.dir.display())));
            }
        };
        let mut keys = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            if let Some((key, _)) = fs::read(&path).ok().as_deref().and_then(parse_entry) {
                keys.push(key);
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.json", super::keys::b64_sha256(key)))
    }

    fn ensure_dir(&self) -> Result<()> {
        create_private_dir(&self.dir)
    }
}

/// Creates `dir` (and parents) with mode 0700 on the last component.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    builder.create(dir).map_err(|e| Error::Store(format!("cannot create {}: {e}", dir.display())))?;
    // `mode` is filtered by the umask and does not apply to parents; the leaf must be private.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::Store(format!("cannot restrict {}: {e}", dir.display())))
}

fn write_new_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

fn parse_entry(text: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(text).ok()?;
    Some((v.get("ServerURL")?.as_str()?.to_string(), v.get("Secret")?.as_str()?.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_modes_and_atomic_replace() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = FileStore { dir: root.path().join("a/b/credentials"), warn: false };
        assert_eq!(store.get("https://k").expect("get"), None);
        assert!(store.list().expect("list").is_empty());
        store.store("https://k", "one\n").expect("store");
        store.store("https://k", "two\n\n").expect("overwrite");
        assert_eq!(store.get("https://k").expect("get").as_deref(), Some("two\n\n"));
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&store.dir), 0o700);
        let files: Vec<PathBuf> = fs::read_dir(&store.dir).expect("dir").flatten().map(|e| e.path()).collect();
        assert_eq!(files.len(), 1, "no temporary files left: {files:?}");
        assert_eq!(mode(&files[0]), 0o600);
        assert_eq!(store.list().expect("list"), vec!["https://k".to_string()]);
        store.erase("https://k").expect("erase");
        store.erase("https://k").expect("erase of a missing entry");
        assert_eq!(store.get("https://k").expect("get"), None);
    }

    #[test]
    fn corrupt_entries_are_errors_not_values() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = FileStore { dir: root.path().to_path_buf(), warn: false };
        store.store("https://k", "s").expect("store");
        fs::write(store.path("https://k"), b"{\"ServerURL\":\"https://k\",\"Secr").expect("truncate");
        let err = store.get("https://k").expect_err("corrupt");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Store);
        assert!(store.list().expect("list").is_empty());
    }
}
