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
    urls: Vec<String>,
    _dir: tempdir::Dir,
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

/// Three free ports whose cluster-bus ports (+10000) are free too.
fn cluster_ports() -> Vec<u16> {
    let mut ports = Vec::new();
    while ports.len() < 3 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = l.local_addr().unwrap().port();
        if p < 55000 && std::net::TcpListener::bind(("127.0.0.1", p + 10000)).is_ok() && !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

fn start_cluster() -> Cluster {
    let dir =
        std::env::temp_dir().join(format!("claimgate-cluster-{}", &claimgate::store::records::random_handle()[..8]));
    std::fs::create_dir_all(&dir).unwrap();
    let ports = cluster_ports();
    let mut nodes = Vec::new();
    for p in &ports {
        let conf = dir.join(format!("nodes-{p}.conf"));
        nodes.push(start_redis(
            *p,
            &[
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                conf.to_str().unwrap(),
                "--dir",
                dir.to_str().unwrap(),
            ],
        ));
    }
    let addrs: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let status = Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&addrs)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
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
    let urls = ports.iter().map(|p| format!("redis://127.0.0.1:{p}")).collect();
    Cluster { nodes, urls, _dir: tempdir::Dir(dir) }
}

#[tokio::test]
async fn conformance_and_a_login_on_a_three_master_cluster() {
    let cluster = start_cluster();
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
