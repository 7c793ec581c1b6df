//! The `--check` rules: every deviation discovery reports, each with a stable id, the step
//! of the flow it concerns, the spec section it breaks and what the server should send
//! instead. The ids and step names are an interface (`mcp-discover --check --format json`,
//! documented in the README): add rules, never rename one.

use crate::document::{Finding, Severity};
use serde::{Deserialize, Serialize};

/// The step of the flow a finding concerns, in flow order (the order `--check` lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The MCP `initialize` without a token, and its 401 challenge.
    Probe,
    ResourceMetadata,
    AuthorizationServerMetadata,
    Registration,
    Authorization,
    Token,
    Revocation,
}

impl Step {
    /// For people: "resource metadata".
    pub fn title(self) -> &'static str {
        match self {
            Step::Probe => "probe (initialize without a token)",
            Step::ResourceMetadata => "protected-resource metadata",
            Step::AuthorizationServerMetadata => "authorization-server metadata",
            Step::Registration => "client registration",
            Step::Authorization => "authorization request",
            Step::Token => "token request",
            Step::Revocation => "revocation",
        }
    }
}

/// One thing `--check` checks.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable, `step-ish.what`, for scripts and CI.
    pub id: &'static str,
    pub severity: Severity,
    /// `None` for the rule that applies wherever discovery stopped.
    pub step: Option<Step>,
    pub reference: &'static str,
    /// What the server should send instead; `None` where the message is all there is to say.
    pub fix: Option<&'static str>,
}

impl Rule {
    /// A finding of this rule; `at` is the step discovery was in, for the rules of no
    /// fixed step.
    pub fn finding(&self, at: Step, message: impl Into<String>) -> Finding {
        Finding {
            severity: self.severity,
            message: message.into(),
            reference: self.reference.to_string(),
            rule: self.id.to_string(),
            step: Some(self.step.unwrap_or(at)),
            fix: self.fix.map(String::from),
        }
    }
}

const fn rule(id: &'static str, severity: Severity, step: Step, reference: &'static str, fix: &'static str) -> Rule {
    Rule { id, severity, step: Some(step), reference, fix: Some(fix) }
}

use Severity::{Error, Warning};
use Step::*;

pub const NO_CHALLENGE: Rule = rule(
    "probe.no-challenge",
    Error,
    Probe,
    "RFC 7235 §3.1",
    "send `WWW-Authenticate: Bearer resource_metadata=\"<URL of the protected-resource metadata>\"` with the 401",
);
pub const NO_BEARER: Rule = rule(
    "probe.no-bearer-challenge",
    Error,
    Probe,
    "RFC 6750 §3",
    "add a `Bearer` challenge with `resource_metadata=\"…\"` to the 401's WWW-Authenticate (other schemes may stay)",
);
pub const NO_RESOURCE_METADATA_PARAM: Rule = rule(
    "probe.no-resource-metadata",
    Warning,
    Probe,
    "RFC 9728 §5.1",
    "add `resource_metadata=\"<URL of the protected-resource metadata>\"` to the Bearer challenge",
);
pub const INVALID_TOKEN_WITHOUT_TOKEN: Rule = rule(
    "probe.invalid-token-without-credentials",
    Warning,
    Probe,
    "RFC 6750 §3.1",
    "send no `error` attribute in the challenge to a request that carried no token; keep `error=\"invalid_token\"` for tokens that were sent and rejected",
);
pub const NOT_CHALLENGED: Rule = rule(
    "probe.not-challenged",
    Warning,
    Probe,
    "MCP 2026-07-28 authorization (401 for requests without a token)",
    "if the server requires authorization, answer requests without a token with 401 and a `WWW-Authenticate: Bearer` challenge",
);
pub const UNEXPECTED_STATUS: Rule = rule(
    "probe.unexpected-status",
    Warning,
    Probe,
    "MCP 2026-07-28 authorization (401 for requests without a token)",
    "answer an MCP initialize without a token with 401 and a `WWW-Authenticate: Bearer resource_metadata=\"…\"` challenge",
);
pub const CHALLENGE_URL_INVALID: Rule = rule(
    "resource_metadata.challenge-url-invalid",
    Error,
    ResourceMetadata,
    "RFC 9728 §5.1",
    "give an absolute https URL in the challenge's resource_metadata",
);
pub const CHALLENGE_URL_UNUSABLE: Rule = rule(
    "resource_metadata.challenge-url-unusable",
    Error,
    ResourceMetadata,
    "RFC 9728 §5.1",
    "point the challenge's resource_metadata at the URL that serves the metadata (200, `Content-Type: application/json`)",
);
pub const PRM_CONTENT_TYPE: Rule = rule(
    "resource_metadata.content-type",
    Warning,
    ResourceMetadata,
    "RFC 9728 §3.2",
    "serve the metadata with `Content-Type: application/json`",
);
pub const PRM_REDIRECT: Rule = rule(
    "resource_metadata.redirect",
    Warning,
    ResourceMetadata,
    "RFC 8414 §3, RFC 9728 §3 (no redirects for metadata)",
    "serve the metadata with 200 at its well-known URL itself, not a redirect",
);
pub const PRM_INVALID: Rule = rule(
    "resource_metadata.invalid",
    Error,
    ResourceMetadata,
    "RFC 9728 §3.2",
    "answer with a JSON object holding at least `resource` and `authorization_servers`",
);
pub const ROOT_RESOURCE: Rule = rule(
    "resource_metadata.root-names-path",
    Warning,
    ResourceMetadata,
    "RFC 9728 §3.3",
    "serve this metadata at the path-inserted URL (/.well-known/oauth-protected-resource/<path of the MCP URL>), or name the origin as `resource` at the root",
);
pub const RESOURCE_MISMATCH: Rule = rule(
    "resource_metadata.resource-mismatch",
    Error,
    ResourceMetadata,
    "RFC 9728 §3.3",
    "set `resource` to the MCP server's URL exactly as clients use it",
);
pub const NO_AUTHORIZATION_SERVERS: Rule = rule(
    "resource_metadata.no-authorization-servers",
    Error,
    ResourceMetadata,
    "MCP 2026-07-28 authorization-server discovery (RFC 9728 §2)",
    "list the authorization server's issuer URL in `authorization_servers`",
);
pub const DPOP_REQUIRED_UNSUPPORTED: Rule = rule(
    "resource_metadata.dpop-required-unsupported",
    Warning,
    ResourceMetadata,
    "RFC 9728 §2 (dpop_bound_access_tokens_required), RFC 9449 §5.1",
    "enable DPoP at the authorization server and list its algs in dpop_signing_alg_values_supported, or stop requiring DPoP-bound tokens",
);
pub const DPOP_ALGS_DISJOINT: Rule = rule(
    "resource_metadata.dpop-algs-disjoint",
    Warning,
    ResourceMetadata,
    "RFC 9728 §2, RFC 9449 §5.1",
    "accept at the MCP server at least one alg the authorization server lists in dpop_signing_alg_values_supported (ES256 is the common one)",
);
pub const LEGACY_NO_PRM: Rule = rule(
    "resource_metadata.missing",
    Warning,
    ResourceMetadata,
    "MCP 2025-03-26 authorization (fallbacks)",
    "serve RFC 9728 protected-resource metadata at /.well-known/oauth-protected-resource/<path>, and name its URL in the 401's resource_metadata",
);
pub const LEGACY_NO_AS_METADATA: Rule = rule(
    "authorization_server_metadata.missing",
    Warning,
    AuthorizationServerMetadata,
    "MCP 2025-03-26 authorization (fallbacks)",
    "serve RFC 8414 metadata at /.well-known/oauth-authorization-server",
);
pub const AS_CONTENT_TYPE: Rule = rule(
    "authorization_server_metadata.content-type",
    Warning,
    AuthorizationServerMetadata,
    "RFC 8414 §3.2",
    "serve the metadata with `Content-Type: application/json`",
);
pub const AS_REDIRECT: Rule = rule(
    "authorization_server_metadata.redirect",
    Warning,
    AuthorizationServerMetadata,
    "RFC 8414 §3, RFC 9728 §3 (no redirects for metadata)",
    "serve the metadata with 200 at its well-known URL itself, not a redirect",
);
pub const AS_INVALID: Rule = rule(
    "authorization_server_metadata.invalid",
    Error,
    AuthorizationServerMetadata,
    "RFC 8414 §3.2",
    "answer with a JSON object holding the RFC 8414 members (`issuer`, `authorization_endpoint`, `token_endpoint`, …)",
);
pub const ISSUER_MISMATCH: Rule = rule(
    "authorization_server_metadata.issuer-mismatch",
    Error,
    AuthorizationServerMetadata,
    "RFC 8414 §3.3, MCP 2026-07-28 (SEP-2468)",
    "set `issuer` to exactly the issuer URL the metadata is fetched for (the one the resource lists), character for character",
);
pub const INSECURE_ENDPOINT: Rule = rule(
    "authorization_server_metadata.insecure-endpoint",
    Error,
    AuthorizationServerMetadata,
    "MCP 2026-07-28 security considerations (HTTPS)",
    "give every endpoint as an https URL (http only on loopback addresses)",
);
pub const RESPONSE_TYPE_CODE: Rule = rule(
    "authorization_server_metadata.response-type-code",
    Error,
    AuthorizationServerMetadata,
    "RFC 8414 §2",
    "list \"code\" in response_types_supported",
);
pub const MISSING_ENDPOINT: Rule = rule(
    "authorization_server_metadata.missing-endpoint",
    Error,
    AuthorizationServerMetadata,
    "RFC 8414 §2",
    "give authorization_endpoint and token_endpoint",
);
pub const DCR_DEPRECATED: Rule = rule(
    "registration.dynamic-deprecated",
    Warning,
    Registration,
    "MCP 2026-07-28 client registration (DCR deprecated)",
    "support Client ID Metadata Documents (client_id_metadata_document_supported: true); keep registration_endpoint only for older clients",
);
pub const PKCE_S256: Rule = rule(
    "authorization.pkce-s256",
    Error,
    Authorization,
    "MCP 2026-07-28 authorization (PKCE), RFC 8414 §2",
    "support PKCE with S256 and list S256 in code_challenge_methods_supported",
);
pub const ISS_PARAMETER: Rule = rule(
    "authorization.iss-parameter",
    Warning,
    Authorization,
    "RFC 9207 §3, MCP 2026-07-28 authorization response",
    "send `iss` in every authorization response and set authorization_response_iss_parameter_supported: true",
);
pub const CLIENT_CREDENTIALS_WITHOUT_AUTH: Rule = rule(
    "token.client-credentials-without-auth",
    Warning,
    Token,
    "RFC 6749 §4.4, RFC 8414 §2",
    "list the client authentication methods the token endpoint accepts (e.g. client_secret_basic, private_key_jwt) in token_endpoint_auth_methods_supported, or stop advertising client_credentials",
);
pub const DPOP_ALGS: Rule = rule(
    "token.dpop-signing-algs",
    Error,
    Token,
    "RFC 9449 §4.2, §5.1; MCP DPoP extension (authorization server metadata)",
    "list in dpop_signing_alg_values_supported the asymmetric algs the token endpoint accepts in DPoP proofs (e.g. ES256), never none or HS*",
);
pub const JWT_AUTH_WITHOUT_ALGS: Rule = rule(
    "token.jwt-auth-without-signing-algs",
    Error,
    Token,
    "RFC 8414 §2, MCP client-credentials extension (server metadata)",
    "list the algs the token endpoint accepts in client assertions (e.g. ES256, RS256) in token_endpoint_auth_signing_alg_values_supported",
);
pub const AUTH_SIGNING_ALG_NONE: Rule = rule(
    "token.auth-signing-alg-none",
    Error,
    Token,
    "RFC 8414 §2",
    "remove none from token_endpoint_auth_signing_alg_values_supported and reject unsigned client assertions",
);
pub const ID_JAG_WITHOUT_JWT_BEARER: Rule = rule(
    "token.id-jag-without-jwt-bearer",
    Error,
    Token,
    "ID-JAG §7.2, MCP enterprise-managed authorization §6",
    "list urn:ietf:params:oauth:grant-type:jwt-bearer in grant_types_supported (the ID-JAG is presented with that grant)",
);
pub const REVOCATION_AUTH: Rule = rule(
    "revocation.auth-methods",
    Warning,
    Revocation,
    "RFC 7009 §2.1, RFC 8414 §2",
    "accept at the revocation endpoint every method the token endpoint accepts (none included) and list them in revocation_endpoint_auth_methods_supported",
);
/// Not a rule of a spec: why discovery gave up, when no other finding says it (a failing
/// server, a redirected probe, an authorization server that is no URL).
pub const STOPPED: Rule =
    Rule { id: "discovery.stopped", severity: Error, step: None, reference: "discovery stopped here", fix: None };

/// Every rule, for the documentation and its test.
pub const ALL: [&Rule; 35] = [
    &NO_CHALLENGE,
    &NO_BEARER,
    &NO_RESOURCE_METADATA_PARAM,
    &INVALID_TOKEN_WITHOUT_TOKEN,
    &NOT_CHALLENGED,
    &UNEXPECTED_STATUS,
    &CHALLENGE_URL_INVALID,
    &CHALLENGE_URL_UNUSABLE,
    &PRM_CONTENT_TYPE,
    &PRM_REDIRECT,
    &PRM_INVALID,
    &ROOT_RESOURCE,
    &RESOURCE_MISMATCH,
    &NO_AUTHORIZATION_SERVERS,
    &DPOP_REQUIRED_UNSUPPORTED,
    &DPOP_ALGS_DISJOINT,
    &LEGACY_NO_PRM,
    &LEGACY_NO_AS_METADATA,
    &AS_CONTENT_TYPE,
    &AS_REDIRECT,
    &AS_INVALID,
    &ISSUER_MISMATCH,
    &INSECURE_ENDPOINT,
    &RESPONSE_TYPE_CODE,
    &MISSING_ENDPOINT,
    &DCR_DEPRECATED,
    &PKCE_S256,
    &ISS_PARAMETER,
    &CLIENT_CREDENTIALS_WITHOUT_AUTH,
    &DPOP_ALGS,
    &JWT_AUTH_WITHOUT_ALGS,
    &AUTH_SIGNING_ALG_NONE,
    &ID_JAG_WITHOUT_JWT_BEARER,
    &REVOCATION_AUTH,
    &STOPPED,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_name_their_step() {
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len(), "duplicate rule id");
        for r in ALL {
            if let Some(step) = r.step {
                let name = serde_json::to_value(step).unwrap_or_default();
                assert!(r.id.starts_with(&format!("{}.", name.as_str().unwrap_or("?"))), "{}", r.id);
            }
            assert!(r.fix.is_some() || r.step.is_none(), "{} says no fix", r.id);
        }
    }

    /// The README's table is the documentation of the ids a server author's CI matches on.
    #[test]
    fn the_readme_lists_every_rule() {
        let readme = include_str!("../../../../README.md");
        for r in ALL {
            assert!(readme.contains(&format!("`{}`", r.id)), "README lacks rule {}", r.id);
        }
    }
}
