//! Token-endpoint requests (code exchange, refresh, client credentials, device code,
//! jwt-bearer, token exchange) and the stored token set, in four parts:
//! - `request`: [`request()`] sends one grant with the client's authentication and the
//!   RFC 8707 `resource`; with [`Endpoint::dpop`], whatever the grant, the request carries
//!   a DPoP proof and answers one `use_dpop_nonce` (see `dpop`);
//! - `response`: [`parse_response`] reads the answer leniently (string `expires_in`, missing
//!   `token_type`, 200 or 201) into a [`TokenResponse`] and refuses header-unsafe tokens;
//! - `set`: [`TokenSet::new`] turns a response into the record stored under [`store_key`];
//! - `renew`: [`fresh`] and [`refresh`], the policy for renewing a stored set.
//!
//! Other modules are written against these paths (re-exported here), not the parts.

mod renew;
mod request;
mod response;
mod set;

pub(crate) use renew::new_grant;
pub use renew::{Freshness, fresh, refresh};
pub use request::{
    CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, Endpoint, Grant, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, request,
    warm_up,
};
pub use response::{TokenResponse, check_header_safe, is_b64token, is_http_token, parse_response};
pub use set::{Origin, TokenSet, store_key};
