//! Metrics, health, readiness, the admin listener and TLS.

use crate::helpers::*;
use crate::idp::Misbehaviour;

/// The value of one sample in the Prometheus text format, 0 when absent.
fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn public_metrics(c: &mut ConfigEdit) {
    c.set("server", "metrics_public", true);
}

#[tokio::test]
async fn metrics_are_not_on_the_public_listener_unless_asked() {
    let app = spawn_app().await;
    assert_eq!(app.browse("/metrics").await.status, 404, "per-client counters are for operators");
    assert_eq!(app.browse("/healthz").await.status, 200, "probes stay where there is no admin listener");
}

#[tokio::test]
async fn metrics_move_after_a_login() {
    let app = spawn_app_with(public_metrics).await;
    let before = app.browse("/metrics").await.body;
    let completed =
        |m: &str| sample(m, "claimgate_logins_completed_total", &[("provider", "idp"), ("client", "app-a")]);
    assert_eq!(completed(&before), 0.0);
    let tokens = app.full_login(&APP_A, "openid profile").await;
    app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    app.userinfo("bogus").await;
    app.idp.misbehave(Misbehaviour::BadSignature);
    app.login(&APP_A, "openid", &[("prompt", "login")]).await;

    let after = app.browse("/metrics").await.body;
    assert_eq!(completed(&after), 1.0);
    assert_eq!(sample(&after, "claimgate_logins_started_total", &[("client", "app-a")]), 2.0);
    assert_eq!(sample(&after, "claimgate_logins_failed_total", &[("reason", "id_token_bad_signature")]), 1.0);
    assert_eq!(sample(&after, "claimgate_token_requests_total", &[("outcome", "success")]), 1.0);
    assert_eq!(sample(&after, "claimgate_userinfo_requests_total", &[("outcome", "success")]), 1.0);
    assert_eq!(sample(&after, "claimgate_userinfo_requests_total", &[("outcome", "invalid_token")]), 1.0);
    assert!(sample(&after, "claimgate_upstream_seconds_count", &[("step", "callback")]) >= 2.0);
    assert!(sample(&after, "claimgate_store_seconds_count", &[("op", "take")]) >= 1.0);
    assert!(sample(&after, "claimgate_active_sessions", &[]) >= 1.0);
    assert!(!after.contains("jane") && !after.contains(app.idp.marker()), "no value in metrics");
}

/// The request histogram is labelled by route pattern and status class:
/// never by the path a client chose, and the edge's refusals are counted
/// under the route they were aimed at.
#[tokio::test]
async fn requests_are_counted_by_route_pattern_never_by_path() {
    let app = spawn_app_with(public_metrics).await;
    let count = |m: &str, route: &str, class: &str| {
        sample(m, "claimgate_http_request_seconds_count", &[("route", route), ("status", class)])
    };
    let before = app.browse("/metrics").await.body;
    assert_eq!(app.browse("/userinfo").await.status, 401);
    app.browse("/callback/crafted-provider-id").await;
    let long = "x".repeat(5000);
    assert_eq!(app.browse(&format!("/authorize?q={long}")).await.status, 414);
    assert_eq!(app.browse("/no-such-route-here").await.status, 404);
    assert_eq!(app.browse("/healthz").await.status, 200);

    let after = app.browse("/metrics").await.body;
    assert_eq!(count(&after, "/userinfo", "4xx") - count(&before, "/userinfo", "4xx"), 1.0);
    assert_eq!(count(&after, "/callback/{provider}", "4xx") - count(&before, "/callback/{provider}", "4xx"), 1.0);
    assert_eq!(count(&after, "/authorize", "4xx") - count(&before, "/authorize", "4xx"), 1.0, "a refusal at the edge");
    assert_eq!(count(&after, "unmatched", "4xx"), 1.0);
    assert_eq!(count(&after, "/healthz", "2xx"), 1.0);
    assert!(!after.contains("crafted-provider-id") && !after.contains("no-such-route"), "never a path");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let h = app.browse("/healthz").await;
    assert_eq!((h.status, h.json()["status"].as_str()), (200, Some("ok")));
    assert_eq!(h.headers["content-type"], "application/json");
    assert_eq!(h.headers["x-content-type-options"], "nosniff");
    let r = app.browse("/readyz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["store"], "ok");
}

#[tokio::test]
async fn an_admin_listener_takes_the_operations_endpoints() {
    let app = spawn_app_with(|c| {
        c.set("server", "admin_listen", "127.0.0.1:0");
    })
    .await;
    let admin = app.admin_base.clone().expect("admin listener");
    assert_eq!(app.browse("/metrics").await.status, 404, "not on the public listener");
    assert_eq!(app.browse(&format!("{admin}/metrics")).await.status, 200);
    assert_eq!(app.browse(&format!("{admin}/readyz")).await.status, 200);
}

#[tokio::test]
async fn serves_over_tls_with_hsts_and_a_host_prefixed_secure_cookie() {
    let app = spawn(Options { tls: true, ..Options::default() }).await;
    assert!(app.base.starts_with("https://"));
    let d = app.browse("/.well-known/openid-configuration").await;
    assert_eq!(d.status, 200);
    assert_eq!(d.json()["issuer"], app.base);
    assert_eq!(d.headers["strict-transport-security"], "max-age=31536000");
    let page = app.browse(&app.authorize_url(&APP_A, "openid", &[])).await;
    for (h, v) in
        [("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"), ("x-content-type-options", "nosniff")]
    {
        assert_eq!(page.headers[h], v);
    }
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"), "{csp}");
    // A full login over TLS; the session cookie is __Host- prefixed and Secure.
    let upstream = app.authorize_to_upstream(&app.authorize_url(&APP_A, "openid", &[])).await;
    let at_idp = app.browse(&upstream).await;
    let callback = app.browse(&at_idp.location().unwrap()).await;
    let cookie = callback.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-claimgate-session=") && cookie.contains("Secure"), "{cookie}");
    let code = url::Url::parse(&callback.location().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(app.redeem(&APP_A, &code, &[]).await.status, 200);
}

#[tokio::test]
async fn a_plain_http_client_cannot_talk_to_the_tls_listener() {
    let app = spawn(Options { tls: true, ..Options::default() }).await;
    let plain = app.base.replace("https://localhost", "http://127.0.0.1");
    let r = reqwest::Client::new().get(format!("{plain}/jwks")).send().await;
    assert!(r.is_err() || !r.unwrap().status().is_success());
}

/// The ALPN protocol a TLS client offering `offered` gets from the listener,
/// or the handshake error.
fn negotiate(app: &TestApp, offered: &[&[u8]]) -> Result<Option<Vec<u8>>, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    use std::io::Write;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(app.tls_cert_pem.as_ref().unwrap().as_bytes()).unwrap()).unwrap();
    let mut config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = offered.iter().map(|p| p.to_vec()).collect();
    let port = url::Url::parse(&app.base).unwrap().port().unwrap();
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    tls.flush().map_err(|e| e.to_string())?;
    Ok(conn.alpn_protocol().map(<[u8]>::to_vec))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tls_listener_speaks_http_1_1_only() {
    let app = spawn(Options { tls: true, ..Options::default() }).await;
    let offered_both = tokio::task::block_in_place(|| negotiate(&app, &[b"h2", b"http/1.1"]));
    assert_eq!(offered_both, Ok(Some(b"http/1.1".to_vec())), "no HTTP/2: h2 0.3 carries RUSTSEC-2026-0258");
    let h2_only = tokio::task::block_in_place(|| negotiate(&app, &[b"h2"]));
    assert!(h2_only.is_err_and(|e| e.contains("NoApplicationProtocol")), "h2 alone is refused");
}

/// Issue 26, point 4: after SIGTERM the process keeps serving for
/// `server.drain_secs` while `/readyz` answers 503 (a load balancer that
/// routes by readiness stops sending before the port closes), then closes.
#[tokio::test]
async fn sigterm_drains_not_ready_but_serving_then_closes() {
    let (port, admin) = (crate::redis_store::free_port(), crate::redis_store::free_port());
    let mut c = ConfigEdit::parse(include_str!("../../config.dev.toml"));
    c.set("server", "listen", format!("127.0.0.1:{port}"))
        .set("server", "public_url", format!("http://127.0.0.1:{port}"))
        .set("server", "admin_listen", format!("127.0.0.1:{admin}"))
        .set("server", "drain_secs", 2);
    let file = std::env::temp_dir().join(format!("claimgate-drain-{port}.toml"));
    std::fs::write(&file, c.to_string()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_claimgate"))
        .args(["serve", "--config", file.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let status = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.map(|r| r.status().as_u16()).ok() }
    };
    let ready = format!("http://127.0.0.1:{admin}/readyz");
    let page = format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while status(ready.clone()).await != Some(200) {
        assert!(std::time::Instant::now() < deadline, "claimgate did not become ready");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status(ready.clone()).await, Some(503), "not ready while draining");
    assert_eq!(status(page.clone()).await, Some(200), "but still serving");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(status(page).await, None, "closed after the drain");
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(exit.success(), "{exit:?}");
    std::fs::remove_file(&file).unwrap();
}
