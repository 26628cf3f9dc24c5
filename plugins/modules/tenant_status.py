#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tenant_status
short_description: Write whether the MaaS platform is healthy into the status of the default-tenant Tenant
version_added: 0.1.0
description:
  - Reads the CRDs every enabled feature needs, the Gateway, the Secrets MaaS needs and the MaaS workloads,
    and writes the Tenant's C(status) in one write - C(phase) and the conditions C(Ready),
    C(DependenciesAvailable), C(MaaSPrerequisitesAvailable), C(DeploymentsAvailable) and C(Degraded), whose
    reasons say what is missing (C(CRDNotFound), C(GatewayNotFound), C(SecretNotFound), C(SecretKeyMissing),
    C(DeploymentNotFound), C(DeploymentNotAvailable), C(ReconcileFailed)) and whose messages name it.
  - C(phase) is V(Failed) when a CRD or prerequisite is missing, V(Pending) while the workloads roll out,
    V(Degraded) when they are not available or the run failed (O(run_failure)), else V(Active).
  - Writes nothing when the status would not change; a condition's C(lastTransitionTime) moves only when its
    status changes. Secrets are read to see whether their key is set; their values are never returned.
  - Without the Tenant (or the MaaS CRDs), warns and writes nothing.
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.request_options
  - modelserving.maas.attributes
attributes:
  check_mode:
    support: full
    details: Reads, and reports whether the status would change.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  namespace:
    description: Namespace of the Tenant.
    type: str
    default: models-as-a-service
  name:
    description: Name of the Tenant.
    type: str
    default: default-tenant
  dependencies:
    description: Feature name to the CRDs it needs (C(DependenciesAvailable)).
    type: dict
    default: {}
  gateway:
    description: The Gateway MaaS attaches to, C({namespace, name}) (C(MaaSPrerequisitesAvailable)); null skips it.
    type: dict
  secrets:
    description:
      - Secrets that must exist with a non-empty key (C(MaaSPrerequisitesAvailable)), each
        C({namespace, name, key, purpose}); C(purpose) is said in the message.
    type: list
    elements: dict
    default: []
  workloads:
    description: Workloads that must be available, each C({kind (Deployment or StatefulSet), namespace, name}).
    type: list
    elements: dict
    default: []
  run_failure:
    description: Why the run that ends with this task failed (the failed task's message); empty when it did not.
    type: str
    default: ""
requirements:
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
"""

EXAMPLES = r"""
- name: Say in default-tenant's status whether the platform is healthy
  modelserving.maas.tenant_status:
    namespace: models-as-a-service
    dependencies:
      gateway_api: [gateways.gateway.networking.k8s.io, httproutes.gateway.networking.k8s.io]
      kuadrant: [authpolicies.kuadrant.io, tokenratelimitpolicies.kuadrant.io]
    gateway: {namespace: openshift-ingress, name: maas-default-gateway}
    secrets:
      - {namespace: opendatahub, name: maas-db-config, key: DB_CONNECTION_URL, purpose: maas-api's database URL}
    workloads:
      - {kind: Deployment, namespace: opendatahub, name: maas-api}
  register: tenant

- name: Show it
  ansible.builtin.debug:
    msg: "{{ tenant.phase }}: {{ tenant.conditions | selectattr('type', 'eq', 'Ready') | map(attribute='message') | first }}"
"""

RETURN = r"""
phase:
  description: The Tenant's phase, as written (or that would be written).
  returned: always
  type: str
  sample: Active
conditions:
  description: The conditions, as written.
  returned: always
  type: list
  elements: dict
  sample:
    - {type: Ready, status: "False", reason: SecretNotFound, message: "Secret opendatahub/maas-db-config does not exist (maas-api's database URL)"}
written:
  description: Whether the status was written by this run.
  returned: always
  type: bool
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._maas.tenant import run

OPTIONS = dict(
    namespace=dict(type="str", default="models-as-a-service"),
    name=dict(type="str", default="default-tenant"),
    dependencies=dict(type="dict", default={}),
    gateway=dict(type="dict"),
    # Which Secrets and keys must exist (names, never values): nothing to hide from logs.
    secrets=dict(type="list", elements="dict", default=[], no_log=False),
    workloads=dict(type="list", elements="dict", default=[]),
    run_failure=dict(type="str", default=""),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
