//! Text made safe to show a person: what a server sent, shown and never obeyed, and no
//! secret this process has handled.
//!
//! Much of what the tools print comes from servers (`error_description`, a device
//! `user_code`, a registered `client_id`, response headers), and a terminal obeys what it is
//! sent: ESC and OSC sequences retitle the window, erase lines, write the clipboard (OSC 52)
//! or plant links (OSC 8), CR overprints a line with a fake "success", bidi overrides
//! reorder it. [`clean`] shows each such character as an escape (`\x1b`, `\u{202e}`) and
//! hides every secret ([`crate::redact::scrub`]).
//!
//! These are pure string functions and stay in the library (the printer that writes to
//! stderr is `mcp_oauth_cli::term`): every front end that shows the library's
//! [`events`](crate::events) or errors needs the same protection, a log pane as much as a
//! terminal, and [`clean`] needs the secrets only the library remembers. The fuzz target
//! `terminal_text` checks them without a command line.

use std::borrow::Cow;

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

/// What a line becomes on the terminal: secrets hidden, then made visible-safe.
pub fn clean(text: &str) -> String {
    visible(&crate::redact::scrub(text)).into_owned()
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
