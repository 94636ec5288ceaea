//! The typed records claimgate stores, their keys, lifetimes and indexes.
//!
//! Keys are `kind:` + SHA-256 of a random handle (the value the browser or
//! app holds), so a store dump gives no usable code, token or cookie, and no
//! key is ever derived from an email. Every value is sealed ([`Sealer`]).
//!
//! Indexes make logout and erasure one operation each:
//! - `idx:user:{user key}` → the user's records that outlive no session of
//!   theirs but belong to none (sessions, codes, consents, refresh families,
//!   the proxied picture and its links); a session's own index shares its
//!   digest and is found from the session's key;
//! - `idx:session:{hash}` → what was issued under one session (access and
//!   refresh grants, forward-auth records, redeemed codes): logout, withdrawal
//!   and erasure read it through the session;
//! - `idx:email:{keyed hash of the address}` → the user keys that signed in
//!   with it (for `claimgate erase --email`); the user index names these
//!   too, so that erasing a user also takes them out of every email index.
//!
//! Each index member expires with the record it names (a code after 60 s,
//! a session at its absolute end), so an index holds only live records and
//! never grows beyond them; the index lives as long as its longest member.

mod backchannel;
mod codec;
mod consent;
mod erasure;
mod handles;
mod kinds;
mod pictures;
mod pushed;
mod refresh;
mod streams;

pub use backchannel::{session_ref, Delivery, DeliveryRef, RETRY_WINDOW};
pub use codec::{decode, encode};
pub use consent::Consent;
pub use handles::{
    AccessToken, Code, FamilyId, ForwardReturnHandle, ForwardSessionId, PushedHandle, RefreshToken, SessionId,
    TicketHandle,
};
pub use pictures::{PictureLink, StoredPicture};
pub use pushed::PushedRequest;
pub use refresh::Rotation;
pub use streams::{ClientGrant, StoredStream, StreamDelivery, StreamStatus, HELD_CAP, HELD_WINDOW};

pub use kinds::{
    AccessGrant, AuthCode, AuthorizationRequest, BindingDigest, Disclosure, FormPostAnswer, ForwardReturn,
    ForwardSession, PendingLogin, Prompt, RefreshGrant, Session, Ticket,
};

use super::seal::Sealer;
use super::{Store, StoreError};
use crate::policy::UserKey;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use kinds::RedeemedCode;
use rand::RngCore;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// A fresh random handle: 256 bits, base64url.
pub fn random_handle() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn digest(handle: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(handle.as_bytes()))
}

fn key(kind: &str, handle: &str) -> String {
    format!("{kind}:{}", digest(handle))
}

fn user_index(user: &UserKey) -> String {
    format!("idx:user:{}", user.as_str())
}

fn session_index(session: &SessionId) -> String {
    key("idx:session", session.as_str())
}

/// The index of the session stored at `session_key` (same digest).
fn session_index_of(session_key: &str) -> Option<String> {
    session_key.strip_prefix("session:").map(|digest| format!("idx:session:{digest}"))
}

fn email_index(email_key: &str) -> String {
    format!("idx:email:{email_key}")
}

/// The capped class of records anyone can create before signing in:
/// notice tickets, pending upstream logins, forward-auth returns, pushed
/// authorization requests.
const PRE_LOGIN: &str = "pre-login";

#[derive(Clone)]
pub struct Records {
    store: Arc<dyn Store>,
    sealer: Arc<Sealer>,
    /// How long user and email indexes live: the longest record lifetime.
    index_ttl: Duration,
    /// How many pre-login records may be live at once.
    pending_cap: u64,
}

impl Records {
    pub fn new(store: Arc<dyn Store>, sealer: Arc<Sealer>, index_ttl: Duration) -> Self {
        Self { store, sealer, index_ttl, pending_cap: crate::config::Limits::default().max_pending }
    }

    /// Sets how many pre-login records may be live at once (`limits.max_pending`).
    pub fn with_pending_cap(self, pending_cap: u64) -> Self {
        Self { pending_cap, ..self }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn seal<T: Serialize>(&self, key: &str, value: &T) -> Result<Vec<u8>, StoreError> {
        self.sealer.seal(key, &encode(value)?)
    }

    async fn put<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<(), StoreError> {
        self.store.put(key, &self.seal(key, value)?, ttl).await
    }

    /// Rewrites a record only while it exists (see [`Store::replace`]).
    async fn replace<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<bool, StoreError> {
        self.store.replace(key, &self.seal(key, value)?, ttl).await
    }

    fn open<T: DeserializeOwned>(&self, key: &str, bytes: Option<Vec<u8>>) -> Result<Option<T>, StoreError> {
        let Some(bytes) = bytes else { return Ok(None) };
        let plain = self.sealer.open(key, &bytes)?;
        match decode(&plain) {
            Ok(value) => Ok(Some(value)),
            // The seal proved these bytes are claimgate's own: a record an
            // earlier version wrote in a shape this one no longer reads (a
            // sign-in in progress across an upgrade, say) is treated as
            // gone; it ends within its lifetime.
            Err(_) => {
                tracing::debug!(
                    kind = key.split(':').next().unwrap_or_default(),
                    "record of an earlier version ignored"
                );
                Ok(None)
            }
        }
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.open(key, self.store.get(key).await?)
    }

    async fn take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.open(key, self.store.take(key).await?)
    }

    /// Stores a pre-login record, within `limits.max_pending`.
    async fn put_pre_login<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<(), StoreError> {
        match self.store.put_capped(PRE_LOGIN, key, &self.seal(key, value)?, ttl, self.pending_cap).await? {
            true => Ok(()),
            false => Err(StoreError::Full(PRE_LOGIN)),
        }
    }

    async fn take_pre_login<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.open(key, self.store.take_capped(PRE_LOGIN, key).await?)
    }

    /// Indexes a record under its user for as long as the record can live,
    /// so that the index never holds more than the user's live records.
    async fn index(&self, user: &UserKey, record_key: &str, ttl: Duration) -> Result<(), StoreError> {
        self.store.set_add(&user_index(user), record_key, ttl).await
    }

    /// Stores a record that must end with its SSO session: indexed under
    /// the session, which logout, withdrawal and erasure read (the session
    /// itself is in the user's index). Not under the user too: one index
    /// entry per record instead of two (issue 31; the previous release's
    /// erasure already reads the sessions' indexes).
    async fn put_in_session<T: Serialize>(
        &self,
        kind: &str,
        handle: &str,
        value: &T,
        session: &SessionId,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let k = key(kind, handle);
        self.store.set_add(&session_index(session), &k, ttl).await?;
        self.put(&k, value, ttl).await
    }

    /// [`Self::put_in_session`], then confirms the session still exists: a
    /// logout or erasure running meanwhile may have swept the session's
    /// indexes before this record joined them. `end_session` and
    /// `erase_user` sweep again after deleting the session, so a record that
    /// still saw the session here is swept by them; one that did not is
    /// deleted here. False when the session has ended.
    async fn put_in_live_session<T: Serialize>(
        &self,
        kind: &str,
        handle: &str,
        value: &T,
        session: &SessionId,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.put_in_session(kind, handle, value, session, ttl).await?;
        if self.store.get(&key("session", session.as_str())).await?.is_some() {
            return Ok(true);
        }
        self.store.delete(&key(kind, handle)).await?;
        Ok(false)
    }

    pub async fn put_pending(&self, state: &str, p: &PendingLogin, ttl: Duration) -> Result<(), StoreError> {
        self.put_pre_login(&key("pending", state), p, ttl).await
    }

    /// Single use: a replayed callback finds nothing.
    pub async fn take_pending(&self, state: &str) -> Result<Option<PendingLogin>, StoreError> {
        self.take_pre_login(&key("pending", state)).await
    }

    /// The provider a pending login waits for, without taking it.
    pub async fn pending_provider(&self, state: &str) -> Result<Option<crate::ids::ProviderId>, StoreError> {
        Ok(self.get::<PendingLogin>(&key("pending", state)).await?.map(|p| p.provider))
    }

    /// A form-post provider's answer, until the same-site hop takes it
    /// (within `limits.max_pending`, like the pending login it answers).
    pub async fn put_form_post(&self, state: &str, a: &FormPostAnswer, ttl: Duration) -> Result<(), StoreError> {
        self.put_pre_login(&key("form-post", state), a, ttl).await
    }

    pub async fn take_form_post(&self, state: &str) -> Result<Option<FormPostAnswer>, StoreError> {
        self.take_pre_login(&key("form-post", state)).await
    }

    pub async fn put_ticket(&self, handle: &TicketHandle, t: &Ticket, ttl: Duration) -> Result<(), StoreError> {
        self.put_pre_login(&key("ticket", handle.as_str()), t, ttl).await
    }

    pub async fn take_ticket(&self, handle: &TicketHandle) -> Result<Option<Ticket>, StoreError> {
        self.take_pre_login(&key("ticket", handle.as_str())).await
    }

    pub async fn put_forward_return(
        &self,
        handle: &ForwardReturnHandle,
        r: &ForwardReturn,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.put_pre_login(&key("fa-return", handle.as_str()), r, ttl).await
    }

    pub async fn take_forward_return(&self, handle: &ForwardReturnHandle) -> Result<Option<ForwardReturn>, StoreError> {
        self.take_pre_login(&key("fa-return", handle.as_str())).await
    }

    /// A forward-auth cookie's record, indexed under its SSO session, so
    /// logout and erasure end it.
    /// False when the session ended meanwhile (nothing is stored).
    pub async fn put_forward_session(
        &self,
        id: &ForwardSessionId,
        f: &ForwardSession,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.put_in_live_session("fa-session", id.as_str(), f, &f.session, ttl).await
    }

    pub async fn get_forward_session(&self, id: &ForwardSessionId) -> Result<Option<ForwardSession>, StoreError> {
        self.get(&key("fa-session", id.as_str())).await
    }

    pub async fn put_code(&self, code: &Code, c: &AuthCode, ttl: Duration, user: &UserKey) -> Result<(), StoreError> {
        let k = key("code", code.as_str());
        self.index(user, &k, ttl).await?;
        self.put(&k, c, ttl).await
    }

    /// Single use, atomically: of two racing redemptions one wins.
    pub async fn take_code(&self, code: &Code) -> Result<Option<AuthCode>, StoreError> {
        self.take(&key("code", code.as_str())).await
    }

    /// Remembers which tokens a code was redeemed for (its access token and
    /// refresh-token family), while they live (and only within its session,
    /// so logout and erasure end it).
    pub async fn note_redeemed_code(
        &self,
        code: &Code,
        access_token: &AccessToken,
        family: Option<&FamilyId>,
        session: &SessionId,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let redeemed =
            RedeemedCode { access_keys: vec![key("access", access_token.as_str())], family: family.cloned() };
        self.put_in_session("code-used", code.as_str(), &redeemed, session, ttl).await
    }

    /// A code was presented again: revokes every token it was redeemed for.
    /// Returns whether the code had been redeemed (a replay, not a forgery).
    pub async fn revoke_replayed_code(&self, code: &Code) -> Result<bool, StoreError> {
        let Some(redeemed) = self.take::<RedeemedCode>(&key("code-used", code.as_str())).await? else {
            return Ok(false);
        };
        for access in &redeemed.access_keys {
            self.store.delete(access).await?;
        }
        if let Some(family) = &redeemed.family {
            self.revoke_family(family).await?;
        }
        Ok(true)
    }

    /// Stores a new session and indexes it under its user (and, for
    /// erasure by address, under the keyed hash of the user's email).
    pub async fn open_session(
        &self,
        id: &SessionId,
        s: &Session,
        ttl: Duration,
        email_key: Option<&str>,
    ) -> Result<(), StoreError> {
        // Activity extends a session up to its absolute end: index it that long.
        // The user index names the session; its own index is derived from
        // that name at erasure (`session_index_of`), not listed too.
        let k = key("session", id.as_str());
        self.index(&s.user_key, &k, self.index_ttl).await?;
        if let Some(email_key) = email_key {
            let idx = email_index(email_key);
            self.index(&s.user_key, &idx, self.index_ttl).await?;
            self.store.set_add(&idx, s.user_key.as_str(), self.index_ttl).await?;
        }
        self.put(&k, s, ttl).await
    }

    /// Rewrites a live session (activity, consents, disclosures) with a new
    /// TTL. Returns false, writing nothing, when the session ended since it
    /// was read: a racing logout or erasure is never undone.
    pub async fn update_session(&self, id: &SessionId, s: &Session, ttl: Duration) -> Result<bool, StoreError> {
        self.replace(&key("session", id.as_str()), s, ttl).await
    }

    pub async fn get_session(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        self.get(&key("session", id.as_str())).await
    }

    /// Ends a session and every access token issued under it.
    /// Ends a session and everything issued under it. The index is swept
    /// before the session is deleted (a failure midway leaves no token alive
    /// under a live session) and after (a token whose write raced this
    /// sweep, see [`Self::put_in_live_session`]).
    pub async fn end_session(&self, id: &SessionId) -> Result<(), StoreError> {
        let idx = session_index(id);
        for member in self.store.set_members(&idx).await? {
            self.store.delete(&member).await?;
        }
        self.store.delete(&key("session", id.as_str())).await?;
        for member in self.store.set_members(&idx).await? {
            self.store.delete(&member).await?;
        }
        self.store.delete(&idx).await
    }

    /// False when the session ended meanwhile (nothing is stored).
    pub async fn put_access(&self, token: &AccessToken, g: &AccessGrant, ttl: Duration) -> Result<bool, StoreError> {
        self.put_in_live_session("access", token.as_str(), g, &g.session, ttl).await
    }

    pub async fn get_access(&self, token: &AccessToken) -> Result<Option<AccessGrant>, StoreError> {
        self.get(&key("access", token.as_str())).await
    }

    pub async fn delete_access(&self, token: &AccessToken) -> Result<(), StoreError> {
        self.store.delete(&key("access", token.as_str())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hide_the_handle() {
        let h = random_handle();
        assert_eq!(h.len(), 43);
        let k = key("code", &h);
        assert!(k.starts_with("code:") && !k.contains(&h));
        assert_ne!(random_handle(), h);
        assert_eq!(session_index_of(&key("session", &h)), Some(session_index(&SessionId::presented(h.as_str()))));
        assert_eq!(session_index_of(&key("access", &h)), None);
    }
}
