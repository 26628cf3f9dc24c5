"""Role prerequisites on the local plane: what it refuses before any later role writes."""

import pytest


@pytest.fixture
def prerequisites(plane, maas_crds, tmp_path):
    api, tenant, gateway = (plane.create_namespace(p) for p in ("api", "mas", "gw"))
    playbook = tmp_path / "prerequisites.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  roles:\n"
                        "    - role: modelserving.maas.prerequisites\n")
    base = {"maas_api_namespace": api, "maas_subscription_namespace": tenant, "maas_gateway_namespace": gateway}

    def run(**extra):
        return plane.playbook(playbook, extra_vars={**base, **extra})

    yield {"gateway": gateway, "tenant": tenant, "run": run}
    for name in (api, tenant, gateway):
        plane.delete_namespace(name)


def test_a_gateway_that_does_not_exist_fails_before_later_roles_attach_to_it(plane, prerequisites):
    missing = prerequisites["run"]()
    assert not missing.ok
    assert f"Gateway {prerequisites['gateway']}/maas-default-gateway does not exist" in missing.proc.stdout

    plane.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": "maas-default-gateway", "namespace": prerequisites["gateway"]},
                 "spec": {"gatewayClassName": "openshift-default",
                          "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})
    present = prerequisites["run"]()
    assert present.ok, present.explain()
    tenant = plane.get("tenant", "default-tenant", prerequisites["tenant"])
    assert tenant["spec"]["gatewayRef"] == {"namespace": prerequisites["gateway"], "name": "maas-default-gateway"}
