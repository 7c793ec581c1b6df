//! Running the workspace's built binaries the way a user would, but isolated: every
//! [`Sandbox`] is a fresh temporary directory holding its own HOME, DOCKER_CONFIG and XDG
//! directories, and commands get an environment without proxies, `MCP_OAUTH_*` settings or a
//! desktop to open browsers on.
//!
//! ```no_run
//! use mcp_testkit::bins::Sandbox;
//! let sandbox = Sandbox::new();
//! let out = sandbox.run("mcp-token", &["--help"], None);
//! assert!(out.success(), "{out}");
//! ```

use crate::servers::PROXY_VARS;
use std::ffi::OsStr;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// Default limit for one run of a tool: generous for a loaded CI machine, yet a hung tool
/// fails the test instead of hanging it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Variables from the developer's own session that would change a tool's behaviour.
const SESSION_VARS: [&str; 5] = ["BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "SSL_CERT_FILE"];

/// A throwaway home for the tools under test; removed on drop.
pub struct Sandbox {
    dir: tempfile::TempDir,
    /// Every run's HAR and stderr, swept for secrets on drop (see [`crate::sweep`]).
    pub traces: crate::sweep::Sweep,
    pub home: PathBuf,
    pub docker_config: PathBuf,
    pub xdg_config_home: PathBuf,
    pub xdg_runtime_dir: PathBuf,
    pub xdg_data_home: PathBuf,
    pub xdg_cache_home: PathBuf,
    pub xdg_state_home: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new().prefix("mcp-sandbox-").tempdir().expect("create sandbox directory");
        let root = dir.path().to_path_buf();
        let make = |relative: &str| {
            let path = root.join(relative);
            std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
            path
        };
        let home = make("home");
        let sandbox = Sandbox {
            docker_config: make("home/.docker"),
            xdg_config_home: make("home/.config"),
            xdg_data_home: make("home/.local/share"),
            xdg_cache_home: make("home/.cache"),
            xdg_state_home: make("home/.local/state"),
            xdg_runtime_dir: make("runtime"),
            home,
            dir,
            traces: crate::sweep::Sweep::new(),
        };
        // Programs (and gpg-agent) refuse a runtime dir others can read.
        set_private(&sandbox.xdg_runtime_dir);
        set_private(&sandbox.home);
        sandbox
    }

    /// The sandbox's root directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command for a workspace binary (`mcp-token`, ...) in this sandbox. See
    /// [`Sandbox::command`] for the environment.
    pub fn cmd(&self, bin: &str) -> Command {
        self.command(bin_path(bin))
    }

    /// A command for any program, with the sandbox's environment: HOME, DOCKER_CONFIG and
    /// XDG_* pointing inside the sandbox; no proxy variables (NO_PROXY covers loopback in case a
    /// proxy sneaks in through a config file); no MCP_OAUTH_* variables but MCP_OAUTH_HAR (the
    /// sandbox's trace directory, see [`crate::sweep`]); no BROWSER, DISPLAY or
    /// WAYLAND_DISPLAY (a test that wants a browser sets BROWSER to
    /// [`crate::servers::browser_command`]); the sandbox root as working directory.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        for var in PROXY_VARS.iter().chain(SESSION_VARS.iter()) {
            command.env_remove(var);
        }
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("MCP_OAUTH_") {
                command.env_remove(name);
            }
        }
        command
            .env("NO_PROXY", "127.0.0.1,localhost,::1")
            .env("HOME", &self.home)
            .env("DOCKER_CONFIG", &self.docker_config)
            .env("XDG_CONFIG_HOME", &self.xdg_config_home)
            .env("XDG_RUNTIME_DIR", &self.xdg_runtime_dir)
            .env("XDG_DATA_HOME", &self.xdg_data_home)
            .env("XDG_CACHE_HOME", &self.xdg_cache_home)
            .env("XDG_STATE_HOME", &self.xdg_state_home)
            .env("GNUPGHOME", self.home.join(".gnupg"))
            .env("PASSWORD_STORE_DIR", self.home.join(".password-store"))
            .env("MCP_OAUTH_HAR", self.traces.dir())
            .current_dir(self.path());
        command
    }

    /// Runs a workspace binary with arguments, optional stdin and [`DEFAULT_TIMEOUT`].
    pub fn run(&self, bin: &str, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = self.cmd(bin);
        command.args(args);
        run(command, stdin.map(str::as_bytes), DEFAULT_TIMEOUT)
    }
}

impl Sandbox {
    /// Fails when a kept trace or HAR of this sandbox's runs holds a secret they handled.
    pub fn assert_traces_hide_secrets(&self) {
        let secrets = self.traces.secrets(self.path(), &self.xdg_config_home);
        let leaks = self.traces.leaks(&secrets);
        assert!(leaks.is_empty(), "secrets in traces:\n{}", leaks.join("\n"));
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // A test already failing says why; a second panic would abort the test binary.
        if !std::thread::panicking() {
            self.assert_traces_hide_secrets();
        }
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox").field("path", &self.path()).finish_non_exhaustive()
    }
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
        .unwrap_or_else(|e| panic!("chmod 700 {}: {e}", path.display()));
}

/// `target/<profile>/` of the running test: the test executable lives in its `deps/`.
pub fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// The built workspace binary `name`. Panics with a hint when it has not been built (a
/// package's own integration tests get their binaries built by cargo; binaries of other
/// packages need `cargo test --workspace` or a prior `cargo build`).
pub fn bin_path(name: &str) -> PathBuf {
    let path = target_profile_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.is_file(), "{} is not built; run `cargo build -p {name}` or `cargo test --workspace`", path.display());
    path
}

/// What a finished (or killed) run produced.
#[derive(Debug)]
pub struct Output {
    pub status: Option<ExitStatus>,
    /// Exit code; `None` when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Fails the test if any of the secrets shows up on stderr (where only redacted values may
    /// appear unless `--reveal-secrets`). Empty strings are ignored.
    pub fn assert_stderr_hides(&self, secrets: &[&str]) {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(!self.stderr.contains(secret), "a secret ({} chars) leaked to stderr:\n{self}", secret.len());
        }
    }

    /// stdout parsed as JSON; panics (a test failure) with the whole output when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match (self.timed_out, self.code) {
            (true, _) => "timed out".to_string(),
            (false, Some(code)) => format!("exit {code}"),
            (false, None) => format!("{:?}", self.status),
        };
        write!(f, "[{how} after {:?}]\n--- stdout\n{}\n--- stderr\n{}", self.elapsed, self.stdout, self.stderr)
    }
}

/// Runs `command` to completion, feeding `stdin` (or closing it at once when `None`), capturing
/// stdout/stderr, and killing the process if it outlives `timeout`.
pub fn run(mut command: Command, stdin: Option<&[u8]>, timeout: Duration) -> Output {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let began = Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let input = stdin.map(<[u8]>::to_vec).unwrap_or_default();
    let mut pipe = child.stdin.take();
    let writer = std::thread::spawn(move || {
        // A tool may exit without reading its input; the broken pipe is not a test failure.
        if let Some(pipe) = pipe.as_mut() {
            let _ = pipe.write_all(&input);
        }
    });
    let stdout = Drain::start(child.stdout.take());
    let stderr = Drain::start(child.stderr.take());
    let (status, timed_out) = wait_until(&mut child, began + timeout);
    let _ = writer.join();
    let stderr = stderr.finish();
    // Kept for the sandbox's sweep (crate::sweep), where the sandbox asked for traces.
    if let Some((_, Some(dir))) = command.get_envs().find(|(k, _)| *k == "MCP_OAUTH_HAR") {
        let _ = std::fs::write(crate::sweep::stderr_file(Path::new(dir), &command), &stderr);
    }
    Output {
        status,
        code: status.and_then(|s| s.code()),
        stdout: stdout.finish(),
        stderr,
        timed_out,
        elapsed: began.elapsed(),
    }
}

/// Collects a pipe in the background. A grandchild (say, a browser the tool spawned) may
/// hold the pipe open after the tool exits, so the collection is cut off after a grace period
/// instead of waiting for EOF.
struct Drain {
    bytes: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

const DRAIN_GRACE: Duration = Duration::from_secs(5);

impl Drain {
    fn start(pipe: Option<impl Read + Send + 'static>) -> Drain {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let sink = Arc::clone(&bytes);
        std::thread::spawn(move || {
            if let Some(mut pipe) = pipe {
                let mut buf = [0u8; 8192];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    sink.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(&buf[..n]);
                }
            }
            let _ = tx.send(());
        });
        Drain { bytes, done }
    }

    fn finish(self) -> String {
        let _ = self.done.recv_timeout(DRAIN_GRACE);
        let bytes = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Waits for the child until the deadline, then kills it. Returns its status (None if it
/// could not be collected) and whether it was killed for being late.
pub fn wait_until(child: &mut Child, deadline: Instant) -> (Option<ExitStatus>, bool) {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (Some(status), false),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                return (child.wait().ok(), true);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => return (None, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_environment_is_isolated() {
        let sandbox = Sandbox::new();
        let mut command = sandbox.command("/usr/bin/env");
        command.env("MCP_TEST_BROWSER_DENY", "1");
        let out = run(command, None, Duration::from_secs(10));
        assert!(out.success(), "{out}");
        let env: Vec<&str> = out.stdout.lines().collect();
        assert!(env.contains(&format!("HOME={}", sandbox.home.display()).as_str()), "{out}");
        assert!(env.contains(&format!("DOCKER_CONFIG={}", sandbox.docker_config.display()).as_str()), "{out}");
        assert!(env.contains(&"NO_PROXY=127.0.0.1,localhost,::1"), "{out}");
        assert!(env.contains(&"MCP_TEST_BROWSER_DENY=1"), "{out}");
        let har = format!("MCP_OAUTH_HAR={}", sandbox.traces.dir().display());
        assert!(env.contains(&har.as_str()), "every run leaves its HAR for the sweep: {out}");
        for line in &env {
            let name = line.split('=').next().unwrap_or_default();
            assert!(!name.starts_with("MCP_OAUTH_") || *line == har, "{line}");
            assert!(
                !["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "BROWSER", "DISPLAY"]
                    .contains(&name),
                "{line}"
            );
        }
    }

    #[test]
    fn stdin_is_fed_and_output_captured() {
        let sandbox = Sandbox::new();
        let mut command = sandbox.command("/bin/sh");
        command.args(["-c", "tr a-z A-Z; echo oops >&2; exit 3"]);
        let out = run(command, Some(b"hello"), Duration::from_secs(10));
        assert_eq!(out.code, Some(3), "{out}");
        assert_eq!(out.stdout, "HELLO");
        assert_eq!(out.stderr, "oops\n");
        assert!(!out.timed_out);
    }

    #[test]
    fn binaries_are_looked_up_in_the_profile_directory() {
        let dir = target_profile_dir();
        assert!(dir.join("deps").is_dir(), "{}", dir.display());
        let missing = std::panic::catch_unwind(|| bin_path("mcp-no-such-tool"));
        let message = missing.expect_err("must panic").downcast::<String>().map(|s| *s).unwrap_or_default();
        assert!(message.contains("cargo build -p mcp-no-such-tool"), "{message}");
    }

    #[test]
    fn stderr_secret_check() {
        let out = Output {
            status: None,
            code: Some(0),
            stdout: "token-123".to_string(),
            stderr: "error: token ********".to_string(),
            timed_out: false,
            elapsed: Duration::ZERO,
        };
        out.assert_stderr_hides(&["token-123", ""]);
        let leaked = Output { stderr: "error: token-123".to_string(), ..out };
        assert!(std::panic::catch_unwind(|| leaked.assert_stderr_hides(&["token-123"])).is_err());
    }

    #[test]
    fn a_hung_process_is_killed_at_the_timeout() {
        let sandbox = Sandbox::new();
        let mut command = sandbox.command("/bin/sleep");
        command.arg("30");
        let out = run(command, None, Duration::from_millis(300));
        assert!(out.timed_out, "{out}");
        assert_eq!(out.code, None);
        assert!(out.elapsed < Duration::from_secs(10), "{out}");
    }
}
