//! The credential store: Docker credential helpers, with a plain-file fallback.
//!
//! API contract (other modules are written against it; keep the signatures):
//! - keys are built only by [`keys`] (client by issuer+profile, token by resource+profile,
//!   pending hand-off by state+profile); the scheme is documented there;
//! - `load`/`save` move one JSON record per key (split into parts transparently when a
//!   backend's size limit requires it; a partial read is an error, never a value);
//! - `lock` serialises read-modify-write of one key across processes;
//! - `reserve` then `commit` surround an irreversible step (spending a refresh token,
//!   redeeming a code): the first checks that a save can succeed, the second keeps the
//!   record in a rescue file if the save fails all the same, and `recover` (run by every
//!   tool when it opens the store) stores rescued records later (see `rescue`);
//! - every record names its key (a member removed again on read), so an answer with another
//!   entry's record is an error; a damaged entry is overwritten by `save` and `erase`.
//!
//! This file owns the options, opening the store and the backend for a key; the rest is in
//! parts: `record` (load, save, erase: one record, whole or split), `listing` (what is
//! stored, secrets removed), `reservation` and `rescue` (reserve, commit, rescued records),
//! `lock`, `keys` (the key scheme), `resolve` (which backend), `backend`, `helper` and
//! `file` (where the bytes go), `chunk` (splitting into parts), `private` (our directories).
//!
//! The backend for a key is chosen as the Docker CLI chooses one (see `resolve`): flag or
//! `MCP_OAUTH_CREDENTIAL_HELPER`, `credHelpers`, `credsStore`, Docker's platform default,
//! else a file store under `$XDG_CONFIG_HOME/mcp-oauth` (or `~/.config/mcp-oauth`).
//!
//! Cost: every helper call is a process start (and, with pass, a gpg run). A record that
//! fits in one entry is read with exactly one `get` and written with one `store` (pass
//! overwrites in place because the username never changes). Only a split record costs more,
//! and only when the layout of the previous save is unknown to this process does a save or
//! erase first read the head, to find parts that are no longer needed.
//! `reserve` (only before a refresh, login or registration) costs a helper one `store` and
//! one `erase` of a throwaway part, or the file store a 64 KiB file; opening the store in a
//! tool (`recover`) reads two directories and runs no helper unless something was rescued.
//!
//! Environment, read by [`Store::open`] for every option left unset:
//! `MCP_OAUTH_CREDENTIAL_HELPER`, `DOCKER_CONFIG`, `HOME`, `XDG_CONFIG_HOME`, `PATH`,
//! `MCP_OAUTH_STORE_PART_SIZE` (bytes per entry), `MCP_OAUTH_HELPER_TIMEOUT` (seconds per
//! helper call, default 10), `MCP_OAUTH_LOCK_TIMEOUT` (seconds to wait for a lock, default 30).

mod backend;
mod chunk;
mod file;
mod helper;
pub mod keys;
mod listing;
mod lock;
mod private;
pub use private::replace_private;
mod record;
mod rescue;
mod reservation;
mod resolve;

pub use keys::Kind;
pub use listing::Entry;
pub use lock::KeyLock;
pub use reservation::Reservation;

use crate::error::{Error, Result};
use backend::Backend;
use chunk::Limits;
use file::FileStore;
use helper::Helper;
use record::Layout;
pub(crate) use record::shape_error;
pub(crate) use resolve::DockerConfig;
use resolve::{Choice, Origin, Resolver};
use serde::Serialize;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// wincred's `CRED_MAX_CREDENTIAL_BLOB_SIZE`.
const WINCRED_PART_SIZE: usize = 2560;
const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// How to open the store. Every field left unset is taken from the environment when the
/// store is opened (see the module docs), so tests can pin what they need.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// `--credential-helper` / `MCP_OAUTH_CREDENTIAL_HELPER`: a helper name, or "file".
    pub helper: Option<String>,
    /// Where Docker's config.json is (`$DOCKER_CONFIG`, else `~/.docker`).
    pub docker_config_dir: Option<PathBuf>,
    /// Our own directory for the file store and lock files (`$XDG_CONFIG_HOME/mcp-oauth`,
    /// else `~/.config/mcp-oauth`).
    pub config_dir: Option<PathBuf>,
    /// Largest secret per entry (`MCP_OAUTH_STORE_PART_SIZE`); the backend's own limit by default.
    pub part_size: Option<usize>,
    /// Longest a helper may run (`MCP_OAUTH_HELPER_TIMEOUT`, seconds).
    pub helper_timeout: Option<Duration>,
    /// Longest [`Store::lock`] waits (`MCP_OAUTH_LOCK_TIMEOUT`, seconds).
    pub lock_timeout: Option<Duration>,
    /// Where helpers are looked for (`PATH`); helpers themselves run with our `PATH`.
    pub search_path: Option<OsString>,
    /// Extra environment for helper processes (e.g. `GNUPGHOME`, `PASSWORD_STORE_DIR`).
    pub helper_env: Vec<(OsString, OsString)>,
}

impl StoreOptions {
    /// The command line's `--credential-helper` value, else `MCP_OAUTH_CREDENTIAL_HELPER`;
    /// everything else from the environment at [`Store::open`].
    pub fn from_env(helper: Option<String>) -> Self {
        let helper = helper.or_else(|| std::env::var("MCP_OAUTH_CREDENTIAL_HELPER").ok());
        StoreOptions { helper, ..StoreOptions::default() }
    }
}

/// A credential-store key (the helper protocol's `ServerURL`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

pub struct Store {
    resolver: Resolver,
    config_dir: Option<PathBuf>,
    part_size: Option<usize>,
    helper_timeout: Duration,
    lock_timeout: Duration,
    search_path: Option<OsString>,
    helper_env: Vec<(OsString, OsString)>,
    layouts: Mutex<HashMap<Key, Layout>>,
}

impl Store {
    /// Reads Docker's config.json and the environment; runs no helper.
    pub fn open(options: StoreOptions) -> Result<Store> {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        let env_dir = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let docker_config_dir = options
            .docker_config_dir
            .or_else(|| env_dir("DOCKER_CONFIG"))
            .or_else(|| home.as_ref().map(|h| h.join(".docker")));
        let config_dir = options
            .config_dir
            .or_else(|| env_dir("XDG_CONFIG_HOME").map(|d| d.join("mcp-oauth")))
            .or_else(|| home.as_ref().map(|h| h.join(".config/mcp-oauth")));
        let helper = options.helper.filter(|h| !h.is_empty());
        // An explicit choice makes config.json irrelevant, even a broken one.
        let config = match (&helper, &docker_config_dir) {
            (None, Some(dir)) => DockerConfig::load(dir)?,
            (_, dir) => DockerConfig::empty(dir.clone().unwrap_or_default().join("config.json")),
        };
        let part_size = match options.part_size {
            Some(n) => Some(n),
            None => env_number("MCP_OAUTH_STORE_PART_SIZE")?,
        };
        if let Some(n) = part_size
            && n < chunk::MIN_PART_SIZE
        {
            return Err(Error::Usage(format!(
                "a store part size of {n} bytes is too small (at least {})",
                chunk::MIN_PART_SIZE
            )));
        }
        let seconds = |name: &str, default: Duration| -> Result<Duration> {
            match env_number(name)? {
                None => Ok(default),
                Some(s) if s as u64 <= crate::MAX_SECONDS => Ok(Duration::from_secs(s as u64)),
                Some(s) => Err(Error::Usage(format!("{name}={s} is over the limit of {} seconds", crate::MAX_SECONDS))),
            }
        };
        let helper_timeout = match options.helper_timeout {
            Some(t) => t,
            None => seconds("MCP_OAUTH_HELPER_TIMEOUT", DEFAULT_HELPER_TIMEOUT)?,
        };
        let lock_timeout = match options.lock_timeout {
            Some(t) => t,
            None => seconds("MCP_OAUTH_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)?,
        };
        let resolver = Resolver::new(helper.as_deref(), config, options.search_path.as_deref())?;
        Ok(Store {
            resolver,
            config_dir,
            part_size,
            helper_timeout,
            lock_timeout,
            search_path: options.search_path,
            helper_env: options.helper_env,
            layouts: Mutex::new(HashMap::new()),
        })
    }

    /// Exclusive across processes until the guard drops; gives up with an error after a timeout.
    pub fn lock(&self, key: &Key) -> Result<KeyLock> {
        // In the config dir, not $XDG_RUNTIME_DIR: cron jobs and CI shells often lack the
        // latter, and two processes only exclude each other if they agree on the file.
        lock::acquire(&self.own_dir("locks")?, key.as_str(), self.lock_timeout)
    }

    /// Stores records kept aside by an earlier failed [`Store::commit`] and finishes file
    /// store writes interrupted between write and rename, saying so through [`crate::events`].
    /// Every tool calls this once when it opens the store; it costs one directory read.
    pub fn recover(&self) {
        rescue::recover(self);
    }

    fn backend_for(&self, key: &Key) -> Result<Backend> {
        self.backend(&self.resolver.resolve(keys::authority(key)).choice)
    }

    /// `docker-credential-<name>`, run with this store's search path, environment and timeout.
    fn helper(&self, name: String) -> Helper {
        Helper {
            name,
            search_path: self.search_path.clone(),
            env: self.helper_env.clone(),
            timeout: self.helper_timeout,
        }
    }

    fn backend(&self, choice: &Choice) -> Result<Backend> {
        Ok(match choice {
            Choice::Helper(name) => Backend::Helper(self.helper(name.clone())),
            Choice::File => Backend::File(FileStore {
                dir: {
                    // Directories made by hand (or loosened since) are checked before use.
                    private::check_existing(self.config_dir()?)?;
                    let dir = self.file_dir()?;
                    private::check_existing(&dir)?;
                    dir
                },
                warn: self.resolver.default_resolution().origin == Origin::Fallback,
            }),
        })
    }

    fn limits(&self, backend: &Backend) -> Limits {
        match backend {
            Backend::Helper(h) => {
                let line_budget = helper::MAX_LINE - helper::LINE_OVERHEAD;
                let own = if h.name == "wincred" { WINCRED_PART_SIZE } else { line_budget };
                Limits { part_size: self.part_size.unwrap_or(own), line_budget }
            }
            Backend::File(_) => Limits { part_size: self.part_size.unwrap_or(usize::MAX), line_budget: usize::MAX },
        }
    }

    fn config_dir(&self) -> Result<&PathBuf> {
        self.config_dir.as_ref().ok_or_else(|| Error::Store("no home directory: set HOME or XDG_CONFIG_HOME".into()))
    }

    fn file_dir(&self) -> Result<PathBuf> {
        Ok(self.config_dir()?.join("credentials"))
    }

    /// A directory of ours under the config dir, both checked (see `private`).
    fn own_dir(&self, name: &str) -> Result<PathBuf> {
        let config = self.config_dir()?;
        private::ensure_dir(config)?;
        let dir = config.join(name);
        private::ensure_dir(&dir)?;
        Ok(dir)
    }
}

/// The message of a store error without its `credential store:` prefix, for nesting.
fn store_reason(e: &Error) -> String {
    match e {
        Error::Store(why) => why.clone(),
        other => other.to_string(),
    }
}

fn env_number(name: &str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => v.trim().parse().map(Some).map_err(|_| Error::Usage(format!("{name}={v:?} is not a whole number"))),
    }
}

/// 48 random bits, base64url: a split record's generation and temporary file names.
pub(crate) fn random_id() -> String {
    use base64::Engine;
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 6];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // Uniqueness, not secrecy, is what matters here.
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let seed = format!("{nanos}:{}:{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        bytes.copy_from_slice(&ring::digest::digest(&ring::digest::SHA256, seed.as_bytes()).as_ref()[..6]);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// On the file backend in `dir`, whatever the environment says; for the other modules'
    /// tests too.
    pub(crate) fn file_store(dir: &std::path::Path, part_size: Option<usize>) -> Store {
        Store::open(StoreOptions {
            helper: Some("file".into()),
            docker_config_dir: Some(dir.join("docker")),
            config_dir: Some(dir.join("config")),
            part_size,
            ..StoreOptions::default()
        })
        .expect("open")
    }
}
