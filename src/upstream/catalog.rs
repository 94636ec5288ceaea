//! What each provider kind can send: the claim catalogues the reviewer's
//! report (`crate::explain`) walks, kept beside the providers that send them.

use crate::config::{OidcFlavor, ProviderConfig, ProviderKind};

pub const GOOGLE_CLAIMS: &[&str] = &[
    "sub",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "picture",
    "locale",
    "hd",
    "iss",
    "azp",
    "aud",
    "iat",
    "exp",
    "nonce",
    "at_hash",
];

pub const OIDC_CLAIMS: &[&str] = &[
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "iss",
    "aud",
    "azp",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
    "c_hash",
    "sid",
];

/// Microsoft identity platform v2.0 ID-token claims.
pub const MICROSOFT_CLAIMS: &[&str] = &[
    "sub",
    "oid",
    "tid",
    "name",
    "preferred_username",
    "email",
    "login_hint",
    "ver",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "rh",
    "uti",
    "sid",
    "aio",
    "idp",
];

/// What GitHub's `GET /user` returns (the profile fields), plus the address
/// from `GET /user/emails` and `sub` (the numeric id).
pub const GITHUB_CLAIMS: &[&str] = &[
    "sub",
    "id",
    "login",
    "name",
    "avatar_url",
    "email",
    "email_verified",
    "company",
    "blog",
    "location",
    "bio",
    "twitter_username",
    "hireable",
    "public_repos",
    "followers",
    "following",
    "created_at",
    "node_id",
    "html_url",
];

/// Sign in with Apple: the ID token's claims, and `name`, which arrives
/// only in the first authorization's `user` form field.
pub const APPLE_CLAIMS: &[&str] = &[
    "sub",
    "email",
    "email_verified",
    "is_private_email",
    "real_user_status",
    "transfer_sub",
    "nonce_supported",
    "name",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "c_hash",
];

/// Claims that only prove the ID token is genuine and meant for claimgate.
pub const PROTOCOL_CLAIMS: &[&str] =
    &["iss", "aud", "azp", "exp", "iat", "nbf", "auth_time", "nonce", "acr", "amr", "at_hash", "c_hash", "sid", "tid"];

/// Every claim this provider can send, as its kind documents it, plus the
/// claims its `map` names.
pub fn claims_of(p: &ProviderConfig) -> Vec<String> {
    let base: Vec<String> = match &p.kind {
        ProviderKind::Oidc { flavor: OidcFlavor::Google, .. } => GOOGLE_CLAIMS.iter().map(|c| c.to_string()).collect(),
        ProviderKind::Oidc { flavor: OidcFlavor::Microsoft { .. }, .. } => {
            MICROSOFT_CLAIMS.iter().map(|c| c.to_string()).collect()
        }
        ProviderKind::Oidc { .. } => OIDC_CLAIMS.iter().map(|c| c.to_string()).collect(),
        ProviderKind::Github { .. } => GITHUB_CLAIMS.iter().map(|c| c.to_string()).collect(),
        ProviderKind::Apple(_) => APPLE_CLAIMS.iter().map(|c| c.to_string()).collect(),
        ProviderKind::Dev => crate::upstream::dev::DevProvider::sample_claims("").keys().cloned().collect(),
    };
    let mut all = base;
    for source in p.rules.sources.values() {
        if !all.contains(source) {
            all.push(source.clone());
        }
    }
    all
}
