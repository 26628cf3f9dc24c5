# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter tls_verify_plan: the Gateway, Authorino CR, maas-api Service and maas-api's clients as read in, the TLS checks to run and the hops skipped out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.module_utils._tls.hops import tls_verify_plan as _plan


def clients_as_read(results):
    """maas-api's clients from the results of a looped k8s_info (each `item` has key, kind, namespace
    and name), as tls_verify_plan takes them; a dict is taken as it is, None stays None."""
    if results is None or isinstance(results, dict):
        return results
    clients = {"names": {}}
    for result in results:
        item = result.get("item") or {}
        clients[item["key"]] = (result.get("resources") or [{}])[0]
        clients["names"][item["key"]] = "%s/%s" % (item.get("namespace"), item.get("name"))
    return clients


def tls_verify_plan(found, gateway_namespace="openshift-ingress", gateway_name="maas-default-gateway",
                    authorino_namespace="kuadrant-system", authorino_name="authorino",
                    authorino_service="authorino-authorino-authorization", maas_api_namespace="opendatahub",
                    maas_api_service="maas-api", maas_api_port=8443, addresses=None, ca_configmap=None,
                    gateway_ca_configmap=None, gateway_min_version="1.2", authorino_min_version="1.2",
                    maas_api_min_version="1.2", min_days_to_expiry=7, clients=None, cluster_domain="cluster.local"):
    if not isinstance(found, dict):
        raise AnsibleFilterError("tls_verify_plan: expected a dict with the gateway, authorino and maas_api "
                                 "objects as read, got %s" % type(found).__name__)
    try:
        return _plan(found.get("gateway") or {}, found.get("authorino") or {}, found.get("maas_api") or {},
                     gateway_namespace=gateway_namespace, gateway_name=gateway_name,
                     authorino_namespace=authorino_namespace, authorino_name=authorino_name,
                     authorino_service=authorino_service, maas_api_namespace=maas_api_namespace,
                     maas_api_service_name=maas_api_service, maas_api_port=maas_api_port, addresses=addresses or {},
                     ca_configmap=ca_configmap or {},
                     gateway_ca_configmap=ca_configmap if gateway_ca_configmap is None else gateway_ca_configmap,
                     gateway_min_version=gateway_min_version, authorino_min_version=authorino_min_version,
                     maas_api_min_version=maas_api_min_version, min_days_to_expiry=min_days_to_expiry,
                     clients=clients_as_read(clients), cluster_domain=cluster_domain)
    # HopError names the address; int() a port or day count that is not a number.
    except (ValueError, KeyError) as exc:
        raise AnsibleFilterError("tls_verify_plan: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"tls_verify_plan": tls_verify_plan}
