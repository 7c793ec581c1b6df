//! Every trace and HAR a full flow produces is swept for every secret the flow handled:
//! two logins (a confidential client, and a private_key_jwt one whose assertions the trace
//! decodes), a refresh, a hand-off whose verifier waits in the store, a revocation. The
//! secrets come from where the tools keep them ([`mcp_testkit::sweep`]), the codes from the
//! browser's log; a control shows the sweep finds them in a HAR that does hold them.

use mcp_testkit::bins::{Sandbox, run, target_profile_dir};
use mcp_testkit::servers::{Options, TestServers, browser_command};
use serde_json::Value;
use std::time::Duration;

fn pipeline(sandbox: &Sandbox, url: &str, dcr: &str, profile: &str, log: &std::path::Path) {
    let line = format!(
        r#"mcp-discover --trace --profile {profile} "$1" | mcp-dcr --trace --credential-helper file {dcr} | mcp-authorize --trace --credential-helper file"#
    );
    let mut cmd = sandbox.command("sh");
    cmd.args(["-c", &line, "sh", url])
        .env("PATH", format!("{}:{}", target_profile_dir().display(), std::env::var("PATH").unwrap_or_default()))
        .env("BROWSER", browser_command())
        .env("MCP_TEST_BROWSER_LOG", log);
    let out = run(cmd, None, Duration::from_secs(90));
    assert!(out.success(), "login: {out}");
}

#[test]
fn every_secret_of_a_full_flow_stays_out_of_its_traces_and_hars() {
    let servers = TestServers::start(Options::default().access_ttl(300));
    let sandbox = Sandbox::new();
    let url = servers.mcp_url.as_str();
    let log = sandbox.path().join("browser.log");
    let store = ["--credential-helper", "file"];

    pipeline(&sandbox, url, "--auth-method client_secret_basic", "default", &log);
    mcp_testkit::keys::write_ec_key(&sandbox.path().join("key.pem"));
    pipeline(&sandbox, url, "--auth-method private_key_jwt --private-key-file key.pem --key-id k1", "jwt", &log);
    let refreshed = sandbox.run("mcp-token", &[&store[..], &["--trace", "--min-valid", "100000", url]].concat(), None);
    assert!(refreshed.success(), "{refreshed}");
    assert!(refreshed.stderr.contains("== refresh: ok"), "{refreshed}");
    let jwt = sandbox.run(
        "mcp-token",
        &[&store[..], &["--trace", "--profile", "jwt", "--min-valid", "100000", url]].concat(),
        None,
    );
    assert!(jwt.stderr.contains("   JWT in the request form client_assertion:"), "the assertion decoded: {jwt}");
    assert!(jwt.stderr.contains("     aud: as expected,"), "{jwt}");

    // A hand-off: its verifier is in the store until the second half spends it.
    let first = sandbox.run("mcp-authorize", &[&store[..], &["--profile", "hand", "--print-url", url]].concat(), None);
    assert!(first.success(), "{first}");
    let pending = sandbox.traces.kinds(sandbox.path(), &sandbox.xdg_config_home);
    let authorization_url = first.json()["pending"]["authorization_url"].as_str().unwrap().to_string();
    let file = sandbox.path().join("callback-url");
    let browser = sandbox
        .command(browser_command())
        .arg(&authorization_url)
        .env("MCP_TEST_BROWSER_CALLBACK_FILE", &file)
        .env("MCP_TEST_BROWSER_LOG", &log)
        .status()
        .unwrap();
    assert!(browser.success());
    let callback = std::fs::read_to_string(&file).unwrap().trim().to_string();
    let args = ["--trace", "--profile", "hand", "--callback-url", &callback];
    let second = sandbox.run("mcp-authorize", &[&store[..], &args].concat(), None);
    assert!(second.success(), "{second}");
    assert!(second.stderr.contains("== callback received: ok"), "{second}");

    // Revocation empties the store: what it held is noted first, with the codes the
    // browser carried.
    let mut known = sandbox.traces.kinds(sandbox.path(), &sandbox.xdg_config_home);
    known.extend(pending);
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        if let Some((_, rest)) = line.split_once("code=") {
            known.push(("code".into(), rest.split(['&', ' ']).next().unwrap().to_string()));
        }
    }
    for (_, s) in &known {
        sandbox.traces.note(s);
    }
    let revoked = sandbox.run("mcp-revoke", &[&store[..], &["--trace", url]].concat(), None);
    assert!(revoked.success(), "{revoked}");
    assert!(revoked.stderr.contains("== revocation (refresh_token): ok"), "{revoked}");

    // The sweep knows every kind of secret the flow handled, so finding none means something.
    for kind in [
        "access_token",
        "refresh_token",
        "client_secret",
        "registration_access_token",
        "code_verifier",
        "private key",
        "code",
    ] {
        assert!(known.iter().any(|(k, s)| k == kind && s.len() >= 12), "the sweep knows no {kind}");
    }
    sandbox.assert_traces_hide_secrets();
    let kept = sandbox.traces.files();
    assert!(kept.iter().filter(|f| f.extension().is_some_and(|e| e == "har")).count() >= 10, "{kept:?}");

    // Control: a revealed run's HAR holds the secrets, and the sweep finds them there once it
    // is not marked as revealed.
    let revealed = sandbox.run(
        "mcp-token",
        &[&store[..], &["--reveal-secrets", "--min-valid", "100000", "--profile", "jwt", url]].concat(),
        None,
    );
    assert!(revealed.success(), "{revealed}");
    let har = std::fs::read_dir(sandbox.traces.dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| !kept.contains(p) && p.extension().is_some_and(|e| e == "har"))
        .expect("the revealed run's HAR");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    assert_eq!(v["log"]["_revealed"], true);
    v["log"]["_revealed"] = false.into();
    let control = sandbox.traces.dir().join("control.har");
    std::fs::write(&control, v.to_string()).unwrap();
    let secrets = sandbox.traces.secrets(sandbox.path(), &sandbox.xdg_config_home);
    let leaks = sandbox.traces.leaks(&secrets);
    assert!(!leaks.is_empty() && leaks.iter().all(|l| l.contains("control.har")), "{leaks:?}");
    std::fs::remove_file(control).unwrap();
}
