//! What each client receives — the one release rule, used by every path
//! that hands out profile values (ID token, userinfo, refresh, forward-auth
//! headers, the picture link):
//!
//! **released = the client's configured claims (bounded by the notice)
//! ∩ what the user consented to for that client ∩ what the request asks
//! (its scopes, and its `claims` parameter).**
//!
//! A claim the user did not consent to is never released, whatever the
//! config says now; a request can never widen past configured ∩ consented.

use super::{Profile, ProfileClaim};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// Scopes claimgate understands; others are ignored (RFC 6749 §3.3 lets the
/// server grant fewer than requested). `offline_access` (OIDC Core §11)
/// releases no claim: it asks for a refresh token.
pub const SUPPORTED_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The granted scopes of one authorization, normalised: parsed once where
/// the request arrives, carried as a set into the records (stored as the
/// space-separated string RFC 6749 §3.3 writes, as before). A bit per
/// entry of [`SUPPORTED_SCOPES`]: reading a record allocates nothing for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scopes, D::Error> {
        struct Stored;
        impl serde::de::Visitor<'_> for Stored {
            type Value = Scopes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("space-separated scopes")
            }
            fn visit_str<E: serde::de::Error>(self, stored: &str) -> Result<Scopes, E> {
                Ok(Scopes::parse(stored))
            }
        }
        deserializer.deserialize_str(Stored)
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl Scopes {
    fn bit(scope: &str) -> u8 {
        SUPPORTED_SCOPES.iter().position(|s| *s == scope).map_or(0, |i| 1 << i)
    }

    pub fn parse(requested: &str) -> Scopes {
        Scopes(requested.split(' ').fold(0, |set, s| set | Scopes::bit(s)))
    }

    pub fn contains(&self, scope: &str) -> bool {
        let bit = Scopes::bit(scope);
        bit != 0 && self.0 & bit == bit
    }

    /// These scopes without `scope`.
    pub fn without(self, scope: &str) -> Scopes {
        Scopes(self.0 & !Scopes::bit(scope))
    }

    /// Whether every scope of `other` is in these (RFC 6749 §6: a refresh
    /// may narrow the scope, never widen it).
    pub fn includes(&self, other: &Scopes) -> bool {
        other.0 & !self.0 == 0
    }

    pub fn as_string(&self) -> String {
        // openid first, as clients expect.
        let out: Vec<&str> = SUPPORTED_SCOPES.iter().copied().filter(|s| self.contains(s)).collect();
        out.join(" ")
    }
}

/// The claims a client receives under these scopes (before consent: what
/// the notice says the app asks for).
pub fn released(client_claims: &BTreeSet<ProfileClaim>, scopes: &Scopes) -> BTreeSet<ProfileClaim> {
    client_claims.iter().copied().filter(|c| scopes.contains(c.scope())).collect()
}

/// OIDC Core §5.5, the `claims` request parameter, as far as claimgate's
/// claims go: which were asked for the ID token and for userinfo, and
/// which of them as essential. Other claims and members are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    pub id_token: BTreeSet<ProfileClaim>,
    pub userinfo: BTreeSet<ProfileClaim>,
    pub essential: BTreeSet<ProfileClaim>,
}

impl ClaimsRequest {
    /// Parses the parameter's JSON; an error is the `invalid_request` description.
    pub fn parse(json: &str) -> Result<ClaimsRequest, &'static str> {
        let value: Value = serde_json::from_str(json).map_err(|_| "claims is not a JSON object")?;
        let object = value.as_object().ok_or("claims is not a JSON object")?;
        let mut out = ClaimsRequest::default();
        for (member, target) in [("id_token", &mut out.id_token), ("userinfo", &mut out.userinfo)] {
            let Some(requested) = object.get(member) else { continue };
            let requested = requested.as_object().ok_or("claims members must be JSON objects")?;
            for (name, how) in requested {
                // §5.5.1: null, or an object (essential, value, values).
                if !(how.is_null() || how.is_object()) {
                    return Err("each requested claim must be null or a JSON object");
                }
                let claim = match name.as_str() {
                    "name" => ProfileClaim::Name,
                    "email" | "email_verified" => ProfileClaim::Email,
                    "picture" => ProfileClaim::Picture,
                    _ => continue,
                };
                target.insert(claim);
                if how.get("essential").and_then(Value::as_bool) == Some(true) {
                    out.essential.insert(claim);
                }
            }
        }
        Ok(out)
    }
}

/// What one authorization asks of a client's claims: by scope and by the
/// `claims` parameter (OIDC Core §5.4, §5.5: the union), for the ID token
/// and for userinfo, each within the client's configured claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    pub id_token: BTreeSet<ProfileClaim>,
    pub userinfo: BTreeSet<ProfileClaim>,
    /// Asked as essential: shown on the notice even if declined before.
    pub essential: BTreeSet<ProfileClaim>,
}

impl Asked {
    pub fn of(client_claims: &BTreeSet<ProfileClaim>, scopes: &Scopes, claims: Option<&ClaimsRequest>) -> Asked {
        let by_scope = released(client_claims, scopes);
        let within = |extra: Option<&BTreeSet<ProfileClaim>>| -> BTreeSet<ProfileClaim> {
            by_scope.iter().chain(extra.into_iter().flatten().filter(|c| client_claims.contains(c))).copied().collect()
        };
        Asked {
            id_token: within(claims.map(|c| &c.id_token)),
            userinfo: within(claims.map(|c| &c.userinfo)),
            essential: claims.map(|c| c.essential.intersection(client_claims).copied().collect()).unwrap_or_default(),
        }
    }

    /// Every claim asked, for either target: what the notice shows.
    pub fn all(&self) -> BTreeSet<ProfileClaim> {
        self.id_token.union(&self.userinfo).copied().collect()
    }

    /// The one release rule, for one target: asked ∩ configured now ∩ consented.
    pub fn release(
        target: &BTreeSet<ProfileClaim>,
        client_claims: &BTreeSet<ProfileClaim>,
        consented: &BTreeSet<ProfileClaim>,
    ) -> BTreeSet<ProfileClaim> {
        target.iter().copied().filter(|c| client_claims.contains(c) && consented.contains(c)).collect()
    }
}

/// A user's decision for one app: what they agreed to release, and which
/// optional claims they declined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub given: BTreeSet<ProfileClaim>,
    pub declined: BTreeSet<ProfileClaim>,
}

impl Decision {
    /// Whether this decision answers a request without asking the user:
    /// every required claim asked was given, every optional one asked was
    /// decided, every essential one given (OIDC Core §5.5.1: asked for on
    /// the notice even if declined before).
    pub fn covers(
        &self,
        asked: &BTreeSet<ProfileClaim>,
        optional: &BTreeSet<ProfileClaim>,
        essential: &BTreeSet<ProfileClaim>,
    ) -> bool {
        asked.iter().all(|c| {
            self.given.contains(c) || (optional.contains(c) && self.declined.contains(c) && !essential.contains(c))
        })
    }

    /// The decision after the user saw the notice for `asked`: required
    /// claims are given by continuing; optional claims change only where
    /// the page offered the choice (`ticked`: the boxes ticked).
    pub fn after_notice(
        mut self,
        asked: &BTreeSet<ProfileClaim>,
        optional: &BTreeSet<ProfileClaim>,
        ticked: Option<&BTreeSet<ProfileClaim>>,
    ) -> Decision {
        for &claim in asked {
            let give = match (optional.contains(&claim), ticked) {
                (false, _) => true,
                (true, Some(ticked)) => ticked.contains(&claim),
                (true, None) => continue,
            };
            if give {
                self.given.insert(claim);
                self.declined.remove(&claim);
            } else {
                self.given.remove(&claim);
                self.declined.insert(claim);
            }
        }
        self
    }
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

/// A userinfo answer (OIDC Core §5.3.2): `sub` and the released members,
/// written straight to JSON (members in the order a sorted map writes them).
pub struct Userinfo<'a> {
    pub sub: &'a str,
    pub released: Released<'a>,
}

impl Serialize for Userinfo<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = &self.released;
        let mut map = serializer.serialize_map(None)?;
        if let Some(email) = r.email {
            map.serialize_entry("email", email.address)?;
            map.serialize_entry("email_verified", &email.verified)?;
        }
        if let Some(name) = r.name {
            map.serialize_entry("name", name)?;
        }
        if let Some(picture) = r.picture {
            map.serialize_entry("picture", picture)?;
        }
        map.serialize_entry("sub", self.sub)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Email;
    use ProfileClaim::{Email as E, Name as N, Picture as P};

    fn set(c: &[ProfileClaim]) -> BTreeSet<ProfileClaim> {
        c.iter().copied().collect()
    }

    #[test]
    fn consent_and_config_bound_every_release() {
        let configured = set(&[N, E, P]);
        let asked = Asked::of(&configured, &Scopes::parse("openid profile email"), None);
        assert_eq!(asked.all(), set(&[N, E, P]));
        // Configured now ∩ consented: neither widens the other.
        assert_eq!(Asked::release(&asked.userinfo, &configured, &set(&[N])), set(&[N]));
        assert_eq!(Asked::release(&asked.userinfo, &set(&[N]), &set(&[N, E, P])), set(&[N]));
        // The claims parameter asks beyond the scopes, never beyond the config.
        let c = ClaimsRequest::parse(
            r#"{"userinfo":{"email":{"essential":true},"phone_number":null},"id_token":{"picture":null}}"#,
        )
        .unwrap();
        let asked = Asked::of(&set(&[N, E]), &Scopes::parse("openid"), Some(&c));
        assert_eq!((asked.userinfo, asked.id_token, asked.essential), (set(&[E]), set(&[]), set(&[E])));
        for bad in ["[]", "{\"userinfo\": 3}", "{\"userinfo\": {\"email\": true}}", "nope"] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decisions_cover_what_was_decided() {
        let (asked, optional) = (set(&[N, P]), set(&[P]));
        let first = Decision::default().after_notice(&asked, &optional, None);
        assert_eq!(first.given, set(&[N]));
        assert!(!first.covers(&asked, &optional, &set(&[])), "the optional picture is undecided");
        let declined = first.clone().after_notice(&asked, &optional, Some(&set(&[])));
        assert!(declined.covers(&asked, &optional, &set(&[])), "declined is decided");
        assert!(!declined.covers(&asked, &optional, &set(&[P])), "essential: asked again");
        let ticked = declined.after_notice(&asked, &optional, Some(&set(&[P])));
        assert_eq!((ticked.given.clone(), ticked.declined.clone()), (set(&[N, P]), set(&[])));
        // A required claim never asked for is not covered.
        assert!(!ticked.covers(&set(&[E]), &optional, &set(&[])));
    }

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
        assert!(!s.contains("phone") && !s.contains("") && s.contains("email"));
    }

    /// Records written before the scopes became a bit set hold the string:
    /// both encodings read and write it unchanged.
    #[test]
    fn scopes_are_stored_as_the_space_separated_string() {
        let s = Scopes::parse("email openid offline_access");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""openid email offline_access""#);
        assert_eq!(postcard::to_allocvec(&s).unwrap(), postcard::to_allocvec("openid email offline_access").unwrap());
        let old = postcard::to_allocvec("openid profile").unwrap();
        assert_eq!(postcard::from_bytes::<Scopes>(&old).unwrap(), Scopes::parse("profile openid"));
        assert_eq!(serde_json::from_str::<Scopes>(r#""openid\u0020email""#).unwrap(), Scopes::parse("openid email"));
        assert!(s.includes(&Scopes::parse("openid")) && !Scopes::parse("openid").includes(&s));
        assert_eq!(s.without("offline_access"), Scopes::parse("openid email"));
        assert_eq!(Scopes::default().as_string(), "");
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
        let v = serde_json::to_value(Userinfo { sub: "s", released: r }).unwrap();
        assert_eq!(v, serde_json::json!({"email": "e@x.org", "email_verified": true, "sub": "s"}));
        let every = release(&p, &all, &Scopes::parse("openid profile email"));
        assert_eq!(
            serde_json::to_string(&Userinfo { sub: "s", released: every }).unwrap(),
            r#"{"email":"e@x.org","email_verified":true,"name":"N","picture":"https://p","sub":"s"}"#
        );
        let only_name: BTreeSet<_> = [ProfileClaim::Name].into();
        assert_eq!(release(&p, &only_name, &Scopes::parse("openid profile email")).picture, None, "not the client's");
    }
}
