//! claimgate: a minimal-disclosure social-login broker.
//!
//! Data flow (docs/ARCHITECTURE.md): an app sends its user to
//! [`op::authorize`]; claimgate signs the user in upstream ([`upstream`]);
//! the upstream claims cross [`policy::filter`] — the one place where they
//! become a [`policy::Profile`] — and the app receives tokens from [`op`].

// No panics on request paths: make bad states impossible in the types
// instead (unit tests beside the code may unwrap).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::string_slice,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::too_many_lines
    )
)]

pub mod account;
pub mod admin;
pub mod backchannel;
pub mod client_assertion;
pub mod client_keys;
pub mod clock;
pub mod config;
pub mod dpop;
pub mod edge;
pub mod explain;
pub mod grants;
pub mod ids;
pub mod journey;
pub mod keys;
pub mod limits;
pub mod messages;
pub mod metrics;
pub mod net;
pub mod op;
pub mod pages;
pub mod pictures;
pub mod policy;
pub mod protocol;
pub mod secevent;
pub mod signals;
pub mod signing;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod upstream;
