//! RFC 9728 protected-resource metadata: looked for where the challenge points, then at the
//! well-known URLs; accepted only when it names this server (§3.3), because a client that
//! took another resource's metadata would send its tokens wherever that metadata says; and
//! the authorization server chosen among those it lists.

use super::fetch::{Tried, get_metadata};
use super::{At, Run, Step, rules};
use crate::error::{Error, Result};
use crate::http::Response;
use crate::metadata::ResourceMetadata;
use crate::scope;
use crate::url_policy;
use crate::www_authenticate::Challenge;
use url::Url;

impl Run<'_> {
    /// The first usable metadata, from the challenge's `resource_metadata`, else the
    /// well-known URLs in order; `speculative` is the answer already fetched for the first
    /// well-known URL, used if that URL's turn comes.
    pub(super) fn find_resource_metadata(
        &mut self,
        challenge: Option<&Challenge>,
        well_known: &[Url],
        speculative: Result<Response>,
        tried: &mut Tried,
    ) -> Step<Option<(Url, ResourceMetadata)>> {
        self.at = At::ResourceMetadata;
        let mut cached = Some((well_known[0].clone(), speculative));
        let mut fetch = |http, url: &Url| match cached.take_if(|(u, _)| u == url) {
            Some((_, r)) => r,
            None => get_metadata(http, url),
        };
        let header_url = match challenge.and_then(Challenge::resource_metadata) {
            Some(s) => match Url::parse(s) {
                Ok(u) => Some(u),
                Err(e) => {
                    self.finding(&rules::CHALLENGE_URL_INVALID, format!("resource_metadata {s:?} is not a URL: {e}"));
                    tried.skip(format!("{s:?}: not a URL"));
                    None
                }
            },
            None => None,
        };
        if let Some(url) = &header_url {
            url_policy::require_secure("resource_metadata URL", url)?;
            let r = fetch(self.http, url);
            let found = self.resource_metadata(url, r, false, tried)?;
            if found.is_some() {
                return Ok(found);
            }
            // The header is authoritative, but a broken one should not strand the client
            // when the well-known locations work (as the Python SDK does).
            self.finding(
                &rules::CHALLENGE_URL_UNUSABLE,
                format!("resource_metadata {url} in the challenge gives no usable metadata"),
            );
        }
        for (i, url) in well_known.iter().enumerate() {
            if header_url.as_ref() == Some(url) {
                continue;
            }
            let root = i + 1 == well_known.len();
            let r = fetch(self.http, url);
            if let Some(found) = self.resource_metadata(url, r, root, tried)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
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
        tried: &mut Tried,
    ) -> Step<Option<(Url, ResourceMetadata)>> {
        let Some(prm) = self.fetched::<ResourceMetadata>(url, result, tried)? else {
            return Ok(None);
        };
        let (exact, tolerated) = self.expected_resources(root);
        if tolerated.contains(&prm.resource) {
            self.finding(
                &rules::ROOT_RESOURCE,
                format!("the root metadata {url} names resource {:?}; RFC 9728 wants the origin there", prm.resource),
            );
        } else if !exact.contains(&prm.resource) {
            let message = format!(
                "the protected-resource metadata at {url} is for resource {:?}, not {:?}",
                prm.resource, exact[0]
            );
            let error = self.wrong_path(url, &prm.resource).unwrap_or_else(|| Error::Security(message.clone()));
            return Err(self.refuse(&rules::RESOURCE_MISMATCH, message, error));
        }
        Ok(Some((url.clone(), prm)))
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

    /// Records the metadata, then discovers the authorization server it lists (the one the
    /// caller chose, else the first).
    pub(super) fn with_resource_metadata(
        &mut self,
        challenge: Option<&Challenge>,
        url: Url,
        prm: ResourceMetadata,
    ) -> Step {
        if let Some(d) = self.doc.discovery.as_mut() {
            d.resource_metadata_url = Some(url.to_string());
            d.resource_metadata = Some(prm.clone());
        }
        // typescript-sdk#1968: the identifier the resource gave for itself, verbatim.
        self.doc.resource = prm.resource.clone();
        self.doc.scope = Some(scope::initial(challenge, Some(&prm), self.opts.scope.as_deref()));
        if prm.authorization_servers.is_empty() {
            self.finding(&rules::NO_AUTHORIZATION_SERVERS, format!("{url} lists no authorization_servers"));
            return Err(
                Error::protocol(url.as_str(), "the protected-resource metadata lists no authorization server").into()
            );
        }
        let listed = &prm.authorization_servers;
        let chosen = match &self.opts.authorization_server {
            None => listed[0].clone(),
            Some(want) => {
                listed.iter().find(|s| *s == want || Url::parse(s).ok() == Url::parse(want).ok()).cloned().ok_or_else(
                    || {
                        Error::Usage(format!("{want} is not one the resource lists: {}", listed.join(", ")))
                            .about(crate::remedy::Input::AuthorizationServer)
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
            )
            .into());
        }
        let mut tried = Tried::default();
        match self.authorization_server_metadata(&issuer, &[chosen.as_str()], &mut tried)? {
            Some((meta_url, meta)) => self.accept(meta, listed.clone(), Some(&meta_url)),
            None => Err(tried
                .stop(|list| Error::protocol(chosen.as_str(), format!("no authorization-server metadata: {list}")))),
        }
    }
}
