//! The claim filter: any JSON object an upstream could send.
#![no_main]
use claimgate::policy::filter::FilterRules;
use claimgate::policy::{filter, values, ProfileClaim, Pseudonymizer, UpstreamClaims, UpstreamIdentity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(claims)) = serde_json::from_slice(data) else { return };
    let rules = FilterRules { keeps: ProfileClaim::ALL.into_iter().collect(), ..Default::default() };
    let identity = UpstreamIdentity {
        issuer: "https://idp.example".into(),
        subject: "subject".into(),
        auth_time: None,
        claims: UpstreamClaims::new(claims),
    };
    if let Ok(out) = filter(identity, &rules, &Pseudonymizer::new(b"a-fuzzing-pairwise-secret")) {
        // Whatever is kept is within the value rules.
        assert!(out.profile.name.iter().all(|n| values::name(n).as_ref() == Ok(n)));
        assert!(out.profile.email.iter().all(|e| values::email(&e.address).is_ok()));
        assert!(out.profile.picture.iter().all(|p| values::picture(p).is_ok()));
    }
});
