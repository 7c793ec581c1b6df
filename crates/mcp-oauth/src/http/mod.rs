//! The one HTTP client: timeouts, a response-size cap, no automatic redirects, TLS on
//! *ring* with the system roots plus `SSL_CERT_FILE`, proxies from the environment, and
//! the `--trace` output.
//!
//! Redirects are never followed here: a 307 on a token request would resend a body holding
//! a code verifier or a client secret to wherever the server points. Discovery decides
//! for itself what a redirect means.

use crate::error::{Error, Result};
use crate::redact;
use serde_json::Value;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use url::Url;

mod message;
use message::secret_members;
pub use message::{Body, Request, Response};

type Built = OnceLock<std::result::Result<reqwest::blocking::Client, String>>;

/// Bodies larger than this are refused: metadata and token responses are a few KiB, so a
/// multi-megabyte answer is a broken or hostile server.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("mcp-oauth/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub max_body: usize,
    /// Report every exchange as an [`Event::Exchange`](crate::events::Event::Exchange).
    pub trace: bool,
    /// Show secrets in the trace (the user asked for it explicitly).
    pub reveal: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions { timeout: DEFAULT_TIMEOUT, max_body: DEFAULT_MAX_BODY, trace: false, reveal: false }
    }
}

/// One process, one client per kind, each keeping its connections alive: every request to
/// an origin after the first skips the TCP and TLS handshakes.
pub struct Http {
    options: HttpOptions,
    /// For `https` URLs (and anything that may go through a TLS proxy): the system roots.
    tls: Built,
    /// For plain `http` URLs (loopback servers): no roots, since loading them costs a
    /// millisecond or more per process and an `http` request never reads them.
    plain: Built,
}

impl Http {
    pub fn new(options: HttpOptions) -> Self {
        Http { options, tls: OnceLock::new(), plain: OnceLock::new() }
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// Built on first use: a cached `mcp-token` must not pay for either.
    fn client(&self, url: &Url) -> Result<&reqwest::blocking::Client> {
        let plain = url.scheme() == "http" && !tls_proxy_configured();
        let built = (if plain { &self.plain } else { &self.tls }).get_or_init(|| {
            // Another thread or caller may have installed it already; either way ring is in place.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let builder = reqwest::blocking::Client::builder()
                .user_agent(USER_AGENT)
                .redirect(reqwest::redirect::Policy::none())
                // RFC 6761 §6.3: localhost is loopback, whatever a resolver or hosts file says
                // (plain http is allowed to it on that understanding).
                .resolve_to_addrs("localhost", &LOCALHOST)
                .timeout(self.options.timeout)
                .connect_timeout(self.options.timeout.min(Duration::from_secs(10)));
            // An empty root store: an https URL never reaches this client.
            let builder =
                if plain { builder.tls_certs_only(std::iter::empty::<reqwest::Certificate>()) } else { builder };
            builder.build().map_err(|e| format!("cannot set up the HTTP client: {}", error_chain(&e)))
        });
        built.as_ref().map_err(|e| Error::Internal(e.clone()))
    }

    /// Whether the client with the system roots was built (for tests of its laziness).
    pub fn tls_roots_loaded(&self) -> bool {
        self.tls.get().is_some()
    }

    /// Opens a connection to `url`'s origin in the background, so that a request known to
    /// come soon (the code exchange, while the user is in the browser) does not wait for the
    /// TCP and TLS handshakes. It is a HEAD request to `url` (safe by definition, answer
    /// ignored), since that is the only way to have the client's pool hold a connection;
    /// when the pool already has one to that origin it just keeps it in use. Nothing waits
    /// for it: a request sent before it is answered opens a connection of its own.
    pub fn warm_up(&self, url: &Url) {
        let Ok(client) = self.client(url).cloned() else {
            return;
        };
        // Its step is the one that asked for it, not whatever runs when the answer comes.
        let traced = self.options.trace.then(|| (crate::trace::Inherited::here(), self.options.reveal));
        let url = url.clone();
        std::thread::spawn(move || {
            let request = Request::head(url);
            let traced = traced.map(|(step, reveal)| {
                let entered = step.enter();
                (crate::trace::sending(&request, reveal, Some("connection warm-up")), entered)
            });
            let answer = client.head(request.url.clone()).send();
            if let Some((pending, _entered)) = traced {
                let answer = answer
                    .map(|r| Response {
                        url: request.url.clone(),
                        status: r.status().as_u16(),
                        headers: header_pairs(r.headers()),
                        body: Vec::new(),
                        quotable: true,
                    })
                    .map_err(|e| Error::network(request.url.as_str(), innermost(&e)));
                pending.answered(&request, answer.as_ref());
            }
        });
    }

    pub fn send(&self, req: Request) -> Result<Response> {
        let client = self.client(&req.url)?;
        for secret in req.secrets() {
            redact::remember(&secret);
        }
        let traced = self.options.trace.then(|| crate::trace::sending(&req, self.options.reveal, None));
        let result = self.exchange(client, &req);
        if let Some(pending) = traced {
            pending.answered(&req, result.as_ref());
        }
        result
    }

    fn exchange(&self, client: &reqwest::blocking::Client, req: &Request) -> Result<Response> {
        let mut builder = client.request(req.method.clone(), req.url.clone());
        for (n, v) in &req.headers {
            builder = builder.header(n.as_str(), v.as_str());
        }
        builder = match &req.body {
            Body::Empty => builder,
            Body::Json(v) => builder.json(v),
            Body::Form(f) => builder.form(f),
        };
        let started = Instant::now();
        let resp = builder.send().map_err(|e| self.transport_error(&req.url, &e))?;
        let status = resp.status().as_u16();
        let headers = header_pairs(resp.headers());
        let max = self.options.max_body;
        if let Some(len) = resp.content_length()
            && len > max as u64
        {
            return Err(Error::protocol(
                req.url.as_str(),
                format!("response body of {len} bytes is over the {max}-byte limit"),
            ));
        }
        // reqwest's blocking timeout applies per read, so a server trickling bytes would hold
        // the tool for as long as it likes; the deadline covers the whole exchange.
        let deadline = started + self.options.timeout;
        let mut body = Vec::new();
        let mut limited = resp.take(max as u64 + 1);
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = match limited.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::network(req.url.as_str(), format!("reading the response: {}", error_chain(&e))));
                }
            };
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
            if Instant::now() > deadline {
                return Err(Error::network(
                    req.url.as_str(),
                    format!("timed out after {}s reading the response", self.options.timeout.as_secs_f32()),
                ));
            }
        }
        if body.len() > max {
            return Err(Error::protocol(req.url.as_str(), format!("response body is over the {max}-byte limit")));
        }
        // What the server hands us is as secret as what we send it: a later message quoting
        // a token from this answer must not show it either.
        if let Ok(v) = serde_json::from_slice::<Value>(&body) {
            let mut received = Vec::new();
            secret_members(&v, &mut received);
            received.iter().for_each(|s| redact::remember(s));
        }
        Ok(Response { url: req.url.clone(), status, headers, body, quotable: !req.secret_answer })
    }

    fn transport_error(&self, url: &Url, e: &reqwest::Error) -> Error {
        let what = if e.is_timeout() {
            format!("timed out after {}s", self.options.timeout.as_secs_f32())
        } else if e.is_connect() {
            format!("cannot connect: {}", innermost(e))
        } else {
            error_chain(e)
        };
        Error::network(url.as_str(), what)
    }
}

/// Where `localhost` goes: IPv4 first, as most development servers listen there. The port is
/// the URL's (reqwest ignores the one given here).
const LOCALHOST: [std::net::SocketAddr; 2] = [
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0),
    std::net::SocketAddr::new(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), 0),
];

/// An `https://` proxy for plain `http` URLs needs the roots too.
fn tls_proxy_configured() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|p| p.trim_start().to_ascii_lowercase().starts_with("https:")))
}

/// Names lowercased (as the `http` crate keeps them), repeated headers kept in order.
fn header_pairs(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

/// "a: b: c" from an error and its sources, without repeating text that a wrapper already
/// included from its source.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    error_chain_with(e, &|e| e.to_string())
}

/// [`error_chain`], each error said by `say` (the command line words remedies its way).
pub fn error_chain_with(
    e: &(dyn std::error::Error + 'static),
    say: &dyn Fn(&(dyn std::error::Error + 'static)) -> String,
) -> String {
    let mut parts: Vec<String> = vec![say(e)];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = say(s);
        if !parts.last().is_some_and(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(s) = cur.source() {
        cur = s;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn resp(ct: &str, body: &str) -> Response {
        Response {
            url: Url::parse("http://127.0.0.1/x").unwrap(),
            status: 200,
            headers: vec![("content-type".into(), ct.into())],
            body: body.as_bytes().to_vec(),
            quotable: true,
        }
    }

    #[test]
    fn step_up_parameters_beside_an_error_are_told() {
        let mut r = resp(
            "application/json",
            r#"{"error":"insufficient_user_authentication","max_age":300,"acr_values":"mfa"}"#,
        );
        r.status = 400;
        let e = r.oauth_json("token request").unwrap_err();
        assert_eq!(e.oauth_error(), Some("insufficient_user_authentication"));
        let crate::error::Error::OAuth { body, .. } = e.bare() else { panic!("{e:?}") };
        let wants = body.step_up.as_deref().expect("kept as data");
        assert_eq!((wants.acr_values.as_deref(), wants.max_age), (Some("mfa"), Some(300)));
        assert!(e.to_string().starts_with("token request (400; it wants acr_values \"mfa\", max_age 300 s)"), "{e}");
        let mut plain = resp("application/json", r#"{"error":"invalid_grant"}"#);
        plain.status = 400;
        assert_eq!(
            plain.oauth_json("token request").unwrap_err().to_string(),
            "token request (400): the server said invalid_grant"
        );
    }

    #[test]
    fn html_instead_of_json_names_what_came() {
        let e = resp("text/html; charset=utf-8", "<html><body>login</body></html>").json_object().unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("text/html"), "{msg}");
        assert!(msg.contains("<html>"), "{msg}");
        assert_eq!(e.exit_code().code(), 3);
    }

    /// A keep-alive HTTP/1.1 server on loopback that notes, for every request, which
    /// connection (by accept order) carried it and its method. Each connection thread ends
    /// when the client closes or after a 5 s read timeout.
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<(usize, String)>>>;

    fn keep_alive_server() -> (Url, Seen) {
        use std::io::BufRead;
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/token", listener.local_addr().unwrap())).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for (conn, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                    let mut writer = stream;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let method = line.split(' ').next().unwrap_or("").to_string();
                        let mut length = 0;
                        loop {
                            let mut h = String::new();
                            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                                return;
                            }
                            if h == "\r\n" {
                                break;
                            }
                            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                                length = v.trim().parse().unwrap();
                            }
                        }
                        let mut body = vec![0; length];
                        reader.read_exact(&mut body).unwrap();
                        log.lock().unwrap().push((conn, method));
                        let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n";
                        let _ = writer.write_all(reply.as_bytes());
                        if !line.starts_with("HEAD ") {
                            let _ = writer.write_all(b"{}");
                        }
                    }
                });
            }
        });
        (url, seen)
    }

    #[test]
    fn requests_to_one_origin_share_one_connection_and_plain_http_loads_no_roots() {
        let (url, seen) = keep_alive_server();
        let http = Http::new(HttpOptions::default());
        for _ in 0..3 {
            assert_eq!(http.send(Request::post_form(url.clone(), vec![("a".into(), "b".into())])).unwrap().status, 200);
        }
        let connections: Vec<usize> = seen.lock().unwrap().iter().map(|(c, _)| *c).collect();
        assert_eq!(connections, vec![0, 0, 0], "one keep-alive connection for all three requests");
        assert!(!http.tls_roots_loaded(), "an http URL must not load the system roots");
    }

    #[test]
    fn an_https_url_loads_the_roots() {
        let http = Http::new(HttpOptions { timeout: Duration::from_secs(2), ..HttpOptions::default() });
        // Port 9 on loopback: nothing listens, so no handshake happens, but the client is built.
        let _ = http.send(Request::get(Url::parse("https://127.0.0.1:9/").unwrap()));
        assert!(http.tls_roots_loaded());
    }

    #[test]
    fn warm_up_opens_the_connection_the_next_request_uses() {
        let (url, seen) = keep_alive_server();
        let http = Http::new(HttpOptions::default());
        http.warm_up(&url);
        let started = Instant::now();
        while seen.lock().unwrap().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(5), "the warm-up request never arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
        // The warm-up's answer may still be on its way back to the pool.
        std::thread::sleep(Duration::from_millis(50));
        http.send(Request::post_form(url, vec![("grant_type".into(), "x".into())])).unwrap();
        assert_eq!(*seen.lock().unwrap(), vec![(0, "HEAD".to_string()), (0, "POST".to_string())]);
    }

    #[test]
    fn debug_of_a_request_or_response_shows_no_secret() {
        let url = Url::parse("http://127.0.0.1/token?code=CODE-1").unwrap();
        let form = vec![("grant_type".into(), "refresh_token".into()), ("refresh_token".into(), "RT-1".into())];
        let req = Request::post_form(url.clone(), form).header("Authorization", "Basic CRED-1");
        let json = Request::post_json(url, serde_json::json!({"client_secret": "CS-1", "client_name": "n"}));
        let mut answer = resp("application/json", r#"{"access_token":"AT-1"}"#);
        answer.headers.push(("set-cookie".into(), "COOKIE-1".into()));
        let shown = format!("{req:?} {json:?} {answer:?}");
        for secret in ["CODE-1", "RT-1", "CRED-1", "CS-1", "AT-1", "COOKIE-1"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("refresh_token") && shown.contains("Basic") && shown.contains("client_name"), "{shown}");
    }

    #[test]
    fn media_type_ignores_parameters() {
        assert!(resp("Application/JSON; charset=utf-8", "{}").is_json_type());
        assert!(resp("application/jwk-set+json", "{}").is_json_type());
        assert!(!resp("text/plain", "{}").is_json_type());
    }
}
