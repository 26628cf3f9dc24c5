# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Translation of MaaS custom resources into Gateway API and Kuadrant objects.

`generate` is the entry point: MaaS CRs (and the resolved HTTPRoute of each model) in, Kubernetes
objects out. It parses every CR once (validate), decides the gateway (gateway), finds each model's
route (given, or generated for an ExternalModel: external), then builds per model one AuthPolicy
`maas-auth-<model>` (authpolicy) and one TokenRateLimitPolicy `maas-trlp-<model>`
(tokenratelimit), and the gateway's defaults and tiers (gateway).

Everything here is a pure function of its arguments: no cluster access, no clock, no randomness,
and the output does not depend on the order the CRs come in. A CR that fails validation is reported
in `invalid` and dropped alone: every model is generated from the valid CRs that remain, so another
team's valid MaaSSubscription on the same model still applies. A policy that only invalid CRs still
ask for (no valid CR produces it, an invalid one names its model) is not generated and is listed in
`skipped` under its own kind and name, so a caller keeps an existing one exactly as it is instead
of pruning it. An invalid MaaSModelRef or ExternalModel still holds its whole model back (`skipped`
as kind MaaSModelRef).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.modelserving.maas.plugins.module_utils._maas.authpolicy import auth_policy_for_model
from ansible_collections.modelserving.maas.plugins.module_utils._maas.external import (
    external_model_objects,
    external_route_facts,
    internal_address_reason,
    provider_endpoint,
    unknown_provider_reason,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.gateway import (
    effective_gateway,
    gateway_default_objects,
    parse_tiers,
    tier_objects,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    AUTH_POLICY,
    DEFAULT_AUDIENCES,
    DEFAULT_MAAS_API_URL,
    DEFAULT_MANAGED_BY,
    EXTERNAL_TLS_MODES,
    SELECTION_MODES,
    TOKEN_RATE_LIMIT_POLICY,
    auth_policy_name,
    external_route_name,
    ref,
    split_ref,
    trlp_name,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.tokenratelimit import trlp_for_model
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import (
    DNS_LABEL,
    DNS_SUBDOMAIN,
    TranslationError,
    is_int,
    models_of_external,
    parse_resources,
    quoted,
    record_invalid,
)

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?\Z")


# ---------------------------------------------------------------------------------------------
# parameters


def _check_parameters(resources, routes, gateway, options):
    # In this order, so that the first bad parameter is the one reported.
    if not isinstance(resources, list):
        raise TranslationError("resources must be a list of MaaS custom resources")
    for i, obj in enumerate(resources):
        if not isinstance(obj, dict):
            raise TranslationError("resources[%d] must be a mapping (a Kubernetes object)" % i)
    if routes is not None and (not isinstance(routes, dict)
                               or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in routes.items())):
        raise TranslationError('routes must map "<namespace>/<model>" to an HTTPRoute name')
    selection, external_tls = options["selection"], options["external_tls"]
    if selection not in SELECTION_MODES:
        raise TranslationError("selection %s: must be one of %s" % (quoted(selection), ", ".join(SELECTION_MODES)))
    if external_tls not in EXTERNAL_TLS_MODES:
        raise TranslationError("external_tls %s: must be one of %s" % (quoted(external_tls), ", ".join(EXTERNAL_TLS_MODES)))
    url, audiences, managed_by = options["maas_api_url"], options["audiences"], options["managed_by"]
    if not isinstance(url, str) or not _URL.match(url):
        raise TranslationError("maas_api_url %s: must be an http(s) URL without query or fragment" % quoted(url))
    if isinstance(audiences, str) or not isinstance(audiences, (list, tuple)) or not audiences \
            or not all(isinstance(a, str) and a for a in audiences):
        raise TranslationError("audiences must be a non-empty list of non-empty strings")
    if not isinstance(managed_by, str) or not managed_by or len(managed_by) > 63 or not _LABEL_VALUE.match(managed_by):
        raise TranslationError("managed_by %s: must be a valid label value" % quoted(managed_by))
    if gateway is not None:
        if not isinstance(gateway, dict) or set(gateway) - {"namespace", "name"}:
            raise TranslationError("gateway must be a mapping with namespace and name")
        for key in ("namespace", "name"):
            value = gateway.get(key)
            if not isinstance(value, str) or len(value) > 63 or not DNS_LABEL.match(value):
                raise TranslationError("gateway.%s %s: must be a DNS-1123 label" % (key, quoted(value)))
    if not is_int(options["cache_ttl"]) or options["cache_ttl"] < 0:
        raise TranslationError("cache_ttl %s: must be a non-negative integer (seconds)" % quoted(options["cache_ttl"]))
    for flag in ("allow_internal_endpoints", "service_entry"):
        if not isinstance(options[flag], bool):
            raise TranslationError("%s %s: must be true or false" % (flag, quoted(options[flag])))


def checked_options(resources, routes=None, gateway=None, selection="groups", maas_api_url=DEFAULT_MAAS_API_URL,
                    audiences=DEFAULT_AUDIENCES, managed_by=DEFAULT_MANAGED_BY, tiers=None,
                    external_tls="destinationrule", cache_ttl=60, allow_internal_endpoints=False,
                    service_entry=True, external_ca=None) -> dict:
    """The translation options once every parameter is checked; TranslationError names a bad one.

    `resources`, `routes` and `gateway` are checked too but are not options: they are the input.
    `allow_internal_endpoints` lets external models point inside the cluster or the node
    (external.internal_address_reason); by default those endpoints make their CR invalid.
    `service_entry` false leaves out the Istio ServiceEntry of external models (no Istio).
    `external_ca` maps a provider host to the CA its TLS origination verifies against (a Secret in
    the gateway's namespace for a DestinationRule, a ConfigMap in the model's for a BackendTLSPolicy).
    """
    options = {"selection": selection, "maas_api_url": maas_api_url, "audiences": audiences,
               "managed_by": managed_by, "external_tls": external_tls, "cache_ttl": cache_ttl,
               "allow_internal_endpoints": allow_internal_endpoints, "service_entry": service_entry}
    _check_parameters(resources, routes, gateway, options)
    options["external_ca"] = _checked_external_ca(external_ca)
    options["tiers"] = parse_tiers(tiers)
    options["maas_api_url"] = maas_api_url.rstrip("/")
    return options


def _checked_external_ca(external_ca) -> dict:
    """{host: object name}, hosts lower-cased; TranslationError names a bad entry."""
    checked = {}
    for host, name in (external_ca or {}).items():
        if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name):
            raise TranslationError("external_ca[%r] = %r: must name a Secret or ConfigMap (a DNS subdomain)"
                                   % (host, name))
        checked[str(host).lower()] = name
    return checked


# ---------------------------------------------------------------------------------------------
# per model


def _skipped(model_ref, reason) -> dict:
    namespace, name = split_ref(model_ref)
    return {"kind": "MaaSModelRef", "namespace": namespace, "name": name, "reason": reason}


def refuse_internal_endpoints(parsed) -> dict:
    """`parsed` with every ExternalModel, and every MaaSModelRef of kind ExternalModel, whose endpoint
    is inside the cluster or the node made invalid as validation makes a CR invalid: reported in
    `invalid`, the models it names blocked (so frozen, never rewritten nor pruned)."""
    out = dict(parsed, models=dict(parsed["models"]), externals=dict(parsed["externals"]),
               invalid=list(parsed["invalid"]), blocked={k: set(v) for k, v in parsed["blocked"].items()})
    allowed = "; allow_internal_endpoints allows it"
    for key, model in sorted(parsed["models"].items()):
        override = model["override"] if model["kind"] == "ExternalModel" else None
        why = internal_address_reason(override["host"]) if override else None
        if why:
            del out["models"][key]
            reason = "MaaSModelRef %s: spec.endpointOverride %s: %s%s" % (ref(*key), quoted(override["address"]),
                                                                          why, allowed)
            record_invalid(out, "MaaSModelRef", key[0], key[1], [key], reason)
    for key, external in sorted(parsed["externals"].items()):
        why = internal_address_reason(external["host"])
        if why:
            del out["externals"][key]
            reason = "ExternalModel %s: spec.endpoint %s: %s%s" % (ref(*key), quoted(external["address"]), why, allowed)
            record_invalid(out, "ExternalModel", key[0], key[1], models_of_external(out, *key), reason)
    return out


def _invalid_model_refs(parsed) -> set:
    """Models whose own MaaSModelRef is invalid: skipped like blocked models, so their objects stay."""
    return {key for key, crs in parsed["blocked"].items()
            if key not in parsed["models"] and "MaaSModelRef %s" % ref(*key) in crs}


def _blocked_reason(invalid_crs) -> str:
    return "not generated because %s %s invalid" % (", ".join(sorted(invalid_crs)),
                                                    "is" if len(invalid_crs) == 1 else "are")


def _routed_models(parsed, routes, gateway, options) -> dict:
    """Each model's HTTPRoute, or why it has none. For an ExternalModel the route is generated here.

    Returns {"routes": {key: route name}, "objects": [external route objects], "skipped": [entry],
    "external_routes": {"ns/model": route facts}, "unprovided": ["ns/model" of the skipped ExternalModel
    models that no ExternalModel nor override describes]}.
    """
    out = {"routes": {}, "objects": [], "skipped": [], "external_routes": {}, "unprovided": []}
    for key in sorted(set(parsed["models"]) | _invalid_model_refs(parsed)):
        model, model_ref = parsed["models"].get(key), ref(*key)
        if key in parsed["blocked"]:
            out["skipped"].append(_skipped(model_ref, _blocked_reason(parsed["blocked"][key])))
        elif model["kind"] == "LLMInferenceService":
            if model_ref in routes:
                out["routes"][key] = routes[model_ref]
            else:
                out["skipped"].append(_skipped(model_ref, "no HTTPRoute resolved for LLMInferenceService %s"
                                               % model["name"]))
        else:
            endpoint = provider_endpoint(model, parsed["externals"])
            if endpoint is None:
                out["skipped"].append(_skipped(model_ref, unknown_provider_reason(model)))
                out["unprovided"].append(model_ref)
            elif gateway is None:
                out["skipped"].append(_skipped(model_ref, "no valid gateway: the Tenant is invalid"))
            else:
                out["objects"].extend(external_model_objects(model, endpoint, gateway, options))
                out["routes"][key] = external_route_name(model["name"])
                out["external_routes"][model_ref] = external_route_facts(model, gateway)
    return out


def _missing_models(parsed, routed) -> list:
    """Each reference of a valid MaaSAuthPolicy or MaaSSubscription to a model without a MaaSModelRef
    or without a route (models blocked by an invalid MaaSModelRef or ExternalModel are reported as
    skipped instead)."""
    missing = []
    for kind, crs in (("MaaSAuthPolicy", parsed["policies"]), ("MaaSSubscription", parsed["subscriptions"])):
        for cr in crs:
            named = cr["models"] if kind == "MaaSAuthPolicy" else cr["limits"]
            for model in sorted(set(named)):
                if model not in parsed["blocked"] and model not in routed:
                    missing.append({"kind": kind, "namespace": cr["namespace"], "name": cr["name"],
                                    "model": ref(*model)})
    return missing


def _kept_policy(kind, name, key, invalid) -> dict:
    """The skipped entry of a policy that only invalid CRs still ask for: kept as it is, if it exists."""
    crs = ", ".join("%s %s" % (producer_kind, cr) for producer_kind, cr in invalid)
    return {"kind": kind, "namespace": key[0], "name": name, "model": ref(*key),
            "reason": "not generated because %s %s invalid and no valid %s names model %s; an existing %s is "
                      "kept as it is" % (crs, "is" if len(invalid) == 1 else "are", invalid[0][0], ref(*key), kind)}


def _by_model(parsed) -> tuple:
    """({model: [MaaSAuthPolicy views]}, {model: [MaaSSubscription views]}) of the valid CRs."""
    policies_of, subscriptions_of = {}, {}
    for cr in parsed["policies"]:
        for key in dict.fromkeys(cr["models"]):
            policies_of.setdefault(key, []).append(cr)
    for cr in parsed["subscriptions"]:
        for key in cr["limits"]:
            subscriptions_of.setdefault(key, []).append(cr)
    return policies_of, subscriptions_of


def _model_policies(parsed, routed, options) -> tuple:
    """(the AuthPolicy and TokenRateLimitPolicy of every routed model that valid CRs name, the
    skipped entries of those only invalid CRs still ask for)."""
    policies_of, subscriptions_of = _by_model(parsed)
    objects, kept, memo = [], [], {}
    for key in sorted(routed):
        invalid = parsed["invalid_producers"].get(key, {})
        if policies_of.get(key):
            objects.append(auth_policy_for_model(key, routed[key], policies_of[key], subscriptions_of.get(key, []),
                                                 options))
        elif invalid.get("MaaSAuthPolicy"):
            kept.append(_kept_policy(AUTH_POLICY[1], auth_policy_name(key), key,
                                     [("MaaSAuthPolicy", cr) for cr in sorted(invalid["MaaSAuthPolicy"])]))
        if subscriptions_of.get(key):
            objects.append(trlp_for_model(key, routed[key], subscriptions_of[key], options, memo))
        elif invalid.get("MaaSSubscription"):
            kept.append(_kept_policy(TOKEN_RATE_LIMIT_POLICY[1], trlp_name(key), key,
                                     [("MaaSSubscription", cr) for cr in sorted(invalid["MaaSSubscription"])]))
    return objects, kept


def _gateway_objects(parsed, gateway, options) -> list:
    if gateway is None:
        return []
    producers = [parsed["tenant"]["producer"]] if parsed["tenant"] else []
    return (gateway_default_objects(gateway, options["managed_by"], producers)
            + tier_objects(gateway, options["tiers"], options["managed_by"], producers))


def _entry_order(entry) -> tuple:
    return entry["kind"], entry["namespace"], entry["name"], entry.get("model", ""), entry.get("reason", "")


def translate(parsed, routes, gateway, options) -> dict:
    """The objects enforcing already parsed CRs (validate.parse_resources) on `gateway`.

    `routes` maps "ns/model" to the HTTPRoute of each LLMInferenceService model. Returns what
    `generate` returns plus "external_routes": {"ns/model": route facts} of the generated routes and
    "unprovided": the skipped models whose ExternalModel is gone (their objects may be pruned).
    """
    if not options["allow_internal_endpoints"]:
        parsed = refuse_internal_endpoints(parsed)
    options = dict(options, oidc=(parsed["tenant"] or {}).get("oidc"))
    routed = _routed_models(parsed, routes, gateway, options)
    policies, kept = _model_policies(parsed, routed["routes"], options)
    objects = routed["objects"] + policies + _gateway_objects(parsed, gateway, options)
    return {
        "objects": sorted(objects, key=lambda o: (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])),
        "skipped": sorted(routed["skipped"] + kept, key=_entry_order),
        "invalid": sorted(parsed["invalid"], key=_entry_order),
        "missing_models": sorted(_missing_models(parsed, routed["routes"]), key=_entry_order),
        "external_routes": routed["external_routes"],
        "unprovided": routed["unprovided"],
    }


def generate(resources, routes=None, selection="groups", maas_api_url=DEFAULT_MAAS_API_URL,
             audiences=DEFAULT_AUDIENCES, managed_by=DEFAULT_MANAGED_BY, gateway=None, tiers=None,
             external_tls="destinationrule", cache_ttl=60, allow_internal_endpoints=False,
             service_entry=True, external_ca=None) -> dict:
    """Translate MaaS CRs into the Kuadrant and Gateway API objects that enforce them.

    Returns {"objects", "skipped", "invalid", "missing_models"}; the filter documentation
    (plugins/filter/maas_generate.yml) describes each field.
    """
    options = checked_options(resources, routes, gateway, selection=selection, maas_api_url=maas_api_url,
                              audiences=audiences, managed_by=managed_by, tiers=tiers,
                              external_tls=external_tls, cache_ttl=cache_ttl,
                              allow_internal_endpoints=allow_internal_endpoints, service_entry=service_entry,
                              external_ca=external_ca)
    parsed = parse_resources(resources, selection)
    result = translate(parsed, routes or {}, effective_gateway(gateway, parsed), options)
    return {key: result[key] for key in ("objects", "skipped", "invalid", "missing_models")}
