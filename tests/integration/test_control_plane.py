"""The local control plane behaves like a real cluster where our tests depend on it."""

import json
import time

UPSTREAM_CRDS = [
    "authpolicies.kuadrant.io",
    "tokenratelimitpolicies.kuadrant.io",
    "ratelimitpolicies.kuadrant.io",
    "kuadrants.kuadrant.io",
    "telemetrypolicies.extensions.kuadrant.io",
    # what the Kuadrant operator needs served before it reconciles (tests/kuadrant)
    "tlspolicies.kuadrant.io",
    "dnspolicies.kuadrant.io",
    "oidcpolicies.extensions.kuadrant.io",
    "planpolicies.extensions.kuadrant.io",
    "threatpolicies.extensions.kuadrant.io",
    "wasmplugins.extensions.istio.io",
    "authconfigs.authorino.kuadrant.io",
    "limitadors.limitador.kuadrant.io",
    "envoyfilters.networking.istio.io",
    "peerauthentications.security.istio.io",
    "destinationrules.networking.istio.io",
    "telemetries.telemetry.istio.io",
    "httproutes.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
    "backendtlspolicies.gateway.networking.k8s.io",
    "authorinos.operator.authorino.kuadrant.io",
    "llminferenceservices.serving.kserve.io",
]


def test_upstream_crds_are_established(plane):
    crds = {c["metadata"]["name"]: c for c in plane.list("crd")}
    for name in UPSTREAM_CRDS:
        assert name in crds, f"{name} is not installed"
        conditions = {c["type"]: c["status"] for c in crds[name]["status"]["conditions"]}
        assert conditions.get("Established") == "True", name


def test_deleting_a_namespace_completes(plane):
    name = plane.create_namespace("gone")
    plane.kubectl("create", "configmap", "x", "-n", name)
    plane.kubectl("delete", "namespace", name, "--timeout=60s")
    assert plane.get("namespace", name) is None


def test_owner_references_cascade(plane, namespace):
    owner = json.loads(plane.kubectl("create", "configmap", "owner", "-n", namespace, "-o", "json").stdout)
    plane.apply({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "child", "namespace": namespace, "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}]},
    })
    plane.kubectl("delete", "configmap", "owner", "-n", namespace)
    deadline = time.monotonic() + 60
    while plane.get("configmap", "child", namespace) is not None:
        assert time.monotonic() < deadline, "garbage collector did not delete the dependent"
        time.sleep(0.5)


def test_token_request_issues_a_token_with_an_audience(plane, namespace):
    deadline = time.monotonic() + 30
    while plane.get("serviceaccount", "default", namespace) is None:
        assert time.monotonic() < deadline, "service-account controller did not create default"
        time.sleep(0.2)
    token = plane.kubectl("create", "token", "default", "-n", namespace, "--audience=maas-test").stdout.strip()
    assert token.count(".") == 2


def test_rbac_is_enforced(plane, namespace):
    proc = plane.kubectl("get", "pods", "-n", namespace, f"--as=system:serviceaccount:{namespace}:default",
                         check=False)
    assert proc.returncode != 0 and "forbidden" in proc.stderr
