"""Upstream's own ExternalModel manifests, reconciled by maas_policy_sync on the real API server with
the real Gateway API and Istio CRDs: routed without spec.endpointOverride, and the provider's API key
never leaves its Secret."""

import base64
import json

import pytest

# `world` is a fixture, used as an argument.
from test_maas_policy_sync import MAAS, TENANT_NS, condition, world  # noqa: F401 pylint: disable=unused-import

API_KEY = "sk-proj-integration-4f9c2e1d7b"
GATEWAY_NS = "openshift-ingress"
ROUTE_KINDS = ("services", "serviceentries.networking.istio.io", "destinationrules.networking.istio.io",
               "httproutes.gateway.networking.k8s.io")


@pytest.fixture
def external(world):
    """World plus an ExternalModel cleanup: the module lists them cluster-wide."""
    yield world
    world.plane.kubectl("delete", "externalmodels.maas.opendatahub.io", "-A", "--all", "--wait=false")


def upstream_manifests(ns, secret=True):
    """An ExternalModel, its MaaSModelRef and credential Secret as upstream's documentation writes them."""
    docs = [
        {"apiVersion": MAAS, "kind": "ExternalModel", "metadata": {"name": "gpt-4o", "namespace": ns},
         "spec": {"provider": "openai", "targetModel": "gpt-4o", "endpoint": "api.openai.com",
                  "credentialRef": {"name": "openai-api-key"}}},
        {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "gpt-4o", "namespace": ns},
         "spec": {"modelRef": {"kind": "ExternalModel", "name": "gpt-4o"}}},
    ]
    if secret:
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "openai-api-key", "namespace": ns},
                     "type": "Opaque", "stringData": {"api-key": API_KEY}})
    return docs


def reconciled(world, secret=True):
    world.plane.apply(*upstream_manifests(world.ns, secret=secret))
    world.access("team-a-access", ["gpt-4o"])
    world.subscription("team-a-basic", ["gpt-4o"])
    result = world.sync(external_tls="destinationrule")
    assert result["invalid"] == [] and result["failed_models"] == [] and result["skipped_models"] == []
    return result


def get(world, kind, name):
    return world.plane.get(kind, name, world.ns)


def test_an_upstream_external_model_is_routed_without_an_endpoint_override(external):
    reconciled(external)

    service = get(external, "services", "maas-gpt-4o")
    assert (service["spec"]["type"], service["spec"]["externalName"]) == ("ExternalName", "api.openai.com")
    entry = get(external, "serviceentries.networking.istio.io", "maas-gpt-4o")["spec"]
    assert (entry["hosts"], entry["location"], entry["resolution"]) == (["api.openai.com"], "MESH_EXTERNAL", "DNS")
    assert entry["ports"] == [{"number": 443, "name": "https", "protocol": "HTTPS"}]
    rule = get(external, "destinationrules.networking.istio.io", "maas-gpt-4o")["spec"]
    assert rule["host"] == "api.openai.com"
    assert rule["trafficPolicy"]["portLevelSettings"][0]["tls"] == {
        "mode": "SIMPLE", "sni": "api.openai.com", "subjectAltNames": ["api.openai.com"], "insecureSkipVerify": False}

    route = get(external, "httproutes.gateway.networking.k8s.io", "maas-gpt-4o")
    assert route["metadata"]["labels"]["maas.opendatahub.io/external-model"] == "gpt-4o"
    path_rule, header_rule = route["spec"]["rules"]
    assert path_rule["matches"][0]["path"] == {"type": "PathPrefix", "value": f"/{external.ns}/gpt-4o"}
    assert header_rule["matches"][0]["headers"] == [{"type": "Exact", "name": "X-Gateway-Model-Name",
                                                     "value": "gpt-4o"}]
    for rule in (path_rule, header_rule):
        modifier = next(f for f in rule["filters"] if f["type"] == "RequestHeaderModifier")
        assert modifier["requestHeaderModifier"]["set"] == [{"name": "Host", "value": "api.openai.com"}]
        assert rule["timeouts"]["request"] == "300s"

    auth = external.auth("gpt-4o")
    assert auth["spec"]["targetRef"]["name"] == "maas-gpt-4o"
    status = external.status("maasmodelref", "gpt-4o", external.ns)
    assert status["phase"] == "Ready" and status["httpRouteName"] == "maas-gpt-4o"


def test_the_model_ref_says_the_credential_is_not_injected_and_names_its_secret(external):
    reconciled(external)
    found = condition(external.status("maasmodelref", "gpt-4o", external.ns), "CredentialInjected")
    assert (found["status"], found["reason"]) == ("False", "NotSupported")
    assert f"Secret {external.ns}/openai-api-key, key api-key" in found["message"]
    assert "payload-processing" in found["message"] and "does not exist" not in found["message"]


def test_a_missing_credential_secret_is_named_in_the_condition(external):
    reconciled(external, secret=False)
    found = condition(external.status("maasmodelref", "gpt-4o", external.ns), "CredentialInjected")
    assert found["message"].startswith(f"Secret {external.ns}/openai-api-key named by ExternalModel "
                                       f"{external.ns}/gpt-4o spec.credentialRef does not exist; ")


def every_object_text(plane, namespace):
    """Every listable namespaced object of `namespace` except Secrets, as JSON text."""
    kinds = plane.kubectl("api-resources", "--namespaced", "--verbs=list", "-o", "name").stdout.split()
    kinds = [k for k in kinds if k not in ("secrets", "events", "events.events.k8s.io")]
    return plane.kubectl("get", ",".join(kinds), "-n", namespace, "-o", "json").stdout


def test_no_object_but_the_secret_holds_the_provider_key(external):
    result = reconciled(external)
    encoded = base64.b64encode(API_KEY.encode()).decode()
    scanned = {namespace: every_object_text(external.plane, namespace) for namespace in (external.ns, GATEWAY_NS, TENANT_NS)}
    # The scan saw what was generated (and the model's status), so it would have seen a copied key.
    for kind in ("ServiceEntry", "DestinationRule", "HTTPRoute", "AuthPolicy", "CredentialInjected"):
        assert kind in scanned[external.ns], kind
    for namespace, text in scanned.items():
        assert API_KEY not in text and encoded not in text, namespace
    events = external.plane.kubectl("get", "events", "-A", "-o", "json").stdout
    assert API_KEY not in events and encoded not in events
    assert API_KEY not in json.dumps(result) and encoded not in json.dumps(result)


def test_deleting_the_external_model_prunes_its_route_and_mesh_objects(external):
    reconciled(external)
    external.plane.kubectl("delete", "externalmodels.maas.opendatahub.io", "gpt-4o", "-n", external.ns)
    result = external.sync(external_tls="destinationrule")
    for kind in ROUTE_KINDS:
        assert get(external, kind, "maas-gpt-4o") is None, kind
    assert f"ServiceEntry {external.ns}/maas-gpt-4o" in result["deleted"]
    assert external.plane.get("secrets", "openai-api-key", external.ns) is not None


def test_a_second_run_changes_nothing(external):
    reconciled(external)
    again = external.sync(external_tls="destinationrule")
    assert again["changed"] is False and again["created"] == again["updated"] == again["deleted"] == []
