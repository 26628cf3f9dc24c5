"""tls_certificate through its run(): real certificates, stored in the cluster double."""

import base64
import json

import pytest
import yaml

from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure, RunContext
from ansible_collections.modelserving.maas.plugins.module_utils._tls import pki
from ansible_collections.modelserving.maas.plugins.modules import tls_certificate
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import ClusterDouble, context
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for

NS = "opendatahub"
CA = {"name": "maas-ca", "namespace": NS}
LEAF = {"name": "maas-api-serving-cert", "namespace": NS, "dns_names": ["maas-api", "maas-api.opendatahub.svc"]}
BUNDLE = {"name": "maas-ca-bundle", "namespace": "kuadrant-system"}


def run(cluster, check_mode=False, diff=False, **params):
    params.setdefault("ca", CA)
    ctx = context(cluster, check_mode=check_mode, diff=diff)
    return tls_certificate.run(params_for(tls_certificate, **params), ctx)


def secret(cluster, name):
    return cluster.stored("v1", "Secret", name, NS)


def test_a_ca_and_a_leaf_are_issued_then_a_second_run_keeps_them_without_writing():
    cluster = ClusterDouble()
    first = run(cluster, certificates=[LEAF], ca_bundles=[BUNDLE])
    assert first["changed"] is True
    assert (first["ca"]["action"], first["certificates"][0]["action"]) == ("created", "created")
    assert first["ca_bundles"] == [dict(BUNDLE, action="created")]
    assert first["certificates"][0]["dns_names"] == LEAF["dns_names"]
    leaf = secret(cluster, LEAF["name"])
    assert leaf["type"] == "kubernetes.io/tls"
    assert leaf["data"]["ca.crt"] == secret(cluster, "maas-ca")["data"]["tls.crt"]
    bundle = cluster.stored("v1", "ConfigMap", "maas-ca-bundle", "kuadrant-system")
    assert bundle["data"]["ca.crt"] == first["ca_certificate_pem"]

    assert [w[0] for w in cluster.writes()] == ["apply"] * 3
    mark = len(cluster.requests)
    second = run(cluster, certificates=[LEAF], ca_bundles=[BUNDLE])
    assert [r[0] for r in cluster.requests[mark:]] == ["get"] * 3
    assert second["changed"] is False
    assert (second["ca"]["action"], second["certificates"][0]["action"]) == ("unchanged", "unchanged")
    assert second["certificates"][0]["sha256_fingerprint"] == first["certificates"][0]["sha256_fingerprint"]
    assert secret(cluster, LEAF["name"])["data"] == leaf["data"]


def test_private_keys_never_appear_in_the_result_or_the_diff():
    cluster = ClusterDouble()
    result = run(cluster, diff=True, certificates=[LEAF])
    shown = json.dumps(result)
    for name in ("maas-ca", LEAF["name"]):
        key = secret(cluster, name)["data"]["tls.key"]
        assert key not in shown and base64.b64decode(key).decode() not in shown
    headers = {entry["after_header"] for entry in result["diff"]}
    assert headers == {"Secret %s/maas-ca" % NS, "Secret %s/%s" % (NS, LEAF["name"])}
    assert all(v.startswith("sha256:") for entry in result["diff"] for v in entry["after"]["data"].values())


def test_check_mode_decides_as_a_real_run_and_writes_nothing():
    cluster = ClusterDouble()
    result = run(cluster, check_mode=True, certificates=[LEAF])
    assert result["changed"] is True and result["certificates"][0]["action"] == "created"
    assert ("apply", "v1", "Secret", NS, LEAF["name"], True) in cluster.requests
    assert cluster.writes() == []


def test_changed_names_issue_the_leaf_again_and_keep_the_ca():
    cluster = ClusterDouble()
    run(cluster, certificates=[LEAF])
    wider = dict(LEAF, dns_names=LEAF["dns_names"] + ["maas-api.opendatahub.svc.cluster.local"])
    result = run(cluster, certificates=[wider])
    assert result["ca"]["action"] == "unchanged"
    assert result["certificates"][0]["action"] == "renewed"
    assert result["certificates"][0]["reason"].startswith("subject alternative names changed")
    assert [w[4] for w in cluster.writes()][-1:] == [LEAF["name"]]


def test_absent_deletes_the_leaf_and_keeps_the_ca():
    cluster = ClusterDouble()
    run(cluster, certificates=[LEAF])
    result = run(cluster, state="absent", certificates=[LEAF])
    assert result["changed"] is True
    assert result["ca"]["action"] == "unchanged" and result["certificates"][0]["action"] == "deleted"
    assert secret(cluster, LEAF["name"]) is None and secret(cluster, "maas-ca") is not None


def test_an_opaque_secret_in_the_way_fails_naming_it_before_any_write():
    cluster = ClusterDouble([{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                              "metadata": {"name": LEAF["name"], "namespace": NS}, "data": {"x": "eA=="}}])
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, certificates=[LEAF])
    assert failure.value.msg.startswith("certificates[0]: Secret opendatahub/maas-api-serving-cert exists with "
                                        "type Opaque")
    assert ("get", "v1", "Secret", NS, LEAF["name"], False) in cluster.requests
    assert cluster.writes() == []


def test_without_cryptography_it_fails_with_the_standard_message_before_connecting(monkeypatch):
    def never():
        raise AssertionError("connected to the cluster")

    monkeypatch.setattr(pki, "HAS_CRYPTOGRAPHY", False)
    with pytest.raises(ModuleFailure) as failure:
        tls_certificate.run(params_for(tls_certificate, ca=CA), RunContext(never))
    assert failure.value.msg.startswith("Failed to import the required Python library (cryptography)")
    assert "exception" in failure.value.result


def test_every_documented_example_runs_in_order():
    cluster = ClusterDouble()
    for task in yaml.safe_load(tls_certificate.EXAMPLES):
        result = tls_certificate.run(params_for(tls_certificate, **task["modelserving.maas.tls_certificate"]),
                                     context(cluster))
        assert result["changed"] is True, (task["name"], result)
    assert cluster.stored("v1", "Secret", "maas-api-serving-cert", "opendatahub") is None
    assert cluster.stored("v1", "Secret", "maas-ca", "opendatahub")["type"] == "kubernetes.io/tls"
    assert cluster.stored("v1", "ConfigMap", "maas-ca-bundle", "kuadrant-system") is not None
