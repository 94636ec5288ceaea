//! `[clients.ID]`: the applications (OpenID Connect or forward-auth), their
//! redirect URIs, claims and providers.

use super::signals::{RawSignals, Signals};
use super::uris::{PostLogoutUri, RedirectUri, RegisteredUri, UriRefusal};
use super::{check_id, env_name, invalid, is_loopback, secret, ConfigError, Notice, ProviderConfig, ServerConfig};
use crate::ids::{ClientId, ProviderId};
use crate::policy::ProfileClaim;
use crate::signing::SigningAlg;
use actix_web::http::header::HeaderName;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use url::Url;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClient {
    name: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    /// Upstream providers this client's users may choose from (default: all).
    providers: Option<Vec<String>>,
    /// "oidc" (default) or "forward-auth".
    mode: Option<String>,
    #[serde(default)]
    return_origins: Vec<String>,
    cookie_domain: Option<String>,
    /// "401" (nginx auth_request) or "redirect" (Traefik ForwardAuth).
    unauthenticated: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    claims: Vec<String>,
    /// Claims the user may decline on the notice (a subset of `claims`).
    #[serde(default)]
    optional_claims: Vec<String>,
    /// OpenID Connect Dynamic Client Registration 1.0 §2 metadata name.
    id_token_signed_response_alg: Option<String>,
    /// Issue refresh tokens when the app asks for `offline_access`.
    #[serde(default)]
    refresh_tokens: bool,
    /// Back-Channel Logout 1.0 §2.2 registration metadata names.
    backchannel_logout_uri: Option<String>,
    #[serde(default)]
    backchannel_logout_session_required: bool,
    /// RFC 9449 §5.2 (`dpop_bound_access_tokens`): every token request
    /// carries a DPoP proof, and only DPoP-bound tokens are accepted.
    #[serde(default)]
    require_dpop: bool,
    /// RFC 9126 §6: authorization requests only through `/par`.
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    /// OpenID Connect Dynamic Client Registration 1.0 §2 metadata names:
    /// how the client authenticates, and its public keys for `private_key_jwt`.
    token_endpoint_auth_method: Option<String>,
    /// A JWK Set as JSON text.
    jwks: Option<String>,
    jwks_uri: Option<String>,
    /// The FAPI 2.0 Security Profile for this client.
    #[serde(default)]
    fapi2: bool,
    /// Shared Signals (SSF 1.0): a stream the app manages, or one fixed here.
    #[serde(default)]
    ssf: bool,
    ssf_push_url: Option<String>,
    ssf_push_authorization: Option<String>,
    ssf_events: Option<Vec<String>>,
}

/// A registered application: what every kind shares, and its kind with
/// the settings only that kind has.
#[derive(Debug)]
pub struct ClientConfig {
    pub id: ClientId,
    pub name: String,
    pub claims: BTreeSet<ProfileClaim>,
    /// The claims of `claims` the user may decline: checkboxes on the
    /// notice, unticked unless the user ticked them for this app before.
    pub optional_claims: BTreeSet<ProfileClaim>,
    /// Upstream providers offered to this client's users.
    pub providers: Vec<ProviderId>,
    pub kind: ClientKind,
    /// How it receives security events (SSF 1.0), if at all.
    pub signals: Signals,
}

/// What kind of application a client is.
#[derive(Debug)]
pub enum ClientKind {
    /// An OpenID Connect relying party (`mode = "oidc"`, the default).
    Oidc(OidcClient),
    /// `mode = "forward-auth"`: protected by a reverse proxy through `/auth`;
    /// claimgate redeems its codes itself, it never uses `/token`.
    ForwardAuth(ForwardAuth),
}

/// An OpenID Connect relying party's own settings.
#[derive(Debug)]
pub struct OidcClient {
    pub auth: ClientAuth,
    pub redirect_uris: Vec<RedirectUri>,
    /// Where RP-initiated logout may send the user back to (exact match).
    pub post_logout_redirect_uris: Vec<PostLogoutUri>,
    /// How this client's ID tokens are signed (default RS256, OIDC Core §3.1.3.7).
    pub id_token_alg: SigningAlg,
    /// Refresh tokens for scope `offline_access` (RFC 6749 §6, OIDC Core §11).
    pub refresh_tokens: bool,
    /// Where logout tokens are POSTed (Back-Channel Logout 1.0).
    pub backchannel_logout: Option<BackchannelLogout>,
    /// Tokens only DPoP-bound (RFC 9449 §5.2).
    pub require_dpop: bool,
    /// Authorization requests only pushed (RFC 9126 §6).
    pub require_pushed_authorization_requests: bool,
    /// Under the FAPI 2.0 Security Profile (`fapi2 = true`): pushed
    /// requests, PKCE, DPoP and `private_key_jwt` only, ID tokens never in
    /// RS256, refresh tokens not rotated (`fapi2_rules` lists each rule).
    pub fapi2: bool,
}

/// How a relying party authenticates, which decides what it must prove.
#[derive(Debug)]
pub enum ClientAuth {
    /// Authenticates at `/token` with its secret (RFC 6749 §2.3.1).
    Secret(SecretString),
    /// Authenticates with a JWT signed by one of its keys (`private_key_jwt`,
    /// RFC 7523 §2.2, OIDC Core §9): claimgate holds no secret of it.
    PrivateKeyJwt(ClientKeySource),
    /// No secret: must prove PKCE at `/authorize` and `/token` (RFC 9700 §2.1.1).
    Public,
}

/// Where a `private_key_jwt` client's public keys come from.
#[derive(Debug, Clone)]
pub enum ClientKeySource {
    /// `jwks`: the set itself, checked at start-up.
    Inline(std::sync::Arc<jsonwebtoken::jwk::JwkSet>),
    /// `jwks_uri`: fetched and cached (`client_keys`), so the client rotates
    /// its keys without a change here.
    Uri(RegisteredUri),
}

/// What `fapi2 = true` enforces, for `claimgate check` and the docs: each
/// rule with the FAPI 2.0 Security Profile's section.
pub const FAPI2_RULES: [&str; 11] = [
    "authorization requests only pushed (PAR, RFC 9126), with redirect_uri (§5.3.2.2)",
    "PKCE with S256 on every request (§5.3.2.2)",
    "access tokens only DPoP-bound (RFC 9449; §5.3.2.1: sender-constrained tokens)",
    "client authentication by private_key_jwt only: a client_secret is a config error (§5.3.2.1)",
    "the client assertion's aud only claimgate's issuer, as a string (§5.3.2.1)",
    "client assertions and ID tokens in PS256, ES256 or EdDSA, never RS256 (§5.4.1)",
    "refresh tokens not rotated; the token stays until the session ends (§5.3.2.1)",
    "authorization codes live at most 60 s; request_uri values 60 s (§5.3.2.1, §5.3.2.2)",
    "iat and nbf up to 10 s in the future accepted in assertions and DPoP proofs (§5.3.2.1)",
    "no CORS on /authorize; redirects after a POST are 303 See Other (§5.3.2.2)",
    "nonce values up to 64 characters accepted (up to 512) (§5.3.2.2)",
];

/// A client's Back-Channel Logout 1.0 registration (§2.2).
#[derive(Debug, Clone)]
pub struct BackchannelLogout {
    pub uri: RegisteredUri,
    /// `backchannel_logout_session_required`: the client needs `sid` in
    /// logout tokens (it always gets it: claimgate sends `sid` and `sub`).
    pub session_required: bool,
}

/// An OpenID Connect client with its own settings at hand; it reads as its
/// common [`ClientConfig`] too.
#[derive(Debug, Clone, Copy)]
pub struct OidcApp<'a> {
    pub config: &'a ClientConfig,
    pub oidc: &'a OidcClient,
}

impl std::ops::Deref for OidcApp<'_> {
    type Target = ClientConfig;
    fn deref(&self) -> &ClientConfig {
        self.config
    }
}

impl<'a> OidcApp<'a> {
    pub fn is_public(&self) -> bool {
        matches!(self.oidc.auth, ClientAuth::Public)
    }
}

impl ClientConfig {
    /// This client as an OpenID Connect relying party, if it is one.
    pub fn as_oidc(&self) -> Option<OidcApp<'_>> {
        match &self.kind {
            ClientKind::Oidc(oidc) => Some(OidcApp { config: self, oidc }),
            ClientKind::ForwardAuth(_) => None,
        }
    }

    pub fn oidc(&self) -> Option<&OidcClient> {
        self.as_oidc().map(|app| app.oidc)
    }

    pub fn forward_auth(&self) -> Option<&ForwardAuth> {
        match &self.kind {
            ClientKind::ForwardAuth(fa) => Some(fa),
            ClientKind::Oidc(_) => None,
        }
    }
}

/// A client protected by a reverse proxy through `GET /auth`.
#[derive(Debug, Clone)]
pub struct ForwardAuth {
    /// Exact origins (`scheme://host[:port]`) sign-in may return to.
    pub return_origins: Vec<String>,
    /// `Domain` of the forward-auth cookie; `None`: host-only.
    pub cookie_domain: Option<String>,
    /// Answer 302 to sign-in instead of 401 when there is no session.
    pub redirect_when_unauthenticated: bool,
    /// Response header per claim: email, user (name), picture, sub.
    pub header_email: HeaderName,
    pub header_user: HeaderName,
    pub header_picture: HeaderName,
    pub header_sub: HeaderName,
    /// The forward-auth cookie's name. On https it carries a prefix the
    /// browser enforces (RFC 6265bis §4.1.3): `__Host-` (Secure, this host
    /// only, path `/`) without `cookie_domain`, `__Secure-` with it, so that
    /// a sibling host cannot plant a cookie of its own under this name.
    pub cookie_name: String,
}

pub(super) fn validate(
    raw: BTreeMap<String, RawClient>,
    server: &ServerConfig,
    providers: &BTreeMap<ProviderId, ProviderConfig>,
    notice: &Notice,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<BTreeMap<ClientId, ClientConfig>, ConfigError> {
    let mut clients = BTreeMap::new();
    for (id, c) in raw {
        check_id(&id, &format!("clients.{id}"))?;
        let (claims, optional_claims) = claims_of(&id, &c, notice)?;
        let client_providers = providers_of(&id, &c, providers)?;
        let kind = match c.mode.as_deref().unwrap_or("oidc") {
            "oidc" => {
                only_for(&id, &c, false)?;
                ClientKind::Oidc(oidc(&id, &c, server, env)?)
            }
            "forward-auth" => {
                only_for(&id, &c, true)?;
                ClientKind::ForwardAuth(forward_auth(&id, &c, server.is_https())?)
            }
            other => {
                let why = format!("\"{other}\" is not a client mode (oidc, forward-auth)");
                return Err(invalid(format!("clients.{id}.mode"), why));
            }
        };
        let raw_signals = RawSignals {
            ssf: c.ssf,
            push_url: c.ssf_push_url.as_deref(),
            push_authorization: c.ssf_push_authorization.clone(),
            events: c.ssf_events.as_deref(),
        };
        let signals = super::signals::validate(&id, raw_signals, env)?;
        if signals.is_managed() && kind_is_public(&kind) {
            // RFC 6749 §4.4: client_credentials is for confidential clients only.
            return Err(invalid(format!("clients.{id}.ssf"), "a public client cannot use client_credentials"));
        }
        let name = c.name.unwrap_or_else(|| id.clone());
        let id = ClientId::from(id);
        let client =
            ClientConfig { name, id: id.clone(), claims, optional_claims, providers: client_providers, kind, signals };
        clients.insert(id, client);
    }
    Ok(clients)
}

fn kind_is_public(kind: &ClientKind) -> bool {
    matches!(kind, ClientKind::Oidc(OidcClient { auth: ClientAuth::Public, .. }))
}

/// The settings of one mode are refused on a client of the other, each
/// naming its key: a forward-auth client uses no tokens (claimgate redeems
/// its codes itself); an OpenID Connect client has no proxy to answer.
fn only_for(id: &str, c: &RawClient, forward_auth: bool) -> Result<(), ConfigError> {
    let oidc_only = [
        ("client_secret", c.client_secret.is_some(), "has no secret: it never calls /token"),
        ("redirect_uris", !c.redirect_uris.is_empty(), "returns to claimgate's /auth/callback only"),
        ("post_logout_redirect_uris", !c.post_logout_redirect_uris.is_empty(), "uses no RP-initiated logout"),
        ("id_token_signed_response_alg", c.id_token_signed_response_alg.is_some(), "receives no ID token"),
        ("refresh_tokens", c.refresh_tokens, "uses no tokens: claimgate redeems its codes itself"),
        ("require_dpop", c.require_dpop, "uses no tokens: claimgate redeems its codes itself"),
        (
            "require_pushed_authorization_requests",
            c.require_pushed_authorization_requests,
            "uses no tokens: claimgate redeems its codes itself",
        ),
        ("backchannel_logout_uri", c.backchannel_logout_uri.is_some(), "receives no ID token"),
        ("backchannel_logout_session_required", c.backchannel_logout_session_required, "receives no ID token"),
        ("token_endpoint_auth_method", c.token_endpoint_auth_method.is_some(), "has no secret: it never calls /token"),
        ("jwks", c.jwks.is_some(), "never calls /token"),
        ("jwks_uri", c.jwks_uri.is_some(), "never calls /token"),
        ("fapi2", c.fapi2, "uses no tokens: claimgate redeems its codes itself"),
        ("ssf", c.ssf, "never calls /token (a static stream, ssf_push_url, is possible)"),
    ];
    let proxy_only = [
        ("return_origins", !c.return_origins.is_empty()),
        ("cookie_domain", c.cookie_domain.is_some()),
        ("unauthenticated", c.unauthenticated.is_some()),
        ("headers", !c.headers.is_empty()),
    ];
    if forward_auth {
        if let Some((k, _, why)) = oidc_only.iter().find(|(_, set, _)| *set) {
            return Err(invalid(format!("clients.{id}.{k}"), format!("a forward-auth client {why}")));
        }
    } else if let Some((k, _)) = proxy_only.iter().find(|(_, set)| *set) {
        let why = "only a forward-auth client (mode = \"forward-auth\") has it";
        return Err(invalid(format!("clients.{id}.{k}"), why));
    }
    Ok(())
}

/// `claims` (each kept by the notice) and `optional_claims` (each among them).
fn claims_of(
    id: &str,
    c: &RawClient,
    notice: &Notice,
) -> Result<(BTreeSet<ProfileClaim>, BTreeSet<ProfileClaim>), ConfigError> {
    let mut claims = BTreeSet::new();
    for (i, name) in c.claims.iter().enumerate() {
        let k = format!("clients.{id}.claims[{i}]");
        let claim = name.parse::<ProfileClaim>().map_err(|e| invalid(&k, e.to_string()))?;
        if !notice.keeps.contains(&claim) {
            let why = format!("\"{claim}\" is not in notice.keeps: the privacy notice does not keep it");
            return Err(invalid(&k, why));
        }
        claims.insert(claim);
    }
    let mut optional_claims = BTreeSet::new();
    for (i, name) in c.optional_claims.iter().enumerate() {
        let k = format!("clients.{id}.optional_claims[{i}]");
        let claim = name.parse::<ProfileClaim>().map_err(|e| invalid(&k, e.to_string()))?;
        if !claims.contains(&claim) {
            return Err(invalid(&k, format!("\"{claim}\" is not in this client's claims")));
        }
        optional_claims.insert(claim);
    }
    Ok((claims, optional_claims))
}

/// `providers`: configured ones only (default: all).
fn providers_of(
    id: &str,
    c: &RawClient,
    providers: &BTreeMap<ProviderId, ProviderConfig>,
) -> Result<Vec<ProviderId>, ConfigError> {
    match &c.providers {
        None => Ok(providers.keys().cloned().collect()),
        Some(list) if list.is_empty() => Err(invalid(format!("clients.{id}.providers"), "name at least one provider")),
        Some(list) => {
            if let Some((i, p)) = list.iter().enumerate().find(|(_, p)| !providers.contains_key(p.as_str())) {
                let why = format!("no provider \"{p}\" is configured");
                return Err(invalid(format!("clients.{id}.providers[{i}]"), why));
            }
            Ok(list.iter().map(|p| ProviderId::from(p.as_str())).collect())
        }
    }
}

/// An OpenID Connect client's own settings.
fn oidc(
    id: &str,
    c: &RawClient,
    server: &ServerConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<OidcClient, ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    if c.redirect_uris.is_empty() {
        return Err(invalid(key("redirect_uris"), "at least one redirect URI is required"));
    }
    let redirect_uris = registered(&c.redirect_uris, &key("redirect_uris"), |u| {
        RegisteredUri::redirect(u, is_loopback(&server.public_url))
    })?;
    let post_logout_redirect_uris =
        registered(&c.post_logout_redirect_uris, &key("post_logout_redirect_uris"), RegisteredUri::post_logout)?;
    let id_token_alg = match c.id_token_signed_response_alg.as_deref() {
        // FAPI 2.0 Security Profile §5.4.1: not RS256.
        None if c.fapi2 => SigningAlg::Ps256,
        None => SigningAlg::Rs256,
        Some(name) => SigningAlg::parse(name).ok_or_else(|| {
            invalid(key("id_token_signed_response_alg"), format!("\"{name}\" is not one of RS256, PS256, ES256, EdDSA"))
        })?,
    };
    let auth = client_auth(id, c, env)?;
    if c.fapi2 {
        fapi2(id, &auth, id_token_alg)?;
    }
    Ok(OidcClient {
        auth,
        redirect_uris,
        post_logout_redirect_uris,
        id_token_alg,
        refresh_tokens: c.refresh_tokens,
        backchannel_logout: backchannel_logout(id, c)?,
        require_dpop: c.require_dpop || c.fapi2,
        require_pushed_authorization_requests: c.require_pushed_authorization_requests || c.fapi2,
        fapi2: c.fapi2,
    })
}

/// `token_endpoint_auth_method` with what it needs: a secret, keys, or
/// neither. Given no method, a secret makes a confidential client and no
/// secret a public one, as before the key existed.
fn client_auth(id: &str, c: &RawClient, env: &impl Fn(&str) -> Option<String>) -> Result<ClientAuth, ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    let secret = secret(c.client_secret.clone(), &key("client_secret"), &env_name("CLIENT", id, "client_secret"), env)?;
    let keys = client_keys(id, c)?;
    let keys_key = if c.jwks.is_some() { key("jwks") } else { key("jwks_uri") };
    match (c.token_endpoint_auth_method.as_deref(), secret, keys) {
        (Some("private_key_jwt"), None, Some(keys)) => Ok(ClientAuth::PrivateKeyJwt(keys)),
        (Some("private_key_jwt"), Some(_), _) => {
            Err(invalid(key("client_secret"), "a private_key_jwt client has no secret: it signs with its own keys"))
        }
        (Some("private_key_jwt"), None, None) => {
            Err(invalid(key("jwks"), "private_key_jwt needs the client's public keys: jwks or jwks_uri"))
        }
        (_, _, Some(_)) => Err(invalid(keys_key, "only for token_endpoint_auth_method = \"private_key_jwt\"")),
        (None | Some("client_secret_basic" | "client_secret_post"), Some(secret), None) => {
            Ok(ClientAuth::Secret(secret))
        }
        (Some(m @ ("client_secret_basic" | "client_secret_post")), None, None) => {
            Err(invalid(key("client_secret"), format!("required by token_endpoint_auth_method = \"{m}\"")))
        }
        (None | Some("none"), None, None) => Ok(ClientAuth::Public),
        (Some("none"), Some(_), None) => {
            Err(invalid(key("client_secret"), "a client with token_endpoint_auth_method = \"none\" has no secret"))
        }
        (Some(other), ..) => Err(invalid(
            key("token_endpoint_auth_method"),
            format!("\"{other}\" is not one of client_secret_basic, client_secret_post, private_key_jwt, none"),
        )),
    }
}

/// `jwks` (checked now) or `jwks_uri` (https, or http on a loopback host), not both.
fn client_keys(id: &str, c: &RawClient) -> Result<Option<ClientKeySource>, ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    match (&c.jwks, &c.jwks_uri) {
        (Some(_), Some(_)) => Err(invalid(key("jwks_uri"), "give jwks or jwks_uri, not both")),
        (Some(text), None) => crate::client_assertion::parse_key_set(text.as_bytes())
            .map(|set| Some(ClientKeySource::Inline(std::sync::Arc::new(set))))
            .map_err(|e| invalid(key("jwks"), e.to_string())),
        (None, Some(uri)) => RegisteredUri::backchannel(uri)
            .map(|u| Some(ClientKeySource::Uri(u)))
            .map_err(|e| invalid(key("jwks_uri"), e.to_string())),
        (None, None) => Ok(None),
    }
}

/// The FAPI 2.0 Security Profile's rules that a configuration can break.
fn fapi2(id: &str, auth: &ClientAuth, id_token_alg: SigningAlg) -> Result<(), ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    // §5.3.2.1: private_key_jwt (or mTLS, which claimgate does not offer).
    let ClientAuth::PrivateKeyJwt(keys) = auth else {
        let why = "a fapi2 client authenticates with private_key_jwt only (FAPI 2.0 Security Profile §5.3.2.1)";
        return Err(invalid(key("token_endpoint_auth_method"), why));
    };
    // §5.4.1: PS256, ES256 or EdDSA.
    if id_token_alg == SigningAlg::Rs256 {
        let why =
            "a fapi2 client's ID tokens are PS256, ES256 or EdDSA, never RS256 (FAPI 2.0 Security Profile §5.4.1)";
        return Err(invalid(key("id_token_signed_response_alg"), why));
    }
    if let ClientKeySource::Inline(set) = keys {
        let rs256 = set.keys.iter().position(|k| {
            !crate::client_assertion::FAPI2_ALGORITHMS.iter().any(|a| crate::client_assertion::key_fits(k, a))
        });
        if let Some(i) = rs256 {
            let why = format!("keys[{i}] signs RS256 only, which a fapi2 client may not use (FAPI 2.0 §5.4.1)");
            return Err(invalid(key("jwks"), why));
        }
    }
    Ok(())
}

/// Back-Channel Logout 1.0 §2.2 registration.
fn backchannel_logout(id: &str, c: &RawClient) -> Result<Option<BackchannelLogout>, ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    match c.backchannel_logout_uri.as_deref() {
        None if c.backchannel_logout_session_required => {
            Err(invalid(key("backchannel_logout_session_required"), "needs backchannel_logout_uri"))
        }
        None => Ok(None),
        Some(uri) => {
            // §2.2: an absolute URI, no fragment; https except on loopback.
            let uri =
                RegisteredUri::backchannel(uri).map_err(|e| invalid(key("backchannel_logout_uri"), e.to_string()))?;
            Ok(Some(BackchannelLogout { uri, session_required: c.backchannel_logout_session_required }))
        }
    }
}

/// Each URI of a list, checked by `check`; an error names the entry.
fn registered(
    list: &[String],
    key: &str,
    check: impl Fn(&str) -> Result<RegisteredUri, UriRefusal>,
) -> Result<Vec<RegisteredUri>, ConfigError> {
    list.iter()
        .enumerate()
        .map(|(i, uri)| check(uri).map_err(|e| invalid(format!("{key}[{i}]"), e.to_string())))
        .collect()
}

fn forward_auth(id: &str, c: &RawClient, https: bool) -> Result<ForwardAuth, ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    if c.return_origins.is_empty() {
        return Err(invalid(key("return_origins"), "forward-auth clients need at least one exact origin"));
    }
    for (i, origin) in c.return_origins.iter().enumerate() {
        let k = key(&format!("return_origins[{i}]"));
        let u = Url::parse(origin).map_err(|e| invalid(&k, format!("\"{origin}\" is not an origin: {e}")))?;
        // An origin, exactly: no path, no wildcard, no suffix matching.
        if u.origin().ascii_serialization() != origin.trim_end_matches('/') || origin.contains('*') {
            return Err(invalid(&k, format!("\"{origin}\" must be an exact origin like \"https://app.example.com\"")));
        }
    }
    let redirect = match c.unauthenticated.as_deref().unwrap_or("401") {
        "401" => false,
        "redirect" => true,
        other => return Err(invalid(key("unauthenticated"), format!("\"{other}\" must be \"401\" or \"redirect\""))),
    };
    let header = |name: &str, default: &str| -> Result<HeaderName, ConfigError> {
        let v = c.headers.get(name).map_or(default, String::as_str);
        let refused = || invalid(key(&format!("headers.{name}")), format!("\"{v}\" is not a header name"));
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(refused());
        }
        HeaderName::try_from(v).map_err(|_| refused())
    };
    let cookie_name = match (https, &c.cookie_domain) {
        (true, None) => format!("__Host-claimgate-fa-{id}"),
        (true, Some(_)) => format!("__Secure-claimgate-fa-{id}"),
        (false, _) => format!("claimgate-fa-{id}"),
    };
    let fa = ForwardAuth {
        return_origins: c.return_origins.iter().map(|o| o.trim_end_matches('/').to_owned()).collect(),
        cookie_domain: c.cookie_domain.clone(),
        redirect_when_unauthenticated: redirect,
        header_email: header("email", "X-Auth-Request-Email")?,
        header_user: header("user", "X-Auth-Request-User")?,
        header_picture: header("picture", "X-Auth-Request-Picture")?,
        header_sub: header("sub", "X-Auth-Request-Sub")?,
        cookie_name,
    };
    if let Some(unknown) = c.headers.keys().find(|k| !["email", "user", "picture", "sub"].contains(&k.as_str())) {
        return Err(invalid(key(&format!("headers.{unknown}")), "known headers: email, user, picture, sub"));
    }
    Ok(fa)
}
