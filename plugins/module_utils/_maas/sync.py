# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""One reconcile of the MaaS CRs, what module maas_policy_sync runs.

read (a fixed number of LISTs) -> keep the CRs that count (ownership.honoured_resources) -> parse
each once -> decide the gateway and GET it -> resolve routes -> translate -> plan (ownership) ->
apply and prune per group (one per model, one for the gateway) -> write status.

Nothing is changed after a failed read. A group the server refuses is left exactly as it is and
reported (in its MaaSModelRef's status, or the Tenant's for the gateway), while every other group
converges and gets its status; the run then fails, so the job shows it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import apply_objects, summarize_errors
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, identity
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import ref as object_ref
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._maas.gateway import (
    GATEWAY,
    effective_gateway,
    gateway_origin,
    missing_gateway_error,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    APPLIED_DIGEST_ANNOTATION,
    AUTH_POLICY,
    BACKEND_TLS_POLICY,
    EXTERNAL_MODEL,
    GENERATED_KINDS,
    HTTPROUTE,
    KSERVE_ROUTE_SELECTOR,
    MAAS_API_VERSION,
    MAAS_KINDS,
    SERVICE_ENTRY,
    SPEC_OWNED_KINDS,
    ref,
    split_ref,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.ownership import (
    GATEWAY_GROUP,
    TENANT_NAME,
    conflicting_auth_policies,
    frozen_models,
    group_of,
    honoured_resources,
    kept_objects,
    plan,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.routes import resolve_model_routes, route_names
from ansible_collections.modelserving.maas.plugins.module_utils._maas.status import (
    desired_statuses,
    shared_priorities,
    status_differs,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import checked_options, translate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import parse_resources

# The LIST of KServe's routes, apart from the LIST of every HTTPRoute (of which ours are a few).
KSERVE_ROUTES = HTTPROUTE + (KSERVE_ROUTE_SELECTOR,)


def read_cluster(cluster, read_maas) -> dict:
    """Every LIST this run needs, in parallel: {(apiVersion, kind[, selector]): items, or None when
    the cluster does not serve the kind}. Raises ModuleFailure when any LIST fails."""
    reads = [(MAAS_API_VERSION, kind) for kind in MAAS_KINDS] + [EXTERNAL_MODEL] if read_maas else []
    reads += list(GENERATED_KINDS) + [KSERVE_ROUTES]

    def read(spec):
        try:
            return cluster.list(spec[0], spec[1], label_selector=spec[2] if len(spec) > 2 else None)
        except K8sError as err:
            if err.status == 404:
                return None
            raise

    try:
        results = cluster.parallel(read, reads)
    except K8sError as err:
        raise ModuleFailure("Cannot read the cluster: %s" % err)
    errors = ["cannot list %s: %s" % (spec[1], outcome[1]) for spec, outcome in zip(reads, results) if outcome[1]]
    if errors:
        raise ModuleFailure("Cannot read the cluster, nothing was changed: %s" % "; ".join(errors))
    return {spec: outcome[0] for spec, outcome in zip(reads, results)}


def maas_resources(lists) -> list:
    """The MaaS CRs read, failing when the cluster does not serve their CRDs. ExternalModels count
    when the cluster serves them (a cluster installed before their CRD shipped has none)."""
    missing = [kind for kind in MAAS_KINDS if lists[(MAAS_API_VERSION, kind)] is None]
    if missing:
        raise ModuleFailure("The cluster does not serve the MaaS CRDs (%s); run the "
                            "modelserving.maas.prerequisites role first." % ", ".join(missing))
    return [obj for kind in MAAS_KINDS for obj in lists[(MAAS_API_VERSION, kind)]] + (lists[EXTERNAL_MODEL] or [])


def _options(params, resources, lists) -> dict:
    """Checked translation options; `auto` TLS origination is BackendTLSPolicy where it is served,
    and external models get an Istio ServiceEntry where the cluster serves that kind."""
    external_tls = params["external_tls"]
    if external_tls == "auto":
        external_tls = "backendtlspolicy" if lists[BACKEND_TLS_POLICY] is not None else "destinationrule"
    try:
        return checked_options(resources, gateway=params["gateway"], selection=params["selection"],
                               maas_api_url=params["maas_api_url"], audiences=params["audiences"],
                               managed_by=params["managed_by"], tiers=params["tiers"],
                               external_tls=external_tls, cache_ttl=params["cache_ttl"],
                               allow_internal_endpoints=params["allow_internal_endpoints"],
                               service_entry=lists[SERVICE_ENTRY] is not None,
                               external_ca=params["external_ca"])
    except ValueError as err:
        raise ModuleFailure(str(err))


def _live(lists, desired) -> dict:
    """{identity: object} of every live object of the generated kinds; fails when the translation
    needs a kind the cluster does not serve."""
    unserved = sorted({o["kind"] for o in desired if lists.get((o["apiVersion"], o["kind"]), []) is None})
    if unserved:
        raise ModuleFailure("The translation needs kinds this cluster does not serve: %s" % ", ".join(unserved))
    return {identity(obj): obj for kind in GENERATED_KINDS for obj in lists[kind] or []}


def allowed_namespaces(params) -> list:
    """Where MaaSAuthPolicies and MaaSSubscriptions count: allowed_namespaces, else the tenant's."""
    allowed = params["allowed_namespaces"]
    return [params["tenant_namespace"]] if allowed is None else list(allowed)


def trusted(params, resources) -> dict:
    """ownership.honoured_resources with the module's tenant namespace and allowed namespaces."""
    return honoured_resources(resources, params["tenant_namespace"], allowed_namespaces(params))


def gateway_error(cluster, gateway, params, parsed):
    """Why the policies cannot attach to `gateway` (it does not exist: one GET), or None."""
    if gateway is None:
        return None
    try:
        found = cluster.get(GATEWAY[0], GATEWAY[1], gateway["name"], gateway["namespace"])
    except K8sError as err:
        raise ModuleFailure("Cannot read Gateway %s, nothing was changed: %s"
                            % (ref(gateway["namespace"], gateway["name"]), err))
    if found is not None:
        return None
    tenant = ref(params["tenant_namespace"], TENANT_NAME)
    return missing_gateway_error(gateway, gateway_origin(params["gateway"], parsed, tenant))


def held_groups(translation, parsed, gateway, error) -> tuple:
    """(the groups neither applied nor pruned this run, {group: why} of those that fail it).

    Skipped models are held, except those whose ExternalModel is gone (read, not failed to read):
    deleting it stops the route to its provider. Without a valid Tenant there is no gateway to put its
    defaults on, nor to take them from. When the Gateway does not exist, its policies and the routes
    of ExternalModels (parented to it) stay as they are, and the run fails."""
    held = set(frozen_models(translation)) - set(translation.get("unprovided", []))
    if gateway is None:
        held.add(GATEWAY_GROUP)
    failed = {}
    if error:
        failed[GATEWAY_GROUP] = error
        for key, model in sorted(parsed["models"].items()):
            if model["kind"] == "ExternalModel" and ref(*key) not in held:
                failed[ref(*key)] = "its HTTPRoute is parented to the gateway: %s" % error
    return held | set(failed), failed


def credential_secrets(cluster, parsed) -> dict:
    """{(namespace, name): True, False, or why it could not be told} for the credentialRef Secret of
    every ExternalModel a MaaSModelRef names. Read as metadata only: the key never reaches this process."""
    wanted = sorted({(key[0], parsed["externals"][(key[0], model["name"])]["credential"])
                     for key, model in parsed["models"].items()
                     if model["kind"] == "ExternalModel" and (key[0], model["name"]) in parsed["externals"]})
    results = cluster.parallel(lambda secret: cluster.exists("v1", "Secret", secret[1], secret[0]), wanted)
    return {secret: found if error is None else str(error) for secret, (found, error) in zip(wanted, results)}


def write_statuses(cluster, resources, statuses, check_mode) -> tuple:
    """JSON-patch the status subresource of every CR whose status would change:
    (refs written, or in check mode that would be; errors)."""
    pending = [cr for cr in resources if identity(cr) in statuses
               and status_differs(statuses[identity(cr)], cr.get("status"))]

    def write(cr):
        meta = cr["metadata"]
        return cluster.patch(cr["apiVersion"], cr["kind"], meta["name"],
                             [{"op": "add", "path": "/status", "value": statuses[identity(cr)]}],
                             namespace=meta["namespace"], patch_type="json", subresource="status")

    if check_mode:
        return [object_ref(cr) for cr in pending], []
    results = cluster.parallel(write, pending)
    errors = ["%s: cannot write status: %s" % (object_ref(cr), outcome[1])
              for cr, outcome in zip(pending, results) if outcome[1]]
    return [object_ref(cr) for cr, outcome in zip(pending, results) if outcome[1] is None], errors


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _apply(cluster, params, context, work, live, failed) -> tuple:
    """Apply and prune per group; (ApplyResult, {group: why} of every group not converged)."""
    ownership = {"fingerprint": APPLIED_DIGEST_ANNOTATION, "owns_spec": lambda obj: obj["kind"] in SPEC_OWNED_KINDS,
                 "adopt": work["adopt"]}
    applied = apply_objects(cluster, work["apply"], params["field_manager"], force_conflicts=params["force_conflicts"],
                            check_mode=context.check_mode, want_diff=context.diff, live=live, group=group_of,
                            prune=work["prune"] if params["prune"] else [], ownership=ownership)
    for warning in applied.warnings:
        context.warn(warning)
    failed = dict(failed)
    failed.update((group, summarize_errors(messages)) for group, messages in applied.failed_groups.items())
    return applied, failed


def _entry_order(entry) -> tuple:
    return entry["kind"], entry["namespace"], entry["name"], entry.get("reason", "")


def _models(translation, work, failed) -> dict:
    """How many models converged, and each that failed with why, as `failed_models` lists it."""
    models = {group_of(o) for o in translation["objects"] + work["prune"]} - {GATEWAY_GROUP}
    failures = [dict(zip(("namespace", "name"), split_ref(model)), kind="MaaSModelRef", reason=failed[model])
                for model in sorted(failed) if model != GATEWAY_GROUP]
    return {"converged": len(models - set(failed)), "failed": sorted(failures, key=_entry_order)}


def _result(translation, invalid, work, applied, outcome, diff) -> dict:
    models = outcome["models"]
    result = {
        "changed": applied.changed or bool(outcome["status_updated"]),
        "created": applied.created, "updated": applied.updated, "unchanged": applied.unchanged,
        "deleted": applied.deleted, "drifted": applied.reverted, "adopted": applied.adopted,
        "skipped_models": translation["skipped"], "invalid": invalid, "failed_models": models["failed"],
        "missing_models": translation["missing_models"], "conflicts": outcome["conflicts"],
        "left_alone": sorted(work["opted_out"] + work["foreign"]), "status_updated": outcome["status_updated"],
    }
    result["summary"] = {
        "created": len(applied.created), "updated": len(applied.updated), "unchanged": len(applied.unchanged),
        "deleted": len(applied.deleted), "drifted": len(applied.reverted), "adopted": len(applied.adopted),
        "skipped_models": len(translation["skipped"]), "invalid": len(invalid), "conflicts": len(outcome["conflicts"]),
        "status_updated": len(outcome["status_updated"]), "models_converged": models["converged"],
        "models_failed": len(models["failed"]),
    }
    if diff:
        result["diff"] = applied.diff
    return result


def _failure_message(errors, models) -> str:
    if models["failed"]:
        total = len(models["failed"]) + models["converged"]
        return "%d of %d models could not be reconciled and were left as they were; the others converged: %s" % (
            len(models["failed"]), total, summarize_errors(errors))
    return summarize_errors(errors)


def _warn_shared_priorities(context, parsed):
    for _ns, priority, refs in shared_priorities(parsed["subscriptions"]):
        context.warn("MaaSSubscriptions %s share spec.priority %d: for a caller owning several of them the one "
                     "with the largest token limit counts (then the first by namespace/name)" % (", ".join(refs), priority))


def translated(params, resources, lists, context) -> dict:
    """Steps 2 and 3 of a reconcile, which need no cluster: from `resources` and the LISTs `lists`
    (read_cluster's answer, or what module maas_policy_render says a cluster would answer), the
    options, the CRs that count (trust), parsed, the gateway, each model's route (resolved) and the
    translation."""
    options = _options(params, resources, lists)
    trust = trusted(params, resources)
    parsed = parse_resources(trust["honoured"], options["selection"])
    _warn_shared_priorities(context, parsed)
    gateway = effective_gateway(params["gateway"], parsed)
    resolved = resolve_model_routes(parsed["models"], lists[KSERVE_ROUTES] or [], gateway)
    try:
        translation = translate(parsed, route_names(resolved["routes"]), gateway, options)
    except ValueError as err:  # a name no CEL literal can hold that validation let through
        raise ModuleFailure(str(err))
    return {"options": options, "trust": trust, "parsed": parsed, "gateway": gateway, "resolved": resolved,
            "translation": translation}


def run(params, context) -> dict:
    """Reconcile every MaaS CR (or `resources`) into the cluster; the module's result."""
    cluster = context.cluster()
    from_cluster = params["resources"] is None
    lists = read_cluster(cluster, from_cluster)
    resources = maas_resources(lists) if from_cluster else params["resources"]
    steps = translated(params, resources, lists, context)
    options, trust, parsed, gateway = steps["options"], steps["trust"], steps["parsed"], steps["gateway"]
    resolved, translation = steps["resolved"], steps["translation"]
    error = gateway_error(cluster, gateway, params, parsed)

    live = _live(lists, translation["objects"])
    held, failed = held_groups(translation, parsed, gateway, error)
    work = plan(translation["objects"], live, options["managed_by"], held, keep_tiers=params["tiers"] is None,
                kept=kept_objects(translation), namespaces=allowed_namespaces(params))
    applied, failed = _apply(cluster, params, context, work, live, failed)

    routes = dict(resolved["routes"])
    routes.update(translation["external_routes"])
    outcome = {"conflicts": conflicting_auth_policies(lists[AUTH_POLICY] or [], routes, options["managed_by"]),
               "models": _models(translation, work, failed), "status_updated": []}
    status_errors = []
    if from_cluster and params["write_status"]:
        facts = {"routes": routes, "unresolved": resolved["unresolved"], "conflicts": outcome["conflicts"],
                 "refused": trust["refused"], "failed": failed, "gateway_error": error,
                 "secrets": credential_secrets(cluster, parsed)}
        statuses = desired_statuses(resources, parsed, translation, facts, _now())
        if not params.get("tenant_status", True):
            statuses = {key: status for key, status in statuses.items() if key[1] != "Tenant"}
        outcome["status_updated"], status_errors = write_statuses(cluster, resources, statuses, context.check_mode)

    invalid = sorted(translation["invalid"] + trust["refused"], key=_entry_order)
    result = _result(translation, invalid, work, applied, outcome, context.diff)
    errors = ([error] if error else []) + applied.errors + status_errors
    if errors:
        raise ModuleFailure(_failure_message(errors, outcome["models"]), errors=errors, **result)
    return result
