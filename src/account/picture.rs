//! The user's picture under the picture proxy (see `crate::pictures`): a
//! login's picture fetched and kept as `Proxied`, and the URL each client
//! receives instead of the provider's.

use crate::config::{ClientConfig, PictureMode, ProviderConfig};
use crate::policy::{Picture, Profile, ProfileClaim, UserKey};
use crate::state::AppState;
use crate::store::records::{PictureLink, Session};
use crate::store::StoreError;

/// At login, in proxy mode: fetch the provider's picture, store it
/// re-encoded for as long as a session can last, and keep only the fact
/// that it is proxied. The provider's URL goes no further; when the fetch
/// fails the profile has no picture. Returns the outcome, for the audit
/// log and `claimgate_pictures_total`.
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
        Some(Picture::Link(url)) => match state.pictures.fetch(&provider.picture_hosts, &url).await {
            Ok(picture) => {
                match state.records.put_picture(user, &picture, state.config.lifetimes.session_absolute).await {
                    Ok(()) => {
                        profile.picture = Some(Picture::Proxied);
                        "proxied"
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "store failed while keeping a picture");
                        "store_failed"
                    }
                }
            }
            Err(refusal) => match state.records.delete_picture(user).await {
                // The previous picture is not served in this one's place:
                // apps' URLs answer what /me shows (none).
                Ok(()) => refusal.reason(),
                Err(e) => {
                    tracing::error!(error = %e, "store failed while deleting a picture");
                    "store_failed"
                }
            },
        },
        // The provider sends no picture (any more): the old one is not served.
        _ => match state.records.delete_picture(user).await {
            Ok(()) => "none",
            Err(e) => {
                tracing::error!(error = %e, "store failed while deleting a picture");
                "store_failed"
            }
        },
    };
    state.metrics.pictures.with_label_values(&[&provider.id, outcome]).inc();
    outcome
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
