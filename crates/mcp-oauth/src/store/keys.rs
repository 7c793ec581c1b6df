//! The key scheme: how a client registration, a token set or a pending hand-off is named in
//! a credential helper (the protocol's `ServerURL`), and how our keys are told apart from
//! everybody else's when listing.
//!
//! # Key scheme
//!
//! ```text
//! https://<host>.mcp-oauth[:<port>]/<kind>/<profile>/<id>             the record ("head")
//! https://<host>.mcp-oauth[:<port>]/<kind>/<profile>/<id>/<gen>/<n>   part n of a split record
//! Username: mcp-oauth
//! ```
//!
//! - `<kind>` is `client` (a registration, identified by its authorization server's issuer),
//!   `token` (a token set, identified by its MCP resource), `pending` (a headless
//!   authorization waiting for its callback, identified by its `state`) or `dpop` (the DPoP
//!   key pair of one client of the issuer, identified by the issuer and the client id, empty
//!   for a workload without a client: the JSON array `[issuer, client_id]`).
//! - `<id>` is the first 22 characters of the unpadded base64url SHA-256 of the identifier,
//!   exactly as given (issuer, canonical resource URL, state, or that array): 132 bits, so distinct
//!   identifiers never share an entry, and the key reveals nothing the identifier would not.
//! - `<host>` and `<port>` come from the issuer or resource URL, only to make entries
//!   recognisable in a keychain UI (and to let Docker's `credHelpers` pick a helper per
//!   server): the host is lowercased, an IPv6 address is written as its eight hex groups
//!   joined by `-`, characters outside `[a-z0-9.-]` become `-`, and a host longer than 63
//!   bytes keeps its first 50 bytes plus `-` and 12 hex digits of its SHA-256. The port
//!   appears only when the URL names a non-default one. Pending hand-offs use the host
//!   `local`.
//! - `<profile>` is the profile name when it is 1 to 40 characters of `[A-Za-z0-9._-]` (and
//!   not `.` or `..`), `default` without a profile, and otherwise `~` followed by 16
//!   characters of the base64url SHA-256 of the name.
//! - Split records (see `chunk`) store their parts under the head key plus `/<gen>/<n>`,
//!   where `<gen>` is 8 random base64url characters chosen at each save.
//!
//! Bounds: every key is an `https://` URL without query or fragment (osxkeychain parses keys
//! as URLs and drops both), at most 171 bytes including a part suffix, under pass's 189-byte
//! limit (pass turns the base64 of the key into a file name). The username has no `/`
//! (pass turns it into a file name too) and never changes, so a `store` overwrites in place.

use super::Key;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// The fixed `Username` of every entry.
pub const USERNAME: &str = "mcp-oauth";

/// Hosts of our keys end with this, which is how listing recognises them.
pub const HOST_SUFFIX: &str = ".mcp-oauth";

/// pass stores `base64(ServerURL)` as a directory name, and NAME_MAX is 255.
pub const MAX_KEY_LEN: usize = 189;

const ID_LEN: usize = 22;
const GEN_LEN: usize = 8;
const MAX_HOST_LEN: usize = 63;
const MAX_PROFILE_LEN: usize = 40;
pub const DEFAULT_PROFILE: &str = "default";
const PENDING_HOST: &str = "local";

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Client,
    Token,
    Pending,
    /// A DPoP key pair of one client of an issuer (in the profile of its client record).
    Dpop,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Token => "token",
            Kind::Pending => "pending",
            Kind::Dpop => "dpop",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [Kind::Client, Kind::Token, Kind::Pending, Kind::Dpop].into_iter().find(|k| k.as_str() == s)
    }
}

/// The client registration for one authorization server (bound to its issuer).
pub fn client(issuer: &str, profile: Option<&str>) -> Key {
    build(Kind::Client, &url_host(issuer), issuer, profile)
}

/// The DPoP key of `issuer`'s client `client_id` (empty for a workload without a client; see
/// `crate::dpop::key`). One per client, not per issuer: tokens of two clients of one issuer
/// (a workload's and a registered client's, or an earlier registration's) each stay bound to
/// their own key, which the other's login must not replace. Keys of an earlier shape (issuer
/// and profile alone) were never released, so none needs to be found again.
pub fn dpop(issuer: &str, client_id: &str, profile: Option<&str>) -> Key {
    build(Kind::Dpop, &url_host(issuer), &serde_json::json!([issuer, client_id]).to_string(), profile)
}

/// The token set for one MCP resource: derivable from the server URL alone, so a
/// cached `mcp-token` needs exactly one `get`.
pub fn token(resource: &str, profile: Option<&str>) -> Key {
    build(Kind::Token, &url_host(resource), resource, profile)
}

/// A pending headless authorization, found again by its `state`.
pub fn pending(state: &str, profile: Option<&str>) -> Key {
    build(Kind::Pending, &format!("{PENDING_HOST}{HOST_SUFFIX}"), state, profile)
}

fn build(kind: Kind, authority: &str, identifier: &str, profile: Option<&str>) -> Key {
    let id = &b64_sha256(identifier)[..ID_LEN];
    Key(format!("https://{authority}/{}/{}/{id}", kind.as_str(), profile_segment(profile)))
}

/// The key of part `index` of a record saved with generation `gen`.
pub(crate) fn part(head: &Key, generation: &str, index: usize) -> Key {
    Key(format!("{}/{generation}/{index}", head.0))
}

/// `<host>.mcp-oauth[:port]` for a URL; identifiers that are not URLs still get a key.
fn url_host(identifier: &str) -> String {
    let Ok(url) = url::Url::parse(identifier) else {
        return format!("invalid{HOST_SUFFIX}");
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) => sanitize_host(d),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.segments().iter().map(|s| format!("{s:x}")).collect::<Vec<_>>().join("-"),
        None => "invalid".to_string(),
    };
    match url.port() {
        Some(port) => format!("{host}{HOST_SUFFIX}:{port}"),
        None => format!("{host}{HOST_SUFFIX}"),
    }
}

fn sanitize_host(domain: &str) -> String {
    let clean: String = domain
        .trim_end_matches('.')
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }
        })
        .collect();
    let clean = if clean.is_empty() { "invalid".to_string() } else { clean };
    if clean.len() <= MAX_HOST_LEN {
        return clean;
    }
    // The identity is in <id>; the host only needs to be bounded, stable and recognisable.
    let digest = ring::digest::digest(&ring::digest::SHA256, domain.as_bytes());
    let hex: String = digest.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", &clean[..50])
}

fn profile_segment(profile: Option<&str>) -> String {
    match profile {
        None | Some("") => DEFAULT_PROFILE.to_string(),
        Some(p) if is_plain_profile(p) => p.to_string(),
        Some(p) => format!("~{}", &b64_sha256(p)[..16]),
    }
}

fn is_plain_profile(p: &str) -> bool {
    (1..=MAX_PROFILE_LEN).contains(&p.len())
        && p != "."
        && p != ".."
        && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

pub(crate) fn b64_sha256(data: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, data.as_bytes()))
}

/// One of our keys, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub kind: Kind,
    pub profile: String,
    /// `Some((gen, n))` for a part of a split record.
    pub part: Option<(String, usize)>,
}

/// `None` for anything that is not one of our keys (other tools share the helper).
pub(crate) fn parse(key: &str) -> Option<Parsed> {
    let rest = key.strip_prefix("https://")?;
    let (authority, path) = rest.split_once('/')?;
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() { h } else { authority }
    });
    if !host.ends_with(HOST_SUFFIX) || host.len() == HOST_SUFFIX.len() || key.len() > MAX_KEY_LEN {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let (kind, profile, id) = (segments.first()?, segments.get(1)?, segments.get(2)?);
    let kind = Kind::parse(kind)?;
    let profile_ok =
        is_plain_profile(profile) || profile.strip_prefix('~').is_some_and(|h| h.len() == 16 && is_b64url(h));
    if !profile_ok || id.len() != ID_LEN || !is_b64url(id) {
        return None;
    }
    let part = match segments.as_slice() {
        [_, _, _] => None,
        [_, _, _, generation, n] if generation.len() == GEN_LEN && is_b64url(generation) => {
            let n: usize = n.parse().ok().filter(|_| !n.starts_with('+') && (n.len() == 1 || !n.starts_with('0')))?;
            Some((generation.to_string(), n))
        }
        _ => return None,
    };
    Some(Parsed { kind, profile: profile.to_string(), part })
}

fn is_b64url(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `host[:port]` of a key, what Docker's `credHelpers` is indexed by.
pub(crate) fn authority(key: &Key) -> &str {
    let rest = key.0.strip_prefix("https://").unwrap_or(&key.0);
    rest.split_once('/').map_or(rest, |(a, _)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longest_part(head: &Key) -> Key {
        part(head, "AAAAAAAA", 99)
    }

    #[test]
    fn documented_shape() {
        let k = token("https://mcp.example.com/mcp", None);
        let s = k.as_str();
        assert!(s.starts_with("https://mcp.example.com.mcp-oauth/token/default/"), "{s}");
        assert_eq!(s.rsplit('/').next().map(str::len), Some(22));
        let k = client("http://127.0.0.1:3000", Some("work"));
        assert!(k.as_str().starts_with("https://127.0.0.1.mcp-oauth:3000/client/work/"), "{k}");
        let k = pending("xyz", None);
        assert!(k.as_str().starts_with("https://local.mcp-oauth/pending/default/"), "{k}");
        let k = token("https://[::1]:8443/mcp", None);
        assert!(k.as_str().starts_with("https://0-0-0-0-0-0-0-1.mcp-oauth:8443/token/"), "{k}");
    }

    #[test]
    fn stable_and_distinct() {
        assert_eq!(token("https://a.example/mcp", None), token("https://a.example/mcp", None));
        assert_eq!(token("https://a.example/mcp", Some("default")), token("https://a.example/mcp", None));
        assert_ne!(token("https://a.example/mcp", None), token("https://a.example/mcp2", None));
        assert_ne!(token("https://a.example/mcp", None), token("https://a.example/mcp", Some("p")));
        assert_ne!(token("https://a.example", None), client("https://a.example", None));
        assert_ne!(dpop("https://a.example", "c", None), dpop("https://a.example", "", None));
        // The array keeps an issuer and a client id apart however they are split.
        assert_ne!(dpop("https://a.example", "\",\"c", None), dpop("https://a.example\",\"", "c", None));
        assert!(
            dpop("https://a.example:8443", "", Some("p"))
                .as_str()
                .starts_with("https://a.example.mcp-oauth:8443/dpop/p/")
        );
        // Pinned: a change here orphans every stored credential.
        assert_eq!(
            client("https://as.example", None).as_str(),
            format!("https://as.example.mcp-oauth/client/default/{}", &b64_sha256("https://as.example")[..22])
        );
    }

    #[test]
    fn bounded_url_shaped_for_any_input() {
        let long_host = format!("https://{}.example/mcp", "a".repeat(250));
        let weird = "https://xn--bcher-kva.example:65535/p?q=1#f";
        let hostile_profile = "a/b?c#d".repeat(40);
        let long_profile = "x".repeat(41);
        let inputs = [long_host.as_str(), weird, "not a url", "", "https://user:pw@h.example/"];
        let profiles = [None, Some("work"), Some(hostile_profile.as_str()), Some(".."), Some(long_profile.as_str())];
        for input in inputs {
            for profile in profiles {
                for k in [
                    client(input, profile),
                    token(input, profile),
                    pending(input, profile),
                    dpop(input, input, profile),
                ] {
                    for k in [longest_part(&k), k] {
                        let s = k.as_str();
                        assert!(s.len() <= MAX_KEY_LEN, "{} bytes: {s}", s.len());
                        let u = url::Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
                        assert_eq!(u.scheme(), "https");
                        assert!(u.query().is_none() && u.fragment().is_none(), "{s}");
                        assert!(!s.contains('?') && !s.contains('#') && !s.contains('@'), "{s}");
                        assert!(parse(s).is_some(), "not recognised as ours: {s}");
                    }
                }
            }
        }
        let long = token(&long_host, None);
        assert_eq!(long, token(&long_host, None));
        assert_ne!(long, token(&format!("https://{}.example/mcp", "a".repeat(251)), None));
    }

    #[test]
    fn profiles_are_in_the_key() {
        let plain = token("https://a.example", Some("ci-1.prod_x"));
        assert!(plain.as_str().contains("/token/ci-1.prod_x/"), "{plain}");
        let hashed = token("https://a.example", Some("with space"));
        let parsed = parse(hashed.as_str()).expect("ours");
        assert!(parsed.profile.starts_with('~') && parsed.profile.len() == 17, "{parsed:?}");
        assert_ne!(hashed, token("https://a.example", Some("with  space")));
    }

    #[test]
    fn parses_ours_and_rejects_foreign() {
        let head = token("https://a.example:8080/mcp", Some("p"));
        assert_eq!(parse(head.as_str()), Some(Parsed { kind: Kind::Token, profile: "p".into(), part: None }));
        let p = part(&head, "abcdEFGH", 3);
        assert_eq!(parse(p.as_str()).and_then(|x| x.part), Some(("abcdEFGH".into(), 3)));
        assert_eq!(authority(&head), "a.example.mcp-oauth:8080");
        for foreign in [
            "https://index.docker.io/v1/",
            "https://notion-remote.mcp-dcr",
            "https://a.example/token/default/AAAAAAAAAAAAAAAAAAAAAA",
            "http://a.mcp-oauth/token/default/AAAAAAAAAAAAAAAAAAAAAA",
            "https://.mcp-oauth/token/default/AAAAAAAAAAAAAAAAAAAAAA",
            "https://a.mcp-oauth/secret/default/AAAAAAAAAAAAAAAAAAAAAA",
            "https://a.mcp-oauth/token/default/AAAA",
            "https://a.mcp-oauth/token/default/AAAAAAAAAAAAAAAAAAAAAA/x",
            "https://a.mcp-oauth/token/default/AAAAAAAAAAAAAAAAAAAAAA/abcdEFGH/01",
            "https://a.mcp-oauth/token/a b/AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(parse(foreign), None, "{foreign}");
        }
    }
}
