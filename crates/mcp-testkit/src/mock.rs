//! A programmable HTTP/1.1 server on 127.0.0.1, in-process, for the hostile cases the real
//! test servers do not produce: 5xx and 429, redirects to other origins, HTML where JSON
//! belongs, huge or never-ending bodies, slow answers, odd `WWW-Authenticate` headers.
//!
//! ```no_run
//! use mcp_testkit::mock::{Mock, Reply};
//! let mock = Mock::start();
//! mock.on("POST", "/mcp", Reply::json(401, &serde_json::json!({}))
//!     .header("WWW-Authenticate", &format!(r#"Bearer resource_metadata="{}""#, mock.url("/prm"))));
//! mock.on("GET", "/prm", Reply::status(503));
//! // ... run the tool against mock.url("/mcp") ...
//! assert_eq!(mock.hits("/prm"), 1);
//! ```
//!
//! One request per connection (`Connection: close`). Every connection thread ends by
//! itself: reads time out, endless bodies stop when the client goes away or the mock is
//! dropped, and dropping the mock stops the accept loop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a connection may sit idle while the mock reads a request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Request heads and bodies beyond this are cut off (tests send small requests).
const MAX_REQUEST: usize = 1024 * 1024;
/// How often an endless body gets another chunk.
const TRICKLE: Duration = Duration::from_millis(50);

/// What the response body is.
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    /// This many bytes of filler, sent with an honest `Content-Length` when `declared`,
    /// else until the connection closes (the client cannot refuse it up front).
    Huge {
        len: usize,
        declared: bool,
    },
    /// A body that never ends: a chunk every 50 ms until the client hangs up.
    Endless,
}

/// One programmed answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Waited before the status line is sent.
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Body::Bytes(Vec::new()), delay: Duration::ZERO }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::text(status, "application/json", &value.to_string())
    }

    pub fn text(status: u16, content_type: &str, body: &str) -> Reply {
        Reply { body: Body::Bytes(body.as_bytes().to_vec()), ..Reply::status(status) }
            .header("Content-Type", content_type)
    }

    pub fn html(status: u16, body: &str) -> Reply {
        Reply::text(status, "text/html; charset=utf-8", body)
    }

    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("Location", location)
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    pub fn huge(mut self, len: usize, declared: bool) -> Reply {
        self.body = Body::Huge { len, declared };
        self
    }

    pub fn endless(mut self) -> Reply {
        self.body = Body::Endless;
        self
    }
}

/// A request as the mock received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path with the query, as on the request line.
    pub target: String,
    /// Names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request head was complete.
    pub at: Instant,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

struct Route {
    method: String,
    path: String,
    reply: Reply,
}

#[derive(Default)]
struct Shared {
    routes: Mutex<Vec<Route>>,
    requests: Mutex<Vec<Recorded>>,
    stop: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the mock's state from the rest of the test.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct Mock {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Mock {
    /// Listens on an OS-chosen port of 127.0.0.1. Unprogrammed paths answer 404 with a
    /// JSON error body.
    pub fn start() -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the mock server on 127.0.0.1");
        let addr = listener.local_addr().expect("mock server address");
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    let shared = Arc::clone(&accepting);
                    std::thread::spawn(move || serve(stream, &shared));
                }
            }
        });
        Mock { addr, shared, accept: Some(accept) }
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `path` on this mock, e.g. `mock.url("/mcp")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Answers `method` (`"*"` for any) on `path` with `reply`. A path with `?` must match
    /// the query too; otherwise the query is ignored. Programming the same method and path
    /// again replaces the earlier reply.
    pub fn on(&self, method: &str, path: &str, reply: Reply) -> &Mock {
        let mut routes = lock(&self.shared.routes);
        routes.retain(|r| !(r.method == method && r.path == path));
        routes.push(Route { method: method.to_string(), path: path.to_string(), reply });
        self
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests hit `path` (query ignored).
    pub fn hits(&self, path: &str) -> usize {
        lock(&self.shared.requests).iter().filter(|r| r.path() == path).count()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let Some(request) = read_request(BufReader::new(read_half)) else {
        return;
    };
    let reply = {
        let routes = lock(&shared.routes);
        routes
            .iter()
            .rev()
            .find(|r| (r.method == "*" || r.method == request.method) && route_matches(&r.path, &request.target))
            .map(|r| r.reply.clone())
    };
    lock(&shared.requests).push(request);
    let reply = reply.unwrap_or_else(|| Reply::json(404, &serde_json::json!({ "error": "not_found" })));
    let _ = respond(stream, &reply, &shared.stop);
}

fn route_matches(route: &str, target: &str) -> bool {
    if route.contains('?') { route == target } else { target.split('?').next() == Some(route) }
}

fn read_request(mut reader: BufReader<TcpStream>) -> Option<Recorded> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    let mut head_bytes = line.len();
    loop {
        let mut h = String::new();
        let n = reader.read_line(&mut h).ok()?;
        head_bytes += n;
        if n == 0 || head_bytes > MAX_REQUEST {
            return None;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let at = Instant::now();
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_REQUEST);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded { method, target, headers, body, at })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Mock",
    }
}

/// Sleeps in small steps so a dropped mock does not keep threads around for long delays.
fn pause(total: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + total;
    while Instant::now() < end {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(20)));
    }
    true
}

fn respond(mut stream: TcpStream, reply: &Reply, stop: &AtomicBool) -> std::io::Result<()> {
    if !pause(reply.delay, stop) {
        return Ok(());
    }
    let mut head = format!("HTTP/1.1 {} {}\r\nConnection: close\r\n", reply.status, reason(reply.status));
    for (n, v) in &reply.headers {
        head += &format!("{n}: {v}\r\n");
    }
    match &reply.body {
        Body::Bytes(b) => head += &format!("Content-Length: {}\r\n", b.len()),
        Body::Huge { len, declared: true } => head += &format!("Content-Length: {len}\r\n"),
        Body::Huge { declared: false, .. } | Body::Endless => {}
    }
    head += "\r\n";
    stream.write_all(head.as_bytes())?;
    match &reply.body {
        Body::Bytes(b) => stream.write_all(b)?,
        Body::Huge { len, .. } => {
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = *len;
            while left > 0 && !stop.load(Ordering::SeqCst) {
                let n = left.min(chunk.len());
                stream.write_all(&chunk[..n])?;
                left -= n;
            }
        }
        Body::Endless => {
            while pause(TRICKLE, stop) {
                stream.write_all(b"data: still here\n\n")?;
                stream.flush()?;
            }
        }
    }
    stream.flush()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A raw HTTP/1.1 exchange, so the mock is tested without any client library.
    fn exchange(mock: &Mock, request: &str) -> String {
        let mut s = TcpStream::connect(mock.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn programmed_routes_unknown_paths_and_the_request_log() {
        let mock = Mock::start();
        mock.on("GET", "/meta", Reply::json(200, &serde_json::json!({"a": 1})).header("X-Test", "yes"));
        mock.on("*", "/gone", Reply::redirect(302, "http://elsewhere.invalid/"));
        let ok = exchange(&mock, "GET /meta?q=1 HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("X-Test: yes") && ok.ends_with(r#"{"a":1}"#), "{ok}");
        let redirect = exchange(&mock, "POST /gone HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
        assert!(redirect.contains("302") && redirect.contains("Location: http://elsewhere.invalid/"), "{redirect}");
        assert!(exchange(&mock, "GET /nothing HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
        let log = mock.requests();
        assert_eq!(log.len(), 3);
        assert_eq!(log[0].path(), "/meta");
        assert_eq!(log[0].header("ACCEPT"), Some("application/json"));
        assert_eq!(log[1].body, b"{}");
        assert_eq!(mock.hits("/meta"), 1);
    }

    #[test]
    fn reprogramming_replaces_and_delays_are_kept() {
        let mock = Mock::start();
        mock.on("GET", "/x", Reply::status(500));
        mock.on("GET", "/x", Reply::status(204).delay(Duration::from_millis(150)));
        let t = Instant::now();
        assert!(exchange(&mock, "GET /x HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 204"));
        assert!(t.elapsed() >= Duration::from_millis(150));
    }

    #[test]
    fn endless_bodies_stop_when_the_client_leaves() {
        let mock = Mock::start();
        mock.on("GET", "/stream", Reply::text(200, "text/event-stream", "").endless());
        let mut s = TcpStream::connect(mock.addr).unwrap();
        s.write_all(b"GET /stream HTTP/1.1\r\n\r\n").unwrap();
        let mut buf = [0u8; 256];
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        drop(s);
        // Dropping the mock must not hang on the streaming thread.
        let t = Instant::now();
        drop(mock);
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn huge_bodies_have_the_promised_length() {
        let mock = Mock::start();
        mock.on("GET", "/big", Reply::status(200).huge(300_000, true));
        let out = exchange(&mock, "GET /big HTTP/1.1\r\n\r\n");
        assert!(out.contains("Content-Length: 300000"));
        assert_eq!(out.bytes().filter(|b| *b == b'x').count(), 300_000);
    }
}
