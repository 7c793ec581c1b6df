//! The `--trace` of a full login (discover | dcr | authorize, with the headless browser
//! stand-in) against the real test servers: grouped in steps with outcomes and times, the
//! callback's checks, JWTs decoded; the same on a pipe and on a pseudo-terminal but for
//! colour; as JSON lines; and as a HAR that a HAR 1.2 validator accepts.

use mcp_testkit::bins::{Output, Sandbox, run, target_profile_dir};
use mcp_testkit::servers::{Fixture, Options, Variant, browser_command, fixtures_dir, node_binary};
use serde_json::Value;
use std::time::Duration;

/// The steps of a first login, in the order they end.
const STEPS: [&str; 7] = [
    "probe",
    "resource metadata",
    "authorization-server metadata",
    "registration",
    "authorization request",
    "callback received",
    "token request",
];

/// The login pipeline as a shell line; `$1` is the server URL, `$TRACE` the trace flags.
const LOGIN: &str = r#"mcp-discover $TRACE --scope "openid mcp:read" "$1" | mcp-dcr $TRACE --credential-helper file | mcp-authorize $TRACE --credential-helper file"#;

/// Runs the login in `sandbox`, through `wrap` (a pseudo-terminal or nothing), and returns
/// what the user saw on stderr (on a terminal: the terminal's whole output).
fn login(sandbox: &Sandbox, url: &str, trace: &str, pty: bool, env: &[(&str, &str)]) -> Output {
    let mut cmd = if pty {
        // script(1) runs the line on a pseudo-terminal: stdin, stdout and stderr all a tty.
        let mut c = sandbox.command("script");
        let line = format!("sh -c '{}' sh '{url}'", LOGIN.replace('\'', r"'\''"));
        c.args(["-qec", &line, "/dev/null"]);
        c
    } else {
        let mut c = sandbox.command("sh");
        c.args(["-c", LOGIN, "sh", url]);
        c
    };
    let path = format!("{}:{}", target_profile_dir().display(), std::env::var("PATH").unwrap_or_default());
    cmd.env("PATH", path).env("TRACE", trace).env("BROWSER", browser_command()).env_remove("NO_COLOR");
    cmd.env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, None, Duration::from_secs(120));
    assert!(out.success(), "login: {out}");
    out
}

/// Lines without colour sequences; a carriage return (the countdown rewriting its line)
/// starts a new one.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(if c == '\r' { '\n' } else { c });
        }
    }
    out
}

/// The shape of a trace: its steps' ends in order, and its requests and answers (method or
/// status and path) sorted, as concurrent steps may interleave them differently each run.
fn shape(text: &str) -> (Vec<String>, Vec<String>) {
    let text = plain(text);
    let ends = text
        .lines()
        .filter(|l| l.starts_with("== ") && !l.ends_with(']') && !l.ends_with("(continued)"))
        .map(|l| l.split(", ").next().unwrap_or(l).to_string())
        .collect();
    let mut exchanges: Vec<String> = text
        .lines()
        .filter(|l| (l.starts_with("> ") || l.starts_with("< ")) && !l[2..].starts_with(' '))
        .map(|l| {
            let mut words = l.split(' ');
            let (dir, what, url) = (words.next().unwrap_or(""), words.next().unwrap_or(""), words.next().unwrap_or(""));
            let path = url.splitn(4, '/').nth(3).map(|p| p.split('?').next().unwrap_or(p)).unwrap_or("");
            format!("{dir} {what} /{path}")
        })
        .collect();
    exchanges.sort();
    (ends, exchanges)
}

fn has_colour(text: &str) -> bool {
    ["\x1b[32m", "\x1b[1m", "\x1b[1;31m", "\x1b[33m"].iter().any(|c| text.contains(c))
}

#[test]
fn a_full_login_is_traced_in_steps_the_same_on_a_pipe_and_a_terminal() {
    let servers = Fixture::for_options(Options::default());
    let piped = Sandbox::new();
    let out = login(&piped, &servers.mcp_url, "--trace", false, &[]);
    let trace = &out.stderr;
    assert!(!trace.contains('\x1b'), "no colour on a pipe:\n{trace}");

    let (ends, exchanges) = shape(trace);
    let expected: Vec<String> = STEPS.iter().map(|s| format!("== {s}: ok")).collect();
    assert_eq!(ends, expected, "{trace}");
    for step in STEPS {
        assert!(trace.contains(&format!("== {step} [mcp-")), "{step} is announced:\n{trace}");
    }
    assert!(exchanges.contains(&"> POST /mcp".to_string()) && exchanges.contains(&"< 401 /mcp".to_string()));
    // Every answer says how long it took, and every step too.
    for (i, line) in trace.lines().enumerate().filter(|(_, l)| l.starts_with("< ") && !l.starts_with("<  ")) {
        assert!(line.contains(" ms)") || line.contains(" s)"), "no time: {line}");
        // Each request shows as it goes out, before its answer: what was in flight together
        // reads from the order of the lines (scripts/bench counts round trips from it).
        let url = line.split(' ').nth(2).unwrap();
        let sent = trace.lines().position(|l| l.starts_with("> ") && l.split(' ').nth(2) == Some(url));
        assert!(sent.is_some_and(|s| s < i), "answer before request: {line}");
    }
    for line in trace.lines().filter(|l| l.starts_with("== ") && l.contains(": ok")) {
        assert!(line.ends_with(" ms)") || line.ends_with(" s)"), "no time: {line}");
    }
    // The callback as received: the code hidden, state and iss checked.
    let callback = &trace[trace.find("== callback received [").expect("callback step")..];
    assert!(callback.contains("     code=[redacted "), "{callback}");
    assert!(callback.contains("   check state: passed"), "{callback}");
    assert!(callback.contains(&format!("   check iss: passed (the issuer {})", servers.issuer)), "{callback}");
    // The ID token the server issued for openid, decoded and compared with what was expected.
    let id = &trace[trace.find("   JWT in the response body id_token:").expect("decoded ID token")..];
    assert!(id.contains("     header: {\"alg\":"), "{id}");
    assert!(id.contains(&format!("\"iss\": \"{}\"", servers.issuer)), "{id}");
    assert!(id.contains("     exp: ") && id.contains("(in "), "exp relative to now: {id}");
    assert!(id.contains("     iat: ") && id.contains(" ago)") || id.contains("(now)"), "iat: {id}");
    assert!(id.contains("     iss: as expected,") && id.contains("     aud: as expected,"), "{id}");

    // On a terminal: the same trace, in colour.
    let tty = Sandbox::new();
    let shown = login(&tty, &servers.mcp_url, "--trace", true, &[]).stdout;
    assert!(has_colour(&shown), "colour on a terminal:\n{shown}");
    assert!(shown.contains("\x1b[32m== token request: ok"), "a step's success in green:\n{shown}");
    assert_eq!(shape(&shown), (ends, exchanges), "the same trace on a terminal:\n{shown}");

    let no_colour = Sandbox::new();
    let shown = login(&no_colour, &servers.mcp_url, "--trace", true, &[("NO_COLOR", "1")]).stdout;
    assert!(!has_colour(&shown) && shown.contains("== token request: ok"), "NO_COLOR is honoured:\n{shown}");
    let forced = Sandbox::new();
    let forced = login(&forced, &servers.mcp_url, "--trace", false, &[("CLICOLOR_FORCE", "1")]);
    assert!(has_colour(&forced.stderr), "CLICOLOR_FORCE colours a pipe");
}

#[test]
fn the_json_trace_has_one_object_per_line_and_the_har_validates() {
    let servers = Fixture::for_options(Options::default());
    let sandbox = Sandbox::new();
    let out = login(&sandbox, &servers.mcp_url, "--trace-format json", false, &[]);
    let events: Vec<Value> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object ({e}): {l}")))
        .collect();
    let ends: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "step_end")
        .map(|e| {
            assert_eq!(e["ok"], true, "{e}");
            assert!(e["elapsed_ms"].as_f64().is_some() && e["outcome"].is_string(), "{e}");
            e["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(ends, STEPS);
    let exchanges: Vec<&Value> = events.iter().filter(|e| e["event"] == "exchange").collect();
    assert!(exchanges.len() >= 7, "{}", out.stderr);
    for x in &exchanges {
        assert!(x["step"].is_u64() && x["elapsed_ms"].is_f64() && x["request"]["url"].is_string(), "{x}");
        assert!(x["tool"].as_str().unwrap().starts_with("mcp-"), "{x}");
    }
    let token = exchanges.iter().find(|x| x["request"]["body"]["form"][0]["value"] == "authorization_code").unwrap();
    let id = token["tokens"].as_array().unwrap().iter().find(|t| t["field"] == "id_token").expect("id_token decoded");
    assert!(id["checks"].as_array().unwrap().iter().all(|c| c["ok"] == true), "{id}");
    assert!(id["times"].as_array().unwrap().iter().any(|t| t["claim"] == "exp"), "{id}");
    assert!(events.iter().any(|e| e["event"] == "check" && e["name"] == "iss" && e["passed"] == true));
    let callback = events.iter().find(|e| e["event"] == "detail" && e["title"] == "parameters").unwrap();
    assert!(callback["fields"][0]["value"].as_str().unwrap().starts_with("[redacted "), "{callback}");

    // One HAR per run (the sandbox sets MCP_OAUTH_HAR to a directory), each valid HAR 1.2.
    let hars: Vec<_> =
        sandbox.traces.files().into_iter().filter(|f| f.extension().is_some_and(|e| e == "har")).collect();
    assert_eq!(hars.len(), 3, "{hars:?}");
    validate_hars(&hars);
    let authorize =
        hars.iter().find(|h| h.file_name().unwrap().to_string_lossy().starts_with("mcp-authorize")).unwrap();
    let har: Value = serde_json::from_slice(&std::fs::read(authorize).unwrap()).unwrap();
    let titles: Vec<&str> =
        har["log"]["pages"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert!(titles.iter().any(|t| t.starts_with("callback received: ok")), "{titles:?}");
    assert!(har["log"]["entries"].as_array().unwrap().iter().all(|e| e["pageref"].is_string()));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(authorize).unwrap().permissions().mode() & 0o777, 0o600);
}

/// Runs the HAR validator of tests/fixtures (har-validator, HAR 1.2's JSON schema).
pub fn validate_hars(files: &[std::path::PathBuf]) {
    let mut cmd = std::process::Command::new(node_binary());
    cmd.arg(fixtures_dir().join("validate-har.mjs")).args(files);
    let out = run(cmd, None, Duration::from_secs(60));
    assert!(out.success(), "HAR validation: {out}");
}

#[test]
fn a_failing_run_still_writes_its_har() {
    let sandbox = Sandbox::new();
    let har = sandbox.path().join("failed.har");
    // Nothing listens on port 9: the probe fails, and that run is the one to attach.
    let out = sandbox.run("mcp-discover", &["--har", har.to_str().unwrap(), "http://127.0.0.1:9/mcp"], None);
    assert_eq!(out.code, Some(4), "{out}");
    let v: Value = serde_json::from_slice(&std::fs::read(&har).expect("a HAR despite the failure")).unwrap();
    let entries = v["log"]["entries"].as_array().unwrap();
    assert!(
        !entries.is_empty()
            && entries.iter().all(|e| e["response"]["status"] == 0 && e["response"]["_error"].is_string()),
        "{v}"
    );
    assert!(
        v["log"]["pages"].as_array().unwrap().iter().any(|p| p["title"].as_str().unwrap().starts_with("probe: failed")),
        "{v}"
    );
    validate_hars(&[har]);
}

#[test]
fn a_device_login_is_traced_in_steps() {
    let servers = Fixture::for_options(Options::default());
    let sandbox = Sandbox::new();
    let line = r#"mcp-discover "$1" | mcp-dcr --credential-helper file | mcp-authorize --trace --device --credential-helper file"#;
    let mut cmd = sandbox.command("sh");
    cmd.args(["-c", line, "sh", &servers.mcp_url])
        .env("PATH", format!("{}:{}", target_profile_dir().display(), std::env::var("PATH").unwrap_or_default()))
        .env("BROWSER", browser_command());
    let out = run(cmd, None, Duration::from_secs(120));
    assert!(out.success(), "{out}");
    assert!(out.stderr.contains("== device authorization: ok, a user code for "), "{}", out.stderr);
    let polls: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("== token request (device_code): ") || l.contains("device_code)"))
        .collect();
    assert!(polls.last().is_some_and(|l| l.contains(": ok, issued a")), "{}", out.stderr);
    assert!(!out.stderr.contains("FAILED"), "{}", out.stderr);
}

#[test]
fn a_jwt_access_token_is_decoded_and_its_audience_and_issuer_checked() {
    let servers = Fixture::for_options(Options::default().variant(Variant::JwtAccessTokens));
    let sandbox = Sandbox::new();
    let trace = login(&sandbox, &servers.mcp_url, "--trace", false, &[]).stderr;
    let at = &trace[trace.find("   JWT in the response body access_token:").expect("the access token decoded")..];
    assert!(at.contains(r#"     header: {"alg":"RS256","#) && at.contains(r#""typ":"at+jwt""#), "RFC 9068: {at}");
    assert!(at.contains(&format!("     aud: as expected, {}", servers.mcp_url)), "the resource: {at}");
    assert!(at.contains(&format!("     iss: as expected, {}", servers.issuer)), "{at}");
    assert!(at.contains("     exp: ") && at.contains("     iat: "), "{at}");
}
