//! Errors as values, written to HTTP in one place: OAuth 2.0 / OIDC error
//! codes ([`OAuthError`]) for the token endpoint ([`TokenError`]) and
//! protected resources ([`BearerError`]), the HTML error pages a
//! browser sees ([`PageError`]), and a bare 503 ([`Unavailable`]). Handlers say `?`; a store failure becomes
//! a fast 503 (logged once, here) without a block in every handler.

use crate::messages::Msg;
use crate::pages;
use crate::protocol::binding;
use crate::store::StoreError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// An OAuth 2.0 / OpenID Connect error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    // RFC 6749 §4.1.2.1 and §5.2
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    // OIDC Core §3.1.2.6
    LoginRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    // RFC 6750 §3.1
    InvalidToken,
    // RFC 9449 §5, §7.1, §8, §9
    InvalidDpopProof,
    UseDpopNonce,
    // RFC 9126 §2.3, §4
    InvalidRequestUri,
}

impl OAuthError {
    /// Every code, for the series that exist from the start.
    pub const ALL: [OAuthError; 18] = [
        OAuthError::InvalidRequest,
        OAuthError::InvalidClient,
        OAuthError::InvalidGrant,
        OAuthError::UnsupportedGrantType,
        OAuthError::UnsupportedResponseType,
        OAuthError::InvalidScope,
        OAuthError::AccessDenied,
        OAuthError::ServerError,
        OAuthError::TemporarilyUnavailable,
        OAuthError::LoginRequired,
        OAuthError::ConsentRequired,
        OAuthError::RequestNotSupported,
        OAuthError::RequestUriNotSupported,
        OAuthError::InvalidToken,
        OAuthError::InvalidDpopProof,
        OAuthError::UseDpopNonce,
        OAuthError::InvalidRequestUri,
        OAuthError::UnauthorizedClient,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::ServerError => "server_error",
            OAuthError::TemporarilyUnavailable => "temporarily_unavailable",
            OAuthError::LoginRequired => "login_required",
            OAuthError::ConsentRequired => "consent_required",
            OAuthError::RequestNotSupported => "request_not_supported",
            OAuthError::RequestUriNotSupported => "request_uri_not_supported",
            OAuthError::InvalidToken => "invalid_token",
            OAuthError::InvalidDpopProof => "invalid_dpop_proof",
            OAuthError::UseDpopNonce => "use_dpop_nonce",
            OAuthError::InvalidRequestUri => "invalid_request_uri",
        }
    }

    /// The status of a direct (non-redirect) answer carrying this error:
    /// RFC 6749 §5.2 (400, 401 for invalid_client), RFC 6750 §3.1 (401 for
    /// invalid_token), 500/503 for the server's own failures.
    pub fn status(self) -> StatusCode {
        match self {
            OAuthError::InvalidClient | OAuthError::InvalidToken => StatusCode::UNAUTHORIZED,
            OAuthError::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthError::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
#[error("{}: {description}", error.code())]
pub struct TokenError {
    pub error: OAuthError,
    pub description: String,
    /// The client tried HTTP Basic: answer 401 with a Basic challenge.
    pub basic_challenge: bool,
    /// A fresh `DPoP-Nonce` for the client (RFC 9449 §8): sent with every
    /// answer to a request that carried a DPoP proof, and with `use_dpop_nonce`.
    pub dpop_nonce: Option<String>,
}

impl TokenError {
    pub fn new(error: OAuthError, description: impl Into<String>) -> Self {
        Self { error, description: description.into(), basic_challenge: false, dpop_nonce: None }
    }
    /// With a fresh DPoP nonce for the client's next proof.
    pub fn with_dpop_nonce(self, nonce: String) -> Self {
        Self { dpop_nonce: Some(nonce), ..self }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(OAuthError::InvalidRequest, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(OAuthError::InvalidGrant, d)
    }
    pub fn invalid_client(basic: bool) -> Self {
        Self { basic_challenge: basic, ..Self::new(OAuthError::InvalidClient, "client authentication failed") }
    }
    pub fn server_error() -> Self {
        Self::new(OAuthError::ServerError, "the server could not complete the request")
    }
}

/// The store is down or slow: a fast 503 the client may retry.
impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        Self::new(OAuthError::TemporarilyUnavailable, "the service is temporarily unavailable; try again")
    }
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        self.error.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        // RFC 6749 §5.2 (Cache-Control: no-store is every answer's, in startup).
        res.insert_header((header::PRAGMA, "no-cache"));
        if self.basic_challenge {
            res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"claimgate\""));
        }
        if let Some(nonce) = &self.dpop_nonce {
            res.insert_header(("DPoP-Nonce", nonce.as_str()));
        }
        res.json(json!({ "error": self.error.code(), "error_description": self.description }))
    }
}

/// How a protected resource's client presented its token: its challenge
/// names the same scheme (RFC 6750 §3, RFC 9449 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    DPoP,
}

/// An error of a protected resource (RFC 6750 §3; RFC 9449 §7.1 for DPoP).
#[derive(Debug, thiserror::Error)]
#[error("{description}")]
pub struct BearerError {
    /// `None` when the request carried no token at all (§3.1: no error code).
    pub error: Option<OAuthError>,
    pub description: &'static str,
    pub scheme: Scheme,
    /// A fresh `DPoP-Nonce` (RFC 9449 §9), with `use_dpop_nonce` and with
    /// every answer to a DPoP request.
    pub dpop_nonce: Option<String>,
}

impl BearerError {
    fn new(error: Option<OAuthError>, description: &'static str) -> Self {
        Self { error, description, scheme: Scheme::Bearer, dpop_nonce: None }
    }
    pub fn missing() -> Self {
        Self::new(None, "an access token is required")
    }
    pub fn invalid_token() -> Self {
        Self::new(Some(OAuthError::InvalidToken), "the access token is invalid or has expired")
    }
    pub fn invalid_token_because(d: &'static str) -> Self {
        Self::new(Some(OAuthError::InvalidToken), d)
    }
    pub fn invalid_request(d: &'static str) -> Self {
        Self::new(Some(OAuthError::InvalidRequest), d)
    }
    /// An error of a DPoP presentation, challenged with the DPoP scheme.
    pub fn dpop(error: OAuthError, d: &'static str) -> Self {
        Self { scheme: Scheme::DPoP, ..Self::new(Some(error), d) }
    }
    /// With a fresh DPoP nonce for the client's next proof.
    pub fn with_dpop_nonce(self, nonce: String) -> Self {
        Self { dpop_nonce: Some(nonce), ..self }
    }
    /// The metrics label of this outcome.
    pub fn label(&self) -> &'static str {
        self.error.map_or("missing_token", OAuthError::code)
    }
}

impl From<StoreError> for BearerError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        Self::new(Some(OAuthError::TemporarilyUnavailable), "the service is temporarily unavailable; try again")
    }
}

/// The DPoP challenge's `algs` (RFC 9449 §7.1).
fn dpop_algs() -> String {
    format!("algs=\"{}\"", crate::dpop::ALGORITHMS.join(" "))
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        match self.error {
            None => StatusCode::UNAUTHORIZED,
            // RFC 9449 §7.1, §9: a resource's DPoP errors are 401 challenges.
            Some(OAuthError::InvalidDpopProof | OAuthError::UseDpopNonce) => StatusCode::UNAUTHORIZED,
            Some(e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        match (self.error, self.scheme) {
            (Some(OAuthError::TemporarilyUnavailable), _) => {}
            (Some(e), Scheme::Bearer) => {
                let challenge = format!(
                    "Bearer realm=\"claimgate\", error=\"{}\", error_description=\"{}\"",
                    e.code(),
                    self.description
                );
                res.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            (Some(e), Scheme::DPoP) => {
                let challenge =
                    format!("DPoP {}, error=\"{}\", error_description=\"{}\"", dpop_algs(), e.code(), self.description);
                res.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            // No token: either scheme will do (RFC 9449 §7.1).
            (None, _) => {
                res.append_header((header::WWW_AUTHENTICATE, "Bearer realm=\"claimgate\""));
                res.append_header((header::WWW_AUTHENTICATE, format!("DPoP {}", dpop_algs())));
            }
        }
        if let Some(nonce) = &self.dpop_nonce {
            res.insert_header(("DPoP-Nonce", nonce.as_str()));
        }
        match self.error {
            Some(e) => res.json(json!({ "error": e.code(), "error_description": self.description })),
            None => res.finish(),
        }
    }
}

/// What a browser sees when a step of a sign-in (or of `/me`, `/logout`)
/// cannot go on: an HTML page, never a stack trace.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The store is down or slow (logged when it is turned into a page).
    #[error("store failed: {0}")]
    Store(#[from] StoreError),
    /// The request is not valid (a 400 page with this message).
    #[error("{}", .0.id())]
    BadRequest(Msg),
    /// A single-use step was already used, or is too old.
    #[error("expired")]
    Expired(Msg),
    /// The step belongs to a sign-in another browser began.
    #[error("another browser")]
    OtherBrowser,
}

impl PageError {
    pub fn bad_request(message: Msg) -> Self {
        Self::BadRequest(message)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::Store(e) => {
                tracing::error!(error = %e, "store failed");
                pages::unavailable()
            }
            PageError::BadRequest(m) => pages::refused(StatusCode::BAD_REQUEST, Msg::RequestInvalidTitle, *m),
            PageError::Expired(m) => pages::refused(StatusCode::BAD_REQUEST, Msg::ExpiredTitle, *m),
            PageError::OtherBrowser => binding::other_browser_page(),
        }
    }
}

/// A store failure where the caller is a proxy (`/auth`) or an `<img>`
/// (`/picture`): a bare 503, so that a proxy shows its own error page and
/// never gets a sign-in redirect that would loop.
#[derive(Debug, thiserror::Error)]
#[error("store failed: {0}")]
pub struct Unavailable(#[from] StoreError);

impl ResponseError for Unavailable {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!(error = %self.0, "store failed");
        HttpResponse::ServiceUnavailable().finish()
    }
}

/// Why request parameters were refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("the parameters are not form-encoded")]
    NotFormEncoded,
    /// RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT be included more than once."
    #[error("parameter {0} is repeated")]
    Repeated(String),
}

impl From<ParamsError> for TokenError {
    fn from(e: ParamsError) -> Self {
        Self::invalid_request(e.to_string())
    }
}

impl ParamsError {
    /// What a page says of it.
    pub fn message(&self) -> Msg {
        match self {
            ParamsError::NotFormEncoded => Msg::NotFormData,
            ParamsError::Repeated(_) => Msg::ParamRepeated,
        }
    }
}

impl From<ParamsError> for PageError {
    fn from(e: ParamsError) -> Self {
        Self::BadRequest(e.message())
    }
}

/// Parses `application/x-www-form-urlencoded` (query or body), refusing
/// repeated parameters (RFC 6749 §3.1, §3.2).
pub fn parse_params(input: &str) -> Result<std::collections::HashMap<String, String>, ParamsError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(input).map_err(|_| ParamsError::NotFormEncoded)?;
    let mut out = std::collections::HashMap::new();
    for (k, v) in pairs {
        if out.contains_key(&k) {
            return Err(ParamsError::Repeated(k));
        }
        out.insert(k, v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `OAuthError::ALL` (the series that exist from the start) lists every
    /// code: a new variant fails to compile here until it has a place, and
    /// then this fails until ALL has it too.
    #[test]
    fn all_lists_every_error() {
        fn place(e: OAuthError) -> usize {
            match e {
                OAuthError::InvalidRequest => 0,
                OAuthError::InvalidClient => 1,
                OAuthError::InvalidGrant => 2,
                OAuthError::UnsupportedGrantType => 3,
                OAuthError::UnsupportedResponseType => 4,
                OAuthError::InvalidScope => 5,
                OAuthError::AccessDenied => 6,
                OAuthError::ServerError => 7,
                OAuthError::TemporarilyUnavailable => 8,
                OAuthError::LoginRequired => 9,
                OAuthError::ConsentRequired => 10,
                OAuthError::RequestNotSupported => 11,
                OAuthError::RequestUriNotSupported => 12,
                OAuthError::InvalidToken => 13,
                OAuthError::InvalidDpopProof => 14,
                OAuthError::UseDpopNonce => 15,
                OAuthError::InvalidRequestUri => 16,
                OAuthError::UnauthorizedClient => 17,
            }
        }
        let places: std::collections::BTreeSet<usize> = OAuthError::ALL.into_iter().map(place).collect();
        assert_eq!(places, (0..18).collect());
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_params("a=1&b=2").is_ok());
        assert_eq!(parse_params("a=1&a=2").unwrap_err().to_string(), "parameter a is repeated");
    }
}
