//! Enterprise-managed authorization (SEP-990) end to end: the real binaries against the test
//! authorization server and an enterprise IdP (tests/fixtures/enterprise.mjs), which issues
//! real ID tokens and ES256 ID-JAGs that the authorization server verifies against its JWKS.

use mcp_testkit::bins::{Output, Sandbox};
use mcp_testkit::enterprise::{self, Enterprise};
use mcp_testkit::servers::{Request, TestServers};
use std::path::PathBuf;
use std::time::Duration;

const STORE: [&str; 2] = ["--credential-helper", "file"];

/// One enterprise deployment (IdP + AS + MCP server) and a user's machine.
struct World {
    servers: TestServers,
    e: Enterprise,
    sandbox: Sandbox,
    /// The pass store, when the test uses it instead of the file store.
    pass: Option<mcp_testkit::pass::PassStore>,
}

impl World {
    fn new(extra: &[&str]) -> World {
        let servers = TestServers::start(enterprise::options(extra));
        let e = Enterprise::of(&servers);
        World { servers, e, sandbox: Sandbox::new(), pass: None }
    }

    /// The same machine in front of another deployment whose AS trusts this one's IdP.
    fn second_server(&self) -> (TestServers, Enterprise) {
        let other = TestServers::start(enterprise::options(&["--idp-issuer", &self.e.idp_issuer]));
        let oe = Enterprise::of(&other);
        self.e.allow(&other.issuer, &other.mcp_url, &oe.mas_client_id);
        (other, oe)
    }

    fn with_pass(mut self) -> World {
        assert!(mcp_testkit::pass::PassStore::available(), "pass is installed by scripts/setup");
        self.pass = Some(mcp_testkit::pass::PassStore::for_sandbox(&self.sandbox));
        self
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.sandbox.path().join(name);
        std::fs::write(&path, format!("{content}\n")).unwrap();
        path.display().to_string()
    }

    fn run(&self, bin: &str, args: &[&str], stdin: Option<&str>, env: &[(String, String)]) -> Output {
        let mut cmd = self.sandbox.cmd(bin);
        if self.pass.is_none() {
            cmd.args(STORE);
        }
        cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
        mcp_testkit::bins::run(cmd, stdin.map(str::as_bytes), Duration::from_secs(60))
    }

    /// `mcp-dcr` with the MCP client the IdP names in its ID-JAGs (pre-registered at the AS).
    fn register(&self, servers: &TestServers, e: &Enterprise) -> String {
        let secret = self.file("mas-secret", &e.mas_client_secret);
        let out = self.run(
            "mcp-dcr",
            &["--client-id", &e.mas_client_id, "--client-secret-file", &secret, &servers.mcp_url],
            None,
            &[],
        );
        assert!(out.success(), "mcp-dcr: {out}");
        out.stdout
    }

    /// The first run: names the IdP and its client.
    fn first_sign_in(&self, doc: &str, env: &[(String, String)], more: &[&str]) -> Output {
        let secret = self.file("idp-secret", &self.e.idp_client_secret);
        let redirect = format!("http://127.0.0.1:{}/callback", free_port());
        let mut args = vec![
            "--idp",
            &self.e.idp_issuer,
            "--idp-client-id",
            &self.e.idp_client_id,
            "--idp-client-secret-file",
            &secret,
            "--idp-redirect-uri",
            &redirect,
        ];
        args.extend(more);
        self.run("mcp-authorize", &args, Some(doc), env)
    }

    fn token(&self, servers: &TestServers, more: &[&str]) -> Output {
        let mut args = more.to_vec();
        args.push(&servers.mcp_url);
        self.run("mcp-token", &args, None, &[])
    }

    /// The stored token works at the MCP server, as the IdP's user and the MCP client.
    fn assert_mcp_call(&self, servers: &TestServers, e: &Enterprise, token: &str) {
        let answer = servers.call_mcp(Some(token), "initialize");
        assert_eq!(answer.status, 200, "{answer}");
        let who = &answer.json()["result"]["_meta"]["mcp-oauth-test/token"];
        assert_eq!(who["sub"], self.e.user, "{who}");
        assert_eq!(who["client_id"], e.mas_client_id.as_str(), "{who}");
    }

    fn stat(&self, name: &str) -> u64 {
        self.e.stats()[name].as_u64().unwrap()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A $BROWSER that records being run and fails: no sign-in may open one.
fn tripwire(dir: &std::path::Path) -> (Vec<(String, String)>, PathBuf) {
    let marker = dir.join("browser-was-called");
    let script = dir.join("tripwire-browser");
    std::fs::write(&script, format!("#!/bin/sh\necho called > '{}'\nexit 1\n", marker.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (vec![("BROWSER".into(), script.display().to_string())], marker)
}

fn assert_code(out: &Output, code: i32) {
    assert_eq!(out.code, Some(code), "expected exit {code}: {out}");
}

#[test]
fn one_sign_in_at_the_idp_then_an_mcp_call_with_the_token_from_pass() {
    let w = World::new(&[]).with_pass();
    let doc = w.register(&w.servers, &w.e);
    let out = w.first_sign_in(&doc, &w.e.browser_env(), &[]);
    assert!(out.success(), "{out}");
    let d = out.json();
    assert_eq!(d["token"]["grant"], "urn:ietf:params:oauth:grant-type:jwt-bearer", "{d}");
    assert!(d["token"].get("access_token").is_none(), "no secrets without --reveal-secrets: {d}");
    out.assert_stderr_hides(&[&w.e.idp_client_secret, &w.e.mas_client_secret, &w.e.password]);
    assert!(out.stderr.contains(&format!("through the IdP {}", w.e.idp_issuer)), "{out}");
    assert!(!out.stderr.contains("authorization_grant_profiles_supported"), "the AS lists the profile: {out}");
    // The client never went to the AS's authorization endpoint: one exchange, one grant.
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants"), w.stat("mas_refused")), (1, 1, 0));

    let token = w.token(&w.servers, &[]);
    assert!(token.success(), "{token}");
    w.assert_mcp_call(&w.servers, &w.e, token.stdout.trim());
    let pass = w.pass.as_ref().unwrap();
    assert!(pass.entry_files().len() >= 4, "IdP client and session, MCP client and token are in pass");
}

#[test]
fn the_idp_sign_in_can_use_the_device_grant() {
    let w = World::new(&[]);
    let out = w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &["--device"]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("/device"), "the user was sent to the IdP's device page: {out}");
    w.assert_mcp_call(&w.servers, &w.e, w.token(&w.servers, &[]).stdout.trim());
}

#[test]
fn a_headless_sign_in_at_the_idp_in_two_steps() {
    let w = World::new(&[]);
    let out = w.first_sign_in(&w.register(&w.servers, &w.e), &[], &["--print-url"]);
    assert!(out.success(), "{out}");
    let url = out.json()["pending"]["authorization_url"].as_str().expect("pending URL").to_string();
    assert!(url.starts_with(&w.e.idp_issuer), "the sign-in is at the IdP: {url}");

    // The "other machine" signs in at the IdP and ends at the callback address.
    let file = w.sandbox.path().join("callback-url");
    let mut browser = w.sandbox.command(mcp_testkit::servers::browser_command());
    browser.arg(&url).env("MCP_TEST_BROWSER_CALLBACK_FILE", &file).envs(w.e.browser_env().into_iter().skip(1));
    assert!(browser.status().unwrap().success());
    let callback = std::fs::read_to_string(&file).unwrap().trim().to_string();

    let out = w.run("mcp-authorize", &["--callback-url", &callback], None, &[]);
    assert!(out.success(), "{out}");
    let d = out.json();
    assert_eq!(d["server_url"], w.servers.mcp_url.as_str(), "{d}");
    assert_eq!(d["token"]["grant"], "urn:ietf:params:oauth:grant-type:jwt-bearer", "{d}");
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants")), (1, 1));
    w.assert_mcp_call(&w.servers, &w.e, w.token(&w.servers, &[]).stdout.trim());
    // The sign-in is stored: mcp-token renews from it.
    assert!(w.token(&w.servers, &["--min-valid", "100000"]).success());
    assert_eq!(w.stat("exchanges"), 2);
}

#[test]
fn a_second_mcp_server_of_the_enterprise_needs_no_second_sign_in() {
    let w = World::new(&[]);
    let out = w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]);
    assert!(out.success(), "{out}");

    let (other, oe) = w.second_server();
    let (no_browser, marker) = tripwire(w.sandbox.path());
    // Only the IdP is named: its client and the sign-in are stored.
    let out = w.run("mcp-authorize", &["--idp", &w.e.idp_issuer], Some(&w.register(&other, &oe)), &no_browser);
    assert!(out.success(), "{out}");
    assert!(!marker.exists(), "a browser was opened for the second server");
    assert_eq!(w.stat("exchanges"), 2, "the one IdP issued an ID-JAG for each server");
    assert_eq!(oe.stats()["mas_grants"], 1, "the second AS took its own ID-JAG");
    let token = w.token(&other, &[]);
    assert!(token.success(), "{token}");
    w.assert_mcp_call(&other, &oe, token.stdout.trim());

    // Without --idp, mcp-authorize for a server it knows keeps going through its IdP.
    let again = w.run("mcp-authorize", &[&other.mcp_url], None, &no_browser);
    assert!(again.success(), "{again}");
    assert_eq!(oe.stats()["mas_grants"], 2);
    assert!(!marker.exists());
}

#[test]
fn step_up_asks_the_idp_for_a_wider_id_jag_without_a_login() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    let narrow = w.token(&w.servers, &[]).stdout.trim().to_string();
    let denied = w.servers.call_mcp(Some(&narrow), "tools/call");
    assert_eq!(denied.status, 403, "{denied}");
    let challenge = denied.www_authenticate().expect("403 challenge").to_string();

    let (no_browser, marker) = tripwire(w.sandbox.path());
    let out = w.run("mcp-authorize", &["--step-up", &challenge, &w.servers.mcp_url], None, &no_browser);
    assert!(out.success(), "{out}");
    assert!(!marker.exists(), "the stored IdP sign-in did");
    let wide = w.token(&w.servers, &[]).stdout.trim().to_string();
    assert_eq!(w.servers.call_mcp(Some(&wide), "tools/call").status, 200);
    assert_eq!(w.stat("exchanges"), 2);
}

#[test]
fn mcp_token_renews_by_a_new_exchange_and_grant() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    let first = w.token(&w.servers, &[]);
    assert!(first.success(), "{first}");
    assert_eq!(w.stat("exchanges"), 1, "a valid token is served from the store");

    // A new process, a token that is "about to expire": one exchange, one grant, no login.
    let renewed = w.token(&w.servers, &["--min-valid", "100000"]);
    assert!(renewed.success(), "{renewed}");
    assert_ne!(renewed.stdout, first.stdout, "a new access token");
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants"), w.stat("mas_refused")), (2, 2, 0));
    w.assert_mcp_call(&w.servers, &w.e, renewed.stdout.trim());
    let status = w.run("mcp-token", &["--status", "--format", "json", &w.servers.mcp_url], None, &[]);
    assert_eq!(status.json()["logins"][0]["idp"], w.e.idp_issuer.as_str(), "{status}");

    // Signing out at the IdP (mcp-revoke ISSUER) ends every renewal through it.
    let out = w.run("mcp-revoke", &[&w.e.idp_issuer], None, &[]);
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["revoked"], serde_json::json!(["refresh_token", "access_token"]), "{out}");
    assert_code(&w.token(&w.servers, &["--min-valid", "100000"]), 7);
}

/// ID tokens live 33 s (fresh for the first 3, since one within 30 s of its end is refreshed
/// first) and IdP refresh tokens 8 s: a renewal refreshes the ID token once, and after the
/// IdP session is over mcp-token says which command signs in again, with exit 7.
#[test]
fn an_expired_id_token_is_refreshed_and_an_ended_idp_session_asks_for_a_sign_in() {
    let w = World::new(&["--idp-id-token-ttl", "33", "--idp-refresh-ttl", "8"]);
    let started = std::time::Instant::now();
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    std::thread::sleep(Duration::from_secs(4));
    let renewed = w.token(&w.servers, &["--min-valid", "100000"]);
    assert!(renewed.success(), "{renewed}");
    assert!(renewed.stderr.contains("refreshed the sign-in at the IdP"), "{renewed}");

    std::thread::sleep(Duration::from_secs(14).saturating_sub(started.elapsed()));
    let over = w.token(&w.servers, &["--min-valid", "100000"]);
    assert_code(&over, 7);
    let command = format!("run: mcp-authorize --idp {} {}", w.e.idp_issuer, w.servers.mcp_url);
    assert!(over.stderr.contains(&command), "{over}");
    let grants = w.stat("mas_grants");

    // That command signs in again and mcp-token works from then on.
    let again = w.run("mcp-authorize", &["--idp", &w.e.idp_issuer, &w.servers.mcp_url], None, &w.e.browser_env());
    assert!(again.success(), "{again}");
    assert_eq!(w.stat("mas_grants"), grants + 1);
    assert!(w.token(&w.servers, &[]).success());
}

#[test]
fn an_mcp_server_that_takes_only_dpop_tokens_is_refused_before_any_exchange() {
    // The ID-JAG grant gives Bearer tokens (a bound one is another grant, ID-JAG §8.6): a
    // server whose metadata says dpop_bound_access_tokens_required could never take them.
    let servers = TestServers::start(enterprise::options(&[]).variant(mcp_testkit::servers::Variant::Dpop));
    let e = Enterprise::of(&servers);
    let w = World { servers, e, sandbox: Sandbox::new(), pass: None };
    let doc = w.register(&w.servers, &w.e);
    let file = w.file("id-token", &w.e.id_token(300));
    let out = w.first_sign_in(&doc, &[], &["--id-token-file", &file]);
    assert_eq!(out.code, Some(5), "{out}");
    assert!(out.stderr.contains("takes only DPoP-bound tokens"), "{out}");
    assert_eq!(w.stat("exchanges"), 0, "nothing asked of the IdP");
    let out = w.run("mcp-authorize", &["--dpop", "--idp", &w.e.idp_issuer, &w.servers.mcp_url], None, &[]);
    assert_eq!(out.code, Some(2), "--dpop with --idp is a usage error: {out}");
}

#[test]
fn an_id_token_from_a_file_stdin_or_the_environment_signs_in_without_a_browser() {
    let w = World::new(&[]);
    let doc = w.register(&w.servers, &w.e);
    let (mut env, marker) = tripwire(w.sandbox.path());
    let file = w.file("id-token", &w.e.id_token(300));
    let out = w.first_sign_in(&doc, &env, &["--id-token-file", &file]);
    assert!(out.success(), "{out}");
    out.assert_stderr_hides(&[std::fs::read_to_string(&file).unwrap().trim()]);

    let id_token = w.e.id_token(300);
    env.push(("CI_ID_TOKEN".into(), id_token.clone()));
    let out = w.run("mcp-authorize", &["--idp", &w.e.idp_issuer, "--id-token-env", "CI_ID_TOKEN"], Some(&doc), &env);
    assert!(out.success(), "{out}");
    out.assert_stderr_hides(&[&id_token]);
    let stdin = w.e.id_token(300);
    let args = ["--trace", "--idp", &w.e.idp_issuer, "--id-token-file", "-", &w.servers.mcp_url];
    let out = w.run("mcp-authorize", &args, Some(&stdin), &env);
    assert!(out.success(), "{out}");
    out.assert_stderr_hides(&[&stdin, &w.e.idp_client_secret]);
    assert!(out.stderr.contains("token-exchange"), "the trace shows the exchange: {out}");
    // The IdP named by its token endpoint alone: no discovery of its metadata.
    let endpoint = format!("{}/token", w.e.idp_issuer);
    let args = ["--idp", &w.e.idp_issuer, "--idp-token-endpoint", &endpoint, "--id-token-env", "CI_ID_TOKEN"];
    let mut env2 = env.clone();
    env2.last_mut().unwrap().1 = w.e.id_token(300);
    let out = w.run("mcp-authorize", &args, Some(&doc), &env2);
    assert!(out.success(), "{out}");
    assert_eq!(w.stat("exchanges"), 4);
    assert!(!marker.exists(), "no browser");
    w.assert_mcp_call(&w.servers, &w.e, w.token(&w.servers, &[]).stdout.trim());

    // Unset variable, empty file, expired token: usage errors before any request.
    let empty = w.file("empty", "");
    let expired = w.file("expired", &w.e.id_token(0));
    for args in [
        vec!["--id-token-file", &expired],
        vec!["--id-token-env", "NOT_SET_ANYWHERE"],
        vec!["--id-token-file", &empty],
        vec!["--id-token-file", "/nonexistent/id-token"],
    ] {
        let mut all = vec!["--idp", &w.e.idp_issuer];
        all.extend(args);
        all.push(&w.servers.mcp_url);
        assert_code(&w.run("mcp-authorize", &all, None, &env), 2);
    }
    assert_eq!(w.stat("exchanges"), 4);

    // A handed-over ID token leaves nothing the IdP could revoke: signing out only erases it.
    let out = w.run("mcp-revoke", &[&w.e.idp_issuer], None, &[]);
    assert!(out.success(), "{out}");
    assert_eq!(out.json()["erased"], serde_json::json!(["token"]), "{out}");
    let renew = w.token(&w.servers, &["--min-valid", "100000"]);
    assert_code(&renew, 7);
    assert!(renew.stderr.contains(&format!("run: mcp-authorize --idp {}", w.e.idp_issuer)), "{renew}");
}

#[test]
fn the_idp_client_may_authenticate_with_a_private_key() {
    let w = World::new(&[]);
    let (key, jwk) = super::authorize::ec_key(w.sandbox.path());
    let registered = w.e.register_idp_client(&serde_json::json!({
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "jwks": {"keys": [jwk]},
        "grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"],
        "response_types": [],
        "redirect_uris": [],
    }));
    let client_id = registered["client_id"].as_str().unwrap();
    let env = vec![("CI_ID_TOKEN".to_string(), w.e.id_token_for(client_id, 300))];
    let args = [
        "--idp",
        &w.e.idp_issuer,
        "--idp-client-id",
        client_id,
        "--idp-private-key-file",
        &key,
        "--id-token-env",
        "CI_ID_TOKEN",
    ];
    let out = w.run("mcp-authorize", &args, Some(&w.register(&w.servers, &w.e)), &env);
    assert!(out.success(), "{out}");
    assert_eq!(w.stat("exchanges"), 1);
    w.assert_mcp_call(&w.servers, &w.e, w.token(&w.servers, &[]).stdout.trim());
    // Renewal authenticates the same way, with a new assertion.
    assert!(w.token(&w.servers, &["--min-valid", "100000"]).success());
    assert_eq!(w.stat("exchanges"), 2);
}

#[test]
fn an_id_token_the_idp_refuses_ends_in_exit_7_and_reaches_no_authorization_server() {
    let w = World::new(&[]);
    let doc = w.register(&w.servers, &w.e);
    // A real ID token with its signature broken: the IdP's JWKS check fails (invalid_grant).
    let good = w.e.id_token(300);
    let (head, sig) = good.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let forged = format!("{head}.{flipped}{}", &sig[1..]);
    let file = w.file("forged", &forged);
    let out = w.first_sign_in(&doc, &[], &["--id-token-file", &file]);
    assert_code(&out, 7);
    assert!(out.stderr.contains("invalid_grant"), "{out}");
    assert!(out.stderr.contains(&format!("run: mcp-authorize --idp {}", w.e.idp_issuer)), "{out}");
    assert_eq!(w.stat("mas_grants"), 0, "nothing went to the authorization server");
}

#[test]
fn an_id_jag_for_another_audience_is_refused_before_and_by_the_authorization_server() {
    let w = World::new(&[]);
    let doc = w.register(&w.servers, &w.e);
    w.e.set_mode("wrong-audience");
    let file = w.file("id-token", &w.e.id_token(300));
    let out = w.first_sign_in(&doc, &[], &["--id-token-file", &file]);
    assert_code(&out, 5);
    assert!(out.stderr.contains("audience") && out.stderr.contains("https://another-as.example"), "{out}");
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants")), (1, 0), "the client's pre-flight stopped it");

    // The authorization server really checks it too: the same kind of ID-JAG sent by hand.
    let idp = mcp_testkit::servers::get(&format!("{}/.well-known/openid-configuration", w.e.idp_issuer)).unwrap();
    let id_token = w.e.id_token(300);
    let exchange = Request::post(idp.json()["token_endpoint"].as_str().unwrap())
        .basic_auth(&w.e.idp_client_id, &w.e.idp_client_secret)
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
            ("requested_token_type", "urn:ietf:params:oauth:token-type:id-jag"),
            ("subject_token", &id_token),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
            ("audience", &w.servers.issuer),
            ("resource", &w.servers.mcp_url),
        ])
        .send()
        .unwrap();
    assert_eq!(exchange.status, 200, "{exchange}");
    let id_jag = exchange.json()["access_token"].as_str().unwrap().to_string();
    let grant = Request::post(w.servers.metadata()["token_endpoint"].as_str().unwrap())
        .basic_auth(&w.e.mas_client_id, &w.e.mas_client_secret)
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &id_jag),
            ("resource", &w.servers.mcp_url),
        ])
        .send()
        .unwrap();
    assert_eq!(grant.status, 400, "{grant}");
    assert_eq!(grant.json()["error"], "invalid_grant");
    assert_eq!(w.stat("mas_refused"), 1);
}

#[test]
fn a_refused_id_jag_gets_exactly_one_fresh_one_and_never_a_login_at_the_server() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    let (no_browser, marker) = tripwire(w.sandbox.path());
    let count = || (w.stat("exchanges"), w.stat("mas_grants"), w.stat("mas_refused"));
    assert_eq!(count(), (1, 1, 0));

    // The IdP hands out the ID-JAG already spent once: the AS refuses the replay, and the
    // one fresh ID-JAG asked for works.
    w.e.set_mode("replay-once");
    let out = w.token(&w.servers, &["--min-valid", "100000"]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("asking the IdP for one new ID-JAG"), "{out}");
    assert_eq!(count(), (3, 3, 1));

    // An IdP that keeps replaying: two tries in all, then a clear failure; no loop, and no
    // fallback to the authorization server's own login (no browser).
    w.e.set_mode("replay");
    let mut cmd = w.sandbox.cmd("mcp-authorize");
    cmd.args(STORE).arg(&w.servers.mcp_url).envs(no_browser.iter().map(|(k, v)| (k, v)));
    let out = mcp_testkit::bins::run(cmd, None, Duration::from_secs(60));
    assert_code(&out, 3);
    assert!(out.stderr.contains("not trying again"), "{out}");
    assert_eq!(count(), (5, 5, 3));
    assert!(!marker.exists(), "no interactive flow was started");
    let out = w.token(&w.servers, &["--min-valid", "100000"]);
    assert_code(&out, 3);
    assert_eq!(count(), (7, 7, 5));
}

/// The IdP sign-in is shown as what it is, beside the MCP logins it renews, and never sent an
/// MCP request: `--status` (JSON and text), `--status --online` and `--list`.
#[test]
fn status_shows_the_idp_sign_in_apart_and_never_probes_the_idp() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    let (other, oe) = w.second_server();
    assert!(w.run("mcp-authorize", &["--idp", &w.e.idp_issuer], Some(&w.register(&other, &oe)), &[]).success());

    let out = w.run("mcp-token", &["--status", "--online", "--format", "json"], None, &[]);
    assert!(out.success(), "{out}");
    let s = out.json();
    let logins = s["logins"].as_array().unwrap();
    let resources: Vec<&str> = logins.iter().map(|l| l["resource"].as_str().unwrap()).collect();
    let mut servers = vec![w.servers.mcp_url.as_str(), other.mcp_url.as_str()];
    servers.sort();
    assert_eq!(resources, servers, "only the MCP servers are logins: {s}");
    for l in logins {
        assert_eq!(l["online"]["result"], "valid", "{s}");
        assert_eq!(l["idp"], w.e.idp_issuer.as_str(), "{s}");
    }
    let idp = &s["idp_sign_ins"][0];
    assert_eq!(s["idp_sign_ins"].as_array().map(Vec::len), Some(1), "{s}");
    assert_eq!(idp["idp"], w.e.idp_issuer.as_str(), "{s}");
    assert_eq!(idp["client_id"], w.e.idp_client_id.as_str(), "{s}");
    assert_eq!(idp["refresh_token"], true, "{s}");
    assert_eq!(idp["serves"], serde_json::json!(servers), "{s}");
    assert!(idp.get("online").is_none(), "no MCP request to the IdP: {s}");
    let valid_until = idp["id_token_expires_at"].as_u64().expect("the ID token's exp");
    assert!(valid_until > mcp_oauth::clock::now() + 3000, "the IdP's ID tokens live an hour: {s}");
    out.assert_stderr_hides(&[&w.e.idp_client_secret]);

    // One server's status names the sign-in that renews it.
    let one = w.run("mcp-token", &["--status", "--format", "json", &other.mcp_url], None, &[]).json();
    assert_eq!(one["idp_sign_ins"][0]["idp"], w.e.idp_issuer.as_str(), "{one}");

    // A person reads the same, in words.
    let command = format!("{} {} --status", mcp_testkit::bins::bin_path("mcp-token").display(), STORE.join(" "));
    let mut cmd = w.sandbox.command("script");
    cmd.args(["-qec", &command, "/dev/null"]);
    let tty = mcp_testkit::bins::run(cmd, None, Duration::from_secs(60));
    assert!(tty.success(), "{tty}");
    assert!(tty.stdout.contains(&format!("signed in at the IdP {} (profile default)", w.e.idp_issuer)), "{tty}");
    assert!(tty.stdout.contains("serves         2 MCP servers"), "{tty}");
    assert!(!tty.stdout.contains(&format!("\n{} (profile", w.e.idp_issuer)), "not shown as a login: {tty}");

    // --list keeps its rows and fields, and tells the sign-in apart.
    let list = w.run("mcp-token", &["--list"], None, &[]).json();
    let tokens: Vec<&serde_json::Value> = list.as_array().unwrap().iter().filter(|r| r["kind"] == "token").collect();
    assert_eq!(tokens.len(), 3, "{list}");
    let signed_in: Vec<_> = tokens.iter().filter(|r| r["idp_sign_in"] == true).collect();
    assert_eq!(signed_in.len(), 1, "{list}");
    assert_eq!(signed_in[0]["issuer"], w.e.idp_issuer.as_str(), "{list}");
    for r in tokens.iter().filter(|r| r["idp_sign_in"] == false) {
        assert_eq!(r["idp"], w.e.idp_issuer.as_str(), "{list}");
        assert!(r["resource"].is_string() && r["has_refresh_token"].is_boolean(), "{list}");
    }
}

/// The IdP issuer given to mcp-token where an MCP server URL goes finds the stored IdP
/// sign-in: none of its tokens is given out as an MCP token (exit 2, nothing on stdout), and the
/// error says what it is and where to see it.
#[test]
fn mcp_token_with_the_idp_issuer_says_it_is_a_sign_in_and_gives_no_token() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    let exchanges = w.stat("exchanges");
    for url in [w.e.idp_issuer.clone(), format!("{}/", w.e.idp_issuer)] {
        let out = w.run("mcp-token", &[&url], None, &[]);
        assert_code(&out, 2);
        assert!(out.stdout.is_empty(), "no token given out: {out}");
        assert!(out.stderr.contains(&format!("is the enterprise IdP {}, not an MCP server", w.e.idp_issuer)), "{out}");
        assert!(out.stderr.contains("see it with mcp-token --status"), "{out}");
    }
    assert_eq!(w.stat("exchanges"), exchanges);
    // The sign-in is untouched and still serves the MCP server.
    assert!(w.token(&w.servers, &["--min-valid", "100000"]).success());
}

/// The IdP sign-in's redirect URI is the IdP client's: when its port is busy the advice names
/// the IdP's flags, not mcp-dcr's, and following it works.
#[test]
fn a_busy_idp_redirect_port_is_told_with_the_idp_flags() {
    let w = World::new(&[]);
    let doc = w.register(&w.servers, &w.e);
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = format!("http://127.0.0.1:{}/callback", held.local_addr().unwrap().port());
    let secret = w.file("idp-secret", &w.e.idp_client_secret);
    let args = [
        "--idp",
        &w.e.idp_issuer,
        "--idp-client-id",
        &w.e.idp_client_id,
        "--idp-client-secret-file",
        &secret,
        "--idp-redirect-uri",
        &busy,
    ];
    let out = w.run("mcp-authorize", &args, Some(&doc), &w.e.browser_env());
    assert_code(&out, 2);
    assert!(out.stderr.contains("is in use"), "{out}");
    assert!(out.stderr.contains("--idp-client-id ID --idp-redirect-uri URI"), "{out}");
    assert!(!out.stderr.contains("mcp-dcr"), "the MCP client is not the one to register again: {out}");
    drop(held);
    // The advice: the IdP client again, with another redirect URI.
    let out = w.first_sign_in(&doc, &w.e.browser_env(), &[]);
    assert!(out.success(), "{out}");
    w.assert_mcp_call(&w.servers, &w.e, w.token(&w.servers, &[]).stdout.trim());
}

/// EMA §6 makes the grant profile metadata a SHOULD: an authorization server without it is
/// still tried, with a note, and its grant works.
#[test]
fn an_authorization_server_without_the_grant_profile_metadata_is_tried_with_a_note() {
    let w = World::new(&["--omit-grant-profile"]);
    assert!(w.servers.metadata().get("authorization_grant_profiles_supported").is_none());
    let file = w.file("id-token", &w.e.id_token(300));
    let out = w.first_sign_in(&w.register(&w.servers, &w.e), &[], &["--id-token-file", &file]);
    assert!(out.success(), "{out}");
    let note = format!("{} does not list urn:ietf:params:oauth:grant-profile:id-jag", w.servers.issuer);
    assert!(out.stderr.contains(&note), "{out}");
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants"), w.stat("mas_refused")), (1, 1, 0));
    w.assert_mcp_call(&w.servers, &w.e, w.token(&w.servers, &[]).stdout.trim());
}

/// An MCP server whose metadata names an authorization server the enterprise did not set up
/// at its IdP: the ID-JAG is asked for that server (the discovered issuer), the IdP's
/// allow-list refuses it (invalid_target), and the error names the pair. Nothing reaches
/// that authorization server, the sign-in is kept, and no new one is asked for.
#[test]
fn an_authorization_server_the_idp_does_not_allow_is_a_clear_invalid_target() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    // Another deployment trusting the same IdP, but not on the IdP's allow-list.
    let other = TestServers::start(enterprise::options(&["--idp-issuer", &w.e.idp_issuer]));
    let oe = Enterprise::of(&other);
    let (no_browser, marker) = tripwire(w.sandbox.path());
    let out = w.run("mcp-authorize", &["--idp", &w.e.idp_issuer], Some(&w.register(&other, &oe)), &no_browser);
    assert_code(&out, 3);
    assert!(out.stderr.contains("invalid_target"), "{out}");
    let pair = format!("for the authorization server {} with the resource {}", other.issuer, other.mcp_url);
    assert!(out.stderr.contains(&pair), "{out}");
    assert!(!out.stderr.contains("signing in at the IdP"), "no sign-in fixes this: {out}");
    assert!(!marker.exists());
    assert_eq!(oe.stats()["mas_grants"], 0, "no ID-JAG reached the other authorization server");
    // The sign-in still serves the servers that are allowed.
    assert!(w.token(&w.servers, &["--min-valid", "100000"]).success());
}

/// ID-JAG §8.2: an IdP that wants a newer or stronger sign-in before it issues an ID-JAG. A
/// refresh of the ID token cannot give that, so it is not tried: exit 7, what the IdP wants,
/// and the command that signs in again.
#[test]
fn an_idp_asking_for_a_stronger_sign_in_is_exit_7_with_what_it_wants() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    w.e.set_mode("step-up");
    let out = w.token(&w.servers, &["--min-valid", "100000"]);
    assert_code(&out, 7);
    assert!(out.stderr.contains("wants a newer or stronger sign-in"), "{out}");
    assert!(out.stderr.contains("insufficient_user_authentication"), "{out}");
    assert!(out.stderr.contains(r#"acr_values "mfa", max_age 60 s"#), "{out}");
    assert!(out.stderr.contains(&step_up_command(&w)), "{out}");
    assert!(!out.stderr.contains("refreshed the sign-in"), "no ID token refresh: {out}");
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants")), (1, 1), "nothing more was issued or sent");
}

/// The command that signs in again as the step-up fixture's IdP asks (max_age 60, acr mfa).
fn step_up_command(w: &World) -> String {
    let params = "--auth-param max_age=60 --auth-param acr_values=mfa";
    format!("run: mcp-authorize --idp {} {params} {}", w.e.idp_issuer, w.servers.mcp_url)
}

/// The round after a step-up refusal: the IdP's sign-in must be asked for what the IdP wants
/// (OIDC Core §3.1.2.1 `max_age`, `acr_values`), since the fixture's IdP issues the ID-JAG
/// only for an ID token with a recent `auth_time` (there only when `max_age` was asked) and
/// `acr` "mfa" (its login does MFA only when asked). A sign-in that does not ask is refused
/// again; the advised command asks, and its token works at the MCP server.
#[test]
fn the_advised_sign_in_after_a_step_up_refusal_asks_for_what_the_idp_wants() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    w.e.set_mode("step-up");
    let refused = w.token(&w.servers, &["--min-valid", "100000"]);
    assert_code(&refused, 7);
    let command = step_up_command(&w);
    assert!(refused.stderr.contains(&command), "{refused}");

    // A new sign-in that does not ask (what the advice led to before) is refused again.
    let plain = ["--force", "--idp", &w.e.idp_issuer, &w.servers.mcp_url];
    let out = w.run("mcp-authorize", &plain, None, &w.e.browser_env());
    assert_code(&out, 7);
    assert!(out.stderr.contains("insufficient_user_authentication"), "{out}");
    assert_eq!(w.stat("exchanges"), 1, "no ID-JAG for a sign-in without MFA");

    // The advised command, word for word.
    let args: Vec<&str> = command.strip_prefix("run: mcp-authorize ").unwrap().split(' ').collect();
    let out = w.run("mcp-authorize", &args, None, &w.e.browser_env());
    assert!(out.success(), "{out}");
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants")), (2, 2), "{out}");
    let token = w.token(&w.servers, &[]);
    assert!(token.success(), "{token}");
    w.assert_mcp_call(&w.servers, &w.e, token.stdout.trim());
}

/// Without the flags, the plain `mcp-authorize --idp ISSUER URL` learns what the IdP wants from
/// its own refused exchange and asks the sign-in for it.
#[test]
fn a_sign_in_after_a_step_up_refusal_in_the_same_run_asks_for_what_the_idp_wants() {
    let w = World::new(&[]);
    assert!(w.first_sign_in(&w.register(&w.servers, &w.e), &w.e.browser_env(), &[]).success());
    w.e.set_mode("step-up");
    let out = w.run("mcp-authorize", &["--idp", &w.e.idp_issuer, &w.servers.mcp_url], None, &w.e.browser_env());
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("wants a newer or stronger sign-in"), "{out}");
    assert_eq!((w.stat("exchanges"), w.stat("mas_grants")), (2, 2), "{out}");
    w.assert_mcp_call(&w.servers, &w.e, w.token(&w.servers, &[]).stdout.trim());
}
