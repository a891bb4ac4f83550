//! Authentication: password hashing, access tokens, and the [`Principal`] extractor that turns
//! a bearer token into the account making the request.

pub mod jwt;
pub mod password;
pub mod policy;
pub mod principal;

pub use principal::Principal;
