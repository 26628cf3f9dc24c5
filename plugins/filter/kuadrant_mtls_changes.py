# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter kuadrant_mtls_changes: registered results of a kuadrant_mtls run in, what it changed out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.module_utils._mesh.mtls_objects import changed_objects


def kuadrant_mtls_changes(applied, envoyfilters=None, envoyfilter_namespace=""):
    for name, value in (("input", applied), ("envoyfilters", envoyfilters or [])):
        if not isinstance(value, (list, tuple)):
            raise AnsibleFilterError("kuadrant_mtls_changes: %s must be a list of task results, got %s"
                                     % (name, type(value).__name__))
    return changed_objects(applied, envoyfilters or [], envoyfilter_namespace)


class FilterModule(object):
    def filters(self):
        return {"kuadrant_mtls_changes": kuadrant_mtls_changes}
