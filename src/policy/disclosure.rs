//! What each client receives: the intersection of the client's configured
//! claims (themselves bounded by the notice) and the scopes it asked for.

use super::{Profile, ProfileClaim};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Scopes claimgate understands; others are ignored (RFC 6749 §3.3 lets the
/// server grant fewer than requested). `offline_access` (OIDC Core §11)
/// releases no claim: it asks for a refresh token.
pub const SUPPORTED_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

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

    /// These scopes without `scope`.
    pub fn without(mut self, scope: &str) -> Scopes {
        self.0.remove(scope);
        self
    }

    /// Whether every scope of `other` is in these (RFC 6749 §6: a refresh
    /// may narrow the scope, never widen it).
    pub fn includes(&self, other: &Scopes) -> bool {
        other.0.is_subset(&self.0)
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

/// A released email address, with the provider's verification (OIDC Core
/// §5.1 `email`, `email_verified`): the two travel together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleasedEmail<'a> {
    pub address: &'a str,
    pub verified: bool,
}

/// What one client receives from one profile under its granted scopes:
/// typed, for the ID token, userinfo and forward-auth headers alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Released<'a> {
    pub name: Option<&'a str>,
    pub email: Option<ReleasedEmail<'a>>,
    pub picture: Option<&'a str>,
}

/// The values of `profile` that a client with `client_claims` receives under `scopes`.
pub fn release<'a>(profile: &'a Profile, client_claims: &BTreeSet<ProfileClaim>, scopes: &Scopes) -> Released<'a> {
    release_granted(profile, &released(client_claims, scopes))
}

/// The values of `profile` for claims already granted (see [`released`]).
pub fn release_granted<'a>(profile: &'a Profile, granted: &BTreeSet<ProfileClaim>) -> Released<'a> {
    let may = |claim| granted.contains(&claim);
    Released {
        name: profile.name.as_deref().filter(|_| may(ProfileClaim::Name)),
        email: profile
            .email
            .as_ref()
            .filter(|_| may(ProfileClaim::Email))
            .map(|e| ReleasedEmail { address: &e.address, verified: e.verified }),
        // A proxied picture is released only as one client's URL (see
        // `pictures::for_client`), never as itself.
        picture: profile.picture.as_ref().and_then(|p| p.link()).filter(|_| may(ProfileClaim::Picture)),
    }
}

impl Released<'_> {
    /// As userinfo members (OIDC Core §5.3.2), without `sub`.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        if let Some(name) = self.name {
            out.insert("name".into(), name.into());
        }
        if let Some(email) = self.email {
            out.insert("email".into(), email.address.into());
            out.insert("email_verified".into(), email.verified.into());
        }
        if let Some(picture) = self.picture {
            out.insert("picture".into(), picture.into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Email;

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
            email: Some(Email { address: "e@x.org".into(), verified: true }),
            picture: Some(crate::policy::Picture::Link("https://p".into())),
        };
        let all: BTreeSet<_> = ProfileClaim::ALL.into_iter().collect();
        let r = release(&p, &all, &Scopes::parse("openid email"));
        assert_eq!(
            r,
            Released { email: Some(ReleasedEmail { address: "e@x.org", verified: true }), ..Default::default() }
        );
        let v = r.to_json();
        assert_eq!((v.len(), &v["email"], &v["email_verified"]), (2, &Value::from("e@x.org"), &Value::from(true)));
        let only_name: BTreeSet<_> = [ProfileClaim::Name].into();
        assert_eq!(release(&p, &only_name, &Scopes::parse("openid profile email")).picture, None, "not the client's");
    }
}
