# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter cel_string: any string as a CEL string literal that evaluates back to exactly it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import CelValueError
from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import cel_string as _cel_string


def cel_string(value):
    if not isinstance(value, str):
        raise AnsibleFilterError("cel_string: expected a string, got %s" % type(value).__name__)
    try:
        return _cel_string(str(value))
    except CelValueError as exc:
        raise AnsibleFilterError("cel_string: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"cel_string": cel_string}
