//! How a tool ends: its error on one line of stderr and the documented exit code, and no
//! core dump on the way.

use crate::common::ErrorFormat;
use mcp_oauth::{Error, ExitCode};
use std::sync::OnceLock;

static ERROR_FORMAT: OnceLock<ErrorFormat> = OnceLock::new();

/// Set once the flags are parsed; before that (or for errors clap reports itself)
/// `MCP_OAUTH_ERROR_FORMAT` decides.
pub fn set_error_format(format: ErrorFormat) {
    let _ = ERROR_FORMAT.set(format);
}

fn error_format() -> ErrorFormat {
    *ERROR_FORMAT.get_or_init(|| match std::env::var("MCP_OAUTH_ERROR_FORMAT").as_deref() {
        Ok("json") => ErrorFormat::Json,
        _ => ErrorFormat::Text,
    })
}

/// Our memory holds tokens and client secrets: no crash may write it to a core file. On
/// Linux the process is also made non-dumpable, which stops core dumps piped to a
/// collector (that may ignore RLIMIT_CORE) and other processes of the user attaching to
/// read it. Best effort: failing to harden is no reason not to run.
pub fn forbid_core_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let maximum = getrlimit(Resource::Core).maximum;
        let _ = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum });
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
}

/// Prints `tool: message` on one line (through [`crate::term`]: a server's words in it are
/// shown, never obeyed) and returns the documented exit code. Walks the error chain so
/// that context added at the binary's edge keeps the library's code.
pub fn report(tool: &str, err: &(dyn std::error::Error + 'static)) -> std::process::ExitCode {
    let code = exit_code_of(err);
    let msg = mcp_oauth::http::error_chain_with(err, &crate::remedy::say_error).replace('\n', " ");
    match error_format() {
        ErrorFormat::Text => crate::say!("{tool}: {msg}"),
        ErrorFormat::Json => crate::term::raw_line(&json_error(tool, code, oauth_error_of(err), &msg)),
    }
    std::process::ExitCode::from(code.code())
}

/// One JSON object for a script or an agent: what failed (a stable name), the message, and
/// the command the message suggests. Secrets are scrubbed; JSON escapes control characters,
/// so a server's words cannot reach the terminal raw this way either.
fn json_error(tool: &str, code: ExitCode, oauth_error: Option<String>, msg: &str) -> String {
    let msg = mcp_oauth::redact::scrub(msg).into_owned();
    // Messages end with the fix where there is one: "...; run: mcp-authorize URL".
    let command = msg.rfind("run: ").map(|i| msg[i + 5..].trim().trim_end_matches(['.', ')']).to_string());
    let mut v = serde_json::json!({
        "tool": tool,
        "exit_code": code.code(),
        "error": code.name(),
        "message": msg,
    });
    if let Some(command) = command {
        v["command"] = command.into();
    }
    if let Some(oauth) = oauth_error {
        v["oauth_error"] = oauth.into();
    }
    v.to_string()
}

fn oauth_error_of(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return ours.oauth_error().map(String::from);
        }
        cur = e.source();
    }
    None
}

pub fn exit_code_of(err: &(dyn std::error::Error + 'static)) -> ExitCode {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return ours.exit_code();
        }
        cur = e.source();
    }
    ExitCode::Internal
}
