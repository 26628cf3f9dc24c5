"""The status written back to MaaS CRs: phases, conditions, and what they say was generated."""

from ansible_collections.modelserving.maas.plugins.module_utils._maas.routes import resolve_model_routes, route_names
from ansible_collections.modelserving.maas.plugins.module_utils._maas.status import (
    condition,
    desired_statuses,
    shared_priorities,
    status_differs,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import checked_options, translate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import parse_resources

NO_ROUTES = {"routes": {}, "unresolved": {}, "conflicts": {}}


def test_condition_keeps_its_transition_time_while_the_status_holds():
    before = [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    assert condition("Ready", "True", "R", "m", 1, before, "NOW")["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert condition("Ready", "False", "R", "m", 1, before, "NOW")["lastTransitionTime"] == "NOW"


def test_timestamps_alone_do_not_make_a_status_write():
    a = {"phase": "Active", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "1"}]}
    b = {"phase": "Active", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2"}]}
    assert not status_differs(a, b)
    assert status_differs(dict(a, phase="Degraded"), b)


def subscription(name, refs):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSSubscription",
            "metadata": {"name": name, "namespace": "mas", "generation": 3},
            "spec": {"modelRefs": [{"name": r, "namespace": "llm", "tokenRateLimits": [{"limit": 10, "window": "1m"}]}
                                   for r in refs]}}


def statuses_for(sub, missing=(), invalid=None):
    translation = {"objects": [], "skipped": [],
                   "invalid": [{"kind": "MaaSSubscription", "namespace": "mas", "name": sub["metadata"]["name"],
                                "reason": invalid}] if invalid else [],
                   "missing_models": [{"kind": "MaaSSubscription", "namespace": "mas",
                                       "name": sub["metadata"]["name"], "model": m} for m in missing]}
    statuses = desired_statuses([sub], parse_resources([sub], "groups"), translation, NO_ROUTES, "NOW")
    return statuses[("maas.opendatahub.io/v1alpha1", "MaaSSubscription", "mas", sub["metadata"]["name"])]


def test_subscription_phases_follow_missing_models():
    sub = subscription("gold", ["a", "b"])
    assert statuses_for(sub)["phase"] == "Active"
    degraded = statuses_for(sub, missing=["llm/b"])
    assert degraded["phase"] == "Degraded"
    assert degraded["conditions"][0]["message"] == "1 of 2 model references are missing: llm/b"
    assert statuses_for(sub, missing=["llm/a", "llm/b"])["phase"] == "Failed"
    invalid = statuses_for(sub, invalid="MaaSSubscription mas/gold: spec.x: bad")
    assert invalid["phase"] == "Failed" and invalid["conditions"][0]["reason"] == "InvalidSpec"
    assert invalid["conditions"][0]["observedGeneration"] == 3


# ---------------------------------------------------------------------------------------------
# MaaSModelRef and MaaSAuthPolicy, from a real translation


GATEWAY = {"namespace": "openshift-ingress", "name": "maas-default-gateway"}
MAAS = "maas.opendatahub.io/v1alpha1"


def model_ref(name="qwen3"):
    return {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": name, "namespace": "llm"},
            "spec": {"modelRef": {"kind": "LLMInferenceService", "name": name}}}


def access(models=("qwen3",)):
    return {"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": "access", "namespace": "mas"},
            "spec": {"modelRefs": [{"namespace": "llm", "name": m} for m in models],
                     "subjects": {"groups": [{"name": "team-a"}]}}}


def kserve_route(service, gateway="maas-default-gateway"):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": service + "-route", "namespace": "llm", "labels": {
                "app.kubernetes.io/name": service, "app.kubernetes.io/component": "llminferenceservice-router",
                "app.kubernetes.io/part-of": "llminferenceservice"}},
            "spec": {"parentRefs": [{"name": gateway, "namespace": "openshift-ingress"}],
                     "hostnames": ["models.example.com"]}}


def statuses(resources, httproutes):
    parsed = parse_resources(resources, "groups")
    resolved = resolve_model_routes(parsed["models"], httproutes, GATEWAY)
    translation = translate(parsed, route_names(resolved["routes"]), GATEWAY,
                            checked_options(resources, gateway=GATEWAY))
    routing = {"routes": resolved["routes"], "unresolved": resolved["unresolved"], "conflicts": {}}
    found = desired_statuses(resources, parsed, translation, routing, "NOW")
    return {key[1:]: status for key, status in found.items()}


def test_a_model_waits_for_kserve_but_fails_on_another_gateway():
    found = statuses([model_ref("waiting"), model_ref("elsewhere"), access(("waiting", "elsewhere"))],
                     [kserve_route("elsewhere", gateway="public")])
    waiting, elsewhere = found[("MaaSModelRef", "llm", "waiting")], found[("MaaSModelRef", "llm", "elsewhere")]
    assert (waiting["phase"], waiting["conditions"][0]["reason"]) == ("Pending", "WaitingForHTTPRoute")
    assert (elsewhere["phase"], elsewhere["conditions"][0]["reason"]) == ("Failed", "GatewayMismatch")
    assert "not attached to gateway openshift-ingress/maas-default-gateway" in elsewhere["conditions"][0]["message"]


def test_a_ready_model_reports_its_route_and_endpoint_and_its_policy_reports_the_auth_policy():
    found = statuses([model_ref(), access()], [kserve_route("qwen3")])
    model = found[("MaaSModelRef", "llm", "qwen3")]
    assert model["phase"] == "Ready" and model["httpRouteName"] == "qwen3-route"
    assert model["endpoint"] == "https://models.example.com/llm/qwen3"
    policy = found[("MaaSAuthPolicy", "mas", "access")]
    assert [(p["name"], p["ready"]) for p in policy["authPolicies"]] == [("maas-auth-qwen3", True)]


# ---------------------------------------------------------------------------------------------
# what the run refused, what the server refused, and shared priorities


def tenant(namespace="mas"):
    return {"apiVersion": MAAS, "kind": "Tenant", "metadata": {"name": "default-tenant", "namespace": namespace},
            "spec": {}}


def statuses_with(resources, httproutes, **facts):
    """statuses() with extra facts of the run: refused, failed, gateway_error."""
    parsed = parse_resources([r for r in resources if r["metadata"]["namespace"] != "rogue"], "groups")
    resolved = resolve_model_routes(parsed["models"], httproutes, GATEWAY)
    translation = translate(parsed, route_names(resolved["routes"]), GATEWAY, checked_options(resources, gateway=GATEWAY))
    facts = dict({"routes": resolved["routes"], "unresolved": resolved["unresolved"], "conflicts": {}}, **facts)
    return {key[1:]: s for key, s in desired_statuses(resources, parsed, translation, facts, "NOW").items()}


def ready(status_):
    return next((c["status"], c["reason"], c["message"]) for c in status_["conditions"] if c["type"] == "Ready")


def test_a_cr_the_run_refused_says_why_and_claims_nothing():
    rogue = dict(access(), metadata={"name": "everyone", "namespace": "rogue"})
    reason = "MaaSAuthPolicy rogue/everyone: namespace rogue is not allowed: ..."
    found = statuses_with([model_ref(), rogue, tenant("aaa")], [kserve_route("qwen3")], refused=[
        {"kind": "MaaSAuthPolicy", "namespace": "rogue", "name": "everyone", "reason": reason},
        {"kind": "Tenant", "namespace": "aaa", "name": "default-tenant", "reason": "Tenant aaa/default-tenant: ignored"}])
    policy = found[("MaaSAuthPolicy", "rogue", "everyone")]
    assert policy["phase"] == "Failed" and ready(policy) == ("False", "NamespaceNotAllowed", reason)
    assert policy["authPolicies"] == []
    assert ready(found[("Tenant", "aaa", "default-tenant")])[:2] == ("False", "IgnoredTenant")


def test_a_model_whose_objects_the_server_refused_is_failed_and_its_users_degraded():
    refused = "TokenRateLimitPolicy llm/maas-trlp-qwen3: conflict with \"gitops\""
    found = statuses_with([model_ref(), model_ref("other"), access(("qwen3", "other"))],
                          [kserve_route("qwen3"), kserve_route("other")], failed={"llm/qwen3": refused})
    model = found[("MaaSModelRef", "llm", "qwen3")]
    assert model["phase"] == "Failed" and ready(model) == ("False", "ReconcileFailed", refused)
    assert found[("MaaSModelRef", "llm", "other")]["phase"] == "Ready"
    policy = found[("MaaSAuthPolicy", "mas", "access")]
    assert policy["phase"] == "Degraded"
    assert ready(policy)[2] == ("the policies of 1 of 2 models could not be applied (see their MaaSModelRef "
                                "status): llm/qwen3")
    assert [(p["model"], p["reason"], p["message"]) for p in policy["authPolicies"]] == [
        ("other", "Applied", ""), ("qwen3", "ApplyFailed", refused)]


def test_the_tenant_fails_when_its_gateway_is_missing_or_refused():
    missing = "Gateway openshift-ingress/nope (from Tenant mas/default-tenant spec.gatewayRef) does not exist"
    gone = statuses_with([tenant()], [], gateway_error=missing)[("Tenant", "mas", "default-tenant")]
    assert gone["phase"] == "Failed" and ready(gone) == ("False", "GatewayNotFound", missing)
    refused = statuses_with([tenant()], [], failed={"gateway": "AuthPolicy x/gateway-default-auth: denied"})
    assert ready(refused[("Tenant", "mas", "default-tenant")])[:2] == ("False", "ReconcileFailed")
    assert ready(statuses_with([tenant()], [])[("Tenant", "mas", "default-tenant")])[:2] == ("True", "Reconciled")


def test_shared_priorities_are_per_namespace():
    subs = [{"namespace": ns, "priority": p, "ref": "%s/%s" % (ns, n)}
            for ns, n, p in (("a", "x", 1), ("a", "y", 1), ("a", "z", 2), ("b", "w", 1), ("a", "v", 1))]
    assert shared_priorities(subs) == [("a", 1, ["a/v", "a/x", "a/y"])]
