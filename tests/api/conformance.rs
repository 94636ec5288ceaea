//! The conformance suite every `Store` backend must pass (memory, Redis,
//! Redis Cluster). Every key it writes starts with `prefix` and is deleted.

use claimgate::store::Store;
use std::sync::Arc;
use std::time::Duration;

pub async fn run_all(store: Arc<dyn Store>, prefix: &str) {
    put_get_delete(&*store, prefix).await;
    expiry(&*store, prefix).await;
    take_is_atomic(store.clone(), prefix).await;
    replace_never_resurrects(&*store, prefix).await;
    swap_is_atomic(store.clone(), prefix).await;
    put_new_is_single_use(store.clone(), prefix).await;
    sets(&*store, prefix).await;
    index_members_expire_one_by_one(&*store, prefix).await;
    capped_classes(&*store, prefix).await;
    consent_records(store.clone()).await;
    rates_are_counted_together(store.clone(), prefix).await;
    store.ping().await.expect("ping");
}

/// `Store::rate` (GCRA): a burst of `limit`, then one per `period / limit`;
/// concurrent callers (instances) share one count, and keys count apart.
async fn rates_are_counted_together(s: Arc<dyn Store>, p: &str) {
    let (k, other) = (format!("{p}rate"), format!("{p}rate-other"));
    let period = Duration::from_secs(6);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, k) = (s.clone(), k.clone());
            tokio::spawn(async move { s.rate(&k, 3, period).await.unwrap() })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        match t.await.unwrap() {
            None => admitted += 1,
            Some(wait) => assert!(wait > Duration::ZERO && wait <= Duration::from_secs(2), "{wait:?}"),
        }
    }
    assert_eq!(admitted, 3, "a burst of the limit, across concurrent callers");
    assert_eq!(s.rate(&other, 3, period).await.unwrap(), None, "another key counts apart");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(s.rate(&k, 3, period).await.unwrap(), None, "one more after period / limit");
    assert!(s.rate(&k, 3, period).await.unwrap().is_some());
    s.delete(&k).await.unwrap();
    s.delete(&other).await.unwrap();
}

/// The consent record (issue 23) over the backend: kept per user and app,
/// or per session, listed for /me, withdrawn, and erased with the user.
/// Its keys derive from a random user key: no other test's.
async fn consent_records(s: Arc<dyn Store>) {
    use base64::Engine;
    use claimgate::policy::{ProfileClaim, UserKey};
    use claimgate::store::records::{Consent, Records};
    let key = format!("k1:{}", base64::engine::general_purpose::STANDARD.encode([9u8; 32]));
    let sealer = claimgate::store::seal::Sealer::from_config(&[key]).unwrap();
    let records = Records::new(s, Arc::new(sealer), Duration::from_secs(60));
    let user = UserKey::from_stored(format!("user-{}", claimgate::store::records::random_handle()));
    let consent = |client: &str| Consent {
        client_id: client.into(),
        given: [ProfileClaim::Name].into(),
        declined: [ProfileClaim::Picture].into(),
        at: 1,
        notice_version: Some("v1".into()),
        receipt_id: claimgate::store::records::random_handle(),
        expires_at: i64::MAX,
    };
    let ttl = Duration::from_secs(60);
    records.put_consent(&user, &consent("a"), ttl, None).await.unwrap();
    records
        .put_consent(&user, &consent("b"), ttl, Some(&claimgate::store::records::SessionId::presented("session-1")))
        .await
        .unwrap();
    assert_eq!(
        records.get_consent(&user, &"a".into(), None).await.unwrap().as_ref().map(|c| &c.declined),
        Some(&[ProfileClaim::Picture].into())
    );
    assert!(
        records.get_consent(&user, &"b".into(), None).await.unwrap().is_none(),
        "a per-session consent is the session's"
    );
    assert!(records
        .get_consent(&user, &"b".into(), Some(&claimgate::store::records::SessionId::presented("session-1")))
        .await
        .unwrap()
        .is_some());
    let listed: Vec<String> =
        records.consents_of(&user).await.unwrap().into_iter().map(|c| c.client_id.to_string()).collect();
    assert_eq!(listed, ["a", "b"]);
    records.delete_consent(&user, &"a".into(), None).await.unwrap();
    assert!(records.get_consent(&user, &"a".into(), None).await.unwrap().is_none());
    records.erase_user(&user).await.unwrap();
    assert!(
        records
            .get_consent(&user, &"b".into(), Some(&claimgate::store::records::SessionId::presented("session-1")))
            .await
            .unwrap()
            .is_none(),
        "erased with the user"
    );
    assert!(records.consents_of(&user).await.unwrap().is_empty());
}

async fn put_get_delete(s: &dyn Store, p: &str) {
    let k = format!("{p}pgd");
    assert_eq!(s.get(&k).await.unwrap(), None);
    s.put(&k, b"one", Duration::from_secs(30)).await.unwrap();
    assert_eq!(s.get(&k).await.unwrap().as_deref(), Some(&b"one"[..]));
    s.put(&k, b"two", Duration::from_secs(30)).await.unwrap();
    assert_eq!(s.get(&k).await.unwrap().as_deref(), Some(&b"two"[..]), "put replaces");
    s.delete(&k).await.unwrap();
    assert_eq!(s.get(&k).await.unwrap(), None);
    s.delete(&k).await.expect("deleting a missing key is fine");
}

async fn expiry(s: &dyn Store, p: &str) {
    let (short, long, set) = (format!("{p}short"), format!("{p}long"), format!("{p}expset"));
    s.put(&short, b"v", Duration::from_millis(300)).await.unwrap();
    s.put(&long, b"v", Duration::from_secs(30)).await.unwrap();
    s.set_add(&set, "m", Duration::from_millis(300)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(s.get(&short).await.unwrap(), None, "expired record is gone");
    assert_eq!(s.take(&short).await.unwrap(), None, "expired record cannot be taken");
    assert!(s.set_members(&set).await.unwrap().is_empty(), "expired set is gone");
    assert!(s.get(&long).await.unwrap().is_some());
    s.delete(&long).await.unwrap();
}

async fn take_is_atomic(s: Arc<dyn Store>, p: &str) {
    let k = format!("{p}code");
    s.put(&k, b"code", Duration::from_secs(30)).await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (s, k) = (s.clone(), k.clone());
            tokio::spawn(async move { s.take(&k).await.unwrap().is_some() })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += t.await.unwrap() as usize;
    }
    assert_eq!(winners, 1, "exactly one concurrent taker wins");
    assert_eq!(s.get(&k).await.unwrap(), None);
}

/// Of concurrent swappers, exactly one gets the original value; the others
/// get what a swapper wrote; a missing key is not created.
async fn swap_is_atomic(s: Arc<dyn Store>, p: &str) {
    let k = format!("{p}swap");
    assert_eq!(s.swap(&k, b"marker", Duration::from_secs(30)).await.unwrap(), None, "nothing to swap");
    assert_eq!(s.get(&k).await.unwrap(), None, "a missing key is not created");
    s.put(&k, b"live", Duration::from_secs(30)).await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (s, k) = (s.clone(), k.clone());
            tokio::spawn(async move { s.swap(&k, b"marker", Duration::from_secs(30)).await.unwrap() })
        })
        .collect();
    let mut originals = 0;
    for t in tasks {
        match t.await.unwrap().as_deref() {
            Some(b"live") => originals += 1,
            Some(b"marker") => {}
            other => panic!("swap returned {other:?}"),
        }
    }
    assert_eq!(originals, 1, "exactly one concurrent swapper gets the original");
    assert_eq!(s.get(&k).await.unwrap().as_deref(), Some(&b"marker"[..]));
    s.delete(&k).await.unwrap();
}

async fn put_new_is_single_use(s: Arc<dyn Store>, p: &str) {
    let k = format!("{p}jti");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (s, k) = (s.clone(), k.clone());
            tokio::spawn(async move { s.put_new(&k, b"seen", Duration::from_millis(400)).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += t.await.unwrap() as usize;
    }
    assert_eq!(winners, 1, "exactly one concurrent writer wins");
    assert!(!s.put_new(&k, b"again", Duration::from_secs(30)).await.unwrap());
    assert_eq!(s.get(&k).await.unwrap().as_deref(), Some(&b"seen"[..]), "the first value stays");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(s.put_new(&k, b"later", Duration::from_secs(30)).await.unwrap(), "an expired marker frees its key");
    s.delete(&k).await.unwrap();
}

async fn replace_never_resurrects(s: &dyn Store, p: &str) {
    let k = format!("{p}replace");
    assert!(!s.replace(&k, b"v", Duration::from_secs(30)).await.unwrap(), "a missing key is not created");
    assert_eq!(s.get(&k).await.unwrap(), None);
    s.put(&k, b"one", Duration::from_secs(30)).await.unwrap();
    assert!(s.replace(&k, b"two", Duration::from_secs(30)).await.unwrap());
    assert_eq!(s.get(&k).await.unwrap().as_deref(), Some(&b"two"[..]));
    s.delete(&k).await.unwrap();
    assert!(!s.replace(&k, b"three", Duration::from_secs(30)).await.unwrap(), "a deleted key stays deleted");
    assert_eq!(s.get(&k).await.unwrap(), None);
}

async fn sets(s: &dyn Store, p: &str) {
    let k = format!("{p}set");
    assert!(s.set_members(&k).await.unwrap().is_empty());
    s.set_add(&k, "a", Duration::from_millis(400)).await.unwrap();
    s.set_add(&k, "b", Duration::from_secs(30)).await.unwrap();
    s.set_add(&k, "a", Duration::from_millis(100)).await.unwrap();
    let mut m = s.set_members(&k).await.unwrap();
    m.sort();
    assert_eq!(m, ["a", "b"]);
    s.set_remove(&k, "a").await.unwrap();
    assert_eq!(s.set_members(&k).await.unwrap(), ["b"]);
    s.set_remove(&k, "absent").await.unwrap();
    s.set_remove(&k, "b").await.unwrap();
    assert!(s.set_members(&k).await.unwrap().is_empty(), "a set left empty is gone");
    s.set_add(&k, "c", Duration::from_secs(30)).await.unwrap();
    s.delete(&k).await.unwrap();
    assert!(s.set_members(&k).await.unwrap().is_empty());
}

async fn index_members_expire_one_by_one(s: &dyn Store, p: &str) {
    let k = format!("{p}idx");
    for i in 0..50 {
        s.set_add(&k, &format!("short{i}"), Duration::from_millis(300)).await.unwrap();
    }
    s.set_add(&k, "long", Duration::from_secs(30)).await.unwrap();
    s.set_add(&k, "renewed", Duration::from_millis(300)).await.unwrap();
    s.set_add(&k, "renewed", Duration::from_secs(30)).await.unwrap();
    s.set_add(&k, "renewed", Duration::from_millis(100)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut m = s.set_members(&k).await.unwrap();
    m.sort();
    assert_eq!(m, ["long", "renewed"], "an index holds only live members; a shorter add never shortens one");
    s.delete(&k).await.unwrap();
}

async fn capped_classes(s: &dyn Store, p: &str) {
    let (class, a, b, c) = (format!("{p}class"), format!("{p}ca"), format!("{p}cb"), format!("{p}cc"));
    let ttl = Duration::from_secs(30);
    assert!(s.put_capped(&class, &a, b"1", ttl, 2).await.unwrap());
    assert!(s.put_capped(&class, &b, b"2", ttl, 2).await.unwrap());
    assert!(!s.put_capped(&class, &c, b"3", ttl, 2).await.unwrap(), "the class is full");
    assert_eq!(s.get(&c).await.unwrap(), None, "nothing is written when the class is full");
    assert!(s.put_capped(&class, &b, b"2", ttl, 2).await.unwrap(), "rewriting a member takes no new place");
    assert_eq!(s.take_capped(&class, &a).await.unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(s.take_capped(&class, &a).await.unwrap(), None, "single use");
    assert!(s.put_capped(&class, &c, b"3", ttl, 2).await.unwrap(), "a taken record frees its place");
    for k in [&b, &c] {
        assert!(s.take_capped(&class, k).await.unwrap().is_some());
    }
    let short = format!("{p}cshort");
    assert!(s.put_capped(&class, &short, b"s", Duration::from_millis(200), 1).await.unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(s.put_capped(&class, &a, b"1", ttl, 1).await.unwrap(), "an expired record frees its place");
    s.take_capped(&class, &a).await.unwrap();
}

#[tokio::test]
async fn conformance_on_memory() {
    let store = claimgate::store::memory::MemoryStore::new(Arc::new(claimgate::clock::SystemClock));
    run_all(store, "t:").await;
}
