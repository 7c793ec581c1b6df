//! mcp-authorize run as a user would: against the real test servers, and against hostile token endpoints.
//! Every file of this folder is a module here (autotests = false); xtask's test fails when one is left out.

// clippy.toml allows unwrap in tests, but does not see helpers of a test module as tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorize;
mod enterprise;
mod gateway;
mod hostile_token;
mod import;
mod interop;
mod private_key_jwt;
mod remedies;
mod workload;
