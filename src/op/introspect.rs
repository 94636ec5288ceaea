//! `POST /introspect` (RFC 7662): an app asks whether one of its tokens is
//! active. Client authentication is required (§2.1); a client learns about
//! its own tokens only, and nothing of the profile. A DPoP-bound token is
//! reported with its key (RFC 9449 §6.2: `cnf.jkt`, `token_type` DPoP).

use crate::account::session;
use crate::config::ClientConfig;
use crate::protocol::client_auth::authenticated_form;
use crate::protocol::dpop;
use crate::protocol::errors::TokenError;
use crate::state::AppState;
use crate::store::records::RefreshGrant;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, TokenError> {
    let (client, params) = authenticated_form(&state, &req, &body)?;
    if client.is_public() {
        // §2.1: the endpoint requires authorization; a public client has no credential.
        return Err(TokenError::invalid_client(false));
    }
    // A proof sent here must be valid, and is then used (RFC 9449 §4.3).
    let proof = dpop::proof(&state, &req, "/introspect", None).map_err(|e| e.into_token_error(&state))?;
    let token = params.get("token").ok_or_else(|| TokenError::invalid_request("token is required"))?;
    let now = state.now();
    // §2.2: inactive covers unknown, expired, revoked and other clients' tokens alike.
    let mut answer = json!({ "active": false });
    if let Some(g) = state.records.get_access(token).await?.filter(|g| g.client_id == client.id && g.exp > now) {
        answer = json!({
            "active": true,
            "scope": g.scope,
            "client_id": g.client_id,
            "token_type": if g.jkt.is_some() { "DPoP" } else { "Bearer" },
            "sub": g.subject,
            "iat": g.iat,
            "exp": g.exp,
            "iss": state.issuer,
            "aud": g.client_id,
        });
        if let Some(jkt) = g.jkt {
            answer["cnf"] = json!({ "jkt": jkt });
        }
    } else if let Some(g) = usable_refresh(&state, client, token).await? {
        answer = json!({
            "active": true,
            "scope": g.scope,
            "client_id": g.client_id,
            "sub": g.subject,
            "iat": g.iat,
            "exp": g.exp,
            "iss": state.issuer,
        });
        if let Some(jkt) = g.jkt {
            answer["cnf"] = json!({ "jkt": jkt });
        }
    }
    let mut response = HttpResponse::Ok();
    if let Some(p) = &proof {
        dpop::spend(&state, p).await.map_err(|e| e.into_token_error(&state))?;
        response.insert_header(("DPoP-Nonce", dpop::nonce(&state)));
    }
    let active = answer["active"].as_bool().unwrap_or(false);
    tracing::info!(client = %client.id, active, "token introspection");
    Ok(response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(answer))
}

/// The client's refresh token, if a refresh with it would succeed now
/// (RFC 7662 §2.2: active means usable): live (not rotated), its session
/// live (not idled out), the client's provider rules still met.
async fn usable_refresh(
    state: &AppState,
    client: &ClientConfig,
    token: &str,
) -> Result<Option<RefreshGrant>, TokenError> {
    let Some(g) = state.records.get_refresh(token).await? else { return Ok(None) };
    if g.client_id != client.id || g.rotated || g.exp <= state.now() {
        return Ok(None);
    }
    let Some(session) = state.records.get_session(&g.session).await? else { return Ok(None) };
    let usable = session::remaining(state, &session).is_some()
        && session::admits(state, client, &session.provider, &session.profile);
    Ok(usable.then_some(g))
}
