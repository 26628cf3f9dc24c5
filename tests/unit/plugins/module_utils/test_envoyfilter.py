"""Which config patches carry the mesh mTLS transport_socket, and how a filter gets there safely."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.modelserving.maas.plugins.module_utils._mesh.envoyfilter import (
    carries_transport_socket,
    config_patches_with_mtls,
    config_patches_without_mtls,
    desired_config_patches,
    is_mesh_transport_socket,
    mtls_patch_for,
    mtls_transport_socket,
    patch_cluster_name,
    reconcile_envoyfilter,
    reconcile_envoyfilters,
    selected_envoyfilters,
    shape_problems,
    transport_socket_ops,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "kuadrant-envoyfilters.yaml"
KUADRANT_CLUSTERS = ["kuadrant-auth-service", "kuadrant-ratelimit-service"]

SDS = {"api_config_source": {"api_type": "GRPC", "grpc_services": [{"envoy_grpc": {"cluster_name": "sds-grpc"}}]}}

# What Kuadrant's own native mTLS (spec.mtls.enable) writes: same secrets, validation context not combined.
OPERATOR_NATIVE_SOCKET = {
    "name": "envoy.transport_sockets.tls",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "common_tls_context": {
            "tls_certificate_sds_secret_configs": [{"name": "default", "sds_config": SDS}],
            "validation_context_sds_secret_config": {"name": "ROOTCA", "sds_config": SDS},
        },
    },
}

# TLS towards Authorino's own serving certificate, configured from files: not the mesh's.
FILE_BASED_SOCKET = {
    "name": "envoy.transport_sockets.tls",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "sni": "authorino-authorino-authorization.kuadrant-system.svc",
        "common_tls_context": {"validation_context": {"trusted_ca": {"filename": "/etc/ssl/service-ca.crt"}}},
    },
}


def fixture_filters():
    filters = {}
    for doc in yaml.safe_load_all(FIXTURE.read_text()):
        doc["metadata"]["resourceVersion"] = "100"
        filters[doc["metadata"]["name"]] = doc
    return filters


def patches_of(name):
    return fixture_filters()[name]["spec"]["configPatches"]


AUTH = "kuadrant-auth-maas-default-gateway"
RATELIMIT = "kuadrant-ratelimiting-maas-default-gateway"
WASM = "kuadrant-maas-default-gateway"


# -- the transport socket ------------------------------------------------------------------------


def test_socket_takes_the_workload_certificate_and_root_ca_from_sds_grpc():
    socket = mtls_transport_socket()
    assert socket["name"] == "envoy.transport_sockets.tls"
    context = socket["typed_config"]
    assert context["@type"] == "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
    common = context["common_tls_context"]
    assert common["tls_certificate_sds_secret_configs"] == [{"name": "default", "sds_config": SDS}]
    assert common["combined_validation_context"] == {
        "default_validation_context": {},
        "validation_context_sds_secret_config": {"name": "ROOTCA", "sds_config": SDS},
    }


def test_socket_can_use_another_sds_cluster():
    assert "sds-other" in json.dumps(mtls_transport_socket("sds-other"))
    assert "sds-grpc" not in json.dumps(mtls_transport_socket("sds-other"))


# -- which patches carry it ----------------------------------------------------------------------


@pytest.mark.parametrize("config_patch, expected", [
    ({"applyTo": "CLUSTER", "patch": {"operation": "ADD", "value": {"name": "c"}}}, True),
    ({"applyTo": "CLUSTER", "patch": {"operation": "MERGE", "value": {"connect_timeout": "2s"}}}, True),
    ({"applyTo": "CLUSTER", "patch": {"operation": "MERGE_AND_REPLACE_LIST", "value": {}}}, True),
    ({"applyTo": "CLUSTER", "patch": {"operation": "REMOVE"}}, False),
    ({"applyTo": "HTTP_FILTER", "patch": {"operation": "INSERT_BEFORE", "value": {"name": "envoy.filters.http.wasm"}}},
     False),
    ({"applyTo": "LISTENER", "patch": {"operation": "MERGE", "value": {"per_connection_buffer_limit_bytes": 1}}},
     False),
    ({"applyTo": "NETWORK_FILTER", "patch": {"operation": "REPLACE", "value": {"name": "x"}}}, False),
    ("not a patch", False),
])
def test_only_cluster_values_get_a_transport_socket(config_patch, expected):
    assert carries_transport_socket(config_patch) is expected


def test_cluster_names_narrow_the_scope():
    auth = patches_of(AUTH)[0]
    wasm_cluster = patches_of(WASM)[1]
    assert carries_transport_socket(auth, KUADRANT_CLUSTERS)
    assert not carries_transport_socket(wasm_cluster, KUADRANT_CLUSTERS)
    assert carries_transport_socket(wasm_cluster, [])


def test_a_merge_patch_is_named_by_the_cluster_it_matches():
    merge = {"applyTo": "CLUSTER", "match": {"cluster": {"name": "outbound|50051||authorino.svc"}},
             "patch": {"operation": "MERGE", "value": {"connect_timeout": "2s"}}}
    assert patch_cluster_name(merge) == "outbound|50051||authorino.svc"
    assert patch_cluster_name(patches_of(AUTH)[0]) == "kuadrant-auth-service"


# -- present -------------------------------------------------------------------------------------


def test_generated_cluster_gets_exactly_the_socket_and_keeps_everything_else():
    before = patches_of(AUTH)
    after = config_patches_with_mtls(before, mtls_transport_socket())
    assert after[0]["patch"]["value"]["transport_socket"] == mtls_transport_socket()
    del after[0]["patch"]["value"]["transport_socket"]
    assert after == before


def test_wasm_http_filter_is_never_given_a_socket():
    before = patches_of(WASM)
    after = config_patches_with_mtls(before, mtls_transport_socket(), KUADRANT_CLUSTERS)
    assert after == before


def test_every_cluster_patch_gets_it_when_no_cluster_names_are_given():
    after = config_patches_with_mtls(patches_of(WASM), mtls_transport_socket())
    assert "transport_socket" not in after[0]["patch"]["value"]
    assert after[1]["patch"]["value"]["transport_socket"] == mtls_transport_socket()


@pytest.mark.parametrize("wrong", [
    OPERATOR_NATIVE_SOCKET,
    FILE_BASED_SOCKET,
    {"name": "envoy.transport_sockets.tls"},
    {"name": "envoy.transport_sockets.tls", "typed_config": {"@type": "x", "common_tls_context": {
        "tls_certificate_sds_secret_configs": [{"name": "default", "sds_config": SDS}]}}},
])
def test_a_wrong_or_partial_socket_is_replaced_not_duplicated(wrong):
    live = patches_of(AUTH)
    live[0]["patch"]["value"]["transport_socket"] = wrong
    after = config_patches_with_mtls(live, mtls_transport_socket())
    assert after[0]["patch"]["value"]["transport_socket"] == mtls_transport_socket()
    assert json.dumps(after).count('"envoy.transport_sockets.tls"') == 1


def test_inputs_are_never_mutated():
    live = patches_of(AUTH)
    snapshot = copy.deepcopy(live)
    config_patches_with_mtls(live, mtls_transport_socket())
    config_patches_without_mtls(live)
    assert live == snapshot


# -- absent --------------------------------------------------------------------------------------


def test_absent_removes_the_socket_and_nothing_else():
    original = patches_of(RATELIMIT)
    patched = config_patches_with_mtls(original, mtls_transport_socket())
    assert config_patches_without_mtls(patched) == original


def test_absent_also_removes_kuadrants_native_socket_and_partial_copies():
    for socket in (OPERATOR_NATIVE_SOCKET, {"name": "envoy.transport_sockets.tls", "typed_config": {
            "common_tls_context": {"tls_certificate_sds_secret_configs": [{"name": "default", "sds_config": SDS}]}}}):
        live = patches_of(AUTH)
        live[0]["patch"]["value"]["transport_socket"] = socket
        assert config_patches_without_mtls(live) == patches_of(AUTH)


def test_absent_leaves_tls_that_is_not_the_meshes():
    live = patches_of(AUTH)
    live[0]["patch"]["value"]["transport_socket"] = FILE_BASED_SOCKET
    assert config_patches_without_mtls(live) == live


@pytest.mark.parametrize("socket, expected", [
    (mtls_transport_socket(), True),
    (OPERATOR_NATIVE_SOCKET, True),
    (FILE_BASED_SOCKET, False),
    ({"name": "envoy.transport_sockets.raw_buffer"}, False),
    (None, False),
])
def test_which_sockets_are_the_meshes(socket, expected):
    assert is_mesh_transport_socket(socket) is expected


# -- the write ---------------------------------------------------------------------------------


def test_the_patch_is_guarded_by_the_resource_version_read():
    live = fixture_filters()[AUTH]
    ops = mtls_patch_for(live, "present", KUADRANT_CLUSTERS)
    assert ops[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": "100"}
    assert ops[1:] == [{"op": "add", "path": "/spec/configPatches/0/patch/value/transport_socket",
                        "value": mtls_transport_socket()}]


def test_a_filter_that_already_matches_needs_no_write():
    live = fixture_filters()[AUTH]
    live["spec"]["configPatches"] = desired_config_patches(live["spec"]["configPatches"], "present")
    assert mtls_patch_for(live, "present") == []
    assert mtls_patch_for(fixture_filters()[WASM], "present", KUADRANT_CLUSTERS) == []
    assert mtls_patch_for(fixture_filters()[AUTH], "absent") == []


def test_only_transport_socket_paths_are_written():
    live = fixture_filters()[WASM]["spec"]["configPatches"]
    desired = desired_config_patches(live, "present")
    assert transport_socket_ops(live, desired) == [
        {"op": "add", "path": "/spec/configPatches/1/patch/value/transport_socket", "value": mtls_transport_socket()}]
    assert transport_socket_ops(desired, live) == [
        {"op": "remove", "path": "/spec/configPatches/1/patch/value/transport_socket"}]


def test_selection_by_name_prefix_is_sorted():
    items = list(fixture_filters().values())
    assert [f["metadata"]["name"] for f in selected_envoyfilters(items, "kuadrant-")] == [
        "kuadrant-auth-maas-default-gateway", "kuadrant-maas-default-gateway",
        "kuadrant-ratelimiting-maas-default-gateway"]
    assert len(selected_envoyfilters(items, "")) == 4


def test_malformed_cluster_patches_are_reported_by_object_and_field():
    bad = fixture_filters()[AUTH]
    bad["spec"]["configPatches"].append({"applyTo": "CLUSTER", "patch": {"operation": "ADD", "value": "oops"}})
    bad["spec"]["configPatches"].append("oops")
    assert shape_problems(bad) == [
        "EnvoyFilter openshift-ingress/kuadrant-auth-maas-default-gateway: spec.configPatches[1].patch.value "
        "is a str, not a Cluster object",
        "EnvoyFilter openshift-ingress/kuadrant-auth-maas-default-gateway: spec.configPatches[2] is a str, "
        "not an object"]
    assert shape_problems(fixture_filters()[WASM]) == []


# -- conflicts: a write the operator made after our read is never overwritten ------------------


class RecordingCluster:
    """Stands in for the API server's answers to PATCH and GET of one filter, in order."""

    def __init__(self, patch_answers, get_answers=()):
        self.patch_answers = list(patch_answers)
        self.get_answers = list(get_answers)
        self.patches = []

    def patch(self, api_version, kind, name, patch, namespace=None, patch_type="merge", dry_run=False,
              subresource=None, field_manager=None):
        self.patches.append(patch)
        answer = self.patch_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, api_version, kind, name, namespace=None):
        return self.get_answers.pop(0)

    def list(self, api_version, kind, namespace=None, label_selector=None):
        return self.get_answers.pop(0)

    def parallel(self, function, items):
        results = []
        for item in items:
            try:
                results.append((function(item), None))
            except Exception as err:
                results.append((None, err))
        return results


def rewritten_by_operator(live, resource_version):
    fresh = copy.deepcopy(live)
    fresh["metadata"]["resourceVersion"] = resource_version
    fresh["spec"]["configPatches"][0]["patch"]["value"]["connect_timeout"] = "2s"
    return fresh


TEST_FAILED = K8sError(422, "Invalid", "the server rejected our request due to an error in our request")


def test_a_stale_read_is_refused_then_patched_on_the_fresh_version():
    stale = fixture_filters()[AUTH]
    fresh = rewritten_by_operator(stale, "101")
    cluster = RecordingCluster([TEST_FAILED, {"stored": True}], [fresh])
    status, before, after, conflicts = reconcile_envoyfilter(cluster, stale, "present")
    assert (status, conflicts) == ("drifted", 1)
    assert before is fresh
    assert [p[0]["value"] for p in cluster.patches] == ["100", "101"]


def test_a_409_is_a_conflict_too():
    stale = fixture_filters()[AUTH]
    cluster = RecordingCluster([K8sError(409, "Conflict", "modified"), {}], [rewritten_by_operator(stale, "102")])
    assert reconcile_envoyfilter(cluster, stale, "present")[::3] == ("drifted", 1)


def test_when_the_fresh_version_already_matches_nothing_is_written():
    stale = fixture_filters()[AUTH]
    fresh = rewritten_by_operator(stale, "101")
    fresh["spec"]["configPatches"] = desired_config_patches(fresh["spec"]["configPatches"], "present")
    cluster = RecordingCluster([TEST_FAILED], [fresh])
    assert reconcile_envoyfilter(cluster, stale, "present")[0] == "unchanged"
    assert len(cluster.patches) == 1


def test_a_422_on_an_unchanged_filter_is_a_real_error():
    live = fixture_filters()[AUTH]
    cluster = RecordingCluster([K8sError(422, "Invalid", "spec.configPatches: bad")], [copy.deepcopy(live)])
    with pytest.raises(K8sError, match="bad"):
        reconcile_envoyfilter(cluster, live, "present")


def test_a_filter_deleted_meanwhile_is_reported_as_vanished():
    live = fixture_filters()[AUTH]
    cluster = RecordingCluster([TEST_FAILED], [None])
    assert reconcile_envoyfilter(cluster, live, "present")[0] == "vanished"


def test_retries_are_bounded():
    live = fixture_filters()[AUTH]
    versions = [rewritten_by_operator(live, str(101 + n)) for n in range(3)]
    cluster = RecordingCluster([TEST_FAILED] * 3, versions)
    with pytest.raises(K8sError, match="during each of 3 attempts"):
        reconcile_envoyfilter(cluster, live, "present", max_conflicts=2)


def test_one_list_then_writes_only_for_filters_that_differ():
    filters = list(fixture_filters().values())
    cluster = RecordingCluster([{"metadata": {"resourceVersion": "200"}}] * 2, [filters])
    result = reconcile_envoyfilters(cluster, "openshift-ingress", "present", clusters=KUADRANT_CLUSTERS,
                                    want_diff=True)
    assert result.drifted == [AUTH, RATELIMIT]
    assert result.unchanged == [WASM]
    assert result.as_dict()["drift_count"] == 2
    assert len(cluster.patches) == 2 and len(result.diff) == 2
