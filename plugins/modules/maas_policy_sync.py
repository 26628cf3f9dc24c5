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
  - modelserving.maas.apply_options
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
      - How a request is matched to the token limit of one of the caller's subscriptions.
      - V(groups) decides in the TokenRateLimitPolicy, by the caller's groups and user name; a
        caller owning several subscriptions names one in the C(X-MaaS-Subscription) header, else
        the highest ranked one counts (priority, then largest limit). Group names containing C(,)
        are rejected in this mode.
      - V(subscription) lets maas-api select the subscription, and the limit follows its choice.
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
      - The Gateway policies attach to and KServe routes must be attached to.
      - Defaults to the Tenant's C(spec.gatewayRef), else C(openshift-ingress/maas-default-gateway)
        when there is no Tenant.
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
      - Optional usage tiers, as a RateLimitPolicy and a TokenRateLimitPolicy C(maas-tier-usage) on
        the Gateway that count every caller per minute on every route.
      - In precedence order, a caller in several tiers counts under the first.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The tier's name, a DNS-1123 label of at most 40 characters, unique among the tiers.
        type: str
        required: true
      groups:
        description: The groups whose members are in the tier (names without C(,)).
        type: list
        elements: str
        required: true
      requests_per_minute:
        description: Requests per minute per user. Give this, O(tiers[].tokens_per_minute) or both.
        type: int
      tokens_per_minute:
        description: Tokens per minute per user. Give this, O(tiers[].requests_per_minute) or both.
        type: int
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
  prune:
    description: Delete generated objects whose producing CRs are gone.
    type: bool
    default: true
  write_status:
    description: Write status back to the MaaS CRs read from the cluster.
    type: bool
    default: true
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

- name: Reconcile with usage tiers on the gateway
  modelserving.maas.maas_policy_sync:
    tiers:
      - name: premium
        groups: [premium-users]
        tokens_per_minute: 100000
      - name: free
        groups: [system:authenticated]
        requests_per_minute: 10
"""

RETURN = r"""
created:
  description: Generated objects created, as C(Kind namespace/name).
  returned: always
  type: list
  elements: str
  sample: ["AuthPolicy llm/maas-auth-llama"]
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
  description:
    - Models (kind C(MaaSModelRef)) whose policies were not generated this run, with C(namespace),
      C(name) and C(reason). Their existing policies are neither updated nor pruned.
  returned: always
  type: list
  elements: dict
  sample: [{kind: MaaSModelRef, namespace: llm, name: llama, reason: "no HTTPRoute resolved for LLMInferenceService llama"}]
invalid:
  description: MaaS CRs rejected by validation, with C(kind), C(namespace), C(name) and a C(reason) naming the field.
  returned: always
  type: list
  elements: dict
  sample:
    - kind: MaaSSubscription
      namespace: models-as-a-service
      name: gold
      reason: >-
        MaaSSubscription models-as-a-service/gold: spec.modelRefs[0].tokenRateLimits[0].window "7d":
        days are not allowed (write 24h for a day)
missing_models:
  description:
    - Each reference from a valid MaaSAuthPolicy or MaaSSubscription (C(kind), C(namespace), C(name)) to a
      model (C(model) as C(namespace/name)) that has no MaaSModelRef or no resolved route.
  returned: always
  type: list
  elements: dict
  sample: [{kind: MaaSSubscription, namespace: models-as-a-service, name: gold, model: llm/mistral}]
conflicts:
  description: Per model (C(namespace/name)), AuthPolicies not managed by MaaS that target its HTTPRoute.
  returned: always
  type: dict
  sample: {llm/llama: [llm/legacy-auth]}
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
  sample: {created: 2, updated: 0, deleted: 1, unchanged: 40, drifted: 0, skipped: 0, invalid: 0, conflicts: 0,
           status_updated: 3}
diff:
  description:
    - One entry per created, updated or deleted object, with C(before), C(after), C(before_header) and
      C(after_header); server bookkeeping left out.
  returned: when diff mode is on
  type: list
  elements: dict
errors:
  description: One message per object that could not be applied, deleted or have its status written.
  returned: on failure
  type: list
  elements: str
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
    tiers=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        groups=dict(type="list", elements="str", required=True),
        requests_per_minute=dict(type="int"),
        # A count of LLM tokens, not a credential: nothing to hide from logs.
        tokens_per_minute=dict(type="int", no_log=False),
    )),
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
