//! The Shared Signals transmitter (SSF 1.0) as a receiver sees it: metadata,
//! the client_credentials token, its stream (create, read, update, replace,
//! delete, status, verification), events pushed (RFC 8935, retried after an
//! outage) and polled (RFC 8936, until acknowledged). Every SET is verified
//! here with jsonwebtoken against /jwks: signature, typ, iss, aud, and a
//! sub_id that is the receiving app's own pairwise sub.

use crate::consent::{choose, picture_optional, to_choices_for};
use crate::helpers::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use jsonwebtoken::jwk::JwkSet;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SESSION_REVOKED: &str = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
const CLAIMS_CHANGE: &str = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change";
const PURGED: &str = "https://schemas.openid.net/secevent/risc/event-type/account-purged";
const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";
const PUSH: &str = "urn:ietf:rfc:8935";
const POLL: &str = "urn:ietf:rfc:8936";

/// What a push receiver keeps: the SETs with their Authorization header,
/// and how many pushes to refuse (400 invalid_key, RFC 8935 §2.3).
/// One push as received: the SET, its Authorization header, its Content-Type.
type Pushed = (String, Option<String>, String);

#[derive(Clone, Default)]
struct Inbox {
    sets: Arc<Mutex<Vec<Pushed>>>,
    refuse: Arc<AtomicUsize>,
}

struct Receiver {
    url: String,
    inbox: Inbox,
}

async fn push(req: HttpRequest, inbox: web::Data<Inbox>, body: String) -> HttpResponse {
    if inbox.refuse.load(Ordering::SeqCst) > 0 {
        inbox.refuse.fetch_sub(1, Ordering::SeqCst);
        return HttpResponse::BadRequest().json(json!({"err": "invalid_key", "description": "try again"}));
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    inbox.sets.lock().unwrap().push((body, header("authorization"), header("content-type").unwrap_or_default()));
    HttpResponse::Accepted().finish()
}

async fn receiver(refuse: usize) -> Receiver {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Inbox { refuse: Arc::new(AtomicUsize::new(refuse)), ..Inbox::default() };
    let data = web::Data::new(inbox.clone());
    let server = HttpServer::new(move || App::new().app_data(data.clone()).route("/ssf", web::post().to(push)))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    tokio::spawn(server);
    Receiver { url: format!("http://127.0.0.1:{port}/ssf"), inbox }
}

impl Receiver {
    /// The SETs received within `wait`, at least `n` of them.
    async fn received(&self, n: usize, wait: Duration) -> Vec<Pushed> {
        let deadline = Instant::now() + wait;
        loop {
            let got = self.inbox.sets.lock().unwrap().clone();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A SET verified against claimgate's JWKS, as a receiver would: RS256 by
/// its kid, typ secevent+jwt, iss, aud; no exp (SSF 1.0).
async fn verified(app: &TestApp, set: &str, audience: &str) -> Value {
    // A fresh connection, as a receiver's would be: a pooled one idle past
    // the server's keep-alive may be closed under the request.
    let jwks: JwkSet = reqwest::get(format!("{}/jwks", app.base)).await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(set).unwrap();
    assert_eq!(header.typ.as_deref(), Some("secevent+jwt"));
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("the SET's kid is in /jwks");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[audience]);
    v.set_issuer(&[&app.public_url]);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(set, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &v)
        .expect("a valid SET")
        .claims;
    assert!(claims.get("exp").is_none() && claims.get("sub").is_none(), "{claims}");
    assert_eq!(claims["events"].as_object().unwrap().len(), 1, "one event per SET");
    claims
}

/// The one event's type of a verified SET.
fn event_of(claims: &Value) -> &str {
    claims["events"].as_object().unwrap().keys().next().unwrap()
}

/// The app's pairwise sub, as its ID token says.
async fn sub_of(app: &TestApp, tokens: &Value, client: &str) -> String {
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), client).await;
    id["sub"].as_str().unwrap().to_owned()
}

impl TestApp {
    /// A client_credentials token of `client` (scope ssf).
    async fn ssf_token(&self, client: &Client) -> Resp {
        self.token_raw(
            &[("grant_type", "client_credentials"), ("scope", "ssf")],
            Some((client.id, client.secret.unwrap())),
        )
        .await
    }

    /// A request to a stream endpoint with `token`, JSON in and out.
    async fn ssf(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Resp {
        let mut req = self.backend.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        Resp { status, headers, body: r.text().await.unwrap() }
    }

    async fn erase_me(&self) -> Resp {
        let me = self.browse("/me").await.body;
        let csrf = field_value(&me, "name=\"csrf\" value=\"").unwrap();
        self.browse_post("/me/erase", &[("csrf", &csrf)]).await
    }
}

fn token_of(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_metadata_names_the_endpoints_and_only_ssf_clients_get_a_token() {
    let app = spawn_app_with(|c| {
        c.set("clients.app-a", "ssf", true);
    })
    .await;
    let meta = app.browse("/.well-known/ssf-configuration").await.json();
    let iss = &app.public_url;
    assert_eq!(meta["spec_version"], "1_0");
    assert_eq!(
        (meta["issuer"].as_str(), meta["jwks_uri"].as_str()),
        (Some(iss.as_str()), Some(&*format!("{iss}/jwks")))
    );
    assert_eq!(meta["delivery_methods_supported"], json!([PUSH, POLL]));
    for (k, path) in
        [("configuration_endpoint", "stream"), ("status_endpoint", "status"), ("verification_endpoint", "verify")]
    {
        assert_eq!(meta[k].as_str(), Some(&*format!("{iss}/ssf/{path}")), "{k}");
    }
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    assert!(discovery["grant_types_supported"].as_array().unwrap().contains(&json!("client_credentials")));

    let r = app.ssf_token(&APP_A).await;
    let t = r.json();
    assert_eq!((t["token_type"].as_str(), t["scope"].as_str()), (Some("Bearer"), Some("ssf")), "{t}");
    assert!(t.get("refresh_token").is_none() && t.get("id_token").is_none());
    let token = token_of(&r);
    assert_eq!(app.userinfo(&token).await.status, 401, "the token carries no user");
    let b = app.ssf_token(&APP_B).await;
    assert_eq!((b.status, b.json()["error"].as_str()), (400, Some("unauthorized_client")), "app-b is no receiver");
    let wider = app
        .token_raw(&[("grant_type", "client_credentials"), ("scope", "ssf openid")], Some(("app-a", "secret-a")))
        .await;
    assert_eq!(wider.json()["error"], "invalid_scope");
    let wrong = app.token_raw(&[("grant_type", "client_credentials")], Some(("app-a", "not-the-secret"))).await;
    assert_eq!(wrong.status, 401);
    // Each endpoint takes its own media type only.
    let json_token = app
        .backend
        .post(format!("{}/token", app.base))
        .basic_auth("app-a", Some("secret-a"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_token.status(), 400, "/token takes a form, not JSON");
    let why: Value = json_token.json().await.unwrap();
    assert!(why["error_description"].as_str().unwrap().contains("application/x-www-form-urlencoded"), "{why}");
    let form_stream = app
        .backend
        .post(format!("{}/ssf/stream", app.base))
        .bearer_auth(&token)
        .form(&[("delivery", "poll")])
        .send()
        .await
        .unwrap();
    assert_eq!(form_stream.status(), 400, "/ssf/stream takes JSON, not a form");
    let why: Value = form_stream.json().await.unwrap();
    assert!(why["error_description"].as_str().unwrap().contains("application/json"), "{why}");
    // RFC 7662 and RFC 7009: the client introspects and revokes it like its other tokens.
    let seen = app.introspect(&APP_A, &token).await.json();
    assert_eq!(
        (seen["active"].as_bool(), seen["scope"].as_str(), seen["client_id"].as_str()),
        (Some(true), Some("ssf"), Some("app-a")),
        "{seen}"
    );
    assert!(seen.get("sub").is_none(), "no user: {seen}");
    assert_eq!(app.introspect(&APP_B, &token).await.json(), json!({"active": false}), "another client learns nothing");
    assert_eq!(app.ssf(reqwest::Method::GET, "/ssf/stream", &token, None).await.status, 200);
    assert_eq!(app.revoke(&APP_B, &token).await.status, 200);
    assert_eq!(
        app.ssf(reqwest::Method::GET, "/ssf/stream", &token, None).await.status,
        200,
        "only its owner revokes it"
    );
    assert_eq!(app.revoke(&APP_A, &token).await.status, 200);
    assert_eq!(app.ssf(reqwest::Method::GET, "/ssf/stream", &token, None).await.status, 401, "revoked");
    assert_eq!(app.introspect(&APP_A, &token).await.json(), json!({"active": false}));
    // A user's access token opens no stream; no token, none either.
    let user = app.full_login(&APP_A, "openid").await;
    let r = app.ssf(reqwest::Method::GET, "/ssf/stream", user["access_token"].as_str().unwrap(), None).await;
    assert_eq!(r.status, 401);
    let r = app.backend.get(format!("{}/ssf/stream", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_receiver_manages_its_stream_status_and_verification() {
    let rx = receiver(0).await;
    let app = spawn_app_with(|c| {
        c.set("clients.app-a", "ssf", true).set("clients.app-b", "ssf", true);
    })
    .await;
    let token = token_of(&app.ssf_token(&APP_A).await);
    use reqwest::Method as M;
    assert_eq!(app.ssf(M::GET, "/ssf/stream", &token, None).await.json(), json!([]));
    let create = json!({"delivery": {"method": PUSH, "endpoint_url": rx.url, "authorization_header": "Bearer rx-secret"},
                        "events_requested": [PURGED, "urn:example:unsupported"], "description": "app-a"});
    let r = app.ssf(M::POST, "/ssf/stream", &token, Some(create.clone())).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let stream = r.json();
    let id = stream["stream_id"].as_str().unwrap().to_owned();
    assert_eq!((stream["iss"].as_str(), stream["aud"].as_str()), (Some(app.public_url.as_str()), Some("app-a")));
    assert_eq!(stream["events_delivered"], json!([PURGED]), "requested ∩ supported");
    assert!(stream["delivery"].get("authorization_header").is_none(), "the receiver's secret is not read back");
    assert_eq!(app.ssf(M::POST, "/ssf/stream", &token, Some(create)).await.status, 409, "one stream per client");
    assert_eq!(app.ssf(M::GET, &format!("/ssf/stream?stream_id={id}"), &token, None).await.json()["stream_id"], id);
    assert_eq!(app.ssf(M::GET, "/ssf/stream?stream_id=other", &token, None).await.status, 404);
    // Another receiver sees none of it.
    let b = token_of(&app.ssf_token(&APP_B).await);
    assert_eq!(app.ssf(M::GET, &format!("/ssf/stream?stream_id={id}"), &b, None).await.status, 404);
    assert_eq!(app.ssf(M::GET, "/ssf/stream", &b, None).await.json(), json!([]));

    let patched = app
        .ssf(
            M::PATCH,
            "/ssf/stream",
            &token,
            Some(json!({"stream_id": id, "events_requested": [PURGED, SESSION_REVOKED]})),
        )
        .await;
    assert_eq!(patched.json()["events_delivered"], json!([SESSION_REVOKED, PURGED]));
    assert_eq!(patched.json()["description"], "app-a", "update keeps what it does not name");
    let bad = app
        .ssf(
            M::PATCH,
            "/ssf/stream",
            &token,
            Some(json!({"stream_id": id, "delivery": {"method": PUSH, "endpoint_url": "http://rx.example/x"}})),
        )
        .await;
    assert_eq!(bad.status, 400, "plain http beyond loopback is refused");

    // Verification (SSF 1.0): a SET with the state, about the stream itself.
    let v = app.ssf(M::POST, "/ssf/verify", &token, Some(json!({"stream_id": id, "state": "st-1"}))).await;
    assert_eq!(v.status, 204, "{}", v.body);
    let got = rx.received(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    let (set, authorization, content_type) = &got[0];
    assert_eq!(
        (authorization.as_deref(), content_type.as_str()),
        (Some("Bearer rx-secret"), "application/secevent+jwt")
    );
    let c = verified(&app, set, "app-a").await;
    assert_eq!(c["events"][VERIFICATION], json!({"state": "st-1"}));
    assert_eq!(c["sub_id"], json!({"format": "opaque", "id": id}));
    let again = app.ssf(M::POST, "/ssf/verify", &token, Some(json!({"stream_id": id}))).await;
    assert_eq!((again.status, again.headers.get("retry-after").is_some()), (429, true), "min_verification_interval");

    // Paused: held; enabled again: delivered.
    let paused = app
        .ssf(
            M::POST,
            "/ssf/status",
            &token,
            Some(json!({"stream_id": id, "status": "paused", "reason": "maintenance"})),
        )
        .await;
    assert_eq!(paused.json(), json!({"stream_id": id, "status": "paused", "reason": "maintenance"}));
    assert_eq!(app.ssf(M::GET, &format!("/ssf/status?stream_id={id}"), &token, None).await.json()["status"], "paused");
    app.full_login(&APP_A, "openid").await;
    app.erase_me().await;
    assert_eq!(rx.received(2, Duration::from_secs(2)).await.len(), 1, "nothing pushed while paused");
    app.ssf(M::POST, "/ssf/status", &token, Some(json!({"stream_id": id, "status": "enabled"}))).await;
    let got = rx.received(3, Duration::from_secs(5)).await;
    let mut events: Vec<String> = Vec::new();
    for (set, ..) in &got[1..] {
        events.push(event_of(&verified(&app, set, "app-a").await).to_owned());
    }
    events.sort();
    assert_eq!(events, [SESSION_REVOKED, PURGED], "what was held, once enabled");

    // Replace: what it leaves out is gone; delete: the stream is gone.
    let put =
        app.ssf(M::PUT, "/ssf/stream", &token, Some(json!({"stream_id": id, "delivery": {"method": POLL}}))).await;
    assert_eq!(
        (put.json()["events_requested"].clone(), put.json()["delivery"]["endpoint_url"].clone()),
        (json!([]), json!(format!("{}/ssf/poll", app.public_url)))
    );
    assert_eq!(app.ssf(M::DELETE, &format!("/ssf/stream?stream_id={id}"), &token, None).await.status, 204);
    assert_eq!(app.ssf(M::GET, "/ssf/stream", &token, None).await.json(), json!([]));
    let log = logs();
    assert!(!log.contains("rx-secret") && !log.contains(&token), "no secret or token logged");
}

/// GDPR Art. 19: erasure reaches every app the data reached, each with its
/// own subject; an app the user never used hears nothing.
#[tokio::test]
async fn erasure_reaches_two_apps_with_two_subjects_and_no_other() {
    let (rx_a, rx_b, rx_p) = (receiver(0).await, receiver(0).await, receiver(0).await);
    let (a, b, p) = (rx_a.url.clone(), rx_b.url.clone(), rx_p.url.clone());
    let app = spawn_app_with(move |c| {
        c.set("clients.app-a", "ssf_push_url", a).set("clients.app-b", "ssf_push_url", b).set_list(
            "clients.app-b",
            "ssf_events",
            &[PURGED],
        );
        c.set("clients.public-app", "ssf_push_url", p);
    })
    .await;
    let sub_a = sub_of(&app, &app.full_login(&APP_A, "openid email").await, "app-a").await;
    let sub_b = sub_of(&app, &app.full_login(&APP_B, "openid").await, "app-b").await;
    let done = app.erase_me().await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("app-a: told.") && done.body.contains("app-b: told."), "{}", done.body);

    let got_a = rx_a.received(2, Duration::from_secs(5)).await;
    let mut txns = Vec::new();
    let mut events = Vec::new();
    for (set, ..) in &got_a {
        let c = verified(&app, set, "app-a").await;
        assert_eq!(c["sub_id"], json!({"format": "iss_sub", "iss": app.public_url, "sub": sub_a}));
        events.push(event_of(&c).to_owned());
        txns.push(c["txn"].as_str().unwrap().to_owned());
        if event_of(&c) == SESSION_REVOKED {
            assert_eq!(c["events"][SESSION_REVOKED]["initiating_entity"], "user");
        }
    }
    events.sort();
    assert_eq!(events, [SESSION_REVOKED, PURGED]);
    assert_eq!(txns[0], txns[1], "one action, one txn for one app");
    let got_b = rx_b.received(1, Duration::from_secs(5)).await;
    assert_eq!(got_b.len(), 1, "app-b asked for account-purged only");
    let c = verified(&app, &got_b[0].0, "app-b").await;
    assert_eq!((event_of(&c), c["sub_id"]["sub"].as_str()), (PURGED, Some(sub_b.as_str())));
    assert_ne!(sub_a, sub_b);
    assert_ne!(c["txn"].as_str(), Some(txns[0].as_str()), "no value links the two apps");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(rx_p.received(1, Duration::ZERO).await.is_empty(), "an app the user never used hears nothing");
    let log = logs();
    assert!(!log.contains(&sub_a) && !log.contains(&got_b[0].0), "no subject or SET logged");
}

#[tokio::test]
async fn a_push_refused_by_the_receiver_is_retried_with_the_same_jti() {
    let rx = receiver(1).await;
    let url = rx.url.clone();
    let app = spawn_app_with(move |c| {
        c.set("clients.app-a", "ssf_push_url", url).set("clients.app-a", "ssf_push_authorization", "Bearer static");
    })
    .await;
    app.full_login(&APP_A, "openid").await;
    let me = app.browse("/me").await.body;
    let csrf = field_value(&me, "name=\"csrf\" value=\"").unwrap();
    app.browse_post("/logout", &[("csrf", &csrf)]).await;
    let got = rx.received(1, Duration::from_secs(8)).await;
    assert_eq!(got.len(), 1, "delivered on the second attempt");
    assert_eq!(got[0].1.as_deref(), Some("Bearer static"));
    let c = verified(&app, &got[0].0, "app-a").await;
    assert_eq!(event_of(&c), SESSION_REVOKED);
    let metrics = app.state.metrics.render();
    assert!(
        metrics.contains("claimgate_ssf_receiver_errors_total{client=\"app-a\",err=\"invalid_key\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("claimgate_ssf_deliveries_total{client=\"app-a\",outcome=\"retrying\"} 1"));
    assert!(metrics.contains("claimgate_ssf_deliveries_total{client=\"app-a\",outcome=\"delivered\"} 1"));
    assert!(logs().contains("reason=\"invalid_key\""), "the receiver's err code is logged");
}

/// RFC 8936: polled SETs stay until acknowledged; a claim withdrawn on /me
/// is a token-claims-change naming the claim, never its value.
#[tokio::test]
async fn polled_events_stay_until_acknowledged() {
    let app = spawn_app_with(|c| {
        picture_optional(c);
        c.set("clients.app-a", "ssf", true);
    })
    .await;
    use reqwest::Method as M;
    let token = token_of(&app.ssf_token(&APP_A).await);
    let create = json!({"delivery": {"method": POLL}, "events_requested": [SESSION_REVOKED, CLAIMS_CHANGE]});
    let stream = app.ssf(M::POST, "/ssf/stream", &token, Some(create)).await.json();
    assert_eq!(stream["delivery"]["endpoint_url"], format!("{}/ssf/poll", app.public_url));
    let browser = app.other_browser();
    let notice = to_choices_for(&app, &browser, "openid profile email", &[]).await;
    choose(&app, &browser, &notice, &["picture"]).await;
    let me = app.browse_in(&browser, "/me").await.body;
    let csrf = field_value(&me, "name=\"csrf\" value=\"").unwrap();
    let done = app.post_in(&browser, "/me/apps/app-a/withdraw", &[("csrf", &csrf), ("claim", "picture")]).await;
    assert_eq!(done.status, 303);

    let poll = json!({"returnImmediately": true});
    let first = app.ssf(M::POST, "/ssf/poll", &token, Some(poll.clone())).await.json();
    let sets = first["sets"].as_object().unwrap();
    assert_eq!((sets.len(), first["moreAvailable"].as_bool()), (2, Some(false)), "{first}");
    let mut txns = std::collections::BTreeSet::new();
    for (jti, set) in sets {
        let c = verified(&app, set.as_str().unwrap(), "app-a").await;
        assert_eq!(c["jti"].as_str(), Some(jti.as_str()));
        txns.insert(c["txn"].as_str().unwrap().to_owned());
        if event_of(&c) == CLAIMS_CHANGE {
            assert_eq!(c["events"][CLAIMS_CHANGE]["claims"], json!({"picture": null}), "the name, never a value");
        }
    }
    assert_eq!(txns.len(), 1, "one withdrawal, one txn");
    let again = app.ssf(M::POST, "/ssf/poll", &token, Some(poll.clone())).await.json();
    assert_eq!(again["sets"], first["sets"], "unacknowledged SETs are answered again");
    let one =
        app.ssf(M::POST, "/ssf/poll", &token, Some(json!({"returnImmediately": true, "maxEvents": 1}))).await.json();
    assert_eq!((one["sets"].as_object().unwrap().len(), one["moreAvailable"].as_bool()), (1, Some(true)));
    let jtis: Vec<&String> = sets.keys().collect();
    let ack = json!({"returnImmediately": true, "ack": [jtis[0]], "setErrs": {jtis[1]: {"err": "invalid_issuer", "description": "x"}}});
    let after = app.ssf(M::POST, "/ssf/poll", &token, Some(ack)).await.json();
    assert_eq!(after["sets"], json!({}), "acknowledged and reported SETs are gone");
    let metrics = app.state.metrics.render();
    assert!(metrics.contains("claimgate_ssf_receiver_errors_total{client=\"app-a\",err=\"invalid_issuer\"} 1"));
    // A long poll waits for an event, then answers empty.
    let started = Instant::now();
    let long = app.ssf(M::POST, "/ssf/poll", &token, Some(json!({}))).await.json();
    assert_eq!(long["sets"], json!({}));
    assert!(started.elapsed() >= Duration::from_secs(9), "returnImmediately defaults to false");
}

/// A push queued before its stream was paused is held, not pushed, and
/// delivered once the stream is enabled again (with its jti).
#[tokio::test]
async fn a_queued_push_whose_stream_was_paused_is_held_until_enabled() {
    use reqwest::Method as M;
    let rx = receiver(1).await;
    let app = spawn_app_with(|c| {
        c.set("clients.app-a", "ssf", true);
    })
    .await;
    let token = token_of(&app.ssf_token(&APP_A).await);
    let create = json!({"delivery": {"method": PUSH, "endpoint_url": rx.url}, "events_requested": [PURGED]});
    let id =
        app.ssf(M::POST, "/ssf/stream", &token, Some(create)).await.json()["stream_id"].as_str().unwrap().to_owned();
    app.full_login(&APP_A, "openid").await;
    app.erase_me().await;
    // The first attempt was refused (invalid_key): the push waits 2 s for its retry.
    let paused = json!({"stream_id": id, "status": "paused"});
    assert_eq!(app.ssf(M::POST, "/ssf/status", &token, Some(paused)).await.status, 200);
    assert!(rx.received(1, Duration::from_secs(4)).await.is_empty(), "a paused stream is not pushed to");
    let metrics = app.state.metrics.render();
    assert!(metrics.contains("claimgate_ssf_deliveries_total{client=\"app-a\",outcome=\"held\"} 1"), "{metrics}");
    app.ssf(M::POST, "/ssf/status", &token, Some(json!({"stream_id": id, "status": "enabled"}))).await;
    let got = rx.received(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(event_of(&verified(&app, &got[0].0, "app-a").await), PURGED);
}
