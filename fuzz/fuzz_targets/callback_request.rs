//! The callback listener's request reader is the first thing any local process or web page
//! reaches. Whatever arrives, in whatever pieces: no panic, never more than `MAX_HEAD`
//! bytes kept, and a parsed head only holds what a well-formed HTTP/1.x head can.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth::callback::request::{MAX_HEAD, Refused, parse_head, read_head};
use std::io::Read;

/// Hands the input out in pieces whose sizes the input's first byte decides, as a
/// network would.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(buf.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let mut reader = Trickle { data: rest, step: usize::from(first).max(1) };
    let head = match read_head(&mut reader, |_, _| Ok(())) {
        Ok(head) => head,
        Err(Refused::TooLarge) => {
            assert!(rest.len() > MAX_HEAD);
            return;
        }
        Err(_) => return,
    };
    assert!(head.len() <= MAX_HEAD);
    assert!(head.ends_with(b"\n\n") || head.ends_with(b"\r\n\r\n"));
    assert!(rest.starts_with(&head));
    if let Ok(h) = parse_head(&head) {
        assert!(!h.method.is_empty() && h.method.bytes().all(|b| b.is_ascii_uppercase()));
        assert!(!h.target.is_empty() && h.target.bytes().all(|b| b.is_ascii_graphic()));
        assert!(h.host.as_deref().is_none_or(|v| !v.contains(['\r', '\n'])));
        let _ = mcp_oauth::callback::route(&h.method, &h.target, h.host.as_deref(), "/callback");
    }
});
