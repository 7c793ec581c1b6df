//! mcp-authorize run as a user would: against the real test servers, and against hostile token endpoints.
//! Every file of this folder is a module here (autotests = false); xtask's test fails when one is left out.

mod authorize;
mod hostile_token;
