//! The sign-in journey, in the order a user walks it:
//!
//! 1. `request`: the app's authorization request validated (or a pushed one
//!    found again from its `request_uri`);
//! 2. `begin`: answered from the SSO session, or the `notice` page shown;
//! 3. `proceed`: the notice's button, to the chosen provider (or, within a
//!    session, straight to the end);
//! 4. `callback`: the provider's answer verified, filtered into a profile,
//!    a session opened;
//! 5. `finish`: consent brought up to date, a code issued, the user sent
//!    back to the app.
//!
//! Every step is bound to the browser that began the journey
//! (`crate::protocol::binding`); `audit` writes the login trail.

pub mod audit;
pub mod begin;
pub mod callback;
pub mod finish;
pub mod notice;
pub mod proceed;
pub mod request;
