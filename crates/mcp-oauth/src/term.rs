//! The one way text reaches the terminal (stderr): errors, warnings, notes and `--trace`.
//!
//! Much of what we print comes from servers (`error_description`, a device `user_code`, a
//! registered `client_id`, response headers), and a terminal obeys what it is sent: ESC
//! and OSC sequences retitle the window, erase lines, write the clipboard (OSC 52) or plant
//! links (OSC 8), CR overprints a line with a fake "success", bidi overrides reorder it.
//! So every line is written through [`line`] or [`lines`], which show each such character
//! as an escape (`\x1b`, `\u{202e}`) and hide every secret this process has handled
//! ([`crate::redact::scrub`]). `clippy.toml` forbids `eprint!`/`eprintln!` elsewhere, so
//! a new message cannot skip this.

#![allow(clippy::disallowed_macros)]

use std::borrow::Cow;
use std::io::Write as _;

/// Characters a terminal acts on instead of showing: C0 controls (with TAB, CR and LF:
/// a message is one line, and a server's newline must not start a forged one), DEL, C1
/// controls, and the Unicode controls that reorder or split lines.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [`is_unsafe`] character shown as an escape, so that it is printed,
/// never obeyed.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// What a line of ours becomes on the terminal: secrets hidden, then made visible-safe.
pub fn clean(text: &str) -> String {
    visible(&crate::redact::scrub(text)).into_owned()
}

/// Writes one line to stderr (the newline is ours; any in `text` is shown escaped).
pub fn line(text: &str) {
    lines([text]);
}

/// Writes several lines with one write, so that concurrent threads (discovery probes
/// tracing at once) do not interleave them.
pub fn lines<'a>(texts: impl IntoIterator<Item = &'a str>) {
    let mut out = String::new();
    for t in texts {
        out.push_str(&clean(t));
        out.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}

/// A prompt: like [`line`] without the newline, for input typed on the same line.
pub fn prompt(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(clean(text).as_bytes());
    let _ = err.flush();
}

/// `say!("mcp-tool: {x}")` writes one line through [`line`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::term::line(&format!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        let hostile =
            "ok\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\r\x1b[2Kdone\u{9b}31m\u{202e}txt.exe\x7f\nmcp-authorize: fake";
        let shown = visible(hostile);
        assert!(!shown.chars().any(is_unsafe), "{shown}");
        assert_eq!(
            shown,
            "ok\\x1b]0;pwned\\x07\\x1b]52;c;ZXZpbA==\\x07\\r\\x1b[2Kdone\\u{9b}31m\\u{202e}txt.exe\\x7f\\nmcp-authorize: fake"
        );
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        let t = "https://as.example/device — code ÄB-12 (naïve, 日本)";
        assert!(matches!(visible(t), Cow::Borrowed(s) if s == t));
    }
}
