//! RFC 9728 protected-resource metadata and RFC 8414 / OIDC authorization-server metadata.
//!
//! Known members are typed; everything else is kept in `extra` so that what the server
//! said passes through the pipeline unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// RFC 9728 §2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceMetadata {
    pub resource: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_methods_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// RFC 8414 §2, with the OIDC Discovery and MCP members a client acts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_supported: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// Metadata for a server with no discovery, from its endpoints alone.
    pub fn from_endpoints(issuer: String) -> Self {
        AuthorizationServerMetadata {
            issuer,
            authorization_endpoint: None,
            token_endpoint: None,
            registration_endpoint: None,
            revocation_endpoint: None,
            introspection_endpoint: None,
            device_authorization_endpoint: None,
            jwks_uri: None,
            scopes_supported: None,
            response_types_supported: None,
            grant_types_supported: None,
            code_challenge_methods_supported: None,
            token_endpoint_auth_methods_supported: None,
            token_endpoint_auth_signing_alg_values_supported: None,
            revocation_endpoint_auth_methods_supported: None,
            authorization_response_iss_parameter_supported: None,
            client_id_metadata_document_supported: None,
            extra: Map::new(),
        }
    }

    /// MCP 2025-11-25+: S256 must be listed; absence means "refuse to proceed".
    pub fn supports_pkce_s256(&self) -> bool {
        self.code_challenge_methods_supported.as_ref().is_some_and(|m| m.iter().any(|x| x == "S256"))
    }

    pub fn supports_scope(&self, scope: &str) -> bool {
        self.scopes_supported.as_ref().is_some_and(|s| s.iter().any(|x| x == scope))
    }

    pub fn supports_grant(&self, grant: &str) -> bool {
        // RFC 8414 §2: when omitted, the default is ["authorization_code", "implicit"].
        match &self.grant_types_supported {
            Some(g) => g.iter().any(|x| x == grant),
            None => grant == "authorization_code",
        }
    }

    /// RFC 8414 §2: when omitted, the default is `client_secret_basic`.
    pub fn auth_methods(&self) -> Vec<String> {
        self.token_endpoint_auth_methods_supported.clone().unwrap_or_else(|| vec!["client_secret_basic".into()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_members_survive_a_round_trip() {
        let src = r#"{"issuer":"https://as.example","token_endpoint":"https://as.example/token","x_vendor":{"a":1}}"#;
        let m: AuthorizationServerMetadata = serde_json::from_str(src).unwrap();
        assert_eq!(m.extra["x_vendor"]["a"], 1);
        let back = serde_json::to_value(&m).unwrap();
        assert_eq!(back["x_vendor"]["a"], 1);
        assert!(!m.supports_pkce_s256());
    }

    /// Found by `scripts/fuzz` (target metadata): serde_json's default float parser can be
    /// off by one ulp, so a vendor number changed between two pipeline steps.
    #[test]
    fn extension_numbers_survive_a_round_trip_exactly() {
        let src = r#"{"issuer":"https://as.example","x_vendor":[97464488574076944885726]}"#;
        let m: AuthorizationServerMetadata = serde_json::from_str(src).unwrap();
        let again: AuthorizationServerMetadata = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(again, m);
    }
}
