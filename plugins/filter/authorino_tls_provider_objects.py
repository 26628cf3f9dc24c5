# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter authorino_tls_provider_objects: what asks OpenShift or cert-manager for Authorino's certificate and CA bundle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.modelserving.maas.plugins.module_utils._tls.authorino import provider_objects


def authorino_tls_provider_objects(provider, namespace, dns_names, trust_provider=None, listener=True, outbound=True,
                                   service_name="authorino-authorino-authorization",
                                   secret_name="authorino-server-cert", ca_bundle_configmap="maas-ca-bundle",
                                   validity_days=365, renew_before_days=30, create_issuer=True,
                                   issuer_kind="ClusterIssuer", issuer_name="maas-ca-issuer", ca_secret="maas-ca"):
    try:
        return provider_objects(
            listener=boolean(listener, strict=False), outbound=boolean(outbound, strict=False), provider=provider,
            trust_provider=provider if trust_provider is None else trust_provider, namespace=namespace,
            service_name=service_name, secret_name=secret_name, ca_bundle_configmap=ca_bundle_configmap,
            dns_names=list(dns_names), validity_days=validity_days, renew_before_days=renew_before_days,
            create_issuer=boolean(create_issuer, strict=False), issuer_kind=issuer_kind, issuer_name=issuer_name,
            ca_secret=ca_secret)
    except ValueError as exc:
        raise AnsibleFilterError("authorino_tls_provider_objects: validity_days and renew_before_days must be "
                                 "numbers: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"authorino_tls_provider_objects": authorino_tls_provider_objects}
