#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: maas_uninstall
short_description: Remove what modelserving.maas created and give back what it patched
version_added: 0.1.0
description:
  - Finds the objects the collection created by their tracking labels
    (C(app.kubernetes.io/managed-by=modelserving.maas), or O(managed_by) together with
    C(app.kubernetes.io/part-of=models-as-a-service)), with one metadata-only LIST per kind across
    namespaces, and deletes them. The kinds are those the collection writes (policies, routes,
    Services, maas-api and its RBAC, NetworkPolicies, ConfigMaps, Secrets, TLS origination,
    ReferenceGrants, ServiceEntries, certificates, the database and telemetry objects); a kind the
    cluster does not serve is skipped and listed in RV(kinds_not_served).
  - A labelled object is deleted only in O(namespaces), or, in a namespace holding a MaaSModelRef or
    ExternalModel and for cluster-scoped objects, only when O(field_manager) also wrote it. Anything
    else that carries the labels, and anything opted out with C(opendatahub.io/managed=false), is
    left alone and listed in RV(kept).
  - Gives back the fields O(field_manager) applied to the objects in O(release) with a server-side
    apply of an empty intent, so the API server removes only the fields no one else owns; where that
    would leave the object invalid (a required parent no manager owns, such as the empty C(spec) of a
    Kuadrant CR), with a JSON merge patch that removes only those fields and keeps their parents. A
    value the collection overwrote is put back from the annotation C(maas.opendatahub.io/restore-on-uninstall)
    the role recorded at patch time.
  - Takes the mesh mTLS C(transport_socket) out of the EnvoyFilters O(field_manager) patched
    (O(envoyfilters)).
  - Never deletes the users' MaaS resources (Tenant, MaaSModelRef, MaaSAuthPolicy, MaaSSubscription,
    ExternalModel) or the MaaS CRDs, unless O(crds=true); that refuses, before any write, while MaaS
    resources other than the Tenant O(tenant_name) exist, unless O(force=true).
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
    details: Deletes and applies as server-side dry runs; the result lists what a real run would delete and give back.
  diff_mode:
    support: full
    details: Before and after of each object given back; deleted objects by name and labels only.
  idempotent:
    support: full
    details: A second run finds nothing of the collection's and makes no write request.
options:
  namespaces:
    description:
      - The collection's namespaces (maas-api, subscriptions, gateway, Kuadrant, CA), where an object
        carrying the tracking labels is deleted on its labels.
    type: list
    elements: str
    required: true
  managed_by:
    description:
      - The C(app.kubernetes.io/managed-by) value of the generated policies (role variable C(maas_managed_by)).
    type: str
    default: maas-controller
  release:
    description:
      - Platform objects the roles patched, whose fields of O(field_manager) are given back.
    type: list
    elements: dict
    default: []
    suboptions:
      apiVersion:
        description: API version of the object.
        type: str
        required: true
      kind:
        description: Kind of the object.
        type: str
        required: true
      name:
        description: Name of the object.
        type: str
        required: true
      namespace:
        description: Namespace of the object; leave out for cluster-scoped objects.
        type: str
      delete_when_sole_owner:
        description:
          - Delete the object instead when O(field_manager) is its only writer (the collection created
            it, for example a PeerAuthentication); otherwise only give back its fields.
        type: bool
        default: false
  envoyfilters:
    description:
      - Where the C(kuadrant_mtls) role patched EnvoyFilters. Omit to leave EnvoyFilters alone.
    type: dict
    suboptions:
      namespace:
        description: Namespace of the EnvoyFilters (the gateway's).
        type: str
        required: true
      name_prefix:
        description: Only EnvoyFilters whose name starts with this.
        type: str
        default: kuadrant-
      clusters:
        description: The clusters whose config patches got the transport_socket; empty for every cluster patch.
        type: list
        elements: str
        default: []
  tenant_namespace:
    description: Namespace of the Tenant the collection created.
    type: str
    default: models-as-a-service
  tenant_name:
    description: Name of the Tenant the collection created; it does not make O(crds=true) refuse.
    type: str
    default: default-tenant
  crds:
    description:
      - Also delete the MaaS CRDs (and with them every MaaS resource).
    type: bool
    default: false
  force:
    description:
      - With O(crds=true), delete the CRDs even while MaaS resources exist.
    type: bool
    default: false
requirements:
  - kubernetes >= 24.2.0
  - kubernetes.core >= 6.0.0
notes:
  - Namespaces are never deleted; they may hold what others put there.
seealso:
  - module: modelserving.maas.k8s_apply
"""

EXAMPLES = r"""
- name: Remove Models-as-a-Service, keeping the MaaS resources and CRDs
  modelserving.maas.maas_uninstall:
    namespaces: [opendatahub, models-as-a-service, openshift-ingress, kuadrant-system]
    release:
      - {apiVersion: operator.authorino.kuadrant.io/v1beta1, kind: Authorino, name: authorino, namespace: kuadrant-system}
      - {apiVersion: apps/v1, kind: Deployment, name: authorino, namespace: kuadrant-system}
    envoyfilters:
      namespace: openshift-ingress
      clusters: [kuadrant-auth-service, kuadrant-ratelimit-service]
"""

RETURN = r"""
deleted:
  description: Objects deleted (in check mode, that would be), as C(Kind namespace/name).
  returned: always
  type: list
  elements: str
  sample: ["AuthPolicy llm/maas-auth-qwen3", "Deployment opendatahub/maas-api"]
reverted:
  description: Objects of O(release) whose fields of O(field_manager) were given back.
  returned: always
  type: list
  elements: str
  sample: ["Authorino kuadrant-system/authorino"]
restored:
  description: Those of RV(reverted) where recorded values were put back as well.
  returned: always
  type: list
  elements: str
envoyfilters_reverted:
  description: EnvoyFilters the mesh transport_socket was taken out of.
  returned: always
  type: list
  elements: str
kept:
  description: Objects carrying the tracking labels that were left alone, each with the reason.
  returned: always
  type: list
  elements: str
  sample: ["ConfigMap team-a/look-alike: outside the collection's namespaces"]
kinds_not_served:
  description: Kinds the cluster does not serve, skipped.
  returned: always
  type: list
  elements: str
  sample: ["extensions.kuadrant.io/v1alpha1 TelemetryPolicy"]
crds_deleted:
  description: MaaS CRDs deleted (O(crds=true)).
  returned: always
  type: list
  elements: str
diff:
  description: One entry per object deleted or given back, without server bookkeeping.
  returned: when diff mode is on
  type: list
  elements: dict
errors:
  description: One message per object that could not be listed, deleted or given back.
  returned: on failure
  type: list
  elements: str
"""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import PATCH_ARG_SPEC, argument_spec, new_module
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import execute
from ansible_collections.modelserving.maas.plugins.module_utils._maas.uninstall import run

OPTIONS = dict(
    namespaces=dict(type="list", elements="str", required=True),
    managed_by=dict(type="str", default="maas-controller"),
    release=dict(type="list", elements="dict", default=[], options=dict(
        apiVersion=dict(type="str", required=True),
        kind=dict(type="str", required=True),
        name=dict(type="str", required=True),
        namespace=dict(type="str"),
        delete_when_sole_owner=dict(type="bool", default=False),
    )),
    envoyfilters=dict(type="dict", options=dict(
        namespace=dict(type="str", required=True),
        name_prefix=dict(type="str", default="kuadrant-"),
        clusters=dict(type="list", elements="str", default=[]),
    )),
    tenant_namespace=dict(type="str", default="models-as-a-service"),
    tenant_name=dict(type="str", default="default-tenant"),
    crds=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
)


def main():
    module = new_module(argument_spec=argument_spec(OPTIONS, PATCH_ARG_SPEC), supports_check_mode=True)
    execute(module, run)


if __name__ == "__main__":
    main()
