"""Reconcile parity with the reference controller, on the real API server: an invalid CR is dropped
alone, drift is whatever the CRs did not cause (removals and additions included), the Go
controller's objects are adopted, and dotted model names get valid policies.

Every "put back" or "removed" assertion first checks that the hand edit really landed, so it would
fail if the behaviour were absent."""

import json

from test_maas_policy_sync import MAAS, TENANT_NS, condition, world  # noqa: F401 pylint: disable=unused-import

TRLP = "tokenratelimitpolicies.kuadrant.io"
AUTH = "authpolicies.kuadrant.io"


def pointer(*parts):
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def hand_patch(world, kind, name, ops):
    world.plane.kubectl("patch", kind, name, "-n", world.ns, "--type=json", "-p", json.dumps(ops))
    return world.plane.get(kind, name, world.ns)


def limit_of(world, model, subscription):
    limits = world.trlp(model)["spec"]["limits"]
    return limits.get(f"{TENANT_NS}/{subscription}@{world.ns}/{model}")


def broken_subscription(world, name, model, window="1m", groups=("team-b",)):
    world.plane.apply({"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": name, "namespace": TENANT_NS},
                       "spec": {"owner": {"groups": [{"name": g} for g in groups]},
                                "modelRefs": [{"name": model, "namespace": world.ns,
                                               "tokenRateLimits": [{"limit": 10, "window": window}]}]}})


# -- 1. an invalid CR is dropped alone ---------------------------------------------------------


def test_another_teams_invalid_subscription_does_not_stop_my_limit_changing(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.sync()
    broken_subscription(world, "team-b", "llama", window="9000h")  # the CRD pattern lets it through
    world.subscription("basic", ["llama"], limit=2000)

    result = world.sync()
    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("MaaSSubscription", "team-b")]
    assert '"9000h"' in result["invalid"][0]["reason"]
    assert limit_of(world, "llama", "basic")["rates"][0]["limit"] == 2000
    assert limit_of(world, "llama", "team-b") is None
    assert result["skipped_models"] == []
    status = world.status("maassubscription", "team-b")
    assert status["phase"] == "Failed" and "spec.modelRefs[0].tokenRateLimits[0].window" in condition(status, "Ready")["message"]
    assert world.status("maassubscription", "basic")["phase"] == "Active"


def test_a_comma_group_makes_only_that_subscription_invalid_and_its_own_limit_goes(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.subscription("team-b", ["llama"], groups=("team-b",), limit=50)
    world.sync()
    assert limit_of(world, "llama", "team-b") is not None
    world.subscription("team-b", ["llama"], groups=("team-b,admins",), limit=50)

    result = world.sync()
    assert "spec.owner.groups[0].name" in result["invalid"][0]["reason"]
    assert limit_of(world, "llama", "team-b") is None
    assert limit_of(world, "llama", "basic")["rates"][0]["limit"] == 1000
    assert world.trlp("llama")["metadata"]["annotations"]["maas.opendatahub.io/producers"] == f"{TENANT_NS}/basic"


def test_a_policy_only_invalid_crs_ask_for_is_kept_exactly_as_it_is(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.sync()
    before = world.trlp("llama")
    world.subscription("basic", ["llama"], groups=("a,b",), limit=5)
    world.access("team-z-access", ["llama"], groups=("team-z",))
    mark = world.plane.audit_mark()

    result = world.sync()
    assert [(s["kind"], s["name"]) for s in result["skipped_models"]] == [("TokenRateLimitPolicy", "maas-trlp-llama")]
    assert f"MaaSSubscription {TENANT_NS}/basic is invalid" in result["skipped_models"][0]["reason"]
    assert result["deleted"] == [] and result["updated"] == [f"AuthPolicy {world.ns}/maas-auth-llama"]
    assert world.trlp("llama")["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    events = world.plane.audited(mark, ["patch authpolicies"])
    assert not [e for e in events if "tokenratelimitpolicies" in e["requestURI"] and e["verb"] != "list"]


# -- 3. drift counts removals and additions ----------------------------------------------------


def test_a_removed_counter_is_put_back_as_drift(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.sync()
    key = f"{TENANT_NS}/basic@{world.ns}/llama"
    edited = hand_patch(world, TRLP, "maas-trlp-llama", [{"op": "remove", "path": pointer("spec", "limits", key, "counters")}])
    assert "counters" not in edited["spec"]["limits"][key]

    result = world.sync()
    assert result["drifted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert result["summary"]["drifted"] == 1
    assert world.trlp("llama")["spec"]["limits"][key]["counters"] == [{"expression": "auth.identity.userid"}]


def test_a_removed_when_entry_is_put_back_as_drift(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.sync()
    key = f"{TENANT_NS}/basic@{world.ns}/llama"
    when = world.trlp("llama")["spec"]["limits"][key]["when"]
    edited = hand_patch(world, TRLP, "maas-trlp-llama", [{"op": "remove", "path": pointer("spec", "limits", key, "when", "0")}])
    assert len(edited["spec"]["limits"][key]["when"]) == len(when) - 1

    result = world.sync()
    assert result["drifted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert world.trlp("llama")["spec"]["limits"][key]["when"] == when


def test_an_extra_limit_added_by_hand_is_removed_as_drift_and_stays_removed(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.sync()
    mine = {"rates": [{"limit": 1000000, "window": "1m"}], "counters": [{"expression": "auth.identity.userid"}]}
    edited = hand_patch(world, TRLP, "maas-trlp-llama", [{"op": "add", "path": "/spec/limits/mine", "value": mine}])
    assert "mine" in edited["spec"]["limits"]

    result = world.sync()
    assert result["drifted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert "mine" not in world.trlp("llama")["spec"]["limits"]
    mark = world.plane.audit_mark()
    again = world.sync()
    assert again["changed"] is False and again["drifted"] == []
    events = world.plane.audited(mark, ["list tokenratelimitpolicies"])
    assert {e["verb"] for e in events} <= {"get", "list"}


def test_an_extra_authorization_rule_is_removed_and_check_mode_only_reports_it(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.sync()
    rule = {"patternMatching": {"patterns": [{"predicate": "true"}]}}
    edited = hand_patch(world, AUTH, "maas-auth-llama",
                        [{"op": "add", "path": "/spec/rules/authorization/let-anyone-in", "value": rule}])
    assert "let-anyone-in" in edited["spec"]["rules"]["authorization"]

    checked = world.plane.module("modelserving.maas.maas_policy_sync", check=True, diff=True)
    assert checked["drifted"] == [f"AuthPolicy {world.ns}/maas-auth-llama"] and checked["changed"] is True
    entry = next(d for d in checked["diff"] if d["after_header"] == f"AuthPolicy {world.ns}/maas-auth-llama")
    assert "let-anyone-in" not in entry["after"]["spec"]["rules"]["authorization"]
    assert "let-anyone-in" in world.auth("llama")["spec"]["rules"]["authorization"]

    result = world.sync()
    assert result["drifted"] == [f"AuthPolicy {world.ns}/maas-auth-llama"]
    assert "let-anyone-in" not in world.auth("llama")["spec"]["rules"]["authorization"]


# -- 4. the Go controller's objects are adopted --------------------------------------------------


def upstream_trlp(world, model, subscriptions, era_b=True):
    labels = {"app.kubernetes.io/managed-by": "maas-controller", "app.kubernetes.io/part-of": "maas-subscription",
              "app.kubernetes.io/component": "token-rate-limit-policy", "maas.opendatahub.io/model": model}
    if era_b:
        labels["maas.opendatahub.io/model-namespace"] = world.ns
    route = world.plane.get("httproutes.gateway.networking.k8s.io", f"{model}-kserve-route", world.ns)
    owner = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "name": route["metadata"]["name"],
             "uid": route["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    return {"apiVersion": "kuadrant.io/v1alpha1", "kind": "TokenRateLimitPolicy",
            "metadata": {"name": f"maas-trlp-{model}", "namespace": world.ns, "labels": labels,
                         "annotations": {"maas.opendatahub.io/subscriptions": subscriptions},
                         "ownerReferences": [owner]},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": f"{model}-kserve-route"},
                     "limits": {f"models-as-a-service-gold-{model}-tokens": {
                         "rates": [{"limit": 7, "window": "1m"}],
                         "when": [{"predicate": f'auth.identity.selected_subscription_key == "{TENANT_NS}/gold@{world.ns}/{model}"'}],
                         "counters": [{"expression": "auth.identity.userid"}]}}}}


def upstream_auth(world, model, policies):
    return {"apiVersion": "kuadrant.io/v1", "kind": "AuthPolicy",
            "metadata": {"name": f"maas-auth-{model}", "namespace": world.ns,
                         "labels": {"app.kubernetes.io/managed-by": "maas-controller",
                                    "app.kubernetes.io/part-of": "maas-auth-policy",
                                    "app.kubernetes.io/component": "auth-policy", "maas.opendatahub.io/model": model},
                         "annotations": {"maas.opendatahub.io/auth-policies": policies}},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": f"{model}-kserve-route"},
                     "rules": {"authentication": {"api-keys": {"plain": {"selector": "request.headers.authorization"}}},
                               "authorization": {"require-group-membership": {"patternMatching": {"patterns": [
                                   {"selector": "auth.metadata.apiKeyValidation.groups", "operator": "incl",
                                    "value": "team-a"}]}}}}}}


def create_as_the_go_controller(world, *objs):
    """As controller-runtime writes: a create (operation Update) under field manager `manager`."""
    for obj in objs:
        world.plane.kubectl("create", "--field-manager=manager", "-f", "-", input=json.dumps(obj))


def test_the_go_controllers_policies_are_adopted_without_a_stale_field(world):
    world.model("llama")
    world.model("mistral")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    create_as_the_go_controller(world, upstream_trlp(world, "llama", f"{TENANT_NS}/gold"),
                                upstream_auth(world, "llama", "team-a-access"),
                                upstream_trlp(world, "mistral", "gold", era_b=False))
    shown = world.plane.kubectl("get", TRLP, "maas-trlp-llama", "-n", world.ns, "-o", "json", "--show-managed-fields")
    assert {(e["manager"], e["operation"]) for e in json.loads(shown.stdout)["metadata"]["managedFields"]} == {
        ("manager", "Update")}

    checked = world.plane.module("modelserving.maas.maas_policy_sync", check=True, diff=True)
    assert not checked.get("failed"), checked.get("msg")
    assert len(checked["adopted"]) == 2 and checked["deleted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-mistral"]
    after = next(d["after"] for d in checked["diff"] if d["after_header"] == f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama")
    assert "models-as-a-service-gold-llama-tokens" not in after["spec"]["limits"]
    assert "models-as-a-service-gold-llama-tokens" in world.trlp("llama")["spec"]["limits"]

    result = world.sync()
    assert sorted(result["adopted"]) == [f"AuthPolicy {world.ns}/maas-auth-llama", f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert result["drifted"] == []
    assert result["deleted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-mistral"]
    assert world.trlp("mistral") is None
    trlp = world.trlp("llama")
    assert [k for k in trlp["spec"]["limits"] if ":" not in k] == [f"{TENANT_NS}/basic@{world.ns}/llama"]
    assert "models-as-a-service-gold-llama-tokens" not in json.dumps(trlp["spec"])
    assert trlp["metadata"]["annotations"]["maas.opendatahub.io/producers"] == f"{TENANT_NS}/basic"
    assert trlp["metadata"]["annotations"]["maas.opendatahub.io/subscriptions"] == f"{TENANT_NS}/basic"
    assert trlp["metadata"]["labels"]["app.kubernetes.io/part-of"] == "models-as-a-service"
    auth = world.auth("llama")
    assert "selector" not in json.dumps(auth["spec"]["rules"]["authorization"]["require-group-membership"])
    assert "api-key-valid" in auth["spec"]["rules"]["authorization"]

    mark = world.plane.audit_mark()
    again = world.sync()
    assert again["changed"] is False and again["adopted"] == []
    events = world.plane.audited(mark, ["list authpolicies"])
    assert {e["verb"] for e in events} <= {"get", "list"}


def test_a_go_controller_object_applied_server_side_is_adopted_without_a_conflict(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.plane.apply(upstream_trlp(world, "llama", "gold"), manager="manager")

    result = world.sync()
    assert result["adopted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert "models-as-a-service-gold-llama-tokens" not in world.trlp("llama")["spec"]["limits"]


def test_the_go_controllers_objects_opted_out_or_unlabelled_are_never_touched(world):
    world.model("llama")
    world.model("mistral")
    world.access("team-a-access", ["llama", "mistral"])
    world.subscription("basic", ["llama"], limit=1000)
    opted_out = upstream_trlp(world, "llama", "gold")
    opted_out["metadata"]["labels"]["opendatahub.io/managed"] = "false"
    unlabelled = upstream_trlp(world, "mistral", "gold")
    del unlabelled["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    create_as_the_go_controller(world, opted_out, unlabelled)
    before = {m: world.trlp(m)["metadata"]["resourceVersion"] for m in ("llama", "mistral")}

    result = world.sync()
    assert f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama" in result["left_alone"]
    assert result["adopted"] == [] and result["deleted"] == []
    assert {m: world.trlp(m)["metadata"]["resourceVersion"] for m in ("llama", "mistral")} == before


# -- 2. dotted model names ---------------------------------------------------------------------


def test_a_dotted_model_name_gets_policies_the_real_schemas_accept(world):
    world.model("qwen3.v2")
    world.access("team-a-access", ["qwen3.v2"])
    world.subscription("basic", ["qwen3.v2"], limit=1000)

    result = world.sync()
    assert result["invalid"] == [] and result["skipped_models"] == []
    assert f"AuthPolicy {world.ns}/maas-auth-qwen3.v2" in result["created"]
    assert f"TokenRateLimitPolicy {world.ns}/maas-trlp-qwen3.v2" in result["created"]
    trlp = world.trlp("qwen3.v2")
    assert trlp["metadata"]["labels"]["maas.opendatahub.io/model"] == "qwen3.v2"
    assert f"{TENANT_NS}/basic@{world.ns}/qwen3.v2" in trlp["spec"]["limits"]
    assert world.status("maasmodelref", "qwen3.v2", world.ns)["phase"] == "Ready"
    assert world.status("maassubscription", "basic")["phase"] == "Active"
    assert world.sync()["changed"] is False
