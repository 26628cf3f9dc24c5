#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_apply
short_description: Apply or delete a set of Kubernetes objects in one call, writing only what differs
version_added: 0.1.0
description:
  - Server-side applies every object in O(objects) under one field manager, in parallel requests.
  - Reads the live objects first and writes only those that would change, so a run over an unchanged
    cluster makes no write requests and reports C(changed=false).
  - Validates every object that needs writing with a server-side dry run before writing any of them.
    Namespaces and CustomResourceDefinitions are handled first, and new CRDs are waited for until
    they are Established, so one call can create a CRD's namespace, the CRD and its instances.
  - A field this collection owns that someone changed with an imperative edit (C(kubectl edit),
    C(kubectl patch)) is drift and is taken back. A field owned by another applier fails the run
    unless O(force_conflicts=true).
  - Secrets carrying C(data) or C(stringData) are refused, because module arguments can be logged;
    create those with M(modelserving.maas.tls_certificate) or a C(no_log) task.
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
    details: Runs a server-side dry run; C(changed) and the diff show what a real run would do.
  diff_mode:
    support: full
    details: Before and after of each changed object, without server bookkeeping; Secret values are hashed.
  idempotent:
    support: full
options:
  objects:
    description:
      - The Kubernetes objects, each with C(apiVersion), C(kind) and C(metadata.name).
    type: list
    elements: dict
    required: true
  state:
    description:
      - V(present) applies the objects, V(absent) deletes those that exist.
    type: str
    choices: [present, absent]
    default: present
  wait_timeout:
    description:
      - Seconds to wait for new CustomResourceDefinitions to become Established.
    type: int
    default: 60
  create_only:
    description:
      - Create the objects that do not exist and leave existing ones exactly as they are
        (for objects users own once created, such as the C(default-tenant) Tenant).
    type: bool
    default: false
requirements:
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
notes:
  - Use a list of objects in one task instead of a C(loop); every module call costs about half a
    second before its first API request.
"""

EXAMPLES = r"""
- name: Namespace, ServiceAccount and Service in one call
  modelserving.maas.k8s_apply:
    objects:
      - apiVersion: v1
        kind: Namespace
        metadata:
          name: opendatahub
      - apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: maas-api
          namespace: opendatahub
      - apiVersion: v1
        kind: Service
        metadata:
          name: maas-api
          namespace: opendatahub
        spec:
          selector:
            app.kubernetes.io/name: maas-api
          ports:
            - name: https
              port: 8443
              targetPort: 8443

- name: Remove them again
  modelserving.maas.k8s_apply:
    state: absent
    objects: "{{ maas_api_objects }}"
"""

RETURN = r"""
created:
  description: Objects that did not exist, as C(Kind namespace/name).
  returned: always
  type: list
  elements: str
  sample: ["Namespace opendatahub"]
updated:
  description: Objects that existed and changed.
  returned: always
  type: list
  elements: str
unchanged:
  description: Objects left as they were (no write request was made for them).
  returned: always
  type: list
  elements: str
deleted:
  description: Objects deleted (V(absent)).
  returned: always
  type: list
  elements: str
reverted:
  description: Updated objects where a field this collection owns had been edited by hand and was taken back.
  returned: always
  type: list
  elements: str
diff:
  description:
    - One entry per created, updated or deleted object, with C(before), C(after), C(before_header) and
      C(after_header); server bookkeeping left out and Secret values replaced by their SHA-256.
  returned: when diff mode is on
  type: list
  elements: dict
errors:
  description: One message per object that could not be applied or deleted, naming the object.
  returned: on failure
  type: list
  elements: str
  sample: ["ConfigMap opendatahub/maas-config: cannot read it: Forbidden"]
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import APPLY_ARG_SPEC, argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.objects import run
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute

OPTIONS = dict(
    objects=dict(type="list", elements="dict", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    wait_timeout=dict(type="int", default=60),
    create_only=dict(type="bool", default=False),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS, APPLY_ARG_SPEC), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
