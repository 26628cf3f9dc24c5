#!/usr/bin/env python3
"""Derive the automation identity's RBAC rules from the requests the collection really makes.

    .venv/bin/python hack/rbac_rules.py          # rewrite roles/automation_identity/vars/rules.yml
    .venv/bin/python hack/rbac_rules.py --check  # exit 1 when the committed rules differ

On a private local plane it runs the demo (hack/demo: the platform stand-ins, the sample MaaS
resources, hack/demo/vars.yml) through `scenario`: site.yml on an empty cluster, then with models,
converged, in check mode; reconcile.yml converged, after drift, after a prune, removing the tiers, in
envoyfilter mode. It reads the API server's audit log for the automation's user and writes every
(API group, resource[/subresource], verb, namespace) it saw as RBAC rules: the `site` identity gets
every request of every run (site.yml runs the roles reconcile.yml runs), `reconcile` those of the
reconcile runs only. Namespaces are written as the role variable that names them in the demo; a
request in any other namespace stops the generator. Cluster-scoped writes, RBAC objects and
TokenRequests carry the object names (`resourceNames`); writes of RBAC objects add `escalate` / `bind`
on the same names, and an apply that created its object (201) adds `create`: the API server checks
those without a request of their own in the log.

`scenario` is also what tests/integration/test_automation_identity.py runs as the ServiceAccounts,
so a request the committed rules do not cover fails that test.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

RULES_FILE = REPO / "roles/automation_identity/vars/rules.yml"
SITE = REPO / "playbooks/site.yml"
RECONCILE = REPO / "playbooks/reconcile.yml"
FIXTURES = REPO / "tests/fixtures"

# The demo's namespaces, by the scope the role grants in (roles/automation_identity/templates).
NAMESPACE_SCOPES = {
    "opendatahub": "maas_api_namespace",
    "models-as-a-service": "maas_subscription_namespace",
    "openshift-ingress": "maas_gateway_namespace",
    "kuadrant-system": "automation_identity_kuadrant_namespace",
    "llm": "models",
}
# Object names that are role variables in the demo; any other name is written as it is.
NAME_VARIABLES = {
    "opendatahub": "{{ maas_api_namespace }}",
    "models-as-a-service": "{{ maas_subscription_namespace }}",
    "maas-api": "{{ maas_api_name }}",
}
# Requests whose rules name the objects: writes of cluster-scoped objects (a ClusterRole rule would
# otherwise cover every Namespace, CRD or ClusterRole of the cluster), RBAC objects and TokenRequests
# (a token for any ServiceAccount of a namespace is that account's permissions).
NAMED_RESOURCES = {("", "namespaces"), ("", "serviceaccounts/token"),
                   ("apiextensions.k8s.io", "customresourcedefinitions"),
                   ("rbac.authorization.k8s.io", "clusterroles"),
                   ("rbac.authorization.k8s.io", "clusterrolebindings"),
                   ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings")}
READ_VERBS = {"get", "list", "watch"}
# Non-resource requests every authenticated user may send (ClusterRole system:discovery).
DISCOVERY_PREFIXES = ("/api", "/apis", "/version", "/openapi")

# Upstream's ExternalModel as its documentation writes it (the demo's MaaSModelRef gpt-4o-mini uses an
# endpointOverride instead): the run reads its credential Secret's metadata.
MAAS = "maas.opendatahub.io/v1alpha1"
EXTERNAL_MODEL = [
    {"apiVersion": MAAS, "kind": "ExternalModel", "metadata": {"name": "gpt-4o", "namespace": "llm"},
     "spec": {"provider": "openai", "targetModel": "gpt-4o", "endpoint": "api.openai.com",
              "credentialRef": {"name": "openai-api-key"}}},
    {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "gpt-4o", "namespace": "llm"},
     "spec": {"modelRef": {"kind": "ExternalModel", "name": "gpt-4o"}}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "openai-api-key", "namespace": "llm"}, "type": "Opaque",
     "stringData": {"api-key": "sk-demo-not-a-key"}},
]

Run = Callable[..., object]  # run(identity, playbook, extra_vars, check=False, diff=False) -> PlaybookRun


def demo_vars() -> dict:
    return yaml.safe_load((REPO / "hack/demo/vars.yml").read_text()) | {"automation_identity_enabled": False}


def docs(name: str) -> list[dict]:
    loaded = list(yaml.safe_load_all((FIXTURES / name).read_text()))
    return [d for doc in loaded if doc for d in (doc["items"] if doc.get("kind") == "List" else [doc])]


def scenario(plane, run: Run) -> None:
    """The demo, as the site and reconcile job templates would run it, with what happens between
    runs (models added, drift, deleted CRs) done as the administrator (plane.apply, plane.kubectl).
    The MaaS CRDs are left to site.yml (the demo fixtures install them first), so that creating them
    is among the requests."""
    shared = demo_vars()
    plane.apply(*docs("platform.yaml"), *docs("kuadrant-envoyfilters.yaml"), manager="demo-fixture")
    run("site", SITE, shared)
    plane.wait_established("maasmodelrefs.maas.opendatahub.io")
    plane.apply(*docs("maas-sample.yaml"), *EXTERNAL_MODEL, manager="demo-fixture")
    run("reconcile", RECONCILE, shared)
    run("site", SITE, shared)
    run("site", SITE, shared, check=True, diff=True)
    # Drift: native mTLS switched off on the Kuadrant CR, generated policies of a model and of the
    # gateway (defaults, tiers) deleted by hand; a deleted model prunes its objects.
    plane.kubectl("-n", "kuadrant-system", "patch", "kuadrants.kuadrant.io", "kuadrant", "--type=merge",
                  "-p", '{"spec": {"mtls": {"enable": false}}}')
    plane.kubectl("-n", "llm", "delete", "authpolicies.kuadrant.io", "maas-auth-facebook-opt-125m")
    plane.kubectl("-n", "openshift-ingress", "delete", "authpolicies.kuadrant.io", "gateway-default-auth")
    plane.kubectl("-n", "openshift-ingress", "delete", "--all",
                  "ratelimitpolicies.kuadrant.io,tokenratelimitpolicies.kuadrant.io")
    plane.kubectl("-n", "llm", "delete", "tokenratelimitpolicies.kuadrant.io", "maas-trlp-facebook-opt-125m")
    plane.kubectl("-n", "llm", "delete", "maasmodelrefs.maas.opendatahub.io", "gpt-4o-mini")
    run("reconcile", RECONCILE, shared)
    # maas-api's Deployment gone (reconcile.yml does not put it back): the Tenant status the reconcile
    # writes last changes to say so, and a status write is a request only a change makes.
    plane.kubectl("-n", "opendatahub", "delete", "deployments.apps", "maas-api")
    run("reconcile", RECONCILE, shared)
    run("reconcile", RECONCILE, shared | {"maas_tiers": []})
    # The EnvoyFilter procedure (README's AWX example), then the operator's rewrite undone again.
    envoyfilter = shared | {"kuadrant_mtls_mode": "envoyfilter"}
    run("reconcile", RECONCILE, envoyfilter)
    plane.kubectl("replace", "-f", "-", input=yaml.safe_dump_all(docs("kuadrant-envoyfilters.yaml")))
    run("reconcile", RECONCILE, envoyfilter)
    run("reconcile", RECONCILE, envoyfilter | {"kuadrant_mtls_state": "disabled"})
    run("site", SITE, envoyfilter)


# -- from audit events to rules --------------------------------------------------------------------


def requests_of(events: Iterable[dict]) -> set[tuple[str, str, str, str, str]]:
    """(scope, API group, resource[/subresource], verb, name) of each resource request; name only
    where the rule will name objects. Raises on a namespace the demo does not map to a scope."""
    seen = set()
    for event in events:
        ref = event.get("objectRef") or {}
        if not ref.get("resource"):
            path = event.get("requestURI", "").split("?")[0]
            if not path.startswith(DISCOVERY_PREFIXES):
                raise SystemExit(f"non-resource request {event.get('verb')} {path}: not covered by system:discovery")
            continue
        resource = ref["resource"] + (f"/{ref['subresource']}" if ref.get("subresource") else "")
        group, verb, namespace = ref.get("apiGroup", ""), event["verb"], ref.get("namespace", "")
        scope = "cluster"
        # A Namespace's own requests carry its name as objectRef.namespace; it is cluster-scoped.
        if namespace and (group, ref["resource"]) != ("", "namespaces"):
            if namespace not in NAMESPACE_SCOPES:
                raise SystemExit(f"{verb} {resource} in namespace {namespace!r}: no role variable names this "
                                 f"namespace; add it to NAMESPACE_SCOPES in hack/rbac_rules.py")
            scope = NAMESPACE_SCOPES[namespace]
        named = (group, resource) in NAMED_RESOURCES and verb not in READ_VERBS
        name = ref.get("name", "") if named else ""
        seen.add((scope, group, resource, verb, name))
        if verb == "patch" and event.get("responseStatus", {}).get("code") == 201:
            # A server-side apply that creates the object is authorized as `create` too.
            seen.add((scope, group, resource, "create", name))
        if named and group == "rbac.authorization.k8s.io":
            # Granting what the role holds needs `escalate` on the role and `bind` on what a binding
            # refers to (the collection names each binding after its role).
            role = {"clusterrolebindings": "clusterroles", "rolebindings": "roles"}.get(resource, resource)
            seen.add((scope, group, role, "bind" if role != resource else "escalate", name))
    return seen


def rules(requests: set[tuple[str, str, str, str, str]]) -> dict:
    """{scope: [rule]}: resources with the same group, verbs and names in one rule; sorted, stable."""
    verbs = defaultdict(set)
    for scope, group, resource, verb, name in requests:
        verbs[(scope, group, resource, name)].add(verb)
    merged = defaultdict(set)
    for (scope, group, resource, name), verb_set in verbs.items():
        merged[(scope, group, tuple(sorted(verb_set)), name)].add(resource)
    by_names = defaultdict(set)
    for (scope, group, verb_tuple, name), resources in merged.items():
        by_names[(scope, group, verb_tuple, tuple(sorted(resources)))].add(name)
    out = defaultdict(list)
    for (scope, group, verb_tuple, resources), names in sorted(by_names.items()):
        rule = {"apiGroups": [group], "resources": list(resources)}
        names = sorted(NAME_VARIABLES.get(n, n) for n in names if n)
        if names:
            rule["resourceNames"] = names
        rule["verbs"] = list(verb_tuple)
        out[scope].append(rule)
    return {scope: out[scope] for scope in sorted(out)}


def rules_text(site: dict, reconcile: dict) -> str:
    header = ("---\n"
              "# Generated by hack/rbac_rules.py from the API server's audit log of the demo (site.yml and\n"
              "# reconcile.yml on a local plane): every request the collection made, and nothing else. Do not\n"
              "# edit; regenerate with `.venv/bin/python hack/rbac_rules.py`. Keys: `cluster` (a ClusterRole),\n"
              "# or the variable naming the namespace of a Role (`models`: automation_identity_model_namespaces).\n")
    body = {"automation_identity_rules": {"site": site, "reconcile": reconcile}}
    return header + yaml.dump(body, Dumper=IndentedDumper, sort_keys=False, default_flow_style=False, width=110)


class IndentedDumper(yaml.SafeDumper):
    """Block sequences indented under their key, as yamllint (ansible-lint) wants them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def derive(save_events: Path | None = None) -> str:
    from plane import Plane

    plane = Plane.start_private()
    try:
        marks = []

        def run(identity, playbook, extra_vars, check=False, diff=False):
            start = plane.audit_mark()
            result = plane.playbook(playbook, extra_vars=extra_vars, check=check, diff=diff)
            if not result.ok:
                raise SystemExit(f"{Path(playbook).name} ({identity}) failed:\n{result.explain()}")
            marks.append((identity, start, plane.audit_mark()))
            return result

        scenario(plane, run)
        events = {identity: [] for identity in ("site", "reconcile")}
        for identity, start, end in marks:
            events[identity] += plane._events(start, end, "maas-automation")
        if save_events:
            save_events.write_text(json.dumps(events))
        return rules_from(events)
    finally:
        plane.stop()


def rules_from(events: dict[str, list[dict]]) -> str:
    reconcile = requests_of(events["reconcile"])
    site = requests_of(events["site"]) | reconcile
    return rules_text(rules(site), rules(reconcile))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed rules, write nothing")
    parser.add_argument("--save-events", type=Path, help="also write the audit events of the runs to this file")
    parser.add_argument("--from-events", type=Path, help="derive from a --save-events file instead of a run")
    args = parser.parse_args()
    if args.from_events:
        derived = rules_from(json.loads(args.from_events.read_text()))
    else:
        derived = derive(args.save_events)
    committed = RULES_FILE.read_text() if RULES_FILE.exists() else ""
    if args.check:
        if derived != committed:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(committed.splitlines(True), derived.splitlines(True),
                                                       "committed", "derived"))
            print(f"{RULES_FILE.relative_to(REPO)} differs from the requests the code makes; "
                  f"rerun hack/rbac_rules.py", file=sys.stderr)
            return 1
        return 0
    RULES_FILE.parent.mkdir(parents=True, exist_ok=True)
    RULES_FILE.write_text(derived)
    print(f"wrote {RULES_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
