# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Uninstall (module maas_uninstall, playbook uninstall.yml): what the collection made, found again.

Everything a role or maas_policy_sync creates carries tracking labels; `UNINSTALL_KINDS` is the one
list of kinds searched for them, one metadata-only LIST per kind across namespaces. A labelled object
is removed only where the collection may have put it:

- in one of the collection's namespaces (the API, subscription, gateway, Kuadrant and CA namespaces
  the playbook passes), on its labels;
- in a model's namespace (a namespace holding a MaaSModelRef or ExternalModel: a tenant's), or
  cluster-scoped, only when our field manager also wrote it: a tenant can label its own objects, but
  what it labels in its own namespace is its own to lose, and nothing elsewhere counts;
- never when it is opted out (`opendatahub.io/managed: "false"`).

What the roles patched on platform objects (Authorino CR and Deployment, the Limitador Deployment,
the Kuadrant CR, the Gateway, the Authorino Service) is given back by server-side applying an empty
intent under our field manager: the API server drops the fields only we own and keeps everyone
else's. A value we overwrote (a field the platform had set) is put back from the restore annotation
the role recorded at patch time. EnvoyFilters we patched lose the mesh transport_socket.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import diff_entry
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, ref
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    EXTERNAL_MODEL,
    MANAGED_BY_LABEL,
    MAAS_API_VERSION,
    MAAS_GROUP,
    OPT_OUT_KEY,
    PART_OF,
    PART_OF_LABEL,
    meta,
)
from ansible_collections.modelserving.maas.plugins.module_utils._tls.authorino import RESTORE_ANNOTATION
from ansible_collections.modelserving.maas.plugins.module_utils._mesh.envoyfilter import (
    API_VERSION as ENVOYFILTER_API,
    KIND as ENVOYFILTER_KIND,
    reconcile_envoyfilter,
    selected_envoyfilters,
)

# The managed-by label value of everything the roles write (maas_policy_sync writes maas_managed_by,
# which the Go controller shares, so that one also needs part-of).
COLLECTION_MANAGED_BY = "modelserving.maas"
# RESTORE_ANNOTATION: a JSON merge patch a role recorded on a platform object when it first
# overwrote fields there, putting back the values it found; applied after giving up our fields.
# The field manager uninstall puts recorded values back with (not ours: a second uninstall finds no
# fields of ours left, so it writes nothing).
RESTORE_FIELD_MANAGER_SUFFIX = "-uninstall"

# Every kind the collection (its roles, maas_policy_sync, and what later releases add: the database,
# its backups, telemetry, the automation identity) may create, searched by label; deleted in this
# order, a tier at a time (policies before the routes they target, workloads before their RBAC).
UNINSTALL_KINDS: Tuple[Tuple[Tuple[str, str], ...], ...] = (
    (("kuadrant.io/v1", "AuthPolicy"), ("kuadrant.io/v1alpha1", "TokenRateLimitPolicy"),
     ("kuadrant.io/v1", "RateLimitPolicy"), ("extensions.kuadrant.io/v1alpha1", "TelemetryPolicy"),
     ("telemetry.istio.io/v1", "Telemetry")),
    (("gateway.networking.k8s.io/v1", "HTTPRoute"), ("gateway.networking.k8s.io/v1", "BackendTLSPolicy"),
     ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"), ("networking.istio.io/v1", "DestinationRule"),
     ("networking.istio.io/v1", "ServiceEntry"), ("security.istio.io/v1", "PeerAuthentication")),
    (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("batch/v1", "CronJob"), ("v1", "Service"),
     ("networking.k8s.io/v1", "NetworkPolicy"), ("cert-manager.io/v1", "Certificate"),
     ("cert-manager.io/v1", "Issuer"), ("cert-manager.io/v1", "ClusterIssuer")),
    (("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "PersistentVolumeClaim"), ("v1", "ServiceAccount"),
     ("rbac.authorization.k8s.io/v1", "RoleBinding"), ("rbac.authorization.k8s.io/v1", "Role"),
     ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), ("rbac.authorization.k8s.io/v1", "ClusterRole")),
)
# The users' resources: never deleted, except with their CRDs (crds=true).
MAAS_RESOURCE_KINDS = tuple(
    (MAAS_API_VERSION, kind) for kind in ("Tenant", "MaaSModelRef", "MaaSAuthPolicy", "MaaSSubscription")
) + (EXTERNAL_MODEL,)
MODEL_KINDS = ("MaaSModelRef", EXTERNAL_MODEL[1])
MAAS_CRDS = ("tenants", "maasmodelrefs", "maasauthpolicies", "maassubscriptions", "externalmodels")
CRD_API = "apiextensions.k8s.io/v1"
# A LIST answered with metadata only: no Secret's data ever reaches this process.


def label_selector(managed_by: str) -> str:
    """One selector for both label values that mark our objects (set-based, one LIST per kind)."""
    values = sorted({COLLECTION_MANAGED_BY, managed_by})
    return "%s in (%s)" % (MANAGED_BY_LABEL, ",".join(values))


def tracked(obj: Mapping[str, Any], managed_by: str) -> bool:
    """Whether the object carries our tracking labels."""
    labels = meta(obj).get("labels") or {}
    value = labels.get(MANAGED_BY_LABEL)
    return value == COLLECTION_MANAGED_BY or (value == managed_by and labels.get(PART_OF_LABEL) == PART_OF)


def opted_out(obj: Mapping[str, Any]) -> bool:
    found = meta(obj)
    return "false" in ((found.get("labels") or {}).get(OPT_OUT_KEY), (found.get("annotations") or {}).get(OPT_OUT_KEY))


def written_by(obj: Mapping[str, Any], field_manager: str) -> bool:
    """Whether `field_manager` holds fields of the object (it applied or patched it)."""
    return any(entry.get("manager") == field_manager for entry in meta(obj).get("managedFields") or [])


def removal_verdict(obj: Mapping[str, Any], namespaces: Sequence[str], model_namespaces: Sequence[str],
                    field_manager: str, managed_by: str) -> Optional[str]:
    """None when a listed object is ours to delete, else why it stays."""
    if not tracked(obj, managed_by):
        return "does not carry the tracking labels"
    if opted_out(obj):
        return "opted out (%s: \"false\")" % OPT_OUT_KEY
    namespace = meta(obj).get("namespace") or ""
    if namespace and namespace in namespaces:
        return None
    if not namespace or namespace in model_namespaces:
        if written_by(obj, field_manager):
            return None
        return "labelled like ours, but field manager %s never wrote it" % field_manager
    return "outside the collection's namespaces"


def plan_removal(found: Sequence[Mapping[str, Any]], namespaces: Sequence[str], model_namespaces: Sequence[str],
                 field_manager: str, managed_by: str) -> Tuple[List[Mapping[str, Any]], List[str]]:
    """(objects to delete, `Kind ns/name: why it stays` for the labelled ones kept)."""
    delete, kept = [], []
    for obj in found:
        verdict = removal_verdict(obj, namespaces, model_namespaces, field_manager, managed_by)
        if verdict is None:
            delete.append(obj)
        else:
            kept.append("%s: %s" % (ref(obj), verdict))
    return delete, kept


def owns_applied_fields(live: Mapping[str, Any], field_manager: str) -> bool:
    """Whether `field_manager` has applied fields of the main resource (what an empty intent gives up)."""
    return any(entry.get("manager") == field_manager and entry.get("operation") == "Apply"
               and not entry.get("subresource") and entry.get("fieldsV1")
               for entry in meta(live).get("managedFields") or [])


def sole_owner(live: Mapping[str, Any], field_manager: str) -> bool:
    """Whether `field_manager` is the only writer of the main resource (status writers aside): it created it."""
    entries = [e for e in meta(live).get("managedFields") or [] if not e.get("subresource")]
    return bool(entries) and all(entry.get("manager") == field_manager for entry in entries)


def empty_intent(live: Mapping[str, Any]) -> Dict[str, Any]:
    """The apply that gives up every field our manager owns and claims none."""
    found = meta(live)
    metadata = {"name": found["name"]}
    if found.get("namespace"):
        metadata["namespace"] = found["namespace"]
    return {"apiVersion": live["apiVersion"], "kind": live["kind"], "metadata": metadata}


def restore_patch(live: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The merge patch recorded on the object at patch time, or None (none, or unreadable)."""
    text = (meta(live).get("annotations") or {}).get(RESTORE_ANNOTATION)
    if not text:
        return None
    try:
        patch = json.loads(text)
    except ValueError:
        return None
    if not isinstance(patch, dict):
        return None
    # Only what lies under spec: the recorded patch never reaches metadata (labels, owners, finalizers).
    return {"spec": patch["spec"]} if isinstance(patch.get("spec"), dict) else None


def _merged_fields(trees):
    merged: Dict[str, Any] = {}
    for tree in trees:
        for key, child in (tree or {}).items():
            merged[key] = _merged_fields([merged.get(key), child]) if isinstance(child, dict) else child
    return merged


def removal_patch(live: Mapping[str, Any], field_manager: str) -> Optional[Dict[str, Any]]:
    """A JSON merge patch that removes the fields only `field_manager` applied and keeps the maps
    above them: what gives our fields back when an empty intent cannot, because the API server would
    drop a parent the schema requires (a Kuadrant CR whose `spec: {}` no manager owns loses `spec`).

    Removes the highest field below a top-level one (spec, metadata) that no other manager owns any
    part of. None when a field we share sits in a list (a merge patch replaces lists whole)."""
    entries = [e for e in meta(live).get("managedFields") or [] if not e.get("subresource")]
    ours = _merged_fields([e.get("fieldsV1") for e in entries
                           if e.get("manager") == field_manager and e.get("operation") == "Apply"])
    others = _merged_fields([e.get("fieldsV1") for e in entries if e.get("manager") != field_manager])
    patch: Dict[str, Any] = {}

    def walk(node, shared, path):
        for key, child in node.items():
            if key == ".":
                continue
            if not key.startswith("f:"):
                return False
            name = key[2:]
            theirs = shared.get(key)
            if theirs is None and path:
                target = patch
                for part in path:
                    target = target.setdefault(part, {})
                target[name] = None
            elif child and not walk(child, theirs or {}, path + (name,)):
                return False
        return True

    return patch if walk(ours, others, ()) and patch else None


def release_action(live: Optional[Mapping[str, Any]], field_manager: str, delete_when_sole_owner: bool) -> str:
    """What to do with a platform object: `absent`, `unchanged` (nothing of ours), `delete` (we made it
    and no one else wrote to it) or `release` (give up our fields)."""
    if live is None:
        return "absent"
    if not owns_applied_fields(live, field_manager):
        return "unchanged"
    if delete_when_sole_owner and sole_owner(live, field_manager):
        return "delete"
    return "release"


def model_namespaces(resources: Mapping[str, Sequence[Mapping[str, Any]]]) -> List[str]:
    """The namespaces holding a MaaSModelRef or ExternalModel: where maas_policy_sync generates."""
    return sorted({meta(obj).get("namespace") for kind in MODEL_KINDS for obj in resources.get(kind) or []
                   if meta(obj).get("namespace")})


def blocking_resources(resources: Mapping[str, Sequence[Mapping[str, Any]]], tenant: Tuple[str, str]) -> List[str]:
    """The MaaS CRs that make removing the CRDs refuse, as `Kind ns/name`: all of them, except the
    Tenant the collection created (`tenant`, (namespace, name)), which removing MaaS removes anyway."""
    names = []
    for kind in sorted(resources):
        for obj in resources[kind]:
            found = meta(obj)
            if kind == "Tenant" and (found.get("namespace"), found.get("name")) == tuple(tenant):
                continue
            names.append("%s %s/%s" % (kind, found.get("namespace"), found.get("name")))
    return names


# ---------------------------------------------------------------------------------------------
# cluster I/O


def served(err: Exception) -> bool:
    """False when a LIST failed because the cluster does not serve the kind (no CRD, no API group)."""
    return not (isinstance(err, K8sError) and err.status == 404)


def list_kinds(cluster, kinds: Sequence[Tuple[str, str]], selector: Optional[str] = None):
    """({kind: items} of the served kinds, [kinds not served], [errors]), one LIST per kind in parallel."""
    found, not_served, errors = {}, [], []
    outcomes = cluster.parallel(lambda key: cluster.list(key[0], key[1], label_selector=selector, metadata_only=True),
                                list(kinds))
    for (api_version, kind), (items, err) in zip(kinds, outcomes):
        if err is None:
            found[kind] = items
        elif not served(err):
            not_served.append("%s %s" % (api_version, kind))
        else:
            errors.append("cannot list %s %s: %s" % (api_version, kind, err))
    return found, not_served, errors


class UninstallResult(object):
    def __init__(self):
        self.deleted: List[str] = []
        self.reverted: List[str] = []
        self.restored: List[str] = []
        self.envoyfilters: List[str] = []
        self.kept: List[str] = []
        self.not_served: List[str] = []
        self.crds_deleted: List[str] = []
        self.diff: List[Dict[str, Any]] = []
        self.errors: List[str] = []

    @property
    def changed(self) -> bool:
        return bool(self.deleted or self.reverted or self.envoyfilters or self.crds_deleted)

    def as_dict(self) -> Dict[str, Any]:
        return {"changed": self.changed, "deleted": self.deleted, "reverted": self.reverted,
                "restored": self.restored, "envoyfilters_reverted": self.envoyfilters, "kept": self.kept,
                "kinds_not_served": self.not_served, "crds_deleted": self.crds_deleted}


def _delete_one(cluster, obj, check_mode):
    found = meta(obj)
    return cluster.delete(obj["apiVersion"], obj["kind"], found["name"], found.get("namespace"), dry_run=check_mode)


def delete_tiers(cluster, objects: Sequence[Mapping[str, Any]], check_mode: bool, result: UninstallResult,
                 want_diff: bool = False) -> None:
    """Delete `objects` tier by tier (UNINSTALL_KINDS order), each tier in parallel."""
    order = {kind: index for index, tier in enumerate(UNINSTALL_KINDS) for kind in tier}
    tiers: Dict[int, List[Mapping[str, Any]]] = {}
    for obj in objects:
        tiers.setdefault(order.get((obj["apiVersion"], obj["kind"]), len(UNINSTALL_KINDS)), []).append(obj)
    for index in sorted(tiers):
        batch = sorted(tiers[index], key=ref)
        for obj, (gone, err) in zip(batch, cluster.parallel(lambda o: _delete_one(cluster, o, check_mode), batch)):
            if err is not None:
                result.errors.append("%s: cannot delete it: %s" % (ref(obj), err))
            elif gone:
                result.deleted.append(ref(obj))
                if want_diff:
                    result.diff.append(diff_entry(_header_only(obj), None))


def _header_only(obj):
    found = meta(obj)
    metadata = {k: found[k] for k in ("name", "namespace", "labels") if found.get(k)}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": metadata}


def release_objects(cluster, targets: Sequence[Mapping[str, Any]], field_manager: str, check_mode: bool,
                    result: UninstallResult, want_diff: bool = False) -> None:
    """Give back what we patched on each target ({apiVersion, kind, name, namespace, delete_when_sole_owner})."""
    def release(target):
        live = cluster.get(target["apiVersion"], target["kind"], target["name"], target.get("namespace") or None)
        action = release_action(live, field_manager, bool(target.get("delete_when_sole_owner")))
        if action == "delete":
            _delete_one(cluster, live, check_mode)
            return action, live, None
        if action != "release":
            return action, live, live
        patch = restore_patch(live)
        if patch is not None:
            # First: the recorded values then belong to another manager, so giving up ours cannot
            # remove a field the object requires (the Authorino CR's spec.listener).
            found = meta(live)
            stored = cluster.patch(live["apiVersion"], live["kind"], found["name"], patch,
                                   namespace=found.get("namespace"), patch_type="merge", dry_run=check_mode,
                                   field_manager=field_manager + RESTORE_FIELD_MANAGER_SUFFIX)
            if check_mode:  # a dry run of the release would not see the restore before it
                return "restore", live, stored
        try:
            stored = cluster.apply(empty_intent(live), field_manager, dry_run=check_mode)
        except K8sError as err:
            fallback = removal_patch(live, field_manager) if err.status == 422 else None
            if fallback is None:
                raise
            found = meta(live)
            stored = cluster.patch(live["apiVersion"], live["kind"], found["name"], fallback,
                                   namespace=found.get("namespace"), patch_type="merge", dry_run=check_mode,
                                   field_manager=field_manager + RESTORE_FIELD_MANAGER_SUFFIX)
        return ("restore" if patch is not None else action), live, stored

    unique = {}
    for target in targets:
        unique.setdefault((target["apiVersion"], target["kind"], target.get("namespace") or "", target["name"]), target)
    targets = list(unique.values())
    for target, (outcome, err) in zip(targets, cluster.parallel(release, targets)):
        name = ref({"kind": target["kind"], "metadata": {"name": target["name"], "namespace": target.get("namespace")}})
        if err is not None:
            result.errors.append("%s: cannot give back the fields of %s: %s" % (name, field_manager, err))
            continue
        action, before, after = outcome
        if action == "delete":
            result.deleted.append(name)
        elif action in ("release", "restore"):
            result.reverted.append(name)
            if action == "restore":
                result.restored.append(name)
        else:
            continue
        if want_diff:
            result.diff.append(diff_entry(before, after))


def revert_envoyfilters(cluster, settings: Mapping[str, Any], field_manager: str, check_mode: bool,
                        result: UninstallResult, want_diff: bool = False) -> None:
    """Take the mesh transport_socket out of the EnvoyFilters our field manager patched (one LIST)."""
    namespace = settings["namespace"]
    try:
        items = cluster.list(ENVOYFILTER_API, ENVOYFILTER_KIND, namespace)
    except K8sError as err:
        if err.status != 404:
            result.errors.append("cannot list the EnvoyFilters in namespace %s: %s" % (namespace, err))
        return
    ours = [item for item in selected_envoyfilters(items, settings.get("name_prefix") or "")
            if written_by(item, field_manager)]
    clusters = list(settings.get("clusters") or [])
    outcomes = cluster.parallel(lambda live: reconcile_envoyfilter(cluster, live, "absent", clusters,
                                                                   check_mode=check_mode,
                                                                   field_manager=field_manager), ours)
    for live, (outcome, err) in zip(ours, outcomes):
        if err is not None:
            result.errors.append("%s: cannot take the transport_socket out: %s" % (ref(live), err))
            continue
        status, before, after, _conflicts = outcome
        if status == "drifted":
            result.envoyfilters.append(ref(live))
            if want_diff:
                result.diff.append(diff_entry(before, after))


def delete_crds(cluster, check_mode: bool, result: UninstallResult) -> None:
    names = ["%s.%s" % (plural, MAAS_GROUP) for plural in MAAS_CRDS]
    outcomes = cluster.parallel(lambda name: cluster.delete(CRD_API, "CustomResourceDefinition", name,
                                                            dry_run=check_mode), names)
    for name, (gone, err) in zip(names, outcomes):
        if err is not None:
            result.errors.append("CustomResourceDefinition %s: cannot delete it: %s" % (name, err))
        elif gone:
            result.crds_deleted.append("CustomResourceDefinition %s" % name)


def uninstall(cluster, params: Mapping[str, Any], check_mode: bool = False, want_diff: bool = False):
    """One uninstall: (UninstallResult, refusal message or None). Reads first; refuses before any write."""
    result = UninstallResult()
    field_manager, managed_by = params["field_manager"], params["managed_by"]
    resources, _not_served, errors = list_kinds(cluster, MAAS_RESOURCE_KINDS)
    if errors:
        result.errors.extend(errors)
        return result, None
    tenant = (params["tenant_namespace"], params["tenant_name"])
    if params["crds"] and not params["force"]:
        blocking = blocking_resources(resources, tenant)
        if blocking:
            shown = ", ".join(blocking[:10]) + (" and %d more" % (len(blocking) - 10) if len(blocking) > 10 else "")
            return result, ("Refusing to remove the MaaS CRDs while MaaS resources exist (removing a CRD deletes "
                            "every resource of its kind): %s. Delete them first, or set force (playbook: "
                            "maas_uninstall_force: true) to delete them with the CRDs." % shown)
    found, result.not_served, errors = list_kinds(cluster, [k for tier in UNINSTALL_KINDS for k in tier],
                                                  label_selector(managed_by))
    if errors:
        result.errors.extend(errors)
        return result, None
    listed = [obj for kind in sorted(found) for obj in found[kind]]
    delete, result.kept = plan_removal(listed, params["namespaces"], model_namespaces(resources),
                                       field_manager, managed_by)
    delete_tiers(cluster, delete, check_mode, result, want_diff)
    release_objects(cluster, params["release"], field_manager, check_mode, result, want_diff)
    if params.get("envoyfilters"):
        revert_envoyfilters(cluster, params["envoyfilters"], field_manager, check_mode, result, want_diff)
    if params["crds"] and not result.errors:
        delete_crds(cluster, check_mode, result)
    return result, None


def run(params, context):
    """The maas_uninstall result."""
    result, refusal = uninstall(context.cluster(), params, check_mode=context.check_mode, want_diff=context.diff)
    output = result.as_dict()
    if context.diff:
        output["diff"] = result.diff
    if refusal:
        raise ModuleFailure(refusal, **output)
    if result.errors:
        raise ModuleFailure("; ".join(result.errors), errors=result.errors, **output)
    return output
