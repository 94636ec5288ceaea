//! The provider's answer (`/callback/{provider}`): the pending login taken
//! once, by the browser that began it; the provider verifies its response;
//! the identity crosses THE FILTER (`crate::policy::filter`), the only place
//! upstream claims become a `Profile`; the picture is settled; a new SSO
//! session opens and the journey finishes (`super::finish`).

use super::audit::{Kept, LoginAudit};
use super::finish::{app_url, consent_then_code, Seen};
use crate::account::{picture, session};
use crate::config::ProviderConfig;
use crate::ids::ClientId;
use crate::messages::Msg;
use crate::pages::{self, language, Problem};
use crate::policy::{filter, FilterError, FilterOutcome, ProfileClaim, UpstreamIdentity};
use crate::protocol::binding;
use crate::protocol::cookies::{session_cookie, session_id};
use crate::protocol::errors::PageError;
use crate::state::AppState;
use crate::store::records::{AuthorizationRequest, BindingDigest, PendingLogin, Session, SessionId};
use crate::store::StoreError;
use crate::upstream::{CallbackParams, UpstreamPending, UpstreamProvider};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use std::sync::Arc;

const EXPIRED: Msg = Msg::LinkUsed;

pub async fn finish_upstream(
    state: &AppState,
    req: &HttpRequest,
    path: &str,
    params: CallbackParams,
) -> Result<HttpResponse, PageError> {
    let mut audit = LoginAudit::new(state);
    // The path is the client's: only a configured provider id is ever logged.
    let (Some(config), Some(provider)) = (state.config.providers.get(path), state.providers.get(path)) else {
        audit.failure("unknown_provider");
        return Ok(pages::refused(StatusCode::NOT_FOUND, Msg::NotFoundTitle, Msg::NoSuchProvider));
    };
    audit.provider = Some(&config.id);
    let pending = take_pending(state, req, config, params.state.as_deref(), &mut audit).await?;
    let back = app_url(state, &pending.request, &[("error", "access_denied"), ("error_description", "sign-in failed")]);
    let PendingLogin { upstream, request, binding, .. } = pending;
    let identity = match verify(state, provider, config, upstream, &request.client_id, params).await {
        Ok(identity) => identity,
        Err(reason) => {
            audit.failure(reason.0);
            // The reason's label is language-neutral: support can read it.
            let problem = Problem {
                provider: Some(provider.display_name().to_owned()),
                code: Some(reason.0),
                ..Problem::new(Msg::SignInFailedTitle, Msg::SignInFailedText)
            };
            return Ok(pages::error(StatusCode::BAD_GATEWAY, problem, Some(&back)));
        }
    };
    let received: Vec<String> = identity.claims.names().map(str::to_owned).collect();
    let record = match keep(state, config, &request.client_id, identity, &received, &audit).await {
        Ok(record) => record,
        Err(e) => {
            let problem = Problem::new(Msg::SignInRefusedTitle, refusal_text(&e));
            return Ok(pages::error(StatusCode::FORBIDDEN, problem, Some(&back)));
        }
    };
    Ok(match open_session(state, req, &record).await {
        Ok(id) => finish_in_session(state, request, binding, &id, &record).await?,
        Err(e) => {
            tracing::error!(error = %e, "store failed while opening a session");
            let problem = Problem::new(Msg::SignInUnavailableTitle, Msg::TryAgain);
            pages::error(StatusCode::SERVICE_UNAVAILABLE, problem, Some(&back))
        }
    })
}

/// The pending login this callback's `state` names, taken (single use: a
/// replayed or forged callback finds nothing), for this provider, in the
/// browser that began it (login CSRF, RFC 6749 §10.12), for a client still
/// registered. Every refusal is audited.
async fn take_pending<'a>(
    state: &'a AppState,
    req: &HttpRequest,
    provider: &ProviderConfig,
    upstream_state: Option<&str>,
    audit: &mut LoginAudit<'a>,
) -> Result<PendingLogin, PageError> {
    let Some(upstream_state) = upstream_state else {
        audit.failure("missing_state");
        return Err(PageError::Expired(EXPIRED));
    };
    let Some(pending) = state.records.take_pending(upstream_state).await? else {
        audit.failure("unknown_state");
        return Err(PageError::Expired(EXPIRED));
    };
    let Some(client) = state.client(&pending.request.client_id) else { return Err(PageError::Expired(EXPIRED)) };
    audit.client = Some(&client.id);
    if pending.provider != provider.id {
        audit.failure("provider_mismatch");
        return Err(PageError::Expired(EXPIRED));
    }
    // The pending login is consumed either way.
    if !binding::is_same_browser(state, req, &pending.binding) {
        state
            .metrics
            .logins_failed
            .with_label_values(&[provider.id.as_str(), client.id.as_str(), "browser_mismatch"])
            .inc();
        audit.failure("browser_mismatch");
        return Err(PageError::OtherBrowser);
    }
    language::restore(pending.locale.as_deref());
    Ok(pending)
}

/// The provider checks its own response (signatures, issuer, audience,
/// nonce, PKCE). A refusal is its reason code and its text for the page.
async fn verify(
    state: &AppState,
    provider: &Arc<dyn UpstreamProvider>,
    config: &ProviderConfig,
    upstream: UpstreamPending,
    client: &ClientId,
    params: CallbackParams,
) -> Result<UpstreamIdentity, (&'static str, String)> {
    let started = std::time::Instant::now();
    let finished = provider.finish(upstream, params).await;
    let upstream_seconds = state.metrics.upstream_seconds.with_label_values(&[&config.id, "callback"]);
    upstream_seconds.observe(started.elapsed().as_secs_f64());
    finished.map_err(|e| {
        state.metrics.logins_failed.with_label_values(&[config.id.as_str(), client.as_str(), e.reason()]).inc();
        (e.reason(), e.to_string())
    })
}

/// What the page says of a refusal by the provider's rules.
fn refusal_text(e: &FilterError) -> Msg {
    match e {
        FilterError::MissingEmail => Msg::RefusedMissingEmail,
        FilterError::UnverifiedEmail => Msg::RefusedUnverifiedEmail,
        FilterError::EmailDomainNotAllowed => Msg::RefusedEmailDomain,
        FilterError::MissingSubject => Msg::RefusedMissingSubject,
        FilterError::HostedDomainNotAllowed => Msg::RefusedHostedDomain,
        FilterError::TenantNotAllowed => Msg::RefusedTenant,
    }
}

/// THE FILTER, then the picture: the session record of what is kept. A
/// refusal is the page's text.
async fn keep(
    state: &AppState,
    config: &ProviderConfig,
    client: &ClientId,
    identity: UpstreamIdentity,
    received: &[String],
    audit: &LoginAudit<'_>,
) -> Result<Session, FilterError> {
    // OIDC Core §2: when the user authenticated at the provider, where it
    // says (never in the future); else now, when the provider answered.
    let now = state.now();
    let auth_time = identity.auth_time.filter(|t| *t > 0).map_or(now, |t| t.min(now));
    let mut outcome = filter(identity, &config.rules, &state.keys.pseudonymizer).inspect_err(|e| {
        state.metrics.logins_failed.with_label_values(&[config.id.as_str(), client.as_str(), e.reason()]).inc();
        audit.failure_after(e.reason(), received);
    })?;
    let picture = settle_picture(state, config, &mut outcome).await;
    let invalid: Vec<&'static str> = outcome.invalid.iter().map(|r| r.reason()).collect();
    for refusal in &outcome.invalid {
        let labels = [config.id.as_str(), refusal.claim().as_str(), refusal.reason()];
        state.metrics.values_refused.with_label_values(&labels).inc();
    }
    let (kept, dropped) = (&outcome.kept, &outcome.dropped);
    audit.success(&Kept { received, kept, dropped, invalid: &invalid, picture });
    state.metrics.logins_completed.with_label_values(&[config.id.as_str(), client.as_str()]).inc();
    Ok(Session {
        user_key: outcome.user_key,
        profile: outcome.profile,
        provider: config.id.clone(),
        auth_time,
        expires_at: now + state.config.lifetimes.session_absolute.as_secs() as i64,
        disclosures: Vec::new(),
        consents: Default::default(),
        last_active: Some(now),
    })
}

/// The picture proxy's outcome; a picture it refused is not kept after all.
async fn settle_picture(state: &AppState, config: &ProviderConfig, outcome: &mut FilterOutcome) -> &'static str {
    let had_picture = outcome.profile.picture.is_some();
    let settled = picture::settle(state, config, &outcome.user_key, &mut outcome.profile).await;
    if had_picture && outcome.profile.picture.is_none() {
        let source = config.rules.source(ProfileClaim::Picture).to_owned();
        outcome.kept.retain(|c| *c != source);
        outcome.dropped.push(source);
    }
    settled
}

/// A new session id on every login (no fixation); any previous session of
/// this browser ends.
async fn open_session(state: &AppState, req: &HttpRequest, record: &Session) -> Result<SessionId, StoreError> {
    if let Some(old) = session_id(state, req) {
        state.records.end_session(&old).await?;
    }
    let email_key = record.profile.email_address().map(|e| state.keys.pseudonymizer.email_key(e));
    let id = SessionId::random();
    let ttl = session::remaining(state, record).unwrap_or(state.config.lifetimes.session_idle);
    state.records.open_session(&id, record, ttl, email_key.as_deref()).await?;
    Ok(id)
}

/// The user saw the notice before going upstream: its required claims are
/// agreed to; optional ones are asked now if undecided. The session opened
/// for this sign-in is kept (and its cookie set) only when the browser goes
/// on with it.
async fn finish_in_session(
    state: &AppState,
    request: AuthorizationRequest,
    binding: BindingDigest,
    id: &SessionId,
    record: &Session,
) -> Result<HttpResponse, PageError> {
    match consent_then_code(state, request, id, record, Seen::Notice, binding).await {
        Ok(step) if step.uses_session() => {
            let mut response = step.into_response();
            if let Err(e) = response.add_cookie(&session_cookie(state, id)) {
                tracing::error!(error = %e, "could not set the session cookie");
            }
            Ok(response)
        }
        outcome => {
            if let Err(e) = state.records.end_session(id).await {
                tracing::warn!(error = %e, "store failed while ending an unused session; it expires by itself");
            }
            Ok(outcome?.into_response())
        }
    }
}
