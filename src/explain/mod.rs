//! The disclosure document: for every provider, what happens to each claim
//! it can send, which config key decides it, and which clients receive what.
//! Printed by `claimgate policy explain` / `claimgate check`, and served at
//! `/.well-known/claimgate-disclosure`. The JSON form is a stable contract
//! (`format` = `claimgate-disclosure/1`, documented in docs/PRIVACY.md);
//! it contains no secret.

use crate::config::{
    ClientAuth, ClientKind, Config, OidcClient, OidcFlavor, PictureMode, ProviderConfig, ProviderKind, FAPI2_RULES,
};
use crate::policy::disclosure::{released, Scopes};
use crate::policy::{values, ProfileClaim};
use crate::upstream::catalog;
use serde::Serialize;

mod text;

pub use text::text;

pub const FORMAT: &str = "claimgate-disclosure/1";

#[derive(Debug, Serialize)]
pub struct DisclosureDocument {
    pub format: &'static str,
    pub notice: NoticeView,
    pub providers: Vec<ProviderView>,
    pub clients: Vec<ClientView>,
}

#[derive(Debug, Serialize)]
pub struct NoticeView {
    pub keeps: Vec<&'static str>,
    pub url: Option<String>,
    pub version: Option<String>,
    /// `notice.revised` (YYYY-MM-DD).
    pub revised: Option<String>,
    pub rule: &'static str,
    /// How apps receive the picture (`notice.picture`).
    pub picture: PictureView,
    /// How consent governs every release, and how long it is remembered.
    pub consent: ConsentView,
}

#[derive(Debug, Serialize)]
pub struct ConsentView {
    /// `lifetimes.consent_secs`; 0: until the session that gave it ends.
    pub lifetime_secs: u64,
    pub rule: &'static str,
}

#[derive(Debug, Serialize)]
pub struct PictureView {
    /// `proxy` or `link`.
    pub mode: &'static str,
    pub rule: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ProviderView {
    pub id: String,
    pub kind: &'static str,
    pub issuer: Option<String>,
    pub claims: Vec<ClaimFate>,
    pub upstream_tokens: &'static str,
    /// Where the picture proxy may fetch this provider's pictures (proxy mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture_hosts: Option<Vec<String>>,
    /// Every rule that can refuse a sign-in through this provider or change
    /// what is kept, with the key that decides it and its value.
    pub rules: Vec<RuleView>,
}

/// One rule of a provider's sign-ins.
#[derive(Debug, Serialize)]
pub struct RuleView {
    /// The config key that decides it, or where the rule comes from.
    pub key: String,
    /// The key's value as configured (defaults included).
    pub value: String,
    /// What it does to a sign-in.
    pub effect: String,
}

/// What happens to one upstream claim.
#[derive(Debug, Serialize)]
pub struct ClaimFate {
    pub claim: String,
    /// `kept`, `hashed`, `checked`, `verified` or `dropped`.
    pub action: &'static str,
    /// For `kept`: the profile field; for `hashed`: `user_key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub into: Option<&'static str>,
    /// The config key (or protocol rule) that decides it.
    pub rule: String,
    /// Clients that receive the kept value, and under which scope.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub received_by: Vec<Recipient>,
}

#[derive(Debug, Serialize)]
pub struct Recipient {
    pub client: String,
    pub scope: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub subject: &'static str,
    pub receives: Vec<ClientClaim>,
    pub never_receives: Vec<ClientClaim>,
    /// The FAPI 2.0 Security Profile's rules claimgate enforces for this
    /// client (`fapi2 = true`), each with the profile's section.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fapi2: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ClientClaim {
    pub claim: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
    /// The user may decline it on the notice (`clients.ID.optional_claims`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    pub rule: String,
}

fn recipients(config: &Config, field: ProfileClaim) -> Vec<Recipient> {
    config
        .clients
        .values()
        .filter(|c| c.claims.contains(&field))
        .map(|c| Recipient { client: c.id.to_string(), scope: field.scope() })
        .collect()
}

fn fate(config: &Config, p: &ProviderConfig, claim: &str) -> ClaimFate {
    let rules = &p.rules;
    let fate = |action, into, rule: String, received_by| ClaimFate {
        claim: claim.to_owned(),
        action,
        into,
        rule,
        received_by,
    };
    let github_id = matches!(p.kind, ProviderKind::Github { .. }) && claim == "id";
    if claim == "sub" || github_id {
        return fate(
            "hashed",
            Some("user_key"),
            "user_key = HMAC(keys.pairwise_secret, issuer, sub); apps get a pairwise subject instead".into(),
            vec![],
        );
    }
    if let Some(checked) = gate_fate(config, p, claim) {
        return checked;
    }
    // The filter's own mapping decides what a claim feeds (FilterRules::field_of).
    if let Some(field) = rules.field_of(claim) {
        let source_rule = if rules.sources.contains_key(&field) {
            format!("providers.{}.map.{field}; ", p.id)
        } else {
            String::new()
        };
        return if config.notice.keeps.contains(&field) {
            let proxied = field == ProfileClaim::Picture && config.notice.picture == PictureMode::Proxy;
            let proxy_rule = if proxied {
                format!("; notice.picture = \"proxy\": fetched from providers.{}.picture_hosts, re-encoded; apps receive claimgate's own URL, never this one", p.id)
            } else if field == ProfileClaim::Name && matches!(p.kind, ProviderKind::Apple(_)) {
                "; Apple sends it only on the first sign-in, in the form post's user field (not in the ID token)".into()
            } else {
                String::new()
            };
            fate(
                "kept",
                Some(field.as_str()),
                format!(
                    "{source_rule}notice.keeps contains \"{field}\"; value rule: {}{proxy_rule}",
                    values::rule(field)
                ),
                recipients(config, field),
            )
        } else {
            fate("dropped", None, format!("notice.keeps does not contain \"{field}\""), vec![])
        };
    }
    if catalog::PROTOCOL_CLAIMS.contains(&claim) {
        return fate(
            "verified",
            None,
            "ID-token validation (OpenID Connect Core §3.1.3.7), then dropped".into(),
            vec![],
        );
    }
    fate("dropped", None, "not a profile field claimgate keeps (only name, email, picture can be)".into(), vec![])
}

/// The claims a provider rule reads: `hd`, `tid`, `email_verified`.
fn gate_fate(config: &Config, p: &ProviderConfig, claim: &str) -> Option<ClaimFate> {
    let rules = &p.rules;
    let fate = |action, into, rule: String, received_by| {
        Some(ClaimFate { claim: claim.to_owned(), action, into, rule, received_by })
    };
    if claim == "hd" && !rules.hosted_domains.is_empty() {
        let rule = format!(
            "providers.{}.hosted_domains: must be one of {:?}, else the sign-in is refused; then dropped",
            p.id, rules.hosted_domains
        );
        return fate("checked", None, rule, vec![]);
    }
    if claim == "tid" && !rules.allowed_tenants.is_empty() {
        let rule = format!(
            "providers.{}.allowed_tenants: must be one of {:?}, else the sign-in is refused; then dropped",
            p.id, rules.allowed_tenants
        );
        return fate("checked", None, rule, vec![]);
    }
    if claim == "email_verified" && rules.email_verified_unknown {
        let rule = format!(
            "not sent by this provider: every address is unverified (providers.{}.assume_email_verified = false)",
            p.id
        );
        return fate("dropped", None, rule, vec![]);
    }
    if claim == "email_verified" {
        let gate = if rules.allow_unverified_email { "allowed" } else { "refused" };
        let kept = config.notice.keeps.contains(&ProfileClaim::Email);
        return fate(
            "checked",
            kept.then_some("email_verified"),
            format!(
                "providers.{}.allow_unverified_email = {}: unverified addresses are {gate}; travels with email",
                p.id, rules.allow_unverified_email
            ),
            if kept { recipients(config, ProfileClaim::Email) } else { vec![] },
        );
    }
    None
}

fn picture_view(mode: PictureMode) -> PictureView {
    let rule = match mode {
        PictureMode::Proxy => "each app receives {public_url}/picture/{handle}, a different URL per app; claimgate fetches the provider's picture at login (only from the provider's picture_hosts, at most 1 MiB, within 3 s), re-encodes it as a PNG of at most 256x256 without metadata, stores it sealed for the session's lifetime and erases it with the user; a picture that cannot be fetched is not released",
        PictureMode::Link => "apps receive the provider's picture URL as it is (it identifies the account, the same for every app)",
    };
    PictureView { mode: mode.as_str(), rule }
}

/// Every rule that can refuse a sign-in through `p` or change what is
/// kept: where `email_verified` comes from and what an unverified address
/// meets, the domain, Workspace and tenant rules, the value rules. Each
/// names its key and value, defaults included, so that a reviewer sees a
/// setting that was left alone as clearly as one that was set.
fn rules_of(config: &Config, p: &ProviderConfig) -> Vec<RuleView> {
    let r = &p.rules;
    let key = |k: &str| format!("providers.{}.{k}", p.id);
    let rule = |key: String, value: String, effect: String| RuleView { key, value, effect };
    let list = |items: &[String]| format!("{items:?}");
    let mut out = Vec::new();
    // Where "verified" comes from.
    out.push(verified_source(p));
    out.push(rule(
        key("allow_unverified_email"),
        r.allow_unverified_email.to_string(),
        if r.allow_unverified_email {
            "an unverified address is kept with email_verified = false; it never satisfies a domain rule".into()
        } else {
            "a sign-in with an unverified address is refused".into()
        },
    ));
    out.push(rule(
        key("allowed_email_domains"),
        list(&r.allowed_email_domains),
        if r.allowed_email_domains.is_empty() {
            "no domain rule: any address".into()
        } else {
            "a sign-in is refused unless its address is verified and at one of these domains".into()
        },
    ));
    out.extend(flavor_rules(p));
    for field in ProfileClaim::ALL.into_iter().filter(|f| config.notice.keeps.contains(f)) {
        let source = r.source(field);
        let value = if source == field.as_str() {
            source.to_owned()
        } else {
            format!("{source} (providers.{}.map.{field})", p.id)
        };
        out.push(rule(format!("value rule: {field}"), value, values::rule(field).into()));
    }
    out
}

/// Where a provider's "verified" comes from.
fn verified_source(p: &ProviderConfig) -> RuleView {
    let r = &p.rules;
    let key = |k: &str| format!("providers.{}.{k}", p.id);
    let rule = |key: String, value: String, effect: String| RuleView { key, value, effect };
    match &p.kind {
        ProviderKind::Oidc { flavor: OidcFlavor::Microsoft { .. }, .. } => rule(
            key("assume_email_verified"),
            (!r.email_verified_unknown).to_string(),
            if r.email_verified_unknown {
                "Microsoft sends no email_verified, and a tenant can set any address: every address counts as unverified".into()
            } else {
                "every address Microsoft sends counts as verified: the tenant that signs the token vouches for it (list the tenants you trust in allowed_tenants)".into()
            },
        ),
        ProviderKind::Oidc { flavor: OidcFlavor::Google, .. } => rule(
            "email_verified".into(),
            "the ID token's claim".into(),
            "Google's email_verified: true only for an address Google verified".into(),
        ),
        ProviderKind::Oidc { .. } => rule(
            "email_verified".into(),
            "the ID token's (or userinfo's) claim".into(),
            "the provider's email_verified; an address without email_verified = true counts as unverified".into(),
        ),
        ProviderKind::Apple(_) => rule(
            "email_verified".into(),
            "the ID token's claim (Apple may send the string \"true\")".into(),
            "Apple's email_verified; a private relay address (@privaterelay.appleid.com) is kept as the email: it is already the minimal form".into(),
        ),
        ProviderKind::Github { .. } => rule(
            "email_verified".into(),
            "GET /user/emails".into(),
            "the primary address with GitHub's own verified flag".into(),
        ),
        ProviderKind::Dev => {
            rule("email_verified".into(), "the sample user's claim".into(), "true for the sample user".into())
        }
    }
}

/// The rules of one provider flavor: Workspace domains, tenants, a
/// multi-tenant issuer.
fn flavor_rules(p: &ProviderConfig) -> Vec<RuleView> {
    let r = &p.rules;
    let key = |k: &str| format!("providers.{}.{k}", p.id);
    let rule = |key: String, value: String, effect: String| RuleView { key, value, effect };
    let list = |items: &[String]| format!("{items:?}");
    let mut out = Vec::new();
    let flavor = match &p.kind {
        ProviderKind::Oidc { flavor, .. } => Some(*flavor),
        _ => None,
    };
    if matches!(flavor, Some(OidcFlavor::Google | OidcFlavor::Generic)) {
        out.push(rule(
            key("hosted_domains"),
            list(&r.hosted_domains),
            if r.hosted_domains.is_empty() {
                "no Workspace rule: any account, consumer or Workspace".into()
            } else {
                "the hd claim (the Workspace domain) must be one of these, else the sign-in is refused; consumer accounts have none".into()
            },
        ));
    }
    if matches!(flavor, Some(OidcFlavor::Microsoft { .. } | OidcFlavor::Generic)) {
        out.push(rule(
            key("allowed_tenants"),
            list(&r.allowed_tenants),
            if r.allowed_tenants.is_empty() {
                "no tenant rule: any tenant the issuer admits may sign in".into()
            } else {
                "the ID token's tid must be one of these, else the sign-in is refused".into()
            },
        ));
    }
    if let ProviderKind::Oidc { issuer, flavor: OidcFlavor::Microsoft { multi_tenant: true }, .. } = &p.kind {
        out.push(rule(
            key("issuer"),
            issuer.clone(),
            "multi-tenant: the ID token's iss must be this issuer's {tenantid} template filled with the token's own tid (a GUID), else refused".into(),
        ));
    }
    out
}

fn provider_view(config: &Config, p: &ProviderConfig, only_client: Option<&str>) -> ProviderView {
    let mut claims: Vec<ClaimFate> = catalog::claims_of(p).iter().map(|c| fate(config, p, c)).collect();
    claims.push(ClaimFate {
        claim: "*".into(),
        action: "dropped",
        into: None,
        rule: "any other claim: not a profile field claimgate keeps".into(),
        received_by: vec![],
    });
    if let Some(only) = only_client {
        for c in &mut claims {
            c.received_by.retain(|r| r.client == only);
        }
    }
    let (kind, issuer) = match &p.kind {
        ProviderKind::Oidc { issuer, .. } => ("oidc", Some(issuer.clone())),
        ProviderKind::Github { web_url, .. } => ("github", Some(web_url.clone())),
        ProviderKind::Apple(apple) => ("apple", Some(apple.issuer.clone())),
        ProviderKind::Dev => ("dev", None),
    };
    ProviderView {
        id: p.id.to_string(),
        kind,
        issuer,
        claims,
        upstream_tokens:
            "access, refresh and ID tokens are verified and dropped in the callback; never stored or logged",
        picture_hosts: (config.notice.picture == PictureMode::Proxy).then(|| p.picture_hosts.names()),
        rules: rules_of(config, p),
    }
}

fn client_view(config: &Config, c: &crate::config::ClientConfig) -> ClientView {
    let all_scopes = Scopes::parse("openid profile email");
    let receives = released(&c.claims, &all_scopes)
        .into_iter()
        .map(|f| {
            let optional = c.optional_claims.contains(&f);
            ClientClaim {
                claim: f.as_str(),
                scope: Some(f.scope()),
                optional,
                rule: match optional {
                    true => format!(
                        "clients.{}.claims, optional (clients.{}.optional_claims): only if the user ticks it on the notice",
                        c.id, c.id
                    ),
                    false => format!("clients.{}.claims, once the user has seen the notice", c.id),
                },
            }
        })
        .collect();
    let never_receives = ProfileClaim::ALL
        .into_iter()
        .filter(|f| !c.claims.contains(f))
        .map(|f| ClientClaim {
            claim: f.as_str(),
            scope: None,
            optional: false,
            rule: if config.notice.keeps.contains(&f) {
                format!("not in clients.{}.claims", c.id)
            } else {
                "not in notice.keeps".into()
            },
        })
        .collect();
    ClientView {
        id: c.id.to_string(),
        name: c.name.clone(),
        kind: match &c.kind {
            ClientKind::ForwardAuth(_) => "forward-auth (claims as response headers)",
            ClientKind::Oidc(OidcClient { fapi2: true, .. }) => "confidential, private_key_jwt, FAPI 2.0",
            ClientKind::Oidc(OidcClient { auth: ClientAuth::Secret(_), .. }) => "confidential",
            ClientKind::Oidc(OidcClient { auth: ClientAuth::PrivateKeyJwt(_), .. }) => "confidential, private_key_jwt",
            ClientKind::Oidc(OidcClient { auth: ClientAuth::Public, .. }) => "public (PKCE required)",
        },
        subject: "pairwise: HMAC(keys.pairwise_secret, client id, user_key), different for every client",
        receives,
        never_receives,
        fapi2: match c.oidc().is_some_and(|o| o.fapi2) {
            true => FAPI2_RULES.to_vec(),
            false => Vec::new(),
        },
    }
}

pub fn document(config: &Config, only_client: Option<&str>) -> DisclosureDocument {
    let providers = config.providers.values().map(|p| provider_view(config, p, only_client)).collect();
    let clients = config
        .clients
        .values()
        .filter(|c| only_client.is_none_or(|o| c.id == o))
        .map(|c| client_view(config, c))
        .collect();
    DisclosureDocument {
        format: FORMAT,
        notice: NoticeView {
            keeps: config.notice.keeps.iter().map(|c| c.as_str()).collect(),
            url: config.notice.url.clone(),
            version: config.notice.version.clone(),
            revised: config.notice.revised.clone(),
            rule: "notice.keeps bounds every client's claims and every provider's map; config beyond it does not start",
            picture: picture_view(config.notice.picture),
            consent: ConsentView {
                lifetime_secs: config.lifetimes.consent.map_or(0, |d| d.as_secs()),
                rule: "an app receives its configured claims ∩ what the user consented to for it ∩ what the request asks (scopes, claims parameter), on every path (ID token, userinfo, refresh, forward-auth, picture); consent is remembered per user and app for lifetimes.consent_secs (0: until the session ends), counts as none under another notice.version, and is withdrawn on /me",
            },
        },
        providers,
        clients,
    }
}

#[cfg(test)]
mod tests;
