# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options of modules that write with server-side apply (plugins/module_utils/_kube/args.py,
    # the apply options).
    DOCUMENTATION = r"""
options:
  field_manager:
    description:
      - The server-side apply field manager that owns the fields this module writes.
      - Keep it the same across runs and roles; another value makes the fields look foreign.
    type: str
    default: modelserving.maas
  force_conflicts:
    description:
      - Take over fields that another server-side applier (a GitOps tool, another field manager)
        owns. Without it such a conflict fails the task and names the other manager.
      - Fields changed by imperative edits (C(kubectl edit), C(kubectl patch)) are always taken back.
    type: bool
    default: false
  workers:
    description:
      - How many API requests run at once.
    type: int
    default: 8
"""

    # Options of modules that patch objects guarded by resourceVersion (the patch options in args.py).
    PATCH = r"""
options:
  field_manager:
    description:
      - The field manager recorded for the fields this module writes.
    type: str
    default: modelserving.maas
  workers:
    description:
      - How many API requests run at once.
    type: int
    default: 8
"""
