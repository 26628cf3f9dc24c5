# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""TLS for Authorino (role authorino_tls): what asks the platform for its certificate and CA bundle,
and the patches of the Authorino CR and Deployment that turn listener TLS on and mount the bundle.

Inbound, the Authorino CR's spec.listener.tls serves the certificate in a Secret. Outbound, the CA
bundle is mounted into the container and SSL_CERT_FILE and REQUESTS_CA_BUNDLE point at it: through
the CR's spec.volumes where the operator supports it (it then adds volume and mount itself), else as
a volume and mount on the Deployment, which the operator replaces when it next reconciles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

AUTHORINO_API = "operator.authorino.kuadrant.io/v1beta1"
CERT_MANAGER = "cert-manager.io"
SERVING_CERT_ANNOTATION = "service.beta.openshift.io/serving-cert-secret-name"
INJECT_CABUNDLE_ANNOTATION = "service.beta.openshift.io/inject-cabundle"
# What the CR's fields were before this role first overwrote them (the value is a JSON merge patch);
# playbook uninstall.yml (module maas_uninstall) puts them back.
RESTORE_ANNOTATION = "maas.opendatahub.io/restore-on-uninstall"


def openshift_serving_cert_service(name: str, namespace: str, secret_name: str) -> Dict[str, Any]:
    """The Service annotation that has the OpenShift service CA issue the certificate into `secret_name`."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "annotations": {SERVING_CERT_ANNOTATION: secret_name}}}


def openshift_ca_bundle_configmap(name: str, namespace: str) -> Dict[str, Any]:
    """The ConfigMap annotation that has OpenShift inject the service CA (key service-ca.crt)."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "annotations": {INJECT_CABUNDLE_ANNOTATION: "true"}}}


def ca_cluster_issuer(name: str, ca_secret: str) -> Dict[str, Any]:
    """A cert-manager CA ClusterIssuer signing with the shared CA's Secret."""
    return {"apiVersion": CERT_MANAGER + "/v1", "kind": "ClusterIssuer", "metadata": {"name": name},
            "spec": {"ca": {"secretName": ca_secret}}}


def serving_certificate(secret_name: str, namespace: str, dns_names: Sequence[str], validity_days: int,
                        renew_before_days: int, issuer_kind: str, issuer_name: str) -> Dict[str, Any]:
    """The cert-manager Certificate of Authorino's listener: a new ECDSA P-256 key at each renewal."""
    return {"apiVersion": CERT_MANAGER + "/v1", "kind": "Certificate",
            "metadata": {"name": secret_name, "namespace": namespace},
            "spec": {"secretName": secret_name, "dnsNames": list(dns_names),
                     "duration": "%dh" % (validity_days * 24), "renewBefore": "%dh" % (renew_before_days * 24),
                     "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                     "usages": ["server auth", "digital signature"],
                     "issuerRef": {"group": CERT_MANAGER, "kind": issuer_kind, "name": issuer_name}}}


def provider_objects(listener: bool, outbound: bool, provider: str, trust_provider: str, namespace: str,
                     service_name: str, secret_name: str, ca_bundle_configmap: str, dns_names: Sequence[str],
                     validity_days: Any, renew_before_days: Any, create_issuer: bool, issuer_kind: str,
                     issuer_name: str, ca_secret: str) -> List[Dict[str, Any]]:
    """What makes the platform issue the listener's certificate (providers openshift, cert-manager)
    and publish the CA bundle (trust provider openshift). Providers self and provided need none."""
    objects = []
    if listener and provider == "openshift":
        objects.append(openshift_serving_cert_service(service_name, namespace, secret_name))
    if outbound and trust_provider == "openshift":
        objects.append(openshift_ca_bundle_configmap(ca_bundle_configmap, namespace))
    if listener and provider == "cert-manager":
        # An Issuer lives in the certificate's namespace and is the user's to create.
        if create_issuer and issuer_kind == "ClusterIssuer":
            objects.append(ca_cluster_issuer(issuer_name, ca_secret))
        objects.append(serving_certificate(secret_name, namespace, dns_names, int(validity_days),
                                           int(renew_before_days), issuer_kind, issuer_name))
    return objects


def trust_volume(volume_name: str, mount_dir: str, configmap: str, key: str, file_name: str) -> Dict[str, Any]:
    """The CA bundle as an item of the Authorino CR's spec.volumes: the operator mounts it at
    `mount_dir`, key `key` of the ConfigMap becoming `<mount_dir>/<file_name>`."""
    return {"name": volume_name, "mountPath": mount_dir, "configMaps": [configmap],
            "items": [{"key": key, "path": file_name}]}


def volumes_with(live_items: Optional[Sequence[Mapping[str, Any]]], volume: Mapping[str, Any]) -> List[Any]:
    """spec.volumes.items with `volume` in it. The list is atomic, so server-side apply replaces it
    whole: the volumes others put there are kept, and only ours is replaced (or added last)."""
    live = [dict(item) for item in live_items or []]
    if dict(volume) in live:
        return live
    return [item for item in live if item.get("name") != volume["name"]] + [dict(volume)]


def restore_record(authorino: Mapping[str, Any], listener: bool, volumes: bool) -> str:
    """The restore annotation's value: a JSON merge patch putting back the listener TLS settings and
    the spec.volumes items the CR had before this role first overwrote them (uninstall applies it
    after giving up our fields). Recorded once: what an earlier run recorded is kept, and a part
    first touched now is added as the CR is now."""
    try:
        recorded = json.loads(((authorino.get("metadata") or {}).get("annotations") or {}).get(RESTORE_ANNOTATION) or "{}")
    except ValueError:
        recorded = {}
    recorded = recorded if isinstance(recorded, dict) else {}
    spec = recorded.get("spec") if isinstance(recorded.get("spec"), dict) else {}
    recorded["spec"] = spec
    live = authorino.get("spec") or {}
    # A merge patch merges: what was absent is recorded as null (removed), at the highest level absent.
    if listener and "listener" not in spec:
        tls = (live.get("listener") or {}).get("tls")
        if isinstance(tls, dict):
            tls = dict({"enabled": None, "certSecretRef": None}, **tls)
        spec["listener"] = {"tls": tls if isinstance(tls, dict) else None} if "listener" in live else None
    if volumes and "volumes" not in spec:
        spec["volumes"] = {"items": (live.get("volumes") or {}).get("items")} if "volumes" in live else None
    return json.dumps(recorded, sort_keys=True, separators=(",", ":"))


def authorino_cr_patch(authorino: Mapping[str, Any], listener_secret: Optional[str],
                       volume: Optional[Mapping[str, Any]], record_restore: bool = True) -> Dict[str, Any]:
    """The fields of the live Authorino CR `authorino` this role owns: listener TLS serving
    `listener_secret` (None: not touched), `volume` among its spec.volumes (None: not touched), and
    the restore annotation recording what those were before (`restore_record`; not with
    `record_restore` false, where the live CR is not known)."""
    spec: Dict[str, Any] = {}
    if listener_secret is not None:
        spec["listener"] = {"tls": {"enabled": True, "certSecretRef": {"name": listener_secret}}}
    if volume is not None:
        live_volumes = ((authorino.get("spec") or {}).get("volumes") or {}).get("items")
        spec["volumes"] = {"items": volumes_with(live_volumes, volume)}
    metadata: Dict[str, Any] = {"name": authorino["metadata"]["name"], "namespace": authorino["metadata"]["namespace"]}
    if spec and record_restore:
        metadata["annotations"] = {RESTORE_ANNOTATION: restore_record(authorino, listener_secret is not None,
                                                                      volume is not None)}
    return {"apiVersion": AUTHORINO_API, "kind": "Authorino", "metadata": metadata, "spec": spec}


def deployment_patch(name: str, namespace: str, container_name: str, ca_file: str,
                     restart_annotations: Mapping[str, str],
                     pod_volume: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The fields of the Authorino Deployment this role owns: SSL_CERT_FILE and REQUESTS_CA_BUNDLE on
    the container, the restart annotations (when there are any) and, with `pod_volume` (the bundle as
    a ConfigMap volume, for operators without spec.volumes), that volume and its read-only mount."""
    container: Dict[str, Any] = {"name": container_name,
                                 "env": [{"name": "SSL_CERT_FILE", "value": ca_file},
                                         {"name": "REQUESTS_CA_BUNDLE", "value": ca_file}]}
    pod_spec: Dict[str, Any] = {"containers": [container]}
    if pod_volume is not None:
        container["volumeMounts"] = [{"name": pod_volume["name"], "mountPath": pod_volume["mountPath"],
                                      "readOnly": True}]
        pod_spec["volumes"] = [{"name": pod_volume["name"],
                                "configMap": {"name": pod_volume["configMaps"][0], "items": list(pod_volume["items"])}}]
    template: Dict[str, Any] = {}
    if restart_annotations:
        template["metadata"] = {"annotations": dict(restart_annotations)}
    template["spec"] = pod_spec
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": template}}


def authorino_tls_patches(authorino: Mapping[str, Any], listener: bool, outbound: bool, mount_in_cr: bool,
                          secret_name: str, volume_name: str, mount_dir: str, ca_bundle_configmap: str,
                          ca_bundle_key: str, ca_file_name: str, deployment_name: str, container_name: str,
                          restart_annotations: Mapping[str, str], record_restore: bool = True) -> List[Dict[str, Any]]:
    """The Authorino CR patch and, with `outbound`, the Deployment patch, for one server-side apply.
    `mount_in_cr`: the bundle goes through the CR's spec.volumes, not onto the Deployment."""
    volume = trust_volume(volume_name, mount_dir, ca_bundle_configmap, ca_bundle_key, ca_file_name)
    patches = [authorino_cr_patch(authorino, secret_name if listener else None,
                                  volume if outbound and mount_in_cr else None, record_restore)]
    if outbound:
        patches.append(deployment_patch(deployment_name, authorino["metadata"]["namespace"], container_name,
                                        "%s/%s" % (mount_dir, ca_file_name), restart_annotations,
                                        None if mount_in_cr else volume))
    return patches
