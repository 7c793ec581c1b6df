//! The deviations in authorization-server metadata that `--check` reports but that do not
//! stop discovery by themselves (the next step decides: mcp-authorize refuses a server
//! without PKCE S256). The rules themselves are in `rules.rs`.

use super::rules::{self, Rule};
use crate::metadata::AuthorizationServerMetadata;

/// Deviations in authorization-server metadata that do not stop discovery by themselves.
pub fn metadata_findings(m: &AuthorizationServerMetadata) -> Vec<(&'static Rule, String)> {
    let mut out = Vec::new();
    let issuer = &m.issuer;
    match &m.code_challenge_methods_supported {
        None => out.push((
            &rules::PKCE_S256,
            format!("{issuer} has no code_challenge_methods_supported: MCP clients must refuse it"),
        )),
        Some(methods) if !methods.iter().any(|x| x == "S256") => out.push((
            &rules::PKCE_S256,
            format!("{issuer} does not list S256 in code_challenge_methods_supported ({})", methods.join(", ")),
        )),
        Some(_) => {}
    }
    match &m.response_types_supported {
        None => out.push((&rules::RESPONSE_TYPE_CODE, format!("{issuer} has no response_types_supported (required)"))),
        Some(types) if !types.iter().any(|t| t == "code") => out
            .push((&rules::RESPONSE_TYPE_CODE, format!("{issuer} does not list \"code\" in response_types_supported"))),
        Some(_) => {}
    }
    for (name, value) in [("authorization_endpoint", &m.authorization_endpoint), ("token_endpoint", &m.token_endpoint)]
    {
        if value.is_none() {
            out.push((&rules::MISSING_ENDPOINT, format!("{issuer} has no {name}")));
        }
    }
    if m.authorization_response_iss_parameter_supported != Some(true) {
        out.push((
            &rules::ISS_PARAMETER,
            format!(
                "{issuer} does not set authorization_response_iss_parameter_supported: mix-up attacks go undetected"
            ),
        ));
    }
    out.extend(revocation_findings(m));
    // RFC 6749 §4.4: only confidential clients may use the client-credentials grant.
    if m.supports_grant(crate::token::CLIENT_CREDENTIALS_GRANT)
        && m.token_endpoint_auth_methods_supported.as_ref().is_some_and(|l| l.iter().all(|x| x == "none"))
    {
        out.push((
            &rules::CLIENT_CREDENTIALS_WITHOUT_AUTH,
            format!(
                "{issuer} advertises the client_credentials grant but lists only none in token_endpoint_auth_methods_supported: no client could authenticate for it"
            ),
        ));
    }
    if m.registration_endpoint.is_some() {
        let hint = if m.client_id_metadata_document_supported == Some(true) {
            ""
        } else {
            "; it does not support client ID metadata documents, the replacement"
        };
        out.push((
            &rules::DCR_DEPRECATED,
            format!("{issuer} advertises a registration_endpoint, and dynamic client registration is deprecated{hint}"),
        ));
    }
    out
}

/// RFC 7009 §2.1: a client revokes with the authentication it uses at the token endpoint,
/// and public clients must be able to revoke their tokens too. Compared only when the
/// server lists its revocation methods (RFC 8414's default for an omitted list would flag
/// nearly every server).
fn revocation_findings(m: &AuthorizationServerMetadata) -> Option<(&'static Rule, String)> {
    m.revocation_endpoint.as_ref()?;
    let revocation = m.revocation_endpoint_auth_methods_supported.as_ref()?;
    let excluded: Vec<String> = m
        .auth_methods()
        .into_iter()
        .filter(|t| !revocation.contains(t))
        .map(|t| if t == "none" { "none (public clients)".into() } else { t })
        .collect();
    if excluded.is_empty() {
        return None;
    }
    Some((
        &rules::REVOCATION_AUTH,
        format!(
            "{}'s revocation endpoint does not accept {}, which its token endpoint does (revocation_endpoint_auth_methods_supported: {}): those clients cannot revoke their tokens",
            m.issuer,
            excluded.join(", "),
            revocation.join(", ")
        ),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::discovery::registration_options;
    use crate::discovery::tests::good_metadata;
    use crate::document::{RegistrationOption, Severity};

    #[test]
    fn clean_metadata_has_no_findings() {
        assert_eq!(metadata_findings(&good_metadata()), []);
        assert_eq!(
            registration_options(&good_metadata()),
            [RegistrationOption::PreRegistered, RegistrationOption::MetadataDocument]
        );
    }

    #[test]
    fn metadata_deviations_are_named() {
        let mut m = good_metadata();
        m.code_challenge_methods_supported = None;
        m.response_types_supported = None;
        m.authorization_response_iss_parameter_supported = None;
        m.registration_endpoint = Some("https://as.example/reg".into());
        m.client_id_metadata_document_supported = None;
        m.token_endpoint = None;
        let f = metadata_findings(&m);
        let has = |needle: &str, sev: Severity| f.iter().any(|(r, msg)| r.severity == sev && msg.contains(needle));
        assert!(has("code_challenge_methods_supported", Severity::Error), "{f:?}");
        assert!(has("response_types_supported", Severity::Error), "{f:?}");
        assert!(has("no token_endpoint", Severity::Error), "{f:?}");
        assert!(has("authorization_response_iss_parameter_supported", Severity::Warning), "{f:?}");
        assert!(has("deprecated", Severity::Warning), "{f:?}");
        assert_eq!(registration_options(&m), [RegistrationOption::PreRegistered, RegistrationOption::Dynamic]);
        m.code_challenge_methods_supported = Some(vec!["plain".into()]);
        assert!(metadata_findings(&m).iter().any(|(_, msg)| msg.contains("S256")));
    }

    #[test]
    fn revocation_and_grant_rules() {
        let mut m = good_metadata();
        m.revocation_endpoint = Some("https://as.example/revoke".into());
        m.token_endpoint_auth_methods_supported = Some(vec!["none".into(), "client_secret_post".into()]);
        assert_eq!(metadata_findings(&m), [], "no revocation list: nothing to compare");
        m.revocation_endpoint_auth_methods_supported = Some(vec!["client_secret_post".into(), "none".into()]);
        assert_eq!(metadata_findings(&m), []);
        m.revocation_endpoint_auth_methods_supported = Some(vec!["client_secret_basic".into()]);
        let f = metadata_findings(&m);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, &rules::REVOCATION_AUTH);
        assert!(f[0].1.contains("none (public clients), client_secret_post"), "{f:?}");

        let mut m = good_metadata();
        m.grant_types_supported = Some(vec!["authorization_code".into(), "client_credentials".into()]);
        m.token_endpoint_auth_methods_supported = Some(vec!["none".into()]);
        let f = metadata_findings(&m);
        assert!(
            f.iter().any(|(r, msg)| r.severity == Severity::Warning
                && *r == &rules::CLIENT_CREDENTIALS_WITHOUT_AUTH
                && msg.contains("client_credentials")),
            "{f:?}"
        );
        m.token_endpoint_auth_methods_supported = None; // RFC 8414 default: client_secret_basic
        assert_eq!(metadata_findings(&m), []);
    }
}
