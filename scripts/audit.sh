#!/usr/bin/env bash
# Checks Cargo.lock against the RustSec advisory database snapshot beside the
# repository (../shared/advisory-db; these machines cannot fetch the live one).
# Installs cargo-audit at a pinned version if it is missing. Exits 1 when an
# advisory matches, or when a crate is unmaintained, unsound or yanked,
# unless .cargo/audit.toml ignores it with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.22.0
db=${ADVISORY_DB:-../shared/advisory-db}
if ! cargo audit --version 2>/dev/null | grep -q " $version\$"; then
  cargo install --locked cargo-audit --version "$version"
fi
if [ ! -d "$db/crates" ]; then
  echo "audit: no advisory database at $db (see docs/SECURITY.md, 'Advisories')" >&2
  exit 1
fi
[ -f "$db/SNAPSHOT" ] && echo "audit: $(head -n 1 "$db/SNAPSHOT")"
# --stale: the snapshot is older than cargo-audit's freshness window by design.
cargo audit --db "$db" --no-fetch --stale --deny warnings "$@"
