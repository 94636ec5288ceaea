//! Config parsing: the contract, and errors that name their key.
use super::*;

const BASE: &str = r#"
[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
[notice]
keeps = ["name", "email", "picture"]
[providers.google]
kind = "oidc"
issuer = "https://accounts.google.com"
client_id = "cid"
client_secret = "from-file"
[clients.main-app]
client_secret = "s"
redirect_uris = ["https://app.example.com/cb"]
claims = ["name", "email"]
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

fn err(text: &str) -> String {
    Config::parse(text, no_env).unwrap_err().to_string()
}

#[test]
fn organisation_rules_name_their_key_and_open_doors_are_warned_about() {
    let with =
        |lines: &str| BASE.replace("client_secret = \"from-file\"", &format!("client_secret = \"from-file\"\n{lines}"));
    let e = err(&with("allowed_tenants = [\"contoso\"]")
        .replace("https://accounts.google.com", "https://login.microsoftonline.com/common/v2.0"));
    assert!(e.starts_with("providers.google.allowed_tenants[0]:") && e.contains("GUID"), "{e}");
    let e = err(&with("allowed_tenants = [\"9188040d-6c67-4c5b-b112-36a304b66dad\"]"));
    assert!(
        e.starts_with("providers.google.allowed_tenants:") && e.contains("Microsoft"),
        "meaningless for Google: {e}"
    );
    let e = err(&with("hosted_domains = [\"jane@example.com\"]"));
    assert!(e.starts_with("providers.google.hosted_domains[0]:"), "{e}");
    let dev = BASE.replace("kind = \"oidc\"", "kind = \"dev\"\nhosted_domains = [\"example.com\"]");
    assert!(err(&dev).starts_with("providers.google.hosted_domains:"), "{}", err(&dev));

    let google = Config::parse(&with("allowed_email_domains = [\"example.com\"]"), no_env).unwrap();
    let w = google.warnings();
    assert!(w.len() == 1 && w[0].contains("providers.google.hosted_domains"), "{w:?}");
    let workspace = with("allowed_email_domains = [\"example.com\"]\nhosted_domains = [\"example.com\"]");
    assert!(Config::parse(&workspace, no_env).unwrap().warnings().is_empty());

    let ms = BASE.replace("https://accounts.google.com", "https://login.microsoftonline.com/common/v2.0");
    let c = Config::parse(&ms, no_env).unwrap();
    assert!(c.providers["google"].rules.email_verified_unknown, "Microsoft addresses are unverified by default");
    assert!(c.warnings().is_empty(), "unverified addresses are refused: nothing to choose");
    let trusting =
        ms.replace("client_secret = \"from-file\"", "client_secret = \"from-file\"\nassume_email_verified = true");
    let w = Config::parse(&trusting, no_env).unwrap().warnings();
    assert!(w.len() == 1 && w[0].contains("allowed_tenants") && w[0].contains("nOAuth"), "{w:?}");
    let pinned = trusting.replace(
        "assume_email_verified = true",
        "assume_email_verified = true\nallowed_tenants = [\"9188040d-6c67-4c5b-b112-36a304b66dad\"]",
    );
    let c = Config::parse(&pinned, no_env).unwrap();
    assert!(c.warnings().is_empty() && !c.providers["google"].rules.email_verified_unknown);
}

#[test]
fn parses_the_contract() {
    let c = Config::parse(BASE, no_env).unwrap();
    assert_eq!(c.server.issuer(), "http://127.0.0.1:8080");
    assert_eq!(c.store, StoreConfig::Memory);
    assert_eq!(c.clients["main-app"].claims.len(), 2);
    assert_eq!(c.providers["google"].display_name, "Google");
}

#[test]
fn refuses_claims_beyond_the_notice() {
    let text = BASE.replace(r#"keeps = ["name", "email", "picture"]"#, r#"keeps = ["name"]"#);
    let e = err(&text);
    assert!(e.starts_with("clients.main-app.claims[1]:"), "{e}");
    assert!(e.contains("notice.keeps"), "{e}");
}

#[test]
fn refuses_unknown_claims() {
    let e = err(&BASE.replace(r#"claims = ["name", "email"]"#, r#"claims = ["name", "phone_number"]"#));
    assert!(e.starts_with("clients.main-app.claims[1]:") && e.contains("phone_number"), "{e}");
    let e = err(&BASE.replace(r#"keeps = ["name", "email", "picture"]"#, r#"keeps = ["birthdate"]"#));
    assert!(e.starts_with("notice.keeps[0]:"), "{e}");
}

#[test]
fn refuses_relative_redirect_uri_and_bad_public_url() {
    let e = err(&BASE.replace("https://app.example.com/cb", "/cb"));
    assert!(e.starts_with("clients.main-app.redirect_uris[0]:"), "{e}");
    let e = err(&BASE.replace(r#"public_url = "http://127.0.0.1:8080""#, r#"public_url = "not a url""#));
    assert!(e.starts_with("server.public_url:"), "{e}");
}

#[test]
fn dev_provider_only_on_loopback() {
    let dev = BASE.replace("kind = \"oidc\"", "kind = \"dev\"");
    assert!(Config::parse(&dev, no_env).is_ok());
    let public = dev.replace("http://127.0.0.1:8080", "https://login.example.com");
    let e = err(&public);
    assert!(e.starts_with("providers.google.kind:"), "{e}");
}

#[test]
fn secrets_come_from_the_environment_too() {
    let text = BASE.replace("client_secret = \"from-file\"\n", "");
    let e = err(&text);
    assert!(e.contains("CLAIMGATE_PROVIDER_GOOGLE_CLIENT_SECRET"), "{e}");
    let c = Config::parse(&text, |k| (k == "CLAIMGATE_PROVIDER_GOOGLE_CLIENT_SECRET").then(|| "x".into())).unwrap();
    match &c.providers["google"].kind {
        ProviderKind::Oidc { client_secret, .. } => {
            assert_eq!(secrecy::ExposeSecret::expose_secret(client_secret), "x")
        }
        _ => panic!("wrong kind"),
    }
}

#[test]
fn a_provider_map_cannot_reach_beyond_the_notice() {
    let narrow = BASE
        .replace(r#"keeps = ["name", "email", "picture"]"#, r#"keeps = ["name", "email"]"#)
        .replace(r#"client_secret = "from-file""#, "client_secret = \"from-file\"\nmap = { picture = \"avatar_url\" }");
    let e = err(&narrow);
    assert!(e.starts_with("providers.google.map.picture:") && e.contains("notice.keeps"), "{e}");
    let sub = BASE.replace(r#"client_secret = "from-file""#, "client_secret = \"from-file\"\nmap = { name = \"sub\" }");
    assert!(err(&sub).starts_with("providers.google.map.name:"));
    let ok =
        BASE.replace(r#"client_secret = "from-file""#, "client_secret = \"from-file\"\nmap = { name = \"nickname\" }");
    let c = Config::parse(&ok, no_env).unwrap();
    assert_eq!(c.providers["google"].rules.source(ProfileClaim::Name), "nickname");
}

#[test]
fn tls_files_are_checked_at_load() {
    let e =
        err(&BASE
            .replace("[notice]", "[server.tls]\ncert = \"/nonexistent.pem\"\nkey = \"/nonexistent.key\"\n[notice]"));
    assert!(e.starts_with("server.tls.cert:"), "{e}");
    let e = err(&BASE.replace(
        "public_url = \"http://127.0.0.1:8080\"",
        "public_url = \"http://127.0.0.1:8080\"\nlog_level = \"[[\"",
    ));
    assert!(e.starts_with("server.log_level:"), "{e}");
}

#[test]
fn forward_auth_needs_exact_origins_and_known_providers() {
    let fa = |origins: &str| {
        BASE.replace(
            "[clients.main-app]",
            &format!("[clients.wiki]\nmode = \"forward-auth\"\nreturn_origins = {origins}\nclaims = [\"email\"]\n[clients.main-app]"),
        )
    };
    assert!(Config::parse(&fa(r#"["https://wiki.example.com"]"#), no_env).unwrap().clients["wiki"]
        .forward_auth()
        .is_some());
    let with_secret = fa(r#"["https://wiki.example.com"]"#)
        .replace("mode = \"forward-auth\"", "mode = \"forward-auth\"\nclient_secret = \"s\"");
    assert!(err(&with_secret).starts_with("clients.wiki.client_secret:"), "{}", err(&with_secret));
    // Keys for clients that use /token and /authorize name themselves on a forward-auth client.
    for key in ["refresh_tokens", "require_dpop", "require_pushed_authorization_requests"] {
        let set = fa(r#"["https://wiki.example.com"]"#)
            .replace("mode = \"forward-auth\"", &format!("mode = \"forward-auth\"\n{key} = true"));
        assert!(err(&set).starts_with(&format!("clients.wiki.{key}:")), "{}", err(&set));
    }
    // Every setting only an OpenID Connect client has, refused on a
    // forward-auth client (redirect_uris was once accepted and ignored).
    for line in [
        r#"redirect_uris = ["https://wiki.example.com/cb"]"#,
        r#"post_logout_redirect_uris = ["https://wiki.example.com/bye"]"#,
        r#"id_token_signed_response_alg = "ES256""#,
        r#"backchannel_logout_uri = "https://wiki.example.com/bcl""#,
    ] {
        let key = line.split(' ').next().unwrap();
        let set = fa(r#"["https://wiki.example.com"]"#)
            .replace("mode = \"forward-auth\"", &format!("mode = \"forward-auth\"\n{line}"));
        assert!(err(&set).starts_with(&format!("clients.wiki.{key}:")), "{}", err(&set));
    }
    // And the proxy's settings on an OpenID Connect client.
    let e = err(&BASE.replace(
        "claims = [\"name\", \"email\"]",
        "claims = [\"name\", \"email\"]\nreturn_origins = [\"https://a.example.com\"]",
    ));
    assert!(e.starts_with("clients.main-app.return_origins:"), "{e}");
    let main =
        |line: &str| BASE.replace("claims = [\"name\", \"email\"]", &format!("claims = [\"name\", \"email\"]\n{line}"));
    let c = Config::parse(&main("require_dpop = true\nrequire_pushed_authorization_requests = true"), no_env).unwrap();
    let app = c.clients["main-app"].oidc().unwrap();
    assert!(app.require_dpop && app.require_pushed_authorization_requests);
    let e = err(&main("require_dpop = \"yes\""));
    assert!(e.contains("require_dpop") && e.contains("boolean"), "{e}");
    for bad in [r#"["https://*.example.com"]"#, r#"["https://wiki.example.com/path"]"#, r#"[".example.com"]"#, "[]"] {
        let e = err(&fa(bad));
        assert!(e.starts_with("clients.wiki.return_origins"), "{bad}: {e}");
    }
    let e = err(&BASE.replace("claims = [\"name\", \"email\"]", "claims = [\"name\"]\nproviders = [\"github\"]"));
    assert!(e.starts_with("clients.main-app.providers[0]:"), "{e}");
}

#[test]
fn a_shared_store_needs_shared_keys() {
    let redis = BASE.replace("[notice]", "[store]\nkind = \"redis\"\nurl = \"redis://127.0.0.1\"\n[notice]");
    assert!(err(&redis).starts_with("keys.signing_keys:"), "{}", err(&redis));
}

#[test]
fn the_store_kind_decides_its_keys() {
    let store = |lines: &str| BASE.replace("[notice]", &format!("[store]\n{lines}\n[notice]"));
    let e = err(&store("kind = \"redis-cluster\""));
    assert!(e.contains("[store]") && e.contains("missing field `urls`"), "{e}");
    let e = err(&store("kind = \"redis-cluster\"\nurls = []"));
    assert!(e.starts_with("store.urls:"), "{e}");
    let e = err(&store("kind = \"redis\""));
    assert!(e.contains("[store]") && e.contains("missing field `url`"), "{e}");
    let e = err(&store("kind = \"memory\"\nurl = \"redis://127.0.0.1\""));
    assert!(e.contains("unknown field `url`"), "a Redis URL under the memory store is not ignored: {e}");
    let e = err(&store("kind = \"postgres\""));
    assert!(e.contains("postgres") && e.contains("redis-cluster"), "{e}");
}

#[test]
fn unknown_keys_are_named() {
    let e = err(&BASE.replace("[notice]", "[notice]\nkeep_forever = true"));
    assert!(e.contains("keep_forever"), "{e}");
}

mod properties {
    //! Any text: a config, or an error that names its key (or the syntax); never a panic.
    use super::*;
    use proptest::prelude::*;

    /// (section header in BASE, key) pairs a value is tried at.
    const KEYS: &[(&str, &str)] = &[
        ("[server]", "public_url"),
        ("[server]", "listen"),
        ("[server]", "admin_listen"),
        ("[server]", "log_level"),
        ("[notice]", "keeps"),
        ("[notice]", "picture"),
        ("[providers.google]", "issuer"),
        ("[providers.google]", "allowed_tenants"),
        ("[providers.google]", "hosted_domains"),
        ("[providers.google]", "map"),
        ("[clients.main-app]", "redirect_uris"),
        ("[clients.main-app]", "claims"),
        ("[clients.main-app]", "providers"),
        ("[clients.main-app]", "mode"),
        ("[clients.main-app]", "return_origins"),
    ];

    fn toml_value() -> impl Strategy<Value = String> {
        let string = "[ -~]{0,40}".prop_map(|s| format!("{s:?}"));
        prop_oneof![
            string.clone(),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            prop::collection::vec(string.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            (string.clone(), string).prop_map(|(k, v)| format!("{{ {k} = {v} }}")),
        ]
    }

    proptest! {
        #[test]
        fn any_text_is_refused_or_parsed_without_a_panic(text in any::<String>()) {
            let _ = Config::parse(&text, no_env);
        }

        #[test]
        fn a_bad_value_is_refused_naming_its_key(at in prop::sample::select(KEYS), value in toml_value()) {
            let (section, key) = at;
            let text = BASE.replacen(section, &format!("{section}\n{key} = {value}"), 1);
            match Config::parse(&text, no_env) {
                Ok(_) | Err(ConfigError::Syntax { .. }) => {}
                Err(ConfigError::Invalid { key: named, reason }) => {
                    let path = section.trim_matches(|c| c == '[' || c == ']');
                    prop_assert!(named.starts_with(path), "{} = {}: error names {}: {}", key, value, named, reason);
                }
                Err(ConfigError::Read { .. }) => prop_assert!(false, "nothing is read from a path here"),
            }
        }
    }
}

#[test]
fn backchannel_logout_registration_is_checked() {
    let with = |lines: &str| BASE.replace("client_secret = \"s\"", &format!("client_secret = \"s\"\n{lines}"));
    let ok = Config::parse(&with("backchannel_logout_uri = \"https://app.example.com/bcl\""), no_env).unwrap();
    assert!(ok.clients["main-app"].oidc().unwrap().backchannel_logout.is_some());
    for (lines, key) in [
        ("backchannel_logout_uri = \"http://app.example.com/bcl\"", "backchannel_logout_uri"),
        ("backchannel_logout_uri = \"https://app.example.com/bcl#x\"", "backchannel_logout_uri"),
        ("backchannel_logout_uri = \"mailto:a@example.com\"", "backchannel_logout_uri"),
        ("backchannel_logout_session_required = true", "backchannel_logout_session_required"),
    ] {
        let e = err(&with(lines));
        assert!(e.starts_with(&format!("clients.main-app.{key}:")), "{lines}: {e}");
    }
}

#[test]
fn picture_mode_and_hosts() {
    let c = Config::parse(BASE, no_env).unwrap();
    assert_eq!(c.notice.picture, PictureMode::Proxy, "the proxy is the default");
    assert_eq!(c.providers["google"].picture_hosts.names(), ["lh3.googleusercontent.com"], "Google's default");
    let link = BASE.replace("[notice]", "[notice]\npicture = \"link\"");
    assert_eq!(Config::parse(&link, no_env).unwrap().notice.picture, PictureMode::Link);
    let e = err(&BASE.replace("[notice]", "[notice]\npicture = \"inline\""));
    assert!(e.starts_with("notice.picture:") && e.contains("proxy, link"), "{e}");

    let with =
        |lines: &str| BASE.replace("client_secret = \"from-file\"", &format!("client_secret = \"from-file\"\n{lines}"));
    let e = err(&with("picture_hosts = [\"cdn.example\", \"https://cdn.example/\"]"));
    assert!(e.starts_with("providers.google.picture_hosts[1]:") && e.contains("host"), "{e}");
    let generic = BASE.replace("https://accounts.google.com", "https://id.example.com");
    let c = Config::parse(&generic, no_env).unwrap();
    assert!(c.providers["google"].picture_hosts.is_empty(), "no default for a generic provider");
    let w = c.warnings();
    assert!(w.len() == 1 && w[0].starts_with("providers.google.picture_hosts:"), "{w:?}");
    let listed = generic
        .replace("client_secret = \"from-file\"", "client_secret = \"from-file\"\npicture_hosts = [\"cdn.example\"]");
    assert!(Config::parse(&listed, no_env).unwrap().warnings().is_empty());
    let dev = BASE.replace("kind = \"oidc\"", "kind = \"dev\"");
    assert_eq!(Config::parse(&dev, no_env).unwrap().providers["google"].picture_hosts.names(), ["127.0.0.1:8080"]);
}

/// An empty or blank client secret would make a "confidential" client that
/// anyone authenticates as by sending it, without PKCE (review point 11).
#[test]
fn an_empty_or_blank_client_secret_is_refused_by_name() {
    for blank in ["", " ", "\t  "] {
        let text = BASE.replace("client_secret = \"s\"", &format!("client_secret = {blank:?}"));
        let e = err(&text);
        assert!(e.starts_with("clients.main-app.client_secret:") && e.contains("empty"), "{blank:?}: {e}");
    }
    // From the environment too: a blank value there is refused, not ignored.
    let text = BASE.replace("client_secret = \"s\"\n", "");
    let e = Config::parse(&text, |k| (k == "CLAIMGATE_CLIENT_MAIN_APP_CLIENT_SECRET").then(|| "  ".into()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("CLAIMGATE_CLIENT_MAIN_APP_CLIENT_SECRET") && e.contains("empty"), "{e}");
    // An upstream provider's secret likewise.
    let e = err(&BASE.replace("client_secret = \"from-file\"", "client_secret = \"\""));
    assert!(e.starts_with("providers.google.client_secret:") && e.contains("empty"), "{e}");
}

/// Issue 23's keys: optional claims within the client's claims, a real
/// revision date, a consent lifetime where 0 means per session.
#[test]
fn consent_keys_are_read_and_refused_by_name() {
    let c = Config::parse(
        &BASE
            .replace("claims = [\"name\", \"email\"]", "claims = [\"name\", \"email\"]\noptional_claims = [\"email\"]"),
        no_env,
    )
    .unwrap();
    assert_eq!(c.clients["main-app"].optional_claims, [ProfileClaim::Email].into());
    let e = err(&BASE.replace("claims = [\"name\", \"email\"]", "claims = [\"name\"]\noptional_claims = [\"email\"]"));
    assert!(e.starts_with("clients.main-app.optional_claims[0]:") && e.contains("not in this client's claims"), "{e}");
    let e = err(&BASE.replace("keeps = [", "revised = \"1 Dec 2026\"\nkeeps = ["));
    assert!(e.starts_with("notice.revised:"), "{e}");
    assert_eq!(
        Config::parse(BASE, no_env).unwrap().lifetimes.consent,
        Some(std::time::Duration::from_secs(15_552_000))
    );
    let per_session = format!("{BASE}[lifetimes]\nconsent_secs = 0\n");
    assert_eq!(Config::parse(&per_session, no_env).unwrap().lifetimes.consent, None);
}
