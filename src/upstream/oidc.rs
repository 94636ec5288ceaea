//! `kind = "oidc"`: any OpenID Connect provider found by discovery, Google
//! included. Authorization code + PKCE S256 + state + nonce; the ID token is
//! verified in full (signature against the JWKS, refetched once on an
//! unknown `kid`; `iss`, `aud`, `azp`, `exp`, `nonce`; asymmetric algorithms
//! only). Upstream tokens are dropped when `finish` returns.

use super::{CallbackParams, StartOptions, UpstreamError, UpstreamPending, UpstreamProvider, UpstreamStart};
use crate::config::is_guid;
use crate::policy::{UpstreamClaims, UpstreamIdentity};
use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Asymmetric algorithms only: HS* would let anyone holding our client
/// secret, or a confused verifier holding a public key, forge tokens.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// An unknown `kid` triggers at most one JWKS refetch per this interval.
const JWKS_REFETCH_MIN_INTERVAL: Duration = Duration::from_secs(10);

pub struct OidcProvider {
    id: String,
    display_name: String,
    client_id: ClientId,
    client_secret: SecretString,
    redirect_uri: RedirectUrl,
    /// How `iss` is checked: the discovered issuer (plus Google's bare
    /// spelling for Google only), or Microsoft's tenant template.
    issuer_rule: IssuerRule,
    http: reqwest::Client,
    metadata: RwLock<CoreProviderMetadata>,
    /// When an unknown `kid` last caused a refetch.
    last_jwks_refetch: RwLock<Option<Instant>>,
}

#[derive(Debug, thiserror::Error)]
#[error("discovery of {issuer} failed: {reason}")]
pub struct DiscoveryFailed {
    pub issuer: String,
    pub reason: String,
}

impl OidcProvider {
    /// Runs discovery (which also fetches the JWKS).
    #[allow(clippy::too_many_arguments)]
    pub async fn discover(
        id: &str,
        display_name: &str,
        issuer: &str,
        client_id: &str,
        client_secret: SecretString,
        public_url: &str,
        http: reqwest::Client,
    ) -> Result<Self, DiscoveryFailed> {
        let failed = |reason: String| DiscoveryFailed { issuer: issuer.to_owned(), reason };
        let issuer_url = IssuerUrl::new(issuer.to_owned()).map_err(|e| failed(e.to_string()))?;
        let metadata = match multi_tenant_segment(issuer) {
            Some(segment) => discover_tenant_template(issuer, segment, &http).await.map_err(failed)?,
            None => CoreProviderMetadata::discover_async(issuer_url, &http)
                .await
                .map_err(|e| failed(discovery_error(&e)))?,
        };
        let redirect_uri = RedirectUrl::new(redirect_uri(public_url, id)).map_err(|e| failed(e.to_string()))?;
        let discovered = metadata.issuer().to_string();
        let issuer_rule = if discovered.contains(TENANT_PLACEHOLDER) {
            IssuerRule::TenantTemplate(discovered)
        } else if crate::config::is_google(issuer) {
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
            last_jwks_refetch: RwLock::new(None),
        })
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
        let metadata = self.metadata.read().unwrap_or_else(|e| e.into_inner()).clone();
        CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            Some(ClientSecret::new(self.client_secret.expose_secret().to_owned())),
        )
        .set_redirect_uri(self.redirect_uri.clone())
    }

    /// Refetches the JWKS after an unknown `kid` (key rotation). Returns
    /// whether a fresh set was loaded.
    async fn refresh_jwks(&self) -> bool {
        // A burst of unknown kids must not turn into a burst of fetches.
        if let Some(last) = *self.last_jwks_refetch.read().unwrap_or_else(|e| e.into_inner()) {
            if last.elapsed() < JWKS_REFETCH_MIN_INTERVAL {
                return false;
            }
        }
        *self.last_jwks_refetch.write().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        let uri = self.metadata.read().unwrap_or_else(|e| e.into_inner()).jwks_uri().clone();
        match CoreJsonWebKeySet::fetch_async(&uri, &self.http).await {
            Ok(jwks) => {
                let mut metadata = self.metadata.write().unwrap_or_else(|e| e.into_inner());
                *metadata = metadata.clone().set_jwks(jwks);
                true
            }
            Err(e) => {
                tracing::warn!(provider = %self.id, reason = %discovery_error(&e), "JWKS refetch failed");
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
        let endpoint = match self.metadata.read().unwrap_or_else(|e| e.into_inner()).userinfo_endpoint() {
            Some(e) => e.url().clone(),
            None => return Ok(None),
        };
        let response = self
            .http
            .get(endpoint)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|_| UpstreamError::Unreachable)?;
        if !response.status().is_success() {
            return Err(UpstreamError::InvalidUserinfo("userinfo_error"));
        }
        let claims: serde_json::Map<String, serde_json::Value> =
            response.json().await.map_err(|_| UpstreamError::InvalidUserinfo("userinfo_unreadable"))?;
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
            // Never ask for more than these three.
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
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
        // RFC 9207: when the provider names itself, it must be this provider
        // (checked before anything else in the response is used).
        if let Some(iss) = params.iss.as_deref() {
            if !self.issuer_rule.accepts_parameter(iss) {
                return Err(UpstreamError::IssuerMismatch);
            }
        }
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

        if ["name", "email", "picture"].iter().any(|c| !claims.contains(c)) {
            if let Some(more) = self.userinfo(response.access_token().secret(), &subject).await? {
                claims.merge_missing(more);
            }
        }
        // `response` (access, refresh and ID tokens) is dropped here.
        Ok(UpstreamIdentity { issuer, subject, auth_time, claims })
    }
}

const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// How the `iss` of an upstream ID token is checked.
#[derive(Debug, Clone)]
pub enum IssuerRule {
    /// One of these exact spellings; the first is canonical (the user key
    /// uses it, so Google's two spellings give one user).
    Exact(Vec<String>),
    /// Microsoft's multi-tenant endpoints (`common`, `organizations`,
    /// `consumers`): discovery names the issuer as a template with
    /// `{tenantid}`; a token's `iss` must be that template with the token's
    /// own `tid`, a GUID, put in — nothing looser.
    TenantTemplate(String),
}

impl IssuerRule {
    /// The issuer a verified token speaks for (the user key uses it), if accepted.
    fn check(&self, iss: &str, tid: Option<&str>) -> Option<String> {
        match self {
            IssuerRule::Exact(accepted) => accepted.iter().any(|a| a == iss).then(|| accepted[0].clone()),
            IssuerRule::TenantTemplate(template) => {
                let tid = tid.filter(|t| is_guid(t))?;
                let expected = template.replace(TENANT_PLACEHOLDER, tid);
                (iss == expected).then_some(expected)
            }
        }
    }

    /// RFC 9207 `iss` on the callback: the issuer, or for a tenant template
    /// the template with some tenant GUID.
    fn accepts_parameter(&self, iss: &str) -> bool {
        match self {
            IssuerRule::Exact(accepted) => accepted[0] == iss,
            IssuerRule::TenantTemplate(template) => {
                let (prefix, suffix) = template.split_once(TENANT_PLACEHOLDER).unwrap_or((template, ""));
                iss.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)).is_some_and(is_guid)
            }
        }
    }
}

/// `…/common/v2.0`, `…/organizations/v2.0`, `…/consumers/v2.0`: the
/// multi-tenant segment, if the issuer is one.
fn multi_tenant_segment(issuer: &str) -> Option<&'static str> {
    let path = url::Url::parse(issuer).ok()?.path().to_owned();
    ["common", "organizations", "consumers"].into_iter().find(|s| path.split('/').any(|p| p == *s))
}

/// Discovery for a multi-tenant endpoint, whose document names a template
/// issuer: the configured issuer must be that template with the endpoint's
/// segment put in.
async fn discover_tenant_template(
    issuer: &str,
    segment: &str,
    http: &reqwest::Client,
) -> Result<CoreProviderMetadata, String> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let response = http.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let metadata: CoreProviderMetadata = response.json().await.map_err(|e| format!("{url}: {e}"))?;
    let template = metadata.issuer().to_string();
    if !template.contains(TENANT_PLACEHOLDER) || template.replace(TENANT_PLACEHOLDER, segment) != issuer {
        return Err(format!("the discovery document names issuer {template}, which does not match {issuer}"));
    }
    let jwks = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), http).await.map_err(|e| discovery_error(&e))?;
    Ok(metadata.set_jwks(jwks))
}

/// A verified upstream ID token.
pub struct Verified {
    /// The issuer the user key is derived from.
    pub issuer: String,
    pub subject: String,
    /// When the user authenticated at the provider (`auth_time`), if it says.
    pub auth_time: Option<i64>,
    pub claims: UpstreamClaims,
}

/// Full ID-token validation: signature with an asymmetric algorithm against
/// the verifier's keys, `aud` (no untrusted extra audience), `exp`, `nonce`,
/// then `iss` by the issuer rule and `azp` against our client id.
/// Returns the issuer, the subject and every claim of the verified payload.
pub fn verify_id_token(
    verifier: CoreIdTokenVerifier<'_>,
    issuer_rule: &IssuerRule,
    client_id: &ClientId,
    id_token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<Verified, ClaimsVerificationError> {
    let verifier = verifier
        .set_allowed_algs(ALLOWED_ALGS)
        // The issuer is checked below by the issuer rule.
        .require_issuer_match(false);
    let claims = id_token.claims(&verifier, nonce)?;
    // More than one audience is refused by the verifier (no other audience
    // is trusted); an azp, when present, must be us.
    if let Some(azp) = claims.authorized_party() {
        if azp.as_str() != client_id.as_str() {
            return Err(ClaimsVerificationError::InvalidAudience("azp is another client".into()));
        }
    }
    // The signature is verified: now read every claim, so that the filter
    // sees (and reports) everything the provider sent.
    let payload = id_token.to_string();
    let all = payload
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&b).ok())
        .ok_or_else(|| ClaimsVerificationError::Other("unreadable payload".into()))?;
    let tid = all.get("tid").and_then(|t| t.as_str());
    let issuer = issuer_rule
        .check(claims.issuer().as_str(), tid)
        .ok_or_else(|| ClaimsVerificationError::InvalidIssuer("unexpected issuer".into()))?;
    Ok(Verified {
        issuer,
        subject: claims.subject().to_string(),
        auth_time: claims.auth_time().map(|t| t.timestamp()),
        claims: UpstreamClaims::new(all),
    })
}

/// A reason code without any value from the token.
fn verification_reason(e: &ClaimsVerificationError) -> &'static str {
    match e {
        ClaimsVerificationError::Expired(_) => "id_token_expired",
        ClaimsVerificationError::InvalidAudience(_) => "id_token_wrong_audience",
        ClaimsVerificationError::InvalidIssuer(_) => "id_token_wrong_issuer",
        ClaimsVerificationError::InvalidNonce(_) => "id_token_nonce_mismatch",
        ClaimsVerificationError::InvalidSubject(_) => "id_token_bad_subject",
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
            "id_token_unknown_key"
        }
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::DisallowedAlg(_) | SignatureVerificationError::UnsupportedAlg(_),
        ) => "id_token_disallowed_alg",
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoSignature) => "id_token_unsigned",
        ClaimsVerificationError::SignatureVerification(_) => "id_token_bad_signature",
        _ => "id_token_invalid",
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

/// The upstream redirect URI of a provider (DESIGN.md).
pub fn redirect_uri(public_url: &str, provider_id: &str) -> String {
    format!("{}/callback/{provider_id}", public_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    #[test]
    fn tenant_template_takes_the_tokens_own_tid_and_nothing_looser() {
        let rule = IssuerRule::TenantTemplate(TEMPLATE.into());
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        assert_eq!(rule.check(&iss, Some(TID)), Some(iss.clone()));
        let other = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert_eq!(rule.check(&iss, Some(other)), None, "iss of another tenant than tid");
        assert_eq!(rule.check(&iss, None), None, "no tid");
        assert_eq!(rule.check("https://login.microsoftonline.com/x/v2.0", Some("x")), None, "tid not a GUID");
        assert_eq!(rule.check("https://evil.example/{tid}/v2.0", Some(TID)), None);
        assert!(rule.accepts_parameter(&iss));
        assert!(!rule.accepts_parameter("https://login.microsoftonline.com/common/v2.0"));
    }

    #[test]
    fn exact_rule_maps_google_spellings_to_one_issuer() {
        let rule = IssuerRule::Exact(vec!["https://accounts.google.com".into(), "accounts.google.com".into()]);
        assert_eq!(rule.check("accounts.google.com", None).as_deref(), Some("https://accounts.google.com"));
        assert_eq!(rule.check("https://accounts.google.com", None).as_deref(), Some("https://accounts.google.com"));
        assert_eq!(rule.check("https://accounts.google.com.evil", None), None);
    }

    #[test]
    fn multi_tenant_endpoints_are_recognised() {
        assert_eq!(multi_tenant_segment("https://login.microsoftonline.com/common/v2.0"), Some("common"));
        assert_eq!(multi_tenant_segment("https://login.microsoftonline.com/organizations/v2.0"), Some("organizations"));
        assert_eq!(
            multi_tenant_segment("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"),
            None
        );
        assert_eq!(multi_tenant_segment("https://accounts.google.com"), None);
    }
}
