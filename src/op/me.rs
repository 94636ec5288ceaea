//! `/me`: the signed-in user's own view — what claimgate stores about them,
//! which apps received what and when — with sign-out and erasure.

use super::errors::PageError;
use super::{session, AppState};
use crate::pages;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

fn when(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

pub async fn me(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let Some((id, s)) = session::current(&state, &req).await? else {
        return Ok(pages::html(
            StatusCode::OK,
            pages::page(
                "Your data",
                "<h1>You are not signed in</h1><p>claimgate holds no session for this browser.</p>",
            ),
        ));
    };
    let field = |label: &str, v: &Option<String>| match v {
        Some(v) => format!("<li>{label}: {}</li>", text(v)),
        None => format!("<li>{label}: not stored</li>"),
    };
    let mut apps = String::new();
    for d in &s.disclosures {
        let name = state.client(&d.client_id).map(|c| c.name.as_str()).unwrap_or(&d.client_id);
        let claims = if d.claims.is_empty() { "only a pseudonymous identifier".into() } else { d.claims.join(", ") };
        apps.push_str(&format!("<li>{} received {} on {}</li>", text(name), text(&claims), when(d.at)));
    }
    if apps.is_empty() {
        apps = "<li>No app has received anything in this session.</li>".into();
    }
    let csrf = attr(&state.keys.pseudonymizer.csrf_token(&id)).to_string();
    let notice = match (&state.config.notice.url, &state.config.notice.version) {
        (Some(url), version) => format!(
            "<p><a href=\"{}\">Privacy notice</a>{}</p>",
            attr(url),
            version.as_deref().map(|v| format!(" (version {})", text(v))).unwrap_or_default()
        ),
        (None, Some(v)) => format!("<p>Privacy notice version {}</p>", text(v)),
        (None, None) => String::new(),
    };
    let body = format!(
        "<h1>What claimgate stores about you</h1><ul>{}{}{}</ul>\
<p>Nothing else from your {} account is kept. Signed in {}; this session ends by {} at the latest.</p>\
<h2>Apps in this session</h2><ul>{apps}</ul>{notice}\
<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">Sign out</button></form>\
<form method=\"post\" action=\"/me/erase\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<p><button type=\"submit\">Delete my data</button></p></form>",
        field("Name", &s.profile.name),
        field("Email address", &s.profile.email),
        field("Profile picture", &s.profile.picture),
        text(&s.provider),
        when(s.auth_time),
        when(s.expires_at),
    );
    Ok(pages::html(StatusCode::OK, pages::page("Your data", &body)))
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Erases every session, code and token of the signed-in user.
pub async fn erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let Some((id, s)) = session::current(&state, &req).await? else {
        return Ok(pages::error(
            StatusCode::BAD_REQUEST,
            "Not signed in",
            "There is nothing to delete for this browser.",
            None,
        ));
    };
    if !state.keys.pseudonymizer.csrf_matches(&id, &form.csrf) {
        return Ok(pages::error(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form has expired. Please open the page again.",
            None,
        ));
    }
    state.records.erase_user(&s.user_key).await?;
    tracing::info!(outcome = "erased", by = "user", "erasure");
    let mut r = pages::html(
        StatusCode::OK,
        pages::page("Deleted", "<h1>Your data is deleted</h1><p>claimgate holds nothing about you any more. Apps that received your name, email or picture keep their own copies under their own privacy policies.</p>"),
    );
    let _ = r.add_cookie(&session::removal_cookie(&state));
    Ok(r)
}
