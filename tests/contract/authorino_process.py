"""A real Authorino process run out of cluster, started and stopped by a test fixture.

It watches one namespace's AuthConfigs through a kubeconfig, listens for ext_authz gRPC and raw
HTTP on 127.0.0.1 ports with the listener certificate it is given, and trusts, for its own outbound
HTTPS calls (maas-api, OIDC discovery), only the CA bundle named by SSL_CERT_FILE. Every wait is
bounded; the process group is killed on stop, so nothing is left behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, what: str, alive=lambda: True, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError("%s: the process exited" % what)
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("%s: not within %.0fs" % (what, timeout))


class AuthorinoProcess:
    def __init__(self, binary: Path, kubeconfig: Path, namespace: str, cert: Path, key: Path,
                 ca_bundle: Path, work: Path, log_level: str = "debug"):
        self.ports = {name: free_port() for name in ("grpc", "http", "metrics", "health", "webhook")}
        self.log_path = work / "authorino.log"
        # Nothing of this machine's trust store: exactly one bundle, the one the role mounts.
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")}
        env.update(KUBECONFIG=str(kubeconfig), SSL_CERT_FILE=str(ca_bundle), SSL_CERT_DIR=str(work / "no-cert-dir"))
        (work / "no-cert-dir").mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([
            str(binary), "server", "--watch-namespace=%s" % namespace,
            "--ext-auth-grpc-port=%d" % self.ports["grpc"], "--ext-auth-http-port=%d" % self.ports["http"],
            "--oidc-http-port=0", "--tls-cert=%s" % cert, "--tls-cert-key=%s" % key,
            "--metrics-addr=127.0.0.1:%d" % self.ports["metrics"],
            "--health-probe-addr=127.0.0.1:%d" % self.ports["health"],
            "--webhook-service-port=%d" % self.ports["webhook"], "--log-level=%s" % log_level, "--log-mode=production",
        ], env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_listening(self, timeout: float) -> None:
        wait_until(lambda: port_open(self.ports["grpc"]) and port_open(self.ports["http"]), timeout,
                   "Authorino listening", self.alive)

    def log_lines(self, since: int = 0) -> list:
        data = self.log_path.read_bytes() if self.log_path.exists() else b""
        return data[since:].decode(errors="replace").splitlines()

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        self._log.close()
