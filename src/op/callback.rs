//! `GET /callback/{provider}`: the upstream's answer. Consumes the pending
//! login, lets the provider verify the response, passes the identity through
//! THE FILTER, opens the SSO session and hands the app a one-time code.
//!
//! Every completed or failed login emits one audit event (target
//! `claimgate::audit`, message `login`): provider, client, notice version,
//! outcome, the claim *names* received, kept and dropped, or the failure
//! reason. Never a value, token, code, cookie or email.

use super::errors::PageError;
use super::flow::{app_url, consent_then_code, Seen};
use super::{binding, picture, session, AppState};
use crate::pages;
use crate::policy::{filter, ProfileClaim};
use crate::store::records::{random_handle, Session};
use crate::upstream::dev::DevProvider;
use crate::upstream::CallbackParams;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<CallbackParams>,
) -> Result<HttpResponse, PageError> {
    // The path is the client's: only a configured provider id is ever logged.
    let Some((provider_id, provider)) =
        state.providers.get_key_value(path.as_str()).map(|(k, v)| (k.clone(), v.clone()))
    else {
        tracing::warn!(target: "claimgate::audit", notice_version = notice_version(&state), outcome = "failure", reason = "unknown_provider", "login");
        return Ok(pages::error(StatusCode::NOT_FOUND, "Not found", "There is no such sign-in provider.", None));
    };
    let params = params.into_inner();
    let expired = || {
        Err(PageError::Expired(
            "The sign-in link was already used, has expired, or belongs to another browser. Please start again from the application.",
        ))
    };
    let Some(upstream_state) = params.state.clone() else {
        tracing::warn!(target: "claimgate::audit", provider = %provider_id, notice_version = notice_version(&state), outcome = "failure", reason = "missing_state", "login");
        return expired();
    };
    // Single use: a replayed or forged callback finds nothing.
    let Some(pending) = state.records.take_pending(&upstream_state).await? else {
        tracing::warn!(target: "claimgate::audit", provider = %provider_id, notice_version = notice_version(&state), outcome = "failure", reason = "unknown_state", "login");
        return expired();
    };
    let client = pending.request.client_id.clone();
    let back =
        app_url(&state, &pending.request, &[("error", "access_denied"), ("error_description", "sign-in failed")]);
    if pending.provider != provider_id {
        tracing::warn!(target: "claimgate::audit", provider = %provider_id, notice_version = notice_version(&state), client = %client, outcome = "failure", reason = "provider_mismatch", "login");
        return expired();
    }
    // Login CSRF: only the browser that pressed the notice's button may
    // finish (RFC 6749 §10.12). The pending login is consumed either way.
    if !binding::is_same_browser(&state, &req, &pending.binding) {
        state.metrics.logins_failed.with_label_values(&[&provider_id, &client, "browser_mismatch"]).inc();
        tracing::warn!(target: "claimgate::audit", provider = %provider_id, notice_version = notice_version(&state), client = %client, outcome = "failure", reason = "browser_mismatch", "login");
        return Err(PageError::OtherBrowser);
    }
    if state.client(&client).is_none() {
        return expired();
    }

    let started = std::time::Instant::now();
    let finished = provider.finish(pending.upstream, params).await;
    state
        .metrics
        .upstream_seconds
        .with_label_values(&[&provider_id, "callback"])
        .observe(started.elapsed().as_secs_f64());
    let failed = |reason: &str| state.metrics.logins_failed.with_label_values(&[&provider_id, &client, reason]).inc();
    let identity = match finished {
        Ok(identity) => identity,
        Err(e) => {
            failed(e.reason());
            tracing::warn!(target: "claimgate::audit", provider = %provider_id, notice_version = notice_version(&state), client = %client, outcome = "failure", reason = e.reason(), "login");
            return Ok(pages::error(
                StatusCode::BAD_GATEWAY,
                "Sign-in failed",
                &format!("{} could not sign you in: {e}.", provider.display_name()),
                Some(&back),
            ));
        }
    };
    let received: Vec<String> = identity.claims.names().map(str::to_owned).collect();
    // OIDC Core §2: when the user authenticated at the provider, where it
    // says (never in the future); else now, when the provider answered.
    let now = state.now();
    let auth_time = identity.auth_time.filter(|t| *t > 0).map_or(now, |t| t.min(now));
    let rules = &state.config.providers[&provider_id].rules;
    let mut outcome = match filter(identity, rules, &state.keys.pseudonymizer) {
        Ok(o) => o,
        Err(e) => {
            failed(e.reason());
            tracing::warn!(target: "claimgate::audit", provider = %provider_id, notice_version = notice_version(&state), client = %client, received = ?received, outcome = "failure", reason = e.reason(), "login");
            return Ok(pages::error(StatusCode::FORBIDDEN, "Sign-in refused", &format!("{e}."), Some(&back)));
        }
    };
    let had_picture = outcome.profile.picture.is_some();
    let provider_config = &state.config.providers[&provider_id];
    let picture = picture::settle(&state, provider_config, &outcome.user_key, &mut outcome.profile).await;
    if had_picture && outcome.profile.picture.is_none() {
        // Refused by the proxy: not kept after all.
        let source = rules.source(ProfileClaim::Picture).to_owned();
        outcome.kept.retain(|c| *c != source);
        outcome.dropped.push(source);
    }
    let invalid: Vec<&str> = outcome.invalid.iter().map(|r| r.reason()).collect();
    for refusal in &outcome.invalid {
        state
            .metrics
            .values_refused
            .with_label_values(&[&provider_id, refusal.claim().as_str(), refusal.reason()])
            .inc();
    }
    tracing::info!(
        target: "claimgate::audit",
        provider = %provider_id, client = %client,
        received = ?received, kept = ?outcome.kept, dropped = ?outcome.dropped, invalid = ?invalid, picture,
        notice_version = notice_version(&state),
        outcome = "success", "login"
    );
    state.metrics.logins_completed.with_label_values(&[&provider_id, &client]).inc();

    let record = Session {
        user_key: outcome.user_key,
        profile: outcome.profile,
        provider: provider_id.clone(),
        auth_time,
        expires_at: now + state.config.lifetimes.session_absolute.as_secs() as i64,
        disclosures: Vec::new(),
        consents: Default::default(),
        last_active: Some(now),
    };
    Ok(match open_session(&state, &req, &record).await {
        Ok(id) => {
            // The user saw the notice before going upstream: its required
            // claims are agreed to; optional ones are asked now if undecided.
            let seen = Seen::Notice;
            match consent_then_code(&state, pending.request, &id, &record, seen, pending.binding).await {
                Ok(step) if step.uses_session() => {
                    let mut response = step.into_response();
                    if let Err(e) = response.add_cookie(&session::session_cookie(&state, &id)) {
                        tracing::error!(error = %e, "could not set the session cookie");
                    }
                    response
                }
                // No code and no question: the session opened for this
                // sign-in is not kept, and no cookie names it.
                outcome => {
                    if let Err(e) = state.records.end_session(&id).await {
                        tracing::warn!(error = %e, "store failed while ending an unused session; it expires by itself");
                    }
                    outcome?.into_response()
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "store failed while opening a session");
            pages::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is unavailable",
                "Please try again in a moment.",
                Some(&back),
            )
        }
    })
}

/// The audit trail records which notice a login happened under.
fn notice_version(state: &AppState) -> &str {
    state.config.notice.version.as_deref().unwrap_or("")
}

/// A new session id on every login (no fixation); any previous session of
/// this browser ends.
async fn open_session(
    state: &AppState,
    req: &HttpRequest,
    record: &Session,
) -> Result<String, crate::store::StoreError> {
    if let Some(old) = session::session_id(state, req) {
        state.records.end_session(&old).await?;
    }
    let email_key = record.profile.email_address().map(|e| state.keys.pseudonymizer.email_key(e));
    let id = random_handle();
    let ttl = session::remaining(state, record).unwrap_or(state.config.lifetimes.session_idle);
    state.records.open_session(&id, record, ttl, email_key.as_deref()).await?;
    Ok(id)
}

#[derive(serde::Deserialize)]
pub struct DevQuery {
    state: String,
}

/// `GET /dev/{provider}/authorize`: the dev provider's sample login page.
pub async fn dev_authorize(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DevQuery>,
) -> HttpResponse {
    let id = path.into_inner();
    match state.config.providers.get(&id).map(|p| &p.kind) {
        Some(crate::config::ProviderKind::Dev) => {
            let picture = DevProvider::picture_url(&state.issuer, &id);
            pages::dev_login(&id, &query.state, &DevProvider::sample_claims(&picture))
        }
        _ => pages::error(StatusCode::NOT_FOUND, "Not found", "There is no such page.", None),
    }
}

/// `GET /dev/{provider}/picture.png`: the dev provider's sample picture.
pub async fn dev_picture(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    match state.config.providers.get(path.as_str()).map(|p| &p.kind) {
        Some(crate::config::ProviderKind::Dev) => {
            HttpResponse::Ok().content_type("image/png").body(DevProvider::sample_picture())
        }
        _ => pages::error(StatusCode::NOT_FOUND, "Not found", "There is no such page.", None),
    }
}
