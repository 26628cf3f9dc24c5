"""Upstream-shaped ExternalModels: what is read from them, what is generated, and that the provider's
API key never leaves its Secret."""

import json

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import METADATA_ONLY, Cluster
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import external_route_name
from ansible_collections.modelserving.maas.plugins.module_utils._maas.status import desired_statuses
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import (
    InvalidResource,
    parse_external_model,
    parse_resources,
)

MAAS = "maas.opendatahub.io/v1alpha1"
API_KEY = "sk-provider-secret-value"


def external_model(name="gpt-4o", ns="llm", annotations=None, **spec):
    body = {"provider": "openai", "targetModel": "gpt-4o", "endpoint": "api.openai.com",
            "credentialRef": {"name": "openai-key"}}
    body.update(spec)
    metadata = {"name": name, "namespace": ns}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"apiVersion": MAAS, "kind": "ExternalModel", "metadata": metadata, "spec": body}


def model_ref(name="gpt-4o", ns="llm", target=None):
    return {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": name, "namespace": ns},
            "spec": {"modelRef": {"kind": "ExternalModel", "name": target or name}}}


ACCESS = {"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": "access", "namespace": "models-as-a-service"},
          "spec": {"modelRefs": [{"namespace": "llm", "name": "gpt-4o"}], "subjects": {"groups": [{"name": "team-a"}]}}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "openai-key", "namespace": "llm"},
          "type": "Opaque", "stringData": {"api-key": API_KEY}}


def objects_by_kind(result):
    return {o["kind"]: o for o in result["objects"] if o["metadata"]["namespace"] == "llm"}


# ---------------------------------------------------------------------------------------------
# reading the CR


def test_an_upstream_external_model_is_read_with_upstreams_defaults():
    parsed = parse_external_model(external_model())
    assert {k: parsed[k] for k in ("provider", "target_model", "credential", "host", "port", "tls")} == {
        "provider": "openai", "target_model": "gpt-4o", "credential": "openai-key", "host": "api.openai.com",
        "port": 443, "tls": True}


@pytest.mark.parametrize("annotations, tls, port", [
    ({"maas.opendatahub.io/tls": "false"}, False, 443),
    ({"maas.opendatahub.io/tls": "False", "maas.opendatahub.io/port": "8000"}, False, 8000),
    ({"maas.opendatahub.io/tls": "1", "maas.opendatahub.io/port": "8443"}, True, 8443),
])
def test_the_port_and_tls_annotations_are_read_as_upstream_reads_them(annotations, tls, port):
    parsed = parse_external_model(external_model(annotations=annotations))
    assert (parsed["tls"], parsed["port"]) == (tls, port)


@pytest.mark.parametrize("spec, annotations, message", [
    ({"provider": ""}, None, "ExternalModel llm/gpt-4o: spec.provider is required (a non-empty string)"),
    ({"provider": "p" * 64}, None, 'spec.provider "%s": must be 1 to 63 printable characters' % ("p" * 64)),
    ({"targetModel": "gpt\n4o"}, None, 'spec.targetModel "gpt\\n4o": must be 1 to 253 printable characters'),
    ({"endpoint": "https://api.openai.com"}, None, 'spec.endpoint "https://api.openai.com": the host must be a DNS name'),
    ({"endpoint": None}, None, "spec.endpoint is required (the provider's host name, e.g. api.openai.com)"),
    ({"credentialRef": None}, None, "spec.credentialRef is required (the Secret holding key api-key)"),
    ({"credentialRef": {"name": "Not_A_Secret"}}, None,
     'spec.credentialRef.name "Not_A_Secret": must be a Secret name (a DNS-1123 subdomain)'),
    ({}, {"maas.opendatahub.io/tls": "yes"}, 'metadata.annotations[maas.opendatahub.io/tls] "yes": must be true or false'),
    ({}, {"maas.opendatahub.io/port": "65536"},
     'metadata.annotations[maas.opendatahub.io/port] "65536": must be a port number from 1 to 65535'),
    ({}, {"maas.opendatahub.io/port": "+443"},
     'metadata.annotations[maas.opendatahub.io/port] "+443": must be a port number from 1 to 65535'),
])
def test_a_wrong_field_is_reported_with_its_path_and_value(spec, annotations, message):
    with pytest.raises(InvalidResource) as err:
        parse_external_model(external_model(annotations=annotations, **spec))
    assert message in str(err.value)


def test_an_invalid_external_model_freezes_only_the_model_that_names_it():
    result = generate([model_ref(), external_model(provider=""), ACCESS])
    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("ExternalModel", "gpt-4o")]
    assert objects_by_kind(result) == {}
    assert result["skipped"][0]["reason"] == "not generated because ExternalModel llm/gpt-4o is invalid"


# ---------------------------------------------------------------------------------------------
# what is generated


def test_the_route_has_upstreams_two_rules_each_setting_host_and_a_300s_timeout():
    route = objects_by_kind(generate([model_ref(), external_model(), ACCESS]))["HTTPRoute"]
    assert route["metadata"]["name"] == "maas-gpt-4o"
    path_rule, header_rule = route["spec"]["rules"]
    assert path_rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/llm/gpt-4o"}}]
    header = {"type": "Exact", "name": "X-Gateway-Model-Name", "value": "gpt-4o"}
    assert header_rule["matches"] == [{"headers": [header]}]
    for rule in (path_rule, header_rule):
        headers = [f["requestHeaderModifier"]["set"] for f in rule["filters"] if f["type"] == "RequestHeaderModifier"]
        assert headers == [[{"name": "Host", "value": "api.openai.com"}]]
        assert rule["timeouts"] == {"request": "300s"}
        assert rule["backendRefs"] == [{"group": "", "kind": "Service", "name": "maas-gpt-4o", "port": 443}]


def test_an_endpoint_override_without_external_model_gets_the_path_rule_only():
    override = dict(model_ref(), spec={"modelRef": {"kind": "ExternalModel", "name": "gpt-4o"},
                                       "endpointOverride": "https://api.example.com/v1"})
    route = objects_by_kind(generate([override, ACCESS]))["HTTPRoute"]
    assert [r["matches"][0].get("path", {}).get("value") for r in route["spec"]["rules"]] == ["/llm/gpt-4o"]


def test_the_provider_host_is_registered_and_tls_originated_with_its_name_as_sni():
    found = objects_by_kind(generate([model_ref(), external_model(), ACCESS]))
    assert found["Service"]["spec"]["type"] == "ExternalName"
    assert found["Service"]["spec"]["externalName"] == "api.openai.com"
    assert found["ServiceEntry"]["spec"] == {
        "hosts": ["api.openai.com"], "location": "MESH_EXTERNAL", "resolution": "DNS",
        "ports": [{"number": 443, "name": "https", "protocol": "HTTPS"}], "exportTo": [".", "openshift-ingress"]}
    rule = found["DestinationRule"]["spec"]
    assert rule["host"] == "api.openai.com"
    assert rule["trafficPolicy"]["portLevelSettings"][0]["tls"] == {
        "mode": "SIMPLE", "sni": "api.openai.com", "subjectAltNames": ["api.openai.com"], "insecureSkipVerify": False}


def test_a_ca_named_for_the_provider_host_replaces_the_system_roots_and_verification_stays_on():
    crs = [model_ref(), external_model(endpoint="llm.corp.example"), ACCESS]
    rule = objects_by_kind(generate(crs, external_ca={"LLM.corp.example": "corp-ca"}))["DestinationRule"]["spec"]
    assert rule["trafficPolicy"]["portLevelSettings"][0]["tls"] == {
        "mode": "SIMPLE", "sni": "llm.corp.example", "subjectAltNames": ["llm.corp.example"],
        "insecureSkipVerify": False, "credentialName": "corp-ca"}
    policy = objects_by_kind(generate(crs, external_tls="backendtlspolicy", external_ca={"llm.corp.example": "corp-ca"}))
    assert policy["BackendTLSPolicy"]["spec"]["validation"] == {
        "hostname": "llm.corp.example", "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "corp-ca"}]}


def test_without_a_named_ca_the_backend_tls_policy_verifies_against_the_system_roots():
    found = objects_by_kind(generate([model_ref(), external_model(), ACCESS], external_tls="backendtlspolicy"))
    assert found["BackendTLSPolicy"]["spec"]["validation"] == {
        "hostname": "api.openai.com", "wellKnownCACertificates": "System"}


def test_a_ca_name_that_cannot_name_an_object_is_refused():
    with pytest.raises(ValueError, match="external_ca\\['api.openai.com'\\] = 'Corp CA'"):
        generate([model_ref(), external_model(), ACCESS], external_ca={"api.openai.com": "Corp CA"})


def test_a_plain_http_provider_gets_an_http_service_entry_and_no_tls_origination():
    found = objects_by_kind(generate([model_ref(), external_model(annotations={"maas.opendatahub.io/tls": "false"}),
                                      ACCESS]))
    assert found["ServiceEntry"]["spec"]["ports"] == [{"number": 443, "name": "http", "protocol": "HTTP"}]
    assert "DestinationRule" not in found and "BackendTLSPolicy" not in found


def test_without_istio_there_is_no_service_entry():
    found = objects_by_kind(generate([model_ref(), external_model(), ACCESS], service_entry=False,
                                     external_tls="backendtlspolicy"))
    assert sorted(found) == ["AuthPolicy", "BackendTLSPolicy", "HTTPRoute", "Service"]


def test_an_internal_endpoint_allowed_by_the_operator_gets_no_service_entry():
    crs = [model_ref(), external_model(endpoint="vllm.models.svc.cluster.local"), ACCESS]
    found = objects_by_kind(generate(crs, allow_internal_endpoints=True))
    assert "ServiceEntry" not in found and found["Service"]["spec"]["externalName"] == "vllm.models.svc.cluster.local"


def test_every_generated_object_of_the_model_is_labelled_with_its_external_model():
    found = objects_by_kind(generate([model_ref(), external_model(), ACCESS]))
    for kind in ("Service", "ServiceEntry", "DestinationRule", "HTTPRoute"):
        assert found[kind]["metadata"]["labels"]["maas.opendatahub.io/external-model"] == "gpt-4o", kind


def test_no_generated_object_carries_the_provider_key_even_when_its_secret_is_in_the_input():
    result = generate([model_ref(), external_model(), ACCESS, SECRET])
    text = json.dumps(result)
    assert API_KEY not in text and "stringData" not in text
    assert "Secret" not in {o["kind"] for o in result["objects"]}


def test_a_route_name_past_253_characters_is_hashed_and_cannot_be_taken_by_a_crafted_name():
    long = "t" * 250
    hashed = external_route_name(long)
    assert len(hashed) == 253 and hashed != "maas-" + long
    crafted = hashed[len("maas-"):]
    assert external_route_name(crafted) != hashed


# ---------------------------------------------------------------------------------------------
# the credential, in status


def credential_condition(secrets, resources=None):
    resources = resources or [model_ref(), external_model()]
    parsed = parse_resources(resources, "groups")
    facts = {"routes": {}, "unresolved": {}, "conflicts": {}, "secrets": secrets}
    statuses = desired_statuses(resources, parsed, {"objects": [], "invalid": [], "skipped": []}, facts, "now")
    status = statuses[(MAAS, "MaaSModelRef", "llm", "gpt-4o")]
    return next(c for c in status["conditions"] if c["type"] == "CredentialInjected")


def test_the_model_ref_says_its_provider_credential_is_not_injected_and_who_would_inject_it():
    found = credential_condition({("llm", "openai-key"): True})
    assert (found["status"], found["reason"]) == ("False", "NotSupported")
    assert "Secret llm/openai-key, key api-key" in found["message"]
    assert "payload-processing" in found["message"] and "does not exist" not in found["message"]


def test_a_missing_credential_secret_is_named_in_the_condition():
    found = credential_condition({("llm", "openai-key"): False})
    assert found["message"].startswith(
        "Secret llm/openai-key named by ExternalModel llm/gpt-4o spec.credentialRef does not exist; ")


def test_a_secret_that_cannot_be_checked_says_why():
    found = credential_condition({("llm", "openai-key"): "403 Forbidden"})
    assert found["message"].startswith("cannot tell whether Secret llm/openai-key exists (403 Forbidden); ")


def test_a_model_without_external_model_cr_says_no_credential_is_known():
    found = credential_condition({}, resources=[model_ref()])
    assert found["message"] == "ExternalModel llm/gpt-4o is missing or invalid: no provider credential is known"


def test_llm_inference_service_models_get_no_credential_condition():
    resources = [{"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "llama", "namespace": "llm"},
                  "spec": {"modelRef": {"kind": "LLMInferenceService", "name": "llama"}}}]
    parsed = parse_resources(resources, "groups")
    statuses = desired_statuses(resources, parsed, {"objects": []},
                                {"routes": {}, "unresolved": {}, "conflicts": {}}, "now")
    assert [c["type"] for c in statuses[(MAAS, "MaaSModelRef", "llm", "llama")]["conditions"]] == ["Ready"]


# ---------------------------------------------------------------------------------------------
# the Secret's existence is read as metadata only


class RecordingDynamic(object):
    def __init__(self):
        self.headers = []

    def request(self, method, path, **kwargs):
        self.headers.append((method, path, kwargs["header_params"]["Accept"]))
        return type("Response", (), {"data": json.dumps({"kind": "PartialObjectMetadata", "metadata": {}})})()


def test_checking_the_secret_asks_the_api_server_for_its_metadata_only():
    dynamic = RecordingDynamic()
    cluster = Cluster(type("K8sClient", (), {"client": dynamic})())
    assert cluster.exists("v1", "Secret", "openai-key", "llm") is True
    assert dynamic.headers == [("GET", "/api/v1/namespaces/llm/secrets/openai-key", METADATA_ONLY)]
