# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Module tls_certificate: the CA, its leaf certificates and the CA bundles, kept in the cluster.

`certs.plan` decides what to issue from what the cluster stores; this file reads the stored objects
once, and writes the plan (or deletes the objects) through the batch apply of `_kube/apply.py`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.modelserving.maas.plugins.module_utils._kube.apply import (
    apply_objects,
    delete_objects,
    live_objects,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import ref
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._tls import certs as _certs, pki as _pki


def object_keys(params, with_bundles):
    """Identities of the CA Secret, the leaf Secrets and (optionally) the bundle ConfigMaps."""
    ca = params["ca"]
    keys = [_certs.secret_key(ca["namespace"], ca["name"])]
    keys += [_certs.secret_key(c["namespace"], c["name"]) for c in params["certificates"]]
    if with_bundles:
        keys += [("v1", "ConfigMap", b["namespace"], b["name"]) for b in params["ca_bundles"]]
    return keys


def stub(key):
    api_version, kind, namespace, name = key
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}


def write_state(result, obj):
    name = ref(obj)
    if name in result.created:
        return "created"
    if name in result.updated:
        return "updated"
    return "unchanged"


def present(params, context, cluster, live):
    labels = params["labels"]
    now = datetime.datetime.now(datetime.timezone.utc)
    objects, ca_report, reports, ca_pem = _certs.plan(params["ca"], params["certificates"], params["ca_bundles"],
                                                      live, now, params["key_type"], labels)
    result = apply_objects(cluster, objects, params["field_manager"], force_conflicts=params["force_conflicts"],
                           check_mode=context.check_mode, want_diff=context.diff, live=live)
    # A kept certificate whose Secret still needed a write (labels, ca.crt) says so in its reason.
    for report, obj in zip([ca_report] + reports, objects):
        if report["action"] == _certs.KEEP and write_state(result, obj) != "unchanged":
            report["reason"] += "; Secret metadata or ca.crt updated"
    bundles = [dict(name=obj["metadata"]["name"], namespace=obj["metadata"]["namespace"],
                    action=write_state(result, obj)) for obj in objects[1 + len(reports):]]
    output = dict(changed=result.changed, ca=ca_report, certificates=reports, ca_bundles=bundles,
                  ca_certificate_pem=ca_pem)
    return result, output


def absent(params, context, cluster, live):
    keys = object_keys(params, with_bundles=params["ca"]["delete"])
    targets = [stub(k) for k in keys[1:]]
    if params["ca"]["delete"]:
        targets.insert(0, stub(keys[0]))
    result = delete_objects(cluster, targets, check_mode=context.check_mode, want_diff=context.diff, live=live)

    def action(key):
        return "deleted" if ref(stub(key)) in result.deleted else "absent"

    ca = params["ca"]
    ca_key = keys[0]
    output = dict(
        changed=result.changed,
        ca=dict(name=ca["name"], namespace=ca["namespace"],
                action=action(ca_key) if ca["delete"] else ("unchanged" if live.get(ca_key) else "absent")),
        certificates=[dict(name=c["name"], namespace=c["namespace"],
                           action=action(_certs.secret_key(c["namespace"], c["name"])))
                      for c in params["certificates"]],
        ca_bundles=[dict(name=b["name"], namespace=b["namespace"],
                         action=action(("v1", "ConfigMap", b["namespace"], b["name"])) if ca["delete"] else "unchanged")
                    for b in params["ca_bundles"]],
    )
    return result, output


def run(params, context):
    """The tls_certificate result: the CA, certificates and bundles made present, or deleted."""
    if not _pki.HAS_CRYPTOGRAPHY:
        raise ModuleFailure(missing_required_lib("cryptography"), exception=_pki.CRYPTOGRAPHY_IMPORT_ERROR)
    problems = _certs.spec_problems(params["ca"], params["certificates"], params["ca_bundles"],
                                    issuing=params["state"] == "present")
    if problems:
        raise ModuleFailure("; ".join(problems))

    cluster = context.cluster()
    keys = object_keys(params, with_bundles=True)
    live, errors = live_objects(cluster, [stub(k) for k in keys])
    if errors:
        raise ModuleFailure("; ".join(errors))
    if params["state"] == "present":
        problems = [p for p in (_certs.secret_type_problem(live.get(k), "ca" if i == 0 else "certificates[%d]" % (i - 1))
                                for i, k in enumerate(keys) if k[1] == "Secret") if p]
        if problems:
            raise ModuleFailure("; ".join(problems))
        result, output = present(params, context, cluster, live)
        for warning in result.warnings:
            context.warn(warning)
    else:
        result, output = absent(params, context, cluster, live)
    if context.diff:
        output["diff"] = result.diff
    if result.errors:
        output.pop("ca_certificate_pem", None)
        raise ModuleFailure("; ".join(result.errors), **output)
    return output
