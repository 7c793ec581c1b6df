//! What the library has to tell the person running it, handed to the caller instead of
//! printed: progress notes, warnings, what the person must do (open a URL, enter a code),
//! and the `--trace` of every HTTP exchange.
//!
//! The library writes nothing to stdout or stderr itself (`lib.rs` denies the print
//! macros): a command line shows events on stderr (`mcp_oauth_cli::term`), another front
//! end may show them in a window or a log. The caller installs one sink per process with
//! [`install`], before the work starts; until then every event is dropped, so a program
//! that wants silence installs nothing. One sink per process and not one per call: events
//! come from deep inside the store, the HTTP client and its warm-up thread, and threading
//! a handle through every one of them would change most signatures for no gain.
//!
//! Texts are as the library wrote them: they may quote a server (control characters
//! included) or, on a path that missed a redaction, a secret. A sink that shows them to a
//! person passes each line through [`crate::safe_text::clean`], as the command line's does.

use std::sync::{Arc, RwLock};

/// One thing to tell the person. Texts carry no tool name: the sink adds one if it wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// Progress or a note: "waiting up to 300 s for the authorization response on ...".
    Notice(&'a str),
    /// Something is wrong but the work goes on: a credential file others could read, an
    /// entry kept aside that still cannot be stored.
    Warning(&'a str),
    /// The flow waits for the person to act.
    Prompt(Prompt<'a>),
    /// Still waiting for the browser to come back, this many seconds at most; sent about
    /// once a second, for a countdown where a person watches (a terminal), nowhere else.
    Waiting { remaining: u64 },
    /// Free-form `--trace` lines, shown together so that concurrent threads do not
    /// interleave them.
    Trace(&'a [String]),
    /// A step of the flow begins (see [`crate::trace`]); sent whether or not anyone traces.
    StepBegin(&'a crate::trace::StepBegin),
    /// A step ends, with its outcome and elapsed time.
    StepEnd(&'a crate::trace::StepEnd),
    /// A request going out, redacted; its [`Event::Exchange`] follows when it is answered.
    Request(&'a crate::trace::Sent),
    /// One HTTP exchange, redacted, with the JWTs it carried decoded; only when tracing
    /// ([`crate::http::HttpOptions::trace`]).
    Exchange(&'a crate::trace::Exchange),
    /// A check of what a step received, passed or failed.
    Check(&'a crate::trace::Check),
    /// Values a step received or sent outside an exchange (the callback's parameters).
    Detail(&'a crate::trace::Detail),
}

/// What the person must do for an authorization to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt<'a> {
    /// Open the authorization URL in a browser (the library may also have opened it).
    OpenUrl { url: &'a str },
    /// The device grant (RFC 8628 §3.3): visit `verification_uri` and enter `user_code`,
    /// or open `complete` (`verification_uri_complete`), which carries the code, within
    /// `expires_in` seconds.
    EnterCode { verification_uri: &'a str, user_code: &'a str, complete: Option<&'a str>, expires_in: u64 },
}

type Sink = Arc<dyn Fn(&Event<'_>) + Send + Sync>;

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Sends every later event to `sink`, in place of any sink installed before. It is called
/// from whichever thread the event happens on.
pub fn install(sink: impl Fn(&Event<'_>) + Send + Sync + 'static) {
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(sink));
}

pub fn emit(event: Event<'_>) {
    // Cloned out of the lock: a sink that installs another one must not deadlock.
    let sink = SINK.read().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(sink) = sink {
        sink(&event);
    }
}

/// `notice!("waiting for {x}")` emits an [`Event::Notice`].
macro_rules! notice {
    ($($arg:tt)*) => { $crate::events::emit($crate::events::Event::Notice(&format!($($arg)*))) };
}

/// `warning!("cannot read {x}")` emits an [`Event::Warning`].
macro_rules! warning {
    ($($arg:tt)*) => { $crate::events::emit($crate::events::Event::Warning(&format!($($arg)*))) };
}

pub(crate) use {notice, warning};

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn an_installed_sink_gets_every_event_as_emitted() {
        // Other tests of this process may emit too: keep only this test's own events.
        static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
        install(|e| {
            let text = format!("{e:?}");
            if text.contains("events-test") {
                SEEN.lock().unwrap().push(text);
            }
        });
        notice!("events-test {}", 1);
        warning!("events-test {}", 2);
        emit(Event::Trace(&["> GET events-test".to_string()]));
        emit(Event::Prompt(Prompt::OpenUrl { url: "https://as.example/auth?events-test" }));
        let seen = SEEN.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                r#"Notice("events-test 1")"#,
                r#"Warning("events-test 2")"#,
                r#"Trace(["> GET events-test"])"#,
                r#"Prompt(OpenUrl { url: "https://as.example/auth?events-test" })"#,
            ]
        );
    }
}
