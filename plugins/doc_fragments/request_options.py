# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The option every module has (plugins/module_utils/_kube/args.py, the request options).
    DOCUMENTATION = r"""
options:
  request_timeout:
    description:
      - Seconds to wait for the API server to answer one request (connecting included) before the
        task fails with a message naming the host. A stalled API server or proxy never hangs a job.
      - Applies to every request the module makes, discovery included. Must be greater than 0.
    type: float
    default: 60
"""
