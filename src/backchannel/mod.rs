//! OpenID Connect Back-Channel Logout 1.0: when a session ends (logout,
//! erasure, a refresh token's reuse), claimgate POSTs a logout token to
//! every app that received tokens in it and registered a
//! `backchannel_logout_uri` (and queues the apps' `session-revoked`
//! security events, `signals`, whose pushes share this queue). Deliveries are queued in the store (any
//! instance of a shared store retries them, at least once each), attempted
//! off the user's request, retried with backoff (at most 5 minutes apart)
//! for an hour from the logout ([`RETRY_WINDOW`]), counted
//! in metrics and written to the audit log (client id and outcome only).

pub mod token;

use crate::ids::ClientId;
use crate::secevent::Event;
use crate::signals::push::Handed;
use crate::signals::{self, Action};
use crate::state::{AppState, Notifier};
use crate::store::records::{random_handle, Delivery, DeliveryRef, Session, RETRY_WINDOW};
use crate::store::StoreError;
use std::time::Duration;
use token::{logout_token, LogoutClaims};

/// The longest wait between two attempts: an app that comes back is told
/// within five minutes.
const MAX_BACKOFF_SECS: i64 = 300;
/// How long an instance holds a delivery while attempting it.
const LEASE: Duration = Duration::from_secs(30);

/// What happened to one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Failed; another attempt is scheduled.
    Retrying,
    /// Failed for the last time.
    Failed,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retrying => "retrying",
            Outcome::Failed => "failed",
        }
    }
}

/// Seconds before attempt `n + 1`: 2, 4, 8, … 256, then every 5 minutes,
/// until [`RETRY_WINDOW`] from the logout is over (about 17 attempts).
fn backoff(attempts: u32) -> i64 {
    (1i64 << attempts.min(10)).min(MAX_BACKOFF_SECS)
}

/// When a delivery queued at `queued_at` is given up.
fn deadline(queued_at: i64) -> i64 {
    queued_at.saturating_add(i64::try_from(RETRY_WINDOW.as_secs()).unwrap_or(i64::MAX))
}

/// Queues a logout for every app that received tokens in the session (only
/// `client`, when given) and has a back-channel URI, and a CAEP
/// `session-revoked` event for every such app with a stream that asks for
/// it. Returns the client ids and their queued deliveries.
pub async fn session_ended(
    state: &Notifier<'_>,
    session_ref: &str,
    session: &Session,
    only: Option<&str>,
    action: &Action,
) -> Result<Vec<(ClientId, DeliveryRef)>, StoreError> {
    let mut queued = Vec::new();
    let mut clients: Vec<&str> = session.disclosures.iter().map(|d| d.client_id.as_str()).collect();
    clients.sort_unstable();
    clients.dedup();
    for config in clients.into_iter().filter(|c| only.is_none_or(|o| o == *c)).filter_map(|c| state.client(c)) {
        let revoked = Event::SessionRevoked { initiator: action.initiator };
        let emitted = signals::tell(state, config, &session.user_key, &revoked, action).await?;
        queued.extend(signals::queued([(config.id.clone(), emitted)]));
        if config.oidc().is_none_or(|o| o.backchannel_logout.is_none()) {
            continue;
        }
        let delivery = Delivery {
            client_id: config.id.clone(),
            sub: state.keys.pseudonymizer.pairwise_subject(&config.id, &session.user_key),
            sid: state.keys.pseudonymizer.pairwise_sid(&config.id, session_ref),
            jti: random_handle(),
            attempts: 0,
            next_at: state.now(),
            queued_at: state.now(),
            set: None,
        };
        queued.push((config.id.clone(), state.records.queue_delivery(&delivery).await?));
    }
    Ok(queued)
}

/// Queues the logouts (and `session-revoked` events) of every session of a
/// user about to be erased (`sessions`: each with its reference).
pub async fn user_erased(
    state: &Notifier<'_>,
    sessions: &[(String, Session)],
    action: &Action,
) -> Result<Vec<(ClientId, DeliveryRef)>, StoreError> {
    let mut queued = Vec::new();
    for (reference, session) in sessions {
        queued.extend(session_ended(state, reference, session, None, action).await?);
    }
    Ok(queued)
}

/// How many deliveries one instance attempts at once: a slow app delays
/// the others by one attempt at most.
const CONCURRENCY: usize = 16;

/// Attempts every due delivery once, several at a time.
pub async fn run_due(state: &Notifier<'_>) -> Result<(), StoreError> {
    let queued = state.records.queued_deliveries().await?;
    for batch in queued.chunks(CONCURRENCY) {
        for result in futures_util::future::join_all(batch.iter().map(|r| attempt(state, r))).await {
            result?;
        }
    }
    Ok(())
}

/// Attempts one queued delivery if it is due and no other instance holds it.
pub async fn attempt(state: &Notifier<'_>, r: &DeliveryRef) -> Result<Option<(ClientId, Outcome)>, StoreError> {
    let now = state.now();
    let Some(mut d) = state.records.lease_delivery(r, now, LEASE).await? else { return Ok(None) };
    let result = match d.set.as_deref() {
        Some(set) => signals::push::deliver(state, &d, set).await,
        None => post(state, &d, now).await.map(|()| Handed::Delivered),
    };
    d.attempts += 1;
    // A delivery queued before `queued_at` existed counts from now.
    let queued_at = if d.queued_at == 0 { now } else { d.queued_at };
    let outcome = match result {
        Ok(_) => Outcome::Delivered,
        Err(_) if now + backoff(d.attempts) > deadline(queued_at) => Outcome::Failed,
        Err(_) => Outcome::Retrying,
    };
    match outcome {
        Outcome::Retrying => {
            d.next_at = now + backoff(d.attempts);
            state.records.reschedule_delivery(r, &d).await?;
        }
        _ => state.records.finish_delivery(r).await?,
    }
    let reason = result.err().unwrap_or("");
    if d.set.is_some() {
        // A SET whose stream changed meanwhile was held or dropped, not delivered.
        let label = result.map_or(outcome.label(), Handed::label);
        state.metrics.ssf_deliveries.with_label_values(&[&d.client_id, label]).inc();
        tracing::info!(target: "claimgate::audit", client = %d.client_id, outcome = label, attempt = d.attempts, reason, "security event push");
    } else {
        state.metrics.backchannel.with_label_values(&[&d.client_id, outcome.label()]).inc();
        tracing::info!(target: "claimgate::audit", client = %d.client_id, outcome = outcome.label(), attempt = d.attempts, reason, "back-channel logout");
    }
    Ok(Some((d.client_id, outcome)))
}

/// §2.5: a form POST of the logout token; §2.8: 200 (or 204) means done.
async fn post(state: &Notifier<'_>, d: &Delivery, now: i64) -> Result<(), &'static str> {
    let client = state.client(&d.client_id).ok_or("client_removed")?;
    let oidc = client.oidc().ok_or("client_removed")?;
    let uri = oidc.backchannel_logout.as_ref().ok_or("client_removed")?.uri.as_str();
    let key = state.keys.signing.signer(oidc.id_token_alg).ok_or("no_signing_key")?;
    let claims =
        LogoutClaims { issuer: state.issuer, client_id: &client.id, sub: &d.sub, sid: &d.sid, jti: &d.jti, now };
    let token = logout_token(key, &claims).map_err(|_| "signing_failed")?;
    let http = signals::push::http().ok_or("no_http_client")?;
    let response = http.post(uri).form(&[("logout_token", token)]).send().await.map_err(|_| "unreachable")?;
    match response.status().as_u16() {
        200 | 204 => Ok(()),
        _ => Err("refused"),
    }
}

/// Attempts the deliveries of one logout now, for at most `within`: for
/// pages that report the outcome (erasure). What is not done by then stays
/// queued.
pub async fn attempt_now(
    state: &Notifier<'_>,
    queued: &[(ClientId, DeliveryRef)],
    within: Duration,
) -> Vec<(ClientId, Outcome)> {
    let attempts = futures_util::future::join_all(queued.iter().map(|(client, r)| async move {
        let outcome = tokio::time::timeout(within, attempt(state, r)).await;
        let outcome = match outcome {
            Ok(Ok(Some((_, o)))) => o,
            _ => Outcome::Retrying,
        };
        (client.clone(), outcome)
    }));
    attempts.await
}

/// Every second, attempts what is due, until the application stops.
pub fn spawn_worker(state: &actix_web::web::Data<AppState>) {
    let weak = std::sync::Arc::downgrade(&state.clone().into_inner());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { break };
            if let Err(e) = run_due(&Notifier::from(&*state)).await {
                tracing::warn!(error = %e, "back-channel logout queue unavailable");
            }
        }
    });
}
