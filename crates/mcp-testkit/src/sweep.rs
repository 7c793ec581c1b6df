//! Every trace and HAR a test's runs produce is kept, and swept for every secret those runs
//! handled before the sandbox goes: a redaction that misses a field fails whichever test
//! happened to exercise it, not only the tests written for redaction.
//!
//! Each [`Sandbox`](crate::bins::Sandbox) command gets `MCP_OAUTH_HAR` set to the sandbox's
//! trace directory (a directory: one HAR per run), and [`crate::bins::run`] keeps each run's
//! stderr there too. The secrets are read from where the tools keep them, not from the
//! traces: the file store's entries (tokens, refresh tokens, ID tokens, client secrets,
//! registration access tokens, pending verifiers, DPoP keys), the private keys in the
//! sandbox, and any a test adds ([`Sweep::note`]: codes from the browser log, say). Runs
//! asked to `--reveal-secrets` are left out: showing secrets is what they are for.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Names of the members whose values are secrets, wherever they are nested. The tools'
/// own list is not used: a field missing from it is what this must catch.
const SECRET_MEMBERS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "registration_access_token",
    "code_verifier",
    "device_code",
    "private_key",
    // Private JWK members (a DPoP or client key kept in the store).
    "d",
    "p",
    "q",
    "dp",
    "dq",
    "qi",
];

/// Shorter values are no secret worth the name (and would match by chance).
const MIN_SECRET: usize = 12;

/// A sandbox's traces and the secrets to look for in them.
#[derive(Debug)]
pub struct Sweep {
    dir: tempfile::TempDir,
    noted: Mutex<Vec<String>>,
}

impl Sweep {
    pub fn new() -> Sweep {
        let dir = tempfile::Builder::new().prefix("mcp-traces-").tempdir().expect("create trace directory");
        Sweep { dir, noted: Mutex::new(Vec::new()) }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A secret the store does not hold (an authorization code, say) to look for too.
    pub fn note(&self, secret: &str) {
        self.noted.lock().unwrap_or_else(|p| p.into_inner()).push(secret.to_string());
    }

    /// The traces and HARs kept, revealed ones left out.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(self.dir())
            .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| !is_revealed(p)).collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Every secret known for a sandbox rooted at `root` with its store config in `config_home`.
    pub fn secrets(&self, root: &Path, config_home: &Path) -> Vec<String> {
        let mut found: Vec<String> = self.kinds(root, config_home).into_iter().map(|(_, s)| s).collect();
        found.sort();
        found.dedup();
        found
    }

    /// [`Sweep::secrets`] with what each is: the member that held it, "private key" or "noted".
    pub fn kinds(&self, root: &Path, config_home: &Path) -> Vec<(String, String)> {
        let noted = self.noted.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut found: Vec<(String, String)> = noted.into_iter().map(|s| ("noted".to_string(), s)).collect();
        for f in files_under(&config_home.join("mcp-oauth")) {
            if let Ok(v) = serde_json::from_slice::<Value>(&std::fs::read(&f).unwrap_or_default()) {
                secret_members(&v, &mut found);
            }
        }
        for f in files_under(root) {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
            if text.contains("PRIVATE KEY-----") {
                let body = text.lines().filter(|l| !l.starts_with("-----")).map(str::trim);
                found.extend(body.map(|l| ("private key".to_string(), l.to_string())));
            }
        }
        found.retain(|(_, s)| s.len() >= MIN_SECRET);
        found
    }

    /// What [`Sweep::secrets`] finds in the kept traces: "FILE holds a secret (N bytes)".
    pub fn leaks(&self, secrets: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for f in self.files() {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
            for s in secrets.iter().filter(|s| text.contains(s.as_str())) {
                out.push(format!("{} holds a secret ({} bytes)", f.display(), s.len()));
            }
        }
        out
    }
}

impl Default for Sweep {
    fn default() -> Self {
        Sweep::new()
    }
}

/// A HAR written with `--reveal-secrets` (it says so), or the stderr of such a run.
fn is_revealed(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e == "revealed") {
        return true;
    }
    path.extension().is_some_and(|e| e == "har")
        && serde_json::from_slice::<Value>(&std::fs::read(path).unwrap_or_default())
            .is_ok_and(|v| v["log"]["_revealed"] == true)
}

/// Values of secret members at any depth, and inside members that are JSON text (a store
/// entry's `Secret` is the stored record as a string).
fn secret_members(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if SECRET_MEMBERS.contains(&k.as_str()) => out.push((k.clone(), s.clone())),
                    Value::String(s) => {
                        if let Ok(inner @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(s) {
                            secret_members(&inner, out);
                        }
                    }
                    other => secret_members(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| secret_members(i, out)),
        _ => {}
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The name a run's stderr is kept under, in `dir`: `.revealed` for runs that asked for
/// secrets, left out of the sweep.
pub(crate) fn stderr_file(dir: &Path, command: &std::process::Command) -> PathBuf {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let program = Path::new(command.get_program()).file_name().map(|p| p.to_string_lossy().into_owned());
    let revealed = command.get_args().any(|a| a.to_string_lossy().contains("--reveal-secrets"));
    let ext = if revealed { "revealed" } else { "stderr" };
    dir.join(format!("{n:04}-{}.{ext}", program.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_nested_and_in_json_text() {
        let record = serde_json::json!({
            "access_token": "AT-0123456789",
            "client": {"client_secret": "CS-0123456789"},
            "scope": "mcp:read-long-enough",
        });
        let entry = serde_json::json!({"ServerURL": "x", "Secret": record.to_string()});
        let mut out = Vec::new();
        secret_members(&entry, &mut out);
        let values: Vec<&str> = out.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["AT-0123456789", "CS-0123456789"]);
        assert_eq!(out[1].0, "client_secret");
    }
}
