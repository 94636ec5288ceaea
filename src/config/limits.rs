//! `[limits]`: bounds on what an unauthenticated client can make claimgate
//! store or do. Every default is documented in config.example.toml and
//! docs/SECURITY.md.

use super::{invalid, ConfigError};
use actix_web::http::header::HeaderName;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    max_query_bytes: Option<usize>,
    max_form_bytes: Option<usize>,
    max_pending: Option<u64>,
    sign_in_per_minute: Option<u32>,
    token_per_minute: Option<u32>,
    client_ip_header: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest query string accepted, in bytes: longer is answered 414.
    pub max_query_bytes: usize,
    /// Largest request body (forms at /authorize, /token, /revoke, …): larger is 413.
    pub max_form_bytes: usize,
    /// Pre-login records (notice tickets, pending upstream logins,
    /// forward-auth returns) the store holds at once; beyond, sign-ins are
    /// answered 503 until some finish or expire.
    pub max_pending: u64,
    /// Per client address: sign-in requests a minute (`/authorize`,
    /// `/authorize/continue`, `/auth/start`, `/callback/*`, `/auth/callback`).
    pub sign_in_per_minute: u32,
    /// Per client address: `/token` and `/revoke` requests a minute.
    pub token_per_minute: u32,
    /// The header in which a trusted reverse proxy names the client's address
    /// (its last value is used); unset: the peer address of the connection.
    pub client_ip_header: Option<HeaderName>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_query_bytes: 4096,
            max_form_bytes: 16 * 1024,
            max_pending: 10_000,
            sign_in_per_minute: 60,
            token_per_minute: 1200,
            client_ip_header: None,
        }
    }
}

impl RawLimits {
    pub(super) fn validate(self) -> Result<Limits, ConfigError> {
        let d = Limits::default();
        fn at_least<T: PartialOrd + Copy + std::fmt::Display>(
            key: &str,
            value: Option<T>,
            min: T,
            default: T,
        ) -> Result<T, ConfigError> {
            match value {
                Some(v) if v < min => Err(invalid(format!("limits.{key}"), format!("must be at least {min}"))),
                Some(v) => Ok(v),
                None => Ok(default),
            }
        }
        let client_ip_header = self
            .client_ip_header
            .map(|h| {
                HeaderName::try_from(h.as_str())
                    .map_err(|_| invalid("limits.client_ip_header", format!("\"{h}\" is not an HTTP header name")))
            })
            .transpose()?;
        Ok(Limits {
            // A registered redirect URI, a state and a nonce must fit.
            max_query_bytes: at_least("max_query_bytes", self.max_query_bytes, 1024, d.max_query_bytes)?,
            max_form_bytes: at_least("max_form_bytes", self.max_form_bytes, 1024, d.max_form_bytes)?,
            max_pending: at_least("max_pending", self.max_pending, 1, d.max_pending)?,
            sign_in_per_minute: at_least("sign_in_per_minute", self.sign_in_per_minute, 1, d.sign_in_per_minute)?,
            token_per_minute: at_least("token_per_minute", self.token_per_minute, 1, d.token_per_minute)?,
            client_ip_header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Limits, ConfigError> {
        toml::from_str::<RawLimits>(text).map_err(|e| invalid("limits", e.to_string()))?.validate()
    }

    #[test]
    fn defaults_and_errors_that_name_the_key() {
        let d = parse("").unwrap();
        assert_eq!((d.max_pending, d.sign_in_per_minute, d.token_per_minute), (10_000, 60, 1200));
        let e = parse("sign_in_per_minute = 0").unwrap_err().to_string();
        assert_eq!(e, "limits.sign_in_per_minute: must be at least 1");
        let e = parse("max_query_bytes = 100").unwrap_err().to_string();
        assert!(e.starts_with("limits.max_query_bytes:"), "{e}");
        let e = parse("client_ip_header = \"x forwarded\"").unwrap_err().to_string();
        assert!(e.starts_with("limits.client_ip_header:"), "{e}");
        assert!(parse("per_hour = 3").is_err(), "unknown keys are refused");
        let h = parse("client_ip_header = \"X-Forwarded-For\"").unwrap().client_ip_header.unwrap();
        assert_eq!(h.as_str(), "x-forwarded-for");
    }
}
