//! The tracing subscriber: pretty or JSON; the filter from `RUST_LOG`, else
//! `server.log_level` (default info).
//! Log lines carry claim *names*, client ids and outcomes — never values,
//! tokens, codes or cookies; request spans record the path, never the query.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    // try_init: a second call (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
