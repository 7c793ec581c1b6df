//! Renewal policy: [`fresh`] returns the stored token or renews it under the key's lock,
//! [`refresh`] picks how a stored set is renewed (refresh token, client credentials again,
//! a workload's JWT, an enterprise token exchange), and a dead grant becomes "login
//! required" with the [`Remedy`] that fits the kind of client.

use super::{Endpoint, Grant, Origin, TokenSet, request, store_key};
use crate::client::ClientRecord;
use crate::clock::now;
use crate::error::{Error, Result};
use crate::grant_type::GrantType;
use crate::http::Http;
use crate::remedy::Remedy;

/// How a usable token was obtained by [`fresh`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Straight from the store: no network, one `get`.
    Cached,
    Refreshed,
}

/// How to get a new token, for "login required" errors: a machine client needs the
/// client-credentials grant again, since a plain login would open a browser. `grant` is
/// `None` when nothing stored tells which kind of client it is.
fn login_hint(resource: &str, profile: Option<&str>, grant: Option<&GrantType>) -> Remedy {
    let grant = grant.map(|g| match g {
        GrantType::ClientCredentials | GrantType::DeviceCode => g.clone(),
        _ => GrantType::AuthorizationCode,
    });
    Remedy::Login { server: Some(resource.to_string()), grant, profile: profile.map(String::from) }
}

/// A token for the MCP server valid for at least `min_valid` seconds: the stored one when it
/// is, else a refreshed one, persisted before it is returned.
///
/// Two processes refreshing at once with rotating refresh tokens would otherwise both
/// spend the same refresh token and one would lose: the refresh happens under the key's
/// lock, and the entry is re-read inside it, so the second process finds the first one's
/// fresh token and uses it. A refused refresh erases nothing: the user may still want to
/// revoke, or the failure may be the server's. The refresh token is only spent once the
/// store has shown it can keep the result ([`crate::store::Store::reserve`]).
pub fn fresh(
    http: &Http,
    store: &crate::store::Store,
    server_url: &str,
    profile: Option<&str>,
    min_valid: u64,
) -> Result<(TokenSet, Freshness)> {
    let key = store_key(server_url, profile)?;
    let missing = || {
        Error::LoginRequired(format!("no token stored for {server_url}"))
            .with_hint(login_hint(server_url, profile, None))
    };
    let load = || -> Result<TokenSet> {
        let set: TokenSet = store.load(&key)?.ok_or_else(missing)?;
        crate::enterprise::not_a_session(&set, server_url)?;
        set.check_for(server_url, &key)?;
        Ok(set)
    };
    let set = load()?;
    if set.valid_for(min_valid, now()) {
        return Ok((set, Freshness::Cached));
    }
    let _guard = store.lock(&key)?;
    let set = load()?;
    if set.valid_for(min_valid, now()) {
        return Ok((set, Freshness::Refreshed));
    }
    let reservation = store.reserve(&key)?;
    let refreshed = refresh(http, store, &set, profile)?;
    store.commit(reservation, &refreshed)?;
    Ok((refreshed, Freshness::Refreshed))
}

/// Whether a token-endpoint error means the stored grant is dead (not a server failure).
fn refused(error: Option<&str>, client_credentials: bool) -> bool {
    match error {
        Some("invalid_grant") => true,
        Some("invalid_client" | "unauthorized_client") => client_credentials,
        _ => false,
    }
}

/// How a set gets a new grant: a workload's from its source, any other by a login of its kind.
pub(crate) fn new_grant(set: &TokenSet, profile: Option<&str>) -> crate::remedy::Remedy {
    match &set.workload {
        Some(source) => crate::remedy::Remedy::Workload {
            server: set.resource.clone(),
            source: source.clone(),
            profile: profile.map(String::from),
        },
        None => login_hint(&set.resource, profile, Some(&set.grant)),
    }
}

/// One renewal of a stored set, under the caller's lock: RFC 6749 §6 refresh (with
/// `resource`), or for a client-credentials set the client-credentials grant again with
/// the stored secret or key (RFC 6749 §4.4.3: such sets rarely carry a refresh token, and
/// the grant needs no user, so no login should be asked for), or for a workload's set the
/// jwt-bearer grant again with a JWT from the same source.
pub fn refresh(http: &Http, store: &crate::store::Store, set: &TokenSet, profile: Option<&str>) -> Result<TokenSet> {
    let hint = || new_grant(set, profile);
    let client_credentials = set.grant == GrantType::ClientCredentials;
    let refresh_token = set.refresh_token.as_ref();
    if refresh_token.is_none() && !client_credentials && set.workload.is_none() && set.idp.is_none() {
        let why = match &set.handed_to {
            Some(to) => format!("its refresh token was handed to {to}, which renews it there"),
            None => "there is no refresh token".to_string(),
        };
        return Err(Error::LoginRequired(format!(
            "the token for {} is too close to expiry (or expired) and {why}",
            set.resource
        ))
        .with_hint(hint()));
    }
    let client: ClientRecord = match set.workload {
        // A workload without a client id never had a client record.
        Some(_) if set.client_id.is_empty() => crate::workload::anonymous(&set.issuer),
        _ => store.load(&crate::store::keys::client(&set.issuer, profile))?.ok_or_else(|| {
            Error::LoginRequired(format!(
                "the client registration for {} is gone, so the token cannot be renewed",
                set.issuer
            ))
            .with_hint(hint())
        })?,
    };
    if client.client_id != set.client_id || client.issuer != set.issuer {
        return Err(Error::LoginRequired(format!(
            "the stored token was issued to client {} but the client for {} is now {}",
            set.client_id, set.issuer, client.client_id
        ))
        .with_hint(hint()));
    }
    client.check_endpoint(crate::client::EndpointKind::Token, &set.token_endpoint)?;
    if let Some(idp) = &set.idp {
        return crate::enterprise::renew(http, store, set, &client, idp, profile);
    }
    let dpop = crate::dpop::for_refresh(store, set, profile)?;
    let endpoint =
        Endpoint { token_endpoint: &set.token_endpoint, issuer: &set.issuer, client: &client, dpop: dpop.as_ref() };
    if let Some(source) = &set.workload {
        return crate::workload::renew(http, endpoint, set, source);
    }
    let (grant, scope) = match refresh_token {
        Some(rt) if !client_credentials => (Grant::RefreshToken { refresh_token: rt.clone() }, None),
        _ => (Grant::ClientCredentials, set.requested_scope.as_deref()),
    };
    let resp = match request(http, endpoint, &grant, &set.resource, scope) {
        Ok(r) => r,
        // invalid_grant: the refresh token is dead; for a machine client, invalid_client:
        // its stored secret or key no longer works. New credentials or a login are the answer.
        Err(e) if refused(e.oauth_error(), client_credentials) => {
            let what = if client_credentials { "the client credentials" } else { "the refresh token" };
            return Err(Error::LoginRequired(format!("the server refused {what} ({e})")).with_hint(hint()));
        }
        Err(e) => return Err(e),
    };
    let origin = Origin {
        issuer: &set.issuer,
        client_id: &set.client_id,
        resource: &set.resource,
        token_endpoint: &set.token_endpoint,
        revocation_endpoint: set.revocation_endpoint.as_deref(),
        grant: grant.kind(),
        requested_scope: set.requested_scope.as_deref(),
    };
    let mut new = TokenSet::new(resp, &origin, refresh_token, now());
    new.dpop_jkt = set.dpop_jkt.clone();
    // A refresh returns the same scope when it says nothing (RFC 6749 §5.1).
    if new.scope == new.requested_scope && set.scope.is_some() {
        new.scope = set.scope.clone();
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_command_for_the_kind_of_client() {
        let url = "https://mcp.example/mcp";
        // The words and flags are the command line's (mcp_oauth_cli::remedy's tests).
        let login = |grant: Option<GrantType>, profile: Option<&str>| Remedy::Login {
            server: Some(url.into()),
            grant,
            profile: profile.map(String::from),
        };
        assert_eq!(
            login_hint(url, None, Some(&GrantType::RefreshToken)),
            login(Some(GrantType::AuthorizationCode), None)
        );
        assert_eq!(
            login_hint(url, Some("ci"), Some(&GrantType::ClientCredentials)),
            login(Some(GrantType::ClientCredentials), Some("ci"))
        );
        assert_eq!(login_hint(url, None, None), login(None, None));
        assert!(refused(Some("invalid_client"), true) && !refused(Some("invalid_client"), false));
        assert!(refused(Some("invalid_grant"), false) && !refused(Some("server_error"), true));
    }
}
