#!/usr/bin/env bash
# Load benchmark on loopback, bounded in time. Measures, in one run on this
# machine: an actix-web hello-world endpoint (the baseline), claimgate's
# /userinfo on the memory store and on Redis (requests/s, latency
# percentiles, ratio to hello-world), full logins per second and claimgate's
# CPU time per login (dev provider: the upstream costs nothing), and resident
# memory per live session in the memory store.
#
#   bash bench/load.sh            # DURATION=10 CONNS=64 THREADS=2 LOGINS=400
#
# Needs: cargo, wrk (installed from Debian's packages if missing), and a
# Redis at REDIS_URL (default redis://127.0.0.1:6379) for the Redis part.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
LOGINS=${LOGINS:-400}
LOGIN_CONCURRENCY=${LOGIN_CONCURRENCY:-4}
SESSIONS=${SESSIONS:-100000}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
HELLO_PORT=${HELLO_PORT:-18090}
CG_PORT=${CG_PORT:-18080}

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked --bin claimgate --example hello --example bench_login --example session_memory
BIN=target/release
EX=target/release/examples

work=$(mktemp -d)
pids=()
prefix="bench:$(date +%s):"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if command -v redis-cli >/dev/null; then
    redis-cli -u "$REDIS_URL" --scan --pattern "${prefix}*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "not answering: $1" >&2; return 1
}

config() { # store-section
  cat <<TOML
[server]
listen = "127.0.0.1:$CG_PORT"
public_url = "http://127.0.0.1:$CG_PORT"
log_level = "warn"
$1
[notice]
keeps = ["name", "email", "picture"]
# The load comes from one address: lift the per-address limits.
[limits]
sign_in_per_minute = 100000000
token_per_minute = 100000000
max_pending = 1000000
[keys]
signing_key_file = "$work/signing.pem"
pairwise_secret = "a-benchmark-pairwise-secret-of-32-chars"
storage_keys = ["b1:$(head -c 32 /dev/urandom | base64 -w0)"]
[providers.dev]
kind = "dev"
[clients.bench]
client_secret = "bench-secret"
redirect_uris = ["http://127.0.0.1:9/cb"]
claims = ["name", "email", "picture"]
TOML
}
openssl genrsa -traditional -out "$work/signing.pem" 2048 2>/dev/null || openssl genrsa -out "$work/signing.pem" 2048 2>/dev/null

# wrk URL [header] -> "rps p50 p90 p99" (latencies in ms)
run_wrk() {
  local out
  if [ -n "${2:-}" ]; then
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -H "$2" "$1")
  else
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$1")
  fi
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; echo "non-2xx responses from $1" >&2; return 1; fi
  echo "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ { rps=$2 }
    $1=="50%" { p50=ms($2) } $1=="90%" { p90=ms($2) } $1=="99%" { p99=ms($2) }
    END { printf "%.0f %.3f %.3f %.3f\n", rps, p50, p90, p99 }'
}

"$EX/hello" "127.0.0.1:$HELLO_PORT" & pids+=($!)
wait_for "http://127.0.0.1:$HELLO_PORT/"

results=()
for store in memory redis; do
  if [ "$store" = memory ]; then section='[store]
kind = "memory"'; else section="[store]
kind = \"redis\"
url = \"$REDIS_URL\"
key_prefix = \"$prefix\""; fi
  config "$section" > "$work/$store.toml"
  "$BIN/claimgate" serve --config "$work/$store.toml" >"$work/$store.log" 2>&1 & cg=$!; pids+=($cg)
  wait_for "http://127.0.0.1:$CG_PORT/healthz"
  login=$("$EX/bench_login" "http://127.0.0.1:$CG_PORT" bench bench-secret "http://127.0.0.1:9/cb" "$LOGINS" "$LOGIN_CONCURRENCY" "$cg")
  token=$(echo "$login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  lps=$(echo "$login" | sed 's/.*"logins_per_sec":\([0-9.]*\).*/\1/')
  cpu=$(echo "$login" | sed 's/.*"cpu_ms_per_login":\([0-9.]*\).*/\1/')
  hello=$(run_wrk "http://127.0.0.1:$HELLO_PORT/")
  userinfo=$(run_wrk "http://127.0.0.1:$CG_PORT/userinfo" "Authorization: Bearer $token")
  results+=("$store|$hello|$userinfo|$lps|$cpu")
  kill "$cg"; wait "$cg" 2>/dev/null || true
done

memory=$("$EX/session_memory" "$SESSIONS")
per_session=$(echo "$memory" | sed 's/.*"bytes_per_session":\([0-9.]*\).*/\1/')

echo
echo "## claimgate load benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t$THREADS -c$CONNS -d${DURATION}s"
echo
echo "| store | hello-world req/s | /userinfo req/s | ratio | target | p50 ms | p90 ms | p99 ms (target < 5) | logins/s ($LOGIN_CONCURRENCY parallel) | CPU ms per login (target < 2) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
  IFS='|' read -r store hello userinfo lps cpu <<<"$r"
  read -r h_rps _ _ _ <<<"$hello"
  read -r u_rps p50 p90 p99 <<<"$userinfo"
  target=$([ "$store" = memory ] && echo 60 || echo 30)
  ratio=$(awk -v u="$u_rps" -v h="$h_rps" 'BEGIN { printf "%.0f%%", 100*u/h }')
  verdict=$(awk -v u="$u_rps" -v h="$h_rps" -v t="$target" 'BEGIN { r=100*u/h; if (r>=t) print "met (>= " t "%)"; else printf "missed by %.0f points (>= %d%%)", t-r, t }')
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %.2f |\n" "$store" "$h_rps" "$u_rps" "$ratio" "$verdict" "$p50" "$p90" "$p99" "$lps" "$cpu"
done
echo
awk -v b="$per_session" 'BEGIN { printf "Resident memory per live session (memory store, %s sessions): %.0f bytes (target <= 1024: %s)\n", "'"$SESSIONS"'", b, (b<=1024?"met":"missed by " int(b-1024) " bytes") }'
