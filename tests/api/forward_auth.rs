//! Forward-auth behind a real nginx (`auth_request`) in front of a small
//! backend on loopback, and the Traefik-style redirect mode.

use crate::helpers::*;
use crate::redis_store::free_port;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A backend that shows which X-Auth-Request-* headers reached it.
async fn spawn_backend() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|req: HttpRequest| async move {
            let mut seen = serde_json::Map::new();
            for (k, v) in req.headers() {
                if k.as_str().starts_with("x-auth-request-") {
                    seen.insert(k.as_str().to_owned(), v.to_str().unwrap_or("").into());
                }
            }
            HttpResponse::Ok().json(serde_json::json!({ "backend": "ok", "headers": seen }))
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    port
}

pub(crate) struct Nginx(Child, std::path::PathBuf);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn nginx_binary() -> &'static str {
    if Command::new("nginx").arg("-v").output().is_ok() {
        "nginx"
    } else {
        "/usr/sbin/nginx"
    }
}

/// nginx on `port` protecting the backend with claimgate's /auth (client wiki).
fn start_nginx(port: u16, claimgate: &str, backend: u16) -> Nginx {
    start_nginx_with(
        port,
        &format!(
            r#"server {{
    listen 127.0.0.1:{port};
    location = /_claimgate_auth {{
      internal;
      proxy_pass {claimgate}/auth?client=wiki;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    }}
    location @signin {{
      return 302 {claimgate}/auth/start?client=wiki&rd=$scheme://$http_host$request_uri;
    }}
    location / {{
      auth_request /_claimgate_auth;
      auth_request_set $cg_email $upstream_http_x_auth_request_email;
      auth_request_set $cg_user $upstream_http_x_auth_request_user;
      auth_request_set $cg_picture $upstream_http_x_auth_request_picture;
      auth_request_set $cg_sub $upstream_http_x_auth_request_sub;
      proxy_set_header X-Auth-Request-Email $cg_email;
      proxy_set_header X-Auth-Request-User $cg_user;
      proxy_set_header X-Auth-Request-Picture $cg_picture;
      proxy_set_header X-Auth-Request-Sub $cg_sub;
      error_page 401 = @signin;
      proxy_pass http://127.0.0.1:{backend};
    }}
  }}"#
        ),
    )
}

/// nginx in the foreground on `port`, in a directory of its own, with
/// `http` inside its `http {}` block; stopped when dropped.
pub(crate) fn start_nginx_with(port: u16, http: &str) -> Nginx {
    let dir =
        std::env::temp_dir().join(format!("claimgate-nginx-{}", &claimgate::store::records::random_handle()[..8]));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display();
    let conf = format!(
        r#"daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  {http}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(nginx_binary())
        .args(["-p", &dir.display().to_string(), "-c", &dir.join("nginx.conf").display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("this test needs nginx: run `bash scripts/test.sh`, which installs Debian's package");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Nginx(child, dir)
}

/// A forward-auth client `wiki` behind the proxy on `nginx_port`, with `extra` settings.
fn wiki_client(nginx_port: u16, extra: &'static [(&'static str, &'static str)]) -> impl FnOnce(&mut ConfigEdit) {
    move |c| {
        forward_auth_client(c, "wiki", &format!("http://127.0.0.1:{nginx_port}"), &["email"]);
        for (key, value) in extra {
            c.set("clients.wiki", key, *value);
        }
    }
}

#[tokio::test]
async fn nginx_lets_a_signed_in_user_through_with_only_the_allowed_headers() {
    let nginx_port = free_port();
    let backend = spawn_backend().await;
    let client = wiki_client(nginx_port, &[]);
    let app = spawn_app_with(client).await;
    let _nginx = start_nginx(nginx_port, &app.base, backend);
    let site = format!("http://127.0.0.1:{nginx_port}");

    // Not signed in: nginx sends the browser to claimgate's sign-in.
    let first = app.browse(&format!("{site}/page")).await;
    assert_eq!(first.status, 302);
    let start = first.location().unwrap();
    assert!(start.starts_with(&format!("{}/auth/start?client=wiki&rd=", app.base)), "{start}");

    // Sign in (notice, upstream, callback); back at the page with a cookie.
    let end = app.walk(&start, &site).await;
    assert!(matches!(end, LoginEnd::App(_)), "{end:?}");
    let page = app.browse(&format!("{site}/page")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let headers = page.json()["headers"].clone();
    assert_eq!(headers["x-auth-request-email"], "jane.doe@example.com");
    assert!(headers["x-auth-request-sub"].as_str().is_some_and(|s| s.len() > 20));
    assert!(headers.get("x-auth-request-user").is_none(), "name is not allowed for this client: {headers}");
    assert!(headers.get("x-auth-request-picture").is_none());

    // A header sent by the user is replaced, not trusted.
    let spoof = app.browse_with_header(&format!("{site}/page"), "X-Auth-Request-User", "attacker").await;
    assert_eq!(spoof.status, 200);
    assert!(spoof.json()["headers"].get("x-auth-request-user").is_none(), "{}", spoof.body);
    let forged = app.browse_with_header(&format!("{site}/page"), "X-Auth-Request-Email", "ceo@example.com").await;
    assert_eq!(forged.json()["headers"]["x-auth-request-email"], "jane.doe@example.com", "{}", forged.body);
    // Without the cookie nothing reaches the backend.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = anonymous
        .get(format!("{site}/page"))
        .header("X-Auth-Request-Email", "attacker@evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);

    // Signing out ends forward-auth too.
    let me = app.browse("/me").await;
    let csrf = field_value(&me.body, "name=\"csrf\" value=\"").unwrap();
    app.browse_post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(app.browse(&format!("{site}/page")).await.status, 302);
}

#[tokio::test]
async fn an_attacker_chosen_return_url_is_refused() {
    let client = wiki_client(18555, &[]);
    let app = spawn_app_with(client).await;
    for rd in [
        "http://evil.example/",
        "http://127.0.0.1:18555.evil.example/",
        "http://127.0.0.1:18556/",
        "https://127.0.0.1:18555/",
        "javascript:alert(1)",
        "//evil.example/",
    ] {
        let url = format!("/auth/start?client=wiki&rd={}", urlencode(rd));
        let r = app.browse(&url).await;
        assert_eq!((r.status, r.location()), (400, None), "{rd}");
    }
    // The registered origin works.
    let ok = app.browse(&format!("/auth/start?client=wiki&rd={}", urlencode("http://127.0.0.1:18555/x"))).await;
    assert!(is_notice(&ok));
    // A forward-auth client cannot use the token endpoint, even with a code of its own.
    let r = app
        .token_raw(
            &[("grant_type", "authorization_code"), ("code", "x"), ("client_id", "wiki"), ("redirect_uri", "x")],
            None,
        )
        .await;
    assert_eq!((r.status, r.json()["error"].as_str()), (401, Some("invalid_client")));
    // An OIDC client is not a forward-auth client.
    assert_eq!(app.browse("/auth/start?client=app-a&rd=http://127.0.0.1:9/").await.status, 400);
}

#[tokio::test]
async fn traefik_style_redirects_only_to_allowed_origins_and_a_forged_cookie_is_refused() {
    let client = wiki_client(18557, &[("unauthenticated", "redirect")]);
    let app = spawn_app_with(client).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let ask = |host: &'static str, cookie: Option<&'static str>| {
        let mut r = http
            .get(format!("{}/auth?client=wiki", app.base))
            .header("X-Forwarded-Proto", "http")
            .header("X-Forwarded-Host", host)
            .header("X-Forwarded-Uri", "/docs");
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send()
    };
    let r = ask("127.0.0.1:18557", None).await.unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().contains("rd=http%3A%2F%2F127.0.0.1%3A18557%2Fdocs"));
    assert_eq!(ask("evil.example", None).await.unwrap().status(), 401, "never redirect to an unlisted origin");
    assert_eq!(ask("127.0.0.1:18557", Some("claimgate-fa-wiki=forged")).await.unwrap().status(), 302);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_an_unprefixed_one_is_ignored() {
    let app = spawn(Options {
        tls: true,
        edit: Some(Box::new(|c| {
            c.set("clients.wiki", "mode", "forward-auth")
                .set_list("clients.wiki", "return_origins", &["https://wiki.example"])
                .set_list("clients.wiki", "claims", &["email"]);
        })),
        ..Options::default()
    })
    .await;
    let fa_callback = format!("{}/auth/callback", app.base);
    let start = format!("/auth/start?client=wiki&rd={}", urlencode("https://wiki.example/x"));
    let LoginEnd::App(params) = app.walk(&start, &fa_callback).await else { panic!("no forward-auth callback") };
    let done = app.browse(&format!("{fa_callback}?code={}&state={}", params["code"], params["state"])).await;
    let cookie = done.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-claimgate-fa-wiki=") && cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    let ok = app.browse("/auth?client=wiki").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.headers["x-auth-request-email"], "jane.doe@example.com");
    // Not released, yet present and empty: a copying proxy overwrites what the browser sent.
    assert_eq!(ok.headers["x-auth-request-user"], "");
    assert_eq!(ok.headers["x-auth-request-picture"], "");
    // The same value under the unprefixed name (a cookie tossed by a sibling host) opens nothing.
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let stranger = app.other_browser();
    let tossed =
        stranger.get(format!("{}/auth?client=wiki", app.base)).header("cookie", format!("claimgate-fa-wiki={value}"));
    assert_eq!(tossed.send().await.unwrap().status(), 401);
}
