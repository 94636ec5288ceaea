//! `clients.ID.ssf`, `ssf_push_url`, `ssf_push_authorization`, `ssf_events`:
//! how an app receives Shared Signals (SSF 1.0) events, if at all.

use super::uris::RegisteredUri;
use super::{env_name, invalid, secret, ConfigError};
use crate::secevent::EventType;
use secrecy::SecretString;
use std::collections::BTreeSet;

/// How a client receives security events.
#[derive(Debug, Default)]
pub enum Signals {
    /// It receives none.
    #[default]
    Off,
    /// `ssf = true`: it manages its own stream through the SSF API with a
    /// `client_credentials` token (scope `ssf`).
    Managed,
    /// `ssf_push_url`: a stream fixed in the config (RFC 8935 push), for
    /// deployments without the API.
    Static(StaticStream),
}

/// A push stream fixed in the config; always enabled.
#[derive(Debug)]
pub struct StaticStream {
    pub push_url: RegisteredUri,
    /// The `Authorization` header value sent with each push (RFC 8935 §2).
    pub authorization: Option<SecretString>,
    /// `ssf_events`; default: every event type but verification.
    pub events: BTreeSet<EventType>,
}

impl Signals {
    pub fn static_stream(&self) -> Option<&StaticStream> {
        match self {
            Signals::Static(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_managed(&self) -> bool {
        matches!(self, Signals::Managed)
    }
}

/// The keys as written.
pub(super) struct RawSignals<'a> {
    pub ssf: bool,
    pub push_url: Option<&'a str>,
    pub push_authorization: Option<String>,
    pub events: Option<&'a [String]>,
}

pub(super) fn validate(
    id: &str,
    raw: RawSignals,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Signals, ConfigError> {
    let key = |k: &str| format!("clients.{id}.{k}");
    let authorization = secret(
        raw.push_authorization,
        &key("ssf_push_authorization"),
        &env_name("CLIENT", id, "ssf_push_authorization"),
        env,
    )?;
    let Some(url) = raw.push_url else {
        if authorization.is_some() {
            return Err(invalid(key("ssf_push_authorization"), "needs ssf_push_url"));
        }
        if raw.events.is_some() {
            return Err(invalid(key("ssf_events"), "needs ssf_push_url (a managed stream requests its own events)"));
        }
        return Ok(if raw.ssf { Signals::Managed } else { Signals::Off });
    };
    if raw.ssf {
        let why = "give ssf = true (the app manages its stream) or ssf_push_url (a stream fixed here), not both";
        return Err(invalid(key("ssf_push_url"), why));
    }
    // RFC 8935 §2: an https URL (http only on loopback, for development).
    let push_url = RegisteredUri::backchannel(url).map_err(|e| invalid(key("ssf_push_url"), e.to_string()))?;
    let events = match raw.events {
        None => EventType::ALL.into_iter().filter(|e| *e != EventType::Verification).collect(),
        Some([]) => return Err(invalid(key("ssf_events"), "name at least one event type, or remove the key")),
        Some(list) => {
            let mut events = BTreeSet::new();
            for (i, uri) in list.iter().enumerate() {
                let event = EventType::parse(uri).ok_or_else(|| {
                    let known: Vec<&str> = EventType::ALL.iter().map(|e| e.uri()).collect();
                    invalid(key(&format!("ssf_events[{i}]")), format!("\"{uri}\" is not one of {}", known.join(", ")))
                })?;
                events.insert(event);
            }
            events
        }
    };
    Ok(Signals::Static(StaticStream { push_url, authorization, events }))
}
