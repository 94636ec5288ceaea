//! The disclosure policy: which profile claims exist, the filter that turns
//! upstream claims into a [`Profile`], and what each client may receive.

mod claims;
pub mod disclosure;
pub mod filter;
mod profile;
mod pseudonym;
pub mod values;

pub use claims::{ProfileClaim, UnknownClaim};
pub use filter::{filter, FilterError, FilterOutcome, UpstreamClaims, UpstreamIdentity};
pub use profile::{Email, Picture, Profile};
pub use pseudonym::{Pseudonymizer, UserKey};
