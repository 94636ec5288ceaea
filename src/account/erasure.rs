//! Erasure (GDPR Art. 17), one service for `/me/erase` and `claimgate
//! erase`: every app that received tokens in any of the user's sessions is
//! queued a logout (Back-Channel Logout 1.0) and a `session-revoked`
//! event, and every app the user's data reached an `account-purged` event
//! (RISC; GDPR Art. 19), before everything of the user goes; the apps that
//! answer within `wait` are reported, the others are retried by the
//! running instances.

use crate::backchannel::{self, Outcome};
use crate::ids::ClientId;
use crate::policy::UserKey;
use crate::secevent::Initiator;
use crate::signals::{self, Action};
use crate::state::Notifier;
use crate::store::StoreError;
use std::time::Duration;

/// What an erasure did.
pub struct Erased {
    /// How many users were erased.
    pub users: usize,
    /// Each app told, and whether everything it was sent arrived within
    /// the wait (one entry per app).
    pub told: Vec<(ClientId, Outcome)>,
}

/// Erases `users`: sessions, codes, tokens, consents, pictures.
pub async fn erase(
    notifier: &Notifier<'_>,
    users: &[UserKey],
    initiator: Initiator,
    wait: Duration,
) -> Result<Erased, StoreError> {
    let mut queued = Vec::new();
    for user in users {
        // One action per user: its events share a `txn` per app.
        let action = Action::new(initiator);
        let sessions = notifier.records.sessions_of(user).await?;
        queued.extend(backchannel::user_erased(notifier, &sessions, &action).await?);
        queued.extend(signals::queued(signals::account_purged(notifier, user, &sessions, &action).await?));
    }
    for user in users {
        notifier.records.erase_user(user).await?;
    }
    let attempts = backchannel::attempt_now(notifier, &queued, wait).await;
    Ok(Erased { users: users.len(), told: per_app(attempts) })
}

/// One outcome per app: delivered only if each of its deliveries was.
fn per_app(attempts: Vec<(ClientId, Outcome)>) -> Vec<(ClientId, Outcome)> {
    let mut told: Vec<(ClientId, Outcome)> = Vec::new();
    for (client, outcome) in attempts {
        match told.iter_mut().find(|(c, _)| *c == client) {
            Some((_, o)) if outcome != Outcome::Delivered => *o = outcome,
            Some(_) => {}
            None => told.push((client, outcome)),
        }
    }
    told
}

/// Erases every user who signed in with `email`, found by its keyed hash
/// (the address itself is never a key).
pub async fn erase_email(
    notifier: &Notifier<'_>,
    email: &str,
    initiator: Initiator,
    wait: Duration,
) -> Result<Erased, StoreError> {
    let email_key = notifier.keys.pseudonymizer.email_key(email);
    let users = notifier.records.users_of_email(&email_key).await?;
    let erased = erase(notifier, &users, initiator, wait).await?;
    // The index itself, and whoever joined it meanwhile.
    notifier.records.erase_email(&email_key).await?;
    Ok(erased)
}
