//! The real loopback test servers: `tests/fixtures/servers.mjs` (an oidc-provider authorization
//! server and a small MCP resource server) run as a child process per test, plus a tiny
//! HTTP/1.1 client so tests can poke at them without going through the code under test.
//!
//! ```no_run
//! use mcp_testkit::servers::{Options, TestServers, Variant};
//! let servers = TestServers::start(Options::default().variant(Variant::Tenant).access_ttl(2));
//! let unauthenticated = servers.call_mcp(None, "initialize");
//! assert_eq!(unauthenticated.status, 401);
//! ```

use crate::ready::ReadyProcess;
use serde_json::{Value, json};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server start may take before the test fails (node start + RSA key generation is
/// well under a second; the margin is for a loaded 2-core CI machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Deviations of the servers from a well-behaved 2026-07-28 deployment. They combine
/// (e.g. `Tenant` + `OidcOnly`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The 401 `WWW-Authenticate` header carries no `resource_metadata`.
    NoResourceMetadata,
    /// Protected-resource metadata only at the root `/.well-known/oauth-protected-resource`.
    RootPrm,
    /// The issuer has a path (`<as_origin>/tenant1`).
    Tenant,
    /// No RFC 8414 document: only `<issuer>/.well-known/openid-configuration`.
    OidcOnly,
    /// 2025-03-26 server: no protected-resource metadata at all, the MCP endpoint lives on the
    /// AS's origin, and the 401 is a bare `Bearer` challenge.
    Legacy,
    /// The AS metadata's `issuer` differs from the issuer it was fetched for.
    IssuerMismatch,
    /// The protected-resource metadata's `resource` is not the MCP URL.
    ResourceMismatch,
    /// The AS metadata lacks `code_challenge_methods_supported` (PKCE still enforced).
    NoPkceMetadata,
    /// Dynamic client registration disabled: no `registration_endpoint`.
    NoDcr,
    /// Every authorization (and device) interaction ends with `access_denied`.
    Deny,
    /// MCP 2026-07-28: `initialize` is answered without a token; other requests without one
    /// get a 401 whose `scope` is what that request needs (`mcp:read` for `tools/list`).
    LateChallenge,
    /// The 401 to a request without credentials carries `error="invalid_token"` (as the
    /// Python MCP SDK's does), which RFC 6750 §3.1 says to omit.
    InvalidTokenChallenge,
    /// The metadata lists only `none` in `token_endpoint_auth_methods_supported`; the token
    /// endpoint still accepts every method (like mock OIDC servers with incomplete metadata).
    AuthMethodsNone,
    /// The metadata lists only `client_secret_basic` for the revocation endpoint.
    ConfidentialRevocation,
    /// SEP-990: an enterprise IdP beside the servers and the ID-JAG jwt-bearer grant at the
    /// AS (see [`crate::enterprise`]).
    Enterprise,
    JwtAccessTokens,
    /// DPoP (RFC 9449): the AS advertises and enforces it, the RS validates proofs itself
    /// (tests/fixtures/dpop.mjs) and refuses a bound token presented as Bearer.
    Dpop,
    /// `Dpop`, and both servers require a server nonce in every proof (`use_dpop_nonce`).
    DpopNonce,
}

impl Variant {
    pub const ALL: [Variant; 18] = [
        Variant::NoResourceMetadata,
        Variant::RootPrm,
        Variant::Tenant,
        Variant::OidcOnly,
        Variant::Legacy,
        Variant::IssuerMismatch,
        Variant::ResourceMismatch,
        Variant::NoPkceMetadata,
        Variant::NoDcr,
        Variant::Deny,
        Variant::LateChallenge,
        Variant::InvalidTokenChallenge,
        Variant::AuthMethodsNone,
        Variant::ConfidentialRevocation,
        Variant::Enterprise,
        Variant::JwtAccessTokens,
        Variant::Dpop,
        Variant::DpopNonce,
    ];

    /// The name `servers.mjs --variant` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::NoResourceMetadata => "no-resource-metadata",
            Variant::RootPrm => "root-prm",
            Variant::Tenant => "tenant",
            Variant::OidcOnly => "oidc-only",
            Variant::Legacy => "legacy",
            Variant::IssuerMismatch => "issuer-mismatch",
            Variant::ResourceMismatch => "resource-mismatch",
            Variant::NoPkceMetadata => "no-pkce-metadata",
            Variant::NoDcr => "no-dcr",
            Variant::Deny => "deny",
            Variant::LateChallenge => "late-challenge",
            Variant::InvalidTokenChallenge => "invalid-token-challenge",
            Variant::AuthMethodsNone => "auth-methods-none",
            Variant::ConfidentialRevocation => "confidential-revocation",
            Variant::Enterprise => "enterprise",
            Variant::JwtAccessTokens => "jwt-access-tokens",
            Variant::Dpop => "dpop",
            Variant::DpopNonce => "dpop-nonce",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to start. `Options::default()` is the well-behaved server pair.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    pub variants: Vec<Variant>,
    /// Access-token lifetime in seconds (server default 300).
    pub access_ttl: Option<u64>,
    /// Refresh-token lifetime in seconds (server default 86400).
    pub refresh_ttl: Option<u64>,
    /// Delay every response of both servers by this many milliseconds.
    pub delay_ms: u64,
    /// Path of the MCP endpoint (server default `/mcp`).
    pub mcp_path: Option<String>,
    /// Statically configured clients (full oidc-provider client metadata, `client_id`
    /// required), for the `NoDcr` variant or for fixed credentials.
    pub clients: Vec<Value>,
    /// Issue a new registration access token on every RFC 7592 read/update.
    pub rotate_registration_token: bool,
    /// Seconds after which the servers exit by themselves (server default 600).
    pub max_lifetime: Option<u64>,
    /// More servers.mjs flags, as given (`--tls-cert`, `--rtt-ms`, `--connection-log`, ...).
    pub extra_args: Vec<String>,
}

impl Options {
    pub fn variant(mut self, variant: Variant) -> Self {
        self.variants.push(variant);
        self
    }

    pub fn access_ttl(mut self, seconds: u64) -> Self {
        self.access_ttl = Some(seconds);
        self
    }

    pub fn refresh_ttl(mut self, seconds: u64) -> Self {
        self.refresh_ttl = Some(seconds);
        self
    }

    pub fn delay_ms(mut self, ms: u64) -> Self {
        self.delay_ms = ms;
        self
    }

    pub fn mcp_path(mut self, path: &str) -> Self {
        self.mcp_path = Some(path.to_string());
        self
    }

    pub fn client(mut self, metadata: Value) -> Self {
        self.clients.push(metadata);
        self
    }

    pub fn max_lifetime(mut self, seconds: u64) -> Self {
        self.max_lifetime = Some(seconds);
        self
    }

    pub fn rotate_registration_token(mut self) -> Self {
        self.rotate_registration_token = true;
        self
    }

    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for variant in &self.variants {
            args.extend(["--variant".to_string(), variant.as_str().to_string()]);
        }
        let numeric = [
            ("--access-ttl", self.access_ttl),
            ("--refresh-ttl", self.refresh_ttl),
            ("--max-lifetime", self.max_lifetime),
            ("--delay-ms", Some(self.delay_ms)),
        ];
        for (flag, value) in numeric {
            if let Some(value) = value {
                args.extend([flag.to_string(), value.to_string()]);
            }
        }
        if let Some(path) = &self.mcp_path {
            args.extend(["--mcp-path".to_string(), path.clone()]);
        }
        for client in &self.clients {
            args.extend(["--client".to_string(), client.to_string()]);
        }
        if self.rotate_registration_token {
            args.push("--rotate-registration-token".to_string());
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

/// A machine-to-machine client for [`Options::client`]: confidential, `client_secret_basic`,
/// the client-credentials grant only.
pub fn machine_client(client_id: &str, client_secret: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_secret": client_secret,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
        "response_types": [],
        "redirect_uris": [],
    })
}

/// A running pair of servers; both stop when this is dropped (and by themselves when the test
/// process dies, because their stdin closes).
pub struct TestServers {
    /// The AS issuer identifier (`<as_origin>` or `<as_origin>/tenant1`).
    pub issuer: String,
    pub as_origin: String,
    /// Origin of the MCP resource server (the AS origin in the `Legacy` variant).
    pub rs_origin: String,
    /// The MCP endpoint, also the RFC 8707 resource identifier.
    pub mcp_url: String,
    /// Where the protected-resource metadata is served (`None` for `Legacy`).
    pub prm_url: Option<String>,
    pub introspection_endpoint: String,
    /// The resource server's own confidential client (client_secret_basic), allowed to
    /// introspect every token.
    pub rs_client_id: String,
    pub rs_client_secret: String,
    pub variants: Vec<Variant>,
    /// The full ready line the server printed.
    pub ready: Value,
    /// Time from spawning node to the ready line.
    pub startup: Duration,
    process: ReadyProcess,
}

impl TestServers {
    /// Starts the servers, panicking with the server's stderr if they do not come up.
    pub fn start(options: Options) -> TestServers {
        match TestServers::try_start(options) {
            Ok(servers) => servers,
            Err(message) => panic!("test servers did not start: {message}"),
        }
    }

    pub fn try_start(options: Options) -> Result<TestServers, String> {
        let dir = fixtures_dir();
        if !dir.join("node_modules/oidc-provider/package.json").is_file() {
            return Err(format!(
                "{}/node_modules is missing: run scripts/setup (or `npm ci` in tests/fixtures)",
                dir.display()
            ));
        }
        let mut command = Command::new(node_binary());
        command.arg(dir.join("servers.mjs")).args(options.args()).current_dir(&dir);
        let process = ReadyProcess::spawn(command, "node servers.mjs", START_TIMEOUT)?;
        let [issuer, as_origin, rs_origin, mcp_url, introspection_endpoint, rs_client_id, rs_client_secret] = [
            "issuer",
            "as_origin",
            "rs_origin",
            "mcp_url",
            "introspection_endpoint",
            "rs_client_id",
            "rs_client_secret",
        ]
        .map(|name| process.field(name));
        Ok(TestServers {
            issuer: issuer?,
            as_origin: as_origin?,
            rs_origin: rs_origin?,
            mcp_url: mcp_url?,
            prm_url: process.ready["prm_url"].as_str().map(str::to_string),
            introspection_endpoint: introspection_endpoint?,
            rs_client_id: rs_client_id?,
            rs_client_secret: rs_client_secret?,
            variants: options.variants.clone(),
            ready: process.ready.clone(),
            startup: process.startup,
            process,
        })
    }

    pub fn has(&self, variant: Variant) -> bool {
        self.variants.contains(&variant)
    }

    /// Where RFC 8414 says the AS metadata is (`/.well-known/oauth-authorization-server`
    /// inserted before the issuer's path).
    pub fn oauth_metadata_url(&self) -> String {
        let path = &self.issuer[self.as_origin.len()..];
        format!("{}/.well-known/oauth-authorization-server{path}", self.as_origin)
    }

    /// Where OpenID Connect Discovery says the metadata is (appended to the issuer).
    pub fn openid_configuration_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// The AS metadata as the OpenID document (served in every variant).
    pub fn metadata(&self) -> Value {
        let response = get(&self.openid_configuration_url()).expect("GET openid-configuration");
        assert_eq!(response.status, 200, "openid-configuration: {response}");
        response.json()
    }

    /// RFC 7662 introspection as the resource server: is the token (access or refresh) active?
    pub fn introspect(&self, token: &str) -> bool {
        self.introspection(token)["active"] == json!(true)
    }

    /// The whole introspection response (`active`, `scope`, `aud`, `client_id`, `sub`, ...).
    pub fn introspection(&self, token: &str) -> Value {
        let response = Request::post(&self.introspection_endpoint)
            .basic_auth(&self.rs_client_id, &self.rs_client_secret)
            .form(&[("token", token)])
            .send()
            .expect("POST introspection");
        assert_eq!(response.status, 200, "introspection: {response}");
        response.json()
    }

    /// Sends one JSON-RPC request (`initialize`, `tools/list`, `tools/call`, `ping`) to the MCP
    /// endpoint, with the token as Bearer when given. `tools/call` needs `mcp:write`, the rest
    /// `mcp:read`.
    pub fn call_mcp(&self, token: Option<&str>, method: &str) -> Response {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {}});
        let mut request =
            Request::post(&self.mcp_url).json(&body).header("Accept", "application/json, text/event-stream");
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        request.send().expect("POST to the MCP endpoint")
    }

    /// Registers a client by RFC 7591 dynamic registration and returns the server's answer
    /// (with `client_id`, `client_secret` if confidential, `registration_access_token`,
    /// `registration_client_uri`). Panics unless the server answers 201.
    pub fn register_client(&self, metadata: &Value) -> Value {
        let endpoint = self.metadata()["registration_endpoint"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| panic!("this server has no registration endpoint (variants {:?})", self.variants));
        let response = Request::post(&endpoint).json(metadata).send().expect("POST registration");
        assert_eq!(response.status, 201, "registration refused: {response}");
        response.json()
    }

    /// A public native client as an MCP CLI registers it: loopback redirect on any port (RFC 8252
    /// §7.3), authorization code + refresh token, no client authentication.
    pub fn register_public_client(&self, redirect_uri: &str) -> Value {
        self.register_client(&json!({
            "application_type": "native",
            "client_name": "mcp-testkit public client",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }))
    }

    /// What node wrote on stderr so far (oidc-provider warnings, request failures).
    pub fn server_log(&self) -> String {
        self.process.log()
    }

    /// Path of the `$BROWSER` stand-in.
    pub fn browser_command(&self) -> PathBuf {
        browser_command()
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }
}

/// The outcome of [`TestServers::authorize`]: a registered public client and its first tokens.
#[derive(Clone, Debug)]
pub struct Tokens {
    /// The registration response (`client_id`, `registration_access_token`, ...).
    pub client: Value,
    pub redirect_uri: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// The whole token response.
    pub response: Value,
}

impl TestServers {
    /// Gets real tokens without the code under test: registers a public native client, runs an
    /// authorization-code + PKCE (S256) flow for `scope` and the MCP resource through the browser
    /// stand-in, and redeems the code. For tests that need a token or refresh token to start
    /// from (refresh, revocation, calling the MCP server).
    pub fn authorize(&self, scope: &str) -> Tokens {
        let catcher = CallbackCatcher::bind();
        let redirect_uri = catcher.redirect_uri();
        // Registered without a port: RFC 8252 §7.3 lets the native client use any port.
        let client = self.register_public_client("http://127.0.0.1/callback");
        let client_id = client["client_id"].as_str().expect("client_id").to_string();
        let (verifier, challenge) = pkce_pair();
        let state = random_token();
        let metadata = self.metadata();
        let authorization_endpoint = metadata["authorization_endpoint"].as_str().expect("authorization_endpoint");
        let url = format!(
            "{authorization_endpoint}?{}",
            encode_form(&[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", &redirect_uri),
                ("scope", scope),
                ("state", &state),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("resource", &self.mcp_url),
            ])
        );
        let callback = run_browser(&url, &[], || catcher.wait(Duration::from_secs(30)))
            .unwrap_or_else(|| panic!("no callback reached {redirect_uri}; server log:\n{}", self.server_log()));
        let params = query_params(&callback);
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        assert_eq!(param("state").as_deref(), Some(state.as_str()), "state in {callback}");
        let code = param("code").unwrap_or_else(|| panic!("no code in the callback: {callback}"));
        let token_endpoint = metadata["token_endpoint"].as_str().expect("token_endpoint");
        let response = Request::post(token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &verifier),
                ("redirect_uri", &redirect_uri),
                ("client_id", &client_id),
                ("resource", &self.mcp_url),
            ])
            .send()
            .expect("POST token");
        assert_eq!(response.status, 200, "code exchange: {response}");
        let json = response.json();
        Tokens {
            client,
            redirect_uri,
            access_token: json["access_token"].as_str().expect("access_token").to_string(),
            refresh_token: json["refresh_token"].as_str().map(str::to_string),
            response: json,
        }
    }
}

/// Runs the browser stand-in on `url` with extra environment while `wait` runs (typically a
/// [`CallbackCatcher::wait`]); the browser is killed if it outlives `wait` by 25 s.
pub fn run_browser<T>(url: &str, env: &[(&str, &str)], wait: impl FnOnce() -> T) -> T {
    let mut command = Command::new(browser_command());
    command.arg(url).stdin(Stdio::null()).stdout(Stdio::null());
    for var in PROXY_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let mut browser = command.spawn().expect("start the browser stand-in");
    let result = wait();
    let (_, late) = crate::bins::wait_until(&mut browser, Instant::now() + Duration::from_secs(25));
    assert!(!late, "the browser stand-in did not exit");
    result
}

/// A one-shot loopback redirect-URI listener standing in for a tool's callback server.
pub struct CallbackCatcher {
    listener: std::net::TcpListener,
}

impl CallbackCatcher {
    pub fn bind() -> CallbackCatcher {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking listener");
        CallbackCatcher { listener }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// `http://127.0.0.1:<port>/callback`
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port())
    }

    /// Waits for one GET, answers 200 and returns the full URL requested (query included).
    pub fn wait(&self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(target) = answer_callback(stream) {
                        return Some(format!("http://127.0.0.1:{}{target}", self.port()));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => return None,
            }
        }
        None
    }
}

fn answer_callback(mut stream: TcpStream) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    // Headers are read (bounded) so the client does not see a reset before our answer.
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
    }
    let target = request_line.split(' ').nth(1)?.to_string();
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
    );
    Some(target)
}

/// 32 random bytes, base64url: a PKCE verifier or a state value.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("system randomness");
    base64url(&bytes)
}

/// A fresh PKCE code verifier and its S256 challenge (RFC 7636 §4.1-4.2).
pub fn pkce_pair() -> (String, String) {
    let verifier = random_token();
    let challenge = base64url(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
    (verifier, challenge)
}

/// Unpadded base64url (RFC 4648 §5), as PKCE and JWTs use it.
pub fn base64url(data: &[u8]) -> String {
    base64(data).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

/// A test's servers: its own, or, for the well-behaved default pair, one pair shared by every
/// test of the test binary. Sharing is safe because each test has its own sandbox (its own
/// store and its own client registrations, so grants and refresh tokens never meet), and it
/// saves a node start (with its key generation) per test on a 2-core machine.
pub enum Fixture {
    Own(Box<TestServers>),
    Shared(&'static TestServers),
}

impl Fixture {
    /// The shared pair for `Options::default()`, else servers of the test's own.
    pub fn for_options(options: Options) -> Fixture {
        if options == Options::default() {
            static SHARED: std::sync::OnceLock<TestServers> = std::sync::OnceLock::new();
            Fixture::Shared(SHARED.get_or_init(|| TestServers::start(Options::default())))
        } else {
            Fixture::Own(Box::new(TestServers::start(options)))
        }
    }
}

impl std::ops::Deref for Fixture {
    type Target = TestServers;
    fn deref(&self) -> &TestServers {
        match self {
            Fixture::Own(servers) => servers,
            Fixture::Shared(servers) => servers,
        }
    }
}

impl fmt::Debug for TestServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServers")
            .field("issuer", &self.issuer)
            .field("mcp_url", &self.mcp_url)
            .field("variants", &self.variants)
            .finish_non_exhaustive()
    }
}

/// Proxy variables a child process must not see: every test talks to loopback only.
pub const PROXY_VARS: [&str; 8] =
    ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"];

/// `tests/fixtures` of this checkout.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures")
}

/// The workspace root (two levels above this crate's manifest).
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(|crates| crates.parent()).map(PathBuf::from).unwrap_or(manifest)
}

/// The executable `$BROWSER` stand-in (`tests/fixtures/browser URL`). Its behaviour is switched
/// by the `MCP_TEST_BROWSER_*` variables documented in tests/fixtures/README.md.
pub fn browser_command() -> PathBuf {
    fixtures_dir().join("browser")
}

/// `node`, or `$MCP_TESTKIT_NODE` when a test machine keeps it elsewhere.
pub fn node_binary() -> String {
    std::env::var("MCP_TESTKIT_NODE").unwrap_or_else(|_| "node".to_string())
}

// -------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client for loopback test traffic (one request per connection).

const IO_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// One request, built up and then `send()`.
#[derive(Clone, Debug)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    pub fn new(method: &str, url: &str) -> Request {
        Request { method: method.to_string(), url: url.to_string(), headers: Vec::new(), body: Vec::new() }
    }

    pub fn get(url: &str) -> Request {
        Request::new("GET", url)
    }

    pub fn post(url: &str) -> Request {
        Request::new("POST", url)
    }

    pub fn delete(url: &str) -> Request {
        Request::new("DELETE", url)
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn bearer(self, token: &str) -> Request {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// RFC 6749 §2.3.1 Basic authentication (each part form-encoded first).
    pub fn basic_auth(self, user: &str, password: &str) -> Request {
        let credentials = format!("{}:{}", form_encode(user), form_encode(password));
        self.header("Authorization", &format!("Basic {}", base64(credentials.as_bytes())))
    }

    pub fn json(mut self, body: &Value) -> Request {
        self.body = body.to_string().into_bytes();
        self.header("Content-Type", "application/json")
    }

    pub fn form(mut self, fields: &[(&str, &str)]) -> Request {
        self.body = encode_form(fields).into_bytes();
        self.header("Content-Type", "application/x-www-form-urlencoded")
    }

    pub fn send(&self) -> io::Result<Response> {
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {}", self.url));
        let rest = self.url.strip_prefix("http://").ok_or_else(|| invalid("only http:// URLs"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = path.split('#').next().unwrap_or("/");
        // `localhost` may name ::1 and 127.0.0.1; a server listening on one of them is found.
        let mut refused = invalid("not a loopback address");
        let stream = authority.to_socket_addrs()?.filter(|a| a.ip().is_loopback()).find_map(|address| {
            TcpStream::connect_timeout(&address, Duration::from_secs(5)).map_err(|e| refused = e).ok()
        });
        let mut stream = stream.ok_or(refused)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        let mut head = format!("{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n", self.method);
        if !self.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept")) {
            head.push_str("Accept: application/json\r\n");
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        // One write: a server that answers from the headers alone (a 401 before reading the body)
        // and closes would otherwise meet the body on a closed socket, and its RST can destroy
        // the answer before it is read (seen with uvicorn under load).
        let mut message = head.into_bytes();
        message.extend_from_slice(&self.body);
        stream.write_all(&message)?;
        let mut raw = Vec::new();
        stream.take(MAX_RESPONSE as u64 + 1).read_to_end(&mut raw)?;
        if raw.len() > MAX_RESPONSE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "response too large"));
        }
        Response::parse(&raw)
    }
}

/// An HTTP response: status, headers (names lowercased, in order), body as text.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> io::Result<Response> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("no end of headers"))?;
        let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("headers not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status =
            status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("bad status line"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        let chunked =
            headers.iter().any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
        if chunked {
            body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
        }
        Ok(Response { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
    }

    /// First header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    pub fn www_authenticate(&self) -> Option<&str> {
        self.header("www-authenticate")
    }

    /// The body as JSON; panics (a test failure) when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("response body is not JSON ({e}): {self}"))
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.body)
    }
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// `GET url`.
pub fn get(url: &str) -> io::Result<Response> {
    Request::get(url).send()
}

/// application/x-www-form-urlencoded encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

pub fn encode_form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v))).collect::<Vec<_>>().join("&")
}

/// Decodes one form/query value (`+` is a space).
pub fn form_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query parameters of a URL, decoded.
pub fn query_params(url: &str) -> Vec<(String, String)> {
    let query = url.split('#').next().and_then(|u| u.split_once('?')).map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn form_encoding_round_trips() {
        let value = "a b+c/d:é%&=";
        let encoded = form_encode(value);
        assert_eq!(encoded, "a+b%2Bc%2Fd%3A%C3%A9%25%26%3D");
        assert_eq!(form_decode(&encoded), value);
        assert_eq!(form_decode("100%"), "100%");
    }

    #[test]
    fn query_params_are_decoded() {
        let params = query_params("http://127.0.0.1:1/cb?code=a%2Bb&state=x+y&iss=http%3A%2F%2Fh#frag");
        assert_eq!(
            params,
            vec![
                ("code".to_string(), "a+b".to_string()),
                ("state".to_string(), "x y".to_string()),
                ("iss".to_string(), "http://h".to_string())
            ]
        );
    }

    #[test]
    fn responses_parse_with_and_without_chunking() {
        let plain = Response::parse(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer x=\"y\"\r\nContent-Length: 2\r\n\r\n{}",
        )
        .expect("parse");
        assert_eq!(plain.status, 401);
        assert_eq!(plain.www_authenticate(), Some("Bearer x=\"y\""));
        let chunked = Response::parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n4\r\n:12}\r\n0\r\n\r\n",
        )
        .expect("parse");
        assert_eq!(chunked.json(), json!({"a": 12}));
        assert!(Response::parse(b"garbage").is_err());
    }

    #[test]
    fn options_become_server_flags() {
        let args = Options::default().variant(Variant::Tenant).variant(Variant::OidcOnly).access_ttl(2).args();
        assert_eq!(args, ["--variant", "tenant", "--variant", "oidc-only", "--access-ttl", "2", "--delay-ms", "0"]);
    }
}
