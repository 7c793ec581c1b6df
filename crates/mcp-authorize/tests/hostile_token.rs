//! Token endpoints that misbehave, as a real server will not: the client-credentials grant
//! of `mcp-authorize` against a scripted endpoint. Sloppy-but-usable answers are accepted,
//! broken or hostile ones give one line and exit 3, and nothing is stored for them.

use mcp_testkit::bins::{Output, Sandbox, run};
use mcp_testkit::mock::{Mock, Reply};
use serde_json::json;
use std::time::Duration;

struct Case {
    mock: Mock,
    sandbox: Sandbox,
    url: String,
    /// The server's `token_endpoint_auth_methods_supported`, comma-separated.
    methods: &'static str,
}

impl Case {
    /// A pre-registered confidential client for a server configured by hand, whose token
    /// endpoint answers with `reply`.
    fn new(reply: Reply) -> Case {
        Case::listing("client_secret_basic", reply)
    }

    fn listing(methods: &'static str, reply: Reply) -> Case {
        let mock = Mock::start();
        mock.on("POST", "/token", reply);
        let case = Case { url: mock.url("/mcp"), mock, sandbox: Sandbox::new(), methods };
        let out = case.run("mcp-dcr", &["--client-id", "ci-bot", "--auth-method", "client_secret_basic"]);
        assert!(out.success(), "mcp-dcr: {out}");
        case
    }

    fn run(&self, bin: &str, args: &[&str]) -> Output {
        let mut cmd = self.command(bin, args);
        cmd.args(["--timeout", "5"]);
        run(cmd, None, Duration::from_secs(30))
    }

    /// The tool with the mock's metadata given by flags (the mock sends no challenge), and no
    /// --timeout, so MCP_OAUTH_TIMEOUT counts.
    fn command(&self, bin: &str, args: &[&str]) -> std::process::Command {
        let origin = self.mock.origin();
        let mut cmd = self.sandbox.cmd(bin);
        cmd.args(["--credential-helper", "file"])
            .args(["--issuer", &origin])
            .args(["--authorization-endpoint", &format!("{origin}/authorize")])
            .args(["--token-endpoint", &format!("{origin}/token")])
            .args(["--token-endpoint-auth-methods-supported", self.methods])
            .args(args)
            .arg(&self.url)
            .env("MCP_OAUTH_CLIENT_SECRET", "s3cret-value");
        cmd
    }

    fn machine_login(&self) -> Output {
        self.run("mcp-authorize", &["--client-credentials"])
    }

    fn stored_token(&self) -> Output {
        let mut cmd = self.sandbox.cmd("mcp-token");
        cmd.args(["--credential-helper", "file", "--format", "json", &self.url]);
        run(cmd, None, Duration::from_secs(30))
    }
}

#[test]
fn string_expires_in_and_no_token_type_are_accepted() {
    let case = Case::new(Reply::json(200, &json!({"access_token": "tok-123", "expires_in": "3600"})));
    let out = case.machine_login();
    assert!(out.success(), "{out}");
    let doc = out.json();
    assert_eq!(doc["token"]["token_type"], "Bearer");
    let t = case.stored_token();
    assert!(t.success(), "{t}");
    let j = t.json();
    assert_eq!(j["access_token"], "tok-123");
    let left = j["expires_in"].as_u64().expect("an expiry from the string");
    assert!((3500..=3600).contains(&left), "{left}");
    // The request carried what the extension requires: the grant, the resource, and the
    // client's credentials in the Authorization header, not in the body.
    let req = case.mock.requests().into_iter().find(|r| r.path() == "/token").expect("a token request");
    let body = String::from_utf8_lossy(&req.body).into_owned();
    assert!(body.contains("grant_type=client_credentials"), "{body}");
    assert!(body.contains("resource="), "{body}");
    assert!(!body.contains("s3cret"), "client_secret_basic keeps the secret out of the body");
    assert!(req.header("authorization").is_some_and(|h| h.starts_with("Basic ")));
}

#[test]
fn broken_answers_are_one_line_exit_3_and_store_nothing() {
    let cases = [
        ("500", Reply::text(500, "text/plain", "upstream exploded")),
        ("429", Reply::json(429, &json!({"error": "slow_down"})).header("Retry-After", "30")),
        ("error in a 200", Reply::json(200, &json!({"error": "invalid_client", "error_description": "bad secret"}))),
        ("HTML", Reply::html(200, "<html><body>Sign in</body></html>")),
        ("no access_token", Reply::json(200, &json!({"token_type": "Bearer"}))),
        ("a redirect", Reply::redirect(307, "http://127.0.0.1:9/steal")),
        ("not an object", Reply::json(200, &json!(["access_token"]))),
    ];
    for (what, reply) in cases {
        let case = Case::new(reply);
        let out = case.machine_login();
        assert_eq!(out.code, Some(3), "{what}: {out}");
        assert_eq!(out.stderr.trim().lines().count(), 1, "{what}: one line: {}", out.stderr);
        assert!(!out.stderr.contains("s3cret"), "{what}: no secret in the error");
        assert_eq!(case.stored_token().code, Some(7), "{what}: nothing stored");
    }
}

#[test]
fn an_oauth_error_shows_the_servers_description() {
    let case = Case::new(Reply::json(
        401,
        &json!({"error": "invalid_client", "error_description": "client authentication failed"}),
    ));
    let out = case.machine_login();
    assert_eq!(out.code, Some(3), "{out}");
    assert!(
        out.stderr.contains("invalid_client") && out.stderr.contains("client authentication failed"),
        "{}",
        out.stderr
    );
}

#[test]
fn invalid_client_for_one_listed_method_names_the_other_and_the_command() {
    // What servers on mcp 2.3.0 answered to client_secret_basic without client_id in the body.
    let refusal = json!({"error": "invalid_client", "error_description": "Missing client_id"});
    let case = Case::listing("client_secret_basic,client_secret_post", Reply::json(401, &refusal));
    let out = case.machine_login();
    assert_eq!(out.code, Some(3), "{out}");
    assert_eq!(out.stderr.trim().lines().count(), 1, "one line: {}", out.stderr);
    let fix = format!("run: mcp-dcr --client-id ci-bot --auth-method client_secret_post {}", case.url);
    assert!(out.stderr.contains("Missing client_id") && out.stderr.contains(&fix), "{}", out.stderr);

    // Only one method listed: nothing to switch to, so no advice.
    let alone = Case::new(Reply::json(401, &refusal)).machine_login();
    assert_eq!(alone.code, Some(3), "{alone}");
    assert!(!alone.stderr.contains("--auth-method"), "{}", alone.stderr);
}

#[test]
fn a_token_endpoint_that_never_answers_times_out_with_exit_4() {
    let case = Case::new(Reply::json(200, &json!({"access_token": "late"})).delay(Duration::from_secs(20)));
    let out = case.machine_login();
    assert_eq!(out.code, Some(4), "{out}");
    assert!(out.elapsed < Duration::from_secs(15), "the --timeout 5 held: {:?}", out.elapsed);
}

/// Issue 13 item 4: what a server says is shown, never obeyed by the terminal.
#[test]
fn server_text_is_shown_escaped_never_obeyed() {
    let hostile =
        "denied\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\r\u{1b}[2Kmcp-authorize: success\u{9b}31m\u{202e}";
    let case = Case::new(Reply::json(400, &json!({"error": "invalid_client", "error_description": hostile})));
    let out = case.run("mcp-authorize", &["--client-credentials", "--trace"]);
    assert_eq!(out.code, Some(3), "{out}");
    for c in ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'] {
        assert!(!out.stderr.contains(c), "{c:?} reached the terminal: {:?}", out.stderr);
    }
    assert!(out.stderr.contains("denied\\x1b]0;pwned\\x07"), "{}", out.stderr);
    let last = out.stderr.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("mcp-authorize: ") && last.contains("\\r\\x1b[2Kmcp-authorize: success"), "{last}");
}

/// Issue 13 item 5: a token that would add a header to `curl -H "Authorization: Bearer
/// $(mcp-token URL)"` is refused and not stored.
#[test]
fn tokens_that_smuggle_headers_are_refused_and_not_stored() {
    for body in [
        json!({"access_token": "tok\r\nX-Evil: 1", "token_type": "Bearer"}),
        json!({"access_token": "tok", "token_type": "Bearer\r\nX-Evil: 1"}),
        json!({"access_token": "tok", "refresh_token": "rt\nX-Evil: 1"}),
    ] {
        let case = Case::new(Reply::json(200, &body));
        let out = case.machine_login();
        assert_eq!(out.code, Some(3), "{body}: {out}");
        assert!(!out.stderr.contains("X-Evil"), "{body}: not quoted: {}", out.stderr);
        assert_eq!(case.stored_token().code, Some(7), "{body}: nothing stored");
    }
}

/// Issue 13 item 6: secrets the server echoes back, token response bodies and `Location`
/// headers carrying tokens never reach the terminal.
#[test]
fn secrets_sent_or_received_are_never_echoed() {
    // As received: in a form body, and in the Basic header (base64 of "ci-bot:s3cret-value").
    let echo =
        "client_secret=s3cret-value&grant_type=client_credentials (Authorization: Basic Y2ktYm90OnMzY3JldC12YWx1ZQ==)";
    let case = Case::new(Reply::json(400, &json!({"error": "invalid_request", "error_description": echo})));
    let out = case.run("mcp-authorize", &["--client-credentials", "--trace"]);
    assert_eq!(out.code, Some(3), "{out}");
    out.assert_stderr_hides(&["s3cret", "Y2ktYm90OnMzY3JldC12YWx1ZQ"]);
    assert!(out.stderr.contains("grant_type=client_credentials"), "the rest is kept: {}", out.stderr);

    let form = Reply::text(200, "application/x-www-form-urlencoded", "access_token=tok-form-secret&token_type=bearer");
    let case = Case::new(form);
    let out = case.run("mcp-authorize", &["--client-credentials", "--trace"]);
    assert_eq!(out.code, Some(3), "{out}");
    out.assert_stderr_hides(&["tok-form-secret"]);

    let case =
        Case::new(Reply::redirect(302, "http://127.0.0.1:9/cb?x=1#access_token=tok-in-location&token_type=bearer"));
    let out = case.run("mcp-authorize", &["--client-credentials", "--trace"]);
    assert_eq!(out.code, Some(3), "{out}");
    out.assert_stderr_hides(&["tok-in-location"]);
    assert!(out.stderr.contains("token_type=bearer"), "{}", out.stderr);
}

const U64_MAX: &str = "18446744073709551615";

/// Issue 13 item 7: absurd durations are a usage error (flags, variables) or a protocol
/// error (a server's), never an overflow panic.
#[test]
fn absurd_durations_are_refused_not_a_crash() {
    let case = Case::new(Reply::json(200, &json!({"access_token": "tok-123"})));
    let out = case.run("mcp-authorize", &["--client-credentials", "--timeout", U64_MAX]);
    assert_eq!(out.code, Some(2), "--timeout: {out}");
    for var in ["MCP_OAUTH_TIMEOUT", "MCP_OAUTH_LOCK_TIMEOUT", "MCP_OAUTH_HELPER_TIMEOUT"] {
        let mut cmd = case.command("mcp-authorize", &["--client-credentials"]);
        cmd.env(var, U64_MAX);
        let out = run(cmd, None, Duration::from_secs(30));
        assert_eq!(out.code, Some(2), "{var}: {out}");
        assert!(out.stderr.contains(var) || out.stderr.contains("--timeout"), "{var}: names it: {}", out.stderr);
    }

    let device = json!({"device_code": "dev-code-1234", "user_code": "AB-12", "verification_uri": "https://as.example/device",
                        "expires_in": 600, "interval": u64::MAX});
    case.mock.on("POST", "/device", Reply::json(200, &device));
    let endpoint = format!("{}/device", case.mock.origin());
    let out = case.run("mcp-authorize", &["--device", "--device-authorization-endpoint", &endpoint]);
    assert_eq!(out.code, Some(3), "device interval: {out}");
}

/// Issue 13 item 7: a crash must not write the tokens in memory to a core file.
#[cfg(target_os = "linux")]
#[test]
fn the_tools_run_without_core_dumps() {
    use std::io::Write as _;
    let sandbox = Sandbox::new();
    // With no URL it waits for its document on stdin: alive long enough to look at.
    // Started with core dumps allowed, as on a machine where they are.
    let mut child = sandbox
        .command("sh")
        .arg("-c")
        .arg(r#"ulimit -S -c 4096 && exec "$0""#)
        .arg(mcp_testkit::bins::bin_path("mcp-authorize"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn mcp-authorize");
    let limits_path = format!("/proc/{}/limits", child.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let limit = loop {
        let exe = std::fs::read_link(format!("/proc/{}/exe", child.id())).unwrap_or_default();
        if !exe.to_string_lossy().contains("mcp-authorize") && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let limits = std::fs::read_to_string(&limits_path).unwrap_or_default();
        let core = limits.lines().find(|l| l.starts_with("Max core file size")).map(str::to_string);
        // Right after exec the limit is still the shell's; the tool lowers it first thing.
        if core.as_deref().is_some_and(|l| l.split_whitespace().nth(4) == Some("0"))
            || std::time::Instant::now() > deadline
        {
            break core;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.stdin.take().map(|mut s| s.write_all(b"{}"));
    let _ = child.kill();
    let _ = child.wait();
    let limit = limit.expect("a core limit line");
    assert_eq!(limit.split_whitespace().nth(4), Some("0"), "soft core limit: {limit}");
}

/// Issue 13 item 14: the browser (and all it starts) does not inherit the client secret.
#[cfg(unix)]
#[test]
fn the_browser_does_not_inherit_the_client_secret() {
    use std::os::unix::fs::PermissionsExt as _;
    let case = Case::new(Reply::json(200, &json!({"access_token": "tok-123"})));
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a port");
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let out = case.run(
        "mcp-dcr",
        &["--client-id", "ci-bot", "--auth-method", "client_secret_basic", "--redirect-uri", &redirect],
    );
    assert!(out.success(), "{out}");
    let env_file = case.sandbox.path().join("browser.env");
    let script = case.sandbox.path().join("browser.sh");
    std::fs::write(&script, format!("#!/bin/sh\nenv > '{}'\n", env_file.display())).expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let origin = case.mock.origin();
    let mut cmd = case.sandbox.cmd("mcp-authorize");
    cmd.args(["--credential-helper", "file", "--timeout-callback", "2"])
        .args(["--issuer", &origin, "--authorization-endpoint", &format!("{origin}/authorize")])
        .args(["--token-endpoint", &format!("{origin}/token"), "--code-challenge-methods-supported", "S256"])
        .arg(&case.url)
        .env("MCP_OAUTH_CLIENT_SECRET", "s3cret-value")
        .env("BROWSER", &script);
    let out = run(cmd, None, Duration::from_secs(30));
    assert_eq!(out.code, Some(8), "no callback comes: {out}");
    let env = std::fs::read_to_string(&env_file).unwrap_or_else(|e| panic!("the browser ran ({e}): {out}"));
    assert!(env.contains("BROWSER="), "the browser saw our environment: {env}");
    assert!(!env.contains("s3cret-value") && !env.contains("MCP_OAUTH_CLIENT_SECRET"), "{env}");
}

/// Issue 13 item 14: an oversized document on stdin says so.
#[test]
fn an_oversized_document_on_stdin_says_so() {
    let sandbox = Sandbox::new();
    let mut big = br#"{"mcp_oauth": 1, "pad": ""#.to_vec();
    big.resize(5 * 1024 * 1024, b'x');
    let out = run(sandbox.cmd("mcp-authorize"), Some(&big), Duration::from_secs(30));
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("over the 4 MiB limit"), "{}", out.stderr);
}

/// Issue 13 item 4, the device flow: the `user_code` and `verification_uri` a server
/// chooses are shown escaped too.
#[test]
fn device_codes_are_shown_escaped() {
    let case = Case::new(Reply::json(200, &json!({"access_token": "tok-123"})));
    let device = json!({"device_code": "dev-code-1234", "user_code": "AB\u{1b}]52;c;ZXZpbA==\u{7}-12",
                        "verification_uri": "https://as.example/device\r\u{1b}[2K", "expires_in": 600, "interval": 1});
    case.mock.on("POST", "/device", Reply::json(200, &device));
    let endpoint = format!("{}/device", case.mock.origin());
    let out = case.run("mcp-authorize", &["--device", "--device-authorization-endpoint", &endpoint]);
    assert!(out.success(), "{out}");
    assert!(!out.stderr.contains(['\u{1b}', '\u{7}', '\r']), "{:?}", out.stderr);
    assert!(out.stderr.contains("AB\\x1b]52;c;ZXZpbA==\\x07-12"), "{}", out.stderr);
}
