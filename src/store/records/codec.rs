//! How a record is encoded inside its seal.

use super::StoreError;
use serde::{de::DeserializeOwned, Serialize};

/// The encoding of a record inside its seal: a tag byte, then `postcard`
/// (compact, binary; field order is the format, so a record type changes
/// only by adding a new tag).
const POSTCARD: u8 = 1;

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![POSTCARD];
    postcard::to_io(value, &mut out).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Also reads the JSON of earlier versions (it begins with `{`), so that
/// records live at an upgrade stay readable until they expire.
pub fn decode<T: DeserializeOwned>(plain: &[u8]) -> Result<T, StoreError> {
    match plain.split_first() {
        Some((&POSTCARD, body)) => postcard::from_bytes(body).map_err(|e| StoreError::Corrupt(e.to_string())),
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
}
