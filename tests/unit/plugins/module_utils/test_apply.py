"""What counts as a change worth a write request."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import (
    apply_objects,
    conflicting_managers,
    diff_entry,
    fields_taken_over,
    fields_no_longer_desired,
    fingerprinted,
    foreign_spec_paths,
    is_subset,
    only_imperative_owners,
    redacted,
    same_fingerprint,
    sort_for_apply,
    spec_cleanup_patch,
    summarize_errors,
    validate_shape,
    without_paths,
    write_reason,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, identity, namespace_missing
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import ClusterDouble

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


# ---------------------------------------------------------------------------------------------
# batches against the cluster double: groups, drift taken over with force, readable errors


def configmap(name, group="a", **data):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "n", "labels": {"group": group}}, "data": data}


def group_of(obj):
    return obj["metadata"]["labels"]["group"]


def refused(name):
    return K8sError(422, "Invalid", 'configmaps "%s" is invalid: data.mode: Forbidden: refused by a webhook' % name)


def applied_for_real(cluster, name):
    return [r for r in cluster.requests if r[:1] == ("apply",) and r[4] == name and not r[5]]


def test_an_object_the_server_refuses_fails_only_its_group():
    cluster = ClusterDouble([configmap("b-old", group="b")])
    cluster.fail[("apply", "ConfigMap", "b1")] = [refused("b1")]  # the dry run refuses it
    objects = [configmap("a1", mode="x"), configmap("a2", mode="y"), configmap("b1", group="b", mode="z")]
    live = {identity(o): o for o in cluster.list("v1", "ConfigMap")}
    old = cluster.stored("v1", "ConfigMap", "b-old", "n")

    result = apply_objects(cluster, objects, MANAGER, live=live, group=group_of, prune=[old])
    assert sorted(result.created) == ["ConfigMap n/a1", "ConfigMap n/a2"]
    assert list(result.failed_groups) == ["b"] and "refused by a webhook" in result.failed_groups["b"][0]
    assert result.errors == result.failed_groups["b"]
    # b1 and b's orphan were dry-run (the run saw them), but neither was written nor deleted.
    assert ("apply", "v1", "ConfigMap", "n", "b1", True) in cluster.requests
    assert ("delete", "v1", "ConfigMap", "n", "b-old", True) in cluster.requests
    assert applied_for_real(cluster, "b1") == []
    assert [r for r in cluster.requests if r[0] == "delete" and not r[5]] == []
    assert cluster.stored("v1", "ConfigMap", "b-old", "n") is not None


def test_every_object_is_dry_run_in_one_batch_before_any_write():
    cluster = ClusterDouble()
    objects = [configmap("a1", mode="x"), configmap("b1", group="b", mode="z")]
    apply_objects(cluster, objects, MANAGER, live={}, group=group_of)
    verbs = [(r[0], r[4], r[5]) for r in cluster.requests]
    assert verbs == [("apply", "a1", True), ("apply", "b1", True), ("apply", "a1", False), ("apply", "b1", False)]


def test_a_refused_deletion_keeps_its_group_as_it_is_and_prunes_the_others():
    orphans = [configmap("a-old"), configmap("b-old", group="b")]
    cluster = ClusterDouble(orphans)
    cluster.fail[("delete", "ConfigMap", "a-old")] = [K8sError(403, "Forbidden", "deletes are forbidden here")]
    live = {identity(o): o for o in cluster.list("v1", "ConfigMap")}

    result = apply_objects(cluster, [configmap("a1", mode="x")], MANAGER, live=live, group=group_of,
                           prune=[live[identity(o)] for o in orphans])
    assert result.deleted == ["ConfigMap n/b-old"]
    assert result.failed_groups == {"a": ["ConfigMap n/a-old: cannot delete it: deletes are forbidden here"]}
    assert ("apply", "v1", "ConfigMap", "n", "a1", True) in cluster.requests
    assert applied_for_real(cluster, "a1") == []
    assert cluster.stored("v1", "ConfigMap", "a-old", "n") is not None


def test_without_groups_one_refusal_still_stops_the_whole_batch():
    cluster = ClusterDouble()
    cluster.fail[("apply", "ConfigMap", "b1")] = [refused("b1")]
    result = apply_objects(cluster, [configmap("a1", mode="x"), configmap("b1", group="b", mode="z")], MANAGER)
    assert result.errors and result.created == []
    assert ("apply", "v1", "ConfigMap", "n", "a1", True) in cluster.requests
    assert cluster.writes() == []


def test_a_field_taken_over_with_force_conflicts_is_drift():
    cluster = ClusterDouble()
    cluster.apply(configmap("c", mode="ours"), MANAGER)
    cluster.apply(configmap("c", mode="theirs"), "gitops", force=True)
    result = apply_objects(cluster, [configmap("c", mode="ours")], MANAGER, force_conflicts=True)
    assert result.updated == ["ConfigMap n/c"] and result.reverted == ["ConfigMap n/c"]
    assert cluster.stored("v1", "ConfigMap", "c", "n")["data"] == {"mode": "ours"}

    # A change of our own, with nobody's field in the way, is an update and not drift.
    plain = apply_objects(cluster, [configmap("c", mode="new")], MANAGER, force_conflicts=True)
    assert plain.updated == ["ConfigMap n/c"] and plain.reverted == []


def test_a_field_taken_over_in_check_mode_is_drift_too():
    cluster = ClusterDouble()
    cluster.apply(configmap("c", mode="ours"), MANAGER)
    cluster.apply(configmap("c", mode="theirs"), "gitops", force=True)
    result = apply_objects(cluster, [configmap("c", mode="ours")], MANAGER, force_conflicts=True, check_mode=True)
    assert result.reverted == ["ConfigMap n/c"]
    assert cluster.stored("v1", "ConfigMap", "c", "n")["data"] == {"mode": "theirs"}


def connection_refused(kind, ns, name):
    return ("%s %s/%s: HTTPSConnectionPool(host='127.0.0.1', port=6443): Max retries exceeded with url: "
            "/apis/kuadrant.io/v1/namespaces/%s/x/%s?dryRun=All (Caused by NewConnectionError('<urllib3.connection."
            "HTTPSConnection object at 0x7f%06x>: Failed to establish a new connection: [Errno 111] Connection "
            "refused'))" % (kind, ns, name, ns, name, hash(name) & 0xffffff))


def test_one_cause_for_many_objects_is_told_once_with_examples():
    errors = [connection_refused("AuthPolicy", "llm", "maas-auth-%03d" % i) for i in range(480)]
    errors.append('TokenRateLimitPolicy llm/maas-trlp-x: Apply failed with 1 conflict: conflict with "gitops"')
    message = summarize_errors(errors)
    assert len(message) < 1000, message
    assert "Connection refused'))" in message
    assert "(for 480 objects, e.g. AuthPolicy llm/maas-auth-000, AuthPolicy llm/maas-auth-001, " \
           "AuthPolicy llm/maas-auth-002, ...)" in message
    assert message.endswith('; TokenRateLimitPolicy llm/maas-trlp-x: Apply failed with 1 conflict: conflict with "gitops"')


def test_different_causes_and_single_errors_are_kept_as_they_are():
    errors = ['AuthPolicy llm/a: authpolicies "a" is invalid: spec.x: Required value',
              'AuthPolicy llm/b: authpolicies "b" is invalid: spec.x: Required value',
              "Tenant mas/t: cannot write status: forbidden",
              "something without an object"]
    assert summarize_errors(errors) == (
        'authpolicies "<name>" is invalid: spec.x: Required value (for 2 objects, e.g. AuthPolicy llm/a, '
        'AuthPolicy llm/b); Tenant mas/t: cannot write status: forbidden; something without an object')
    assert summarize_errors(errors[2:3]) == errors[2]


def test_only_fields_another_manager_lost_are_a_take_over():
    def managed(*entries):
        return {"metadata": {"managedFields": [dict(manager=m, operation=o, fieldsV1=f, **extra)
                                               for m, o, f, extra in entries]}}

    theirs = {"f:data": {"f:mode": {}, "f:other": {}}}
    before = managed(("gitops", "Apply", theirs, {}), ("operator", "Update", {"f:status": {}}, {"subresource": "status"}))
    kept = managed(("gitops", "Apply", theirs, {}), ("operator", "Update", {"f:status": {"f:x": {}}}, {"subresource": "status"}),
                   (MANAGER, "Apply", {"f:data": {"f:mine": {}}}, {}))
    taken = managed(("gitops", "Apply", {"f:data": {"f:other": {}}}, {}), (MANAGER, "Apply", {"f:data": {"f:mode": {}}}, {}))
    assert fields_taken_over(before, kept, MANAGER) is False  # a status another wrote meanwhile is not ours to take
    assert fields_taken_over(before, taken, MANAGER) is True
    assert fields_taken_over(None, taken, MANAGER) is False


# ---------------------------------------------------------------------------------------------
# a spec we own whole; what we last applied


def policy_edited_by(manager, spec, fields):
    return {"apiVersion": "kuadrant.io/v1", "kind": "AuthPolicy", "spec": spec,
            "metadata": {"name": "p", "namespace": "n", "resourceVersion": "9", "managedFields": [
                {"manager": MANAGER, "operation": "Apply", "fieldsV1": {"f:spec": {"f:a": {}}}},
                {"manager": manager, "operation": "Update", "fieldsV1": fields}]}}


def test_fields_another_manager_added_under_spec_are_foreign_but_shared_ones_are_not():
    live = policy_edited_by("kubectl-edit", {"a": 1, "rules": {"x": {"b": 2}, "extra": {"c": 3}}},
                            {"f:metadata": {"f:labels": {}},
                             "f:spec": {"f:a": {}, "f:rules": {"f:x": {"f:b": {}}, "f:extra": {"f:c": {}}}}})
    desired = {"spec": {"a": 1, "rules": {"x": {"b": 2}}}}
    assert foreign_spec_paths(live, MANAGER, desired) == [("spec", "rules", "extra")]
    assert write_reason(desired, live, MANAGER) is None
    assert write_reason(desired, live, MANAGER, owns_spec=True) == "foreign fields"


def test_the_cleanup_patch_writes_the_spec_without_them_and_drops_the_other_managers_claims_on_spec():
    live = policy_edited_by("kubectl-edit", {"a": 1, "x/y": 2}, {"f:metadata": {"f:labels": {}}, "f:spec": {"f:x/y": {}}})
    ops = spec_cleanup_patch(live, MANAGER, [("spec", "x/y")], "9")
    assert ops[:2] == [{"op": "test", "path": "/metadata/resourceVersion", "value": "9"},
                       {"op": "replace", "path": "/spec", "value": {"a": 1}}]
    assert ops[2]["value"][1]["fieldsV1"] == {"f:metadata": {"f:labels": {}}}
    only_spec = policy_edited_by("kubectl-patch", {"x": 2}, {"f:spec": {"f:x": {}}})
    assert [e["manager"] for e in spec_cleanup_patch(only_spec, MANAGER, [("spec", "x")], "9")[2]["value"]] == [MANAGER]
    assert without_paths({"spec": {"a": {"b": 1, "c": 2}}}, [("spec", "a", "b"), ("spec", "gone", "x")]) == {
        "spec": {"a": {"c": 2}}}


def test_the_fingerprint_is_the_same_for_the_same_object_whatever_was_stamped_before():
    obj = {"metadata": {"name": "p", "annotations": {"z": "1"}}, "spec": {"a": 1}}
    first = fingerprinted(obj, "example.com/digest")
    assert fingerprinted(first, "example.com/digest") == first
    assert same_fingerprint(first, first, "example.com/digest")
    assert not same_fingerprint(first, fingerprinted(dict(obj, spec={"a": 2}), "example.com/digest"), "example.com/digest")
    assert not same_fingerprint(first, obj, "example.com/digest") and not same_fingerprint(first, first, None)
