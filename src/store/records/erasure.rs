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
                } else {
                    self.store.delete(&member).await?;
                    if let Some(idx) = session_index_of(&member) {
                        // Its members (tokens, cookies) are in this index too.
                        self.store.delete(&idx).await?;
                    }
                }
            }
        }
        self.store.delete(&idx).await?;
        Ok(done.len())
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
        for member in self.store.set_members(&user_index(user)).await? {
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
