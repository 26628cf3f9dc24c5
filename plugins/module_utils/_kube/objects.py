# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Module k8s_apply: a set of objects applied (or deleted) in one call, through `apply.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import (
    apply_objects,
    delete_objects,
    validate_shape,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure


def refusal(objects):
    """Why the objects cannot be applied as given (shape, or a Secret carrying data), or None."""
    for index, obj in enumerate(objects):
        problem = validate_shape(obj, index)
        if problem:
            return problem
        if obj["kind"] == "Secret" and obj.get("apiVersion") == "v1" and (obj.get("data") or obj.get("stringData")):
            return ("objects[%d] (Secret %s) carries data; module arguments may be logged, so create Secrets "
                    "with modelserving.maas.tls_certificate or a no_log task" % (index, obj["metadata"]["name"]))
    return None


def run(params, context):
    """Apply (state=present) or delete (state=absent) `params["objects"]`; the k8s_apply result."""
    problem = refusal(params["objects"])
    if problem:
        raise ModuleFailure(problem)
    cluster = context.cluster()
    if params["state"] == "present":
        result = apply_objects(cluster, params["objects"], params["field_manager"],
                               force_conflicts=params["force_conflicts"], check_mode=context.check_mode,
                               want_diff=context.diff, wait_timeout=params["wait_timeout"],
                               create_only=params["create_only"])
    else:
        result = delete_objects(cluster, params["objects"], check_mode=context.check_mode, want_diff=context.diff)
    for warning in result.warnings:
        context.warn(warning)
    output = result.as_dict()
    if context.diff:
        output["diff"] = result.diff
    if result.errors:
        raise ModuleFailure("; ".join(result.errors), errors=result.errors, **output)
    return output
