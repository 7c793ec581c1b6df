//! Discovery: from an MCP server URL to a validated authorization server, the RFC 8707
//! resource identifier and the scopes to ask for (MCP 2026-07-28 "Authorization Server
//! Discovery", RFC 9728, RFC 8414, OpenID Connect Discovery, and the 2025-03-26 fallback).
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

use crate::document::{AuthorizationServer, Discovery, DiscoverySource, Document, RegistrationOption, Severity};
use crate::error::{Error, Result};
use crate::http::{Http, Request, Response};
use crate::metadata::{AuthorizationServerMetadata, ResourceMetadata};
use crate::scope;
use crate::url_policy;
use crate::www_authenticate::{self, Challenge};
use serde_json::json;
use url::Url;

mod args;
mod findings;
mod urls;

pub use args::DiscoverArgs;
pub use findings::metadata_findings;
use findings::rule;
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
pub struct Outcome {
    pub document: Document,
    pub error: Option<Error>,
}

/// Discovers how `server` wants clients to authorize (or takes the hand-given metadata).
pub fn discover(http: &Http, server: &Url, opts: &DiscoverOptions) -> Result<Document> {
    let outcome = discover_outcome(http, server, opts);
    match outcome.error {
        None => Ok(outcome.document),
        Some(e) => Err(e),
    }
}

/// [`discover`], keeping the partial document and its findings when it fails.
pub fn discover_outcome(http: &Http, server: &Url, opts: &DiscoverOptions) -> Outcome {
    let mut run = Run { http, server, opts, doc: new_document(server, opts) };
    let result = match &opts.manual {
        Some(meta) => manual_into(&mut run.doc, meta.clone(), opts),
        None => run.discover(),
    };
    Outcome { document: run.doc, error: result.err() }
}

/// A document for a server configured by hand: no request is made.
pub fn manual(server: &Url, metadata: AuthorizationServerMetadata, opts: &DiscoverOptions) -> Result<Document> {
    let mut doc = new_document(server, opts);
    manual_into(&mut doc, metadata, opts)?;
    Ok(doc)
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
    doc.authorization_server = Some(authorization_server(metadata, Vec::new(), None));
    Ok(())
}

fn authorization_server(
    metadata: AuthorizationServerMetadata,
    candidates: Vec<String>,
    url: Option<&Url>,
) -> AuthorizationServer {
    AuthorizationServer {
        issuer: metadata.issuer.clone(),
        candidates,
        metadata_url: url.map(Url::to_string),
        pkce_s256: metadata.supports_pkce_s256(),
        registration_options: registration_options(&metadata),
        metadata,
    }
}

/// In the MCP order of preference: a pre-registered client is always possible, then a
/// Client ID Metadata Document, then (deprecated) dynamic registration.
pub fn registration_options(meta: &AuthorizationServerMetadata) -> Vec<RegistrationOption> {
    let mut out = vec![RegistrationOption::PreRegistered];
    if meta.client_id_metadata_document_supported == Some(true) {
        out.push(RegistrationOption::MetadataDocument);
    }
    if meta.registration_endpoint.is_some() {
        out.push(RegistrationOption::Dynamic);
    }
    out
}

/// Every endpoint must be HTTPS (loopback excepted): a token or a code must never cross
/// the network in clear text.
pub fn require_secure_endpoints(meta: &AuthorizationServerMetadata) -> Result<()> {
    let endpoints = [
        ("authorization_endpoint", &meta.authorization_endpoint),
        ("token_endpoint", &meta.token_endpoint),
        ("registration_endpoint", &meta.registration_endpoint),
        ("revocation_endpoint", &meta.revocation_endpoint),
        ("introspection_endpoint", &meta.introspection_endpoint),
        ("device_authorization_endpoint", &meta.device_authorization_endpoint),
        ("jwks_uri", &meta.jwks_uri),
    ];
    for (name, value) in endpoints {
        if let Some(v) = value {
            let u = Url::parse(v).map_err(|e| {
                Error::protocol(meta.issuer.as_str(), format!("{name} {v:?} in the metadata is not a URL: {e}"))
            })?;
            url_policy::require_secure(&format!("{name} of {}", meta.issuer), &u)?;
        }
    }
    Ok(())
}

/// A metadata fetch, sorted by what it means for discovery.
enum Fetched {
    Found(Response),
    /// Try the next candidate; the reason goes into the final error if none is left.
    NotHere(String),
    /// Stop: the server is failing or unreachable, and its answer here might have been the
    /// one that counts.
    Fatal(Error),
}

fn get_metadata(http: &Http, url: &Url) -> Result<Response> {
    http.send(
        Request::get(url.clone()).header("Accept", "application/json").header("MCP-Protocol-Version", PROTOCOL_VERSION),
    )
}

/// Fetches the URLs concurrently over the one client; answers come back in input order.
fn get_all(http: &Http, urls: &[Url]) -> Vec<Result<Response>> {
    if let [one] = urls {
        return vec![get_metadata(http, one)];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = urls.iter().map(|u| s.spawn(move || get_metadata(http, u))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::Internal("a discovery request thread panicked".into()))))
            .collect()
    })
}

fn server_failure(r: &Response) -> Error {
    let retry = r.header("retry-after").map(|s| format!(", Retry-After: {s}")).unwrap_or_default();
    Error::protocol(
        r.url.as_str(),
        format!(
            "HTTP {}{retry}: the server is failing; not falling back to other discovery rules, try again later",
            r.status
        ),
    )
}

struct Run<'a> {
    http: &'a Http,
    server: &'a Url,
    opts: &'a DiscoverOptions,
    doc: Document,
}

impl Run<'_> {
    fn finding(&mut self, severity: Severity, reference: &str, message: impl Into<String>) {
        self.doc.add_finding(severity, reference, message);
    }

    fn classify(&mut self, url: &Url, result: Result<Response>) -> Fetched {
        let r = match result {
            Ok(r) => r,
            Err(e) => return Fetched::Fatal(e),
        };
        if r.is_success() {
            if !r.is_json_type() {
                let got = r.media_type().unwrap_or_else(|| "no content type".into());
                let rule = if url.path().contains("oauth-protected-resource") {
                    rule::PRM_RESPONSE
                } else {
                    rule::AS_RESPONSE
                };
                self.finding(Severity::Warning, rule, format!("{url} is served as {got}, not application/json"));
            }
            return Fetched::Found(r);
        }
        if r.is_redirect() {
            let to = r.header("location").unwrap_or("nowhere").to_string();
            self.finding(
                Severity::Warning,
                rule::REDIRECT,
                format!("{url} answers {} redirecting to {to}; metadata must be served at its well-known URL, redirects are not followed", r.status),
            );
            return Fetched::NotHere(format!("HTTP {} to {to} (not followed)", r.status));
        }
        if r.status == 429 || r.status >= 500 {
            return Fetched::Fatal(server_failure(&r));
        }
        Fetched::NotHere(format!("HTTP {}", r.status))
    }

    fn discover(&mut self) -> Result<()> {
        url_policy::require_secure("MCP server URL", self.server)?;
        let well_known = resource_metadata_urls(self.server);
        // The probe and the likeliest metadata URL at once: the probe's answer only decides
        // whether that speculative fetch is the one to use.
        let http = self.http;
        let this = &*self;
        let (probe, speculative) = std::thread::scope(|s| {
            let first = &well_known[0];
            let handle = s.spawn(move || get_metadata(http, first));
            let probe = this.probe();
            let speculative =
                handle.join().unwrap_or_else(|_| Err(Error::Internal("a discovery request thread panicked".into())));
            (probe, speculative)
        });
        let probed = self.read_probe(probe?)?;
        let challenge = self.with_given_challenge(probed);
        let mut cached = Some((well_known[0].clone(), speculative));
        let mut fetch = |http: &Http, url: &Url| match cached.take_if(|(u, _)| u == url) {
            Some((_, r)) => r,
            None => get_metadata(http, url),
        };

        let mut tried: Vec<String> = Vec::new();
        let header_url = match challenge.as_ref().and_then(Challenge::resource_metadata) {
            Some(s) => match Url::parse(s) {
                Ok(u) => Some(u),
                Err(e) => {
                    self.finding(
                        Severity::Error,
                        rule::PRM_CHALLENGE,
                        format!("resource_metadata {s:?} is not a URL: {e}"),
                    );
                    tried.push(format!("{s:?}: not a URL"));
                    None
                }
            },
            None => None,
        };
        let mut found = None;
        if let Some(url) = &header_url {
            url_policy::require_secure("resource_metadata URL", url)?;
            let r = fetch(self.http, url);
            found = self.resource_metadata(url, r, false, &mut tried)?;
            if found.is_none() {
                // The header is authoritative, but a broken one should not strand the
                // client when the well-known locations work (as the Python SDK does).
                self.finding(
                    Severity::Error,
                    rule::PRM_CHALLENGE,
                    format!("resource_metadata {url} in the challenge gives no usable metadata"),
                );
            }
        }
        if found.is_none() {
            for (i, url) in well_known.iter().enumerate() {
                if header_url.as_ref() == Some(url) {
                    continue;
                }
                let root = i + 1 == well_known.len();
                let r = fetch(self.http, url);
                found = self.resource_metadata(url, r, root, &mut tried)?;
                if found.is_some() {
                    break;
                }
            }
        }
        match found {
            Some((url, prm)) => self.with_resource_metadata(challenge, url, prm),
            None if header_url.is_some() || challenge.as_ref().is_some_and(|c| c.resource_metadata().is_some()) => {
                Err(Error::protocol(
                    self.server.as_str(),
                    format!("no usable protected-resource metadata: {}", tried.join("; ")),
                ))
            }
            // MCP 2025-03-26's rules are for servers that asked for a token: without a 401
            // the origin's defaults would be invented for a server that wants none.
            None if !self.challenged() => Err(self.not_protected(&tried)),
            None => self.legacy(challenge),
        }
    }

    /// The probe's challenge with the caller's `--challenge` laid over it: the latter came
    /// from the request the client actually needs, so its `scope` and `resource_metadata`
    /// win (MCP Scope Selection Strategy), and it is what the document records.
    fn with_given_challenge(&mut self, probed: Option<Challenge>) -> Option<Challenge> {
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

    fn probe_status(&self) -> Option<u16> {
        self.doc.discovery.as_ref().and_then(|d| d.probe_status)
    }

    /// Whether the server asked for a token: the probe got a 401, or the caller got one.
    fn challenged(&self) -> bool {
        self.probe_status() == Some(401) || self.opts.challenge.is_some()
    }

    fn not_protected(&self, tried: &[String]) -> Error {
        let status = self.probe_status().map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no status".into());
        Error::NotProtected(format!(
            "{} does not ask for authorization: it answered {status} to an MCP initialize without a token, with no 401 challenge, and publishes no protected-resource metadata ({})",
            self.server,
            tried.join("; ")
        ))
    }

    /// A server that did not challenge this URL, whose metadata describes another resource
    /// on the same origin: the user most likely typed the wrong path.
    fn wrong_path(&self, url: &Url, resource: &str) -> Option<Error> {
        let status = self.probe_status().filter(|s| !self.challenged() && !(200..300).contains(s))?;
        let named = Url::parse(resource).ok()?;
        if url_policy::origin(&named) != url_policy::origin(self.server) {
            return None;
        }
        Some(Error::Usage(format!(
            "{} is not an MCP endpoint that asks for authorization (HTTP {status} to initialize), and the protected-resource metadata at {url} is for {resource}: did you mean {resource}?",
            self.server
        )))
    }

    /// An MCP `initialize` without a token: the 401 says where the metadata is and which
    /// scope the operation needs.
    fn probe(&self) -> Result<Response> {
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
        self.http.send(
            Request::post_json(self.server.clone(), body)
                .header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", PROTOCOL_VERSION),
        )
    }

    /// Records the probe and returns its `Bearer` challenge, if any.
    fn read_probe(&mut self, r: Response) -> Result<Option<Challenge>> {
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
                    self.finding(Severity::Error, rule::CHALLENGE, "the 401 has no WWW-Authenticate challenge");
                } else if bearer.is_none() {
                    let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
                    self.finding(
                        Severity::Error,
                        rule::BEARER,
                        format!("the 401 has no Bearer challenge (only {})", schemes.join(", ")),
                    );
                } else if bearer.as_ref().is_some_and(|b| b.resource_metadata().is_none()) {
                    self.finding(
                        Severity::Warning,
                        rule::PRM_CHALLENGE,
                        "the 401 challenge has no resource_metadata: clients must guess the well-known URLs",
                    );
                }
                if bearer.as_ref().is_some_and(|b| b.error() == Some("invalid_token")) {
                    self.finding(
                        Severity::Warning,
                        rule::NO_CREDENTIALS,
                        "the 401 to a request without credentials says error=\"invalid_token\": no error code should be sent then, and clients take it for a rejected token",
                    );
                }
            }
            s if (200..300).contains(&s) => self.finding(
                Severity::Warning,
                rule::PROBE,
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
                Severity::Warning,
                rule::PROBE,
                format!(
                    "answered {s} to an initialize without a token, expected 401 with a WWW-Authenticate challenge"
                ),
            ),
        }
        Ok(bearer)
    }

    /// RFC 9728 §3.3: what the `resource` may be, as (exact, also accepted). Metadata found
    /// from the challenge or by path insertion describes the server URL itself; at the root
    /// it describes the origin, but the MCP fallback to the root exists for servers that host
    /// one resource there, so the server URL is accepted too (with a finding).
    fn expected_resources(&self, root: bool) -> (Vec<String>, Vec<String>) {
        let server = vec![self.server.to_string(), url_policy::canonical_resource(self.server)];
        if root {
            let origin = url_policy::origin(self.server);
            (vec![origin.clone(), format!("{origin}/")], server)
        } else {
            (server, Vec::new())
        }
    }

    /// One resource-metadata candidate: `Ok(None)` means "not here, try the next".
    fn resource_metadata(
        &mut self,
        url: &Url,
        result: Result<Response>,
        root: bool,
        tried: &mut Vec<String>,
    ) -> Result<Option<(Url, ResourceMetadata)>> {
        let r = match self.classify(url, result) {
            Fetched::Found(r) => r,
            Fetched::NotHere(why) => {
                tried.push(format!("{url}: {why}"));
                return Ok(None);
            }
            Fetched::Fatal(e) => return Err(e),
        };
        let parsed = r.json_object().and_then(|map| {
            serde_json::from_value::<ResourceMetadata>(serde_json::Value::Object(map))
                .map_err(|e| Error::protocol(url.as_str(), format!("not protected-resource metadata: {e}")))
        });
        let prm = match parsed {
            Ok(prm) => prm,
            Err(e) => {
                self.finding(Severity::Error, rule::PRM_RESPONSE, e.to_string());
                tried.push(e.to_string());
                return Ok(None);
            }
        };
        let (exact, tolerated) = self.expected_resources(root);
        if tolerated.contains(&prm.resource) {
            self.finding(
                Severity::Warning,
                rule::PRM_RESOURCE,
                format!("the root metadata {url} names resource {:?}; RFC 9728 wants the origin there", prm.resource),
            );
        } else if !exact.contains(&prm.resource) {
            let message = format!(
                "the protected-resource metadata at {url} is for resource {:?}, not {:?}",
                prm.resource, exact[0]
            );
            self.finding(Severity::Error, rule::PRM_RESOURCE, message.clone());
            return Err(self.wrong_path(url, &prm.resource).unwrap_or(Error::Security(message)));
        }
        Ok(Some((url.clone(), prm)))
    }

    fn with_resource_metadata(&mut self, challenge: Option<Challenge>, url: Url, prm: ResourceMetadata) -> Result<()> {
        if let Some(d) = self.doc.discovery.as_mut() {
            d.resource_metadata_url = Some(url.to_string());
            d.resource_metadata = Some(prm.clone());
        }
        // typescript-sdk#1968: the identifier the resource gave for itself, verbatim.
        self.doc.resource = prm.resource.clone();
        self.doc.scope = Some(scope::initial(challenge.as_ref(), Some(&prm), self.opts.scope.as_deref()));
        if prm.authorization_servers.is_empty() {
            self.finding(Severity::Error, rule::PRM_AS, format!("{url} lists no authorization_servers"));
            return Err(Error::protocol(url.as_str(), "the protected-resource metadata lists no authorization server"));
        }
        let listed = &prm.authorization_servers;
        let chosen = match &self.opts.authorization_server {
            None => listed[0].clone(),
            Some(want) => {
                listed.iter().find(|s| *s == want || Url::parse(s).ok() == Url::parse(want).ok()).cloned().ok_or_else(
                    || {
                        Error::Usage(format!(
                            "--authorization-server {want} is not one the resource lists: {}",
                            listed.join(", ")
                        ))
                    },
                )?
            }
        };
        let issuer = Url::parse(&chosen)
            .map_err(|e| Error::protocol(url.as_str(), format!("authorization server {chosen:?} is not a URL: {e}")))?;
        url_policy::require_secure("authorization server", &issuer)?;
        if issuer.query().is_some() || issuer.fragment().is_some() {
            return Err(Error::protocol(
                url.as_str(),
                format!(
                    "authorization server {chosen:?} has a query or fragment, which an issuer cannot have (RFC 8414 §2)"
                ),
            ));
        }
        let candidates = authorization_server_metadata_urls(&issuer);
        let (meta_url, meta) = match self.authorization_server_metadata(&candidates, &[chosen.as_str()])? {
            Ok(found) => found,
            Err(tried) => {
                return Err(Error::protocol(
                    chosen.as_str(),
                    format!("no authorization-server metadata: {}", tried.join("; ")),
                ));
            }
        };
        self.accept(meta, listed.clone(), Some(&meta_url))
    }

    /// Fetches every candidate at once and takes the first valid one in priority order.
    /// `Ok(Err(tried))` when none exists; an issuer mismatch with nothing else usable is
    /// a security refusal.
    #[allow(clippy::type_complexity)]
    fn authorization_server_metadata(
        &mut self,
        candidates: &[Url],
        issuers: &[&str],
    ) -> Result<std::result::Result<(Url, AuthorizationServerMetadata), Vec<String>>> {
        let answers = get_all(self.http, candidates);
        let mut tried = Vec::new();
        let mut mismatch = None;
        for (url, result) in candidates.iter().zip(answers) {
            let r = match self.classify(url, result) {
                Fetched::Found(r) => r,
                Fetched::NotHere(why) => {
                    tried.push(format!("{url}: {why}"));
                    continue;
                }
                Fetched::Fatal(e) => return Err(e),
            };
            let parsed = r.json_object().and_then(|map| {
                serde_json::from_value::<AuthorizationServerMetadata>(serde_json::Value::Object(map))
                    .map_err(|e| Error::protocol(url.as_str(), format!("not authorization-server metadata: {e}")))
            });
            let meta = match parsed {
                Ok(m) => m,
                Err(e) => {
                    self.finding(Severity::Error, rule::AS_RESPONSE, e.to_string());
                    tried.push(e.to_string());
                    continue;
                }
            };
            if !issuers.contains(&meta.issuer.as_str()) {
                let message = format!(
                    "the metadata at {url} says issuer {:?}, but it was fetched for {:?}; not used",
                    meta.issuer, issuers[0]
                );
                self.finding(Severity::Error, rule::AS_ISSUER, message.clone());
                tried.push(message.clone());
                mismatch.get_or_insert(message);
                continue;
            }
            return Ok(Ok((url.clone(), meta)));
        }
        match mismatch {
            Some(m) => Err(Error::Security(m)),
            None => Ok(Err(tried)),
        }
    }

    /// The 2025-03-26 rules for a server without resource metadata: the MCP server's origin
    /// is the authorization server, with default endpoints when it has no metadata either.
    fn legacy(&mut self, challenge: Option<Challenge>) -> Result<()> {
        let origin = url_policy::origin(self.server);
        self.finding(
            Severity::Warning,
            rule::LEGACY,
            "no protected-resource metadata (required since MCP 2025-06-18): using the 2025-03-26 rules, the MCP server's origin is the authorization server",
        );
        if let Some(d) = self.doc.discovery.as_mut() {
            d.source = DiscoverySource::Legacy;
        }
        self.doc.resource = url_policy::canonical_resource(self.server);
        self.doc.scope = Some(scope::initial(challenge.as_ref(), None, self.opts.scope.as_deref()));
        let issuer = Url::parse(&origin).map_err(|e| Error::Internal(format!("origin {origin}: {e}")))?;
        let candidates = authorization_server_metadata_urls(&issuer);
        // python-sdk#3398: a root issuer may come with or without its trailing slash.
        let with_slash = format!("{origin}/");
        match self.authorization_server_metadata(&candidates, &[origin.as_str(), with_slash.as_str()])? {
            Ok((url, meta)) => self.accept(meta, Vec::new(), Some(&url)),
            Err(_) => {
                self.finding(
                    Severity::Warning,
                    rule::LEGACY,
                    format!("no authorization-server metadata at {origin}: using {origin}/authorize, /token and /register, assuming PKCE S256 (mandatory in OAuth 2.1)"),
                );
                let mut meta = AuthorizationServerMetadata::from_endpoints(origin.clone());
                meta.authorization_endpoint = Some(format!("{origin}/authorize"));
                meta.token_endpoint = Some(format!("{origin}/token"));
                meta.registration_endpoint = Some(format!("{origin}/register"));
                meta.code_challenge_methods_supported = Some(vec!["S256".into()]);
                meta.response_types_supported = Some(vec!["code".into()]);
                self.accept(meta, Vec::new(), None)
            }
        }
    }

    fn accept(&mut self, meta: AuthorizationServerMetadata, candidates: Vec<String>, url: Option<&Url>) -> Result<()> {
        for (severity, rule, message) in metadata_findings(&meta) {
            self.finding(severity, rule, message);
        }
        if let Err(e) = require_secure_endpoints(&meta) {
            self.finding(Severity::Error, rule::HTTPS, e.to_string());
            return Err(e);
        }
        self.doc.authorization_server = Some(authorization_server(meta, candidates, url));
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) mod tests {
    use super::*;

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

    #[test]
    fn plain_http_endpoints_are_refused_except_loopback() {
        let mut m = good_metadata();
        m.token_endpoint = Some("http://as.example/token".into());
        let e = require_secure_endpoints(&m).unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
        assert!(e.to_string().contains("token_endpoint"), "{e}");
        m.token_endpoint = Some("http://127.0.0.1:8080/token".into());
        assert!(require_secure_endpoints(&m).is_ok());
        m.jwks_uri = Some("not a url".into());
        assert_eq!(require_secure_endpoints(&m).unwrap_err().exit_code().code(), 3);
    }
}
