//! Shared test fixtures: the loopback test servers, a throwaway `pass` store, in-process
//! mock servers for hostile cases, and running the built binaries with a clean environment.

pub mod bins;
pub mod mock;
pub mod pass;
pub mod servers;
