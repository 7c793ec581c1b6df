//! RFC 8414 and OpenID Connect Discovery authorization-server metadata: every candidate URL
//! is fetched at once and the first valid answer in the mandated order wins; its issuer
//! must be exactly the one it was fetched for (RFC 8414 §3.3: else a server could speak for
//! another), and every endpoint must be HTTPS or loopback before the document records it.

use super::fetch::{Tried, get_all};
use super::{At, Run, Step, Stop, authorization_server_metadata_urls, extension_findings, metadata_findings, rules};
use crate::document::{AuthorizationServer, RegistrationOption};
use crate::error::{Error, Result};
use crate::metadata::AuthorizationServerMetadata;
use crate::url_policy;
use url::Url;

impl Run<'_> {
    /// Fetches every candidate for `issuer` at once and takes the first valid one in
    /// priority order; `issuers` are the identifiers its metadata may give. `Ok(None)` when
    /// none exists (`tried` says why); an issuer mismatch with nothing else usable is a
    /// security refusal.
    pub(super) fn authorization_server_metadata(
        &mut self,
        issuer: &Url,
        issuers: &[&str],
        tried: &mut Tried,
    ) -> Step<Option<(Url, AuthorizationServerMetadata)>> {
        let step = crate::trace::Step::begin("authorization-server metadata");
        let found = {
            let _entered = step.enter();
            self.find_authorization_server_metadata(issuer, issuers, tried)
        };
        step.finish(&found.as_ref().map_err(|s| &s.error), |found| match found {
            Some((url, meta)) => format!("found at {url}, issuer {}", meta.issuer),
            None => format!("none found: {}", tried.list()),
        });
        found
    }

    fn find_authorization_server_metadata(
        &mut self,
        issuer: &Url,
        issuers: &[&str],
        tried: &mut Tried,
    ) -> Step<Option<(Url, AuthorizationServerMetadata)>> {
        let candidates = authorization_server_metadata_urls(issuer);
        let answers = get_all(self.http, &candidates);
        let mut mismatch = None;
        for (url, result) in candidates.iter().zip(answers) {
            let Some(meta) = self.fetched::<AuthorizationServerMetadata>(url, result, tried)? else {
                continue;
            };
            if !issuers.contains(&meta.issuer.as_str()) {
                let message = format!(
                    "the metadata at {url} says issuer {:?}, but it was fetched for {:?}; not used",
                    meta.issuer, issuers[0]
                );
                self.unusable(&rules::ISSUER_MISMATCH, message.clone(), tried);
                mismatch.get_or_insert(message);
                continue;
            }
            return Ok(Some((url.clone(), meta)));
        }
        match mismatch {
            Some(m) => Err(Stop { error: Error::Security(m), recorded: true }),
            None => Ok(None),
        }
    }

    /// Takes the metadata into the document, with its findings; refuses it when an endpoint
    /// is not HTTPS.
    pub(super) fn accept(
        &mut self,
        meta: AuthorizationServerMetadata,
        candidates: Vec<String>,
        url: Option<&Url>,
    ) -> Step {
        self.at = At::AuthorizationServerMetadata;
        let prm = self.doc.discovery.as_ref().and_then(|d| d.resource_metadata.as_ref());
        for (rule, message) in [metadata_findings(&meta), extension_findings(prm, &meta)].concat() {
            self.finding(rule, message);
        }
        if let Err(e) = require_secure_endpoints(&meta) {
            return Err(self.refuse(&rules::INSECURE_ENDPOINT, e.to_string(), e));
        }
        self.doc.authorization_server = Some(authorization_server(meta, candidates, url));
        Ok(())
    }
}

pub(super) fn authorization_server(
    metadata: AuthorizationServerMetadata,
    candidates: Vec<String>,
    url: Option<&Url>,
) -> AuthorizationServer {
    AuthorizationServer {
        issuer: metadata.issuer.clone(),
        candidates,
        metadata_url: url.map(Url::to_string),
        pkce_s256: metadata.supports_pkce_s256(),
        registration_options: registration_options(&metadata),
        metadata,
    }
}

/// In the MCP order of preference: a pre-registered client is always possible, then a
/// Client ID Metadata Document, then (deprecated) dynamic registration.
pub fn registration_options(meta: &AuthorizationServerMetadata) -> Vec<RegistrationOption> {
    let mut out = vec![RegistrationOption::PreRegistered];
    if meta.client_id_metadata_document_supported == Some(true) {
        out.push(RegistrationOption::MetadataDocument);
    }
    if meta.registration_endpoint.is_some() {
        out.push(RegistrationOption::Dynamic);
    }
    out
}

/// Every endpoint must be HTTPS (loopback excepted): a token or a code must never cross
/// the network in clear text.
pub fn require_secure_endpoints(meta: &AuthorizationServerMetadata) -> Result<()> {
    let endpoints = [
        ("authorization_endpoint", &meta.authorization_endpoint),
        ("token_endpoint", &meta.token_endpoint),
        ("registration_endpoint", &meta.registration_endpoint),
        ("revocation_endpoint", &meta.revocation_endpoint),
        ("introspection_endpoint", &meta.introspection_endpoint),
        ("device_authorization_endpoint", &meta.device_authorization_endpoint),
        ("jwks_uri", &meta.jwks_uri),
    ];
    for (name, value) in endpoints {
        if let Some(v) = value {
            let u = url_policy::parse_sent(&format!("{name} in the metadata"), v, &meta.issuer)?;
            url_policy::require_secure(&format!("{name} of {}", meta.issuer), &u)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::discovery::tests::good_metadata;

    #[test]
    fn plain_http_endpoints_are_refused_except_loopback() {
        let mut m = good_metadata();
        m.token_endpoint = Some("http://as.example/token".into());
        let e = require_secure_endpoints(&m).unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
        assert!(e.to_string().contains("token_endpoint"), "{e}");
        m.token_endpoint = Some("http://127.0.0.1:8080/token".into());
        assert!(require_secure_endpoints(&m).is_ok());
        m.jwks_uri = Some("not a url".into());
        assert_eq!(require_secure_endpoints(&m).unwrap_err().exit_code().code(), 3);
    }

    #[test]
    fn endpoints_the_tools_would_refuse_later_are_the_servers_protocol_error_now() {
        for bad in ["https://user:pw@as.example/token", "ftp://as.example/token"] {
            let mut m = good_metadata();
            m.token_endpoint = Some(bad.into());
            let e = require_secure_endpoints(&m).unwrap_err();
            assert_eq!(e.exit_code().code(), 3, "{bad}: {e}");
            assert!(e.to_string().contains("token_endpoint"), "{e}");
            assert!(!e.to_string().contains("pw"), "{e}");
        }
    }
}
