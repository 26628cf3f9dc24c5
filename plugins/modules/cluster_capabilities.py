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

from ansible_collections.modelserving.maas.plugins.module_utils._kube.capabilities import (
    crd_summary,
    missing_feature_messages,
    parse_schema_check,
    schema_has_path,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import Cluster
from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import argument_spec, new_module

CRD_API = "apiextensions.k8s.io/v1"


def main():
    module = new_module(
        argument_spec=argument_spec(dict(
            crds=dict(type="list", elements="str", default=[]),
            required=dict(type="dict", default={}),
            schema_checks=dict(type="list", elements="str", default=[]),
        )),
        supports_check_mode=True,
    )
    params = module.params
    try:
        checks = [(spec,) + parse_schema_check(spec) for spec in params["schema_checks"]]
    except ValueError as err:
        module.fail_json(msg=str(err))
    required = {feature: list(names or []) for feature, names in params["required"].items()}
    names = sorted(set(params["crds"]) | {n for ns in required.values() for n in ns} | {c[1] for c in checks})

    cluster = Cluster.from_module(module)
    results = cluster.parallel(lambda name: cluster.get(CRD_API, "CustomResourceDefinition", name), names)
    errors = ["CustomResourceDefinition %s: %s" % (n, outcome[1]) for n, outcome in zip(names, results) if outcome[1]]
    if errors:
        module.fail_json(msg="; ".join(errors))
    live = dict(zip(names, (outcome[0] for outcome in results)))
    summaries = {name: crd_summary(crd) for name, crd in live.items()}
    output = {
        "changed": False,
        "crds": summaries,
        "schema": {spec: schema_has_path(live[crd], path, version) for spec, crd, version, path in checks},
        "missing": [name for name in names if not summaries[name]["established"]],
    }
    problems = missing_feature_messages(required, summaries)
    if problems:
        module.fail_json(msg="The cluster is missing prerequisites: %s. Install them, or disable the feature."
                         % "; ".join(problems), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
