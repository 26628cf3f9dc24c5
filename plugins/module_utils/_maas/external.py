# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The route to an external model's provider: HTTPRoute, ExternalName Service and TLS origination.

A MaaSModelRef of kind ExternalModel has no KServe route; MaaS generates one, `maas-<name>` on the
tenant gateway, serving path `/<namespace>/<model>` from the provider. Where the provider is comes
from the ExternalModel CR of that name in the model's namespace, else from the MaaSModelRef's
spec.endpointOverride.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    BACKEND_TLS_POLICY,
    DESTINATION_RULE,
    GATEWAY_API_GROUP,
    HTTPROUTE,
    SERVICE,
    external_route_name,
    external_service_name,
    metadata,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import HOSTNAME


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
    if not host or len(host) > 253 or not HOSTNAME.match(host):
        return None
    port = 443 if tls else 80
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            return None
        port = int(port_text)
    return {"host": host.lower(), "port": port, "tls": tls}


def provider_endpoint(model, externals):
    """Where an ExternalModel model's provider is: its ExternalModel CR, else its endpoint override;
    None when neither says."""
    external = externals.get((model["key"][0], model["name"]))
    if external is not None:
        return external
    return endpoint_from_override(model["endpoint_override"]) if model["endpoint_override"] else None


def unknown_provider_reason(model) -> str:
    return "ExternalModel %s/%s not found and spec.endpointOverride %s" % (
        model["key"][0], model["name"],
        "is not a URL or host name" if model["endpoint_override"] else "is not set")


def external_route_facts(model, gateway) -> dict:
    """What status reports of the generated HTTPRoute (it has no hostnames of its own)."""
    return {"name": external_route_name(model["name"]), "namespace": model["key"][0], "gateway": dict(gateway),
            "hostnames": []}


def _service(model, endpoint, managed_by) -> dict:
    return {
        "apiVersion": SERVICE[0],
        "kind": SERVICE[1],
        "metadata": metadata(external_service_name(model["name"]), model["key"][0], managed_by, "route",
                             [model["producer"]], model["key"]),
        "spec": {
            "type": "ExternalName",
            "externalName": endpoint["host"],
            "ports": [{"name": "https" if endpoint["tls"] else "http", "port": endpoint["port"], "protocol": "TCP"}],
        },
    }


def _route(model, endpoint, gateway, managed_by) -> dict:
    ns, model_name = model["key"]
    return {
        "apiVersion": HTTPROUTE[0],
        "kind": HTTPROUTE[1],
        "metadata": metadata(external_route_name(model["name"]), ns, managed_by, "route", [model["producer"]],
                             model["key"]),
        "spec": {
            "parentRefs": [{"group": GATEWAY_API_GROUP, "kind": "Gateway",
                            "namespace": gateway["namespace"], "name": gateway["name"]}],
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": "/%s/%s" % (ns, model_name)}}],
                "filters": [{"type": "URLRewrite", "urlRewrite": {
                    "hostname": endpoint["host"],
                    "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}],
                "backendRefs": [{"group": "", "kind": "Service", "name": external_service_name(model["name"]),
                                 "port": endpoint["port"]}],
                "timeouts": {"request": "300s"},
            }],
        },
    }


def _backend_tls_policy(model, endpoint, managed_by) -> dict:
    service_name = external_service_name(model["name"])
    return {
        "apiVersion": BACKEND_TLS_POLICY[0],
        "kind": BACKEND_TLS_POLICY[1],
        "metadata": metadata(service_name, model["key"][0], managed_by, "route", [model["producer"]], model["key"]),
        "spec": {
            "targetRefs": [{"group": "", "kind": "Service", "name": service_name}],
            "validation": {"hostname": endpoint["host"], "wellKnownCACertificates": "System"},
        },
    }


def _destination_rule(model, endpoint, managed_by) -> dict:
    ns, service_name = model["key"][0], external_service_name(model["name"])
    return {
        "apiVersion": DESTINATION_RULE[0],
        "kind": DESTINATION_RULE[1],
        "metadata": metadata(service_name, ns, managed_by, "route", [model["producer"]], model["key"]),
        "spec": {
            "host": "%s.%s.svc.cluster.local" % (service_name, ns),
            "trafficPolicy": {"portLevelSettings": [{
                "port": {"number": endpoint["port"]},
                "tls": {"mode": "SIMPLE", "sni": endpoint["host"]},
            }]},
        },
    }


def external_model_objects(model, endpoint, gateway, external_tls, managed_by) -> list:
    """HTTPRoute maas-<name>, its ExternalName Service and, for a TLS provider, TLS origination by
    a BackendTLSPolicy or an Istio DestinationRule (`external_tls`)."""
    objects = [_service(model, endpoint, managed_by), _route(model, endpoint, gateway, managed_by)]
    if endpoint["tls"]:
        tls = _backend_tls_policy if external_tls == "backendtlspolicy" else _destination_rule
        objects.append(tls(model, endpoint, managed_by))
    return objects
