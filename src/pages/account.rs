//! The signed-in user's own pages: what is stored (`/me`), sign-out and
//! erasure.

use super::{html, layout, plain_list};
use crate::policy::ProfileClaim;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::html as markup;

/// What `/me` shows: the stored profile, the apps that received it, the
/// session's times (already formatted), and the CSRF token of its forms.
pub struct MeView<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub picture: Option<OwnPicture<'a>>,
    pub provider: &'a str,
    pub signed_in: String,
    pub ends_by: String,
    /// (app name, claims received or a phrase, when).
    pub apps: Vec<(&'a str, String, String)>,
    /// What the user consented to, per app.
    pub consents: Vec<AppConsent<'a>>,
    pub notice_url: Option<&'a str>,
    pub notice_version: Option<&'a str>,
    pub notice_revised: Option<&'a str>,
    pub csrf: &'a str,
}

/// One app's consent on `/me`.
pub struct AppConsent<'a> {
    pub client_id: &'a str,
    pub app: &'a str,
    /// The claims it receives (consented and configured).
    pub receives: Vec<ProfileClaim>,
    /// Which of them are optional (each can be withdrawn alone).
    pub optional: Vec<ProfileClaim>,
    pub declined: Vec<ProfileClaim>,
    pub given_at: String,
    pub notice_version: Option<String>,
    /// Given under the current notice version (else it counts as none).
    pub current: bool,
}

/// The user's picture on `/me`.
pub enum OwnPicture<'a> {
    /// Served by claimgate at `/me/picture`.
    Proxied,
    /// The provider's URL (`[notice] picture = "link"`): shown as text, not
    /// loaded, so that this page tells the provider nothing.
    Link(&'a str),
}

pub fn me(v: &MeView) -> HttpResponse {
    let field = |label: &str, value: Option<&str>| {
        markup! { li { (label) ": " @match value { Some(value) => (value), None => "not stored" } } }
    };
    let body = markup! {
        h1 { "What claimgate stores about you" }
        ul {
            (field("Name", v.name))
            (field("Email address", v.email))
            li {
                "Profile picture: "
                @match v.picture {
                    Some(OwnPicture::Proxied) => {
                        br;
                        img src="/me/picture" alt="Your profile picture, as claimgate keeps it" style="max-width:96px;max-height:96px";
                    }
                    Some(OwnPicture::Link(url)) => (url),
                    None => "not stored",
                }
            }
        }
        p {
            "Nothing else from your " (v.provider) " account is kept. Signed in " (v.signed_in)
            "; this session ends by " (v.ends_by) " at the latest."
        }
        h2 { "Apps in this session" }
        ul {
            @for (app, claims, at) in &v.apps { li { (app) " received " (claims) " on " (at) } }
            @if v.apps.is_empty() { li { "No app has received anything in this session." } }
        }
        h2 { "What you agreed to share" }
        @if v.consents.is_empty() { p { "You have not agreed to share anything with an app." } }
        @for c in &v.consents {
            section aria-label=(c.app) {
                h3 { (c.app) }
                p {
                    @if c.receives.is_empty() { "Receives only an identifier that is unique to it." }
                    @else { "Receives " (plain_list(&c.receives)) "." }
                    @if !c.declined.is_empty() { " You declined " (plain_list(&c.declined)) "." }
                    " Agreed on " (c.given_at)
                    @if let Some(version) = &c.notice_version { " under notice version " (version) }
                    "."
                    @if !c.current { " The notice has changed since: you will be asked again." }
                }
                @for claim in &c.optional {
                    form method="post" action=(format!("/me/apps/{}/withdraw", c.client_id)) {
                        input type="hidden" name="csrf" value=(v.csrf);
                        input type="hidden" name="claim" value=(claim.as_str());
                        button type="submit" { "Stop sharing my " (plain_list(&[*claim]).trim_start_matches("your ")) " with " (c.app) }
                    }
                }
                form method="post" action=(format!("/me/apps/{}/withdraw", c.client_id)) {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button type="submit" { "Withdraw everything from " (c.app) }
                }
            }
        }
        p { a href="/me/export" download="claimgate-export.json" { "Download my data (JSON)" } }
        @match (v.notice_url, v.notice_version) {
            (Some(url), version) => p {
                a href=(url) { "Privacy notice" }
                @if let Some(version) = version { " (version " (version) @if let Some(r) = v.notice_revised { ", revised " (r) } ")" }
            },
            (None, Some(version)) => p { "Privacy notice version " (version) @if let Some(r) = v.notice_revised { ", revised " (r) } },
            (None, None) => {},
        }
        form method="post" action="/logout" {
            input type="hidden" name="csrf" value=(v.csrf);
            button type="submit" { "Sign out" }
        }
        form method="post" action="/me/erase" {
            input type="hidden" name="csrf" value=(v.csrf);
            p { button type="submit" { "Delete my data" } }
        }
    };
    html(StatusCode::OK, layout("Your data", body))
}

pub fn not_signed_in() -> HttpResponse {
    let body = markup! {
        h1 { "You are not signed in" }
        p { "claimgate holds no session for this browser." }
    };
    html(StatusCode::OK, layout("Your data", body))
}

/// After "Delete my data": which apps were told, and whether they heard.
/// `told`: (app name, delivered now).
pub fn deleted(told: &[(String, bool)]) -> HttpResponse {
    let body = markup! {
        h1 { "Your data is deleted" }
        p {
            "claimgate holds nothing about you any more. Apps that received your name, email or picture "
            "keep their own copies under their own privacy policies."
        }
        @if !told.is_empty() {
            h2 { "Apps told that you signed out" }
            ul {
                @for (app, delivered) in told {
                    li {
                        (app) ": "
                        @if *delivered { "told." } @else { "not reachable yet; claimgate keeps trying for an hour." }
                    }
                }
            }
        }
    };
    html(StatusCode::OK, layout("Deleted", body))
}

pub fn signed_out() -> HttpResponse {
    let body = markup! {
        h1 { "You are signed out" }
        p { "Your claimgate session has ended." }
    };
    html(StatusCode::OK, layout("Signed out", body))
}

/// Asks before signing out (RP-initiated logout without a valid hint): the
/// form carries the CSRF token and the request's own parameters.
pub fn confirm_sign_out(csrf: &str, carried: &[(&str, &str)]) -> HttpResponse {
    let body = markup! {
        h1 { "Sign out?" }
        p { "This ends your claimgate session and the access of every app you signed in to through it." }
        form method="post" action="/logout" {
            input type="hidden" name="csrf" value=(csrf);
            @for (name, value) in carried { input type="hidden" name=(name) value=(value); }
            button type="submit" { "Sign out" }
        }
    };
    html(StatusCode::OK, layout("Sign out", body))
}
