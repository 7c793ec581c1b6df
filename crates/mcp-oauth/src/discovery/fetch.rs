//! The one way discovery fetches and reads a metadata document, for resource and
//! authorization-server metadata alike, so the two cannot come to be treated differently:
//! redirects are not followed, each answer is sorted into "found", "not here, try the next
//! candidate" or "stop, the server is failing", and a body that is not the document it
//! should be is a finding and a reason in the final error at once.

use super::rules::{self, Rule};
use super::{At, PROTOCOL_VERSION, Run, Step, Stop};
use crate::error::{Error, Result};
use crate::http::{Http, Request, Response};
use crate::metadata::{AuthorizationServerMetadata, ResourceMetadata};
use serde::de::DeserializeOwned;
use url::Url;

/// A metadata fetch, sorted by what it means for discovery.
enum Fetched {
    Found(Response),
    /// Try the next candidate; the reason goes into the final error if none is left.
    NotHere(String),
    /// Stop: the server is failing or unreachable, and its answer here might have been the
    /// one that counts.
    Fatal(Error),
}

/// A document discovery fetches: its name in errors, its step, and the rules a bad answer
/// breaks.
pub(super) trait Metadata: DeserializeOwned {
    const WHAT: &'static str;
    const STEP: At;
    const RULES: FetchRules;
}

/// What a metadata answer can get wrong, as the rules of one kind of metadata.
pub(super) struct FetchRules {
    content_type: &'static Rule,
    redirect: &'static Rule,
    invalid: &'static Rule,
}

impl Metadata for ResourceMetadata {
    const WHAT: &'static str = "protected-resource metadata";
    const STEP: At = At::ResourceMetadata;
    const RULES: FetchRules = FetchRules {
        content_type: &rules::PRM_CONTENT_TYPE,
        redirect: &rules::PRM_REDIRECT,
        invalid: &rules::PRM_INVALID,
    };
}

impl Metadata for AuthorizationServerMetadata {
    const WHAT: &'static str = "authorization-server metadata";
    const STEP: At = At::AuthorizationServerMetadata;
    const RULES: FetchRules = FetchRules {
        content_type: &rules::AS_CONTENT_TYPE,
        redirect: &rules::AS_REDIRECT,
        invalid: &rules::AS_INVALID,
    };
}

/// The candidates that gave nothing, for the error when none is left.
#[derive(Debug, Default)]
pub(super) struct Tried {
    reasons: Vec<String>,
    /// Whether a finding already holds one of the reasons, so the error built from them
    /// needs no finding of its own.
    recorded: bool,
}

impl Tried {
    pub(super) fn skip(&mut self, reason: String) {
        self.reasons.push(reason);
    }

    pub(super) fn list(&self) -> String {
        self.reasons.join("; ")
    }

    /// Stops with the error `error` makes of the reasons.
    pub(super) fn stop(&self, error: impl FnOnce(String) -> Error) -> Stop {
        Stop { error: error(self.list()), recorded: self.recorded }
    }
}

pub(super) fn get_metadata(http: &Http, url: &Url) -> Result<Response> {
    http.send(
        Request::get(url.clone()).header("Accept", "application/json").header("MCP-Protocol-Version", PROTOCOL_VERSION),
    )
}

/// Fetches the URLs concurrently over the one client; answers come back in input order.
pub(super) fn get_all(http: &Http, urls: &[Url]) -> Vec<Result<Response>> {
    if let [one] = urls {
        return vec![get_metadata(http, one)];
    }
    let step = crate::trace::Inherited::here();
    std::thread::scope(|s| {
        let handles: Vec<_> = urls
            .iter()
            .map(|u| {
                s.spawn(move || {
                    let _entered = step.enter();
                    get_metadata(http, u)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(thread_panicked()))).collect()
    })
}

pub(super) fn thread_panicked() -> Error {
    Error::Internal("a discovery request thread panicked".into())
}

pub(super) fn server_failure(r: &Response) -> Error {
    let retry = r.header("retry-after").map(|s| format!(", Retry-After: {s}")).unwrap_or_default();
    Error::protocol(
        r.url.as_str(),
        format!(
            "HTTP {}{retry}: the server is failing; not falling back to other discovery rules, try again later",
            r.status
        ),
    )
}

impl Run<'_> {
    /// One candidate's answer read as `T`: `Ok(None)` means "not here, try the next", and
    /// `tried` says why.
    pub(super) fn fetched<T: Metadata>(
        &mut self,
        url: &Url,
        result: Result<Response>,
        tried: &mut Tried,
    ) -> Step<Option<T>> {
        self.at = T::STEP;
        let r = match self.classify(url, result, &T::RULES) {
            Fetched::Found(r) => r,
            Fetched::NotHere(why) => {
                tried.skip(format!("{url}: {why}"));
                return Ok(None);
            }
            Fetched::Fatal(e) => return Err(e.into()),
        };
        let parsed = r.json_object().and_then(|map| {
            serde_json::from_value::<T>(serde_json::Value::Object(map))
                .map_err(|e| Error::protocol(url.as_str(), format!("not {}: {e}", T::WHAT)))
        });
        match parsed {
            Ok(found) => Ok(Some(found)),
            Err(e) => {
                self.unusable(T::RULES.invalid, e.to_string(), tried);
                Ok(None)
            }
        }
    }

    /// A candidate that answered but cannot be used: a finding, and the same words as the
    /// reason in the final error.
    pub(super) fn unusable(&mut self, rule: &Rule, message: String, tried: &mut Tried) {
        self.finding(rule, message.clone());
        tried.recorded = true;
        tried.skip(message);
    }

    fn classify(&mut self, url: &Url, result: Result<Response>, rules: &FetchRules) -> Fetched {
        let r = match result {
            Ok(r) => r,
            Err(e) => return Fetched::Fatal(e),
        };
        if r.is_success() {
            if !r.is_json_type() {
                let got = r.media_type().unwrap_or_else(|| "no content type".into());
                self.finding(rules.content_type, format!("{url} is served as {got}, not application/json"));
            }
            return Fetched::Found(r);
        }
        if r.is_redirect() {
            let to = r.header("location").unwrap_or("nowhere").to_string();
            self.finding(
                rules.redirect,
                format!("{url} answers {} redirecting to {to}; metadata must be served at its well-known URL, redirects are not followed", r.status),
            );
            return Fetched::NotHere(format!("HTTP {} to {to} (not followed)", r.status));
        }
        if r.status == 429 || r.status >= 500 {
            return Fetched::Fatal(server_failure(&r));
        }
        Fetched::NotHere(format!("HTTP {}", r.status))
    }
}
