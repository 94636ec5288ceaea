//! Which language a page is in. The middleware [`negotiate`] wraps every
//! route that answers a person: it picks the language from
//! `Accept-Language` (else `[pages] default_locale`) for the request's
//! task, and the handler may refine it: `ui_locales` at `/authorize`
//! ([`prefer`]), the choice stored with a sign-in afterwards ([`restore`]).
//! Pages read it when they render, error pages included (an actix
//! `ResponseError` never sees the request).

use crate::messages::{Catalog, Lang, Msg};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error};
use fluent_bundle::FluentValue;
use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

/// The catalog and the language one request's pages are in.
#[derive(Clone)]
pub struct Speaker {
    catalog: Arc<Catalog>,
    lang: Lang,
}

impl Speaker {
    /// For a request: its `Accept-Language`, else the default.
    pub fn for_request(catalog: Arc<Catalog>, accept_language: Option<&str>) -> Speaker {
        let lang = accept_language.and_then(|h| catalog.from_accept_language(h)).unwrap_or(catalog.default_language());
        Speaker { catalog, lang }
    }

    /// `lang` of `catalog` (tests).
    #[cfg(test)]
    pub(crate) fn of(catalog: Arc<Catalog>, lang: Lang) -> Speaker {
        Speaker { catalog, lang }
    }

    pub fn text(&self, msg: Msg, args: &[(&str, FluentValue)]) -> String {
        self.catalog.text(self.lang, msg, args)
    }

    /// The BCP 47 tag (`<html lang>`, `{locale}` in `notice.url`).
    pub fn tag(&self) -> &str {
        self.catalog.tag(self.lang)
    }

    /// The writing direction (`<html dir>`).
    pub fn direction(&self) -> &'static str {
        self.catalog.direction(self.lang)
    }
}

tokio::task_local! {
    static SPEAKER: RefCell<Speaker>;
}

/// Outside any request (a unit test, a page made at start-up): English.
fn fallback() -> Speaker {
    static BUILT_IN: OnceLock<Arc<Catalog>> = OnceLock::new();
    let catalog = BUILT_IN.get_or_init(|| Arc::new(Catalog::built_in())).clone();
    let lang = catalog.default_language();
    Speaker { catalog, lang }
}

/// The language of the page being made.
pub fn current() -> Speaker {
    SPEAKER.try_with(|s| s.borrow().clone()).unwrap_or_else(|_| fallback())
}

/// `ui_locales` (OIDC Core §3.1.2.1): its first tag claimgate speaks
/// replaces the `Accept-Language` choice; none spoken changes nothing.
pub fn prefer(ui_locales: &str) {
    let _ = SPEAKER.try_with(|s| {
        let mut s = s.borrow_mut();
        if let Some(lang) = s.catalog.from_ui_locales(ui_locales) {
            s.lang = lang;
        }
    });
}

/// The language a sign-in was begun in (stored with its ticket and its
/// pending login), so that every page of it speaks the same language.
pub fn restore(tag: Option<&str>) {
    let Some(tag) = tag else { return };
    let _ = SPEAKER.try_with(|s| {
        let mut s = s.borrow_mut();
        if let Some(lang) = s.catalog.by_tag(tag) {
            s.lang = lang;
        }
    });
}

/// A message in English: an `error_description` for an app's back-end
/// (RFC 6749 §5.2 allows ASCII only), never a page.
pub fn english(msg: Msg) -> String {
    fallback().text(msg, &[])
}

/// The current choice, to store with a sign-in in progress.
pub fn chosen_tag() -> String {
    current().tag().to_owned()
}

fn accept_language(req: &actix_web::HttpRequest) -> Option<&str> {
    req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// The request's language by its `Accept-Language`, in the catalog
/// `startup` registers beside the page routes.
fn speaker_for(req: &actix_web::HttpRequest) -> Speaker {
    match req.app_data::<web::Data<Catalog>>() {
        Some(catalog) => Speaker::for_request(catalog.clone().into_inner(), accept_language(req)),
        None => fallback(),
    }
}

/// The middleware of every route that answers a person.
pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let speaker = speaker_for(req.request());
    SPEAKER.scope(RefCell::new(speaker), next.call(req)).await
}

/// Makes a page outside the middleware (the edge limits' 429) in the
/// request's language.
pub fn render_for<R>(req: &actix_web::HttpRequest, page: impl FnOnce() -> R) -> R {
    SPEAKER.sync_scope(RefCell::new(speaker_for(req)), page)
}

/// Runs `page` with `speaker` (tests render every page in every language).
#[cfg(test)]
pub(crate) fn render_in<R>(speaker: Speaker, page: impl FnOnce() -> R) -> R {
    SPEAKER.sync_scope(RefCell::new(speaker), page)
}
