//! Client ID Metadata Documents (the CIMD draft): the client_id is an https URL the user
//! hosts, and the server reads the client's metadata from it. We read it too, before the
//! first login, because a document that does not name itself or list our redirect URI
//! makes the server refuse every authorization, with a far vaguer message than ours.

use crate::error::{Error, Result};
use crate::http::{Http, Request};
use serde_json::{Map, Value};
use url::Url;

/// Checks a Client ID Metadata Document URL: https with a path (the CIMD draft; the TS
/// SDK's `isHttpsUrl` rule), no fragment.
pub fn metadata_document_url(s: &str) -> Result<Url> {
    let url = Url::parse(s.trim()).map_err(|e| Error::Usage(format!("client metadata URL {s:?} is not a URL: {e}")))?;
    if url.scheme() != "https" || url.host().is_none() {
        return Err(Error::Usage(format!("client metadata URL {url} must be an https:// URL (it is the client_id)")));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(Error::Usage(format!(
            "client metadata URL {url} must have a path, like https://app.example/client.json"
        )));
    }
    if url.fragment().is_some() {
        return Err(Error::Usage(format!("client metadata URL {url} must not have a fragment")));
    }
    Ok(url)
}

/// Reads the Client ID Metadata Document the user hosts and returns the redirect URI to
/// use: `wanted` if the document lists it, else its first loopback one (what
/// mcp-authorize can listen on), else its first. The server will check the same document,
/// so a mismatch found here saves a failed login.
pub fn fetch_metadata_document(http: &Http, url: &Url, wanted: Option<&Url>) -> Result<Url> {
    crate::trace::run(
        "client metadata document",
        |_| read_metadata_document(http, url, wanted),
        |redirect| format!("lists the redirect URI {redirect}"),
    )
}

fn read_metadata_document(http: &Http, url: &Url, wanted: Option<&Url>) -> Result<Url> {
    let resp = http.send(Request::get(url.clone()).header("Accept", "application/json"))?;
    if !resp.is_success() {
        return Err(Error::protocol(url.as_str(), format!("client metadata document: HTTP {}", resp.status)));
    }
    metadata_document_redirect(&resp.json_object()?, url, wanted)
}

/// The redirect URI of a metadata-document client. With one given (`--redirect-uri`,
/// `--port`) the document's URL is all the client needs: the document is still read to
/// catch a redirect it does not list, but a fetch that fails (not served yet, served only
/// to the authorization server, unreachable from here) is only a warning.
pub(super) fn metadata_document_redirect_uri(
    http: &Http,
    url: &Url,
    wanted: Option<&Url>,
    warnings: &mut Vec<String>,
) -> Result<Url> {
    let Some(wanted) = wanted else {
        return fetch_metadata_document(http, url, None);
    };
    match fetch_metadata_document(http, url, Some(wanted)) {
        Ok(redirect) => Ok(redirect),
        // Under its remedy too: a usage error stays one however it is wrapped.
        Err(e) if matches!(e.bare(), Error::Usage(_)) => Err(e),
        Err(e) => {
            warnings.push(format!(
                "could not check the client metadata document ({e}); using {url} as the client_id with {wanted}"
            ));
            Ok(wanted.clone())
        }
    }
}

/// The checks of [`fetch_metadata_document`] on the parsed document.
pub fn metadata_document_redirect(doc: &Map<String, Value>, url: &Url, wanted: Option<&Url>) -> Result<Url> {
    let bad = |msg: String| Error::protocol(url.as_str(), format!("client metadata document: {msg}"));
    // The CIMD draft: client_id must equal the document's URL exactly.
    match doc.get("client_id").and_then(Value::as_str) {
        Some(id) if id == url.as_str() => {}
        Some(id) => return Err(bad(format!("its client_id {id:?} is not its own URL"))),
        None => return Err(bad("no client_id".into())),
    }
    let listed: Vec<Url> = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).filter_map(|s| Url::parse(s).ok()).collect())
        .unwrap_or_default();
    if let Some(w) = wanted {
        return if listed.contains(w) {
            Ok(w.clone())
        } else {
            let shown: Vec<&str> = listed.iter().map(Url::as_str).collect();
            Err(Error::Usage(format!(
                "the client metadata document {url} does not list the redirect URI {w}; it lists {shown:?}"
            )))
        };
    }
    let pick = listed.iter().find(|u| crate::redirect::is_loopback_http(u)).or(listed.first()).cloned();
    let pick = pick.ok_or_else(|| bad("no redirect_uris".into()))?;
    crate::redirect::validate(&pick)?;
    Ok(pick)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_metadata_document_must_name_itself_and_list_the_redirect() {
        let url = Url::parse("https://app.example/client.json").unwrap();
        let doc = |v: Value| v.as_object().unwrap().clone();
        let good = doc(json!({
            "client_id": "https://app.example/client.json",
            "client_name": "app",
            "redirect_uris": ["https://app.example/cb", "http://127.0.0.1:7777/callback"],
        }));
        let r = metadata_document_redirect(&good, &url, None).unwrap();
        assert_eq!(r.as_str(), "http://127.0.0.1:7777/callback", "a loopback one first");
        let wanted = Url::parse("https://app.example/cb").unwrap();
        assert_eq!(metadata_document_redirect(&good, &url, Some(&wanted)).unwrap(), wanted);
        let unlisted = Url::parse("http://127.0.0.1:1/callback").unwrap();
        let e = metadata_document_redirect(&good, &url, Some(&unlisted)).unwrap_err();
        assert!(e.to_string().contains("does not list"), "{e}");

        let other =
            doc(json!({"client_id": "https://evil.example/c.json", "redirect_uris": ["http://127.0.0.1:1/cb"]}));
        assert!(metadata_document_redirect(&other, &url, None).unwrap_err().to_string().contains("not its own URL"));
        let none = doc(json!({"client_id": "https://app.example/client.json"}));
        assert!(metadata_document_redirect(&none, &url, None).unwrap_err().to_string().contains("no redirect_uris"));
    }

    #[test]
    fn metadata_document_urls_are_https_with_a_path() {
        assert!(metadata_document_url("https://app.example/client.json").is_ok());
        for bad in [
            "http://app.example/client.json",
            "https://app.example",
            "https://app.example/",
            "nope",
            "https://a.example/c#f",
        ] {
            assert_eq!(metadata_document_url(bad).unwrap_err().exit_code().code(), 2, "{bad}");
        }
    }
}
