//! Server-rendered HTML, as `maud` templates: escaped at compile time, no
//! script, no external assets. One file per page family; `layout` wraps
//! each in the same document and `html` answers with the same security
//! headers (a CSP without scripts).

mod account;
pub mod language;
mod sign_in;

pub use account::{confirm_sign_out, deleted, me, not_signed_in, signed_out, AppConsent, MeView, OwnPicture};
pub use language::Speaker;
pub use sign_in::{dev_login, notice, Choice, Notice};

use crate::messages::Msg;
use crate::policy::ProfileClaim;
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// WCAG 2.2 AA in both colour schemes (contrast ≥ 4.5:1 for text, 3:1 for
/// the focus ring), links underlined (not colour alone), and reflow at 320
/// CSS px: long values (a picture URL, a claim) wrap anywhere.
const STYLE: &str = ":root{color-scheme:light dark}\
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;\
line-height:1.5;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}h1{font-size:1.4rem}a,button{font-size:1rem}\
a{color:#1a56db;text-decoration:underline}\
button{font-family:inherit;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1a56db;color:#fff;cursor:pointer;max-width:100%}\
button:focus,a:focus,input:focus{outline:3px solid #b45309;outline-offset:2px}ul{padding-left:1.2rem}\
fieldset{border:1px solid #6b7280;border-radius:.3rem}input[type=checkbox]{width:1.5rem;height:1.5rem;vertical-align:middle}\
code{background:#f3f4f6;padding:0 .2rem}.muted{color:#4b5563}\
@media (prefers-color-scheme:dark){body{color:#e5e7eb;background:#111827}a{color:#93c5fd}\
button{background:#93c5fd;color:#111827}button:focus,a:focus,input:focus{outline-color:#fbbf24}\
fieldset{border-color:#9ca3af}code{background:#1f2937}.muted{color:#9ca3af}}";

impl Speaker {
    /// A message without variables.
    pub fn t(&self, msg: Msg) -> String {
        self.text(msg, &[])
    }

    /// One claim as the object of a sentence ("your email address").
    fn claim(&self, claim: ProfileClaim) -> String {
        self.t(match claim {
            ProfileClaim::Name => Msg::ClaimName,
            ProfileClaim::Email => Msg::ClaimEmail,
            ProfileClaim::Picture => Msg::ClaimPicture,
        })
    }

    /// "your name, your email address and your profile picture", joined as the
    /// language joins a list (its `list-two` and `list-three`).
    pub fn claims(&self, claims: &[ProfileClaim]) -> String {
        let words: Vec<String> = claims.iter().map(|c| self.claim(*c)).collect();
        match words.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [first, second] => self.text(Msg::ListTwo, &[("first", first.into()), ("second", second.into())]),
            [first, second, third, ..] => self
                .text(Msg::ListThree, &[("first", first.into()), ("second", second.into()), ("third", third.into())]),
        }
    }
}

/// The document every page shares, in the request's language.
fn layout(s: &Speaker, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(s.tag()) dir=(s.direction()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " · claimgate" }
                // A constant of this file, not user input.
                style { (PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
}

/// A page answer with claimgate's security headers.
fn html(status: StatusCode, s: &Speaker, page: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((header::CONTENT_LANGUAGE, s.tag()))
        .insert_header((header::VARY, "Accept-Language"))
        .body(page.into_string())
}

/// What an error page says: a title, a sentence, and perhaps an error code
/// (a provider's refusal, language-neutral for support).
pub struct Problem {
    pub title: Msg,
    pub text: Msg,
    /// Variables of `text` (`provider`).
    pub provider: Option<String>,
    pub code: Option<&'static str>,
}

impl Problem {
    pub fn new(title: Msg, text: Msg) -> Problem {
        Problem { title, text, provider: None, code: None }
    }
}

/// An error the user can read. `back` is where the app may be told of the
/// failure (its redirect URI with `error=`), when that is known to be safe.
pub fn error(status: StatusCode, problem: Problem, back: Option<&str>) -> HttpResponse {
    let s = language::current();
    let title = s.t(problem.title);
    let text = match &problem.provider {
        Some(p) => s.text(problem.text, &[("provider", p.as_str().into())]),
        None => s.t(problem.text),
    };
    let body = html! {
        h1 { (title) }
        p { (text) }
        @if let Some(code) = problem.code {
            p class="muted" { (s.text(Msg::ErrorCode, &[("code", code.into())])) }
        }
        @if let Some(url) = back {
            p { a href=(url) { (s.t(Msg::ErrorReturn)) } }
        }
        p class="muted" { (s.t(Msg::ErrorNothingKept)) }
    };
    html(status, &s, layout(&s, &title, body))
}

/// The short form of [`error`]: a title and a sentence.
pub fn refused(status: StatusCode, title: Msg, text: Msg) -> HttpResponse {
    error(status, Problem::new(title, text), None)
}

/// The store is down, slow, or holds as many sign-ins in progress as allowed:
/// a fast 503 the user may retry.
pub fn unavailable() -> HttpResponse {
    let mut response = refused(StatusCode::SERVICE_UNAVAILABLE, Msg::UnavailableTitle, Msg::TryAgain);
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Catalog;
    use std::sync::Arc;

    fn body(r: HttpResponse) -> String {
        let bytes = futures::executor::block_on(actix_web::body::to_bytes(r.into_body())).unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn escapes_everything() {
        let s = language::current();
        let page = layout(&s, "<x>", html! { p { ("<script>alert(1)</script>") } }).into_string();
        assert!(!page.contains("<script>") && !page.contains("<x>"), "{page}");
        let r = error(
            StatusCode::BAD_REQUEST,
            Problem::new(Msg::RequestInvalidTitle, Msg::NotFormData),
            Some("https://app.example/cb?a=1&b=\"2\""),
        );
        assert!(body(r).contains("href=\"https://app.example/cb?a=1&amp;b=&quot;2&quot;\""));
    }

    /// Every page a person sees, with every optional part shown.
    fn every_page() -> Vec<(&'static str, HttpResponse)> {
        let choices = [
            Choice { claim: ProfileClaim::Picture, ticked: true, essential: true },
            Choice { claim: ProfileClaim::Email, ticked: false, essential: false },
        ];
        let notice = |choices_shown| Notice {
            app: "Wiki",
            receives: &[ProfileClaim::Name],
            optional: &choices,
            choices_shown,
            keeps: &ProfileClaim::ALL,
            notice_url: Some("https://example.com/privacy?lang={locale}"),
            notice_version: Some("3"),
            notice_revised: Some("2026-12-01"),
            ticket: "t",
            providers: &[("google", "Google"), ("apple", "Apple")],
            apple_name_once: true,
        };
        let consent = AppConsent {
            client_id: "wiki",
            app: "Wiki",
            receives: vec![ProfileClaim::Name, ProfileClaim::Email],
            optional: vec![ProfileClaim::Email],
            declined: vec![ProfileClaim::Picture],
            given_at: "2026-12-04 10:00 UTC".into(),
            notice_version: Some("3".into()),
            current: false,
        };
        let me_view = MeView {
            name: Some("Ada"),
            email: None,
            picture: Some(OwnPicture::Proxied),
            provider: "Google",
            signed_in: "2026-12-04 10:00 UTC".into(),
            ends_by: "2026-12-05 10:00 UTC".into(),
            apps: vec![
                ("Wiki", vec![ProfileClaim::Name, ProfileClaim::Email, ProfileClaim::Picture], "x".into()),
                ("Blog", vec![], "y".into()),
            ],
            consents: vec![consent],
            notice_url: Some("https://example.com/{locale}/privacy"),
            notice_version: Some("3"),
            notice_revised: Some("2026-12-01"),
            csrf: "c",
        };
        let claims = serde_json::json!({"email": "a@b.c"}).as_object().unwrap().clone();
        let failed = Problem {
            provider: Some("Google".into()),
            code: Some("nonce_mismatch"),
            ..Problem::new(Msg::SignInFailedTitle, Msg::SignInFailedText)
        };
        vec![
            ("notice", sign_in::notice(&notice(true))),
            ("notice before sign-in", sign_in::notice(&notice(false))),
            ("dev", dev_login("dev", "s", &claims)),
            ("me", me(&me_view)),
            ("not signed in", not_signed_in()),
            ("deleted", deleted(&[("Wiki".into(), true), ("Blog".into(), false)])),
            ("signed out", signed_out()),
            ("confirm sign-out", confirm_sign_out("c", &[("state", "s")])),
            ("error", error(StatusCode::BAD_GATEWAY, failed, Some("https://app.example/cb"))),
            ("unavailable", unavailable()),
        ]
    }

    #[test]
    fn every_page_renders_in_every_language_without_a_gap() {
        let catalog = Arc::new(Catalog::built_in());
        let english: Vec<String> =
            language::render_in(language::current(), every_page).into_iter().map(|(_, r)| body(r)).collect();
        for tag in ["en", "de", "fr", "es"] {
            let speaker = Speaker::of(catalog.clone(), catalog.by_tag(tag).unwrap());
            for (i, (name, page)) in language::render_in(speaker, every_page).into_iter().enumerate() {
                assert_eq!(page.headers().get(header::CONTENT_LANGUAGE).unwrap(), tag);
                let text = body(page);
                assert!(text.contains(&format!("<html lang=\"{tag}\" dir=\"ltr\">")), "{tag} {name}");
                if tag != "en" {
                    assert_ne!(text, english[i], "{tag} {name} is the English page");
                }
                // `{locale}` in notice.url is the page's language.
                let url = match name {
                    "notice" | "notice before sign-in" => Some(format!("privacy?lang={tag}\"")),
                    "me" => Some(format!("example.com/{tag}/privacy\"")),
                    _ => None,
                };
                assert!(url.is_none_or(|url| text.contains(&url)), "{tag} {name}: notice.url");
            }
        }
        assert_eq!(catalog.gaps(), 0);
    }

    #[test]
    fn the_notice_reads_as_each_language_does() {
        let catalog = Arc::new(Catalog::built_in());
        let page = |tag: &str| {
            let speaker = Speaker::of(catalog.clone(), catalog.by_tag(tag).unwrap());
            body(language::render_in(speaker, every_page).remove(0).1)
        };
        assert!(page("en").contains("claimgate keeps your name, your email address and your profile picture;"));
        assert!(page("de").contains("claimgate speichert Ihren Namen, Ihre E-Mail-Adresse und Ihr Profilbild;"));
        assert!(page("fr").contains("claimgate conserve votre nom, votre adresse e-mail et votre photo de profil"));
        assert!(
            page("es").contains("claimgate guarda tu nombre, tu dirección de correo electrónico y tu foto de perfil;")
        );
        assert!(page("fr").contains("https://example.com/privacy?lang=fr"));
    }
}
