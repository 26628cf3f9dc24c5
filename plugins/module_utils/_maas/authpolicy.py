# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The AuthPolicy of a model, and the CEL it is made of (evaluated by Authorino).

One AuthPolicy `maas-auth-<model>` on the model's HTTPRoute aggregates every MaaSAuthPolicy that
names the model: a caller passes when one of its groups or its user name is a subject of any of
them. It authenticates API keys (validated by maas-api) and Kubernetes tokens, and publishes the
caller's identity (user, groups, the subscription asked for or selected) for the
TokenRateLimitPolicy to count by. Every identity field is guarded, so each expression evaluates for
any request: without the header, without a field, without groups.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import any_of, cel_string, header_present
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    AUTH_POLICIES_ANNOTATION,
    AUTH_POLICY,
    SUBSCRIPTION_HEADER,
    auth_policy_name,
    metadata,
    model_key_suffix,
    ref,
    target_ref,
)

IS_API_KEY = '"authorization" in request.headers && request.headers["authorization"].startsWith("Bearer sk-oai-")'
IS_NOT_API_KEY = "!(%s)" % IS_API_KEY
RAW_KEY = '("authorization" in request.headers ? request.headers["authorization"].replace("Bearer ", "") : "")'
HAS_AK = "has(auth.metadata) && has(auth.metadata.apiKeyValidation)"
AK = "auth.metadata.apiKeyValidation"
HAS_SI = 'has(auth.metadata) && "subscription-info" in auth.metadata'
SI = 'auth.metadata["subscription-info"]'
HAS_TOKEN_USER = "has(auth.identity) && has(auth.identity.user)"
GROUPS = ("((%s) ? ((%s && has(%s.groups)) ? %s.groups : []) "
          ": ((%s && has(auth.identity.user.groups)) ? auth.identity.user.groups : []))"
          % (IS_API_KEY, HAS_AK, AK, AK, HAS_TOKEN_USER))
USERNAME = ('((%s) ? ((%s && has(%s.username)) ? %s.username : "") '
            ': ((%s && has(auth.identity.user.username)) ? auth.identity.user.username : ""))'
            % (IS_API_KEY, HAS_AK, AK, AK, HAS_TOKEN_USER))
REQUESTED_SUBSCRIPTION = ('((%s && has(%s.subscription) && %s.subscription != "") ? %s.subscription '
                          ': (%s ? request.headers[%s] : ""))'
                          % (HAS_AK, AK, AK, AK, header_present(SUBSCRIPTION_HEADER), cel_string(SUBSCRIPTION_HEADER)))
API_KEY_VALID = "%s && has(%s.valid) && %s.valid == true" % (HAS_AK, AK, AK)
SUBSCRIPTION_SELECTED = ('%s && "name" in %s && %s.name != "" && (!("error" in %s) || %s.error == "")'
                         % (HAS_SI, SI, SI, SI, SI))
KEY_ID = '((%s && has(%s.keyId)) ? %s.keyId : "")' % (HAS_AK, AK, AK)
SELECTED_NAME = '((%s && "name" in %s) ? %s.name : "")' % (HAS_SI, SI, SI)
SELECTED_REF = '((%s && "namespace" in %s && "name" in %s) ? %s.namespace + "/" + %s.name : "")' % (
    HAS_SI, SI, SI, SI, SI)


def membership_predicate(groups, users) -> str:
    """The caller's groups (a list) or username match one of the subjects (OR over all of them)."""
    terms = []
    if groups:
        terms.append("%s.exists(g, %s)" % (GROUPS, " || ".join("g == %s" % cel_string(g) for g in groups)))
    if users:
        terms.append("%s in [%s]" % (USERNAME, ", ".join(cel_string(u) for u in users)))
    return any_of(terms)


def _selected_subscription_key(model) -> str:
    """`<ns>/<subscription>@<ns>/<model>` of the subscription maas-api selected, "" when none."""
    return ('((%s && "namespace" in %s && "name" in %s) ? %s.namespace + "/" + %s.name + %s : "")'
            % (HAS_SI, SI, SI, SI, SI, cel_string(model_key_suffix(model))))


def _pattern(predicate, priority) -> dict:
    return {"patternMatching": {"patterns": [{"predicate": predicate}]}, "metrics": False, "priority": priority}


def _authentication(audiences) -> dict:
    return {
        "api-keys": {
            "plain": {"selector": "request.headers.authorization"},
            "when": [{"predicate": IS_API_KEY}],
            "metrics": False,
            "priority": 0,
        },
        "kubernetes-tokens": {
            "kubernetesTokenReview": {"audiences": list(audiences)},
            "when": [{"predicate": '%s && request.path.endsWith("/v1/models")' % IS_NOT_API_KEY}],
            "metrics": False,
            "priority": 1,
        },
    }


def _maas_api_call(url, body, cache_key, cache_ttl, priority) -> dict:
    return {
        "http": {"url": url, "method": "POST", "contentType": "application/json", "body": {"expression": body}},
        "cache": {"key": {"expression": cache_key}, "ttl": cache_ttl},
        "metrics": False,
        "priority": priority,
    }


def _metadata_calls(model, options) -> dict:
    """The maas-api calls: API key validation, and in subscription mode the subscription selection."""
    url = options["maas_api_url"]
    calls = {"apiKeyValidation": dict(
        {"when": [{"predicate": IS_API_KEY}]},
        **_maas_api_call(url + "/internal/v1/api-keys/validate", '{"key": %s}' % RAW_KEY, RAW_KEY,
                         options["cache_ttl"], 0))}
    if options["selection"] == "subscription":
        body = ('{"groups": %s, "username": %s, "requestedSubscription": %s, "requestedModel": %s}'
                % (GROUPS, USERNAME, REQUESTED_SUBSCRIPTION, cel_string(ref(*model))))
        cache_key = '%s + "|" + %s.join(",") + "|" + %s' % (USERNAME, GROUPS, REQUESTED_SUBSCRIPTION)
        calls["subscription-info"] = _maas_api_call(url + "/internal/v1/subscriptions/select", body, cache_key,
                                                    options["cache_ttl"], 1)
    return calls


def _authorization(groups, users, selection) -> dict:
    rules = {
        "api-key-valid": _pattern("%s || (%s)" % (IS_NOT_API_KEY, API_KEY_VALID), 0),
        "require-group-membership": _pattern(membership_predicate(groups, users), 0),
    }
    if selection == "subscription":
        rules["subscription-valid"] = _pattern(SUBSCRIPTION_SELECTED, 1)
    return rules


def _identity(model, selection) -> dict:
    """The identity published to the TokenRateLimitPolicy, sorted by property name."""
    identity = {
        "userid": {"expression": USERNAME},
        "groups": {"expression": GROUPS},
        "groups_str": {"expression": '%s.join(",")' % GROUPS},
        "keyId": {"expression": KEY_ID},
    }
    if selection == "subscription":
        identity.update({
            "selected_subscription": {"expression": SELECTED_NAME},
            "selected_subscription_key": {"expression": _selected_subscription_key(model)},
            "subscription_info": {"expression": "((%s) ? %s : {})" % (HAS_SI, SI)},
        })
    else:
        identity.update({
            "selected_subscription": {"expression": REQUESTED_SUBSCRIPTION},
            "selected_subscription_key": {"expression": '""'},
            "subscription_info": {"expression": "{}"},
        })
    return dict(sorted(identity.items()))


def _subscription_header(selection) -> dict:
    """The X-MaaS-Subscription response header: the subscription maas-api selected, or in groups
    mode the one the caller asked for (with its API key or the request header)."""
    if selection == "subscription":
        when = '%s && "namespace" in %s && "name" in %s && %s.name != ""' % (HAS_SI, SI, SI, SI)
        value = SELECTED_REF
    else:
        when = '(%s && has(%s.subscription) && %s.subscription != "") || %s' % (
            HAS_AK, AK, AK, header_present(SUBSCRIPTION_HEADER))
        value = REQUESTED_SUBSCRIPTION
    return {"when": [{"predicate": when}], "plain": {"expression": value}, "metrics": False, "priority": 0}


def _unauthorized_message(selection) -> dict:
    """maas-api explains a refused subscription; otherwise the message is fixed."""
    if selection == "subscription":
        return {"expression": '(%s && "message" in %s && %s.message != "") ? %s.message : "Access denied"'
                              % (HAS_SI, SI, SI, SI)}
    return {"value": "Access denied"}


def _response(model, selection) -> dict:
    return {
        "success": {
            "headers": {"X-MaaS-Subscription": _subscription_header(selection)},
            "filters": {"identity": {"json": {"properties": _identity(model, selection)}, "metrics": True, "priority": 0}},
        },
        "unauthenticated": {"code": 401, "message": {"value": "Authentication required"}},
        "unauthorized": {"code": 403, "message": _unauthorized_message(selection)},
    }


def auth_policy_for_model(model, route, policies, options) -> dict:
    """AuthPolicy maas-auth-<model> on HTTPRoute `route`, admitting the subjects of every one of
    `policies` (the MaaSAuthPolicies naming the model)."""
    groups = sorted(set(g for p in policies for g in p["groups"]))
    users = sorted(set(u for p in policies for u in p["users"]))
    return {
        "apiVersion": AUTH_POLICY[0],
        "kind": AUTH_POLICY[1],
        "metadata": metadata(auth_policy_name(model), model[0], options["managed_by"], "auth-policy",
                             [p["ref"] for p in policies], model, AUTH_POLICIES_ANNOTATION),
        "spec": {
            "targetRef": target_ref("HTTPRoute", route),
            "rules": {
                "authentication": _authentication(options["audiences"]),
                "metadata": _metadata_calls(model, options),
                "authorization": _authorization(groups, users, options["selection"]),
                "response": _response(model, options["selection"]),
            },
        },
    }
