//! The Shared Signals transmitter (SSF 1.0): which events reach which
//! app's stream, signed as SETs (`secevent`), pushed through the
//! back-channel delivery queue (RFC 8935) or held for polling (RFC 8936).
//!
//! An app hears only about users it received data about (a disclosure in a
//! session, or a consent), and only its own pairwise `sub`: two apps' SETs
//! about one user share no value, `txn` included.

pub mod poll;
pub mod push;
pub mod streams;

use crate::config::ClientConfig;
use crate::ids::ClientId;
use crate::policy::UserKey;
use crate::secevent::{self, Event, EventType, Initiator, SetContent, Subject};
use crate::signing::SigningAlg;
use crate::state::Notifier;
use crate::store::records::{random_handle, Delivery, DeliveryRef, Session, StreamDelivery, StreamStatus};
use crate::store::StoreError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use streams::Stream;

/// One thing a user or the operator did, which may tell several apps:
/// each app's SETs of it share one `txn`, which no other app sees.
pub struct Action {
    pub initiator: Initiator,
    seed: String,
}

impl Action {
    pub fn new(initiator: Initiator) -> Self {
        Self { initiator, seed: random_handle() }
    }

    /// This action's `txn` for `client` (RFC 8417 §2.2): derived from a
    /// random seed, so that it links nothing across apps or actions.
    fn txn_for(&self, client: &ClientId) -> String {
        let digest = Sha256::digest(format!("{}\n{client}", self.seed).as_bytes());
        URL_SAFE_NO_PAD.encode(digest)
    }
}

/// What became of one event for one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Emitted {
    /// Queued for push; attempted like a back-channel logout.
    Queued(DeliveryRef),
    /// Held: for polling, or while the stream is paused.
    Held,
    /// Not sent: no stream, the event not requested, the stream disabled
    /// or full.
    NotSent,
}

/// The algorithm a client's SETs are signed in: its ID tokens'.
fn alg_for(client: &ClientConfig) -> SigningAlg {
    client.oidc().map_or(SigningAlg::Rs256, |o| o.id_token_alg)
}

/// Signs `event` for `client`'s stream and queues, holds or drops it as
/// the stream's delivery and status say.
pub async fn emit(
    n: &Notifier<'_>,
    client: &ClientConfig,
    event: &Event,
    subject: Subject<'_>,
    txn: Option<&str>,
) -> Result<Emitted, StoreError> {
    let Some(stream) = Stream::of(n, client).await? else { return Ok(Emitted::NotSent) };
    let kind = event.kind();
    // SSF 1.0: verification events go to every stream; others only where
    // delivered (requested ∩ supported).
    if kind != EventType::Verification && !stream.delivers(kind) {
        return Ok(Emitted::NotSent);
    }
    let count = |outcome: &str| n.metrics.ssf_events.with_label_values(&[&client.id, kind.label(), outcome]).inc();
    if stream.status == StreamStatus::Disabled {
        count("dropped_disabled");
        return Ok(Emitted::NotSent);
    }
    let Some(key) = n.keys.signing.signer(alg_for(client)) else {
        tracing::error!(client = %client.id, "no signing key for the client's algorithm: security event not sent");
        count("unsigned");
        return Ok(Emitted::NotSent);
    };
    let jti = random_handle();
    let content = SetContent { issuer: n.issuer, audience: &client.id, jti: &jti, txn, subject, event, now: n.now() };
    let Ok(set) = secevent::sign(key, &content) else {
        count("unsigned");
        return Ok(Emitted::NotSent);
    };
    let emitted = match (&stream.delivery, stream.status) {
        (StreamDelivery::Push { .. }, StreamStatus::Enabled) => Emitted::Queued(queue(n, &client.id, jti, set).await?),
        _ if n.records.hold_event(&client.id, &jti, &set).await? => Emitted::Held,
        _ => {
            tracing::warn!(client = %client.id, event = kind.label(), "stream holds too many events: event dropped");
            count("dropped_full");
            return Ok(Emitted::NotSent);
        }
    };
    let outcome = if emitted == Emitted::Held { "held" } else { "queued" };
    count(outcome);
    tracing::info!(target: "claimgate::audit", client = %client.id, event = kind.label(), outcome, "security event");
    Ok(emitted)
}

/// Queues a signed SET on the back-channel delivery queue.
async fn queue(n: &Notifier<'_>, client: &ClientId, jti: String, set: String) -> Result<DeliveryRef, StoreError> {
    let delivery = Delivery {
        client_id: client.clone(),
        sub: String::new(),
        sid: String::new(),
        jti,
        attempts: 0,
        next_at: n.now(),
        queued_at: n.now(),
        set: Some(set),
    };
    n.records.queue_delivery(&delivery).await
}

/// Emits `event` about `user` to `client`, as that app's pairwise subject.
pub async fn tell(
    n: &Notifier<'_>,
    client: &ClientConfig,
    user: &UserKey,
    event: &Event,
    action: &Action,
) -> Result<Emitted, StoreError> {
    let sub = n.keys.pseudonymizer.pairwise_subject(&client.id, user);
    let txn = action.txn_for(&client.id);
    emit(n, client, event, Subject::User { sub: &sub }, Some(&txn)).await
}

/// The queued pushes of what was emitted (for reporting erasure).
pub fn queued(emitted: impl IntoIterator<Item = (ClientId, Emitted)>) -> Vec<(ClientId, DeliveryRef)> {
    emitted
        .into_iter()
        .filter_map(|(c, e)| match e {
            Emitted::Queued(r) => Some((c, r)),
            _ => None,
        })
        .collect()
}

/// RISC `account-purged` to every app the user's data reached (GDPR Art.
/// 19): each app of a consent or of a disclosure in one of `sessions` (the
/// user's, as erasure read them).
pub async fn account_purged(
    n: &Notifier<'_>,
    user: &UserKey,
    sessions: &[(String, Session)],
    action: &Action,
) -> Result<Vec<(ClientId, Emitted)>, StoreError> {
    let mut reached: Vec<ClientId> = n.records.consents_of(user).await?.into_iter().map(|c| c.client_id).collect();
    for (_, session) in sessions {
        reached.extend(session.disclosures.iter().map(|d| d.client_id.clone()));
    }
    reached.sort_unstable();
    reached.dedup();
    let mut emitted = Vec::new();
    for client in reached.iter().filter_map(|c| n.client(c)) {
        emitted.push((client.id.clone(), tell(n, client, user, &Event::AccountPurged, action).await?));
    }
    Ok(emitted)
}

/// Moves what a push stream held while paused (or while it was a poll
/// stream) to the delivery queue, now that it is an enabled push stream.
pub async fn release_held(n: &Notifier<'_>, client: &ClientConfig) -> Result<usize, StoreError> {
    let Some(stream) = Stream::of(n, client).await? else { return Ok(0) };
    if !matches!((&stream.delivery, stream.status), (StreamDelivery::Push { .. }, StreamStatus::Enabled)) {
        return Ok(0);
    }
    let mut released = 0;
    for jti in n.records.held_events(&client.id).await? {
        if let Some(set) = n.records.held_event(&client.id, &jti).await? {
            queue(n, &client.id, jti.clone(), set).await?;
            released += 1;
        }
        n.records.drop_held(&client.id, &jti).await?;
    }
    Ok(released)
}
