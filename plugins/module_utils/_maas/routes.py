# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Which HTTPRoute serves each LLMInferenceService model: the one KServe created for it.

KServe labels the route it creates for an LLMInferenceService; MaaS policies attach to it only when
it is attached to the tenant gateway. A model without such a route gets a structured reason
({"reason": "NoRoute" | "NotAttached", "message"}), so status can tell "waiting for KServe" from
"attached to the wrong gateway" without reading the message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    DEFAULT_GATEWAY,
    GATEWAY_API_GROUP,
    KSERVE_ROUTE_LABELS,
    KSERVE_SERVICE_LABEL,
    meta,
    namespace_name,
    ref,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import (
    InvalidResource,
    parse_model_ref,
)

# Why a model has no route. NoRoute: KServe has not created one (yet). NotAttached: it exists but
# is attached to another gateway, which waiting will not fix.
NO_ROUTE = "NoRoute"
NOT_ATTACHED = "NotAttached"


def _parent_is_gateway(parent, route_namespace, gateway) -> bool:
    return (isinstance(parent, dict)
            and (parent.get("group") or GATEWAY_API_GROUP) == GATEWAY_API_GROUP
            and (parent.get("kind") or "Gateway") == "Gateway"
            and (parent.get("namespace") or route_namespace) == gateway["namespace"]
            and parent.get("name") == gateway["name"])


def _labels_match(labels, wanted) -> bool:
    return isinstance(labels, dict) and all(labels.get(k) == v for k, v in wanted.items())


def _attached_route(service_name, namespace, httproutes, gateway):
    """(the KServe route of `service_name` attached to `gateway`, None) or (None, reason)."""
    wanted = dict(KSERVE_ROUTE_LABELS, **{KSERVE_SERVICE_LABEL: service_name})
    candidates = sorted(
        (r for r in httproutes or [] if isinstance(r, dict) and namespace_name(r)[0] == namespace
         and _labels_match(meta(r).get("labels"), wanted)),
        key=lambda r: namespace_name(r)[1])
    if not candidates:
        return None, {"reason": NO_ROUTE, "message": "no HTTPRoute in namespace %s is labelled %s" % (
            namespace, ", ".join("%s=%s" % kv for kv in sorted(wanted.items())))}
    for route in candidates:
        parents = (route.get("spec") or {}).get("parentRefs") or []
        if any(_parent_is_gateway(p, namespace, gateway) for p in parents):
            return route, None
    return None, {"reason": NOT_ATTACHED, "message": "HTTPRoute %s/%s is not attached to gateway %s/%s" % (
        namespace, namespace_name(candidates[0])[1], gateway["namespace"], gateway["name"])}


def route_for_model(service_name, namespace, httproutes, gateway=None):
    """The KServe HTTPRoute of LLMInferenceService `service_name`: (route name, None) or (None, reason).

    The route must be attached to the gateway (a parentRef whose namespace defaults to the route's
    own). When several match, the first by name is taken, so the answer does not depend on list order.
    """
    route, reason = _attached_route(service_name, namespace, httproutes, gateway or DEFAULT_GATEWAY)
    return (namespace_name(route)[1], None) if route is not None else (None, reason)


def _routes_by_service(httproutes) -> dict:
    """Routes by (namespace, app.kubernetes.io/name), so each model looks at its own few, not all."""
    by_service = {}
    for route in httproutes or []:
        if isinstance(route, dict):
            labels = meta(route).get("labels")
            service = labels.get(KSERVE_SERVICE_LABEL) if isinstance(labels, dict) else None
            by_service.setdefault((namespace_name(route)[0], service), []).append(route)
    return by_service


def route_facts(route, gateway) -> dict:
    """What status reports of a model's HTTPRoute: name, namespace, gateway and hostnames."""
    return {"name": namespace_name(route)[1], "namespace": namespace_name(route)[0], "gateway": dict(gateway),
            "hostnames": list((route.get("spec") or {}).get("hostnames") or [])}


def resolve_model_routes(models, httproutes, gateway) -> dict:
    """For every LLMInferenceService model of `models` ({key: parsed MaaSModelRef}):
    {"routes": {"ns/model": route facts}, "unresolved": {"ns/model": reason}}."""
    gateway = gateway or DEFAULT_GATEWAY
    by_service = _routes_by_service(httproutes)
    routes, unresolved = {}, {}
    for key, model in models.items():
        if model["kind"] != "LLMInferenceService":
            continue
        route, reason = _attached_route(model["name"], key[0], by_service.get((key[0], model["name"]), []), gateway)
        if route is not None:
            routes[ref(*key)] = route_facts(route, gateway)
        else:
            unresolved[ref(*key)] = reason
    return {"routes": dict(sorted(routes.items())), "unresolved": dict(sorted(unresolved.items()))}


def route_names(routes) -> dict:
    """{"ns/model": route name}: what the translation needs of each model's route."""
    return {model: facts["name"] for model, facts in routes.items()}


def resolve_routes(resources, httproutes, gateway=None) -> dict:
    """resolve_model_routes for raw CRs, route names only: {"routes": {"ns/model": route name},
    "unresolved": {"ns/model": reason}}; MaaSModelRefs that fail validation are left out."""
    models = {}
    for obj in resources or []:
        if isinstance(obj, dict) and obj.get("kind") == "MaaSModelRef":
            try:
                model = parse_model_ref(obj)
            except InvalidResource:
                continue
            models[model["key"]] = model
    resolved = resolve_model_routes(models, httproutes, gateway)
    return {"routes": route_names(resolved["routes"]), "unresolved": resolved["unresolved"]}
