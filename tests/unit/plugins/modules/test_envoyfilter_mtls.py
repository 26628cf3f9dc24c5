"""envoyfilter_mtls through its run(), over the Kuadrant operator's EnvoyFilters in the cluster double."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._mesh.envoyfilter import mtls_transport_socket
from ansible_collections.modelserving.maas.plugins.modules import envoyfilter_mtls
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import BUILTIN_KINDS, ClusterDouble, context
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "kuadrant-envoyfilters.yaml"
API = "networking.istio.io/v1alpha3"
NS = "openshift-ingress"
AUTH = "kuadrant-auth-maas-default-gateway"
RATELIMIT = "kuadrant-ratelimiting-maas-default-gateway"
WASM = "kuadrant-maas-default-gateway"
CLUSTERS = ["kuadrant-auth-service", "kuadrant-ratelimit-service"]


def operator_filters():
    return ClusterDouble(yaml.safe_load_all(FIXTURE.read_text()))


def run(cluster, check_mode=False, diff=False, **params):
    ctx = context(cluster, check_mode=check_mode, diff=diff)
    return envoyfilter_mtls.run(params_for(envoyfilter_mtls, namespace=NS, **params), ctx)


def cluster_value(cluster, name, index=0):
    return cluster.stored(API, "EnvoyFilter", name, NS)["spec"]["configPatches"][index]["patch"]["value"]


def test_the_operators_filters_get_the_socket_then_a_second_run_writes_nothing():
    cluster = operator_filters()
    first = run(cluster, clusters=CLUSTERS)
    assert first["drifted"] == [AUTH, RATELIMIT] and first["drift_count"] == 2 and first["changed"] is True
    assert first["unchanged"] == [WASM]
    assert cluster_value(cluster, AUTH)["transport_socket"] == mtls_transport_socket()
    assert "transport_socket" not in cluster_value(cluster, WASM, 1)

    mark = len(cluster.requests)
    second = run(cluster, clusters=CLUSTERS)
    assert cluster.requests[mark:] == [("list", API, "EnvoyFilter", NS, None, False)]
    assert second["changed"] is False and second["drift_count"] == 0
    assert second["unchanged"] == [AUTH, WASM, RATELIMIT]


def test_a_filter_outside_the_name_prefix_is_never_touched():
    cluster = operator_filters()
    run(cluster)
    assert "transport_socket" not in cluster_value(cluster, "maas-model-access-logs")
    assert [w[4] for w in cluster.writes()] == [AUTH, WASM, RATELIMIT]


def test_check_mode_reports_the_drift_and_changes_nothing():
    cluster = operator_filters()
    result = run(cluster, check_mode=True, clusters=CLUSTERS)
    assert result["drifted"] == [AUTH, RATELIMIT] and result["changed"] is True
    assert ("patch", API, "EnvoyFilter", NS, AUTH, True) in cluster.requests
    assert cluster.writes() == []
    assert "transport_socket" not in cluster_value(cluster, AUTH)


def test_absent_takes_the_socket_out_again():
    cluster = operator_filters()
    run(cluster, clusters=CLUSTERS)
    result = run(cluster, clusters=CLUSTERS, state="absent")
    assert result["drifted"] == [AUTH, RATELIMIT]
    assert "transport_socket" not in cluster_value(cluster, AUTH)


def test_diff_mode_shows_the_filter_before_and_after():
    result = run(operator_filters(), diff=True, clusters=["kuadrant-auth-service"])
    [entry] = result["diff"]
    assert entry["before_header"] == "EnvoyFilter %s/%s" % (NS, AUTH)
    assert entry["after"]["spec"]["configPatches"][0]["patch"]["value"]["transport_socket"] == mtls_transport_socket()


def test_an_operator_rewrite_between_read_and_write_is_counted_and_retried():
    cluster = operator_filters()
    stale = K8sError(422, "Invalid", "the server rejected our request due to an error in our request")

    def rewrite_then_refuse():
        cluster.patch(API, "EnvoyFilter", AUTH, {"metadata": {"annotations": {"rewritten": "yes"}}}, namespace=NS)
        return stale

    cluster.fail[("patch", "EnvoyFilter", AUTH)] = [rewrite_then_refuse]
    result = run(cluster, clusters=["kuadrant-auth-service"])
    assert result["conflicts"] == 1 and result["drifted"] == [AUTH]
    assert cluster_value(cluster, AUTH)["transport_socket"] == mtls_transport_socket()


def test_a_cluster_without_envoyfilters_fails_naming_the_namespace():
    with pytest.raises(ModuleFailure) as failure:
        run(ClusterDouble(served=BUILTIN_KINDS))
    assert failure.value.msg.startswith("Cannot list the EnvoyFilters in namespace openshift-ingress: ")


def test_a_malformed_cluster_patch_fails_naming_the_filter_and_field_before_any_write():
    cluster = operator_filters()
    broken = cluster.stored(API, "EnvoyFilter", RATELIMIT, NS)
    broken["spec"]["configPatches"][0]["patch"]["value"] = "not-a-cluster"
    cluster.add(broken)
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, clusters=CLUSTERS)
    assert failure.value.msg == ("EnvoyFilter %s/%s: spec.configPatches[0].patch.value is a str, not a Cluster "
                                 "object" % (NS, RATELIMIT))
    assert failure.value.result["errors"] == [failure.value.msg]
    assert ("list", API, "EnvoyFilter", NS, None, False) in cluster.requests
    assert cluster.writes() == []
