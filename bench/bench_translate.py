#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long translating a large MaaS installation takes.

1,000 models (LLMInferenceService, in 10 namespaces, each with the HTTPRoute KServe labels for it),
100 MaaSSubscriptions and 100 MaaSAuthPolicies.
Each subscription and each policy names 100 models, so a model is named by about 10 of each; owners
and subjects are 1 to 3 groups out of 50 plus up to 2 users, priorities 0 to 4. The CRs come from a
seeded generator, so every run measures the same input. What is timed is what maas_policy_sync
does with them: find each model's route (resolve_routes), then translate (generate). The target is under one second in `groups`
mode. The baseline is serialising the output with json.dumps, measured in the same run, so the
ratio says how translation compares with merely writing its result down.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import KSERVE_ROUTE_LABELS  # noqa: E402
from ansible_collections.modelserving.maas.plugins.module_utils._maas.routes import resolve_routes  # noqa: E402
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate  # noqa: E402

MODELS, SUBSCRIPTIONS, POLICIES, REFS = 1000, 100, 100, 100
RUNS = 5


def installation(seed: int = 7) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    groups = ["group-%02d" % i for i in range(50)] + ["system:authenticated"]
    models = [("ns-%d" % (i % 10), "model-%04d" % i) for i in range(MODELS)]
    resources, routes = [], []
    for ns, name in models:
        resources.append({"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
                          "metadata": {"name": name, "namespace": ns},
                          "spec": {"modelRef": {"kind": "LLMInferenceService", "name": name}}})
        routes.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                       "metadata": {"name": name + "-kserve-route", "namespace": ns,
                                    "labels": dict(KSERVE_ROUTE_LABELS, **{"app.kubernetes.io/name": name})},
                       "spec": {"parentRefs": [{"name": "maas-default-gateway", "namespace": "openshift-ingress"}]}})
    for i in range(SUBSCRIPTIONS):
        refs = [{"namespace": ns, "name": name,
                 "tokenRateLimits": [{"limit": rng.choice([1000, 10000, 100000]), "window": rng.choice(["1m", "1h", "24h"])}]}
                for ns, name in rng.sample(models, REFS)]
        resources.append({"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSSubscription",
                          "metadata": {"name": "sub-%03d" % i, "namespace": "models-as-a-service"},
                          "spec": {"priority": rng.randrange(5),
                                   "owner": {"groups": [{"name": g} for g in rng.sample(groups, rng.randint(1, 3))],
                                             "users": ["user-%03d" % rng.randrange(500) for _ in range(rng.randint(0, 2))]},
                                   "modelRefs": refs}})
    for i in range(POLICIES):
        resources.append({"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
                          "metadata": {"name": "policy-%03d" % i, "namespace": "models-as-a-service"},
                          "spec": {"modelRefs": [{"namespace": ns, "name": name} for ns, name in rng.sample(models, REFS)],
                                   "subjects": {"groups": [{"name": g} for g in rng.sample(groups, rng.randint(1, 3))],
                                                "users": ["user-%03d" % rng.randrange(500) for _ in range(rng.randint(0, 2))]}}})
    return resources, routes


def best_of(fn, runs: int = RUNS) -> tuple[float, float]:
    """Best wall-clock and best CPU time of `runs` calls, with the garbage collector paused (as timeit
    does). CPU time is what to compare on a shared machine: it does not count time other processes
    held the cores."""
    walls, cpus = [], []
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
    finally:
        gc.enable()
    return min(walls), min(cpus)


def main() -> None:
    resources, routes = installation()
    print("input: %d models, %d subscriptions, %d auth policies, %d model references each"
          % (MODELS, SUBSCRIPTIONS, POLICIES, REFS))
    def translate(selection):
        return generate(resources, routes=resolve_routes(resources, routes)["routes"], selection=selection)

    for selection in ("groups", "subscription"):
        result = translate(selection)
        assert len(result["skipped"]) == 0, result["skipped"][:3]
        size = len(json.dumps(result))
        wall, cpu = best_of(lambda: translate(selection))
        base_wall, base_cpu = best_of(lambda: json.dumps(result))
        print("%-12s translate: %.3f s CPU, %.3f s wall (target < 1 s) | %d objects, %.1f MB as JSON | "
              "baseline json.dumps of that output: %.3f s CPU, translate/baseline = %.1fx"
              % (selection, cpu, wall, len(result["objects"]), size / 1e6, base_cpu, cpu / base_cpu))


if __name__ == "__main__":
    main()
