# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Which subscription counts a request, decided by Authorino at auth time, and why one may not.

`groups` mode: the collection knows every subscription of a model and its owners when it writes
the model's AuthPolicy, so the choice is CEL over a literal list of them, without a maas-api call:
- the subscription *asked for* is the one the API key is bound to (maas-api's validation answer
  carries it), else the `X-MaaS-Subscription` header, else none; a key's binding always wins;
- asked for: it must be a subscription of this model (`not_found`; for a key's binding
  `model_not_in_subscription`) that the caller owns (`access_denied`); it may be written
  `<namespace>/<name>` or `<name>` (a bare name owned in two namespaces is `multiple_subscriptions`);
- not asked for: the caller must own exactly one of the model's subscriptions (`no_subscription`,
  `multiple_subscriptions`: never a silent pick).
`subscription` mode: maas-api selects and explains (its `error`); the selection must still be one
of the subscriptions this run found valid for the model, so a CR this run marked Failed counts nothing.

Each decision is a REASON expression: "" when the request may proceed, else the machine-readable
reason. The authorization rule and the 403's `x-ext-auth-reason` evaluate the same expression, so
they cannot disagree. `let` binds a value once (`[value].map(name, body)[0]`, plain CEL in every
engine) so the owner test is written once however many subscriptions a model has.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import cel_string, header_present
from ansible_collections.modelserving.maas.plugins.module_utils._maas.identity import (
    BOUND_SUBSCRIPTION,
    GROUPS,
    MODELS_LIST,
    USERNAME,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import SUBSCRIPTION_HEADER, ref

# Reasons, as upstream maas-api names them where it has a name for the case.
NO_SUBSCRIPTION = "no_subscription"
MULTIPLE_SUBSCRIPTIONS = "multiple_subscriptions"
NOT_FOUND = "not_found"
ACCESS_DENIED = "access_denied"
MODEL_NOT_IN_SUBSCRIPTION = "model_not_in_subscription"
INTERNAL_ERROR = "internal_error"

HEADER = '(%s ? request.headers[%s] : "")' % (header_present(SUBSCRIPTION_HEADER), cel_string(SUBSCRIPTION_HEADER))
ASKED = '(%s != "" ? %s : %s)' % (BOUND_SUBSCRIPTION, BOUND_SUBSCRIPTION, HEADER)
SI = 'auth.metadata["subscription-info"]'
HAS_SI = 'has(auth.metadata) && "subscription-info" in auth.metadata'
SI_REF = '((%s && "namespace" in %s && "name" in %s) ? %s.namespace + "/" + %s.name : "")' % (
    HAS_SI, SI, SI, SI, SI)
SI_ERROR = '((%s && "error" in %s) ? %s.error : "")' % (HAS_SI, SI, SI)
SI_MESSAGE = '((%s && "message" in %s) ? %s.message : "")' % (HAS_SI, SI, SI)
# The subscription's tokenMetadata fields the telemetry labels read (maas-api's select answer names them so).
METERING_FIELDS = ("organizationId", "costCenter")


def let(name, value, body) -> str:
    """`body` with `name` bound to `value`, evaluated once."""
    return "[%s].map(%s, %s)[0]" % (value, name, body)


def _literal_list(values) -> str:
    return "[%s]" % ", ".join(cel_string(v) for v in values)


def _subscriptions_literal(subscriptions) -> str:
    """The model's subscriptions as CEL: [{"ref", "name", "groups", "users"}], sorted by ref (the
    decisions filter the list, so its order never matters; sorting keeps the policy's bytes stable)."""
    items = ['{"ref": %s, "name": %s, "groups": %s, "users": %s}' % (
        cel_string(ref(s["namespace"], s["name"])), cel_string(s["name"]),
        _literal_list(sorted(s["groups"])), _literal_list(sorted(s["users"])))
        for s in sorted(subscriptions, key=lambda s: (s["namespace"], s["name"]))]
    return "[%s]" % ", ".join(items)


def _names(var) -> str:
    return "s.ref == %s || s.name == %s" % (var, var)


def _with_picked(subscriptions, body) -> str:
    """`body` with `asked` (the subscription asked for, "" for none), `owned` (the model's
    subscriptions the caller owns) and `picked` (those of them that were asked for) bound."""
    subs = _subscriptions_literal(subscriptions)
    owned = "%s.filter(s, %s.exists(g, g in s.groups) || %s in s.users)" % (subs, GROUPS, USERNAME)
    picked = '(asked == "" ? owned : owned.filter(s, %s))' % _names("asked")
    return let("owned", owned, let("asked", ASKED, let("picked", picked, body)))


def groups_reason(subscriptions) -> str:
    """groups mode: why the request has no usable subscription of the model, "" when it has one."""
    exists = "%s.exists(s, %s)" % (_subscriptions_literal(subscriptions), _names("asked"))
    unknown = '(%s != "" ? %s : %s)' % (BOUND_SUBSCRIPTION, cel_string(MODEL_NOT_IN_SUBSCRIPTION), cel_string(NOT_FOUND))
    answer = {"many": cel_string(MULTIPLE_SUBSCRIPTIONS), "none": cel_string(NO_SUBSCRIPTION),
              "denied": cel_string(ACCESS_DENIED)}
    body = ('asked != "" && !(%s) ? %s : (picked.size() == 1 ? "" : (picked.size() > 1 ? %s '
            ': (asked == "" ? %s : %s)))' % (exists, unknown, answer["many"], answer["none"], answer["denied"]))
    return '%s ? "" : %s' % (MODELS_LIST, _with_picked(subscriptions, body))


def groups_selected(subscriptions) -> str:
    """groups mode: `<namespace>/<name>` of the subscription that counts the request, "" for none."""
    return _with_picked(subscriptions, 'picked.size() == 1 ? picked[0].ref : ""')


def groups_metering(selected, subscriptions, field) -> str:
    """groups mode: the `tokenMetadata.<field>` of the subscription `selected` names ("" for none or unset).

    The values are known when the policy is written, so this is a literal map looked up by the
    selected `<namespace>/<name>`; a subscription without the field is simply not in the map."""
    values = sorted((ref(s["namespace"], s["name"]), s["metering"][field])
                    for s in subscriptions if (s.get("metering") or {}).get(field))
    if not values:
        return '""'
    table = "{%s}" % ", ".join("%s: %s" % (cel_string(k), cel_string(v)) for k, v in values)
    return let("sel", selected, '(sel in %s ? %s[sel] : "")' % (table, table))


def subscription_metering(field) -> str:
    """subscription mode: the `<field>` of maas-api's selection answer ("" when absent)."""
    return '((%s && %s in %s) ? %s[%s] : "")' % (HAS_SI, cel_string(field), SI, SI, cel_string(field))


def subscription_reason(subscriptions) -> str:
    """subscription mode: maas-api's refusal, or a selection this run does not know as valid."""
    valid = _literal_list(sorted(ref(s["namespace"], s["name"]) for s in subscriptions))
    return ('%s ? "" : (!(%s) ? %s : (%s != "" ? %s : (%s == "" ? %s : (!(%s in %s) ? %s : ""))))' % (
        MODELS_LIST, HAS_SI, cel_string(INTERNAL_ERROR), SI_ERROR, SI_ERROR, SI_REF, cel_string(NO_SUBSCRIPTION),
        SI_REF, valid, cel_string(NOT_FOUND)))
