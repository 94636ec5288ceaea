//! Criterion benchmarks for the pieces on claimgate's hot paths.
//! Run: `cargo bench --bench hot_paths`. Results: docs/BENCHMARKS.md.

use claimgate::clock::SystemClock;
use claimgate::config::Config;
use claimgate::grants::issue::{sign_id_token, IdTokenContent};
use claimgate::keys::Keys;
use claimgate::op::forward_auth;
use claimgate::policy::disclosure::{Released, ReleasedEmail};
use claimgate::policy::filter::{filter, FilterRules};
use claimgate::policy::{
    Email, Picture, Profile, ProfileClaim, Pseudonymizer, UpstreamClaims, UpstreamIdentity, UserKey,
};
use claimgate::signing::{SigningAlg, SigningKey};
use claimgate::startup::Application;
use claimgate::store::memory::MemoryStore;
use claimgate::store::records::{decode, encode, Disclosure, ForwardSession, ForwardSessionId, Session, SessionId};
use claimgate::store::Store;
use claimgate::upstream::oidc::{verify_id_token, IssuerRule};
use criterion::{criterion_group, criterion_main, Criterion};
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, Nonce};
use serde_json::{json, Value};
use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

fn google_claims() -> serde_json::Map<String, Value> {
    let Value::Object(m) = json!({
        "iss": "https://accounts.google.com", "azp": "cid", "aud": "cid", "sub": "10769150350006150715113082367",
        "hd": "example.com", "email": "jsmith@example.com", "email_verified": true, "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
        "nonce": "n-0S6_WzA2Mj", "name": "Jane Smith", "picture": "https://lh3.googleusercontent.com/a/x",
        "given_name": "Jane", "family_name": "Smith", "locale": "en", "iat": 1, "exp": 2
    }) else {
        unreachable!()
    };
    m
}

fn keys() -> Keys {
    Keys::generate().unwrap()
}

fn benches(c: &mut Criterion) {
    let pseudo = Pseudonymizer::new(b"a-benchmark-pairwise-secret-of-32-bytes!");
    let rules = FilterRules { keeps: ProfileClaim::ALL.into_iter().collect(), ..Default::default() };
    let claims = google_claims();
    c.bench_function("filter: Google claims to Profile", |b| {
        b.iter(|| {
            let identity = UpstreamIdentity {
                issuer: "https://accounts.google.com".into(),
                subject: "10769150350006150715113082367".into(),
                auth_time: None,
                claims: UpstreamClaims::new(claims.clone()),
            };
            black_box(filter(identity, &rules, &pseudo).unwrap())
        })
    });

    let user = pseudo.user_key("https://accounts.google.com", "10769150350006150715113082367");
    c.bench_function("pairwise subject", |b| b.iter(|| black_box(pseudo.pairwise_subject(&"main-app".into(), &user))));

    let keys = keys();
    let released = Released {
        name: Some("Jane Smith"),
        email: Some(ReleasedEmail { address: "jsmith@example.com", verified: true }),
        picture: Some("https://lh3.googleusercontent.com/a/x"),
    };
    let content = || IdTokenContent {
        issuer: "https://login.example.com",
        client_id: "main-app",
        subject: pseudo.pairwise_subject(&"main-app".into(), &user),
        claims: &released,
        nonce: Some("n-0S6_WzA2Mj"),
        auth_time: 1_700_000_000,
        now: chrono::Utc::now(),
        lifetime: Duration::from_secs(600),
        access_token: "an-access-token",
        sid: None,
    };
    // Each algorithm claimgate signs with (aws-lc-rs); RSA keys are 2048-bit.
    for alg in SigningAlg::ALL {
        let key = SigningKey::generate(alg).unwrap();
        c.bench_function(&format!("ID token signing ({alg})"), |b| {
            b.iter(|| black_box(sign_id_token(&key, &content()).unwrap()))
        });
    }

    // Upstream verification: the same checks as a real login, against a JWKS.
    let rs256 = keys.signing.signer(SigningAlg::Rs256).unwrap();
    let token = CoreIdToken::from_str(&sign_id_token(rs256, &content()).unwrap()).unwrap();
    let accepted = IssuerRule::Exact(vec!["https://login.example.com".to_string()]);
    let client_id = ClientId::new("main-app".into());
    let nonce = Nonce::new("n-0S6_WzA2Mj".into());
    c.bench_function("upstream ID token verification (RS256)", |b| {
        b.iter(|| {
            let verifier = CoreIdTokenVerifier::new_confidential_client(
                client_id.clone(),
                ClientSecret::new("s".into()),
                IssuerUrl::new("https://login.example.com".into()).unwrap(),
                keys.signing.jwks().clone(),
            );
            black_box(verify_id_token(verifier, &accepted, &client_id, &token, &nonce).unwrap())
        })
    });

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(async { MemoryStore::new(Arc::new(SystemClock)) });
    let value = vec![7u8; 400];
    rt.block_on(async {
        for i in 0..10_000 {
            store.put(&format!("session:{i}"), &value, Duration::from_secs(600)).await.unwrap();
        }
    });
    c.bench_function("memory store put (400 B)", |b| {
        b.iter(|| rt.block_on(store.put("session:bench", &value, Duration::from_secs(600))).unwrap())
    });
    c.bench_function("memory store get (400 B, 10k entries)", |b| {
        b.iter(|| black_box(rt.block_on(store.get("session:5000")).unwrap()))
    });
    let sealer = &keys.sealer;
    c.bench_function("seal + open a 400 B record", |b| {
        b.iter(|| black_box(sealer.open("k", &sealer.seal("k", &value).unwrap()).unwrap()))
    });
}

fn sample_session() -> Session {
    Session {
        user_key: UserKey::from_stored("u-7f1c0b6a9d2e4f3a8b5c6d7e8f9a0b1c".into()),
        profile: Profile {
            name: Some("Jane Smith".into()),
            email: Some(Email { address: "jsmith@example.com".into(), verified: true }),
            picture: Some(Picture::Link("https://lh3.googleusercontent.com/a/ACg8ocK0123456789=s96-c".into())),
        },
        provider: "google".into(),
        auth_time: 1_700_000_000,
        expires_at: 1_700_086_400,
        disclosures: vec![Disclosure {
            client_id: "main-app".into(),
            claims: vec!["name".into(), "email".into()],
            at: 1_700_000_000,
        }],
        consents: [("main-app".to_owned(), ProfileClaim::ALL.into_iter().collect())].into(),
        last_active: Some(1_700_000_000),
    }
}

/// The record encoding (postcard in a seal) against the JSON it replaced.
fn record_encoding(c: &mut Criterion) {
    let session = sample_session();
    let encoded = encode(&session).unwrap();
    let json = serde_json::to_vec(&session).unwrap();
    println!("session record: {} bytes encoded, {} as JSON", encoded.len(), json.len());
    c.bench_function("record encoding: session, encode + decode (postcard)", |b| {
        b.iter(|| black_box(decode::<Session>(&encode(black_box(&session)).unwrap()).unwrap()))
    });
    c.bench_function("record encoding: session, encode + decode (JSON, before)", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<Session>(&serde_json::to_vec(black_box(&session)).unwrap()).unwrap())
        })
    });
    let keys = keys();
    c.bench_function("record encoding: session, encode + seal + open + decode", |b| {
        b.iter(|| {
            let sealed = keys.sealer.seal("session:x", &encode(&session).unwrap()).unwrap();
            black_box(decode::<Session>(&keys.sealer.open("session:x", &sealed).unwrap()).unwrap())
        })
    });
}

const AUTH_CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:9"
[notice]
keeps = ["name", "email", "picture"]
[providers.google]
kind = "dev"
[clients.wiki]
mode = "forward-auth"
return_origins = ["http://127.0.0.1:9"]
claims = ["name", "email", "picture"]
"#;

/// `/auth`'s handler on the memory store, without the HTTP server: a signed-in
/// forward-auth cookie, answered with its headers.
fn auth_handler(c: &mut Criterion) {
    let rt = actix_web::rt::Runtime::new().unwrap();
    let (svc, cookie) = rt.block_on(async {
        let config = Config::parse(AUTH_CONFIG, |_| None).unwrap();
        let clock: Arc<dyn claimgate::clock::Clock> = Arc::new(SystemClock);
        let store = MemoryStore::new(clock.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let app = Application::build_with_store(config, listener, clock, store).await.unwrap();
        let state = app.state();
        let mut session = sample_session();
        session.expires_at = chrono::Utc::now().timestamp() + 86_400;
        let (sid, fid) = (SessionId::random(), ForwardSessionId::random());
        let day = Duration::from_secs(86_400);
        state.records.open_session(&sid, &session, day, None).await.unwrap();
        let record = ForwardSession {
            client_id: "wiki".into(),
            session: sid.clone(),
            subject: "pairwise-subject".into(),
            provider: "google".into(),
            profile: session.profile.clone(),
            expires_at: session.expires_at,
            released: Some(ProfileClaim::ALL.into_iter().collect()),
        };
        assert!(state.records.put_forward_session(&fid, &record, day).await.unwrap());
        let svc = actix_web::test::init_service(
            actix_web::App::new().app_data(state).route("/auth", actix_web::web::get().to(forward_auth::check)),
        )
        .await;
        (svc, actix_web::cookie::Cookie::new("claimgate-fa-wiki", fid.into_string()))
    });
    c.bench_function("/auth handler (memory store, signed in)", |b| {
        b.iter(|| {
            let req = actix_web::test::TestRequest::get().uri("/auth?client=wiki").cookie(cookie.clone()).to_request();
            let resp = rt.block_on(actix_web::test::call_service(&svc, req));
            assert_eq!(resp.status(), 200);
            black_box(resp)
        })
    });
}

/// A photo-like JPEG of `side`×`side` (smooth gradients and noise, as a
/// face photo compresses), as providers serve avatars.
fn avatar_jpeg(side: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        let n = ((x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)) >> 7) as u8 & 0x1f;
        image::Rgb([(x * 255 / side) as u8 ^ n, (y * 255 / side) as u8, 180u8.wrapping_add(n)])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
    out
}

/// The picture proxy's work for a login that fetches a new picture:
/// decode, scale and encode claimgate's own PNG, at Google's default
/// 96 px and a 460 px GitHub avatar. A login whose picture is unchanged
/// (fresh or answered 304) does none of it.
fn picture_path(c: &mut Criterion) {
    for side in [96, 460] {
        let jpeg = avatar_jpeg(side);
        c.bench_function(&format!("picture reencode ({side} px JPEG, {} bytes)", jpeg.len()), |b| {
            b.iter(|| claimgate::pictures::reencode(black_box(&jpeg)).unwrap())
        });
    }
}

criterion_group!(hot_paths, benches, record_encoding, auth_handler, picture_path);
criterion_main!(hot_paths);
