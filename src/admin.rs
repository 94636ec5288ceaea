//! Operations endpoints: `/metrics` (Prometheus), `/healthz` (the process is
//! up), `/readyz` (the store answers and every provider's discovery loaded).

use crate::state::AppState;
use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    if let Ok(Some(n)) = state.records.store().count("session:").await {
        state.metrics.active_sessions.set(n as i64);
    }
    state.metrics.ready.set(i64::from(is_ready(&state).await.0));
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}

pub async fn healthz() -> HttpResponse {
    // Written out: probes call this often, and there is nothing to encode.
    HttpResponse::Ok().content_type(ContentType::json()).body(r#"{"status":"ok"}"#)
}

/// (ready, the store answers, every provider is loaded).
async fn is_ready(state: &AppState) -> (bool, bool, bool) {
    let store = state.records.store().ping().await.is_ok();
    // Providers are built (discovery done) before the server starts.
    let providers = state.providers.len() == state.config.providers.len();
    (store && providers, store, providers)
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (ready, store, providers) = is_ready(&state).await;
    // Stopping: still serving, but no new traffic should come here.
    let draining = state.draining.load(std::sync::atomic::Ordering::Relaxed);
    let ready = ready && !draining;
    state.metrics.ready.set(i64::from(ready));
    let body = json!({
        "store": if store { "ok" } else { "unavailable" },
        "providers": if providers { "ok" } else { "missing" },
        "draining": draining,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
