//! `[lifetimes]`: how long each record lives.

use super::{invalid, ConfigError};
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLifetimes {
    pending_login_secs: Option<u64>,
    code_secs: Option<u64>,
    access_token_secs: Option<u64>,
    session_idle_secs: Option<u64>,
    session_absolute_secs: Option<u64>,
    consent_secs: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub pending_login: Duration,
    pub code: Duration,
    pub access_token: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// How long a user's consent for an app is remembered (across
    /// sessions); `None` (`consent_secs = 0`): until the session that gave
    /// it ends.
    pub consent: Option<Duration>,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            pending_login: Duration::from_secs(600),
            code: Duration::from_secs(60),
            access_token: Duration::from_secs(600),
            session_idle: Duration::from_secs(8 * 3600),
            session_absolute: Duration::from_secs(24 * 3600),
            consent: Some(Duration::from_secs(180 * 24 * 3600)),
        }
    }
}

pub(super) fn validate(raw: RawLifetimes) -> Result<Lifetimes, ConfigError> {
    let d = Lifetimes::default();
    let secs = |v: Option<u64>, default: Duration, key: &str| -> Result<Duration, ConfigError> {
        match v {
            Some(0) => Err(invalid(format!("lifetimes.{key}"), "must be at least 1 second")),
            Some(s) => Ok(Duration::from_secs(s)),
            None => Ok(default),
        }
    };
    let lifetimes = Lifetimes {
        pending_login: secs(raw.pending_login_secs, d.pending_login, "pending_login_secs")?,
        code: secs(raw.code_secs, d.code, "code_secs")?,
        access_token: secs(raw.access_token_secs, d.access_token, "access_token_secs")?,
        session_idle: secs(raw.session_idle_secs, d.session_idle, "session_idle_secs")?,
        session_absolute: secs(raw.session_absolute_secs, d.session_absolute, "session_absolute_secs")?,
        consent: match raw.consent_secs {
            Some(0) => None,
            Some(s) => Some(Duration::from_secs(s)),
            None => d.consent,
        },
    };

    Ok(lifetimes)
}
