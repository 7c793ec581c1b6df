//! The authorization server's client-facing features the tools rely on: registration
//! management, each client authentication method, refresh/revocation cascades, device denial.

use mcp_testkit::servers::{Options, Request, Response, TestServers, base64url, random_token, run_browser};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

fn client_credentials(servers: &TestServers, request: Request, extra: &[(&str, &str)]) -> Response {
    let mut form =
        vec![("grant_type", "client_credentials"), ("scope", "mcp:read"), ("resource", servers.mcp_url.as_str())];
    form.extend_from_slice(extra);
    request.form(&form).send().expect("POST token")
}

fn token_endpoint(servers: &TestServers) -> String {
    format!("{}/token", servers.issuer)
}

fn machine_client(servers: &TestServers, auth_method: &str, extra: Value) -> Value {
    let mut metadata = json!({
        "application_type": "web",
        "client_name": "machine",
        "redirect_uris": [],
        "response_types": [],
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": auth_method,
    });
    if let (Some(target), Some(extra)) = (metadata.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    servers.register_client(&metadata)
}

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("{field} missing in {value}"))
}

#[test]
fn registration_management_reads_updates_and_deletes() {
    let servers = TestServers::start(Options::default());
    let client = servers.register_public_client("http://127.0.0.1/callback");
    let uri = str_of(&client, "registration_client_uri");
    let rat = str_of(&client, "registration_access_token");
    assert!(uri.starts_with(&format!("{}/reg/", servers.issuer)), "{uri}");

    let read = Request::get(uri).bearer(rat).send().expect("GET");
    assert_eq!(read.status, 200, "{read}");
    assert_eq!(read.json()["client_id"], client["client_id"]);
    assert_eq!(Request::get(uri).bearer("wrong").send().expect("GET").status, 401);

    let mut update = read.json();
    update["client_name"] = json!("renamed");
    if let Some(fields) = update.as_object_mut() {
        // RFC 7592 §2.2: these are not client metadata and must not be sent back.
        for field in
            ["registration_access_token", "registration_client_uri", "client_id_issued_at", "client_secret_expires_at"]
        {
            fields.remove(field);
        }
    }
    let updated = Request::new("PUT", uri).bearer(rat).json(&update).send().expect("PUT");
    assert_eq!(updated.status, 200, "{updated}");
    assert_eq!(updated.json()["client_name"], json!("renamed"));
    // Not rotated by default: the same token still works.
    assert_eq!(Request::get(uri).bearer(rat).send().expect("GET").status, 200);

    let deleted = Request::delete(uri).bearer(rat).send().expect("DELETE");
    assert_eq!(deleted.status, 204, "{deleted}");
    assert_eq!(Request::get(uri).bearer(rat).send().expect("GET").status, 401);
}

#[test]
fn registration_access_token_rotates_when_asked() {
    let servers = TestServers::start(Options::default().rotate_registration_token());
    let client = servers.register_public_client("http://127.0.0.1/callback");
    let uri = str_of(&client, "registration_client_uri");
    let first = str_of(&client, "registration_access_token");
    let mut update = json!({
        "client_id": client["client_id"],
        "application_type": "native",
        "redirect_uris": ["http://127.0.0.1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    update["client_name"] = json!("renamed");
    let updated = Request::new("PUT", uri).bearer(first).json(&update).send().expect("PUT");
    assert_eq!(updated.status, 200, "{updated}");
    let second = updated.json()["registration_access_token"].as_str().expect("new token").to_string();
    assert_ne!(second, first);
    assert_eq!(Request::get(uri).bearer(first).send().expect("GET").status, 401);
}

#[test]
fn client_secret_basic_and_post() {
    let servers = TestServers::start(Options::default());
    let basic = machine_client(&servers, "client_secret_basic", json!({}));
    let (id, secret) = (str_of(&basic, "client_id"), str_of(&basic, "client_secret"));
    let ok = client_credentials(&servers, Request::post(&token_endpoint(&servers)).basic_auth(id, secret), &[]);
    assert_eq!(ok.status, 200, "{ok}");
    assert_eq!(servers.call_mcp(Some(str_of(&ok.json(), "access_token")), "initialize").status, 200);
    let wrong = client_credentials(&servers, Request::post(&token_endpoint(&servers)).basic_auth(id, "nope"), &[]);
    assert_eq!(wrong.status, 401, "{wrong}");
    let post = machine_client(&servers, "client_secret_post", json!({}));
    let ok = client_credentials(
        &servers,
        Request::post(&token_endpoint(&servers)),
        &[("client_id", str_of(&post, "client_id")), ("client_secret", str_of(&post, "client_secret"))],
    );
    assert_eq!(ok.status, 200, "{ok}");
}

/// A compact ES256 JWS signed with `key`.
fn es256_jwt(key: &EcdsaKeyPair, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": kid});
    let input = format!("{}.{}", base64url(header.to_string().as_bytes()), base64url(claims.to_string().as_bytes()));
    let signature = key.sign(&SystemRandom::new(), input.as_bytes()).expect("sign");
    format!("{input}.{}", base64url(signature.as_ref()))
}

#[test]
fn private_key_jwt_with_a_registered_jwks() {
    let servers = TestServers::start(Options::default());
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key");
    let point = key.public_key().as_ref();
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
        "x": base64url(&point[1..33]), "y": base64url(&point[33..65]),
    });
    let client = machine_client(
        &servers,
        "private_key_jwt",
        json!({"jwks": {"keys": [jwk]}, "token_endpoint_auth_signing_alg": "ES256"}),
    );
    let id = str_of(&client, "client_id");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let assertion = |aud: &str| {
        es256_jwt(
            &key,
            "k1",
            &json!({"iss": id, "sub": id, "aud": aud, "jti": random_token(), "iat": now, "exp": now + 60}),
        )
    };
    let assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let jwt = assertion(&servers.issuer);
    let ok = client_credentials(
        &servers,
        Request::post(&token_endpoint(&servers)),
        &[("client_assertion_type", assertion_type), ("client_assertion", &jwt)],
    );
    assert_eq!(ok.status, 200, "aud = the issuer: {ok}");
    // RFC 7523bis: the issuer alone; the token endpoint (which oidc-provider accepts by
    // default) is refused as well, so a client sending it fails here as at a strict server.
    for audience in [token_endpoint(&servers), "http://127.0.0.1:1/elsewhere".to_string()] {
        let refused = client_credentials(
            &servers,
            Request::post(&token_endpoint(&servers)),
            &[("client_assertion_type", assertion_type), ("client_assertion", &assertion(&audience))],
        );
        assert_eq!(refused.status, 401, "aud {audience}: {refused}");
        assert_eq!(refused.json()["error"], "invalid_client", "{refused}");
    }
}

#[test]
fn revoking_the_refresh_token_revokes_its_access_tokens() {
    let servers = TestServers::start(Options::default());
    let tokens = servers.authorize("mcp:read");
    let refresh = tokens.refresh_token.expect("refresh token");
    assert!(servers.introspect(&tokens.access_token));
    let revoked = Request::post(&format!("{}/token/revocation", servers.issuer))
        .form(&[
            ("token", &refresh),
            ("token_type_hint", "refresh_token"),
            ("client_id", str_of(&tokens.client, "client_id")),
        ])
        .send()
        .expect("POST revocation");
    assert_eq!(revoked.status, 200, "{revoked}");
    assert!(!servers.introspect(&refresh));
    assert!(!servers.introspect(&tokens.access_token));
}

#[test]
fn refresh_without_resource_gets_the_granted_resource() {
    let servers = TestServers::start(Options::default());
    let tokens = servers.authorize("mcp:read mcp:write");
    let refreshed = Request::post(&token_endpoint(&servers))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh_token.as_deref().expect("refresh token")),
            ("client_id", str_of(&tokens.client, "client_id")),
            ("scope", "mcp:read"),
        ])
        .send()
        .expect("POST token");
    assert_eq!(refreshed.status, 200, "{refreshed}");
    let access = str_of(&refreshed.json(), "access_token").to_string();
    assert_eq!(servers.introspection(&access)["aud"], json!(servers.mcp_url));
    assert_eq!(servers.introspection(&access)["scope"], json!("mcp:read"), "down-scoped on refresh");
    assert_eq!(servers.call_mcp(Some(&access), "tools/call").status, 403);
}

#[test]
fn a_token_for_another_resource_is_refused_at_the_token_endpoint() {
    let servers = TestServers::start(Options::default());
    let client = machine_client(&servers, "client_secret_post", json!({}));
    let other = format!("{}/elsewhere", servers.rs_origin);
    let refused = Request::post(&token_endpoint(&servers))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", str_of(&client, "client_id")),
            ("client_secret", str_of(&client, "client_secret")),
            ("scope", "mcp:read"),
            ("resource", &other),
        ])
        .send()
        .expect("POST token");
    assert_eq!(refused.status, 400, "{refused}");
    assert_eq!(refused.json()["error"], json!("invalid_target"));
}

#[test]
fn device_flow_denied_by_the_browser() {
    let servers = TestServers::start(Options::default());
    let client = servers.register_client(&json!({
        "application_type": "native",
        "redirect_uris": [],
        "response_types": [],
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"],
        "token_endpoint_auth_method": "none",
    }));
    let client_id = str_of(&client, "client_id");
    let device = Request::post(&format!("{}/device/auth", servers.issuer))
        .form(&[("client_id", client_id), ("scope", "mcp:read"), ("resource", &servers.mcp_url)])
        .send()
        .expect("POST device authorization")
        .json();
    let poll = || {
        Request::post(&token_endpoint(&servers))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", str_of(&device, "device_code")),
                ("client_id", client_id),
                ("resource", &servers.mcp_url),
            ])
            .send()
            .expect("POST token")
    };
    let pending = poll();
    assert_eq!(pending.status, 400);
    assert_eq!(pending.json()["error"], json!("authorization_pending"));
    run_browser(str_of(&device, "verification_uri_complete"), &[("MCP_TEST_BROWSER_DENY", "1")], || ());
    // RFC 8628 §3.5: the client may poll again only after `interval`; the server answers
    // slow_down before that, then access_denied.
    let interval = device["interval"].as_u64().unwrap_or(5);
    std::thread::sleep(std::time::Duration::from_secs(interval));
    let denied = poll();
    assert_eq!(denied.status, 400, "{denied}");
    assert_eq!(denied.json()["error"], json!("access_denied"));
}
