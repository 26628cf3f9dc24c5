"""Uninstall: which labelled objects are ours to delete, what to do with the platform objects we
patched, and maas_uninstall's run() over the cluster double."""

import copy

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._maas.uninstall import (
    RESTORE_ANNOTATION,
    UNINSTALL_KINDS,
    blocking_resources,
    label_selector,
    release_action,
    removal_patch,
    removal_verdict,
    restore_patch,
)
from ansible_collections.modelserving.maas.plugins.modules import maas_uninstall
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import BUILTIN_KINDS, ClusterDouble, context
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for

FM = "modelserving.maas"
OURS = {"app.kubernetes.io/managed-by": FM, "app.kubernetes.io/part-of": "models-as-a-service"}
POLICY = {"app.kubernetes.io/managed-by": "maas-controller", "app.kubernetes.io/part-of": "models-as-a-service"}
NAMESPACES = ["opendatahub", "models-as-a-service", "openshift-ingress", "kuadrant-system"]
MAAS = "maas.opendatahub.io/v1alpha1"


def obj(kind="ConfigMap", name="x", namespace="opendatahub", labels=None, managers=(), annotations=None,
        api_version="v1"):
    metadata = {"name": name, "labels": dict(OURS if labels is None else labels),
                "managedFields": [{"manager": m, "operation": "Apply", "fieldsV1": {"f:data": {}}}
                                  for m in managers]}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def verdict(item, model_namespaces=("llm",)):
    return removal_verdict(item, NAMESPACES, list(model_namespaces), FM, "maas-controller")


# -- which labelled objects are ours ------------------------------------------------------------


def test_one_selector_finds_both_label_values():
    assert label_selector("maas-controller") == "app.kubernetes.io/managed-by in (maas-controller,modelserving.maas)"
    assert label_selector(FM) == "app.kubernetes.io/managed-by in (modelserving.maas)"


def test_labelled_objects_in_the_collections_namespaces_are_ours():
    assert verdict(obj()) is None
    assert verdict(obj(labels=POLICY, namespace="openshift-ingress")) is None


def test_the_go_controllers_objects_without_our_part_of_label_are_not():
    upstream = {"app.kubernetes.io/managed-by": "maas-controller", "app.kubernetes.io/part-of": "maas-auth-policy"}
    assert verdict(obj(labels=upstream)) == "does not carry the tracking labels"


def test_a_labelled_object_outside_every_maas_namespace_stays_whoever_wrote_it():
    assert verdict(obj(namespace="team-x", managers=[FM])) == "outside the collection's namespaces"


def test_in_a_models_namespace_only_what_our_field_manager_wrote_is_ours():
    assert verdict(obj(namespace="llm", managers=["tenant"])) == \
        "labelled like ours, but field manager modelserving.maas never wrote it"
    assert verdict(obj(namespace="llm", labels=POLICY, managers=["tenant", FM])) is None


def test_cluster_scoped_objects_need_our_field_manager_too():
    role = obj(kind="ClusterRole", namespace=None, api_version="rbac.authorization.k8s.io/v1")
    assert verdict(role) is not None
    role["metadata"]["managedFields"] = [{"manager": FM, "operation": "Apply"}]
    assert verdict(role) is None


def test_opted_out_objects_stay():
    labelled = obj(labels=dict(OURS, **{"opendatahub.io/managed": "false"}))
    assert verdict(labelled).startswith("opted out")
    assert verdict(obj(annotations={"opendatahub.io/managed": "false"})).startswith("opted out")


def test_the_kinds_are_listed_once():
    kinds = [kind for tier in UNINSTALL_KINDS for kind in tier]
    assert len(kinds) == len(set(kinds))
    assert ("extensions.kuadrant.io/v1alpha1", "TelemetryPolicy") in kinds and ("batch/v1", "CronJob") in kinds


# -- platform objects ----------------------------------------------------------------------------


def test_what_to_do_with_a_platform_object():
    assert release_action(None, FM, False) == "absent"
    assert release_action(obj(managers=["platform"]), FM, True) == "unchanged"
    assert release_action(obj(managers=["platform", FM]), FM, True) == "release"
    assert release_action(obj(managers=[FM]), FM, False) == "release"
    assert release_action(obj(managers=[FM]), FM, True) == "delete"


def test_a_patch_with_our_name_as_an_update_is_nothing_to_give_back():
    live = obj(managers=["platform"])
    live["metadata"]["managedFields"].append({"manager": FM, "operation": "Update"})
    assert release_action(live, FM, True) == "unchanged"


def entry(manager, fields):
    return {"manager": manager, "operation": "Apply", "fieldsV1": fields}


def managed(*entries):
    return {"metadata": {"name": "kuadrant", "managedFields": list(entries)}}


def test_where_an_empty_intent_cannot_our_fields_go_with_a_merge_patch_that_keeps_their_parents():
    ours = entry(FM, {"f:spec": {"f:mtls": {".": {}, "f:enable": {}, "f:authorino": {}}}})
    # No one owns `spec: {}`: the patch takes mtls out and leaves spec.
    assert removal_patch(managed(entry("platform", {"f:metadata": {"f:labels": {"f:a": {}}}}), ours), FM) == {
        "spec": {"mtls": None}}
    # Someone else owns part of mtls: only what is ours alone goes.
    assert removal_patch(managed(entry("platform", {"f:spec": {"f:mtls": {"f:enable": {}}}}), ours), FM) == {
        "spec": {"mtls": {"authorino": None}}}


def test_no_merge_patch_for_fields_shared_inside_a_list():
    items = {"f:spec": {"f:containers": {'k:{"name":"a"}': {"f:env": {}}}}}
    assert removal_patch(managed(entry("platform", items), entry(FM, items)), FM) is None
    assert removal_patch(managed(entry("platform", {})), FM) is None


def test_the_restore_record_reaches_only_under_spec():
    live = obj(annotations={RESTORE_ANNOTATION: '{"spec": {"listener": null}, "metadata": {"finalizers": ["x"]}}'})
    assert restore_patch(live) == {"spec": {"listener": None}}
    assert restore_patch(obj(annotations={RESTORE_ANNOTATION: "not json"})) is None
    assert restore_patch(obj()) is None


def test_the_tenant_the_collection_created_does_not_block_removing_the_crds():
    resources = {"Tenant": [obj("Tenant", "default-tenant", "models-as-a-service")],
                 "MaaSSubscription": [obj("MaaSSubscription", "gold", "models-as-a-service")]}
    assert blocking_resources(resources, ("models-as-a-service", "default-tenant")) == [
        "MaaSSubscription models-as-a-service/gold"]


# -- run() ---------------------------------------------------------------------------------------


class MetadataDouble(ClusterDouble):
    """The double, answering LISTs as metadata only with set-based selectors, as the API server does."""

    def list(self, api_version, kind, namespace=None, label_selector=None, metadata_only=False):
        selector = label_selector or ""
        if not metadata_only or " in (" not in selector:
            return super(MetadataDouble, self).list(api_version, kind, namespace, label_selector, metadata_only)
        key, values = selector.split(" in (")
        wanted = set(values.rstrip(")").split(","))
        items = super(MetadataDouble, self).list(api_version, kind, namespace, key, metadata_only=True)
        return [item for item in items if item["metadata"]["labels"].get(key) in wanted]


AUTHORINO_API = "operator.authorino.kuadrant.io/v1beta1"


def installed():
    cluster = MetadataDouble(served=BUILTIN_KINDS | {(AUTHORINO_API, "Authorino"), (MAAS, "Tenant"),
                                                     (MAAS, "MaaSSubscription")})
    cluster.apply({"apiVersion": AUTHORINO_API, "kind": "Authorino",
                   "metadata": {"name": "authorino", "namespace": "kuadrant-system"},
                   "spec": {"listener": {"port": 50051}}}, "platform")
    cluster.apply({"apiVersion": AUTHORINO_API, "kind": "Authorino",
                   "metadata": {"name": "authorino", "namespace": "kuadrant-system"},
                   "spec": {"listener": {"tls": {"enabled": True}}}}, FM)
    cluster.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": "maas-api", "namespace": "opendatahub", "labels": OURS}, "spec": {"replicas": 1}}, FM)
    cluster.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "dressed-up", "namespace": "team-x", "labels": OURS}})
    cluster.add({"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": "gold", "namespace": "models-as-a-service"}})
    return cluster


def run(cluster, check_mode=False, **params):
    args = dict(namespaces=NAMESPACES, release=[
        {"apiVersion": AUTHORINO_API, "kind": "Authorino", "name": "authorino", "namespace": "kuadrant-system"}])
    args.update(params)
    return maas_uninstall.run(params_for(maas_uninstall, **args), context(cluster, check_mode=check_mode))


def test_a_run_deletes_ours_gives_back_our_fields_and_a_second_run_writes_nothing():
    cluster = installed()
    first = run(cluster)
    assert first["changed"] is True
    assert first["deleted"] == ["Deployment opendatahub/maas-api"]
    assert first["reverted"] == ["Authorino kuadrant-system/authorino"]
    assert first["kept"] == ["ConfigMap team-x/dressed-up: outside the collection's namespaces"]
    assert "cert-manager.io/v1 Certificate" in first["kinds_not_served"]
    assert cluster.stored(AUTHORINO_API, "Authorino", "authorino", "kuadrant-system")["spec"] == {
        "listener": {"port": 50051}}
    assert cluster.stored("v1", "ConfigMap", "dressed-up", "team-x") is not None

    mark = len(cluster.requests)
    second = run(cluster)
    assert second["changed"] is False and second["deleted"] == [] and second["reverted"] == []
    assert ("get", AUTHORINO_API, "Authorino", "kuadrant-system", "authorino", False) in cluster.requests[mark:]
    assert [r for r in cluster.requests[mark:] if r[0] in ("apply", "patch", "delete", "create")] == []


def test_check_mode_lists_what_it_would_do_and_only_dry_runs():
    cluster = installed()
    before = copy.deepcopy(cluster.stored(AUTHORINO_API, "Authorino", "authorino", "kuadrant-system"))
    mark = len(cluster.requests)
    result = run(cluster, check_mode=True)
    assert result["deleted"] == ["Deployment opendatahub/maas-api"]
    assert result["reverted"] == ["Authorino kuadrant-system/authorino"]
    done = cluster.requests[mark:]
    assert [r for r in done if r[0] in ("apply", "delete")] and all(r[5] for r in done if r[0] in ("apply", "delete"))
    assert cluster.stored("apps/v1", "Deployment", "maas-api", "opendatahub") is not None
    assert cluster.stored(AUTHORINO_API, "Authorino", "authorino", "kuadrant-system") == before


def test_removing_the_crds_refuses_before_any_write_while_resources_exist():
    cluster = installed()
    mark = len(cluster.requests)
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, crds=True)
    assert "MaaSSubscription models-as-a-service/gold" in failure.value.msg
    assert "maas_uninstall_force" in failure.value.msg
    # Reads only (LISTs by label, GETs) before the refusal.
    assert cluster.requests[mark:] and [r for r in cluster.requests[mark:] if r[0] not in ("get", "list")] == []
    assert cluster.stored("apps/v1", "Deployment", "maas-api", "opendatahub") is not None


def test_a_kind_the_server_refuses_to_list_fails_naming_it():
    cluster = installed()
    cluster.fail[("list", "Secret", None)] = K8sError(403, "Forbidden", "secrets is forbidden")
    with pytest.raises(ModuleFailure) as failure:
        run(cluster)
    assert "v1 Secret" in failure.value.msg
    assert cluster.stored("apps/v1", "Deployment", "maas-api", "opendatahub") is not None
