//! `Profile`: everything claimgate keeps about a user, past the filter.

use super::ProfileClaim;
use serde::{Deserialize, Serialize};

/// What claimgate keeps about a user: the fields the notice allows, nothing
/// else. `Debug` shows which fields are present, never their values.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredProfile", into = "StoredProfile")]
pub struct Profile {
    pub name: Option<String>,
    pub email: Option<Email>,
    pub picture: Option<String>,
}

/// An email address and whether the upstream verified it (OIDC Core §5.1
/// `email`, `email_verified`): the flag exists only with an address.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub address: String,
    /// False where the provider did not verify the address (or, as with
    /// Microsoft, cannot say) and its config allows unverified addresses.
    pub verified: bool,
}

impl Profile {
    pub fn has(&self, claim: ProfileClaim) -> bool {
        match claim {
            ProfileClaim::Name => self.name.is_some(),
            ProfileClaim::Email => self.email.is_some(),
            ProfileClaim::Picture => self.picture.is_some(),
        }
    }

    /// Only the fields of `claims` (what one token or app may release).
    pub fn only(&self, claims: &std::collections::BTreeSet<ProfileClaim>) -> Profile {
        let may = |claim| claims.contains(&claim);
        Profile {
            name: self.name.clone().filter(|_| may(ProfileClaim::Name)),
            email: self.email.clone().filter(|_| may(ProfileClaim::Email)),
            picture: self.picture.clone().filter(|_| may(ProfileClaim::Picture)),
        }
    }

    /// The address, if kept.
    pub fn email_address(&self) -> Option<&str> {
        self.email.as_ref().map(|e| e.address.as_str())
    }
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Email {{ verified: {} }}", self.verified)
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let present: Vec<&str> =
            ProfileClaim::ALL.into_iter().filter(|c| self.has(*c)).map(ProfileClaim::as_str).collect();
        write!(f, "Profile{present:?}")
    }
}

/// The sealed session record's shape of a profile (unchanged since the first
/// release, so live sessions survive an upgrade): the address and its flag
/// side by side. Only `Profile`'s serde goes through it.
#[derive(Serialize, Deserialize)]
struct StoredProfile {
    name: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    picture: Option<String>,
}

impl From<StoredProfile> for Profile {
    fn from(s: StoredProfile) -> Self {
        let verified = s.email_verified;
        Profile { name: s.name, email: s.email.map(|address| Email { address, verified }), picture: s.picture }
    }
}

impl From<Profile> for StoredProfile {
    fn from(p: Profile) -> Self {
        let (email, email_verified) = match p.email {
            Some(Email { address, verified }) => (Some(address), verified),
            None => (None, false),
        };
        StoredProfile { name: p.name, email, email_verified, picture: p.picture }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_shape_is_unchanged() {
        let stored = r#"{"name":"N","email":"e@x.org","email_verified":true,"picture":null}"#;
        let p: Profile = serde_json::from_str(stored).unwrap();
        assert_eq!(p.email, Some(Email { address: "e@x.org".into(), verified: true }));
        assert_eq!(serde_json::to_string(&p).unwrap(), stored);
    }

    #[test]
    fn no_address_means_no_flag() {
        let p: Profile =
            serde_json::from_str(r#"{"name":null,"email":null,"email_verified":true,"picture":null}"#).unwrap();
        assert_eq!(p.email, None);
    }
}
