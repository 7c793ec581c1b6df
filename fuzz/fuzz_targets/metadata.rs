//! Metadata documents come from the network. Parsing must not panic, whatever parses
//! must survive being written back out (the pipeline document carries it on), and the
//! helpers the tools decide with must work on any parsed value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::metadata::{AuthorizationServerMetadata, ResourceMetadata};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    let parsed: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&parsed).expect("parsed metadata serializes");
    let back: T = serde_json::from_slice(&json).expect("serialized metadata parses again");
    assert_eq!(back, parsed);
    Some(parsed)
}

fuzz_target!(|data: &[u8]| {
    if let Some(m) = round_trip::<AuthorizationServerMetadata>(data) {
        let s256 = m.supports_pkce_s256();
        assert_eq!(s256, m.code_challenge_methods_supported.as_ref().is_some_and(|v| v.iter().any(|x| x == "S256")));
        assert!(!m.auth_methods().is_empty() || m.token_endpoint_auth_methods_supported.is_some());
        let _ = m.supports_grant("authorization_code");
        let _ = m.supports_grant("urn:ietf:params:oauth:grant-type:device_code");
        if let Some(scope) = m.scopes_supported.as_ref().and_then(|s| s.first()) {
            assert!(m.supports_scope(scope));
        }
    }
    if let Some(r) = round_trip::<ResourceMetadata>(data) {
        for key in r.extra.keys() {
            assert!(!["resource", "authorization_servers", "scopes_supported"].contains(&key.as_str()));
        }
    }
});
