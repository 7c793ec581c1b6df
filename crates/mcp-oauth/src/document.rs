//! The pipeline document: one versioned JSON object that each tool reads on stdin,
//! enriches with its step, and writes on stdout (the reading and writing are
//! `mcp_oauth_cli::pipe`'s; this is the document and its parsing).
//!
//! It never carries tokens or client secrets unless the user asks (`--reveal-secrets`);
//! it carries the store keys the next step needs to find them. The schema is documented
//! in the README ("The pipeline document"). The steps take it as stage types, which
//! `stage` parses it into.

use crate::client::{AuthMethod, ClientSource};
use crate::error::{Error, Result};
use crate::metadata::{AuthorizationServerMetadata, ResourceMetadata};
use crate::www_authenticate::Challenge;
use serde::{Deserialize, Serialize};

mod stage;
pub use stage::{Authorized, Discovered, Registered};

/// Bumped on any change an older reader would misread; readers refuse other versions.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Always [`VERSION`].
    pub mcp_oauth: u32,
    /// The MCP server URL as given.
    pub server_url: String,
    /// The RFC 8707 resource identifier sent on every authorization and token request.
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<AuthorizationServer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// How the authorization server was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoverySource {
    /// RFC 9728 protected-resource metadata (the current spec).
    ResourceMetadata,
    /// No resource metadata: the 2025-03-26 rule, the MCP server's origin is the issuer.
    Legacy,
    /// Given by the user (flags or a metadata file).
    Manual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    pub source: DiscoverySource,
    /// HTTP status of the unauthenticated probe, if one was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_status: Option<u16>,
    /// The `Bearer` challenge of the probe's `WWW-Authenticate`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Challenge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_metadata_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_metadata: Option<ResourceMetadata>,
}

/// Where the registration step can get a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationOption {
    PreRegistered,
    MetadataDocument,
    Dynamic,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationServer {
    /// The validated issuer: credentials are bound to it.
    pub issuer: String,
    /// Every authorization server the resource listed (the chosen one is `issuer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
    pub metadata: AuthorizationServerMetadata,
    pub pkce_s256: bool,
    pub registration_options: Vec<RegistrationOption>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeSource {
    /// `scope` of the 401 challenge (authoritative for the operation).
    Challenge,
    /// All of the resource metadata's `scopes_supported`.
    ResourceMetadata,
    /// Given with `--scope`.
    User,
    /// Step-up: the union of what was granted and what the 403 challenge asked for.
    StepUp,
    /// Nothing advertised: `scope` is omitted.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeChoice {
    pub scopes: Vec<String>,
    pub source: ScopeSource,
}

impl ScopeChoice {
    /// The space-separated form for `scope=`, or `None` when empty.
    pub fn joined(&self) -> Option<String> {
        if self.scopes.is_empty() { None } else { Some(self.scopes.join(" ")) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientInfo {
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub source: ClientSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// The credential-store key of the client record.
    pub store_key: String,
    /// Only with `--reveal-secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<crate::secret::Secret>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInfo {
    /// The credential-store key of the token set.
    pub store_key: String,
    pub token_type: String,
    /// Seconds since the epoch; absent when the server gave no lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub has_refresh_token: bool,
    /// Which grant produced it: authorization_code, refresh_token, device_code, client_credentials.
    pub grant: crate::grant_type::GrantType,
    /// Only with `--reveal-secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<crate::secret::Secret>,
    /// Only with `--reveal-secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<crate::secret::Secret>,
}

/// The first half of a headless hand-off: what to open, and where the rest waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingInfo {
    pub authorization_url: String,
    /// The credential-store key holding the verifier and state until the second half.
    pub store_key: String,
    pub expires_at: u64,
}

/// A deviation from the specs noticed on the way (`--check` lists them all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
    /// The rule, e.g. "RFC 8414 §3.3".
    pub reference: String,
    /// The rule's stable id (`crate::discovery::rules`); empty in documents of older versions.
    #[serde(default)]
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<crate::discovery::rules::Step>,
    /// What the server should send instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

impl Document {
    pub fn new(server_url: &url::Url, resource: String, profile: Option<String>) -> Self {
        Document {
            mcp_oauth: VERSION,
            server_url: server_url.to_string(),
            resource,
            profile,
            discovery: None,
            authorization_server: None,
            scope: None,
            client: None,
            token: None,
            pending: None,
            findings: Vec::new(),
        }
    }

    /// Parses a document, with one-line errors that say what is wrong with it.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::InvalidInput(
                "no input document: the previous step printed nothing (see its error above); or give the MCP server URL".into(),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::InvalidInput(format!("the input document is not JSON ({e})")))?;
        match value.get("mcp_oauth") {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(VERSION as u64) => {}
            Some(v) => {
                return Err(Error::InvalidInput(format!(
                    "the input document has version {v}, this tool reads version {VERSION}"
                )));
            }
            None => {
                return Err(Error::InvalidInput(
                    "the input is not an mcp-oauth document (no \"mcp_oauth\" version member)".into(),
                ));
            }
        }
        serde_json::from_value(value).map_err(|e| Error::InvalidInput(format!("the input document is malformed: {e}")))
    }

    pub fn to_json(&self, pretty: bool) -> String {
        let r = if pretty { serde_json::to_string_pretty(self) } else { serde_json::to_string(self) };
        r.expect("a Document always serializes")
    }

    pub fn server(&self) -> Result<url::Url> {
        crate::url_policy::parse("server URL in the document", &self.server_url)
    }

    pub fn add_finding(&mut self, f: Finding) {
        if !self.findings.contains(&f) {
            self.findings.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document::new(&url::Url::parse("http://127.0.0.1:9/mcp").unwrap(), "http://127.0.0.1:9/mcp".into(), None)
    }

    #[test]
    fn round_trips() {
        let d = sample();
        assert_eq!(Document::parse(&d.to_json(true)).unwrap(), d);
        assert_eq!(Document::parse(&d.to_json(false)).unwrap(), d);
    }

    #[test]
    fn bad_documents_are_usage_errors_with_a_reason() {
        for (input, needle) in [
            ("", "no input"),
            ("{", "not JSON"),
            ("[1]", "not an mcp-oauth document"),
            (r#"{"mcp_oauth":99,"server_url":"x","resource":"x"}"#, "version 99"),
            (r#"{"mcp_oauth":1,"server_url":"x"}"#, "malformed"),
            (r#"{"mcp_oauth":1,"server_url":"x","resource":"x","surprise":1}"#, "malformed"),
        ] {
            let e = Document::parse(input).unwrap_err();
            assert_eq!(e.exit_code().code(), 2, "{input}");
            assert!(e.to_string().contains(needle), "{input}: {e}");
        }
    }
}
