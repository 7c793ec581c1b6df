//! mcp-token and mcp-revoke against the real test servers: a login by mcp-authorize, then
//! cached reads, refreshes (also ten at once with rotating refresh tokens), revocation, and
//! the "needs a login" exit code. The pass-backed run uses a real docker-credential-pass.

use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::servers::{Fixture, Options, TestServers, browser_command};
use serde_json::Value;
use std::time::Duration;

struct World {
    servers: Fixture,
    sandbox: Sandbox,
    store: Vec<String>,
}

impl World {
    fn new(options: Options, store: &[&str]) -> World {
        World {
            servers: Fixture::for_options(options),
            sandbox: Sandbox::new(),
            store: store.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn run(&self, bin: &str, args: &[&str]) -> Output {
        let mut cmd = self.sandbox.cmd(bin);
        cmd.args(&self.store).args(args).env("BROWSER", browser_command());
        run(cmd, None, Duration::from_secs(60))
    }

    fn login(&self) -> Value {
        let out = self.run("mcp-authorize", &[&self.servers.mcp_url]);
        assert!(out.success(), "mcp-authorize: {out}");
        out.json()
    }

    fn token(&self, extra: &[&str]) -> Output {
        let mut args = extra.to_vec();
        args.push(&self.servers.mcp_url);
        self.run("mcp-token", &args)
    }

    fn accepted(&self, token: &str) -> bool {
        self.servers.call_mcp(Some(token), "initialize").status == 200
    }
}

fn file_store() -> [&'static str; 2] {
    ["--credential-helper", "file"]
}

/// `mcp-discover URL | mcp-dcr | mcp-authorize | mcp-token`: with no URL, the document on
/// stdin names the server and the profile, as the help says.
#[test]
fn reads_the_pipeline_document_on_stdin_when_no_url_is_given() {
    let w = World::new(Options::default(), &file_store());
    let mut login = w.sandbox.cmd("mcp-authorize");
    login.args(w.store.iter()).args(["--profile", "ci", &w.servers.mcp_url]).env("BROWSER", browser_command());
    let doc = run(login, None, Duration::from_secs(60));
    assert!(doc.success(), "{doc}");

    let mut cmd = w.sandbox.cmd("mcp-token");
    cmd.args(&w.store);
    let out = run(cmd, Some(doc.stdout.as_bytes()), Duration::from_secs(60));
    assert!(out.success(), "the document's server and profile: {out}");
    assert!(w.accepted(out.stdout.trim_end()));
    // The profile came from the document: the default profile has no token.
    assert_eq!(w.token(&[]).code, Some(7), "no token under the default profile");
}

#[test]
fn prints_the_stored_token_without_network_and_it_is_accepted() {
    let w = World::new(Options::default(), &file_store());
    let doc = w.login();
    assert!(doc["token"]["access_token"].is_null(), "no token in the document without --reveal-secrets");

    let out = w.token(&["--trace"]);
    assert!(out.success(), "{out}");
    let token = out.stdout.trim_end_matches('\n');
    assert!(!token.is_empty() && !token.contains(char::is_whitespace), "the token alone: {:?}", out.stdout);
    assert!(out.stdout.ends_with('\n'));
    // --trace prints every HTTP exchange: a cached read makes none.
    assert!(!out.stderr.contains("> POST") && !out.stderr.contains("> GET"), "no request expected: {}", out.stderr);
    assert!(!out.stderr.contains(token), "the token never reaches stderr");
    assert!(w.accepted(token));

    let header = w.token(&["--format", "header"]);
    assert_eq!(header.stdout.trim(), format!("Authorization: Bearer {token}"));
    let env = w.token(&["--format", "env", "--env-var", "MCP_T"]);
    assert_eq!(env.stdout.trim(), format!("export MCP_T='{token}'"));
    let json = w.token(&["--format", "json"]).json();
    assert_eq!(json["access_token"], token);
    assert_eq!(json["issuer"], w.servers.issuer);
    assert!(json["expires_in"].as_u64().unwrap() > 0);
}

#[test]
fn refreshes_when_too_close_to_expiry_and_the_new_token_works() {
    let w = World::new(Options::default().access_ttl(120), &file_store());
    w.login();
    let first = w.token(&[]).stdout.trim().to_string();
    // Valid for ~120 s: asking for 1000 s of validity forces a refresh, with `resource`.
    let out = w.token(&["--min-valid", "1000", "--trace"]);
    assert!(out.success(), "{out}");
    let second = out.stdout.trim().to_string();
    assert_ne!(first, second, "a refreshed token");
    assert!(out.stderr.contains("grant_type=refresh_token"), "{}", out.stderr);
    assert!(out.stderr.contains("resource="), "RFC 8707 resource on refresh: {}", out.stderr);
    assert!(!out.stderr.contains(&second), "the new token never reaches stderr");
    assert!(w.accepted(&second));
    // Persisted: the next cached read prints the refreshed token.
    assert_eq!(w.token(&[]).stdout.trim(), second);
}

#[test]
fn ten_concurrent_refreshes_with_rotating_refresh_tokens_all_succeed() {
    let w = World::new(Options::default().access_ttl(120), &file_store());
    w.login();
    std::thread::sleep(Duration::from_secs(6));
    // Remaining validity is now under 115 s, so every process wants a refresh; one gets
    // the lock and refreshes, the others find its fresh token when they get the lock.
    let outs: Vec<Output> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10).map(|_| s.spawn(|| w.token(&["--min-valid", "115"]))).collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    for o in &outs {
        assert!(o.success(), "{o}");
        assert!(w.accepted(o.stdout.trim()), "every printed token is valid");
    }
    let distinct: std::collections::BTreeSet<&str> = outs.iter().map(|o| o.stdout.trim()).collect();
    assert_eq!(distinct.len(), 1, "one refresh served all ten: {distinct:?}");
    // The store is consistent: the stored refresh token still works.
    let again = w.token(&["--min-valid", "100000"]);
    assert!(again.success(), "the rotated refresh token was kept: {again}");
}

#[test]
fn no_token_means_exit_7_with_the_command_to_run() {
    let w = World::new(Options::default(), &file_store());
    let out = w.token(&[]);
    assert_eq!(out.code, Some(7), "{out}");
    assert!(out.stderr.contains("mcp-authorize"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
}

#[test]
fn revoke_makes_the_server_forget_the_tokens_and_is_idempotent() {
    let w = World::new(Options::default(), &file_store());
    let doc = w.login();
    assert_eq!(doc["token"]["has_refresh_token"], true);
    let revealed = w.token(&["--format", "json"]).json();
    let access = revealed["access_token"].as_str().unwrap().to_string();
    assert!(w.servers.introspect(&access));

    let out = w.run("mcp-revoke", &["--trace", &w.servers.mcp_url]);
    assert!(out.success(), "{out}");
    let report = out.json();
    assert_eq!(report["revoked"], serde_json::json!(["refresh_token", "access_token"]));
    assert!(!w.servers.introspect(&access), "the access token is inactive at the server");
    assert!(!out.stderr.contains(&access), "no token in the trace");

    let after = w.token(&[]);
    assert_eq!(after.code, Some(7), "needs a login now: {after}");
    let again = w.run("mcp-revoke", &[&w.servers.mcp_url]);
    assert!(again.success(), "a second revoke succeeds: {again}");

    // --client removes the client too, and deletes the registration at the server.
    let out = w.run("mcp-revoke", &["--client", &w.servers.mcp_url]);
    assert!(out.success(), "{out}");
    let list = w.run("mcp-token", &["--list"]).json();
    assert_eq!(list, serde_json::json!([]), "nothing left");
}

#[test]
fn revoke_without_a_reachable_server_still_erases_and_exits_9() {
    // Servers of its own, not the shared pair: this test stops them.
    let w = World {
        servers: Fixture::Own(Box::new(TestServers::start(Options::default()))),
        sandbox: Sandbox::new(),
        store: file_store().iter().map(|s| s.to_string()).collect(),
    };
    w.login();
    let url = w.servers.mcp_url.clone();
    drop(w.servers); // stop the servers: the revocation endpoint is gone
    let out = {
        let mut cmd = w.sandbox.cmd("mcp-revoke");
        cmd.args(&w.store).args(["--timeout", "5", &url]);
        run(cmd, None, Duration::from_secs(60))
    };
    assert_eq!(out.code, Some(9), "{out}");
    let mut cmd = w.sandbox.cmd("mcp-token");
    cmd.args(&w.store).arg(&url);
    assert_eq!(run(cmd, None, Duration::from_secs(30)).code, Some(7), "erased locally");
}

#[test]
fn list_shows_entries_and_never_secrets() {
    let w = World::new(Options::default(), &file_store());
    w.login();
    let token = w.token(&[]).stdout.trim().to_string();
    let out = w.run("mcp-token", &["--list"]);
    assert!(out.success(), "{out}");
    assert!(!out.stdout.contains(&token));
    let rows = out.json();
    let kinds: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"token") && kinds.contains(&"client"), "{rows}");
    let tok = rows.as_array().unwrap().iter().find(|r| r["kind"] == "token").unwrap();
    assert_eq!(tok["issuer"], w.servers.issuer);
    assert_eq!(tok["resource"], w.servers.mcp_url);
    assert!(tok["expires_at"].is_u64() && tok["scope"].is_string(), "{tok}");
    assert_eq!(tok["has_refresh_token"], true, "{tok}");
}

#[test]
fn with_a_real_pass_store() {
    assert!(
        mcp_testkit::pass::PassStore::available(),
        "pass, gpg and docker-credential-pass are installed by scripts/setup"
    );
    let w = World::new(Options::default(), &["--credential-helper", "pass"]);
    let _pass = mcp_testkit::pass::PassStore::for_sandbox(&w.sandbox);
    w.login();
    let out = w.token(&[]);
    assert!(out.success(), "{out}");
    assert!(w.accepted(out.stdout.trim()));
    let out = w.run("mcp-revoke", &["--client", &w.servers.mcp_url]);
    assert!(out.success(), "{out}");
}

/// The README's CI recipe, past the first token's lifetime: a client-credentials token is
/// renewed by the client-credentials grant with the stored secret, never by a browser login.
#[test]
fn a_client_credentials_token_is_renewed_with_the_stored_secret() {
    let secret = "a-long-enough-client-secret-for-the-test-server-0123456789";
    let client = mcp_testkit::servers::machine_client("ci-bot", secret);
    let w = World::new(Options::default().access_ttl(120).client(client), &file_store());
    let url = w.servers.mcp_url.as_str();
    let with_secret = |bin: &str, args: &[&str], secret: &str| {
        let mut cmd = w.sandbox.cmd(bin);
        cmd.args(&w.store).args(args).env("MCP_OAUTH_CLIENT_SECRET", secret);
        run(cmd, None, Duration::from_secs(60))
    };
    let dcr = with_secret("mcp-dcr", &["--client-id", "ci-bot", "--auth-method", "client_secret_basic", url], secret);
    assert!(dcr.success(), "{dcr}");
    let login = w.run("mcp-authorize", &["--client-credentials", url]);
    assert!(login.success(), "{login}");
    let first = w.token(&[]).stdout.trim().to_string();

    // Valid for ~120 s: asking for 1000 s forces a renewal.
    let out = w.token(&["--min-valid", "1000", "--trace"]);
    assert!(out.success(), "renewed without a login: {out}");
    assert!(out.stderr.contains("grant_type=client_credentials"), "{}", out.stderr);
    assert!(out.stderr.contains("resource="), "RFC 8707 resource on renewal: {}", out.stderr);
    assert!(!out.stderr.contains(secret), "the secret never reaches stderr");
    let second = out.stdout.trim().to_string();
    assert_ne!(first, second);
    assert!(w.accepted(&second));
    let json = w.token(&["--format", "json"]).json();
    assert_eq!(json["access_token"], second.as_str(), "the renewed token is stored");

    // A secret the server no longer accepts: a login is needed, and the hint is the
    // client-credentials command, not a browser flow.
    let dcr =
        with_secret("mcp-dcr", &["--client-id", "ci-bot", "--auth-method", "client_secret_basic", url], "rotated-away");
    assert!(dcr.success(), "{dcr}");
    let refused = w.token(&["--min-valid", "1000"]);
    assert_eq!(refused.code, Some(7), "{refused}");
    assert_eq!(refused.stderr.lines().count(), 1, "{refused}");
    assert!(refused.stderr.contains(&format!("mcp-authorize --client-credentials {url}")), "{refused}");
    assert!(!refused.stderr.contains("rotated-away"), "{refused}");
    assert_eq!(w.token(&[]).stdout.trim(), second, "the stored token is kept");
}
