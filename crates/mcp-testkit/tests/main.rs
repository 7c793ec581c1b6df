//! The fixtures themselves: the test servers and the HTTP clients tests use to poke at them.
//! Every file of this folder is a module here (autotests = false); xtask's test fails when one is left out.

mod clients;
mod servers;
