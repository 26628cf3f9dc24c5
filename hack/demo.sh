#!/usr/bin/env bash
# `make demo`: start the local control plane (unless it runs), create what the platform's operators
# would have created plus sample MaaS resources, run playbooks/site.yml against it, and show what
# the collection created. Run it again: the second run of site.yml reports changed=0.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${1:-.local-cluster}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
PY=.venv/bin/python
export PATH=$PWD/.venv/bin:$PATH
export ANSIBLE_CONFIG=$PWD/ansible.cfg

"$PY" hack/localcluster.py up --state-dir "$STATE" >/dev/null
export KUBECONFIG=$STATE/kubeconfig
export K8S_AUTH_KUBECONFIG=$KUBECONFIG
KUBECTL=$("$PY" hack/localcluster.py build | awk '$1 == "kubectl" {print $2}')

echo "== platform stand-ins and sample MaaS resources"
ansible-playbook hack/demo/fixtures.yml

echo "== playbooks/site.yml"
ansible-playbook playbooks/site.yml -e @hack/demo/vars.yml

echo "== what the collection created"
"$KUBECTL" get crd -l app.kubernetes.io/part-of=models-as-a-service
"$KUBECTL" get tenants,maasmodelrefs,maasauthpolicies,maassubscriptions -A
for kinds in authpolicies.kuadrant.io,tokenratelimitpolicies.kuadrant.io,ratelimitpolicies.kuadrant.io \
             telemetrypolicies.extensions.kuadrant.io,telemetries.telemetry.istio.io \
             httproutes,services,destinationrules,backendtlspolicies,referencegrants \
             peerauthentications,envoyfilters,secrets,configmaps,networkpolicies,deployments,statefulsets,cronjobs \
             serviceaccounts; do
  "$KUBECTL" get "$kinds" -A -l app.kubernetes.io/part-of=models-as-a-service 2>/dev/null || true
done
echo
echo "== default-tenant's status (the plane runs no pods, so maas-api and PostgreSQL never become available)"
"$KUBECTL" get tenant default-tenant -n models-as-a-service \
  -o jsonpath='{.status.phase}{"\n"}{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'
echo
echo "The plane keeps running: export KUBECONFIG=$KUBECONFIG (stop it with: make cluster-down)"
