//! Our own directories and files (file store, locks, rescued records) must be ours alone:
//! another local user who can write a directory there can plant a token record, a lock
//! symlink or a file that we would later read as our own.
//!
//! Every such directory goes through [`ensure_dir`]: a symbolic link or a directory owned
//! by someone else is refused; one with a loose mode (the user's own `mkdir` with a
//! permissive umask, or a `chmod 777`) is repaired to 0700 with a warning. Files are opened
//! without following symbolic links and are refused when someone else owns them.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// `O_NOFOLLOW`: a symbolic link at one of our paths is an error, not a detour.
pub(crate) fn no_follow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Creates `dir` (and its parents) or checks the existing one: not a symlink, ours, 0700.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    if check_existing(dir)? {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    builder.create(dir).map_err(|e| Error::Store(format!("cannot create {}: {e}", dir.display())))?;
    // `mode` is filtered by the umask: the leaf must be private whatever it is.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::Store(format!("cannot restrict {}: {e}", dir.display())))
}

/// Checks `dir` when it exists (reads create nothing); says whether it does.
pub(crate) fn check_existing(dir: &Path) -> Result<bool> {
    match fs::symlink_metadata(dir) {
        Ok(meta) => check_dir(dir, &meta).map(|()| true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Store(format!("cannot use {}: {e}", dir.display()))),
    }
}

fn check_dir(dir: &Path, meta: &fs::Metadata) -> Result<()> {
    if meta.file_type().is_symlink() {
        return Err(Error::Security(format!(
            "{} is a symbolic link; the credential store only uses a real directory (remove the link)",
            dir.display()
        )));
    }
    if !meta.is_dir() {
        return Err(Error::Store(format!("{} is not a directory", dir.display())));
    }
    owned_and_private(dir, meta, 0o700, |p| fs::set_permissions(dir, p))
}

/// Someone else's file or directory is refused; one others may use is restricted to
/// `private` (0700 or 0600) with a warning, since they may have changed what it holds.
fn owned_and_private(
    path: &Path,
    meta: &fs::Metadata,
    private: u32,
    restrict: impl FnOnce(fs::Permissions) -> std::io::Result<()>,
) -> Result<()> {
    if meta.uid() != euid() {
        return Err(Error::Security(format!(
            "{} belongs to user id {}, not to us ({}): refusing to use it for credentials",
            path.display(),
            meta.uid(),
            euid()
        )));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        restrict(fs::Permissions::from_mode(private))
            .map_err(|e| Error::Store(format!("{} has mode {mode:o} and cannot be restricted: {e}", path.display())))?;
        crate::events::warning!(
            "{} had mode {mode:o}, so other users could read or replace credentials there; it is now {private:o}",
            path.display()
        );
    }
    Ok(())
}

/// Opens one of our files for reading: `Ok(None)` when absent; an error for a symlink or a
/// file someone else owns; a file others may read is restricted to 0600 with a warning.
pub(crate) fn open_file(path: &Path) -> Result<Option<File>> {
    let file = match OpenOptions::new().read(true).custom_flags(no_follow()).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if is_symlink(path) => {
            return Err(Error::Security(format!(
                "{} is a symbolic link ({e}); refusing to read credentials through it (remove it)",
                path.display()
            )));
        }
        Err(e) => return Err(Error::Store(format!("cannot read {}: {e}", path.display()))),
    };
    let meta = file.metadata().map_err(|e| Error::Store(format!("cannot stat {}: {e}", path.display())))?;
    owned_and_private(path, &meta, 0o600, |p| file.set_permissions(p))?;
    Ok(Some(file))
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Writes a new 0600 file that must not exist yet (O_EXCL: never through a planted link).
pub(crate) fn write_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Replaces `path` whole with a 0600 file holding `data`: written beside it under a
/// random name (O_EXCL), then renamed over it, so a reader sees the old file or the new one.
/// Not synced to disk: for files worth less than the 10-20 ms an fsync costs (a HAR).
pub fn replace_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", super::random_id()));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(data))
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Makes a rename or removal in `dir` durable; a failure here loses nothing.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).expect("stat").mode() & 0o777
    }

    #[test]
    fn loose_directories_are_repaired_and_links_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("a/b");
        ensure_dir(&dir).expect("create");
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).expect("chmod");
        ensure_dir(&dir).expect("repair");
        assert_eq!(mode(&dir), 0o700);

        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).expect("symlink");
        let err = ensure_dir(&link).expect_err("a link");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Security);
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    #[test]
    fn files_are_not_read_through_links_and_loose_modes_are_repaired() {
        let root = tempfile::tempdir().expect("tempdir");
        let target = root.path().join("elsewhere");
        fs::write(&target, "x").expect("write");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).expect("chmod");
        let link = root.path().join("entry");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = open_file(&link).expect_err("a link");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Security);
        assert!(open_file(&root.path().join("absent")).expect("absent").is_none());
        assert!(open_file(&target).expect("own file").is_some());
        assert_eq!(mode(&target), 0o600);
    }
}
