//! The profile claims claimgate knows. Only these can ever be kept, and only
//! those of them that `[notice] keeps` lists are.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A profile claim that the privacy notice may allow claimgate to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileClaim {
    Name,
    Email,
    Picture,
}

impl ProfileClaim {
    pub const ALL: [ProfileClaim; 3] = [ProfileClaim::Name, ProfileClaim::Email, ProfileClaim::Picture];

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileClaim::Name => "name",
            ProfileClaim::Email => "email",
            ProfileClaim::Picture => "picture",
        }
    }

    /// The OpenID Connect scope under which an app receives this claim.
    pub fn scope(self) -> &'static str {
        match self {
            ProfileClaim::Name | ProfileClaim::Picture => "profile",
            ProfileClaim::Email => "email",
        }
    }
}

impl fmt::Display for ProfileClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("\"{0}\" is not a profile claim claimgate knows (known: name, email, picture)")]
pub struct UnknownClaim(pub String);

impl FromStr for ProfileClaim {
    type Err = UnknownClaim;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProfileClaim::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownClaim(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_claims_and_refuses_others() {
        assert_eq!("email".parse::<ProfileClaim>().unwrap(), ProfileClaim::Email);
        assert!("phone_number".parse::<ProfileClaim>().is_err());
        assert!("Email".parse::<ProfileClaim>().is_err());
    }
}
