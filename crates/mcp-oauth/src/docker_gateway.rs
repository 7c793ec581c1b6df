//! Handing a grant to the Docker MCP gateway (CE mode), which keeps OAuth clients and tokens
//! in a Docker credential helper under keys and formats of its own (docker/mcp-gateway
//! `pkg/oauth/dcr/credentials.go` and `pkg/oauth/token_store.go`):
//!
//! ```text
//! client  https://<server>.mcp-dcr              user dcr_client        base64(JSON dcr.Client)
//! token   <authorization_endpoint>/<server>     user oauth2_<server>   base64(JSON oauth2.Token)
//! ```
//!
//! The gateway reads only `credsStore` of `$HOME/.docker/config.json` (not DOCKER_CONFIG, not
//! credHelpers), so that is where these go. It refreshes as a public client (no secret in its
//! client format) and without `resource`. A rotating refresh token must have one holder: the
//! hand-over moves it, and our own record keeps the access token only, saying where it went.

use crate::client::{AuthMethod, ClientRecord};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::token::TokenSet;
use base64::Engine as _;
use serde_json::{Value, json};

/// What the gateway needs from the authorization server's metadata and the login.
pub struct Handover<'a> {
    /// The gateway's name for the MCP server (`docker mcp gateway` catalog or config name).
    pub server_name: &'a str,
    pub authorization_endpoint: &'a str,
    pub scopes_supported: &'a [String],
    pub client: &'a ClientRecord,
    pub set: &'a TokenSet,
}

/// The two credential-helper entries, as (ServerURL, Username, Secret).
pub fn entries(h: &Handover<'_>, now: u64) -> Result<[(String, String, String); 2]> {
    let name = h.server_name;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(Error::Usage(format!("{name:?} is not a gateway server name (letters, digits, - _ .)")));
    }
    if h.client.auth_method != AuthMethod::None {
        return Err(Error::Usage(format!(
            "client {} authenticates with {}, but the Docker MCP gateway refreshes as a public client and keeps no secret: register a public client first",
            h.client.client_id, h.client.auth_method
        ))
        .with_hint(crate::remedy::Remedy::Register(crate::remedy::Registration {
            replace: true,
            auth_method: Some(AuthMethod::None),
            ..Default::default()
        })));
    }
    let refresh = h.set.refresh_token.as_ref().ok_or_else(|| {
        Error::Usage("this login has no refresh token: the gateway could use it only until it expires".into())
    })?;
    let scopes: Vec<&str> = h.set.scope.as_deref().unwrap_or_default().split_whitespace().collect();
    let client = json!({
        "authorizationEndpoint": h.authorization_endpoint,
        "authorizationServer": h.set.issuer,
        "clientId": h.client.client_id,
        "clientName": format!("mcp-oauth - {name}"),
        "providerName": name,
        "redirectUri": h.client.redirect_uri.clone().unwrap_or_default(),
        "registeredAt": rfc3339(h.client.created_at),
        "requiredScopes": scopes,
        "resourceUrl": h.set.resource,
        "scopesSupported": h.scopes_supported,
        "serverName": name,
        "tokenEndpoint": h.set.token_endpoint,
    });
    // golang.org/x/oauth2 Token: `expiry` is always written (the zero time when unknown).
    let mut token = json!({
        "access_token": h.set.access_token.expose(),
        "token_type": h.set.token_type,
        "refresh_token": refresh.expose(),
        "expiry": h.set.expires_at.map_or_else(|| "0001-01-01T00:00:00Z".to_string(), rfc3339),
    });
    if let Some(at) = h.set.expires_at {
        token["expires_in"] = Value::from(at.saturating_sub(now));
    }
    let b64 = |v: &Value| base64::engine::general_purpose::STANDARD.encode(v.to_string());
    let endpoint = h.authorization_endpoint.trim_end_matches('/');
    Ok([
        (format!("https://{name}.mcp-dcr"), "dcr_client".to_string(), b64(&client)),
        (format!("{endpoint}/{name}"), format!("oauth2_{name}"), b64(&token)),
    ])
}

/// The helper the gateway will read: `credsStore` in `$HOME/.docker/config.json`.
pub fn gateway_helper() -> Result<String> {
    let home =
        std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or_else(|| Error::Usage("HOME is not set".into()))?;
    // Read the way our own store reads config.json (a broken file is a store error, a
    // helper name is checked), but only this one file, as the gateway does.
    let config = crate::store::DockerConfig::load(&std::path::Path::new(&home).join(".docker"))?;
    config.creds_store().map(String::from).ok_or_else(|| {
        Error::Usage(format!(
            "the Docker MCP gateway stores with the credsStore of {}, which names none: add one, e.g. {{\"credsStore\": \"pass\"}}",
            config.path.display()
        ))
    })
}

/// Writes both entries, then gives our record up its refresh token: from now on the gateway
/// refreshes, and a second holder would break it with the first rotation.
pub fn hand_over(store: &Store, key: &crate::store::Key, h: &Handover<'_>, now: u64) -> Result<(String, TokenSet)> {
    let helper = gateway_helper()?;
    let entries = entries(h, now)?;
    let _guard = store.lock(key)?;
    for (url, user, secret) in entries {
        store.store_foreign(&helper, &url, &user, &secret)?;
    }
    let mut kept = h.set.clone();
    kept.refresh_token = None;
    kept.handed_to = Some(format!("the Docker MCP gateway, server {} (docker-credential-{helper})", h.server_name));
    store.save(key, &kept)?;
    Ok((helper, kept))
}

/// Seconds since the epoch as RFC 3339 UTC (Go's `time.Time` JSON), without a date crate.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
