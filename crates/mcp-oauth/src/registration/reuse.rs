//! When a stored client is used again and when it is replaced. Reuse sends nothing to the
//! server, so it is the default; but a client is only good for the issuer it is bound to
//! (SEP-2352), while its secret lives, and for the redirect URI and method it was
//! registered with. A replaced registration is deleted at the server (RFC 7592) rather
//! than left to linger there forever.

use super::Options;
use crate::client::{ClientRecord, ClientSource};
use crate::http::Http;
use crate::metadata::AuthorizationServerMetadata;

/// A secret that dies within this many seconds would die in the middle of a login.
const SECRET_EXPIRY_MARGIN: u64 = 60;

/// Why a stored client cannot be used for this run, or `None` when it can.
pub fn unusable_reason(stored: &ClientRecord, issuer: &str, opts: &Options, now: u64) -> Option<String> {
    if stored.issuer != issuer {
        return Some(format!("the stored client belongs to {}, not {issuer}", stored.issuer));
    }
    if opts.force {
        return Some("a new registration was asked for".into());
    }
    if stored.secret_expired(now + SECRET_EXPIRY_MARGIN) {
        return Some("its client secret has expired".into());
    }
    if let Some(wanted) = &opts.redirect_uri
        && stored.redirect_uri.as_deref() != Some(wanted.as_str())
    {
        return Some(format!(
            "it was registered for the redirect URI {}, not {wanted}",
            stored.redirect_uri.as_deref().unwrap_or("(none)")
        ));
    }
    if let Some(m) = opts.wanted_auth_method()
        && m != stored.auth_method
    {
        return Some(format!("it authenticates with {}, not {m}", stored.auth_method));
    }
    if let Some(url) = &opts.client_metadata_url
        && (stored.source != ClientSource::MetadataDocument || stored.client_id != url.as_str())
    {
        return Some(format!("the client metadata document URL {url} names another client"));
    }
    None
}

/// The stored client to use again, when it is good for this run. Flags naming a client
/// replace whatever is stored (the user knows better).
pub(super) fn reusable<'a>(
    stored: Option<&'a ClientRecord>,
    issuer: &str,
    opts: &Options,
    now: u64,
    warnings: &mut Vec<String>,
) -> Option<&'a ClientRecord> {
    let stored = stored.filter(|_| opts.client_id.is_none())?;
    match unusable_reason(stored, issuer, opts, now) {
        None => Some(stored),
        // --force is the user's own wish; every other reason is news to them.
        Some(_) if opts.force => None,
        Some(reason) => {
            warnings.push(format!("not reusing the stored client {}: {reason}", stored.client_id));
            None
        }
    }
}

/// Records the issuer's endpoints with the client; says whether that changed anything.
pub(super) fn bind_endpoints(record: &mut ClientRecord, metadata: &AuthorizationServerMetadata) -> bool {
    let before = (record.token_endpoint.take(), record.revocation_endpoint.take());
    record.token_endpoint = metadata.token_endpoint.clone();
    record.revocation_endpoint = metadata.revocation_endpoint.clone();
    before != (record.token_endpoint.clone(), record.revocation_endpoint.clone())
}

/// Deletes the registration `replacement` replaced, once the replacement is safely stored,
/// and never fails the run over it: the old one would otherwise linger at the server.
pub(super) fn retire_replaced(
    http: &Http,
    stored: Option<&ClientRecord>,
    replacement: &ClientRecord,
    warnings: &mut Vec<String>,
) {
    if let Some(old) = stored.filter(|s| s.issuer == replacement.issuer && s.client_id != replacement.client_id)
        && let Err(e) = crate::revocation::delete_registration(http, old)
    {
        warnings.push(format!("could not delete the replaced registration {} at the server: {e}", old.client_id));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ISSUER, key, record};
    use super::*;
    use crate::client::AuthMethod;
    use url::Url;

    #[test]
    fn reuse_rules() {
        let now = 1_000_000;
        let opts = Options::default();
        assert_eq!(unusable_reason(&record(), ISSUER, &opts, now), None);

        // Bound to its issuer, compared exactly (SEP-2352): a trailing slash is another issuer.
        assert!(unusable_reason(&record(), "https://as.example/", &opts, now).unwrap().contains("belongs to"));

        let force = Options { force: true, ..Options::default() };
        assert_eq!(
            unusable_reason(&record(), ISSUER, &force, now).as_deref(),
            Some("a new registration was asked for")
        );

        let mut expired = record();
        expired.client_secret_expires_at = Some(now - 1);
        assert!(unusable_reason(&expired, ISSUER, &opts, now).unwrap().contains("expired"));
        expired.client_secret_expires_at = Some(0);
        assert_eq!(unusable_reason(&expired, ISSUER, &opts, now), None, "0 means never");
        expired.client_secret_expires_at = Some(now + 10);
        assert!(unusable_reason(&expired, ISSUER, &opts, now).is_some(), "about to expire counts as expired");

        // mcp-remote PR #292: another redirect means another registration.
        let same =
            Options { redirect_uri: Some(Url::parse("http://127.0.0.1:4711/callback").unwrap()), ..Options::default() };
        assert_eq!(unusable_reason(&record(), ISSUER, &same, now), None);
        let other =
            Options { redirect_uri: Some(Url::parse("http://127.0.0.1:5000/callback").unwrap()), ..Options::default() };
        assert!(unusable_reason(&record(), ISSUER, &other, now).unwrap().contains("redirect URI"));

        let method = Options { auth_method: Some(AuthMethod::ClientSecretBasic), ..Options::default() };
        assert!(unusable_reason(&record(), ISSUER, &method, now).is_some());
        // A key file alone asks for private_key_jwt.
        let keyed = Options { credentials: key(), ..Options::default() };
        assert!(unusable_reason(&record(), ISSUER, &keyed, now).unwrap().contains("private_key_jwt"));
    }
}
