//! Upstream identity providers (claimgate as Relying Party). Each kind is one
//! module behind [`UpstreamProvider`]; all return the same verified
//! [`UpstreamIdentity`], which only [`crate::policy::filter`] may open.

pub mod apple;
pub mod catalog;
pub mod dev;
pub mod github;
pub mod http;
pub mod oidc;
pub mod public_dns;

use crate::policy::UpstreamIdentity;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use url::Url;

/// Per-login secrets that must survive the round trip to the provider.
/// Stored briefly (pending-login lifetime) and consumed by the callback.
#[derive(Serialize, Deserialize)]
pub struct UpstreamPending {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl std::fmt::Debug for UpstreamPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamPending([redacted])")
    }
}

/// What the app asked of the sign-in, passed on to the provider where it
/// supports it (OIDC Core §3.1.2.1 `prompt` and `max_age`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StartOptions {
    /// `prompt=login`: the user must authenticate again at the provider.
    pub force_login: bool,
    /// `max_age`: the provider must re-authenticate a sign-in older than this (seconds).
    pub max_age: Option<u64>,
}

/// The start of an upstream login: where to send the browser, and what to remember.
pub struct UpstreamStart {
    pub url: Url,
    pub pending: UpstreamPending,
}

/// Query parameters of `/callback/{provider}`.
#[derive(Deserialize, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    /// RFC 9207 authorization response issuer.
    pub iss: Option<String>,
    pub error: Option<String>,
    /// Sign in with Apple's form post: the user's name, first sign-in only.
    pub user: Option<String>,
}

impl CallbackParams {
    /// The checks every provider makes first: the `state` is the one this
    /// login sent, the provider reported no error, and there is a code.
    pub fn into_code(self, expected_state: &str) -> Result<String, UpstreamError> {
        if !state_matches(expected_state, self.state.as_deref()) {
            return Err(UpstreamError::StateMismatch);
        }
        if let Some(error) = self.error {
            return Err(UpstreamError::denied(&error));
        }
        self.code.ok_or(UpstreamError::MissingCode)
    }
}

impl std::fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackParams([redacted])")
    }
}

/// Why an upstream login failed. Messages are safe to show and log: they
/// never carry a claim value, token or code.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("the provider reported an error ({0})")]
    Denied(String),
    #[error("the provider's response has no authorization code")]
    MissingCode,
    #[error("the provider's response is for a different sign-in (state mismatch)")]
    StateMismatch,
    #[error("the provider's response names a different issuer (iss parameter)")]
    IssuerMismatch,
    #[error("the provider's response does not name its issuer (iss parameter), which the provider promises")]
    MissingIssuerParameter,
    #[error("the provider's response is larger than claimgate accepts")]
    ResponseTooLarge,
    #[error("the provider's token endpoint failed")]
    TokenEndpoint,
    #[error("the provider's token response could not be read")]
    UnreadableTokenResponse,
    #[error("the provider returned no ID token")]
    MissingIdToken,
    #[error("the provider's ID token was refused: {0}")]
    InvalidIdToken(&'static str),
    #[error("the provider's userinfo was refused: {0}")]
    InvalidUserinfo(&'static str),
    #[error("the provider could not be reached")]
    Unreachable,
    /// A client with [`public_dns::PublicOnly`] refused the host's addresses.
    #[error("the host's name resolves to a non-public address")]
    NonPublicAddress,
}

impl UpstreamError {
    /// The provider's `error` parameter, reduced to a short code: only the
    /// code travels on (descriptions are free text).
    pub fn denied(error: &str) -> Self {
        UpstreamError::Denied(error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect())
    }

    /// A stable reason code for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            UpstreamError::Denied(_) => "upstream_denied",
            UpstreamError::MissingCode => "missing_code",
            UpstreamError::StateMismatch => "state_mismatch",
            UpstreamError::IssuerMismatch => "iss_parameter_mismatch",
            UpstreamError::MissingIssuerParameter => "iss_parameter_missing",
            UpstreamError::ResponseTooLarge => "upstream_response_too_large",
            UpstreamError::TokenEndpoint => "token_endpoint_error",
            UpstreamError::UnreadableTokenResponse => "token_response_unreadable",
            UpstreamError::MissingIdToken => "missing_id_token",
            UpstreamError::InvalidIdToken(r) => r,
            UpstreamError::InvalidUserinfo(r) => r,
            UpstreamError::Unreachable => "upstream_unreachable",
            UpstreamError::NonPublicAddress => "upstream_non_public_address",
        }
    }
}

#[async_trait]
pub trait UpstreamProvider: Send + Sync {
    fn id(&self) -> &str;
    fn display_name(&self) -> &str;
    /// Builds the authorization URL with fresh state, nonce and PKCE.
    fn start(&self, options: StartOptions) -> UpstreamStart;
    /// Verifies the callback and returns the upstream identity. Upstream
    /// tokens never leave this call.
    async fn finish(&self, pending: UpstreamPending, params: CallbackParams)
        -> Result<UpstreamIdentity, UpstreamError>;
}

/// Constant-time comparison of the callback `state` with the stored one.
fn state_matches(stored: &str, received: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    received.is_some_and(|r| bool::from(r.as_bytes().ct_eq(stored.as_bytes())))
}
