#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_certificate
short_description: A CA and the certificates it signs, kept as kubernetes.io/tls Secrets
version_added: 0.1.0
description:
  - The C(self) certificate provider of this collection. Keeps one CA and every leaf certificate it
    signs as C(kubernetes.io/tls) Secrets (C(tls.crt), C(tls.key), C(ca.crt)), and publishes the CA
    certificate in ConfigMaps under the key C(ca.crt), all in one call.
  - Idempotent. A stored certificate is kept when its key pair matches, its names match, the current
    CA issued it and it is outside its renewal window. It is issued again with a new key when the key
    does not match, the names or key type changed, another CA issued it, or it is inside its renewal
    window. A CA issued again re-issues every leaf of the call.
  - Reads every object first and writes only those that change, validating the writes with a
    server-side dry run before making any; a run over an unchanged cluster makes no write requests.
  - Private keys never appear in the results, the logs or the diff. The diff shows SHA-256 hashes of
    Secret values; results show fingerprints, names and dates.
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.request_options
  - modelserving.maas.apply_options
  - modelserving.maas.attributes
attributes:
  check_mode:
    support: full
    details: Decides as a real run would and validates the writes with a server-side dry run; writes nothing.
  diff_mode:
    support: full
    details: Before and after of each changed Secret and ConfigMap, with Secret values replaced by their SHA-256.
  idempotent:
    support: full
    details: Nothing is issued or written when the stored certificates already satisfy the request.
options:
  state:
    description:
      - V(present) creates or renews the CA, the certificates and the bundles.
      - V(absent) deletes the listed certificate Secrets; the CA Secret and the bundles only when
        O(ca.delete=true).
      - With V(absent) an entry needs only its name and namespace; names, key type and validity are
        not checked.
    type: str
    choices: [present, absent]
    default: present
  ca:
    description:
      - The CA, stored as a C(kubernetes.io/tls) Secret whose C(ca.crt) is the CA certificate itself.
      - An existing CA Secret (for example your own CA) is used as it is while it is valid.
    type: dict
    required: true
    suboptions:
      name:
        description: Name of the CA Secret.
        type: str
        required: true
      namespace:
        description: Namespace of the CA Secret.
        type: str
        required: true
      common_name:
        description: Common name of the CA certificate; a stored CA with another common name is issued again.
        type: str
        default: modelserving.maas CA
      validity_days:
        description: Days a newly issued CA certificate is valid.
        type: int
        default: 3650
      renew_before_days:
        description: The CA is issued again (and every leaf with it) when it expires within this many days.
        type: int
        default: 30
      delete:
        description: With O(state=absent), delete the CA Secret and the O(ca_bundles) too.
        type: bool
        default: false
  certificates:
    description:
      - Leaf certificates signed by the CA, each its own Secret.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the Secret.
        type: str
        required: true
      namespace:
        description: Namespace of the Secret.
        type: str
        required: true
      common_name:
        description: Subject common name; defaults to the first DNS name.
        type: str
      dns_names:
        description: DNS subject alternative names (what clients check), such as the Service's names.
        type: list
        elements: str
        default: []
      ip_addresses:
        description: IP subject alternative names.
        type: list
        elements: str
        default: []
      validity_days:
        description: Days a newly issued certificate is valid (never past the CA's own end).
        type: int
        default: 365
      renew_before_days:
        description: The certificate is issued again when it expires within this many days.
        type: int
        default: 30
      labels:
        description: Extra labels on the Secret.
        type: dict
        default: {}
  ca_bundles:
    description:
      - ConfigMaps that publish the CA certificate under the key C(ca.crt), for clients to trust.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the ConfigMap.
        type: str
        required: true
      namespace:
        description: Namespace of the ConfigMap.
        type: str
        required: true
      labels:
        description: Extra labels on the ConfigMap.
        type: dict
        default: {}
  key_type:
    description:
      - Key algorithm of newly issued keys. A stored certificate with another key type is issued again.
    type: str
    choices: [ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096]
    default: ecdsa-p256
  labels:
    description:
      - Labels on every Secret and ConfigMap this module writes.
    type: dict
    default:
      app.kubernetes.io/managed-by: modelserving.maas
      app.kubernetes.io/component: tls
requirements:
  - cryptography >= 3.4
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
notes:
  - Give every certificate of one CA in one call; a CA issued again re-issues only the leaves listed.
  - Servers read their certificate at start-up; restart them after a renewal (the C(authorino_tls)
    role does this by annotating the pod template with the certificate's fingerprint).
  - Other providers (OpenShift service CA, cert-manager, certificates you provide) are chosen by the
    roles; this module is the C(self) provider.
seealso:
  - module: modelserving.maas.tls_verify
"""

EXAMPLES = r"""
- name: The CA, maas-api's serving certificate and the bundle Authorino trusts
  modelserving.maas.tls_certificate:
    ca:
      name: maas-ca
      namespace: opendatahub
    certificates:
      - name: maas-api-serving-cert
        namespace: opendatahub
        dns_names:
          - maas-api
          - maas-api.opendatahub.svc
          - maas-api.opendatahub.svc.cluster.local
    ca_bundles:
      - name: maas-ca-bundle
        namespace: kuadrant-system
  register: maas_certs

- name: Remove a certificate (the CA stays)
  modelserving.maas.tls_certificate:
    state: absent
    ca:
      name: maas-ca
      namespace: opendatahub
    certificates:
      - name: maas-api-serving-cert
        namespace: opendatahub
"""

RETURN = r"""
ca:
  description: The CA.
  returned: always
  type: dict
  contains:
    name:
      description: Secret name.
      type: str
    namespace:
      description: Secret namespace.
      type: str
    action:
      description: V(created), V(renewed) or V(unchanged) (V(deleted) or V(absent) with O(state=absent)).
      type: str
    reason:
      description: Why, in words.
      type: str
    not_after:
      description: End of validity, ISO 8601.
      type: str
    sha256_fingerprint:
      description: SHA-256 fingerprint of the certificate.
      type: str
    common_name:
      description: Subject common name of the certificate.
      type: str
  sample:
    name: maas-ca
    namespace: opendatahub
    action: unchanged
    reason: valid until 2036-03-01
    not_after: "2036-03-01T10:00:00+00:00"
    sha256_fingerprint: "5E:0B:..."
certificates:
  description: One entry per requested certificate, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Secret name.
      type: str
    namespace:
      description: Secret namespace.
      type: str
    action:
      description: V(created), V(renewed) or V(unchanged) (V(deleted) or V(absent) with O(state=absent)).
      type: str
    reason:
      description: Why, in words (for example C(subject alternative names changed (...))).
      type: str
    not_after:
      description: End of validity, ISO 8601.
      type: str
    sha256_fingerprint:
      description: SHA-256 fingerprint of the certificate.
      type: str
    common_name:
      description: Subject common name of the certificate.
      type: str
    dns_names:
      description: DNS subject alternative names of the certificate.
      type: list
      elements: str
    ip_addresses:
      description: IP subject alternative names of the certificate.
      type: list
      elements: str
ca_bundles:
  description: One entry per bundle ConfigMap, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: ConfigMap name.
      type: str
    namespace:
      description: ConfigMap namespace.
      type: str
    action:
      description: V(created), V(updated) or V(unchanged) (V(deleted) or V(absent) with O(state=absent)).
      type: str
ca_certificate_pem:
  description: The CA certificate (public), for clients to trust.
  returned: when O(state=present) and the task succeeds
  type: str
diff:
  description:
    - One entry per written or deleted Secret and ConfigMap, with C(before), C(after), C(before_header)
      and C(after_header); Secret values replaced by their SHA-256.
  returned: when diff mode is on
  type: list
  elements: dict
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import APPLY_ARG_SPEC, argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._tls.pki import KEY_TYPES
from ansible_collections.modelserving.maas.plugins.module_utils._tls.issue import run

CA_OPTIONS = dict(
    name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    common_name=dict(type="str", default="modelserving.maas CA"),
    validity_days=dict(type="int", default=3650),
    renew_before_days=dict(type="int", default=30),
    delete=dict(type="bool", default=False),
)
CERTIFICATE_OPTIONS = dict(
    name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    common_name=dict(type="str"),
    dns_names=dict(type="list", elements="str", default=[]),
    ip_addresses=dict(type="list", elements="str", default=[]),
    validity_days=dict(type="int", default=365),
    renew_before_days=dict(type="int", default=30),
    labels=dict(type="dict", default={}),
)
BUNDLE_OPTIONS = dict(
    name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    labels=dict(type="dict", default={}),
)
DEFAULT_LABELS = {"app.kubernetes.io/managed-by": "modelserving.maas", "app.kubernetes.io/component": "tls"}
OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    ca=dict(type="dict", required=True, options=CA_OPTIONS),
    certificates=dict(type="list", elements="dict", default=[], options=CERTIFICATE_OPTIONS),
    ca_bundles=dict(type="list", elements="dict", default=[], options=BUNDLE_OPTIONS),
    key_type=dict(type="str", choices=list(KEY_TYPES), default="ecdsa-p256"),
    labels=dict(type="dict", default=DEFAULT_LABELS),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS, APPLY_ARG_SPEC), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
