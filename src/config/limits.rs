//! `[limits]`: bounds on what an unauthenticated client can make claimgate
//! store or do. Every default is documented in config.example.toml and
//! docs/SECURITY.md.

use super::{invalid, ConfigError};
use actix_web::http::header::HeaderName;
use ipnet::IpNet;
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
    #[serde(default)]
    trusted_proxies: Vec<String>,
    #[serde(default)]
    shared_rates: bool,
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
    /// The header in which the trusted proxies name the client's address
    /// (`X-Forwarded-For`, or another address list); unset: RFC 7239
    /// `Forwarded`. Read only from `trusted_proxies`.
    pub client_ip_header: Option<HeaderName>,
    /// The proxies (CIDRs) whose forwarding headers are believed; from any
    /// other peer, the peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Per-address rates counted in the shared store, so that every
    /// instance together enforces them (else each instance counts its own).
    pub shared_rates: bool,
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
            trusted_proxies: Vec::new(),
            shared_rates: false,
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
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .enumerate()
            .map(|(i, net)| {
                cidr(net).ok_or_else(|| {
                    invalid(format!("limits.trusted_proxies[{i}]"), format!("\"{net}\" is not an address or CIDR"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if client_ip_header.is_some() && trusted_proxies.is_empty() {
            let why = "is read only from limits.trusted_proxies: name the proxies allowed to set it";
            return Err(invalid("limits.client_ip_header", why));
        }
        Ok(Limits {
            // A registered redirect URI, a state and a nonce must fit.
            max_query_bytes: at_least("max_query_bytes", self.max_query_bytes, 1024, d.max_query_bytes)?,
            max_form_bytes: at_least("max_form_bytes", self.max_form_bytes, 1024, d.max_form_bytes)?,
            max_pending: at_least("max_pending", self.max_pending, 1, d.max_pending)?,
            sign_in_per_minute: at_least("sign_in_per_minute", self.sign_in_per_minute, 1, d.sign_in_per_minute)?,
            token_per_minute: at_least("token_per_minute", self.token_per_minute, 1, d.token_per_minute)?,
            client_ip_header,
            trusted_proxies,
            shared_rates: self.shared_rates,
        })
    }
}

impl Limits {
    /// What `claimgate check` says of the client address and the rates.
    pub fn explain(&self) -> Vec<String> {
        let address = match (&self.client_ip_header, self.trusted_proxies.as_slice()) {
            (_, []) => "limits.trusted_proxies = []: the client's address is the connection's peer; \
                        forwarding headers are ignored (behind a proxy, everyone would share its rate limit)"
                .to_owned(),
            (header, trusted) => format!(
                "limits.trusted_proxies = {:?}: from these peers the client's address is read from {}, \
                 walking the chain from the right past every trusted hop; from any other peer, the peer",
                trusted.iter().map(ToString::to_string).collect::<Vec<_>>(),
                header.as_ref().map_or("Forwarded (RFC 7239)".to_owned(), |h| format!("limits.client_ip_header = {h}"))
            ),
        };
        let rates = match self.shared_rates {
            true => {
                "limits.shared_rates = true: per-address rates are counted in the shared store, \
                     for all instances together (each instance counts alone while the store is down)"
            }
            false => {
                "limits.shared_rates = false: each instance counts per-address rates itself \
                      (N instances allow N times the rate)"
            }
        };
        vec![
            address,
            format!(
                "limits: {} sign-in and {} token requests a minute per address; {rates}",
                self.sign_in_per_minute, self.token_per_minute
            ),
        ]
    }
}

/// `10.0.0.0/8`, `fd00::/8`, or one address (`/32`, `/128`).
fn cidr(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>().ok().or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
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
        let e = parse("client_ip_header = \"X-Forwarded-For\"").unwrap_err().to_string();
        assert!(e.starts_with("limits.client_ip_header:") && e.contains("trusted_proxies"), "{e}");
        let l = parse(
            "client_ip_header = \"X-Forwarded-For\"\ntrusted_proxies = [\"10.0.0.0/8\", \"fd00::/8\", \"192.0.2.1\"]",
        )
        .unwrap();
        assert_eq!(l.client_ip_header.unwrap().as_str(), "x-forwarded-for");
        assert_eq!(l.trusted_proxies.len(), 3);
        let e = parse("trusted_proxies = [\"10.0.0.0/8\", \"ingress\"]").unwrap_err().to_string();
        assert!(e.starts_with("limits.trusted_proxies[1]:"), "{e}");
    }
}
