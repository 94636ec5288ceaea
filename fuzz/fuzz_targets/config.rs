//! Config parsing: any text is a config or an error naming its key.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = claimgate::config::Config::parse(text, |_| None);
    }
});
