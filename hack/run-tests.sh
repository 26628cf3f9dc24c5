#!/usr/bin/env bash
# The test suites. `hack/run-tests.sh all` is `make test`, which is what CI runs.
#   unit         pytest tests/unit (pure functions, no cluster)
#   sanity       ansible-test sanity on the built artifact, unpacked under ansible_collections/modelserving/maas
#   lint         ansible-lint, production profile; syntax check of the kind scenario
#   artifact     galaxy-importer on the built artifact; ansible-builder create of the execution environment
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
# galaxy-importer pins an old attrs that the development tools cannot share: it gets a virtualenv of
# its own, cached per version, with the ansible release of constraints.txt beside it (ansible-doc
# there needs kubernetes.core's doc fragments, as on Galaxy).
GALAXY_IMPORTER_VERSION=0.4.44
CACHE=$HOME/.cache/modelserving-maas
PLANE_STARTED=
ARTIFACT_DIR=
TARBALL=

step() { printf '\n===== %s =====\n' "$*"; }

on_exit() {
  if [ -n "$PLANE_STARTED" ]; then plane_down; fi
  if [ -n "$ARTIFACT_DIR" ]; then rm -rf "$ARTIFACT_DIR"; fi
}
trap on_exit EXIT

plane_up() {
  if [ -z "${MAAS_TEST_STATE_DIR:-}" ]; then
    step "local control plane"
    "$PY" hack/localcluster.py up --state-dir "$TEST_STATE" >/dev/null
    PLANE_STARTED=1
    export MAAS_TEST_STATE_DIR=$TEST_STATE
  fi
  export KUBECONFIG=$MAAS_TEST_STATE_DIR/kubeconfig
}

plane_down() {
  "$PY" hack/localcluster.py down --state-dir "$TEST_STATE" || true
}

# The artifact as a release builds it (galaxy.yml's build_ignore decides what it ships), unpacked
# where Ansible looks for collections. Built once per run; the sanity and artifact suites share it.
build_artifact() {
  [ -n "$TARBALL" ] && return
  step "ansible-galaxy collection build"
  ARTIFACT_DIR=$(mktemp -d)
  ansible-galaxy collection build --output-path "$ARTIFACT_DIR"
  TARBALL=$(echo "$ARTIFACT_DIR"/modelserving-maas-*.tar.gz)
  mkdir -p "$ARTIFACT_DIR/ansible_collections/modelserving/maas"
  tar -xzf "$TARBALL" -C "$ARTIFACT_DIR/ansible_collections/modelserving/maas"
}

unit() {
  step "build the CEL test helper (Rust, the cel crate; cached in tests/cel/target)"
  cargo build --release --locked --quiet --manifest-path tests/cel/Cargo.toml
  step "unit tests"
  pytest tests/unit -q -p no:cacheprovider
}

sanity() {
  build_artifact
  step "ansible-test sanity on the unpacked artifact"
  # The dependency sits beside the collection, where ansible-test looks for it.
  mkdir -p "$ARTIFACT_DIR/ansible_collections/kubernetes"
  [ -d "$ARTIFACT_DIR/ansible_collections/kubernetes/core" ] \
    || cp -rL .collections/ansible_collections/kubernetes/core "$ARTIFACT_DIR/ansible_collections/kubernetes/core"
  # ansible-test downloads get-pip.py from a host we cannot reach; give it the offline stand-in.
  local pip_version cache
  pip_version=$("$PY" -c 'import re, ansible_test._internal.python_requirements as r, inspect; print(re.search(r"pip=.([0-9.]+).", inspect.getsource(r)).group(1))')
  cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
  mkdir -p "$(dirname "$cache")"
  [ -f "$cache" ] || cp hack/get_pip_offline.py "$cache"
  (cd "$ARTIFACT_DIR/ansible_collections/modelserving/maas" \
    && ansible-test sanity --venv --python "$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
}

importer_venv() {
  local ansible venv
  ansible=$(grep -E '^ansible==' constraints.txt)
  venv=$CACHE/galaxy-importer-$GALAXY_IMPORTER_VERSION-${ansible/==/-}
  if ! "$venv/bin/python" -c 'import galaxy_importer, ansible_collections.kubernetes.core' 2>/dev/null; then
    rm -rf "$venv"
    "$PY" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet "galaxy-importer==$GALAXY_IMPORTER_VERSION" "$ansible" >&2
  fi
  echo "$venv"
}

artifact() {
  build_artifact
  step "galaxy-importer $GALAXY_IMPORTER_VERSION on the artifact (offline, no container engine)"
  local venv log
  venv=$(importer_venv)
  log=$ARTIFACT_DIR/importer.log
  # ansible-test runs in the sanity suite, on the same artifact; ansible-lint offline.
  cat >"$ARTIFACT_DIR/galaxy-importer.cfg" <<'CFG'
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_ANSIBLE_DOC = True
CHECK_CHANGELOG = True
ANSIBLE_TEST_LOCAL_IMAGE = False
LOCAL_IMAGE_DOCKER = False
CFG
  # Not this checkout's ansible.cfg or collections: the importer's own Ansible, as on Galaxy.
  (cd "$ARTIFACT_DIR" && env -u ANSIBLE_CONFIG -u ANSIBLE_COLLECTIONS_PATH PATH="$venv/bin:$PATH" \
    GALAXY_IMPORTER_CONFIG="$ARTIFACT_DIR/galaxy-importer.cfg" ANSIBLE_LOCAL_TEMP="$ARTIFACT_DIR/ansible-tmp" \
    "$venv/bin/python" -m galaxy_importer.main "$TARBALL") 2>&1 | tee "$log"
  # The importer logs what Galaxy would show the publisher as ERROR and WARNING lines (ansible-lint
  # findings among them) and still exits 0 for most of them: any such line fails the gate.
  if grep -E '^(ERROR|WARNING):' "$log" >/dev/null; then
    echo "galaxy-importer reported errors or warnings (above); Galaxy would show them on the collection page" >&2
    return 1
  fi
  step "ansible-builder on meta/execution-environment.yml (offline: introspect, and create writes the build context only)"
  local maas=$ARTIFACT_DIR/ansible_collections/modelserving/maas ee=$ARTIFACT_DIR/ee
  # What an execution environment build reads from the installed collection: the requirements
  # meta/execution-environment.yml names, resolved from the collection root.
  ansible-builder introspect --sanitize "$ARTIFACT_DIR" | tee "$ARTIFACT_DIR/introspect.log"
  grep -q 'kubernetes>=' "$ARTIFACT_DIR/introspect.log" \
    || { echo "ansible-builder introspect found no kubernetes requirement in the artifact" >&2; return 1; }
  # The file as an execution environment definition of its own; its paths are relative to the
  # collection root, so it is placed there with the files it names.
  mkdir -p "$ee"
  cp "$maas/meta/execution-environment.yml" "$maas/requirements.txt" "$maas/bindep.txt" "$ee/"
  ansible-builder create --file "$ee/execution-environment.yml" --context "$ee/context"
  ls "$ee/context"
}

lint() {
  step "ansible-lint (production profile)"
  # ansible-lint also looks in ~/.ansible/collections; an installed copy there would be linted
  # against instead of this checkout (modules added since would be "unknown").
  local shadow=$HOME/.ansible/collections/ansible_collections/modelserving/maas
  if [ -e "$shadow" ]; then
    echo "ansible-lint would resolve modelserving.maas against the copy in $shadow, not this checkout: remove it (rm -rf $shadow) and run again" >&2
    return 1
  fi
  ansible-lint --profile production --offline
  # The kind scenario needs Docker, so no suite runs it: check at least that its playbooks parse.
  step "syntax check of the kind molecule scenario"
  local playbook
  for playbook in molecule/kind/create.yml molecule/kind/prepare.yml molecule/local/converge.yml \
    molecule/local/verify.yml molecule/kind/destroy.yml; do
    ansible-playbook --syntax-check "$playbook"
  done
}

integration() {
  step "build Authorino from the Go module proxy (cached under ~/.cache/modelserving-maas)"
  "$PY" tests/authorino/build.py
  step "build the Kuadrant operator from the Go module proxy (cached under ~/.cache/modelserving-maas)"
  "$PY" tests/kuadrant/build.py
  # test_maas_api_database connects to a real PostgreSQL with the URL the role writes; on a machine
  # without one, Debian's is installed here (it is skipped, saying so, where that cannot be done).
  if ! command -v pg_config >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    step "PostgreSQL from Debian, for the database connection test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
      || echo "note: could not install postgresql; test_maas_api_database's connection check will be skipped"
  fi
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
  artifact) artifact ;;
  lint) lint ;;
  integration) integration ;;
  molecule) molecule_scenarios ;;
  bench) bench ;;
  all)
    unit
    lint
    sanity
    artifact
    integration
    molecule_scenarios
    step "all tests passed"
    ;;
  *) echo "usage: $0 [all|unit|sanity|artifact|lint|integration|molecule|bench]" >&2; exit 2 ;;
esac
