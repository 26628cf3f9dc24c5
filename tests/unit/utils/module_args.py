# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module parameters as AnsibleModule would hand them to run(): validated, defaults filled in.

The argument spec is the one the module's main() builds (captured by calling main() with
`new_module` and `execute` replaced), so a test cannot drift from what the module declares.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


def argument_spec_of(module):
    """The argument_spec the module's main() passes to new_module."""
    captured = {}
    with mock.patch.object(module, "new_module", side_effect=lambda **kwargs: captured.update(kwargs)), \
            mock.patch.object(module, "execute"):
        module.main()
    return captured["argument_spec"]


def params_for(module, **given):
    """`given` validated against the module's argument spec; raises ValueError naming what is wrong."""
    result = ArgumentSpecValidator(argument_spec_of(module)).validate(given)
    if result.error_messages:
        raise ValueError("; ".join(result.error_messages))
    return result.validated_parameters
