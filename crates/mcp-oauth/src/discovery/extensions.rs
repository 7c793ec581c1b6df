//! The `--check` findings about the metadata of the MCP authorization extensions the tools
//! implement: DPoP (RFC 9449, SEP-1932), JWT client authentication (RFC 8414 §2, the
//! client-credentials extension) and enterprise-managed authorization (SEP-990, ID-JAG).
//! Each reads the chosen authorization server's metadata, and for DPoP the resource's too,
//! since a resource that requires what its server cannot give fails every client.

use super::rules::{self, Rule};
use crate::enterprise::ID_JAG_PROFILE;
use crate::metadata::{AuthorizationServerMetadata, ResourceMetadata};
use crate::token::JWT_BEARER_GRANT;
use serde_json::{Map, Value};

const DPOP_ALGS: &str = "dpop_signing_alg_values_supported";

/// The extension deviations of `m`, the authorization server `prm` (when discovered) chose.
pub fn extension_findings(
    prm: Option<&ResourceMetadata>,
    m: &AuthorizationServerMetadata,
) -> Vec<(&'static Rule, String)> {
    let mut out = Vec::new();
    let issuer = &m.issuer;
    let as_algs = strings(&m.extra, DPOP_ALGS);
    if as_algs.is_none() && m.extra.contains_key(DPOP_ALGS) {
        out.push((&rules::DPOP_ALGS, format!("{issuer}'s {DPOP_ALGS} is not a JSON array of algs")));
    }
    if let Some(algs) = &as_algs {
        let unusable: Vec<&str> = algs.iter().copied().filter(|a| !asymmetric(a)).collect();
        if algs.is_empty() {
            out.push((&rules::DPOP_ALGS, format!("{issuer} lists no alg in {DPOP_ALGS}: no DPoP proof can be signed")));
        } else if !unusable.is_empty() {
            out.push((
                &rules::DPOP_ALGS,
                format!(
                    "{issuer} lists {} in {DPOP_ALGS}: a DPoP proof is never signed with none or a shared secret",
                    unusable.join(", ")
                ),
            ));
        }
    }
    if let Some(prm) = prm {
        out.extend(dpop_resource_findings(prm, issuer, as_algs.as_deref()));
    }
    out.extend(jwt_auth_findings(m));
    if strings(&m.extra, "authorization_grant_profiles_supported").is_some_and(|p| p.contains(&ID_JAG_PROFILE))
        && !m.supports_grant(JWT_BEARER_GRANT)
    {
        out.push((
            &rules::ID_JAG_WITHOUT_JWT_BEARER,
            format!("{issuer} lists {ID_JAG_PROFILE} in authorization_grant_profiles_supported but not {JWT_BEARER_GRANT} in grant_types_supported"),
        ));
    }
    out
}

/// What the resource asks of DPoP against what its authorization server offers (`as_algs`).
fn dpop_resource_findings(
    prm: &ResourceMetadata,
    issuer: &str,
    as_algs: Option<&[&str]>,
) -> Option<(&'static Rule, String)> {
    let resource = &prm.resource;
    let offered = as_algs.filter(|a| !a.is_empty());
    let required = prm.extra.get("dpop_bound_access_tokens_required").and_then(Value::as_bool) == Some(true);
    let Some(offered) = offered else {
        return required.then(|| {
            (
                &rules::DPOP_REQUIRED_UNSUPPORTED,
                format!("{resource} requires DPoP-bound tokens (dpop_bound_access_tokens_required), but its authorization server {issuer} lists no {DPOP_ALGS}: no client can get a token it accepts"),
            )
        });
    };
    let wanted = strings(&prm.extra, DPOP_ALGS).filter(|w| !w.is_empty())?;
    if wanted.iter().any(|w| offered.contains(w)) {
        return None;
    }
    Some((
        &rules::DPOP_ALGS_DISJOINT,
        format!(
            "{resource} accepts DPoP proofs signed with {} and its authorization server {issuer} with {}: no key suits both",
            wanted.join(", "),
            offered.join(", ")
        ),
    ))
}

/// RFC 8414 §2: a server taking JWTs for client authentication says which algs it checks,
/// and `none` is never one of them.
fn jwt_auth_findings(m: &AuthorizationServerMetadata) -> Option<(&'static Rule, String)> {
    let issuer = &m.issuer;
    match &m.token_endpoint_auth_signing_alg_values_supported {
        Some(algs) if algs.iter().any(|a| a == "none") => Some((
            &rules::AUTH_SIGNING_ALG_NONE,
            format!("{issuer} lists none in token_endpoint_auth_signing_alg_values_supported"),
        )),
        Some(_) => None,
        None => {
            let methods = m.token_endpoint_auth_methods_supported.as_ref()?;
            let jwt: Vec<&str> = methods
                .iter()
                .map(String::as_str)
                .filter(|x| matches!(*x, "private_key_jwt" | "client_secret_jwt"))
                .collect();
            (!jwt.is_empty()).then(|| {
                (
                    &rules::JWT_AUTH_WITHOUT_ALGS,
                    format!("{issuer} lists {} in token_endpoint_auth_methods_supported without token_endpoint_auth_signing_alg_values_supported: clients cannot tell which alg it accepts", jwt.join(", ")),
                )
            })
        }
    }
}

/// RFC 9449 §4.2: a proof's alg is asymmetric, never `none` nor an HMAC (`HS*`).
fn asymmetric(alg: &str) -> bool {
    !(alg.eq_ignore_ascii_case("none") || alg.starts_with("HS"))
}

/// The strings of an array member; non-string entries are left out (they name no alg).
fn strings<'a>(members: &'a Map<String, Value>, name: &str) -> Option<Vec<&'a str>> {
    Some(members.get(name)?.as_array()?.iter().filter_map(Value::as_str).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::discovery::tests::good_metadata;
    use serde_json::json;

    fn with(extra: Value) -> AuthorizationServerMetadata {
        let mut m = serde_json::to_value(good_metadata()).unwrap();
        m.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(m).unwrap()
    }

    fn prm(extra: Value) -> ResourceMetadata {
        let mut p = json!({"resource": "https://mcp.example/mcp", "authorization_servers": ["https://as.example"]});
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(p).unwrap()
    }

    fn ids(f: &[(&'static Rule, String)]) -> Vec<&'static str> {
        f.iter().map(|(r, _)| r.id).collect()
    }

    /// What the dpop, workload and enterprise fixtures publish, and RFC 8414's omitted lists.
    #[test]
    fn sound_extension_metadata_has_no_findings() {
        let dpop = with(
            json!({DPOP_ALGS: ["ES256", "EdDSA"], "token_endpoint_auth_methods_supported": ["private_key_jwt"], "token_endpoint_auth_signing_alg_values_supported": ["ES256"]}),
        );
        let requiring = prm(json!({"dpop_bound_access_tokens_required": true, DPOP_ALGS: ["ES256"]}));
        assert_eq!(extension_findings(Some(&requiring), &dpop), []);
        assert_eq!(extension_findings(Some(&prm(json!({}))), &good_metadata()), []);
        assert_eq!(extension_findings(None, &good_metadata()), []);
        let ema = with(
            json!({"authorization_grant_profiles_supported": [ID_JAG_PROFILE], "grant_types_supported": ["authorization_code", JWT_BEARER_GRANT]}),
        );
        assert_eq!(extension_findings(None, &ema), []);
        let workload = with(json!({"grant_types_supported": [JWT_BEARER_GRANT]}));
        assert_eq!(extension_findings(None, &workload), [], "jwt-bearer without the profile is fine");
    }

    #[test]
    fn unusable_dpop_algs_are_errors() {
        for algs in [json!([]), json!(["ES256", "none"]), json!(["HS256"]), json!("ES256")] {
            let f = extension_findings(None, &with(json!({DPOP_ALGS: algs})));
            assert_eq!(ids(&f), [rules::DPOP_ALGS.id], "{algs}");
        }
        let f = extension_findings(None, &with(json!({DPOP_ALGS: ["ES256", "HS512", "none"]})));
        assert!(f[0].1.contains("HS512, none"), "{f:?}");
    }

    #[test]
    fn a_resource_requiring_dpop_its_server_cannot_give_is_named() {
        let requiring = prm(json!({"dpop_bound_access_tokens_required": true}));
        for m in [good_metadata(), with(json!({DPOP_ALGS: []}))] {
            let f = extension_findings(Some(&requiring), &m);
            assert!(ids(&f).contains(&rules::DPOP_REQUIRED_UNSUPPORTED.id), "{f:?}");
        }
        let offering = prm(json!({"dpop_bound_access_tokens_required": false, DPOP_ALGS: ["ES256"]}));
        assert_eq!(extension_findings(Some(&offering), &good_metadata()), [], "DPoP optional: Bearer still works");
    }

    #[test]
    fn disjoint_dpop_algs_are_named() {
        let m = with(json!({DPOP_ALGS: ["ES256"]}));
        let f = extension_findings(Some(&prm(json!({DPOP_ALGS: ["PS256", "EdDSA"]}))), &m);
        assert_eq!(ids(&f), [rules::DPOP_ALGS_DISJOINT.id]);
        assert!(f[0].1.contains("PS256, EdDSA") && f[0].1.contains("with ES256"), "{f:?}");
        assert_eq!(extension_findings(Some(&prm(json!({DPOP_ALGS: ["PS256", "ES256"]}))), &m), []);
    }

    #[test]
    fn jwt_client_auth_needs_its_algs_and_never_none() {
        let f = extension_findings(
            None,
            &with(json!({"token_endpoint_auth_methods_supported": ["none", "private_key_jwt"]})),
        );
        assert_eq!(ids(&f), [rules::JWT_AUTH_WITHOUT_ALGS.id]);
        assert!(f[0].1.contains("lists private_key_jwt in"), "{f:?}");
        let f = extension_findings(
            None,
            &with(json!({"token_endpoint_auth_signing_alg_values_supported": ["RS256", "none"]})),
        );
        assert_eq!(ids(&f), [rules::AUTH_SIGNING_ALG_NONE.id]);
        let secret_only = with(json!({"token_endpoint_auth_methods_supported": ["client_secret_basic"]}));
        assert_eq!(extension_findings(None, &secret_only), []);
    }

    #[test]
    fn the_id_jag_profile_needs_the_jwt_bearer_grant() {
        for grants in [json!(["authorization_code"]), Value::Null] {
            let mut extra = json!({"authorization_grant_profiles_supported": [ID_JAG_PROFILE]});
            if !grants.is_null() {
                extra["grant_types_supported"] = grants.clone();
            }
            let f = extension_findings(None, &with(extra));
            assert_eq!(ids(&f), [rules::ID_JAG_WITHOUT_JWT_BEARER.id], "{grants}");
        }
    }
}
