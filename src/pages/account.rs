//! The signed-in user's own pages: what is stored (`/me`), sign-out and
//! erasure.

use super::{html, language, layout, Speaker};
use crate::messages::Msg;
use crate::policy::ProfileClaim;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use fluent_bundle::FluentValue;
use maud::{html as markup, Markup};

/// What `/me` shows: the stored profile, the apps that received it, the
/// session's times (already formatted), and the CSRF token of its forms.
pub struct MeView<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub picture: Option<OwnPicture<'a>>,
    pub provider: &'a str,
    pub signed_in: String,
    pub ends_by: String,
    /// (app name, the claims it received, when).
    pub apps: Vec<(&'a str, Vec<ProfileClaim>, String)>,
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
    let s = language::current();
    let not_stored = s.t(Msg::MeNotStored);
    let field = |label: Msg, value: Option<&str>| {
        markup! { li { (s.t(label)) ": " @match value { Some(value) => (value), None => (not_stored) } } }
    };
    let app = |name: &str| ("app", FluentValue::from(name.to_owned()));
    let notice_version = match (v.notice_version, v.notice_revised) {
        (Some(v), Some(r)) => {
            Some(s.text(Msg::MeNoticeVersionRevised, &[("version", v.into()), ("revised", r.into())]))
        }
        (Some(v), None) => Some(s.text(Msg::MeNoticeVersion, &[("version", v.into())])),
        (None, _) => None,
    };
    let notice_url = v.notice_url.map(|url| url.replace("{locale}", s.tag()));
    let body = markup! {
        h1 { (s.t(Msg::MeHeading)) }
        ul {
            (field(Msg::MeName, v.name))
            (field(Msg::MeEmail, v.email))
            li {
                (s.t(Msg::MePicture)) ": "
                @match v.picture {
                    Some(OwnPicture::Proxied) => {
                        br;
                        img src="/me/picture" alt=(s.t(Msg::MePictureAlt)) style="max-width:96px;max-height:96px";
                    }
                    Some(OwnPicture::Link(url)) => (url),
                    None => (not_stored),
                }
            }
        }
        p {
            (s.text(Msg::MeSession, &[
                ("provider", v.provider.into()),
                ("signed_in", v.signed_in.as_str().into()),
                ("ends_by", v.ends_by.as_str().into()),
            ]))
        }
        h2 { (s.t(Msg::MeAppsHeading)) }
        ul {
            @for (name, claims, at) in &v.apps {
                li {
                    @if claims.is_empty() {
                        (s.text(Msg::MeAppReceivedNothing, &[app(name), ("when", at.as_str().into())]))
                    } @else {
                        (s.text(Msg::MeAppReceived, &[app(name), ("claims", s.claims(claims).into()), ("when", at.as_str().into())]))
                    }
                }
            }
            @if v.apps.is_empty() { li { (s.t(Msg::MeNoApps)) } }
        }
        h2 { (s.t(Msg::MeConsentsHeading)) }
        @if v.consents.is_empty() { p { (s.t(Msg::MeNoConsents)) } }
        @for c in &v.consents { (consent_section(&s, v.csrf, c)) }
        p { a href="/me/export" download="claimgate-export.json" { (s.t(Msg::MeExport)) } }
        @if let Some(url) = &notice_url { p { a href=(url) { (s.t(Msg::MeNotice)) } } }
        @if let Some(version) = &notice_version { p { (version) } }
        form method="post" action="/logout" {
            input type="hidden" name="csrf" value=(v.csrf);
            button type="submit" { (s.t(Msg::SignOut)) }
        }
        form method="post" action="/me/erase" {
            input type="hidden" name="csrf" value=(v.csrf);
            p { button type="submit" { (s.t(Msg::MeDelete)) } }
        }
    };
    html(StatusCode::OK, &s, layout(&s, &s.t(Msg::MeTitle), body))
}

/// One app's consent on `/me`, with its withdrawal buttons.
fn consent_section(s: &Speaker, csrf: &str, c: &AppConsent) -> Markup {
    let app = || ("app", FluentValue::from(c.app));
    let when = || ("when", FluentValue::from(c.given_at.as_str()));
    markup! {
        section aria-label=(c.app) {
            h3 { (c.app) }
            p {
                @if c.receives.is_empty() { (s.t(Msg::MeConsentReceivesNothing)) }
                @else { (s.text(Msg::MeConsentReceives, &[("claims", s.claims(&c.receives).into())])) }
                @if !c.declined.is_empty() { " " (s.text(Msg::MeConsentDeclined, &[("claims", s.claims(&c.declined).into())])) }
                " "
                @match &c.notice_version {
                    Some(version) => (s.text(Msg::MeConsentGivenVersion, &[when(), ("version", version.as_str().into())])),
                    None => (s.text(Msg::MeConsentGiven, &[when()])),
                }
                @if !c.current { " " (s.t(Msg::MeConsentOutdated)) }
            }
            @for claim in &c.optional {
                form method="post" action=(format!("/me/apps/{}/withdraw", c.client_id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="claim" value=(claim.as_str());
                    button type="submit" { (s.text(Msg::MeWithdrawClaim, &[("claim", claim.as_str().into()), app()])) }
                }
            }
            form method="post" action=(format!("/me/apps/{}/withdraw", c.client_id)) {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { (s.text(Msg::MeWithdrawApp, &[app()])) }
            }
        }
    }
}

pub fn not_signed_in() -> HttpResponse {
    let s = language::current();
    let body = markup! {
        h1 { (s.t(Msg::NotSignedInHeading)) }
        p { (s.t(Msg::NotSignedInText)) }
    };
    html(StatusCode::OK, &s, layout(&s, &s.t(Msg::MeTitle), body))
}

/// After "Delete my data": which apps were told, and whether they heard.
/// `told`: (app name, delivered now).
pub fn deleted(told: &[(String, bool)]) -> HttpResponse {
    let s = language::current();
    let body = markup! {
        h1 { (s.t(Msg::DeletedHeading)) }
        p { (s.t(Msg::DeletedText)) }
        @if !told.is_empty() {
            h2 { (s.text(Msg::DeletedToldHeading, &[("count", told.len().into())])) }
            ul {
                @for (app, delivered) in told {
                    li {
                        @if *delivered { (s.text(Msg::DeletedTold, &[("app", app.as_str().into())])) }
                        @else { (s.text(Msg::DeletedNotYet, &[("app", app.as_str().into())])) }
                    }
                }
            }
        }
    };
    html(StatusCode::OK, &s, layout(&s, &s.t(Msg::DeletedTitle), body))
}

pub fn signed_out() -> HttpResponse {
    let s = language::current();
    let body = markup! {
        h1 { (s.t(Msg::SignedOutHeading)) }
        p { (s.t(Msg::SignedOutText)) }
    };
    html(StatusCode::OK, &s, layout(&s, &s.t(Msg::SignedOutTitle), body))
}

/// Asks before signing out (RP-initiated logout without a valid hint): the
/// form carries the CSRF token and the request's own parameters.
pub fn confirm_sign_out(csrf: &str, carried: &[(&str, &str)]) -> HttpResponse {
    let s = language::current();
    let body = markup! {
        h1 { (s.t(Msg::SignOutHeading)) }
        p { (s.t(Msg::SignOutText)) }
        form method="post" action="/logout" {
            input type="hidden" name="csrf" value=(csrf);
            @for (name, value) in carried { input type="hidden" name=(name) value=(value); }
            button type="submit" { (s.t(Msg::SignOut)) }
        }
    };
    html(StatusCode::OK, &s, layout(&s, &s.t(Msg::SignOut), body))
}
