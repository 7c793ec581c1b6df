//! The one-shot loopback server that receives the authorization response (RFC 8252 §7.3).
//!
//! It listens on loopback addresses only, answers everything that is not the callback
//! (favicon, probes, other paths, other methods, foreign `Host` headers, malformed
//! queries, a `state` that is not this authorization's, oversized requests) with an error
//! status and keeps waiting, hands the first real callback to the caller's handler, shows
//! the browser a short page saying how that went, and stops. A second callback finds
//! nobody listening. The wait is bounded by a deadline.
//!
//! Any web page can make the browser send a request here, and any local process can
//! connect: none of them can end the wait (only the right `state` does), make it use more
//! than a bounded amount of memory ([`request::MAX_HEAD`] per connection, at most
//! [`MAX_READERS`] at once), or hold it past its deadline.

pub mod request;

use crate::error::{Error, Result};
use request::{Head, Refused};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use url::Url;

/// Connections read at once; more are closed unread (each reader is a thread).
pub const MAX_READERS: usize = 64;
/// How often the listeners are polled for new connections while waiting.
const POLL: Duration = Duration::from_millis(20);
/// How often `tick` is called while waiting.
const TICK: Duration = Duration::from_millis(500);

/// What came back to the redirect URI (RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207 `iss`).
/// Values are percent-decoded; nothing is validated yet.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
}

impl std::fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| crate::redact::REDACTED))
            .field("state", &self.state)
            .field("iss", &self.iss)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish()
    }
}

impl CallbackParams {
    /// The parameters that came, by name (the code too: a trace redacts it).
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        [
            ("code", &self.code),
            ("state", &self.state),
            ("iss", &self.iss),
            ("error", &self.error),
            ("error_description", &self.error_description),
            ("error_uri", &self.error_uri),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }

    /// Parses a query string. RFC 6749 §3.1: a parameter sent twice makes the response
    /// invalid (and is how parameter-injection attacks look), so that is refused.
    pub fn from_query(query: &str) -> std::result::Result<Self, String> {
        let mut p = CallbackParams::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match k.as_ref() {
                "code" => &mut p.code,
                "state" => &mut p.state,
                "iss" => &mut p.iss,
                "error" => &mut p.error,
                "error_description" => &mut p.error_description,
                "error_uri" => &mut p.error_uri,
                _ => continue,
            };
            if slot.is_some() {
                return Err(format!("the parameter {k:?} appears more than once"));
            }
            *slot = Some(v.into_owned());
        }
        if p.code.is_none() && p.error.is_none() {
            return Err("neither code nor error: this is not an authorization response".into());
        }
        Ok(p)
    }

    /// Parses a full callback URL, as pasted by the user in the headless hand-off.
    pub fn from_url(url: &Url) -> std::result::Result<Self, String> {
        Self::from_query(url.query().unwrap_or(""))
    }
}

/// How one incoming request is handled.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    Callback(CallbackParams),
    Reject { status: u16, reason: String },
}

/// Decides what a request is, from its method, request target and `Host` header alone.
pub fn route(method: &str, target: &str, host: Option<&str>, expected_path: &str) -> Route {
    let reject = |status: u16, reason: &str| Route::Reject { status, reason: reason.to_string() };
    // Origin-form only: an absolute or scheme-relative target is not what a browser sends
    // to a server it reaches directly.
    if !target.starts_with('/') || target.starts_with("//") {
        return reject(400, "malformed request target");
    }
    // A page on another site whose name was rebound to 127.0.0.1 sends its own name.
    if let Some(h) = host
        && !host_is_loopback(h)
    {
        return reject(403, "not a loopback host");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != expected_path {
        return reject(404, "not found");
    }
    if method != "GET" {
        return reject(405, "only GET is served here");
    }
    match CallbackParams::from_query(query) {
        Ok(p) => Route::Callback(p),
        Err(reason) => Route::Reject { status: 400, reason },
    }
}

fn host_is_loopback(host: &str) -> bool {
    let Ok(u) = Url::parse(&format!("http://{host}/")) else {
        return false;
    };
    crate::url_policy::is_loopback(&u)
}

pub struct CallbackServer {
    listeners: Vec<TcpListener>,
    redirect_uri: Url,
}

impl CallbackServer {
    /// Serves `redirect_uri` on a listener bound by `redirect::bind_callback`.
    pub fn from_listener(listener: TcpListener, redirect_uri: Url) -> Result<Self> {
        Self::from_listeners(vec![listener], redirect_uri)
    }

    /// Serves `redirect_uri` on every listener (`localhost` is listened on at 127.0.0.1
    /// and ::1 both).
    pub fn from_listeners(listeners: Vec<TcpListener>, redirect_uri: Url) -> Result<Self> {
        for listener in &listeners {
            let local = listener.local_addr().map_err(|e| Error::io("reading the callback address", e))?;
            if !local.ip().is_loopback() {
                return Err(Error::Security(format!("the callback listener is on {local}, not on a loopback address")));
            }
            listener.set_nonblocking(true).map_err(|e| Error::io("setting up the callback listener", e))?;
        }
        Ok(CallbackServer { listeners, redirect_uri })
    }

    /// The redirect URI actually served (its port filled in when it was 0).
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Waits up to `timeout` for the callback carrying `state`, calling `tick` about twice
    /// a second while idle. That callback goes to `handle`, whose outcome the browser is
    /// shown, and which is returned. One with another `state` (a forged request, an old
    /// tab) is answered 400 and the wait goes on. Consumes the server: it stops listening
    /// when this returns.
    pub fn wait<T>(
        self,
        timeout: Duration,
        state: &str,
        tick: &mut dyn FnMut(),
        handle: impl FnOnce(&CallbackParams) -> Result<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        let path = self.redirect_uri.path().to_string();
        let (tx, rx) = mpsc::channel::<(TcpStream, Head)>();
        let readers = Arc::new(AtomicUsize::new(0));
        let mut next_tick = Instant::now() + TICK;
        let mut warned = false;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::AuthorizationFailed(format!(
                    "no authorization response arrived at {} within {} s",
                    self.redirect_uri,
                    timeout.as_secs()
                ))
                .with_hint(crate::remedy::Remedy::WaitLonger));
            }
            if now >= next_tick {
                tick();
                next_tick = now + TICK;
            }
            self.accept_pending(&tx, &readers)?;
            let (mut stream, head) = match rx.recv_timeout(POLL.min(deadline - now)) {
                Ok(got) => got,
                Err(_) => continue,
            };
            let route = match route(&head.method, &head.target, head.host.as_deref(), &path) {
                Route::Callback(p) if p.state.as_deref() != Some(state) => {
                    crate::trace::check("state", false, "a callback with another state was turned away (400)");
                    if !std::mem::replace(&mut warned, true) {
                        crate::events::notice!(
                            "ignored a callback whose state is not this authorization's (a forged request, or an old browser tab); still waiting"
                        );
                    }
                    Route::Reject { status: 400, reason: "this is not the authorization being waited for".into() }
                }
                other => other,
            };
            match route {
                Route::Reject { status, reason } => {
                    let _ = page(&mut stream, status, "Not the authorization response", &reason);
                }
                Route::Callback(params) => {
                    let outcome = handle(&params);
                    let _ = match &outcome {
                        Ok(_) => page(
                            &mut stream,
                            200,
                            "Authorization complete",
                            "You can close this window and return to the terminal.",
                        ),
                        Err(e) => page(
                            &mut stream,
                            400,
                            "Authorization failed",
                            &format!("{e}. Details are in the terminal."),
                        ),
                    };
                    return outcome;
                }
            }
        }
    }

    /// Takes every pending connection and reads its head on a thread of its own, so that a
    /// slow or silent client holds up nobody; whole heads come back through `tx`.
    fn accept_pending(&self, tx: &mpsc::Sender<(TcpStream, Head)>, readers: &Arc<AtomicUsize>) -> Result<()> {
        for listener in &self.listeners {
            loop {
                let stream = match listener.accept() {
                    Ok((stream, _)) => stream,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::Interrupted | std::io::ErrorKind::ConnectionAborted
                        ) =>
                    {
                        continue;
                    }
                    Err(e) => return Err(Error::io("waiting for the callback", e)),
                };
                if readers.fetch_add(1, Ordering::SeqCst) >= MAX_READERS {
                    readers.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let (tx, readers) = (tx.clone(), Arc::clone(readers));
                std::thread::spawn(move || {
                    let head = read(stream);
                    readers.fetch_sub(1, Ordering::SeqCst);
                    // The wait may be over; then the connection is simply closed.
                    if let Some(got) = head {
                        let _ = tx.send(got);
                    }
                });
            }
        }
        Ok(())
    }
}

/// One connection's head, or `None` after answering (or dropping) a bad one.
fn read(mut stream: TcpStream) -> Option<(TcpStream, Head)> {
    // Accepted sockets inherit the listener's non-blocking mode on BSDs and macOS.
    stream.set_nonblocking(false).ok()?;
    stream.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    let parsed = request::read_head(&mut stream, |s, left| s.set_read_timeout(Some(left)))
        .and_then(|bytes| request::parse_head(&bytes));
    match parsed {
        Ok(head) => Some((stream, head)),
        Err(refused) => {
            if let Some(status) = refused.status() {
                let reason = match &refused {
                    Refused::TooLarge => "request too large",
                    Refused::Malformed(why) => why,
                    Refused::Gone => "",
                };
                let _ = page(&mut stream, status, "Not the authorization response", reason);
            }
            None
        }
    }
}

/// Answers with a short page. The message may hold a server's words: secrets it echoed
/// are scrubbed as on the terminal, and everything is HTML-escaped.
fn page(stream: &mut TcpStream, status: u16, title: &str, message: &str) -> std::io::Result<()> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{m}</p></body></html>\n",
        t = html_escape(title),
        m = html_escape(&crate::redact::scrub(message))
    );
    let mut headers = vec![
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        // The callback URL holds the code: no page we show may pass it on.
        ("Referrer-Policy", "no-referrer"),
        ("Content-Security-Policy", "default-src 'none'"),
    ];
    if status == 405 {
        headers.push(("Allow", "GET"));
    }
    request::respond(stream, status, &headers, body.as_bytes())?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

fn html_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};

    fn status(r: Route) -> u16 {
        match r {
            Route::Reject { status, .. } => status,
            Route::Callback(_) => 200,
        }
    }

    #[test]
    fn stray_requests_are_turned_away() {
        let h = Some("127.0.0.1:5000");
        assert_eq!(status(route("GET", "/favicon.ico", h, "/callback")), 404);
        assert_eq!(status(route("GET", "/", h, "/callback")), 404);
        assert_eq!(status(route("GET", "/callback/x?code=a&state=b", h, "/callback")), 404);
        assert_eq!(status(route("POST", "/callback?code=a&state=b", h, "/callback")), 405);
        assert_eq!(status(route("GET", "/callback", h, "/callback")), 400, "no code, no error");
        assert_eq!(status(route("GET", "/callback?foo=1", h, "/callback")), 400);
        assert_eq!(status(route("GET", "http://evil/callback?code=a", h, "/callback")), 400);
        assert_eq!(status(route("GET", "//evil/callback?code=a", h, "/callback")), 400);
        assert_eq!(status(route("GET", "*", h, "/callback")), 400);
        assert_eq!(status(route("GET", "/callback?code=a", Some("evil.example:5000"), "/callback")), 403);
        assert_eq!(status(route("GET", "/callback?code=a", Some("localhost:5000"), "/callback")), 200);
        assert_eq!(status(route("GET", "/callback?code=a", Some("[::1]:5000"), "/callback")), 200);
    }

    #[test]
    fn parses_codes_and_errors_percent_decoded() {
        let Route::Callback(p) =
            route("GET", "/cb?code=abc%2Fdef&state=s%20t&iss=https%3A%2F%2Fas.example&extra=1", None, "/cb")
        else {
            panic!("not a callback")
        };
        assert_eq!(p.code.as_deref(), Some("abc/def"));
        assert_eq!(p.state.as_deref(), Some("s t"));
        assert_eq!(p.iss.as_deref(), Some("https://as.example"));
        let Route::Callback(p) =
            route("GET", "/cb?error=access_denied&error_description=User+said+no&state=s", None, "/cb")
        else {
            panic!("not a callback")
        };
        assert_eq!(p.error.as_deref(), Some("access_denied"));
        assert_eq!(p.error_description.as_deref(), Some("User said no"));
        assert!(p.code.is_none());
        assert!(!format!("{p:?}").contains("abc"), "Debug hides the code");
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert_eq!(status(route("GET", "/cb?code=a&state=s&state=t", None, "/cb")), 400);
        assert_eq!(status(route("GET", "/cb?code=a&code=b", None, "/cb")), 400);
    }

    /// A server on a free port (the real one binds through `redirect::bind_callback`).
    fn server(path: &str) -> CallbackServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        CallbackServer::from_listener(listener, Url::parse(&format!("http://127.0.0.1:{port}{path}")).unwrap()).unwrap()
    }

    #[test]
    fn refuses_a_listener_off_loopback() {
        let Ok(listener) = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)) else {
            return;
        };
        let e = CallbackServer::from_listener(listener, Url::parse("http://127.0.0.1:1/cb").unwrap()).err().unwrap();
        assert_eq!(e.exit_code().code(), 5);
    }

    fn get(addr: SocketAddr, raw: &str) -> String {
        // Empty on any failure: flooders may outlive the server, and the assertions on
        // the answers that matter catch a real failure.
        let Ok(mut s) = TcpStream::connect(addr) else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        if s.write_all(raw.as_bytes()).is_err() {
            return String::new();
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn serves_once_ignoring_noise_then_stops() {
        let server = server("/callback");
        let uri = server.redirect_uri().clone();
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), uri.port().unwrap());
        let client = std::thread::spawn(move || {
            let stray = get(addr, "GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let garbage = get(addr, "\x00\x01 nonsense\r\n\r\n");
            let evil =
                get(addr, "GET /callback?code=x&state=s HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
            let cb = get(
                addr,
                "GET /callback?code=the-code&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            (stray, garbage, evil, cb)
        });
        let got =
            server.wait(Duration::from_secs(10), "s", &mut || {}, |p| Ok(p.code.clone().unwrap_or_default())).unwrap();
        assert_eq!(got, "the-code");
        let (stray, garbage, evil, cb) = client.join().unwrap();
        assert!(stray.starts_with("HTTP/1.1 404"), "{stray}");
        assert!(!garbage.starts_with("HTTP/1.1 200"), "{garbage}");
        assert!(evil.starts_with("HTTP/1.1 403"), "{evil}");
        assert!(cb.starts_with("HTTP/1.1 200"), "{cb}");
        assert!(cb.contains("Authorization complete"));
        // The server is gone: a second callback is not received by anyone.
        let second = TcpStream::connect(addr).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            s.write_all(b"GET /callback?code=2&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
            let mut out = String::new();
            s.read_to_string(&mut out)?;
            Ok(out)
        });
        assert!(!second.is_ok_and(|s| s.contains("200")), "a second callback must not be served");
    }

    #[test]
    fn a_flood_and_idle_connections_do_not_hide_the_callback() {
        let server = server("/cb");
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), server.redirect_uri().port().unwrap());
        // Connections that never send a byte, held open for the whole test.
        let idle: Vec<TcpStream> = (0..20).filter_map(|_| TcpStream::connect(addr).ok()).collect();
        let flooders: Vec<_> = (0..20)
            .map(|i| {
                std::thread::spawn(move || {
                    for j in 0..10 {
                        let target = if j % 2 == 0 { format!("/x{i}") } else { "/cb?foo=1".into() };
                        get(addr, &format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
                    }
                })
            })
            .collect();
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            get(addr, "GET /cb?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        });
        let got = server.wait(Duration::from_secs(20), "s", &mut || {}, |p| Ok(p.code.clone())).unwrap();
        assert_eq!(got.as_deref(), Some("c"));
        assert!(client.join().unwrap().starts_with("HTTP/1.1 200"));
        for f in flooders {
            f.join().unwrap();
        }
        drop(idle);
    }

    /// Issue 13 item 8: any web page can fire a callback at the port; only the right
    /// `state` ends the wait.
    #[test]
    fn a_forged_callback_is_refused_and_the_wait_goes_on() {
        let server = server("/callback");
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), server.redirect_uri().port().unwrap());
        let client = std::thread::spawn(move || {
            let forged = get(addr, "GET /callback?code=x&state=wrong HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            let stateless = get(addr, "GET /callback?error=access_denied HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            let real = get(addr, "GET /callback?code=real&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            (forged, stateless, real)
        });
        let mut handled = 0;
        let got = server
            .wait(Duration::from_secs(10), "s", &mut || {}, |p| {
                handled += 1;
                Ok(p.code.clone())
            })
            .unwrap();
        assert_eq!(got.as_deref(), Some("real"));
        assert_eq!(handled, 1, "only the real callback reaches the handler");
        let (forged, stateless, real) = client.join().unwrap();
        assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
        assert!(stateless.starts_with("HTTP/1.1 400"), "{stateless}");
        assert!(real.starts_with("HTTP/1.1 200"), "{real}");
    }

    /// Issue 13 item 9: a request head without end is cut off at the cap, not buffered.
    #[test]
    fn an_endless_request_is_cut_off() {
        let server = server("/cb");
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), server.redirect_uri().port().unwrap());
        const OFFERED: usize = 64 * 1024 * 1024;
        let client = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
            let chunk = [b'A'; 64 * 1024];
            let mut sent = 0;
            let mut outcome = s.write_all(b"GET /cb?code=");
            while sent < OFFERED && outcome.is_ok() {
                outcome = s.write_all(&chunk);
                sent += chunk.len();
            }
            let real = get(addr, "GET /cb?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            (sent, outcome.err().map(|e| e.kind()), real)
        });
        let got = server.wait(Duration::from_secs(30), "s", &mut || {}, |p| Ok(p.code.clone())).unwrap();
        assert_eq!(got.as_deref(), Some("c"));
        let (sent, error, real) = client.join().unwrap();
        assert!(sent < OFFERED, "the listener took all {sent} bytes of a request line");
        // Dropped, not merely stalled: a stalled reader would make the write time out.
        assert!(
            matches!(error, Some(std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe)),
            "{error:?} after {sent} bytes"
        );
        assert!(real.starts_with("HTTP/1.1 200"), "{real}");
    }

    #[test]
    fn handler_failure_is_shown_escaped_and_returned() {
        let server = server("/cb");
        let port = server.redirect_uri().port().unwrap();
        let client = std::thread::spawn(move || {
            get(
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                "GET /cb?error=x&state=s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            )
        });
        let e = server
            .wait(Duration::from_secs(10), "s", &mut || {}, |_| -> Result<()> {
                Err(Error::AuthorizationFailed("<script>denied</script>".into()))
            })
            .unwrap_err();
        assert_eq!(e.exit_code().code(), 8);
        let page = client.join().unwrap();
        assert!(page.starts_with("HTTP/1.1 400"), "{page}");
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"), "{page}");
    }

    #[test]
    fn times_out_with_authorization_failed() {
        let server = server("/cb");
        let started = Instant::now();
        let mut ticks = 0;
        let e = server.wait(Duration::from_millis(1200), "s", &mut || ticks += 1, |_| Ok(())).unwrap_err();
        assert_eq!(e.exit_code().code(), 8);
        assert!(started.elapsed() >= Duration::from_millis(1200));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(ticks >= 1);
    }
}
