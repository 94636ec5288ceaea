//! Property tests over HTTP (issue 11): any `/authorize` or `/token`
//! parameters get a protocol-correct answer. Never a 5xx, never a redirect
//! to an address the client did not register, never a token without a code.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};

/// Every redirect URI the test config registers.
const REGISTERED: [&str; 3] = ["http://127.0.0.1:9/cb-a", "http://127.0.0.1:9/cb-b", "http://127.0.0.1:9/cb-p"];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "app-a",
            "app-b",
            "public-app",
            "wiki",
            "http://127.0.0.1:9/cb-a",
            "http://127.0.0.1:9/cb-a/",
            "HTTP://127.0.0.1:9/cb-a",
            "http://127.0.0.1:9/cb-b",
            "https://evil.example/cb",
            "code",
            "token",
            "openid",
            "openid profile email",
            "profile",
            "none",
            "login",
            "none login",
            "S256",
            "plain",
            "0",
            "600",
            "-1",
            "query",
            "fragment",
            "idp",
            "authorization_code",
            "refresh_token",
            "secret-a",
        ])
        .prop_map(str::to_owned),
        "[A-Za-z0-9_-]{43}",
        any::<String>().prop_map(|s| s.chars().take(60).collect()),
        "[ -~]{0,300}",
    ]
}

/// A valid request's parameters, each kept or not, then random ones (which
/// may repeat a name: a repeated parameter must be refused too).
fn params(
    keys: &'static [&'static str],
    valid: &'static [(&'static str, &'static str)],
) -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop_oneof![prop::sample::select(keys).prop_map(str::to_owned), "[a-z_]{1,8}"];
    let kept = prop::collection::vec(any::<bool>(), valid.len());
    (kept, prop::collection::vec((key, value()), 0..6)).prop_map(move |(kept, random)| {
        let base = valid.iter().zip(kept).filter(|(_, k)| *k).map(|((k, v), _)| ((*k).to_owned(), (*v).to_owned()));
        base.chain(random).collect()
    })
}

const VALID_AUTHORIZE: &[(&str, &str)] = &[
    ("client_id", "app-a"),
    ("redirect_uri", "http://127.0.0.1:9/cb-a"),
    ("response_type", "code"),
    ("scope", "openid email"),
    ("state", "s"),
];

const AUTHORIZE_KEYS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "response_mode",
    "request",
    "request_uri",
    "provider",
];

const TOKEN_KEYS: &[&str] =
    &["grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier", "refresh_token", "scope"];

const VALID_TOKEN: &[(&str, &str)] = &[
    ("grant_type", "authorization_code"),
    ("client_id", "app-a"),
    ("client_secret", "secret-a"),
    ("redirect_uri", "http://127.0.0.1:9/cb-a"),
    ("code", "not-a-code-claimgate-issued"),
];

/// OAuth 2.0 token endpoint error codes (RFC 6749 §5.2), and the 429/503 one.
const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "temporarily_unavailable",
];

fn lifted_limits(c: &mut ConfigEdit) {
    c.set("limits", "sign_in_per_minute", 1000000).set("limits", "token_per_minute", 1000000);
}

#[test]
fn any_authorize_parameters_get_a_page_or_a_redirect_to_a_registered_uri() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app_with(lifted_limits));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let seen = std::cell::RefCell::new(std::collections::BTreeMap::<u16, usize>::new());
    let mut runner = TestRunner::new(Cases { cases: 300, ..Cases::default() });
    runner
        .run(&params(AUTHORIZE_KEYS, VALID_AUTHORIZE), |pairs| {
            let mut url = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
            url.query_pairs_mut().extend_pairs(&pairs);
            let (status, location, body) = rt.block_on(async {
                let r = client.get(url.as_str()).send().await.unwrap();
                let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
                (r.status().as_u16(), location, r.text().await.unwrap())
            });
            *seen.borrow_mut().entry(status).or_default() += 1;
            let given = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
            match status {
                200 => prop_assert!(body.contains("action=\"/authorize/continue\""), "200 is the notice page"),
                302 => {
                    let to = location.unwrap();
                    prop_assert!(REGISTERED.iter().any(|r| to.starts_with(r)), "redirect to {}", to);
                    // Only to the exact URI the request named (RFC 6749 §3.1.2.3).
                    prop_assert!(given("redirect_uri").is_some_and(|r| to.starts_with(&format!("{r}?"))), "{}", to);
                }
                400 | 414 => prop_assert!(body.contains("<h1>"), "an error page"),
                other => prop_assert!(false, "status {} for {:?}", other, pairs),
            }
            Ok(())
        })
        .unwrap();
    let seen = seen.into_inner();
    assert!([200, 302, 400].iter().all(|s| seen.contains_key(s)), "every kind of answer was exercised: {seen:?}");
}

#[test]
fn any_token_request_without_a_code_gets_an_rfc6749_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app_with(lifted_limits));
    let client = reqwest::Client::new();
    let basic = prop::option::of((value(), value()));
    let mut runner = TestRunner::new(Cases { cases: 300, ..Cases::default() });
    runner
        .run(&(params(TOKEN_KEYS, VALID_TOKEN), basic), |(pairs, basic)| {
            let (status, cache, body) = rt.block_on(async {
                let mut request = client.post(format!("{}/token", app.base)).form(&pairs);
                if let Some((id, secret)) = &basic {
                    request = request.basic_auth(id, Some(secret));
                }
                let r = request.send().await.unwrap();
                let cache = r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned());
                (r.status().as_u16(), cache, r.text().await.unwrap())
            });
            prop_assert!(matches!(status, 400 | 401), "status {} for {:?}", status, pairs);
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            let error = json["error"].as_str().unwrap_or_default();
            prop_assert!(TOKEN_ERRORS.contains(&error), "error {:?}", error);
            prop_assert_eq!(cache.as_deref(), Some("no-store"));
            Ok(())
        })
        .unwrap();
}
