# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Argument specs shared by the modules, each written once with its doc fragment beside it.

`APPLY_ARG_SPEC` pairs with doc fragment `modelserving.maas.apply_options` and `PATCH_ARG_SPEC`
with `modelserving.maas.apply_options.patch`, the way kubernetes.core pairs `WAIT_ARG_SPEC` with
`k8s_wait_options`; `REQUEST_ARG_SPEC` (request_timeout, in every module) with
`modelserving.maas.request_options`. Connection options are kubernetes.core's own `AUTH_ARG_SPEC`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
    HAS_KUBERNETES_CORE = True
except ImportError:
    AUTH_ARG_SPEC = {}
    HAS_KUBERNETES_CORE = False

DEFAULT_FIELD_MANAGER = "modelserving.maas"
DEFAULT_WORKERS = 8

FIELD_MANAGER_ARG_SPEC = dict(field_manager=dict(type="str", default=DEFAULT_FIELD_MANAGER))
WORKERS_ARG_SPEC = dict(workers=dict(type="int", default=DEFAULT_WORKERS))
# Server-side apply: who owns the fields, whether to take others' fields, how many requests at once.
APPLY_ARG_SPEC = dict(FIELD_MANAGER_ARG_SPEC, force_conflicts=dict(type="bool", default=False), **WORKERS_ARG_SPEC)
# Every module: how long one API request may take (doc fragment modelserving.maas.request_options).
DEFAULT_REQUEST_TIMEOUT = 60.0
REQUEST_ARG_SPEC = dict(request_timeout=dict(type="float", default=DEFAULT_REQUEST_TIMEOUT))
# Guarded patches (no ownership take-over): field manager and request concurrency.
PATCH_ARG_SPEC = dict(FIELD_MANAGER_ARG_SPEC, **WORKERS_ARG_SPEC)


def argument_spec(options, *shared):
    """kubernetes.core's connection options, request_timeout, the `shared` specs (APPLY_ARG_SPEC, ...)
    and `options`.

    Deep copies, so no module can change a spec another module reads.
    """
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(copy.deepcopy(REQUEST_ARG_SPEC))
    for extra in shared:
        spec.update(copy.deepcopy(extra))
    spec.update(copy.deepcopy(options))
    return spec


def new_module(**kwargs):
    """An AnsibleModule that checks kubernetes.core and the `kubernetes` package are importable."""
    if not HAS_KUBERNETES_CORE:
        from ansible.module_utils.basic import AnsibleModule

        module = AnsibleModule(**kwargs)
        module.fail_json(msg="This module needs the kubernetes.core collection (>= 6.0.0). Install it with "
                             "`ansible-galaxy collection install kubernetes.core` or the `ansible` package.")
    return AnsibleK8SModule(**kwargs)
