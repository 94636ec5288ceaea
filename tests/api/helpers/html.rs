//! Reading what claimgate sent: pages, forms, encoded values.

use super::Resp;
use base64::Engine;

/// Whether `haystack` contains `needle` raw or base64/base64url encoded
/// (at any of the three byte alignments).
pub fn contains_encoded(haystack: &str, needle: &str) -> bool {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    if haystack.contains(needle) {
        return true;
    }
    for offset in 0..3 {
        let mut padded = vec![b'\0'; offset];
        padded.extend_from_slice(needle.as_bytes());
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let enc = engine.encode(&padded);
            // Skip the characters that depend on the unknown preceding bytes,
            // and the last one, which depends on what follows.
            let skip = if offset == 0 { 0 } else { (offset * 4).div_ceil(3) };
            let core = &enc[skip..enc.len().saturating_sub(1)];
            if core.len() >= 8 && haystack.contains(core) {
                return true;
            }
        }
    }
    false
}

pub fn is_notice(r: &Resp) -> bool {
    r.status == 200 && r.body.contains("action=\"/authorize/continue\"")
}

/// The value of the first attribute that follows `marker` in an HTML page.
pub fn field_value(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    Some(html_unescape(body[start..].split('"').next()?))
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#x27;", "'").replace("&amp;", "&")
}

/// The values of the notice's ticked `claim` checkboxes.
pub fn ticked_claims(body: &str) -> Vec<String> {
    body.split("<input ")
        .skip(1)
        .filter_map(|tag| tag.split('>').next())
        .filter(|tag| tag.contains("type=\"checkbox\"") && tag.contains("name=\"claim\"") && tag.contains(" checked"))
        .filter_map(|tag| tag.split("value=\"").nth(1)?.split('"').next().map(str::to_owned))
        .collect()
}

/// The values of every `claim` checkbox on a notice, ticked or not.
pub fn offered_claims(body: &str) -> Vec<String> {
    body.split("<input ")
        .skip(1)
        .filter_map(|tag| tag.split('>').next())
        .filter(|tag| tag.contains("type=\"checkbox\"") && tag.contains("name=\"claim\""))
        .filter_map(|tag| tag.split("value=\"").nth(1)?.split('"').next().map(str::to_owned))
        .collect()
}
