"""tls_verify through its run(): bad targets, a local TLS server, and a Service reached by port-forward."""

import datetime
import socket
import ssl
import threading

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure, RunContext
from ansible_collections.modelserving.maas.plugins.module_utils._tls import certs
from ansible_collections.modelserving.maas.plugins.modules import tls_verify
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import ClusterDouble, context
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for

NOW = datetime.datetime.now(datetime.timezone.utc)
SERVER_NAME = "maas-api.opendatahub.svc"


def never():
    raise AssertionError("connected to the cluster")


def run(params, ctx=None):
    return tls_verify.run(params_for(tls_verify, **params), ctx or RunContext(never))


@pytest.fixture(scope="module")
def ca():
    key = certs.new_private_key("ecdsa-p256")
    return key, certs.issue_ca(key, {"common_name": "test CA", "validity_days": 30}, NOW)


@pytest.fixture(scope="module")
def server(ca, tmp_path_factory):
    """A TLS 1.2+ server on 127.0.0.1 presenting a leaf for SERVER_NAME signed by `ca`."""
    ca_key, ca_cert = ca
    key = certs.new_private_key("ecdsa-p256")
    leaf = certs.issue_leaf(key, {"dns_names": [SERVER_NAME], "ip_addresses": [], "common_name": None,
                                  "validity_days": 10}, ca_cert, ca_key, NOW)
    folder = tmp_path_factory.mktemp("tls")
    (folder / "tls.crt").write_text(certs.certificate_pem(leaf))
    (folder / "tls.key").write_text(certs.private_key_pem(key))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(str(folder / "tls.crt"), str(folder / "tls.key"))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except socket.timeout:
                continue
            try:
                with tls.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_bad_targets_fail_naming_each_without_connecting_anywhere():
    with pytest.raises(ModuleFailure) as failure:
        run({"targets": [{"name": "both", "host": "h", "port": 1, "service": {"name": "s", "namespace": "n", "port": "1"}},
                         {"name": "portless", "host": "h"},
                         {"name": "two-cas", "host": "h", "port": 1, "ca_pem": "x",
                          "ca_configmap": {"name": "c", "namespace": "n"}}]})
    assert failure.value.msg == ("targets[0] (both): give either host and port, or service; "
                                 "targets[1] (portless): host needs a port; "
                                 "targets[2] (two-cas): give at most one of ca_pem, ca_secret, ca_configmap")


def test_a_closed_port_is_a_failed_check_and_needs_no_cluster():
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    result = run({"targets": [{"name": "api", "host": "127.0.0.1", "port": port}], "fail_on_error": False})
    assert result["ok"] is False and result["changed"] is False
    [report] = result["results"]
    assert report["endpoint"] == "127.0.0.1:%d" % port and report["failures"]
    with pytest.raises(ModuleFailure, match=r"^TLS check failed for api: ") as failure:
        run({"targets": [{"name": "api", "host": "127.0.0.1", "port": port}]})
    assert failure.value.result["ok"] is False and len(failure.value.result["summary"]) == 2


def test_a_server_with_a_certificate_from_the_expected_ca_passes(ca, server):
    result = run({"targets": [{"name": "api", "host": "127.0.0.1", "port": server, "server_name": SERVER_NAME,
                               "ca_pem": certs.certificate_pem(ca[1])}]})
    [report] = result["results"]
    assert result["ok"] is True, report["failures"]
    assert report["chain_verified"] is True and report["hostname_verified"] is True
    assert report["certificate"]["dns_names"] == [SERVER_NAME]


def test_a_version_below_the_minimum_accepted_by_the_server_fails(ca, server):
    result = run({"targets": [{"name": "api", "host": "127.0.0.1", "port": server, "server_name": SERVER_NAME,
                               "ca_pem": certs.certificate_pem(ca[1]), "minimum_version": "1.3"}],
                  "fail_on_error": False})
    [report] = result["results"]
    assert report["accepted_versions"]["TLSv1.2"] is True
    assert "TLSv1.2 accepted although the minimum is TLSv1.3" in report["failures"]


def test_another_ca_fails_the_chain_check(server):
    other_key = certs.new_private_key("ecdsa-p256")
    other = certs.issue_ca(other_key, {"common_name": "someone else", "validity_days": 30}, NOW)
    result = run({"targets": [{"name": "api", "host": "127.0.0.1", "port": server, "server_name": SERVER_NAME,
                               "ca_pem": certs.certificate_pem(other)}], "fail_on_error": False})
    assert result["results"][0]["chain_verified"] is False


def test_a_service_is_checked_through_a_port_forward_to_its_running_pod(ca, server):
    ca_pem = certs.certificate_pem(ca[1])
    cluster = ClusterDouble([
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "maas-api", "namespace": "opendatahub"},
         "spec": {"selector": {"app": "maas-api"}, "ports": [{"name": "https", "port": 8443, "targetPort": 8443}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "maas-api-0", "namespace": "opendatahub",
                                                         "labels": {"app": "maas-api"}},
         "status": {"phase": "Running"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "maas-ca-bundle", "namespace": "opendatahub"},
         "data": {"ca.crt": ca_pem}},
    ])
    forwarded = []

    def forward(namespace, pod, port, timeout):
        forwarded.append((namespace, pod, port))
        return socket.create_connection(("127.0.0.1", server), timeout=timeout)

    cluster.forward = forward
    result = run({"targets": [{"name": "maas-api", "server_name": SERVER_NAME,
                               "service": {"name": "maas-api", "namespace": "opendatahub", "port": "https"},
                               "ca_configmap": {"name": "maas-ca-bundle", "namespace": "opendatahub"}}]},
                 context(cluster))
    [report] = result["results"]
    assert result["ok"] is True, report["failures"]
    assert report["endpoint"] == "pod opendatahub/maas-api-0:8443 via Service maas-api"
    assert forwarded and set(forwarded) == {("opendatahub", "maas-api-0", 8443)}
    assert ("list", "v1", "Pod", "opendatahub", None, False) in cluster.requests
    assert cluster.writes() == []


def test_a_missing_ca_source_fails_the_target_without_echoing_anything():
    cluster = ClusterDouble([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "maas-ca", "namespace": "n"},
                              "data": {"tls.key": "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t"}}])
    result = run({"targets": [{"name": "a", "host": "127.0.0.1", "port": 1, "ca_secret": {"name": "maas-ca", "namespace": "n"}},
                              {"name": "b", "host": "127.0.0.1", "port": 1,
                               "ca_secret": {"name": "maas-ca", "namespace": "n", "key": "tls.key"}},
                              {"name": "c", "host": "127.0.0.1", "port": 1,
                               "ca_configmap": {"name": "absent", "namespace": "n"}}],
                  "fail_on_error": False}, context(cluster))
    assert [r["failures"] for r in result["results"]] == [
        ["Secret n/maas-ca key ca.crt: no such key"],
        ["Secret n/maas-ca key tls.key: holds no PEM certificate"],
        ["ConfigMap n/absent key ca.crt: not found"],
    ]
