//! Shared test fixtures: the loopback test servers, a throwaway `pass` store, in-process
//! mock servers for hostile cases, and running the built binaries with a clean environment.
//!
//! - [`servers`]: `TestServers::start(Options)` runs tests/fixtures/servers.mjs (a real
//!   oidc-provider authorization server and an MCP resource server, with variants), plus a
//!   tiny loopback HTTP client, the `$BROWSER` stand-in and a token shortcut.
//! - [`workload`]: tests/fixtures/workload.mjs, a workload JWT issuer and GitHub Actions
//!   stand-in, and the servers.mjs authorization server that trusts it.
//! - [`bins`]: `Sandbox` (own HOME, DOCKER_CONFIG, XDG dirs) and running the workspace's
//!   binaries with stdin, a timeout and captured output.
//! - [`world`]: servers and a sandbox together, the tools run on the file store, a login.
//!
//! Only loopback is ever contacted, and every child process is killed on drop or stops by
//! itself.

pub mod bins;
pub mod enterprise;
pub mod interop;
pub mod keys;
pub mod mock;
pub mod pass;
pub mod ready;
pub mod servers;
pub mod sweep;
pub mod workload;
pub mod world;
