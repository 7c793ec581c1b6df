//! One HTTP exchange as the trace shows it: request, answer (or the error that stopped it),
//! timings and the JWTs it carried, redacted once here for every front end.

use super::tokens::{self, DecodedToken};
use crate::http::{Body, Request, Response};
use crate::redact;
use serde::Serialize;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    pub step: Option<u64>,
    pub started_at: String,
    #[serde(rename = "elapsed_ms", serialize_with = "super::millis")]
    pub elapsed: Duration,
    /// Why the request was made when it is not the protocol's ("connection warm-up").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub request: ShownRequest,
    pub response: Option<ShownResponse>,
    /// Why there is no response (or why it was refused): a timeout, a size limit.
    pub error: Option<String>,
    pub tokens: Vec<DecodedToken>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<Field>,
    pub body: Option<ShownBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownResponse {
    pub status: u16,
    pub headers: Vec<Field>,
    pub body: Option<ShownBody>,
}

/// A body: JSON (secret members redacted), form fields (secret ones redacted), other text
/// that is safe to quote, or only its size and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownBody {
    pub media_type: String,
    pub size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<Vec<Field>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Longest non-JSON text body quoted in a trace (an HTML error page, say).
const MAX_TEXT: usize = 16 * 1024;

/// A request as it goes out, before its answer: a trace shows it at once, so that what is
/// in flight together (and what waits on what) reads from the order of the lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sent {
    pub step: Option<u64>,
    pub started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub request: ShownRequest,
}

/// An exchange being traced, from [`sending`] to [`Pending::answered`].
pub(crate) struct Pending {
    sent: Sent,
    started: Instant,
    reveal: bool,
}

/// Announces a request about to go out (an [`Event::Request`](crate::events::Event::Request)),
/// tied to this thread's step.
pub(crate) fn sending(req: &Request, reveal: bool, note: Option<&str>) -> Pending {
    let shown = Shown { reveal };
    let sent = Sent {
        step: super::current().map(|(id, _)| id),
        started_at: super::timestamp(SystemTime::now()),
        note: note.map(String::from),
        request: ShownRequest {
            method: req.method.to_string(),
            url: shown.url(&req.url),
            headers: req.headers.iter().map(|(n, v)| shown.header(&req.url, n, v)).collect(),
            body: shown.request_body(&req.body),
        },
    };
    crate::events::emit(crate::events::Event::Request(&sent));
    Pending { sent, started: Instant::now(), reveal }
}

impl Pending {
    /// Reports the whole exchange (an [`Event::Exchange`](crate::events::Event::Exchange)).
    pub(crate) fn answered(self, req: &Request, resp: Result<&Response, &crate::Error>) {
        crate::events::emit(crate::events::Event::Exchange(&self.exchange(req, resp)));
    }

    fn exchange(self, req: &Request, resp: Result<&Response, &crate::Error>) -> Exchange {
        let elapsed = self.started.elapsed();
        let expects = super::current().map(|(_, e)| e).unwrap_or_default();
        let shown = Shown { reveal: self.reveal };
        let mut found = Vec::new();
        tokens::scan_request(req, &mut found);
        if let Ok(r) = resp {
            tokens::scan_response(r, &mut found);
        }
        Exchange {
            step: self.sent.step,
            started_at: self.sent.started_at,
            elapsed,
            note: self.sent.note,
            request: self.sent.request,
            response: resp.ok().map(|r| ShownResponse {
                status: r.status,
                headers: r.headers.iter().map(|(n, v)| shown.header(&r.url, n, v)).collect(),
                body: shown.response_body(r),
            }),
            error: resp.err().map(|e| e.to_string()),
            tokens: tokens::decode(found, &expects, self.reveal),
        }
    }
}

/// Pairs with their secret values hidden, unless the user asked to see them.
pub(crate) fn shown_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Field> {
    let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    let shown = if redact::revealing() {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    } else {
        redact::pairs(pairs)
    };
    shown.into_iter().map(|(name, value)| Field { name, value }).collect()
}

struct Shown {
    reveal: bool,
}

impl Shown {
    fn url(&self, u: &Url) -> String {
        if self.reveal { u.to_string() } else { redact::url(u) }
    }

    /// Credential headers are hidden, and a `Location` is redacted like a URL: a server
    /// may redirect with a token in it.
    fn header(&self, base: &Url, n: &str, v: &str) -> Field {
        let value = if self.reveal {
            v.to_string()
        } else if n.eq_ignore_ascii_case("location") || n.eq_ignore_ascii_case("content-location") {
            redact::location(base, v)
        } else {
            redact::header_value(n, v)
        };
        Field { name: n.to_string(), value }
    }

    fn json(&self, v: &Value) -> Value {
        if self.reveal { v.clone() } else { redact::json(v) }
    }

    fn form(&self, pairs: &[(String, String)]) -> Vec<Field> {
        let shown = if self.reveal {
            pairs.to_vec()
        } else {
            redact::pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        };
        shown.into_iter().map(|(name, value)| Field { name, value }).collect()
    }

    fn request_body(&self, body: &Body) -> Option<ShownBody> {
        match body {
            Body::Empty => None,
            Body::Json(v) => Some(ShownBody {
                media_type: "application/json".into(),
                size: v.to_string().len(),
                json: Some(self.json(v)),
                form: None,
                text: None,
            }),
            Body::Form(f) => Some(ShownBody {
                media_type: "application/x-www-form-urlencoded".into(),
                size: url::form_urlencoded::Serializer::new(String::new()).extend_pairs(f).finish().len(),
                json: None,
                form: Some(self.form(f)),
                text: None,
            }),
        }
    }

    fn response_body(&self, r: &Response) -> Option<ShownBody> {
        if r.body.is_empty() {
            return None;
        }
        let media_type = r.media_type().unwrap_or_default();
        let mut body = ShownBody { media_type, size: r.body.len(), json: None, form: None, text: None };
        if let Ok(v) = serde_json::from_slice::<Value>(&r.body) {
            body.json = Some(self.json(&v));
        } else if body.media_type == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&r.body).into_owned().collect();
            body.form = Some(self.form(&pairs));
        } else if (r.quotable || self.reveal) && r.body.len() <= MAX_TEXT && is_text(&body.media_type) {
            let text = String::from_utf8_lossy(&r.body);
            body.text = Some(if self.reveal { text.into_owned() } else { redact::scrub(&text).into_owned() });
        }
        Some(body)
    }
}

fn is_text(media_type: &str) -> bool {
    media_type.starts_with("text/") || media_type.ends_with("+xml") || media_type == "application/xml"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Step;

    #[test]
    fn an_exchange_belongs_to_the_step_entered_and_shows_no_secret() {
        let url = Url::parse("http://127.0.0.1:1/token?code=CODE-123456789").unwrap();
        let form = vec![("grant_type".into(), "refresh_token".into()), ("refresh_token".into(), "RT-123456789".into())];
        let req = Request::post_form(url.clone(), form).header("Authorization", "Basic Q1JFRC0xMjM0NTY3ODk=");
        let resp = Response {
            url,
            status: 200,
            headers: vec![("location".into(), "/x?access_token=AT-123456789".into())],
            body: br#"{"access_token":"AT-123456789","token_type":"Bearer"}"#.to_vec(),
            quotable: false,
        };
        let step = Step::begin("a flow added later");
        let shown = {
            let _entered = step.enter();
            sending(&req, false, None).exchange(&req, Ok(&resp))
        };
        assert_eq!(shown.step, Some(step.id()));
        let text = serde_json::to_string(&shown).unwrap();
        for secret in ["CODE-123456789", "RT-123456789", "Q1JFRC0xMjM0NTY3ODk=", "AT-123456789"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains(r#""value":"refresh_token""#) && text.contains(r#""elapsed_ms":"#), "{text}");
        let revealed = sending(&req, true, None).exchange(&req, Ok(&resp));
        assert!(serde_json::to_string(&revealed).unwrap().contains("RT-123456789"));
        assert_eq!(revealed.step, None, "outside the step, none");
    }
}
