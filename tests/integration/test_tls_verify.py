"""modelserving.maas.tls_verify against a local HTTPS server that serves maas-api's certificate the way
maas-api does: TLS_MIN_VERSION "1.2" or "1.3" becomes the server's minimum protocol version."""

import base64
import contextlib
import datetime
import http.server
import json
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from plane import REPO

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


# --- playbook verify: maas-api as the gateway verifies it --------------------------------------

@pytest.fixture
def installed(plane, maas_crds, tmp_path):
    """maas-api installed by its role with the gateway's DestinationRule (self provider), and its
    serving certificate written where a local stand-in server reads it."""
    api, gateway = plane.create_namespace("api"), plane.create_namespace("gw")
    plane.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": "maas-default-gateway", "namespace": gateway},
                 "spec": {"gatewayClassName": "openshift-default",
                          "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})
    role = tmp_path / "maas_api.yml"
    role.write_text("- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: modelserving.maas.maas_api\n")
    names = {"maas_api_namespace": api, "maas_gateway_namespace": gateway, "authorino_tls_namespace": api}
    run = plane.playbook(role, extra_vars=dict(names, maas_api_backend_tls_kind="DestinationRule",
                                               maas_subscription_namespace=api,
                                               maas_api_db_connection_url="postgresql://maas:pw@db:5432/maas"))
    assert run.ok, run.explain()
    data = plane.get("secret", "maas-api-serving-cert", api)["data"]
    for key in ("tls.crt", "tls.key"):
        (tmp_path / key).write_bytes(base64.b64decode(data[key]))
    yield {"api": api, "gateway": gateway, "names": names, "cert": (tmp_path / "tls.crt", tmp_path / "tls.key"),
           "tmp": tmp_path}
    plane.kubectl("delete", "clusterrolebinding", "maas-api", "--ignore-not-found", check=False)
    for name in (api, gateway):
        plane.delete_namespace(name)


def run_verify(plane, installed, port):
    return plane.playbook(REPO / "playbooks" / "verify.yml", extra_vars=dict(
        installed["names"], verify_addresses={"maas-api": "127.0.0.1:%d" % port},
        verify_ca_configmap={"name": "maas-ca-bundle", "namespace": installed["api"], "key": "ca.crt"}))


def checked(run):
    return {r["name"]: r for r in run.task_results()["Check the configured hops"]["results"]}


def impostor(tmp_path, namespace):
    """A self-signed certificate for every name of maas-api: right names, wrong issuer."""
    key = ec.generate_private_key(ec.SECP256R1())
    fqdn = f"maas-api.{namespace}.svc.cluster.local"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    dns = [x509.DNSName(n) for n in ("maas-api", f"maas-api.{namespace}", f"maas-api.{namespace}.svc", fqdn)]
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=300))
            .add_extension(x509.SubjectAlternativeName(dns), critical=False).sign(key, hashes.SHA256()))
    (tmp_path / "impostor.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "impostor.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path / "impostor.crt", tmp_path / "impostor.key"


def test_verify_passes_when_maas_api_presents_the_certificate_the_gateway_verifies(plane, installed):
    with https_server(*installed["cert"], "1.2") as port:
        run = run_verify(plane, installed, port)
    assert run.ok, run.explain()
    hops = checked(run)
    gateway_hop = hops["gateway->maas-api"]
    assert gateway_hop["ok"] and gateway_hop["client_verifies"] is True
    assert gateway_hop["chain_verified"] and gateway_hop["hostname_verified"]
    assert gateway_hop["server_name"] == f"maas-api.{installed['api']}.svc.cluster.local"
    assert hops["maas-api"]["ok"]
    summary = run.task_results()["Summary"]["msg"]
    assert any(line.startswith("gateway->maas-api") and " OK " in line for line in summary)
    assert f"skipped  authorino->maas-api: Deployment {installed['api']}/authorino not found" in summary


def test_verify_fails_a_self_signed_impostor_on_the_same_name(plane, installed):
    with https_server(*impostor(installed["tmp"], installed["api"]), "1.2") as port:
        run = run_verify(plane, installed, port)
    assert not run.ok
    gateway_hop = checked(run)["gateway->maas-api"]
    assert gateway_hop["ok"] is False and gateway_hop["hostname_verified"] is True
    assert gateway_hop["chain_verified"] is False, "the impostor's chain must not verify against the published CA"
    assert any("does not chain to the expected CA" in f for f in gateway_hop["failures"])


def test_an_unverifying_destination_rule_is_a_failure_line_even_with_the_right_certificate(plane, installed):
    fqdn = f"maas-api.{installed['api']}.svc.cluster.local"
    plane.kubectl("patch", "destinationrule", "maas-api-backend-tls", "-n", installed["gateway"], "--type=json",
                  "-p", json.dumps([{"op": "replace", "path": "/spec/trafficPolicy/portLevelSettings/0/tls",
                                     "value": {"mode": "SIMPLE", "sni": fqdn, "insecureSkipVerify": True}}]))
    with https_server(*installed["cert"], "1.2") as port:
        run = run_verify(plane, installed, port)
    assert not run.ok
    gateway_hop = checked(run)["gateway->maas-api"]
    assert gateway_hop["chain_verified"] is True and gateway_hop["client_verifies"] is False
    assert gateway_hop["failures"] == [
        f"DestinationRule {installed['gateway']}/maas-api-backend-tls does not verify this peer: "
        "insecureSkipVerify is true: encrypted but unverified"]
    line = [s for s in run.task_results()["Summary"]["msg"] if s.startswith("gateway->maas-api")][0]
    assert "FAIL" in line and " NO " in line
