//! Step-up authorization (MCP 2026-07-28, SEP-2350): after a 403 `insufficient_scope`, a
//! new authorization for what was held before plus what the challenge asks for.

use super::{Plan, Session, previous_scopes};
use crate::document::ScopeChoice;
use crate::error::{Error, Result};
use crate::remedy::Input;
use crate::token::{self, TokenSet};

/// A checked 403 `insufficient_scope` challenge (the `--step-up` value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUp {
    scope: String,
}

impl StepUp {
    /// From the WWW-Authenticate value of the 403 answer. Refused (exit 2) when it is not a
    /// Bearer challenge, names another error (a 401 `invalid_token` needs a refresh or a
    /// login, not more scope), or names no scope to add.
    pub fn parse(www_authenticate: &str) -> Result<StepUp> {
        let challenges = crate::www_authenticate::parse(www_authenticate);
        let bearer = crate::www_authenticate::bearer(&challenges).ok_or_else(|| {
            Error::Usage("not a Bearer challenge (give the WWW-Authenticate value of the 403 answer)".into())
                .about(Input::StepUp)
        })?;
        if let Some(error) = bearer.error()
            && error != "insufficient_scope"
        {
            return Err(Error::Usage(format!(
                "the challenge's error is {error:?}, not insufficient_scope; a 401 invalid_token needs a refresh or login, not a step-up"
            ))
            .about(Input::StepUp));
        }
        match bearer.scope().map(str::trim).filter(|s| !s.is_empty()) {
            Some(scope) => Ok(StepUp { scope: scope.to_string() }),
            None => Err(Error::Usage("the challenge names no scope to add".into()).about(Input::StepUp)),
        }
    }

    /// The challenge's `scope`, space-separated.
    pub fn challenged(&self) -> &str {
        &self.scope
    }

    /// The scope to re-authorize with: what the stored token set of `plan`'s server asked
    /// for and was granted (else what `plan` is about to ask for), plus the challenged
    /// scopes (see [`crate::scope::step_up`]).
    pub fn scope(&self, s: Session<'_>, plan: &Plan) -> Result<ScopeChoice> {
        let previous: Option<TokenSet> = s.store.load(&token::store_key(&plan.server_url, s.profile)?)?;
        let before = previous_scopes(previous.as_ref(), plan.scope.as_deref());
        Ok(crate::scope::step_up(&before, &self.scope))
    }
}

/// Whether a stored refresh token is tried before a new authorization: not when a new one
/// is forced, and never for a step-up, since a refresh cannot widen the scope (RFC 6749 §6).
pub fn refresh_first(force: bool, step_up: Option<&StepUp>) -> bool {
    !force && step_up.is_none()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::document::ScopeSource;
    use serde_json::json;

    #[test]
    fn the_challenge_must_be_a_bearer_insufficient_scope_with_a_scope() {
        let up = StepUp::parse(r#"Bearer error="insufficient_scope", scope="mcp:write", resource_metadata="x""#);
        assert_eq!(up.unwrap().challenged(), "mcp:write");
        // Without an error the scope is still what to add.
        assert_eq!(StepUp::parse(r#"Bearer scope=" a b ""#).unwrap().challenged(), "a b");
        for bad in
            [r#"Bearer error="invalid_token", scope="x""#, r#"Bearer error="insufficient_scope""#, "Basic realm=x"]
        {
            let e = StepUp::parse(bad).unwrap_err();
            assert!(matches!(&e, Error::About { input: Input::StepUp, .. }), "{bad}: {e}");
            assert!(matches!(e.bare(), Error::Usage(_)), "{bad}: {e}");
        }
        assert!(StepUp::parse(r#"Bearer scope="  ""#).is_err());
    }

    #[test]
    fn a_step_up_never_refreshes() {
        let up = StepUp::parse(r#"Bearer error="insufficient_scope", scope="w""#).unwrap();
        assert!(refresh_first(false, None));
        assert!(!refresh_first(true, None));
        assert!(!refresh_first(false, Some(&up)));
    }

    #[test]
    fn the_scope_adds_the_challenge_to_what_the_stored_tokens_had() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::tests::file_store(dir.path(), None);
        let http = crate::http::Http::new(Default::default());
        let s = Session { http: &http, store: &store, profile: None };
        let issuer = "https://as.example";
        let plan = Plan {
            server_url: "https://mcp.example/mcp".into(),
            resource: "https://mcp.example/mcp".into(),
            issuer: issuer.into(),
            metadata: serde_json::from_value(json!({"issuer": issuer})).unwrap(),
            client: serde_json::from_value(json!({
                "issuer": issuer, "client_id": "c", "auth_method": "none", "source": "dynamic", "created_at": 0,
            }))
            .unwrap(),
            scope: Some("planned".into()),
            profile: None,
            dpop: None,
        };
        let up = StepUp::parse(r#"Bearer error="insufficient_scope", scope="write read""#).unwrap();
        // Nothing stored: what is about to be requested, plus the challenge.
        let choice = up.scope(s, &plan).unwrap();
        assert_eq!(choice.scopes, ["planned", "write", "read"]);
        assert_eq!(choice.source, ScopeSource::StepUp);

        let stored: TokenSet = serde_json::from_value(json!({
            "issuer": issuer, "client_id": "c", "resource": plan.resource, "token_endpoint": "https://as.example/t",
            "access_token": "AT", "token_type": "Bearer", "scope": "read list", "requested_scope": "read",
            "grant": "authorization_code", "obtained_at": 0,
        }))
        .unwrap();
        store.save(&token::store_key(&plan.server_url, None).unwrap(), &stored).unwrap();
        assert_eq!(up.scope(s, &plan).unwrap().scopes, ["read", "list", "write"]);
    }
}
