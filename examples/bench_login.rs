//! Drives full logins through a running claimgate whose provider is the
//! built-in dev provider (so the upstream costs nothing), and reports logins
//! per second and claimgate's CPU time per login (from /proc/PID/stat).
//! Prints one JSON line; `access_token` is a live token for load tests and,
//! with a forward-auth client id, `forward_auth_cookie` a live forward-auth
//! cookie (`name=value`) for `/auth`.
//!
//! With SHAPE=browser, each sign-in is what a browser and its app do, one
//! after another: the notice page, the notice's button, the dev provider's
//! own page, its callback, the app's token request and a userinfo call,
//! each sign-in with a fresh cookie jar (CONCURRENCY is then ignored).
//!
//! Usage: bench_login BASE_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI LOGINS CONCURRENCY CLAIMGATE_PID [FA_CLIENT_ID]

use std::time::Instant;

struct Args {
    base: String,
    client: String,
    secret: String,
    redirect: String,
}

fn value_after<'a>(s: &'a str, marker: &str) -> Option<&'a str> {
    let start = s.find(marker)? + marker.len();
    s[start..].split(['"', '&']).next()
}

/// The `name=value` pairs a response sets (a fresh browser's cookie jar for
/// one sign-in: the sign-in binding cookie, the session, forward-auth).
fn cookies_set(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

/// From the notice page to the location the dev provider's callback sends
/// the browser to, as a fresh browser does (its cookies kept by hand).
async fn sign_in(http: &reqwest::Client, base: &str, start: &str) -> Result<(String, Vec<String>), String> {
    let page = http.get(start).send().await.map_err(|e| e.to_string())?;
    let mut jar = cookies_set(&page);
    let notice = page.text().await.map_err(|e| e.to_string())?;
    let ticket = value_after(&notice, "name=\"ticket\" value=\"").ok_or("no ticket")?;
    let provider = value_after(&notice, "name=\"provider\" value=\"").ok_or("no provider")?;
    let r = http
        .post(format!("{base}/authorize/continue"))
        .header("cookie", jar.join("; "))
        .form(&[("ticket", ticket), ("provider", provider)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    jar.extend(cookies_set(&r));
    let upstream = r.headers().get("location").and_then(|v| v.to_str().ok()).ok_or("no upstream redirect")?;
    let state = if browser_shaped() {
        // The dev provider's page, as the browser is sent to it.
        let page = http.get(upstream).header("cookie", jar.join("; ")).send().await.map_err(|e| e.to_string())?;
        let page = page.text().await.map_err(|e| e.to_string())?;
        value_after(&page, "name=\"state\" value=\"").ok_or("no state on the dev page")?.to_owned()
    } else {
        value_after(upstream, "state=").ok_or("no state")?.to_owned()
    };
    let r = http
        .get(format!("{base}/callback/{provider}?state={state}&code=dev-approved"))
        .header("cookie", jar.join("; "))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    jar.extend(cookies_set(&r));
    let back = r.headers().get("location").and_then(|v| v.to_str().ok()).ok_or("no code redirect")?;
    Ok((back.to_owned(), jar))
}

/// One full login with a fresh browser: authorize, notice, continue, the
/// dev provider's callback, token. Returns the access token.
async fn login(http: &reqwest::Client, a: &Args) -> Result<String, String> {
    let authorize = format!(
        "{}/authorize?client_id={}&redirect_uri={}&response_type=code&scope=openid%20profile%20email&state=s&nonce=n",
        a.base, a.client, a.redirect
    );
    let (back, _) = sign_in(http, &a.base, &authorize).await?;
    let code = value_after(&back, "code=").ok_or("no code")?.to_owned();
    let tokens: serde_json::Value = http
        .post(format!("{}/token", a.base))
        .basic_auth(&a.client, Some(&a.secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &a.redirect)])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = tokens["access_token"].as_str().map(str::to_owned).ok_or_else(|| format!("no token: {tokens}"))?;
    if browser_shaped() {
        let info = http.get(format!("{}/userinfo", a.base)).bearer_auth(&token).send().await;
        let status = info.map_err(|e| e.to_string())?.status();
        if !status.is_success() {
            return Err(format!("userinfo: {status}"));
        }
    }
    Ok(token)
}

/// SHAPE=browser: sequential sign-ins with the pages a browser loads.
fn browser_shaped() -> bool {
    std::env::var("SHAPE").is_ok_and(|s| s == "browser")
}

/// A forward-auth sign-in for `client`; returns its cookie as `name=value`.
async fn forward_auth_cookie(http: &reqwest::Client, base: &str, client: &str) -> Result<String, String> {
    let start = format!("{base}/auth/start?client={client}&rd=http%3A%2F%2F127.0.0.1%3A9%2F");
    let (back, jar) = sign_in(http, base, &start).await?;
    let r = http.get(&back).header("cookie", jar.join("; ")).send().await.map_err(|e| e.to_string())?;
    let prefix = format!("claimgate-fa-{client}=");
    cookies_set(&r).into_iter().find(|c| c.starts_with(&prefix)).ok_or_else(|| "no forward-auth cookie".into())
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0 // USER_HZ is 100 on Linux
}

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if !(8..=9).contains(&argv.len()) {
        eprintln!("usage: bench_login BASE CLIENT SECRET REDIRECT LOGINS CONCURRENCY PID [FA_CLIENT]");
        std::process::exit(2);
    }
    let args = std::sync::Arc::new(Args {
        base: argv[1].clone(),
        client: argv[2].clone(),
        secret: argv[3].clone(),
        redirect: argv[4].clone(),
    });
    let (logins, concurrency): (usize, usize) = (argv[5].parse().unwrap(), argv[6].parse().unwrap());
    let concurrency = if browser_shaped() { 1 } else { concurrency };
    let pid = argv[7].clone();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Warm up connections and caches.
    let token = login(&http, &args).await.unwrap_or_else(|e| panic!("login failed: {e}"));

    let cpu_before = cpu_seconds(&pid);
    let started = Instant::now();
    let per_worker = logins / concurrency;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, args) = (http.clone(), args.clone());
            tokio::spawn(async move {
                for _ in 0..per_worker {
                    login(&http, &args).await.unwrap_or_else(|e| panic!("login failed: {e}"));
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let done = per_worker * concurrency;
    let cpu = cpu_seconds(&pid) - cpu_before;
    let fa_cookie = match argv.get(8) {
        Some(client) => forward_auth_cookie(&http, &args.base, client).await.unwrap_or_else(|e| panic!("{e}")),
        None => String::new(),
    };
    println!(
        "{}",
        serde_json::json!({
            "logins": done,
            "seconds": seconds,
            "logins_per_sec": done as f64 / seconds,
            "cpu_ms_per_login": cpu * 1000.0 / done as f64,
            "access_token": token,
            "forward_auth_cookie": fa_cookie,
        })
    );
}
