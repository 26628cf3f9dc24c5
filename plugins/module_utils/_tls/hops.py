# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Which TLS hops of a MaaS installation can be checked (playbook verify), and how each is reached.

A hop is checked the way its client sees it: each HTTPS listener of the Gateway at the Gateway's
address, with the listener's hostname as SNI; Authorino's authorization listener and maas-api's HTTPS
port through their Services. A hop that is not configured is not an error: it is listed as skipped,
with the reason.

maas-api has two clients, and each is checked as configured (`client_targets`): the gateway (its
DestinationRule or BackendTLSPolicy) and Authorino (SSL_CERT_FILE on its Deployment). The live peer
is checked against the CA that client reads, for the name it checks; a client that does not verify
("encrypted but unverified") fails its line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.modelserving.maas.plugins.module_utils._tls.trust import (
    authorino_verification,
    backend_tls_policy_verification,
    destination_rule_verification,
)

AUTHORINO_PORT = "50051"


class HopError(ValueError):
    """A setting the plan cannot use; the message names it."""


def _host_and_port(address: str) -> Tuple[str, Optional[Any]]:
    """`host:port` as (host, port), the port a number when it is one; (host, None) without a port."""
    parts = str(address).split(":")
    if len(parts) < 2:
        return parts[0], None
    return parts[0], int(parts[1]) if parts[1].isdigit() else parts[1]


def _check(name: str, server_name: str, minimum_version: Any, min_days_to_expiry: Any,
           ca_configmap: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    check: Dict[str, Any] = {"name": name, "server_name": server_name, "minimum_version": str(minimum_version),
                             "min_days_to_expiry": int(min_days_to_expiry)}
    if ca_configmap is not None:
        check["ca_configmap"] = dict(ca_configmap)
    return check


def https_listeners(gateway: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    return [listener for listener in (gateway.get("spec") or {}).get("listeners") or []
            if listener.get("protocol") == "HTTPS"]


def gateway_address(gateway: Mapping[str, Any], addresses: Mapping[str, str]) -> str:
    """verify_addresses.gateway, else the first address in the Gateway's status ('' when none)."""
    if "gateway" in addresses:
        return addresses["gateway"]
    status = [a.get("value") for a in (gateway.get("status") or {}).get("addresses") or []]
    return status[0] if status else ""


def gateway_targets(gateway: Mapping[str, Any], address: str, minimum_version: Any, min_days_to_expiry: Any,
                    ca_configmap: Optional[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """One check per HTTPS listener, at `address` (the port of the address, else the listener's).
    The SNI is the listener's hostname, a wildcard standing for any name (`*` becomes `verify`)."""
    if not address:
        return []
    host, port = _host_and_port(address)
    targets = []
    for listener in https_listeners(gateway):
        server_name = str(listener["hostname"] if "hostname" in listener else host).replace("*", "verify")
        target = _check("gateway/%s" % listener["name"], server_name, minimum_version, min_days_to_expiry,
                        ca_configmap or None)
        target["host"] = host
        target["port"] = listener["port"] if port is None else port
        targets.append(target)
    return targets


def service_target(hop: str, service: str, namespace: str, port: str, addresses: Mapping[str, str],
                   minimum_version: Any, min_days_to_expiry: Any,
                   ca_configmap: Mapping[str, Any]) -> Dict[str, Any]:
    """A check of an in-cluster Service's port (reached through a port-forward), or of
    verify_addresses[hop] when it is given. The SNI is the Service's name in its namespace."""
    target = _check(hop, "%s.%s.svc" % (service, namespace), minimum_version, min_days_to_expiry, ca_configmap)
    if hop in addresses:
        target["host"], target["port"] = _host_and_port(addresses[hop])
        if target["port"] is None:
            raise HopError("verify_addresses[%r] is %r; give it as host:port" % (hop, addresses[hop]))
    else:
        target["service"] = {"name": service, "namespace": namespace, "port": str(port)}
    return target


def tls_verify_plan(gateway: Mapping[str, Any], authorino: Mapping[str, Any], maas_api_service: Mapping[str, Any],
                    gateway_namespace: str, gateway_name: str, authorino_namespace: str, authorino_name: str,
                    authorino_service: str, maas_api_namespace: str, maas_api_service_name: str, maas_api_port: Any,
                    addresses: Mapping[str, str], ca_configmap: Mapping[str, Any],
                    gateway_ca_configmap: Optional[Mapping[str, Any]], gateway_min_version: Any,
                    authorino_min_version: Any, maas_api_min_version: Any,
                    min_days_to_expiry: Any, clients: Optional[Mapping[str, Any]] = None,
                    cluster_domain: str = "cluster.local") -> Dict[str, List[Any]]:
    """`targets` for modelserving.maas.tls_verify, and `skipped`: why each other hop is not checked.
    `gateway`, `authorino` and `maas_api_service` are the objects as read ({} when not found).
    `clients` holds maas-api's clients as read (destination_rule, backend_tls_policy,
    authorino_deployment, and `names` of each for the skipped lines); None checks none of them."""
    gateway, authorino, maas_api_service = gateway or {}, authorino or {}, maas_api_service or {}
    addresses = addresses or {}
    targets: List[Dict[str, Any]] = []
    skipped: List[str] = []

    address = gateway_address(gateway, addresses)
    targets += gateway_targets(gateway, address, gateway_min_version, min_days_to_expiry, gateway_ca_configmap)
    if not gateway:
        skipped.append("gateway: Gateway %s/%s not found" % (gateway_namespace, gateway_name))
    elif not https_listeners(gateway):
        skipped.append("gateway: no HTTPS listener on %s/%s" % (gateway_namespace, gateway_name))
    elif not address:
        skipped.append("gateway: no address in its status; set verify_addresses.gateway")

    listener_tls = ((authorino.get("spec") or {}).get("listener") or {}).get("tls") or {}
    if listener_tls.get("enabled"):
        targets.append(service_target("authorino", authorino_service, authorino_namespace, AUTHORINO_PORT, addresses,
                                      authorino_min_version, min_days_to_expiry, ca_configmap))
    if not authorino:
        skipped.append("authorino: Authorino %s/%s not found" % (authorino_namespace, authorino_name))
    elif not listener_tls.get("enabled"):
        skipped.append("authorino: listener TLS is not enabled")

    ports = [p.get("port") for p in (maas_api_service.get("spec") or {}).get("ports") or []]
    if int(maas_api_port) in ports:
        targets.append(service_target("maas-api", maas_api_service_name, maas_api_namespace, maas_api_port, addresses,
                                      maas_api_min_version, min_days_to_expiry, ca_configmap))
        if clients is not None:
            fqdn = "%s.%s.svc.%s" % (maas_api_service_name, maas_api_namespace, cluster_domain)
            more, why = client_targets(targets[-1], clients.get("destination_rule") or {},
                                       clients.get("backend_tls_policy") or {}, clients.get("authorino_deployment") or {},
                                       fqdn, maas_api_port, clients["names"], ca_configmap, min_days_to_expiry,
                                       authorino)
            targets += more
            skipped += why
    if not maas_api_service:
        skipped.append("maas-api: Service %s/%s not found" % (maas_api_namespace, maas_api_service_name))
    elif int(maas_api_port) not in ports:
        skipped.append("maas-api: its Service has no port %s (TLS is off)" % maas_api_port)

    return {"targets": targets, "skipped": skipped}


def _client_target(name: str, base: Mapping[str, Any], verification: Mapping[str, Any],
                   fallback_ca: Mapping[str, Any], min_days_to_expiry: Any) -> Dict[str, Any]:
    """A check of maas-api's live peer as one client verifies it: the CA it reads (or, when it reads
    none, the expected CA, so the peer is still reported) and the name it checks."""
    target = _check(name, verification["server_name"] or base["server_name"], None, min_days_to_expiry, None)
    target.pop("minimum_version")
    for key in ("service", "host", "port"):
        if key in base:
            target[key] = base[key]
    ca = verification.get("ca")
    if ca and ca["kind"] == "Secret":
        target["ca_secret"] = {"name": ca["name"], "namespace": ca["namespace"], "key": "ca.crt"}
    else:
        target["ca_configmap"] = dict({k: ca[k] for k in ("name", "namespace", "key")} if ca else fallback_ca)
    target["client"] = {"name": verification["client"], "verifies": verification["verifies"],
                        "problems": list(verification["problems"])}
    return target


def client_targets(maas_api_target: Mapping[str, Any], destination_rule: Mapping[str, Any],
                   backend_tls_policy: Mapping[str, Any], authorino_deployment: Mapping[str, Any],
                   fqdn: str, port: int, names: Mapping[str, str], ca_configmap: Mapping[str, Any],
                   min_days_to_expiry: Any, authorino_cr: Optional[Mapping[str, Any]] = None
                   ) -> Tuple[List[Dict[str, Any]], List[str]]:
    """(targets, skipped) for maas-api's two clients, the gateway and Authorino (whose CR may be
    what mounts the bundle). `names` gives the objects' names for the skipped lines:
    destination_rule, backend_tls_policy, authorino_deployment."""
    targets, skipped = [], []
    if backend_tls_policy:
        verification = backend_tls_policy_verification(backend_tls_policy)
    elif destination_rule:
        verification = destination_rule_verification(destination_rule, int(port), fqdn)
    else:
        verification = None
        skipped.append("gateway->maas-api: neither DestinationRule %s nor BackendTLSPolicy %s exists"
                       % (names["destination_rule"], names["backend_tls_policy"]))
    if verification:
        targets.append(_client_target("gateway->maas-api", maas_api_target, verification, ca_configmap,
                                      min_days_to_expiry))
    if authorino_deployment:
        targets.append(_client_target("authorino->maas-api", maas_api_target,
                                      authorino_verification(authorino_deployment, fqdn, authorino_cr), ca_configmap,
                                      min_days_to_expiry))
    else:
        skipped.append("authorino->maas-api: Deployment %s not found" % names["authorino_deployment"])
    return targets, skipped
