//! The random values claimgate hands out and later looks records up by:
//! each kind its own type, so that one cannot be used as another
//! (`records.get_session(&access_token)` does not compile), and none of
//! them printed by `Debug`. What a browser or an app presents is taken with
//! `presented` and only ever used to look a record up.

use super::random_handle;
use serde::{Deserialize, Serialize};

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh one: 256 random bits, base64url.
            pub fn random() -> Self {
                Self(random_handle())
            }

            /// As a browser or an app presented it: unchecked, good only
            /// for looking a record up.
            pub fn presented(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value itself, to hand out (a URL parameter, a cookie, a
            /// JSON member) or to key a record by.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }
    };
}

handle!(
    /// An SSO session: the session cookie's value.
    SessionId
);
handle!(
    /// An access token (opaque; its record is the grant).
    AccessToken
);
handle!(
    /// A refresh token (RFC 6749 §6).
    RefreshToken
);
handle!(
    /// A one-time authorization code (RFC 6749 §4.1.2).
    Code
);
handle!(
    /// A refresh-token family: every token one authorization gave.
    FamilyId
);
handle!(
    /// The notice page's single-use ticket.
    TicketHandle
);
handle!(
    /// A pushed authorization request's handle (RFC 9126 `request_uri`).
    PushedHandle
);
handle!(
    /// A forward-auth cookie's value.
    ForwardSessionId
);
handle!(
    /// A forward-auth sign-in's way back (`/auth/callback`'s `state`).
    ForwardReturnHandle
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_value_and_serde_is_the_bare_string() {
        let s = SessionId::random();
        assert_eq!(format!("{s:?}"), "SessionId(…)");
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        // The stored form is unchanged from a plain String's.
        assert_eq!(postcard::to_allocvec(&s).unwrap(), postcard::to_allocvec(&s.as_str().to_owned()).unwrap());
    }
}
