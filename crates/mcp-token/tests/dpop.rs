//! DPoP end to end against the real test servers: oidc-provider enforcing proofs at the token
//! endpoint and the resource server checking them independently (tests/fixtures/dpop.mjs).
//! A login into a real pass store, proofs from mcp-token the RS accepts, a refresh in a new
//! process with the stored key, nonce challenges, the RS's own refusals of proofs made for
//! another request, and no Bearer presentation of a bound token anywhere.

use mcp_oauth::dpop::proof::{self, Target};
use mcp_oauth::store::{Store, StoreOptions};
use mcp_oauth::token::TokenSet;
use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::servers::{Fixture, Options, Request, Response, Variant, browser_command};
use mcp_testkit::workload::WorkloadIssuer;
use serde_json::{Value, json};
use std::time::Duration;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct World {
    servers: Fixture,
    sandbox: Sandbox,
    /// Set when the tools use a pass store (its environment goes to the in-test store too).
    pass: Option<mcp_testkit::pass::PassStore>,
    /// The workload issuer the servers trust (`--variant workload`), if they were started with one.
    workload: Option<WorkloadIssuer>,
}

impl World {
    fn new(variant: Variant, pass: bool) -> World {
        World::with(Options::default().variant(variant), pass)
    }

    fn with(options: Options, pass: bool) -> World {
        let sandbox = Sandbox::new();
        let pass = pass.then(|| mcp_testkit::pass::PassStore::for_sandbox(&sandbox));
        World { servers: Fixture::for_options(options), sandbox, pass, workload: None }
    }

    /// `dpop` servers with a machine client (a secret, plus `metadata`), stored by `mcp-dcr --client-id`.
    fn with_machine_client(metadata: Value) -> World {
        let secret = "a-long-enough-client-secret-for-the-test-server-0123456789";
        let mut client = mcp_testkit::servers::machine_client("ci-bot", secret);
        client.as_object_mut().unwrap().extend(metadata.as_object().unwrap().clone());
        let w = World::with(Options::default().variant(Variant::Dpop).client(client), false);
        let mut dcr = w.cmd("mcp-dcr");
        dcr.args(["--client-id", "ci-bot", "--auth-method", "client_secret_basic", &w.servers.mcp_url])
            .env("MCP_OAUTH_CLIENT_SECRET", secret);
        assert!(run(dcr, None, Duration::from_secs(60)).success());
        w
    }

    /// Servers whose authorization server also takes workload JWTs from an issuer of the test's own.
    fn with_workload(variant: Variant) -> World {
        let issuer = WorkloadIssuer::start();
        let w = World::with(issuer.servers_options().variant(variant), false);
        World { workload: Some(issuer), ..w }
    }

    /// A fresh workload JWT for this authorization server, written where the kubelet would.
    fn workload_token_file(&self) -> String {
        let issuer = self.workload.as_ref().expect("servers with a workload issuer");
        let (jwt, _) = issuer.mint(&json!({"aud": self.servers.issuer}));
        let file = self.sandbox.path().join("workload-token");
        std::fs::write(&file, jwt).unwrap();
        file.to_str().unwrap().to_string()
    }

    /// A tool with the sandbox's store: pass, or the file store.
    fn cmd(&self, bin: &str) -> std::process::Command {
        let mut cmd = self.sandbox.cmd(bin);
        cmd.env("BROWSER", browser_command());
        if self.pass.is_none() {
            cmd.env("MCP_OAUTH_CREDENTIAL_HELPER", "file");
        }
        cmd
    }

    fn run(&self, bin: &str, args: &[&str]) -> Output {
        let mut cmd = self.cmd(bin);
        cmd.args(args);
        run(cmd, None, Duration::from_secs(60))
    }

    /// `bin EXTRA... URL`.
    fn on_server(&self, bin: &str, extra: &[&str]) -> Output {
        self.run(bin, &[extra, &[self.servers.mcp_url.as_str()]].concat())
    }

    fn login(&self, extra: &[&str]) -> Value {
        let out = self.on_server("mcp-authorize", extra);
        assert!(out.success(), "mcp-authorize: {out}");
        out.json()
    }

    fn token(&self, extra: &[&str]) -> Output {
        self.on_server("mcp-token", extra)
    }

    /// `mcp-token --format header`: the two header lines.
    fn headers(&self, extra: &[&str]) -> Vec<(String, String)> {
        let out = self.token(&[&["--format", "header"], extra].concat());
        assert!(out.success(), "{out}");
        let lines: Vec<(String, String)> = out
            .stdout
            .lines()
            .map(|l| l.split_once(": ").map(|(n, v)| (n.to_string(), v.to_string())).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0].0, "Authorization");
        assert!(lines[0].1.starts_with("DPoP "), "{out}");
        assert_eq!(lines[1].0, "DPoP");
        lines
    }

    /// One JSON-RPC request to the MCP server with these headers.
    fn call(&self, method: &str, headers: &[(String, String)]) -> Response {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {}});
        let mut request =
            Request::post(&self.servers.mcp_url).json(&body).header("Accept", "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send().unwrap()
    }

    /// The store the tools use, opened in this process.
    fn store(&self) -> Store {
        Store::open(StoreOptions {
            helper: self.pass.is_none().then(|| "file".to_string()),
            docker_config_dir: Some(self.sandbox.docker_config.clone()),
            config_dir: Some(self.sandbox.xdg_config_home.join("mcp-oauth")),
            helper_env: self.pass.as_ref().map(|p| p.env()).unwrap_or_default(),
            ..StoreOptions::default()
        })
        .unwrap()
    }

    fn stored_set(&self) -> TokenSet {
        let key = mcp_oauth::token::store_key(&self.servers.mcp_url, None).unwrap();
        self.store().load(&key).unwrap().expect("a stored token set")
    }
}

fn www_authenticate(r: &Response) -> String {
    r.headers.iter().filter(|(n, _)| n == "www-authenticate").map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(", ")
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

#[test]
fn login_into_pass_presentation_and_a_refresh_in_a_new_process() {
    let w = World::new(Variant::Dpop, true);
    let out = w.on_server("mcp-authorize", &[]);
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("DPoP-bound: present it with mcp-token --format header"), "{out}");
    let doc = out.json();
    assert_eq!(doc["token"]["token_type"], "DPoP", "{doc}");

    // The record names the key, the key is in the store, and the AS bound the token to it.
    let set = w.stored_set();
    let key = mcp_oauth::dpop::key::load(&w.store(), &set.issuer, &set.client_id, None).unwrap().unwrap();
    assert_eq!(set.dpop_jkt.as_deref(), Some(key.jkt()));
    assert!(out.stderr.contains(&format!("dpop_jkt={}", key.jkt())), "the code is bound to the key: {out}");
    let stored: mcp_oauth::dpop::key::StoredKey =
        w.store().load(&mcp_oauth::store::keys::dpop(&set.issuer, &set.client_id, None)).unwrap().unwrap();
    let private = stored.private_key.expose();
    assert!(!doc.to_string().contains(private), "the key never reaches the document");
    let listed = w.run("mcp-token", &["--list"]);
    let rows = listed.json();
    let row = rows.as_array().unwrap().iter().find(|r| r["kind"] == "dpop").expect("the key's entry is listed");
    assert_eq!(row["jkt"], key.jkt(), "{row}");
    assert!(!listed.stdout.contains(private), "a listing never shows the key");
    let info = w.servers.introspection(set.access_token.expose());
    assert_eq!(info["cnf"]["jkt"], key.jkt(), "{info}");
    assert_eq!(info["token_type"], "DPoP");

    // Each request with its own proof from mcp-token: initialize, then tools/list.
    let first = w.headers(&[]);
    assert_eq!(w.call("initialize", &first).status, 200);
    let listed = w.call("tools/list", &w.headers(&[]));
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(listed.body.contains("whoami"));
    // A proof is for one request: the RS remembers its jti.
    let replayed = w.call("tools/list", &first);
    assert_eq!(replayed.status, 401);
    assert!(www_authenticate(&replayed).contains("replayed"), "{}", www_authenticate(&replayed));

    // Never as Bearer: not printed for it, and refused by the RS if someone tries.
    for format in ["token", "env", "headers"] {
        let out = w.token(&["--format", format]);
        assert_eq!(out.code, Some(5), "{out}");
        assert!(out.stderr.contains("DPoP-bound") && out.stderr.contains("--format header"), "{out}");
        out.assert_stderr_hides(&[set.access_token.expose()]);
        assert!(out.stdout.is_empty());
    }
    let bearer = w.servers.call_mcp(Some(set.access_token.expose()), "initialize");
    assert_eq!(bearer.status, 401, "the RS refuses a bound token as Bearer");

    // JSON carries the scheme and the proof.
    let json = w.token(&["--format", "json"]).json();
    assert_eq!((json["scheme"].as_str(), json["token_type"].as_str()), (Some("DPoP"), Some("DPoP")));
    let headers = vec![
        ("Authorization".to_string(), json["authorization"].as_str().unwrap().to_string()),
        ("DPoP".to_string(), json["dpop"].as_str().unwrap().to_string()),
    ];
    assert_eq!(w.call("ping", &headers).status, 200);

    // A new process refreshes with the key from the store (the refresh token is bound to it).
    let refreshed = w.headers(&["--min-valid", "100000"]);
    assert_ne!(refreshed[0].1, first[0].1, "a new access token");
    assert_eq!(w.call("tools/list", &refreshed).status, 200);
    assert_eq!(w.stored_set().dpop_jkt.as_deref(), Some(key.jkt()), "still bound to the same key");

    // --status --online presents it with a proof too.
    let status = w.run("mcp-token", &["--status", "--online", "--format", "json", &w.servers.mcp_url]);
    assert!(status.success(), "{status}");
    assert_eq!(status.json()["logins"][0]["online"]["result"], "valid", "{status}");

    // The key gone: a clear message and exit 7, for a refresh and for a presentation.
    w.store().erase(&mcp_oauth::store::keys::dpop(&set.issuer, &set.client_id, None)).unwrap();
    for extra in [&["--min-valid", "100000"][..], &[]] {
        let out = w.token(&[&["--format", "header"], extra].concat());
        assert_eq!(out.code, Some(7), "{out}");
        assert!(out.stderr.contains("DPoP key") && out.stderr.contains("mcp-authorize"), "{out}");
    }
    // A new login makes a new key and a token bound to it.
    w.login(&["--force"]);
    assert_eq!(w.call("tools/list", &w.headers(&[])).status, 200);
    // Revoking the client takes its key along.
    let out = w.run("mcp-revoke", &["--client", &w.servers.mcp_url]);
    assert!(out.success(), "{out}");
    assert!(
        w.store().load::<Value>(&mcp_oauth::store::keys::dpop(&set.issuer, &set.client_id, None)).unwrap().is_none()
    );
}

/// The RS really checks: proofs for another URL, another method, an old time or another token
/// are refused, while a proof made the same way for the right request passes.
#[test]
fn the_resource_server_refuses_proofs_made_for_another_request() {
    let w = World::new(Variant::Dpop, false);
    w.login(&[]);
    let refused = |headers: &[(String, String)], what: &str| {
        let r = w.call("tools/list", headers);
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        let challenge = www_authenticate(&r);
        assert!(challenge.contains(r#"DPoP error="invalid_dpop_proof""#), "{what}: {challenge}");
        challenge
    };
    let other_url = format!("{}/other", w.servers.mcp_url);
    assert!(refused(&w.headers(&["--dpop-url", &other_url]), "htu").contains("htu"));
    assert!(refused(&w.headers(&["--dpop-method", "GET"]), "htm").contains("htm"));

    // Proofs signed here with the stored key, for what mcp-token never produces.
    let set = w.stored_set();
    let key = mcp_oauth::dpop::key::load(&w.store(), &set.issuer, &set.client_id, None).unwrap().unwrap();
    let url = mcp_oauth::url_policy::parse("URL", &format!("{}?ignored=1", w.servers.mcp_url)).unwrap();
    let token = set.access_token.expose();
    let with_proof = |target: Target<'_>, iat: u64| {
        let p = proof::proof(&key, target, iat).unwrap();
        vec![("Authorization".to_string(), format!("DPoP {token}")), ("DPoP".to_string(), p.expose().to_string())]
    };
    let right = Target { htm: "POST", url: &url, access_token: Some(token), nonce: None };
    let now = mcp_oauth::clock::now();
    assert!(refused(&with_proof(right, now - 600), "stale iat").contains("iat"));
    assert!(refused(&with_proof(right, now + 600), "future iat").contains("iat"));
    let other_token = Target { access_token: Some("another-access-token"), ..right };
    assert!(refused(&with_proof(other_token, now), "ath").contains("ath"));
    let mut two = with_proof(right, now);
    two.push(("DPoP".to_string(), proof::proof(&key, right, now).unwrap().expose().to_string()));
    assert!(refused(&two, "two DPoP headers").contains("exactly one"));
    assert_eq!(w.call("tools/list", &with_proof(right, now)).status, 200, "the same proof, made right, passes");
}

/// `dpop-nonce`: the AS answers the first proof with 400 use_dpop_nonce, the RS the first
/// request with 401 use_dpop_nonce; each is answered once with the nonce.
#[test]
fn nonce_challenges_at_the_as_and_at_the_rs() {
    let w = World::new(Variant::DpopNonce, false);
    let out = w.run("mcp-authorize", &["--dpop", "--trace", &w.servers.mcp_url]);
    assert!(out.success(), "{out}");
    assert_eq!(out.stderr.matches("use_dpop_nonce").count(), 1, "one challenge, answered: {}", out.stderr);
    let token_posts = out.stderr.lines().filter(|l| l.starts_with("> POST") && l.contains("/token")).count();
    assert_eq!(token_posts, 2, "the code exchange and its one retry: {}", out.stderr);

    // At the RS: a proof without the nonce is challenged, and one with it passes.
    let first = w.call("tools/list", &w.headers(&[]));
    assert_eq!(first.status, 401);
    assert!(www_authenticate(&first).contains(r#"DPoP error="use_dpop_nonce""#), "{}", www_authenticate(&first));
    let nonce = header(&first, "dpop-nonce").expect("a DPoP-Nonce header");
    let ok = w.call("tools/list", &w.headers(&["--dpop-nonce", &nonce]));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let bad = w.token(&["--format", "header", "--dpop-nonce", "not a \"nonce\""]);
    assert_eq!(bad.code, Some(2), "{bad}");

    // --status --online answers the RS challenge itself, once.
    let status = w.run("mcp-token", &["--status", "--online", "--format", "json", &w.servers.mcp_url]);
    assert!(status.success(), "{status}");
    // And a refresh in a new process meets the AS challenge again (nonces live in the process).
    let refreshed = w.token(&["--min-valid", "100000", "--format", "header", "--trace"]);
    assert!(refreshed.success(), "{refreshed}");
    assert_eq!(refreshed.stderr.matches("use_dpop_nonce").count(), 1, "{}", refreshed.stderr);
    // The trace shows that proofs were sent, never the proofs, the key or the tokens.
    assert!(refreshed.stderr.contains("DPoP: [redacted"), "{}", refreshed.stderr);
    let printed: Vec<&str> = refreshed.stdout.lines().filter_map(|l| l.split_once(' ').map(|(_, v)| v)).collect();
    let set = w.stored_set();
    let stored: mcp_oauth::dpop::key::StoredKey =
        w.store().load(&mcp_oauth::store::keys::dpop(&set.issuer, &set.client_id, None)).unwrap().unwrap();
    let refresh_token = set.refresh_token.as_ref().map(|t| t.expose()).unwrap_or_default();
    refreshed.assert_stderr_hides(&[&printed[..], &[stored.private_key.expose(), refresh_token]].concat());
}

#[test]
fn require_and_refuse() {
    // --dpop with a server that does not offer DPoP: refused before anything is requested.
    let plain = World::with(Options::default(), false);
    let out = plain.run("mcp-authorize", &["--dpop", &plain.servers.mcp_url]);
    assert_eq!(out.code, Some(5), "{out}");
    assert!(out.stderr.contains("dpop_signing_alg_values_supported"), "{out}");

    // --no-dpop with a server that offers it: a plain Bearer token, which this MCP server (its
    // metadata says dpop_bound_access_tokens_required) refuses; the user asked for it.
    let w = World::new(Variant::Dpop, false);
    let doc = w.login(&["--no-dpop"]);
    assert_eq!(doc["token"]["token_type"], "Bearer", "{doc}");
    assert_eq!(w.stored_set().dpop_jkt, None);
    let out = w.token(&[]);
    assert!(out.success(), "{out}");
    let refused = w.servers.call_mcp(Some(out.stdout.trim()), "tools/list");
    assert_eq!(refused.status, 401);
    assert!(www_authenticate(&refused).contains("DPoP-bound tokens only"), "{}", www_authenticate(&refused));
    // Its refresh sends no proof, and stays Bearer.
    let out = w.token(&["--min-valid", "100000", "--format", "json"]);
    assert_eq!(out.json()["token_type"], "Bearer", "{out}");
    // Asking for DPoP now is a new authorization, not a refresh of the Bearer grant.
    let doc = w.login(&["--dpop"]);
    assert_eq!(doc["token"]["token_type"], "DPoP", "{doc}");
    assert!(w.stored_set().dpop_jkt.is_some());
}

/// Client credentials (a machine client with a secret) get a bound token too.
#[test]
fn client_credentials_with_dpop() {
    let w = World::with_machine_client(json!({}));
    let doc = w.login(&["--client-credentials", "--dpop"]);
    assert_eq!(doc["token"]["token_type"], "DPoP", "{doc}");
    assert_eq!(w.call("tools/list", &w.headers(&[])).status, 200);
    // Renewed by the grant again, with a proof of the same key.
    let renewed = w.headers(&["--min-valid", "100000"]);
    assert_eq!(w.call("tools/list", &renewed).status, 200);
}

/// The device grant's polls carry proofs too (here with the AS's nonces), and a public
/// client's refresh is bound to the key.
#[test]
fn device_code_with_dpop_and_nonces() {
    let client = json!({
        "client_id": "device-cli", "token_endpoint_auth_method": "none", "application_type": "native",
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "response_types": [], "redirect_uris": [],
    });
    let w = World::with(Options::default().variant(Variant::DpopNonce).client(client), false);
    let dcr = w.on_server("mcp-dcr", &["--client-id", "device-cli", "--auth-method", "none"]);
    assert!(dcr.success(), "{dcr}");
    let doc = w.login(&["--device", "--dpop"]);
    assert_eq!(
        (doc["token"]["token_type"].as_str(), doc["token"]["grant"].as_str()),
        (Some("DPoP"), Some("device_code"))
    );
    let set = w.stored_set();
    assert!(set.dpop_jkt.is_some());
    assert_eq!(w.servers.introspection(set.access_token.expose())["cnf"]["jkt"], set.dpop_jkt.unwrap().as_str());
    let refreshed = w.token(&["--min-valid", "100000", "--format", "json"]);
    assert!(refreshed.success(), "{refreshed}");
    assert_eq!(refreshed.json()["token_type"], "DPoP");
}

/// The headless hand-off: the key made at --print-url signs the code exchange of
/// --callback-url, in another process.
#[test]
fn headless_hand_off_with_dpop() {
    let w = World::new(Variant::Dpop, false);
    let done = hand_off(&w, &[], |_| ());
    assert!(done.success(), "{done}");
    assert_eq!(done.json()["token"]["token_type"], "DPoP", "{done}");
    assert_eq!(w.call("tools/list", &w.headers(&[])).status, 200);
}

/// `mcp-authorize --print-url EXTRA...`, the browser, `between`, then `--callback-url`.
fn hand_off(w: &World, extra: &[&str], between: impl FnOnce(&World)) -> Output {
    let started = w.on_server("mcp-authorize", &[&["--print-url"], extra].concat());
    assert!(started.success(), "{started}");
    let url = started.json()["pending"]["authorization_url"].as_str().unwrap().to_string();
    let file = w.sandbox.path().join("callback-url");
    let browser =
        w.sandbox.command(browser_command()).arg(&url).env("MCP_TEST_BROWSER_CALLBACK_FILE", &file).status().unwrap();
    assert!(browser.success());
    let callback = std::fs::read_to_string(&file).unwrap().trim().to_string();
    between(w);
    w.run("mcp-authorize", &["--callback-url", &callback])
}

/// The second half follows the first half's decision, not what the store holds by then:
/// `--no-dpop` at `--print-url` stays Bearer although the client's key is stored, and a
/// code bound to a key that is gone by `--callback-url` is not sent.
#[test]
fn headless_hand_off_keeps_the_first_halfs_dpop_decision() {
    let w = World::new(Variant::Dpop, false);
    w.login(&[]);
    let set = w.stored_set();
    assert!(set.dpop_jkt.is_some(), "an earlier DPoP login left the client's key");
    let done = hand_off(&w, &["--no-dpop"], |_| ());
    assert!(done.success(), "{done}");
    assert_eq!(done.json()["token"]["token_type"], "Bearer", "{done}");
    assert_eq!(w.stored_set().dpop_jkt, None);
    assert!(w.servers.token_requests().last().is_some_and(|r| r["dpop"] == false), "no proof was sent");

    let sent = w.servers.token_requests().len();
    let erase_key =
        |w: &World| w.store().erase(&mcp_oauth::store::keys::dpop(&set.issuer, &set.client_id, None)).unwrap();
    let done = hand_off(&w, &[], erase_key);
    assert_eq!(done.code, Some(8), "{done}");
    assert!(done.stderr.contains("DPoP key") && done.stderr.contains("--print-url"), "{done}");
    assert_eq!(w.servers.token_requests().len(), sent, "the code was not sent");
}

/// Workload identity (`--variant workload` with `dpop-nonce`): the jwt-bearer grant carries a
/// proof and answers the AS's nonce challenge, the token is bound to the key, mcp-token's
/// headers are accepted by the RS, and the renewal in a new process from the same source is
/// bound to the same key. `--no-dpop` still means a Bearer grant without a proof.
#[test]
fn workload_identity_with_dpop() {
    let w = World::with_workload(Variant::DpopNonce);
    let file = w.workload_token_file();
    let doc = w.login(&["--workload-token-file", &file]);
    assert_eq!(doc["token"]["token_type"], "DPoP", "the MCP server's metadata requires DPoP: {doc}");
    let requests = w.servers.token_requests();
    assert_eq!(requests.len(), 2, "the grant and its one nonce retry: {requests:?}");
    for r in &requests {
        assert_eq!((r["grant_type"].as_str(), r["dpop"].as_bool()), (Some(JWT_BEARER), Some(true)), "{r}");
    }
    let set = w.stored_set();
    let key = mcp_oauth::dpop::key::load(&w.store(), &set.issuer, &set.client_id, None).unwrap().unwrap();
    assert_eq!(set.dpop_jkt.as_deref(), Some(key.jkt()));
    assert_eq!(w.servers.introspection(set.access_token.expose())["cnf"]["jkt"], key.jkt());

    // The RS wants its own nonce first; with it, the proof mcp-token printed is accepted.
    let first = w.call("tools/list", &w.headers(&[]));
    assert_eq!(first.status, 401, "{}", first.body);
    let nonce = header(&first, "dpop-nonce").expect("a DPoP-Nonce header");
    let ok = w.call("tools/list", &w.headers(&["--dpop-nonce", &nonce]));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(w.servers.call_mcp(Some(set.access_token.expose()), "tools/list").status, 401, "never as Bearer");

    // A new process renews from the same file (a new JWT there), signing with the stored key.
    w.workload_token_file();
    let renewed = w.headers(&["--min-valid", "100000", "--dpop-nonce", &nonce]);
    assert_eq!(w.call("tools/list", &renewed).status, 200);
    let requests = w.servers.token_requests();
    assert_eq!(requests.len(), 4, "{requests:?}");
    assert!(requests[2..].iter().all(|r| r["grant_type"] == JWT_BEARER && r["dpop"] == true), "{requests:?}");
    let again = w.stored_set();
    assert_ne!(again.access_token.expose(), set.access_token.expose());
    assert_eq!(again.dpop_jkt.as_deref(), Some(key.jkt()), "the same key");
    assert_eq!(w.servers.introspection(again.access_token.expose())["cnf"]["jkt"], key.jkt());

    // The key gone: the remedy is the workload's own command, not a browser login.
    w.store().erase(&mcp_oauth::store::keys::dpop(&set.issuer, &set.client_id, None)).unwrap();
    let out = w.token(&["--format", "header"]);
    assert_eq!(out.code, Some(7), "{out}");
    assert!(out.stderr.contains(&format!("--workload-token-file {file}")), "{out}");

    // --no-dpop: the flag of the other flows, here too.
    let file = w.workload_token_file();
    let doc = w.login(&["--no-dpop", "--workload-token-file", &file]);
    assert_eq!(doc["token"]["token_type"], "Bearer", "{doc}");
    assert_eq!(w.servers.token_requests().last().unwrap()["dpop"], false);
    assert_eq!(w.stored_set().dpop_jkt, None);
}

/// RFC 9449 §5.2 `dpop_bound_access_tokens`: the AS refuses every token request of such a
/// client that lacks a proof. A registration outlives the login that made it, so the tools
/// never ask for it (see `RegistrationRequest::new`), even in a login that requires DPoP.
#[test]
fn a_client_registered_dpop_bound_gets_no_token_without_a_proof() {
    let w = World::with_machine_client(json!({"dpop_bound_access_tokens": true}));
    // oidc-provider says only invalid_grant ("DPoP proof JWT not provided" stays in its log).
    let refused = w.on_server("mcp-authorize", &["--client-credentials", "--no-dpop"]);
    assert_eq!(refused.code, Some(3), "{refused}");
    assert!(refused.stderr.contains("invalid_grant"), "{refused}");
    assert_eq!(w.servers.token_requests().last().unwrap()["dpop"], false);
    // The same client with a proof gets its token.
    let doc = w.login(&["--client-credentials"]);
    assert_eq!(doc["token"]["token_type"], "DPoP", "{doc}");

    // Registered by mcp-authorize in a login that requires DPoP (the MCP server's metadata
    // says so): not DPoP-bound, so a later --no-dpop login of the same client still works.
    let doc = w.login(&["--profile", "fresh"]);
    assert_eq!(doc["token"]["token_type"], "DPoP", "{doc}");
    let issuer = doc["authorization_server"]["issuer"].as_str().unwrap();
    let record: mcp_oauth::client::ClientRecord =
        w.store().load(&mcp_oauth::store::keys::client(issuer, Some("fresh"))).unwrap().unwrap();
    let read = Request::get(record.registration_client_uri.as_deref().unwrap())
        .bearer(record.registration_access_token.as_ref().unwrap().expose())
        .send()
        .unwrap();
    assert_eq!(read.status, 200, "{read}");
    assert_ne!(read.json()["dpop_bound_access_tokens"], true, "{read}");
    let doc = w.login(&["--profile", "fresh", "--no-dpop", "--force"]);
    assert_eq!(doc["token"]["token_type"], "Bearer", "{doc}");
}

/// One DPoP key per client: a workload login without a client and a registered client's login
/// at the same issuer and profile each keep the key their tokens are bound to, so either
/// refreshes in a new process after the other logged in. The fixture has one MCP server, so
/// the first token set is kept aside during the second login and put back, as a second MCP
/// server of the same issuer would keep it. `mcp-revoke --client` takes the registered
/// client's key only; `--all` takes the workload's too.
#[test]
fn each_client_of_an_issuer_keeps_its_own_key() {
    let w = World::with_workload(Variant::Dpop);
    let token_key = mcp_oauth::token::store_key(&w.servers.mcp_url, None).unwrap();
    let file = w.workload_token_file();
    w.login(&["--workload-token-file", &file]);
    let workload = w.stored_set();
    assert_eq!(workload.client_id, "", "a workload login without a client");
    let workload_record: Value = w.store().load(&token_key).unwrap().unwrap();

    let doc = w.login(&["--force"]);
    assert_eq!(doc["token"]["token_type"], "DPoP", "{doc}");
    let user = w.stored_set();
    assert!(!user.client_id.is_empty(), "a registered client");
    assert!(user.dpop_jkt.is_some() && user.dpop_jkt != workload.dpop_jkt, "its own key");
    let user_record: Value = w.store().load(&token_key).unwrap().unwrap();

    // Each set, back in the store, renews with its own key in a new process.
    for (record, set) in [(&workload_record, &workload), (&user_record, &user)] {
        w.store().save(&token_key, record).unwrap();
        w.workload_token_file();
        let renewed = w.headers(&["--min-valid", "100000"]);
        assert_eq!(w.call("tools/list", &renewed).status, 200, "{}", set.client_id);
        let again = w.stored_set();
        assert_ne!(again.access_token.expose(), set.access_token.expose(), "renewed");
        assert_eq!(again.dpop_jkt, set.dpop_jkt, "bound to the same key");
    }

    let dpop_keys = |w: &World| {
        let listed = w.run("mcp-token", &["--list"]);
        assert!(listed.success(), "{listed}");
        let rows = listed.json();
        let mut jkts: Vec<String> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "dpop")
            .map(|r| r["jkt"].as_str().unwrap().to_string())
            .collect();
        jkts.sort();
        jkts
    };
    let mut both = vec![workload.dpop_jkt.clone().unwrap(), user.dpop_jkt.clone().unwrap()];
    both.sort();
    assert_eq!(dpop_keys(&w), both, "both keys are listed");
    let out = w.run("mcp-revoke", &["--client", &w.servers.mcp_url]);
    assert!(out.success(), "{out}");
    assert_eq!(dpop_keys(&w), vec![workload.dpop_jkt.clone().unwrap()], "the workload's key is not the client's");
    let out = w.run("mcp-revoke", &["--all"]);
    assert!(out.success(), "{out}");
    assert!(dpop_keys(&w).is_empty(), "--all takes every key");
}
