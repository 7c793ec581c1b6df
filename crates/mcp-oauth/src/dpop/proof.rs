//! The DPoP proof JWT (RFC 9449 §4.2), one per HTTP request.

use super::key::{ALG, DpopKey};
use crate::error::{Error, Result};
use crate::secret::Secret;
use serde_json::json;
use url::Url;

/// What one proof is for.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The request method (upper-cased here).
    pub htm: &'a str,
    pub url: &'a Url,
    /// The access token sent with the request (resource requests): gives `ath`.
    pub access_token: Option<&'a str>,
    /// The last `DPoP-Nonce` of the server the request goes to.
    pub nonce: Option<&'a str>,
}

/// `htu`: the URL without query and fragment (RFC 9449 §4.2), in the form servers compare
/// after RFC 3986 §6.2.2-6.2.3 normalisation. `Url` already lowercases scheme and host, drops
/// a default port and turns an empty path into `/`; userinfo is taken out here.
pub fn htu(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// `ath`: base64url SHA-256 of the exact access token sent in `Authorization`.
pub fn ath(access_token: &str) -> String {
    crate::jws::b64u_sha256(access_token)
}

/// A fresh proof: new `jti`, `iat` = `now`. A proof is as good as a credential for the one
/// request it names, so it is a [`Secret`].
pub fn proof(key: &DpopKey, target: Target<'_>, now: u64) -> Result<Secret> {
    let header = json!({"typ": "dpop+jwt", "alg": ALG, "jwk": key.public_jwk()});
    let htm = target.htm.to_ascii_uppercase();
    if htm.is_empty() || !crate::token::is_http_token(&htm) {
        return Err(Error::Usage(format!("{:?} is not an HTTP method", target.htm)));
    }
    let mut claims = json!({"jti": key.jti()?, "htm": htm, "htu": htu(target.url), "iat": now});
    if let Some(token) = target.access_token {
        claims["ath"] = json!(ath(token));
    }
    if let Some(nonce) = target.nonce {
        claims["nonce"] = json!(nonce);
    }
    Ok(Secret::from(key.sign(&header, &claims)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::decode_unverified;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn htu_drops_query_fragment_userinfo_and_default_port() {
        assert_eq!(htu(&url("HTTPS://MCP.Example.COM:443/mcp?x=1#f")), "https://mcp.example.com/mcp");
        assert_eq!(htu(&url("http://u:p@127.0.0.1:8080/a/B?q")), "http://127.0.0.1:8080/a/B");
        assert_eq!(htu(&url("https://mcp.example.com")), "https://mcp.example.com/", "empty path is /");
        assert_eq!(htu(&url("http://[::1]:80/x")), "http://[::1]/x");
        assert_eq!(htu(&url("https://h/p%2Fq?")), "https://h/p%2Fq", "the path stays byte for byte");
    }

    #[test]
    fn a_proof_has_exactly_the_claims_of_rfc_9449() {
        let (key, _) = DpopKey::generate("https://as.example", "c", 0).unwrap();
        let u = url("https://mcp.example/mcp?session=1#x");
        let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
        let target = Target { htm: "post", url: &u, access_token: Some(token), nonce: Some("n-1") };
        let p = proof(&key, target, 1_700_000_000).unwrap();
        let (header, claims) = decode_unverified(p.expose()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(&header["jwk"], key.public_jwk());
        assert!(header["jwk"].get("d").is_none(), "no private member");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://mcp.example/mcp");
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims.as_object().unwrap().len(), 6, "{claims}");
        // The token endpoint's proofs: no ath, and no nonce until the server gave one.
        let bare = Target { htm: "POST", url: &u, access_token: None, nonce: None };
        let (_, c1) = decode_unverified(proof(&key, bare, 1).unwrap().expose()).unwrap();
        let (_, c2) = decode_unverified(proof(&key, bare, 1).unwrap().expose()).unwrap();
        assert!(c1.get("ath").is_none() && c1.get("nonce").is_none());
        assert_ne!(c1["jti"], c2["jti"], "every proof has its own jti");
        assert!(proof(&key, Target { htm: "GE T", ..bare }, 1).is_err());
    }
}
