"""Benchmark: reconciling MaaS policies on the local control plane.

For 100 and 1,000 models, the same generated objects (one AuthPolicy and one TokenRateLimitPolicy
per model, plus the gateway defaults) are applied to an empty cluster by:
  - modelserving.maas.maas_policy_sync (reads the CRs, translates, dry-runs, applies; statuses
                                        are already written by a first run, timed separately)
  - kubernetes.core.k8s in a loop      (one task per object, server-side apply)
  - kubectl apply --server-side        (one command, from a file of the objects)
  - modelserving.maas.k8s_apply        (the batch module with the objects as its argument)
then maas_policy_sync runs again with nothing to do: time and API requests of that no-op run.
Ratios are against baselines measured in the same run. The kubernetes.core loop is timed on at
most LOOP_SAMPLE objects and scaled per object for larger sets (it is marked `~`).

    .venv/bin/python bench/bench_reconcile.py [models ...]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / ".collections"))

from plane import REPO, Plane, writes  # noqa: E402

from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate  # noqa: E402

MAAS = "maas.opendatahub.io/v1alpha1"
TENANT_NS = "models-as-a-service"
MODEL_NS = "bench-llm"
SUBSCRIPTIONS = 10
AUTH_POLICIES = 5
LOOP_SAMPLE = 200
GENERATED = "authpolicies.kuadrant.io,tokenratelimitpolicies.kuadrant.io"


def maas_resources(models: int) -> tuple[list[dict], list[dict]]:
    """(MaaS CRs, KServe HTTPRoutes) for `models` models shared by every subscription and policy."""
    names = [f"model-{i:04d}" for i in range(models)]
    routes = [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
               "metadata": {"name": f"{n}-route", "namespace": MODEL_NS, "labels": {
                   "app.kubernetes.io/name": n, "app.kubernetes.io/component": "llminferenceservice-router",
                   "app.kubernetes.io/part-of": "llminferenceservice"}},
               "spec": {"parentRefs": [{"name": "maas-default-gateway", "namespace": "openshift-ingress"}],
                        "rules": [{"backendRefs": [{"name": f"{n}-svc", "port": 8000}]}]}} for n in names]
    crs = [{"apiVersion": MAAS, "kind": "Tenant", "metadata": {"name": "default-tenant", "namespace": TENANT_NS},
            "spec": {"gatewayRef": {"namespace": "openshift-ingress", "name": "maas-default-gateway"}}}]
    crs += [{"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": n, "namespace": MODEL_NS},
             "spec": {"modelRef": {"kind": "LLMInferenceService", "name": n}}} for n in names]
    crs += [{"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": f"access-{i}", "namespace": TENANT_NS},
             "spec": {"modelRefs": [{"name": n, "namespace": MODEL_NS} for n in names],
                      "subjects": {"groups": [{"name": f"team-{i}"}]}}} for i in range(AUTH_POLICIES)]
    crs += [{"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": f"plan-{i}", "namespace": TENANT_NS},
             "spec": {"owner": {"groups": [{"name": f"team-{i % AUTH_POLICIES}"}]}, "priority": i,
                      "modelRefs": [{"name": n, "namespace": MODEL_NS,
                                     "tokenRateLimits": [{"limit": 1000 * (i + 1), "window": "1m"}]} for n in names]}}
            for i in range(SUBSCRIPTIONS)]
    return crs, routes


def clean(plane: Plane) -> None:
    plane.kubectl("delete", "maassubscriptions,maasauthpolicies,maasmodelrefs,tenants", "-A", "--all", "--wait=true")
    plane.kubectl("delete", GENERATED, "-A", "-l", "app.kubernetes.io/managed-by=maas-controller", "--wait=true")
    plane.kubectl("delete", "namespace", MODEL_NS, "--ignore-not-found", "--wait=true", "--timeout=300s")


def delete_generated(plane: Plane) -> None:
    plane.kubectl("delete", GENERATED, "-A", "-l", "app.kubernetes.io/managed-by=maas-controller", "--wait=true")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench(plane: Plane, models: int, workdir: Path) -> dict:
    clean(plane)
    crs, routes = maas_resources(models)
    plane.kubectl("create", "namespace", MODEL_NS)
    plane.kubectl("create", "namespace", TENANT_NS, check=False)
    (workdir / "input.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": routes + crs}))
    plane.kubectl("apply", "--server-side", "--field-manager=bench-fixture", "-f", str(workdir / "input.yaml"))

    route_names = {f"{MODEL_NS}/{r['metadata']['labels']['app.kubernetes.io/name']}": r["metadata"]["name"]
                   for r in routes}
    objects = generate(crs, routes=route_names)["objects"]
    manifest = workdir / "objects.yaml"
    manifest.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    (workdir / "objects.json").write_text(json.dumps(objects))
    row = {"models": models, "objects": len(objects)}

    row["kubectl"] = timed(lambda: plane.kubectl("apply", "--server-side", "--field-manager=modelserving.maas",
                                                 "-f", str(manifest)))
    delete_generated(plane)

    row["k8s_apply"] = timed(lambda: plane.run_playbook_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - modelserving.maas.k8s_apply:
        objects: "{{{{ lookup('ansible.builtin.file', '{workdir / 'objects.json'}') | from_json }}}}"
""", workdir))
    delete_generated(plane)

    sample = objects[:LOOP_SAMPLE]
    (workdir / "sample.json").write_text(json.dumps(sample))
    loop_seconds = timed(lambda: plane.run_playbook_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        state: present
        definition: "{{{{ item }}}}"
        server_side_apply:
          field_manager: modelserving.maas
      loop: "{{{{ lookup('ansible.builtin.file', '{workdir / 'sample.json'}') | from_json }}}}"
""", workdir))
    row["k8s_loop"] = loop_seconds * len(objects) / len(sample)
    row["k8s_loop_scaled"] = len(sample) < len(objects)
    delete_generated(plane)

    row["sync_first"] = timed(lambda: plane.module("modelserving.maas.maas_policy_sync"))
    # The same objects again from an empty cluster, statuses already in place: the apply itself.
    delete_generated(plane)
    row["sync"] = timed(lambda: plane.module("modelserving.maas.maas_policy_sync"))
    mark = plane.audit_mark()
    row["noop"] = timed(lambda: plane.module("modelserving.maas.maas_policy_sync"))
    events = plane.requests_since(mark)
    row["noop_requests"] = len(events)
    row["noop_writes"] = len(writes(events))
    row["noop_verbs"] = dict(Counter(e["verb"] for e in events))
    clean(plane)
    return row


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100, 1000]
    plane = Plane.start()
    try:
        plane.apply(*[d for d in yaml.safe_load_all((REPO / "tests/fixtures/platform.yaml").read_text()) if d])
        for crd in sorted((REPO / "roles/prerequisites/files/crds").glob("*.yaml")):
            plane.kubectl("apply", "--server-side", "--field-manager=modelserving.maas", "-f", str(crd))
        with tempfile.TemporaryDirectory() as scratch:
            rows = [bench(plane, n, Path(scratch)) for n in sizes]
    finally:
        plane.stop()
    print("\nThe same generated objects applied to an empty cluster (seconds; ratio = other / maas_policy_sync)")
    print(f"{'models':>7} {'objects':>8} {'policy_sync':>12} {'k8s loop':>10} {'kubectl SSA':>12} {'k8s_apply':>10} "
          f"{'loop/sync':>10} {'kubectl/sync':>13}")
    for r in rows:
        loop = ("~" if r["k8s_loop_scaled"] else "") + f"{r['k8s_loop']:.1f}"
        print(f"{r['models']:>7} {r['objects']:>8} {r['sync']:>12.1f} {loop:>10} {r['kubectl']:>12.1f} "
              f"{r['k8s_apply']:>10.1f} {r['k8s_loop'] / r['sync']:>9.1f}x {r['kubectl'] / r['sync']:>12.2f}x")
    print("\nmaas_policy_sync first run (read, translate, apply, write every status) and the no-op re-run")
    print(f"{'models':>7} {'first s':>8} {'no-op s':>8} {'no-op requests':>15} {'writes':>7}  verbs")
    for r in rows:
        print(f"{r['models']:>7} {r['sync_first']:>8.1f} {r['noop']:>8.1f} {r['noop_requests']:>15} "
              f"{r['noop_writes']:>7}  {r['noop_verbs']}")
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "reconcile.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
