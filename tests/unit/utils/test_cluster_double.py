"""The cluster double answers the way the modules rely on a real API server answering."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import apply_objects, write_reason
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, namespace_missing
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import BUILTIN_KINDS, ClusterDouble, context

MANAGER = "modelserving.maas"


def configmap(name="c", namespace="n", **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


def test_apply_creates_then_an_identical_apply_keeps_the_resource_version():
    cluster = ClusterDouble()
    created = cluster.apply(configmap(mode="strict"), MANAGER)
    again = cluster.apply(configmap(mode="strict"), MANAGER)
    assert created["data"] == {"mode": "strict"}
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    [entry] = again["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == (MANAGER, "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:mode": {}}}
    assert write_reason(configmap(mode="strict"), again, MANAGER) is None


def test_a_changed_apply_bumps_the_version_and_drops_fields_no_longer_applied():
    cluster = ClusterDouble([configmap(mode="strict")])
    first = cluster.apply(configmap(mode="strict", extra="1"), MANAGER)
    second = cluster.apply(configmap(mode="lax"), MANAGER)
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert second["data"] == {"mode": "lax"}


def test_named_list_items_merge_by_name():
    cluster = ClusterDouble()
    base = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n"}}
    cluster.apply(dict(base, spec={"ports": [{"name": "a", "port": 1}]}), "one")
    stored = cluster.apply(dict(base, spec={"ports": [{"name": "b", "port": 2}]}), "two")
    assert [p["name"] for p in stored["spec"]["ports"]] == ["a", "b"]


def test_dry_run_stores_nothing_and_is_not_a_write():
    cluster = ClusterDouble()
    result = cluster.apply(configmap(mode="strict"), MANAGER, dry_run=True)
    assert result["data"] == {"mode": "strict"}
    assert cluster.stored("v1", "ConfigMap", "c", "n") is None
    assert cluster.requests == [("apply", "v1", "ConfigMap", "n", "c", True)]
    assert cluster.writes() == []


def test_another_appliers_field_conflicts_unless_forced():
    cluster = ClusterDouble()
    cluster.apply(configmap(mode="strict"), "gitops")
    with pytest.raises(K8sError) as raised:
        cluster.apply(configmap(mode="lax"), MANAGER)
    assert raised.value.status == 409
    assert raised.value.causes[0]["message"] == 'conflict with "gitops"'
    forced = cluster.apply(configmap(mode="lax"), MANAGER, force=True)
    assert forced["data"] == {"mode": "lax"}
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == [MANAGER]


def test_an_imperative_patch_takes_the_field_from_the_applier():
    cluster = ClusterDouble()
    cluster.apply(configmap(mode="strict"), MANAGER)
    edited = cluster.patch("v1", "ConfigMap", "c", {"data": {"mode": "lax"}}, namespace="n", field_manager="kubectl-edit")
    managers = {e["manager"]: e["operation"] for e in edited["metadata"]["managedFields"]}
    assert managers == {"kubectl-edit": "Update"}
    assert write_reason(configmap(mode="strict"), edited, MANAGER) == "differs"


def test_json_patch_test_op_fails_with_422_on_a_stale_version():
    cluster = ClusterDouble([configmap(mode="strict")])
    stale = cluster.stored("v1", "ConfigMap", "c", "n")["metadata"]["resourceVersion"]
    cluster.patch("v1", "ConfigMap", "c", {"data": {"mode": "lax"}}, namespace="n")
    ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": stale},
           {"op": "add", "path": "/data/extra", "value": "1"}]
    with pytest.raises(K8sError) as raised:
        cluster.patch("v1", "ConfigMap", "c", ops, namespace="n", patch_type="json")
    assert raised.value.status == 422
    assert "extra" not in cluster.stored("v1", "ConfigMap", "c", "n")["data"]


def test_status_subresource_changes_only_the_status():
    crd_kind = ("maas.opendatahub.io/v1alpha1", "MaaSSubscription")
    cr = {"apiVersion": crd_kind[0], "kind": crd_kind[1], "metadata": {"name": "gold", "namespace": "t"},
          "spec": {"priority": 1}}
    cluster = ClusterDouble([cr])
    patched = cluster.patch(crd_kind[0], crd_kind[1], "gold", [{"op": "add", "path": "/status", "value": {"phase": "Active"}}],
                            namespace="t", patch_type="json", subresource="status")
    assert patched["status"] == {"phase": "Active"}
    ignored = cluster.patch(crd_kind[0], crd_kind[1], "gold", {"status": {"phase": "Failed"}, "spec": {"priority": 2}},
                            namespace="t")
    assert ignored["status"] == {"phase": "Active"} and ignored["spec"] == {"priority": 2}


def test_list_filters_by_namespace_and_label_selector():
    labelled = configmap("a", "n")
    labelled["metadata"]["labels"] = {"app": "x", "tier": "1"}
    cluster = ClusterDouble([labelled, configmap("b", "n"), configmap("c", "other")])
    assert [o["metadata"]["name"] for o in cluster.list("v1", "ConfigMap", "n")] == ["a", "b"]
    assert [o["metadata"]["name"] for o in cluster.list("v1", "ConfigMap", label_selector="app=x,tier=1")] == ["a"]
    assert [o["metadata"]["name"] for o in cluster.list("v1", "ConfigMap", label_selector="app!=x")] == ["b", "c"]


def test_a_kind_not_served_is_a_404_on_list_and_absent_on_get():
    cluster = ClusterDouble(served=BUILTIN_KINDS)
    with pytest.raises(K8sError) as raised:
        cluster.list("kuadrant.io/v1", "AuthPolicy")
    assert raised.value.status == 404
    assert cluster.get("kuadrant.io/v1", "AuthPolicy", "p", "n") is None
    assert cluster.list("v1", "ConfigMap") == []


def test_delete_reports_whether_the_object_existed():
    cluster = ClusterDouble([configmap()])
    assert cluster.delete("v1", "ConfigMap", "c", "n", dry_run=True) is True
    assert cluster.stored("v1", "ConfigMap", "c", "n") is not None
    assert cluster.delete("v1", "ConfigMap", "c", "n") is True
    assert cluster.delete("v1", "ConfigMap", "c", "n") is False
    assert cluster.writes() == [("delete", "v1", "ConfigMap", "n", "c", False)] * 2


def test_injected_failures_are_raised_after_the_request_is_recorded():
    cluster = ClusterDouble()
    cluster.fail[("apply", "ConfigMap", "c")] = [K8sError(500, "InternalError", "boom")]
    with pytest.raises(K8sError, match="boom"):
        cluster.apply(configmap(), MANAGER)
    assert cluster.apply(configmap(), MANAGER)["metadata"]["name"] == "c"
    assert len(cluster.requests) == 2


def test_strict_namespaces_fail_writes_as_the_api_server_does():
    cluster = ClusterDouble()
    cluster.strict_namespaces = True
    with pytest.raises(K8sError) as raised:
        cluster.apply(configmap(namespace="missing"), MANAGER)
    assert namespace_missing(raised.value, "missing")


def test_request_reaches_subresource_handlers_through_paths():
    cluster = ClusterDouble([{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "n"}}])
    cluster.handlers[("POST", "ServiceAccount", "token")] = lambda ns, name, body, query: {"status": {"token": ns + "/" + name}}
    path = cluster.path("v1", "ServiceAccount", "n", "default", "token")
    assert path == "/api/v1/namespaces/n/serviceaccounts/default/token"
    assert cluster.request("POST", path, body={}, query={"dryRun": "All"}) == {"status": {"token": "n/default"}}
    assert cluster.requests == [("create", "v1", "ServiceAccount", "n", "default", True)]
    with pytest.raises(K8sError) as raised:
        cluster.request("POST", cluster.path("v1", "ServiceAccount", "n", "nobody", "token"), body={})
    assert raised.value.status == 404


def test_a_new_crd_is_established_and_served():
    cluster = ClusterDouble(served=BUILTIN_KINDS)
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets"}, "versions": [{"name": "v1", "served": True}]}}
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "n"}}
    result = apply_objects(cluster, [widget, crd], MANAGER, wait_timeout=1)
    assert result.errors == []
    assert sorted(result.created) == ["CustomResourceDefinition widgets.example.com", "Widget n/w"]
    assert cluster.path("example.com/v1", "Widget", "n", "w") == "/apis/example.com/v1/namespaces/n/widgets/w"


def test_context_hands_the_double_to_run():
    cluster = ClusterDouble()
    ctx = context(cluster, check_mode=True, diff=True)
    assert ctx.cluster() is cluster and ctx.check_mode and ctx.diff
    results = cluster.parallel(lambda x: 10 // x, [1, 0])
    assert results[0] == (10, None) and isinstance(results[1][1], ZeroDivisionError)
