//! How a tool ends: its error on one line of stderr and the documented exit code, and no
//! core dump on the way.

use mcp_oauth::{Error, ExitCode};

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
    let msg = mcp_oauth::http::error_chain(err).replace('\n', " ");
    crate::say!("{tool}: {msg}");
    std::process::ExitCode::from(code.code())
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
