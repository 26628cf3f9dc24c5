"""Role maas_telemetry on the local plane: the Kuadrant TelemetryPolicy and Istio Telemetry the
Tenant's spec.telemetry asks for, accepted by the real CRD schemas, and removed when disabled."""

import pytest
import yaml

from plane import REPO

MAAS = "maas.opendatahub.io/v1alpha1"
LABELS = {"app.kubernetes.io/part-of": "models-as-a-service", "app.kubernetes.io/managed-by": "modelserving.maas",
          "app.kubernetes.io/component": "telemetry"}


@pytest.fixture
def site(plane, maas_crds, tmp_path):
    gateway, tenant = plane.create_namespace("telgw"), plane.create_namespace("telmas")
    plane.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": "maas-default-gateway", "namespace": gateway},
                 "spec": {"gatewayClassName": "openshift-default",
                          "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})
    playbook = tmp_path / "telemetry.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  roles:\n"
                        "    - role: modelserving.maas.maas_telemetry\n")

    def tenant_spec(telemetry):
        plane.apply({"apiVersion": MAAS, "kind": "Tenant", "metadata": {"name": "default-tenant", "namespace": tenant},
                     "spec": {} if telemetry is None else {"telemetry": telemetry}})

    def run(check=False, **extra):
        return plane.playbook(playbook, check=check, extra_vars={
            "maas_gateway_namespace": gateway, "maas_subscription_namespace": tenant, **extra})

    yield {"gateway": gateway, "tenant": tenant, "run": run, "tenant_spec": tenant_spec}
    for name in (gateway, tenant):
        plane.delete_namespace(name)


def labels_of(plane, gateway):
    return plane.get("telemetrypolicies.extensions.kuadrant.io", "maas-telemetry", gateway)[
        "spec"]["metrics"]["default"]["labels"]


def test_the_tenant_defaults_label_by_subscription_organization_and_model_but_not_user(plane, site):
    site["tenant_spec"](None)
    run = site["run"]()
    assert run.ok, run.explain()
    gateway = site["gateway"]
    policy = plane.get("telemetrypolicies.extensions.kuadrant.io", "maas-telemetry", gateway)
    assert policy["spec"]["targetRef"] == {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                           "name": "maas-default-gateway"}
    assert labels_of(plane, gateway) == {
        "subscription": "auth.identity.selected_subscription", "organization_id": "auth.identity.organizationId",
        "cost_center": "auth.identity.costCenter", "model": 'responseBodyJSON("/model")'}
    istio = plane.get("telemetries.telemetry.istio.io", "maas-telemetry", gateway)
    [metrics] = istio["spec"]["metrics"]
    assert metrics["overrides"] == [{"match": {"metric": "REQUEST_DURATION"}, "tagOverrides": {
        "subscription": {"operation": "UPSERT", "value": "request.headers['x-maas-subscription']"}}}]
    assert istio["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                            "name": "maas-default-gateway"}]
    for obj in (policy, istio):
        assert LABELS.items() <= obj["metadata"]["labels"].items()

    again = site["run"]()
    assert again.ok and again.changed == 0, again.changed_tasks()


def test_user_and_group_labels_only_when_their_capture_flags_are_on(plane, site):
    site["tenant_spec"]({"metrics": {"captureUser": True, "captureGroup": True, "captureOrganization": False,
                                     "captureModelUsage": False}})
    assert site["run"]().ok
    assert labels_of(plane, site["gateway"]) == {
        "subscription": "auth.identity.selected_subscription", "user": "auth.identity.userid",
        "group": "auth.identity.groups_str"}
    # A role variable overrides the Tenant's flag.
    run = site["run"](maas_telemetry_capture_user=False)
    assert run.ok, run.explain()
    assert "user" not in labels_of(plane, site["gateway"])


def test_disabled_telemetry_removes_both_objects(plane, site):
    site["tenant_spec"](None)
    assert site["run"]().ok
    gateway = site["gateway"]
    # Proven present first, so their absence below is the role's doing.
    assert plane.get("telemetrypolicies.extensions.kuadrant.io", "maas-telemetry", gateway) is not None
    assert plane.get("telemetries.telemetry.istio.io", "maas-telemetry", gateway) is not None

    site["tenant_spec"]({"enabled": False})
    check = site["run"](check=True)
    assert check.ok and check.changed > 0, check.explain()
    assert plane.get("telemetrypolicies.extensions.kuadrant.io", "maas-telemetry", gateway) is not None

    run = site["run"]()
    assert run.ok and run.changed > 0, run.explain()
    assert plane.get("telemetrypolicies.extensions.kuadrant.io", "maas-telemetry", gateway) is None
    assert plane.get("telemetries.telemetry.istio.io", "maas-telemetry", gateway) is None
    again = site["run"]()
    assert again.ok and again.changed == 0, again.changed_tasks()

    # The role variable wins over the Tenant's switch.
    assert site["run"](maas_telemetry_enabled=True).ok
    assert plane.get("telemetrypolicies.extensions.kuadrant.io", "maas-telemetry", gateway) is not None


def test_role_documents_every_default():
    defaults = yaml.safe_load((REPO / "roles/maas_telemetry/defaults/main.yml").read_text())
    specs = yaml.safe_load((REPO / "roles/maas_telemetry/meta/argument_specs.yml").read_text())
    assert set(defaults) == set(specs["argument_specs"]["main"]["options"])
