use super::*;

/// Every variable any message uses, with a sample value.
fn sample_args() -> Vec<(&'static str, FluentValue<'static>)> {
    vec![
        ("app", "Wiki".into()),
        ("provider", "Google".into()),
        ("claims", "x".into()),
        ("first", "a".into()),
        ("second", "b".into()),
        ("third", "c".into()),
        ("version", "3".into()),
        ("revised", "2026-12-01".into()),
        ("signed_in", "2026-12-04 10:00 UTC".into()),
        ("ends_by", "2026-12-05 10:00 UTC".into()),
        ("when", "2026-12-04 10:00 UTC".into()),
        ("claim", "email".into()),
        ("count", 2.into()),
        ("code", "nonce_mismatch".into()),
    ]
}

#[test]
fn built_in_files_parse_and_hold_exactly_the_pages_messages() {
    for (tag, text) in BUILT_IN {
        let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(_, e)| panic!("{tag}.ftl: {e:?}"));
        let ids = message_ids(&resource);
        let lacks: Vec<&str> = Msg::ALL.iter().map(|m| m.id()).filter(|m| !ids.iter().any(|i| i == m)).collect();
        assert!(lacks.is_empty(), "{tag}.ftl lacks {lacks:?}");
        let orphans: Vec<&String> = ids.iter().filter(|i| !Msg::ALL.iter().any(|m| m.id() == *i)).collect();
        assert!(orphans.is_empty(), "{tag}.ftl has ids no page uses: {orphans:?}");
        let mut seen = std::collections::BTreeSet::new();
        assert!(ids.iter().all(|i| seen.insert(i)), "{tag}.ftl defines an id twice");
    }
}

#[test]
fn every_message_formats_in_every_language_without_a_gap() {
    let catalog = Catalog::built_in();
    let args = sample_args();
    for tag in ["en", "de", "fr", "es"] {
        let lang = catalog.by_tag(tag).unwrap();
        for msg in Msg::ALL {
            let text = catalog.text(lang, *msg, &args);
            assert!(!text.is_empty() && text != msg.id(), "{tag} {}", msg.id());
        }
    }
    assert_eq!(catalog.gaps(), 0);
    // A missing variable is a gap.
    let en = catalog.default_language();
    let _ = catalog.text(en, Msg::NoticeTitle, &[]);
    assert_eq!(catalog.gaps(), 1);
}

#[test]
fn plurals_and_selectors_are_the_languages() {
    let catalog = Catalog::built_in();
    let de = catalog.by_tag("de").unwrap();
    let one = catalog.text(de, Msg::DeletedToldHeading, &[("count", 1.into())]);
    let many = catalog.text(de, Msg::DeletedToldHeading, &[("count", 3.into())]);
    assert_eq!(one, "Anwendung, der Ihre Abmeldung mitgeteilt wurde");
    assert_eq!(many, "Anwendungen, denen Ihre Abmeldung mitgeteilt wurde");
    let fr = catalog.by_tag("fr").unwrap();
    let picture = catalog.text(fr, Msg::MeWithdrawClaim, &[("claim", "picture".into()), ("app", "Wiki".into())]);
    assert_eq!(picture, "Ne plus partager ma photo de profil avec Wiki");
    let list = catalog.text(
        catalog.by_tag("es").unwrap(),
        Msg::ListThree,
        &[("first", "a".into()), ("second", "b".into()), ("third", "c".into())],
    );
    assert_eq!(list, "a, b y c");
}

#[test]
fn ui_locales_first_spoken_tag_wins() {
    let c = Catalog::built_in();
    let tag = |l: Option<Lang>| l.map(|l| c.tag(l).to_owned());
    assert_eq!(tag(c.from_ui_locales("fr de")), Some("fr".into()));
    assert_eq!(tag(c.from_ui_locales("xx-YY  es")), Some("es".into()));
    assert_eq!(tag(c.from_ui_locales("fr-CA")), Some("fr".into()));
    assert_eq!(tag(c.from_ui_locales("DE-at")), Some("de".into()));
    assert_eq!(tag(c.from_ui_locales("ja zh")), None);
    assert_eq!(tag(c.from_ui_locales("")), None);
    assert_eq!(tag(c.from_ui_locales("not a tag at all!")), None);
}

#[test]
fn accept_language_honours_quality() {
    let c = Catalog::built_in();
    let tag = |l: Option<Lang>| l.map(|l| c.tag(l).to_owned());
    assert_eq!(tag(c.from_accept_language("de;q=0.5, fr;q=0.9, ja")), Some("fr".into()));
    assert_eq!(tag(c.from_accept_language("fr;q=0, de")), Some("de".into()));
    assert_eq!(tag(c.from_accept_language("es-MX,es;q=0.9,en;q=0.8")), Some("es".into()));
    assert_eq!(tag(c.from_accept_language("ja, *;q=0.1")), None);
    assert_eq!(tag(c.from_accept_language("")), None);
    assert_eq!(tag(c.from_accept_language(";;;,,q=")), None);
}

fn dir_with(files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("claimgate-locales-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

#[test]
fn an_operators_files_override_messages_and_add_languages() {
    let dir = dir_with(&[
        ("de.ftl", "notice-continue = Los geht's\n"),
        ("it.ftl", "notice-continue = Continua\nnotice-typo = x\n"),
        ("README.txt", "not a message file"),
    ]);
    let c = Catalog::load("en", Some(&dir)).unwrap();
    assert_eq!(c.tags().collect::<Vec<_>>(), ["en", "de", "fr", "es", "it"]);
    let (de, it) = (c.by_tag("de").unwrap(), c.by_tag("it").unwrap());
    assert_eq!(c.text(de, Msg::NoticeContinue, &[]), "Los geht's");
    // The rest of German is still the built-in file's.
    assert_eq!(c.text(de, Msg::SignOut, &[]), "Abmelden");
    assert_eq!(c.text(it, Msg::NoticeContinue, &[]), "Continua");
    // A message Italian lacks comes from the default's built-in file.
    assert_eq!(c.text(it, Msg::SignOut, &[]), "Sign out");
    assert_eq!(c.gaps(), 0);
    let missing: Vec<&str> = c.missing().iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    let (_, it_lacks) = c.missing().iter().find(|(p, _)| p.ends_with("it.ftl")).unwrap();
    assert_eq!(it_lacks.len(), Msg::ALL.len() - 1);
    assert_eq!(c.unknown(), [(dir.join("it.ftl").display().to_string(), vec!["notice-typo".to_owned()])]);
    // The default may be an added language; its gaps come from English.
    let c = Catalog::load("it", Some(&dir)).unwrap();
    assert_eq!(c.tag(c.default_language()), "it");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_added_right_to_left_language_is_isolated_and_says_so() {
    let dir = dir_with(&[("ar.ftl", "notice-heading = { $app } يطلب منك تسجيل الدخول\n")]);
    let c = Catalog::load("en", Some(&dir)).unwrap();
    let (ar, de) = (c.by_tag("ar").unwrap(), c.by_tag("de").unwrap());
    assert_eq!((c.direction(ar), c.direction(de)), ("rtl", "ltr"));
    // The app's (left-to-right) name is isolated inside the Arabic sentence.
    let text = c.text(ar, Msg::NoticeHeading, &[("app", "Wiki".into())]);
    assert!(text.starts_with("\u{2068}Wiki\u{2069}"), "{text:?}");
    assert!(!c.text(de, Msg::NoticeHeading, &[("app", "Wiki".into())]).contains('\u{2068}'));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_file_or_default_is_named() {
    let dir = dir_with(&[("de.ftl", "notice-continue = ok\nthis is not fluent\n")]);
    let e = Catalog::load("en", Some(&dir)).unwrap_err().to_string();
    assert!(e.contains("de.ftl, line 2"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
    let dir = dir_with(&[("not_a_tag!.ftl", "notice-continue = ok\n")]);
    let e = Catalog::load("en", Some(&dir)).unwrap_err().to_string();
    assert!(e.contains("not_a_tag!.ftl is not named <language tag>.ftl"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
    let e = Catalog::load("pt", None).unwrap_err().to_string();
    assert!(e.contains("\"pt\" is neither a built-in language"), "{e}");
    let e = Catalog::load("en", Some(Path::new("/nonexistent/claimgate"))).unwrap_err().to_string();
    assert!(e.starts_with("cannot read /nonexistent/claimgate"), "{e}");
}

#[test]
fn every_message_is_used_by_some_page() {
    // Reads the crate's sources: a `Msg` no code names is an orphan, as is
    // a file's id no `Msg` names (above).
    fn sources(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("messages/msg.rs")
                && !path.ends_with("tests.rs")
            {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut code = String::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut code);
    // `Msg::SignOut` must not count as used by `Msg::SignOutHeading`.
    let used = |name: &str| {
        code.match_indices(name).any(|(at, _)| {
            !code.get(at + name.len()..).and_then(|rest| rest.chars().next()).is_some_and(char::is_alphanumeric)
        })
    };
    let unused: Vec<String> = Msg::ALL.iter().map(|m| format!("Msg::{m:?}")).filter(|name| !used(name)).collect();
    assert!(unused.is_empty(), "no page uses {unused:?}");
}
