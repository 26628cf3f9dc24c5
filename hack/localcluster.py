#!/usr/bin/env python3
"""A real Kubernetes control plane on 127.0.0.1, built from the Go module proxy.

    localcluster.py build                 build (or find cached) etcd, kube-apiserver,
                                          kube-controller-manager and kubectl
    localcluster.py up [--state-dir D]    start the plane, install the upstream CRDs,
                                          print `export KUBECONFIG=...`
    localcluster.py down [--state-dir D]  stop every process `up` started, remove D
    localcluster.py env [--state-dir D]   print the export line of a running plane
    localcluster.py crd-files             list the upstream CRD files the plane installs
    localcluster.py install-crds --kubeconfig K
                                          install the same pinned CRDs into any cluster (kind)

There is no Docker engine on our machines, so kind cannot run; this is the next best
thing: the real API server with the real upstream CRD schemas (validation, CEL rules,
defaulting, server-side apply), plus the controllers that make namespaces delete and
ownerReferences cascade. Nothing here runs pods.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERSIONS_FILE = REPO / "hack" / "versions.env"
DEFAULT_STATE_DIR = REPO / ".local-cluster"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "modelserving-maas"

# Which upstream CRDs the plane serves: (versions.env key, module, files, CRD names or None for all).
ISTIO_CRDS = {
    "envoyfilters.networking.istio.io",
    "destinationrules.networking.istio.io",
    "peerauthentications.security.istio.io",
    "telemetries.telemetry.istio.io",
    "authorizationpolicies.security.istio.io",
    "serviceentries.networking.istio.io",
    # The Kuadrant operator detects Istio by EnvoyFilter and WasmPlugin (tests/kuadrant runs it).
    "wasmplugins.extensions.istio.io",
}
CRD_SOURCES = [
    ("GATEWAY_API_VERSION", "sigs.k8s.io/gateway-api", [
        "config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml",
        "config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
        "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
        "config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml",
        "config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml",
        "config/crd/standard/gateway.networking.k8s.io_backendtlspolicies.yaml",
    ], None),
    ("ISTIO_API_VERSION", "istio.io/api", ["kubernetes/customresourcedefinitions.gen.yaml"], ISTIO_CRDS),
    # Every CRD of the operator's config/crd/bases: its state-of-the-world controller reconciles
    # nothing until each kind it watches is served.
    ("KUADRANT_OPERATOR_VERSION", "github.com/kuadrant/kuadrant-operator", [
        "config/crd/bases/kuadrant.io_kuadrants.yaml",
        "config/crd/bases/kuadrant.io_authpolicies.yaml",
        "config/crd/bases/kuadrant.io_ratelimitpolicies.yaml",
        "config/crd/bases/kuadrant.io_tokenratelimitpolicies.yaml",
        "config/crd/bases/kuadrant.io_tlspolicies.yaml",
        "config/crd/bases/kuadrant.io_dnspolicies.yaml",
        "config/crd/bases/extensions.kuadrant.io_telemetrypolicies.yaml",
        "config/crd/bases/extensions.kuadrant.io_oidcpolicies.yaml",
        "config/crd/bases/extensions.kuadrant.io_planpolicies.yaml",
        "config/crd/bases/extensions.kuadrant.io_threatpolicies.yaml",
    ], None),
    ("AUTHORINO_OPERATOR_VERSION", "github.com/kuadrant/authorino-operator", [
        "config/crd/bases/operator.authorino.kuadrant.io_authorinos.yaml",
    ], None),
    # The operator detects the Authorino integration by Authorino and AuthConfig, and Limitador by its CRD.
    ("AUTHORINO_VERSION", "github.com/kuadrant/authorino", [
        "install/crd/authorino.kuadrant.io_authconfigs.yaml",
    ], None),
    ("LIMITADOR_OPERATOR_VERSION", "github.com/kuadrant/limitador-operator", [
        "config/crd/bases/limitador.kuadrant.io_limitadors.yaml",
    ], None),
    ("KSERVE_VERSION", "github.com/kserve/kserve", [
        "config/crd/full/llmisvc/serving.kserve.io_llminferenceservices.yaml",
    ], None),
]

READY_TIMEOUT = 90.0


def log(msg: str) -> None:
    print(f"localcluster: {msg}", file=sys.stderr, flush=True)


def versions() -> dict[str, str]:
    pins = {}
    for line in VERSIONS_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pins[key.strip()] = value.strip()
    return pins


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GOTOOLCHAIN"] = "local"
    env["GOFLAGS"] = "-mod=mod"
    env.setdefault("CGO_ENABLED", "0")
    return env


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, capture: bool = False) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)
    if proc.returncode != 0:
        detail = (proc.stderr or "") if capture else ""
        raise SystemExit(f"localcluster: command failed ({proc.returncode}): {' '.join(cmd)}\n{detail}")
    return proc.stdout or ""


def go_version() -> str:
    return run(["go", "env", "GOVERSION"], env=go_env(), capture=True).strip()


def module_dir(module: str, version: str) -> Path:
    """The module's directory in the Go module cache, downloading it when needed."""
    with tempfile.TemporaryDirectory() as scratch:
        # `go mod download` outside a module needs a module path@version and works from any dir.
        out = run(["go", "mod", "download", "-json", f"{module}@{version}"], cwd=Path(scratch),
                  env=go_env(), capture=True)
    info = json.loads(out)
    if info.get("Error"):
        raise SystemExit(f"localcluster: cannot download {module}@{version}: {info['Error']}")
    return Path(info["Dir"])


# ---------------------------------------------------------------------------------------------
# build


def staging_replaces(k8s_version: str) -> list[str]:
    """k8s.io/kubernetes replaces each staging module with ./staging/...; a module that depends on
    it must replace them with their published v0.<minor>.<patch> instead."""
    gomod = module_dir("k8s.io/kubernetes", k8s_version) / "go.mod"
    staging_version = "v0." + k8s_version[len("v1."):]
    replaces = []
    in_block = False
    for line in gomod.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("replace ("):
            in_block = True
            continue
        if in_block and stripped == ")":
            in_block = False
            continue
        if (in_block or stripped.startswith("replace ")) and "=> ./staging/" in stripped:
            name = stripped.removeprefix("replace ").split()[0]
            replaces.append(f"\t{name} => {name} {staging_version}")
    if not replaces:
        raise SystemExit(f"localcluster: found no staging replaces in {gomod}")
    return replaces


def build_dir(name: str) -> Path:
    return CACHE / "build" / name


def bin_dir(component: str, version: str) -> Path:
    return CACHE / f"{component}-{version}-{go_version()}" / "bin"


def wrapper_version(wrapper: Path, module: str) -> str:
    """The release of `module` that the wrapper module in directory `wrapper` requires."""
    match = re.search(r"^\s*(?:require\s+)?%s\s+(v\S+)" % re.escape(module), (wrapper / "go.mod").read_text(),
                      re.MULTILINE)
    if not match:
        raise SystemExit(f"{wrapper / 'go.mod'} does not require {module}")
    return match.group(1)


def build_go_tool(name: str, wrapper: Path, module: str, package: str) -> tuple[Path, float | None]:
    """Build `package` of the release of `module` that the wrapper module in `wrapper` (go.mod and
    go.sum, no replace directives) requires, into the cache as bin_dir(name, version)/name.

    Returns (path of the binary, seconds the build took or None when it was cached). Nothing built
    is kept in the work tree; go.sum, not the checksum database, verifies every module."""
    version = wrapper_version(wrapper, module)
    target = bin_dir(name, version) / name
    if target.exists():
        return target, None
    work = build_dir(f"{name}-{version}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for file in ("go.mod", "go.sum"):
        shutil.copy(wrapper / file, work / file)
    out = work / "out"
    log(f"building {name} {version} (cold build: several minutes on 2 cores)")
    started = time.monotonic()
    env = go_env()
    env["GOFLAGS"] = "-mod=readonly"
    run(["go", "build", "-trimpath", f"-ldflags=-s -w -X main.version={version}", "-o", str(out / name), package],
        cwd=work, env=env)
    elapsed = time.monotonic() - started
    target.parent.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target.parent, ignore_errors=True)
    out.rename(target.parent)
    log(f"built {name} {version} in {elapsed:.0f}s")
    return target, elapsed


def build_kubernetes(version: str) -> Path:
    target = bin_dir("kubernetes", version)
    wanted = ["kube-apiserver", "kube-controller-manager", "kubectl"]
    if all((target / b).exists() for b in wanted):
        return target
    work = build_dir(f"kubernetes-{version}")
    work.mkdir(parents=True, exist_ok=True)
    gomod = "\n".join([
        "module local/kubernetes-build", "", "go 1.25.0", "", "godebug default=go1.25", "",
        f"require k8s.io/kubernetes {version}", "", "replace (", *staging_replaces(version), ")", "",
    ])
    (work / "go.mod").write_text(gomod)
    (work / "go.sum").touch()
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    log(f"building kubernetes {version} (cold build: about 10-20 minutes on 2 cores)")
    started = time.monotonic()
    run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(out) + "/",
         *[f"k8s.io/kubernetes/cmd/{b}" for b in wanted]], cwd=work, env=go_env())
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    out.rename(target)
    log(f"built kubernetes {version} in {time.monotonic() - started:.0f}s")
    return target


def build_etcd(version: str) -> Path:
    target = bin_dir("etcd", version)
    if (target / "etcd").exists():
        return target
    work = build_dir(f"etcd-{version}")
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(
        f"module local/etcd-build\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 {version}\n")
    (work / "go.sum").touch()
    (work / "main.go").write_text(
        'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\n'
        "func main() { etcdmain.Main(os.Args) }\n")
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    log(f"building etcd {version}")
    started = time.monotonic()
    run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(out / "etcd"), "."], cwd=work, env=go_env())
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    out.rename(target)
    log(f"built etcd {version} in {time.monotonic() - started:.0f}s")
    return target


def binaries() -> dict[str, Path]:
    pins = versions()
    k8s = build_kubernetes(pins["KUBERNETES_VERSION"])
    etcd = build_etcd(pins["ETCD_VERSION"])
    return {
        "etcd": etcd / "etcd",
        "kube-apiserver": k8s / "kube-apiserver",
        "kube-controller-manager": k8s / "kube-controller-manager",
        "kubectl": k8s / "kubectl",
    }


# ---------------------------------------------------------------------------------------------
# certificates


def write_pki(pki: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import ipaddress

    pki.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=30)

    def key_pem(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def write(name: str, data: bytes, private: bool = False) -> None:
        path = pki / name
        path.write_bytes(data)
        if private:
            path.chmod(0o600)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "maas-local-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    write("ca.crt", ca.public_bytes(serialization.Encoding.PEM))
    write("ca.key", key_pem(ca_key), private=True)

    def leaf(name: str, cn: str, orgs: list[str], server: bool) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        subject += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
        builder = (x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(ca_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(later)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.DNSName("kubernetes"), x509.DNSName("kubernetes.default"),
                x509.DNSName("kubernetes.default.svc"), x509.DNSName("kubernetes.default.svc.cluster.local"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("10.96.0.1")),
            ]), critical=False).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        else:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        write(f"{name}.crt", cert.public_bytes(serialization.Encoding.PEM))
        write(f"{name}.key", key_pem(key), private=True)

    leaf("apiserver", "kube-apiserver", [], server=True)
    leaf("admin", "maas-local-admin", ["system:masters"], server=False)
    # A second administrator, so tests can count exactly the requests the collection's modules make
    # (audit events carry the user name).
    leaf("automation", "maas-automation", ["system:masters"], server=False)
    leaf("controller-manager", "system:kube-controller-manager", [], server=False)

    sa_key = ec.generate_private_key(ec.SECP256R1())
    write("sa.key", key_pem(sa_key), private=True)
    write("sa.pub", sa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))


def kubeconfig(pki: Path, server: str, user: str) -> str:
    def b64(name: str) -> str:
        import base64
        return base64.b64encode((pki / name).read_bytes()).decode()

    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "maas-local", "preferences": {},
        "clusters": [{"name": "maas-local", "cluster": {
            "server": server, "certificate-authority-data": b64("ca.crt")}}],
        "users": [{"name": user, "user": {
            "client-certificate-data": b64(f"{user}.crt"), "client-key-data": b64(f"{user}.key")}}],
        "contexts": [{"name": "maas-local", "context": {"cluster": "maas-local", "user": user}}],
    }, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------
# processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(state: Path, name: str, cmd: list[str]) -> int:
    logfile = open(state / f"{name}.log", "ab")
    proc = subprocess.Popen(cmd, stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=state)
    pids = load_pids(state)
    pids[name] = proc.pid
    (state / "pids.json").write_text(json.dumps(pids, indent=2))
    return proc.pid


def load_pids(state: Path) -> dict[str, int]:
    try:
        return json.loads((state / "pids.json").read_text())
    except (OSError, ValueError):
        return {}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # A zombie is dead for our purposes.
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def stop_all(state: Path) -> None:
    pids = load_pids(state)
    for name in reversed(list(pids)):
        pid = pids[name]
        if not alive(pid):
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 15
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(pid):
            log(f"{name} (pid {pid}) ignored SIGTERM; killing it")
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def print_logs(state: Path, lines: int = 60) -> None:
    for logfile in sorted(state.glob("*.log")):
        content = logfile.read_text(errors="replace").splitlines()
        print(f"----- {logfile.name} (last {lines} lines) -----", file=sys.stderr)
        print("\n".join(content[-lines:]), file=sys.stderr)


def https_context(pki: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    return ctx


def wait_http(url: str, what: str, pids: list[int], context: ssl.SSLContext | None = None,
              timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if not all(alive(p) for p in pids):
            raise RuntimeError(f"{what} exited before it became ready")
        try:
            with urllib.request.urlopen(url, context=context, timeout=5) as resp:
                if resp.status == 200:
                    return
                last_error = f"HTTP {resp.status}"
        except Exception as err:  # noqa: BLE001 - any failure means "not ready yet"
            last_error = str(err)
        time.sleep(0.25)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s: {last_error}")


AUDIT_POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # Metadata is enough to count requests by verb and resource (tests and benchmarks do).
  - level: Metadata
"""


def up(state: Path, install_crds: bool) -> None:
    state = state.resolve()
    if state_running(state):
        log(f"already running ({state})")
        print(f"export KUBECONFIG={state / 'kubeconfig'}")
        return
    if state.exists():
        stop_all(state)
        shutil.rmtree(state)
    bins = binaries()
    state.mkdir(parents=True)
    (state / ".gitignore").write_text("*\n")
    pki = state / "pki"
    write_pki(pki)
    (state / "audit-policy.yaml").write_text(AUDIT_POLICY)
    ports = {"etcd": free_port(), "etcd-peer": free_port(), "apiserver": free_port(), "kcm": free_port()}
    (state / "ports.json").write_text(json.dumps(ports, indent=2))
    started = time.monotonic()
    try:
        etcd_url = f"http://127.0.0.1:{ports['etcd']}"
        peer_url = f"http://127.0.0.1:{ports['etcd-peer']}"
        etcd = start(state, "etcd", [
            str(bins["etcd"]), "--name=local", f"--data-dir={state / 'etcd'}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=local={peer_url}", "--log-level=warn",
            # Throwaway data: skipping fsync makes every write several times faster on slow disks.
            "--unsafe-no-fsync",
        ])
        wait_http(f"{etcd_url}/health", "etcd", [etcd])

        server = f"https://127.0.0.1:{ports['apiserver']}"
        apiserver = start(state, "kube-apiserver", [
            str(bins["kube-apiserver"]), f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={ports['apiserver']}",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}", "--authorization-mode=RBAC",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16", "--allow-privileged=true",
            f"--audit-policy-file={state / 'audit-policy.yaml'}", f"--audit-log-path={state / 'audit.log'}",
            "--audit-log-format=json", "--audit-log-maxsize=0", "--profiling=false",
            f"--cert-dir={state / 'apiserver-certs'}",
        ])
        ctx = https_context(pki)
        wait_http(f"{server}/readyz", "kube-apiserver", [etcd, apiserver], context=ctx)
        (state / "kubeconfig").write_text(kubeconfig(pki, server, "admin"))
        (state / "kubeconfig").chmod(0o600)
        (state / "automation.kubeconfig").write_text(kubeconfig(pki, server, "automation"))
        (state / "automation.kubeconfig").chmod(0o600)
        (state / "controller-manager.kubeconfig").write_text(kubeconfig(pki, server, "controller-manager"))

        kcm_kubeconfig = str(state / "controller-manager.kubeconfig")
        kcm = start(state, "kube-controller-manager", [
            str(bins["kube-controller-manager"]), f"--kubeconfig={kcm_kubeconfig}",
            f"--authentication-kubeconfig={kcm_kubeconfig}", f"--authorization-kubeconfig={kcm_kubeconfig}",
            "--bind-address=127.0.0.1", f"--secure-port={ports['kcm']}", "--leader-elect=false",
            "--controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,"
            "serviceaccount-token-controller,root-ca-certificate-publisher-controller",
            f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
            "--use-service-account-credentials=true", f"--cert-dir={state / 'kcm-certs'}",
        ])
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        wait_http(f"https://127.0.0.1:{ports['kcm']}/healthz", "kube-controller-manager",
                  [etcd, apiserver, kcm], context=insecure)
        wait_default_service_account(state, bins["kubectl"])
        if install_crds:
            apply_crds(state, bins["kubectl"])
    except (RuntimeError, SystemExit) as err:
        log(f"start failed: {err}")
        print_logs(state)
        stop_all(state)
        raise SystemExit(1) from None
    log(f"ready in {time.monotonic() - started:.1f}s: {server}")
    print(f"export KUBECONFIG={state / 'kubeconfig'}")


def wait_default_service_account(state: Path, kubectl: Path) -> None:
    """Tests create tokens for `default` service accounts; wait until the controller made one."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        proc = subprocess.run([str(kubectl), "--kubeconfig", str(state / "kubeconfig"),
                               "get", "serviceaccount", "default", "-n", "default", "-o", "name"],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            return
        time.sleep(0.25)
    raise RuntimeError("the service-account controller did not create default/default")


def crd_files() -> list[tuple[Path, set[str] | None]]:
    pins = versions()
    files = []
    for key, module, paths, names in CRD_SOURCES:
        root = module_dir(module, pins[key])
        for rel in paths:
            path = root / rel
            if not path.exists():
                raise SystemExit(f"localcluster: {module}@{pins[key]} has no {rel}")
            files.append((path, names))
    return files


def selected_crds(path: Path, names: set[str] | None) -> str:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = [d for d in yaml.load_all(path.read_text(), Loader=loader) if d and d.get("kind") == "CustomResourceDefinition"]
    if names is not None:
        docs = [d for d in docs if d["metadata"]["name"] in names]
        missing = names - {d["metadata"]["name"] for d in docs}
        if missing:
            raise SystemExit(f"localcluster: {path} lacks {sorted(missing)}")
    return yaml.safe_dump_all(docs, sort_keys=False)


def crd_bundle() -> str:
    """Every upstream CRD the plane serves, as one YAML stream, cached per pinned versions (reading
    the module cache and parsing Istio's 900 kB file takes longer than starting the plane)."""
    import hashlib

    pins = versions()
    key = hashlib.sha256(json.dumps([[pins[k], m, p, sorted(n or [])] for k, m, p, n in CRD_SOURCES],
                                    sort_keys=True).encode()).hexdigest()[:16]
    cached = CACHE / f"crds-{key}.yaml"
    if not cached.exists():
        bundle = "---\n".join(selected_crds(path, names) for path, names in crd_files())
        cached.parent.mkdir(parents=True, exist_ok=True)
        scratch = cached.with_suffix(".tmp")
        scratch.write_text(bundle)
        scratch.rename(cached)
    return cached.read_text()


def apply_crds(state: Path, kubectl: Path, kubeconfig: Path | None = None) -> None:
    bundle = crd_bundle()
    state.mkdir(parents=True, exist_ok=True)
    (state / "crds.yaml").write_text(bundle)
    base = [str(kubectl), "--kubeconfig", str(kubeconfig or state / "kubeconfig")]
    run(base + ["apply", "--server-side", "--field-manager=localcluster", "-f", str(state / "crds.yaml")],
        capture=True)
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    wait_established(base, [d["metadata"]["name"] for d in yaml.load_all(bundle, Loader=loader) if d])


def wait_established(kubectl: list[str], names: list[str], timeout: float = READY_TIMEOUT) -> None:
    """Bounded wait until every CRD is Established. (`kubectl wait crd --all` fails outright on a
    CRD the API server has not given a status yet, which happens on a loaded machine.)"""
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending:
        proc = subprocess.run(kubectl + ["get", "crd", "-o", "json"], capture_output=True, text=True)
        if proc.returncode == 0:
            for crd in json.loads(proc.stdout)["items"]:
                conditions = crd.get("status", {}).get("conditions") or []
                if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                    pending.discard(crd["metadata"]["name"])
        if not pending:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"CRDs not Established after {timeout:.0f}s: {sorted(pending)}")
        time.sleep(0.5)


def state_running(state: Path) -> bool:
    pids = load_pids(state)
    if not pids or not all(alive(p) for p in pids.values()):
        return False
    try:
        ports = json.loads((state / "ports.json").read_text())
        wait_http(f"https://127.0.0.1:{ports['apiserver']}/readyz", "kube-apiserver", list(pids.values()),
                  context=https_context(state / "pki"), timeout=5)
    except (OSError, ValueError, KeyError, RuntimeError):
        return False
    return True


def down(state: Path) -> None:
    state = state.resolve()
    if not state.exists():
        log(f"nothing to stop ({state} does not exist)")
        return
    stop_all(state)
    shutil.rmtree(state, ignore_errors=True)
    log(f"stopped and removed {state}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "up", "down", "env", "crd-files", "install-crds"])
    parser.add_argument("--kubeconfig", type=Path, help="install-crds: the cluster to install into")
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("LOCALCLUSTER_STATE_DIR",
                                                                               DEFAULT_STATE_DIR)))
    parser.add_argument("--no-crds", action="store_true", help="start without installing upstream CRDs")
    args = parser.parse_args(argv)
    if args.command == "build":
        for name, path in binaries().items():
            print(f"{name}\t{path}")
    elif args.command == "up":
        up(args.state_dir, install_crds=not args.no_crds)
    elif args.command == "down":
        down(args.state_dir)
    elif args.command == "env":
        state = args.state_dir.resolve()
        if not state_running(state):
            raise SystemExit(f"localcluster: no plane running in {state}; run `make cluster-up`")
        print(f"export KUBECONFIG={state / 'kubeconfig'}")
    elif args.command == "install-crds":
        if not args.kubeconfig:
            raise SystemExit("localcluster: install-crds needs --kubeconfig")
        with tempfile.TemporaryDirectory() as scratch:
            apply_crds(Path(scratch), binaries()["kubectl"], kubeconfig=args.kubeconfig)
        log(f"installed the pinned upstream CRDs into {args.kubeconfig}")
    elif args.command == "crd-files":
        for path, names in crd_files():
            print(f"{path}\t{','.join(sorted(names)) if names else 'all'}")


if __name__ == "__main__":
    main(sys.argv[1:])
