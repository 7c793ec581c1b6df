//! Which URLs we are willing to talk to, send users to, or use as a resource identifier.

use crate::error::{Error, Result};
use url::{Host, Url};

/// Parses a URL given on the command line or in a document, with a usage error that names it.
pub fn parse(what: &str, s: &str) -> Result<Url> {
    check(what, s).map_err(Error::Usage)
}

/// The same rules for a URL a server sent (`sender`): one that breaks them is the server's
/// protocol error, found when the URL arrives rather than as a usage error when it is used.
pub fn parse_sent(what: &str, s: &str, sender: &str) -> Result<Url> {
    check(what, s).map_err(|why| Error::protocol(sender, why))
}

fn check(what: &str, s: &str) -> std::result::Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("{what} {s:?} is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!("{what} {s:?}: unsupported scheme {other:?}, need https"));
        }
    }
    if url.host().is_none() {
        return Err(format!("{what} {s:?} has no host"));
    }
    // A password here would be sent as Basic auth to every endpoint and shown in traces
    // and messages; credentials belong in the store.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{what} {} has a user name or password in it; remove it (credentials are never taken from URLs)",
            crate::redact::url(&url)
        ));
    }
    Ok(url)
}

/// Loopback hosts: where plain HTTP is acceptable (development servers, redirect URIs).
/// `localhost` is one, and [`crate::http`] resolves it to loopback itself (RFC 6761 §6.3);
/// `*.localhost` names are not, since the system resolver may send them to the network's
/// DNS, and plain HTTP to wherever that points is what this check exists to refuse.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// An endpoint a credential or a user is about to be sent to, as a document or stored
/// record names it: [`parse`]'s rules and [`require_secure`]. Discovery already refused
/// insecure endpoints in server metadata; this is checked again at use, because documents
/// and store entries are only data that someone could have edited since.
pub fn endpoint(what: &str, s: &str) -> Result<Url> {
    let url = parse(what, s)?;
    require_secure(what, &url)?;
    Ok(url)
}

/// MCP 2026-07-28 security considerations: every authorization-server endpoint MUST be
/// HTTPS. Loopback is the one exception we allow, for local development and tests.
pub fn require_secure(what: &str, url: &Url) -> Result<()> {
    if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url)) {
        Ok(())
    } else {
        Err(Error::Security(format!(
            "{what} {url} is not HTTPS; only https:// (or http:// on a loopback address) is allowed"
        )))
    }
}

/// RFC 8707 / MCP "canonical URI": lowercase scheme and host (the `url` crate already does
/// that), no fragment, and no trailing slash unless the path is only `/`, which we then
/// drop too: `https://mcp.example.com/` and `https://mcp.example.com` name one resource,
/// and the spec's examples use the slash-less form.
pub fn canonical_resource(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    let s = u.to_string();
    if u.path() == "/" && u.query().is_none() { s.trim_end_matches('/').to_string() } else { s }
}

/// The origin (`scheme://host[:port]`) of a URL, as a string without a trailing slash.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_fine_other_http_is_not() {
        let ok = Url::parse("http://127.0.0.1:8080/x").unwrap();
        let ok6 = Url::parse("http://[::1]:8080/x").unwrap();
        let bad = Url::parse("http://example.com/x").unwrap();
        assert!(require_secure("t", &ok).is_ok());
        assert!(require_secure("t", &ok6).is_ok());
        assert!(matches!(require_secure("t", &bad), Err(Error::Security(_))));
        assert!(require_secure("t", &Url::parse("https://example.com").unwrap()).is_ok());
    }

    #[test]
    fn canonical_forms() {
        let c = |s: &str| canonical_resource(&Url::parse(s).unwrap());
        assert_eq!(c("HTTPS://MCP.Example.com/"), "https://mcp.example.com");
        assert_eq!(c("https://mcp.example.com/mcp#frag"), "https://mcp.example.com/mcp");
        assert_eq!(c("https://mcp.example.com:8443"), "https://mcp.example.com:8443");
        assert_eq!(c("https://mcp.example.com/mcp/"), "https://mcp.example.com/mcp/");
    }

    #[test]
    fn only_localhost_itself_is_a_loopback_name() {
        let secure = |s: &str| require_secure("t", &Url::parse(s).unwrap()).map_err(|e| e.exit_code().code());
        assert!(secure("http://localhost:8080/x").is_ok());
        assert_eq!(secure("http://evil.localhost:8080/x"), Err(5));
        assert_eq!(secure("http://localhost.evil.example/x"), Err(5));
    }

    #[test]
    fn credentials_in_urls_are_refused_without_showing_them() {
        let e = parse("MCP server URL", "http://user:hunter22@127.0.0.1:1/mcp").unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        assert!(!e.to_string().contains("hunter22"), "{e}");
        assert!(parse("MCP server URL", "https://user@mcp.example/mcp").is_err());
    }

    #[test]
    fn rejects_non_urls() {
        assert!(matches!(parse("server URL", "not a url"), Err(Error::Usage(_))));
        assert!(matches!(parse("server URL", "ftp://x/y"), Err(Error::Usage(_))));
    }
}
