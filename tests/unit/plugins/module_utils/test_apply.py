"""What counts as a change worth a write request."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import (
    conflicting_managers,
    diff_entry,
    fields_no_longer_desired,
    is_subset,
    only_imperative_owners,
    redacted,
    sort_for_apply,
    validate_shape,
    write_reason,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, namespace_missing

MANAGER = "modelserving.maas"


def live_with(fields, manager=MANAGER, operation="Apply", **extra):
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "c", "namespace": "n", "resourceVersion": "7",
                        "managedFields": [{"manager": manager, "operation": operation, "fieldsV1": fields}]}}
    obj.update(extra)
    return obj


@pytest.mark.parametrize("desired, live, expected", [
    ({"a": 1}, {"a": 1, "b": 2}, True),
    ({"a": 1}, {"a": 2}, False),
    ({"a": {"b": [1, 2]}}, {"a": {"b": [1, 2]}, "z": 0}, True),
    ({"a": [1, 2]}, {"a": [1, 2, 3]}, False),
    ({"a": [{"name": "x"}]}, {"a": [{"name": "x", "defaulted": True}]}, True),
    ({"a": True}, {"a": 1}, False),
    ({"a": 1}, {"a": 1.0}, True),
    ({"a": None}, {}, False),
    ({"env": [{"name": "A", "value": "1"}]}, {"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}, True),
    ({"env": [{"name": "A", "value": "1"}]}, {"env": [{"name": "A", "value": "2"}]}, False),
    ({"env": [{"name": "A"}, {"name": "C"}]}, {"env": [{"name": "A"}, {"name": "B"}]}, False),
    ({"args": ["--a"]}, {"args": ["--a", "--b"]}, False),
    ({"listeners": []}, {"listeners": [{"name": "theirs"}]}, True),
    ({"args": []}, {"args": ["--a"]}, False),
])
def test_subset(desired, live, expected):
    assert is_subset(desired, live) is expected


def test_nothing_to_write_when_live_already_matches():
    live = live_with({"f:data": {"f:mode": {}}}, data={"mode": "strict"})
    assert write_reason({"data": {"mode": "strict"}}, live, MANAGER) is None


def test_missing_object_is_created():
    assert write_reason({"data": {}}, None, MANAGER) == "created"


def test_different_value_is_written():
    live = live_with({"f:data": {"f:mode": {}}}, data={"mode": "lax"})
    assert write_reason({"data": {"mode": "strict"}}, live, MANAGER) == "differs"


def test_a_field_we_own_but_no_longer_want_is_written():
    live = live_with({"f:data": {"f:mode": {}, "f:old": {}}}, data={"mode": "strict", "old": "x"})
    assert write_reason({"data": {"mode": "strict"}}, live, MANAGER) == "fields removed"


def test_a_field_someone_else_owns_is_not_our_business():
    live = live_with({"f:data": {"f:mode": {}}}, data={"mode": "strict", "theirs": "x"})
    assert write_reason({"data": {"mode": "strict"}}, live, MANAGER) is None


def test_keyed_list_items_are_matched_by_key():
    fields = {"f:spec": {"f:ports": {'k:{"port":8443,"protocol":"TCP"}': {".": {}, "f:port": {}},
                                     'k:{"port":8080,"protocol":"TCP"}': {".": {}, "f:port": {}}}}}
    desired = {"spec": {"ports": [{"port": 8443, "protocol": "TCP"}]}}
    assert fields_no_longer_desired(fields, desired) == ['.spec.ports[{"port":8080,"protocol":"TCP"}]']


def test_set_items_are_matched_by_value():
    fields = {"f:spec": {"f:hosts": {'v:"a"': {}, 'v:"b"': {}}}}
    assert fields_no_longer_desired(fields, {"spec": {"hosts": ["a"]}}) == ['.spec.hosts["b"]']


def test_ownership_of_another_manager_or_a_subresource_is_ignored():
    live = live_with({"f:data": {"f:old": {}}}, data={"old": "x"}, manager="kubectl")
    assert write_reason({"data": {}}, live, MANAGER) is None
    status = live_with({"f:status": {}}, status={"phase": "Active"})
    status["metadata"]["managedFields"][0]["subresource"] = "status"
    assert write_reason({}, status, MANAGER) is None


def test_conflicting_managers_come_from_the_409_causes():
    err = K8sError(409, "Conflict", "Apply failed with 1 conflict", {"details": {"causes": [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl-edit" using v1', "field": ".data.mode"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "gitops" using v1', "field": ".data.x"}]}})
    assert conflicting_managers(err) == ["gitops", "kubectl-edit"]


def test_only_update_managers_count_as_imperative_drift():
    live = {"metadata": {"managedFields": [
        {"manager": "kubectl-edit", "operation": "Update"},
        {"manager": "gitops", "operation": "Apply"}]}}
    assert only_imperative_owners(live, ["kubectl-edit"]) is True
    assert only_imperative_owners(live, ["kubectl-edit", "gitops"]) is False
    assert only_imperative_owners(live, []) is False


def test_secret_values_never_appear_in_a_diff():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"},
              "data": {"tls.key": "UFJJVkFURQ=="}}
    entry = diff_entry(None, secret)
    assert "UFJJVkFURQ==" not in str(entry)
    assert entry["after"]["data"]["tls.key"].startswith("sha256:")
    assert redacted({"kind": "ConfigMap", "data": {"a": "b"}})["data"] == {"a": "b"}


def test_namespaces_and_crds_go_first():
    objs = [{"kind": "ConfigMap"}, {"kind": "CustomResourceDefinition"}, {"kind": "Namespace"}, {"kind": "Service"}]
    first, rest = sort_for_apply(objs)
    assert [o["kind"] for o in first] == ["CustomResourceDefinition", "Namespace"]
    assert [o["kind"] for o in rest] == ["ConfigMap", "Service"]


@pytest.mark.parametrize("obj, message", [
    ("text", "objects[0] is a str, not a Kubernetes object"),
    ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "objects[0] has no apiVersion"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "objects[0] (ConfigMap) has no metadata.name"),
])
def test_malformed_objects_are_named(obj, message):
    assert validate_shape(obj, 0) == message


def test_a_key_field_defaulted_by_the_server_still_matches():
    fields = {"f:spec": {"f:ports": {'k:{"port":8443,"protocol":"TCP"}': {".": {}, "f:port": {}}}}}
    assert fields_no_longer_desired(fields, {"spec": {"ports": [{"port": 8443}]}}) == []
    assert fields_no_longer_desired(fields, {"spec": {"ports": [{"port": 8443, "protocol": "UDP"}]}}) != []


def not_found(kind, name):
    return K8sError(404, "NotFound", '%s "%s" not found' % (kind, name),
                    {"reason": "NotFound", "details": {"name": name, "kind": kind}, "code": 404})


@pytest.mark.parametrize("err, namespace, expected", [
    (not_found("namespaces", "odh"), "odh", True),
    (not_found("namespaces", "other"), "odh", False),       # some other namespace
    (not_found("serviceaccounts", "odh"), "odh", False),    # the object is missing, not its namespace
    (not_found("namespaces", "odh"), None, False),          # cluster-scoped object
    (K8sError(403, "Forbidden", "no", {"details": {"name": "odh", "kind": "namespaces"}}), "odh", False),
    (ValueError("no"), "odh", False),
    (None, "odh", False),
])
def test_namespace_missing_only_for_a_404_about_that_namespace(err, namespace, expected):
    assert namespace_missing(err, namespace) is expected
