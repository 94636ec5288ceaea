//! Erasure (GDPR Art. 17), one service for `/me/erase` and `claimgate
//! erase`: every app that received tokens in any of the user's sessions is
//! queued a logout (Back-Channel Logout 1.0) before everything of the user
//! goes; the apps that answer within `wait` are reported, the others are
//! retried by the running instances.

use crate::backchannel::{self, Notifier, Outcome};
use crate::ids::ClientId;
use crate::policy::UserKey;
use crate::store::StoreError;
use std::time::Duration;

/// What an erasure did.
pub struct Erased {
    /// How many users were erased.
    pub users: usize,
    /// Each app told, and whether it heard within the wait.
    pub told: Vec<(ClientId, Outcome)>,
}

/// Erases `users`: sessions, codes, tokens, consents, pictures.
pub async fn erase(notifier: &Notifier<'_>, users: &[UserKey], wait: Duration) -> Result<Erased, StoreError> {
    let mut queued = Vec::new();
    for user in users {
        queued.extend(backchannel::user_erased(notifier, user).await?);
    }
    for user in users {
        notifier.records.erase_user(user).await?;
    }
    let told = backchannel::attempt_now(notifier, &queued, wait).await;
    Ok(Erased { users: users.len(), told })
}

/// Erases every user who signed in with `email`, found by its keyed hash
/// (the address itself is never a key).
pub async fn erase_email(notifier: &Notifier<'_>, email: &str, wait: Duration) -> Result<Erased, StoreError> {
    let email_key = notifier.keys.pseudonymizer.email_key(email);
    let users = notifier.records.users_of_email(&email_key).await?;
    let erased = erase(notifier, &users, wait).await?;
    // The index itself, and whoever joined it meanwhile.
    notifier.records.erase_email(&email_key).await?;
    Ok(erased)
}
