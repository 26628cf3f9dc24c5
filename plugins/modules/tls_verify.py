#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_verify
short_description: Check live TLS endpoints the way their clients see them
version_added: 0.1.0
description:
  - For each target, shakes hands with the server and checks that the certificate chains to the
    expected CA, that it is valid for the server name, that protocol versions below the minimum are
    actually refused, and how many days it has left.
  - A target is an address (O(targets[].host), O(targets[].port)) or an in-cluster Service reached
    through the API server's port-forward (O(targets[].service)), as C(kubectl port-forward) does;
    the latter needs a running pod behind the Service.
  - The expected CA is given as PEM or read from a Secret or ConfigMap key; without one, the
    system trust store is used.
  - A version counts as refused only when the server refused it. This client first enables the old
    version and its ciphers (OpenSSL 3 disables TLS 1.0 and 1.1 by default), so the refusal cannot
    come from the client side; a version it still cannot offer is reported as a warning.
  - Only reads; never changes anything.
author:
  - modelserving.maas maintainers (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.request_options
  - modelserving.maas.attributes
attributes:
  check_mode:
    support: full
    details: Runs the same checks; they only read.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  targets:
    description:
      - The endpoints to check, in one call.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: A label for the report, such as C(authorino).
        type: str
        required: true
      host:
        description: Address to connect to. Required unless O(targets[].service) is given.
        type: str
      port:
        description: Port at O(targets[].host).
        type: int
      service:
        description:
          - An in-cluster Service to reach through a port-forward to one of its running pods.
        type: dict
        suboptions:
          name:
            description: Service name.
            type: str
            required: true
          namespace:
            description: Service namespace.
            type: str
            required: true
          port:
            description: Service port, by number or name.
            type: str
            required: true
      server_name:
        description:
          - The name the client asks for (SNI) and checks the certificate against, such as
            C(maas-api.opendatahub.svc). Defaults to O(targets[].host).
        type: str
      ca_pem:
        description: The expected CA certificate(s), PEM.
        type: str
      ca_secret:
        description: Read the expected CA from a Secret key.
        type: dict
        suboptions:
          name:
            description: Secret name.
            type: str
            required: true
          namespace:
            description: Secret namespace.
            type: str
            required: true
          key:
            description: Data key holding the CA certificate(s).
            type: str
            default: ca.crt
      ca_configmap:
        description: Read the expected CA from a ConfigMap key.
        type: dict
        suboptions:
          name:
            description: ConfigMap name.
            type: str
            required: true
          namespace:
            description: ConfigMap namespace.
            type: str
            required: true
          key:
            description: Data key holding the CA certificate(s).
            type: str
            default: ca.crt
      minimum_version:
        description: The lowest TLS version the server should accept; every lower version must be refused.
        type: str
        choices: ["1.0", "1.1", "1.2", "1.3"]
      min_days_to_expiry:
        description: Fail when the certificate expires within this many days (an expired one always fails).
        type: int
        default: 0
      check_hostname:
        description: Check the certificate names the server name.
        type: bool
        default: true
      alpn:
        description: ALPN protocols to offer; gRPC servers such as Authorino require C(h2).
        type: list
        elements: str
        default: [h2, http/1.1]
      client:
        description:
          - How the hop's real client is configured, as read from the cluster (playbook C(verify) reads
            DestinationRules, BackendTLSPolicies and Authorino's Deployment). With O(targets[].client.verifies=false)
            the target fails whatever the peer does, so that "encrypted but unverified" is a failure.
        type: dict
        suboptions:
          name:
            description: The client's configuration, such as C(DestinationRule openshift-ingress/maas-api-backend-tls).
            type: str
            required: true
          verifies:
            description: Whether that client verifies its peer's chain and name.
            type: bool
            required: true
          problems:
            description: Why it does not, in words.
            type: list
            elements: str
            default: []
  timeout:
    description: Seconds allowed for each connection and handshake.
    type: float
    default: 5
  fail_on_error:
    description: Fail the task when any target fails a check. With V(false), read RV(ok) and RV(results).
    type: bool
    default: true
requirements:
  - cryptography >= 3.4
  - kubernetes >= 24.2.0 (for O(targets[].service), O(targets[].ca_secret), O(targets[].ca_configmap))
  - kubernetes.core >= 6.0.0
seealso:
  - module: modelserving.maas.tls_certificate
"""

EXAMPLES = r"""
- name: Authorino's listener and maas-api, through port-forwards, against the MaaS CA
  modelserving.maas.tls_verify:
    targets:
      - name: authorino
        service: {name: authorino-authorino-authorization, namespace: kuadrant-system, port: "50051"}
        server_name: authorino-authorino-authorization.kuadrant-system.svc
        ca_configmap: {name: maas-ca-bundle, namespace: kuadrant-system}
        minimum_version: "1.2"
      - name: maas-api
        service: {name: maas-api, namespace: opendatahub, port: "8443"}
        server_name: maas-api.opendatahub.svc
        ca_secret: {name: maas-ca, namespace: opendatahub}
        minimum_version: "1.3"

- name: The gateway's public listener, against the system trust store
  modelserving.maas.tls_verify:
    targets:
      - name: gateway
        host: maas.apps.example.com
        port: 443
        minimum_version: "1.2"
        min_days_to_expiry: 14
"""

RETURN = r"""
ok:
  description: Whether every target passed every check.
  returned: always
  type: bool
results:
  description: One entry per target.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The target's label.
      type: str
    endpoint:
      description: C(host:port), or C(pod namespace/name:port via Service ...) for a port-forward.
      type: str
    server_name:
      description: The name asked for (SNI) and checked against the certificate.
      type: str
    ok:
      description: Whether it passed every check.
      type: bool
    failures:
      description: Each failed check, in words.
      type: list
      elements: str
    warnings:
      description: Findings that do not fail the check (an expiry within 30 days, a version this client could not offer).
      type: list
      elements: str
    protocol:
      description: Protocol version negotiated by default.
      type: str
    cipher:
      description: Cipher suite negotiated by default.
      type: str
    alpn:
      description: ALPN protocol the server chose, or null.
      type: str
    minimum_version:
      description: The O(targets[].minimum_version) checked, or null.
      type: str
    accepted_versions:
      description: Per version, true (accepted), false (refused by the server) or null (not testable from this client).
      type: dict
    minimum_version_enforced:
      description: True when every version below the minimum was refused by the server.
      type: bool
    client_verifies:
      description: O(targets[].client.verifies), or null when no client was given.
      type: bool
    chain_verified:
      description: Whether the presented chain verifies against the expected CA.
      type: bool
    chain_error:
      description: The verification error, when it does not.
      type: str
    hostname_verified:
      description: Whether the certificate names the server name.
      type: bool
    expected_ca_fingerprints:
      description: SHA-256 fingerprints of the CA certificates checked against.
      type: list
      elements: str
    certificate:
      description: Subject, issuer, names, validity and fingerprint of the presented certificate.
      type: dict
    days_to_expiry:
      description: Whole days until the certificate expires.
      type: int
  sample:
    - name: maas-api
      endpoint: 127.0.0.1:8443
      server_name: maas-api.opendatahub.svc
      ok: true
      failures: []
      protocol: TLSv1.3
      accepted_versions: {TLSv1: false, TLSv1.1: false, TLSv1.2: false, TLSv1.3: true}
      minimum_version_enforced: true
      chain_verified: true
      hostname_verified: true
      days_to_expiry: 364
summary:
  description: A table, one line per target, for printing.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._tls.verify import run

REF_OPTIONS = dict(
    name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    # The name of a data key holding a public CA certificate, not a secret value.
    key=dict(type="str", default="ca.crt", no_log=False),
)
TARGET_OPTIONS = dict(
    name=dict(type="str", required=True),
    host=dict(type="str"),
    port=dict(type="int"),
    service=dict(type="dict", options=dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        port=dict(type="str", required=True),
    )),
    server_name=dict(type="str"),
    ca_pem=dict(type="str"),
    ca_secret=dict(type="dict", options=REF_OPTIONS, no_log=False),
    ca_configmap=dict(type="dict", options=REF_OPTIONS),
    minimum_version=dict(type="str", choices=["1.0", "1.1", "1.2", "1.3"]),
    min_days_to_expiry=dict(type="int", default=0),
    check_hostname=dict(type="bool", default=True),
    alpn=dict(type="list", elements="str", default=["h2", "http/1.1"]),
    client=dict(type="dict", options=dict(
        name=dict(type="str", required=True),
        verifies=dict(type="bool", required=True),
        problems=dict(type="list", elements="str", default=[]),
    )),
)
OPTIONS = dict(
    targets=dict(type="list", elements="dict", required=True, options=TARGET_OPTIONS),
    timeout=dict(type="float", default=5.0),
    fail_on_error=dict(type="bool", default=True),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
