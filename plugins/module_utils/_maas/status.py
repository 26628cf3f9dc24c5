# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The status a reconcile writes back to each MaaS CR: a phase, a Ready condition, and per kind
what was generated for it.

Every decision reads structured results (trust, validation, route resolution, translation, what
the server refused), never the text of a message; messages are only copied into conditions for
people to read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    AUTH_POLICY,
    MAAS_API_VERSION,
    TOKEN_RATE_LIMIT_POLICY,
    auth_policy_name,
    namespace_name,
    ref,
    split_ref,
    trlp_name,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.ownership import GATEWAY_GROUP
from ansible_collections.modelserving.maas.plugins.module_utils._maas.routes import NO_ROUTE, NOT_ATTACHED

# A model without a route: (phase, Ready reason) by the reason route resolution gave.
_ROUTE_PROBLEMS = {NO_ROUTE: ("Pending", "WaitingForHTTPRoute"), NOT_ATTACHED: ("Failed", "GatewayMismatch")}
_MESSAGE_LIMIT = 32768  # metav1.Condition's maximum message length


def condition(ctype, status, reason, message, generation, previous, now) -> dict:
    """A metav1.Condition; lastTransitionTime moves only when the status changes."""
    before = next((c for c in previous or [] if c.get("type") == ctype), None)
    since = before["lastTransitionTime"] if before and before.get("status") == status and \
        before.get("lastTransitionTime") else now
    return {"type": ctype, "status": status, "reason": reason, "message": message[:_MESSAGE_LIMIT],
            "observedGeneration": generation or 0, "lastTransitionTime": since}


def shared_priorities(subscriptions) -> list:
    """[(namespace, priority, [refs])] for every spec.priority that several subscriptions of one
    namespace share; the order among them is then a tie-break (largest limit, then name)."""
    by_priority = {}
    for sub in subscriptions:
        by_priority.setdefault((sub["namespace"], sub["priority"]), []).append(sub["ref"])
    return [(ns, priority, sorted(refs)) for (ns, priority), refs in sorted(by_priority.items()) if len(refs) > 1]


def _findings(parsed, translation, facts) -> dict:
    """What the run found, indexed the way the status of one CR looks it up."""
    missing, peers = {}, {}
    for entry in translation.get("missing_models", []):
        missing.setdefault((entry["kind"], entry["namespace"], entry["name"]), []).append(entry["model"])
    for _ns, priority, refs in shared_priorities(parsed["subscriptions"]):
        for sub in refs:
            peers[sub] = (priority, [r for r in refs if r != sub])
    return {
        "invalid": {(i["kind"], i["namespace"], i["name"]): i["reason"] for i in translation.get("invalid", [])},
        "refused": {(r["kind"], r["namespace"], r["name"]): r["reason"] for r in facts.get("refused", [])},
        "failed": facts.get("failed", {}),
        "gateway_error": facts.get("gateway_error"),
        "peers": peers,
        "missing": missing,
        "skipped": {ref(s["namespace"], s["name"]): s["reason"] for s in translation.get("skipped", [])
                    if s.get("kind") == "MaaSModelRef"},
        "generated": {identity(o) for o in translation.get("objects", [])},
        "models": parsed["models"],
        "named": parsed["named_models"],
        "routes": facts["routes"],
        "unresolved": facts["unresolved"],
        "conflicts": facts["conflicts"],
        "externals": parsed.get("externals", {}),
        "secrets": facts.get("secrets") or {},
    }


def _route_fields(route=None) -> dict:
    route = route or {"name": "", "namespace": "", "gateway": {"name": "", "namespace": ""}, "hostnames": []}
    return {"httpRouteName": route["name"], "httpRouteNamespace": route["namespace"],
            "httpRouteGatewayName": route["gateway"]["name"], "httpRouteGatewayNamespace": route["gateway"]["namespace"],
            "httpRouteHostnames": list(route.get("hostnames") or [])}


def _model_ref_status(key, found):
    """MaaSModelRef: Ready once policies are on its route; else why not."""
    model_ref = ref(key[1], key[2])
    status = dict({"endpoint": ""}, **_route_fields())
    invalid = found["invalid"].get(key)
    if invalid:
        phase, reason, message = "Failed", "InvalidSpec", invalid
    elif model_ref in found["failed"]:
        phase, reason, message = "Failed", "ReconcileFailed", found["failed"][model_ref]
    elif model_ref in found["unresolved"]:
        problem = found["unresolved"][model_ref]
        (phase, reason), message = _ROUTE_PROBLEMS[problem["reason"]], problem["message"]
    elif model_ref in found["skipped"]:
        phase, reason, message = "Failed", "PolicyInvalid", found["skipped"][model_ref]
    elif model_ref in found["routes"]:
        route = found["routes"][model_ref]
        phase, reason, message = "Ready", "Reconciled", "policies applied to HTTPRoute %s" % route["name"]
        status.update(_route_fields(route))
        override = found["models"][(key[1], key[2])]["endpoint_override"]
        status["endpoint"] = override or (
            "https://%s/%s" % (route["hostnames"][0], model_ref) if route.get("hostnames") else "")
    else:
        phase, reason, message = "Pending", "WaitingForHTTPRoute", "no HTTPRoute resolved yet"
    status["phase"] = phase
    return status, [("Ready", "True" if phase == "Ready" else "False", reason, message)]


def _phase_for_refs(refs, missing, failed) -> tuple:
    """(phase, ready status, reason, message) of a valid MaaSAuthPolicy or MaaSSubscription whose
    `missing` models have no MaaSModelRef or route and whose `failed` models' policies were refused."""
    parts = []
    if missing:
        parts.append("%d of %d model references are missing: %s" % (len(missing), len(refs), ", ".join(missing)))
    if failed:
        parts.append("the policies of %d of %d models could not be applied (see their MaaSModelRef status): %s"
                     % (len(failed), len(refs), ", ".join(failed)))
    if refs and len(missing) + len(failed) >= len(refs):
        message = "; ".join(parts) if failed else "all %d model references are invalid or missing: %s" % (
            len(refs), ", ".join(missing))
        return "Failed", "False", "ReconcileFailed", message
    if parts:
        return "Degraded", "False", "PartialFailure", "; ".join(parts)
    return "Active", "True", "Reconciled", "successfully reconciled"


def _model_users(key, found) -> tuple:
    """(refs, missing refs, refs whose policies should exist, phase, Ready condition) of a CR naming models."""
    refs = sorted(set(ref(*model) for model in found["named"].get(key, [])))
    gone = sorted(set(found["missing"].get(key, [])))
    refused, invalid = found["refused"].get(key), found["invalid"].get(key)
    if refused or invalid:
        reason = "NamespaceNotAllowed" if refused else "InvalidSpec"
        return refs, gone, [], "Failed", ("Ready", "False", reason, refused or invalid)
    failed = [r for r in refs if r in found["failed"] and r not in gone]
    phase, ready, reason, message = _phase_for_refs(refs, gone, failed)
    return refs, gone, [r for r in refs if r not in gone], phase, ("Ready", ready, reason, message)


def _generated_refs(api_kind, name_of, models, found, with_model_namespace=False) -> list:
    """Per model, the policy generated for it (`name_of` its name) and whether it exists."""
    entries = []
    for model in models:
        ns, name = split_ref(model)
        policy = name_of((ns, name))
        failed = found["failed"].get(model)
        exists = (api_kind[0], api_kind[1], ns, policy) in found["generated"] and not failed
        why = failed or found["skipped"].get(model, "the model has no resolved HTTPRoute")
        entry = {"name": policy, "namespace": ns, "ready": exists, "model": name,
                 "reason": "Applied" if exists else "ApplyFailed" if failed else "NotApplied",
                 "message": "" if exists else why[:1024]}
        if with_model_namespace:
            entry["modelNamespace"] = ns
        entries.append(entry)
    return entries


def _auth_policy_status(key, found):
    """MaaSAuthPolicy: its models' AuthPolicies, and whether AuthPolicies not managed by MaaS target them."""
    _refs, _gone, present, phase, ready = _model_users(key, found)
    clashing = sorted({"%s (on %s)" % (p, m) for m in present for p in found["conflicts"].get(m, [])})
    conflict = ("ConflictingAuthPolicy", "True" if clashing else "False",
                "ConflictFound" if clashing else "NoConflict",
                ("AuthPolicies not managed by MaaS target MaaS model routes: " + ", ".join(clashing))
                if clashing else "no other AuthPolicy targets these models' routes")
    status = {"phase": phase,
              "authPolicies": _generated_refs(AUTH_POLICY, auth_policy_name, present, found, with_model_namespace=True)}
    return status, [ready, conflict]


def _subscription_status(key, found):
    """MaaSSubscription: each model reference, and its models' TokenRateLimitPolicies."""
    refs, gone, present, phase, ready = _model_users(key, found)
    model_statuses = []
    for model in refs:
        ns, name = split_ref(model)
        model_statuses.append({"name": name, "namespace": ns, "ready": model not in gone,
                               "reason": "NotFound" if model in gone else "Valid"})
    status = {"phase": phase, "modelRefStatuses": model_statuses,
              "tokenRateLimitStatuses": _generated_refs(TOKEN_RATE_LIMIT_POLICY, trlp_name, present, found)}
    return status, [ready, _priority_condition(key, found)]


def _priority_condition(key, found):
    """SpecPriorityDuplicate, as the reference controller sets it: peers of this namespace sharing spec.priority."""
    shared = found["peers"].get(ref(key[1], key[2]))
    if shared:
        return ("SpecPriorityDuplicate", "True", "SharedPriority",
                "spec.priority %d is shared with: %s" % (shared[0], ", ".join(shared[1])))
    return ("SpecPriorityDuplicate", "False", "NoDuplicatePeers",
            "no other MaaSSubscription in namespace %s that counts has the same spec.priority" % key[1])


def _tenant_status(key, found):
    """Tenant: Active once its gateway's defaults are applied; Failed when it is ignored, invalid,
    names a Gateway that does not exist or its gateway's policies were refused."""
    problems = (("IgnoredTenant", found["refused"].get(key)), ("InvalidSpec", found["invalid"].get(key)),
                ("GatewayNotFound", found["gateway_error"]), ("ReconcileFailed", found["failed"].get(GATEWAY_GROUP)))
    reason, message = next(((r, m) for r, m in problems if m), ("Reconciled", "gateway defaults applied"))
    ready = "True" if reason == "Reconciled" else "False"
    return {"phase": "Active" if ready == "True" else "Failed"}, [("Ready", ready, reason, message)]


_NOT_INJECTED = ("the provider credential (Secret %s, key api-key) is not attached to requests: no Gateway API, "
                 "Istio or Kuadrant object can take a header value from a Secret, and MaaS never copies it into "
                 "one. Upstream's payload-processing component injects it; without it the provider receives "
                 "requests without its API key")


def _credential_condition(ns, target, found):
    """CredentialInjected of a model of kind ExternalModel: never True, because nothing this collection
    generates can attach the provider's key (see the README, external models)."""
    external = found["externals"].get((ns, target))
    if external is None:
        return ("CredentialInjected", "False", "NotSupported",
                "ExternalModel %s is missing or invalid: no provider credential is known" % ref(ns, target))
    secret = ref(ns, external["credential"])
    exists = found["secrets"].get((ns, external["credential"]))
    prefix = ""
    if exists is False:
        prefix = "Secret %s named by ExternalModel %s spec.credentialRef does not exist; " % (secret, ref(ns, target))
    elif isinstance(exists, str):
        prefix = "cannot tell whether Secret %s exists (%s); " % (secret, exists)
    return "CredentialInjected", "False", "NotSupported", prefix + _NOT_INJECTED % secret


def _model_ref_and_credential_status(key, found):
    status, conditions = _model_ref_status(key, found)
    model = found["models"].get((key[1], key[2]))
    if model is not None and model["kind"] == "ExternalModel":
        conditions.append(_credential_condition(key[1], model["name"], found))
    return status, conditions


_STATUS_OF = {
    "MaaSModelRef": _model_ref_and_credential_status,
    "MaaSAuthPolicy": _auth_policy_status,
    "MaaSSubscription": _subscription_status,
    "Tenant": _tenant_status,
}


def desired_statuses(resources, parsed, translation, facts, now) -> dict:
    """{identity of CR: desired status} for every MaaS CR of `resources` (as read from the cluster).

    `parsed` is validate.parse_resources of the honoured ones and `translation` translate.translate
    of that; `facts` is {"routes": {"ns/model": route facts}, "unresolved": {"ns/model": reason},
    "conflicts": {"ns/model": [foreign AuthPolicy]}} and optionally "refused" (the refused entries of
    ownership.honoured_resources), "failed" ({group: message} of the groups not applied) and
    "gateway_error" (why the gateway step failed).
    """
    found = _findings(parsed, translation, facts)
    statuses = {}
    for cr in resources:
        status_of = _STATUS_OF.get(cr.get("kind"))
        if status_of is None:
            continue
        key = (cr["kind"],) + namespace_name(cr)
        status, conditions = status_of(key, found)
        generation = (cr.get("metadata") or {}).get("generation")
        previous = (cr.get("status") or {}).get("conditions") or []
        status["conditions"] = [condition(ctype, ready, reason, message, generation, previous, now)
                                for ctype, ready, reason, message in conditions]
        statuses[(MAAS_API_VERSION,) + key] = status
    return statuses


def status_differs(desired, live_status) -> bool:
    """Whether writing `desired` would change the live status (condition timestamps aside)."""
    def strip(status):
        clean = copy.deepcopy(status or {})
        for c in clean.get("conditions") or []:
            c.pop("lastTransitionTime", None)
        return clean

    return strip(desired) != strip(live_status)
