# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The tenant gateway, and the policies MaaS puts on it: defaults that deny and usage tiers.

`effective_gateway` is the one place that decides which Gateway the policies attach to, and
`gateway_origin` says where that decision came from (for the error when that Gateway is missing).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import (
    CelValueError,
    all_of,
    any_of,
    cel_string,
    negate,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    AUTH_POLICY,
    DEFAULT_GATEWAY,
    GATEWAY_API_GROUP,
    GATEWAY_DEFAULT_AUTH,
    GATEWAY_DEFAULT_DENY,
    MANAGEMENT_PATH_PREFIXES,
    RATE_LIMIT_POLICY,
    TIER_USAGE,
    TOKEN_RATE_LIMIT_POLICY,
    metadata,
    ref,
    target_ref,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.tokenratelimit import owner_predicate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import (
    DNS_LABEL,
    TranslationError,
    is_int,
    quoted,
)

TIER_KEYS = ("name", "groups", "requests_per_minute", "tokens_per_minute")
GATEWAY = (GATEWAY_API_GROUP + "/v1", "Gateway")


def effective_gateway(gateway, parsed):
    """The Gateway policies attach to: the `gateway` parameter, else the first valid Tenant's
    spec.gatewayRef, else openshift-ingress/maas-default-gateway when there is no Tenant at all.

    None when every Tenant is invalid: guessing a gateway would put policies where nobody asked.
    """
    if gateway:
        return dict(gateway)
    if parsed["tenant"] is not None:
        return dict(parsed["tenant"]["gateway"])
    return None if parsed["has_tenant"] else dict(DEFAULT_GATEWAY)


def gateway_origin(gateway, parsed, tenant_ref) -> str:
    """Where effective_gateway found the gateway, as an error message says it."""
    if gateway:
        return "from the gateway option"
    if parsed["tenant"] is not None:
        return "from Tenant %s spec.gatewayRef" % tenant_ref
    return "the default: there is no Tenant %s" % tenant_ref


def missing_gateway_error(gateway, origin) -> str:
    return "Gateway %s (%s) does not exist" % (ref(gateway["namespace"], gateway["name"]), origin)


def _default_auth(gateway, managed_by, producers) -> dict:
    """Deny every route of the gateway that has no AuthPolicy of its own."""
    return {
        "apiVersion": AUTH_POLICY[0],
        "kind": AUTH_POLICY[1],
        "metadata": metadata(GATEWAY_DEFAULT_AUTH, gateway["namespace"], managed_by, "gateway-defaults", producers),
        "spec": {
            "targetRef": target_ref("Gateway", gateway["name"]),
            "defaults": {
                "rules": {
                    "authorization": {
                        "deny-unconfigured-routes": {
                            "patternMatching": {"patterns": [{"predicate": "false"}]},
                            "metrics": False,
                            "priority": 0,
                        },
                    },
                    "response": {
                        "unauthorized": {"code": 403, "message": {"value": "Access denied: no MaaS policy for this route"}},
                    },
                },
            },
        },
    }


def _default_deny(gateway, managed_by, producers) -> dict:
    """Limit every route without a TokenRateLimitPolicy of its own to zero, except maas-api's paths."""
    exempt = all_of("!request.url_path.startsWith(%s)" % cel_string(p) for p in MANAGEMENT_PATH_PREFIXES)
    return {
        "apiVersion": TOKEN_RATE_LIMIT_POLICY[0],
        "kind": TOKEN_RATE_LIMIT_POLICY[1],
        "metadata": metadata(GATEWAY_DEFAULT_DENY, gateway["namespace"], managed_by, "gateway-defaults", producers),
        "spec": {
            "targetRef": target_ref("Gateway", gateway["name"]),
            "defaults": {
                "limits": {
                    "deny-all-by-default": {
                        "rates": [{"limit": 0, "window": "1m"}],
                        "when": [{"predicate": exempt}],
                    },
                },
            },
        },
    }


def gateway_default_objects(gateway, managed_by, producers) -> list:
    """gateway-default-auth (deny routes without a policy) and gateway-default-deny (limit 0)."""
    return [_default_auth(gateway, managed_by, producers), _default_deny(gateway, managed_by, producers)]


# ---------------------------------------------------------------------------------------------
# usage tiers


def _tier_groups(where, groups) -> list:
    if not isinstance(groups, list) or not groups:
        raise TranslationError("%s.groups: must list at least one group" % where)
    for j, group in enumerate(groups):
        if not isinstance(group, str) or not group:
            raise TranslationError("%s.groups[%d] %s: must be a non-empty string" % (where, j, quoted(group)))
        if "," in group:
            raise TranslationError("%s.groups[%d] %s: group names cannot contain ','" % (where, j, quoted(group)))
        try:
            cel_string(group)
        except CelValueError as exc:
            raise TranslationError("%s.groups[%d] %s: %s" % (where, j, quoted(group), exc))
    return list(dict.fromkeys(groups))


def _tier(where, tier, seen) -> dict:
    if not isinstance(tier, dict):
        raise TranslationError("%s must be a mapping" % where)
    unknown = sorted(set(tier) - set(TIER_KEYS))
    if unknown:
        raise TranslationError("%s: unknown keys %s" % (where, ", ".join(unknown)))
    name = tier.get("name")
    if not isinstance(name, str) or len(name) > 40 or not DNS_LABEL.match(name):
        raise TranslationError("%s.name %s: must be a DNS-1123 label of at most 40 characters" % (where, quoted(name)))
    if name in seen:
        raise TranslationError("%s.name %s: tier names must be unique" % (where, quoted(name)))
    parsed = {"name": name, "groups": _tier_groups(where, tier.get("groups"))}
    for key in ("requests_per_minute", "tokens_per_minute"):
        value = tier.get(key)
        if value is not None and (not is_int(value) or value < 0):
            raise TranslationError("%s.%s %s: must be a non-negative integer" % (where, key, quoted(value)))
        parsed[key] = value
    if parsed["requests_per_minute"] is None and parsed["tokens_per_minute"] is None:
        raise TranslationError("%s: give requests_per_minute, tokens_per_minute or both" % where)
    return parsed


def parse_tiers(tiers) -> list:
    """Validated tiers, in precedence order (the first tier a caller belongs to is theirs)."""
    if tiers is None:
        return []
    if not isinstance(tiers, list):
        raise TranslationError("tiers must be a list of {name, groups, requests_per_minute, tokens_per_minute}")
    out, seen = [], set()
    for i, tier in enumerate(tiers):
        parsed = _tier("tiers[%d]" % i, tier, seen)
        seen.add(parsed["name"])
        out.append(parsed)
    return out


def tier_objects(gateway, tiers, managed_by, producers) -> list:
    """One RateLimitPolicy and one TokenRateLimitPolicy `maas-tier-usage` on the Gateway.

    They are gateway `overrides` with the `merge` strategy, so they apply on every route in
    addition to the route's own limits. A caller in several tiers is counted under the first.
    """
    requests, tokens = {}, {}
    for index, tier in enumerate(tiers):
        member = owner_predicate(tier["groups"], [])
        earlier = [owner_predicate(t["groups"], []) for t in tiers[:index]]
        # Both policies of a tier count the same callers, so they share one `when`.
        when = [{"predicate": all_of([member] + ([negate(any_of(earlier))] if earlier else []))}]
        for key, target, suffix in (("requests_per_minute", requests, "requests"), ("tokens_per_minute", tokens, "tokens")):
            if tier[key] is not None:
                target["tier-%s-%s" % (tier["name"], suffix)] = {
                    "rates": [{"limit": tier[key], "window": "1m"}],
                    "when": when,
                    "counters": [{"expression": "auth.identity.userid"}],
                }
    objects = []
    for (api_version, kind), limits in ((RATE_LIMIT_POLICY, requests), (TOKEN_RATE_LIMIT_POLICY, tokens)):
        if limits:
            objects.append({
                "apiVersion": api_version,
                "kind": kind,
                "metadata": metadata(TIER_USAGE, gateway["namespace"], managed_by, "tier-usage", producers),
                "spec": {"targetRef": target_ref("Gateway", gateway["name"]),
                         "overrides": {"strategy": "merge", "limits": limits}},
            })
    return objects
