#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: token_audience
short_description: The service-account token audiences Authorino's token review must accept
version_added: 0.1.0
description:
  - Requests a short-lived token for a service account (TokenRequest, without audiences, so the
    token carries the cluster's default ones), reads the C(aud) claim from the token's payload and
    throws the token away. The token is never verified, stored, logged or returned.
  - On clusters whose service-account issuer is not C(https://kubernetes.default.svc) (most managed
    and OpenShift clusters) a token review that asks for that audience rejects every token; this
    module finds the audience the cluster really uses.
  - Returns the detected audiences, and the merged list for AuthPolicies, which always ends with
    O(extra_audiences) (by default C(maas-default-gateway-sa)).
  - With O(override_audiences) nothing is requested and those audiences are used instead.
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.request_options
  - modelserving.maas.attributes
attributes:
  check_mode:
    support: full
    details:
      - The TokenRequest is always sent as a server-side dry run; nothing is ever written.
      - In check mode, when O(namespace) does not exist yet (an earlier task would create it), the
        token is requested for C(default/default) instead, with a warning; the audiences are the cluster's.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Reads only; C(changed) is always false.
options:
  namespace:
    description:
      - Namespace of the service account.
    type: str
    default: default
  service_account:
    description:
      - Service account to request the token for. Every namespace has C(default).
    type: str
    default: default
  override_audiences:
    description:
      - Use these audiences instead of detecting them; no request is made.
    type: list
    elements: str
    default: []
  extra_audiences:
    description:
      - Audiences always accepted in addition to the detected (or overriding) ones.
    type: list
    elements: str
    default: [maas-default-gateway-sa]
  wait_timeout:
    description:
      - Seconds to wait for the service account to appear; the C(default) one of a new namespace is
        created by a controller shortly after the namespace.
    type: int
    default: 30
requirements:
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
notes:
  - The connecting user needs C(create) on C(serviceaccounts/token) in O(namespace).
"""

EXAMPLES = r"""
- name: Find the audiences for maas-api's AuthPolicy
  modelserving.maas.token_audience:
    namespace: opendatahub
  register: maas_api_audience

- name: Use them
  ansible.builtin.debug:
    msg: "{{ maas_api_audience.audiences }}"   # e.g. [https://kubernetes.default.svc, maas-default-gateway-sa]

- name: Take them from a variable instead (no request is made)
  modelserving.maas.token_audience:
    override_audiences: [https://oidc.example.com/cluster]
"""

RETURN = r"""
audiences:
  description: The audiences to accept, detected (or overriding) first, then O(extra_audiences), without duplicates.
  returned: always
  type: list
  elements: str
  sample: [https://kubernetes.default.svc.cluster.local, maas-default-gateway-sa]
detected:
  description: The C(aud) claim of the requested token; empty when O(override_audiences) is given.
  returned: always
  type: list
  elements: str
  sample: [https://kubernetes.default.svc.cluster.local]
issuer:
  description: The C(iss) claim of the requested token (the cluster's service-account issuer), or null.
  returned: always
  type: str
  sample: https://kubernetes.default.svc.cluster.local
source:
  description: V(token_request) when detected, V(override) when taken from O(override_audiences).
  returned: always
  type: str
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._tls.audience import run

OPTIONS = dict(
    namespace=dict(type="str", default="default"),
    service_account=dict(type="str", default="default"),
    override_audiences=dict(type="list", elements="str", default=[]),
    extra_audiences=dict(type="list", elements="str", default=["maas-default-gateway-sa"]),
    wait_timeout=dict(type="int", default=30),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
