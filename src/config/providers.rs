//! `[providers.ID]`: the upstream providers, their kinds and the rules the
//! filter applies to what they send.

use super::pictures::{GITHUB_PICTURE_HOSTS, GOOGLE_PICTURE_HOSTS};
use super::{check_id, env_name, invalid, is_loopback, secret, ConfigError, Notice, PictureHosts, ServerConfig};
use crate::ids::ProviderId;
use crate::policy::{filter::FilterRules, ProfileClaim};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use url::Url;

/// `providers.ID.web_url` and `api_url` for `kind = "github"` when unset
/// (set them for GitHub Enterprise).
pub const GITHUB_WEB_URL: &str = "https://github.com";
pub const GITHUB_API_URL: &str = "https://api.github.com";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvider {
    kind: String,
    display_name: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    allow_unverified_email: bool,
    #[serde(default)]
    allowed_email_domains: Vec<String>,
    #[serde(default)]
    hosted_domains: Vec<String>,
    #[serde(default)]
    allowed_tenants: Vec<String>,
    #[serde(default)]
    assume_email_verified: bool,
    /// GitHub (Enterprise) web and API base URLs.
    web_url: Option<String>,
    api_url: Option<String>,
    /// Profile field → upstream claim name, where they differ.
    #[serde(default)]
    map: BTreeMap<String, String>,
    /// Where claimgate may fetch this provider's pictures (defaults per kind).
    picture_hosts: Option<Vec<String>>,
    /// Sign in with Apple: the team, the key's id and the `.p8` key that
    /// signs the client-secret JWT (`private_key` also from the environment).
    team_id: Option<String>,
    key_id: Option<String>,
    private_key: Option<String>,
    private_key_file: Option<String>,
}

#[derive(Debug)]
pub enum ProviderKind {
    Oidc {
        issuer: String,
        flavor: OidcFlavor,
        client_id: String,
        client_secret: SecretString,
    },
    Github {
        client_id: String,
        client_secret: SecretString,
        web_url: String,
        api_url: String,
    },
    /// Sign in with Apple: OpenID Connect with a form-post callback and a
    /// client secret claimgate makes (an ES256 JWT, `upstream::apple`).
    Apple(AppleSettings),
    Dev,
}

/// `kind = "apple"`: the Services ID, the team and the key that signs the
/// client secret.
#[derive(Debug)]
pub struct AppleSettings {
    /// `https://appleid.apple.com` unless overridden (a stand-in).
    pub issuer: String,
    /// The Services ID.
    pub client_id: String,
    pub team_id: String,
    pub key_id: String,
    /// The `.p8` key: PKCS#8 P-256, checked at start-up.
    pub private_key: SecretString,
}

/// Apple's issuer (and the client secret's audience).
pub const APPLE_ISSUER: &str = "https://appleid.apple.com";

/// The quirks of an OpenID Connect provider, decided once from its issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcFlavor {
    /// `https://accounts.google.com`: ID tokens may spell the issuer without
    /// the scheme; Workspace accounts carry `hd`.
    Google,
    /// `https://login.microsoftonline.com/…`: no `email_verified`; the
    /// multi-tenant endpoints (`common`, `organizations`, `consumers`) name a
    /// `{tenantid}` issuer template.
    Microsoft {
        multi_tenant: bool,
    },
    Generic,
}

impl OidcFlavor {
    pub fn of(issuer: &str) -> Self {
        if is_google(issuer) {
            OidcFlavor::Google
        } else if is_microsoft(issuer) {
            let multi_tenant = ["/common/", "/organizations/", "/consumers/"].iter().any(|s| issuer.contains(s));
            OidcFlavor::Microsoft { multi_tenant }
        } else {
            OidcFlavor::Generic
        }
    }
}

#[derive(Debug)]
pub struct ProviderConfig {
    pub id: ProviderId,
    pub display_name: String,
    pub kind: ProviderKind,
    pub rules: FilterRules,
    /// Where this provider's pictures may be fetched (`[notice] picture = "proxy"`).
    pub picture_hosts: PictureHosts,
}

pub(super) fn validate(
    raw: BTreeMap<String, RawProvider>,
    server: &ServerConfig,
    notice: &Notice,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<BTreeMap<ProviderId, ProviderConfig>, ConfigError> {
    if raw.is_empty() {
        return Err(invalid("providers", "at least one [providers.ID] section is required"));
    }
    let mut providers = BTreeMap::new();
    for (id, p) in raw {
        let key = |k: &str| format!("providers.{id}.{k}");
        check_id(&id, &format!("providers.{id}"))?;
        let kind = kind_of(&id, &p, server, env)?;
        let display_name = p.display_name.clone().unwrap_or_else(|| match &kind {
            ProviderKind::Oidc { flavor: OidcFlavor::Google, .. } => "Google".into(),
            ProviderKind::Dev => "Sample provider (dev)".into(),
            ProviderKind::Github { .. } => "GitHub".into(),
            ProviderKind::Apple(_) => "Apple".into(),
            _ => id.clone(),
        });
        let sources = sources_of(&id, &p, &kind, notice)?;
        let flavor = quirks_apply(&id, &p, &kind)?;
        let picture_hosts = match &p.picture_hosts {
            Some(entries) => PictureHosts::parse(entries)
                .map_err(|(i, reason)| invalid(key(&format!("picture_hosts[{i}]")), reason.to_string()))?,
            None => default_picture_hosts(&kind, server),
        };
        let rules = FilterRules {
            keeps: notice.keeps.clone(),
            allow_unverified_email: p.allow_unverified_email,
            allowed_email_domains: p.allowed_email_domains,
            hosted_domains: p.hosted_domains,
            allowed_tenants: p.allowed_tenants,
            // Microsoft sends no email_verified; an address is whatever the tenant says.
            email_verified_unknown: matches!(flavor, Some(OidcFlavor::Microsoft { .. })) && !p.assume_email_verified,
            sources,
        };
        let id = ProviderId::from(id);
        providers.insert(id.clone(), ProviderConfig { id, display_name, kind, rules, picture_hosts });
    }

    Ok(providers)
}

/// The provider's kind with its own settings (issuer, credentials, URLs).
fn kind_of(
    id: &str,
    p: &RawProvider,
    server: &ServerConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<ProviderKind, ConfigError> {
    let key = |k: &str| format!("providers.{id}.{k}");
    // Apple's keys mean nothing for another kind: refused by name, never ignored.
    let apple_only = [
        ("team_id", p.team_id.is_some()),
        ("key_id", p.key_id.is_some()),
        ("private_key", p.private_key.is_some()),
        ("private_key_file", p.private_key_file.is_some()),
    ];
    if let Some((k, _)) = apple_only.iter().find(|(_, set)| *set).filter(|_| p.kind != "apple") {
        return Err(invalid(key(k), "only a Sign in with Apple provider (kind = \"apple\") has it"));
    }
    Ok(match p.kind.as_str() {
        "oidc" => {
            let issuer = p.issuer.clone().ok_or_else(|| invalid(key("issuer"), "required for kind = \"oidc\""))?;
            let parsed = Url::parse(&issuer).map_err(|e| invalid(key("issuer"), format!("not a URL: {e}")))?;
            if parsed.scheme() != "https" && !is_loopback(&parsed) {
                return Err(invalid(key("issuer"), "must be https (plain http only on a loopback address)"));
            }
            let (client_id, client_secret) = credentials(id, p, env)?;
            ProviderKind::Oidc { flavor: OidcFlavor::of(&issuer), issuer, client_id, client_secret }
        }
        "dev" => {
            if !is_loopback(&server.public_url) {
                return Err(invalid(
                    key("kind"),
                    "the dev provider signs in a fixed sample user; it is allowed only when server.public_url is a loopback address",
                ));
            }
            ProviderKind::Dev
        }
        "github" => {
            let (client_id, client_secret) = credentials(id, p, env)?;
            let base_url = |k: &str, value: Option<String>, default: &str| -> Result<String, ConfigError> {
                let v = value.unwrap_or_else(|| default.to_owned());
                let u = Url::parse(&v).map_err(|e| invalid(key(k), format!("not a URL: {e}")))?;
                if u.scheme() != "https" && !is_loopback(&u) {
                    return Err(invalid(key(k), "must be https (plain http only on a loopback address)"));
                }
                Ok(v)
            };
            let web_url = base_url("web_url", p.web_url.clone(), GITHUB_WEB_URL)?;
            let api_url = base_url("api_url", p.api_url.clone(), GITHUB_API_URL)?;
            ProviderKind::Github { client_id, client_secret, web_url, api_url }
        }
        "apple" => ProviderKind::Apple(apple(id, p, env)?),
        other => {
            return Err(invalid(key("kind"), format!("\"{other}\" is not a provider kind (oidc, github, apple, dev)")))
        }
    })
}

/// `kind = "apple"`: its ids and its key, which must be a PKCS#8 P-256
/// key (what Apple's developer site hands out as a `.p8` file).
fn apple(id: &str, p: &RawProvider, env: &impl Fn(&str) -> Option<String>) -> Result<AppleSettings, ConfigError> {
    let key = |k: &str| format!("providers.{id}.{k}");
    let required = |k: &str| invalid(key(k), "required for kind = \"apple\"");
    let issuer = p.issuer.clone().unwrap_or_else(|| APPLE_ISSUER.to_owned());
    let parsed = Url::parse(&issuer).map_err(|e| invalid(key("issuer"), format!("not a URL: {e}")))?;
    if parsed.scheme() != "https" && !is_loopback(&parsed) {
        return Err(invalid(key("issuer"), "must be https (plain http only on a loopback address)"));
    }
    if p.client_secret.is_some() {
        return Err(invalid(key("client_secret"), "Apple's client secret is a JWT claimgate makes from private_key"));
    }
    let client_id = p.client_id.clone().ok_or_else(|| required("client_id"))?;
    // Apple's team and key identifiers: ten letters or digits.
    let ten = |k: &str, v: &Option<String>| -> Result<String, ConfigError> {
        let v = v.clone().ok_or_else(|| required(k))?;
        match v.len() == 10 && v.bytes().all(|b| b.is_ascii_alphanumeric()) {
            true => Ok(v),
            false => Err(invalid(key(k), format!("\"{v}\" is not an Apple identifier (10 letters or digits)"))),
        }
    };
    let (team_id, key_id) = (ten("team_id", &p.team_id)?, ten("key_id", &p.key_id)?);
    let var = env_name("PROVIDER", id, "private_key");
    let (from, pem) = match (secret(p.private_key.clone(), &key("private_key"), &var, env)?, &p.private_key_file) {
        (Some(_), Some(_)) => {
            return Err(invalid(key("private_key_file"), "give private_key or private_key_file, not both"))
        }
        (Some(pem), None) => (key("private_key"), pem),
        (None, Some(file)) => {
            let text =
                std::fs::read_to_string(file).map_err(|e| invalid(key("private_key_file"), format!("{file}: {e}")))?;
            (key("private_key_file"), SecretString::from(text))
        }
        (None, None) => {
            return Err(invalid(
                key("private_key"),
                format!("required for kind = \"apple\" (or private_key_file, or set {var})"),
            ))
        }
    };
    if !is_p256_pkcs8(&pem) {
        return Err(invalid(from, "not a PKCS#8 P-256 private key (the .p8 file Apple's developer site gives)"));
    }
    Ok(AppleSettings { issuer, client_id, team_id, key_id, private_key: pem })
}

/// A "PRIVATE KEY" PEM block holding a P-256 key.
fn is_p256_pkcs8(pem: &SecretString) -> bool {
    use secrecy::ExposeSecret;
    let text = pem.expose_secret();
    text.contains("-----BEGIN PRIVATE KEY-----")
        && crate::signing::SigningKey::from_pem(text)
            .is_ok_and(|keys| keys.len() == 1 && keys.iter().all(|k| k.alg() == crate::signing::SigningAlg::Es256))
}

/// Which upstream claim feeds each profile field (`map`), kept by the notice.
fn sources_of(
    id: &str,
    p: &RawProvider,
    kind: &ProviderKind,
    notice: &Notice,
) -> Result<BTreeMap<ProfileClaim, String>, ConfigError> {
    let key = |k: &str| format!("providers.{id}.{k}");
    let mut sources = BTreeMap::new();
    if matches!(kind, ProviderKind::Github { .. }) && notice.keeps.contains(&ProfileClaim::Picture) {
        // GitHub calls the picture `avatar_url`.
        sources.insert(ProfileClaim::Picture, "avatar_url".to_owned());
    }
    for (field, claim) in &p.map {
        let k = key(&format!("map.{field}"));
        let field = field.parse::<ProfileClaim>().map_err(|e| invalid(&k, e.to_string()))?;
        if !notice.keeps.contains(&field) {
            return Err(invalid(
                &k,
                format!("\"{field}\" is not in notice.keeps: the privacy notice does not keep it"),
            ));
        }
        if claim.is_empty() || matches!(claim.as_str(), "sub" | "iss" | "aud" | "email_verified") {
            return Err(invalid(&k, format!("\"{claim}\" cannot feed a profile field")));
        }
        sources.insert(field, claim.clone());
    }
    Ok(sources)
}

/// The provider's flavor, once its quirk keys are known to apply to it.
fn quirks_apply(id: &str, p: &RawProvider, kind: &ProviderKind) -> Result<Option<OidcFlavor>, ConfigError> {
    let key = |k: &str| format!("providers.{id}.{k}");
    let flavor = match &kind {
        ProviderKind::Oidc { flavor, .. } => Some(*flavor),
        _ => None,
    };
    // Keys of one provider's quirks mean nothing elsewhere: refused, so
    // that a reviewer never reads a rule that is not applied. A generic
    // OpenID Connect provider may send `hd` or `tid` (the filter reads
    // them from any ID token); Google never sends `tid`, Microsoft never
    // `hd`, and only Microsoft lacks `email_verified`.
    let google = flavor == Some(OidcFlavor::Google);
    let microsoft = matches!(flavor, Some(OidcFlavor::Microsoft { .. }));
    let generic = flavor == Some(OidcFlavor::Generic);
    let hd = "Google (it reads the hd claim) and other OpenID Connect providers that send hd";
    let tid = "Microsoft (it reads the tid claim) and other OpenID Connect providers that send tid";
    for (k, set, applies, to) in [
        ("hosted_domains", !p.hosted_domains.is_empty(), google || generic, hd),
        ("allowed_tenants", !p.allowed_tenants.is_empty(), microsoft || generic, tid),
        ("assume_email_verified", p.assume_email_verified, microsoft, "Microsoft, which sends no email_verified"),
    ] {
        if set && !applies {
            return Err(invalid(key(k), format!("applies to {to} only")));
        }
    }
    if let Some((i, t)) = p.allowed_tenants.iter().enumerate().find(|(_, t)| !is_guid(t)) {
        return Err(invalid(key(&format!("allowed_tenants[{i}]")), format!("\"{t}\" is not a tenant id (a GUID)")));
    }
    if let Some((i, d)) = p.hosted_domains.iter().enumerate().find(|(_, d)| d.is_empty() || d.contains('@')) {
        return Err(invalid(key(&format!("hosted_domains[{i}]")), format!("\"{d}\" is not a domain")));
    }
    Ok(flavor)
}

/// Where a provider kind serves its pictures: Google's and GitHub's avatar
/// hosts; for GitHub Enterprise, its own host; for the dev provider,
/// claimgate itself (loopback). Other providers: none until configured.
fn default_picture_hosts(kind: &ProviderKind, server: &ServerConfig) -> PictureHosts {
    // The host (and port, where not the default) of one of claimgate's URLs.
    let own = |url: &Url| {
        let host = url.host_str().map(|h| url.port().map_or_else(|| h.to_owned(), |p| format!("{h}:{p}")));
        PictureHosts::known(&host.into_iter().collect::<Vec<_>>())
    };
    match kind {
        ProviderKind::Oidc { flavor: OidcFlavor::Google, .. } => PictureHosts::known(GOOGLE_PICTURE_HOSTS),
        ProviderKind::Github { web_url, .. } if web_url == GITHUB_WEB_URL => PictureHosts::known(GITHUB_PICTURE_HOSTS),
        ProviderKind::Github { web_url, .. } => Url::parse(web_url).map(|u| own(&u)).unwrap_or_default(),
        ProviderKind::Dev => own(&server.public_url),
        // Apple sends no picture.
        ProviderKind::Oidc { .. } | ProviderKind::Apple(_) => PictureHosts::default(),
    }
}

/// A provider's `client_id` and `client_secret` (file or environment).
fn credentials(
    id: &str,
    p: &RawProvider,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(String, SecretString), ConfigError> {
    let required = |k: &str, extra: String| {
        invalid(format!("providers.{id}.{k}"), format!("required for kind = \"{}\"{extra}", p.kind))
    };
    let client_id = p.client_id.clone().ok_or_else(|| required("client_id", String::new()))?;
    let var = env_name("PROVIDER", id, "client_secret");
    let client_secret = secret(p.client_secret.clone(), &format!("providers.{id}.client_secret"), &var, env)?
        .ok_or_else(|| required("client_secret", format!(" (or set {var})")))?;
    Ok((client_id, client_secret))
}

fn is_google(issuer: &str) -> bool {
    issuer.trim_end_matches('/') == "https://accounts.google.com"
}

/// Microsoft's identity platform (Entra ID), single- or multi-tenant.
fn is_microsoft(issuer: &str) -> bool {
    issuer.starts_with("https://login.microsoftonline.com/")
}

/// A Microsoft tenant id: a GUID, `8-4-4-4-12` hex digits.
pub fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

impl super::Config {
    /// Settings that work but leave a door open: `claimgate check` prints
    /// them and `serve` logs them. Each names its key.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.pages.warnings();
        let proxied =
            self.notice.picture == super::PictureMode::Proxy && self.notice.keeps.contains(&ProfileClaim::Picture);
        // Microsoft's `picture` is no URL (Graph serves photos to a token),
        // and Apple sends none: nothing to list.
        let microsoft = |p: &&super::ProviderConfig| {
            matches!(p.kind, ProviderKind::Oidc { flavor: OidcFlavor::Microsoft { .. }, .. } | ProviderKind::Apple(_))
        };
        for p in self.providers.values().filter(|p| proxied && p.picture_hosts.is_empty() && !microsoft(p)) {
            out.push(format!(
                "providers.{}.picture_hosts: empty, so this provider's users have no picture (notice.picture = \"proxy\"); list the hosts its pictures come from",
                p.id
            ));
        }
        for p in self.providers.values() {
            let ProviderKind::Oidc { flavor, .. } = &p.kind else { continue };
            let r = &p.rules;
            let key = |k: &str| format!("providers.{}.{k}", p.id);
            if *flavor == OidcFlavor::Google && !r.allowed_email_domains.is_empty() && r.hosted_domains.is_empty() {
                out.push(format!(
                    "{}: a consumer Google account can carry a verified address at these domains; set {} to require a Workspace account of your organisation",
                    key("allowed_email_domains"),
                    key("hosted_domains")
                ));
            }
            // Domain rules or trusted addresses are only as good as the tenant that sets them.
            let relies_on_addresses = !r.allowed_email_domains.is_empty() || !r.email_verified_unknown;
            let multi_tenant = *flavor == OidcFlavor::Microsoft { multi_tenant: true };
            if multi_tenant && r.allowed_tenants.is_empty() && relies_on_addresses {
                out.push(format!(
                    "{}: any Microsoft tenant can sign in and choose the email address it sends (nOAuth); list the tenants you trust in {}",
                    key("issuer"),
                    key("allowed_tenants")
                ));
            }
        }
        out
    }
}
