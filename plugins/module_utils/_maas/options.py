# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The options of the translation, shared by maas_policy_sync (which applies it) and
maas_policy_render (which only returns it), so that the two cannot take different inputs. Their
documentation is the doc fragment modelserving.maas.translation_options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    DEFAULT_AUDIENCES,
    DEFAULT_MAAS_API_URL,
    DEFAULT_MANAGED_BY,
    SELECTION_MODES,
)

# Where default-tenant lives unless told (upstream's MAAS_SUBSCRIPTION_NAMESPACE).
DEFAULT_TENANT_NAMESPACE = "models-as-a-service"

TRANSLATION_ARG_SPEC = dict(
    selection=dict(type="str", choices=list(SELECTION_MODES), default="groups"),
    maas_api_url=dict(type="str", default=DEFAULT_MAAS_API_URL),
    audiences=dict(type="list", elements="str", default=list(DEFAULT_AUDIENCES)),
    managed_by=dict(type="str", default=DEFAULT_MANAGED_BY),
    tenant_namespace=dict(type="str", default=DEFAULT_TENANT_NAMESPACE),
    allowed_namespaces=dict(type="list", elements="str"),
    gateway=dict(type="dict", options=dict(namespace=dict(type="str", required=True),
                                           name=dict(type="str", required=True))),
    tiers=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        groups=dict(type="list", elements="str", required=True),
        requests_per_minute=dict(type="int"),
        # A count of LLM tokens, not a credential: nothing to hide from logs.
        tokens_per_minute=dict(type="int", no_log=False),
    )),
    external_tls=dict(type="str", choices=["auto", "destinationrule", "backendtlspolicy"], default="auto"),
    external_ca=dict(type="dict", default={}),
    cache_ttl=dict(type="int", default=60),
    allow_internal_endpoints=dict(type="bool", default=False),
)
