# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""MaaS custom resources read once into validated, normalised views.

`parse_resources` is the one place a CR is read: translation, route resolution and status all work
from the views it returns. A CR that fails validation becomes an `invalid` entry whose reason names
the CR, the field path and the value, and it is dropped alone: every model is generated from the
CRs that remain. Only an invalid MaaSModelRef or ExternalModel holds its model back (`blocked`:
nothing is generated, and nothing pruned, for it until it is fixed); an invalid MaaSAuthPolicy or
MaaSSubscription is recorded in `invalid_producers` for each model it names, so that translation
can keep an existing policy that only invalid CRs still ask for.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import CelValueError, cel_string
from ansible_collections.modelserving.maas.plugins.module_utils._maas.external import (
    parse_endpoint_override,
    parse_host,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    DEFAULT_GATEWAY,
    EXTERNAL_PORT_ANNOTATION,
    EXTERNAL_TLS_ANNOTATION,
    external_route_name,
    meta,
    namespace_name,
    ref,
)

# \Z, not $: $ also matches before a trailing newline, and a name with one must not pass.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_WINDOW = re.compile(r"^[1-9][0-9]{0,3}(s|m|h)\Z")
_WINDOW_DAYS = re.compile(r"^[0-9]+d\Z")
_MAX_WINDOW_HOURS = 8784  # 366 days, the reference controller's cap


class TranslationError(ValueError):
    """A bad parameter of the translation (not a bad CR: those are reported in `invalid`)."""


class InvalidResource(ValueError):
    """A CR field that fails validation; the message names the CR, the field path and the value."""


def quoted(value) -> str:
    """A value as it appears in an error message: JSON, so control characters stay visible."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def is_int(value) -> bool:
    """An integer that is not a bool (YAML's `true` must not pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _fail(kind, namespace, name, path, value, message):
    raise InvalidResource("%s %s/%s: %s %s: %s" % (kind, namespace, name, path, quoted(value), message))


def _fail_missing(kind, namespace, name, path, message="is required"):
    raise InvalidResource("%s %s/%s: %s %s" % (kind, namespace, name, path, message))


def _fail_field(kind, namespace, name, path, message):
    """A field wrong as a whole, not for its value: `spec.owner: must name at least one group or user`."""
    raise InvalidResource("%s %s/%s: %s: %s" % (kind, namespace, name, path, message))


# ---------------------------------------------------------------------------------------------
# field checks: each returns the checked value or raises InvalidResource


def _check_dns_label(kind, ns, name, path, value) -> str:
    if not isinstance(value, str) or not value:
        _fail_missing(kind, ns, name, path, "must be a non-empty string")
    if len(value) > 63 or not DNS_LABEL.match(value):
        _fail(kind, ns, name, path, value,
              "must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', "
              "starting and ending with a letter or digit)")
    return value


def _check_model_name(kind, ns, name, path, value) -> str:
    """A model's name: a DNS-1123 subdomain (`qwen3.v2`, as upstream allows) of at most 63 characters,
    since it is also the value of the model label."""
    if not isinstance(value, str) or not value:
        _fail_missing(kind, ns, name, path, "must be a non-empty string")
    if len(value) > 63 or not DNS_SUBDOMAIN.match(value):
        _fail(kind, ns, name, path, value,
              "must be a DNS-1123 subdomain of at most 63 characters (lower-case letters, digits, '-' and '.', "
              "each dot-separated part starting and ending with a letter or digit)")
    return value


def _check_identity(obj, kind) -> tuple:
    """Namespace and name of a CR; both end up in object names, labels and CEL literals."""
    ns, name = namespace_name(obj)
    if not ns or not name:
        raise InvalidResource("%s %s/%s: metadata.namespace and metadata.name are required"
                              % (kind, ns or "<none>", name or "<none>"))
    _check_dns_label(kind, ns, name, "metadata.namespace", ns)
    if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        _fail(kind, ns, name, "metadata.name", name, "must be a DNS-1123 subdomain")
    return ns, name


def _check_names(kind, ns, name, path, values, reject_comma) -> list:
    """Group or user names: non-empty strings that CEL can hold; commas rejected where asked."""
    if values is None:
        return []
    if not isinstance(values, list):
        _fail(kind, ns, name, path, values, "must be a list")
    out = []
    for i, value in enumerate(values):
        here = "%s[%d]" % (path, i)
        if isinstance(value, dict) and path.endswith("groups"):
            value = value.get("name")
            here += ".name"
        if not isinstance(value, str) or not value:
            _fail(kind, ns, name, here, value, "must be a non-empty string")
        if reject_comma and "," in value:
            _fail(kind, ns, name, here, value,
                  "group names cannot contain ',' in groups selection mode "
                  "(the identity's groups_str joins groups with ',')")
        try:
            cel_string(value)
        except CelValueError as exc:
            _fail(kind, ns, name, here, value, str(exc))
        if value not in out:
            out.append(value)
    return out


def _check_model_refs(kind, ns, name, refs, with_limits) -> list:
    """[(model key, token limits or None)] in the order written, each model once."""
    if not isinstance(refs, list) or not refs:
        _fail_missing(kind, ns, name, "spec.modelRefs", "must list at least one model")
    out, first_index = [], {}
    for i, model_ref in enumerate(refs):
        path = "spec.modelRefs[%d]" % i
        if not isinstance(model_ref, dict):
            _fail(kind, ns, name, path, model_ref, "must be a mapping with name and namespace")
        model = (_check_dns_label(kind, ns, name, path + ".namespace", model_ref.get("namespace")),
                 _check_model_name(kind, ns, name, path + ".name", model_ref.get("name")))
        if model in first_index:
            # Which entry would count is a guess the author should not have to make.
            _fail_field(kind, ns, name, path, "duplicates spec.modelRefs[%d] (%s)" % (first_index[model], ref(*model)))
        first_index[model] = i
        limits = _check_token_limits(kind, ns, name, path, model_ref.get("tokenRateLimits")) if with_limits else None
        out.append((model, limits))
    return out


def _check_window(kind, ns, name, path, window) -> str:
    if not isinstance(window, str):
        _fail(kind, ns, name, path, window, "must be a string such as 1m or 24h")
    if _WINDOW_DAYS.match(window):
        _fail(kind, ns, name, path, window, "days are not allowed (write 24h for a day)")
    if not _WINDOW.match(window):
        _fail(kind, ns, name, path, window, "must be 1 to 9999 followed by s, m or h")
    amount, unit = int(window[:-1]), window[-1]
    hours = amount / {"s": 3600.0, "m": 60.0, "h": 1.0}[unit]
    if hours > _MAX_WINDOW_HOURS:
        _fail(kind, ns, name, path, window, "must not be longer than 366 days (8784h)")
    return window


def _check_token_limits(kind, ns, name, path, limits) -> list:
    path += ".tokenRateLimits"
    if not isinstance(limits, list) or not limits:
        _fail_missing(kind, ns, name, path, "must list at least one limit")
    rates = []
    for i, item in enumerate(limits):
        here = "%s[%d]" % (path, i)
        if not isinstance(item, dict):
            _fail(kind, ns, name, here, item, "must be a mapping with limit and window")
        limit = item.get("limit")
        if not is_int(limit) or not 1 <= limit <= 1000000000:
            _fail(kind, ns, name, here + ".limit", limit, "must be an integer from 1 to 1000000000")
        rates.append({"limit": limit, "window": _check_window(kind, ns, name, here + ".window", item.get("window"))})
    return rates


def _spec(obj, kind, ns, name) -> dict:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        _fail_missing(kind, ns, name, "spec")
    return spec


# ---------------------------------------------------------------------------------------------
# one CR each: a normalised view, or InvalidResource


def _check_override(kind, ns, name, override):
    """The endpoint spec.endpointOverride names ({host, port, tls, path}), None when it is unset."""
    if override is None or override == "":
        return None
    if not isinstance(override, str):
        _fail(kind, ns, name, "spec.endpointOverride", override, "must be a string")
    try:
        return dict(parse_endpoint_override(override), address=override)
    except ValueError as exc:
        _fail(kind, ns, name, "spec.endpointOverride", override, str(exc))


def parse_model_ref(obj) -> dict:
    """A MaaSModelRef as {key, kind, name, endpoint_override (the text), override (the parsed
    endpoint or None), producer}."""
    kind = "MaaSModelRef"
    ns, name = _check_identity(obj, kind)
    _check_model_name(kind, ns, name, "metadata.name", name)
    spec = _spec(obj, kind, ns, name)
    model_ref = spec.get("modelRef")
    if not isinstance(model_ref, dict):
        _fail_missing(kind, ns, name, "spec.modelRef")
    target_kind = model_ref.get("kind")
    if target_kind not in ("LLMInferenceService", "ExternalModel"):
        _fail(kind, ns, name, "spec.modelRef.kind", target_kind, "must be LLMInferenceService or ExternalModel")
    target = model_ref.get("name")
    if not isinstance(target, str) or not target or len(target) > 253 or not DNS_SUBDOMAIN.match(target):
        _fail(kind, ns, name, "spec.modelRef.name", target, "must be a DNS-1123 subdomain of 1 to 253 characters")
    override = _check_override(kind, ns, name, spec.get("endpointOverride"))
    return {"key": (ns, name), "kind": target_kind, "name": target,
            "endpoint_override": override["address"] if override else "", "override": override,
            "producer": ref(ns, name)}


def parse_auth_policy(obj) -> dict:
    """A MaaSAuthPolicy as {ref, namespace, name, models, groups, users}."""
    kind = "MaaSAuthPolicy"
    ns, name = _check_identity(obj, kind)
    spec = _spec(obj, kind, ns, name)
    models = [m for m, _limits in _check_model_refs(kind, ns, name, spec.get("modelRefs"), with_limits=False)]
    subjects = spec.get("subjects")
    if not isinstance(subjects, dict):
        _fail_missing(kind, ns, name, "spec.subjects")
    groups = _check_names(kind, ns, name, "spec.subjects.groups", subjects.get("groups"), reject_comma=False)
    users = _check_names(kind, ns, name, "spec.subjects.users", subjects.get("users"), reject_comma=False)
    if not groups and not users:
        _fail_missing(kind, ns, name, "spec.subjects", "must name at least one group or user")
    return {"ref": ref(ns, name), "namespace": ns, "name": name, "models": models,
            "groups": groups, "users": users}


def _check_priority(kind, ns, name, priority) -> int:
    if priority is None:
        return 0
    if not is_int(priority) or not -2 ** 31 <= priority < 2 ** 31:
        _fail(kind, ns, name, "spec.priority", priority, "must be a 32-bit integer")
    return priority


def _metering(kind, ns, name, spec) -> dict:
    """spec.tokenMetadata's organizationId and costCenter (the telemetry labels), "" when unset."""
    metadata = spec.get("tokenMetadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        _fail(kind, ns, name, "spec.tokenMetadata", metadata, "must be a mapping")
    found = {}
    for field in ("organizationId", "costCenter"):
        value = metadata.get(field)
        if value is not None and not isinstance(value, str):
            _fail(kind, ns, name, "spec.tokenMetadata." + field, value, "must be a string")
        found[field] = value or ""
    return found


def parse_subscription(obj, selection) -> dict:
    """A MaaSSubscription as {ref, namespace, name, priority, groups, users, limits: {model: rates}},
    with its owners and names already quoted for CEL (they recur in the predicates of every model)."""
    kind = "MaaSSubscription"
    ns, name = _check_identity(obj, kind)
    spec = _spec(obj, kind, ns, name)
    owner = spec.get("owner")
    if owner is None:
        owner = {}
    if not isinstance(owner, dict):
        _fail(kind, ns, name, "spec.owner", owner, "must be a mapping with groups and users")
    groups = _check_names(kind, ns, name, "spec.owner.groups", owner.get("groups"),
                          reject_comma=selection == "groups")
    users = _check_names(kind, ns, name, "spec.owner.users", owner.get("users"), reject_comma=False)
    if not groups and not users:
        # It would grant nobody anything while its status said Active.
        _fail_field(kind, ns, name, "spec.owner", "must name at least one group or user")
    priority = _check_priority(kind, ns, name, spec.get("priority", 0))
    limits = dict(_check_model_refs(kind, ns, name, spec.get("modelRefs"), with_limits=True))
    return {"ref": ref(ns, name), "namespace": ns, "name": name, "priority": priority,
            "groups": groups, "users": users, "limits": limits, "metering": _metering(kind, ns, name, spec),
            "group_literals": tuple(sorted(cel_string(g) for g in groups)),
            "user_literals": tuple(sorted(cel_string(u) for u in users)),
            "ref_literal": cel_string(ref(ns, name)), "name_literal": cel_string(name)}


_PORT = re.compile(r"^[0-9]{1,5}\Z")
# What Go's strconv.ParseBool accepts (the reference controller reads the annotation with it).
_TRUE, _FALSE = ("1", "t", "true"), ("0", "f", "false")


def _check_text(kind, ns, name, path, value, limit) -> str:
    """A required string of 1 to `limit` printable characters (it ends up in a header or a label)."""
    if not isinstance(value, str) or not value:
        _fail_missing(kind, ns, name, path, "is required (a non-empty string)")
    if len(value) > limit or not value.isprintable():
        _fail(kind, ns, name, path, value, "must be 1 to %d printable characters" % limit)
    return value


def _external_endpoint(kind, ns, name, address) -> str:
    if not isinstance(address, str) or not address:
        _fail_missing(kind, ns, name, "spec.endpoint", "is required (the provider's host name, e.g. api.openai.com)")
    try:
        return parse_host(address)
    except ValueError as exc:
        _fail(kind, ns, name, "spec.endpoint", address, str(exc))


def _credential_name(kind, ns, name, credential_ref) -> str:
    if not isinstance(credential_ref, dict):
        _fail_missing(kind, ns, name, "spec.credentialRef", "is required (the Secret holding key api-key)")
    secret = credential_ref.get("name")
    if not isinstance(secret, str) or not secret:
        _fail_missing(kind, ns, name, "spec.credentialRef.name", "is required (the Secret holding key api-key)")
    if len(secret) > 253 or not DNS_SUBDOMAIN.match(secret):
        _fail(kind, ns, name, "spec.credentialRef.name", secret, "must be a Secret name (a DNS-1123 subdomain)")
    return secret


def _external_transport(kind, ns, name, annotations) -> tuple:
    """(tls, port) from the annotations, defaulting as the reference controller does: TLS on, port 443."""
    tls_text = annotations.get(EXTERNAL_TLS_ANNOTATION, "true")
    if not isinstance(tls_text, str) or tls_text.lower() not in _TRUE + _FALSE:
        _fail(kind, ns, name, "metadata.annotations[%s]" % EXTERNAL_TLS_ANNOTATION, tls_text, "must be true or false")
    port_text = annotations.get(EXTERNAL_PORT_ANNOTATION, "443")
    if not isinstance(port_text, str) or not _PORT.match(port_text) or not 1 <= int(port_text) <= 65535:
        _fail(kind, ns, name, "metadata.annotations[%s]" % EXTERNAL_PORT_ANNOTATION, port_text,
              "must be a port number from 1 to 65535")
    return tls_text.lower() in _TRUE, int(port_text)


def parse_external_model(obj) -> dict:
    """An ExternalModel as {key, provider, target_model, credential (the Secret's name), host, port,
    tls, path, address (spec.endpoint as written)}: what the provider is and how to reach it."""
    kind = "ExternalModel"
    ns, name = _check_identity(obj, kind)
    spec = _spec(obj, kind, ns, name)
    provider = _check_text(kind, ns, name, "spec.provider", spec.get("provider"), 63)
    target_model = _check_text(kind, ns, name, "spec.targetModel", spec.get("targetModel"), 253)
    host = _external_endpoint(kind, ns, name, spec.get("endpoint"))
    credential = _credential_name(kind, ns, name, spec.get("credentialRef"))
    tls, port = _external_transport(kind, ns, name, meta(obj).get("annotations") or {})
    return {"key": (ns, name), "provider": provider, "target_model": target_model, "credential": credential,
            "host": host, "port": port, "tls": tls, "path": "/", "address": spec["endpoint"]}


def parse_tenant_gateway(obj) -> dict:
    """The Gateway a Tenant names in spec.gatewayRef, each part defaulting as the CRD defaults it."""
    kind = "Tenant"
    ns, name = namespace_name(obj)
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    gateway_ref = spec.get("gatewayRef") if isinstance(spec.get("gatewayRef"), dict) else {}
    gateway = {"namespace": gateway_ref.get("namespace") or DEFAULT_GATEWAY["namespace"],
               "name": gateway_ref.get("name") or DEFAULT_GATEWAY["name"]}
    _check_dns_label(kind, ns, name, "spec.gatewayRef.namespace", gateway["namespace"])
    _check_dns_label(kind, ns, name, "spec.gatewayRef.name", gateway["name"])
    return gateway


_ISSUER_URL = re.compile(r"^https://\S+\Z")
_CLIENT_ID = re.compile(r"^\S+\Z")


def parse_tenant_oidc(obj):
    """The external OIDC issuer a Tenant names in spec.externalOIDC ({issuerUrl, clientId, ttl}),
    None when it names none; checked as the CRD checks it, since a JWT rule trusts the issuer."""
    kind = "Tenant"
    ns, name = namespace_name(obj)
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    oidc = spec.get("externalOIDC")
    if oidc is None:
        return None
    if not isinstance(oidc, dict):
        _fail(kind, ns, name, "spec.externalOIDC", oidc, "must be a mapping with issuerUrl and clientId")
    issuer, client, ttl = oidc.get("issuerUrl"), oidc.get("clientId"), oidc.get("ttl", 300)
    if not isinstance(issuer, str) or not 9 <= len(issuer) <= 2048 or not _ISSUER_URL.match(issuer):
        _fail(kind, ns, name, "spec.externalOIDC.issuerUrl", issuer, "must be an https:// URL of 9 to 2048 characters")
    if not isinstance(client, str) or not 1 <= len(client) <= 256 or not _CLIENT_ID.match(client):
        _fail(kind, ns, name, "spec.externalOIDC.clientId", client, "must be 1 to 256 characters without spaces")
    if not is_int(ttl) or ttl < 30:
        _fail(kind, ns, name, "spec.externalOIDC.ttl", ttl, "must be an integer of at least 30 (seconds)")
    try:
        cel_string(client)
    except CelValueError as exc:
        _fail(kind, ns, name, "spec.externalOIDC.clientId", client, str(exc))
    return {"issuerUrl": issuer, "clientId": client, "ttl": ttl}


def named_models(obj) -> list:
    """The (namespace, name) models a CR's spec.modelRefs names, read leniently: an invalid CR still
    reports them in its status, and the policies only it still asks for are kept as they are."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    refs = spec.get("modelRefs") if isinstance(spec.get("modelRefs"), list) else []
    return [(r["namespace"], r["name"]) for r in refs
            if isinstance(r, dict) and isinstance(r.get("namespace"), str) and isinstance(r.get("name"), str)]


# ---------------------------------------------------------------------------------------------
# every CR of a run


def unique_objects(objs) -> list:
    """One object per (kind, namespace, name), sorted by it; identical duplicates collapse, and
    differing ones resolve by content, so the input order never matters."""
    chosen = {}
    for obj in objs:
        key = (str(obj.get("kind")),) + namespace_name(obj)
        if key not in chosen:
            chosen[key] = obj
        elif json.dumps(obj, sort_keys=True, default=str) > json.dumps(chosen[key], sort_keys=True, default=str):
            chosen[key] = obj
    return [chosen[k] for k in sorted(chosen)]


# The kinds whose invalid CR holds its whole model back; an invalid CR of another kind is dropped alone.
MODEL_KINDS = ("MaaSModelRef", "ExternalModel")


def record_invalid(parsed, kind, ns, name, models, reason):
    """Report CR `kind` ns/name as invalid for `reason`; a MaaSModelRef or ExternalModel blocks the
    models it names, any other kind is remembered per model as an invalid producer of that kind."""
    parsed["invalid"].append({"kind": kind, "namespace": ns, "name": name, "reason": reason})
    for model in models:
        if kind in MODEL_KINDS:
            parsed["blocked"].setdefault(model, set()).add("%s %s" % (kind, ref(ns, name)))
        else:
            parsed["invalid_producers"].setdefault(model, {}).setdefault(kind, set()).add(ref(ns, name))


def _reject(parsed, kind, obj, exc, models=()):
    record_invalid(parsed, kind, *namespace_name(obj), models=models, reason=str(exc))


def _parse_tenants(parsed, tenants):
    # The first valid Tenant names the gateway; the ones after it are not read at all.
    for obj in tenants:
        try:
            parsed["tenant"] = {"gateway": parse_tenant_gateway(obj), "oidc": parse_tenant_oidc(obj),
                                "producer": ref(*namespace_name(obj))}
            return
        except InvalidResource as exc:
            _reject(parsed, "Tenant", obj, exc)


def models_of_external(parsed, ns, name) -> list:
    """The MaaSModelRefs whose model is ExternalModel ns/name."""
    return [k for k, m in parsed["models"].items() if m["kind"] == "ExternalModel" and k[0] == ns and m["name"] == name]


def _reject_shared_targets(parsed):
    """MaaSModelRefs of one namespace naming the same ExternalModel are all invalid: its generated
    HTTPRoute maas-<name> and Service are one per ExternalModel and can serve only one of them."""
    by_target = {}
    for key, model in sorted(parsed["models"].items()):
        if model["kind"] == "ExternalModel":
            by_target.setdefault((key[0], model["name"]), []).append(key)
    for (ns, target), keys in sorted(by_target.items()):
        for key in keys if len(keys) > 1 else []:
            others = ", ".join(ref(*k) for k in keys if k != key)
            del parsed["models"][key]
            record_invalid(parsed, "MaaSModelRef", key[0], key[1], [key], reason=(
                "MaaSModelRef %s: spec.modelRef.name %s: ExternalModel %s is also the model of MaaSModelRef %s; "
                "its route %s serves one model" % (ref(*key), quoted(target), ref(ns, target), others,
                                                   external_route_name(target))))


def _parse_models(parsed, model_refs, externals):
    """MaaSModelRefs, then ExternalModels: an invalid ExternalModel blocks the models pointing at it."""
    for obj in model_refs:
        try:
            model = parse_model_ref(obj)
        except InvalidResource as exc:
            ns, name = namespace_name(obj)
            _reject(parsed, "MaaSModelRef", obj, exc, [(ns, name)] if ns and name else [])
            continue
        parsed["models"][model["key"]] = model
    _reject_shared_targets(parsed)
    for obj in externals:
        try:
            external = parse_external_model(obj)
        except InvalidResource as exc:
            _reject(parsed, "ExternalModel", obj, exc, models_of_external(parsed, *namespace_name(obj)))
            continue
        parsed["externals"][external["key"]] = external


def _parse_model_users(parsed, kind, objs, parse, into):
    """MaaSAuthPolicies or MaaSSubscriptions; the models each names are kept for its status."""
    for obj in objs:
        named = named_models(obj)
        parsed["named_models"][(kind,) + namespace_name(obj)] = named
        try:
            parsed[into].append(parse(obj))
        except InvalidResource as exc:
            _reject(parsed, kind, obj, exc, named)


def parse_resources(resources, selection) -> dict:
    """Every MaaS CR of `resources`, each validated once (other kinds are ignored).

    Returns {"tenant": {gateway, producer} or None, "has_tenant", "models": {key: MaaSModelRef},
    "externals": {key: ExternalModel}, "policies", "subscriptions", "invalid": [entry],
    "blocked": {model key: {"Kind ns/name" of its invalid MaaSModelRef or ExternalModel}},
    "invalid_producers": {model key: {kind: {"ns/name" of the invalid MaaSAuthPolicies or MaaSSubscriptions naming it}}},
    "named_models": {(kind, namespace, name): [model key]} for every MaaSAuthPolicy and MaaSSubscription}.
    """
    by_kind = {}
    for obj in unique_objects(resources):
        by_kind.setdefault(obj.get("kind"), []).append(obj)
    parsed = {"tenant": None, "has_tenant": bool(by_kind.get("Tenant")), "models": {}, "externals": {},
              "policies": [], "subscriptions": [], "invalid": [], "blocked": {},
              "invalid_producers": {}, "named_models": {}}
    _parse_tenants(parsed, by_kind.get("Tenant", []))
    _parse_models(parsed, by_kind.get("MaaSModelRef", []), by_kind.get("ExternalModel", []))
    _parse_model_users(parsed, "MaaSAuthPolicy", by_kind.get("MaaSAuthPolicy", []), parse_auth_policy, "policies")
    _parse_model_users(parsed, "MaaSSubscription", by_kind.get("MaaSSubscription", []),
                       lambda obj: parse_subscription(obj, selection), "subscriptions")
    return parsed
