//! Poll delivery (RFC 8936): a receiver takes the SETs held for its stream,
//! acknowledges those it processed (`ack`) and reports those it could not
//! (`setErrs`); both are then forgotten. What is not acknowledged is
//! answered again at the next poll, until [`HELD_WINDOW`] passes.
//!
//! [`HELD_WINDOW`]: crate::store::records::HELD_WINDOW

use super::streams::Stream;
use crate::config::ClientConfig;
use crate::state::Notifier;
use crate::store::records::{StreamDelivery, StreamStatus};
use crate::store::StoreError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The most SETs one answer carries, whatever `maxEvents` asks.
pub const MAX_EVENTS: usize = 100;
/// The most `ack` and `setErrs` entries one request may carry.
const MAX_ACKS: usize = 1000;
/// How long a long poll (`returnImmediately: false`) waits for an event.
pub const LONG_POLL: Duration = Duration::from_secs(10);

/// RFC 8936 §2.1 and §2.4: the poll request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollRequest {
    pub max_events: Option<usize>,
    #[serde(default)]
    pub return_immediately: bool,
    #[serde(default)]
    pub ack: Vec<String>,
    #[serde(default)]
    pub set_errs: BTreeMap<String, SetErr>,
}

/// A receiver's report of a SET it could not process (RFC 8936 §2.4).
#[derive(Debug, Deserialize)]
pub struct SetErr {
    pub err: String,
    #[serde(default)]
    pub description: String,
}

/// Why a poll is refused.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("this client has no poll stream")]
    NoPollStream,
    #[error("at most {MAX_ACKS} ack and setErrs entries per request")]
    TooManyAcks,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The poll answer (RFC 8936 §2.2): `sets` by `jti`, and whether more wait.
#[derive(Debug, Default)]
pub struct PollAnswer {
    pub sets: BTreeMap<String, String>,
    pub more_available: bool,
}

/// Forgets what the receiver acknowledged or reported, then answers what
/// is held, at most `maxEvents` (0: only acknowledge, §2.1).
pub async fn poll(n: &Notifier<'_>, client: &ClientConfig, req: &PollRequest) -> Result<PollAnswer, PollError> {
    let stream = Stream::of(n, client).await?.ok_or(PollError::NoPollStream)?;
    if stream.delivery != StreamDelivery::Poll {
        return Err(PollError::NoPollStream);
    }
    if req.ack.len() + req.set_errs.len() > MAX_ACKS {
        return Err(PollError::TooManyAcks);
    }
    for jti in &req.ack {
        n.records.drop_held(&client.id, jti).await?;
        n.metrics.ssf_deliveries.with_label_values(&[&client.id, "acknowledged"]).inc();
    }
    for (jti, e) in &req.set_errs {
        let code = super::push::receiver_error_code(&e.err);
        n.metrics.ssf_receiver_errors.with_label_values(&[&client.id, code]).inc();
        tracing::warn!(target: "claimgate::audit", client = %client.id, err = code, "security event refused by its receiver");
        n.records.drop_held(&client.id, jti).await?;
    }
    let max = req.max_events.unwrap_or(MAX_EVENTS).min(MAX_EVENTS);
    // SSF 1.0: a paused stream transmits nothing (what it holds waits).
    if max == 0 || stream.status != StreamStatus::Enabled {
        return Ok(PollAnswer::default());
    }
    let deadline = n.clock.now() + chrono::Duration::from_std(LONG_POLL).unwrap_or_default();
    loop {
        let answer = take(n, client, max).await?;
        if !answer.sets.is_empty() || req.return_immediately || n.clock.now() >= deadline {
            return Ok(answer);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Up to `max` held SETs (they stay held until acknowledged).
async fn take(n: &Notifier<'_>, client: &ClientConfig, max: usize) -> Result<PollAnswer, StoreError> {
    let mut held = n.records.held_events(&client.id).await?;
    held.sort_unstable();
    let mut answer = PollAnswer::default();
    for jti in &held {
        if answer.sets.len() == max {
            answer.more_available = true;
            break;
        }
        if let Some(set) = n.records.held_event(&client.id, jti).await? {
            answer.sets.insert(jti.clone(), set);
        }
    }
    Ok(answer)
}
