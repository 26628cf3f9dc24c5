# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The route to an external model's provider: HTTPRoute, ExternalName Service, Istio ServiceEntry and
TLS origination.

A MaaSModelRef of kind ExternalModel has no KServe route; MaaS generates one, `maas-<name>` on the
tenant gateway, serving path `/<namespace>/<model>` from the provider. Where the provider is comes
from the ExternalModel CR of that name in the model's namespace, else from the MaaSModelRef's
spec.endpointOverride.

An endpoint is parsed strictly (`parse_endpoint_override`, `parse_host`): whatever is not understood
is refused rather than guessed, since a guess rewrites a working model's route. Addresses inside
the cluster or the node (`internal_address_reason`) are refused unless the caller allows them: any
namespace user can write a MaaSModelRef, and the gateway would forward callers' requests there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    BACKEND_TLS_POLICY,
    DESTINATION_RULE,
    EXTERNAL_MODEL_LABEL,
    GATEWAY_API_GROUP,
    HTTPROUTE,
    MODEL_NAME_HEADER,
    SERVICE,
    SERVICE_ENTRY,
    external_model_label,
    external_route_name,
    external_service_name,
    metadata,
)

HOSTNAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z", re.IGNORECASE)
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(r"^%s(\.%s){3}\Z" % (_OCTET, _OCTET))
_URL = re.compile(r"^(?P<scheme>[^:/?#]+)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)"
                  r"(?P<query>\?[^#]*)?(?P<fragment>#.*)?\Z")
# RFC 3986 path characters, as Gateway API accepts them in a path.
_PATH = re.compile(r"^(/([-A-Za-z0-9._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+\Z")
_MAX_PATH = 1024  # HTTPRoute replacePrefixMatch
_DIGITS = re.compile(r"^[0-9]{1,5}\Z")

# The Kubernetes API server as every pod can name it.
API_SERVER_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc",
                    "kubernetes.default.svc.cluster.local")
# Host names of the node's or the cloud's own services.
_METADATA_NAMES = ("metadata.google.internal",)
_CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local", ".cluster.local")


def parse_host(text) -> str:
    """A provider host, lower-cased: a DNS name or a dotted IPv4 address; ValueError says why not.

    A name whose last label starts with a digit is refused unless it is a plain dotted IPv4 address:
    resolvers read `2130706433`, `127.1` or `0x7f.1` as 127.0.0.1. IPv6 addresses are refused: an
    ExternalName Service cannot point at one.
    """
    if text.startswith("[") or text.count(":") > 1:
        raise ValueError("an IPv6 address cannot be the target of an ExternalName Service; give a host name")
    if not text or len(text) > 253 or not HOSTNAME.match(text):
        raise ValueError("the host must be a DNS name (letters, digits, '-' and '.') or an IPv4 address")
    if not text.rsplit(".", 1)[-1][0].isalpha() and not _IPV4.match(text):
        raise ValueError("the host is neither a DNS name (its last label starting with a letter) "
                         "nor a dotted IPv4 address")
    return text.lower()


def _port(text, tls) -> int:
    if text is None:
        return 443 if tls else 80
    if not _DIGITS.match(text) or not 1 <= int(text) <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    return int(text)


def _path(text) -> str:
    """The path requests are forwarded under: "/" when none is given, never with a trailing '/'."""
    if text in ("", "/"):
        return "/"
    if len(text) > _MAX_PATH or not _PATH.match(text):
        raise ValueError("the path must be at most %d characters of letters, digits, %%-escapes "
                         "and -._~!$&'()*+,;=:@/" % _MAX_PATH)
    path = text.rstrip("/") or "/"
    if path != "/" and any(segment in ("", ".", "..") for segment in path.split("/")[1:]):
        raise ValueError("the path must not contain empty, '.' or '..' segments")
    return path


def _split_url(text) -> tuple:
    """(tls, authority, path) of `scheme://authority/path`, or of a bare `host[:port]` (https)."""
    if "://" not in text:
        if any(c in text for c in "/?#"):
            raise ValueError("must be an http:// or https:// URL, or a bare host[:port]")
        return True, text, ""
    match = _URL.match(text)
    if not match:
        raise ValueError("must be an http:// or https:// URL, or a bare host[:port]")
    if match.group("scheme").lower() not in ("http", "https"):
        raise ValueError("the scheme must be http or https")
    if match.group("query") is not None:
        raise ValueError("a query (?...) cannot be kept: requests are forwarded with the caller's own query")
    if match.group("fragment") is not None:
        raise ValueError("a fragment (#...) is never sent to a server")
    return match.group("scheme").lower() == "https", match.group("authority"), match.group("path")


def parse_endpoint_override(text) -> dict:
    """{host, port, tls, path} of a MaaSModelRef's spec.endpointOverride; ValueError says what is wrong.

    `http://` or `https://` URL with an optional port and path, or a bare `host[:port]`, reached over
    https. The path is kept: the generated route forwards `/<namespace>/<model>/...` to
    `<path>/...`. A query, a fragment or user information is refused, as is anything else this
    parser would have to guess about.
    """
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError("must be a URL without spaces or control characters")
    tls, authority, path = _split_url(text)
    if "@" in authority:
        raise ValueError("must not carry user information (user@ or user:password@)")
    if not authority.startswith("[") and authority.count(":") == 1:
        host, port = authority.split(":")
    else:
        host, port = authority, None
    return {"host": parse_host(host), "port": _port(port, tls), "tls": tls, "path": _path(path)}


def internal_address_reason(host):
    """Why `host` (as parse_host returns it) is inside the cluster or the node, or None.

    Refused: loopback (127.0.0.0/8, localhost), link-local (169.254.0.0/16: cloud metadata services),
    the unspecified 0.0.0.0 (and the rest of 0.0.0.0/8), the API server's names, Service names
    (`*.svc`, `*.svc.cluster.local`, `*.cluster.local`) and single-label names, which resolve only
    through the cluster's DNS search path. A two-label `service.namespace` cannot be told apart from
    a public name and is not refused.
    """
    if _IPV4.match(host):
        first, second = (int(part) for part in host.split(".")[:2])
        if first == 127:
            return "is a loopback address"
        if (first, second) == (169, 254):
            return "is a link-local address (where cloud metadata services answer)"
        if first == 0:
            return "is the unspecified address or in 0.0.0.0/8 (this host)"
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "is a loopback name"
    if host in _METADATA_NAMES:
        return "is a cloud metadata service"
    if host in API_SERVER_NAMES or host.startswith("kubernetes.default.svc."):
        return "is the Kubernetes API server"
    if host.endswith(_CLUSTER_SUFFIXES):
        return "is an in-cluster Service name"
    if "." not in host:
        return "is a single-label name, which resolves only inside the cluster"
    return None


def provider_endpoint(model, externals):
    """Where an ExternalModel model's provider is: its ExternalModel CR, else its endpoint override;
    None when neither says."""
    external = externals.get((model["key"][0], model["name"]))
    return external if external is not None else model["override"]


def unknown_provider_reason(model) -> str:
    return "ExternalModel %s/%s not found and spec.endpointOverride is not set" % (model["key"][0], model["name"])


def external_route_facts(model, gateway) -> dict:
    """What status reports of the generated HTTPRoute (it has no hostnames of its own)."""
    return {"name": external_route_name(model["name"]), "namespace": model["key"][0], "gateway": dict(gateway),
            "hostnames": []}


def _metadata(name, model, managed_by) -> dict:
    """metadata of a generated object of `model`, also labelled with its ExternalModel as upstream labels it."""
    found = metadata(name, model["key"][0], managed_by, "route", [model["producer"]], model["key"])
    found["labels"][EXTERNAL_MODEL_LABEL] = external_model_label(model["name"])
    return found


def _exported_to(model, gateway) -> list:
    """Where the mesh sees the ServiceEntry and DestinationRule: this namespace and the gateway's.

    A DestinationRule for a public host exported everywhere would make every sidecar that calls
    the provider with its own TLS wrap it in TLS a second time."""
    return ["."] if gateway["namespace"] == model["key"][0] else [".", gateway["namespace"]]


def _service(model, endpoint, managed_by) -> dict:
    return {
        "apiVersion": SERVICE[0],
        "kind": SERVICE[1],
        "metadata": _metadata(external_service_name(model["name"]), model, managed_by),
        "spec": {
            "type": "ExternalName",
            "externalName": endpoint["host"],
            "ports": [{"name": "https" if endpoint["tls"] else "http", "port": endpoint["port"], "protocol": "TCP"}],
        },
    }


def _service_entry(model, endpoint, gateway, managed_by) -> dict:
    """The provider's host in Istio's registry: the ExternalName Service is an alias of it, and the
    DestinationRule applies to it (Istio applies none to an ExternalName Service itself)."""
    scheme = "HTTPS" if endpoint["tls"] else "HTTP"
    return {
        "apiVersion": SERVICE_ENTRY[0],
        "kind": SERVICE_ENTRY[1],
        "metadata": _metadata(external_service_name(model["name"]), model, managed_by),
        "spec": {
            "hosts": [endpoint["host"]],
            "location": "MESH_EXTERNAL",
            "resolution": "DNS",
            "ports": [{"number": endpoint["port"], "name": scheme.lower(), "protocol": scheme}],
            "exportTo": _exported_to(model, gateway),
        },
    }


def _filters(endpoint, path_rewrite) -> list:
    """URLRewrite to the provider's host (and, for the path rule, its path), and the Host header set
    by a RequestHeaderModifier as the reference controller sets it (the TLS SNI follows it)."""
    rewrite = {"hostname": endpoint["host"]}
    if path_rewrite:
        rewrite["path"] = {"type": "ReplacePrefixMatch", "replacePrefixMatch": endpoint["path"]}
    return [{"type": "URLRewrite", "urlRewrite": rewrite},
            {"type": "RequestHeaderModifier", "requestHeaderModifier": {
                "set": [{"name": "Host", "value": endpoint["host"]}]}}]


def _rule(match, filters, model, endpoint) -> dict:
    return {"matches": [match], "filters": filters,
            "backendRefs": [{"group": "", "kind": "Service", "name": external_service_name(model["name"]),
                             "port": endpoint["port"]}],
            "timeouts": {"request": "300s"}}


def _rules(model, endpoint) -> list:
    """`/<ns>/<model>` forwarded under the provider's path; and, when the ExternalModel names its
    targetModel, requests carrying it in X-Gateway-Model-Name (set by upstream's payload processing)."""
    ns, model_name = model["key"]
    rules = [_rule({"path": {"type": "PathPrefix", "value": "/%s/%s" % (ns, model_name)}},
                   _filters(endpoint, path_rewrite=True), model, endpoint)]
    if endpoint.get("target_model"):
        header = {"type": "Exact", "name": MODEL_NAME_HEADER, "value": endpoint["target_model"]}
        rules.append(_rule({"headers": [header]}, _filters(endpoint, path_rewrite=False), model, endpoint))
    return rules


def _route(model, endpoint, gateway, managed_by) -> dict:
    return {
        "apiVersion": HTTPROUTE[0],
        "kind": HTTPROUTE[1],
        "metadata": _metadata(external_route_name(model["name"]), model, managed_by),
        "spec": {
            "parentRefs": [{"group": GATEWAY_API_GROUP, "kind": "Gateway",
                            "namespace": gateway["namespace"], "name": gateway["name"]}],
            "rules": _rules(model, endpoint),
        },
    }


def _backend_tls_policy(model, endpoint, _gateway, managed_by, ca_name=None) -> dict:
    """The gateway verifies the provider against the system roots, or the ConfigMap `ca_name` (key
    ca.crt, in the model's namespace), for the provider's host name."""
    service_name = external_service_name(model["name"])
    validation = {"hostname": endpoint["host"]}
    if ca_name:
        validation["caCertificateRefs"] = [{"group": "", "kind": "ConfigMap", "name": ca_name}]
    else:
        validation["wellKnownCACertificates"] = "System"
    return {
        "apiVersion": BACKEND_TLS_POLICY[0],
        "kind": BACKEND_TLS_POLICY[1],
        "metadata": _metadata(service_name, model, managed_by),
        "spec": {
            "targetRefs": [{"group": "", "kind": "Service", "name": service_name}],
            "validation": validation,
        },
    }


def _origination_tls(endpoint, ca_name=None) -> dict:
    """Istio client TLS that verifies the provider: its host as SNI and as the only name accepted,
    the proxy's OS roots (no caCertificates) or the Secret `ca_name` in the gateway's namespace, and
    insecureSkipVerify written as false, so that nobody reading the object has to guess."""
    tls = {"mode": "SIMPLE", "sni": endpoint["host"], "subjectAltNames": [endpoint["host"]],
           "insecureSkipVerify": False}
    if ca_name:
        tls["credentialName"] = ca_name
    return tls


def _destination_rule(model, endpoint, gateway, managed_by, ca_name=None) -> dict:
    """TLS origination to the provider's host (the ServiceEntry's), verified (`_origination_tls`)."""
    return {
        "apiVersion": DESTINATION_RULE[0],
        "kind": DESTINATION_RULE[1],
        "metadata": _metadata(external_service_name(model["name"]), model, managed_by),
        "spec": {
            "host": endpoint["host"],
            "trafficPolicy": {"portLevelSettings": [{
                "port": {"number": endpoint["port"]},
                "tls": _origination_tls(endpoint, ca_name),
            }]},
            "exportTo": _exported_to(model, gateway),
        },
    }


def external_model_objects(model, endpoint, gateway, options) -> list:
    """HTTPRoute maas-<name>, its ExternalName Service, the Istio ServiceEntry of the provider's host
    and, for a TLS provider, TLS origination by a BackendTLSPolicy or an Istio DestinationRule
    (options["external_tls"]) that verifies the provider: the system roots, or the CA named for its
    host in options["external_ca"].

    No ServiceEntry when options["service_entry"] is false (a cluster without Istio), nor for a host
    inside the cluster (allowed by allow_internal_endpoints): Istio already has that one."""
    managed_by = options["managed_by"]
    objects = [_service(model, endpoint, managed_by), _route(model, endpoint, gateway, managed_by)]
    if options["service_entry"] and internal_address_reason(endpoint["host"]) is None:
        objects.append(_service_entry(model, endpoint, gateway, managed_by))
    if endpoint["tls"]:
        tls = _backend_tls_policy if options["external_tls"] == "backendtlspolicy" else _destination_rule
        ca_name = (options.get("external_ca") or {}).get(endpoint["host"])
        objects.append(tls(model, endpoint, gateway, managed_by, ca_name))
    return objects
