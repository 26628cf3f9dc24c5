"""default-tenant's status after playbooks/site.yml, on a plane of its own (site.yml owns the
cluster-wide namespaces the demo uses): what is missing is named, a healthy install says so, and
the status is written once per change (a converged run writes nothing).

The plane runs no Deployment controller: where a real cluster would report maas-api available, the
test writes that status itself, as the controller would.
"""

import json

import pytest
import yaml

from plane import REPO, Plane, writes

TENANT_NS, API_NS = "models-as-a-service", "opendatahub"
TYPES = ["Ready", "DependenciesAvailable", "MaaSPrerequisitesAvailable", "DeploymentsAvailable", "Degraded"]


@pytest.fixture(scope="module")
def platform():
    plane = Plane.start_private()
    try:
        docs = [d for d in yaml.safe_load_all((REPO / "tests/fixtures/platform.yaml").read_text()) if d]
        plane.apply(*docs, manager="platform-stand-in")
        yield plane
    finally:
        plane.stop()


def site(plane, **extra):
    variables = yaml.safe_load((REPO / "hack/demo/vars.yml").read_text())
    variables.update(maas_api_database="provided", **extra)
    return plane.playbook(REPO / "playbooks/site.yml", extra_vars=variables)


def conditions(plane):
    status = plane.get("tenant", "default-tenant", TENANT_NS)["status"]
    return status["phase"], {c["type"]: c for c in status["conditions"]}


def available(plane, name="maas-api"):
    """What the Deployment controller writes once maas-api's pod is ready."""
    generation = plane.get("deployment", name, API_NS)["metadata"]["generation"]
    plane.kubectl("patch", "deployment", name, "-n", API_NS, "--subresource=status", "--type=merge", "-p", json.dumps(
        {"status": {"observedGeneration": generation, "replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                    "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                    "message": "Deployment has minimum availability.",
                                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                                    "lastUpdateTime": "2026-01-01T00:00:00Z"}]}}))


def test_a_missing_secret_then_a_healthy_install(platform):
    plane = platform
    # 1. maas-api's database Secret is missing: the run fails, and the Tenant says why.
    failed = site(plane)
    assert not failed.ok
    assert "maas-db-config with key DB_CONNECTION_URL does not exist" in failed.proc.stdout
    phase, by_type = conditions(plane)
    assert sorted(by_type) == sorted(TYPES)
    assert phase == "Failed"
    prerequisites = by_type["MaaSPrerequisitesAvailable"]
    assert (prerequisites["status"], prerequisites["reason"]) == ("False", "SecretNotFound")
    assert f"Secret {API_NS}/maas-db-config does not exist" in prerequisites["message"]
    assert (by_type["Ready"]["status"], by_type["Ready"]["reason"]) == ("False", "SecretNotFound")
    assert by_type["Degraded"]["status"] == "True"
    assert by_type["DependenciesAvailable"]["status"] == "True"
    dependencies_since = by_type["DependenciesAvailable"]["lastTransitionTime"]

    # 2. The Secret exists: the install completes; maas-api is rolling out (no pod has run yet).
    plane.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "maas-db-config", "namespace": API_NS},
                 "stringData": {"DB_CONNECTION_URL": "postgresql://maas:pw@db.example:5432/maas"}})
    installed = site(plane)
    assert installed.ok, installed.explain()
    phase, by_type = conditions(plane)
    assert phase == "Pending"
    assert by_type["MaaSPrerequisitesAvailable"]["status"] == "True"
    assert (by_type["DeploymentsAvailable"]["status"], by_type["DeploymentsAvailable"]["reason"]) == (
        "False", "DeploymentNotAvailable")
    assert f"Deployment {API_NS}/maas-api is not available" in by_type["DeploymentsAvailable"]["message"]

    # 3. maas-api is available: the platform is healthy.
    available(plane)
    healthy = site(plane)
    assert healthy.ok, healthy.explain()
    phase, by_type = conditions(plane)
    assert phase == "Active"
    assert {t: by_type[t]["status"] for t in TYPES} == {
        "Ready": "True", "DependenciesAvailable": "True", "MaaSPrerequisitesAvailable": "True",
        "DeploymentsAvailable": "True", "Degraded": "False"}
    # A condition whose status never changed keeps the time it first took it.
    assert by_type["DependenciesAvailable"]["lastTransitionTime"] == dependencies_since
    ready_since = by_type["Ready"]["lastTransitionTime"]

    # 4. Converged: the whole site run changes nothing, and the status is not written again.
    mark = plane.audit_mark()
    again = site(plane)
    assert again.ok and again.changed == 0, again.changed_tasks()
    status_writes = [e for e in writes(plane.audited(mark, ["get tenants"]))
                     if e["objectRef"].get("resource") == "tenants"]
    assert status_writes == []
    assert conditions(plane)[1]["Ready"]["lastTransitionTime"] == ready_since

    # verify.yml reads it.
    verified = plane.playbook(REPO / "playbooks/verify.yml", extra_vars={"verify_fail": False})
    assert verified.ok, verified.explain()
    summary = json.dumps(verified.task_results()["Summary"])
    assert "tenant  models-as-a-service/default-tenant: Active" in summary


def test_a_missing_gateway_is_named(platform):
    plane = platform
    run = site(plane, maas_gateway_name="nowhere")
    assert not run.ok
    phase, by_type = conditions(plane)
    assert phase == "Failed"
    prerequisites = by_type["MaaSPrerequisitesAvailable"]
    assert (prerequisites["status"], prerequisites["reason"]) == ("False", "GatewayNotFound")
    assert "Gateway openshift-ingress/nowhere does not exist" in prerequisites["message"]
    # The run's own failure is said too (the prerequisites role stopped it).
    assert "the last run failed" in by_type["Ready"]["message"]
