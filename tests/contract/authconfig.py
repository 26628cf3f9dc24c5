"""Finding the AuthConfig Authorino applies to a route.

The Kuadrant operator (v1.5.2, AuthConfigsReconciler) writes one AuthConfig per route rule of the
effective policy, in the Authorino CR's namespace: named sha256(path id), that name its only host,
annotated `HTTPRouteRule.gateway.networking.k8s.io: <route rule locator>`. The wasm-shim asks
Authorino with that name as the `host` context extension, so the name is the key a replayed request
must carry.
"""

from __future__ import annotations

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
