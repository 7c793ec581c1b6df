//! Per-key exclusive locks across processes, for read-modify-write of one entry (two CI jobs
//! refreshing the same token must not lose a refresh token).
//!
//! The lock is an advisory `flock` on `<dir>/<sha256 of the key>.lock`, waited for in short
//! polls up to a bound. The file is removed on release so locks of one-off keys (pending
//! hand-offs) do not pile up; because a waiter may have opened the file just before it was
//! removed, a lock only counts when the file it holds is still the one at the path.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Held while a key is being read, modified and written; released on drop.
pub struct KeyLock {
    path: PathBuf,
    // Closing the file releases the flock; it must outlive the removal of the path.
    _file: File,
}

impl std::fmt::Debug for KeyLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLock").field("path", &self.path).finish()
    }
}

impl Drop for KeyLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

pub(crate) fn acquire(dir: &Path, key: &str, timeout: Duration) -> Result<KeyLock> {
    super::private::ensure_dir(dir)?;
    let path = dir.join(format!("{}.lock", super::keys::b64_sha256(key)));
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            // A planted link would make us create or truncate whatever it points to.
            .custom_flags(super::private::no_follow())
            .open(&path)
            .map_err(|e| open_error(&path, e))?;
        match file.try_lock() {
            Ok(()) if same_file(&file, &path) => return Ok(KeyLock { path, _file: file }),
            // Removed or replaced by the previous holder after we opened it: try the new one.
            Ok(()) => continue,
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(Error::Store(format!("cannot lock {}: {e}", path.display())));
            }
        }
        drop(file);
        if Instant::now() >= deadline {
            return Err(Error::Store(format!(
                "{key} stayed locked by another process for {} s; giving up (lock file {})",
                timeout.as_secs(),
                path.display()
            )));
        }
        std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

fn open_error(path: &Path, e: std::io::Error) -> Error {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Error::Security(format!(
            "the lock file {} is a symbolic link; refusing to follow it (remove it)",
            path.display()
        ));
    }
    Error::Store(format!("cannot open the lock file {}: {e}", path.display()))
}

fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_bounded_and_released_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = acquire(dir.path(), "https://k", Duration::from_secs(1)).expect("first");
        let started = Instant::now();
        let err = acquire(dir.path(), "https://k", Duration::from_millis(200)).expect_err("second must wait");
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert!(err.to_string().contains("stayed locked"), "{err}");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Store);
        // Other keys are independent.
        let _other = acquire(dir.path(), "https://other", Duration::from_millis(100)).expect("other key");
        drop(held);
        let again = acquire(dir.path(), "https://k", Duration::from_millis(100)).expect("after release");
        drop(again);
        drop(_other);
        assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 0, "lock files are removed");
    }

    #[test]
    fn a_symlink_at_the_lock_path_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let locks = dir.path().join("locks");
        super::super::private::ensure_dir(&locks).expect("dir");
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").expect("write");
        let path = locks.join(format!("{}.lock", super::super::keys::b64_sha256("https://k")));
        std::os::unix::fs::symlink(&victim, &path).expect("symlink");
        let err = acquire(&locks, "https://k", Duration::from_millis(100)).expect_err("refused");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Security, "{err}");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(fs::read_to_string(&victim).expect("read"), "precious");
    }
}
