//! No secret reaches stderr, a trace, or any file outside the store: every tool runs with
//! `--trace` through a full flow (discover | dcr | authorize, a refresh, a revocation), and
//! the secrets that flow produced are looked for everywhere they must not be.

use mcp_testkit::bins::{Sandbox, run};
use mcp_testkit::servers::{Options, TestServers, browser_command};
use std::path::Path;
use std::time::Duration;

fn files_under(dir: &Path, skip: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.starts_with(skip) {
            continue;
        }
        if p.is_dir() {
            files_under(&p, skip, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn a_traced_full_flow_leaks_no_secret() {
    let servers = TestServers::start(Options::default().access_ttl(300));
    let sandbox = Sandbox::new();
    let browser_log = sandbox.path().join("browser.log");
    let store = ["--credential-helper", "file"];
    let url = servers.mcp_url.clone();

    let mut stderr = String::new();
    let mut cmd = sandbox.command("sh");
    cmd.arg("-c")
        .arg(r#"mcp-discover --trace "$1" | mcp-dcr --trace --credential-helper file | mcp-authorize --trace --credential-helper file"#)
        .arg("sh")
        .arg(&url)
        .env("PATH", format!("{}:{}", mcp_testkit::bins::target_profile_dir().display(), std::env::var("PATH").unwrap_or_default()))
        .env("BROWSER", browser_command())
        .env("MCP_TEST_BROWSER_LOG", &browser_log);
    let out = run(cmd, None, Duration::from_secs(90));
    assert!(out.success(), "pipeline: {out}");
    stderr += &out.stderr;
    assert!(stderr.contains("> POST") && stderr.contains("token"), "the trace shows the exchanges: {stderr}");

    for args in
        [vec!["--trace", "--min-valid", "100000", url.as_str()], vec!["--trace", "--format", "json", url.as_str()]]
    {
        let mut cmd = sandbox.cmd("mcp-token");
        cmd.args(store).args(&args);
        let out = run(cmd, None, Duration::from_secs(60));
        assert!(out.success(), "mcp-token: {out}");
        stderr += &out.stderr;
    }
    // The secrets now in play: the access token, and the code the browser carried.
    let mut cmd = sandbox.cmd("mcp-token");
    cmd.args(store).args(["--format", "json", &url]);
    let access = run(cmd, None, Duration::from_secs(30)).json()["access_token"].as_str().unwrap().to_string();
    let log = std::fs::read_to_string(&browser_log).expect("browser log");
    let codes: Vec<String> = log
        .lines()
        .filter_map(|l| l.split_once("code=").map(|(_, rest)| rest.split('&').next().unwrap_or("").to_string()))
        .filter(|c| c.len() > 10)
        .collect();
    assert!(!codes.is_empty(), "the browser log names the code: {log}");

    // A silent refresh revealed on purpose gives the refresh token to look for.
    let mut cmd = sandbox.cmd("mcp-authorize");
    cmd.args(store).args(["--reveal-secrets", "--compact", &url]).env("BROWSER", "/bin/false");
    let revealed = run(cmd, None, Duration::from_secs(60));
    assert!(revealed.success(), "{revealed}");
    let doc = revealed.json();
    let refresh = doc["token"]["refresh_token"].as_str().expect("revealed refresh token").to_string();
    let access2 = doc["token"]["access_token"].as_str().expect("revealed access token").to_string();

    let mut cmd = sandbox.cmd("mcp-revoke");
    cmd.args(store).args(["--trace", &url]);
    let out = run(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "mcp-revoke: {out}");
    stderr += &out.stderr;

    let mut secrets: Vec<&str> = vec![access.as_str(), refresh.as_str(), access2.as_str()];
    secrets.extend(codes.iter().map(String::as_str));
    for s in &secrets {
        assert!(!stderr.contains(s), "a secret reached stderr ({} bytes)", s.len());
    }
    // Every secret-bearing field in the trace shows a redaction marker instead.
    assert!(stderr.matches("[redacted").count() >= 6, "the trace shows where secrets were: {stderr}");
    for line in stderr.lines() {
        for field in ["code=", "code_verifier=", "refresh_token=", "\"access_token\":", "\"refresh_token\":", "token="]
        {
            if line.contains(field) && !line.contains("token_type") && !line.contains("grant_type") {
                assert!(line.contains("[redacted"), "unredacted {field} in the trace: {line}");
            }
        }
    }

    // Nothing outside the store holds a secret (the file store lives under XDG_CONFIG_HOME).
    let store_dir = sandbox.xdg_config_home.join("mcp-oauth");
    let mut files = Vec::new();
    files_under(sandbox.path(), &store_dir, &mut files);
    for f in files.iter().filter(|f| **f != browser_log) {
        let content = String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).into_owned();
        for s in &secrets {
            assert!(!content.contains(s), "{} holds a secret", f.display());
        }
    }
}
