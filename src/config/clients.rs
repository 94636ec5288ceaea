//! `[clients.ID]`: the applications (OpenID Connect or forward-auth), their
//! redirect URIs, claims and providers.

use super::uris::{PostLogoutUri, RedirectUri, RegisteredUri};
use super::{check_id, env_name, invalid, is_loopback, secret, ConfigError, Notice, ProviderConfig, ServerConfig};
use crate::policy::ProfileClaim;
use crate::signing::SigningAlg;
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
}

#[derive(Debug)]
pub struct ClientConfig {
    pub id: String,
    pub name: String,
    pub kind: ClientKind,
    pub redirect_uris: Vec<RedirectUri>,
    /// Where RP-initiated logout may send the user back to (exact match).
    pub post_logout_redirect_uris: Vec<PostLogoutUri>,
    pub claims: BTreeSet<ProfileClaim>,
    /// The claims of `claims` the user may decline: checkboxes on the
    /// notice, unticked unless the user ticked them for this app before.
    pub optional_claims: BTreeSet<ProfileClaim>,
    /// Upstream providers offered to this client's users.
    pub providers: Vec<String>,
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
}

/// A client's Back-Channel Logout 1.0 registration (§2.2).
#[derive(Debug, Clone)]
pub struct BackchannelLogout {
    pub uri: RegisteredUri,
    /// `backchannel_logout_session_required`: the client needs `sid` in
    /// logout tokens (it always gets it: claimgate sends `sid` and `sub`).
    pub session_required: bool,
}

/// How a client authenticates, which decides what it may do.
#[derive(Debug)]
pub enum ClientKind {
    /// Authenticates at `/token` with its secret (RFC 6749 §2.3.1).
    Confidential { secret: SecretString },
    /// No secret: must prove PKCE at `/authorize` and `/token` (RFC 9700 §2.1.1).
    Public,
    /// `mode = "forward-auth"`: protected by a reverse proxy through `/auth`;
    /// claimgate redeems its codes itself, it never uses `/token`.
    ForwardAuth(ForwardAuth),
}

impl ClientConfig {
    pub fn is_public(&self) -> bool {
        matches!(self.kind, ClientKind::Public)
    }

    pub fn forward_auth(&self) -> Option<&ForwardAuth> {
        match &self.kind {
            ClientKind::ForwardAuth(fa) => Some(fa),
            _ => None,
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
    pub header_email: String,
    pub header_user: String,
    pub header_picture: String,
    pub header_sub: String,
}

pub(super) fn validate(
    raw: BTreeMap<String, RawClient>,
    server: &ServerConfig,
    providers: &BTreeMap<String, ProviderConfig>,
    notice: &Notice,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, ClientConfig>, ConfigError> {
    let mut clients = BTreeMap::new();
    for (id, c) in raw {
        let key = |k: &str| format!("clients.{id}.{k}");
        check_id(&id, &format!("clients.{id}"))?;
        let forward_auth = match c.mode.as_deref().unwrap_or("oidc") {
            "oidc" => None,
            "forward-auth" => Some(forward_auth(&id, &c)?),
            other => {
                return Err(invalid(key("mode"), format!("\"{other}\" is not a client mode (oidc, forward-auth)")))
            }
        };
        if c.redirect_uris.is_empty() && forward_auth.is_none() {
            return Err(invalid(key("redirect_uris"), "at least one redirect URI is required"));
        }
        let client_providers = match &c.providers {
            None => providers.keys().cloned().collect(),
            Some(list) if list.is_empty() => return Err(invalid(key("providers"), "name at least one provider")),
            Some(list) => {
                for (i, p) in list.iter().enumerate() {
                    if !providers.contains_key(p) {
                        return Err(invalid(
                            key(&format!("providers[{i}]")),
                            format!("no provider \"{p}\" is configured"),
                        ));
                    }
                }
                list.clone()
            }
        };
        let redirect_uris = registered(&c.redirect_uris, &key("redirect_uris"), |u| {
            RegisteredUri::redirect(u, is_loopback(&server.public_url))
        })?;
        let mut claims = BTreeSet::new();
        for (i, name) in c.claims.iter().enumerate() {
            let k = key(&format!("claims[{i}]"));
            let claim = name.parse::<ProfileClaim>().map_err(|e| invalid(&k, e.to_string()))?;
            if !notice.keeps.contains(&claim) {
                return Err(invalid(
                    &k,
                    format!("\"{claim}\" is not in notice.keeps: the privacy notice does not keep it"),
                ));
            }
            claims.insert(claim);
        }
        let mut optional_claims = BTreeSet::new();
        for (i, name) in c.optional_claims.iter().enumerate() {
            let k = key(&format!("optional_claims[{i}]"));
            let claim = name.parse::<ProfileClaim>().map_err(|e| invalid(&k, e.to_string()))?;
            if !claims.contains(&claim) {
                return Err(invalid(&k, format!("\"{claim}\" is not in this client's claims")));
            }
            optional_claims.insert(claim);
        }
        let post_logout_redirect_uris =
            registered(&c.post_logout_redirect_uris, &key("post_logout_redirect_uris"), RegisteredUri::post_logout)?;
        let id_token_alg = match c.id_token_signed_response_alg.as_deref() {
            None => SigningAlg::Rs256,
            Some(_) if forward_auth.is_some() => {
                return Err(invalid(key("id_token_signed_response_alg"), "a forward-auth client receives no ID token"))
            }
            Some(name) => SigningAlg::parse(name).ok_or_else(|| {
                invalid(key("id_token_signed_response_alg"), format!("\"{name}\" is not one of RS256, ES256, EdDSA"))
            })?,
        };
        for (k, set) in [
            ("refresh_tokens", c.refresh_tokens),
            ("require_dpop", c.require_dpop),
            ("require_pushed_authorization_requests", c.require_pushed_authorization_requests),
        ] {
            if set && forward_auth.is_some() {
                return Err(invalid(
                    key(k),
                    "a forward-auth client uses no tokens: claimgate redeems its codes itself",
                ));
            }
        }
        let backchannel_logout = match c.backchannel_logout_uri.as_deref() {
            None if c.backchannel_logout_session_required => {
                return Err(invalid(key("backchannel_logout_session_required"), "needs backchannel_logout_uri"))
            }
            None => None,
            Some(_) if forward_auth.is_some() => {
                return Err(invalid(key("backchannel_logout_uri"), "a forward-auth client receives no ID token"))
            }
            Some(uri) => {
                // §2.2: an absolute URI, no fragment; https except on loopback.
                let uri = RegisteredUri::redirect(uri, false)
                    .and_then(|u| match u.url().scheme() {
                        "http" | "https" => Ok(u),
                        _ => Err("must be an http(s) URI".to_owned()),
                    })
                    .map_err(|e| invalid(key("backchannel_logout_uri"), e))?;
                Some(BackchannelLogout { uri, session_required: c.backchannel_logout_session_required })
            }
        };
        let secret = secret(c.client_secret, &key("client_secret"), &env_name("CLIENT", &id, "client_secret"), env)?;
        let kind = match (forward_auth, secret) {
            (Some(_), Some(_)) => {
                return Err(invalid(key("client_secret"), "a forward-auth client has no secret: it never calls /token"))
            }
            (Some(fa), None) => ClientKind::ForwardAuth(fa),
            (None, Some(secret)) => ClientKind::Confidential { secret },
            (None, None) => ClientKind::Public,
        };
        clients.insert(
            id.clone(),
            ClientConfig {
                name: c.name.unwrap_or_else(|| id.clone()),
                id,
                kind,
                redirect_uris,
                post_logout_redirect_uris,
                claims,
                optional_claims,
                providers: client_providers,
                id_token_alg,
                refresh_tokens: c.refresh_tokens,
                backchannel_logout,
                require_dpop: c.require_dpop,
                require_pushed_authorization_requests: c.require_pushed_authorization_requests,
            },
        );
    }

    Ok(clients)
}

/// Each URI of a list, checked by `check`; an error names the entry.
fn registered(
    list: &[String],
    key: &str,
    check: impl Fn(&str) -> Result<RegisteredUri, String>,
) -> Result<Vec<RegisteredUri>, ConfigError> {
    list.iter().enumerate().map(|(i, uri)| check(uri).map_err(|e| invalid(format!("{key}[{i}]"), e))).collect()
}

fn forward_auth(id: &str, c: &RawClient) -> Result<ForwardAuth, ConfigError> {
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
    let header = |name: &str, default: &str| -> Result<String, ConfigError> {
        let v = c.headers.get(name).cloned().unwrap_or_else(|| default.to_owned());
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(invalid(key(&format!("headers.{name}")), format!("\"{v}\" is not a header name")));
        }
        Ok(v)
    };
    let fa = ForwardAuth {
        return_origins: c.return_origins.iter().map(|o| o.trim_end_matches('/').to_owned()).collect(),
        cookie_domain: c.cookie_domain.clone(),
        redirect_when_unauthenticated: redirect,
        header_email: header("email", "X-Auth-Request-Email")?,
        header_user: header("user", "X-Auth-Request-User")?,
        header_picture: header("picture", "X-Auth-Request-Picture")?,
        header_sub: header("sub", "X-Auth-Request-Sub")?,
    };
    if let Some(unknown) = c.headers.keys().find(|k| !["email", "user", "picture", "sub"].contains(&k.as_str())) {
        return Err(invalid(key(&format!("headers.{unknown}")), "known headers: email, user, picture, sub"));
    }
    Ok(fa)
}
