//! claimgate as OpenID Provider to its apps: one thin file per endpoint.
//! The sign-in they share is `crate::journey`; tokens are made in
//! `crate::grants`; what every endpoint reads and answers alike is in
//! `crate::protocol`.

pub mod authorize;
pub mod callback;
pub mod discovery;
pub mod export;
pub mod forward_auth;
pub mod introspect;
pub mod logout;
pub mod me;
pub mod par;
pub mod picture;
pub mod revoke;
pub mod ssf;
pub mod token;
pub mod userinfo;
