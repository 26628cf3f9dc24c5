"""maas-api's own AuthPolicy predicates (roles/maas_api/vars/main.yml), run in the real CEL helper:
the internal endpoints, which check no caller, are never reachable through the gateway's /maas-api
prefix, while every public path stays open to the other rules."""

from pathlib import Path

import pytest
import yaml

from translate_support import activation

VARS = yaml.safe_load((Path(__file__).resolve().parents[4] / "roles/maas_api/vars/main.yml").read_text())
NOT_INTERNAL = VARS["maas_api_cel_not_internal"]


def allowed(cel, path):
    result = cel.evaluate(NOT_INTERNAL, activation({}, {"authorization": "Bearer sk-oai-x"}, path))
    assert result["ok"], result
    assert isinstance(result["value"], bool)
    return result["value"]


@pytest.mark.parametrize("path", [
    "/maas-api/internal/v1/api-keys/cleanup",
    "/maas-api/internal/v1/api-keys/validate",
    "/maas-api/internal/v1/subscriptions/select",
    "/maas-api/internal/v1/tenants/default-tenant/api-keys",
    "/maas-api/internal",
    "/maas-api//internal/v1/api-keys/cleanup",
    "/maas-api/internal/v1/api-keys/cleanup?x=/v1/models",
])
def test_the_internal_endpoints_are_refused_through_the_gateway(cel, path):
    assert allowed(cel, path) is False


@pytest.mark.parametrize("path", [
    "/maas-api/v1/api-keys",
    "/maas-api/v1/models",
    "/maas-api/health",
    "/maas-api/internals-docs",
    "/v1/api-keys",
    "/v1/models?internal=1",
])
def test_public_paths_are_left_to_the_other_rules(cel, path):
    assert allowed(cel, path) is True
