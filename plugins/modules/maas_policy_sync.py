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
    MaaSModelRef, MaaSAuthPolicy, MaaSSubscription and ExternalModel in the cluster (or takes them as
    O(resources)), resolves each LLMInferenceService model's KServe HTTPRoute, translates them into
    one AuthPolicy and one TokenRateLimitPolicy per model, the gateway defaults and optional tier
    policies, and applies them with server-side apply.
  - For a MaaSModelRef of kind C(ExternalModel) it generates, in the model's namespace, HTTPRoute
    C(maas-<name>) with the reference controller's two rules (path prefix C(/<namespace>/<model>) and
    header C(X-Gateway-Model-Name) equal to the ExternalModel's C(spec.targetModel)), both setting the
    C(Host) header to C(spec.endpoint) with a 300s timeout; an C(ExternalName) Service; an Istio
    C(ServiceEntry) for the host where the cluster serves that kind; and TLS origination (see
    O(external_tls)). Deleting the ExternalModel removes them; an invalid one leaves them as they are.
  - The provider's API key (key C(api-key) of the ExternalModel's C(spec.credentialRef) Secret) is
    never read and never copied into any other object, status or result. No Gateway API, Istio or
    Kuadrant field can take a request header from a Secret, so this module cannot attach it to
    requests; the reference system's payload-processing component does. Each such MaaSModelRef gets
    condition C(CredentialInjected=False) with reason C(NotSupported) saying so, naming the Secret
    and whether it exists (checked by reading its metadata only, which needs C(get) on Secrets in the
    model's namespace).
  - Only the Tenant C(<tenant_namespace>/default-tenant) configures MaaS, and MaaSAuthPolicies and
    MaaSSubscriptions count only in O(allowed_namespaces). Any other Tenant, and those CRs in any
    other namespace, have no effect at all; they are reported in RV(invalid) and get status
    C(Failed) saying why. So no namespace user can move the gateway, grant access or give
    themselves tokens.
  - Reads with a fixed number of LIST requests whatever the number of models, and GETs the Gateway;
    writes only objects that would change (a second run over an unchanged cluster makes no write
    requests); dry-runs every object that needs writing, and every deletion, before writing any.
  - Applies and prunes per model (and the gateway-level objects as one more group). A model whose
    objects the server refuses is left exactly as it is and reported in RV(failed_models) and its
    MaaSModelRef's status, while every other model converges; the task then fails.
  - A Gateway that does not exist (from the Tenant or O(gateway)) fails the run and changes nothing
    on the gateway-level policies or the ExternalModel routes, which are parented to it.
  - Prunes generated objects whose producing CRs are gone. Never touches objects labelled or
    annotated C(opendatahub.io/managed=false), objects without the managed-by label, the objects
    of a model whose CRs fail validation, the gateway-level objects while the Tenant is invalid, or
    the tier policies when O(tiers) is not given. Nothing is changed after a failed read.
  - Writes C(status) back to the MaaS CRs (phase and a C(Ready) condition; C(Degraded) or
    C(Failed) for missing models) and sets C(ConflictingAuthPolicy) on MaaSAuthPolicies when an
    AuthPolicy not managed by MaaS targets one of their model routes, and C(SpecPriorityDuplicate)
    on MaaSSubscriptions that share their C(spec.priority) with another of their namespace.
  - A field of a generated object that someone changed by hand (C(kubectl edit)), or that another
    applier took and O(force_conflicts) takes back, is drift and is put back; the names are
    returned in RV(drifted).
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.request_options
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
  tenant_namespace:
    description:
      - Namespace of the one Tenant that counts, C(default-tenant). Tenants anywhere else are ignored.
    type: str
    default: models-as-a-service
  allowed_namespaces:
    description:
      - The namespaces whose MaaSAuthPolicies and MaaSSubscriptions are honoured. Those anywhere
        else grant nothing, limit nothing and hold back no model.
      - Defaults to O(tenant_namespace) alone.
    type: list
    elements: str
  gateway:
    description:
      - The Gateway policies attach to and KServe routes must be attached to. It must exist.
      - Defaults to the C(spec.gatewayRef) of Tenant C(<tenant_namespace>/default-tenant), else
        C(openshift-ingress/maas-default-gateway) when there is no such Tenant.
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
      - Not given (null), this run does not manage the tiers; it neither applies nor prunes the
        tier policies. V([]) removes them. Give the same value wherever the module runs (a site
        playbook and a scheduled reconcile), or leave it out of all but one.
    type: list
    elements: dict
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
        serves it, DestinationRule otherwise. The DestinationRule (C(tls.mode) C(SIMPLE), the provider's
        host as SNI and C(subjectAltNames), verified as O(external_ca) says) applies to the provider's host, as Istio applies none to an C(ExternalName)
        Service; it and the ServiceEntry are exported to the model's and the gateway's namespaces only.
    type: str
    choices: [auto, destinationrule, backendtlspolicy]
    default: auto
  external_ca:
    description:
      - The CA an ExternalModel provider is verified against, by provider host. Without an entry the
        gateway verifies the provider against the system roots (the DestinationRule sets no
        C(caCertificates), so Istio uses the proxy's OS CA certificates; the BackendTLSPolicy sets
        C(wellKnownCACertificates=System)). Verification is never skipped; the host is the SNI and
        the only name accepted (C(subjectAltNames), C(validation.hostname)).
      - For a DestinationRule the name is a Secret in the gateway's namespace with key C(ca.crt)
        (C(credentialName)); for a BackendTLSPolicy a ConfigMap in the model's namespace with key
        C(ca.crt) (C(caCertificateRefs)).
    type: dict
    default: {}
  cache_ttl:
    description: Seconds Authorino caches maas-api answers.
    type: int
    default: 60
  allow_internal_endpoints:
    description:
      - Let external models (MaaSModelRef C(spec.endpointOverride), ExternalModel C(spec.endpoint))
        point inside the cluster or the node (loopback, link-local and cloud metadata addresses,
        C(0.0.0.0/8), the API server's names, C(*.svc) and C(*.cluster.local) hosts and single-label
        names). Refused by default, because whoever writes a MaaSModelRef would otherwise route
        gateway traffic to internal services.
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
  tenant_status:
    description:
      - With O(write_status), write the Tenant's status too (C(Ready) once its gateway defaults are applied).
      - false leaves it to M(modelserving.maas.tenant_status), which C(site.yml) and C(reconcile.yml) run last,
        so that one write says how the whole platform is.
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

- name: Honour MaaSSubscriptions of two team namespaces too
  modelserving.maas.maas_policy_sync:
    allowed_namespaces: [models-as-a-service, team-a, team-b]

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
  description:
    - Objects that differed from what this module last applied for a reason the CRs did not cause
      and that were put back. That is a field changed or removed by hand (C(kubectl edit), C(patch)), a
      field another applier held that O(force_conflicts) took back, or a field someone added under the
      C(spec) of a generated object, which is removed (the whole C(spec) of the generated kinds but
      Services is ours).
    - Every object written carries the annotation C(maas.opendatahub.io/applied-digest), the digest of
      what was applied; the first run after an upgrade adds it to each generated object once.
  returned: always
  type: list
  elements: str
adopted:
  description:
    - Objects the reference (Go) controller had written (its C(app.kubernetes.io/managed-by) and
      C(part-of) labels or its C(maas.opendatahub.io/auth-policies) / C(subscriptions) annotation, no
      C(maas.opendatahub.io/producers)) that this run took over. They are applied with force whatever
      field manager wrote them, and everything it had set under C(spec) that this module does not set is removed.
    - Also counted in C(updated). The reference controller's objects that no CR produces any more are
      pruned; its bare producer names (early releases) are read as that name in each of O(allowed_namespaces).
  returned: always
  type: list
  elements: str
skipped_models:
  description:
    - Models (kind C(MaaSModelRef)) whose policies were not generated this run, with C(namespace),
      C(name) and C(reason). Their existing policies are neither updated nor pruned, except for a
      model whose ExternalModel is gone (deleted, or never created) and which has no
      C(spec.endpointOverride), whose route and policies are pruned.
    - Also single policies (kind C(AuthPolicy) or C(TokenRateLimitPolicy), with C(model)) that only
      invalid CRs still ask for; an existing one is kept exactly as it is while the rest of its model
      converges.
    - Not C(skipped), which Ansible reads as the task being skipped.
  returned: always
  type: list
  elements: dict
  sample: [{kind: MaaSModelRef, namespace: llm, name: llama, reason: "no HTTPRoute resolved for LLMInferenceService llama"}]
failed_models:
  description:
    - Models (kind C(MaaSModelRef)) left exactly as they were because the server refused one of
      their objects (or their route's Gateway does not exist), with C(namespace), C(name) and the
      server's message in C(reason). The task fails when there is any.
  returned: always
  type: list
  elements: dict
  sample:
    - kind: MaaSModelRef
      namespace: llm
      name: llama
      reason: >-
        TokenRateLimitPolicy llm/maas-trlp-llama: Apply failed with 1 conflict: conflict with "gitops" ...
invalid:
  description:
    - MaaS CRs rejected by validation, with C(kind), C(namespace), C(name) and a C(reason) naming the field.
    - Also the CRs that do not count (a Tenant other than C(<tenant_namespace>/default-tenant),
      MaaSAuthPolicies and MaaSSubscriptions outside O(allowed_namespaces)), the reason saying so.
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
  sample: {created: 2, updated: 0, deleted: 1, unchanged: 40, drifted: 0, adopted: 0, skipped_models: 0, invalid: 0,
           conflicts: 0, status_updated: 3, models_converged: 20, models_failed: 0}
diff:
  description:
    - One entry per created, updated or deleted object, with C(before), C(after), C(before_header) and
      C(after_header); server bookkeeping left out.
  returned: when diff mode is on
  type: list
  elements: dict
errors:
  description:
    - One message per object that could not be applied, deleted or have its status written, and
      the missing Gateway. The task's C(msg) tells each cause once.
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

DEFAULT_TENANT_NAMESPACE = "models-as-a-service"

OPTIONS = dict(
    resources=dict(type="list", elements="dict"),
    selection=dict(type="str", choices=list(SELECTION_MODES), default="groups"),
    maas_api_url=dict(type="str", default=DEFAULT_MAAS_API_URL),
    audiences=dict(type="list", elements="str", default=list(DEFAULT_AUDIENCES)),
    managed_by=dict(type="str", default=DEFAULT_MANAGED_BY),
    tenant_namespace=dict(type="str", default=DEFAULT_TENANT_NAMESPACE),
    allowed_namespaces=dict(type="list", elements="str"),
    gateway=dict(type="dict", options=dict(namespace=dict(type="str", required=True),
                                           name=dict(type="str", required=True))),
    tiers=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        groups=dict(type="list", elements="str", required=True),
        requests_per_minute=dict(type="int"),
        # A count of LLM tokens, not a credential: nothing to hide from logs.
        tokens_per_minute=dict(type="int", no_log=False),
    )),
    external_tls=dict(type="str", choices=["auto", "destinationrule", "backendtlspolicy"], default="auto"),
    external_ca=dict(type="dict", default={}),
    cache_ttl=dict(type="int", default=60),
    allow_internal_endpoints=dict(type="bool", default=False),
    prune=dict(type="bool", default=True),
    write_status=dict(type="bool", default=True),
    tenant_status=dict(type="bool", default=True),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS, APPLY_ARG_SPEC), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
