//! `GET|POST /userinfo`: the claims the token's client may see, nothing more.
//! A DPoP-bound token is accepted only as `DPoP` with a proof by its key
//! (RFC 9449 §7.1); a bearer token only where the client does not require DPoP.

use crate::policy::disclosure::release_granted;
use crate::protocol::dpop::{self, DpopError};
use crate::protocol::errors::{BearerError, OAuthError, Scheme};
use crate::state::AppState;
use crate::store::records::AccessToken;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn userinfo(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, BearerError> {
    let result = answer(&req, &state).await;
    let outcome = result.as_ref().map(|_| "success").unwrap_or_else(BearerError::label);
    state.metrics.userinfo_requests.with_label_values(&[outcome]).inc();
    result
}

async fn answer(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, BearerError> {
    let (scheme, token) = presented(req)?;
    let invalid = || match scheme {
        Scheme::Bearer => BearerError::invalid_token(),
        Scheme::DPoP => BearerError::dpop(OAuthError::InvalidToken, "the access token is invalid or has expired"),
    };
    // One store read: the grant holds what this token may release. It lives
    // no longer than its session, and ending the session deletes it.
    let grant = state.records.get_access(&AccessToken::presented(token.as_str())).await?.ok_or_else(invalid)?;
    let client = state.client(&grant.client_id).ok_or_else(invalid)?;
    match (scheme, &grant.jkt) {
        (Scheme::DPoP, Some(bound)) => {
            let refused = |e: DpopError| e.into_bearer_error(state);
            let proof = dpop::proof(state, req, "/userinfo", Some(&token)).map_err(refused)?;
            let proof = proof.ok_or(DpopError::Required).map_err(refused)?;
            if proof.jkt != *bound {
                return Err(refused(DpopError::WrongKey));
            }
            dpop::spend(state, &proof).await.map_err(refused)?;
        }
        // §7.1: a stolen DPoP-bound token is useless as a bearer token.
        (Scheme::Bearer, Some(_)) => {
            return Err(BearerError::dpop(
                OAuthError::InvalidToken,
                "the access token is DPoP-bound: present it with DPoP",
            ))
        }
        (Scheme::DPoP, None) => {
            return Err(BearerError::invalid_token_because("the access token is not DPoP-bound: present it as Bearer"))
        }
        // §5.2: such a client's bearer tokens are refused too.
        (Scheme::Bearer, None) if client.oidc().is_some_and(|o| o.require_dpop) => {
            return Err(BearerError::dpop(OAuthError::InvalidToken, "this client's access tokens must be DPoP-bound"))
        }
        (Scheme::Bearer, None) => {}
    }
    // What the token was issued with (consented, asked), within what the
    // client's config allows now.
    let mut body = release_granted(&grant.released, &client.claims).to_json();
    body.insert("sub".into(), grant.subject.into());
    let mut response = HttpResponse::Ok();
    if scheme == Scheme::DPoP {
        response.insert_header(("DPoP-Nonce", dpop::nonce(state)));
    }
    Ok(response.json(body))
}

/// The token and how it was presented: `Authorization: Bearer` (RFC 6750
/// §2.1) or `Authorization: DPoP` (RFC 9449 §7.1).
fn presented(req: &HttpRequest) -> Result<(Scheme, String), BearerError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(BearerError::missing());
    };
    let value = value.to_str().map_err(|_| BearerError::invalid_request("malformed Authorization header"))?;
    let (scheme, token) =
        value.split_once(' ').ok_or_else(|| BearerError::invalid_request("malformed Authorization header"))?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::DPoP
    } else {
        return Err(BearerError::missing());
    };
    if token.trim().is_empty() {
        return Err(BearerError::missing());
    }
    Ok((scheme, token.trim().to_owned()))
}
