# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The objects a reconcile would apply, without a cluster (module maas_policy_render, playbook render.yml).

A reconcile (sync.run) reads the cluster for three things besides the CRs: which kinds it serves,
KServe's HTTPRoutes and what already exists. The first two are given here (`served`, `routes`), as
the LISTs the cluster would answer, and handed to the same steps the reconcile runs
(sync.translated); the third only decides what to write and prune, not what is desired, so it is
not needed. Nothing here opens a connection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import (
    BACKEND_TLS_POLICY,
    DESTINATION_RULE,
    EXTERNAL_MODEL,
    GENERATED_KINDS,
    HTTPROUTE,
    MAAS_API_VERSION,
    MAAS_KINDS,
    SERVICE_ENTRY,
)
from ansible_collections.modelserving.maas.plugins.module_utils._maas.sync import KSERVE_ROUTES, _live, translated

# The generated kinds whose CRDs a cluster may lack, by the option of `served` that tells.
OPTIONAL_KINDS = {"backendtlspolicies": BACKEND_TLS_POLICY, "destinationrules": DESTINATION_RULE,
                  "serviceentries": SERVICE_ENTRY}
DEFAULT_SERVED = {"backendtlspolicies": False, "destinationrules": True, "serviceentries": True}


def is_kind(obj, api_version, kind) -> bool:
    return isinstance(obj, dict) and obj.get("apiVersion") == api_version and obj.get("kind") == kind


def offline_lists(resources, routes, served) -> dict:
    """What read_cluster returns, as a cluster serving `served` ({option: bool}) would answer: the
    MaaS CRs of `resources` by kind, every HTTPRoute of `resources` and `routes` as KServe's (the
    reconcile resolves them by their KServe labels), and no object of a generated kind (None where
    the kind is not served)."""
    lists = {(MAAS_API_VERSION, kind): [o for o in resources if is_kind(o, MAAS_API_VERSION, kind)]
             for kind in MAAS_KINDS}
    lists[EXTERNAL_MODEL] = [o for o in resources if is_kind(o, *EXTERNAL_MODEL)]
    unserved = {OPTIONAL_KINDS[key] for key, value in dict(DEFAULT_SERVED, **(served or {})).items() if not value}
    for kind in GENERATED_KINDS:
        lists[kind] = None if kind in unserved else []
    lists[KSERVE_ROUTES] = [o for o in list(resources) + list(routes or []) if is_kind(o, *HTTPROUTE)]
    return lists


def maas_crs(resources) -> list:
    """The MaaS CRs among `resources` (other kinds, such as the KServe routes, are read apart)."""
    return [o for o in resources if isinstance(o, dict)
            and (o.get("apiVersion"), o.get("kind")) in {(MAAS_API_VERSION, k) for k in MAAS_KINDS} | {EXTERNAL_MODEL}]


def run(params, context) -> dict:
    """The maas_policy_render result: what maas_policy_sync would apply for these CRs and options."""
    lists = offline_lists(params["resources"], params["routes"], params["served"])
    steps = translated(params, maas_crs(params["resources"]), lists, context)
    translation = steps["translation"]
    _live(lists, translation["objects"])  # fails, naming them, when the objects need unserved kinds
    invalid = sorted(translation["invalid"] + steps["trust"]["refused"],
                     key=lambda e: (e["kind"], e["namespace"], e["name"], e.get("reason", "")))
    return {"changed": False, "objects": translation["objects"], "invalid": invalid,
            "skipped_models": translation["skipped"], "missing_models": translation["missing_models"],
            "gateway": steps["gateway"]}
