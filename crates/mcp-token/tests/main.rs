//! mcp-token run as a user would: cached, refreshed, and what it never prints.
//! Every file of this folder is a module here (autotests = false); xtask's test fails when one is left out.

mod secrets;
mod token;
