//! Refresh tokens: rotation on every use, and families that a reused
//! (already rotated) token revokes at once (RFC 6749 §6, RFC 9700 §4.14.2).
//!
//! A refresh token's record is the token while it is live and, once used,
//! the marker of its rotation (`RefreshGrant::rotated`): one key, turned
//! from one into the other by one atomic store operation.
//!
//! `idx:family:{family}` → every refresh and access token of one family;
//! it lives as long as the session behind it and is indexed under the
//! user, so that erasure removes it.

use super::handles::{AccessToken, FamilyId, RefreshToken};
use super::kinds::RefreshGrant;
use super::{key, Records};
use crate::policy::UserKey;
use crate::store::StoreError;
use std::time::Duration;

fn family_index(family: &FamilyId) -> String {
    format!("idx:family:{}", family.as_str())
}

fn revoked_key(family: &FamilyId) -> String {
    key("revoked-family", family.as_str())
}

/// How long a revoked family's tombstone lives: long enough for a refresh
/// racing the revocation (store calls bounded to a second each) to see it,
/// short enough that erasure does not have to find it.
const TOMBSTONE: Duration = Duration::from_secs(120);

/// What [`Records::rotate_refresh`] found.
pub enum Rotation {
    /// The token was live: this caller used it, and it is now rotated.
    Used(RefreshGrant),
    /// Already rotated: a reuse.
    Reused(RefreshGrant),
    /// Unknown, expired or revoked.
    Gone,
}

impl Records {
    /// Stores a refresh token in its family. False when the session ended
    /// meanwhile (nothing is stored).
    pub async fn put_refresh(
        &self,
        token: &RefreshToken,
        g: &RefreshGrant,
        ttl: Duration,
        user: &UserKey,
    ) -> Result<bool, StoreError> {
        let idx = family_index(&g.family);
        self.index(user, &idx, ttl).await?;
        self.store.set_add(&idx, &key("refresh", token.as_str()), ttl).await?;
        self.put_in_live_session("refresh", token.as_str(), g, &g.session, ttl).await
    }

    /// Adds an access token issued from a refresh family to it.
    pub async fn join_family(
        &self,
        family: &FamilyId,
        access_token: &AccessToken,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.store.set_add(&family_index(family), &key("access", access_token.as_str()), ttl).await
    }

    /// A refresh token's record, live or rotated, without using it.
    pub async fn get_refresh(&self, token: &RefreshToken) -> Result<Option<RefreshGrant>, StoreError> {
        self.get(&key("refresh", token.as_str())).await
    }

    /// Uses a refresh token: turns its record into the rotation marker
    /// `seen` (the record as read before, marked rotated) for `ttl`, and
    /// says what was there, in one store operation. Of two racing uses one
    /// gets [`Rotation::Used`], the other [`Rotation::Reused`].
    pub async fn rotate_refresh(
        &self,
        token: &RefreshToken,
        seen: &RefreshGrant,
        ttl: Duration,
    ) -> Result<Rotation, StoreError> {
        let k = key("refresh", token.as_str());
        let marker = RefreshGrant { rotated: true, ..seen.clone() };
        let before = self.store.swap(&k, &self.seal(&k, &marker)?, ttl).await?;
        Ok(match self.open::<RefreshGrant>(&k, before)? {
            Some(g) if g.rotated => Rotation::Reused(g),
            Some(g) => Rotation::Used(g),
            None => Rotation::Gone,
        })
    }

    /// Whether the family was revoked (a reuse or a revocation).
    pub async fn family_revoked(&self, family: &FamilyId) -> Result<bool, StoreError> {
        Ok(self.store.get(&revoked_key(family)).await?.is_some())
    }

    /// Deletes every token of a family (its refresh tokens, live and
    /// rotated, and its access tokens). Returns how many records it named.
    pub async fn revoke_family(&self, family: &FamilyId) -> Result<usize, StoreError> {
        // First a tombstone, so that a refresh racing this one undoes itself
        // (`family_revoked`). It holds nothing but the family's existence.
        self.store.put(&revoked_key(family), b"1", TOMBSTONE).await?;
        let idx = family_index(family);
        let members = self.store.set_members(&idx).await?;
        for member in &members {
            self.store.delete(member).await?;
        }
        self.store.delete(&idx).await?;
        Ok(members.len())
    }
}
