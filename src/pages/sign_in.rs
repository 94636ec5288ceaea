//! The pages of a sign-in: the notice (and provider chooser), and the dev
//! provider's stand-in login page.

use super::{html, language, layout};
use crate::messages::Msg;
use crate::policy::ProfileClaim;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use fluent_bundle::FluentValue;

/// What the notice page says, all of it from the policy.
pub struct Notice<'a> {
    pub app: &'a str,
    /// The required claims this app will receive under what it asked for.
    pub receives: &'a [ProfileClaim],
    /// The optional claims it asked for.
    pub optional: &'a [Choice],
    /// The user is known: optional claims are checkboxes (else they are
    /// chosen after the upstream sign-in).
    pub choices_shown: bool,
    /// `notice.keeps`.
    pub keeps: &'a [ProfileClaim],
    pub notice_url: Option<&'a str>,
    pub notice_version: Option<&'a str>,
    pub notice_revised: Option<&'a str>,
    pub ticket: &'a str,
    /// (id, display name) per provider button; empty: one "Continue" button.
    pub providers: &'a [(&'a str, &'a str)],
    /// Sign in with Apple is offered: it shares the name only once.
    pub apple_name_once: bool,
}

/// One optional claim on the notice.
pub struct Choice {
    pub claim: ProfileClaim,
    /// Ticked: the user gave it to this app before (unticked by default).
    pub ticked: bool,
    /// The app marked it essential (OIDC Core §5.5.1).
    pub essential: bool,
}

/// The notice shown before the user is sent upstream (and the provider
/// chooser when there are several): one form, one button per choice.
pub fn notice(n: &Notice) -> HttpResponse {
    let s = language::current();
    let app = || ("app", FluentValue::from(n.app));
    let receives = if n.receives.is_empty() {
        s.text(Msg::NoticeReceivesNothing, &[app()])
    } else {
        s.text(Msg::NoticeReceives, &[app(), ("claims", s.claims(n.receives).into())])
    };
    // `{locale}` in `notice.url`: the notice in the page's language.
    let notice_url = n.notice_url.map(|url| url.replace("{locale}", s.tag()));
    let version = match (n.notice_version, n.notice_revised) {
        (Some(v), Some(r)) => Some(s.text(Msg::NoticeVersionRevised, &[("version", v.into()), ("revised", r.into())])),
        (Some(v), None) => Some(s.text(Msg::NoticeVersion, &[("version", v.into())])),
        (None, _) => None,
    };
    let body = maud::html! {
        h1 { (s.text(Msg::NoticeHeading, &[app()])) }
        p { (receives) }
        form method="post" action="/authorize/continue" {
            input type="hidden" name="ticket" value=(n.ticket);
            @if !n.optional.is_empty() {
                @if n.choices_shown {
                    fieldset {
                        legend { (s.t(Msg::NoticeMayShare)) }
                        @for c in n.optional {
                            p {
                                label {
                                    input type="checkbox" name="claim" value=(c.claim.as_str()) checked[c.ticked];
                                    " " (s.claims(&[c.claim]))
                                    @if c.essential { " " (s.text(Msg::NoticeClaimNeeded, &[app()])) }
                                }
                            }
                        }
                    }
                } @else {
                    p {
                        (s.text(Msg::NoticeAlsoAsks, &[app(), ("claims", s.claims(&n.optional.iter().map(|c| c.claim).collect::<Vec<_>>()).into())]))
                    }
                }
            }
            @if n.providers.is_empty() {
                button type="submit" { (s.t(Msg::NoticeContinue)) }
            } @else {
                @for (id, name) in n.providers {
                    p { button type="submit" name="provider" value=(id) { (s.text(Msg::NoticeContinueWith, &[("provider", (*name).into())])) } }
                }
            }
        }
        @if n.apple_name_once {
            p { (s.t(Msg::NoticeAppleNameOnce)) }
        }
        p { (s.text(Msg::NoticeKeeps, &[("claims", s.claims(n.keeps).into())])) }
        @if notice_url.is_some() || version.is_some() {
            p {
                @if let Some(url) = &notice_url { a href=(url) { (s.t(Msg::NoticeRead)) } }
                @if notice_url.is_some() && version.is_some() { " " }
                @if let Some(version) = &version { (version) }
            }
        }
    };
    let title = s.text(Msg::NoticeTitle, &[app()]);
    html(StatusCode::OK, &s, layout(&s, &title, body))
}

/// The dev provider's sample login page: shows every claim the stand-in
/// upstream will send, so the filter's work is visible afterwards.
pub fn dev_login(provider_id: &str, state: &str, claims: &serde_json::Map<String, serde_json::Value>) -> HttpResponse {
    let s = language::current();
    let body = maud::html! {
        h1 { (s.t(Msg::DevHeading)) }
        p { (s.t(Msg::DevIntro)) }
        ul { @for (k, v) in claims { li { code { (k) } ": " (v.to_string()) } } }
        form method="get" action=(format!("/callback/{provider_id}")) {
            input type="hidden" name="state" value=(state);
            input type="hidden" name="code" value="dev-approved";
            button type="submit" { (s.t(Msg::DevSignIn)) }
        }
    };
    html(StatusCode::OK, &s, layout(&s, &s.t(Msg::DevTitle), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_joined_as_the_language_does() {
        let s = language::current();
        assert_eq!(s.claims(&ProfileClaim::ALL), "your name, your email address and your profile picture");
        assert_eq!(s.claims(&[ProfileClaim::Email]), "your email address");
        assert_eq!(s.claims(&[ProfileClaim::Name, ProfileClaim::Picture]), "your name and your profile picture");
    }
}
