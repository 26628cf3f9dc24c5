"""Role gateway_tls on the local plane: HTTPS listeners on a Gateway owned by someone else.

Each test has a Gateway of its own (in a namespace of its own) that a "platform" applier created
with an HTTP listener, and to which a "gitops" applier added a listener of its own.
"""

import json

import pytest

from plane import REPO, writes

PLATFORM_LISTENER = {"name": "http", "port": 80, "protocol": "HTTP"}
GITOPS_LISTENER = {"name": "team-portal", "hostname": "portal.example.com", "port": 443, "protocol": "HTTPS",
                   "tls": {"mode": "Terminate", "certificateRefs": [{"name": "portal-tls"}]}}


def gateway(namespace, *listeners):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "maas-default-gateway", "namespace": namespace},
            "spec": {"gatewayClassName": "openshift-default", "listeners": list(listeners)}}


@pytest.fixture
def site(plane, tmp_path):
    gw, certs, ca = (plane.create_namespace(p) for p in ("gw", "certs", "ca"))
    plane.apply(gateway(gw, PLATFORM_LISTENER), manager="platform")
    plane.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": "maas-default-gateway", "namespace": gw},
                 "spec": {"listeners": [GITOPS_LISTENER]}}, manager="gitops")
    playbook = tmp_path / "gateway_tls.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  roles:\n"
                        "    - role: modelserving.maas.gateway_tls\n")
    base = {"maas_gateway_namespace": gw, "maas_tls_ca_namespace": ca}

    def run(listeners, **extra):
        return plane.playbook(playbook, extra_vars={**base, "gateway_tls_listeners": listeners, **extra})

    yield {"gateway": gw, "certs": certs, "run": run}
    for name in (gw, certs, ca):
        plane.delete_namespace(name)


def listeners(plane, namespace):
    return {item["name"]: item for item in plane.get("gateway", "maas-default-gateway", namespace)["spec"]["listeners"]}


def owners(plane, namespace):
    """Field manager -> names of the listeners it owns."""
    live = plane.kubectl("get", "gateway", "maas-default-gateway", "-n", namespace, "-o", "json",
                         "--show-managed-fields").stdout
    result = {}
    for entry in json.loads(live)["metadata"]["managedFields"]:
        keys = entry.get("fieldsV1", {}).get("f:spec", {}).get("f:listeners", {})
        result[entry["manager"]] = sorted(json.loads(k[2:])["name"] for k in keys if k.startswith("k:"))
    return result


def test_the_real_schema_keys_gateway_listeners_by_name(plane):
    crd = plane.get("crd", "gateways.gateway.networking.k8s.io")
    [v1] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    listeners_schema = v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["listeners"]
    assert listeners_schema["x-kubernetes-list-type"] == "map"
    assert listeners_schema["x-kubernetes-list-map-keys"] == ["name"]


def test_listeners_added_beside_others_and_second_run_writes_nothing(plane, site):
    gw, certs = site["gateway"], site["certs"]
    wanted = [
        {"hostname": "maas.example.com", "secret_name": "maas-example-tls"},
        {"hostname": "*.apps.example.com", "secret_name": "apps-wildcard-tls", "secret_namespace": certs,
         "provider": "provided"},
    ]
    first = site["run"](wanted)
    assert first.ok, first.explain()

    live = listeners(plane, gw)
    # Someone else's listeners survive, still theirs; ours are added under our field manager.
    assert set(live) == {"http", "team-portal", "https-maas.example.com", "wildcard-apps.example.com"}
    assert owners(plane, gw) == {"platform": ["http"], "gitops": ["team-portal"],
                                 "modelserving.maas": ["https-maas.example.com", "wildcard-apps.example.com"]}
    exact, wildcard = live["https-maas.example.com"], live["wildcard-apps.example.com"]
    assert exact["hostname"] == "maas.example.com" and exact["port"] == 443 and exact["protocol"] == "HTTPS"
    assert exact["tls"] == {"mode": "Terminate",
                            "certificateRefs": [{"group": "", "kind": "Secret", "name": "maas-example-tls"}]}
    assert exact["allowedRoutes"] == {"namespaces": {"from": "All"}}
    assert wildcard["hostname"] == "*.apps.example.com"
    assert wildcard["tls"]["certificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "apps-wildcard-tls", "namespace": certs}]

    # The self-provided certificate exists; the cross-namespace one is allowed by a ReferenceGrant.
    assert plane.get("secret", "maas-example-tls", gw)["type"] == "kubernetes.io/tls"
    grant = plane.get("referencegrant", f"gateway-tls-{gw}-maas-default-gateway", certs)
    assert grant["spec"] == {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": gw}],
                             "to": [{"group": "", "kind": "Secret", "name": "apps-wildcard-tls"}]}
    assert grant["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "modelserving.maas"
    # The Gateway is the platform's: the role adds no labels to it.
    assert "labels" not in plane.get("gateway", "maas-default-gateway", gw)["metadata"]

    mark = plane.audit_mark()
    second = site["run"](wanted)
    assert second.ok and second.changed == 0, second.changed_tasks()
    assert writes(plane.audited(mark, ["get gateways", "list referencegrants"])) == []


def test_removed_listeners_and_their_grants_go_others_stay(plane, site):
    gw, certs = site["gateway"], site["certs"]
    both = [{"hostname": "maas.example.com", "secret_name": "maas-example-tls", "provider": "provided"},
            {"hostname": "*.apps.example.com", "secret_name": "apps-wildcard-tls", "secret_namespace": certs,
             "provider": "provided"}]
    assert site["run"](both).ok
    grant = f"gateway-tls-{gw}-maas-default-gateway"
    assert plane.get("referencegrant", grant, certs) is not None

    one = site["run"](both[:1])
    assert one.ok, one.explain()
    assert set(listeners(plane, gw)) == {"http", "team-portal", "https-maas.example.com"}
    assert plane.get("referencegrant", grant, certs) is None

    none = site["run"]([])
    assert none.ok, none.explain()
    assert set(listeners(plane, gw)) == {"http", "team-portal"}
    assert owners(plane, gw) == {"platform": ["http"], "gitops": ["team-portal"]}

    mark = plane.audit_mark()
    again = site["run"]([])
    assert again.ok and again.changed == 0
    assert writes(plane.audited(mark, ["get gateways", "list referencegrants"])) == []


def test_a_listener_edited_by_hand_is_taken_back(plane, site):
    gw = site["gateway"]
    wanted = [{"hostname": "maas.example.com", "secret_name": "maas-example-tls", "provider": "provided"}]
    assert site["run"](wanted).ok
    index = list(listeners(plane, gw)).index("https-maas.example.com")
    plane.kubectl("patch", "gateway", "maas-default-gateway", "-n", gw, "--type=json", "-p",
                  f'[{{"op": "replace", "path": "/spec/listeners/{index}/port", "value": 8443}}]')
    fixed = site["run"](wanted)
    assert fixed.ok and fixed.changed > 0, fixed.explain()
    assert listeners(plane, gw)["https-maas.example.com"]["port"] == 443


def test_missing_gateway_fails_without_creating_one(plane, site):
    run = site["run"]([{"hostname": "maas.example.com", "secret_name": "x", "provider": "provided"}],
                      maas_gateway_name="no-such-gateway")
    assert not run.ok
    assert f"Gateway {site['gateway']}/no-such-gateway does not exist" in run.proc.stdout
    assert plane.get("gateway", "no-such-gateway", site["gateway"]) is None


def test_the_same_hostname_twice_fails_clearly(plane, site):
    run = site["run"]([{"hostname": "maas.example.com", "secret_name": "a", "provider": "provided"},
                       {"hostname": "MAAS.example.com", "secret_name": "b", "provider": "provided"}])
    assert not run.ok
    assert "give each hostname once" in run.proc.stdout
    assert "https-maas.example.com" not in listeners(plane, site["gateway"])


def test_an_ip_address_as_hostname_is_refused_before_anything_is_applied(plane, site):
    before = listeners(plane, site["gateway"])
    run = site["run"]([{"hostname": "192.0.2.10", "secret_name": "a", "provider": "provided"}])
    assert not run.ok
    assert "gateway_tls_listeners[0]: hostname '192.0.2.10' is an IP address" in run.proc.stdout
    assert listeners(plane, site["gateway"]) == before


def test_cert_manager_without_its_crds_names_what_is_missing(plane, site):
    run = site["run"]([{"hostname": "maas.example.com", "secret_name": "a", "provider": "cert-manager"}])
    assert not run.ok
    assert "cert_manager" in run.proc.stdout and "certificates.cert-manager.io" in run.proc.stdout


def test_role_documents_every_default():
    import yaml

    defaults = yaml.safe_load((REPO / "roles/gateway_tls/defaults/main.yml").read_text())
    specs = yaml.safe_load((REPO / "roles/gateway_tls/meta/argument_specs.yml").read_text())
    assert set(defaults) == set(specs["argument_specs"]["main"]["options"])
