"""Translation behaviour a user notices: validation messages, routes, parameters, determinism."""

import copy
import json
import re

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import DNS_SUBDOMAIN, TranslationError

ROUTES = {"llm/qwen3": "qwen3-route", "llm/granite": "granite-route"}


def model(name="qwen3", ns="llm", kind="LLMInferenceService", target=None, **spec):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
            "metadata": {"name": name, "namespace": ns},
            "spec": dict({"modelRef": {"kind": kind, "name": target or name}}, **spec)}


def policy(name="access", models=(("llm", "qwen3"),), groups=("team-a",), users=()):
    subjects = {}
    if groups:
        subjects["groups"] = [{"name": g} for g in groups]
    if users:
        subjects["users"] = list(users)
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
            "metadata": {"name": name, "namespace": "models-as-a-service"},
            "spec": {"modelRefs": [{"namespace": ns, "name": n} for ns, n in models], "subjects": subjects}}


def subscription(name="gold", refs=None, groups=("team-a",), priority=0):
    refs = refs if refs is not None else [
        {"namespace": "llm", "name": "qwen3", "tokenRateLimits": [{"limit": 1000, "window": "1m"}]}]
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSSubscription",
            "metadata": {"name": name, "namespace": "models-as-a-service"},
            "spec": {"owner": {"groups": [{"name": g} for g in groups]}, "priority": priority, "modelRefs": refs}}


def names(result, kind=None):
    return sorted("%s %s/%s" % (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])
                  for o in result["objects"] if kind in (None, o["kind"]))


def reasons(result):
    return [entry["reason"] for entry in result["invalid"]]


# ---------------------------------------------------------------------------------------------
# validation messages name the CR, the field path and the value


@pytest.mark.parametrize("limits, message", [
    ([{"limit": 1000, "window": "1m"}, {"limit": 5, "window": "7d"}],
     'MaaSSubscription models-as-a-service/gold: spec.modelRefs[1].tokenRateLimits[1].window "7d": '
     "days are not allowed (write 24h for a day)"),
    ([{"limit": 0, "window": "1m"}],
     "MaaSSubscription models-as-a-service/gold: spec.modelRefs[1].tokenRateLimits[0].limit 0: "
     "must be an integer from 1 to 1000000000"),
    ([{"limit": True, "window": "1m"}],
     "MaaSSubscription models-as-a-service/gold: spec.modelRefs[1].tokenRateLimits[0].limit true: "
     "must be an integer from 1 to 1000000000"),
    ([{"limit": 10, "window": "90m0s"}],
     'MaaSSubscription models-as-a-service/gold: spec.modelRefs[1].tokenRateLimits[0].window "90m0s": '
     "must be 1 to 9999 followed by s, m or h"),
    ([{"limit": 10, "window": "9000h"}],
     'MaaSSubscription models-as-a-service/gold: spec.modelRefs[1].tokenRateLimits[0].window "9000h": '
     "must not be longer than 366 days (8784h)"),
    ([], "MaaSSubscription models-as-a-service/gold: spec.modelRefs[1].tokenRateLimits must list at least one limit"),
    ([{"limit": 10, "window": "1m\n"}],
     'MaaSSubscription models-as-a-service/gold: spec.modelRefs[1].tokenRateLimits[0].window "1m\\n": '
     "must be 1 to 9999 followed by s, m or h"),
])
def test_a_bad_token_limit_is_reported_with_its_path(limits, message):
    sub = subscription(refs=[{"namespace": "llm", "name": "qwen3", "tokenRateLimits": [{"limit": 1, "window": "1s"}]},
                             {"namespace": "llm", "name": "granite", "tokenRateLimits": limits}])
    result = generate([model(), model("granite"), sub], routes=ROUTES)
    assert reasons(result) == [message]
    assert result["invalid"][0]["kind"] == "MaaSSubscription"
    assert (result["invalid"][0]["namespace"], result["invalid"][0]["name"]) == ("models-as-a-service", "gold")


MODEL_NAME_RULE = ("must be a DNS-1123 subdomain of at most 63 characters (lower-case letters, digits, '-' and '.', "
                   "each dot-separated part starting and ending with a letter or digit)")


@pytest.mark.parametrize("cr, message", [
    (policy(groups=(), users=()), "MaaSAuthPolicy models-as-a-service/access: spec.subjects must name at least one group or user"),
    (policy(models=()), "MaaSAuthPolicy models-as-a-service/access: spec.modelRefs must list at least one model"),
    (policy(models=(("llm", "Qwen3"),)),
     'MaaSAuthPolicy models-as-a-service/access: spec.modelRefs[0].name "Qwen3": ' + MODEL_NAME_RULE),
    (policy(models=(("llm", "qwen3\n"),)),
     'MaaSAuthPolicy models-as-a-service/access: spec.modelRefs[0].name "qwen3\\n": ' + MODEL_NAME_RULE),
    (policy(models=(("llm", "qwen3..v2"),)),
     'MaaSAuthPolicy models-as-a-service/access: spec.modelRefs[0].name "qwen3..v2": ' + MODEL_NAME_RULE),
    (policy(models=(("llm", "q" * 61 + ".v2"),)),
     'MaaSAuthPolicy models-as-a-service/access: spec.modelRefs[0].name "%s.v2": ' % ("q" * 61) + MODEL_NAME_RULE),
    (policy(models=(("llm.x", "qwen3"),)),
     'MaaSAuthPolicy models-as-a-service/access: spec.modelRefs[0].namespace "llm.x": must be a DNS-1123 label '
     "(at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit)"),
    (model("qwen3.v2-"), 'MaaSModelRef llm/qwen3.v2-: metadata.name "qwen3.v2-": must be a DNS-1123 subdomain'),
    (policy(groups=("",)), 'MaaSAuthPolicy models-as-a-service/access: spec.subjects.groups[0].name "": must be a non-empty string'),
    (policy(groups=("ok", "bad\ud800")), 'MaaSAuthPolicy models-as-a-service/access: spec.subjects.groups[1].name "bad\ud800": '
     "contains an unpaired surrogate U+D800"),
    (dict(subscription(), spec=dict(subscription()["spec"], priority="high")),
     'MaaSSubscription models-as-a-service/gold: spec.priority "high": must be a 32-bit integer'),
    (subscription(groups=("team-a,admins",)),
     "MaaSSubscription models-as-a-service/gold: spec.owner.groups[0].name \"team-a,admins\": group names cannot "
     "contain ',' in groups selection mode (the identity's groups_str joins groups with ',')"),
    (model("other", kind="InferenceService"), 'MaaSModelRef llm/other: spec.modelRef.kind "InferenceService": '
     "must be LLMInferenceService or ExternalModel"),
    (dict(model(), metadata={"name": "qwen3"}), "MaaSModelRef <none>/qwen3: metadata.namespace and metadata.name are required"),
])
def test_invalid_crs_are_reported_not_raised(cr, message):
    result = generate([model(), cr], routes=ROUTES)
    assert message in reasons(result)


def test_a_subscription_that_names_no_owner_is_invalid_not_active():
    result = generate([model(), subscription(groups=())], routes=ROUTES)
    assert reasons(result) == ["MaaSSubscription models-as-a-service/gold: spec.owner: must name at least one group or user"]
    assert "TokenRateLimitPolicy llm/maas-trlp-qwen3" not in names(result)
    assert [(e["kind"], e["name"]) for e in result["skipped"]] == [("TokenRateLimitPolicy", "maas-trlp-qwen3")]


def test_a_model_listed_twice_in_a_subscription_is_rejected_naming_both_entries():
    entry = {"namespace": "llm", "name": "qwen3", "tokenRateLimits": [{"limit": 1000, "window": "1m"}]}
    twice = subscription(refs=[entry, {"namespace": "llm", "name": "granite", "tokenRateLimits": [
        {"limit": 5, "window": "1m"}]}, dict(entry, tokenRateLimits=[{"limit": 999999, "window": "1m"}])])
    result = generate([model(), model("granite"), twice], routes=ROUTES)
    assert reasons(result) == [
        "MaaSSubscription models-as-a-service/gold: spec.modelRefs[2]: duplicates spec.modelRefs[0] (llm/qwen3)"]
    assert sorted(e["name"] for e in result["skipped"]) == ["maas-trlp-granite", "maas-trlp-qwen3"]


def test_a_model_listed_twice_in_an_auth_policy_is_rejected_naming_both_entries():
    result = generate([model(), policy(models=(("llm", "qwen3"), ("llm", "qwen3")))], routes=ROUTES)
    assert reasons(result) == [
        "MaaSAuthPolicy models-as-a-service/access: spec.modelRefs[1]: duplicates spec.modelRefs[0] (llm/qwen3)"]
    assert "AuthPolicy llm/maas-auth-qwen3" not in names(result)


def test_commas_in_owner_groups_are_fine_when_maas_api_selects():
    result = generate([model(), subscription(groups=("team-a,admins",))], routes=ROUTES, selection="subscription")
    assert result["invalid"] == []
    assert "TokenRateLimitPolicy llm/maas-trlp-qwen3" in names(result)


def test_an_invalid_subscription_is_dropped_alone_and_the_valid_ones_still_apply():
    broken = subscription("broken", refs=[{"namespace": "llm", "name": "granite",
                                           "tokenRateLimits": [{"limit": 1, "window": "2d"}]}])
    valid = subscription(refs=[{"namespace": "llm", "name": n, "tokenRateLimits": [{"limit": 1000, "window": "1m"}]}
                               for n in ("qwen3", "granite")])
    result = generate([model(), model("granite"), policy(models=(("llm", "qwen3"), ("llm", "granite"))),
                       valid, broken], routes=ROUTES)
    assert [e["name"] for e in result["invalid"]] == ["broken"]
    assert result["skipped"] == []
    trlp = [o for o in result["objects"] if o["metadata"]["name"] == "maas-trlp-granite"][0]
    assert "models-as-a-service/gold@llm/granite" in trlp["spec"]["limits"]
    assert "broken" not in json.dumps(trlp)
    assert trlp["metadata"]["annotations"]["maas.opendatahub.io/producers"] == "models-as-a-service/gold"
    assert "AuthPolicy llm/maas-auth-granite" in names(result)


@pytest.mark.parametrize("broken, field", [
    (subscription("broken", refs=[{"namespace": "llm", "name": "qwen3",
                                   "tokenRateLimits": [{"limit": 5, "window": "9000h"}]}]),
     'spec.modelRefs[0].tokenRateLimits[0].window "9000h": must not be longer than 366 days (8784h)'),
    (subscription("broken", groups=("team-b,admins",)), 'spec.owner.groups[0].name "team-b,admins"'),
    (subscription("broken", groups=("team-\ud800",)), "spec.owner.groups[0].name"),
])
def test_each_kind_of_invalid_subscription_leaves_another_teams_limit_in_place(broken, field):
    result = generate([model(), subscription(refs=limit_refs(5000)), broken], routes=ROUTES)
    assert [(e["name"], field in e["reason"]) for e in result["invalid"]] == [("broken", True)]
    trlp = [o for o in result["objects"] if o["kind"] == "TokenRateLimitPolicy" and o["spec"].get("targetRef", {}).get(
        "kind") == "HTTPRoute"][0]
    assert trlp["spec"]["limits"]["models-as-a-service/gold@llm/qwen3"]["rates"] == [{"limit": 5000, "window": "1m"}]
    assert not any("broken" in key for key in trlp["spec"]["limits"])
    assert result["skipped"] == []


def test_a_policy_only_invalid_crs_still_ask_for_is_skipped_by_its_own_name():
    broken_access = policy("broken", groups=("ok",), users=("bad\udfff",))
    broken_sub = subscription("broken", groups=("a,b",))
    result = generate([model(), broken_access, broken_sub], routes=ROUTES)
    assert sorted(e["kind"] for e in result["invalid"]) == ["MaaSAuthPolicy", "MaaSSubscription"]
    assert [(e["kind"], e["namespace"], e["name"], e["model"]) for e in result["skipped"]] == [
        ("AuthPolicy", "llm", "maas-auth-qwen3", "llm/qwen3"),
        ("TokenRateLimitPolicy", "llm", "maas-trlp-qwen3", "llm/qwen3")]
    assert result["skipped"][1]["reason"] == (
        "not generated because MaaSSubscription models-as-a-service/broken is invalid and no valid MaaSSubscription "
        "names model llm/qwen3; an existing TokenRateLimitPolicy is kept as it is")
    assert not any(o["metadata"].get("labels", {}).get("maas.opendatahub.io/model") for o in result["objects"])


def test_an_invalid_model_ref_still_holds_its_whole_model_back():
    broken = model("granite", endpointOverride=5)
    result = generate([model(), broken, policy(models=(("llm", "qwen3"), ("llm", "granite"))),
                       subscription()], routes=ROUTES)
    assert [(e["kind"], e["name"]) for e in result["skipped"]] == [("MaaSModelRef", "granite")]
    assert "MaaSModelRef llm/granite" in result["skipped"][0]["reason"]
    assert not any(o["metadata"].get("labels", {}).get("maas.opendatahub.io/model") == "granite" for o in result["objects"])


def limit_refs(limit):
    return [{"namespace": "llm", "name": "qwen3", "tokenRateLimits": [{"limit": limit, "window": "1m"}]}]


# ---------------------------------------------------------------------------------------------
# aggregation


def test_every_policy_naming_a_model_contributes_to_its_auth_policy():
    result = generate([model(), policy("a", groups=("team-a",)), policy("b", groups=("team-b",), users=("zoe",))],
                      routes=ROUTES)
    auth = [o for o in result["objects"] if o["metadata"]["name"] == "maas-auth-qwen3"][0]
    assert auth["metadata"]["annotations"]["maas.opendatahub.io/producers"] == \
        "models-as-a-service/a,models-as-a-service/b"
    predicate = auth["spec"]["rules"]["authorization"]["require-group-membership"]["patternMatching"]["patterns"][0]["predicate"]
    assert '"team-a"' in predicate and '"team-b"' in predicate and '"zoe"' in predicate
    # Only the subscription reaches the model, and the caller's credential is blanked.
    headers = auth["spec"]["rules"]["response"]["success"]["headers"]
    assert sorted(headers) == ["X-MaaS-Subscription", "authorization"]
    assert headers["authorization"] == {"key": "authorization", "plain": {"expression": '""'}, "metrics": False,
                                        "priority": 0}


def test_deleting_a_subscription_rebuilds_the_model_policy_without_it():
    both = generate([model(), subscription("gold"), subscription("free", groups=("everyone",))], routes=ROUTES)
    one = generate([model(), subscription("free", groups=("everyone",))], routes=ROUTES)
    limits = [o for o in one["objects"] if o["metadata"]["name"] == "maas-trlp-qwen3"][0]["spec"]["limits"]
    assert "models-as-a-service/gold@llm/qwen3" not in limits
    assert "models-as-a-service/free@llm/qwen3" in limits
    assert "TokenRateLimitPolicy llm/maas-trlp-qwen3" in names(both)
    none = generate([model()], routes=ROUTES)
    assert "TokenRateLimitPolicy llm/maas-trlp-qwen3" not in names(none)


def test_missing_models_name_the_cr_and_the_model():
    result = generate([model(), subscription(refs=[
        {"namespace": "llm", "name": "qwen3", "tokenRateLimits": [{"limit": 1, "window": "1m"}]},
        {"namespace": "llm", "name": "ghost", "tokenRateLimits": [{"limit": 1, "window": "1m"}]}])], routes=ROUTES)
    assert result["missing_models"] == [{"kind": "MaaSSubscription", "namespace": "models-as-a-service",
                                         "name": "gold", "model": "llm/ghost"}]


def test_the_same_crs_in_any_order_give_the_same_bytes():
    crs = [model(), model("granite"), policy(), policy("b", models=(("llm", "granite"),)), subscription(),
           subscription("free", groups=("everyone",))]
    reference = json.dumps(generate(crs, routes=ROUTES))
    assert json.dumps(generate(list(reversed(crs)), routes=dict(reversed(list(ROUTES.items()))))) == reference
    assert json.dumps(generate(copy.deepcopy(crs) + copy.deepcopy(crs), routes=ROUTES)) == reference


def test_other_kinds_are_ignored():
    result = generate([model(), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "y"}}],
                      routes=ROUTES)
    assert result["invalid"] == []


# ---------------------------------------------------------------------------------------------
# parameters


@pytest.mark.parametrize("kwargs, message", [
    ({"selection": "tiers"}, 'selection "tiers": must be one of groups, subscription'),
    ({"external_tls": "mtls"}, 'external_tls "mtls": must be one of destinationrule, backendtlspolicy'),
    ({"maas_api_url": "maas-api:8443"}, 'maas_api_url "maas-api:8443": must be an http(s) URL without query or fragment'),
    ({"audiences": []}, "audiences must be a non-empty list of non-empty strings"),
    ({"audiences": "https://kubernetes.default.svc"}, "audiences must be a non-empty list of non-empty strings"),
    ({"managed_by": "me and you"}, 'managed_by "me and you": must be a valid label value'),
    ({"gateway": {"namespace": "Bad", "name": "gw"}}, 'gateway.namespace "Bad": must be a DNS-1123 label'),
    ({"cache_ttl": -1}, "cache_ttl -1: must be a non-negative integer (seconds)"),
    ({"routes": {"llm/qwen3": ""}}, 'routes must map "<namespace>/<model>" to an HTTPRoute name'),
    ({"tiers": [{"name": "gold", "groups": ["a,b"], "requests_per_minute": 1}]},
     "tiers[0].groups[0] \"a,b\": group names cannot contain ','"),
    ({"tiers": [{"name": "gold", "groups": ["a"]}]}, "tiers[0]: give requests_per_minute, tokens_per_minute or both"),
    ({"tiers": [{"name": "Gold", "groups": ["a"], "requests_per_minute": 1}]},
     'tiers[0].name "Gold": must be a DNS-1123 label of at most 40 characters'),
])
def test_bad_parameters_raise_a_clear_error(kwargs, message):
    with pytest.raises(TranslationError) as err:
        generate([model()], **kwargs)
    assert str(err.value) == message


def test_resources_must_be_a_list_of_objects():
    with pytest.raises(TranslationError, match=r"resources\[1\] must be a mapping"):
        generate([model(), "qwen3"])


def test_the_gateway_defaults_to_the_tenant_then_openshift_ingress():
    tenant = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "Tenant",
              "metadata": {"name": "default-tenant", "namespace": "models-as-a-service"},
              "spec": {"gatewayRef": {"namespace": "gw-ns", "name": "gw"}}}
    assert "AuthPolicy gw-ns/gateway-default-auth" in names(generate([tenant]))
    assert "AuthPolicy openshift-ingress/gateway-default-auth" in names(generate([]))
    assert "AuthPolicy x/gateway-default-auth" in names(generate([tenant], gateway={"namespace": "x", "name": "y"}))

# ---------------------------------------------------------------------------------------------
# external models


def test_an_external_model_without_a_host_is_skipped_with_the_reason():
    result = generate([model("gpt", ns="ext", kind="ExternalModel"), policy(models=(("ext", "gpt"),))])
    assert result["skipped"][0]["reason"] == "ExternalModel ext/gpt not found and spec.endpointOverride is not set"
    assert result["missing_models"][0]["model"] == "ext/gpt"


def test_external_model_cr_wins_over_the_override():
    ext = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "ExternalModel",
           "metadata": {"name": "gpt", "namespace": "ext", "annotations": {"maas.opendatahub.io/tls": "false"}},
           "spec": {"provider": "vllm", "targetModel": "gpt", "endpoint": "llm.internal",
                    "credentialRef": {"name": "key"}}}
    result = generate([model("gpt", ns="ext", kind="ExternalModel", endpointOverride="https://x.example.com"), ext])
    kinds = names(result)
    assert "DestinationRule ext/maas-gpt" not in kinds
    service = [o for o in result["objects"] if o["kind"] == "Service"][0]
    assert service["spec"]["externalName"] == "llm.internal"
    # Port 443 unless annotated, with or without TLS, as the reference controller defaults it.
    assert service["spec"]["ports"][0] == {"name": "http", "port": 443, "protocol": "TCP"}


def test_a_dotted_model_name_is_valid_and_every_generated_name_and_label_stays_valid():
    name = "q" * 56 + ".v2"  # 59 characters: within the 63 a label value allows
    routes = {"llm/qwen3.v2": "qwen3-route", "llm/" + name: "long-route"}
    refs = [{"namespace": "llm", "name": n, "tokenRateLimits": [{"limit": 10, "window": "1m"}]} for n in ("qwen3.v2", name)]
    result = generate([model("qwen3.v2"), model(name), policy(models=(("llm", "qwen3.v2"), ("llm", name))),
                       subscription(refs=refs)], routes=routes)
    assert result["invalid"] == [] and result["skipped"] == []
    assert {"AuthPolicy llm/maas-auth-qwen3.v2", "TokenRateLimitPolicy llm/maas-trlp-qwen3.v2",
            "AuthPolicy llm/maas-auth-" + name} <= set(names(result))
    label_value = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
    for obj in result["objects"]:
        assert DNS_SUBDOMAIN.match(obj["metadata"]["name"]) and len(obj["metadata"]["name"]) <= 253
        assert all(len(v) <= 63 and label_value.match(v) for v in obj["metadata"]["labels"].values())
