"""The filters as playbooks use them: modelserving.maas.maas_generate and modelserving.maas.cel_string."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.filter.cel_string import FilterModule as CelFilters
from ansible_collections.modelserving.maas.plugins.filter.maas_generate import FilterModule as GenerateFilters

maas_generate = GenerateFilters().filters()["maas_generate"]
cel_string = CelFilters().filters()["cel_string"]

MODEL = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
         "metadata": {"name": "qwen3", "namespace": "llm"},
         "spec": {"modelRef": {"kind": "LLMInferenceService", "name": "qwen3"}}}
POLICY = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
          "metadata": {"name": "everyone", "namespace": "models-as-a-service"},
          "spec": {"modelRefs": [{"name": "qwen3", "namespace": "llm"}],
                   "subjects": {"groups": [{"name": "system:authenticated"}]}}}


def test_maas_generate_returns_objects_and_reports():
    result = maas_generate([MODEL, POLICY], routes={"llm/qwen3": "route"})
    assert sorted(result) == ["invalid", "missing_models", "objects", "skipped"]
    assert "maas-auth-qwen3" in [o["metadata"]["name"] for o in result["objects"]]


def test_maas_generate_uses_the_default_audiences():
    result = maas_generate([MODEL, POLICY], routes={"llm/qwen3": "route"})
    auth = [o for o in result["objects"] if o["metadata"]["name"] == "maas-auth-qwen3"][0]
    assert auth["spec"]["rules"]["authentication"]["kubernetes-tokens"]["kubernetesTokenReview"]["audiences"] == [
        "https://kubernetes.default.svc", "maas-default-gateway-sa"]


def test_maas_generate_fails_with_the_validation_message():
    with pytest.raises(AnsibleFilterError, match='maas_generate: selection "both": must be one of groups, subscription'):
        maas_generate([MODEL], selection="both")


def test_invalid_crs_do_not_fail_the_filter():
    bad = dict(POLICY, spec={"modelRefs": [{"name": "qwen3", "namespace": "llm"}], "subjects": {}})
    assert maas_generate([MODEL, bad])["invalid"][0]["reason"].startswith(
        "MaaSAuthPolicy models-as-a-service/everyone: spec.subjects")


def test_cel_string_quotes_safely():
    assert cel_string('bob" || true || "') == '"bob\\" || true || \\""'


def test_cel_string_refuses_non_strings():
    with pytest.raises(AnsibleFilterError, match="expected a string, got int"):
        cel_string(3)
