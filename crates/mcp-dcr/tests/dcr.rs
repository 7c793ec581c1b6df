//! mcp-dcr against the real test authorization server (oidc-provider with RFC 7591/7592),
//! with the file store. Each test has its own sandbox (home, store); the well-behaved
//! servers are shared, since registrations of different sandboxes cannot meet (and one
//! node process per test overloads a small CI machine).

use mcp_testkit::bins::{Output, Sandbox};
use mcp_testkit::servers::{Options, TestServers, Variant, encode_form, get};
use serde_json::{Value, json};
use std::sync::OnceLock;

fn shared() -> &'static TestServers {
    static SERVERS: OnceLock<TestServers> = OnceLock::new();
    SERVERS.get_or_init(|| TestServers::start(Options::default()))
}

/// A pipeline document as mcp-discover writes it, built from the server's real metadata so
/// these tests exercise registration alone.
fn document(servers: &TestServers) -> String {
    json!({
        "mcp_oauth": 1,
        "server_url": servers.mcp_url,
        "resource": servers.mcp_url,
        "authorization_server": {
            "issuer": servers.issuer,
            "metadata": servers.metadata(),
            "pkce_s256": true,
            "registration_options": ["dynamic"],
        },
        "scope": { "scopes": ["mcp:read"], "source": "challenge" },
    })
    .to_string()
}

fn dcr(sandbox: &Sandbox, servers: &TestServers, args: &[&str]) -> Output {
    let mut all = vec!["--credential-helper", "file"];
    all.extend_from_slice(args);
    sandbox.run("mcp-dcr", &all, Some(&document(servers)))
}

fn ok(out: &Output) -> Value {
    assert!(out.success(), "mcp-dcr failed ({:?}): {}", out.code, out.stderr);
    out.json()
}

/// Would the server start an authorization for this client and redirect URI? A known
/// client with a registered redirect gets a redirect to the login interaction; anything
/// else gets an error page (oidc-provider never redirects to an unverified URI).
fn authorization_accepted(servers: &TestServers, client_id: &str, redirect_uri: &str) -> bool {
    let endpoint = servers.metadata()["authorization_endpoint"].as_str().expect("authorization_endpoint").to_string();
    let query = encode_form(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", "mcp:read"),
        ("resource", &servers.mcp_url),
        ("state", "test-state"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
    ]);
    let r = get(&format!("{endpoint}?{query}")).expect("GET authorization endpoint");
    (300..400).contains(&r.status) && r.header("location").is_some_and(|l| l.contains("/interaction/"))
}

fn client(doc: &Value) -> &Value {
    &doc["client"]
}

fn port_of(uri: &str) -> u16 {
    let rest = uri.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("not a loopback redirect: {uri}"));
    rest.split('/').next().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no port in {uri}"))
}

#[test]
fn registers_a_public_native_client_and_reuses_it() {
    let servers = shared();
    let sandbox = Sandbox::new();

    let first = ok(&dcr(&sandbox, servers, &[]));
    let c = client(&first);
    let id = c["client_id"].as_str().expect("client_id");
    assert_eq!(c["source"], "dynamic");
    assert_eq!(c["auth_method"], "none");
    assert!(c.get("client_secret").is_none());
    let redirect = c["redirect_uri"].as_str().expect("redirect_uri");
    assert_eq!(redirect, format!("http://127.0.0.1:{}/callback", port_of(redirect)));
    assert!(c["store_key"].as_str().is_some_and(|k| !k.is_empty()));
    // The rest of the document passes through.
    assert_eq!(first["authorization_server"]["issuer"], servers.issuer.as_str());
    assert_eq!(first["scope"]["scopes"], json!(["mcp:read"]));

    // The server really knows the client and its redirect, and, since we registered it as a
    // native app, accepts the same redirect on another port (what bind_callback relies on).
    assert!(authorization_accepted(servers, id, redirect));
    let other_port = redirect.replace(&port_of(redirect).to_string(), &(port_of(redirect) ^ 1).to_string());
    assert!(authorization_accepted(servers, id, &other_port));
    assert!(!authorization_accepted(servers, id, "http://127.0.0.1:1/elsewhere"));

    // Second run: the stored client, nothing registered.
    let second = dcr(&sandbox, servers, &["--trace"]);
    let second_doc = ok(&second);
    assert_eq!(client(&second_doc), c);
    assert!(!second.stderr.contains("> POST"), "a reused client needs no request:\n{}", second.stderr);
}

#[test]
fn force_registers_anew_and_deletes_the_old_registration() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let first = ok(&dcr(&sandbox, servers, &[]));
    let old_id = client(&first)["client_id"].as_str().expect("id").to_string();
    let old_redirect = client(&first)["redirect_uri"].as_str().expect("redirect").to_string();

    let second = ok(&dcr(&sandbox, servers, &["--force"]));
    let new_id = client(&second)["client_id"].as_str().expect("id");
    assert_ne!(new_id, old_id);
    assert_eq!(client(&second)["redirect_uri"], old_redirect.as_str(), "the port stays unless asked otherwise");
    assert!(authorization_accepted(servers, new_id, &old_redirect));
    assert!(!authorization_accepted(servers, &old_id, &old_redirect), "RFC 7592 delete of the replaced client");

    // And the new one is what later runs reuse.
    let third = ok(&dcr(&sandbox, servers, &[]));
    assert_eq!(client(&third)["client_id"], new_id);
}

#[test]
fn another_redirect_means_another_registration() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let port = mcp_oauth::redirect::free_port().expect("free port");
    let first = ok(&dcr(&sandbox, servers, &["--port", &port.to_string()]));
    let wanted = format!("http://127.0.0.1:{port}/callback");
    assert_eq!(client(&first)["redirect_uri"], wanted.as_str());

    let same = ok(&dcr(&sandbox, servers, &["--redirect-uri", &wanted]));
    assert_eq!(client(&same)["client_id"], client(&first)["client_id"]);

    let moved = format!("http://127.0.0.1:{}/oauth/cb", port ^ 1);
    let out = dcr(&sandbox, servers, &["--redirect-uri", &moved]);
    let second = ok(&out);
    assert_ne!(client(&second)["client_id"], client(&first)["client_id"]);
    assert_eq!(client(&second)["redirect_uri"], moved.as_str());
    assert!(out.stderr.contains("redirect URI"), "says why it re-registered: {}", out.stderr);
}

#[test]
fn a_confidential_registration_keeps_its_secret_out_of_sight() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let out = dcr(&sandbox, servers, &["--auth-method", "client_secret_basic", "--trace"]);
    let doc = ok(&out);
    assert_eq!(client(&doc)["auth_method"], "client_secret_basic");
    assert!(client(&doc).get("client_secret").is_none());

    // The secret was stored: --reveal-secrets shows it, from the store, without registering.
    let revealed = ok(&dcr(&sandbox, servers, &["--reveal-secrets"]));
    assert_eq!(client(&revealed)["client_id"], client(&doc)["client_id"]);
    let secret = client(&revealed)["client_secret"].as_str().expect("stored secret");
    assert!(secret.len() >= 16);
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret), "secret leaked:\n{}", out.stderr);
    assert!(out.stderr.contains("[redacted"), "the trace shows the secret was there, hidden");
}

#[test]
fn concurrent_runs_register_once() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let outs: Vec<Output> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..4).map(|_| s.spawn(|| dcr(&sandbox, servers, &[]))).collect();
        runs.into_iter().map(|r| r.join().expect("run thread")).collect()
    });
    let ids: Vec<Value> = outs.iter().map(|o| client(&ok(o))["client_id"].clone()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one registration for concurrent runs: {ids:?}");
}

/// A confidential client registered with the provider beforehand, as an admin would.
fn pre_registered(servers: &TestServers, redirect_uri: &str) -> (String, String) {
    let reg = servers.register_client(&json!({
        "application_type": "native",
        "client_name": "admin-registered",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
    }));
    (reg["client_id"].as_str().expect("id").into(), reg["client_secret"].as_str().expect("secret").into())
}

#[test]
fn a_pre_registered_client_with_its_secret_from_a_file_replaces_a_stored_one() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let redirect = mcp_oauth::redirect::loopback(mcp_oauth::redirect::free_port().expect("port")).to_string();
    let (id, secret) = pre_registered(servers, &redirect);
    let dynamic = ok(&dcr(&sandbox, servers, &[]));
    assert_eq!(client(&dynamic)["source"], "dynamic");

    let file = sandbox.path().join("secret");
    std::fs::write(&file, format!("{secret}\n")).expect("write secret");
    let out = dcr(
        &sandbox,
        servers,
        &[
            "--client-id",
            &id,
            "--client-secret-file",
            file.to_str().expect("utf-8"),
            "--redirect-uri",
            &redirect,
            "--trace",
        ],
    );
    let doc = ok(&out);
    let c = client(&doc);
    assert_eq!((c["client_id"].as_str(), c["source"].as_str()), (Some(id.as_str()), Some("pre_registered")));
    assert_eq!(c["auth_method"], "client_secret_basic", "a secret prefers basic");
    assert_eq!(c["redirect_uri"], redirect.as_str());
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    assert!(authorization_accepted(servers, &id, &redirect));

    // Stored: a run with no client flags reuses it, secret included.
    let again = ok(&dcr(&sandbox, servers, &["--reveal-secrets"]));
    assert_eq!(client(&again)["client_id"], id.as_str());
    assert_eq!(client(&again)["client_secret"], secret.as_str());
}

#[test]
fn no_registration_endpoint_names_the_flags_and_the_env_secret_works() {
    let redirect = mcp_oauth::redirect::loopback(mcp_oauth::redirect::free_port().expect("port")).to_string();
    let servers = &TestServers::start(Options::default().variant(Variant::NoDcr).client(json!({
        "client_id": "pre-registered-1",
        "client_secret": "pre-registered-secret-0123456789",
        "token_endpoint_auth_method": "client_secret_basic",
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    })));
    assert!(servers.metadata().get("registration_endpoint").is_none());
    let sandbox = Sandbox::new();

    let out = dcr(&sandbox, servers, &[]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    for flag in [
        "no registration_endpoint",
        "--client-id",
        "--client-secret-file",
        "--client-secret-stdin",
        "MCP_OAUTH_CLIENT_SECRET",
    ] {
        assert!(out.stderr.contains(flag), "{flag}: {}", out.stderr);
    }
    assert!(out.stdout.is_empty());

    let mut cmd = sandbox.cmd("mcp-dcr");
    cmd.args(["--credential-helper", "file", "--client-id", "pre-registered-1", "--redirect-uri", &redirect]);
    cmd.env("MCP_OAUTH_CLIENT_SECRET", "pre-registered-secret-0123456789");
    let out = mcp_testkit::bins::run(cmd, Some(document(servers).as_bytes()), mcp_testkit::bins::DEFAULT_TIMEOUT);
    let doc = ok(&out);
    assert_eq!(client(&doc)["source"], "pre_registered");
    assert_eq!(client(&doc)["auth_method"], "client_secret_basic");
    assert!(authorization_accepted(servers, "pre-registered-1", &redirect));
    let again = ok(&dcr(&sandbox, servers, &["--reveal-secrets"]));
    assert_eq!(client(&again)["client_secret"], "pre-registered-secret-0123456789");
}

#[test]
fn clients_are_bound_to_their_issuer() {
    let a = shared();
    let b = TestServers::start(Options::default());
    let sandbox = Sandbox::new();
    let on_a = ok(&dcr(&sandbox, a, &[]));
    let on_b = ok(&dcr(&sandbox, &b, &[]));
    assert_ne!(client(&on_a)["store_key"], client(&on_b)["store_key"]);
    assert_ne!(client(&on_a)["client_id"], client(&on_b)["client_id"]);
    // Each stays with its own server.
    assert_eq!(client(&ok(&dcr(&sandbox, a, &[])))["client_id"], client(&on_a)["client_id"]);
}

#[test]
fn a_refused_registration_is_an_oauth_error_with_the_servers_words() {
    let servers = shared();
    let sandbox = Sandbox::new();
    // oidc-provider refuses to register a scope it does not support.
    let mut doc: Value = serde_json::from_str(&document(servers)).expect("json");
    doc["scope"]["scopes"] = json!(["no-such-scope"]);
    let out = sandbox.run("mcp-dcr", &["--credential-helper", "file"], Some(&doc.to_string()));
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("client registration (400)"), "{}", out.stderr);
    assert!(out.stderr.contains("invalid_client_metadata") && out.stderr.contains("scope"), "{}", out.stderr);
    assert!(out.stdout.is_empty());

    // private_key_jwt without a key never reaches the server.
    let out = dcr(&sandbox, servers, &["--auth-method", "private_key_jwt"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("--private-key-file"), "{}", out.stderr);
}

/// A P-256 key in a PKCS#8 PEM file named `name` in `dir`.
fn ec_key(dir: &std::path::Path, name: &str) {
    use base64::Engine as _;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("generate key");
    let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("ascii")).collect();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"));
    std::fs::write(dir.join(name), pem).expect("write key");
}

#[test]
fn registers_a_private_key_jwt_client_with_its_public_key() {
    let servers = shared();
    let sandbox = Sandbox::new();
    ec_key(sandbox.path(), "client-key.pem");
    // A relative path: the tool runs in the sandbox root, later steps may not.
    let args = ["--auth-method", "private_key_jwt", "--private-key-file", "client-key.pem", "--key-id", "k1"];
    let doc = ok(&dcr(&sandbox, servers, &args));
    let id = client(&doc)["client_id"].as_str().expect("id");
    assert_eq!(client(&doc)["auth_method"], "private_key_jwt");

    // The server authenticates the client with an assertion signed by that key: the
    // revocation endpoint answers 200 to an authenticated client and 401 otherwise.
    let key = sandbox.path().join("client-key.pem").display().to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let assertion = mcp_oauth::jwt::client_assertion(&key, Some("k1"), id, &servers.issuer, now).expect("assertion");
    let endpoint = servers.metadata()["revocation_endpoint"].as_str().expect("revocation_endpoint").to_string();
    let revoke = |assertion: &str| {
        mcp_testkit::servers::Request::post(&endpoint)
            .form(&[
                ("token", "not-a-token"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
            ])
            .send()
            .expect("POST revocation")
            .status
    };
    assert_eq!(revoke(assertion.expose()), 200);
    ec_key(sandbox.path(), "other-key.pem");
    let other = sandbox.path().join("other-key.pem").display().to_string();
    let forged = mcp_oauth::jwt::client_assertion(&other, Some("k1"), id, &servers.issuer, now).expect("assertion");
    assert_eq!(revoke(forged.expose()), 401, "only the registered key is accepted");

    let out = dcr(&sandbox, servers, &["--auth-method", "private_key_jwt", "--private-key-file", "missing.pem"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("missing.pem"), "{}", out.stderr);
    std::fs::write(sandbox.path().join("junk.pem"), "not a key").expect("write");
    let out = dcr(&sandbox, servers, &["--auth-method", "private_key_jwt", "--private-key-file", "junk.pem"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("no PEM private key"), "{}", out.stderr);
}

#[test]
fn discovers_by_itself_given_the_url() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let doc = ok(&sandbox.run("mcp-dcr", &["--credential-helper", "file", &servers.mcp_url], None));
    assert_eq!(doc["authorization_server"]["issuer"], servers.issuer.as_str());
    assert_eq!(client(&doc)["source"], "dynamic");
    // The same client as the pipeline path finds: one store entry per issuer.
    let piped = ok(&dcr(&sandbox, servers, &[]));
    assert_eq!(client(&piped), client(&doc));
}

#[test]
fn works_in_a_shell_pipeline_after_mcp_discover() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let discover = mcp_testkit::bins::bin_path("mcp-discover");
    let dcr_bin = mcp_testkit::bins::bin_path("mcp-dcr");
    let mut cmd = sandbox.command("sh");
    cmd.args([
        "-c",
        r#""$1" "$3" | "$2" --credential-helper file"#,
        "sh",
        discover.to_str().expect("utf-8"),
        dcr_bin.to_str().expect("utf-8"),
        &servers.mcp_url,
    ]);
    let doc = ok(&mcp_testkit::bins::run(cmd, None, mcp_testkit::bins::DEFAULT_TIMEOUT));
    assert_eq!(client(&doc)["source"], "dynamic");
    assert!(authorization_accepted(
        servers,
        client(&doc)["client_id"].as_str().expect("id"),
        client(&doc)["redirect_uri"].as_str().expect("redirect")
    ));
}

#[test]
fn the_secret_can_come_on_stdin_when_the_url_is_an_argument() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let redirect = mcp_oauth::redirect::loopback(mcp_oauth::redirect::free_port().expect("port")).to_string();
    let (id, secret) = pre_registered(servers, &redirect);
    let base =
        ["--credential-helper", "file", "--client-id", &id, "--client-secret-stdin", "--redirect-uri", &redirect];
    let mut args = base.to_vec();
    args.push(&servers.mcp_url);
    let out = sandbox.run("mcp-dcr", &args, Some(&format!("{secret}\n")));
    let doc = ok(&out);
    assert_eq!(client(&doc)["auth_method"], "client_secret_basic");
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    let again = ok(&dcr(&sandbox, servers, &["--reveal-secrets"]));
    assert_eq!(client(&again)["client_secret"], secret.as_str());

    // Without the URL, stdin would have to carry both the document and the secret.
    let out = sandbox.run("mcp-dcr", &base, Some(&document(servers)));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn bad_input_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let out = sandbox.run("mcp-dcr", &["--credential-helper", "file"], Some("{\"mcp_oauth\":1}"));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = sandbox.run("mcp-dcr", &["--credential-helper", "file"], Some(""));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("previous step"), "{}", out.stderr);
    let doc = json!({"mcp_oauth": 1, "server_url": "http://127.0.0.1:9/mcp", "resource": "http://127.0.0.1:9/mcp"});
    let out = sandbox.run("mcp-dcr", &["--credential-helper", "file"], Some(&doc.to_string()));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("run mcp-discover first"), "{}", out.stderr);
    // Said as the document is read: before a secret is looked for or the store opened.
    let args = ["--credential-helper", "file", "--client-id", "c", "--client-secret-file", "/nonexistent"];
    let out = sandbox.run("mcp-dcr", &args, Some(&doc.to_string()));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("run mcp-discover first"), "{}", out.stderr);
    let out = sandbox.run("mcp-dcr", &["--client-metadata-url", "http://app.example/c.json"], Some(&doc.to_string()));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("https"), "{}", out.stderr);
}

/// Incomplete metadata (only `none` listed, as mock OIDC servers do) must not refuse a
/// pre-registered client's explicit --auth-method: it is used with a warning, and works.
#[test]
fn an_explicit_auth_method_the_metadata_omits_is_honoured_with_a_warning() {
    let secret = "a-long-enough-client-secret-for-the-test-server-0123456789";
    let registered = mcp_testkit::servers::machine_client("ci-bot", secret);
    let servers = TestServers::start(Options::default().variant(Variant::AuthMethodsNone).client(registered));
    assert_eq!(servers.metadata()["token_endpoint_auth_methods_supported"], json!(["none"]));
    let sandbox = Sandbox::new();
    let url = servers.mcp_url.as_str();
    let run = |bin: &str, args: &[&str]| {
        let mut cmd = sandbox.cmd(bin);
        cmd.args(["--credential-helper", "file"]).args(args).env("MCP_OAUTH_CLIENT_SECRET", secret);
        mcp_testkit::bins::run(cmd, None, std::time::Duration::from_secs(60))
    };
    let out = run("mcp-dcr", &["--client-id", "ci-bot", "--auth-method", "client_secret_basic", url]);
    let doc = ok(&out);
    assert_eq!(client(&doc)["auth_method"], "client_secret_basic");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("mcp-dcr: warning: ") && out.stderr.contains("does not list client_secret_basic"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(secret));
    // The server accepts it: the client-credentials grant works with it.
    let out = run("mcp-authorize", &["--client-credentials", url]);
    assert!(out.success(), "{out}");
    let token = run("mcp-token", &[url]);
    assert_eq!(servers.call_mcp(Some(token.stdout.trim()), "initialize").status, 200);

    // What the user did not ask for is still refused: a secret without --auth-method
    // picks among the listed methods, and only `none` is listed.
    let out = run("mcp-dcr", &["--force", "--client-id", "ci-bot", url]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("it lists none"), "{out}");
}

/// Client ID Metadata Documents: with --port (or --redirect-uri) the document's URL is the
/// client_id, and a document that cannot be fetched is a warning, not a failure.
#[test]
fn a_metadata_document_client_with_a_port_needs_no_fetch() {
    let servers = shared();
    let sandbox = Sandbox::new();
    let mut metadata = servers.metadata();
    metadata["client_id_metadata_document_supported"] = json!(true);
    let file = sandbox.path().join("as.json");
    std::fs::write(&file, metadata.to_string()).unwrap();
    // https on a closed loopback port: the fetch fails at once.
    let cimd = "https://127.0.0.1:1/oauth/client.json";
    let args = |extra: &[&'static str]| {
        let mut a =
            vec!["--credential-helper", "file", "--as-metadata", file.to_str().unwrap(), "--client-metadata-url", cimd];
        a.extend_from_slice(extra);
        a.push(&servers.mcp_url);
        a.into_iter().map(String::from).collect::<Vec<String>>()
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        sandbox.run("mcp-dcr", &refs, None)
    };

    let out = run(args(&["--port", "8765"]));
    let doc = ok(&out);
    assert_eq!(client(&doc)["client_id"], cimd);
    assert_eq!(client(&doc)["source"], "metadata_document");
    assert_eq!(client(&doc)["redirect_uri"], "http://127.0.0.1:8765/callback");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.starts_with("mcp-dcr: warning: could not check the client metadata document"), "{}", out.stderr);

    // Without a redirect URI the document is the only source of one: still required.
    let out = run(args(&["--force"]));
    assert_eq!(out.code, Some(4), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    let list = sandbox.run("mcp-token", &["--credential-helper", "file", "--list"], None).json();
    assert!(list.as_array().unwrap().iter().any(|r| r["client_id"] == cimd), "the stored client is kept: {list}");
}

/// Given a URL, discovery comes before the client secret is read and the store is opened,
/// so a server that cannot be reached is the error reported (exit 4), whatever is wrong
/// with the secret file or the store. Against a reachable server the same two faults
/// are what stops the run: the check below would see a different order.
#[test]
fn a_failed_discovery_is_reported_before_the_secret_and_the_store() {
    let sandbox = Sandbox::new();
    let closed = format!("http://127.0.0.1:{}/mcp", mcp_oauth::redirect::free_port().expect("port"));
    let servers = shared();
    let missing = sandbox.path().join("no-such-secret").to_string_lossy().into_owned();
    let with_secret_file = |url: &str| {
        let args = ["--credential-helper", "file", "--client-id", "c", "--client-secret-file", &missing, url];
        sandbox.run("mcp-dcr", &args, None)
    };
    let with_bad_store = |url: &str| {
        let mut cmd = sandbox.cmd("mcp-dcr");
        cmd.args(["--credential-helper", "file", url]).env("MCP_OAUTH_STORE_PART_SIZE", "1");
        mcp_testkit::bins::run(cmd, None, mcp_testkit::bins::DEFAULT_TIMEOUT)
    };

    type Runner<'a> = &'a dyn Fn(&str) -> Output;
    let faults: [(Runner, &str); 2] = [(&with_secret_file, "client secret file"), (&with_bad_store, "part size")];
    for (run, fault) in faults {
        let out = run(&closed);
        assert_eq!(out.code, Some(4), "{out}");
        assert!(!out.stderr.contains(fault), "{out}");
        let out = run(&servers.mcp_url);
        assert_eq!(out.code, Some(2), "{out}");
        assert!(out.stderr.contains(fault), "{out}");
    }
}
