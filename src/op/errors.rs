//! OAuth 2.0 / OIDC errors as values, written to HTTP in one place.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
#[error("{error}: {description}")]
pub struct TokenError {
    pub error: &'static str,
    pub description: String,
    /// The client tried HTTP Basic: answer 401 with a Basic challenge.
    pub basic_challenge: bool,
}

impl TokenError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self { error, description: description.into(), basic_challenge: false }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new("invalid_request", d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new("invalid_grant", d)
    }
    pub fn invalid_client(basic: bool) -> Self {
        Self { basic_challenge: basic, ..Self::new("invalid_client", "client authentication failed") }
    }
    pub fn server_error() -> Self {
        Self::new("server_error", "the server could not complete the request")
    }
    /// The store is down or slow: a fast 503 the client may retry.
    pub fn unavailable() -> Self {
        Self::new("temporarily_unavailable", "the service is temporarily unavailable; try again")
    }
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        match self.error {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
        if self.basic_challenge {
            res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"claimgate\""));
        }
        res.json(json!({ "error": self.error, "error_description": self.description }))
    }
}

/// An error of a protected resource (RFC 6750 §3).
#[derive(Debug, thiserror::Error)]
#[error("{description}")]
pub struct BearerError {
    /// `None` when the request carried no token at all (§3.1: no error code).
    pub error: Option<&'static str>,
    pub description: &'static str,
}

impl BearerError {
    pub fn missing() -> Self {
        Self { error: None, description: "an access token is required" }
    }
    pub fn invalid_token() -> Self {
        Self { error: Some("invalid_token"), description: "the access token is invalid or has expired" }
    }
    pub fn invalid_request(d: &'static str) -> Self {
        Self { error: Some("invalid_request"), description: d }
    }
    pub fn unavailable() -> Self {
        Self {
            error: Some("temporarily_unavailable"),
            description: "the service is temporarily unavailable; try again",
        }
    }
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        match self.error {
            Some("invalid_request") => StatusCode::BAD_REQUEST,
            Some("temporarily_unavailable") => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let challenge = match self.error {
            Some("temporarily_unavailable") => String::new(),
            Some(e) => format!("Bearer realm=\"claimgate\", error=\"{e}\", error_description=\"{}\"", self.description),
            None => "Bearer realm=\"claimgate\"".to_string(),
        };
        let mut res = HttpResponse::build(self.status_code());
        if !challenge.is_empty() {
            res.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        match self.error {
            Some(e) => res.json(json!({ "error": e, "error_description": self.description })),
            None => res.finish(),
        }
    }
}

/// Parses `application/x-www-form-urlencoded` (query or body), refusing
/// repeated parameters (RFC 6749 §3.1, §3.2).
pub fn parse_params(input: &str) -> Result<std::collections::HashMap<String, String>, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(input).map_err(|_| "the parameters are not form-encoded".to_string())?;
    let mut out = std::collections::HashMap::new();
    for (k, v) in pairs {
        if out.insert(k.clone(), v).is_some() {
            return Err(format!("parameter {k} is repeated"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_params("a=1&b=2").is_ok());
        assert_eq!(parse_params("a=1&a=2").unwrap_err(), "parameter a is repeated");
    }
}
