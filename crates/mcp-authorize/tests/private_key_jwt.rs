//! private_key_jwt (RFC 7523 §2.2) on every request a client makes to the authorization
//! server, for each PEM format `openssl` writes, against oidc-provider clients that hold the
//! public keys and a server that refuses any `aud` but its issuer as a single string
//! (RFC 7523bis; the fixture tests of mcp-testkit show it refuses the token endpoint). The
//! server's request log shows which authentication each request carried.

use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::servers::{TestServers, browser_command};
use mcp_testkit::workload::WorkloadIssuer;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The formats users have, each as `openssl` writes it.
const FORMATS: [(&str, &[&[&str]]); 4] = [
    ("ec-sec1", &[&["ecparam", "-name", "prime256v1", "-genkey", "-noout"]]),
    ("ec-pkcs8", &[&["ecparam", "-name", "prime256v1", "-genkey", "-noout"], &["pkcs8", "-topk8", "-nocrypt"]]),
    ("rsa-pkcs8", &[&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]]),
    ("rsa-pkcs1", &[&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], &["rsa", "-traditional"]]),
];

/// Runs the `openssl` steps, each reading the previous one's output; returns the last file.
fn openssl_key(dir: &Path, name: &str, steps: &[&[&str]]) -> String {
    let mut previous: Option<std::path::PathBuf> = None;
    for (i, step) in steps.iter().enumerate() {
        let out_file = dir.join(format!("{name}-{i}.pem"));
        let mut cmd = std::process::Command::new("openssl");
        cmd.args(*step);
        if let Some(input) = &previous {
            cmd.arg("-in").arg(input);
        }
        let out = cmd.arg("-out").arg(&out_file).output().expect("openssl is installed");
        assert!(out.status.success(), "openssl {step:?}: {}", String::from_utf8_lossy(&out.stderr));
        previous = Some(out_file);
    }
    previous.unwrap().display().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn client_metadata(id: &str, jwk: &Value, redirect_uri: &str) -> Value {
    json!({
        "client_id": id,
        "application_type": "native",
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": jwk["alg"],
        "jwks": {"keys": [jwk]},
        "grant_types": ["authorization_code", "refresh_token", "client_credentials", DEVICE_CODE, JWT_BEARER],
        "response_types": ["code"],
        "redirect_uris": [redirect_uri],
    })
}

fn run_tool(sandbox: &Sandbox, bin: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = sandbox.cmd(bin);
    cmd.args(["--credential-helper", "file"]).args(args).env("BROWSER", browser_command());
    run(cmd, stdin.map(str::as_bytes), Duration::from_secs(60))
}

#[test]
fn every_request_of_a_private_key_jwt_client_carries_a_fresh_assertion_for_each_key_format() {
    let keys = tempfile::tempdir().unwrap();
    let clients: Vec<(String, String, String)> = FORMATS
        .iter()
        .map(|(name, steps)| {
            let key = openssl_key(keys.path(), name, steps);
            (name.to_string(), key, format!("http://127.0.0.1:{}/callback", free_port()))
        })
        .collect();
    let issuer = WorkloadIssuer::start();
    let mut options = issuer.servers_options();
    for (name, key, redirect) in &clients {
        let jwk = mcp_oauth::jwt::public_jwk(key, Some("k1")).unwrap();
        options = options.client(client_metadata(name, &jwk, redirect));
    }
    let servers = TestServers::start(options);
    let mut assertion_ids = HashSet::new();

    for (name, key, redirect) in &clients {
        let sandbox = Sandbox::new();
        let url = servers.mcp_url.as_str();
        let before = servers.token_requests().len();
        let dcr_args =
            ["--client-id", name, "--private-key-file", key, "--key-id", "k1", "--redirect-uri", redirect, url];
        let doc = run_tool(&sandbox, "mcp-dcr", &dcr_args, None);
        assert!(doc.success(), "{name}: {doc}");
        assert_eq!(doc.json()["client"]["auth_method"], "private_key_jwt", "{name}");
        let doc = doc.stdout;

        // Code exchange, then a refresh by mcp-token, device, client credentials, jwt-bearer.
        let steps: [(&[&str], bool); 4] =
            [(&[], true), (&["--device", "--force"], true), (&["--client-credentials"], true), (&[], false)];
        for (args, with_doc) in steps {
            let out = if with_doc {
                run_tool(&sandbox, "mcp-authorize", args, Some(&doc))
            } else {
                let (jwt, _) = issuer.mint(&json!({"aud": servers.issuer}));
                let file = sandbox.path().join("workload-token");
                std::fs::write(&file, jwt).unwrap();
                run_tool(&sandbox, "mcp-authorize", &["--workload-token-file", file.to_str().unwrap()], Some(&doc))
            };
            assert!(out.success(), "{name} {args:?}: {out}");
            if args.is_empty() && with_doc {
                let refreshed = run_tool(&sandbox, "mcp-token", &["--min-valid", "3600", url], None);
                assert!(refreshed.success(), "{name} refresh: {refreshed}");
            }
        }
        let token = run_tool(&sandbox, "mcp-token", &[url], None);
        assert!(token.success(), "{name}: {token}");
        assert_eq!(servers.call_mcp(Some(token.stdout.trim()), "initialize").status, 200, "{name}");
        let revoked = run_tool(&sandbox, "mcp-revoke", &[url], None);
        assert!(revoked.success(), "{name} revoke: {revoked}");
        assert!(!servers.introspect(token.stdout.trim()), "{name}: revoked at the server");

        let requests = &servers.token_requests()[before..];
        let seen: Vec<String> = requests
            .iter()
            .map(|r| format!("{}:{}", r["endpoint"].as_str().unwrap(), r["grant_type"].as_str().unwrap_or("-")))
            .collect();
        let expected = [
            "token:authorization_code",
            "token:refresh_token",
            &format!("token:{DEVICE_CODE}"),
            "token:client_credentials",
            &format!("token:{JWT_BEARER}"),
            "revocation:-",
        ];
        for e in expected {
            assert!(seen.iter().any(|s| s == e), "{name}: no {e} in {seen:?}");
        }
        for r in requests {
            assert_eq!(r["client_auth"], "private_key_jwt", "{name}: {r}");
            let jti = r["client_assertion_jti"].as_str().unwrap().to_string();
            assert!(assertion_ids.insert(jti), "{name}: an assertion was reused: {r}");
        }
    }
}
