//! The fixtures themselves: every variant behaves as documented, and a full DCR + authorization
//! code + PKCE flow works through the browser stand-in.

use mcp_testkit::servers::{
    CallbackCatcher, Options, Request, TestServers, Variant, browser_command, get, query_params, run_browser,
};
use serde_json::json;
use std::time::{Duration, Instant};

fn param(url: &str, name: &str) -> Option<String> {
    query_params(url).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[test]
fn unauthenticated_mcp_request_gets_401_pointing_at_path_inserted_prm() {
    let servers = TestServers::start(Options::default());
    let response = servers.call_mcp(None, "initialize");
    assert_eq!(response.status, 401, "{response}");
    let prm_url = format!("{}/.well-known/oauth-protected-resource/mcp", servers.rs_origin);
    assert_eq!(servers.prm_url.as_deref(), Some(prm_url.as_str()));
    assert_eq!(
        response.www_authenticate(),
        Some(format!(r#"Bearer resource_metadata="{prm_url}", scope="mcp:read""#).as_str())
    );

    let prm = get(&prm_url).expect("GET PRM");
    assert_eq!(prm.status, 200, "{prm}");
    let prm = prm.json();
    assert_eq!(prm["resource"], json!(servers.mcp_url));
    assert_eq!(prm["authorization_servers"], json!([servers.issuer]));
    assert_eq!(prm["scopes_supported"], json!(["mcp:read", "mcp:write"]));
    assert_eq!(get(&format!("{}/.well-known/oauth-protected-resource", servers.rs_origin)).expect("GET").status, 404);
    assert_ne!(servers.rs_origin, servers.as_origin);
}

#[test]
fn default_metadata_is_served_at_both_well_known_locations() {
    let servers = TestServers::start(Options::default());
    assert_eq!(servers.oauth_metadata_url(), format!("{}/.well-known/oauth-authorization-server", servers.issuer));
    let rfc8414 = get(&servers.oauth_metadata_url()).expect("GET").json();
    let oidc = servers.metadata();
    assert_eq!(rfc8414, oidc);
    assert_eq!(oidc["issuer"], json!(servers.issuer));
    assert_eq!(oidc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(oidc["authorization_response_iss_parameter_supported"], json!(true));
    assert_eq!(oidc["registration_endpoint"], json!(format!("{}/reg", servers.issuer)));
    for method in ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"] {
        assert!(
            oidc["token_endpoint_auth_methods_supported"].as_array().is_some_and(|m| m.contains(&json!(method))),
            "{method} missing: {oidc}"
        );
    }
    for field in ["revocation_endpoint", "introspection_endpoint", "device_authorization_endpoint"] {
        assert!(oidc[field].is_string(), "{field} missing: {oidc}");
    }
    assert!(
        oidc["grant_types_supported"].as_array().is_some_and(|g| g.contains(&json!("client_credentials"))),
        "{oidc}"
    );
}

#[test]
fn tenant_issuer_metadata_follows_rfc8414_path_insertion() {
    let servers = TestServers::start(Options::default().variant(Variant::Tenant));
    assert_eq!(servers.issuer, format!("{}/tenant1", servers.as_origin));
    let inserted = get(&format!("{}/.well-known/oauth-authorization-server/tenant1", servers.as_origin)).expect("GET");
    assert_eq!(inserted.status, 200, "{inserted}");
    let metadata = inserted.json();
    assert_eq!(metadata["issuer"], json!(servers.issuer));
    assert_eq!(metadata["token_endpoint"], json!(format!("{}/token", servers.issuer)));
    let oidc = get(&format!("{}/tenant1/.well-known/openid-configuration", servers.as_origin)).expect("GET");
    assert_eq!(oidc.status, 200, "{oidc}");
    assert_eq!(get(&format!("{}/.well-known/oauth-authorization-server", servers.as_origin)).expect("GET").status, 404);
    // The whole flow works under the path too.
    let tokens = servers.authorize("mcp:read");
    assert_eq!(servers.call_mcp(Some(&tokens.access_token), "initialize").status, 200);
}

#[test]
fn oidc_only_serves_no_rfc8414_document() {
    let servers = TestServers::start(Options::default().variant(Variant::OidcOnly));
    assert_eq!(get(&servers.oauth_metadata_url()).expect("GET").status, 404);
    assert_eq!(servers.metadata()["issuer"], json!(servers.issuer));
}

#[test]
fn metadata_lies_and_omissions_per_variant() {
    let servers = TestServers::start(
        Options::default().variant(Variant::IssuerMismatch).variant(Variant::NoPkceMetadata).variant(Variant::NoDcr),
    );
    for url in [servers.oauth_metadata_url(), servers.openid_configuration_url()] {
        let metadata = get(&url).expect("GET").json();
        assert_ne!(metadata["issuer"], json!(servers.issuer), "{url}");
        assert!(metadata["issuer"].is_string());
        assert!(metadata.get("code_challenge_methods_supported").is_none(), "{metadata}");
        assert!(metadata.get("registration_endpoint").is_none(), "{metadata}");
    }
    let refused = Request::post(&format!("{}/reg", servers.issuer))
        .json(&json!({"redirect_uris": ["http://127.0.0.1/cb"], "application_type": "native"}))
        .send()
        .expect("POST");
    assert_eq!(refused.status, 404, "{refused}");
}

#[test]
fn header_without_resource_metadata_and_root_prm() {
    let servers = TestServers::start(Options::default().variant(Variant::NoResourceMetadata).variant(Variant::RootPrm));
    let response = servers.call_mcp(None, "initialize");
    assert_eq!(response.status, 401);
    assert_eq!(response.www_authenticate(), Some(r#"Bearer scope="mcp:read""#));
    let root = format!("{}/.well-known/oauth-protected-resource", servers.rs_origin);
    assert_eq!(servers.prm_url.as_deref(), Some(root.as_str()));
    assert_eq!(get(&root).expect("GET").json()["resource"], json!(servers.mcp_url));
    assert_eq!(get(&format!("{root}/mcp")).expect("GET").status, 404);
}

#[test]
fn root_prm_is_named_in_the_header() {
    let servers = TestServers::start(Options::default().variant(Variant::RootPrm));
    let header = servers.call_mcp(None, "initialize").www_authenticate().map(str::to_string);
    let root = format!("{}/.well-known/oauth-protected-resource", servers.rs_origin);
    assert_eq!(header, Some(format!(r#"Bearer resource_metadata="{root}", scope="mcp:read""#)));
}

#[test]
fn resource_mismatch_prm_names_another_resource() {
    let servers = TestServers::start(Options::default().variant(Variant::ResourceMismatch));
    let prm = get(servers.prm_url.as_deref().expect("prm")).expect("GET").json();
    assert!(prm["resource"].is_string());
    assert_ne!(prm["resource"], json!(servers.mcp_url));
}

#[test]
fn legacy_server_has_no_prm_and_mcp_on_the_as_origin() {
    let servers = TestServers::start(Options::default().variant(Variant::Legacy));
    assert_eq!(servers.prm_url, None);
    assert_eq!(servers.mcp_url, format!("{}/mcp", servers.as_origin));
    let response = servers.call_mcp(None, "initialize");
    assert_eq!(response.status, 401);
    assert_eq!(response.www_authenticate(), Some("Bearer"));
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        assert_eq!(get(&format!("{}{path}", servers.as_origin)).expect("GET").status, 404, "{path}");
    }
    // The 2025-03-26 discovery: metadata at the MCP server's origin.
    assert_eq!(get(&format!("{}/.well-known/oauth-authorization-server", servers.as_origin)).expect("GET").status, 200);
    let tokens = servers.authorize("mcp:read");
    assert_eq!(servers.call_mcp(Some(&tokens.access_token), "initialize").status, 200);
}

#[test]
fn full_flow_then_scopes_refresh_and_revocation() {
    let servers = TestServers::start(Options::default());
    let tokens = servers.authorize("mcp:read");
    assert_eq!(tokens.response["token_type"], json!("Bearer"));
    assert_eq!(tokens.response["scope"], json!("mcp:read"));
    let refresh = tokens.refresh_token.clone().expect("a refresh token without offline_access");

    let introspection = servers.introspection(&tokens.access_token);
    assert_eq!(introspection["active"], json!(true), "{introspection}");
    assert_eq!(introspection["aud"], json!(servers.mcp_url));

    let ok = servers.call_mcp(Some(&tokens.access_token), "initialize");
    assert_eq!(ok.status, 200, "{ok}");
    assert_eq!(ok.json()["result"]["serverInfo"]["name"], json!("mcp-oauth-test-resource-server"));
    let forbidden = servers.call_mcp(Some(&tokens.access_token), "tools/call");
    assert_eq!(forbidden.status, 403, "{forbidden}");
    assert_eq!(
        forbidden.www_authenticate(),
        Some(
            format!(
                r#"Bearer error="insufficient_scope", scope="mcp:write", resource_metadata="{}""#,
                servers.prm_url.as_deref().expect("prm")
            )
            .as_str()
        )
    );
    let garbage = servers.call_mcp(Some("not-a-token"), "initialize");
    assert_eq!(garbage.status, 401);
    assert!(garbage.www_authenticate().is_some_and(|h| h.contains(r#"error="invalid_token""#)), "{garbage}");

    // Refresh with `resource` works and rotates the refresh token.
    let token_endpoint = format!("{}/token", servers.issuer);
    let client_id = tokens.client["client_id"].as_str().expect("client_id");
    let refreshed = Request::post(&token_endpoint)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", client_id),
            ("resource", &servers.mcp_url),
        ])
        .send()
        .expect("POST token");
    assert_eq!(refreshed.status, 200, "{refreshed}");
    let refreshed = refreshed.json();
    let new_access = refreshed["access_token"].as_str().expect("access_token");
    let new_refresh = refreshed["refresh_token"].as_str().expect("rotated refresh token");
    assert_ne!(new_refresh, refresh);
    assert!(!servers.introspect(&refresh), "the old refresh token is consumed");
    assert_eq!(servers.call_mcp(Some(new_access), "tools/list").status, 200);

    // RFC 7009 revocation by the public client itself.
    let revocation = format!("{}/token/revocation", servers.issuer);
    assert!(servers.introspect(new_access));
    let revoked = Request::post(&revocation)
        .form(&[("token", new_access), ("token_type_hint", "access_token"), ("client_id", client_id)])
        .send()
        .expect("POST revocation");
    assert_eq!(revoked.status, 200, "{revoked}");
    assert!(!servers.introspect(new_access));
    assert_eq!(servers.call_mcp(Some(new_access), "initialize").status, 401);
    assert!(servers.introspect(new_refresh));
    Request::post(&revocation)
        .form(&[("token", new_refresh), ("client_id", client_id)])
        .send()
        .expect("POST revocation");
    assert!(!servers.introspect(new_refresh));
}

#[test]
fn write_scope_allows_tool_calls_and_token_is_for_the_resource_only() {
    let servers = TestServers::start(Options::default());
    let tokens = servers.authorize("mcp:read mcp:write openid offline_access");
    let call = servers.call_mcp(Some(&tokens.access_token), "tools/call");
    assert_eq!(call.status, 200, "{call}");
    let scope = servers.introspection(&tokens.access_token)["scope"].as_str().unwrap_or_default().to_string();
    let mut scopes: Vec<&str> = scope.split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["mcp:read", "mcp:write"]);
}

#[test]
fn short_access_ttl_expires_tokens() {
    let servers = TestServers::start(Options::default().access_ttl(1));
    let tokens = servers.authorize("mcp:read");
    assert_eq!(tokens.response["expires_in"], json!(1));
    let deadline = Instant::now() + Duration::from_secs(10);
    while servers.introspect(&tokens.access_token) {
        assert!(Instant::now() < deadline, "token still active after 10 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(servers.call_mcp(Some(&tokens.access_token), "initialize").status, 401);
}

/// Starts an authorization request for a fresh public client and returns the URL and the
/// catcher that plays the tool's callback server.
fn authorization_url(servers: &TestServers, catcher: &CallbackCatcher) -> String {
    let client = servers.register_public_client("http://127.0.0.1/callback");
    let query = mcp_testkit::servers::encode_form(&[
        ("response_type", "code"),
        ("client_id", client["client_id"].as_str().expect("client_id")),
        ("redirect_uri", &catcher.redirect_uri()),
        ("scope", "mcp:read"),
        ("state", "the-state"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
        ("resource", &servers.mcp_url),
    ]);
    format!("{}/auth?{query}", servers.issuer)
}

#[test]
fn browser_switches_tamper_state_and_iss_and_deny() {
    let servers = TestServers::start(Options::default());
    let plain = {
        let catcher = CallbackCatcher::bind();
        let url = authorization_url(&servers, &catcher);
        run_browser(&url, &[], || catcher.wait(Duration::from_secs(30))).expect("callback")
    };
    assert_eq!(param(&plain, "state").as_deref(), Some("the-state"));
    assert_eq!(param(&plain, "iss"), Some(servers.issuer.clone()));

    let catcher = CallbackCatcher::bind();
    let url = authorization_url(&servers, &catcher);
    let env = [("MCP_TEST_BROWSER_STATE", "tamper"), ("MCP_TEST_BROWSER_ISS", "drop")];
    let tampered = run_browser(&url, &env, || catcher.wait(Duration::from_secs(30))).expect("callback");
    assert_eq!(param(&tampered, "state").as_deref(), Some("tampered-state"));
    assert_eq!(param(&tampered, "iss"), None);
    assert!(param(&tampered, "code").is_some());

    let catcher = CallbackCatcher::bind();
    let url = authorization_url(&servers, &catcher);
    let env = [("MCP_TEST_BROWSER_ISS", "tamper")];
    let wrong_iss = run_browser(&url, &env, || catcher.wait(Duration::from_secs(30))).expect("callback");
    assert_eq!(param(&wrong_iss, "iss").as_deref(), Some("http://127.0.0.1:1/not-the-issuer"));

    let catcher = CallbackCatcher::bind();
    let url = authorization_url(&servers, &catcher);
    let denied = run_browser(&url, &[("MCP_TEST_BROWSER_DENY", "1")], || catcher.wait(Duration::from_secs(30)))
        .expect("callback");
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&denied, "code"), None);
    assert_eq!(param(&denied, "state").as_deref(), Some("the-state"));
}

#[test]
fn deny_variant_and_callback_file_hand_off() {
    let servers = TestServers::start(Options::default().variant(Variant::Deny));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("callback-url");
    let catcher = CallbackCatcher::bind();
    let url = authorization_url(&servers, &catcher);
    let status = std::process::Command::new(browser_command())
        .arg(&url)
        .env("MCP_TEST_BROWSER_CALLBACK_FILE", &file)
        .status()
        .expect("run browser");
    assert!(status.success());
    let written = std::fs::read_to_string(&file).expect("callback file");
    assert!(written.starts_with(&catcher.redirect_uri()), "{written}");
    assert_eq!(param(written.trim(), "error").as_deref(), Some("access_denied"));
    assert_eq!(catcher.wait(Duration::from_millis(300)), None, "the callback must not be requested");
}

#[test]
fn device_flow_is_approved_by_the_browser() {
    let servers = TestServers::start(Options::default());
    let client = servers.register_client(&json!({
        "application_type": "native",
        "redirect_uris": [],
        "response_types": [],
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
    }));
    let client_id = client["client_id"].as_str().expect("client_id");
    let metadata = servers.metadata();
    let device = Request::post(metadata["device_authorization_endpoint"].as_str().expect("device endpoint"))
        .form(&[("client_id", client_id), ("scope", "mcp:read"), ("resource", &servers.mcp_url)])
        .send()
        .expect("POST device authorization");
    assert_eq!(device.status, 200, "{device}");
    let device = device.json();
    let complete = device["verification_uri_complete"].as_str().expect("verification_uri_complete");
    run_browser(complete, &[], || ());
    let token = Request::post(metadata["token_endpoint"].as_str().expect("token endpoint"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device["device_code"].as_str().expect("device_code")),
            ("client_id", client_id),
            ("resource", &servers.mcp_url),
        ])
        .send()
        .expect("POST token");
    assert_eq!(token.status, 200, "{token}");
    let access = token.json()["access_token"].as_str().expect("access_token").to_string();
    assert_eq!(servers.call_mcp(Some(&access), "initialize").status, 200);
}

#[test]
fn client_credentials_with_a_static_confidential_client() {
    let servers = TestServers::start(Options::default().variant(Variant::NoDcr).client(json!({
        "client_id": "static-machine",
        "client_secret": "static-machine-secret",
        "grant_types": ["client_credentials"],
        "response_types": [],
        "redirect_uris": [],
        "token_endpoint_auth_method": "client_secret_post",
    })));
    let token = Request::post(&format!("{}/token", servers.issuer))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "static-machine"),
            ("client_secret", "static-machine-secret"),
            ("scope", "mcp:read mcp:write"),
            ("resource", &servers.mcp_url),
        ])
        .send()
        .expect("POST token");
    assert_eq!(token.status, 200, "{token}");
    let access = token.json()["access_token"].as_str().expect("access_token").to_string();
    assert_eq!(servers.call_mcp(Some(&access), "tools/call").status, 200);
}

#[test]
fn delay_slows_every_response() {
    let servers = TestServers::start(Options::default().delay_ms(300));
    let began = Instant::now();
    let response = servers.call_mcp(None, "initialize");
    assert_eq!(response.status, 401);
    assert!(began.elapsed() >= Duration::from_millis(300), "{:?}", began.elapsed());
    let began = Instant::now();
    get(&servers.oauth_metadata_url()).expect("GET");
    assert!(began.elapsed() >= Duration::from_millis(300), "{:?}", began.elapsed());
}

#[test]
fn servers_stop_when_dropped() {
    let servers = TestServers::start(Options::default());
    let url = servers.oauth_metadata_url();
    let pid = servers.pid();
    assert!(servers.startup < Duration::from_secs(10), "startup took {:?}", servers.startup);
    drop(servers);
    assert!(get(&url).is_err(), "still serving after drop");
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "node {pid} still running");
}

#[test]
fn servers_exit_when_their_stdin_closes() {
    // What happens when a test process dies: the pipe closes and node exits by itself.
    let mut child = std::process::Command::new(mcp_testkit::servers::node_binary())
        .arg(mcp_testkit::servers::fixtures_dir().join("servers.mjs"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn node");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
        .expect("ready line");
    assert!(line.contains("\"issuer\""), "{line}");
    drop(child.stdin.take());
    let (status, late) = mcp_testkit::bins::wait_until(&mut child, Instant::now() + Duration::from_secs(10));
    assert!(!late, "node kept running after stdin closed");
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

/// Code exchange for a flow driven by hand in the tests below.
fn redeem(
    servers: &TestServers,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    resource: Option<&str>,
) -> serde_json::Value {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
    ];
    if let Some(resource) = resource {
        form.push(("resource", resource));
    }
    let response = Request::post(&format!("{}/token", servers.issuer)).form(&form).send().expect("POST token");
    assert_eq!(response.status, 200, "{response}");
    response.json()
}

#[test]
fn pushed_authorization_request_with_prompt_consent_and_offline_access() {
    let servers = TestServers::start(Options::default());
    let catcher = CallbackCatcher::bind();
    let client = servers.register_public_client("http://127.0.0.1/callback");
    let client_id = client["client_id"].as_str().expect("client_id");
    let (verifier, challenge) = mcp_testkit::servers::pkce_pair();
    let par = Request::post(&format!("{}/request", servers.issuer))
        .form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", &catcher.redirect_uri()),
            ("scope", "mcp:read offline_access"),
            ("prompt", "consent"),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("resource", &servers.mcp_url),
        ])
        .send()
        .expect("POST par");
    assert_eq!(par.status, 201, "{par}");
    let request_uri = par.json()["request_uri"].as_str().expect("request_uri").to_string();
    let url = format!(
        "{}/auth?{}",
        servers.issuer,
        mcp_testkit::servers::encode_form(&[("client_id", client_id), ("request_uri", &request_uri)])
    );
    let callback = run_browser(&url, &[], || catcher.wait(Duration::from_secs(30))).expect("callback");
    let code = param(&callback, "code").expect("code");
    let tokens = redeem(&servers, client_id, &code, &catcher.redirect_uri(), &verifier, Some(&servers.mcp_url));
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    assert_eq!(servers.call_mcp(tokens["access_token"].as_str(), "initialize").status, 200);
}

#[test]
fn pkce_is_enforced_and_a_token_without_resource_is_refused_by_the_mcp_server() {
    let servers = TestServers::start(Options::default());
    let client = servers.register_public_client("http://127.0.0.1/callback");
    let client_id = client["client_id"].as_str().expect("client_id");
    let catcher = CallbackCatcher::bind();
    let (verifier, challenge) = mcp_testkit::servers::pkce_pair();
    let without_pkce = format!(
        "{}/auth?{}",
        servers.issuer,
        mcp_testkit::servers::encode_form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", &catcher.redirect_uri()),
            ("scope", "mcp:read"),
            ("state", "s"),
        ])
    );
    let refused = run_browser(&without_pkce, &[], || catcher.wait(Duration::from_secs(30))).expect("callback");
    assert_eq!(param(&refused, "error").as_deref(), Some("invalid_request"), "{refused}");

    let no_resource = format!(
        "{}/auth?{}",
        servers.issuer,
        mcp_testkit::servers::encode_form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", &catcher.redirect_uri()),
            ("scope", "openid mcp:read"),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
    );
    let callback = run_browser(&no_resource, &[], || catcher.wait(Duration::from_secs(30))).expect("callback");
    let code = param(&callback, "code").expect("code");
    let tokens = redeem(&servers, client_id, &code, &catcher.redirect_uri(), &verifier, None);
    let response = servers.call_mcp(tokens["access_token"].as_str(), "initialize");
    assert_eq!(response.status, 401, "{response}");
    assert!(response.www_authenticate().is_some_and(|h| h.contains("invalid_token")), "{response}");
}

#[test]
fn browser_refuses_non_loopback_and_gives_up_when_stuck() {
    let out = std::process::Command::new(browser_command()).arg("https://example.com/auth").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside loopback"));
    let servers = TestServers::start(Options::default());
    // A page that is neither a redirect nor a form: the stand-in reports where it stopped.
    let out = std::process::Command::new(browser_command())
        .arg(format!("{}/nothing-here", servers.issuer))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stuck at"), "{out:?}");
}

#[test]
fn legacy_tokens_without_resource_are_for_the_one_mcp_server() {
    let servers = TestServers::start(Options::default().variant(Variant::Legacy));
    let client = servers.register_public_client("http://127.0.0.1/callback");
    let client_id = client["client_id"].as_str().expect("client_id");
    let catcher = CallbackCatcher::bind();
    let (verifier, challenge) = mcp_testkit::servers::pkce_pair();
    let url = format!(
        "{}/auth?{}",
        servers.issuer,
        mcp_testkit::servers::encode_form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", &catcher.redirect_uri()),
            ("scope", "mcp:read"),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
    );
    let callback = run_browser(&url, &[], || catcher.wait(Duration::from_secs(30))).expect("callback");
    let code = param(&callback, "code").expect("code");
    let tokens = redeem(&servers, client_id, &code, &catcher.redirect_uri(), &verifier, None);
    assert_eq!(servers.call_mcp(tokens["access_token"].as_str(), "initialize").status, 200);
}

#[test]
fn mcp_path_moves_the_endpoint_and_its_metadata() {
    let servers = TestServers::start(Options::default().mcp_path("/v1/mcp"));
    assert_eq!(servers.mcp_url, format!("{}/v1/mcp", servers.rs_origin));
    let prm = format!("{}/.well-known/oauth-protected-resource/v1/mcp", servers.rs_origin);
    assert_eq!(servers.prm_url.as_deref(), Some(prm.as_str()));
    assert_eq!(get(&prm).expect("GET").json()["resource"], json!(servers.mcp_url));
    assert_eq!(servers.call_mcp(None, "initialize").status, 401);
}

#[test]
fn servers_exit_after_their_max_lifetime() {
    let servers = TestServers::start(Options::default().max_lifetime(1));
    let url = servers.oauth_metadata_url();
    assert_eq!(get(&url).expect("GET").status, 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    while get(&url).is_ok() {
        assert!(Instant::now() < deadline, "still serving 15 s after a 1 s lifetime");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(servers.server_log().contains("max lifetime"), "{}", servers.server_log());
}

#[test]
fn bad_options_fail_fast_with_the_servers_words() {
    let bad = Options { mcp_path: Some("no-slash".to_string()), ..Options::default() };
    let error = TestServers::try_start(bad).expect_err("must not start");
    assert!(error.contains("--mcp-path must be an absolute path"), "{error}");
}
