//! The callback query is attacker-reachable (any local page can hit the loopback port).
//! Parsing must not panic, and whatever it accepts must be exactly what the query said:
//! encoding the parameters again and re-parsing gives the same result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::callback::CallbackParams;

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let Ok(p) = CallbackParams::from_query(&query) else { return };
    assert!(p.code.is_some() || p.error.is_some());
    let mut enc = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("code", &p.code),
        ("state", &p.state),
        ("iss", &p.iss),
        ("error", &p.error),
        ("error_description", &p.error_description),
        ("error_uri", &p.error_uri),
    ] {
        if let Some(v) = v {
            enc.append_pair(k, v);
        }
    }
    assert_eq!(CallbackParams::from_query(&enc.finish()).as_ref(), Ok(&p));
});
