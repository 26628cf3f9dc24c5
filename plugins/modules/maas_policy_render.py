#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: maas_policy_render
short_description: The objects maas_policy_sync would apply for given MaaS CRs, without a cluster
version_added: 0.1.0
description:
  - Runs the translation steps of M(modelserving.maas.maas_policy_sync) on MaaS CRs given as
    O(resources) (for example read from YAML files) and returns the objects that module would apply,
    that is the per-model AuthPolicies and TokenRateLimitPolicies, the gateway defaults, the tier policies and
    the routes, Services and TLS origination of external models. Playbook
    C(modelserving.maas.render) writes them out for GitOps.
  - Opens no connection. What the reconcile reads from the cluster besides the CRs is given instead,
    which kinds the cluster serves as O(served), and the HTTPRoutes KServe created for
    C(LLMInferenceService) models as O(routes) (or among O(resources)).
  - The same CRs count as in a reconcile, only the Tenant C(<tenant_namespace>/default-tenant), and
    MaaSAuthPolicies and MaaSSubscriptions in O(allowed_namespaces). Others are reported in
    RV(invalid), as are CRs that fail validation.
  - The reconcile adds what only exists at run time, which this module does not return. That is the
    annotation C(maas.opendatahub.io/applied-digest) on every object written, the statuses of the
    CRs, and the pruning of objects no CR produces any more.
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - modelserving.maas.attributes
  - modelserving.maas.translation_options
attributes:
  check_mode:
    support: full
    details: Never changes anything.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  resources:
    description:
      - The MaaS CRs (Tenant, MaaSModelRef, MaaSAuthPolicy, MaaSSubscription, ExternalModel). HTTPRoutes
        among them are read as O(routes); other kinds are ignored.
    type: list
    elements: dict
    required: true
  routes:
    description:
      - The HTTPRoutes KServe created for C(LLMInferenceService) models, as the cluster would list them.
        A model's route is found by KServe's labels and must be attached to the gateway, as in a reconcile.
    type: list
    elements: dict
    default: []
  served:
    description: Which of the kinds a cluster may lack it serves (what a reconcile learns from its LISTs).
    type: dict
    default: {}
    suboptions:
      backendtlspolicies:
        description: Gateway API C(BackendTLSPolicy) (v1.4 or later); O(external_tls=auto) then uses it.
        type: bool
        default: false
      destinationrules:
        description: Istio C(DestinationRule).
        type: bool
        default: true
      serviceentries:
        description: Istio C(ServiceEntry); external models get one where it is served.
        type: bool
        default: true
seealso:
  - module: modelserving.maas.maas_policy_sync
"""

EXAMPLES = r"""
- name: The policies for the CRs in a directory, as a cluster with Istio and no BackendTLSPolicy would get them
  modelserving.maas.maas_policy_render:
    resources: "{{ query('ansible.builtin.fileglob', 'crs/*.yaml') | map('ansible.builtin.file')
                   | map('ansible.builtin.from_yaml_all') | flatten }}"
    served:
      backendtlspolicies: false
  register: rendered

- name: Write them
  ansible.builtin.copy:
    dest: policies.yaml
    content: "{{ rendered.objects | map('ansible.builtin.to_nice_yaml') | join('---\n') }}"
    mode: "0644"
"""

RETURN = r"""
objects:
  description: The objects maas_policy_sync would apply, sorted by kind, namespace and name.
  returned: always
  type: list
  elements: dict
gateway:
  description: The Gateway the policies attach to (C(namespace), C(name)), null when the Tenant is invalid.
  returned: always
  type: dict
invalid:
  description: CRs rejected by validation or that do not count, with C(kind), C(namespace), C(name) and C(reason).
  returned: always
  type: list
  elements: dict
skipped_models:
  description: Models whose objects are not generated, with C(namespace), C(name) and C(reason).
  returned: always
  type: list
  elements: dict
missing_models:
  description: References from valid CRs to models without a MaaSModelRef or a resolved route.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._maas.options import TRANSLATION_ARG_SPEC
from ansible_collections.modelserving.maas.plugins.module_utils._maas.render import DEFAULT_SERVED, run

OPTIONS = dict(
    TRANSLATION_ARG_SPEC,
    resources=dict(type="list", elements="dict", required=True),
    routes=dict(type="list", elements="dict", default=[]),
    served=dict(type="dict", default={}, options={key: dict(type="bool", default=value)
                                                  for key, value in DEFAULT_SERVED.items()}),
)


def main():
    # No connection options: this module never talks to a cluster.
    module = AnsibleModule(argument_spec=OPTIONS, supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
