//! Getting a client for an authorization server, in the MCP spec's order of preference:
//! a pre-registered client, a Client ID Metadata Document, or RFC 7591 dynamic
//! registration (deprecated in MCP 2026-07-28, still what most servers offer).
//!
//! A client is bound to the issuer it was obtained from (SEP-2352): it is stored under that
//! issuer's key, carries the issuer in its record, and is never used for another one.
//!
//! Here live the user's wishes ([`Options`]) and what a run ends with ([`Obtained`]), which
//! every step shares. The steps, by the rule each follows:
//! - `obtain`: the entry points, the priority among the three ways ([`RegistrationPlan`]),
//!   and one function per way;
//! - `reuse`: when a stored client is still good, and when it must be replaced;
//! - `auth_method`: which token-endpoint authentication a client uses, and the credentials it needs;
//! - `metadata_document`: Client ID Metadata Documents (the CIMD draft);
//! - `dynamic`: RFC 7591 registration, its request, response and scope.

mod auth_method;
mod dynamic;
mod metadata_document;
mod obtain;
mod reuse;

pub use auth_method::{choose_auth_method, dynamic_auth_method};
pub use dynamic::{
    ApplicationType, RegistrationRequest, RegistrationResponse, register, registration_scope,
    validate_registration_response,
};
pub use metadata_document::{fetch_metadata_document, metadata_document_redirect, metadata_document_url};
pub use obtain::{RegistrationPlan, discover_and_obtain, obtain, obtain_into, plan};
pub use reuse::unusable_reason;

use crate::client::{AuthMethod, ClientRecord};
use crate::document::ClientInfo;
use crate::secret::Secret;
use crate::store::Key;
use url::Url;

pub const DEFAULT_CLIENT_NAME: &str = "mcp-oauth";

/// Credentials the user gave for a client registered with the provider beforehand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub client_secret: Option<Secret>,
    /// Absolute path of a PEM PKCS#8 key (RSA or EC P-256) for `private_key_jwt`.
    pub private_key_file: Option<String>,
    pub key_id: Option<String>,
}

/// What the user asked `mcp-dcr` for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A pre-registered client (`--client-id`): wins over everything else.
    pub client_id: Option<String>,
    /// The Client ID Metadata Document URL (`--client-metadata-url`), already checked.
    pub client_metadata_url: Option<Url>,
    pub credentials: Credentials,
    /// `--auth-method`: for a pre-registered client, the method it was registered with;
    /// for dynamic registration, the method to ask for.
    pub auth_method: Option<AuthMethod>,
    pub client_name: String,
    /// `--redirect-uri` / `--port`; `None` keeps a stored one or picks a free port.
    pub redirect_uri: Option<Url>,
    /// Register anew even if a usable client is stored.
    pub force: bool,
}

impl Options {
    /// The method asked for: `--auth-method`, or `private_key_jwt` implied by a key file.
    pub fn wanted_auth_method(&self) -> Option<AuthMethod> {
        self.auth_method.or(self.credentials.private_key_file.as_ref().map(|_| AuthMethod::PrivateKeyJwt))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            client_id: None,
            client_metadata_url: None,
            credentials: Credentials::default(),
            auth_method: None,
            client_name: DEFAULT_CLIENT_NAME.into(),
            redirect_uri: None,
            force: false,
        }
    }
}

/// How the client in [`Obtained`] came about on this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A stored client was still good.
    Reused,
    /// Registered at the server just now.
    Registered,
    /// Taken from the user's flags (pre-registered or metadata document) and stored.
    Configured,
}

/// The client [`obtain`] settled on, already stored under `key`.
#[derive(Debug)]
pub struct Obtained {
    pub record: ClientRecord,
    pub key: Key,
    pub action: Action,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<String>,
}

/// The document's view of a client: no secret unless the user asked for it.
pub fn client_info(record: &ClientRecord, store_key: &str, reveal: bool) -> ClientInfo {
    ClientInfo {
        client_id: record.client_id.clone(),
        auth_method: record.auth_method,
        source: record.source,
        redirect_uri: record.redirect_uri.clone(),
        store_key: store_key.to_string(),
        client_secret: if reveal { record.client_secret.clone() } else { None },
    }
}

/// Fixtures the steps' tests share.
#[cfg(test)]
mod testing {
    use super::Credentials;
    use crate::client::{AuthMethod, ClientRecord, ClientSource};
    use crate::metadata::AuthorizationServerMetadata;

    pub const ISSUER: &str = "https://as.example";

    pub fn metadata(methods: Option<&[&str]>) -> AuthorizationServerMetadata {
        let mut m = AuthorizationServerMetadata::from_endpoints(ISSUER.into());
        m.token_endpoint_auth_methods_supported = methods.map(|l| l.iter().map(|s| s.to_string()).collect());
        m
    }

    pub fn key() -> Credentials {
        Credentials { private_key_file: Some("/k.pem".into()), ..Credentials::default() }
    }

    pub fn record() -> ClientRecord {
        ClientRecord {
            issuer: ISSUER.into(),
            client_id: "abc".into(),
            client_secret: None,
            client_secret_expires_at: None,
            auth_method: AuthMethod::None,
            source: ClientSource::Dynamic,
            redirect_uri: Some("http://127.0.0.1:4711/callback".into()),
            private_key_file: None,
            key_id: None,
            registration_access_token: None,
            registration_client_uri: None,
            created_at: 1,
            token_endpoint: None,
            revocation_endpoint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::record;
    use super::*;
    use crate::client::ClientSource;

    #[test]
    fn the_document_shows_no_secret_unless_revealed() {
        let mut r = record();
        r.client_secret = Some("s".into());
        assert_eq!(client_info(&r, "k", false).client_secret, None);
        let shown = client_info(&r, "k", true);
        assert_eq!(shown.client_secret.as_ref().map(Secret::expose), Some("s"));
        assert_eq!(
            (shown.client_id.as_str(), shown.store_key.as_str(), shown.source),
            ("abc", "k", ClientSource::Dynamic)
        );
    }
}
