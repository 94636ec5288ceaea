//! The disclosure document: for every provider, what happens to each claim
//! it can send, which config key decides it, and which clients receive what.
//! Printed by `claimgate policy explain` / `claimgate check`, and served at
//! `/.well-known/claimgate-disclosure`. The JSON form is a stable contract
//! (`format` = `claimgate-disclosure/1`, documented in docs/PRIVACY.md);
//! it contains no secret.

use crate::config::{ClientKind, Config, ProviderConfig, ProviderKind};
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
    pub rule: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ProviderView {
    pub id: String,
    pub kind: &'static str,
    pub issuer: Option<String>,
    pub claims: Vec<ClaimFate>,
    pub upstream_tokens: &'static str,
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
}

#[derive(Debug, Serialize)]
pub struct ClientClaim {
    pub claim: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
    pub rule: String,
}

fn recipients(config: &Config, field: ProfileClaim) -> Vec<Recipient> {
    config
        .clients
        .values()
        .filter(|c| c.claims.contains(&field))
        .map(|c| Recipient { client: c.id.clone(), scope: field.scope() })
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
    // The filter's own mapping decides what a claim feeds (FilterRules::field_of).
    if let Some(field) = rules.field_of(claim) {
        let source_rule = if rules.sources.contains_key(&field) {
            format!("providers.{}.map.{field}; ", p.id)
        } else {
            String::new()
        };
        return if config.notice.keeps.contains(&field) {
            fate(
                "kept",
                Some(field.as_str()),
                format!("{source_rule}notice.keeps contains \"{field}\"; value rule: {}", values::rule(field)),
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

pub fn document(config: &Config, only_client: Option<&str>) -> DisclosureDocument {
    let providers = config
        .providers
        .values()
        .map(|p| {
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
                ProviderKind::Dev => ("dev", None),
            };
            ProviderView {
                id: p.id.clone(),
                kind,
                issuer,
                claims,
                upstream_tokens:
                    "access, refresh and ID tokens are verified and dropped in the callback; never stored or logged",
            }
        })
        .collect();
    let all_scopes = Scopes::parse("openid profile email");
    let clients = config
        .clients
        .values()
        .filter(|c| only_client.is_none_or(|o| o == c.id))
        .map(|c| {
            let receives = released(&c.claims, &all_scopes)
                .into_iter()
                .map(|f| ClientClaim {
                    claim: f.as_str(),
                    scope: Some(f.scope()),
                    rule: format!("clients.{}.claims", c.id),
                })
                .collect();
            let never_receives = ProfileClaim::ALL
                .into_iter()
                .filter(|f| !c.claims.contains(f))
                .map(|f| ClientClaim {
                    claim: f.as_str(),
                    scope: None,
                    rule: if config.notice.keeps.contains(&f) {
                        format!("not in clients.{}.claims", c.id)
                    } else {
                        "not in notice.keeps".into()
                    },
                })
                .collect();
            ClientView {
                id: c.id.clone(),
                name: c.name.clone(),
                kind: match &c.kind {
                    ClientKind::ForwardAuth(_) => "forward-auth (claims as response headers)",
                    ClientKind::Confidential { .. } => "confidential",
                    ClientKind::Public => "public (PKCE required)",
                },
                subject: "pairwise: HMAC(keys.pairwise_secret, client id, user_key), different for every client",
                receives,
                never_receives,
            }
        })
        .collect();
    DisclosureDocument {
        format: FORMAT,
        notice: NoticeView {
            keeps: config.notice.keeps.iter().map(|c| c.as_str()).collect(),
            url: config.notice.url.clone(),
            version: config.notice.version.clone(),
            rule: "notice.keeps bounds every client's claims and every provider's map; config beyond it does not start",
        },
        providers,
        clients,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
[notice]
keeps = ["name", "email"]
version = "v7"
[providers.google]
kind = "oidc"
issuer = "https://accounts.google.com"
client_id = "cid"
client_secret = "SECRET-VALUE"
[clients.a]
client_secret = "CLIENT-SECRET"
redirect_uris = ["https://a.example/cb"]
claims = ["name", "email"]
[clients.b]
redirect_uris = ["https://b.example/cb"]
claims = ["name"]
"#;

    fn doc() -> DisclosureDocument {
        document(&Config::parse(CONFIG, |_| None).unwrap(), None)
    }

    fn claim<'a>(d: &'a DisclosureDocument, name: &str) -> &'a ClaimFate {
        d.providers[0].claims.iter().find(|c| c.claim == name).unwrap()
    }

    #[test]
    fn every_google_claim_has_a_fate_and_a_rule() {
        let d = doc();
        for c in catalog::GOOGLE_CLAIMS {
            assert!(!claim(&d, c).rule.is_empty());
        }
        assert_eq!(claim(&d, "email").action, "kept");
        assert_eq!(claim(&d, "email").into, Some("email"));
        assert_eq!(claim(&d, "picture").action, "dropped", "not in this notice");
        assert_eq!(claim(&d, "sub").action, "hashed");
        assert_eq!(claim(&d, "given_name").action, "dropped");
        assert_eq!(claim(&d, "hd").action, "dropped");
        assert_eq!(claim(&d, "nonce").action, "verified");
        assert_eq!(claim(&d, "*").action, "dropped");
        let name_to: Vec<&str> = claim(&d, "name").received_by.iter().map(|r| r.client.as_str()).collect();
        assert_eq!(name_to, ["a", "b"]);
        assert_eq!(claim(&d, "email").received_by.len(), 1);
    }

    #[test]
    fn json_has_no_secret_and_a_stable_format() {
        let json = serde_json::to_string(&doc()).unwrap();
        assert!(json.contains("\"format\":\"claimgate-disclosure/1\""));
        assert!(!json.contains("SECRET-VALUE") && !json.contains("CLIENT-SECRET"));
    }

    #[test]
    fn one_client_only() {
        let d = document(&Config::parse(CONFIG, |_| None).unwrap(), Some("b"));
        assert_eq!(d.clients.len(), 1);
        assert!(claim(&d, "email").received_by.is_empty());
        let t = text(&d);
        assert!(t.contains("never receives email") && t.contains("not in clients.b.claims"), "{t}");
    }

    /// The report and the filter agree, claim by claim, for every provider
    /// kind: what the report calls kept is what the filter keeps.
    #[test]
    fn the_report_says_what_the_filter_does_for_every_provider_kind() {
        use crate::policy::{filter, Pseudonymizer, UpstreamClaims, UpstreamIdentity};
        use serde_json::{json, Value};
        let providers = r#"
[providers.google]
kind = "oidc"
issuer = "https://accounts.google.com"
client_id = "c"
client_secret = "s"
[providers.oidc]
kind = "oidc"
issuer = "https://idp.example"
client_id = "c"
client_secret = "s"
map = { name = "preferred_username" }
[providers.microsoft]
kind = "oidc"
issuer = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
client_id = "c"
client_secret = "s"
allow_unverified_email = true
[providers.github]
kind = "github"
client_id = "c"
client_secret = "s"
[providers.dev]
kind = "dev"
[clients.a]
client_secret = "s"
redirect_uris = ["https://a.example/cb"]
claims = ["name", "email", "picture"]
"#;
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"http://127.0.0.1:8080\"\n[notice]\nkeeps = [\"name\", \"email\", \"picture\"]\n{providers}"
        );
        let config = Config::parse(&text, |_| None).unwrap();
        let doc = document(&config, None);
        let pseudonymizer = Pseudonymizer::new(b"k");
        for view in &doc.providers {
            let p = &config.providers[&view.id];
            for fate in view.claims.iter().filter(|f| f.claim != "*") {
                // A value the value rules accept, for whatever the claim feeds.
                let value = match p.rules.field_of(&fate.claim) {
                    Some(ProfileClaim::Picture) => json!("https://img.example/p.png"),
                    Some(ProfileClaim::Email) if fate.claim == "email_verified" => json!(true),
                    Some(ProfileClaim::Email) => json!("jane@example.com"),
                    _ => json!("value"),
                };
                let mut claims = serde_json::Map::new();
                claims.insert("email".into(), json!("jane@example.com"));
                claims.insert("email_verified".into(), Value::Bool(true));
                claims.insert(fate.claim.clone(), value);
                let identity = UpstreamIdentity {
                    issuer: "https://idp.example".into(),
                    subject: "subject".into(),
                    auth_time: None,
                    claims: UpstreamClaims::new(claims),
                };
                let out = filter(identity, &p.rules, &pseudonymizer).unwrap();
                let reported_kept = fate.action == "kept" || (fate.action == "checked" && fate.into.is_some());
                let filter_kept = out.kept.contains(&fate.claim);
                assert_eq!(reported_kept, filter_kept, "{} {}: report says {}", view.id, fate.claim, fate.action);
            }
        }
    }
}
