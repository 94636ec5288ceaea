//! The user's picture under the picture proxy (see `crate::pictures`): a
//! login's picture fetched and kept as `Proxied`, and the URL each client
//! receives instead of the provider's.

use crate::config::{ClientConfig, PictureMode, ProviderConfig};
use crate::pictures::{self, Fetched, SourceCache};
use crate::policy::{Picture, Profile, ProfileClaim, UserKey};
use crate::state::AppState;
use crate::store::records::{PictureLink, Session, StoredPicture};
use crate::store::StoreError;

/// At login, in proxy mode: fetch the provider's picture, store it
/// re-encoded for as long as a session can last, and keep only the fact
/// that it is proxied. The provider's URL goes no further; when the fetch
/// fails the profile has no picture. A picture kept from the same URL is
/// used again while its source said it is fresh, and revalidated after
/// (a 304 costs no decoding). Returns the outcome, for the audit log and
/// `claimgate_pictures_total`.
pub async fn settle(
    state: &AppState,
    provider: &ProviderConfig,
    user: &UserKey,
    profile: &mut Profile,
) -> &'static str {
    if state.config.notice.picture == PictureMode::Link {
        return "linked";
    }
    let outcome = match profile.picture.take() {
        Some(Picture::Link(url)) => match kept_or_fetched(state, provider, user, &url).await {
            Ok((picture, outcome)) => {
                match state.records.put_picture(user, &picture, state.config.lifetimes.session_absolute).await {
                    Ok(()) => {
                        profile.picture = Some(Picture::Proxied);
                        outcome
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "store failed while keeping a picture");
                        "store_failed"
                    }
                }
            }
            Err(reason) => forget(state, user, reason).await,
        },
        // The provider sends no picture (any more): the old one is not served.
        _ => forget(state, user, "none").await,
    };
    state.metrics.pictures.with_label_values(&[&provider.id, outcome]).inc();
    outcome
}

/// The picture to keep for `url`: the one kept before from it while fresh
/// ("reused"), or after the source says it has not changed
/// ("revalidated"), else a new one ("proxied"). Err: the refusal's reason.
async fn kept_or_fetched(
    state: &AppState,
    provider: &ProviderConfig,
    user: &UserKey,
    url: &str,
) -> Result<(StoredPicture, &'static str), &'static str> {
    let source = pictures::source_of(url);
    let now = state.now();
    // Kept only from a host still listed (the config may have changed since).
    let listed = url::Url::parse(url).is_ok_and(|u| provider.picture_hosts.allow(&u));
    // A store that does not answer here only costs a fetch.
    let kept = match listed {
        true => state.records.get_picture(user).await.ok().flatten().filter(|p| p.source == source),
        false => None,
    };
    if let Some(p) = kept.as_ref().filter(|p| now < p.fetched_at.saturating_add_unsigned(p.fresh_secs)) {
        return Ok((p.clone(), "reused"));
    }
    let known = kept.as_ref().map(|p| SourceCache {
        etag: p.source_etag.clone(),
        last_modified: p.source_last_modified.clone(),
        fresh_secs: p.fresh_secs,
    });
    let known = known.filter(|k| k.etag.is_some() || k.last_modified.is_some());
    let (png, etag, cache, outcome) = match state.pictures.fetch(&provider.picture_hosts, url, known.as_ref()).await {
        // A 304 need not repeat the validators: the kept ones stay.
        Ok(Fetched::Unchanged(mut cache)) => match kept {
            Some(p) => {
                cache.etag = cache.etag.or(p.source_etag);
                cache.last_modified = cache.last_modified.or(p.source_last_modified);
                (p.png, p.etag, cache, "revalidated")
            }
            None => return Err("status"),
        },
        Ok(Fetched::New(png, cache)) => {
            let etag = pictures::etag(&png);
            (png, etag, cache, "proxied")
        }
        Err(refusal) => return Err(refusal.reason()),
    };
    let SourceCache { etag: source_etag, last_modified: source_last_modified, fresh_secs } = cache;
    let picture = StoredPicture { png, etag, source, fetched_at: now, source_etag, source_last_modified, fresh_secs };
    Ok((picture, outcome))
}

/// No picture from this login: the previous one is not served in its
/// place (apps' URLs answer what /me shows: none).
async fn forget(state: &AppState, user: &UserKey, reason: &'static str) -> &'static str {
    match state.records.delete_picture(user).await {
        Ok(()) => reason,
        Err(e) => {
            tracing::error!(error = %e, "store failed while deleting a picture");
            "store_failed"
        }
    }
}

/// `profile` (the session's, or the part of it a token releases) as
/// `client` receives it: a proxied picture becomes the client's own
/// `/picture/{handle}` URL; a provider URL is released only in link mode
/// (one kept before the proxy was turned on is not). The link is one per
/// client and user, shared by all the user's sessions, so it lives as long
/// as the picture (the longest a session can last, from now): a write from
/// an older session never shortens it under a newer one.
pub async fn for_client(
    state: &AppState,
    client: &ClientConfig,
    session: &Session,
    mut profile: Profile,
) -> Result<Profile, StoreError> {
    let receives_pictures = client.claims.contains(&ProfileClaim::Picture);
    profile.picture = match profile.picture.take().filter(|_| receives_pictures) {
        Some(Picture::Proxied) => {
            let handle = state.keys.pseudonymizer.picture_handle(&client.id, &session.user_key);
            let link = PictureLink { client_id: client.id.clone(), user_key: session.user_key.clone() };
            state.records.put_picture_link(&handle, &link, state.config.lifetimes.session_absolute).await?;
            Some(Picture::Link(state.pictures.url(&handle)))
        }
        Some(Picture::Link(url)) if state.config.notice.picture == PictureMode::Link => Some(Picture::Link(url)),
        _ => None,
    };
    Ok(profile)
}
