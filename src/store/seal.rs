//! Encryption at rest: every stored record is sealed with AES-256-GCM-SIV
//! (RFC 8452, `aws-lc-rs`, random 96-bit nonce). GCM-SIV resists nonce
//! misuse (RFC 8452 §9): a repeated random nonce reveals at most that the
//! same plaintext was sealed under the same associated data, and the
//! associated data is the record's own store key, so a value cannot be moved
//! to another key either. The key id travels beside the ciphertext, so keys
//! rotate while old records stay readable until they expire.
//!
//! Stored form (`cg2`, raw bytes): `"cg2"`, the key id's length (one byte),
//! the key id, the 12-byte nonce, the ciphertext and its 16-byte tag. The
//! AES key is derived from the configured key (HMAC-SHA256 with a label), so
//! that one configured key never serves two algorithms. Records sealed by
//! earlier versions (`cg1.KEY_ID.BASE64URL`: XChaCha20-Poly1305 under the
//! configured key itself, text) still open, so live sessions survive an upgrade.

use super::StoreError;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM_SIV, NONCE_LEN};
use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::HashMap;

const FORMAT: &[u8] = b"cg2";
/// The text form of earlier versions (XChaCha20-Poly1305), still read.
const TEXT_FORMAT: &str = "cg1";
const TEXT_NONCE_LEN: usize = 24;
/// Labels the AES-256-GCM-SIV key derived from a configured key.
const AES_KEY_LABEL: &[u8] = b"claimgate record seal cg2 AES-256-GCM-SIV";

/// One configured storage key, ready for both formats.
struct SealKey {
    aes: LessSafeKey,
    /// Opens `cg1` records only.
    legacy: XChaCha20Poly1305,
}

pub struct Sealer {
    current: String,
    keys: HashMap<String, SealKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer {{ current: {}, keys: {} }}", self.current, self.keys.len())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealKeyError {
    #[error("entry {0} must look like \"KEY_ID:BASE64_OF_32_BYTES\" (KEY_ID: up to 64 letters, digits, '-' or '_')")]
    Format(usize),
    #[error("entry {0}: the key must be 32 bytes, base64 encoded")]
    Length(usize),
    #[error("entry {0}: key id {1} appears twice")]
    Duplicate(usize, String),
    #[error("at least one key is required")]
    Empty,
}

fn seal_key(raw: &[u8]) -> Option<SealKey> {
    if raw.len() != 32 {
        return None;
    }
    let legacy = XChaCha20Poly1305::new_from_slice(raw).ok()?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(raw).ok()?;
    mac.update(AES_KEY_LABEL);
    let derived = mac.finalize().into_bytes();
    let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM_SIV, &derived).ok()?);
    Some(SealKey { aes, legacy })
}

impl Sealer {
    /// `entries` are `"id:base64key"`; the first one seals new records.
    pub fn from_config(entries: &[String]) -> Result<Sealer, SealKeyError> {
        let mut keys = HashMap::new();
        let mut current = None;
        for (i, entry) in entries.iter().enumerate() {
            let (id, b64) = entry.split_once(':').ok_or(SealKeyError::Format(i))?;
            let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            if id.is_empty() || id.len() > 64 || !id.chars().all(allowed) {
                return Err(SealKeyError::Format(i));
            }
            let raw = STANDARD
                .decode(b64.trim())
                .or_else(|_| URL_SAFE_NO_PAD.decode(b64.trim()))
                .map_err(|_| SealKeyError::Length(i))?;
            let key = seal_key(&raw).ok_or(SealKeyError::Length(i))?;
            if keys.insert(id.to_owned(), key).is_some() {
                return Err(SealKeyError::Duplicate(i, id.to_owned()));
            }
            current.get_or_insert_with(|| id.to_owned());
        }
        Ok(Sealer { current: current.ok_or(SealKeyError::Empty)?, keys })
    }

    /// A fresh random key, for a single instance without configured keys.
    pub fn generate() -> Result<Sealer, SealKeyError> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        Sealer::from_config(&[format!("generated:{}", STANDARD.encode(raw))])
    }

    pub fn seal(&self, store_key: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let failed = || StoreError::Corrupt("encryption failed".into());
        let key = self.keys.get(&self.current).ok_or_else(failed)?;
        // aws-lc-rs's generator (a DRBG seeded by the OS): no system call per record.
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| failed())?;
        // Key ids are at most 64 bytes (from_config).
        let kid_len = u8::try_from(self.current.len()).map_err(|_| failed())?;
        let header = FORMAT.len() + 1 + self.current.len() + NONCE_LEN;
        let mut out = Vec::with_capacity(header + plaintext.len() + AES_256_GCM_SIV.tag_len());
        out.extend_from_slice(FORMAT);
        out.push(kid_len);
        out.extend_from_slice(self.current.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let body = out.get_mut(header..).ok_or_else(failed)?;
        let tag = key
            .aes
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(store_key.as_bytes()), body)
            .map_err(|_| failed())?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    pub fn open(&self, store_key: &str, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
        let corrupt = |why: &str| StoreError::Corrupt(format!("{store_key}: {why}"));
        let key_of = |kid: &[u8]| {
            let kid = std::str::from_utf8(kid).map_err(|_| corrupt("bad key id"))?;
            self.keys.get(kid).ok_or_else(|| corrupt("sealed with an unknown key id"))
        };
        if let Some(rest) = stored.strip_prefix(FORMAT) {
            let (&kid_len, rest) = rest.split_first().ok_or_else(|| corrupt("too short"))?;
            let (kid, rest) = rest.split_at_checked(usize::from(kid_len)).ok_or_else(|| corrupt("too short"))?;
            let (nonce, sealed) = rest.split_at_checked(NONCE_LEN).ok_or_else(|| corrupt("too short"))?;
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| corrupt("too short"))?;
            let mut body = sealed.to_vec();
            let plain = key_of(kid)?
                .aes
                .open_in_place(nonce, Aad::from(store_key.as_bytes()), &mut body)
                .map_err(|_| corrupt("authentication failed"))?
                .len();
            body.truncate(plain);
            return Ok(body);
        }
        let text = std::str::from_utf8(stored).map_err(|_| corrupt("not a sealed record"))?;
        let mut parts = text.splitn(3, '.');
        let (Some(TEXT_FORMAT), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(corrupt("not a sealed record"));
        };
        let key = key_of(kid.as_bytes())?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| corrupt("bad encoding"))?;
        let (nonce, sealed) = body.split_at_checked(TEXT_NONCE_LEN).ok_or_else(|| corrupt("too short"))?;
        key.legacy
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: store_key.as_bytes() })
            .map_err(|_| corrupt("authentication failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, byte: u8) -> String {
        format!("{id}:{}", STANDARD.encode([byte; 32]))
    }

    #[test]
    fn round_trip_and_no_plaintext() {
        let s = Sealer::from_config(&[key("k1", 1)]).unwrap();
        let sealed = s.seal("session:abc", b"jane.doe@example.com").unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("jane"));
        assert!(sealed.starts_with(b"cg2\x02k1"));
        assert_eq!(sealed.len(), 3 + 1 + 2 + 12 + 20 + 16, "raw bytes: no base64");
        assert_eq!(s.open("session:abc", &sealed).unwrap(), b"jane.doe@example.com");
    }

    #[test]
    fn a_value_moved_to_another_key_or_tampered_with_is_refused() {
        let s = Sealer::from_config(&[key("k1", 1)]).unwrap();
        let sealed = s.seal("session:abc", b"x").unwrap();
        assert!(s.open("session:other", &sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 2;
        tampered[last] ^= 1;
        assert!(s.open("session:abc", &tampered).is_err());
        for cut in [0, 3, 4, 6, 30] {
            assert!(s.open("session:abc", &sealed[..cut]).is_err(), "truncated at {cut}");
        }
    }

    #[test]
    fn rotation_keeps_old_records_readable() {
        let old = Sealer::from_config(&[key("k1", 1)]).unwrap();
        let sealed = old.seal("k", b"v").unwrap();
        let rotated = Sealer::from_config(&[key("k2", 2), key("k1", 1)]).unwrap();
        assert_eq!(rotated.open("k", &sealed).unwrap(), b"v");
        assert!(rotated.seal("k", b"v").unwrap().starts_with(b"cg2\x02k2"));
        let dropped = Sealer::from_config(&[key("k2", 2)]).unwrap();
        assert!(dropped.open("k", &sealed).is_err());
    }

    /// A record sealed by an earlier version (text form), made with the
    /// code of that version: still opens, so live sessions survive an upgrade.
    #[test]
    fn records_of_the_text_format_still_open() {
        let s = Sealer::from_config(&[key("k1", 1)]).unwrap();
        let mut nonce = [9u8; TEXT_NONCE_LEN].to_vec();
        let cipher = XChaCha20Poly1305::new_from_slice(&[1; 32]).unwrap();
        let sealed = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: b"v1", aad: b"session:abc" }).unwrap();
        nonce.extend_from_slice(&sealed);
        let old = format!("cg1.k1.{}", URL_SAFE_NO_PAD.encode(nonce));
        assert_eq!(s.open("session:abc", old.as_bytes()).unwrap(), b"v1");
    }

    #[test]
    fn bad_keys_are_named() {
        assert_eq!(Sealer::from_config(&[key(&"x".repeat(65), 1)]).unwrap_err(), SealKeyError::Format(0));
        assert_eq!(Sealer::from_config(&["nocolon".into()]).unwrap_err(), SealKeyError::Format(0));
        assert_eq!(Sealer::from_config(&["k:AAAA".into()]).unwrap_err(), SealKeyError::Length(0));
        assert_eq!(
            Sealer::from_config(&[key("a", 1), key("a", 2)]).unwrap_err(),
            SealKeyError::Duplicate(1, "a".into())
        );
        assert_eq!(Sealer::from_config(&[]).unwrap_err(), SealKeyError::Empty);
    }
}
