//! One HTTP request and its answer, as the protocol code sees them: bodies (form or JSON),
//! the secrets each carries (so traces and messages can hide them), and reading an answer as
//! JSON or as an OAuth error without ever quoting a secret.

use super::*;

#[derive(Clone)]
pub enum Body {
    Empty,
    Json(Value),
    Form(Vec<(String, String)>),
}

#[derive(Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// The answer carries secrets (a token response): its body is never quoted in a message.
    pub secret_answer: bool,
}

// Requests and responses carry client secrets, codes and tokens in their forms, headers and
// bodies: `{:?}` shows them the way a trace does, with every secret value redacted.
impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Json(v) => f.debug_tuple("Json").field(&crate::redact::json(v)).finish(),
            Body::Form(form) => {
                let shown = crate::redact::pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                f.debug_tuple("Form").field(&shown).finish()
            }
        }
    }
}

fn redacted_headers(headers: &[(String, String)]) -> Vec<(&str, String)> {
    headers.iter().map(|(n, v)| (n.as_str(), crate::redact::header_value(n, v))).collect()
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &crate::redact::url(&self.url))
            .field("headers", &redacted_headers(&self.headers))
            .field("body", &self.body)
            .field("secret_answer", &self.secret_answer)
            .finish()
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &crate::redact::url(&self.url))
            .field("status", &self.status)
            .field("headers", &redacted_headers(&self.headers))
            .field("body", &format_args!("{} bytes", self.body.len()))
            .field("quotable", &self.quotable)
            .finish()
    }
}

impl Request {
    pub fn get(url: Url) -> Self {
        Request { method: reqwest::Method::GET, url, headers: Vec::new(), body: Body::Empty, secret_answer: false }
    }

    pub fn post_form(url: Url, form: Vec<(String, String)>) -> Self {
        Request {
            method: reqwest::Method::POST,
            url,
            headers: Vec::new(),
            body: Body::Form(form),
            secret_answer: false,
        }
    }

    pub fn post_json(url: Url, json: Value) -> Self {
        Request {
            method: reqwest::Method::POST,
            url,
            headers: Vec::new(),
            body: Body::Json(json),
            secret_answer: false,
        }
    }

    pub fn head(url: Url) -> Self {
        Request { method: reqwest::Method::HEAD, url, headers: Vec::new(), body: Body::Empty, secret_answer: false }
    }

    pub fn delete(url: Url) -> Self {
        Request { method: reqwest::Method::DELETE, url, headers: Vec::new(), body: Body::Empty, secret_answer: false }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Marks a request whose successful answer holds secrets (see [`Request::secret_answer`]).
    pub fn secret_answer(mut self) -> Self {
        self.secret_answer = true;
        self
    }

    /// Every secret this request sends: form fields, JSON members, credential headers
    /// (a Basic header's password decoded too), for [`redact::remember`].
    pub(super) fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (n, v) in &self.headers {
            if redact::is_secret_header(n) {
                let credential = v.split_once(' ').map_or(v.as_str(), |(_, c)| c.trim());
                out.push(credential.to_string());
                out.extend(basic_password(credential));
            }
        }
        match &self.body {
            Body::Empty => {}
            Body::Form(f) => out.extend(f.iter().filter(|(k, _)| redact::is_secret_field(k)).map(|(_, v)| v.clone())),
            Body::Json(v) => secret_members(v, &mut out),
        }
        out
    }
}

/// The password of `Basic base64(id:password)`, form-decoded (RFC 6749 §2.3.1).
fn basic_password(credential: &str) -> Option<String> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD.decode(credential).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (_, password) = text.split_once(':')?;
    Some(url::form_urlencoded::parse(format!("p={password}").as_bytes()).next()?.1.into_owned())
}

/// The values of secret members, at any depth.
pub(super) fn secret_members(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if redact::is_secret_field(k) => out.push(s.clone()),
                    other => secret_members(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| secret_members(i, out)),
        _ => {}
    }
}

#[derive(Clone)]
pub struct Response {
    pub url: Url,
    pub status: u16,
    /// Names lowercased; repeated headers kept in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// False for answers that carry secrets: the body is then described, never quoted.
    pub quotable: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }

    /// The media type without parameters, lowercased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }

    pub fn is_json_type(&self) -> bool {
        self.media_type().is_some_and(|m| m == "application/json" || m.ends_with("+json"))
    }

    /// Parses the body as a JSON object, with an error that says what came instead.
    pub fn json_object(&self) -> Result<serde_json::Map<String, Value>> {
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => {
                Err(Error::protocol(self.url.as_str(), format!("expected a JSON object, got {}", json_kind(&other))))
            }
            Err(_) => Err(Error::protocol(
                self.url.as_str(),
                format!(
                    "expected JSON, got {} ({} bytes{})",
                    self.media_type().unwrap_or_else(|| "no content type".into()),
                    self.body.len(),
                    self.snippet()
                ),
            )),
        }
    }
}

impl Response {
    /// An RFC 6749 §5.2 error body (`error`, `error_description`, `error_uri`), with RFC 9470's
    /// step-up parameters beside it (`acr_values`, `max_age`), if that is what this response
    /// carries, whatever its status.
    pub fn oauth_error(&self) -> Option<crate::error::OAuthErrorBody> {
        let v: Value = serde_json::from_slice(&self.body).ok()?;
        let error = v.get("error")?.as_str()?.to_string();
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let wants = crate::error::StepUpWants {
            acr_values: text("acr_values"),
            max_age: crate::lenient::number(v.get("max_age")),
        };
        Some(crate::error::OAuthErrorBody {
            error,
            error_description: text("error_description"),
            error_uri: text("error_uri"),
            step_up: (wants != crate::error::StepUpWants::default()).then(|| Box::new(wants)),
        })
    }

    /// The JSON object of a successful OAuth endpoint answer (any 2xx, since registration
    /// answers 201 and some token endpoints do too), or the error the server meant.
    /// `context` names the step for the message ("token request", "registration").
    pub fn oauth_json(&self, context: &str) -> Result<serde_json::Map<String, Value>> {
        if let Some(body) = self.oauth_error() {
            let wants = step_up_wants(&body).map(|w| format!("; it wants {w}")).unwrap_or_default();
            return Err(Error::OAuth { context: format!("{context} ({}{wants})", self.status), body });
        }
        if self.is_redirect() {
            return Err(Error::protocol(
                self.url.as_str(),
                format!(
                    "{context}: answered {} redirecting to {}; credentials are never sent after a redirect",
                    self.status,
                    self.header("location").map_or_else(|| "nowhere".into(), |l| redact::location(&self.url, l))
                ),
            ));
        }
        if !self.is_success() {
            return Err(Error::protocol(
                self.url.as_str(),
                format!("{context}: HTTP {}{}", self.status, self.snippet()),
            ));
        }
        self.json_object()
    }
}

/// The step-up parameters of an error, as the sign-in they ask for: what the user must do
/// differently is in them, not in the error code.
fn step_up_wants(body: &crate::error::OAuthErrorBody) -> Option<String> {
    let wants = body.step_up.as_deref()?;
    let acr = wants.acr_values.as_ref().map(|a| format!("acr_values {a:?}"));
    let max_age = wants.max_age.map(|m| format!("max_age {m} s"));
    let wants: Vec<String> = acr.into_iter().chain(max_age).collect();
    (!wants.is_empty()).then(|| wants.join(", "))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Response {
    /// The start of a non-JSON body, on one line, for error messages ("<html>..."); nothing
    /// for an answer that carries secrets (a form-encoded token response holds the token).
    fn snippet(&self) -> String {
        if self.quotable { snippet(&self.body) } else { String::new() }
    }
}

pub(super) fn snippet(body: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(&body[..body.len().min(60)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    if text.is_empty() { String::new() } else { format!(": {text:?}") }
}
