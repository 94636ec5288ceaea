//! Consent records: what a user agreed to release to one app, and declined,
//! under which version of the notice, remembered across sessions for
//! `lifetimes.consent_secs` (or until the session that gave it ends).
//!
//! Keyed by a digest of the user key and the client id (the user key is
//! itself a keyed hash), indexed under the user so that erasure removes it,
//! and under the session when it lives only as long as the session.

use super::{key, session_index, user_index, Records, SessionId};
use crate::ids::ClientId;
use crate::policy::{ProfileClaim, UserKey};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::time::Duration;

/// One user's consent for one app: the source of truth for what that app
/// may receive (with the client's configured claims and the request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub client_id: ClientId,
    /// The claims the user agreed to release to the app.
    pub given: BTreeSet<ProfileClaim>,
    /// Optional claims the user left unticked (a decision, not asked again).
    pub declined: BTreeSet<ProfileClaim>,
    /// When it was last given (unix seconds).
    pub at: i64,
    /// `notice.version` it was given under: under another, it counts as none.
    pub notice_version: Option<String>,
    /// A random id for the receipt (`/me/export`), new at every change.
    pub receipt_id: String,
    /// When it will be forgotten (unix seconds).
    pub expires_at: i64,
}

/// Where a consent is kept: per user and app, remembered across sessions;
/// or per session too (`lifetimes.consent_secs = 0`).
fn consent_key(user: &UserKey, client: &ClientId, session: Option<&SessionId>) -> String {
    match session {
        None => key("consent", &format!("{}\u{0}{client}", user.as_str())),
        Some(session) => key("consent", &format!("{}\u{0}{client}\u{0}{}", user.as_str(), session.as_str())),
    }
}

impl Records {
    /// The consent of `user` for `client`: the remembered one, or with
    /// `session` the one given in that session.
    pub async fn get_consent(
        &self,
        user: &UserKey,
        client: &ClientId,
        session: Option<&SessionId>,
    ) -> Result<Option<Consent>, StoreError> {
        self.get(&consent_key(user, client, session)).await
    }

    /// Stores a user's consent for an app for `ttl`; with `session`, it
    /// belongs to that session alone and is indexed under it, so that its
    /// end (logout) ends it.
    pub async fn put_consent(
        &self,
        user: &UserKey,
        c: &Consent,
        ttl: Duration,
        session: Option<&SessionId>,
    ) -> Result<(), StoreError> {
        let k = consent_key(user, &c.client_id, session);
        self.index(user, &k, ttl).await?;
        if let Some(session) = session {
            self.store.set_add(&session_index(session), &k, ttl).await?;
        }
        self.put(&k, c, ttl).await
    }

    pub async fn delete_consent(
        &self,
        user: &UserKey,
        client: &ClientId,
        session: Option<&SessionId>,
    ) -> Result<(), StoreError> {
        let k = consent_key(user, client, session);
        self.store.delete(&k).await?;
        self.store.set_remove(&user_index(user), &k).await
    }

    /// Every live consent of a user (for `/me` and its export).
    pub async fn consents_of(&self, user: &UserKey) -> Result<Vec<Consent>, StoreError> {
        let mut consents = Vec::new();
        for member in self.store.set_members(&user_index(user)).await? {
            if member.starts_with("consent:") {
                if let Some(c) = self.get::<Consent>(&member).await? {
                    consents.push(c);
                }
            }
        }
        consents.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(consents)
    }
}
