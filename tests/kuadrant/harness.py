"""The real Kuadrant operator run out of cluster against a local plane, for the integration tests.

    operator = KuadrantOperator(plane, workdir)   # binary from tests/kuadrant/build.py (cached)
    operator.start()                              # bounded wait for its readiness probe
    operator.wait_for(predicate, 60, "what")      # bounded poll; on timeout the error has its log tail
    operator.log_tail(80)
    operator.stop()                               # SIGTERM, then SIGKILL; also when the test run dies

    platform = PlatformStatus(plane, "openshift.io/gateway-controller/v1")
    platform.gateways()         # Accepted/Programmed on every Gateway and listener of that class
    platform.routes()           # parent Accepted on every HTTPRoute attached to such a Gateway
    platform.components()       # Ready on the Authorino and Limitador CRs (their operators' status)

Nothing of Kuadrant is stubbed: the operator reconciles the real CRDs on the real API server. What
this plane lacks is everything that runs pods: Istio (which writes Gateway and HTTPRoute status),
and the Authorino and Limitador operators (which write their CRs' Ready status). `PlatformStatus`
writes exactly that status, through the status subresource, as those controllers would.

The operator is told that the OpenShift gateway class is Istio's (ISTIO_GATEWAY_CONTROLLER_NAMES),
as its own documentation says to do on OpenShift (doc/overviews/development.md).
"""

from __future__ import annotations

import ctypes
import datetime
import importlib.util
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
OPERATOR_NAMESPACE = "kuadrant-system"
OPENSHIFT_GATEWAY_CONTROLLER = "openshift.io/gateway-controller/v1"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0


def _build_module():
    # Loaded by path: tests/authorino/build.py is imported as `build` by other tests.
    spec = importlib.util.spec_from_file_location("kuadrant_operator_build", HERE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies (Ctrl-C, SIGKILL), so none is left."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setsid()


class KuadrantOperator:
    def __init__(self, plane, workdir: Path, binary: Path | None = None, extra_env: dict | None = None):
        self.plane = plane
        self.workdir = Path(workdir)
        self.binary = binary
        self.extra_env = extra_env or {}
        self.logfile = self.workdir / "kuadrant-operator.log"
        self.proc: subprocess.Popen | None = None
        self.probe_port = 0
        self.build_seconds: float | None = None

    def env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("K8S_AUTH_")}
        env.update({
            "KUBECONFIG": str(self.plane.kubeconfig),
            "OPERATOR_NAMESPACE": OPERATOR_NAMESPACE,
            "ISTIO_GATEWAY_CONTROLLER_NAMES": OPENSHIFT_GATEWAY_CONTROLLER,
        })
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        import localcluster

        if self.binary is None:
            self.binary, self.build_seconds = build.build()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.probe_port, metrics_port = localcluster.free_port(), localcluster.free_port()
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), f"--metrics-bind-address=127.0.0.1:{metrics_port}",
                 f"--health-probe-bind-address=127.0.0.1:{self.probe_port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir,
                env=self.env(), preexec_fn=_die_with_parent)
        try:
            self.wait_for(self.ready, START_TIMEOUT, "the operator's readiness probe")
        except BaseException:
            self.stop()
            raise

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.probe_port}/readyz", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(STOP_TIMEOUT)

    def log_tail(self, lines: int = 80) -> str:
        if not self.logfile.exists():
            return "(no log)"
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    def log_lines(self, containing: str) -> list[str]:
        if not self.logfile.exists():
            return []
        return [line for line in self.logfile.read_text(errors="replace").splitlines() if containing in line]

    def wait_for(self, predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.5):
        """Poll until `predicate()` is truthy (returned), at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"{what}: the Kuadrant operator exited "
                                     f"(rc={self.proc.returncode if self.proc else None}):\n{self.log_tail()}")
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"{what}: not within {timeout:.0f}s; Kuadrant operator log:\n{self.log_tail()}")


# ---------------------------------------------------------------------------------------------
# status that controllers this plane does not run would write


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(kind: str, reason: str, generation: int | None = None, message: str = "") -> dict:
    cond = {"type": kind, "status": "True", "reason": reason, "message": message or reason,
            "lastTransitionTime": _now()}
    if generation is not None:
        cond["observedGeneration"] = generation
    return cond


def gateway_status(gateway: dict) -> dict:
    """What Istio writes on a Gateway it programmed."""
    generation = gateway["metadata"]["generation"]
    return {
        "addresses": [{"type": "IPAddress", "value": "127.0.0.1"}],
        "conditions": [condition("Accepted", "Accepted", generation),
                       condition("Programmed", "Programmed", generation)],
        "listeners": [{
            "name": listener["name"],
            "attachedRoutes": 0,
            "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
            "conditions": [condition(kind, kind, generation)
                           for kind in ("Accepted", "Programmed", "ResolvedRefs")],
        } for listener in gateway["spec"]["listeners"]],
    }


def route_status(route: dict, parents: list[dict], controller: str) -> dict:
    """What Istio writes on an HTTPRoute it accepted under `parents` (its parentRefs to our Gateways)."""
    generation = route["metadata"]["generation"]
    return {"parents": [{
        "parentRef": ref,
        "controllerName": controller,
        "conditions": [condition("Accepted", "Accepted", generation),
                       condition("ResolvedRefs", "ResolvedRefs", generation)],
    } for ref in parents]}


class PlatformStatus:
    """Writes the status of what Istio and the Authorino/Limitador operators manage."""

    def __init__(self, plane, controller: str = OPENSHIFT_GATEWAY_CONTROLLER):
        self.plane = plane
        self.controller = controller

    def patch_status(self, kind: str, name: str, namespace: str, status: dict) -> None:
        self.plane.kubectl("patch", kind, name, "-n", namespace, "--subresource=status", "--type=merge",
                           "-p", json.dumps({"status": status}))

    def gateway_classes(self) -> set[str]:
        return {c["metadata"]["name"] for c in self.plane.list("gatewayclasses")
                if c["spec"]["controllerName"] == self.controller}

    def gateways(self) -> list[dict]:
        classes = self.gateway_classes()
        ours = [g for g in self.plane.list("gateways") if g["spec"]["gatewayClassName"] in classes]
        for gateway in ours:
            self.patch_status("gateway", gateway["metadata"]["name"], gateway["metadata"]["namespace"],
                              gateway_status(gateway))
        return ours

    def routes(self) -> list[dict]:
        gateways = {(g["metadata"]["namespace"], g["metadata"]["name"]) for g in self.gateways()}
        accepted = []
        for route in self.plane.list("httproutes"):
            namespace = route["metadata"]["namespace"]
            parents = [ref for ref in route["spec"].get("parentRefs", [])
                       if ref.get("kind", "Gateway") == "Gateway"
                       and (ref.get("namespace", namespace), ref["name"]) in gateways]
            if parents:
                self.patch_status("httproute", route["metadata"]["name"], namespace,
                                  route_status(route, parents, self.controller))
                accepted.append(route)
        return accepted

    def components(self, namespace: str = OPERATOR_NAMESPACE) -> None:
        """Ready on the Authorino and Limitador CRs (the Kuadrant operator creates them)."""
        for authorino in self.plane.list("authorinos.operator.authorino.kuadrant.io", namespace):
            self.patch_status("authorinos.operator.authorino.kuadrant.io", authorino["metadata"]["name"],
                              namespace, {"conditions": [condition("Ready", "Provisioned")]})
        for limitador in self.plane.list("limitadors.limitador.kuadrant.io", namespace):
            generation = limitador["metadata"]["generation"]
            self.patch_status("limitadors.limitador.kuadrant.io", limitador["metadata"]["name"], namespace, {
                "observedGeneration": generation,
                "conditions": [condition("Ready", "Ready", generation, "Limitador is ready")],
                "service": {"host": f"limitador-{limitador['metadata']['name']}.{namespace}.svc.cluster.local",
                            "ports": {"grpc": 8081, "http": 8080}},
            })


class OperatorPlane:
    """A private plane with the platform stand-ins (no EnvoyFilter stand-ins: the operator writes its
    own and deletes any other `kuadrant.io/managed` one) and the Kuadrant operator running."""

    def __init__(self, plane, operator: KuadrantOperator, platform: PlatformStatus):
        self.plane = plane
        self.operator = operator
        self.platform = platform

    def settle_platform(self) -> None:
        """Write the status Istio and the Authorino/Limitador operators would write now."""
        self.platform.routes()
        self.operator.wait_for(lambda: self.plane.list("limitadors.limitador.kuadrant.io", OPERATOR_NAMESPACE),
                               60, "the operator creating its Limitador CR")
        self.platform.components()
