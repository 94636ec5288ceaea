//! A client's stream as SSF 1.0's stream management API shows it
//! ("Stream Configuration", "Stream Status"), and the rules for what a
//! receiver may write: a managed stream's record, or a static stream from
//! the config. Every receiver-supplied value is bounded.

use crate::config::{ClientConfig, RegisteredUri, Signals};
use crate::secevent::EventType;
use crate::state::Notifier;
use crate::store::records::{random_handle, StoredStream, StreamDelivery, StreamStatus};
use crate::store::StoreError;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};

/// RFC 8935 push.
pub const PUSH: &str = "urn:ietf:rfc:8935";
/// RFC 8936 poll.
pub const POLL: &str = "urn:ietf:rfc:8936";

/// Seconds between two verification requests of one stream, at least
/// (SSF 1.0 `min_verification_interval`): each makes claimgate sign and
/// send a SET.
pub const MIN_VERIFICATION_INTERVAL: u64 = 10;

const MAX_URL: usize = 2048;
const MAX_AUTHORIZATION: usize = 4096;
const MAX_DESCRIPTION: usize = 256;
const MAX_REASON: usize = 256;
const MAX_EVENTS_REQUESTED: usize = 16;
const MAX_EVENT_URI: usize = 256;

/// A client's stream as it stands, static or managed: a stored stream's
/// fields, with what the API and the transmitter read of them.
pub struct Stream(StoredStream);

impl std::ops::Deref for Stream {
    type Target = StoredStream;
    fn deref(&self) -> &StoredStream {
        &self.0
    }
}

impl Stream {
    /// The client's stream: fixed in the config, or created through the
    /// API; `None` when it has none.
    pub async fn of(n: &Notifier<'_>, client: &ClientConfig) -> Result<Option<Stream>, StoreError> {
        match &client.signals {
            Signals::Off => Ok(None),
            Signals::Static(s) => Ok(Some(Stream(StoredStream {
                stream_id: "static".into(),
                delivery: StreamDelivery::Push {
                    endpoint_url: s.push_url.as_str().to_owned(),
                    authorization_header: s.authorization.as_ref().map(|a| a.expose_secret().to_owned()),
                },
                events_requested: s.events.iter().map(|e| e.uri().to_owned()).collect(),
                description: None,
                status: StreamStatus::Enabled,
                reason: None,
            }))),
            Signals::Managed => Ok(n.records.get_stream(&client.id).await?.map(Stream::from)),
        }
    }

    /// SSF 1.0 `events_delivered`: requested ∩ supported.
    pub fn events_delivered(&self) -> Vec<EventType> {
        let mut delivered: Vec<EventType> = self.events_requested.iter().filter_map(|u| EventType::parse(u)).collect();
        delivered.sort_unstable();
        delivered.dedup();
        delivered
    }

    pub fn delivers(&self, event: EventType) -> bool {
        self.events_delivered().contains(&event)
    }

    /// The stream's configuration as the API answers it. The push
    /// `authorization_header` is the receiver's secret: written, never read back.
    pub fn to_json(&self, issuer: &str, client: &ClientConfig) -> Value {
        let delivery = match &self.delivery {
            StreamDelivery::Push { endpoint_url, .. } => json!({ "method": PUSH, "endpoint_url": endpoint_url }),
            StreamDelivery::Poll => json!({ "method": POLL, "endpoint_url": format!("{issuer}/ssf/poll") }),
        };
        let mut body = json!({
            "stream_id": self.stream_id,
            "iss": issuer,
            "aud": client.id.as_str(),
            "delivery": delivery,
            "events_supported": EventType::ALL.iter().map(|e| e.uri()).collect::<Vec<_>>(),
            "events_requested": self.events_requested,
            "events_delivered": self.events_delivered().iter().map(|e| e.uri()).collect::<Vec<_>>(),
            "min_verification_interval": MIN_VERIFICATION_INTERVAL,
        });
        if let (Some(d), Some(map)) = (&self.description, body.as_object_mut()) {
            map.insert("description".into(), d.as_str().into());
        }
        body
    }

    /// SSF 1.0 "Stream Status": `stream_id`, `status`, and `reason` if any.
    pub fn status_json(&self) -> Value {
        let mut body = json!({ "stream_id": self.stream_id, "status": self.status.as_str() });
        if let (Some(r), Some(map)) = (&self.reason, body.as_object_mut()) {
            map.insert("reason".into(), r.as_str().into());
        }
        body
    }
}

impl From<StoredStream> for Stream {
    fn from(s: StoredStream) -> Self {
        Stream(s)
    }
}

/// Why a receiver's request about its stream is refused (400, with the
/// reason in `error_description`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(why: impl Into<String>) -> Refused {
    Refused(why.into())
}

/// The `delivery` member a receiver writes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    method: String,
    endpoint_url: Option<String>,
    authorization_header: Option<String>,
}

/// A stream configuration as a receiver writes it (create, update,
/// replace). What the transmitter supplies (`iss`, `aud`,
/// `events_supported`, `events_delivered`, `min_verification_interval`)
/// is read and ignored, as SSF 1.0 allows.
#[derive(Debug, Deserialize)]
pub struct StreamBody {
    pub stream_id: Option<String>,
    delivery: Option<DeliveryBody>,
    events_requested: Option<Vec<String>>,
    description: Option<String>,
}

impl DeliveryBody {
    fn validate(self) -> Result<StreamDelivery, Refused> {
        match self.method.as_str() {
            PUSH => {
                let url = self.endpoint_url.ok_or_else(|| refused("push delivery needs delivery.endpoint_url"))?;
                if url.len() > MAX_URL {
                    return Err(refused(format!("delivery.endpoint_url is longer than {MAX_URL} characters")));
                }
                // RFC 8935 §2: https (http only on loopback, for development).
                let url =
                    RegisteredUri::backchannel(&url).map_err(|e| refused(format!("delivery.endpoint_url {e}")))?;
                let authorization = self.authorization_header;
                if authorization
                    .as_ref()
                    .is_some_and(|a| a.len() > MAX_AUTHORIZATION || a.chars().any(char::is_control))
                {
                    return Err(refused(
                        "delivery.authorization_header is not a header value of at most 4096 characters",
                    ));
                }
                Ok(StreamDelivery::Push { endpoint_url: url.as_str().to_owned(), authorization_header: authorization })
            }
            POLL if self.endpoint_url.is_some() => {
                Err(refused("a poll stream's endpoint_url is claimgate's to give (SSF 1.0): leave it out"))
            }
            POLL => Ok(StreamDelivery::Poll),
            other => Err(refused(format!("delivery.method \"{other:.64}\" is not one of {PUSH}, {POLL}"))),
        }
    }
}

fn events_requested(list: Vec<String>) -> Result<Vec<String>, Refused> {
    if list.len() > MAX_EVENTS_REQUESTED || list.iter().any(|u| u.len() > MAX_EVENT_URI) {
        return Err(refused(format!(
            "events_requested holds at most {MAX_EVENTS_REQUESTED} URIs of at most {MAX_EVENT_URI} characters"
        )));
    }
    Ok(list)
}

fn description(d: Option<String>) -> Result<Option<String>, Refused> {
    match d {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => {
            Err(refused(format!("description is longer than {MAX_DESCRIPTION} characters")))
        }
        d => Ok(d),
    }
}

impl StreamBody {
    /// A new stream (create): `delivery` is required; no events unless requested.
    pub fn create(self) -> Result<StoredStream, Refused> {
        if self.stream_id.is_some() {
            return Err(refused("stream_id is claimgate's to give: leave it out when creating"));
        }
        let delivery = self.delivery.ok_or_else(|| refused("delivery is required"))?.validate()?;
        Ok(StoredStream {
            stream_id: random_handle(),
            delivery,
            events_requested: events_requested(self.events_requested.unwrap_or_default())?,
            description: description(self.description)?,
            status: StreamStatus::Enabled,
            reason: None,
        })
    }

    /// `current` with what this body names (update, PATCH).
    pub fn update(self, current: StoredStream) -> Result<StoredStream, Refused> {
        let delivery = match self.delivery {
            Some(d) => d.validate()?,
            None => current.delivery,
        };
        let events = match self.events_requested {
            Some(e) => events_requested(e)?,
            None => current.events_requested,
        };
        let description = match self.description {
            Some(d) => description(Some(d))?,
            None => current.description,
        };
        Ok(StoredStream { delivery, events_requested: events, description, ..current })
    }

    /// `current` wholly replaced by this body (replace, PUT): what it
    /// leaves out is gone.
    pub fn replace(self, current: StoredStream) -> Result<StoredStream, Refused> {
        let delivery = self.delivery.ok_or_else(|| refused("delivery is required"))?.validate()?;
        Ok(StoredStream {
            delivery,
            events_requested: events_requested(self.events_requested.unwrap_or_default())?,
            description: description(self.description)?,
            ..current
        })
    }
}

/// A status as a receiver writes it.
#[derive(Debug, Deserialize)]
pub struct StatusBody {
    pub stream_id: String,
    status: String,
    reason: Option<String>,
}

impl StatusBody {
    pub fn apply(self, current: StoredStream) -> Result<StoredStream, Refused> {
        let status = StreamStatus::parse(&self.status).ok_or_else(|| {
            refused(format!("status \"{:.32}\" is not one of enabled, paused, disabled", self.status))
        })?;
        if self.reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
            return Err(refused(format!("reason is longer than {MAX_REASON} characters")));
        }
        Ok(StoredStream { status, reason: self.reason, ..current })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> StreamBody {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_push_stream_needs_a_safe_url_and_a_poll_stream_none() {
        let ok = body(json!({"delivery": {"method": PUSH, "endpoint_url": "https://rx.example/ssf"}})).create();
        assert!(matches!(ok.unwrap().delivery, StreamDelivery::Push { .. }));
        for (delivery, why) in [
            (json!({"method": PUSH}), "endpoint_url"),
            (json!({"method": PUSH, "endpoint_url": "http://rx.example/ssf"}), "loopback"),
            (json!({"method": PUSH, "endpoint_url": "file:///etc/passwd"}), "scheme"),
            (json!({"method": POLL, "endpoint_url": "https://rx.example/poll"}), "leave it out"),
            (json!({"method": "urn:example:carrier-pigeon"}), "is not one of"),
            (
                json!({"method": PUSH, "endpoint_url": "https://rx.example/ssf", "authorization_header": "a\r\nX: y"}),
                "header value",
            ),
        ] {
            let e = body(json!({ "delivery": delivery })).create().unwrap_err();
            assert!(e.0.contains(why), "{delivery}: {e}");
        }
        assert_eq!(body(json!({"delivery": {"method": POLL}})).create().unwrap().delivery, StreamDelivery::Poll);
    }

    #[test]
    fn events_delivered_are_requested_and_supported() {
        let mut stored = body(json!({"delivery": {"method": POLL}, "events_requested": [
            EventType::AccountPurged.uri(), "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
        ]}))
        .create()
        .unwrap();
        assert_eq!(Stream::from(stored.clone()).events_delivered(), vec![EventType::AccountPurged]);
        stored.events_requested.clear();
        assert!(Stream::from(stored).events_delivered().is_empty(), "nothing unless requested");
    }

    #[test]
    fn receiver_values_are_bounded() {
        let many: Vec<String> = (0..17).map(|i| format!("urn:x:{i}")).collect();
        assert!(body(json!({"delivery": {"method": POLL}, "events_requested": many})).create().is_err());
        assert!(body(json!({"delivery": {"method": POLL}, "description": "x".repeat(257)})).create().is_err());
        assert!(body(json!({"delivery": {"method": POLL}, "stream_id": "mine"})).create().is_err());
        let current = body(json!({"delivery": {"method": POLL}})).create().unwrap();
        let status: StatusBody =
            serde_json::from_value(json!({"stream_id": "x", "status": "paused", "reason": "r".repeat(257)})).unwrap();
        assert!(status.apply(current.clone()).is_err());
        let status: StatusBody = serde_json::from_value(json!({"stream_id": "x", "status": "asleep"})).unwrap();
        assert!(status.apply(current).is_err());
    }

    #[test]
    fn update_keeps_what_it_does_not_name_and_replace_does_not() {
        let current = body(json!({"delivery": {"method": POLL}, "events_requested": [EventType::AccountPurged.uri()],
                                  "description": "d"}))
        .create()
        .unwrap();
        let updated = body(json!({"description": "e"})).update(current.clone()).unwrap();
        assert_eq!((updated.events_requested.len(), updated.description.as_deref()), (1, Some("e")));
        assert_eq!(updated.stream_id, current.stream_id);
        let replaced = body(json!({"delivery": {"method": POLL}})).replace(current.clone()).unwrap();
        assert!(replaced.events_requested.is_empty() && replaced.description.is_none());
        assert!(body(json!({"description": "e"})).replace(current).is_err(), "replace needs delivery");
    }
}
