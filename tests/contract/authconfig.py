"""Finding the AuthConfig Authorino applies to a route, and (for harness work only) writing one ourselves.

The Kuadrant operator (v1.5.2, AuthConfigsReconciler) writes one AuthConfig per route rule of the
effective policy, in the Authorino CR's namespace: named sha256(path id), that name its only host,
annotated `HTTPRouteRule.gateway.networking.k8s.io: <route rule locator>`. The wasm-shim asks
Authorino with that name as the `host` context extension, so the name is the key a replayed request
must carry.

`authconfig_from_authpolicy` copies an AuthPolicy's rules the way buildDesiredAuthConfig does, for
running the harness before the operator is in the loop; it is not what the final test relies on.
"""

from __future__ import annotations

import hashlib

ROUTE_RULE_ANNOTATION = "HTTPRouteRule.gateway.networking.k8s.io"


def authconfig_for_route(authconfigs: list, route_namespace: str, route_name: str) -> dict:
    """The one AuthConfig whose route rule annotation names the route (a single-rule route)."""
    prefix = "httproute.gateway.networking.k8s.io:%s/%s#" % (route_namespace, route_name)
    matches = [a for a in authconfigs
               if ((a.get("metadata") or {}).get("annotations") or {}).get(ROUTE_RULE_ANNOTATION, "").startswith(prefix)]
    if len(matches) != 1:
        raise AssertionError("%d AuthConfigs for route %s/%s: %s" % (
            len(matches), route_namespace, route_name,
            [(a["metadata"]["name"], a["metadata"].get("annotations")) for a in authconfigs]))
    return matches[0]


def authconfig_from_authpolicy(policy: dict, namespace: str, path_id: str) -> dict:
    rules = policy["spec"]["rules"]
    name = hashlib.sha256(path_id.encode()).hexdigest()
    target = policy["spec"]["targetRef"]
    spec = {"hosts": [name]}
    for key in ("authentication", "metadata", "authorization", "callbacks"):
        if rules.get(key):
            spec[key] = rules[key]
    response = rules.get("response")
    if response:
        success = response.get("success") or {}
        spec["response"] = {k: response[k] for k in ("unauthenticated", "unauthorized") if k in response}
        spec["response"]["success"] = {k: v for k, v in (("headers", success.get("headers")),
                                                          ("dynamicMetadata", success.get("filters"))) if v}
    locator = "httproute.gateway.networking.k8s.io:%s/%s#rule-1" % (policy["metadata"]["namespace"], target["name"])
    return {"apiVersion": "authorino.kuadrant.io/v1beta3", "kind": "AuthConfig",
            "metadata": {"name": name, "namespace": namespace, "annotations": {ROUTE_RULE_ANNOTATION: locator}},
            "spec": spec}
