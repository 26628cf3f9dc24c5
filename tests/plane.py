"""The local control plane as tests and benchmarks use it.

`Plane.start()` reuses the plane hack/run-tests.sh started (MAAS_TEST_STATE_DIR) or starts a private
one. Modules run through `ansible` exactly as a user runs them, as the `maas-automation` user, so the
API server's audit log tells how many requests (and which verbs) a module call made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Sequence

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "hack"))

import localcluster  # noqa: E402

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
AUTOMATION_USER = "maas-automation"


class Plane:
    def __init__(self, state_dir: Path, owned: bool):
        self.state_dir = state_dir
        self.owned = owned
        self.kubeconfig = state_dir / "kubeconfig"
        self.automation_kubeconfig = state_dir / "automation.kubeconfig"
        self.kubectl_bin = str(localcluster.binaries()["kubectl"])

    @classmethod
    def start(cls) -> "Plane":
        shared = os.environ.get("MAAS_TEST_STATE_DIR")
        if shared:
            state = Path(shared)
            if not localcluster.state_running(state):
                raise RuntimeError(f"MAAS_TEST_STATE_DIR={shared} names no running plane")
            return cls(state, owned=False)
        return cls.start_private()

    @classmethod
    def start_private(cls) -> "Plane":
        """A plane of its own, also when a shared one runs: for tests that run controllers which
        change what other tests rely on (the Kuadrant operator deletes the stand-in EnvoyFilters)."""
        state = Path(tempfile.mkdtemp(prefix="maas-plane-"))
        localcluster.up(state, install_crds=True)
        return cls(state, owned=True)

    def stop(self) -> None:
        if self.owned:
            localcluster.down(self.state_dir)

    # -- kubectl ------------------------------------------------------------------------------

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.kubectl_bin, "--kubeconfig", str(self.kubeconfig), *args],
                              input=input, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc

    def wait_established(self, *crds: str) -> None:
        """Bounded wait for CRDs (names without `crd/`): `kubectl wait --for=condition=Established`
        fails at once on a CRD that has no status yet, which a loaded machine shows."""
        localcluster.wait_established([self.kubectl_bin, "--kubeconfig", str(self.kubeconfig)], list(crds),
                                      timeout=60)

    def apply(self, *docs: dict, server_side: bool = True, manager: str = "test-fixture") -> None:
        body = yaml.safe_dump_all(list(docs))
        args = ["apply", "-f", "-"]
        if server_side:
            args += ["--server-side", f"--field-manager={manager}", "--force-conflicts"]
        self.kubectl(*args, input=body)

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        args = ["get", kind, name, "-o", "json"]
        if namespace:
            args += ["-n", namespace]
        proc = self.kubectl(*args, check=False)
        if proc.returncode != 0:
            if "NotFound" in proc.stderr or "not found" in proc.stderr:
                return None
            raise AssertionError(proc.stderr)
        return json.loads(proc.stdout)

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[dict]:
        args = ["get", kind, "-o", "json"]
        args += ["-n", namespace] if namespace else ["-A"]
        if selector:
            args += ["-l", selector]
        return json.loads(self.kubectl(*args).stdout)["items"]

    def create_namespace(self, prefix: str = "t") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.kubectl("create", "namespace", name)
        return name

    def delete_namespace(self, name: str) -> None:
        self.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)

    def dry_run(self, obj: dict) -> subprocess.CompletedProcess:
        """Server-side dry-run create-or-update: the real schema (OpenAPI, CEL, defaults) judges it."""
        return self.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=dry-run-test",
                            "-f", "-", input=yaml.safe_dump(obj), check=False)

    # -- ansible --------------------------------------------------------------------------------

    def ansible_env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
            "K8S_AUTH_KUBECONFIG": str(self.automation_kubeconfig),
            "KUBECONFIG": str(self.automation_kubeconfig),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_SHOW_CUSTOM_STATS": "1",
        })
        return env

    def module(self, name: str, check: bool = False, diff: bool = False, **args) -> dict:
        """Run one module the way `ansible localhost -m` does; returns its result."""
        env = self.ansible_env()
        env.update({"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"})
        cmd = [shutil.which("ansible", path=str(REPO / ".venv" / "bin")) or "ansible", "localhost",
               "-i", "localhost,", "-c", "local",
               "-e", f"ansible_python_interpreter={sys.executable}", "-m", name]
        if args:
            cmd += ["-a", json.dumps(args)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
        try:
            output = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"{name} printed no JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return output["plays"][0]["tasks"][0]["hosts"]["localhost"]

    def playbook(self, playbook: str | Path, extra_vars: dict | None = None, check: bool = False,
                 diff: bool = False) -> "PlaybookRun":
        env = self.ansible_env()
        env.update({"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"})
        cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(playbook)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
        return PlaybookRun(proc)

    def run_playbook_text(self, playbook: str, workdir: Path) -> None:
        """Run a playbook given as text, with Ansible's default output; raise with its tail when it
        fails. The benchmarks time these runs, so nothing extra is asked of the callback."""
        path = workdir / "play.yml"
        path.write_text(playbook)
        proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), str(path)],
                              env=self.ansible_env(), capture_output=True, text=True, cwd=REPO, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"playbook failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")

    # -- audit log ---------------------------------------------------------------------------------

    def audit_mark(self) -> int:
        self._settle_audit()
        path = self.state_dir / "audit.log"
        return path.stat().st_size if path.exists() else 0

    def requests_since(self, mark: int, user: str = AUTOMATION_USER) -> list[dict]:
        """Audit events (ResponseComplete) of `user` written after `mark`."""
        self._settle_audit()
        return self._events(mark, None, user)

    def audited(self, mark: int, must_see: Sequence[str] = (), user: str = AUTOMATION_USER) -> list[dict]:
        """`requests_since(mark)`, once the audit log is shown to hold what the run under test sent.

        An assertion about what a run did not send ("no write", "only dry runs", "no request") passes
        on an empty or misread log, or on requests sent as another user, unless the log first shows
        requests the run must have made. `must_see` names them as "verb resource" or
        "verb resource/subresource" ("list envoyfilters", "create serviceaccounts/token"); each must be
        there. For a run that must send nothing at all, leave it empty: a probe request is then sent
        as `user` after the run, must appear after it, and is not returned.
        """
        if must_see:
            events = self.requests_since(mark, user)
            seen = {request_key(e) for e in events}
            missing = [request for request in must_see if request not in seen]
            if missing:
                raise AssertionError(
                    f"the audit log since the mark has no {', '.join(missing)} from {user} (it has "
                    f"{', '.join(sorted(seen)) or 'nothing'}): it is empty, was misread, or the run "
                    f"sent its requests as someone else, so what it did not send cannot be judged")
            return events
        if user != AUTOMATION_USER:
            raise ValueError(f"a probe can only be sent as {AUTOMATION_USER}")
        end = self.audit_mark()
        probe = f"audit-probe-{uuid.uuid4().hex[:12]}"
        subprocess.run([self.kubectl_bin, "--kubeconfig", str(self.automation_kubeconfig), "get", "--raw",
                        f"/api/v1/namespaces/{probe}"], capture_output=True, check=False)
        self._settle_audit()
        if not [e for e in self._events(end, None, user) if e.get("objectRef", {}).get("name") == probe]:
            raise AssertionError(f"the audit log does not show the probe request {user} sent (GET namespace "
                                 f"{probe}): it is not being written or was misread, so 'no request' cannot be judged")
        return self._events(mark, end, user)

    def _events(self, start: int, end: int | None, user: str) -> list[dict]:
        with open(self.state_dir / "audit.log", "rb") as log:
            log.seek(start)
            data = log.read() if end is None else log.read(max(0, end - start))
        events = [json.loads(line) for line in data.splitlines() if line.strip()]
        return [e for e in events if e.get("user", {}).get("username") == user
                and e.get("stage") == "ResponseComplete"]

    def _settle_audit(self) -> None:
        """The audit log is written as responses complete; wait until it stops growing (bounded)."""
        path = self.state_dir / "audit.log"
        last, deadline = -1, time.monotonic() + 5
        while time.monotonic() < deadline:
            size = path.stat().st_size if path.exists() else 0
            if size == last:
                return
            last = size
            time.sleep(0.2)

    def requests_so_far(self, mark: int, user: str = AUTOMATION_USER) -> list[dict]:
        """Audit events (ResponseComplete) of `user` written after `mark` so far, without waiting for
        the log to settle (`requests_since` waits while it grows): for watching a run in progress.
        A line the API server is still writing is left for the next look."""
        with open(self.state_dir / "audit.log", "rb") as log:
            log.seek(mark)
            data = log.read()
        events = [json.loads(line) for line in data[:data.rfind(b"\n") + 1].splitlines() if line.strip()]
        return [e for e in events if e.get("user", {}).get("username") == user
                and e.get("stage") == "ResponseComplete"]


def request_key(event: dict) -> str:
    """An audit event as "verb resource[/subresource]", or "verb <path>" for a non-resource request."""
    ref = event.get("objectRef") or {}
    if not ref.get("resource"):
        return f"{event.get('verb')} {event.get('requestURI', '').split('?')[0]}"
    return f"{event.get('verb')} {ref['resource']}" + (f"/{ref['subresource']}" if ref.get("subresource") else "")


def writes(events: list[dict]) -> list[dict]:
    """The events that changed (or would have changed) something."""
    return [e for e in events if e.get("verb") in WRITE_VERBS]


class PlaybookRun:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.proc = proc
        try:
            self.output = json.loads(proc.stdout)
        except ValueError:
            self.output = None

    @property
    def ok(self) -> bool:
        return self.proc.returncode == 0

    @property
    def stats(self) -> dict:
        return (self.output or {}).get("stats", {}).get("localhost", {})

    @property
    def changed(self) -> int:
        return self.stats.get("changed", 0)

    def task_results(self) -> dict[str, dict]:
        results = {}
        for play in (self.output or {}).get("plays", []):
            for task in play["tasks"]:
                results[task["task"]["name"]] = task["hosts"].get("localhost", {})
        return results

    def changed_tasks(self) -> list[str]:
        return [name for name, res in self.task_results().items() if res.get("changed")]

    def explain(self) -> str:
        return f"rc={self.proc.returncode}\nSTDOUT:\n{self.proc.stdout[-20000:]}\nSTDERR:\n{self.proc.stderr[-5000:]}"
