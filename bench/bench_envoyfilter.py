#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the scheduled drift check over the Kuadrant operator's EnvoyFilters.

200 EnvoyFilters shaped like the operator's auth-cluster filter (one per gateway), all already
carrying the mesh transport_socket, in one namespace on the local control plane. Measured:
  - modelserving.maas.envoyfilter_mtls (one task): wall time, and from the audit log its API
    requests (it must be one LIST and no write);
  - the same module when the operator has rewritten one filter (one LIST, one PATCH);
  - baseline, in the same run: the same check written the obvious way, one kubernetes.core.k8s_info
    GET per filter in a loop, then a comparison in Jinja.
The ratio is baseline time / module time.

    .venv/bin/python bench/bench_envoyfilter.py [filters]
"""

from __future__ import annotations

import copy
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

from ansible_collections.modelserving.maas.plugins.module_utils._mesh.envoyfilter import (  # noqa: E402
    desired_config_patches,
    mtls_transport_socket,
)

NAMESPACE = "bench-envoyfilters"
CLUSTERS = ["kuadrant-auth-service", "kuadrant-ratelimit-service"]


def envoyfilters(count: int) -> list[dict]:
    """`count` operator-shaped auth-cluster filters, already patched (no drift)."""
    template = next(doc for doc in yaml.safe_load_all((REPO / "tests/fixtures/kuadrant-envoyfilters.yaml").read_text())
                    if doc["metadata"]["name"] == "kuadrant-auth-maas-default-gateway")
    items = []
    for index in range(count):
        item = copy.deepcopy(template)
        item["metadata"]["name"] = f"kuadrant-auth-gateway-{index:03d}"
        item["metadata"]["namespace"] = NAMESPACE
        item["spec"]["targetRefs"][0]["name"] = f"gateway-{index:03d}"
        item["spec"]["configPatches"] = desired_config_patches(item["spec"]["configPatches"], "present")
        items.append(item)
    return items


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def requests(plane: Plane, mark: int) -> dict:
    events = plane.requests_since(mark)
    return {"requests": len(events), "writes": len(writes(events)), "verbs": dict(Counter(e["verb"] for e in events))}


def module(plane: Plane) -> dict:
    result = plane.module("modelserving.maas.envoyfilter_mtls", namespace=NAMESPACE, clusters=CLUSTERS)
    if result.get("failed"):
        raise SystemExit(f"envoyfilter_mtls failed: {result.get('msg')}")
    return result


def bench(plane: Plane, count: int, workdir: Path) -> dict:
    items = envoyfilters(count)
    manifest = workdir / "envoyfilters.yaml"
    manifest.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    plane.kubectl("apply", "--server-side", "--field-manager=bench-fixture", "-f", str(manifest))
    row = {"filters": count}

    mark = plane.audit_mark()
    row["module_s"], result = timed(lambda: module(plane))
    row["module"] = requests(plane, mark)
    row["module_drift_count"] = result["drift_count"]

    # the operator rewrites one filter: its configPatches without the socket
    victim = items[count // 2]
    plane.kubectl("patch", "envoyfilter", victim["metadata"]["name"], "-n", NAMESPACE, "--type=json", "-p", json.dumps(
        [{"op": "remove", "path": "/spec/configPatches/0/patch/value/transport_socket"}]))
    mark = plane.audit_mark()
    row["one_drift_s"], result = timed(lambda: module(plane))
    row["one_drift"] = requests(plane, mark)
    row["one_drift_count"] = result["drift_count"]

    (workdir / "names.json").write_text(json.dumps([i["metadata"]["name"] for i in items]))
    (workdir / "socket.json").write_text(json.dumps(mtls_transport_socket()))
    mark = plane.audit_mark()
    row["baseline_s"], _ = timed(lambda: plane.run_playbook_text(f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Read each filter
      kubernetes.core.k8s_info:
        api_version: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        namespace: {NAMESPACE}
        name: "{{{{ item }}}}"
      loop: "{{{{ lookup('ansible.builtin.file', '{workdir / 'names.json'}') | from_json }}}}"
      register: baseline_filters
    - name: Compare
      ansible.builtin.set_fact:
        baseline_drifted: >-
          {{{{ baseline_filters.results | map(attribute='resources') | flatten
             | rejectattr('spec.configPatches.0.patch.value.transport_socket', 'defined') | list
             + (baseline_filters.results | map(attribute='resources') | flatten
                | selectattr('spec.configPatches.0.patch.value.transport_socket', 'defined')
                | selectattr('spec.configPatches.0.patch.value.transport_socket', 'ne',
                             lookup('ansible.builtin.file', '{workdir / 'socket.json'}') | from_json) | list) }}}}
    - name: Nothing drifted
      ansible.builtin.assert:
        that: baseline_drifted | length == 0
""", workdir))
    row["baseline"] = requests(plane, mark)
    row["ratio"] = row["baseline_s"] / row["module_s"]
    return row


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 200
    plane = Plane.start()
    try:
        plane.kubectl("create", "namespace", NAMESPACE, check=False)
        with tempfile.TemporaryDirectory() as scratch:
            row = bench(plane, count, Path(scratch))
        plane.kubectl("delete", "namespace", NAMESPACE, "--wait=false")
    finally:
        plane.stop()
    assert row["module"]["verbs"].get("list") == 1 and row["module"]["writes"] == 0, row["module"]
    assert row["module_drift_count"] == 0 and row["one_drift_count"] == 1, row
    print(f"\nDrift check over {row['filters']} EnvoyFilters with no drift (seconds; ratio = baseline / module)")
    print(f"{'':34} {'seconds':>8} {'requests':>9} {'writes':>7}  verbs")
    for label, key, seconds in (("envoyfilter_mtls, no drift", "module", row["module_s"]),
                                ("envoyfilter_mtls, 1 filter drifted", "one_drift", row["one_drift_s"]),
                                ("baseline: k8s_info GET per filter", "baseline", row["baseline_s"])):
        stats = row[key]
        print(f"{label:34} {seconds:>8.1f} {stats['requests']:>9} {stats['writes']:>7}  {stats['verbs']}")
    print(f"ratio (baseline / envoyfilter_mtls, no drift): {row['ratio']:.1f}x")
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "envoyfilter.json").write_text(json.dumps(row, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
