"""A real Authorino as the TLS peer.

Authorino is built from the Go module proxy (tests/authorino: a wrapper module, no replace
directives; cached under ~/.cache/modelserving-maas/), run on this machine against the local control
plane with the certificate the authorino_tls role stored in Secret authorino-server-cert, and
checked with modelserving.maas.tls_verify and with Python's ssl:

- its gRPC (ext_authz) and raw HTTP listeners present our chain, which the CA bundle the role
  published verifies, for the Service's name, refusing TLS 1.1; a wrong CA fails;
- trusting exactly the bundle the role mounts (SSL_CERT_FILE), Authorino's own HTTPS calls reach a
  server with a certificate from the shared CA (as maas-api has) and fail against another CA.

The first run builds Authorino (minutes); later runs reuse the cached binary.
"""

import base64
import hashlib
import http.client
import http.server
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from test_authorino_tls import install_authorino, run_role

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "authorino"))

import build  # noqa: E402
import localcluster  # noqa: E402

START_TIMEOUT = 120.0
RECONCILE_TIMEOUT = 90.0


def wait_until(predicate, timeout, what, alive=lambda: True, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"{what}: the process exited")
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class JsonServer:
    """An HTTPS server on 127.0.0.1 answering {"ok": true}: a stand-in for maas-api's endpoints."""

    def __init__(self, cert_file, key_file):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def secret_files(plane, namespace, name, directory):
    data = plane.get("secret", name, namespace)["data"]
    directory.mkdir(parents=True, exist_ok=True)
    for key in ("tls.crt", "tls.key"):
        (directory / key).write_bytes(base64.b64decode(data[key]))
        (directory / key).chmod(0o600)
    return directory / "tls.crt", directory / "tls.key"


def auth_config(namespace, name, host, url):
    return {
        "apiVersion": "authorino.kuadrant.io/v1beta3", "kind": "AuthConfig",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "hosts": [host],
            "authentication": {"anonymous": {"anonymous": {}}},
            "metadata": {"backend": {"http": {"url": url, "method": "GET"}}},
            # Allowed only when Authorino could fetch the metadata over HTTPS, i.e. trusted the server.
            "authorization": {"trusted": {"patternMatching": {"patterns": [
                {"predicate": "has(auth.metadata.backend) && auth.metadata.backend.ok == true"}]}}},
        },
    }


def check_status(http_port, host, ca_file):
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False  # the Host header names the protected service, not Authorino
    connection = http.client.HTTPSConnection("127.0.0.1", http_port, context=context, timeout=10)
    try:
        connection.request("GET", "/check", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture(scope="module")
def authorino_binary():
    path, seconds = build.build()
    if seconds is not None:
        print(f"\nbuilt Authorino {build.pinned_version()} in {seconds:.0f}s", file=sys.stderr)
    return path


@pytest.fixture(scope="module")
def authorino(plane, authorino_binary, tmp_path_factory):
    """Authorino serving the role's certificate, trusting the role's bundle; stopped at the end."""
    # The plane serves the AuthConfig CRD (hack/versions.env AUTHORINO_VERSION, for the Kuadrant
    # operator): the same storage version v1beta3 this Authorino's controllers watch.
    plane.wait_established("authconfigs.authorino.kuadrant.io")
    namespace = plane.create_namespace("authorino")
    work = tmp_path_factory.mktemp("authorino")
    servers, proc = [], None
    try:
        install_authorino(plane, namespace)
        run = run_role(plane, work, namespace)
        assert run.ok, run.explain()
        cert, key = secret_files(plane, namespace, "authorino-server-cert", work / "listener")
        # The file Authorino reads through SSL_CERT_FILE: exactly what the role mounts from the ConfigMap.
        bundle = work / "maas-ca-bundle" / "ca-bundle.crt"
        bundle.parent.mkdir()
        bundle.write_text(plane.get("configmap", "maas-ca-bundle", namespace)["data"]["ca.crt"])

        # Two HTTPS backends on 127.0.0.1: one certified by the shared CA (as maas-api is), one by another CA.
        result = plane.module("modelserving.maas.tls_certificate", ca={"name": "maas-ca", "namespace": namespace},
                              certificates=[{"name": "maas-api-serving-cert", "namespace": namespace,
                                             "dns_names": [f"maas-api.{namespace}.svc", f"maas-api.{namespace}.svc.cluster.local"],
                                             "ip_addresses": ["127.0.0.1"]}])
        assert result["ca"]["action"] == "unchanged", "the role's CA signs maas-api too"
        foreign_ca = {"name": "foreign-ca", "namespace": namespace, "common_name": "someone else's CA"}
        plane.module("modelserving.maas.tls_certificate", ca=foreign_ca,
                     certificates=[{"name": "foreign-cert", "namespace": namespace, "ip_addresses": ["127.0.0.1"]}])
        trusted = JsonServer(*secret_files(plane, namespace, "maas-api-serving-cert", work / "maas-api"))
        servers.append(trusted)
        foreign = JsonServer(*secret_files(plane, namespace, "foreign-cert", work / "foreign"))
        servers.append(foreign)

        ports = {name: localcluster.free_port() for name in ("grpc", "http", "metrics", "health", "webhook")}
        env = dict(os.environ, KUBECONFIG=str(plane.kubeconfig), SSL_CERT_FILE=str(bundle),
                   REQUESTS_CA_BUNDLE=str(bundle))
        log = open(work / "authorino.log", "wb")
        proc = subprocess.Popen([
            str(authorino_binary), "server",
            f"--watch-namespace={namespace}",
            f"--ext-auth-grpc-port={ports['grpc']}", f"--ext-auth-http-port={ports['http']}", "--oidc-http-port=0",
            f"--tls-cert={cert}", f"--tls-cert-key={key}",
            f"--metrics-addr=127.0.0.1:{ports['metrics']}", f"--health-probe-addr=127.0.0.1:{ports['health']}",
            f"--webhook-service-port={ports['webhook']}", "--log-level=info",
        ], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

        def alive():
            return proc.poll() is None

        wait_until(lambda: port_open(ports["grpc"]) and port_open(ports["http"]), START_TIMEOUT,
                   "Authorino listening", alive)
        plane.apply(auth_config(namespace, "trusted-backend", "trusted.test", f"https://127.0.0.1:{trusted.port}/"),
                    auth_config(namespace, "foreign-backend", "foreign.test", f"https://127.0.0.1:{foreign.port}/"))
        wait_until(lambda: all(check_status(ports["http"], h, bundle) != 404 for h in ("trusted.test", "foreign.test")),
                   RECONCILE_TIMEOUT, "AuthConfigs loaded", alive)
        yield {"namespace": namespace, "ports": ports, "bundle": bundle, "cert": cert, "work": work,
               "maas_api_port": trusted.port}
    except BaseException:
        log_file = work / "authorino.log"
        if log_file.exists():
            print("----- authorino.log (tail) -----\n" + "\n".join(log_file.read_text().splitlines()[-40:]),
                  file=sys.stderr)
        raise
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        for server in servers:
            server.stop()
        plane.delete_namespace(namespace)


def verify(plane, peer, port, **target):
    spec = dict(name="authorino", host="127.0.0.1", port=port,
                server_name=f"authorino-authorino-authorization.{peer['namespace']}.svc",
                ca_configmap={"name": "maas-ca-bundle", "namespace": peer["namespace"]}, minimum_version="1.2")
    spec.update(target)
    return plane.module("modelserving.maas.tls_verify", targets=[spec], fail_on_error=False)


@pytest.mark.parametrize("listener", ["grpc", "http"])
def test_authorino_presents_our_chain_which_the_published_bundle_verifies(plane, authorino, listener):
    result = verify(plane, authorino, authorino["ports"][listener])
    assert result["ok"] is True, result["results"]
    [check] = result["results"]
    assert check["chain_verified"] and check["hostname_verified"]
    assert check["accepted_versions"]["TLSv1.1"] is False, "Authorino refuses TLS 1.1 (its minimum is 1.2)"
    assert check["minimum_version_enforced"] is True
    served = plane.get("secret", "authorino-server-cert", authorino["namespace"])
    assert check["certificate"]["sha256_fingerprint"] == \
        _fingerprint(ssl.PEM_cert_to_DER_cert(base64.b64decode(served["data"]["tls.crt"]).decode()))


def test_python_ssl_agrees(authorino):
    context = ssl.create_default_context(cafile=str(authorino["bundle"]))
    context.set_alpn_protocols(["h2"])  # gRPC servers insist on it
    name = f"authorino-authorino-authorization.{authorino['namespace']}.svc"
    with socket.create_connection(("127.0.0.1", authorino["ports"]["grpc"]), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            assert tls.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(authorino["cert"].read_text())
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_wrong_ca_fails_both_checks(plane, authorino):
    foreign_ca = base64.b64decode(plane.get("secret", "foreign-ca", authorino["namespace"])["data"]["tls.crt"]).decode()
    result = verify(plane, authorino, authorino["ports"]["grpc"], ca_configmap=None, ca_pem=foreign_ca)
    assert result["ok"] is False
    assert result["results"][0]["chain_verified"] is False
    context = ssl.create_default_context(cadata=foreign_ca)
    with socket.create_connection(("127.0.0.1", authorino["ports"]["grpc"]), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(raw, server_hostname=f"authorino-authorino-authorization.{authorino['namespace']}.svc")


def test_authorino_trusts_maas_api_through_the_mounted_bundle_and_nothing_else(authorino):
    port, bundle = authorino["ports"]["http"], authorino["bundle"]
    assert check_status(port, "trusted.test", bundle) == 200
    assert check_status(port, "foreign.test", bundle) == 403


def _fingerprint(der):
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def test_verify_playbook_checks_every_configured_hop_and_skips_the_rest(plane, authorino):
    namespace = authorino["namespace"]
    # maas-api's Service exposes 8443 (TLS on); its stand-in is the server with maas-api's certificate.
    plane.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "maas-api", "namespace": namespace},
                 "spec": {"selector": {"app": "maas-api"}, "ports": [{"name": "https", "port": 8443}]}})
    run = plane.playbook(REPO / "playbooks" / "verify.yml", extra_vars={
        "authorino_tls_namespace": namespace, "maas_api_namespace": namespace,
        "maas_gateway_namespace": namespace,  # no Gateway there: skipped
        "verify_addresses": {"authorino": "127.0.0.1:%d" % authorino["ports"]["grpc"],
                             "maas-api": "127.0.0.1:%d" % authorino["maas_api_port"]},
    })
    assert run.ok, run.explain()
    results = run.task_results()
    checked = results["Check the configured hops"]["results"]
    assert [(r["name"], r["ok"], r["minimum_version_enforced"]) for r in checked] == \
        [("authorino", True, True), ("maas-api", True, True), ("authorino->maas-api", True, None)]
    # Authorino as the role configured it: SSL_CERT_FILE on the Deployment, the bundle mounted
    # through the CR's spec.volumes; maas-api is checked against that bundle, for the URL's host.
    as_authorino = checked[2]
    assert as_authorino["client_verifies"] is True and as_authorino["chain_verified"] is True
    assert as_authorino["server_name"] == f"maas-api.{namespace}.svc.cluster.local"
    summary = results["Summary"]["msg"]
    assert summary[0].startswith("hop") and len(summary) == 7
    assert summary[4:6] == [
        f"skipped  gateway: Gateway {namespace}/maas-default-gateway not found",
        f"skipped  gateway->maas-api: neither DestinationRule {namespace}/maas-api-backend-tls"
        f" nor BackendTLSPolicy {namespace}/maas-api-backend-tls exists"]
    # Last, what default-tenant's status says (maas_status writes it at the end of site.yml).
    assert summary[6].startswith("tenant  models-as-a-service/default-tenant: "), summary[6]
