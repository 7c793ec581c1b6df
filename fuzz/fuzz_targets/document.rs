//! The pipeline document arrives on stdin from the previous tool or from a user's file:
//! bad input must be an error, never a panic, and what one tool writes the next must read
//! back to the same document. Taken apart into a stage and put back, it is the same too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::document::Document;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(doc) = Document::parse(text) else { return };
    for pretty in [false, true] {
        let json = doc.to_json(pretty);
        let back = Document::parse(&json).unwrap_or_else(|e| panic!("re-parse of {json} failed: {e}"));
        assert_eq!(back, doc);
    }
    if let Ok(stage) = doc.clone().discovered() {
        assert_eq!(stage.into_document(), doc);
    }
    if let Ok(stage) = doc.clone().registered() {
        assert_eq!(stage.into_document(), doc);
    }
    if let Ok(stage) = doc.clone().authorized() {
        assert_eq!(stage.into_document(), doc);
    }
});
