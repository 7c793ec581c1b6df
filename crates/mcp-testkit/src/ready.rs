//! A server child process that announces itself with one JSON line on stdout (its URLs) and
//! stops when its stdin closes. Every test server, ours or third-party, is started this way.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server; dropping it closes its stdin and kills it.
pub struct ReadyProcess {
    /// The ready line, parsed.
    pub ready: Value,
    /// Time from spawning to the ready line.
    pub startup: Duration,
    child: Child,
    stdin: Option<ChildStdin>,
    log: tempfile::NamedTempFile,
}

impl ReadyProcess {
    /// Spawns `command` (stdin piped, stderr to a temporary log) and waits up to `timeout` for a
    /// JSON object on the first stdout line. `what` names the server in error messages, which
    /// carry its stderr.
    pub fn spawn(mut command: Command, what: &str, timeout: Duration) -> Result<ReadyProcess, String> {
        let log = tempfile::Builder::new()
            .prefix("mcp-test-server-")
            .suffix(".log")
            .tempfile()
            .map_err(|e| format!("temporary log file: {e}"))?;
        let stderr = log.reopen().map_err(|e| format!("temporary log file: {e}"))?;
        for var in crate::servers::PROXY_VARS {
            command.env_remove(var);
        }
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(stderr);
        let began = Instant::now();
        let mut child = command.spawn().map_err(|e| format!("cannot run {what} ({command:?}): {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Only the first line matters; the thread then drains stdout until the server exits
            // so a stray write can never block it.
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let mut process = ReadyProcess { ready: Value::Null, startup: Duration::ZERO, child, stdin, log };
        let line = match rx.recv_timeout(timeout) {
            Ok(Some(Ok(line))) => line,
            Ok(_) => {
                let _ = process.child.wait();
                return Err(format!("{what} exited before it was ready; its stderr:\n{}", process.log()));
            }
            Err(_) => {
                return Err(format!("{what}: no ready line within {timeout:?}; stderr:\n{}", process.log()));
            }
        };
        process.startup = began.elapsed();
        process.ready = match serde_json::from_str::<Value>(&line) {
            Ok(value) if value.is_object() => value,
            _ => {
                return Err(format!("{what}: the ready line is not a JSON object: {line}"));
            }
        };
        Ok(process)
    }

    /// A string field of the ready line.
    pub fn field(&self, name: &str) -> Result<String, String> {
        self.ready[name].as_str().map(str::to_string).ok_or_else(|| format!("ready line lacks {name}: {}", self.ready))
    }

    /// What the server wrote on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ReadyProcess {
    fn drop(&mut self) {
        // Closing stdin asks the server to exit; the kill makes sure of it without waiting.
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Result<ReadyProcess, String> {
        let mut command = Command::new("/bin/sh");
        command.args(["-c", script]);
        ReadyProcess::spawn(command, "sh", Duration::from_secs(10))
    }

    #[test]
    fn the_ready_line_is_parsed_and_drop_stops_the_server() {
        let process = sh(r#"echo '{"mcp_url":"http://127.0.0.1:1/mcp"}'; echo stderr-line >&2; cat"#).expect("ready");
        assert_eq!(process.field("mcp_url").as_deref(), Ok("http://127.0.0.1:1/mcp"));
        assert!(process.field("issuer").unwrap_err().contains("lacks issuer"));
        let pid = process.id();
        drop(process);
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "the server was reaped");
    }

    #[test]
    fn a_server_that_fails_is_reported_with_its_stderr() {
        let early = sh("echo 'address in use' >&2; exit 1").err().expect("exit before ready");
        assert!(early.contains("exited before it was ready") && early.contains("address in use"), "{early}");
        let garbage = sh("echo 'listening on port 3000'; cat").err().expect("not JSON");
        assert!(garbage.contains("not a JSON object"), "{garbage}");
    }

    #[test]
    fn a_silent_server_times_out() {
        let mut command = Command::new("/bin/sh");
        command.args(["-c", "cat"]);
        let began = Instant::now();
        let silent = ReadyProcess::spawn(command, "sh", Duration::from_millis(300)).err().expect("timeout");
        assert!(silent.contains("no ready line"), "{silent}");
        assert!(began.elapsed() < Duration::from_secs(5));
    }
}
