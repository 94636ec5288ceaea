//! Nothing an unauthenticated client sends makes claimgate store more, or
//! work harder, without bound (issue 11): sizes, per-address rates, the
//! pending-record cap, and indexes that hold only live records.

use crate::helpers::*;
use claimgate::clock::ManualClock;
use futures::StreamExt;
use std::sync::Arc;

/// Sets `[limits]` keys.
fn with_limits(limits: &'static [(&'static str, i64)]) -> impl FnOnce(&mut ConfigEdit) {
    move |c| {
        for (key, value) in limits {
            c.set("limits", key, *value);
        }
    }
}

#[tokio::test]
async fn a_flood_from_one_address_stores_little_and_another_address_still_signs_in() {
    let app = spawn_app_with(|c: &mut ConfigEdit| {
        c.set("limits", "client_ip_header", "x-forwarded-for").set_list("limits", "trusted_proxies", &["127.0.0.0/8"]);
    })
    .await;
    let url = app.authorize_url(&APP_A, "openid", &[]);
    let flood = reqwest::Client::new();
    let started = std::time::Instant::now();
    let answers: Vec<(u16, bool)> = futures::stream::iter(0..50_000)
        .map(|_| {
            let request = flood.get(&url).header("x-forwarded-for", "198.51.100.7, 203.0.113.9");
            async move {
                let r = request.send().await.expect("claimgate answers");
                (r.status().as_u16(), r.headers().contains_key("retry-after"))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let served = answers.iter().filter(|(s, _)| *s == 200).count();
    let limited = answers.iter().filter(|(s, retry)| *s == 429 && *retry).count();
    // The default: a burst of 60, then one a second.
    let allowed = 60 + started.elapsed().as_secs() as usize + 1;
    assert!(served <= allowed, "{served} served in {:?}", started.elapsed());
    assert_eq!(served + limited, 50_000, "every other answer is 429 with Retry-After");
    // The memory bound: what the flood stored is at most what was served.
    let stored = app.store.dump().await.len();
    assert!(stored <= served, "{stored} records for {served} notice pages");

    // A sign-in from another address (no proxy header: the peer) still works.
    let tokens = app.full_login(&APP_A, "openid email").await;
    assert!(tokens["id_token"].is_string());
    let metrics = app.state.metrics.render();
    let line = format!("claimgate_limited_total{{reason=\"sign_in_rate\"}} {limited}");
    assert!(metrics.contains(&line), "{line} in {metrics}");
}

/// Addresses from `X-Forwarded-For` set by peers in `trusted`; two
/// sign-ins a minute per address.
fn behind_proxies(trusted: &'static str) -> impl FnOnce(&mut ConfigEdit) + 'static {
    move |c| {
        c.set("limits", "client_ip_header", "x-forwarded-for").set_list("limits", "trusted_proxies", &[trusted]).set(
            "limits",
            "sign_in_per_minute",
            2,
        );
    }
}

/// Issue 26, point 1: behind trusted proxies the chain is walked from the
/// right, so a value the client wrote at its left is never its address;
/// from an untrusted peer, forwarding headers are not believed (and counted).
#[tokio::test]
async fn a_spoofed_forwarded_address_is_not_believed() {
    let app = spawn_app_with(behind_proxies("127.0.0.0/8")).await;
    let url = app.authorize_url(&APP_A, "openid", &[]);
    let http = reqwest::Client::new();
    let from = |chain: &str| {
        let request = http.get(&url).header("x-forwarded-for", chain.to_owned());
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Two trusted hops (an ingress, then a sidecar at 127.0.0.9): the
    // ingress appended 198.51.100.7; what the client wrote at the left
    // changes every time and buys it nothing.
    assert_eq!(from("203.0.113.1, 198.51.100.7, 127.0.0.9").await, 200);
    assert_eq!(from("203.0.113.2, 198.51.100.7, 127.0.0.9").await, 200);
    assert_eq!(from("203.0.113.3, 198.51.100.7, 127.0.0.9").await, 429, "the same client, whatever it wrote");
    assert_eq!(from("198.51.100.8, 127.0.0.9").await, 200, "another client behind the same proxies");
    assert!(!app.state.metrics.render().contains("claimgate_untrusted_forwarded_total 1"));

    // An untrusted peer: its headers are not believed, so every request is
    // the peer's (127.0.0.1 is not in 10.0.0.0/8), and they are counted.
    let app = spawn_app_with(behind_proxies("10.0.0.0/8")).await;
    let url = app.authorize_url(&APP_A, "openid", &[]);
    for (i, expected) in [200, 200, 429].into_iter().enumerate() {
        let r = http.get(&url).header("x-forwarded-for", format!("198.51.100.{i}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), expected, "request {i}");
    }
    assert!(app.state.metrics.render().contains("claimgate_untrusted_forwarded_total 3"));
    assert!(logs().contains("from a peer not in limits.trusted_proxies"), "warned");
}

#[tokio::test]
async fn token_requests_are_limited_per_address_with_a_json_error() {
    let app = spawn_app_with(with_limits(&[("token_per_minute", 2)])).await;
    let form = [("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", APP_A.redirect_uri)];
    for _ in 0..2 {
        assert_eq!(app.token_raw(&form, Some((APP_A.id, "secret-a"))).await.status, 400);
    }
    let r = app.token_raw(&form, Some((APP_A.id, "secret-a"))).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (429, Some("temporarily_unavailable")));
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn oversized_requests_are_refused_before_anything_is_stored() {
    let app = spawn_app().await;
    let long_state = "s".repeat(5000);
    let r = app.browse(&app.authorize_url(&APP_A, "openid", &[("state", &long_state)])).await;
    assert_eq!(r.status, 414);
    let big = "x".repeat(20_000);
    let r = app.token_raw(&[("grant_type", "authorization_code"), ("code", &big)], Some((APP_A.id, "secret-a"))).await;
    assert_eq!(r.status, 413);
    assert!(app.store.dump().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn an_overlong_forward_auth_return_url_is_refused() {
    let app = spawn_app_with(|c| forward_auth_client(c, "wiki", "http://127.0.0.1:18580", &["email"])).await;
    let rd = format!("http://127.0.0.1:18580/{}", "a".repeat(2100));
    assert_eq!(app.browse(&format!("/auth/start?client=wiki&rd={rd}")).await.status, 400);
    assert!(app.store.dump().await.is_empty());
    assert!(is_notice(&app.browse("/auth/start?client=wiki&rd=http://127.0.0.1:18580/short").await));
}

async fn pending_sign_ins_are_capped(store: Option<TestStore>) {
    let app = spawn(Options {
        edit: Some(Box::new(with_limits(&[("max_pending", 3), ("sign_in_per_minute", 1000)]))),
        store,
        ..Options::default()
    })
    .await;
    let mut notices = Vec::new();
    for i in 0..3 {
        let r = app.browse(&app.authorize_url(&APP_A, "openid", &[])).await;
        assert!(is_notice(&r), "sign-in {i}: {}", r.status);
        notices.push(r.body);
    }
    let full = app.browse(&app.authorize_url(&APP_A, "openid", &[])).await;
    assert_eq!(full.status, 503);
    assert!(full.headers.contains_key("retry-after"));
    // A sign-in that goes on (ticket taken, pending login stored) holds one place.
    let to_upstream = app.press_continue(&notices[0]).await;
    assert_eq!(to_upstream.status, 303, "a redirect answering a POST");
    assert_eq!(app.browse(&app.authorize_url(&APP_A, "openid", &[])).await.status, 503, "still 3 in progress");
    // Finishing it frees a place (another app: this one now answers from the session).
    let callback = app.browse(&to_upstream.location().unwrap()).await.location().unwrap();
    let back = app.browse(&callback).await;
    assert!(back.location().is_some_and(|l| l.contains("code=")));
    assert!(is_notice(&app.browse(&app.authorize_url(&APP_B, "openid", &[])).await));
    assert!(app.state.metrics.render().contains("claimgate_limited_total{reason=\"pending_full\"} 2"));
    app.store.cleanup().await;
}

#[tokio::test]
async fn pending_sign_ins_are_capped_on_memory() {
    pending_sign_ins_are_capped(None).await;
}

#[tokio::test]
async fn pending_sign_ins_are_capped_on_redis() {
    pending_sign_ins_are_capped(Some(TestStore::redis())).await;
}

#[tokio::test]
async fn the_user_index_holds_only_live_records() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn(Options {
        edit: Some(Box::new(with_limits(&[("sign_in_per_minute", 100000)]))),
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    app.full_login(&APP_A, "openid").await;
    for _ in 0..300 {
        app.login(&APP_A, "openid", &[("prompt", "none")]).await.code();
    }
    let index_size = |dump: Vec<(String, Vec<u8>)>| {
        dump.into_iter()
            .find(|(k, _)| k.starts_with("idx:user:"))
            .map(|(_, members)| String::from_utf8(members).unwrap().split(' ').count())
            .unwrap_or(0)
    };
    assert!(index_size(app.store.dump().await) > 300, "300 live codes are indexed");
    clock.advance(chrono::Duration::seconds(61));
    app.login(&APP_A, "openid", &[("prompt", "none")]).await.code();
    let size = index_size(app.store.dump().await);
    // The session, its token index, the email index, one access token, the
    // redeemed-code marker, the one live code and the user's consent for app-a.
    assert!(size <= 7, "expired codes left the index: {size} members");
}

/// Issue 26, point 2: with `limits.shared_rates`, two instances on one
/// Redis hold the configured rate together (each alone would allow it
/// twice over); a store that stops answering leaves each instance counting
/// on its own, not refusing everyone.
#[tokio::test]
async fn a_shared_rate_is_held_by_two_instances_together() {
    let store = TestStore::redis();
    let shared = |c: &mut ConfigEdit| {
        c.set("limits", "shared_rates", true).set("limits", "sign_in_per_minute", 3);
    };
    let a = spawn(Options { store: Some(store.clone()), edit: Some(Box::new(shared)), ..Options::default() }).await;
    let b = spawn(Options {
        store: Some(store.clone()),
        behind: Some((a.public_url.clone(), a.idp.clone())),
        edit: Some(Box::new(shared)),
        ..Options::default()
    })
    .await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for app in [&a, &b, &a, &b, &a, &b] {
        let url = app.authorize_url(&APP_A, "openid", &[]).replace(&a.public_url, &app.base);
        statuses.push(http.get(&url).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429], "three a minute for both instances together");
    store.cleanup().await;
}
