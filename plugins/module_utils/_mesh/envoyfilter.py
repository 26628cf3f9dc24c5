# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Mesh mTLS in the Kuadrant operator's EnvoyFilters: the patch, its removal, and drift repair.

The Kuadrant operator writes the EnvoyFilters that give the gateway's Wasm plugin its clusters to
Authorino (`kuadrant-auth-service`) and Limitador (`kuadrant-ratelimit-service`), and rewrites them
whenever a gateway, route or policy changes, which drops a hand-made transport_socket. The functions
here decide, from a live EnvoyFilter alone, what its config patches should be and which JSON Patch
gets them there; `reconcile_envoyfilters` (and `run`, module envoyfilter_mtls, over it) is the only
one that talks to the cluster.

Which config patches get a transport_socket: not every patch value, because a transport_socket is a
field of an Envoy *Cluster* only. So a patch is in scope when it applies to a
CLUSTER with an operation whose value is (part of) a Cluster: ADD (a whole new cluster, what
Kuadrant generates), MERGE and MERGE_AND_REPLACE_LIST (merged into the matched cluster, so the
socket makes that cluster's upstream connections mutual TLS). Everything else is left exactly as it
is: an HTTP_FILTER or LISTENER value has no transport_socket field, and Istio would reject the whole
EnvoyFilter, taking the Wasm auth/rate-limit filter off the gateway with it; REMOVE has no value.
Callers can narrow the scope further to named clusters: the Wasm-server cluster
(`kuadrant-operator-wasm`) points at a pod without a sidecar, where mTLS would only break.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from typing import Optional, Sequence

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import diff_entry
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, ref
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure

API_VERSION = "networking.istio.io/v1alpha3"
KIND = "EnvoyFilter"
TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls"
UPSTREAM_TLS_CONTEXT = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
DEFAULT_SDS_CLUSTER = "sds-grpc"
# Istio's names for the workload certificate and the mesh trust bundle served over SDS.
CERTIFICATE_SECRET = "default"
ROOT_CA_SECRET = "ROOTCA"
CLUSTER_VALUE_OPERATIONS = ("ADD", "MERGE", "MERGE_AND_REPLACE_LIST")
DEFAULT_MAX_CONFLICTS = 5


# ---------------------------------------------------------------------------------------------
# pure decisions


def sds_secret_config(name: str, sds_cluster: str = DEFAULT_SDS_CLUSTER) -> dict:
    """An SdsSecretConfig fetching `name` from the sidecar's SDS server over a plain gRPC source."""
    return {"name": name, "sds_config": {"api_config_source": {
        "api_type": "GRPC", "grpc_services": [{"envoy_grpc": {"cluster_name": sds_cluster}}]}}}


def mtls_transport_socket(sds_cluster: str = DEFAULT_SDS_CLUSTER) -> dict:
    """The mesh mTLS transport_socket: client certificate `default`, validation context `ROOTCA`.

    Shaped as Istio itself writes mesh clusters: the validation context is a
    combined_validation_context, whose `default_validation_context` Envoy requires to be set
    (empty here: the trust bundle comes entirely from SDS).
    """
    return {
        "name": TLS_TRANSPORT_SOCKET,
        "typed_config": {
            "@type": UPSTREAM_TLS_CONTEXT,
            "common_tls_context": {
                "tls_certificate_sds_secret_configs": [sds_secret_config(CERTIFICATE_SECRET, sds_cluster)],
                "combined_validation_context": {
                    "default_validation_context": {},
                    "validation_context_sds_secret_config": sds_secret_config(ROOT_CA_SECRET, sds_cluster),
                },
            },
        },
    }


def patch_cluster_name(config_patch: dict) -> Optional[str]:
    """The cluster a config patch adds or changes: the value's name, else the match's cluster name."""
    patch = config_patch.get("patch") or {}
    value = patch.get("value")
    if isinstance(value, dict) and value.get("name"):
        return value["name"]
    cluster = ((config_patch.get("match") or {}).get("cluster") or {})
    return cluster.get("name")


def carries_transport_socket(config_patch: dict, clusters: Sequence[str] = ()) -> bool:
    """Whether this config patch is one whose value gets the transport_socket (see module docs).
    `clusters`, when given, narrows the scope to patches of those cluster names."""
    if not isinstance(config_patch, dict) or config_patch.get("applyTo") != "CLUSTER":
        return False
    patch = config_patch.get("patch") or {}
    if patch.get("operation") not in CLUSTER_VALUE_OPERATIONS or not isinstance(patch.get("value"), dict):
        return False
    return not clusters or patch_cluster_name(config_patch) in clusters


def _sds_clusters(node) -> set:
    found = set()
    if isinstance(node, dict):
        grpc = node.get("envoy_grpc")
        if isinstance(grpc, dict) and grpc.get("cluster_name"):
            found.add(grpc["cluster_name"])
        for value in node.values():
            found |= _sds_clusters(value)
    elif isinstance(node, list):
        for value in node:
            found |= _sds_clusters(value)
    return found


def is_mesh_transport_socket(socket, sds_cluster: str = DEFAULT_SDS_CLUSTER) -> bool:
    """A TLS transport_socket taking its secrets from the mesh's SDS cluster: ours, a partial or
    outdated copy of ours, or the one Kuadrant's native mTLS writes. TLS configured any other way
    (files, another SDS server) is someone else's and is never removed."""
    return (isinstance(socket, dict) and socket.get("name") == TLS_TRANSPORT_SOCKET
            and sds_cluster in _sds_clusters(socket.get("typed_config")))


def config_patches_with_mtls(config_patches: list, socket: dict, clusters: Sequence[str] = ()) -> list:
    """A copy where every in-scope patch value carries exactly `socket` (replacing any other)."""
    result = copy.deepcopy(config_patches)
    for config_patch in result:
        if carries_transport_socket(config_patch, clusters):
            config_patch["patch"]["value"]["transport_socket"] = copy.deepcopy(socket)
    return result


def config_patches_without_mtls(config_patches: list, clusters: Sequence[str] = (),
                                sds_cluster: str = DEFAULT_SDS_CLUSTER) -> list:
    """A copy without the mesh transport_socket in in-scope patch values; nothing else changes."""
    result = copy.deepcopy(config_patches)
    for config_patch in result:
        if carries_transport_socket(config_patch, clusters):
            value = config_patch["patch"]["value"]
            if is_mesh_transport_socket(value.get("transport_socket"), sds_cluster):
                del value["transport_socket"]
    return result


def desired_config_patches(config_patches: list, state: str, clusters: Sequence[str] = (),
                           sds_cluster: str = DEFAULT_SDS_CLUSTER) -> list:
    """What the config patches should be for `state` (present or absent)."""
    if state == "present":
        return config_patches_with_mtls(config_patches, mtls_transport_socket(sds_cluster), clusters)
    return config_patches_without_mtls(config_patches, clusters, sds_cluster)


def shape_problems(envoyfilter: dict) -> list:
    """Messages naming the object and field for config patches this module cannot reason about."""
    where = ref(envoyfilter)
    patches = (envoyfilter.get("spec") or {}).get("configPatches")
    if patches is None:
        return []
    if not isinstance(patches, list):
        return ["%s: spec.configPatches is a %s, not a list" % (where, type(patches).__name__)]
    problems = []
    for index, config_patch in enumerate(patches):
        if not isinstance(config_patch, dict):
            problems.append("%s: spec.configPatches[%d] is a %s, not an object"
                            % (where, index, type(config_patch).__name__))
            continue
        patch = config_patch.get("patch") or {}
        value = patch.get("value")
        if (config_patch.get("applyTo") == "CLUSTER" and patch.get("operation") in CLUSTER_VALUE_OPERATIONS
                and not isinstance(value, dict)):
            problems.append("%s: spec.configPatches[%d].patch.value is %s, not a Cluster object"
                            % (where, index, "missing" if value is None else "a %s" % type(value).__name__))
    return problems


def transport_socket_ops(live_patches: list, desired_patches: list) -> list:
    """JSON Patch operations turning the live config patches' transport_sockets into the desired ones.
    Only transport_socket members differ between the two lists (the desire functions touch nothing
    else), so only those are written: the rest of what the operator wrote is never sent back."""
    ops = []
    for index, (live, desired) in enumerate(zip(live_patches, desired_patches)):
        live_value = ((live or {}).get("patch") or {}).get("value")
        desired_value = ((desired or {}).get("patch") or {}).get("value")
        if not isinstance(live_value, dict) or not isinstance(desired_value, dict):
            continue
        path = "/spec/configPatches/%d/patch/value/transport_socket" % index
        if "transport_socket" in desired_value:
            if live_value.get("transport_socket") != desired_value["transport_socket"]:
                # `add` on an existing member replaces it: a wrong or partial socket is overwritten.
                ops.append({"op": "add", "path": path, "value": desired_value["transport_socket"]})
        elif "transport_socket" in live_value:
            ops.append({"op": "remove", "path": path})
    return ops


def guarded(ops: list, resource_version: str) -> list:
    """`ops` preceded by a test of metadata.resourceVersion: if anyone (the Kuadrant operator) wrote
    the filter after we read it, the API server refuses the whole patch instead of applying our
    edits to a version we never saw."""
    return [{"op": "test", "path": "/metadata/resourceVersion", "value": resource_version}] + ops


def mtls_patch_for(live: dict, state: str, clusters: Sequence[str] = (),
                   sds_cluster: str = DEFAULT_SDS_CLUSTER) -> list:
    """The guarded JSON Patch that brings `live` to `state`, or [] when it is already there."""
    patches = (live.get("spec") or {}).get("configPatches") or []
    ops = transport_socket_ops(patches, desired_config_patches(patches, state, clusters, sds_cluster))
    return guarded(ops, live["metadata"]["resourceVersion"]) if ops else []


def selected_envoyfilters(items: list, name_prefix: str = "") -> list:
    """The listed EnvoyFilters whose name starts with `name_prefix`, sorted by name."""
    chosen = [item for item in items if item["metadata"]["name"].startswith(name_prefix or "")]
    return sorted(chosen, key=lambda item: item["metadata"]["name"])


# ---------------------------------------------------------------------------------------------
# cluster I/O


class MtlsResult(object):
    def __init__(self):
        self.drifted = []
        self.unchanged = []
        self.vanished = []
        self.conflicts = 0
        self.diff = []
        self.errors = []

    @property
    def changed(self):
        return bool(self.drifted)

    def as_dict(self):
        return {"changed": self.changed, "drifted": self.drifted, "unchanged": self.unchanged,
                "drift_count": len(self.drifted), "vanished": self.vanished, "conflicts": self.conflicts}


def reconcile_envoyfilter(cluster, live: dict, state: str, clusters: Sequence[str] = (),
                          sds_cluster: str = DEFAULT_SDS_CLUSTER, check_mode: bool = False,
                          field_manager: Optional[str] = None, max_conflicts: int = DEFAULT_MAX_CONFLICTS):
    """Bring one EnvoyFilter to `state`, starting from `live` as read (possibly already stale).

    Returns (status, before, after, conflicts) with status `drifted`, `unchanged` or `vanished`.
    A write refused because the filter changed since it was read (409, or the resourceVersion test
    failing, which the API server reports as 422) is retried on a fresh read, at most
    `max_conflicts` times; a 422 on an unchanged filter is a real validation error and is raised.
    """
    meta = live["metadata"]
    conflicts = 0
    while True:
        ops = mtls_patch_for(live, state, clusters, sds_cluster)
        if not ops:
            return "unchanged", live, live, conflicts
        try:
            stored = cluster.patch(API_VERSION, KIND, meta["name"], ops, namespace=meta["namespace"],
                                   patch_type="json", dry_run=check_mode, field_manager=field_manager)
            return "drifted", live, stored, conflicts
        except K8sError as err:
            if err.status not in (409, 422):
                raise
            fresh = cluster.get(API_VERSION, KIND, meta["name"], meta["namespace"])
            if fresh is None:
                return "vanished", live, None, conflicts
            if fresh["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]:
                raise
            conflicts += 1
            if conflicts > max_conflicts:
                raise K8sError(409, "Conflict", "%s: changed by someone else during each of %d attempts to "
                               "patch it; run again" % (ref(live), conflicts), err.body)
            live = fresh


def reconcile_envoyfilters(cluster, namespace: str, state: str, name_prefix: str = "kuadrant-",
                           label_selector: Optional[str] = None, clusters: Sequence[str] = (),
                           sds_cluster: str = DEFAULT_SDS_CLUSTER, check_mode: bool = False,
                           want_diff: bool = False, field_manager: Optional[str] = None,
                           max_conflicts: int = DEFAULT_MAX_CONFLICTS) -> MtlsResult:
    """One LIST of the namespace's EnvoyFilters, then one guarded PATCH per filter that differs."""
    result = MtlsResult()
    items = selected_envoyfilters(cluster.list(API_VERSION, KIND, namespace, label_selector), name_prefix)
    for item in items:
        result.errors.extend(shape_problems(item))
    if result.errors:
        return result
    outcomes = cluster.parallel(
        lambda live: reconcile_envoyfilter(cluster, live, state, clusters, sds_cluster, check_mode,
                                           field_manager, max_conflicts), items)
    for live, (outcome, err) in zip(items, outcomes):
        name = live["metadata"]["name"]
        if err is not None:
            result.errors.append(str(err) if ref(live) in str(err) else "%s: %s" % (ref(live), err))
            continue
        status, before, after, conflicts = outcome
        result.conflicts += conflicts
        getattr(result, status).append(name)
        if status == "drifted" and want_diff:
            result.diff.append(diff_entry(before, after))
    return result


def run(params, context):
    """The envoyfilter_mtls result: the selected filters of one namespace brought to params["state"]."""
    namespace = params["namespace"]
    try:
        result = reconcile_envoyfilters(
            context.cluster(), namespace, params["state"], name_prefix=params["name_prefix"],
            label_selector=params["label_selector"], clusters=params["clusters"],
            sds_cluster=params["sds_cluster"], check_mode=context.check_mode, want_diff=context.diff,
            field_manager=params["field_manager"], max_conflicts=max(0, params["max_conflicts"]))
    except K8sError as err:
        raise ModuleFailure("Cannot list the EnvoyFilters in namespace %s: %s" % (namespace, err))
    output = result.as_dict()
    if context.diff:
        output["diff"] = result.diff
    for name in result.vanished:
        context.warn("EnvoyFilter %s/%s was deleted while it was being patched" % (namespace, name))
    if result.errors:
        raise ModuleFailure("; ".join(result.errors), errors=result.errors, **output)
    return output
