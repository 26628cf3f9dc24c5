# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter gateway_tls_plan: gateway_tls_listeners in, the listeners, certificates and grants to keep out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.module_utils._tls.listeners import ListenerError
from ansible_collections.modelserving.maas.plugins.module_utils._tls.listeners import gateway_tls_plan as _plan

DEFAULT_ALLOWED_ROUTES = {"namespaces": {"from": "All"}}


def gateway_tls_plan(listeners, gateway_namespace, gateway_name, provider="self", port=443, allowed_routes=None,
                     validity_days=365, renew_before_days=30, issuer_kind="ClusterIssuer",
                     issuer_name="maas-ca-issuer", labels=None):
    if not isinstance(listeners, (list, tuple)):
        raise AnsibleFilterError("gateway_tls_plan: expected a list of listeners, got %s" % type(listeners).__name__)
    try:
        return _plan(listeners, gateway_namespace=gateway_namespace, gateway_name=gateway_name, provider=provider,
                     port=port, allowed_routes=DEFAULT_ALLOWED_ROUTES if allowed_routes is None else allowed_routes,
                     validity_days=validity_days, renew_before_days=renew_before_days, issuer_kind=issuer_kind,
                     issuer_name=issuer_name, labels=labels or {})
    except ListenerError as exc:
        raise AnsibleFilterError("gateway_tls_plan: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"gateway_tls_plan": gateway_tls_plan}
