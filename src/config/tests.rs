//! Config parsing: the contract, and errors that name their key.
use super::edit::ConfigEdit;
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

/// BASE with `edit` applied, as text.
fn edited(edit: impl FnOnce(&mut ConfigEdit)) -> String {
    let mut c = ConfigEdit::parse(BASE);
    edit(&mut c);
    c.to_string()
}

const GOOGLE: &str = "providers.google";
const MAIN: &str = "clients.main-app";
const MICROSOFT: &str = "https://login.microsoftonline.com/common/v2.0";
const TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

#[test]
fn organisation_rules_name_their_key_and_open_doors_are_warned_about() {
    let e = err(&edited(|c| {
        c.set(GOOGLE, "issuer", MICROSOFT).set_list(GOOGLE, "allowed_tenants", &["contoso"]);
    }));
    assert!(e.starts_with("providers.google.allowed_tenants[0]:") && e.contains("GUID"), "{e}");
    let e = err(&edited(|c| {
        c.set_list(GOOGLE, "allowed_tenants", &[TENANT]);
    }));
    assert!(
        e.starts_with("providers.google.allowed_tenants:") && e.contains("Microsoft"),
        "meaningless for Google: {e}"
    );
    let e = err(&edited(|c| {
        c.set_list(GOOGLE, "hosted_domains", &["jane@example.com"]);
    }));
    assert!(e.starts_with("providers.google.hosted_domains[0]:"), "{e}");
    let dev = edited(|c| {
        c.set(GOOGLE, "kind", "dev").set_list(GOOGLE, "hosted_domains", &["example.com"]);
    });
    assert!(err(&dev).starts_with("providers.google.hosted_domains:"), "{}", err(&dev));

    let domains = |c: &mut ConfigEdit| {
        c.set_list(GOOGLE, "allowed_email_domains", &["example.com"]);
    };
    let google = Config::parse(&edited(domains), no_env).unwrap();
    let w = google.warnings();
    assert!(w.len() == 1 && w[0].contains("providers.google.hosted_domains"), "{w:?}");
    let workspace = edited(|c| {
        domains(c);
        c.set_list(GOOGLE, "hosted_domains", &["example.com"]);
    });
    assert!(Config::parse(&workspace, no_env).unwrap().warnings().is_empty());

    let microsoft = |c: &mut ConfigEdit| {
        c.set(GOOGLE, "issuer", MICROSOFT);
    };
    let c = Config::parse(&edited(microsoft), no_env).unwrap();
    assert!(c.providers["google"].rules.email_verified_unknown, "Microsoft addresses are unverified by default");
    assert!(c.warnings().is_empty(), "unverified addresses are refused: nothing to choose");
    let trusting = |c: &mut ConfigEdit| {
        microsoft(c);
        c.set(GOOGLE, "assume_email_verified", true);
    };
    let w = Config::parse(&edited(trusting), no_env).unwrap().warnings();
    assert!(w.len() == 1 && w[0].contains("allowed_tenants") && w[0].contains("nOAuth"), "{w:?}");
    let pinned = edited(|c| {
        trusting(c);
        c.set_list(GOOGLE, "allowed_tenants", &[TENANT]);
    });
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
    let e = err(&edited(|c| {
        c.set_list("notice", "keeps", &["name"]);
    }));
    assert!(e.starts_with("clients.main-app.claims[1]:"), "{e}");
    assert!(e.contains("notice.keeps"), "{e}");
}

#[test]
fn refuses_unknown_claims() {
    let e = err(&edited(|c| {
        c.set_list(MAIN, "claims", &["name", "phone_number"]);
    }));
    assert!(e.starts_with("clients.main-app.claims[1]:") && e.contains("phone_number"), "{e}");
    let e = err(&edited(|c| {
        c.set_list("notice", "keeps", &["birthdate"]);
    }));
    assert!(e.starts_with("notice.keeps[0]:"), "{e}");
}

#[test]
fn refuses_relative_redirect_uri_and_bad_public_url() {
    let e = err(&edited(|c| {
        c.set_list(MAIN, "redirect_uris", &["/cb"]);
    }));
    assert!(e.starts_with("clients.main-app.redirect_uris[0]:"), "{e}");
    let e = err(&edited(|c| {
        c.set("server", "public_url", "not a url");
    }));
    assert!(e.starts_with("server.public_url:"), "{e}");
}

#[test]
fn dev_provider_only_on_loopback() {
    let dev = |c: &mut ConfigEdit| {
        c.set(GOOGLE, "kind", "dev");
    };
    assert!(Config::parse(&edited(dev), no_env).is_ok());
    let e = err(&edited(|c| {
        dev(c);
        c.set("server", "public_url", "https://login.example.com");
    }));
    assert!(e.starts_with("providers.google.kind:"), "{e}");
}

#[test]
fn secrets_come_from_the_environment_too() {
    let text = edited(|c| {
        c.remove(GOOGLE, "client_secret");
    });
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
    let narrow = edited(|c| {
        c.set_list("notice", "keeps", &["name", "email"]).set_toml(GOOGLE, "map", "{ picture = \"avatar_url\" }");
    });
    let e = err(&narrow);
    assert!(e.starts_with("providers.google.map.picture:") && e.contains("notice.keeps"), "{e}");
    let sub = edited(|c| {
        c.set_toml(GOOGLE, "map", "{ name = \"sub\" }");
    });
    assert!(err(&sub).starts_with("providers.google.map.name:"));
    let ok = edited(|c| {
        c.set_toml(GOOGLE, "map", "{ name = \"nickname\" }");
    });
    let c = Config::parse(&ok, no_env).unwrap();
    assert_eq!(c.providers["google"].rules.source(ProfileClaim::Name), "nickname");
}

#[test]
fn tls_files_are_checked_at_load() {
    let e = err(&edited(|c| {
        c.set("server.tls", "cert", "/nonexistent.pem").set("server.tls", "key", "/nonexistent.key");
    }));
    assert!(e.starts_with("server.tls.cert:"), "{e}");
    let e = err(&edited(|c| {
        c.set("server", "log_level", "[[");
    }));
    assert!(e.starts_with("server.log_level:"), "{e}");
}

#[test]
fn forward_auth_needs_exact_origins_and_known_providers() {
    const WIKI: &str = "clients.wiki";
    let wiki = |origins: &'static [&'static str]| {
        move |c: &mut ConfigEdit| {
            c.set(WIKI, "mode", "forward-auth").set_list(WIKI, "return_origins", origins).set_list(
                WIKI,
                "claims",
                &["email"],
            );
        }
    };
    let good = wiki(&["https://wiki.example.com"]);
    assert!(Config::parse(&edited(good), no_env).unwrap().clients["wiki"].forward_auth().is_some());
    // Every setting only an OpenID Connect client has is refused on a
    // forward-auth client, naming its key (redirect_uris was once accepted
    // and ignored).
    for (key, value) in [
        ("client_secret", "\"s\""),
        ("refresh_tokens", "true"),
        ("require_dpop", "true"),
        ("require_pushed_authorization_requests", "true"),
        ("redirect_uris", "[\"https://wiki.example.com/cb\"]"),
        ("post_logout_redirect_uris", "[\"https://wiki.example.com/bye\"]"),
        ("id_token_signed_response_alg", "\"ES256\""),
        ("backchannel_logout_uri", "\"https://wiki.example.com/bcl\""),
        ("token_endpoint_auth_method", "\"private_key_jwt\""),
        ("jwks_uri", "\"https://wiki.example.com/jwks\""),
        ("fapi2", "true"),
    ] {
        let e = err(&edited(|c| {
            good(c);
            c.set_toml(WIKI, key, value);
        }));
        assert!(e.starts_with(&format!("clients.wiki.{key}:")), "{key}: {e}");
    }
    // And the proxy's settings on an OpenID Connect client.
    let e = err(&edited(|c| {
        c.set_list(MAIN, "return_origins", &["https://a.example.com"]);
    }));
    assert!(e.starts_with("clients.main-app.return_origins:"), "{e}");
    let strict = edited(|c| {
        c.set(MAIN, "require_dpop", true).set(MAIN, "require_pushed_authorization_requests", true);
    });
    let c = Config::parse(&strict, no_env).unwrap();
    let app = c.clients["main-app"].oidc().unwrap();
    assert!(app.require_dpop && app.require_pushed_authorization_requests);
    let e = err(&edited(|c| {
        c.set(MAIN, "require_dpop", "yes");
    }));
    assert!(e.contains("require_dpop") && e.contains("boolean"), "{e}");
    let bad_origins: [&'static [&'static str]; 4] =
        [&["https://*.example.com"], &["https://wiki.example.com/path"], &[".example.com"], &[]];
    for bad in bad_origins {
        let e = err(&edited(wiki(bad)));
        assert!(e.starts_with("clients.wiki.return_origins"), "{bad:?}: {e}");
    }
    let e = err(&edited(|c| {
        c.set_list(MAIN, "claims", &["name"]).set_list(MAIN, "providers", &["github"]);
    }));
    assert!(e.starts_with("clients.main-app.providers[0]:"), "{e}");
}

#[test]
fn a_shared_store_needs_shared_keys() {
    let redis = edited(|c| {
        c.set("store", "kind", "redis").set("store", "url", "redis://127.0.0.1");
    });
    assert!(err(&redis).starts_with("keys.signing_keys:"), "{}", err(&redis));
}

#[test]
fn the_store_kind_decides_its_keys() {
    let store = |kind: &'static str, more: &'static [(&'static str, &'static str)]| {
        edited(move |c| {
            c.set("store", "kind", kind);
            for (key, value) in more {
                c.set_toml("store", key, value);
            }
        })
    };
    let e = err(&store("redis-cluster", &[]));
    assert!(e.contains("[store]") && e.contains("missing field `urls`"), "{e}");
    let e = err(&store("redis-cluster", &[("urls", "[]")]));
    assert!(e.starts_with("store.urls:"), "{e}");
    let e = err(&store("redis", &[]));
    assert!(e.contains("[store]") && e.contains("missing field `url`"), "{e}");
    let e = err(&store("memory", &[("url", "\"redis://127.0.0.1\"")]));
    assert!(e.contains("unknown field `url`"), "a Redis URL under the memory store is not ignored: {e}");
    let e = err(&store("postgres", &[]));
    assert!(e.contains("postgres") && e.contains("redis-cluster"), "{e}");
}

#[test]
fn shared_rates_need_a_shared_store() {
    let e = err(&edited(|c| {
        c.set("limits", "shared_rates", true);
    }));
    assert!(e.starts_with("limits.shared_rates:") && e.contains("store.kind"), "{e}");
}

#[test]
fn unknown_keys_are_named() {
    let e = err(&edited(|c| {
        c.set("notice", "keep_forever", true);
    }));
    assert!(e.contains("keep_forever"), "{e}");
}

mod properties {
    //! Any text: a config, or an error that names its key (or the syntax); never a panic.
    use super::*;
    use proptest::prelude::*;

    /// (table in BASE, key) pairs a value is tried at.
    const KEYS: &[(&str, &str)] = &[
        ("server", "public_url"),
        ("server", "listen"),
        ("server", "admin_listen"),
        ("server", "log_level"),
        ("notice", "keeps"),
        ("notice", "picture"),
        ("providers.google", "issuer"),
        ("providers.google", "allowed_tenants"),
        ("providers.google", "hosted_domains"),
        ("providers.google", "map"),
        ("clients.main-app", "redirect_uris"),
        ("clients.main-app", "claims"),
        ("clients.main-app", "providers"),
        ("clients.main-app", "mode"),
        ("clients.main-app", "return_origins"),
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
            let (path, key) = at;
            prop_assume!(value.parse::<toml_edit::Value>().is_ok());
            let text = edited(|c| {
                c.set_toml(path, key, &value);
            });
            match Config::parse(&text, no_env) {
                Ok(_) | Err(ConfigError::Syntax { .. }) => {}
                Err(ConfigError::Invalid { key: named, reason }) => {
                    // Its own key; or, for a value others must stay within
                    // (notice.keeps), the key that no longer does, saying so.
                    let dependent = reason.contains(&format!("{path}.{key}"));
                    prop_assert!(
                        named.starts_with(path) || dependent,
                        "{} = {}: error names {}: {}", key, value, named, reason
                    );
                }
                Err(ConfigError::Read { .. }) => prop_assert!(false, "nothing is read from a path here"),
            }
        }
    }
}

#[test]
fn backchannel_logout_registration_is_checked() {
    let with = |key: &'static str, value: &'static str| {
        edited(move |c| {
            c.set_toml(MAIN, key, value);
        })
    };
    let ok = Config::parse(&with("backchannel_logout_uri", "\"https://app.example.com/bcl\""), no_env).unwrap();
    assert!(ok.clients["main-app"].oidc().unwrap().backchannel_logout.is_some());
    for (key, value) in [
        ("backchannel_logout_uri", "\"http://app.example.com/bcl\""),
        ("backchannel_logout_uri", "\"https://app.example.com/bcl#x\""),
        ("backchannel_logout_uri", "\"mailto:a@example.com\""),
        ("backchannel_logout_session_required", "true"),
    ] {
        let e = err(&with(key, value));
        assert!(e.starts_with(&format!("clients.main-app.{key}:")), "{key} = {value}: {e}");
    }
}

#[test]
fn picture_mode_and_hosts() {
    let c = Config::parse(BASE, no_env).unwrap();
    assert_eq!(c.notice.picture, PictureMode::Proxy, "the proxy is the default");
    assert_eq!(c.providers["google"].picture_hosts.names(), ["lh3.googleusercontent.com"], "Google's default");
    let picture = |mode: &'static str| {
        edited(move |c| {
            c.set("notice", "picture", mode);
        })
    };
    assert_eq!(Config::parse(&picture("link"), no_env).unwrap().notice.picture, PictureMode::Link);
    let e = err(&picture("inline"));
    assert!(e.starts_with("notice.picture:") && e.contains("proxy, link"), "{e}");

    let e = err(&edited(|c| {
        c.set_list(GOOGLE, "picture_hosts", &["cdn.example", "https://cdn.example/"]);
    }));
    assert!(e.starts_with("providers.google.picture_hosts[1]:") && e.contains("host"), "{e}");
    let generic = |c: &mut ConfigEdit| {
        c.set(GOOGLE, "issuer", "https://id.example.com");
    };
    let c = Config::parse(&edited(generic), no_env).unwrap();
    assert!(c.providers["google"].picture_hosts.is_empty(), "no default for a generic provider");
    let w = c.warnings();
    assert!(w.len() == 1 && w[0].starts_with("providers.google.picture_hosts:"), "{w:?}");
    let listed = edited(|c| {
        generic(c);
        c.set_list(GOOGLE, "picture_hosts", &["cdn.example"]);
    });
    assert!(Config::parse(&listed, no_env).unwrap().warnings().is_empty());
    let dev = edited(|c| {
        c.set(GOOGLE, "kind", "dev");
    });
    assert_eq!(Config::parse(&dev, no_env).unwrap().providers["google"].picture_hosts.names(), ["127.0.0.1:8080"]);
}

/// An empty or blank client secret would make a "confidential" client that
/// anyone authenticates as by sending it, without PKCE (review point 11).
#[test]
fn an_empty_or_blank_client_secret_is_refused_by_name() {
    for blank in ["", " ", "\t  "] {
        let e = err(&edited(|c| {
            c.set(MAIN, "client_secret", blank);
        }));
        assert!(e.starts_with("clients.main-app.client_secret:") && e.contains("empty"), "{blank:?}: {e}");
    }
    // From the environment too: a blank value there is refused, not ignored.
    let text = edited(|c| {
        c.remove(MAIN, "client_secret");
    });
    let e = Config::parse(&text, |k| (k == "CLAIMGATE_CLIENT_MAIN_APP_CLIENT_SECRET").then(|| "  ".into()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("CLAIMGATE_CLIENT_MAIN_APP_CLIENT_SECRET") && e.contains("empty"), "{e}");
    // An upstream provider's secret likewise.
    let e = err(&edited(|c| {
        c.set(GOOGLE, "client_secret", "");
    }));
    assert!(e.starts_with("providers.google.client_secret:") && e.contains("empty"), "{e}");
}

/// Issue 23's keys: optional claims within the client's claims, a real
/// revision date, a consent lifetime where 0 means per session.
#[test]
fn consent_keys_are_read_and_refused_by_name() {
    let optional = edited(|c| {
        c.set_list(MAIN, "optional_claims", &["email"]);
    });
    let c = Config::parse(&optional, no_env).unwrap();
    assert_eq!(c.clients["main-app"].optional_claims, [ProfileClaim::Email].into());
    let e = err(&edited(|c| {
        c.set_list(MAIN, "claims", &["name"]).set_list(MAIN, "optional_claims", &["email"]);
    }));
    assert!(e.starts_with("clients.main-app.optional_claims[0]:") && e.contains("not in this client's claims"), "{e}");
    let e = err(&edited(|c| {
        c.set("notice", "revised", "1 Dec 2026");
    }));
    assert!(e.starts_with("notice.revised:"), "{e}");
    assert_eq!(
        Config::parse(BASE, no_env).unwrap().lifetimes.consent,
        Some(std::time::Duration::from_secs(15_552_000))
    );
    let per_session = edited(|c| {
        c.set("lifetimes", "consent_secs", 0);
    });
    assert_eq!(Config::parse(&per_session, no_env).unwrap().lifetimes.consent, None);
}

/// A public P-256 key and an RS256-only RSA key, as a client publishes them.
fn client_jwks(private_d: bool, rs256: bool) -> String {
    let key = crate::signing::SigningKey::generate(crate::signing::SigningAlg::Es256).unwrap();
    let mut jwk = serde_json::to_value(openidconnect::PrivateSigningKey::as_verification_key(&key)).unwrap();
    if private_d {
        jwk["d"] = "c2VjcmV0".into();
    }
    let mut keys = vec![jwk];
    if rs256 {
        let rsa = crate::signing::SigningKey::generate(crate::signing::SigningAlg::Rs256).unwrap();
        keys.push(serde_json::to_value(openidconnect::PrivateSigningKey::as_verification_key(&rsa)).unwrap());
    }
    serde_json::json!({ "keys": keys }).to_string()
}

type Edit<'a> = dyn Fn(&mut ConfigEdit) + 'a;

#[test]
fn private_key_jwt_needs_its_keys_and_no_secret() {
    let jwks = client_jwks(false, false);
    let keyed = |c: &mut ConfigEdit| {
        c.remove(MAIN, "client_secret").set(MAIN, "token_endpoint_auth_method", "private_key_jwt");
    };
    let ok = Config::parse(
        &edited(|c| {
            keyed(c);
            c.set(MAIN, "jwks", jwks.as_str());
        }),
        no_env,
    )
    .unwrap();
    assert!(matches!(ok.clients["main-app"].oidc().unwrap().auth, ClientAuth::PrivateKeyJwt(_)));
    let cases: [(&str, Box<Edit<'_>>); 8] = [
        ("clients.main-app.jwks:", Box::new(|c| keyed(c))),
        (
            "clients.main-app.client_secret:",
            Box::new(move |c| {
                c.set(MAIN, "token_endpoint_auth_method", "private_key_jwt").set(
                    MAIN,
                    "jwks",
                    client_jwks(false, false).as_str(),
                );
            }),
        ),
        (
            "clients.main-app.jwks:",
            Box::new(move |c| {
                keyed(c);
                c.set(MAIN, "jwks", client_jwks(true, false).as_str());
            }),
        ),
        (
            "clients.main-app.jwks:",
            Box::new(|c| {
                keyed(c);
                c.set(MAIN, "jwks", r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#);
            }),
        ),
        (
            "clients.main-app.jwks_uri:",
            Box::new(|c| {
                keyed(c);
                c.set(MAIN, "jwks_uri", "http://keys.example.com/jwks");
            }),
        ),
        (
            "clients.main-app.jwks_uri:",
            Box::new(|c| {
                c.set(MAIN, "jwks_uri", "https://keys.example.com/jwks");
            }),
        ),
        (
            "clients.main-app.token_endpoint_auth_method:",
            Box::new(|c| {
                c.set(MAIN, "token_endpoint_auth_method", "client_secret_jwt");
            }),
        ),
        (
            "clients.main-app.client_secret:",
            Box::new(|c| {
                c.set(MAIN, "token_endpoint_auth_method", "none");
            }),
        ),
    ];
    for (i, (key, edit)) in cases.iter().enumerate() {
        let e = err(&edited(|c| edit(c)));
        assert!(e.starts_with(key), "case {i}: {e}");
    }
    // jwks_uri: https, or http on loopback.
    let local = edited(|c| {
        keyed(c);
        c.set(MAIN, "jwks_uri", "http://127.0.0.1:9/jwks");
    });
    assert!(Config::parse(&local, no_env).is_ok());
}

#[test]
fn fapi2_enforces_the_profile_and_refuses_what_breaks_it() {
    let jwks = client_jwks(false, false);
    let fapi = |c: &mut ConfigEdit| {
        c.remove(MAIN, "client_secret")
            .set(MAIN, "token_endpoint_auth_method", "private_key_jwt")
            .set(MAIN, "jwks", jwks.as_str())
            .set(MAIN, "fapi2", true);
    };
    let c = Config::parse(&edited(fapi), no_env).unwrap();
    let app = c.clients["main-app"].oidc().unwrap();
    assert!(app.fapi2 && app.require_dpop && app.require_pushed_authorization_requests);
    assert_eq!(app.id_token_alg, crate::signing::SigningAlg::Ps256, "never RS256 by default");
    // A secret, RS256 ID tokens, an RS256-only key: each refused by its key.
    let e = err(&edited(|c| {
        c.set(MAIN, "fapi2", true);
    }));
    assert!(e.starts_with("clients.main-app.token_endpoint_auth_method:") && e.contains("FAPI 2.0"), "{e}");
    let e = err(&edited(|c| {
        fapi(c);
        c.set(MAIN, "id_token_signed_response_alg", "RS256");
    }));
    assert!(e.starts_with("clients.main-app.id_token_signed_response_alg:"), "{e}");
    let with_rs256 = client_jwks(false, true);
    let e = err(&edited(|c| {
        fapi(c);
        c.set(MAIN, "jwks", with_rs256.as_str());
    }));
    assert!(e.starts_with("clients.main-app.jwks:") && e.contains("keys[1]"), "{e}");
}

#[test]
fn an_apple_provider_needs_its_ids_and_a_p256_pkcs8_key_each_error_naming_its_key() {
    let p8 = crate::signing::SigningKey::generate(crate::signing::SigningAlg::Es256).unwrap().to_pkcs8_pem().unwrap();
    let apple = |c: &mut ConfigEdit| {
        c.set("providers.apple", "kind", "apple")
            .set("providers.apple", "client_id", "com.example.signin")
            .set("providers.apple", "team_id", "ABCDE12345")
            .set("providers.apple", "key_id", "KEY123ABCD");
    };
    let ok = Config::parse(
        &edited(|c| {
            apple(c);
            c.set("providers.apple", "private_key", p8.as_str());
        }),
        no_env,
    )
    .unwrap();
    let p = &ok.providers["apple"];
    assert_eq!(p.display_name, "Apple");
    let ProviderKind::Apple(settings) = &p.kind else { panic!("an Apple provider") };
    assert_eq!(settings.issuer, "https://appleid.apple.com", "Apple's issuer by default");
    // The key from the environment, like other secrets.
    let from_env = |name: &str| (name == "CLAIMGATE_PROVIDER_APPLE_PRIVATE_KEY").then(|| p8.clone());
    assert!(Config::parse(&edited(apple), from_env).is_ok());
    let rsa = crate::signing::SigningKey::generate(crate::signing::SigningAlg::Rs256).unwrap().to_pkcs8_pem().unwrap();
    let sec1 = include_str!("../../tests/fixtures/keys/p256-sec1.pem");
    let cases: [(&str, &str, &str); 6] = [
        ("private_key", rsa.as_str(), "providers.apple.private_key:"),
        ("private_key", sec1, "providers.apple.private_key:"),
        ("team_id", "short", "providers.apple.team_id:"),
        ("key_id", "KEY-123-AB", "providers.apple.key_id:"),
        ("client_secret", "s", "providers.apple.client_secret:"),
        ("issuer", "http://apple.example", "providers.apple.issuer:"),
    ];
    for (k, v, expected) in cases {
        let e = err(&edited(|c| {
            apple(c);
            if k != "private_key" {
                c.set("providers.apple", "private_key", p8.as_str());
            }
            c.set("providers.apple", k, v);
        }));
        assert!(e.starts_with(expected), "{k}: {e}");
    }
    let e = err(&edited(apple));
    assert!(e.starts_with("providers.apple.private_key:") && e.contains("CLAIMGATE_PROVIDER_APPLE_PRIVATE_KEY"), "{e}");
    // Apple's keys on another kind are refused by name.
    let e = err(&edited(|c| {
        c.set(GOOGLE, "team_id", "ABCDE12345");
    }));
    assert!(e.starts_with("providers.google.team_id:"), "{e}");
    // A key file that is not a key names private_key_file.
    let e = err(&edited(|c| {
        apple(c);
        c.set("providers.apple", "private_key_file", "/nonexistent/AuthKey.p8");
    }));
    assert!(e.starts_with("providers.apple.private_key_file:"), "{e}");
}

#[test]
fn pages_languages_are_checked_and_an_operators_gaps_reported_once() {
    let text = |edit: fn(&mut ConfigEdit)| edited(edit);
    let e = err(&text(|c| {
        c.set("pages", "default_locale", "pt");
    }));
    assert!(e.starts_with("pages.default_locale: \"pt\" is neither a built-in language"), "{e}");
    let e = err(&text(|c| {
        c.set("pages", "locales_dir", "/nonexistent/claimgate-locales");
    }));
    assert!(e.starts_with("pages.locales_dir: cannot read /nonexistent/claimgate-locales"), "{e}");

    let dir = std::env::temp_dir().join(format!("claimgate-config-locales-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("it.ftl"), "notice-continue = Continua\n").unwrap();
    let mut c = ConfigEdit::parse(BASE);
    c.set("pages", "locales_dir", dir.display().to_string()).set("pages", "default_locale", "it");
    let cfg = Config::parse(&c.to_string(), no_env).unwrap();
    assert_eq!(cfg.pages.messages.tag(cfg.pages.messages.default_language()), "it");
    let warnings: Vec<String> = cfg.warnings().into_iter().filter(|w| w.starts_with("pages.")).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("it.ftl lacks") && warnings[0].contains("notice-heading"), "{warnings:?}");
    std::fs::remove_dir_all(dir).unwrap();
    // The built-in languages need no warning.
    assert!(Config::parse(BASE, no_env).unwrap().warnings().iter().all(|w| !w.starts_with("pages.")));
}

/// Issue 28's keys: a managed stream (`ssf`) or a static one
/// (`ssf_push_url`, `ssf_push_authorization`, `ssf_events`), each refusal
/// naming its key.
#[test]
fn shared_signals_keys_are_read_and_refused_by_name() {
    let purged = crate::secevent::EventType::AccountPurged;
    let managed = Config::parse(
        &edited(|c| {
            c.set(MAIN, "ssf", true);
        }),
        no_env,
    )
    .unwrap();
    assert!(managed.clients["main-app"].signals.is_managed());
    let fixed = Config::parse(
        &edited(|c| {
            c.set(MAIN, "ssf_push_url", "https://app.example.com/ssf").set_list(MAIN, "ssf_events", &[purged.uri()]);
        }),
        |k| (k == "CLAIMGATE_CLIENT_MAIN_APP_SSF_PUSH_AUTHORIZATION").then(|| "Bearer from-env".into()),
    )
    .unwrap();
    let stream = fixed.clients["main-app"].signals.static_stream().unwrap();
    assert_eq!(stream.events.iter().copied().collect::<Vec<_>>(), vec![purged]);
    assert_eq!(secrecy::ExposeSecret::expose_secret(stream.authorization.as_ref().unwrap()), "Bearer from-env");
    let every = Config::parse(
        &edited(|c| {
            c.set(MAIN, "ssf_push_url", "http://127.0.0.1:9/ssf");
        }),
        no_env,
    )
    .unwrap();
    let events = &every.clients["main-app"].signals.static_stream().unwrap().events;
    assert!(
        events.len() == 3 && !events.contains(&crate::secevent::EventType::Verification),
        "default: all but verification"
    );

    for (edit, key, why) in [
        (("ssf_push_url", "http://app.example.com/ssf"), "ssf_push_url", "loopback"),
        (("ssf_push_authorization", "Bearer x"), "ssf_push_authorization", "needs ssf_push_url"),
    ] {
        let e = err(&edited(|c| {
            c.set(MAIN, edit.0, edit.1);
        }));
        assert!(e.starts_with(&format!("clients.main-app.{key}:")) && e.contains(why), "{e}");
    }
    let e = err(&edited(|c| {
        c.set(MAIN, "ssf", true).set(MAIN, "ssf_push_url", "https://app.example.com/ssf");
    }));
    assert!(e.starts_with("clients.main-app.ssf_push_url:") && e.contains("not both"), "{e}");
    let e = err(&edited(|c| {
        c.set(MAIN, "ssf_push_url", "https://app.example.com/ssf").set_list(MAIN, "ssf_events", &["urn:x:unknown"]);
    }));
    assert!(e.starts_with("clients.main-app.ssf_events[0]:") && e.contains("urn:x:unknown"), "{e}");
    let e = err(&edited(|c| {
        c.set(MAIN, "ssf_push_url", "https://app.example.com/ssf").set_list(MAIN, "ssf_events", &[]);
    }));
    assert!(e.starts_with("clients.main-app.ssf_events:"), "{e}");
    // RFC 6749 §4.4: client_credentials needs a confidential client.
    let e = err(&edited(|c| {
        c.remove(MAIN, "client_secret").set(MAIN, "ssf", true);
    }));
    assert!(e.starts_with("clients.main-app.ssf:") && e.contains("public"), "{e}");
}
