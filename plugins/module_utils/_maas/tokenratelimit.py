# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The TokenRateLimitPolicy of a model, and the CEL it is made of (evaluated by Kuadrant's wasm-shim).

One TokenRateLimitPolicy `maas-trlp-<model>` on the model's HTTPRoute aggregates every
MaaSSubscription that names the model, as one token limit per subscription, counted per user. The
AuthPolicy already chose the subscription (or refused the request with a 403), and published it as
`auth.identity.selected_subscription` (`<namespace>/<name>`) and `selected_subscription_key`:
- `groups`: a subscription's limit counts requests that selected it from callers owning it, the
  owner test reading the comma-joined `groups_str` (the design's string trick). Deny entries
  (limit 0) are a second line of defence should the AuthPolicy be missing or stale: a request
  counted by no subscription of this model, or selecting one its caller does not own.
- `subscription`: maas-api selected the subscription; the limit matches its key.
`<model route>/v1/models` is never limited (paths are matched on `request.url_path`, which unlike
`request.path` carries no query string).

Every limit key comes from names (`<subNs>/<sub>@<modelNs>/<model>` for a subscription's tokens),
so no two subscriptions share one; the policy is rebuilt whole on every run, never patched key by key.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import (
    all_of,
    any_of,
    cel_string,
    negate,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    SUBSCRIPTIONS_ANNOTATION,
    TOKEN_RATE_LIMIT_POLICY,
    deny_not_member_key,
    deny_unsubscribed_key,
    metadata,
    subscription_key,
    target_ref,
    token_limit_key,
    trlp_name,
)

GROUPS_STR = "auth.identity.groups_str"
NOT_MODELS_LIST = '!request.url_path.endsWith("/v1/models")'
SELECTED = "auth.identity.selected_subscription"
HAS_SELECTED = "has(%s) && %s != null" % (SELECTED, SELECTED)
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


def _max_limit(sub, model) -> int:
    return max(rate["limit"] for rate in sub["limits"][model])


def rank_subscriptions(subscriptions, model) -> list:
    """Highest first: priority desc, then largest limit for this model desc, then ns/name asc."""
    return sorted(subscriptions, key=lambda s: (-s["priority"], -_max_limit(s, model), s["namespace"], s["name"]))


def _selects(sub) -> str:
    """The AuthPolicy selected `sub` for the request."""
    return "%s && %s == %s" % (HAS_SELECTED, SELECTED, sub["ref_literal"])


def _deny() -> list:
    return [{"limit": 0, "window": "1m"}]


def _token_limit(sub, model, predicates) -> dict:
    """The limit counting `sub`'s tokens on `model` per user, when every one of `predicates` holds."""
    return {
        "rates": [dict(r) for r in sub["limits"][model]],
        "when": [{"predicate": p} for p in predicates],
        "counters": [{"expression": USER_COUNTER}],
    }


def groups_mode_limits(model, ranked, memo=None) -> dict:
    """spec.limits for the `groups` selection mode: one limit per subscription, then the denies.

    `memo` caches owner predicates across models (the same owners recur in every model's policy).
    """
    memo = {} if memo is None else memo
    limits, denies = {}, {}
    for sub in ranked:
        owns = memo.setdefault((sub["group_literals"], sub["user_literals"]),
                               _owner_text(sub["group_literals"], sub["user_literals"]))
        limits[token_limit_key(sub["namespace"], sub["name"], model)] = _token_limit(
            sub, model, [owns, _selects(sub), NOT_MODELS_LIST])
        denies[deny_not_member_key(sub["namespace"], sub["name"], model)] = {
            "rates": _deny(), "when": [{"predicate": all_of([_selects(sub), negate(owns)])}, {"predicate": NOT_MODELS_LIST}]}
    selected_here = any_of([_selects(s) for s in ranked])
    denies[deny_unsubscribed_key(model)] = {
        "rates": _deny(), "when": [{"predicate": negate(selected_here)}, {"predicate": NOT_MODELS_LIST}]}
    limits.update(denies)
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
