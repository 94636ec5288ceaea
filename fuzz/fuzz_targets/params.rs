//! Query and form parsing at /authorize, /token, /logout.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = claimgate::protocol::errors::parse_params(text);
    }
});
