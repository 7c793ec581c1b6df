//! RFC 8628: the device authorization grant, for machines without a usable browser. The
//! user opens the verification URI anywhere and enters the code; we poll the token
//! endpoint at the pace the server asks for.

use super::{Plan, Session};
use crate::error::{Error, Result};
use crate::events::{Event, Prompt};
use crate::grant_type::GrantType;
use crate::http::Request;
use crate::remedy::Remedy;
use crate::secret::Secret;
use crate::token::{Grant, TokenSet};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// RFC 8628 §3.2: the default polling interval, and §3.5: what `slow_down` adds.
const DEFAULT_INTERVAL: u64 = 5;
const SLOW_DOWN_STEP: u64 = 5;
/// Servers give device codes minutes, not hours; a longer promise is not waited for.
const MAX_WAIT: u64 = 1800;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    pub interval: u64,
}

/// Parses the response, accepting Google's older `verification_url` spelling and numbers
/// sent as strings.
pub fn parse_device_authorization(body: &Map<String, Value>, url: &str) -> Result<DeviceAuthorization> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
    let number = |k: &str| crate::lenient::number(body.get(k));
    let missing = |k: &str| Error::protocol(url, format!("device authorization response has no {k}"));
    Ok(DeviceAuthorization {
        device_code: text("device_code").map(Secret::from).ok_or_else(|| missing("device_code"))?,
        user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
        verification_uri: text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?,
        verification_uri_complete: text("verification_uri_complete"),
        expires_in: number("expires_in").ok_or_else(|| missing("expires_in"))?,
        interval: match number("interval") {
            None | Some(0) => DEFAULT_INTERVAL,
            // A deadline is `now + interval`: 2^64-1 seconds would overflow it.
            Some(i) if i > MAX_WAIT => {
                return Err(Error::protocol(
                    url,
                    format!("device authorization response asks to poll every {i} s (at most {MAX_WAIT})"),
                ));
            }
            Some(i) => i,
        },
    })
}

/// What to do after one poll that did not yield tokens.
#[derive(Debug, PartialEq, Eq)]
enum Poll {
    Again { interval: u64 },
}

/// RFC 8628 §3.5 error handling: keep polling, slow down, or stop with the right error.
fn on_poll_error(e: Error, interval: u64) -> Result<Poll> {
    match e.oauth_error() {
        Some("authorization_pending") => Ok(Poll::Again { interval }),
        Some("slow_down") => Ok(Poll::Again { interval: (interval + SLOW_DOWN_STEP).min(MAX_WAIT) }),
        Some("access_denied") => Err(Error::AuthorizationFailed("the user denied the device authorization".into())),
        Some("expired_token") => {
            Err(Error::AuthorizationFailed("the device code expired before the user approved it".into())
                .with_hint(Remedy::Login { server: None, grant: Some(GrantType::DeviceCode), profile: None }))
        }
        _ => Err(e),
    }
}

/// The whole device flow: request codes, tell the user, poll until approved, denied or
/// expired. With `$BROWSER` set (and `open_browser`), the complete verification URI is
/// handed to it, which is how a test stand-in or a forwarding helper approves it.
pub fn device(s: Session<'_>, plan: &Plan, open_browser: bool) -> Result<TokenSet> {
    let endpoint = plan.metadata.device_authorization_endpoint.as_deref().ok_or_else(|| {
        Error::Usage(format!(
            "{} does not support the device authorization grant (no device_authorization_endpoint)",
            plan.issuer
        ))
        .with_hint(Remedy::HandOff)
    })?;
    let url = crate::url_policy::endpoint("device authorization endpoint", endpoint)?;
    let scope = plan.user_scope();
    // An enterprise IdP login has no MCP resource to name.
    let mut form: Vec<(String, String)> = Some(plan.resource.clone())
        .filter(|r| !r.is_empty())
        .map(|r| ("resource".to_string(), r))
        .into_iter()
        .collect();
    if let Some(scope) = &scope {
        form.push(("scope".to_string(), scope.clone()));
    }
    let req = Request::post_form(url, form).header("Accept", "application/json").secret_answer();
    let req = crate::client_auth::apply(req, &plan.client, &plan.issuer)?;
    let da = crate::trace::run(
        "device authorization",
        |_| {
            let resp = s.http.send(req)?;
            parse_device_authorization(&resp.oauth_json("device authorization")?, resp.url.as_str())
        },
        |da| format!("a user code for {}, valid {} s", da.verification_uri, da.expires_in),
    )?;

    crate::events::emit(Event::Prompt(Prompt::EnterCode {
        verification_uri: &da.verification_uri,
        user_code: &da.user_code,
        complete: da.verification_uri_complete.as_deref(),
        expires_in: da.expires_in,
    }));
    if open_browser {
        let target = da.verification_uri_complete.as_deref().unwrap_or(&da.verification_uri);
        match url::Url::parse(target) {
            Ok(u) => match crate::browser::open_if_browser_set(&u) {
                Ok(Some(o)) if o.note.is_some() => {
                    crate::events::notice!("{}", o.note.unwrap_or_default())
                }
                Ok(_) => {}
                Err(e) => crate::events::notice!("not opening the verification URI: {e}"),
            },
            Err(_) => {
                crate::events::notice!("the verification URI is not a URL; not opening it")
            }
        }
    }

    let deadline = Instant::now() + Duration::from_secs(da.expires_in.min(MAX_WAIT));
    let mut interval = da.interval;
    let grant = Grant::DeviceCode { device_code: da.device_code.clone() };
    loop {
        let wake = Instant::now() + Duration::from_secs(interval);
        if wake >= deadline {
            return Err(Error::AuthorizationFailed(format!(
                "the user did not approve the device authorization within {} s",
                da.expires_in.min(MAX_WAIT)
            )));
        }
        std::thread::sleep(wake - Instant::now());
        match plan.request_token(s.http, &grant, None) {
            Ok(resp) => {
                return plan.token_set(resp, crate::grant_type::GrantType::DeviceCode, scope.as_deref());
            }
            Err(e) => match on_poll_error(e, interval)? {
                Poll::Again { interval: next } => interval = next,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OAuthErrorBody;
    use serde_json::json;

    fn oauth(code: &str) -> Error {
        Error::OAuth {
            context: "device_code grant (400)".into(),
            body: OAuthErrorBody { error: code.into(), ..Default::default() },
        }
    }

    #[test]
    fn parses_the_response_leniently() {
        let body =
            json!({"device_code":"d","user_code":"U-1","verification_url":"https://x/device","expires_in":"600"});
        let da = parse_device_authorization(body.as_object().unwrap(), "u").unwrap();
        assert_eq!(da.verification_uri, "https://x/device");
        assert_eq!(da.expires_in, 600);
        assert_eq!(da.interval, DEFAULT_INTERVAL);
        assert!(!format!("{da:?}").contains("\"d\""), "Debug hides the device code");
        let e = parse_device_authorization(json!({"user_code":"u"}).as_object().unwrap(), "u").unwrap_err();
        assert_eq!(e.exit_code().code(), 3);
        let absurd = json!({"device_code":"d","user_code":"U","verification_uri":"https://x/d","expires_in":600,"interval":u64::MAX});
        let e = parse_device_authorization(absurd.as_object().unwrap(), "u").unwrap_err();
        assert_eq!(e.exit_code().code(), 3);
    }

    #[test]
    fn poll_errors_follow_rfc8628() {
        assert_eq!(on_poll_error(oauth("authorization_pending"), 5).unwrap(), Poll::Again { interval: 5 });
        assert_eq!(on_poll_error(oauth("slow_down"), 5).unwrap(), Poll::Again { interval: 10 });
        assert_eq!(on_poll_error(oauth("access_denied"), 5).unwrap_err().exit_code().code(), 8);
        assert_eq!(on_poll_error(oauth("expired_token"), 5).unwrap_err().exit_code().code(), 8);
        assert_eq!(on_poll_error(oauth("invalid_client"), 5).unwrap_err().exit_code().code(), 3);
        assert_eq!(on_poll_error(Error::network("u", "down"), 5).unwrap_err().exit_code().code(), 4);
    }
}
