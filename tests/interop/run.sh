#!/usr/bin/env bash
# The interop suite: installs what it needs (npm packages, Debian's Chromium),
# builds the release binary once, runs every scenario, exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
(cd "$root/examples/demo-app" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$root" && cargo build --release --locked --bin claimgate)
CLAIMGATE_BIN="$root/target/release/claimgate" node run.mjs
