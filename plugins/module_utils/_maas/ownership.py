# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Which objects a reconcile may write or delete, and which foreign AuthPolicies get in its way.

Ownership rules:
- a generated object is ours when it carries `app.kubernetes.io/managed-by: <managed_by>`;
- `opendatahub.io/managed: "false"` (label or annotation) opts an object out: never updated,
  never deleted;
- an object that already exists under a generated name without our label belongs to someone
  else: it is left alone and reported;
- pruning considers only our objects that also carry the producers annotation, and never the
  objects of a model whose CRs failed validation (their policies are kept as they are until the
  CRs are fixed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import ref as object_ref
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    MANAGED_BY_LABEL,
    OPT_OUT_KEY,
    PRODUCERS_ANNOTATION,
    meta,
    model_of,
    ref,
)


def is_opted_out(obj) -> bool:
    found = meta(obj)
    return "false" in ((found.get("labels") or {}).get(OPT_OUT_KEY), (found.get("annotations") or {}).get(OPT_OUT_KEY))


def is_ours(obj, managed_by) -> bool:
    return (meta(obj).get("labels") or {}).get(MANAGED_BY_LABEL) == managed_by


def _prunable(obj, managed_by, frozen) -> bool:
    # Without the producers annotation an object predates this collection's bookkeeping: keep it.
    return (is_ours(obj, managed_by) and not is_opted_out(obj)
            and bool((meta(obj).get("annotations") or {}).get(PRODUCERS_ANNOTATION))
            and model_of(obj) not in frozen)


def plan(desired, live, managed_by, frozen_models=()) -> dict:
    """Split the work. `live` maps identity -> object for every live object of the generated kinds.

    Returns {"apply": [...], "prune": [...], "opted_out": [...], "foreign": [...]} where `apply` are
    desired objects to hand to the batch apply, `prune` live objects to delete, `opted_out` and
    `foreign` refs of desired objects left alone (opted out; existing without our label)."""
    frozen = set(frozen_models)
    wanted = {identity(o) for o in desired}
    result = {"apply": [], "prune": [], "opted_out": [], "foreign": []}
    for obj in desired:
        current = live.get(identity(obj))
        if current is not None and is_opted_out(current):
            result["opted_out"].append(object_ref(obj))
        elif current is not None and not is_ours(current, managed_by):
            result["foreign"].append(object_ref(obj))
        else:
            result["apply"].append(obj)
    for key in sorted(live, key=lambda k: tuple(str(p) for p in k)):
        if key not in wanted and _prunable(live[key], managed_by, frozen):
            result["prune"].append(live[key])
    return result


def frozen_models(translation) -> list:
    """Models whose objects must stay exactly as they are this run (they were skipped: an invalid
    CR names them, or their route or provider is unknown for now)."""
    return sorted({ref(s["namespace"], s["name"]) for s in translation.get("skipped", [])
                   if s.get("kind") == "MaaSModelRef"})


def _targets(policy) -> list:
    spec = policy.get("spec") or {}
    targets = list(spec.get("targetRefs") or [])
    return [spec["targetRef"]] + targets if spec.get("targetRef") else targets


def conflicting_auth_policies(auth_policies, routes, managed_by) -> dict:
    """Foreign AuthPolicies that target a MaaS model's HTTPRoute: {`ns/model`: [`ns/policy`, ...]}.

    `routes` maps each model to its route facts ({name, namespace, ...})."""
    by_route = {}
    for model, route in routes.items():
        by_route.setdefault((route["namespace"], route["name"]), []).append(model)
    conflicts = {}
    for policy in auth_policies:
        if is_ours(policy, managed_by):
            continue
        found = meta(policy)
        for target in _targets(policy):
            if target.get("kind") != "HTTPRoute":
                continue
            for model in by_route.get((found.get("namespace"), target.get("name")), []):
                conflicts.setdefault(model, []).append(ref(found.get("namespace"), found.get("name")))
    return {model: sorted(set(names)) for model, names in sorted(conflicts.items())}
