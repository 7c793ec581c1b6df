//! Token endpoint responses are arbitrary JSON objects from the network; the lenient
//! reader must accept or refuse them without panicking (e.g. on odd `expires_in` numbers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::token;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Map<String, Value>>(data) else { return };
    match token::parse_response(&body, "https://as.example/token") {
        Ok(r) => {
            assert!(!r.access_token.expose().is_empty());
            assert!(!r.token_type.is_empty());
            for known in ["access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token"] {
                assert!(!r.extra.contains_key(known), "{known} leaked into extra");
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
