//! Erasure: everything of a user, or of every user of one email address.

use super::kinds::{AccessGrant, AuthCode, ForwardSession, RefreshGrant};
use super::{email_index, session_index_of, user_index, Records};
use crate::ids::ClientId;
use crate::policy::UserKey;
use crate::store::StoreError;

impl Records {
    /// Erases everything of one user: sessions, their indexes, codes and
    /// tokens, and the user's place in every email index. Returns how many
    /// index entries were processed.
    pub async fn erase_user(&self, user: &UserKey) -> Result<usize, StoreError> {
        let idx = user_index(user);
        let mut done = std::collections::HashSet::new();
        // Twice: the second pass takes what joined the index while the first
        // deleted the user's sessions (see `put_in_live_session`).
        for _ in 0..2 {
            for member in self.store.set_members(&idx).await? {
                if !done.insert(member.clone()) {
                    continue;
                }
                if member.starts_with(&email_index("")) {
                    // Shared with other users who signed in with the same address.
                    self.store.set_remove(&member, user.as_str()).await?;
                } else if let Some(idx) = session_index_of(&member) {
                    // A session, and what was issued under it: swept before
                    // and after the session goes, as `end_session` does.
                    self.sweep(&idx).await?;
                    self.store.delete(&member).await?;
                    self.sweep(&idx).await?;
                    self.store.delete(&idx).await?;
                } else {
                    self.store.delete(&member).await?;
                }
            }
        }
        self.store.delete(&idx).await?;
        Ok(done.len())
    }

    /// Deletes every record a session's index names: the session-bound
    /// records are indexed there only (docs/DESIGN-NOTES.md, "Redis per
    /// sign-in").
    async fn sweep(&self, session_index: &str) -> Result<(), StoreError> {
        for record in self.store.set_members(session_index).await? {
            self.store.delete(&record).await?;
        }
        Ok(())
    }

    /// The user's records: those in the user's index, and those in each of
    /// their sessions' indexes (see [`Self::sweep`]), each once.
    async fn records_of(&self, user: &UserKey) -> Result<Vec<String>, StoreError> {
        let mut all = std::collections::BTreeSet::new();
        for member in self.store.set_members(&user_index(user)).await? {
            if let Some(idx) = session_index_of(&member) {
                all.extend(self.store.set_members(&idx).await?);
            }
            all.insert(member);
        }
        Ok(all.into_iter().collect())
    }

    /// The users who signed in with this email address (keyed hash).
    pub async fn users_of_email(&self, email_key: &str) -> Result<Vec<UserKey>, StoreError> {
        Ok(self.store.set_members(&email_index(email_key)).await?.into_iter().map(UserKey::from_stored).collect())
    }

    /// Erases every user who signed in with this email address (keyed hash).
    /// Returns the number of users erased.
    pub async fn erase_email(&self, email_key: &str) -> Result<usize, StoreError> {
        let idx = email_index(email_key);
        let users = self.store.set_members(&idx).await?;
        for user in &users {
            self.erase_user(&UserKey::from_stored(user.clone())).await?;
        }
        self.store.delete(&idx).await?;
        Ok(users.len())
    }

    /// Ends everything one client holds of a user: its codes, access and
    /// refresh tokens (with their families) and forward-auth cookies, in
    /// every session (consent withdrawn). Returns how many records ended.
    pub async fn revoke_client(&self, user: &UserKey, client: &ClientId) -> Result<usize, StoreError> {
        let mut ended = 0;
        for member in self.records_of(user).await? {
            let kind = member.split(':').next().unwrap_or_default();
            let owner = match kind {
                "access" => self.get::<AccessGrant>(&member).await?.map(|g| g.client_id),
                "fa-session" => self.get::<ForwardSession>(&member).await?.map(|f| f.client_id),
                "code" => self.get::<AuthCode>(&member).await?.map(|c| c.request.client_id),
                "refresh" => match self.get::<RefreshGrant>(&member).await? {
                    Some(g) if g.client_id == *client => {
                        ended += self.revoke_family(&g.family).await?;
                        None
                    }
                    _ => None,
                },
                _ => None,
            };
            if owner.as_deref() == Some(client) {
                self.store.delete(&member).await?;
                ended += 1;
            }
        }
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::super::kinds::Session;
    use super::super::{key, session_index, AccessToken, SessionId};
    use super::*;
    use crate::clock::SystemClock;
    use crate::policy::Profile;
    use crate::store::memory::MemoryStore;
    use crate::store::seal::Sealer;
    use std::sync::Arc;
    use std::time::Duration;

    const HOUR: Duration = Duration::from_secs(3600);

    /// A user with one session, and one access grant of `client` indexed
    /// under the session only (as a later release writes them).
    async fn user_with_a_session_only_record(client: &str) -> (Records, UserKey, String) {
        let records =
            Records::new(MemoryStore::new(Arc::new(SystemClock)), Arc::new(Sealer::generate().unwrap()), HOUR);
        let user = UserKey::from_stored("user-1".into());
        let session = SessionId::random();
        let s = Session {
            user_key: user.clone(),
            profile: Profile::default(),
            provider: "dev".into(),
            auth_time: 0,
            expires_at: i64::MAX,
            disclosures: Vec::new(),
            consents: Default::default(),
            last_active: None,
        };
        records.open_session(&session, &s, HOUR, None).await.unwrap();
        let grant = AccessGrant {
            client_id: client.into(),
            session: session.clone(),
            scope: Default::default(),
            subject: "sub".into(),
            released: Profile::default(),
            iat: 0,
            exp: i64::MAX,
            jkt: None,
        };
        let access = key("access", "token-1");
        records.store.set_add(&session_index(&session), &access, HOUR).await.unwrap();
        records.put(&access, &grant, HOUR).await.unwrap();
        (records, user, access)
    }

    #[tokio::test]
    async fn erasure_reaches_records_only_the_sessions_index_names() {
        let (records, user, access) = user_with_a_session_only_record("app").await;
        assert!(records.store.get(&access).await.unwrap().is_some());
        records.erase_user(&user).await.unwrap();
        assert!(records.store.get(&access).await.unwrap().is_none(), "the access grant outlived the erasure");
    }

    #[tokio::test]
    async fn withdrawal_reaches_records_only_the_sessions_index_names() {
        let (records, user, access) = user_with_a_session_only_record("app").await;
        assert_eq!(records.revoke_client(&user, &"other".into()).await.unwrap(), 0);
        assert!(records.store.get(&access).await.unwrap().is_some(), "another client's withdrawal ends nothing");
        assert_eq!(records.revoke_client(&user, &"app".into()).await.unwrap(), 1);
        assert!(records.store.get(&access).await.unwrap().is_none(), "the access grant outlived the withdrawal");
    }

    /// Issue 31: a session-bound record (here an access grant) is indexed
    /// under its session only; the user's index keeps the session. Erasure
    /// still reaches it (the tests above).
    #[tokio::test]
    async fn a_session_bound_record_joins_its_sessions_index_only() {
        let (records, user, _) = user_with_a_session_only_record("app").await;
        let members = records.store.set_members(&user_index(&user)).await.unwrap();
        let session_key = members.iter().find(|m| m.starts_with("session:")).unwrap().clone();
        let grant = records.get::<AccessGrant>(&key("access", "token-1")).await.unwrap().unwrap();
        assert!(records.put_access(&AccessToken::presented("token-2"), &grant, HOUR).await.unwrap());
        let user_members = records.store.set_members(&user_index(&user)).await.unwrap();
        assert_eq!(user_members, vec![session_key.clone()], "only the session in the user's index");
        let session_members = records.store.set_members(&session_index_of(&session_key).unwrap()).await.unwrap();
        assert!(session_members.contains(&key("access", "token-2")), "{session_members:?}");
        records.erase_user(&user).await.unwrap();
        assert!(records.store.get(&key("access", "token-2")).await.unwrap().is_none());
    }
}
