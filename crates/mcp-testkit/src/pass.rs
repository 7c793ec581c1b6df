//! A throwaway `pass` store for `docker-credential-pass`: its own GNUPGHOME with an
//! ed25519 key without passphrase (no pinentry), an initialised PASSWORD_STORE_DIR, and the
//! environment to give the processes that use it. Dropping it stops the gpg-agent of that
//! GNUPGHOME (and only that one) and removes the directories it created.
//!
//! ```no_run
//! let pass = mcp_testkit::pass::PassStore::new();
//! let mut cmd = std::process::Command::new("docker-credential-pass");
//! cmd.arg("list").envs(pass.env());
//! ```
//!
//! Needs `pass`, `gpg`, `gpgconf` and `docker-credential-pass` on PATH (scripts/setup installs
//! them); without them it panics saying so, rather than letting a test pass without a store.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KEY_EMAIL: &str = "mcp-oauth-test@example.invalid";
const KEY_PARAMS: &str = "%no-protection
Key-Type: EdDSA
Key-Curve: ed25519
Subkey-Type: ECDH
Subkey-Curve: cv25519
Name-Real: mcp-oauth test
Name-Email: mcp-oauth-test@example.invalid
Expire-Date: 0
%commit
";

/// The programs a pass store needs.
pub const REQUIRED: [&str; 4] = ["pass", "gpg", "gpgconf", "docker-credential-pass"];

pub struct PassStore {
    _dir: Option<tempfile::TempDir>,
    pub gnupghome: PathBuf,
    pub password_store_dir: PathBuf,
}

impl PassStore {
    /// Whether everything [`REQUIRED`] is on PATH.
    pub fn available() -> bool {
        REQUIRED.iter().all(|p| on_path(p))
    }

    /// A new store in its own temporary directory.
    pub fn new() -> PassStore {
        // Short path: gpg-agent's socket path must fit in a sockaddr_un.
        let dir = tempfile::Builder::new().prefix("mcp-pass-").tempdir_in("/tmp").expect("create pass store directory");
        let mut store = PassStore::at(&dir.path().join("gnupg"), &dir.path().join("store"));
        store._dir = Some(dir);
        store
    }

    /// A new store in the given directories (created if missing), e.g. those a
    /// `bins::Sandbox` gives its commands (`home/.gnupg`, `home/.password-store`).
    pub fn at(gnupghome: &Path, password_store_dir: &Path) -> PassStore {
        let missing: Vec<&str> = REQUIRED.iter().copied().filter(|p| !on_path(p)).collect();
        assert!(missing.is_empty(), "the pass store fixture needs {missing:?} on PATH (run scripts/setup)");
        for dir in [gnupghome, password_store_dir] {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
            set_private(dir);
        }
        let store = PassStore {
            _dir: None,
            gnupghome: gnupghome.to_path_buf(),
            password_store_dir: password_store_dir.to_path_buf(),
        };
        let params = gnupghome.join("key-params");
        std::fs::write(&params, KEY_PARAMS).expect("write gpg key parameters");
        store.run_ok(store.command("gpg").args(["--batch", "--quiet", "--gen-key"]).arg(&params));
        let listed = store.run_ok(store.command("gpg").args(["--list-keys", "--with-colons", KEY_EMAIL]));
        let listed = String::from_utf8_lossy(&listed.stdout);
        let fingerprint = listed
            .lines()
            .find_map(|l| l.strip_prefix("fpr:").map(|rest| rest.trim_matches(':').to_string()))
            .unwrap_or_else(|| panic!("no fingerprint in gpg --list-keys output:\n{listed}"));
        store.run_ok(store.command("pass").args(["init", &fingerprint]));
        store
    }

    /// A store in a `bins::Sandbox`'s GNUPGHOME and PASSWORD_STORE_DIR, with
    /// `{"credsStore":"pass"}` in its DOCKER_CONFIG, so the tools it runs use pass.
    pub fn for_sandbox(sandbox: &crate::bins::Sandbox) -> PassStore {
        let store = PassStore::at(&sandbox.home.join(".gnupg"), &sandbox.home.join(".password-store"));
        std::fs::write(sandbox.docker_config.join("config.json"), "{\"credsStore\":\"pass\"}\n")
            .expect("write config.json");
        store
    }

    /// What a process using this store needs in its environment.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        vec![
            ("GNUPGHOME".into(), self.gnupghome.clone().into_os_string()),
            ("PASSWORD_STORE_DIR".into(), self.password_store_dir.clone().into_os_string()),
        ]
    }

    /// A command with this store's environment.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.envs(self.env()).stdin(Stdio::null());
        command
    }

    /// The `.gpg` files docker-credential-pass wrote (one per entry), relative to the store.
    pub fn entry_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let root = self.password_store_dir.join("docker-credential-helpers");
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "gpg") {
                    found.push(path.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(path));
                }
            }
        }
        found.sort();
        found
    }

    fn run_ok(&self, command: &mut Command) -> Output {
        let out = command.output().unwrap_or_else(|e| panic!("run {command:?}: {e}"));
        assert!(out.status.success(), "{command:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
        out
    }
}

impl Default for PassStore {
    fn default() -> Self {
        PassStore::new()
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        // Only the agent of this GNUPGHOME: gpgconf finds it through the environment.
        let _ =
            self.command("gpgconf").args(["--kill", "gpg-agent"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

impl std::fmt::Debug for PassStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassStore").field("password_store_dir", &self.password_store_dir).finish_non_exhaustive()
    }
}

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .any(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
        .unwrap_or_else(|e| panic!("chmod 700 {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_round_trip_and_agent_stops() {
        let store = PassStore::new();
        let run = |action: &str, input: &str| {
            let mut child = store
                .command("docker-credential-pass")
                .arg(action)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn docker-credential-pass");
            std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), input.as_bytes()).expect("write");
            drop(child.stdin.take());
            child.wait_with_output().expect("wait")
        };
        let stored = run("store", r#"{"ServerURL":"https://x.example","Username":"u","Secret":"s"}"#);
        assert!(stored.status.success(), "{stored:?}");
        let got = run("get", "https://x.example");
        assert!(String::from_utf8_lossy(&got.stdout).contains(r#""Secret":"s""#), "{got:?}");
        assert_eq!(store.entry_files().len(), 1);
        let home = store.gnupghome.clone();
        drop(store);
        let agents = Command::new("gpgconf")
            .env("GNUPGHOME", &home)
            .args(["--list-dirs", "agent-socket"])
            .output()
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .expect("gpgconf");
        assert!(!agents.exists(), "agent socket {} still there", agents.display());
    }
}
