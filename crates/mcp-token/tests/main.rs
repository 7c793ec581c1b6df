//! mcp-token run as a user would: cached, refreshed, and what it never prints.
//! Every file of this folder is a module here (autotests = false); xtask's test fails when one is left out.

// clippy.toml allows unwrap in tests, but does not see helpers of a test module as tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dpop;
mod https;
mod recipes;
mod secrets;
mod status;
mod store_faults;
mod sweep;
mod token;
mod trace;
