#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: envoyfilter_mtls
short_description: Keep the mesh mTLS transport_socket in the Kuadrant operator's EnvoyFilters
version_added: 0.1.0
description:
  - Lists the EnvoyFilters of one namespace in a single request, keeps those whose name starts with
    O(name_prefix) (and that match O(label_selector)), and makes the cluster patches in them carry
    exactly the Istio mesh mTLS C(transport_socket) (O(state=present)) or none (O(state=absent)).
  - The transport_socket is C(envoy.transport_sockets.tls) with an C(UpstreamTlsContext) taking the
    client certificate from SDS secret C(default) and the validation context from SDS secret
    C(ROOTCA) (a C(combined_validation_context)), both over the O(sds_cluster) gRPC cluster.
    A wrong or partial transport_socket is replaced; there is never more than one.
  - Only config patches that apply to a C(CLUSTER) with operation C(ADD), C(MERGE) or
    C(MERGE_AND_REPLACE_LIST) get it, because C(transport_socket) is a field of an Envoy cluster.
    HTTP filter, listener and other patches (such as the Wasm filter in the operator's
    C(kuadrant-<gateway>) EnvoyFilter) are never touched; Istio would reject the whole filter.
    O(clusters) narrows this to named clusters.
  - O(state=absent) removes only a TLS transport_socket that takes its secrets from O(sds_cluster)
    and leaves everything else in the filter as it is.
  - Writes only the filters that differ, each with a JSON Patch that first tests
    C(metadata.resourceVersion), so a write the Kuadrant operator made after the read is never
    overwritten blindly; such a filter is read again and patched again (at most O(max_conflicts) times).
  - Built for schedules that revert the operator's rewrites; C(drift_count) says how many filters
    needed a change.
author:
  - modelserving.maas contributors (@modelserving)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - modelserving.maas.request_options
  - modelserving.maas.apply_options.patch
  - modelserving.maas.attributes
attributes:
  check_mode:
    support: full
    details: Sends the patches as a server-side dry run; C(drifted) and the diff show what a real run would change.
  diff_mode:
    support: full
    details: Before and after of each filter that changed, without server bookkeeping.
  idempotent:
    support: full
    details: A run over filters that already match makes one LIST request and no write.
options:
  namespace:
    description:
      - Namespace of the EnvoyFilters, the gateway's namespace.
    type: str
    required: true
  name_prefix:
    description:
      - Only EnvoyFilters whose name starts with this. The empty string selects every filter the
        label selector selects.
    type: str
    default: kuadrant-
  label_selector:
    description:
      - A label selector (such as C(kuadrant.io/managed=true)) applied by the API server in the LIST.
    type: str
  state:
    description:
      - V(present) adds or corrects the transport_socket, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  clusters:
    description:
      - Only cluster patches for these cluster names (the patch value's C(name), else the match's
        cluster C(name)), such as C(kuadrant-auth-service) and C(kuadrant-ratelimit-service).
        Empty means every cluster patch in the selected filters.
    type: list
    elements: str
    default: []
  sds_cluster:
    description:
      - The Envoy cluster of the sidecar's SDS server (Istio's bootstrap names it C(sds-grpc)).
    type: str
    default: sds-grpc
  max_conflicts:
    description:
      - How many times to read a filter again and retry when it changed between read and write.
    type: int
    default: 5
requirements:
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
notes:
  - The selector is evaluated once per run; filters the operator creates later are patched by the next run.
seealso:
  - module: modelserving.maas.k8s_apply
"""

EXAMPLES = r"""
- name: Mesh mTLS from the gateway's Wasm plugin to Authorino and Limitador
  modelserving.maas.envoyfilter_mtls:
    namespace: openshift-ingress
    clusters: [kuadrant-auth-service, kuadrant-ratelimit-service]
  register: mtls

- name: Tell a schedule how many filters the operator had rewritten
  ansible.builtin.set_stats:
    data:
      drift_count: "{{ mtls.drift_count }}"

- name: Take the transport_socket out again
  modelserving.maas.envoyfilter_mtls:
    namespace: openshift-ingress
    label_selector: kuadrant.io/managed=true
    state: absent
"""

RETURN = r"""
drifted:
  description: Names of the filters that needed a change (and got it, unless in check mode).
  returned: always
  type: list
  elements: str
  sample: ["kuadrant-ratelimiting-maas-default-gateway"]
unchanged:
  description: Names of the selected filters that already matched (no write request was made for them).
  returned: always
  type: list
  elements: str
drift_count:
  description: How many filters needed a change; the length of RV(drifted).
  returned: always
  type: int
  sample: 1
vanished:
  description: Names of filters deleted by someone else while this module was patching them.
  returned: always
  type: list
  elements: str
conflicts:
  description: Writes refused because a filter changed after it was read, each followed by a fresh read and retry.
  returned: always
  type: int
  sample: 0
diff:
  description:
    - One entry per drifted filter, with C(before), C(after), C(before_header) and C(after_header);
      server bookkeeping left out.
  returned: when diff mode is on
  type: list
  elements: dict
errors:
  description: One message per filter that could not be checked or patched, naming the filter and the field.
  returned: on failure
  type: list
  elements: str
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import PATCH_ARG_SPEC, argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._mesh.envoyfilter import run

OPTIONS = dict(
    namespace=dict(type="str", required=True),
    name_prefix=dict(type="str", default="kuadrant-"),
    label_selector=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    clusters=dict(type="list", elements="str", default=[]),
    sds_cluster=dict(type="str", default="sds-grpc"),
    max_conflicts=dict(type="int", default=5),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS, PATCH_ARG_SPEC), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
