# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconciling MaaS CRs (SPEC section 5), the decisions: what to apply, what to prune, what status
to write back, which foreign AuthPolicies conflict. Pure functions; the module
`maas_policy_sync` does the reading and writing around them.

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

import copy

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity, ref
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import (
    MODEL_LABEL,
    MODEL_NAMESPACE_LABEL,
    PRODUCERS_ANNOTATION,
)

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
OPT_OUT_KEY = "opendatahub.io/managed"
MAAS_API_VERSION = "maas.opendatahub.io/v1alpha1"
MAAS_KINDS = ("Tenant", "MaaSModelRef", "MaaSAuthPolicy", "MaaSSubscription")
# (apiVersion, kind) of everything the translation can generate; each is listed once per run.
GENERATED_KINDS = (
    ("kuadrant.io/v1", "AuthPolicy"),
    ("kuadrant.io/v1alpha1", "TokenRateLimitPolicy"),
    ("kuadrant.io/v1", "RateLimitPolicy"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("v1", "Service"),
    ("networking.istio.io/v1", "DestinationRule"),
    ("gateway.networking.k8s.io/v1", "BackendTLSPolicy"),
)
KSERVE_ROUTE_SELECTOR = ("app.kubernetes.io/component=llminferenceservice-router,"
                         "app.kubernetes.io/part-of=llminferenceservice")


def _meta(obj):
    return obj.get("metadata") or {}


def _key(namespace, name):
    return "%s/%s" % (namespace, name)


def is_opted_out(obj):
    meta = _meta(obj)
    return "false" in ((meta.get("labels") or {}).get(OPT_OUT_KEY), (meta.get("annotations") or {}).get(OPT_OUT_KEY))


def is_ours(obj, managed_by):
    return (_meta(obj).get("labels") or {}).get(MANAGED_BY_LABEL) == managed_by


def model_of(obj):
    """`ns/name` of the model a generated object belongs to, or None for gateway-level objects."""
    labels = _meta(obj).get("labels") or {}
    if labels.get(MODEL_LABEL) and labels.get(MODEL_NAMESPACE_LABEL):
        return _key(labels[MODEL_NAMESPACE_LABEL], labels[MODEL_LABEL])
    return None


def plan(desired, live, managed_by, frozen_models=()):
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
            result["opted_out"].append(ref(obj))
        elif current is not None and not is_ours(current, managed_by):
            result["foreign"].append(ref(obj))
        else:
            result["apply"].append(obj)
    for key in sorted(live, key=lambda k: tuple(str(p) for p in k)):
        obj = live[key]
        if key in wanted or not is_ours(obj, managed_by) or is_opted_out(obj):
            continue
        if not (_meta(obj).get("annotations") or {}).get(PRODUCERS_ANNOTATION):
            continue
        if model_of(obj) in frozen:
            continue
        result["prune"].append(obj)
    return result


def frozen_models(translation):
    """Models whose objects must stay exactly as they are this run (their CRs failed validation)."""
    return sorted({_key(s["namespace"], s["name"]) for s in translation.get("skipped", [])
                   if s.get("kind") == "MaaSModelRef"})


def model_routes(resolved, generated, httproutes, gateway):
    """`ns/model` -> {name, namespace, gateway, hostnames} of each model's HTTPRoute: the KServe
    routes resolved from the cluster and the ExternalModel routes this collection generates."""
    live = {(_meta(r).get("namespace"), _meta(r).get("name")): r for r in httproutes}
    routes = {}
    for model, name in resolved.items():
        namespace = model.split("/", 1)[0]
        route = live.get((namespace, name)) or {}
        routes[model] = {"name": name, "namespace": namespace, "gateway": dict(gateway),
                         "hostnames": list((route.get("spec") or {}).get("hostnames") or [])}
    for obj in generated:
        model = model_of(obj)
        if obj.get("kind") == "HTTPRoute" and model and model not in routes:
            routes[model] = {"name": _meta(obj)["name"], "namespace": _meta(obj)["namespace"],
                             "gateway": dict(gateway), "hostnames": list((obj.get("spec") or {}).get("hostnames") or [])}
    return routes


def conflicting_auth_policies(auth_policies, routes, managed_by):
    """Foreign AuthPolicies that target a MaaS model's HTTPRoute: {`ns/model`: [`ns/policy`, ...]}."""
    by_route = {}
    for model, route in routes.items():
        by_route.setdefault((route["namespace"], route["name"]), []).append(model)
    conflicts = {}
    for policy in auth_policies:
        if is_ours(policy, managed_by):
            continue
        meta = _meta(policy)
        targets = (policy.get("spec") or {}).get("targetRefs") or []
        single = (policy.get("spec") or {}).get("targetRef")
        if single:
            targets = [single] + list(targets)
        for target in targets:
            if target.get("kind") != "HTTPRoute":
                continue
            for model in by_route.get((meta.get("namespace"), target.get("name")), []):
                conflicts.setdefault(model, []).append(_key(meta.get("namespace"), meta.get("name")))
    return {model: sorted(set(names)) for model, names in sorted(conflicts.items())}


# ---------------------------------------------------------------------------------------------
# status


def condition(ctype, status, reason, message, generation, previous, now):
    """A metav1.Condition; lastTransitionTime moves only when the status changes."""
    before = next((c for c in previous or [] if c.get("type") == ctype), None)
    since = before["lastTransitionTime"] if before and before.get("status") == status and \
        before.get("lastTransitionTime") else now
    return {"type": ctype, "status": status, "reason": reason, "message": message[:32768],
            "observedGeneration": generation or 0, "lastTransitionTime": since}


def _refs(cr):
    return [_key(r.get("namespace"), r.get("name")) for r in (cr.get("spec") or {}).get("modelRefs") or []
            if isinstance(r, dict)]


def _phase_for_refs(refs, missing, invalid_reason):
    """(phase, ready status, reason, message) of a MaaSAuthPolicy or MaaSSubscription."""
    if invalid_reason:
        return "Failed", "False", "InvalidSpec", invalid_reason
    if refs and len(missing) >= len(refs):
        return "Failed", "False", "ReconcileFailed", "all %d model references are invalid or missing: %s" % (
            len(refs), ", ".join(missing))
    if missing:
        return "Degraded", "False", "PartialFailure", "%d of %d model references are missing: %s" % (
            len(missing), len(refs), ", ".join(missing))
    return "Active", "True", "Reconciled", "successfully reconciled"


def desired_statuses(resources, translation, routes, unresolved, conflicts, now):
    """{identity of CR: desired status} for every MaaS CR read from the cluster."""
    invalid = {(i["kind"], i["namespace"], i["name"]): i["reason"] for i in translation.get("invalid", [])}
    missing = {}
    for entry in translation.get("missing_models", []):
        missing.setdefault((entry["kind"], entry["namespace"], entry["name"]), []).append(entry["model"])
    skipped = {_key(s["namespace"], s["name"]): s["reason"] for s in translation.get("skipped", [])
               if s.get("kind") == "MaaSModelRef"}
    generated = {ref(o) for o in translation.get("objects", [])}
    statuses = {}
    for cr in resources:
        kind, meta = cr.get("kind"), _meta(cr)
        ns, name, generation = meta.get("namespace"), meta.get("name"), meta.get("generation")
        previous = (cr.get("status") or {}).get("conditions") or []
        invalid_reason = invalid.get((kind, ns, name))
        if kind == "MaaSModelRef":
            status = _model_ref_status(cr, routes, unresolved, skipped, invalid_reason)
            status["conditions"] = [condition("Ready", "True" if status["phase"] == "Ready" else "False",
                                              status.pop("reason"), status.pop("message"), generation, previous, now)]
        elif kind in ("MaaSAuthPolicy", "MaaSSubscription"):
            refs = sorted(set(_refs(cr)))
            gone = sorted(set(missing.get((kind, ns, name), [])))
            phase, ready, reason, message = _phase_for_refs(refs, gone, invalid_reason)
            status = {"phase": phase,
                      "conditions": [condition("Ready", ready, reason, message, generation, previous, now)]}
            present = [r for r in refs if r not in gone and not invalid_reason]
            if kind == "MaaSAuthPolicy":
                status["authPolicies"] = _generated_refs("AuthPolicy", "maas-auth-", present, generated, skipped,
                                                         with_model_namespace=True)
                clashing = sorted({"%s (on %s)" % (p, m) for m in present for p in conflicts.get(m, [])})
                status["conditions"].append(condition(
                    "ConflictingAuthPolicy", "True" if clashing else "False",
                    "ConflictFound" if clashing else "NoConflict",
                    ("AuthPolicies not managed by MaaS target MaaS model routes: " + ", ".join(clashing))
                    if clashing else "no other AuthPolicy targets these models' routes",
                    generation, previous, now))
            else:
                status["modelRefStatuses"] = [
                    {"name": r.split("/", 1)[1], "namespace": r.split("/", 1)[0], "ready": r not in gone,
                     "reason": "NotFound" if r in gone else "Valid"} for r in refs]
                status["tokenRateLimitStatuses"] = _generated_refs("TokenRateLimitPolicy", "maas-trlp-", present,
                                                                   generated, skipped)
        elif kind == "Tenant":
            phase = "Failed" if invalid_reason else "Active"
            status = {"phase": phase, "conditions": [condition(
                "Ready", "False" if invalid_reason else "True", "InvalidSpec" if invalid_reason else "Reconciled",
                invalid_reason or "gateway defaults applied", generation, previous, now)]}
        else:
            continue
        statuses[(MAAS_API_VERSION, kind, ns, name)] = status
    return statuses


def _generated_refs(kind, prefix, models, generated, skipped, with_model_namespace=False):
    entries = []
    for model in models:
        ns, name = model.split("/", 1)
        policy = prefix + name
        exists = "%s %s/%s" % (kind, ns, policy) in generated
        entry = {"name": policy, "namespace": ns, "ready": exists, "model": name,
                 "reason": "Applied" if exists else "NotApplied",
                 "message": "" if exists else skipped.get(model, "the model has no resolved HTTPRoute")[:1024]}
        if with_model_namespace:
            entry["modelNamespace"] = ns
        entries.append(entry)
    return entries


def _model_ref_status(cr, routes, unresolved, skipped, invalid_reason):
    meta, spec = _meta(cr), cr.get("spec") or {}
    key = _key(meta.get("namespace"), meta.get("name"))
    override = spec.get("endpointOverride") or ""
    status = {"endpoint": "", "httpRouteName": "", "httpRouteNamespace": "", "httpRouteGatewayName": "",
              "httpRouteGatewayNamespace": "", "httpRouteHostnames": []}
    if invalid_reason:
        status.update(phase="Failed", reason="InvalidSpec", message=invalid_reason)
    elif key in unresolved:
        waiting = unresolved[key].startswith("no HTTPRoute")
        status.update(phase="Pending" if waiting else "Failed",
                      reason="WaitingForHTTPRoute" if waiting else "GatewayMismatch", message=unresolved[key])
    elif key in skipped:
        status.update(phase="Failed", reason="PolicyInvalid", message=skipped[key])
    elif key in routes:
        route = routes[key]
        status.update(phase="Ready", reason="Reconciled", message="policies applied to HTTPRoute %s" % route["name"],
                      httpRouteName=route["name"], httpRouteNamespace=route["namespace"],
                      httpRouteGatewayName=route["gateway"]["name"],
                      httpRouteGatewayNamespace=route["gateway"]["namespace"],
                      httpRouteHostnames=list(route.get("hostnames") or []))
        status["endpoint"] = override or (
            "https://%s/%s" % (route["hostnames"][0], key) if route.get("hostnames") else "")
    else:
        status.update(phase="Pending", reason="WaitingForHTTPRoute", message="no HTTPRoute resolved yet")
    return status


def status_differs(desired, live_status):
    """Whether writing `desired` would change the live status (condition timestamps aside)."""
    def strip(status):
        clean = copy.deepcopy(status or {})
        for c in clean.get("conditions") or []:
            c.pop("lastTransitionTime", None)
        return clean

    return strip(desired) != strip(live_status)
