//! Step 2 of SEP-990: the RFC 8693 token exchange at the IdP that turns the user's ID token
//! into an ID-JAG for one MCP authorization server and resource.

use super::{ID_JAG_TOKEN_TYPE, ID_TOKEN_TYPE};
use crate::client::ClientRecord;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::secret::Secret;
use crate::token::{self, Endpoint, Grant};
use serde_json::Value;

/// What the IdP leg needs: the user's ID token and who the client is at the IdP.
#[derive(Debug, Clone)]
pub struct Subject {
    pub issuer: String,
    pub token_endpoint: String,
    pub client: ClientRecord,
    pub id_token: Secret,
}

/// The MCP side the ID-JAG is for.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    /// The MCP authorization server's `issuer`, exactly as its metadata says (EMA §4).
    pub issuer: &'a str,
    pub resource: &'a str,
    pub scope: Option<&'a str>,
}

/// One exchange with the IdP client's authentication (EMA §7.7). The answer's
/// `access_token` is the ID-JAG, not an access token: it is only ever an assertion.
pub fn request_id_jag(http: &Http, subject: &Subject, to: Audience<'_>) -> Result<Secret> {
    let grant = Grant::TokenExchange {
        subject_token: subject.id_token.clone(),
        subject_token_type: ID_TOKEN_TYPE,
        requested_token_type: ID_JAG_TOKEN_TYPE,
        audience: to.issuer.to_string(),
    };
    let endpoint = Endpoint {
        token_endpoint: &subject.token_endpoint,
        issuer: &subject.issuer,
        client: &subject.client,
        dpop: None,
    };
    let resp =
        token::request(http, endpoint, &grant, to.resource, to.scope).map_err(|e| refused_pair(e, subject, to))?;
    issued_id_jag(resp, &subject.token_endpoint)
}

/// EMA §7.6.1: the IdP issues ID-JAGs only for the (authorization server, resource) pairs
/// its administrator allowed, and `invalid_target` says the pair the MCP server's metadata
/// led to is not one of them: a configuration matter, which a new sign-in does not change.
/// The error names the pair, since the user never typed the authorization server.
fn refused_pair(e: Error, subject: &Subject, to: Audience<'_>) -> Error {
    match e.bare() {
        Error::OAuth { body, .. } if body.error == "invalid_target" => Error::OAuth {
            context: format!(
                "the IdP {} does not issue ID-JAGs for the authorization server {} with the resource {} \
                 (the ones the MCP server's metadata names; its administrator allows each pair)",
                subject.issuer, to.issuer, to.resource
            ),
            body: body.clone(),
        },
        _ => e,
    }
}

/// RFC 8693 §2.2.1: the issued type says what `access_token` holds.
fn issued_id_jag(resp: token::TokenResponse, url: &str) -> Result<Secret> {
    match resp.extra.get("issued_token_type").and_then(Value::as_str) {
        Some(ID_JAG_TOKEN_TYPE) => Ok(resp.access_token),
        other => Err(Error::protocol(
            url,
            format!(
                "the token exchange issued {}, not an ID-JAG ({ID_JAG_TOKEN_TYPE})",
                other.unwrap_or("no issued_token_type")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refused_pair_is_named_and_stays_an_oauth_error() {
        let client: ClientRecord = serde_json::from_value(json!({
            "issuer": "https://idp.example", "client_id": "c", "auth_method": "none",
            "source": "pre_registered", "created_at": 0,
        }))
        .unwrap();
        let subject = Subject {
            issuer: "https://idp.example".into(),
            token_endpoint: "https://idp.example/token".into(),
            client,
            id_token: Secret::from("t"),
        };
        let to = Audience { issuer: "https://other-as.example", resource: "https://mcp.example/mcp", scope: None };
        let oauth = |error: &str| Error::OAuth {
            context: "token request (400)".into(),
            body: crate::error::OAuthErrorBody { error: error.into(), ..Default::default() },
        };
        let e = refused_pair(oauth("invalid_target"), &subject, to);
        assert_eq!((e.oauth_error(), e.exit_code().code()), (Some("invalid_target"), 3));
        let text = e.to_string();
        assert!(text.contains("https://other-as.example") && text.contains("https://mcp.example/mcp"), "{text}");
        assert_eq!(refused_pair(oauth("invalid_grant"), &subject, to).to_string(), oauth("invalid_grant").to_string());
    }

    #[test]
    fn only_an_issued_id_jag_is_taken() {
        let parse = |v: Value| token::parse_response(v.as_object().unwrap(), "https://idp.example/token").unwrap();
        let ok = parse(json!({"access_token": "a.b.c", "token_type": "N_A", "issued_token_type": ID_JAG_TOKEN_TYPE}));
        assert_eq!(issued_id_jag(ok, "u").unwrap().expose(), "a.b.c");
        for other in [
            json!({"access_token": "at", "token_type": "Bearer"}),
            json!({"access_token": "at", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}),
        ] {
            let e = issued_id_jag(parse(other), "u").unwrap_err();
            assert_eq!(e.exit_code().code(), 3, "{e}");
        }
    }
}
