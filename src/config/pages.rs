//! `[pages]`: the languages of the pages a person sees (`crate::messages`).

use super::{invalid, ConfigError};
use crate::messages::{Catalog, CatalogError};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPages {
    default_locale: Option<String>,
    locales_dir: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Pages {
    /// `locales_dir`, as configured.
    pub locales_dir: Option<PathBuf>,
    /// Every language's messages, the operator's files included.
    pub messages: Arc<Catalog>,
}

impl RawPages {
    pub(super) fn validate(self) -> Result<Pages, ConfigError> {
        let locales_dir = self.locales_dir.map(PathBuf::from);
        let default_locale = self.default_locale.as_deref().unwrap_or("en");
        let messages = Catalog::load(default_locale, locales_dir.as_deref()).map_err(|e| match e {
            CatalogError::UnknownDefault(_) => invalid("pages.default_locale", e.to_string()),
            _ => invalid("pages.locales_dir", e.to_string()),
        })?;
        Ok(Pages { locales_dir, messages: Arc::new(messages) })
    }
}

impl Pages {
    /// `claimgate check`: each operator file's gaps and unknown ids, once.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (path, lacks) in self.messages.missing() {
            out.push(format!(
                "pages.locales_dir: {path} lacks {} message(s), shown from a built-in file instead: {}",
                lacks.len(),
                lacks.join(", ")
            ));
        }
        for (path, ids) in self.messages.unknown() {
            out.push(format!("pages.locales_dir: {path} has message(s) no page uses: {}", ids.join(", ")));
        }
        out
    }
}
