"""Which HTTPRoute serves each LLMInferenceService model, and why a model has none."""

from ansible_collections.modelserving.maas.plugins.module_utils._maas.routes import (
    resolve_model_routes,
    resolve_routes,
    route_for_model,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import parse_resources

GATEWAY = {"namespace": "openshift-ingress", "name": "maas-default-gateway"}


def model(name="qwen3", ns="llm", kind="LLMInferenceService"):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"modelRef": {"kind": kind, "name": name}}}


def kserve_route(name, service="qwen3", ns="llm", parents=None):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns, "labels": {
                "app.kubernetes.io/name": service,
                "app.kubernetes.io/component": "llminferenceservice-router",
                "app.kubernetes.io/part-of": "llminferenceservice"}},
            "spec": {"parentRefs": parents if parents is not None else [
                {"name": "maas-default-gateway", "namespace": "openshift-ingress"}]}}


def test_the_kserve_route_attached_to_the_gateway_is_found():
    routes = [kserve_route("b-route"), kserve_route("a-route", parents=[{"name": "other"}]),
              kserve_route("other-model", service="granite")]
    assert route_for_model("qwen3", "llm", routes) == ("b-route", None)


def test_parent_namespace_defaults_to_the_route_namespace():
    routes = [kserve_route("r", ns="openshift-ingress", parents=[{"name": "maas-default-gateway"}])]
    assert route_for_model("qwen3", "openshift-ingress", routes) == ("r", None)
    assert route_for_model("qwen3", "llm", [kserve_route("r", parents=[{"name": "maas-default-gateway"}])])[0] is None


def test_a_route_on_another_gateway_is_refused_with_the_reason():
    name, reason = route_for_model("qwen3", "llm", [kserve_route("r", parents=[
        {"name": "public", "namespace": "openshift-ingress"}])])
    assert name is None
    assert reason == {"reason": "NotAttached",
                      "message": "HTTPRoute llm/r is not attached to gateway openshift-ingress/maas-default-gateway"}


def test_a_model_without_a_kserve_route_says_which_labels_were_looked_for():
    name, reason = route_for_model("qwen3", "llm", [])
    assert name is None
    assert reason["reason"] == "NoRoute"
    assert "app.kubernetes.io/name=qwen3" in reason["message"] and "llminferenceservice-router" in reason["message"]


def test_resolve_routes_covers_every_llminferenceservice_model():
    result = resolve_routes([model(), model("granite"), model("ext", kind="ExternalModel")], [kserve_route("q")],
                            {"namespace": "openshift-ingress", "name": "maas-default-gateway"})
    assert result["routes"] == {"llm/qwen3": "q"}
    assert list(result["unresolved"]) == ["llm/granite"]


def test_resolve_routes_answers_as_route_for_model_over_every_route():
    # resolve_routes indexes the routes; each model must still get what a scan of all of them gives.
    gateway = {"namespace": "openshift-ingress", "name": "maas-default-gateway"}
    routes = [kserve_route("q-b"), kserve_route("q-a", parents=[{"name": "other"}]),
              kserve_route("g", service="granite", ns="other-ns"), kserve_route("g2", service="granite"),
              {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
               "metadata": {"name": "plain", "namespace": "llm", "labels": {"app.kubernetes.io/name": "mistral"}}},
              {"kind": "HTTPRoute", "metadata": {"name": "odd", "namespace": "llm", "labels": ["not", "a", "map"]}},
              "not a route"]
    models = [model(), model("granite"), model("mistral"), model("absent")]
    result = resolve_routes(models, routes, gateway)
    for name in ("qwen3", "granite", "mistral", "absent"):
        found, reason = route_for_model(name, "llm", routes, gateway)
        assert (result["routes"].get("llm/" + name), result["unresolved"].get("llm/" + name)) == (found, reason)
    assert result["routes"] == {"llm/granite": "g2", "llm/qwen3": "q-b"}


def test_status_gets_the_route_the_model_is_served_on_with_its_hostnames():
    route = kserve_route("q")
    route["spec"]["hostnames"] = ["models.example.com"]
    parsed = parse_resources([model()], "groups")
    assert resolve_model_routes(parsed["models"], [route], GATEWAY)["routes"] == {"llm/qwen3": {
        "name": "q", "namespace": "llm", "gateway": GATEWAY, "hostnames": ["models.example.com"]}}


def test_a_route_not_created_yet_and_a_route_on_another_gateway_have_different_reasons():
    parsed = parse_resources([model(), model("granite")], "groups")
    other = kserve_route("g", service="granite", parents=[{"name": "public", "namespace": "openshift-ingress"}])
    unresolved = resolve_model_routes(parsed["models"], [other], GATEWAY)["unresolved"]
    assert {m: r["reason"] for m, r in unresolved.items()} == {"llm/granite": "NotAttached", "llm/qwen3": "NoRoute"}
