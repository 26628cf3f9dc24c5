# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Who verifies whom: the CA a role knows, and what each TLS client is configured to trust.

`first_known_ca` picks the CA the maas_api role publishes for the gateway from the places each
certificate provider leaves it. The `*_verification` functions read the client side of a hop as the
cluster stores it (an Istio DestinationRule, a Gateway API BackendTLSPolicy, Authorino's Deployment)
and say whether that client verifies its peer, against which CA and for which name; playbook verify
then checks the live peer against exactly that. Pure functions: objects in, facts out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional, Sequence

PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
# Keys Istio reads a CA from in a credentialName Secret.
ISTIO_CA_KEYS = ("ca.crt", "cacert")


def first_known_ca(candidates: Sequence[Mapping[str, Any]]) -> Dict[str, str]:
    """{pem, source} of the first candidate ({source, pem}) whose PEM holds a certificate;
    {pem: "", source: ""} when none does (the CA is unknown)."""
    for candidate in candidates or []:
        pem = candidate.get("pem") or ""
        if isinstance(pem, str) and PEM_CERTIFICATE in pem:
            return {"pem": pem if pem.endswith("\n") else pem + "\n", "source": str(candidate.get("source", ""))}
    return {"pem": "", "source": ""}


def _verification(client: str, verifies: bool, problems: List[str], server_name: str,
                  ca: Optional[Dict[str, str]]) -> Dict[str, Any]:
    return {"client": client, "verifies": verifies, "problems": problems, "server_name": server_name, "ca": ca}


def _port_tls(spec: Mapping[str, Any], port: int) -> Mapping[str, Any]:
    """The TLS settings a DestinationRule applies to `port`: its port-level entry, else the default."""
    policy = spec.get("trafficPolicy") or {}
    for entry in policy.get("portLevelSettings") or []:
        if (entry.get("port") or {}).get("number") == port and entry.get("tls"):
            return entry["tls"]
    return policy.get("tls") or {}


def destination_rule_verification(rule: Mapping[str, Any], port: int, server_name: str) -> Dict[str, Any]:
    """Whether an Istio gateway using `rule` for `port` verifies the peer it originates TLS to.

    Istio verifies when it has a CA (credentialName, read from the gateway's namespace, or
    caCertificates, a file in the proxy) and insecureSkipVerify is not set; it checks the names
    in subjectAltNames, else the name the request was for. `ca` is the Secret to check against."""
    meta = rule.get("metadata") or {}
    client = "DestinationRule %s/%s" % (meta.get("namespace"), meta.get("name"))
    tls = _port_tls(rule.get("spec") or {}, port)
    names = list(tls.get("subjectAltNames") or [])
    problems = []
    if tls.get("mode") not in ("SIMPLE", "MUTUAL"):
        problems.append("tls.mode is %s, so the gateway does not originate TLS on port %d"
                        % (tls.get("mode") or "unset", port))
    if tls.get("insecureSkipVerify"):
        problems.append("insecureSkipVerify is true: encrypted but unverified")
    elif not (tls.get("credentialName") or tls.get("caCertificates")):
        problems.append("no credentialName or caCertificates: the proxy's system roots cannot verify a cluster CA")
    if names and server_name not in names:
        problems.append("subjectAltNames %s do not include %s" % (", ".join(names), server_name))
    ca = None
    if tls.get("credentialName"):
        ca = {"kind": "Secret", "name": tls["credentialName"], "namespace": meta.get("namespace")}
    return _verification(client, not problems, problems, names[0] if names else server_name, ca)


def backend_tls_policy_verification(policy: Mapping[str, Any]) -> Dict[str, Any]:
    """Whether a BackendTLSPolicy makes the gateway verify its backend (it always does when valid:
    the API has no skip switch), against which ConfigMap and for which hostname."""
    meta = policy.get("metadata") or {}
    validation = (policy.get("spec") or {}).get("validation") or {}
    refs = [r for r in validation.get("caCertificateRefs") or [] if r.get("kind") == "ConfigMap"]
    problems = []
    if not refs and not validation.get("wellKnownCACertificates"):
        problems.append("validation names no CA (caCertificateRefs or wellKnownCACertificates)")
    if not validation.get("hostname"):
        problems.append("validation.hostname is empty")
    ca = {"kind": "ConfigMap", "name": refs[0]["name"], "namespace": meta.get("namespace"), "key": "ca.crt"} \
        if refs else None
    return _verification("BackendTLSPolicy %s/%s" % (meta.get("namespace"), meta.get("name")), not problems,
                         problems, validation.get("hostname") or "", ca)


def _container_env(container: Mapping[str, Any]) -> Dict[str, str]:
    return {e.get("name"): e.get("value") for e in container.get("env") or [] if "value" in e}


def _mounted_configmap(pod: Mapping[str, Any], container: Mapping[str, Any], path: str) -> Optional[Dict[str, str]]:
    """The ConfigMap key mounted at `path` in `container`, or None when no ConfigMap volume holds it."""
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    for mount in container.get("volumeMounts") or []:
        directory = str(mount.get("mountPath", "")).rstrip("/")
        if not path.startswith(directory + "/"):
            continue
        configmap = (volumes.get(mount.get("name")) or {}).get("configMap")
        if not configmap:
            return None
        relative = path[len(directory) + 1:]
        items = {i.get("path"): i.get("key") for i in configmap.get("items") or []}
        return {"kind": "ConfigMap", "name": configmap.get("name"), "key": items.get(relative, relative)}
    return None


def _cr_mounted_configmap(authorino_cr: Mapping[str, Any], path: str) -> Optional[Dict[str, str]]:
    """The ConfigMap key the Authorino CR's spec.volumes mounts at `path` (the operator adds the
    volume and mount to the Deployment), or None."""
    for item in ((authorino_cr.get("spec") or {}).get("volumes") or {}).get("items") or []:
        directory = str(item.get("mountPath", "")).rstrip("/")
        if path.startswith(directory + "/") and item.get("configMaps"):
            relative = path[len(directory) + 1:]
            keys = {i.get("path"): i.get("key") for i in item.get("items") or []}
            return {"kind": "ConfigMap", "name": item["configMaps"][0], "key": keys.get(relative, relative)}
    return None


def authorino_verification(deployment: Mapping[str, Any], server_name: str,
                           authorino_cr: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Whether Authorino (a Go program) can verify maas-api: SSL_CERT_FILE must name a file mounted
    from a ConfigMap (the CA bundle), by the Deployment or by the Authorino CR's spec.volumes. Go
    always verifies; without the bundle it trusts only the image's system roots, which never chain
    to a cluster CA."""
    meta = deployment.get("metadata") or {}
    client = "Deployment %s/%s" % (meta.get("namespace"), meta.get("name"))
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = pod.get("containers") or []
    path = _container_env(containers[0]).get("SSL_CERT_FILE") if containers else None
    ca = (_mounted_configmap(pod, containers[0], path) or _cr_mounted_configmap(authorino_cr or {}, path)) \
        if path else None
    problems = []
    if not path:
        problems.append("SSL_CERT_FILE is not set: Authorino trusts only the image's system roots")
    elif ca is None:
        problems.append("SSL_CERT_FILE %s is not mounted from a ConfigMap: the trust path is configured but not mounted"
                        % path)
    if ca is not None:
        ca["namespace"] = meta.get("namespace")
    return _verification(client, not problems, problems, server_name, ca)
