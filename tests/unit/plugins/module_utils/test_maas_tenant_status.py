"""The Tenant's status from what a run found (module tenant_status's decisions)."""

from ansible_collections.modelserving.maas.plugins.module_utils._maas.tenant import (
    dependency_problems,
    desired_status,
    prerequisite_problems,
    tenant_conditions,
    workload_problem,
)

GATEWAY = {"namespace": "openshift-ingress", "name": "maas-default-gateway"}
SECRET = {"namespace": "opendatahub", "name": "maas-db-config", "key": "DB_CONNECTION_URL", "purpose": "db URL"}


def findings(dependencies=(), prerequisites=(), workloads=(), run_failure=""):
    return {"dependencies": list(dependencies), "prerequisites": list(prerequisites), "workloads": list(workloads),
            "run_failure": run_failure}


def by_type(conditions):
    return {c[0]: c[1:] for c in conditions}


def available_deployment(generation=2, observed=2):
    return {"metadata": {"generation": generation}, "status": {"observedGeneration": observed, "conditions": [
        {"type": "Available", "status": "True"}]}}


def test_everything_there_is_active_and_ready():
    phase, conditions = tenant_conditions(findings())
    assert phase == "Active"
    assert {t: c[0] for t, c in by_type(conditions).items()} == {
        "Ready": "True", "DependenciesAvailable": "True", "MaaSPrerequisitesAvailable": "True",
        "DeploymentsAvailable": "True", "Degraded": "False"}


def test_a_missing_crd_fails_naming_the_feature_and_crd():
    problems = dependency_problems({"kuadrant": ["authpolicies.kuadrant.io", "tokenratelimitpolicies.kuadrant.io"]},
                                   {"authpolicies.kuadrant.io": {"established": True}})
    assert problems == [("CRDNotFound", "feature kuadrant needs CRD tokenratelimitpolicies.kuadrant.io, "
                                        "which the cluster does not serve")]
    phase, conditions = tenant_conditions(findings(dependencies=problems))
    assert phase == "Failed"
    assert by_type(conditions)["Ready"][:2] == ("False", "CRDNotFound")
    assert by_type(conditions)["Degraded"][:2] == ("True", "CRDNotFound")


def test_a_missing_secret_and_gateway_are_both_named():
    problems = prerequisite_problems(GATEWAY, False, [dict(SECRET, found=False, has_key=False)])
    phase, conditions = tenant_conditions(findings(prerequisites=problems))
    status, reason, message = by_type(conditions)["MaaSPrerequisitesAvailable"]
    assert (phase, status, reason) == ("Failed", "False", "GatewayNotFound")
    assert "Gateway openshift-ingress/maas-default-gateway does not exist" in message
    assert "Secret opendatahub/maas-db-config does not exist (db URL)" in message


def test_a_secret_without_its_key():
    [(reason, message)] = prerequisite_problems(None, False, [dict(SECRET, found=True, has_key=False)])
    assert reason == "SecretKeyMissing" and "has no key DB_CONNECTION_URL" in message


def test_workloads_rolling_out_are_pending_and_stuck_ones_degraded():
    assert workload_problem("Deployment", "ns", "maas-api", available_deployment()) is None
    # The controller has not seen the latest spec yet.
    assert workload_problem("Deployment", "ns", "maas-api", available_deployment(3, 2))[0] == "DeploymentNotAvailable"
    rolling = workload_problem("Deployment", "ns", "maas-api", {"metadata": {"generation": 1}, "status": {}})
    assert rolling[2] is True
    assert tenant_conditions(findings(workloads=[rolling]))[0] == "Pending"
    stuck = workload_problem("Deployment", "ns", "maas-api", {"metadata": {"generation": 1}, "status": {
        "observedGeneration": 1, "conditions": [{"type": "Progressing", "status": "False",
                                                 "reason": "ProgressDeadlineExceeded"}]}})
    assert stuck[2] is False
    assert tenant_conditions(findings(workloads=[stuck]))[0] == "Degraded"
    missing = workload_problem("StatefulSet", "ns", "maas-postgres", None)
    assert missing[:2] == ("DeploymentNotFound", "StatefulSet ns/maas-postgres does not exist")
    ready = {"metadata": {"generation": 1}, "spec": {"replicas": 1},
             "status": {"observedGeneration": 1, "readyReplicas": 1}}
    assert workload_problem("StatefulSet", "ns", "maas-postgres", ready) is None


def test_a_failed_run_degrades_an_otherwise_healthy_platform():
    phase, conditions = tenant_conditions(findings(run_failure="maas-api: boom"))
    assert phase == "Degraded"
    assert by_type(conditions)["Ready"] == ("False", "ReconcileFailed", "the last run failed: maas-api: boom")


def test_transition_times_move_only_when_a_status_changes():
    tenant = {"metadata": {"generation": 4}, "status": {}}
    first = desired_status(findings(prerequisites=[("SecretNotFound", "x")]), tenant, "2026-01-01T00:00:00Z")
    tenant["status"] = first
    second = desired_status(findings(), tenant, "2026-01-02T00:00:00Z")
    times = {c["type"]: c["lastTransitionTime"] for c in second["conditions"]}
    assert times["DependenciesAvailable"] == "2026-01-01T00:00:00Z"
    assert times["MaaSPrerequisitesAvailable"] == "2026-01-02T00:00:00Z"
    assert all(c["observedGeneration"] == 4 for c in second["conditions"])
