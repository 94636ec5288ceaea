//! `Profile`: everything claimgate keeps about a user, past the filter.

use super::ProfileClaim;
use serde::{Deserialize, Serialize};

/// What claimgate keeps about a user: the fields the notice allows, nothing
/// else. `Debug` shows which fields are present, never their values.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: Option<String>,
    pub email: Option<String>,
    /// Whether the upstream verified `email`; false only where the provider's
    /// config allows unverified addresses.
    pub email_verified: bool,
    pub picture: Option<String>,
}

impl Profile {
    pub fn has(&self, claim: ProfileClaim) -> bool {
        match claim {
            ProfileClaim::Name => self.name.is_some(),
            ProfileClaim::Email => self.email.is_some(),
            ProfileClaim::Picture => self.picture.is_some(),
        }
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let present: Vec<&str> =
            ProfileClaim::ALL.into_iter().filter(|c| self.has(*c)).map(ProfileClaim::as_str).collect();
        write!(f, "Profile{present:?}")
    }
}
