//! The one way text reaches the terminal (stderr): the tools' errors, warnings and notes,
//! the library's [`events`](mcp_oauth::events), and `--trace`.
//!
//! Every line is written through [`line`] or [`lines`], which pass it through
//! [`mcp_oauth::safe_text::clean`]: a server's control characters are shown as escapes,
//! never obeyed, and every secret this process has handled is hidden. `clippy.toml` forbids
//! `eprint!`/`eprintln!` everywhere, so a new message cannot skip this.

// The one writer of stderr (clippy.toml's disallowed-methods point here).
#![allow(clippy::disallowed_methods)]

use mcp_oauth::events::{Event, Prompt};
use mcp_oauth::safe_text::clean;
use std::io::Write as _;

/// Writes one line to stderr (the newline is ours; any in `text` is shown escaped).
pub fn line(text: &str) {
    lines([text]);
}

/// Writes several lines with one write, so that concurrent threads (discovery probes
/// tracing at once) do not interleave them.
pub fn lines<'a>(texts: impl IntoIterator<Item = &'a str>) {
    // With --trace-format json every line on stderr is a JSON object, the tool's own too.
    if crate::trace_out::json_lines() {
        texts.into_iter().for_each(crate::trace_out::message_line);
        return;
    }
    let _ = std::io::stderr().lock().write_all(format!("{}{}", end_countdown(), block(texts)).as_bytes());
}

/// Whether the countdown line is on the terminal, to be erased before the next output.
static COUNTDOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// What erases a countdown line, if one is shown: the next output starts on a clean line.
fn end_countdown() -> &'static str {
    if COUNTDOWN.swap(false, std::sync::atomic::Ordering::Relaxed) { "\r\x1b[K" } else { "" }
}

/// `waiting for the browser: 4:32 left`, rewritten in place once a second. On a terminal
/// only: in a log it would be 300 lines of noise.
fn countdown(tool: &str, remaining: u64) {
    use std::io::IsTerminal as _;
    let mut err = std::io::stderr().lock();
    if !err.is_terminal() {
        return;
    }
    COUNTDOWN.store(true, std::sync::atomic::Ordering::Relaxed);
    let text = format!("\r\x1b[K{tool}: waiting for the browser, {}:{:02} left", remaining / 60, remaining % 60);
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

fn block<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for t in texts {
        out.push_str(&clean(t));
        out.push('\n');
    }
    out
}

/// What colours mark: outcomes (green passed, red failed), warnings (yellow), step names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Green,
    Red,
    Yellow,
    Bold,
}

impl Colour {
    fn sgr(self) -> &'static str {
        match self {
            Colour::Green => "32",
            Colour::Red => "1;31",
            Colour::Yellow => "33",
            Colour::Bold => "1",
        }
    }
}

/// A line and the colour it is shown in where colour is on.
pub type Painted = (Option<Colour>, String);

/// Colour on stderr: on a terminal, unless NO_COLOR is set (no-color.org); CLICOLOR_FORCE
/// (other than 0) asks for it on a pipe too, NO_COLOR still winning.
fn colour_on() -> bool {
    use std::io::IsTerminal as _;
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        wants_colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR"), std::env::var_os("CLICOLOR_FORCE"))
    })
}

fn wants_colour(terminal: bool, no_color: Option<std::ffi::OsString>, force: Option<std::ffi::OsString>) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    terminal || force.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Like [`lines`], each line in its colour where colour is on; the text is cleaned first,
/// so only our own escape sequences reach the terminal.
pub fn painted_lines(texts: &[Painted]) {
    let on = colour_on();
    let mut out = end_countdown().to_string();
    for (colour, text) in texts {
        match colour {
            Some(c) if on => out.push_str(&format!("\x1b[{}m{}\x1b[0m\n", c.sgr(), clean(text))),
            _ => {
                out.push_str(&clean(text));
                out.push('\n');
            }
        }
    }
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}

/// One line as it is: for text that is already safe to show (JSON, whose escaping covers
/// control characters) and scrubbed of secrets by the caller.
pub fn raw_line(text: &str) {
    let _ = std::io::stderr().lock().write_all(format!("{}{text}\n", end_countdown()).as_bytes());
}

/// A prompt: like [`line`] without the newline, for input typed on the same line.
pub fn prompt(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(format!("{}{}", end_countdown(), clean(text)).as_bytes());
    let _ = err.flush();
}

/// A span of time as a person reads it at a glance: "30 s", "42 min", "3 h", "2 days".
pub fn span(secs: u64) -> String {
    match secs {
        0..=89 => format!("{secs} s"),
        90..=5399 => format!("{} min", (secs + 30) / 60),
        5400..=172_799 => format!("{} h", (secs + 1800) / 3600),
        _ => format!("{} days", (secs + 43_200) / 86_400),
    }
}

/// `say!("mcp-tool: {x}")` writes one line through [`line`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::term::line(&format!($($arg)*)) };
}

/// Shows every later event of the library on stderr, as `tool: ...` lines.
pub fn show_events(tool: &str) {
    let tool = tool.to_string();
    mcp_oauth::events::install(move |event| {
        if crate::trace_out::handle(&tool, event) {
            return;
        }
        match event {
            _ if crate::trace_out::json_lines() => crate::trace_out::json_line(&tool, event),
            Event::Waiting { remaining } => countdown(&tool, *remaining),
            Event::Warning(_) => painted_lines(&[(Some(Colour::Yellow), render(&tool, event).concat())]),
            _ => lines(render(&tool, event).iter().map(String::as_str)),
        }
    });
}

/// An event's lines, as the tools have always printed them.
fn render(tool: &str, event: &Event<'_>) -> Vec<String> {
    match event {
        Event::Notice(text) => vec![format!("{tool}: {text}")],
        Event::Warning(text) => vec![format!("{tool}: warning: {text}")],
        // Blank lines around the URL: it is what the person copies, so it stands alone.
        Event::Prompt(Prompt::OpenUrl { url }) => {
            vec![
                format!("{tool}: to authorize, open this URL in a browser:"),
                String::new(),
                format!("  {url}"),
                String::new(),
            ]
        }
        Event::Prompt(Prompt::EnterCode { verification_uri, user_code, complete, expires_in }) => {
            let mut out = vec![format!(
                "{tool}: to authorize, visit {verification_uri} and enter the code {user_code} (it expires in {})",
                span(*expires_in)
            )];
            out.extend(complete.map(|c| format!("{tool}: or open {c}")));
            out
        }
        Event::Trace(trace) => trace.to_vec(),
        // Shown by crate::trace_out.
        Event::Waiting { .. }
        | Event::StepBegin(_)
        | Event::StepEnd(_)
        | Event::Request(_)
        | Event::Exchange(_)
        | Event::Check(_)
        | Event::Detail(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_the_tools_messages() {
        assert_eq!(render("mcp-x", &Event::Notice("waiting")), ["mcp-x: waiting"]);
        assert_eq!(render("mcp-x", &Event::Warning("mode 644")), ["mcp-x: warning: mode 644"]);
        assert_eq!(
            render("mcp-authorize", &Event::Prompt(Prompt::OpenUrl { url: "https://as/a?x=1" })),
            ["mcp-authorize: to authorize, open this URL in a browser:", "", "  https://as/a?x=1", ""]
        );
        let code = Prompt::EnterCode {
            verification_uri: "https://as/d",
            user_code: "AB-12",
            complete: Some("https://as/d?c=AB-12"),
            expires_in: 600,
        };
        assert_eq!(
            render("mcp-authorize", &Event::Prompt(code)),
            [
                "mcp-authorize: to authorize, visit https://as/d and enter the code AB-12 (it expires in 10 min)",
                "mcp-authorize: or open https://as/d?c=AB-12"
            ]
        );
        let trace = ["> GET https://as/x".to_string(), ">   Accept: */*".to_string()];
        assert_eq!(render("mcp-x", &Event::Trace(&trace)), trace);
    }

    #[test]
    fn colour_on_a_terminal_unless_no_color_and_on_a_pipe_when_forced() {
        let some = |s: &str| Some(std::ffi::OsString::from(s));
        assert!(wants_colour(true, None, None));
        assert!(!wants_colour(false, None, None));
        assert!(!wants_colour(true, some("1"), None));
        assert!(wants_colour(true, some(""), None), "an empty NO_COLOR is unset (no-color.org)");
        assert!(wants_colour(false, None, some("1")));
        assert!(!wants_colour(false, None, some("0")));
        assert!(!wants_colour(false, some("1"), some("1")), "NO_COLOR wins");
    }

    #[test]
    fn every_line_is_shown_not_obeyed() {
        let shown = block(["mcp-x: code \x1b]52;c;ZXZpbA==\x07", "next\rline"]);
        assert_eq!(shown, "mcp-x: code \\x1b]52;c;ZXZpbA==\\x07\nnext\\rline\n");
    }
}
