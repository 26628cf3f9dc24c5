# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Whether the platform default-tenant stands for is healthy: the Tenant's status, written once at the
end of a site run (module tenant_status).

The conditions are the reference controller's:
- DependenciesAvailable: the cluster serves the CRDs of every enabled feature (Gateway API, Kuadrant, ...);
- MaaSPrerequisitesAvailable: what MaaS needs that others provide exists (the Gateway, maas-api's
  database Secret with its key);
- DeploymentsAvailable: the workloads are available (maas-api, the evaluation database);
- Ready: all three, and the run itself did not fail; Degraded: the opposite of Ready.
Each False condition's reason says what kind of thing is missing and its message names every one.
Phase: Failed when a dependency or prerequisite is missing (nothing can work), Pending while the
workloads are still rolling out, Degraded when they are not available or the run failed, else Active.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.modelserving.maas.plugins.module_utils._kube.capabilities import CRD_API, crd_summary
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._maas.names import MAAS_API_VERSION
from ansible_collections.modelserving.maas.plugins.module_utils._maas.status import condition, status_differs

GATEWAY_API = "gateway.networking.k8s.io/v1"
WORKLOAD_API = "apps/v1"
CONDITION_TYPES = ("Ready", "DependenciesAvailable", "MaaSPrerequisitesAvailable", "DeploymentsAvailable",
                   "Degraded")


def _first(problems, ok_reason, ok_message) -> tuple:
    """(status, reason, message) of a condition from its [(reason, message)] problems."""
    if not problems:
        return "True", ok_reason, ok_message
    return "False", problems[0][0], "; ".join(message for _reason, message in problems)


def dependency_problems(dependencies, crds) -> list:
    """[(reason, message)] per feature whose CRDs are not Established (`crds`: name -> crd_summary)."""
    problems = []
    for feature in sorted(dependencies):
        missing = [n for n in dependencies[feature] if not crds.get(n, {}).get("established")]
        if missing:
            problems.append(("CRDNotFound", "feature %s needs %s %s, which the cluster does not serve"
                             % (feature, "CRD" if len(missing) == 1 else "CRDs", ", ".join(missing))))
    return problems


def prerequisite_problems(gateway, gateway_found, secrets) -> list:
    """[(reason, message)] for a missing Gateway and each missing Secret or Secret key.

    `secrets`: [{namespace, name, key, found (bool), has_key (bool)}]."""
    problems = []
    if gateway is not None and not gateway_found:
        problems.append(("GatewayNotFound", "Gateway %s/%s does not exist" % (gateway["namespace"], gateway["name"])))
    for secret in secrets:
        where = "%s/%s" % (secret["namespace"], secret["name"])
        if not secret["found"]:
            problems.append(("SecretNotFound", "Secret %s does not exist (%s)" % (where, secret["purpose"])))
        elif not secret["has_key"]:
            message = "Secret %s has no key %s (%s)" % (where, secret["key"], secret["purpose"])
            problems.append(("SecretKeyMissing", message))
    return problems


def workload_problem(kind, namespace, name, live):
    """(reason, message, still rolling out) for a workload that is not available, or None."""
    where = "%s %s/%s" % (kind, namespace, name)
    if live is None:
        return "DeploymentNotFound", "%s does not exist" % where, False
    status = live.get("status") or {}
    generation = (live.get("metadata") or {}).get("generation") or 0
    current = (status.get("observedGeneration") or 0) >= generation
    if kind == "Deployment":
        conditions = {c.get("type"): c for c in status.get("conditions") or []}
        if current and (conditions.get("Available") or {}).get("status") == "True":
            return None
        stuck = (conditions.get("Progressing") or {}).get("reason") == "ProgressDeadlineExceeded"
        why = (conditions.get("Available") or {}).get("message") or "no available replica reported yet"
        return "DeploymentNotAvailable", "%s is not available: %s" % (where, why), not stuck
    wanted = (live.get("spec") or {}).get("replicas", 1)
    ready = status.get("readyReplicas") or 0
    if current and ready >= wanted:
        return None
    return "DeploymentNotAvailable", "%s has %d of %d replicas ready" % (where, ready, wanted), not status


def tenant_conditions(findings) -> tuple:
    """(phase, [(type, status, reason, message)]) from the findings of `read_findings`."""
    dependencies = _first(findings["dependencies"], "AllDependenciesAvailable",
                          "the cluster serves every CRD the enabled features need")
    prerequisites = _first(findings["prerequisites"], "AllPrerequisitesAvailable",
                           "the Gateway and maas-api's database Secret exist")
    workloads = [(reason, message) for reason, message, _rolling in findings["workloads"]]
    deployments = _first(workloads, "AllDeploymentsAvailable", "every MaaS workload is available")
    blocking = findings["dependencies"] + findings["prerequisites"]
    run = [("ReconcileFailed", "the last run failed: %s" % findings["run_failure"])] if findings["run_failure"] else []
    problems = blocking + workloads + run
    if blocking:
        phase = "Failed"
    elif workloads and not run and all(rolling for _r, _m, rolling in findings["workloads"]):
        phase = "Pending"
    elif problems:
        phase = "Degraded"
    else:
        phase = "Active"
    ready = _first(problems, "Reconciled", "Models-as-a-Service is installed and available")
    degraded = ("True", ready[1], ready[2]) if problems else ("False", "NotDegraded", "nothing is missing")
    return phase, [("Ready",) + ready, ("DependenciesAvailable",) + dependencies,
                   ("MaaSPrerequisitesAvailable",) + prerequisites, ("DeploymentsAvailable",) + deployments,
                   ("Degraded",) + degraded]


def desired_status(findings, live_tenant, now) -> dict:
    """The Tenant's whole status; lastTransitionTime moves only when a condition's status changes."""
    phase, conditions = tenant_conditions(findings)
    generation = (live_tenant.get("metadata") or {}).get("generation")
    previous = (live_tenant.get("status") or {}).get("conditions") or []
    return {"phase": phase, "conditions": [condition(ctype, status, reason, message, generation, previous, now)
                                           for ctype, status, reason, message in conditions]}


def _secret_finding(cluster, secret) -> dict:
    """Whether the Secret and its key exist; its data is read (keys need it) but never returned."""
    live = cluster.get("v1", "Secret", secret["name"], secret["namespace"])
    return dict(secret, found=live is not None, has_key=bool((live or {}).get("data", {}).get(secret["key"])))


def _get_or_none(cluster, api_version, kind, name, namespace):
    """The object, or None when it (or its kind) does not exist."""
    try:
        return cluster.get(api_version, kind, name, namespace)
    except K8sError as err:
        if err.status == 404:
            return None
        raise


def read_findings(cluster, params) -> dict:
    """What `tenant_conditions` decides from: one GET per CRD, the Gateway, each Secret and workload."""
    crd_names = sorted({n for names in params["dependencies"].values() for n in names or []})
    outcomes = cluster.parallel(lambda n: cluster.get(CRD_API, "CustomResourceDefinition", n), crd_names)
    errors = ["CustomResourceDefinition %s: %s" % (n, o[1]) for n, o in zip(crd_names, outcomes) if o[1]]
    if errors:
        raise ModuleFailure("; ".join(errors))
    crds = {n: crd_summary(o[0]) for n, o in zip(crd_names, outcomes)}
    gateway = params["gateway"]
    found = gateway is not None and _get_or_none(cluster, GATEWAY_API, "Gateway", gateway["name"],
                                                 gateway["namespace"]) is not None
    secrets = [_secret_finding(cluster, s) for s in params["secrets"]]
    workloads = []
    for workload in params["workloads"]:
        live = _get_or_none(cluster, WORKLOAD_API, workload["kind"], workload["name"], workload["namespace"])
        problem = workload_problem(workload["kind"], workload["namespace"], workload["name"], live)
        if problem:
            workloads.append(problem)
    return {"dependencies": dependency_problems(params["dependencies"], crds),
            "prerequisites": prerequisite_problems(gateway, found, secrets),
            "workloads": workloads, "run_failure": params["run_failure"]}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(params, context) -> dict:
    """The tenant_status result: read, decide, and write the status subresource when it differs."""
    cluster = context.cluster()
    namespace, name = params["namespace"], params["name"]
    tenant = _get_or_none(cluster, MAAS_API_VERSION, "Tenant", name, namespace)
    findings = read_findings(cluster, params)
    if tenant is None:
        context.warn("Tenant %s/%s does not exist (or the MaaS CRDs are not installed): no status written"
                     % (namespace, name))
        phase, conditions = tenant_conditions(findings)
        return {"changed": False, "written": False, "phase": phase,
                "conditions": [dict(zip(("type", "status", "reason", "message"), c)) for c in conditions]}
    desired = desired_status(findings, tenant, _now())
    changed = status_differs(desired, tenant.get("status"))
    if changed and not context.check_mode:
        try:
            cluster.patch(MAAS_API_VERSION, "Tenant", name, [{"op": "add", "path": "/status", "value": desired}],
                          namespace=namespace, patch_type="json", subresource="status")
        except K8sError as err:
            raise ModuleFailure("Tenant %s/%s: cannot write status: %s" % (namespace, name, err))
    result = {"changed": changed, "written": changed and not context.check_mode, "phase": desired["phase"],
              "conditions": desired["conditions"]}
    if context.diff:
        result["diff"] = {"before": {"status": tenant.get("status") or {}}, "after": {"status": desired}}
    return result
