//! Refresh tokens: rotation on every use, and families that a reused
//! (already rotated) token revokes at once (RFC 6749 §6, RFC 9700 §4.14.2).
//!
//! `idx:family:{family}` → every refresh and access token of one family,
//! and the markers of its rotated refresh tokens; it lives as long as the
//! session behind it.

use super::kinds::{RefreshGrant, RotatedRefresh};
use super::{key, Records};
use crate::policy::UserKey;
use crate::store::StoreError;
use std::time::Duration;

fn family_index(family: &str) -> String {
    format!("idx:family:{family}")
}

fn revoked_key(family: &str) -> String {
    key("revoked-family", family)
}

impl Records {
    /// Stores a refresh token in its family. False when the session ended
    /// meanwhile (nothing is stored).
    pub async fn put_refresh(
        &self,
        token: &str,
        g: &RefreshGrant,
        ttl: Duration,
        user: &UserKey,
    ) -> Result<bool, StoreError> {
        self.store.set_add(&family_index(&g.family), &key("refresh", token), ttl).await?;
        self.put_in_live_session("refresh", token, g, &g.session, ttl, user).await
    }

    /// Adds an access token issued from a refresh family to it.
    pub async fn join_family(&self, family: &str, access_token: &str, ttl: Duration) -> Result<(), StoreError> {
        self.store.set_add(&family_index(family), &key("access", access_token), ttl).await
    }

    pub async fn get_refresh(&self, token: &str) -> Result<Option<RefreshGrant>, StoreError> {
        self.get(&key("refresh", token)).await
    }

    /// Single use, atomically: of two racing refreshes, one wins; the other
    /// finds the token rotated (see [`Self::rotated_family`]).
    pub async fn take_refresh(&self, token: &str) -> Result<Option<RefreshGrant>, StoreError> {
        self.take(&key("refresh", token)).await
    }

    /// Remembers that `token` was rotated, while its session lives.
    pub async fn note_rotated(
        &self,
        token: &str,
        g: &RefreshGrant,
        ttl: Duration,
        user: &UserKey,
    ) -> Result<(), StoreError> {
        let marker = RotatedRefresh { family: g.family.clone(), session_ref: super::digest(&g.session) };
        self.store.set_add(&family_index(&g.family), &key("rotated", token), ttl).await?;
        self.put_in_session("rotated", token, &marker, &g.session, ttl, user).await
    }

    /// The family (and session) of a refresh token already rotated, if it was.
    pub async fn rotated_family(&self, token: &str) -> Result<Option<RotatedRefresh>, StoreError> {
        self.get::<RotatedRefresh>(&key("rotated", token)).await
    }

    /// Whether the family was revoked (a reuse or a revocation).
    pub async fn family_revoked(&self, family: &str) -> Result<bool, StoreError> {
        Ok(self.store.get(&revoked_key(family)).await?.is_some())
    }

    /// Deletes every token of a family (its refresh token, its access
    /// tokens, its rotation markers). Returns how many records it named.
    pub async fn revoke_family(&self, family: &str) -> Result<usize, StoreError> {
        // First a tombstone, so that a refresh racing this one undoes itself
        // (`family_revoked`). It holds nothing but the family's existence.
        self.store.put(&revoked_key(family), b"1", self.index_ttl).await?;
        let idx = family_index(family);
        let members = self.store.set_members(&idx).await?;
        for member in &members {
            self.store.delete(member).await?;
        }
        self.store.delete(&idx).await?;
        Ok(members.len())
    }
}
