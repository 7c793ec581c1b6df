//! The credential store through real helpers, fault-injecting fake helpers, and the file store.
//! Every file of this folder is a module here (autotests = false); xtask's test fails when one is left out.

mod store_support;
mod store_file;
mod store_helpers;
mod store_pass;
