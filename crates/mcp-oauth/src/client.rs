//! A client registration as stored and as reported: who we are to one authorization server.

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
    pub client_secret: Option<String>,
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
    pub registration_access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// Seconds since the epoch.
    pub created_at: u64,
}

impl ClientRecord {
    pub fn secret_expired(&self, now: u64) -> bool {
        matches!(self.client_secret_expires_at, Some(t) if t != 0 && t <= now)
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
}
