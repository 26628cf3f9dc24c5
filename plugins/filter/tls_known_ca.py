# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter tls_known_ca: the places a provider leaves its CA in, the first CA found out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.module_utils._tls.trust import first_known_ca


def tls_known_ca(candidates):
    if not isinstance(candidates, list) or not all(isinstance(c, dict) for c in candidates):
        raise AnsibleFilterError("tls_known_ca: expected a list of {source, pem}, got %s" % type(candidates).__name__)
    return first_known_ca(candidates)


class FilterModule(object):
    def filters(self):
        return {"tls_known_ca": tls_known_ca}
