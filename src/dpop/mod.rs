//! DPoP, Demonstrating Proof of Possession (RFC 9449): validating a proof
//! (§4.3), the thumbprint a token is bound to (`cnf.jkt`, §6; RFC 7638),
//! and server-provided nonces (§8, §9). HTTP and the store are the
//! caller's (`protocol::dpop`): this module only judges a proof.

mod nonce;
mod proof;

pub use nonce::Nonces;
pub use proof::{ath, is_private_jwk, validate, Expected, Proof, ProofError, ALGORITHMS, MAX_AGE_SECS, MAX_SKEW_SECS};
