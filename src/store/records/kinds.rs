//! The records claimgate stores, one type each: what a sign-in in progress,
//! a code, a session and a token hold (and nothing more).

use super::digest;
use super::handles::{FamilyId, SessionId};
use crate::ids::{ClientId, ProviderId};
use crate::policy::disclosure::{ClaimsRequest, Scopes};
use crate::policy::{Profile, ProfileClaim, UserKey};
use crate::upstream::UpstreamPending;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The SHA-256 of the browser-binding cookie that began a login (see
/// `protocol::binding`): pre-login records hold this, never the cookie itself.
/// The default (a record written before bindings existed) matches no browser.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingDigest(String);

impl BindingDigest {
    pub fn of(cookie_value: &str) -> Self {
        Self(digest(cookie_value))
    }

    /// Constant-time comparison; the empty digest matches nothing.
    pub fn matches(&self, cookie_value: &str) -> bool {
        use subtle::ConstantTimeEq;
        !self.0.is_empty() && bool::from(self.0.as_bytes().ct_eq(digest(cookie_value).as_bytes()))
    }
}

impl std::fmt::Debug for BindingDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BindingDigest([redacted])")
    }
}

/// A downstream authorization request waiting for the upstream login.
/// Stored under the upstream `state`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingLogin {
    pub provider: ProviderId,
    pub upstream: UpstreamPending,
    pub request: AuthorizationRequest,
    /// The browser that pressed the notice's button (RFC 6749 §10.12).
    #[serde(default)]
    pub binding: BindingDigest,
    /// The language of the sign-in's pages, chosen at `/authorize`.
    #[serde(default)]
    pub locale: Option<String>,
}

/// A form-post provider's answer (Sign in with Apple), kept under the
/// upstream `state` from the cross-site POST until the browser comes back
/// same-site with its sign-in cookie (`op::callback`).
#[derive(Serialize, Deserialize)]
pub struct FormPostAnswer {
    pub code: Option<String>,
    /// Apple's `user` field (the name, first sign-in only).
    pub user: Option<String>,
    pub error: Option<String>,
}

impl std::fmt::Debug for FormPostAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormPostAnswer([redacted])")
    }
}

/// What an app asked for at `/authorize`, validated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub scope: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// OIDC Core §3.1.2.1 `max_age`: the oldest sign-in (seconds) this request accepts.
    #[serde(default)]
    pub max_age: Option<u64>,
    /// The DPoP key the code is bound to (RFC 9449 §10: `dpop_jkt`, or the
    /// proof sent with the pushed request): only a proof by that key redeems it.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    /// OIDC Core §5.5: the claims the app asked for by the `claims`
    /// parameter, beside its scopes.
    #[serde(default)]
    pub claims: Option<ClaimsRequest>,
}

/// OIDC Core §3.1.2.1 `prompt`, as far as claimgate acts on it
/// (`select_account` asks for what claimgate does anyway: the provider is
/// chosen on the notice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// `login`: sign in upstream even with a live session.
    pub login: bool,
    /// `none`: answer without showing anything, or fail.
    pub none: bool,
    /// `consent`: show the notice with its choices even where the user's
    /// remembered consent covers the request.
    pub consent: bool,
}

impl Prompt {
    /// Parses the space-separated values; `none` with any other value is an
    /// error (§3.1.2.1), unknown values are ignored.
    pub fn parse(value: Option<&str>) -> Result<Prompt, &'static str> {
        let values: BTreeSet<&str> = value.unwrap_or("").split(' ').filter(|v| !v.is_empty()).collect();
        if values.contains("none") && values.len() > 1 {
            return Err("prompt=none cannot be combined with other values");
        }
        Ok(Prompt {
            login: values.contains("login"),
            none: values.contains("none"),
            consent: values.contains("consent"),
        })
    }
}

/// A validated authorization request waiting on the notice page for the
/// user's "continue". The ticket is random and single use, and only the
/// browser it was shown to may use it (`binding`): not a bearer value.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ticket {
    pub request: AuthorizationRequest,
    /// `prompt=login`: sign in upstream even with a live session.
    pub force_login: bool,
    #[serde(default)]
    pub binding: BindingDigest,
    /// The page offered the optional claims as checkboxes (the user was
    /// known): an unticked box is then a decision to decline.
    #[serde(default)]
    pub choices_shown: bool,
    /// The language of the sign-in's pages, chosen at `/authorize`.
    #[serde(default)]
    pub locale: Option<String>,
}

/// A one-time authorization code, bound to the request that produced it.
#[derive(Debug, Serialize, Deserialize)]
pub struct AuthCode {
    pub request: AuthorizationRequest,
    pub session: SessionId,
    pub auth_time: i64,
}

/// The SSO session: the profile, and what was released to whom. Access
/// grants and forward-auth records carry copies and end with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_key: UserKey,
    pub profile: Profile,
    pub provider: ProviderId,
    pub auth_time: i64,
    /// Absolute end of the session (unix seconds), whatever its activity.
    pub expires_at: i64,
    /// Apps that received tokens in this session, and when (unix seconds).
    #[serde(default)]
    pub disclosures: Vec<Disclosure>,
    /// Unused since consent records (`Records::get_consent`) replaced the
    /// per-session consents; kept, empty, because a record's fields are
    /// positional (`codec`).
    #[serde(default)]
    pub consents: BTreeMap<String, BTreeSet<ProfileClaim>>,
    /// The user's last activity in the browser (unix seconds): the idle
    /// lifetime counts from it. Apps' token requests are not the user's
    /// activity and leave it alone. `None` in a session written before it
    /// existed (its idle time counts from its next write).
    #[serde(default)]
    pub last_active: Option<i64>,
}

/// One release of claims to an app (shown to the user on `/me`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Disclosure {
    pub client_id: ClientId,
    pub claims: Vec<String>,
    pub at: i64,
}

/// Where a forward-auth sign-in returns to. Stored under the `state` of the
/// internal authorization request.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForwardReturn {
    pub client_id: ClientId,
    /// The originally requested URL, whose origin is in the client's list.
    pub return_to: String,
    /// The browser that began this sign-in.
    #[serde(default)]
    pub binding: BindingDigest,
}

/// A forward-auth cookie's record: which client it is for, the SSO session
/// behind it, and what `/auth` answers, so that `/auth` reads this record
/// alone. Indexed under its session: logout and erasure delete it with the
/// session.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForwardSession {
    pub client_id: ClientId,
    pub session: SessionId,
    /// The client's pairwise subject.
    pub subject: String,
    /// The session's provider and profile, so that the client's provider
    /// policy is checked as it is now, on every request.
    pub provider: ProviderId,
    pub profile: Profile,
    /// The session's absolute end (unix seconds).
    pub expires_at: i64,
    /// What the user consented to release to the client when the cookie
    /// was set (configured ∩ consented ∩ asked); `/auth` releases no more,
    /// whatever the config says later. `None`: a record from before
    /// consent governed forward-auth, answered as signed out.
    #[serde(default)]
    pub released: Option<BTreeSet<ProfileClaim>>,
}

/// An opaque access token's grant, with what `/userinfo` answers sealed
/// inside, so that `/userinfo` reads this record alone. Indexed under its
/// session and user: logout and erasure delete it with the session.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessGrant {
    pub client_id: ClientId,
    pub session: SessionId,
    pub scope: Scopes,
    /// The client's pairwise subject.
    pub subject: String,
    /// Only the profile values this token may release.
    pub released: Profile,
    /// Issued and expires (unix seconds), for introspection (RFC 7662 §2.2).
    pub iat: i64,
    pub exp: i64,
    /// The DPoP key the token is bound to (RFC 9449 §6: `cnf.jkt`): only
    /// presented as `DPoP` with a proof by that key. `None`: a bearer token.
    #[serde(default)]
    pub jkt: Option<String>,
}

/// A refresh token's grant (RFC 6749 §6). Indexed under its session
/// (logout and erasure delete it) and under its family: every refresh
/// and access token descended from one authorization, all revoked at once
/// when a rotated refresh token comes back (RFC 9700 §4.14.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshGrant {
    pub client_id: ClientId,
    pub session: SessionId,
    /// The scope of the original authorization; a refresh may narrow it.
    pub scope: Scopes,
    pub family: FamilyId,
    /// The original sign-in's time (OIDC Core §12.2: refreshed ID tokens keep it).
    pub auth_time: i64,
    /// The client's pairwise subject, for introspection.
    pub subject: String,
    pub iat: i64,
    /// The session's absolute end: the token never outlives it.
    pub exp: i64,
    /// A public client's refresh token is bound to its DPoP key (RFC 9449
    /// §5): only a proof by that key refreshes it.
    #[serde(default)]
    pub jkt: Option<String>,
    /// Already used: the token has been rotated, and this record is kept
    /// while its session lives so that a reuse is recognised (RFC 9700
    /// §4.14.2). Rotating turns the live record into this marker in one
    /// store operation ([`super::Records::rotate_refresh`]), so that of two
    /// racing uses the loser always finds it.
    #[serde(default)]
    pub rotated: bool,
    /// The authorization's `claims` parameter (OIDC Core §5.5), kept for
    /// the tokens refreshed from it.
    #[serde(default)]
    pub claims: Option<ClaimsRequest>,
}

/// A redeemed authorization code, kept while the tokens issued from it
/// live: a replay of the code revokes them (RFC 6749 §4.1.2). Holds the
/// store keys of those tokens, never the tokens.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct RedeemedCode {
    pub(super) access_keys: Vec<String>,
    /// The refresh-token family started with the code, if any.
    #[serde(default)]
    pub(super) family: Option<FamilyId>,
}
