//! Discovery: from an MCP server URL to a validated authorization server, the RFC 8707
//! resource identifier and the scopes to ask for (MCP 2026-07-28 "Authorization Server
//! Discovery", RFC 9728, RFC 8414, OpenID Connect Discovery, and the 2025-03-26 fallback).
//! This file holds the entry points and the order of the steps; each step has its module.
//!
//! Speed: the unauthenticated probe and the path-inserted resource-metadata URL (where the
//! probe's `resource_metadata` almost always points) are fetched at the same time, and all
//! authorization-server metadata candidates are fetched at once. The mandated order is kept
//! by *choosing* in priority order among the answers, so a typical discovery costs two
//! round trips instead of three or four.
//!
//! Safety: redirects are never followed (a 3xx means "not here"), the resource and issuer
//! echo checks are exact (RFC 9728 §3.3, RFC 8414 §3.3), every endpoint must be HTTPS or
//! loopback, and a 5xx or 429 stops discovery instead of silently switching to the legacy
//! rules (which would pick other endpoints because a server had a bad minute).
//!
//! Findings: every deviation is recorded by `Run::finding`, and discovery stops with a
//! `Stop` that knows whether a finding already says why, so `--check` lists each once.

use crate::document::{Discovered, Discovery, DiscoverySource, Document};
use crate::error::{Error, ExitCode, Result};
use crate::http::Http;
use crate::metadata::AuthorizationServerMetadata;
use crate::scope;
use crate::trace;
use crate::url_policy;
use crate::www_authenticate::Challenge;
use url::Url;

mod authorization_server;
mod extensions;
mod fetch;
mod findings;
mod issuer;
mod legacy;
mod probe;
mod resource;
pub mod rules;
mod urls;

pub use authorization_server::{registration_options, require_secure_endpoints};
pub use extensions::extension_findings;
pub use findings::metadata_findings;
pub use issuer::issuer_metadata;
pub use probe::initialize_request;
use rules::{Rule, Step as At};
pub use urls::{authorization_server_metadata_urls, resource_metadata_urls};

/// The MCP revision this client speaks, sent as `MCP-Protocol-Version`.
pub const PROTOCOL_VERSION: &str = "2026-07-28";

/// What shapes a discovery besides the server URL.
#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions {
    /// Which of the resource's authorization servers to use (default: the first listed).
    pub authorization_server: Option<String>,
    /// Scopes the user asked for, space-separated; overrides the server's hints.
    pub scope: Option<String>,
    pub profile: Option<String>,
    /// Authorization-server metadata configured by hand: no discovery at all.
    pub manual: Option<AuthorizationServerMetadata>,
    /// A `Bearer` challenge the caller received on a later request (`--challenge`): its
    /// `scope` and `resource_metadata` take precedence over the probe's.
    pub challenge: Option<Challenge>,
}

/// What a discovery learned, even when it ended in an error: `--check` reports the
/// findings of a server it had to refuse.
#[derive(Debug)]
pub struct DiscoveryReport {
    pub document: Document,
    pub error: Option<Error>,
}

impl DiscoveryReport {
    /// The document, or the error discovery stopped with.
    pub fn into_result(self) -> Result<Document> {
        match self.error {
            None => Ok(self.document),
            Some(e) => Err(e),
        }
    }

    /// For `--check`: the document also of a server that had to be refused, whose findings
    /// then end with the reason. Being unreachable or a wrong flag says nothing about the
    /// server, and stays an error.
    pub fn into_check(self) -> Result<Document> {
        match self.error {
            Some(e) if !is_deviation(&e) => Err(e),
            _ => Ok(self.document),
        }
    }
}

/// Whether an error is the server's own deviation from the specs, which `--check` reports.
fn is_deviation(e: &Error) -> bool {
    matches!(e.exit_code(), ExitCode::Security | ExitCode::Protocol)
}

/// Discovers how `server` wants clients to authorize (or takes the hand-given metadata).
pub fn discover(http: &Http, server: &Url, opts: &DiscoverOptions) -> Result<Discovered> {
    // Every discovery that ends without an error has chosen an authorization server.
    discover_report(http, server, opts).into_result()?.discovered()
}

/// [`discover`], keeping the partial document and its findings when it fails.
pub fn discover_report(http: &Http, server: &Url, opts: &DiscoverOptions) -> DiscoveryReport {
    let mut run = Run { http, server, opts, doc: new_document(server, opts), at: At::Probe };
    let result = match &opts.manual {
        Some(meta) => {
            run.at = At::AuthorizationServerMetadata;
            manual_into(&mut run.doc, meta.clone(), opts).map_err(Stop::from)
        }
        None => run.discover(),
    };
    let error = result.err().map(|stop| run.stopped(stop));
    DiscoveryReport { document: run.doc, error }
}

/// A document for a server configured by hand: no request is made.
pub fn manual(server: &Url, metadata: AuthorizationServerMetadata, opts: &DiscoverOptions) -> Result<Discovered> {
    let mut doc = new_document(server, opts);
    manual_into(&mut doc, metadata, opts)?;
    doc.discovered()
}

fn new_document(server: &Url, opts: &DiscoverOptions) -> Document {
    Document::new(server, url_policy::canonical_resource(server), opts.profile.clone())
}

fn manual_into(doc: &mut Document, metadata: AuthorizationServerMetadata, opts: &DiscoverOptions) -> Result<()> {
    url_policy::parse("issuer", &metadata.issuer)?;
    require_secure_endpoints(&metadata)?;
    doc.discovery = Some(Discovery {
        source: DiscoverySource::Manual,
        probe_status: None,
        challenge: None,
        resource_metadata_url: None,
        resource_metadata: None,
    });
    doc.scope = Some(scope::initial(opts.challenge.as_ref(), None, opts.scope.as_deref()));
    doc.authorization_server = Some(authorization_server::authorization_server(metadata, Vec::new(), None));
    Ok(())
}

/// Why discovery stopped.
#[derive(Debug)]
struct Stop {
    error: Error,
    /// Whether a finding already says why, so `--check` does not say it twice.
    recorded: bool,
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop { error, recorded: false }
    }
}

/// A step of discovery; the error is why it stopped.
type Step<T = ()> = std::result::Result<T, Stop>;

/// One discovery: the document it fills in, findings included.
struct Run<'a> {
    http: &'a Http,
    server: &'a Url,
    opts: &'a DiscoverOptions,
    doc: Document,
    /// The step under way: where a finding of no fixed step belongs.
    at: At,
}

impl Run<'_> {
    /// The one place a finding is recorded.
    fn finding(&mut self, rule: &Rule, message: impl Into<String>) {
        self.doc.add_finding(rule.finding(self.at, message));
    }

    /// Stops with `error`, recording `message` as the finding that explains it.
    fn refuse(&mut self, rule: &Rule, message: String, error: Error) -> Stop {
        self.finding(rule, message);
        Stop { error, recorded: true }
    }

    /// The error discovery ends with; a deviation of the server no finding names yet
    /// becomes the last finding.
    fn stopped(&mut self, stop: Stop) -> Error {
        if !stop.recorded && is_deviation(&stop.error) {
            self.finding(&rules::STOPPED, stop.error.to_string());
        }
        stop.error
    }

    fn discover(&mut self) -> Step {
        url_policy::require_secure("MCP server URL", self.server)?;
        let well_known = resource_metadata_urls(self.server);
        // The probe and the likeliest metadata URL at once: the probe's answer only decides
        // whether that speculative fetch is the one to use.
        let http = self.http;
        let this = &*self;
        let probe_step = trace::Step::begin("probe");
        let metadata_step = trace::Step::begin("resource metadata");
        let (probe, speculative) = std::thread::scope(|s| {
            let first = &well_known[0];
            let step = &metadata_step;
            let handle = s.spawn(move || {
                let _entered = step.enter();
                fetch::get_metadata(http, first)
            });
            let probe = {
                let _entered = probe_step.enter();
                this.probe()
            };
            let speculative = handle.join().unwrap_or_else(|_| Err(fetch::thread_panicked()));
            (probe, speculative)
        });
        let probed = probe.and_then(|r| self.read_probe(r));
        probe_step.finish(&probed, |c| self.probe_outcome(c.as_ref()));
        let challenge = self.with_given_challenge(probed?);
        let challenge = challenge.as_ref();
        let mut tried = fetch::Tried::default();
        let found = {
            let _entered = metadata_step.enter();
            self.find_resource_metadata(challenge, &well_known, speculative, &mut tried)
        };
        metadata_step.finish(&found.as_ref().map_err(|s| &s.error), |found| match found {
            Some((url, prm)) => format!("found at {url} for resource {}", prm.resource),
            None => format!("none found: {}", tried.list()),
        });
        match found? {
            Some((url, prm)) => self.with_resource_metadata(challenge, url, prm),
            None if challenge.is_some_and(|c| c.resource_metadata().is_some()) => Err(tried.stop(|list| {
                Error::protocol(self.server.as_str(), format!("no usable protected-resource metadata: {list}"))
            })),
            // MCP 2025-03-26's rules are for servers that asked for a token: without a 401
            // the origin's defaults would be invented for a server that wants none.
            None if !self.challenged() => Err(self.not_protected(&tried).into()),
            None => self.legacy(challenge),
        }
    }
}

/// Fixtures the tests of the discovery modules share.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    pub(in crate::discovery) fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    pub(in crate::discovery) fn good_metadata() -> AuthorizationServerMetadata {
        serde_json::from_value(json!({
            "issuer": "https://as.example",
            "authorization_endpoint": "https://as.example/auth",
            "token_endpoint": "https://as.example/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "client_id_metadata_document_supported": true,
        }))
        .unwrap()
    }
}
