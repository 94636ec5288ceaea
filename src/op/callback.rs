//! `GET /callback/{provider}` (the provider's answer: `crate::journey::callback`)
//! and the dev provider's own pages.

use crate::journey::callback::finish_upstream;
use crate::pages;
use crate::protocol::errors::PageError;
use crate::state::AppState;
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
    finish_upstream(&state, &req, &path, params.into_inner()).await
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
    match state.config.providers.get(id.as_str()).map(|p| &p.kind) {
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
