//! The credential store through real helpers, fault-injecting fake helpers, and the file store.
//! Every file of this folder is a module here (autotests = false); xtask's test fails when one is left out.

// clippy.toml allows unwrap in tests, but does not see helpers of a test module as tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod store_faults;
mod store_file;
mod store_helpers;
mod store_pass;
mod store_support;
