//! The Redis backend on a three-master Redis Cluster started by this test
//! (redis-server processes on free loopback ports, `redis-cli --cluster create`).

use crate::helpers::*;
use crate::redis_store::start_redis;
use claimgate::store::redis::RedisStore;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Cluster {
    nodes: Vec<Child>,
    ports: Vec<u16>,
    urls: Vec<String>,
    dir: tempdir::Dir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            let _ = n.kill();
            let _ = n.wait();
        }
    }
}

mod tempdir {
    /// A directory removed on drop (cluster node config files).
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// `n` free ports whose cluster-bus ports (+10000) are free too.
fn cluster_ports(n: usize) -> Vec<u16> {
    // Below the kernel's ephemeral range (32768 and up), bus ports too: the
    // other tests' "any free port" (bind to port 0) never hands one of these
    // out while the cluster starts, which it did once. 18500-18599 is the
    // forward-auth tests' own.
    use rand::Rng;
    let mut ports = Vec::new();
    while ports.len() < n {
        let p: u16 = rand::thread_rng().gen_range(11_000..17_000);
        let free = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
        if free(p) && free(p + 10_000) && !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

/// One cluster node on `port`, its config file in `dir` (a restarted node
/// rejoins with it).
fn start_node(dir: &std::path::Path, port: u16) -> Child {
    // A folder per node: replicas' full syncs must not share a dump file.
    let dir = dir.join(port.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join(format!("nodes-{port}.conf"));
    start_redis(
        port,
        &[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            conf.to_str().unwrap(),
            "--dir",
            dir.to_str().unwrap(),
            // Failover after 2 s of silence, as a production cluster might set it.
            "--cluster-node-timeout",
            "2000",
            // A replica takes over however long ago it last heard its master
            // (the test's machine may be loaded).
            "--cluster-replica-validity-factor",
            "0",
        ],
    )
}

/// Three masters, each with `replicas` replicas.
fn start_cluster(replicas: usize) -> Cluster {
    let dir =
        std::env::temp_dir().join(format!("claimgate-cluster-{}", &claimgate::store::records::random_handle()[..8]));
    std::fs::create_dir_all(&dir).unwrap();
    let ports = cluster_ports(3 * (1 + replicas));
    let nodes = ports.iter().map(|p| start_node(&dir, *p)).collect();
    let addrs: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let status = Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&addrs)
        .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("redis-cli on PATH");
    assert!(status.success(), "cluster create failed");
    // Wait until every node agrees the cluster is up.
    let deadline = Instant::now() + Duration::from_secs(30);
    for p in &ports {
        loop {
            let out = Command::new("redis-cli").args(["-p", &p.to_string(), "cluster", "info"]).output().unwrap();
            if String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok") {
                break;
            }
            assert!(Instant::now() < deadline, "cluster did not become ready");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // And until every replica is in sync with its master.
    for p in &ports {
        loop {
            let info = cli(*p, &["info", "replication"]);
            if info.contains("role:master") || info.contains("master_link_status:up") {
                break;
            }
            assert!(Instant::now() < deadline, "a replica did not sync");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let urls = ports.iter().map(|p| format!("redis://127.0.0.1:{p}")).collect();
    Cluster { nodes, ports, urls, dir: tempdir::Dir(dir) }
}

/// What `redis-cli -p port args…` prints.
fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli").arg("-p").arg(port.to_string()).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The live masters as (id, port), from a node's `CLUSTER NODES`.
fn masters(port: u16) -> Vec<(String, u16)> {
    cli(port, &["cluster", "nodes"])
        .lines()
        .filter(|l| l.contains("master") && !l.contains("fail"))
        .filter_map(|l| {
            let mut f = l.split(' ');
            let id = f.next()?.to_owned();
            let port = f.next()?.split('@').next()?.rsplit(':').next()?.parse().ok()?;
            Some((id, port))
        })
        .collect()
}

#[tokio::test]
async fn conformance_and_a_login_on_a_three_master_cluster() {
    let cluster = start_cluster(0);
    let store = RedisStore::connect_cluster(&cluster.urls, "cgtest:").await.expect("cluster connection");
    crate::conformance::run_all(Arc::new(store), "c:").await;

    let prefix = format!("cgtest:{}:", &claimgate::store::records::random_handle()[..10]);
    let store = TestStore::Redis { urls: cluster.urls.clone(), prefix, cluster: true };
    let app = spawn(Options { store: Some(store), ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.json()["name"], "Jane Doe");
    app.full_login(&APP_B, "openid").await;
    let dump = app.store.dump().await;
    assert!(dump.iter().any(|(k, _)| k.starts_with("session:")), "records spread over the nodes are all found");
    // Erasure works across slots.
    let key = app.state.keys.pseudonymizer.email_key("jane.doe@example.com");
    assert_eq!(app.state.records.erase_email(&key).await.unwrap(), 1);
    assert_eq!(app.userinfo(a["access_token"].as_str().unwrap()).await.status, 401);
}

/// How one sign-in of the failover load ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Signed in, tokens redeemed, userinfo answered.
    Ok,
    /// Refused as temporarily unavailable: a 503, or `temporarily_unavailable`.
    Unavailable,
    /// Anything else (a `server_error`, a 500, a 400 page): what must not happen.
    Failed(String),
}

/// One sign-in as a browser makes it (upstream again: new records on every
/// slot), on instance `a`; the tokens redeemed and userinfo read on `b`.
async fn one_sign_in(a: &TestApp, b: &TestApp, browser: &reqwest::Client) -> (Outcome, Option<String>) {
    let (verifier, challenge) = pkce_pair();
    let pkce = [("code_challenge", challenge.as_str()), ("code_challenge_method", "S256"), ("prompt", "login")];
    let unavailable = |status: u16, body: &str| match status {
        503 => Outcome::Unavailable,
        _ if body.contains("temporarily_unavailable") => Outcome::Unavailable,
        _ => Outcome::Failed(format!("{status} {}", body.chars().take(160).collect::<String>())),
    };
    let code = match a.walk_in(browser, &a.authorize_url(&APP_A, "openid profile", &pkce), APP_A.redirect_uri).await {
        LoginEnd::App(p) => match (p.get("code"), p.get("error")) {
            (Some(code), _) => code.clone(),
            (None, Some(e)) if e == "temporarily_unavailable" => return (Outcome::Unavailable, None),
            (None, e) => return (Outcome::Failed(format!("error={e:?}")), None),
        },
        LoginEnd::Page(status, body) => return (unavailable(status, &body), None),
    };
    let r = b.redeem(&APP_A, &code, &[("code_verifier", &verifier)]).await;
    if r.status != 200 {
        return (unavailable(r.status, &r.body), None);
    }
    let token = r.json()["access_token"].as_str().unwrap_or_default().to_owned();
    let info = b.userinfo(&token).await;
    match info.status {
        200 => (Outcome::Ok, Some(token)),
        s => (unavailable(s, &info.body), None),
    }
}

/// Issue 32: two instances on a three-master cluster with a replica each,
/// steady sign-ins; one master killed. While its slots are unserved,
/// claimgate answers only 503 / `temporarily_unavailable`; it serves again
/// within seconds of the promotion without a restart; no session from
/// before the kill is lost; the old master rejoining and 100 slots moving
/// under load cost no sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_failing_over_costs_only_temporarily_unavailable_answers() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    let mut cluster = start_cluster(1);
    let prefix = format!("cgtest:{}:", &claimgate::store::records::random_handle()[..10]);
    let store = TestStore::Redis { urls: cluster.urls.clone(), prefix, cluster: true };
    let limits = |c: &mut ConfigEdit| {
        c.set("limits", "sign_in_per_minute", 100000).set("limits", "token_per_minute", 100000);
    };
    let a = spawn(Options { store: Some(store.clone()), edit: Some(Box::new(limits)), ..Options::default() }).await;
    let b = spawn(Options {
        store: Some(store),
        behind: Some((a.public_url.clone(), a.idp.clone())),
        edit: Some(Box::new(limits)),
        ..Options::default()
    })
    .await;
    let (a, b) = (Arc::new(a), Arc::new(b));

    // Sessions from before the kill, each in its own browser.
    let mut before = Vec::new();
    for _ in 0..8 {
        let browser = a.other_browser();
        let (outcome, token) = one_sign_in(&a, &b, &browser).await;
        assert_eq!(outcome, Outcome::Ok);
        before.push((browser, token.unwrap()));
    }
    tokio::time::sleep(Duration::from_millis(1000)).await; // replicated

    // Steady sign-ins until stopped.
    let stop = Arc::new(AtomicBool::new(false));
    let log: Arc<Mutex<Vec<(Instant, Outcome)>>> = Arc::default();
    let load = {
        let (a, b, stop, log) = (a.clone(), b.clone(), stop.clone(), log.clone());
        tokio::spawn(async move {
            let browser = a.other_browser();
            while !stop.load(Ordering::SeqCst) {
                let (outcome, _) = one_sign_in(&a, &b, &browser).await;
                log.lock().unwrap().push((Instant::now(), outcome));
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;

    // SIGKILL one master; its replica is to take over.
    let (victim_id, victim_port) = masters(cluster.ports[0])[0].clone();
    let victim = cluster.ports.iter().position(|p| *p == victim_port).unwrap();
    let replica_port = *cluster
        .ports
        .iter()
        .find(|p| {
            **p != victim_port
                && cli(**p, &["cluster", "nodes"]).lines().any(|l| l.contains("myself") && l.contains(&victim_id))
        })
        .expect("the master's replica");
    let witness = *cluster.ports.iter().find(|p| **p != victim_port && **p != replica_port).unwrap();
    cluster.nodes[victim].kill().unwrap();
    cluster.nodes[victim].wait().unwrap();
    let killed = Instant::now();
    // The cluster notices (node timeout 2 s), then promotes the replica.
    let mut failed_at = None;
    let promoted = loop {
        let state_ok = cli(witness, &["cluster", "info"]).contains("cluster_state:ok");
        if !state_ok && failed_at.is_none() {
            failed_at = Some(Instant::now());
        }
        if state_ok && cli(replica_port, &["role"]).starts_with("master") {
            break Instant::now();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "no failover within 30 s:\n{}",
            cli(witness, &["cluster", "nodes"])
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Load goes on; then the old master comes back (as a replica).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rejoined_at = Instant::now();
    cluster.nodes[victim] = start_node(&cluster.dir.0, victim_port);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // 100 slots move between two masters under load.
    let live = masters(witness);
    let resharded_at = Instant::now();
    let reshard = Command::new("redis-cli")
        .args(["--cluster", "reshard", &format!("127.0.0.1:{witness}")])
        .args(["--cluster-from", &live[0].0, "--cluster-to", &live[1].0, "--cluster-slots", "100", "--cluster-yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(reshard.success(), "reshard failed");
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    load.await.unwrap();

    let log = log.lock().unwrap().clone();
    let failures: Vec<&(Instant, Outcome)> = log.iter().filter(|(_, o)| matches!(o, Outcome::Failed(_))).collect();
    assert!(failures.is_empty(), "only 503 / temporarily_unavailable while slots are unserved: {failures:?}");
    let unavailable: Vec<Instant> = log.iter().filter(|(_, o)| *o == Outcome::Unavailable).map(|(t, _)| *t).collect();
    assert!(unavailable.iter().all(|t| *t >= killed), "nothing refused before the kill");
    let first_ok_after = log.iter().find(|(t, o)| *t > promoted && *o == Outcome::Ok).map(|(t, _)| *t);
    let recovered = first_ok_after.expect("served again after the promotion").duration_since(promoted);
    assert!(recovered < Duration::from_secs(10), "served again {recovered:?} after the promotion");
    let late: Vec<&(Instant, Outcome)> = log.iter().filter(|(t, o)| *t > rejoined_at && *o != Outcome::Ok).collect();
    assert!(late.is_empty(), "no refusal once served again, through the rejoin and the reshard: {late:?}");
    let after_reshard = log.iter().filter(|(t, o)| *t > resharded_at && *o == Outcome::Ok).count();
    assert!(after_reshard > 0, "sign-ins went on through the reshard");
    // No session from before the kill is lost: its token answers, and its
    // browser is still signed in.
    for (browser, token) in &before {
        assert_eq!(b.userinfo(token).await.status, 200, "a token from before the kill");
        let silent = a
            .walk_in(browser, &a.authorize_url(&APP_A, "openid profile", &[("prompt", "none")]), APP_A.redirect_uri)
            .await;
        assert!(
            matches!(&silent, LoginEnd::App(p) if p.contains_key("code")),
            "a session from before the kill: {silent:?}"
        );
    }
    let oks = log.iter().filter(|(_, o)| *o == Outcome::Ok).count();
    println!(
        "failover: {} sign-ins ({oks} ok, {} temporarily unavailable, 0 failed); slots unserved {:?} after the kill, promoted {:?} after the kill, served again {recovered:?} after the promotion",
        log.len(),
        unavailable.len(),
        failed_at.map(|t| t.duration_since(killed)),
        promoted.duration_since(killed),
    );
}
