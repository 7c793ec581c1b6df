//! `mcp-token --status`: JSON on a pipe, a summary on a pseudo-terminal (the same facts), the
//! online check against the real servers, and never a secret in either form.

use mcp_testkit::bins::{Output, bin_path, run};
use mcp_testkit::servers::Options;
use mcp_testkit::world::{FILE_STORE, World};
use serde_json::Value;
use std::time::Duration;

/// What these tests add to the shared setting.
trait Tools {
    fn tool(&self, bin: &str, args: &[&str]) -> Output;
    fn on_a_terminal(&self, args: &str) -> Output;
}

impl Tools for World {
    /// A tool with nothing on stdin.
    fn tool(&self, bin: &str, args: &[&str]) -> Output {
        self.run(bin, args, None, &[])
    }

    /// `mcp-token ARGS` on a pseudo-terminal (util-linux `script`), as a person runs it.
    fn on_a_terminal(&self, args: &str) -> Output {
        let command = format!("{} {} {args}", bin_path("mcp-token").display(), FILE_STORE.join(" "));
        let mut cmd = self.sandbox.command("script");
        cmd.args(["-qec", &command, "/dev/null"]);
        run(cmd, None, Duration::from_secs(60))
    }
}

#[test]
fn no_login_is_exit_7_and_says_so() {
    let w = World::new(Options::default());
    let out = w.tool("mcp-token", &["--status"]);
    assert_eq!(out.code, Some(7), "{out}");
    let status = out.json();
    assert_eq!(status["logins"], serde_json::json!([]));
    assert!(status["store"].as_str().unwrap().contains("file store"), "{status}");
    let tty = w.on_a_terminal("--status");
    assert!(tty.stdout.contains("not logged in to any MCP server"), "{tty}");
}

#[test]
fn a_login_is_described_alike_on_a_pipe_and_a_terminal_without_secrets() {
    let w = World::new(Options::default());
    w.login(&[]);
    let token = w.tool("mcp-token", &[&w.servers.mcp_url]).stdout.trim().to_string();

    let out = w.tool("mcp-token", &["--status", "--online"]);
    assert!(out.success(), "{out}");
    let status = out.json();
    let login = &status["logins"][0];
    assert_eq!(login["resource"], w.servers.mcp_url);
    assert_eq!(login["issuer"], w.servers.issuer);
    assert_eq!(login["client_source"], "dynamic");
    assert_eq!(login["grant"], "authorization_code");
    assert_eq!(login["refresh_token"], true);
    assert_eq!(login["token_type"], "Bearer");
    assert!(login["scopes"].as_array().unwrap().contains(&Value::from("mcp:read")), "{login}");
    assert_eq!(login["online"]["result"], "valid", "{login}");
    assert!(!out.stdout.contains(&token), "no token in the status");

    let tty = w.on_a_terminal("--status --online");
    assert_eq!(tty.code, Some(0), "{tty}");
    for line in
        ["credential store: file store", "refresh token  yes", "server says    valid (HTTP 200)", "(profile default)"]
    {
        assert!(tty.stdout.contains(line), "{line:?} in {tty}");
    }
    assert!(tty.stdout.contains("expires in "), "{tty}");
    assert!(!tty.stdout.trim_start().starts_with('{'), "text, not JSON, on a terminal: {tty}");
    assert!(!tty.stdout.contains(&token), "no token on the terminal either");
    let forced = w.on_a_terminal("--status --format json");
    assert!(forced.stdout.trim_start().starts_with('{'), "--format json wins on a terminal: {forced}");

    // Filtered by URL: another server has no login.
    let other = w.tool("mcp-token", &["--status", "https://elsewhere.example/mcp"]);
    assert_eq!(other.code, Some(7), "{other}");
}

#[test]
fn the_online_check_tells_a_token_the_server_no_longer_takes() {
    let w = World::new(Options::default().access_ttl(2));
    w.login(&[]);
    std::thread::sleep(Duration::from_secs(3));
    let out = w.tool("mcp-token", &["--status", "--online"]);
    assert_eq!(out.code, Some(7), "{out}");
    let login = &out.json()["logins"][0];
    assert_eq!(login["online"]["result"], "rejected", "{login}");
    let tty = w.on_a_terminal("--status --online");
    assert!(tty.stdout.contains("expired ") && tty.stdout.contains("server says    rejected (401"), "{tty}");
}

/// `--error-format json` (or MCP_OAUTH_ERROR_FORMAT=json): one JSON object on stderr that a
/// script or an agent acts on without parsing prose.
#[test]
fn errors_can_be_one_json_object_with_the_command_to_run() {
    let w = World::new(Options::default());
    let out = w.tool("mcp-token", &["--error-format", "json", &w.servers.mcp_url]);
    assert_eq!(out.code, Some(7), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    let e: Value = serde_json::from_str(&out.stderr).unwrap_or_else(|err| panic!("{err}: {out}"));
    assert_eq!(e["tool"], "mcp-token");
    assert_eq!(e["exit_code"], 7);
    assert_eq!(e["error"], "login_required");
    assert!(e["message"].as_str().unwrap().contains("no token stored"), "{e}");
    assert!(e["command"].as_str().unwrap().starts_with("mcp-authorize "), "{e}");

    let mut cmd = w.sandbox.cmd("mcp-token");
    cmd.args(["--credential-helper", "file", "not a url"]).env("MCP_OAUTH_ERROR_FORMAT", "json");
    let out = run(cmd, None, Duration::from_secs(30));
    assert_eq!(out.code, Some(2), "{out}");
    let e: Value = serde_json::from_str(&out.stderr).unwrap_or_else(|err| panic!("{err}: {out}"));
    assert_eq!(e["error"], "usage");
}

/// A headless hand-off that was never finished shows as pending, and goes once its time is up.
#[test]
fn stale_hand_offs_are_purged() {
    let w = World::new(Options::default());
    let started = w.tool("mcp-authorize", &["--print-url", &w.servers.mcp_url]);
    assert!(started.success(), "{started}");
    let status = w.tool("mcp-token", &["--status"]);
    assert_eq!(status.json()["pending"].as_array().unwrap().len(), 1, "{status}");

    // Its time is up: move its expiry into the past, in the file store's entry.
    let dir = w.sandbox.xdg_config_home.join("mcp-oauth/credentials");
    for file in std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()) {
        let mut entry: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let Some(secret) = entry["Secret"].as_str() else { continue };
        let mut record: Value = serde_json::from_str(secret).unwrap();
        if record.get("code_verifier").is_some() {
            record["expires_at"] = Value::from(1);
            entry["Secret"] = Value::from(record.to_string());
            std::fs::write(&file, entry.to_string()).unwrap();
        }
    }
    let status = w.tool("mcp-token", &["--status"]).json();
    assert_eq!(status["pending"], serde_json::json!([]), "{status}");
    assert_eq!(status["purged_pending"], 1, "{status}");
    let again = w.tool("mcp-token", &["--status"]).json();
    assert_eq!(again["purged_pending"], 0, "gone for good: {again}");
}

/// `mcp-revoke --all`: everything of one profile revoked and erased, hand-offs included;
/// another profile's login is left alone.
#[test]
fn revoke_all_clears_one_profile() {
    let w = World::new(Options::default());
    w.login(&[]);
    w.login(&["--profile", "work"]);
    let token = w.tool("mcp-token", &[&w.servers.mcp_url]).stdout.trim().to_string();
    let started = w.tool("mcp-authorize", &["--print-url", &w.servers.mcp_url]);
    assert!(started.success(), "{started}");

    let out = w.tool("mcp-revoke", &["--all"]);
    assert!(out.success(), "{out}");
    let reports = out.json();
    let report = &reports[0];
    assert_eq!(report["server_url"], w.servers.mcp_url, "{reports}");
    assert_eq!(report["revoked"], serde_json::json!(["refresh_token", "access_token"]), "{reports}");
    for erased in ["token", "client", "pending"] {
        assert!(report["erased"].as_array().unwrap().contains(&Value::from(erased)), "{erased}: {reports}");
    }
    assert_eq!(w.servers.call_mcp(Some(&token), "initialize").status, 401, "revoked at the server");

    let status = w.tool("mcp-token", &["--status"]).json();
    let logins = status["logins"].as_array().unwrap();
    assert_eq!(logins.len(), 1, "{status}");
    assert_eq!(logins[0]["profile"], "work", "the other profile is left alone: {status}");
    assert_eq!(status["pending"], serde_json::json!([]), "{status}");
}
