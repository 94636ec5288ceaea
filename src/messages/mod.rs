//! The words of every page a person sees, in each language: Project Fluent
//! files (`locales/<tag>.ftl`, compiled in) and an operator's
//! `[pages] locales_dir`, which adds languages or overrides single
//! messages. A message an operator's file lacks is taken from the built-in
//! file of that language, else of the default language, and `claimgate
//! check` names it ([`Catalog::missing`]).

mod msg;

pub use msg::Msg;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{negotiate_languages, NegotiationStrategy};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use unic_langid::LanguageIdentifier;

/// The languages claimgate ships, English first (the last fallback).
const BUILT_IN: [(&str, &str); 4] = [
    ("en", include_str!("../../locales/en.ftl")),
    ("de", include_str!("../../locales/de.ftl")),
    ("fr", include_str!("../../locales/fr.ftl")),
    ("es", include_str!("../../locales/es.ftl")),
];

/// The language chosen for one page: an index into its [`Catalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(usize);

struct Language {
    id: LanguageIdentifier,
    tag: String,
    bundle: FluentBundle<FluentResource>,
}

/// Why `[pages]` cannot be used; the config names the key.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} is not named <language tag>.ftl (for example pt-BR.ftl)")]
    Name { path: String },
    #[error("{path}, line {line}: {reason}")]
    Syntax { path: String, line: usize, reason: String },
    #[error("\"{0}\" is neither a built-in language (en, de, fr, es) nor a file <tag>.ftl in pages.locales_dir")]
    UnknownDefault(String),
}

/// Every language's messages, each complete (gaps filled at load).
pub struct Catalog {
    languages: Vec<Language>,
    default: Lang,
    /// Per operator file: the messages it lacks (shown from a built-in file)
    /// and the ids it has that no page uses.
    missing: Vec<(String, Vec<&'static str>)>,
    unknown: Vec<(String, Vec<String>)>,
    /// Lookups that found no message or could not fill one in: a page
    /// rendered with a gap (tests assert none).
    gaps: AtomicU64,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("languages", &self.tags().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

fn parse(path: &str, text: String) -> Result<FluentResource, CatalogError> {
    FluentResource::try_new(text).map_err(|(resource, errors)| {
        let first = errors.first();
        let offset = first.map_or(0, |e| e.pos.start);
        let line = resource.source().get(..offset).map_or(1, |s| s.lines().count().max(1));
        let reason = first.map_or_else(String::new, |e| e.kind.to_string());
        CatalogError::Syntax { path: path.to_owned(), line, reason }
    })
}

fn message_ids(resource: &FluentResource) -> Vec<String> {
    use fluent_syntax::ast::Entry;
    resource
        .entries()
        .filter_map(|e| match e {
            Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

fn bundle(id: &LanguageIdentifier) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
    // Unicode isolation marks keep a left-to-right value (an app's name, an
    // address) from reordering a right-to-left sentence; in a left-to-right
    // language they would only show up as stray characters in copied text.
    bundle.set_use_isolating(is_right_to_left(id));
    bundle
}

fn is_right_to_left(id: &LanguageIdentifier) -> bool {
    id.character_direction() == unic_langid::CharacterDirection::RTL
}

fn built_in(tag: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(t, _)| *t == tag).map(|(_, text)| *text)
}

fn built_in_resource(tag: &str) -> Option<FluentResource> {
    // The built-in files are tested to parse (`tests::built_in_files_are_complete`).
    built_in(tag).map(|text| FluentResource::try_new(text.to_owned()).unwrap_or_else(|(partial, _)| partial))
}

impl Catalog {
    /// The built-in languages, English by default.
    pub fn built_in() -> Catalog {
        // English is built in: this cannot fail.
        Catalog::load("en", None).unwrap_or_else(|_| Catalog {
            languages: Vec::new(),
            default: Lang(0),
            missing: Vec::new(),
            unknown: Vec::new(),
            gaps: AtomicU64::new(0),
        })
    }

    /// The built-in languages plus `dir`'s `<tag>.ftl` files (a tag claimgate
    /// ships is overridden message by message; another is added), with
    /// `default_locale` as the default.
    pub fn load(default_locale: &str, dir: Option<&Path>) -> Result<Catalog, CatalogError> {
        let mut operator: Vec<(LanguageIdentifier, String, FluentResource)> = Vec::new();
        if let Some(dir) = dir {
            let shown = dir.display().to_string();
            let read_err = |e: std::io::Error| CatalogError::Read { path: shown.clone(), reason: e.to_string() };
            let mut paths: Vec<_> =
                std::fs::read_dir(dir).map_err(read_err)?.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "ftl")) {
                let shown = path.display().to_string();
                let id: LanguageIdentifier = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| CatalogError::Name { path: shown.clone() })?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| CatalogError::Read { path: shown.clone(), reason: e.to_string() })?;
                operator.push((id, shown.clone(), parse(&shown, text)?));
            }
        }
        let default_id: LanguageIdentifier =
            default_locale.parse().map_err(|_| CatalogError::UnknownDefault(default_locale.to_owned()))?;
        let default_tag = default_id.to_string();
        let default_is_known =
            built_in(&default_tag).is_some() || operator.iter().any(|(id, ..)| id.to_string() == default_tag);
        if !default_is_known {
            return Err(CatalogError::UnknownDefault(default_locale.to_owned()));
        }

        let mut languages = Vec::new();
        let (mut missing, mut unknown) = (Vec::new(), Vec::new());
        for (tag, _) in BUILT_IN {
            let id: LanguageIdentifier = tag.parse().map_err(|_| CatalogError::UnknownDefault(tag.to_owned()))?;
            let mut b = bundle(&id);
            if let Some(resource) = built_in_resource(tag) {
                let _ = b.add_resource(resource);
            }
            languages.push(Language { id, tag: tag.to_owned(), bundle: b });
        }
        // The fallback for an added language: the default's built-in file if
        // it has one, else English.
        let fallback_tag = if built_in(&default_tag).is_some() { default_tag.as_str() } else { "en" };
        for (id, path, resource) in operator {
            let tag = id.to_string();
            let ids = message_ids(&resource);
            let lacks: Vec<&'static str> =
                Msg::ALL.iter().map(|m| m.id()).filter(|m| !ids.iter().any(|i| i == m)).collect();
            let extra: Vec<String> = ids.into_iter().filter(|i| !Msg::ALL.iter().any(|m| m.id() == i)).collect();
            if !lacks.is_empty() {
                missing.push((path.clone(), lacks));
            }
            if !extra.is_empty() {
                unknown.push((path, extra));
            }
            match languages.iter_mut().find(|l| l.tag == tag) {
                Some(shipped) => shipped.bundle.add_resource_overriding(resource),
                None => {
                    let mut b = bundle(&id);
                    let _ = b.add_resource(resource);
                    // Only the messages the operator's file lacks are added.
                    if let Some(fallback) = built_in_resource(fallback_tag) {
                        let _ = b.add_resource(fallback);
                    }
                    languages.push(Language { id, tag, bundle: b });
                }
            }
        }
        let default = languages.iter().position(|l| l.tag == default_tag).map_or(Lang(0), Lang);
        Ok(Catalog { languages, default, missing, unknown, gaps: AtomicU64::new(0) })
    }

    pub fn default_language(&self) -> Lang {
        self.default
    }

    /// Every language's tag, built-in first (`ui_locales_supported`).
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.languages.iter().map(|l| l.tag.as_str())
    }

    /// The BCP 47 tag of `lang` (`<html lang>`).
    pub fn tag(&self, lang: Lang) -> &str {
        self.languages.get(lang.0).map_or("en", |l| l.tag.as_str())
    }

    /// `rtl` or `ltr` (`<html dir>`): an operator may add Arabic or Hebrew.
    pub fn direction(&self, lang: Lang) -> &'static str {
        match self.languages.get(lang.0).is_some_and(|l| is_right_to_left(&l.id)) {
            true => "rtl",
            false => "ltr",
        }
    }

    /// The language of exactly this tag (a choice stored with a sign-in).
    pub fn by_tag(&self, tag: &str) -> Option<Lang> {
        self.languages.iter().position(|l| l.tag.eq_ignore_ascii_case(tag)).map(Lang)
    }

    /// The first of `requested` claimgate speaks, in the order given: each
    /// tag matched exactly, then by its language (`fr-CA` → `fr`, `pt` →
    /// `pt-BR`), per RFC 4647 lookup as Fluent's negotiation does it.
    fn first_spoken<'a>(&self, requested: impl Iterator<Item = &'a str>) -> Option<Lang> {
        let available: Vec<&LanguageIdentifier> = self.languages.iter().map(|l| &l.id).collect();
        for tag in requested {
            let Ok(id) = tag.parse::<LanguageIdentifier>() else { continue };
            let found = negotiate_languages(&[id], &available, None, NegotiationStrategy::Lookup);
            if let Some(best) = found.first() {
                return self.languages.iter().position(|l| &&l.id == *best).map(Lang);
            }
        }
        None
    }

    /// OIDC Core §3.1.2.1 `ui_locales`: space-separated tags in order of
    /// preference; the first one spoken wins.
    pub fn from_ui_locales(&self, ui_locales: &str) -> Option<Lang> {
        self.first_spoken(ui_locales.split(' ').filter(|t| !t.is_empty()))
    }

    /// RFC 9110 §12.5.4 `Accept-Language`: by quality (`q=0` is "not
    /// this one"), then order.
    pub fn from_accept_language(&self, header: &str) -> Option<Lang> {
        let ranked = accept_language::parse_with_quality(header);
        self.first_spoken(ranked.iter().filter(|(_, q)| *q > 0.0).map(|(t, _)| t.as_str()).filter(|t| *t != "*"))
    }

    /// `msg` in `lang`, its variables filled in from `args`.
    pub fn text(&self, lang: Lang, msg: Msg, args: &[(&str, FluentValue)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for language in [self.languages.get(lang.0), self.languages.get(self.default.0)].into_iter().flatten() {
            let Some(pattern) = language.bundle.get_message(msg.id()).and_then(|m| m.value()) else { continue };
            let mut errors = Vec::new();
            let text = language.bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                self.gaps.fetch_add(1, Ordering::Relaxed);
            }
            return text.into_owned();
        }
        self.gaps.fetch_add(1, Ordering::Relaxed);
        msg.id().to_owned()
    }

    /// Lookups that fell back or could not fill a variable in, since start.
    pub fn gaps(&self) -> u64 {
        self.gaps.load(Ordering::Relaxed)
    }

    /// Per operator file, the messages it lacks (shown from a built-in file).
    pub fn missing(&self) -> &[(String, Vec<&'static str>)] {
        &self.missing
    }

    /// Per operator file, the message ids no page uses (a typo, or an old id).
    pub fn unknown(&self) -> &[(String, Vec<String>)] {
        &self.unknown
    }
}

#[cfg(test)]
mod tests;
