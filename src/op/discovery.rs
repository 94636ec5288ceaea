//! `/.well-known/openid-configuration` and `/jwks`.

use crate::policy::disclosure::SUPPORTED_SCOPES;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    let iss = &state.issuer;
    let assertion_algs = crate::client_assertion::ALGORITHMS;
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/logout"),
        "revocation_endpoint": format!("{iss}/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "introspection_endpoint": format!("{iss}/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "scopes_supported": SUPPORTED_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grant_types(&state),
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": state.keys.signing.algs().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        // RFC 7523 §2.2 and OIDC Core §9: private_key_jwt, asymmetric algorithms only.
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                             "name", "email", "email_verified", "picture", "sid"],
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": true,
        // OIDC Discovery §3: the languages of the pages (built in and the operator's).
        "ui_locales_supported": state.config.pages.messages.tags().collect::<Vec<_>>(),
        // RFC 9126 §5: PAR; required for every client only if each requires it.
        "pushed_authorization_request_endpoint": format!("{iss}/par"),
        "require_pushed_authorization_requests": every_client_requires_par(&state),
        // RFC 9449 §5.1.
        "dpop_signing_alg_values_supported": crate::dpop::ALGORITHMS,
    }))
}

/// RFC 8414 §2: client_credentials only where a client may use it (an SSF
/// receiver, `ssf = true`).
fn grant_types(state: &AppState) -> Vec<&'static str> {
    let mut types = vec!["authorization_code", "refresh_token"];
    if state.config.clients.values().any(|c| c.signals.is_managed()) {
        types.push("client_credentials");
    }
    types
}

/// Whether every client that uses `/authorize` requires pushed requests.
fn every_client_requires_par(state: &AppState) -> bool {
    let mut clients = state.config.clients.values().filter_map(|c| c.oidc()).peekable();
    clients.peek().is_some() && clients.all(|c| c.require_pushed_authorization_requests)
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(state.keys.signing.jwks())
}

/// `/.well-known/claimgate-disclosure`: the disclosure policy, read-only,
/// the same document as `claimgate policy explain --format json`.
pub async fn disclosure(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(crate::explain::document(&state.config, None))
}
