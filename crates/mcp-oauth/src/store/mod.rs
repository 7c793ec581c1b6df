//! The credential store: Docker credential helpers, with a plain-file fallback.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    pub helper: Option<String>,
}

impl StoreOptions {
    pub fn from_env(helper: Option<String>) -> Self {
        StoreOptions { helper }
    }
}

pub struct Store {}

impl Store {
    pub fn open(_options: StoreOptions) -> Result<Store> {
        Err(Error::Internal("the credential store is not implemented yet".into()))
    }
}
