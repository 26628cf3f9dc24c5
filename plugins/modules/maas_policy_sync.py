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
  - modelserving.maas.translation_options
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
from ansible_collections.modelserving.maas.plugins.module_utils._maas.options import TRANSLATION_ARG_SPEC
from ansible_collections.modelserving.maas.plugins.module_utils._maas.sync import run


OPTIONS = dict(
    TRANSLATION_ARG_SPEC,
    resources=dict(type="list", elements="dict"),
    prune=dict(type="bool", default=True),
    write_status=dict(type="bool", default=True),
    tenant_status=dict(type="bool", default=True),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS, APPLY_ARG_SPEC), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
