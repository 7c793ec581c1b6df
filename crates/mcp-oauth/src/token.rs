//! Token-endpoint requests (code exchange, refresh, client credentials, device code) and
//! the stored token set.
//!
//! API contract (other modules are written against it):
//! - [`request`] sends one grant with the client's authentication and the RFC 8707
//!   `resource`, and parses the answer leniently (string `expires_in`, missing
//!   `token_type`, 200 or 201) into a [`TokenResponse`];
//! - [`TokenSet::new`] turns a response into the record stored under `keys::token`.

use crate::client::ClientRecord;
use crate::error::{Error, Result};
use crate::http::Http;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One token-endpoint grant.
#[derive(Debug, Clone)]
pub enum Grant {
    AuthorizationCode { code: String, code_verifier: String, redirect_uri: String },
    RefreshToken { refresh_token: String },
    ClientCredentials,
    /// RFC 8628 §3.4.
    DeviceCode { device_code: String },
}

impl Grant {
    pub fn name(&self) -> &'static str {
        match self {
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::RefreshToken { .. } => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
            Grant::DeviceCode { .. } => "device_code",
        }
    }
}

/// Where and as whom a grant is sent.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub token_endpoint: &'a str,
    /// The validated issuer: the `aud` of a `private_key_jwt` assertion.
    pub issuer: &'a str,
    pub client: &'a ClientRecord,
}

/// A successful token response (RFC 6749 §5.1), parsed leniently.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub id_token: Option<String>,
    pub extra: Map<String, Value>,
}

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
    pub access_token: String,
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
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
    pub id_token: Option<String>,
    pub grant: String,
    pub obtained_at: u64,
}

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Sends one grant to the token endpoint and returns the parsed success response. An
/// OAuth error answer becomes [`Error::OAuth`] (so `invalid_grant` is recognisable).
pub fn request(
    _http: &Http,
    _endpoint: Endpoint<'_>,
    _grant: &Grant,
    _resource: &str,
    _scope: Option<&str>,
) -> Result<TokenResponse> {
    Err(Error::Internal("token requests are not implemented yet".into()))
}
