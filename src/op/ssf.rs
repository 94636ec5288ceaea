//! The Shared Signals transmitter's endpoints (SSF 1.0): its metadata
//! (`/.well-known/ssf-configuration`), a receiver's own stream
//! (`/ssf/stream`: create, read, update, replace, delete; `/ssf/status`;
//! `/ssf/verify`) and the poll endpoint (`/ssf/poll`, RFC 8936). A receiver
//! authenticates with its `client_credentials` token (scope `ssf`) and only
//! ever sees its own stream.

use crate::config::ClientConfig;
use crate::grants::client_credentials::SSF_SCOPE;
use crate::protocol::dpop;
use crate::protocol::errors::BearerError;
use crate::secevent::{Event, EventType, Subject};
use crate::signals::poll::{self, PollError, PollRequest};
use crate::signals::streams::{self, Refused, StatusBody, Stream, StreamBody, MIN_VERIFICATION_INTERVAL};
use crate::signals::{self, Emitted};
use crate::state::{AppState, Notifier};
use crate::store::records::{AccessToken, StoredStream};
use crate::store::StoreError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::time::Duration;

/// Why a stream request is refused.
#[derive(Debug, thiserror::Error)]
pub enum SsfError {
    #[error(transparent)]
    Token(#[from] BearerError),
    #[error("this client is not a Shared Signals receiver (ssf = true)")]
    NotAReceiver,
    #[error("{0}")]
    BadRequest(String),
    #[error("this client has no stream with that stream_id")]
    NotFound,
    #[error("this client has a stream already: one per client")]
    Exists,
    #[error("a verification was requested less than {MIN_VERIFICATION_INTERVAL} s ago")]
    TooSoon,
    #[error("the service is temporarily unavailable; try again")]
    Store(#[from] StoreError),
}

impl From<Refused> for SsfError {
    fn from(r: Refused) -> Self {
        SsfError::BadRequest(r.0)
    }
}

impl From<PollError> for SsfError {
    fn from(e: PollError) -> Self {
        match e {
            PollError::Store(e) => SsfError::Store(e),
            e => SsfError::BadRequest(e.to_string()),
        }
    }
}

impl ResponseError for SsfError {
    fn status_code(&self) -> StatusCode {
        match self {
            SsfError::Token(e) => e.status_code(),
            SsfError::NotAReceiver => StatusCode::FORBIDDEN,
            SsfError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SsfError::NotFound => StatusCode::NOT_FOUND,
            SsfError::Exists => StatusCode::CONFLICT,
            SsfError::TooSoon => StatusCode::TOO_MANY_REQUESTS,
            SsfError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let code = match self {
            SsfError::Token(e) => return e.error_response(),
            SsfError::NotAReceiver => "access_denied",
            SsfError::BadRequest(_) => "invalid_request",
            SsfError::NotFound => "not_found",
            SsfError::Exists => "conflict",
            SsfError::TooSoon => "too_many_requests",
            SsfError::Store(e) => {
                tracing::error!(error = %e, "store failed");
                "temporarily_unavailable"
            }
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, SsfError::TooSoon) {
            response.insert_header((header::RETRY_AFTER, MIN_VERIFICATION_INTERVAL.to_string()));
        }
        response.json(json!({ "error": code, "error_description": self.to_string() }))
    }
}

/// SSF 1.0 "Transmitter Configuration Metadata".
pub async fn configuration(state: web::Data<AppState>) -> HttpResponse {
    let iss = &state.issuer;
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(json!({
        "spec_version": "1_0",
        "issuer": iss,
        "jwks_uri": format!("{iss}/jwks"),
        "delivery_methods_supported": [streams::PUSH, streams::POLL],
        "configuration_endpoint": format!("{iss}/ssf/stream"),
        "status_endpoint": format!("{iss}/ssf/status"),
        "verification_endpoint": format!("{iss}/ssf/verify"),
        // RFC 6749: a client_credentials token of scope ssf from /token.
        "authorization_schemes": [{ "spec_urn": "urn:ietf:rfc:6749" }],
        // Every user the app received data about; no subject endpoints.
        "default_subjects": "ALL",
    }))
}

/// The receiver a request's token names, its token presented as bound.
async fn receiver<'a>(state: &'a AppState, req: &HttpRequest, path: &str) -> Result<&'a ClientConfig, SsfError> {
    let (scheme, token) = dpop::presented(req)?;
    let grant = state.records.get_client_grant(&AccessToken::presented(token.as_str())).await?;
    let grant = grant.filter(|g| g.scope == SSF_SCOPE && g.expires_at > state.now());
    let grant = grant.ok_or_else(BearerError::invalid_token)?;
    let client = state.client(&grant.client_id).ok_or_else(BearerError::invalid_token)?;
    let require_dpop = client.oidc().is_some_and(|o| o.require_dpop);
    dpop::check_presentation(state, req, path, (scheme, &token), grant.jkt.as_deref(), require_dpop).await?;
    if !client.signals.is_managed() {
        return Err(SsfError::NotAReceiver);
    }
    Ok(client)
}

/// A JSON body (RFC 8259), refused with a reason that never echoes it.
fn json_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, SsfError> {
    if !crate::protocol::has_content_type(req, "application/json") {
        return Err(SsfError::BadRequest("the body must be application/json".into()));
    }
    serde_json::from_slice(body).map_err(|e| {
        let why = match e.classify() {
            serde_json::error::Category::Data => "a member is missing or has the wrong type",
            _ => "the body is not JSON",
        };
        SsfError::BadRequest(why.into())
    })
}

/// The client's stored stream, if `stream_id` names it.
async fn own_stream(state: &AppState, client: &ClientConfig, stream_id: &str) -> Result<StoredStream, SsfError> {
    let stream = state.records.get_stream(&client.id).await?;
    stream.filter(|s| s.stream_id == stream_id).ok_or(SsfError::NotFound)
}

#[derive(serde::Deserialize)]
pub struct StreamQuery {
    stream_id: Option<String>,
}

/// Writes the stream back, then sends what it held if it now pushes.
async fn save(state: &AppState, client: &ClientConfig, stream: &StoredStream) -> Result<(), SsfError> {
    if !state.records.update_stream(&client.id, stream).await? {
        return Err(SsfError::NotFound);
    }
    signals::release_held(&Notifier::from(state), client).await?;
    tracing::info!(target: "claimgate::audit", client = %client.id, status = stream.status.as_str(), "stream updated");
    Ok(())
}

/// `/ssf/stream`: create (POST), read (GET), update (PATCH), replace (PUT),
/// delete (DELETE), SSF 1.0 "Stream Configuration".
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StreamQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, SsfError> {
    let client = receiver(&state, &req, "/ssf/stream").await?;
    let shown = |s: StoredStream| Stream::from(s).to_json(&state.issuer, client);
    match *req.method() {
        actix_web::http::Method::POST => {
            let stream = json_body::<StreamBody>(&req, &body)?.create()?;
            if !state.records.create_stream(&client.id, &stream).await? {
                return Err(SsfError::Exists);
            }
            tracing::info!(target: "claimgate::audit", client = %client.id, "stream created");
            Ok(HttpResponse::Created().json(shown(stream)))
        }
        actix_web::http::Method::GET => {
            let stream = state.records.get_stream(&client.id).await?;
            match &query.stream_id {
                // Without stream_id: every stream of this receiver (zero or one).
                None => Ok(HttpResponse::Ok().json(stream.into_iter().map(shown).collect::<Vec<_>>())),
                Some(id) => Ok(HttpResponse::Ok().json(shown(own_stream(&state, client, id).await?))),
            }
        }
        actix_web::http::Method::PATCH | actix_web::http::Method::PUT => {
            let changes = json_body::<StreamBody>(&req, &body)?;
            let id = changes.stream_id.clone().ok_or_else(|| SsfError::BadRequest("stream_id is required".into()))?;
            let current = own_stream(&state, client, &id).await?;
            let stream = match *req.method() {
                actix_web::http::Method::PUT => changes.replace(current)?,
                _ => changes.update(current)?,
            };
            save(&state, client, &stream).await?;
            Ok(HttpResponse::Ok().json(shown(stream)))
        }
        actix_web::http::Method::DELETE => {
            let id = query.stream_id.as_deref().ok_or_else(|| SsfError::BadRequest("stream_id is required".into()))?;
            own_stream(&state, client, id).await?;
            state.records.delete_stream(&client.id).await?;
            tracing::info!(target: "claimgate::audit", client = %client.id, "stream deleted");
            Ok(HttpResponse::NoContent().finish())
        }
        _ => Ok(HttpResponse::MethodNotAllowed().finish()),
    }
}

/// `/ssf/status`: read (GET) or set (POST) the stream's status.
pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StreamQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, SsfError> {
    let client = receiver(&state, &req, "/ssf/status").await?;
    if req.method() == actix_web::http::Method::GET {
        let id = query.stream_id.as_deref().ok_or_else(|| SsfError::BadRequest("stream_id is required".into()))?;
        return Ok(HttpResponse::Ok().json(Stream::from(own_stream(&state, client, id).await?).status_json()));
    }
    let change = json_body::<StatusBody>(&req, &body)?;
    let current = own_stream(&state, client, &change.stream_id).await?;
    let stream = change.apply(current)?;
    save(&state, client, &stream).await?;
    Ok(HttpResponse::Ok().json(Stream::from(stream).status_json()))
}

#[derive(serde::Deserialize)]
pub struct VerifyBody {
    stream_id: String,
    state: Option<String>,
}

/// `POST /ssf/verify`: SSF 1.0 "Verification": a verification event with
/// the receiver's `state`, at most once per [`MIN_VERIFICATION_INTERVAL`].
pub async fn verify(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, SsfError> {
    let client = receiver(&state, &req, "/ssf/verify").await?;
    let asked = json_body::<VerifyBody>(&req, &body)?;
    if asked.state.as_ref().is_some_and(|s| s.len() > 256) {
        return Err(SsfError::BadRequest("state is longer than 256 characters".into()));
    }
    let stream = own_stream(&state, client, &asked.stream_id).await?;
    if !state.records.note_verification(&client.id, Duration::from_secs(MIN_VERIFICATION_INTERVAL)).await? {
        return Err(SsfError::TooSoon);
    }
    let event = Event::Verification { state: asked.state };
    let subject = Subject::Stream { stream_id: &stream.stream_id };
    let emitted = signals::emit(&Notifier::from(&**state), client, &event, subject, None).await?;
    tracing::info!(client = %client.id, event = EventType::Verification.label(), sent = emitted != Emitted::NotSent, "stream verification");
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /ssf/poll` (RFC 8936 §2): acknowledge, then take what is held.
pub async fn poll_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, SsfError> {
    let client = receiver(&state, &req, "/ssf/poll").await?;
    let request: PollRequest = if body.is_empty() { PollRequest::default() } else { json_body(&req, &body)? };
    let answer = poll::poll(&Notifier::from(&**state), client, &request).await?;
    Ok(HttpResponse::Ok().json(json!({ "sets": answer.sets, "moreAvailable": answer.more_available })))
}
