# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""What a cluster can do, read from its CRDs: which kinds it serves and which fields their schemas have.

Roles choose between implementations with this (Kuadrant's native mTLS or the EnvoyFilter patch,
BackendTLSPolicy or DestinationRule, Authorino CR volumes or a Deployment patch) instead of
guessing from version numbers. `run` (module cluster_capabilities) is the only function here that
talks to the cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure

CRD_API = "apiextensions.k8s.io/v1"


def crd_summary(crd):
    """{present, established, versions (served), storage} for a live CRD, or for None."""
    if crd is None:
        return {"present": False, "established": False, "versions": [], "storage": None}
    conditions = crd.get("status", {}).get("conditions") or []
    versions = crd.get("spec", {}).get("versions") or []
    return {
        "present": True,
        "established": any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions),
        "versions": [v["name"] for v in versions if v.get("served")],
        "storage": next((v["name"] for v in versions if v.get("storage")), None),
    }


def schema_has_path(crd, path, version=None):
    """Whether the CRD's schema (of `version`, default the storage version) declares `path`,
    a dotted field path such as `spec.mtls.enable`. Array items are crossed transparently."""
    if crd is None:
        return False
    versions = crd.get("spec", {}).get("versions") or []
    chosen = [v for v in versions if (v["name"] == version if version else v.get("storage"))]
    if not chosen:
        return False
    node = (chosen[0].get("schema") or {}).get("openAPIV3Schema") or {}
    for part in path.split("."):
        while node.get("type") == "array":
            node = node.get("items") or {}
        properties = node.get("properties") or {}
        if part not in properties:
            return False
        node = properties[part]
    return True


def parse_schema_check(spec):
    """`<crd name>:<field path>` or `<crd name>:<version>:<field path>` -> (crd, version, path)."""
    parts = spec.split(":")
    if len(parts) == 2:
        return parts[0], None, parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError("schema check %r must be <crd>:<path> or <crd>:<version>:<path>" % spec)


def missing_feature_messages(required, summaries):
    """One sentence per feature whose CRDs the cluster lacks, naming the CRDs and the feature."""
    messages = []
    for feature in sorted(required):
        missing = [name for name in required[feature] if not summaries.get(name, {}).get("established")]
        if missing:
            messages.append("feature %r needs %s %s, which this cluster does not serve"
                            % (feature, "CRD" if len(missing) == 1 else "CRDs", ", ".join(missing)))
    return messages


def run(params, context):
    """The cluster_capabilities result: one GET per CRD named in crds, required or schema_checks."""
    try:
        checks = [(spec,) + parse_schema_check(spec) for spec in params["schema_checks"]]
    except ValueError as err:
        raise ModuleFailure(str(err))
    required = {feature: list(names or []) for feature, names in params["required"].items()}
    names = sorted(set(params["crds"]) | {n for ns in required.values() for n in ns} | {c[1] for c in checks})

    cluster = context.cluster()
    results = cluster.parallel(lambda name: cluster.get(CRD_API, "CustomResourceDefinition", name), names)
    errors = ["CustomResourceDefinition %s: %s" % (n, outcome[1]) for n, outcome in zip(names, results) if outcome[1]]
    if errors:
        raise ModuleFailure("; ".join(errors))
    live = dict(zip(names, (outcome[0] for outcome in results)))
    summaries = {name: crd_summary(crd) for name, crd in live.items()}
    output = {
        "changed": False,
        "crds": summaries,
        "schema": {spec: schema_has_path(live[crd], path, version) for spec, crd, version, path in checks},
        "missing": [name for name in names if not summaries[name]["established"]],
    }
    problems = missing_feature_messages(required, summaries)
    if problems:
        raise ModuleFailure("The cluster is missing prerequisites: %s. Install them, or disable the feature."
                            % "; ".join(problems), **output)
    return output
