"""modelserving.maas.tls_verify against a local HTTPS server that serves maas-api's certificate the way
maas-api does: TLS_MIN_VERSION "1.2" or "1.3" becomes the server's minimum protocol version."""

import base64
import contextlib
import http.server
import socket
import ssl
import threading

import pytest

MODULE = "modelserving.maas.tls_verify"
# maas-api's mapping of TLS_MIN_VERSION (anything else is a validation error in the maas_api role).
TLS_MIN_VERSION = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


@contextlib.contextmanager
def https_server(cert_file, key_file, tls_min_version):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    context.minimum_version = TLS_MIN_VERSION[tls_min_version]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def maas_api_cert(plane, namespace, tmp_path):
    """maas-api's serving certificate as tls_certificate issues it, written where a server reads it."""
    plane.module("modelserving.maas.tls_certificate", ca={"name": "maas-ca", "namespace": namespace},
                 certificates=[{"name": "maas-api-serving-cert", "namespace": namespace,
                                "dns_names": ["maas-api", f"maas-api.{namespace}.svc"]}],
                 ca_bundles=[{"name": "maas-ca-bundle", "namespace": namespace}])
    data = plane.get("secret", "maas-api-serving-cert", namespace)["data"]
    for key in ("tls.crt", "tls.key"):
        (tmp_path / key).write_bytes(base64.b64decode(data[key]))
    return tmp_path / "tls.crt", tmp_path / "tls.key"


def target(namespace, port, minimum, **extra):
    spec = dict(name="maas-api", host="127.0.0.1", port=port, server_name=f"maas-api.{namespace}.svc",
                ca_secret={"name": "maas-ca", "namespace": namespace}, minimum_version=minimum)
    spec.update(extra)
    return spec


@pytest.mark.parametrize("tls_min_version, older", [("1.2", "TLSv1.1"), ("1.3", "TLSv1.2")])
def test_the_rendered_minimum_is_enforced_and_verified(plane, namespace, maas_api_cert, tls_min_version, older):
    with https_server(*maas_api_cert, tls_min_version) as port:
        result = plane.module(MODULE, targets=[target(namespace, port, tls_min_version)])
    assert result.get("failed") is not True, result.get("msg")
    [check] = result["results"]
    assert check["ok"] and check["chain_verified"] and check["hostname_verified"]
    assert check["accepted_versions"][older] is False, f"{older} must be refused by the server"
    assert check["minimum_version_enforced"] is True
    assert 360 <= check["days_to_expiry"] <= 365


def test_a_server_accepting_an_older_version_than_expected_fails(plane, namespace, maas_api_cert):
    with https_server(*maas_api_cert, "1.2") as port:
        result = plane.module(MODULE, targets=[target(namespace, port, "1.3")])
    assert result.get("failed") is True
    assert result["results"][0]["failures"] == ["TLSv1.2 accepted although the minimum is TLSv1.3"]
    assert "maas-api: TLSv1.2 accepted although the minimum is TLSv1.3" in result["msg"]


def test_wrong_name_and_wrong_ca_are_reported(plane, namespace, maas_api_cert):
    with https_server(*maas_api_cert, "1.2") as port:
        result = plane.module(MODULE, fail_on_error=False, targets=[
            target(namespace, port, "1.2", server_name="maas-api.elsewhere.svc"),
            target(namespace, port, "1.2", ca_secret=None, ca_pem=None),  # system trust store
        ])
    wrong_name, untrusted = result["results"]
    assert result["ok"] is False
    assert wrong_name["chain_verified"] is True and wrong_name["hostname_verified"] is False
    assert untrusted["chain_verified"] is False and "unable to get local issuer certificate" in untrusted["chain_error"]
    assert len(result["summary"]) == 3 and "FAIL" in result["summary"][1]


def test_nothing_listening_is_a_clear_failure(plane, namespace):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = plane.module(MODULE, fail_on_error=False, targets=[target(namespace, port, "1.2", ca_secret=None)])
    assert result["results"][0]["failures"][0].startswith("cannot connect:")


def test_a_ca_reference_to_a_private_key_is_refused_without_echoing_it(plane, namespace, maas_api_cert):
    result = plane.module(MODULE, fail_on_error=False, targets=[
        target(namespace, 1, "1.2", ca_secret={"name": "maas-ca", "namespace": namespace, "key": "tls.key"})])
    [check] = result["results"]
    assert check["failures"] == [f"Secret {namespace}/maas-ca key tls.key: holds no PEM certificate"]
    assert "PRIVATE KEY" not in str(result)


def test_port_forward_mode_needs_a_running_pod(plane, namespace):
    # The local plane runs no pods: the Service resolves, and the module says why it cannot forward.
    plane.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "maas-api", "namespace": namespace},
                 "spec": {"selector": {"app": "maas-api"}, "ports": [{"name": "https", "port": 8443}]}})
    result = plane.module(MODULE, fail_on_error=False, targets=[
        {"name": "maas-api", "service": {"name": "maas-api", "namespace": namespace, "port": "https"},
         "server_name": f"maas-api.{namespace}.svc", "minimum_version": "1.2"}])
    assert result["results"][0]["failures"] == [
        f"Service {namespace}/maas-api: no running pod matches its selector, so there is nothing to port-forward to"]
