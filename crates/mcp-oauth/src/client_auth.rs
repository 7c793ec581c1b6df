//! Client authentication on requests to the token, revocation and device-authorization
//! endpoints (RFC 6749 §2.3.1, RFC 7523 §2.2). One place, so that every endpoint
//! authenticates the same way for the same client.

use crate::client::{AuthMethod, ClientRecord};
use crate::error::{Error, Result};
use crate::http::Request;
use crate::remedy::{Registration, Remedy};
use crate::secret::Secret;
use base64::Engine as _;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Adds the client's credentials to a form POST. `audience` is the issuer, used as the
/// `aud` of a `private_key_jwt` assertion.
pub fn apply(mut req: Request, client: &ClientRecord, audience: &str) -> Result<Request> {
    let crate::http::Body::Form(form) = &mut req.body else {
        return Err(Error::Internal("client authentication needs a form request".into()));
    };
    match client.auth_method {
        // No client at all (a workload presenting only its own JWT, SEP-1933): nothing to send.
        AuthMethod::None if client.client_id.is_empty() => {}
        AuthMethod::None => form.push(("client_id".into(), client.client_id.clone())),
        AuthMethod::ClientSecretPost => {
            form.push(("client_id".into(), client.client_id.clone()));
            form.push(("client_secret".into(), secret(client)?.to_string()));
        }
        AuthMethod::ClientSecretBasic => {
            // RFC 6749 §2.3.1 lets the identifier ride in the body as well, and servers built on
            // the official Python MCP SDK answer `invalid_client: Missing client_id` without it.
            // The secret stays in the header only: one authentication method per request.
            form.push(("client_id".into(), client.client_id.clone()));
            let value = basic_credentials(&client.client_id, secret(client)?);
            req = req.header("Authorization", value);
        }
        AuthMethod::PrivateKeyJwt => {
            let key = client.private_key_file.as_deref().ok_or_else(|| {
                Error::InvalidInput(format!("client {} uses private_key_jwt but has no key file", client.client_id))
                    .with_hint(Remedy::Register(Registration { private_key: true, ..Default::default() }))
            })?;
            let assertion = crate::jwt::client_assertion(
                key,
                client.key_id.as_deref(),
                &client.client_id,
                audience,
                crate::clock::now(),
            )?;
            form.push(("client_assertion_type".into(), JWT_BEARER.into()));
            form.push(("client_assertion".into(), assertion.into_exposed()));
        }
    }
    Ok(req)
}

fn secret(client: &ClientRecord) -> Result<&str> {
    client.client_secret.as_ref().map(Secret::expose).ok_or_else(|| {
        Error::InvalidInput(format!(
            "client {} uses {} but no client secret is stored: run mcp-dcr again with the secret",
            client.client_id, client.auth_method
        ))
    })
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded *before* base64 (the TS SDK skips
/// this, which breaks secrets containing `:` or `%`).
pub fn basic_credentials(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(method: AuthMethod, secret: Option<&str>) -> ClientRecord {
        ClientRecord {
            client_id: "my id".into(),
            client_secret: secret.map(Secret::from),
            auth_method: method,
            ..crate::workload::anonymous("https://as.example")
        }
    }

    fn form_of(r: &Request) -> Vec<(String, String)> {
        match &r.body {
            crate::http::Body::Form(f) => f.clone(),
            _ => panic!("not a form"),
        }
    }

    fn req() -> Request {
        Request::post_form(url::Url::parse("https://as.example/token").unwrap(), vec![])
    }

    #[test]
    fn basic_encodes_before_base64() {
        // "a:b%" must survive: ':' and '%' are escaped first.
        let v = basic_credentials("id:1", "a:b%");
        let decoded = base64::engine::general_purpose::STANDARD.decode(v.trim_start_matches("Basic ")).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "id%3A1:a%3Ab%25");
    }

    #[test]
    fn each_method_puts_credentials_in_its_place() {
        let r = apply(req(), &client(AuthMethod::None, None), "a").unwrap();
        assert_eq!(form_of(&r), vec![("client_id".to_string(), "my id".to_string())]);
        assert!(r.headers.is_empty());

        let r = apply(req(), &crate::workload::anonymous("a"), "a").unwrap();
        assert!(form_of(&r).is_empty() && r.headers.is_empty(), "no client: no client_id either");

        let r = apply(req(), &client(AuthMethod::ClientSecretPost, Some("s")), "a").unwrap();
        assert!(form_of(&r).contains(&("client_secret".into(), "s".into())));

        let r = apply(req(), &client(AuthMethod::ClientSecretBasic, Some("s")), "a").unwrap();
        assert_eq!(
            form_of(&r),
            vec![("client_id".to_string(), "my id".to_string())],
            "basic sends the id in the body too (the Python SDK requires it), never the secret"
        );
        assert!(r.headers[0].1.starts_with("Basic "));
    }

    #[test]
    fn missing_secret_or_key_is_a_clear_usage_error() {
        let e = apply(req(), &client(AuthMethod::ClientSecretBasic, None), "a").unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        let e = apply(req(), &client(AuthMethod::PrivateKeyJwt, None), "a").unwrap_err();
        assert!(e.to_string().contains("has no key file"), "{e}");
        assert_eq!(e.remedy(), Some(&Remedy::Register(Registration { private_key: true, ..Default::default() })));
    }
}
