# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The AuthPolicy of a model: who may call it, and which subscription counts the call.

One AuthPolicy `maas-auth-<model>` on the model's HTTPRoute aggregates every MaaSAuthPolicy that
names the model: a caller passes when one of its groups or its user name is a subject of any of
them. It decides every answer upstream MaaS users expect (the table in the README, and
tests/contract/contract.yml as data):
- 401 `Authentication required` without a credential Authorino accepts (identity);
- 403 with a machine-readable reason (`x-ext-auth-reason` header, and the body names it) for a
  forged identity header, an API key maas-api does not accept, a caller no MaaSAuthPolicy names,
  and every subscription refusal (selection);
- on success, only `X-MaaS-Subscription` reaches the model (the caller's `Authorization` is
  blanked), and the identity the TokenRateLimitPolicy counts by is published.

`<model route>/v1/models` needs a caller the policies admit, but no subscription: maas-api lists
models with the caller's credential, and a Kubernetes token may do that too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import cel_string
from ansible_collections.modelserving.maas.plugins.module_utils._maas.identity import (
    API_KEY_VALID,
    GROUPS,
    IS_API_KEY,
    IS_JWT,
    IS_NOT_API_KEY,
    KEY_ID,
    KUBERNETES,
    MODELS_LIST,
    NO_IDENTITY_HEADERS,
    OIDC,
    RAW_KEY,
    USERNAME,
    member_of,
    oidc_client_bound,
    oidc_groups_safe,
    stamped,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    AUTH_POLICIES_ANNOTATION,
    AUTH_POLICY,
    auth_policy_name,
    metadata,
    model_key_suffix,
    ref,
    target_ref,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.selection import (
    ASKED,
    HAS_SI,
    SI,
    SI_ERROR,
    SI_MESSAGE,
    SI_REF,
    METERING_FIELDS,
    groups_metering,
    groups_reason,
    groups_selected,
    let,
    subscription_metering,
    subscription_reason,
)

# Reasons of the checks before the subscription (selection names the subscription ones).
FORGED_IDENTITY_HEADER = "forged_identity_header"
INVALID_API_KEY = "invalid_api_key"
INVALID_TOKEN = "invalid_token"
UNAUTHORIZED = "unauthorized"

MESSAGES = {
    FORGED_IDENTITY_HEADER: "X-MaaS-Username, X-MaaS-Group and X-MaaS-Key-Id are set by the gateway, "
                            "never by the caller; remove them from the request",
    INVALID_API_KEY: "the API key is not valid (unknown, revoked or expired)",
    INVALID_TOKEN: "the OIDC token was issued to another client or carries unsafe group names",
    UNAUTHORIZED: "no MaaSAuthPolicy of this model names your user or one of your groups",
    "no_subscription": "you own no subscription that covers this model",
    "multiple_subscriptions": "you own several subscriptions that cover this model; "
                              "name one with the X-MaaS-Subscription header",
    "not_found": "the subscription you named does not cover this model",
    "access_denied": "you do not own the subscription you named",
    "model_not_in_subscription": "the subscription your API key is bound to does not cover this model",
    "internal_error": "the subscription check failed; try again",
}


def _checks(groups, users, oidc) -> list:
    """[(rule name, predicate that must hold, reason when it does not)], in the order reported."""
    checks = [("deny-client-identity-headers", NO_IDENTITY_HEADERS, FORGED_IDENTITY_HEADER),
              ("api-key-valid", "%s || (%s)" % (IS_NOT_API_KEY, API_KEY_VALID), INVALID_API_KEY)]
    if oidc:
        checks += [("oidc-groups-safe", oidc_groups_safe(), INVALID_TOKEN),
                   ("oidc-client-bound", oidc_client_bound(oidc["clientId"]), INVALID_TOKEN)]
    checks.append(("require-group-membership", member_of(groups, users), UNAUTHORIZED))
    return checks


def _reason(checks, selection_reason) -> str:
    """The first failed check's reason, else the subscription's: "" when the request may pass."""
    text = selection_reason
    for _name, predicate, reason in reversed(checks):
        text = "!(%s) ? %s : (%s)" % (predicate, cel_string(reason), text)
    return text


def _pattern(predicate) -> dict:
    return {"patternMatching": {"patterns": [{"predicate": predicate}]}, "metrics": False, "priority": 0}


def _authorization(checks, selection_reason) -> dict:
    rules = {name: _pattern(predicate) for name, predicate, _reason in checks}
    rules["subscription-valid"] = _pattern('(%s) == ""' % selection_reason)
    return rules


def _authentication(audiences, oidc) -> dict:
    rules = {"api-keys": {
        "plain": {"selector": "request.headers.authorization"},
        "when": [{"predicate": IS_API_KEY}],
        "metrics": False,
        "priority": 0,
    }}
    if oidc:
        rules["oidc-identities"] = {
            "jwt": {"issuerUrl": oidc["issuerUrl"], "ttl": oidc["ttl"]},
            "overrides": stamped(OIDC),
            "when": [{"predicate": "%s && %s" % (IS_NOT_API_KEY, IS_JWT)}],
            "metrics": False,
            "priority": 1,
        }
    rules["kubernetes-tokens"] = {
        "kubernetesTokenReview": {"audiences": list(audiences)},
        "overrides": stamped(KUBERNETES),
        "when": [{"predicate": "%s && %s" % (IS_NOT_API_KEY, MODELS_LIST)}],
        "metrics": False,
        "priority": 2 if oidc else 1,
    }
    return rules


def _maas_api_call(url, body, cache_key, cache_ttl, priority, when) -> dict:
    return {
        "http": {"url": url, "method": "POST", "contentType": "application/json", "body": {"expression": body}},
        "cache": {"key": {"expression": cache_key}, "ttl": cache_ttl},
        "when": [{"predicate": when}],
        "metrics": False,
        "priority": priority,
    }


def _metadata_calls(model, options) -> dict:
    """The maas-api calls: API key validation, and in subscription mode the subscription selection."""
    url = options["maas_api_url"]
    calls = {"apiKeyValidation": _maas_api_call(url + "/internal/v1/api-keys/validate", '{"key": %s}' % RAW_KEY,
                                                RAW_KEY, options["cache_ttl"], 0, IS_API_KEY)}
    if options["selection"] == "subscription":
        body = ('{"groups": %s, "username": %s, "requestedSubscription": %s, "requestedModel": %s}'
                % (GROUPS, USERNAME, ASKED, cel_string(ref(*model))))
        cache_key = '%s + "|" + %s.join(",") + "|" + %s' % (USERNAME, GROUPS, ASKED)
        calls["subscription-info"] = _maas_api_call(url + "/internal/v1/subscriptions/select", body, cache_key,
                                                    options["cache_ttl"], 1, "!" + MODELS_LIST)
    return calls


def _selected(subscriptions, selection) -> str:
    """`<namespace>/<name>` of the subscription counting the request, "" for none."""
    return '(%s ? "" : %s)' % (MODELS_LIST, groups_selected(subscriptions) if selection == "groups" else SI_REF)


def _identity(model, selected, selection, subscriptions) -> dict:
    """The identity published to the TokenRateLimitPolicy and the TelemetryPolicy, sorted by property
    name. `organizationId` and `costCenter` are the selected subscription's tokenMetadata, for the
    telemetry labels."""
    identity = {
        "userid": {"expression": USERNAME},
        "groups": {"expression": GROUPS},
        "groups_str": {"expression": '%s.join(",")' % GROUPS},
        "keyId": {"expression": KEY_ID},
        "selected_subscription": {"expression": selected},
        "selected_subscription_key": {"expression": let("sel", selected, 'sel == "" ? "" : sel + %s'
                                                        % cel_string(model_key_suffix(model)))},
        "subscription_info": {"expression": "((%s) ? %s : {})" % (HAS_SI, SI) if selection == "subscription" else "{}"},
    }
    for field in METERING_FIELDS:
        identity[field] = {"expression": groups_metering(selected, subscriptions, field) if selection == "groups"
                           else subscription_metering(field)}
    return dict(sorted(identity.items()))


def _success_headers(selected, selection) -> dict:
    """What reaches the model besides the request: the subscription, and no caller credential.

    In groups mode a request that passed authorization has a subscription unless it lists models."""
    when = "!" + MODELS_LIST if selection == "groups" else '%s != ""' % SI_REF
    return {
        "X-MaaS-Subscription": {"when": [{"predicate": when}], "plain": {"expression": selected},
                                "metrics": False, "priority": 0},
        # An expression, not a static value: Authorino v0.24 prints a static success-header value
        # as a Go struct (observed against the real Authorino: `{[34 34] <nil>}`).
        "authorization": {"key": "authorization", "plain": {"expression": '""'}, "metrics": False, "priority": 0},
    }


def _denial(reason, selection) -> dict:
    """403 with the reason in `x-ext-auth-reason` and a body `<reason>: <what to do>`."""
    named = let("r", reason, '(r == "" ? %s : r)' % cel_string(UNAUTHORIZED))
    messages = "{%s}" % ", ".join("%s: %s" % (cel_string(k), cel_string(v)) for k, v in sorted(MESSAGES.items()))
    explained = "(r in %s ? %s[r] : \"access denied\")" % (messages, messages)
    if selection == "subscription":
        explained = '((r == %s && %s != "") ? %s : %s)' % (SI_ERROR, SI_MESSAGE, SI_MESSAGE, explained)
    # Authorino appends its own x-ext-auth-reason with the `message`; making it the reason too keeps
    # the header single-valued in meaning (over raw HTTP only the last one survives).
    return {
        "code": 403,
        "message": {"expression": named},
        "headers": {"x-ext-auth-reason": {"expression": named}, "content-type": {"value": "text/plain"}},
        "body": {"expression": let("r", named, 'r + ": " + %s' % explained)},
    }


def auth_policy_for_model(model, route, policies, subscriptions, options) -> dict:
    """AuthPolicy maas-auth-<model> on HTTPRoute `route`, admitting the subjects of every one of
    `policies` (the MaaSAuthPolicies naming the model) to the valid `subscriptions` of the model."""
    groups = sorted(set(g for p in policies for g in p["groups"]))
    users = sorted(set(u for p in policies for u in p["users"]))
    selection, oidc = options["selection"], options.get("oidc")
    checks = _checks(groups, users, oidc)
    selection_reason = groups_reason(subscriptions) if selection == "groups" else subscription_reason(subscriptions)
    reason = _reason(checks, selection_reason)
    selected = _selected(subscriptions, selection)
    identity = _identity(model, selected, selection, subscriptions)
    return {
        "apiVersion": AUTH_POLICY[0],
        "kind": AUTH_POLICY[1],
        "metadata": metadata(auth_policy_name(model), model[0], options["managed_by"], "auth-policy",
                             [p["ref"] for p in policies], model, AUTH_POLICIES_ANNOTATION),
        "spec": {
            "targetRef": target_ref("HTTPRoute", route),
            "rules": {
                "authentication": _authentication(options["audiences"], oidc),
                "metadata": _metadata_calls(model, options),
                "authorization": _authorization(checks, selection_reason),
                "response": {
                    "success": {
                        "headers": _success_headers(selected, selection),
                        "filters": {"identity": {"json": {"properties": identity},
                                                 "metrics": True, "priority": 0}},
                    },
                    "unauthenticated": {"code": 401, "message": {"value": "Authentication required"}},
                    "unauthorized": _denial(reason, selection),
                },
            },
        },
    }
