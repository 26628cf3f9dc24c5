"""Generated names and limit keys never collide: each is injective over what it is derived from.

Namespaces are DNS-1123 labels and subscription names DNS-1123 subdomains; the strategies draw them
from a small alphabet with '-' and '.', so near-misses such as `team/a-gold` and `team-a/gold` come up
often.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    GATEWAY_DEFAULT_AUTH,
    GATEWAY_DEFAULT_DENY,
    TIER_USAGE,
    auth_policy_name,
    deny_not_member_key,
    deny_unsubscribed_key,
    external_route_name,
    external_service_name,
    split_ref,
    subscription_key,
    token_limit_key,
    trlp_name,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import DNS_LABEL, DNS_SUBDOMAIN

SETTINGS = settings(max_examples=400, deadline=None)
EDGE = "ab0"


@st.composite
def labels(draw, max_middle=6):
    """A DNS-1123 label: letters, digits and '-', never starting or ending with '-'."""
    first = draw(st.sampled_from(EDGE))
    middle = draw(st.text(alphabet=EDGE + "-", max_size=max_middle))
    last = draw(st.sampled_from(EDGE)) if middle or draw(st.booleans()) else ""
    return first + middle + last


@st.composite
def subdomains(draw):
    """A DNS-1123 subdomain: labels joined by '.'."""
    return ".".join(draw(st.lists(labels(max_middle=4), min_size=1, max_size=3)))


MODELS = st.tuples(labels(), labels())
SUBSCRIPTIONS = st.tuples(labels(), subdomains(), MODELS)


def test_the_strategies_draw_names_the_api_server_allows():
    @given(SUBSCRIPTIONS)
    @SETTINGS
    def check(triple):
        namespace, name, model = triple
        assert DNS_LABEL.match(namespace) and DNS_SUBDOMAIN.match(name)
        assert DNS_LABEL.match(model[0]) and DNS_LABEL.match(model[1])
    check()


def split_subscription_key(key):
    """The inverse of subscription_key: a namespace holds no '/', a name no '@'."""
    subscription, _at, model = key.partition("@")
    return split_ref(subscription) + (split_ref(model),)


@SETTINGS
@given(SUBSCRIPTIONS)
def test_token_limit_keys_split_back_into_the_subscription_and_model_they_count(triple):
    assert split_subscription_key(token_limit_key(*triple)) == triple
    assert token_limit_key(*triple) == subscription_key(*triple)


@SETTINGS
@given(SUBSCRIPTIONS)
def test_deny_not_member_keys_split_back_into_their_subscription_and_model(triple):
    prefix, _colon, rest = deny_not_member_key(*triple).partition(":")
    assert prefix == "deny-not-member" and split_subscription_key(rest) == triple


@SETTINGS
@given(SUBSCRIPTIONS, SUBSCRIPTIONS)
def test_two_different_subscriptions_never_share_a_key(first, second):
    if first == second:
        return
    assert token_limit_key(*first) != token_limit_key(*second)
    assert deny_not_member_key(*first) != deny_not_member_key(*second)


@SETTINGS
@given(MODELS, MODELS)
def test_two_different_models_never_share_a_deny_key_or_policy(first, second):
    if first == second:
        return
    assert deny_unsubscribed_key(first) != deny_unsubscribed_key(second)
    if first[0] == second[0]:  # policies live in the model's namespace
        assert auth_policy_name(first) != auth_policy_name(second)
        assert trlp_name(first) != trlp_name(second)


@SETTINGS
@given(SUBSCRIPTIONS, MODELS)
def test_a_token_key_is_never_a_deny_key(triple, model):
    """A token limit key holds no ':', every deny key does."""
    token = token_limit_key(*triple)
    assert ":" not in token
    assert token not in {deny_not_member_key(*triple), deny_unsubscribed_key(model)}


def test_policy_names_never_meet_the_gateway_level_names():
    for model in (("openshift-ingress", "tier-usage"), ("openshift-ingress", "default-auth")):
        assert {auth_policy_name(model), trlp_name(model)}.isdisjoint({GATEWAY_DEFAULT_AUTH, GATEWAY_DEFAULT_DENY,
                                                                       TIER_USAGE})


@SETTINGS
@given(subdomains(), subdomains())
def test_external_model_routes_and_services_have_one_name_per_external_model(first, second):
    for target in (first, second):
        service = external_service_name(target)
        assert len(service) <= 63 and DNS_LABEL.match(service) and service[0].isalpha(), service
    if first != second:
        assert external_route_name(first) != external_route_name(second)
        assert external_service_name(first) != external_service_name(second)


def test_a_long_or_dotted_external_model_gets_a_hashed_service_name():
    assert external_service_name("gpt-4o") == "maas-gpt-4o"
    dotted = external_service_name("gpt-4.1")
    assert dotted.startswith("maas-gpt-4-1-") and dotted != external_service_name("gpt-4-1")
    assert len(external_service_name("t" * 248)) == 63


def test_no_external_model_name_can_be_crafted_to_take_anothers_service_name():
    """A plain name never ends like a hashed one, so copying a hashed name does not reproduce it."""
    for victim in ("t" * 248, "gpt-4.1"):
        taken = external_service_name(victim)
        assert external_service_name(taken[len("maas-"):]) != taken


# ---------------------------------------------------------------------------------------------
# the collisions of the old `<subNs>-<sub>-<model>-tokens` format, end to end

MODEL_REF = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
             "metadata": {"name": "qwen3", "namespace": "llm"},
             "spec": {"modelRef": {"kind": "LLMInferenceService", "name": "qwen3"}}}


def subscription(namespace, name, group, limit):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSSubscription",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"owner": {"groups": [{"name": group}]},
                     "modelRefs": [{"name": "qwen3", "namespace": "llm",
                                    "tokenRateLimits": [{"limit": limit, "window": "1m"}]}]}}


def limits_of(result):
    return next(o for o in result["objects"] if o["kind"] == "TokenRateLimitPolicy"
                and o["metadata"]["name"] == "maas-trlp-qwen3")["spec"]["limits"]


@pytest.mark.parametrize("selection", ["groups", "subscription"])
def test_subscriptions_that_differ_only_by_where_the_dash_is_both_keep_their_limits(selection):
    result = generate([MODEL_REF, subscription("team", "a-gold", "gold-one", 111),
                       subscription("team-a", "gold", "gold-two", 222)],
                      routes={"llm/qwen3": "qwen3-route"}, selection=selection)
    limits = limits_of(result)
    assert limits["team/a-gold@llm/qwen3"]["rates"] == [{"limit": 111, "window": "1m"}]
    assert limits["team-a/gold@llm/qwen3"]["rates"] == [{"limit": 222, "window": "1m"}]


def test_a_unique_subscription_name_and_a_shared_one_keep_separate_deny_entries():
    """The old short form `deny-not-member-<sub>-<model>` of team/a-gold was the long form
    `deny-not-member-<ns>-<sub>-<model>` of a/gold (whose name b/gold shares)."""
    result = generate([MODEL_REF, subscription("team", "a-gold", "g1", 1), subscription("a", "gold", "g2", 2),
                       subscription("b", "gold", "g3", 3)], routes={"llm/qwen3": "qwen3-route"})
    denies = sorted(k for k in limits_of(result) if k.startswith("deny-not-member:"))
    assert denies == ["deny-not-member:a/gold@llm/qwen3", "deny-not-member:b/gold@llm/qwen3",
                      "deny-not-member:team/a-gold@llm/qwen3"]
