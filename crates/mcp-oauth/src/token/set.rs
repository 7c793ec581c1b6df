//! The stored token set: what a grant's response becomes ([`TokenSet::new`]), the store key
//! it lives under ([`store_key`]), and what is read from it (the `Authorization` header,
//! whether it is still valid, its scopes, the document's view). Kept apart from requests
//! so that reading a stored token needs nothing of the network.

use super::response::TokenResponse;
use crate::error::{Error, Result};
use crate::grant_type::GrantType;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// What is stored per resource and profile. It records the issuer and client it came from
/// and the endpoint to refresh at, so that `mcp-token` needs nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSet {
    pub issuer: String,
    pub client_id: String,
    pub resource: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    pub access_token: Secret,
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// What was granted (the response's `scope`, else what was requested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// What was asked for: step-up takes the union of this and the challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    pub grant: GrantType,
    pub obtained_at: u64,
    /// Where the refresh token went when the grant was handed to another program (the
    /// Docker MCP gateway): this record keeps the access token only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_to: Option<String>,
    /// For a workload's jwt-bearer grant (SEP-1933): where its JWT is read again to renew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<crate::workload::Source>,
    /// The enterprise IdP's issuer when this set came from an ID-JAG (SEP-990): renewed by
    /// a new token exchange there, not by a refresh token (see `enterprise`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// The RFC 7638 thumbprint of the DPoP key the grant was made with: refreshes carry a
    /// proof of that key, and a `DPoP` token is presented only with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

/// The store key of the token set for an MCP server. Keyed by the canonical *server URL*
/// (not the resource, which only discovery knows), so `mcp-token URL` finds it with one
/// `get` and no network. Every tool that stores or reads tokens goes through this.
pub fn store_key(server_url: &str, profile: Option<&str>) -> Result<crate::store::Key> {
    let url = crate::url_policy::parse("MCP server URL", server_url)?;
    Ok(crate::store::keys::token(&crate::url_policy::canonical_resource(&url), profile))
}

/// Where a token set came from, beyond the response itself.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub resource: &'a str,
    pub token_endpoint: &'a str,
    pub revocation_endpoint: Option<&'a str>,
    pub grant: GrantType,
    pub requested_scope: Option<&'a str>,
}

impl TokenSet {
    /// `previous_refresh` is kept when the server did not rotate (RFC 6749 §6: the
    /// client keeps using the old one); losing it would force a new login.
    pub fn new(resp: TokenResponse, origin: &Origin<'_>, previous_refresh: Option<&Secret>, now: u64) -> Self {
        TokenSet {
            issuer: origin.issuer.to_string(),
            client_id: origin.client_id.to_string(),
            resource: origin.resource.to_string(),
            token_endpoint: origin.token_endpoint.to_string(),
            revocation_endpoint: origin.revocation_endpoint.map(String::from),
            access_token: resp.access_token,
            token_type: resp.token_type,
            refresh_token: resp.refresh_token.or_else(|| previous_refresh.cloned()),
            expires_at: resp.expires_in.map(|s| now.saturating_add(s)),
            scope: resp.scope.or_else(|| origin.requested_scope.map(String::from)),
            requested_scope: origin.requested_scope.map(String::from),
            id_token: resp.id_token,
            grant: origin.grant.clone(),
            obtained_at: now,
            handed_to: None,
            workload: None,
            idp: None,
            dpop_jkt: None,
        }
    }

    /// Refuses a set that is not for `server_url`: the store answered with another entry's
    /// record (records from before records named their key are only checked this way).
    /// The resource is the server URL, canonical or as given, or its origin when the
    /// server's metadata lives at the root (see `discovery`).
    pub fn check_for(&self, server_url: &str, key: &crate::store::Key) -> Result<()> {
        let url = crate::url_policy::parse("MCP server URL", server_url)?;
        let origin = crate::url_policy::origin(&url);
        let ours = [url.to_string(), crate::url_policy::canonical_resource(&url), format!("{origin}/"), origin];
        if ours.contains(&self.resource) {
            return Ok(());
        }
        Err(Error::Store(format!(
            "asked for {key} ({server_url}), the store answered with a token for {}; refusing it",
            self.resource
        )))
    }

    /// The `Authorization` header's value. RFC 6750 wants `Bearer`; servers that send
    /// `bearer` as the token type still expect `Bearer`. Other types are sent as given.
    pub fn authorization(&self) -> String {
        let scheme = if self.token_type.eq_ignore_ascii_case("bearer") { "Bearer" } else { &self.token_type };
        format!("{scheme} {}", self.access_token.expose())
    }

    /// Valid for at least `min_valid` more seconds. A token without an expiry is taken
    /// as valid: the server gave no lifetime, and only a 401 can tell otherwise.
    pub fn valid_for(&self, min_valid: u64, now: u64) -> bool {
        self.expires_at.is_none_or(|t| t > now.saturating_add(min_valid))
    }

    pub fn scopes(&self) -> crate::scope::Scopes {
        crate::scope::Scopes::parse(self.scope.as_deref().unwrap_or(""))
    }

    /// The document's view: no secrets unless revealed.
    pub fn info(&self, store_key: &crate::store::Key, reveal: bool) -> crate::document::TokenInfo {
        crate::document::TokenInfo {
            store_key: store_key.to_string(),
            token_type: self.token_type.clone(),
            expires_at: self.expires_at,
            scope: self.scope.clone(),
            has_refresh_token: self.refresh_token.is_some(),
            grant: self.grant.clone(),
            access_token: reveal.then(|| self.access_token.clone()),
            refresh_token: if reveal { self.refresh_token.clone() } else { None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Grant, response::tests::parse};
    use super::*;
    use serde_json::json;

    #[test]
    fn the_authorization_header_says_bearer_as_rfc_6750_spells_it() {
        let with_type = |t: &str| -> TokenSet {
            serde_json::from_value(json!({
                "issuer": "https://as.example", "client_id": "c", "resource": "https://mcp.example/mcp",
                "token_endpoint": "https://as.example/token", "access_token": "at", "token_type": t,
                "grant": "authorization_code", "obtained_at": 0,
            }))
            .unwrap()
        };
        assert_eq!(with_type("bearer").authorization(), "Bearer at");
        assert_eq!(with_type("BEARER").authorization(), "Bearer at");
        assert_eq!(with_type("DPoP").authorization(), "DPoP at", "other schemes are sent as the server named them");
    }

    #[test]
    fn token_set_keeps_an_unrotated_refresh_token() {
        let origin = Origin {
            issuer: "i",
            client_id: "c",
            resource: "r",
            token_endpoint: "t",
            revocation_endpoint: None,
            grant: GrantType::RefreshToken,
            requested_scope: Some("a"),
        };
        let resp = parse(json!({"access_token":"new","expires_in":60})).unwrap();
        let set = TokenSet::new(resp, &origin, Some(&Secret::from("old-rt")), 1000);
        assert_eq!(set.refresh_token.as_ref().map(Secret::expose), Some("old-rt"));
        assert_eq!(set.expires_at, Some(1060));
        assert_eq!(set.scope.as_deref(), Some("a"));
        assert!(set.valid_for(59, 1000));
        assert!(!set.valid_for(60, 1000));
    }

    #[test]
    fn debug_shows_no_secret_and_the_stored_json_is_unchanged() {
        let stored = json!({
            "issuer": "i", "client_id": "c", "resource": "r", "token_endpoint": "t",
            "access_token": "AT-1", "token_type": "Bearer", "refresh_token": "RT-1", "id_token": "ID-1",
            "grant": "authorization_code", "obtained_at": 5,
        });
        let set: TokenSet = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(&set).unwrap(), stored, "a stored record round-trips byte for byte");
        let grant = Grant::AuthorizationCode {
            code: Secret::from("CODE-1"),
            code_verifier: Secret::from("VER-1"),
            redirect_uri: "http://127.0.0.1/cb".into(),
        };
        let resp = parse(json!({"access_token":"AT-2","refresh_token":"RT-2","id_token":"ID-2"})).unwrap();
        let shown = format!("{set:?} {grant:?} {resp:?} {:?}", Grant::RefreshToken { refresh_token: "RT-3".into() });
        for secret in ["AT-1", "RT-1", "ID-1", "CODE-1", "VER-1", "AT-2", "RT-2", "ID-2", "RT-3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn a_set_for_another_resource_is_refused() {
        let origin = |resource| Origin {
            issuer: "i",
            client_id: "c",
            resource,
            token_endpoint: "t",
            revocation_endpoint: None,
            grant: GrantType::AuthorizationCode,
            requested_scope: None,
        };
        let resp = parse(json!({"access_token":"a"})).unwrap();
        let key = store_key("https://mcp.example/mcp", None).unwrap();
        for ours in ["https://mcp.example/mcp", "https://mcp.example", "https://mcp.example/"] {
            let set = TokenSet::new(resp.clone(), &origin(ours), None, 0);
            assert!(set.check_for("https://mcp.example/mcp", &key).is_ok(), "{ours}");
        }
        for other in ["https://other.example/mcp", "https://mcp.example/mcp2", "https://mcp.example:8443/mcp"] {
            let e = TokenSet::new(resp.clone(), &origin(other), None, 0)
                .check_for("https://mcp.example/mcp", &key)
                .unwrap_err();
            assert_eq!(e.exit_code().code(), 6, "{other}");
            assert!(e.to_string().contains(other), "{e}");
        }
    }
}
