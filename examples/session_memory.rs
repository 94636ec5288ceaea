//! Resident memory per live session in the memory store: opens N sessions
//! the way a login does (sealed session record, user and email indexes) and
//! reports the growth of this process's RSS divided by N.
//! Usage: session_memory [N]   (default 100000)

use claimgate::clock::SystemClock;
use claimgate::keys::Keys;
use claimgate::policy::{Email, Picture, Profile, ProfileClaim};
use claimgate::store::memory::MemoryStore;
use claimgate::store::records::{Disclosure, Records, Session};
use std::sync::Arc;
use std::time::Duration;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let keys = Keys::generate().unwrap();
    let store = MemoryStore::new(Arc::new(SystemClock));
    let records = Records::new(store.clone(), keys.sealer.clone(), Duration::from_secs(86_400));
    let before = rss_bytes();
    for i in 0..n {
        let user = keys.pseudonymizer.user_key("https://accounts.google.com", &format!("1076915035000615{i:07}"));
        let email = format!("user{i}@example.com");
        let session = Session {
            user_key: user,
            profile: Profile {
                name: Some(format!("User Number {i}")),
                email: Some(Email { address: email.clone(), verified: true }),
                // `picture = "link"`: the provider's URL, larger than a proxied picture's marker.
                picture: Some(Picture::Link(format!("https://lh3.googleusercontent.com/a/ACg8ocK{i:010}=s96-c"))),
            },
            provider: "google".into(),
            auth_time: 1_700_000_000,
            expires_at: 1_700_086_400,
            disclosures: vec![Disclosure {
                client_id: "main-app".into(),
                claims: vec!["name".into(), "email".into(), "picture".into()],
                at: 1_700_000_000,
            }],
            consents: [("main-app".to_owned(), ProfileClaim::ALL.into_iter().collect())].into(),
            last_active: Some(1_700_000_000),
        };
        let email_key = keys.pseudonymizer.email_key(&email);
        records
            .open_session(
                &claimgate::store::records::SessionId::random(),
                &session,
                Duration::from_secs(86_400),
                Some(&email_key),
            )
            .await
            .unwrap();
    }
    let after = rss_bytes();
    println!(
        "{}",
        serde_json::json!({
            "sessions": n,
            "store_entries": store.len(),
            "rss_growth_bytes": after.saturating_sub(before),
            "bytes_per_session": after.saturating_sub(before) as f64 / n as f64,
        })
    );
}
