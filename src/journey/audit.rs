//! The audit trail of sign-ins: one event per completed or failed login
//! (target `claimgate::audit`, message `login`), written here only. It
//! carries the provider, client, notice version and outcome, the claim
//! *names* received, kept and dropped, or the failure reason: never a
//! value, token, code, cookie or email.

use crate::state::AppState;

/// What every login event of one callback names.
pub struct LoginAudit<'a> {
    /// A configured provider id, never the path as the client sent it.
    pub provider: Option<&'a str>,
    pub client: Option<&'a str>,
    /// Which notice the login happened under.
    pub notice_version: &'a str,
}

/// What a successful login kept of what it received (names only).
pub struct Kept<'a> {
    pub received: &'a [String],
    pub kept: &'a [String],
    pub dropped: &'a [String],
    pub invalid: &'a [&'static str],
    /// What the picture proxy did with the picture.
    pub picture: &'static str,
}

impl<'a> LoginAudit<'a> {
    pub fn new(state: &'a AppState) -> Self {
        LoginAudit {
            provider: None,
            client: None,
            notice_version: state.config.notice.version.as_deref().unwrap_or(""),
        }
    }

    pub fn failure(&self, reason: &str) {
        self.failure_after(reason, &[]);
    }

    /// A failure once the provider's claims arrived: their names are kept.
    pub fn failure_after(&self, reason: &str, received: &[String]) {
        tracing::warn!(
            target: "claimgate::audit",
            provider = %self.provider.unwrap_or(""), client = %self.client.unwrap_or(""),
            notice_version = self.notice_version, received = ?received,
            outcome = "failure", reason, "login"
        );
    }

    pub fn success(&self, k: &Kept<'_>) {
        tracing::info!(
            target: "claimgate::audit",
            provider = %self.provider.unwrap_or(""), client = %self.client.unwrap_or(""),
            received = ?k.received, kept = ?k.kept, dropped = ?k.dropped, invalid = ?k.invalid, picture = k.picture,
            notice_version = self.notice_version,
            outcome = "success", "login"
        );
    }
}
