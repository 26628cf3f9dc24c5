"""Generated predicates evaluated by a real CEL engine: cel-rust, the engine of Kuadrant's wasm-shim.

The helper in tests/cel is a long-running process fed JSON lines, so hypothesis can send thousands
of cases. Every request is evaluated twice: with absent identity fields absent from the map (CEL's
own semantics) and with them present as null (how the wasm-shim builds `auth.identity`).
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway import Gateway
from translate_support import activation, golden_cases, run_case

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import cel_string
from ansible_collections.modelserving.maas.plugins.module_utils._maas.identity import member_of
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    token_limit_key,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.tokenratelimit import owner_predicate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import DNS_SUBDOMAIN

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
MODEL = ("llm", "qwen3")
ROUTES = {"llm/qwen3": "qwen3-route"}
INFERENCE = "/llm/qwen3/v1/chat/completions"


def truth(cel, expr, identity, headers=None, path=INFERENCE, shim=False):
    """The predicate's value; fails the test on an evaluation error or a non-boolean."""
    result = cel.evaluate(expr, activation(identity, headers, path, shim=shim, expr=expr))
    assert result["ok"], "predicate raised %s for identity=%r headers=%r shim=%s:\n%s" % (
        result.get("error"), identity, headers, shim, expr)
    assert isinstance(result["value"], bool), expr
    return result["value"]


def firing(cel, trlp, identity, headers=None, path=INFERENCE, shim=False):
    """The limits whose every `when` predicate holds for this request."""
    return {key for key, limit in trlp["spec"]["limits"].items()
            if all(truth(cel, w["predicate"], identity, headers, path, shim) for w in limit.get("when", []))}


def trlp_of(result, model=MODEL):
    for obj in result["objects"]:
        if obj["kind"] == "TokenRateLimitPolicy" and obj["metadata"]["name"] == "maas-trlp-" + model[1] \
                and obj["metadata"]["namespace"] == model[0]:
            return obj
    raise AssertionError("no TokenRateLimitPolicy for %s/%s: %s" % (model + (result["invalid"],)))


def identity_of(groups, user):
    ident = {}
    if groups is not None:
        ident["groups_str"] = ",".join(groups)
        ident["groups"] = list(groups)
    if user is not None:
        ident["userid"] = user
    return ident


def subscription(name, groups=(), users=(), priority=0, limit=1000, ns="models-as-a-service"):
    owner = {}
    if groups:
        owner["groups"] = [{"name": g} for g in groups]
    if users:
        owner["users"] = list(users)
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSSubscription",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"owner": owner, "priority": priority,
                     "modelRefs": [{"name": MODEL[1], "namespace": MODEL[0],
                                    "tokenRateLimits": [{"limit": limit, "window": "1m"}]}]}}


MODEL_REF = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
             "metadata": {"name": MODEL[1], "namespace": MODEL[0]},
             "spec": {"modelRef": {"kind": "LLMInferenceService", "name": MODEL[1]}}}


# ---------------------------------------------------------------------------------------------
# cel_string


@SETTINGS
@given(st.text(max_size=40))
def test_every_string_survives_a_round_trip_through_cel(cel, text):
    assume(not any(0xD800 <= ord(c) <= 0xDFFF for c in text))
    result = cel.evaluate(cel_string(text))
    assert result == {"ok": True, "value": text}


# ---------------------------------------------------------------------------------------------
# groups selection mode: the TokenRateLimitPolicy counts the subscription the AuthPolicy selected


@pytest.fixture(scope="module")
def gold_and_free():
    result = generate([MODEL_REF, subscription("gold", groups=["team-a"], priority=10, limit=100000),
                       subscription("free", groups=["system:authenticated"], limit=5000)], routes=ROUTES)
    return trlp_of(result)


GOLD = "models-as-a-service/gold@llm/qwen3"
FREE = "models-as-a-service/free@llm/qwen3"
NOT_GOLD = "deny-not-member:models-as-a-service/gold@llm/qwen3"
UNSUBSCRIBED = "deny-unsubscribed:llm/qwen3"


def selected(groups, user, subscription_ref):
    ident = identity_of(groups, user)
    if subscription_ref is not None:
        ident["selected_subscription"] = subscription_ref
    return ident


@pytest.mark.parametrize("shim", [False, True], ids=["cel", "wasm-shim"])
@pytest.mark.parametrize("groups, user, chosen, path, expected", [
    (["team-a", "system:authenticated"], "bob", "models-as-a-service/gold", INFERENCE, {GOLD}),
    (["team-a", "system:authenticated"], "bob", "models-as-a-service/free", INFERENCE, {FREE}),
    (["system:authenticated"], "carol", "models-as-a-service/free", INFERENCE, {FREE}),
    # What the AuthPolicy never lets through, stopped again (second line of defence):
    (["system:authenticated"], "carol", "models-as-a-service/gold", INFERENCE, {NOT_GOLD}),
    (["system:authenticated"], "carol", "", INFERENCE, {UNSUBSCRIBED}),
    (["system:authenticated"], "carol", "tenant-b/gold", INFERENCE, {UNSUBSCRIBED}),
    (None, None, None, INFERENCE, {UNSUBSCRIBED}),
    # /v1/models is never limited, with or without a query string; the query is not the path.
    (["system:authenticated"], "carol", "", "/llm/qwen3/v1/models", set()),
    (None, None, None, "/llm/qwen3/v1/models?page=2", set()),
    (["system:authenticated"], "carol", "models-as-a-service/free", "/llm/qwen3/v1/chat?x=/v1/models", {FREE}),
])
def test_exactly_the_selected_limit_applies(cel, gold_and_free, groups, user, chosen, path, expected, shim):
    assert firing(cel, gold_and_free, selected(groups, user, chosen), path=path, shim=shim) == expected


# ---------------------------------------------------------------------------------------------
# groups selection mode end to end: any subscriptions, any caller, any key binding, any header,
# answered by the generated policies (tests/contract/gateway.py) and checked against an oracle


def owns(sub, groups, user):
    owner = sub["spec"]["owner"]
    return bool(set(groups or []) & {g["name"] for g in owner.get("groups", [])}) or (
        user is not None and user in owner.get("users", []))


def sub_ref(sub):
    return "%s/%s" % (sub["metadata"]["namespace"], sub["metadata"]["name"])


def expected_outcome(subs, groups, user, bound, header):
    """(status, reason, counted) the contract asks for, computed the slow, obvious way."""
    asked = bound or header or ""
    owned = [s for s in subs if owns(s, groups, user)]
    if asked:
        named = [s for s in subs if asked in (sub_ref(s), s["metadata"]["name"])]
        if not named:
            return 403, "model_not_in_subscription" if bound else "not_found", []
        owned = [s for s in named if s in owned]
        if not owned:
            return 403, "access_denied", []
    if not owned:
        return 403, "no_subscription", []
    if len(owned) > 1:
        return 403, "multiple_subscriptions", []
    return 200, "", [token_limit_key(owned[0]["metadata"]["namespace"], owned[0]["metadata"]["name"], MODEL)]


GROUP_POOL = ["team-a", "team-b", "system:authenticated", "a\"b", "x\\y", "ü"]
USER_POOL = ["alice", "bob", "o'hara", 'q"uote']
NAMES = st.sampled_from(["gold", "free", "silver"])
NAMESPACES = st.sampled_from(["models-as-a-service", "tenant-b"])
EVERYONE = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
            "metadata": {"name": "everyone", "namespace": "models-as-a-service"},
            "spec": {"modelRefs": [{"name": MODEL[1], "namespace": MODEL[0]}],
                     "subjects": {"groups": [{"name": g} for g in GROUP_POOL + ["other"]],
                                  "users": USER_POOL + ["mallory"]}}}


@st.composite
def subscription_sets(draw):
    count = draw(st.integers(min_value=0, max_value=4))
    subs, seen = [], set()
    for _index in range(count):
        ns, name = draw(NAMESPACES), draw(NAMES)
        if (ns, name) in seen:
            continue
        seen.add((ns, name))
        # A subscription must name an owner (one that names nobody is rejected).
        groups = draw(st.lists(st.sampled_from(GROUP_POOL), max_size=2, unique=True))
        subs.append(subscription(
            name, ns=ns,
            groups=groups,
            users=draw(st.lists(st.sampled_from(USER_POOL), min_size=0 if groups else 1, max_size=1, unique=True)),
            priority=draw(st.integers(min_value=0, max_value=2)),
            limit=draw(st.sampled_from([100, 1000]))))
    return subs


SUBSCRIPTION_NAMES = ["gold", "free", "silver", "models-as-a-service/gold", "tenant-b/free", "tenant-b/silver",
                      "bogus", "gold,free"]


@SETTINGS
@given(subs=subscription_sets(),
       groups=st.lists(st.sampled_from(GROUP_POOL + ["other"]), max_size=3, unique=True),
       user=st.sampled_from(USER_POOL + ["mallory"]),
       bound=st.one_of(st.none(), st.sampled_from(SUBSCRIPTION_NAMES)),
       header=st.one_of(st.none(), st.sampled_from(SUBSCRIPTION_NAMES + [""])))
def test_the_key_the_header_or_ownership_pick_exactly_one_subscription(cel, subs, groups, user, bound, header):
    result = generate([MODEL_REF, EVERYONE] + subs, routes=ROUTES)
    assert result["invalid"] == []
    trlp = trlp_of(result) if subs else None
    answer = {"userId": user, "username": user, "groups": groups, "subscription": bound or ""}
    gateway = Gateway(cel, {"resources": [], "credentials": {"api_keys": {"sk-oai-k": answer}}},
                      auth_policy_of(result), trlp)
    headers = {"authorization": "Bearer sk-oai-k"}
    if header is not None:
        headers["x-maas-subscription"] = header
    got = gateway.answer("POST", INFERENCE, headers)
    assert (got.status, got.reason, got.counted) == expected_outcome(subs, groups, user, bound, header)


def auth_policy_of(result, model=MODEL):
    return next(o for o in result["objects"] if o["kind"] == "AuthPolicy" and o["metadata"]["namespace"] == model[0]
                and o["metadata"]["name"] == "maas-auth-" + model[1])


# ---------------------------------------------------------------------------------------------
# subscription selection mode


@pytest.mark.parametrize("shim", [False, True], ids=["cel", "wasm-shim"])
def test_subscription_mode_limits_by_the_key_maas_api_selected(cel, shim):
    result = generate([MODEL_REF, subscription("gold", groups=["team-a"], priority=10),
                       subscription("free", groups=["system:authenticated"])], routes=ROUTES, selection="subscription")
    trlp = trlp_of(result)
    gold = {"selected_subscription_key": "models-as-a-service/gold@llm/qwen3", "userid": "bob"}
    assert firing(cel, trlp, gold, shim=shim) == {GOLD}
    assert firing(cel, trlp, gold, path="/llm/qwen3/v1/models", shim=shim) == set()
    assert firing(cel, trlp, gold, path="/llm/qwen3/v1/models?x=1", shim=shim) == set()
    assert firing(cel, trlp, {"selected_subscription_key": "models-as-a-service/gold@llm/other"}, shim=shim) == set()
    assert firing(cel, trlp, {"selected_subscription_key": ""}, shim=shim) == set()
    assert firing(cel, trlp, {}, shim=shim) == set()


# ---------------------------------------------------------------------------------------------
# totality: no generated predicate raises, whatever the request


REQUEST_IDENTITIES = [
    {},
    {"userid": "bob"},
    {"groups_str": ""},
    {"groups_str": "", "groups": [], "userid": ""},
    {"groups_str": "team-a,system:authenticated", "userid": "alice", "groups": ["team-a", "system:authenticated"]},
    {"selected_subscription_key": "models-as-a-service/gold@llm/qwen3", "userid": "alice"},
]
REQUEST_HEADERS = [{}, {"x-maas-subscription": "gold"}, {"x-maas-subscription": ""}, {"authorization": "Bearer x"}]
REQUEST_PATHS = [INFERENCE, "/llm/qwen3/v1/models", "/maas-api/v1/api-keys", "/"]


def trlp_predicates():
    for case in golden_cases():
        for obj in run_case(case)["objects"]:
            if obj["kind"] in ("TokenRateLimitPolicy", "RateLimitPolicy"):
                spec = obj["spec"]
                limits = (spec.get("limits") or (spec.get("defaults") or {}).get("limits")
                          or (spec.get("overrides") or {}).get("limits") or {})
                for key, limit in limits.items():
                    for when in limit.get("when", []):
                        yield "%s %s/%s %s" % (case, obj["kind"], obj["metadata"]["name"], key), when["predicate"]


def test_no_rate_limit_predicate_of_any_golden_scenario_ever_raises(cel):
    checked = 0
    for label, predicate in trlp_predicates():
        for ident, headers, path, shim in itertools.product(REQUEST_IDENTITIES, REQUEST_HEADERS, REQUEST_PATHS,
                                                            (False, True)):
            result = cel.evaluate(predicate, activation(ident, headers, path, shim=shim, expr=predicate))
            assert result["ok"] and isinstance(result["value"], bool), (label, ident, headers, shim, result)
            checked += 1
    assert checked > 1000


AUTH_REQUESTS = [
    # (headers, path, auth) as Authorino would present them
    ({}, INFERENCE, {}),
    ({"authorization": "Bearer sk-oai-abc"}, INFERENCE, {"identity": "Bearer sk-oai-abc"}),
    ({"authorization": "Bearer sk-oai-abc"}, INFERENCE,
     {"identity": "Bearer sk-oai-abc", "metadata": {"apiKeyValidation": {
         "valid": True, "username": "alice", "groups": ["team-a"], "keyId": "k1", "subscription": "gold"}}}),
    ({"authorization": "Bearer sk-oai-abc", "x-maas-subscription": "free", "x-maas-group": "x"}, INFERENCE,
     {"identity": "Bearer sk-oai-abc", "metadata": {"apiKeyValidation": {"valid": False}}}),
    ({"authorization": "Bearer sk-oai-abc"}, INFERENCE,
     {"identity": "Bearer sk-oai-abc", "metadata": {"apiKeyValidation": {"valid": True, "username": "bob", "groups": []},
                                                    "subscription-info": {"name": "gold", "namespace": "maas",
                                                                          "error": ""}}}),
    ({"authorization": "Bearer eyJ.token"}, "/llm/qwen3/v1/models",
     {"identity": {"maas_source": "kubernetes",
                   "user": {"username": "system:serviceaccount:x:y", "groups": ["system:authenticated"]}}}),
    ({"authorization": "Bearer eyJ.token"}, "/llm/qwen3/v1/models?x=1", {"identity": {"maas_source": "kubernetes"}}),
    ({"authorization": "Bearer a.b.c"}, INFERENCE,
     {"identity": {"maas_source": "oidc", "sub": "s", "azp": "c", "groups": ["g"]}}),
    ({"authorization": "Bearer a.b.c"}, INFERENCE, {"identity": {"maas_source": "oidc"}}),
    ({"authorization": "Bearer a.b.c"}, INFERENCE, {"identity": {"user": {"username": "forged"}}}),
    ({"authorization": "Bearer eyJ.token"}, "/llm/qwen3/v1/models",
     {"identity": {"maas_source": "kubernetes", "user": {}},
      "metadata": {"subscription-info": {"error": "not_found", "message": "none"}}}),
]


def auth_expressions():
    """Every CEL text of the per-model AuthPolicies: `when` and pattern predicates, and expressions."""
    for case in golden_cases():
        for obj in run_case(case)["objects"]:
            if obj["kind"] != "AuthPolicy" or "rules" not in obj["spec"]:
                continue
            for section, rules in obj["spec"]["rules"].items():
                label = "%s %s %s" % (case, obj["metadata"]["name"], section)
                for found in _cel_texts(rules, label):
                    yield (section,) + found


def _cel_texts(node, label):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("predicate", "expression") and isinstance(value, str):
                yield "%s %s" % (label, key), key, value
            else:
                yield from _cel_texts(value, label)
    elif isinstance(node, list):
        for item in node:
            yield from _cel_texts(item, label)


def test_no_auth_policy_predicate_or_expression_ever_raises(cel):
    checked = 0
    for section, label, key, text in auth_expressions():
        for headers, path, auth in AUTH_REQUESTS:
            if section != "authentication" and "identity" not in auth:
                continue  # past authentication, Authorino always holds an identity
            request = {"headers": headers, "path": path, "url_path": path.split("?", 1)[0]}
            result = cel.evaluate(text, {"request": request, "auth": auth})
            assert result["ok"], (label, text, headers, auth, result)
            if key == "predicate":
                assert isinstance(result["value"], bool), (label, text)
            checked += 1
    assert checked > 500


# ---------------------------------------------------------------------------------------------
# hostile names: escaped (and matching only themselves) or rejected with a clear error

HOSTILE = st.text(alphabet=st.sampled_from(list('ab"\\,|&!()=\' \n\t\r{}[]$.:/') + ["é", "\u202e", "\U0001F600", "\x00", "\x7f"]),
                  min_size=1, max_size=12)


@SETTINGS
@given(name=HOSTILE, other=HOSTILE, shim=st.booleans())
def test_no_group_name_can_match_a_caller_outside_that_group(cel, name, other, shim):
    result = generate([MODEL_REF, subscription("gold", groups=[name])], routes=ROUTES)
    if "," in name:
        assert [i["reason"] for i in result["invalid"]] == [
            "MaaSSubscription models-as-a-service/gold: spec.owner.groups[0].name %s: group names cannot contain ',' "
            "in groups selection mode (the identity's groups_str joins groups with ',')" % json.dumps(name, ensure_ascii=False)]
        assert not any(o["kind"] == "TokenRateLimitPolicy" and o["metadata"]["namespace"] == "llm" for o in result["objects"])
        return
    trlp = trlp_of(result)
    assume("," not in other)
    member = firing(cel, trlp, selected([other, name], "u", "models-as-a-service/gold"), shim=shim)
    assert GOLD in member
    outsider = firing(cel, trlp, selected([other], "u", "models-as-a-service/gold"), shim=shim)
    assert (GOLD in outsider) == (other == name)


@SETTINGS
@given(name=HOSTILE, other=HOSTILE, shim=st.booleans())
def test_no_user_name_can_match_another_user(cel, name, other, shim):
    trlp = trlp_of(generate([MODEL_REF, subscription("gold", users=[name])], routes=ROUTES))
    assert GOLD in firing(cel, trlp, selected([], name, "models-as-a-service/gold"), shim=shim)
    assert (GOLD in firing(cel, trlp, selected([], other, "models-as-a-service/gold"), shim=shim)) == (other == name)


@SETTINGS
@given(group=HOSTILE, user=HOSTILE, caller_group=HOSTILE, caller=HOSTILE)
def test_auth_policy_membership_matches_only_the_named_subjects(cel, group, user, caller_group, caller):
    predicate = member_of([group], [user])
    auth = {"identity": "Bearer sk-oai-k", "metadata": {"apiKeyValidation": {
        "valid": True, "username": caller, "groups": [caller_group]}}}
    result = cel.evaluate(predicate, {"request": {"headers": {"authorization": "Bearer sk-oai-k"}, "path": INFERENCE,
                                                  "url_path": INFERENCE}, "auth": auth})
    assert result == {"ok": True, "value": caller_group == group or caller == user}


@SETTINGS
@given(name=st.text(min_size=1, max_size=20), header=st.text(max_size=20))
def test_subscription_names_are_dns_names_or_rejected_and_headers_match_only_them(cel, name, header):
    result = generate([MODEL_REF, subscription(name, groups=["team-a"])], routes=ROUTES)
    if not DNS_SUBDOMAIN.match(name) or len(name) > 253:
        assert len(result["invalid"]) == 1
        assert result["invalid"][0]["reason"].startswith("MaaSSubscription models-as-a-service/%s: metadata.name" % name)
        return
    answer = {"username": "u", "groups": ["team-a"]}
    gateway = Gateway(cel, {"resources": [], "credentials": {"api_keys": {"sk-oai-k": answer}}},
                      auth_policy_of(generate([MODEL_REF, EVERYONE, subscription(name, groups=["team-a"])], routes=ROUTES)),
                      trlp_of(result))
    got = gateway.answer("POST", INFERENCE, {"authorization": "Bearer sk-oai-k", "x-maas-subscription": header})
    if header in ("", name, "models-as-a-service/" + name):
        assert (got.status, got.counted) == (200, ["models-as-a-service/%s@llm/qwen3" % name])
    else:
        assert (got.status, got.reason) == (403, "not_found")


def test_owner_predicate_of_nobody_matches_nobody(cel):
    assert owner_predicate([], []) == "false"
    assert truth(cel, owner_predicate([], []), identity_of(["g"], "u")) is False


# ---------------------------------------------------------------------------------------------
# AuthPolicy authorization (Authorino evaluates these with cel-go; the CEL here is portable)


def _auth_policy(result, name="maas-auth-qwen3"):
    return next(o for o in result["objects"] if o["kind"] == "AuthPolicy" and o["metadata"]["name"] == name)


def _pattern(policy, rule):
    return policy["spec"]["rules"]["authorization"][rule]["patternMatching"]["patterns"][0]["predicate"]


def _api_key_request(username, groups, valid=True):
    return {"request": {"headers": {"authorization": "Bearer sk-oai-k"}, "path": INFERENCE, "url_path": INFERENCE},
            "auth": {"identity": "Bearer sk-oai-k", "metadata": {"apiKeyValidation": {
                "valid": valid, "username": username, "groups": groups}}}}


def _token_request(username, groups):
    return {"request": {"headers": {"authorization": "Bearer eyJ.x.y"}, "path": "/llm/qwen3/v1/models",
                        "url_path": "/llm/qwen3/v1/models"},
            "auth": {"identity": {"authenticated": True, "maas_source": "kubernetes",
                                  "user": {"username": username, "groups": groups}}}}


@pytest.mark.parametrize("request_of, username, groups, allowed", [
    (_api_key_request, "zed", ["team-a"], True),
    (_api_key_request, "bob", [], True),
    (_api_key_request, "zed", ["partners"], True),
    (_api_key_request, "zed", ["team-b"], False),
    (_api_key_request, "bobby", ["team-a-ops"], False),
    (_token_request, "zed", ["team-a", "system:authenticated"], True),
    (_token_request, "bob", ["system:authenticated"], True),
    (_token_request, "zed", ["system:authenticated"], False),
])
def test_two_auth_policies_grant_access_to_the_union_of_their_subjects(cel, request_of, username, groups, allowed):
    a = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
         "metadata": {"name": "a", "namespace": "models-as-a-service"},
         "spec": {"modelRefs": [{"name": "qwen3", "namespace": "llm"}], "subjects": {"groups": [{"name": "team-a"}]}}}
    b = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
         "metadata": {"name": "b", "namespace": "models-as-a-service"},
         "spec": {"modelRefs": [{"name": "qwen3", "namespace": "llm"}],
                  "subjects": {"groups": [{"name": "partners"}], "users": ["bob"]}}}
    policy = _auth_policy(generate([MODEL_REF, a, b], routes=ROUTES))
    assert cel.evaluate(_pattern(policy, "require-group-membership"), request_of(username, groups)) == {
        "ok": True, "value": allowed}


def test_an_invalid_api_key_fails_authorization_and_tokens_pass_it(cel):
    policy = _auth_policy(generate([MODEL_REF, {
        "apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
        "metadata": {"name": "a", "namespace": "models-as-a-service"},
        "spec": {"modelRefs": [{"name": "qwen3", "namespace": "llm"}], "subjects": {"users": ["bob"]}}}], routes=ROUTES))
    predicate = _pattern(policy, "api-key-valid")
    assert cel.evaluate(predicate, _api_key_request("bob", [], valid=True))["value"] is True
    assert cel.evaluate(predicate, _api_key_request("bob", [], valid=False))["value"] is False
    missing = _api_key_request("bob", [])
    del missing["auth"]["metadata"]
    assert cel.evaluate(predicate, missing)["value"] is False
    assert cel.evaluate(predicate, _token_request("bob", []))["value"] is True
