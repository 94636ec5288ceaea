//! What claimgate holds for a signed-in user, as services the endpoints
//! share: the SSO session, the user's consents, the picture, erasure.

pub mod consent;
pub mod erasure;
pub mod picture;
pub mod session;
