//! A client registration as stored and as reported: who we are to one authorization server.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Token-endpoint client authentication (RFC 6749 §2.3, RFC 7523, RFC 8414 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] =
        [AuthMethod::None, AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost, AuthMethod::PrivateKeyJwt];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    pub fn needs_secret(self) -> bool {
        matches!(self, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            format!(
                "unknown authentication method {s:?} (none, client_secret_basic, client_secret_post, private_key_jwt)"
            )
        })
    }
}

/// How the client came to be: the spec's registration priority, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    PreRegistered,
    MetadataDocument,
    Dynamic,
}

/// The stored client record (one credential-store entry per issuer and profile).
/// Secrets live only here and in the store, never in the pipeline document by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The issuer this client is bound to (MCP 2026-07-28, SEP-2352): never used elsewhere.
    pub issuer: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// RFC 7591 §3.2.1: 0 means "does not expire".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<u64>,
    pub auth_method: AuthMethod,
    pub source: ClientSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// For `private_key_jwt`: where the signing key is (the key itself stays in its file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// RFC 7592 management, kept so `mcp-revoke --client` can delete the registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// Seconds since the epoch.
    pub created_at: u64,
    /// The issuer's token and revocation endpoints as its metadata named them when this
    /// client was registered or last reused. The client's credentials go nowhere else,
    /// whatever a token record names (see [`ClientRecord::check_endpoint`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
}

/// Which endpoint of the client's issuer a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Token,
    Revocation,
}

impl ClientRecord {
    /// Refuses to send this client's credentials (or a refresh token) to `url` unless it is
    /// the issuer's endpoint recorded with the client; for records from before endpoints
    /// were recorded, unless it is on the issuer's own origin. A token record is only data
    /// in the store, and someone able to plant one must not be able to redirect them.
    pub fn check_endpoint(&self, kind: EndpointKind, url: &str) -> crate::error::Result<()> {
        let (name, recorded) = match kind {
            EndpointKind::Token => ("token", &self.token_endpoint),
            EndpointKind::Revocation => ("revocation", &self.revocation_endpoint),
        };
        let allowed = match recorded {
            Some(r) => r == url,
            None => same_origin(url, &self.issuer),
        };
        if allowed {
            return Ok(());
        }
        let expected = recorded.clone().unwrap_or_else(|| format!("an endpoint on {}", self.issuer));
        Err(crate::error::Error::Security(format!(
            "the stored token names {url} as the {name} endpoint, but client {} of {} uses {expected}: \
             not sending its credentials there (was the token entry tampered with?); run mcp-authorize again",
            self.client_id, self.issuer
        )))
    }

    pub fn secret_expired(&self, now: u64) -> bool {
        matches!(self.client_secret_expires_at, Some(t) if t != 0 && t <= now)
    }
}

fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_method_names_round_trip() {
        for m in AuthMethod::ALL {
            assert_eq!(m.as_str().parse::<AuthMethod>().unwrap(), m);
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert!("client_secret_jwt".parse::<AuthMethod>().is_err());
    }

    #[test]
    fn debug_shows_no_secret_and_the_stored_json_is_unchanged() {
        let stored = serde_json::json!({
            "issuer": "https://as.example", "client_id": "c", "client_secret": "CS-1",
            "auth_method": "client_secret_basic", "source": "dynamic",
            "registration_access_token": "RAT-1", "registration_client_uri": "https://as.example/reg/c",
            "created_at": 0,
        });
        let c: ClientRecord = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap(), stored);
        let shown = format!("{c:?}");
        assert!(!shown.contains("CS-1") && !shown.contains("RAT-1"), "{shown}");
        assert_eq!(c.client_secret.as_ref().map(Secret::expose), Some("CS-1"));
    }

    #[test]
    fn credentials_only_go_to_the_recorded_endpoints() {
        let mut c: ClientRecord = serde_json::from_value(serde_json::json!({
            "issuer": "https://as.example/tenant", "client_id": "c", "client_secret": "s",
            "auth_method": "client_secret_basic", "source": "pre_registered", "created_at": 0,
        }))
        .unwrap();
        // A record from before endpoints were recorded: the issuer's origin only.
        assert!(c.check_endpoint(EndpointKind::Token, "https://as.example/oauth/token").is_ok());
        let e = c.check_endpoint(EndpointKind::Token, "https://evil.example/token").unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
        assert!(e.to_string().contains("https://evil.example/token"), "{e}");
        assert!(c.check_endpoint(EndpointKind::Revocation, "http://as.example/revoke").is_err(), "another scheme");
        // Recorded: exactly that one, even on another host.
        c.token_endpoint = Some("https://login.example/token".into());
        assert!(c.check_endpoint(EndpointKind::Token, "https://login.example/token").is_ok());
        assert!(c.check_endpoint(EndpointKind::Token, "https://as.example/oauth/token").is_err());
        assert!(c.check_endpoint(EndpointKind::Revocation, "https://as.example/revoke").is_ok());
    }
}
