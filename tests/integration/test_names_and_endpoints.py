"""Generated names and model endpoints that no namespace user can bend, on the real API server.

Each test is one finding of a hostile trial run: it failed on the collection before the fix."""

import pytest

# `world` is a fixture, used as an argument.
from test_maas_policy_sync import MAAS, TENANT_NS, world  # noqa: F401 pylint: disable=unused-import


# -- 2. collision-free names -------------------------------------------------------------------


def test_subscriptions_that_differ_only_by_where_the_dash_is_both_keep_their_limits(world):
    plane = world.plane
    first = plane.create_namespace("team")
    second = first + "-a"
    plane.kubectl("create", "namespace", second)
    world.model("llama")
    try:
        for ns, name, group, limit in ((first, "a-gold", "gold-one", 111), (second, "gold", "gold-two", 222)):
            plane.apply({"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": name, "namespace": ns},
                         "spec": {"owner": {"groups": [{"name": group}]},
                                  "modelRefs": [{"name": "llama", "namespace": world.ns,
                                                 "tokenRateLimits": [{"limit": limit, "window": "1m"}]}]}})
        world.sync(allowed_namespaces=[TENANT_NS, first, second])
        limits = world.trlp("llama")["spec"]["limits"]
        counted = sorted(v["rates"][0]["limit"] for k, v in limits.items() if v["rates"][0]["limit"] > 0)
        assert counted == [111, 222], sorted(limits)
    finally:
        plane.delete_namespace(first)
        plane.delete_namespace(second)


# -- 7. endpointOverride -----------------------------------------------------------------------


def external(world, name, override):
    world.plane.apply({"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": name, "namespace": world.ns},
                       "spec": {"modelRef": {"kind": "ExternalModel", "name": name}, "endpointOverride": override}})


def test_a_wrong_endpoint_override_never_overwrites_a_working_external_model(world):
    external(world, "gpt", "https://api.example.com/openai/v1")
    world.access("team-a-access", ["gpt"])
    world.sync()
    route = world.plane.get("httproutes.gateway.networking.k8s.io", "maas-gpt", world.ns)
    rewrite = route["spec"]["rules"][0]["filters"][0]["urlRewrite"]
    assert rewrite["hostname"] == "api.example.com" and rewrite["path"]["replacePrefixMatch"] == "/openai/v1"

    external(world, "gpt", "htp:/broken")
    result = world.sync()
    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("MaaSModelRef", "gpt")]
    assert "spec.endpointOverride" in result["invalid"][0]["reason"]
    kept = world.plane.get("httproutes.gateway.networking.k8s.io", "maas-gpt", world.ns)
    assert kept["metadata"]["resourceVersion"] == route["metadata"]["resourceVersion"]
    assert world.status("maasmodelref", "gpt", world.ns)["phase"] == "Failed"


@pytest.mark.parametrize("override", ["http://169.254.169.254/latest", "https://kubernetes.default.svc",
                                      "https://127.0.0.1:6443", "https://api.example.com/v1?key=1"])
def test_dangerous_or_lossy_endpoint_overrides_are_refused(world, override):
    external(world, "risky", override)
    world.access("team-a-access", ["risky"])
    result = world.sync()
    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("MaaSModelRef", "risky")]
    assert world.plane.get("httproutes.gateway.networking.k8s.io", "maas-risky", world.ns) is None


def test_an_internal_endpoint_is_accepted_only_when_the_operator_allows_it(world):
    external(world, "in-cluster", "https://vllm.models.svc.cluster.local:8443/v1")
    world.access("team-a-access", ["in-cluster"])
    refused = world.sync()
    assert [(i["kind"], i["name"]) for i in refused["invalid"]] == [("MaaSModelRef", "in-cluster")]
    assert world.plane.get("httproutes.gateway.networking.k8s.io", "maas-in-cluster", world.ns) is None

    allowed = world.sync(allow_internal_endpoints=True)
    assert allowed["invalid"] == []
    route = world.plane.get("httproutes.gateway.networking.k8s.io", "maas-in-cluster", world.ns)
    assert route["spec"]["rules"][0]["filters"][0]["urlRewrite"]["hostname"] == "vllm.models.svc.cluster.local"
