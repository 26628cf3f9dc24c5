# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The TokenRateLimitPolicy of a model, and the CEL it is made of (evaluated by Kuadrant's wasm-shim).

One TokenRateLimitPolicy `maas-trlp-<model>` on the model's HTTPRoute aggregates every
MaaSSubscription that names the model, as one token limit per subscription. How a request finds
its limit depends on the selection mode:
- `groups`: the policy itself decides. A caller owning several subscriptions picks one with the
  X-MaaS-Subscription header (`<namespace>/<name>` or `<name>`), else the highest ranked one it
  owns counts; deny entries (limit 0) stop callers without a subscription, callers naming one they
  do not own, and headers naming none of the model's subscriptions.
- `subscription`: maas-api selected the subscription; the limit matches its key.

Every limit key comes from names (`<subNs>/<sub>@<modelNs>/<model>` for a subscription's tokens),
so no two subscriptions share one; the policy is rebuilt whole on every run, never patched key by key.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import (
    all_of,
    any_of,
    cel_string,
    header_present,
    negate,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    SUBSCRIPTIONS_ANNOTATION,
    SUBSCRIPTION_HEADER,
    TOKEN_RATE_LIMIT_POLICY,
    deny_invalid_header_key,
    deny_not_member_key,
    deny_unsubscribed_key,
    metadata,
    subscription_key,
    target_ref,
    token_limit_key,
    trlp_name,
)

GROUPS_STR = "auth.identity.groups_str"
HEADER = 'request.headers[%s]' % cel_string(SUBSCRIPTION_HEADER)
HAS_HEADER = header_present(SUBSCRIPTION_HEADER)
NOT_MODELS_LIST = '!request.path.endsWith("/v1/models")'
USER_COUNTER = "auth.identity.userid"


def owner_predicate(groups, users) -> str:
    """The caller owns the subscription: one of its groups (from groups_str) or its user id matches.

    `groups_str` and `userid` are guarded so that a caller without them simply does not match. The
    wasm-shim presents an absent identity field as null, so groups_str is also checked against null
    before split() is called on it.
    """
    return _owner_text([cel_string(g) for g in groups], [cel_string(u) for u in users])


def _owner_text(group_literals, user_literals) -> str:
    terms = []
    if group_literals:
        terms.append('has(%s) && %s != null && %s.split(",").exists(g, %s)' % (
            GROUPS_STR, GROUPS_STR, GROUPS_STR, " || ".join(["g == " + lit for lit in group_literals])))
    if user_literals:
        terms.append("has(auth.identity.userid) && (%s)" % " || ".join(
            ["auth.identity.userid == " + lit for lit in user_literals]))
    return any_of(terms)


def _header_is(literal) -> str:
    """The subscription header is present and equals the (already quoted) `literal`."""
    return "%s && %s == %s" % (HAS_HEADER, HEADER, literal)


def _header_names(sub) -> str:
    """The header names `sub`, as <ns>/<name> or as <name>."""
    return "%s && (%s == %s || %s == %s)" % (HAS_HEADER, HEADER, sub["ref_literal"], HEADER, sub["name_literal"])


def _max_limit(sub, model) -> int:
    return max(rate["limit"] for rate in sub["limits"][model])


def rank_subscriptions(subscriptions, model) -> list:
    """Highest first: priority desc, then largest limit for this model desc, then ns/name asc."""
    return sorted(subscriptions, key=lambda s: (-s["priority"], -_max_limit(s, model), s["namespace"], s["name"]))


def _owns_any(subs, memo) -> str:
    """The caller owns at least one of `subs`: one owner test over the union of their owners."""
    if len(subs) == 1:
        groups, users = subs[0]["group_literals"], subs[0]["user_literals"]
    else:
        groups = tuple(sorted(set().union(*[s["group_literals"] for s in subs])))
        users = tuple(sorted(set().union(*[s["user_literals"] for s in subs])))
    key = (groups, users)
    if key not in memo:
        memo[key] = _owner_text(groups, users)
    return memo[key]


def _deny() -> list:
    return [{"limit": 0, "window": "1m"}]


def _token_limit(sub, model, predicates) -> dict:
    """The limit counting `sub`'s tokens on `model` per user, when every one of `predicates` holds."""
    return {
        "rates": [dict(r) for r in sub["limits"][model]],
        "when": [{"predicate": p} for p in predicates],
        "counters": [{"expression": USER_COUNTER}],
    }


def _chosen_limits(model, ranked, owns, memo) -> dict:
    """groups mode: each subscription's limit, for owners that chose it or whose highest ranked it is."""
    limits = {}
    for index, sub in enumerate(ranked):
        higher = ranked[:index]
        higher_same_name = [s for s in higher if s["name"] == sub["name"]]
        picked = any_of([_header_is(sub["ref_literal"]),
                         all_of([_header_is(sub["name_literal"])]
                                + ([negate(_owns_any(higher_same_name, memo))] if higher_same_name else []))])
        default = all_of([negate(HAS_HEADER)] + ([negate(_owns_any(higher, memo))] if higher else []))
        limits[token_limit_key(sub["namespace"], sub["name"], model)] = _token_limit(
            sub, model, [owns[sub["ref"]], any_of([picked, default])])
    return limits


def _deny_limits(model, ranked, owns, memo) -> dict:
    """groups mode: limit 0 for a header naming a subscription the caller does not own, for callers
    who own none, and for a header naming no subscription of this model."""
    limits = {}
    for sub in ranked:
        same_name = [s for s in ranked if s["name"] == sub["name"]]
        if len(same_name) == 1:
            not_member = all_of([_header_names(sub), negate(owns[sub["ref"]])])
        else:
            not_member = any_of([all_of([_header_is(sub["ref_literal"]), negate(owns[sub["ref"]])]),
                                 all_of([_header_is(sub["name_literal"]), negate(_owns_any(same_name, memo))])])
        limits[deny_not_member_key(sub["namespace"], sub["name"], model)] = {
            "rates": _deny(), "when": [{"predicate": not_member}]}
    limits[deny_unsubscribed_key(model)] = {
        "rates": _deny(),
        "when": [{"predicate": negate(_owns_any(ranked, memo))}],
    }
    accepted = sorted(set([s["ref_literal"] for s in ranked] + [s["name_literal"] for s in ranked]))
    limits[deny_invalid_header_key(model)] = {
        "rates": _deny(),
        "when": [{"predicate": all_of([HAS_HEADER, negate(any_of(["%s == %s" % (HEADER, v) for v in accepted]))])}],
    }
    return limits


def groups_mode_limits(model, ranked, memo=None) -> dict:
    """spec.limits for the `groups` selection mode: one limit per subscription, then the denies.

    `memo` caches owner predicates across models (the same owners recur in every model's policy).
    """
    memo = {} if memo is None else memo
    owns = {s["ref"]: _owns_any([s], memo) for s in ranked}
    limits = _chosen_limits(model, ranked, owns, memo)
    limits.update(_deny_limits(model, ranked, owns, memo))
    return limits


def subscription_mode_limits(model, ranked) -> dict:
    """spec.limits for the `subscription` selection mode: maas-api selected the subscription."""
    limits = {}
    for sub in ranked:
        key = subscription_key(sub["namespace"], sub["name"], model)
        selected = ("has(auth.identity.selected_subscription_key) && auth.identity.selected_subscription_key == %s && %s"
                    % (cel_string(key), NOT_MODELS_LIST))
        limits[token_limit_key(sub["namespace"], sub["name"], model)] = _token_limit(sub, model, [selected])
    return limits


def trlp_for_model(model, route, subscriptions, options, memo=None) -> dict:
    """TokenRateLimitPolicy maas-trlp-<model> on HTTPRoute `route`, one limit per subscription."""
    ranked = rank_subscriptions(subscriptions, model)
    if options["selection"] == "groups":
        limits = groups_mode_limits(model, ranked, memo)
    else:
        limits = subscription_mode_limits(model, ranked)
    return {
        "apiVersion": TOKEN_RATE_LIMIT_POLICY[0],
        "kind": TOKEN_RATE_LIMIT_POLICY[1],
        "metadata": metadata(trlp_name(model), model[0], options["managed_by"], "token-rate-limit",
                             [s["ref"] for s in ranked], model, SUBSCRIPTIONS_ANNOTATION),
        "spec": {"targetRef": target_ref("HTTPRoute", route), "limits": limits},
    }
