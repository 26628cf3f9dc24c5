# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Translation of MaaS custom resources into Gateway API and Kuadrant objects (SPEC section 3).

`generate` is the entry point: MaaS CRs (and the resolved HTTPRoute of each model) in, Kubernetes
objects out. Everything here is a pure function of its arguments: no cluster access, no clock, no
randomness, and the output does not depend on the order the CRs come in.

Per model, one AuthPolicy `maas-auth-<model>` aggregates every MaaSAuthPolicy naming the model and
one TokenRateLimitPolicy `maas-trlp-<model>` aggregates every MaaSSubscription naming it. A CR that
fails validation is reported in `invalid` and nothing at all is generated for the models it names,
so a caller that applies and prunes per model leaves those models exactly as they are.

Names reach CEL only through `_cel.cel_string`; predicates guard every optional map key, so each
one evaluates to true or false for any request (absent header, absent identity field, no groups).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import (
    CelValueError,
    all_of,
    any_of,
    cel_string,
    header_present,
    negate,
)

DEFAULT_MAAS_API_URL = "https://maas-api.opendatahub.svc.cluster.local:8443"
DEFAULT_AUDIENCES = ("https://kubernetes.default.svc", "maas-default-gateway-sa")
DEFAULT_GATEWAY = {"namespace": "openshift-ingress", "name": "maas-default-gateway"}
DEFAULT_MANAGED_BY = "maas-controller"
SELECTION_MODES = ("groups", "subscription")
EXTERNAL_TLS_MODES = ("destinationrule", "backendtlspolicy")

MAAS_GROUP = "maas.opendatahub.io"
PART_OF = "models-as-a-service"
PRODUCERS_ANNOTATION = "maas.opendatahub.io/producers"
MODEL_LABEL = "maas.opendatahub.io/model"
MODEL_NAMESPACE_LABEL = "maas.opendatahub.io/model-namespace"
SUBSCRIPTION_HEADER = "x-maas-subscription"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
# Paths the gateway-default-deny TokenRateLimitPolicy leaves alone (maas-api's own endpoints).
MANAGEMENT_PATH_PREFIXES = ("/maas-api", "/v1/models", "/v1/api-keys", "/v1/subscriptions")
KSERVE_ROUTE_LABELS = {
    "app.kubernetes.io/component": "llminferenceservice-router",
    "app.kubernetes.io/part-of": "llminferenceservice",
}

# \Z, not $: $ also matches before a trailing newline, and a name with one must not pass.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_WINDOW = re.compile(r"^[1-9][0-9]{0,3}(s|m|h)\Z")
_WINDOW_DAYS = re.compile(r"^[0-9]+d\Z")
_HOSTNAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?\Z")
_MAX_WINDOW_HOURS = 8784  # 366 days, the reference controller's cap


class TranslationError(ValueError):
    """A bad parameter of `generate` (not a bad CR: those are reported in `invalid`)."""


class InvalidResource(ValueError):
    """A CR field that fails validation; the message names the CR, the field path and the value."""


# ---------------------------------------------------------------------------------------------
# small helpers


def _meta(obj):
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def _ns_name(obj):
    meta = _meta(obj)
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _ref(namespace, name):
    return "%s/%s" % (namespace, name)


def _quote(value):
    """A value as it appears in an error message: JSON, so control characters stay visible."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _fail(kind, namespace, name, path, value, message):
    raise InvalidResource("%s %s/%s: %s %s: %s" % (kind, namespace, name, path, _quote(value), message))


def _fail_missing(kind, namespace, name, path, message="is required"):
    raise InvalidResource("%s %s/%s: %s %s" % (kind, namespace, name, path, message))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _short_name(prefix, name, limit):
    """`prefix + name`, or a truncated form with a stable hash suffix when that exceeds `limit`."""
    full = prefix + name
    if len(full) <= limit:
        return full
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return (full[:limit - 11].rstrip("-.") + "-" + digest)


def _labels(managed_by, component, model=None):
    labels = {
        "app.kubernetes.io/managed-by": managed_by,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": component,
    }
    if model is not None:
        labels[MODEL_LABEL] = model[1]
        labels[MODEL_NAMESPACE_LABEL] = model[0]
    return labels


def _metadata(name, namespace, managed_by, component, producers, model=None):
    return {
        "name": name,
        "namespace": namespace,
        "labels": _labels(managed_by, component, model),
        "annotations": {PRODUCERS_ANNOTATION: ",".join(sorted(set(producers)))},
    }


def _target(kind, name):
    return {"group": GATEWAY_API_GROUP, "kind": kind, "name": name}


# ---------------------------------------------------------------------------------------------
# validation: each returns a normalised, validated view of one CR or raises InvalidResource


def _check_dns_label(kind, ns, name, path, value):
    if not isinstance(value, str) or not value:
        _fail_missing(kind, ns, name, path, "must be a non-empty string")
    if len(value) > 63 or not _DNS_LABEL.match(value):
        _fail(kind, ns, name, path, value,
              "must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', "
              "starting and ending with a letter or digit)")
    return value


def _check_identity(obj, kind):
    """Namespace and name of a CR; both end up in object names, labels and CEL literals."""
    ns, name = _ns_name(obj)
    if not ns or not name:
        raise InvalidResource("%s %s/%s: metadata.namespace and metadata.name are required"
                              % (kind, ns or "<none>", name or "<none>"))
    _check_dns_label(kind, ns, name, "metadata.namespace", ns)
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        _fail(kind, ns, name, "metadata.name", name, "must be a DNS-1123 subdomain")
    return ns, name


def _check_names(kind, ns, name, path, values, reject_comma):
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


def _check_model_refs(kind, ns, name, refs, with_limits):
    if not isinstance(refs, list) or not refs:
        _fail_missing(kind, ns, name, "spec.modelRefs", "must list at least one model")
    out = []
    for i, ref in enumerate(refs):
        path = "spec.modelRefs[%d]" % i
        if not isinstance(ref, dict):
            _fail(kind, ns, name, path, ref, "must be a mapping with name and namespace")
        model = (_check_dns_label(kind, ns, name, path + ".namespace", ref.get("namespace")),
                 _check_dns_label(kind, ns, name, path + ".name", ref.get("name")))
        limits = _check_token_limits(kind, ns, name, path, ref.get("tokenRateLimits")) if with_limits else None
        out.append((model, limits))
    return out


def _check_window(kind, ns, name, path, window):
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


def _check_token_limits(kind, ns, name, path, limits):
    path += ".tokenRateLimits"
    if not isinstance(limits, list) or not limits:
        _fail_missing(kind, ns, name, path, "must list at least one limit")
    rates = []
    for i, item in enumerate(limits):
        here = "%s[%d]" % (path, i)
        if not isinstance(item, dict):
            _fail(kind, ns, name, here, item, "must be a mapping with limit and window")
        limit = item.get("limit")
        if not _is_int(limit) or not 1 <= limit <= 1000000000:
            _fail(kind, ns, name, here + ".limit", limit, "must be an integer from 1 to 1000000000")
        rates.append({"limit": limit, "window": _check_window(kind, ns, name, here + ".window", item.get("window"))})
    return rates


def _spec(obj, kind, ns, name):
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        _fail_missing(kind, ns, name, "spec")
    return spec


def parse_model_ref(obj):
    """A MaaSModelRef as {key, kind, name, endpoint_override, producer}."""
    kind = "MaaSModelRef"
    ns, name = _check_identity(obj, kind)
    _check_dns_label(kind, ns, name, "metadata.name", name)
    spec = _spec(obj, kind, ns, name)
    model_ref = spec.get("modelRef")
    if not isinstance(model_ref, dict):
        _fail_missing(kind, ns, name, "spec.modelRef")
    target_kind = model_ref.get("kind")
    if target_kind not in ("LLMInferenceService", "ExternalModel"):
        _fail(kind, ns, name, "spec.modelRef.kind", target_kind, "must be LLMInferenceService or ExternalModel")
    target = model_ref.get("name")
    if not isinstance(target, str) or not target or len(target) > 253 or not _DNS_SUBDOMAIN.match(target):
        _fail(kind, ns, name, "spec.modelRef.name", target, "must be a DNS-1123 subdomain of 1 to 253 characters")
    if target_kind == "ExternalModel" and len("maas-" + target) > 253:
        _fail(kind, ns, name, "spec.modelRef.name", target,
              "is too long for the HTTPRoute maas-<name> (at most 248 characters)")
    override = spec.get("endpointOverride")
    if override is not None and not isinstance(override, str):
        _fail(kind, ns, name, "spec.endpointOverride", override, "must be a string")
    return {"key": (ns, name), "kind": target_kind, "name": target, "endpoint_override": override or "",
            "producer": _ref(ns, name)}


def parse_auth_policy(obj):
    """A MaaSAuthPolicy as {ref, models, groups, users}."""
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
    return {"ref": _ref(ns, name), "namespace": ns, "name": name, "models": models,
            "groups": groups, "users": users}


def parse_subscription(obj, selection):
    """A MaaSSubscription as {ref, namespace, name, priority, groups, users, limits: {model: rates}}."""
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
    priority = spec.get("priority", 0)
    if priority is None:
        priority = 0
    if not _is_int(priority) or not -2 ** 31 <= priority < 2 ** 31:
        _fail(kind, ns, name, "spec.priority", priority, "must be a 32-bit integer")
    limits = {}
    for model, rates in _check_model_refs(kind, ns, name, spec.get("modelRefs"), with_limits=True):
        # Like the reference controller, the first entry for a model counts.
        limits.setdefault(model, rates)
    # Quoted once here: a subscription's owners recur in the predicates of every model it names.
    return {"ref": _ref(ns, name), "namespace": ns, "name": name, "priority": priority,
            "groups": groups, "users": users, "limits": limits,
            "group_literals": tuple(sorted(cel_string(g) for g in groups)),
            "user_literals": tuple(sorted(cel_string(u) for u in users)),
            "ref_literal": cel_string(_ref(ns, name)), "name_literal": cel_string(name)}


def parse_external_model(obj):
    """An ExternalModel as {key, host, port, tls}: where the provider is and how to reach it."""
    kind = "ExternalModel"
    ns, name = _check_identity(obj, kind)
    spec = _spec(obj, kind, ns, name)
    host = spec.get("endpoint")
    if not isinstance(host, str) or not host or len(host) > 253 or not _HOSTNAME.match(host):
        _fail(kind, ns, name, "spec.endpoint", host, "must be a host name (FQDN)")
    annotations = _meta(obj).get("annotations") or {}
    tls_text = str(annotations.get(MAAS_GROUP + "/tls", "true")).lower()
    if tls_text not in ("true", "false"):
        _fail(kind, ns, name, "metadata.annotations[%s/tls]" % MAAS_GROUP, tls_text, "must be true or false")
    tls = tls_text == "true"
    port_text = annotations.get(MAAS_GROUP + "/port", "443" if tls else "80")
    try:
        port = int(str(port_text))
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        _fail(kind, ns, name, "metadata.annotations[%s/port]" % MAAS_GROUP, port_text, "must be a port from 1 to 65535")
    return {"key": (ns, name), "host": host.lower(), "port": port, "tls": tls}


def endpoint_from_override(override):
    """{host, port, tls} from a MaaSModelRef's spec.endpointOverride (a URL or a bare host), or None."""
    text = override.strip()
    tls = True
    if "://" in text:
        scheme, _sep, text = text.partition("://")
        if scheme.lower() not in ("http", "https"):
            return None
        tls = scheme.lower() == "https"
    hostport = re.split(r"[/?#]", text, maxsplit=1)[0]
    host, _sep, port_text = hostport.partition(":")
    if not host or len(host) > 253 or not _HOSTNAME.match(host):
        return None
    port = 443 if tls else 80
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            return None
        port = int(port_text)
    return {"host": host.lower(), "port": port, "tls": tls}


def parse_tenant_gateway(obj):
    kind = "Tenant"
    ns, name = _ns_name(obj)
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    ref = spec.get("gatewayRef") if isinstance(spec.get("gatewayRef"), dict) else {}
    gateway = {"namespace": ref.get("namespace") or DEFAULT_GATEWAY["namespace"],
               "name": ref.get("name") or DEFAULT_GATEWAY["name"]}
    _check_dns_label(kind, ns, name, "spec.gatewayRef.namespace", gateway["namespace"])
    _check_dns_label(kind, ns, name, "spec.gatewayRef.name", gateway["name"])
    return gateway


# ---------------------------------------------------------------------------------------------
# routes (SPEC 3.3)


def _parent_is_gateway(parent, route_namespace, gateway):
    return (isinstance(parent, dict)
            and (parent.get("group") or GATEWAY_API_GROUP) == GATEWAY_API_GROUP
            and (parent.get("kind") or "Gateway") == "Gateway"
            and (parent.get("namespace") or route_namespace) == gateway["namespace"]
            and parent.get("name") == gateway["name"])


def _labels_match(labels, wanted):
    return isinstance(labels, dict) and all(labels.get(k) == v for k, v in wanted.items())


def route_for_model(service_name, namespace, httproutes, gateway=None):
    """The KServe HTTPRoute of LLMInferenceService `service_name`: (route name, None) or (None, reason).

    KServe labels the route it creates for an LLMInferenceService; the route must also be attached
    to the tenant gateway (a parentRef whose namespace defaults to the route's own). When several
    match, the first by name is taken, so the answer does not depend on list order.
    """
    gateway = gateway or DEFAULT_GATEWAY
    wanted = dict(KSERVE_ROUTE_LABELS, **{"app.kubernetes.io/name": service_name})
    candidates = sorted(
        (r for r in httproutes or [] if isinstance(r, dict) and _ns_name(r)[0] == namespace
         and _labels_match(_meta(r).get("labels"), wanted)),
        key=lambda r: _ns_name(r)[1])
    if not candidates:
        return None, ("no HTTPRoute in namespace %s is labelled %s" % (
            namespace, ", ".join("%s=%s" % kv for kv in sorted(wanted.items()))))
    for route in candidates:
        parents = (route.get("spec") or {}).get("parentRefs") or []
        if any(_parent_is_gateway(p, namespace, gateway) for p in parents):
            return _ns_name(route)[1], None
    return None, "HTTPRoute %s/%s is not attached to gateway %s/%s" % (
        namespace, _ns_name(candidates[0])[1], gateway["namespace"], gateway["name"])


def resolve_routes(resources, httproutes, gateway=None):
    """For every LLMInferenceService MaaSModelRef: {"routes": {"ns/model": route}, "unresolved": {"ns/model": reason}}."""
    routes, unresolved = {}, {}
    # Routes by (namespace, app.kubernetes.io/name), so each model looks at its own few, not all.
    by_service = {}
    for route in httproutes or []:
        if isinstance(route, dict):
            labels = _meta(route).get("labels")
            service = labels.get("app.kubernetes.io/name") if isinstance(labels, dict) else None
            by_service.setdefault((_ns_name(route)[0], service), []).append(route)
    for obj in resources or []:
        if not isinstance(obj, dict) or obj.get("kind") != "MaaSModelRef":
            continue
        try:
            model = parse_model_ref(obj)
        except InvalidResource:
            continue
        if model["kind"] != "LLMInferenceService":
            continue
        key = _ref(*model["key"])
        name, reason = route_for_model(model["name"], model["key"][0],
                                       by_service.get((model["key"][0], model["name"]), []), gateway)
        if name:
            routes[key] = name
        else:
            unresolved[key] = reason
    return {"routes": dict(sorted(routes.items())), "unresolved": dict(sorted(unresolved.items()))}


def external_model_objects(model, endpoint, gateway, external_tls, managed_by):
    """HTTPRoute maas-<name>, its ExternalName Service and TLS origination for an ExternalModel."""
    ns, model_name = model["key"]
    target = model["name"]
    route_name = "maas-" + target
    service_name = _short_name("maas-", target, 63)
    producers = [model["producer"]]
    key = model["key"]
    port = endpoint["port"]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(service_name, ns, managed_by, "route", producers, key),
        "spec": {
            "type": "ExternalName",
            "externalName": endpoint["host"],
            "ports": [{"name": "https" if endpoint["tls"] else "http", "port": port, "protocol": "TCP"}],
        },
    }
    route = {
        "apiVersion": GATEWAY_API_GROUP + "/v1",
        "kind": "HTTPRoute",
        "metadata": _metadata(route_name, ns, managed_by, "route", producers, key),
        "spec": {
            "parentRefs": [{"group": GATEWAY_API_GROUP, "kind": "Gateway",
                            "namespace": gateway["namespace"], "name": gateway["name"]}],
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": "/%s/%s" % (ns, model_name)}}],
                "filters": [{"type": "URLRewrite", "urlRewrite": {
                    "hostname": endpoint["host"],
                    "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}],
                "backendRefs": [{"group": "", "kind": "Service", "name": service_name, "port": port}],
                "timeouts": {"request": "300s"},
            }],
        },
    }
    objects = [service, route]
    if not endpoint["tls"]:
        return objects
    if external_tls == "backendtlspolicy":
        objects.append({
            "apiVersion": GATEWAY_API_GROUP + "/v1",
            "kind": "BackendTLSPolicy",
            "metadata": _metadata(service_name, ns, managed_by, "route", producers, key),
            "spec": {
                "targetRefs": [{"group": "", "kind": "Service", "name": service_name}],
                "validation": {"hostname": endpoint["host"], "wellKnownCACertificates": "System"},
            },
        })
    else:
        objects.append({
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": _metadata(service_name, ns, managed_by, "route", producers, key),
            "spec": {
                "host": "%s.%s.svc.cluster.local" % (service_name, ns),
                "trafficPolicy": {"portLevelSettings": [{
                    "port": {"number": port},
                    "tls": {"mode": "SIMPLE", "sni": endpoint["host"]},
                }]},
            },
        })
    return objects


# ---------------------------------------------------------------------------------------------
# CEL for the AuthPolicy (evaluated by Authorino)

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


def membership_predicate(groups, users):
    """The caller's groups (a list) or username match one of the subjects (OR over all of them)."""
    terms = []
    if groups:
        terms.append("%s.exists(g, %s)" % (GROUPS, " || ".join("g == %s" % cel_string(g) for g in groups)))
    if users:
        terms.append("%s in [%s]" % (USERNAME, ", ".join(cel_string(u) for u in users)))
    return any_of(terms)


def _selected_subscription_key(model):
    return ('((%s && "namespace" in %s && "name" in %s) ? %s.namespace + "/" + %s.name + %s : "")'
            % (HAS_SI, SI, SI, SI, SI, cel_string("@%s/%s" % model)))


def auth_policy_for_model(model, route, policies, selection, maas_api_url, audiences, managed_by, cache_ttl):
    """AuthPolicy maas-auth-<model> on the model's HTTPRoute, aggregating `policies` (SPEC 3.1)."""
    ns, name = model
    groups = sorted(set(g for p in policies for g in p["groups"]))
    users = sorted(set(u for p in policies for u in p["users"]))
    subscription_mode = selection == "subscription"
    metadata = {
        "apiKeyValidation": {
            "when": [{"predicate": IS_API_KEY}],
            "http": {
                "url": maas_api_url + "/internal/v1/api-keys/validate",
                "method": "POST",
                "contentType": "application/json",
                "body": {"expression": '{"key": %s}' % RAW_KEY},
            },
            "cache": {"key": {"expression": RAW_KEY}, "ttl": cache_ttl},
            "metrics": False,
            "priority": 0,
        },
    }
    authorization = {
        "api-key-valid": {
            "patternMatching": {"patterns": [{"predicate": "%s || (%s)" % (IS_NOT_API_KEY, API_KEY_VALID)}]},
            "metrics": False,
            "priority": 0,
        },
        "require-group-membership": {
            "patternMatching": {"patterns": [{"predicate": membership_predicate(groups, users)}]},
            "metrics": False,
            "priority": 0,
        },
    }
    if subscription_mode:
        metadata["subscription-info"] = {
            "http": {
                "url": maas_api_url + "/internal/v1/subscriptions/select",
                "method": "POST",
                "contentType": "application/json",
                "body": {"expression": '{"groups": %s, "username": %s, "requestedSubscription": %s, "requestedModel": %s}'
                                       % (GROUPS, USERNAME, REQUESTED_SUBSCRIPTION, cel_string(_ref(ns, name)))},
            },
            "cache": {"key": {"expression": '%s + "|" + %s.join(",") + "|" + %s' % (USERNAME, GROUPS, REQUESTED_SUBSCRIPTION)},
                      "ttl": cache_ttl},
            "metrics": False,
            "priority": 1,
        }
        authorization["subscription-valid"] = {
            "patternMatching": {"patterns": [{"predicate": SUBSCRIPTION_SELECTED}]},
            "metrics": False,
            "priority": 1,
        }
        selected = '((%s && "name" in %s) ? %s.name : "")' % (HAS_SI, SI, SI)
        subscription_header = {
            "when": [{"predicate": '%s && "namespace" in %s && "name" in %s && %s.name != ""' % (HAS_SI, SI, SI, SI)}],
            "plain": {"expression": '((%s && "namespace" in %s && "name" in %s) ? %s.namespace + "/" + %s.name : "")'
                                    % (HAS_SI, SI, SI, SI, SI)},
            "metrics": False,
            "priority": 0,
        }
        identity_subscription = {
            "selected_subscription": {"expression": selected},
            "selected_subscription_key": {"expression": _selected_subscription_key(model)},
            "subscription_info": {"expression": "((%s) ? %s : {})" % (HAS_SI, SI)},
        }
    else:
        subscription_header = {
            "when": [{"predicate": '(%s && has(%s.subscription) && %s.subscription != "") || %s'
                                   % (HAS_AK, AK, AK, header_present(SUBSCRIPTION_HEADER))}],
            "plain": {"expression": REQUESTED_SUBSCRIPTION},
            "metrics": False,
            "priority": 0,
        }
        identity_subscription = {
            "selected_subscription": {"expression": REQUESTED_SUBSCRIPTION},
            "selected_subscription_key": {"expression": '""'},
            "subscription_info": {"expression": "{}"},
        }
    identity = {
        "userid": {"expression": USERNAME},
        "groups": {"expression": GROUPS},
        "groups_str": {"expression": '%s.join(",")' % GROUPS},
        "keyId": {"expression": KEY_ID},
    }
    identity.update(identity_subscription)
    return {
        "apiVersion": "kuadrant.io/v1",
        "kind": "AuthPolicy",
        "metadata": _metadata("maas-auth-" + name, ns, managed_by, "auth-policy",
                              [p["ref"] for p in policies], model),
        "spec": {
            "targetRef": _target("HTTPRoute", route),
            "rules": {
                "authentication": {
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
                },
                "metadata": metadata,
                "authorization": authorization,
                "response": {
                    "success": {
                        "headers": {"X-MaaS-Subscription": subscription_header},
                        "filters": {
                            "identity": {
                                "json": {"properties": dict(sorted(identity.items()))},
                                "metrics": True,
                                "priority": 0,
                            },
                        },
                    },
                    "unauthenticated": {"code": 401, "message": {"value": "Authentication required"}},
                    "unauthorized": {
                        "code": 403,
                        "message": {"expression": '(%s && "message" in %s && %s.message != "") ? %s.message : "Access denied"'
                                                  % (HAS_SI, SI, SI, SI)} if subscription_mode
                        else {"value": "Access denied"},
                    },
                },
            },
        },
    }


# ---------------------------------------------------------------------------------------------
# CEL for the TokenRateLimitPolicy (evaluated by Kuadrant's wasm-shim)

GROUPS_STR = "auth.identity.groups_str"
HEADER = 'request.headers[%s]' % cel_string(SUBSCRIPTION_HEADER)
HAS_HEADER = header_present(SUBSCRIPTION_HEADER)
NOT_MODELS_LIST = '!request.path.endsWith("/v1/models")'


def owner_predicate(groups, users):
    """The caller owns the subscription: one of its groups (from groups_str) or its user id matches.

    `groups_str` and `userid` are guarded so that a caller without them simply does not match. The
    wasm-shim presents an absent identity field as null, so groups_str is also checked against null
    before split() is called on it.
    """
    return _owner_text([cel_string(g) for g in groups], [cel_string(u) for u in users])


def _owner_text(group_literals, user_literals):
    terms = []
    if group_literals:
        terms.append('has(%s) && %s != null && %s.split(",").exists(g, %s)' % (
            GROUPS_STR, GROUPS_STR, GROUPS_STR, " || ".join(["g == " + lit for lit in group_literals])))
    if user_literals:
        terms.append("has(auth.identity.userid) && (%s)" % " || ".join(
            ["auth.identity.userid == " + lit for lit in user_literals]))
    return any_of(terms)


def _header_is(literal):
    """The subscription header is present and equals the (already quoted) `literal`."""
    return "%s && %s == %s" % (HAS_HEADER, HEADER, literal)


def _header_names(sub):
    """The header names `sub`, as <ns>/<name> or as <name>."""
    return "%s && (%s == %s || %s == %s)" % (HAS_HEADER, HEADER, sub["ref_literal"], HEADER, sub["name_literal"])


def _max_limit(sub, model):
    return max(rate["limit"] for rate in sub["limits"][model])


def rank_subscriptions(subscriptions, model):
    """Highest first: priority desc, then largest limit for this model desc, then ns/name asc."""
    return sorted(subscriptions, key=lambda s: (-s["priority"], -_max_limit(s, model), s["namespace"], s["name"]))


def _owns_any(subs, memo):
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


def _deny():
    return [{"limit": 0, "window": "1m"}]


def groups_mode_limits(model, ranked, memo=None):
    """spec.limits for the `groups` selection mode (SPEC 3.2): one limit per subscription plus the denies.

    `memo` caches owner predicates across models (the same owners recur in every model's policy).
    """
    ns, name = model
    limits = {}
    memo = {} if memo is None else memo
    owns = {s["ref"]: _owns_any([s], memo) for s in ranked}
    for index, sub in enumerate(ranked):
        higher = ranked[:index]
        higher_same_name = [s for s in higher if s["name"] == sub["name"]]
        picked = any_of([_header_is(sub["ref_literal"]),
                         all_of([_header_is(sub["name_literal"])] + ([negate(_owns_any(higher_same_name, memo))] if higher_same_name else []))])
        default = all_of([negate(HAS_HEADER)] + ([negate(_owns_any(higher, memo))] if higher else []))
        limits["%s-%s-%s-tokens" % (sub["namespace"], sub["name"], name)] = {
            "rates": [dict(r) for r in sub["limits"][model]],
            "when": [{"predicate": owns[sub["ref"]]}, {"predicate": any_of([picked, default])}],
            "counters": [{"expression": "auth.identity.userid"}],
        }
    for sub in ranked:
        same_name = [s for s in ranked if s["name"] == sub["name"]]
        if len(same_name) == 1:
            not_member = all_of([_header_names(sub), negate(owns[sub["ref"]])])
        else:
            not_member = any_of([all_of([_header_is(sub["ref_literal"]), negate(owns[sub["ref"]])]),
                                 all_of([_header_is(sub["name_literal"]), negate(_owns_any(same_name, memo))])])
        limits["deny-not-member-%s-%s" % (sub["name"], name) if len(same_name) == 1
               else "deny-not-member-%s-%s-%s" % (sub["namespace"], sub["name"], name)] = {
            "rates": _deny(),
            "when": [{"predicate": not_member}],
        }
    limits["deny-unsubscribed-%s" % name] = {
        "rates": _deny(),
        "when": [{"predicate": negate(_owns_any(ranked, memo))}],
    }
    accepted = sorted(set([s["ref_literal"] for s in ranked] + [s["name_literal"] for s in ranked]))
    limits["deny-invalid-header-%s" % name] = {
        "rates": _deny(),
        "when": [{"predicate": all_of([HAS_HEADER, negate(any_of(["%s == %s" % (HEADER, v) for v in accepted]))])}],
    }
    return limits


def subscription_mode_limits(model, ranked):
    """spec.limits for the `subscription` selection mode: maas-api selected the subscription."""
    limits = {}
    for sub in ranked:
        key = "%s@%s" % (sub["ref"], _ref(*model))
        limits["%s-%s-%s-tokens" % (sub["namespace"], sub["name"], model[1])] = {
            "rates": [dict(r) for r in sub["limits"][model]],
            "when": [{"predicate": "has(auth.identity.selected_subscription_key) && "
                                   "auth.identity.selected_subscription_key == %s && %s" % (cel_string(key), NOT_MODELS_LIST)}],
            "counters": [{"expression": "auth.identity.userid"}],
        }
    return limits


def trlp_for_model(model, route, subscriptions, selection, managed_by, memo=None):
    """TokenRateLimitPolicy maas-trlp-<model> on the model's HTTPRoute (SPEC 3.2)."""
    ranked = rank_subscriptions(subscriptions, model)
    limits = groups_mode_limits(model, ranked, memo) if selection == "groups" else subscription_mode_limits(model, ranked)
    return {
        "apiVersion": "kuadrant.io/v1alpha1",
        "kind": "TokenRateLimitPolicy",
        "metadata": _metadata("maas-trlp-" + model[1], model[0], managed_by, "token-rate-limit",
                              [s["ref"] for s in ranked], model),
        "spec": {"targetRef": _target("HTTPRoute", route), "limits": limits},
    }


# ---------------------------------------------------------------------------------------------
# gateway-level objects (SPEC 3.4)


def gateway_default_objects(gateway, managed_by, producers):
    """gateway-default-auth (deny routes without a policy) and gateway-default-deny (limit 0)."""
    ns, name = gateway["namespace"], gateway["name"]
    exempt = all_of("!request.path.startsWith(%s)" % cel_string(p) for p in MANAGEMENT_PATH_PREFIXES)
    return [
        {
            "apiVersion": "kuadrant.io/v1",
            "kind": "AuthPolicy",
            "metadata": _metadata("gateway-default-auth", ns, managed_by, "gateway-defaults", producers),
            "spec": {
                "targetRef": _target("Gateway", name),
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
        },
        {
            "apiVersion": "kuadrant.io/v1alpha1",
            "kind": "TokenRateLimitPolicy",
            "metadata": _metadata("gateway-default-deny", ns, managed_by, "gateway-defaults", producers),
            "spec": {
                "targetRef": _target("Gateway", name),
                "defaults": {
                    "limits": {
                        "deny-all-by-default": {
                            "rates": [{"limit": 0, "window": "1m"}],
                            "when": [{"predicate": exempt}],
                        },
                    },
                },
            },
        },
    ]


def parse_tiers(tiers):
    """Validated tiers, in precedence order (the first tier a caller belongs to is theirs)."""
    if tiers is None:
        return []
    if not isinstance(tiers, list):
        raise TranslationError("tiers must be a list of {name, groups, requests_per_minute, tokens_per_minute}")
    out, seen = [], set()
    for i, tier in enumerate(tiers):
        where = "tiers[%d]" % i
        if not isinstance(tier, dict):
            raise TranslationError("%s must be a mapping" % where)
        unknown = sorted(set(tier) - {"name", "groups", "requests_per_minute", "tokens_per_minute"})
        if unknown:
            raise TranslationError("%s: unknown keys %s" % (where, ", ".join(unknown)))
        name = tier.get("name")
        if not isinstance(name, str) or len(name) > 40 or not _DNS_LABEL.match(name):
            raise TranslationError("%s.name %s: must be a DNS-1123 label of at most 40 characters" % (where, _quote(name)))
        if name in seen:
            raise TranslationError("%s.name %s: tier names must be unique" % (where, _quote(name)))
        seen.add(name)
        groups = tier.get("groups")
        if not isinstance(groups, list) or not groups:
            raise TranslationError("%s.groups: must list at least one group" % where)
        for j, group in enumerate(groups):
            if not isinstance(group, str) or not group:
                raise TranslationError("%s.groups[%d] %s: must be a non-empty string" % (where, j, _quote(group)))
            if "," in group:
                raise TranslationError("%s.groups[%d] %s: group names cannot contain ','" % (where, j, _quote(group)))
            try:
                cel_string(group)
            except CelValueError as exc:
                raise TranslationError("%s.groups[%d] %s: %s" % (where, j, _quote(group), exc))
        parsed = {"name": name, "groups": list(dict.fromkeys(groups))}
        for key in ("requests_per_minute", "tokens_per_minute"):
            value = tier.get(key)
            if value is not None and (not _is_int(value) or value < 0):
                raise TranslationError("%s.%s %s: must be a non-negative integer" % (where, key, _quote(value)))
            parsed[key] = value
        if parsed["requests_per_minute"] is None and parsed["tokens_per_minute"] is None:
            raise TranslationError("%s: give requests_per_minute, tokens_per_minute or both" % where)
        out.append(parsed)
    return out


def tier_objects(gateway, tiers, managed_by, producers):
    """One RateLimitPolicy and one TokenRateLimitPolicy `maas-tier-usage` on the Gateway.

    They are gateway `overrides` with the `merge` strategy, so they apply on every route in
    addition to the route's own limits. A caller in several tiers is counted under the first.
    """
    ns, name = gateway["namespace"], gateway["name"]
    requests, tokens = {}, {}
    for index, tier in enumerate(tiers):
        member = owner_predicate(tier["groups"], [])
        earlier = [owner_predicate(t["groups"], []) for t in tiers[:index]]
        when = [{"predicate": all_of([member] + ([negate(any_of(earlier))] if earlier else []))}]
        for key, target, suffix in (("requests_per_minute", requests, "requests"), ("tokens_per_minute", tokens, "tokens")):
            if tier[key] is not None:
                target["tier-%s-%s" % (tier["name"], suffix)] = {
                    "rates": [{"limit": tier[key], "window": "1m"}],
                    "when": when,
                    "counters": [{"expression": "auth.identity.userid"}],
                }
    objects = []
    for kind, api_version, limits in (("RateLimitPolicy", "kuadrant.io/v1", requests),
                                      ("TokenRateLimitPolicy", "kuadrant.io/v1alpha1", tokens)):
        if limits:
            objects.append({
                "apiVersion": api_version,
                "kind": kind,
                "metadata": _metadata("maas-tier-usage", ns, managed_by, "tier-usage", producers),
                "spec": {"targetRef": _target("Gateway", name),
                         "overrides": {"strategy": "merge", "limits": limits}},
            })
    return objects


# ---------------------------------------------------------------------------------------------
# parameters


def _check_parameters(resources, routes, selection, maas_api_url, audiences, managed_by, gateway,
                      external_tls, cache_ttl):
    if not isinstance(resources, list):
        raise TranslationError("resources must be a list of MaaS custom resources")
    for i, obj in enumerate(resources):
        if not isinstance(obj, dict):
            raise TranslationError("resources[%d] must be a mapping (a Kubernetes object)" % i)
    if routes is not None and (not isinstance(routes, dict)
                               or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in routes.items())):
        raise TranslationError('routes must map "<namespace>/<model>" to an HTTPRoute name')
    if selection not in SELECTION_MODES:
        raise TranslationError("selection %s: must be one of %s" % (_quote(selection), ", ".join(SELECTION_MODES)))
    if external_tls not in EXTERNAL_TLS_MODES:
        raise TranslationError("external_tls %s: must be one of %s" % (_quote(external_tls), ", ".join(EXTERNAL_TLS_MODES)))
    if not isinstance(maas_api_url, str) or not _URL.match(maas_api_url):
        raise TranslationError("maas_api_url %s: must be an http(s) URL without query or fragment" % _quote(maas_api_url))
    if isinstance(audiences, str) or not isinstance(audiences, (list, tuple)) or not audiences \
            or not all(isinstance(a, str) and a for a in audiences):
        raise TranslationError("audiences must be a non-empty list of non-empty strings")
    if not isinstance(managed_by, str) or not managed_by or len(managed_by) > 63 or not _LABEL_VALUE.match(managed_by):
        raise TranslationError("managed_by %s: must be a valid label value" % _quote(managed_by))
    if gateway is not None:
        if not isinstance(gateway, dict) or set(gateway) - {"namespace", "name"}:
            raise TranslationError("gateway must be a mapping with namespace and name")
        for key in ("namespace", "name"):
            value = gateway.get(key)
            if not isinstance(value, str) or len(value) > 63 or not _DNS_LABEL.match(value):
                raise TranslationError("gateway.%s %s: must be a DNS-1123 label" % (key, _quote(value)))
    if not _is_int(cache_ttl) or cache_ttl < 0:
        raise TranslationError("cache_ttl %s: must be a non-negative integer (seconds)" % _quote(cache_ttl))


def _dedupe(objs):
    """One object per (kind, namespace, name); identical duplicates collapse, others resolve by content."""
    chosen = {}
    for obj in objs:
        key = (str(obj.get("kind")),) + _ns_name(obj)
        if key not in chosen:
            chosen[key] = obj
        elif json.dumps(obj, sort_keys=True, default=str) > json.dumps(chosen[key], sort_keys=True, default=str):
            chosen[key] = obj
    return [chosen[k] for k in sorted(chosen)]


def _entry(kind, ref, reason):
    ns, _sep, name = ref.partition("/")
    return {"kind": kind, "namespace": ns, "name": name, "reason": reason}


# ---------------------------------------------------------------------------------------------
# the entry point


def generate(resources, routes=None, selection="groups", maas_api_url=DEFAULT_MAAS_API_URL,
             audiences=DEFAULT_AUDIENCES, managed_by=DEFAULT_MANAGED_BY, gateway=None, tiers=None,
             external_tls="destinationrule", cache_ttl=60):
    """Translate MaaS CRs into the Kuadrant and Gateway API objects that enforce them.

    Returns {"objects", "skipped", "invalid", "missing_models"}; see the module docstring and
    the filter documentation (plugins/filter/maas_generate.yml) for each field.
    """
    _check_parameters(resources, routes, selection, maas_api_url, audiences, managed_by, gateway,
                      external_tls, cache_ttl)
    tier_list = parse_tiers(tiers)
    maas_api_url = maas_api_url.rstrip("/")
    routes = routes or {}
    invalid = []
    affected = {}  # model key -> set of invalid CR refs that name it

    def reject(kind, obj, exc, models=()):
        ns, name = _ns_name(obj)
        invalid.append({"kind": kind, "namespace": ns, "name": name, "reason": str(exc)})
        for model in models:
            affected.setdefault(model, set()).add("%s %s" % (kind, _ref(ns, name)))

    by_kind = {}
    for obj in _dedupe(resources):
        by_kind.setdefault(obj.get("kind"), []).append(obj)

    tenant_gateway, tenant_producers = None, []
    for obj in by_kind.get("Tenant", []):
        try:
            tenant_gateway = parse_tenant_gateway(obj)
            tenant_producers = [_ref(*_ns_name(obj))]
            break
        except InvalidResource as exc:
            reject("Tenant", obj, exc)
    effective_gateway = dict(gateway) if gateway else tenant_gateway or (
        None if by_kind.get("Tenant") else dict(DEFAULT_GATEWAY))

    models = {}
    for obj in by_kind.get("MaaSModelRef", []):
        try:
            model = parse_model_ref(obj)
        except InvalidResource as exc:
            ns, name = _ns_name(obj)
            reject("MaaSModelRef", obj, exc, [(ns, name)] if ns and name else [])
            continue
        models[model["key"]] = model

    externals = {}
    for obj in by_kind.get("ExternalModel", []):
        try:
            external = parse_external_model(obj)
        except InvalidResource as exc:
            ns, name = _ns_name(obj)
            reject("ExternalModel", obj, exc, [k for k, m in models.items()
                                               if m["kind"] == "ExternalModel" and k[0] == ns and m["name"] == name])
            continue
        externals[external["key"]] = external

    def refs_of(obj):
        """The models a CR names, read leniently, so an invalid CR still marks its models."""
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        refs = spec.get("modelRefs") if isinstance(spec.get("modelRefs"), list) else []
        return [(r["namespace"], r["name"]) for r in refs
                if isinstance(r, dict) and isinstance(r.get("namespace"), str) and isinstance(r.get("name"), str)]

    policies = []
    for obj in by_kind.get("MaaSAuthPolicy", []):
        try:
            policies.append(parse_auth_policy(obj))
        except InvalidResource as exc:
            reject("MaaSAuthPolicy", obj, exc, refs_of(obj))
    subscriptions = []
    for obj in by_kind.get("MaaSSubscription", []):
        try:
            subscriptions.append(parse_subscription(obj, selection))
        except InvalidResource as exc:
            reject("MaaSSubscription", obj, exc, refs_of(obj))

    objects, skipped, missing = [], [], []
    resolved = {}
    for key, model in sorted(models.items()):
        ref = _ref(*key)
        if key in affected:
            skipped.append(_entry("MaaSModelRef", ref, "not generated because %s %s invalid" % (
                ", ".join(sorted(affected[key])), "is" if len(affected[key]) == 1 else "are")))
            continue
        if model["kind"] == "LLMInferenceService":
            if ref in routes:
                resolved[key] = routes[ref]
            else:
                skipped.append(_entry("MaaSModelRef", ref, "no HTTPRoute resolved for LLMInferenceService %s" % model["name"]))
            continue
        external = externals.get((key[0], model["name"]))
        endpoint = external or (endpoint_from_override(model["endpoint_override"]) if model["endpoint_override"] else None)
        if endpoint is None:
            skipped.append(_entry("MaaSModelRef", ref, "ExternalModel %s/%s not found and spec.endpointOverride %s"
                                  % (key[0], model["name"], "is not a URL or host name" if model["endpoint_override"]
                                     else "is not set")))
            continue
        if effective_gateway is None:
            skipped.append(_entry("MaaSModelRef", ref, "no valid gateway: the Tenant is invalid"))
            continue
        objects.extend(external_model_objects(model, endpoint, effective_gateway, external_tls, managed_by))
        resolved[key] = "maas-" + model["name"]

    for kind, crs in (("MaaSAuthPolicy", policies), ("MaaSSubscription", subscriptions)):
        for cr in crs:
            names = cr["models"] if kind == "MaaSAuthPolicy" else sorted(cr["limits"])
            for model in sorted(set(names)):
                if model in affected:
                    continue
                if model not in models or model not in resolved:
                    missing.append({"kind": kind, "namespace": cr["namespace"], "name": cr["name"],
                                    "model": _ref(*model)})

    policies_of, subscriptions_of, memo = {}, {}, {}
    for cr in policies:
        for key in dict.fromkeys(cr["models"]):
            policies_of.setdefault(key, []).append(cr)
    for cr in subscriptions:
        for key in cr["limits"]:
            subscriptions_of.setdefault(key, []).append(cr)
    for key in sorted(resolved):
        route = resolved[key]
        model_policies = policies_of.get(key, [])
        model_subscriptions = subscriptions_of.get(key, [])
        if model_policies:
            objects.append(auth_policy_for_model(key, route, model_policies, selection, maas_api_url,
                                                 audiences, managed_by, cache_ttl))
        if model_subscriptions:
            objects.append(trlp_for_model(key, route, model_subscriptions, selection, managed_by, memo))

    if effective_gateway is not None:
        objects.extend(gateway_default_objects(effective_gateway, managed_by, tenant_producers))
        objects.extend(tier_objects(effective_gateway, tier_list, managed_by, tenant_producers))

    def order(entry):
        return (entry["kind"], entry["namespace"], entry["name"], entry.get("model", ""), entry.get("reason", ""))

    return {
        "objects": sorted(objects, key=lambda o: (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])),
        "skipped": sorted(skipped, key=order),
        "invalid": sorted(invalid, key=order),
        "missing_models": sorted(missing, key=order),
    }
