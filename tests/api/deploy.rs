//! The operators' kit (deploy/) against the service itself: every metric the
//! alerts and the dashboard use exists in a scrape after a login, so a
//! renamed metric cannot silently blank a panel or silence an alert; and
//! the configs the kit ships load (keys included).

use crate::helpers::*;
use crate::idp::Misbehaviour;
use claimgate::config::Config;
use claimgate::keys::Keys;
use std::collections::BTreeSet;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `claimgate_*` metric name in a text, a histogram's series
/// (`_bucket`, `_sum`, `_count`) under the histogram's name.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("claimgate_") {
        let tail = &rest[at..];
        let end =
            tail.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')).unwrap_or(tail.len());
        let name = &tail[..end];
        let base = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
        names.insert(base.to_owned());
        rest = &tail[end..];
    }
    names
}

/// The metric families in a Prometheus scrape (from its `# TYPE` lines).
fn scraped(scrape: &str) -> BTreeSet<String> {
    scrape.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next().map(str::to_owned)).collect()
}

#[tokio::test]
async fn every_metric_the_alerts_and_the_dashboard_use_exists_in_a_scrape() {
    let app = spawn_app_with(|c| {
        c.set("server", "metrics_public", true);
        c.set("clients.app-a", "refresh_tokens", true).set(
            "clients.app-a",
            "backchannel_logout_uri",
            "http://127.0.0.1:9/bcl",
        );
        c.set("clients.app-b", "ssf", true);
    })
    .await;
    // Issue 26, point 3: before any request, every series the alerts and the
    // dashboard read is there (at 0), for every label value known at start.
    let first = app.browse("/metrics").await.body;
    let at_start = scraped(&first);
    for file in ["deploy/prometheus/alerts.yml", "deploy/grafana/claimgate.json"] {
        let missing: Vec<String> = metric_names(&read(file)).into_iter().filter(|m| !at_start.contains(m)).collect();
        assert!(missing.is_empty(), "{file}: no series at start for {missing:?}");
    }
    for series in [
        "claimgate_logins_failed_total{client=\"app-a\",provider=\"idp\",reason=\"browser_mismatch\"} 0",
        "claimgate_logins_completed_total{client=\"app-a\",provider=\"idp\"} 0",
        "claimgate_backchannel_logout_total{client=\"app-a\",outcome=\"failed\"} 0",
        "claimgate_refresh_token_reuse_total{client=\"app-a\"} 0",
        "claimgate_ssf_deliveries_total{client=\"app-b\",outcome=\"failed\"} 0",
        "claimgate_token_requests_total{outcome=\"invalid_grant\"} 0",
        "claimgate_untrusted_forwarded_total 0",
    ] {
        assert!(first.contains(series), "{series} at start in\n{first}");
    }
    // What a day brings: a login, a refused one, a refused value, requests.
    app.idp.set_claim("picture", serde_json::json!("javascript:alert(1)"));
    let tokens = app.full_login(&APP_A, "openid profile email").await;
    app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    app.idp.misbehave(Misbehaviour::BadSignature);
    app.login(&APP_A, "openid", &[("prompt", "login")]).await;
    let scrape = scraped(&app.browse("/metrics").await.body);

    for file in ["deploy/prometheus/alerts.yml", "deploy/grafana/claimgate.json"] {
        let used = metric_names(&read(file));
        assert!(used.len() >= 5, "{file}: found only {used:?}");
        let missing: Vec<&String> = used.iter().filter(|m| !scrape.contains(*m)).collect();
        assert!(
            missing.is_empty(),
            "{file} uses metrics the service does not export: {missing:?}\nexported: {scrape:?}"
        );
    }
}

/// The `config.toml` inside a ConfigMap manifest.
fn configmap_config(path: &str) -> String {
    let text = read(path);
    let (_, body) = text.split_once("config.toml: |\n").unwrap_or_else(|| panic!("{path}: no config.toml"));
    body.lines().map(|l| l.strip_prefix("    ").unwrap_or(l)).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_configs_the_kit_ships_load() {
    // Kubernetes: secrets come from the environment (the claimgate-secrets Secret).
    let signing = claimgate::signing::SigningKey::generate(claimgate::signing::SigningAlg::Rs256).unwrap();
    let pem = signing.to_pkcs8_pem().unwrap();
    let env = |name: &str| match name {
        "CLAIMGATE_SIGNING_KEY" => Some(pem.clone()),
        "CLAIMGATE_PAIRWISE_SECRET" => Some("a-kubernetes-pairwise-secret-of-32-chars".into()),
        "CLAIMGATE_STORAGE_KEYS" => Some("k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()),
        n if n.ends_with("_CLIENT_SECRET") => Some("from-the-secret".into()),
        _ => None,
    };
    for path in ["deploy/kubernetes/base/configmap.yaml", "deploy/kubernetes/overlays/redis/configmap.yaml"] {
        let config = Config::parse(&configmap_config(path), env).unwrap_or_else(|e| panic!("{path}: {e}"));
        let keys = Keys::load(&config).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(keys.generated.is_empty() || !config.store.is_shared(), "{path}: {:?}", keys.generated);
    }
    // Compose: everything in the file.
    let config = Config::parse(&read("deploy/compose/claimgate.toml"), |_| None).unwrap();
    assert!(config.store.is_shared());
    Keys::load(&config).unwrap();
}
