//! `kind = "oidc"`: any OpenID Connect provider found by discovery, Google
//! included. Authorization code + PKCE S256 + state + nonce; the ID token is
//! verified in full (signature against the JWKS, see `jwks`; `iss` (see
//! `issuer`), `aud`, `azp`, `exp`, `iat` not in the future, `nonce`;
//! asymmetric algorithms only). RFC 9207 `iss` on the callback is required
//! where the provider advertises it. Upstream tokens are dropped when
//! `finish` returns.

mod issuer;
pub mod jwks;
mod verify;

use super::http::UpstreamHttp;
use super::{CallbackParams, StartOptions, UpstreamError, UpstreamPending, UpstreamProvider, UpstreamStart};
use crate::clock::Clock;
use crate::policy::{UpstreamClaims, UpstreamIdentity};
use async_trait::async_trait;
pub use issuer::IssuerRule;
use issuer::{discover_tenant_template, multi_tenant_segment, TENANT_PLACEHOLDER};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreIdToken, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope,
    SignatureVerificationError,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use verify::verification_reason;
pub use verify::{verify_id_token, Verified};

/// The discovery metadata claimgate reads beyond OIDC Discovery 1.0: RFC 9207 §3.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct IssParameter {
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}
impl AdditionalProviderMetadata for IssParameter {}

pub type Metadata = ProviderMetadata<
    IssParameter,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Where the provider's client secret comes from.
pub enum ClientSecretSource {
    /// Configured (`client_secret`).
    Static(SecretString),
    /// Made by claimgate and renewed (Sign in with Apple).
    Apple(super::apple::ClientSecretMaker),
}

impl ClientSecretSource {
    fn secret(&self) -> Option<SecretString> {
        match self {
            ClientSecretSource::Static(s) => Some(s.clone()),
            ClientSecretSource::Apple(maker) => maker.secret(),
        }
    }
}

pub struct OidcProvider {
    id: String,
    display_name: String,
    client_id: ClientId,
    client_secret: ClientSecretSource,
    redirect_uri: RedirectUrl,
    /// How `iss` is checked: the discovered issuer (plus Google's bare
    /// spelling for Google only), or Microsoft's tenant template.
    issuer_rule: IssuerRule,
    http: UpstreamHttp,
    metadata: RwLock<Metadata>,
    keys: jwks::KeyCache,
}

#[derive(Debug, thiserror::Error)]
#[error("discovery of {issuer} failed: {reason}")]
pub struct DiscoveryFailed {
    pub issuer: String,
    pub reason: String,
}

/// Where and how a provider is reached.
pub struct OidcSettings<'a> {
    pub id: &'a str,
    pub display_name: &'a str,
    pub issuer: &'a str,
    pub flavor: crate::config::OidcFlavor,
    pub client_id: &'a str,
    pub client_secret: ClientSecretSource,
    pub public_url: &'a str,
}

impl OidcProvider {
    /// Runs discovery and fetches the JWKS.
    pub async fn discover(
        settings: OidcSettings<'_>,
        http: UpstreamHttp,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DiscoveryFailed> {
        let OidcSettings { id, display_name, issuer, flavor, client_id, client_secret, public_url } = settings;
        let failed = |reason: String| DiscoveryFailed { issuer: issuer.to_owned(), reason };
        let issuer_url = IssuerUrl::new(issuer.to_owned()).map_err(|e| failed(e.to_string()))?;
        let metadata = match multi_tenant_segment(issuer) {
            Some(segment) => {
                discover_tenant_template(issuer, segment, &http).await.map_err(|e| failed(e.to_string()))?
            }
            None => Metadata::discover_async(issuer_url, &http).await.map_err(|e| failed(discovery_error(&e)))?,
        };
        // Discovery fetched the keys without their Cache-Control: fetch them
        // once more to learn how long they may be trusted.
        let (jwks, max_age) = jwks::fetch(&http, metadata.jwks_uri()).await.map_err(|e| failed(e.to_string()))?;
        let metadata = metadata.set_jwks(jwks);
        let redirect_uri = RedirectUrl::new(redirect_uri(public_url, id)).map_err(|e| failed(e.to_string()))?;
        let discovered = metadata.issuer().to_string();
        let issuer_rule = if discovered.contains(TENANT_PLACEHOLDER) {
            IssuerRule::TenantTemplate(discovered)
        } else if flavor == crate::config::OidcFlavor::Google {
            IssuerRule::Exact(vec![discovered, "accounts.google.com".into()])
        } else {
            IssuerRule::Exact(vec![discovered])
        };
        Ok(Self {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            client_id: ClientId::new(client_id.to_owned()),
            client_secret,
            redirect_uri,
            issuer_rule,
            http,
            metadata: RwLock::new(metadata),
            keys: jwks::KeyCache::new(clock, max_age),
        })
    }

    fn metadata(&self) -> std::sync::RwLockReadGuard<'_, Metadata> {
        self.metadata.read().unwrap_or_else(|e| e.into_inner())
    }

    fn client(
        &self,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        let metadata = self.metadata().clone();
        let secret = self.client_secret.secret().map(|s| ClientSecret::new(s.expose_secret().to_owned()));
        let client = CoreClient::from_provider_metadata(metadata, self.client_id.clone(), secret)
            .set_redirect_uri(self.redirect_uri.clone());
        match self.is_apple() {
            // Apple takes the client secret in the body only.
            true => client.set_auth_type(openidconnect::AuthType::RequestBody),
            false => client,
        }
    }

    /// Sign in with Apple: form-post callback, `name email` scopes, the
    /// name from the `user` form field (`super::apple`).
    fn is_apple(&self) -> bool {
        matches!(self.client_secret, ClientSecretSource::Apple(_))
    }

    /// Refetches the JWKS (stale keys, or an unknown `kid` after a key
    /// rotation), at most once per interval. Returns whether fresh keys
    /// were loaded; on failure the old keys stay until the next attempt.
    async fn refresh_jwks(&self) -> bool {
        if !self.keys.claim_fetch() {
            return false;
        }
        let uri = self.metadata().jwks_uri().clone();
        match jwks::fetch(&self.http, &uri).await {
            Ok((keys, max_age)) => {
                let mut metadata = self.metadata.write().unwrap_or_else(|e| e.into_inner());
                *metadata = metadata.clone().set_jwks(keys);
                self.keys.renewed(max_age);
                true
            }
            Err(reason) => {
                tracing::warn!(provider = %self.id, %reason, "JWKS refetch failed");
                false
            }
        }
    }

    /// Verifies the ID token; returns the issuer for the user key, the subject and every claim.
    fn verify_id_token(&self, id_token: &CoreIdToken, nonce: &Nonce) -> Result<Verified, ClaimsVerificationError> {
        let client = self.client();
        verify_id_token(client.id_token_verifier(), &self.issuer_rule, &self.client_id, id_token, nonce)
    }

    /// Fetches userinfo when the ID token lacks profile claims. Its `sub`
    /// must be the ID token's (OIDC Core §5.3.2).
    async fn userinfo(&self, access_token: &str, subject: &str) -> Result<Option<UpstreamClaims>, UpstreamError> {
        let Some(endpoint) = self.metadata().userinfo_endpoint().map(|e| e.url().clone()) else {
            return Ok(None);
        };
        let response = self.http.get(endpoint, Some(access_token), &[("accept", "application/json")]).await?;
        if !response.status.is_success() {
            return Err(UpstreamError::InvalidUserinfo("userinfo_error"));
        }
        let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&response.body)
            .map_err(|_| UpstreamError::InvalidUserinfo("userinfo_unreadable"))?;
        if claims.get("sub").and_then(|s| s.as_str()) != Some(subject) {
            return Err(UpstreamError::InvalidUserinfo("userinfo_sub_mismatch"));
        }
        Ok(Some(UpstreamClaims::new(claims)))
    }
}

#[async_trait]
impl UpstreamProvider for OidcProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn display_name(&self) -> &str {
        &self.display_name
    }

    fn start(&self, options: StartOptions) -> UpstreamStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            // Never ask for more than these three (Apple: name and email; it has no picture).
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new(if self.is_apple() { "name" } else { "profile" }.into()))
            .set_pkce_challenge(challenge);
        // Apple answers a request for the name or email only by form post.
        if self.is_apple() {
            request = request.add_extra_param("response_mode", "form_post");
        }
        // The app's step-up request, passed on (OIDC Core §3.1.2.1).
        if options.force_login {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        if let Some(max_age) = options.max_age {
            request = request.set_max_age(Duration::from_secs(max_age));
        }
        let (url, state, nonce) = request.url();
        UpstreamStart {
            url,
            pending: UpstreamPending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        }
    }

    async fn finish(
        &self,
        pending: UpstreamPending,
        params: CallbackParams,
    ) -> Result<UpstreamIdentity, UpstreamError> {
        // RFC 9207 §2.4: when the provider names itself, it must be this
        // provider; a provider that advertises the parameter must send it
        // (checked before anything else in the response is used).
        match params.iss.as_deref() {
            Some(iss) if !self.issuer_rule.accepts_parameter(iss) => return Err(UpstreamError::IssuerMismatch),
            None if self.metadata().additional_metadata().authorization_response_iss_parameter_supported => {
                return Err(UpstreamError::MissingIssuerParameter)
            }
            _ => {}
        }
        let user = params.user.clone();
        let code = params.into_code(&pending.state)?;
        let client = self.client();
        let request = client.exchange_code(AuthorizationCode::new(code)).map_err(|_| UpstreamError::TokenEndpoint)?;
        let response = request
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %self.id, error_kind = token_error_kind(&e), "upstream token request failed");
                match e {
                    // Includes ID tokens whose claims do not parse (e.g. an `iss` that is not a URL).
                    oauth2::RequestTokenError::Parse(_, _) => UpstreamError::UnreadableTokenResponse,
                    _ => UpstreamError::TokenEndpoint,
                }
            })?;
        let id_token = response.extra_fields().id_token().ok_or(UpstreamError::MissingIdToken)?;
        let nonce = Nonce::new(pending.nonce);
        // Keys past their max age are refetched first: a removed key stops counting.
        if self.keys.is_stale() {
            self.refresh_jwks().await;
        }

        let verified = match self.verify_id_token(id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey))
                if self.refresh_jwks().await =>
            {
                self.verify_id_token(id_token, &nonce)
            }
            other => other,
        };
        let Verified { issuer, subject, auth_time, mut claims } =
            verified.map_err(|e| UpstreamError::InvalidIdToken(verification_reason(&e)))?;

        // Apple: the name of the first authorization, never in the ID token.
        if let Some(name) = user.as_deref().filter(|_| self.is_apple()).and_then(super::apple::name_from_user_field) {
            claims.merge_missing(UpstreamClaims::new(serde_json::Map::from_iter([("name".into(), name.into())])));
        }
        if ["name", "email", "picture"].iter().any(|c| !claims.contains(c)) {
            if let Some(more) = self.userinfo(response.access_token().secret(), &subject).await? {
                claims.merge_missing(more);
            }
        }
        // `response` (access, refresh and ID tokens) is dropped here.
        Ok(UpstreamIdentity { issuer, subject, auth_time, claims })
    }
}

fn token_error_kind<E: std::error::Error + 'static>(
    e: &oauth2::RequestTokenError<E, oauth2::StandardErrorResponse<oauth2::basic::BasicErrorResponseType>>,
) -> &'static str {
    match e {
        oauth2::RequestTokenError::ServerResponse(_) => "error_response",
        oauth2::RequestTokenError::Request(_) => "request_failed",
        oauth2::RequestTokenError::Parse(_, _) => "unparseable_response",
        oauth2::RequestTokenError::Other(_) => "other",
    }
}

fn discovery_error<E: std::error::Error>(e: &openidconnect::DiscoveryError<E>) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// The upstream redirect URI of a provider: `{public_url}/callback/{id}`.
pub fn redirect_uri(public_url: &str, provider_id: &str) -> String {
    format!("{}/callback/{provider_id}", public_url.trim_end_matches('/'))
}
