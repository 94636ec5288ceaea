//! The pages of a sign-in: the notice (and provider chooser), and the dev
//! provider's stand-in login page.

use super::{html, layout};
use crate::policy::ProfileClaim;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

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

fn claim_words(claim: ProfileClaim) -> &'static str {
    match claim {
        ProfileClaim::Name => "name",
        ProfileClaim::Email => "email address",
        ProfileClaim::Picture => "profile picture",
    }
}

/// "your name, email address and profile picture"
pub fn plain_list(claims: &[ProfileClaim]) -> String {
    let words: Vec<&str> = claims.iter().map(|c| claim_words(*c)).collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => format!("your {one}"),
        [init @ .., last] => format!("your {} and {last}", init.join(", ")),
    }
}

/// The notice shown before the user is sent upstream (and the provider
/// chooser when there are several): one form, one button per choice.
pub fn notice(n: &Notice) -> HttpResponse {
    let receives = if n.receives.is_empty() {
        "only an identifier that is unique to it, so it cannot recognise you elsewhere".to_string()
    } else {
        format!("{}, and an identifier that is unique to it", plain_list(n.receives))
    };
    let body = maud::html! {
        h1 { (n.app) " asks you to sign in" }
        p { (n.app) " will receive " (receives) "." }
        form method="post" action="/authorize/continue" {
            input type="hidden" name="ticket" value=(n.ticket);
            @if !n.optional.is_empty() {
                @if n.choices_shown {
                    fieldset {
                        legend { "You may also share, if you choose:" }
                        @for c in n.optional {
                            p {
                                label {
                                    input type="checkbox" name="claim" value=(c.claim.as_str()) checked[c.ticked];
                                    " your " (claim_words(c.claim))
                                    @if c.essential { " (" (n.app) " says it needs this)" }
                                }
                            }
                        }
                    }
                } @else {
                    p {
                        (n.app) " also asks for " (plain_list(&n.optional.iter().map(|c| c.claim).collect::<Vec<_>>()))
                        ", which you may decline: you choose after signing in, unless you chose before."
                    }
                }
            }
            @if n.providers.is_empty() {
                button type="submit" { "Continue" }
            } @else {
                @for (id, name) in n.providers {
                    p { button type="submit" name="provider" value=(id) { "Continue with " (name) } }
                }
            }
        }
        @if n.apple_name_once {
            p {
                "Apple shares your name only the first time you sign in with Apple here: "
                "apps that received it keep it, and later sign-ins carry no name."
            }
        }
        p {
            "claimgate keeps " (plain_list(n.keeps)) "; nothing else from your account is kept. "
            "You can see, withdraw and download what you shared at any time on your claimgate page (/me)."
            @if let Some(url) = n.notice_url {
                " " a href=(url) { "Read the privacy notice" } "."
            }
            @if let Some(version) = n.notice_version {
                " Notice version " (version)
                @if let Some(revised) = n.notice_revised { ", revised " (revised) }
                "."
            }
        }
    };
    html(StatusCode::OK, layout(&format!("Sign in to {}", n.app), body))
}

/// The dev provider's sample login page: shows every claim the stand-in
/// upstream will send, so the filter's work is visible afterwards.
pub fn dev_login(provider_id: &str, state: &str, claims: &serde_json::Map<String, serde_json::Value>) -> HttpResponse {
    let body = maud::html! {
        h1 { "Dev sign-in (not a real provider)" }
        p {
            "This stand-in upstream signs in one sample user and sends these claims. "
            "claimgate keeps only what the notice allows and drops the rest."
        }
        ul { @for (k, v) in claims { li { code { (k) } ": " (v.to_string()) } } }
        form method="get" action=(format!("/callback/{provider_id}")) {
            input type="hidden" name="state" value=(state);
            input type="hidden" name="code" value="dev-approved";
            button type="submit" { "Sign in as the sample user" }
        }
    };
    html(StatusCode::OK, layout("Dev sign-in", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words() {
        assert_eq!(plain_list(&ProfileClaim::ALL), "your name, email address and profile picture");
        assert_eq!(plain_list(&[ProfileClaim::Email]), "your email address");
    }
}
