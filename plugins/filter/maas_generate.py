# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter maas_generate: MaaS custom resources in, Kuadrant and Gateway API objects out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    DEFAULT_AUDIENCES,
    DEFAULT_MAAS_API_URL,
    DEFAULT_MANAGED_BY,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate
from ansible_collections.modelserving.maas.plugins.module_utils._maas.validate import TranslationError


def _plain(value):
    """Templated values arrive as Ansible's lazy containers; translation wants plain data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    return str(value)


def maas_generate(resources, routes=None, selection="groups", maas_api_url=DEFAULT_MAAS_API_URL,
                  audiences=None, managed_by=DEFAULT_MANAGED_BY, gateway=None, tiers=None,
                  external_tls="destinationrule", cache_ttl=60, allow_internal_endpoints=False, service_entry=True):
    try:
        return generate(
            _plain(resources), routes=_plain(routes), selection=_plain(selection),
            maas_api_url=_plain(maas_api_url),
            audiences=_plain(audiences) if audiences is not None else list(DEFAULT_AUDIENCES),
            managed_by=_plain(managed_by), gateway=_plain(gateway), tiers=_plain(tiers),
            external_tls=_plain(external_tls), cache_ttl=_plain(cache_ttl),
            allow_internal_endpoints=_plain(allow_internal_endpoints), service_entry=_plain(service_entry))
    except TranslationError as exc:
        raise AnsibleFilterError("maas_generate: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"maas_generate": maas_generate}
