//! Any JSON object in: a profile within the value rules, or a refusal; never a panic.
use super::*;
use crate::policy::values;
use proptest::prelude::*;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z.+-]{0,12}@[a-z-]{0,8}(\\.[a-z]{1,4}){0,2}".prop_map(Value::String),
        "(https?|javascript|data)://[a-z.:@]{0,20}/[ -~]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn claims() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        Just("name".to_owned()),
        Just("email".to_owned()),
        Just("email_verified".to_owned()),
        Just("picture".to_owned()),
        Just("hd".to_owned()),
        Just("tid".to_owned()),
        Just("sub".to_owned()),
        "[a-z_]{1,10}",
    ];
    prop::collection::btree_map(key, json_value(), 0..10).prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn any_claims_give_a_profile_within_the_rules_or_a_refusal(
        map in claims(),
        subject in "[ -~]{0,20}",
        lenient in any::<bool>(),
        domains in any::<bool>(),
    ) {
        let rules = FilterRules {
            keeps: ProfileClaim::ALL.into_iter().collect(),
            allow_unverified_email: lenient,
            allowed_email_domains: if domains { vec!["example.com".into()] } else { vec![] },
            ..Default::default()
        };
        let identity = UpstreamIdentity { issuer: "https://idp.example".into(), subject, auth_time: None, claims: UpstreamClaims::new(map) };
        if let Ok(out) = filter(identity, &rules, &Pseudonymizer::new(b"k")) {
            let p = out.profile;
            if let Some(name) = &p.name {
                prop_assert_eq!(values::name(name), Ok(name.clone()), "a kept name is already clean");
            }
            let email = p.email.as_ref().expect("email is kept, so a profile has one");
            prop_assert!(values::email(&email.address).is_ok());
            prop_assert!(email.verified || (lenient && !domains));
            if let Some(picture) = &p.picture {
                let link = picture.link().expect("the filter keeps the provider's picture as a link");
                prop_assert!(values::picture(link).is_ok());
            }
        }
    }
}
