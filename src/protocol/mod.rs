//! What every endpoint reads and answers alike: OAuth error answers and
//! request parameters, claimgate's cookies, the browser binding of a
//! sign-in, client authentication, DPoP, and redirects after a POST.

pub mod binding;
pub mod client_auth;
pub mod cookies;
pub mod dpop;
pub mod errors;
pub mod redirect;
