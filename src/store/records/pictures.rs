//! Proxied pictures: one re-encoded image per user, and one link per client
//! and user from the handle in that client's `/picture/{handle}` URL to it.
//!
//! Both are indexed under the user, so erasure deletes them; both live as
//! long as the user's newest session can, and a new login rewrites them.

use super::{key, Records};
use crate::ids::ClientId;
use crate::policy::UserKey;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A user's picture as claimgate serves it: PNG bytes claimgate encoded
/// itself (no byte or metadata of the provider's file), and their ETag.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredPicture {
    pub png: Vec<u8>,
    pub etag: String,
    /// Where it came from (`pictures::source_of`: a digest of the
    /// provider's URL) and when it was fetched or last revalidated: a
    /// login with the same source uses it again instead of fetching.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub fetched_at: i64,
    /// The source's validators and freshness (`pictures::SourceCache`).
    #[serde(default)]
    pub source_etag: Option<String>,
    #[serde(default)]
    pub source_last_modified: Option<String>,
    #[serde(default)]
    pub fresh_secs: u64,
}

impl std::fmt::Debug for StoredPicture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoredPicture({} bytes)", self.png.len())
    }
}

/// What one client's picture handle leads to.
#[derive(Debug, Serialize, Deserialize)]
pub struct PictureLink {
    pub client_id: ClientId,
    pub user_key: UserKey,
}

impl Records {
    pub async fn put_picture(&self, user: &UserKey, p: &StoredPicture, ttl: Duration) -> Result<(), StoreError> {
        let k = key("picture", user.as_str());
        self.index(user, &k, ttl).await?;
        self.put(&k, p, ttl).await
    }

    pub async fn get_picture(&self, user: &UserKey) -> Result<Option<StoredPicture>, StoreError> {
        self.get(&key("picture", user.as_str())).await
    }

    /// The user's provider no longer sends a picture: stop serving the old one.
    pub async fn delete_picture(&self, user: &UserKey) -> Result<(), StoreError> {
        self.store.delete(&key("picture", user.as_str())).await
    }

    pub async fn put_picture_link(&self, handle: &str, link: &PictureLink, ttl: Duration) -> Result<(), StoreError> {
        let k = key("picture-link", handle);
        self.index(&link.user_key, &k, ttl).await?;
        self.put(&k, link, ttl).await
    }

    pub async fn get_picture_link(&self, handle: &str) -> Result<Option<PictureLink>, StoreError> {
        self.get(&key("picture-link", handle)).await
    }

    /// One client's link to the user's picture ends (consent withdrawn).
    pub async fn delete_picture_link(&self, handle: &str) -> Result<(), StoreError> {
        self.store.delete(&key("picture-link", handle)).await
    }
}
