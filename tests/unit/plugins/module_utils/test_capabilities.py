"""Reading what a cluster can do from its CRDs."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.capabilities import (
    crd_summary,
    missing_feature_messages,
    parse_schema_check,
    schema_has_path,
)

KUADRANT = {
    "spec": {"versions": [
        {"name": "v1beta1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"properties": {
            "spec": {"type": "object", "properties": {
                "mtls": {"type": "object", "properties": {"enable": {"type": "boolean"}}},
                "items": {"type": "array", "items": {"type": "object", "properties": {"x": {}}}}}}}}}},
        {"name": "v1alpha1", "served": False, "storage": False, "schema": {"openAPIV3Schema": {}}},
    ]},
    "status": {"conditions": [{"type": "Established", "status": "True"}]},
}


def test_summary_of_a_served_crd():
    assert crd_summary(KUADRANT) == {"present": True, "established": True, "versions": ["v1beta1"],
                                     "storage": "v1beta1"}


def test_summary_of_a_missing_crd():
    assert crd_summary(None)["present"] is False


@pytest.mark.parametrize("path, expected", [
    ("spec.mtls", True), ("spec.mtls.enable", True), ("spec.mtls.authorino", False),
    ("spec.items.x", True), ("status", False),
])
def test_schema_paths(path, expected):
    assert schema_has_path(KUADRANT, path) is expected


def test_schema_of_an_unknown_version_has_nothing():
    assert schema_has_path(KUADRANT, "spec.mtls", version="v9") is False


def test_schema_check_syntax():
    assert parse_schema_check("a.b:spec.x") == ("a.b", None, "spec.x")
    assert parse_schema_check("a.b:v1:spec.x") == ("a.b", "v1", "spec.x")
    with pytest.raises(ValueError):
        parse_schema_check("nonsense")


def test_missing_crds_are_named_with_their_feature():
    messages = missing_feature_messages(
        {"kserve": ["llminferenceservices.serving.kserve.io"], "kuadrant": ["authpolicies.kuadrant.io"]},
        {"authpolicies.kuadrant.io": crd_summary(KUADRANT),
         "llminferenceservices.serving.kserve.io": crd_summary(None)})
    assert messages == ["feature 'kserve' needs CRD llminferenceservices.serving.kserve.io, "
                        "which this cluster does not serve"]
