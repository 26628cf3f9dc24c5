#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: maas_policy_sync
short_description: Reconcile MaaS custom resources into Gateway API and Kuadrant policies
version_added: 0.1.0
description:
  - Does what the reference MaaS controller does, in one module call. It reads every Tenant,
    MaaSModelRef, MaaSAuthPolicy and MaaSSubscription in the cluster (or takes them as O(resources)),
    resolves each LLMInferenceService model's KServe HTTPRoute, translates them into one AuthPolicy
    and one TokenRateLimitPolicy per model, the gateway defaults and optional tier policies, and
    applies them with server-side apply.
  - Reads with a fixed number of LIST requests whatever the number of models; writes only objects
    that would change (a second run over an unchanged cluster makes no write requests); dry-runs
    every object that needs writing before writing any.
  - Prunes generated objects whose producing CRs are gone. Never touches objects labelled or
    annotated C(opendatahub.io/managed=false), objects without the managed-by label, or the
    objects of a model whose CRs fail validation. Nothing is pruned after a failed read or apply.
  - Writes C(status) back to the MaaS CRs (phase and a C(Ready) condition; C(Degraded) or
    C(Failed) for missing models) and sets C(ConflictingAuthPolicy) on MaaSAuthPolicies when an
    AuthPolicy not managed by MaaS targets one of their model routes.
  - A field of a generated object that someone changed by hand (C(kubectl edit)) is drift and is
    put back; the names are returned in RV(drifted).
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.attributes
attributes:
  check_mode:
    support: full
    details: Server-side dry run of every write; statuses are computed but not written.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  resources:
    description:
      - MaaS CRs to translate instead of reading them from the cluster. Status is only written
        for CRs read from the cluster.
    type: list
    elements: dict
  selection:
    description:
      - How a caller's subscription is chosen (SPEC 3.2). V(groups) matches owners in the
        TokenRateLimitPolicy; V(subscription) lets maas-api select it.
    type: str
    choices: [groups, subscription]
    default: groups
  maas_api_url:
    description: Base URL Authorino uses to reach maas-api.
    type: str
    default: https://maas-api.opendatahub.svc.cluster.local:8443
  audiences:
    description: Token review audiences for Kubernetes tokens (see M(modelserving.maas.token_audience)).
    type: list
    elements: str
    default: [https://kubernetes.default.svc, maas-default-gateway-sa]
  managed_by:
    description: Value of the C(app.kubernetes.io/managed-by) label that marks generated objects.
    type: str
    default: maas-controller
  gateway:
    description:
      - The Gateway policies attach to. Defaults to the C(default-tenant) Tenant's C(spec.gatewayRef).
    type: dict
    suboptions:
      namespace:
        description: The Gateway's namespace.
        type: str
        required: true
      name:
        description: The Gateway's name.
        type: str
        required: true
  tiers:
    description:
      - Optional tier usage policies on the Gateway, each C({name, groups, requests_per_minute, tokens_per_minute}).
    type: list
    elements: dict
    default: []
  external_tls:
    description:
      - TLS origination for ExternalModel routes. V(auto) uses BackendTLSPolicy where the cluster
        serves it, DestinationRule otherwise.
    type: str
    choices: [auto, destinationrule, backendtlspolicy]
    default: auto
  cache_ttl:
    description: Seconds Authorino caches maas-api answers.
    type: int
    default: 60
  field_manager:
    description: Server-side apply field manager of the generated objects.
    type: str
    default: modelserving.maas
  force_conflicts:
    description: Take over fields that another server-side applier owns.
    type: bool
    default: false
  prune:
    description: Delete generated objects whose producing CRs are gone.
    type: bool
    default: true
  write_status:
    description: Write status back to the MaaS CRs read from the cluster.
    type: bool
    default: true
  workers:
    description: Concurrent API requests.
    type: int
    default: 8
requirements:
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
"""

EXAMPLES = r"""
- name: Reconcile every MaaS CR in the cluster
  modelserving.maas.maas_policy_sync:
    maas_api_url: https://maas-api.opendatahub.svc.cluster.local:8443
  register: sync

- name: Show what drifted
  ansible.builtin.debug:
    var: sync.drifted
"""

RETURN = r"""
created:
  description: Generated objects created, as C(Kind namespace/name).
  returned: always
  type: list
  elements: str
updated:
  description: Generated objects changed.
  returned: always
  type: list
  elements: str
unchanged:
  description: Generated objects already as desired (no write request was made).
  returned: always
  type: list
  elements: str
deleted:
  description: Generated objects pruned because their producers are gone.
  returned: always
  type: list
  elements: str
drifted:
  description: Objects whose fields had been changed by hand and were put back.
  returned: always
  type: list
  elements: str
skipped:
  description: Models whose policies were not generated, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{kind: MaaSModelRef, namespace: llm, name: llama, reason: "MaaSSubscription ...: ..."}]
invalid:
  description: MaaS CRs rejected by validation, with the reason naming the field.
  returned: always
  type: list
  elements: dict
conflicts:
  description: Per model (C(ns/name)), AuthPolicies not managed by MaaS that target its HTTPRoute.
  returned: always
  type: dict
left_alone:
  description: Generated objects not written because they are opted out or not managed by MaaS.
  returned: always
  type: list
  elements: str
status_updated:
  description: MaaS CRs whose status was (or in check mode would be) written.
  returned: always
  type: list
  elements: str
summary:
  description: Counts for C(set_stats) and AWX.
  returned: always
  type: dict
  sample: {created: 2, updated: 0, deleted: 1, unchanged: 40, drifted: 0, skipped: 0, invalid: 0, conflicts: 0}
"""

import datetime

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import (
    ApplyResult,
    apply_objects,
    delete_objects,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import Cluster, K8sError, identity, ref
from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._maas.reconcile import (
    GENERATED_KINDS,
    KSERVE_ROUTE_SELECTOR,
    MAAS_API_VERSION,
    MAAS_KINDS,
    conflicting_auth_policies,
    desired_statuses,
    frozen_models,
    model_routes,
    plan,
    status_differs,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import (
    DEFAULT_AUDIENCES,
    DEFAULT_GATEWAY,
    DEFAULT_MAAS_API_URL,
    InvalidResource,
    TranslationError,
    generate,
    parse_tenant_gateway,
    resolve_routes,
)

HTTPROUTE = ("gateway.networking.k8s.io/v1", "HTTPRoute")


def read_cluster(cluster, read_maas):
    """Every LIST this run needs, in parallel: {(apiVersion, kind): items or None when not served}."""
    reads = [(MAAS_API_VERSION, kind, None) for kind in MAAS_KINDS] if read_maas else []
    reads += [(api, kind, None) for api, kind in GENERATED_KINDS]
    reads.append(HTTPROUTE + (KSERVE_ROUTE_SELECTOR,))

    def read(spec):
        api_version, kind, selector = spec
        try:
            return cluster.list(api_version, kind, label_selector=selector)
        except K8sError as err:
            if err.status == 404:
                return None
            raise

    results = cluster.parallel(read, reads)
    errors = ["cannot list %s: %s" % (spec[1], outcome[1]) for spec, outcome in zip(reads, results) if outcome[1]]
    lists = {}
    for (api_version, kind, selector), outcome in zip(reads, results):
        lists[(api_version, kind, bool(selector))] = outcome[0]
    return lists, errors


def effective_gateway(param, resources):
    if param:
        return {"namespace": param["namespace"], "name": param["name"]}
    for obj in resources:
        if obj.get("kind") == "Tenant":
            try:
                return parse_tenant_gateway(obj)
            except InvalidResource:
                break
    return dict(DEFAULT_GATEWAY)


def write_statuses(cluster, resources, statuses, check_mode):
    """JSON-patch the status subresource of every CR whose status would change."""
    pending = [cr for cr in resources if identity(cr) in statuses
               and status_differs(statuses[identity(cr)], cr.get("status"))]

    def write(cr):
        meta = cr["metadata"]
        return cluster.patch(cr["apiVersion"], cr["kind"], meta["name"],
                             [{"op": "add", "path": "/status", "value": statuses[identity(cr)]}],
                             namespace=meta["namespace"], patch_type="json", subresource="status")

    if check_mode:
        return [ref(cr) for cr in pending], []
    results = cluster.parallel(write, pending)
    errors = ["%s: cannot write status: %s" % (ref(cr), outcome[1]) for cr, outcome in zip(pending, results) if outcome[1]]
    return [ref(cr) for cr, outcome in zip(pending, results) if outcome[1] is None], errors


def main():
    module = new_module(
        argument_spec=argument_spec(dict(
            resources=dict(type="list", elements="dict"),
            selection=dict(type="str", choices=["groups", "subscription"], default="groups"),
            maas_api_url=dict(type="str", default=DEFAULT_MAAS_API_URL),
            audiences=dict(type="list", elements="str", default=list(DEFAULT_AUDIENCES)),
            managed_by=dict(type="str", default="maas-controller"),
            gateway=dict(type="dict", options=dict(namespace=dict(type="str", required=True),
                                                   name=dict(type="str", required=True))),
            tiers=dict(type="list", elements="dict", default=[]),
            external_tls=dict(type="str", choices=["auto", "destinationrule", "backendtlspolicy"], default="auto"),
            cache_ttl=dict(type="int", default=60),
            field_manager=dict(type="str", default="modelserving.maas"),
            force_conflicts=dict(type="bool", default=False),
            prune=dict(type="bool", default=True),
            write_status=dict(type="bool", default=True),
            workers=dict(type="int", default=8),
        )),
        supports_check_mode=True,
    )
    p = module.params
    cluster = Cluster.from_module(module, workers=max(1, p["workers"]))
    from_cluster = p["resources"] is None

    try:
        lists, errors = read_cluster(cluster, from_cluster)
    except K8sError as err:
        module.fail_json(msg="Cannot read the cluster: %s" % err)
    if errors:
        module.fail_json(msg="Cannot read the cluster, nothing was changed: %s" % "; ".join(errors))
    if from_cluster:
        missing = [kind for kind in MAAS_KINDS if lists[(MAAS_API_VERSION, kind, False)] is None]
        if missing:
            module.fail_json(msg="The cluster does not serve the MaaS CRDs (%s); run the "
                                 "modelserving.maas.prerequisites role first." % ", ".join(missing))
        resources = [obj for kind in MAAS_KINDS for obj in lists[(MAAS_API_VERSION, kind, False)]]
    else:
        resources = p["resources"]

    kserve_routes = lists[HTTPROUTE + (True,)] or []
    gateway = effective_gateway(p["gateway"], resources)
    external_tls = p["external_tls"]
    if external_tls == "auto":
        external_tls = "backendtlspolicy" if lists[("gateway.networking.k8s.io/v1", "BackendTLSPolicy", False)] \
            is not None else "destinationrule"

    resolved = resolve_routes(resources, kserve_routes, gateway)
    try:
        translation = generate(resources, routes=resolved["routes"], selection=p["selection"],
                               maas_api_url=p["maas_api_url"], audiences=p["audiences"], managed_by=p["managed_by"],
                               gateway=gateway, tiers=p["tiers"], external_tls=external_tls, cache_ttl=p["cache_ttl"])
    except (TranslationError, ValueError) as err:
        module.fail_json(msg=str(err))
    desired = translation["objects"]

    live = {}
    for api_version, kind in GENERATED_KINDS:
        for obj in lists[(api_version, kind, False)] or []:
            live[identity(obj)] = obj
    unserved = sorted({o["kind"] for o in desired
                       if lists.get((o["apiVersion"], o["kind"], False), []) is None})
    if unserved:
        module.fail_json(msg="The translation needs kinds this cluster does not serve: %s" % ", ".join(unserved))

    work = plan(desired, live, p["managed_by"], frozen_models(translation))
    applied = apply_objects(cluster, work["apply"], p["field_manager"], force_conflicts=p["force_conflicts"],
                            check_mode=module.check_mode, want_diff=module._diff, live=live)
    for warning in applied.warnings:
        module.warn(warning)
    pruned = ApplyResult()
    if not applied.errors and p["prune"] and work["prune"]:
        pruned = delete_objects(cluster, work["prune"], check_mode=module.check_mode, want_diff=module._diff,
                                live=live)

    routes = model_routes(resolved["routes"], desired, kserve_routes, gateway)
    conflicts = conflicting_auth_policies(lists[("kuadrant.io/v1", "AuthPolicy", False)] or [], routes, p["managed_by"])
    status_updated, status_errors = [], []
    if from_cluster and p["write_status"] and not applied.errors and not pruned.errors:
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        statuses = desired_statuses(resources, translation, routes, resolved["unresolved"], conflicts, now)
        status_updated, status_errors = write_statuses(cluster, resources, statuses, module.check_mode)

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
    if module._diff:
        result["diff"] = applied.diff + pruned.diff
    errors = applied.errors + pruned.errors + status_errors
    if errors:
        module.fail_json(msg="; ".join(errors), errors=errors, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
