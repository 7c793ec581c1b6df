//! RFC 7009 token revocation and RFC 7592 client deletion: the clean way out.

mod stored;

pub use stored::{Entry, Outcome, Problem, Target, revoke_profile, revoke_stored};

use crate::client::ClientRecord;
use crate::error::{Error, Result};
use crate::http::{Http, Request};

/// Which token is being revoked (the RFC 7009 §2.1 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    AccessToken,
    RefreshToken,
}

impl Hint {
    pub fn as_str(self) -> &'static str {
        match self {
            Hint::AccessToken => "access_token",
            Hint::RefreshToken => "refresh_token",
        }
    }
}

/// Revokes one token. RFC 7009 §2.2: 200 means revoked *or already invalid*, which is
/// what makes a second `mcp-revoke` succeed. Plain `http` is allowed on loopback, unlike
/// the `oauth2` crate's https-only check, so local servers can be tested.
pub fn revoke(http: &Http, endpoint: &str, issuer: &str, client: &ClientRecord, token: &str, hint: Hint) -> Result<()> {
    let name = format!("revocation ({})", hint.as_str());
    crate::trace::run(&name, |_| send_revocation(http, endpoint, issuer, client, token, hint), |()| "revoked".into())
}

fn send_revocation(
    http: &Http,
    endpoint: &str,
    issuer: &str,
    client: &ClientRecord,
    token: &str,
    hint: Hint,
) -> Result<()> {
    let url = crate::url_policy::endpoint("revocation endpoint", endpoint)?;
    let form =
        vec![("token".to_string(), token.to_string()), ("token_type_hint".to_string(), hint.as_str().to_string())];
    // No DPoP proof, even for a DPoP-bound token: RFC 9449 defines proofs for the token
    // endpoint and for resources only, RFC 7009 authenticates the client (a public client's
    // token is revocable by whoever holds it, which only ends its use), and a proof would be
    // one more signed artifact for the server to ignore. The key also goes with the client
    // (`revocation::stored`), and revoking must work when it is already gone.
    let req = crate::client_auth::apply(Request::post_form(url, form), client, issuer)?;
    let resp = http.send(req)?;
    // A 200 has an empty body, so only a failure goes through the shared error reading.
    if resp.is_success() {
        return Ok(());
    }
    resp.oauth_json(&format!("revoking the {}", hint.as_str())).map(|_| ())
}

/// RFC 7592 §2.3: deletes the registration at the server, with the registration access
/// token. 204 is success; 401/403/404 mean the registration is already gone or no longer
/// ours to delete, which for a user cleaning up is the same outcome.
pub fn delete_registration(http: &Http, client: &ClientRecord) -> Result<bool> {
    crate::trace::run(
        "registration deletion",
        |_| send_deletion(http, client),
        |deleted| {
            if *deleted { "deleted (or already gone)".into() } else { "nothing to delete with".into() }
        },
    )
}

fn send_deletion(http: &Http, client: &ClientRecord) -> Result<bool> {
    let (Some(uri), Some(rat)) = (&client.registration_client_uri, &client.registration_access_token) else {
        return Ok(false);
    };
    let url = crate::url_policy::endpoint("registration client URI", uri)?;
    let resp = http.send(Request::delete(url).header("Authorization", format!("Bearer {}", rat.expose())))?;
    match resp.status {
        200..=299 | 401 | 403 | 404 => Ok(true),
        s => Err(Error::protocol(resp.url.as_str(), format!("deleting the client registration: HTTP {s}"))),
    }
}
