//! The user's consent per app, read and written for the sign-in steps and
//! the token grants (the rule itself: `policy::disclosure`). A consent given
//! under another `notice.version` counts as none (the notice's section 11:
//! material changes are asked again).

use crate::account::session;
use crate::config::ClientConfig;
use crate::ids::ClientId;
use crate::policy::disclosure::{Asked, ClaimsRequest, Decision, Scopes};
use crate::policy::UserKey;
use crate::state::AppState;
use crate::store::records::{random_handle, AuthorizationRequest, Consent, Session, SessionId};
use crate::store::StoreError;

/// The session a consent belongs to: none when consents are remembered
/// across sessions (`lifetimes.consent_secs` > 0).
pub fn scope_of<'a>(state: &AppState, session_id: &'a SessionId) -> Option<&'a SessionId> {
    state.config.lifetimes.consent.is_none().then_some(session_id)
}

/// The user's live consent for `client` under the current notice version
/// (given in the session `session_id` when consents are per session).
pub async fn current(
    state: &AppState,
    user: &UserKey,
    client: &ClientId,
    session_id: &SessionId,
) -> Result<Option<Consent>, StoreError> {
    let consent = state.records.get_consent(user, client, scope_of(state, session_id)).await?;
    Ok(consent.filter(|c| c.notice_version == state.config.notice.version && c.expires_at > state.now()))
}

/// The decision a consent holds (none: nothing given, nothing declined).
pub fn decision(consent: Option<&Consent>) -> Decision {
    consent.map(|c| Decision { given: c.given.clone(), declined: c.declined.clone() }).unwrap_or_default()
}

/// What `request` asks of `client`.
pub fn asked(client: &ClientConfig, request: &AuthorizationRequest) -> Asked {
    asked_for(client, &request.scope, request.claims.as_ref())
}

/// What an authorization with `scope` and `claims` asks of `client`.
fn asked_for(client: &ClientConfig, scope: &Scopes, claims: Option<&ClaimsRequest>) -> Asked {
    Asked::of(&client.claims, scope, claims)
}

/// What an authorization with `scope` and `claims` may release now, per
/// target (ID token, userinfo): asked ∩ configured now ∩ consented.
pub async fn releasable(
    state: &AppState,
    client: &ClientConfig,
    (user, session_id): (&UserKey, &SessionId),
    scope: &Scopes,
    claims: Option<&ClaimsRequest>,
) -> Result<(Asked, Decision), StoreError> {
    let asked = asked_for(client, scope, claims);
    let decision = decision(current(state, user, &client.id, session_id).await?.as_ref());
    Ok((asked, decision))
}

/// Stores `decision` as the user's consent for `client` (a new receipt),
/// for `lifetimes.consent_secs`, or until the session ends when that is 0.
pub async fn record(
    state: &AppState,
    session_id: &SessionId,
    session: &Session,
    client: &ClientConfig,
    decision: Decision,
) -> Result<Consent, StoreError> {
    let ttl = match state.config.lifetimes.consent {
        Some(lifetime) => lifetime,
        None => session::until_end(state, session),
    };
    let in_session = scope_of(state, session_id);
    let consent = Consent {
        client_id: client.id.clone(),
        given: decision.given,
        declined: decision.declined,
        at: state.now(),
        notice_version: state.config.notice.version.clone(),
        receipt_id: random_handle(),
        expires_at: state.now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
    };
    state.records.put_consent(&session.user_key, &consent, ttl, in_session).await?;
    let (given, declined): (Vec<&str>, Vec<&str>) =
        (consent.given.iter().map(|c| c.as_str()).collect(), consent.declined.iter().map(|c| c.as_str()).collect());
    tracing::info!(target: "claimgate::audit", client = %client.id, given = ?given, declined = ?declined, "consent recorded");
    Ok(consent)
}

/// Every consent the user holds for this session's view: all remembered
/// ones, or (per-session consents) those given in this session.
pub async fn all_of(state: &AppState, user: &UserKey, session_id: &SessionId) -> Result<Vec<Consent>, StoreError> {
    match scope_of(state, session_id) {
        None => state.records.consents_of(user).await,
        Some(session) => {
            let mut consents = Vec::new();
            for client in state.config.clients.keys() {
                consents.extend(state.records.get_consent(user, client, Some(session)).await?);
            }
            Ok(consents)
        }
    }
}
