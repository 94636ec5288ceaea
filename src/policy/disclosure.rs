//! What each client receives: the intersection of the client's configured
//! claims (themselves bounded by the notice) and the scopes it asked for.

use super::{Profile, ProfileClaim};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Scopes claimgate understands; others are ignored (RFC 6749 §3.3 lets the
/// server grant fewer than requested).
pub const SUPPORTED_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// The granted scopes of one authorization, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<&'static str>);

impl Scopes {
    pub fn parse(requested: &str) -> Scopes {
        Scopes(requested.split(' ').filter_map(|s| SUPPORTED_SCOPES.iter().copied().find(|k| *k == s)).collect())
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn as_string(&self) -> String {
        // openid first, as clients expect.
        let mut out: Vec<&str> = SUPPORTED_SCOPES.iter().copied().filter(|s| self.0.contains(s)).collect();
        out.dedup();
        out.join(" ")
    }
}

/// The claims a client receives under these scopes.
pub fn released(client_claims: &BTreeSet<ProfileClaim>, scopes: &Scopes) -> BTreeSet<ProfileClaim> {
    client_claims.iter().copied().filter(|c| scopes.contains(c.scope())).collect()
}

/// The claim values a client receives, as JSON members (ID token / userinfo).
pub fn claim_values(profile: &Profile, released: &BTreeSet<ProfileClaim>) -> Map<String, Value> {
    let mut out = Map::new();
    for claim in released {
        match claim {
            ProfileClaim::Name => {
                if let Some(v) = &profile.name {
                    out.insert("name".into(), v.clone().into());
                }
            }
            ProfileClaim::Email => {
                if let Some(v) = &profile.email {
                    out.insert("email".into(), v.clone().into());
                    out.insert("email_verified".into(), profile.email_verified.into());
                }
            }
            ProfileClaim::Picture => {
                if let Some(v) = &profile.picture {
                    out.insert("picture".into(), v.clone().into());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_gate_claims() {
        let all: BTreeSet<_> = ProfileClaim::ALL.into_iter().collect();
        assert_eq!(released(&all, &Scopes::parse("openid")), BTreeSet::new());
        assert_eq!(released(&all, &Scopes::parse("openid email")), [ProfileClaim::Email].into());
        let only_name: BTreeSet<_> = [ProfileClaim::Name].into();
        assert_eq!(released(&only_name, &Scopes::parse("openid profile email")), only_name);
    }

    #[test]
    fn unknown_scopes_are_not_granted() {
        let s = Scopes::parse("openid phone address email profile");
        assert_eq!(s.as_string(), "openid profile email");
    }

    #[test]
    fn values_follow_released_claims() {
        let p = Profile {
            name: Some("N".into()),
            email: Some("e@x.org".into()),
            email_verified: true,
            picture: Some("https://p".into()),
        };
        let v = claim_values(&p, &[ProfileClaim::Email].into());
        assert_eq!(v.len(), 2);
        assert_eq!(v["email"], "e@x.org");
        assert_eq!(v["email_verified"], true);
    }
}
