# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Module k8s_apply: a set of objects applied (or deleted) in one call, through `apply.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii

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


def secret_values(objects):
    """The values in every Secret's `data` and `stringData`, and the base64-decoded `data` values:
    what must appear in no output, not even `invocation.module_args` of the refusal at -vvv."""
    values = set()
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("kind") != "Secret":
            continue
        for field in ("data", "stringData"):
            for value in _leaves(obj.get(field)):
                values.add(value)
                if field == "data":
                    values.add(_decoded(value))
    values.discard("")
    values.discard(None)
    return values


def _leaves(value):
    """Every scalar in a value, as text (values of a stringData written in YAML may be numbers)."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def _decoded(value):
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def run(params, context):
    """Apply (state=present) or delete (state=absent) `params["objects"]`; the k8s_apply result."""
    context.hide(secret_values(params["objects"]))
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
