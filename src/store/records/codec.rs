//! How a record is encoded inside its seal.

use super::StoreError;
use serde::{de::DeserializeOwned, Serialize};

/// The encoding of a record inside its seal: a tag byte, then `postcard`
/// (compact, binary; field order is the format). A record type may gain
/// fields at its end only, each of a type whose zero bytes read as empty
/// (`Option`, a number, `bool`, `String`, `Vec`): a record written before
/// reads them as empty. Any other change needs a new tag.
const POSTCARD: u8 = 1;

/// How many fields a record type may have gained since a live record of it
/// was written.
const ADDED_FIELDS_MAX: usize = 16;

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![POSTCARD];
    postcard::to_io(value, &mut out).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Also reads the JSON of earlier versions (it begins with `{`), so that
/// records live at an upgrade stay readable until they expire.
pub fn decode<T: DeserializeOwned>(plain: &[u8]) -> Result<T, StoreError> {
    match plain.split_first() {
        Some((&POSTCARD, body)) => match postcard::from_bytes(body) {
            // Written before fields were added at the end: they read as
            // empty. (A record cut short cannot reach here: the seal's tag
            // covers every byte.)
            Err(postcard::Error::DeserializeUnexpectedEnd) => {
                let padded = [body, &[0u8; ADDED_FIELDS_MAX]].concat();
                postcard::take_from_bytes(&padded).map(|(value, _)| value)
            }
            decoded => decoded,
        }
        .map_err(|e| StoreError::Corrupt(e.to_string())),
        Some((b'{', _)) => serde_json::from_slice(plain).map_err(|e| StoreError::Corrupt(e.to_string())),
        _ => Err(StoreError::Corrupt("unknown record encoding".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::Session;

    #[test]
    fn records_are_compact_binary_and_earlier_json_records_still_read() {
        use crate::policy::Email;
        let json = r#"{"user_key":"u1","profile":{"name":"Jane","email":"j@x.org","email_verified":true,"picture":null},"provider":"google","auth_time":1,"expires_at":2}"#;
        let old: Session = decode(json.as_bytes()).unwrap();
        assert_eq!(old.profile.email, Some(Email { address: "j@x.org".into(), verified: true }));
        assert!(old.disclosures.is_empty() && old.consents.is_empty());
        let bytes = encode(&old).unwrap();
        assert!(bytes.len() < json.len() / 2, "{} bytes", bytes.len());
        let again: Session = decode(&bytes).unwrap();
        assert_eq!((again.profile, again.provider, again.expires_at), (old.profile, old.provider, old.expires_at));
        assert!(decode::<Session>(b"\x07junk").is_err());
        assert!(decode::<Session>(b"").is_err());
    }

    #[test]
    fn fields_added_at_the_end_read_as_empty_in_older_records() {
        #[derive(serde::Serialize)]
        struct Before {
            client: String,
            exp: i64,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct After {
            client: String,
            exp: i64,
            jkt: Option<String>,
            count: u32,
        }
        let old = encode(&Before { client: "app".into(), exp: 7 }).unwrap();
        assert_eq!(decode::<After>(&old).unwrap(), After { client: "app".into(), exp: 7, jkt: None, count: 0 });
    }
}
