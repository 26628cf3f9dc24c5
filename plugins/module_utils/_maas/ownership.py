# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Which CRs a reconcile honours, which objects it may write or delete, and which foreign
AuthPolicies get in its way.

Trust rules (any namespace user can create MaaS CRs; only some may configure MaaS):
- one Tenant counts, `<tenant namespace>/default-tenant`; any other is ignored, so nobody can move
  the gateway by creating a Tenant of their own;
- MaaSAuthPolicies and MaaSSubscriptions count only in the allowed namespaces; elsewhere they grant
  nothing and block nothing (they do not even hold back the models they name).

Ownership rules:
- a generated object is ours when it carries `app.kubernetes.io/managed-by: <managed_by>`;
- `opendatahub.io/managed: "false"` (label or annotation) opts an object out: never updated,
  never deleted;
- an object that already exists under a generated name without our label belongs to someone
  else: it is left alone and reported;
- objects are applied and pruned in groups, one per model (its model labels) and one for the
  gateway-level objects; a held group (a model whose MaaSModelRef or ExternalModel failed
  validation or has no route, the gateway when it is unknown) is neither applied nor pruned, so its
  policies are kept as they are until it is fixed;
- a kept object (a model's policy that only invalid CRs still ask for) is neither applied nor
  pruned either, while the rest of its model converges;
- pruning considers only our objects that also carry a producers list: our producers annotation,
  or on an object the reference controller wrote, its `auth-policies` / `subscriptions` annotation;
- the reference controller's objects (our managed-by label, its part-of label or annotation, no
  producers annotation of ours) are adopted: applied with force, so no conflict with its field
  manager stops the first run, and what it set under `spec` that we do not is removed.

The reference controller's early releases list bare CR names (`gold`); a bare name stands for a CR of
that name in each namespace this run honours MaaSAuthPolicies and MaaSSubscriptions from (the
allowed namespaces), since those are where its CRs can be.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import ref as object_ref
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    AUTH_POLICIES_ANNOTATION,
    AUTH_POLICY,
    MANAGED_BY_LABEL,
    MODEL_LABEL,
    MODEL_NAMESPACE_LABEL,
    OPT_OUT_KEY,
    PART_OF_LABEL,
    PRODUCERS_ANNOTATION,
    SUBSCRIPTIONS_ANNOTATION,
    TIER_USAGE,
    TOKEN_RATE_LIMIT_POLICY,
    UPSTREAM_PART_OF,
    meta,
    namespace_name,
    ref,
)

TENANT_NAME = "default-tenant"
# The group of the gateway-level objects. A model's group is `ns/name`, which always holds a '/'.
GATEWAY_GROUP = "gateway"
_CONFINED_KINDS = ("MaaSAuthPolicy", "MaaSSubscription")


def honoured_resources(resources, tenant_namespace, allowed_namespaces) -> dict:
    """The MaaS CRs this run acts on, and those it refuses: {"honoured": [CR], "refused":
    [{kind, namespace, name, reason}]}. Other kinds pass through untouched."""
    allowed = sorted(set(allowed_namespaces))
    honoured, refused = [], []
    for obj in resources:
        kind = obj.get("kind")
        ns, name = namespace_name(obj)
        if kind == "Tenant" and (ns, name) != (tenant_namespace, TENANT_NAME):
            reason = "ignored: only Tenant %s configures MaaS" % ref(tenant_namespace, TENANT_NAME)
        elif kind in _CONFINED_KINDS and ns not in allowed:
            reason = "namespace %s is not allowed: %s are honoured only in %s" % (
                ns, " and ".join(_CONFINED_KINDS), ", ".join(allowed) or "no namespace")
        else:
            honoured.append(obj)
            continue
        refused.append({"kind": kind, "namespace": ns, "name": name,
                        "reason": "%s %s: %s" % (kind, ref(ns, name), reason)})
    return {"honoured": honoured, "refused": refused}


def group_of(obj) -> str:
    """The group a generated object is applied and pruned with: its model, or GATEWAY_GROUP. The
    model's namespace is the object's own when the label is missing (the reference controller's
    early objects carry only the model label)."""
    found = meta(obj).get("labels") or {}
    if not found.get(MODEL_LABEL):
        return GATEWAY_GROUP
    return ref(found.get(MODEL_NAMESPACE_LABEL) or namespace_name(obj)[0], found[MODEL_LABEL])


def is_tier_policy(obj) -> bool:
    return group_of(obj) == GATEWAY_GROUP and meta(obj).get("name") == TIER_USAGE


def is_opted_out(obj) -> bool:
    found = meta(obj)
    return "false" in ((found.get("labels") or {}).get(OPT_OUT_KEY), (found.get("annotations") or {}).get(OPT_OUT_KEY))


def is_ours(obj, managed_by) -> bool:
    return (meta(obj).get("labels") or {}).get(MANAGED_BY_LABEL) == managed_by


def producers_of(obj, namespaces) -> list:
    """The CRs (`ns/name`) that produced a generated object: our producers annotation, else the
    reference controller's list, a bare name standing for that name in each of `namespaces`."""
    annotations = meta(obj).get("annotations") or {}
    text = annotations.get(PRODUCERS_ANNOTATION)
    if text is None:
        text = annotations.get(AUTH_POLICIES_ANNOTATION) or annotations.get(SUBSCRIPTIONS_ANNOTATION) or ""
    found = set()
    for item in (part.strip() for part in str(text).split(",")):
        if item:
            found.update([item] if "/" in item else [ref(ns, item) for ns in namespaces])
    return sorted(found)


def is_upstream_object(obj, managed_by) -> bool:
    """An object the reference controller wrote: our managed-by label, its part-of label or producer
    annotation, and no producers annotation of ours."""
    annotations, found = meta(obj).get("annotations") or {}, meta(obj).get("labels") or {}
    return (is_ours(obj, managed_by) and PRODUCERS_ANNOTATION not in annotations
            and (found.get(PART_OF_LABEL) in UPSTREAM_PART_OF
                 or AUTH_POLICIES_ANNOTATION in annotations or SUBSCRIPTIONS_ANNOTATION in annotations))


def _prunable(obj, managed_by, held, keep_tiers, namespaces) -> bool:
    # Without a producers list an object predates this collection's bookkeeping: keep it.
    return (is_ours(obj, managed_by) and not is_opted_out(obj) and bool(producers_of(obj, namespaces))
            and group_of(obj) not in held and not (keep_tiers and is_tier_policy(obj)))


def plan(desired, live, managed_by, held=(), keep_tiers=False, kept=(), namespaces=()) -> dict:
    """Split the work. `live` maps identity -> object for every live object of the generated kinds;
    the objects of the `held` groups are neither applied nor pruned, nor are the `kept` objects
    (identities); `keep_tiers`: this run does not manage the tier policies, so they are never pruned;
    `namespaces`: where the reference controller's bare producer names are looked for.

    Returns {"apply": [...], "prune": [...], "opted_out": [...], "foreign": [...], "adopt": {...}}
    where `apply` are desired objects to hand to the batch apply, `prune` live objects to delete,
    `opted_out` and `foreign` refs of desired objects left alone (opted out; existing without our
    label) and `adopt` the identities of the reference controller's objects that `apply` takes over."""
    held = set(held)
    wanted = {identity(o) for o in desired}
    result = {"apply": [], "prune": [], "opted_out": [], "foreign": [], "adopt": set()}
    for obj in desired:
        current = live.get(identity(obj))
        if group_of(obj) in held:
            continue
        if current is not None and is_opted_out(current):
            result["opted_out"].append(object_ref(obj))
        elif current is not None and not is_ours(current, managed_by):
            result["foreign"].append(object_ref(obj))
        else:
            result["apply"].append(obj)
            if current is not None and is_upstream_object(current, managed_by):
                result["adopt"].add(identity(obj))
    for key in sorted(live, key=lambda k: tuple(str(p) for p in k)):
        if key not in wanted and key not in kept and _prunable(live[key], managed_by, held, keep_tiers, namespaces):
            result["prune"].append(live[key])
    return result


def frozen_models(translation) -> list:
    """Models whose objects must stay exactly as they are this run (they were skipped: an invalid
    CR names them, or their route or provider is unknown for now)."""
    return sorted({ref(s["namespace"], s["name"]) for s in translation.get("skipped", [])
                   if s.get("kind") == "MaaSModelRef"})


_POLICY_KINDS = {AUTH_POLICY[1]: AUTH_POLICY, TOKEN_RATE_LIMIT_POLICY[1]: TOKEN_RATE_LIMIT_POLICY}


def kept_objects(translation) -> set:
    """Identities of the policies to keep exactly as they are this run: only invalid CRs still ask
    for them (translation lists them in `skipped` under their own kind)."""
    return {_POLICY_KINDS[s["kind"]] + (s["namespace"], s["name"]) for s in translation.get("skipped", [])
            if s.get("kind") in _POLICY_KINDS}


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
