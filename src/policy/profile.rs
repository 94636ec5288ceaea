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
    pub picture: Option<Picture>,
}

/// The profile picture, as claimgate holds it.
#[derive(Clone, PartialEq, Eq)]
pub enum Picture {
    /// A URL an app may receive as it is: the provider's (`[notice] picture
    /// = "link"`), or, in what one client receives, claimgate's own
    /// `/picture/{handle}` for that client.
    Link(String),
    /// claimgate fetched, re-encoded and stored the image; each app receives
    /// its own `/picture/{handle}` URL for it, never the provider's.
    Proxied,
}

impl Picture {
    /// The URL an app may receive as it is; `None` for a proxied picture,
    /// which must first become one client's URL (`pictures::for_client`).
    pub fn link(&self) -> Option<&str> {
        match self {
            Picture::Link(url) => Some(url),
            Picture::Proxied => None,
        }
    }
}

/// How a proxied picture is written in the stored shape: not a URL, so no
/// link (always http or https, `values::picture`) can be mistaken for it.
const PROXIED: &str = "claimgate:proxied";

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

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Picture::Link(_) => "Picture::Link(..)",
            Picture::Proxied => "Picture::Proxied",
        })
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
/// side by side, a proxied picture as [`PROXIED`]. Only `Profile`'s serde
/// goes through it.
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
        let picture = s.picture.map(|p| if p == PROXIED { Picture::Proxied } else { Picture::Link(p) });
        Profile { name: s.name, email: s.email.map(|address| Email { address, verified }), picture }
    }
}

impl From<Profile> for StoredProfile {
    fn from(p: Profile) -> Self {
        let (email, email_verified) = match p.email {
            Some(Email { address, verified }) => (Some(address), verified),
            None => (None, false),
        };
        let picture = p.picture.map(|p| match p {
            Picture::Link(url) => url,
            Picture::Proxied => PROXIED.to_owned(),
        });
        StoredProfile { name: p.name, email, email_verified, picture }
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
    fn pictures_keep_their_kind() {
        for picture in [Picture::Proxied, Picture::Link("https://lh3.googleusercontent.com/a/x".into())] {
            let p = Profile { picture: Some(picture.clone()), ..Profile::default() };
            let back: Profile = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
            assert_eq!(back.picture, Some(picture));
        }
        let stored = r#"{"name":null,"email":null,"email_verified":false,"picture":"claimgate:proxied"}"#;
        assert_eq!(serde_json::from_str::<Profile>(stored).unwrap().picture, Some(Picture::Proxied));
    }

    #[test]
    fn no_address_means_no_flag() {
        let p: Profile =
            serde_json::from_str(r#"{"name":null,"email":null,"email_verified":true,"picture":null}"#).unwrap();
        assert_eq!(p.email, None);
    }
}
