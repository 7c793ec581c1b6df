//! The plain file store, used when no credential helper is configured or installed.
//!
//! One file per entry, `<dir>/<sha256 of the key>.json`, holding the same
//! `{"ServerURL","Username","Secret"}` object a helper would get, so entries are
//! independent (writers of different keys never touch the same file) and listing needs no
//! index. Files are mode 0600 in a 0700 directory and replaced atomically (write a
//! temporary file, fsync, rename), so a reader sees the old or the new entry, never a mix.

use super::keys::USERNAME;
use super::private;
use crate::error::{Error, Result};
use serde_json::Value;
use std::fs;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Docker warns about unencrypted credentials; we do once per process, for new entries.
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
        let Some(mut file) = private::open_file(&path)? else {
            return Ok(None);
        };
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(|e| Error::Store(format!("cannot read {}: {e}", path.display())))?;
        let (server_url, secret) =
            parse_entry(&text).ok_or_else(|| Error::Store(format!("{} is not a credential entry", path.display())))?;
        if server_url != key {
            return Err(Error::Store(format!("{} holds another key than its name says", path.display())));
        }
        Ok(Some(secret))
    }

    pub fn store(&self, key: &str, secret: &str) -> Result<()> {
        // Said when a new entry is made (a login, a registration), not on every refresh that
        // replaces one: a notice repeated by every CI run is a notice nobody reads.
        if self.warn && !self.path(key).exists() && !WARNED.swap(true, Ordering::Relaxed) {
            crate::events::warning!(
                "credentials are stored unencrypted in {}: name a helper with credsStore in ~/.docker/config.json (or --credential-helper NAME), or --credential-helper file to keep this and not be told",
                self.dir.display()
            );
        }
        self.ensure_dir()?;
        let entry = serde_json::json!({"ServerURL": key, "Username": USERNAME, "Secret": secret}).to_string();
        let path = self.path(key);
        let tmp = self.dir.join(temporary_name(TMP));
        let written = private::write_new(&tmp, entry.as_bytes()).and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::Store(format!("cannot write {}: {e}", path.display())));
        }
        // The rename is only durable once the directory is.
        private::sync_dir(&self.dir);
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

    /// Every key in the store, and the files that are not readable entries (listing must
    /// show those too: they are what a user has to repair).
    pub fn list(&self) -> Result<Vec<Listed>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::Store(format!("cannot list {}: {e}", self.dir.display())));
            }
        };
        let mut listed = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") || entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            listed.push(match fs::read(&path).ok().as_deref().and_then(parse_entry) {
                Some((key, _)) => Listed::Key(key),
                None => Listed::Unreadable(path),
            });
        }
        listed.sort();
        Ok(listed)
    }

    /// Sets aside `bytes` of room in the store's file system, so that a save after an
    /// irreversible step does not meet a full disk. Freed when the guard drops.
    pub fn reserve(&self, bytes: usize) -> Result<Ballast> {
        self.ensure_dir()?;
        let path = self.dir.join(temporary_name(RESERVE));
        if let Err(e) = private::write_new(&path, &vec![0u8; bytes]) {
            let _ = fs::remove_file(&path);
            return Err(Error::Store(format!("cannot write to {}: {e}", self.dir.display())));
        }
        Ok(Ballast { path })
    }

    /// Temporary files of processes that died between writing and renaming. A complete one
    /// that is newer than the entry it was meant to replace holds the newest tokens (the
    /// refresh token in the entry may already be spent): it is moved into place under the
    /// key's lock. Anything else stale is removed. Returns the keys recovered.
    pub fn recover_temporaries(&self, lock: &dyn Fn(&str) -> Result<super::KeyLock>) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let (mut recovered, mut changed) = (Vec::new(), false);
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(kind) = stale_kind(&name, || entry.metadata().ok()) else {
                continue;
            };
            let tmp = entry.path();
            let complete = if kind == TMP { fs::read(&tmp).ok() } else { None };
            changed = true;
            let Some((key, _)) = complete.as_deref().and_then(parse_entry) else {
                let _ = fs::remove_file(&tmp);
                continue;
            };
            let Ok(_guard) = lock(&key) else { continue };
            let target = self.path(&key);
            let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
            // Only over an older entry: with no entry at all it may have been erased since.
            let newer = matches!((modified(&tmp), modified(&target)), (Some(t), Some(e)) if t > e);
            if newer && fs::rename(&tmp, &target).is_ok() {
                recovered.push(key);
            } else {
                let _ = fs::remove_file(&tmp);
            }
        }
        // Only when something moved: an fsync of the directory on every run would cost more
        // than the whole cached read.
        if changed {
            private::sync_dir(&self.dir);
        }
        recovered
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.json", super::keys::b64_sha256(key)))
    }

    fn ensure_dir(&self) -> Result<()> {
        private::ensure_dir(&self.dir)
    }
}

/// A key, or a file in the store that does not hold one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Listed {
    Key(String),
    Unreadable(PathBuf),
}

/// Room set aside by [`FileStore::reserve`].
#[derive(Debug)]
pub(crate) struct Ballast {
    path: PathBuf,
}

impl Drop for Ballast {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

const TMP: &str = "tmp";
const RESERVE: &str = "reserve";
/// A write takes milliseconds: a temporary file this old was left by a process that died.
const STALE_TMP: Duration = Duration::from_secs(60);
/// Room is held across a whole login (its callback timeout): give it far longer.
const STALE_RESERVE: Duration = Duration::from_secs(6 * 3600);

/// `.<random>.<kind>`: hidden, so neither listing nor a reader takes it for an entry.
fn temporary_name(kind: &str) -> String {
    format!(".{}.{kind}", super::random_id())
}

/// Which kind of temporary file `name` is, if it is one that nobody is still writing
/// (entries are only looked at, `meta`, when their name says they are temporary).
fn stale_kind(name: &str, meta: impl FnOnce() -> Option<fs::Metadata>) -> Option<&'static str> {
    let kind = [TMP, RESERVE].into_iter().find(|k| name.starts_with('.') && name.ends_with(&format!(".{k}")))?;
    let age = meta()?.modified().ok()?.elapsed().unwrap_or_default();
    let limit = if kind == TMP { STALE_TMP } else { STALE_RESERVE };
    (age > limit).then_some(kind)
}

fn parse_entry(text: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(text).ok()?;
    Some((v.get("ServerURL")?.as_str()?.to_string(), v.get("Secret")?.as_str()?.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::SystemTime;

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
        assert_eq!(store.list().expect("list"), vec![Listed::Key("https://k".to_string())]);
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
        assert_eq!(
            store.list().expect("list"),
            vec![Listed::Unreadable(store.path("https://k"))],
            "listed, not skipped"
        );
    }

    fn age(path: &Path, seconds: u64) {
        let when = SystemTime::now() - Duration::from_secs(seconds);
        fs::File::options().write(true).open(path).expect("open").set_modified(when).expect("set mtime");
    }

    /// What a process killed between write and rename leaves behind.
    fn leave_temporary(store: &FileStore, key: &str, secret: &str, seconds_ago: u64) -> PathBuf {
        let tmp = store.dir.join(temporary_name(TMP));
        let entry = serde_json::json!({"ServerURL": key, "Username": USERNAME, "Secret": secret}).to_string();
        private::write_new(&tmp, entry.as_bytes()).expect("write tmp");
        age(&tmp, seconds_ago);
        tmp
    }

    #[test]
    fn temporaries_of_dead_writers_are_recovered_or_removed() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = FileStore { dir: root.path().join("credentials"), warn: false };
        let locks = root.path().join("locks");
        let lock = |k: &str| super::super::lock::acquire(&locks, k, Duration::from_secs(5));
        store.store("https://a", "old-a").expect("store");
        age(&store.path("https://a"), 600);
        store.store("https://b", "new-b").expect("store");
        // Newer than its entry: the newest tokens, put in place.
        leave_temporary(&store, "https://a", "new-a", 300);
        // Older than its entry, or for an entry that is gone: dropped.
        leave_temporary(&store, "https://b", "old-b", 300);
        leave_temporary(&store, "https://gone", "x", 300);
        // Cut short, and room set aside by a process that died long ago: removed.
        let cut = store.dir.join(temporary_name(TMP));
        fs::write(&cut, b"{\"ServerURL\":\"https://a\",\"Sec").expect("write");
        age(&cut, 300);
        let ballast = store.reserve(16).expect("reserve");
        let ballast_path = ballast.path.clone();
        std::mem::forget(ballast);
        age(&ballast_path, 7 * 3600);
        // Still being written: left alone.
        let live = leave_temporary(&store, "https://a", "newest-a", 0);

        assert_eq!(store.recover_temporaries(&lock), vec!["https://a".to_string()]);
        assert_eq!(store.get("https://a").expect("get").as_deref(), Some("new-a"));
        assert_eq!(store.get("https://b").expect("get").as_deref(), Some("new-b"));
        assert_eq!(store.get("https://gone").expect("get"), None);
        let mut left: Vec<PathBuf> = fs::read_dir(&store.dir).expect("dir").flatten().map(|e| e.path()).collect();
        left.sort();
        let mut expected = vec![store.path("https://a"), store.path("https://b"), live];
        expected.sort();
        assert_eq!(left, expected);
    }

    #[test]
    fn room_is_set_aside_and_given_back() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = FileStore { dir: root.path().join("credentials"), warn: false };
        let ballast = store.reserve(4096).expect("reserve");
        assert_eq!(fs::metadata(&ballast.path).expect("stat").len(), 4096);
        assert!(store.list().expect("list").is_empty(), "not an entry");
        let path = ballast.path.clone();
        drop(ballast);
        assert!(!path.exists());
    }
}
