//! The disclosure document's tests.

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
fn the_report_lists_every_fapi2_rule_for_a_fapi2_client_only() {
    let key = crate::signing::SigningKey::generate(crate::signing::SigningAlg::Es256).unwrap();
    let jwk = serde_json::to_value(openidconnect::PrivateSigningKey::as_verification_key(&key)).unwrap();
    let jwks = serde_json::json!({ "keys": [jwk] }).to_string();
    let mut edit = crate::config::edit::ConfigEdit::parse(CONFIG);
    edit.remove("clients.a", "client_secret")
        .set("clients.a", "token_endpoint_auth_method", "private_key_jwt")
        .set("clients.a", "jwks", jwks.as_str())
        .set("clients.a", "fapi2", true);
    let d = document(&Config::parse(&edit.to_string(), |_| None).unwrap(), None);
    let text = text(&d);
    for rule in crate::config::FAPI2_RULES {
        assert!(text.contains(rule), "{rule}");
    }
    assert!(d.clients[1].fapi2.is_empty(), "client b is not under the profile");
    assert!(text.contains("confidential, private_key_jwt, FAPI 2.0"));
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
    let mut edit = crate::config::edit::ConfigEdit::parse(&text);
    let p8 = crate::signing::SigningKey::generate(crate::signing::SigningAlg::Es256).unwrap().to_pkcs8_pem().unwrap();
    edit.set("providers.apple", "kind", "apple")
        .set("providers.apple", "client_id", "com.example.signin")
        .set("providers.apple", "team_id", "ABCDE12345")
        .set("providers.apple", "key_id", "KEY123ABCD")
        .set("providers.apple", "private_key", p8.as_str());
    let config = Config::parse(&edit.to_string(), |_| None).unwrap();
    let doc = document(&config, None);
    let apple = doc.providers.iter().find(|p| p.id == "apple").unwrap();
    for claim in crate::upstream::catalog::APPLE_CLAIMS {
        assert!(apple.claims.iter().any(|f| f.claim == *claim), "Apple's {claim} is in the report");
    }
    let name = apple.claims.iter().find(|f| f.claim == "name").unwrap();
    assert!(name.action == "kept" && name.rule.contains("only on the first sign-in"), "{}", name.rule);
    let pseudonymizer = Pseudonymizer::new(b"k");
    for view in &doc.providers {
        let p = &config.providers[view.id.as_str()];
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

/// Issue 23: optional claims and the consent rule and lifetime are shown.
#[test]
fn optional_claims_and_the_consent_lifetime_are_reported() {
    let mut edit = crate::config::edit::ConfigEdit::parse(CONFIG);
    edit.set_list("clients.a", "optional_claims", &["email"]).set("notice", "revised", "2026-12-01").set(
        "lifetimes",
        "consent_secs",
        0,
    );
    let config = edit.to_string();
    let d = document(&Config::parse(&config, |_| None).unwrap(), Some("a"));
    let email = d.clients[0].receives.iter().find(|c| c.claim == "email").unwrap();
    assert!(email.optional && email.rule.contains("optional_claims"), "{}", email.rule);
    assert!(!d.clients[0].receives.iter().find(|c| c.claim == "name").unwrap().optional);
    assert_eq!((d.notice.consent.lifetime_secs, d.notice.revised.as_deref()), (0, Some("2026-12-01")));
    let t = text(&d);
    assert!(t.contains("receives email (optional)") && t.contains("consent (lifetimes.consent_secs = 0)"), "{t}");
    assert!(t.contains("notice.revised: 2026-12-01"), "{t}");
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains("\"optional\":true") && json.contains("\"lifetime_secs\":0"), "{json}");
}

/// One provider `p` of `kind_lines`, with `extra` lines, beside a client.
fn one_provider(kind_lines: &str, extra: &str) -> Result<Config, String> {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"http://127.0.0.1:8080\"\n[notice]\nkeeps = [\"name\", \"email\", \"picture\"]\n[providers.p]\n{kind_lines}{extra}\n[clients.a]\nclient_secret = \"s\"\nredirect_uris = [\"https://a.example/cb\"]\nclaims = [\"name\", \"email\"]\n"
    );
    Config::parse(&text, |_| None).map_err(|e| e.to_string())
}

const GOOGLE: &str =
    "kind = \"oidc\"\nissuer = \"https://accounts.google.com\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";
const MICROSOFT: &str =
    "kind = \"oidc\"\nissuer = \"https://login.microsoftonline.com/common/v2.0\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";
const GENERIC: &str = "kind = \"oidc\"\nissuer = \"https://idp.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";
const GITHUB: &str = "kind = \"github\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";
const DEV: &str = "kind = \"dev\"\n";
const TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Issue 33: for every provider kind, each key that changes whether a
/// sign-in is admitted or what is kept changes the report (text and JSON),
/// which names the key; a key that means nothing for the kind is refused
/// by name.
#[test]
fn every_key_that_decides_a_sign_in_changes_the_report() {
    let common =
        ["allow_unverified_email = true", "allowed_email_domains = [\"example.com\"]", "map = { name = \"nickname\" }"];
    let tenants = format!("allowed_tenants = [\"{TENANT}\"]");
    let kinds: [(&str, &str, Vec<&str>); 5] = [
        ("google", GOOGLE, vec!["hosted_domains = [\"example.com\"]"]),
        ("microsoft", MICROSOFT, vec![tenants.as_str(), "assume_email_verified = true"]),
        ("oidc", GENERIC, vec!["hosted_domains = [\"example.com\"]", tenants.as_str()]),
        ("github", GITHUB, vec![]),
        ("dev", DEV, vec![]),
    ];
    for (kind, lines, specific) in &kinds {
        let base = one_provider(lines, "").unwrap();
        let (base_text, base_json) =
            (text(&document(&base, None)), serde_json::to_string(&document(&base, None)).unwrap());
        for extra in common.iter().chain(specific) {
            let changed = one_provider(lines, extra).unwrap_or_else(|e| panic!("{kind} {extra}: {e}"));
            let d = document(&changed, None);
            let key = extra.split(' ').next().unwrap();
            let t = text(&d);
            assert_ne!(t, base_text, "{kind}: {extra} changes nothing in the text report");
            assert_ne!(serde_json::to_string(&d).unwrap(), base_json, "{kind}: {extra} changes nothing in the JSON");
            assert!(t.contains(&format!("providers.p.{key}")), "{kind}: the report names {key}:\n{t}");
        }
    }
    // Keys that mean nothing for a kind are refused, naming the key.
    let refused = [
        (GOOGLE, tenants.as_str(), "allowed_tenants"),
        (GOOGLE, "assume_email_verified = true", "assume_email_verified"),
        (GENERIC, "assume_email_verified = true", "assume_email_verified"),
        (MICROSOFT, "hosted_domains = [\"example.com\"]", "hosted_domains"),
        (GITHUB, "hosted_domains = [\"example.com\"]", "hosted_domains"),
        (DEV, tenants.as_str(), "allowed_tenants"),
    ];
    for (lines, extra, key) in refused {
        let e = one_provider(lines, extra).err().unwrap_or_else(|| panic!("{extra} accepted for {lines}"));
        assert!(e.starts_with(&format!("providers.p.{key}")), "{e}");
    }
}

/// Issue 33: for a Microsoft provider the report names
/// `assume_email_verified` with its value and what it means, and the
/// tenant rule; the email-verification row agrees with what the filter does.
#[test]
fn the_microsoft_report_names_the_setting_that_decides_trust_in_addresses() {
    for (extra, value, meaning) in
        [("", "false", "unverified"), ("assume_email_verified = true", "true", "counts as verified")]
    {
        let c = one_provider(MICROSOFT, extra).unwrap();
        let t = text(&document(&c, None));
        assert!(t.contains(&format!("providers.p.assume_email_verified = {value}")), "{t}");
        assert!(t.contains(meaning), "{t}");
        assert!(t.contains("providers.p.allowed_tenants = [] ") && t.contains("no tenant rule"), "{t}");
        assert!(t.contains("providers.p.allow_unverified_email = false"), "{t}");
    }
    let pinned = one_provider(MICROSOFT, &format!("allowed_tenants = [\"{TENANT}\"]")).unwrap();
    let t = text(&document(&pinned, None));
    assert!(t.contains(TENANT) && t.contains("own tid"), "{t}");
}

/// The email-verification rows say what the filter does with an address
/// that is not verified, for every kind and setting.
#[test]
fn the_email_verification_rows_agree_with_the_filter() {
    use crate::policy::{filter, Pseudonymizer, UpstreamClaims, UpstreamIdentity};
    use serde_json::json;
    let cases = [
        (GOOGLE, ""),
        (GOOGLE, "allow_unverified_email = true"),
        (MICROSOFT, ""),
        (MICROSOFT, "assume_email_verified = true"),
        (MICROSOFT, "allow_unverified_email = true"),
        (GENERIC, ""),
        (GITHUB, "allow_unverified_email = true"),
        (DEV, ""),
    ];
    for (lines, extra) in cases {
        let c = one_provider(lines, extra).unwrap();
        let p = &c.providers["p"];
        let d = document(&c, None);
        let rules = &d.providers[0].rules;
        let row =
            rules.iter().find(|r| r.key.ends_with("allow_unverified_email")).expect("an allow_unverified_email row");
        // An address the provider calls unverified (Microsoft sends nothing).
        let mut claims = serde_json::Map::new();
        claims.insert("email".into(), json!("jane@example.com"));
        if !p.rules.email_verified_unknown {
            claims.insert("email_verified".into(), json!(false));
        }
        let identity = UpstreamIdentity {
            issuer: "https://idp.example".into(),
            subject: "subject".into(),
            auth_time: None,
            claims: UpstreamClaims::new(claims),
        };
        let refused = filter(identity, &p.rules, &Pseudonymizer::new(b"k")).is_err();
        let trusted = !p.rules.email_verified_unknown && lines == MICROSOFT;
        if !trusted {
            assert_eq!(row.effect.contains("refused"), refused, "{lines}{extra}: {}", row.effect);
        }
    }
}
