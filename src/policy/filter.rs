//! THE FILTER: the single place where upstream claims become a [`Profile`].
//!
//! Upstream claims arrive in [`UpstreamClaims`], a type that cannot be
//! serialized and whose `Debug` prints claim names only. [`filter`] consumes
//! it; what leaves is a [`Profile`] holding at most the claims that
//! `[notice] keeps` allows (name, email, picture), a keyed hash of the
//! upstream identity, and the *names* of the claims kept and dropped (for the
//! audit log). Everything else is dropped when this function returns.

use super::values::{self, ValueRefusal};
use super::{Email, Picture, Profile, ProfileClaim, Pseudonymizer, UserKey};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Claims as the upstream sent them. Deliberately neither `Serialize` nor
/// `Clone`, and its `Debug` shows names only: it cannot be stored or logged
/// with values.
pub struct UpstreamClaims(Map<String, Value>);

impl UpstreamClaims {
    pub fn new(claims: Map<String, Value>) -> Self {
        Self(claims)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// Adds claims from a second source (e.g. userinfo) without overriding
    /// what the verified ID token said.
    pub fn merge_missing(&mut self, other: UpstreamClaims) {
        for (k, v) in other.0 {
            self.0.entry(k).or_insert(v);
        }
    }

    /// `email_verified` as a boolean; some providers send the string "true".
    fn email_verified(&self) -> Option<bool> {
        match self.0.get("email_verified")? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }
}

impl std::fmt::Debug for UpstreamClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// The verified result of an upstream login, before filtering.
pub struct UpstreamIdentity {
    /// The provider's canonical issuer (the configured one, not the spelling
    /// in the token), so that Google's two spellings give one user key.
    pub issuer: String,
    pub subject: String,
    /// When the user authenticated at the provider (unix seconds), where the
    /// provider says (OIDC Core §2 `auth_time`); protocol data, not profile.
    pub auth_time: Option<i64>,
    pub claims: UpstreamClaims,
}

impl std::fmt::Debug for UpstreamIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamIdentity")
            .field("issuer", &self.issuer)
            .field("subject", &"[redacted]")
            .field("claims", &self.claims)
            .finish()
    }
}

/// Per-provider rules the filter applies.
#[derive(Debug, Clone, Default)]
pub struct FilterRules {
    /// Claims the notice allows to be kept (`[notice] keeps`).
    pub keeps: BTreeSet<ProfileClaim>,
    /// `providers.ID.allow_unverified_email`.
    pub allow_unverified_email: bool,
    /// `providers.ID.allowed_email_domains`; empty means any domain. Only a
    /// verified address can prove its domain.
    pub allowed_email_domains: Vec<String>,
    /// `providers.ID.hosted_domains`: Google Workspace domains; the `hd`
    /// claim must be one of them (a consumer account has none).
    pub hosted_domains: Vec<String>,
    /// `providers.ID.allowed_tenants`: Microsoft tenant ids; `tid` must be one.
    pub allowed_tenants: Vec<String>,
    /// The provider sends no trustworthy `email_verified` (Microsoft): every
    /// address is unverified unless `providers.ID.assume_email_verified`.
    pub email_verified_unknown: bool,
    /// `providers.ID.map`: which upstream claim feeds a profile field, where
    /// it is not the field's own name. Config refuses fields beyond the notice.
    pub sources: BTreeMap<ProfileClaim, String>,
}

impl FilterRules {
    /// The upstream claim that feeds `field`.
    pub fn source(&self, field: ProfileClaim) -> &str {
        self.sources.get(&field).map(String::as_str).unwrap_or(field.as_str())
    }

    /// The provider's email rules: a verified address (unless unverified
    /// ones are allowed), in an allowed domain where domains are listed.
    pub fn check_email(&self, email: &str, verified: bool) -> Result<(), FilterError> {
        // A domain rule on an unverified address would let anyone claim the domain.
        if !verified && (!self.allow_unverified_email || !self.allowed_email_domains.is_empty()) {
            return Err(FilterError::UnverifiedEmail);
        }
        if !self.allowed_email_domains.is_empty() {
            let domain = email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
            if !self.allowed_email_domains.iter().any(|d| d.eq_ignore_ascii_case(&domain)) {
                return Err(FilterError::EmailDomainNotAllowed);
            }
        }
        Ok(())
    }

    /// Whether a stored profile still passes these rules (a session reused
    /// for another app meets that app's provider's rules as they are now).
    /// Where the notice does not keep the address, the sign-in's own check stands.
    pub fn admits(&self, profile: &Profile) -> Result<(), FilterError> {
        match &profile.email {
            Some(email) => self.check_email(&email.address, email.verified),
            None if self.keeps.contains(&ProfileClaim::Email) => Err(FilterError::MissingEmail),
            None => Ok(()),
        }
    }

    /// The profile field an upstream claim feeds, if any. `email_verified`
    /// qualifies `email` and travels with it.
    pub fn field_of(&self, claim: &str) -> Option<ProfileClaim> {
        if claim == "email_verified" {
            return Some(ProfileClaim::Email);
        }
        ProfileClaim::ALL.into_iter().find(|f| self.source(*f) == claim)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilterError {
    #[error("the provider did not send an email address")]
    MissingEmail,
    #[error("the provider has not verified this email address")]
    UnverifiedEmail,
    #[error("this email domain is not allowed here")]
    EmailDomainNotAllowed,
    #[error("the provider did not send a subject")]
    MissingSubject,
    #[error("this Google Workspace domain is not allowed here")]
    HostedDomainNotAllowed,
    #[error("this Microsoft organisation is not allowed here")]
    TenantNotAllowed,
}

impl FilterError {
    /// A stable reason code for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            FilterError::MissingEmail => "missing_email",
            FilterError::UnverifiedEmail => "unverified_email",
            FilterError::EmailDomainNotAllowed => "email_domain_not_allowed",
            FilterError::MissingSubject => "missing_subject",
            FilterError::HostedDomainNotAllowed => "hosted_domain_not_allowed",
            FilterError::TenantNotAllowed => "tenant_not_allowed",
        }
    }
}

#[derive(Debug)]
pub struct FilterOutcome {
    pub user_key: UserKey,
    pub profile: Profile,
    /// Names of upstream claims that became part of the profile.
    pub kept: Vec<String>,
    /// Names of upstream claims that were thrown away.
    pub dropped: Vec<String>,
    /// Values outside the value rules, not kept (reason codes for the audit log).
    pub invalid: Vec<ValueRefusal>,
}

/// Turns a verified upstream identity into the profile claimgate keeps.
/// Consumes the identity: nothing of it outlives this call except the output.
pub fn filter(
    identity: UpstreamIdentity,
    rules: &FilterRules,
    pseudonymizer: &Pseudonymizer,
) -> Result<FilterOutcome, FilterError> {
    let UpstreamIdentity { issuer, subject, claims, .. } = identity;
    if subject.is_empty() {
        return Err(FilterError::MissingSubject);
    }
    let user_key = pseudonymizer.user_key(&issuer, &subject);

    let keeps = |c: ProfileClaim| rules.keeps.contains(&c);
    // Organisation rules: who may sign in at all.
    let listed =
        |list: &[String], value: Option<&str>| value.is_some_and(|v| list.iter().any(|l| l.eq_ignore_ascii_case(v)));
    if !rules.hosted_domains.is_empty() && !listed(&rules.hosted_domains, claims.str("hd")) {
        return Err(FilterError::HostedDomainNotAllowed);
    }
    if !rules.allowed_tenants.is_empty() && !listed(&rules.allowed_tenants, claims.str("tid")) {
        return Err(FilterError::TenantNotAllowed);
    }

    // Values outside the rules (values.rs) are not kept; the reasons are reported.
    let mut invalid = Vec::new();
    let mut checked = |v: Option<Result<String, ValueRefusal>>| match v? {
        Ok(value) => Some(value),
        Err(refusal) => {
            invalid.push(refusal);
            None
        }
    };
    // Email rules apply whether or not the email is kept: they decide
    // whether this login is allowed at all. A malformed address is absent.
    let email = checked(claims.str(rules.source(ProfileClaim::Email)).map(|e| values::email(e).map(str::to_owned)));
    let email_verified = !rules.email_verified_unknown && claims.email_verified().unwrap_or(false);
    if keeps(ProfileClaim::Email) || !rules.allowed_email_domains.is_empty() {
        rules.check_email(email.as_deref().ok_or(FilterError::MissingEmail)?, email_verified)?;
    }
    let name =
        checked(claims.str(rules.source(ProfileClaim::Name)).filter(|_| keeps(ProfileClaim::Name)).map(values::name));
    let picture = checked(
        claims.str(rules.source(ProfileClaim::Picture)).filter(|_| keeps(ProfileClaim::Picture)).map(values::picture),
    )
    .map(Picture::Link);
    let profile = Profile {
        name,
        email: email.filter(|_| keeps(ProfileClaim::Email)).map(|address| Email { address, verified: email_verified }),
        picture,
    };

    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    for claim in claims.names() {
        match rules.field_of(claim) {
            Some(field) if profile.has(field) => kept.push(claim.to_owned()),
            _ => dropped.push(claim.to_owned()),
        }
    }
    // `sub` is not kept: it only went into the user key above.
    Ok(FilterOutcome { user_key, profile, kept, dropped, invalid })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn google_claims() -> UpstreamClaims {
        let Value::Object(map) = json!({
            "iss": "https://accounts.google.com", "azp": "cid", "aud": "cid",
            "sub": "10769150350006150715113082367", "hd": "hd-example.org",
            "email": "jsmith@example.com", "email_verified": true,
            "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q", "nonce": "n-0S6_WzA2Mj",
            "name": "Jane Smith", "picture": "https://lh3.googleusercontent.com/a/x",
            "given_name": "GivenX", "family_name": "FamilyX", "locale": "en-XX",
            "phone_number": "+1 555", "iat": 1, "exp": 2
        }) else {
            unreachable!()
        };
        UpstreamClaims::new(map)
    }

    fn identity(claims: UpstreamClaims) -> UpstreamIdentity {
        UpstreamIdentity {
            issuer: "https://accounts.google.com".into(),
            subject: "10769".into(),
            auth_time: None,
            claims,
        }
    }

    fn rules(keeps: &[ProfileClaim]) -> FilterRules {
        FilterRules { keeps: keeps.iter().copied().collect(), ..Default::default() }
    }

    #[test]
    fn a_provider_without_email_verified_gives_unverified_addresses() {
        let p = Pseudonymizer::new(b"k");
        let microsoft = FilterRules { email_verified_unknown: true, ..rules(&ProfileClaim::ALL) };
        // Even a token that says verified: the tenant chose the address.
        let e = filter(identity(google_claims()), &microsoft, &p).unwrap_err();
        assert_eq!(e, FilterError::UnverifiedEmail);
        let lenient = FilterRules { allow_unverified_email: true, ..microsoft };
        let out = filter(identity(google_claims()), &lenient, &p).unwrap();
        assert!(!out.profile.email.as_ref().unwrap().verified, "apps are told the address is unverified");
    }

    #[test]
    fn keeps_only_name_email_picture() {
        let p = Pseudonymizer::new(b"k");
        let out = filter(identity(google_claims()), &rules(&ProfileClaim::ALL), &p).unwrap();
        assert_eq!(out.profile.name.as_deref(), Some("Jane Smith"));
        assert_eq!(out.profile.email, Some(Email { address: "jsmith@example.com".into(), verified: true }));
        assert!(out.profile.picture.is_some());
        let mut kept = out.kept.clone();
        kept.sort();
        assert_eq!(kept, ["email", "email_verified", "name", "picture"]);
        for dropped in ["sub", "given_name", "family_name", "locale", "hd", "phone_number", "at_hash"] {
            assert!(out.dropped.iter().any(|d| d == dropped), "{dropped} not reported dropped");
        }
        assert_eq!(out.user_key, p.user_key("https://accounts.google.com", "10769"));
        let stored = serde_json::to_string(&out.profile).unwrap();
        for leaked in ["GivenX", "FamilyX", "en-XX", "+1 555", "hd-example.org", "10769"] {
            assert!(!stored.contains(leaked), "{leaked} reached the profile");
        }
    }

    #[test]
    fn notice_bounds_what_is_kept() {
        let p = Pseudonymizer::new(b"k");
        let out = filter(identity(google_claims()), &rules(&[ProfileClaim::Name]), &p).unwrap();
        assert_eq!(out.profile.email, None);
        assert_eq!(out.profile.picture, None);
        assert!(out.dropped.iter().any(|d| d == "email"));
    }

    #[test]
    fn unverified_email_is_refused_unless_allowed() {
        let p = Pseudonymizer::new(b"k");
        let mut map = google_claims().0;
        map.insert("email_verified".into(), json!(false));
        let err = filter(identity(UpstreamClaims::new(map.clone())), &rules(&ProfileClaim::ALL), &p);
        assert_eq!(err.unwrap_err(), FilterError::UnverifiedEmail);
        map.remove("email_verified");
        let err = filter(identity(UpstreamClaims::new(map.clone())), &rules(&ProfileClaim::ALL), &p);
        assert_eq!(err.unwrap_err(), FilterError::UnverifiedEmail);
        let mut lenient = rules(&ProfileClaim::ALL);
        lenient.allow_unverified_email = true;
        let out = filter(identity(UpstreamClaims::new(map)), &lenient, &p).unwrap();
        assert!(!out.profile.email.as_ref().unwrap().verified);
    }

    #[test]
    fn email_domain_allow_list() {
        let p = Pseudonymizer::new(b"k");
        let mut r = rules(&ProfileClaim::ALL);
        r.allowed_email_domains = vec!["other.org".into()];
        assert_eq!(filter(identity(google_claims()), &r, &p).unwrap_err(), FilterError::EmailDomainNotAllowed);
        r.allowed_email_domains = vec!["EXAMPLE.com".into()];
        assert!(filter(identity(google_claims()), &r, &p).is_ok());
    }

    #[test]
    fn debug_prints_names_never_values() {
        let claims = google_claims();
        let shown = format!("{claims:?} {:?}", identity(google_claims()));
        assert!(shown.contains("given_name"));
        for value in ["Jane", "jsmith", "+1 555", "10769", "googleusercontent"] {
            assert!(!shown.contains(value), "{value} printed by Debug");
        }
        let out = filter(identity(claims), &rules(&ProfileClaim::ALL), &Pseudonymizer::new(b"k")).unwrap();
        let shown = format!("{out:?}");
        assert!(!shown.contains("Jane") && !shown.contains("jsmith"), "{shown}");
    }

    #[test]
    fn a_provider_map_chooses_the_source_claim() {
        let mut map = google_claims().0;
        map.insert("nickname".into(), json!("Janey"));
        let mut r = rules(&ProfileClaim::ALL);
        r.sources.insert(ProfileClaim::Name, "nickname".into());
        let out = filter(identity(UpstreamClaims::new(map)), &r, &Pseudonymizer::new(b"k")).unwrap();
        assert_eq!(out.profile.name.as_deref(), Some("Janey"));
        assert!(out.kept.contains(&"nickname".to_string()));
        assert!(out.dropped.contains(&"name".to_string()), "the unmapped claim is dropped");
    }

    #[test]
    fn picture_must_be_a_web_url() {
        let mut map = google_claims().0;
        map.insert("picture".into(), json!("javascript:alert(1)"));
        let out =
            filter(identity(UpstreamClaims::new(map)), &rules(&ProfileClaim::ALL), &Pseudonymizer::new(b"k")).unwrap();
        assert_eq!(out.profile.picture, None);
        assert!(out.dropped.iter().any(|d| d == "picture"));
    }
}

#[cfg(test)]
#[path = "filter_properties.rs"]
mod properties;
