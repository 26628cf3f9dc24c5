# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""How a module runs: `main` builds the AnsibleModule and hands it to `execute` with one `run`.

`run(params, context)` holds the module's logic and knows nothing of AnsibleModule: it returns the
result dict or raises `ModuleFailure`, and reaches the cluster through `context.cluster()`, so unit
tests drive it with an in-memory cluster and integration tests through the real module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from ansible_collections.modelserving.maas.plugins.module_utils._kube.args import DEFAULT_REQUEST_TIMEOUT, DEFAULT_WORKERS


class ModuleFailure(Exception):
    """The task fails with `msg`; `result` (counts, lists, partial results) is returned with it."""

    def __init__(self, msg, **result):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.result = result


class RunContext(object):
    """What a run may use besides its parameters: check mode, diff mode, warnings, the cluster, and
    the values that must not appear in any output."""

    def __init__(self, connect, check_mode=False, diff=False, hide=None):
        """`hide(values)`: masks values in the module's output (AnsibleModule.no_log_values.update)."""
        self._connect = connect
        self._cluster = None
        self._hide = hide
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []
        self.secret_values = set()

    def cluster(self):
        """The API client, connected on first use (some runs need no cluster at all)."""
        if self._cluster is None:
            self._cluster = self._connect()
        return self._cluster

    def warn(self, message):
        self.warnings.append(message)

    def hide(self, values):
        """Mask `values` wherever they would appear in the output, `invocation.module_args` included,
        from now on and however the module ends (as AnsibleModule masks a no_log option's value)."""
        values = set(v for v in values if v)
        self.secret_values.update(values)
        if self._hide is not None and values:
            self._hide(values)


def execute(module, run):
    """Run `run(module.params, context)` and end the module with its result or failure."""
    from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import Cluster

    workers = module.params.get("workers")
    workers = DEFAULT_WORKERS if workers is None else max(1, workers)  # workers: 0 means one, as it always did
    timeout = module.params.get("request_timeout")
    timeout = DEFAULT_REQUEST_TIMEOUT if timeout is None else timeout
    if timeout <= 0:
        module.fail_json(msg="request_timeout %g: must be a number of seconds greater than 0" % timeout)
    # Every socket of this process: discovery in kubernetes.core opens its own before any request of ours.
    socket.setdefaulttimeout(timeout)
    # kubernetes.core's AnsibleK8SModule wraps the AnsibleModule that prints the result
    no_log_values = getattr(module, "_module", module).no_log_values
    context = RunContext(lambda: Cluster.from_module(module, workers=workers, timeout=timeout),
                         check_mode=module.check_mode, diff=module._diff, hide=no_log_values.update)
    try:
        result = run(module.params, context)
    except ModuleFailure as failure:
        for warning in context.warnings:
            module.warn(warning)
        module.fail_json(msg=failure.msg, **failure.result)
    for warning in context.warnings:
        module.warn(warning)
    module.exit_json(**result)
