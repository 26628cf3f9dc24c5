# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter tls_restart_annotations: a tls_certificate result in, pod-template annotations that follow its fingerprints out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.modelserving.maas.plugins.module_utils._tls.rollout import restart_annotations


def tls_restart_annotations(issued, prefix="maas.opendatahub.io", ca=True):
    if issued is not None and not isinstance(issued, dict):
        raise AnsibleFilterError("tls_restart_annotations: expected a registered tls_certificate result, got %s"
                                 % type(issued).__name__)
    try:
        return restart_annotations(issued, prefix, ca=boolean(ca, strict=False))
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("tls_restart_annotations: the result has no sha256_fingerprint where a "
                                 "tls_certificate result has one (%s)" % exc)


class FilterModule(object):
    def filters(self):
        return {"tls_restart_annotations": tls_restart_annotations}
