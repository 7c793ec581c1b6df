//! The tools over HTTPS: the real test servers speak TLS with a throwaway CA
//! (tests/fixtures/make-ca.sh) behind their latency proxy, which notes every connection a
//! client opens. A login, a refresh that costs exactly one connection, and a server whose
//! CA is not trusted.

use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::servers::{Options, TestServers, browser_command, fixtures_dir};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

struct World {
    servers: TestServers,
    sandbox: Sandbox,
    ca: PathBuf,
    connections: PathBuf,
    _tls: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let tls = tempfile::Builder::new().prefix("mcp-tls-").tempdir().expect("temporary directory");
        let made = Command::new("bash")
            .arg(fixtures_dir().join("make-ca.sh"))
            .arg(tls.path())
            .output()
            .expect("run bash make-ca.sh");
        assert!(made.status.success(), "make-ca.sh: {}", String::from_utf8_lossy(&made.stderr));
        let connections = tls.path().join("connections.log");
        let path = |name: &str| tls.path().join(name).to_string_lossy().into_owned();
        let extra_args = vec![
            "--tls-cert".into(),
            path("server.pem"),
            "--tls-key".into(),
            path("server.key"),
            "--rtt-ms".into(),
            "0".into(),
            "--connection-log".into(),
            connections.to_string_lossy().into_owned(),
            // A real server's idle timeout: with the fixture's 2 s, Node's fetch (the browser
            // stand-in) would reuse no connection at all.
            "--keep-alive-ms".into(),
            "60000".into(),
        ];
        let servers = TestServers::start(Options { extra_args, ..Options::default() });
        assert!(servers.mcp_url.starts_with("https://127.0.0.1:"), "{}", servers.mcp_url);
        World { servers, sandbox: Sandbox::new(), ca: tls.path().join("ca.pem"), connections, _tls: tls }
    }

    /// Runs a tool with the file store; `trusted` gives it the CA through SSL_CERT_FILE. The
    /// browser stand-in (Node) always trusts it.
    fn run(&self, bin: &str, args: &[&str], trusted: bool) -> Output {
        let mut cmd = self.sandbox.cmd(bin);
        cmd.args(["--credential-helper", "file"]).args(args).arg(&self.servers.mcp_url);
        cmd.env("BROWSER", browser_command()).env("NODE_EXTRA_CA_CERTS", &self.ca);
        if trusted {
            cmd.env("SSL_CERT_FILE", &self.ca);
        }
        run(cmd, None, Duration::from_secs(60))
    }

    /// Connections accepted since the last call.
    fn take_connections(&self) -> usize {
        let n = std::fs::read_to_string(&self.connections).unwrap_or_default().lines().count();
        std::fs::write(&self.connections, "").expect("empty the connection log");
        n
    }
}

#[test]
fn a_login_and_a_refresh_over_https_and_the_refresh_opens_one_connection() {
    let w = World::new();
    let login = w.run("mcp-authorize", &[], true);
    assert!(login.success(), "mcp-authorize over HTTPS: {login}");
    // Discovery's concurrent probes open two connections to each server; registration and
    // the code exchange reuse them; the browser stand-in opens one of its own. More than this
    // means a request stopped reusing its connection (two more round trips on a real network).
    let opened = w.take_connections();
    assert!(opened <= 5, "the one-process login opened {opened} connections");

    let first = w.run("mcp-token", &[], true);
    assert!(first.success(), "{first}");
    assert_eq!(w.take_connections(), 0, "a cached token needs no connection");
    let refreshed = w.run("mcp-token", &["--min-valid", "100000000"], true);
    assert!(refreshed.success(), "forced refresh over HTTPS: {refreshed}");
    assert_ne!(refreshed.stdout, first.stdout, "the refresh printed a new access token");
    assert_eq!(w.take_connections(), 1, "a refresh is one connection: one TCP and one TLS handshake");
}

#[test]
fn a_server_whose_ca_is_not_trusted_is_refused_and_nothing_stored_is_lost() {
    let w = World::new();
    assert!(w.run("mcp-authorize", &[], true).success());
    let before = w.run("mcp-token", &[], true);
    assert!(before.success(), "{before}");

    let refused = w.run("mcp-token", &["--min-valid", "100000000"], false);
    assert_eq!(refused.code, Some(4), "an unknown CA is a network error (exit 4): {refused}");
    let message = refused.stderr.to_lowercase();
    assert!(message.contains("certificate") || message.contains("issuer"), "{}", refused.stderr);
    assert_eq!(refused.stderr.trim().lines().count(), 1, "one line: {}", refused.stderr);

    let after = w.run("mcp-token", &[], true);
    assert!(after.success(), "{after}");
    assert_eq!(after.stdout, before.stdout, "the stored token is untouched");
}
