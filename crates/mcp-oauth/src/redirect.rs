//! The loopback redirect URI: chosen by `mcp-dcr` when it registers a client, bound by
//! `mcp-authorize` when it waits for the browser. One module, so that what is registered
//! is exactly what can be listened on.
//!
//! RFC 8252 §7.3: a native app's redirect is `http://127.0.0.1:PORT/path` (an IP literal,
//! not `localhost`, which may resolve elsewhere), and the authorization server MUST accept
//! any port there. That rule is what lets [`bind_callback`] move to another port when the
//! registered one is busy, but only for clients we registered ourselves as native apps:
//! a pre-registered client's redirect is matched however its provider pleases.

use crate::client::ClientSource;
use crate::error::{Error, Result};
use crate::remedy::{Input, Registration, Remedy};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use url::{Host, Url};

/// The path of the redirect URIs we make up ourselves.
pub const CALLBACK_PATH: &str = "/callback";

/// `http://127.0.0.1:PORT/callback`.
pub fn loopback(port: u16) -> Url {
    Url::parse(&format!("http://127.0.0.1:{port}{CALLBACK_PATH}")).expect("a loopback URL is always valid")
}

/// A port that is free right now (bind port 0, read it, release it). Another process may
/// take it before we listen again; [`bind_callback`] copes with that for our own clients.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| Error::io("binding a loopback port to find a free one", e))?;
    let port = l.local_addr().map_err(|e| Error::io("reading the bound loopback port", e))?.port();
    Ok(port)
}

/// The default redirect URI: the callback path on a currently free loopback port.
pub fn default_uri() -> Result<Url> {
    Ok(loopback(free_port()?))
}

/// The redirect URI the user asked for with `--redirect-uri` or `--port`, checked; `None`
/// when neither was given (the caller then keeps a stored one or uses [`default_uri`]).
pub fn from_flags(redirect_uri: Option<&str>, port: Option<u16>) -> Result<Option<Url>> {
    match (redirect_uri, port) {
        (Some(_), Some(_)) => Err(Error::Usage("give a redirect URI or a port, not both".into())),
        (Some(s), None) => {
            let url =
                Url::parse(s.trim()).map_err(|e| Error::Usage(format!("redirect URI {s:?} is not a URL: {e}")))?;
            validate(&url)?;
            Ok(Some(url))
        }
        (None, Some(0)) => Err(Error::Usage("must be between 1 and 65535".into()).about(Input::Port)),
        (None, Some(p)) => Ok(Some(loopback(p))),
        (None, None) => Ok(None),
    }
}

/// MCP security considerations: a redirect URI is loopback or HTTPS. No fragment
/// (RFC 6749 §3.1.2), and a loopback one needs a real port to listen on.
pub fn validate(url: &Url) -> Result<()> {
    if url.fragment().is_some() {
        return Err(Error::Usage(format!("redirect URI {url} has a fragment, which OAuth forbids (RFC 6749 §3.1.2)")));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if crate::url_policy::is_loopback(url) => {
            if url.port_or_known_default() == Some(0) {
                return Err(Error::Usage(format!("redirect URI {url} has port 0: name the port to listen on")));
            }
            Ok(())
        }
        _ => Err(Error::Security(format!(
            "redirect URI {url} is neither https:// nor http:// on a loopback address (MCP security considerations)"
        ))),
    }
}

/// A loopback `http` redirect: one `mcp-authorize` can listen on itself.
pub fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http" && crate::url_policy::is_loopback(url)
}

/// The listening callback sockets (one, or two for `localhost`) and the redirect URI that
/// leads to them (the registered one, or the same URI on another port when
/// [`bind_callback`] had to move).
#[derive(Debug)]
pub struct Callback {
    pub listeners: Vec<TcpListener>,
    pub redirect_uri: Url,
}

impl Callback {
    /// True when the port differs from the registered redirect URI's.
    pub fn moved_from(&self, registered: &Url) -> bool {
        self.redirect_uri.port_or_known_default() != registered.port_or_known_default()
    }
}

/// Binds the registered redirect URI's port. When it is busy (mcp-remote's most reported
/// crash, issue #253) and the client is one we registered dynamically as a native app, it
/// moves to a free port with the same host and path, which RFC 8252 §7.3 obliges the
/// server to accept. Otherwise the error says who probably holds the port and how out.
pub fn bind_callback(redirect_uri: &str, source: ClientSource) -> Result<Callback> {
    let uri = Url::parse(redirect_uri)
        .map_err(|e| Error::InvalidInput(format!("registered redirect URI {redirect_uri:?} is not a URL: {e}")))?;
    if !is_loopback_http(&uri) {
        return Err(Error::Usage(format!(
            "redirect URI {uri} is not http:// on a loopback address, so no local listener can receive the callback"
        ))
        .with_hint(Remedy::LoopbackOrHandOff));
    }
    let ip = bind_ip(&uri);
    let port = uri.port_or_known_default().unwrap_or(80);
    let listener = match TcpListener::bind(SocketAddr::new(ip, port)) {
        Ok(listener) => listener,
        Err(e) if e.kind() == ErrorKind::AddrInUse && may_move(&uri, source) => {
            let listener = TcpListener::bind(SocketAddr::new(ip, 0))
                .map_err(|e| Error::io(format!("binding a loopback port on {ip}"), e))?;
            let actual = listener.local_addr().map_err(|e| Error::io("reading the bound callback port", e))?.port();
            let mut moved = uri.clone();
            moved.set_port(Some(actual)).map_err(|_| Error::Internal(format!("cannot set a port on {uri}")))?;
            return Ok(Callback { listeners: vec![listener], redirect_uri: moved });
        }
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            return Err(busy_port_error(&uri, port, source));
        }
        Err(e) => {
            return Err(Error::io(format!("listening on {ip}:{port} for the redirect {uri}"), e));
        }
    };
    let mut listeners = vec![listener];
    if is_localhost(&uri) {
        listeners.extend(bind_ipv6_too(&uri, port, source)?);
    }
    Ok(Callback { listeners, redirect_uri: uri })
}

fn is_localhost(uri: &Url) -> bool {
    matches!(uri.host(), Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost"))
}

/// A browser may try `localhost` at ::1 before 127.0.0.1, so a `localhost` redirect is
/// listened on there too: otherwise any local process listening on [::1]:PORT would
/// receive the code. A machine without IPv6 loopback has nothing there to take it.
fn bind_ipv6_too(uri: &Url, port: u16, source: ClientSource) -> Result<Option<TcpListener>> {
    match TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)) {
        Ok(listener) => Ok(Some(listener)),
        Err(e) if e.kind() == ErrorKind::AddrInUse => Err(busy_port_error(uri, port, source)),
        Err(e) if matches!(e.kind(), ErrorKind::AddrNotAvailable | ErrorKind::Unsupported) => Ok(None),
        // EAFNOSUPPORT (IPv6 compiled out) has no ErrorKind of its own.
        Err(e) if e.raw_os_error().is_some_and(|c| c == 97 || c == 47) => Ok(None),
        Err(e) => Err(Error::io(format!("listening on [::1]:{port} for the redirect {uri}"), e)),
    }
}

/// Only an IP-literal loopback redirect we registered ourselves as `native` may move: a
/// `localhost` redirect or someone else's registration is matched exactly by many servers.
fn may_move(uri: &Url, source: ClientSource) -> bool {
    source == ClientSource::Dynamic && matches!(uri.host(), Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)))
}

/// `localhost` is bound on 127.0.0.1 (and on ::1 by [`bind_ipv6_too`]), never looked up: a
/// name lookup here could be pointed elsewhere (the reason RFC 8252 §8.3 prefers the literal).
fn bind_ip(uri: &Url) -> IpAddr {
    match uri.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

fn busy_port_error(uri: &Url, port: u16, source: ClientSource) -> Error {
    let (way_out, registration) = match source {
        ClientSource::PreRegistered => (
            "use another redirect URI registered with the provider",
            Registration { client_id: Some("ID".into()), redirect_uri: true, ..Default::default() },
        ),
        _ => (
            "register again on another port",
            Registration { replace: true, port: Some(free_port().ok()), ..Default::default() },
        ),
    };
    Error::Usage(format!(
        "port {port} of the redirect URI {uri} is in use, probably by another mcp-authorize waiting for its browser; \
         finish or stop it, or {way_out}"
    ))
    .with_hint(Remedy::Register(registration))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occupied() -> (TcpListener, u16) {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let p = l.local_addr().expect("addr").port();
        (l, p)
    }

    #[test]
    fn default_is_an_ip_literal_on_a_free_port() {
        let u = default_uri().unwrap();
        assert_eq!(u.host_str(), Some("127.0.0.1"));
        assert_eq!(u.path(), CALLBACK_PATH);
        let port = u.port().expect("explicit port");
        // Free means we can bind it now.
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("the chosen port is free");
    }

    #[test]
    fn flags_are_checked() {
        assert_eq!(from_flags(None, None).unwrap(), None);
        assert_eq!(from_flags(None, Some(8123)).unwrap().unwrap().as_str(), "http://127.0.0.1:8123/callback");
        let u = from_flags(Some("http://localhost:9000/oauth/cb"), None).unwrap().unwrap();
        assert_eq!(u.path(), "/oauth/cb");
        assert!(from_flags(Some("https://app.example/cb"), None).unwrap().is_some());
        assert_eq!(from_flags(Some("http://example.com/cb"), None).unwrap_err().exit_code().code(), 5);
        assert_eq!(from_flags(Some("http://127.0.0.1:1/cb#x"), None).unwrap_err().exit_code().code(), 2);
        assert_eq!(from_flags(Some("http://127.0.0.1:0/cb"), None).unwrap_err().exit_code().code(), 2);
        assert_eq!(from_flags(Some("nope"), None).unwrap_err().exit_code().code(), 2);
        assert_eq!(from_flags(None, Some(0)).unwrap_err().exit_code().code(), 2);
        assert!(from_flags(Some("http://127.0.0.1:1/cb"), Some(2)).is_err());
    }

    #[test]
    fn binds_the_registered_port_when_free() {
        let port = free_port().unwrap();
        let uri = loopback(port);
        let cb = bind_callback(uri.as_str(), ClientSource::PreRegistered).unwrap();
        assert_eq!(cb.redirect_uri, uri);
        assert_eq!(cb.listeners.len(), 1);
        assert_eq!(cb.listeners[0].local_addr().unwrap().port(), port);
        assert!(!cb.moved_from(&uri));
    }

    #[test]
    fn our_native_client_moves_to_a_free_port_keeping_the_path() {
        let (_held, port) = occupied();
        let uri = format!("http://127.0.0.1:{port}/my/path");
        let cb = bind_callback(&uri, ClientSource::Dynamic).unwrap();
        let actual = cb.listeners[0].local_addr().unwrap().port();
        assert_ne!(actual, port);
        assert_eq!(cb.redirect_uri.as_str(), format!("http://127.0.0.1:{actual}/my/path"));
        assert!(cb.moved_from(&Url::parse(&uri).unwrap()));
    }

    #[test]
    fn others_get_a_clear_error_with_the_way_out() {
        let (_held, port) = occupied();
        let uri = loopback(port);
        for source in [ClientSource::PreRegistered, ClientSource::MetadataDocument] {
            let e = bind_callback(uri.as_str(), source).unwrap_err();
            let msg = e.to_string();
            assert_eq!(e.exit_code().code(), 2, "{msg}");
            assert!(msg.contains(&format!("port {port}")) && msg.contains("another mcp-authorize"), "{msg}");
        }
        // The way out, which the command line words (mcp_oauth_cli::remedy's tests).
        let e = bind_callback(uri.as_str(), ClientSource::MetadataDocument).unwrap_err();
        assert!(matches!(e.remedy(), Some(Remedy::Register(r)) if r.replace && matches!(r.port, Some(Some(_)))), "{e}");
        let e = bind_callback(uri.as_str(), ClientSource::PreRegistered).unwrap_err();
        assert!(matches!(e.remedy(), Some(Remedy::Register(r)) if r.redirect_uri && r.client_id.is_some()), "{e}");
    }

    #[test]
    fn a_localhost_redirect_does_not_move() {
        let (_held, port) = occupied();
        let e = bind_callback(&format!("http://localhost:{port}/callback"), ClientSource::Dynamic).unwrap_err();
        assert!(e.to_string().contains("in use"), "{e}");
    }

    /// Issue 13 item 10: another process listening on [::1]:PORT would get the code from a
    /// browser that tries ::1 first.
    #[test]
    fn a_localhost_redirect_is_listened_on_both_loopback_addresses() {
        let Ok(v6) = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)) else {
            return;
        };
        let port = v6.local_addr().unwrap().port();
        // The IPv6 side is taken by someone else: refused, not half-listened.
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            let e = bind_callback(&format!("http://localhost:{port}/callback"), ClientSource::Dynamic).unwrap_err();
            assert!(e.to_string().contains("in use"), "{e}");
        }
        drop(v6);
        let port = free_port().unwrap();
        let cb = bind_callback(&format!("http://localhost:{port}/callback"), ClientSource::Dynamic).unwrap();
        let addrs: Vec<SocketAddr> = cb.listeners.iter().map(|l| l.local_addr().unwrap()).collect();
        assert!(addrs.contains(&SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)), "{addrs:?}");
        assert!(addrs.contains(&SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)), "{addrs:?}");
        // An IP literal is listened on where it says, only.
        let cb = bind_callback(loopback(free_port().unwrap()).as_str(), ClientSource::Dynamic).unwrap();
        assert_eq!(cb.listeners.len(), 1);
    }

    #[test]
    fn https_redirects_cannot_be_listened_on() {
        let e = bind_callback("https://app.example/cb", ClientSource::Dynamic).unwrap_err();
        assert!(e.to_string().contains("pasting the callback URL"), "{e}");
    }
}
