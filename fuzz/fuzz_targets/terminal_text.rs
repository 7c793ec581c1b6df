//! What servers say reaches the terminal through `safe_text::visible`, and tokens reach HTTP
//! headers after `token::check_header_safe`. Neither may let a control character through.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::safe_text::{is_unsafe, visible};
use mcp_oauth::token::{is_b64token, is_http_token};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let shown = visible(&text);
    assert!(!shown.chars().any(is_unsafe), "{shown:?}");
    // Already safe text is left as it is.
    assert_eq!(visible(&shown), shown);
    if !text.chars().any(is_unsafe) {
        assert_eq!(shown, text);
    }
    // A token that passes goes into `Authorization: <type> <token>` as visible ASCII only.
    if is_b64token(&text) {
        assert!(text.bytes().all(|b| b.is_ascii_graphic()));
    }
    if is_http_token(&text) {
        assert!(text.bytes().all(|b| b.is_ascii_graphic() && !b"\"(),/:;<=>?@[\\]{}".contains(&b)));
    }
});
