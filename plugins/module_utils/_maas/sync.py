# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""One reconcile of the MaaS CRs, what module maas_policy_sync runs.

read (a fixed number of LISTs) -> parse every CR once -> decide the gateway -> resolve routes ->
translate -> plan (ownership) -> apply -> prune -> write status. Nothing is pruned after a failed
read or apply, and no status is written after a failed apply or prune.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import (
    ApplyResult,
    apply_objects,
    delete_objects,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, identity
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import ref as object_ref
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._maas.gateway import effective_gateway
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    AUTH_POLICY,
    BACKEND_TLS_POLICY,
    GENERATED_KINDS,
    HTTPROUTE,
    KSERVE_ROUTE_SELECTOR,
    MAAS_API_VERSION,
    MAAS_KINDS,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.ownership import (
    conflicting_auth_policies,
    frozen_models,
    plan,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.routes import resolve_model_routes, route_names
from ansible_collections.modelserving.maas.plugins.module_utils._maas.status import desired_statuses, status_differs
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import checked_options, translate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import parse_resources

# The LIST of KServe's routes, apart from the LIST of every HTTPRoute (of which ours are a few).
KSERVE_ROUTES = HTTPROUTE + (KSERVE_ROUTE_SELECTOR,)


def read_cluster(cluster, read_maas) -> dict:
    """Every LIST this run needs, in parallel: {(apiVersion, kind[, selector]): items, or None when
    the cluster does not serve the kind}. Raises ModuleFailure when any LIST fails."""
    reads = [(MAAS_API_VERSION, kind) for kind in MAAS_KINDS] if read_maas else []
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
    """The MaaS CRs read, failing when the cluster does not serve their CRDs."""
    missing = [kind for kind in MAAS_KINDS if lists[(MAAS_API_VERSION, kind)] is None]
    if missing:
        raise ModuleFailure("The cluster does not serve the MaaS CRDs (%s); run the "
                            "modelserving.maas.prerequisites role first." % ", ".join(missing))
    return [obj for kind in MAAS_KINDS for obj in lists[(MAAS_API_VERSION, kind)]]


def _options(params, resources, lists) -> dict:
    """Checked translation options; `auto` TLS origination is BackendTLSPolicy where it is served."""
    external_tls = params["external_tls"]
    if external_tls == "auto":
        external_tls = "backendtlspolicy" if lists[BACKEND_TLS_POLICY] is not None else "destinationrule"
    try:
        return checked_options(resources, gateway=params["gateway"], selection=params["selection"],
                               maas_api_url=params["maas_api_url"], audiences=params["audiences"],
                               managed_by=params["managed_by"], tiers=params["tiers"],
                               external_tls=external_tls, cache_ttl=params["cache_ttl"])
    except ValueError as err:
        raise ModuleFailure(str(err))


def _live(lists, desired) -> dict:
    """{identity: object} of every live object of the generated kinds; fails when the translation
    needs a kind the cluster does not serve."""
    unserved = sorted({o["kind"] for o in desired if lists.get((o["apiVersion"], o["kind"]), []) is None})
    if unserved:
        raise ModuleFailure("The translation needs kinds this cluster does not serve: %s" % ", ".join(unserved))
    return {identity(obj): obj for kind in GENERATED_KINDS for obj in lists[kind] or []}


def _apply_and_prune(cluster, params, context, work, live) -> tuple:
    applied = apply_objects(cluster, work["apply"], params["field_manager"], force_conflicts=params["force_conflicts"],
                            check_mode=context.check_mode, want_diff=context.diff, live=live)
    for warning in applied.warnings:
        context.warn(warning)
    pruned = ApplyResult()
    if not applied.errors and params["prune"] and work["prune"]:
        pruned = delete_objects(cluster, work["prune"], check_mode=context.check_mode, want_diff=context.diff,
                                live=live)
    return applied, pruned


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


def _result(translation, work, applied, pruned, conflicts, status_updated, diff) -> dict:
    result = {
        "changed": applied.changed or pruned.changed or bool(status_updated),
        "created": applied.created, "updated": applied.updated, "unchanged": applied.unchanged,
        "deleted": pruned.deleted, "drifted": applied.reverted,
        "skipped": translation["skipped"], "invalid": translation["invalid"],
        "missing_models": translation["missing_models"], "conflicts": conflicts,
        "left_alone": sorted(work["opted_out"] + work["foreign"]), "status_updated": status_updated,
    }
    result["summary"] = {
        "created": len(applied.created), "updated": len(applied.updated), "unchanged": len(applied.unchanged),
        "deleted": len(pruned.deleted), "drifted": len(applied.reverted), "skipped": len(translation["skipped"]),
        "invalid": len(translation["invalid"]), "conflicts": len(conflicts), "status_updated": len(status_updated),
    }
    if diff:
        result["diff"] = applied.diff + pruned.diff
    return result


def run(params, context) -> dict:
    """Reconcile every MaaS CR (or `resources`) into the cluster; the module's result."""
    cluster = context.cluster()
    from_cluster = params["resources"] is None
    lists = read_cluster(cluster, from_cluster)
    resources = maas_resources(lists) if from_cluster else params["resources"]
    options = _options(params, resources, lists)
    parsed = parse_resources(resources, options["selection"])
    gateway = effective_gateway(params["gateway"], parsed)
    resolved = resolve_model_routes(parsed["models"], lists[KSERVE_ROUTES] or [], gateway)
    try:
        translation = translate(parsed, route_names(resolved["routes"]), gateway, options)
    except ValueError as err:  # a name no CEL literal can hold that validation let through
        raise ModuleFailure(str(err))

    live = _live(lists, translation["objects"])
    work = plan(translation["objects"], live, options["managed_by"], frozen_models(translation))
    applied, pruned = _apply_and_prune(cluster, params, context, work, live)

    routes = dict(resolved["routes"])
    routes.update(translation["external_routes"])
    conflicts = conflicting_auth_policies(lists[AUTH_POLICY] or [], routes, options["managed_by"])
    status_updated, status_errors = [], []
    if from_cluster and params["write_status"] and not applied.errors and not pruned.errors:
        routing = {"routes": routes, "unresolved": resolved["unresolved"], "conflicts": conflicts}
        statuses = desired_statuses(resources, parsed, translation, routing, _now())
        status_updated, status_errors = write_statuses(cluster, resources, statuses, context.check_mode)

    result = _result(translation, work, applied, pruned, conflicts, status_updated, context.diff)
    errors = applied.errors + pruned.errors + status_errors
    if errors:
        raise ModuleFailure("; ".join(errors), errors=errors, **result)
    return result
