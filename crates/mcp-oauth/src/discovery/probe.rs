//! The MCP `initialize` without a token and what its answer says: the 401's `Bearer`
//! challenge (RFC 7235 §3.1, RFC 6750 §3), laid under a `--challenge` the caller got on a
//! later request, and whether the server asks for authorization at all.

use super::fetch::{Tried, server_failure};
use super::{PROTOCOL_VERSION, Run, rules};
use crate::document::{Discovery, DiscoverySource};
use crate::error::{Error, Result};
use crate::http::{Request, Response};
use crate::www_authenticate::{self, Challenge};
use serde_json::json;

/// The MCP `initialize` request a client sends first: without a token it is discovery's
/// probe, with one it is `mcp-token --status --online`'s check.
pub fn initialize_request(server: url::Url) -> Request {
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": { "name": "mcp-oauth", "version": env!("CARGO_PKG_VERSION") },
        },
    });
    Request::post_json(server, body)
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", PROTOCOL_VERSION)
}

impl Run<'_> {
    /// An MCP `initialize` without a token: the 401 says where the metadata is and which
    /// scope the operation needs.
    pub(super) fn probe(&self) -> Result<Response> {
        self.http.send(initialize_request(self.server.clone()))
    }

    /// Records the probe and returns its `Bearer` challenge, if any.
    pub(super) fn read_probe(&mut self, r: Response) -> Result<Option<Challenge>> {
        let challenges = www_authenticate::parse_all(r.headers_named("www-authenticate"));
        let bearer = www_authenticate::bearer(&challenges).cloned();
        self.doc.discovery = Some(Discovery {
            source: DiscoverySource::ResourceMetadata,
            probe_status: Some(r.status),
            challenge: bearer.clone(),
            resource_metadata_url: None,
            resource_metadata: None,
        });
        match r.status {
            401 => {
                if challenges.is_empty() {
                    self.finding(&rules::NO_CHALLENGE, "the 401 has no WWW-Authenticate challenge");
                } else if bearer.is_none() {
                    let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
                    self.finding(
                        &rules::NO_BEARER,
                        format!("the 401 has no Bearer challenge (only {})", schemes.join(", ")),
                    );
                } else if bearer.as_ref().is_some_and(|b| b.resource_metadata().is_none()) {
                    self.finding(
                        &rules::NO_RESOURCE_METADATA_PARAM,
                        "the 401 challenge has no resource_metadata: clients must guess the well-known URLs",
                    );
                }
                if bearer.as_ref().is_some_and(|b| b.error() == Some("invalid_token")) {
                    self.finding(
                        &rules::INVALID_TOKEN_WITHOUT_TOKEN,
                        "the 401 to a request without credentials says error=\"invalid_token\": no error code should be sent then, and clients take it for a rejected token",
                    );
                }
            }
            s if (200..300).contains(&s) => self.finding(
                &rules::NOT_CHALLENGED,
                format!("answered {s} to an initialize without a token: it may not require authorization"),
            ),
            s if (300..400).contains(&s) => {
                return Err(Error::protocol(
                    self.server.as_str(),
                    format!(
                        "answered {s} redirecting to {}; redirects are not followed, give the final MCP URL",
                        r.header("location").unwrap_or("nowhere")
                    ),
                ));
            }
            // 501: a plain web server saying it has no such method, not a failing server.
            s if s == 429 || (s >= 500 && s != 501) => return Err(server_failure(&r)),
            s => self.finding(
                &rules::UNEXPECTED_STATUS,
                format!(
                    "answered {s} to an initialize without a token, expected 401 with a WWW-Authenticate challenge"
                ),
            ),
        }
        Ok(bearer)
    }

    /// The probe's challenge with the caller's `--challenge` laid over it: the latter came
    /// from the request the client actually needs, so its `scope` and `resource_metadata`
    /// win (MCP Scope Selection Strategy), and it is what the document records.
    pub(super) fn with_given_challenge(&mut self, probed: Option<Challenge>) -> Option<Challenge> {
        let Some(given) = self.opts.challenge.clone() else {
            return probed;
        };
        let mut merged = probed.unwrap_or_else(|| given.clone());
        merged.params.extend(given.params);
        if let Some(d) = self.doc.discovery.as_mut() {
            d.challenge = Some(merged.clone());
        }
        Some(merged)
    }

    /// The probe's outcome in a few words, for the trace.
    pub(super) fn probe_outcome(&self, bearer: Option<&Challenge>) -> String {
        let status = self.probe_status().map_or_else(|| "no status".into(), |s| s.to_string());
        match bearer {
            Some(b) if b.params.is_empty() => format!("{status}, Bearer challenge without parameters"),
            Some(b) => {
                let names: Vec<&str> = b.params.keys().map(String::as_str).collect();
                format!("{status}, Bearer challenge with {}", names.join(", "))
            }
            None => format!("{status}, no Bearer challenge"),
        }
    }

    pub(super) fn probe_status(&self) -> Option<u16> {
        self.doc.discovery.as_ref().and_then(|d| d.probe_status)
    }

    /// Whether the server asked for a token: the probe got a 401, or the caller got one.
    pub(super) fn challenged(&self) -> bool {
        self.probe_status() == Some(401) || self.opts.challenge.is_some()
    }

    pub(super) fn not_protected(&self, tried: &Tried) -> Error {
        let status = self.probe_status().map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no status".into());
        Error::NotProtected(format!(
            "{} does not ask for authorization: it answered {status} to an MCP initialize without a token, with no 401 challenge, and publishes no protected-resource metadata ({})",
            self.server,
            tried.list()
        ))
    }
}
