//! Shared test fixtures: the loopback test servers, a throwaway `pass` store, in-process
//! mock servers for hostile cases, and running the built binaries with a clean environment.
//!
//! - [`servers`]: `TestServers::start(Options)` runs tests/fixtures/servers.mjs (a real
//!   oidc-provider authorization server and an MCP resource server, with variants), plus a
//!   tiny loopback HTTP client, the `$BROWSER` stand-in and a token shortcut.
//! - [`bins`]: `Sandbox` (own HOME, DOCKER_CONFIG, XDG dirs) and running the workspace's
//!   binaries with stdin, a timeout and captured output.
//!
//! Only loopback is ever contacted, and every child process is killed on drop or stops by
//! itself.

pub mod bins;
pub mod interop;
pub mod keys;
pub mod mock;
pub mod pass;
pub mod ready;
pub mod servers;
pub mod sweep;
