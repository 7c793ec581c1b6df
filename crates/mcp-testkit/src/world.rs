//! The setting most end-to-end tests start from: the test servers (the shared pair for the
//! default options) and a sandbox, with the tools run in it on the file store.

use crate::bins::{DEFAULT_TIMEOUT, Output, Sandbox, run};
use crate::servers::{Fixture, Options, browser_command};

/// The file store keeps a test independent of `pass`; the tests of `pass` say so themselves.
pub const FILE_STORE: [&str; 2] = ["--credential-helper", "file"];

pub struct World {
    pub servers: Fixture,
    pub sandbox: Sandbox,
}

impl World {
    pub fn new(options: Options) -> World {
        World { servers: Fixture::for_options(options), sandbox: Sandbox::new() }
    }

    /// `bin` with the file store, `args`, `stdin` and the extra environment (no `BROWSER`
    /// unless given there).
    pub fn run(&self, bin: &str, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
        let mut cmd = self.sandbox.cmd(bin);
        cmd.args(FILE_STORE).args(args).envs(env.iter().copied());
        run(cmd, stdin.map(str::as_bytes), DEFAULT_TIMEOUT)
    }

    /// `mcp-authorize EXTRA URL` with the browser stand-in, which must succeed.
    pub fn login(&self, extra: &[&str]) -> Output {
        let mut args = extra.to_vec();
        args.push(&self.servers.mcp_url);
        let browser = browser_command();
        let out = self.run("mcp-authorize", &args, None, &[("BROWSER", &browser.to_string_lossy())]);
        assert!(out.success(), "mcp-authorize: {out}");
        out
    }
}
