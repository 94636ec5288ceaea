//! Typed edits of a config, for tests: one key of the TOML contract set or
//! removed in its table, where text replacement would silently do nothing
//! once its anchor moved. Compiled into the unit tests here and, by path,
//! into the API tests (`tests/api/helpers`), which start from a base config
//! and change what each test needs.

use toml_edit::{DocumentMut, Item, Table, Value};

/// A config being edited.
pub struct ConfigEdit {
    doc: DocumentMut,
}

impl ConfigEdit {
    /// `text` must be TOML: the base config of a test.
    pub fn parse(text: &str) -> Self {
        ConfigEdit { doc: text.parse().expect("the base config is TOML") }
    }

    /// The table at `path` (`"notice"`, `"clients.app-a"`,
    /// `"server.tls"`), made if it is not there yet.
    pub fn table(&mut self, path: &str) -> &mut Table {
        let mut table = self.doc.as_table_mut();
        for (depth, name) in path.split('.').enumerate() {
            let item = table.entry(name).or_insert_with(|| {
                let mut t = Table::new();
                // `[clients.app-c]`, not an empty `[clients]` header too.
                t.set_implicit(depth + 1 < path.split('.').count());
                Item::Table(t)
            });
            table = item.as_table_mut().unwrap_or_else(|| panic!("{path}: {name} is not a table"));
        }
        table
    }

    /// Sets `key` in the table at `path`.
    pub fn set(&mut self, path: &str, key: &str, value: impl Into<Value>) -> &mut Self {
        self.table(path).insert(key, Item::Value(value.into()));
        self
    }

    /// Sets `key` to a list of strings.
    pub fn set_list(&mut self, path: &str, key: &str, items: &[&str]) -> &mut Self {
        self.set(path, key, Value::from_iter(items.iter().copied()))
    }

    /// Sets `key` to a value written as TOML (an inline table, say).
    pub fn set_toml(&mut self, path: &str, key: &str, toml: &str) -> &mut Self {
        let value: Value = toml.parse().unwrap_or_else(|e| panic!("{path}.{key}: {toml:?} is not a TOML value: {e}"));
        self.set(path, key, value)
    }

    /// Removes `key` from the table at `path`; it must be there.
    pub fn remove(&mut self, path: &str, key: &str) -> &mut Self {
        assert!(self.table(path).remove(key).is_some(), "{path}.{key} is not in the config");
        self
    }

    /// Removes the table at `path` (`"clients.app-b"`); it must be there.
    pub fn remove_table(&mut self, path: &str) -> &mut Self {
        let (parent, name) = path.rsplit_once('.').unwrap_or(("", path));
        let parent = match parent {
            "" => self.doc.as_table_mut(),
            p => self.table(p),
        };
        assert!(parent.remove(name).is_some(), "[{path}] is not in the config");
        self
    }

    /// Every table of `toml` (a whole section, as `claimgate keys generate`
    /// prints it) replaces the one of the same name.
    pub fn replace_tables(&mut self, toml: &str) -> &mut Self {
        let other: DocumentMut = toml.parse().unwrap_or_else(|e| panic!("not TOML: {e}"));
        for (name, item) in other.iter() {
            self.doc.insert(name, item.clone());
        }
        self
    }

    /// The item at `key` in the table at `path`.
    fn item(&self, path: &str, key: &str) -> Option<&Item> {
        path.split('.').try_fold(self.doc.as_item(), |item, name| item.get(name))?.get(key)
    }

    /// The string at `key` in the table at `path`.
    pub fn get_str(&self, path: &str, key: &str) -> Option<String> {
        self.item(path, key)?.as_str().map(str::to_owned)
    }

    /// The value of `key` in the table at `path`, as TOML text.
    pub fn get(&self, path: &str, key: &str) -> Option<String> {
        self.item(path, key).map(|v| v.to_string().trim().to_owned())
    }
}

impl std::fmt::Display for ConfigEdit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.doc.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_land_in_their_tables() {
        let mut c = ConfigEdit::parse("[clients.a]\nclaims = [\"name\"]\n[notice]\nkeeps = [\"name\"]\n");
        c.set("clients.a", "refresh_tokens", true).set("clients.b", "name", "B").set_list(
            "notice",
            "keeps",
            &["email"],
        );
        c.set_toml("clients.b", "headers", "{ email = \"X-Email\" }").remove("clients.a", "claims");
        let parsed: toml::Value = toml::from_str(&c.to_string()).unwrap();
        assert_eq!(parsed["clients"]["a"]["refresh_tokens"].as_bool(), Some(true));
        assert!(parsed["clients"]["a"].get("claims").is_none());
        assert_eq!(parsed["clients"]["b"]["name"].as_str(), Some("B"));
        assert_eq!(parsed["clients"]["b"]["headers"]["email"].as_str(), Some("X-Email"));
        assert_eq!(parsed["notice"]["keeps"][0].as_str(), Some("email"));
        assert_eq!(c.get("clients.a", "refresh_tokens").as_deref(), Some("true"));
        c.remove_table("clients.b");
        assert!(!c.to_string().contains("clients.b"));
    }
}
