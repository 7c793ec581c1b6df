//! The environment a tool runs in, and where its input comes from.

use crate::CommonArgs;
use mcp_oauth::document::Document;
use mcp_oauth::http::{Http, HttpOptions};
use mcp_oauth::store::{Store, StoreOptions};
use std::cell::OnceCell;
use std::time::Duration;

/// The environment a tool runs in: its HTTP client and (opened on first use) its store.
pub struct Context {
    pub args: CommonArgs,
    pub http: Http,
    store: OnceCell<Store>,
}

impl Context {
    pub fn new(args: CommonArgs) -> Self {
        crate::exit::set_error_format(args.error_format);
        mcp_oauth::redact::reveal(args.reveal_secrets);
        let traced = crate::trace_out::configure(&args);
        let http = Http::new(HttpOptions {
            timeout: Duration::from_secs(args.timeout.max(1)),
            trace: traced,
            reveal: args.reveal_secrets,
            ..HttpOptions::default()
        });
        Context { args, http, store: OnceCell::new() }
    }

    pub fn profile(&self) -> Option<&str> {
        self.args.profile.as_deref()
    }

    pub fn pretty(&self) -> bool {
        !self.args.compact
    }

    pub fn reveal(&self) -> bool {
        self.args.reveal_secrets
    }

    /// Opened lazily: `--help`, pure discovery and bad input never touch the store. Opening
    /// it first stores what an earlier run could not (see [`Store::recover`]).
    pub fn store(&self) -> mcp_oauth::Result<&Store> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let store = Store::open(StoreOptions::from_env(self.args.credential_helper.clone()))?;
        store.recover();
        Ok(self.store.get_or_init(|| store))
    }
}

/// Where a tool's input comes from.
pub enum Input {
    Url(url::Url),
    Document(Box<Document>),
}

impl Input {
    /// A URL argument wins; otherwise the document on stdin (refusing a terminal).
    pub fn resolve(url: Option<&str>) -> mcp_oauth::Result<Self> {
        match url {
            Some(u) => Ok(Input::Url(mcp_oauth::url_policy::parse("MCP server URL", u)?)),
            None => Ok(Input::Document(Box::new(crate::pipe::read_document()?))),
        }
    }
}
