//! Speaking the Docker credential-helper protocol to `docker-credential-<name>`.
//!
//! Every call is one process: the action is the only argument, the input goes to stdin
//! (which is then closed), stdout is the answer, or the error message when the exit status
//! is not 0. stderr is diagnostics: captured, and at most one short line of it ends up in an
//! error. A helper that outlives its timeout is killed; one that prints more than
//! [`MAX_OUTPUT`] is an error, as is one that prints something that is not the protocol's
//! JSON, and then nothing it printed is shown (it could hold a secret).

use super::keys::USERNAME;
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) const NOT_FOUND: &str = "credentials not found in native keychain";
/// `store` reads its input with Go's `bufio.Scanner`: a line of 64 KiB or more is refused.
pub(crate) const MAX_LINE: usize = 64 * 1024 - 1;
/// Room left in a `store` line for everything but the secret (key ≤ 189, username, JSON).
pub(crate) const LINE_OVERHEAD: usize = 1024;
pub(crate) const MAX_OUTPUT: usize = 1024 * 1024;
const MAX_STDERR: usize = 4096;

/// One helper program, found on the search path when it is called.
#[derive(Debug, Clone)]
pub(crate) struct Helper {
    pub name: String,
    pub search_path: Option<OsString>,
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Duration,
}

/// What a finished helper said.
struct Reply {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Helper {
    pub fn program_name(&self) -> String {
        format!("docker-credential-{}", self.name)
    }

    /// `Ok(None)` when the helper has no such entry, in either of the protocol's two ways.
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        let reply = self.run("get", key.as_bytes())?;
        parse_get(reply.status.success(), &reply.stdout, key).map_err(|why| self.failure("get", &reply, why))
    }

    pub fn store(&self, key: &str, secret: &str) -> Result<()> {
        self.store_as(key, USERNAME, secret)
    }

    /// An entry under another program's username (the Docker MCP gateway's formats).
    pub fn store_as(&self, key: &str, username: &str, secret: &str) -> Result<()> {
        let line = serde_json::json!({"ServerURL": key, "Username": username, "Secret": secret}).to_string();
        if line.len() > MAX_LINE {
            return Err(Error::Store(format!(
                "internal limit exceeded: a {}-byte store line for {key} would be refused by {}",
                line.len(),
                self.program_name()
            )));
        }
        let reply = self.run("store", line.as_bytes())?;
        if reply.status.success() {
            return Ok(());
        }
        Err(self.failure("store", &reply, error_text(&reply)))
    }

    /// Erasing a missing entry succeeds, whatever way the backend reports it.
    pub fn erase(&self, key: &str) -> Result<()> {
        let reply = self.run("erase", key.as_bytes())?;
        if reply.status.success() || is_missing_on_erase(&reply.stdout) {
            return Ok(());
        }
        // Backends disagree about erasing a missing entry; ask before calling it a failure.
        match self.get(key) {
            Ok(None) => Ok(()),
            _ => Err(self.failure("erase", &reply, error_text(&reply))),
        }
    }

    /// Every entry the helper holds, ours or not: ServerURL → Username.
    pub fn list(&self) -> Result<BTreeMap<String, String>> {
        let reply = self.run("list", b"unused")?;
        if !reply.status.success() {
            return Err(self.failure("list", &reply, error_text(&reply)));
        }
        parse_list(&reply.stdout).map_err(|why| self.failure("list", &reply, why))
    }

    fn program(&self) -> Result<PathBuf> {
        let program = self.program_name();
        let path = self.search_path.clone().or_else(|| std::env::var_os("PATH")).unwrap_or_default();
        find_on_path(&program, &path)
            .ok_or_else(|| Error::Store(format!("{program} is not installed (not found on PATH)")))
    }

    fn run(&self, action: &str, input: &[u8]) -> Result<Reply> {
        let program = self.program()?;
        let mut command = Command::new(&program);
        command.arg(action).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut child = command.spawn().map_err(|e| Error::Store(format!("cannot run {}: {e}", program.display())))?;

        // Each pipe on its own thread: a helper that does not read its input, or that
        // fills stderr before stdout, must not block us past the deadline.
        let (tx, rx) = mpsc::channel();
        if let Some(mut stdin) = child.stdin.take() {
            let input = input.to_vec();
            std::thread::spawn(move || {
                // EPIPE only means the helper did not want the input; its answer decides.
                let _ = stdin.write_all(&input);
            });
        }
        let mut open = 0;
        if let Some(pipe) = child.stdout.take() {
            drain(pipe, MAX_OUTPUT, tx.clone(), true);
            open += 1;
        }
        if let Some(pipe) = child.stderr.take() {
            drain(pipe, MAX_STDERR, tx, false);
            open += 1;
        }
        let deadline = Instant::now() + self.timeout;
        let (mut out, mut err, mut overflow) = (Vec::new(), Vec::new(), false);
        while open > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Drained { is_stdout: true, bytes, overflow: o }) => (out, overflow) = (bytes, o),
                Ok(Drained { bytes, .. }) => err = bytes,
                Err(_) => break,
            }
            open -= 1;
        }
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) if open == 0 => break status,
                // The pipes close a moment before the exit status is there.
                Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::Store(format!(
                        "{} {action} did not finish within {} s and was stopped",
                        self.program_name(),
                        self.timeout.as_secs_f32()
                    )));
                }
            }
        };
        if overflow {
            return Err(Error::Store(format!(
                "{} {action} printed more than {} KiB; that is not a credential-helper answer",
                self.program_name(),
                MAX_OUTPUT / 1024
            )));
        }
        Ok(Reply { status, stdout: out, stderr: err })
    }

    /// One line: what failed, the exit status, and the helper's own short explanation.
    fn failure(&self, action: &str, reply: &Reply, why: String) -> Error {
        let mut msg = format!("{} {action} failed", self.program_name());
        if !reply.status.success() {
            match reply.status.code() {
                Some(code) => msg.push_str(&format!(" (exit status {code})")),
                None => msg.push_str(" (killed by a signal)"),
            }
        }
        // Some helpers (and shells failing to start them) explain themselves on stderr only.
        let why = if why.is_empty() { short(String::from_utf8_lossy(&reply.stderr).trim()) } else { why };
        if !why.is_empty() {
            msg.push_str(": ");
            msg.push_str(&why);
        }
        Error::Store(msg)
    }
}

struct Drained {
    is_stdout: bool,
    bytes: Vec<u8>,
    overflow: bool,
}

/// Reads a pipe to its end, keeping at most `cap` bytes (the rest is read and dropped so
/// the helper never blocks on a full pipe).
fn drain(mut pipe: impl Read + Send + 'static, cap: usize, tx: mpsc::Sender<Drained>, is_stdout: bool) {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut overflow = false;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = cap.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&buf[..n.min(room)]);
                    overflow |= n > room;
                }
            }
        }
        let _ = tx.send(Drained { is_stdout, bytes, overflow });
    });
}

fn find_on_path(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Whether `docker-credential-<name>` is installed (for Docker's default detection).
pub(crate) fn installed(program: &str, search_path: Option<&std::ffi::OsStr>) -> bool {
    let path = search_path.map(ToOwned::to_owned).or_else(|| std::env::var_os("PATH")).unwrap_or_default();
    find_on_path(program, &path).is_some()
}

/// The answer to `get`: the secret, `None` for "not found", or why the answer is unusable.
/// Never quotes stdout of a successful `get`, which may hold a secret.
pub(crate) fn parse_get(success: bool, stdout: &[u8], key: &str) -> std::result::Result<Option<String>, String> {
    if !success {
        let text = String::from_utf8_lossy(stdout);
        let text = text.trim();
        // pass 0.7.0–0.8.1 answers an empty directory this way.
        if text == NOT_FOUND || text.starts_with("no usernames for ") {
            return Ok(None);
        }
        return Err(short(text));
    }
    let garbage = || {
        format!("it printed {} bytes that are not a credential (expected ServerURL, Username and Secret)", stdout.len())
    };
    let value: Value = serde_json::from_slice(stdout).map_err(|_| garbage())?;
    let Value::Object(members) = value else {
        return Err(garbage());
    };
    // Go's encoding/json matches member names case-insensitively; so do we.
    let field = |name: &str| members.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let text = |name: &str| match field(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(garbage()),
    };
    let (server_url, username, secret) = (text("ServerURL")?, text("Username")?, text("Secret")?);
    // pass before 0.7 (Debian's 0.6.4) says "not found" with exit 0 and empty fields.
    if username.is_empty() && secret.is_empty() {
        return Ok(None);
    }
    if !server_url.is_empty() && server_url != key {
        return Err(format!("it answered for another entry ({server_url})"));
    }
    Ok(Some(secret.to_string()))
}

pub(crate) fn parse_list(stdout: &[u8]) -> std::result::Result<BTreeMap<String, String>, String> {
    let garbage = || format!("it printed {} bytes that are not a JSON object of ServerURL to Username", stdout.len());
    let value: Value = serde_json::from_slice(stdout).map_err(|_| garbage())?;
    let Value::Object(members) = value else {
        return Err(garbage());
    };
    members
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(u) => Ok((k, u)),
            _ => Err(garbage()),
        })
        .collect()
}

/// pass says `… is not in the password store.`; osxkeychain says the standard not-found.
fn is_missing_on_erase(stdout: &[u8]) -> bool {
    let text = String::from_utf8_lossy(stdout);
    let text = text.trim();
    text == NOT_FOUND || text.ends_with("is not in the password store.")
}

/// The helper's error message: stdout by protocol, else stderr (some print there).
fn error_text(reply: &Reply) -> String {
    let out = String::from_utf8_lossy(&reply.stdout);
    if !out.trim().is_empty() {
        return short(out.trim());
    }
    short(String::from_utf8_lossy(&reply.stderr).trim())
}

/// First line, at most 200 characters: error output can be long and multi-line.
fn short(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let mut cut: String = line.chars().take(200).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "https://a.mcp-oauth/token/default/AAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn get_found() {
        let out = format!(r#"{{"ServerURL":"{KEY}","Username":"mcp-oauth","Secret":"{{\"a\":1}}"}}"#);
        assert_eq!(parse_get(true, out.as_bytes(), KEY), Ok(Some(r#"{"a":1}"#.to_string())));
        // Member names are case-insensitive in Go, and ServerURL may be missing.
        assert_eq!(parse_get(true, br#"{"secret":"s","username":"u"}"#, KEY), Ok(Some("s".into())));
    }

    #[test]
    fn get_not_found_both_ways() {
        assert_eq!(parse_get(false, format!("{NOT_FOUND}\n").as_bytes(), KEY), Ok(None));
        let old_pass = format!(r#"{{"ServerURL":"{KEY}","Username":"","Secret":""}}"#);
        assert_eq!(parse_get(true, old_pass.as_bytes(), KEY), Ok(None));
        assert_eq!(parse_get(false, format!("no usernames for {KEY}\n").as_bytes(), KEY), Ok(None));
    }

    #[test]
    fn get_errors() {
        let err = parse_get(false, b"pass not initialized: exit status 1: Error: password store is empty.\nmore", KEY);
        assert_eq!(err, Err("pass not initialized: exit status 1: Error: password store is empty.".into()));
        for garbage in [&b"not json SECRET"[..], b"[1,2]", br#"{"Secret":5}"#, b""] {
            let err = parse_get(true, garbage, KEY).expect_err("an error");
            assert!(!err.contains("SECRET") && err.contains("not a credential"), "{err}");
        }
        let other = r#"{"ServerURL":"https://other","Username":"u","Secret":"s"}"#;
        assert!(parse_get(true, other.as_bytes(), KEY).expect_err("an error").contains("another entry"));
    }

    #[test]
    fn list_parsing() {
        let parsed = parse_list(br#"{"https://a":"u","https://b":"v"}"#).expect("object");
        assert_eq!(parsed.get("https://b").map(String::as_str), Some("v"));
        assert!(parse_list(b"{}").expect("empty").is_empty());
        assert!(parse_list(br#"{"https://a":1}"#).is_err());
        assert!(parse_list(b"nope").is_err());
    }

    #[test]
    fn erase_of_missing_entries() {
        assert!(is_missing_on_erase(b"credentials not found in native keychain\n"));
        assert!(is_missing_on_erase(
            b"exit status 1: Error: docker-credential-helpers/aHR0cHM6Ly9ub3Bl is not in the password store.\n"
        ));
        assert!(!is_missing_on_erase(b"permission denied"));
    }

    #[test]
    fn short_errors() {
        assert_eq!(short("\n  first  \nsecond"), "first");
        assert_eq!(short(&"x".repeat(300)).chars().count(), 201);
    }
}
