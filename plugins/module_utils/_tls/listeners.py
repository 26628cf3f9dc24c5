# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""HTTPS listeners on the MaaS Gateway (role gateway_tls): the listeners with their defaults filled in,
and everything the role keeps for them (self-provided certificates, the Gateway's listeners,
ReferenceGrants, cert-manager Certificates).

Defaults apply to empty values as well as missing ones (an empty `secret_namespace` is the Gateway's
namespace), the way the role has always read `gateway_tls_listeners`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
from typing import Any, Dict, List, Mapping, Sequence

GATEWAY_API = "gateway.networking.k8s.io"
CERT_MANAGER = "cert-manager.io"


class ListenerError(ValueError):
    """An item of gateway_tls_listeners the role cannot use; the message names the item and field."""


def listener_name(hostname: str) -> str:
    """`wildcard-<suffix>` for `*.<suffix>`, `https-<hostname>` otherwise: the prefixes never collide."""
    return "wildcard-" + hostname[2:] if hostname.startswith("*.") else "https-" + hostname


def reference_grant_name(gateway_namespace: str, gateway_name: str) -> str:
    """The ReferenceGrant this Gateway gets in each namespace holding one of its certificates."""
    return "gateway-tls-%s-%s" % (gateway_namespace, gateway_name)


# What a Gateway listener's hostname may be: a DNS name, optionally with a leading "*." wildcard.
_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


def checked_hostname(value: Any) -> str:
    """The listener hostname in lower case; an IP address or anything else no TLS client would send
    as SNI is refused (Gateway API: "IPs are not allowed"), which the CRD's pattern lets through."""
    hostname = str(value).lower()
    if not _HOSTNAME.match(hostname) or len(hostname) > 253:
        raise ListenerError("hostname %r is not a DNS name (letters, digits, '-' and '.', optionally "
                            "starting with '*.')" % value)
    if all(label.isdigit() for label in hostname.split(".")):
        raise ListenerError("hostname %r is an IP address; a listener hostname must be a DNS name, "
                            "because clients send no IP address as SNI" % value)
    return hostname


def _number(field: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ListenerError("%s %r is not a number" % (field, value))


def listener_entry(item: Mapping[str, Any], gateway_namespace: str, provider: str, port: Any,
                   allowed_routes: Mapping[str, Any]) -> Dict[str, Any]:
    """One item of gateway_tls_listeners with its defaults; `listener` is what the Gateway stores."""
    hostname = checked_hostname(item["hostname"])
    listener_port = _number("port", item.get("port") or port)
    secret_namespace = item.get("secret_namespace") or gateway_namespace
    certificate_ref = {"group": "", "kind": "Secret", "name": item["secret_name"]}
    if secret_namespace != gateway_namespace:
        certificate_ref["namespace"] = secret_namespace
    return {
        "hostname": hostname,
        "secret_name": item["secret_name"],
        "secret_namespace": secret_namespace,
        "provider": item.get("provider") or provider,
        "listener": {
            "name": item.get("name") or listener_name(hostname),
            "hostname": hostname,
            "port": listener_port,
            "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [certificate_ref]},
            "allowedRoutes": copy.deepcopy(item.get("allowed_routes") or allowed_routes),
        },
    }


def foreign_namespaces(entries: Sequence[Mapping[str, Any]], gateway_namespace: str) -> List[str]:
    """Namespaces other than the Gateway's that hold listener certificates, sorted."""
    return sorted({e["secret_namespace"] for e in entries} - {gateway_namespace})


def providers(entries: Sequence[Mapping[str, Any]]) -> List[str]:
    """The certificate providers the entries use, in order of first use."""
    used: List[str] = []
    for entry in entries:
        if entry["provider"] not in used:
            used.append(entry["provider"])
    return used


def self_certificates(entries: Sequence[Mapping[str, Any]], validity_days: int, renew_before_days: int,
                      labels: Mapping[str, str]) -> List[Dict[str, Any]]:
    """The `certificates` of modelserving.maas.tls_certificate for the entries of provider `self`."""
    return [{"name": e["secret_name"], "namespace": e["secret_namespace"], "dns_names": [e["hostname"]],
             "validity_days": validity_days, "renew_before_days": renew_before_days, "labels": dict(labels)}
            for e in entries if e["provider"] == "self"]


def gateway_with_listeners(gateway_namespace: str, gateway_name: str,
                           entries: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The Gateway carrying only this role's listeners. spec.listeners is a list map keyed by name, so
    server-side apply leaves other appliers' listeners alone. No labels: the Gateway is the platform's."""
    return {"apiVersion": GATEWAY_API + "/v1", "kind": "Gateway",
            "metadata": {"name": gateway_name, "namespace": gateway_namespace},
            "spec": {"listeners": [copy.deepcopy(e["listener"]) for e in entries]}}


def reference_grant(namespace: str, entries: Sequence[Mapping[str, Any]], gateway_namespace: str,
                    gateway_name: str, labels: Mapping[str, str]) -> Dict[str, Any]:
    """The ReferenceGrant letting the Gateway read the certificates the entries keep in `namespace`."""
    secrets = sorted({e["secret_name"] for e in entries if e["secret_namespace"] == namespace})
    return {"apiVersion": GATEWAY_API + "/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": reference_grant_name(gateway_namespace, gateway_name), "namespace": namespace,
                         "labels": dict(labels)},
            "spec": {"from": [{"group": GATEWAY_API, "kind": "Gateway", "namespace": gateway_namespace}],
                     "to": [{"group": "", "kind": "Secret", "name": name} for name in secrets]}}


def cert_manager_certificate(entry: Mapping[str, Any], validity_days: int, renew_before_days: int,
                             issuer_kind: str, issuer_name: str, labels: Mapping[str, str]) -> Dict[str, Any]:
    """The cert-manager Certificate that keeps an entry's Secret."""
    return {"apiVersion": CERT_MANAGER + "/v1", "kind": "Certificate",
            "metadata": {"name": entry["secret_name"], "namespace": entry["secret_namespace"], "labels": dict(labels)},
            "spec": {"secretName": entry["secret_name"], "dnsNames": [entry["hostname"]],
                     "duration": "%dh" % (validity_days * 24), "renewBefore": "%dh" % (renew_before_days * 24),
                     "usages": ["server auth", "digital signature", "key encipherment"],
                     "issuerRef": {"group": CERT_MANAGER, "kind": issuer_kind, "name": issuer_name}}}


def label_selectors(labels: Mapping[str, str]) -> List[str]:
    """`key=value` for each label, as kubernetes.core.k8s_info's label_selectors takes them."""
    return ["%s=%s" % (key, value) for key, value in labels.items()]


def gateway_tls_plan(listeners: Sequence[Mapping[str, Any]], gateway_namespace: str, gateway_name: str,
                     provider: str, port: Any, allowed_routes: Mapping[str, Any], validity_days: Any,
                     renew_before_days: Any, issuer_kind: str, issuer_name: str,
                     labels: Mapping[str, str]) -> Dict[str, Any]:
    """Everything role gateway_tls keeps for `listeners` (gateway_tls_listeners):

    entries             the listeners with their defaults, each with the `listener` the Gateway stores
    foreign_namespaces  namespaces other than the Gateway's holding certificates (a ReferenceGrant each)
    providers           the certificate providers in use
    certificates        the self-provided certificates, for modelserving.maas.tls_certificate
    objects             the Gateway's listeners, the ReferenceGrants and the cert-manager Certificates
    reference_grant_name, label_selectors  to find this Gateway's ReferenceGrants again
    """
    validity_days = _number("validity_days", validity_days)
    renew_before_days = _number("renew_before_days", renew_before_days)
    entries = []
    for index, item in enumerate(listeners or []):
        missing = [key for key in ("hostname", "secret_name") if not isinstance(item, Mapping) or not item.get(key)]
        if missing:
            raise ListenerError("gateway_tls_listeners[%d]: %s %s required"
                                % (index, " and ".join(missing), "is" if len(missing) == 1 else "are"))
        try:
            entries.append(listener_entry(item, gateway_namespace, provider, port, allowed_routes))
        except ListenerError as exc:
            raise ListenerError("gateway_tls_listeners[%d]: %s" % (index, exc))
    namespaces = foreign_namespaces(entries, gateway_namespace)
    objects = [gateway_with_listeners(gateway_namespace, gateway_name, entries)]
    objects += [reference_grant(ns, entries, gateway_namespace, gateway_name, labels) for ns in namespaces]
    objects += [cert_manager_certificate(e, validity_days, renew_before_days, issuer_kind, issuer_name, labels)
                for e in entries if e["provider"] == "cert-manager"]
    return {
        "entries": entries,
        "foreign_namespaces": namespaces,
        "providers": providers(entries),
        "certificates": self_certificates(entries, validity_days, renew_before_days, labels),
        "objects": objects,
        "reference_grant_name": reference_grant_name(gateway_namespace, gateway_name),
        "label_selectors": label_selectors(labels),
    }
