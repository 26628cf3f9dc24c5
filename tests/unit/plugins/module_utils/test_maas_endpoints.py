"""Where an external model's requests go: spec.endpointOverride and ExternalModel spec.endpoint.

Any namespace user can write a MaaSModelRef, and the gateway forwards callers' requests (with
their credentials) wherever it points. So an endpoint is parsed strictly, a bad one makes its CR
invalid (the model's existing objects stay exactly as they are), and addresses inside the cluster
or the node are refused unless allow_internal_endpoints says otherwise.
"""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._maas.external import (
    internal_address_reason,
    parse_endpoint_override,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.ownership import frozen_models, plan
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import TranslationError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity


@pytest.mark.parametrize("override, expected", [
    ("https://api.openai.com/v1", {"host": "api.openai.com", "port": 443, "tls": True, "path": "/v1"}),
    ("https://api.example.com/openai/v1/", {"host": "api.example.com", "port": 443, "tls": True, "path": "/openai/v1"}),
    ("http://llm.example.net:8080", {"host": "llm.example.net", "port": 8080, "tls": False, "path": "/"}),
    ("HTTPS://API.Example.com:8443/", {"host": "api.example.com", "port": 8443, "tls": True, "path": "/"}),
    ("API.Example.com", {"host": "api.example.com", "port": 443, "tls": True, "path": "/"}),
    ("api.example.com:8443", {"host": "api.example.com", "port": 8443, "tls": True, "path": "/"}),
    ("https://203.0.113.7/v1/%7Euser", {"host": "203.0.113.7", "port": 443, "tls": True, "path": "/v1/%7Euser"}),
])
def test_an_endpoint_override_is_a_url_or_a_bare_host_and_keeps_its_path(override, expected):
    assert parse_endpoint_override(override) == expected


@pytest.mark.parametrize("override, why", [
    ("htp:/broken", "must be an http:// or https:// URL, or a bare host[:port]"),
    ("api.example.com/v1", "must be an http:// or https:// URL, or a bare host[:port]"),
    ("ftp://files.example.com", "the scheme must be http or https"),
    ("https://bad host/", "must be a URL without spaces or control characters"),
    ("https://api.example.com/v1\n", "must be a URL without spaces or control characters"),
    ("https://api.example.com/v1?key=1", "a query (?...) cannot be kept"),
    ("https://api.example.com?", "a query (?...) cannot be kept"),
    ("https://api.example.com/v1#top", "a fragment (#...) is never sent to a server"),
    ("https://user:secret@api.example.com", "must not carry user information"),
    ("https://api.example.com:0", "the port must be a number from 1 to 65535"),
    ("https://api.example.com:65536", "the port must be a number from 1 to 65535"),
    ("https://api.example.com:", "the port must be a number from 1 to 65535"),
    ("https://api.example.com:\u0661\u0662", "the port must be a number from 1 to 65535"),
    ("https:///v1", "the host must be a DNS name"),
    ("https://api_example.com", "the host must be a DNS name"),
    ("https://[::1]:443", "an IPv6 address cannot be the target of an ExternalName Service"),
    ("https://fe80::1", "an IPv6 address cannot be the target of an ExternalName Service"),
    ("https://2130706433", "neither a DNS name"),
    ("https://127.1", "neither a DNS name"),
    ("https://0x7f000001", "neither a DNS name"),
    ("https://010.0.0.1", "neither a DNS name"),
    ("https://api.example.com/v1/../admin", "must not contain empty, '.' or '..' segments"),
    ("https://api.example.com//v1", "must not contain empty, '.' or '..' segments"),
    ("https://api.example.com/v1 x", "must be a URL without spaces"),
    ("https://api.example.com/v\u00e9", "the path must be at most 1024 characters"),
    ("https://api.example.com/" + "a" * 1024, "the path must be at most 1024 characters"),
])
def test_an_endpoint_override_that_would_need_a_guess_is_refused_with_the_reason(override, why):
    with pytest.raises(ValueError) as err:
        parse_endpoint_override(override)
    assert why in str(err.value)


@pytest.mark.parametrize("host, refused", [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("localhost", "loopback"), ("api.localhost", "loopback"),
    ("169.254.169.254", "link-local"), ("169.254.0.1", "link-local"), ("metadata.google.internal", "metadata"),
    ("0.0.0.0", "unspecified"),
    ("kubernetes", "API server"), ("kubernetes.default", "API server"), ("kubernetes.default.svc", "API server"),
    ("kubernetes.default.svc.cluster.local", "API server"), ("kubernetes.default.svc.corp.example", "API server"),
    ("maas-api.opendatahub.svc", "in-cluster Service"), ("maas-api.opendatahub.svc.cluster.local", "in-cluster Service"),
    ("vllm", "single-label"),
    ("api.openai.com", None), ("10.0.0.5", None), ("169.255.0.1", None), ("svc.example.com", None),
])
def test_addresses_inside_the_cluster_or_the_node_are_recognised(host, refused):
    why = internal_address_reason(host)
    assert (why is None) if refused is None else (refused in why), why


# ---------------------------------------------------------------------------------------------
# what a user sees: the MaaSModelRef is invalid and its model is left exactly as it is


def external(name="gpt", ns="llm", override=None, target=None):
    spec = {"modelRef": {"kind": "ExternalModel", "name": target or name}}
    if override is not None:
        spec["endpointOverride"] = override
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def external_model_cr(name="gpt", ns="llm", endpoint="api.openai.com"):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "ExternalModel",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"provider": "openai", "targetModel": "gpt-4o", "endpoint": endpoint,
                     "credentialRef": {"name": "openai-key"}}}


ACCESS = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
          "metadata": {"name": "access", "namespace": "models-as-a-service"},
          "spec": {"modelRefs": [{"namespace": "llm", "name": "gpt"}], "subjects": {"groups": [{"name": "team-a"}]}}}


def objects_of(result, model="gpt"):
    return sorted("%s %s" % (o["kind"], o["metadata"]["name"]) for o in result["objects"]
                  if o["metadata"]["labels"].get("maas.opendatahub.io/model") == model)


def test_the_override_path_becomes_the_prefix_the_route_forwards_to():
    result = generate([external(override="https://api.example.com/openai/v1"), ACCESS])
    route = next(o for o in result["objects"] if o["kind"] == "HTTPRoute")
    rewrite = route["spec"]["rules"][0]["filters"][0]["urlRewrite"]
    assert rewrite == {"hostname": "api.example.com",
                       "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/openai/v1"}}


def test_a_broken_override_makes_the_model_ref_invalid_and_freezes_its_objects():
    working = generate([external(override="https://api.example.com/openai/v1"), ACCESS])
    broken = generate([external(override="htp:/broken"), ACCESS])
    assert broken["invalid"] == [{
        "kind": "MaaSModelRef", "namespace": "llm", "name": "gpt",
        "reason": 'MaaSModelRef llm/gpt: spec.endpointOverride "htp:/broken": '
                  "must be an http:// or https:// URL, or a bare host[:port]"}]
    assert objects_of(broken) == []
    assert frozen_models(broken) == ["llm/gpt"]
    live = {identity(o): o for o in working["objects"]}
    work = plan(broken["objects"], live, "maas-controller", frozen_models(broken))
    assert [o["metadata"]["name"] for o in work["prune"]] == []


@pytest.mark.parametrize("override", ["http://169.254.169.254/latest", "https://kubernetes.default.svc",
                                      "https://127.0.0.1:6443", "http://localhost:8080", "https://vllm"])
def test_an_override_inside_the_cluster_or_the_node_is_refused_unless_allowed(override):
    refused = generate([external(override=override), ACCESS])
    assert [(i["kind"], i["name"]) for i in refused["invalid"]] == [("MaaSModelRef", "gpt")]
    assert refused["invalid"][0]["reason"].startswith('MaaSModelRef llm/gpt: spec.endpointOverride "%s": ' % override)
    assert refused["invalid"][0]["reason"].endswith("; allow_internal_endpoints allows it")
    assert objects_of(refused) == [] and frozen_models(refused) == ["llm/gpt"]
    allowed = generate([external(override=override), ACCESS], allow_internal_endpoints=True)
    assert allowed["invalid"] == [] and "HTTPRoute maas-gpt" in objects_of(allowed)


def test_an_external_model_cr_pointing_inside_the_cluster_is_refused_unless_allowed():
    crs = [external(), external_model_cr(endpoint="169.254.169.254"), ACCESS]
    refused = generate(crs)
    assert [i["reason"] for i in refused["invalid"]] == [
        'ExternalModel llm/gpt: spec.endpoint "169.254.169.254": is a link-local address '
        "(where cloud metadata services answer); allow_internal_endpoints allows it"]
    assert objects_of(refused) == [] and frozen_models(refused) == ["llm/gpt"]
    assert "HTTPRoute maas-gpt" in objects_of(generate(crs, allow_internal_endpoints=True))


def test_an_external_model_cr_with_a_numeric_host_is_invalid():
    result = generate([external(), external_model_cr(endpoint="2130706433"), ACCESS])
    assert [i["kind"] for i in result["invalid"]] == ["ExternalModel"]
    assert frozen_models(result) == ["llm/gpt"]


def test_an_invalid_model_ref_of_any_kind_is_frozen_not_pruned():
    bad = dict(external(), spec={"modelRef": {"kind": "Bogus", "name": "gpt"}})
    result = generate([bad, ACCESS])
    assert [e["reason"] for e in result["skipped"]] == ["not generated because MaaSModelRef llm/gpt is invalid"]
    assert frozen_models(result) == ["llm/gpt"]


def test_two_model_refs_of_one_namespace_cannot_share_an_external_model():
    result = generate([external("a", target="gpt", override="https://api.example.com"),
                       external("b", target="gpt", override="https://api.example.com"), external("c", override="x.example")])
    assert sorted(i["reason"] for i in result["invalid"]) == [
        'MaaSModelRef llm/a: spec.modelRef.name "gpt": ExternalModel llm/gpt is also the model of MaaSModelRef llm/b; '
        "its route maas-gpt serves one model",
        'MaaSModelRef llm/b: spec.modelRef.name "gpt": ExternalModel llm/gpt is also the model of MaaSModelRef llm/a; '
        "its route maas-gpt serves one model"]
    assert frozen_models(result) == ["llm/a", "llm/b"]


def test_allow_internal_endpoints_must_be_a_boolean():
    with pytest.raises(TranslationError, match='allow_internal_endpoints "yes": must be true or false'):
        generate([], allow_internal_endpoints="yes")


def test_the_maas_generate_filter_passes_allow_internal_endpoints_on():
    from ansible_collections.modelserving.maas.plugins.filter.maas_generate import FilterModule
    maas_generate = FilterModule().filters()["maas_generate"]
    crs = [external(override="https://vllm.models.svc.cluster.local:8000/v1"), ACCESS]
    assert [i["name"] for i in maas_generate(crs)["invalid"]] == ["gpt"]
    assert maas_generate(crs, allow_internal_endpoints=True)["invalid"] == []
