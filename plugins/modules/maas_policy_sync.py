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

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import APPLY_ARG_SPEC, argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    DEFAULT_AUDIENCES,
    DEFAULT_MAAS_API_URL,
    DEFAULT_MANAGED_BY,
    SELECTION_MODES,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.sync import run

OPTIONS = dict(
    resources=dict(type="list", elements="dict"),
    selection=dict(type="str", choices=list(SELECTION_MODES), default="groups"),
    maas_api_url=dict(type="str", default=DEFAULT_MAAS_API_URL),
    audiences=dict(type="list", elements="str", default=list(DEFAULT_AUDIENCES)),
    managed_by=dict(type="str", default=DEFAULT_MANAGED_BY),
    gateway=dict(type="dict", options=dict(namespace=dict(type="str", required=True),
                                           name=dict(type="str", required=True))),
    tiers=dict(type="list", elements="dict", default=[]),
    external_tls=dict(type="str", choices=["auto", "destinationrule", "backendtlspolicy"], default="auto"),
    cache_ttl=dict(type="int", default=60),
    prune=dict(type="bool", default=True),
    write_status=dict(type="bool", default=True),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS, APPLY_ARG_SPEC), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
