//! `POST /introspect` (RFC 7662): an app asks whether one of its tokens is
//! active. Client authentication is required (§2.1); a client learns about
//! its own tokens only, and nothing of the profile. A DPoP-bound token is
//! reported with its key (RFC 9449 §6.2: `cnf.jkt`, `token_type` DPoP).

use crate::account::session;
use crate::config::ClientConfig;
use crate::ids::ClientId;
use crate::policy::disclosure::Scopes;
use crate::protocol::client_auth::authenticated_form;
use crate::protocol::dpop::DpopRequest;
use crate::protocol::errors::TokenError;
use crate::state::AppState;
use crate::store::records::{AccessToken, RefreshGrant, RefreshToken};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    dpop: DpopRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TokenError> {
    let (client, params) = authenticated_form(&state, &req, &body).await?;
    if client.is_public() {
        // §2.1: the endpoint requires authorization; a public client has no credential.
        return Err(TokenError::invalid_client(false));
    }
    // A proof sent here must be valid, and is then used (RFC 9449 §4.3).
    let dpop = dpop.checked()?;
    let token = params.get("token").ok_or_else(|| TokenError::invalid_request("token is required"))?;
    let now = state.now();
    // §2.2: inactive covers unknown, expired, revoked and other clients' tokens alike.
    let mut answer = Introspection::default();
    if let Some(g) = state
        .records
        .get_access(&AccessToken::presented(token.as_str()))
        .await?
        .filter(|g| g.client_id == client.id && g.exp > now)
    {
        answer = Introspection {
            active: true,
            token_type: Some(if g.jkt.is_some() { "DPoP" } else { "Bearer" }),
            aud: Some(g.client_id.to_string()),
            ..Introspection::of(&state, g.scope, g.client_id, g.subject, (g.iat, g.exp), g.jkt)
        };
    } else if let Some(g) = state
        .records
        .get_client_grant(&AccessToken::presented(token.as_str()))
        .await?
        .filter(|g| g.client_id == client.id && g.expires_at > now)
    {
        // A client_credentials token (Shared Signals): the client's, no user.
        answer = Introspection {
            active: true,
            scope: Some(g.scope),
            client_id: Some(g.client_id.to_string()),
            token_type: Some(if g.jkt.is_some() { "DPoP" } else { "Bearer" }),
            iat: Some(g.issued_at),
            exp: Some(g.expires_at),
            iss: Some(state.issuer.clone()),
            aud: Some(g.client_id.to_string()),
            cnf: g.jkt.map(|jkt| Confirmation { jkt }),
            ..Introspection::default()
        };
    } else if let Some(g) = usable_refresh(&state, &client, &RefreshToken::presented(token.as_str())).await? {
        answer = Introspection::of(&state, g.scope, g.client_id, g.subject, (g.iat, g.exp), g.jkt);
    }
    let mut response = HttpResponse::Ok();
    dpop.spend().await?;
    dpop.nonce_on(&mut response);
    tracing::info!(client = %client.id, active = answer.active, "token introspection");
    Ok(response.insert_header((header::PRAGMA, "no-cache")).json(answer))
}

/// RFC 7662 §2.2: the answer; only `active` when inactive.
#[derive(Default, serde::Serialize)]
struct Introspection {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    /// RFC 9449 §6.2: the key a DPoP-bound token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation>,
}

#[derive(serde::Serialize)]
struct Confirmation {
    jkt: String,
}

impl Introspection {
    /// An active token's answer.
    fn of(
        state: &AppState,
        scope: Scopes,
        client_id: ClientId,
        sub: String,
        (iat, exp): (i64, i64),
        jkt: Option<String>,
    ) -> Self {
        Introspection {
            active: true,
            scope: Some(scope.to_string()),
            client_id: Some(client_id.to_string()),
            sub: Some(sub),
            iat: Some(iat),
            exp: Some(exp),
            iss: Some(state.issuer.clone()),
            cnf: jkt.map(|jkt| Confirmation { jkt }),
            ..Introspection::default()
        }
    }
}

/// The client's refresh token, if a refresh with it would succeed now
/// (RFC 7662 §2.2: active means usable): live (not rotated), its session
/// live (not idled out), the client's provider rules still met.
async fn usable_refresh(
    state: &AppState,
    client: &ClientConfig,
    token: &RefreshToken,
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
