"""cluster_capabilities through its run(), against CRDs stored in the cluster double."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure, RunContext
from ansible_collections.modelserving.maas.plugins.modules import cluster_capabilities
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import ClusterDouble, context
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for

CRD_API = "apiextensions.k8s.io/v1"


def crd(name, properties=None, established=True):
    group = name.split(".", 1)[1]
    schema = {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": properties or {}}}}}
    return {"apiVersion": CRD_API, "kind": "CustomResourceDefinition", "metadata": {"name": name},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": name.split(".")[0], "kind": name.split(".")[0].capitalize()[:-1]},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema}]},
            "status": {"conditions": [{"type": "Established", "status": "True" if established else "False"}]}}


def run(cluster, **params):
    return cluster_capabilities.run(params_for(cluster_capabilities, **params), context(cluster))


def test_a_missing_crd_fails_naming_the_feature_and_the_crd():
    cluster = ClusterDouble([crd("authpolicies.kuadrant.io")])
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, required={"kuadrant": ["authpolicies.kuadrant.io", "tokenratelimitpolicies.kuadrant.io"]})
    assert failure.value.msg == ("The cluster is missing prerequisites: feature 'kuadrant' needs CRD "
                                 "tokenratelimitpolicies.kuadrant.io, which this cluster does not serve. "
                                 "Install them, or disable the feature.")
    assert failure.value.result["missing"] == ["tokenratelimitpolicies.kuadrant.io"]
    assert failure.value.result["crds"]["authpolicies.kuadrant.io"]["established"] is True


def test_crds_and_schema_fields_are_reported_with_one_get_each_and_no_write():
    cluster = ClusterDouble([crd("kuadrants.kuadrant.io", {"mtls": {"type": "object"}}),
                             crd("backendtlspolicies.gateway.networking.k8s.io", established=False)])
    result = run(cluster, crds=["backendtlspolicies.gateway.networking.k8s.io", "destinationrules.networking.istio.io"],
                 schema_checks=["kuadrants.kuadrant.io:spec.mtls", "kuadrants.kuadrant.io:v1:spec.observability"])
    assert result["changed"] is False
    assert result["schema"] == {"kuadrants.kuadrant.io:spec.mtls": True,
                                "kuadrants.kuadrant.io:v1:spec.observability": False}
    assert result["crds"]["kuadrants.kuadrant.io"] == {"present": True, "established": True,
                                                       "versions": ["v1"], "storage": "v1"}
    assert result["crds"]["destinationrules.networking.istio.io"]["present"] is False
    assert result["missing"] == ["backendtlspolicies.gateway.networking.k8s.io", "destinationrules.networking.istio.io"]
    assert [r[0] for r in cluster.requests] == ["get"] * 3
    assert cluster.writes() == []


def test_a_malformed_schema_check_fails_before_reading_the_cluster():
    def never():
        raise AssertionError("connected to the cluster")

    with pytest.raises(ModuleFailure, match="must be <crd>:<path> or <crd>:<version>:<path>"):
        cluster_capabilities.run(params_for(cluster_capabilities, schema_checks=["a:b:c:d"]), RunContext(never))
