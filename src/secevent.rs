//! Security Event Tokens (RFC 8417) as the Shared Signals Framework 1.0
//! profiles them, and the events claimgate emits: what an event is and how
//! its token is signed, nothing about streams or delivery (`signals`).
//!
//! Every SET carries one event (RFC 8417 §2.2 "events": one logical event),
//! names its subject only in the top-level `sub_id` (RFC 9493; SSF 1.0,
//! "SSF Event Subject") as the receiving app's own pairwise `sub` in the
//! `iss_sub` format, and has no `exp` (SSF 1.0, "The exp Claim": a SET
//! states a fact, it does not expire).

use crate::signing::SigningKey;
use serde_json::{json, Value};

/// The event types claimgate can send, each with its URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// CAEP 1.0 §3.1 (Session Revoked): a session the app took part in has ended.
    SessionRevoked,
    /// CAEP 1.0 §3.2 (Token Claims Change): claims the app received have changed (here: are no
    /// longer released to it).
    TokenClaimsChange,
    /// RISC 1.0 §2.2 (Account Purged): the account and its data are gone.
    AccountPurged,
    /// SSF 1.0, "Verification": the answer to a verification request.
    Verification,
}

impl EventType {
    /// What a stream may request, in the order the metadata lists them.
    pub const ALL: [EventType; 4] =
        [EventType::SessionRevoked, EventType::TokenClaimsChange, EventType::AccountPurged, EventType::Verification];

    pub fn uri(self) -> &'static str {
        match self {
            EventType::SessionRevoked => "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
            EventType::TokenClaimsChange => "https://schemas.openid.net/secevent/caep/event-type/token-claims-change",
            EventType::AccountPurged => "https://schemas.openid.net/secevent/risc/event-type/account-purged",
            EventType::Verification => "https://schemas.openid.net/secevent/ssf/event-type/verification",
        }
    }

    pub fn parse(uri: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.uri() == uri)
    }

    /// A short label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            EventType::SessionRevoked => "session-revoked",
            EventType::TokenClaimsChange => "token-claims-change",
            EventType::AccountPurged => "account-purged",
            EventType::Verification => "verification",
        }
    }
}

/// Who caused an event (CAEP 1.0 §2 `initiating_entity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// The user: logout, `/me`, withdrawal, "Delete my data".
    User,
    /// The operator: `claimgate erase`.
    Admin,
    /// A rule: a reused refresh token ended its session (RFC 9700 §4.14.2).
    Policy,
}

impl Initiator {
    pub fn as_str(self) -> &'static str {
        match self {
            Initiator::User => "user",
            Initiator::Admin => "admin",
            Initiator::Policy => "policy",
        }
    }
}

/// One event, with what its type carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    SessionRevoked {
        initiator: Initiator,
    },
    /// The claims no longer released: each named with a `null` new value
    /// (CAEP 1.0 §3.2 `claims`), never a value the app could not see.
    TokenClaimsChange {
        initiator: Initiator,
        withdrawn: Vec<&'static str>,
    },
    AccountPurged,
    /// SSF 1.0, "Verification": the receiver's `state`, echoed.
    Verification {
        state: Option<String>,
    },
}

impl Event {
    pub fn kind(&self) -> EventType {
        match self {
            Event::SessionRevoked { .. } => EventType::SessionRevoked,
            Event::TokenClaimsChange { .. } => EventType::TokenClaimsChange,
            Event::AccountPurged => EventType::AccountPurged,
            Event::Verification { .. } => EventType::Verification,
        }
    }

    /// The event's own members (the value under its URI in `events`).
    fn payload(&self, now: i64) -> Value {
        match self {
            Event::SessionRevoked { initiator } => {
                json!({ "event_timestamp": now, "initiating_entity": initiator.as_str() })
            }
            Event::TokenClaimsChange { initiator, withdrawn } => {
                let claims: serde_json::Map<String, Value> =
                    withdrawn.iter().map(|c| ((*c).to_owned(), Value::Null)).collect();
                json!({ "event_timestamp": now, "initiating_entity": initiator.as_str(), "claims": claims })
            }
            Event::AccountPurged => json!({}),
            Event::Verification { state: Some(state) } => json!({ "state": state }),
            Event::Verification { state: None } => json!({}),
        }
    }
}

/// Whom a SET is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject<'a> {
    /// RFC 9493 §3.2.5 `iss_sub`: the receiving app's pairwise `sub`.
    User { sub: &'a str },
    /// RFC 9493 §3.2.6 `opaque`: the stream itself (verification events,
    /// SSF 1.0, "Verification").
    Stream { stream_id: &'a str },
}

/// What one SET says.
pub struct SetContent<'a> {
    pub issuer: &'a str,
    /// The receiving client: the only audience.
    pub audience: &'a str,
    /// Unique per SET, the same on every delivery attempt.
    pub jti: &'a str,
    /// RFC 8417 §2.2: the same for the SETs one action sends one app, and
    /// never for two apps (it would link their subjects).
    pub txn: Option<&'a str>,
    pub subject: Subject<'a>,
    pub event: &'a Event,
    pub now: i64,
}

impl SetContent<'_> {
    pub fn claims(&self) -> Value {
        let sub_id = match self.subject {
            Subject::User { sub } => json!({ "format": "iss_sub", "iss": self.issuer, "sub": sub }),
            Subject::Stream { stream_id } => json!({ "format": "opaque", "id": stream_id }),
        };
        let mut claims = json!({
            "iss": self.issuer,
            "aud": self.audience,
            "jti": self.jti,
            "iat": self.now,
            "sub_id": sub_id,
            "events": { self.event.kind().uri(): self.event.payload(self.now) },
        });
        if let (Some(txn), Some(map)) = (self.txn, claims.as_object_mut()) {
            map.insert("txn".into(), txn.into());
        }
        claims
    }
}

/// RFC 8417 §2.3 and SSF 1.0 ("Explicit Typing of SETs").
pub const SET_TYPE: &str = "secevent+jwt";

/// The compact JWS of a SET, signed with `key` in its algorithm.
pub fn sign(key: &SigningKey, content: &SetContent) -> Result<String, openidconnect::SigningError> {
    key.sign_typed_jwt(SET_TYPE, &content.claims())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::core::CoreJsonWebKey;
    use openidconnect::PrivateSigningKey;

    fn verify(key: &SigningKey, token: &str, alg: jsonwebtoken::Algorithm) -> Value {
        let jwk: CoreJsonWebKey = key.as_verification_key();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(serde_json::to_value(jwk).unwrap()).unwrap();
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!((header.alg, header.typ.as_deref()), (alg, Some("secevent+jwt")));
        let mut v = jsonwebtoken::Validation::new(alg);
        v.set_audience(&["app-a"]);
        v.set_issuer(&["https://login.example"]);
        v.validate_exp = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(), &v).unwrap().claims
    }

    fn content<'a>(event: &'a Event, subject: Subject<'a>) -> SetContent<'a> {
        SetContent {
            issuer: "https://login.example",
            audience: "app-a",
            jti: "j1",
            txn: Some("t1"),
            subject,
            event,
            now: 1_700_000_000,
        }
    }

    /// Verified by an independent JOSE library in every algorithm: one
    /// event, `sub_id` the pairwise subject, no `exp`, no `sub`.
    #[test]
    fn a_set_verifies_and_names_only_the_pairwise_subject() {
        for (alg, jose) in crate::signing::WITH_JOSE {
            let key = SigningKey::generate(alg).unwrap();
            let event = Event::AccountPurged;
            let token = sign(&key, &content(&event, Subject::User { sub: "pairwise-1" })).unwrap();
            let c = verify(&key, &token, jose);
            assert_eq!(c["sub_id"], json!({"format": "iss_sub", "iss": "https://login.example", "sub": "pairwise-1"}));
            assert_eq!(c["events"].as_object().unwrap().len(), 1, "one event per SET");
            assert_eq!(c["events"][EventType::AccountPurged.uri()], json!({}));
            assert_eq!((c["jti"].as_str(), c["txn"].as_str()), (Some("j1"), Some("t1")));
            assert!(c.get("exp").is_none() && c.get("sub").is_none());
        }
    }

    #[test]
    fn each_event_carries_its_members_and_no_value() {
        let revoked = Event::SessionRevoked { initiator: Initiator::Admin };
        let c = content(&revoked, Subject::User { sub: "s" }).claims();
        assert_eq!(
            c["events"][EventType::SessionRevoked.uri()],
            json!({"event_timestamp": 1_700_000_000, "initiating_entity": "admin"})
        );
        let changed = Event::TokenClaimsChange { initiator: Initiator::User, withdrawn: vec!["picture"] };
        let c = content(&changed, Subject::User { sub: "s" }).claims();
        assert_eq!(c["events"][EventType::TokenClaimsChange.uri()]["claims"], json!({"picture": null}));
        let verification = Event::Verification { state: Some("abc".into()) };
        let c = content(&verification, Subject::Stream { stream_id: "st-1" }).claims();
        assert_eq!(c["sub_id"], json!({"format": "opaque", "id": "st-1"}));
        assert_eq!(c["events"][EventType::Verification.uri()], json!({"state": "abc"}));
        let mut no_txn = content(&verification, Subject::Stream { stream_id: "st-1" });
        no_txn.txn = None;
        assert!(no_txn.claims().get("txn").is_none());
    }

    #[test]
    fn event_types_parse_from_their_uris_only() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.uri()), Some(e));
        }
        assert_eq!(EventType::parse("https://schemas.openid.net/secevent/risc/event-type/account-disabled"), None);
        assert_eq!(EventType::parse("session-revoked"), None);
    }
}
