//! `GET /me/export`: everything claimgate holds about the signed-in user,
//! as one JSON document they can keep (GDPR Art. 15 access, Art. 20
//! portability): the profile as stored, each live session, each app with
//! its pairwise subject and what it receives, and each consent as a receipt
//! (fields after the Kantara Consent Receipt 1.1 and ISO/IEC TS 27560), so
//! that the user can re-read what the notice promised when they agreed.

use crate::account::{consent, session};
use crate::pages;
use crate::policy::Picture;
use crate::policy::UserKey;
use crate::protocol::errors::PageError;
use crate::state::AppState;
use crate::store::records::{Consent, Session};
use crate::store::StoreError;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

/// The document's format, for whoever reads it later.
pub const FORMAT: &str = "claimgate-export/1";

fn time(ts: i64) -> Value {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.to_rfc3339()).map(Value::from).unwrap_or(Value::Null)
}

fn names(claims: impl IntoIterator<Item = crate::policy::ProfileClaim>) -> Vec<&'static str> {
    claims.into_iter().map(|c| c.as_str()).collect()
}

pub async fn export(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let Some((id, s)) = session::current(&state, &req).await? else {
        return Ok(pages::not_signed_in());
    };
    let notice = &state.config.notice;
    let consents = consent::all_of(&state, &s.user_key, &id).await?;
    let apps: Vec<Value> = consents
        .iter()
        .filter_map(|c| {
            let client = state.client(&c.client_id)?;
            Some(json!({
                "client_id": client.id,
                "name": client.name,
                "sub": state.keys.pseudonymizer.pairwise_subject(&client.id, &s.user_key),
                "receives": names(c.given.intersection(&client.claims).copied()),
                "consent": receipt(&state, c),
            }))
        })
        .collect();
    let document = json!({
        "format": FORMAT,
        "exported_at": time(state.now()),
        "issuer": state.issuer,
        "controller": { "name": notice.controller, "contact": notice.contact },
        "notice": { "url": notice.url, "version": notice.version, "revised": notice.revised },
        "profile": {
            "name": s.profile.name,
            "email": s.profile.email.as_ref().map(|e| e.address.as_str()),
            "email_verified": s.profile.email.as_ref().map(|e| e.verified),
            "picture": picture(&state, &s).await?,
            "provider": s.provider,
        },
        "sessions": sessions(&state, &s.user_key).await?,
        "apps": apps,
        "consents": consents.iter().map(|c| receipt(&state, c)).collect::<Vec<_>>(),
    });
    tracing::info!(target: "claimgate::audit", outcome = "exported", "data export");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"claimgate-export.json\""))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .content_type("application/json")
        .body(serde_json::to_string_pretty(&document).unwrap_or_default()))
}

/// The picture as stored: the proxied image itself (a data URL), or the
/// provider's link in link mode.
async fn picture(state: &AppState, s: &Session) -> Result<Value, StoreError> {
    Ok(match &s.profile.picture {
        Some(Picture::Proxied) => state
            .records
            .get_picture(&s.user_key)
            .await?
            .map(|p| Value::from(format!("data:image/png;base64,{}", STANDARD.encode(&p.png))))
            .unwrap_or(Value::Null),
        Some(Picture::Link(url)) => Value::from(url.as_str()),
        None => Value::Null,
    })
}

/// Each live session of the user: provider, when, until when.
async fn sessions(state: &AppState, user: &UserKey) -> Result<Vec<Value>, StoreError> {
    Ok(state
        .records
        .sessions_of(user)
        .await?
        .into_iter()
        .map(|(_, other)| {
            let ends = session::remaining(state, &other)
                .map(|left| state.now() + i64::try_from(left.as_secs()).unwrap_or(0))
                .unwrap_or(state.now());
            json!({
                "provider": other.provider,
                "signed_in": time(other.auth_time),
                "last_used": other.last_active.map(time).unwrap_or(Value::Null),
                "expires": time(ends),
                "ends_at_the_latest": time(other.expires_at),
            })
        })
        .collect())
}

/// A consent as a receipt.
fn receipt(state: &AppState, c: &Consent) -> Value {
    let notice = &state.config.notice;
    let app = state.client(&c.client_id);
    json!({
        "receipt_id": c.receipt_id,
        "version": "claimgate-receipt/1 (after Kantara Consent Receipt 1.1, ISO/IEC TS 27560)",
        "consent_time": time(c.at),
        "controller": { "name": notice.controller, "contact": notice.contact },
        "notice": { "url": notice.url, "version": c.notice_version, "current": c.notice_version == notice.version },
        "service": { "client_id": c.client_id, "name": app.map(|a| a.name.as_str()) },
        "purpose": "signing in to the service, which receives these claims",
        "method": "the notice page: required claims by continuing, optional claims by ticking each",
        "claims_given": names(c.given.iter().copied()),
        "claims_declined": names(c.declined.iter().copied()),
        "expires": time(c.expires_at),
        "withdraw": format!("{}/me (POST /me/apps/{}/withdraw)", state.issuer, c.client_id),
    })
}
