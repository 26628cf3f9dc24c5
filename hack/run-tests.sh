#!/usr/bin/env bash
# The test suites. `hack/run-tests.sh all` is `make test`, which is what CI runs.
#   unit         pytest tests/unit (pure functions, no cluster)
#   sanity       ansible-test sanity on a copy placed under ansible_collections/modelserving/maas
#   lint         ansible-lint, production profile
#   integration  pytest tests/integration against the local control plane
#   molecule     molecule scenarios on the local control plane
#   bench        benchmarks (not part of `all`)
# Suites that need the control plane share one, started here and always stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
export PATH=$ROOT/.venv/bin:$PATH
export ANSIBLE_CONFIG=$ROOT/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
export PYTHONHASHSEED=0
TEST_STATE=$ROOT/.local-cluster-test

step() { printf '\n===== %s =====\n' "$*"; }

plane_up() {
  if [ -z "${MAAS_TEST_STATE_DIR:-}" ]; then
    step "local control plane"
    "$PY" hack/localcluster.py up --state-dir "$TEST_STATE" >/dev/null
    trap plane_down EXIT
    export MAAS_TEST_STATE_DIR=$TEST_STATE
  fi
  export KUBECONFIG=$MAAS_TEST_STATE_DIR/kubeconfig
}

plane_down() {
  "$PY" hack/localcluster.py down --state-dir "$TEST_STATE" || true
}

unit() {
  step "build the CEL test helper (Rust, the cel crate; cached in tests/cel/target)"
  cargo build --release --locked --quiet --manifest-path tests/cel/Cargo.toml
  step "unit tests"
  pytest tests/unit -q -p no:cacheprovider
}

sanity() {
  step "ansible-test sanity"
  local tree
  tree=$(mktemp -d)
  mkdir -p "$tree/ansible_collections/modelserving/maas"
  # What the collection ships: tracked files and new files git does not ignore, without the
  # development tooling that galaxy.yml's build_ignore also leaves out.
  git ls-files -z --cached --others --exclude-standard \
    | tr '\0' '\n' | grep -vE '^(hack/|bench/|tests/cel/|tests/authorino/|tests/kuadrant/|\.ci/|Makefile$)' \
    | while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done \
    | tar -cf - -T - | tar -xf - -C "$tree/ansible_collections/modelserving/maas"
  # The dependency sits beside the collection, where ansible-test looks for it.
  mkdir -p "$tree/ansible_collections/kubernetes"
  cp -rL .collections/ansible_collections/kubernetes/core "$tree/ansible_collections/kubernetes/core"
  # ansible-test downloads get-pip.py from a host we cannot reach; give it the offline stand-in.
  local pip_version cache
  pip_version=$("$PY" -c 'import re, ansible_test._internal.python_requirements as r, inspect; print(re.search(r"pip=.([0-9.]+).", inspect.getsource(r)).group(1))')
  cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
  mkdir -p "$(dirname "$cache")"
  [ -f "$cache" ] || cp hack/get_pip_offline.py "$cache"
  (cd "$tree/ansible_collections/modelserving/maas" \
    && ansible-test sanity --venv --exclude tests/fixtures/ --python "$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
  rm -rf "$tree"
}

lint() {
  step "ansible-lint (production profile)"
  ansible-lint --profile production --offline
}

integration() {
  step "build Authorino from the Go module proxy (cached under ~/.cache/modelserving-maas)"
  "$PY" tests/authorino/build.py
  step "build the Kuadrant operator from the Go module proxy (cached under ~/.cache/modelserving-maas)"
  "$PY" tests/kuadrant/build.py
  plane_up
  step "integration tests"
  pytest tests/integration -q -p no:cacheprovider
}

molecule_scenarios() {
  plane_up
  local scenario
  echo "note: each scenario starts with molecule logging CRITICAL \"'molecule/default/molecule.yml' glob failed\":"
  echo "      that is molecule looking for a shared default scenario (we have none), not a failure."
  for scenario in $(ls molecule); do
    [ "$scenario" = kind ] && continue   # needs Docker; documented in the README
    step "molecule $scenario"
    molecule test -s "$scenario"
  done
}

bench() {
  plane_up
  step "benchmarks"
  mkdir -p bench/results
  for b in bench/bench_*.py; do
    "$PY" "$b"
  done
}

case "${1:-all}" in
  unit) unit ;;
  sanity) sanity ;;
  lint) lint ;;
  integration) integration ;;
  molecule) molecule_scenarios ;;
  bench) bench ;;
  all)
    unit
    lint
    sanity
    integration
    molecule_scenarios
    step "all tests passed"
    ;;
  *) echo "usage: $0 [all|unit|sanity|lint|integration|molecule|bench]" >&2; exit 2 ;;
esac
