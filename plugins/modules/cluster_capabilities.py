#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cluster_capabilities
short_description: Which CRDs a cluster serves and which fields their schemas declare
version_added: 0.1.0
description:
  - Reads the named CustomResourceDefinitions in parallel (one GET each) and reports whether each is
    present and Established, its served versions, and whether its schema declares given field paths.
  - With O(required), fails with a message naming every missing CRD and the feature that needs it.
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.request_options
  - modelserving.maas.attributes
attributes:
  check_mode:
    support: full
    details: Only reads.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  crds:
    description:
      - CRD names to look up, such as C(authpolicies.kuadrant.io).
    type: list
    elements: str
    default: []
  required:
    description:
      - Feature name to the CRDs it needs. The module fails when any of them is not Established,
        naming the feature and the CRDs. Their CRDs are looked up too.
    type: dict
    default: {}
  schema_checks:
    description:
      - Field paths to look for, as C(<crd>:<path>) (storage version) or C(<crd>:<version>:<path>),
        for example C(kuadrants.kuadrant.io:spec.mtls).
    type: list
    elements: str
    default: []
requirements:
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
"""

EXAMPLES = r"""
- name: Fail early, naming what is missing
  modelserving.maas.cluster_capabilities:
    required:
      gateway_api: [gateways.gateway.networking.k8s.io, httproutes.gateway.networking.k8s.io]
      kuadrant: [authpolicies.kuadrant.io, tokenratelimitpolicies.kuadrant.io]
    crds: [backendtlspolicies.gateway.networking.k8s.io]
    schema_checks: ["kuadrants.kuadrant.io:spec.mtls"]
  register: caps

- name: Use BackendTLSPolicy where the cluster serves it
  ansible.builtin.debug:
    msg: "{{ caps.crds['backendtlspolicies.gateway.networking.k8s.io'].established }}"
"""

RETURN = r"""
crds:
  description: Per CRD name, C(present), C(established), served C(versions) and C(storage) version.
  returned: always
  type: dict
  sample:
    authpolicies.kuadrant.io: {present: true, established: true, versions: [v1], storage: v1}
schema:
  description: Per schema check, whether the path is declared.
  returned: always
  type: dict
  sample: {"kuadrants.kuadrant.io:spec.mtls": true}
missing:
  description: Names of requested CRDs that are not Established.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.capabilities import run
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute

OPTIONS = dict(
    crds=dict(type="list", elements="str", default=[]),
    required=dict(type="dict", default={}),
    schema_checks=dict(type="list", elements="str", default=[]),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
